/**
 * The bake gate function. Three triggers, one owner of every bake approval of the pipeline (the dev bake
 * before prod, the prod bake after it):
 * - "CloudWatch Alarm State Change" of a watched alarm entering ALARM: reject the bakes of its environment at
 *   once (halt fast), then reconcile the rest;
 * - "CodePipeline Action Execution State Change" of a bake approval: a bake started, check it now;
 * - a one-minute schedule: reconcile every pending approval from the pipeline's state and the alarms'
 *   history, which also catches lost or late events and pays announcements still owed.
 * Every trigger is level-triggered and idempotent: deciding an approval twice does no harm.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import { describeError } from '../../domain/aws-errors';
import { z } from 'zod';
import { checkWithSchema } from '../../domain/schema';
import { AwsGateAdapter, GatePort, PipelineControls, ReadDepth, ReaderRoleUnavailable } from './adapter';
import {
  ALARM_STATES,
  AlarmEvent,
  decidedByHand,
  gateActionOf,
  HandDecision,
  decide,
  Decision,
  EnvironmentReading,
  GateInputs,
  noReleaseCalendar,
  openedByOverride,
  PendingApproval,
  Read,
  readFailed,
  readOk,
  reachOf,
  rejectionsForAlarmEvent,
  ReleaseWindow,
  ReleaseWindowProvider,
  TimeSpan,
  upstreamSpan,
} from './core';
import { Announcement, EMPTY_GATE_STATE, trackFailures } from './gate-state';
import { FORCED_OVERRIDE_REASON, RELEASE_CALENDAR_ENV, releaseWindowFromEnvironment } from './release-window';
import { settingsChangeOnColdStart } from './settings-change';
import { GATE_METRICS, GATE_METRICS_NAMESPACE, GATE_SETTINGS_ENV, GATE_STATE_TABLE_ENV, GATE_TOPIC_ENV, GateSettings, parseGateSettings } from './settings';

export interface GateLog {
  info(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
}

export interface GateDependencies {
  readonly port: GatePort;
  readonly settings: GateSettings;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /**
   * The release calendar's answer per execution.
   *
   * @default noReleaseCalendar
   */
  readonly releaseWindow?: ReleaseWindowProvider;
  readonly log: GateLog;
}

/** One decision and what became of it. */
export interface DecisionRecord {
  readonly pipelineExecutionId: string;
  readonly stageName: string;
  readonly verdict: Decision['verdict']['kind'];
  readonly summary: string;
  /** For approvals and rejections: whether CodePipeline took it, or the approval was already decided. */
  readonly outcome?: 'recorded' | 'already-decided';
}

export interface GateReport {
  readonly trigger: 'alarm' | 'bake-started' | 'schedule';
  readonly decisions: DecisionRecord[];
  /** Announcements made this time (owed ones included). */
  readonly announced: string[];
  /** After a full check: the approvals found waiting, and how long the oldest has waited. */
  readonly pending?: { readonly count: number; readonly oldestMinutes: number };
}

export type Gate = (event: unknown) => Promise<GateReport>;

/** An event the gate cannot use: one line naming the field and the value. */
export class GateEventError extends Error {
  constructor(field: string, value: unknown, expectation: string) {
    super(`unusable event: ${field} ${expectation}, got ${JSON.stringify(value)}`);
    this.name = 'GateEventError';
  }
}

