import type { MetricId } from '@tollgate/constructs/lib/lambdas/bake-gate/settings';
import { z } from 'zod';
import { nonEmptyString, wholeNumber } from '@tollgate/constructs/lib/domain/schema';
import { waveBakeMinutesSchema } from './prod-waves';

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
  /** One bake per prod wave, in wave order (Amazon's practice: longest after the first wave); needs `prod.waves`. */
  readonly waveBakeMinutes?: readonly number[];
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
const ALARM_NAMES = 'must be a list of at most 99 alarm names (1-255 characters)';

const d = DEFAULT_BAKE_CONFIG;

/** The `bake` section of the `tollgate` context; every field is optional. */
export const bakeSchema = z
  .strictObject({
    minutes: wholeNumber(1, MAX_APPROVAL_MINUTES - 5).default(d.minutes),
    // DescribeAlarms takes 100 names at once; one is dev's health alarm.
    extraAlarmNames: z
      .array(z.string({ error: ALARM_NAMES }), { error: ALARM_NAMES })
      .refine((names) => names.length <= 99 && names.every((n) => ALARM_NAME.test(n)), ALARM_NAMES)
      .default([]),
    minimumRequests: z
      .strictObject({
        count: wholeNumber(1, Number.MAX_SAFE_INTEGER),
        metric: z.strictObject({
          namespace: nonEmptyString,
          metricName: nonEmptyString,
          dimensions: z.record(z.string(), nonEmptyString).default({}),
        }),
      })
      .optional(),
    syntheticCoveragePercent: wholeNumber(1, 100).default(d.syntheticCoveragePercent),
    allowNoTraffic: z.boolean().default(d.allowNoTraffic),
    alarmLatencyMinutes: wholeNumber(0, 60).default(d.alarmLatencyMinutes),
    readFailureToleranceMinutes: wholeNumber(0, 1440).default(d.readFailureToleranceMinutes),
    prodDeployMinutes: wholeNumber(0, 1440).default(d.prodDeployMinutes),
    prodBakeMinutes: wholeNumber(1, 1440).default(d.prodBakeMinutes),
    evidenceGraceMinutes: wholeNumber(0, 10_080).default(d.evidenceGraceMinutes),
    maxHoldDays: wholeNumber(0, 60).default(d.maxHoldDays),
    waveBakeMinutes: waveBakeMinutesSchema,
  })
  .superRefine(({ minutes, maxHoldDays }, ctx) => {
    if (minutes + maxHoldDays * 1440 > MAX_APPROVAL_MINUTES) {
      ctx.addIssue({ code: 'custom', path: ['maxHoldDays'], input: maxHoldDays, message: `plus bake.minutes (${minutes}) must fit in CodePipeline's 60-day approval limit` });
    }
  }) satisfies z.ZodType<BakeConfig>;

/**
 * The gate's late-start margin: how long before the release window closes it stops promoting a baked build,
 * because prod's deployment and bake (`bakeMinutes`: a wave's own) would not end inside the window.
 */
export function lateStartMarginMinutes(bake: BakeConfig, bakeMinutes: number = bake.prodBakeMinutes): number {
  return bake.prodDeployMinutes + bakeMinutes + bake.alarmLatencyMinutes;
}
