#!/usr/bin/env bash
# Builds Flareo's offline base images, reproducibly, into $FLAREO_CACHE/base-images
# (reused when present): these machines cannot reach Docker Hub.
#   busybox-1.35.oci.tar    BusyBox 1.35 (Debian's busybox-static) with /etc/passwd
#   debian-12-slim.oci.tar  Debian 12 "bookworm" minbase from Debian's packages (mmdebstrap)
# Usage: scripts/base-images.sh [busybox|debian|all]   (default: all)
# Prints "NAME:TAG PATH" per image on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
which=${1:-all}
out="$FLAREO_CACHE/base-images"
mkdir -p "$out"
# A fixed epoch: the same packages give the same image bytes.
export SOURCE_DATE_EPOCH=1700000000

busybox_image() {
  local tar="$out/busybox-1.35.oci.tar"
  if [ ! -s "$tar" ]; then
    log "building busybox:1.35 from $(command -v busybox)"
    local root; root=$(mktemp -d)
    trap 'rm -rf "$root"' RETURN
    mkdir -p "$root"/{bin,etc,tmp,root,home/app}
    cp /bin/busybox "$root/bin/busybox"
    for applet in $(/bin/busybox --list); do
      [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
    printf 'root:x:0:\napp:x:1000:\nnogroup:x:65534:\n' >"$root/etc/group"
    chmod 1777 "$root/tmp"
    python3 scripts/oci-from-rootfs.py --dir "$root" --ref busybox:1.35 --out "$tar" --cmd /bin/sh >/dev/null
  fi
  echo "busybox:1.35 $tar"
}

debian_image() {
  local tar="$out/debian-12-slim.oci.tar"
  if [ ! -s "$tar" ]; then
    log "building debian:12-slim with mmdebstrap (downloads ~30 MB of .debs once)"
    local work; work=$(mktemp -d)
    trap 'rm -rf "$work"' RETURN
    mmdebstrap --quiet --variant=minbase --mode=root --format=tar \
      --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
      --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
      --customize-hook='rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/* "$1"/var/log/*.log' \
      bookworm "$work/rootfs.tar" http://deb.debian.org/debian
    python3 scripts/oci-from-rootfs.py --tar "$work/rootfs.tar" --ref debian:12-slim --out "$tar" --cmd bash >/dev/null
  fi
  echo "debian:12-slim $tar"
}

case "$which" in
  busybox) busybox_image ;;
  debian) debian_image ;;
  all) busybox_image; debian_image ;;
  *) die "unknown image set $which (busybox, debian or all)" ;;
esac
