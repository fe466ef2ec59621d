import { PREDEFINED_LAMBDA_SHIFTS } from '../../cdk/canary-settings';
import { describeExposure, EVALUATION_DELAY_MINUTES, ExposureError, watchedShifts, worstCaseExposure } from '../../cdk/exposure';
import { sharedTollgate } from '../fixture';

const twoOfTwo = { name: 'errors', periodSeconds: 60, datapointsToAlarm: 2 };

describe('worstCaseExposure', () => {
  test('a 10 % canary caught by a 2-of-2 one-minute alarm: 10 % of traffic for 3 minutes', () => {
    expect(worstCaseExposure(PREDEFINED_LAMBDA_SHIFTS.CANARY_10PERCENT_10MINUTES, [twoOfTwo])).toEqual({
      sharePercent: 10,
      minutes: 3,
      percentMinutes: 30,
      slowestAlarm: 'errors',
      withinFirstStep: true,
    });
    expect(EVALUATION_DELAY_MINUTES).toBe(1);
  });

  test('the slowest alarm sets the worst case', () => {
    const slow = { name: 'latency', periodSeconds: 300, datapointsToAlarm: 1 };
    expect(worstCaseExposure(PREDEFINED_LAMBDA_SHIFTS.CANARY_10PERCENT_10MINUTES, [twoOfTwo, slow])).toMatchObject({ minutes: 6, slowestAlarm: 'latency' });
  });

  test('detection slower than the canary step: the rest of the traffic has moved by then', () => {
    const slow = { name: 'slow', periodSeconds: 300, datapointsToAlarm: 2 };
    expect(worstCaseExposure(PREDEFINED_LAMBDA_SHIFTS.CANARY_10PERCENT_5MINUTES, [slow])).toEqual({
      sharePercent: 100, minutes: 11, percentMinutes: 10 * 5 + 100 * 6, slowestAlarm: 'slow', withinFirstStep: false,
    });
  });

  test('a rollback exactly at the end of the step still counts as within it', () => {
    const threeMinutes = { name: 'a', periodSeconds: 60, datapointsToAlarm: 2 };
    expect(worstCaseExposure({ type: 'canary', percent: 20, intervalMinutes: 3 }, [threeMinutes])).toMatchObject({ sharePercent: 20, minutes: 3, withinFirstStep: true });
  });

  test('linear: the share grows every interval until the rollback', () => {
    expect(worstCaseExposure(PREDEFINED_LAMBDA_SHIFTS.LINEAR_10PERCENT_EVERY_1MINUTE, [twoOfTwo])).toEqual({
      sharePercent: 30, minutes: 3, percentMinutes: 10 + 20 + 30, slowestAlarm: 'errors', withinFirstStep: false,
    });
    expect(worstCaseExposure(PREDEFINED_LAMBDA_SHIFTS.LINEAR_10PERCENT_EVERY_10MINUTES, [twoOfTwo])).toMatchObject({ sharePercent: 10, percentMinutes: 30 });
    expect(worstCaseExposure({ type: 'linear', percent: 40, intervalMinutes: 1 }, [{ name: 'x', periodSeconds: 60, datapointsToAlarm: 4 }]))
      .toMatchObject({ sharePercent: 100, minutes: 5, percentMinutes: 40 + 80 + 100 + 100 + 100 });
  });

  test('all at once: all traffic until the alarm fires', () => {
    expect(worstCaseExposure(PREDEFINED_LAMBDA_SHIFTS.ALL_AT_ONCE, [twoOfTwo])).toEqual({
      sharePercent: 100, minutes: 3, percentMinutes: 300, slowestAlarm: 'errors', withinFirstStep: true,
    });
  });

  test('a configurable evaluation delay', () => {
    expect(worstCaseExposure(PREDEFINED_LAMBDA_SHIFTS.CANARY_10PERCENT_10MINUTES, [twoOfTwo], 0).minutes).toBe(2);
  });

  test('no alarm: no figure, the build would never be rolled back', () => {
    expect(() => worstCaseExposure(PREDEFINED_LAMBDA_SHIFTS.CANARY_10PERCENT_10MINUTES, [])).toThrow(ExposureError);
  });

  test('one line for people', () => {
    expect(describeExposure(worstCaseExposure(PREDEFINED_LAMBDA_SHIFTS.CANARY_10PERCENT_10MINUTES, [twoOfTwo])))
      .toBe('10% of traffic for 3 minutes (30 %·min; slowest alarm: errors)');
    expect(describeExposure(worstCaseExposure(PREDEFINED_LAMBDA_SHIFTS.LINEAR_10PERCENT_EVERY_1MINUTE, [twoOfTwo])))
      .toBe('30% of traffic for 3 minutes (60 %·min; slowest alarm: errors; traffic kept shifting before the rollback)');
  });
});

