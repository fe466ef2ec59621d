/** Shared by the CLI tests: running `main`, and a pipeline with a build baking and a release in Prod. */
import { ActionState, GetPipelineStateOutput, PipelineExecutionSummary, StageExecutionStatus, StageState } from '@aws-sdk/client-codepipeline';
import { PipelineManifestDocument, manifestParameterName } from '@tollgate/constructs/lib/domain/pipeline-manifest';
import { MANIFEST } from './manifest-fixture';
import { CliRun, runCli } from './cli-harness';
import { FakeAwsEndpoint, STS_NS, assumeRoleReply, json, jsonError, publishReply, toWire, xml } from './fake-aws-endpoint';

export const NOW = new Date('2026-11-22T10:30:00Z');
export const CALLER_ARN = 'arn:aws:sts::111111111111:assumed-role/OnCall/alice@example.com';
export const PIPELINE = 'Tollgate';
export { MANIFEST };

export const MANIFEST_PARAMETER = manifestParameterName(PIPELINE);

/** SSM GetParameter's answer with `document` as the manifest. */
export function manifestReply(document: PipelineManifestDocument = MANIFEST) {
  return { Parameter: { Name: MANIFEST_PARAMETER, Type: 'String' as const, Value: JSON.stringify(document), Version: 1 } };
}

export interface Run extends CliRun {
  /** Standard output as one text. */
  readonly stdout: string;
}

/** Runs the CLI as `tollgate <args>` at {@link NOW}, capturing what it prints. */
export async function run(...args: string[]): Promise<Run> {
  const result = await runCli(args, NOW);
  return { ...result, stdout: result.out.join('\n') };
}

/** Configuration comes from cdk.json (the example accounts): no TOLLGATE_* variable of the developer's leaks in. */
export function clearTollgateEnv(): void {
  for (const key of Object.keys(process.env)) if (key.startsWith('TOLLGATE_')) delete process.env[key];
}

const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000);

/** Executions, newest first: `e3` baking, `e2` released to Prod, `e1` the release before, `e0` a failed one. */
export const EXECUTIONS: PipelineExecutionSummary[] = [
  {
    pipelineExecutionId: 'e3000000-0000-0000-0000-000000000003',
    status: 'InProgress',
    startTime: minutesAgo(60),
    executionType: 'STANDARD',
    sourceRevisions: [{ actionName: 'Source', revisionId: '3333333333333333333333333333333333333333', revisionSummary: '{"ProviderType":"GitHub","CommitMessage":"Add the tile cache\\n\\nLonger body"}' }],
  },
  {
    pipelineExecutionId: 'e2000000-0000-0000-0000-000000000002',
    status: 'Succeeded',
    startTime: minutesAgo(600),
    lastUpdateTime: minutesAgo(480),
    executionType: 'STANDARD',
    sourceRevisions: [{ actionName: 'Source', revisionId: '2222222222222222222222222222222222222222', revisionSummary: '{"ProviderType":"GitHub","CommitMessage":"Faster search"}' }],
  },
  {
    pipelineExecutionId: 'e1000000-0000-0000-0000-000000000001',
    status: 'Succeeded',
    startTime: minutesAgo(2000),
    lastUpdateTime: minutesAgo(1900),
    executionType: 'STANDARD',
    sourceRevisions: [{ actionName: 'Source', revisionId: '1111111111111111111111111111111111111111', revisionSummary: 'Fix the login page' }],
  },
  {
    pipelineExecutionId: 'e0000000-0000-0000-0000-000000000000',
    status: 'Failed',
    startTime: minutesAgo(3000),
    executionType: 'STANDARD',
    sourceRevisions: [{ actionName: 'Source', revisionId: '0000000000000000000000000000000000000000', revisionSummary: 'Broken' }],
  },
];

const [e3, e2] = EXECUTIONS.map((e) => e.pipelineExecutionId!);

function stage(name: string, executionId: string, status: StageExecutionStatus, actionStates: ActionState[] = []): StageState {
  return { stageName: name, latestExecution: { pipelineExecutionId: executionId, status }, inboundTransitionState: { enabled: true }, actionStates };
}

