// Run dates are UTC calendar days written YYYY-MM-DD.
import { LIMITS, parseBoundedDate } from './limits';

/** A run date given by a person or a client: a calendar day from the earliest date to tomorrow (UTC). */
export function parseRunDate(value: string, what = 'date'): string {
  return parseBoundedDate(value, what);
}

/** Every UTC day from `from` to `to`, inclusive; never more than the largest range allowed anywhere. */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to && out.length <= LIMITS.maxLargeRangeDays; d = addDays(d, 1)) out.push(d);
  if (out.length > LIMITS.maxLargeRangeDays) throw new RangeError(`${from}..${to} spans more than ${LIMITS.maxLargeRangeDays} days`);
  return out;
}

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}
