import { Command } from 'commander';
import { TollgateConfig } from '../../cdk/config';
import { isoSeconds } from '@tollgate/constructs/lib/domain/iso-time';
import { Freeze } from '@tollgate/constructs/lib/domain/pipeline-controls';
import { evaluateCalendar, formatInZone } from '@tollgate/constructs/lib/domain/release-calendar';
import { loadAppConfig } from '../app-config';
import { connectToPipeline } from '../aws';
import { readRuntimeFreezes } from '../control-parameters';
import { CliContext, CliError } from '../context';
import { parseTime } from '../options';

interface WindowOptions {
  readonly at?: string;
  readonly withFreezes?: boolean;
}

/** The freezes `--with-freezes` asks for; unreadable ones leave the calendar unable to decide (exit 2). */
async function runtimeFreezes(config: TollgateConfig): Promise<Freeze[]> {
  try {
    const { aws } = await connectToPipeline(config);
    return await readRuntimeFreezes(aws.ssm, config.pipelineName);
  } catch (err) {
    throw new CliError(`cannot decide: the run-time freezes cannot be read (${(err as Error).message})`);
  }
}

/** `tollgate window`: asks the release calendar, the same code the bake gate runs. Exit 0 open, 1 closed, 2 cannot decide. */
export function registerWindowCommand(program: Command, ctx: CliContext): void {
  program
    .command('window')
    .description('Is the release calendar open (default: now)? Why not, and when does it next open? Exit 0 open, 1 closed, 2 bad input or cannot decide (e.g. the freezes cannot be read).')
    .option('--at <time>', 'ISO-8601 instant (2026-11-27T08:59:00-05:00) or local time in the calendar zone (2026-11-27T08:59)')
    .option('--with-freezes', "also apply on-call's run-time freezes from SSM (needs credentials for the deployment account)")
    .action(async (options: WindowOptions) => {
      const config = loadAppConfig();
      const { timezone } = config.calendar;
      const at = options.at === undefined ? ctx.now().getTime() : parseTime('--at', options.at, timezone);
      const freezes = options.withFreezes ? await runtimeFreezes(config) : [];
      const verdict = evaluateCalendar(config.calendar, new Date(at), freezes);
      const utc = (iso: string | undefined) => iso && isoSeconds(new Date(Date.parse(iso)));
      const result = { open: verdict.open, at: isoSeconds(new Date(at)), reasons: verdict.reasons, nextOpen: utc(verdict.nextOpen), closesAt: utc(verdict.closesAt) };
      ctx.report(result, () => {
        const when = formatInZone(at, timezone);
        if (verdict.open) {
          ctx.out(`open at ${when}`);
          ctx.out(`closes at ${verdict.closesAt}`);
        } else {
          ctx.out(`closed at ${when}`);
          for (const reason of verdict.reasons) ctx.out(`  - ${reason}`);
          if (verdict.nextOpen) ctx.out(`next opening: ${verdict.nextOpen}`);
        }
      });
      ctx.setExitCode(verdict.open ? 0 : 1);
    });
}
