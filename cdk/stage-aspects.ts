import * as cdk from 'aws-cdk-lib';

/**
 * Gives a stage the Aspects of every construct above it. CDK invokes Aspects within one assembly only: the
 * recursion stops at a nested Stage, and CDK Pipelines synthesizes its stages while the pipeline is built, so
 * an Aspect on the app (cdk-nag, a permissions boundary, tags) would otherwise never reach Dev, Prod or a sandbox.
 * Call it in the stage's constructor; Aspects added to the app after that do not reach the stage.
 */
export function inheritAspects(stage: cdk.Stage): void {
  for (let scope = stage.node.scope; scope !== undefined; scope = scope.node.scope) {
    for (const application of cdk.Aspects.of(scope).applied) {
      cdk.Aspects.of(stage).add(application.aspect, { priority: application.priority });
    }
  }
}
