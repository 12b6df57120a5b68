// The observers of this worker's runs (see activities/observers.ts): each one built from the
// configuration, in the order they are told.
import type pg from 'pg';
import type { RunObserver } from '../../activities/observers';
import { createLineageObserver } from '../../activities/lineage/observer';
import type { Config } from '../platform/config';
import type { Logger } from '../platform/logger';
import type { PipelineMetrics } from '../platform/metrics';

export interface ObserverSources {
  config: Config;
  /** The orchestrator role's pool. */
  pool: pg.Pool;
  log: Logger;
  metrics?: PipelineMetrics;
}

export interface WorkerObservers {
  observers: RunObserver[];
  /** Stops what the observers keep running (queues, timers); waits a moment for what is in flight. */
  close: () => Promise<void>;
}

export function runObservers(sources: ObserverSources): WorkerObservers {
  const lineage = createLineageObserver(sources);
  const observers: RunObserver[] = [lineage];
  return { observers, close: async () => { await lineage.close(); } };
}
