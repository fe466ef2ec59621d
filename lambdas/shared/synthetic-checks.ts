/**
 * The names the synthetic checks are known by outside the service stack. The bake gate and the CLI run in the
 * deployment account and must find the canary's metric without a cross-stack reference, so the name is a pure
 * function of the stage name, computed alike at synth and at run time.
 */

/** CloudWatch Synthetics canary names: lowercase letters, digits, `_` and `-`, at most 255 characters (CreateCanary API reference). */
const CANARY_NAME = /^[0-9a-z_-]{1,255}$/;

/** The service's synthetic-checks canary in a stage: `dev-service-checks`, `prod-service-checks`. */
export function syntheticChecksCanaryName(stageName: string): string {
  const name = `${stageName.toLowerCase()}-service-checks`;
  if (!CANARY_NAME.test(name)) {
    throw new Error(`invalid stageName: a canary name must be lowercase [0-9a-z_-] and at most 255 characters, got ${JSON.stringify(name)}`);
  }
  return name;
}

/** A CloudWatch metric as plain data, ready for `GetMetricData` or `cloudwatch.Metric`. */
export interface MetricDescription {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
}

/**
 * The metric every canary run publishes one datapoint of (the percentage of its runs that passed, per period):
 * its datapoints during a bake are the evidence that traffic flowed. Namespace, name and dimension are from
 * "CloudWatch metrics published by canaries" (CloudWatch User Guide).
 */
export function syntheticChecksMetric(canaryName: string): MetricDescription {
  return { namespace: 'CloudWatchSynthetics', metricName: 'SuccessPercent', dimensions: { CanaryName: canaryName } };
}
