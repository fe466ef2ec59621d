import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runGateCheck } from '../cdk/gate-check';
import { GATE_SETTINGS_ENV, GateSettings } from '@tollgate/constructs/lib/lambdas/bake-gate/settings';
import {
  COMMIT_MESSAGE_ENV,
  DEFAULT_GATE_FLOOR,
  describeFloor,
  floorWeakenings,
  GATE_CHECK_PIPELINE_ENV,
  GATE_FLOOR_PARAMETER_ENV,
  GateFloor,
  gateFloorParameterName,
  parseGateFloor,
  weakenGateReason,
} from '@tollgate/constructs/lib/domain/gate-floor';
import { gateSettings } from './bake-gate-fixtures';

const bake = (settings: GateSettings, id: string) => settings.bakes.find((b) => `${b.stageName}/${b.actionName}` === id)!;
/** The standard release with one bake changed. */
function withBake(id: string, change: Partial<GateSettings['bakes'][number]>): GateSettings {
  const settings = gateSettings();
  return { ...settings, bakes: settings.bakes.map((b) => (b === bake(settings, id) ? { ...b, ...change } : b)) };
}

describe('floorWeakenings', () => {
  test('the standard release (60 and 30 min, evidence required) is within the default floor', () => {
    expect(floorWeakenings(gateSettings(), DEFAULT_GATE_FLOOR)).toEqual([]);
  });

  test('no bake gate at all is the one weakening', () => {
    expect(floorWeakenings(undefined, DEFAULT_GATE_FLOOR)).toEqual(['no bake gate in the pipeline stack']);
  });

  test.each([
    ['Dev/Bake', 10, 'Dev/Bake lasts 10 min, below the floor of 30 min'],
    ['Dev/Bake', 29, 'Dev/Bake lasts 29 min, below the floor of 30 min'],
    ['Prod/ProdBake', 9, 'Prod/ProdBake lasts 9 min, below the floor of 10 min'],
    ['Prod/ProdBake', 1, 'Prod/ProdBake lasts 1 min, below the floor of 10 min'],
  ])('%s at %i min is below the floor', (id, minutes, line) => {
    expect(floorWeakenings(withBake(id, { minutes }), DEFAULT_GATE_FLOOR)).toEqual([line]);
  });

  test.each([
    ['Dev/Bake', 30],
    ['Prod/ProdBake', 10],
  ])('%s at exactly its floor (%i min) is within it', (id, minutes) => {
    expect(floorWeakenings(withBake(id, { minutes }), DEFAULT_GATE_FLOOR)).toEqual([]);
  });

  test('the prod floor applies to the last required bake by position, whatever the settings say it promotes to', () => {
    // 20 min passes the prod floor (10) but not the dev floor (30): Dev/Bake is held to 30 even without a promotion.
    expect(floorWeakenings(withBake('Dev/Bake', { minutes: 20, promotion: undefined }), DEFAULT_GATE_FLOOR)).toEqual([
      'Dev/Bake lasts 20 min, below the floor of 30 min',
    ]);
    expect(floorWeakenings(withBake('Prod/ProdBake', { minutes: 20 }), DEFAULT_GATE_FLOOR)).toEqual([]);
  });

  test.each(['Dev/Bake', 'Prod/ProdBake'])('allowNoTraffic on %s is a weakening while the floor requires evidence', (id) => {
    expect(floorWeakenings(withBake(id, { allowNoTraffic: true }), DEFAULT_GATE_FLOOR)).toEqual([`allowNoTraffic is on for ${id}`]);
    expect(floorWeakenings(withBake(id, { allowNoTraffic: true }), { ...DEFAULT_GATE_FLOOR, requireEvidence: false })).toEqual([]);
  });

  test('allowNoTraffic on a bake the floor does not require still counts', () => {
    const settings = gateSettings();
    const extra = { ...bake(settings, 'Dev/Bake'), stageName: 'Staging', allowNoTraffic: true, promotion: undefined };
    expect(floorWeakenings({ ...settings, bakes: [...settings.bakes, extra] }, DEFAULT_GATE_FLOOR)).toEqual(['allowNoTraffic is on for Staging/Bake']);
  });

  test.each([
    ['Prod/ProdBake', 'no gate-owned Prod/ProdBake approval'],
    ['Dev/Bake', 'no gate-owned Dev/Bake approval'],
  ])('a missing %s approval is named', (id, line) => {
    const settings = gateSettings();
    expect(floorWeakenings({ ...settings, bakes: settings.bakes.filter((b) => b !== bake(settings, id)) }, DEFAULT_GATE_FLOOR)).toEqual([line]);
  });

  test('a renamed approval is a missing one: the floor names the approvals the gate must own', () => {
    expect(floorWeakenings(withBake('Prod/ProdBake', { actionName: 'Bake2' }), DEFAULT_GATE_FLOOR)).toEqual(['no gate-owned Prod/ProdBake approval']);
  });

  test('every weakening at once, in the floor order, then the evidence', () => {
    const settings = gateSettings();
    const weak: GateSettings = {
      ...settings,
      bakes: [{ ...bake(settings, 'Dev/Bake'), minutes: 5, allowNoTraffic: true }],
    };
    expect(floorWeakenings(weak, DEFAULT_GATE_FLOOR)).toEqual([
      'Dev/Bake lasts 5 min, below the floor of 30 min',
      'no gate-owned Prod/ProdBake approval',
      'allowNoTraffic is on for Dev/Bake',
    ]);
  });

  test('a floor of its own: three required bakes, the last held to the prod minimum', () => {
    const floor: GateFloor = { minimumBakeMinutes: 90, minimumProdBakeMinutes: 45, requireEvidence: true, requiredBakes: ['Dev/Bake', 'Staging/Bake', 'Prod/ProdBake'] };
    expect(floorWeakenings(gateSettings(), floor)).toEqual([
      'Dev/Bake lasts 60 min, below the floor of 90 min',
      'no gate-owned Staging/Bake approval',
      'Prod/ProdBake lasts 30 min, below the floor of 45 min',
    ]);
  });
});

