# Shared settings for Flareo's scripts: sourced, never run.
# Caches live outside the clone so repeat runs (and CI on this machine) are fast.
export FLAREO_CACHE="${FLAREO_CACHE:-$HOME/.cache/flareo}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$FLAREO_CACHE/target}"
export PATH="$HOME/.cargo/bin:$PATH"
log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
