#!/usr/bin/env python3
"""The reference Flink job of the marketing ROAS pipeline (PyFlink, Flink SQL).

Reads ad events from CSV files (the filesystem connector, watching a directory for new files),
with an event-time watermark on event_time (bounded out-of-orderness), and

  * writes every event into realtime.ad_events (JDBC sink, append-only, at-least-once: the sink
    has no primary key, so a restart from a checkpoint may write an event again; dbt's staging
    de-duplicates on event_id);
  * when the watermark passes the end of a UTC day, writes that day's completion marker, one row
    into realtime.flink_batches (run_date, row_count, watermark, job_id): a daily tumbling
    event-time window counting the day's events. row_count is what the window counted (repeated
    deliveries in the input included); events that arrive after the watermark passed their day
    are late: they are still written to realtime.ad_events, but are not in the marker's count.

ingested_at is the processing time at which the job handled the event (CURRENT_TIMESTAMP, taken
per row in streaming mode; the JDBC sink writes it at most --flush-interval later), unless
--ingested-at source keeps the input's ingested_at column.

The job is a streaming job: it keeps watching --input for new files and runs until it is
cancelled (Ctrl-C locally, `flink cancel` on a cluster). A day's marker is written only when
events of a later day move the watermark past the day's end.

Run locally (PyFlink's embedded mini-cluster; jars from flink/install.sh):
    .local/flink/venv/bin/python flink/ad_events_job.py --input DIR \
        --jdbc-url jdbc:postgresql://127.0.0.1:54320/marketing_roas --db-user roas
Submit to a cluster: the client plans the SQL, so it must see the connector jars too. Either
ship them as pipeline.jars (--jars DIR or 'a.jar;b.jar'), or put them in the image's
/opt/flink/lib on the JobManager and TaskManagers and pass --jars none. (`flink run -j x.jar`
alone is not enough: the JDBC connector looks up its PostgreSQL dialect at planning time and
does not find it there.)
    flink run -d -py flink/ad_events_job.py --jars none --detached \
        --input /data/ad-events --jdbc-url jdbc:postgresql://postgres:5432/marketing_roas \
        --db-user roas --db-password "$PGPASSWORD"
The TaskManagers read --input, so it must be a path they all see (a shared volume, S3, …).
"""

import argparse
import glob
import os
import re
import sys
import urllib.parse

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_JAR_DIR = os.path.join(REPO_ROOT, ".local", "flink", "lib")
DEFAULT_JOB_ID = "roas-ad-events"

COLUMNS = [
    ("event_id", "STRING"),
    ("event_type", "STRING"),
    ("event_time", "TIMESTAMP_LTZ(3)"),
    ("campaign_id", "STRING"),
    ("ad_group_id", "STRING"),
    ("channel", "STRING"),
    ("device", "STRING"),
    ("cost_micros", "BIGINT"),
    ("revenue_micros", "BIGINT"),
    ("currency", "STRING"),
    ("ingested_at", "TIMESTAMP_LTZ(3)"),
]


def env(name, default=None):
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def secret(name):
    """A secret from NAME, or from the file NAME_FILE names (a Docker secret), not both."""
    value, file = env(name), env(name + "_FILE")
    if value is not None and file is not None:
        raise SystemExit(f"{name} and {name}_FILE are both set: keep one (the _FILE one for a Docker secret)")
    if file is None:
        return value
    try:
        with open(file, encoding="utf-8") as f:
            content = f.read().strip()
    except OSError as error:
        raise SystemExit(f"{name}_FILE names {file}, which cannot be read ({error.strerror}): mount the secret there")
    if not content:
        raise SystemExit(f"{name}_FILE names {file}, which is empty: write the password into it")
    return content


