// What dbt's artifacts on this worker's disk tell of each day: the slowest models and tests, and
// data quality (the daily ETL's checks, warn-severity tests, tests that failed).
import path from 'node:path';
import { attemptDirs } from '../../artifacts/artifacts';
import { PIPELINES } from '../../core/pipelines';
import { stepNodes, validationOfDay, warnSeverityTests, type Pipeline } from '../files';
import type { Dashboard, Gathering, LedgerRow, NodeTiming, QualityRow, QualityStatus } from '../types';
import { median, stepOf } from '../util';

const KNOWN_CHECKS = ['row_count', 'duplicate_event_ids', 'invalid_fields', 'late_events', 'flink_marker', 'unknown_campaigns', 'unknown_currencies'];

type NodeDays = { pipeline: Pipeline; nodes: Awaited<ReturnType<typeof stepNodes>> }[][];
type Statuses = { statuses: QualityStatus[]; details: (string | null)[] };

export async function loadNodeResults(g: Gathering, effectiveRuns: { dbt?: LedgerRow; etl?: LedgerRow }[]): Promise<Pick<Dashboard, 'slowest' | 'quality'>> {
  const t3 = Date.now();
  const nodeDays = await readNodeDays(g, effectiveRuns);
  g.timings.artifactsMs = Date.now() - t3;
  const { slowest, testStatus } = timingsOf(g, nodeDays);
  return { slowest, quality: await qualityOf(g, effectiveRuns, testStatus) };
}

/** Each day's nodes, as the artifacts of its effective runs on this worker's disk record them. */
async function readNodeDays(g: Gathering, effectiveRuns: { dbt?: LedgerRow; etl?: LedgerRow }[]): Promise<NodeDays> {
  const { src, dates } = g;
  return Promise.all(
    dates.map(async (date, i) => {
      const out: { pipeline: Pipeline; nodes: Awaited<ReturnType<typeof stepNodes>> }[] = [];
      for (const [pipeline, run] of [
        [PIPELINES.dbt.name, effectiveRuns[i]!.dbt],
        [PIPELINES.etl.name, effectiveRuns[i]!.etl],
      ] as const) {
        if (!run) continue;
        for (const [, s] of stepOf(pipeline, run.summary)) {
          if (typeof s.targetPath !== 'string') continue;
          out.push({ pipeline, nodes: await stepNodes(src.artifactsDir, s.targetPath) });
        }
        // A failed run (and the daily ETL) records no step in its summary: its artifacts are
        // where every run keeps them, <artifacts>/<pipeline>/<date>/<step>/run-<id>/attempt-N
        // (the latest run's), or <step>/attempt-N for runs from before per-run folders.
        if (!stepOf(pipeline, run.summary).length) {
          for (const step of ['build', 'run', 'test']) {
            const latest = attemptDirs(path.join(src.artifactsDir, pipeline, date, step)).at(-1);
            const nodes = latest ? await stepNodes(src.artifactsDir, latest.dir) : undefined;
            if (nodes) out.push({ pipeline, nodes });
          }
        }
      }
      return out;
    }),
  );
}

/** The slowest models and tests of the window, and every test's outcome per day. */
function timingsOf(g: Gathering, nodeDays: NodeDays): { slowest: Dashboard['slowest']; testStatus: Map<string, Statuses> } {
  const { dates, clean } = g;
  const timingsByNode = new Map<string, NodeTiming>();
  const testStatus = new Map<string, { statuses: QualityStatus[]; details: (string | null)[] }>();
  let daysWithResults = 0;
  for (const [i, steps] of nodeDays.entries()) {
    if (steps.some((s) => s.nodes?.length)) daysWithResults++;
    for (const { pipeline, nodes } of steps) {
      for (const n of nodes ?? []) {
        if (n.resourceType === 'model' || n.resourceType === 'test' || n.resourceType === 'seed') {
          if (n.status !== 'skipped') {
            const key = `${n.resourceType}:${n.name}`;
            const t = timingsByNode.get(key) ?? { name: n.name, type: n.resourceType, pipeline, seconds: dates.map(() => null), latest: null, median: 0, max: 0 };
            t.seconds[i] = Math.round(n.executionSeconds * 1000) / 1000;
            timingsByNode.set(key, t);
          }
        }
        if (n.resourceType === 'test') {
          const s = testStatus.get(n.name) ?? { statuses: dates.map(() => null), details: dates.map(() => null) };
          const st: QualityStatus = n.status === 'pass' ? 'pass' : n.status === 'warn' ? 'warn' : n.status === 'fail' || n.status === 'error' ? 'fail' : null;
          if (st) {
            s.statuses[i] = st;
            if (st !== 'pass') s.details[i] = clean(`${n.failures !== null ? `${n.failures} failing rows. ` : ''}${n.message ?? ''}`.trim());
          }
          testStatus.set(n.name, s);
        }
      }
    }
  }
  for (const t of timingsByNode.values()) {
    const xs = t.seconds.filter((x): x is number => x !== null);
    t.latest = [...t.seconds].reverse().find((x) => x !== null) ?? null;
    t.median = median(xs);
    t.max = Math.max(0, ...xs);
  }
  const slowest = (type: string) =>
    [...timingsByNode.values()]
      .filter((t) => (type === 'model' ? t.type === 'model' || t.type === 'seed' : t.type === type))
      .sort((a, b) => b.median - a.median || b.max - a.max || a.name.localeCompare(b.name))
      .slice(0, 8);

  return { slowest: { models: slowest('model'), tests: slowest('test'), daysWithResults }, testStatus };
}

