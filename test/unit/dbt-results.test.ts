// What a dbt step is judged by: the nodes of run_results.json (names, statuses, failing rows,
// messages) and, when dbt did not get that far, the failure class read from what it printed.
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { classifyDbtFailure, failureSummary } from '../../activities/dbt/classify';
import { parseRunResults, readRunResults } from '../../src/artifacts/run-results';
import { createDbtRunner, type DbtLogEvent, type DbtProcessResult } from '../../activities/dbt/runner';

const FIXTURES = path.join(import.meta.dirname, '..', 'fixtures', 'dbt');
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name), 'utf8');

describe('parseRunResults', () => {
  const run = parseRunResults(fixture('run_results.json'));

  it('reads the invocation and every node, in the order dbt ran them', () => {
    expect(run).toMatchObject({ dbtVersion: '1.11.16', invocationId: 'b1aac25d-e657-4fc4-a117-e260d2e3c9a3', elapsedSeconds: 4.42, vars: { run_date: '2026-11-26' } });
    expect(run.nodes.map((n) => [n.resourceType, n.name, n.status])).toEqual([
      ['seed', 'campaigns', 'success'],
      ['model', 'stg_ad_events', 'success'],
      ['model', 'fct_daily_metrics', 'error'],
      // A generic test's id ends in a hash, which is not part of its name.
      ['test', 'not_null_stg_ad_events_event_id', 'pass'],
      ['test', 'stg_ad_events_amounts_not_negative', 'fail'],
      ['test', 'stg_ad_events_duplicate_deliveries', 'warn'],
      ['model', 'rpt_daily_totals', 'skipped'],
      ['unit_test', 'fct_daily_metrics.roas_is_revenue_over_spend', 'pass'],
    ]);
  });

  it('keeps failing rows, rows written, and a multi-line message whole', () => {
    const byName = Object.fromEntries(run.nodes.map((n) => [n.name, n]));
    expect(byName.stg_ad_events_amounts_not_negative).toMatchObject({ failures: 31, message: 'Got 31 results, configured to fail if != 0' });
    expect(byName.stg_ad_events).toMatchObject({ rowsAffected: 30000, failures: null, executionSeconds: 1.5 });
    expect(byName.rpt_daily_totals).toMatchObject({ message: null, rowsAffected: null });
    expect(byName.fct_daily_metrics!.message!.split('\n')).toEqual([
      'Database Error in model fct_daily_metrics (models/marts/fct_daily_metrics.sql)',
      '  division by zero',
      '  compiled code at target/run/marketing_roas/models/marts/fct_daily_metrics.sql',
    ]);
  });

  it('says why it cannot read a file cut short or a file that is not run results', () => {
    expect(() => parseRunResults(fixture('run_results.truncated.json'))).toThrow(/not whole JSON .*stopped while writing it/);
    expect(() => parseRunResults('{"metadata": {"dbt_version": "1.11.16"}}')).toThrow(/no metadata or results list/);
    expect(() => parseRunResults('null')).toThrow(/no metadata or results list/);
  });
});

describe('readRunResults', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'roas-run-results-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is undefined when dbt wrote no file, or did not finish writing it', () => {
    expect(readRunResults(path.join(dir, 'never-ran'))).toBeUndefined();
    copyFileSync(path.join(FIXTURES, 'run_results.truncated.json'), path.join(dir, 'run_results.json'));
    expect(readRunResults(dir)).toBeUndefined();
    copyFileSync(path.join(FIXTURES, 'run_results.json'), path.join(dir, 'run_results.json'));
    expect(readRunResults(dir)?.nodes).toHaveLength(8);
  });
});

function processResult(output: { notable?: Partial<DbtLogEvent>[]; raw?: string }): DbtProcessResult {
  return {
    command: 'build',
    args: ['build'],
    exitCode: 1,
    durationMs: 1000,
    notable: (output.notable ?? []).map((e) => ({ name: 'RunResultError', level: 'error', msg: '', data: {}, ...e })),
    rawOutput: output.raw ?? '',
    dbtVersion: '1.11.16',
    cancelled: false,
  };
}

