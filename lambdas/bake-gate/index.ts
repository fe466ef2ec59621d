/**
 * The bake gate function. Three triggers, one owner of the Bake approval:
 * - "CloudWatch Alarm State Change" of a watched dev alarm entering ALARM: reject at once (halt fast);
 * - "CodePipeline Action Execution State Change" of the Bake approval: a bake started, check it now;
 * - a one-minute schedule: reconcile every pending approval from the pipeline's state and the alarms'
 *   history, which also catches lost or late events.
 * Every trigger is level-triggered and idempotent: deciding an approval twice does no harm.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { describeError } from '../shared/aws-errors';
import { isJsonObject } from '../shared/json';
import { AwsGateAdapter, GatePort, PipelineControls } from './adapter';
import {
  ALARM_STATES,
  AlarmEvent,
  decide,
  Decision,
  GateInputs,
  isAlarmState,
  isDevAlarm,
  noReleaseCalendar,
  openedByOverride,
  Read,
  readFailed,
  readOk,
  rejectionsForAlarmEvent,
  ReleaseWindow,
  ReleaseWindowProvider,
} from './core';
import { RELEASE_CALENDAR_ENV, releaseWindowFromEnvironment } from './release-window';
import { GATE_SETTINGS_ENV, GATE_TOPIC_ENV, GateSettings, parseGateSettings } from './settings';

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
  readonly verdict: Decision['verdict']['kind'];
  readonly summary: string;
  /** For approvals and rejections: whether CodePipeline took it, or the approval was already decided. */
  readonly outcome?: 'recorded' | 'already-decided';
}

export interface GateReport {
  readonly trigger: 'alarm' | 'bake-started' | 'schedule';
  readonly decisions: DecisionRecord[];
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

  /**
   * Puts each verdict. Rejections are announced, and so are approvals that only the release calendar's
   * override let through (the break-glass is public). A failed announcement leaves the verdict standing and
   * fails the invocation, so the gate's error alarm fires.
   */
  async function apply(decisions: Decision[], windows?: ReadonlyMap<string, Read<ReleaseWindow | undefined>>): Promise<DecisionRecord[]> {
    const records: DecisionRecord[] = [];
    let publishFailure: unknown;
    for (const { approval, verdict } of decisions) {
      const base = { pipelineExecutionId: approval.pipelineExecutionId, verdict: verdict.kind, summary: verdict.summary };
      if (verdict.kind === 'wait') {
        log.info(verdict.summary, base);
        records.push(base);
        continue;
      }
      const outcome = await port.putApprovalResult(approval, verdict.kind === 'approve' ? 'Approved' : 'Rejected', verdict.summary);
      log.info(verdict.summary, { ...base, outcome });
      records.push({ ...base, outcome });
      if (outcome !== 'recorded') continue;
      const window = windows?.get(approval.pipelineExecutionId);
      const overridden = window?.ok === true && window.value !== undefined && openedByOverride(window.value);
      if (verdict.kind === 'approve' && !overridden) continue;
      const [subject, outcomeLine] =
        verdict.kind === 'reject'
          ? [`Tollgate ${settings.pipelineName}: build rejected in the ${settings.bakeStageName} bake`, 'the build will not reach prod.']
          : [`Tollgate ${settings.pipelineName}: promoted outside the release calendar`, 'promoted to prod under a break-glass override of the release calendar.'];
      try {
        await port.publish(
          subject,
          [
            `Pipeline ${settings.pipelineName}, execution ${approval.pipelineExecutionId}: ${outcomeLine}`,
            verdict.summary,
            `Bake started ${approval.bakeStartedAt.toISOString()}.`,
          ].join('\n'),
        );
      } catch (err) {
        log.error(`could not announce the ${verdict.kind === 'reject' ? 'rejection' : 'override'}`, { error: describeError(err) });
        publishFailure = err;
      }
    }
    if (publishFailure) throw publishFailure;
    return records;
  }

  async function reconcile(trigger: GateReport['trigger']): Promise<GateReport> {
    const now = clock();
    const view = await port.readPipeline();
    if (view.approvals.length === 0) return { trigger, decisions: [] };
    const since = new Date(Math.min(...view.approvals.map((a) => a.bakeStartedAt.getTime())));
    const [devAlarms, prodHealth, requests, controls] = await Promise.all([
      settle(port.readDevAlarms(since, now)),
      view.prodDeployed ? settle(port.readProdHealth()) : ('not-deployed' as const),
      settings.minimumRequests === undefined ? undefined : settle(port.readRequests(since, now)),
      settle(port.readControls()),
    ]);
    const releaseWindows = controls.ok ? await windows(view.approvals.map((a) => a.pipelineExecutionId), now, controls.value) : undefined;
    const inputs: GateInputs = {
      now,
      approvals: view.approvals,
      devAlarms,
      prodHealth,
      requests,
      halt: controls.ok ? readOk(controls.value.halt) : controls,
      releaseWindows,
    };
    return { trigger, decisions: await apply(decide(inputs, settings), releaseWindows) };
  }

