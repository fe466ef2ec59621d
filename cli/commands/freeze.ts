import { Command } from 'commander';
import { formatInZone } from '@tollgate/constructs/lib/domain/release-calendar';
import { Freeze, freezesParameterName } from '@tollgate/constructs/lib/domain/pipeline-controls';
import { loadAppConfig } from '../app-config';
import { PipelineConnection, connectAsOperator, connectToPipeline } from '../aws';
import { readRuntimeFreezes, writeParameter } from '../control-parameters';
import { isoSeconds } from '@tollgate/constructs/lib/domain/iso-time';
import { CliContext, CliError, beforeAnyChange } from '../context';
import { parseReason, parseTime } from '../options';

const FREEZE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** Standard-tier SSM parameters hold at most 4 KB. */
const MAX_PARAMETER_BYTES = 4096;

/**
 * Read-modify-write of the freezes parameter. Expired freezes are dropped on every write so the parameter stays
 * small; the parameter's history and CloudTrail keep them. SSM has no compare-and-set: two on-calls writing in
 * the same second could lose one change, which `freeze list` shows.
 */
async function replaceFreezes({ aws, pipelineName }: PipelineConnection, freezes: Freeze[]): Promise<void> {
  const name = freezesParameterName(pipelineName);
  const value = JSON.stringify(freezes);
  if (Buffer.byteLength(value) > MAX_PARAMETER_BYTES) {
    throw new CliError(`${freezes.length} freezes do not fit in ${name} (4 KB): lift some first`, 1);
  }
  await writeParameter(aws.ssm, name, value, true);
}

function describe(freeze: Freeze, now: number, timezone: string): string {
  const start = Date.parse(freeze.start ?? freeze.at);
  const end = Date.parse(freeze.end);
  const state = end <= now ? 'expired' : start > now ? 'planned' : 'in force';
  return `${freeze.incident ? 'incident freeze ' : ''}${freeze.name} (${state}) from ${formatInZone(start, timezone)} until ${formatInZone(end, timezone)}: ${freeze.reason} — declared by ${freeze.by} at ${freeze.at}`;
}

/**
 * `tollgate freeze declare|lift|list`: on-call's run-time freezes, which the gate reads without a redeploy.
 * `declare` and `lift` write through the operator role: the gate holds on a freezes parameter anyone else wrote.
 */
export function registerFreezeCommand(program: Command, ctx: CliContext): void {
  const freeze = program.command('freeze').description("Declare, lift or list run-time freezes of prod releases (SSM, read by the gate)");

  freeze
    .command('declare')
    .description('Freeze prod releases until a given time, starting now or at --from')
    .requiredOption('--name <name>', 'short name shown in reasons, e.g. incident-4711')
    .requiredOption('--reason <text>', 'why, for the audit and the team (at most 500 characters)', parseReason)
    .requiredOption('--until <time>', 'when the freeze ends: ISO-8601 instant, or local time in the calendar zone')
    .option('--from <time>', 'when the freeze starts (default: now)')
    .option('--incident', 'an incident freeze: a break-glass override does not bypass it unless given --force-freeze')
    .action(async (options: { name: string; reason: string; until: string; from?: string; incident?: boolean }) => {
      const config = loadAppConfig();
      const { timezone } = config.calendar;
      if (!FREEZE_NAME.test(options.name)) throw new CliError(`--name must be 1-64 characters of A-Z a-z 0-9 . _ -, got ${JSON.stringify(options.name)}`);
      const { reason } = options;
      const now = ctx.now().getTime();
      const end = parseTime('--until', options.until, timezone);
      const start = options.from === undefined ? undefined : parseTime('--from', options.from, timezone);
      const earliest = Math.max(now, start ?? now);
      if (end <= earliest) {
        throw new CliError(`--until must be later than ${start === undefined ? 'now' : '--from'} (${formatInZone(earliest, timezone)}), got ${JSON.stringify(options.until)}`);
      }

      const { connection, current } = await beforeAnyChange(async () => {
        const operator = await connectAsOperator(config);
        return { connection: operator, current: await readRuntimeFreezes(operator.aws.ssm, config.pipelineName) };
      });
      const declared: Freeze = {
        name: options.name,
        reason,
        by: connection.identity.arn,
        at: formatInZone(now, timezone),
        ...(start === undefined ? {} : { start: formatInZone(start, timezone) }),
        end: formatInZone(end, timezone),
        ...(options.incident ? { incident: true } : {}),
      };
      await replaceFreezes(connection, [...current.filter((f) => f.name !== options.name && Date.parse(f.end) > now), declared]);
      const replaced = current.some((f) => f.name === options.name);
      ctx.report({ declared, replaced }, () => ctx.out(`declared freeze ${describe(declared, now, timezone)}${replaced ? ' (replacing the earlier freeze of that name)' : ''}`));
    });

  freeze
    .command('lift')
    .description('End a run-time freeze now')
    .requiredOption('--name <name>', 'the freeze to lift')
    .action(async (options: { name: string }) => {
      const config = loadAppConfig();
      const now = ctx.now().getTime();
      const { connection, current, lifted } = await beforeAnyChange(async () => {
        const operator = await connectAsOperator(config);
        const freezes = await readRuntimeFreezes(operator.aws.ssm, config.pipelineName);
        const found = freezes.find((f) => f.name === options.name);
        if (!found) {
          const names = freezes.map((f) => f.name).join(', ') || 'none';
          throw new CliError(`--name must name a declared freeze (declared: ${names}), got ${JSON.stringify(options.name)}`);
        }
        return { connection: operator, current: freezes, lifted: found };
      });
      await replaceFreezes(connection, current.filter((f) => f !== lifted && Date.parse(f.end) > now));
      const by = connection.identity.arn;
      ctx.report({ lifted, by, at: isoSeconds(new Date(now)) }, () =>
        ctx.out(`lifted freeze ${describe(lifted, now, config.calendar.timezone)}; lifted by ${by} at ${formatInZone(now, config.calendar.timezone)}`),
      );
    });

  freeze
    .command('list')
    .description('Show the run-time freezes')
    .action(async () => {
      const config = loadAppConfig();
      const { aws } = await connectToPipeline(config);
      const freezes = await readRuntimeFreezes(aws.ssm, config.pipelineName);
      ctx.report(freezes, () => {
        if (freezes.length === 0) ctx.out('no run-time freezes');
        for (const f of freezes) ctx.out(describe(f, ctx.now().getTime(), config.calendar.timezone));
      });
    });
}
