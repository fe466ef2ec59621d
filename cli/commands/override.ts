import { Command } from 'commander';
import { formatInZone } from '@tollgate/constructs/lib/domain/release-calendar';
import { Override, overrideParameterName, parseOverride } from '@tollgate/constructs/lib/domain/pipeline-controls';
import { TOPIC_ARN_HELP, announce, givenTopicArn, topicArn } from '../announce';
import { loadAppConfig } from '../app-config';
import { CodePipelineClient, GetPipelineExecutionCommand } from '@aws-sdk/client-codepipeline';
import { AwsScope, connectAsOperator, withAwsErrors } from '../aws';
import { awsFailure, deleteParameter, readParameter, writeParameter } from '../control-parameters';
import { CliContext, CliError, beforeAnyChange } from '../context';
import { parseReason, parseTime, spanMs } from '../options';

/** CodePipeline execution IDs are UUIDs. */
const EXECUTION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** How long an override lasts without `--until`. */
const DEFAULT_LIFETIME_MS = 24 * 3600_000;
/** The longest an override may last: a build held longer than this needs a new decision. */
const MAX_LIFETIME_MS = 7 * 24 * 3600_000;

/** `--until`: an ISO-8601 instant, a local time in the calendar zone, or `+<n>m|h|d` from now; epoch ms. */
export function parseExpiry(text: string | undefined, now: number, timezone: string): number {
  if (text === undefined) return now + DEFAULT_LIFETIME_MS;
  const relative = text.startsWith('+') ? spanMs(text.slice(1)) : undefined;
  const expires = relative !== undefined ? now + relative : parseTime('--until', text, timezone);
  if (expires <= now || expires > now + MAX_LIFETIME_MS) {
    throw new CliError(`--until must be later than now and at most 7 days ahead (like +4h or 2026-11-27T08:59), got ${JSON.stringify(text)}`);
  }
  return expires;
}

/**
 * `tollgate override`: break-glass. Lets one existing execution into prod outside the release calendar until
 * the override expires (alarms and the bake still apply; an incident freeze too, unless `--force-freeze`). The
 * record in SSM, written through the operator role, says who, when, why and until when (CloudTrail logs the
 * PutParameter with the role session named after the caller); the gate quotes it in the approval summary, and
 * the team's SNS topic hears of it at once. Without the announcement the override is withdrawn: a silent
 * break-glass is not allowed.
 */
export function registerOverrideCommand(program: Command, ctx: CliContext): void {
  program
    .command('override')
    .description('Break-glass: let one pipeline execution into prod outside the release calendar until it expires, with a reason (audited, announced, through the operator role)')
    .requiredOption('--execution <id>', 'the pipeline execution ID (an execution of this pipeline)')
    .requiredOption('--reason <text>', 'why, e.g. "hotfix for INC-4711" (at most 500 characters)', parseReason)
    .option('--until <time>', 'when the override expires: ISO-8601 instant, local time in the calendar zone, or +30m/+4h/+2d (default: 24 hours from now; at most 7 days)')
    .option('--force-freeze', 'also bypass an incident freeze (announced as such)')
    .option('--topic-arn <arn>', TOPIC_ARN_HELP)
    .action(async (options: { execution: string; reason: string; until?: string; forceFreeze?: boolean; topicArn?: string }) => {
      const config = loadAppConfig();
      const { timezone } = config.calendar;
      if (!EXECUTION_ID.test(options.execution)) {
        throw new CliError(`--execution must be a pipeline execution ID (a UUID), got ${JSON.stringify(options.execution)}`);
      }
      const { reason } = options;
      const now = ctx.now().getTime();
      const expiresAt = parseExpiry(options.until, now, timezone);
      const given = givenTopicArn(options.topicArn);

      const { aws, identity, pipelineName } = await beforeAnyChange(async () => {
        const connection = await connectAsOperator(config);
        await requireExecution(connection.aws.codePipeline, connection.pipelineName, options.execution, connection.scope);
        return connection;
      });
      const by = identity.arn;
      const topic = topicArn(config, given, by);
      const { ssm } = aws;
      const name = overrideParameterName(pipelineName, options.execution);
      const forced = options.forceFreeze === true;
      const record: Override = {
        reason,
        by,
        at: formatInZone(now, timezone),
        expiresAt: formatInZone(expiresAt, timezone),
        ...(forced ? { forceFreeze: true } : {}),
      };

      if (!(await writeParameter(ssm, name, JSON.stringify(record), false))) {
        // Keep the first record intact: the audit says who broke the glass.
        const existing = parseOverride(name, (await readParameter(ssm, name)) ?? '');
        throw new CliError(`execution ${options.execution} already has an override, by ${existing.by} at ${existing.at}: ${existing.reason}; nothing was written`);
      }

      const message = [
        `Break-glass: ${by} overrode the release calendar${forced ? ' AND ANY INCIDENT FREEZE' : ''} for ${pipelineName} execution ${options.execution}.`,
        `Reason: ${record.reason}`,
        `At: ${record.at}`,
        `Expires: ${record.expiresAt}`,
        forced
          ? 'The bake gate may now promote this execution to prod outside the calendar, even during an incident freeze; alarms and the bake still apply.'
          : 'The bake gate may now promote this execution to prod outside the calendar (not during an incident freeze); alarms and the bake still apply.',
      ].join('\n');
      const subject = forced ? `Tollgate break-glass through an incident freeze: ${pipelineName}` : `Tollgate break-glass: ${pipelineName}`;
      try {
        await announce(aws, topic, { subject, message });
      } catch (err) {
        const failure = awsFailure(`announce the override on ${topic}`, err).message;
        try {
          await deleteParameter(ssm, name);
        } catch (undo) {
          throw new Error(`${failure}; withdrawing the override failed too (${(undo as Error).message}): delete ${name} by hand`);
        }
        throw new Error(`${failure}; the override was withdrawn`);
      }
      ctx.report({ execution: options.execution, parameter: name, topic, override: record }, () => {
        ctx.out(`override recorded in ${name} and announced on ${topic}`);
        ctx.out(message);
      });
    });
}

/** Refuses (exit 2, nothing written) an execution ID that is not one of this pipeline's executions. */
async function requireExecution(client: CodePipelineClient, pipelineName: string, executionId: string, scope: AwsScope): Promise<void> {
  try {
    await client.send(new GetPipelineExecutionCommand({ pipelineName, pipelineExecutionId: executionId }));
  } catch (err) {
    if ((err as Error).name === 'PipelineExecutionNotFoundException') {
      throw new CliError(`--execution ${executionId} is not an execution of pipeline ${pipelineName} (account ${scope.account}, ${scope.region}); nothing was written`);
    }
    return withAwsErrors(scope, () => Promise.reject(err));
  }
}
