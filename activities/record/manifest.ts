// What the per-model record needs from dbt's manifest.json: for each node, the model a test is
// attached to, what it reads, what it writes, and the freshness promise its YAML declares.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parsePromise, type FreshnessPromise } from './promise';

export interface ManifestNode {
  uniqueId: string;
  name: string;
  resourceType: string;
  /** A test: the model (unique_id) it tests; else null. */
  attachedTo: string | null;
  /** unique_ids of the models, seeds and sources it reads. */
  dependsOn: string[];
  /** schema.table of a model or seed; null for a test. */
  relation: string | null;
  tags: string[];
  /** meta.freshness in its YAML, when declared (an invalid one is reported in `promiseError`). */
  promise?: FreshnessPromise;
  promiseError?: string;
}

interface RawNode {
  unique_id: string;
  name: string;
  resource_type: string;
  schema?: string;
  alias?: string;
  tags?: string[];
  attached_node?: string | null;
  depends_on?: { nodes?: string[] };
  meta?: Record<string, unknown>;
  config?: { meta?: Record<string, unknown> };
}

/** The nodes of a manifest.json, by unique_id; undefined when there is none (dbt stopped before writing it). */
export function readManifest(file: string): Map<string, ManifestNode> | undefined {
  if (!existsSync(file)) return undefined;
  let raw: { nodes?: Record<string, RawNode> };
  try {
    raw = JSON.parse(readFileSync(file, 'utf8')) as typeof raw;
  } catch {
    return undefined;
  }
  const nodes = new Map<string, ManifestNode>();
  for (const n of Object.values(raw.nodes ?? {})) nodes.set(n.unique_id, manifestNode(n));
  return nodes;
}

function manifestNode(n: RawNode): ManifestNode {
  const dependsOn = n.depends_on?.nodes ?? [];
  const isTest = n.resource_type === 'test' || n.resource_type === 'unit_test';
  // A generic test names its model; a singular test is attached to the one model it reads, if one.
  const models = dependsOn.filter((d) => d.startsWith('model.') || d.startsWith('seed.'));
  const attachedTo = isTest ? (n.attached_node ?? (models.length === 1 ? models[0]! : null)) : null;
  const node: ManifestNode = {
    uniqueId: n.unique_id,
    name: n.name,
    resourceType: n.resource_type,
    attachedTo,
    dependsOn,
    relation: !isTest && n.schema ? `${n.schema}.${n.alias ?? n.name}` : null,
    tags: n.tags ?? [],
  };
  const declared = (n.config?.meta ?? n.meta ?? {}).freshness;
  if (declared !== undefined) {
    const parsed = parsePromise(declared);
    if (typeof parsed === 'string') node.promiseError = `${n.unique_id}: meta.freshness ${parsed}`;
    else node.promise = parsed;
  }
  return node;
}

/**
 * The newest manifest.json under the artifacts folder (<pipeline>/<date>/<step>/<run>/<attempt>/),
 * i.e. the project as the latest dbt step saw it; cached while that file is unchanged.
 */
export function newestManifest(artifactsDir: string): Map<string, ManifestNode> | undefined {
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
  if (!best) return undefined;
  if (cache?.file === best.file && cache.mtimeMs === best.mtimeMs) return cache.nodes;
  const nodes = readManifest(best.file);
  if (nodes) cache = { ...best, nodes };
  return nodes;
}

let cache: { file: string; mtimeMs: number; nodes: Map<string, ManifestNode> } | undefined;