/**
 * `e3` bakes in Dev's last action, the gate's `Bake` approval (started 20 minutes ago); Prod last ran `e2`, whose
 * prod bake (`ProdBake`, Prod's last action) succeeded. With `prodBaking`, `e2` is still in its prod bake instead,
 * started 12 minutes ago.
 */
export function pipelineState(overrides: { prodTransitionDisabled?: boolean; pipelineVersion?: number; prodBaking?: boolean } = {}): GetPipelineStateOutput {
  const prodBake = overrides.prodBaking
    ? { status: 'InProgress' as const, token: 'token-e2', lastStatusChange: minutesAgo(12), summary: 'waiting: 18 min of prod bake left' }
    : { status: 'Succeeded' as const, lastStatusChange: minutesAgo(447) };
  const prod = stage('Prod', e2, overrides.prodBaking ? 'InProgress' : 'Succeeded', [
    { actionName: 'Deploy', latestExecution: { status: 'Succeeded', lastStatusChange: overrides.prodBaking ? minutesAgo(12) : minutesAgo(480) } },
    { actionName: 'ProdBake', latestExecution: prodBake },
  ]);
  if (overrides.prodTransitionDisabled) {
    prod.inboundTransitionState = { enabled: false, disabledReason: 'tollgate stop by alice - incident 42', lastChangedBy: CALLER_ARN, lastChangedAt: minutesAgo(5) };
  }
  return {
    pipelineName: PIPELINE,
    pipelineVersion: overrides.pipelineVersion ?? 7,
    stageStates: [
      stage('Source', e3, 'Succeeded'),
      stage('Build', e3, 'Succeeded'),
      stage('Sandbox', e3, 'Succeeded', [
        { actionName: 'Pipeline-Service.Deploy', latestExecution: { status: 'Succeeded', lastStatusChange: minutesAgo(35) } },
        { actionName: 'IntegrationTests', latestExecution: { status: 'Succeeded', lastStatusChange: minutesAgo(28) } },
      ]),
      stage('Dev', e3, 'InProgress', [
        { actionName: 'Deploy', latestExecution: { status: 'Succeeded', lastStatusChange: minutesAgo(20) } },
        { actionName: 'Bake', latestExecution: { status: 'InProgress', token: 'token-e3', lastStatusChange: minutesAgo(20), summary: 'waiting: 40 min of bake left' } },
      ]),
      prod,
    ],
  };
}

/** The stage of that name in a pipeline state, to change it in a test. */
export function stageIn(state: GetPipelineStateOutput, name: string): StageState {
  const found = state.stageStates?.find((s) => s.stageName === name);
  if (!found) throw new Error(`no stage ${name}`);
  return found;
}

/** STS GetCallerIdentity's answer for `arn`. */
export function callerIdentity(arn: string) {
  return xml('GetCallerIdentity', `<Arn>${arn}</Arn><UserId>AROAEXAMPLE:test</UserId><Account>${arn.split(':')[4]}</Account>`, STS_NS);
}

/**
 * Answers every call the pipeline commands make, as a healthy deployment account would: the pipeline of
 * {@link pipelineState}, the executions, a halt flag set by `stop`, and success for every change and announcement.
 */
