// What an alert says, without Slack or a database: the lines a failed dbt step produces
// (src/core/describe.ts), the text that goes to Slack and the alert table, and the message
// Slack gets (activities/alerts.ts, with a stand-in pool and Slack client).
import { describe, expect, it } from 'vitest';
import type { WebClient } from '@slack/web-api';
import type pg from 'pg';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createAlertActivities, formatAlertText, withFailingNodesFromArtifacts } from '../../activities/alerts';
import { createLogger } from '../../src/platform/logger';
import { dbtByHandCommand, dbtFailureLines, describeProgress, flinkWaitText, nodeLine } from '../../src/core/describe';
import type { Alert, DbtDailyRunProgress, DbtFailureDetails, DbtNodeSummary } from '../../src/core/types';

const node = (over: Partial<DbtNodeSummary>): DbtNodeSummary => ({
  name: 'stg_ad_events_amounts_not_negative',
  resourceType: 'test',
  status: 'fail',
  failures: 31,
  message: 'Got 31 results, configured to fail if != 0',
  executionSeconds: 0.07,
  ...over,
});

const details = (failingNodes: DbtNodeSummary[]): DbtFailureDetails => ({
  step: 'build',
  attempt: 4,
  failingNodes,
  reproduce: 'roas dbt --date 2026-11-26 -- build --select tag:daily_run',
  targetPath: '.local/dbt-artifacts/dbt_daily_run/2026-11-26/build/attempt-4',
  summary: 'could not connect to server: Connection refused',
});

describe('dbtByHandCommand', () => {
  it('is the `roas dbt` line a person pastes into a shell: dbt arguments after --, quoted only where they must be', () => {
    expect(dbtByHandCommand('2026-12-02', ['build', '--select', 'tag:daily_run', '--indirect-selection', 'cautious', '--exclude', 'test_type:unit'])).toBe(
      'roas dbt --date 2026-12-02 -- build --select tag:daily_run --indirect-selection cautious --exclude test_type:unit',
    );
    expect(dbtByHandCommand('2026-12-02', ['test', '--select', "it's; rm -rf ~", '$HOME'])).toBe(
      `roas dbt --date 2026-12-02 -- test --select 'it'\\''s; rm -rf ~' '$HOME'`,
    );
  });
});

describe('nodeLine', () => {
  it('a failing test: its failing rows and message', () => {
    expect(nodeLine(node({}))).toBe('• stg_ad_events_amounts_not_negative [fail] (31 failing rows): Got 31 results, configured to fail if != 0');
  });

  it('a model with a multi-line error: the kind of error and its cause, no row count', () => {
    const model = node({
      name: 'fct_daily_metrics',
      resourceType: 'model',
      status: 'error',
      failures: null,
      message: 'Database Error in model fct_daily_metrics (models/marts/fct_daily_metrics.sql)\n  division by zero\n  compiled code at target/run/x.sql',
    });
    expect(nodeLine(model)).toBe('• fct_daily_metrics [error]: Database Error: division by zero');
    // Nothing after the heading but where the compiled code is: the heading stands.
    expect(nodeLine({ ...model, message: 'Compilation Error in model x (models/x.sql)\n  compiled code at target/x.sql' })).toBe(
      '• fct_daily_metrics [error]: Compilation Error in model x (models/x.sql)',
    );
  });

  it('no message: the status; a very long one is cut at 300 characters', () => {
    expect(nodeLine(node({ resourceType: 'model', status: 'skipped', message: null, failures: null }))).toBe('• stg_ad_events_amounts_not_negative [skipped]: skipped');
    const long = nodeLine(node({ message: 'x'.repeat(1000) }));
    expect(long.endsWith(`: ${'x'.repeat(300)}`)).toBe(true);
  });
});

