/**
 * What a release costs: the price table (list prices, overridable in the `prices` section of the configuration),
 * what a release uses of each priced service, and the dollars that makes. `tollgate plan` estimates a release's
 * usage from its timeline, `tollgate metrics` measures it from the actions' durations; both price it here.
 *
 * A release's cost has two parts. **Marginal**: what runs because the release runs (CodePipeline's action minutes,
 * CodeBuild's build minutes, its assets in S3). **Attributed**: a share of what runs anyway, the bake gate's checks
 * and the synthetic checks, counted for the minutes the release spent in the gate's approvals: they run every
 * minute whether or not a build bakes, and are the evidence the release was judged on.
 */
import { z } from 'zod';
import { nonEmptyString } from './schema';

/** CodeBuild compute types as the pricing page names them (Linux, on-demand). */
export const CODEBUILD_COMPUTE_TYPES = ['general1.small', 'general1.medium', 'general1.large', 'arm1.small', 'arm1.large'] as const;
export type CodeBuildCompute = (typeof CODEBUILD_COMPUTE_TYPES)[number];

/** US dollars per unit of each priced thing a release uses. */
export interface ReleasePrices {
  /** CodePipeline V2: per action-execution minute, each action rounded up to the minute; manual approvals are free. */
  readonly codePipelineActionMinute: number;
  /** CodeBuild: per build minute, by compute type. */
  readonly codeBuildMinute: Readonly<Record<CodeBuildCompute, number>>;
  /** Lambda: per request. */
  readonly lambdaRequest: number;
  /** Lambda on arm64 (the bake gate's architecture): per GB-second. */
  readonly lambdaArmGbSecond: number;
  /** CloudWatch Synthetics: per canary run. */
  readonly syntheticsCanaryRun: number;
  /** S3 Standard storage: per GB-month. */
  readonly s3GbMonth: number;
  /** Data transfer between regions (assets published to a target in another region): per GB. */
  readonly interRegionTransferGb: number;
}

/**
 * The list prices the cost is computed with unless the configuration overrides them: us-east-1, as the author
 * knew them in June 2025, written down without access to the pricing pages, so **unverified** (docs/metrics.md
 * lists each with its pricing page). Free tiers are not deducted.
 */
export const LIST_PRICES: { readonly region: string; readonly asOf: string; readonly prices: ReleasePrices } = {
  region: 'us-east-1',
  asOf: 'June 2025',
  prices: {
    // AWS CodePipeline pricing: "V2 type pipelines: $0.002 per action execution minute ... all action types except
    // for manual approval and custom action types".
    codePipelineActionMinute: 0.002,
    // AWS CodeBuild pricing, on-demand EC2 compute, Linux.
    codeBuildMinute: { 'general1.small': 0.005, 'general1.medium': 0.01, 'general1.large': 0.02, 'arm1.small': 0.0034, 'arm1.large': 0.015 },
    // AWS Lambda pricing: $0.20 per 1M requests; Arm $0.0000133334 per GB-second (first tier).
    lambdaRequest: 0.0000002,
    lambdaArmGbSecond: 0.0000133334,
    // Amazon CloudWatch pricing, Synthetics: $0.0012 per canary run.
    syntheticsCanaryRun: 0.0012,
    // Amazon S3 pricing: S3 Standard, first 50 TB a month; data transfer out to another AWS region.
    s3GbMonth: 0.023,
    interRegionTransferGb: 0.02,
  },
};

/**
 * What Tollgate's pipeline runs on, which a release's usage is priced at when the history does not say:
 * every CodeBuild project `ReleasePipeline` makes (its `codeBuildDefaults`), and the bake gate's function
 * (`functionDefaults`). A template test keeps them equal to the synthesized pipeline.
 */
export const TOLLGATE_FOOTPRINT = {
  buildCompute: 'general1.medium' as CodeBuildCompute,
  gate: {
    memoryMb: 256,
    /** The gate checks every pending approval once a minute (its EventBridge schedule). */
    checksPerMinute: 1,
    /** One check's billed duration: about 100 ms by the README's measurement; an estimate. */
    secondsPerCheck: 0.1,
  },
  /** The synthetic checks run every minute in each baked environment (`SyntheticChecks`' default schedule). */
  syntheticRunsPerMinute: 1,
} as const;

const PRICE = 'must be a price in US dollars, 0 or more';
const price = z.number({ error: PRICE }).finite(PRICE).min(0, PRICE);

