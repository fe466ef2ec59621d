import * as cdk from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as pipelines from 'aws-cdk-lib/pipelines';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { PIPELINE_SANDBOX_NAME, PIPELINE_SANDBOX_OWNER } from '../lambdas/shared/sandbox-tags';
import type { CanarySettings } from './canary-settings';
import { AccountEnvironment, PipelineSandboxConfig } from './config';
import { sandboxTestInvokerRoleName, sandboxTestsRoleName } from './pipeline-name';
import { ServiceStage } from './sample-service/service-stage';

/** The pipeline stage's name: its stack is still `Pipeline-Service`, tagged as the sandbox `Pipeline`. */
export const SANDBOX_STAGE_NAME = 'Sandbox';
/** The CodeBuild action after the Sandbox deployment that runs `test/integration/*.integration.ts`. */
export const INTEGRATION_TESTS_ACTION = 'IntegrationTests';
/** The `pre` action that deletes the kept stack when `pipelineSandbox.recreate` is on. */
export const RECREATE_ACTION = 'DeleteSandbox';
/** Where jest-junit writes the integration tests' report (jest.integration.config.js), relative to the checkout. */
export const INTEGRATION_REPORT_DIRECTORY = 'reports/integration';

export interface PipelineSandboxProps {
  readonly pipelineName: string;
  /** The deployment account and region: where the pipeline and its CodeBuild projects run. */
  readonly deployment: AccountEnvironment;
  /** The sandbox account and region (never dev's or prod's account). */
  readonly sandbox: AccountEnvironment;
  /** Dev's and prod's accounts, which the sandbox stage must never deploy into. */
  readonly releaseAccounts: readonly string[];
  readonly canary: CanarySettings;
  readonly settings: PipelineSandboxConfig;
  /** The repository checkout the tests run from. */
  readonly source: pipelines.IFileSetProducer;
}

/**
 * The release pipeline's own sandbox, deployed by every execution before Dev: the same ServiceStage code as dev
 * and prod, as `Pipeline-Service` in the sandbox account, disposable like a personal sandbox (DESTROY removal
 * policies, `tollgate:sandbox=Pipeline`, owner `pipeline`, no expiry: the pipeline keeps it), then the integration
 * tests against its real endpoints in CodeBuild, whose failure stops the release before Dev.
 *
 * Kept between executions by default: a release then reaches it as an update, exactly as it will reach dev and
 * prod (so the tests also see the update path), in minutes; recreating it adds the tile server's VPC, endpoints
 * and load balancer to every release (≈ 15 min to delete and create). `pipelineSandbox.recreate` chooses a clean
 * stack per execution instead.
 */
export class PipelineSandbox extends Construct {
  readonly stage: ServiceStage;
  /** Runs the tests; its policy may assume {@link invokerRoleArn} and nothing else in the sandbox account. */
  readonly testsRole: iam.Role;
  readonly reportGroup: codebuild.ReportGroup;
  readonly tests: pipelines.CodeBuildStep;
  /** Steps before the Sandbox deployment (the stack's deletion when `recreate`). */
  readonly pre: pipelines.Step[];
  /** The role in the sandbox account the tests assume to sign the API's writes. */
  readonly invokerRoleArn: string;
  private readonly pipelineName: string;

