import * as os from 'node:os';
import { RESERVED_SANDBOX_NAMES, SANDBOX_NAME_PATTERN } from '../lambdas/shared/sandbox-tags';
import { z } from 'zod';
import { isJsonObject } from '@tollgate/constructs/lib/domain/json';
import { parseWithSchema } from '@tollgate/constructs/lib/domain/schema';
import { BakeConfig, bakeSchema, DEFAULT_BAKE_CONFIG } from './bake-config';
import { type CanarySettings, canarySchema, DEFAULT_CANARY_SETTINGS, ecsShiftMinutes } from './canary-settings';
import { ConfigError } from '@tollgate/constructs/lib/domain/config-error';
import { pipelineNameSchema } from './pipeline-name';
import { checkWaves, ProdWave, resolveProdWaves, wavesSchema } from './prod-waves';
import { PreProdStage, preProdSchema, resolvePreProdStages } from './pre-prod-stages';
import type { ReleaseSource } from '@tollgate/constructs';
import { CalendarSettings, calendarSchema, DEFAULT_CALENDAR_SETTINGS } from '@tollgate/constructs/lib/domain/release-calendar';
import { DEFAULT_RELEASE, RELEASE_PATTERN } from '@tollgate/constructs/lib/domain/release-version';
import { PriceOverrides, priceOverridesSchema } from '@tollgate/constructs/lib/domain/release-cost';

// ConfigError lives in lambdas/shared so the calendar, which Lambdas bundle, can throw it without importing cdk/.
export { ConfigError };

/** An AWS account and region pair. */
export interface AccountEnvironment {
  /** 12-digit AWS account ID. */
  readonly account: string;
  /** Region name, e.g. `us-east-1`. */
  readonly region: string;
}

/** Everything Tollgate needs to know about the accounts it releases into. */
export interface TollgateConfig {
  /** Name of the CodePipeline pipeline; also the prefix of its roles, topic and run-time controls (see `pipeline-name.ts`). */
  readonly pipelineName: string;
  /** Where the pipeline runs. */
  readonly deployment: AccountEnvironment;
  readonly dev: AccountEnvironment;
  /** Gated stages between dev and prod, in order (the `preProd` section; none by default: dev → prod). */
  readonly preProd: readonly PreProdStage[];
  /** Prod's account; its region unless `prod.waves` lists the targets (see {@link prodWaves}). */
  readonly prod: AccountEnvironment;
  /**
   * The waves a release reaches in prod, in order, each baked before the next (`prod.waves`,
   * `bake.waveBakeMinutes`); without `prod.waves`, one wave: the stage `Prod` with the one target `prod`.
   */
  readonly prodWaves: readonly ProdWave[];
  /**
   * Where personal sandboxes go: an account of their own, never dev's, prod's or the deployment account, so
   * that anyone who may deploy a sandbox holds no deploy rights where releases run. The region defaults to dev's.
   */
  readonly sandbox: AccountEnvironment;
  /** The Git repository the pipeline builds: its pushes to `branch` start a release. */
  readonly repository: ReleaseSource;
  /** The bake between dev and prod (the `bake` section). */
  readonly bake: BakeConfig;
  /** How releases reach the service: canary configurations and the tile server's size (the `canary` section). */
  readonly canary: CanarySettings;
  /** When prod may be released to (the `calendar` section); see `@tollgate/constructs/lib/domain/release-calendar`. */
  readonly calendar: CalendarSettings;
  /** Who may assume the operator role `<pipelineName>-Operator` (the `operators` section). */
  readonly operators: OperatorsConfig;
  /** The pipeline's own sandbox stage before Dev (the `pipelineSandbox` section). */
  readonly pipelineSandbox: PipelineSandboxConfig;
  /**
   * Prices that replace the list prices `plan` and `metrics` compute a release's cost with (the `prices` section;
   * see `@tollgate/constructs/lib/domain/release-cost`): e.g. the pipeline region's prices. Empty: list prices.
   */
  readonly prices: PriceOverrides;
  /**
   * The release line, `<major>.<minor>` (`"release": "1.4"`): every commit that builds gets the version
   * `v<release>.<n>` (see `@tollgate/constructs/lib/domain/release-version`).
   */
  readonly release: string;
}

