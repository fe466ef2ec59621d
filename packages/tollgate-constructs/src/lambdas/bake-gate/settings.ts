/**
 * What the gate function is told at deployment, as one JSON environment variable the CDK construct writes
 * and the function validates at cold start: a gate with settings it cannot read decides nothing.
 */
import { z } from 'zod';
import { ConfigError } from '../../domain/config-error';
import { parseJson } from '../../domain/json';
import { parseWithSchema } from '../../domain/schema';

/** Name of the environment variable that carries {@link GateSettings} as JSON. */
export const GATE_SETTINGS_ENV = 'BAKE_GATE_SETTINGS';
/** Name of the environment variable that carries the ARN of the topic for rejections. */
export const GATE_TOPIC_ENV = 'BAKE_GATE_TOPIC_ARN';
/** Name of the environment variable that carries the name of the gate's state table. */
export const GATE_STATE_TABLE_ENV = 'BAKE_GATE_STATE_TABLE';

/** Where the gate publishes its own pulse (embedded metric format), with the dimension `Pipeline`. */
export const GATE_METRICS_NAMESPACE = 'Tollgate/BakeGate';
export const GATE_METRICS = {
  /** One per completed check of every pending approval. */
  checks: 'Checks',
  pending: 'PendingApprovals',
  oldestPendingMinutes: 'OldestPendingApprovalMinutes',
} as const;

const name = z.string().min(1);
const whole = (min: number) => z.number().int().min(min);

/** A CloudWatch metric in a watched environment's account. */
const metricSchema = z.strictObject({
  namespace: name,
  metricName: name,
  dimensions: z.record(z.string(), name),
});
export type MetricId = z.infer<typeof metricSchema>;

const environmentSchema = z.strictObject({
  /** How summaries name it: `dev`, `prod`. */
  name,
  account: z.string().regex(/^\d{12}$/, 'must be a 12-digit account ID'),
  region: name,
  /** The read-only role there (see `AlarmReaderRole`). */
  readerRoleArn: name,
  /** The watched alarms; the environment's health alarm first. */
  alarmNames: z.array(name).min(1).max(100),
  /** The service stack: updated during a bake by anything but the pipeline, it rejects the bake. */
  stackName: name.optional(),
  evidence: z.strictObject({
    syntheticChecks: z.strictObject({ metric: metricSchema, minimumCoveragePercent: z.number().int().min(1).max(100) }).optional(),
    requests: z.strictObject({ metric: metricSchema, minimum: whole(1) }).optional(),
  }),
});
export type GateEnvironment = z.infer<typeof environmentSchema>;

const stageAction = { stageName: name, actionName: name };
/** The targets of one gated stage: one environment, or every target of a wave. */
const environmentNames = z.array(name).min(1);
const promotionSchema = z.strictObject({ stageName: name, environments: environmentNames, lateStartMinutes: whole(0) });
const upstreamSchema = z.strictObject({ ...stageAction, environments: environmentNames });

const bakeSchema = z.strictObject({
  ...stageAction,
  environments: environmentNames,
  minutes: whole(1),
  evidenceGraceMinutes: whole(0),
  allowNoTraffic: z.boolean(),
  promotion: promotionSchema.optional(),
  upstream: upstreamSchema.optional(),
});
export type GateBake = z.infer<typeof bakeSchema>;

const entryCheckSchema = z.strictObject({
  ...stageAction,
  upstream: upstreamSchema,
  promotion: promotionSchema,
});
export type GateEntryCheck = z.infer<typeof entryCheckSchema>;

const settingsSchema = z.strictObject({
  pipelineName: name,
  /** The gate function's own role: a decision by any other principal is a decision by hand. */
  gateRoleName: name,
  /**
   * The operator role (`<pipelineName>-Operator`, in the gate's account): a control that loosens (an override, a
   * halt flag cleared, the freezes) counts only when a session of this role wrote it (see `controls.ts`).
   */
  operatorRoleName: name,
  environments: z.array(environmentSchema).min(1),
  bakes: z.array(bakeSchema).min(1),
  entryChecks: z.array(entryCheckSchema),
  alarmLatencyMinutes: whole(0),
  readFailureToleranceMinutes: whole(0),
});
export type GateSettings = z.infer<typeof settingsSchema>;

/**
 * Parses and validates the settings JSON, and checks that every bake names environments and bakes that exist
 * and that a bake which requires evidence watches environments that can each show some.
 *
 * @throws ConfigError naming the first bad field.
 */
export function parseGateSettings(json: string | undefined): GateSettings {
  const value = parseJson(json, () => new ConfigError(GATE_SETTINGS_ENV, json, 'must be JSON'));
  const settings = parseWithSchema(settingsSchema, value, GATE_SETTINGS_ENV);
  const environments = new Map(settings.environments.map((e) => [e.name, e]));
  const known = (field: string, names: readonly string[]) =>
    names.forEach((n, j) => {
      if (!environments.has(n)) throw new ConfigError(`${field}.environments[${j}]`, n, 'must name one of the environments');
    });
  settings.bakes.forEach((bake, i) => {
    const field = `${GATE_SETTINGS_ENV}.bakes[${i}]`;
    known(field, bake.environments);
    if (bake.promotion) known(`${field}.promotion`, bake.promotion.environments);
    if (bake.upstream) known(`${field}.upstream`, bake.upstream.environments);
    for (const env of bake.environments.map((n) => environments.get(n)!)) {
      if (!bake.allowNoTraffic && !env.evidence.syntheticChecks && !env.evidence.requests) {
        throw new ConfigError(`${field}.allowNoTraffic`, bake.allowNoTraffic, `must be true when environment ${env.name} has no evidence metric`);
      }
    }
  });
  settings.entryChecks.forEach((check, i) => {
    known(`${GATE_SETTINGS_ENV}.entryChecks[${i}].upstream`, check.upstream.environments);
    known(`${GATE_SETTINGS_ENV}.entryChecks[${i}].promotion`, check.promotion.environments);
  });
  return settings;
}

/** The environment of that name; the settings were checked, so it exists. */
export function gateEnvironment(settings: GateSettings, environmentName: string): GateEnvironment {
  const env = settings.environments.find((e) => e.name === environmentName);
  if (!env) throw new Error(`no environment ${environmentName} in the gate settings`);
  return env;
}