describe('classifyDbtFailure', () => {
  it.each([
    ['connection refused', { notable: [{ msg: 'Database Error\n  connection to server at "127.0.0.1", port 54320 failed: Connection refused\n\tIs the server running on that host?\n  could not connect to server' }] }],
    ['the server went away mid-query', { notable: [{ msg: 'Database Error in model stg_ad_events\n  server closed the connection unexpectedly' }] }],
    ['an administrator ended the session', { raw: 'psycopg2.errors.AdminShutdown: terminating connection due to administrator command' }],
    ['the server shutting down', { notable: [{ msg: 'FATAL:  the database system is shutting down' }] }],
    ['an unknown host', { raw: 'could not translate host name "db" to address: Name or service not known' }],
  ])('%s: a connection error, worth a retry', (_what, output) => {
    expect(classifyDbtFailure(processResult(output))).toBe('DbtConnectionError');
  });

  it.each([
    ['a lock timeout', { notable: [{ msg: 'Database Error in model int_hourly_agg\n  canceling statement due to lock timeout' }] }],
    ['a statement timeout', { notable: [{ msg: 'canceling statement due to statement timeout' }] }],
    ['a deadlock', { raw: 'ERROR:  deadlock detected\nDETAIL:  Process 123 waits for ShareLock' }],
    ['a seed table created by another date at the same moment', { notable: [{ msg: 'Database Error in seed campaigns\n  relation "campaigns" already exists' }] }],
    ['the same, caught in the catalog', { notable: [{ msg: 'duplicate key value violates unique constraint "pg_type_typname_nsp_index"' }] }],
  ])('%s: a timeout or a race, worth a retry', (_what, output) => {
    expect(classifyDbtFailure(processResult(output))).toBe('DbtTimeoutError');
  });

  it('anything else is a compilation error: a retry cannot fix it', () => {
    expect(classifyDbtFailure(processResult({ notable: [{ msg: "Compilation Error in model fct_daily_metrics\n  'ref' is undefined" }] }))).toBe('DbtCompilationError');
    expect(classifyDbtFailure(processResult({ raw: 'Traceback (most recent call last):\nModuleNotFoundError: No module named dbt.adapters.postgres' }))).toBe('DbtCompilationError');
    expect(classifyDbtFailure(processResult({}))).toBe('DbtCompilationError');
  });

  it('a dbt killed by a signal (out of memory) is worth a retry; one that could not start is not', () => {
    expect(classifyDbtFailure({ ...processResult({ raw: 'Running with dbt=1.11.16' }), exitCode: -1 })).toBe('DbtProcessKilled');
    // Cancelled by us: not a failure to retry (the activity reports the cancellation).
    expect(classifyDbtFailure({ ...processResult({}), exitCode: -1, cancelled: true })).toBe('DbtCompilationError');
    expect(classifyDbtFailure({ ...processResult({ raw: 'dbt could not be started: Command failed with ENOENT' }), exitCode: 127 })).toBe('DbtCompilationError');
  });

  it('a dbt program that is not there: exit 127, says so, and is not retried', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'roas-no-dbt-'));
    const runner = createDbtRunner({ dbtBin: path.join(dir, 'no-such-dbt'), projectDir: dir, databaseUrl: 'postgres://roas@127.0.0.1:1/x', threads: 1 });
    try {
      const result = await runner({ command: 'debug', targetPath: path.join(dir, 'target') });
      expect(result.exitCode).toBe(127);
      expect(result.rawOutput).toMatch(/^dbt could not be started: .*ENOENT/m);
      expect(classifyDbtFailure(result)).toBe('DbtCompilationError');
    } finally {
      await runner.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a lost connection wins over the timeout it caused', () => {
    expect(classifyDbtFailure(processResult({ raw: 'canceling statement due to lock timeout\nserver closed the connection unexpectedly' }))).toBe('DbtConnectionError');
  });
});

describe('failureSummary', () => {
  it("shows dbt's error events, trimmed, with their lines kept", () => {
    const result = processResult({
      notable: [
        { level: 'warn', msg: 'Deprecated functionality' },
        { level: 'error', msg: '  Database Error in model fct_daily_metrics\n  division by zero\n' },
      ],
      raw: 'noise that is not shown',
    });
    expect(failureSummary(result)).toBe('Database Error in model fct_daily_metrics\n  division by zero');
  });

  it("falls back to the end of dbt's raw output when it logged no error event", () => {
    const raw = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join('\n') + '\n\n';
    expect(failureSummary(processResult({ raw }), 3)).toBe('line 18\nline 19\nline 20');
  });
});
