import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { createTollgateApp, TollgateApp, TollgateAppOptions } from '../cdk/tollgate';
import { addAwsSolutionsChecks } from './nag';

export interface SynthesizedTollgate extends TollgateApp {
  readonly pipeline: Template;
  readonly dev: Template;
  readonly prod: Template;
  readonly sandboxTemplate: Template;
}

/**
 * The whole app as `npm run synth` builds it (sandbox `alice` unless the context says otherwise), with
 * cdk-nag's AwsSolutions pack applied to every stack (the stages' included), synthesized into a temporary directory.
 */
export function synthesizeTollgate(context: Record<string, unknown> = {}, options: TollgateAppOptions = {}): SynthesizedTollgate {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-test-'));
  const tollgate = createTollgateApp({
    env: {},
    userName: () => 'alice',
    ...options,
    // `cdk synth` turns on construct paths in templates (`aws:cdk:path`), which plan names resources by.
    appProps: { outdir, context: { ...readCdkJsonContext(), 'aws:cdk:enable-path-metadata': true, ...context } },
    // Before the stages exist: CDK Pipelines synthesizes Dev and Prod while the pipeline stack is built.
    configureApp: addAwsSolutionsChecks,
  });
  // Templates are synthesized on first use, so a test can still change the app before it looks.
  return {
    ...tollgate,
    get pipeline() {
      return Template.fromStack(tollgate.pipelineStack);
    },
    get dev() {
      return Template.fromStack(tollgate.pipelineStack.devStage.service);
    },
    get prod() {
      return Template.fromStack(tollgate.pipelineStack.prodStage.service);
    },
    get sandboxTemplate() {
      return Template.fromStack(tollgate.sandbox.service);
    },
  };
}

let shared: SynthesizedTollgate | undefined;

/** The release version the shared app is synthesized with. */
export const SHARED_RELEASE_VERSION = 'v1.4.17';

/**
 * `synthesizeTollgate()` with no context and the Build's release version, built once per jest module registry (the suites under
 * test/templates/ share one per group file): only for suites that read the default app and change nothing in it.
 * A suite that adds to the app, or needs other context, synthesizes its own.
 */
export function sharedTollgate(): SynthesizedTollgate {
  // As the pipeline's Build synthesizes it: with the release version it assigned to the commit.
  shared ??= synthesizeTollgate({}, { env: { RELEASE_VERSION: SHARED_RELEASE_VERSION } });
  return shared;
}

/** The metric the configured app's dev bake counts requests by. */
export const CONFIGURED_REQUESTS_METRIC = { namespace: 'AWS/ApiGateway', metricName: 'Count', dimensions: { ApiId: 'a1b2c3', Stage: '$default' } };
/** The configured app's release calendar: Berlin's weekdays and holidays. */
export const CONFIGURED_CALENDAR = { timezone: 'Europe/Berlin', weekdays: [1, 2, 3, 4, 5], holidays: { country: 'DE', region: 'BE' } };

let configured: SynthesizedTollgate | undefined;

/**
 * One app with every setting changed that the configuration suites check, built once per jest module registry
 * (a whole-app synthesis costs a second or more): a 12-hour dev bake, a 45-minute prod bake, an extra alarm, a
 * minimum of requests, no evidence required, dev in the deployment account, Berlin's calendar, the sandbox in
 * eu-west-1 named after the OS user `Carol.Smith`. Suites read it and change nothing in it.
 */
export function configuredTollgate(): SynthesizedTollgate {
  configured ??= synthesizeTollgate(
    {
      tollgate: {
        dev: { account: '111111111111', region: 'us-east-1' },
        sandbox: { account: '444444444444', region: 'eu-west-1' },
        calendar: CONFIGURED_CALENDAR,
        bake: {
          minutes: 720,
          extraAlarmNames: ['Dev-Queue-Depth'],
          minimumRequests: { count: 500, metric: CONFIGURED_REQUESTS_METRIC },
          maxHoldDays: 7,
          prodDeployMinutes: 15,
          prodBakeMinutes: 45,
          allowNoTraffic: true,
        },
      },
    },
    { userName: () => 'Carol.Smith' },
  );
  return configured;
}

/** The feature flags of cdk.json, so tests synthesize what `cdk synth` does. */
function readCdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return cdkJson.context ?? {};
}