export function createGate(deps: GateDependencies): Gate {
  const { port, settings, log } = deps;
  const clock = deps.now ?? (() => new Date());
  const releaseWindow = deps.releaseWindow ?? noReleaseCalendar;
  const accounts = new Map(settings.environments.map((e) => [e.name, { account: e.account, region: e.region }]));

  /** The announcement a recorded verdict owes: every rejection, and an approval only an override let through. */
  function announcementFor(decision: Decision, windows?: ReadonlyMap<string, Read<ReleaseWindow | undefined>>): Announcement | undefined {
    const { approval, verdict } = decision;
    const action = gateActionOf(approval, settings);
    const window = windows?.get(approval.pipelineExecutionId);
    const overridden = window?.ok === true && window.value !== undefined && openedByOverride(window.value);
    if (verdict.kind === 'wait' || (verdict.kind === 'approve' && !overridden)) return undefined;
    const where = `${approval.stageName}/${approval.actionName}`;
    const [subject, outcome] =
      verdict.kind === 'approve'
        ? forcedThroughIncident(window)
          ? [`Tollgate ${settings.pipelineName}: promoted THROUGH AN INCIDENT FREEZE`, 'promoted under a break-glass override forced through an incident freeze.']
          : [`Tollgate ${settings.pipelineName}: promoted outside the release calendar`, 'promoted under a break-glass override of the release calendar.']
        : action.kind === 'entry-check'
          ? [
              `Tollgate ${settings.pipelineName}: build stopped at the ${approval.stageName} entry check`,
              `the build did not deploy to ${approval.stageName}; the stage fails and re-deploys its last successful release (a no-op).`,
            ]
          : action.bake.promotion
          ? [`Tollgate ${settings.pipelineName}: build rejected in the ${where} bake`, `the build will not reach ${action.bake.promotion.stageName}.`]
          : [
              `Tollgate ${settings.pipelineName}: ${approval.stageName} bake failed, rolling back`,
              `the ${approval.stageName} stage fails and rolls back to the last successful release.`,
            ];
    return {
      id: `${approval.pipelineExecutionId}/${where}/${verdict.kind}`,
      subject,
      message: [
        `Pipeline ${settings.pipelineName}, execution ${approval.pipelineExecutionId}: ${outcome}`,
        verdict.summary,
        `Bake started ${approval.bakeStartedAt.toISOString()}.`,
      ].join('\n'),
    };
  }

  /** The announcement of a gate-owned approval decided by someone else: deliberate or not, it skipped the gate. */
  function handAnnouncement(decision: HandDecision): Announcement {
    const what = `${decision.stageName}/${decision.actionName}`;
    const verb = decision.status === 'Succeeded' ? 'approved' : 'rejected';
    return {
      id: handDecisionId(decision),
      subject: `Tollgate ${settings.pipelineName}: ${what} ${verb} by hand, not by the gate`,
      message: [
        `Pipeline ${settings.pipelineName}, execution ${decision.pipelineExecutionId}: ${what} was ${verb} by ${decision.by}${decision.at ? ` at ${decision.at.toISOString()}` : ''}.`,
        verb === 'approved'
          ? 'The gate did not decide it: its checks (bake time, alarms, evidence, calendar) were skipped. If that was not deliberate, run `tollgate stop` and `tollgate rollback`.'
          : 'The gate did not decide it; the build stops here.',
      ].join('\n'),
    };
  }

  /**
   * Puts each verdict, then pays every announcement owed: owed first (kept in the state table), then
   * published and forgotten, so an announcement whose publish failed is made by a later invocation, once. A
   * failed announcement leaves the verdict standing and fails the invocation, so the gate's error alarm fires.
   */
  async function apply(decisions: Decision[], owedBefore: readonly Announcement[], windows?: ReadonlyMap<string, Read<ReleaseWindow | undefined>>) {
    const records: DecisionRecord[] = [];
    const owed = new Map(owedBefore.map((a) => [a.id, a]));
    let failure: unknown;
    for (const decision of decisions) {
      const { approval, verdict } = decision;
      const base = { pipelineExecutionId: approval.pipelineExecutionId, stageName: approval.stageName, verdict: verdict.kind, summary: verdict.summary };
      if (verdict.kind === 'wait') {
        log.info(verdict.summary, base);
        records.push(base);
        // Where `tollgate status` says why the build is held; a failure to say so decides nothing.
        await port.recordWaiting(approval, { summary: verdict.summary, at: clock() }).catch((err) => log.error('could not record why a build waits', { error: describeError(err) }));
        continue;
      }
      const outcome = await port.putApprovalResult(approval, verdict.kind === 'approve' ? 'Approved' : 'Rejected', verdict.summary);
      await port.recordWaiting(approval).catch((err) => log.error('could not forget why a build waited', { error: describeError(err) }));
      log.info(verdict.summary, { ...base, outcome });
      records.push({ ...base, outcome });
      const announcement = outcome === 'recorded' ? announcementFor(decision, windows) : undefined;
      if (!announcement) continue;
      const owedAlready = owed.has(announcement.id);
      owed.set(announcement.id, announcement);
      try {
        // Owed already by an invocation this one did not see (a concurrent one): that one, or the next
        // schedule, makes it. Publishing it here as well would announce the same verdict twice.
        if (!(await port.owe(announcement)) && !owedAlready) owed.delete(announcement.id);
      } catch (err) {
        // Publishing now may still work; if it does not, the invocation fails and the alarm pages.
        log.error('could not record the announcement owed', { id: announcement.id, error: describeError(err) });
        failure ??= err;
      }
    }
    const announced: string[] = [];
    for (const announcement of owed.values()) {
      try {
        await port.publish(announcement.subject, announcement.message);
        announced.push(announcement.id);
        await port.paid(announcement.id);
      } catch (err) {
        log.error('could not announce', { id: announcement.id, error: describeError(err) });
        failure ??= err;
      }
    }
    if (failure) throw failure;
    return { decisions: records, announced };
  }

  async function reconcile(trigger: GateReport['trigger'], alreadyDecided: DecisionRecord[] = []): Promise<GateReport> {
    const now = clock();
    const [view, stateRead] = await Promise.all([port.readPipeline(), settle(port.readState(), now)]);
    const state = stateRead.ok ? stateRead.value : EMPTY_GATE_STATE;
    // Approvals of the gate's that someone else decided: announced once (remembered), noted in later summaries.
    const byHand = decidedByHand(view.decided, settings);
    const handAnnouncements: Announcement[] = [];
    let bookkeepingFailure: unknown;
    if (stateRead.ok) {
      for (const decision of byHand.filter((d) => !state.remembered.has(handDecisionId(d)))) {
        const announcement = handAnnouncement(decision);
        try {
          await port.remember(announcement.id);
          // Another invocation that owes it already will announce it.
          if (await port.owe(announcement)) handAnnouncements.push(announcement);
        } catch (err) {
          log.error('could not record a decision by hand', { id: announcement.id, error: describeError(err) });
          bookkeepingFailure ??= err;
        }
      }
    }
    const approvals = view.approvals;
    const stagesRun = new Set([...view.stages].filter(([, s]) => s.latestExecutionId !== undefined).map(([name]) => name));

    // Which environments to read, how deeply, and from when.
    const results = new Map<string, boolean>();
    const upstreamSpans = new Map<string, Read<TimeSpan>>();
    const needs = new Map<string, { depth: ReadDepth; since: Date }>();
    const need = (name: string, depth: ReadDepth, since: Date) => {
      const had = needs.get(name);
      needs.set(name, {
        depth: had?.depth === 'bake' || depth === 'bake' ? 'bake' : 'health',
        since: had && had.since < since ? had.since : since,
      });
    };
    await Promise.all(
      approvals.map(async (approval) => {
        const action = gateActionOf(approval, settings);
        const { upstream, promotion } = reachOf(action);
        if (action.kind === 'bake') for (const name of action.bake.environments) need(name, 'bake', approval.bakeStartedAt);
        if (promotion) for (const name of promotion.environments) need(name, 'health', approval.bakeStartedAt);
        if (upstream) {
          const source = `upstream:${approval.pipelineExecutionId}`;
          const span = await settle(
            port.readActionRuns(approval.pipelineExecutionId).then((runs) => upstreamSpan(runs, view.stages.get(upstream.stageName), upstream, approval.pipelineExecutionId, now)),
            now,
          );
          results.set(source, span.ok);
          upstreamSpans.set(approval.pipelineExecutionId, span);
          for (const name of upstream.environments) need(name, 'bake', span.ok ? span.value.start : approval.bakeStartedAt);
        }
      }),
    );
    const [environmentReads, controls] = await Promise.all([
      Promise.all([...needs].map(async ([name, { depth, since }]) => [name, await settle(port.readEnvironment(name, depth, since, now), now)] as const)),
      approvals.length > 0 ? settle(port.readControls(), now) : undefined,
    ]);
    const environments = new Map<string, Read<EnvironmentReading>>(environmentReads);
    for (const [name, read] of environments) results.set(`environment:${name}`, read.ok);
    if (controls) results.set('controls', controls.ok);
    const releaseWindows = controls?.ok ? await windows(approvals, now, controls.value) : undefined;
    for (const [id, window] of releaseWindows ?? []) results.set(`calendar:${id}`, window.ok);

    // A failed read counts from when it first failed, across invocations.
    const failures = trackFailures(state.failingSince, results, now);
    const since = (source: string) => failures.failingSince.get(source) ?? now;
    const aged = <T>(source: string, read: Read<T>): Read<T> => (read.ok ? read : { ...read, failingSince: since(source) });
    const inputs: GateInputs = {
      now,
      approvals,
      environments: new Map([...environments].map(([name, read]) => [name, aged(`environment:${name}`, read)])),
      stagesRun,
      upstreamSpans: new Map([...upstreamSpans].map(([id, read]) => [id, aged(`upstream:${id}`, read)])),
      halt: controls === undefined ? readOk(undefined) : controls.ok ? readOk(controls.value.halt) : aged('controls', controls),
      releaseWindows: releaseWindows && new Map([...releaseWindows].map(([id, read]) => [id, aged(`calendar:${id}`, read)])),
      decidedByHand: byHand,
    };
    const outcome = await apply(decide(inputs, settings), [...state.outbox, ...handAnnouncements], releaseWindows);
    if (stateRead.ok && (failures.started.length > 0 || failures.recovered.length > 0)) await port.recordFailures(failures);
    // Decided without memory of earlier failures or owed announcements: decide, but page.
    if (!stateRead.ok) throw new Error(`the gate's state could not be read: ${stateRead.error}`);
    if (bookkeepingFailure) throw bookkeepingFailure;
    await port.recordHealth({ lastCheckAt: now }).catch((err) => log.error('could not record the completed check', { error: describeError(err) }));
    const oldest = Math.min(now.getTime(), ...approvals.map((a) => a.bakeStartedAt.getTime()));
    return {
      trigger,
      decisions: [...alreadyDecided, ...outcome.decisions],
      announced: outcome.announced,
      pending: { count: approvals.length, oldestMinutes: Math.floor((now.getTime() - oldest) / 60_000) },
    };
  }

  /** The calendar's answer for each approval that promotes; bakes that promote nothing do not ask. */
  async function windows(approvals: readonly PendingApproval[], now: Date, controls: PipelineControls): Promise<Map<string, Read<ReleaseWindow | undefined>>> {
    const promoting = approvals.filter((a) => reachOf(gateActionOf(a, settings)).promotion !== undefined);
    const answers = await Promise.all(
      promoting.map(async ({ pipelineExecutionId }) => {
        const answer = await settle(Promise.resolve().then(() => releaseWindow({ now, pipelineExecutionId, controls: controls.parameters })), now);
        return [pipelineExecutionId, answer] as const;
      }),
    );
    return new Map(answers);
  }

  async function handle(event: unknown): Promise<GateReport> {
    const e = eventObject(event);
    if (e.source === 'aws.cloudwatch' && e['detail-type'] === 'CloudWatch Alarm State Change') {
      const alarm = parseAlarmEvent(e);
      if (alarm.state !== 'ALARM') return reconcile('alarm');
      // Halt fast: nothing to read but the pending approvals; the alarm's own event is the evidence.
      const view = await port.readPipeline();
      const fast = rejectionsForAlarmEvent(alarm, view.approvals, settings, accounts, clock());
      const fastOutcome = await apply(fast, []);
      if (fast.length === view.approvals.length) return { trigger: 'alarm', ...fastOutcome };
      // An alarm of an earlier environment may still reject a later bake: the full check decides that.
      return reconcile('alarm', fastOutcome.decisions);
    }
    if (e.source === 'aws.codepipeline' && e['detail-type'] === 'CodePipeline Action Execution State Change') {
      const detail = eventObject(e.detail, 'detail');
      log.info('bake started', { pipelineExecutionId: detail['execution-id'], stage: detail.stage, action: detail.action, at: e.time });
      return reconcile('bake-started');
    }
    if (e.source === 'aws.events' && e['detail-type'] === 'Scheduled Event') return reconcile('schedule');
    throw new GateEventError('source/detail-type', `${String(e.source)}/${String(e['detail-type'])}`, 'is not one the bake gate handles');
  }

  return async (event: unknown): Promise<GateReport> => {
    try {
      return await handle(event);
    } catch (err) {
      // Where `tollgate status` finds why the gate is failing; the failure itself still fails the invocation.
      await port.recordHealth({ lastError: { at: clock(), message: describeError(err) } }).catch(() => undefined);
      throw err;
    }
  };
}

