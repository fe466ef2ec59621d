/**
 * The package's constructs against a toy stage (one stack, one alarm, the reader role and the event forwarder),
 * composed as the README shows: `addGatedStage` for each stage, then `addBakeGate`.
 */
import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { AlarmEventForwarder, AlarmReaderRole, BAKE_GATE_ASSET, GatedStageOptions, ReleasePipeline } from '../src';
import { GATE_SETTINGS_ENV } from '../src/lambdas/bake-gate/settings';

const PIPELINE_ENV = { account: '111111111111', region: 'us-east-1' };
const SOURCE = { fullName: 'org/shop', branch: 'main', connectionArn: 'arn:aws:codeconnections:us-east-1:111111111111:connection/abc' };

function toyStage(app: cdk.App, id: string, account: string): cdk.Stage {
  const stage = new cdk.Stage(app, id, { env: { account, region: 'us-east-1' } });
  const stack = new cdk.Stack(stage, 'Shop');
  new cloudwatch.Alarm(stack, 'Errors', {
    alarmName: `${id}-Errors`,
    metric: new cloudwatch.Metric({ namespace: 'Shop', metricName: 'Errors' }),
    threshold: 1,
    evaluationPeriods: 1,
  });
  new AlarmReaderRole(stack, 'Reader', { roleName: 'Shop-AlarmReader', trustedAccount: PIPELINE_ENV.account, trustedRoleNames: ['Shop-BakeGate'] });
  new AlarmEventForwarder(stack, 'Forwarder', { alarmNames: [`${id}-Errors`], targetEventBusArn: 'arn:aws:events:us-east-1:111111111111:event-bus/default' });
  return stage;
}

const environment = (name: string, stage: cdk.Stage) => ({ name, account: stage.account!, region: stage.region!, alarmNames: [`${stage.stageName}-Errors`] });

function gatedPipeline(prod: Partial<GatedStageOptions> = {}) {
  const app = new cdk.App();
  const stack = new cdk.Stack(app, 'Pipeline', { env: PIPELINE_ENV });
  const pipeline = new ReleasePipeline(stack, 'Release', { pipelineName: 'Shop', source: SOURCE, cliVersion: '2.1148.1', cdkAssetsCliVersion: '4.7.3' });
  const staging = toyStage(app, 'Staging', '222222222222');
  const production = toyStage(app, 'Production', '333333333333');
  pipeline.addGatedStage(staging, { environment: environment('staging', staging), bake: { bakeTime: cdk.Duration.minutes(60), allowNoTraffic: true } });
  pipeline.addGatedStage(production, {
    environment: environment('production', production),
    entryCheck: { lateStartMargin: cdk.Duration.minutes(15) },
    bake: { actionName: 'ProdBake', bakeTime: cdk.Duration.minutes(30), allowNoTraffic: true },
    rollBackOnFailure: true,
    ...prod,
  });
  return { app, stack, pipeline, staging, production };
}

