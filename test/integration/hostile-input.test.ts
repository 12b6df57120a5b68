// An attacker on loopback, against the production worker as a process: every dashboard route's
// query string and path filled with generated odd values answers 4xx with a sentence (never a
// 5xx, never a database message, never a hang), and afterwards /healthz still answers 200 and
// the worker's memory is bounded. The spawned `roas` binary refuses the same kind of values with
// exit 2, one line, no stack trace, and nothing written to the database.
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/platform/config';
import { useTestDatabase } from '../helpers/db';
import { oddCount, oddDate, oddWord } from '../helpers/odd-values';
import { uniqueTaskQueue } from '../helpers/temporal';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process';

const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

describe('hostile input on loopback', () => {
  const db = useTestDatabase(import.meta.url);
  let worker: WorkerProcess;
  let base = '';
  let tried = 0;

  beforeAll(async () => {
    worker = await startWorkerProcess({
      DATABASE_URL: db.url,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: uniqueTaskQueue('hostile'),
      DBT_ARTIFACTS_DIR: mkdtempSync(path.join(os.tmpdir(), 'roas-hostile-artifacts-')),
      ROAS_REPORTS_DIR: mkdtempSync(path.join(os.tmpdir(), 'roas-hostile-reports-')),
      LOG_LEVEL: 'warn',
    });
    base = `http://127.0.0.1:${worker.httpPort}`;
  });
  afterAll(() => {
    worker?.process.kill('SIGKILL');
    console.log(`hostile input: ${tried} generated requests and command lines, every one refused with a sentence`);
  });

  it('the windows that used to take the worker down answer 400 at once', async () => {
    for (const q of ['end=9999-12-31', 'end=0000-01-01', 'end=2026-02-30', 'days=100000', 'days=-1', 'end=1999-12-31&days=90']) {
      for (const route of ['/', '/api/dashboard']) {
        const res = await fetch(`${base}${route}?${q}`, { signal: AbortSignal.timeout(10_000) });
        const text = await res.text();
        expect(res.status, `${route}?${q}: ${text}`).toBe(400);
        expect(text).toMatch(/^(end|days) .+\n$/);
        expect(text).not.toMatch(/out of range for type|syntax|ERROR|\n\s+at /);
      }
    }
    expect((await worker.health()).status).toBe(200);
  });

  it('every route, every parameter: generated odd values answer 4xx with a sentence; the worker stays healthy and bounded', async () => {
    const before = rssMiB(worker.pid);
    const request = fc.oneof(
      fc.tuple(fc.constantFrom('/', '/api/dashboard'), fc.constantFrom('end', 'days'), fc.oneof(oddDate, oddCount, oddWord)).map(
        ([route, key, value]) => `${route}?${key}=${encodeURIComponent(value)}`,
      ),
      fc.tuple(fc.constantFrom('dbt_daily_run', 'daily_etl'), oddDate).map(([p, d]) => `/logs/${p}/${encodeURIComponent(d)}`),
      oddDate.map((d) => `/reports/${encodeURIComponent(d)}/index.html`),
    );
    await fc.assert(
      fc.asyncProperty(request, async (url) => {
        tried++;
        const res = await fetch(`${base}${url}`, { signal: AbortSignal.timeout(30_000) });
        const text = await res.text();
        // A value that is valid after all (e.g. days=7 never generated, but a date the route ignores) may be served.
        if (res.status === 200) return;
        expect(res.status, `${url}: ${text.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
        expect(res.status, `${url}: ${text.slice(0, 200)}`).toBeLessThan(500);
        expect(text.length).toBeLessThan(600);
        expect(text).not.toMatch(/\n\s+at |ERROR:|out of range for type/);
      }),
      { numRuns: 150 },
    );
    expect((await worker.health()).status).toBe(200);
    const after = rssMiB(worker.pid);
    // Bounded: the requests above gather nothing large; a leak or a runaway loop grows by hundreds of MiB.
    expect(after - before, `RSS ${before.toFixed(0)} → ${after.toFixed(0)} MiB`).toBeLessThan(150);
  });

  it('the roas binary refuses odd values with exit 2, one sentence, no stack trace, and writes nothing', async () => {
    const roas = (args: string[]) =>
      execa(path.join(PROJECT_ROOT, 'bin', 'roas'), args, {
        reject: false,
        env: { DATABASE_URL: db.url, TEMPORAL_ADDRESS: inject('temporalAddress'), LOG_LEVEL: 'warn' },
      });
    const ledger = async () => (await db.pool.query<{ n: number }>('SELECT (SELECT count(*) FROM orchestrator.pipeline_runs) + (SELECT count(*) FROM realtime.flink_batch_history) AS n')).rows[0]!.n;
    const before = await ledger();
    const cases = fc.sample(
      fc.oneof(
        oddDate.map((d) => ['run', 'dbt', '--date', d]),
        oddDate.map((d) => ['status', '--date', d]),
        oddDate.map((d) => ['flink-complete', '--date', d]),
        oddCount.map((n) => ['flink-complete', '--date', '2026-11-01', '--row-count', n]),
        oddDate.map((d) => ['backfill', 'dbt', '--from', d, '--to', '2026-11-01']),
      ),
      { numRuns: 12, seed: 24 },
    );
    for (const args of [['backfill', 'dbt', '--from', '1926-01-01', '--to', '2025-12-31'], ['runs', '--trigger', 'backfill;drop'], ...cases]) {
      tried++;
      const r = await roas(args);
      expect(r.exitCode, `${JSON.stringify(args).slice(0, 200)}: ${r.stderr.slice(0, 300)}`).toBe(2);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stderr.length).toBeLessThan(2_600);
    }
    expect(await ledger()).toBe(before);
  });
});
