// Each run keeps its own artifact folder; old ones are pruned by age.
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { attemptDirs, pruneArtifacts } from '../../src/artifacts/artifacts';

function make(root: string, rel: string, ageDays: number, now: number) {
  const dir = path.join(root, rel);
  mkdirSync(path.join(dir, 'logs'), { recursive: true });
  const file = path.join(dir, 'run_results.json');
  writeFileSync(file, '{}');
  const t = new Date(now - ageDays * 86_400_000);
  for (const p of [file, path.join(dir, 'logs'), dir, path.dirname(dir)]) utimesSync(p, t, t);
  return dir;
}

describe('dbt artifacts of runs', () => {
  const now = Date.parse('2026-11-29T12:00:00Z');

  it('lists the attempts of a step run by run, oldest first, with the older layout first', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'roas-artifacts-'));
    const step = path.join(root, 'dbt_daily_run', '2026-11-20', 'build');
    make(root, 'dbt_daily_run/2026-11-20/build/attempt-1', 1, now);
    make(root, 'dbt_daily_run/2026-11-20/build/run-01a2bbbb/attempt-2', 1, now);
    make(root, 'dbt_daily_run/2026-11-20/build/run-01a2bbbb/attempt-1', 1, now);
    make(root, 'dbt_daily_run/2026-11-20/build/run-01a2aaaa/attempt-1', 1, now);
    expect(attemptDirs(step).map((a) => `${a.run ?? '-'}/${a.attempt}`)).toEqual(['-/1', 'run-01a2aaaa/1', 'run-01a2bbbb/1', 'run-01a2bbbb/2']);
    expect(attemptDirs(path.join(root, 'nothing'))).toEqual([]);
  });

  it('removes runs older than the days kept, and the folders left empty; keeps the rest', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'roas-artifacts-'));
    const old = make(root, 'dbt_daily_run/2026-10-01/build/run-01aaaaaa/attempt-1', 40, now);
    const oldLayout = make(root, 'daily_etl/2026-10-01/build/attempt-1', 40, now);
    const recent = make(root, 'dbt_daily_run/2026-11-28/build/run-01bbbbbb/attempt-1', 1, now);
    // A run started 40 days ago whose retry wrote yesterday is kept whole.
    make(root, 'dbt_daily_run/2026-10-02/build/run-01cccccc/attempt-1', 40, now);
    const retried = make(root, 'dbt_daily_run/2026-10-02/build/run-01cccccc/attempt-2', 1, now);
    expect(pruneArtifacts(root, 30, now)).toBe(2);
    expect(existsSync(old)).toBe(false);
    expect(existsSync(path.join(root, 'dbt_daily_run', '2026-10-01'))).toBe(false);
    expect(existsSync(oldLayout)).toBe(false);
    expect(existsSync(recent)).toBe(true);
    expect(existsSync(retried)).toBe(true);
    expect(pruneArtifacts(root, 30, now)).toBe(0);
  });
});
