/**
 * What the bake gate's tests and benchmark share: the gate settings of a standard two-account release, and
 * the pipeline state of one build waiting in its bake, as the local fake endpoint serves it.
 */
import { GateSettings } from '../lambdas/bake-gate/settings';
import { epoch, FakeAwsEndpoint, json } from './fake-aws-endpoint';

/** A standard release: 60-minute bake of dev (222222222222), promotion to prod (333333333333). */
export function gateSettings(overrides: Partial<GateSettings> = {}): GateSettings {
  return {
    pipelineName: 'Tollgate',
    bakeStageName: 'Dev',
    bakeActionName: 'Bake',
    prodStageName: 'Prod',
    bakeMinutes: 60,
    evidenceGraceMinutes: 30,
    lateStartMinutes: 50,
    devAlarmNames: ['Dev-Service-Health'],
    prodHealthAlarmName: 'Prod-Service-Health',
    dev: { account: '222222222222', region: 'us-east-1', readerRoleArn: 'arn:aws:iam::222222222222:role/Tollgate-AlarmReader' },
    prod: { account: '333333333333', region: 'us-east-1', readerRoleArn: 'arn:aws:iam::333333333333:role/Tollgate-AlarmReader' },
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
