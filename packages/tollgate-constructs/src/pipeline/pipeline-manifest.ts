import * as cdk from 'aws-cdk-lib';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { Construct } from 'constructs';
import { controlsHierarchy, haltParameterName } from '../domain/pipeline-controls';
import {
  MANIFEST_MAX_BYTES,
  MANIFEST_METADATA_KEY,
  MANIFEST_SCHEMA_VERSION,
  MANIFEST_STANDARD_MAX_BYTES,
  PipelineManifestDocument,
  manifestParameterName,
  parsePipelineManifest,
} from '../domain/pipeline-manifest';
import { BakeGate, BakeGateProps } from './bake-gate';
import { DEFAULT_BAKE_ACTION, DEFAULT_ENTRY_CHECK_ACTION } from './gate-approvals';

export interface PipelineManifestProps {
  /** The pipeline described; its stages are listed in order. */
  readonly pipeline: codepipeline.Pipeline;
  /** The pipeline's physical name (`pipeline.pipelineName` is a reference, unknown until deployment). */
  readonly pipelineName: string;
  /** The pipeline's bake gate: every approval it owns is listed, and checked to be in the pipeline. */
  readonly bakeGate: BakeGate;
  /**
   * What the bake gate was built from: its environments, bakes and entry checks.
   *
   * @default - `bakeGate.props`
   */
  readonly gate?: BakeGateProps;
  /**
   * The stages `tollgate stop` closes the entrance of, `resume` opens again and `rollback` rolls back, in order.
   *
   * @default - the gated stages after the first bake's stage, in pipeline order (the stages and waves the gate's
   *   approvals sit in or promote to)
   */
  readonly promotionStageNames?: string[];
  /** Physical name of the on-call operator role (see `OperatorRole`) in this stack's account. */
  readonly operatorRoleName: string;
  /** Physical name of the release topic the gate publishes on; the gate must create it under this name. */
  readonly topicName: string;
  /** Physical name of the gate's state table. */
  readonly stateTableName: string;
}

/**
 * Describes the pipeline's shape for the `tollgate` command line (`src/domain/pipeline-manifest.ts`): the
 * stages, the promotion stages, the gate's approvals (each with its environments), each environment's health alarm and reader role, the
 * controls, the release topic, the gate's table and the operator role. One document, written twice: as the SSM
 * parameter `/tollgate-manifest/<pipeline>` for the online commands, and as the stack's template metadata
 * `tollgate:manifest` for `plan`, which reads cdk.out offline. Every value is a plain string known at synth
 * (ARNs in the partition of the stack's region), so both copies are the same JSON.
 */
export class PipelineManifest extends Construct {
  /** The document as written. */
  readonly document: PipelineManifestDocument;
  readonly parameter: ssm.StringParameter;

