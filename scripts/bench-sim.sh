#!/bin/sh
# Usage: scripts/bench-sim.sh [SECONDS]
# tmdb-sim's speed, so that benchmarks of the other tools measure them and not the simulator:
#   1. start time (until the "listening on" line) for 100,000 and 1,000,000 movies;
#   2. requests/s of /3/movie/{id}?append_to_response=credits over 32 keep-alive connections
#      on a 100,000-movie catalog, live IDs only (taken from the movie export), with wrk
#      (skipped with a message when wrk is not installed: apt-get install wrk).
# Needs target/release/tmdb-sim (cargo build --release).
set -eu
[ $# -le 1 ] || { echo "usage: $0 [SECONDS]" >&2; exit 2; }
secs=${1:-10}
sim=target/release/tmdb-sim
[ -x "$sim" ] || { echo "$0: $sim missing; run cargo build --release" >&2; exit 2; }
work=$(mktemp -d)
pid=
cleanup() { [ -z "$pid" ] || kill "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT INT TERM

now_ms() { date +%s%3N; }

# Starts the simulator with the given arguments; sets $pid and $base once it listens.
start() {
    mkfifo "$work/out"
    "$sim" --port 0 --today 2026-11-30 "$@" > "$work/out" 2>/dev/null &
    pid=$!
    exec 3< "$work/out"
    read -r line <&3
    base=${line#listening on }
    rm "$work/out"
}

stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=; exec 3<&-; }

for movies in 100000 1000000; do
    t0=$(now_ms)
    start --movies "$movies"
    t1=$(now_ms)
    echo "start time, $movies movies: $((t1 - t0)) ms"
    stop
done

if ! command -v wrk > /dev/null; then
    echo "wrk not installed: skipping requests/s (apt-get install wrk)"
    exit 0
fi
start --movies 100000
t0=$(now_ms)
curl -sf "$base/p/exports/movie_ids_11_30_2026.json.gz" | gzip -dc \
    | sed -n 's/.*"id":\([0-9]*\),.*/\1/p' > "$work/ids"
t1=$(now_ms)
echo "movie export, 100000 movies: $(wc -l < "$work/ids") IDs in $((t1 - t0)) ms (first request builds it)"
# wrk cycles through the live IDs.
{
    echo 'local ids = {'
    sed 's/$/,/' "$work/ids"
    echo '}'
    echo 'local n = 0'
    echo 'request = function()'
    echo '  n = n % #ids + 1'
    echo '  return wrk.format("GET", "/3/movie/" .. ids[n] .. "?append_to_response=credits")'
    echo 'end'
} > "$work/ids.lua"
echo "wrk -t2 -c32 -d${secs}s, /3/movie/{id}?append_to_response=credits, 100000 movies:"
wrk -t2 -c32 -d"${secs}s" -s "$work/ids.lua" "$base" | sed -n 's/^ *\(Requests\/sec\|Transfer\/sec\|Non-2xx.*\|.*requests in.*\)/  \1/p'
stop
