import { Stack } from '@aws-sdk/client-cloudformation';
import { Command } from 'commander';
import { ConfigError, TollgateConfig, resolveSandboxName } from '../../cdk/config';
import { duration } from '@tollgate/constructs/lib/domain/duration';
import { DEFAULT_SANDBOX_DAYS, MAX_SANDBOX_DAYS, expiryAfter } from '../../lambdas/shared/sandbox-tags';
import { loadAppConfig } from '../app-config';
import { AwsClients, CallerIdentity, awsClients, requireSandboxAccount, withAwsErrors } from '../aws';
import { confirmChange } from '../confirm-change';
import { CliContext, CliError } from '../context';
import { parseWholeNumber } from '../options';
import { startProgress } from '../progress';
import { PROJECT_ROOT } from '../project';
import { cdkCommandLine } from '../sandbox/cdk-invocation';
import { withRefCheckout } from '../sandbox/checkout';
import { integrationTestsCommandLine, serviceEndpoints } from '../sandbox/integration-tests';
import { runAttached } from '../sandbox/process';
import { SandboxSummary, deleteStack, deleted, listSandboxes, retagStack, sandboxStacks, updated, waitForStacks } from '../sandbox/stacks';

/** How often a destroy or renew looks at CloudFormation again while it waits. */
const POLL_MS = 5_000;

interface Session {
  readonly config: TollgateConfig;
  readonly clients: AwsClients;
  readonly identity: CallerIdentity;
  /** `account X region Y`, for messages. */
  readonly where: string;
}

/**
 * Runs a sandbox command after the checks every one starts with (configuration, credentials, the sandbox
 * account and never prod's), with AWS errors turned into messages that name the account.
 */
async function inSandboxAccount(work: (session: Session) => Promise<void>): Promise<void> {
  const config = loadAppConfig();
  const clients = awsClients(config.sandbox.region);
  const identity = await requireSandboxAccount(clients.sts, config);
  const where = `account ${config.sandbox.account} region ${config.sandbox.region}`;
  await withAwsErrors(config.sandbox, () => work({ config, clients, identity, where }));
}

/** The sandbox a command is about: `--name`, else the OS user's; checked before anything else happens. */
function sandboxName(explicit: string | undefined): string {
  try {
    return resolveSandboxName(explicit);
  } catch (err) {
    if (err instanceof ConfigError) {
      throw new CliError(
        explicit === undefined
          ? `${err.message} (from your OS user name; pass --name)`
          : `--name ${err.expectation}, got ${JSON.stringify(err.value)}`,
      );
    }
    throw err;
  }
}

/** {@link inSandboxAccount} for a command about one sandbox, whose name is checked first. */
function forSandbox(explicitName: string | undefined, work: (name: string, session: Session) => Promise<void>): Promise<void> {
  const name = sandboxName(explicitName);
  return inSandboxAccount((session) => work(name, session));
}

/** How long ago `fromIso` was (`3 d`), or how long until it comes (`in 4 d`). */
function since(fromIso: string | undefined, to: Date): string {
  if (!fromIso) return '?';
  const ms = to.getTime() - Date.parse(fromIso);
  return ms < 0 ? `in ${duration(-ms)}` : duration(ms);
}

interface CdkOptions {
  readonly name?: string;
  readonly ref?: string;
  readonly hotswap?: boolean;
  readonly days?: number;
}

async function runCdk(ctx: CliContext, action: 'deploy' | 'diff', name: string, options: CdkOptions, session: Session): Promise<void> {
  const expires = action === 'deploy' ? expiryAfter(ctx.now(), options.days ?? DEFAULT_SANDBOX_DAYS) : undefined;
  ctx.out(`${action === 'deploy' ? 'Deploying' : 'Diffing'} sandbox ${name} (stacks ${name}/*) in ${session.where} as ${session.identity.arn}${expires ? `; it expires ${expires}` : ''}`);
  const invoke = async (projectDir: string) => {
    // cdk draws its own stack events on a terminal; the heartbeat is for logs.
    const progress = action === 'deploy' ? startProgress(ctx, `deploying sandbox ${name}`, { sharesTerminal: true }) : undefined;
    const exit = await runAttached(cdkCommandLine({ action, sandbox: name, projectDir, expires, hotswap: options.hotswap }));
    if (exit === 0) progress?.done(`deployed sandbox ${name}`);
    else progress?.failed(`cdk deploy of sandbox ${name} failed`);
    return exit;
  };
  const code = options.ref ? await withRefCheckout(ctx, options.ref, invoke) : await invoke(PROJECT_ROOT);
  if (code !== 0) {
    ctx.err(`tollgate: cdk ${action} failed (exit ${code}); its output above says why`);
    ctx.setExitCode(1);
  } else if (action === 'deploy') {
    ctx.out(`Sandbox ${name} is up until ${expires}: \`tollgate sandbox renew\` to keep it, \`tollgate sandbox destroy\` when done.`);
  }
}

