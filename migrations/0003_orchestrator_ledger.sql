-- The orchestrator's own tables, for SQL users and dashboards.
CREATE SCHEMA IF NOT EXISTS orchestrator;

-- One row per pipeline run (a Temporal workflow run): what ran for which date, how it ended.
CREATE TABLE IF NOT EXISTS orchestrator.pipeline_runs (
  workflow_id   text        NOT NULL,
  run_id        text        NOT NULL,
  pipeline      text        NOT NULL CHECK (pipeline IN ('dbt_daily_run', 'daily_etl')),
  run_date      date        NOT NULL,
  status        text        NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled', 'skipped')),
  trigger       text        NOT NULL DEFAULT 'manual',
  scheduled_at  timestamptz,
  started_at    timestamptz NOT NULL DEFAULT now(),
  finished_at   timestamptz,
  current_step  text,
  attempts      integer     NOT NULL DEFAULT 0,
  sla_met       boolean,
  error_type    text,
  error         text,
  summary       jsonb       NOT NULL DEFAULT '{}'::jsonb,
  PRIMARY KEY (workflow_id, run_id)
);
CREATE INDEX IF NOT EXISTS pipeline_runs_date_idx ON orchestrator.pipeline_runs (pipeline, run_date, status);

-- Every alert the pipelines raised, delivered to Slack or not. One row per incident: the
-- unique key makes a retried alert activity a no-op instead of a second message.
CREATE TABLE IF NOT EXISTS orchestrator.alerts (
  id            bigserial   PRIMARY KEY,
  incident_key  text        NOT NULL UNIQUE,
  pipeline      text        NOT NULL,
  run_date      date        NOT NULL,
  kind          text        NOT NULL CHECK (kind IN ('failure', 'sla_miss', 'flink_gate_deadline')),
  text          text        NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  delivered     boolean     NOT NULL DEFAULT false,
  delivery_error text
);
