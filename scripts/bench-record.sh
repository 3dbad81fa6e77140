#!/bin/sh
# Usage: scripts/bench-record.sh [MOVIES]   (make bench; default 100000)
# How fast tmdb-serve rebuilds TMDB's own JSON from the whole-record tables: requests per second,
# p99 latency and server CPU per request of /3/movie/{id}?append_to_response=<all 9 appends>,
# beside /3/movie/{id} without appends and the native /movies/{id}, with wrk (random IDs of the
# loaded set, a wrk lua script) on a mirror of MOVIES sim movies with every append.
#
# The mirror is real: `tmdb-sim --movies N --dump` (every append) loaded by ndjson-load, built
# once into $BENCH_DIR/record-N.db and reused while the schema version is the same (the build's
# own figures are kept beside it in record-N.build.txt and printed on every run). The page cache
# is warmed (the file is read once) and each route gets a 2 s warm-up before its run.
# tmdb-serve keeps answers by request target (64 MB, 20,000 answers at most, cache.rs): on a
# small mirror the random-ID runs are mostly cache hits, so a run with the appends in a random
# order (every target new) gives the rebuild's own speed.
#   DURATION=10s CONNECTIONS=32 THREADS=<tmdb-serve --threads, default its own>
#   BENCH_DIR=target/bench
# Needs target/release/{tmdb-sim,ndjson-load,tmdb-serve}, wrk, sqlite3; GNU time for CPU figures.
set -eu
cd "$(dirname "$0")/.."
. scripts/lib.sh
movies=${1:-100000}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
BENCH_DIR=${BENCH_DIR:-target/bench}
SERVE_THREADS=${THREADS:-}
sim=target/release/tmdb-sim
load=target/release/ndjson-load
serve=target/release/tmdb-serve
for bin in "$sim" "$load" "$serve"; do
    [ -x "$bin" ] || { echo "$0: build first: cargo build --release" >&2; exit 2; }
done
for tool in wrk sqlite3; do
    command -v "$tool" >/dev/null || { echo "$0: needs $tool (apt-get install -y $tool)" >&2; exit 2; }
done
mkdir -p "$BENCH_DIR"
APPEND=credits,keywords,release_dates,external_ids,alternative_titles,translations,videos,images,watch/providers
SCHEMA=$(ls sql/[0-9][0-9][0-9][0-9]_*.sql | sed -n '$s|^sql/0*\([0-9][0-9]*\)_.*|\1|p')
db=$BENCH_DIR/record-$movies.db
build=$BENCH_DIR/record-$movies.build.txt

# measure CMD...: runs CMD; sets elapsed, cpu (s) and rss (MB) when GNU time is there.
measure() {
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -f '%e %U %S %M' -o "$BENCH_DIR/record.time" "$@"
        read -r elapsed user sys rss <"$BENCH_DIR/record.time"
        cpu=$(echo "$user + $sys" | bc)
        rss="$((rss / 1024)) MB"
    else
        start=$(date +%s.%N)
        "$@"
        elapsed=$(printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc)")
        cpu=? rss=?
    fi
}

if [ ! -f "$db" ] || [ "$(sqlite3 "$db" 'PRAGMA user_version')" != "$SCHEMA" ] || [ ! -f "$build" ]; then
    echo "bench-record: building $db ($movies sim movies, every append)..." >&2
    dump=$BENCH_DIR/record-dump
    rm -rf "$dump" "$db" "$db-wal" "$db-shm" "$db.part" "$db.part-wal" "$db.part-shm"
    measure "$sim" --movies "$movies" --seed 1 --dump "$dump" >/dev/null
    dump_line="tmdb-sim --movies $movies --seed 1 --dump: $elapsed s wall, $cpu s CPU"
    bytes=$(wc -c <"$dump/movies.ndjson")
    measure "$load" --db "$db.part" --kind movies "$dump/movies.ndjson" 2>"$BENCH_DIR/record.load.err"
    {
        echo "built $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
        echo "$dump_line"
        echo "ndjson-load of $(echo "scale=0; $bytes / 1048576" | bc) MB: $elapsed s wall, $cpu s CPU, peak RSS $rss;" \
            "$(echo "scale=1; $bytes / 1048576 / $elapsed" | bc) MB/s"
        echo "$(tail -n 1 "$BENCH_DIR/record.load.err")"
    } >"$build"
    rm -rf "$dump"
    mv "$db.part" "$db"
    rm -f "$db.part-wal" "$db.part-shm"
fi
echo "mirror: $db, $(sqlite3 "$db" 'SELECT count(*) FROM movie') movies," \
    "$(echo "scale=0; $(wc -c <"$db") / 1048576" | bc) MB; built by:"
sed 's/^/  /' "$build"

