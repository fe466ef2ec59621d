import { parseTimeInZone } from '@tollgate/constructs/lib/domain/release-calendar';
import { CliError } from './context';

/** Longest reason accepted by every command; calls with a shorter limit (StopPipelineExecution: 200) get it cut. */
export const MAX_REASON_LENGTH = 500;

/** Commander parser for `--reason`: trimmed, non-empty, at most {@link MAX_REASON_LENGTH} characters. */
export function parseReason(value: string): string {
  const reason = value.trim();
  if (reason === '' || reason.length > MAX_REASON_LENGTH) {
    throw new CliError(`--reason must be 1-${MAX_REASON_LENGTH} characters, got ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)} (${value.length} characters)`);
  }
  return reason;
}

/** An ISO-8601 instant, or a local time read in the calendar's `timezone`, as epoch milliseconds. */
export function parseTime(option: string, text: string, timezone: string): number {
  const ms = parseTimeInZone(text, timezone);
  if (ms === undefined) {
    throw new CliError(`${option} must be an ISO-8601 time like 2026-11-27T08:59:00-05:00, or a local time like 2026-11-27T08:59 (${timezone}), got ${JSON.stringify(text)}`);
  }
  return ms;
}

/** Commander parser for a whole number of `unit` in `[min, max]`. */
export function parseWholeNumber(option: string, unit: 'days' | 'minutes' | undefined, min: number, max: number): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) {
      throw new CliError(`${option} must be a whole number${unit ? ` of ${unit}` : ''} from ${min} to ${max}, got ${JSON.stringify(value)}`);
    }
    return n;
  };
}

const SPAN = /^(\d{1,4})([mhdw])$/;
const SPAN_MS: Readonly<Record<string, number>> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** A length of time written `<n>m`, `<n>h`, `<n>d` or `<n>w` (`30m`, `4h`, `30d`, `2w`), in milliseconds; undefined when `text` is none. */
export function spanMs(text: string): number | undefined {
  const span = SPAN.exec(text);
  return span ? Number(span[1]) * SPAN_MS[span[2]] : undefined;
}
