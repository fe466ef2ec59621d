import * as cdk from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { EXPIRES_TAG, OWNER_TAG, SANDBOX_TAG } from '../../lambdas/shared/sandbox-tags';
import type { CanarySettings } from '../canary-settings';
import { SERVICE_BOUNDARY_POLICY_NAME } from '../permissions-boundary';
import { inheritAspects } from '../stage-aspects';
import { EnvironmentKind, GateAccess, IntegrationTestInvokerProps, ServiceStack } from './service-stack';

export interface ServiceStageProps extends cdk.StageProps {
  /** Sandbox, dev or prod: the same code, with sandboxes disposable. */
  readonly environmentKind: EnvironmentKind;
  /**
   * Who owns the sandbox; tagged on every resource of a sandbox.
   *
   * @default - required for sandboxes, ignored otherwise
   */
  readonly owner?: string;
  /**
   * When the sandbox cleaner may delete the sandbox: a UTC instant like `2026-12-01T09:30:00Z`, tagged
   * `tollgate:expires` on its stacks (not its resources, so templates stay the same from one synth to the next).
   *
   * @default - no expiry tag: the cleaner never deletes the sandbox
   */
  readonly expires?: string;
  /**
   * How releases reach the API and the tile server.
   *
   * @default DEFAULT_CANARY_SETTINGS
   */
  readonly canary?: CanarySettings;
  /**
   * Lets the release pipeline's bake gate read this environment's alarms (dev and prod).
   *
   * @default - no gate access
   */
  readonly gateAccess?: GateAccess;
  /**
   * Runs the synthetic checks canary in the stage (about $52 a month at one run a minute).
   *
   * @default - true for dev and prod, false for sandboxes
   */
  readonly syntheticChecks?: boolean;
  /**
   * The sandbox's name in its tags and stack names (`<name>-Service`), when it differs from the stage id: the
   * pipeline's Sandbox stage deploys `Pipeline-Service`, tagged `tollgate:sandbox=Pipeline`.
   *
   * @default - the stage id
   */
  readonly sandboxName?: string;
  /**
   * A role integration tests in another account assume to write to the API.
   *
   * @default - none
   */
  readonly integrationTestInvoker?: IntegrationTestInvokerProps;
  /**
   * The release version the pipeline's Build assigned, carried by this stage's stacks only (never the pipeline
   * stack's: see `src/domain/release-version.ts` of the library for why).
   *
   * @default - none: the service reports `unreleased`
   */
  readonly releaseVersion?: string;
}

/**
 * The whole sample service as one deployable unit, so the same code deploys as a sandbox, dev and prod.
 * The stage id names its stacks: `Dev-Service`, `Prod-Service`, `alice-Service`.
 */
export class ServiceStage extends cdk.Stage {
  readonly service: ServiceStack;

  constructor(scope: Construct, id: string, props: ServiceStageProps) {
    super(scope, id, props);
    inheritAspects(this);
    const sandbox = props.environmentKind === 'sandbox';
    if (sandbox && !props.owner) throw new Error(`ServiceStage ${id}: a sandbox needs an owner`);
    // Stack tags (what DescribeStacks shows the sandbox cleaner); CloudFormation copies them to resources.
    const name = props.sandboxName ?? id;
    const tags: Record<string, string> = sandbox ? { [SANDBOX_TAG]: name, [OWNER_TAG]: props.owner! } : {};
    this.service = new ServiceStack(this, 'Service', {
      // The cleaner and `sandbox list` know a sandbox's stacks by `<tag>-…`; by default the stage id names both.
      stackName: props.sandboxName ? `${props.sandboxName}-Service` : undefined,
      integrationTestInvoker: props.integrationTestInvoker,
      environmentKind: props.environmentKind,
      canary: props.canary,
      gateAccess: props.gateAccess,
      releaseVersion: props.releaseVersion,
      syntheticChecks: props.syntheticChecks,
      description: `Tollgate sample service (${id})`,
      tags: sandbox && props.expires ? { ...tags, [EXPIRES_TAG]: props.expires } : tags,
    });
    // CloudFormation in dev and prod may create roles only with this boundary (cdk/execution-policy.ts).
    if (!sandbox) iam.PermissionsBoundary.of(this).apply(iam.ManagedPolicy.fromManagedPolicyName(this.service, 'PermissionsBoundary', SERVICE_BOUNDARY_POLICY_NAME));
    if (sandbox) {
      for (const [key, value] of Object.entries(tags)) cdk.Tags.of(this).add(key, value);
      // Anything a feature adds to the service is removed with the sandbox too, not only what knows it.
      cdk.RemovalPolicies.of(this).destroy();
    }
  }
}
