import { PREDEFINED_LAMBDA_SHIFTS } from '../../cdk/canary-settings';
import { DEFAULT_CANARY_SETTINGS, type EcsTrafficShift } from '../../cdk/canary-settings';
import {
  describeExposure,
  EVALUATION_DELAY_MINUTES,
  ExposureError,
  watchedServiceShifts,
  watchedShifts,
  worstCaseEcsExposure,
  worstCaseExposure,
} from '../../cdk/exposure';
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

describe('worstCaseEcsExposure', () => {
  const canary = (percent: number, canaryBakeMinutes: number, bakeMinutes: number): EcsTrafficShift => ({ type: 'canary', percent, canaryBakeMinutes, bakeMinutes });

  test("the tile server's prod default, a 10 % canary for 5 minutes: 10 % of its requests for 3 minutes, as the API's", () => {
    const tileServer = worstCaseEcsExposure(DEFAULT_CANARY_SETTINGS.tileServer.prod, [twoOfTwo]);
    expect(tileServer).toEqual({ sharePercent: 10, minutes: 3, percentMinutes: 30, slowestAlarm: 'errors', withinFirstStep: true });
    expect(tileServer).toEqual(worstCaseExposure(DEFAULT_CANARY_SETTINGS.prod, [twoOfTwo]));
  });

  test('a canary shorter than the detection: the rest of the traffic has moved by the rollback', () => {
    expect(worstCaseEcsExposure(canary(10, 2, 5), [twoOfTwo])).toEqual({
      sharePercent: 100, minutes: 3, percentMinutes: 10 * 2 + 100 * 1, slowestAlarm: 'errors', withinFirstStep: false,
    });
  });

  test('a rollback due exactly when the rest moves counts as after the move (ECS does not say which comes first)', () => {
    expect(worstCaseEcsExposure(canary(10, 3, 5), [twoOfTwo])).toEqual({ sharePercent: 100, minutes: 3, percentMinutes: 30, slowestAlarm: 'errors', withinFirstStep: false });
    // CodeDeploy documents that it reads the alarms first.
    expect(worstCaseExposure({ type: 'canary', percent: 10, intervalMinutes: 3 }, [twoOfTwo])).toMatchObject({ sharePercent: 10, withinFirstStep: true });
  });

  test('tenths of a percent', () => {
    expect(worstCaseEcsExposure(canary(2.5, 10, 0), [twoOfTwo])).toMatchObject({ sharePercent: 2.5, minutes: 3, percentMinutes: 7.5 });
  });

  test('all at once (ECS blue/green): all requests until the alarm fires, within the bake', () => {
    expect(worstCaseEcsExposure({ type: 'allAtOnce', bakeMinutes: 5 }, [twoOfTwo])).toEqual({
      sharePercent: 100, minutes: 3, percentMinutes: 300, slowestAlarm: 'errors', withinFirstStep: true,
    });
  });

  test.each<[string, EcsTrafficShift]>([
    ['all at once without a bake', { type: 'allAtOnce', bakeMinutes: 0 }],
    ['a bake that ends as the alarm fires', { type: 'allAtOnce', bakeMinutes: 3 }],
    ['a canary and bake shorter than the detection', canary(10, 1, 1)],
  ])('no figure when ECS stops watching first (%s): a bad revision is never rolled back', (_, shift) => {
    expect(() => worstCaseEcsExposure(shift, [twoOfTwo])).toThrow(ExposureError);
    expect(() => worstCaseEcsExposure(shift, [twoOfTwo])).toThrow(/before errors can roll it back \(3 minutes\): a bad revision is never rolled back/);
  });

  test('the slowest alarm and the evaluation delay set the minutes, as for CodeDeploy', () => {
    const slow = { name: 'latency', periodSeconds: 300, datapointsToAlarm: 1 };
    expect(worstCaseEcsExposure(canary(10, 10, 5), [twoOfTwo, slow])).toMatchObject({ minutes: 6, sharePercent: 10, slowestAlarm: 'latency' });
    expect(worstCaseEcsExposure(canary(10, 10, 5), [twoOfTwo], 0).minutes).toBe(2);
  });

  test('no alarm: no figure', () => {
    expect(() => worstCaseEcsExposure(canary(10, 5, 5), [])).toThrow('no alarm watches the deployment');
  });
});

