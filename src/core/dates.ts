// Run dates are UTC calendar days written YYYY-MM-DD.
import { UsageError } from './errors';

const DATE = /^\d{4}-\d{2}-\d{2}$/;


export function parseRunDate(value: string, what = 'date'): string {
  if (!DATE.test(value)) throw new UsageError(`${what} "${value}" is not a date: write it as YYYY-MM-DD, e.g. 2026-11-27`);
  const t = Date.parse(`${value}T00:00:00Z`);
  if (Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== value) {
    throw new UsageError(`${what} "${value}" does not exist in the calendar`);
  }
  return value;
}

/** Every UTC day from `from` to `to`, inclusive. */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
  return out;
}

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}
