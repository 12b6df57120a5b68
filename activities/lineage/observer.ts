// The run observer that sends OpenLineage events: the pipeline run, each dbt node a step ran, and
// the publish step. Off (no hooks, nothing kept) unless OPENLINEAGE_URL or a file transport is set.
import type pg from 'pg';
import type { Config } from '../../src/platform/config';
import type { Logger } from '../../src/platform/logger';
import type { PipelineMetrics } from '../../src/platform/metrics';
import { createLineageEmitter, type LineageEmitterOptions } from '../../src/platform/openlineage';
import type { RunObserver } from '../observers';
import { readStepManifest } from '../../src/artifacts/manifest';
import { readRunResults } from '../../src/artifacts/run-results';
import { dbtNodeEvents } from './dbt-nodes';
import { pipelineFinished, pipelineStarted, publishEvents, type LineageContext } from './events';
import { datasetHome, producerUri, uuidV5 } from './facets';

export interface LineageSources {
  config: Config;
  /** The orchestrator role's pool: the ledger (a run's trigger) and, without component URLs, the database's address. */
  pool: pg.Pool;
  log: Logger;
  metrics?: PipelineMetrics;
}

export type LineageObserver = RunObserver & { close(): Promise<void> };

export function createLineageObserver(src: LineageSources, emitterOptions: LineageEmitterOptions = {}): LineageObserver {
  const { config, log, metrics } = src;
  const settings = config.lineage;
  if (settings.transport.type === 'off') return { name: 'openlineage', close: async () => {} };
  const emitter = createLineageEmitter(settings.transport, {
    reporter: {
      sent: () => metrics?.lineageEvent('sent'),
      dropped: (reason) => metrics?.lineageEvent('dropped', reason),
      warn: (message, fields) => log.warn(fields, message),
      info: (message, fields) => log.info(fields, message),
    },
    ...emitterOptions,
  });
  const databaseUrl = config.postgres.components?.transform ?? src.pool.options.connectionString ?? config.postgres.url ?? 'postgres://127.0.0.1:5432/marketing_roas';
  const ctx: LineageContext = { producer: producerUri(config.temporal.deployment?.buildId), namespace: settings.namespace, home: datasetHome(databaseUrl) };
  /** Each run's trigger from its start, for its end (else read from the ledger). */
  const triggers = new Map<string, string>();

  const triggerOf = async (workflowId: string, runId: string): Promise<string | undefined> => {
    const known = triggers.get(runId);
    triggers.delete(runId);
    if (known) return known;
    const { rows } = await src.pool.query<{ trigger: string }>('SELECT trigger FROM orchestrator.pipeline_runs WHERE workflow_id = $1 AND run_id = $2', [workflowId, runId]);
    return rows[0]?.trigger;
  };

  return {
    name: 'openlineage',
    runStarted(e) {
      triggers.set(e.runId, e.trigger);
      emitter.emit(pipelineStarted(ctx, e));
    },
    async runFinished(e) {
      const trigger = await triggerOf(e.workflowId, e.runId).catch(() => undefined);
      emitter.emit(pipelineFinished(ctx, e, trigger));
    },
    dbtStepFinished(e) {
      // No run_results.json (dbt stopped before its end): no nodes to tell of.
      const results = readRunResults(e.targetPath)?.nodes ?? [];
      if (!results.length) return;
      for (const event of dbtNodeEvents(ctx, e, results, readStepManifest(e.targetPath))) emitter.emit(event);
    },
    dayPublished(e) {
      const runId = uuidV5(e.runId, `publish/${e.startedAt}`);
      for (const event of publishEvents(ctx, e, runId)) emitter.emit(event);
    },
    close: () => emitter.close(),
  };
}
