// Where each run keeps its dbt artifacts, and how old ones go:
//   <artifactsDir>/<pipeline>/<date>/<step>/run-<run id>/attempt-<n>/  (run_results.json, logs/dbt.log, …)
// Runs from before per-run folders have <step>/attempt-<n>/ directly; both are read.
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';

export interface AttemptDir {
  /** The run's folder name (run-<id>), or undefined for the older layout. */
  run: string | undefined;
  attempt: number;
  dir: string;
}

const ATTEMPT = /^attempt-(\d+)$/;

/** Every attempt folder of a step of a date: older-layout ones first, then run by run (oldest first), attempts in order. */
export function attemptDirs(stepDir: string): AttemptDir[] {
  if (!existsSync(stepDir)) return [];
  const out: AttemptDir[] = [];
  const entries = readdirSync(stepDir).sort();
  for (const name of entries) {
    const m = ATTEMPT.exec(name);
    if (m) out.push({ run: undefined, attempt: Number(m[1]), dir: path.join(stepDir, name) });
  }
  for (const name of entries) {
    if (!name.startsWith('run-')) continue;
    const runDir = path.join(stepDir, name);
    const attempts = readdirSync(runDir)
      .map((a) => ATTEMPT.exec(a))
      .filter((m): m is RegExpExecArray => m !== null)
      .sort((a, b) => Number(a[1]) - Number(b[1]));
    for (const m of attempts) out.push({ run: name, attempt: Number(m[1]), dir: path.join(runDir, m[0]) });
  }
  return out.sort((a, b) => (a.run === b.run ? a.attempt - b.attempt : a.run === undefined ? -1 : b.run === undefined ? 1 : a.run < b.run ? -1 : 1));
}

/**
 * Removes the artifacts of runs older than `keepDays` (by when they were last written), and
 * the folders left empty. Returns how many run (or older-layout attempt) folders went.
 */
export function pruneArtifacts(artifactsDir: string, keepDays: number, nowMs = Date.now()): number {
  const cutoff = nowMs - keepDays * 86_400_000;
  let removed = 0;
  const dirs = (p: string) => (existsSync(p) ? readdirSync(p).filter((n) => statSync(path.join(p, n)).isDirectory()) : []);
  for (const pipeline of dirs(artifactsDir)) {
    const pipelineDir = path.join(artifactsDir, pipeline);
    for (const date of dirs(pipelineDir).filter((d) => /^\d{4}-\d{2}-\d{2}$/.test(d))) {
      const dateDir = path.join(pipelineDir, date);
      for (const step of dirs(dateDir)) {
        const stepDir = path.join(dateDir, step);
        for (const name of dirs(stepDir).filter((n) => n.startsWith('run-') || ATTEMPT.test(n))) {
          const full = path.join(stepDir, name);
          if (newestWrite(full) < cutoff) {
            rmSync(full, { recursive: true, force: true });
            removed++;
          }
        }
        if (!readdirSync(stepDir).length) rmSync(stepDir, { recursive: true, force: true });
      }
      if (!readdirSync(dateDir).length) rmSync(dateDir, { recursive: true, force: true });
    }
  }
  return removed;
}

/** The latest modification time of a folder and what is in it. */
function newestWrite(p: string): number {
  const s = statSync(p);
  if (!s.isDirectory()) return s.mtimeMs;
  let newest = s.mtimeMs;
  for (const name of readdirSync(p)) newest = Math.max(newest, newestWrite(path.join(p, name)));
  return newest;
}
