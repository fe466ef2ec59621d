import * as cdk from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { type SmokeRequest, validateSmokeRequest } from '../../lambdas/pre-traffic-hook/core';
import type { TrafficShift } from '../canary-settings';
import { NodejsLambda } from '../lambda-defaults';
import { ALARM_JUDGEMENT, ALARM_PERIOD } from './alarm-judgement';

/** The request the pre-traffic hook sends to the new version, and what it must answer. */
export interface SmokeTest {
  /** Sent as an API Gateway HTTP API (payload 2.0) event. */
  readonly request: SmokeRequest;
  /**
   * The HTTP status the answer must carry.
   *
   * @default 200
   */
  readonly expectedStatusCode?: number;
  /**
   * How long the new version has to answer, its cold start included.
   *
   * @default Duration.seconds(10)
   */
  readonly timeout?: cdk.Duration;
}

export interface CanaryDeploymentProps {
  /** The alias whose traffic CodeDeploy shifts; its version must be the function's `currentVersion`. */
  readonly alias: lambda.Alias;
  /** How traffic moves to the new version. */
  readonly deploymentConfig: codedeploy.ILambdaDeploymentConfig;
  /**
   * Alarms that stop and roll back a deployment besides the new version's own, e.g. the API's 5xx rate.
   * Metric alarms only: CodeDeploy does not read composite alarms.
   *
   * @default - only the new version's alarms
   */
  readonly alarms?: cloudwatch.IAlarm[];
  /** The smoke test the pre-traffic hook runs against the new version before any traffic moves. */
  readonly smokeTest: SmokeTest;
  /**
   * Prefix of the new-version alarms' names (`<prefix>-NewVersionErrors`, ...).
   *
   * @default - CloudFormation-generated names
   */
  readonly alarmNamePrefix?: string;
  /**
   * The new version's p99 duration above which the deployment rolls back.
   *
   * @default Duration.seconds(1)
   */
  readonly latencyThreshold?: cdk.Duration;
  /**
   * What happens to the hook's log group when the stack is deleted.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: cdk.RemovalPolicy;
}

/**
 * Releases a Lambda alias through CodeDeploy: a pre-traffic hook smoke-tests the new version before any traffic
 * moves, traffic then shifts by the given configuration, and alarms on the new version (and any given alarms)
 * stop the shift and move all traffic back. Every update of the alias's version in CloudFormation becomes such
 * a deployment; a rollback fails the stack update.
 *
 * The new-version alarms read the alias's metrics split by `ExecutedVersion`, so during a 10 % canary they see
 * only the new version's requests, undiluted by the 90 % the old version still serves. The hook's own direct
 * invocation of the version counts under the version's `Resource` dimension, not the alias's, and so never
 * trips them. They are updated to the new version before the alias moves (explicit dependency).
 */
export class CanaryDeployment extends Construct {
  /**
   * The CodeDeploy configuration for a traffic shift: CodeDeploy's own predefined configuration when there is
   * one, else a custom `AWS::CodeDeploy::DeploymentConfig`.
   */
  static deploymentConfig(scope: Construct, id: string, shift: TrafficShift): codedeploy.ILambdaDeploymentConfig {
    if (shift.predefinedName) return codedeploy.LambdaDeploymentConfig.fromLambdaDeploymentConfigName(scope, id, shift.predefinedName);
    if (shift.type === 'allAtOnce') return codedeploy.LambdaDeploymentConfig.ALL_AT_ONCE;
    const props = { interval: cdk.Duration.minutes(shift.intervalMinutes), percentage: shift.percent };
    const trafficRouting = shift.type === 'canary' ? codedeploy.TrafficRouting.timeBasedCanary(props) : codedeploy.TrafficRouting.timeBasedLinear(props);
    return new codedeploy.LambdaDeploymentConfig(scope, id, { trafficRouting });
  }

