#!/usr/bin/env bash
# The README's first command: sets up what is missing, builds Flareo, imports the
# offline base images, starts `flareo serve` on the embedded defaults (SQLite and
# blobs under the data directory, an embedded worker) and leaves the bundled demo
# module (examples/hello) submitted, approved and built. Then serves until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
scripts/setup.sh
log "building flareo"
cargo build --release --locked -p flareo
flareo="$CARGO_TARGET_DIR/release/flareo"
export FLAREO_DATA_DIR="${FLAREO_DATA_DIR:-/var/lib/flareo}"
export FLAREO_CONFIG="${FLAREO_CONFIG:-$PWD/examples/flareo-config.yaml}"
port="${FLAREO_PORT:-8080}"
url="http://127.0.0.1:$port"
mkdir -p "$FLAREO_DATA_DIR/demo"
chmod 700 "$FLAREO_DATA_DIR/demo"

log "base images (built offline, cached in $FLAREO_CACHE/base-images)"
scripts/base-images.sh all | while read -r name file; do
  "$flareo" base import "$name" "$file"
done

# The demo's people: an administrator (password generated once, kept 0600 in the
# data directory), a maintainer and a reviewer, each with a CLI login of its own.
admin_pw_file="$FLAREO_DATA_DIR/demo/admin-password"
[ -s "$admin_pw_file" ] || (umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$admin_pw_file")
export FLAREO_ADMIN_EMAIL="${FLAREO_ADMIN_EMAIL:-admin@localhost}"
export FLAREO_ADMIN_PASSWORD="$(cat "$admin_pw_file")"

log "starting flareo serve on $url (data in $FLAREO_DATA_DIR)"
"$flareo" serve --listen "127.0.0.1:$port" &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null' EXIT INT TERM
for _ in $(seq 1 100); do
  curl -fsS "$url/healthz" >/dev/null 2>&1 && break
  kill -0 $server 2>/dev/null || die "flareo serve exited; see the log above"
  sleep 0.2
done
curl -fsS "$url/healthz" >/dev/null || die "flareo serve did not become healthy at $url"

as() { # as ROLE flareo-args...: run the CLI logged in as the demo ROLE
  local role=$1; shift
  XDG_CONFIG_HOME="$FLAREO_DATA_DIR/demo/$role" FLAREO_SERVER="$url" "$flareo" "$@"
}
if ! curl -fsS "$url/api/v1/modules/hello" >/dev/null 2>&1; then
  log "demo: users, then publish examples/hello as a maintainer and approve it as a reviewer"
  FLAREO_PASSWORD="$FLAREO_ADMIN_PASSWORD" as admin login --email "$FLAREO_ADMIN_EMAIL"
  for role in maintainer reviewer; do
    pw_file="$FLAREO_DATA_DIR/demo/$role-password"
    [ -s "$pw_file" ] || (umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$pw_file")
    FLAREO_PASSWORD="$(cat "$pw_file")" as admin users add "$role@localhost" --role "$role" >/dev/null 2>&1 || true
    FLAREO_PASSWORD="$(cat "$pw_file")" as "$role" login --email "$role@localhost"
  done
  pending=$(as reviewer review list --json | python3 -c 'import json,sys; print(" ".join(str(s["id"]) for s in json.load(sys.stdin)["pending"] if s["slug"]=="hello"))')
  if [ -z "$pending" ]; then
    id=$(as maintainer publish examples/hello --tag v1.0.0 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  else
    id=$pending
  fi
  as reviewer review approve "$id"
  as maintainer status "$id" --follow
fi
as admin modules hello 2>/dev/null || "$flareo" modules hello --server "$url"
log "Flareo is running at $url/ (catalog), $url/api/v1/modules (API), $url/api/v1/openapi.json"
log "administrator: $FLAREO_ADMIN_EMAIL, password in $admin_pw_file; demo users' passwords beside it"
log "press Ctrl-C to stop"
wait $server
