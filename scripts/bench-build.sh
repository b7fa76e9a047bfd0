#!/usr/bin/env bash
# Flareo's build overhead as a ratio: `flareo build` against a bare `buildah bud`
# with the same flags, on the same context and storage, runs interleaved.
# Usage: scripts/bench-build.sh [RUNS]   (default 5). Needs root, like the worker.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
runs=${1:-5}
cargo build --release --locked -q -p flareo
flareo="$CARGO_TARGET_DIR/release/flareo"
work=$(mktemp -d /var/tmp/flareo-bench.XXXXXX)
chmod 755 "$work"  # builds reach their storage as the mapped uid
trap 'rm -rf "$work"' EXIT
export FLAREO_DATA_DIR="$work/data" FLAREO_CONFIG="$PWD/examples/flareo-config.yaml"
read -r name file < <(scripts/base-images.sh busybox)
digest=$("$flareo" base import "$name" "$file" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["digest"])')

# The module: a context of 200 files, a build stage that writes 2000 files, a final stage.
mkdir -p "$work/module/src" "$work/bare"
for i in $(seq 1 200); do printf 'file %s\n' "$i" >"$work/module/src/f$i.txt"; done
body='COPY src/ /src/
RUN mkdir -p /out && for i in $(seq 1 2000); do echo "$i" > /out/$i; done && cat /src/*.txt > /out/all
FROM BASE
COPY --from=build /out/ /out/
LABEL org.opencontainers.image.source=s org.opencontainers.image.licenses=MIT org.opencontainers.image.description=d
USER 1000
HEALTHCHECK CMD true
CMD ["/bin/sh"]'
printf 'FROM busybox:1.35 AS build\n%s\n' "${body//BASE/busybox:1.35}" >"$work/module/Dockerfile"
pinned="localhost/flareo-base/busybox@$digest"
printf 'FROM %s AS build\n%s\n' "$pinned" "${body//BASE/$pinned}" >"$work/bare/Dockerfile"
: >"$work/bare/ignore"

storage="$FLAREO_DATA_DIR/buildah"
bare() {
  unshare --net sh -c 'ip link set lo up && exec "$@"' sh \
    buildah --root "$storage/storage" --runroot "$storage/run" --storage-driver overlay \
    bud --pull=never --network host --dns=none --format docker --layers=false --no-cache \
    --rm --force-rm --identity-label=false \
    --userns-uid-map 0:100000:65536 --userns-gid-map 0:100000:65536 \
    --memory=4294967296b --memory-swap=-1 --cpu-period 100000 --cpu-quota=200000 \
    --runtime runc --timestamp=0 --ignorefile "$work/bare/ignore" \
    -f "$work/bare/Dockerfile" -t bench-bare "$work/module" >/dev/null 2>&1
  buildah --root "$storage/storage" --runroot "$storage/run" --storage-driver overlay rmi bench-bare >/dev/null
}
now() { date +%s.%N; }
flareo_t=() bare_t=()
# One warm-up of each (the first use of the uid mapping copies the base layer).
"$flareo" build "$work/module" >/dev/null 2>&1; bare
for r in $(seq 1 "$runs"); do
  t0=$(now); "$flareo" build "$work/module" >/dev/null 2>&1; t1=$(now)
  bare; t2=$(now)
  flareo_t+=("$(python3 -c "print(round($t1 - $t0, 3))")"); bare_t+=("$(python3 -c "print(round($t2 - $t1, 3))")")
  log "run $r: flareo build ${flareo_t[-1]} s, bare buildah bud ${bare_t[-1]} s"
done
python3 - "${flareo_t[*]}" "${bare_t[*]}" <<'PY'
import statistics, sys
f = [float(x) for x in sys.argv[1].split()]
b = [float(x) for x in sys.argv[2].split()]
mf, mb = statistics.median(f), statistics.median(b)
print(f"runs: {len(f)} each, interleaved")
print(f"flareo build      median {mf:.3f} s  (min {min(f):.3f}, max {max(f):.3f})")
print(f"bare buildah bud  median {mb:.3f} s  (min {min(b):.3f}, max {max(b):.3f})")
print(f"ratio flareo/bare (median): {mf / mb:.2f}")
PY
