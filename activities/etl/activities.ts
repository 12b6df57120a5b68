import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { WebClient } from '@slack/web-api';
import type pg from 'pg';
import type { Logger } from '../../src/platform/logger';
import { workflowIds } from '../../src/core/signals';
import type { DbtRunState, ReportSummary, ValidationCheck, ValidationThresholds } from '../../src/core/types';
import { readReportData } from './report-data';
import { slackSummary, writeReport } from './report';
import { validateSourceData } from './validate';
import { readAcceptedValues } from '../../src/artifacts/dbt-project';
import { PIPELINES } from '../../src/core/pipelines';

export interface EtlDeps {
  pool: pg.Pool;
  /** The reporting role's pool, which the report reads through (default: pool). */
  reportPool?: pg.Pool;
  reportsDir: string;
  /** The dbt project whose vars.accepted_values the source validation reads. */
  dbtProjectDir: string;
  slack: WebClient | undefined;
  channel: string;
  log: Logger;
  /** Status of a workflow execution by ID (RUNNING, COMPLETED, FAILED…), null when there is none. */
  workflowStatus: (workflowId: string) => Promise<string | null>;
}

/** Asks the Temporal server how a workflow stands. */
export function temporalWorkflowStatus(client: Client) {
  return async (workflowId: string): Promise<string | null> => {
    try {
      return (await client.workflow.getHandle(workflowId).describe()).status.name;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return null;
      throw err;
    }
  };
}

export function createEtlActivities(deps: EtlDeps) {
  return {
    /** Where the date's dbt run stands: the ledger knows successes; Temporal knows the rest. */
    async dbtRunState(runDate: string): Promise<{ state: DbtRunState; detail: string }> {
      // One look at the ledger: has any run of the date succeeded, and how did the latest end?
      const { rows } = await deps.pool.query<{ succeeded: boolean; latest_status: string | null; latest_error: string | null }>(
        `SELECT coalesce(bool_or(status = 'succeeded'), false) AS succeeded,
                (array_agg(status ORDER BY started_at DESC))[1] AS latest_status,
                (array_agg(error ORDER BY started_at DESC))[1] AS latest_error
         FROM orchestrator.pipeline_runs WHERE pipeline = $2 AND run_date = $1`,
        [runDate, PIPELINES.dbt.name],
      );
      const ledger = rows[0]!;
      if (ledger.latest_status === 'succeeded') return { state: 'succeeded', detail: 'the dbt run of the date succeeded' };
      const status = await deps.workflowStatus(workflowIds.dbtDailyRun(runDate));
      if (status === 'RUNNING') return { state: 'running', detail: `workflow ${workflowIds.dbtDailyRun(runDate)} is running` };
      if (ledger.succeeded) return { state: 'succeeded', detail: 'an earlier dbt run of the date succeeded' };
      if (status === null && !ledger.latest_status) return { state: 'missing', detail: `no dbt run exists for ${runDate}` };
      return {
        state: 'failed',
        detail: `the dbt run of ${runDate} ended ${status?.toLowerCase() ?? ledger.latest_status ?? 'without success'}${ledger.latest_error ? `: ${ledger.latest_error}` : ''}`,
      };
    },

    async validateSourceData(runDate: string, thresholds: ValidationThresholds): Promise<ValidationCheck[]> {
      return validateSourceData(deps.pool, runDate, thresholds, readAcceptedValues(deps.dbtProjectDir));
    },

    async generateReport(runDate: string, checks: ValidationCheck[]): Promise<ReportSummary> {
      const data = await readReportData(deps.reportPool ?? deps.pool, runDate);
      return writeReport(deps.reportsDir, data, checks, new Date().toISOString());
    },

    /** The day's numbers to Slack; like alerts, never fails the pipeline. */
    async postReportSummary(summary: ReportSummary, checks: ValidationCheck[]): Promise<{ sent: boolean; error?: string }> {
      const { title, lines } = slackSummary(summary, checks);
      const text = [`*${title}*`, ...lines].join('\n');
      deps.log.info({ runDate: summary.runDate, report: summary.htmlPath }, text);
      if (!deps.slack) return { sent: false, error: 'no SLACK_BOT_TOKEN set' };
      try {
        await deps.slack.chat.postMessage({ channel: deps.channel, text, unfurl_links: false });
        return { sent: true };
      } catch (err) {
        const e = err as { data?: { error?: string }; message?: string };
        deps.log.error({ err: e.data?.error ?? e.message }, 'Slack did not take the report summary');
        return { sent: false, error: e.data?.error ?? e.message ?? String(err) };
      }
    },
  };
}
