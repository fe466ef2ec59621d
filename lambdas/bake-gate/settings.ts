/**
 * What the gate function is told at deployment, as one JSON environment variable the CDK construct writes
 * and the function validates at cold start: a gate with settings it cannot read decides nothing.
 */
import { isJsonObject, parseJson } from '../shared/json';
import type { DecisionSettings } from './core';

/** Name of the environment variable that carries {@link GateSettings} as JSON. */
export const GATE_SETTINGS_ENV = 'BAKE_GATE_SETTINGS';
/** Name of the environment variable that carries the ARN of the topic for rejections. */
export const GATE_TOPIC_ENV = 'BAKE_GATE_TOPIC_ARN';

/** An account the gate reads alarms in, through the read-only role there. */
export interface WatchedAccount {
  readonly account: string;
  readonly region: string;
  readonly readerRoleArn: string;
}

/** The CloudWatch metric whose sum over the bake counts dev's requests. */
export interface RequestMetric {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
}

export interface GateSettings extends DecisionSettings {
  readonly pipelineName: string;
  /** The stage and manual-approval action the gate owns. */
  readonly bakeStageName: string;
  readonly bakeActionName: string;
  /** The pipeline stage that deploys prod: until it has run once, there is no prod health to read. */
  readonly prodStageName: string;
  readonly dev: WatchedAccount;
  readonly prod: WatchedAccount;
  /** Required when {@link DecisionSettings.minimumRequests} is set. */
  readonly requestMetric?: RequestMetric;
}

/** Settings the gate cannot use; the message names the field and the value. */
export class GateSettingsError extends Error {
  constructor(field: string, value: unknown, expectation: string) {
    super(`invalid ${GATE_SETTINGS_ENV}: ${field} ${expectation}, got ${JSON.stringify(value)}`);
    this.name = 'GateSettingsError';
  }
}

type Raw = Record<string, unknown>;

function object(value: unknown, field: string): Raw {
  if (!isJsonObject(value)) throw new GateSettingsError(field, value, 'must be an object');
  return value;
}

function text(raw: Raw, field: string, prefix = ''): string {
  const value = raw[field];
  if (typeof value !== 'string' || value === '') throw new GateSettingsError(prefix + field, value, 'must be a non-empty string');
  return value;
}

function whole(raw: Raw, field: string, min: number): number {
  const value = raw[field];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new GateSettingsError(field, value, `must be a whole number >= ${min}`);
  }
  return value;
}

function account(value: unknown, field: string): WatchedAccount {
  const raw = object(value, field);
  return {
    account: text(raw, 'account', `${field}.`),
    region: text(raw, 'region', `${field}.`),
    readerRoleArn: text(raw, 'readerRoleArn', `${field}.`),
  };
}

/** Parses and validates the settings JSON. @throws GateSettingsError naming the first bad field. */
export function parseGateSettings(json: string | undefined): GateSettings {
  const value = parseJson(json, () => new GateSettingsError('(the whole value)', json, 'must be JSON'));
  const raw = object(value, '(the whole value)');
  const devAlarmNames = raw.devAlarmNames;
  if (!Array.isArray(devAlarmNames) || devAlarmNames.length === 0 || devAlarmNames.some((n) => typeof n !== 'string' || n === '')) {
    throw new GateSettingsError('devAlarmNames', devAlarmNames, 'must be a non-empty list of alarm names');
  }
  const minimumRequests = raw.minimumRequests === undefined ? undefined : whole(raw, 'minimumRequests', 1);
  let requestMetric: RequestMetric | undefined;
  if (minimumRequests !== undefined) {
    const metric = object(raw.requestMetric, 'requestMetric');
    const dimensions = object(metric.dimensions ?? {}, 'requestMetric.dimensions');
    if (Object.values(dimensions).some((v) => typeof v !== 'string')) {
      throw new GateSettingsError('requestMetric.dimensions', dimensions, 'must map names to strings');
    }
    requestMetric = {
      namespace: text(metric, 'namespace', 'requestMetric.'),
      metricName: text(metric, 'metricName', 'requestMetric.'),
      dimensions: dimensions as Record<string, string>,
    };
  }
  return {
    pipelineName: text(raw, 'pipelineName'),
    bakeStageName: text(raw, 'bakeStageName'),
    bakeActionName: text(raw, 'bakeActionName'),
    prodStageName: text(raw, 'prodStageName'),
    bakeMinutes: whole(raw, 'bakeMinutes', 1),
    evidenceGraceMinutes: whole(raw, 'evidenceGraceMinutes', 0),
    lateStartMinutes: whole(raw, 'lateStartMinutes', 0),
    devAlarmNames: devAlarmNames as string[],
    prodHealthAlarmName: text(raw, 'prodHealthAlarmName'),
    minimumRequests,
    requestMetric,
    dev: account(raw.dev, 'dev'),
    prod: account(raw.prod, 'prod'),
  };
}
