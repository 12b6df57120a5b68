// The OpenLineage events of the dbt nodes one step attempt ran, from its run_results.json and its
// manifest.json. Each model or seed that ran is a job `<pipeline>.<name>` with a START (at the
// node's start) and a COMPLETE or FAIL, under the pipeline's run; its tests are folded into the
// assertions of what it wrote. Pure: src/artifacts reads the files.
import type { DbtManifest, ManifestNode } from '../../src/artifacts/manifest';
import { FAILED_STATUSES, type DbtNodeResult } from '../../src/artifacts/run-results';
import type { DbtStepFinished } from '../observers';
import { parentFacet, runEvent, type LineageContext, type LineageDataset, type LineageEvent } from './events';
import { datasetName, errorFacet, facet, nominalDay, uuidV5, type Facet } from './facets';

/** One test's result, as the dataQualityAssertions facet lists it. */
export interface Assertion {
  assertion: string;
  name: string;
  success: boolean;
  column?: string;
  severity?: string;
}

/** Nodes that write a table, each its own job. */
const WRITERS = new Set(['model', 'seed', 'snapshot']);
/** A node that did not run has no run to tell of. */
const NOT_RUN = new Set(['skipped', 'no-op']);
/** Where dbt writes a model of a dated step until the day is published (write-audit-publish). */
export const AUDIT_SCHEMA = 'analytics_audit';

export function dbtNodeEvents(ctx: LineageContext, step: DbtStepFinished, results: DbtNodeResult[], manifest: DbtManifest | undefined): LineageEvent[] {
  const ran = results.filter((r) => WRITERS.has(r.resourceType) && !NOT_RUN.has(r.status));
  const assertions = testAssertions(results, manifest, new Set(ran.map((r) => r.uniqueId)));
  return ran.flatMap((r) => nodeEvents(ctx, step, r, manifest, assertions.get(r.uniqueId) ?? []));
}

function nodeEvents(ctx: LineageContext, step: DbtStepFinished, r: DbtNodeResult, manifest: DbtManifest | undefined, assertions: Assertion[]): LineageEvent[] {
  const node = manifest?.nodes[r.uniqueId];
  const kind = r.resourceType;
  const name = node?.name ?? r.uniqueId.split('.').slice(2).join('.');
  const runId = uuidV5(step.runId, `${step.step}/attempt-${step.attempt}/${r.uniqueId}`);
  const startedAt = r.startedAt ?? step.at;
  const endedAt = r.finishedAt ?? step.at;
  const failed = FAILED_STATUSES.has(r.status);

  const jobFacets: Record<string, Facet> = { jobType: facet(ctx.producer, 'jobType', { processingType: 'BATCH', integration: 'DBT', jobType: kind.toUpperCase() }) };
  if (r.compiledCode) jobFacets.sql = facet(ctx.producer, 'sql', { query: r.compiledCode, dialect: 'postgres' });
  const job = { namespace: ctx.namespace, name: `${step.pipeline}.${name}`, facets: jobFacets };
  const runFacets: Record<string, Facet> = { parent: parentFacet(ctx, step), nominalTime: nominalDay(ctx.producer, step.runDate) };

  const output: LineageDataset = { namespace: ctx.home.namespace, name: datasetName(ctx.home, ...outputTable(r.uniqueId, node)) };
  const outFacets: Record<string, Facet> = {};
  const fields = Object.values(node?.columns ?? {}).map((c) => ({ name: c.name, ...(c.data_type ? { type: c.data_type } : {}), ...(c.description ? { description: c.description } : {}) }));
  if (fields.length) outFacets.schema = facet(ctx.producer, 'schema', { fields });
  if (assertions.length) outFacets.dataQualityAssertions = facet(ctx.producer, 'dataQualityAssertions', { assertions });
  if (Object.keys(outFacets).length) output.facets = outFacets;
  const inputs = (node?.depends_on?.nodes ?? []).flatMap((id) => {
    const table = inputTable(id, node!, manifest!);
    return table ? [{ namespace: ctx.home.namespace, name: datasetName(ctx.home, ...table) }] : [];
  });

  const endFacets = failed ? { ...runFacets, errorMessage: errorFacet(ctx.producer, r.message ?? `dbt ${kind} ${name} failed (${r.status})`) } : runFacets;
  return [
    runEvent(ctx, { eventType: 'START', eventTime: startedAt, run: { runId, facets: runFacets }, job, inputs, outputs: [output] }),
    runEvent(ctx, { eventType: failed ? 'FAIL' : 'COMPLETE', eventTime: endedAt, run: { runId, facets: endFacets }, job, inputs, outputs: [output] }),
  ];
}

function kindOf(uniqueId: string): string {
  return uniqueId.split('.', 1)[0] ?? 'unknown';
}

/** What a node writes: a dated model into the audit schema (published later, see publishEvents), anything else where dbt puts it. */
function outputTable(uniqueId: string, node: ManifestNode | undefined): [string, string] {
  if (!node) return [kindOf(uniqueId) === 'model' ? AUDIT_SCHEMA : 'analytics', uniqueId.split('.').slice(2).join('.')];
  const table = node.alias ?? node.name;
  return node.config?.materialized === 'audited_day' ? [AUDIT_SCHEMA, table] : [node.schema, table];
}

/**
 * What a node reads from one of its parents: a dated model of the same step in the audit schema
 * (the project's ref() reads the day just built there), any other model or seed where it is
 * published, a source as named in its schema.
 */
function inputTable(parentId: string, node: ManifestNode, manifest: DbtManifest): [string, string] | undefined {
  const source = manifest.sources[parentId];
  if (source) return [source.schema, source.identifier ?? source.name];
  const parent = manifest.nodes[parentId];
  if (!parent) return undefined;
  const table = parent.alias ?? parent.name;
  const sameStep = (parent.tags ?? []).some((t) => (node.tags ?? []).includes(t));
  return parent.config?.materialized === 'audited_day' && sameStep ? [AUDIT_SCHEMA, table] : [parent.schema, table];
}

/** Each ran node's assertions: the tests of this step that read it (a test reading two models counts for both). */
function testAssertions(results: DbtNodeResult[], manifest: DbtManifest | undefined, ran: Set<string>): Map<string, Assertion[]> {
  const byNode = new Map<string, Assertion[]>();
  if (!manifest) return byNode;
  for (const r of results) {
    const test = manifest.nodes[r.uniqueId];
    if (!test || test.resource_type !== 'test' || NOT_RUN.has(r.status)) continue;
    const targets = test.attached_node ? [test.attached_node] : (test.depends_on?.nodes ?? []).filter((id) => WRITERS.has(kindOf(id)));
    const assertion: Assertion = {
      assertion: test.test_metadata?.name ?? test.name,
      name: test.name,
      // Whether the test found rows, whatever its severity (the spec's meaning): a warning is not a success.
      success: r.status === 'pass',
      ...(test.column_name ? { column: test.column_name } : {}),
      ...(test.config?.severity ? { severity: test.config.severity.toLowerCase() } : {}),
    };
    for (const id of new Set(targets)) if (ran.has(id)) byNode.set(id, [...(byNode.get(id) ?? []), assertion]);
  }
  return byNode;
}
