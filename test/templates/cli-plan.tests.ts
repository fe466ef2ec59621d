/**
 * `plan` against the real app: synthesized once, in process, into a temporary directory with cdk.json's
 * context, exactly the cloud assembly `cdk synth` writes.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { PlanReport } from '../../cli/commands/plan';
import { evidenceLine, planPicture } from '../../cli/plan/picture';
import { WIDTH } from '../../cli/text';
import { readAssembly } from '../../cli/plan/assembly';
import { PlanBake } from '../../cli/plan/bakes';
import { promotionPlan, stageExposure, stageServiceExposure } from '../../cli/plan/promotion';
import { MANIFEST_METADATA_KEY, PipelineManifestDocument } from '@tollgate/constructs/lib/domain/pipeline-manifest';
import { LIST_PRICES, TOLLGATE_FOOTPRINT, codeBuildCompute, priceTable, releaseCost } from '@tollgate/constructs/lib/domain/release-cost';
import { planCost } from '../../cli/plan/cost';
import { DEFAULT_ESTIMATES, earliestTimeline } from '../../cli/plan/timeline';
import { sharedTollgate } from '../fixture';
import { NOW, clearTollgateEnv, run } from '../cli-fixture';
import { expectGolden } from '../golden';

const root = path.join(__dirname, '..', '..');
let outdir: string;
let report: PlanReport;
let pipelineTemplate: { Resources: Record<string, { Type: string; Properties: any }>; Metadata: Record<string, unknown> };

beforeAll(async () => {
  clearTollgateEnv();
  // The shared app's cloud assembly, written as `cdk synth` writes it (construct paths on).
  outdir = sharedTollgate().app.synth().directory;
  const result = await run('plan', '--dir', outdir, '--json');
  expect(result.err).toEqual([]);
  expect(result.code).toBe(0);
  // The --json envelope: { command, result }.
  report = (JSON.parse(result.stdout) as { command: string; result: PlanReport }).result;
  pipelineTemplate = JSON.parse(fs.readFileSync(path.join(outdir, 'Tollgate-Pipeline.template.json'), 'utf8'));
});

describe('plan on the synthesized app', () => {
  test('lists the pipeline stages exactly as the pipeline template orders them', () => {
    const pipeline = Object.values(pipelineTemplate.Resources).find((r) => r.Type === 'AWS::CodePipeline::Pipeline')!;
    expect(report.promotion.pipelineName).toBe('Tollgate');
    expect(report.promotion.stages.map((s) => s.name)).toEqual(pipeline.Properties.Stages.map((s: { Name: string }) => s.Name));
    expect(report.promotion.source).toEqual({ repository: 'example-org/tollgate', branch: 'main' });
  });

  test('Dev deploys Dev-Service into the dev account before Prod deploys Prod-Service into the prod account', () => {
    const names = report.promotion.stages.map((s) => s.name);
    expect(names.indexOf('Dev')).toBeGreaterThan(names.indexOf('Source'));
    expect(names.indexOf('Prod')).toBeGreaterThan(names.indexOf('Dev'));
    const deploys = (stage: string) => report.promotion.stages.find((s) => s.name === stage)!.deploys.map((d) => [d.stackName, d.account, d.region]);
    expect(deploys('Dev')).toEqual([['Dev-Service', '222222222222', 'us-east-1']]);
    expect(deploys('Prod')).toEqual([['Prod-Service', '333333333333', 'us-east-1']]);
  });

  test('the earliest path adds the build, every stage and the bake in order, and reaches prod before it is released', () => {
    const { timeline } = report;
    expect(timeline.pushedAt).toBe('2026-11-22T10:30:00Z');
    expect(timeline.steps[0]).toMatchObject({ kind: 'build', minutes: DEFAULT_ESTIMATES.buildMinutes, startsAt: '2026-11-22T10:30:00Z' });
    for (let i = 1; i < timeline.steps.length; i++) expect(timeline.steps[i].startsAt).toBe(timeline.steps[i - 1].endsAt);
    const total = timeline.steps.reduce((sum, s) => sum + s.minutes, 0);
    expect(Date.parse(timeline.releasedAt!) - NOW.getTime()).toBe(total * 60_000);
    expect(Date.parse(timeline.reachesProdAt!)).toBeLessThan(Date.parse(timeline.releasedAt!));
    // Only the wait for the calendar happens before the commit enters prod.
    const prodWork = timeline.steps.filter((s) => s.stage === 'Prod' && s.kind !== 'calendar');
    expect(prodWork.length).toBeGreaterThan(0);
    expect(prodWork.every((s) => s.startsAt >= timeline.reachesProdAt!)).toBe(true);
  });

  test('the dev bake: the gate\'s approval after Dev\'s deployment holds the build for the bake and the alarm latency before Prod', () => {
    const dev = report.promotion.stages.find((s) => s.name === 'Dev')!;
    const deployOrder = Math.max(...dev.actions.filter((a) => a.stackName).map((a) => a.runOrder));
    expect(dev.actions.find((a) => a.name === 'Bake')).toMatchObject({ category: 'Approval', runOrder: deployOrder + 1 });
    expect(dev.approvals[0].timeoutMinutes).toBeGreaterThan(60);
    const devSteps = report.timeline.steps.filter((s) => s.stage === 'Dev').map((s) => [s.kind, s.what, s.minutes]);
    // Dev shifts the API's traffic all at once; the tile server's ECS deployment then bakes for 5 minutes, and
    // CloudFormation waits for it.
    expect(devSteps).toEqual([
      ['guard', 'Dev-Service', 2],
      ['deploy', 'Dev-Service', 5],
      ['traffic', 'all at once, then a 5 min bake', 5],
      ['bake', 'dev bake in approval Bake', 60],
      ['alarm latency', "for the alarms to judge the bake's last minutes", 3],
    ]);
    expect(report.timeline.steps.findIndex((s) => s.stage === 'Prod')).toBeGreaterThan(report.timeline.steps.findIndex((s) => s.kind === 'bake'));
  });

  test('the prod bake: a gate-owned approval ending Prod, 30 min after the canary, then the alarm latency; no onSuccess watch', () => {
    const prod = report.promotion.stages.find((s) => s.name === 'Prod')!;
    const deployOrder = Math.max(...prod.actions.filter((a) => a.stackName).map((a) => a.runOrder));
    expect(prod.actions.find((a) => a.name === 'ProdBake')).toMatchObject({ category: 'Approval', runOrder: deployOrder + 1 });
    expect(prod.conditions).toEqual({ beforeEntry: [], onSuccess: [], onFailure: [{ result: 'ROLLBACK', rules: [] }] });
    const prodSteps = report.timeline.steps.filter((s) => s.stage === 'Prod' && s.kind !== 'calendar').map((s) => [s.kind, s.what, s.minutes]);
    expect(prodSteps).toEqual([
      ['entry check', 'dev clean since its bake, prod healthy, calendar open, nothing halted', 0],
      ['guard', 'Prod-Service', 2],
      ['deploy', 'Prod-Service', 5],
      ['traffic', 'canary 10 % for 10 min, then all', 10],
      ['bake', 'prod bake in approval ProdBake', 30],
      ['alarm latency', "for the alarms to judge the bake's last minutes", 3],
    ]);
    expect(Date.parse(report.timeline.releasedAt!) - Date.parse(report.timeline.reachesProdAt!)).toBe((2 + 15 + 30 + 3) * 60_000);
  });

  test('the bakes come from the synthesized gate, evidence required by default, and are the approvals status and stop know', () => {
    expect(report.bakes).toEqual<PlanBake[]>([
      { stage: 'Dev', action: 'Bake', environment: 'dev', minutes: 60, alarmLatencyMinutes: 3, evidence: { syntheticCoveragePercent: 90 }, promotesTo: 'Prod' },
      { stage: 'Prod', action: 'ProdBake', environment: 'prod', minutes: 30, alarmLatencyMinutes: 3, evidence: { syntheticCoveragePercent: 90 }, upstream: { approval: 'Dev/Bake', environment: 'dev' } },
    ]);
    // The gate's settings and the pipeline manifest (which status and stop read) name the same approvals.
    const manifest = pipelineTemplate.Metadata[MANIFEST_METADATA_KEY] as PipelineManifestDocument;
    expect(report.bakes.map((b) => ({ kind: 'bake', stage: b.stage, action: b.action, environments: [b.environment], minutes: b.minutes }))).toEqual(
      manifest.gateActions.filter((a) => a.kind === 'bake'),
    );
    expect(report.entryChecks.map((c) => ({ kind: 'entry-check', stage: c.stage, action: c.action, environments: [c.environment] }))).toEqual(
      manifest.gateActions.filter((a) => a.kind === 'entry-check'),
    );
    expect(report.promotionStages).toEqual(manifest.promotionStages);
    expect(report.lateStartMarginMinutes).toBe(20 + 30 + 3);
  });

  test('the prod canary, its alarms and automatic rollback, as the prod template configures them', () => {
    const [shift] = report.promotion.stages.find((s) => s.name === 'Prod')!.deploys[0].trafficShifts;
    expect(shift.shift).toEqual({ type: 'canary', percent: 10, intervalMinutes: 10, predefinedName: 'CodeDeployDefault.LambdaCanary10Percent10Minutes' });
    expect(shift.totalMinutes).toBe(10);
    expect(shift.alarms.map((a) => a.name)).toEqual(expect.arrayContaining(['Prod-Service-NewVersionErrors', 'Prod-Service-Api5xxRate']));
    expect(shift.autoRollbackEvents).toEqual(expect.arrayContaining(['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM']));
  });

  test('the worst-case prod exposure is the canary\'s own figure: at most 10 % of traffic for at most 3 minutes', () => {
    expect(report.exposure).toMatchObject({ sharePercent: 10, minutes: 3, stackName: 'Prod-Service', constructPath: 'Prod/Service/Canary/DeploymentGroup' });
    expect('description' in report.exposure && report.exposure.description).toMatch(/^10% of traffic for 3 minutes/);
  });

  test("the prod tile server's ECS canary, its alarms and its bake, as the prod template configures them", () => {
    const [rollout] = report.promotion.stages.find((s) => s.name === 'Prod')!.deploys[0].serviceRollouts;
    expect(rollout).toMatchObject({
      service: 'Prod/Service/TileServer/Service/Service',
      strategy: 'CANARY',
      shift: { type: 'canary', percent: 10, canaryBakeMinutes: 5, bakeMinutes: 5 },
      totalMinutes: 10,
      rollbackOnAlarm: true,
      circuitBreakerRollback: true,
    });
    expect(rollout.watchedAlarms.map((a) => a.name)).toEqual(['Prod-Service-TileServer5xx', 'Prod-Service-TileServerUnhealthy']);
  });

  test("the worst-case prod exposure through ECS, beside CodeDeploy's: also at most 10 % of traffic for at most 3 minutes", () => {
    expect(report.serviceExposure).toMatchObject({ sharePercent: 10, minutes: 3, stackName: 'Prod-Service', constructPath: 'Prod/Service/TileServer/Service/Service' });
    expect('description' in report.serviceExposure && report.serviceExposure.description).toMatch(/^10% of traffic for 3 minutes/);
  });

  test('the picture says when either figure is unknown, and why', () => {
    const lines = planPicture({ ...report, exposure: { unavailable: 'no alarm' }, serviceExposure: { unavailable: 'the deployment ends first' } }, 'Prod');
    const at = lines.findIndex((l) => l.startsWith('  worst case'));
    expect(lines.slice(at, at + 2)).toEqual(['  worst case    Lambda: unknown (no alarm)', '                ECS: unknown (the deployment ends first)']);
  });

  test('a commit pushed on a Sunday waits in the bake for Monday 09:00 New York before it reaches prod', () => {
    // Sunday 10:30Z + 20 min build + 2 min sandbox guard + 5 min sandbox deploy + 5 min integration tests + 2 min
    // dev guard + 5 min dev + 5 min the tile server's bake + 60 min bake + 3 min alarm latency = Sunday 12:17Z: the
    // calendar opens Monday 09:00-05:00.
    expect(report.timeline.steps.find((s) => s.kind === 'calendar')).toMatchObject({
      stage: 'Prod',
      startsAt: '2026-11-22T12:17:00Z',
      endsAt: '2026-11-23T14:00:00Z',
      what: 'wait for the release calendar: Sunday',
    });
    expect(report.timeline.reachesProdAt).toBe('2026-11-23T14:00:00Z');
    expect(report.gates.calendar).toBe('Mon–Thu 09:00–16:00 America/New_York, closed on public holidays of US');
  });

  test("a release's cost follows from the earliest path: billed minutes of its work, CodeBuild at its projects' compute type, the gate's and the synthetic checks' minutes, the deployed stacks' assets", () => {
    const minutes = (...kinds: string[]) => report.timeline.steps.filter((s) => kinds.includes(s.kind)).reduce((sum, s) => sum + s.minutes, 0);
    expect(report.cost.usage).toEqual({
      actionMinutes: minutes('build', 'guard', 'deploy', 'tests', 'traffic'),
      // The guards and the Sandbox stage's integration tests run on the pipeline's CodeBuild compute type too.
      buildMinutes: { 'general1.medium': minutes('build', 'guard', 'tests') },
      // The build waits for the calendar in the gate's approval: the gate checks it every minute meanwhile.
      gateMinutes: minutes('bake', 'alarm latency', 'calendar'),
      bakeMinutes: minutes('bake', 'alarm latency'),
      // The tests synthesize without bundling: the functions' assets are their sources, not staged in cdk.out.
      assetBytes: undefined,
      // Every stage is in the pipeline's region.
      crossRegionAssetBytes: 0,
    });
    expect(report.cost.notCounted).toEqual(['S3 assets: not staged in the cloud assembly (synthesized without bundling?)']);
    expect(report.cost.cost.dollars).toBeCloseTo(releaseCost(report.cost.usage, LIST_PRICES.prices).dollars, 12);
    expect(report.cost.prices).toBe('us-east-1 list prices as of June 2025, unverified');
  });

  test('the assets a stack publishes, as staged in the cloud assembly: their bytes, its template included', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-assets-'));
    const file = path.join(dir, 'payload.txt');
    fs.writeFileSync(file, 'x'.repeat(1000));
    const app = new cdk.App({ outdir: path.join(dir, 'cdk.out') });
    const stack = new cdk.Stack(app, 'Assets', { env: { account: '222222222222', region: 'eu-west-1' } });
    new s3assets.Asset(stack, 'Payload', { path: file });
    // A template needs a resource (CloudFormation's validation warns of an empty one).
    new cdk.CfnWaitConditionHandle(stack, 'Placeholder');
    app.synth();
    const [read] = readAssembly(path.join(dir, 'cdk.out'));
    const template = fs.statSync(path.join(dir, 'cdk.out', 'Assets.template.json')).size;
    expect(read).toMatchObject({ stackName: 'Assets', region: 'eu-west-1', fileAssetBytes: 1000 + template });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('metrics price what the synthesized pipeline runs on: every CodeBuild project, and the gate on arm64 with its memory', () => {
    const projects = Object.values(pipelineTemplate.Resources).filter((r) => r.Type === 'AWS::CodeBuild::Project');
    expect(projects.length).toBeGreaterThan(0);
    for (const project of projects) expect(codeBuildCompute(project.Properties.Environment.Type, project.Properties.Environment.ComputeType)).toBe(TOLLGATE_FOOTPRINT.buildCompute);
    const gate = Object.values(pipelineTemplate.Resources).find((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment?.Variables?.BAKE_GATE_SETTINGS)!;
    expect(gate.Properties).toMatchObject({ MemorySize: TOLLGATE_FOOTPRINT.gate.memoryMb, Architectures: ['arm64'] });
  });

  test('names the halt flag the gate honours', () => {
    expect(report.gates.haltFlag).toBe('/tollgate/Tollgate/halt');
  });

  test('prints the plan as a picture in the calendar\'s local time, every line at most 100 columns', async () => {
    const result = await run('plan', '--dir', outdir);
    expect(result.code).toBe(0);
    expect(result.out.filter((line) => line.length > WIDTH)).toEqual([]);
    expectGolden('plan', result.out);
  });

  test('--build-minutes, --deploy-minutes, --tests-minutes and --guard-minutes change the estimated steps, marked ~', async () => {
    const result = await run('plan', '--dir', outdir, '--build-minutes', '12', '--deploy-minutes', '3', '--tests-minutes', '7', '--guard-minutes', '1');
    expect(result.out.filter((line) => /~\d+ min$/.test(line)).map((line) => line.match(/  (build|deploy|guard|tests)  .*~(\d+) min$/)?.slice(1))).toEqual([
      ['build', '12'],
      ['guard', '1'],
      ['deploy', '3'],
      ['tests', '7'],
      ['guard', '1'],
      ['deploy', '3'],
      ['guard', '1'],
      ['deploy', '3'],
    ]);
  });

  test('--mermaid: the README\'s gantt chart is this plan\'s, pushed when the README says', async () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const [, args, chart] = /<!-- generated by `npm run -s plan:mermaid`: tollgate plan (.+?) -->\n```mermaid\n([\s\S]*?)```/.exec(readme) ?? [];
    const result = await run('plan', '--dir', outdir, ...args.split(' '));
    expect(result.code).toBe(0);
    expect(`${result.stdout}\n`).toBe(chart);
    expect(chart).toMatch(/section Prod\n {2}calendar wait .*:crit, 2026-11-22 07:17, 2026-11-23 09:00\n {2}entry check :milestone/);
  });

  describe('an assembly whose gate was synthesized with other bake settings', () => {
    /** A copy of the pipeline stack alone, its gate settings rewritten by `edit`, its template metadata by `editMetadata`. */
    function pipelineOnly(edit: (settings: string) => string, editMetadata: (metadata: Record<string, any>) => void = () => undefined): string {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-plan-edited-'));
      const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8'));
      manifest.artifacts = { 'Tollgate-Pipeline': manifest.artifacts['Tollgate-Pipeline'] };
      fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
      const template = JSON.parse(JSON.stringify(pipelineTemplate));
      const gate = Object.values(template.Resources).find((r: any) => r.Properties?.Environment?.Variables?.BAKE_GATE_SETTINGS) as any;
      const join = gate.Properties.Environment.Variables.BAKE_GATE_SETTINGS['Fn::Join'][1];
      join[join.length - 1] = edit(join[join.length - 1]);
      editMetadata(template.Metadata);
      fs.writeFileSync(path.join(dir, 'Tollgate-Pipeline.template.json'), JSON.stringify(template));
      return dir;
    }
    const dirs: string[] = [];
    afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

    test('allowNoTraffic: every bake says loudly that no evidence of traffic is required', async () => {
      const dir = pipelineOnly((s) => s.replace(/"allowNoTraffic":false/g, '"allowNoTraffic":true'));
      dirs.push(dir);
      const result = await run('plan', '--dir', dir);
      expect(result.code).toBe(0);
      expect(result.out.filter((l) => l.includes('evidence:')).map((l) => l.trim())).toEqual([
        'evidence: NO EVIDENCE OF TRAFFIC REQUIRED (bake.allowNoTraffic)',
        'evidence: NO EVIDENCE OF TRAFFIC REQUIRED (bake.allowNoTraffic)',
      ]);
    });

    test('a longer alarm latency lengthens both bakes and the path to prod', async () => {
      const dir = pipelineOnly((s) => s.replace('"alarmLatencyMinutes":3', '"alarmLatencyMinutes":7'));
      dirs.push(dir);
      const result = await run('plan', '--dir', dir, '--json');
      const edited = (JSON.parse(result.stdout) as { result: PlanReport }).result;
      expect(edited.bakes.map((b) => b.alarmLatencyMinutes)).toEqual([7, 7]);
      expect(edited.timeline.steps.filter((s) => s.kind === 'alarm latency').map((s) => [s.stage, s.minutes])).toEqual([
        ['Dev', 7],
        ['Prod', 7],
      ]);
    });

    test('the promotion stages are the ones the pipeline manifest names', async () => {
      const dir = pipelineOnly((s) => s, (metadata) => (metadata[MANIFEST_METADATA_KEY].promotionStages = ['Dev']));
      dirs.push(dir);
      const result = await run('plan', '--dir', dir, '--json');
      expect(result.code).toBe(0);
      expect((JSON.parse(result.stdout) as { result: PlanReport }).result.promotionStages).toEqual(['Dev']);
    });

    test('no pipeline manifest (a cdk.out from before manifests): one clear line, exit 2', async () => {
      const dir = pipelineOnly((s) => s, (metadata) => delete metadata[MANIFEST_METADATA_KEY]);
      dirs.push(dir);
      const result = await run('plan', '--dir', dir);
      expect(result.code).toBe(2);
      expect(result.err).toEqual(["tollgate: no pipeline manifest in Tollgate-Pipeline's template metadata (tollgate:manifest): run `npm run synth` again"]);
    });

    test('an unreadable pipeline manifest: one clear line naming the field, exit 2', async () => {
      const dir = pipelineOnly((s) => s, (metadata) => (metadata[MANIFEST_METADATA_KEY].promotionStages = ['Staging']));
      dirs.push(dir);
      const result = await run('plan', '--dir', dir);
      expect(result.code).toBe(2);
      expect(result.err).toEqual([
        "tollgate: unreadable pipeline manifest: invalid configuration: manifest.promotionStages[0] must be one of the stages (Source, Build, UpdatePipeline, Assets, Sandbox, Dev, Prod), got \"Staging\" (from Tollgate-Pipeline's template metadata (tollgate:manifest)); run `npm run synth` again",
      ]);
    });

    test('unreadable gate settings: one clear line, exit 2', async () => {
      const dir = pipelineOnly((s) => s.replace('"alarmLatencyMinutes":3', '"alarmLatencyMinutes":-1'));
      dirs.push(dir);
      const result = await run('plan', '--dir', dir);
      expect(result.code).toBe(2);
      expect(result.err).toEqual([expect.stringMatching(/^tollgate: the bake gate BakeGateFunction\w+ in Tollgate-Pipeline has unreadable settings \(.*alarmLatencyMinutes.*\); run `npm run synth` again$/)]);
    });
  });
});

