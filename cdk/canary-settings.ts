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

/** Size of the tile server's Fargate tasks. */
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
  tileServer: { cpu: 256, memoryMiB: 512, prodDesiredCount: 2, certificateArns: {} },
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

const CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/;
const certificateArn = z.string({ error: 'must be an ACM certificate ARN' }).regex(CERTIFICATE_ARN, 'must be an ACM certificate ARN');
const tileDefaults = DEFAULT_CANARY_SETTINGS.tileServer;

const tileServerSchema = z
  .strictObject({
    cpu: z.literal(FARGATE_CPU, { error: `must be one of ${FARGATE_CPU.join(', ')}` }).default(tileDefaults.cpu as 256),
    memoryMiB: z.number().default(tileDefaults.memoryMiB),
    prodDesiredCount: wholeNumber(1, 20).default(tileDefaults.prodDesiredCount),
    certificateArns: z.strictObject({ dev: certificateArn.optional(), prod: certificateArn.optional() }).default({}),
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