describe('the floor parameter', () => {
  const name = gateFloorParameterName('Tollgate');

  test('lives under the pipeline controls', () => {
    expect(name).toBe('/tollgate/Tollgate/gate-floor');
  });

  test('parses a valid floor, audit fields included', () => {
    const floor = { ...DEFAULT_GATE_FLOOR, minimumBakeMinutes: 45, reason: 'INC-1', by: 'arn:aws:iam::111111111111:user/a', at: '2026-12-01T10:00:00Z' };
    expect(parseGateFloor(name, JSON.stringify(floor))).toEqual(floor);
  });

  test.each([
    ['{', 'invalid configuration: /tollgate/Tollgate/gate-floor must be JSON, got "{"'],
    [JSON.stringify({ ...DEFAULT_GATE_FLOOR, minimumBakeMinutes: 0 }), '/tollgate/Tollgate/gate-floor.minimumBakeMinutes'],
    [JSON.stringify({ ...DEFAULT_GATE_FLOOR, requiredBakes: [] }), '/tollgate/Tollgate/gate-floor.requiredBakes'],
    [JSON.stringify({ ...DEFAULT_GATE_FLOOR, requiredBakes: ['Bake'] }), 'must be <stage>/<action> like Dev/Bake, got "Bake"'],
    [JSON.stringify({ ...DEFAULT_GATE_FLOOR, requireEvidence: 'yes' }), '/tollgate/Tollgate/gate-floor.requireEvidence'],
    [JSON.stringify({ ...DEFAULT_GATE_FLOOR, minimumBakeMinute: 30 }), '/tollgate/Tollgate/gate-floor.minimumBakeMinute is not a known setting'],
  ])('refuses %s with one line naming the field', (raw, message) => {
    expect(() => parseGateFloor(name, raw)).toThrow(message);
  });

  test('the default floor is what the docs state', () => {
    expect(DEFAULT_GATE_FLOOR).toEqual({ minimumBakeMinutes: 30, minimumProdBakeMinutes: 10, requireEvidence: true, requiredBakes: ['Dev/Bake', 'Prod/ProdBake'] });
    expect(describeFloor(DEFAULT_GATE_FLOOR)).toBe('Dev/Bake ≥ 30 min, Prod/ProdBake ≥ 10 min, evidence of traffic required');
  });
});

