import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { readReleaseRecord, releaseRecordTableName } from '@tollgate/constructs/lib/domain/release-record';
import { craftExecution, recordOf } from './release-history-fixtures';

const record = recordOf(craftExecution(7, Date.parse('2026-11-20T10:00:00Z'), { failAt: 'Prod/ProdBake' }), 15);

test('a record survives the trip through DynamoDB: written in its own types, read back as the same record', () => {
  const item = marshall(record, { removeUndefinedValues: true });
  expect(item.stages.M).toBeDefined();
  expect(item.usage.M?.actionMinutes.N).toBe(String(record.usage!.actionMinutes));
  expect(readReleaseRecord(unmarshall(item))).toEqual({ record: JSON.parse(JSON.stringify(record)) });
  expect(record.gates).toEqual([{ stage: 'Prod', action: 'ProdBake', kind: 'prod-bake', verdict: 'REJECTED', at: expect.any(String) }]);
});

test.each([
  [{ schemaVersion: 2 }, 'record.schemaVersion must be one of 1, got 2'],
  [{ startedAt: 'Friday' }, 'record.startedAt must be an ISO-8601 instant like 2026-11-22T10:30:00Z, got "Friday"'],
  [{ executionId: 'e3' }, 'record.executionId must be a CodePipeline execution ID, got "e3"'],
  [{ version: '1.4.2' }, 'record.version must be v<major>.<minor>.<n>, got "1.4.2"'],
  [{ outcome: 'done' }, 'record.outcome must be one of "in-progress", "released", "rejected", "rolled-back", "superseded", "stopped", got "done"'],
  [{ gates: [{ stage: 'Dev', action: 'Bake', kind: 'bake', verdict: 'REJECTED', at: '2026-11-20T11:00:00Z' }] }, 'record.gates[0].kind must be one of "dev-bake", "prod-bake"'],
  [{ usage: { actionMinutes: -1, buildMinutes: 0, gateMinutes: 0, bakeMinutes: 0 } }, 'record.usage.actionMinutes must be at least 0, got -1'],
  [{ approvedBy: 'alice' }, 'record.approvedBy is not a known setting'],
])('%j is unreadable, in one line naming the field: %s', (change, problem) => {
  const reading = readReleaseRecord({ ...record, ...change });
  expect(reading).toEqual({ unreadable: expect.stringContaining(problem) });
});

test('the table is named after the pipeline', () => {
  expect(releaseRecordTableName('Tollgate')).toBe('Tollgate-ReleaseRecord');
});
