/**
 * The release record: one item per pipeline execution in the DynamoDB table {@link releaseRecordTableName},
 * written by the release recorder (from CodePipeline's EventBridge events) and read by `tollgate metrics`. It keeps
 * what CodePipeline's own history does not: the commit's time, the release version, each gate's verdict and the
 * alarm that caused it, and the outcome an execution had in hindsight (rolled back, superseded). Both sides use this
 * one shape; `docs/metrics.md` describes it field by field.
 *
 * The item is the record in DynamoDB's own types (maps and lists, not a JSON string), so the recorder can set one
 * field per event with an UpdateItem and a dashboard can project fields. Instants are ISO-8601 strings.
 */
import { z } from 'zod';
import { checkWithSchema } from './schema';

/** The version of the record's shape; a reader names a record of a version it does not know as unreadable. */
export const RELEASE_RECORD_SCHEMA_VERSION = 1;

/** The table's partition key: the CodePipeline execution ID. */
export const RELEASE_RECORD_KEY = 'executionId';

/** The release record table of a pipeline. */
export function releaseRecordTableName(pipelineName: string): string {
  return `${pipelineName}-ReleaseRecord`;
}

/** What stopped or passed a build: the gate's bakes, its entry check, the prod canary, the replacement guard, the build's tests. */
export const GATE_KINDS = ['dev-bake', 'prod-bake', 'wave-bake', 'entry-check', 'canary', 'guard', 'tests'] as const;
export type GateKind = (typeof GATE_KINDS)[number];

/** Where an execution ended up; `in-progress` until it ends. */
export const RELEASE_OUTCOMES = ['in-progress', 'released', 'rejected', 'rolled-back', 'superseded', 'stopped'] as const;
export type ReleaseOutcome = (typeof RELEASE_OUTCOMES)[number];

const text = z.string().min(1);
const instant = z.iso.datetime({ offset: true, error: 'must be an ISO-8601 instant like 2026-11-22T10:30:00Z' });
const executionId = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'must be a CodePipeline execution ID');

const stageTimesSchema = z.strictObject({
  /** The first action of the stage started. */
  reachedAt: instant.optional(),
  succeededAt: instant.optional(),
  failedAt: instant.optional(),
});

const gateVerdictSchema = z.strictObject({
  stage: text,
  action: text,
  kind: z.enum(GATE_KINDS),
  verdict: z.enum(['APPROVED', 'REJECTED', 'FAILED']),
  /** When the verdict was given. */
  at: instant,
  /** When the alarm that caused a rejection entered ALARM: `at - alarmAt` is the gate's halt latency. */
  alarmAt: instant.optional(),
  reason: z.string().optional(),
});

const minutes = z.number().int().min(0);

/** What the execution used of each priced service, in the terms of `ReleaseUsage` (release-cost.ts). */
const usageSchema = z.strictObject({
  /** CodePipeline action-execution minutes: every action but manual approvals, each rounded up to the minute. */
  actionMinutes: minutes,
  /** CodeBuild minutes, each build rounded up to the minute. */
  buildMinutes: minutes,
  /** Minutes in the bake gate's approvals. */
  gateMinutes: minutes,
  /** Minutes in its bakes. */
  bakeMinutes: minutes,
});

const releaseRecordSchema = z.strictObject({
  schemaVersion: z.literal(RELEASE_RECORD_SCHEMA_VERSION),
  pipelineName: text,
  executionId,
  /** `v<major>.<minor>.<n>`, assigned by the Build to executions that can reach prod; absent on rollbacks. */
  version: z.string().regex(/^v\d+\.\d+\.\d+$/, 'must be v<major>.<minor>.<n>').optional(),
  commitId: text.optional(),
  /** The commit's committer time: where lead time starts. CodePipeline's history does not have it. */
  commitTime: instant.optional(),
  startedAt: instant,
  executionType: z.enum(['STANDARD', 'ROLLBACK']),
  /** By stage name. */
  stages: z.record(text, stageTimesSchema),
  /** Every verdict of a gate on this execution, in the order given. */
  gates: z.array(gateVerdictSchema),
  /**
   * What it used, summed as each action ends (`actionRunUsage` in release-facts.ts gives an action's share): what its
   * cost is computed from. With it and `endedAt`, `metrics` needs no ListActionExecutions call for the execution.
   */
  usage: usageSchema.optional(),
  outcome: z.enum(RELEASE_OUTCOMES),
  /** The promotion stage succeeded: its last bake passed. */
  releasedAt: instant.optional(),
  /** The execution ended, whatever its outcome. */
  endedAt: instant.optional(),
  /** On a rollback execution: the execution whose release it rolled back (not the one it restored). */
  rollbackOf: executionId.optional(),
  /**
   * The recorder's write counter: each write is conditional on the revision it read, so two events handled at once
   * cannot lose each other's fields (the later write fails, re-reads and applies its event again).
   */
  revision: z.number().int().min(0).optional(),
});

/** One execution's release record. */
export type ReleaseRecord = z.output<typeof releaseRecordSchema>;
export type GateVerdict = ReleaseRecord['gates'][number];
export type RecordedUsage = NonNullable<ReleaseRecord['usage']>;

/** A record as read: the record, or why it cannot be used (then the execution is read from CodePipeline's history alone). */
export type ReleaseRecordReading = { readonly record: ReleaseRecord } | { readonly unreadable: string };

/** `value` (an item, unmarshalled) as a release record, or the first problem with it in one line naming the field. */
export function readReleaseRecord(value: unknown): ReleaseRecordReading {
  const result = checkWithSchema(releaseRecordSchema, value, 'record');
  if (result.ok) return { record: result.value };
  const { field, value: bad, expectation } = result.problem;
  return { unreadable: `${field} ${expectation}, got ${JSON.stringify(bad)}` };
}
