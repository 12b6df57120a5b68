// The OpenLineage events of a pipeline run and of its publish step, built from what the run
// observers are told. Pure: the observer (observer.ts) sends what these return.
import type { DayPublished, RunFinished, RunRef, RunStarted } from '../observers';
import { datasetName, errorFacet, facet, nominalDay, RUN_EVENT_SCHEMA, type DatasetHome, type Facet } from './facets';

export type EventType = 'START' | 'COMPLETE' | 'FAIL' | 'ABORT';

export interface LineageDataset {
  namespace: string;
  name: string;
  facets?: Record<string, Facet>;
}

export interface LineageEvent {
  eventType: EventType;
  eventTime: string;
  producer: string;
  schemaURL: string;
  run: { runId: string; facets: Record<string, Facet> };
  job: { namespace: string; name: string; facets: Record<string, Facet> };
  inputs: LineageDataset[];
  outputs: LineageDataset[];
}

/** What every event of this worker shares. */
export interface LineageContext {
  producer: string;
  /** The jobs' namespace (OPENLINEAGE_NAMESPACE). */
  namespace: string;
  home: DatasetHome;
}

export function runEvent(ctx: LineageContext, e: Omit<LineageEvent, 'producer' | 'schemaURL' | 'inputs' | 'outputs'> & Partial<Pick<LineageEvent, 'inputs' | 'outputs'>>): LineageEvent {
  return { eventType: e.eventType, eventTime: e.eventTime, producer: ctx.producer, schemaURL: RUN_EVENT_SCHEMA, run: e.run, job: e.job, inputs: e.inputs ?? [], outputs: e.outputs ?? [] };
}

/** The parent facet of a step's runs: the pipeline's job and its Temporal run. */
export function parentFacet(ctx: LineageContext, ref: RunRef): Facet {
  return facet(ctx.producer, 'parent', { run: { runId: ref.runId }, job: { namespace: ctx.namespace, name: ref.pipeline } });
}

function jobType(ctx: LineageContext, integration: string, type: string): Facet {
  return facet(ctx.producer, 'jobType', { processingType: 'BATCH', integration, jobType: type });
}

/** The pipeline run's START: job = the pipeline, run ID = the Temporal run ID. */
export function pipelineStarted(ctx: LineageContext, e: RunStarted): LineageEvent {
  return runEvent(ctx, {
    eventType: 'START',
    eventTime: e.at,
    run: {
      runId: e.runId,
      facets: {
        nominalTime: nominalDay(ctx.producer, e.runDate),
        roas_run: facet(ctx.producer, 'roas_run', { trigger: e.trigger, workflowId: e.workflowId, runDate: e.runDate }),
      },
    },
    job: { namespace: ctx.namespace, name: e.pipeline, facets: { jobType: jobType(ctx, 'TEMPORAL', 'WORKFLOW') } },
  });
}

const FINAL: Record<RunFinished['status'], EventType> = { succeeded: 'COMPLETE', failed: 'FAIL', cancelled: 'ABORT' };

/** The pipeline run's end: COMPLETE, FAIL (with its error) or ABORT (cancelled). */
export function pipelineFinished(ctx: LineageContext, e: RunFinished, trigger: string | undefined): LineageEvent {
  const facets: Record<string, Facet> = { nominalTime: nominalDay(ctx.producer, e.runDate) };
  if (trigger) facets.roas_run = facet(ctx.producer, 'roas_run', { trigger, workflowId: e.workflowId, runDate: e.runDate });
  if (e.status !== 'succeeded' && e.error) facets.errorMessage = errorFacet(ctx.producer, e.errorType ? `${e.errorType}: ${e.error}` : e.error, 'TypeScript');
  return runEvent(ctx, {
    eventType: FINAL[e.status],
    eventTime: e.at,
    run: { runId: e.runId, facets },
    job: { namespace: ctx.namespace, name: e.pipeline, facets: { jobType: jobType(ctx, 'TEMPORAL', 'WORKFLOW') } },
  });
}

/**
 * The publish step as its own job, `<pipeline>.publish`: its START and its COMPLETE or FAIL, one
 * run per publish (a name-based run ID under the pipeline's run). Its inputs are the audited
 * tables, its outputs the published ones; the day is the nominal time and the roas_publish facet.
 */
export function publishEvents(ctx: LineageContext, e: DayPublished, runId: string): LineageEvent[] {
  const models = e.models.map((m) => {
    const [schema, table] = m.includes('.') ? (m.split('.', 2) as [string, string]) : ['analytics', m];
    return { schema, table };
  });
  const job = { namespace: ctx.namespace, name: `${e.pipeline}.publish`, facets: { jobType: jobType(ctx, 'TEMPORAL', 'TASK') } };
  const base = { parent: parentFacet(ctx, e), nominalTime: nominalDay(ctx.producer, e.runDate) };
  const inputs = models.map((m) => ({ namespace: ctx.home.namespace, name: datasetName(ctx.home, 'analytics_audit', m.table) }));
  const outputs = models.map((m) => ({ namespace: ctx.home.namespace, name: datasetName(ctx.home, m.schema, m.table) }));
  const endFacets: Record<string, Facet> = {
    ...base,
    roas_publish: facet(ctx.producer, 'roas_publish', { runDate: e.runDate, models: e.models, replaced: e.replaced }),
  };
  if (e.outcome === 'failure') endFacets.errorMessage = errorFacet(ctx.producer, e.error ?? 'publishing failed', 'TypeScript');
  return [
    runEvent(ctx, { eventType: 'START', eventTime: e.startedAt, run: { runId, facets: base }, job }),
    runEvent(ctx, { eventType: e.outcome === 'success' ? 'COMPLETE' : 'FAIL', eventTime: e.at, run: { runId, facets: endFacets }, job, inputs, outputs }),
  ];
}
