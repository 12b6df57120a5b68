// The observers of this worker's runs (see activities/observers.ts): each one built from the
// configuration, in the order they are told.
import type { WebClient } from '@slack/web-api';
import type pg from 'pg';
import { createAlertActivities } from '../../activities/alerts';
import type { RunObserver } from '../../activities/observers';
import { createLineageObserver } from '../../activities/lineage/observer';
import { createModelRecord } from '../../activities/record/observer';
import type { Config } from '../platform/config';
import type { Logger } from '../platform/logger';
import type { PipelineMetrics } from '../platform/metrics';

export interface ObserverSources {
  config: Config;
  /** The orchestrator role's pool. */
  pool: pg.Pool;
  log: Logger;
  metrics?: PipelineMetrics;
  /** Where alerts go (undefined: logged and kept in orchestrator.alerts only). */
  slack?: WebClient;
}

export interface WorkerObservers {
  observers: RunObserver[];
  /** Stops what the observers keep running (queues, timers); waits a moment for what is in flight. */
  close: () => Promise<void>;
}

export function runObservers(sources: ObserverSources): WorkerObservers {
  const { config, pool, log, metrics } = sources;
  const alerts = createAlertActivities({ pool, slack: sources.slack, channel: config.slack.channel, log, metrics });
  const record = createModelRecord({ pool, log, artifactsDir: config.dbt.artifactsDir, freshness: config.freshness, sendAlert: (alert) => alerts.sendAlert(alert) });
  // The record first (a database write); lineage only queues its events.
  const lineage = createLineageObserver(sources);
  const observers: RunObserver[] = [record.observer, lineage];
  const closers = [record.close, () => lineage.close()];
  return { observers, close: async () => void (await Promise.all(closers.map((c) => c()))) };
}
