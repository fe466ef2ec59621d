/**
 * The release recorder function: every CodePipeline event of its pipeline (EventBridge rule) updates the
 * execution's release record, emits the release metrics (EMF) and announces a release on the release topic.
 * Each event is read, decided (core.ts) and written conditionally on the revision read; a write that lost to a
 * concurrent event is done again from a fresh read, so no event's change is lost.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import { priceTable } from '../../domain/release-cost';
import { ReleaseRecord } from '../../domain/release-record';
import { AwsRecorderAdapter, RecorderPort } from './adapter';
import { ActionDetail, ExecutionContext, markRolledBack, parseRecorderEvent, RecorderEvent, recorderNeeds, RecorderMetric, recordEvent, RecorderOutput, RecorderSettings, RELEASE_METRICS_NAMESPACE } from './core';
import { parseRecorderSettings, RECORDER_SETTINGS_ENV, RECORDER_TABLE_ENV, RECORDER_TOPIC_ENV } from './settings';

/** Attempts at one record's read-decide-write before the event fails (and Lambda retries it, then dead-letters it). */
export const WRITE_ATTEMPTS = 5;

export interface RecorderDependencies {
  readonly port: RecorderPort;
  readonly settings: RecorderSettings;
  readonly emit: (metrics: readonly RecorderMetric[]) => void;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

/** What one event did. */
export interface RecorderReport {
  readonly executionId: string;
  /** Records written: the execution's, and on a rollback the rolled-back one's. */
  readonly written: string[];
  readonly announced?: string;
  readonly ignored?: string;
}

export type Recorder = (event: unknown) => Promise<RecorderReport>;

export function createRecorder(deps: RecorderDependencies): Recorder {
  const { port, settings } = deps;
  const clock = deps.now ?? (() => new Date());

  /** Read, decide, write until the write holds; reads of CodePipeline are made once. */
  async function update(executionId: string, decide: (record: ReleaseRecord | undefined) => Promise<RecorderOutput | undefined>): Promise<RecorderOutput | undefined> {
    for (let attempt = 1; attempt <= WRITE_ATTEMPTS; attempt++) {
      const stored = await port.readRecord(executionId);
      const out = await decide(stored.record);
      if (!out?.changed) return undefined;
      if (await port.writeRecord(out.record, stored.revision)) return out;
    }
    throw new Error(`the release record of ${executionId} changed under ${WRITE_ATTEMPTS} writes in a row`);
  }

  function memo<T>(read: () => Promise<T>): () => Promise<T> {
    let value: Promise<T> | undefined;
    return () => (value ??= read());
  }

  async function record(event: RecorderEvent): Promise<RecorderReport> {
    const execution = memo<ExecutionContext>(() => port.readExecution(event.executionId));
    const actions = memo<ActionDetail[]>(() => port.readActions(event.executionId));
    const out = await update(event.executionId, async (current) => {
      const needs = recorderNeeds(event, current);
      return recordEvent({ event, record: current, execution: needs.execution ? await execution() : undefined, actions: needs.actions ? await actions() : undefined, now: clock() }, settings);
    });
    const written = out ? [event.executionId] : [];
    if (out) deps.emit(out.metrics);
    // A rollback marks what it rolled back; an execution never recorded has nothing to mark.
    const rolledBack = out?.record.executionType === 'ROLLBACK' ? out.record.rollbackOf : undefined;
    if (rolledBack) {
      const marked = await update(rolledBack, async (current) => (current ? markRolledBack(current, settings) : undefined));
      if (marked) {
        written.push(rolledBack);
        deps.emit(marked.metrics);
      }
    }
    // Announced after the write: a failed publish fails the event, whose retry finds the release recorded and does
    // not announce it again; after Lambda's retries it lands in the dead-letter queue, which pages.
    if (out?.announcement) await port.publish(out.announcement);
    return { executionId: event.executionId, written, announced: out?.announcement?.subject };
  }

  return async (raw: unknown) => {
    const event = parseRecorderEvent(raw);
    if (event.pipeline !== settings.pipelineName) return { executionId: event.executionId, written: [], ignored: `pipeline ${event.pipeline} is not ${settings.pipelineName}` };
    return record(event);
  };
}

const UNITS = { Count: MetricUnit.Count, Seconds: MetricUnit.Seconds, None: MetricUnit.NoUnit } as const;

/** The recorder as deployed: settings from the environment, AWS behind the adapter, metrics as EMF in its log. */
export function recorderFromEnvironment(env: Record<string, string | undefined>): Recorder {
  const deploy = parseRecorderSettings(env[RECORDER_SETTINGS_ENV]);
  const tableName = env[RECORDER_TABLE_ENV];
  const topicArn = env[RECORDER_TOPIC_ENV];
  if (!tableName) throw new Error(`${RECORDER_TABLE_ENV} must be set`);
  if (!topicArn) throw new Error(`${RECORDER_TOPIC_ENV} must be set`);
  const logger = new Logger({ serviceName: 'tollgate-release-recorder' });
  const metrics = new Metrics({ namespace: RELEASE_METRICS_NAMESPACE, serviceName: 'tollgate-release-recorder', defaultDimensions: { Pipeline: deploy.pipelineName } });
  const recorder = createRecorder({
    port: new AwsRecorderAdapter({ pipelineName: deploy.pipelineName, tableName, topicArn }),
    settings: { pipelineName: deploy.pipelineName, shape: deploy.shape, prices: priceTable(deploy.prices).prices },
    emit: (emitted) => {
      for (const m of emitted) {
        // BuildsStopped by gate: a metric of its own with the extra dimension, so the others keep Pipeline alone.
        const target = m.gate ? metrics.singleMetric() : metrics;
        if (m.gate) target.addDimension('Gate', m.gate);
        target.addMetric(m.name, UNITS[m.unit], m.value);
      }
      metrics.publishStoredMetrics();
    },
  });
  return async (event) => {
    const report = await recorder(event);
    logger.info('recorded', { ...report });
    return report;
  };
}

let deployed: Recorder | undefined;

export async function handler(event: unknown): Promise<RecorderReport> {
  deployed ??= recorderFromEnvironment(process.env);
  return deployed(event);
}
