// The runs of the window: the run ledger, Flink's markers and the alerts per day, as the
// calendar, the durations and the attempts show them.
import type pg from 'pg';
import { DEFAULT_SLA_MS } from '../../core/settings';
import { PIPELINE_NAMES, pipelineNamed, PIPELINES } from '../../core/pipelines';
import { hasReport, type Pipeline } from '../files';
import type { Cell, CellState, Dashboard, DayRow, FlinkCell, Gathering, LedgerRow, LiveRun, RunRef } from '../types';
import { runLink, scrub, stepOf } from '../util';

/** When each pipeline is due for a date: the schedules fire at 00:00 and 06:00 UTC the next day. */
const DUE_AFTER_MS = Object.fromEntries(Object.values(PIPELINES).map((p) => [p.name, (24 + p.schedule.hourUtc) * 3_600_000])) as Record<Pipeline, number>;
/** At most this many runs going now are listed and followed live. */
export const MAX_OPEN_RUNS = 20;

export type RunsData = Awaited<ReturnType<typeof queryRuns>>;

export async function queryRuns(c: pg.PoolClient, win: { start: string; end: string }) {
  const ledger = await c.query<LedgerRow>(
    `SELECT workflow_id, run_id, pipeline, run_date::text AS run_date, status, trigger, scheduled_at, started_at, finished_at,
            current_step, attempts, sla_met, error_type, left(error, 2000) AS error, summary
     FROM orchestrator.pipeline_runs
     WHERE pipeline = ANY($3::text[]) AND run_date BETWEEN $1::date AND $2::date
     ORDER BY run_date, started_at
     LIMIT 3000`,
    [win.start, win.end, PIPELINE_NAMES],
  );
  // Runs going now, whatever their date (a backfill may be far back).
  const running = await c.query<LedgerRow>(
    `SELECT workflow_id, run_id, pipeline, run_date::text AS run_date, status, trigger, scheduled_at, started_at, finished_at,
            current_step, attempts, sla_met, error_type, left(error, 2000) AS error, '{}'::jsonb AS summary
     FROM orchestrator.pipeline_runs
     WHERE status = 'running' AND started_at > now() - interval '7 days'
     ORDER BY started_at DESC LIMIT $1`,
    [MAX_OPEN_RUNS],
  );
  const markers = await c.query<{ run_date: string; completed_at: Date; row_count: string; events_in_table: string | null; flag: string | null; note: string | null }>(
    `SELECT run_date::text AS run_date, completed_at, row_count, events_in_table, flag, left(note, 500) AS note
     FROM realtime.flink_batches WHERE run_date BETWEEN $1::date AND $2::date ORDER BY run_date LIMIT 200`,
    [win.start, win.end],
  );
  const refused = await c.query<{ run_date: string; n: string; reason: string | null }>(
    `SELECT DISTINCT ON (run_date) run_date::text AS run_date, count(*) OVER (PARTITION BY run_date) AS n, left(reason, 500) AS reason
     FROM realtime.flink_batch_history
     WHERE run_date BETWEEN $1::date AND $2::date AND action IN ('refused', 'conflicting')
     ORDER BY run_date, id DESC LIMIT 200`,
    [win.start, win.end],
  );
  const windowAlerts = await c.query<{ run_date: string; pipeline: string; kind: string; delivered: boolean }>(
    `SELECT run_date::text AS run_date, pipeline, kind, delivered FROM orchestrator.alerts
     WHERE run_date BETWEEN $1::date AND $2::date ORDER BY id LIMIT 2000`,
    [win.start, win.end],
  );
  // The first day anything happened: days before it are not "missing", there was nothing yet.
  const first = await c.query<{ first: string | null }>(
    `SELECT least((SELECT min(run_date) FROM orchestrator.pipeline_runs), (SELECT min(run_date) FROM realtime.flink_batches))::text AS first`,
  );
  return { firstDay: first.rows[0]?.first ?? null, ledger: ledger.rows, running: running.rows, markers: markers.rows, refused: refused.rows, windowAlerts: windowAlerts.rows };
}

