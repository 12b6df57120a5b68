-- Two daily runs maintaining the event partitions at once (a backfill at concurrency 2) could
-- both try to create the same day's partition: the second, after waiting for the first's lock,
-- still looked the name up through its own catalog cache, which remembered it missing, and
-- failed with "relation already exists". After the lock, pg_class is now read as a table (a
-- fresh snapshot), which sees the first one's partition.
CREATE OR REPLACE FUNCTION realtime.ensure_ad_events_partition(day date) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  part text := format('ad_events_p%s', to_char(day, 'YYYYMMDD'));
  lo timestamptz := day::timestamp AT TIME ZONE 'UTC';
  hi timestamptz := (day + 1)::timestamp AT TIME ZONE 'UTC';
BEGIN
  IF to_regclass(format('realtime.%I', part)) IS NOT NULL THEN
    RETURN part;
  END IF;
  -- One creator at a time; the loser finds the partition made.
  PERFORM pg_advisory_xact_lock(hashtext('realtime.ad_events partitions'));
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'realtime' AND c.relname = part) THEN
    RETURN part;
  END IF;
  -- Writers routed to the default partition wait while the day's rows move (brief: the default
  -- partition holds only what arrived before its day existed). Readers of other days are not
  -- blocked: the new table is attached, which needs only a weak lock on the parent.
  LOCK TABLE realtime.ad_events_default IN ACCESS EXCLUSIVE MODE;
  EXECUTE format('CREATE TABLE realtime.%I (LIKE realtime.ad_events INCLUDING DEFAULTS)', part);
  EXECUTE format('ALTER TABLE realtime.%I ADD CONSTRAINT %I CHECK (event_time >= %L AND event_time < %L)',
                 part, part || '_day', lo, hi);
  EXECUTE format(
    'WITH moved AS (DELETE FROM realtime.ad_events_default WHERE event_time >= %L AND event_time < %L RETURNING *)
     INSERT INTO realtime.%I SELECT * FROM moved', lo, hi, part);
  EXECUTE format('ALTER TABLE realtime.ad_events ATTACH PARTITION realtime.%I FOR VALUES FROM (%L) TO (%L)', part, lo, hi);
  RETURN part;
END $$;
