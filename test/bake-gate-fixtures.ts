/**
 * What the bake gate's tests and benchmark share: the gate settings of a standard two-account release, and
 * the pipeline state of one build waiting in its bake, as the local fake endpoint serves it.
 */
import { GateSettings } from '../lambdas/bake-gate/settings';
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
 * then prod bakes 30 minutes (Prod/ProdBake) watching dev as its upstream.
 */
export function gateSettings(overrides: Partial<GateSettings> = {}): GateSettings {
  return {
    pipelineName: 'Tollgate',
    environments: [watchedEnvironment('dev', '222222222222', 'Dev'), watchedEnvironment('prod', '333333333333', 'Prod')],
    bakes: [
      {
        stageName: 'Dev',
        actionName: 'Bake',
        environment: 'dev',
        minutes: 60,
        evidenceGraceMinutes: 30,
        allowNoTraffic: false,
        promotion: { stageName: 'Prod', environment: 'prod', lateStartMinutes: 50 },
      },
      {
        stageName: 'Prod',
        actionName: 'ProdBake',
        environment: 'prod',
        minutes: 30,
        evidenceGraceMinutes: 30,
        allowNoTraffic: false,
        upstream: { stageName: 'Dev', actionName: 'Bake', environment: 'dev' },
      },
    ],
    alarmLatencyMinutes: 3,
    readFailureToleranceMinutes: 5,
    ...overrides,
  };
}

/** GetPipelineState: execution `exec-1` baking in Dev since `bakeStartedAt` (token `tok-1`), prod ran before. */
export function serveBakingPipeline(endpoint: FakeAwsEndpoint, bakeStartedAt: Date): FakeAwsEndpoint {
  return endpoint.on('codepipeline:GetPipelineState', () =>
    json({
      pipelineName: 'Tollgate',
      stageStates: [
        {
          stageName: 'Dev',
          latestExecution: { pipelineExecutionId: 'exec-1', status: 'InProgress' },
          actionStates: [{ actionName: 'Bake', latestExecution: { status: 'InProgress', token: 'tok-1', lastStatusChange: epoch(bakeStartedAt) } }],
        },
        { stageName: 'Prod', latestExecution: { pipelineExecutionId: 'exec-0', status: 'Succeeded' } },
      ],
    }),
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
