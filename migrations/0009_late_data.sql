-- Late data. Events of a day keep arriving after the day (conversion lag, view-through
-- conversions, an at-least-once stream delivering late), so:
--   * every dbt run reads one cut of its day's events: realtime_cut.take() copies the day's rows,
--     in one statement of one REPEATABLE READ transaction, into a frozen table of its own
--     (realtime_cut.ad_events_pYYYYMMDD), and records the cut (rows, latest ingested_at, the
--     transaction's snapshot) in realtime_cut.cuts. Every model and test of the run reads that
--     table, so they all see the same rows however many arrive meanwhile;
--   * the cut a published day was built from is marked when the day is published, so the rows
--     that arrived after it are the day's rows now minus the rows of its cut (realtime.ad_events
--     only ever receives inserts: the ingest role may do nothing else);
--   * each time a published day is replaced (a restatement), its before and after go into
--     orchestrator.restatements, as dbt computed them.

CREATE SCHEMA IF NOT EXISTS realtime_cut;
COMMENT ON SCHEMA realtime_cut IS 'Frozen per-run copies of a day''s events, and the record of every cut. Written only by realtime_cut.take().';

CREATE TABLE IF NOT EXISTS realtime_cut.cuts (
  cut_id           bigserial   PRIMARY KEY,
  run_date         date        NOT NULL,
  workflow_id      text        NOT NULL,
  run_id           text        NOT NULL,
  trigger          text        NOT NULL,
  cut_at           timestamptz NOT NULL DEFAULT clock_timestamp(),
  rows             bigint      NOT NULL CHECK (rows >= 0),
  max_ingested_at  timestamptz,
  snapshot         text        NOT NULL,
  seconds          numeric     NOT NULL,
  published_at     timestamptz,
  UNIQUE (workflow_id, run_id)
);
CREATE INDEX IF NOT EXISTS cuts_run_date ON realtime_cut.cuts (run_date, cut_id);
COMMENT ON TABLE realtime_cut.cuts IS 'One row per dbt run: the cut of its day''s events it read. published_at is set when the day built from it was published.';
COMMENT ON COLUMN realtime_cut.cuts.rows IS 'Rows of the day (every delivery) in the cut.';
COMMENT ON COLUMN realtime_cut.cuts.snapshot IS 'pg_current_snapshot() of the transaction that took the cut: the rows it saw are those of transactions committed before it.';

-- Takes the cut of one day for one run: must be called in a REPEATABLE READ transaction, so the
-- copy, its count and the recorded snapshot are one view of the table. A retried call of the same
-- run gets its cut back while it is still the day's latest. Cost: one pass over the day's
-- partition (the day, never the history).
CREATE OR REPLACE FUNCTION realtime_cut.take(p_day date, p_workflow_id text, p_run_id text, p_trigger text)
RETURNS realtime_cut.cuts
LANGUAGE plpgsql AS $$
DECLARE
  tbl text := format('ad_events_p%s', to_char(p_day, 'YYYYMMDD'));
  lo timestamptz := p_day::timestamp AT TIME ZONE 'UTC';
  hi timestamptz := (p_day + 1)::timestamp AT TIME ZONE 'UTC';
  started timestamptz := clock_timestamp();
  c realtime_cut.cuts;
  n bigint;
  latest timestamptz;
  old date;
