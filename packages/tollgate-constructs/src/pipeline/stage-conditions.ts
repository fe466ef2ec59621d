import * as cdk from 'aws-cdk-lib';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import { IConstruct } from 'constructs';

/**
 * V2 stage conditions (CodePipeline User Guide, "Configure conditions for a stage"), in the L1's property types:
 * the `BeforeEntry`, `OnSuccess` and `OnFailure` of a stage of `AWS::CodePipeline::Pipeline`.
 */
export interface StageConditions {
  /**
   * Rules checked before the stage is entered.
   *
   * @default - none
   */
  readonly beforeEntry?: codepipeline.CfnPipeline.BeforeEntryConditionsProperty;
  /**
   * Rules checked after the stage succeeded, e.g. an alarm that rolls it back.
   *
   * @default - none
   */
  readonly onSuccess?: codepipeline.CfnPipeline.SuccessConditionsProperty;
  /**
   * What a failed stage does, e.g. `{ result: 'ROLLBACK' }`.
   *
   * @default - none: a failed stage stays failed
   */
  readonly onFailure?: codepipeline.CfnPipeline.FailureConditionsProperty;
}

/** The CloudFormation property of each kind of condition. */
const PROPERTY: Record<keyof StageConditions, string> = { beforeEntry: 'BeforeEntry', onSuccess: 'OnSuccess', onFailure: 'OnFailure' };

/**
 * Stage conditions of one L2 pipeline, written as property overrides of its `CfnPipeline`
 * (`Stages.<index>.OnFailure`, ...): CDK Pipelines creates its stages without conditions and offers no way to
 * give them any, and the L2 stage keeps them in private fields. An override is the documented escape hatch.
 *
 * The stage's index is not known when conditions are added: stages may still be added or placed before it.
 * An override's path is fixed when it is added (`addPropertyOverride` takes no token for the path), so the
 * overrides are added by an Aspect, which CDK runs at synth once all construct code has run, with MUTATING
 * priority so that read-only Aspects (cdk-nag) see the result. A validation, after every Aspect, then checks that
 * each stage still sits at the index written and that the L2 does not render the same conditions itself: should
 * a later aws-cdk-lib render them, synth fails rather than one silently replacing the other.
 */
export class StageConditionOverrides {
  private readonly byStage = new Map<string, StageConditions>();
  /** The index each stage's conditions were written at. */
  private readonly writtenAt = new Map<string, number>();
  private readonly resource: codepipeline.CfnPipeline;

  constructor(private readonly pipeline: codepipeline.Pipeline) {
    this.resource = pipeline.node.defaultChild as codepipeline.CfnPipeline;
    cdk.Aspects.of(this.resource).add(
      { visit: (node: IConstruct) => node === this.resource && this.write() },
      { priority: cdk.AspectPriority.MUTATING },
    );
    pipeline.node.addValidation({ validate: () => this.validate() });
  }

  /** Adds conditions to a stage; each kind at most once per stage. */
  add(stageName: string, conditions: StageConditions): void {
    const existing = this.byStage.get(stageName) ?? {};
    for (const kind of kinds(conditions)) {
      if (existing[kind] !== undefined) throw new Error(`stage ${stageName} already has ${kind} conditions`);
    }
    this.byStage.set(stageName, { ...existing, ...conditions });
  }

  private indexOf(stageName: string): number {
    return this.pipeline.stages.findIndex((s) => s.stageName === stageName);
  }

  private write(): void {
    for (const [stageName, conditions] of this.byStage) {
      const index = this.indexOf(stageName);
      if (index < 0) continue; // validate() names the missing stage
      for (const kind of kinds(conditions)) this.resource.addPropertyOverride(`Stages.${index}.${PROPERTY[kind]}`, toCloudFormation(conditions[kind]));
      this.writtenAt.set(stageName, index);
    }
  }

  private validate(): string[] {
    if (this.byStage.size === 0) return [];
    const stageNames = this.pipeline.stages.map((s) => s.stageName);
    // The L2's own rendering, without the overrides: what it would write for each stage.
    const rendered = cdk.Stack.of(this.pipeline).resolve(this.resource.stages) as Record<string, unknown>[];
    const errors: string[] = [];
    for (const [stageName, conditions] of this.byStage) {
      const index = this.indexOf(stageName);
      if (index < 0) {
        errors.push(`pipeline has no stage ${stageName} to give conditions to; stages: ${stageNames.join(', ')}`);
        continue;
      }
      if (this.writtenAt.get(stageName) !== index) errors.push(`stage ${stageName} moved to index ${index} after its conditions were written`);
      for (const kind of kinds(conditions)) {
        if (rendered[index]?.[kind] !== undefined) errors.push(`aws-cdk-lib renders ${kind} of stage ${stageName} itself; the override would replace it`);
      }
    }
    return errors;
  }
}

function kinds(conditions: StageConditions): (keyof StageConditions)[] {
  return (Object.keys(PROPERTY) as (keyof StageConditions)[]).filter((kind) => conditions[kind] !== undefined);
}

/**
 * The L1 property in CloudFormation's spelling: every key capitalized (`result` → `Result`), except inside a
 * rule's `configuration`, which CloudFormation takes as written. Overrides are raw: nothing converts them later.
 */
function toCloudFormation(value: unknown, path = 'conditions'): unknown {
  if (cdk.Tokenization.isResolvable(value)) throw new Error(`stage conditions: give ${path} as plain values, not a token`);
  if (Array.isArray(value)) return value.map((v, i) => toCloudFormation(v, `${path}[${i}]`));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k.charAt(0).toUpperCase() + k.slice(1), k === 'configuration' ? v : toCloudFormation(v, `${path}.${k}`)]),
  );
}
