/**
 * The run-time controls that on-call sets and the bake gate honours, kept in SSM Parameter Store in the
 * deployment account so that no redeploy of the pipeline stack can undo them silently.
 *
 * Every control of one pipeline lives under `/tollgate/<pipelineName>/`, so one GetParametersByPath call
 * reads them all.
 */
import { isJsonObject, parseJson } from './json';

/**
 * The SSM hierarchy of one pipeline's controls as GetParametersByPath and IAM name it:
 * `/tollgate/<pipelineName>`, without a trailing slash, which GetParametersByPath rejects as a path.
 */
export function controlsHierarchy(pipelineName: string): string {
  return `/tollgate/${pipelineName}`;
}

/** The prefix of every control's parameter name. */
function controlsPath(pipelineName: string): string {
  return `${controlsHierarchy(pipelineName)}/`;
}

/** `stop`/`resume`: while present and `halted`, the gate promotes nothing. */
export function haltParameterName(pipelineName: string): string {
  return `${controlsPath(pipelineName)}halt`;
}

/** Run-time freezes declared by on-call (a JSON array of {@link Freeze}). */
export function freezesParameterName(pipelineName: string): string {
  return `${controlsPath(pipelineName)}freezes`;
}

/** Break-glass override of the release calendar for one pipeline execution. */
export function overrideParameterName(pipelineName: string, executionId: string): string {
  return `${controlsPath(pipelineName)}override/${executionId}`;
}

/** Who did something, when and why: the audit record every control carries. */
export interface ControlRecord {
  /** Free text from the operator; never empty. */
  readonly reason: string;
  /** The caller's identity ARN as STS reported it. */
  readonly by: string;
  /** ISO-8601 instant. */
  readonly at: string;
}

export interface Halt extends ControlRecord {
  readonly halted: boolean;
}

export interface Freeze extends ControlRecord {
  /** Short name shown in reasons, e.g. `year-end`. */
  readonly name: string;
  /** ISO-8601 instant the freeze starts; absent means it is in force from `at`. */
  readonly start?: string;
  /** ISO-8601 instant the freeze ends. */
  readonly end: string;
  /**
   * An incident freeze: a break-glass override does not bypass it unless the override was given with
   * `--force-freeze`. Absent means false.
   */
  readonly incident?: boolean;
}

/** Break-glass: one execution may enter prod outside the release calendar until `expiresAt`. */
export interface Override extends ControlRecord {
  /**
   * ISO-8601 instant after which the gate ignores the override. Records written before overrides expired have
   * none; the gate ignores those too.
   */
  readonly expiresAt?: string;
  /** Whether the override also bypasses an incident freeze (`tollgate override --force-freeze`). */
  readonly forceFreeze?: boolean;
}

/** A control parameter that exists but cannot be understood; the gate treats it as "cannot decide". */
export class ControlParseError extends Error {
  constructor(parameterName: string, detail: string) {
    super(`control parameter ${parameterName} is unreadable: ${detail}`);
    this.name = 'ControlParseError';
  }
}

/** Checks the audit record every control carries. */
function checkRecord(parameterName: string, value: unknown): Record<string, unknown> {
  if (!isJsonObject(value)) throw new ControlParseError(parameterName, 'expected a JSON object');
  for (const field of ['reason', 'by', 'at']) {
    if (typeof value[field] !== 'string' || value[field] === '') {
      throw new ControlParseError(parameterName, `field "${field}" must be a non-empty string`);
    }
  }
  if (Number.isNaN(Date.parse(value.at as string))) {
    throw new ControlParseError(parameterName, `field "at" is not an ISO-8601 time: ${value.at}`);
  }
  return value;
}

function parseRecord(parameterName: string, raw: string): Record<string, unknown> {
  const value = parseJson(raw, () => new ControlParseError(parameterName, `not JSON: ${JSON.stringify(raw.slice(0, 80))}`));
  return checkRecord(parameterName, value);
}