/**
 * The pipeline's Sandbox stage: every execution deploys the release as `Pipeline-Service` in the sandbox account
 * and runs the integration tests against it before Dev.
 */
export interface PipelineSandboxConfig {
  /**
   * Delete `Pipeline-Service` before each deployment (clean state, about 15 minutes more per release: the tile
   * server's VPC, endpoints and load balancer are created again) instead of updating the one kept from the last
   * execution (the default: a release's changes deploy as an update, as they will to dev and prod).
   */
  readonly recreate: boolean;
  /** Run the synthetic checks canary there too (about $52 a month). */
  readonly syntheticChecks: boolean;
}

/** On-call: who may change the run-time controls, through the operator role. */
export interface OperatorsConfig {
  /**
   * IAM ARNs (roles, users, or an account's `root`) the operator role trusts. Default: the deployment account's
   * root, i.e. any principal of the deployment account whose own IAM policy allows sts:AssumeRole on the role.
   */
  readonly principals: readonly string[];
}

/**
 * The example values a fresh clone synthesizes with. They are obviously fake: the pipeline refuses nothing
 * at synth, but no real account has these IDs.
 */
export const EXAMPLE_CONFIG: TollgateConfig = {
  pipelineName: 'Tollgate',
  deployment: { account: '111111111111', region: 'us-east-1' },
  dev: { account: '222222222222', region: 'us-east-1' },
  prod: { account: '333333333333', region: 'us-east-1' },
  preProd: [],
  prodWaves: resolveProdWaves({ account: '333333333333', region: 'us-east-1' }, DEFAULT_BAKE_CONFIG.prodBakeMinutes),
  sandbox: { account: '444444444444', region: 'us-east-1' },
  repository: {
    fullName: 'example-org/tollgate',
    branch: 'main',
    connectionArn: 'arn:aws:codeconnections:us-east-1:111111111111:connection/00000000-0000-0000-0000-000000000000',
  },
  bake: DEFAULT_BAKE_CONFIG,
  canary: DEFAULT_CANARY_SETTINGS,
  calendar: DEFAULT_CALENDAR_SETTINGS,
  operators: { principals: ['arn:aws:iam::111111111111:root'] },
  pipelineSandbox: { recreate: false, syntheticChecks: false },
  prices: {},
  release: DEFAULT_RELEASE,
};

const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
/** A principal an IAM trust policy can name: an account root, a role or a user (IAM User Guide, "IAM identifiers"). */
const PRINCIPAL_ARN = /^arn:aws[a-z-]*:iam::\d{12}:(root|role\/[\w+=,.@\/-]{1,512}|user\/[\w+=,.@\/-]{1,512})$/;
const CONNECTION_ARN = /^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection\/[A-Za-z0-9-]+$/;

/** A string matching `pattern`, with one wording for a wrong type and a wrong value. */
function matching(pattern: RegExp, expectation: string) {
  return z.string({ error: expectation }).regex(pattern, expectation);
}

const account = matching(ACCOUNT, 'must be a 12-digit AWS account ID');
const region = matching(REGION, 'must be an AWS region name like us-east-1');
const PRINCIPALS = 'must be a non-empty list of IAM ARNs';

function environmentSchema(example: AccountEnvironment) {
  return z.strictObject({ account: account.default(example.account), region: region.default(example.region) }).prefault({});
}

const ex = EXAMPLE_CONFIG;

/**
 * The `tollgate` context: every section, its defaults (the {@link EXAMPLE_CONFIG}) and every rule, within a
 * section and across them. Unknown keys are refused everywhere, so a misspelt setting cannot leave a default in
 * force. `npm run config-schema` writes it as JSON Schema for editors (`tollgate.schema.json`).
 */
