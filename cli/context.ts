/** What every command gets: where to write, and how to set the process's exit code without exiting. */
export interface CliContext {
  /** Writes one line for the person at the keyboard: standard output, or standard error with `--json`. */
  readonly out: (line: string) => void;
  /** Writes one line to standard error. */
  readonly err: (line: string) => void;
  /** Sets the exit code `main` returns (0 unless a command says otherwise). */
  readonly setExitCode: (code: number) => void;
  /**
   * Ends the command as failed or incomplete after it did what it could: `tollgate: <message>` on standard error,
   * or the envelope's `error` with `--json`; exit code `exitCode`.
   */
  readonly fail: (message: string, exitCode?: number) => void;
  /** Whether `--json` was given: the command's result goes into the one JSON envelope `main` prints. */
  readonly json: boolean;
  /** The command's result: the envelope's `result` with `--json`, else printed by `printText`. */
  readonly report: <T>(result: T, printText: (result: T) => void) => void;
  /** The clock; tests pass a fixed one. */
  readonly now: () => Date;
  /** Writes raw text to standard error when it is a terminal (a spinner redrawn in place); absent otherwise. */
  readonly terminal?: (text: string) => void;
}

/** A problem the person at the keyboard can fix: printed as one line, exit code 2 unless given. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/**
 * Runs the part of a command that comes before its first change: whatever fails there (a read, the operator
 * role, a refusal) is a {@link CliError} with exit 2 whose message says that nothing was changed.
 */
export async function beforeAnyChange<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    const message = (err as Error)?.message ?? String(err);
    throw new CliError(/nothing was (changed|written)/i.test(message) ? message : `${message}; nothing was changed`);
  }
}
