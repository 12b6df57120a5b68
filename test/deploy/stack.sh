# Sourced by run.sh: the container engine's API for Compose (podman system service), the
# healthchecks (no systemd here to time them: a loop runs `podman healthcheck run`), the project
# copied as a user's clone, and the `docker compose` command as docs/deployment.md gives it.
HEALTH_PID="" SERVICE_PID=""

start_engine() {
  rm -f "$ROAS_DEPLOY_RUN/podman.sock"
  podman system service --time=0 "$DOCKER_HOST" >"$ROAS_DEPLOY_RUN/service.log" 2>&1 &
  SERVICE_PID=$!
  for _ in $(seq 1 100); do [ -S "$ROAS_DEPLOY_RUN/podman.sock" ] && break; sleep 0.2; done
  [ -S "$ROAS_DEPLOY_RUN/podman.sock" ] || { echo "the podman API did not start: $(tail -5 "$ROAS_DEPLOY_RUN/service.log")" >&2; return 1; }
  ( while sleep 2; do
      for id in $(podman ps -q --filter health=starting --filter health=healthy --filter health=unhealthy 2>/dev/null); do
        timeout 30 podman healthcheck run "$id" >/dev/null 2>&1 || true
      done
    done ) &
  HEALTH_PID=$!
}

stop_engine() {
  [ -n "$HEALTH_PID" ] && kill "$HEALTH_PID" 2>/dev/null || true
  [ -n "$SERVICE_PID" ] && kill "$SERVICE_PID" 2>/dev/null || true
  wait 2>/dev/null || true
}

# The project as a user has it: the tracked and new files of this work tree, not its .env,
# .local, .venv or node_modules.
copy_project() {
  local dest="$1"
  rm -rf "$dest" && mkdir -p "$dest"
  (cd "$REPO" && git ls-files -z --cached --others --exclude-standard | grep -zv '^\.env$' | tar --null --ignore-failed-read -cf - -T - 2>/dev/null) | tar -xf - -C "$dest"
}

# docs/security.md: the secrets, made once into .env.
write_env() {
  (cd "$1" && cp .env.example .env && umask 077 && {
    echo "POSTGRES_PASSWORD=$(openssl rand -hex 32)"
    echo "TEMPORAL_DB_PASSWORD=$(openssl rand -hex 32)"
    echo "GRAFANA_ADMIN_PASSWORD=$(openssl rand -hex 32)"
    echo "ROAS_DASHBOARD_TOKEN=$(openssl rand -hex 24)"
    for role in INGEST TRANSFORM ORCHESTRATOR REPORTING; do echo "ROAS_${role}_DB_PASSWORD=$(openssl rand -hex 32)"; done
  } >>.env)
}

dc() { (cd "$PROJECT" && "$COMPOSE" -p marketing-roas "$@"); }
env_value() { sed -n "s/^$1=//p" "$PROJECT/.env" | tail -1; }
