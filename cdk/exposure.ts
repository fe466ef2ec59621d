/**
 * Worst-case prod exposure of a bad build under a CodeDeploy traffic shift (the API's Lambda alias) or an ECS
 * deployment (the tile server): which share of traffic the new version serves, and for how long, before an alarm
 * starts the rollback. Pure: it reads a synthesized CloudFormation template (the bench and the `plan` command
 * share it).
 */
import { ecsShiftMinutes, type EcsTrafficShift, predefinedShift, type TrafficShift } from './canary-settings';

/**
 * Minutes between the last breaching datapoint and the deployment acting on it: Lambda and the load balancer
 * publish their metrics about a minute after the request, the alarm evaluates once a minute, and CodeDeploy or ECS
 * reads the alarm state. AWS documents neither the sum nor how often they read; one minute is our assumption, not
 * a measured number.
 */
export const EVALUATION_DELAY_MINUTES = 1;

/** What it takes an alarm to fire once its metric goes bad. */
export interface AlarmDetection {
  /** The alarm's name (its logical ID when CloudFormation names it), for the report. */
  readonly name: string;
  readonly periodSeconds: number;
  /** Breaching datapoints needed (M of "M out of N"). */
  readonly datapointsToAlarm: number;
}

export interface Exposure {
  /** Share (percent) of traffic the new version serves when the rollback starts. */
  readonly sharePercent: number;
  /** Minutes from the first shifted request until the rollback starts. */
  readonly minutes: number;
  /** Area under the share curve over those minutes, in percent × minutes: 10 % for 3 minutes is 30. */
  readonly percentMinutes: number;
  /** The alarm that takes longest to fire: a bad build that only it catches sets the worst case. */
  readonly slowestAlarm: string;
  /**
   * True when the rollback starts before the first traffic step ends (the canary step, linear's first step;
   * all-at-once has only one step).
   */
  readonly withinFirstStep: boolean;
}

/** A template cannot give a figure: the message names the resource. */
export class ExposureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExposureError';
  }
}

/** Minutes until the alarm fires, counted from the first bad datapoint. */
export function minutesToAlarm(alarm: AlarmDetection): number {
  return (alarm.periodSeconds / 60) * alarm.datapointsToAlarm;
}

/** Share (percent) of traffic on the new version `t` minutes into the shift. */
function shareAt(shift: TrafficShift, t: number): number {
  if (shift.type === 'allAtOnce') return 100;
  const step = Math.floor(t / shift.intervalMinutes);
  if (shift.type === 'canary') return step === 0 ? shift.percent : 100;
  return Math.min(100, shift.percent * (step + 1));
}

/**
 * The worst case over `alarms`: the slowest alarm to fire, plus the evaluation delay. A rollback that starts
 * exactly at a step boundary counts as starting before the step (CodeDeploy checks alarms before it shifts).
 *
 * @throws ExposureError when no alarm watches the shift: a bad build would never be rolled back.
 */
export function worstCaseExposure(shift: TrafficShift, alarms: readonly AlarmDetection[], evaluationDelayMinutes = EVALUATION_DELAY_MINUTES): Exposure {
  if (alarms.length === 0) throw new ExposureError('no alarm watches the deployment: a bad build is never rolled back');
  const slowest = alarms.reduce((a, b) => (minutesToAlarm(b) > minutesToAlarm(a) ? b : a));
  const minutes = minutesToAlarm(slowest) + evaluationDelayMinutes;

  // Integrate the step function: boundaries are the multiples of the interval below `minutes`.
  const interval = shift.type === 'allAtOnce' ? Infinity : shift.intervalMinutes;
  let percentMinutes = 0;
  for (let start = 0; start < minutes; start += interval) {
    percentMinutes += shareAt(shift, start) * (Math.min(minutes, start + interval) - start);
  }
  const rollbackAt = shift.type === 'allAtOnce' ? minutes : Math.max(0, Math.ceil(minutes / interval) - 1) * interval;
  return {
    sharePercent: shareAt(shift, rollbackAt),
    minutes,
    percentMinutes,
    slowestAlarm: slowest.name,
    withinFirstStep: minutes <= interval,
  };
}

/** The share of traffic an ECS deployment gives the new revision over time: the canary's, else all at once. */
export function ecsShareOfTraffic(shift: EcsTrafficShift): TrafficShift {
  return shift.type === 'canary' ? { type: 'canary', percent: shift.percent, intervalMinutes: shift.canaryBakeMinutes } : { type: 'allAtOnce' };
}

