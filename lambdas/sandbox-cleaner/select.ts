import { EXPIRES_TAG, PIPELINE_SANDBOX_NAME, SANDBOX_TAG, isSandboxName, parseExpiry } from '../shared/sandbox-tags';

/** A stack as CloudFormation's DescribeStacks reports it, reduced to what the decision reads. */
export interface StackDescription {
  readonly stackName: string;
  readonly status?: string;
  /** Set for nested stacks: they go with their root, never on their own. */
  readonly parentId?: string;
  /** The stack's tags as reported; `undefined` when they could not be read. */
  readonly tags: readonly { readonly Key?: string; readonly Value?: string }[] | undefined;
}

export interface CleanerInput {
  readonly stacks: readonly StackDescription[];
  readonly now: Date;
  /** The account the cleaner runs in, from its own function ARN. */
  readonly account: string;
  /** The prod account, in which the cleaner refuses to delete anything. */
  readonly prodAccount: string;
}

export interface StackVerdict {
  readonly stackName: string;
  readonly action: 'delete' | 'keep';
  /** Why, in words for the log. */
  readonly reason: string;
  /** The sandbox the stack belongs to, when its tags say so. */
  readonly sandbox?: string;
}

export interface CleanerDecision {
  /** Set when the cleaner must delete nothing at all, and why. */
  readonly refused?: string;
  readonly verdicts: StackVerdict[];
}

const ACCOUNT = /^\d{12}$/;

function keep(stackName: string, reason: string, sandbox?: string): StackVerdict {
  return { stackName, action: 'keep', reason, sandbox };
}

function verdict(stack: StackDescription, now: Date): StackVerdict {
  const { stackName } = stack;
  if (stack.parentId) return keep(stackName, 'nested stack: deleted with its root stack');
  if (!Array.isArray(stack.tags)) return keep(stackName, 'tags unreadable');
  const tags = new Map<string, string>();
  for (const tag of stack.tags) {
    if (typeof tag?.Key !== 'string' || typeof tag.Value !== 'string') return keep(stackName, 'tags malformed: a tag without key or value');
    if (tags.has(tag.Key) && tags.get(tag.Key) !== tag.Value) return keep(stackName, `tags malformed: ${tag.Key} given twice`);
    tags.set(tag.Key, tag.Value);
  }
  const sandbox = tags.get(SANDBOX_TAG);
  if (sandbox === undefined) return keep(stackName, `not a sandbox: no ${SANDBOX_TAG} tag`);
  if (sandbox === PIPELINE_SANDBOX_NAME) return keep(stackName, "the release pipeline's sandbox: the pipeline keeps it", sandbox);
  if (!isSandboxName(sandbox)) return keep(stackName, `malformed ${SANDBOX_TAG} tag ${JSON.stringify(sandbox)}`);
  // Sandbox stacks are named <sandbox>-<stack>: a tag on a stack of another name is a mistake, not a licence.
  if (!stackName.startsWith(`${sandbox}-`)) return keep(stackName, `name does not belong to sandbox ${sandbox}`, sandbox);
  const rawExpiry = tags.get(EXPIRES_TAG);
  if (rawExpiry === undefined) return keep(stackName, `no ${EXPIRES_TAG} tag`, sandbox);
  const expires = parseExpiry(rawExpiry);
  if (!expires) return keep(stackName, `malformed ${EXPIRES_TAG} tag ${JSON.stringify(rawExpiry)}`, sandbox);
  if (expires.getTime() > now.getTime()) return keep(stackName, `expires ${rawExpiry}`, sandbox);
  const status = stack.status ?? '';
  if (status.startsWith('DELETE_') && status !== 'DELETE_FAILED') return keep(stackName, `already ${status}`, sandbox);
  // Busy stacks cannot be deleted now; the next run gets them.
  if (status.endsWith('_IN_PROGRESS')) return keep(stackName, `expired ${rawExpiry} but busy (${status}); next run`, sandbox);
  return { stackName, action: 'delete', reason: `expired ${rawExpiry}`, sandbox };
}

/**
 * Which stacks to delete: only top-level stacks whose readable, well-formed tags name a sandbox (matching the
 * stack's name) and an expiry that has passed — and nothing at all in the prod account or when the accounts
 * cannot be told apart.
 */
export function decideDeletions(input: CleanerInput): CleanerDecision {
  const refuse = (refused: string): CleanerDecision => ({
    refused,
    verdicts: input.stacks.map((s) => keep(s.stackName, `cleaner refused to run: ${refused}`)),
  });
  if (!ACCOUNT.test(input.account)) return refuse(`cannot tell which account it runs in (got ${JSON.stringify(input.account)})`);
  if (!ACCOUNT.test(input.prodAccount)) return refuse(`the prod account is not configured (got ${JSON.stringify(input.prodAccount)})`);
  if (input.account === input.prodAccount) return refuse(`it runs in the prod account ${input.account}`);
  return { verdicts: input.stacks.map((s) => verdict(s, input.now)) };
}
