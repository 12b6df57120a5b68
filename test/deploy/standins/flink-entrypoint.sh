#!/usr/bin/env bash
# The official Flink image's entrypoint, as far as this stack uses it: jobmanager and taskmanager
# in the foreground, anything else passed through; FLINK_PROPERTIES merged into conf/config.yaml;
# root drops to the flink user.
set -e
drop_privs() { if [ "$(id -u)" = 0 ]; then echo setpriv --reuid=flink --regid=flink --init-groups; fi; }
prepare_configuration() {
  local params=(-D "jobmanager.rpc.address=${JOB_MANAGER_RPC_ADDRESS:-$(hostname -f)}" -D blob.server.port=6124 -D query.server.port=6125)
  if [ -n "${FLINK_PROPERTIES:-}" ]; then
    while IFS= read -r line; do
      [ -z "${line// /}" ] && continue
      params+=(-D "$(echo "${line%%:*}" | xargs)=$(echo "${line#*:}" | xargs)")
    done <<<"$FLINK_PROPERTIES"
  fi
  bash "$FLINK_HOME/bin/config-parser-utils.sh" "$FLINK_HOME/conf" "$FLINK_HOME/bin" "$FLINK_HOME/lib" "${params[@]}" >/dev/null
}
case "${1:-}" in
  jobmanager) shift; prepare_configuration; exec $(drop_privs) "$FLINK_HOME/bin/jobmanager.sh" start-foreground "$@" ;;
  taskmanager) shift; prepare_configuration; exec $(drop_privs) "$FLINK_HOME/bin/taskmanager.sh" start-foreground "$@" ;;
  help) echo "Usage: $(basename "$0") (jobmanager|taskmanager|help)"; exit 0 ;;
esac
prepare_configuration
exec $(drop_privs) "$@"
