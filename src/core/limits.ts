// The bounds every value from outside is held to where it enters: the CLI's arguments, the
// dashboard's query string, and a marker row written by the Flink job (the migrations copy these
// numbers into realtime.input_limits, which the marker trigger reads). One set, so the three can
// never disagree about what a valid day, range or text is.
import { UsageError } from './errors';

export const LIMITS = {
  /** The earliest run date anything accepts: no ad data this pipeline handles is older. */
  earliestDate: '2000-01-01',
  /** The latest is tomorrow (UTC): a writer may deliver events for a day that is just starting. */
  latestDaysAhead: 1,
  /** Event partitions are made at most this many days past today (the maintenance makes the next 7); rows of later days wait in the default partition. */
  partitionDaysAhead: 14,
  /** A date range (backfill, generate-events, flink-complete, the dashboard's window) spans at most this many days unless the caller allows a large range. */
  maxRangeDays: 92,
  /** Even an allowed large range stops here (ten years). */
  maxLargeRangeDays: 3_660,
  /** The dashboard shows at most this many days at once. */
  maxDashboardDays: 90,
  /** Counts (a marker's row_count, generate-events' --events) are whole numbers up to this. */
  maxCount: 1_000_000_000_000,
  /** Free text kept or shown (a marker's job_id, a reason, a filter value). */
  maxTextLength: 200,
} as const;

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function utcToday(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/** The latest date any input may name: tomorrow, UTC. */
export function latestAllowedDate(today: string = utcToday()): string {
  return new Date(Date.parse(`${today}T00:00:00Z`) + LIMITS.latestDaysAhead * 86_400_000).toISOString().slice(0, 10);
}

/** Shortens text for a message so a hostile value can never flood a terminal or a log. */
export function clip(value: string, max = 40): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused here
  const flat = value.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return flat.length > max ? `${flat.slice(0, max)}… (${value.length} characters)` : flat;
}

/** A YYYY-MM-DD calendar day between the earliest date and tomorrow, or a UsageError naming what is wrong. */
export function parseBoundedDate(value: string, what = 'date', today: string = utcToday()): string {
  if (!DATE.test(value)) throw new UsageError(`${what} "${clip(value)}" is not a date: write it as YYYY-MM-DD, e.g. 2026-11-27`);
  const t = Date.parse(`${value}T00:00:00Z`);
  if (Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== value) {
    throw new UsageError(`${what} "${value}" does not exist in the calendar`);
  }
  const latest = latestAllowedDate(today);
  if (value < LIMITS.earliestDate || value > latest) {
    throw new UsageError(`${what} ${value} is out of range: give a day from ${LIMITS.earliestDate} to ${latest} (tomorrow, UTC)`);
  }
  return value;
}

/** Number of days from `from` to `to` inclusive. */
export function rangeDays(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1;
}

/** Checks an inclusive date range: in order, and at most maxRangeDays unless a large range is allowed. */
export function checkRange(from: string, to: string, opts: { what?: string; allowLarge?: boolean; max?: number } = {}): number {
  const what = opts.what ?? '--from/--to';
  if (from > to) throw new UsageError(`${what}: ${from} is after ${to}; give the earlier day first`);
  const days = rangeDays(from, to);
  const max = opts.allowLarge ? LIMITS.maxLargeRangeDays : (opts.max ?? LIMITS.maxRangeDays);
  if (days > max) {
    const hint = opts.allowLarge || opts.max !== undefined ? '' : ' (add --allow-large-range if you mean it)';
    throw new UsageError(`${what} spans ${days} days; at most ${max} are allowed${hint}`);
  }
  return days;
}

/** A whole number from 0 (or `min`) to maxCount, from text, or a UsageError. */
export function parseCount(value: string, what: string, min = 0): number {
  if (!/^\d{1,13}$/.test(value.trim())) {
    throw new UsageError(`${what} "${clip(value)}" is not a whole number from ${min} to ${LIMITS.maxCount.toLocaleString('en-US')}`);
  }
  const n = Number(value.trim());
  if (n < min || n > LIMITS.maxCount) throw new UsageError(`${what} ${clip(value)} is out of range: give a whole number from ${min} to ${LIMITS.maxCount.toLocaleString('en-US')}`);
  return n;
}

/** Free text of at most maxTextLength characters, without control characters. */
export function parseText(value: string, what: string): string {
  if (value.length > LIMITS.maxTextLength) throw new UsageError(`${what} is ${value.length} characters long; at most ${LIMITS.maxTextLength} are allowed`);
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused here
  if (/[\u0000-\u001f\u007f-\u009f]/.test(value)) throw new UsageError(`${what} "${clip(value)}" contains control characters; use plain text`);
  return value;
}
