import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { DeleteParameterCommand, GetParameterCommand, ParameterAlreadyExists, ParameterNotFound, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { CodePipelineClient, GetPipelineExecutionCommand } from '@aws-sdk/client-codepipeline';
import { mockClient } from 'aws-sdk-client-mock';
import { Freeze, parseFreezes, parseOverride } from '@tollgate/constructs/lib/domain/pipeline-controls';
import { expectGolden } from './golden';
import { runCli, useCdkJson } from './cli-harness';

const ONCALL = 'arn:aws:sts::111111111111:assumed-role/OnCall/alice';
const FREEZES = '/tollgate/Tollgate/freezes';
const NOW = new Date('2026-11-23T10:00:00-05:00');
const EXECUTION = '3137f7cb-7cf7-4b9f-a5a9-9e2a6c0f1d2e';

let repo: ReturnType<typeof useCdkJson>;
beforeAll(() => {
  repo = useCdkJson({ pipelineName: 'Tollgate', deployment: { account: '111111111111', region: 'us-east-1' } });
});
afterAll(() => repo.restore());

describe('with mocked AWS clients', () => {
  const sts = mockClient(STSClient);
  const ssm = mockClient(SSMClient);
  const sns = mockClient(SNSClient);
  const codePipeline = mockClient(CodePipelineClient);
  const freeze = (over: Partial<Freeze>): Freeze => ({
    name: 'incident',
    reason: 'INC-1',
    by: 'arn:aws:sts::111111111111:assumed-role/OnCall/bob',
    at: '2026-11-20T10:00:00-05:00',
    end: '2026-11-30T00:00:00-05:00',
    ...over,
  });
  const storedFreezes = (freezes: Freeze[]) =>
    ssm.on(GetParameterCommand, { Name: FREEZES }).resolves({ Parameter: { Name: FREEZES, Value: JSON.stringify(freezes) } });
  const written = () => {
    const puts = ssm.commandCalls(PutParameterCommand);
    expect(puts).toHaveLength(1);
    return puts[0].args[0].input;
  };

  beforeEach(() => {
    sts.reset();
    ssm.reset();
    sns.reset();
    codePipeline.reset();
    codePipeline.on(GetPipelineExecutionCommand).resolves({ pipelineExecution: { pipelineExecutionId: EXECUTION, status: 'InProgress' } });
    delete process.env.TOLLGATE_TOPIC_ARN;
    sts.on(GetCallerIdentityCommand).resolves({ Account: '111111111111', Arn: ONCALL });
    sts.on(AssumeRoleCommand).resolves({ Credentials: { AccessKeyId: 'ASIAOPERATOR', SecretAccessKey: 'secret', SessionToken: 'token', Expiration: new Date('2099-01-01T00:00:00Z') } });
    ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'not found', $metadata: {} }));
    ssm.on(PutParameterCommand).resolves({ Version: 1 });
  });
  afterAll(() => {
    sts.restore();
    ssm.restore();
    sns.restore();
    codePipeline.restore();
  });

  describe('freeze declare', () => {
    test('--incident declares an incident freeze, which an override does not bypass without --force-freeze', async () => {
      const run = await runCli(['freeze', 'declare', '--name', 'inc-1', '--reason', 'outage', '--until', '2026-11-24T12:00', '--incident'], NOW);
      expect(run.code).toBe(0);
      expect(parseFreezes(FREEZES, written().Value!)).toEqual([expect.objectContaining({ name: 'inc-1', incident: true })]);
      expect(run.out[0]).toMatch(/^declared freeze incident freeze inc-1 \(in force\)/);
    });

    test('writes who, when, why and until to the freezes parameter', async () => {
      const run = await runCli(['freeze', 'declare', '--name', 'incident-4711', '--reason', 'checkout errors', '--until', '2026-11-24T12:00'], NOW);
      expect(run.code).toBe(0);
      expectGolden('freeze-declare', run.out);
      const put = written();
      expect(put).toMatchObject({ Name: FREEZES, Type: 'String', Overwrite: true });
      const stored = parseFreezes(FREEZES, put.Value!);
      expect(stored).toEqual([
        { name: 'incident-4711', reason: 'checkout errors', by: ONCALL, at: '2026-11-23T10:00:00-05:00', end: '2026-11-24T12:00:00-05:00' },
      ]);
    });

    test('keeps the other freezes, replaces one of the same name and drops expired ones', async () => {
      storedFreezes([freeze({ name: 'db-migration' }), freeze({ name: 'incident-4711', end: '2026-11-23T11:00:00-05:00' }), freeze({ name: 'old', end: '2026-11-22T00:00:00-05:00' })]);
      const run = await runCli(['freeze', 'declare', '--name', 'incident-4711', '--reason', 'still bad', '--until', '2026-11-24T12:00:00-05:00'], NOW);
      expect(run.out[0]).toMatch(/\(replacing the earlier freeze of that name\)$/);
      expect(parseFreezes(FREEZES, written().Value!).map((f) => [f.name, f.end])).toEqual([
        ['db-migration', '2026-11-30T00:00:00-05:00'],
        ['incident-4711', '2026-11-24T12:00:00-05:00'],
      ]);
    });

    test('--from plans a freeze for later', async () => {
      await runCli(['freeze', 'declare', '--name', 'black-friday', '--reason', 'peak', '--from', '2026-11-26T00:00', '--until', '2026-11-30T09:00'], NOW);
      expect(parseFreezes(FREEZES, written().Value!)[0]).toMatchObject({ start: '2026-11-26T00:00:00-05:00', end: '2026-11-30T09:00:00-05:00' });
    });

    test.each([
      [['--name', 'x', '--reason', 'r', '--until', 'friday'], '--until must be an ISO-8601 time like 2026-11-27T08:59:00-05:00, or a local time like 2026-11-27T08:59 (America/New_York), got "friday"'],
      [['--name', 'x', '--reason', 'r', '--until', '2026-11-23T09:00'], '--until must be later than now (2026-11-23T10:00:00-05:00), got "2026-11-23T09:00"'],
      [['--name', 'x', '--reason', 'r', '--from', '2026-11-25T00:00', '--until', '2026-11-24T00:00'], '--until must be later than --from (2026-11-25T00:00:00-05:00), got "2026-11-24T00:00"'],
      [['--name', 'x', '--reason', 'r', '--from', 'later', '--until', '2026-11-24T00:00'], '--from must be an ISO-8601 time like 2026-11-27T08:59:00-05:00, or a local time like 2026-11-27T08:59 (America/New_York), got "later"'],
      [['--name', 'two words', '--reason', 'r', '--until', '2026-11-24T00:00'], '--name must be 1-64 characters of A-Z a-z 0-9 . _ -, got "two words"'],
      [['--name', 'x', '--reason', ' ', '--until', '2026-11-24T00:00'], '--reason must be 1-500 characters, got " " (1 characters)'],
    ])('bad input %j: exit 2, nothing written', async (args, message) => {
      expect(await runCli(['freeze', 'declare', ...args], NOW)).toEqual({ code: 2, out: [], err: [`tollgate: ${message}`] });
      expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
    });

    test('a missing option is a usage error (exit 2)', async () => {
      const run = await runCli(['freeze', 'declare', '--name', 'x', '--reason', 'r'], NOW);
      expect(run.code).toBe(2);
      expect(run.err.join('\n')).toContain("required option '--until <time>' not specified");
      expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
    });

    test("credentials for another account are refused before anything is written", async () => {
      sts.on(GetCallerIdentityCommand).resolves({ Account: '222222222222', Arn: 'arn:aws:sts::222222222222:assumed-role/Dev/alice' });
      const run = await runCli(['freeze', 'declare', '--name', 'x', '--reason', 'r', '--until', '2026-11-24T00:00'], NOW);
      expect(run).toEqual({
        code: 2,
        out: [],
        err: [
          'tollgate: wrong account: your credentials (arn:aws:sts::222222222222:assumed-role/Dev/alice) are for account 222222222222, but the deployment account of pipeline Tollgate is account 111111111111; switch AWS_PROFILE; nothing was changed',
        ],
      });
      expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
    });

    test('an unreadable freezes parameter is not overwritten: exit 2, nothing was changed', async () => {
      ssm.on(GetParameterCommand, { Name: FREEZES }).resolves({ Parameter: { Value: '{"oops"' } });
      const run = await runCli(['freeze', 'declare', '--name', 'x', '--reason', 'r', '--until', '2026-11-24T00:00'], NOW);
      expect(run.code).toBe(2);
      expect(run.err).toEqual([`tollgate: control parameter ${FREEZES} is unreadable: not JSON; nothing was changed`]);
      expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
    });
  });

  describe('freeze lift and list', () => {
    test('lift removes the freeze and says who lifted it', async () => {
      storedFreezes([freeze({ name: 'incident' }), freeze({ name: 'db-migration' })]);
      const run = await runCli(['freeze', 'lift', '--name', 'incident'], NOW);
      expect(run.code).toBe(0);
      expect(run.out[0]).toMatch(/^lifted freeze incident \(in force\) .* lifted by arn:aws:sts::111111111111:assumed-role\/OnCall\/alice at 2026-11-23T10:00:00-05:00$/);
      expect(parseFreezes(FREEZES, written().Value!).map((f) => f.name)).toEqual(['db-migration']);
    });

    test('lifting a freeze that does not exist: exit 2, nothing written', async () => {
      storedFreezes([freeze({ name: 'incident' })]);
      expect(await runCli(['freeze', 'lift', '--name', 'incidnet'], NOW)).toEqual({
        code: 2,
        out: [],
        err: ['tollgate: --name must name a declared freeze (declared: incident), got "incidnet"; nothing was changed'],
      });
      expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
    });

    test('list shows each freeze with its state, or says there are none', async () => {
      expect((await runCli(['freeze', 'list'], NOW)).out).toEqual(['no run-time freezes']);
      storedFreezes([freeze({}), freeze({ name: 'peak', start: '2026-11-26T00:00:00-05:00' }), freeze({ name: 'old', end: '2026-11-21T00:00:00-05:00' })]);
      const run = await runCli(['freeze', 'list'], NOW);
      expectGolden('freeze-list', run.out);
      const json = JSON.parse((await runCli(['freeze', 'list', '--json'], NOW)).out.join('\n'));
      expect(json).toEqual({ command: 'freeze list', result: expect.any(Array) });
      expect(json.result).toHaveLength(3);
      expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
    });
  });

  describe('override (break-glass)', () => {
    const OVERRIDE = `/tollgate/Tollgate/override/${EXECUTION}`;

    test('records who, when and why for the gate, without overwriting, and announces it on the release topic', async () => {
      sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
      const run = await runCli(['override', '--execution', EXECUTION, '--reason', 'Friday hotfix for INC-4711'], NOW);
      expect(run.code).toBe(0);
      const put = written();
      expect(put).toMatchObject({ Name: OVERRIDE, Type: 'String', Overwrite: false });
      expect(parseOverride(OVERRIDE, put.Value!)).toEqual({ reason: 'Friday hotfix for INC-4711', by: ONCALL, at: '2026-11-23T10:00:00-05:00', expiresAt: '2026-11-24T10:00:00-05:00' });
      const published = sns.commandCalls(PublishCommand);
      expect(published).toHaveLength(1);
      expect(published[0].args[0].input).toMatchObject({
        TopicArn: 'arn:aws:sns:us-east-1:111111111111:Tollgate-release-events',
        Subject: 'Tollgate break-glass: Tollgate',
      });
      expect(published[0].args[0].input.Message).toContain(`Break-glass: ${ONCALL} overrode the release calendar for Tollgate execution ${EXECUTION}.`);
      expect(published[0].args[0].input.Message).toContain('Reason: Friday hotfix for INC-4711');
      expectGolden('override', run.out);
    });

    test('the topic comes from --topic-arn, else TOLLGATE_TOPIC_ARN', async () => {
      sns.on(PublishCommand).resolves({});
      process.env.TOLLGATE_TOPIC_ARN = 'arn:aws:sns:eu-west-1:111111111111:team-chat';
      await runCli(['override', '--execution', EXECUTION, '--reason', 'r'], NOW);
      await runCli(['override', '--execution', EXECUTION, '--reason', 'r', '--topic-arn', 'arn:aws:sns:us-east-1:111111111111:pager'], NOW);
      expect(sns.commandCalls(PublishCommand).map((c) => c.args[0].input.TopicArn)).toEqual([
        'arn:aws:sns:eu-west-1:111111111111:team-chat',
        'arn:aws:sns:us-east-1:111111111111:pager',
      ]);
    });

    test('an execution that already has an override keeps the first record; exit 2, no announcement', async () => {
      ssm.on(PutParameterCommand).rejects(new ParameterAlreadyExists({ message: 'exists', $metadata: {} }));
      ssm.on(GetParameterCommand, { Name: OVERRIDE }).resolves({
        Parameter: { Value: JSON.stringify({ reason: 'first', by: 'arn:aws:sts::111111111111:assumed-role/OnCall/bob', at: '2026-11-23T09:00:00-05:00' }) },
      });
      expect(await runCli(['override', '--execution', EXECUTION, '--reason', 'second'], NOW)).toEqual({
        code: 2,
        out: [],
        err: [`tollgate: execution ${EXECUTION} already has an override, by arn:aws:sts::111111111111:assumed-role/OnCall/bob at 2026-11-23T09:00:00-05:00: first; nothing was written`],
      });
      expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
    });

    test('no announcement, no override: a failed publish withdraws the record', async () => {
      sns.on(PublishCommand).rejects(Object.assign(new Error('User is not authorized to perform: SNS:Publish'), { name: 'AuthorizationErrorException' }));
      ssm.on(DeleteParameterCommand).resolves({});
      const run = await runCli(['override', '--execution', EXECUTION, '--reason', 'r'], NOW);
      expect(run.code).toBe(1);
      expect(run.err).toEqual([
        'tollgate: cannot announce the override on arn:aws:sns:us-east-1:111111111111:Tollgate-release-events: AuthorizationErrorException: User is not authorized to perform: SNS:Publish; the override was withdrawn',
      ]);
      expect(ssm.commandCalls(DeleteParameterCommand).map((c) => c.args[0].input.Name)).toEqual([OVERRIDE]);
    });

    test.each([
      [['--execution', 'latest', '--reason', 'r'], '--execution must be a pipeline execution ID (a UUID), got "latest"'],
      [['--execution', EXECUTION, '--reason', ''], '--reason must be 1-500 characters, got "" (0 characters)'],
      [['--execution', EXECUTION, '--reason', 'r', '--topic-arn', 'team-chat'], '--topic-arn (or TOLLGATE_TOPIC_ARN) must be an SNS topic ARN, got "team-chat"'],
    ])('bad input %j: exit 2, nothing written or announced', async (args, message) => {
      expect(await runCli(['override', ...args], NOW)).toEqual({ code: 2, out: [], err: [`tollgate: ${message}`] });
      expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
      expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
    });
  });
});