describe('dbtFailureLines', () => {
  it('says the step, the type, why it was not retried, each failing node, how to reproduce and where the artifacts are', () => {
    expect(dbtFailureLines('DbtTestFailure', { ...details([node({})]), attempt: 1 }, 'not-retryable')).toEqual([
      'Step: dbt build. Failure type: DbtTestFailure, not retried (a retry cannot fix it).',
      '• stg_ad_events_amounts_not_negative [fail] (31 failing rows): Got 31 results, configured to fail if != 0',
      'Reproduce locally: roas dbt --date 2026-11-26 -- build --select tag:daily_run',
      'Artifacts (run_results.json, dbt.log): .local/dbt-artifacts/dbt_daily_run/2026-11-26/build/attempt-4',
    ]);
  });

  it('after retries: the attempts made; no failing node: the summary of what dbt printed', () => {
    const lines = dbtFailureLines('DbtConnectionError', details([]), 'retried');
    expect(lines[0]).toBe('Step: dbt build. Failure type: DbtConnectionError, after 4 attempts.');
    expect(lines[1]).toBe('could not connect to server: Connection refused');
    expect(dbtFailureLines('DbtModelError', details([]), 'run-once')[0]).toBe('Step: dbt build. Failure type: DbtModelError (run once, without retries).');
  });

  it('lists at most 15 failing nodes and counts the rest', () => {
    const many = Array.from({ length: 18 }, (_, i) => node({ name: `test_${i}` }));
    const lines = dbtFailureLines('DbtTestFailure', details(many), 'not-retryable');
    expect(lines.filter((l) => l.startsWith('• '))).toHaveLength(15);
    expect(lines).toContain('… and 3 more failing nodes.');
  });

  it('a history names 10 of 30 failing nodes; the alert lists 15, read from run_results.json, and counts the rest', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'roas-alert-'));
    const results = Array.from({ length: 30 }, (_, i) => ({
      unique_id: `test.marketing_roas.check_${String(i).padStart(2, '0')}.0123456789`,
      status: 'fail',
      failures: i + 1,
      message: `Got ${i + 1} results, configured to fail if != 0`,
      execution_time: 0.01,
    }));
    writeFileSync(path.join(dir, 'run_results.json'), JSON.stringify({ metadata: { dbt_version: '1.11.0', invocation_id: 'x' }, elapsed_time: 1, results }));
    const inHistory = results.slice(0, 10).map((r, i) => node({ name: `check_${String(i).padStart(2, '0')}`, failures: r.failures }));
    const lines = dbtFailureLines('DbtTestFailure', { ...details(inHistory), failingNodeCount: 30, targetPath: dir }, 'not-retryable');
    expect(lines).toContain('… and 20 more failing nodes.');
    const alert: Alert = { incidentKey: 'k', kind: 'failure', pipeline: 'dbt_daily_run', runDate: '2026-11-26', title: 't', lines, failingNodesOf: { targetPath: dir, listed: inHistory.map((n) => n.name) } };
    const out = withFailingNodesFromArtifacts(alert).lines;
    const listed = out.filter((l) => l.startsWith('• '));
    expect(listed).toHaveLength(15);
    expect(listed[10]).toBe('• check_10 [fail] (11 failing rows): Got 11 results, configured to fail if != 0');
    expect(out).toContain('… and 15 more failing nodes.');
    expect(out.at(-1)).toBe(lines.at(-1));
    // Without the artifacts (another machine), the alert keeps what the history said.
    expect(withFailingNodesFromArtifacts({ ...alert, failingNodesOf: { targetPath: path.join(dir, 'gone'), listed: [] } }).lines).toEqual(lines);
  });
});

describe('describeProgress', () => {
  const base: DbtDailyRunProgress = {
    runDate: '2026-11-26',
    step: 'dbt-build',
    nodesDone: 12,
    nodesTotal: 40,
    attempt: 1,
    failures: [],
    startedAt: '2026-11-27T00:00:00.000Z',
    slaDeadline: '2026-11-27T01:00:00.000Z',
    slaMissed: false,
  };
  const now = Date.parse('2026-11-27T00:03:10Z');

  it('a dbt step: nodes done of all, and the attempt once it is a retry', () => {
    expect(describeProgress(base, now)).toBe('dbt build, 12/40 nodes done');
    expect(describeProgress({ ...base, attempt: 2, nodesTotal: 0 }, now)).toBe('dbt build, attempt 2');
  });

  it('waiting at the Flink gate: since when, and the command to use if Flink is done', () => {
    const waiting = { ...base, step: 'waiting-for-flink' as const, stepSince: '2026-11-27T00:00:05.000Z' };
    expect(describeProgress(waiting, now)).toBe(
      'waiting for Flink to report 2026-11-26 complete (since 00:00 UTC, 3 min; if it is complete: roas flink-complete --date 2026-11-26)',
    );
    expect(flinkWaitText('2026-11-26', undefined, now)).toBe('waiting for Flink to report 2026-11-26 complete (if it is complete: roas flink-complete --date 2026-11-26)');
  });

  it('a gate that has not looked yet, or has opened, is not said to wait for Flink (a backfill whose days all had markers said so)', () => {
    const atGate = { ...base, step: 'waiting-for-flink' as const, stepSince: '2026-11-27T00:00:05.000Z' };
    expect(describeProgress({ ...atGate, flinkGate: 'checking' }, now)).toBe("looking for Flink's marker of 2026-11-26 (since 00:00 UTC, 3 min)");
    expect(describeProgress({ ...atGate, flinkGate: 'open' }, now)).toBe('Flink reported 2026-11-26 complete; starting dbt');
    expect(describeProgress({ ...atGate, flinkGate: 'waiting' }, now)).toMatch(/^waiting for Flink to report 2026-11-26 complete/);
  });
});

