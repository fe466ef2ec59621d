import type { MetricId } from '../lambdas/bake-gate/settings';
import { ConfigError } from '../lambdas/shared/config-error';
import { nonEmptyString, rejectUnknownKeys, section, wholeNumber } from './config-fields';

/** The `bake` section of the `tollgate` context: how long dev bakes and what it must show. */
export interface BakeConfig {
  /** How long dev must stay healthy after its deployment before the build may go to prod. */
  readonly minutes: number;
  /** Dev alarms watched besides dev's environment health alarm. */
  readonly extraAlarmNames: readonly string[];
  /**
   * Requests dev must serve during the bake, counted by the sum of a metric in the dev account (e.g. namespace
   * `AWS/ApiGateway`, metric `Count`, dimensions `{ "ApiId": "a1b2c3d4e5", "Stage": "$default" }`); absent means
   * no minimum.
   */
  readonly minimumRequests?: { readonly count: number; readonly metric: MetricId };
  /**
   * Evidence of traffic: the share of a bake's minutes in which the environment's synthetic checks must have
   * run (they run every minute).
   */
  readonly syntheticCoveragePercent: number;
  /**
   * Approve bakes without any evidence of traffic. Off by default: a silent environment is not a healthy one.
   * `plan` and every approval summary state it when on.
   */
  readonly allowNoTraffic: boolean;
  /**
   * How long after a bake minute its alarms may still fire (two one-minute datapoints plus evaluation delay):
   * the gate approves only once the alarms could have judged the bake's last minutes.
   */
  readonly alarmLatencyMinutes: number;
  /** How long a read may keep failing before the gate rejects rather than retrying on its next check. */
  readonly readFailureToleranceMinutes: number;
  /** How long a prod deployment takes; with {@link prodBakeMinutes} the gate's {@link lateStartMarginMinutes}. */
  readonly prodDeployMinutes: number;
  /**
   * The prod bake: how long prod is watched by the gate after its deployment (the canary included) before the
   * Prod stage succeeds; an alarm in that time fails the stage, which rolls it back.
   */
  readonly prodBakeMinutes: number;
  /** How long after the bake the gate waits for evidence (alarm OK, enough requests) before it rejects. */
  readonly evidenceGraceMinutes: number;
  /**
   * How long a baked build may be held (calendar closed, halt, prod unhealthy) before its approval times
   * out; bake plus hold is at most CodePipeline's 60 days.
   */
  readonly maxHoldDays: number;
}

export const DEFAULT_BAKE_CONFIG: BakeConfig = {
  minutes: 60,
  extraAlarmNames: [],
  syntheticCoveragePercent: 90,
  allowNoTraffic: false,
  alarmLatencyMinutes: 3,
  readFailureToleranceMinutes: 5,
  prodDeployMinutes: 20,
  prodBakeMinutes: 30,
  evidenceGraceMinutes: 60,
  maxHoldDays: 14,
};

/** CodePipeline's longest manual approval: 60 days. */
const MAX_APPROVAL_MINUTES = 86_400;
const ALARM_NAME = /^[^\x00-\x1f]{1,255}$/;

/**
 * The gate's late-start margin: how long before the release window closes it stops promoting a baked build,
 * because prod's deployment and bake would not end inside the window.
 */
export function lateStartMarginMinutes(bake: BakeConfig): number {
  return bake.prodDeployMinutes + bake.prodBakeMinutes + bake.alarmLatencyMinutes;
}

function flag(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw new ConfigError(field, value, 'must be true or false');
  return value;
}

/**
 * Reads and validates the `bake` section; every field is optional.
 *
 * @throws ConfigError naming the first field that is wrong, e.g. `bake.minutes`.
 */
export function parseBakeConfig(value: unknown): BakeConfig {
  if (value === undefined) return DEFAULT_BAKE_CONFIG;
  const raw = section(value, 'bake');
  const d = DEFAULT_BAKE_CONFIG;
  rejectUnknownKeys(raw, [...Object.keys(d), 'minimumRequests'], 'bake');
  const minutes = wholeNumber(raw.minutes ?? d.minutes, 'bake.minutes', 1, MAX_APPROVAL_MINUTES - 5);

  const extra = raw.extraAlarmNames ?? d.extraAlarmNames;
  // DescribeAlarms takes 100 names at once; one is dev's health alarm.
  if (!Array.isArray(extra) || extra.length > 99 || extra.some((n) => typeof n !== 'string' || !ALARM_NAME.test(n))) {
    throw new ConfigError('bake.extraAlarmNames', extra, 'must be a list of at most 99 alarm names (1-255 characters)');
  }

  let minimumRequests: BakeConfig['minimumRequests'];
  if (raw.minimumRequests !== undefined) {
    const mr = section(raw.minimumRequests, 'bake.minimumRequests');
    const count = wholeNumber(mr.count, 'bake.minimumRequests.count', 1, Number.MAX_SAFE_INTEGER);
    const metric = section(mr.metric, 'bake.minimumRequests.metric');
    const dimensions = section(metric.dimensions ?? {}, 'bake.minimumRequests.metric.dimensions');
    for (const [name, v] of Object.entries(dimensions)) {
      if (typeof v !== 'string' || v === '') throw new ConfigError(`bake.minimumRequests.metric.dimensions.${name}`, v, 'must be a non-empty string');
    }
    minimumRequests = {
      count,
      metric: {
        namespace: nonEmptyString(metric.namespace, 'bake.minimumRequests.metric.namespace'),
        metricName: nonEmptyString(metric.metricName, 'bake.minimumRequests.metric.metricName'),
        dimensions: dimensions as Record<string, string>,
      },
    };
  }

  const maxHoldDays = wholeNumber(raw.maxHoldDays ?? d.maxHoldDays, 'bake.maxHoldDays', 0, 60);
  if (minutes + maxHoldDays * 1440 > MAX_APPROVAL_MINUTES) {
    throw new ConfigError('bake.maxHoldDays', maxHoldDays, `plus bake.minutes (${minutes}) must fit in CodePipeline's 60-day approval limit`);
  }
  return {
    minutes,
    extraAlarmNames: extra as string[],
    minimumRequests,
    prodDeployMinutes: wholeNumber(raw.prodDeployMinutes ?? d.prodDeployMinutes, 'bake.prodDeployMinutes', 0, 1440),
    prodBakeMinutes: wholeNumber(raw.prodBakeMinutes ?? d.prodBakeMinutes, 'bake.prodBakeMinutes', 1, 1440),
    syntheticCoveragePercent: wholeNumber(raw.syntheticCoveragePercent ?? d.syntheticCoveragePercent, 'bake.syntheticCoveragePercent', 1, 100),
    allowNoTraffic: flag(raw.allowNoTraffic ?? d.allowNoTraffic, 'bake.allowNoTraffic'),
    alarmLatencyMinutes: wholeNumber(raw.alarmLatencyMinutes ?? d.alarmLatencyMinutes, 'bake.alarmLatencyMinutes', 0, 60),
    readFailureToleranceMinutes: wholeNumber(raw.readFailureToleranceMinutes ?? d.readFailureToleranceMinutes, 'bake.readFailureToleranceMinutes', 0, 1440),
    evidenceGraceMinutes: wholeNumber(raw.evidenceGraceMinutes ?? d.evidenceGraceMinutes, 'bake.evidenceGraceMinutes', 0, 10_080),
    maxHoldDays,
  };
}
