import { allowEntryKey, describeVerdict, diffTemplates, evaluateChangeSets, guardedStackOf, parseAllowList } from '@tollgate/constructs/lib/domain/replacement-guard';
import {
  NESTED_CHANGE_SET_ID,
  bucketRenamed,
  functionReplaced,
  keyConditionallyReplaced,
  logGroupRemoved,
  nestedStackModified,
  queueMadeFifo,
  tableKeySchemaChanged,
} from './replacement-guard-fixtures';

const STACK = 'Prod-Service';

describe('replacement guard core on DescribeChangeSet changes', () => {
  test('a table whose key schema changed fails, naming stack, logical ID, type and the property', () => {
    const verdict = evaluateChangeSets([{ stackName: STACK, changes: [tableKeySchemaChanged] }]);
    expect(verdict.outcome).toBe('fail');
    expect(verdict.blocked).toEqual([
      expect.objectContaining({ stack: STACK, logicalId: 'ItemsTable5AAC2C46', resourceType: 'AWS::DynamoDB::Table', action: 'replace', replacement: 'True', causes: ['KeySchema (Always)'] }),
    ]);
    expect(describeVerdict(verdict)[1]).toMatch(/^ {2}BLOCKED Prod-Service ItemsTable5AAC2C46 \(AWS::DynamoDB::Table\) replaced: .*; forced by KeySchema \(Always\)$/);
  });

  test('a bucket rename and a queue made FIFO fail, each with its property', () => {
    const verdict = evaluateChangeSets([{ stackName: STACK, changes: [bucketRenamed, queueMadeFifo] }]);
    expect(verdict.blocked.map((f) => [f.logicalId, f.causes])).toEqual([
      ['TilesBucket8D1C3A2F', ['BucketName (Always)']],
      ['JobsQueue0B1C5E7A', ['FifoQueue (Always)']],
    ]);
  });

  test('a Lambda function replacement passes', () => {
    const verdict = evaluateChangeSets([{ stackName: STACK, changes: [functionReplaced] }]);
    expect(verdict).toMatchObject({ outcome: 'pass', blocked: [], inspected: 1 });
  });

  test('Replacement Conditional fails closed, and says so', () => {
    const verdict = evaluateChangeSets([{ stackName: STACK, changes: [keyConditionallyReplaced] }]);
    expect(verdict.outcome).toBe('fail');
    expect(verdict.blocked[0]).toMatchObject({ replacement: 'Conditional', causes: ['KeySpec (Conditionally)'] });
    expect(verdict.blocked[0].note).toMatch(/fails closed/);
  });

  test('removing a stateful resource fails, DeletionPolicy Retain or not', () => {
    const verdict = evaluateChangeSets([{ stackName: STACK, changes: [logGroupRemoved] }]);
    expect(verdict.blocked).toEqual([expect.objectContaining({ action: 'remove', logicalId: 'AccessLogs1E2F3A4B', resourceType: 'AWS::Logs::LogGroup' })]);
  });

  test('a modified stateful resource without replacement passes', () => {
    const change = { ...tableKeySchemaChanged, ResourceChange: { ...tableKeySchemaChanged.ResourceChange, Replacement: 'False' } };
    expect(evaluateChangeSets([{ stackName: STACK, changes: [change] }]).outcome).toBe('pass');
  });

  test('nested stacks: a replacement inside a nested stack fails under the nested stack name', () => {
    const verdict = evaluateChangeSets([
      { stackName: STACK, changes: [nestedStackModified], nested: [{ stackName: 'Prod-Service-Storage', changeSetId: NESTED_CHANGE_SET_ID, changes: [tableKeySchemaChanged] }] },
    ]);
    expect(verdict.blocked).toEqual([expect.objectContaining({ stack: 'Prod-Service-Storage', logicalId: 'ItemsTable5AAC2C46' })]);
  });

  test('nested stacks: a changed nested stack whose change set was not described cannot be decided', () => {
    const verdict = evaluateChangeSets([{ stackName: STACK, changes: [nestedStackModified] }]);
    expect(verdict.outcome).toBe('cannot-decide');
    expect(verdict.undecided[0]).toMatch(/IncludeNestedStacks/);
  });

  test('nested stacks: replacing or removing a nested stack fails (it deletes all it holds)', () => {
    const removed = { Type: 'Resource', ResourceChange: { ...nestedStackModified.ResourceChange, Action: 'Remove' } };
    expect(evaluateChangeSets([{ stackName: STACK, changes: [removed] }]).blocked[0]).toMatchObject({ resourceType: 'AWS::CloudFormation::Stack', action: 'remove' });
  });

  describe('allow-list', () => {
    const entry = { stack: STACK, logicalId: 'ItemsTable5AAC2C46', reason: 'new key schema, data migrated by job 42' };

    test('an announced replacement passes and is reported as allowed (announced)', () => {
      const verdict = evaluateChangeSets([{ stackName: STACK, changes: [tableKeySchemaChanged] }], { allowList: [entry], executionId: 'exec-1' });
      expect(verdict.outcome).toBe('pass');
      expect(verdict.allowed).toEqual([expect.objectContaining({ status: 'allowed', note: `allowed (announced): ${entry.reason}`, entry })]);
    });

    test('an entry names one stack: the same logical ID in Dev-Service is still blocked', () => {
      const verdict = evaluateChangeSets([{ stackName: 'Dev-Service', changes: [tableKeySchemaChanged] }], { allowList: [entry] });
      expect(verdict.outcome).toBe('fail');
      expect(verdict.unusedEntries).toEqual([entry]);
    });

    test('consumed once: an entry consumed by an earlier execution does not allow a second replacement', () => {
      const consumed = new Map([[allowEntryKey(entry), { executionId: 'exec-1', at: '2026-11-23T15:00:00Z' }]]);
      const later = evaluateChangeSets([{ stackName: STACK, changes: [tableKeySchemaChanged] }], { allowList: [entry], consumed, executionId: 'exec-2' });
      expect(later.outcome).toBe('fail');
      expect(later.blocked[0].note).toMatch(/consumed by execution exec-1/);
      // The execution that consumed it may retry its stage.
      const retry = evaluateChangeSets([{ stackName: STACK, changes: [tableKeySchemaChanged] }], { allowList: [entry], consumed, executionId: 'exec-1' });
      expect(retry.outcome).toBe('pass');
      // A new entry (a new reason) is a new announcement.
      const renewed = { ...entry, reason: 'second migration, job 43' };
      expect(allowEntryKey(renewed)).not.toBe(allowEntryKey(entry));
    });

    test('a malformed allow-list gets one line naming the field and the value', () => {
      expect(() => parseAllowList('tollgate-allow-replace.json', '[{"stack":"Prod-Service","logicalId":""}]')).toThrow(
        'tollgate-allow-replace.json: [0].logicalId must be a non-empty string, got ""',
      );
      expect(() => parseAllowList('f.json', '{}')).toThrow(/must be an array/);
    });
  });
});

