#!/usr/bin/env bash
# Usage: scripts/bench-pipeline.sh [MOVIES]   (part of make bench)
# The whole `make mirror` against tmdb-sim (2,000 movies by default, about 6,000 people) with
# the simulator enforcing TMDB's limit (--rate 50) and 2% faults, fetching at RATE=48: total
# requests, wall time, and completeness (what the mirror lacks, from the summary line).
set -euo pipefail
cd "$(dirname "$0")/.."
movies=${1:-2000}
bin=target/release
work=target/bench/pipeline
rm -rf "$work"
mkdir -p "$work"
cargo build --release --locked --quiet

. scripts/lib.sh
start_server "$work/sim.out" "$bin/tmdb-sim" --port 0 --movies "$movies" --seed 42 \
    --rate 50 --fault-rate 0.02 \
    --token bench-token
sim=$server_pid url=$server_url
trap 'kill $sim 2>/dev/null || true' EXIT

start=$(date +%s%N)
TMDB_TOKEN=bench-token TMDB_API_URL=$url/3 TMDB_EXPORT_URL=$url/p/exports \
    make --no-print-directory mirror DATA="$work/data" RATE=48 CONCURRENCY=20 \
    > "$work/make.out" 2> "$work/make.err"
end=$(date +%s%N)
stats=$(curl -s "$url/__stats" 2>/dev/null || true)
requests=$(printf '%s' "$stats" | sed -n 's/^{"requests":\([0-9]*\).*/\1/p')
[ -n "$requests" ] || requests=$(printf '%s' "$stats" | grep -o '"requests":[0-9]*' | head -1 | cut -d: -f2)
wall=$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.1f", (b - a) / 1e9}')
echo "make mirror, $movies-movie catalog, sim --rate 50 --fault-rate 0.02, RATE=48 CONCURRENCY=20"
grep '^tmdb-fetch: .* requests ' "$work/make.err" | sed 's/^/  /'
tail -1 "$work/make.out" | sed 's/^/  /'
ids="$bin/ndjson-ids --db $work/data/tmdb.db"
listed=$(grep -c '' "$work/data/movie_ids.ndjson")
held=$($ids list db:movies db:gone-movies | wc -l)
credited=$($ids list db:credited | wc -l)
people=$($ids list db:people db:gone-people | wc -l)
echo "  complete: $held/$listed listed movies, $people/$credited credited people (mirrored or known gone)"
echo "  requests seen by the simulator: ${requests:-?}; wall time: ${wall}s"