/** Whether an override opened the calendar through an incident freeze (`tollgate override --force-freeze`). */
function forcedThroughIncident(window: Read<ReleaseWindow | undefined> | undefined): boolean {
  return window?.ok === true && (window.value?.reasons ?? []).some((r) => r.startsWith(FORCED_OVERRIDE_REASON));
}

/** One decision by hand, as the gate remembers having announced it. */
function handDecisionId(decision: HandDecision): string {
  return `by-hand/${decision.actionExecutionId}`;
}

/** The read's value, or its failure in one line; a reader role that cannot be assumed is marked as such. */
async function settle<T>(promise: Promise<T>, now: Date): Promise<Read<T>> {
  try {
    return readOk(await promise);
  } catch (err) {
    return readFailed(describeError(err), now, err instanceof ReaderRoleUnavailable);
  }
}

/** `value` parsed by `schema`, or a {@link GateEventError} naming the first bad field (under `prefix`) and its value. */
function parseEvent<S extends z.ZodType>(schema: S, value: unknown, prefix: string): z.output<S> {
  const result = checkWithSchema(schema, value, prefix);
  if (!result.ok) throw new GateEventError(result.problem.field, result.problem.value, result.problem.expectation);
  return result.value;
}

function eventObject(value: unknown, field = 'event'): Record<string, unknown> {
  return parseEvent(z.looseObject({}), value, field);
}

