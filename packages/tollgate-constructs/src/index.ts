/**
 * Tollgate's constructs: a CDK Pipelines release pipeline whose stages a bake gate holds, checks and rolls back,
 * and the pieces a gated stage carries in its own account. The domain code the gate and a command line share
 * (release calendar, run-time controls, the pipeline manifest, schemas) is importable without aws-cdk-lib from
 * `@tollgate/constructs/lib/domain/<module>`, and the gate's handler from `@tollgate/constructs/lib/lambdas/bake-gate/<module>`.
 */
// The pipeline.
export * from './pipeline/release-pipeline';
export * from './pipeline/gated-stage';
export * from './pipeline/stage-conditions';
export * from './pipeline/pinned-tools';
export * from './pipeline/artifact-retention';
export * from './pipeline/replacement-guard';
// The bake gate and its parts.
export * from './pipeline/bake-gate';
export * from './pipeline/gate-approvals';
export * from './pipeline/gate-function';
export * from './pipeline/gate-state-table';
export * from './pipeline/gate-triggers';
export * from './pipeline/gate-alarms';
export * from './pipeline/alarm-topic';
export * from './pipeline/dead-letters';
export * from './pipeline/operator-role';
export * from './pipeline/pipeline-manifest';
// The release record, its metrics and dashboard.
export * from './pipeline/release-record-table';
export * from './pipeline/release-recorder';
export * from './pipeline/release-dashboard';
// What a gated stage carries in its own account.
export * from './target/alarm-reader-role';
export * from './target/alarm-event-forwarder';
export * from './target/environment-health-alarm';
export * from './function-defaults';