/** Data quality: the daily ETL's checks, the warn-severity tests, and tests that failed on some day. */
async function qualityOf(g: Gathering, effectiveRuns: { dbt?: LedgerRow; etl?: LedgerRow }[], testStatus: Map<string, Statuses>): Promise<QualityRow[]> {
  const { src, dates, clean } = g;
  // ---- data quality ----------------------------------------------------------------------
  const validations = await Promise.all(dates.map((d) => validationOfDay(src.reportsDir, d)));
  const checkNames = [...KNOWN_CHECKS];
  const checkStatus = new Map<string, { statuses: QualityStatus[]; details: (string | null)[] }>();
  for (const name of checkNames) checkStatus.set(name, { statuses: dates.map(() => null), details: dates.map(() => null) });
  for (const [i, runs] of effectiveRuns.entries()) {
    const checks = runs.etl && Array.isArray(runs.etl.summary.checks) ? (runs.etl.summary.checks as unknown[]) : [];
    for (const c of checks) {
      if (typeof c !== 'string') continue;
      const [name = '', status = ''] = c.split(':');
      if (!checkStatus.has(name)) {
        checkNames.push(name);
        checkStatus.set(name, { statuses: dates.map(() => null), details: dates.map(() => null) });
      }
      const s = checkStatus.get(name)!;
      s.statuses[i] = status === 'pass' || status === 'warn' || status === 'fail' ? status : null;
      const v = validations[i]?.find((x) => x.name === name);
      if (v) s.details[i] = clean(`${v.detail} (rule: ${v.threshold})`);
    }
  }
  const warnTests = await warnSeverityTests(src.dbtProjectDir);
  const quality: QualityRow[] = [];
  const count = (xs: QualityStatus[], s: QualityStatus) => xs.filter((x) => x === s).length;
  for (const name of checkNames) {
    const s = checkStatus.get(name)!;
    quality.push({ name, kind: 'check', ...s, warned: count(s.statuses, 'warn'), failed: count(s.statuses, 'fail') });
  }
  for (const name of warnTests) {
    const s = testStatus.get(name) ?? { statuses: dates.map(() => null), details: dates.map(() => null) };
    // Without artifacts on this machine, the ledger still says which warn tests warned on a run that succeeded.
    for (const [i, runs] of effectiveRuns.entries()) {
      if (s.statuses[i] !== null || runs.dbt?.status !== 'succeeded') continue;
      const warned = stepOf(PIPELINES.dbt.name, runs.dbt.summary).some(([, st]) => st.warnings?.includes(name));
      s.statuses[i] = warned ? 'warn' : 'pass';
    }
    quality.push({ name, kind: 'warn test', ...s, warned: count(s.statuses, 'warn'), failed: count(s.statuses, 'fail') });
  }
  addFailedTests(g, effectiveRuns, testStatus, warnTests, quality);
  return quality;
}

function addFailedTests(g: Gathering, effectiveRuns: { dbt?: LedgerRow; etl?: LedgerRow }[], testStatus: Map<string, Statuses>, warnTests: string[], quality: QualityRow[]): void {
  const { dates, clean } = g;
  const count = (xs: QualityStatus[], s: QualityStatus) => xs.filter((x) => x === s).length;
  // Tests that failed on some day of the window (from the artifacts, or the ledger's error).
  const failedTests = new Map<string, { statuses: QualityStatus[]; details: (string | null)[] }>();
  for (const [name, s] of testStatus) if (!warnTests.includes(name) && s.statuses.includes('fail')) failedTests.set(name, s);
  for (const [i, runs] of effectiveRuns.entries()) {
    for (const run of [runs.dbt, runs.etl]) {
      if (run?.error_type !== 'DbtTestFailure' || !run.error) continue;
      const m = /dbt test failed: (.*)$/m.exec(run.error);
      for (const part of m?.[1]?.split(/,\s*(?=[\w.]+ \()/) ?? []) {
        const name = part.replace(/\s*\(.*\)\s*$/, '').trim();
        if (!name || warnTests.includes(name)) continue;
        const s = failedTests.get(name) ?? testStatus.get(name) ?? { statuses: dates.map(() => null), details: dates.map(() => null) };
        if (s.statuses[i] !== 'fail') {
          s.statuses[i] = 'fail';
          s.details[i] = clean(part);
        }
        failedTests.set(name, s);
      }
    }
  }
  for (const [name, s] of [...failedTests].sort((a, b) => a[0].localeCompare(b[0]))) {
    quality.push({ name, kind: 'failed test', ...s, warned: count(s.statuses, 'warn'), failed: count(s.statuses, 'fail') });
  }

}
