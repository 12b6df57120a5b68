// The pipelines, each described once: its names (on the command line, in the ledger, for
// people), its workflows, its dbt selection and its schedule. Everything that needs one of
// these reads it from here, so a pipeline cannot have two spellings in two places.

export interface PipelineDefinition {
  /** On the command line: `roas run dbt`, `roas backfill etl`. */
  readonly key: 'dbt' | 'etl';
  /** In the ledger (orchestrator.pipeline_runs.pipeline), metrics, artifacts and the Pipeline search attribute. */
  readonly name: 'dbt_daily_run' | 'daily_etl';
  /** For people: alerts, the dashboard, CLI output. */
  readonly title: string;
  /** The workflow that runs one date. */
  readonly workflowType: 'dbtDailyRun' | 'dailyEtl';
  /** The launcher the schedule starts (it runs the date under its business ID). */
  readonly launcherType: 'scheduledDbtDailyRun' | 'scheduledDailyEtl';
  /** The prefix of a date's business workflow ID: `<prefix>-<YYYY-MM-DD>`. */
  readonly idPrefix: string;
  /** The dbt tag of the pipeline's models; its selector is `tag:<tag>`. */
  readonly dbtTag: string;
  readonly schedule: { readonly id: string; readonly hourUtc: number; readonly description: string };
}

export const PIPELINES = {
  dbt: {
    key: 'dbt',
    name: 'dbt_daily_run',
    title: 'dbt run',
    workflowType: 'dbtDailyRun',
    launcherType: 'scheduledDbtDailyRun',
    idPrefix: 'dbt-daily-run',
    dbtTag: 'daily_run',
    schedule: { id: 'dbt-daily-run', hourUtc: 0, description: 'dbt run + test for the day that just ended, daily at 00:00 UTC (09:00 KST)' },
  },
  etl: {
    key: 'etl',
    name: 'daily_etl',
    title: 'daily ETL',
    workflowType: 'dailyEtl',
    launcherType: 'scheduledDailyEtl',
    idPrefix: 'daily-etl',
    dbtTag: 'daily_etl',
    schedule: { id: 'daily-etl', hourUtc: 6, description: 'Daily ETL: validate source data, report models, daily report, at 06:00 UTC (15:00 KST)' },
  },
} as const satisfies Record<string, PipelineDefinition>;

export type PipelineKey = keyof typeof PIPELINES;
export type PipelineName = (typeof PIPELINES)[PipelineKey]['name'];

export const PIPELINE_KEYS = Object.keys(PIPELINES) as PipelineKey[];
/** Ledger names in display order: the dbt run first, then the ETL that reads it. */
export const PIPELINE_NAMES: readonly PipelineName[] = PIPELINE_KEYS.map((k) => PIPELINES[k].name);

/** The definition of a ledger name (`dbt_daily_run`); undefined for a name no pipeline has. */
export function pipelineNamed(name: string): PipelineDefinition | undefined {
  return Object.values(PIPELINES).find((p) => p.name === name);
}

/** The definition of a workflow type (`dbtDailyRun`); undefined for any other workflow. */
export function pipelineOfWorkflow(workflowType: string): PipelineDefinition | undefined {
  return Object.values(PIPELINES).find((p) => p.workflowType === workflowType);
}

/** The dbt selector of a pipeline's models. */
export function dbtSelector(p: PipelineDefinition): string[] {
  return [`tag:${p.dbtTag}`];
}

/** A date's business workflow ID: one run of a pipeline per date at a time. */
export function runWorkflowId(p: PipelineDefinition, runDate: string): string {
  return `${p.idPrefix}-${runDate}`;
}
