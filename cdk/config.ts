import * as os from 'node:os';
import { RESERVED_SANDBOX_NAMES, SANDBOX_NAME_PATTERN } from '../lambdas/shared/sandbox-tags';
import { BakeConfig, DEFAULT_BAKE_CONFIG, parseBakeConfig } from './bake-config';
import { type CanarySettings, DEFAULT_CANARY_SETTINGS, parseCanarySettings } from './canary-settings';
import { ConfigError } from '../lambdas/shared/config-error';
import { rejectUnknownKeys, section } from './config-fields';
import { validatePipelineName } from './pipeline-name';
import type { ReleaseSource } from './pipeline/release-pipeline';
import { CalendarSettings, DEFAULT_CALENDAR_SETTINGS, parseCalendarSettings } from '../lambdas/shared/release-calendar';

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
  readonly prod: AccountEnvironment;
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
  /** When prod may be released to (the `calendar` section); see `lambdas/shared/release-calendar.ts`. */
  readonly calendar: CalendarSettings;
  /** Who may assume the operator role `<pipelineName>-Operator` (the `operators` section). */
  readonly operators: OperatorsConfig;
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
};

const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
/** A principal an IAM trust policy can name: an account root, a role or a user (IAM User Guide, "IAM identifiers"). */
const PRINCIPAL_ARN = /^arn:aws[a-z-]*:iam::\d{12}:(root|role\/[\w+=,.@\/-]{1,512}|user\/[\w+=,.@\/-]{1,512})$/;
const CONNECTION_ARN = /^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection\/[A-Za-z0-9-]+$/;

/** Where configuration comes from: `cdk.json`/`-c` context and the process environment. */
export interface ConfigSources {
  /** The `tollgate` context object (from `cdk.json` or `-c tollgate=...`), if any. */
  readonly context?: unknown;
  /** Environment variables; `TOLLGATE_*` ones override the context. */
  readonly env?: Record<string, string | undefined>;
}

function asObject(value: unknown, field: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value === 'string') {
    // `-c tollgate='{"dev":...}'` arrives as a string.
    try {
      return asObject(JSON.parse(value), field);
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      throw new ConfigError(field, value, 'must be a JSON object');
    }
  }
  return section(value, field);
}

function environment(raw: Record<string, unknown>, name: string, env: Record<string, string | undefined>, fallback: AccountEnvironment): AccountEnvironment {
  const given = asObject(raw[name], name);
  const upper = name.toUpperCase();
  const account = env[`TOLLGATE_${upper}_ACCOUNT`] ?? given.account ?? fallback.account;
  const region = env[`TOLLGATE_${upper}_REGION`] ?? given.region ?? fallback.region;
  if (typeof account !== 'string' || !ACCOUNT.test(account)) {
    throw new ConfigError(`${name}.account`, account, 'must be a 12-digit AWS account ID');
  }
  if (typeof region !== 'string' || !REGION.test(region)) {
    throw new ConfigError(`${name}.region`, region, 'must be an AWS region name like us-east-1');
  }
  return { account, region };
}

/**
 * Reads and validates the configuration: context first, then `TOLLGATE_*` environment variables over it,
 * with {@link EXAMPLE_CONFIG} for whatever neither sets.
 *
 * @throws ConfigError naming the first field that is wrong.
 */
