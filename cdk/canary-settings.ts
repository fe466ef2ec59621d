/**
 * The `canary` section of the `tollgate` context: its types, defaults and parser. Pure, so the exposure figure
 * and the CLI read the same traffic shifts the CDK app deploys.
 */
import { z } from 'zod';
import { wholeNumber } from '@tollgate/constructs/lib/domain/schema';

/**
 * How CodeDeploy shifts an alias's traffic to a new Lambda version.
 *
 * `canary`: `percent` for `intervalMinutes`, then the rest; `linear`: `percent` more every `intervalMinutes`;
 * `allAtOnce`: everything at once. `predefinedName` is set when the shift is one of CodeDeploy's predefined
 * configurations (no `AWS::CodeDeploy::DeploymentConfig` resource is then needed).
 */
export type TrafficShift =
  | { readonly type: 'allAtOnce'; readonly predefinedName?: string }
  | { readonly type: 'canary' | 'linear'; readonly percent: number; readonly intervalMinutes: number; readonly predefinedName?: string };

/** CodeDeploy's predefined Lambda deployment configurations, by the name of their `LambdaDeploymentConfig` constant. */
export const PREDEFINED_LAMBDA_SHIFTS: Readonly<Record<string, TrafficShift>> = {
  ALL_AT_ONCE: { type: 'allAtOnce', predefinedName: 'CodeDeployDefault.LambdaAllAtOnce' },
  CANARY_10PERCENT_5MINUTES: canary('Canary10Percent5Minutes', 10, 5),
  CANARY_10PERCENT_10MINUTES: canary('Canary10Percent10Minutes', 10, 10),
  CANARY_10PERCENT_15MINUTES: canary('Canary10Percent15Minutes', 10, 15),
  CANARY_10PERCENT_30MINUTES: canary('Canary10Percent30Minutes', 10, 30),
  LINEAR_10PERCENT_EVERY_1MINUTE: linear('Linear10PercentEvery1Minute', 10, 1),
  LINEAR_10PERCENT_EVERY_2MINUTES: linear('Linear10PercentEvery2Minutes', 10, 2),
  LINEAR_10PERCENT_EVERY_3MINUTES: linear('Linear10PercentEvery3Minutes', 10, 3),
  LINEAR_10PERCENT_EVERY_10MINUTES: linear('Linear10PercentEvery10Minutes', 10, 10),
};

function canary(suffix: string, percent: number, intervalMinutes: number): TrafficShift {
  return { type: 'canary', percent, intervalMinutes, predefinedName: `CodeDeployDefault.Lambda${suffix}` };
}

function linear(suffix: string, percent: number, intervalMinutes: number): TrafficShift {
  return { type: 'linear', percent, intervalMinutes, predefinedName: `CodeDeployDefault.Lambda${suffix}` };
}

/** The predefined shift CodeDeploy names `name`, e.g. `CodeDeployDefault.LambdaCanary10Percent10Minutes`. */
export function predefinedShift(name: string): TrafficShift | undefined {
  return Object.values(PREDEFINED_LAMBDA_SHIFTS).find((s) => s.predefinedName === name);
}

/**
 * How ECS moves the tile server's production traffic to a new revision, with its native deployment strategies
 * (Amazon ECS Developer Guide, "Amazon ECS canary deployments" and "Amazon ECS blue/green deployments"):
 * `canary`: `percent` of the traffic for `canaryBakeMinutes`, then all of it; `allAtOnce`: all of it at once (ECS
 * blue/green). Either way the old revision keeps running for `bakeMinutes` after the last shift, and until it
 * stops, a deployment alarm moves the traffic back to it.
 */
export type EcsTrafficShift =
  | { readonly type: 'allAtOnce'; readonly bakeMinutes: number }
  | { readonly type: 'canary'; readonly percent: number; readonly canaryBakeMinutes: number; readonly bakeMinutes: number };

/**
 * Minutes from ECS's first traffic shift until it stops the old revision and the deployment ends: the deployment
 * alarms can roll back only until then.
 */
export function ecsShiftMinutes(shift: EcsTrafficShift): number {
  return (shift.type === 'canary' ? shift.canaryBakeMinutes : 0) + shift.bakeMinutes;
}

/**
 * Every sandbox's tile server: all at once and no bake, so `sandbox deploy` waits for nothing but healthy tasks; a
 * build whose tasks fail their health check never gets traffic, one that serves errors stays until the developer
 * deploys a fix (sandboxes take no canary, like the API's, which shifts all at once there too).
 */
