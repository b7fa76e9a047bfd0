#!/usr/bin/env bash
# The whole test suite: formatting, clippy, every test (slow ones included).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
scripts/setup.sh
log "cargo fmt --check"
cargo fmt --all -- --check
log "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
log "cargo test"
cargo test --workspace --all-targets --locked
# Doc tests run separately (--all-targets skips them).
cargo test --workspace --doc --locked
