import { DEFAULT_CANARY_SETTINGS, PREDEFINED_LAMBDA_SHIFTS } from '../cdk/canary-settings';
import { ConfigError, loadConfig } from '../cdk/config';

const parseCanarySettings = (canary: unknown) => loadConfig({ context: { canary } }).canary;
const prodShift = (prod: unknown) => parseCanarySettings({ prod }).prod;

const PROD_CERTIFICATE = 'arn:aws:acm:us-east-1:333333333333:certificate/0a1b2c3d-0000-0000-0000-000000000000';

describe('the canary section', () => {
  test('defaults: prod 10 % canary for 10 minutes, dev all at once, a small tile server with a canary of its own in prod', () => {
    expect(parseCanarySettings(undefined)).toEqual({
      prod: { type: 'canary', percent: 10, intervalMinutes: 10, predefinedName: 'CodeDeployDefault.LambdaCanary10Percent10Minutes' },
      dev: { type: 'allAtOnce', predefinedName: 'CodeDeployDefault.LambdaAllAtOnce' },
      tileServer: {
        cpu: 256,
        memoryMiB: 512,
        prodDesiredCount: 2,
        certificateArns: {},
        prod: { type: 'canary', percent: 10, canaryBakeMinutes: 5, bakeMinutes: 5 },
        dev: { type: 'allAtOnce', bakeMinutes: 5 },
      },
    });
    expect(loadConfig().canary).toEqual(DEFAULT_CANARY_SETTINGS);
  });

  test('every predefined CodeDeploy Lambda configuration, by CDK constant or by CodeDeploy name', () => {
    for (const [constant, shift] of Object.entries(PREDEFINED_LAMBDA_SHIFTS)) {
      expect(prodShift(constant)).toBe(shift);
      expect(prodShift(shift.predefinedName)).toBe(shift);
    }
    expect(Object.keys(PREDEFINED_LAMBDA_SHIFTS)).toHaveLength(9);
    expect(prodShift('LINEAR_10PERCENT_EVERY_3MINUTES')).toEqual({
      type: 'linear', percent: 10, intervalMinutes: 3, predefinedName: 'CodeDeployDefault.LambdaLinear10PercentEvery3Minutes',
    });
  });

  test('custom canary and linear shifts', () => {
    expect(prodShift({ type: 'canary', percent: 5, intervalMinutes: 3 })).toEqual({ type: 'canary', percent: 5, intervalMinutes: 3 });
    expect(prodShift({ type: 'linear', percent: 20, intervalMinutes: 2880 })).toEqual({ type: 'linear', percent: 20, intervalMinutes: 2880 });
  });

  test('a whole section through loadConfig, from a JSON string context', () => {
    const config = loadConfig({
      context: JSON.stringify({ canary: { prod: 'CANARY_10PERCENT_5MINUTES', dev: 'LINEAR_10PERCENT_EVERY_1MINUTE', tileServer: { cpu: 512, memoryMiB: 2048, prodDesiredCount: 3 } } }),
    });
    expect(config.canary.prod.predefinedName).toBe('CodeDeployDefault.LambdaCanary10Percent5Minutes');
    expect(config.canary.dev.predefinedName).toBe('CodeDeployDefault.LambdaLinear10PercentEvery1Minute');
    expect(config.canary.tileServer).toMatchObject({ cpu: 512, memoryMiB: 2048, prodDesiredCount: 3, certificateArns: {} });
  });

  test("the tile server's traffic shifts: a canary in tenths of a percent, all at once, bakes from 0", () => {
    const tileServer = parseCanarySettings({
      tileServer: { prod: { type: 'canary', percent: 0.1, canaryBakeMinutes: 20, bakeMinutes: 0 }, dev: { type: 'allAtOnce', bakeMinutes: 0 } },
    }).tileServer;
    expect(tileServer.prod).toEqual({ type: 'canary', percent: 0.1, canaryBakeMinutes: 20, bakeMinutes: 0 });
    expect(tileServer.dev).toEqual({ type: 'allAtOnce', bakeMinutes: 0 });
    expect(parseCanarySettings({ tileServer: { dev: { type: 'canary', percent: 50, canaryBakeMinutes: 1440, bakeMinutes: 540 } } }).tileServer.dev).toMatchObject({ canaryBakeMinutes: 1440 });
    expect(parseCanarySettings({ tileServer: { prod: { type: 'canary', percent: 99.9, canaryBakeMinutes: 1, bakeMinutes: 19 } } }).tileServer.prod).toMatchObject({ percent: 99.9 });
  });

  test("prod's tile server canary and bake must fit the prod deployment the gate keeps time for", () => {
    const slow = { type: 'canary', percent: 10, canaryBakeMinutes: 30, bakeMinutes: 15 };
    expect(() => loadConfig({ context: { canary: { tileServer: { prod: slow } } } })).toThrow(
      'invalid configuration: canary.tileServer.prod takes 45 minutes of canary and bake, longer than bake.prodDeployMinutes (20) that the gate keeps for prod\'s deployment; raise bake.prodDeployMinutes',
    );
    expect(loadConfig({ context: { canary: { tileServer: { prod: slow } }, bake: { prodDeployMinutes: 45 } } }).canary.tileServer.prod).toEqual(slow);
    // Dev's deployment is not bounded by the release window.
    expect(loadConfig({ context: { canary: { tileServer: { dev: slow } } } }).canary.tileServer.dev).toEqual(slow);
  });

  test.each([
    [{ prod: 'CANARY_50PERCENT_5MINUTES' }, 'canary.prod', 'must be one of ALL_AT_ONCE, CANARY_10PERCENT_5MINUTES'],
    [{ prod: 42 }, 'canary.prod', 'must be a predefined configuration name or an object'],
    [{ dev: { type: 'blue-green', percent: 10, intervalMinutes: 5 } }, 'canary.dev.type', 'must be "canary" or "linear"'],
    [{ dev: { type: 'canary', percent: 100, intervalMinutes: 5 } }, 'canary.dev.percent', 'must be a whole number from 1 to 99'],
    [{ dev: { type: 'canary', percent: 10, intervalMinutes: 0 } }, 'canary.dev.intervalMinutes', 'must be a whole number from 1 to 2880'],
    [{ dev: { type: 'canary', percent: 10, intervalMinutes: 2.5 } }, 'canary.dev.intervalMinutes', 'must be a whole number from 1 to 2880'],
    [{ dev: { type: 'canary', percent: 10, intervalMinutes: 5, interval: 5 } }, 'canary.dev.interval', 'is not a known setting'],
    [{ prodBakeMinutes: 30 }, 'canary.prodBakeMinutes', 'is not a known setting (prod, dev, tileServer)'],
    [{ tileServer: { cpu: 300 } }, 'canary.tileServer.cpu', 'must be one of 256, 512, 1024, 2048, 4096'],
    [{ tileServer: { cpu: 256, memoryMiB: 4096 } }, 'canary.tileServer.memoryMiB', 'must be a Fargate memory size for 256 CPU units'],
    [{ tileServer: { prodDesiredCount: 0 } }, 'canary.tileServer.prodDesiredCount', 'must be a whole number from 1 to 20'],
    [{ tileServer: 'big' }, 'canary.tileServer', 'must be an object'],
    [{ bakeMinutes: 30 }, 'canary.bakeMinutes', 'is not a known setting'],
    [{ tileServer: { certificateArns: { prod: 'arn:aws:iam::333333333333:server-certificate/x' } } }, 'canary.tileServer.certificateArns.prod', 'must be an ACM certificate ARN, got "arn:aws:iam::333333333333:server-certificate/x"'],
    [{ tileServer: { certificateArns: { sandbox: PROD_CERTIFICATE } } }, 'canary.tileServer.certificateArns.sandbox', 'is not a known setting (dev, prod)'],
    [{ tileServer: { prod: 'CANARY_10PERCENT_5MINUTES' } }, 'canary.tileServer.prod', 'must be an object {"type": "canary", "percent", "canaryBakeMinutes", "bakeMinutes"} or {"type": "allAtOnce", "bakeMinutes"}'],
    [{ tileServer: { prod: { type: 'linear', percent: 10 } } }, 'canary.tileServer.prod.type', 'must be "canary" or "allAtOnce"'],
    [{ tileServer: { prod: { type: 'canary', percent: 10.05, canaryBakeMinutes: 5, bakeMinutes: 5 } } }, 'canary.tileServer.prod.percent', 'must be a percentage from 0.1 to 99.9 in steps of 0.1, got 10.05'],
    [{ tileServer: { prod: { type: 'canary', percent: 100, canaryBakeMinutes: 5, bakeMinutes: 5 } } }, 'canary.tileServer.prod.percent', 'must be a percentage from 0.1 to 99.9 in steps of 0.1, got 100'],
    [{ tileServer: { prod: { type: 'canary', percent: '10', canaryBakeMinutes: 5, bakeMinutes: 5 } } }, 'canary.tileServer.prod.percent', 'must be a percentage from 0.1 to 99.9 in steps of 0.1, got "10"'],
    [{ tileServer: { prod: { type: 'canary', percent: 10, canaryBakeMinutes: 0, bakeMinutes: 5 } } }, 'canary.tileServer.prod.canaryBakeMinutes', 'must be a whole number from 1 to 1440, got 0'],
    [{ tileServer: { dev: { type: 'allAtOnce', bakeMinutes: 1441 } } }, 'canary.tileServer.dev.bakeMinutes', 'must be a whole number from 0 to 1440, got 1441'],
    [{ tileServer: { dev: { type: 'allAtOnce' } } }, 'canary.tileServer.dev.bakeMinutes', 'must be a whole number from 0 to 1440'],
    [{ tileServer: { dev: { type: 'allAtOnce', bakeMinutes: 5, percent: 10 } } }, 'canary.tileServer.dev.percent', 'is not a known setting (type, bakeMinutes), got 10'],
    // CloudFormation's 33 hours for an ECS canary's bakes.
    [{ tileServer: { dev: { type: 'canary', percent: 10, canaryBakeMinutes: 1440, bakeMinutes: 541 } } }, 'canary.tileServer.dev.bakeMinutes', 'must leave canaryBakeMinutes + bakeMinutes at most 1980'],
    // A load balancer can use a certificate of its own account and region only.
    [{ tileServer: { certificateArns: { dev: PROD_CERTIFICATE } } }, 'canary.tileServer.certificateArns.dev', `must be a certificate in dev's account 222222222222 and region us-east-1, got "${PROD_CERTIFICATE}"`],
    [{ tileServer: { certificateArns: { prod: PROD_CERTIFICATE.replace('us-east-1', 'eu-west-1') } } }, 'canary.tileServer.certificateArns.prod', "must be a certificate in prod's account 333333333333 and region us-east-1"],
  ])('rejects %j naming %s', (section, field, expectation) => {
    let error: unknown;
    try {
      loadConfig({ context: { canary: section } });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe(field);
    expect((error as ConfigError).message).toContain(`invalid configuration: ${field} ${expectation}`);
  });

  test('takes a certificate per environment', () => {
    expect(loadConfig({ context: { canary: { tileServer: { certificateArns: { prod: PROD_CERTIFICATE } } } } }).canary.tileServer.certificateArns).toEqual({ prod: PROD_CERTIFICATE });
  });

  test('rejects a section that is not an object', () => {
    expect(() => parseCanarySettings(['CANARY_10PERCENT_5MINUTES'])).toThrow('invalid configuration: canary must be an object, got ["CANARY_10PERCENT_5MINUTES"] (from cdk.json)');
  });
});
