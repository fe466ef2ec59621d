/**
 * Gated stages between dev and prod, as configuration: `"preProd": [{ "name": "staging", "account": …, "region": … }]`
 * makes the path dev → staging → prod. Each deploys the service as `<Name>-Service` (e.g. `Staging-Service`), is
 * checked at its door by the gate (the stage before it clean since its bake), and baked before the next stage.
 * None by default: dev → prod.
 */
import { z } from 'zod';
import { wholeNumber } from '@tollgate/constructs/lib/domain/schema';
import type { AccountEnvironment } from './config';

/** A gated stage between dev and prod. */
export interface PreProdStage extends AccountEnvironment {
  /** The gate's name for its environment, e.g. `staging`; `Staging` is its pipeline stage, `Staging-Service` its stack. */
  readonly name: string;
  /** Its bake before the next stage (default: the dev bake's `bake.minutes`). */
  readonly bakeMinutes: number;
}

const NAME = /^[a-z][a-z0-9-]{0,19}$/;
const NAME_RULE = 'must match [a-z][a-z0-9-]{0,19} and not be dev, prod or sandbox';
const RESERVED = ['dev', 'prod', 'sandbox', 'pipeline'];

/** `preProd` as written; `bakeMinutes` is filled in from `bake.minutes` by {@link resolvePreProdStages}. */
export function preProdSchema(account: z.ZodType<string>, region: z.ZodType<string>) {
  const stage = z.strictObject({
    name: z
      .string({ error: NAME_RULE })
      .refine((name) => NAME.test(name) && !RESERVED.includes(name) && !name.startsWith('prod-'), NAME_RULE),
    account,
    region,
    bakeMinutes: wholeNumber(1, 1440).optional(),
  });
  return z
    .array(stage, { error: 'must be a list of stages {name, account, region, bakeMinutes?}' })
    .max(5, 'must hold at most 5 stages')
    .refine((stages) => new Set(stages.map((s) => s.name)).size === stages.length, 'must name each stage once')
    .default([]);
}

type WrittenStages = z.infer<ReturnType<typeof preProdSchema>>;

/** The stages with their bakes: their own, else the dev bake's minutes. */
export function resolvePreProdStages(stages: WrittenStages, devBakeMinutes: number): PreProdStage[] {
  return stages.map((s) => ({ name: s.name, account: s.account, region: s.region, bakeMinutes: s.bakeMinutes ?? devBakeMinutes }));
}

/** Its pipeline stage and service stage id: the name capitalized at each word, e.g. `staging` → `Staging`. */
export function preProdStageId(stage: PreProdStage): string {
  return stage.name.replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => `${dash}${letter.toUpperCase()}`);
}
