import { Command, CommanderError } from 'commander';
import { registerFreezeCommand } from './commands/freeze';
import { registerOverrideCommand } from './commands/override';
import { registerPlanCommand } from './commands/plan';
import { registerResumeCommand } from './commands/resume';
import { registerRollbackCommand } from './commands/rollback';
import { registerSandboxCommand } from './commands/sandbox';
import { registerStatusCommand } from './commands/status';
import { registerStopCommand } from './commands/stop';
import { registerWindowCommand } from './commands/window';
import { CliContext, CliError } from './context';

/** Builds the `tollgate` program; each command registers itself from its own file under `commands/`. */
function buildProgram(ctx: CliContext): Command {
  const program = new Command('tollgate')
    .description('Tollgate: ask, stop and steer the release pipeline; deploy personal sandboxes.')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => ctx.out(s.replace(/\n$/, '')), writeErr: (s) => ctx.err(s.replace(/\n$/, '')) });
  registerStatusCommand(program, ctx);
  registerStopCommand(program, ctx);
  registerResumeCommand(program, ctx);
  registerRollbackCommand(program, ctx);
  registerPlanCommand(program, ctx);
  registerSandboxCommand(program, ctx);
  registerWindowCommand(program, ctx);
  registerFreezeCommand(program, ctx);
  registerOverrideCommand(program, ctx);
  return program;
}

export interface MainIo {
  readonly out?: (line: string) => void;
  readonly err?: (line: string) => void;
  readonly now?: () => Date;
}

/**
 * Runs the program on `args` (without the node and script names) and resolves to the exit code:
 * 0 success, 2 bad input (usage or a {@link CliError}), 1 any other failure, or what a command set.
 */
export async function main(args: string[], io: MainIo = {}): Promise<number> {
  let exitCode = 0;
  const ctx: CliContext = {
    out: io.out ?? ((line) => process.stdout.write(`${line}\n`)),
    err: io.err ?? ((line) => process.stderr.write(`${line}\n`)),
    setExitCode: (code) => {
      exitCode = code;
    },
    now: io.now ?? (() => new Date()),
  };
  try {
    await buildProgram(ctx).parseAsync(args, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here with code 0; commander has printed its message already.
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof CliError) {
      ctx.err(`tollgate: ${err.message}`);
      return err.exitCode;
    }
    ctx.err(`tollgate: ${(err as Error).message ?? String(err)}`);
    return 1;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}
