import { describeError } from './aws';
import { CliContext } from './context';

/** What became of a step: `lines` is what it did, the error, or nothing when it was not run. */
export interface StepOutcome {
  readonly name: string;
  readonly status: 'done' | 'FAILED' | 'not done';
  readonly lines: string[];
}

/** One change a command makes; `run` returns what it did, one line per item, and sees what the steps before it did. */
export interface Step {
  readonly name: string;
  readonly run: (earlier: readonly StepOutcome[]) => Promise<string[]>;
}

export interface StepsOptions {
  /**
   * Whether a failed step lets the later ones run. `stop` keeps going (each step alone already holds prod
   * back); `resume` stops at the first failure so that it never half-opens the pipeline.
   */
  readonly continueAfterFailure: boolean;
}

/** A step's outcome as the command prints it: `  done      name: line`, further lines indented below. */
export function formatOutcome({ name, status, lines }: StepOutcome): string[] {
  const head = `  ${status.padEnd(8)}  ${name}${lines.length === 1 ? `: ${lines[0]}` : ''}`;
  return lines.length > 1 ? [head, ...lines.map((line) => `              ${line}`)] : [head];
}

/**
 * Runs `steps` in order, printing each outcome as it happens (`done`, `FAILED`, `not done`), so that whoever
 * ran the command knows exactly what changed. Resolves to the outcomes, in the order of `steps`.
 */
export async function runSteps(ctx: CliContext, steps: Step[], options: StepsOptions): Promise<StepOutcome[]> {
  const outcomes: StepOutcome[] = [];
  for (const step of steps) {
    let outcome: StepOutcome;
    if (outcomes.some((o) => o.status === 'FAILED') && !options.continueAfterFailure) {
      outcome = { name: step.name, status: 'not done', lines: [] };
    } else {
      try {
        outcome = { name: step.name, status: 'done', lines: await step.run([...outcomes]) };
      } catch (err) {
        outcome = { name: step.name, status: 'FAILED', lines: [describeError(err)] };
      }
    }
    outcomes.push(outcome);
    for (const line of formatOutcome(outcome)) ctx.out(line);
  }
  return outcomes;
}

/** `<step name> failed (<error>)` for every step that failed, joined: what a summary names as not done. */
export function failures(outcomes: readonly StepOutcome[]): string {
  return outcomes
    .filter((o) => o.status === 'FAILED')
    .map((o) => `${o.name} failed (${o.lines.join('; ')})`)
    .join('; ');
}
