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

const bakeSchema = z.strictObject({
  ...stageAction,
  environment: name,
  minutes: whole(1),
  evidenceGraceMinutes: whole(0),
  allowNoTraffic: z.boolean(),
  promotion: z.strictObject({ stageName: name, environment: name, lateStartMinutes: whole(0) }).optional(),
  upstream: z.strictObject({ ...stageAction, environment: name }).optional(),
});
export type GateBake = z.infer<typeof bakeSchema>;

const entryCheckSchema = z.strictObject({
  ...stageAction,
  upstream: z.strictObject({ ...stageAction, environment: name }),
  promotion: z.strictObject({ stageName: name, environment: name, lateStartMinutes: whole(0) }),
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
 * and that a bake which requires evidence watches an environment that can show some.
 *
 * @throws ConfigError naming the first bad field.
 */
export function parseGateSettings(json: string | undefined): GateSettings {
  const value = parseJson(json, () => new ConfigError(GATE_SETTINGS_ENV, json, 'must be JSON'));
  const settings = parseWithSchema(settingsSchema, value, GATE_SETTINGS_ENV);
  const environments = new Map(settings.environments.map((e) => [e.name, e]));
  settings.bakes.forEach((bake, i) => {
    const field = `${GATE_SETTINGS_ENV}.bakes[${i}]`;
    const env = environments.get(bake.environment);
    if (!env) throw new ConfigError(`${field}.environment`, bake.environment, 'must name one of the environments');
    if (bake.promotion && !environments.has(bake.promotion.environment)) {
      throw new ConfigError(`${field}.promotion.environment`, bake.promotion.environment, 'must name one of the environments');
    }
    if (bake.upstream && !environments.has(bake.upstream.environment)) {
      throw new ConfigError(`${field}.upstream.environment`, bake.upstream.environment, 'must name one of the environments');
    }
    if (!bake.allowNoTraffic && !env.evidence.syntheticChecks && !env.evidence.requests) {
      throw new ConfigError(`${field}.allowNoTraffic`, bake.allowNoTraffic, `must be true when environment ${env.name} has no evidence metric`);
    }
  });
  settings.entryChecks.forEach((check, i) => {
    for (const [key, environment] of [['upstream', check.upstream.environment], ['promotion', check.promotion.environment]] as const) {
      if (!environments.has(environment)) {
        throw new ConfigError(`${GATE_SETTINGS_ENV}.entryChecks[${i}].${key}.environment`, environment, 'must name one of the environments');
      }
    }
  });
  return settings;
}

/** The environment of that name; the settings were checked, so it exists. */
export function gateEnvironment(settings: GateSettings, environmentName: string): GateEnvironment {
  const env = settings.environments.find((e) => e.name === environmentName);
  if (!env) throw new Error(`no environment ${environmentName} in the gate settings`);
  return env;
}
