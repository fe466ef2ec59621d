import {
  type CanarySettings,
  DEFAULT_CANARY_SETTINGS,
  PREDEFINED_LAMBDA_SHIFTS,
  type TileServerSettings,
  type TrafficShift,
} from './canary-settings';
import { ConfigError } from './config-error';

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

type Raw = Record<string, unknown>;

function isObject(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Fails on a key the section does not know, so a typo is not silently ignored. */
function rejectUnknownKeys(value: Raw, known: readonly string[], field: string): void {
  const stray = Object.keys(value).find((key) => !known.includes(key));
  if (stray !== undefined) {
    throw new ConfigError(`${field}.${stray}`, value[stray], `is not a known setting (${known.join(', ')})`);
  }
}

function integer(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(field, value, `must be a whole number from ${min} to ${max}`);
  }
  return value;
}

/**
 * Reads a traffic shift: a predefined configuration's name, either as the CDK constant (`CANARY_10PERCENT_10MINUTES`)
 * or as CodeDeploy spells it (`CodeDeployDefault.LambdaCanary10Percent10Minutes`), or a custom
 * `{ "type": "canary" | "linear", "percent": 1-99, "intervalMinutes": 1-2880 }`.
 */
export function parseTrafficShift(value: unknown, field: string): TrafficShift {
  if (typeof value === 'string') {
    const byConstant = PREDEFINED_LAMBDA_SHIFTS[value];
    const byName = Object.values(PREDEFINED_LAMBDA_SHIFTS).find((s) => s.predefinedName === value);
    const shift = byConstant ?? byName;
    if (!shift) {
      throw new ConfigError(field, value, `must be one of ${Object.keys(PREDEFINED_LAMBDA_SHIFTS).join(', ')} or a custom {type, percent, intervalMinutes}`);
    }
    return shift;
  }
  if (!isObject(value)) {
    throw new ConfigError(field, value, 'must be a predefined configuration name or an object {type, percent, intervalMinutes}');
  }
  rejectUnknownKeys(value, ['type', 'percent', 'intervalMinutes'], field);
  const { type, percent, intervalMinutes } = value;
  if (type !== 'canary' && type !== 'linear') {
    throw new ConfigError(`${field}.type`, type, 'must be "canary" or "linear"');
  }
  return {
    type,
    percent: integer(percent, `${field}.percent`, 1, 99),
    intervalMinutes: integer(intervalMinutes, `${field}.intervalMinutes`, 1, MAX_INTERVAL_MINUTES),
  };
}

function parseTileServer(value: unknown): TileServerSettings {
  if (value === undefined) return DEFAULT_CANARY_SETTINGS.tileServer;
  if (!isObject(value)) throw new ConfigError('canary.tileServer', value, 'must be an object');
  rejectUnknownKeys(value, ['cpu', 'memoryMiB', 'prodDesiredCount'], 'canary.tileServer');
  const defaults = DEFAULT_CANARY_SETTINGS.tileServer;
  const cpu = value.cpu ?? defaults.cpu;
  if (typeof cpu !== 'number' || !(cpu in FARGATE_MEMORY)) {
    throw new ConfigError('canary.tileServer.cpu', cpu, `must be one of ${Object.keys(FARGATE_MEMORY).join(', ')}`);
  }
  const memoryMiB = value.memoryMiB ?? defaults.memoryMiB;
  if (typeof memoryMiB !== 'number' || !FARGATE_MEMORY[cpu](memoryMiB)) {
    throw new ConfigError('canary.tileServer.memoryMiB', memoryMiB, `must be a Fargate memory size for ${cpu} CPU units`);
  }
  const prodDesiredCount = integer(value.prodDesiredCount ?? defaults.prodDesiredCount, 'canary.tileServer.prodDesiredCount', 1, 20);
  return { cpu, memoryMiB, prodDesiredCount };
}

/**
 * Reads the `canary` section of the `tollgate` context; every setting is optional.
 *
 * @throws ConfigError naming the first field that is wrong.
 */
export function parseCanarySettings(value: unknown): CanarySettings {
  if (value === undefined) return DEFAULT_CANARY_SETTINGS;
  if (!isObject(value)) throw new ConfigError('canary', value, 'must be an object');
  rejectUnknownKeys(value, ['prod', 'dev', 'tileServer'], 'canary');
  return {
    prod: value.prod === undefined ? DEFAULT_CANARY_SETTINGS.prod : parseTrafficShift(value.prod, 'canary.prod'),
    dev: value.dev === undefined ? DEFAULT_CANARY_SETTINGS.dev : parseTrafficShift(value.dev, 'canary.dev'),
    tileServer: parseTileServer(value.tileServer),
  };
}
