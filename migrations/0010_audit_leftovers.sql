-- A day's table in analytics_audit left behind by anyone (dbt run by hand as the owner login, an
-- operator's experiment) must never stop the next build of that day. dbt builds as the owner of
-- analytics (<prefix>_analytics_owner), which cannot drop a table another role owns; this
-- function, run as the owner of the schema, drops the day's table whoever made it, so the
-- build makes it again as its own. It drops only tables of analytics_audit named
-- <model>_pYYYYMMDD: what dbt rebuilds at the start of every build of that day anyway.
CREATE OR REPLACE FUNCTION analytics_audit.drop_audited_day(identifier text) RETURNS boolean
LANGUAGE plpgsql AS $fn$
DECLARE
  kind "char";
BEGIN
  IF identifier IS NULL OR length(identifier) > 63 OR identifier !~ '_p[0-9]{8}$' THEN
    RAISE EXCEPTION 'analytics_audit.drop_audited_day: "%" is not the name of a model''s day (<model>_pYYYYMMDD)', left(coalesce(identifier, 'NULL'), 80)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT c.relkind INTO kind
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = 'analytics_audit' AND c.relname = identifier;
  IF kind IS NULL THEN
    RETURN false;
  END IF;
  IF kind NOT IN ('r', 'p') THEN
    RAISE EXCEPTION 'analytics_audit.% is not a table (relkind %): drop it by hand', identifier, kind
      USING ERRCODE = 'wrong_object_type';
  END IF;
  EXECUTE format('DROP TABLE analytics_audit.%I', identifier);
  RETURN true;
END
$fn$ SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION analytics_audit.drop_audited_day(text) IS
  'Drops a model''s day table (<model>_pYYYYMMDD) in analytics_audit whoever owns it; dbt calls it before building the day.';

DO $grant$
DECLARE
  owner_role text := coalesce(nullif(current_setting('roas.role_prefix', true), ''), 'roas') || '_analytics_owner';
BEGIN
  REVOKE EXECUTE ON FUNCTION analytics_audit.drop_audited_day(text) FROM PUBLIC;
  EXECUTE format('GRANT EXECUTE ON FUNCTION analytics_audit.drop_audited_day(text) TO %I', owner_role);
END $grant$;
