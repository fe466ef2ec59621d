/**
 * The replacement guard's AWS side: describes a change set (every page, and its nested stacks' change sets), and
 * keeps which allow-list entries a pipeline execution consumed, one SSM parameter per entry.
 */
import { CloudFormationClient, DescribeChangeSetCommand, DescribeChangeSetCommandOutput } from '@aws-sdk/client-cloudformation';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { AllowEntry, Change, Consumption, DescribedChangeSet, allowEntryKey } from '../../domain/replacement-guard';

/** A change set that cannot be judged (still being created, failed for another reason than "no changes"). */
export class ChangeSetUnreadable extends Error {}

/** The change set Prepare created could not have changes: CloudFormation's words when a stack is already current. */
const NO_CHANGES = /didn't contain changes|No updates are to be performed/i;

/**
 * Describes change set `changeSetName` of `stackName` (or a change set ARN, with `stackName` undefined): every page
 * (NextToken), then, recursively, the change set of each nested stack that changes (`ChangeSetId` of its
 * `AWS::CloudFormation::Stack` change, created by `IncludeNestedStacks`).
 */
export async function describeChangeSetTree(cfn: CloudFormationClient, changeSetName: string, stackName?: string, depth = 0): Promise<DescribedChangeSet> {
  if (depth > 5) throw new ChangeSetUnreadable(`nested stacks deeper than 5 levels under ${stackName ?? changeSetName}`);
  const changes: Change[] = [];
  let first: DescribeChangeSetCommandOutput | undefined;
  let nextToken: string | undefined;
  do {
    const page = await cfn.send(new DescribeChangeSetCommand({ ChangeSetName: changeSetName, StackName: stackName, NextToken: nextToken }));
    first ??= page;
    changes.push(...((page.Changes ?? []) as Change[]));
    nextToken = page.NextToken;
  } while (nextToken);
  const name = first.StackName ?? stackName ?? changeSetName;
  if (first.Status === 'FAILED' && NO_CHANGES.test(first.StatusReason ?? '')) return { stackName: name, changeSetId: first.ChangeSetId, changes: [] };
  if (first.Status !== 'CREATE_COMPLETE') {
    throw new ChangeSetUnreadable(`change set ${changeSetName} of ${name} is ${first.Status}${first.StatusReason ? ` (${first.StatusReason})` : ''}`);
  }
  const nested: DescribedChangeSet[] = [];
  for (const change of changes) {
    const rc = change.ResourceChange;
    if (rc?.ResourceType === 'AWS::CloudFormation::Stack' && rc.ChangeSetId) nested.push(await describeChangeSetTree(cfn, rc.ChangeSetId, undefined, depth + 1));
  }
  return { stackName: name, changeSetId: first.ChangeSetId, changes, nested };
}

/** Where entry consumption is kept: `/tollgate/<pipeline>/allow-replace/<stack>/<logicalId>/<reason hash>`. */
export function consumptionParameterName(pipelineName: string, entry: AllowEntry): string {
  return `/tollgate/${pipelineName}/allow-replace/${allowEntryKey(entry)}`;
}

/** Which of `entries` are consumed, keyed by {@link allowEntryKey}. */
export async function readConsumption(ssm: SSMClient, pipelineName: string, entries: readonly AllowEntry[]): Promise<Map<string, Consumption>> {
  const consumed = new Map<string, Consumption>();
  for (const entry of entries) {
    try {
      const { Parameter } = await ssm.send(new GetParameterCommand({ Name: consumptionParameterName(pipelineName, entry) }));
      consumed.set(allowEntryKey(entry), JSON.parse(Parameter?.Value ?? '{}') as Consumption);
    } catch (err) {
      if ((err as Error).name !== 'ParameterNotFound') throw err;
    }
  }
  return consumed;
}

/**
 * Records `entry` as consumed by `executionId`, atomically (PutParameter without Overwrite): if another execution
 * recorded it first, resolves to that consumption; if this one did (a retried stage), to undefined.
 */
export async function recordConsumption(ssm: SSMClient, pipelineName: string, entry: AllowEntry, consumption: Consumption): Promise<Consumption | undefined> {
  const name = consumptionParameterName(pipelineName, entry);
  try {
    await ssm.send(new PutParameterCommand({ Name: name, Type: 'String', Value: JSON.stringify(consumption), Overwrite: false, Description: `Allow-list entry consumed: ${entry.reason}`.slice(0, 1024) }));
    return undefined;
  } catch (err) {
    if ((err as Error).name !== 'ParameterAlreadyExists') throw err;
    const { Parameter } = await ssm.send(new GetParameterCommand({ Name: name }));
    const earlier = JSON.parse(Parameter?.Value ?? '{}') as Consumption;
    return earlier.executionId === consumption.executionId ? undefined : earlier;
  }
}