BEGIN
  IF current_setting('transaction_isolation') <> 'repeatable read' THEN
    RAISE EXCEPTION 'realtime_cut.take() needs a REPEATABLE READ transaction (BEGIN ISOLATION LEVEL REPEATABLE READ), so the copy, its count and its snapshot agree';
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('realtime_cut'), p_day - date '2000-01-01');
  SELECT * INTO c FROM realtime_cut.cuts WHERE workflow_id = p_workflow_id AND run_id = p_run_id;
  IF FOUND AND c.run_date = p_day AND to_regclass(format('realtime_cut.%I', tbl)) IS NOT NULL
     AND c.cut_id = (SELECT max(cut_id) FROM realtime_cut.cuts WHERE run_date = p_day) THEN
    RETURN c;
  END IF;
  EXECUTE format('DROP TABLE IF EXISTS realtime_cut.%I', tbl);
  EXECUTE format('CREATE TABLE realtime_cut.%I (LIKE realtime.ad_events)', tbl);
  EXECUTE format('INSERT INTO realtime_cut.%I SELECT * FROM realtime.ad_events WHERE event_time >= $1 AND event_time < $2', tbl) USING lo, hi;
  GET DIAGNOSTICS n = ROW_COUNT;
  EXECUTE format('ALTER TABLE realtime_cut.%I ADD CONSTRAINT %I CHECK (event_time >= %L AND event_time < %L)', tbl, tbl || '_day', lo, hi);
  EXECUTE format('ANALYZE realtime_cut.%I', tbl);
  EXECUTE format('SELECT max(ingested_at) FROM realtime_cut.%I', tbl) INTO latest;
  INSERT INTO realtime_cut.cuts (run_date, workflow_id, run_id, trigger, rows, max_ingested_at, snapshot, seconds)
  VALUES (p_day, p_workflow_id, p_run_id, p_trigger, n, latest, pg_current_snapshot()::text,
          round(extract(epoch FROM clock_timestamp() - started)::numeric, 3))
  ON CONFLICT (workflow_id, run_id) DO UPDATE
    SET run_date = EXCLUDED.run_date, trigger = EXCLUDED.trigger, cut_at = clock_timestamp(), rows = EXCLUDED.rows,
        max_ingested_at = EXCLUDED.max_ingested_at, snapshot = EXCLUDED.snapshot, seconds = EXCLUDED.seconds, published_at = NULL
  RETURNING * INTO c;
  -- A day's frozen rows are kept three days after its last cut (to look into a failed run), then
  -- dropped; its rows in realtime.ad_events and its record here stay.
  FOR old IN
    SELECT run_date FROM realtime_cut.cuts GROUP BY run_date HAVING max(cut_at) < now() - interval '3 days'
  LOOP
    EXECUTE format('DROP TABLE IF EXISTS realtime_cut.%I', format('ad_events_p%s', to_char(old, 'YYYYMMDD')));
  END LOOP;
  RETURN c;
END $$;

-- The days from p_from to p_to whose published version was built from fewer rows than the day
-- has now: the late rows not yet restated. Days never published are not listed (their first run
-- reads every row). One pass over the days' partitions.
CREATE OR REPLACE FUNCTION realtime_cut.late_rows(p_from date, p_to date)
RETURNS TABLE (run_date date, cut_rows bigint, rows_now bigint, late_rows bigint, cut_at timestamptz, published_at timestamptz)
LANGUAGE sql STABLE AS $$
  WITH published AS (
    SELECT DISTINCT ON (c.run_date) c.run_date, c.rows, c.cut_at, c.published_at
    FROM realtime_cut.cuts c
    WHERE c.run_date BETWEEN p_from AND p_to AND c.published_at IS NOT NULL
    ORDER BY c.run_date, c.published_at DESC, c.cut_id DESC
  ), now_rows AS (
    SELECT (e.event_time AT TIME ZONE 'UTC')::date AS run_date, count(*) AS n
    FROM realtime.ad_events e
    WHERE e.event_time >= p_from::timestamp AT TIME ZONE 'UTC' AND e.event_time < (p_to + 1)::timestamp AT TIME ZONE 'UTC'
    GROUP BY 1
  )
  SELECT p.run_date, p.rows, coalesce(r.n, 0), coalesce(r.n, 0) - p.rows, p.cut_at, p.published_at
  FROM published p LEFT JOIN now_rows r ON r.run_date = p.run_date
  WHERE coalesce(r.n, 0) <> p.rows
  ORDER BY p.run_date
$$;

