import { Command, CommanderError } from 'commander';
import { registerFreezeCommand } from './commands/freeze';
import { registerGuardCommand } from './commands/guard';
import { registerMetricsCommand } from './commands/metrics';
import { registerOverrideCommand } from './commands/override';
import { registerPlanCommand } from './commands/plan';
import { registerResumeCommand } from './commands/resume';
import { registerRollbackCommand } from './commands/rollback';
import { registerSandboxCommand } from './commands/sandbox';
import { registerStatusCommand } from './commands/status';
import { registerStopCommand } from './commands/stop';
import { registerWindowCommand } from './commands/window';
import { CliContext, CliError } from './context';

// On Node 20 every AWS SDK client's construction prints a nine-line notice that SDK releases after the first week
// of January 2027 need Node 22, ahead of the command's answer. Node 20 still runs Tollgate until then (see
// DEVELOPERS.md), so turn off exactly that notice with the switch the SDK announced for it; every other warning
// still prints. Commands the CLI starts (the pinned `cdk` of `sandbox deploy`) inherit it. An explicit value wins.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** Builds the `tollgate` program; each command registers itself from its own file under `commands/`. */
function buildProgram(ctx: CliContext, stdout: (line: string) => void): Command {
  const program = new Command('tollgate')
    .description('Tollgate: ask, stop and steer the release pipeline; deploy personal sandboxes.')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => stdout(s.replace(/\n$/, '')), writeErr: (s) => ctx.err(s.replace(/\n$/, '')) });
  registerStatusCommand(program, ctx);
  registerStopCommand(program, ctx);
  registerResumeCommand(program, ctx);
  registerRollbackCommand(program, ctx);
  registerPlanCommand(program, ctx);
  registerSandboxCommand(program, ctx);
  registerWindowCommand(program, ctx);
  registerFreezeCommand(program, ctx);
  registerOverrideCommand(program, ctx);
  registerGuardCommand(program, ctx);
  registerMetricsCommand(program, ctx);
  for (const command of leafCommands(program)) {
    if (!command.options.some((o) => o.long === '--json')) command.option('--json', JSON_HELP);
  }
  return program;
}

const JSON_HELP = 'print one JSON envelope {"command", "result", "error"?} on stdout (errors too); progress goes to stderr';

/** Every command that runs an action: the ones without subcommands. */
function leafCommands(command: Command): Command[] {
  return command.commands.length === 0 ? [command] : command.commands.flatMap(leafCommands);
}

/** The command `args` name, e.g. `freeze declare`: the leading words that are (sub)commands. */
function commandName(program: Command, args: readonly string[]): string {
  const names: string[] = [];
  let command: Command | undefined = program;
  for (const arg of args) {
    command = command.commands.find((c) => c.name() === arg);
    if (!command) break;
    names.push(arg);
  }
  return names.join(' ');
}

/** What `--json` prints: one object per run. */
export interface JsonEnvelope {
  readonly command: string;
  readonly result: unknown;
  readonly error?: { readonly message: string; readonly exitCode: number };
}

export interface MainIo {
  readonly out?: (line: string) => void;
  readonly err?: (line: string) => void;
  readonly now?: () => Date;
  /** Raw standard error when it is a terminal; by default the process's, unless `err` is given. */
  readonly terminal?: (text: string) => void;
}

/**
 * Runs the program on `args` (without the node and script names) and resolves to the exit code: 0 success,
 * 1 the action failed or is incomplete, 2 bad input or cannot start (a usage error or a {@link CliError}:
 * nothing was changed), or what a command set (`window`). With `--json` exactly one {@link JsonEnvelope} goes
 * to standard output, errors included, and every other line to standard error.
 */
export async function main(args: string[], io: MainIo = {}): Promise<number> {
  const stdout = io.out ?? ((line) => process.stdout.write(`${line}\n`));
  const stderr = io.err ?? ((line) => process.stderr.write(`${line}\n`));
  const json = args.includes('--json');
  let exitCode = 0;
  let result: unknown = null;
  let error: JsonEnvelope['error'];
  const fail = (message: string, code = 1) => {
    error = { message, exitCode: code };
    exitCode = code;
    if (!json) stderr(`tollgate: ${message}`);
  };
  const ctx: CliContext = {
    out: json ? stderr : stdout,
    err: stderr,
    setExitCode: (code) => {
      exitCode = code;
    },
    fail,
    json,
    report: (value, printText) => {
      if (json) result = value;
      else printText(value);
    },
    now: io.now ?? (() => new Date()),
    terminal: io.terminal ?? (!io.err && process.stderr.isTTY ? (text) => process.stderr.write(text) : undefined),
  };
  const program = buildProgram(ctx, stdout);
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here with code 0; commander has printed its message already.
      if (err.exitCode === 0) return 0;
      error = { message: err.message.replace(/^error: /, ''), exitCode: 2 };
      exitCode = 2;
    } else if (err instanceof CliError) {
      fail(err.message, err.exitCode);
    } else {
      fail((err as Error).message ?? String(err), 1);
    }
  }
  if (json) stdout(JSON.stringify({ command: commandName(program, args), result, ...(error ? { error } : {}) }, null, 2));
  return exitCode;
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}