/** A ledger row as the dashboard shows a run. */
export function runRefs(g: Gathering): (r: LedgerRow) => RunRef {
  const { src, nowMs, clean } = g;
  return (r: LedgerRow): RunRef => {
  const end = r.finished_at?.getTime() ?? nowMs;
  return {
    workflowId: r.workflow_id,
    runId: r.run_id,
    status: r.status,
    trigger: r.trigger,
    step: r.current_step,
    attempts: r.attempts,
    scheduledAt: r.scheduled_at?.toISOString() ?? null,
    startedAt: r.started_at.toISOString(),
    finishedAt: r.finished_at?.toISOString() ?? null,
    durationMs: end - r.started_at.getTime(),
    sinceScheduledMs: end - (r.scheduled_at ?? r.started_at).getTime(),
    slaMet: r.sla_met,
    errorType: r.error_type,
    error: clean(r.error),
    uiLink: runLink(src.uiUrl, src.namespace, r.workflow_id, r.run_id),
  };
};
}

export interface Calendar {
  calendar: DayRow[];
  effectiveRuns: { dbt?: LedgerRow; etl?: LedgerRow }[];
  byDay: Map<string, Record<Pipeline, LedgerRow[]>>;
  markers: Map<string, RunsData['markers'][number]>;
}

/** Each day of the window: Flink's marker, the dbt run and the daily ETL, as states with their why. */
export async function buildCalendar(g: Gathering, db: RunsData, live: LiveRun[], closedInTemporal: Map<string, string>): Promise<Calendar> {
  const { src, dates, nowMs } = g;
  const toRef = runRefs(g);
  const byDay = new Map<string, Record<Pipeline, LedgerRow[]>>();
  for (const d of dates) byDay.set(d, Object.fromEntries(PIPELINE_NAMES.map((n) => [n, []])) as unknown as Record<Pipeline, LedgerRow[]>);
  for (const r of db.ledger) byDay.get(r.run_date)?.[r.pipeline]?.push(r);
  const liveByRun = new Map(live.map((l) => [`${l.workflowId}/${l.runId}`, l]));
  const markers = new Map(db.markers.map((m) => [m.run_date, m]));
  const refused = new Map(db.refused.map((m) => [m.run_date, m]));
  const alertsByDay = new Map<string, DayRow['alerts']>();
  for (const a of db.windowAlerts) {
    const list = alertsByDay.get(a.run_date) ?? [];
    list.push({ kind: a.kind, pipeline: a.pipeline, delivered: a.delivered });
    alertsByDay.set(a.run_date, list);
  }
  const reports = await Promise.all(dates.map((d) => hasReport(src.reportsDir, d)));

  const cellOf: CellContext = { toRef, alertsByDay, liveByRun, closedInTemporal, nowMs, firstDay: db.firstDay, secrets: src.secrets };
  const pipelineCell = (pipeline: Pipeline, date: string, rows: LedgerRow[]) => cellOfPipeline(cellOf, pipeline, date, rows);

  const calendar: DayRow[] = [];
  const effectiveRuns: { dbt?: LedgerRow; etl?: LedgerRow }[] = [];
  for (const [i, date] of dates.entries()) {
    const day = byDay.get(date)!;
    const dbt = pipelineCell(PIPELINES.dbt.name, date, day[PIPELINES.dbt.name]);
    const etl = pipelineCell(PIPELINES.etl.name, date, day[PIPELINES.etl.name]);
    effectiveRuns.push({ dbt: dbt.effective, etl: etl.effective });
    const m = markers.get(date);
    const r = refused.get(date);
    const flink = flinkCell({ nowMs, firstDay: db.firstDay, secrets: src.secrets }, date, m, r, day[PIPELINES.dbt.name], dbt.cell, live);
    calendar.push({
      date,
      flink,
      dbt: dbt.cell,
      etl: etl.cell,
      links: {
        logsDbt: `logs/${PIPELINES.dbt.name}/${date}`,
        logsEtl: `logs/${PIPELINES.etl.name}/${date}`,
        logsCommand: `roas logs ${PIPELINES.dbt.key} --date ${date}`,
        ...(reports[i] ? { report: `reports/${date}/` } : {}),
      },
      alerts: alertsByDay.get(date) ?? [],
    });
  }

  return { calendar, effectiveRuns, byDay, markers };
}

interface CellContext {
  toRef: (r: LedgerRow) => RunRef;
  alertsByDay: Map<string, DayRow['alerts']>;
  liveByRun: Map<string, LiveRun>;
  closedInTemporal: Map<string, string>;
  nowMs: number;
  firstDay: string | null;
  secrets?: string[];
}

