"""Publishes one audited day, as the worker's publishDay activity does, for the Airflow DAG.

The same transaction as activities/dbt/publish.ts: every audited table of the step's models for
the date (found by the comment the audited_day materialization leaves on it) replaces that day's
partition of its published table, all in one transaction, in one order. Run with the project's
dbt venv (it has psycopg2):
    .venv/bin/python bench/airflow/publish_day.py --date 2026-01-10 --tag daily_run
Connection: DATABASE_URL (postgres://user:password@host:port/database).
"""

import argparse
import json
import os
import sys
import time
from urllib.parse import unquote, urlparse

import psycopg2
from psycopg2 import sql

AUDIT_SCHEMA = "analytics_audit"


def connect(url):
    u = urlparse(url)
    return psycopg2.connect(
        host=u.hostname or "127.0.0.1",
        port=u.port or 5432,
        user=unquote(u.username or "roas"),
        password=unquote(u.password or ""),
        dbname=(u.path or "/marketing_roas").lstrip("/"),
        application_name="roas-airflow-publish",
    )


def audited_days(cur, schema, run_date, tag):
    cur.execute(
        """SELECT c.relname, n.nspname, obj_description(c.oid, 'pg_class')
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE c.relkind = 'r' AND c.relname LIKE %s AND (n.nspname = %s OR (%s IS NULL AND n.nspname <> %s))""",
        ("%\\_p" + run_date.replace("-", ""), schema, schema, AUDIT_SCHEMA),
    )
    days = []
    for relname, nspname, comment in cur.fetchall():
        try:
            meta = json.loads(comment) if comment and comment.startswith("{") else None
        except ValueError:
            meta = None
        if not meta or meta.get("run_date") != run_date or tag not in meta.get("tags", []):
            continue
        if schema is None and nspname != meta.get("schema"):
            continue
        days.append((relname, meta))
    return days


def publish(url, run_date, tag, lock_timeout_ms=60_000):
    started = time.monotonic()
    conn = connect(url)
    try:
        with conn, conn.cursor() as cur:  # one transaction, committed at the end of the block
            cur.execute(f"SET LOCAL lock_timeout = {int(lock_timeout_ms)}")
            audited = audited_days(cur, AUDIT_SCHEMA, run_date, tag)
            if not audited:
                if audited_days(cur, None, run_date, tag):
                    return {"runDate": run_date, "alreadyPublished": True}
                raise SystemExit(f"No audited day of the models tagged {tag} exists for {run_date}: nothing to publish.")
            replaced = []
            for relname, meta in sorted(audited, key=lambda d: d[0]):
                parent = sql.SQL("{}.{}").format(sql.Identifier(meta["schema"]), sql.Identifier(meta["model"]))
                partition = sql.SQL("{}.{}").format(sql.Identifier(meta["schema"]), sql.Identifier(relname))
                partition_text = f'"{meta["schema"]}"."{relname}"'
                parent_text = f'"{meta["schema"]}"."{meta["model"]}"'
                cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"{AUDIT_SCHEMA}.{relname}",))
                cur.execute(
                    """SELECT to_regclass(%s) IS NOT NULL,
                              EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = to_regclass(%s) AND inhparent = to_regclass(%s))""",
                    (partition_text, partition_text, parent_text),
                )
                exists, attached = cur.fetchone()
                if exists:
                    if attached:
                        cur.execute(sql.SQL("ALTER TABLE {} DETACH PARTITION {}").format(parent, partition))
                    cur.execute(sql.SQL("DROP TABLE {}").format(partition))
                    replaced.append(f"{meta['schema']}.{meta['model']}")
                cur.execute(sql.SQL("ALTER TABLE {}.{} RESET (autovacuum_enabled)").format(sql.Identifier(AUDIT_SCHEMA), sql.Identifier(relname)))
                cur.execute(
                    sql.SQL("ALTER TABLE {}.{} SET SCHEMA {}").format(
                        sql.Identifier(AUDIT_SCHEMA), sql.Identifier(relname), sql.Identifier(meta["schema"])
                    )
                )
                cur.execute(sql.SQL("ALTER TABLE {} ATTACH PARTITION {} FOR VALUES IN ({})").format(parent, partition, sql.Literal(run_date)))
            return {
                "runDate": run_date,
                "models": [f"{m['schema']}.{m['model']}" for _, m in audited],
                "replaced": replaced,
                "milliseconds": round(1000 * (time.monotonic() - started)),
            }
    finally:
        conn.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--date", required=True)
    parser.add_argument("--tag", default="daily_run")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "postgres://roas@127.0.0.1:54320/marketing_roas")
    print(json.dumps(publish(url, args.date, args.tag)))


if __name__ == "__main__":
    sys.exit(main())
