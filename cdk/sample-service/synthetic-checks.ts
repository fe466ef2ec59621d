import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as synthetics from 'aws-cdk-lib/aws-synthetics';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { syntheticChecksCanaryName, syntheticChecksMetric } from '../../lambdas/shared/synthetic-checks';
import { ALARM_JUDGEMENT, ALARM_PERIOD } from './alarm-judgement';
import { BundledCanaryCode } from './bundled-canary-code';

export interface SyntheticChecksProps {
  /** The stage the checks watch; names the canary, `<stage>-service-checks` in lowercase. */
  readonly stageName: string;
  /** The HTTP API's endpoint (`https://<id>.execute-api.<region>.amazonaws.com`). */
  readonly apiUrl: string;
  /** The tile server's base URL (`http://<load balancer>`). */
  readonly tileServerUrl: string;
  /** The API's IAM-authorized write route; the canary gets `execute-api:Invoke` on it and nothing else of the API. */
  readonly itemWriteRoute: apigwv2.IHttpRoute;
  /** Physical name of the alarm on failed runs, e.g. `Dev-Service-SyntheticChecks`. */
  readonly alarmName: string;
  /**
   * How often the canary runs. Each run costs about $0.0012, so once a minute is about $52 a month.
   *
   * @default Duration.minutes(1)
   */
  readonly schedule?: cdk.Duration;
  /**
   * How long each request may take. Five requests run one after another and must finish within a run, whose
   * timeout is the schedule's period (at most 15 minutes).
   *
   * @default Duration.seconds(8)
   */
  readonly requestTimeout?: cdk.Duration;
  /**
   * How long run artifacts (logs, reports) are kept, in the bucket and in Synthetics' run history.
   *
   * @default Duration.days(7)
   */
  readonly artifactRetention?: cdk.Duration;
  /**
   * What happens to the artifacts bucket when the stack is deleted; with DESTROY its objects are deleted first.
   *
   * @default cdk.RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: cdk.RemovalPolicy;
}

/**
 * A CloudWatch Synthetics canary that exercises the service's real paths on a schedule (the API's health, a
 * signed write and its read-back, the tile server's health and a tile), so an environment without users still
 * has traffic for its alarms to judge, and an alarm on the canary's own failed runs.
 */
export class SyntheticChecks extends Construct {
  /** The canary's name as a plain string, the same as {@link syntheticChecksCanaryName} gives the bake gate. */
  readonly canaryName: string;
  readonly canary: synthetics.Canary;
  readonly role: iam.Role;
  readonly artifactsBucket: s3.Bucket;
  /** In ALARM after two consecutive one-minute periods with a failed run. */
  readonly alarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: SyntheticChecksProps) {
    super(scope, id);
    this.canaryName = syntheticChecksCanaryName(props.stageName);
    const retention = props.artifactRetention ?? cdk.Duration.days(7);
    const removalPolicy = props.removalPolicy ?? cdk.RemovalPolicy.RETAIN;

    this.artifactsBucket = new s3.Bucket(this, 'Artifacts', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      lifecycleRules: [{ expiration: retention }],
      removalPolicy,
      // A disposable stack must be deletable while the bucket still holds artifacts.
      autoDeleteObjects: removalPolicy === cdk.RemovalPolicy.DESTROY,
    });

    this.role = this.createRole();
    this.canary = new synthetics.Canary(this, 'Canary', {
      canaryName: this.canaryName,
      runtime: synthetics.Runtime.SYNTHETICS_NODEJS_PUPPETEER_13_0,
      test: synthetics.Test.custom({
        handler: 'index.handler',
        code: new BundledCanaryCode({ entry: path.join(__dirname, '..', '..', 'lambdas', 'synthetic-checks', 'index.ts') }),
      }),
      schedule: synthetics.Schedule.rate(props.schedule ?? cdk.Duration.minutes(1)),
      environmentVariables: {
        API_URL: props.apiUrl,
        TILE_SERVER_URL: props.tileServerUrl,
        CHECK_TIMEOUT_MS: String((props.requestTimeout ?? cdk.Duration.seconds(8)).toMilliseconds()),
      },
      role: this.role,
      artifactsBucketLocation: { bucket: this.artifactsBucket },
      artifactS3EncryptionMode: synthetics.ArtifactsEncryptionMode.S3_MANAGED,
      successRetentionPeriod: retention,
      failureRetentionPeriod: retention,
      // The canary's Lambda function and layers go when the canary does.
      provisionedResourceCleanup: true,
    });
    props.itemWriteRoute.grantInvoke(this.role);
    // After the grant: the suppression reaches the default policy only once it exists.
    NagSuppressions.addResourceSuppressions(this.role, [
      {
        id: 'AwsSolutions-IAM5',
        reason: 'The write route takes any item id in any stage; the grant is that one route and method (PUT /items/{id}).',
        appliesTo: [{ regex: '/^Resource::arn:.*:execute-api:.*\\/\\*\\/PUT\\/items\\/\\*$/g' }],
      },
    ], true);
    // The first run must not start before the role's policies are attached.
    this.canary.node.addDependency(this.role);