/**
 * The worst case of an ECS deployment over `alarms`, as {@link worstCaseExposure} with the share ECS gives the new
 * revision. ECS reads the alarms only until the deployment ends, when it stops the old revision after the bake
 * (Amazon ECS Developer Guide, "Amazon ECS canary deployments": the bake, then clean-up). Fail closed where the
 * documents are silent: a rollback due exactly when the canary's rest of the traffic moves counts as after the
 * move, and one due exactly when the bake ends does not come.
 *
 * @throws ExposureError when no alarm watches the deployment, or the slowest one fires only once it has ended:
 * ECS would never roll a bad revision back.
 */
export function worstCaseEcsExposure(shift: EcsTrafficShift, alarms: readonly AlarmDetection[], evaluationDelayMinutes = EVALUATION_DELAY_MINUTES): Exposure {
  const exposure = worstCaseExposure(ecsShareOfTraffic(shift), alarms, evaluationDelayMinutes);
  const deploymentMinutes = ecsShiftMinutes(shift);
  if (exposure.minutes >= deploymentMinutes) {
    throw new ExposureError(
      `the deployment ends ${deploymentMinutes} minutes after its first shift, before ${exposure.slowestAlarm} can roll it back (${exposure.minutes} minutes): a bad revision is never rolled back; lengthen the bake`,
    );
  }
  if (shift.type === 'canary' && exposure.minutes === shift.canaryBakeMinutes) return { ...exposure, sharePercent: 100, withinFirstStep: false };
  return exposure;
}

interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, any>;
}

/** The parts of a synthesized template this module reads. */
export interface CfnTemplate {
  readonly Resources?: Record<string, CfnResource>;
  /** The template's `Metadata` section, e.g. the pipeline manifest (`tollgate:manifest`). */
  readonly Metadata?: Record<string, unknown>;
}

/** A deployment group found in a template: its traffic shift and the alarms that stop it. */
export interface WatchedShift {
  /** Logical ID of the `AWS::CodeDeploy::DeploymentGroup`. */
  readonly deploymentGroup: string;
  readonly shift: TrafficShift;
  readonly alarms: readonly AlarmDetection[];
}

function customShift(resource: CfnResource, logicalId: string): TrafficShift {
  const routing = resource.Properties?.TrafficRoutingConfig;
  switch (routing?.Type) {
    case 'AllAtOnce':
      return { type: 'allAtOnce' };
    case 'TimeBasedCanary':
      return { type: 'canary', percent: routing.TimeBasedCanary.CanaryPercentage, intervalMinutes: routing.TimeBasedCanary.CanaryInterval };
    case 'TimeBasedLinear':
      return { type: 'linear', percent: routing.TimeBasedLinear.LinearPercentage, intervalMinutes: routing.TimeBasedLinear.LinearInterval };
    default:
      throw new ExposureError(`deployment config ${logicalId} has no time-based Lambda traffic routing`);
  }
}

function alarmDetection(resources: Record<string, CfnResource>, name: unknown): AlarmDetection {
  const ref = typeof name === 'object' && name !== null ? (name as { Ref?: unknown }).Ref : undefined;
  const entry = typeof ref === 'string'
    ? [ref, resources[ref]] as const
    : Object.entries(resources).find(([, r]) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties?.AlarmName === name);
  const [logicalId, resource] = entry ?? [JSON.stringify(name), undefined];
  if (resource?.Type !== 'AWS::CloudWatch::Alarm') {
    throw new ExposureError(`alarm ${logicalId} is not a metric alarm of this template`);
  }
  const props = resource.Properties ?? {};
  // A metric-math alarm carries its periods on the metrics it combines; the slowest one counts.
  const periods: number[] = props.Period !== undefined
    ? [props.Period]
    : (props.Metrics ?? []).map((m: any) => m.MetricStat?.Period).filter((p: unknown) => typeof p === 'number');
  if (periods.length === 0) throw new ExposureError(`alarm ${logicalId} has no period`);
  return {
    name: typeof props.AlarmName === 'string' ? props.AlarmName : logicalId,
    periodSeconds: Math.max(...periods),
    datapointsToAlarm: props.DatapointsToAlarm ?? props.EvaluationPeriods,
  };
}

/**
 * Every Lambda deployment group of `template`, with its traffic shift and alarms.
 *
 * @throws ExposureError when a group's configuration or alarms cannot be resolved within the template.
 */
