#!/usr/bin/env bash
# Builds Docker Compose v2 (the `docker compose` users run) from the Go module proxy, once per
# version: `go install …@version` is refused for it (its go.mod has exclude directives), so the
# module is downloaded and built in a writable copy. Prints the binary's path.
# Environment: COMPOSE_VERSION (default v2.40.3), ROAS_DEPLOY_CACHE (default ~/.cache/roas-deploy).
set -euo pipefail
VERSION="${COMPOSE_VERSION:-v2.40.3}"
CACHE="${ROAS_DEPLOY_CACHE:-$HOME/.cache/roas-deploy}"
OUT="$CACHE/compose-$VERSION/docker-compose"
if [ -x "$OUT" ] && "$OUT" version >/dev/null 2>&1; then
  echo "$OUT"
  exit 0
fi
command -v go >/dev/null 2>&1 || { echo "build-compose.sh: Go is missing (apt-get install golang, or put go on PATH)" >&2; exit 1; }
export GOMODCACHE="$CACHE/go/mod" GOCACHE="$CACHE/go/build" GOTOOLCHAIN=local GOFLAGS=-mod=mod
work="$(mktemp -d)"
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
dir="$(go mod download -json "github.com/docker/compose/v2@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[ -d "$dir" ] || { echo "build-compose.sh: could not download github.com/docker/compose/v2@$VERSION" >&2; exit 1; }
cp -r "$dir" src && chmod -R u+w src && cd src
go mod download >&2
mkdir -p "$(dirname "$OUT")"
go build -trimpath -ldflags "-s -w -X github.com/docker/compose/v2/internal.Version=$VERSION" -o "$OUT.tmp" ./cmd >&2
mv "$OUT.tmp" "$OUT"
echo "$OUT"