  readonly deploymentGroup: codedeploy.LambdaDeploymentGroup;
  /** The BeforeAllowTraffic hook. */
  readonly preTrafficHook: NodejsLambda;
  /** Errors, throttles and p99 duration of the new version. */
  readonly newVersionAlarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: CanaryDeploymentProps) {
    super(scope, id);
    const { alias } = props;
    const version = alias.version;
    const smokeTest = props.smokeTest;
    validateSmokeRequest(smokeTest.request);
    const expectedStatusCode = smokeTest.expectedStatusCode ?? 200;
    const timeout = smokeTest.timeout ?? cdk.Duration.seconds(10);

    this.newVersionAlarms = this.createNewVersionAlarms(alias, props.alarmNamePrefix, props.latencyThreshold ?? cdk.Duration.seconds(1));

    this.preTrafficHook = new NodejsLambda(this, 'PreTrafficHook', {
      entry: 'lambdas/pre-traffic-hook/index.ts',
      description: `Smoke-tests a new version of ${alias.aliasName} before CodeDeploy shifts traffic to it`,
      // The Invoke wait plus the report to CodeDeploy.
      timeout: timeout.plus(cdk.Duration.seconds(20)),
      logRemovalPolicy: props.logRemovalPolicy,
      environment: {
        // The qualified ARN of the version this stack update publishes: the version CodeDeploy is deploying.
        TARGET_FUNCTION_ARN: version.functionArn,
        SMOKE_REQUEST: JSON.stringify(smokeTest.request),
        EXPECTED_STATUS_CODE: String(expectedStatusCode),
        SMOKE_TIMEOUT_MS: String(timeout.toMilliseconds()),
      },
    });
    // Only versions of the released function; a new version number each release, hence the wildcard.
    this.preTrafficHook.addToRolePolicy(new iam.PolicyStatement({
      actions: ['lambda:InvokeFunction'],
      resources: [`${version.lambda.functionArn}:*`],
    }));

    this.deploymentGroup = new codedeploy.LambdaDeploymentGroup(this, 'DeploymentGroup', {
      alias,
      deploymentConfig: props.deploymentConfig,
      alarms: [...this.newVersionAlarms, ...(props.alarms ?? [])],
      autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: true },
      // Grants the hook PutLifecycleEventHookExecutionStatus on this group, and CodeDeploy's role the right to
      // invoke the hook: the managed role policy alone only allows functions named CodeDeployHook_*.
      preHook: this.preTrafficHook,
    });

    // The alias update starts the CodeDeploy deployment; by then the hook must know the new version and the
    // alarms must watch it.
    alias.node.addDependency(this.preTrafficHook, ...this.newVersionAlarms);

    NagSuppressions.addResourceSuppressions(this.deploymentGroup, [
      {
        id: 'AwsSolutions-IAM4',
        reason: "AWSCodeDeployRoleForLambdaLimited is CodeDeploy's documented service role policy for Lambda deployments.",
        appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited'],
      },
      {
        id: 'AwsSolutions-IAM5',
        reason: "CDK's grant lets CodeDeploy invoke the hook function and its versions, nothing else.",
        appliesTo: [{ regex: '/^Resource::<.*PreTrafficHook.*\\.Arn>:\\*$/' }],
      },
    ], true);
    NagSuppressions.addResourceSuppressions(this.preTrafficHook, [
      {
        id: 'AwsSolutions-IAM5',
        reason: 'The hook invokes whichever version of the released function is being deployed; the wildcard covers only that function\'s version qualifiers.',
        appliesTo: [{ regex: '/^Resource::<.*\\.Arn>:\\*$/' }],
      },
    ], true);
  }

  private createNewVersionAlarms(alias: lambda.Alias, prefix: string | undefined, latencyThreshold: cdk.Duration): cloudwatch.Alarm[] {
    const functionName = alias.version.lambda.functionName;
    const aliasDimensions = { FunctionName: functionName, Resource: `${functionName}:${alias.aliasName}` };
    const newVersionDimensions = { ...aliasDimensions, ExecutedVersion: alias.version.version };
    const metric = (metricName: string, statistic: string, dimensionsMap: Record<string, string>) =>
      new cloudwatch.Metric({ namespace: 'AWS/Lambda', metricName, statistic, period: ALARM_PERIOD, dimensionsMap });
    const alarm = (id: string, description: string, m: cloudwatch.Metric, threshold: number) =>
      m.createAlarm(this, id, {
        ...ALARM_JUDGEMENT,
        alarmName: prefix ? `${prefix}-${id}` : undefined,
        alarmDescription: description,
        threshold,
      });
    return [
      alarm('NewVersionErrors', 'The version being deployed failed invocations.', metric('Errors', 'Sum', newVersionDimensions), 0),
      alarm('NewVersionLatencyP99', `The version being deployed ran longer than ${latencyThreshold.toMilliseconds()} ms at p99.`,
        metric('Duration', 'p99', newVersionDimensions), latencyThreshold.toMilliseconds()),
      // Throttles are counted on the alias as a whole: concurrency is shared by the versions, and whether Lambda
      // splits throttles by ExecutedVersion is not documented. A throttle during the shift rolls back.
      alarm('AliasThrottles', 'Requests to the alias were throttled during the deployment.', metric('Throttles', 'Sum', aliasDimensions), 0),
    ];
  }
}
