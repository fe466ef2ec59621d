import * as os from 'node:os';
import * as cdk from 'aws-cdk-lib';
import { loadConfig, resolveSandboxName, TollgateConfig } from './config';
import { PipelineStack } from './pipeline-stack';
import { ServiceStage } from './service/service-stage';

export interface TollgateAppOptions {
  /** Passed to `cdk.App`; tests set `outdir` and context. */
  readonly appProps?: cdk.AppProps;
  /** Environment variables to read `TOLLGATE_*` configuration from. @default process.env */
  readonly env?: Record<string, string | undefined>;
  /** The OS user name a sandbox defaults to. @default os.userInfo().username */
  readonly userName?: () => string;
}

export interface TollgateApp {
  readonly app: cdk.App;
  readonly config: TollgateConfig;
  readonly pipelineStack: PipelineStack;
  readonly sandbox: ServiceStage;
}

/**
 * Builds the whole release system: the pipeline stack (which carries the Dev and Prod service stages) and
 * one personal sandbox stage, named by the `sandbox` context value or the OS user.
 *
 * @throws ConfigError for any invalid configuration value.
 */
export function createTollgateApp(options: TollgateAppOptions = {}): TollgateApp {
  const app = new cdk.App(options.appProps);
  const userName = options.userName ?? (() => os.userInfo().username);
  const config = loadConfig({ context: app.node.tryGetContext('tollgate'), env: options.env ?? process.env });
  const sandboxName = resolveSandboxName(app.node.tryGetContext('sandbox'), userName);

  const pipelineStack = new PipelineStack(app, 'Tollgate-Pipeline', {
    env: config.deployment,
    config,
    description: 'Tollgate release pipeline',
  });
  const sandbox = new ServiceStage(app, sandboxName, {
    env: config.sandbox,
    environmentKind: 'sandbox',
    owner: app.node.tryGetContext('sandboxOwner') ?? userName(),
  });
  return { app, config, pipelineStack, sandbox };
}
