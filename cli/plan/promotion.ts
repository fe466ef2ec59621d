/**
 * The promotion path as the synthesized templates define it: the pipeline's stages in order, what each
 * deploys where, its approvals and V2 conditions, and how each deployed stack shifts traffic.
 */
import { ecsShiftMinutes, type EcsTrafficShift, type TrafficShift } from '../../cdk/canary-settings';
import {
  AlarmDetection,
  CfnTemplate,
  Exposure,
  ExposureError,
  WatchedServiceShift,
  WatchedShift,
  describeExposure,
  ecsShareOfTraffic,
  watchedServiceShifts,
  watchedShifts,
  worstCaseEcsExposure,
  worstCaseExposure,
} from '../../cdk/exposure';
import { duration } from '@tollgate/constructs/lib/domain/duration';
import { codeBuildCompute } from '@tollgate/constructs/lib/domain/release-cost';
import { CliError } from '../context';
import { SynthesizedStack } from './assembly';

type Resources = NonNullable<CfnTemplate['Resources']>;

/** Renders a template value, intrinsic functions included, as a person would read it. */
export function renderValue(value: unknown, resources: Resources = {}): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return value.map((v) => renderValue(v, resources)).join(',');
  const v = value as Record<string, any>;
  if ('Ref' in v) {
    if (v.Ref === 'AWS::Partition') return 'aws';
    const target = resources[v.Ref]?.Properties;
    const name = target?.AlarmName ?? target?.Name;
    return name !== undefined ? renderValue(name, resources) : `<${v.Ref}>`;
  }
  if ('Fn::Join' in v) return (v['Fn::Join'][1] as unknown[]).map((p) => renderValue(p, resources)).join(v['Fn::Join'][0]);
  if ('Fn::GetAtt' in v) return `<${[].concat(v['Fn::GetAtt']).join('.')}>`;
  if ('Fn::Sub' in v) return renderValue([].concat(v['Fn::Sub'])[0], resources);
  return JSON.stringify(value);
}

export interface RuleSummary {
  readonly name: string;
  /** `CloudWatchAlarm`, `DeploymentWindow`, `LambdaInvoke`, ... */
  readonly provider: string;
  readonly configuration: Record<string, string>;
}

export interface ConditionSummary {
  /** What happens when the condition fails: FAIL, SKIP, ROLLBACK, RETRY. */
  readonly result?: string;
  readonly rules: RuleSummary[];
}

export interface StageConditions {
  readonly beforeEntry: ConditionSummary[];
  readonly onSuccess: ConditionSummary[];
  readonly onFailure: ConditionSummary[];
}

/** A CodeDeploy deployment group: how it moves traffic to a new version and what stops it. */
export interface TrafficShiftPlan extends WatchedShift {
  /** Where the deployment group is in the app, e.g. `Prod/Service/Canary/DeploymentGroup`. */
  readonly constructPath: string;
  /** Minutes from the first shift until all traffic is on the new version. */
  readonly totalMinutes: number;
  /** When CodeDeploy rolls back by itself. */
  readonly autoRollbackEvents: string[];
}

/** An ECS service's own rolling, blue/green or canary deployment. */
export interface ServiceRollout {
  /** Its service name, else where it is in the app, e.g. `Prod/Service/TileServer/Service/Service`. */
  readonly service: string;
  readonly strategy: string;
  readonly alarms: string[];
  readonly rollbackOnAlarm: boolean;
  readonly circuitBreakerRollback: boolean;
  readonly bakeTimeMinutes?: number;
  /** How it shifts traffic (ECS blue/green or canary), read by the exposure figure's own code; none for a rolling update. */
  readonly shift?: EcsTrafficShift;
  /** Minutes from its first traffic shift until the deployment ends, the bake included; 0 without a shift. */
  readonly totalMinutes: number;
  /** The alarms that roll it back, as the exposure figure reads them; empty when none does. */
  readonly watchedAlarms: readonly AlarmDetection[];
}

export interface DeployedStack {
  readonly stackName: string;
  readonly account?: string;
  readonly region?: string;
  readonly trafficShifts: TrafficShiftPlan[];
  /** Why the traffic shifting could not be read, when it could not. */
  readonly trafficShiftsUnreadable?: string;
  readonly serviceRollouts: ServiceRollout[];
  /** Why the ECS services' traffic shifting could not be read, when it could not. */
  readonly serviceShiftsUnreadable?: string;
}

export interface PlanAction {
  readonly name: string;
  readonly category: string;
  readonly provider: string;
  readonly runOrder: number;
  readonly stackName?: string;
  readonly timeoutMinutes?: number;
  /** A CodeBuild action's compute type, as the price table names it (`general1.medium`), else as its project says. */
  readonly buildCompute?: string;
}

