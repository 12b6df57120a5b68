-- Markers and partitions held to the limits every other entry point uses.
--   * realtime.input_limits: the bounds of a valid day, count and text. The migrator fills it
--     from the application's one set of limits on every run (src/core/limits.ts), so the CLI, the
--     dashboard and the database can never disagree. Every role may read it.
--   * The marker trigger checks every column before anything else and never raises to the
--     writer, whatever the values: a marker that cannot be right is refused into
--     realtime.flink_batch_history with its reason (a missing or impossible date, count,
--     watermark, job_id or completed_at), and nothing lands in realtime.flink_batches.
--   * A role that may not create tables makes event partitions only for days inside the limits;
--     rows of other days stay in the default partition.

CREATE TABLE IF NOT EXISTS realtime.input_limits (
  id                   boolean     PRIMARY KEY DEFAULT true CHECK (id),
  earliest_date        date        NOT NULL,
  latest_days_ahead    integer     NOT NULL CHECK (latest_days_ahead >= 0),
  partition_days_ahead integer     NOT NULL CHECK (partition_days_ahead >= latest_days_ahead),
  max_count            bigint      NOT NULL CHECK (max_count >= 0),
  max_text_length      integer     NOT NULL CHECK (max_text_length > 0),
  updated_at           timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE realtime.input_limits IS
  'One row: the bounds every input is held to (dates from earliest_date to today + latest_days_ahead, counts up to max_count, text up to max_text_length characters). Written by the migrator from the application''s limits; do not edit by hand.';
GRANT SELECT ON realtime.input_limits TO PUBLIC;

-- The history records what a writer sent, even a marker without a day, count, watermark or job.
ALTER TABLE realtime.flink_batch_history
  ALTER COLUMN run_date DROP NOT NULL,
  ALTER COLUMN row_count DROP NOT NULL,
  ALTER COLUMN watermark DROP NOT NULL,
  ALTER COLUMN job_id DROP NOT NULL;

-- Text as a message or the history may show it: at most max_len characters, control characters
-- (C0, DEL, C1: what could drive a terminal) replaced, and the full length said when it was cut.
CREATE OR REPLACE FUNCTION realtime.clip_text(value text, max_len integer) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT regexp_replace(left(value, max_len), '[\x01-\x1f\x7f-\x9f]', '?', 'g')
         || CASE WHEN char_length(value) > max_len THEN format('… (%s characters)', char_length(value)) ELSE '' END
$$;

-- A tolerance set to something that is not a share from 0 to 1 (by anyone, in any session) is
-- ignored: the checks of a marker must not fail on it.
CREATE OR REPLACE FUNCTION realtime.flink_count_tolerance() RETURNS numeric
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN s ~ '^\s*(0|1|0?\.[0-9]{1,6}|1\.0{1,6})\s*$' THEN s::numeric ELSE 0.02 END
  FROM (SELECT coalesce(current_setting('roas.flink_count_tolerance', true), '') AS s) AS setting
$$;

-- Why a marker's values cannot be right, or NULL when each is inside the limits. Checked before
-- anything else is done with them (a date out of range is never used in date arithmetic).
CREATE OR REPLACE FUNCTION realtime.flink_marker_input_refusal(lim realtime.input_limits, p_run_date date, p_row_count bigint,
  p_watermark timestamptz, p_job_id text, p_completed_at timestamptz) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
  latest date := (now() AT TIME ZONE 'UTC')::date + lim.latest_days_ahead;
  latest_end timestamptz := (latest + 1)::timestamp AT TIME ZONE 'UTC';
BEGIN
  IF lim.id IS NULL THEN
    RETURN 'realtime.input_limits is empty, so no marker can be checked: run the migrations (they fill it)';
  ELSIF p_run_date IS NULL THEN
    RETURN 'run_date is missing: give the UTC day the marker completes, e.g. 2026-11-26';
  ELSIF NOT isfinite(p_run_date) OR p_run_date < lim.earliest_date OR p_run_date > latest THEN
    RETURN format('run_date %s is out of range: give a day from %s to %s (tomorrow, UTC)', p_run_date, lim.earliest_date, latest);
  ELSIF p_row_count IS NULL THEN
    RETURN 'row_count is missing: give the number of events of the day the job wrote';
  ELSIF p_row_count < 0 OR p_row_count > lim.max_count THEN
    RETURN format('row_count %s is out of range: give a whole number from 0 to %s', p_row_count, lim.max_count);
  ELSIF p_watermark IS NULL THEN
    RETURN 'watermark is missing: give the event-time watermark that closed the day (at or after its end)';
  ELSIF NOT isfinite(p_watermark) OR p_watermark > latest_end THEN
    RETURN format('the watermark %s is not a time before the end of %s (UTC): give the event-time watermark that closed the day',
                  p_watermark, latest);
  ELSIF p_job_id IS NULL OR char_length(p_job_id) = 0 THEN
    RETURN 'job_id is empty: name the job that wrote the marker';
  ELSIF char_length(p_job_id) > lim.max_text_length THEN
    RETURN format('job_id is %s characters long; at most %s are allowed', char_length(p_job_id), lim.max_text_length);
  ELSIF p_job_id ~ '[\x01-\x1f\x7f-\x9f]' OR btrim(p_job_id) = '' THEN
    RETURN 'job_id is blank or contains control characters: name the job in plain text';
  ELSIF NOT isfinite(p_completed_at) OR p_completed_at > now() + interval '10 minutes'
        OR (p_completed_at < (p_run_date + 1)::timestamp AT TIME ZONE 'UTC' AND now() >= (p_run_date + 1)::timestamp AT TIME ZONE 'UTC') THEN
    RETURN format('completed_at %s is not a time between the end of %s and now: leave it out (the database sets it)', p_completed_at, p_run_date);
  END IF;
  RETURN NULL;
END $$;

-- A marker inserted by anyone (Flink's JDBC sink, a script, the CLI): its values checked against
-- the limits, then against the data; kept in the history; never an error for the writer, so a
-- streaming job is not failed by a repeat or by a value it should not have sent. A refused or
-- conflicting marker is not stored in flink_batches; it stays in the history, and `roas status`
-- shows it. Whatever the trigger did not foresee is refused the same way, with the error as the
-- reason; only a deadlock or serialization failure (which a writer retries) reaches the writer.
CREATE OR REPLACE FUNCTION realtime.flink_batches_accept() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  lim realtime.input_limits;
  why text;
  c record;
  existing realtime.flink_batches;
BEGIN
  BEGIN
    SELECT * INTO lim FROM realtime.input_limits WHERE id;
    -- What the database knows better than the writer: when it was recorded (unless given), and
    -- what the day holds (events_in_table, flag and note are always the trigger's).
    NEW.completed_at := coalesce(NEW.completed_at, now());
    why := realtime.flink_marker_input_refusal(lim, NEW.run_date, NEW.row_count, NEW.watermark, NEW.job_id, NEW.completed_at);
    IF why IS NOT NULL THEN
      PERFORM realtime.flink_marker_refused(lim, NEW, NULL, why);
      RETURN NULL;
    END IF;
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
      PERFORM realtime.flink_marker_refused(lim, NEW, c.events_in_table, c.refusal);
      RETURN NULL;
    END IF;
    -- A streaming job's marker may arrive before its last events are flushed (two sinks flush on
    -- their own), so fewer rows than the marker says is not flagged here: the worker opens the
    -- gate once the rows have caught up, and the daily checks compare again later. More rows than
    -- the marker (events the job did not count) is flagged at once.
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
  EXCEPTION
    WHEN serialization_failure OR deadlock_detected THEN
      RAISE;
    WHEN OTHERS THEN
      PERFORM realtime.flink_marker_refused(lim, NEW, NULL, format('the marker could not be checked (%s: %s)', SQLSTATE, SQLERRM));
      RETURN NULL;
  END;
END $$;

-- Keeps a refused marker in the history as it was sent (text clipped, an infinite date or time
-- kept only in the reason) and warns the writer's session.
CREATE OR REPLACE FUNCTION realtime.flink_marker_refused(lim realtime.input_limits, m realtime.flink_batches, events bigint, why text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  -- Without limits (the migrations did not fill them), text is cut to what a message shows.
  max_len integer := coalesce(lim.max_text_length, 40);
  reason text := realtime.clip_text(why, 2 * max_len + 200);
BEGIN
  INSERT INTO realtime.flink_batch_history (run_date, action, row_count, watermark, job_id, events_in_table, reason)
  VALUES (CASE WHEN isfinite(m.run_date) THEN m.run_date END, 'refused', m.row_count,
          CASE WHEN isfinite(m.watermark) THEN m.watermark END, realtime.clip_text(m.job_id, max_len), events, reason);
  RAISE WARNING 'Flink marker for % refused: %', coalesce(m.run_date::text, 'no date'), reason;
END $$;
REVOKE EXECUTE ON FUNCTION realtime.flink_marker_refused(realtime.input_limits, realtime.flink_batches, bigint, text) FROM PUBLIC;

-- The partition of one UTC day, made if missing (the day's rows moved out of the default
-- partition first). Only its owner calls it: through ensure_ad_events_partition and
-- maintain_ad_events_partitions, which hold their callers to the limits.
CREATE OR REPLACE FUNCTION realtime.create_ad_events_partition(day date) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  part text := format('ad_events_p%s', to_char(day, 'YYYYMMDD'));
  lo timestamptz := day::timestamp AT TIME ZONE 'UTC';
  hi timestamptz := (day + 1)::timestamp AT TIME ZONE 'UTC';
BEGIN
  IF to_regclass(format('realtime.%I', part)) IS NOT NULL THEN
    RETURN part;
  END IF;
  -- One creator at a time; the loser finds the partition made (pg_class read afresh after the lock).
  PERFORM pg_advisory_xact_lock(hashtext('realtime.ad_events partitions'));
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'realtime' AND c.relname = part) THEN
    RETURN part;
  END IF;
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
REVOKE EXECUTE ON FUNCTION realtime.create_ad_events_partition(date) FROM PUBLIC;

-- True when the session's login could create the partitions itself (it owns realtime.ad_events,
-- or is a superuser): the limits protect nothing against it, and it is not held to them.
CREATE OR REPLACE FUNCTION realtime.session_owns_events() RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT pg_has_role(session_user, c.relowner, 'MEMBER') FROM pg_catalog.pg_class c WHERE c.oid = 'realtime.ad_events'::regclass
$$;

-- For a writer (the ingest role) and the worker: a day from the earliest date to tomorrow (UTC),
-- as everywhere else.
CREATE OR REPLACE FUNCTION realtime.ensure_ad_events_partition(day date) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  lim realtime.input_limits;
  latest date;
BEGIN
  IF day IS NULL OR NOT isfinite(day) THEN
    RAISE EXCEPTION 'realtime.ensure_ad_events_partition: give a day, not %', coalesce(day::text, 'NULL') USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF NOT realtime.session_owns_events() THEN
    SELECT * INTO lim FROM realtime.input_limits WHERE id;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'realtime.input_limits is empty: run the migrations (they fill it)' USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    latest := (now() AT TIME ZONE 'UTC')::date + lim.latest_days_ahead;
    IF day < lim.earliest_date OR day > latest THEN
      RAISE EXCEPTION 'realtime.ensure_ad_events_partition: % is out of range: partitions are made for days from % to % (tomorrow, UTC)',
                      day, lim.earliest_date, latest
        USING ERRCODE = 'invalid_parameter_value',
              HINT = 'Rows of any day may still be inserted: those of a day without a partition wait in realtime.ad_events_default.';
    END IF;
  END IF;
  RETURN realtime.create_ad_events_partition(day);
END $$;

-- The maintenance (every daily run, every worker start): the partitions of `ahead` days from
-- `from_day` on, and one for every day of the limits found in the default partition (rows of a day
-- outside them stay there). `ahead` is at most partition_days_ahead for everyone; a session that
-- does not own the events gets only the days from the earliest date to partition_days_ahead days
-- past today.
CREATE OR REPLACE FUNCTION realtime.maintain_ad_events_partitions(from_day date, ahead integer DEFAULT 7)
RETURNS TABLE (day date, moved_rows bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  lim realtime.input_limits;
  owns boolean := realtime.session_owns_events();
  lo date;
  hi date;
  d date;
  n bigint;
BEGIN
  SELECT * INTO lim FROM realtime.input_limits WHERE id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'realtime.input_limits is empty: run the migrations (they fill it)' USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  IF from_day IS NULL OR NOT isfinite(from_day) OR ahead IS NULL OR ahead < 0 OR ahead > lim.partition_days_ahead THEN
    RAISE EXCEPTION 'realtime.maintain_ad_events_partitions: give a day and from 0 to % days ahead, not % and %',
                    lim.partition_days_ahead, coalesce(from_day::text, 'NULL'), coalesce(ahead::text, 'NULL')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  lo := lim.earliest_date;
  hi := (now() AT TIME ZONE 'UTC')::date + lim.partition_days_ahead;
  IF NOT owns AND from_day NOT BETWEEN lo AND hi THEN
    RAISE EXCEPTION 'realtime.maintain_ad_events_partitions: % is out of range: give a day from % to %', from_day, lo, hi
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  FOR d IN SELECT generate_series(from_day, from_day + ahead, interval '1 day')::date LOOP
    IF owns OR d BETWEEN lo AND hi THEN
      PERFORM realtime.create_ad_events_partition(d);
    END IF;
  END LOOP;
  FOR d, n IN
    SELECT (event_time AT TIME ZONE 'UTC')::date, count(*) FROM realtime.ad_events_default
    WHERE event_time >= lo::timestamp AT TIME ZONE 'UTC' AND event_time < (hi + 1)::timestamp AT TIME ZONE 'UTC'
    GROUP BY 1 ORDER BY 1
  LOOP
    PERFORM realtime.create_ad_events_partition(d);
    day := d;
    moved_rows := n;
    RETURN NEXT;
  END LOOP;
END $$;

-- A correction (`roas flink-complete --replace`, as the orchestrator) changes a stored marker
-- with an UPDATE, which the insert trigger does not see: it is held to the same limits, and one
-- that breaks them fails (a person runs it, and is told why; no streaming writer updates).
CREATE OR REPLACE FUNCTION realtime.flink_batches_check_update() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  lim realtime.input_limits;
  why text;
BEGIN
  SELECT * INTO lim FROM realtime.input_limits WHERE id;
  why := realtime.flink_marker_input_refusal(lim, NEW.run_date, NEW.row_count, NEW.watermark, NEW.job_id, NEW.completed_at);
  IF why IS NOT NULL THEN
    RAISE EXCEPTION 'realtime.flink_batches: this marker cannot be right: %', why USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS flink_batches_check_update ON realtime.flink_batches;
CREATE TRIGGER flink_batches_check_update BEFORE UPDATE ON realtime.flink_batches
  FOR EACH ROW EXECUTE FUNCTION realtime.flink_batches_check_update();
