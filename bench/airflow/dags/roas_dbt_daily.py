"""The daily dbt run as a plain Airflow DAG, for the side-by-side benchmark (npm run bench:airflow).

Two BashOperators, as an Airflow deployment of this project would have them:
  dbt_build  the same dbt command line, environment and selection the worker's build step runs
             (activities/dbt/activities.ts, runner.ts): `dbt build --select tag:daily_run
             --indirect-selection cautious --exclude test_type:unit`, the run date in
             ROAS_RUN_DATE, the artifacts in a folder of their own per run, dbt started from one
             saved parse (DBT_PARTIAL_PARSE_FILE_PATH, made once by `dbt parse`, as the worker does
             at start), 4 threads. A plain `dbt` process: nothing is kept warm between runs.
  publish    the same publish transaction as the worker's publishDay activity
             (bench/airflow/publish_day.py), only after dbt_build succeeded.
What the worker does besides and this DAG does not: the run ledger, the Flink gate (a day already
complete here), the SLA timer, alerts, retries by failure class.

The run date is the DAG run's logical date (`airflow dags test roas_dbt_daily 2026-01-10`).
Settings from the environment: DATABASE_URL (dbt's and publishing's connection, as the worker's:
the transform login), ROAS_DBT_OWNER_ROLE (the role dbt builds as, the owner of analytics, made
the session's role through libpq's PGOPTIONS as the worker's runner does; none by default),
ROAS_DBT_THREADS (4),
ROAS_AIRFLOW_ARTIFACTS (where each run's dbt target folders go; .local/airflow-home/dbt-artifacts).
"""

import os
import shlex
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from airflow import DAG
from airflow.operators.bash import BashOperator

ROOT = Path(__file__).resolve().parents[3]
PROJECT_DIR = ROOT / "dbt"
DBT = ROOT / ".venv" / "bin" / "dbt"
PYTHON = ROOT / ".venv" / "bin" / "python"
ARTIFACTS = Path(os.environ.get("ROAS_AIRFLOW_ARTIFACTS", ROOT / ".local" / "airflow-home" / "dbt-artifacts"))
SHARED_PARSE = ARTIFACTS / "parse" / "partial_parse.msgpack"
DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://roas@127.0.0.1:54320/marketing_roas")


def dbt_connection_env(url):
    """DBT_PG_* from DATABASE_URL, as the worker's runner sets them (dbt/profiles.yml reads them)."""
    u = urlparse(url)
    return {
        "DBT_PG_HOST": u.hostname or "127.0.0.1",
        "DBT_PG_PORT": str(u.port or 5432),
        "DBT_PG_USER": unquote(u.username or "roas"),
        "DBT_PG_PASSWORD": unquote(u.password or ""),
        "DBT_PG_DBNAME": (u.path or "/marketing_roas").lstrip("/"),
        # The URL's sslmode, as the worker's.
        "DBT_PG_SSLMODE": parse_qs(u.query).get("sslmode", [""])[0],
        # The role dbt builds as, from the session's start (a SET ROLE would be undone by a
        # rolled-back transaction), as the worker's runner sets it.
        **({"PGOPTIONS": f"-c role={os.environ['ROAS_DBT_OWNER_ROLE']}"} if os.environ.get("ROAS_DBT_OWNER_ROLE") else {}),
    }


# One folder per run of the task (a re-run never overwrites another run's artifacts), as the
# worker's: <ROAS_AIRFLOW_ARTIFACTS>/<date>/run-<UTC start time>.
TARGET_OF_THIS_RUN = shlex.quote(str(ARTIFACTS)) + '/{{ ds }}/run-"$(date -u +%Y%m%dT%H%M%S%N)"'

DBT_ENV = {
    **dbt_connection_env(DATABASE_URL),
    "PGAPPNAME": "roas-airflow-{{ ds }}-build",
    "ROAS_RUN_DATE": "{{ ds }}",
    **({"DBT_PARTIAL_PARSE_FILE_PATH": str(SHARED_PARSE)} if SHARED_PARSE.exists() else {}),
    "DBT_THREADS": os.environ.get("ROAS_DBT_THREADS", "4"),
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "DBT_VERSION_CHECK": "false",
    "DBT_PARTIAL_PARSE": "true",
}


def _quoted(args):
    return " ".join(shlex.quote(str(a)) for a in args)


# The worker's command line, argument for argument (runner.ts, then activities.ts's selection).
DBT_BUILD = (
    f"export DBT_TARGET_PATH={TARGET_OF_THIS_RUN} && exec "
    + _quoted([DBT, "build", "--project-dir", PROJECT_DIR, "--profiles-dir", PROJECT_DIR,
               "--log-format", "json", "--log-format-file", "text", "--log-path"])
    + ' "$DBT_TARGET_PATH/logs" '
    + _quoted(["--no-use-colors", "--no-use-colors-file", "--select", "tag:daily_run",
               "--indirect-selection", "cautious", "--exclude", "test_type:unit"])
)  # fmt: skip

with DAG(
    dag_id="roas_dbt_daily",
    description="dbt build of the daily_run models and tests for the logical date, then publish the audited day",
    start_date=datetime(2026, 1, 1),
    schedule=None,
    catchup=False,
    max_active_runs=1,
    tags=["roas", "benchmark"],
) as dag:
    dbt_build = BashOperator(
        task_id="dbt_build",
        bash_command=DBT_BUILD,
        env=DBT_ENV,
        append_env=True,
        cwd=str(PROJECT_DIR),
    )
    publish = BashOperator(
        task_id="publish",
        bash_command=f"{shlex.quote(str(PYTHON))} {shlex.quote(str(ROOT / 'bench' / 'airflow' / 'publish_day.py'))} --date {{{{ ds }}}} --tag daily_run",
        env={"DATABASE_URL": DATABASE_URL},
        append_env=True,
    )
    dbt_build >> publish