  constructor(scope: Construct, id: string, props: PipelineSandboxProps) {
    super(scope, id);
    this.pipelineName = props.pipelineName;
    const { sandbox } = props;
    // Developers deploy anything to the sandbox account; a stage of the release there must never be dev or prod.
    if (props.releaseAccounts.includes(sandbox.account)) {
      throw new Error(`PipelineSandbox: the sandbox account ${sandbox.account} is a release account (${props.releaseAccounts.join(', ')})`);
    }
    const stack = cdk.Stack.of(this);
    this.testsRole = new iam.Role(this, 'TestsRole', {
      roleName: sandboxTestsRoleName(props.pipelineName),
      assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com'),
      description: "The release pipeline's integration tests against its sandbox stage",
    });
    this.invokerRoleArn = `arn:${cdk.Aws.PARTITION}:iam::${sandbox.account}:role/${sandboxTestInvokerRoleName(props.pipelineName)}`;
    // HTTP APIs take no resource policy, so a caller in this account cannot be granted execute-api:Invoke there
    // directly: the grant is on the invoker role in the sandbox account, which trusts exactly this role.
    this.testsRole.addToPolicy(new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [this.invokerRoleArn] }));

    this.stage = new ServiceStage(stack, SANDBOX_STAGE_NAME, {
      env: sandbox,
      environmentKind: 'sandbox',
      sandboxName: PIPELINE_SANDBOX_NAME,
      owner: PIPELINE_SANDBOX_OWNER,
      canary: props.canary,
      // The synthetic checks cost ≈ $52 a month in every environment that runs them; the tests exercise the same paths.
      syntheticChecks: props.settings.syntheticChecks,
      integrationTestInvoker: {
        roleName: sandboxTestInvokerRoleName(props.pipelineName),
        trustedRoleArn: stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: sandboxTestsRoleName(props.pipelineName) }),
      },
    });

    this.reportGroup = new codebuild.ReportGroup(this, 'Reports', {
      reportGroupName: `${props.pipelineName}-integration-tests`,
      type: codebuild.ReportGroupType.TEST,
      removalPolicy: cdk.RemovalPolicy.DESTROY,
    });
    this.reportGroup.grantWrite(this.testsRole);
    // Spelled out rather than the group's (tokenized) ARN, so the buildspec stays one plain JSON string in the template.
    const { account, region } = props.deployment;
    const partition = region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
    const reportGroupArn = `arn:${partition}:codebuild:${region}:${account}:report-group/${props.pipelineName}-integration-tests`;

    this.tests = new pipelines.CodeBuildStep(INTEGRATION_TESTS_ACTION, {
      input: props.source,
      role: this.testsRole,
      envFromCfnOutputs: { API_URL: this.stage.service.apiUrlOutput, TILE_SERVER_URL: this.stage.service.tileServerUrlOutput },
      env: { CI: 'true', INTEGRATION_ROLE_ARN: this.invokerRoleArn },
      installCommands: ['npm ci --no-audit --no-fund'],
      // The jest run fails the action, and so the stage, before Dev; the report names each failed test.
      commands: ['npm run -s test:integration'],
      partialBuildSpec: codebuild.BuildSpec.fromObject({
        reports: {
          [reportGroupArn]: { files: ['junit.xml'], 'base-directory': INTEGRATION_REPORT_DIRECTORY, 'file-format': 'JUNITXML' },
        },
      }),
    });

    this.pre = props.settings.recreate ? [this.recreateStep(props)] : [];
    NagSuppressions.addResourceSuppressions(
      this.testsRole,
      [{ id: 'AwsSolutions-IAM5', reason: "CDK Pipelines' grants on the artifact bucket and the build's log streams use wildcards within those resources only." }],
      true,
    );
  }

  /**
   * With `recreate`: delete `Pipeline-Service` before the deployment creates it again, through the sandbox account's
   * CDK deploy role (the role `cdk destroy` uses; the sandbox account is bootstrapped trusting the deployment account).
   */
  private recreateStep(props: PipelineSandboxProps): pipelines.CodeBuildStep {
    const { sandbox } = props;
    const deployRole = `arn:${cdk.Aws.PARTITION}:iam::${sandbox.account}:role/cdk-hnb659fds-deploy-role-${sandbox.account}-${sandbox.region}`;
    const stackName = this.stage.service.stackName;
    return new pipelines.CodeBuildStep(RECREATE_ACTION, {
      env: { DEPLOY_ROLE: deployRole, STACK: stackName, AWS_REGION: sandbox.region },
      commands: [
        'creds=$(aws sts assume-role --role-arn "$DEPLOY_ROLE" --role-session-name recreate-pipeline-sandbox --query Credentials --output json)',
        'export AWS_ACCESS_KEY_ID=$(echo "$creds" | jq -r .AccessKeyId) AWS_SECRET_ACCESS_KEY=$(echo "$creds" | jq -r .SecretAccessKey) AWS_SESSION_TOKEN=$(echo "$creds" | jq -r .SessionToken)',
        'aws cloudformation delete-stack --stack-name "$STACK" --region "$AWS_REGION"',
        'aws cloudformation wait stack-delete-complete --stack-name "$STACK" --region "$AWS_REGION"',
      ],
      rolePolicyStatements: [new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [deployRole] })],
    });
  }

  /**
   * A failed integration-tests action is announced on the release topic (EventBridge: CodePipeline's action
   * execution state change → SNS, "Monitoring CodePipeline events"). The topic's KMS key lets EventBridge encrypt
   * for this rule only.
   */
  announceFailuresOn(pipeline: codepipeline.IPipeline, topic: sns.ITopic): events.Rule {
    // A fixed name: the key's policy names the rule, and a reference to it would close a cycle (key → rule → topic → key).
    const ruleName = `${this.pipelineName}-sandbox-tests-failed`;
    const rule = new events.Rule(this, 'TestsFailed', {
      ruleName,
      description: 'The integration tests against the pipeline sandbox failed: the release stopped before Dev',
      eventPattern: {
        source: ['aws.codepipeline'],
        detailType: ['CodePipeline Action Execution State Change'],
        detail: { pipeline: [pipeline.pipelineName], stage: [SANDBOX_STAGE_NAME], action: [INTEGRATION_TESTS_ACTION], state: ['FAILED'] },
      },
    });
    rule.addTarget(
      new targets.SnsTopic(topic, {
        message: events.RuleTargetInput.fromText(
          `Integration tests against the pipeline sandbox FAILED in execution ${events.EventField.fromPath('$.detail.execution-id')} of ${events.EventField.fromPath('$.detail.pipeline')}: the release stopped before Dev. The CodeBuild report group ${this.reportGroup.reportGroupName} names the failed tests.`,
        ),
      }),
    );
    const key = topic instanceof sns.Topic ? topic.masterKey : undefined;
    key?.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { ArnEquals: { 'aws:SourceArn': cdk.Stack.of(this).formatArn({ service: 'events', resource: 'rule', resourceName: ruleName }) } },
      }),
    );
    return rule;
  }
}
