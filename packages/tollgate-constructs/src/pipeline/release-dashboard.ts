import * as cdk from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { GATE_KINDS } from '../domain/release-record';
import { RELEASE_METRICS, RELEASE_METRICS_NAMESPACE } from '../lambdas/release-recorder/core';

export interface ReleaseDashboardProps {
  /** The pipeline whose release metrics (the `ReleaseRecorder`'s) the dashboard shows. */
  readonly pipelineName: string;
  /**
   * The period of each graph's points.
   *
   * @default cdk.Duration.days(1)
   */
  readonly period?: cdk.Duration;
}

/**
 * The release metrics on one CloudWatch dashboard, `<pipelineName>-Releases`: deployments, lead time, failed
 * deployments, halt latency, builds stopped by each gate and the cost of a release.
 */
export class ReleaseDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: ReleaseDashboardProps) {
    super(scope, id);
    const period = props.period ?? cdk.Duration.days(1);
    const metric = (metricName: string, statistic: string, label: string, dimensions: Record<string, string> = {}) =>
      new cloudwatch.Metric({ namespace: RELEASE_METRICS_NAMESPACE, metricName, statistic, period, label, dimensionsMap: { Pipeline: props.pipelineName, ...dimensions } });
    this.dashboard = new cloudwatch.Dashboard(this, 'Resource', {
      dashboardName: `${props.pipelineName}-Releases`,
      defaultInterval: cdk.Duration.days(30),
      widgets: [
        [
          new cloudwatch.GraphWidget({ title: 'Deployments to prod', left: [metric(RELEASE_METRICS.deployments, 'Sum', 'released')], right: [metric(RELEASE_METRICS.failedDeployments, 'Sum', 'failed in prod')], width: 12 }),
          new cloudwatch.GraphWidget({
            title: 'Lead time, commit to prod (seconds)',
            left: [metric(RELEASE_METRICS.leadTime, 'p50', 'median'), metric(RELEASE_METRICS.leadTime, 'Maximum', 'longest')],
            width: 12,
          }),
        ],
        [
          new cloudwatch.GraphWidget({ title: 'Builds stopped, by gate', left: GATE_KINDS.map((gate) => metric(RELEASE_METRICS.buildsStopped, 'Sum', gate, { Gate: gate })), stacked: true, width: 8 }),
          new cloudwatch.GraphWidget({ title: 'Halt latency, alarm to rejection (seconds)', left: [metric(RELEASE_METRICS.haltLatency, 'Maximum', 'longest'), metric(RELEASE_METRICS.haltLatency, 'Average', 'average')], width: 8 }),
          new cloudwatch.GraphWidget({ title: 'Cost of a release (US dollars)', left: [metric(RELEASE_METRICS.cost, 'Average', 'average'), metric(RELEASE_METRICS.cost, 'Sum', 'total')], width: 8 }),
        ],
      ],
    });
  }
}
