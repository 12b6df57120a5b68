// A dbt runner test double for workflow tests on the time-skipping server: it writes the
// run_results.json dbt would write, so the real activity code parses and classifies it.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import type { DbtInvocation, DbtLogEvent, DbtProcessResult, DbtRunner } from '../../activities/dbt/runner';

export interface FakeNode {
  name: string;
  type?: 'model' | 'test' | 'seed';
  status: string;
  failures?: number | null;
  message?: string | null;
}

export interface FakeOutcome {
  exitCode: number;
  /** Nodes written to run_results.json; omit to write none (dbt died early). */
  nodes?: FakeNode[];
  /** Text dbt printed outside its JSON log (tracebacks, connection errors). */
  raw?: string;
  notable?: DbtLogEvent[];
}

export type Scenario = (invocation: DbtInvocation, call: number) => FakeOutcome | Promise<FakeOutcome>;

export const MODELS: FakeNode[] = ['stg_ad_events', 'int_hourly_agg', 'fct_daily_metrics'].map((name) => ({ name, type: 'model', status: 'success' }));
export const TESTS: FakeNode[] = ['stg_ad_events_not_empty', 'fct_daily_metrics_spend_spike'].map((name) => ({ name, type: 'test', status: 'pass', failures: 0 }));

export function fakeDbt(scenario: Scenario) {
  const invocations: DbtInvocation[] = [];
  const runner: DbtRunner = async (invocation, onEvent) => {
    invocations.push(invocation);
    const outcome = await scenario(invocation, invocations.length);
    mkdirSync(invocation.targetPath, { recursive: true });
    if (outcome.nodes) {
      onEvent?.({ name: 'ConcurrencyLine', level: 'info', msg: '', data: { node_count: outcome.nodes.length } });
      for (const n of outcome.nodes) onEvent?.({ name: n.type === 'test' ? 'LogTestResult' : 'LogModelResult', level: 'info', msg: '', data: { name: n.name, status: n.status } });
      writeFileSync(
        path.join(invocation.targetPath, 'run_results.json'),
        JSON.stringify({
          metadata: { dbt_version: '1.11.16', invocation_id: `fake-${invocations.length}` },
          elapsed_time: 1.5,
          args: { vars: {} },
          results: outcome.nodes.map((n) => ({
            unique_id: `${n.type ?? 'model'}.marketing_roas.${n.name}${n.type === 'test' ? '.abcdef1234' : ''}`,
            status: n.status,
            failures: n.failures ?? null,
            message: n.message ?? null,
            execution_time: 0.5,
          })),
        }),
      );
    }
    const result: DbtProcessResult = {
      command: invocation.command,
      args: [invocation.command],
      exitCode: outcome.exitCode,
      durationMs: 1500,
      notable: outcome.notable ?? [],
      rawOutput: outcome.raw ?? '',
      dbtVersion: '1.11.16',
      cancelled: false,
    };
    return result;
  };
  return { runner, invocations };
}

/**
 * What the audited_day materialization leaves behind for each model a build ran successfully:
 * the date's audited table (with its CHECK and its describing comment) and the published,
 * partitioned table; so the real publish activity has real tables to publish.
 */
export function withAuditedDays(pool: pg.Pool, scenario: Scenario): Scenario {
  return async (invocation, call) => {
    const outcome = await scenario(invocation, call);
    const runDate = invocation.runDate ?? '';
    if (invocation.command !== 'build' || !runDate) return outcome;
    const tag = invocation.targetPath.includes(`${path.sep}daily_etl${path.sep}`) ? 'daily_etl' : 'daily_run';
    for (const n of outcome.nodes ?? []) {
      if ((n.type ?? 'model') !== 'model' || n.status !== 'success') continue;
      const day = `${n.name}_p${runDate.replaceAll('-', '')}`;
      const meta = JSON.stringify({ model: n.name, schema: 'analytics', date_column: 'day', run_date: runDate, tags: [tag] });
      // One transaction under a lock, as the real materialization does: two dates built at once
      // must not both create the published table.
      await pool.query(`BEGIN; SELECT pg_advisory_xact_lock(hashtext('fake-dbt-audited-day'));
        DROP TABLE IF EXISTS analytics_audit.${day};
        CREATE TABLE analytics_audit.${day} (day date NOT NULL CHECK (day = '${runDate}'));
        INSERT INTO analytics_audit.${day} VALUES ('${runDate}');
        COMMENT ON TABLE analytics_audit.${day} IS '${meta}';
        CREATE TABLE IF NOT EXISTS analytics.${n.name} (day date NOT NULL) PARTITION BY LIST (day);
        COMMIT;`);
    }
    return outcome;
  };
}
