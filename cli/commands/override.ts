import { Command } from 'commander';
import { formatInZone } from '../../lambdas/shared/release-calendar';
import { Override, overrideParameterName, parseOverride } from '../../lambdas/shared/pipeline-controls';
import { TOPIC_ARN_HELP, announce, givenTopicArn, topicArn } from '../announce';
import { loadAppConfig } from '../app-config';
import { connectToPipeline } from '../aws';
import { awsFailure, deleteParameter, readParameter, writeParameter } from '../control-parameters';
import { CliContext, CliError } from '../context';
import { nonEmpty } from '../options';

/** CodePipeline execution IDs are UUIDs. */
const EXECUTION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * `tollgate override`: break-glass. Lets one execution into prod outside the release calendar (alarms and the
 * bake still apply). The record in SSM says who, when and why (CloudTrail logs the PutParameter with the caller),
 * the gate quotes it in the approval summary, and the team's SNS topic hears of it at once. Without the
 * announcement the override is withdrawn: a silent break-glass is not allowed.
 */
export function registerOverrideCommand(program: Command, ctx: CliContext): void {
  program
    .command('override')
    .description('Break-glass: let one pipeline execution into prod outside the release calendar, with a reason (audited, announced)')
    .requiredOption('--execution <id>', 'the pipeline execution ID')
    .requiredOption('--reason <text>', 'why, e.g. "hotfix for INC-4711"')
    .option('--topic-arn <arn>', TOPIC_ARN_HELP)
    .action(async (options: { execution: string; reason: string; topicArn?: string }) => {
      const config = loadAppConfig();
      if (!EXECUTION_ID.test(options.execution)) {
        throw new CliError(`--execution must be a pipeline execution ID (a UUID), got ${JSON.stringify(options.execution)}`);
      }
      const reason = nonEmpty('--reason', options.reason);
      const given = givenTopicArn(options.topicArn);

      const { aws, identity } = await connectToPipeline(config);
      const by = identity.arn;
      const topic = topicArn(config, given, by);
      const { ssm } = aws;
      const name = overrideParameterName(config.pipelineName, options.execution);
      const record: Override = { reason, by, at: formatInZone(ctx.now().getTime(), config.calendar.timezone) };

      if (!(await writeParameter(ssm, name, JSON.stringify(record), false))) {
        // Keep the first record intact: the audit says who broke the glass.
        const existing = parseOverride(name, (await readParameter(ssm, name)) ?? '');
        throw new CliError(`execution ${options.execution} already has an override, by ${existing.by} at ${existing.at}: ${existing.reason}`, 1);
      }

      const message = [
        `Break-glass: ${by} overrode the release calendar for ${config.pipelineName} execution ${options.execution}.`,
        `Reason: ${record.reason}`,
        `At: ${record.at}`,
        'The bake gate may now promote this execution to prod outside the calendar; alarms and the bake still apply.',
      ].join('\n');
      try {
        await announce(aws, topic, { subject: `Tollgate break-glass: ${config.pipelineName}`, message });
      } catch (err) {
        const failure = awsFailure(`announce the override on ${topic}`, err).message;
        try {
          await deleteParameter(ssm, name);
        } catch (undo) {
          throw new Error(`${failure}; withdrawing the override failed too (${(undo as Error).message}): delete ${name} by hand`);
        }
        throw new Error(`${failure}; the override was withdrawn`);
      }
      ctx.out(`override recorded in ${name} and announced on ${topic}`);
      ctx.out(message);
    });
}