/**
 * The `prices` section: any list price replaced, e.g. with the prices of the pipeline's region or a negotiated
 * rate. Unknown keys are refused like everywhere in the configuration.
 */
export const priceOverridesSchema = z.strictObject({
  /** Where the overriding prices come from, printed with every cost, e.g. `eu-west-1 list prices, March 2026`. */
  source: nonEmptyString.optional(),
  codePipelineActionMinute: price.optional(),
  codeBuildMinute: z.strictObject(Object.fromEntries(CODEBUILD_COMPUTE_TYPES.map((t) => [t, price.optional()])) as Record<CodeBuildCompute, z.ZodOptional<typeof price>>).optional(),
  lambdaRequest: price.optional(),
  lambdaArmGbSecond: price.optional(),
  syntheticsCanaryRun: price.optional(),
  s3GbMonth: price.optional(),
  interRegionTransferGb: price.optional(),
});

export type PriceOverrides = z.output<typeof priceOverridesSchema>;

/** The prices in force and where they come from. */
export interface PriceTable {
  readonly prices: ReleasePrices;
  /** One line: `us-east-1 list prices as of June 2025, unverified`, and what the configuration overrides. */
  readonly source: string;
  /** The overridden prices, e.g. `codeBuildMinute.general1.medium`. */
  readonly overridden: readonly string[];
}

/** The list prices with `overrides` applied. */
export function priceTable(overrides: PriceOverrides = {}): PriceTable {
  const { source, codeBuildMinute, ...flat } = overrides;
  const given = Object.fromEntries(Object.entries(flat).filter(([, v]) => v !== undefined)) as Partial<ReleasePrices>;
  const builds = Object.fromEntries(Object.entries(codeBuildMinute ?? {}).filter(([, v]) => v !== undefined)) as Partial<Record<CodeBuildCompute, number>>;
  const overridden = [...Object.keys(given), ...Object.keys(builds).map((t) => `codeBuildMinute.${t}`)];
  const list = `${LIST_PRICES.region} list prices as of ${LIST_PRICES.asOf}, unverified`;
  return {
    prices: { ...LIST_PRICES.prices, ...given, codeBuildMinute: { ...LIST_PRICES.prices.codeBuildMinute, ...builds } },
    source: overridden.length === 0 ? list : `${list}; overridden from the configuration${source ? ` (${source})` : ''}: ${overridden.join(', ')}`,
    overridden,
  };
}

/** What one release uses of each priced service. */
export interface ReleaseUsage {
  /** CodePipeline action-execution minutes: every action but manual approvals, each rounded up to the minute. */
  readonly actionMinutes: number;
  /** CodeBuild build minutes by compute type, each build rounded up to the minute. */
  readonly buildMinutes: Readonly<Partial<Record<CodeBuildCompute, number>>>;
  /** Minutes the release waited in the bake gate's approvals (bakes, entry checks, holds): the gate checked it each minute. */
  readonly gateMinutes: number;
  /** Minutes the release baked: the baked environment's synthetic checks ran each minute. */
  readonly bakeMinutes: number;
  /** Bytes of file assets published to the targets' asset buckets; absent: unknown. */
  readonly assetBytes?: number;
  /** Of those, bytes published to a region other than the pipeline's. */
  readonly crossRegionAssetBytes?: number;
}

/** A release that used nothing yet. */
export const NO_USAGE: ReleaseUsage = { actionMinutes: 0, buildMinutes: {}, gateMinutes: 0, bakeMinutes: 0 };

/** The sum of two usages; asset bytes stay unknown unless both know them. */
export function addUsage(a: ReleaseUsage, b: ReleaseUsage): ReleaseUsage {
  const buildMinutes: Partial<Record<CodeBuildCompute, number>> = { ...a.buildMinutes };
  for (const [type, minutes] of Object.entries(b.buildMinutes) as [CodeBuildCompute, number][]) buildMinutes[type] = (buildMinutes[type] ?? 0) + minutes;
  const both = (x?: number, y?: number) => (x === undefined || y === undefined ? undefined : x + y);
  return {
    actionMinutes: a.actionMinutes + b.actionMinutes,
    buildMinutes,
    gateMinutes: a.gateMinutes + b.gateMinutes,
    bakeMinutes: a.bakeMinutes + b.bakeMinutes,
    assetBytes: both(a.assetBytes, b.assetBytes),
    crossRegionAssetBytes: both(a.crossRegionAssetBytes, b.crossRegionAssetBytes),
  };
}