export const tollgateSchema = z
  .strictObject({
    pipelineName: pipelineNameSchema.default(ex.pipelineName),
    deployment: environmentSchema(ex.deployment),
    dev: environmentSchema(ex.dev),
    /** Gated stages between dev and prod, e.g. `[{ "name": "staging", "account": …, "region": … }]`. */
    preProd: preProdSchema(account, region),
    /** With `waves`, the targets in order; a target's account defaults to `account`. */
    prod: z
      .strictObject({ account: account.default(ex.prod.account), region: region.default(ex.prod.region), waves: wavesSchema(account, region) })
      .prefault({}),
    /** The region defaults to dev's. */
    sandbox: z.strictObject({ account: account.default(ex.sandbox.account), region: region.optional() }).prefault({}),
    repository: z
      .strictObject({
        fullName: matching(REPOSITORY, 'must be a non-empty "owner/name"').default(ex.repository.fullName),
        branch: z
          .string({ error: 'must be a non-empty branch name' })
          .refine((branch) => branch.trim() !== '', 'must be a non-empty branch name')
          .default(ex.repository.branch),
        connectionArn: matching(CONNECTION_ARN, 'must be a CodeConnections connection ARN').default(ex.repository.connectionArn),
      })
      .prefault({}),
    bake: bakeSchema.prefault({}),
    canary: canarySchema.prefault({}),
    calendar: calendarSchema.prefault({}),
    /** `principals` defaults to the deployment account's root. */
    operators: z
      .strictObject({
        principals: z
          .array(matching(PRINCIPAL_ARN, 'must be an IAM role, user or account root ARN like arn:aws:iam::111111111111:role/OnCall'), { error: PRINCIPALS })
          .min(1, PRINCIPALS)
          .optional(),
      })
      .prefault({}),
    pipelineSandbox: z
      .strictObject({
        recreate: z.boolean({ error: 'must be true or false' }).default(ex.pipelineSandbox.recreate),
        syntheticChecks: z.boolean({ error: 'must be true or false' }).default(ex.pipelineSandbox.syntheticChecks),
      })
      .prefault({}),
    prices: priceOverridesSchema.prefault({}),
    release: matching(RELEASE_PATTERN, 'must be <major>.<minor> like "1.4"').default(ex.release),
  })
  .superRefine((config, ctx) => {
    checkSandboxAccountIsItsOwn(config, ctx);
    checkCertificatesAreLocal(config, ctx);
    checkTileServerShiftFitsProdDeploy(config, ctx);
    checkFreezesFitHold(config, ctx);
    checkWaves(config.prod.waves, config.bake.waveBakeMinutes, ctx);
  })
  .transform(
    ({ sandbox, operators, prod: { waves, ...prod }, preProd, ...config }): TollgateConfig => ({
      ...config,
      preProd: resolvePreProdStages(preProd, config.bake.minutes),
      prod,
      prodWaves: resolveProdWaves({ ...prod, waves }, config.bake.prodBakeMinutes, config.bake.waveBakeMinutes),
      sandbox: { account: sandbox.account, region: sandbox.region ?? config.dev.region },
      operators: { principals: [...new Set(operators.principals ?? [`arn:aws:iam::${config.deployment.account}:root`])] },
    }),
  );

/** Where configuration comes from: `cdk.json`/`-c` context and the process environment. */
export interface ConfigSources {
  /** The `tollgate` context object (from `cdk.json` or `-c tollgate=...`), if any. */
  readonly context?: unknown;
  /** Environment variables; `TOLLGATE_*` ones override the context. */
  readonly env?: Record<string, string | undefined>;
}

