// Runs going now, from Temporal: the open runs of this worker's task queue, their live progress,
// and the ledger's running rows that Temporal no longer runs.
import { WorkflowNotFoundError } from '@temporalio/client';
import { liveProgress } from '../../client/live-progress';
import { describeProgress } from '../../core/describe';
import { PIPELINES, pipelineOfWorkflow } from '../../core/pipelines';
import type { DbtDailyRunProgress } from '../../core/types';
import type { Pipeline } from '../files';
import type { Dashboard, Gathering, LiveRun } from '../types';
import { runLink, scrub, withTimeout } from '../util';
import { MAX_OPEN_RUNS, type RunsData } from './runs';

const TEMPORAL_TIMEOUT_MS = 3_000;

export async function loadLive(g: Gathering, db: RunsData): Promise<{ temporal: Dashboard['temporal']; live: LiveRun[]; closedInTemporal: Map<string, string> }> {
  const { src, timings } = g;
  const t1 = Date.now();
  const temporal: Dashboard['temporal'] = { reachable: false, uiUrl: src.uiUrl, namespace: src.namespace };
  const live: LiveRun[] = [];
  const closedInTemporal = new Map<string, string>();
  if (src.temporal) {
    const client = src.temporal;
    try {
      const tq = src.taskQueue.replace(/['"\\]/g, '');
      const query = `TaskQueue = '${tq}' AND ExecutionStatus = 'Running' AND (WorkflowType = '${PIPELINES.dbt.workflowType}' OR WorkflowType = '${PIPELINES.etl.workflowType}')`;
      const open = await withTimeout(
        (async () => {
          const out: { workflowId: string; runId: string; type: string; startTime: Date }[] = [];
          for await (const wf of client.workflow.list({ query, pageSize: MAX_OPEN_RUNS })) {
            out.push({ workflowId: wf.workflowId, runId: wf.runId, type: wf.type, startTime: wf.startTime });
            if (out.length >= MAX_OPEN_RUNS) break;
          }
          return out;
        })(),
        TEMPORAL_TIMEOUT_MS,
        'Temporal visibility',
      );
      temporal.reachable = true;
      const ledgerByRun = new Map([...db.running, ...db.ledger].map((r) => [`${r.workflow_id}/${r.run_id}`, r]));
      const openKeys = new Set(open.map((o) => `${o.workflowId}/${o.runId}`));
      // The ledger's running rows that the list did not return: open a moment ago (visibility
      // lags), or gone (terminated, timed out) without the ledger hearing of it.
      const unlisted = [...new Map([...db.running, ...db.ledger.filter((r) => r.status === 'running')].map((r) => [`${r.workflow_id}/${r.run_id}`, r])).values()]
        .filter((r) => !openKeys.has(`${r.workflow_id}/${r.run_id}`))
        .slice(0, MAX_OPEN_RUNS);
      await Promise.all(
        unlisted.map(async (r) => {
          try {
            const d = await withTimeout(client.workflow.getHandle(r.workflow_id, r.run_id).describe(), TEMPORAL_TIMEOUT_MS, 'describe');
            if (d.status.name === 'RUNNING') open.push({ workflowId: r.workflow_id, runId: r.run_id, type: d.type, startTime: d.startTime });
            else closedInTemporal.set(`${r.workflow_id}/${r.run_id}`, d.status.name);
          } catch (err) {
            if (err instanceof WorkflowNotFoundError) closedInTemporal.set(`${r.workflow_id}/${r.run_id}`, 'NOT FOUND');
          }
        }),
      );
      const lives = await Promise.all(open.map((o) => liveRunOf(g, client, o, ledgerByRun.get(`${o.workflowId}/${o.runId}`))));
      live.push(...lives.sort((a, b) => a.runDate.localeCompare(b.runDate) || a.pipeline.localeCompare(b.pipeline)));
    } catch (err) {
      temporal.error = scrub((err as Error).message, src.secrets);
    }
  } else {
    temporal.error = 'no Temporal connection';
  }
  timings.temporalMs = Date.now() - t1;

  return { temporal, live, closedInTemporal };
}

/** One open run as the dashboard shows it: its live progress, or where the ledger stands when the query does not answer. */
async function liveRunOf(g: Gathering, client: NonNullable<Gathering['src']['temporal']>, o: { workflowId: string; runId: string; type: string; startTime: Date }, row: RunsData['ledger'][number] | undefined): Promise<LiveRun> {
  const { src, nowMs } = g;
  const pipeline: Pipeline = pipelineOfWorkflow(o.type)?.name ?? PIPELINES.dbt.name;
  const base = {
    pipeline,
    workflowId: o.workflowId,
    runId: o.runId,
    uiLink: runLink(src.uiUrl, src.namespace, o.workflowId, o.runId),
  };
  try {
    const p: DbtDailyRunProgress = await withTimeout(liveProgress(client.workflow.getHandle(o.workflowId, o.runId)), TEMPORAL_TIMEOUT_MS, 'progress query');
    const deadline = pipeline === PIPELINES.dbt.name && p.slaDeadline ? p.slaDeadline : null;
    return {
      ...base,
      runDate: p.runDate,
      step: p.step,
      text: scrub(describeProgress(p, nowMs), src.secrets),
      nodesDone: p.nodesDone,
      nodesTotal: p.nodesTotal,
      attempt: p.attempt,
      failures: p.failures,
      startedAt: p.startedAt,
      slaDeadline: deadline,
      msToSla: deadline ? Date.parse(deadline) - nowMs : null,
      slaMissed: p.slaMissed,
    };
  } catch (err) {
    return {
      ...base,
      runDate: row?.run_date ?? o.workflowId.slice(-10),
      step: row?.current_step ?? 'starting',
      text: row?.current_step ?? 'starting',
      nodesDone: 0,
      nodesTotal: 0,
      attempt: row?.attempts ?? 0,
      failures: [],
      startedAt: o.startTime.toISOString(),
      slaDeadline: null,
      msToSla: null,
      slaMissed: row?.sla_met === false,
      error: `live progress unavailable: ${scrub((err as Error).message, src.secrets)}`,
    };
  }
}