describe('the commit marker', () => {
  test.each([
    ['Shorter dev bake\n\ntollgate: weaken-gate INC-4711 needs the fix in prod today', 'INC-4711 needs the fix in prod today'],
    ['tollgate: weaken-gate  drill  ', 'drill'],
    ['Subject\r\n\r\n  tollgate: weaken-gate windows line ends\r\n', 'windows line ends'],
  ])('%j gives the reason', (message, reason) => {
    expect(weakenGateReason(message)).toBe(reason);
  });

  test.each([
    [undefined],
    [''],
    ['tollgate: weaken-gate'],
    ['tollgate: weaken-gate   '],
    ['Tollgate: Weaken-Gate because'],
    ['mentions tollgate: weaken-gate in passing'],
    ['tollgate: weaken-gates plural'],
  ])('%j is no marker', (message) => {
    expect(weakenGateReason(message)).toBeUndefined();
  });
});

describe('npm run gate-check against a synthesized assembly', () => {
  /** A cloud assembly with one stack holding a gate function with these settings, as synth writes it. */
  function assembly(settings: GateSettings | undefined): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-gate-check-'));
    const resources: Record<string, unknown> = { Topic: { Type: 'AWS::SNS::Topic', Properties: {} } };
    if (settings) {
      // The pipeline name is a reference to the pipeline resource in the real template, as plan renders it.
      const value = JSON.stringify({ ...settings, pipelineName: '@@' }).split('"@@"');
      resources.Pipeline = { Type: 'AWS::CodePipeline::Pipeline', Properties: { Name: settings.pipelineName } };
      resources.GateFunction = {
        Type: 'AWS::Lambda::Function',
        Properties: { Environment: { Variables: { [GATE_SETTINGS_ENV]: { 'Fn::Join': ['', [value[0], '"', { Ref: 'Pipeline' }, '"', value[1]]] } } } },
      };
    }
    fs.writeFileSync(path.join(dir, 'Tollgate-Pipeline.template.json'), JSON.stringify({ Resources: resources }));
    fs.writeFileSync(
      path.join(dir, 'manifest.json'),
      JSON.stringify({
        version: '48.0.0',
        artifacts: {
          'Tollgate-Pipeline': {
            type: 'aws:cloudformation:stack',
            environment: 'aws://111111111111/us-east-1',
            properties: { templateFile: 'Tollgate-Pipeline.template.json', stackName: 'Tollgate-Pipeline' },
          },
        },
      }),
    );
    return dir;
  }

  const codeBuild = { CODEBUILD_BUILD_ID: 'Build:1', [GATE_CHECK_PIPELINE_ENV]: 'Tollgate', [GATE_FLOOR_PARAMETER_ENV]: '/tollgate/Tollgate/gate-floor' };

  async function check(dir: string, env: Record<string, string | undefined>, parameter?: string | Error) {
    const out: string[] = [];
    const err: string[] = [];
    const read = jest.fn(async () => {
      if (parameter instanceof Error) throw parameter;
      return parameter;
    });
    const code = await runGateCheck(dir, { env, out: (l) => out.push(l), err: (l) => err.push(l), readParameter: read, localPipelineName: () => 'Tollgate' });
    return { code, out, err, read };
  }

  test('locally, with no credentials, it compares with the default floor and says so', async () => {
    const result = await check(assembly(gateSettings()), {});
    expect(result).toMatchObject({ code: 0, err: [] });
    expect(result.read).not.toHaveBeenCalled();
    expect(result.out).toEqual([
      'gate-check: floor (not in CodeBuild: the built-in default floor (the pipeline compares with the floor on-call keeps in SSM)): Dev/Bake ≥ 30 min, Prod/ProdBake ≥ 10 min, evidence of traffic required',
      'gate-check: the bake gate of Tollgate is within the floor',
    ]);
  });

  test('a weakening fails the build with one line each and how to do it on purpose', async () => {
    const result = await check(assembly(withBake('Dev/Bake', { minutes: 10, allowNoTraffic: true })), codeBuild);
    expect(result.code).toBe(1);
    expect(result.read).toHaveBeenCalledWith('/tollgate/Tollgate/gate-floor');
    expect(result.err).toEqual([
      'gate-check: weakens the gate of Tollgate: Dev/Bake lasts 10 min, below the floor of 30 min',
      'gate-check: weakens the gate of Tollgate: allowNoTraffic is on for Dev/Bake',
      'gate-check: to do this on purpose, give the commit message a line "tollgate: weaken-gate <reason>"',
    ]);
  });

  test('with the marker it prints the weakening and passes', async () => {
    const result = await check(assembly(withBake('Dev/Bake', { minutes: 10 })), { ...codeBuild, [COMMIT_MESSAGE_ENV]: 'Faster dev\n\ntollgate: weaken-gate INC-9 hotfix' });
    expect(result).toMatchObject({ code: 0, err: [] });
    expect(result.out.slice(1)).toEqual([
      'gate-check: weakens the gate of Tollgate, on purpose ("INC-9 hotfix"): Dev/Bake lasts 10 min, below the floor of 30 min',
      'gate-check: passing by the commit marker; the gate announces its new settings on the release topic',
    ]);
  });

  test('the floor in SSM, not the commit, decides: a stricter floor fails the standard release', async () => {
    const floor = JSON.stringify({ ...DEFAULT_GATE_FLOOR, minimumBakeMinutes: 120 });
    const result = await check(assembly(gateSettings()), codeBuild, floor);
    expect(result.code).toBe(1);
    expect(result.out[0]).toBe('gate-check: floor (/tollgate/Tollgate/gate-floor): Dev/Bake ≥ 120 min, Prod/ProdBake ≥ 10 min, evidence of traffic required');
    expect(result.err[0]).toBe('gate-check: weakens the gate of Tollgate: Dev/Bake lasts 60 min, below the floor of 120 min');
  });

  test('no floor parameter: the default floor applies, and it says so', async () => {
    const result = await check(assembly(gateSettings()), codeBuild, undefined);
    expect(result.code).toBe(0);
    expect(result.out[0]).toMatch(/^gate-check: floor \(no \/tollgate\/Tollgate\/gate-floor: the built-in default floor\)/);
  });

  test('no gate for this pipeline in the assembly fails (a renamed pipeline included)', async () => {
    expect((await check(assembly(undefined), codeBuild)).err[0]).toBe('gate-check: weakens the gate of Tollgate: no bake gate in the pipeline stack');
    const renamed = await check(assembly(gateSettings({ pipelineName: 'Other' })), codeBuild);
    expect(renamed.code).toBe(1);
    expect(renamed.err[0]).toBe('gate-check: weakens the gate of Tollgate: no bake gate in the pipeline stack');
  });

  test.each([
    ['an unreadable floor', new Error('cannot read /tollgate/Tollgate/gate-floor: AccessDeniedException: denied'), /^gate-check: the gate floor cannot be read, so the gate cannot be checked: cannot read \/tollgate\/Tollgate\/gate-floor: AccessDeniedException: denied$/],
    ['a malformed floor', '{"minimumBakeMinutes": -1}', /^gate-check: invalid configuration: \/tollgate\/Tollgate\/gate-floor\.minimumBakeMinutes/],
  ])('fails closed on %s', async (_what, parameter, line) => {
    const result = await check(assembly(gateSettings()), codeBuild, parameter);
    expect(result.code).toBe(1);
    expect(result.err).toEqual([expect.stringMatching(line)]);
  });

  test('fails closed in CodeBuild without the pipeline telling it where the floor is', async () => {
    const result = await check(assembly(gateSettings()), { CODEBUILD_BUILD_ID: 'Build:1' });
    expect(result.code).toBe(1);
    expect(result.err[0]).toContain(`${GATE_CHECK_PIPELINE_ENV} and ${GATE_FLOOR_PARAMETER_ENV} must be set in CodeBuild`);
  });

  test('no assembly: run synth first', async () => {
    const result = await check(fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-empty-')), {});
    expect(result.code).toBe(1);
    expect(result.err[0]).toMatch(/^gate-check: no synthesized app in .*: run `npm run synth` first/);
  });
});
