# Sourced by run.sh once the stack is up: the end-to-end checks, then the faults.
WORKER=marketing-roas-worker-1
D1=2026-11-20 D2=2026-11-21 D3=2026-11-22 D4=2026-11-23 D5=2026-11-24

# The `roas` CLI on the host, as docs/settings.md's "Using an existing PostgreSQL/Temporal" has it:
# the published ports on 127.0.0.1, each component's role.
roas() {
  local p=127.0.0.1:5432/marketing_roas
  (cd "$REPO" && env TEMPORAL_ADDRESS=127.0.0.1:7233 \
    ROAS_INGEST_DATABASE_URL="postgres://roas_ingest:$(env_value ROAS_INGEST_DB_PASSWORD)@$p" \
    ROAS_TRANSFORM_DATABASE_URL="postgres://roas_transform:$(env_value ROAS_TRANSFORM_DB_PASSWORD)@$p" \
    ROAS_ORCHESTRATOR_DATABASE_URL="postgres://roas_orchestrator:$(env_value ROAS_ORCHESTRATOR_DB_PASSWORD)@$p" \
    ROAS_REPORTING_DATABASE_URL="postgres://roas_reporting:$(env_value ROAS_REPORTING_DB_PASSWORD)@$p" \
    ./bin/roas "$@")
}
# The test's own reads, as the owner from the host.
sql() { PGPASSWORD="$OWNER_PW" PGCONNECT_TIMEOUT=5 psql -h 127.0.0.1 -p 5432 -U roas -d marketing_roas -XAtq -c "$1"; }
run_status() { sql "SELECT status FROM orchestrator.pipeline_runs WHERE pipeline = '$1' AND run_date = '$2' ORDER BY started_at DESC LIMIT 1"; }
is_status() { [ "$(run_status "$1" "$2")" = "$3" ]; }
succeeded_once() {
  local n
  n="$(sql "SELECT count(*) FROM orchestrator.pipeline_runs WHERE pipeline = '$1' AND run_date = '$2' AND status = 'succeeded'")"
  echo "succeeded rows for $1 $2: $n"; [ "$n" = 1 ]
}
published() {
  local rows dup
  rows="$(sql "SELECT count(*) FROM analytics.fct_daily_metrics WHERE metric_date = '$1'")"
  dup="$(sql "SELECT count(*) - count(DISTINCT campaign_id) FROM analytics.fct_daily_metrics WHERE metric_date = '$1'")"
  echo "fct_daily_metrics $1: $rows rows, $dup duplicated campaigns"; [ "$rows" -gt 0 ] && [ "$dup" = 0 ]
}
http_code() { curl -s -o /dev/null -m 10 -w '%{http_code}' "$@"; }
healthz_ok() { curl -sf -m 10 http://127.0.0.1:9465/healthz | grep -q '"ok":true'; }
# dbt of a date is at work: its sessions (application_name roas-<date>-<step>-a<attempt>) are open.
dbt_running() { [ "$(sql "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'roas-$1-%'")" -gt 0 ] 2>/dev/null; }
# wait_dbt DATE SECONDS: until dbt of that date is at work (polled twice a second: a step is short).
wait_dbt() {
  local deadline=$((SECONDS + $2))
  until dbt_running "$1"; do [ $SECONDS -ge $deadline ] && { echo "no dbt session of $1 seen"; return 1; }; sleep 0.5; done
}
# A day's events (default 20,000), loaded as the ingest role and marked complete, and its run started from the host.
start_day() {
  roas generate-events --date "$1" --events "${2:-20000}" --append --complete >>"$LOG" 2>&1 && roas run dbt --date "$1" >>"$LOG" 2>&1
}

stop_worker() {
  local t0=$SECONDS code
  dc stop worker || return 1
  code="$(podman inspect --format '{{.State.ExitCode}}' $WORKER)"
  echo "exit code $code after $((SECONDS - t0)) s"
  [ "$code" = 0 ] && [ $((SECONDS - t0)) -lt 60 ]
}

# ran_only_on DATE CONTAINER: every activity of the date's dbt run was started by that container's
# worker (the identities, pid@hostname, in the run's Temporal history).
ran_only_on() {
  local host ids
  host="$(podman inspect --format '{{.Config.Hostname}}' "$2")" || return 1
  ids="$(dc exec -T temporal temporal workflow show --workflow-id "dbt-daily-run-$1" --output json |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print(" ".join(sorted({v["identity"] for e in d["events"] for k,v in e.items() if k=="activityTaskStartedEventAttributes"})))')" || return 1
  echo "activities of $1 started by: $ids; $2 is $host"
  [ -n "$ids" ] && ! echo " $ids " | tr ' ' '\n' | grep -v "@$host\$" | grep -q .
}

check_worker_endpoints() {
  check "worker /healthz answers 200 ok from the host" until_true 420 healthz_ok
  check "worker /metrics: the worker polls" sh -c 'curl -sf -m 10 http://127.0.0.1:9465/metrics | grep -E "^roas_worker_polling(\{[^}]*\})? 1"'
  check "dashboard refuses a request without its token" sh -c "c=\$(curl -s -o /dev/null -m 10 -w '%{http_code}' http://127.0.0.1:9465/); echo \$c; [ \$c = 401 ] || [ \$c = 403 ]"
  check "dashboard answers with its token" sh -c "[ \$(curl -s -o /dev/null -m 10 -w '%{http_code}' -H 'Authorization: Bearer $TOKEN' http://127.0.0.1:9465/) = 200 ]"
}

check_prometheus() {
  check "Prometheus scrapes the worker (target up)" until_true 150 sh -c \
    "curl -sf -m 10 http://127.0.0.1:9090/api/v1/targets | python3 -c 'import json,sys; t=[x for x in json.load(sys.stdin)[\"data\"][\"activeTargets\"] if x[\"labels\"][\"job\"]==\"roas-worker\"]; print(t); sys.exit(0 if t and t[0][\"health\"]==\"up\" else 1)'"
  check "Prometheus loaded the alert rules" sh -c \
    "curl -sf -m 10 http://127.0.0.1:9090/api/v1/rules | python3 -c 'import json,sys; n=[r[\"name\"] for g in json.load(sys.stdin)[\"data\"][\"groups\"] for r in g[\"rules\"]]; print(n); sys.exit(0 if \"RoasRunFailed\" in n and \"RoasNoWorkerPolling\" in n else 1)'"
}

check_exposure() {
  check "published ports listen on 127.0.0.1 only" sh -c \
    "ss -Hltn | awk '{print \$4}' | grep -E ':(5432|7233|8081|9090|9465)\$' | tee /dev/stderr | grep -vq '^127\\.0\\.0\\.1:' && exit 1; podman ps --format '{{.Ports}}' | tr ',' '\n' | grep -- '->' | grep -v '127.0.0.1:' && exit 1; exit 0"
  check "only postgres and the migrate job see the owner's password" sh -c "
    for c in \$(podman ps -a --format '{{.Names}}'); do
      if podman inspect --format '{{range .Config.Env}}{{println .}}{{end}}' \$c | grep -q '$OWNER_PW'; then echo \$c; fi
    done | sort | tr '\n' ' ' | tee /dev/stderr | grep -qx 'marketing-roas-migrate-1 marketing-roas-postgres-1 '"
}

check_day_end_to_end() {
  local input="$OUT/ad-events-$D1" f
  check "roas run dbt from the host starts the run of $D1" roas run dbt --date "$D1"
  check "the run of $D1 is waiting for Flink" until_true 60 is_status dbt_daily_run "$D1" running
  rm -rf "$input"
  check "a day of events for the Flink job (flink/make-input.ts)" \
    sh -c "cd '$REPO' && node_modules/.bin/tsx flink/make-input.ts --date $D1 --events 20000 --out '$input'"
  check "the Flink checkpoint volume belongs to the flink user (uid 9999)" sh -c \
    "cd '$PROJECT' && '$COMPOSE' -p marketing-roas exec -T flink-jobmanager stat -c %u /data/flink-checkpoints | tee /dev/stderr | grep -qx 9999"
  check "the Flink job runs on the cluster (flink-job submitted it)" until_true 420 sh -c \
    "curl -sf -m 10 http://127.0.0.1:8081/jobs/overview | grep -q '\"state\":\"RUNNING\"'"
  for f in "$input"/ad_events_*_1.csv; do
    dc cp "$f" "flink-jobmanager:/data/ad-events/_$(basename "$f")" >>"$LOG" 2>&1 &&
      dc exec -T flink-jobmanager mv "/data/ad-events/_$(basename "$f")" "/data/ad-events/$(basename "$f")" >>"$LOG" 2>&1
  done
  local expected
  expected="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["files"][0]["dayRows"])' "$input/_manifest.json" 2>/dev/null)"
  check "the Flink job writes the day's marker ($expected events, job roas-ad-events)" until_true 420 sh -c \
    "[ \"\$(PGPASSWORD='$OWNER_PW' psql -h 127.0.0.1 -U roas -d marketing_roas -XAtqc \"SELECT row_count || ' ' || job_id FROM realtime.flink_batches WHERE run_date = '$D1'\")\" = '$expected roas-ad-events' ]"
  check "the Flink job connects as the ingest role only" sh -c \
    "sql() { PGPASSWORD='$OWNER_PW' psql -h 127.0.0.1 -U roas -d marketing_roas -XAtqc \"\$1\"; }; n=\$(sql \"SELECT count(*) FROM realtime.ad_events WHERE event_time >= '$D1' AND event_time < date '$D1' + 1\"); echo events \$n; [ \"\$n\" -gt 0 ] && sql \"SELECT usename FROM pg_stat_activity WHERE application_name = 'PostgreSQL JDBC Driver'\" | sort -u | tee /dev/stderr | grep -qx roas_ingest"
  check "the daily dbt run of $D1 opens on the marker and succeeds" until_true 600 is_status dbt_daily_run "$D1" succeeded
  check "the day is published" published "$D1"
  check "roas run etl --wait from the host: the daily ETL succeeds" roas run etl --date "$D1" --wait
  check "the ETL's report is in the worker's volume" dc exec -T worker test -s "/data/reports/$D1/index.html"
  check "roas status --date $D1 from the host" roas status --date "$D1"
}

check_kill_mid_dbt() {
  # A day big enough that its dbt build lasts long enough to be interrupted (tens of seconds).
  check "a run of $D2 from the host (events as the ingest role, marked complete)" start_day "$D2" 400000
  if ! check "dbt of $D2 at work (its database sessions open)" wait_dbt "$D2" 240; then return; fi
  local before
  before="$(podman inspect --format '{{.State.StartedAt}}' $WORKER)"
  # SIGKILL to the container's main process, the signal `docker kill` sends and what the OOM
  # killer does. (podman's own `kill` also marks the container as stopped by the user, and podman
  # then leaves its restart policy alone: seen here.)
  check "the worker killed (SIGKILL) mid-dbt" kill -KILL "$(podman inspect --format '{{.State.Pid}}' "$WORKER")"
  check "the worker's restart policy starts it again" until_true 90 sh -c \
    "[ \"\$(podman inspect --format '{{.State.Running}} {{.State.StartedAt}}' $WORKER)\" != 'true $before' ] && podman inspect --format '{{.State.Running}}' $WORKER | grep -qx true"
  if ! podman inspect --format '{{.State.Running}}' $WORKER | grep -qx true; then dc start worker >>"$LOG" 2>&1; fi
  check "the run of $D2 finishes" until_true 600 is_status dbt_daily_run "$D2" succeeded
  check "the run of $D2 succeeded exactly once" succeeded_once dbt_daily_run "$D2"
  check "the day $D2 is published once (no duplicated rows)" published "$D2"
  check "its steps ran on the worker container (no other worker)" ran_only_on "$D2" "$WORKER"
}

check_graceful_stop() {
  check "a run of $D3 from the host" start_day "$D3" 400000
  if ! check "dbt of $D3 at work (its database sessions open)" wait_dbt "$D3" 240; then return; fi
  check "docker stop of the worker mid-dbt: it exits 0 within its stop grace period (45 s)" stop_worker
  check "the stopping worker handed its step back (logged)" sh -c "podman logs --tail 80 $WORKER 2>&1 | grep -i -E 'shut|stop|cancel|grace'"
  dc start worker >>"$LOG" 2>&1
  check "the run of $D3 finishes on the started worker" until_true 600 is_status dbt_daily_run "$D3" succeeded
  check "the run of $D3 succeeded exactly once" succeeded_once dbt_daily_run "$D3"
}

check_new_version() {
  # docs/deployment.md, Deploying a new version, step by step, with a run of the old version in flight.
  roas generate-events --date "$D4" --events 20000 --append >>"$LOG" 2>&1
  roas generate-events --date "$D5" --events 20000 --append --complete >>"$LOG" 2>&1
  check "a run of $D4 started on version 0.1.0" roas run dbt --date "$D4"
  check "... in flight, at its Flink gate" until_true 60 is_status dbt_daily_run "$D4" running
  local t0=$SECONDS
  check "ROAS_IMAGE_TAG=v2 docker compose build worker" env ROAS_IMAGE_TAG=v2 sh -c "cd '$PROJECT' && '$COMPOSE' -p marketing-roas build worker"
  say "v2 built in $((SECONDS - t0)) s"
  check "ROAS_IMAGE_TAG=v2 docker compose run -d --no-deps --name roas-worker-v2 worker" \
    env ROAS_IMAGE_TAG=v2 sh -c "cd '$PROJECT' && '$COMPOSE' -p marketing-roas run -d --no-deps --name roas-worker-v2 worker"
  check "roas deploy status lists v2" until_true 120 sh -c "cd '$PROJECT' && '$COMPOSE' -p marketing-roas exec -T worker ./bin/roas deploy status | grep -q v2"
  check "roas deploy promote v2" dc exec -T worker ./bin/roas deploy promote v2
  check "roas deploy status: 0.1.0 draining (its run of $D4 open)" sh -c "cd '$PROJECT' && '$COMPOSE' -p marketing-roas exec -T worker ./bin/roas deploy status | tee /dev/stderr | grep -E '0\\.1\\.0' | grep -q drain"
  roas run dbt --date "$D5" >>"$LOG" 2>&1
  check "a new run ($D5) goes to v2 and succeeds" until_true 600 is_status dbt_daily_run "$D5" succeeded
  check "its steps ran on the v2 worker" ran_only_on "$D5" roas-worker-v2
  roas flink-complete --date "$D4" >>"$LOG" 2>&1
  check "the in-flight run of $D4 finishes" until_true 600 is_status dbt_daily_run "$D4" succeeded
  check "... its steps all on the old version's worker" ran_only_on "$D4" "$WORKER"
  # The server refreshes a version's drainage every few minutes; the open runs count at once.
  check "roas deploy status: no run open on 0.1.0 any more" until_true 300 sh -c "cd '$PROJECT' && '$COMPOSE' -p marketing-roas exec -T worker ./bin/roas deploy status | tee /dev/stderr | grep -E '0\\.1\\.0' | grep -q -E 'drained|0 runs open'"
  echo ROAS_IMAGE_TAG=v2 >>"$PROJECT/.env"
  check "v2 becomes the compose worker (docker compose up -d worker), the extra one removed" sh -c \
    "cd '$PROJECT' && '$COMPOSE' -p marketing-roas up -d worker && podman rm -f roas-worker-v2 && podman inspect --format '{{.Config.Image}}' $WORKER | grep -q ':v2'"
  check "the v2 worker is healthy" until_true 120 healthz_ok
}

check_postgres_restart() {
  check "docker compose restart postgres" dc restart postgres
  check "the worker reports PostgreSQL again by itself" until_true 180 healthz_ok
  check "a run after the restart succeeds (roas run etl --force --wait)" roas run etl --date "$D1" --force --wait
}

run_checks() {
  check_worker_endpoints
  check_exposure
  check_prometheus
  check_day_end_to_end
  check_kill_mid_dbt
  check_graceful_stop
  check_new_version
  check_postgres_restart
  say "checks done; $((SECONDS - T_START)) s since the start"
  [ -n "${ROAS_DEPLOY_BENCH:-}" ] && bench_memory
  return 0
}

# ROAS_DEPLOY_BENCH=1: the worker container's memory at rest and while a day of
# ROAS_DEPLOY_BENCH_EVENTS (default 1,000,000) runs: its cgroup's peak usage (what the 512 MiB
# limit counts: the worker, the dbt fork server and its forked dbt, and page cache), and RSS of the
# worker and of the dbt processes sampled every few seconds; into $OUT/memory.txt. Not a check.
bench_memory() {
  local day=2026-11-25 events="${ROAS_DEPLOY_BENCH_EVENTS:-1000000}" f="$OUT/memory.txt" cg rest rest_rss peak_worker=0 peak_dbt=0 w d
  cg="/sys/fs/cgroup/memory$(podman inspect --format '{{.State.CgroupPath}}' "$WORKER")"
  [ -f "$cg/memory.max_usage_in_bytes" ] || { say "bench: no cgroup v1 memory controller for the worker"; return; }
  # RSS in KiB of the worker (node) and of the dbt processes (the venv's Python) in the container.
  rss() { podman top "$WORKER" rss args 2>/dev/null | awk -v what="$1" 'NR > 1 && ((what == "node" && $2 == "node") || (what == "dbt" && $2 ~ /python/)) {s += $1} END {print s + 0}'; }
  mib() { echo "$(( $1 / 1048576 )) MiB"; }
  sleep 20
  rest="$(cat "$cg/memory.usage_in_bytes")"; rest_rss="$(rss node) KiB worker, $(rss dbt) KiB dbt fork server"
  say "bench: loading $events events of $day"
  roas generate-events --date "$day" --events "$events" --append --complete >>"$LOG" 2>&1 || { say "bench: could not load the events"; return; }
  echo 0 >"$cg/memory.max_usage_in_bytes"
  local t0=$SECONDS
  roas run dbt --date "$day" >>"$LOG" 2>&1
  until is_status dbt_daily_run "$day" succeeded || is_status dbt_daily_run "$day" failed || [ $((SECONDS - t0)) -gt 1800 ]; do
    w="$(rss node)"; d="$(rss dbt)"
    [ "$w" -gt "$peak_worker" ] && peak_worker=$w
    [ "$d" -gt "$peak_dbt" ] && peak_dbt=$d
    sleep 1
  done
  {
    echo "at rest: cgroup usage $(mib "$rest") ($rest_rss)"
    echo "a $events-event daily run, $(run_status dbt_daily_run "$day") in $((SECONDS - t0)) s: cgroup peak $(mib "$(cat "$cg/memory.max_usage_in_bytes")"); sampled peaks: worker RSS $((peak_worker / 1024)) MiB, dbt processes RSS $((peak_dbt / 1024)) MiB (shared pages counted in each); limit $(mib "$(cat "$cg/memory.limit_in_bytes")")"
  } | tee -a "$f" | sed 's/^/deploy: bench: /'
}