export function serveHealthyPipeline(endpoint: FakeAwsEndpoint): FakeAwsEndpoint {
  const halt = { halted: true, reason: 'incident 42', by: CALLER_ARN, at: '2026-11-22T10:00:00Z' };
  return endpoint
    .on('sts:GetCallerIdentity', () => callerIdentity(CALLER_ARN))
    .on('sts:AssumeRole', (r) => assumeRoleReply(`arn:aws:sts::111111111111:assumed-role/${String(r.input.RoleArn).split('/').pop()}`))
    .on('codepipeline:GetPipelineState', () => json(toWire(pipelineState())))
    .on('codepipeline:ListPipelineExecutions', () => json(toWire({ pipelineExecutionSummaries: EXECUTIONS })))
    .on('codepipeline:GetPipelineExecution', (r) => json({ pipelineExecution: { pipelineExecutionId: r.input.pipelineExecutionId, pipelineVersion: 7, artifactRevisions: [] } }))
    .on('ssm:GetParameter', (r) => (r.input.Name === MANIFEST_PARAMETER ? json(manifestReply()) : undefined))
    .on('ssm:GetParametersByPath', () => json({ Parameters: [{ Name: `/tollgate/${PIPELINE}/halt`, Type: 'String', Value: JSON.stringify(halt) }] }))
    .on('ssm:PutParameter', () => json({ Version: 2, Tier: 'Standard' }))
    .on('codepipeline:DisableStageTransition', () => json({}))
    .on('codepipeline:EnableStageTransition', () => json({}))
    .on('codepipeline:PutApprovalResult', () => json({ approvedAt: NOW.getTime() / 1000 }))
    .on('codepipeline:StopPipelineExecution', (r) => json({ pipelineExecutionId: r.input.pipelineExecutionId }))
    .on('codepipeline:RollbackStage', () => json({ pipelineExecutionId: 'r1' }))
    .on('sns:Publish', () => publishReply())
    .on('dynamodb:Query', () => json({ Items: gateItems(), Count: 2 }))
    // No release recorder deployed, and no action history kept for these executions.
    .on('dynamodb:BatchGetItem', () => jsonError(400, 'com.amazonaws.dynamodb.v20120810#ResourceNotFoundException', 'Requested resource not found'))
    .on('codepipeline:ListActionExecutions', () => json({ actionExecutionDetails: [] }))
    .on('monitoring:DescribeAlarms', (r) => json({ CompositeAlarms: [{ AlarmName: r.input.AlarmNames, StateValue: 'OK' }], MetricAlarms: [] }));
}

/**
 * The gate's items in its state table as status reads them: its last completed check 40 s ago, and why the dev
 * bake of `e3` waits (written 1 min ago).
 */
export function gateItems(waitingSummary = 'calendar closed: Sunday; opens Mon 09:00'): Record<string, { S: string }>[] {
  return [
    { pk: { S: 'gate' }, sk: { S: 'health#last-check' }, at: { S: new Date(NOW.getTime() - 40_000).toISOString() } },
    { pk: { S: 'gate' }, sk: { S: `waiting#${e3}/Dev/Bake` }, summary: { S: waitingSummary }, at: { S: minutesAgo(1).toISOString() } },
  ];
}

/**
 * Points the SDK's default resolution at `url` with dummy credentials, nothing from the developer's own AWS
 * configuration, and `maxAttempts` attempts; returns a function that restores the environment.
 */
export function useEndpoint(url: string, maxAttempts = 2): () => void {
  const saved = { ...process.env };
  // AWS_SDK_JS_* switches the SDK's own notices, not where it connects: those stay as test/setup-env.ts set them.
  for (const key of Object.keys(process.env)) if (key.startsWith('AWS_') && !key.startsWith('AWS_SDK_JS_')) delete process.env[key];
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: url,
    AWS_ACCESS_KEY_ID: 'AKIDLOCALTEST',
    AWS_SECRET_ACCESS_KEY: 'local-test-secret',
    AWS_MAX_ATTEMPTS: String(maxAttempts),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/nonexistent/aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
  });
  return () => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  };
}

/**
 * For a suite over the wire: starts `endpoint` and points the SDK at it for the whole suite, and before each test
 * forgets what it saw and serves a healthy pipeline ({@link serveHealthyPipeline}) again.
 */
export function serveEndpointForSuite(endpoint: FakeAwsEndpoint): void {
  let restoreEnv: () => void;
  beforeAll(async () => {
    clearTollgateEnv();
    restoreEnv = useEndpoint(await endpoint.start());
  });
  afterAll(async () => {
    restoreEnv();
    await endpoint.stop();
  });
  beforeEach(() => {
    endpoint.reset();
    serveHealthyPipeline(endpoint);
  });
}
