#!/bin/sh
# bench-tmdb-routes.sh: the reference for scripts/bench-serve.sh's TMDB routes: tmdb-sim
# serving a catalog of the same size, asked /3/movie/{id}?append_to_response=credits for random
# ids and /3/discover/movie with random filters (wrk, 10 s, 32 connections, loopback).
#
# usage: scripts/bench-tmdb-routes.sh [SIZE...]    (default: 100000)
#   DURATION=10s CONNECTIONS=32 BENCH_DIR=target/bench
#
# tmdb-sim's ids are sparse (about one number in two is a movie), so about half the by-id
# requests answer 404: the non-2xx column counts them. Its discover requests are bench-serve.sh's
# without the runtime and cast filters (scripts/bench-lua.sh says why).
set -eu
cd "$(dirname "$0")/.."
SIZES=${*:-100000}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
BENCH_DIR=${BENCH_DIR:-target/bench}
. scripts/bench-lua.sh
command -v wrk >/dev/null || { echo "bench-tmdb-routes: wrk is missing (apt-get install -y wrk)" >&2; exit 2; }
mkdir -p "$BENCH_DIR"
cargo build --release --locked --bin tmdb-sim >&2

bench() {
    name=$1 url=$2 lua=$3
    result=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s "$lua" "$url")
    rps=$(echo "$result" | awk '/^Requests\/sec/ {print $2}')
    p99=$(echo "$result" | awk '$1 == "99%" {print $2}')
    bad=$(echo "$result" | awk '/Non-2xx/ {print $5}')
    printf '%-28s %12s %10s %8s\n' "$name" "$rps" "$p99" "${bad:-0}"
}

for n in $SIZES; do
    cat >"$BENCH_DIR/sim_by_id.lua" <<LUA
math.randomseed(42)
request = function()
  return wrk.format(nil, "/3/movie/" .. math.random(1, $((n * 2))) .. "?append_to_response=credits")
end
LUA
    discover=$(discover_lua "$n" sim)
    out=$BENCH_DIR/sim.out
    target/release/tmdb-sim --port 0 --movies "$n" --seed 1 >"$out" 2>/dev/null &
    pid=$!
    trap 'kill $pid 2>/dev/null' EXIT
    for _ in $(seq 100); do grep -q listening "$out" && break; sleep 0.1; done
    base=$(sed -n 's/^listening on //p' "$out")
    # The first discover request computes the day's rows; not part of the measure.
    curl -fs "$base/3/discover/movie" >/dev/null
    printf '\n## tmdb-sim, %s movies (%s, %s connections; load average %s)\n' \
        "$n" "$DURATION" "$CONNECTIONS" "$(cut -d' ' -f1-3 /proc/loadavg)"
    printf '%-28s %12s %10s %8s\n' route "req/s" p99 non-2xx
    bench "/3/movie+credits (random)" "$base" "$BENCH_DIR/sim_by_id.lua"
    bench "/3/discover (varied)" "$base" "$discover"
    kill "$pid"
    trap - EXIT
done
