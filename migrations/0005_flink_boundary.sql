-- The boundary with Flink, made safe for a real streaming sink:
--   * any event_time is accepted: a DEFAULT partition catches days whose partition does not
--     exist yet, and creating a day's partition moves that day's rows out of it, in one
--     transaction (no row lost or doubled);
--   * Flink says "complete" by inserting a row into realtime.flink_batches; a trigger checks the
--     marker against the data, keeps every marker in an audit trail, and NOTIFYs the worker.

CREATE TABLE IF NOT EXISTS realtime.ad_events_default PARTITION OF realtime.ad_events DEFAULT;
COMMENT ON TABLE realtime.ad_events_default IS
  'Events of days whose partition did not exist yet when they arrived; moved into their day''s partition when it is created.';

-- Creates the partition for one UTC day if missing, moving the day's rows out of the default
-- partition first. Writers may call it, but need not: the maintenance step creates the days
-- ahead and adopts whatever landed in the default partition.
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
  IF to_regclass(format('realtime.%I', part)) IS NOT NULL THEN
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

-- The maintenance step (run by every daily run and at worker start): the partitions of
-- `ahead` days from `from_day` on, and a partition for every other day found in the default
-- partition. Returns those other days and the rows moved for each.
CREATE OR REPLACE FUNCTION realtime.maintain_ad_events_partitions(from_day date, ahead integer DEFAULT 7)
RETURNS TABLE (day date, moved_rows bigint)
LANGUAGE plpgsql AS $$
DECLARE
  d date;
  n bigint;
BEGIN
  FOR d IN SELECT generate_series(from_day, from_day + ahead, interval '1 day')::date LOOP
    PERFORM realtime.ensure_ad_events_partition(d);
  END LOOP;
  FOR d, n IN
    SELECT (event_time AT TIME ZONE 'UTC')::date, count(*) FROM realtime.ad_events_default GROUP BY 1 ORDER BY 1
  LOOP
    PERFORM realtime.ensure_ad_events_partition(d);
    day := d;
    moved_rows := n;
    RETURN NEXT;
  END LOOP;
END $$;

-- Markers: what a marker was checked against, and whether it disagreed with the data.
ALTER TABLE realtime.flink_batches
  ADD COLUMN IF NOT EXISTS events_in_table bigint,
  ADD COLUMN IF NOT EXISTS flag text CHECK (flag IN ('count_mismatch', 'empty_day')),
  ADD COLUMN IF NOT EXISTS note text;
COMMENT ON COLUMN realtime.flink_batches.events_in_table IS 'Events of the day in realtime.ad_events when the marker was recorded.';
COMMENT ON COLUMN realtime.flink_batches.flag IS
  'count_mismatch: row_count and events_in_table differ by more than the tolerance; empty_day: the day had no events. The gate opens either way; runs and alerts warn.';

-- Every marker that reached the table, accepted or not, and every correction.
CREATE TABLE IF NOT EXISTS realtime.flink_batch_history (
  id              bigserial   PRIMARY KEY,
  run_date        date        NOT NULL,
  action          text        NOT NULL CHECK (action IN ('recorded', 'repeated', 'conflicting', 'refused', 'replaced')),
  row_count       bigint      NOT NULL,
  watermark       timestamptz NOT NULL,
  job_id          text        NOT NULL,
  events_in_table bigint,
  reason          text,
  recorded_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  recorded_by     text        NOT NULL DEFAULT coalesce(nullif(current_setting('application_name', true), ''), current_user)
);
CREATE INDEX IF NOT EXISTS flink_batch_history_run_date ON realtime.flink_batch_history (run_date, id);

-- How far a marker's row_count may stray from the day's rows before it is flagged, as a share
-- of the rows (duplicates from at-least-once delivery and late events make the table count a
-- little higher). Per database: ALTER DATABASE marketing_roas SET roas.flink_count_tolerance = '0.05'.
CREATE OR REPLACE FUNCTION realtime.flink_count_tolerance() RETURNS numeric
LANGUAGE sql STABLE AS $$
  SELECT coalesce(nullif(current_setting('roas.flink_count_tolerance', true), '')::numeric, 0.02)
$$;