/** The environment variables that override the context, and the setting each one sets. */
export const ENVIRONMENT_OVERRIDES: Readonly<Record<string, readonly [string, ...string[]]>> = {
  TOLLGATE_PIPELINE_NAME: ['pipelineName'],
  ...Object.fromEntries(
    ['deployment', 'dev', 'prod', 'sandbox'].flatMap((name) =>
      ['account', 'region'].map((key) => [`TOLLGATE_${name.toUpperCase()}_${key.toUpperCase()}`, [name, key]]),
    ),
  ),
  TOLLGATE_REPOSITORY: ['repository', 'fullName'],
  TOLLGATE_BRANCH: ['repository', 'branch'],
  TOLLGATE_CONNECTION_ARN: ['repository', 'connectionArn'],
};

/** Where the context came from, as errors name it. */
const CONTEXT_FILE = 'cdk.json';
const CONTEXT_OPTION = '-c tollgate';

/** The context as an object: `-c tollgate='{"dev":...}'` arrives as a string. */
function contextObject(context: unknown): { readonly value: unknown; readonly origin: string } {
  if (typeof context !== 'string') return { value: context ?? {}, origin: CONTEXT_FILE };
  try {
    return { value: JSON.parse(context), origin: CONTEXT_OPTION };
  } catch {
    throw new ConfigError('tollgate', context, 'must be a JSON object', CONTEXT_OPTION);
  }
}

/** Whether `path` leads to a value in `value`. */
function hasPath(value: unknown, path: readonly PropertyKey[]): boolean {
  let at = value;
  for (const key of path) {
    if (typeof at !== 'object' || at === null || !Object.hasOwn(at, key)) return false;
    at = (at as Record<PropertyKey, unknown>)[key];
  }
  return true;
}

/**
 * Reads and validates the configuration: context first, then `TOLLGATE_*` environment variables over it,
 * with {@link EXAMPLE_CONFIG} for whatever neither sets.
 *
 * @throws ConfigError naming the first field that is wrong, its value and where the value came from.
 */
export function loadConfig(sources: ConfigSources = {}): TollgateConfig {
  const { value: context, origin } = contextObject(sources.context);
  if (!isJsonObject(context)) throw new ConfigError('tollgate', context, 'must be an object', origin);
  const input: Record<string, unknown> = { ...context };
  const overridden = new Map<string, readonly PropertyKey[]>();
  for (const [variable, [section, key]] of Object.entries(ENVIRONMENT_OVERRIDES)) {
    const value = sources.env?.[variable];
    if (value === undefined) continue;
    if (key === undefined) input[section] = value;
    // A section that is not an object is reported as the context gave it.
    else if (input[section] === undefined || isJsonObject(input[section])) input[section] = { ...(input[section] as object), [key]: value };
    else continue;
    overridden.set(variable, key === undefined ? [section] : [section, key]);
  }
  return parseWithSchema(tollgateSchema, input, '', (path, value) => {
    for (const [variable, at] of overridden) if (at.every((key, i) => path[i] === key)) return variable;
    // A required setting that is missing is missing from the context.
    return hasPath(context, path) || value === undefined ? origin : 'the defaults';
  });
}

type Issues = z.core.$RefinementCtx;
type Parsed = Omit<TollgateConfig, 'sandbox' | 'operators' | 'prodWaves' | 'prod' | 'preProd'> & {
  readonly preProd: readonly { readonly account: string }[];
  readonly sandbox: { readonly account: string };
  readonly prod: AccountEnvironment & { readonly waves?: readonly (readonly { readonly account?: string }[])[] };
};

/**
 * Developers deploy sandboxes with their own credentials: an account shared with dev, prod or the pipeline would
 * let them change what releases run on, or read what they deploy with. So the sandbox account is an account of
 * its own.
 */
function checkSandboxAccountIsItsOwn(config: Parsed, ctx: Issues): void {
  const account = config.sandbox.account;
  const owner =
    (['deployment', 'dev', 'prod'] as const).find((name) => config[name].account === account) ??
    (config.prod.waves?.flat().some((target) => target.account === account) ? 'prod' : undefined) ??
    (config.preProd.some((stage) => stage.account === account) ? 'preProd' : undefined);
  if (owner === undefined) return;
  const whose = owner === 'deployment' ? 'the deployment account' : `${owner}'s account`;
  ctx.addIssue({
    code: 'custom',
    path: ['sandbox', 'account'],
    input: account,
    message: `must be an account of its own, not ${whose} (sandboxes never share an account with dev, prod or the pipeline)`,
  });
}

