// The publish half of write-audit-publish. dbt built each model's run date into
// analytics_audit.<model>_pYYYYMMDD and the step's tests passed on exactly those rows; this moves
// them into `analytics` as that day's partitions, for every model of the step in one
// transaction: readers see the whole new day or the whole old one, never a mix, never rows that
// were not tested. Attaching is cheap whatever the history: each audited table carries a CHECK
// on its date, so PostgreSQL attaches it without scanning it.
import { ApplicationFailure, Context } from '@temporalio/activity';
import pg from 'pg';
import { NOTHING_TO_PUBLISH } from '../../src/core/failure-types';
import type { PublishInput, PublishResult } from '../../src/core/types';
import { pipelineNamed } from '../../src/core/pipelines';
import { currentRun, tell, type ObserverDeps } from '../observers';

export const AUDIT_SCHEMA = 'analytics_audit';

/** What the audited_day materialization writes as the comment of each audited table. */
interface AuditedDayMeta {
  model: string;
  schema: string;
  date_column: string;
  run_date: string;
  tags: string[];
}

export interface PublishDeps extends ObserverDeps {
  pool: pg.Pool;
  /** The transform role's pool: attaching dbt's tables takes their owner's rights (default: pool). */
  publishPool?: pg.Pool;
  /** How long publishing waits for readers' locks before giving up (and being retried). */
  publishLockTimeoutMs?: number;
}

export function dayIdentifier(model: string, runDate: string): string {
  return `${model}_p${runDate.replaceAll('-', '')}`;
}

export function createPublishActivities(deps: PublishDeps) {
  return {
    /** Publishes the day (see publishInTransaction), then tells the observers how it went. */
    async publishDay(input: PublishInput): Promise<PublishResult> {
      const ref = currentRun(input.pipeline, input.runDate);
      const startedAt = new Date().toISOString();
      try {
        const result = await publishInTransaction(deps, input);
        await tell(deps, 'dayPublished', { ...ref, outcome: 'success', models: result.models, replaced: result.replaced, startedAt, at: new Date().toISOString() });
        return result;
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        await tell(deps, 'dayPublished', { ...ref, outcome: 'failure', models: [], replaced: [], startedAt, at: new Date().toISOString(), error });
        throw err;
      }
    },
  };
}

async function publishInTransaction(deps: PublishDeps, input: PublishInput): Promise<PublishResult> {
  const started = Date.now();
  const heartbeat = activityHeartbeat();
  // Heartbeat while waiting for readers' locks too, so only a dead worker looks dead.
  const beat = setInterval(heartbeat, 5_000);
  const client = await (deps.publishPool ?? deps.pool).connect();
  try {
    await client.query('BEGIN');
    await client.query(`SET LOCAL lock_timeout = ${Math.round(deps.publishLockTimeoutMs ?? 60_000)}`);
    const audited = await auditedDays(client, AUDIT_SCHEMA, input);
    if (audited.length === 0) {
      const published = await auditedDays(client, null, input);
      await client.query('ROLLBACK');
      if (published.length > 0) {
        return { runDate: input.runDate, models: published.map(qualified), replaced: [], alreadyPublished: true, milliseconds: Date.now() - started };
      }
      throw ApplicationFailure.create({
        type: NOTHING_TO_PUBLISH,
        nonRetryable: true,
        message:
          `No audited day of the models tagged ${input.tag} exists for ${input.runDate}: nothing to publish. ` +
          `The step's dbt run must build them first (roas run ${pipelineNamed(input.pipeline)?.key ?? 'dbt'} --date ${input.runDate} --force).`,
      });
    }
    const replaced: string[] = [];
    // One order for every publisher, so two dates publishing at once queue instead of deadlocking.
    audited.sort((a, b) => a.relname.localeCompare(b.relname));
    for (const day of audited) {
      const parent = `${pg.escapeIdentifier(day.meta.schema)}.${pg.escapeIdentifier(day.meta.model)}`;
      const partition = `${pg.escapeIdentifier(day.meta.schema)}.${pg.escapeIdentifier(day.relname)}`;
      // The same lock the build takes: a dbt still building this day (a dead worker's) finishes first.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${AUDIT_SCHEMA}.${day.relname}`]);
      const { rows } = await client.query<{ exists: boolean; attached: boolean }>(
        `SELECT to_regclass($1) IS NOT NULL AS exists,
                EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = to_regclass($1) AND inhparent = to_regclass($2)) AS attached`,
        [partition, parent],
      );
      if (rows[0]!.exists) {
        if (rows[0]!.attached) await client.query(`ALTER TABLE ${parent} DETACH PARTITION ${partition}`);
        await client.query(`DROP TABLE ${partition}`);
        replaced.push(`${day.meta.schema}.${day.meta.model}`);
      }
      // The build left autovacuum off on the day's table (so no autovacuum holds it now):
      // published, it is a table like any other.
      await client.query(`ALTER TABLE ${pg.escapeIdentifier(AUDIT_SCHEMA)}.${pg.escapeIdentifier(day.relname)} RESET (autovacuum_enabled)`);
      await client.query(`ALTER TABLE ${pg.escapeIdentifier(AUDIT_SCHEMA)}.${pg.escapeIdentifier(day.relname)} SET SCHEMA ${pg.escapeIdentifier(day.meta.schema)}`);
      await client.query(`ALTER TABLE ${parent} ATTACH PARTITION ${partition} FOR VALUES IN (${pg.escapeLiteral(input.runDate)})`);
      heartbeat();
    }
    if (input.cutId) await recordPublishedCut(client, input, audited, replaced);
    await client.query('COMMIT');
    return { runDate: input.runDate, models: audited.map(qualified), replaced, alreadyPublished: false, milliseconds: Date.now() - started };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    clearInterval(beat);
    client.release();
  }
}

