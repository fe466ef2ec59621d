import * as cdk from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as pipelines from 'aws-cdk-lib/pipelines';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { COMMIT_MESSAGE_ENV, GATE_CHECK_PIPELINE_ENV, GATE_FLOOR_PARAMETER_ENV, gateFloorParameterName } from '../domain/gate-floor';
import { RELEASE_COMMIT_ID_ENV, RELEASE_ENV, RELEASE_VERSION_TABLE_ENV, RELEASE_VERSION_VARIABLE } from '../domain/release-version';
import { retainArtifacts } from './artifact-retention';
import { PIPELINE_BUILD_NODE_MAJOR, pinnedDevDependency } from './pinned-tools';
import { BakeGate, BakeGateProps } from './bake-gate';
import { GatedStage, GatedStageOptions, GatedWaveOptions, gateOwnedActions } from './gated-stage';
import { ReleaseRecordTable } from './release-record-table';
import { ReplacementGuard } from './replacement-guard';
import { StageConditionOverrides, StageConditions } from './stage-conditions';

/** The Git repository a release pipeline builds. */
export interface ReleaseSource {
  /** `owner/name` as the Git host spells it. */
  readonly fullName: string;
  /** Only pushes to this branch start a release. */
  readonly branch: string;
  /** ARN of the AWS CodeConnections connection to the Git host. */
  readonly connectionArn: string;
}

export interface ReleasePipelineProps {
  /** Physical name of the pipeline. */
  readonly pipelineName: string;
  readonly source: ReleaseSource;
  /**
   * Stages to deploy, in promotion order, ungated; each becomes a pipeline stage named after the stage id. Gated
   * stages are added with {@link ReleasePipeline.addGatedStage}, after these.
   *
   * @default - none: add stages with `addGatedStage`
   */
  readonly stages?: cdk.Stage[];
  /**
   * The build: install, test and synthesize once; every stage deploys this one output.
   *
   * @default ['npm ci', 'npm test', 'npm run synth']
   */
  readonly buildCommands?: string[];
  /**
   * The exact `aws-cdk` CLI version self-mutation installs; pinned, since npm's `latest` of `aws-cdk` is not
   * always a working 2.x (aws-cdk@3.0.0 was an accidental publish).
   *
   * @default - devDependencies.aws-cdk of the app's package.json (the directory `cdk synth` runs in)
   */
  readonly cliVersion?: string;
  /**
   * The exact `cdk-assets` version asset publishing installs; pinned, since that step holds the publishing
   * roles of every target account and must not run whatever npm's `latest` is that day.
   *
   * @default - devDependencies.cdk-assets of the app's package.json (the directory `cdk synth` runs in)
   */
  readonly cdkAssetsCliVersion?: string;
  /**
   * Check that a commit does not weaken its own bake gate below the floor on-call keeps in SSM, in the
   * pipeline's account and region, at `/tollgate/<pipelineName>/gate-floor`: the Build step ends with
   * `npm run gate-check` (`cdk/gate-check.ts`), told this pipeline's name, the parameter and the commit
   * message, and may read exactly that parameter.
   *
   * @default false
   */
  readonly gateCheck?: boolean;
  /**
   * Guard every gated stage's stacks against replacing or removing stateful resources: a step between CDK
   * Pipelines' Prepare and Deploy judges the change set (see {@link ReplacementGuard}); announced on the bake
   * gate's topic when there is one.
   *
   * @default - no guard
   */
  readonly replacementGuard?: { readonly allowListFile?: string };
  /**
   * Give every build a release version, `v<release>.<n>`, once per commit (see `src/domain/release-version.ts`): right
   * after the build's `npm ci` (first, when no command is `npm ci`), the Build runs `command`, which prints the
   * commit's version, and exports it as `RELEASE_VERSION` to the rest of the build (the synth passes it to the
   * service stages) and as a CodeBuild exported variable (shown with the execution's variables, read by the release
   * recorder). `command` is told the release line (`RELEASE`), the table (`RELEASE_VERSION_TABLE`) and the commit
   * (`RELEASE_COMMIT_ID`), and may touch only the table's version items.
   *
   * @default - no release version
   */
  readonly releaseVersion?: ReleaseVersionOptions;
}

/** {@link ReleasePipelineProps.releaseVersion}. */
export interface ReleaseVersionOptions {
  /** The release line, `<major>.<minor>`. */
  readonly release: string;
  /** Where the counter and the commits' versions are kept. */
  readonly table: ReleaseRecordTable;
  /**
   * The command that prints the commit's version.
   *
   * @default 'npm run -s release-version'
   */
  readonly command?: string;
}