describe('a pipeline composed with addGatedStage and addBakeGate', () => {
  const { stack, pipeline, staging } = gatedPipeline();
  const gate = pipeline.addBakeGate(stack, 'BakeGate', { gateRoleName: 'Shop-BakeGate', readerRoleName: 'Shop-AlarmReader' });
  const template = Template.fromStack(stack);
  const stages: Record<string, any>[] = Object.values(template.findResources('AWS::CodePipeline::Pipeline'))[0].Properties.Stages;
  /** The stage's last action by run order: what runs after every deployment. */
  const last = (name: string) => {
    const actions = stages.find((s) => s.Name === name)!.Actions;
    const order = Math.max(...actions.map((a: any) => a.RunOrder));
    return actions.filter((a: any) => a.RunOrder === order).map((a: any) => `${a.Name}:${a.ActionTypeId.Provider}`);
  };

  test('the gate owns a bake at the end of each stage and the entry check at the door of the second', () => {
    expect([...gate.approvals.keys()]).toEqual(['Staging/Bake', 'Production/ProdBake', 'Production/EntryCheck']);
    expect(last('Staging')).toEqual(['Bake:Manual']);
    const production = stages.find((s) => s.Name === 'Production')!.Actions;
    const first = Math.min(...production.map((a: any) => a.RunOrder));
    expect(production.filter((a: any) => a.RunOrder === first).map((a: any) => a.Name)).toContain('EntryCheck');
    expect(last('Production')).toEqual(['ProdBake:Manual']);
  });

  test('the first bake promotes to the next stage with its entry margin; the second has the first as upstream', () => {
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((f) => f.Properties.Environment?.Variables?.[GATE_SETTINGS_ENV])!;
    // The settings are JSON with the pipeline's name as a reference: `{ Fn::Join: ['', [...parts]] }`.
    const joined = fn.Properties.Environment.Variables[GATE_SETTINGS_ENV]['Fn::Join'][1].map((p: unknown) => (typeof p === 'string' ? p : 'Ref')).join('');
    const settings = JSON.parse(joined);
    expect(settings.bakes).toEqual([
      expect.objectContaining({ stageName: 'Staging', environments: ['staging'], promotion: { stageName: 'Production', environments: ['production'], lateStartMinutes: 15 } }),
      expect.objectContaining({ stageName: 'Production', actionName: 'ProdBake', upstream: { stageName: 'Staging', environments: ['staging'], actionName: 'Bake' } }),
    ]);
    expect(settings.entryChecks).toEqual([expect.objectContaining({ stageName: 'Production', upstream: { stageName: 'Staging', environments: ['staging'], actionName: 'Bake' } })]);
  });

  test('a stage added with rollBackOnFailure rolls back on failure; the other does not', () => {
    expect(stages.find((s) => s.Name === 'Production')!.OnFailure).toEqual({ Result: 'ROLLBACK' });
    expect(stages.find((s) => s.Name === 'Staging')!.OnFailure).toBeUndefined();
  });

  test("the gate function runs the package's pre-bundled handler, not source bundled at synth", () => {
    expect(path.relative(path.join(__dirname, '..'), BAKE_GATE_ASSET)).toBe(path.join('lib', 'assets', 'bake-gate'));
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Environment: { Variables: Match.objectLike({ [GATE_SETTINGS_ENV]: Match.anyValue() }) },
    });
  });

  test("the toy stage's reader role trusts exactly the gate's role", () => {
    Template.fromStack(staging.node.findChild('Shop') as cdk.Stack).hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'Shop-AlarmReader',
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Condition: { ArnEquals: { 'aws:PrincipalArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::111111111111:role/Shop-BakeGate']] } } } })] },
    });
  });

  test('no stage can be added once the gate is', () => {
    expect(() => pipeline.addGatedStage(new cdk.Stage(stack.node.root, 'Late'), {})).toThrow('ReleasePipeline: stage Late added after the pipeline was built');
  });
});

test('an entry check with no baked stage before it is refused', () => {
  const app = new cdk.App();
  const stack = new cdk.Stack(app, 'Pipeline', { env: PIPELINE_ENV });
  const pipeline = new ReleasePipeline(stack, 'Release', { pipelineName: 'Shop', source: SOURCE, cliVersion: '2.1148.1', cdkAssetsCliVersion: '4.7.3' });
  const only = toyStage(app, 'Only', '222222222222');
  pipeline.addGatedStage(only, { environment: environment('only', only), entryCheck: {}, bake: { bakeTime: cdk.Duration.minutes(5), allowNoTraffic: true } });
  expect(() => pipeline.addBakeGate(stack, 'BakeGate', { gateRoleName: 'Shop-BakeGate', readerRoleName: 'Shop-AlarmReader' })).toThrow(
    'ReleasePipeline: stage Only has an entry check but no baked stage before it',
  );
});

test('a pipeline never built fails synthesis with what to call, rather than deploying half a pipeline', () => {
  const app = new cdk.App();
  const stack = new cdk.Stack(app, 'Pipeline', { env: PIPELINE_ENV });
  const pipeline = new ReleasePipeline(stack, 'Release', { pipelineName: 'Shop', source: SOURCE, cliVersion: '2.1148.1', cdkAssetsCliVersion: '4.7.3' });
  pipeline.addGatedStage(toyStage(app, 'Staging', '222222222222'));
  expect(() => app.synth()).toThrow(/ReleasePipeline: call buildPipeline\(\) \(or addBakeGate\) after adding its stages/);
});
