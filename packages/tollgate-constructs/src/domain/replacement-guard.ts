/**
 * The replacement guard's decision (seed 003's warning: a change that makes CloudFormation replace or delete a
 * stateful resource loses its data). Pure: change sets in the shape of CloudFormation's `DescribeChangeSet`
 * answer, an allow-list and what the pipeline has consumed of it in, a verdict out. The pipeline's guard step
 * (`lambdas/replacement-guard/`) feeds it the change set Prepare created; `tollgate guard` feeds it changes it
 * derives offline from two cloud assemblies ({@link diffTemplates}).
 */

/**
 * The guard's pipeline action is named `<prefix><stack name>` (CDK Pipelines names a step's action after its id):
 * how `tollgate metrics` tells a build the guard stopped.
 */
export const REPLACEMENT_GUARD_STEP_PREFIX = 'ReplacementGuard-';

/**
 * The stack a pipeline action guards, when it is a guard step: `ReplacementGuard-<stack>`, or
 * `<stack>.ReplacementGuard-<stack>` in a stage with other steps (CDK Pipelines prefixes the stack's name there).
 */
export function guardedStackOf(actionName: string): string | undefined {
  const at = actionName.indexOf(REPLACEMENT_GUARD_STEP_PREFIX);
  if (at < 0 || (at > 0 && actionName[at - 1] !== '.')) return undefined;
  return actionName.slice(at + REPLACEMENT_GUARD_STEP_PREFIX.length);
}

/** `Details[].Target` of a resource change. */
export interface ChangeTarget {
  readonly Attribute?: string;
  readonly Name?: string;
  readonly RequiresRecreation?: 'Never' | 'Conditionally' | 'Always' | string;
}

/** `Changes[].ResourceChange` of DescribeChangeSet. */
export interface ResourceChange {
  readonly Action?: 'Add' | 'Modify' | 'Remove' | 'Import' | 'Dynamic' | string;
  readonly LogicalResourceId?: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceType?: string;
  readonly Replacement?: 'True' | 'False' | 'Conditional' | string;
  readonly Scope?: readonly string[];
  readonly Details?: readonly { readonly Target?: ChangeTarget; readonly Evaluation?: string; readonly ChangeSource?: string; readonly CausingEntity?: string }[];
  /** For a nested stack (`AWS::CloudFormation::Stack`) in an `IncludeNestedStacks` change set: its own change set. */
  readonly ChangeSetId?: string;
  readonly PolicyAction?: string;
}

/** `Changes[]` of DescribeChangeSet. */
export interface Change {
  readonly Type?: string;
  readonly ResourceChange?: ResourceChange;
}

/** One described change set: its stack, its changes (every page), and the described change sets of its nested stacks. */
export interface DescribedChangeSet {
  readonly stackName: string;
  readonly changeSetId?: string;
  readonly changes: readonly Change[];
  /** Child change sets of nested stacks (`IncludeNestedStacks`), described separately, by their ChangeSetId. */
  readonly nested?: readonly DescribedChangeSet[];
}

/**
 * Resource types that hold data, with the properties whose change CloudFormation answers with a replacement
 * (its resource specification's `UpdateType: Immutable`, for the properties teams change; used offline by
 * {@link diffTemplates}, where no change set says so). A nested stack counts: replacing or removing it deletes
 * whatever it holds. Extend with {@link GuardOptions.extraStatefulTypes}.
 */
