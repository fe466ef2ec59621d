import { execFileSync, spawn } from 'node:child_process';
import { CommandLine } from './cdk-invocation';

/**
 * Runs a long command with the terminal handed over (its progress, colours and prompts reach the person
 * directly) and resolves to its exit code. `stdoutToStderr` sends its standard output to our standard error
 * (with `--json`, standard output carries only the envelope).
 */
export function runAttached(command: CommandLine, options: { readonly stdoutToStderr?: boolean } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const stdio = options.stdoutToStderr ? (['inherit', process.stderr, 'inherit'] as const) : 'inherit';
    const child = spawn(command.file, command.args, { cwd: command.cwd, env: { ...process.env, ...command.env }, stdio: stdio as never });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

/** Runs git in `cwd` and returns its trimmed output; throws with git's own message on failure. */
export function git(cwd: string, args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}
