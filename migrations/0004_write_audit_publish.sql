-- Write, audit, publish: dbt builds each run date of a model into analytics_audit, its tests
-- read it there, and the orchestrator publishes it into analytics as that day's partition. The
-- published tables are partitioned by their date column, one partition per day.
CREATE SCHEMA IF NOT EXISTS analytics_audit;
COMMENT ON SCHEMA analytics_audit IS 'Days built by dbt and not (yet) published: under test, or failed. Not for readers.';

-- The report models' columns changed with this version (they are a contract now): their old
-- tables go, and the daily ETL rebuilds any date again (roas backfill etl).
DROP TABLE IF EXISTS analytics.rpt_channel_daily_summary;
DROP TABLE IF EXISTS analytics.rpt_campaign_roas_7d;

-- Published tables built before days were partitioned become partitioned tables with one
-- partition per day they hold; their rows stay as they were. Amounts and ratios lose their
-- precision cap (numeric(20, 6) → numeric, the scale is kept by the models' rounding): a
-- change of type only, no rewrite.
DO $$
DECLARE
  model record;
  col record;
  day date;
  legacy text;
BEGIN
  FOR model IN
    SELECT * FROM (VALUES
      ('stg_ad_events', 'event_date'),
      ('int_hourly_agg', 'event_date'),
      ('fct_daily_metrics', 'metric_date')) AS m(name, date_column)
  LOOP
    IF EXISTS (
      SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'analytics' AND c.relname = model.name AND c.relkind = 'r'
    ) THEN
      FOR col IN
        SELECT a.attname FROM pg_attribute a
        WHERE a.attrelid = format('analytics.%I', model.name)::regclass AND a.attnum > 0 AND NOT a.attisdropped
          AND a.atttypid = 'numeric'::regtype AND a.atttypmod <> -1
      LOOP
        EXECUTE format('ALTER TABLE analytics.%I ALTER COLUMN %I TYPE numeric', model.name, col.attname);
      END LOOP;
      -- Staging now records how many times each event was delivered (unknown for old days).
      IF model.name = 'stg_ad_events' THEN
        ALTER TABLE analytics.stg_ad_events ADD COLUMN IF NOT EXISTS deliveries bigint;
      END IF;
      legacy := model.name || '_unpartitioned';
      EXECUTE format('ALTER TABLE analytics.%I RENAME TO %I', model.name, legacy);
      EXECUTE format('CREATE TABLE analytics.%I (LIKE analytics.%I) PARTITION BY LIST (%I)', model.name, legacy, model.date_column);
      FOR day IN EXECUTE format('SELECT DISTINCT %I FROM analytics.%I WHERE %I IS NOT NULL', model.date_column, legacy, model.date_column)
      LOOP
        EXECUTE format('CREATE TABLE analytics.%I (LIKE analytics.%I)', model.name || '_p' || to_char(day, 'YYYYMMDD'), legacy);
        EXECUTE format('INSERT INTO analytics.%I SELECT * FROM analytics.%I WHERE %I = %L',
          model.name || '_p' || to_char(day, 'YYYYMMDD'), legacy, model.date_column, day);
        EXECUTE format('ALTER TABLE analytics.%I ATTACH PARTITION analytics.%I FOR VALUES IN (%L)',
          model.name, model.name || '_p' || to_char(day, 'YYYYMMDD'), day);
      END LOOP;
      EXECUTE format('DROP TABLE analytics.%I', legacy);
    END IF;
  END LOOP;
END $$;
