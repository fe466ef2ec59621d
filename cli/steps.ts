import { describeError } from './aws';
import { CliContext } from './context';

/** One change a command makes; `run` returns what it did, one line per item. */
export interface Step {
  readonly name: string;
  readonly run: () => Promise<string[]>;
}

export interface StepsOptions {
  /**
   * Whether a failed step lets the later ones run. `stop` keeps going (each step alone already holds prod
   * back); `resume` stops at the first failure so that it never half-opens the pipeline.
   */
  readonly continueAfterFailure: boolean;
}

/**
 * Runs `steps` in order, printing each outcome as it happens (`done`, `FAILED`, `not done`), so that whoever
 * ran the command knows exactly what changed. Resolves to true when every step succeeded.
 */
export async function runSteps(ctx: CliContext, steps: Step[], options: StepsOptions): Promise<boolean> {
  let failures = 0;
  for (const step of steps) {
    if (failures > 0 && !options.continueAfterFailure) {
      ctx.out(`  not done  ${step.name}`);
      continue;
    }
    try {
      const lines = await step.run();
      ctx.out(`  done      ${step.name}${lines.length === 1 ? `: ${lines[0]}` : ''}`);
      if (lines.length > 1) for (const line of lines) ctx.out(`              ${line}`);
    } catch (err) {
      failures += 1;
      ctx.out(`  FAILED    ${step.name}: ${describeError(err)}`);
    }
  }
  return failures === 0;
}