export function loadConfig(sources: ConfigSources = {}): TollgateConfig {
  const env = sources.env ?? {};
  const raw = asObject(sources.context, 'tollgate');

  const pipelineName = validatePipelineName(env.TOLLGATE_PIPELINE_NAME ?? raw.pipelineName ?? EXAMPLE_CONFIG.pipelineName);

  const deployment = environment(raw, 'deployment', env, EXAMPLE_CONFIG.deployment);
  const dev = environment(raw, 'dev', env, EXAMPLE_CONFIG.dev);
  const prod = environment(raw, 'prod', env, EXAMPLE_CONFIG.prod);
  const sandbox = environment(raw, 'sandbox', env, { account: EXAMPLE_CONFIG.sandbox.account, region: dev.region });
  checkSandboxAccountIsItsOwn(sandbox.account, { deployment, dev, prod });

  const repo = asObject(raw.repository, 'repository');
  const fullName = env.TOLLGATE_REPOSITORY ?? repo.fullName ?? EXAMPLE_CONFIG.repository.fullName;
  if (typeof fullName !== 'string' || !REPOSITORY.test(fullName)) {
    throw new ConfigError('repository.fullName', fullName, 'must be a non-empty "owner/name"');
  }
  const branch = env.TOLLGATE_BRANCH ?? repo.branch ?? EXAMPLE_CONFIG.repository.branch;
  if (typeof branch !== 'string' || branch.trim() === '') {
    throw new ConfigError('repository.branch', branch, 'must be a non-empty branch name');
  }
  const connectionArn = env.TOLLGATE_CONNECTION_ARN ?? repo.connectionArn ?? EXAMPLE_CONFIG.repository.connectionArn;
  if (typeof connectionArn !== 'string' || !CONNECTION_ARN.test(connectionArn)) {
    throw new ConfigError('repository.connectionArn', connectionArn, 'must be a CodeConnections connection ARN');
  }

  const canary = parseCanarySettings(raw.canary);
  checkCertificatesAreLocal(canary, { dev, prod });
  const bake = parseBakeConfig(raw.bake);
  const calendar = parseCalendarSettings(raw.calendar);
  checkFreezesFitHold(calendar, bake);
  const operators = parseOperators(raw.operators, deployment.account);
  return {
    pipelineName,
    deployment,
    dev,
    prod,
    sandbox,
    repository: { fullName, branch, connectionArn },
    bake,
    canary,
    calendar,
    operators,
  };
}

/** The `operators` section: `principals` defaults to the deployment account's root. */
function parseOperators(value: unknown, deploymentAccount: string): OperatorsConfig {
  const raw = asObject(value, 'operators');
  rejectUnknownKeys(raw, ['principals'], 'operators');
  if (raw.principals === undefined) return { principals: [`arn:aws:iam::${deploymentAccount}:root`] };
  if (!Array.isArray(raw.principals) || raw.principals.length === 0) {
    throw new ConfigError('operators.principals', raw.principals, 'must be a non-empty list of IAM ARNs');
  }
  raw.principals.forEach((arn, i) => {
    if (typeof arn !== 'string' || !PRINCIPAL_ARN.test(arn)) {
      throw new ConfigError(`operators.principals[${i}]`, arn, 'must be an IAM role, user or account root ARN like arn:aws:iam::111111111111:role/OnCall');
    }
  });
  return { principals: [...new Set(raw.principals as string[])] };
}

/**
 * Developers deploy sandboxes with their own credentials: an account shared with dev, prod or the pipeline would
 * let them change what releases run on, or read what they deploy with. So the sandbox account is an account of
 * its own.
 */
function checkSandboxAccountIsItsOwn(account: string, others: Record<'deployment' | 'dev' | 'prod', AccountEnvironment>): void {
  for (const [name, other] of Object.entries(others)) {
    if (other.account === account) {
      const owner = name === 'deployment' ? 'the deployment account' : `${name}'s account`;
      throw new ConfigError('sandbox.account', account, `must be an account of its own, not ${owner} (sandboxes never share an account with dev, prod or the pipeline)`);
    }
  }
}

/** A load balancer can only use an ACM certificate of its own account and region. */
function checkCertificatesAreLocal(canary: CanarySettings, environments: Record<'dev' | 'prod', AccountEnvironment>): void {
  for (const [name, arn] of Object.entries(canary.tileServer.certificateArns)) {
    const [, , , region, account] = arn!.split(':');
    const { account: expectedAccount, region: expectedRegion } = environments[name as 'dev' | 'prod'];
    if (account !== expectedAccount || region !== expectedRegion) {
      throw new ConfigError(`canary.tileServer.certificateArns.${name}`, arn, `must be a certificate in ${name}'s account ${expectedAccount} and region ${expectedRegion}`);
    }
  }
}

/**
 * A baked build waits through a planned freeze in its approval, which times out after `bake.maxHoldDays`:
 * a longer freeze would fail every build that reaches it, so it is refused at synth.
 */
function checkFreezesFitHold(calendar: CalendarSettings, bake: BakeConfig): void {
  calendar.freezes.forEach((freeze, i) => {
    const days = (Date.parse(freeze.end) - Date.parse(freeze.start)) / 86_400_000;
    if (days > bake.maxHoldDays) {
      throw new ConfigError(
        `calendar.freezes[${i}]`,
        freeze.name,
        `lasts ${days.toFixed(1)} days, longer than bake.maxHoldDays (${bake.maxHoldDays}) that a baked build may wait; raise bake.maxHoldDays`,
      );
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
