// What the per-model record needs from dbt's manifest.json (read by src/artifacts/manifest.ts):
// for each node, the model a test is attached to, what it reads, what it writes, and the
// freshness promise its YAML declares.
import { newestManifestFile, readManifest, type DbtManifest, type ManifestNode as RawManifestNode } from '../../src/artifacts/manifest';
import { parsePromise, type FreshnessPromise } from './promise';

export interface RecordNode {
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

/**
 * The record's view of a manifest's nodes, by unique_id; undefined when there is none. Kept per
 * parsed manifest, so a step's record and the freshness check map it once.
 */
export function recordNodes(manifest: DbtManifest | undefined): Map<string, RecordNode> | undefined {
  if (!manifest) return undefined;
  let nodes = mapped.get(manifest);
  if (!nodes) {
    nodes = new Map(Object.values(manifest.nodes).map((n) => [n.unique_id, recordNode(n)]));
    mapped.set(manifest, nodes);
  }
  return nodes;
}
const mapped = new WeakMap<DbtManifest, Map<string, RecordNode>>();

function recordNode(n: RawManifestNode): RecordNode {
  const dependsOn = n.depends_on?.nodes ?? [];
  const isTest = n.resource_type === 'test' || n.resource_type === 'unit_test';
  // A generic test names its model; a singular test is attached to the one model it reads, if one.
  const models = dependsOn.filter((d) => d.startsWith('model.') || d.startsWith('seed.'));
  const attachedTo = isTest ? (n.attached_node ?? (models.length === 1 ? models[0]! : null)) : null;
  const node: RecordNode = {
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

/** The project as the latest dbt step under the artifacts folder saw it. */
export function newestManifest(artifactsDir: string): Map<string, RecordNode> | undefined {
  const file = newestManifestFile(artifactsDir);
  return file ? recordNodes(readManifest(file)) : undefined;
}