/** The fields of a "CloudWatch Alarm State Change" event the gate uses; EventBridge adds more, which are ignored. */
const alarmEventSchema = z.looseObject({
  account: z.string({ error: 'must be a 12-digit account ID' }).regex(/^\d{12}$/, 'must be a 12-digit account ID'),
  // Every EventBridge event carries the region it came from, a forwarded one its source's (EventBridge User Guide, "Events").
  region: z.string().min(1).optional(),
  detail: z.looseObject({
    alarmName: z.string({ error: 'must be a non-empty string' }).min(1, 'must be a non-empty string'),
    state: z.looseObject({
      value: z.enum(ALARM_STATES, { error: `must be one of ${ALARM_STATES.join(', ')}` }),
      timestamp: z
        .string({ error: 'must be a time' })
        .refine((text) => !Number.isNaN(new Date(text).getTime()), 'must be a time')
        .transform((text) => new Date(text)),
      reason: z.unknown().transform((reason) => (typeof reason === 'string' ? reason : '')),
    }),
  }),
});

/** A "CloudWatch Alarm State Change" event, validated. */
function parseAlarmEvent(event: Record<string, unknown>): AlarmEvent {
  const { account, region, detail } = parseEvent(alarmEventSchema, event, '');
  return { account, region, alarmName: detail.alarmName, state: detail.state.value, reason: detail.state.reason, at: detail.state.timestamp };
}

