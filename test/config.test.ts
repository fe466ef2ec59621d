import { ConfigError, EXAMPLE_CONFIG, loadConfig, normalizeSandboxName, resolveSandboxName, validateSandboxName } from '../cdk/config';

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  test('a fresh clone synthesizes with the obviously fake example values', () => {
    expect(loadConfig()).toEqual(EXAMPLE_CONFIG);
  });

  test("the sandbox has an account of its own, in dev's region unless it names one", () => {
    const config = loadConfig({ context: { dev: { account: '555555555555', region: 'eu-west-1' } } });
    expect(config.sandbox).toEqual({ account: '444444444444', region: 'eu-west-1' });
    expect(new Set([config.deployment.account, config.dev.account, config.prod.account, config.sandbox.account]).size).toBe(4);
  });

  test('context values replace the examples, and TOLLGATE_* variables override the context', () => {
    const config = loadConfig({
      context: {
        pipelineName: 'Shop',
        prod: { account: '555555555555', region: 'eu-central-1' },
        repository: { fullName: 'acme/shop', connectionArn: 'arn:aws:codestar-connections:eu-central-1:123456789012:connection/abc-123' },
      },
      env: { TOLLGATE_PROD_ACCOUNT: '666666666666', TOLLGATE_BRANCH: 'trunk' },
    });
    expect(config.pipelineName).toBe('Shop');
    expect(config.prod).toEqual({ account: '666666666666', region: 'eu-central-1' });
    expect(config.repository).toEqual({
      fullName: 'acme/shop',
      branch: 'trunk',
      connectionArn: 'arn:aws:codestar-connections:eu-central-1:123456789012:connection/abc-123',
    });
  });

  test('context may arrive as a JSON string from -c tollgate=...', () => {
    expect(loadConfig({ context: '{"dev":{"account":"777777777777"}}' }).dev.account).toBe('777777777777');
  });

  test.each([
    [{ context: { dev: { account: '12345' } } }, 'dev.account', 'invalid configuration: dev.account must be a 12-digit AWS account ID, got "12345"'],
    [{ env: { TOLLGATE_DEPLOYMENT_ACCOUNT: '1111111111112' } }, 'deployment.account', 'got "1111111111112"'],
    [{ context: { prod: { account: 333333333333 } } }, 'prod.account', 'got 333333333333'],
    [{ context: { prod: { region: 'US-EAST-1' } } }, 'prod.region', 'invalid configuration: prod.region must be an AWS region name like us-east-1, got "US-EAST-1"'],
    [{ env: { TOLLGATE_SANDBOX_REGION: 'mars' } }, 'sandbox.region', 'got "mars"'],
    [{ context: { repository: { fullName: '' } } }, 'repository.fullName', 'must be a non-empty "owner/name", got ""'],
    [{ context: { repository: { fullName: 'no-slash' } } }, 'repository.fullName', 'got "no-slash"'],
    [{ context: { repository: { branch: ' ' } } }, 'repository.branch', 'must be a non-empty branch name, got " "'],
    [{ context: { repository: { connectionArn: 'arn:aws:s3:::bucket' } } }, 'repository.connectionArn', 'got "arn:aws:s3:::bucket"'],
    [{ context: { pipelineName: 'has space' } }, 'pipelineName', 'got "has space"'],
    [{ context: { sandbox: { account: '333333333333' } } }, 'sandbox.account', `invalid configuration: sandbox.account must be an account of its own, not prod's account (sandboxes never share an account with dev, prod or the pipeline), got "333333333333"`],
    [{ context: { sandbox: { account: '222222222222' } } }, 'sandbox.account', `must be an account of its own, not dev's account (sandboxes never share an account with dev, prod or the pipeline), got "222222222222"`],
    [{ env: { TOLLGATE_SANDBOX_ACCOUNT: '111111111111' } }, 'sandbox.account', `not the deployment account (sandboxes never share an account with dev, prod or the pipeline), got "111111111111"`],
    [{ context: '{not json' }, 'tollgate', 'must be a JSON object, got "{not json" (from -c tollgate)'],
    [{ context: { dev: 'x' } }, 'dev', 'must be an object, got "x" (from cdk.json)'],
    [{ context: { dev: ['x'] } }, 'dev', 'must be an object, got ["x"]'],
  ])('rejects %j naming %s', (sources, field, message) => {
    const err = errorOf(() => loadConfig(sources));
    expect(err.field).toBe(field);
    expect(err.message).toContain(message);
    expect(err.message).not.toContain('\n');
  });

  test('a planned freeze longer than a baked build may be held is refused, naming both settings', () => {
    const freeze = { name: 'year-end', start: '2026-12-18T17:00:00-05:00', end: '2027-01-04T09:00:00-05:00' };
    const err = errorOf(() => loadConfig({ context: { calendar: { freezes: [freeze] } } }));
    expect(err.message).toBe(
      'invalid configuration: calendar.freezes[0] lasts 16.7 days, longer than bake.maxHoldDays (14) that a baked build may wait; raise bake.maxHoldDays, got "year-end" (from cdk.json)',
    );
    expect(loadConfig({ context: { calendar: { freezes: [freeze] }, bake: { maxHoldDays: 21 } } }).calendar.freezes).toHaveLength(1);
  });

  test('the sandbox may not default into an account that dev, prod or the pipeline was moved to either', () => {
    for (const name of ['deployment', 'dev', 'prod']) {
      const err = errorOf(() => loadConfig({ context: { [name]: { account: '444444444444' } } }));
      expect(err.field).toBe('sandbox.account');
      expect(err.value).toBe('444444444444');
    }
  });
});