/** What `sandbox test` ran and how it ended. */
export interface SandboxTestResult {
  readonly sandbox: string;
  readonly stackName: string;
  readonly apiUrl: string;
  readonly tileServerUrl: string;
  readonly passed: boolean;
  /** jest's exit code. */
  readonly exitCode: number;
}

/**
 * The pipeline Sandbox stage's integration tests against your sandbox: its endpoints from its stack's outputs
 * (DescribeStacks), signed with your credentials. Exit 1 when a test fails; 2 when there is nothing to test.
 */
async function integrationTests(ctx: CliContext, name: string, { config, clients, where }: Session): Promise<void> {
  const stackName = `${name}-Service`;
  const stack = (await sandboxStacks(clients.cloudFormation, name)).find((s) => s.StackName === stackName);
  if (!stack) throw new CliError(`sandbox ${name} has no stack ${stackName} in ${where}; deploy it first (\`tollgate sandbox deploy --name ${name}\`)`);
  busy([stack]);
  const endpoints = serviceEndpoints(stack);
  if ('missing' in endpoints) throw new CliError(`${stackName} in ${where} has no output ${endpoints.missing}; redeploy it (\`tollgate sandbox deploy --name ${name}\`)`);
  ctx.out(`Testing sandbox ${name}: API ${endpoints.apiUrl}, tile server ${endpoints.tileServerUrl}`);
  const exitCode = await runAttached(integrationTestsCommandLine({ ...endpoints, projectDir: PROJECT_ROOT, region: config.sandbox.region }), { stdoutToStderr: ctx.json });
  const result: SandboxTestResult = { sandbox: name, stackName, ...endpoints, passed: exitCode === 0, exitCode };
  if (exitCode !== 0) ctx.setExitCode(1);
  ctx.report(result, () => {
    if (result.passed) ctx.out(`Sandbox ${name} passes the integration tests.`);
    else ctx.err(`tollgate: the integration tests failed against sandbox ${name} (jest exit ${exitCode}); its output above names the failed tests`);
  });
}

