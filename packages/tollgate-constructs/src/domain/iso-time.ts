/** An instant as ISO-8601 in UTC to the whole second, e.g. `2026-12-01T09:30:00Z`. */
export function isoSeconds(instant: Date): string {
  return instant.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