export const STATEFUL_TYPES: Readonly<Record<string, readonly string[]>> = {
  'AWS::DynamoDB::Table': ['KeySchema', 'TableName', 'LocalSecondaryIndexes'],
  'AWS::DynamoDB::GlobalTable': ['KeySchema', 'TableName', 'LocalSecondaryIndexes'],
  'AWS::S3::Bucket': ['BucketName'],
  'AWS::KMS::Key': ['KeySpec', 'KeyUsage', 'MultiRegion'],
  'AWS::Logs::LogGroup': ['LogGroupName', 'LogGroupClass'],
  'AWS::RDS::DBInstance': ['DBInstanceIdentifier', 'DBName', 'KmsKeyId', 'StorageEncrypted', 'AvailabilityZone', 'DBSnapshotIdentifier', 'DBClusterIdentifier'],
  'AWS::RDS::DBCluster': ['DBClusterIdentifier', 'DatabaseName', 'KmsKeyId', 'StorageEncrypted', 'SnapshotIdentifier', 'MasterUsername', 'EngineMode'],
  'AWS::EFS::FileSystem': ['Encrypted', 'KmsKeyId', 'PerformanceMode', 'AvailabilityZoneName'],
  'AWS::SQS::Queue': ['QueueName', 'FifoQueue'],
  'AWS::Cognito::UserPool': ['AliasAttributes', 'UsernameAttributes', 'UsernameConfiguration'],
  'AWS::Kinesis::Stream': ['Name'],
  'AWS::SecretsManager::Secret': ['Name'],
  'AWS::ElastiCache::ReplicationGroup': ['ReplicationGroupId', 'AtRestEncryptionEnabled', 'KmsKeyId', 'CacheSubnetGroupName', 'Engine'],
  'AWS::CloudFormation::Stack': [],
};

/** One entry of `tollgate-allow-replace.json`: an announced replacement or removal of one resource of one stack. */
export interface AllowEntry {
  readonly stack: string;
  readonly logicalId: string;
  readonly reason: string;
}

/** Where a consumed entry went: the pipeline execution that used it, and when. */
export interface Consumption {
  readonly executionId: string;
  readonly at: string;
}

export interface GuardOptions {
  readonly allowList?: readonly AllowEntry[];
  /**
   * Which entries an earlier guard run consumed, by {@link allowEntryKey}. An entry consumed by another pipeline
   * execution no longer allows anything; by this execution (a retried stage), it still does.
   *
   * @default - none consumed (the local command: the pipeline checks consumption)
   */
  readonly consumed?: ReadonlyMap<string, Consumption>;
  /** The pipeline execution asking. @default - none */
  readonly executionId?: string;
  /** More stateful types (and their replacement-causing properties). @default - none */
  readonly extraStatefulTypes?: Readonly<Record<string, readonly string[]>>;
}

/** A stateful resource the change would replace or remove. */
export interface GuardFinding {
  readonly stack: string;
  readonly logicalId: string;
  readonly physicalId?: string;
  readonly resourceType: string;
  readonly action: 'replace' | 'remove';
  /** `Replacement` as CloudFormation said it (True or Conditional), for a replacement. */
  readonly replacement?: string;
  /** The properties (or attributes) that force the replacement, each with CloudFormation's RequiresRecreation. */
  readonly causes: readonly string[];
  readonly status: 'blocked' | 'allowed';
  /** Why, in one line (e.g. fail-closed on Conditional, an allow-list entry's reason or its consumption). */
  readonly note: string;
  /** The allow-list entry that allowed it (the pipeline records it as consumed). */
  readonly entry?: AllowEntry;
}

export interface GuardVerdict {
  /** pass: nothing stateful is lost (or only announced losses); fail: something is; cannot-decide: fails closed too. */
  readonly outcome: 'pass' | 'fail' | 'cannot-decide';
  readonly blocked: readonly GuardFinding[];
  readonly allowed: readonly GuardFinding[];
  /** What could not be inspected (a nested stack's change set missing). */
  readonly undecided: readonly string[];
  /** Allow-list entries no change used: harmless, but worth removing once their replacement is done. */
  readonly unusedEntries: readonly AllowEntry[];
  /** How many resource changes were inspected. */
  readonly inspected: number;
}

/** The key an entry is consumed under: stack, logical ID and a hash of the reason (a new reason is a new entry). */
export function allowEntryKey(entry: AllowEntry): string {
  return `${entry.stack}/${entry.logicalId}/${fnv1a(entry.reason)}`;
}

