import * as os from 'node:os';
import * as cdk from 'aws-cdk-lib';
import { FunctionLogRetention } from './function-log-retention';
import { ConfigError, loadConfig, resolveSandboxName, TollgateConfig } from './config';
import { RELEASE_VERSION_PATTERN, RELEASE_VERSION_VARIABLE } from '@tollgate/constructs/lib/domain/release-version';
import { PipelineStack } from './pipeline-stack';
import { SandboxCleanerStack } from './sandbox-cleaner-stack';
import { resolveSandboxExpiry } from './sandbox-expiry';
import { ServiceStage } from './sample-service/service-stage';

export interface TollgateAppOptions {
  /** Passed to `cdk.App`; tests set `outdir` and context. */
  readonly appProps?: cdk.AppProps;
  /** Environment variables to read `TOLLGATE_*` configuration from. @default process.env */
  readonly env?: Record<string, string | undefined>;
  /** The OS user name a sandbox defaults to. @default os.userInfo().username */
  readonly userName?: () => string;
  /** The clock a sandbox's default expiry counts from. @default the system clock */
  readonly now?: () => Date;
  /**
   * Runs on the empty app before any stack or stage exists: the place for Aspects (cdk-nag) that must reach
   * every stage, since stages copy the app's Aspects when they are created (`cdk/stage-aspects.ts`).
   *
   * @default - nothing
   */
  readonly configureApp?: (app: cdk.App) => void;
}

export interface TollgateApp {
  readonly app: cdk.App;
  readonly config: TollgateConfig;
  readonly pipelineStack: PipelineStack;
  readonly sandbox: ServiceStage;
  readonly sandboxCleaner: SandboxCleanerStack;
}

/**
 * The release version the pipeline's Build exported for this synth (`RELEASE_VERSION`), if any.
 *
 * @throws ConfigError when it is set but not `v<major>.<minor>.<n>`
 */
function releaseVersionOf(env: Record<string, string | undefined>): string | undefined {
  const version = env[RELEASE_VERSION_VARIABLE];
  if (version === undefined || version === '') return undefined;
  if (!RELEASE_VERSION_PATTERN.test(version)) throw new ConfigError(RELEASE_VERSION_VARIABLE, version, 'must be v<major>.<minor>.<n> like v1.4.17', 'the environment');
  return version;
}

/**
 * Builds the whole release system: the pipeline stack (which carries the Dev and Prod service stages) and
 * one personal sandbox stage, named by the `sandbox` context value or the OS user, and the cleaner that deletes
 * expired sandboxes in the sandbox account.
 *
 * @throws ConfigError for any invalid configuration value.
 */
export function createTollgateApp(options: TollgateAppOptions = {}): TollgateApp {
  const app = new cdk.App(options.appProps);
  // Before any stage exists, so the stages inherit it (cdk/stage-aspects.ts); mutating, so it runs before checks.
  cdk.Aspects.of(app).add(new FunctionLogRetention(), { priority: cdk.AspectPriority.MUTATING });
  options.configureApp?.(app);
  const userName = options.userName ?? (() => os.userInfo().username);
  const config = loadConfig({ context: app.node.tryGetContext('tollgate'), env: options.env ?? process.env });
  const sandboxName = resolveSandboxName(app.node.tryGetContext('sandbox'), userName);

  const pipelineStack = new PipelineStack(app, 'Tollgate-Pipeline', {
    env: config.deployment,
    config,
    releaseVersion: releaseVersionOf(options.env ?? process.env),
    description: 'Tollgate release pipeline',
  });
  const sandbox = new ServiceStage(app, sandboxName, {
    env: config.sandbox,
    environmentKind: 'sandbox',
    canary: config.canary,
    owner: app.node.tryGetContext('sandboxOwner') ?? userName(),
    expires: resolveSandboxExpiry(app.node.tryGetContext('sandboxExpires'), options.now?.() ?? new Date()),
  });
  const sandboxCleaner = new SandboxCleanerStack(app, 'Tollgate-SandboxCleaner', {
    env: config.sandbox,
    prodAccount: config.prod.account,
    description: 'Tollgate sandbox cleaner: deletes expired sandbox stacks',
  });
  return { app, config, pipelineStack, sandbox, sandboxCleaner };
}
