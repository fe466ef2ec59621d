/**
 * Prod as waves: the targets (account and region) a release reaches one wave after another, each wave's targets
 * in parallel, each wave baked by the gate before the next. Without `prod.waves`, prod is the one target
 * `prod.account`/`prod.region` in the stage `Prod` (stack `Prod-Service`), as before waves existed.
 */
import { z } from 'zod';
import { wholeNumber } from '@tollgate/constructs/lib/domain/schema';
import type { AccountEnvironment } from './config';

/** One place a wave deploys the service to. */
export interface ProdTarget extends AccountEnvironment {
  /**
   * How stages, stacks, alarms and the gate name the target: `Prod-<name>` is its stage, `Prod-<name>-Service` its
   * stack, `prod-<name>` the gate's environment. Defaults to the region.
   */
  readonly name: string;
}

/** A wave: targets deployed in parallel, then baked together. */
export interface ProdWave {
  /**
   * The pipeline stage of the wave: `Prod` without waves; with them `Prod-Wave<n>`, or for a wave of one target
   * that target's stage `Prod-<name>`.
   */
  readonly stageName: string;
  readonly targets: readonly ProdTarget[];
  /** The bake after the wave's deployments (bake.waveBakeMinutes, else bake.prodBakeMinutes). */
  readonly bakeMinutes: number;
}

/** The stage of the only prod target when no waves are configured: today's names. */
const SINGLE_PROD_STAGE = 'Prod';

const TARGET_NAME = /^[a-z][a-z0-9-]{0,19}$/;
const TARGET_NAME_RULE = 'must match [a-z][a-z0-9-]{0,19}';
/** More targets than this would not fit the pipeline manifest's 8 KB parameter, nor a sane pipeline. */
const MAX_PROD_TARGETS = 20;

/** `prod.waves` as written: a list of waves, each a list of targets; a target's account defaults to prod.account. */
export function wavesSchema(account: z.ZodType<string>, region: z.ZodType<string>) {
  const target = z.strictObject({
    account: account.optional(),
    region,
    name: z.string({ error: TARGET_NAME_RULE }).regex(TARGET_NAME, TARGET_NAME_RULE).optional(),
  });
  return z
    .array(z.array(target, { error: 'must be a list of targets {account?, region, name?}' }).min(1, 'must name at least one target'), {
      error: 'must be a list of waves, each a list of targets',
    })
    .min(1, 'must hold at least one wave')
    .optional();
}

type WrittenWaves = z.infer<ReturnType<typeof wavesSchema>>;

/** Rules across the waves: every target named once, not too many, and a bake for each wave when bakes are listed. */
export function checkWaves(waves: WrittenWaves, waveBakeMinutes: readonly number[] | undefined, ctx: z.core.$RefinementCtx): void {
  if (waves === undefined) {
    if (waveBakeMinutes !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['bake', 'waveBakeMinutes'], input: waveBakeMinutes, message: 'needs prod.waves: without waves, bake.prodBakeMinutes is the prod bake' });
    }
    return;
  }
  const seen = new Map<string, string>();
  waves.forEach((wave, w) =>
    wave.forEach((target, t) => {
      const name = target.name ?? target.region;
      const at = `prod.waves[${w}][${t}]`;
      const first = seen.get(name);
      if (first !== undefined) {
        const message = `names target ${name} again (first at ${first}); give one of them a distinct "name"`;
        ctx.addIssue({ code: 'custom', path: ['prod', 'waves', w, t, target.name ? 'name' : 'region'], input: name, message });
      }
      seen.set(name, at);
    }),
  );
  const targets = waves.flat().length;
  if (targets > MAX_PROD_TARGETS) {
    ctx.addIssue({ code: 'custom', path: ['prod', 'waves'], input: `${targets} targets`, message: `must hold at most ${MAX_PROD_TARGETS} targets in all` });
  }
  if (waveBakeMinutes !== undefined && waveBakeMinutes.length !== waves.length) {
    const message = `must list one bake per wave (${waves.length}), got ${waveBakeMinutes.length}`;
    ctx.addIssue({ code: 'custom', path: ['bake', 'waveBakeMinutes'], input: waveBakeMinutes, message });
  }
}

/** `bake.waveBakeMinutes`: one bake per wave, in wave order. */
export const waveBakeMinutesSchema = z.array(wholeNumber(1, 1440)).min(1).optional();

/** The waves a release goes through in prod, resolved: names, accounts and bakes filled in. */
export function resolveProdWaves(prod: AccountEnvironment & { readonly waves?: WrittenWaves }, prodBakeMinutes: number, waveBakeMinutes?: readonly number[]): ProdWave[] {
  if (prod.waves === undefined) {
    return [{ stageName: SINGLE_PROD_STAGE, targets: [{ name: 'prod', account: prod.account, region: prod.region }], bakeMinutes: prodBakeMinutes }];
  }
  return prod.waves.map((wave, i) => {
    const targets = wave.map((t) => ({ name: t.name ?? t.region, account: t.account ?? prod.account, region: t.region }));
    // A wave of one target is that target's stage in the pipeline (CDK Pipelines renders a one-stage wave as the stage).
    const stageName = targets.length === 1 ? `${SINGLE_PROD_STAGE}-${targets[0].name}` : `${SINGLE_PROD_STAGE}-Wave${i + 1}`;
    return { stageName, targets, bakeMinutes: waveBakeMinutes?.[i] ?? prodBakeMinutes };
  });
}

/** The service stage of a target: `Prod` for the single target, `Prod-<name>` in waves. */
export function targetStageId(wave: ProdWave, target: ProdTarget): string {
  return wave.stageName === SINGLE_PROD_STAGE ? SINGLE_PROD_STAGE : `${SINGLE_PROD_STAGE}-${target.name}`;
}

/** The gate's name for a target's environment: `prod` for the single target, `prod-<name>` in waves. */
export function targetEnvironmentName(wave: ProdWave, target: ProdTarget): string {
  return targetStageId(wave, target).toLowerCase();
}