function printSandboxes(ctx: CliContext, sandboxes: SandboxSummary[], now: Date, where: string): void {
  if (sandboxes.length === 0) {
    ctx.out(`No sandboxes in ${where}.`);
    return;
  }
  const rows = sandboxes.map((s) => {
    const deleting = s.stacks.some((st) => st.cleaner.action === 'delete');
    const expiry = s.expires ? `${s.expires} (${deleting ? 'EXPIRED: the cleaner deletes it within the hour' : since(s.expires, now)})` : 'never (no expiry tag)';
    return [s.name, s.owner ?? '?', since(s.created, now), expiry, s.stacks.map((st) => `${st.stackName} ${st.status}`).join(', ')];
  });
  const header = ['NAME', 'OWNER', 'AGE', 'EXPIRES', 'STACKS'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const row of [header, ...rows]) ctx.out(row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  '));
}

function busy(stacks: Stack[]): void {
  const inProgress = stacks.filter((s) => s.StackStatus?.endsWith('_IN_PROGRESS'));
  if (inProgress.length > 0) {
    throw new CliError(`${inProgress.map((s) => `${s.StackName} is ${s.StackStatus}`).join(', ')}; try again when it has settled. Nothing was changed`, 1);
  }
}

async function destroy(ctx: CliContext, name: string, options: { yes?: boolean }, { clients, where }: Session): Promise<void> {
  const stacks = await sandboxStacks(clients.cloudFormation, name);
  if (stacks.length === 0) {
    ctx.out(`Sandbox ${name} has no stacks in ${where}; nothing to destroy.`);
    return;
  }
  ctx.out(`Sandbox ${name} in ${where}: ${stacks.map((s) => s.StackName).join(', ')}`);
  busy(stacks);
  if (!(await confirmChange(ctx, options.yes, `Delete ${stacks.length} stack(s) of sandbox ${name} and everything in them?`))) return;
  for (const stack of stacks) await deleteStack(clients.cloudFormation, stack);
  const names = stacks.map((s) => s.StackName).join(', ');
  const progress = startProgress(ctx, `deleting ${names}`);
  const failed = await waitForStacks(clients.cloudFormation, stacks, deleted, ctx, { delayMs: POLL_MS });
  if (failed.length > 0) progress.failed(`deleting ${names} failed`);
  else progress.done(`deleted ${names}`);
  if (failed.length > 0) {
    ctx.err(`tollgate: not everything was deleted: ${failed.join('; ')}`);
    ctx.setExitCode(1);
  } else {
    ctx.out(`Sandbox ${name} is gone.`);
  }
}

async function renew(ctx: CliContext, name: string, options: { days?: number }, { clients, where }: Session): Promise<void> {
  const expires = expiryAfter(ctx.now(), options.days ?? DEFAULT_SANDBOX_DAYS);
  const stacks = await sandboxStacks(clients.cloudFormation, name);
  if (stacks.length === 0) throw new CliError(`sandbox ${name} has no stacks in ${where}; nothing to renew`, 1);
  busy(stacks);
  ctx.out(`Renewing sandbox ${name} in ${where} until ${expires}`);
  const changed: Stack[] = [];
  for (const stack of stacks) if (await retagStack(clients.cloudFormation, stack, expires)) changed.push(stack);
  const failed = await waitForStacks(clients.cloudFormation, changed, updated, ctx, { delayMs: POLL_MS });
  if (failed.length > 0) {
    ctx.err(`tollgate: the expiry of ${failed.join('; ')} could not be changed`);
    ctx.setExitCode(1);
  } else {
    ctx.out(`Sandbox ${name} now expires ${expires}.`);
  }
}

async function list(ctx: CliContext, { config, clients, identity, where }: Session): Promise<void> {
  const now = ctx.now();
  const sandboxes = await listSandboxes(clients.cloudFormation, { account: identity.account, prodAccount: config.prod.account }, now);
  ctx.report(sandboxes, () => printSandboxes(ctx, sandboxes, now, where));
}

export function registerSandboxCommand(program: Command, ctx: CliContext): void {
  const sandbox = program
    .command('sandbox')
    .description('Personal sandboxes of the whole service in the sandbox account: deploy, diff, test, list, renew, destroy (never in prod)');
  const nameOption = '--name <name>';
  const nameHelp = 'sandbox name, [a-z][a-z0-9-]{0,19} (default: your OS user name, normalized)';
  const daysHelp = `lifetime in days from now, 1-${MAX_SANDBOX_DAYS} (default ${DEFAULT_SANDBOX_DAYS})`;
  const days = parseWholeNumber('--days', 'days', 1, MAX_SANDBOX_DAYS);

  sandbox
    .command('deploy')
    .description('Deploy your sandbox (<name>/* stacks) from this clone or any git ref, streaming cdk\'s progress; sets its expiry')
    .option(nameOption, nameHelp)
    .option('--ref <git-ref>', 'deploy this commit, branch or tag (e.g. a release candidate) from a temporary git worktree')
    .option('--hotswap', 'hotswap what can be (Lambda code, ...) and deploy the rest through CloudFormation: fast iteration, sandboxes only')
    .option('--days <days>', daysHelp, days)
    .action((options: CdkOptions) => forSandbox(options.name, (name, session) => runCdk(ctx, 'deploy', name, options, session)));
  sandbox
    .command('diff')
    .description('Show what a deploy of your sandbox would change')
    .option(nameOption, nameHelp)
    .option('--ref <git-ref>', 'diff this commit, branch or tag instead of this clone')
    .action((options: CdkOptions) => forSandbox(options.name, (name, session) => runCdk(ctx, 'diff', name, options, session)));
  sandbox
    .command('destroy')
    .description('Delete every stack of your sandbox (found by its tags) and wait until they are gone')
    .option(nameOption, nameHelp)
    .option('--yes', 'do not ask for confirmation (required when there is no terminal)')
    .action((options: { name?: string; yes?: boolean }) => forSandbox(options.name, (name, session) => destroy(ctx, name, options, session)));
  sandbox
    .command('test')
    .description("Run the pipeline Sandbox stage's integration tests (test/integration) against your sandbox's endpoints, read from its stack's outputs")
    .option(nameOption, nameHelp)
    .action((options: { name?: string }) => forSandbox(options.name, (name, session) => integrationTests(ctx, name, session)));
  sandbox
    .command('list')
    .description('Every sandbox in the sandbox account: name, owner, age, expiry and what the cleaner will do')
    .action(() => inSandboxAccount((session) => list(ctx, session)));
  sandbox
    .command('renew')
    .description('Push your sandbox\'s expiry out (re-tags its stacks; no redeploy)')
    .option(nameOption, nameHelp)
    .option('--days <days>', daysHelp, days)
    .action((options: { name?: string; days?: number }) => forSandbox(options.name, (name, session) => renew(ctx, name, options, session)));
}
