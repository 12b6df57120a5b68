// Whether this worker's dbt is kept warm, with which versions of dbt and its parts, and why not
// when it is not: written by the worker when it starts (beside the dbt artifacts), read by the
// dashboard; the same facts are in the worker's start-up log and in /metrics (roas_dbt_warm).
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface DbtWarmInfo {
  warm: boolean;
  /** Steps start from a parse kept in memory. */
  keptParse: boolean;
  /** dbt-core, dbt-adapters, dbt-postgres, dbt-common, Jinja2 (null: not installed; empty: not known). */
  versions: Record<string, string | null>;
  /** Why dbt runs plain, or what of the warm dbt fell back. */
  reasons: string[];
}

export function dbtWarmFile(artifactsDir: string): string {
  return path.join(artifactsDir, 'dbt-warm.json');
}

export function writeDbtWarm(artifactsDir: string, info: DbtWarmInfo, now = new Date()): void {
  const file = dbtWarmFile(artifactsDir);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, JSON.stringify({ ...info, at: now.toISOString() }) + '\n');
  renameSync(`${file}.tmp`, file);
}

export function readDbtWarm(artifactsDir: string): (DbtWarmInfo & { at?: string }) | undefined {
  try {
    const parsed = JSON.parse(readFileSync(dbtWarmFile(artifactsDir), 'utf8')) as Partial<DbtWarmInfo & { at: string }>;
    if (typeof parsed.warm !== 'boolean') return undefined;
    return {
      warm: parsed.warm,
      keptParse: Boolean(parsed.keptParse),
      versions: parsed.versions ?? {},
      reasons: Array.isArray(parsed.reasons) ? parsed.reasons.map(String) : [],
      ...(parsed.at ? { at: parsed.at } : {}),
    };
  } catch {
    return undefined;
  }
}

/** "dbt-core 1.11.16, dbt-adapters 1.24.5, …" */
export function versionsText(versions: Record<string, string | null>): string {
  const entries = Object.entries(versions);
  return entries.length ? entries.map(([name, v]) => `${name} ${v ?? 'not installed'}`).join(', ') : 'versions unknown';
}

/** One line for a person: warm or plain, the versions, and why anything fell back. */
export function describeDbtWarm(info: DbtWarmInfo): string {
  const state = info.warm ? (info.keptParse ? 'dbt kept warm (parse in memory)' : 'dbt kept warm (each step reads the saved parse)') : 'dbt runs plain (a process per step)';
  return `${state}; ${versionsText(info.versions)}${info.reasons.length ? `; ${info.reasons.join('; ')}` : ''}`;
}