describe('offline template diff', () => {
  const table = (props: Record<string, unknown>) => ({ Resources: { Items: { Type: 'AWS::DynamoDB::Table', Properties: props }, Fn: { Type: 'AWS::Lambda::Function', Properties: { A: 1 } } } });

  test('a replacement-causing property that changed is a replacement', () => {
    const set = diffTemplates(STACK, table({ KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] }), table({ KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }] }));
    expect(evaluateChangeSets([set]).blocked[0]).toMatchObject({ logicalId: 'Items', causes: ['KeySchema (Always)'], replacement: 'True' });
  });

  test('other properties, key order and non-stateful resources do not count', () => {
    const before = table({ KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], BillingMode: 'PROVISIONED' });
    const after = table({ BillingMode: 'PAY_PER_REQUEST', KeySchema: [{ KeyType: 'HASH', AttributeName: 'pk' }] });
    expect(diffTemplates(STACK, before, after).changes).toEqual([]);
  });

  test('an intrinsic in a changed property is Conditional; a renamed logical ID is a removal', () => {
    const before = { Resources: { Q: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'jobs' } }, Old: { Type: 'AWS::S3::Bucket' } } };
    const after = { Resources: { Q: { Type: 'AWS::SQS::Queue', Properties: { QueueName: { 'Fn::Join': ['-', ['jobs', { Ref: 'AWS::Region' }]] } } }, New: { Type: 'AWS::S3::Bucket' } } };
    const verdict = evaluateChangeSets([diffTemplates(STACK, before, after)]);
    expect(verdict.blocked.map((f) => [f.logicalId, f.action, f.replacement])).toEqual([
      ['Q', 'replace', 'Conditional'],
      ['Old', 'remove', undefined],
    ]);
  });
});

test.each([
  ['ReplacementGuard-Dev-Service', 'Dev-Service'],
  ['Pipeline-Service.ReplacementGuard-Pipeline-Service', 'Pipeline-Service'],
  ['IntegrationTests', undefined],
  ['NoReplacementGuard-Dev-Service', undefined],
])('the pipeline action %s guards %s', (action, stack) => {
  expect(guardedStackOf(action)).toBe(stack);
});
