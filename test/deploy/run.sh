#!/usr/bin/env bash
# npm run test:deploy: the deployment as a user runs it. Builds the project's images from
# Dockerfile and flink/Dockerfile unchanged, brings docker-compose.yml up with `docker compose`
# (v2, on Debian's podman) after the .env steps of docs/deployment.md, then runs a day end to end against the
# stack and the faults a deployment meets. Needs root (podman, apt-get); no image registry:
# the images the compose file names are made locally (test/deploy/images.sh).
#
# Caches: ROAS_DEPLOY_CACHE (default ~/.cache/roas-deploy): compose, the Go module cache, the
# downloads, the image store. Outside the clone, so CI's fresh clone on the same machine starts
# warm; keyed by version (compose-<version>/, a hash label per stand-in image).
# Output: one line per check, then 'deploy: N passed, N failed'. The full log and the services'
# logs: .local/deploy-test/.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
OUT="$REPO/.local/deploy-test"
mkdir -p "$OUT"
LOG="$OUT/run.log"
: >"$LOG"
PASSED=0 FAILED=0
T_START=$SECONDS

say() { echo "deploy: $*"; echo "deploy: $*" >>"$LOG"; }
pass() { PASSED=$((PASSED + 1)); echo "  ok    $1"; echo "ok $1" >>"$LOG"; }
fail() {
  FAILED=$((FAILED + 1)); echo "  FAIL  $1"; echo "FAIL $1" >>"$LOG"
  [ -n "${2:-}" ] && printf '%s\n' "$2" | tail -8 | sed 's/^/        /'
  return 0
}
# check NAME COMMAND...: one check; its output goes to the log, and its tail to the screen on failure.
check() {
  local name="$1" out rc
  shift
  out="$("$@" 2>&1)"; rc=$?
  printf '== %s (exit %s)\n%s\n' "$name" "$rc" "$out" >>"$LOG"
  if [ $rc = 0 ]; then pass "$name"; else fail "$name" "$out"; fi
  return $rc
}
# until_true SECONDS COMMAND...: polls every 3 s.
until_true() {
  local deadline=$((SECONDS + $1))
  shift
  while ! "$@" >/dev/null 2>&1; do
    [ $SECONDS -ge $deadline ] && { "$@"; return 1; }
    sleep 3
  done
}
FINISHED=""
finish() {
  [ -n "$FINISHED" ] && return
  FINISHED=1
  local rc=0
  [ "$FAILED" -gt 0 ] && rc=1
  if [ -n "${PROJECT:-}" ] && [ -S "$ROAS_DEPLOY_RUN/podman.sock" ]; then
    for s in $(dc ps -a --services 2>/dev/null); do dc logs --no-color "$s" >"$OUT/$s.log" 2>&1; done
    podman logs roas-worker-v2 >"$OUT/worker-v2.log" 2>&1 || true
    [ -z "${ROAS_DEPLOY_KEEP:-}" ] && { podman rm -f roas-worker-v2 >/dev/null 2>&1; dc down -v --remove-orphans >>"$LOG" 2>&1; }
    # Earlier builds' layers no tag names any more (the tagged images stay, as the next run's cache).
    podman image prune -f >>"$LOG" 2>&1
  fi
  stop_engine
  say "took $((SECONDS - T_START)) s"
  echo "deploy: $PASSED passed, $FAILED failed"
  exit $rc
}
fatal() { fail "$1" "${2:-}"; finish; }

if [ "$(id -u)" != 0 ]; then
  echo "test:deploy needs root (rootful podman, apt-get): run it as root, as CI does" >&2
  echo "deploy: 0 passed, 1 failed"
  exit 1
fi

# --- what it needs -----------------------------------------------------------------------------
need=()
for pair in podman:podman mmdebstrap:mmdebstrap runc:runc iptables:iptables openssl:openssl psql:postgresql-client curl:curl; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair#*:}")
done
[ -x /usr/lib/podman/netavark ] || need+=(netavark)
[ -x /usr/lib/podman/aardvark-dns ] || need+=(aardvark-dns)
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]} (Debian packages)"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get install -y -q "${need[@]}" || { apt-get update -q && apt-get install -y -q "${need[@]}"; }; } >>"$LOG" 2>&1 ||
    fatal "apt-get install ${need[*]}" "$(tail -5 "$LOG")"
fi
. "$HERE/podman-env.sh"
. "$HERE/stack.sh"
trap finish INT TERM

t0=$SECONDS
# Compose (a Go build, CPU) and the images (mostly downloads) at once.
"$HERE/build-compose.sh" >"$OUT/compose-path" 2>"$OUT/build-compose.log" &
compose_pid=$!
"$HERE/images.sh" >>"$LOG" 2>&1 || { wait $compose_pid; fatal "base and stand-in images" "$(tail -8 "$LOG")"; }
wait $compose_pid || fatal "Docker Compose v2 from the Go module proxy" "$(tail -8 "$OUT/build-compose.log")"
COMPOSE="$(tail -1 "$OUT/compose-path")"
say "compose, base and stand-in images ready in $((SECONDS - t0)) s"

for port in 5432 7233 8081 9090 9465; do
  if ss -Hltn "sport = :$port" | grep -q .; then fatal "port $port free on this machine" "$(ss -Hltnp "sport = :$port")"; fi
done
start_engine || fatal "podman's Docker API" "$(tail -5 "$ROAS_DEPLOY_RUN/service.log")"
trap finish EXIT

PROJECT="$ROAS_DEPLOY_RUN/project/marketing-roas"
copy_project "$PROJECT"
write_env "$PROJECT"
# Failed steps retry after 10 s instead of 5 minutes (the faults below retry on purpose).
echo "ROAS_RETRY_INTERVAL=10s" >>"$PROJECT/.env"
OWNER_PW="$(env_value POSTGRES_PASSWORD)"
TOKEN="$(env_value ROAS_DASHBOARD_TOKEN)"
dc down -v --remove-orphans >>"$LOG" 2>&1

# --- the images, built as users build them -------------------------------------------------------
for svc in worker flink-jobmanager; do
  t0=$SECONDS
  dc build "$svc" >"$OUT/build-$svc.log" 2>&1 || fatal "docker compose build $svc" "$(tail -8 "$OUT/build-$svc.log")"
  image="$(dc config --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["services"][sys.argv[1]]["image"])' "$svc")"
  say "built $image in $((SECONDS - t0)) s, $(podman image inspect --format '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}')"
done
# Grafana and the Temporal Web UI have no stand-in (no registry here offers them).
SERVICES=(postgres temporal-db temporal migrate worker schedules flink-jobmanager flink-taskmanager flink-job prometheus)
t0=$SECONDS
check "docker compose up --wait: every service healthy, the one-shot jobs done" \
  dc up -d --wait --wait-timeout 420 "${SERVICES[@]}" || fatal "the stack did not come up" "$(dc ps -a 2>&1)"
say "stack up in $((SECONDS - t0)) s"

. "$HERE/checks.sh"
run_checks
