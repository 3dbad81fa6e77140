#!/bin/sh
# Usage: scripts/demo.sh DATA SERVE ADDR
# The whole pipeline offline: starts tmdb-sim on a free loopback port (2,000 movies, a small
# fault rate, a token it checks), runs `make mirror` against it into DATA, stops the
# simulator, then serves the mirror on ADDR until Ctrl-C (unless SERVE is 0).
set -eu
[ $# -eq 3 ] || { echo "usage: $0 DATA SERVE ADDR" >&2; exit 2; }
data=$1 serve=$2 addr=$3
bin=target/release
token=demo-token-not-secret

mkdir -p "$data"
. scripts/lib.sh
start_server "$data/sim.stdout" "$bin/tmdb-sim" --port 0 --movies 2000 --seed 42 \
    --fault-rate 0.01 --stall-ms 500 --token "$token"
sim=$server_pid url=$server_url
trap 'kill $sim 2>/dev/null || true' EXIT INT TERM
echo "demo: tmdb-sim serving a synthetic TMDB at $url"

TMDB_TOKEN=$token TMDB_API_URL=$url/3 TMDB_EXPORT_URL=$url/p/exports \
    make --no-print-directory mirror DATA="$data" RATE=500 CONCURRENCY=16

kill $sim 2>/dev/null || true
wait $sim 2>/dev/null || true
trap - EXIT INT TERM

# The last line says how to serve the mirror again later: its DATA is not the default one.
if [ "$serve" = 0 ]; then
    echo "demo: mirror ready in $data; serve it with: make serve DATA=$data"
    exit 0
fi
echo "demo: serving $data/tmdb.db on http://$addr (Ctrl-C to stop; later: make serve DATA=$data)"
exec "$bin/tmdb-serve" --db "$data/tmdb.db" --addr "$addr"
