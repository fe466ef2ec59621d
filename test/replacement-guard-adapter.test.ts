import { CloudFormationClient, DescribeChangeSetCommand, DescribeChangeSetCommandOutput } from '@aws-sdk/client-cloudformation';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { ChangeSetUnreadable, consumptionParameterName, describeChangeSetTree, readConsumption, recordConsumption } from '@tollgate/constructs/lib/lambdas/replacement-guard/adapter';
import { Change } from '@tollgate/constructs/lib/domain/replacement-guard';
import { NESTED_CHANGE_SET_ID, functionReplaced, nestedStackModified, queueMadeFifo, tableKeySchemaChanged } from './replacement-guard-fixtures';

const cfnMock = mockClient(CloudFormationClient);
const ssmMock = mockClient(SSMClient);
const cfn = new CloudFormationClient({ region: 'us-east-1' });
const ssm = new SSMClient({ region: 'us-east-1' });
const PARENT_ID = 'arn:aws:cloudformation:us-east-1:333333333333:changeSet/PipelineChange/1';
/** The fixtures as the SDK types them (its enums are string literal unions). */
const sdk = (...changes: Change[]) => changes as DescribeChangeSetCommandOutput['Changes'];
const entry = { stack: 'Prod-Service', logicalId: 'ItemsTable5AAC2C46', reason: 'new key schema' };

beforeEach(() => {
  cfnMock.reset();
  ssmMock.reset();
});

describe('describeChangeSetTree', () => {
  test('reads every page (NextToken) and the nested stacks\' change sets by ChangeSetId', async () => {
    cfnMock
      .on(DescribeChangeSetCommand, { ChangeSetName: 'PipelineChange', StackName: 'Prod-Service', NextToken: undefined })
      .resolves({ StackName: 'Prod-Service', ChangeSetId: PARENT_ID, Status: 'CREATE_COMPLETE', Changes: sdk(functionReplaced, nestedStackModified), NextToken: 'page-2' })
      .on(DescribeChangeSetCommand, { ChangeSetName: 'PipelineChange', StackName: 'Prod-Service', NextToken: 'page-2' })
      .resolves({ StackName: 'Prod-Service', ChangeSetId: PARENT_ID, Status: 'CREATE_COMPLETE', Changes: sdk(queueMadeFifo) })
      .on(DescribeChangeSetCommand, { ChangeSetName: NESTED_CHANGE_SET_ID })
      .resolves({ StackName: 'Prod-Service-Storage', ChangeSetId: NESTED_CHANGE_SET_ID, Status: 'CREATE_COMPLETE', Changes: sdk(tableKeySchemaChanged) });
    const tree = await describeChangeSetTree(cfn, 'PipelineChange', 'Prod-Service');
    expect(tree.changes.map((c) => c.ResourceChange?.LogicalResourceId)).toEqual(['ApiHandler5E7490E8', 'StorageNestedStackStorageNestedStackResource9A1B2C3D', 'JobsQueue0B1C5E7A']);
    expect(tree.nested).toEqual([{ stackName: 'Prod-Service-Storage', changeSetId: NESTED_CHANGE_SET_ID, changes: [tableKeySchemaChanged], nested: [] }]);
    expect(cfnMock.commandCalls(DescribeChangeSetCommand)).toHaveLength(3);
  });

  test('a change set with no changes (FAILED, "didn\'t contain changes") is empty', async () => {
    cfnMock.on(DescribeChangeSetCommand).resolves({ StackName: 'Dev-Service', Status: 'FAILED', StatusReason: "The submitted information didn't contain changes. Submit different information to create a change set." });
    expect((await describeChangeSetTree(cfn, 'PipelineChange', 'Dev-Service')).changes).toEqual([]);
  });

  test('a change set that failed otherwise, or is still being created, cannot be judged', async () => {
    cfnMock.on(DescribeChangeSetCommand).resolves({ StackName: 'Dev-Service', Status: 'CREATE_IN_PROGRESS' });
    await expect(describeChangeSetTree(cfn, 'PipelineChange', 'Dev-Service')).rejects.toThrow(ChangeSetUnreadable);
  });
});

describe('allow-list consumption in SSM', () => {
  test('recording is atomic: the first execution wins, its retry is fine, another execution learns who consumed it', async () => {
    ssmMock.on(PutParameterCommand).resolvesOnce({ Version: 1 }).rejects(Object.assign(new Error('exists'), { name: 'ParameterAlreadyExists' }));
    ssmMock.on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify({ executionId: 'exec-1', at: '2026-11-23T15:00:00Z' }) } });
    expect(await recordConsumption(ssm, 'Tollgate', entry, { executionId: 'exec-1', at: '2026-11-23T15:00:00Z' })).toBeUndefined();
    expect(ssmMock.commandCalls(PutParameterCommand)[0].args[0].input).toMatchObject({ Name: consumptionParameterName('Tollgate', entry), Overwrite: false });
    expect(await recordConsumption(ssm, 'Tollgate', entry, { executionId: 'exec-1', at: 'later' })).toBeUndefined();
    expect(await recordConsumption(ssm, 'Tollgate', entry, { executionId: 'exec-2', at: 'later' })).toEqual({ executionId: 'exec-1', at: '2026-11-23T15:00:00Z' });
  });

  test('reading: a missing parameter is an unconsumed entry; another error is not swallowed', async () => {
    ssmMock.on(GetParameterCommand).rejectsOnce(Object.assign(new Error('none'), { name: 'ParameterNotFound' })).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    expect((await readConsumption(ssm, 'Tollgate', [entry])).size).toBe(0);
    await expect(readConsumption(ssm, 'Tollgate', [entry])).rejects.toThrow('denied');
  });

  test('parameter names live under /tollgate/<pipeline>/allow-replace/', () => {
    expect(consumptionParameterName('Tollgate', entry)).toMatch(/^\/tollgate\/Tollgate\/allow-replace\/Prod-Service\/ItemsTable5AAC2C46\/[0-9a-f]{8}$/);
  });
});
