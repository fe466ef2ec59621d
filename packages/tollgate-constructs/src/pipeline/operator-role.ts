import * as cdk from 'aws-cdk-lib';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { controlsHierarchy } from '../domain/pipeline-controls';

export interface OperatorRoleProps {
  /** Physical name of the role: the CLI builds its ARN from it, the gate trusts controls its sessions wrote. */
  readonly roleName: string;
  /** The pipeline on-call controls. */
  readonly pipeline: codepipeline.IPipeline;
  /**
   * The stages `stop` closes the entrance of, `resume` opens again and `rollback` rolls back, e.g. `Prod`, or
   * every wave of prod (`Prod-Wave1`, `Prod-Wave2`, …).
   */
  readonly guardedStageNames: readonly string[];
  /** The release topic where stop, resume and overrides are announced. */
  readonly topic: sns.ITopic;
  /**
   * The topic's KMS key: publishing to an encrypted topic needs GenerateDataKey and Decrypt on it.
   *
   * @default - the topic's own `masterKey`; none when the topic is not encrypted
   */
  readonly topicKey?: kms.IKey;
  /**
   * IAM principal ARNs (roles, users, or an account's `root`) that may assume the role. Each still needs its own
   * permission to call sts:AssumeRole on it, unless it is the role's account root.
   *
   * @default - the stack's account root: any principal of this account whose own policy allows sts:AssumeRole on the role
   */
  readonly principals?: readonly string[];
  /**
   * The read-only alarm reader roles of the environments (`AlarmReaderRole`), which `tollgate status` assumes
   * through this role to show every environment's health alarms.
   *
   * @default - none
   */
  readonly alarmReaderRoleArns?: readonly string[];
  /**
   * The SSM parameter with the pipeline's manifest (`PipelineManifest`), which `stop`, `resume` and `rollback`
   * read through this role: read only, it is CloudFormation's to write.
   *
   * @default - none
   */
  readonly manifestParameterName?: string;
  /**
   * How long a session lasts: on-call commands take seconds.
   *
   * @default cdk.Duration.hours(1)
   */
  readonly maxSessionDuration?: cdk.Duration;
}

/**
 * The role through which on-call changes what the release does: `tollgate stop`, `resume`, `rollback`, `freeze`
 * and `override` assume it for every change. It may write only this pipeline's run-time controls, close and
 * open the guarded stage's entrance, stop executions, answer approvals and roll the stage back, announce on the
 * release topic, and assume the environments' read-only alarm reader roles (so that `status` reads every
 * environment's health). The bake gate trusts a control that loosens (an override, a halt flag cleared, the freezes)
 * only when a session of this role wrote it, so that `ssm:PutParameter` elsewhere in the account cannot open
 * the gate.
 */
export class OperatorRole extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: OperatorRoleProps) {
    super(scope, id);
    const stack = cdk.Stack.of(this);
    const principals = props.principals && props.principals.length > 0 ? props.principals.map((arn) => new iam.ArnPrincipal(arn)) : [new iam.AccountRootPrincipal()];
    this.role = new iam.Role(this, 'Role', {
      roleName: props.roleName,
      description: `On-call controls of pipeline ${props.pipeline.pipelineName}: tollgate stop, resume, rollback, freeze, override`,
      assumedBy: principals.length === 1 ? principals[0] : new iam.CompositePrincipal(...principals),
      maxSessionDuration: props.maxSessionDuration ?? cdk.Duration.hours(1),
    });

    const path = controlsHierarchy(props.pipeline.pipelineName).slice(1);
    const parameter = (name: string) => stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: name });
    const pipelineArn = props.pipeline.pipelineArn;
    const guardedStages = props.guardedStageNames.map((name) => `${pipelineArn}/${name}`);
    const statements = [
      new iam.PolicyStatement({
        sid: 'RunTimeControls',
        actions: ['ssm:PutParameter', 'ssm:DeleteParameter', 'ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParametersByPath'],
        resources: [parameter(path), parameter(`${path}/*`)],
      }),
      new iam.PolicyStatement({
        sid: 'ReadPipeline',
        actions: ['codepipeline:GetPipelineState', 'codepipeline:GetPipelineExecution', 'codepipeline:ListPipelineExecutions'],
        resources: [pipelineArn],
      }),
      // Service Authorization Reference (AWS CodePipeline): the transitions and RollbackStage act on a stage
      // (`<pipeline ARN>/<stage>`), PutApprovalResult on an action (`<pipeline ARN>/<stage>/<action>`),
      // StopPipelineExecution on the pipeline.
      new iam.PolicyStatement({
        sid: 'GuardStage',
        actions: ['codepipeline:DisableStageTransition', 'codepipeline:EnableStageTransition', 'codepipeline:RollbackStage'],
        resources: guardedStages,
      }),
      new iam.PolicyStatement({ sid: 'StopExecutions', actions: ['codepipeline:StopPipelineExecution', 'codepipeline:RollbackStage'], resources: [pipelineArn] }),
      new iam.PolicyStatement({ sid: 'RejectApprovals', actions: ['codepipeline:PutApprovalResult'], resources: [`${pipelineArn}/*/*`] }),
      new iam.PolicyStatement({ sid: 'Announce', actions: ['sns:Publish'], resources: [props.topic.topicArn] }),
    ];
    if (props.manifestParameterName) {
      statements.push(new iam.PolicyStatement({ sid: 'ReadManifest', actions: ['ssm:GetParameter'], resources: [parameter(props.manifestParameterName.slice(1))] }));
    }
    const key = props.topicKey ?? props.topic.masterKey;
    if (key) statements.push(new iam.PolicyStatement({ sid: 'AnnounceEncrypted', actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [key.keyArn] }));
    const readers = [...new Set(props.alarmReaderRoleArns ?? [])];
    if (readers.length > 0) statements.push(new iam.PolicyStatement({ sid: 'ReadAlarms', actions: ['sts:AssumeRole'], resources: readers }));
    const policy = new iam.Policy(this, 'Policy', { statements });
    policy.attachToRole(this.role);

    NagSuppressions.addResourceSuppressions(
      policy,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason: "Wildcards only below this pipeline's own control parameters (/tollgate/<pipeline>/*) and over this pipeline's own approval actions (<pipeline ARN>/*/*), which stop rejects wherever they wait.",
        },
      ],
    );
  }
}
