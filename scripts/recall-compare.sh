#!/usr/bin/env bash
# Cataloger recall against peer tools, on the same inputs.
#
# Builds inputs in a temporary directory: a Python virtualenv with a set of
# wheels installed (setuptools upgraded, as many Dockerfiles do: recent ones
# vendor packages with their own .dist-info); an npm project after
# `npm install` (package-lock.json and node_modules); and the same project
# after `npm ci --omit=dev` (a production image: the lock still pins the dev
# dependencies). Each is cataloged by flareo-scan's `catalog_dir` example and
# by peers: cyclonedx-py `environment` (venv), cyclonedx-npm (npm trees) and
# cdxgen (all). Purls are normalised (qualifiers and subpath dropped,
# percent-decoded, PyPI names PEP 503-normalised) and, per input, the script
# prints how many packages each tool found and the packages found by one side
# only (ours vs each peer).
#
# Peers are installed once under $FLAREO_PEERS (default
# ~/.cache/flareo/peers); inputs need the PyPI and npm registries.
#
# Usage: scripts/recall-compare.sh
#   KEEP=1                 keep the work directory (inputs, SBOMs) and print it
#   FLAREO_CATALOG_DIR=B   use the prebuilt catalog_dir binary B instead of cargo
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PEERS=${FLAREO_PEERS:-$HOME/.cache/flareo/peers}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/flareo/target}
export FETCH_LICENSE=false CDXGEN_NO_BANNER=true NODE_NO_WARNINGS=1

# Peer versions (pinned so a rerun compares the same tools).
CDX_PY=cyclonedx-bom==7.5.0
CDXGEN=@cyclonedx/cdxgen@12.8.4
CDX_NPM=@cyclonedx/cyclonedx-npm@6.0.1

# Inputs: top-level versions pinned; transitive ones are whatever resolves.
PY_WANTS=(requests==2.34.2 flask==3.1.3 pyyaml==6.0.3 cryptography==50.0.2
    sqlalchemy==2.1.9 pydantic==2.14.3 httpx==0.28.1 rich==15.0.0
    python-dateutil==4.0.0 pytest==9.2.0 setuptools==84.2.1)

log() { printf '== %s\n' "$*" >&2; }

install_peers() {
    mkdir -p "$PEERS"
    if [[ ! -x $PEERS/cdx-py/bin/cyclonedx-py ]]; then
        log "installing $CDX_PY into $PEERS/cdx-py"
        python3 -m venv "$PEERS/cdx-py"
        "$PEERS/cdx-py/bin/pip" install -q "$CDX_PY"
    fi
    if [[ ! -x $PEERS/node_modules/.bin/cdxgen || ! -x $PEERS/node_modules/.bin/cyclonedx-npm ]]; then
        log "installing $CDXGEN $CDX_NPM into $PEERS"
        [[ -f $PEERS/package.json ]] || (cd "$PEERS" && npm init -y >/dev/null)
        (cd "$PEERS" && npm install --no-fund --no-audit --loglevel=error "$CDXGEN" "$CDX_NPM")
    fi
}

catalog_bin() {
    if [[ -n ${FLAREO_CATALOG_DIR:-} ]]; then
        echo "$FLAREO_CATALOG_DIR"
        return
    fi
    (cd "$ROOT" && cargo build -q -p flareo-scan --example catalog_dir)
    echo "$CARGO_TARGET_DIR/debug/examples/catalog_dir"
}

make_venv() { # DIR
    log "input venv: pip install ${PY_WANTS[*]}"
    python3 -m venv "$1"
    "$1/bin/pip" install -q --disable-pip-version-check "${PY_WANTS[@]}"
}

make_npm() { # DIR
    log "input npm: npm install"
    mkdir -p "$1"
    cat >"$1/package.json" <<'EOF'
{
  "name": "recall-fixture",
  "version": "1.0.0",
  "private": true,
  "dependencies": {
    "@aws-sdk/client-s3": "3.1173.0",
    "@babel/core": "7.29.13",
    "axios": "1.21.1",
    "express": "4.22.3",
    "lodash": "4.18.1",
    "react": "18.3.1",
    "react-dom": "18.3.1"
  },
  "devDependencies": {
    "esbuild": "0.20.2",
    "eslint": "8.57.1",
    "typescript": "5.9.3"
  },
  "optionalDependencies": {
    "fsevents": "^2"
  }
}
EOF
    (cd "$1" && npm install --no-fund --no-audit --loglevel=error >/dev/null)
}