-- Every replacement of a published day: per campaign (campaign_id set) and in total
-- (campaign_id NULL), as dbt's fct_daily_metrics_restatement computed them for the run.
CREATE TABLE IF NOT EXISTS orchestrator.restatements (
  id                  bigserial   PRIMARY KEY,
  run_date            date        NOT NULL,
  workflow_id         text        NOT NULL,
  run_id              text        NOT NULL,
  trigger             text        NOT NULL,
  restated_at         timestamptz NOT NULL DEFAULT now(),
  campaign_id         text,
  rows_before         bigint,
  rows_after          bigint,
  spend_before        numeric,
  spend_after         numeric,
  revenue_before      numeric,
  revenue_after       numeric,
  conversions_before  bigint,
  conversions_after   bigint,
  roas_before         numeric,
  roas_after          numeric,
  largest_change      numeric
);
CREATE INDEX IF NOT EXISTS restatements_run_date ON orchestrator.restatements (run_date, restated_at);
COMMENT ON TABLE orchestrator.restatements IS
  'One row per campaign and one total row (campaign_id NULL) each time a published day was replaced. Amounts in KRW; largest_change is the largest relative move of the total''s spend, revenue and ROAS.';

ALTER TABLE orchestrator.alerts DROP CONSTRAINT IF EXISTS alerts_kind_check;
ALTER TABLE orchestrator.alerts ADD CONSTRAINT alerts_kind_check CHECK (kind IN ('failure', 'sla_miss', 'flink_gate_deadline', 'restatement'));

DO $grants$
DECLARE
  prefix text := coalesce(nullif(current_setting('roas.role_prefix', true), ''), 'roas');
  owner_role text := prefix || '_analytics_owner';
  transform text := prefix || '_transform';
  orchestrator text := prefix || '_orchestrator';
  reporting text := prefix || '_reporting';
BEGIN
  -- dbt reads the frozen days and the record of cuts; the publish step marks a cut published and
  -- records a restatement; the orchestrator takes cuts (through the function) and reads them;
  -- readers see the record of cuts and of restatements, never the events.
  EXECUTE format('GRANT USAGE ON SCHEMA realtime_cut TO %I, %I, %I', owner_role, orchestrator, reporting);
  EXECUTE format('GRANT SELECT ON realtime_cut.cuts TO %I, %I, %I', owner_role, orchestrator, reporting);
  EXECUTE format('GRANT UPDATE (published_at) ON realtime_cut.cuts TO %I', owner_role);
  EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA realtime_cut GRANT SELECT ON TABLES TO %I, %I', owner_role, orchestrator);
  EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA realtime_cut TO %I, %I', owner_role, orchestrator);
  EXECUTE format('GRANT USAGE ON SCHEMA orchestrator TO %I, %I', transform, owner_role);
  EXECUTE format('GRANT INSERT ON orchestrator.restatements TO %I', transform);
  EXECUTE format('GRANT USAGE ON SEQUENCE orchestrator.restatements_id_seq TO %I', transform);
  EXECUTE format('GRANT SELECT ON orchestrator.restatements TO %I, %I, %I', orchestrator, reporting, owner_role);
  REVOKE EXECUTE ON FUNCTION realtime_cut.take(date, text, text, text) FROM PUBLIC;
  REVOKE EXECUTE ON FUNCTION realtime_cut.late_rows(date, date) FROM PUBLIC;
  EXECUTE format('GRANT EXECUTE ON FUNCTION realtime_cut.take(date, text, text, text) TO %I', orchestrator);
  EXECUTE format('GRANT EXECUTE ON FUNCTION realtime_cut.late_rows(date, date) TO %I, %I', orchestrator, reporting);
END $grants$;

-- Both run as their owner: take() makes tables in realtime_cut, which nobody else may; late_rows()
-- counts events, which the reporting role may not read (it gets counts per day, never rows).
ALTER FUNCTION realtime_cut.take(date, text, text, text) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION realtime_cut.late_rows(date, date) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
