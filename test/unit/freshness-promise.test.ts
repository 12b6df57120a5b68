// A freshness promise as a model's dbt YAML declares it: read, or refused with what is wrong.
import { describe, expect, it } from 'vitest';
import { parsePromise, promiseDeadline } from '../../activities/record/promise';

describe('freshness promises', () => {
  it('reads a promise and when it runs out', () => {
    const p = parsePromise({ within: '1h30m', after: 'flink_marker' });
    expect(p).toEqual({ withinSeconds: 5_400, after: 'flink_marker', text: 'within 1h30m of the Flink marker' });
    const marker = new Date('2026-11-21T00:10:00Z');
    expect(promiseDeadline(p as Exclude<typeof p, string>, '2026-11-20', marker)?.toISOString()).toBe('2026-11-21T01:40:00.000Z');
    expect(promiseDeadline(p as Exclude<typeof p, string>, '2026-11-20', null)).toBeNull();
    const eod = parsePromise({ within: '8h', after: 'end_of_day' });
    expect(promiseDeadline(eod as Exclude<typeof eod, string>, '2026-11-20', null)?.toISOString()).toBe('2026-11-21T08:00:00.000Z');
  });

  it.each([
    ['not a mapping', '1h', 'must be a mapping'],
    ['no duration', { after: 'end_of_day' }, 'expects a duration'],
    ['a duration in words', { within: 'an hour', after: 'end_of_day' }, 'expects a duration'],
    ['a zero duration', { within: '0m', after: 'end_of_day' }, 'more than nothing'],
    ['an unknown start', { within: '1h', after: 'lunch' }, 'expects flink_marker or end_of_day'],
  ])('refuses %s, saying what is wrong', (_what, value, hint) => {
    const p = parsePromise(value);
    expect(typeof p).toBe('string');
    expect(p).toContain(hint);
  });
});
