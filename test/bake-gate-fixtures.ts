/**
 * What the bake gate's tests and benchmark share: the gate settings of a standard two-account release, and
 * the pipeline state of one build waiting in its bake, as the local fake endpoint serves it.
 */
import { GateSettings } from '@tollgate/constructs/lib/lambdas/bake-gate/settings';
import { epoch, FakeAwsEndpoint, json } from './fake-aws-endpoint';

/** The settings of one watched environment of the standard release. */
function watchedEnvironment(name: 'dev' | 'prod', account: string, title: 'Dev' | 'Prod'): GateSettings['environments'][number] {
  return {
    name,
    account,
    region: 'us-east-1',
    readerRoleArn: `arn:aws:iam::${account}:role/Tollgate-AlarmReader`,
    alarmNames: [`${title}-Service-Health`],
    stackName: `${title}-Service`,
    evidence: {
      syntheticChecks: {
        metric: { namespace: 'CloudWatchSynthetics', metricName: 'SuccessPercent', dimensions: { CanaryName: `${name}-service-checks` } },
        minimumCoveragePercent: 90,
      },
    },
  };
}

/**
 * A standard release: dev (222222222222) bakes 60 minutes (Dev/Bake) before promotion to prod (333333333333),
 * then prod bakes 30 minutes (Prod/ProdBake) watching dev as its upstream; Prod/EntryCheck checks a build again at
 * Prod's door.
 */
export function gateSettings(overrides: Partial<GateSettings> = {}): GateSettings {
  return {
    pipelineName: 'Tollgate',
    gateRoleName: 'Tollgate-BakeGate',
    operatorRoleName: 'Tollgate-Operator',
    environments: [watchedEnvironment('dev', '222222222222', 'Dev'), watchedEnvironment('prod', '333333333333', 'Prod')],
    bakes: [
      {
        stageName: 'Dev',
        actionName: 'Bake',
        environments: ['dev'],
        minutes: 60,
        evidenceGraceMinutes: 30,
        allowNoTraffic: false,
        promotion: { stageName: 'Prod', environments: ['prod'], lateStartMinutes: 50 },
      },
      {
        stageName: 'Prod',
        actionName: 'ProdBake',
        environments: ['prod'],
        minutes: 30,
        evidenceGraceMinutes: 30,
        allowNoTraffic: false,
        upstream: { stageName: 'Dev', actionName: 'Bake', environments: ['dev'] },
      },
    ],
    entryChecks: [
      {
        stageName: 'Prod',
        actionName: 'EntryCheck',
        upstream: { stageName: 'Dev', actionName: 'Bake', environments: ['dev'] },
        promotion: { stageName: 'Prod', environments: ['prod'], lateStartMinutes: 50 },
      },
    ],
    alarmLatencyMinutes: 3,
    readFailureToleranceMinutes: 5,
    ...overrides,
  };
}

/** Which bake of the standard release is waiting, and what the pipeline did before. */
export interface BakingPipelineOptions {
  /**
   * The waiting approval: `Dev/Bake` (Prod last ran `exec-0`, if it ever ran) or `Prod/ProdBake` (Dev still runs
   * `exec-1` unless `devTakenAt` says when a newer build started deploying there).
   *
   * @default 'Dev'
   */
  readonly stage?: 'Dev' | 'Prod';
  /**
   * Whether the Prod stage has ever run (only for a waiting dev bake).
   *
   * @default true
   */
  readonly prodRan?: boolean;
  /**
   * For a waiting prod bake: when `exec-1`'s dev bake started.
   *
   * @default 75 minutes before `bakeStartedAt` (a 60-minute bake and 15 minutes of prod deployment)
   */
  readonly devBakeStartedAt?: Date;
  /** For a waiting prod bake: when `exec-2` started deploying to Dev; Dev still runs `exec-1` without it. */
  readonly devTakenAt?: Date;
}

/**
 * The pipeline of the standard release as CodePipeline answers for it (real field names): stages `Dev` (Deploy,
 * Bake) and `Prod` (Deploy, ProdBake), execution `exec-1` waiting in one bake since `bakeStartedAt` with token
 * `tok-1`. GetPipelineState, and ListActionExecutions of `exec-1` (which the prod bake reads for its upstream).
 */