/** One pipeline's cell of a day: the latest run's state, why, retries and re-runs, SLA and warnings. */
function cellOfPipeline(c: CellContext, pipeline: Pipeline, date: string, rows: LedgerRow[]): { cell: Cell; effective?: LedgerRow } {
const { toRef, alertsByDay, liveByRun, closedInTemporal, nowMs, firstDay } = c;
  const refs = rows.map(toRef);
  const nonSkipped = rows.filter((r) => r.status !== 'skipped');
  const effective = nonSkipped[nonSkipped.length - 1];
  const latest = rows[rows.length - 1];
  const alerts = alertsByDay.get(date) ?? [];
  const slaAlert = pipeline === PIPELINES.dbt.name && alerts.some((a) => a.kind === 'sla_miss' && a.pipeline === pipeline);
  const liveRun = latest ? liveByRun.get(`${latest.workflow_id}/${latest.run_id}`) : undefined;
  const slaMissed = Boolean(effective && (effective.sla_met === false || (liveRun?.slaMissed ?? false))) || slaAlert;
  const retries = Math.max(0, (effective?.attempts ?? 0) - 1);
  const reruns = Math.max(0, nonSkipped.length - 1);
  const base = { slaMissed, retries, reruns, warn: false, runs: refs, run: latest ? toRef(latest) : undefined };
  if (!latest) {
    const due = Date.parse(`${date}T00:00:00Z`) + DUE_AFTER_MS[pipeline];
    if (nowMs < due) {
      return { cell: { ...base, state: 'not-due', label: `not due yet (starts ${new Date(due).toISOString().slice(0, 16).replace('T', ' ')} UTC)`, detail: [] } };
    }
    if (firstDay === null || date < firstDay) {
      return { cell: { ...base, state: 'not-due', label: 'before the first data this pipeline saw', detail: [] } };
    }
    return {
      cell: {
        ...base,
        state: 'missing',
        label: 'no run',
        detail: [`No run of the ${pipelineNamed(pipeline)?.title ?? pipeline} for ${date}: roas run ${pipelineNamed(pipeline)?.key ?? ''} --date ${date}`],
      },
    };
  }
  const ref = toRef(latest);
  const detail: string[] = [];
  let state: CellState;
  let label: string;
  const gone = closedInTemporal.get(`${latest.workflow_id}/${latest.run_id}`);
  if (latest.status === 'running' && gone) {
    state = 'failed';
    label = `ended in Temporal (${gone.toLowerCase()}) without finishing its ledger row`;
    detail.push('The run was terminated, timed out or reset; start it again with --force.');
  } else if (latest.status === 'running') {
    const step = liveRun?.step ?? latest.current_step ?? 'starting';
    state = step === 'waiting-for-flink' || step === 'waiting-for-dbt-run' ? 'waiting' : 'running';
    label = liveRun ? liveRun.text : `${state} (${step})`;
  } else if (latest.status === 'skipped' && effective?.status === 'succeeded') {
    // A trigger after success is skipped; the day is still the success it was.
    state = 'succeeded';
    label = 'succeeded (a later trigger was skipped: the date had already succeeded)';
  } else if (latest.status === 'skipped') {
    state = 'skipped';
    label = 'skipped: the date had already succeeded';
    const why = latest.summary?.skipped;
    if (typeof why === 'string') detail.push(scrub(why, c.secrets));
  } else if (latest.status === 'succeeded') {
    state = 'succeeded';
    label = 'succeeded';
  } else if (latest.status === 'cancelled') {
    state = 'cancelled';
    label = 'cancelled';
  } else {
    state = 'failed';
    label = `failed${latest.error_type ? `: ${latest.error_type}` : ''}`;
    if (ref.error) detail.push(ref.error);
  }
  if (effective && effective !== latest && latest.status === 'skipped') {
    detail.push(`The run that did it: ${effective.status}, ${effective.workflow_id} (${effective.run_id.slice(0, 8)}…).`);
  }
  if (retries) detail.push(`${retries} ${retries === 1 ? 'retry' : 'retries'} (${effective!.attempts} attempts).`);
  if (reruns) detail.push(`${reruns + 1} runs of this date.`);
  if (slaMissed) detail.push('SLA missed: not done 1 hour after its scheduled time.');
  const { warn, lines } = cellWarnings(pipeline, effective);
  detail.push(...lines);
  return { cell: { ...base, state, label, detail, warn, run: ref }, effective };
}

/** What a run that did its work warned of: its warn-severity tests, or the daily ETL's checks that did not pass. */
function cellWarnings(pipeline: Pipeline, effective: LedgerRow | undefined): { warn: boolean; lines: string[] } {
  const detail: string[] = [];
  let warn = false;
  if (pipeline === PIPELINES.dbt.name && effective) {
    const warnings = stepOf(pipeline, effective.summary).flatMap(([, s]) => s.warnings ?? []);
    if (warnings.length) {
      warn = true;
      detail.push(`Warnings: ${warnings.join(', ')}.`);
    }
  }
  if (pipeline === PIPELINES.etl.name && effective) {
    const checks = Array.isArray(effective.summary.checks) ? (effective.summary.checks as string[]) : [];
    const notPass = checks.filter((c) => !c.endsWith(':pass'));
    if (notPass.length) {
      warn = true;
      detail.push(`Checks: ${notPass.join(', ')}.`);
    }
  }
  return { warn, lines: detail };
}