describe('watchedServiceShifts reads a template', () => {
  const alarm = (name: string, props: Record<string, unknown> = { Period: 60, DatapointsToAlarm: 2 }) => ({ Type: 'AWS::CloudWatch::Alarm', Properties: { AlarmName: name, ...props } });
  const service = (deployment: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    Type: 'AWS::ECS::Service',
    Properties: { DeploymentConfiguration: deployment, ...extra },
  });
  const rollingBack = { Enable: true, Rollback: true, AlarmNames: ['Prod-5xx', 'Prod-Unhealthy'] };

  test('canary and blue/green services with their alarms; a rolling update shifts no traffic', () => {
    const template = {
      Resources: {
        A5xx: alarm('Prod-5xx'),
        AUnhealthy: alarm('Prod-Unhealthy', { EvaluationPeriods: 3, Metrics: [{ Expression: 'a + b' }, { MetricStat: { Period: 60 } }, { MetricStat: { Period: 60 } }] }),
        Tiles: service({ Strategy: 'CANARY', CanaryConfiguration: { CanaryPercent: 12.5, CanaryBakeTimeInMinutes: 7 }, BakeTimeInMinutes: 4, Alarms: rollingBack }),
        Blue: service({ Strategy: 'BLUE_GREEN', BakeTimeInMinutes: 9, Alarms: rollingBack }),
        Rolling: service({ Strategy: 'ROLLING', Alarms: rollingBack }),
        Default: service({}),
      },
    };
    const alarms = [
      { name: 'Prod-5xx', periodSeconds: 60, datapointsToAlarm: 2 },
      { name: 'Prod-Unhealthy', periodSeconds: 60, datapointsToAlarm: 3 },
    ];
    expect(watchedServiceShifts(template)).toEqual([
      { service: 'Tiles', shift: { type: 'canary', percent: 12.5, canaryBakeMinutes: 7, bakeMinutes: 4 }, alarms },
      { service: 'Blue', shift: { type: 'allAtOnce', bakeMinutes: 9 }, alarms },
    ]);
  });

  test("ECS's canary defaults where the template names none, no bake, and no alarms unless they roll back", () => {
    const template = { Resources: { A: alarm('Prod-5xx'), S: service({ Strategy: 'CANARY', Alarms: { ...rollingBack, AlarmNames: ['Prod-5xx'], Rollback: false } }) } };
    expect(watchedServiceShifts(template)).toEqual([{ service: 'S', shift: { type: 'canary', percent: 5, canaryBakeMinutes: 10, bakeMinutes: 0 }, alarms: [] }]);
  });

  test.each([
    [{ S: service({ Strategy: 'LINEAR' }) }, 'service S deploys by LINEAR, which the figure does not model'],
    [{ S: service({}, { DeploymentController: { Type: 'CODE_DEPLOY' } }) }, 'service S deploys through CODE_DEPLOY, which the figure does not model'],
    [{ S: service({ Strategy: 'BLUE_GREEN', Alarms: rollingBack }) }, 'alarm "Prod-5xx" is not a metric alarm of this template'],
  ])('fails on what it cannot model or resolve (%#)', (resources, message) => {
    expect(() => watchedServiceShifts({ Resources: resources })).toThrow(message);
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

  test.each([
    ['the API, through CodeDeploy', () => {
      const [watched] = watchedShifts(synthesized.prod.toJSON());
      expect(watched.alarms.map((a) => a.name)).toHaveLength(4);
      return worstCaseExposure(watched.shift, watched.alarms);
    }],
    ['the tile server, through ECS', () => {
      const [watched] = watchedServiceShifts(synthesized.prod.toJSON());
      expect(watched.alarms.map((a) => a.name)).toEqual(['Prod-Service-TileServer5xx', 'Prod-Service-TileServerUnhealthy']);
      return worstCaseEcsExposure(watched.shift, watched.alarms);
    }],
  ])('prod, %s: at most 10 % of traffic for at most 3 minutes before the rollback starts, within the canary', (_, exposureOf) => {
    const exposure = exposureOf();
    expect(exposure.sharePercent).toBeLessThanOrEqual(10);
    expect(exposure.minutes).toBeLessThanOrEqual(3);
    expect(exposure.withinFirstStep).toBe(true);
  });

  test('dev: all at once, rolled back within 3 minutes', () => {
    const [watched] = watchedShifts(synthesized.dev.toJSON());
    expect(worstCaseExposure(watched.shift, watched.alarms)).toMatchObject({ sharePercent: 100, minutes: 3 });
  });

  test("dev's tile server: all at once, rolled back within 3 minutes, inside its bake", () => {
    const [watched] = watchedServiceShifts(synthesized.dev.toJSON());
    expect(worstCaseEcsExposure(watched.shift, watched.alarms)).toMatchObject({ sharePercent: 100, minutes: 3 });
  });

  test("a sandbox's tile server has no bake: its alarms never roll it back, so there is no figure", () => {
    const [watched] = watchedServiceShifts(synthesized.sandboxTemplate.toJSON());
    expect(watched.shift).toEqual({ type: 'allAtOnce', bakeMinutes: 0 });
    expect(() => worstCaseEcsExposure(watched.shift, watched.alarms)).toThrow(ExposureError);
  });
});
