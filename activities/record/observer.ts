// The per-model record as a run observer: each dbt step's nodes with their costs into
// orchestrator.model_runs, each publish's freshness into orchestrator.model_freshness, and a
// periodic check for promised days that have not come. Never fails a run (see ../observers).
import type pg from 'pg';
import type { Alert } from '../../src/core/types';
import type { Logger } from '../../src/platform/logger';
import type { RunObserver } from '../observers';
import { costsBetween, setupProblem, snapshotStatements, statementsSource, type StatementSnapshot } from './costs';
import { checkMissing, recordPublish, type FreshnessDeps } from './freshness';
import { newestManifest } from './manifest';
import { insertModelRuns, modelRunRows } from './model-runs';

export interface RecordDeps {
  /** The orchestrator role's pool. */
  pool: pg.Pool;
  artifactsDir: string;
  log: Logger;
  sendAlert: (alert: Alert) => Promise<unknown>;
  freshness: { checkIntervalMs: number; lookbackDays: number };
}

export interface ModelRecord {
  observer: RunObserver;
  /** Runs the freshness check now (the timer runs it every checkIntervalMs). */
  checkFreshness: () => Promise<number>;
  close: () => Promise<void>;
}

export function createModelRecord(deps: RecordDeps): ModelRecord {
  const { pool, log } = deps;
  // Each step attempt's snapshot, taken when it starts, by its target path (one per attempt).
  const before = new Map<string, Promise<StatementSnapshot | undefined>>();
  const told = new Set<string>();
  const tellOnce = (reason: string) => {
    if (told.has(reason)) return;
    told.add(reason);
    log.warn({ reason }, 'the per-model record has no costs (calls, exec_ms and blocks are NULL)');
  };
  const snapshot = async (): Promise<StatementSnapshot | undefined> => {
    const source = await statementsSource(pool);
    if ('unavailable' in source) {
      tellOnce(source.unavailable);
      return undefined;
    }
    return snapshotStatements(pool, source.schema).catch((err: unknown) => {
      const problem = setupProblem(err);
      if (!problem) throw err;
      tellOnce(problem);
      return undefined;
    });
  };
  const manifest = () => newestManifest(deps.artifactsDir);
  const warnBadPromises = () => {
    for (const node of manifest()?.values() ?? []) if (node.promiseError) tellOnce(`${node.promiseError} (the promise is ignored until it is fixed)`);
  };
  const freshnessDeps: FreshnessDeps = { pool, manifest, sendAlert: deps.sendAlert, lookbackDays: deps.freshness.lookbackDays };

  const observer: RunObserver = {
    name: 'model-record',
    dbtStepStarted(e) {
      const taken = snapshot().catch((err: unknown) => {
        log.warn({ err: (err as Error).message, runDate: e.runDate, step: e.step }, 'could not read pg_stat_statements before the dbt step: its costs stay NULL');
        return undefined;
      });
      before.set(e.targetPath, taken);
      // Waits for the snapshot, so dbt's first statement comes after it.
      return taken.then(() => undefined);
    },
    async dbtStepFinished(e) {
      const start = await before.get(e.targetPath);
      before.delete(e.targetPath);
      const end = start ? await snapshot() : undefined;
      const rows = modelRunRows(e, start && end ? costsBetween(start, end) : undefined);
      const written = await insertModelRuns(pool, e, rows);
      log.debug({ runDate: e.runDate, step: e.step, attempt: e.attempt, nodes: rows.length, written }, 'recorded the dbt step\'s nodes');
    },
    async dayPublished(e) {
      warnBadPromises();
      await recordPublish(freshnessDeps, e);
    },
  };

  let running: Promise<unknown> = Promise.resolve();
  const checkFreshness = () => {
    const next = running.then(() => checkMissing(freshnessDeps));
    running = next.catch(() => undefined);
    return next;
  };
  const timer =
    deps.freshness.checkIntervalMs > 0
      ? setInterval(() => {
          checkFreshness().catch((err: unknown) => log.warn({ err: (err as Error).message }, 'the freshness check failed; it runs again at the next interval'));
        }, deps.freshness.checkIntervalMs).unref()
      : undefined;
  return {
    observer,
    checkFreshness,
    close: async () => {
      if (timer) clearInterval(timer);
      await running;
    },
  };
}