describe('watchedShifts reads a template', () => {
  const alarm = (props: Record<string, unknown>) => ({ Type: 'AWS::CloudWatch::Alarm', Properties: props });
  const group = (props: Record<string, unknown>) => ({ Type: 'AWS::CodeDeploy::DeploymentGroup', Properties: props });

  test('predefined configs, alarms by Ref or by name, metric-math periods', () => {
    const template = {
      Resources: {
        Errors: alarm({ Period: 60, EvaluationPeriods: 3, DatapointsToAlarm: 2 }),
        Rate: alarm({ AlarmName: 'Prod-Rate', EvaluationPeriods: 2, Metrics: [{ Expression: 'a/b' }, { MetricStat: { Period: 60 } }, { MetricStat: { Period: 120 } }] }),
        Group: group({
          DeploymentConfigName: 'CodeDeployDefault.LambdaCanary10Percent15Minutes',
          AlarmConfiguration: { Enabled: true, Alarms: [{ Name: { Ref: 'Errors' } }, { Name: 'Prod-Rate' }] },
        }),
      },
    };
    expect(watchedShifts(template)).toEqual([{
      deploymentGroup: 'Group',
      shift: PREDEFINED_LAMBDA_SHIFTS.CANARY_10PERCENT_15MINUTES,
      alarms: [
        { name: 'Errors', periodSeconds: 60, datapointsToAlarm: 2 },
        { name: 'Prod-Rate', periodSeconds: 120, datapointsToAlarm: 2 },
      ],
    }]);
  });

  test('custom configs', () => {
    const template = {
      Resources: {
        Config: { Type: 'AWS::CodeDeploy::DeploymentConfig', Properties: { TrafficRoutingConfig: { Type: 'TimeBasedLinear', TimeBasedLinear: { LinearPercentage: 25, LinearInterval: 2 } } } },
        Group: group({ DeploymentConfigName: { Ref: 'Config' } }),
      },
    };
    expect(watchedShifts(template)[0]).toEqual({ deploymentGroup: 'Group', shift: { type: 'linear', percent: 25, intervalMinutes: 2 }, alarms: [] });
  });

  test.each([
    [{ Group: group({ DeploymentConfigName: 'CodeDeployDefault.LambdaSomethingNew' }) }, 'unknown deployment config "CodeDeployDefault.LambdaSomethingNew"'],
    [{ Group: group({ DeploymentConfigName: 'CodeDeployDefault.LambdaAllAtOnce', AlarmConfiguration: { Alarms: [{ Name: 'elsewhere' }] } }) }, 'alarm "elsewhere" is not a metric alarm of this template'],
    [{ Group: group({ DeploymentConfigName: { Ref: 'Missing' } }) }, 'unknown deployment config {"Ref":"Missing"}'],
  ])('fails on what it cannot resolve (%#)', (resources, message) => {
    expect(() => watchedShifts({ Resources: resources })).toThrow(message);
  });
});

describe('the synthesized defaults', () => {
  const synthesized = sharedTollgate();

  test('prod: at most 10 % of traffic for at most 3 minutes before the rollback starts', () => {
    const [watched] = watchedShifts(synthesized.prod.toJSON());
    expect(watched.alarms.map((a) => a.name)).toHaveLength(4);
    const exposure = worstCaseExposure(watched.shift, watched.alarms);
    expect(exposure.sharePercent).toBeLessThanOrEqual(10);
    expect(exposure.minutes).toBeLessThanOrEqual(3);
    expect(exposure.withinFirstStep).toBe(true);
  });

  test('dev: all at once, rolled back within 3 minutes', () => {
    const [watched] = watchedShifts(synthesized.dev.toJSON());
    expect(worstCaseExposure(watched.shift, watched.alarms)).toMatchObject({ sharePercent: 100, minutes: 3 });
  });
});
