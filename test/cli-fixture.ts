/** Shared by the CLI tests: running `main`, and a pipeline with a build baking and a release in Prod. */
import { ActionState, GetPipelineStateOutput, PipelineExecutionSummary, StageExecutionStatus, StageState } from '@aws-sdk/client-codepipeline';
import { main } from '../cli/main';

export const NOW = new Date('2026-11-22T10:30:00Z');
export const CALLER_ARN = 'arn:aws:sts::111111111111:assumed-role/OnCall/alice@example.com';
export const PIPELINE = 'Tollgate';

export interface Run {
  readonly code: number;
  readonly out: string[];
  readonly err: string[];
  readonly stdout: string;
}

/** Runs the CLI as `tollgate <args>` with the fixed clock, capturing what it prints. */
export async function run(...args: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l), now: () => NOW });
  return { code, out, err, stdout: out.join('\n') };
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

/** `e3` waits in the Bake approval (started 20 minutes ago); Prod last ran `e2`. */
export function pipelineState(overrides: { prodTransitionDisabled?: boolean; pipelineVersion?: number } = {}): GetPipelineStateOutput {
  const prod = stage('Prod', e2, 'Succeeded', [{ actionName: 'Deploy', latestExecution: { status: 'Succeeded', lastStatusChange: minutesAgo(480) } }]);
  if (overrides.prodTransitionDisabled) {
    prod.inboundTransitionState = { enabled: false, disabledReason: 'tollgate stop by alice - incident 42', lastChangedBy: CALLER_ARN, lastChangedAt: minutesAgo(5) };
  }
  return {
    pipelineName: PIPELINE,
    pipelineVersion: overrides.pipelineVersion ?? 7,
    stageStates: [
      stage('Source', e3, 'Succeeded'),
      stage('Build', e3, 'Succeeded'),
      stage('Dev', e3, 'Succeeded'),
      stage('Bake', e3, 'InProgress', [
        { actionName: 'BakeApproval', latestExecution: { status: 'InProgress', token: 'token-e3', lastStatusChange: minutesAgo(20), summary: 'waiting: 40 min of bake left' } },
      ]),
      prod,
    ],
  };
}

/** The same state in AWS JSON wire form (timestamps as epoch seconds). */
export function toWire(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T.*Z$/.test(v) ? Date.parse(v) / 1000 : v)));
}
