/**
 * The canary settings' types and defaults, apart from their parser so that pure code (the exposure figure, the
 * CLI) and the configuration can import them without an import cycle.
 */

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

/** Size of the tile server's Fargate tasks. */
export interface TileServerSettings {
  /** Fargate CPU units. @default 256 */
  readonly cpu: number;
  /** Task memory in MiB; must suit `cpu` (Fargate's table). @default 512 */
  readonly memoryMiB: number;
  /** Tasks in prod (two spread the service over two Availability Zones); dev and sandboxes run one. @default 2 */
  readonly prodDesiredCount: number;
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
  tileServer: { cpu: 256, memoryMiB: 512, prodDesiredCount: 2 },
};
