-- The per-model record: every model, seed and test of every run, with what it cost; each
-- published model's freshness; and each freshness promise missed (alerted once).
--
-- Written by the worker (orchestrator role) after each dbt step and each publish; read by the
-- CLI, the dashboard and anyone holding the reporting role.

-- One row per node per attempt of a dbt step. Costs come from pg_stat_statements (the difference
-- over the step of the statements dbt ran for that node); they are NULL where the extension is
-- not loaded.
CREATE TABLE IF NOT EXISTS orchestrator.model_runs (
  workflow_id       text             NOT NULL,
  run_id            text             NOT NULL,
  pipeline          text             NOT NULL,
  run_date          date             NOT NULL,
  step              text             NOT NULL,
  attempt           integer          NOT NULL,
  unique_id         text             NOT NULL,
  name              text             NOT NULL,
  resource_type     text             NOT NULL,
  status            text             NOT NULL,
  started_at        timestamptz,
  finished_at       timestamptz,
  duration_seconds  double precision NOT NULL,
  rows_affected     bigint,
  failures          bigint,
  message           text,
  -- A test: the model (unique_id) it tests. A model or seed: NULL.
  attached_to       text,
  -- What it reads (unique_ids of models, seeds and sources) and what it writes (schema.table).
  depends_on        text[]           NOT NULL DEFAULT '{}',
  relation          text,
  calls             bigint,
  exec_ms           double precision,
  shared_blks_read  bigint,
  shared_blks_hit   bigint,
  recorded_at       timestamptz      NOT NULL DEFAULT now(),
  PRIMARY KEY (workflow_id, run_id, step, attempt, unique_id)
);
CREATE INDEX IF NOT EXISTS model_runs_name_date ON orchestrator.model_runs (name, run_date);
CREATE INDEX IF NOT EXISTS model_runs_run_date ON orchestrator.model_runs (run_date, recorded_at);
COMMENT ON TABLE orchestrator.model_runs IS
  'Each model, seed and test of each attempt of each dbt step: dbt''s status, its duration, rows affected (models) or failing rows (tests), and its cost from pg_stat_statements (NULL where the extension is not loaded).';

-- One row per published model per publish: how long after the end of its day it became readable,
-- against the promise its dbt YAML declares (meta.freshness).
CREATE TABLE IF NOT EXISTS orchestrator.model_freshness (
  model              text        NOT NULL,
  run_date           date        NOT NULL,
  published_at       timestamptz NOT NULL,
  workflow_id        text        NOT NULL,
  run_id             text        NOT NULL,
  -- When Flink reported the day complete (realtime.flink_batches), if it did.
  flink_marker_at    timestamptz,
  -- published_at minus the end of the day (UTC).
  freshness_seconds  double precision NOT NULL,
  promise            text,
  -- Seconds allowed from the promise's start (the Flink marker, or the end of the day).
  promise_seconds    double precision,
  met                boolean,
  PRIMARY KEY (model, run_date, published_at)
);
COMMENT ON TABLE orchestrator.model_freshness IS
  'Each publish of each model: seconds from the end of its day to the publish, and whether the freshness promise in its dbt YAML (meta.freshness) was met.';

-- A promise missed: by a late publish, or by a day that never came. One row, so one alert.
CREATE TABLE IF NOT EXISTS orchestrator.freshness_misses (
  model        text        NOT NULL,
  run_date     date        NOT NULL,
  promise      text        NOT NULL,
  -- 'late' (published after the promise) or 'missing' (not published when the promise ran out).
  kind         text        NOT NULL CHECK (kind IN ('late', 'missing')),
  detail       text        NOT NULL,
  detected_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (model, run_date)
);
COMMENT ON TABLE orchestrator.freshness_misses IS
  'Each freshness promise missed, once per model and day (the alert is sent when the row is inserted).';

ALTER TABLE orchestrator.alerts DROP CONSTRAINT IF EXISTS alerts_kind_check;
ALTER TABLE orchestrator.alerts ADD CONSTRAINT alerts_kind_check CHECK (kind IN ('failure', 'sla_miss', 'flink_gate_deadline', 'restatement', 'freshness'));

DO $grants$
DECLARE
  prefix text := coalesce(nullif(current_setting('roas.role_prefix', true), ''), 'roas');
  orchestrator text := prefix || '_orchestrator';
  reporting text := prefix || '_reporting';
BEGIN
  EXECUTE format('GRANT SELECT, INSERT, UPDATE ON orchestrator.model_runs, orchestrator.model_freshness, orchestrator.freshness_misses TO %I', orchestrator);
  EXECUTE format('GRANT SELECT ON orchestrator.model_runs, orchestrator.model_freshness, orchestrator.freshness_misses TO %I', reporting);
END
$grants$;

-- The cost of each model: pg_stat_statements, where the server has it (the local cluster and the
-- compose postgres load it with shared_preload_libraries). A server without it still migrates:
-- the record's costs are then NULL and the worker says why once. The orchestrator role reads
-- every session's statements (pg_read_all_stats) to find dbt's; an owner that may not grant
-- that role leaves the costs NULL too.
DO $stats$
DECLARE
  orchestrator text := coalesce(nullif(current_setting('roas.role_prefix', true), ''), 'roas') || '_orchestrator';
BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_stat_statements') THEN
    BEGIN
      CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE NOTICE 'pg_stat_statements not created (%): the per-model record has no costs', SQLERRM;
    END;
  END IF;
  BEGIN
    EXECUTE format('GRANT pg_read_all_stats TO %I', orchestrator);
  EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'pg_read_all_stats not granted to % (%): the per-model record has no costs', orchestrator, SQLERRM;
  END;
END
$stats$;
