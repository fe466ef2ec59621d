import { DEFAULT_CANARY_SETTINGS, PREDEFINED_LAMBDA_SHIFTS } from '../cdk/canary-settings';
import { ConfigError, loadConfig } from '../cdk/config';

const parseCanarySettings = (canary: unknown) => loadConfig({ context: { canary } }).canary;
const prodShift = (prod: unknown) => parseCanarySettings({ prod }).prod;

const PROD_CERTIFICATE = 'arn:aws:acm:us-east-1:333333333333:certificate/0a1b2c3d-0000-0000-0000-000000000000';

describe('the canary section', () => {
  test('defaults: prod 10 % canary for 10 minutes, dev all at once, a small tile server', () => {
    expect(parseCanarySettings(undefined)).toEqual({
      prod: { type: 'canary', percent: 10, intervalMinutes: 10, predefinedName: 'CodeDeployDefault.LambdaCanary10Percent10Minutes' },
      dev: { type: 'allAtOnce', predefinedName: 'CodeDeployDefault.LambdaAllAtOnce' },
      tileServer: { cpu: 256, memoryMiB: 512, prodDesiredCount: 2, certificateArns: {} },
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
    expect(config.canary.tileServer).toEqual({ cpu: 512, memoryMiB: 2048, prodDesiredCount: 3, certificateArns: {} });
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
