import { existsSync, mkdirSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as pipelines from 'aws-cdk-lib/pipelines';
import { Construct } from 'constructs';
import { REPLACEMENT_GUARD_STEP_PREFIX, parseAllowList } from '../domain/replacement-guard';

/**
 * The guard's step (`src/lambdas/replacement-guard/index.ts`), bundled with the AWS SDK by the package's build
 * into `lib/assets/replacement-guard` (CodeBuild provides no SDK).
 */
export const REPLACEMENT_GUARD_ASSET = path.join(__dirname, '..', '..', 'lib', 'assets', 'replacement-guard');

/** Where the guard's script and the allow-list go inside the cloud assembly, the step's input. */
export const GUARD_ASSEMBLY_DIR = 'tollgate-replacement-guard';

/** CDK Pipelines' Prepare creates, and Deploy executes, a change set of this name (aws-cdk-lib 2.276 `CodePipeline`). */
export const PIPELINE_CHANGE_SET_NAME = 'PipelineChange';

export interface ReplacementGuardProps {
  /** Physical name of the pipeline: consumed allow-list entries are kept under `/tollgate/<pipelineName>/allow-replace/`. */
  readonly pipelineName: string;
  /** The step's input: the cloud assembly the stages deploy. */
  readonly cloudAssembly: pipelines.FileSet;
  /**
   * The checked-in allow-list (`[{ "stack", "logicalId", "reason" }]`), read at synth (a malformed one fails synth)
   * and carried in the cloud assembly, so the guard judges every stage with the commit's own list.
   *
   * @default 'tollgate-allow-replace.json' in the directory synth runs in; none there: an empty list
   */
  readonly allowListFile?: string;
}

/**
 * A guard against replacing or removing stateful resources: a CodeBuild step between CDK Pipelines' Prepare and
 * Deploy of each stack ({@link stackSteps}, CDK Pipelines' `changeSet` steps: Prepare runs first, the guard
 * second, Deploy third). It assumes the stack's CDK bootstrap deploy role, which CDK Pipelines' Prepare and Deploy
 * already use and which may describe change sets, so no new cross-account role is needed. Its failure fails the
 * stage before any change executes; the finding is in the CodeBuild log and on the release topic.
 */
export class ReplacementGuard extends Construct {
  /** The role every guard step runs with. */
  readonly role: iam.Role;
  private readonly props: ReplacementGuardProps;
  private topicArn?: string;

  constructor(scope: Construct, id: string, props: ReplacementGuardProps) {
    super(scope, id);
    this.props = props;
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com'),
      description: 'Replacement guard: describes change sets through the CDK deploy roles and records consumed allow-list entries',
    });
    const consumed = cdk.Stack.of(this).formatArn({ service: 'ssm', resource: 'parameter', resourceName: `tollgate/${props.pipelineName}/allow-replace/*` });
    this.role.addToPolicy(new iam.PolicyStatement({ actions: ['ssm:GetParameter', 'ssm:PutParameter'], resources: [consumed] }));
    this.writeIntoAssembly();
  }

  /** Announces blocks and announced replacements on `topic` (the bake gate's release topic). */
  announceOn(topic: sns.ITopic): void {
    this.topicArn = topic.topicArn;
    topic.grantPublish(this.role);
  }

  /** The guard steps of `stage`'s stacks, for `addStage(stage, { stackSteps })`. */
  stackSteps(stage: cdk.Stage): pipelines.StackSteps[] {
    const stacks = stage.node.findAll().filter((c): c is cdk.Stack => cdk.Stack.isStack(c) && !c.nested && cdk.Stage.of(c) === stage);
    return stacks.map((stack) => {
      const qualifier = stack.synthesizer.bootstrapQualifier ?? cdk.DefaultStackSynthesizer.DEFAULT_QUALIFIER;
      const deployRoleArn = `arn:${cdk.Aws.PARTITION}:iam::${stack.account}:role/cdk-${qualifier}-deploy-role-${stack.account}-${stack.region}`;
      this.role.addToPolicy(new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [deployRoleArn] }));
      const step = new pipelines.CodeBuildStep(`${REPLACEMENT_GUARD_STEP_PREFIX}${stack.stackName}`, {
        input: this.props.cloudAssembly,
        commands: [`node ${GUARD_ASSEMBLY_DIR}/index.js`],
        role: this.role,
        env: {
          GUARD_STACK_NAME: stack.stackName,
          GUARD_CHANGE_SET_NAME: PIPELINE_CHANGE_SET_NAME,
          GUARD_ROLE_ARN: deployRoleArn,
          GUARD_REGION: stack.region,
          GUARD_ALLOW_LIST_FILE: `${GUARD_ASSEMBLY_DIR}/allow-replace.json`,
          GUARD_PIPELINE_NAME: this.props.pipelineName,
          GUARD_EXECUTION_ID: '#{codepipeline.PipelineExecutionId}',
          GUARD_TOPIC_ARN: cdk.Lazy.string({ produce: () => this.topicArn ?? 'none' }),
        },
      });
      return { stack, changeSet: [step] };
    });
  }

  /** Copies the bundled guard and the allow-list into the cloud assembly (CDK Pipelines writes its graph there too). */
  private writeIntoAssembly(): void {
    const outdir = cdk.Stage.of(this)?.outdir;
    if (!outdir) return;
    const dir = path.join(outdir, GUARD_ASSEMBLY_DIR);
    mkdirSync(dir, { recursive: true });
    const script = path.join(REPLACEMENT_GUARD_ASSET, 'index.js');
    if (!existsSync(script)) throw new Error(`ReplacementGuard: ${script} is missing: build @tollgate/constructs (npm run build)`);
    copyFileSync(script, path.join(dir, 'index.js'));
    const file = this.props.allowListFile ?? 'tollgate-allow-replace.json';
    const entries = existsSync(file) ? parseAllowList(file, readFileSync(file, 'utf8')) : [];
    writeFileSync(path.join(dir, 'allow-replace.json'), `${JSON.stringify(entries, null, 2)}\n`);
  }
}