/** Flink's side of a day: its marker, a run waiting for one, a gate that gave up, or nothing yet. */
function flinkCell(
  c: { nowMs: number; firstDay: string | null; secrets?: string[] },
  date: string,
  m: RunsData['markers'][number] | undefined,
  r: RunsData['refused'][number] | undefined,
  dbtRows: LedgerRow[],
  dbtCell: Cell,
  live: LiveRun[],
): FlinkCell {
  const { nowMs, firstDay } = c;
  const gateFailed = dbtRows.some((x) => x.error_type === 'FlinkGateDeadline');
  const flinkDetail: string[] = [];
  if (r) flinkDetail.push(`${r.n} marker(s) refused or conflicting; last: ${scrub(r.reason ?? '', c.secrets)}`);
  if (m) {
    const count = Number(m.row_count);
    if (m.note) flinkDetail.push(scrub(m.note, c.secrets));
    return {
      state: 'succeeded',
      label: `complete: ${count.toLocaleString('en-US')} events${m.flag ? ` (${m.flag.replace('_', ' ')})` : ''}`,
      detail: [`Reported complete at ${m.completed_at.toISOString().slice(0, 16).replace('T', ' ')} UTC.`, ...flinkDetail],
      warn: Boolean(m.flag),
      rowCount: count,
      completedAt: m.completed_at.toISOString(),
    };
  } else if (dbtCell.state === 'waiting' && (dbtCell.run?.step === 'waiting-for-flink' || live.some((l) => l.runDate === date && l.step === 'waiting-for-flink'))) {
    const since = dbtCell.run?.startedAt;
    return {
      state: 'waiting',
      label: `a dbt run waits for it${since ? ` since ${since.slice(11, 16)} UTC` : ''}`,
      detail: [`If the day is complete: roas flink-complete --date ${date}`, ...flinkDetail],
      warn: false,
      rowCount: null,
      completedAt: null,
    };
  } else if (gateFailed) {
    return { state: 'failed', label: 'not reported before the gate deadline', detail: flinkDetail, warn: false, rowCount: null, completedAt: null };
  } else {
    const ended = nowMs >= Date.parse(`${date}T00:00:00Z`) + 24 * 3_600_000;
    const beforeData = firstDay === null || date < firstDay;
    return {
      state: ended && !beforeData ? 'missing' : 'not-due',
      label: !ended ? 'the day has not ended' : beforeData ? 'before the first data this pipeline saw' : 'not reported complete',
      detail: flinkDetail,
      warn: false,
      rowCount: null,
      completedAt: null,
    };
  }
}

/** How long each day's runs took, against the SLA, and how many attempts and runs each needed. */
export function buildDurations(g: Gathering, cal: Calendar): Pick<Dashboard, 'slaMs' | 'durations' | 'attempts'> {
  const { calendar, effectiveRuns, byDay } = cal;
  const toRef = runRefs(g);
  const slaMs = DEFAULT_SLA_MS;
  const durations = calendar.map((d, i) => {
    const dbt = effectiveRuns[i]!.dbt;
    const etl = effectiveRuns[i]!.etl;
    const ref = dbt ? toRef(dbt) : undefined;
    return {
      date: d.date,
      dbtMinutes: ref ? ref.sinceScheduledMs / 60_000 : null,
      dbtRunMinutes: ref ? ref.durationMs / 60_000 : null,
      etlMinutes: etl ? toRef(etl).durationMs / 60_000 : null,
      slaMissed: d.dbt.slaMissed,
      running: dbt?.status === 'running',
    };
  });
  const attempts = calendar.map((d, i) => ({
    date: d.date,
    dbtAttempts: effectiveRuns[i]!.dbt?.attempts ?? 0,
    dbtRuns: byDay.get(d.date)![PIPELINES.dbt.name].filter((r) => r.status !== 'skipped').length,
    etlAttempts: effectiveRuns[i]!.etl?.attempts ?? 0,
    etlRuns: byDay.get(d.date)![PIPELINES.etl.name].filter((r) => r.status !== 'skipped').length,
  }));

  return { slaMs, durations, attempts };
}
