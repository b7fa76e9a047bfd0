#!/usr/bin/env bash
# Installs what Flareo needs on a fresh Debian 12 machine, only what is missing.
# Safe to run again. Run as root (or with sudo available).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

# Debian packages, by the command that proves each is there.
# buildah + runc build images (crun fails on these hybrid-cgroup machines), skopeo
# moves and inspects them, uidmap/iproute2 serve the build sandbox, mmdebstrap and
# busybox-static make the offline base images (scripts/base-images.sh); curl lets
# scripts/run.sh wait for the server; Go builds the scan tests' Go binary fixture;
# Node and npm run the keyless-signing tests' OIDC issuer (oauth2-mock-server) and
# playwright-core, which drives Debian's Chromium through the web pages' tests.
declare -A PKGS=(
  [git]=git
  [python3]=python3
  [pkg-config]=pkg-config
  [buildah]=buildah
  [runc]=runc
  [skopeo]=skopeo
  [newuidmap]=uidmap
  [ip]=iproute2
  [unshare]=util-linux
  [mmdebstrap]=mmdebstrap
  [busybox]=busybox-static
  [curl]=curl
  [go]=golang-go
  [docker-registry]=docker-registry
  [node]=nodejs
  [npm]=npm
  [chromium]=chromium
)
missing=()
for cmd in "${!PKGS[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${PKGS[$cmd]}")
done
# PostgreSQL's server binaries (tests start their own cluster with initdb/pg_ctl).
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
# python3 -m venv needs ensurepip, which Debian ships apart (the moto venv below).
python3 -c 'import ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
# aiosmtpd, the SMTP server the mail tests start (flareo-testkit's Smtp).
/usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1 || missing+=(python3-aiosmtpd)
if ((${#missing[@]})); then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  log "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The Rust toolchain comes with the machine (rustup); it cannot be downloaded here.
command -v cargo >/dev/null 2>&1 || die "cargo not found: install a Rust toolchain (rustup, stable >= 1.94) first"
for comp in rustfmt clippy; do
  if ! cargo "${comp/rustfmt/fmt}" --version >/dev/null 2>&1; then
    log "adding rustup component $comp"
    rustup component add "$comp" || die "rustup could not add $comp"
  fi
done
# The static busybox (not the dynamic one from package busybox) seeds the BusyBox base.
[ -x /bin/busybox ] && ldd /bin/busybox >/dev/null 2>&1 && {
  log "replacing dynamic busybox with busybox-static"
  DEBIAN_FRONTEND=noninteractive ${SUDO:-} apt-get install -y -qq busybox-static
}
# moto_server, the S3-compatible server the blob-store tests start (flareo-testkit).
if [ ! -x "$FLAREO_CACHE/venv/bin/moto_server" ]; then
  log "installing moto[server] into $FLAREO_CACHE/venv"
  python3 -m venv "$FLAREO_CACHE/venv"
  "$FLAREO_CACHE/venv/bin/pip" install -q 'moto[server]'
fi
# cargo-auditable builds the scan tests' Rust binary fixture (flareo-testkit's fixtures).
if [ ! -x "$FLAREO_CACHE/cargo/bin/cargo-auditable" ] && ! command -v cargo-auditable >/dev/null 2>&1; then
  log "installing cargo-auditable into $FLAREO_CACHE/cargo"
  CARGO_TARGET_DIR="$FLAREO_CACHE/cargo/build" cargo install --quiet --locked --root "$FLAREO_CACHE/cargo" cargo-auditable
  rm -rf "$FLAREO_CACHE/cargo/build"
fi
mkdir -p "$FLAREO_CACHE"
log "setup complete (cache: $FLAREO_CACHE)"
