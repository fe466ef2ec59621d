import { DeleteItemCommand, DynamoDBClient, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import {
  canonicalJson,
  describeSettingsChange,
  SettingsChangeAnnouncer,
  settingsChangeAnnouncement,
  settingsChangeOnColdStart,
  settingsFingerprint,
} from '@tollgate/constructs/lib/lambdas/bake-gate/settings-change';
import { GateSettings } from '@tollgate/constructs/lib/lambdas/bake-gate/settings';
import { gateSettings } from './bake-gate-fixtures';

type Bake = GateSettings['bakes'][number];
type Environment = GateSettings['environments'][number];
function changed(bakes: (b: Bake) => Bake = (b) => b, environments: (e: Environment) => Environment = (e) => e, rest: Partial<GateSettings> = {}): GateSettings {
  const s = gateSettings();
  return { ...s, bakes: s.bakes.map(bakes), environments: s.environments.map(environments), ...rest };
}
const onlyDev = (change: Partial<Bake>) => (b: Bake) => (b.stageName === 'Dev' ? { ...b, ...change } : b);
const onlyEnv = (name: string, change: Partial<Environment>) => (e: Environment) => (e.name === name ? { ...e, ...change } : e);

describe('fingerprint', () => {
  test('does not depend on the order of keys, and changes with any value', () => {
    const settings = gateSettings();
    const reordered = JSON.parse(canonicalJson(settings)) as GateSettings;
    expect(Object.keys(reordered)).not.toEqual(Object.keys(settings));
    expect(settingsFingerprint(reordered)).toBe(settingsFingerprint(settings));
    expect(settingsFingerprint(settings)).toMatch(/^[0-9a-f]{64}$/);
    expect(settingsFingerprint(changed(onlyDev({ minutes: 61 })))).not.toBe(settingsFingerprint(settings));
  });

  test('canonical JSON sorts nested keys and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: undefined, x: 'q' }], c: null } })).toBe('{"a":{"c":null,"d":[2,{"x":"q","z":1}]},"b":1}');
  });
});

describe('describeSettingsChange', () => {
  test('no earlier record: the baseline, bake by bake', () => {
    expect(describeSettingsChange(undefined, gateSettings())).toEqual([
      'no earlier settings recorded: this is the baseline',
      'bake Dev/Bake: 60 min in dev',
      'bake Prod/ProdBake: 30 min in prod',
      'environment dev: alarms Dev-Service-Health',
      'environment prod: alarms Prod-Service-Health',
    ]);
  });

  test.each<[string, GateSettings, string[]]>([
    ['bake minutes', changed(onlyDev({ minutes: 10 })), ['bake Dev/Bake: bake 60 → 10 min']],
    ['the evidence opt-out', changed(onlyDev({ allowNoTraffic: true })), ['bake Dev/Bake: allowNoTraffic off → on (no evidence of traffic required)']],
    ['the evidence grace', changed(onlyDev({ evidenceGraceMinutes: 5 })), ['bake Dev/Bake: evidence grace 30 → 5 min']],
    ['a removed bake', changed(undefined, undefined, { bakes: gateSettings().bakes.slice(0, 1) }), ['bake Prod/ProdBake removed']],
    [
      'an added bake',
      changed(undefined, undefined, { bakes: [...gateSettings().bakes, { ...gateSettings().bakes[0], stageName: 'Staging', promotion: undefined }] }),
      ['bake Staging/Bake added (60 min)'],
    ],
    ['alarms', changed(undefined, onlyEnv('dev', { alarmNames: ['Dev-Other'] })), ['environment dev: alarms added Dev-Other; removed Dev-Service-Health']],
    [
      'synthetic coverage',
      changed(undefined, onlyEnv('prod', { evidence: { syntheticChecks: { ...gateSettings().environments[1].evidence.syntheticChecks!, minimumCoveragePercent: 10 } } })),
      ['environment prod: evidence synthetic checks coverage 90 → 10 %'],
    ],
    ['synthetic checks removed', changed(undefined, onlyEnv('dev', { evidence: {} })), ['environment dev: evidence synthetic checks removed']],
    ['the alarm latency', changed(undefined, undefined, { alarmLatencyMinutes: 0 }), ['gate: alarm latency 3 → 0 min']],
    ['a setting without a description of its own', changed(undefined, onlyEnv('dev', { stackName: 'Other' })), ['environment dev: stackName Dev-Service → Other']],
  ])('%s', (_what, after, lines) => {
    expect(describeSettingsChange(gateSettings(), after)).toEqual(lines);
  });

  test('several changes at once, each on its own line', () => {
    const after = changed(onlyDev({ minutes: 10, allowNoTraffic: true }), onlyEnv('dev', { alarmNames: ['Dev-Service-Health', 'Dev-Extra'] }));
    expect(describeSettingsChange(gateSettings(), after)).toEqual([
      'bake Dev/Bake: allowNoTraffic off → on (no evidence of traffic required)',
      'bake Dev/Bake: bake 60 → 10 min',
      'environment dev: alarms added Dev-Extra',
    ]);
  });

  test('settings recorded by an older gate with other fields are still compared field by field', () => {
    const { readFailureToleranceMinutes: _dropped, ...older } = gateSettings();
    const lines = describeSettingsChange({ ...older, retired: true } as unknown as GateSettings, gateSettings());
    expect(lines).toEqual(['gate: read failure tolerance none → 5 min', 'gate: retired true → none']);
  });
});

