// Alerts go to Slack through @slack/web-api and into orchestrator.alerts. One message per
// incident: the incident key is claimed in the table first, so a retried activity sends nothing
// twice. Slack being down, rate limited, or not configured never fails a pipeline.
import type { KnownBlock, WebClient } from '@slack/web-api';
import type { Client } from '@temporalio/client';
import type pg from 'pg';
import { ALERT_NODE_LINES, isMoreFailingNodesLine, moreFailingNodesLine, nodeLine } from '../src/core/describe';
import { dbtStepHeartbeat } from '../src/client/heartbeat';
import { FAILED_STATUSES, readRunResults } from '../src/artifacts/run-results';
import type { Logger } from '../src/platform/logger';
import type { PipelineMetrics } from '../src/platform/metrics';
import type { Alert } from '../src/core/types';

export interface AlertDeps {
  pool: pg.Pool;
  /** Undefined when no SLACK_BOT_TOKEN is set: alerts are logged and recorded only. */
  slack: WebClient | undefined;
  channel: string;
  log: Logger;
  metrics?: PipelineMetrics;
  /** Reads a running dbt step's progress (its heartbeat) for alerts about a run still going. */
  temporal?: Client;
}

export interface AlertOutcome {
  sent: boolean;
  duplicate: boolean;
  deliveryError?: string;
}

export function formatAlertText(alert: Alert): string {
  return [`*${alert.title}*`, ...alert.lines, ...(alert.link ? [`<${alert.link}|Open the run in the Temporal Web UI>`] : [])].join('\n');
}

export function createAlertActivities(deps: AlertDeps) {
  return {
    async sendAlert(input: Alert): Promise<AlertOutcome> {
      const alert = withFailingNodesFromArtifacts(await withDbtProgress(input, deps.temporal));
      const text = formatAlertText(alert);
      const claimed = await deps.pool.query<{ id: string }>(
        `INSERT INTO orchestrator.alerts (incident_key, pipeline, run_date, kind, text)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (incident_key) DO NOTHING RETURNING id`,
        [alert.incidentKey, alert.pipeline, alert.runDate, alert.kind, text],
      );
      const id = claimed.rows[0]?.id;
      if (!id) {
        const { rows } = await deps.pool.query<{ delivered: boolean }>('SELECT delivered FROM orchestrator.alerts WHERE incident_key = $1', [
          alert.incidentKey,
        ]);
        return { sent: rows[0]?.delivered ?? false, duplicate: true };
      }
      deps.log.warn({ alert: alert.incidentKey, kind: alert.kind, runDate: alert.runDate }, text);
      if (!deps.slack) {
        await deps.pool.query("UPDATE orchestrator.alerts SET delivery_error = 'no SLACK_BOT_TOKEN set: logged only' WHERE id = $1", [id]);
        deps.metrics?.alert(alert.kind, false);
        return { sent: false, duplicate: false, deliveryError: 'no SLACK_BOT_TOKEN set' };
      }
      const blocks: KnownBlock[] = [
        { type: 'header', text: { type: 'plain_text', text: alert.title.slice(0, 150) } },
        { type: 'section', text: { type: 'mrkdwn', text: alert.lines.join('\n').slice(0, 2900) || ' ' } },
      ];
      if (alert.link) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `<${alert.link}|Open the run in the Temporal Web UI>` } });
      try {
        await deps.slack.chat.postMessage({
          channel: deps.channel,
          text,
          unfurl_links: false,
          blocks,
        });
        await deps.pool.query('UPDATE orchestrator.alerts SET delivered = true WHERE id = $1', [id]);
        deps.metrics?.alert(alert.kind, true);
        return { sent: true, duplicate: false };
      } catch (err) {
        const reason = slackErrorReason(err);
        deps.log.error({ alert: alert.incidentKey, reason }, 'Slack did not take the alert; it is recorded in orchestrator.alerts');
        await deps.pool.query('UPDATE orchestrator.alerts SET delivery_error = $2 WHERE id = $1', [id, reason]);
        deps.metrics?.alert(alert.kind, false);
        return { sent: false, duplicate: false, deliveryError: reason };
      }
    },
  };
}

/**
 * An alert about a run that is still going (an SLA miss) says how far its dbt step is: nodes
 * done, attempt and failures so far, from the step's last heartbeat.
 */
async function withDbtProgress(alert: Alert, temporal: Client | undefined): Promise<Alert> {
  if (!alert.progressOf || !temporal) return alert;
  const beat = await dbtStepHeartbeat(temporal.workflow.getHandle(alert.progressOf)).catch(() => undefined);
  if (!beat || !beat.nodesTotal) return alert;
  const line = [
    `dbt ${beat.step}: ${beat.nodesDone}/${beat.nodesTotal} nodes done${beat.attempt > 1 ? `, attempt ${beat.attempt}` : ''}`,
    beat.failures.length ? `; failing so far: ${beat.failures.join(', ')}` : '',
    '.',
  ].join('');
  const rest = alert.lines.slice(1).filter((l) => !(beat.failures.length && l.startsWith('No failures so far')));
  return { ...alert, lines: [...alert.lines.slice(0, 1), line, ...rest] };
}

/**
 * A run's history names only the first few failing nodes of a dbt step; the alert lists more,
 * read from the step's run_results.json, when this worker can read it (the one that ran the
 * step, or any with the same artifacts volume). Otherwise it says how many more there are.
 */
export function withFailingNodesFromArtifacts(alert: Alert): Alert {
  const of = alert.failingNodesOf;
  if (!of) return alert;
  const more = alert.lines.findIndex(isMoreFailingNodesLine);
  const run = readRunResults(of.targetPath);
  if (more < 0 || !run) return alert;
  const listed = new Set(of.listed);
  const failing = run.nodes.filter((n) => FAILED_STATUSES.has(n.status));
  const extra = failing.filter((n) => !listed.has(n.name)).slice(0, Math.max(0, ALERT_NODE_LINES - listed.size));
  const left = failing.length - listed.size - extra.length;
  const lines = extra.map(nodeLine);
  if (left > 0) lines.push(moreFailingNodesLine(left));
  return { ...alert, lines: [...alert.lines.slice(0, more), ...lines, ...alert.lines.slice(more + 1)] };
}

function slackErrorReason(err: unknown): string {
  const e = err as { code?: string; data?: { error?: string }; statusCode?: number; message?: string };
  if (e.data?.error) return `slack: ${e.data.error}`;
  if (e.statusCode) return `slack: HTTP ${e.statusCode}`;
  return `slack: ${e.code ?? ''} ${e.message ?? String(err)}`.trim();
}
