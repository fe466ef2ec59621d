/**
 * Reads a pipeline's executions since a moment, one page at a time, as the release metrics fold them: each
 * execution's summary (ListPipelineExecutions), its release record (BatchGetItem on `<pipeline>-ReleaseRecord`)
 * and, unless its record covers the whole execution (over, with its usage), its action runs from ListActionExecutions.
 * At most one page of executions (100) is held at a time, so a history of any length is read in bounded memory.
 */
import { BatchGetItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CodePipelineClient, PipelineExecutionSummary, paginateListActionExecutions, paginateListPipelineExecutions } from '@aws-sdk/client-codepipeline';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { ActionRun, ExecutionInput, actionRunsOfHistory, recordCovers } from '@tollgate/constructs/lib/domain/release-facts';
import { RELEASE_RECORD_KEY, ReleaseRecordReading, readReleaseRecord, releaseRecordTableName } from '@tollgate/constructs/lib/domain/release-record';
import { describeError } from './aws';

/** How the release record table answered. */
export type RecordTableState =
  | { readonly state: 'read' }
  /** No such table (ResourceNotFoundException): the recorder is not deployed. */
  | { readonly state: 'absent' }
  | { readonly state: 'unreadable'; readonly error: string };

/** ListActionExecutions calls in flight at once. */
const ACTION_READS_AT_ONCE = 8;
/** Rounds of BatchGetItem for the keys DynamoDB left unprocessed, with a backoff that doubles from 50 ms. */
const UNPROCESSED_ROUNDS = 5;

/**
 * `fn` over `items`, at most `limit` at a time, results in the order of `items`. After a failure no further item
 * starts, and the first failure is thrown once the calls under way have settled: nothing is left in flight.
 */
async function mapConcurrently<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { readonly error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
  return results;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface ReleaseHistoryClients {
  readonly codePipeline: CodePipelineClient;
  readonly dynamodb: DynamoDBClient;
}

/** One pipeline's history since a moment, read page by page. */
export class ReleaseHistory {
  /** The release record table's name. */
  readonly tableName: string;
  /** How the record table answered; it is asked no more once it is absent or unreadable. */
  recordTable: RecordTableState = { state: 'read' };

  constructor(
    private readonly clients: ReleaseHistoryClients,
    private readonly pipelineName: string,
    private readonly since: Date,
  ) {
    this.tableName = releaseRecordTableName(pipelineName);
  }

  /**
   * Every execution that started at or after `since`, newest first. ListPipelineExecutions answers "the most recent
   * executions" first (CodePipeline API reference), so paging stops after the first page that reaches back past `since`.
   */
  async *executions(): AsyncGenerator<ExecutionInput> {
    const pages = paginateListPipelineExecutions({ client: this.clients.codePipeline, pageSize: 100 }, { pipelineName: this.pipelineName });
    for await (const page of pages) {
      const all = page.pipelineExecutionSummaries ?? [];
      const before = (s: PipelineExecutionSummary) => s.startTime !== undefined && s.startTime < this.since;
      const summaries = all.filter((s) => s.pipelineExecutionId && s.startTime && !before(s));
      const records = await this.records(summaries.map((s) => s.pipelineExecutionId!));
      const inputs = await mapConcurrently(summaries, ACTION_READS_AT_ONCE, (summary) => this.input(summary, records.get(summary.pipelineExecutionId!)));
      yield* inputs;
      if (all.some(before)) return;
    }
  }

  private async input(summary: PipelineExecutionSummary, reading: ReleaseRecordReading | undefined): Promise<ExecutionInput> {
    return { summary, record: reading, actions: recordCovers(reading) ? undefined : await this.actionRuns(summary.pipelineExecutionId!) };
  }

  private async actionRuns(executionId: string): Promise<ActionRun[]> {
    const runs: ActionRun[] = [];
    const pages = paginateListActionExecutions(
      { client: this.clients.codePipeline, pageSize: 100 },
      { pipelineName: this.pipelineName, filter: { pipelineExecutionId: executionId } },
    );
    for await (const page of pages) runs.push(...actionRunsOfHistory(page.actionExecutionDetails ?? []));
    return runs;
  }

  /**
   * The records of `ids` (at most 100, BatchGetItem's limit), read as the release record shape says; an execution
   * without an item has none. Keys DynamoDB leaves unprocessed are asked again with a backoff, as its API reference
   * advises; any still left are named unreadable.
   */
  private async records(ids: readonly string[]): Promise<Map<string, ReleaseRecordReading>> {
    const readings = new Map<string, ReleaseRecordReading>();
    let keys = ids.map((id) => ({ [RELEASE_RECORD_KEY]: { S: id } }));
    for (let round = 0; keys.length > 0 && this.recordTable.state === 'read'; round++) {
      if (round === UNPROCESSED_ROUNDS) {
        for (const key of keys) readings.set(key[RELEASE_RECORD_KEY].S, { unreadable: `DynamoDB left it unprocessed ${UNPROCESSED_ROUNDS} times (throttled)` });
        break;
      }
      if (round > 0) await sleep(50 * 2 ** (round - 1));
      try {
        const answer = await this.clients.dynamodb.send(new BatchGetItemCommand({ RequestItems: { [this.tableName]: { Keys: keys } } }));
        for (const item of answer.Responses?.[this.tableName] ?? []) {
          const value = unmarshall(item);
          readings.set(String(value[RELEASE_RECORD_KEY]), readReleaseRecord(value));
        }
        keys = (answer.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as typeof keys;
      } catch (err) {
        this.recordTable = (err as Error).name === 'ResourceNotFoundException' ? { state: 'absent' } : { state: 'unreadable', error: describeError(err) };
      }
    }
    return readings;
  }
}
