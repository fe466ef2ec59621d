import * as cdk from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';

/**
 * The resolution of every alarm of the service (API, canary, tile server): one minute, so the bake gate halts
 * within a minute or two and a bad version is rolled back within about three (see `cdk/exposure.ts`).
 */
export const ALARM_PERIOD = cdk.Duration.minutes(1);

/**
 * How every alarm of the service judges its metric: above the threshold in two consecutive periods.
 *
 * treatMissingData is NOT_BREACHING on purpose: API Gateway, Lambda and the load balancer's request counts have
 * no datapoint for a minute without requests, so "missing" means "idle", not "failing". Treating it as breaching
 * would page on every quiet night, idle sandbox and quiet canary slice; the bake gate asks for evidence of traffic
 * separately.
 */
export const ALARM_JUDGEMENT = {
  evaluationPeriods: 2,
  datapointsToAlarm: 2,
  comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
  treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
} as const;
