/**
 * The one way Tollgate writes a length of time, in the gate's approval summaries and in every line of the
 * CLI: at most two neighbouring units, `45 s`, `4 min 12 s`, `23 min`, `1 h 30 min`, `3 d 4 h`.
 */

const UNITS = [
  { name: 'd', ms: 86_400_000 },
  { name: 'h', ms: 3_600_000 },
  { name: 'min', ms: 60_000 },
  { name: 's', ms: 1_000 },
] as const;

/** The smallest unit a duration is written in. */
export type DurationPrecision = 'min' | 's';

/**
 * `ms` in at most two neighbouring units, the smaller one rounded up (so "1 min left" lasts until the very
 * end), never finer than `precision`: `duration(61 * 60_000 + 1)` is `1 h 2 min`, `duration(150_000, 's')`
 * is `2 min 30 s`. Zero and less are `0 min` (`0 s`).
 */
export function duration(ms: number, precision: DurationPrecision = 'min'): string {
  const finest = UNITS.findIndex((u) => u.name === precision);
  let rounded = Math.max(0, Math.ceil(ms / UNITS[finest].ms) * UNITS[finest].ms);
  if (rounded === 0) return `0 ${precision}`;
  // Rounding the smaller unit up can carry into a larger one (59 min 30 s to the minute is 1 h): choose again.
  for (;;) {
    const largest = UNITS.findIndex((u) => rounded >= u.ms);
    const smaller = Math.min(largest + 1, finest);
    const carried = Math.ceil(rounded / UNITS[smaller].ms) * UNITS[smaller].ms;
    if (carried !== rounded) {
      rounded = carried;
      continue;
    }
    const big = Math.floor(rounded / UNITS[largest].ms);
    const rest = (rounded - big * UNITS[largest].ms) / UNITS[smaller].ms;
    return rest === 0 || smaller === largest ? `${big} ${UNITS[largest].name}` : `${big} ${UNITS[largest].name} ${rest} ${UNITS[smaller].name}`;
  }
}