/**
 * A CodePipeline (V2) that builds once and promotes the same cloud assembly through a list of stages, each
 * in its own account, with KMS-encrypted artifacts and a self-updating pipeline. Built on CDK Pipelines; the
 * underlying {@link codePipeline} stays open for stages that CDK Pipelines does not offer, and
 * {@link addStageConditions} gives any stage the V2 conditions CDK Pipelines cannot express.
 */
export class ReleasePipeline extends Construct {
  /** The underlying pipeline, complete once {@link buildPipeline} ran: add stages to it (conditions through {@link addStageConditions}). */
  readonly codePipeline: codepipeline.Pipeline;
  private readonly stageConditions: StageConditionOverrides;
  private readonly cdkPipeline: pipelines.CodePipeline;
  private readonly branch: string;
  private readonly gatedStages: GatedStage[] = [];
  /** The replacement guard, when {@link ReleasePipelineProps.replacementGuard} asks for one. */
  readonly replacementGuard?: ReplacementGuard;
  private built = false;
  private releaseSource?: pipelines.CodePipelineSource;

  constructor(scope: Construct, id: string, props: ReleasePipelineProps) {
    super(scope, id);
    this.branch = props.source.branch;
    this.codePipeline = new codepipeline.Pipeline(this, 'Pipeline', {
      pipelineName: props.pipelineName,
      pipelineType: codepipeline.PipelineType.V2,
      // A newer commit replaces one still waiting to enter a stage rather than queueing behind it.
      executionMode: codepipeline.ExecutionMode.SUPERSEDED,
      crossAccountKeys: true,
      enableKeyRotation: true,
      restartExecutionOnUpdate: true,
    });
    retainArtifacts(this.codePipeline);
    this.stageConditions = new StageConditionOverrides(this.codePipeline);

    // One log group for every build, self-mutation and asset publishing: without it CodeBuild creates one per
    // project that never expires. Kept a year: these logs say what was built and published with deploy rights.
    const buildLogs = new logs.LogGroup(this, 'BuildLogs', { retention: logs.RetentionDays.ONE_YEAR, removalPolicy: cdk.RemovalPolicy.RETAIN });

    this.cdkPipeline = new pipelines.CodePipeline(this, 'Release', {
      codePipeline: this.codePipeline,
      cliVersion: props.cliVersion ?? pinnedDevDependency('aws-cdk'),
      cdkAssetsCliVersion: props.cdkAssetsCliVersion ?? pinnedDevDependency('cdk-assets'),
      selfMutation: true,
      publishAssetsInParallel: false,
      synth: this.buildStep(props),
      // Every project (Build, SelfMutate, asset publishing) names its image and Node.js major, so none runs on
      // whatever CDK Pipelines' or CodeBuild's default is next year; Node 22 is the lowest Node Tollgate supports.
      codeBuildDefaults: {
        buildEnvironment: { buildImage: codebuild.LinuxBuildImage.STANDARD_7_0, computeType: codebuild.ComputeType.MEDIUM },
        partialBuildSpec: codebuild.BuildSpec.fromObject({ phases: { install: { 'runtime-versions': { nodejs: PIPELINE_BUILD_NODE_MAJOR } } } }),
        timeout: cdk.Duration.minutes(30),
        logging: { cloudWatch: { logGroup: buildLogs } },
      },
    });
    if (props.replacementGuard) {
      this.replacementGuard = new ReplacementGuard(this, 'ReplacementGuard', {
        pipelineName: props.pipelineName,
        cloudAssembly: this.cdkPipeline.cloudAssemblyFileSet,
        allowListFile: props.replacementGuard.allowListFile,
      });
    }
    for (const stage of props.stages ?? []) this.cdkPipeline.addStage(stage);
    // A pipeline nobody built explicitly (no bake gate, no `stage()`) fails validation rather than synthesizing half.
    this.node.addValidation({ validate: () => (this.built ? [] : ['ReleasePipeline: call buildPipeline() (or addBakeGate) after adding its stages']) });
  }

