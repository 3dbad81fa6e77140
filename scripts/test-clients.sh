#!/usr/bin/env bash
# Usage: scripts/test-clients.sh [DIR]
# Installs the two TMDB client libraries tests/tmdb_routes.rs drives against tmdb-serve and
# tmdb-sim, at pinned versions, into DIR (default target/tmdb-clients; never committed):
# tmdbsimple from PyPI into DIR/py, moviedb-promise from npm into DIR/node. Does nothing when
# both are there at these versions. scripts/test-deps.sh runs it (so `make test` and
# .ci/install do), and the test runs it before starting.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-${CARGO_TARGET_DIR:-target}/tmdb-clients}
TMDBSIMPLE=2.9.8
MOVIEDB_PROMISE=4.0.8

if [ ! -d "$dir/py/tmdbsimple-$TMDBSIMPLE.dist-info" ]; then
    command -v python3 >/dev/null || { echo "test-clients: python3 is missing (scripts/test-deps.list)" >&2; exit 2; }
    echo "test-clients: installing tmdbsimple $TMDBSIMPLE into $dir/py"
    rm -rf "$dir/py"
    python3 -m pip install --quiet --disable-pip-version-check --no-input \
        --target "$dir/py" "tmdbsimple==$TMDBSIMPLE"
fi
installed=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' \
    "$dir/node/node_modules/moviedb-promise/package.json" 2>/dev/null || true)
if [ "$installed" != "$MOVIEDB_PROMISE" ]; then
    command -v npm >/dev/null || { echo "test-clients: npm is missing (scripts/test-deps.list)" >&2; exit 2; }
    echo "test-clients: installing moviedb-promise $MOVIEDB_PROMISE into $dir/node"
    mkdir -p "$dir/node"
    npm install --silent --no-audit --no-fund --no-save --prefix "$dir/node" \
        "moviedb-promise@$MOVIEDB_PROMISE"
fi
