// The operator's commands as parsed and printed, called directly (no process, no server): which
// dates each refuses, what a group of subcommands says alone, and the lines of `status`,
// `schedules list` and `--wait`.
import { describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { backfillCommand } from '../../src/cli/commands/backfill';
import { requireEndedDay } from '../../src/cli/commands/context';
import { followProgress, shortDuration, type ProgressView } from '../../src/cli/commands/follow';
import { progressView, runCommand } from '../../src/cli/commands/run';
import { scheduleLines, schedulesCommand } from '../../src/cli/commands/schedules';
import { ledgerLines, slaText, type LedgerRow } from '../../src/cli/commands/status';
import { testStepCommand } from '../../src/cli/commands/test-step';
import { UsageError } from '../../src/core/errors';
import { addDays } from '../../src/core/dates';
import type { DbtDailyRunProgress } from '../../src/core/types';

/** Bad input must be refused before the command connects to anything. */
const noContext = () => Promise.reject(new Error('the command asked for its context: it went past its input checks'));
const parse = (cmd: Command, args: string[]) => cmd.exitOverride().parseAsync(args, { from: 'user' });

describe('a day that has not ended is refused alike by every command that runs a pipeline step', () => {
  // Tomorrow (UTC): the latest day any input may name, and not ended whatever the clock says while the test runs.
  const tomorrow = addDays(new Date().toISOString().slice(0, 10), 1);
  const from = addDays(tomorrow, -5);
  it.each([
    ['run', () => parse(runCommand(noContext), ['dbt', '--date', tomorrow])],
    ['backfill', () => parse(backfillCommand(noContext), ['dbt', '--from', from, '--to', tomorrow])],
    ['test-step dbt-build', () => parse(testStepCommand(noContext), ['dbt-build', '--date', tomorrow])],
    ['test-step validate', () => parse(testStepCommand(noContext), ['validate', '--date', tomorrow])],
    ['test-step report', () => parse(testStepCommand(noContext), ['report', '--date', tomorrow])],
  ])('roas %s', async (_name, call) => {
    const error = await call().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(/^\d{4}-\d{2}-\d{2} has not ended yet \(UTC\): a run processes a finished day, \d{4}-\d{2}-\d{2} or earlier\.$/);
  });

  it('the last day accepted is yesterday (UTC)', () => {
    expect(requireEndedDay('2026-11-26', '2026-11-27')).toBe('2026-11-26');
    expect(() => requireEndedDay('2026-11-27', '2026-11-27')).toThrow('2026-11-27 has not ended yet (UTC): a run processes a finished day, 2026-11-26 or earlier.');
    expect(() => requireEndedDay('2027-01-01', '2026-12-31')).toThrow('has not ended yet');
  });
});

describe('roas schedules', () => {
  it('alone, it names its subcommands; with an unknown word, it says so (usage errors: exit 2)', async () => {
    await expect(parse(schedulesCommand(noContext), [])).rejects.toThrow(
      new UsageError('roas schedules needs a subcommand: one of apply, list, pause, unpause, trigger (roas schedules --help says what each does)'),
    );
    await expect(parse(schedulesCommand(noContext), ['delete'])).rejects.toThrow('unknown subcommand "delete" of roas schedules: choose one of apply, list, pause, unpause, trigger');
  });

  const dbt = { name: 'dbt', scheduleId: 'dbt-daily-run', hourUtc: 0 };
  const next = [new Date('2026-11-28T00:00:00Z'), new Date('2026-11-29T00:00:00Z'), new Date('2026-11-30T00:00:00Z'), new Date('2026-12-01T00:00:00Z')];
  const recent = [{ scheduledAt: new Date('2026-11-27T00:00:00Z'), action: { workflow: { workflowId: 'scheduled-dbt-2026-11-27' } } }];

  it('list: an active schedule shows its next three runs', () => {
    expect(scheduleLines(dbt, { state: { paused: false }, info: { nextActionTimes: next, recentActions: recent } })).toEqual([
      'dbt  dbt-daily-run  active  00:00 UTC',
      '     next: 2026-11-28T00:00:00.000Z, 2026-11-29T00:00:00.000Z, 2026-11-30T00:00:00.000Z',
      '     ran:  2026-11-27T00:00:00.000Z → scheduled-dbt-2026-11-27',
    ]);
  });

  it('list: a paused schedule says it is paused instead of runs that will not happen', () => {
    const lines = scheduleLines(dbt, { state: { paused: true, note: 'warehouse maintenance' }, info: { nextActionTimes: next, recentActions: [] } });
    expect(lines).toEqual(['dbt  dbt-daily-run  PAUSED  00:00 UTC', '     note: warehouse maintenance', '     next: paused (roas schedules unpause dbt to resume)']);
  });
});

describe('roas status', () => {
  const row = (over: Partial<LedgerRow>): LedgerRow => ({
    pipeline: 'dbt_daily_run',
    run_date: '2026-11-26',
    workflow_id: 'w',
    run_id: 'r',
    status: 'succeeded',
    trigger: 'schedule',
    current_step: 'succeeded',
    attempts: 1,
    sla_met: true,
    error_type: null,
    error: null,
    started_at: new Date('2026-11-27T00:00:00Z'),
    finished_at: new Date('2026-11-27T00:00:54.6Z'),
    summary: {},
    ...over,
  });

  it('lists the dbt run before the daily ETL that follows it, whatever their names sort as', () => {
    const etl = row({ pipeline: 'daily_etl', sla_met: null, started_at: new Date('2026-11-27T06:00:00Z'), finished_at: new Date('2026-11-27T06:00:12Z') });
    const dbtRetry = row({ started_at: new Date('2026-11-27T07:00:00Z'), finished_at: new Date('2026-11-27T07:01:00Z'), trigger: 'manual' });
    const lines = ledgerLines([etl, dbtRetry, row({})]);
    expect(lines).toEqual([
      '  dbt_daily_run succeeded   54.6s  trigger schedule, step succeeded, attempts 1, SLA met',
      '  dbt_daily_run succeeded    1m0s  trigger manual, step succeeded, attempts 1, SLA met',
      '  daily_etl     succeeded   12.0s  trigger schedule, step succeeded, attempts 1, SLA none',
    ]);
  });

  it("the SLA: the dbt run's, met, MISSED or pending while it runs; the ETL has none and says so", () => {
    expect(slaText(row({ sla_met: false }))).toBe('MISSED');
    expect(slaText(row({ status: 'running', sla_met: null }))).toBe('pending');
    expect(slaText(row({ status: 'cancelled', sla_met: null }))).toBe('–');
    expect(slaText(row({ pipeline: 'daily_etl', status: 'running', sla_met: null }))).toBe('none');
  });
});

describe('--wait', () => {
  /** A clock that moves only when the follower sleeps; the run ends when `endsAtMs` is reached. */
  function harness(endsAtMs: number) {
    let now = 0;
    let finish!: (v: string) => void;
    const result = new Promise<string>((r) => (finish = r));
    const printed: string[] = [];
    const sleep = (ms: number) => {
      now += ms;
      if (now >= endsAtMs) finish('done');
      return Promise.resolve();
    };
    return { result, printed, options: { stamp: true, now: () => now, sleep, print: (l: string) => printed.push(l) } };
  }

  it('prints each change, and a heartbeat every minute the progress does not move', async () => {
    const h = harness(200_000);
    const look = (): Promise<ProgressView> => {
      const t = h.options.now();
      return Promise.resolve(t < 10_000 ? { key: 'a', line: 'dbt build, 0/40 nodes done' } : { key: 'b', line: 'dbt build, 12/40 nodes done' });
    };
    expect(await followProgress(look, h.result, 0, h.options)).toBe('done');
    expect(h.printed).toEqual([
      '  [   0s] dbt build, 0/40 nodes done',
      '  [  10s] dbt build, 12/40 nodes done',
      '  [  70s] still dbt build, 12/40 nodes done, 1m10s so far',
      '  [ 130s] still dbt build, 12/40 nodes done, 2m10s so far',
      '  [ 190s] still dbt build, 12/40 nodes done, 3m10s so far',
    ]);
  });

  it('says it is still going when the progress does not answer at all', async () => {
    const h = harness(65_000);
    await followProgress(() => Promise.reject(new Error('no worker')), h.result, 0, { ...h.options, stamp: false });
    expect(h.printed).toEqual(['  still running (its progress does not answer: is a worker running?), 1m00s so far']);
  });

  it('leaves no timer behind when the run ends: the process exits as soon as the run has ended', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    let finish!: (v: string) => void;
    const result = new Promise<string>((r) => (finish = r));
    // The real wait between looks (1 s); the run ends during the first one.
    const following = followProgress(() => Promise.resolve({ key: 'a', line: 'dbt build' }), result, Date.now(), { print: () => {} });
    await new Promise((r) => setImmediate(r));
    finish('done');
    expect(await following).toBe('done');
    expect(timers()).toBe(before);
  });

  it("a run's progress reads as in status; the clock is not part of what counts as a change", () => {
    const p: DbtDailyRunProgress = {
      runDate: '2026-11-26',
      step: 'waiting-for-flink',
      nodesDone: 0,
      nodesTotal: 0,
      attempt: 0,
      failures: [],
      startedAt: '2026-11-27T00:00:00.000Z',
      slaDeadline: '2026-11-27T01:00:00.000Z',
      slaMissed: false,
      stepSince: '2026-11-27T00:00:01.000Z',
    };
    const early = progressView(p, Date.parse('2026-11-27T00:00:05Z'));
    const later = progressView(p, Date.parse('2026-11-27T00:10:05Z'));
    expect(early.key).toBe(later.key);
    expect(later.line).toBe('waiting for Flink to report 2026-11-26 complete (since 00:00 UTC, 10 min; if it is complete: roas flink-complete --date 2026-11-26)');
    expect(progressView({ ...p, step: 'dbt-build', nodesDone: 3, nodesTotal: 40, attempt: 2, failures: ['m1'], slaMissed: true }).line).toBe(
      'dbt build, 3/40 nodes done, attempt 2, failures: m1, SLA missed',
    );
  });

  it('shortDuration', () => {
    expect([45_000, 190_000, 3_790_000].map(shortDuration)).toEqual(['45s', '3m10s', '1h03m10s']);
  });
});

