import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import { RELEASE_VERSION_VARIABLE } from '@tollgate/constructs/lib/domain/release-version';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { type CanarySettings, DEFAULT_CANARY_SETTINGS, PREDEFINED_LAMBDA_SHIFTS, SANDBOX_TILE_SERVER_SHIFT } from '../canary-settings';
import { NodejsLambda } from '../lambda-defaults';
import { AlarmEventForwarder, AlarmReaderRole, EnvironmentHealthAlarm } from '@tollgate/constructs';
import { ALARM_JUDGEMENT, ALARM_PERIOD } from './alarm-judgement';
import { CanaryDeployment } from './canary-deployment';
import { SyntheticChecks } from './synthetic-checks';
import { TABLE_SCHEMA, tableSchemaVersion } from './table-schema';
import { availabilityZonesWithoutLookup, TileServer } from './tile-server';

/** Which kind of environment a service stack is: it decides what survives a `cdk destroy`. */
export type EnvironmentKind = 'sandbox' | 'dev' | 'prod';

/** What a release gate in another account needs from an environment it watches. */
export interface GateAccess {
  /** Account of the gate's role. */
  readonly gateAccount: string;
  /**
   * Names of the roles in `gateAccount` allowed to assume the reader role, each by its exact ARN: the gate's
   * role, and the operator role through which `tollgate status` reads this environment's alarms.
   */
  readonly trustedRoleNames: readonly string[];
  /** Physical name of the read-only role the gate assumes here. */
  readonly readerRoleName: string;
  /**
   * The gate's event bus, which receives the state changes of the watched alarms.
   *
   * @default - none forwarded: the gate's bus is this account's and region's own
   */
  readonly eventBusArn?: string;
  /**
   * Alarms whose state changes are forwarded besides the environment's health alarm.
   *
   * @default []
   */
  readonly extraAlarmNames?: string[];
}

export interface ServiceStackProps extends cdk.StackProps {
  /** `sandbox` stacks are disposable; `dev` and `prod` keep their data. */
  readonly environmentKind: EnvironmentKind;
  /**
   * How releases reach the API and the tile server. Sandboxes always shift all at once.
   *
   * @default DEFAULT_CANARY_SETTINGS
   */
  readonly canary?: CanarySettings;
  /**
   * Lets a release gate read this environment's alarms and hear of their state changes.
   *
   * @default - no gate access (sandboxes)
   */
  readonly gateAccess?: GateAccess;
  /**
   * Runs the synthetic checks canary ({@link SyntheticChecks}) once a minute, so the environment has traffic for
   * its alarms to judge even when nobody uses it. Each run costs about $0.0012 (CloudWatch pricing, us-east-1):
   * 60 runs × 24 h × 30 days = 43,200 runs ≈ $52 a month per environment, plus the canary's Lambda time and logs.
   *
   * @default - true for dev and prod, false for sandboxes
   */
  readonly syntheticChecks?: boolean;
  /**
   * A role in this account that integration tests elsewhere assume to sign the API's writes: HTTP APIs take no
   * resource policy, so a caller in another account needs a role here ("cross-account IAM authorization for
   * API Gateway HTTP APIs", AWS Knowledge Center). Trusted by exactly one role ARN.
   *
   * @default - none
   */
  readonly integrationTestInvoker?: IntegrationTestInvokerProps;
  /**
   * The release version the pipeline's Build assigned (`v1.4.17`): the API answers it in `/health` and in the
   * `x-release-version` header.
   *
   * @default - none: the API reports `unreleased`
   */
  readonly releaseVersion?: string;
}

/** {@link ServiceStackProps.integrationTestInvoker}: the role integration tests assume to write to the API. */
export interface IntegrationTestInvokerProps {
  /** Physical name of the role here (fixed, so the caller can name it before it exists). */
  readonly roleName: string;
  /** The exact ARN of the role that may assume it (the tests' CodeBuild role). */
  readonly trustedRoleArn: string;
}