# Random IDs of the loaded set (sim IDs are not contiguous: some are gone, as on TMDB).
sqlite3 "$db" 'SELECT id FROM movie ORDER BY id' | awk '
    BEGIN { printf "ids = {" } { printf "%s%s", (NR > 1 ? "," : ""), $1 } END { print "}" }' \
    >"$BENCH_DIR/record-ids.lua"
# ids_lua NAME PREFIX SUFFIX: a wrk script asking for PREFIX<random loaded id>SUFFIX.
ids_lua() {
    file=$BENCH_DIR/record-$1.lua
    {
        cat "$BENCH_DIR/record-ids.lua"
        cat <<LUA
math.randomseed(42)
request = function()
  return wrk.format(nil, "$2" .. ids[math.random(#ids)] .. "$3")
end
LUA
    } >"$file"
    echo "$file"
}
# shuffled_lua: all appends for a random loaded id, the 9 names in a random order each time:
# every request target differs, so tmdb-serve's answer cache (by target) never answers and
# each request is a rebuild from the tables.
shuffled_lua() {
    file=$BENCH_DIR/record-shuffled.lua
    {
        cat "$BENCH_DIR/record-ids.lua"
        cat <<LUA
math.randomseed(43)
local appends = {}
for a in string.gmatch("$APPEND", "[^,]+") do appends[#appends + 1] = a end
request = function()
  for i = #appends, 2, -1 do
    local j = math.random(i)
    appends[i], appends[j] = appends[j], appends[i]
  end
  return wrk.format(nil, "/3/movie/" .. ids[math.random(#ids)] .. "?append_to_response=" ..
    table.concat(appends, ","))
end
LUA
    } >"$file"
    echo "$file"
}

cat "$db" >/dev/null # the page cache, as a server that has been running would have it
# shellcheck disable=SC2086
start_server "$BENCH_DIR/record-serve.out" sh -c \
    "exec $serve --db $db --addr 127.0.0.1:0 ${SERVE_THREADS:+--threads $SERVE_THREADS} 2>/dev/null"
trap 'kill $server_pid 2>/dev/null || true' EXIT

# CPU time (user + system, in clock ticks) the server has used so far.
ticks() { awk '{ print $14 + $15 }' "/proc/$server_pid/stat"; }
hz=$(getconf CLK_TCK)

# bench NAME LUA: a warm-up, then one wrk run; prints req/s, p50, p99, server CPU per request,
# mean body size, non-2xx and socket errors.
bench() {
    wrk -t1 -c4 -d2s -s "$2" "$server_url" >/dev/null
    t0=$(ticks)
    result=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s "$2" "$server_url")
    t1=$(ticks)
    echo "$result" >"${2%.lua}.wrk"
    requests=$(echo "$result" | awk '/requests in/ { print $1 }')
    rps=$(echo "$result" | awk '/^Requests\/sec/ { print $2 }')
    p50=$(echo "$result" | awk '$1 == "50%" { print $2 }')
    p99=$(echo "$result" | awk '$1 == "99%" { print $2 }')
    bad=$(echo "$result" | awk '/Non-2xx/ { print $5 }')
    errors=$(echo "$result" | awk '/Socket errors/ { print $4 $6 $8 $10 }')
    cpu_ms=$(echo "scale=2; ($t1 - $t0) * 1000 / $hz / $requests" | bc)
    # wrk's "Transfer/sec" over "Requests/sec" is the mean answer size, headers included.
    size=$(echo "$result" | awk '/^Transfer\/sec/ {
        v = $2; u = substr(v, length(v) - 1); n = v + 0
        if (u == "KB") n *= 1024; else if (u == "MB") n *= 1048576; else if (u == "GB") n *= 1073741824
        printf "%d\n", n }')
    kb=$(echo "scale=1; $size / $rps / 1024" | bc)
    printf '%-36s %10s %9s %9s %11s %9s %7s %s\n' "$1" "$rps" "$p50" "$p99" "$cpu_ms" "$kb" \
        "${bad:-0}" "${errors:-0}"
}

printf '\n## tmdb-serve on %s (%s, %s connections, threads %s, wrk -t2; %s cores, load average %s)\n' \
    "$db" "$DURATION" "$CONNECTIONS" "${SERVE_THREADS:-default}" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-36s %10s %9s %9s %11s %9s %7s %s\n' route "req/s" p50 p99 "CPU ms/req" "KB/answer" non-2xx "socket errors c/r/w/t"
bench "/3/movie/{id}?append_to_response=<9>" "$(ids_lua all "/3/movie/" "?append_to_response=$APPEND")"
bench "  the same, appends shuffled (no cache)" "$(shuffled_lua)"
bench "/3/movie/{id} (details only)" "$(ids_lua details "/3/movie/" "")"
bench "/movies/{id} (native)" "$(ids_lua native "/movies/" "")"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
