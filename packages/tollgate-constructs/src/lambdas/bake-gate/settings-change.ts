/**
 * The gate announces a change to its own settings. Self-mutation deploys a commit's gate before that commit
 * bakes, so a commit that changes the gate is judged by the gate it brings; the Build step's floor check
 * (`cdk/gate-check.ts`) stops weakenings without the commit marker, and this makes every change, marked or
 * not, visible on the release topic once.
 *
 * On a cold start the gate fingerprints its settings (sorted-keys JSON, SHA-256) and compares with the last
 * fingerprint recorded in its state table (`pk` = `gate`, `sk` = `settings#fingerprint`, with the settings
 * JSON). When it differs it claims the new fingerprint with a conditional put (so of two cold starts only one
 * announces), publishes one message saying what changed and whether it falls below the default floor, and
 * puts the old record back if the publish fails (so the next cold start tries again).
 *
 * Pure diff first, then a small adapter on DynamoDB Query/PutItem/DeleteItem and SNS Publish: the gate role
 * may Query, PutItem and DeleteItem on its table (`src/pipeline/bake-gate.ts`), not GetItem, so the record is
 * read with a Query on its full key.
 */
import { createHash } from 'node:crypto';
import { DeleteItemCommand, DynamoDBClient, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { bakeId, DEFAULT_GATE_FLOOR, describeFloor, floorWeakenings, GateFloor } from '../../domain/gate-floor';
import { isJsonObject } from '../../domain/json';
import type { GateSettings } from './settings';

/** The state table item that records the settings the gate last ran with. */
export const SETTINGS_RECORD_KEY = { pk: 'gate', sk: 'settings#fingerprint' } as const;

/** `value` as JSON with every object's keys sorted: the same settings always give the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** SHA-256 (hex) of the settings' canonical JSON. */
export function settingsFingerprint(settings: GateSettings): string {
  return createHash('sha256').update(canonicalJson(settings)).digest('hex');
}

type Loose = Record<string, unknown>;
const list = (v: unknown): Loose[] => (Array.isArray(v) ? v.filter(isJsonObject) : []);

const same = (a: unknown, b: unknown) => canonicalJson(a) === canonicalJson(b);
const onOff = (v: unknown) => (v ? 'on' : 'off');
const text = (v: unknown) => (v === undefined ? 'none' : typeof v === 'string' ? v : canonicalJson(v));

/** `added X, Y; removed Z` between two lists, or undefined when they hold the same names. */
function listChange(before: readonly string[], after: readonly string[]): string | undefined {
  const added = after.filter((x) => !before.includes(x));
  const removed = before.filter((x) => !after.includes(x));
  const parts = [added.length ? `added ${added.join(', ')}` : '', removed.length ? `removed ${removed.join(', ')}` : ''].filter(Boolean);
  return parts.length ? parts.join('; ') : undefined;
}

/** What changed in one object, field by field: `what: field a → b`; named fields first, the rest generic. */
function fieldChanges(what: string, before: Loose, after: Loose, described: Record<string, (b: unknown, a: unknown) => string | undefined>): string[] {
  const lines: string[] = [];
  for (const key of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    if (same(before[key], after[key])) continue;
    const line = described[key]?.(before[key], after[key]) ?? `${key} ${text(before[key])} → ${text(after[key])}`;
    lines.push(`${what}: ${line}`);
  }
  return lines;
}

const BAKE_FIELDS: Record<string, (b: unknown, a: unknown) => string | undefined> = {
  minutes: (b, a) => `bake ${text(b)} → ${text(a)} min`,
  evidenceGraceMinutes: (b, a) => `evidence grace ${text(b)} → ${text(a)} min`,
  allowNoTraffic: (b, a) => `allowNoTraffic ${onOff(b)} → ${onOff(a)}${a ? ' (no evidence of traffic required)' : ''}`,
};

function coverage(evidence: unknown): unknown {
  return (evidence as { syntheticChecks?: { minimumCoveragePercent?: number } } | undefined)?.syntheticChecks?.minimumCoveragePercent;
}
function minimumRequests(evidence: unknown): unknown {
  return (evidence as { requests?: { minimum?: number } } | undefined)?.requests?.minimum;
}

const ENVIRONMENT_FIELDS: Record<string, (b: unknown, a: unknown) => string | undefined> = {
  alarmNames: (b, a) => `alarms ${listChange((b as string[]) ?? [], (a as string[]) ?? []) ?? `reordered: ${text(a)}`}`,
  evidence: (b, a) => {
    const parts: string[] = [];
    if (!same(coverage(b), coverage(a))) {
      parts.push(coverage(a) === undefined ? 'synthetic checks removed' : coverage(b) === undefined ? `synthetic checks added (${text(coverage(a))} %)` : `synthetic checks coverage ${text(coverage(b))} → ${text(coverage(a))} %`);
    }
    if (!same(minimumRequests(b), minimumRequests(a))) parts.push(`minimum requests ${text(minimumRequests(b))} → ${text(minimumRequests(a))}`);
    return `evidence ${parts.length ? parts.join(', ') : `${text(b)} → ${text(a)}`}`;
  },
};

/** Items of a named list (bakes by `<stage>/<action>`, environments by name) added, removed and changed. */
function namedListChanges(kind: string, before: Loose[], after: Loose[], idOf: (x: Loose) => string, fields: typeof BAKE_FIELDS): string[] {
  const lines: string[] = [];
  const old = new Map(before.map((x) => [idOf(x), x]));
  const now = new Map(after.map((x) => [idOf(x), x]));
  for (const [id, item] of now) {
    const previous = old.get(id);
    if (!previous) lines.push(`${kind} ${id} added${kind === 'bake' ? ` (${text(item.minutes)} min)` : ''}`);
    else lines.push(...fieldChanges(`${kind} ${id}`, previous, item, fields));
  }
  for (const id of old.keys()) if (!now.has(id)) lines.push(`${kind} ${id} removed`);
  return lines;
}

/**
 * What changed from `before` to `after`, one readable line each: bake minutes, evidence, bakes and environments
 * added or removed, alarms, and any other setting by name. `before` undefined: nothing was recorded yet.
 */
export function describeSettingsChange(before: GateSettings | undefined, after: GateSettings): string[] {
  if (before === undefined) {
    return [
      'no earlier settings recorded: this is the baseline',
      ...after.bakes.map((b) => `bake ${bakeId(b)}: ${b.minutes} min in ${b.environments.join(', ')}${b.allowNoTraffic ? ', allowNoTraffic on' : ''}`),
      ...after.environments.map((e) => `environment ${e.name}: alarms ${e.alarmNames.join(', ')}`),
    ];
  }
  const b = before as unknown as Loose;
  const a = after as unknown as Loose;
  const lines = [
    ...namedListChanges('bake', list(b.bakes), list(a.bakes), (x) => bakeId(x as never), BAKE_FIELDS),
    ...namedListChanges('environment', list(b.environments), list(a.environments), (x) => String(x.name), ENVIRONMENT_FIELDS),
  ];
  const rest = (x: Loose) => Object.fromEntries(Object.entries(x).filter(([k]) => k !== 'bakes' && k !== 'environments'));
  lines.push(
    ...fieldChanges('gate', rest(b), rest(a), {
      alarmLatencyMinutes: (o, n) => `alarm latency ${text(o)} → ${text(n)} min`,
      readFailureToleranceMinutes: (o, n) => `read failure tolerance ${text(o)} → ${text(n)} min`,
    }),
  );
  // Only a reordering of bakes or environments is left: say so rather than announce an empty change.
  return lines.length ? lines : ['bakes or environments reordered'];
}

export interface SettingsChangeAnnouncement {
  readonly subject: string;
  readonly message: string;
}

/** The message on the release topic: what changed, and whether the new settings fall below the floor. */
export function settingsChangeAnnouncement(
  before: GateSettings | undefined,
  after: GateSettings,
  fingerprints: { readonly before?: string; readonly after: string },
  floor: GateFloor = DEFAULT_GATE_FLOOR,
): SettingsChangeAnnouncement {
  const weakenings = floorWeakenings(after, floor);
  const verdict = weakenings.length
    ? [`BELOW THE DEFAULT GATE FLOOR (${describeFloor(floor)}):`, ...weakenings.map((w) => `  - ${w}`)]
    : [`Within the default gate floor (${describeFloor(floor)}).`];
  return {
    // SNS subjects: at most 100 printable ASCII characters.
    subject: `${weakenings.length ? 'WEAKENED' : 'Changed'}: bake gate settings of ${after.pipelineName}`.slice(0, 100),
    message: [
      `The bake gate of pipeline ${after.pipelineName} runs with new settings (deployed by the pipeline's self-mutation):`,
      ...describeSettingsChange(before, after).map((l) => `  - ${l}`),
      ...verdict,
      `Fingerprint ${fingerprints.before ?? 'none'} → ${fingerprints.after}.`,
    ].join('\n'),
  };
}

/** What a check found: nothing new, announced, or another instance claimed the change first. */
export type SettingsChangeOutcome = 'unchanged' | 'announced' | 'announced elsewhere';

export interface SettingsChangeAnnouncerOptions {
  readonly settings: GateSettings;
  readonly stateTableName: string;
  readonly topicArn: string;
  readonly dynamodb: DynamoDBClient;
  readonly sns: SNSClient;
}

/** Records the settings the gate runs with and announces a change once. */
export class SettingsChangeAnnouncer {
  constructor(private readonly options: SettingsChangeAnnouncerOptions) {}

  async check(): Promise<SettingsChangeOutcome> {
    const { settings, stateTableName: TableName, dynamodb, sns, topicArn } = this.options;
    const fingerprint = settingsFingerprint(settings);
    const page = await dynamodb.send(
      new QueryCommand({
        TableName,
        KeyConditionExpression: 'pk = :pk AND sk = :sk',
        ExpressionAttributeValues: { ':pk': { S: SETTINGS_RECORD_KEY.pk }, ':sk': { S: SETTINGS_RECORD_KEY.sk } },
        ConsistentRead: true,
      }),
    );
    const previous = page.Items?.[0];
    const previousFingerprint = previous?.fingerprint?.S;
    if (previousFingerprint === fingerprint) return 'unchanged';

    const Key = { pk: { S: SETTINGS_RECORD_KEY.pk }, sk: { S: SETTINGS_RECORD_KEY.sk } };
    try {
      await dynamodb.send(
        new PutItemCommand({
          TableName,
          Item: { ...Key, fingerprint: { S: fingerprint }, settings: { S: canonicalJson(settings) }, recordedAt: { S: new Date().toISOString() } },
          ...(previousFingerprint === undefined
            ? { ConditionExpression: 'attribute_not_exists(sk)' }
            : { ConditionExpression: 'fingerprint = :previous', ExpressionAttributeValues: { ':previous': { S: previousFingerprint } } }),
        }),
      );
    } catch (err) {
      if ((err as Error).name === 'ConditionalCheckFailedException') return 'announced elsewhere';
      throw err;
    }

    const announcement = settingsChangeAnnouncement(previousSettings(previous?.settings?.S), settings, { before: previousFingerprint, after: fingerprint });
    try {
      await sns.send(new PublishCommand({ TopicArn: topicArn, Subject: announcement.subject, Message: announcement.message }));
    } catch (err) {
      // Unclaim, so that the next cold start announces; only if nobody has recorded newer settings since.
      const ownClaim = { ConditionExpression: 'fingerprint = :mine', ExpressionAttributeValues: { ':mine': { S: fingerprint } } };
      const unclaim = previous
        ? dynamodb.send(new PutItemCommand({ TableName, Item: previous, ...ownClaim }))
        : dynamodb.send(new DeleteItemCommand({ TableName, Key, ...ownClaim }));
      await unclaim.catch(() => undefined);
      throw err;
    }
    return 'announced';
  }
}

/**
 * The recorded settings as they were written, not validated: an older gate may have had other fields, and the
 * diff reads them field by field. Undefined when there are none or they are not a JSON object.
 */
function previousSettings(json: string | undefined): GateSettings | undefined {
  try {
    const value: unknown = JSON.parse(json ?? '');
    return isJsonObject(value) ? (value as unknown as GateSettings) : undefined;
  } catch {
    return undefined;
  }
}

export interface SettingsChangeLog {
  info(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
}

/**
 * What the gate function calls on every invocation, alongside its decision: the first call of a cold start
 * checks for a settings change (and a failed check is tried again on the next call, until one succeeds);
 * later calls do nothing. Never rejects: a failure is logged, and the gate decides regardless (its failure
 * and heartbeat alarms watch the gate itself, not this).
 */
export function settingsChangeOnColdStart(
  options: Omit<SettingsChangeAnnouncerOptions, 'dynamodb' | 'sns'> & { readonly dynamodb?: DynamoDBClient; readonly sns?: SNSClient; readonly log: SettingsChangeLog },
): () => Promise<void> {
  // Short timeouts and few retries: this runs beside a decision and must not hold it up for long.
  const common = { maxAttempts: 2, requestHandler: { requestTimeout: 3000, connectionTimeout: 3000, throwOnRequestTimeout: true } };
  const announcer = new SettingsChangeAnnouncer({ ...options, dynamodb: options.dynamodb ?? new DynamoDBClient(common), sns: options.sns ?? new SNSClient(common) });
  let done = false;
  let running: Promise<void> | undefined;
  return () => {
    if (done) return Promise.resolve();
    running ??= announcer.check().then(
      (outcome) => {
        done = true;
        if (outcome !== 'unchanged') options.log.info(`gate settings changed: ${outcome}`, { fingerprint: settingsFingerprint(options.settings) });
      },
      (err: unknown) => {
        options.log.error('cannot check or announce a change of the gate settings; the gate decides regardless, and tries again on the next invocation', {
          error: `${(err as Error).name}: ${(err as Error).message}`,
        });
      },
    ).finally(() => {
      running = undefined;
    });
    return running;
  };
}
