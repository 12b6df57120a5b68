// Reads what the lineage events of a dbt step need from its artifacts: run_results.json and the
// manifest.json dbt writes beside it (a warm dbt started from a kept parse writes it too).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ManifestLite, RawNodeResult } from './dbt-nodes';

export interface StepArtifacts {
  results: RawNodeResult[];
  manifest: ManifestLite | undefined;
}

function readJson<T>(file: string): T | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    // Cut short (dbt stopped while writing it): as if not written.
    return undefined;
  }
}

/**
 * The node results of one step attempt, and the manifest it ran with: its own, else the newest
 * of an earlier attempt of the same step (same run, same project). No run_results.json (dbt
 * stopped before its end): no nodes.
 */
export function readStepArtifacts(targetPath: string): StepArtifacts {
  const results = readJson<{ results?: RawNodeResult[] }>(path.join(targetPath, 'run_results.json'))?.results ?? [];
  if (!results.length) return { results, manifest: undefined };
  let manifest = readJson<ManifestLite>(path.join(targetPath, 'manifest.json'));
  if (!manifest) {
    const stepDir = path.dirname(targetPath);
    const earlier = existsSync(stepDir) ? readdirSync(stepDir).filter((d) => /^attempt-\d+$/.test(d)).sort((a, b) => Number(b.slice(8)) - Number(a.slice(8))) : [];
    for (const dir of earlier) {
      manifest = readJson<ManifestLite>(path.join(stepDir, dir, 'manifest.json'));
      if (manifest) break;
    }
  }
  return { results, manifest: manifest?.nodes && manifest.sources ? manifest : undefined };
}