/**
 * Over the wire: a local endpoint speaking STS (query/XML) and SSM (AWS JSON 1.1), so the SDK's real
 * serialization, error parsing and our error mapping run.
 */
describe('over the wire against 127.0.0.1', () => {
  let server: Server;
  const store = new Map<string, string>();
  const ssmCalls: string[] = [];
  let deny: Set<string>;
  const savedEnv = { ...process.env };

  const reply = (res: ServerResponse, status: number, headers: Record<string, string>, body: string) => {
    res.writeHead(status, headers);
    res.end(body);
  };
  const handle = (req: IncomingMessage, body: string, res: ServerResponse) => {
    const target = req.headers['x-amz-target'];
    if (typeof target !== 'string' && new URLSearchParams(body).get('Action') === 'AssumeRole') {
      return reply(res, 200, { 'content-type': 'text/xml' },
        `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>ASIAOPERATOR</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken><Expiration>${new Date(Date.now() + 3600_000).toISOString()}</Expiration></Credentials></AssumeRoleResult><ResponseMetadata><RequestId>2</RequestId></ResponseMetadata></AssumeRoleResponse>`);
    }
    if (typeof target !== 'string') {
      // STS, AWS query protocol.
      return reply(res, 200, { 'content-type': 'text/xml' },
        `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>${ONCALL}</Arn><UserId>AROAEXAMPLE:alice</UserId><Account>111111111111</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`);
    }
    const action = target.replace('AmazonSSM.', '');
    ssmCalls.push(action);
    const json = { 'content-type': 'application/x-amz-json-1.1' };
    if (deny.has(action)) {
      return reply(res, 400, { ...json, 'x-amzn-errortype': 'AccessDeniedException' }, JSON.stringify({
        __type: 'AccessDeniedException',
        message: `User: ${ONCALL} is not authorized to perform: ssm:${action} on resource: arn:aws:ssm:us-east-1:111111111111:parameter${FREEZES}`,
      }));
    }
    const input = JSON.parse(body);
    if (action === 'GetParameter') {
      const value = store.get(input.Name);
      if (value === undefined) return reply(res, 400, json, JSON.stringify({ __type: 'ParameterNotFound', message: '' }));
      return reply(res, 200, json, JSON.stringify({ Parameter: { Name: input.Name, Type: 'String', Value: value, Version: 1 } }));
    }
    store.set(input.Name, input.Value);
    return reply(res, 200, json, JSON.stringify({ Version: 2, Tier: 'Standard' }));
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => handle(req, body, res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_MAX_ATTEMPTS: '2',
    });
  });
  afterAll(async () => {
    process.env = savedEnv;
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    store.clear();
    ssmCalls.length = 0;
    deny = new Set();
  });

  test('declare writes the parameter', async () => {
    const run = await runCli(['freeze', 'declare', '--name', 'incident', '--reason', 'INC-1', '--until', '2026-11-24T12:00'], NOW);
    expect(run.code).toBe(0);
    expect(parseFreezes(FREEZES, store.get(FREEZES)!)).toEqual([
      { name: 'incident', reason: 'INC-1', by: ONCALL, at: '2026-11-23T10:00:00-05:00', end: '2026-11-24T12:00:00-05:00' },
    ]);
  });

  test('AccessDenied on PutParameter: one clear line, exit 1, nothing written', async () => {
    store.set(FREEZES, '[]');
    deny.add('PutParameter');
    const run = await runCli(['freeze', 'declare', '--name', 'incident', '--reason', 'INC-1', '--until', '2026-11-24T12:00'], NOW);
    expect(run).toEqual({
      code: 1,
      out: [],
      err: [
        `tollgate: cannot write ${FREEZES}: AccessDeniedException: User: ${ONCALL} is not authorized to perform: ssm:PutParameter on resource: arn:aws:ssm:us-east-1:111111111111:parameter${FREEZES}`,
      ],
    });
    expect(store.get(FREEZES)).toBe('[]');
    expect(ssmCalls).toEqual(['GetParameter', 'PutParameter']); // access denied is not retried
  });

  test('AccessDenied on reading the freezes: nothing is written at all', async () => {
    deny.add('GetParameter');
    const run = await runCli(['freeze', 'lift', '--name', 'incident'], NOW);
    expect(run.code).toBe(2);
    expect(run.err[0]).toMatch(new RegExp(`^tollgate: cannot read ${FREEZES}: AccessDeniedException: `));
    expect(ssmCalls).toEqual(['GetParameter']);
    expect(store.size).toBe(0);
  });
});