  constructor(scope: Construct, id: string, props: PipelineManifestProps) {
    super(scope, id);
    const stack = cdk.Stack.of(this);
    const { pipeline } = props;
    const gate = props.gate ?? props.bakeGate.props;
    const { pipelineName } = props;
    if (cdk.Token.isUnresolved(pipelineName) || cdk.Token.isUnresolved(stack.account) || cdk.Token.isUnresolved(stack.region)) {
      throw new Error('PipelineManifest: the pipeline needs a fixed name and its stack an explicit account and region');
    }
    const partition = RegionInfo.get(stack.region).partition;
    if (!partition) throw new Error(`PipelineManifest: no known partition for region ${stack.region}`);
    const iamArn = (account: string, roleName: string) => `arn:${partition}:iam::${account}:role/${roleName}`;

    const bakes = gate.bakes.map((b) => ({
      kind: 'bake' as const,
      stage: b.stageName,
      action: b.actionName ?? DEFAULT_BAKE_ACTION,
      environments: b.environments,
      minutes: b.bakeTime.toMinutes(),
    }));
    const entryChecks = (gate.entryChecks ?? []).map((c) => ({
      kind: 'entry-check' as const,
      stage: c.stageName,
      action: c.actionName ?? DEFAULT_ENTRY_CHECK_ACTION,
      environments: c.environments,
    }));
    const gateActions = [...bakes, ...entryChecks];
    // What the gate really added: a default it changes, or an action it adds, fails here rather than in on-call.
    const listed = gateActions.map((a) => `${a.stage}/${a.action}`).sort();
    const added = [...props.bakeGate.approvals.keys()].sort();
    if (listed.join() !== added.join()) {
      throw new Error(`PipelineManifest: the bake gate owns ${added.join(', ')}, but its props name ${listed.join(', ')}`);
    }

    const document = parsePipelineManifest(
      {
        schemaVersion: MANIFEST_SCHEMA_VERSION,
        pipelineName,
        stages: pipeline.stages.map((s) => s.stageName),
        promotionStages: props.promotionStageNames ?? promotionStagesOf(gate, pipeline.stages.map((s) => s.stageName)),
        gateActions,
        environments: gate.environments.map((e) => ({
          name: e.name,
          account: e.account,
          region: e.region,
          healthAlarmName: e.alarmNames[0],
          otherAlarmNames: e.alarmNames.slice(1),
          readerRoleArn: iamArn(e.account, gate.readerRoleName),
        })),
        alarmLatencyMinutes: (gate.alarmLatency ?? cdk.Duration.minutes(3)).toMinutes(),
        controls: { path: controlsHierarchy(pipelineName), haltParameterName: haltParameterName(pipelineName) },
        releaseTopic: { name: props.topicName, arn: `arn:${partition}:sns:${stack.region}:${stack.account}:${props.topicName}` },
        gateStateTableName: props.stateTableName,
        operatorRoleArn: iamArn(stack.account, props.operatorRoleName),
      },
      `${this.node.path}`,
    );
    const json = JSON.stringify(document);
    const bytes = Buffer.byteLength(json);
    if (bytes > MANIFEST_MAX_BYTES) {
      throw new Error(
        `PipelineManifest: the manifest is ${bytes} bytes for ${document.environments.length} environments, more than an advanced SSM parameter's ${MANIFEST_MAX_BYTES}: ` +
          `about ${targetsThatFit(document, bytes)} environments like these fit; use shorter environment and alarm names, or fewer targets per pipeline`,
      );
    }
    this.document = document;

    this.parameter = new ssm.StringParameter(this, 'Parameter', {
      parameterName: manifestParameterName(pipelineName),
      description: `Shape of pipeline ${pipelineName} for the tollgate command line; written by the pipeline stack, do not edit`,
      stringValue: json,
      // Advanced parameters cost money (SSM pricing): only a manifest too big for a standard one gets one.
      tier: bytes > MANIFEST_STANDARD_MAX_BYTES ? ssm.ParameterTier.ADVANCED : ssm.ParameterTier.STANDARD,
    });
    stack.templateOptions.metadata = { ...stack.templateOptions.metadata, [MANIFEST_METADATA_KEY]: document };
  }
}

/** The gated stages after the first bake's stage, in pipeline order: where the gate's approvals sit or promote to. */
function promotionStagesOf(gate: BakeGateProps, stages: readonly string[]): string[] {
  const gated = new Set([...gate.bakes.flatMap((b) => [b.stageName, ...(b.promotion ? [b.promotion.stageName] : [])]), ...(gate.entryChecks ?? []).map((c) => c.stageName)]);
  const firstBake = Math.min(...gate.bakes.map((b) => stages.indexOf(b.stageName)));
  return stages.filter((s, i) => i > firstBake && gated.has(s));
}

/** How many environments fit in {@link MANIFEST_MAX_BYTES}, each costing what the document's cost on average. */
function targetsThatFit(document: PipelineManifestDocument, bytes: number): number {
  const count = document.environments.length;
  const named = (n: string) => Buffer.byteLength(JSON.stringify(n)) + 1;
  // Each environment's entry, and its name in every gate action that lists it.
  const perTarget =
    (Buffer.byteLength(JSON.stringify(document.environments)) + document.gateActions.reduce((sum, a) => sum + a.environments.reduce((n, e) => n + named(e), 0), 0)) / count;
  return Math.floor(count - (bytes - MANIFEST_MAX_BYTES) / perTarget);
}