describe('sandbox names', () => {
  test.each(['alice', 'a', 'dev-2', 'b0b', 'abcdefghijklmnopqrst'])('accepts %s', (name) => {
    expect(validateSandboxName(name)).toBe(name);
  });

  test.each([
    ['Alice', 'must match [a-z][a-z0-9-]{0,19}, got "Alice"'],
    ['1alice', 'got "1alice"'],
    ['abcdefghijklmnopqrstu', 'got "abcdefghijklmnopqrstu"'],
    ['al_ice', 'got "al_ice"'],
    ['', 'got ""'],
    ['dev', 'must not be "dev" or "prod", got "dev"'],
    ['prod', 'got "prod"'],
  ])('rejects %j', (name, message) => {
    const err = errorOf(() => validateSandboxName(name));
    expect(err.field).toBe('sandbox');
    expect(err.message).toContain(message);
  });

  test.each([
    ['Alice.Smith', 'alice-smith'],
    ['root', 'root'],
    ['1st_user', 'st-user'],
    ['VeryLongUserNameOfSomeone', 'verylongusernameofso'],
    ['ab-cdefghijklmnopqrs-tuv', 'ab-cdefghijklmnopqrs'],
    ['trailing----------------x', 'trailing'],
  ])('normalizes the OS user %s to %s', (user, name) => {
    expect(normalizeSandboxName(user)).toBe(name);
  });

  test('an explicit name wins over the OS user and is validated as given', () => {
    expect(resolveSandboxName('bob', () => 'alice')).toBe('bob');
    expect(() => resolveSandboxName('Bob', () => 'alice')).toThrow(ConfigError);
  });

  test('an OS user that normalizes to nothing usable asks for an explicit name', () => {
    expect(resolveSandboxName(undefined, () => 'Alice')).toBe('alice');
    expect(() => resolveSandboxName(undefined, () => '1234')).toThrow('invalid configuration: sandbox must match');
    expect(() => resolveSandboxName(undefined, () => 'Prod')).toThrow('must not be "dev" or "prod"');
  });
});

describe('operators', () => {
  test("principals default to the deployment account's root", () => {
    expect(loadConfig({ context: { deployment: { account: '123456789012', region: 'eu-west-1' } } }).operators).toEqual({ principals: ['arn:aws:iam::123456789012:root'] });
    expect(EXAMPLE_CONFIG.operators.principals).toEqual(['arn:aws:iam::111111111111:root']);
  });

  test('takes IAM roles, users and account roots', () => {
    const principals = ['arn:aws:iam::111111111111:role/OnCall', 'arn:aws:iam::111111111111:user/alice', 'arn:aws-us-gov:iam::555555555555:root'];
    expect(loadConfig({ context: { operators: { principals } } }).operators.principals).toEqual(principals);
  });

  test.each<[unknown, string]>([
    [{ principals: [] }, 'invalid configuration: operators.principals must be a non-empty list of IAM ARNs, got []'],
    [{ principals: 'arn:aws:iam::111111111111:role/OnCall' }, 'invalid configuration: operators.principals must be a non-empty list of IAM ARNs'],
    [{ principals: ['arn:aws:sts::111111111111:assumed-role/OnCall/alice'] }, 'invalid configuration: operators.principals[0] must be an IAM role, user or account root ARN'],
    [{ principals: ['arn:aws:iam::111111111111:role/OnCall', '*'] }, 'invalid configuration: operators.principals[1] must be an IAM role, user or account root ARN'],
    [{ principal: [] }, 'invalid configuration: operators.principal is not a known setting (principals)'],
  ])('%j is refused in one line naming the field and the value', (operators, message) => {
    expect(() => loadConfig({ context: { operators } })).toThrow(message);
  });
});