main() {
    install_peers
    local bin work
    bin=$(catalog_bin)
    work=$(mktemp -d "${TMPDIR:-/tmp}/recall-compare.XXXXXX")
    if [[ ${KEEP:-} == 1 ]]; then
        log "work directory: $work"
    else
        trap 'rm -rf "$work"' EXIT
    fi
    local out=$work/out
    mkdir -p "$out"

    make_venv "$work/venv"
    make_npm "$work/npm"
    log "input npm-prod: npm ci --omit=dev"
    mkdir -p "$work/npm-prod"
    cp "$work/npm/package.json" "$work/npm/package-lock.json" "$work/npm-prod/"
    (cd "$work/npm-prod" && npm ci --omit=dev --no-fund --no-audit --loglevel=error >/dev/null)

    log "cataloging"
    "$bin" "$work/venv" >"$out/venv.flareo.jsonl"
    "$bin" "$work/npm" >"$out/npm.flareo.jsonl"
    "$bin" "$work/npm-prod" >"$out/npm-prod.flareo.jsonl"
    "$PEERS/cdx-py/bin/cyclonedx-py" environment -o "$out/venv.cyclonedx-py.json" "$work/venv"
    # cdxgen: recursion is what finds site-packages/**/METADATA; nothing is
    # installed or fetched.
    "$PEERS/node_modules/.bin/cdxgen" -t python --no-install-deps \
        -o "$out/venv.cdxgen.json" "$work/venv" >"$out/venv.cdxgen.log" 2>&1
    # cyclonedx-npm reads `npm ls`, which fails on the missing dev
    # dependencies of npm-prod unless they are omitted there too.
    local input omit
    for input in npm npm-prod; do
        omit=()
        [[ $input == npm-prod ]] && omit=(--omit dev)
        "$PEERS/node_modules/.bin/cdxgen" -t js --no-recurse --no-install-deps \
            -o "$out/$input.cdxgen.json" "$work/$input" >"$out/$input.cdxgen.log" 2>&1
        "$PEERS/node_modules/.bin/cyclonedx-npm" --flatten-components "${omit[@]}" \
            --output-file "$out/$input.cyclonedx-npm.json" "$work/$input/package.json" \
            2>"$out/$input.cyclonedx-npm.log"
    done

    python3 - "$out" <<'EOF'
import json, re, sys
from pathlib import Path
from urllib.parse import unquote

out = Path(sys.argv[1])

def norm(purl):
    """pkg:type/ns/name@version, without qualifiers or subpath, decoded."""
    purl = purl.split("#", 1)[0].split("?", 1)[0]
    at = purl.rfind("@")
    head, version = (purl[:at], purl[at + 1:]) if at > purl.rfind("/") else (purl, "")
    kind, _, path = head[4:].partition("/")
    kind, path, version = kind.lower(), unquote(path), unquote(version)
    if kind == "pypi":
        path = re.sub(r"[-_.]+", "-", path).lower()
    return f"pkg:{kind}/{path}@{version}" if version else f"pkg:{kind}/{path}"

def ours(path):
    found = {}
    lines = path.read_text().splitlines()
    print(f"  flareo: {len(lines)} lines")
    for line in lines:
        p = json.loads(line)
        found.setdefault(norm(p["purl"]), []).append(p["location"])
    return found

def cyclonedx(path):
    def walk(components):
        for c in components or []:
            yield c
            yield from walk(c.get("components"))
    bom = json.loads(path.read_text())
    components = list(walk(bom.get("components")))
    for c in components:
        if not c.get("purl"):  # e.g. cyclonedx-py's local (editable) projects
            print(f"  {path.name}: no purl: {c.get('name')} {c.get('version')}")
    return {norm(c["purl"]): [] for c in components if c.get("purl")}

npm = ["cyclonedx-npm", "cdxgen"]
for name, peers in [("venv", ["cyclonedx-py", "cdxgen"]), ("npm", npm), ("npm-prod", npm)]:
    print(f"## {name}")
    mine = ours(out / f"{name}.flareo.jsonl")
    found = {p: cyclonedx(out / f"{name}.{p}.json") for p in peers}
    print("  distinct purls: " + ", ".join(f"{t} {len(s)}" for t, s in [("flareo", mine), *found.items()]))
    for peer, theirs in found.items():
        only_ours = sorted(set(mine) - set(theirs))
        only_theirs = sorted(set(theirs) - set(mine))
        print(f"  flareo vs {peer}: both {len(set(mine) & set(theirs))}, "
              f"flareo only {len(only_ours)}, {peer} only {len(only_theirs)}")
        for p in only_ours:
            print(f"    + {p}  ({', '.join(sorted(set(mine[p])))})")
        for p in only_theirs:
            print(f"    - {p}")
EOF
}

main "$@"
