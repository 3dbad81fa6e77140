#!/bin/sh
# Usage: scripts/bench-fetch.sh   (after cargo build --release; run from the repository root)
# Measures tmdb-fetch against tmdb-sim on loopback and prints one line per figure:
#   1. requests per movie and per person (target 1.00);
#   2. rate budget: sim --rate 50 against fetch --rate 50, RATE_MOVIES movies: average req/s
#      (target >= 47) and the share of 429s (target <= 0.5%);
#   3. cost: an unlimited sim, COST_MOVIES movies with tmdb-fetch's default appends (every
#      sub-resource), a high --rate: req/s, CPU seconds (user+sys of the tmdb-fetch process,
#      /usr/bin/time) per 1,000 movies (target <= 0.5), peak RSS (target < 100 MB), bytes per
#      movie (the record lines, and the bodies as sent: gzipped, as TMDB's CDN sends them to a
#      client that takes gzip), the MB/s a full-rate (40/s) run needs, and which of the appends
#      the simulator answered;
#   4. faults: sim --fault-rate 0.05 --rate 50, FAULT_MOVIES movies: every live ID fetched
#      once, every deleted ID reported gone;
#   5. throttled: sim --rate 20 against fetch --rate 80, THROTTLE_MOVIES movies: the 429s it
#      takes to find the simulator's limit, and the rate it settles at.
# Sizes can be lowered for a quick look: RATE_MOVIES=500 COST_MOVIES=2000 FAULT_MOVIES=300.
set -eu
BIN=${BIN:-target/release}
RATE_MOVIES=${RATE_MOVIES:-5000}
COST_MOVIES=${COST_MOVIES:-20000}
FAULT_MOVIES=${FAULT_MOVIES:-2000}
PEOPLE=${PEOPLE:-2000}
THROTTLE_MOVIES=${THROTTLE_MOVIES:-600}
TOKEN=bench-token
work=$(mktemp -d)
sim_pid=
trap 'if [ -n "$sim_pid" ]; then kill "$sim_pid" 2>/dev/null || true; fi; rm -rf "$work"' EXIT

# start_sim ARGS...: runs tmdb-sim on a free port and points tmdb-fetch at it.
start_sim() {
    "$BIN/tmdb-sim" --port 0 --token "$TOKEN" "$@" >"$work/sim.out" 2>"$work/sim.err" &
    sim_pid=$!
    tries=0
    until grep -q '^listening on ' "$work/sim.out" 2>/dev/null; do
        tries=$((tries + 1))
        if [ "$tries" -gt 1200 ]; then
            echo "bench-fetch: tmdb-sim $* did not start" >&2
            exit 1
        fi
        sleep 0.1
    done
    base=$(sed -n 's/^listening on //p' "$work/sim.out" | head -n 1)
    TMDB_API_URL="$base/3" TMDB_EXPORT_URL="$base/p/exports" TMDB_TOKEN=$TOKEN
    export TMDB_API_URL TMDB_EXPORT_URL TMDB_TOKEN
}

stop_sim() {
    kill "$sim_pid" 2>/dev/null || true
    wait "$sim_pid" 2>/dev/null || true
    sim_pid=
}

# num NAME FILE: the number after NAME in the summary line tmdb-fetch left in FILE.
num() {
    grep ' requests ' "$2" | tail -n 1 | sed -n "s/.*[ :]$1 \([0-9.]*\).*/\1/p"
}

# timed FILE CMD...: runs CMD under /usr/bin/time -v, its stderr (and time's report) in FILE.
timed() {
    out=$1
    shift
    /usr/bin/time -v "$@" 2>"$out"
}

cpu_seconds() {
    awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.2f", s }' "$1"
}

peak_rss_mb() {
    awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$1"
}

echo "# tmdb-fetch bench ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores)"

# 3 and 1: cost on an unlimited simulator; then requests per person.
start_sim --movies "$COST_MOVIES" --seed 1
"$BIN/tmdb-fetch" ids --source export --include-adult >"$work/ids" 2>/dev/null
timed "$work/cost.err" "$BIN/tmdb-fetch" --rate 100000 --concurrency 20 movies "$work/ids" \
    --gone "$work/gone" >"$work/movies"
fetched=$(num fetched "$work/cost.err")
gone=$(num gone "$work/cost.err")
requests=$(num requests "$work/cost.err")
cpu=$(cpu_seconds "$work/cost.err")
# The appends asked for by default, and those the simulator's first record carries.
appends=$("$BIN/tmdb-fetch" movies --help | tr -d ' \n' | sed -n 's/.*Defaultformovies:\([a-z_/,]*\);.*/\1/p')
answered=$(head -n 1 "$work/movies" | { line=$(cat); for a in $(echo "$appends" | tr ',' ' '); do
    case $line in *"\"$a\":{"* | *"\"$a\":["*) printf '%s,' "$a" ;; esac; done; })
answered=${answered%,}
echo "cost (all appends): $fetched movies ($gone gone) in $(num in "$work/cost.err")s," \
    "$(grep ' requests ' "$work/cost.err" | sed -n 's/.*(\([0-9.]*\) req\/s).*/\1/p') req/s," \
    "CPU $(awk -v c="$cpu" -v n="$fetched" 'BEGIN { printf "%.3f", c * 1000 / n }') s per 1,000 movies," \
    "peak RSS $(peak_rss_mb "$work/cost.err") MB," \
    "$(awk -v b="$(wc -c <"$work/movies")" -v n="$fetched" 'BEGIN { printf "%.0f", b / n }') bytes per movie"
