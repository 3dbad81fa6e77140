#!/bin/sh
# bench-tmdb-routes.sh: the reference for scripts/bench-serve.sh's TMDB routes: tmdb-sim
# serving a catalog of the same size, asked /3/movie/{id}?append_to_response=credits for random
# ids and /3/discover/movie with random filters (wrk, 10 s, 32 connections, loopback).
#
# usage: scripts/bench-tmdb-routes.sh [SIZE...]    (default: 100000)
#   DURATION=10s CONNECTIONS=32 BENCH_DIR=target/bench
#
# tmdb-sim's ids are sparse (about one number in two is a movie), so about half the by-id
# requests answer 404: the non-2xx column counts them. Its discover filters here are those of
# bench-serve.sh's discover script except with_cast: a cast filter makes tmdb-sim build its
# whole-catalog index (every movie with every append), which at this size is minutes and
# gigabytes, not a request.
set -eu
cd "$(dirname "$0")/.."
SIZES=${*:-100000}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
BENCH_DIR=${BENCH_DIR:-target/bench}
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
    cat >"$BENCH_DIR/sim_discover.lua" <<'LUA'
math.randomseed(13)
local genres = {28,12,16,35,80,99,18,10751,14,36,27,10402,9648,10749,878,10770,53,10752,37}
local langs = {"en","fr","es","ja","de","it","ko"}
local sorts = {"popularity.desc","vote_average.desc","vote_count.desc","primary_release_date.desc",
  "primary_release_date.asc","revenue.desc","title.asc"}
local function pick(t) return t[math.random(#t)] end
request = function()
  local q = {"sort_by=" .. pick(sorts)}
  if math.random() < 0.6 then
    local sep = math.random() < 0.5 and "," or "%7C"
    q[#q + 1] = "with_genres=" .. pick(genres) .. (math.random() < 0.5 and (sep .. pick(genres)) or "")
  end
  if math.random() < 0.4 then q[#q + 1] = "primary_release_year=" .. math.random(1950, 2025) end
  if math.random() < 0.3 then
    local y = math.random(1950, 2020)
    q[#q + 1] = "primary_release_date.gte=" .. y .. "-01-01&primary_release_date.lte=" .. (y + math.random(0, 5)) .. "-12-31"
  end
  if math.random() < 0.3 then q[#q + 1] = "with_original_language=" .. pick(langs) end
  if math.random() < 0.3 then q[#q + 1] = "vote_count.gte=" .. math.random(0, 2000) end
  if math.random() < 0.2 then q[#q + 1] = "vote_average.gte=" .. math.random(1, 8) end
  if math.random() < 0.2 then q[#q + 1] = "page=" .. math.random(2, 5) end
  return wrk.format(nil, "/3/discover/movie?" .. table.concat(q, "&"))
end
LUA
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
    bench "/3/discover (varied)" "$base" "$BENCH_DIR/sim_discover.lua"
    kill "$pid"
    trap - EXIT
done
