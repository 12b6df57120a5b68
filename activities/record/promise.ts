// A freshness promise, as a model's dbt YAML declares it:
//   meta: {freshness: {within: "1h", after: flink_marker}}
// "Published within 1h of Flink's marker" (after: flink_marker) or "of the end of the UTC day"
// (after: end_of_day).

export interface FreshnessPromise {
  withinSeconds: number;
  after: 'flink_marker' | 'end_of_day';
  /** As people read it: "within 1h of the Flink marker". */
  text: string;
}

const WITHIN = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** The promise, or what is wrong with it (to be logged with the model's name). */
export function parsePromise(value: unknown): FreshnessPromise | string {
  if (!value || typeof value !== 'object') return 'must be a mapping such as {within: "1h", after: flink_marker}';
  const { within, after } = value as { within?: unknown; after?: unknown };
  const spelled = typeof within === 'string' ? within.trim() : '';
  const m = spelled ? WITHIN.exec(spelled) : null;
  if (!m) return `has within ${JSON.stringify(within)}: expects a duration such as "45m", "1h" or "1h30m"`;
  const seconds = Number(m[1] ?? 0) * 86_400 + Number(m[2] ?? 0) * 3_600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0);
  if (seconds <= 0) return `has within ${JSON.stringify(within)}: expects more than nothing`;
  if (after !== 'flink_marker' && after !== 'end_of_day') return `has after ${JSON.stringify(after)}: expects flink_marker or end_of_day`;
  const text = `within ${spelled} of ${after === 'flink_marker' ? 'the Flink marker' : 'the end of the day (UTC)'}`;
  return { withinSeconds: seconds, after, text };
}

/** When the promise runs out for a day: its start (the marker, or the end of the day) plus `within`; null without a marker. */
export function promiseDeadline(p: FreshnessPromise, runDate: string, flinkMarkerAt: Date | null): Date | null {
  const start = p.after === 'end_of_day' ? endOfDay(runDate) : flinkMarkerAt;
  return start ? new Date(start.getTime() + p.withinSeconds * 1000) : null;
}

/** The end of a UTC day: midnight after it. */
export function endOfDay(runDate: string): Date {
  return new Date(Date.parse(`${runDate}T00:00:00Z`) + 86_400_000);
}
