/** The pipeline manifest's schema: what the pipeline stack writes and the command line accepts. */
import { ConfigError } from '@tollgate/constructs/lib/domain/config-error';
import { PipelineManifestDocument, parsePipelineManifest, parsePipelineManifestJson } from '@tollgate/constructs/lib/domain/pipeline-manifest';
import { loadConfig } from '../cdk/config';
import { preManifestShape } from '../cli/pipeline-manifest';
import { MANIFEST } from './cli-fixture';

const parse = (value: unknown) => parsePipelineManifest(value, '/tollgate-manifest/Tollgate');
const problem = (value: unknown) => {
  try {
    parse(value);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('accepted');
};
const edited = (edit: (m: any) => void) => {
  const copy = JSON.parse(JSON.stringify(MANIFEST));
  edit(copy);
  return copy;
};

test('the default app\'s manifest is valid, as an object and as the parameter\'s JSON', () => {
  expect(parse(MANIFEST)).toEqual(MANIFEST);
  expect(parsePipelineManifestJson(JSON.stringify(MANIFEST), 'p')).toEqual(MANIFEST);
});

test('reads a version-1 manifest, as pipelines deployed before waves have it, as version 2', () => {
  const { promotionStages, gateActions, ...rest } = MANIFEST;
  const v1 = { ...rest, schemaVersion: 1, promotionStage: promotionStages[0], gateActions: gateActions.map(({ environments, ...a }) => ({ ...a, environment: environments[0] })) };
  expect(parse(v1)).toEqual(MANIFEST);
});

test.each<[string, (m: any) => void, string]>([
  ['a newer schema version', (m) => (m.schemaVersion = 3), 'manifest.schemaVersion must be one of 2, got 3'],
  ['a promotion stage that is no stage', (m) => (m.promotionStages = ['Prod', 'Staging']), 'manifest.promotionStages[1] must be one of the stages (Source, Build, UpdatePipeline, Assets, Sandbox, Dev, Prod), got "Staging"'],
  ['no promotion stage', (m) => (m.promotionStages = []), 'manifest.promotionStages must list at least 1'],
  ['an action in no stage', (m) => (m.gateActions[1].stage = 'Production'), 'manifest.gateActions[1].stage must be one of the stages'],
  ['an action of an unknown environment', (m) => (m.gateActions[0].environments = ['dev', 'qa']), 'manifest.gateActions[0].environments[1] must be one of the environments (dev, prod), got "qa"'],
  ['an action of no environment', (m) => (m.gateActions[0].environments = []), 'manifest.gateActions[0].environments must list at least 1'],
  ['the same action twice', (m) => m.gateActions.push({ ...m.gateActions[0] }), 'manifest.gateActions[3].action must be unique in its stage (Dev/Bake twice)'],
  ['a bake without minutes', (m) => delete m.gateActions[0].minutes, 'manifest.gateActions[0].minutes must be a number'],
  ['an unknown kind of action', (m) => (m.gateActions[0].kind = 'canary'), 'manifest.gateActions[0].kind'],
  ['an account that is no account', (m) => (m.environments[0].account = '2222'), 'manifest.environments[0].account must be a 12-digit account ID, got "2222"'],
  ['an ARN with a reference left in it', (m) => (m.operatorRoleArn = 'arn:${Token[AWS.Partition.8]}:iam::111111111111:role/Tollgate-Operator'), 'manifest.operatorRoleArn must be an ARN'],
  ['a field it does not know', (m) => (m.stageNames = []), 'manifest.stageNames is not a known setting'],
  ['no stages', (m) => (m.stages = []), 'manifest.stages must list at least 1'],
])('refuses %s, naming the field, the value and where it came from', (_what, edit, message) => {
  const text = problem(edited(edit));
  expect(text).toContain(message);
  expect(text).toContain('(from /tollgate-manifest/Tollgate)');
});

test('JSON that is not JSON is one line too', () => {
  expect(() => parsePipelineManifestJson('{"schemaVersion":', 'p')).toThrow('invalid configuration: manifest must be JSON, got "{\\"schemaVersion\\":" (from p)');
});

test('the shape of a pipeline from before manifests is the default app\'s without the later Sandbox stage, and valid', () => {
  const config = loadConfig({ context: undefined, env: {} });
  const shape: PipelineManifestDocument = preManifestShape(config);
  expect(parse(shape)).toEqual({ ...MANIFEST, stages: MANIFEST.stages.filter((stage) => stage !== 'Sandbox') });
});
