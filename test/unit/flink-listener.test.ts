// The payload of a roas_flink_complete notification: anyone may send one, so only a day inside
// the input limits is taken (and even then it only makes the gate look at the table).
import { describe, expect, it } from 'vitest';
import { LIMITS, latestAllowedDate } from '../../src/core/limits';
import { boundedDate } from '../../src/worker/flink-listener';

describe('a Flink-complete notification payload', () => {
  it('is used only when it is a calendar day from the earliest date to tomorrow', () => {
    expect(boundedDate('2026-11-22')).toBe('2026-11-22');
    expect(boundedDate(LIMITS.earliestDate)).toBe(LIMITS.earliestDate);
    expect(boundedDate(latestAllowedDate())).toBe(latestAllowedDate());
    for (const payload of [undefined, '', 'garbage', '9999-12-31', '0000-01-01', '1999-12-31', '2026-02-30', ' 2026-11-22', '2026-11-22 ', '2026-11-22T00:00:00Z', 'x'.repeat(7_000)]) {
      expect(boundedDate(payload), String(payload).slice(0, 30)).toBeUndefined();
    }
  });
});
