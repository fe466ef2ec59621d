/**
 * The names the synthetic checks of a service stage go by, computed alike by the stage that creates them and
 * by the bake gate and CLI in the deployment account, which cannot reference the stage's stack.
 */

/** The CloudWatch Synthetics canary of a stage: `dev-service-checks` (lowercase, [0-9a-z_-], at most 255). */
export function syntheticChecksCanaryName(stageName: string): string {
  return `${stageName.toLowerCase()}-service-checks`;
}

/** The canary's result metric: one `SuccessPercent` datapoint per run, so its sample count counts runs. */
export function syntheticChecksMetric(canaryName: string): {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Record<string, string>;
} {
  return { namespace: 'CloudWatchSynthetics', metricName: 'SuccessPercent', dimensions: { CanaryName: canaryName } };
}
