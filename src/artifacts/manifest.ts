// manifest.json, typed as far as this project reads it: the per-model record (what a node reads
// and writes, the model a test is attached to, the freshness promise in its YAML) and the
// lineage events (schemas, columns, the tests' kinds) read the same file through here. A step's
// manifest is parsed once, whoever asks first: the parse is kept while the file is unchanged.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export interface ManifestNode {
  unique_id: string;
  name: string;
  resource_type: string;
  schema: string;
  alias?: string | null;
  identifier?: string | null;
  tags?: string[];
  meta?: Record<string, unknown>;
  config?: { materialized?: string; severity?: string; meta?: Record<string, unknown> };
  depends_on?: { nodes?: string[] };
  columns?: Record<string, { name: string; data_type?: string | null; description?: string | null }>;
  /** A generic test: the model it tests. */
  attached_node?: string | null;
  column_name?: string | null;
  test_metadata?: { name: string } | null;
}

export interface DbtManifest {
  nodes: Record<string, ManifestNode>;
  sources: Record<string, ManifestNode>;
}

/** The last few manifests parsed, by file, while their size and modification time hold. */
const parsed = new Map<string, { mtimeMs: number; size: number; manifest: DbtManifest }>();
const KEPT = 4;

/** A manifest.json; undefined when there is none or it is not whole (dbt stopped while writing it). */
export function readManifest(file: string): DbtManifest | undefined {
  const stat = statSync(file, { throwIfNoEntry: false });
  if (!stat) return undefined;
  const kept = parsed.get(file);
  if (kept && kept.mtimeMs === stat.mtimeMs && kept.size === stat.size) return kept.manifest;
  let raw: Partial<DbtManifest>;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8')) as Partial<DbtManifest>;
  } catch {
    return undefined;
  }
  if (!raw || typeof raw.nodes !== 'object' || typeof raw.sources !== 'object') return undefined;
  const manifest = { nodes: raw.nodes, sources: raw.sources };
  parsed.delete(file);
  parsed.set(file, { mtimeMs: stat.mtimeMs, size: stat.size, manifest });
  while (parsed.size > KEPT) parsed.delete(parsed.keys().next().value!);
  return manifest;
}

/**
 * The manifest a step attempt ran with: its own (a warm dbt started from a kept parse writes one
 * too), else the newest of an earlier attempt of the same step (same run, same project).
 */
export function readStepManifest(targetPath: string): DbtManifest | undefined {
  const own = readManifest(path.join(targetPath, 'manifest.json'));
  if (own) return own;
  const stepDir = path.dirname(targetPath);
  const earlier = existsSync(stepDir) ? readdirSync(stepDir).filter((d) => /^attempt-\d+$/.test(d)) : [];
  for (const dir of earlier.sort((a, b) => Number(b.slice(8)) - Number(a.slice(8)))) {
    const manifest = readManifest(path.join(stepDir, dir, 'manifest.json'));
    if (manifest) return manifest;
  }
  return undefined;
}

/**
 * The newest manifest.json under an artifacts folder (<pipeline>/<date>/<step>/<run>/<attempt>/):
 * the project as the latest dbt step saw it.
 */
export function newestManifestFile(artifactsDir: string): string | undefined {
  let best: { file: string; mtimeMs: number } | undefined;
  const walk = (dir: string, depth: number) => {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of entries) {
      const full = path.join(dir, name);
      if (depth === 0) {
        if (name !== 'manifest.json') continue;
        const mtimeMs = statSync(full, { throwIfNoEntry: false })?.mtimeMs ?? 0;
        if (!best || mtimeMs > best.mtimeMs) best = { file: full, mtimeMs };
      } else if (!name.includes('.')) {
        walk(full, depth - 1);
      }
    }
  };
  walk(artifactsDir, 5);
  return best?.file;
}
