import { CliContext, CliError } from './context';
import * as prompt from './prompt';

/**
 * Whether to make a change: yes with `--yes`, else the answer on the terminal. With no terminal to ask on it
 * refuses (exit 2), and so it does with `--json`, whose output is for programs; a "no" says nothing was changed and sets exit 1. Apart from `prompt` so tests can fake the terminal.
 *
 * @param refusing how the refusal starts, e.g. `refusing to roll back`.
 */
export async function confirmChange(ctx: CliContext, yes: boolean | undefined, question: string, refusing = 'refusing'): Promise<boolean> {
  if (yes) return true;
  if (ctx.json || !prompt.isInteractive()) {
    throw new CliError(`${refusing} without confirmation: ${ctx.json ? 'with --json nothing is asked' : 'no terminal to ask on'}; add --yes to confirm. Nothing was changed`);
  }
  if (await prompt.confirm(question)) return true;
  ctx.out('Not confirmed; nothing was changed.');
  ctx.setExitCode(1);
  return false;
}