describe('the alert as Slack and the alert table get it', () => {
  const alert: Alert = {
    incidentKey: 'dbt-daily-run-2026-11-26:run-1:failure',
    kind: 'failure',
    pipeline: 'dbt_daily_run',
    runDate: '2026-11-26',
    title: 'dbt daily run failed for 2026-11-26: dbt test failed: stg_ad_events_amounts_not_negative (31 rows)',
    lines: dbtFailureLines('DbtTestFailure', details([node({ message: 'Got 31 results for campaign "봄, 세일"\nsecond line' })]), 'not-retryable'),
    link: 'http://localhost:8233/namespaces/default/workflows/dbt-daily-run-2026-11-26/run-1/history',
  };

  it('formatAlertText: the title in bold, the lines, and the link to the run', () => {
    const text = formatAlertText(alert).split('\n');
    expect(text[0]).toBe(`*${alert.title}*`);
    expect(text.slice(1, -1)).toEqual(alert.lines);
    expect(text.at(-1)).toBe(`<${alert.link}|Open the run in the Temporal Web UI>`);
    expect(formatAlertText({ ...alert, link: undefined }).split('\n').at(-1)).toBe(alert.lines.at(-1));
  });

  it('sendAlert: one claimed row, one Slack message with that text and blocks within Slack limits', async () => {
    const queries: { sql: string; params: unknown[] }[] = [];
    const pool = {
      query: (sql: string, params: unknown[]) => {
        queries.push({ sql, params });
        return Promise.resolve({ rows: sql.includes('INSERT') ? [{ id: '7' }] : [] });
      },
    } as unknown as pg.Pool;
    const posted: Record<string, unknown>[] = [];
    const slack = { chat: { postMessage: (m: Record<string, unknown>) => (posted.push(m), Promise.resolve({ ok: true })) } } as unknown as WebClient;
    const alerts = createAlertActivities({ pool, slack, channel: '#alerts', log: createLogger('silent') });
    const long = { ...alert, title: `${alert.title} ${'y'.repeat(200)}` };
    expect(await alerts.sendAlert(long)).toEqual({ sent: true, duplicate: false });
    expect(queries[0]!.params).toEqual([long.incidentKey, 'dbt_daily_run', '2026-11-26', 'failure', formatAlertText(long)]);
    expect(queries.at(-1)!.sql).toContain('SET delivered = true');
    expect(posted).toHaveLength(1);
    const message = posted[0]! as { channel: string; text: string; blocks: { type: string; text: { text: string } }[] };
    expect(message.channel).toBe('#alerts');
    expect(message.text).toBe(formatAlertText(long));
    expect(message.blocks[0]!.text.text).toHaveLength(150);
    expect(message.blocks[1]!.text.text).toBe(long.lines.join('\n'));
    expect(message.blocks[1]!.text.text).toContain('campaign "봄, 세일"');
    expect(message.blocks[1]!.text.text).not.toContain('second line');
  });

  it('sendAlert: an incident already claimed sends nothing again', async () => {
    const pool = {
      query: (sql: string) => Promise.resolve({ rows: sql.includes('INSERT') ? [] : [{ delivered: true }] }),
    } as unknown as pg.Pool;
    let posts = 0;
    const slack = { chat: { postMessage: () => (posts++, Promise.resolve({ ok: true })) } } as unknown as WebClient;
    const alerts = createAlertActivities({ pool, slack, channel: '#alerts', log: createLogger('silent') });
    expect(await alerts.sendAlert(alert)).toEqual({ sent: true, duplicate: true });
    expect(posts).toBe(0);
  });
});
