# The benchmark's Airflow settings, sourced by install.sh (the benchmark passes the same
# variables itself): home under .local, SQLite metadata database and the SequentialExecutor
# (Airflow's defaults for SQLite), this repository's DAG folder, no example DAGs.
_roas_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export AIRFLOW_HOME="$_roas_root/.local/airflow-home"
export AIRFLOW__CORE__DAGS_FOLDER="$_roas_root/bench/airflow/dags"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__EXECUTOR=SequentialExecutor
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="sqlite:///$AIRFLOW_HOME/airflow.db"
unset _roas_root