test('the evidence line names every requirement', () => {
  expect(evidenceLine({ syntheticCoveragePercent: 95, minimumRequests: 500 })).toBe("synthetic checks in ≥ 95 % of the bake's minutes and ≥ 500 requests");
  expect(evidenceLine('none required')).toBe('NO EVIDENCE OF TRAFFIC REQUIRED (bake.allowNoTraffic)');
});

test.each([
  [['plan', '--dir', path.join(os.tmpdir(), 'no-such-cdk-out')], `tollgate: no synthesized app in ${path.join(os.tmpdir(), 'no-such-cdk-out')}: run \`npm run synth\` first (plan reads cdk.out, offline)`],
  [['plan', '--build-minutes', 'soon'], 'tollgate: --build-minutes must be a whole number of minutes from 0 to 1440, got "soon"'],
])('%j: one clear line, exit 2', async (args, line) => {
  const result = await run(...args);
  expect(result.code).toBe(2);
  expect(result.err).toEqual([line]);
});

describe('reading traffic shifting and conditions from templates', () => {
  function serviceTemplate() {
    const app = new cdk.App({ context: { 'aws:cdk:enable-path-metadata': true } });
    const stack = new cdk.Stack(app, 'Prod-Service');
    const fn = new lambda.Function(stack, 'Fn', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler=async()=>1') });
    const alias = new lambda.Alias(stack, 'Live', { aliasName: 'live', version: fn.currentVersion });
    const alarm = new cloudwatch.Alarm(stack, 'Errors', { alarmName: 'Prod-Service-LambdaErrors', metric: fn.metricErrors(), threshold: 1, evaluationPeriods: 1 });
    new codedeploy.LambdaDeploymentGroup(stack, 'Canary', { alias, deploymentConfig: codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_10MINUTES, alarms: [alarm] });
    const linear = new codedeploy.LambdaDeploymentConfig(stack, 'Linear', { trafficRouting: new codedeploy.TimeBasedLinearTrafficRouting({ interval: cdk.Duration.minutes(2), percentage: 25 }) });
    const alias2 = new lambda.Alias(stack, 'Other', { aliasName: 'other', version: fn.currentVersion });
    new codedeploy.LambdaDeploymentGroup(stack, 'Slow', { alias: alias2, deploymentConfig: linear });
    return Template.fromStack(stack).toJSON();
  }

  const pipeline = {
    Resources: {
      P: {
        Type: 'AWS::CodePipeline::Pipeline',
        Properties: {
          Name: 'Shop',
          Stages: [
            { Name: 'Source', Actions: [{ Name: 'Src', ActionTypeId: { Category: 'Source', Provider: 'CodeStarSourceConnection' }, Configuration: { FullRepositoryId: 'acme/shop', BranchName: 'main' } }] },
            {
              Name: 'Staging',
              Actions: [
                { Name: 'Hold', ActionTypeId: { Category: 'Approval', Provider: 'Manual' }, TimeoutInMinutes: 1440 },
                { Name: 'Soak', ActionTypeId: { Category: 'Approval', Provider: 'Manual' }, RunOrder: 2, TimeoutInMinutes: 1440 },
              ],
            },
            {
              Name: 'Prod',
              Actions: [
                { Name: 'Deploy', ActionTypeId: { Category: 'Deploy', Provider: 'CloudFormation' }, Configuration: { StackName: 'Prod-Service' } },
                { Name: 'Settle', ActionTypeId: { Category: 'Approval', Provider: 'Manual' }, RunOrder: 2, TimeoutInMinutes: 90 },
              ],
              BeforeEntry: { Conditions: [{ Result: 'FAIL', Rules: [{ Name: 'ProdHealthy', RuleTypeId: { Provider: 'CloudWatchAlarm' }, Configuration: { AlarmName: 'Prod-Service-Health' } }] }] },
              OnFailure: { Result: 'ROLLBACK' },
            },
          ],
        },
      },
    },
  };

  const plan = promotionPlan([
    { stackName: 'Shop-Pipeline', displayName: 'Shop-Pipeline', tags: {}, template: pipeline, fileAssetBytes: 0 },
    { stackName: 'Prod-Service', displayName: 'Prod-Service', account: '333333333333', region: 'eu-west-1', tags: {}, template: serviceTemplate(), fileAssetBytes: 0 },
  ]);
  const prod = plan.stages[2];

  test('a predefined canary with its alarms and automatic rollback', () => {
    expect(prod.deploys[0].trafficShifts[0]).toEqual({
      deploymentGroup: expect.stringMatching(/^Canary/),
      constructPath: 'Prod-Service/Canary',
      shift: { type: 'canary', percent: 10, intervalMinutes: 10, predefinedName: 'CodeDeployDefault.LambdaCanary10Percent10Minutes' },
      totalMinutes: 10,
      alarms: [{ name: 'Prod-Service-LambdaErrors', periodSeconds: 300, datapointsToAlarm: 1 }],
      autoRollbackEvents: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM'],
    });
  });

  test('a custom linear configuration: 25 % every 2 minutes is all traffic after 6 minutes', () => {
    expect(prod.deploys[0].trafficShifts[1]).toMatchObject({ shift: { type: 'linear', percent: 25, intervalMinutes: 2 }, totalMinutes: 6, alarms: [] });
  });

  test('no exposure figure when a deployment group has no alarm: a bad build would never be rolled back', () => {
    expect(stageExposure(plan, 'Prod')).toEqual({ unavailable: expect.stringMatching(/no alarm watches the deployment/) });
  });

  test('stage conditions and approvals', () => {
    expect(prod.conditions).toEqual({
      beforeEntry: [{ result: 'FAIL', rules: [{ name: 'ProdHealthy', provider: 'CloudWatchAlarm', configuration: { AlarmName: 'Prod-Service-Health' } }] }],
      onSuccess: [],
      onFailure: [{ result: 'ROLLBACK', rules: [] }],
    });
    expect(plan.stages[1].approvals).toEqual([
      { name: 'Hold', timeoutMinutes: 1440 },
      { name: 'Soak', timeoutMinutes: 1440 },
    ]);
  });

  /** The gate's bakes in this pipeline: `Hold` is an approval the gate does not own. */
  const bakes = [
    { stage: 'Staging', action: 'Soak', environment: 'staging', minutes: 60, alarmLatencyMinutes: 3 },
    { stage: 'Prod', action: 'Settle', environment: 'prod', minutes: 30, alarmLatencyMinutes: 3 },
  ];

  test('the timeline: each bake then its alarm latency, the calendar wait before prod, the canary; other approvals count as answered at once', () => {
    const timeline = earliestTimeline(plan, {
      now: NOW,
      bakes,
      estimates: { buildMinutes: 10, deployMinutes: 5, testsMinutes: 5, guardMinutes: 2 },
      promotionStages: ['Prod'],
      nextOpening: (at) => ({ at: new Date(at.getTime() + 90 * 60_000), reasons: ['outside Mon-Thu 09:00-16:00'] }),
    });
    expect(timeline.steps.map((s) => [s.stage, s.kind, s.minutes])).toEqual([
      ['Source', 'build', 10],
      ['Staging', 'bake', 60],
      ['Staging', 'alarm latency', 3],
      ['Prod', 'calendar', 90],
      ['Prod', 'deploy', 5],
      ['Prod', 'traffic', 10],
      ['Prod', 'bake', 30],
      ['Prod', 'alarm latency', 3],
    ]);
    expect(timeline.reachesProdAt).toBe('2026-11-22T13:13:00Z');
    expect(timeline.releasedAt).toBe('2026-11-22T14:01:00Z');
  });

  test('a calendar that never opens: the timeline says so instead of a time', () => {
    const timeline = earliestTimeline(plan, { now: NOW, bakes, estimates: DEFAULT_ESTIMATES, promotionStages: ['Prod'], nextOpening: () => undefined });
    expect(timeline.neverBecause).toMatch(/does not open within a year/);
    expect(timeline.reachesProdAt).toBeUndefined();
    expect(timeline.releasedAt).toBeUndefined();
  });

  test("the cost of a release to another region: its assets are stored there and cross regions; a compute type without a price is named", () => {
    const timeline = earliestTimeline(plan, { now: NOW, bakes, estimates: { ...DEFAULT_ESTIMATES, buildMinutes: 10, deployMinutes: 5 }, promotionStages: ['Prod'] });
    const stacks = [
      { stackName: 'Shop-Pipeline', displayName: 'Shop-Pipeline', region: 'us-east-1', tags: {}, template: pipeline, fileAssetBytes: 0 },
      { stackName: 'Prod-Service', displayName: 'Prod-Service', region: 'eu-west-1', tags: {}, template: {}, fileAssetBytes: 3 * 1024 ** 3 },
    ];
    const gpu = { ...plan, stages: plan.stages.map((st, i) => (i === 0 ? { ...st, actions: [...st.actions, { name: 'Build', category: 'Build', provider: 'CodeBuild', runOrder: 2, buildCompute: 'LINUX_GPU_CONTAINER BUILD_GENERAL1_LARGE' }] } : st)) };
    const { usage, cost, notCounted } = planCost(gpu, timeline, stacks, priceTable());
    expect(usage).toMatchObject({ assetBytes: 3 * 1024 ** 3, crossRegionAssetBytes: 3 * 1024 ** 3, buildMinutes: {} });
    expect(cost.items['S3 assets']).toBeCloseTo(3 * LIST_PRICES.prices.s3GbMonth + 3 * LIST_PRICES.prices.interRegionTransferGb, 12);
    expect(notCounted).toEqual(['CodeBuild on LINUX_GPU_CONTAINER BUILD_GENERAL1_LARGE: no price for it']);
  });

  test('reads the real assembly format, nested stage assemblies included', () => {
    expect(readAssembly(outdir).map((s) => s.stackName).sort()).toEqual(['Dev-Service', 'Pipeline-Service', 'Prod-Service', 'Tollgate-Pipeline', 'Tollgate-SandboxCleaner', 'alice-Service']);
  });
});

describe('ECS deployments in the plan', () => {
  const pipeline = {
    Resources: {
      P: {
        Type: 'AWS::CodePipeline::Pipeline',
        Properties: {
          Name: 'Maps',
          Stages: [
            { Name: 'Source', Actions: [{ Name: 'Src', ActionTypeId: { Category: 'Source', Provider: 'CodeStarSourceConnection' } }] },
            { Name: 'Prod', Actions: [{ Name: 'Deploy', ActionTypeId: { Category: 'Deploy', Provider: 'CloudFormation' }, Configuration: { StackName: 'Tiles-Service' } }] },
          ],
        },
      },
    },
  };
  /** The plan of a pipeline whose Prod stage deploys one ECS service with `deployment` and a 2-of-2 one-minute alarm. */
  function planWith(deployment: Record<string, unknown>) {
    const service = {
      Type: 'AWS::ECS::Service',
      Properties: { ServiceName: 'tiles', DeploymentConfiguration: { Alarms: { Enable: true, Rollback: true, AlarmNames: ['Tiles-5xx'] }, ...deployment } },
    };
    const alarm = { Type: 'AWS::CloudWatch::Alarm', Properties: { AlarmName: 'Tiles-5xx', Period: 60, EvaluationPeriods: 2, DatapointsToAlarm: 2 } };
    return promotionPlan([
      { stackName: 'Maps-Pipeline', displayName: 'Maps-Pipeline', tags: {}, template: pipeline },
      { stackName: 'Tiles-Service', displayName: 'Tiles-Service', tags: {}, template: { Resources: { Errors: alarm, Tiles: service } } },
    ]);
  }

  test('a canary whose bake outlasts its alarms: its figure, and none from CodeDeploy, which shifts nothing here', () => {
    const plan = planWith({ Strategy: 'CANARY', CanaryConfiguration: { CanaryPercent: 5, CanaryBakeTimeInMinutes: 20 }, BakeTimeInMinutes: 10 });
    expect(plan.stages[1].deploys[0].serviceRollouts[0]).toMatchObject({ service: 'tiles', shift: { type: 'canary', percent: 5, canaryBakeMinutes: 20, bakeMinutes: 10 }, totalMinutes: 30 });
    expect(stageServiceExposure(plan, 'Prod')).toEqual({
      sharePercent: 5,
      minutes: 3,
      percentMinutes: 15,
      slowestAlarm: 'Tiles-5xx',
      withinFirstStep: true,
      constructPath: 'tiles',
      stackName: 'Tiles-Service',
      description: '5% of traffic for 3 minutes (15 %·min; slowest alarm: Tiles-5xx)',
    });
    expect(stageExposure(plan, 'Prod')).toEqual({ unavailable: 'Prod shifts no traffic through CodeDeploy' });
  });

  test('the ECS deployment is the stage\'s traffic step when it is the slowest', () => {
    const plan = planWith({ Strategy: 'CANARY', CanaryConfiguration: { CanaryPercent: 5, CanaryBakeTimeInMinutes: 20 }, BakeTimeInMinutes: 10 });
    const timeline = earliestTimeline(plan, { now: NOW, bakes: [], estimates: DEFAULT_ESTIMATES, promotionStages: ['Prod'] });
    expect(timeline.steps.filter((s) => s.stage === 'Prod').map((s) => [s.kind, s.what, s.minutes])).toEqual([
      ['deploy', 'Tiles-Service', 5],
      ['traffic', 'canary 5 % for 20 min, then all, then a 10 min bake', 30],
    ]);
  });

  test('a deployment that ends before its alarm can fire: no figure, and why', () => {
    expect(stageServiceExposure(planWith({ Strategy: 'BLUE_GREEN', BakeTimeInMinutes: 2 }), 'Prod')).toEqual({
      unavailable: 'tiles: the deployment ends 2 minutes after its first shift, before Tiles-5xx can roll it back (3 minutes): a bad revision is never rolled back; lengthen the bake',
    });
  });

  test('a rolling update shifts no traffic: no shift, no traffic step, no ECS figure', () => {
    const plan = planWith({ Strategy: 'ROLLING' });
    expect(plan.stages[1].deploys[0].serviceRollouts[0]).toMatchObject({ strategy: 'ROLLING', shift: undefined, totalMinutes: 0, watchedAlarms: [] });
    expect(stageServiceExposure(plan, 'Prod')).toEqual({ unavailable: 'Prod shifts no traffic through an ECS deployment' });
    expect(earliestTimeline(plan, { now: NOW, bakes: [], estimates: DEFAULT_ESTIMATES, promotionStages: ['Prod'] }).steps.map((s) => s.kind)).toEqual(['build', 'deploy']);
  });

  test('a deployment the figure does not model: the plan says so instead of a figure', () => {
    const plan = planWith({ Strategy: 'LINEAR' });
    expect(plan.stages[1].deploys[0].serviceShiftsUnreadable).toBe('service Tiles deploys by LINEAR, which the figure does not model');
    expect(stageServiceExposure(plan, 'Prod')).toEqual({ unavailable: 'Tiles-Service: service Tiles deploys by LINEAR, which the figure does not model' });
  });
});