export interface PlanStage {
  readonly name: string;
  readonly actions: PlanAction[];
  readonly deploys: DeployedStack[];
  readonly approvals: { readonly name: string; readonly timeoutMinutes?: number }[];
  readonly conditions: StageConditions;
}

export interface PromotionPlan {
  readonly pipelineName: string;
  /** The stack that holds the pipeline. */
  readonly pipelineStack: string;
  readonly executionMode?: string;
  readonly source?: { readonly repository: string; readonly branch: string };
  readonly stages: PlanStage[];
}

/** Minutes until all traffic has moved: a canary after one interval, a linear shift after its last step. */
function shiftMinutes(shift: TrafficShift): number {
  if (shift.type === 'allAtOnce') return 0;
  return shift.type === 'canary' ? shift.intervalMinutes : (Math.ceil(100 / shift.percent) - 1) * shift.intervalMinutes;
}

/** How a shift moves traffic, in a few words: `canary 10 % for 10 min, then all`. */
export function describeShift(shift: TrafficShift): string {
  if (shift.type === 'allAtOnce') return 'all at once';
  const interval = duration(shift.intervalMinutes * 60_000);
  return shift.type === 'canary' ? `canary ${shift.percent} % for ${interval}, then all` : `linear ${shift.percent} % every ${interval}`;
}

/** How an ECS deployment moves traffic, in a few words: `canary 10 % for 5 min, then all, then a 5 min bake`. */
export function describeEcsShift(shift: EcsTrafficShift): string {
  const moves = describeShift(ecsShareOfTraffic(shift));
  return shift.bakeMinutes > 0 ? `${moves}, then a ${duration(shift.bakeMinutes * 60_000)} bake` : `${moves}, no bake`;
}

/**
 * A resource's construct path (its `aws:cdk:path` metadata) under `root`, without the trailing `Resource`:
 * `Prod/Service/Canary/DeploymentGroup`; its logical ID when the template has no path metadata.
 */
function constructPath(resources: Resources, logicalId: string, root: string): string {
  const path = (resources[logicalId] as { Metadata?: Record<string, unknown> } | undefined)?.Metadata?.['aws:cdk:path'];
  if (typeof path !== 'string') return logicalId;
  const within = path.startsWith(`${root}/`) ? path.slice(root.length + 1) : path;
  return within.replace(/\/Resource$/, '');
}

/**
 * The template's deployment groups, read by the canary's own code (`cdk/exposure.ts`), the exposure figure's
 * source; their paths under `root`, the construct that holds the stages.
 */
function trafficShifts(template: CfnTemplate, root: string): Pick<DeployedStack, 'trafficShifts' | 'trafficShiftsUnreadable'> {
  const resources = template.Resources ?? {};
  try {
    return {
      trafficShifts: watchedShifts(template).map((w) => {
        const rollback = resources[w.deploymentGroup]?.Properties?.AutoRollbackConfiguration;
        return {
          ...w,
          constructPath: constructPath(resources, w.deploymentGroup, root),
          totalMinutes: shiftMinutes(w.shift),
          autoRollbackEvents: rollback?.Enabled ? (rollback.Events ?? []) : [],
        };
      }),
    };
  } catch (err) {
    if (!(err instanceof ExposureError)) throw err;
    return { trafficShifts: [], trafficShiftsUnreadable: err.message };
  }
}

/** The template's ECS services, their traffic shifts read by the exposure figure's own code (`cdk/exposure.ts`). */
function serviceRollouts(template: CfnTemplate, root: string): Pick<DeployedStack, 'serviceRollouts' | 'serviceShiftsUnreadable'> {
  const resources = template.Resources ?? {};
  let watched: WatchedServiceShift[] = [];
  let serviceShiftsUnreadable: string | undefined;
  try {
    watched = watchedServiceShifts(template);
  } catch (err) {
    if (!(err instanceof ExposureError)) throw err;
    serviceShiftsUnreadable = err.message;
  }
  const rollouts = Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::ECS::Service')
    .map(([logicalId, r]): ServiceRollout => {
      const p = r.Properties ?? {};
      const d = p.DeploymentConfiguration ?? {};
      const shifts = watched.find((w) => w.service === logicalId);
      return {
        service: p.ServiceName ? renderValue(p.ServiceName, resources) : constructPath(resources, logicalId, root),
        strategy: d.Strategy ?? p.DeploymentController?.Type ?? 'ROLLING',
        alarms: d.Alarms?.Enable ? (d.Alarms.AlarmNames ?? []).map((n: unknown) => renderValue(n, resources)) : [],
        rollbackOnAlarm: Boolean(d.Alarms?.Enable && d.Alarms?.Rollback),
        circuitBreakerRollback: Boolean(d.DeploymentCircuitBreaker?.Enable && d.DeploymentCircuitBreaker?.Rollback),
        bakeTimeMinutes: d.BakeTimeInMinutes,
        shift: shifts?.shift,
        totalMinutes: shifts ? ecsShiftMinutes(shifts.shift) : 0,
        watchedAlarms: shifts?.alarms ?? [],
      };
    });
  return { serviceRollouts: rollouts, ...(serviceShiftsUnreadable ? { serviceShiftsUnreadable } : {}) };
}