/**
 * The sample service Tollgate releases, a stand-in for the team's real API: an HTTP API in front of a Lambda
 * alias, a DynamoDB table, and the alarms that define the environment's health.
 */
export class ServiceStack extends cdk.Stack {
  readonly environmentKind: EnvironmentKind;
  readonly table: dynamodb.TableV2;
  readonly handler: NodejsLambda;
  /** The alias the API invokes; a deployment shifts traffic by moving it between versions. */
  readonly alias: lambda.Alias;
  readonly api: apigwv2.HttpApi;
  /** `PUT /items/{id}`: the API's only write, for IAM principals granted `execute-api:Invoke` on it. */
  readonly itemWriteRoute: apigwv2.HttpRoute;
  /**
   * The service's own alarms: API 5xx rate, API p99 latency, Lambda errors, Lambda throttles, and the tile
   * server's target 5xx and unhealthy targets, and the synthetic checks' failed runs when they run.
   */
  readonly alarms: cloudwatch.Alarm[];
  /** The canary that sends the environment traffic every minute, when `syntheticChecks` is on. */
  readonly syntheticChecks?: SyntheticChecks;
  /** Releases of the API alias: pre-traffic smoke test, traffic shift, rollback on alarm. */
  readonly canaryDeployment: CanaryDeployment;
  readonly tileServer: TileServer;
  /** In ALARM while any of {@link alarms} is: the environment's health, `<stage>-Service-Health`. */
  readonly healthAlarm: cloudwatch.CompositeAlarm;
  /** The API's endpoint, `ApiUrl`: what integration tests read (`envFromCfnOutputs`). */
  readonly apiUrlOutput: cdk.CfnOutput;
  /** The tile server's load balancer URL, `TileServerUrl`. */
  readonly tileServerUrlOutput: cdk.CfnOutput;
  /** The role integration tests in another account assume to sign writes, when asked for. */
  readonly integrationTestInvoker?: iam.Role;

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, props);
    this.environmentKind = props.environmentKind;
    // Sandboxes are disposable: every resource is removed with the stack.
    const ephemeral = props.environmentKind === 'sandbox';
    const removalPolicy = ephemeral ? cdk.RemovalPolicy.DESTROY : cdk.RemovalPolicy.RETAIN;
    // Alarm names carry the stage name so dev, prod and every sandbox own distinct alarms in shared accounts.
    const stageName = cdk.Stage.of(this)?.stageName ?? 'Local';
    const prefix = `${stageName}-Service`;

    this.table = new dynamodb.TableV2(this, 'Items', {
      partitionKey: { name: TABLE_SCHEMA.partitionKey, type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: !ephemeral,
      removalPolicy,
    });

    this.handler = new NodejsLambda(this, 'Handler', {
      entry: 'lambdas/api/index.ts',
      description: 'Sample service API',
      environment: { TABLE_NAME: this.table.tableName, ...(props.releaseVersion ? { [RELEASE_VERSION_VARIABLE]: props.releaseVersion } : {}) },
      logRemovalPolicy: removalPolicy,
      // Old versions stay published so CodeDeploy can shift back to them (keep the old version as failover).
      currentVersionOptions: { removalPolicy: cdk.RemovalPolicy.RETAIN },
    });
    this.table.grantReadWriteData(this.handler);
    this.alias = new lambda.Alias(this, 'Live', { aliasName: 'live', version: this.handler.currentVersion });

    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy });
    const live = new HttpLambdaIntegration('Live', this.alias);
    this.api = new apigwv2.HttpApi(this, 'Api', {
      description: `Sample service API (${prefix})`,
      // The catch-all `$default` route stays public and goes to the function, so any request no route below
      // matches (an unknown path, another method) still gets the route core's own 404 or 405. API Gateway picks
      // the most specific matching route first, so `$default` never sees `PUT /items/{id}` (API Gateway
      // Developer Guide, "Working with routes for HTTP APIs"); the function refuses unauthorized writes too.
      defaultIntegration: live,
      createDefaultStage: false,
    });
    const publicReads = [
      ...this.api.addRoutes({ path: '/health', methods: [apigwv2.HttpMethod.GET], integration: live }),
      ...this.api.addRoutes({ path: '/items/{id}', methods: [apigwv2.HttpMethod.GET], integration: live }),
    ];
    // Writes need a SigV4 signature from a principal allowed `execute-api:Invoke` on this route.
    [this.itemWriteRoute] = this.api.addRoutes({
      path: '/items/{id}',
      methods: [apigwv2.HttpMethod.PUT],
      integration: live,
      authorizer: new HttpIamAuthorizer(),
    });
    this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      accessLogSettings: { destination: new apigwv2.LogGroupLogDestination(accessLogs) },
      throttle: { rateLimit: 100, burstLimit: 200 },
    });

    const canary = props.canary ?? DEFAULT_CANARY_SETTINGS;
    const apiAlarms = this.createAlarms(prefix);
    const shift = props.environmentKind === 'sandbox' ? PREDEFINED_LAMBDA_SHIFTS.ALL_AT_ONCE : canary[props.environmentKind];
    this.canaryDeployment = new CanaryDeployment(this, 'Canary', {
      alias: this.alias,
      deploymentConfig: CanaryDeployment.deploymentConfig(this, 'DeploymentConfig', shift),
      // Alias-wide: the share of requests the new version fails shows in the API's 5xx rate too.
      alarms: [apiAlarms.api5xxRate],
      smokeTest: { request: { method: 'GET', path: '/health' }, expectedStatusCode: 200 },
      alarmNamePrefix: prefix,
      logRemovalPolicy: removalPolicy,
    });

    this.tileServer = new TileServer(this, 'TileServer', {
      imageDirectory: path.join(__dirname, '..', '..', 'service', 'tile-server'),
      schemaVersion: tableSchemaVersion(TABLE_SCHEMA),
      cpu: canary.tileServer.cpu,
      memoryLimitMiB: canary.tileServer.memoryMiB,
      desiredCount: props.environmentKind === 'prod' ? canary.tileServer.prodDesiredCount : 1,
      certificateArn: props.environmentKind === 'sandbox' ? undefined : canary.tileServer.certificateArns[props.environmentKind],
      trafficShift: props.environmentKind === 'sandbox' ? SANDBOX_TILE_SERVER_SHIFT : canary.tileServer[props.environmentKind],
      alarmNamePrefix: prefix,
      removalPolicy,
    });

    const tileServerUrl = `http://${this.tileServer.loadBalancer.loadBalancerDnsName}`;

    if (props.syntheticChecks ?? !ephemeral) {
      this.syntheticChecks = new SyntheticChecks(this, 'SyntheticChecks', {
        stageName,
        apiUrl: this.api.apiEndpoint,
        tileServerUrl,
        itemWriteRoute: this.itemWriteRoute,
        alarmName: `${prefix}-SyntheticChecks`,
        removalPolicy,
      });
    }

    this.alarms = [
      ...Object.values(apiAlarms),
      ...this.tileServer.deploymentAlarms,
      ...(this.syntheticChecks ? [this.syntheticChecks.alarm] : []),
    ];
    this.healthAlarm = new EnvironmentHealthAlarm(this, 'Health', {
      alarmName: `${prefix}-Health`,
      alarms: this.alarms,
    }).alarm;
    if (props.gateAccess) this.grantGateAccess(props.gateAccess);

    this.apiUrlOutput = new cdk.CfnOutput(this, 'ApiUrl', { value: this.api.apiEndpoint });
    new cdk.CfnOutput(this, 'HealthAlarmName', { value: this.healthAlarm.alarmName });
    this.tileServerUrlOutput = new cdk.CfnOutput(this, 'TileServerUrl', { value: tileServerUrl });
    if (props.integrationTestInvoker) {
      this.integrationTestInvoker = new iam.Role(this, 'IntegrationTestInvoker', {
        roleName: props.integrationTestInvoker.roleName,
        assumedBy: new iam.ArnPrincipal(props.integrationTestInvoker.trustedRoleArn),
        description: 'Integration tests of the release pipeline sign the API writes with this role',
        maxSessionDuration: cdk.Duration.hours(1),
      });
      this.itemWriteRoute.grantInvoke(this.integrationTestInvoker);
      NagSuppressions.addResourceSuppressions(this.integrationTestInvoker, [
        { id: 'AwsSolutions-IAM5', reason: 'execute-api:Invoke on the one write route, PUT /items/*, of this API only; the wildcards are its stage and item id.' },
      ], true);
    }
    if (this.syntheticChecks) new cdk.CfnOutput(this, 'SyntheticChecksCanaryName', { value: this.syntheticChecks.canaryName });

    // Only the reads are public; the write route has an IAM authorizer and needs no suppression.
    NagSuppressions.addResourceSuppressions([this.api.node.findChild('DefaultRoute'), ...publicReads], [
      { id: 'AwsSolutions-APIG4', reason: 'Reads of the sample service are public open data, and every write goes to the IAM-authorized PUT route.' },
    ], true);
  }

  /** Chosen by CloudFormation, not looked up: synth runs offline (the tile server's VPC needs two). */
  override get availabilityZones(): string[] {
    return availabilityZonesWithoutLookup();
  }

  private grantGateAccess(access: GateAccess): void {
    new AlarmReaderRole(this, 'GateAlarmReader', {
      roleName: access.readerRoleName,
      trustedAccount: access.gateAccount,
      trustedRoleNames: access.trustedRoleNames,
      // The gate rejects a bake during which this stack was updated outside the pipeline.
      stackName: this.stackName,
    });
    if (access.eventBusArn) {
      new AlarmEventForwarder(this, 'GateAlarmEvents', {
        alarmNames: [this.healthAlarm.alarmName, ...(access.extraAlarmNames ?? [])],
        targetEventBusArn: access.eventBusArn,
      });
    }
  }

  /** The alarms that define the service's health, judged alike ({@link ALARM_JUDGEMENT}). */
  private createAlarms(prefix: string): Record<'api5xxRate' | 'apiLatencyP99' | 'lambdaErrors' | 'lambdaThrottles', cloudwatch.Alarm> {
    const period = ALARM_PERIOD;
    const fiveXxRate = new cloudwatch.MathExpression({
      expression: 'IF(requests > 0, 100 * errors / requests, 0)',
      usingMetrics: {
        errors: this.api.metricServerError({ period, statistic: 'Sum' }),
        requests: this.api.metricCount({ period, statistic: 'Sum' }),
      },
      period,
      label: 'API 5xx rate (%)',
    });
    return {
      api5xxRate: fiveXxRate.createAlarm(this, 'Api5xxRateAlarm', {
        ...ALARM_JUDGEMENT,
        alarmName: `${prefix}-Api5xxRate`,
        alarmDescription: 'More than 1% of API requests answered 5xx.',
        threshold: 1,
      }),
      apiLatencyP99: this.api.metricLatency({ period, statistic: 'p99' }).createAlarm(this, 'ApiLatencyP99Alarm', {
        ...ALARM_JUDGEMENT,
        alarmName: `${prefix}-ApiLatencyP99`,
        alarmDescription: 'API p99 latency above 1 s.',
        threshold: 1000,
      }),
      lambdaErrors: this.handler.metricErrors({ period, statistic: 'Sum' }).createAlarm(this, 'LambdaErrorsAlarm', {
        ...ALARM_JUDGEMENT,
        alarmName: `${prefix}-LambdaErrors`,
        alarmDescription: 'The API function failed invocations.',
        threshold: 0,
      }),
      lambdaThrottles: this.handler.metricThrottles({ period, statistic: 'Sum' }).createAlarm(this, 'LambdaThrottlesAlarm', {
        ...ALARM_JUDGEMENT,
        alarmName: `${prefix}-LambdaThrottles`,
        alarmDescription: 'The API function was throttled.',
        threshold: 0,
      }),
    };
  }
}