stats=$(curl -sf "$base/__stats")
sent=$(echo "$stats" | sed -n 's/.*"sent_bytes":\([0-9]*\).*/\1/p')
built=$(echo "$stats" | sed -n 's/.*"body_bytes":\([0-9]*\).*/\1/p')
echo "on the wire: $(awk -v b="$sent" -v n="$requests" 'BEGIN { printf "%.0f", b / n }') bytes per request" \
    "gzipped ($(awk -v s="$sent" -v b="$built" 'BEGIN { printf "%.1f", b / s }')x smaller than the JSON);" \
    "at 40 requests/s: $(awk -v b="$sent" -v n="$requests" 'BEGIN { printf "%.2f", b / n * 40 / 1e6 }') MB/s," \
    "$(awk -v b="$built" -v n="$requests" 'BEGIN { printf "%.2f", b / n * 40 / 1e6 }') MB/s without gzip"
echo "appends asked for: $appends; answered by this tmdb-sim: ${answered:-none}"
echo "requests per movie: $(awk -v r="$requests" -v n="$((fetched + gone))" 'BEGIN { printf "%.2f", r / n }')"
curl -sf "$base/p/exports/person_ids_$(date -u +%m_%d_%Y).json.gz" | gzip -dc | head -n "$PEOPLE" \
    >"$work/person_ids" || true
"$BIN/tmdb-fetch" --rate 100000 people "$work/person_ids" >/dev/null 2>"$work/people.err"
echo "requests per person: $(awk -v r="$(num requests "$work/people.err")" \
    -v n="$(($(num fetched "$work/people.err") + $(num gone "$work/people.err")))" \
    'BEGIN { printf "%.2f", r / n }')"
stop_sim

# 2: the rate budget.
start_sim --movies "$((RATE_MOVIES + RATE_MOVIES / 10))" --seed 2 --rate 50
"$BIN/tmdb-fetch" ids --source export 2>/dev/null | head -n "$RATE_MOVIES" >"$work/ids"
timed "$work/rate.err" "$BIN/tmdb-fetch" --rate 50 movies "$work/ids" >/dev/null
echo "rate budget (sim 50/s, fetch 50/s, $RATE_MOVIES movies):" \
    "$(grep ' requests ' "$work/rate.err" | sed -n 's/.*(\([0-9.]*\) req\/s).*/\1/p') req/s," \
    "429s $(num 429s "$work/rate.err") of $(num requests "$work/rate.err") requests" \
    "($(awk -v q="$(num 429s "$work/rate.err")" -v r="$(num requests "$work/rate.err")" \
        'BEGIN { printf "%.2f", q * 100 / r }')%)"
stop_sim

# 4: faults lose nothing and duplicate nothing.
"$BIN/tmdb-sim" --movies "$FAULT_MOVIES" --seed 3 --dump "$work/truth" 2>/dev/null
start_sim --movies "$FAULT_MOVIES" --seed 3 --fault-rate 0.05 --rate 50
"$BIN/ndjson-ids" list "$work/truth/movies.ndjson" >"$work/live"
"$BIN/ndjson-ids" list "$work/truth/gone_movies.ndjson" >"$work/dead"
cat "$work/live" "$work/dead" >"$work/ids"
"$BIN/tmdb-fetch" --rate 50 movies "$work/ids" --gone "$work/gone" --failed "$work/failed" \
    >"$work/movies" 2>"$work/faults.err" || true
"$BIN/ndjson-ids" list "$work/movies" >"$work/got"
"$BIN/ndjson-ids" list "$work/gone" >"$work/got_gone"
echo "faults (sim --fault-rate 0.05 --rate 50):" \
    "live $(wc -l <"$work/got")/$(wc -l <"$work/live") fetched" \
    "(identical: $(cmp -s "$work/got" "$work/live" && echo yes || echo NO))," \
    "duplicates $(($(wc -l <"$work/movies") - $(wc -l <"$work/got")))," \
    "gone $(wc -l <"$work/got_gone")/$(wc -l <"$work/dead")" \
    "(identical: $(cmp -s "$work/got_gone" "$work/dead" && echo yes || echo NO))," \
    "retries $(num retries "$work/faults.err"), 429s $(num 429s "$work/faults.err")"
stop_sim

# 5: a limit lower than --rate: 429s pause everyone and halve the rate, which then recovers.
start_sim --movies "$((THROTTLE_MOVIES + THROTTLE_MOVIES / 10))" --seed 4 --rate 20
"$BIN/tmdb-fetch" ids --source export 2>/dev/null | head -n "$THROTTLE_MOVIES" >"$work/ids"
"$BIN/tmdb-fetch" --rate 80 --concurrency 16 movies "$work/ids" >/dev/null 2>"$work/throttle.err"
echo "throttled (sim 20/s, fetch 80/s, $THROTTLE_MOVIES movies):" \
    "$(num fetched "$work/throttle.err") fetched," \
    "$(grep ' requests ' "$work/throttle.err" | sed -n 's/.*(\([0-9.]*\) req\/s).*/\1/p') req/s," \
    "429s $(num 429s "$work/throttle.err") of $(num requests "$work/throttle.err") requests"
stop_sim