export const SANDBOX_TILE_SERVER_SHIFT: EcsTrafficShift = { type: 'allAtOnce', bakeMinutes: 0 };

/** The tile server's Fargate tasks and how each environment's takes a new revision. */
export interface TileServerSettings {
  /** Fargate CPU units. @default 256 */
  readonly cpu: number;
  /** Task memory in MiB; must suit `cpu` (Fargate's table). @default 512 */
  readonly memoryMiB: number;
  /** Tasks in prod (two spread the service over two Availability Zones); dev and sandboxes run one. @default 2 */
  readonly prodDesiredCount: number;
  /**
   * ACM certificates the load balancer serves HTTPS with, per environment (each in that environment's account
   * and region); an environment without one, and every sandbox, serves plain HTTP. @default {}
   */
  readonly certificateArns: Readonly<Partial<Record<'dev' | 'prod', string>>>;
  /**
   * How prod's tile server takes a new revision. 5 minutes of canary outlast the deployment alarms' 3 minutes to
   * roll back, and canary plus bake (10 minutes) is no longer than the API's canary, so prod's deployment takes
   * no longer than it did.
   * @default a canary of 10 % for 5 minutes, then all, then a 5-minute bake
   */
  readonly prod: EcsTrafficShift;
  /**
   * How dev's tile server takes a new revision: dev carries almost no traffic, as for the API's canary.
   * @default all at once, then a 5-minute bake
   */
  readonly dev: EcsTrafficShift;
}

/** The `canary` section of the `tollgate` context: how releases reach the API and the tile server. */
export interface CanarySettings {
  /** Traffic shift of prod's API alias. @default CANARY_10PERCENT_10MINUTES */
  readonly prod: TrafficShift;
  /**
   * Traffic shift of dev's API alias. Dev carries almost no traffic, so a 10 % canary there proves little and
   * costs minutes on every release; the pre-traffic smoke test still runs and the bake after dev watches alarms.
   * @default ALL_AT_ONCE
   */
  readonly dev: TrafficShift;
  readonly tileServer: TileServerSettings;
}

export const DEFAULT_CANARY_SETTINGS: CanarySettings = {
  prod: PREDEFINED_LAMBDA_SHIFTS.CANARY_10PERCENT_10MINUTES,
  dev: PREDEFINED_LAMBDA_SHIFTS.ALL_AT_ONCE,
  tileServer: {
    cpu: 256,
    memoryMiB: 512,
    prodDesiredCount: 2,
    certificateArns: {},
    prod: { type: 'canary', percent: 10, canaryBakeMinutes: 5, bakeMinutes: 5 },
    dev: { type: 'allAtOnce', bakeMinutes: 5 },
  },
};

/** CodeDeploy's limits for custom time-based configurations. */
const MAX_INTERVAL_MINUTES = 2880;

/** Fargate's valid memory sizes (MiB) per CPU value. */
const FARGATE_MEMORY: Readonly<Record<number, (memory: number) => boolean>> = {
  256: (m) => [512, 1024, 2048].includes(m),
  512: (m) => m >= 1024 && m <= 4096 && m % 1024 === 0,
  1024: (m) => m >= 2048 && m <= 8192 && m % 1024 === 0,
  2048: (m) => m >= 4096 && m <= 16384 && m % 1024 === 0,
  4096: (m) => m >= 8192 && m <= 30720 && m % 1024 === 0,
};
const FARGATE_CPU = Object.keys(FARGATE_MEMORY).map(Number);

const PREDEFINED_NAMES = [...Object.keys(PREDEFINED_LAMBDA_SHIFTS), ...Object.values(PREDEFINED_LAMBDA_SHIFTS).map((s) => s.predefinedName!)];

/**
 * A traffic shift: a predefined configuration's name, either as the CDK constant (`CANARY_10PERCENT_10MINUTES`)
 * or as CodeDeploy spells it (`CodeDeployDefault.LambdaCanary10Percent10Minutes`), or a custom
 * `{ "type": "canary" | "linear", "percent": 1-99, "intervalMinutes": 1-2880 }`.
 */