describe('prod in waves', () => {
  const waves = [[{ region: 'us-east-1' }], [{ region: 'eu-west-1' }, { account: '777777777777', region: 'ap-southeast-2' }]];

  test('without prod.waves, prod is the one stage Prod with the one target prod, baked for bake.prodBakeMinutes', () => {
    expect(loadConfig({ context: { bake: { prodBakeMinutes: 45 } } }).prodWaves).toEqual([
      { stageName: 'Prod', targets: [{ name: 'prod', account: '333333333333', region: 'us-east-1' }], bakeMinutes: 45 },
    ]);
  });

  test("waves are stages Prod-Wave<n> (a wave of one target is that target's stage); a target is named after its region and defaults to prod's account; each wave has its bake", () => {
    const config = loadConfig({ context: { prod: { waves }, bake: { waveBakeMinutes: [120, 60] } } });
    expect(config.prodWaves).toEqual([
      { stageName: 'Prod-us-east-1', targets: [{ name: 'us-east-1', account: '333333333333', region: 'us-east-1' }], bakeMinutes: 120 },
      {
        stageName: 'Prod-Wave2',
        targets: [
          { name: 'eu-west-1', account: '333333333333', region: 'eu-west-1' },
          { name: 'ap-southeast-2', account: '777777777777', region: 'ap-southeast-2' },
        ],
        bakeMinutes: 60,
      },
    ]);
    expect(config.prod).toEqual({ account: '333333333333', region: 'us-east-1' });
  });

  test('without waveBakeMinutes every wave bakes bake.prodBakeMinutes', () => {
    expect(loadConfig({ context: { prod: { waves } } }).prodWaves.map((w) => w.bakeMinutes)).toEqual([30, 30]);
  });

  test.each<[string, Record<string, unknown>, string]>([
    ['a region twice', { prod: { waves: [[{ region: 'us-east-1' }], [{ account: '777777777777', region: 'us-east-1' }]] } }, 'prod.waves[1][0].region names target us-east-1 again (first at prod.waves[0][0]); give one of them a distinct "name", got "us-east-1"'],
    ['one bake too few', { prod: { waves }, bake: { waveBakeMinutes: [60] } }, 'bake.waveBakeMinutes must list one bake per wave (2), got 1, got [60]'],
    ['wave bakes without waves', { bake: { waveBakeMinutes: [60] } }, 'bake.waveBakeMinutes needs prod.waves: without waves, bake.prodBakeMinutes is the prod bake, got [60]'],
    ['an empty wave', { prod: { waves: [[]] } }, 'prod.waves[0] must name at least one target, got []'],
    ['a bad target name', { prod: { waves: [[{ region: 'us-east-1', name: 'US East' }]] } }, 'prod.waves[0][0].name must match [a-z][a-z0-9-]{0,19}, got "US East"'],
    ['a target in the sandbox account', { prod: { waves: [[{ account: '444444444444', region: 'us-east-1' }]] } }, "sandbox.account must be an account of its own, not prod's account"],
    ['21 targets', { prod: { waves: [Array.from({ length: 21 }, (_, i) => ({ region: 'us-east-1', name: `t${i}` }))] } }, 'prod.waves must hold at most 20 targets in all, got "21 targets"'],
  ])('refuses %s with one line naming the field', (_what, context, message) => {
    const error = errorOf(() => loadConfig({ context }));
    expect(error.message.split('\n')).toHaveLength(1);
    expect(error.message).toContain(message);
  });
});

describe('release', () => {
  test('defaults to 0.1 and takes <major>.<minor>', () => {
    expect(loadConfig({}).release).toBe('0.1');
    expect(loadConfig({ context: { release: '1.4' } }).release).toBe('1.4');
  });

  test.each(['1', '1.4.2', 'v1.4', 1.4])('%j is refused in one line naming the field and the value', (release) => {
    expect(() => loadConfig({ context: { release } })).toThrow(`release must be <major>.<minor> like "1.4"`);
    expect(() => loadConfig({ context: { release } })).toThrow(JSON.stringify(release));
  });
});

describe('gated stages between dev and prod', () => {
  test('none by default: dev → prod', () => {
    expect(loadConfig().preProd).toEqual([]);
  });

  test('each stage bakes for its own minutes, else the dev bake\'s', () => {
    const config = loadConfig({
      context: {
        preProd: [
          { name: 'staging', account: '666666666666', region: 'us-east-1', bakeMinutes: 90 },
          { name: 'pre-prod', account: '777777777777', region: 'eu-west-1' },
        ],
        bake: { minutes: 45 },
      },
    });
    expect(config.preProd).toEqual([
      { name: 'staging', account: '666666666666', region: 'us-east-1', bakeMinutes: 90 },
      { name: 'pre-prod', account: '777777777777', region: 'eu-west-1', bakeMinutes: 45 },
    ]);
  });

  test.each<[string, unknown, string]>([
    ['a reserved name', [{ name: 'prod', account: '666666666666', region: 'us-east-1' }], 'preProd[0].name must match [a-z][a-z0-9-]{0,19} and not be dev, prod or sandbox, got "prod"'],
    ['a name twice', [{ name: 'qa', account: '666666666666', region: 'us-east-1' }, { name: 'qa', account: '777777777777', region: 'us-east-1' }], 'preProd must name each stage once'],
    ['a bad account', [{ name: 'qa', account: '42', region: 'us-east-1' }], 'preProd[0].account must be a 12-digit AWS account ID, got "42"'],
    ['the sandbox account', [{ name: 'qa', account: '444444444444', region: 'us-east-1' }], "sandbox.account must be an account of its own, not preProd's account"],
  ])('refuses %s with one line naming the field', (_what, preProd, message) => {
    const error = errorOf(() => loadConfig({ context: { preProd } }));
    expect(error.message.split('\n')).toHaveLength(1);
    expect(error.message).toContain(message);
  });
});
