// `roas lineage --date D`: the day's graph of jobs and datasets from the per-model record of the
// newest run of each pipeline for the date, read as the reporting role in a READ ONLY transaction.
import { Command } from 'commander';
import type pg from 'pg';
import { parseRunDate } from '../../core/dates';
import { buildLineage, type Lineage, type LineageRun, type MissRow, type ModelRunRow, type PublishRow } from '../../core/lineage';
import { lineageLines } from '../../core/lineage-text';
import type { CliContext } from './context';

/** Reads what the graph of `date` is built from; undefined when no run of the date is in the ledger. */
export async function readLineage(client: pg.ClientBase, date: string): Promise<Lineage | undefined> {
  // The newest run of each pipeline for the date.
  const { rows: runs } = await client.query<LineageRun>(
    `SELECT DISTINCT ON (pipeline) pipeline, workflow_id AS "workflowId", run_id AS "runId", status, trigger,
            to_json(started_at) #>> '{}' AS "startedAt", to_json(finished_at) #>> '{}' AS "finishedAt", attempts
       FROM orchestrator.pipeline_runs WHERE run_date = $1
      ORDER BY pipeline, started_at DESC, run_id DESC`,
    [date],
  );
  if (!runs.length) return undefined;
  runs.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  const { rows } = await client.query<ModelRunRow>(
    `SELECT pipeline, step, attempt, unique_id AS "uniqueId", name, resource_type AS "resourceType", status,
            duration_seconds AS "durationSeconds", rows_affected::float8 AS "rowsAffected", failures::float8 AS failures, message,
            attached_to AS "attachedTo", depends_on AS "dependsOn", relation, calls::float8 AS calls, exec_ms AS "execMs",
            shared_blks_read::float8 AS "sharedBlksRead", shared_blks_hit::float8 AS "sharedBlksHit", to_json(recorded_at) #>> '{}' AS "recordedAt"
       FROM orchestrator.model_runs
      WHERE run_date = $1 AND (workflow_id, run_id) IN (SELECT * FROM unnest($2::text[], $3::text[]))
      ORDER BY recorded_at LIMIT 20000`,
    [date, runs.map((r) => r.workflowId), runs.map((r) => r.runId)],
  );
  const { rows: publishes } = await client.query<PublishRow>(
    `SELECT model, to_json(published_at) #>> '{}' AS "publishedAt", workflow_id AS "workflowId", freshness_seconds AS "freshnessSeconds",
            promise, promise_seconds AS "promiseSeconds", met
       FROM orchestrator.model_freshness WHERE run_date = $1 ORDER BY published_at LIMIT 5000`,
    [date],
  );
  const { rows: misses } = await client.query<MissRow>(
    'SELECT model, promise, kind, detail FROM orchestrator.freshness_misses WHERE run_date = $1 LIMIT 5000',
    [date],
  );
  return buildLineage(date, runs, rows, publishes, misses);
}

export function lineageCommand(context: () => Promise<CliContext>): Command {
  return new Command('lineage')
    .description("One date's graph of jobs and datasets from its newest run: sources, then each model and seed in dependency order with its state, duration, rows, cost, tests, reads and writes, and its publish against its freshness promise.")
    .requiredOption('-d, --date <YYYY-MM-DD>', 'the run date')
    .option('--json', 'print the graph as JSON')
    .action(async (opts: { date: string; json?: boolean }) => {
      const date = parseRunDate(opts.date, '--date');
      const ctx = await context();
      try {
        const pool = await ctx.pool('reporting');
        const client = await pool.connect();
        let lineage: Lineage | undefined;
        try {
          await client.query('BEGIN TRANSACTION READ ONLY');
          await client.query("SET LOCAL statement_timeout = '15s'");
          lineage = await readLineage(client, date);
        } finally {
          await client.query('ROLLBACK').catch(() => undefined);
          client.release();
        }
        if (!lineage) {
          // Not bad input (the date is valid) but nothing to show: exit 1, saying how to make a run.
          console.error(`error: no run of ${date} in the ledger (orchestrator.pipeline_runs): start one with roas run dbt --date ${date} --wait; roas runs lists the dates that ran`);
          process.exitCode = 1;
          return;
        }
        if (opts.json) console.log(JSON.stringify(lineage, null, 2));
        else for (const line of lineageLines(lineage)) console.log(line);
      } finally {
        await ctx.close();
      }
    });
}
