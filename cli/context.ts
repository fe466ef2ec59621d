/** What every command gets: where to write, and how to set the process's exit code without exiting. */
export interface CliContext {
  /** Writes one line to standard output. */
  readonly out: (line: string) => void;
  /** Writes one line to standard error. */
  readonly err: (line: string) => void;
  /** Sets the exit code `main` returns (0 unless a command says otherwise). */
  readonly setExitCode: (code: number) => void;
  /** The clock; tests pass a fixed one. */
  readonly now: () => Date;
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
