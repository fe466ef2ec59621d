/**
 * Any number of gated stages, as configuration: dev → staging → prod in a 3-wave, 6-target configuration (three
 * regions in the first two waves, a second account in the last), synthesized whole, with cdk-nag over every stack,
 * the waves' and staging's service stacks included.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { parseGateSettings } from '@tollgate/constructs/lib/lambdas/bake-gate/settings';
import type { PlanReport } from '../../cli/commands/plan';
import { WIDTH } from '../../cli/text';
import { clearTollgateEnv, run } from '../cli-fixture';
import { synthesizeTollgate } from '../fixture';
import { awsSolutionsFindings } from '../nag';

const waves = [
  [{ region: 'us-east-1' }],
  [{ region: 'us-west-2' }, { region: 'eu-west-1' }],
  [{ region: 'eu-central-1' }, { region: 'ap-southeast-2' }, { account: '555555555555', region: 'us-east-1', name: 'us-east-1-b' }],
];
const staging = { name: 'staging', account: '666666666666', region: 'us-east-1', bakeMinutes: 90 };
const synthesized = synthesizeTollgate({ tollgate: { preProd: [staging], prod: { waves }, bake: { waveBakeMinutes: [120, 60, 30] } } });
const template = synthesized.pipeline;
const [pipeline] = Object.values(template.findResources('AWS::CodePipeline::Pipeline'));
type Action = { Name: string; RunOrder: number; ActionTypeId: { Category: string; Provider: string }; Configuration?: Record<string, unknown>; RoleArn?: unknown };
const stages = pipeline.Properties.Stages as { Name: string; Actions: Action[]; OnFailure?: { Result: string } }[];
const stageNamed = (name: string) => stages.find((s) => s.Name === name)!;
const settings = parseGateSettings(
  (() => {
    const gate = Object.values(template.findResources('AWS::Lambda::Function')).find((r) => r.Properties.Environment?.Variables?.BAKE_GATE_SETTINGS);
    const value = gate!.Properties.Environment.Variables.BAKE_GATE_SETTINGS;
    // The settings hold the reader roles' ARNs with the partition as a token: render it as the gate receives it.
    return typeof value === 'string' ? value : value['Fn::Join'][1].map((part: unknown) => (typeof part === 'string' ? part : 'aws')).join('');
  })(),
);

describe('dev → staging → prod in three waves of 1, 2 and 3 targets', () => {
  test('staging follows Dev and the waves follow staging, in order, one pipeline stage each', () => {
    // CDK Pipelines renders the first wave, of one target, as that target's stage.
    expect(stages.map((s) => s.Name)).toEqual(['Source', 'Build', 'UpdatePipeline', 'Assets', 'Sandbox', 'Dev', 'Staging', 'Prod-us-east-1', 'Prod-Wave2', 'Prod-Wave3']);
  });

  test("staging is a gated stage of its own: Staging-Service in its account, the gate's entry check and bake, promoting to the first wave; no rollback", () => {
    const { serviceStage } = synthesized.pipelineStack.preProdStages[0];
    expect([serviceStage.service.stackName, serviceStage.account, serviceStage.region]).toEqual(['Staging-Service', '666666666666', 'us-east-1']);
    const names = stageNamed('Staging').Actions.filter((a) => a.ActionTypeId.Category === 'Approval').map((a) => a.Name).sort();
    expect(names).toEqual(['Bake', 'EntryCheck']);
    expect(stageNamed('Staging').OnFailure).toBeUndefined();
    const bake = settings.bakes.find((b) => b.stageName === 'Staging')!;
    expect([bake.minutes, bake.environments, bake.upstream?.stageName, bake.promotion?.stageName]).toEqual([90, ['staging'], 'Dev', 'Prod-us-east-1']);
    expect(settings.entryChecks.find((c) => c.stageName === 'Staging')).toMatchObject({ upstream: { stageName: 'Dev' }, promotion: { environments: ['staging'] } });
  });

  test("a wave's targets deploy in parallel: each target's Deploy action has the same run order, into its own account and region", () => {
    const deploys = stageNamed('Prod-Wave3').Actions.filter((a) => a.ActionTypeId.Provider === 'CloudFormation' && /Deploy$/.test(a.Name));
    expect(deploys.map((a) => a.Configuration!.StackName).sort()).toEqual(['Prod-ap-southeast-2-Service', 'Prod-eu-central-1-Service', 'Prod-us-east-1-b-Service']);
    expect(new Set(deploys.map((a) => a.RunOrder)).size).toBe(1);
    expect(synthesized.pipelineStack.prodTargets.map((t) => [t.stage.stageName, t.stage.account, t.stage.region])).toEqual([
      ['Prod-us-east-1', '333333333333', 'us-east-1'],
      ['Prod-us-west-2', '333333333333', 'us-west-2'],
      ['Prod-eu-west-1', '333333333333', 'eu-west-1'],
      ['Prod-eu-central-1', '333333333333', 'eu-central-1'],
      ['Prod-ap-southeast-2', '333333333333', 'ap-southeast-2'],
      ['Prod-us-east-1-b', '555555555555', 'us-east-1'],
    ]);
  });

  test('every wave opens with the entry check, ends with its own bake, and rolls back on failure', () => {
    for (const name of ['Prod-us-east-1', 'Prod-Wave2', 'Prod-Wave3']) {
      const stage = stageNamed(name);
      const orders = stage.Actions.map((a) => a.RunOrder);
      // Beside the targets' Prepare actions, before any deployment; the bake after everything else.
      expect(stage.Actions.find((a) => a.Name === 'EntryCheck')).toMatchObject({ RunOrder: Math.min(...orders), ActionTypeId: { Category: 'Approval' } });
      expect(stage.Actions.filter((a) => a.RunOrder === Math.max(...orders))).toEqual([expect.objectContaining({ Name: 'ProdBake', ActionTypeId: expect.objectContaining({ Category: 'Approval' }) })]);
      expect(stage.OnFailure).toEqual({ Result: 'ROLLBACK' });
    }
    expect(stageNamed('Dev').OnFailure).toBeUndefined();
  });

  test('the gate bakes each wave over all its targets, for that wave\'s minutes, each promoting to the next wave', () => {
    const prodBakes = settings.bakes.filter((b) => b.stageName.startsWith('Prod-'));
    expect(prodBakes.map((b) => [b.stageName, b.minutes, b.environments, b.promotion?.stageName ?? null, b.upstream?.stageName])).toEqual([
      ['Prod-us-east-1', 120, ['prod-us-east-1'], 'Prod-Wave2', 'Staging'],
      ['Prod-Wave2', 60, ['prod-us-west-2', 'prod-eu-west-1'], 'Prod-Wave3', 'Prod-us-east-1'],
      ['Prod-Wave3', 30, ['prod-eu-central-1', 'prod-ap-southeast-2', 'prod-us-east-1-b'], null, 'Prod-Wave2'],
    ]);
    expect(prodBakes.every((b) => !b.allowNoTraffic)).toBe(true);
  });

  test('every target is an environment of the gate: its own health alarm, reader role and evidence', () => {
    const targets = settings.environments.filter((e) => e.name.startsWith('prod-'));
    expect(targets.map((e) => [e.name, e.account, e.region, e.alarmNames[0], e.readerRoleArn])).toEqual(
      synthesized.pipelineStack.prodTargets.map((t) => [
        t.stage.stageName.toLowerCase(),
        t.stage.account,
        t.stage.region,
        `${t.stage.stageName}-Service-Health`,
        `arn:aws:iam::${t.stage.account}:role/Tollgate-AlarmReader`,
      ]),
    );
    expect(targets.every((e) => e.evidence.syntheticChecks?.minimumCoveragePercent === 90)).toBe(true);
  });

  test("each target forwards its alarms' state changes to the deployment account's bus in the pipeline's region", () => {
    const target = synthesized.pipelineStack.prodTargets.find((t) => t.stage.region === 'ap-southeast-2')!;
    Template.fromStack(target.stage.service).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'] }),
      Targets: Match.arrayWith([Match.objectLike({ Arn: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([Match.stringLikeRegexp(':events:us-east-1:111111111111:event-bus/default')])]) }) })]),
    });
  });

  test("cdk-nag finds nothing unsuppressed in the pipeline, its support stacks in the targets' regions, and every wave target", () => {
    expect(awsSolutionsFindings(synthesized.pipelineStack)).toEqual([]);
    const support = Object.values(synthesized.pipelineStack.releasePipeline.codePipeline.crossRegionSupport);
    // An artifact store per region a target deploys to (the pipeline's own region's is the artifact bucket).
    expect(support.map((s) => s.stack.region).sort()).toEqual(['ap-southeast-2', 'eu-central-1', 'eu-west-1', 'us-east-1', 'us-west-2']);
    for (const s of support) expect(awsSolutionsFindings(s.stack)).toEqual([]);
    for (const t of synthesized.pipelineStack.prodTargets) expect(awsSolutionsFindings(t.stage.service)).toEqual([]);
    expect(awsSolutionsFindings(synthesized.pipelineStack.preProdStages[0].serviceStage.service)).toEqual([]);
  });
});

describe('plan with prod in waves', () => {
  let report: PlanReport;
  let picture: string[];
  beforeAll(async () => {
    clearTollgateEnv();
    const dir = synthesized.app.synth().directory;
    // Monday 09:00 New York: the calendar holds nothing back until the afternoon.
    const json = await run('plan', '--dir', dir, '--json', '--pushed-at', '2026-11-23T14:00:00Z');
    expect(json.err).toEqual([]);
    report = (JSON.parse(json.stdout) as { result: PlanReport }).result;
    picture = (await run('plan', '--dir', dir, '--pushed-at', '2026-11-23T14:00:00Z')).out;
  });

  test('every wave is a promotion stage, reached at the earliest after the bake and alarm latency of the wave before', () => {
    expect(report.promotionStages).toEqual(['Prod-us-east-1', 'Prod-Wave2', 'Prod-Wave3']);
    const reached = report.timeline.promotions.map((p) => [p.stage, Date.parse(p.reachedAt)] as const);
    expect(reached.map(([stage]) => stage)).toEqual(report.promotionStages);
    const bakeEnd = (stage: string) => Date.parse(report.timeline.steps.filter((s) => s.stage === stage && s.kind === 'alarm latency')[0].endsAt);
    // Wave 2 starts when wave 1's bake (120 min) and its alarm latency end, or later when the calendar holds it.
    expect(reached[1][1]).toBeGreaterThanOrEqual(bakeEnd('Prod-us-east-1'));
    expect(reached[2][1]).toBeGreaterThanOrEqual(bakeEnd('Prod-Wave2'));
    expect(report.timeline.steps.filter((s) => s.kind === 'bake' && s.stage.startsWith('Prod')).map((s) => s.minutes)).toEqual([120, 60, 30]);
  });

  test('the picture names each wave and when it is reached, within the width', () => {
    expect(picture.filter((line) => line.length > WIDTH)).toEqual([]);
    expect(picture.filter((line) => /^ {2}reaches /.test(line)).map((line) => line.split(/ {2,}/)[1])).toEqual(['reaches Prod', 'reaches Prod-Wave2', 'reaches Prod-Wave3']);
  });
});
