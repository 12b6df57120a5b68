// The pieces of late data that need no server: the stand-in's late deliveries, what is worth a
// restatement, and the settings.
import { describe, expect, it } from 'vitest';
import { worthRestating } from '../../activities/late-data';
import { loadConfig } from '../../src/platform/config';
import { ConfigError } from '../../src/core/errors';
import { DEFAULT_LATE_DATA } from '../../src/core/settings';
import { generateDayCsv } from '../../src/local/generator/events';

function rows(opts: Parameters<typeof generateDayCsv>[0]): string[] {
  let text = '';
  for (const chunk of generateDayCsv(opts)) text += chunk.toString('latin1');
  return text.split('\n').filter(Boolean);
}

describe('the stand-in delivers a share of the day late', () => {
  const day = { date: '2026-11-27', events: 20_000, seed: 3, lateShare: 0.01 };

  it('on time and late together are exactly the whole day, the late ones ingested after the day', () => {
    const all = rows({ ...day, deliver: 'all' });
    const onTime = rows({ ...day, deliver: 'on-time' });
    const late = rows({ ...day, deliver: 'late' });
    expect(all).toHaveLength(20_000);
    expect([...onTime, ...late].sort()).toEqual([...all].sort());
    expect(late.length / all.length).toBeGreaterThan(0.005);
    expect(late.length / all.length).toBeLessThan(0.02);
    const dayEnd = Date.parse('2026-11-28T00:00:00Z');
    for (const r of late) {
      const ingested = Date.parse(r.slice(r.lastIndexOf(',') + 1));
      expect(ingested).toBeGreaterThan(dayEnd + 299_000);
      expect(ingested).toBeLessThan(dayEnd + 3 * 86_400_000 + 301_000);
    }
    // Without a late share nothing is held back.
    expect(rows({ date: day.date, events: 5_000, seed: 3, deliver: 'late' })).toHaveLength(0);
  });

  it('carries view-through conversions: a higher rate gives more conversions per click', () => {
    const count = (r: string[], type: string) => r.filter((x) => x.includes(`,${type},`)).length;
    const plain = rows({ date: day.date, events: 20_000, seed: 3, viewThroughRate: 0 });
    const viewThrough = rows({ date: day.date, events: 20_000, seed: 3, viewThroughRate: 0.05 });
    expect(count(viewThrough, 'conversion') / count(viewThrough, 'click')).toBeGreaterThan(count(plain, 'conversion') / count(plain, 'click'));
  });
});

describe('what is worth a restatement', () => {
  const day = { runDate: '2026-11-27', cutRows: 1_000, rowsNow: 1_005, lateRows: 5, publishedAt: '2026-11-28T00:10:00Z' };

  it('any late row by default; fewer than the minimum rows or share is left as published', () => {
    expect(worthRestating(day, DEFAULT_LATE_DATA)).toBe(true);
    expect(worthRestating({ ...day, lateRows: 0 }, DEFAULT_LATE_DATA)).toBe(false);
    expect(worthRestating(day, { ...DEFAULT_LATE_DATA, minLateRows: 6 })).toBe(false);
    expect(worthRestating(day, { ...DEFAULT_LATE_DATA, minLateShare: 0.01 })).toBe(false);
    expect(worthRestating(day, { ...DEFAULT_LATE_DATA, minLateShare: 0.005 })).toBe(true);
  });
});

describe('late data settings', () => {
  it('defaults to a 7-day look-back, any late row, and a 2 % move for the message', () => {
    expect(loadConfig({}).lateData).toEqual({ lookbackDays: 7, minLateRows: 1, minLateShare: 0, alertShare: 0.02 });
    expect(loadConfig({ ROAS_RESTATE_LOOKBACK_DAYS: '14', ROAS_RESTATE_MIN_LATE_ROWS: '100', ROAS_RESTATE_ALERT_SHARE: '0.05' }).lateData).toMatchObject({
      lookbackDays: 14,
      minLateRows: 100,
      alertShare: 0.05,
    });
  });

  it('refuses a value out of range, naming the variable and what it expects', () => {
    expect(() => loadConfig({ ROAS_RESTATE_LOOKBACK_DAYS: '40' })).toThrow(ConfigError);
    expect(() => loadConfig({ ROAS_RESTATE_LOOKBACK_DAYS: '40' })).toThrow(/ROAS_RESTATE_LOOKBACK_DAYS.*at most 31/);
    expect(() => loadConfig({ ROAS_RESTATE_MIN_LATE_SHARE: '2' })).toThrow(/ROAS_RESTATE_MIN_LATE_SHARE.*share from 0 to 1/);
  });
});
