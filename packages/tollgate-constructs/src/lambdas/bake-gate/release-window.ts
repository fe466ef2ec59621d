/**
 * The release calendar as the bake gate asks it: the one calendar implementation
 * (`src/domain/release-calendar.ts`) with on-call's run-time freezes, and a break-glass override that
 * opens the calendar for one execution. Alarms, bake and evidence are the gate's; this answers only "may prod
 * start now?".
 */
import { CalendarSettings, evaluateCalendar, parseCalendarSettings } from '../../domain/release-calendar';
import { Freeze, freezesParameterName, overrideParameterName, parseFreezes, parseOverride } from '../../domain/pipeline-controls';
import { judgementName } from './controls';
import { noReleaseCalendar, ReleaseWindow, ReleaseWindowProvider } from './core';

/** Name of the environment variable that carries the calendar settings as JSON; unset means no calendar. */
/** How an override forced through an incident freeze begins its reason; the gate announces it as such. */
export const FORCED_OVERRIDE_REASON = 'break-glass override FORCED THROUGH';

export const RELEASE_CALENDAR_ENV = 'RELEASE_CALENDAR_SETTINGS';

/**
 * Asks the calendar for each execution. `controls` are the trusted controls of `judgeControls` (`controls.ts`):
 * an override there was written through the operator role.
 *
 * - An unexpired override of the execution opens the calendar whatever it says, without a closing time (so no
 *   late-start hold either); its reason names who broke the glass, when and why. An incident freeze in force
 *   (or a freezes parameter written outside the operator role) keeps it closed, unless the override was given
 *   with `--force-freeze`; a forced override says so first in its reason.
 * - An expired override, or one written outside the operator role, is ignored; a closed calendar names it.
 *
 * An unreadable freeze or override parameter throws, which the gate turns into a rejection.
 */
export function calendarReleaseWindow(calendar: CalendarSettings, pipelineName: string): ReleaseWindowProvider {
  const freezesName = freezesParameterName(pipelineName);
  return ({ now, pipelineExecutionId, controls }) => {
    const overrideName = overrideParameterName(pipelineName, pipelineExecutionId);
    const raw = controls.get(freezesName);
    const freezes = raw === undefined ? [] : parseFreezes(freezesName, raw);
    const heldFreezes = controls.get(judgementName(freezesName));
    const incidents = [
      ...(heldFreezes === undefined ? [] : [heldFreezes]),
      ...freezes.filter((f) => f.incident === true && inForce(f, now)).map((f) => `incident freeze ${f.name} until ${f.end}: ${f.reason}`),
    ];
    const ignored: string[] = [];
    const untrusted = controls.get(judgementName(overrideName));
    if (untrusted !== undefined) ignored.push(untrusted);

    const rawOverride = controls.get(overrideName);
    if (rawOverride !== undefined) {
      const override = parseOverride(overrideName, rawOverride);
      const { by, at, reason, expiresAt } = override;
      const expired = expiresAt === undefined ? 'it has no expiry' : Date.parse(expiresAt) <= now.getTime() ? `it expired at ${expiresAt}` : undefined;
      if (expired) ignored.push(`override of ${pipelineExecutionId} by ${by} ignored: ${expired}`);
      else if (incidents.length === 0) {
        return { open: true, reasons: [`break-glass override by ${by} at ${at} (expires ${expiresAt}): ${reason}`] };
      } else if (override.forceFreeze === true) {
        return {
          open: true,
          reasons: [`${FORCED_OVERRIDE_REASON} ${incidents.join('; ')} by ${by} at ${at} (expires ${expiresAt}): ${reason}`],
        };
      } else {
        ignored.push(`override of ${pipelineExecutionId} by ${by} does not bypass an incident freeze without --force-freeze`);
      }
    }

    const verdict: ReleaseWindow = heldFreezes === undefined ? evaluateCalendar(calendar, now, freezes) : { open: false, reasons: [heldFreezes] };
    // Open without the override: what was ignored changes nothing (and reasons on an open window would read as an override).
    if (verdict.open) return verdict;
    return { ...verdict, reasons: [...verdict.reasons, ...ignored] };
  };
}

/** Whether a freeze is in force at `now`: from its start (or its declaration) until its end. */
function inForce(freeze: Freeze, now: Date): boolean {
  const t = now.getTime();
  return Date.parse(freeze.start ?? freeze.at) <= t && t < Date.parse(freeze.end);
}

/**
 * The gate's calendar as deployed: from {@link RELEASE_CALENDAR_ENV}, validated at cold start so a gate with a
 * calendar it cannot read decides nothing.
 *
 * @throws ConfigError for invalid settings, SyntaxError for a value that is not JSON.
 */
export function releaseWindowFromEnvironment(json: string | undefined, pipelineName: string): ReleaseWindowProvider {
  if (json === undefined) return noReleaseCalendar;
  return calendarReleaseWindow(parseCalendarSettings(JSON.parse(json)), pipelineName);
}
