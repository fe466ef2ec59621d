import * as path from 'node:path';

/** What a sandbox command asks of the CDK CLI. */
export interface CdkInvocationRequest {
  readonly action: 'deploy' | 'diff';
  /** The sandbox (stage) name; its stacks are `<sandbox>/*`. */
  readonly sandbox: string;
  /** The clone or worktree to run in: its `cdk.json` and its pinned `node_modules/aws-cdk`. */
  readonly projectDir: string;
  /** `deploy`: the `tollgate:expires` value (context `sandboxExpires`). */
  readonly expires?: string;
  /** `deploy`: hotswap Lambda code and similar where CloudFormation is not needed, else deploy normally. */
  readonly hotswap?: boolean;
}

/** A process to start, without a shell. */
export interface CommandLine {
  readonly file: string;
  readonly args: string[];
  readonly cwd: string;
  /** Added to the caller's environment. */
  readonly env: Record<string, string>;
}

/**
 * The `cdk` command line for a sandbox command: the project's pinned CLI (never a global or `latest` one) run
 * by this Node.js, on exactly the sandbox's stacks, offline-safe (`--lookups=false`, `--no-notices`).
 */
export function cdkCommandLine(request: CdkInvocationRequest): CommandLine {
  const args = [path.join(request.projectDir, 'node_modules', 'aws-cdk', 'bin', 'cdk'), request.action, `${request.sandbox}/*`, '-c', `sandbox=${request.sandbox}`];
  // Never drag in another stack (e.g. the pipeline) as a dependency.
  args.push('--exclusively');
  if (request.action === 'deploy') {
    if (request.expires) args.push('-c', `sandboxExpires=${request.expires}`);
    // Falls back to a full CloudFormation deployment for what cannot be hotswapped, so nothing is skipped silently.
    if (request.hotswap) args.push('--hotswap-fallback');
  }
  args.push('--lookups=false', '--no-notices');
  return { file: process.execPath, args, cwd: request.projectDir, env: { CDK_DISABLE_CLI_TELEMETRY: 'true' } };
}
