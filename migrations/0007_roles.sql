-- One database role per job, each allowed what its job needs and nothing more. Roles belong to
-- the whole cluster (every database on it sees the same ones), so they are made only when
-- missing, never altered when they exist (an operator's password stays), and never dropped;
-- what each may do is granted here, in this database only.
--
-- Their names start with the prefix the migrator sets as roas.role_prefix (ROAS_DB_ROLE_PREFIX,
-- default roas):
--   <prefix>_ingest           LOGIN  Flink and the event generator: INSERT into realtime.ad_events
--                                    and realtime.flink_batches; nothing else anywhere.
--   <prefix>_analytics_owner  NOLOGIN owns what dbt builds in analytics and analytics_audit; reads
--                                    realtime. dbt sets this role after connecting, so the tables
--                                    it makes belong to it, whichever login made them.
--   <prefix>_transform        LOGIN  dbt and the publish step: a member of <prefix>_analytics_owner.
--   <prefix>_orchestrator     LOGIN  the worker's ledger and alerts (orchestrator), its checks
--                                    (reads realtime and analytics), the Flink markers it records.
--   <prefix>_reporting        LOGIN  the report, the dashboard, analysts: reads published
--                                    analytics, orchestrator, and the Flink markers.
-- The migrator (the owner, DATABASE_URL) keeps everything else. No password is set here: the
-- LOGIN roles are made without one, and the operator (or `node dist/worker.mjs --migrate`, from
-- the passwords in the components' URLs) sets them.
DO $roles$
DECLARE
  prefix text := coalesce(nullif(current_setting('roas.role_prefix', true), ''), 'roas');
  ingest text := prefix || '_ingest';
  owner_role text := prefix || '_analytics_owner';
  transform text := prefix || '_transform';
  orchestrator text := prefix || '_orchestrator';
  reporting text := prefix || '_reporting';
  r record;
BEGIN
  IF prefix !~ '^[a-z][a-z0-9_]{0,40}$' THEN
    RAISE EXCEPTION 'roas.role_prefix % is not a lower-case name (letters, digits, _)', prefix;
  END IF;

  -- Made when missing. Two databases of one cluster migrated at once (the test suite) may both
  -- try: the loser's duplicate is ignored.
  FOR r IN SELECT * FROM (VALUES (ingest, true), (owner_role, false), (transform, true), (orchestrator, true), (reporting, true)) AS v(name, login)
  LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r.name) THEN
      BEGIN
        EXECUTE format('CREATE ROLE %I %s NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS',
                       r.name, CASE WHEN r.login THEN 'LOGIN' ELSE 'NOLOGIN' END);
      EXCEPTION WHEN duplicate_object OR unique_violation THEN
        NULL;
      END;
    END IF;
  END LOOP;
  -- dbt's login acts as the owner of what it builds; the migrator must be able to hand existing
  -- tables to that owner and set its default privileges.
  BEGIN
    EXECUTE format('GRANT %I TO %I', owner_role, transform);
  EXCEPTION WHEN unique_violation THEN
    NULL;
  END;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = current_user AND rolsuper) THEN
    BEGIN
      EXECUTE format('GRANT %I TO %I', owner_role, current_user);
    EXCEPTION WHEN unique_violation THEN
      NULL;
    END;
  END IF;

  -- realtime: events and markers. The ingest role only ever inserts; dbt and the orchestrator
  -- read; the reporting role reads the markers (the dashboard shows them), never the events.
  EXECUTE format('GRANT USAGE ON SCHEMA realtime TO %I, %I, %I, %I', ingest, owner_role, orchestrator, reporting);
  EXECUTE format('GRANT INSERT ON realtime.ad_events, realtime.flink_batches TO %I', ingest);
  EXECUTE format('GRANT SELECT ON realtime.ad_events, realtime.flink_batches TO %I, %I', owner_role, orchestrator);
  -- `roas flink-complete` runs as the orchestrator: it records a marker, and --replace corrects
  -- one and says so in the history. It may not write events.
  EXECUTE format('GRANT INSERT, UPDATE ON realtime.flink_batches TO %I', orchestrator);
  EXECUTE format('GRANT SELECT, INSERT ON realtime.flink_batch_history TO %I', orchestrator);
  EXECUTE format('GRANT USAGE ON SEQUENCE realtime.flink_batch_history_id_seq TO %I', orchestrator);
  EXECUTE format('GRANT SELECT ON realtime.flink_batches, realtime.flink_batch_history TO %I', reporting);
  -- Partitions are made by their function (as the owner), for writers and the daily maintenance.
  REVOKE EXECUTE ON FUNCTION realtime.ensure_ad_events_partition(date) FROM PUBLIC;
  REVOKE EXECUTE ON FUNCTION realtime.maintain_ad_events_partitions(date, integer) FROM PUBLIC;
  EXECUTE format('GRANT EXECUTE ON FUNCTION realtime.ensure_ad_events_partition(date) TO %I, %I', ingest, orchestrator);
  EXECUTE format('GRANT EXECUTE ON FUNCTION realtime.maintain_ad_events_partitions(date, integer) TO %I', orchestrator);

  -- analytics and analytics_audit: dbt's. What exists now is handed to the owner role (dbt
  -- drops, replaces and attaches these tables, which takes their owner).
  EXECUTE format('GRANT USAGE, CREATE ON SCHEMA analytics, analytics_audit TO %I', owner_role);
  FOR r IN
    SELECT n.nspname, c.relname, c.relkind FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname IN ('analytics', 'analytics_audit') AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
  LOOP
    EXECUTE format('ALTER %s %I.%I OWNER TO %I',
                   CASE r.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
                   r.nspname, r.relname, owner_role);
  END LOOP;
  -- Published tables are read by the orchestrator's checks and by readers; the days under
  -- audit are not (no grant on analytics_audit). Tables dbt makes later get the same reads.
  EXECUTE format('GRANT USAGE ON SCHEMA analytics TO %I, %I', orchestrator, reporting);
  EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA analytics TO %I, %I', orchestrator, reporting);
  EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA analytics GRANT SELECT ON TABLES TO %I, %I', owner_role, orchestrator, reporting);

  -- orchestrator: the ledger and the alerts, the orchestrator's to write (never to delete) and
  -- readers' to read; the same for tables later migrations add there.
  EXECUTE format('GRANT USAGE ON SCHEMA orchestrator TO %I, %I', orchestrator, reporting);
  EXECUTE format('GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA orchestrator TO %I', orchestrator);
  EXECUTE format('GRANT USAGE ON ALL SEQUENCES IN SCHEMA orchestrator TO %I', orchestrator);
  EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA orchestrator TO %I', reporting);
  EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA orchestrator GRANT SELECT, INSERT, UPDATE ON TABLES TO %I', orchestrator);
  EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA orchestrator GRANT USAGE ON SEQUENCES TO %I', orchestrator);
  EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA orchestrator GRANT SELECT ON TABLES TO %I', reporting);
END $roles$;

-- Functions that make partitions run as their owner (the roles calling them may not create
-- tables in realtime), with a search path nobody else can put objects on.
ALTER FUNCTION realtime.ensure_ad_events_partition(date) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION realtime.maintain_ad_events_partitions(date, integer) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
-- The marker trigger checks the day and writes the history as its owner: a writer of markers
-- (Flink's role) may neither read the history nor write it directly.
ALTER FUNCTION realtime.flink_batches_accept() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
-- Inside the trigger current_user is the owner: the history names the session's login instead.
ALTER TABLE realtime.flink_batch_history
  ALTER COLUMN recorded_by SET DEFAULT coalesce(nullif(current_setting('application_name', true), ''), session_user);