export function serveBakingPipeline(endpoint: FakeAwsEndpoint, bakeStartedAt: Date, options: BakingPipelineOptions = {}): FakeAwsEndpoint {
  const minutes = (n: number) => epoch(new Date(bakeStartedAt.getTime() + n * 60_000));
  const action = (actionName: string, status: string, at: number, token?: string) => ({
    actionName,
    latestExecution: { actionExecutionId: `${actionName}-run`, status, lastStatusChange: at, ...(token ? { token } : {}) },
  });
  const waiting = (actionName: string) => action(actionName, 'InProgress', epoch(bakeStartedAt), 'tok-1');
  let stageStates: unknown[];
  let runs: { stageName: string; actionName: string; startTime: number; lastUpdateTime: number; status: string }[];
  if ((options.stage ?? 'Dev') === 'Dev') {
    stageStates = [
      { stageName: 'Dev', latestExecution: { pipelineExecutionId: 'exec-1', status: 'InProgress' }, actionStates: [action('Deploy', 'Succeeded', minutes(-1)), waiting('Bake')] },
      options.prodRan === false
        ? { stageName: 'Prod', actionStates: [{ actionName: 'Deploy' }, { actionName: 'ProdBake' }] }
        : { stageName: 'Prod', latestExecution: { pipelineExecutionId: 'exec-0', status: 'Succeeded' }, actionStates: [action('Deploy', 'Succeeded', minutes(-1440)), action('ProdBake', 'Succeeded', minutes(-1400))] },
    ];
    runs = [{ stageName: 'Dev', actionName: 'Bake', startTime: epoch(bakeStartedAt), lastUpdateTime: epoch(bakeStartedAt), status: 'InProgress' }];
  } else {
    const devBake = epoch(options.devBakeStartedAt ?? new Date(bakeStartedAt.getTime() - 75 * 60_000));
    const devBakeEnd = minutes(-15);
    const taken = options.devTakenAt && epoch(options.devTakenAt);
    stageStates = [
      {
        stageName: 'Dev',
        latestExecution: { pipelineExecutionId: taken ? 'exec-2' : 'exec-1', status: taken ? 'InProgress' : 'Succeeded' },
        actionStates: taken ? [action('Deploy', 'InProgress', taken), action('Bake', 'Succeeded', devBakeEnd)] : [action('Deploy', 'Succeeded', devBake), action('Bake', 'Succeeded', devBakeEnd)],
      },
      { stageName: 'Prod', latestExecution: { pipelineExecutionId: 'exec-1', status: 'InProgress' }, actionStates: [action('Deploy', 'Succeeded', minutes(-1)), waiting('ProdBake')] },
    ];
    runs = [
      { stageName: 'Dev', actionName: 'Bake', startTime: devBake, lastUpdateTime: devBakeEnd, status: 'Succeeded' },
      { stageName: 'Prod', actionName: 'ProdBake', startTime: epoch(bakeStartedAt), lastUpdateTime: epoch(bakeStartedAt), status: 'InProgress' },
    ];
  }
  return endpoint
    .on('codepipeline:GetPipelineState', () => json({ pipelineName: 'Tollgate', pipelineVersion: 3, stageStates }))
    .on('codepipeline:ListActionExecutions', (r) =>
      (r.input.filter as { pipelineExecutionId?: string } | undefined)?.pipelineExecutionId === 'exec-1'
        ? json({ actionExecutionDetails: runs.map((run) => ({ pipelineExecutionId: 'exec-1', actionExecutionId: `${run.actionName}-run`, pipelineVersion: 3, ...run })) })
        : undefined,
    );
}

/** The settings with one watched environment changed, e.g. its evidence or its alarms. */
export function withEnvironment(settings: GateSettings, name: string, patch: Partial<GateSettings['environments'][number]>): GateSettings {
  return { ...settings, environments: settings.environments.map((e) => (e.name === name ? { ...e, ...patch } : e)) };
}

/** The settings with one bake (by stage name) changed, e.g. its minutes or `allowNoTraffic`. */
export function withBake(settings: GateSettings, stageName: string, patch: Partial<GateSettings['bakes'][number]>): GateSettings {
  return { ...settings, bakes: settings.bakes.map((b) => (b.stageName === stageName ? { ...b, ...patch } : b)) };
}