/** The model that compares the day as published before with the day as just built (see dbt). */
export const RESTATEMENT_MODEL = 'fct_daily_metrics_restatement';
const RESTATED_MODEL = 'fct_daily_metrics';

/**
 * In the publishing transaction: the cut the day was built from becomes the day's published cut,
 * and when the day replaced a published version, dbt's comparison of the two goes into
 * orchestrator.restatements, as computed (per campaign and the total).
 */
async function recordPublishedCut(client: pg.PoolClient, input: PublishInput, audited: AuditedDay[], replaced: string[]): Promise<void> {
  const { rows } = await client.query<{ workflow_id: string; run_id: string; trigger: string }>(
    'UPDATE realtime_cut.cuts SET published_at = now() WHERE cut_id = $1 AND run_date = $2 RETURNING workflow_id, run_id, trigger',
    [input.cutId, input.runDate],
  );
  const cut = rows[0];
  const compare = audited.find((d) => d.meta.model === RESTATEMENT_MODEL);
  if (!cut || !compare || !replaced.includes(`${compare.meta.schema}.${RESTATED_MODEL}`)) return;
  const table = `${pg.escapeIdentifier(compare.meta.schema)}.${pg.escapeIdentifier(compare.relname)}`;
  await client.query(
    `INSERT INTO orchestrator.restatements (run_date, workflow_id, run_id, trigger, campaign_id, rows_before, rows_after,
       spend_before, spend_after, revenue_before, revenue_after, conversions_before, conversions_after, roas_before, roas_after, largest_change)
     SELECT $1::date, $2, $3, $4, campaign_id, rows_before, rows_after, spend_before, spend_after, revenue_before, revenue_after,
            conversions_before, conversions_after, roas_before, roas_after, largest_change
     FROM ${table} ORDER BY campaign_id NULLS LAST`,
    [input.runDate, cut.workflow_id, cut.run_id, cut.trigger],
  );
}

interface AuditedDay {
  relname: string;
  meta: AuditedDayMeta;
}

function qualified(day: AuditedDay): string {
  return `${day.meta.schema}.${day.meta.model}`;
}

/**
 * The days of the step's models for the date, described by the comment the materialization left:
 * in the audit schema (`schema` given), or already published (`schema` null: any other schema).
 */
async function auditedDays(client: pg.PoolClient, schema: string | null, input: PublishInput): Promise<AuditedDay[]> {
  const { rows } = await client.query<{ relname: string; nspname: string; meta: string | null }>(
    `SELECT c.relname, n.nspname, obj_description(c.oid, 'pg_class') AS meta
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'r' AND c.relname LIKE $1 AND (n.nspname = $2 OR ($2 IS NULL AND n.nspname <> $3))`,
    [`%\\_p${input.runDate.replaceAll('-', '')}`, schema, AUDIT_SCHEMA],
  );
  const days: AuditedDay[] = [];
  for (const row of rows) {
    const meta = parseMeta(row.meta);
    if (!meta || meta.run_date !== input.runDate || !meta.tags.includes(input.tag)) continue;
    if (schema === null && row.nspname !== meta.schema) continue;
    days.push({ relname: row.relname, meta });
  }
  return days;
}

function parseMeta(text: string | null): AuditedDayMeta | undefined {
  if (!text?.startsWith('{')) return undefined;
  try {
    const meta = JSON.parse(text) as Partial<AuditedDayMeta>;
    if (typeof meta.model !== 'string' || typeof meta.schema !== 'string' || typeof meta.run_date !== 'string' || !Array.isArray(meta.tags)) return undefined;
    return meta as AuditedDayMeta;
  } catch {
    return undefined;
  }
}

/** Heartbeats when running as an activity; a no-op when called directly (tests, scripts). */
function activityHeartbeat(): () => void {
  try {
    const ctx = Context.current();
    ctx.heartbeat();
    return () => ctx.heartbeat();
  } catch {
    return () => {};
  }
}
