#!/usr/bin/env bash
# Sets up what is missing, builds Flareo, builds the offline base images, imports
# them into the base-image cache and builds the bundled demo module with buildah.
# (Later issues make this start the server, a worker and the demo module.)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
scripts/setup.sh
log "building flareo"
cargo build --release --locked -p flareo
flareo="$CARGO_TARGET_DIR/release/flareo"
export FLAREO_DATA_DIR="${FLAREO_DATA_DIR:-/var/lib/flareo}"
export FLAREO_CONFIG="${FLAREO_CONFIG:-$PWD/examples/flareo-config.yaml}"
log "base images (built offline, cached in $FLAREO_CACHE/base-images)"
scripts/base-images.sh all | while read -r name file; do
  "$flareo" base import "$name" "$file"
done
"$flareo" base list
log "flareo lint examples/hello"
"$flareo" lint examples/hello
log "flareo build examples/hello"
"$flareo" build examples/hello --oci-layout "$FLAREO_DATA_DIR/hello.oci"
log "done: the image is in $FLAREO_DATA_DIR/blobs; OCI layout at $FLAREO_DATA_DIR/hello.oci (try: skopeo inspect oci:$FLAREO_DATA_DIR/hello.oci)"
