/**
 * The release recorder's AWS calls, and nothing else: the record in DynamoDB (a conditional write on its
 * `revision`), the execution in CodePipeline (GetPipelineExecution for the commit and the rollback, ListActionExecutions
 * for the action runs, ListPipelineExecutions for what a rollback rolled back), the release topic in SNS.
 */
import { CodePipelineClient, GetPipelineExecutionCommand, ListPipelineExecutionsCommand, paginateListActionExecutions } from '@aws-sdk/client-codepipeline';
import { ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { describedCall } from '../../domain/aws-errors';
import { actionRunsOfHistory } from '../../domain/release-facts';
import { readReleaseRecord, RELEASE_RECORD_KEY, ReleaseRecord } from '../../domain/release-record';
import { ActionDetail, Announcement, ExecutionContext, rolledBackExecution } from './core';

/** A record as stored, and the revision the next write must find. */
export interface StoredRecord {
  readonly record?: ReleaseRecord;
  /** Absent: no item yet (the write must create it). */
  readonly revision?: number;
}

export interface RecorderPort {
  readRecord(executionId: string): Promise<StoredRecord>;
  /** Writes the record if the item is still at `revision` (absent: if there is none); false when it is not. */
  writeRecord(record: ReleaseRecord, revision: number | undefined): Promise<boolean>;
  readExecution(executionId: string): Promise<ExecutionContext>;
  readActions(executionId: string): Promise<ActionDetail[]>;
  publish(announcement: Announcement): Promise<void>;
}

export interface AwsRecorderAdapterOptions {
  readonly pipelineName: string;
  readonly tableName: string;
  readonly topicArn: string;
  /** @default 5 attempts per call, with the SDK's standard backoff */
  readonly maxAttempts?: number;
}

export class AwsRecorderAdapter implements RecorderPort {
  private readonly codePipeline: CodePipelineClient;
  private readonly dynamodb: DynamoDBClient;
  private readonly sns: SNSClient;

  constructor(private readonly options: AwsRecorderAdapterOptions) {
    const common = { maxAttempts: options.maxAttempts ?? 5, retryMode: 'standard' };
    this.codePipeline = new CodePipelineClient(common);
    this.dynamodb = new DynamoDBClient(common);
    this.sns = new SNSClient(common);
  }

  async readRecord(executionId: string): Promise<StoredRecord> {
    const answer = await describedCall(`GetItem ${executionId} from ${this.options.tableName}`, () =>
      this.dynamodb.send(new GetItemCommand({ TableName: this.options.tableName, Key: { [RELEASE_RECORD_KEY]: { S: executionId } }, ConsistentRead: true })),
    );
    if (!answer.Item) return {};
    const { revision, ...value } = unmarshall(answer.Item);
    const reading = readReleaseRecord(value);
    // An item it cannot read is not overwritten: the event fails, and lands in the dead-letter queue, which pages.
    if ('unreadable' in reading) throw new Error(`the release record of ${executionId} is unreadable: ${reading.unreadable}`);
    return { record: reading.record, revision: typeof revision === 'number' ? revision : 0 };
  }

  async writeRecord(record: ReleaseRecord, revision: number | undefined): Promise<boolean> {
    const { revision: _ignored, ...fields } = record;
    const item = marshall({ ...fields, revision: (revision ?? -1) + 1 }, { removeUndefinedValues: true });
    try {
      await this.dynamodb.send(
        new PutItemCommand({
          TableName: this.options.tableName,
          Item: item,
          ...(revision === undefined
            ? { ConditionExpression: 'attribute_not_exists(#key)', ExpressionAttributeNames: { '#key': RELEASE_RECORD_KEY } }
            : { ConditionExpression: '#revision = :revision', ExpressionAttributeNames: { '#revision': 'revision' }, ExpressionAttributeValues: { ':revision': { N: String(revision) } } }),
        }),
      );
      return true;
    } catch (err) {
      // Another event of the execution wrote first (DynamoDB API reference, PutItem: ConditionalCheckFailedException).
      if (err instanceof ConditionalCheckFailedException || (err as Error).name === 'ConditionalCheckFailedException') return false;
      return describedCall(`PutItem ${record.executionId} in ${this.options.tableName}`, () => Promise.reject(err));
    }
  }

  async readExecution(executionId: string): Promise<ExecutionContext> {
    const { pipelineName } = this.options;
    const answer = await describedCall(`GetPipelineExecution ${executionId}`, () =>
      this.codePipeline.send(new GetPipelineExecutionCommand({ pipelineName, pipelineExecutionId: executionId })),
    );
    const execution = answer.pipelineExecution;
    const source = execution?.artifactRevisions?.[0];
    if (execution?.executionType !== 'ROLLBACK') {
      return { executionType: 'STANDARD', commitId: source?.revisionId, commitTime: source?.created };
    }
    const target = execution.rollbackMetadata?.rollbackTargetPipelineExecutionId;
    // The most recent executions, newest first (CodePipeline API reference, ListPipelineExecutions).
    const recent = await describedCall(`ListPipelineExecutions ${pipelineName}`, () => this.codePipeline.send(new ListPipelineExecutionsCommand({ pipelineName, maxResults: 50 })));
    return { executionType: 'ROLLBACK', rollbackOf: rolledBackExecution(recent.pipelineExecutionSummaries ?? [], { executionId, targetExecutionId: target }) };
  }

  async readActions(executionId: string): Promise<ActionDetail[]> {
    const details: ActionDetail[] = [];
    const pages = paginateListActionExecutions({ client: this.codePipeline, pageSize: 100 }, { pipelineName: this.options.pipelineName, filter: { pipelineExecutionId: executionId } });
    await describedCall(`ListActionExecutions ${executionId}`, async () => {
      for await (const page of pages) {
        for (const d of page.actionExecutionDetails ?? []) {
          const [run] = actionRunsOfHistory([d]);
          if (run) details.push({ run, summary: d.output?.executionResult?.externalExecutionSummary, outputVariables: d.output?.outputVariables });
        }
      }
    });
    return details;
  }

  async publish(announcement: Announcement): Promise<void> {
    await describedCall(`Publish to ${this.options.topicArn}`, () =>
      this.sns.send(new PublishCommand({ TopicArn: this.options.topicArn, Subject: announcement.subject.slice(0, 100), Message: announcement.message })),
    );
  }
}