  /**
   * Adds a stage, in promotion order, with the bake gate's part in it: what the gate watches in its environment,
   * a bake after its deployments, an entry check before them, rollback on failure; and CDK Pipelines steps
   * before and after its deployments. The gate's approvals are added by {@link addBakeGate}, once every stage is.
   *
   * @throws once the pipeline is built
   */
  addGatedStage(stage: cdk.Stage, options: GatedStageOptions = {}): pipelines.StageDeployment {
    this.refuseWhenBuilt(stage.stageName);
    const deployment = this.cdkPipeline.addStage(stage, { pre: options.pre, post: options.post, stackSteps: this.replacementGuard?.stackSteps(stage) });
    const { environment, ...gate } = options;
    this.gatedStages.push({ ...gate, stageName: deployment.stageName, environments: environment ? [environment] : [] });
    return deployment;
  }

  /**
   * Adds a wave, in promotion order: stages deployed in parallel in one pipeline stage named `waveName` (CDK
   * Pipelines `addWave`), each a target the bake gate watches; one bake after all of their deployments judges
   * every target, one entry check before them, and a rollback, when asked, rolls back the wave's whole stage.
   * A wave of one stage is a pipeline stage named after that stage, not the wave: CDK Pipelines (aws-cdk-lib
   * 2.276 `PipelineGraph.addWave`) renders a one-stage wave as that stage; the gate's approvals go there.
   *
   * @param stages the targets, one per environment of `options.environments`, in the same order
   * @throws once the pipeline is built, or when stages and environments do not pair up
   */
  addGatedWave(waveName: string, stages: cdk.Stage[], options: GatedWaveOptions): pipelines.Wave {
    this.refuseWhenBuilt(waveName);
    if (stages.length === 0 || stages.length !== options.environments.length) {
      throw new Error(`ReleasePipeline: wave ${waveName} needs one environment per stage, got ${stages.length} stages and ${options.environments.length} environments`);
    }
    const { environments, ...gate } = options;
    const wave = this.cdkPipeline.addWave(waveName, { pre: options.pre, post: options.post });
    const deployments = stages.map((stage) => wave.addStage(stage, { stackSteps: this.replacementGuard?.stackSteps(stage) }));
    // CDK Pipelines renders a wave of one stage as that stage, under the stage's name (its pipeline graph's
    // addWave); a wider wave is one pipeline stage under the wave's name. The template tests pin both.
    this.gatedStages.push({ ...gate, stageName: deployments.length === 1 ? deployments[0].stageName : waveName, environments });
    return wave;
  }

  private refuseWhenBuilt(stageName: string): void {
    if (this.built) throw new Error(`ReleasePipeline: stage ${stageName} added after the pipeline was built`);
  }

  /**
   * Builds the pipeline (after this, no stage can be added) and adds the bake gate that owns the bakes and entry
   * checks of the gated stages, in `scope` (the gate's resources' logical IDs follow its construct path).
   */
  addBakeGate(scope: Construct, id: string, props: Omit<BakeGateProps, 'pipeline' | 'environments' | 'bakes' | 'entryChecks'>): BakeGate {
    this.buildPipeline();
    const gate = new BakeGate(scope, id, { pipeline: this.codePipeline, ...gateOwnedActions(this.gatedStages), ...props });
    this.replacementGuard?.announceOn(gate.topic);
    return gate;
  }

  /**
   * The repository checkout the Build step starts from: the input of a stage's `pre` or `post` step that needs
   * the source (e.g. integration tests run from the repository against a deployed stage).
   */
  get source(): pipelines.CodePipelineSource {
    return this.releaseSource!;
  }

  /** The stages and waves added by {@link addGatedStage} and {@link addGatedWave}, in promotion order, with their options. */
  get gated(): readonly GatedStage[] {
    return this.gatedStages;
  }

