/**
 * The promotion path as the synthesized templates define it: the pipeline's stages in order, what each
 * deploys where, its approvals and V2 conditions, and how each deployed stack shifts traffic.
 */
import { CliError } from '../context';
import { CfnTemplate, SynthesizedStack } from './assembly';

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
    const name = target?.AlarmName ?? target?.DeploymentConfigName ?? target?.Name;
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

/** How a deployment group moves traffic to a new version. */
export interface TrafficShift {
  readonly deploymentGroup: string;
  readonly computePlatform: 'Lambda' | 'ECS' | 'unknown';
  /** The deployment configuration's name, e.g. `CodeDeployDefault.LambdaCanary10Percent10Minutes`. */
  readonly config: string;
  readonly kind: 'canary' | 'linear' | 'all-at-once' | 'unknown';
  /** Canary share, or each linear step, in percent. */
  readonly percent?: number;
  readonly intervalMinutes?: number;
  /** Minutes from the first shift until all traffic is on the new version. */
  readonly totalMinutes?: number;
  readonly alarms: string[];
  readonly autoRollbackEvents: string[];
}

/** An ECS service's own rolling, canary or linear deployment. */
export interface ServiceRollout {
  readonly service: string;
  readonly strategy: string;
  readonly alarms: string[];
  readonly rollbackOnAlarm: boolean;
  readonly circuitBreakerRollback: boolean;
  readonly bakeTimeMinutes?: number;
}

export interface DeployedStack {
  readonly stackName: string;
  readonly account?: string;
  readonly region?: string;
  readonly trafficShifts: TrafficShift[];
  readonly serviceRollouts: ServiceRollout[];
}

export interface PlanAction {
  readonly name: string;
  readonly category: string;
  readonly provider: string;
  readonly runOrder: number;
  readonly stackName?: string;
  readonly timeoutMinutes?: number;
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

const PREDEFINED = /^CodeDeployDefault\.(Lambda|ECS)(?:(Canary|Linear)(\d+)Percent(?:Every)?(\d+)Minutes?|AllAtOnce)$/;

/** Minutes until all traffic has moved: a canary after one interval, a linear shift after its last step. */
function shiftTiming(kind: TrafficShift['kind'], percent?: number, interval?: number): Pick<TrafficShift, 'totalMinutes'> {
  if (kind === 'all-at-once') return { totalMinutes: 0 };
  if (percent === undefined || interval === undefined) return {};
  return { totalMinutes: kind === 'canary' ? interval : (Math.ceil(100 / percent) - 1) * interval };
}

function deploymentConfig(raw: unknown, resources: Resources): Pick<TrafficShift, 'config' | 'kind' | 'percent' | 'intervalMinutes' | 'totalMinutes'> & { platform?: 'Lambda' | 'ECS' } {
  const config = renderValue(raw, resources) || 'CodeDeployDefault.OneAtATime';
  const predefined = PREDEFINED.exec(config);
  if (predefined) {
    const kind = predefined[2] === 'Canary' ? 'canary' : predefined[2] === 'Linear' ? 'linear' : 'all-at-once';
    const percent = predefined[3] ? Number(predefined[3]) : undefined;
    const intervalMinutes = predefined[4] ? Number(predefined[4]) : undefined;
    return { config, kind, percent, intervalMinutes, ...shiftTiming(kind, percent, intervalMinutes), platform: predefined[1] as 'Lambda' | 'ECS' };
  }
  const ref = (raw as { Ref?: string })?.Ref;
  const custom = ref ? resources[ref] : undefined;
  const routing = custom?.Type === 'AWS::CodeDeploy::DeploymentConfig' ? custom.Properties?.TrafficRoutingConfig : undefined;
  if (routing?.Type === 'TimeBasedCanary') {
    const { CanaryPercentage: percent, CanaryInterval: intervalMinutes } = routing.TimeBasedCanary ?? {};
    return { config, kind: 'canary', percent, intervalMinutes, ...shiftTiming('canary', percent, intervalMinutes) };
  }
  if (routing?.Type === 'TimeBasedLinear') {
    const { LinearPercentage: percent, LinearInterval: intervalMinutes } = routing.TimeBasedLinear ?? {};
    return { config, kind: 'linear', percent, intervalMinutes, ...shiftTiming('linear', percent, intervalMinutes) };
  }
  if (routing?.Type === 'AllAtOnce') return { config, kind: 'all-at-once', totalMinutes: 0 };
  return { config, kind: 'unknown' };
}

function trafficShifts(template: CfnTemplate): TrafficShift[] {
  const resources = template.Resources ?? {};
  return Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::CodeDeploy::DeploymentGroup')
    .map(([logicalId, r]) => {
      const p = r.Properties ?? {};
      const { platform, ...config } = deploymentConfig(p.DeploymentConfigName, resources);
      const app = (p.ApplicationName as { Ref?: string })?.Ref;
      const appPlatform = app ? resources[app]?.Properties?.ComputePlatform : undefined;
      return {
        deploymentGroup: p.DeploymentGroupName ? renderValue(p.DeploymentGroupName, resources) : logicalId,
        computePlatform: (appPlatform ?? platform ?? 'unknown') as TrafficShift['computePlatform'],
        ...config,
        alarms: p.AlarmConfiguration?.Enabled === false ? [] : (p.AlarmConfiguration?.Alarms ?? []).map((a: { Name: unknown }) => renderValue(a.Name, resources)),
        autoRollbackEvents: p.AutoRollbackConfiguration?.Enabled ? (p.AutoRollbackConfiguration.Events ?? []) : [],
      };
    });
}

function serviceRollouts(template: CfnTemplate): ServiceRollout[] {
  const resources = template.Resources ?? {};
  return Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::ECS::Service')
    .map(([logicalId, r]) => {
      const p = r.Properties ?? {};
      const d = p.DeploymentConfiguration ?? {};
      return {
        service: p.ServiceName ? renderValue(p.ServiceName, resources) : logicalId,
        strategy: d.Strategy ?? p.DeploymentController?.Type ?? 'ROLLING',
        alarms: d.Alarms?.Enable ? (d.Alarms.AlarmNames ?? []).map((n: unknown) => renderValue(n, resources)) : [],
        rollbackOnAlarm: Boolean(d.Alarms?.Enable && d.Alarms?.Rollback),
        circuitBreakerRollback: Boolean(d.DeploymentCircuitBreaker?.Enable && d.DeploymentCircuitBreaker?.Rollback),
        bakeTimeMinutes: d.BakeTimeInMinutes,
      };
    });
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
          trafficShifts: deployed ? trafficShifts(deployed.template) : [],
          serviceRollouts: deployed ? serviceRollouts(deployed.template) : [],
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