export const trafficShiftSchema = z.union(
  [
    z.enum(PREDEFINED_NAMES).transform((name): TrafficShift => PREDEFINED_LAMBDA_SHIFTS[name] ?? predefinedShift(name)!),
    z.strictObject({
      type: z.enum(['canary', 'linear'], { error: 'must be "canary" or "linear"' }),
      percent: wholeNumber(1, 99),
      intervalMinutes: wholeNumber(1, MAX_INTERVAL_MINUTES),
    }),
  ],
  {
    error: (issue) =>
      typeof issue.input === 'string'
        ? `must be one of ${Object.keys(PREDEFINED_LAMBDA_SHIFTS).join(', ')} or a custom {type, percent, intervalMinutes}`
        : 'must be a predefined configuration name or an object {type, percent, intervalMinutes}',
  },
);

/** ECS's bounds for a bake (Amazon ECS API Reference, "CanaryConfiguration" and "DeploymentConfiguration"). */
const MAX_ECS_BAKE_MINUTES = 1440;
/**
 * CloudFormation refuses an ECS canary whose canary bake and bake add up to more than 33 hours, to finish within its
 * own 36 (CloudFormation Template Reference, "AWS::ECS::Service CanaryConfiguration").
 */
const MAX_ECS_CANARY_MINUTES = 33 * 60;

const PERCENT_STEPS = 'must be a percentage from 0.1 to 99.9 in steps of 0.1';
/** ECS takes multiples of 0.1 (API Reference, "CanaryConfiguration"); 100 would be all at once. */
const canaryPercent = z.number({ error: PERCENT_STEPS }).min(0.1, PERCENT_STEPS).max(99.9, PERCENT_STEPS).multipleOf(0.1, PERCENT_STEPS);

/**
 * How an environment's tile server takes a new revision: `{ "type": "canary", "percent": 0.1-99.9,
 * "canaryBakeMinutes": 1-1440, "bakeMinutes": 0-1440 }` or `{ "type": "allAtOnce", "bakeMinutes": 0-1440 }`.
 */
const ecsTrafficShiftSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('allAtOnce'), bakeMinutes: wholeNumber(0, MAX_ECS_BAKE_MINUTES) }),
    z
      .strictObject({
        type: z.literal('canary'),
        percent: canaryPercent,
        canaryBakeMinutes: wholeNumber(1, MAX_ECS_BAKE_MINUTES),
        bakeMinutes: wholeNumber(0, MAX_ECS_BAKE_MINUTES),
      })
      .refine((s) => s.canaryBakeMinutes + s.bakeMinutes <= MAX_ECS_CANARY_MINUTES, {
        path: ['bakeMinutes'],
        message: `must leave canaryBakeMinutes + bakeMinutes at most ${MAX_ECS_CANARY_MINUTES} (CloudFormation's limit for an ECS canary)`,
      }),
  ],
  {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? 'must be "canary" or "allAtOnce"'
        : 'must be an object {"type": "canary", "percent", "canaryBakeMinutes", "bakeMinutes"} or {"type": "allAtOnce", "bakeMinutes"}',
  },
) satisfies z.ZodType<EcsTrafficShift>;

const CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/;
const certificateArn = z.string({ error: 'must be an ACM certificate ARN' }).regex(CERTIFICATE_ARN, 'must be an ACM certificate ARN');
const tileDefaults = DEFAULT_CANARY_SETTINGS.tileServer;

const tileServerSchema = z
  .strictObject({
    cpu: z.literal(FARGATE_CPU, { error: `must be one of ${FARGATE_CPU.join(', ')}` }).default(tileDefaults.cpu as 256),
    memoryMiB: z.number().default(tileDefaults.memoryMiB),
    prodDesiredCount: wholeNumber(1, 20).default(tileDefaults.prodDesiredCount),
    certificateArns: z.strictObject({ dev: certificateArn.optional(), prod: certificateArn.optional() }).default({}),
    prod: ecsTrafficShiftSchema.default(tileDefaults.prod),
    dev: ecsTrafficShiftSchema.default(tileDefaults.dev),
  })
  .superRefine(({ cpu, memoryMiB }, ctx) => {
    if (!FARGATE_MEMORY[cpu](memoryMiB)) {
      ctx.addIssue({ code: 'custom', path: ['memoryMiB'], input: memoryMiB, message: `must be a Fargate memory size for ${cpu} CPU units` });
    }
  });

/** The `canary` section of the `tollgate` context; every setting is optional. */
export const canarySchema = z.strictObject({
  prod: trafficShiftSchema.prefault('CANARY_10PERCENT_10MINUTES'),
  dev: trafficShiftSchema.prefault('ALL_AT_ONCE'),
  tileServer: tileServerSchema.prefault({}),
}) satisfies z.ZodType<CanarySettings>;
