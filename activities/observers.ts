// What else wants to know when a run starts and ends, when a dbt step starts and finishes and
// when a day is published: the lineage events and the per-model record. They are told from the
// activities that already do these things, so the workflows (and their histories) stay as they
// are. An observer never fails or slows the activity that tells it: what it throws is logged.
import { Context } from '@temporalio/activity';
import type { DbtProcessResult } from './dbt/runner';

/** The Temporal run an event belongs to. */
export interface RunRef {
  pipeline: string;
  runDate: string;
  workflowId: string;
  runId: string;
}

export interface RunStarted extends RunRef {
  trigger: string;
  at: string;
}

export interface RunFinished extends RunRef {
  status: 'succeeded' | 'failed' | 'cancelled';
  errorType?: string | null;
  error?: string | null;
  at: string;
}

/** One attempt of a dbt step, before it runs. */
export interface DbtStepStarted extends RunRef {
  step: string;
  attempt: number;
  targetPath: string;
  applicationName: string;
  at: string;
}

/** One attempt of a dbt step, after it ran: its run_results.json is in targetPath when dbt wrote one. */
export interface DbtStepFinished extends DbtStepStarted {
  outcome: 'success' | 'failure' | 'cancelled';
  exitCode: number;
  durationMs: number;
  /** The first lines of what went wrong, when it did. */
  error?: string;
  process: Pick<DbtProcessResult, 'exitCode' | 'durationMs' | 'cancelled'>;
}

export interface DayPublished extends RunRef {
  outcome: 'success' | 'failure';
  /** schema.model of each published model. */
  models: string[];
  replaced: string[];
  startedAt: string;
  at: string;
  error?: string;
}

export interface RunObserver {
  readonly name: string;
  runStarted?(e: RunStarted): Promise<void> | void;
  runFinished?(e: RunFinished): Promise<void> | void;
  dbtStepStarted?(e: DbtStepStarted): Promise<void> | void;
  dbtStepFinished?(e: DbtStepFinished): Promise<void> | void;
  dayPublished?(e: DayPublished): Promise<void> | void;
}

export interface ObserverDeps {
  observers?: readonly RunObserver[];
  /** Where an observer's failure is told (the worker's log). */
  onObserverError?: (observer: string, err: unknown) => void;
}

type Hook = Exclude<keyof RunObserver, 'name'>;

/** Tells every observer, one after the other; a failing observer is logged, never thrown. */
export async function tell<K extends Hook>(deps: ObserverDeps, hook: K, event: Parameters<NonNullable<RunObserver[K]>>[0]): Promise<void> {
  for (const o of deps.observers ?? []) {
    const fn = o[hook] as ((e: typeof event) => Promise<void> | void) | undefined;
    if (!fn) continue;
    try {
      await fn.call(o, event);
    } catch (err) {
      deps.onObserverError?.(o.name, err);
    }
  }
}

/** The run an activity belongs to; `standalone` outside a workflow (roas test-step, a test calling it directly). */
export function currentRun(pipeline: string, runDate: string): RunRef {
  let execution: { workflowId: string; runId: string } | undefined;
  try {
    execution = Context.current().info.workflowExecution;
  } catch {
    execution = undefined;
  }
  return { pipeline, runDate, workflowId: execution?.workflowId ?? 'standalone', runId: execution?.runId ?? 'standalone' };
}
