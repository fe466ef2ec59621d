import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliContext } from '../cli/context';
import { main } from '../cli/main';

export interface CliRun {
  readonly code: number;
  readonly out: string[];
  readonly err: string[];
}

/** Runs `tollgate <args>` in-process with a fixed clock and captures what it prints. */
export async function runCli(args: string[], now = new Date('2026-11-23T10:00:00-05:00')): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l), now: () => now });
  return { code, out, err };
}

/** A context for calling a command's parts directly, in text mode: lines go to `out` and `err`. */
export function textContext(out: (line: string) => void, err: (line: string) => void, now: () => Date = () => new Date()): CliContext {
  return {
    out,
    err,
    setExitCode: () => undefined,
    fail: (message) => err(`tollgate: ${message}`),
    json: false,
    report: (result, printText) => printText(result),
    now,
  };
}

/**
 * Makes a throw-away repository whose cdk.json carries `tollgate` as its context, and runs the suite from it
 * (the CLI reads the configuration from the current directory up). Call in `beforeAll`; undo with the result.
 */
export function useCdkJson(tollgate: unknown): { dir: string; restore: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-cli-'));
  writeCdkJson(dir, tollgate);
  const previous = process.cwd();
  process.chdir(dir);
  return {
    dir,
    restore: () => {
      process.chdir(previous);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function writeCdkJson(dir: string, tollgate: unknown): void {
  writeFileSync(join(dir, 'cdk.json'), JSON.stringify({ app: 'npx tsx cdk/app.ts', context: { tollgate } }));
}