/** 32-bit FNV-1a, hex: a short, stable name for a reason in an SSM parameter name. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

const CAUSING = new Set(['Always', 'Conditionally']);

/** The guard's verdict on `changeSets` (each with its nested change sets). */
export function evaluateChangeSets(changeSets: readonly DescribedChangeSet[], options: GuardOptions = {}): GuardVerdict {
  const stateful: Record<string, readonly string[]> = { ...STATEFUL_TYPES, ...options.extraStatefulTypes };
  const allow = new Map<string, AllowEntry>();
  for (const entry of options.allowList ?? []) allow.set(`${entry.stack}\u0000${entry.logicalId}`, entry);
  const used = new Set<AllowEntry>();
  const blocked: GuardFinding[] = [];
  const allowed: GuardFinding[] = [];
  const undecided: string[] = [];
  let inspected = 0;

  const visit = (set: DescribedChangeSet): void => {
    const nestedById = new Map((set.nested ?? []).map((n) => [n.changeSetId, n]));
    for (const change of set.changes) {
      const rc = change.ResourceChange;
      if (!rc) continue;
      inspected++;
      const type = rc.ResourceType ?? '';
      const logicalId = rc.LogicalResourceId ?? '?';
      const replaced = rc.Action === 'Modify' && (rc.Replacement === 'True' || rc.Replacement === 'Conditional');
      const removed = rc.Action === 'Remove';
      if (type === 'AWS::CloudFormation::Stack' && rc.Action === 'Modify' && !replaced) {
        const child = rc.ChangeSetId === undefined ? undefined : nestedById.get(rc.ChangeSetId);
        if (child) visit(child);
        else undecided.push(`${set.stackName} ${logicalId}: nested stack changes, but its change set was not described (create the change set with IncludeNestedStacks)`);
        continue;
      }
      if (!(type in stateful) || !(replaced || removed)) continue;
      const causes = (rc.Details ?? [])
        .filter((d) => d.Target?.RequiresRecreation !== undefined && CAUSING.has(d.Target.RequiresRecreation))
        .map((d) => `${d.Target?.Attribute === 'Properties' || d.Target?.Attribute === undefined ? '' : `${d.Target.Attribute}.`}${d.Target?.Name ?? '?'} (${d.Target?.RequiresRecreation})`);
      const base = {
        stack: set.stackName,
        logicalId,
        physicalId: rc.PhysicalResourceId,
        resourceType: type,
        action: removed ? ('remove' as const) : ('replace' as const),
        replacement: removed ? undefined : rc.Replacement,
        causes: [...new Set(causes)],
      };
      const what = removed
        ? 'removed: CloudFormation deletes it (or, with DeletionPolicy Retain, orphans it)'
        : rc.Replacement === 'Conditional'
          ? 'may be replaced (Replacement Conditional: decided only at deploy time; the guard fails closed and counts it as a replacement)'
          : 'replaced: a new, empty resource is created (with DeletionPolicy Retain the old one is orphaned, not kept in use)';
      const entry = allow.get(`${set.stackName}\u0000${logicalId}`);
      if (!entry) {
        blocked.push({ ...base, status: 'blocked', note: what });
        continue;
      }
      used.add(entry);
      const consumption = options.consumed?.get(allowEntryKey(entry));
      if (consumption && consumption.executionId !== options.executionId) {
        blocked.push({
          ...base,
          status: 'blocked',
          note: `${what}; its allow-list entry was consumed by execution ${consumption.executionId} at ${consumption.at} (an entry allows one replacement: add a new entry with a new reason)`,
          entry,
        });
      } else {
        allowed.push({ ...base, status: 'allowed', note: `allowed (announced): ${entry.reason}`, entry });
      }
    }
  };
  for (const set of changeSets) visit(set);
  const outcome = blocked.length > 0 ? 'fail' : undecided.length > 0 ? 'cannot-decide' : 'pass';
  return { outcome, blocked, allowed, undecided, unusedEntries: (options.allowList ?? []).filter((e) => !used.has(e)), inspected };
}

/** The verdict as lines for a log, the action's summary and a terminal. */
export function describeVerdict(verdict: GuardVerdict): string[] {
  const lines: string[] = [];
  const finding = (f: GuardFinding) => {
    const cause = f.causes.length > 0 ? `; forced by ${f.causes.join(', ')}` : '';
    return `${f.stack} ${f.logicalId} (${f.resourceType}) ${f.note}${cause}`;
  };
  if (verdict.outcome === 'pass') lines.push(`pass: no stateful resource is replaced or removed unannounced (${verdict.inspected} resource changes inspected)`);
  else if (verdict.outcome === 'fail') lines.push(`fail: ${verdict.blocked.length} stateful resource(s) would be replaced or removed`);
  else lines.push('cannot decide: part of the change could not be inspected; failing closed');
  for (const f of verdict.blocked) lines.push(`  BLOCKED ${finding(f)}`);
  for (const f of verdict.allowed) lines.push(`  ALLOWED ${finding(f)}`);
  for (const u of verdict.undecided) lines.push(`  UNDECIDED ${u}`);
  for (const e of verdict.unusedEntries) lines.push(`  unused allow-list entry: ${e.stack} ${e.logicalId} (${e.reason})`);
  return lines;
}

