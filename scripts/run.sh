#!/usr/bin/env bash
# Sets up what is missing, builds Flareo and runs it on the bundled demo module.
# (Later issues make this start the server, a worker and the demo module.)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
scripts/setup.sh
log "building flareo"
cargo build --release --locked -p flareo
log "flareo lint examples/hello"
"$CARGO_TARGET_DIR/release/flareo" lint examples/hello
