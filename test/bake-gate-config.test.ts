import { DEFAULT_BAKE_CONFIG } from '../cdk/bake-config';
import { ConfigError, loadConfig } from '../cdk/config';

const parseBakeConfig = (bake: unknown) => loadConfig({ context: { bake } }).bake;

describe('the bake section of the configuration', () => {
  it('defaults to a 60-minute dev bake that needs evidence of traffic, 20 + 30 minutes for prod', () => {
    expect(parseBakeConfig(undefined)).toEqual(DEFAULT_BAKE_CONFIG);
    expect(parseBakeConfig({})).toEqual({
      minutes: 60,
      extraAlarmNames: [],
      syntheticCoveragePercent: 90,
      allowNoTraffic: false,
      alarmLatencyMinutes: 3,
      readFailureToleranceMinutes: 5,
      prodDeployMinutes: 20,
      prodBakeMinutes: 30,
      evidenceGraceMinutes: 60,
      maxHoldDays: 14,
    });
  });

  it('takes a 12-hour bake, extra alarms and a minimum request count', () => {
    const metric = { namespace: 'AWS/ApiGateway', metricName: 'Count', dimensions: { ApiId: 'a1b2c3', Stage: '$default' } };
    expect(
      parseBakeConfig({ minutes: 720, extraAlarmNames: ['Dev-Queue-Depth'], minimumRequests: { count: 500, metric }, prodDeployMinutes: 15 }),
    ).toMatchObject({ minutes: 720, extraAlarmNames: ['Dev-Queue-Depth'], minimumRequests: { count: 500, metric }, prodDeployMinutes: 15 });
  });

  it.each([
    [{ minutes: 0 }, 'invalid configuration: bake.minutes must be a whole number from 1 to 86395, got 0'],
    [{ minutes: '60' }, 'invalid configuration: bake.minutes must be a whole number from 1 to 86395, got "60"'],
    [{ minutes: 1.5 }, 'invalid configuration: bake.minutes must be a whole number from 1 to 86395, got 1.5'],
    [{ extraAlarmNames: 'Dev-X' }, 'invalid configuration: bake.extraAlarmNames must be a list of at most 99 alarm names (1-255 characters), got "Dev-X"'],
    [{ extraAlarmNames: [''] }, 'invalid configuration: bake.extraAlarmNames must be a list of at most 99 alarm names (1-255 characters), got [""]'],
    [{ minimumRequests: { count: 0 } }, 'invalid configuration: bake.minimumRequests.count must be a whole number from 1 to 9007199254740991, got 0'],
    [{ minimumRequests: { count: 10 } }, 'invalid configuration: bake.minimumRequests.metric must be an object, got undefined (from cdk.json)'],
    [
      { minimumRequests: { count: 10, metric: { namespace: 'AWS/ApiGateway', metricName: '' } } },
      'invalid configuration: bake.minimumRequests.metric.metricName must be a non-empty string, got ""',
    ],
    [
      { minimumRequests: { count: 10, metric: { namespace: 'A', metricName: 'B', dimensions: { ApiId: 7 } } } },
      'invalid configuration: bake.minimumRequests.metric.dimensions.ApiId must be a non-empty string, got 7',
    ],
    [{ prodBakeMinutes: 0 }, 'invalid configuration: bake.prodBakeMinutes must be a whole number from 1 to 1440, got 0'],
    [{ allowNoTraffic: 'yes' }, 'invalid configuration: bake.allowNoTraffic must be true or false, got "yes"'],
    [{ syntheticCoveragePercent: 0 }, 'invalid configuration: bake.syntheticCoveragePercent must be a whole number from 1 to 100, got 0'],
    [{ minuts: 30 }, 'invalid configuration: bake.minuts is not a known setting (minutes, extraAlarmNames, minimumRequests, syntheticCoveragePercent, allowNoTraffic, alarmLatencyMinutes, readFailureToleranceMinutes, prodDeployMinutes, prodBakeMinutes, evidenceGraceMinutes, maxHoldDays, waveBakeMinutes), got 30 (from cdk.json)'],
    [{ minutes: 43200, maxHoldDays: 31 }, "invalid configuration: bake.maxHoldDays plus bake.minutes (43200) must fit in CodePipeline's 60-day approval limit, got 31"],
    [[], 'invalid configuration: bake must be an object, got []'],
  ])('refuses %j', (value, message) => {
    expect(() => parseBakeConfig(value)).toThrow(ConfigError);
    expect(() => parseBakeConfig(value)).toThrow(message);
  });
});

describe('loadConfig', () => {
  it('reads the bake section from the tollgate context', () => {
    expect(loadConfig({ context: { bake: { minutes: 720 } } }).bake.minutes).toBe(720);
    expect(loadConfig().bake).toEqual(DEFAULT_BAKE_CONFIG);
  });

  it('stops at a bad bake value with the field named', () => {
    expect(() => loadConfig({ context: { bake: { prodDeployMinutes: 'twenty' } } })).toThrow(
      'invalid configuration: bake.prodDeployMinutes must be a whole number from 0 to 1440, got "twenty"',
    );
  });
});