/** Reads `tollgate-allow-replace.json`: an array of {@link AllowEntry}; one clear line naming the bad field. */
export function parseAllowList(source: string, text: string): AllowEntry[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`${source}: not JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(raw)) throw new Error(`${source}: must be an array of { "stack", "logicalId", "reason" }, got ${JSON.stringify(raw)?.slice(0, 60)}`);
  return raw.map((e, i) => {
    for (const field of ['stack', 'logicalId', 'reason'] as const) {
      const value = (e as Record<string, unknown> | null)?.[field];
      if (typeof value !== 'string' || value.trim() === '') throw new Error(`${source}: [${i}].${field} must be a non-empty string, got ${JSON.stringify(value)}`);
    }
    return { stack: e.stack, logicalId: e.logicalId, reason: e.reason };
  });
}

/** A CloudFormation template, as far as the offline diff reads it. */
export interface TemplateResources {
  readonly Resources?: Readonly<Record<string, { readonly Type?: string; readonly Properties?: Record<string, unknown> }>>;
}

/**
 * Offline stand-in for a change set: the resource changes of `stackName` from `before` to `after`, in the
 * DescribeChangeSet shape, for stateful types only. A replacement-causing property ({@link STATEFUL_TYPES}) that
 * changed is `Replacement: True`, or `Conditional` when either value holds an intrinsic function (its value is
 * known only at deploy); a changed type is a replacement; a logical ID gone (removed or renamed) is a Remove.
 */
export function diffTemplates(stackName: string, before: TemplateResources, after: TemplateResources, extraStatefulTypes: Readonly<Record<string, readonly string[]>> = {}): DescribedChangeSet {
  const stateful: Record<string, readonly string[]> = { ...STATEFUL_TYPES, ...extraStatefulTypes };
  const old = before.Resources ?? {};
  const now = after.Resources ?? {};
  const changes: Change[] = [];
  for (const [logicalId, resource] of Object.entries(old)) {
    const type = resource.Type ?? '';
    if (!(type in stateful)) continue;
    const next = now[logicalId];
    if (!next) {
      changes.push({ Type: 'Resource', ResourceChange: { Action: 'Remove', LogicalResourceId: logicalId, ResourceType: type } });
      continue;
    }
    if (next.Type !== type) {
      changes.push({
        Type: 'Resource',
        ResourceChange: { Action: 'Modify', LogicalResourceId: logicalId, ResourceType: type, Replacement: 'True', Details: [{ Target: { Attribute: 'Type', Name: `${type} → ${next.Type}`, RequiresRecreation: 'Always' } }] },
      });
      continue;
    }
    const details: { Target: ChangeTarget; Evaluation: string }[] = [];
    for (const name of stateful[type]) {
      const a = resource.Properties?.[name];
      const b = next.Properties?.[name];
      if (canonical(a) === canonical(b)) continue;
      const dynamic = hasIntrinsic(a) || hasIntrinsic(b);
      details.push({ Target: { Attribute: 'Properties', Name: name, RequiresRecreation: dynamic ? 'Conditionally' : 'Always' }, Evaluation: dynamic ? 'Dynamic' : 'Static' });
    }
    if (details.length === 0) continue;
    const replacement = details.some((d) => d.Target.RequiresRecreation === 'Always') ? 'True' : 'Conditional';
    changes.push({ Type: 'Resource', ResourceChange: { Action: 'Modify', LogicalResourceId: logicalId, ResourceType: type, Replacement: replacement, Details: details } });
  }
  return { stackName, changes };
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) : v,
  ) ?? 'undefined';
}

function hasIntrinsic(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasIntrinsic);
  if (value && typeof value === 'object') return Object.keys(value).some((k) => k === 'Ref' || k.startsWith('Fn::')) || Object.values(value).some(hasIntrinsic);
  return false;
}
