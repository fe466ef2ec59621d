import {
  CloudFormationClient,
  DeleteStackCommand,
  DescribeStacksCommand,
  Stack,
  UpdateStackCommand,
  paginateDescribeStacks,
} from '@aws-sdk/client-cloudformation';
import { decideDeletions } from '../../lambdas/sandbox-cleaner/select';
import { EXPIRES_TAG, OWNER_TAG, SANDBOX_TAG } from '../../lambdas/shared/sandbox-tags';
import { CliContext } from '../context';

/** One stack of a sandbox, with what the cleaner will do with it. */
export interface SandboxStack {
  readonly stackName: string;
  readonly stackId: string;
  readonly status: string;
  readonly created?: string;
  /** The sandbox cleaner's verdict on this stack now. */
  readonly cleaner: { readonly action: 'delete' | 'keep'; readonly reason: string };
}

/** A sandbox as `sandbox list` shows it: the stacks tagged with its name. */
export interface SandboxSummary {
  readonly name: string;
  readonly owner?: string;
  /** Creation of its oldest stack. */
  readonly created?: string;
  readonly expires?: string;
  readonly stacks: SandboxStack[];
}

const tag = (stack: Stack, key: string) => stack.Tags?.find((t) => t.Key === key)?.Value;

async function describeAll(cloudFormation: CloudFormationClient): Promise<Stack[]> {
  const stacks: Stack[] = [];
  for await (const page of paginateDescribeStacks({ client: cloudFormation }, {})) stacks.push(...(page.Stacks ?? []));
  return stacks;
}

/**
 * Every sandbox in the account and region: top-level stacks carrying the sandbox tag, grouped by it, each
 * with the cleaner's own verdict (the same decision code the cleaner runs).
 */
export async function listSandboxes(cloudFormation: CloudFormationClient, accounts: { account: string; prodAccount: string }, now: Date): Promise<SandboxSummary[]> {
  const stacks = (await describeAll(cloudFormation)).filter((s) => !s.ParentId && tag(s, SANDBOX_TAG) !== undefined && s.StackStatus !== 'DELETE_COMPLETE');
  const verdicts = decideDeletions({
    ...accounts,
    now,
    stacks: stacks.map((s) => ({ stackName: s.StackName ?? '', status: s.StackStatus, parentId: s.ParentId, tags: s.Tags })),
  }).verdicts;
  const byName = new Map<string, SandboxSummary>();
  stacks.forEach((s, i) => {
    const name = tag(s, SANDBOX_TAG)!;
    const created = s.CreationTime?.toISOString();
    const existing = byName.get(name);
    const entry: SandboxStack = { stackName: s.StackName ?? '', stackId: s.StackId ?? s.StackName ?? '', status: s.StackStatus ?? 'UNKNOWN', created, cleaner: { action: verdicts[i].action, reason: verdicts[i].reason } };
    byName.set(name, {
      name,
      owner: existing?.owner ?? tag(s, OWNER_TAG),
      created: [existing?.created, created].filter((c): c is string => Boolean(c)).sort()[0],
      expires: existing?.expires ?? tag(s, EXPIRES_TAG),
      stacks: [...(existing?.stacks ?? []), entry],
    });
  });
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** The stacks that belong to sandbox `name`: tagged with it and named `<name>-…`, as the cleaner requires. */
export async function sandboxStacks(cloudFormation: CloudFormationClient, name: string): Promise<Stack[]> {
  return (await describeAll(cloudFormation)).filter(
    (s) => !s.ParentId && tag(s, SANDBOX_TAG) === name && s.StackName?.startsWith(`${name}-`) && s.StackStatus !== 'DELETE_COMPLETE',
  );
}

/**
 * Sets a new expiry on a stack without redeploying it: UpdateStack with the previous template and parameter
 * values and the tags changed (CloudFormation passes stack tags on to the resources).
 *
 * @returns false when the stack already carried exactly these tags.
 */
export async function retagStack(cloudFormation: CloudFormationClient, stack: Stack, expires: string): Promise<boolean> {
  try {
    await cloudFormation.send(
      new UpdateStackCommand({
        StackName: stack.StackId ?? stack.StackName,
        UsePreviousTemplate: true,
        Parameters: (stack.Parameters ?? []).map((p) => ({ ParameterKey: p.ParameterKey, UsePreviousValue: true })),
        // The template is unchanged; acknowledging what it may already contain lets the update through.
        Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
        Tags: [...(stack.Tags ?? []).filter((t) => t.Key !== EXPIRES_TAG), { Key: EXPIRES_TAG, Value: expires }],
      }),
    );
    return true;
  } catch (err) {
    if ((err as Error).name === 'ValidationError' && /No updates are to be performed/i.test((err as Error).message)) return false;
    throw err;
  }
}

export async function deleteStack(cloudFormation: CloudFormationClient, stack: Stack): Promise<void> {
  await cloudFormation.send(new DeleteStackCommand({ StackName: stack.StackId ?? stack.StackName }));
}

export interface WaitOptions {
  /** Between two polls. */
  readonly delayMs: number;
  /** Give up after this long. @default one hour */
  readonly timeoutMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Whether a stack status is final, and whether it is the one wanted. */
export type Goal = (status: string) => 'wait' | 'done' | 'failed';

/** `destroy`: gone is done; a failed deletion is final. */
export const deleted: Goal = (status) => (status === 'DELETE_COMPLETE' ? 'done' : status === 'DELETE_FAILED' ? 'failed' : 'wait');
/** `renew`: settled without rolling back. */
export const updated: Goal = (status) =>
  status.endsWith('_IN_PROGRESS') ? 'wait' : status.endsWith('_FAILED') || status.includes('ROLLBACK') ? 'failed' : 'done';

/**
 * Polls the stacks until each reaches a final status, printing every status change as it happens (the
 * progress a person sees during a long deletion or update). Resolves to the stacks that ended `failed`.
 */
export async function waitForStacks(cloudFormation: CloudFormationClient, stacks: Stack[], goal: Goal, ctx: CliContext, options: WaitOptions): Promise<string[]> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const timeoutMs = options.timeoutMs ?? 3_600_000;
  const deadline = Date.now() + timeoutMs;
  const last = new Map<string, string>();
  const failed: string[] = [];
  let pending = [...stacks];
  while (pending.length > 0) {
    const still: Stack[] = [];
    for (const stack of pending) {
      const name = stack.StackName ?? '?';
      let status: string;
      let reason: string | undefined;
      try {
        const found = (await cloudFormation.send(new DescribeStacksCommand({ StackName: stack.StackId ?? name }))).Stacks?.[0];
        status = found?.StackStatus ?? 'DELETE_COMPLETE';
        reason = found?.StackStatusReason;
      } catch (err) {
        // Asked by name, a deleted stack "does not exist".
        if (!/does not exist/.test((err as Error).message)) throw err;
        status = 'DELETE_COMPLETE';
      }
      if (last.get(name) !== status) ctx.out(`  ${name}: ${status}${reason ? ` (${reason})` : ''}`);
      last.set(name, status);
      const state = goal(status);
      if (state === 'wait') still.push(stack);
      if (state === 'failed') failed.push(`${name}: ${status}${reason ? ` (${reason})` : ''}`);
    }
    pending = still;
    if (pending.length > 0) {
      if (Date.now() > deadline) throw new Error(`still waiting for ${pending.map((s) => s.StackName).join(', ')} after ${Math.round(timeoutMs / 60_000)} min; follow it in the CloudFormation console`);
      await sleep(options.delayMs);
    }
  }
  return failed;
}
