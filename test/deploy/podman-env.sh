# Sourced by the deployment tier's scripts: Debian's podman with a configuration and an image
# store of the tier's own (the machine's /etc/containers is neither read for them nor changed).
#   ROAS_DEPLOY_CACHE  images, volumes, compose and the Go builds (default ~/.cache/roas-deploy):
#                      outside the clone, so a fresh clone on the same machine starts warm.
ROAS_DEPLOY_CACHE="${ROAS_DEPLOY_CACHE:-$HOME/.cache/roas-deploy}"
ROAS_DEPLOY_RUN="${ROAS_DEPLOY_RUN:-/run/roas-deploy}"
export ROAS_DEPLOY_CACHE ROAS_DEPLOY_RUN
PODMAN_DIR="$ROAS_DEPLOY_CACHE/podman"
mkdir -p "$PODMAN_DIR/storage" "$PODMAN_DIR/networks" "$ROAS_DEPLOY_RUN/storage" "$ROAS_DEPLOY_RUN/tmp"

# A sandbox's limits: default_ulimits within the machine's hard limits, runc (crun refuses a
# hybrid cgroup layout), cgroupfs and file events (no systemd).
cat >"$PODMAN_DIR/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
log_driver = "k8s-file"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$ROAS_DEPLOY_RUN/events.log"
tmp_dir = "$ROAS_DEPLOY_RUN/tmp"
static_dir = "$PODMAN_DIR/storage/libpod"
volume_path = "$PODMAN_DIR/storage/volumes"
[network]
network_backend = "netavark"
network_config_dir = "$PODMAN_DIR/networks"
CONF
cat >"$PODMAN_DIR/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$PODMAN_DIR/storage"
runroot = "$ROAS_DEPLOY_RUN/storage"
CONF
# Nothing is pulled: every image the stack names is made here, and registries are blocked.
cat >"$PODMAN_DIR/registries.conf" <<CONF
unqualified-search-registries = []
short-name-mode = "disabled"
[[registry]]
location = "docker.io"
blocked = true
[[registry]]
location = "quay.io"
blocked = true
CONF
export CONTAINERS_CONF="$PODMAN_DIR/containers.conf"
export CONTAINERS_STORAGE_CONF="$PODMAN_DIR/storage.conf"
export CONTAINERS_REGISTRIES_CONF="$PODMAN_DIR/registries.conf"
export DOCKER_HOST="unix://$ROAS_DEPLOY_RUN/podman.sock"
# The classic builder over the Docker API (no BuildKit, no buildx plugin here).
export DOCKER_BUILDKIT=0 COMPOSE_BAKE=false
