#!/usr/bin/env bash
# Runs promtool (Prometheus's config and rules checker) with the given arguments, e.g.
#   scripts/promtool.sh check config monitoring/prometheus/prometheus.yml
# A promtool on PATH is used as it is. Otherwise Debian's `prometheus` package is fetched with
# `apt-get download` (no root needed), and promtool alone is kept in .local/promtool/usr/bin/.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cached="$root/.local/promtool/usr/bin/promtool"

if command -v promtool >/dev/null 2>&1; then
  exec promtool "$@"
fi

if [[ ! -x "$cached" ]]; then
  for tool in apt-get dpkg-deb; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      echo "promtool is not on PATH and $tool is missing: install Prometheus's promtool (Debian/Ubuntu: sudo apt-get install prometheus)" >&2
      exit 1
    fi
  done
  mkdir -p "$root/.local"
  work="$(mktemp -d "$root/.local/promtool-download.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  download() { (cd "$work" && apt-get download prometheus >"$work/apt.log" 2>&1); }
  if ! download; then
    # A machine whose package lists were never fetched: root can fetch them, anyone else is told how.
    if [[ "$(id -u)" == 0 ]] && apt-get update >"$work/update.log" 2>&1 && download; then
      :
    else
      echo "could not download Debian's prometheus package for promtool:" >&2
      cat "$work/apt.log" >&2
      echo "run 'sudo apt-get update' (or install promtool: sudo apt-get install prometheus) and try again" >&2
      exit 1
    fi
  fi
  dpkg-deb -x "$work"/prometheus_*.deb "$work/x"
  mkdir -p "$work/keep/usr/bin"
  mv "$work/x/usr/bin/promtool" "$work/keep/usr/bin/promtool"
  # Another process may have finished first: either copy is the same file.
  mv -T "$work/keep" "$root/.local/promtool" 2>/dev/null || true
  rm -rf "$work"
  trap - EXIT
  [[ -x "$cached" ]] || { echo "promtool was not extracted to $cached" >&2; exit 1; }
fi

exec "$cached" "$@"
