// What the dashboard reads from the worker's disk, read-only and confined to its own folders:
// dbt's run_results.json of each step and attempt (per-node timings and test outcomes, which the
// ledger does not keep), the report folder of a day (validation.csv, index.html), the tail of
// dbt.log, and which singular tests of the dbt project have severity warn. Parsed files are
// cached by path, modification time and size, so a refresh every few seconds reads only stat().
import { readdir, readFile, stat, open } from 'node:fs/promises';
import path from 'node:path';
import { attemptDirs } from '../artifacts/artifacts';
import { parseRunResults, type DbtNodeResult } from '../artifacts/run-results';
import { PIPELINE_NAMES, type PipelineName } from '../core/pipelines';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
export type Pipeline = PipelineName;

/** `child` resolved, if it lies inside `root` (no `..` or absolute path escapes it). */
export function inside(root: string, child: string): string | undefined {
  const r = path.resolve(root);
  const c = path.resolve(r, child);
  return c === r || c.startsWith(r + path.sep) ? c : undefined;
}

interface Cached<T> {
  mtimeMs: number;
  size: number;
  value: T;
}

/** A small cache of parsed files; forgets everything when it grows past `max` entries. */
class FileCache<T> {
  private readonly entries = new Map<string, Cached<T>>();
  constructor(
    private readonly parse: (text: string) => T,
    private readonly max = 400,
  ) {}

  async get(file: string): Promise<T | undefined> {
    const s = await stat(file).catch(() => undefined);
    if (!s?.isFile()) return undefined;
    const hit = this.entries.get(file);
    if (hit && hit.mtimeMs === s.mtimeMs && hit.size === s.size) return hit.value;
    let value: T;
    try {
      value = this.parse(await readFile(file, 'utf8'));
    } catch {
      return undefined;
    }
    if (this.entries.size >= this.max) this.entries.clear();
    this.entries.set(file, { mtimeMs: s.mtimeMs, size: s.size, value });
    return value;
  }
}

const runResultsCache = new FileCache((text) => parseRunResults(text).nodes);

/**
 * Every node of a dbt step as it last ran, over all attempts of the step (a retry re-runs only
 * what failed or was skipped, so a node that passed on attempt 1 keeps attempt 1's result).
 * `targetPath` is the step's attempt folder as the ledger records it; nothing is read from
 * outside `artifactsDir`.
 */
export async function stepNodes(artifactsDir: string, targetPath: string): Promise<DbtNodeResult[] | undefined> {
  const target = inside(artifactsDir, targetPath);
  if (!target) return undefined;
  // The run's folder (run-<id>/attempt-N), or the step's for runs from before per-run folders.
  const stepDir = path.dirname(target);
  const attempts = (await readdir(stepDir).catch(() => [] as string[]))
    .filter((d) => /^attempt-\d+$/.test(d))
    .sort((a, b) => Number(a.slice(8)) - Number(b.slice(8)));
  if (!attempts.length) return undefined;
  const merged = new Map<string, DbtNodeResult>();
  let found = false;
  for (const attempt of attempts) {
    const nodes = await runResultsCache.get(path.join(stepDir, attempt, 'run_results.json'));
    if (!nodes) continue;
    found = true;
    for (const n of nodes) merged.set(n.uniqueId, n);
  }
  return found ? [...merged.values()] : undefined;
}

export interface ValidationRow {
  name: string;
  status: string;
  value: string;
  threshold: string;
  detail: string;
}

/** CSV as the report writes it (RFC 4180 quoting). */
export function parseCsv(text: string): Record<string, string>[] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else if (c !== '\r') cell += c;
  }
  if (cell || row.length) rows.push([...row, cell]);
  const [header, ...body] = rows;
  if (!header) return [];
  return body.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])));
}

const validationCache = new FileCache((text) => parseCsv(text) as unknown as ValidationRow[]);

/** The day's validation checks with their values and details, as its report folder keeps them. */
export async function validationOfDay(reportsDir: string, runDate: string): Promise<ValidationRow[] | undefined> {
  if (!DATE.test(runDate)) return undefined;
  return validationCache.get(path.join(reportsDir, runDate, 'validation.csv'));
}

/** Whether the day has a report to link to. */
export async function hasReport(reportsDir: string, runDate: string): Promise<boolean> {
  if (!DATE.test(runDate)) return false;
  return (await stat(path.join(reportsDir, runDate, 'index.html')).catch(() => undefined))?.isFile() ?? false;
}

/** A file of a day's report folder: index.html or one of its CSV files; nothing else. */
export function reportFile(reportsDir: string, runDate: string, name: string): string | undefined {
  if (!DATE.test(runDate) || !/^(index\.html|[a-z0-9_]+\.csv)$/.test(name)) return undefined;
  return inside(reportsDir, path.join(runDate, name));
}

let warnTests: { dir: string; at: number; names: string[] } | undefined;

/** The singular tests of the dbt project whose severity is warn (re-read at most once a minute). */
export async function warnSeverityTests(projectDir: string): Promise<string[]> {
  if (warnTests && warnTests.dir === projectDir && Date.now() - warnTests.at < 60_000) return warnTests.names;
  const names: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(p);
      else if (entry.name.endsWith('.sql') && /severity\s*=\s*['"]warn['"]/.test(await readFile(p, 'utf8').catch(() => ''))) {
        names.push(entry.name.slice(0, -4));
      }
    }
  };
  await walk(path.join(projectDir, 'tests'));
  names.sort();
  warnTests = { dir: projectDir, at: Date.now(), names };
  return names;
}

export interface LogTail {
  step: string;
  attempt: string;
  /** The log's path relative to the artifacts folder. */
  file: string;
  lines: string[];
  truncated: boolean;
}

/** The end of dbt.log of every step and attempt of a run date (at most 256 KiB and `maxLines` lines each). */
export async function dbtLogTails(artifactsDir: string, pipeline: Pipeline, runDate: string, maxLines = 300): Promise<LogTail[]> {
  if (!DATE.test(runDate) || !PIPELINE_NAMES.includes(pipeline)) return [];
  const root = path.join(artifactsDir, pipeline, runDate);
  const out: LogTail[] = [];
  for (const step of ['build', 'run', 'test']) {
    // Every run's attempts (run-<id>/attempt-N, and attempt-N of runs from before), the last 10.
    const attempts = attemptDirs(path.join(root, step))
      .slice(-10)
      .map((a) => path.relative(path.join(root, step), a.dir));
    for (const attempt of attempts) {
      const file = path.join(root, step, attempt, 'logs', 'dbt.log');
      const s = await stat(file).catch(() => undefined);
      if (!s?.isFile()) continue;
      const limit = 256 * 1024;
      const handle = await open(file, 'r');
      try {
        const length = Math.min(limit, s.size);
        const buffer = Buffer.alloc(length);
        await handle.read(buffer, 0, length, s.size - length);
        let lines = buffer.toString('utf8').split('\n');
        if (s.size > limit) lines = lines.slice(1);
        const truncated = s.size > limit || lines.length > maxLines;
        out.push({ step, attempt, file: path.relative(artifactsDir, file), lines: lines.slice(-maxLines), truncated });
      } finally {
        await handle.close();
      }
    }
  }
  return out;
}
