/**
 * The release calendar as the bake gate asks it: the one calendar implementation
 * (`lambdas/shared/release-calendar.ts`) with on-call's run-time freezes, and a break-glass override that
 * opens the calendar for one execution. Alarms, bake and evidence are the gate's; this answers only "may prod
 * start now?".
 */
import { CalendarSettings, evaluateCalendar, parseCalendarSettings } from '../shared/release-calendar';
import { freezesParameterName, overrideParameterName, parseFreezes, parseOverride } from '../shared/pipeline-controls';
import { noReleaseCalendar, ReleaseWindowProvider } from './core';

/** Name of the environment variable that carries the calendar settings as JSON; unset means no calendar. */
export const RELEASE_CALENDAR_ENV = 'RELEASE_CALENDAR_SETTINGS';

/**
 * Asks the calendar for each execution. An override of the execution opens it whatever the calendar says,
 * without a closing time (so no late-start hold either); its reason names who broke the glass, when and why.
 * An unreadable freeze or override parameter throws, which the gate turns into a rejection.
 */
export function calendarReleaseWindow(calendar: CalendarSettings, pipelineName: string): ReleaseWindowProvider {
  const freezesName = freezesParameterName(pipelineName);
  return ({ now, pipelineExecutionId, controls }) => {
    const overrideName = overrideParameterName(pipelineName, pipelineExecutionId);
    const override = controls.get(overrideName);
    if (override !== undefined) {
      const { by, at, reason } = parseOverride(overrideName, override);
      return { open: true, reasons: [`break-glass override by ${by} at ${at}: ${reason}`] };
    }
    const freezes = controls.get(freezesName);
    return evaluateCalendar(calendar, now, freezes === undefined ? [] : parseFreezes(freezesName, freezes));
  };
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