-- The checks of one marker; also used by `roas flink-complete` before it writes, so a person
-- gets the same answer as the Flink job. refusal is NULL when the marker can be recorded.
CREATE OR REPLACE FUNCTION realtime.check_flink_marker(p_run_date date, p_row_count bigint, p_watermark timestamptz,
  OUT events_in_table bigint, OUT refusal text, OUT flag text, OUT note text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
  day_end timestamptz := (p_run_date + 1)::timestamp AT TIME ZONE 'UTC';
  tolerance numeric := realtime.flink_count_tolerance();
BEGIN
  SELECT count(*) INTO events_in_table FROM realtime.ad_events
  WHERE event_time >= p_run_date::timestamp AT TIME ZONE 'UTC' AND event_time < day_end;
  IF now() < day_end THEN
    refusal := format('%s has not ended yet (it ends at %s UTC): a day is complete only after its last event time',
                      p_run_date, to_char(day_end AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'));
  ELSIF p_watermark < day_end THEN
    refusal := format('the watermark %s UTC has not passed the end of %s: write the marker once the event-time watermark passes %s UTC',
                      to_char(p_watermark AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), p_run_date,
                      to_char(day_end AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'));
  ELSIF p_row_count = 0 AND events_in_table > 0 THEN
    refusal := format('the marker says 0 events but realtime.ad_events has %s for %s', events_in_table, p_run_date);
  ELSIF p_row_count = 0 THEN
    flag := 'empty_day';
    note := format('%s has no events at all', p_run_date);
  ELSIF abs(p_row_count - events_in_table) > tolerance * greatest(p_row_count, events_in_table) THEN
    flag := 'count_mismatch';
    note := format('the marker says %s events, realtime.ad_events has %s for %s (%s %% apart; tolerance %s %%)',
                   p_row_count, events_in_table, p_run_date,
                   round(100.0 * abs(p_row_count - events_in_table) / greatest(p_row_count, events_in_table), 2),
                   round(100 * tolerance, 2));
  END IF;
END $$;

-- A marker inserted by anyone (Flink's JDBC sink, a script, the CLI): checked, kept in the
-- history, and never an error for the writer, so a streaming job is not failed by a repeat.
-- A refused or conflicting marker is not stored in flink_batches; it stays in the history,
-- and `roas status` shows it.
CREATE OR REPLACE FUNCTION realtime.flink_batches_accept() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  c record;
  existing realtime.flink_batches;
BEGIN
  -- Markers of one day are taken one at a time (two writers of the same day: the second sees the first).
  PERFORM pg_advisory_xact_lock(hashtext('realtime.flink_batches'), NEW.run_date - date '2000-01-01');
  SELECT * INTO existing FROM realtime.flink_batches WHERE run_date = NEW.run_date;
  IF FOUND THEN
    INSERT INTO realtime.flink_batch_history (run_date, action, row_count, watermark, job_id, reason)
    VALUES (NEW.run_date,
            CASE WHEN existing.row_count = NEW.row_count THEN 'repeated' ELSE 'conflicting' END,
            NEW.row_count, NEW.watermark, NEW.job_id,
            CASE WHEN existing.row_count = NEW.row_count THEN 'the day was already recorded with the same count'
                 ELSE format('the day was already recorded with %s events at %s; the first record stands (correct it with roas flink-complete --replace)',
                             existing.row_count, existing.completed_at) END);
    RETURN NULL;
  END IF;
  c := realtime.check_flink_marker(NEW.run_date, NEW.row_count, NEW.watermark);
  IF c.refusal IS NOT NULL THEN
    INSERT INTO realtime.flink_batch_history (run_date, action, row_count, watermark, job_id, events_in_table, reason)
    VALUES (NEW.run_date, 'refused', NEW.row_count, NEW.watermark, NEW.job_id, c.events_in_table, c.refusal);
    RAISE WARNING 'Flink marker for % refused: %', NEW.run_date, c.refusal;
    RETURN NULL;
  END IF;
  -- A streaming job's marker may arrive before its last events are flushed (two sinks flush on
  -- their own), so fewer rows than the marker says is not flagged here: the worker opens the gate
  -- once the rows have caught up, and the daily checks compare again later. More rows than the
  -- marker (events the job did not count) is flagged at once.
  IF c.flag = 'count_mismatch' AND c.events_in_table < NEW.row_count THEN
    c.flag := NULL;
    c.note := NULL;
  END IF;
  NEW.events_in_table := c.events_in_table;
  NEW.flag := c.flag;
  NEW.note := c.note;
  INSERT INTO realtime.flink_batch_history (run_date, action, row_count, watermark, job_id, events_in_table, reason)
  VALUES (NEW.run_date, 'recorded', NEW.row_count, NEW.watermark, NEW.job_id, c.events_in_table, c.note);
  RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS flink_batches_accept ON realtime.flink_batches;
CREATE TRIGGER flink_batches_accept BEFORE INSERT ON realtime.flink_batches
  FOR EACH ROW EXECUTE FUNCTION realtime.flink_batches_accept();

-- The worker LISTENs on this channel and opens the date's gate at once; the gate's periodic
-- re-check of the table covers a worker that was not listening.
CREATE OR REPLACE FUNCTION realtime.flink_batches_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('roas_flink_complete', NEW.run_date::text);
  RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS flink_batches_notify ON realtime.flink_batches;
CREATE TRIGGER flink_batches_notify AFTER INSERT OR UPDATE ON realtime.flink_batches
  FOR EACH ROW EXECUTE FUNCTION realtime.flink_batches_notify();
