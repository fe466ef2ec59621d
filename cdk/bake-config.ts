import { ConfigError } from './config-error';

/** A CloudWatch metric in the dev account whose sum counts the requests dev served. */
export interface RequestMetricConfig {
  /** e.g. `AWS/ApiGateway`. */
  readonly namespace: string;
  /** e.g. `Count`. */
  readonly metricName: string;
  /** e.g. `{ "ApiId": "a1b2c3d4e5", "Stage": "$default" }`. */
  readonly dimensions: Readonly<Record<string, string>>;
}

/** The `bake` section of the `tollgate` context: how long dev bakes and what it must show. */
export interface BakeConfig {
  /** How long dev must stay healthy after its deployment before the build may go to prod. */
  readonly minutes: number;
  /** Dev alarms watched besides dev's environment health alarm. */
  readonly extraAlarmNames: readonly string[];
  /** Requests dev must serve during the bake, counted by a metric; absent means no minimum. */
  readonly minimumRequests?: { readonly count: number; readonly metric: RequestMetricConfig };
  /** How long a prod deployment takes; with {@link prodBakeMinutes} the gate's late-start margin. */
  readonly prodDeployMinutes: number;
  /** How long prod is watched after its deployment (its canary and bake). */
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
  prodDeployMinutes: 20,
  prodBakeMinutes: 30,
  evidenceGraceMinutes: 60,
  maxHoldDays: 14,
};

/** CodePipeline's longest manual approval: 60 days. */
export const MAX_APPROVAL_MINUTES = 86_400;
const ALARM_NAME = /^[^\x00-\x1f]{1,255}$/;

type Raw = Record<string, unknown>;

function section(value: unknown, field: string): Raw {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(field, value, 'must be an object');
  return value as Raw;
}

function whole(raw: Raw, key: string, field: string, min: number, max: number, fallback?: number): number {
  const value = raw[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(field, value, `must be a whole number from ${min} to ${max}`);
  }
  return value;
}

function text(raw: Raw, key: string, field: string): string {
  const value = raw[key];
  if (typeof value !== 'string' || value.trim() === '') throw new ConfigError(field, value, 'must be a non-empty string');
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
  const minutes = whole(raw, 'minutes', 'bake.minutes', 1, MAX_APPROVAL_MINUTES - 5, d.minutes);

  const extra = raw.extraAlarmNames ?? d.extraAlarmNames;
  // DescribeAlarms takes 100 names at once; one is dev's health alarm.
  if (!Array.isArray(extra) || extra.length > 99 || extra.some((n) => typeof n !== 'string' || !ALARM_NAME.test(n))) {
    throw new ConfigError('bake.extraAlarmNames', extra, 'must be a list of at most 99 alarm names (1-255 characters)');
  }

  let minimumRequests: BakeConfig['minimumRequests'];
  if (raw.minimumRequests !== undefined) {
    const mr = section(raw.minimumRequests, 'bake.minimumRequests');
    const count = whole(mr, 'count', 'bake.minimumRequests.count', 1, Number.MAX_SAFE_INTEGER);
    const metric = section(mr.metric, 'bake.minimumRequests.metric');
    const dimensions = section(metric.dimensions ?? {}, 'bake.minimumRequests.metric.dimensions');
    for (const [name, v] of Object.entries(dimensions)) {
      if (typeof v !== 'string' || v === '') throw new ConfigError(`bake.minimumRequests.metric.dimensions.${name}`, v, 'must be a non-empty string');
    }
    minimumRequests = {
      count,
      metric: {
        namespace: text(metric, 'namespace', 'bake.minimumRequests.metric.namespace'),
        metricName: text(metric, 'metricName', 'bake.minimumRequests.metric.metricName'),
        dimensions: dimensions as Record<string, string>,
      },
    };
  }

  const maxHoldDays = whole(raw, 'maxHoldDays', 'bake.maxHoldDays', 0, 60, d.maxHoldDays);
  if (minutes + maxHoldDays * 1440 > MAX_APPROVAL_MINUTES) {
    throw new ConfigError('bake.maxHoldDays', maxHoldDays, `plus bake.minutes (${minutes}) must fit in CodePipeline's 60-day approval limit`);
  }
  return {
    minutes,
    extraAlarmNames: extra as string[],
    minimumRequests,
    prodDeployMinutes: whole(raw, 'prodDeployMinutes', 'bake.prodDeployMinutes', 0, 1440, d.prodDeployMinutes),
    prodBakeMinutes: whole(raw, 'prodBakeMinutes', 'bake.prodBakeMinutes', 0, 1440, d.prodBakeMinutes),
    evidenceGraceMinutes: whole(raw, 'evidenceGraceMinutes', 'bake.evidenceGraceMinutes', 0, 10_080, d.evidenceGraceMinutes),
    maxHoldDays,
  };
}