export function watchedShifts(template: CfnTemplate): WatchedShift[] {
  const resources = template.Resources ?? {};
  return Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::CodeDeploy::DeploymentGroup')
    .map(([logicalId, group]) => {
      const configName = group.Properties?.DeploymentConfigName;
      const configRef = typeof configName === 'object' ? configName?.Ref : undefined;
      const shift = typeof configName === 'string'
        ? predefinedShift(configName)
        : typeof configRef === 'string' && resources[configRef] ? customShift(resources[configRef], configRef) : undefined;
      if (!shift) throw new ExposureError(`deployment group ${logicalId} uses an unknown deployment config ${JSON.stringify(configName)}`);
      const alarmConfig = group.Properties?.AlarmConfiguration;
      const alarms = alarmConfig?.Enabled === false ? [] : (alarmConfig?.Alarms ?? []).map((a: { Name: unknown }) => alarmDetection(resources, a.Name));
      return { deploymentGroup: logicalId, shift, alarms };
    });
}

/** An ECS service found in a template whose deployments shift traffic: how, and the alarms that roll it back. */
export interface WatchedServiceShift {
  /** Logical ID of the `AWS::ECS::Service`. */
  readonly service: string;
  readonly shift: EcsTrafficShift;
  /** Empty unless the deployment alarms are on and roll back. */
  readonly alarms: readonly AlarmDetection[];
}

/**
 * How an ECS service's deployment configuration shifts traffic; `undefined` for a rolling update, which moves no
 * traffic share but replaces tasks. ECS's own defaults where the template leaves a setting out (API Reference,
 * "CanaryConfiguration": 5 %, 10 minutes); no bake when it names none, the case in which the alarms watch least.
 */
function ecsTrafficShift(logicalId: string, props: Record<string, any>): EcsTrafficShift | undefined {
  const controller = props.DeploymentController?.Type ?? 'ECS';
  if (controller !== 'ECS') throw new ExposureError(`service ${logicalId} deploys through ${controller}, which the figure does not model`);
  const deployment = props.DeploymentConfiguration ?? {};
  const bakeMinutes = deployment.BakeTimeInMinutes ?? 0;
  switch (deployment.Strategy ?? 'ROLLING') {
    case 'ROLLING':
      return undefined;
    case 'BLUE_GREEN':
      return { type: 'allAtOnce', bakeMinutes };
    case 'CANARY': {
      const canary = deployment.CanaryConfiguration ?? {};
      return { type: 'canary', percent: canary.CanaryPercent ?? 5, canaryBakeMinutes: canary.CanaryBakeTimeInMinutes ?? 10, bakeMinutes };
    }
    default:
      throw new ExposureError(`service ${logicalId} deploys by ${deployment.Strategy}, which the figure does not model`);
  }
}

/**
 * Every ECS service of `template` whose deployments shift traffic (ECS blue/green or canary), with its shift and
 * the deployment alarms that roll it back.
 *
 * @throws ExposureError when a service deploys in a way the figure does not model, or names an alarm that is not
 * a metric alarm of the template.
 */
export function watchedServiceShifts(template: CfnTemplate): WatchedServiceShift[] {
  const resources = template.Resources ?? {};
  return Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::ECS::Service')
    .flatMap(([logicalId, service]) => {
      const props = service.Properties ?? {};
      const shift = ecsTrafficShift(logicalId, props);
      if (!shift) return [];
      const alarmConfig = props.DeploymentConfiguration?.Alarms;
      const rollsBack = alarmConfig?.Enable === true && alarmConfig?.Rollback === true;
      const alarms = rollsBack ? (alarmConfig.AlarmNames ?? []).map((name: unknown) => alarmDetection(resources, name)) : [];
      return [{ service: logicalId, shift, alarms }];
    });
}

/** Formats an exposure as one line, e.g. `10% of traffic for 3 minutes (30 %·min; slowest alarm: Errors)`. */
export function describeExposure(exposure: Exposure): string {
  const round = (n: number) => Math.round(n * 100) / 100;
  return `${round(exposure.sharePercent)}% of traffic for ${round(exposure.minutes)} minutes `
    + `(${round(exposure.percentMinutes)} %·min; slowest alarm: ${exposure.slowestAlarm}`
    + `${exposure.withinFirstStep ? '' : '; traffic kept shifting before the rollback'})`;
}