def jdbc_from_database_url(url):
    """postgres://user:password@host:port/db?… → (jdbc url, user, password)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ValueError(f"expected a postgres:// URL, got {url!r}")
    host = parts.hostname or "localhost"
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    query = f"?{parts.query}" if parts.query else ""
    jdbc = f"jdbc:postgresql://{host}{port}{parts.path or '/'}{query}"
    user = urllib.parse.unquote(parts.username) if parts.username else None
    password = urllib.parse.unquote(parts.password) if parts.password else None
    return jdbc, user, password


def number_at_least(convert, minimum, what):
    """An argparse type: `convert` the text, and refuse it below `minimum`, naming `what` it must be."""
    def parse(text):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected {what} >= {minimum}, got {text!r}")
        return value
    return parse


positive_seconds = number_at_least(float, 0, "seconds")
positive_int = number_at_least(int, 1, "a whole number")


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="ad_events_job.py",
        description=(
            "Flink job: ad events from CSV files into realtime.ad_events, and one marker row per "
            "UTC day into realtime.flink_batches when the event-time watermark passes the day's end. "
            "Every option can also be given by the environment variable named in its help."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--input", default=env("FLINK_INPUT_PATH"),
                   help="directory (or file) of CSV files to read; new files are picked up while the job runs "
                        "(files whose names start with '.' or '_' are ignored) [FLINK_INPUT_PATH]")
    p.add_argument("--jdbc-url", default=env("FLINK_JDBC_URL"),
                   help="jdbc:postgresql://host:port/database [FLINK_JDBC_URL]; default: from --database-url")
    p.add_argument("--database-url", default=env("DATABASE_URL"),
                   help="postgres://user:password@host:port/database, used when --jdbc-url is not given [DATABASE_URL]")
    p.add_argument("--db-user", default=env("FLINK_JDBC_USER", env("PGUSER")),
                   help="database user [FLINK_JDBC_USER, PGUSER]; default: from --database-url, else roas")
    # Read from the environment after parsing, so --help never prints it.
    p.add_argument("--db-password", default=None,
                   help="database password [FLINK_JDBC_PASSWORD or FLINK_JDBC_PASSWORD_FILE, PGPASSWORD]; none for trust auth")
    p.add_argument("--job-id", default=env("FLINK_JOB_ID", DEFAULT_JOB_ID),
                   help="the job's stable name: Flink's pipeline.name and the markers' job_id [FLINK_JOB_ID]")
    p.add_argument("--parallelism", type=positive_int, default=int(env("FLINK_PARALLELISM", "1")),
                   help="default parallelism of the job's operators [FLINK_PARALLELISM]")
    p.add_argument("--out-of-orderness", type=positive_seconds, default=float(env("FLINK_OUT_OF_ORDERNESS", "5")),
                   help="seconds the watermark trails the largest event_time seen: how late an event may "
                        "arrive and still be counted in its day's marker [FLINK_OUT_OF_ORDERNESS]")
    p.add_argument("--monitor-interval", type=positive_seconds, default=float(env("FLINK_MONITOR_INTERVAL", "1")),
                   help="seconds between looks at --input for new files [FLINK_MONITOR_INTERVAL]")
    p.add_argument("--idle-timeout", type=positive_seconds, default=float(env("FLINK_IDLE_TIMEOUT", "5")),
                   help="seconds after which a source subtask without new rows no longer holds the watermark "
                        "back (0: never) [FLINK_IDLE_TIMEOUT]")
    p.add_argument("--checkpoint-interval", type=positive_seconds, default=float(env("FLINK_CHECKPOINT_INTERVAL", "10")),
                   help="seconds between checkpoints; the JDBC sinks flush on each [FLINK_CHECKPOINT_INTERVAL]")
    p.add_argument("--flush-interval", type=positive_seconds, default=float(env("FLINK_FLUSH_INTERVAL", "0.2")),
                   help="seconds the ad_events sink may hold rows before writing them [FLINK_FLUSH_INTERVAL]")
    p.add_argument("--flush-rows", type=positive_int, default=int(env("FLINK_FLUSH_ROWS", "2000")),
                   help="rows per JDBC batch of the ad_events sink [FLINK_FLUSH_ROWS]")
    p.add_argument("--ingested-at", choices=("processing", "source"), default=env("FLINK_INGESTED_AT", "processing"),
                   help="ingested_at written: the job's processing time, or the input's ingested_at column [FLINK_INGESTED_AT]")
    p.add_argument("--restart-attempts", type=int, default=int(env("FLINK_RESTART_ATTEMPTS", "3")),
                   help="restarts after a failure before the job fails [FLINK_RESTART_ATTEMPTS]")
    p.add_argument("--restart-delay", type=positive_seconds, default=float(env("FLINK_RESTART_DELAY", "5")),
                   help="seconds between restarts [FLINK_RESTART_DELAY]")
    p.add_argument("--jars", default=env("FLINK_JARS", DEFAULT_JAR_DIR),
                   help="the JDBC connector and PostgreSQL driver jars for pipeline.jars: a directory, or a "
                        "';'-separated list of jar files or file:// URLs; 'none' when the cluster already has "
                        "them (/opt/flink/lib, or flink run -j) [FLINK_JARS]")
    p.add_argument("--detached", action="store_true", default=env("FLINK_DETACHED") == "1",
                   help="submit the job and return without waiting for it (for flink run -d) [FLINK_DETACHED=1]")
    p.add_argument("--explain", action="store_true", help="print the job's plan and exit without running it")
    args = p.parse_args(argv)

    if args.db_password is None:
        args.db_password = secret("FLINK_JDBC_PASSWORD")
        if args.db_password is None:
            args.db_password = env("PGPASSWORD")
    if not args.input:
        p.error("--input (or FLINK_INPUT_PATH) is required")
    if not args.jdbc_url:
        if not args.database_url:
            p.error("--jdbc-url or --database-url (or FLINK_JDBC_URL / DATABASE_URL) is required")
        try:
            jdbc, user, password = jdbc_from_database_url(args.database_url)
        except ValueError as e:
            p.error(str(e))
        args.jdbc_url = jdbc
        args.db_user = args.db_user or user
        args.db_password = args.db_password if args.db_password is not None else password
    if not args.jdbc_url.startswith("jdbc:postgresql:"):
        p.error(f"--jdbc-url must start with jdbc:postgresql:, got {args.jdbc_url!r}")
    args.db_user = args.db_user or "roas"
    return args


def jar_urls(spec):
    if not spec or spec.lower() == "none":
        return []
    if os.path.isdir(spec):
        jars = sorted(glob.glob(os.path.join(spec, "*.jar")))
        if not jars:
            raise SystemExit(f"ad_events_job: no jars in {spec}: run flink/install.sh first (or pass --jars none on a cluster that has them)")
    else:
        jars = [j for j in spec.split(";") if j]
    urls = []
    for jar in jars:
        if re.match(r"^[a-z]+://", jar):
            urls.append(jar)
            continue
        if not os.path.isfile(jar):
            raise SystemExit(f"ad_events_job: jar not found: {jar}")
        urls.append("file://" + os.path.abspath(jar))
    return urls


def sql_string(value):
    return "'" + str(value).replace("'", "''") + "'"


def with_options(options):
    return ",\n  ".join(f"{sql_string(k)} = {sql_string(v)}" for k, v in options.items())


def millis(seconds):
    return f"{int(round(seconds * 1000))} ms"


def sink_url(jdbc_url, user_in_url):
    """The JDBC URL the sinks use: stringtype=unspecified (text parameters are typed by the
    server, see utc_text), and the user when there is no password (the connector takes a
    username only together with a password; trust auth has none)."""
    extra = {"stringtype": "unspecified"}
    if user_in_url:
        extra["user"] = user_in_url
    url = jdbc_url
    for key, value in extra.items():
        if not re.search(rf"[?&]{key}=", url):
            url += ("&" if "?" in url else "?") + f"{key}={urllib.parse.quote(value)}"
    return url


def utc_text(expression):
    """A TIMESTAMP_LTZ as PostgreSQL timestamptz text, e.g. 2026-11-20 13:45:12.345+00 (the session zone is UTC)."""
    if not expression.startswith(("`", "CURRENT")):
        expression = f"`{expression}`"
    return f"DATE_FORMAT({expression}, 'yyyy-MM-dd HH:mm:ss.SSS') || '+00'"


def statements(args):
    """The job's DDL and its two INSERTs, as SQL text."""
    jdbc = {"connector": "jdbc", "url": sink_url(args.jdbc_url, None if args.db_password else args.db_user)}
    if args.db_password:
        jdbc.update({"username": args.db_user, "password": args.db_password})

    source_columns = ",\n  ".join(
        f"`{'source_ingested_at' if name == 'ingested_at' else name}` {type_}" for name, type_ in COLUMNS
    )
    out_of_orderness_ms = int(round(args.out_of_orderness * 1000))
    source_options = {
        "connector": "filesystem",
        "path": os.path.abspath(args.input) if "://" not in args.input else args.input,
        "format": "csv",
        # A streaming source: new files in the directory are read as they appear.
        "source.monitor-interval": millis(max(args.monitor_interval, 0.1)),
    }
    source = f"""CREATE TEMPORARY TABLE ad_events_source (
  {source_columns},
  WATERMARK FOR `event_time` AS `event_time` - INTERVAL '{out_of_orderness_ms / 1000:.3f}' SECOND
) WITH (
  {with_options(source_options)}
)"""

    # Timestamps and the date reach PostgreSQL as text with an explicit UTC offset, cast by the
    # server (the URL says stringtype=unspecified): the JDBC connector has no TIMESTAMP_LTZ
    # support, and its TIMESTAMP would be read in the TaskManager JVM's time zone.
    sink_columns = ",\n  ".join(
        f"`{name}` {'STRING' if type_.startswith('TIMESTAMP') else type_}" for name, type_ in COLUMNS
    )
    events_sink = f"""CREATE TEMPORARY TABLE ad_events_sink (
  {sink_columns}
) WITH (
  {with_options({**jdbc,
                  "table-name": "realtime.ad_events",
                  "sink.buffer-flush.max-rows": str(args.flush_rows),
                  "sink.buffer-flush.interval": millis(args.flush_interval),
                  "sink.max-retries": "3"})}
)"""
    # No primary key: plain INSERTs. A repeated marker of a day is the database's to absorb.
    marker_sink = f"""CREATE TEMPORARY TABLE flink_batches_sink (
  `run_date` STRING,
  `row_count` BIGINT,
  `watermark` STRING,
  `job_id` STRING
) WITH (
  {with_options({**jdbc,
                  "table-name": "realtime.flink_batches",
                  "sink.buffer-flush.max-rows": "1",
                  "sink.buffer-flush.interval": "0 ms",
                  "sink.max-retries": "3"})}
)"""

    ingested = "CURRENT_TIMESTAMP" if args.ingested_at == "processing" else "`source_ingested_at`"
    select_columns = ",\n  ".join(
        f"{utc_text(name)} AS `{name}`" if type_.startswith("TIMESTAMP") else f"`{name}`"
        for name, type_ in COLUMNS if name != "ingested_at"
    )
    insert_events = f"""INSERT INTO ad_events_sink
SELECT
  {select_columns},
  {utc_text(ingested)} AS `ingested_at`
FROM ad_events_source"""

    # The session time zone is UTC, so the daily windows are UTC days and window_start /
    # window_end are UTC wall-clock times.
    insert_marker = f"""INSERT INTO flink_batches_sink
SELECT
  DATE_FORMAT(window_start, 'yyyy-MM-dd') AS `run_date`,
  COUNT(*) AS `row_count`,
  DATE_FORMAT(window_end, 'yyyy-MM-dd HH:mm:ss.SSS') || '+00' AS `watermark`,
  {sql_string(args.job_id)} AS `job_id`
FROM TABLE(TUMBLE(TABLE ad_events_source, DESCRIPTOR(`event_time`), INTERVAL '1' DAY))
GROUP BY window_start, window_end"""
    return [source, events_sink, marker_sink], [insert_events, insert_marker]


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    jars = jar_urls(args.jars)

    # The embedded mini-cluster's log (PyFlink writes it under its own package otherwise).
    os.environ.setdefault("FLINK_LOG_DIR", os.path.join(REPO_ROOT, ".local", "flink", "log"))
    from pyflink.table import EnvironmentSettings, TableEnvironment

    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    conf = t_env.get_config()
    conf.set("pipeline.name", args.job_id)
    conf.set("table.local-time-zone", "UTC")
    conf.set("parallelism.default", str(args.parallelism))
    # A failure (say, the database is down) is retried a few times, then fails the job, rather
    # than restarting forever.
    conf.set("restart-strategy.type", "fixed-delay")
    conf.set("restart-strategy.fixed-delay.attempts", str(args.restart_attempts))
    conf.set("restart-strategy.fixed-delay.delay", millis(args.restart_delay))
    if args.checkpoint_interval > 0:
        conf.set("execution.checkpointing.interval", millis(args.checkpoint_interval))
        conf.set("execution.checkpointing.mode", "AT_LEAST_ONCE")
    # A source subtask that has read all its files has nothing to say about event time: after
    # this long without rows it no longer holds the watermark (of the other subtasks) back.
    conf.set("table.exec.source.idle-timeout", millis(args.idle_timeout))
    if jars:
        conf.set("pipeline.jars", ";".join(jars))

    ddl, inserts = statements(args)
    for stmt in ddl:
        t_env.execute_sql(stmt)
    statement_set = t_env.create_statement_set()
    for stmt in inserts:
        statement_set.add_insert_sql(stmt)

    if args.explain:
        print(statement_set.explain())
        return 0

    result = statement_set.execute()
    client = result.get_job_client()
    job_id = client.get_job_id() if client is not None else None
    print(f"ad_events_job: submitted {args.job_id} (Flink job {job_id}) reading {args.input}", flush=True)
    if args.detached:
        return 0
    # A streaming job: this returns only if the job fails or is cancelled.
    result.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