  async function windows(executionIds: string[], now: Date, controls: PipelineControls): Promise<Map<string, Read<ReleaseWindow | undefined>>> {
    const answers = await Promise.all(
      executionIds.map(async (pipelineExecutionId) => {
        const answer = await settle(Promise.resolve().then(() => releaseWindow({ now, pipelineExecutionId, controls: controls.parameters })));
        return [pipelineExecutionId, answer] as const;
      }),
    );
    return new Map(answers);
  }

  return async (event: unknown): Promise<GateReport> => {
    const e = eventObject(event);
    if (e.source === 'aws.cloudwatch' && e['detail-type'] === 'CloudWatch Alarm State Change') {
      const alarm = parseAlarmEvent(e);
      const devSettings = { devAlarmNames: settings.devAlarmNames, devAccount: settings.dev.account };
      if (!isDevAlarm(alarm, devSettings) || alarm.state !== 'ALARM') return reconcile('alarm');
      // Halt fast: nothing to read but the pending approvals; the alarm's own event is the evidence.
      const view = await port.readPipeline();
      return { trigger: 'alarm', decisions: await apply(rejectionsForAlarmEvent(alarm, view.approvals, devSettings, clock())) };
    }
    if (e.source === 'aws.codepipeline' && e['detail-type'] === 'CodePipeline Action Execution State Change') {
      const detail = eventObject(e.detail, 'detail');
      log.info('bake started', { pipelineExecutionId: detail['execution-id'], bakeMinutes: settings.bakeMinutes, at: e.time });
      return reconcile('bake-started');
    }
    if (e.source === 'aws.events' && e['detail-type'] === 'Scheduled Event') return reconcile('schedule');
    throw new GateEventError('source/detail-type', `${String(e.source)}/${String(e['detail-type'])}`, 'is not one the bake gate handles');
  };
}

async function settle<T>(promise: Promise<T>): Promise<Read<T>> {
  try {
    return readOk(await promise);
  } catch (err) {
    return readFailed(describeError(err));
  }
}

function eventObject(value: unknown, field = 'event'): Record<string, unknown> {
  if (!isJsonObject(value)) throw new GateEventError(field, value, 'must be an object');
  return value;
}

/** The fields of a "CloudWatch Alarm State Change" event the gate uses, validated. */
function parseAlarmEvent(event: Record<string, unknown>): AlarmEvent {
  const detail = eventObject(event.detail, 'detail');
  const state = eventObject(detail.state, 'detail.state');
  if (typeof event.account !== 'string' || !/^\d{12}$/.test(event.account)) {
    throw new GateEventError('account', event.account, 'must be a 12-digit account ID');
  }
  if (typeof detail.alarmName !== 'string' || detail.alarmName === '') {
    throw new GateEventError('detail.alarmName', detail.alarmName, 'must be a non-empty string');
  }
  if (!isAlarmState(state.value)) {
    throw new GateEventError('detail.state.value', state.value, `must be one of ${ALARM_STATES.join(', ')}`);
  }
  const at = new Date(typeof state.timestamp === 'string' ? state.timestamp : NaN);
  if (Number.isNaN(at.getTime())) throw new GateEventError('detail.state.timestamp', state.timestamp, 'must be a time');
  return {
    account: event.account,
    alarmName: detail.alarmName,
    state: state.value,
    reason: typeof state.reason === 'string' ? state.reason : '',
    at,
  };
}

/** The gate as deployed: settings from the environment, AWS behind the adapter, JSON logs. */
export function gateFromEnvironment(env: Record<string, string | undefined>): Gate {
  const settings = parseGateSettings(env[GATE_SETTINGS_ENV]);
  const topicArn = env[GATE_TOPIC_ENV];
  if (!topicArn) throw new Error(`${GATE_TOPIC_ENV} must be set`);
  const logger = new Logger({ serviceName: 'tollgate-bake-gate' });
  return createGate({
    settings,
    port: new AwsGateAdapter({ settings, topicArn }),
    log: { info: (m, d) => logger.info(m, d ?? {}), error: (m, d) => logger.error(m, d ?? {}) },
    releaseWindow: releaseWindowFromEnvironment(env[RELEASE_CALENDAR_ENV], settings.pipelineName),
  });
}

let deployed: Gate | undefined;

export async function handler(event: unknown): Promise<GateReport> {
  deployed ??= gateFromEnvironment(process.env);
  return deployed(event);
}
