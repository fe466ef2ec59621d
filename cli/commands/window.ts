import { Command } from 'commander';
import { evaluateCalendar, formatInZone } from '../../lambdas/shared/release-calendar';
import { loadAppConfig } from '../app-config';
import { connectToPipeline } from '../aws';
import { readRuntimeFreezes } from '../control-parameters';
import { CliContext } from '../context';
import { parseTime } from '../options';

interface WindowOptions {
  readonly at?: string;
  readonly json?: boolean;
  readonly withFreezes?: boolean;
}

/** `tollgate window`: asks the release calendar, the same code the bake gate runs. Exit 0 open, 1 closed. */
export function registerWindowCommand(program: Command, ctx: CliContext): void {
  program
    .command('window')
    .description('Is the release calendar open (default: now)? Why not, and when does it next open? Exit 0 open, 1 closed, 2 bad input.')
    .option('--at <time>', 'ISO-8601 instant (2026-11-27T08:59:00-05:00) or local time in the calendar zone (2026-11-27T08:59)')
    .option('--json', 'print {"open", "at", "reasons", "nextOpen" | "closesAt"} as one line of JSON')
    .option('--with-freezes', "also apply on-call's run-time freezes from SSM (needs credentials for the deployment account)")
    .action(async (options: WindowOptions) => {
      const config = loadAppConfig();
      const { timezone } = config.calendar;
      const at = options.at === undefined ? ctx.now().getTime() : parseTime('--at', options.at, timezone);
      const freezes = options.withFreezes ? await connectToPipeline(config).then(({ aws }) => readRuntimeFreezes(aws.ssm, config.pipelineName)) : [];
      const verdict = evaluateCalendar(config.calendar, new Date(at), freezes);
      const when = formatInZone(at, timezone);
      if (options.json) {
        ctx.out(JSON.stringify({ open: verdict.open, at: when, reasons: verdict.reasons, nextOpen: verdict.nextOpen, closesAt: verdict.closesAt }));
      } else if (verdict.open) {
        ctx.out(`open at ${when}`);
        ctx.out(`closes at ${verdict.closesAt}`);
      } else {
        ctx.out(`closed at ${when}`);
        for (const reason of verdict.reasons) ctx.out(`  - ${reason}`);
        if (verdict.nextOpen) ctx.out(`next opening: ${verdict.nextOpen}`);
      }
      ctx.setExitCode(verdict.open ? 0 : 1);
    });
}
