/**
 * Progress of a long operation on standard error, so that standard output keeps the results: on a terminal a
 * spinner with the elapsed time, redrawn in place; elsewhere a heartbeat line every {@link HEARTBEAT_MS}
 * (`still deploying alice-Service: 2 min 30 s`); at the end one line with how long it took.
 */
import { duration } from '@tollgate/constructs/lib/domain/duration';
import type { CliContext } from './context';

export const HEARTBEAT_MS = 30_000;
const SPIN_MS = 250;
const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** Calls `tick` every `ms` until the returned function is called; jest's fake timers drive the default. */
export type Every = (ms: number, tick: () => void) => () => void;

const realEvery: Every = (ms, tick) => {
  const timer = setInterval(tick, ms);
  return () => clearInterval(timer);
};

export interface Progress {
  /** Ends it: `deployed alice-Service in 4 min 12 s`. */
  readonly done: (what: string) => void;
  /** Ends it as failed: `cdk deploy failed after 1 min 3 s`. */
  readonly failed: (what: string) => void;
}

/**
 * Starts reporting `doing` (`deploying alice-Service`), timed by `ctx.now`. `sharesTerminal`: another process
 * draws on the terminal (cdk's own stack events), so no spinner there.
 */
export function startProgress(ctx: Pick<CliContext, 'err' | 'now' | 'terminal'>, doing: string, options: { sharesTerminal?: boolean; every?: Every } = {}): Progress {
  const every = options.every ?? realEvery;
  const started = ctx.now().getTime();
  const elapsed = () => duration(ctx.now().getTime() - started, 's');
  const spinner = options.sharesTerminal ? undefined : ctx.terminal;
  let frame = 0;
  const stop = spinner
    ? every(SPIN_MS, () => spinner(`\r\x1b[2K${FRAMES[frame++ % FRAMES.length]} ${doing}: ${elapsed()}`))
    : ctx.terminal
      ? () => undefined
      : every(HEARTBEAT_MS, () => ctx.err(`still ${doing}: ${elapsed()}`));
  const end = (line: string) => {
    stop();
    if (spinner) spinner('\r\x1b[2K');
    ctx.err(line);
  };
  return { done: (what) => end(`${what} in ${elapsed()}`), failed: (what) => end(`${what} after ${elapsed()}`) };
}
