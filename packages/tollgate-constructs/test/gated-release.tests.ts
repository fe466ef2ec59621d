/**
 * The package's constructs against a toy stage (one stack, one alarm, the reader role and the event forwarder),
 * composed as the README shows: `addGatedStage` for each stage, then `addBakeGate`; and prod in waves with
 * `addGatedWave`.
 */
import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { AlarmEventForwarder, AlarmReaderRole, BAKE_GATE_ASSET, GatedStageOptions, PipelineManifest, ReleasePipeline } from '../src';
import { GATE_SETTINGS_ENV } from '../src/lambdas/bake-gate/settings';

const PIPELINE_ENV = { account: '111111111111', region: 'us-east-1' };
const SOURCE = { fullName: 'org/shop', branch: 'main', connectionArn: 'arn:aws:codeconnections:us-east-1:111111111111:connection/abc' };

function toyStage(app: cdk.App, id: string, account: string, region = 'us-east-1'): cdk.Stage {
  const stage = new cdk.Stage(app, id, { env: { account, region } });
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

describe('prod in waves: dev, then Wave1 (one target), then Wave2 (two targets, one in another region)', () => {
  const app = new cdk.App();
  const stack = new cdk.Stack(app, 'Pipeline', { env: PIPELINE_ENV });
  const pipeline = new ReleasePipeline(stack, 'Release', { pipelineName: 'Shop', source: SOURCE, cliVersion: '2.1148.1', cdkAssetsCliVersion: '4.7.3' });
  const dev = toyStage(app, 'Dev', '222222222222');
  const use1 = toyStage(app, 'Wave1', '333333333333');
  const euw1 = toyStage(app, 'ProdEuw1', '333333333333', 'eu-west-1');
  const other = toyStage(app, 'ProdOther', '444444444444');
  const bake = { bakeTime: cdk.Duration.minutes(30), allowNoTraffic: true };
  const waveOptions = { bake, entryCheck: { lateStartMargin: cdk.Duration.minutes(40) }, rollBackOnFailure: true };
  pipeline.addGatedStage(dev, { environment: environment('dev', dev), bake });
  // A wave of one stage is a pipeline stage named after that stage.
  pipeline.addGatedWave('Wave1', [use1], { ...waveOptions, environments: [environment('prod-use1', use1)] });
  const wave2 = pipeline.addGatedWave('Wave2', [euw1, other], { ...waveOptions, environments: [environment('prod-euw1', euw1), environment('prod-other', other)] });
  const gate = pipeline.addBakeGate(stack, 'BakeGate', { gateRoleName: 'Shop-BakeGate', readerRoleName: 'Shop-AlarmReader' });
  const template = Template.fromStack(stack);
  const stages: Record<string, any>[] = Object.values(template.findResources('AWS::CodePipeline::Pipeline'))[0].Properties.Stages;
  const actions = (name: string): { Name: string; RunOrder: number; ActionTypeId: { Provider: string } }[] => stages.find((s) => s.Name === name)!.Actions;
  const runOrders = (stageName: string, prefix: string) => actions(stageName).filter((a) => a.Name.startsWith(prefix)).map((a) => `${a.Name.slice(prefix.length)}@${a.RunOrder}`);
  const settings = () => {
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((f) => f.Properties.Environment?.Variables?.[GATE_SETTINGS_ENV])!;
    return JSON.parse(fn.Properties.Environment.Variables[GATE_SETTINGS_ENV]['Fn::Join'][1].map((p: unknown) => (typeof p === 'string' ? p : 'Ref')).join(''));
  };

  test('the waves are pipeline stages after Dev, in order, the wave a CDK Pipelines wave with both targets', () => {
    expect(stages.map((s) => s.Name).slice(-3)).toEqual(['Dev', 'Wave1', 'Wave2']);
    expect(wave2.stages.map((s) => s.stageName)).toEqual(['ProdEuw1', 'ProdOther']);
  });

  test("a wave's targets deploy in parallel: each step of one target runs beside the same step of the other", () => {
    const euw1Steps = runOrders('Wave2', 'ProdEuw1-Shop.').concat(runOrders('Wave2', 'ProdEuw1.Shop.'));
    const otherSteps = runOrders('Wave2', 'ProdOther-Shop.').concat(runOrders('Wave2', 'ProdOther.Shop.'));
    expect(euw1Steps.length).toBeGreaterThanOrEqual(2);
    expect(euw1Steps).toEqual(otherSteps);
  });

  test('a bake after each wave, an entry check at its door, each owned by the gate', () => {
    expect([...gate.approvals.keys()]).toEqual(['Dev/Bake', 'Wave1/Bake', 'Wave2/Bake', 'Wave1/EntryCheck', 'Wave2/EntryCheck']);
    for (const wave of ['Wave1', 'Wave2']) {
      const order = (pick: (...n: number[]) => number) => pick(...actions(wave).map((a) => a.RunOrder));
      expect(actions(wave).filter((a) => a.RunOrder === order(Math.max)).map((a) => `${a.Name}:${a.ActionTypeId.Provider}`)).toEqual(['Bake:Manual']);
      expect(actions(wave).filter((a) => a.RunOrder === order(Math.min)).map((a) => a.Name)).toContain('EntryCheck');
    }
  });

  test('a failed wave rolls back its whole stage; dev does not roll back', () => {
    expect(stages.find((s) => s.Name === 'Wave1')!.OnFailure).toEqual({ Result: 'ROLLBACK' });
    expect(stages.find((s) => s.Name === 'Wave2')!.OnFailure).toEqual({ Result: 'ROLLBACK' });
    expect(stages.find((s) => s.Name === 'Dev')!.OnFailure).toBeUndefined();
  });

  test("the gate's settings name every target: each bake's, upstream's and promotion's environments", () => {
    const { environments, bakes, entryChecks } = settings();
    expect(environments.map((e: any) => `${e.name}@${e.account}/${e.region}`)).toEqual([
      'dev@222222222222/us-east-1',
      'prod-use1@333333333333/us-east-1',
      'prod-euw1@333333333333/eu-west-1',
      'prod-other@444444444444/us-east-1',
    ]);
    expect(bakes).toEqual([
      expect.objectContaining({ stageName: 'Dev', environments: ['dev'], promotion: { stageName: 'Wave1', environments: ['prod-use1'], lateStartMinutes: 40 } }),
      expect.objectContaining({
        stageName: 'Wave1',
        environments: ['prod-use1'],
        upstream: { stageName: 'Dev', actionName: 'Bake', environments: ['dev'] },
        promotion: { stageName: 'Wave2', environments: ['prod-euw1', 'prod-other'], lateStartMinutes: 40 },
      }),
      expect.objectContaining({ stageName: 'Wave2', environments: ['prod-euw1', 'prod-other'], upstream: { stageName: 'Wave1', actionName: 'Bake', environments: ['prod-use1'] } }),
    ]);
    expect(entryChecks.map((c: any) => [c.stageName, c.upstream.environments, c.promotion.environments])).toEqual([
      ['Wave1', ['dev'], ['prod-use1']],
      ['Wave2', ['prod-use1'], ['prod-euw1', 'prod-other']],
    ]);
  });

  test("the gate may assume each target account's reader role, once per account, and each account may send it alarm events", () => {
    const reader = (account: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${account}:role/Shop-AlarmReader`]] });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([{ Action: 'sts:AssumeRole', Effect: 'Allow', Resource: ['222222222222', '333333333333', '444444444444'].map(reader) }]) },
    });
    const policies = Object.values(template.findResources('AWS::Events::EventBusPolicy')).map((p) => p.Properties.Statement.Principal.AWS);
    expect(policies.map((p) => JSON.stringify(p).match(/\d{12}/)![0]).sort()).toEqual(['222222222222', '333333333333', '444444444444']);
  });

  test("the target in another region forwards its alarm events to the gate's bus in the pipeline's region", () => {
    Template.fromStack(euw1.node.findChild('Shop') as cdk.Stack).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { detail: { alarmName: ['ProdEuw1-Errors'] } },
      Targets: [Match.objectLike({ Arn: 'arn:aws:events:us-east-1:111111111111:event-bus/default' })],
    });
  });

  describe('its manifest for the command line', () => {
    /** The manifest of this pipeline, its gate described with `extra` more environments (each ~210 bytes). */
    const manifestWith = (id: string, extra = 0) => {
      const padding = Array.from({ length: extra }, (_, i) => ({ ...environment(`prod-extra-${i}`, other), alarmNames: [`Prod-Extra-Target-${i}-Service-Health`] }));
      return new PipelineManifest(stack, id, {
        pipeline: pipeline.codePipeline,
        pipelineName: 'Shop',
        bakeGate: gate,
        gate: { ...gate.props, environments: [...gate.props.environments, ...padding] },
        operatorRoleName: 'Shop-Operator',
        topicName: 'shop-release-events',
        stateTableName: 'shop-gate',
      });
    };
    const tier = (m: PipelineManifest) => (m.parameter.node.defaultChild as ssm.CfnParameter).tier;

    test('lists each gate action with its environments, and the waves as the promotion stages, in a standard parameter', () => {
      const manifest = manifestWith('Manifest');
      expect(manifest.document.schemaVersion).toBe(2);
      expect(manifest.document.promotionStages).toEqual(['Wave1', 'Wave2']);
      expect(manifest.document.gateActions).toEqual([
        { kind: 'bake', stage: 'Dev', action: 'Bake', environments: ['dev'], minutes: 30 },
        { kind: 'bake', stage: 'Wave1', action: 'Bake', environments: ['prod-use1'], minutes: 30 },
        { kind: 'bake', stage: 'Wave2', action: 'Bake', environments: ['prod-euw1', 'prod-other'], minutes: 30 },
        { kind: 'entry-check', stage: 'Wave1', action: 'EntryCheck', environments: ['prod-use1'] },
        { kind: 'entry-check', stage: 'Wave2', action: 'EntryCheck', environments: ['prod-euw1', 'prod-other'] },
      ]);
      expect(tier(manifest)).toBe('Standard');
    });

    test('takes an advanced parameter only above 4 KB, and is refused at synth above 8 KB, saying how many targets fit', () => {
      const big = manifestWith('Big', 20);
      expect(Buffer.byteLength(JSON.stringify(big.document))).toBeGreaterThan(4096);
      expect(tier(big)).toBe('Advanced');
      expect(() => manifestWith('Huge', 40)).toThrow(
        /^PipelineManifest: the manifest is \d+ bytes for 44 environments, more than an advanced SSM parameter's 8192: about 3\d environments like these fit; /,
      );
    });
  });

  test('a wave needs one environment per stage, and a forwarder a bus ARN with its region', () => {
    const fresh = new ReleasePipeline(new cdk.Stack(new cdk.App(), 'P', { env: PIPELINE_ENV }), 'Release', { pipelineName: 'Shop', source: SOURCE, cliVersion: '2.1148.1', cdkAssetsCliVersion: '4.7.3' });
    expect(() => fresh.addGatedWave('Wave', [new cdk.Stage(new cdk.App(), 'A')], { environments: [] })).toThrow(
      'ReleasePipeline: wave Wave needs one environment per stage, got 1 stages and 0 environments',
    );
    expect(() => new AlarmEventForwarder(new cdk.Stack(), 'F', { alarmNames: ['A'], targetEventBusArn: 'arn:aws:events::111111111111:event-bus/default' })).toThrow(
      'AlarmEventForwarder: targetEventBusArn must be an event bus ARN with its region spelled out, got arn:aws:events::111111111111:event-bus/default',
    );
  });
});