  /**
   * Builds the CodePipeline from the stages added so far; idempotent. {@link addBakeGate} and {@link stage} call
   * it; call it yourself before reading {@link codePipeline}'s stages when you add no bake gate.
   */
  buildPipeline(): void {
    if (this.built) return;
    this.built = true;
    this.cdkPipeline.buildPipeline();

    // V2 trigger: only pushes to the release branch start an execution.
    this.codePipeline.addTrigger({
      providerType: codepipeline.ProviderType.CODE_STAR_SOURCE_CONNECTION,
      gitConfiguration: {
        sourceAction: this.stage('Source').actions[0],
        pushFilter: [{ branchesIncludes: [this.branch] }],
      },
    });

    NagSuppressions.addResourceSuppressions(
      this,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            "CDK Pipelines' generated roles use wildcards only within the artifact bucket and key, its own log groups and report groups, and the accounts' bootstrap roles.",
        },
        {
          id: 'AwsSolutions-S1',
          reason: 'The artifact bucket holds only build artifacts, encrypted with the pipeline key; CloudTrail records access.',
        },
      ],
      true,
    );
    for (const gated of this.gatedStages) if (gated.rollBackOnFailure) this.rollBackOnFailure(gated.stageName);
  }

  /**
   * Build once: install, test, synthesize; with a gate floor, then check the synthesized gate against it before
   * self-mutation deploys it (security finding 3: a commit cannot silently rewrite its own gate).
   */
  private buildStep(props: ReleasePipelineProps): pipelines.CodeBuildStep {
    const source = pipelines.CodePipelineSource.connection(props.source.fullName, props.source.branch, {
      connectionArn: props.source.connectionArn,
      triggerOnPush: true,
    });
    this.releaseSource = source;
    let commands = props.buildCommands ?? ['npm ci', 'npm test', 'npm run synth'];
    let env: Record<string, string> = { CDK_DISABLE_CLI_TELEMETRY: 'true', CI: 'true' };
    const rolePolicyStatements: iam.PolicyStatement[] = [];
    const version = props.releaseVersion;
    if (version) {
      const install = commands.findIndex((c) => c.trim() === 'npm ci') + 1;
      const assign = `export ${RELEASE_VERSION_VARIABLE}=$(${version.command ?? 'npm run -s release-version'})`;
      commands = [...commands.slice(0, install), assign, ...commands.slice(install)];
      env = {
        ...env,
        [RELEASE_ENV]: version.release,
        [RELEASE_VERSION_TABLE_ENV]: version.table.table.tableName,
        // The CodeStarSourceConnection action's output variable `CommitId` (CodePipeline User Guide, "Variables reference").
        [RELEASE_COMMIT_ID_ENV]: source.sourceAttribute('CommitId'),
      };
      rolePolicyStatements.push(version.table.versionAssignmentStatement());
    }
    if (props.gateCheck) {
      const floor = gateFloorParameterName(props.pipelineName);
      commands = [...commands, 'npm run gate-check'];
      env = {
        ...env,
        // Set by the deployed pipeline, not read from the commit: which gate to check and where its floor is.
        [GATE_CHECK_PIPELINE_ENV]: props.pipelineName,
        [GATE_FLOOR_PARAMETER_ENV]: floor,
        // The head commit's message, from the CodeStarSourceConnection action's output variable `CommitMessage`
        // (CodePipeline User Guide, "Variables reference": the message of the last commit on the tracked branch;
        // aws-cdk-lib 2.276 `CodePipelineSource.sourceAttribute` renders it as `#{<namespace>.CommitMessage}`).
        [COMMIT_MESSAGE_ENV]: source.sourceAttribute('CommitMessage'),
      };
      rolePolicyStatements.push(
        new iam.PolicyStatement({
          actions: ['ssm:GetParameter'],
          resources: [cdk.Stack.of(this).formatArn({ service: 'ssm', resource: 'parameter', resourceName: floor.slice(1) })],
        }),
      );
    }
    const step = new pipelines.CodeBuildStep('Build', { input: source, commands, primaryOutputDirectory: 'cdk.out', env, rolePolicyStatements });
    // A CodeBuild exported variable (buildspec `env.exported-variables`): shown with the execution's variables.
    if (version) step.exportedVariable(RELEASE_VERSION_VARIABLE);
    return step;
  }

  /** The pipeline stage of that name. */
  stage(name: string): codepipeline.IStage {
    this.buildPipeline();
    const stage = this.codePipeline.stages.find((s) => s.stageName === name);
    if (!stage) {
      throw new Error(`pipeline has no stage ${name}; stages: ${this.codePipeline.stages.map((s) => s.stageName).join(', ')}`);
    }
    return stage;
  }

  /**
   * Gives a stage V2 conditions (entry gates, alarm-watched success, rollback on failure), which CDK Pipelines
   * cannot express. They are written into the template at synth (see {@link StageConditionOverrides}), so the
   * stage may still be added, or others placed before it, after this call; a stage missing at synth fails it.
   *
   * @throws when the stage already has conditions of a kind given
   */
  addStageConditions(stageName: string, conditions: StageConditions): void {
    this.stageConditions.add(stageName, conditions);
  }

  /**
   * A failed stage (a rejected approval included) rolls back to its last successful execution (CodePipeline
   * "Configure stage rollback"): `onFailure: { result: 'ROLLBACK' }`.
   */
  rollBackOnFailure(stageName: string): void {
    this.addStageConditions(stageName, { onFailure: { result: codepipeline.Result.ROLLBACK } });
  }
}