    const evidence = syntheticChecksMetric(this.canaryName);
    this.alarm = new cloudwatch.Metric({
      namespace: evidence.namespace,
      metricName: evidence.metricName,
      dimensionsMap: { ...evidence.dimensions },
      period: ALARM_PERIOD,
      statistic: 'Average',
    }).createAlarm(this, 'Alarm', {
      ...ALARM_JUDGEMENT,
      // SuccessPercent falls when runs fail, so the shared judgement's "above the threshold" is turned round.
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      threshold: 100,
      // notBreaching as ALARM_JUDGEMENT: a stopped canary is caught by the bake gate, which requires these datapoints as evidence.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmName: props.alarmName,
      alarmDescription: `The synthetic checks (${this.canaryName}) failed two runs in a row.`,
    });

    NagSuppressions.addResourceSuppressions(this.artifactsBucket, [
      { id: 'AwsSolutions-S1', reason: 'The bucket only holds the canary\'s own run reports for seven days; nobody but the canary writes to it.' },
    ]);
  }

  /**
   * The canary's role, with the statements "Required roles and permissions for canaries" (CloudWatch User Guide)
   * lists, each as narrow as the service allows, and no X-Ray (tracing is off).
   */
  private createRole(): iam.Role {
    const stack = cdk.Stack.of(this);
    const logGroups = stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      arnFormat: cdk.ArnFormat.COLON_RESOURCE_NAME,
      resourceName: `/aws/lambda/cwsyn-${this.canaryName}-*`,
    });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs the synthetic checks canary ${this.canaryName}`,
      inlinePolicies: {
        canary: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({ actions: ['s3:PutObject', 's3:GetObject'], resources: [this.artifactsBucket.arnForObjects('*')] }),
            new iam.PolicyStatement({ actions: ['s3:GetBucketLocation'], resources: [this.artifactsBucket.bucketArn] }),
            new iam.PolicyStatement({ actions: ['s3:ListAllMyBuckets'], resources: ['*'] }),
            new iam.PolicyStatement({ actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroups] }),
            new iam.PolicyStatement({
              actions: ['cloudwatch:PutMetricData'],
              resources: ['*'],
              conditions: { StringEquals: { 'cloudwatch:namespace': 'CloudWatchSynthetics' } },
            }),
          ],
        }),
      },
    });
    NagSuppressions.addResourceSuppressions(role, [
      {
        id: 'AwsSolutions-IAM5',
        reason: 'Synthetics requires s3:ListAllMyBuckets and cloudwatch:PutMetricData (limited to its namespace) on *, which have no resource-level permissions.',
        appliesTo: ['Resource::*'],
      },
      {
        id: 'AwsSolutions-IAM5',
        reason: 'The canary writes run reports under keys it chooses, in its own bucket only.',
        appliesTo: [{ regex: '/^Resource::<.*Artifacts[0-9A-F]+\\.Arn>\\/\\*$/g' }],
      },
      {
        id: 'AwsSolutions-IAM5',
        reason: 'The canary\'s Lambda function gets a generated suffix after its name; this is that canary\'s log group only.',
        // Tokens in a stack without an environment, literals in a stage's stack.
        appliesTo: [{ regex: `/^Resource::arn:.*:logs:.*:log-group:\\/aws\\/lambda\\/cwsyn-${this.canaryName}-\\*$/g` }],
      },
    ], true);
    return role;
  }
}