/** The priced services, in the order a cost lists them. */
export const COST_ITEMS = ['CodePipeline', 'CodeBuild', 'S3 assets', 'bake gate (Lambda)', 'synthetic checks'] as const;
export type CostItem = (typeof COST_ITEMS)[number];

/** The attributed items: shares of what runs whether or not a release is in flight. */
export const ATTRIBUTED_ITEMS: readonly CostItem[] = ['bake gate (Lambda)', 'synthetic checks'];

/** A release's cost in US dollars, by item; an item whose usage is unknown is absent. */
export interface ReleaseCost {
  readonly dollars: number;
  /** What runs because the release runs. */
  readonly marginal: number;
  /** Shares of the gate and the synthetic checks for the minutes the release waited in the gate's approvals. */
  readonly attributed: number;
  readonly items: Readonly<Partial<Record<CostItem, number>>>;
}

const GB = 1024 ** 3;

/** `usage` priced at `prices`. S3 counts one month of storage in each target's asset bucket. */
export function releaseCost(usage: ReleaseUsage, prices: ReleasePrices): ReleaseCost {
  const gate = TOLLGATE_FOOTPRINT.gate;
  const checks = usage.gateMinutes * gate.checksPerMinute;
  const items: Partial<Record<CostItem, number>> = {
    CodePipeline: usage.actionMinutes * prices.codePipelineActionMinute,
    CodeBuild: (Object.entries(usage.buildMinutes) as [CodeBuildCompute, number][]).reduce((sum, [type, minutes]) => sum + minutes * prices.codeBuildMinute[type], 0),
    'bake gate (Lambda)': checks * (prices.lambdaRequest + gate.secondsPerCheck * (gate.memoryMb / 1024) * prices.lambdaArmGbSecond),
    'synthetic checks': usage.bakeMinutes * TOLLGATE_FOOTPRINT.syntheticRunsPerMinute * prices.syntheticsCanaryRun,
  };
  if (usage.assetBytes !== undefined) {
    items['S3 assets'] = (usage.assetBytes / GB) * prices.s3GbMonth + ((usage.crossRegionAssetBytes ?? 0) / GB) * prices.interRegionTransferGb;
  }
  const sum = (keys: readonly CostItem[]) => keys.reduce((total, key) => total + (items[key] ?? 0), 0);
  const attributed = sum(ATTRIBUTED_ITEMS);
  const marginal = sum(COST_ITEMS.filter((item) => !ATTRIBUTED_ITEMS.includes(item)));
  return { dollars: marginal + attributed, marginal, attributed, items };
}

/** The CodeBuild compute type of a project's `Environment` (`Type`, `ComputeType`), or undefined when the table has no price for it. */
export function codeBuildCompute(environmentType: string | undefined, computeType: string | undefined): CodeBuildCompute | undefined {
  const size = /^BUILD_GENERAL1_(SMALL|MEDIUM|LARGE)$/.exec(computeType ?? '')?.[1]?.toLowerCase();
  if (!size) return undefined;
  const family = environmentType === 'ARM_CONTAINER' ? 'arm1' : environmentType === 'LINUX_CONTAINER' ? 'general1' : undefined;
  const key = family && `${family}.${size}`;
  return CODEBUILD_COMPUTE_TYPES.find((t) => t === key);
}

/** Dollars as people read them: `$0.42`; below a cent two significant digits, `$0.0031`; below $0.0001 `< $0.0001`. */
export function formatDollars(dollars: number): string {
  if (dollars > 0 && dollars < 0.0001) return '< $0.0001';
  if (dollars > 0 && dollars < 0.01) return `$${dollars.toPrecision(2)}`;
  return `$${dollars.toFixed(2)}`;
}

/** The items of a cost in one line: `CodePipeline $0.07, CodeBuild $0.16, synthetic checks $0.12 (attributed)`. */
export function describeCostItems(items: Readonly<Partial<Record<CostItem, number>>>): string {
  return COST_ITEMS.filter((item) => items[item] !== undefined)
    .map((item) => `${item} ${formatDollars(items[item]!)}${ATTRIBUTED_ITEMS.includes(item) ? ' (attributed)' : ''}`)
    .join(', ');
}