function conditions(raw: any, resources: Resources): ConditionSummary[] {
  if (!raw) return [];
  const list: any[] = raw.Conditions ?? [];
  const summaries = list.map((c) => ({
    result: c.Result ?? raw.Result,
    rules: (c.Rules ?? []).map((rule: any) => ({
      name: rule.Name,
      provider: rule.RuleTypeId?.Provider ?? '?',
      configuration: Object.fromEntries(Object.entries(rule.Configuration ?? {}).map(([k, v]) => [k, renderValue(v, resources)])),
    })),
  }));
  // onFailure may carry only a result (e.g. ROLLBACK) and no rules.
  return summaries.length > 0 ? summaries : [{ result: raw.Result, rules: [] }];
}

/** A CodeBuild project's compute type as the price table names it, else as its `Environment` says. */
function buildCompute(project: Resources[string] | undefined): string {
  const environment = project?.Properties?.Environment;
  return codeBuildCompute(environment?.Type, environment?.ComputeType) ?? `${environment?.Type ?? '?'} ${environment?.ComputeType ?? '?'}`;
}

/**
 * Reads the promotion path from the synthesized stacks: the one pipeline (named `pipelineName` when several)
 * and every stack its stages deploy.
 *
 * @throws CliError when the assembly holds no such pipeline.
 */
export function promotionPlan(stacks: SynthesizedStack[], pipelineName?: string): PromotionPlan {
  const pipelines = stacks.flatMap((stack) =>
    Object.values(stack.template.Resources ?? {})
      .filter((r) => r.Type === 'AWS::CodePipeline::Pipeline')
      .map((r) => ({ stack, resources: stack.template.Resources ?? {}, props: r.Properties ?? {} })),
  );
  const found = pipelines.find((p) => p.props.Name === pipelineName) ?? (pipelines.length === 1 ? pipelines[0] : undefined);
  if (!found) {
    throw new CliError(
      pipelines.length === 0
        ? 'the synthesized app holds no CodePipeline pipeline; run `npm run synth` again'
        : `the synthesized app holds several pipelines and none is named ${pipelineName}`,
    );
  }
  const { stack, resources, props } = found;
  const sourceAction = (props.Stages ?? []).flatMap((s: any) => s.Actions ?? []).find((a: any) => a.ActionTypeId?.Category === 'Source');

  const stages: PlanStage[] = (props.Stages ?? []).map((s: any) => {
    const actions: PlanAction[] = (s.Actions ?? []).map((a: any) => ({
      name: a.Name,
      category: a.ActionTypeId?.Category ?? '?',
      provider: a.ActionTypeId?.Provider ?? '?',
      runOrder: a.RunOrder ?? 1,
      stackName: a.ActionTypeId?.Provider === 'CloudFormation' && a.Configuration?.StackName ? renderValue(a.Configuration.StackName, resources) : undefined,
      timeoutMinutes: a.TimeoutInMinutes,
      buildCompute: a.ActionTypeId?.Provider === 'CodeBuild' ? buildCompute(resources[a.Configuration?.ProjectName?.Ref]) : undefined,
    }));
    const stackNames = [...new Set(actions.map((a) => a.stackName).filter((n): n is string => Boolean(n)))];
    return {
      name: s.Name,
      actions,
      deploys: stackNames.map((name) => {
        const deployed = stacks.find((st) => st.stackName === name);
        return {
          stackName: name,
          account: deployed?.account,
          region: deployed?.region,
          ...(deployed ? trafficShifts(deployed.template, stack.displayName) : { trafficShifts: [], trafficShiftsUnreadable: `stack ${name} is not in the assembly` }),
          ...(deployed ? serviceRollouts(deployed.template, stack.displayName) : { serviceRollouts: [], serviceShiftsUnreadable: `stack ${name} is not in the assembly` }),
        };
      }),
      approvals: actions.filter((a) => a.category === 'Approval').map((a) => ({ name: a.name, timeoutMinutes: a.timeoutMinutes })),
      conditions: {
        beforeEntry: conditions(s.BeforeEntry, resources),
        onSuccess: conditions(s.OnSuccess, resources),
        onFailure: conditions(s.OnFailure, resources),
      },
    };
  });
  return {
    pipelineName: renderValue(props.Name, resources) || '?',
    pipelineStack: stack.stackName,
    executionMode: props.ExecutionMode,
    source: sourceAction?.Configuration?.FullRepositoryId
      ? { repository: renderValue(sourceAction.Configuration.FullRepositoryId, resources), branch: renderValue(sourceAction.Configuration.BranchName, resources) }
      : undefined,
    stages,
  };
}