export function parseHalt(parameterName: string, raw: string): Halt {
  const record = parseRecord(parameterName, raw);
  if (typeof record.halted !== 'boolean') {
    throw new ControlParseError(parameterName, 'field "halted" must be true or false');
  }
  return record as unknown as Halt;
}

export function parseOverride(parameterName: string, raw: string): Override {
  const record = parseRecord(parameterName, raw);
  if (record.expiresAt !== undefined && (typeof record.expiresAt !== 'string' || Number.isNaN(Date.parse(record.expiresAt)))) {
    throw new ControlParseError(parameterName, `field "expiresAt" is not an ISO-8601 time: ${String(record.expiresAt)}`);
  }
  if (record.forceFreeze !== undefined && typeof record.forceFreeze !== 'boolean') {
    throw new ControlParseError(parameterName, 'field "forceFreeze" must be true or false');
  }
  return record as unknown as Override;
}

export function parseFreezes(parameterName: string, raw: string): Freeze[] {
  const value = parseJson(raw, () => new ControlParseError(parameterName, 'not JSON'));
  if (!Array.isArray(value)) throw new ControlParseError(parameterName, 'expected a JSON array of freezes');
  return value.map((item, i) => {
    const record = checkRecord(`${parameterName}[${i}]`, item);
    if (typeof record.name !== 'string' || record.name === '') {
      throw new ControlParseError(`${parameterName}[${i}]`, 'field "name" must be a non-empty string');
    }
    for (const field of ['start', 'end']) {
      const v = record[field];
      if ((field === 'end' || v !== undefined) && (typeof v !== 'string' || Number.isNaN(Date.parse(v)))) {
        throw new ControlParseError(`${parameterName}[${i}]`, `field "${field}" is not an ISO-8601 time: ${v}`);
      }
    }
    if (record.incident !== undefined && typeof record.incident !== 'boolean') {
      throw new ControlParseError(`${parameterName}[${i}]`, 'field "incident" must be true or false');
    }
    return record as unknown as Freeze;
  });
}

/** The bake gate's state table: failing reads, owed announcements, and its health for `tollgate status`. */
export function gateStateTableName(pipelineName: string): string {
  return `${pipelineName}-BakeGateState`;
}

/**
 * Name of the SNS topic (in the deployment account) where the release announces rejections, halts and
 * break-glass overrides.
 */
export function releaseEventsTopicName(pipelineName: string): string {
  return `${pipelineName}-release-events`;
}

/**
 * Name of the role through which on-call changes the controls (`tollgate stop`, `resume`, `freeze`, `override`,
 * `rollback`). The gate trusts a control that loosens only when that role's session wrote it last.
 */
export function operatorRoleName(pipelineName: string): string {
  return `${pipelineName}-Operator`;
}

/**
 * Name of the read-only role in each environment's account through which the gate (and `tollgate status`, through
 * the operator role) reads the environment's alarms (`src/target/alarm-reader-role.ts`).
 */
export function alarmReaderRoleName(pipelineName: string): string {
  return `${pipelineName}-AlarmReader`;
}

/**
 * Whether `modifiedBy` (SSM's `LastModifiedUser`) is a session of the operator role `roleName` in `account`:
 * `arn:<partition>:sts::<account>:assumed-role/<roleName>/<session>`. The form of an assumed-role ARN is the IAM
 * User Guide's ("IAM identifiers", "ARNs": `arn:aws:sts::account:assumed-role/role-name/role-session-name`).
 */
export function isOperatorSession(modifiedBy: string | undefined, account: string, roleName: string): boolean {
  if (!modifiedBy) return false;
  const match = /^arn:aws[a-z-]*:sts::(\d{12}):assumed-role\/([^/]+)\/[\w+=,.@-]{2,64}$/.exec(modifiedBy);
  return match !== null && match[1] === account && match[2] === roleName;
}