/** The gate as deployed: settings from the environment, AWS behind the adapter, JSON logs. */
export function gateFromEnvironment(env: Record<string, string | undefined>): Gate {
  const settings = parseGateSettings(env[GATE_SETTINGS_ENV]);
  const topicArn = env[GATE_TOPIC_ENV];
  if (!topicArn) throw new Error(`${GATE_TOPIC_ENV} must be set`);
  const stateTableName = env[GATE_STATE_TABLE_ENV];
  if (!stateTableName) throw new Error(`${GATE_STATE_TABLE_ENV} must be set`);
  const logger = new Logger({ serviceName: 'tollgate-bake-gate' });
  const gate = createGate({
    settings,
    port: new AwsGateAdapter({ settings, topicArn, stateTableName }),
    log: { info: (m, d) => logger.info(m, d ?? {}), error: (m, d) => logger.error(m, d ?? {}) },
    releaseWindow: releaseWindowFromEnvironment(env[RELEASE_CALENDAR_ENV], settings.pipelineName),
  });
  const metrics = new Metrics({ namespace: GATE_METRICS_NAMESPACE, serviceName: 'tollgate-bake-gate', defaultDimensions: { Pipeline: settings.pipelineName } });
  // Announces on the topic, once, that the gate runs with settings other than those it last ran with.
  const settingsChange = settingsChangeOnColdStart({ settings, topicArn, stateTableName, log: { info: (m, d) => logger.info(m, d ?? {}), error: (m, d) => logger.error(m, d ?? {}) } });
  return async (event) => {
    const [report] = await Promise.all([gate(event), settingsChange()]);
    // The gate's own pulse: a check that completed, and how long approvals have waited (the heartbeat and
    // stuck-approval alarms read these; a gate that fails or stops emits nothing, which is what they catch).
    if (report.pending) {
      metrics.addMetric(GATE_METRICS.checks, MetricUnit.Count, 1);
      metrics.addMetric(GATE_METRICS.pending, MetricUnit.Count, report.pending.count);
      metrics.addMetric(GATE_METRICS.oldestPendingMinutes, MetricUnit.Count, report.pending.oldestMinutes);
      metrics.publishStoredMetrics();
    }
    return report;
  };
}

let deployed: Gate | undefined;

export async function handler(event: unknown): Promise<GateReport> {
  deployed ??= gateFromEnvironment(process.env);
  return deployed(event);
}