describe('settingsChangeAnnouncement', () => {
  test('a weakening is loud in the subject and names what falls below the default floor', () => {
    const a = settingsChangeAnnouncement(gateSettings(), changed(onlyDev({ minutes: 10 })), { before: 'aaa', after: 'bbb' });
    expect(a.subject).toBe('WEAKENED: bake gate settings of Tollgate');
    expect(a.message).toContain('  - bake Dev/Bake: bake 60 → 10 min');
    expect(a.message).toContain('BELOW THE DEFAULT GATE FLOOR (Dev/Bake ≥ 30 min, Prod/ProdBake ≥ 10 min, evidence of traffic required):\n  - Dev/Bake lasts 10 min, below the floor of 30 min');
    expect(a.message).toContain('Fingerprint aaa → bbb.');
  });

  test('a change within the floor says so', () => {
    const a = settingsChangeAnnouncement(gateSettings(), changed(onlyDev({ minutes: 90 })), { after: 'bbb' });
    expect(a.subject).toBe('Changed: bake gate settings of Tollgate');
    expect(a.message).toContain('Within the default gate floor');
    expect(a.message).toContain('Fingerprint none → bbb.');
  });
});

describe('SettingsChangeAnnouncer (DynamoDB and SNS mocked)', () => {
  const dynamodb = mockClient(DynamoDBClient);
  const sns = mockClient(SNSClient);
  beforeEach(() => {
    dynamodb.reset();
    sns.reset();
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    dynamodb.on(PutItemCommand).resolves({});
  });
  const settings = changed(onlyDev({ minutes: 10 }));
  const announcer = () =>
    new SettingsChangeAnnouncer({ settings, stateTableName: 'State', topicArn: 'arn:aws:sns:us-east-1:111111111111:Tollgate-release-events', dynamodb: new DynamoDBClient({}), sns: new SNSClient({}) });
  const record = (s: GateSettings) => ({ pk: { S: 'gate' }, sk: { S: 'settings#fingerprint' }, fingerprint: { S: settingsFingerprint(s) }, settings: { S: canonicalJson(s) } });

  test('same fingerprint: nothing written, nothing published', async () => {
    dynamodb.on(QueryCommand).resolves({ Items: [record(settings)] });
    await expect(announcer().check()).resolves.toBe('unchanged');
    expect(dynamodb.commandCalls(QueryCommand)[0].args[0].input).toMatchObject({
      TableName: 'State',
      KeyConditionExpression: 'pk = :pk AND sk = :sk',
      ExpressionAttributeValues: { ':pk': { S: 'gate' }, ':sk': { S: 'settings#fingerprint' } },
      ConsistentRead: true,
    });
    expect(dynamodb.commandCalls(PutItemCommand)).toHaveLength(0);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });

  test('changed: claims the new fingerprint on the old one, then publishes one message naming the change', async () => {
    dynamodb.on(QueryCommand).resolves({ Items: [record(gateSettings())] });
    await expect(announcer().check()).resolves.toBe('announced');
    const put = dynamodb.commandCalls(PutItemCommand)[0].args[0].input;
    expect(put).toMatchObject({
      TableName: 'State',
      Item: { pk: { S: 'gate' }, sk: { S: 'settings#fingerprint' }, fingerprint: { S: settingsFingerprint(settings) }, settings: { S: canonicalJson(settings) } },
      ConditionExpression: 'fingerprint = :previous',
      ExpressionAttributeValues: { ':previous': { S: settingsFingerprint(gateSettings()) } },
    });
    const published = sns.commandCalls(PublishCommand);
    expect(published).toHaveLength(1);
    expect(published[0].args[0].input).toMatchObject({ TopicArn: 'arn:aws:sns:us-east-1:111111111111:Tollgate-release-events', Subject: 'WEAKENED: bake gate settings of Tollgate' });
    expect(published[0].args[0].input.Message).toContain('bake Dev/Bake: bake 60 → 10 min');
  });

  test('first run: claims only if no record exists, and announces the baseline', async () => {
    dynamodb.on(QueryCommand).resolves({ Items: [] });
    await expect(announcer().check()).resolves.toBe('announced');
    expect(dynamodb.commandCalls(PutItemCommand)[0].args[0].input.ConditionExpression).toBe('attribute_not_exists(sk)');
    expect(sns.commandCalls(PublishCommand)[0].args[0].input.Message).toContain('no earlier settings recorded: this is the baseline');
  });

  test('another instance claimed the change first: no second announcement', async () => {
    dynamodb.on(QueryCommand).resolves({ Items: [record(gateSettings())] });
    dynamodb.on(PutItemCommand).rejects(Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' }));
    await expect(announcer().check()).resolves.toBe('announced elsewhere');
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });

  test('a failed publish puts the old record back (only over its own claim) so the next cold start announces', async () => {
    const old = record(gateSettings());
    dynamodb.on(QueryCommand).resolves({ Items: [old] });
    sns.on(PublishCommand).rejects(Object.assign(new Error('KMS key disabled'), { name: 'KMSDisabledException' }));
    await expect(announcer().check()).rejects.toThrow('KMS key disabled');
    const puts = dynamodb.commandCalls(PutItemCommand).map((c) => c.args[0].input);
    expect(puts).toHaveLength(2);
    expect(puts[1]).toEqual({
      TableName: 'State',
      Item: old,
      ConditionExpression: 'fingerprint = :mine',
      ExpressionAttributeValues: { ':mine': { S: settingsFingerprint(settings) } },
    });
  });

  test('a failed first publish deletes its own claim', async () => {
    dynamodb.on(QueryCommand).resolves({ Items: [] });
    dynamodb.on(DeleteItemCommand).resolves({});
    sns.on(PublishCommand).rejects(new Error('throttled'));
    await expect(announcer().check()).rejects.toThrow('throttled');
    expect(dynamodb.commandCalls(DeleteItemCommand)[0].args[0].input).toMatchObject({
      Key: { pk: { S: 'gate' }, sk: { S: 'settings#fingerprint' } },
      ConditionExpression: 'fingerprint = :mine',
    });
  });

  describe('on cold start, beside the decision', () => {
    const log = { info: jest.fn(), error: jest.fn() };
    beforeEach(() => {
      log.info.mockReset();
      log.error.mockReset();
    });
    const onColdStart = () =>
      settingsChangeOnColdStart({ settings, stateTableName: 'State', topicArn: 'arn:aws:sns:us-east-1:111111111111:t', dynamodb: new DynamoDBClient({}), sns: new SNSClient({}), log });

    test('checks once per instance', async () => {
      dynamodb.on(QueryCommand).resolves({ Items: [record(gateSettings())] });
      const check = onColdStart();
      await check();
      await check();
      expect(dynamodb.commandCalls(QueryCommand)).toHaveLength(1);
      expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
      expect(log.info).toHaveBeenCalledWith('gate settings changed: announced', expect.anything());
    });

    test('a failure is logged, never thrown, and tried again on the next invocation', async () => {
      dynamodb.on(QueryCommand).rejectsOnce(Object.assign(new Error('denied'), { name: 'AccessDeniedException' })).resolves({ Items: [record(settings)] });
      const check = onColdStart();
      await expect(check()).resolves.toBeUndefined();
      expect(log.error).toHaveBeenCalledWith(expect.stringContaining('the gate decides regardless'), { error: 'AccessDeniedException: denied' });
      await check();
      await check();
      expect(dynamodb.commandCalls(QueryCommand)).toHaveLength(2);
    });
  });
});