/** A load balancer can only use an ACM certificate of its own account and region. */
function checkCertificatesAreLocal(config: Parsed, ctx: Issues): void {
  for (const [name, arn] of Object.entries(config.canary.tileServer.certificateArns)) {
    const [, , , arnRegion, arnAccount] = arn!.split(':');
    const { account: expectedAccount, region: expectedRegion } = config[name as 'dev' | 'prod'];
    if (arnAccount !== expectedAccount || arnRegion !== expectedRegion) {
      const message = `must be a certificate in ${name}'s account ${expectedAccount} and region ${expectedRegion}`;
      ctx.addIssue({ code: 'custom', path: ['canary', 'tileServer', 'certificateArns', name], input: arn, message });
    }
  }
}

/**
 * Prod's CloudFormation deployment waits for the tile server's ECS deployment, canary and bake included; the gate
 * starts prod only with `bake.prodDeployMinutes` of the release window left for it, so a longer ECS deployment
 * would run past the window.
 */
function checkTileServerShiftFitsProdDeploy({ canary, bake }: Parsed, ctx: Issues): void {
  const minutes = ecsShiftMinutes(canary.tileServer.prod);
  if (minutes > bake.prodDeployMinutes) {
    ctx.addIssue({
      code: 'custom',
      path: ['canary', 'tileServer', 'prod'],
      input: canary.tileServer.prod,
      message: `takes ${minutes} minutes of canary and bake, longer than bake.prodDeployMinutes (${bake.prodDeployMinutes}) that the gate keeps for prod's deployment; raise bake.prodDeployMinutes`,
    });
  }
}

/**
 * A baked build waits through a planned freeze in its approval, which times out after `bake.maxHoldDays`:
 * a longer freeze would fail every build that reaches it, so it is refused at synth.
 */
function checkFreezesFitHold({ calendar, bake }: Parsed, ctx: Issues): void {
  calendar.freezes.forEach((freeze, i) => {
    const days = (Date.parse(freeze.end) - Date.parse(freeze.start)) / 86_400_000;
    if (days > bake.maxHoldDays) {
      ctx.addIssue({
        code: 'custom',
        path: ['calendar', 'freezes', i],
        input: freeze.name,
        message: `lasts ${days.toFixed(1)} days, longer than bake.maxHoldDays (${bake.maxHoldDays}) that a baked build may wait; raise bake.maxHoldDays`,
      });
    }
  });
}

/**
 * Validates an explicit sandbox name (`-c sandbox=<name>`).
 *
 * @throws ConfigError unless it matches `[a-z][a-z0-9-]{0,19}` and is not `dev` or `prod`.
 */
export function validateSandboxName(name: unknown): string {
  if (typeof name !== 'string' || !SANDBOX_NAME_PATTERN.test(name)) {
    throw new ConfigError('sandbox', name, 'must match [a-z][a-z0-9-]{0,19}');
  }
  if (RESERVED_SANDBOX_NAMES.includes(name)) {
    throw new ConfigError('sandbox', name, 'must not be "dev" or "prod"');
  }
  return name;
}

/** Turns an OS user name into a sandbox name: lower case, other characters to `-`, at most 20 long. */
export function normalizeSandboxName(userName: string): string {
  return userName
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, 20)
    .replace(/-+$/, '');
}

/** The sandbox to synthesize: the explicit `sandbox` context value, else the OS user name, normalized. */
export function resolveSandboxName(explicit: unknown, userName: () => string = () => os.userInfo().username): string {
  if (explicit !== undefined) return validateSandboxName(explicit);
  return validateSandboxName(normalizeSandboxName(userName()));
}
