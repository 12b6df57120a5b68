-- The shape Flink writes. One row per ad event, partitioned by UTC day on event_time so a
-- day's work reads one partition. event_id is unique by contract, but Flink delivers at least
-- once, so duplicates can arrive; staging removes them (and a dbt test reports them).
CREATE TABLE IF NOT EXISTS realtime.ad_events (
  event_id        text        NOT NULL,
  event_type      text        NOT NULL,
  event_time      timestamptz NOT NULL,
  campaign_id     text        NOT NULL,
  ad_group_id     text        NOT NULL,
  channel         text        NOT NULL,
  device          text        NOT NULL,
  cost_micros     bigint      NOT NULL,
  revenue_micros  bigint      NOT NULL,
  currency        char(3)     NOT NULL,
  ingested_at     timestamptz NOT NULL
) PARTITION BY RANGE (event_time);

COMMENT ON TABLE realtime.ad_events IS 'Ad events written by Flink; partitioned by UTC day (ad_events_pYYYYMMDD).';
COMMENT ON COLUMN realtime.ad_events.cost_micros IS 'Spend charged for the event, in millionths of currency.';
COMMENT ON COLUMN realtime.ad_events.revenue_micros IS 'Conversion value, in millionths of currency.';

-- Creates the partition for one UTC day if missing; writers call it before loading a day.
CREATE OR REPLACE FUNCTION realtime.ensure_ad_events_partition(day date) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  part text := format('ad_events_p%s', to_char(day, 'YYYYMMDD'));
BEGIN
  IF to_regclass(format('realtime.%I', part)) IS NULL THEN
    EXECUTE format(
      'CREATE TABLE IF NOT EXISTS realtime.%I PARTITION OF realtime.ad_events FOR VALUES FROM (%L) TO (%L)',
      part,
      (day::timestamp AT TIME ZONE 'UTC'),
      ((day + 1)::timestamp AT TIME ZONE 'UTC'));
  END IF;
  RETURN part;
END $$;

-- The durable half of the Flink-complete dependency: one row per completed UTC day.
CREATE TABLE IF NOT EXISTS realtime.flink_batches (
  run_date      date        PRIMARY KEY,
  completed_at  timestamptz NOT NULL DEFAULT now(),
  row_count     bigint      NOT NULL CHECK (row_count >= 0),
  watermark     timestamptz NOT NULL,
  job_id        text        NOT NULL
);