/** One deployment's worst-case exposure, and where the deployment is. */
export type DeploymentExposure = Exposure & { readonly constructPath: string; readonly stackName: string; readonly description: string };

/** A CodeDeploy deployment group's worst-case exposure. */
type GroupExposure = DeploymentExposure & { readonly deploymentGroup: string };

/** The worst-case exposure of a bad build in one stage, or why there is no figure. */
export type ExposureFigure<T extends DeploymentExposure = GroupExposure> = T | { readonly unavailable: string };

/** A deployment whose exposure a stage's figure weighs: where it is, and its figure (which may throw). */
interface Candidate<T> {
  readonly constructPath: string;
  readonly figure: () => T;
}

/** The worst of a stage's deployments: the most share × minutes; no figure when any has none. */
function worstOf<T extends DeploymentExposure>(candidates: readonly Candidate<T>[], none: string): ExposureFigure<T> {
  const figures: T[] = [];
  for (const candidate of candidates) {
    try {
      figures.push(candidate.figure());
    } catch (err) {
      if (!(err instanceof ExposureError)) throw err;
      return { unavailable: `${candidate.constructPath}: ${err.message}` };
    }
  }
  if (figures.length === 0) return { unavailable: none };
  return figures.reduce((worst, f) => (f.percentMinutes > worst.percentMinutes ? f : worst));
}

/** A stage's deployed stacks, or why its figure is unknown: no such stage, or a stack whose deployments could not be read. */
function readableDeploys(plan: PromotionPlan, stageName: string, unreadable: (d: DeployedStack) => string | undefined): DeployedStack[] | { readonly unavailable: string } {
  const stage = plan.stages.find((s) => s.name === stageName);
  if (!stage) return { unavailable: `no ${stageName} stage in the pipeline` };
  const failed = stage.deploys.find((d) => unreadable(d));
  return failed ? { unavailable: `${failed.stackName}: ${unreadable(failed)}` } : stage.deploys;
}

/**
 * The worst case over the stage's CodeDeploy deployment groups: the share of traffic a bad build reaches and the
 * minutes it is served before the rollback starts (the canary's own function in `cdk/exposure.ts`).
 */
export function stageExposure(plan: PromotionPlan, stageName: string): ExposureFigure {
  const deploys = readableDeploys(plan, stageName, (d) => d.trafficShiftsUnreadable);
  if (!Array.isArray(deploys)) return deploys;
  const candidates = deploys.flatMap((d) =>
    d.trafficShifts.map((t): Candidate<GroupExposure> => ({
      constructPath: t.constructPath,
      figure: () => {
        const exposure = worstCaseExposure(t.shift, t.alarms);
        return { ...exposure, deploymentGroup: t.deploymentGroup, constructPath: t.constructPath, stackName: d.stackName, description: describeExposure(exposure) };
      },
    })),
  );
  return worstOf(candidates, `${stageName} shifts no traffic through CodeDeploy`);
}

/**
 * The worst case over the stage's ECS services that shift traffic (blue/green, canary): the share of a service's
 * traffic a bad revision reaches and the minutes it is served before ECS starts rolling back.
 */
export function stageServiceExposure(plan: PromotionPlan, stageName: string): ExposureFigure<DeploymentExposure> {
  const deploys = readableDeploys(plan, stageName, (d) => d.serviceShiftsUnreadable);
  if (!Array.isArray(deploys)) return deploys;
  const candidates = deploys.flatMap((d) =>
    d.serviceRollouts.flatMap((s): Candidate<DeploymentExposure>[] => {
      const shift = s.shift;
      if (!shift) return [];
      return [{
        constructPath: s.service,
        figure: () => {
          const exposure = worstCaseEcsExposure(shift, s.watchedAlarms);
          return { ...exposure, constructPath: s.service, stackName: d.stackName, description: describeExposure(exposure) };
        },
      }];
    }),
  );
  return worstOf(candidates, `${stageName} shifts no traffic through an ECS deployment`);
}
