// The backfill on the time-skipping server, dbt a test double: a long range continues as new
// runs of the same workflow ID, each history bounded, and still runs every date exactly once.
import { describe, expect, it } from 'vitest';
import { backfill } from '../../workflows';
import { backfillProgressQuery, type BackfillDateResult } from '../../workflows/backfill';
import { MODELS, TESTS } from '../helpers/fake-dbt';
import { keepHistory } from '../helpers/histories';
import { usePipelineHarness } from '../helpers/pipeline-harness';

describe('backfill (time-skipping server)', () => {
  const h = usePipelineHarness(import.meta.url);

  it('past maxDatesPerRun it continues as new with the rest, and reports every date once', async () => {
    const dates = ['2026-09-01', '2026-09-02', '2026-09-03', '2026-09-04', '2026-09-05'];
    for (const d of dates) await h.flinkDone(d);
    const workflowId = 'backfill-dbt-2026-09-01-2026-09-05-test';
    const { result, dbt } = await h.withWorker(
      () => ({ exitCode: 0, nodes: [...MODELS, ...TESTS] }),
      async (taskQueue) => {
        const handle = await h.env.client.workflow.start(backfill, {
          taskQueue,
          workflowId,
          args: [{ pipeline: 'dbt', from: dates[0]!, to: dates.at(-1)!, concurrency: 2, maxDatesPerRun: 2 }],
        });
        const results: BackfillDateResult[] = await handle.result();
        // The last run answers for the whole backfill: every date, the carried ones included.
        const progress = await h.env.client.workflow.getHandle(workflowId).query(backfillProgressQuery);
        return { results, progress, firstRunId: handle.firstExecutionRunId };
      },
    );
    expect(result.results.map((r) => [r.runDate, r.status])).toEqual(dates.map((d) => [d, 'succeeded']));
    expect(result.progress).toMatchObject({ total: 5, done: 5, running: [] });
    // One dbt build per date, none twice.
    expect(dbt.invocations.map((i) => i.runDate).sort()).toEqual(dates);

    // Three runs: 2 + 2 + 1 dates, each starting only its own children; the first two end by
    // continuing as new.
    const runs: { children: number; continuedAs: string | null }[] = [];
    for (let runId: string | null = result.firstRunId; runId; runId = runs.at(-1)!.continuedAs) {
      const events = (await h.env.client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
      runs.push({
        children: events.filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes).length,
        continuedAs: events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? null,
      });
    }
    expect(runs.map((r) => r.children)).toEqual([2, 2, 1]);
    await keepHistory(h.env.client, workflowId, 'backfill-dbt-continued-as-new', result.firstRunId);
  });
});
