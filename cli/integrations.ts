/**
 * Seams to the features built beside the CLI (issues 3, 4 and 5). Each function here answers from that
 * feature's own code when it is part of the build, and says plainly when it is not.
 */
import { TollgateConfig } from '../cdk/config';
import { Freeze } from '../lambdas/shared/pipeline-controls';

/** How long dev bakes: the `bake` section of the configuration, which the bake gate is built from. */
export function bakeMinutes(config: TollgateConfig): number {
  return config.bake.minutes;
}

/**
 * How much of the calendar window the bake gate wants left when it lets a build into prod: its late-start
 * margin, prod deployment plus prod bake.
 */
export function lateStartMarginMinutes(config: TollgateConfig): number {
  return config.bake.prodDeployMinutes + config.bake.prodBakeMinutes;
}

/** The release calendar's verdict at one instant (issue 5's `window` answer). */
export interface CalendarAnswer {
  readonly open: boolean;
  readonly reasons: string[];
  /** ISO-8601 instant the calendar next opens; absent when open. */
  readonly nextOpen?: string;
}

/**
 * What the release calendar says at `at`, with the run-time freezes on-call declared; `undefined` while the
 * calendar (`lambdas/shared/release-calendar.ts`, issue 5) is not part of this build.
 */
export function calendarAt(_config: TollgateConfig, _at: Date, _freezes: Freeze[]): CalendarAnswer | undefined {
  return undefined;
}

/**
 * The calendar's next opening at or after `at` that leaves `needMinutes` for prod, and why it is closed until
 * then; `undefined` while the calendar (issue 5) is not part of this build.
 */
export function nextCalendarOpening(_config: TollgateConfig, _at: Date, _needMinutes: number): { at: Date; reasons: string[] } | undefined {
  return undefined;
}

/** The calendar's settings in one line (timezone, days, hours, holidays); `undefined` without a calendar. */
export function calendarSettings(_config: TollgateConfig): string | undefined {
  return undefined;
}

/** The worst-case prod exposure of a bad build (issue 4's figure). */
export interface ExposureFigure {
  /** Share of prod traffic the bad build serves, in percent. */
  readonly sharePercent: number;
  /** Minutes it serves them before rollback starts. */
  readonly minutes: number;
  readonly explanation: string;
}

/**
 * The worst-case exposure computed by issue 4's pure function (`cdk/exposure.ts`) from the synthesized prod
 * configuration; `undefined` while that function is not part of this build.
 */
export function worstCaseExposure(_prodTemplates: unknown[]): ExposureFigure | undefined {
  return undefined;
}
