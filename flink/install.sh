#!/usr/bin/env bash
# Installs what flink/ad_events_job.py needs to run locally, pinned:
#   .local/flink/venv   PyFlink (flink/requirements.txt), which brings Flink itself and its
#                       embedded mini-cluster
#   .local/flink/lib    the JDBC connector, its PostgreSQL dialect and the PostgreSQL driver,
#                       from Maven Central (flink/pom.xml)
# Needs Java 17+ (PyFlink starts a JVM), Maven and Python 3.9-3.12. Re-running it is a no-op
# once the same pins are installed; nothing is downloaded when the job runs.
#
# Environment: PYTHON (default python3.11, else python3), FLINK_LOCAL_DIR (default <repo>/.local/flink).
set -euo pipefail

FLINK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(dirname "$FLINK_DIR")"
LOCAL_DIR="${FLINK_LOCAL_DIR:-$REPO_ROOT/.local/flink}"
VENV="$LOCAL_DIR/venv"
LIB="$LOCAL_DIR/lib"
STAMP="$LOCAL_DIR/installed.sha256"

fail() {
  echo "flink/install.sh: $*" >&2
  exit 1
}

# What is installed is a function of the pins: the stamp records their hash.
pins_hash() {
  cat "$FLINK_DIR/requirements.txt" "$FLINK_DIR/pom.xml" | sha256sum | cut -d' ' -f1
}

installed_ok() {
  [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(pins_hash)" ] &&
    [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import pyflink' >/dev/null 2>&1 &&
    ls "$LIB"/flink-connector-jdbc-postgres-*.jar "$LIB"/flink-connector-jdbc-core-*.jar "$LIB"/postgresql-*.jar >/dev/null 2>&1
}

# Java: required to install (Maven) and to run (PyFlink's JVM), so checked even when installed.
command -v java >/dev/null 2>&1 ||
  fail "Java is missing: install a JDK 17 (e.g. apt-get install openjdk-17-jdk-headless) and put java on PATH."
java_version="$(java -version 2>&1 | sed -n 's/.* version "\([^"]*\)".*/\1/p' | head -1)"
java_major="${java_version%%.*}"
[ "$java_major" = 1 ] && java_major="$(echo "$java_version" | cut -d. -f2)"
if ! [ "$java_major" -ge 17 ] 2>/dev/null; then
  fail "Java 17 or later is required (found: ${java_version:-unknown} from $(command -v java)). Install a JDK 17 and put it first on PATH (or set JAVA_HOME)."
fi

if installed_ok; then
  echo "flink/install.sh: already installed ($LOCAL_DIR)"
  exit 0
fi

command -v mvn >/dev/null 2>&1 ||
  fail "Maven is missing: install it (e.g. apt-get install maven); it fetches the connector jars from Maven Central."

PYTHON="${PYTHON:-}"
if [ -z "$PYTHON" ]; then
  if command -v python3.11 >/dev/null 2>&1; then PYTHON=python3.11; else PYTHON=python3; fi
fi
command -v "$PYTHON" >/dev/null 2>&1 || fail "Python is missing ($PYTHON): PyFlink 2.0 needs Python 3.9-3.12."
"$PYTHON" -c 'import sys; sys.exit(0 if (3, 9) <= sys.version_info[:2] <= (3, 12) else 1)' ||
  fail "PyFlink 2.0 needs Python 3.9-3.12; $PYTHON is $("$PYTHON" -V 2>&1). Set PYTHON=python3.11 (or another supported one)."

mkdir -p "$LOCAL_DIR"
rm -f "$STAMP"
started=$SECONDS

echo "flink/install.sh: PyFlink into $VENV"
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$FLINK_DIR/requirements.txt"
"$VENV/bin/python" -c 'import pyflink' || fail "PyFlink did not import after installing it"

echo "flink/install.sh: connector jars into $LIB"
rm -rf "$LIB.tmp"
# Only the listed jars: their transitive dependencies (flink-connector-base, …) are in Flink itself.
(cd "$FLINK_DIR" && mvn -q -B -Dstyle.color=never dependency:copy-dependencies -DexcludeTransitive=true -DoutputDirectory="$LIB.tmp") ||
  fail "Maven could not fetch the connector jars (see above)"
rm -rf "$LIB"
mv "$LIB.tmp" "$LIB"

pins_hash >"$STAMP"
echo "flink/install.sh: installed in $((SECONDS - started)) s ($(du -sh "$VENV" | cut -f1) venv, $(du -sh "$LIB" | cut -f1) jars)"
