/**
 * Pre-traffic hook, the AWS part: invoke the new version, report the verdict to CodeDeploy. The status is
 * reported whatever happens between (fail closed: anything unexpected reports Failed).
 */
import { randomUUID } from 'node:crypto';
import { CodeDeployClient, PutLifecycleEventHookExecutionStatusCommand } from '@aws-sdk/client-codedeploy';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { describeError } from '@tollgate/constructs/lib/domain/aws-errors';
import {
  type HookEvent,
  type HookSettings,
  type InvokeOutcome,
  type Verdict,
  httpApiEvent,
  judgeSmokeTest,
  parseHookEvent,
  parseHookSettings,
} from './core';

export interface HookDependencies {
  readonly lambda: LambdaClient;
  readonly codedeploy: CodeDeployClient;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  readonly log: (message: string, details?: Record<string, unknown>) => void;
}

/** Invokes the version under test synchronously with the smoke request, giving up after `settings.timeoutMs`. */
async function invokeNewVersion(lambda: LambdaClient, settings: HookSettings, now: () => number): Promise<InvokeOutcome> {
  const started = now();
  const event = httpApiEvent(settings.request, new Date(started), randomUUID());
  const abort = new AbortController();
  // The race ends the wait whatever layer hangs; the abort also closes the socket the SDK holds open.
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timedOut'>((resolve) => {
    timer = setTimeout(() => {
      abort.abort();
      resolve('timedOut');
    }, settings.timeoutMs);
  });
  try {
    const answer = await Promise.race([
      lambda.send(
        new InvokeCommand({ FunctionName: settings.targetFunctionArn, InvocationType: 'RequestResponse', Payload: JSON.stringify(event) }),
        { abortSignal: abort.signal },
      ),
      deadline,
    ]);
    if (answer === 'timedOut') return { kind: 'timedOut', elapsedMs: now() - started };
    return {
      kind: 'answered',
      payload: answer.Payload ? Buffer.from(answer.Payload).toString('utf8') : '',
      ...(answer.FunctionError !== undefined ? { functionError: answer.FunctionError } : {}),
      elapsedMs: now() - started,
    };
  } catch (err) {
    if (abort.signal.aborted) return { kind: 'timedOut', elapsedMs: now() - started };
    return { kind: 'invokeFailed', error: describeError(err) };
  } finally {
    clearTimeout(timer);
  }
}

/** Reports the verdict; CodeDeploy shifts traffic only on `Succeeded`. */
async function reportVerdict(codedeploy: CodeDeployClient, hook: HookEvent, verdict: Verdict): Promise<void> {
  await codedeploy.send(new PutLifecycleEventHookExecutionStatusCommand({
    deploymentId: hook.deploymentId,
    lifecycleEventHookExecutionId: hook.lifecycleEventHookExecutionId,
    status: verdict.status,
  }));
}

/**
 * The whole hook: read the event, smoke-test the new version, report. Bad settings or an unexpected error report
 * `Failed`. Rejects only when CodeDeploy's IDs are missing (nothing to report to) or the report itself fails
 * (Lambda then retries the asynchronous invocation; without a report CodeDeploy fails the hook at its timeout).
 */
export async function runPreTrafficHook(event: unknown, deps: HookDependencies): Promise<Verdict> {
  const hook = parseHookEvent(event);
  let verdict: Verdict;
  try {
    const settings = parseHookSettings(deps.env);
    verdict = judgeSmokeTest(await invokeNewVersion(deps.lambda, settings, deps.now), settings);
  } catch (err) {
    verdict = { status: 'Failed', reason: `the smoke test could not run: ${describeError(err)}` };
  }
  deps.log('pre-traffic smoke test', { deploymentId: hook.deploymentId, status: verdict.status, reason: verdict.reason });
  await reportVerdict(deps.codedeploy, hook, verdict);
  return verdict;
}
