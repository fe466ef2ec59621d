import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { type CanarySettings, DEFAULT_CANARY_SETTINGS, PREDEFINED_LAMBDA_SHIFTS } from '../canary-settings';
import { NodejsLambda } from '../lambda-defaults';
import { AlarmEventForwarder } from './alarm-event-forwarder';
import { ALARM_JUDGEMENT, ALARM_PERIOD } from './alarm-judgement';
import { AlarmReaderRole } from './alarm-reader-role';
import { CanaryDeployment } from './canary-deployment';
import { StageAlarmReaderRole } from '../pipeline/stage-alarm-reader-role';
import { EnvironmentHealthAlarm } from './environment-health-alarm';
import { TABLE_SCHEMA, tableSchemaVersion } from './table-schema';
import { availabilityZonesWithoutLookup, TileServer } from './tile-server';

/** Which kind of environment a service stack is: it decides what survives a `cdk destroy`. */
export type EnvironmentKind = 'sandbox' | 'dev' | 'prod';

/** What a release gate in another account needs from an environment it watches. */
export interface GateAccess {
  /** Account of the gate's role. */
  readonly gateAccount: string;
  /** Name of the gate's role: the only role allowed to assume the reader role. */
  readonly gateRoleName: string;
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
   * The account of a release pipeline that watches this stage's health alarm (stage conditions): gives it a
   * role here, {@link ServiceStack.pipelineAlarmReaderRoleName}, to read the alarm with.
   *
   * @default - no pipeline reads the alarm
   */
  readonly pipelineAccount?: string;
  /**
   * Lets a release gate read this environment's alarms and hear of their state changes.
   *
   * @default - no gate access (sandboxes)
   */
  readonly gateAccess?: GateAccess;
}

/**
 * The sample service Tollgate releases (after the LeadOut API of seed 002): an HTTP API in front of a Lambda
 * alias, a DynamoDB table, and the alarms that define the environment's health.
 */
export class ServiceStack extends cdk.Stack {
  readonly environmentKind: EnvironmentKind;
  readonly table: dynamodb.TableV2;
  readonly handler: NodejsLambda;
  /** The alias the API invokes; a deployment shifts traffic by moving it between versions. */
  readonly alias: lambda.Alias;
  readonly api: apigwv2.HttpApi;
  /**
   * The service's own alarms: API 5xx rate, API p99 latency, Lambda errors, Lambda throttles, and the tile
   * server's target 5xx and unhealthy targets.
   */
  readonly alarms: cloudwatch.Alarm[];
  /** Releases of the API alias: pre-traffic smoke test, traffic shift, rollback on alarm. */
  readonly canaryDeployment: CanaryDeployment;
  readonly tileServer: TileServer;
  /** In ALARM while any of {@link alarms} is: the environment's health, `<stage>-Service-Health`. */
  readonly healthAlarm: cloudwatch.CompositeAlarm;
  /** Name of the role the pipeline's stage conditions read {@link healthAlarm} through, when `pipelineAccount` is set. */
  readonly pipelineAlarmReaderRoleName?: string;

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, props);
    this.environmentKind = props.environmentKind;
    // Sandboxes are disposable: every resource is removed with the stack.
    const ephemeral = props.environmentKind === 'sandbox';
    const removalPolicy = ephemeral ? cdk.RemovalPolicy.DESTROY : cdk.RemovalPolicy.RETAIN;
    // Alarm names carry the stage name so dev, prod and every sandbox own distinct alarms in shared accounts.
    const prefix = `${cdk.Stage.of(this)?.stageName ?? 'Local'}-Service`;

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
      environment: { TABLE_NAME: this.table.tableName },
      logRemovalPolicy: removalPolicy,
      // Old versions stay published so CodeDeploy can shift back to them (keep the old version as failover).
      currentVersionOptions: { removalPolicy: cdk.RemovalPolicy.RETAIN },
    });
    this.table.grantReadWriteData(this.handler);
    this.alias = new lambda.Alias(this, 'Live', { aliasName: 'live', version: this.handler.currentVersion });

    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy });
    this.api = new apigwv2.HttpApi(this, 'Api', {
      description: `Sample service API (${prefix})`,
      defaultIntegration: new HttpLambdaIntegration('Live', this.alias),
      createDefaultStage: false,
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
      alarmNamePrefix: prefix,
      removalPolicy,
    });

    this.alarms = [...Object.values(apiAlarms), ...this.tileServer.deploymentAlarms];
    this.healthAlarm = new EnvironmentHealthAlarm(this, 'Health', {
      alarmName: `${prefix}-Health`,
      alarms: this.alarms,
    }).alarm;
    if (props.pipelineAccount) {
      this.pipelineAlarmReaderRoleName = `${prefix}-PipelineAlarmReader`;
      new StageAlarmReaderRole(this, 'HealthAlarmReader', {
        roleName: this.pipelineAlarmReaderRoleName,
        pipelineAccount: props.pipelineAccount,
        alarms: [this.healthAlarm],
      });
    }

    if (props.gateAccess) this.grantGateAccess(props.gateAccess);

    new cdk.CfnOutput(this, 'ApiUrl', { value: this.api.apiEndpoint });
    new cdk.CfnOutput(this, 'HealthAlarmName', { value: this.healthAlarm.alarmName });
    new cdk.CfnOutput(this, 'TileServerUrl', { value: `http://${this.tileServer.loadBalancer.loadBalancerDnsName}` });

    NagSuppressions.addResourceSuppressions(this.api, [
      { id: 'AwsSolutions-APIG4', reason: 'The sample service is a public open-data API; it serves no private data.' },
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
      trustedRoleName: access.gateRoleName,
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
