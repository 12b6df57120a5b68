#!/usr/bin/env bash
# Installs Apache Airflow 2.10.5 (bench/airflow/requirements.txt, every version pinned) into
# .local/airflow-venv and prepares its home, .local/airflow-home (SQLite metadata database,
# `airflow db migrate` once). For the side-by-side benchmark only (npm run bench:airflow);
# nothing in the orchestrator uses Airflow. Idempotent: a second run checks two stamps and exits.
#   bash bench/airflow/install.sh            PYTHON=python3.11 bash bench/airflow/install.sh
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="$root/.local/airflow-venv"
home="$root/.local/airflow-home"
requirements="$root/bench/airflow/requirements.txt"
python="${PYTHON:-python3}"

wanted="$(sha256sum "$requirements" | cut -d' ' -f1)"
stamp="$venv/.requirements.sha256"
if [[ ! -x "$venv/bin/airflow" || "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]]; then
  # Airflow 2.10 supports Python 3.8 to 3.12.
  if ! "$python" -c 'import sys; sys.exit(0 if (3, 8) <= sys.version_info[:2] <= (3, 12) else 1)'; then
    echo "Airflow 2.10 needs Python 3.8 to 3.12; $python is $("$python" --version 2>&1). Set PYTHON=python3.11 (for example)." >&2
    exit 2
  fi
  [[ -x "$venv/bin/python" ]] || "$python" -m venv "$venv"
  echo "installing Apache Airflow 2.10.5 into .local/airflow-venv (a few minutes the first time)" >&2
  "$venv/bin/python" -m pip install --disable-pip-version-check -q -r "$requirements"
  echo "$wanted" > "$stamp"
fi

# The benchmark's Airflow: its home under .local, SQLite metadata, no examples, the DAG folder
# of this repository. bench/airflow/env.sh says the same to every airflow command.
# shellcheck source=bench/airflow/env.sh
source "$root/bench/airflow/env.sh"
migrated="$home/.migrated-$("$venv/bin/airflow" version 2>/dev/null)"
if [[ ! -f "$migrated" ]]; then
  mkdir -p "$home"
  "$venv/bin/airflow" db migrate >"$home/db-migrate.log" 2>&1 || { cat "$home/db-migrate.log" >&2; exit 1; }
  touch "$migrated"
fi
echo "Airflow $("$venv/bin/airflow" version 2>/dev/null) ready: $venv, home $home" >&2
