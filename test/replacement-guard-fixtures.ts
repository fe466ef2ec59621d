/**
 * DescribeChangeSet `Changes` as CloudFormation answers them (shapes copied from real change sets: a table whose
 * key schema changed, a renamed bucket, a queue made FIFO, a Lambda function replaced, a nested stack).
 */
import { Change } from '@tollgate/constructs/lib/domain/replacement-guard';

export const tableKeySchemaChanged: Change = {
  Type: 'Resource',
  ResourceChange: {
    Action: 'Modify',
    LogicalResourceId: 'ItemsTable5AAC2C46',
    PhysicalResourceId: 'Prod-Service-ItemsTable5AAC2C46-1ABCDEF',
    ResourceType: 'AWS::DynamoDB::Table',
    Replacement: 'True',
    Scope: ['Properties'],
    Details: [
      { Target: { Attribute: 'Properties', Name: 'KeySchema', RequiresRecreation: 'Always' }, Evaluation: 'Static', ChangeSource: 'DirectModification' },
      { Target: { Attribute: 'Properties', Name: 'AttributeDefinitions', RequiresRecreation: 'Never' }, Evaluation: 'Static', ChangeSource: 'DirectModification' },
    ],
  },
};

/** A replacement forced by one property, as CloudFormation describes it. */
function replacedBy(logicalId: string, physicalId: string, type: string, property: string): Change {
  return {
    Type: 'Resource',
    ResourceChange: {
      Action: 'Modify',
      LogicalResourceId: logicalId,
      PhysicalResourceId: physicalId,
      ResourceType: type,
      Replacement: 'True',
      Scope: ['Properties'],
      Details: [{ Target: { Attribute: 'Properties', Name: property, RequiresRecreation: 'Always' }, Evaluation: 'Static', ChangeSource: 'DirectModification' }],
    },
  };
}

export const bucketRenamed = replacedBy('TilesBucket8D1C3A2F', 'tollgate-tiles-old', 'AWS::S3::Bucket', 'BucketName');
export const queueMadeFifo = replacedBy('JobsQueue0B1C5E7A', 'https://sqs.us-east-1.amazonaws.com/333333333333/Prod-Service-JobsQueue', 'AWS::SQS::Queue', 'FifoQueue');
export const functionReplaced = replacedBy('ApiHandler5E7490E8', 'Prod-Service-ApiHandler', 'AWS::Lambda::Function', 'FunctionName');

/** A key whose replacement depends on a value known only at deploy (a parameter): Replacement Conditional. */
export const keyConditionallyReplaced: Change = {
  Type: 'Resource',
  ResourceChange: {
    Action: 'Modify',
    LogicalResourceId: 'DataKey7A3F0C1D',
    ResourceType: 'AWS::KMS::Key',
    Replacement: 'Conditional',
    Scope: ['Properties'],
    Details: [{ Target: { Attribute: 'Properties', Name: 'KeySpec', RequiresRecreation: 'Conditionally' }, Evaluation: 'Dynamic', ChangeSource: 'ParameterReference', CausingEntity: 'KeySpecParam' }],
  },
};

export const logGroupRemoved: Change = {
  Type: 'Resource',
  ResourceChange: { Action: 'Remove', LogicalResourceId: 'AccessLogs1E2F3A4B', PhysicalResourceId: '/tollgate/access', ResourceType: 'AWS::Logs::LogGroup', PolicyAction: 'Retain', Scope: [], Details: [] },
};

/** A nested stack that changes, in an IncludeNestedStacks change set: its own change set carries its changes. */
export const NESTED_CHANGE_SET_ID = 'arn:aws:cloudformation:us-east-1:333333333333:changeSet/PipelineChange-Storage-1/abcd';
export const nestedStackModified: Change = {
  Type: 'Resource',
  ResourceChange: {
    Action: 'Modify',
    LogicalResourceId: 'StorageNestedStackStorageNestedStackResource9A1B2C3D',
    PhysicalResourceId: 'arn:aws:cloudformation:us-east-1:333333333333:stack/Prod-Service-Storage/1',
    ResourceType: 'AWS::CloudFormation::Stack',
    Replacement: 'False',
    Scope: ['Properties'],
    ChangeSetId: NESTED_CHANGE_SET_ID,
    Details: [{ Target: { Attribute: 'Properties', Name: 'TemplateURL', RequiresRecreation: 'Never' }, Evaluation: 'Dynamic', ChangeSource: 'DirectModification' }],
  },
};

/** `n` resource changes, one in ten a stateful replacement (for the bench). */
export function largeChangeSet(n: number): Change[] {
  return Array.from({ length: n }, (_, i): Change => {
    const base = [tableKeySchemaChanged, functionReplaced, bucketRenamed, queueMadeFifo][i % 4].ResourceChange!;
    const stateful = i % 10 === 0;
    return {
      Type: 'Resource',
      ResourceChange: { ...(stateful ? base : functionReplaced.ResourceChange!), LogicalResourceId: `Resource${i}`, Replacement: stateful ? 'True' : i % 3 === 0 ? 'False' : 'True' },
    };
  });
}
