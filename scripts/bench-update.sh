#!/usr/bin/env bash
# Usage: scripts/bench-update.sh [MOVIES]   (part of make bench)
# `make update` after one simulated day (about 1% of the movies changed, 0.5% added, people
# changed and newly credited) against a full `make mirror` of the same catalog: requests and
# wall time of each, and their ratio. Both run at RATE=200 against tmdb-sim with 1% faults.
set -euo pipefail
cd "$(dirname "$0")/.."
movies=${1:-2000}
bin=target/release
work=target/bench/update
day0=2026-01-15
day1=2026-01-16
rm -rf "$work"
mkdir -p "$work"
cargo build --release --locked --quiet

. scripts/lib.sh
start_server "$work/sim.out" "$bin/tmdb-sim" --port 0 --movies "$movies" --seed 42 \
    --fault-rate 0.01 --today "$day0" \
    --token bench-token
sim=$server_pid url=$server_url
trap 'kill $sim 2>/dev/null || true' EXIT
export TMDB_TOKEN=bench-token TMDB_API_URL=$url/3 TMDB_EXPORT_URL=$url/p/exports

requests() { curl -s "$url/__stats" | grep -o '"requests":[0-9]*' | head -1 | cut -d: -f2; }
now_ns() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", (b - a) / 1e9}'; }

t0=$(now_ns)
make --no-print-directory mirror DATA="$work/data" TODAY=$day0 RATE=200 CONCURRENCY=20 \
    > "$work/mirror.out" 2> "$work/mirror.err"
t1=$(now_ns)
mirror_requests=$(requests)
day=$(curl -s -X POST "$url/__mutate?days=1")
t2=$(now_ns)
make --no-print-directory update DATA="$work/data" TODAY=$day1 RATE=200 CONCURRENCY=20 \
    > "$work/update.out" 2> "$work/update.err"
t3=$(now_ns)
update_requests=$(( $(requests) - mirror_requests ))

echo "catalog: $movies movies; one simulated day: $day"
echo "  make mirror: $mirror_requests requests in $(secs "$t0" "$t1")s"
echo "  make update: $update_requests requests in $(secs "$t2" "$t3")s"
grep '^update: movies:' "$work/update.out" | sed 's/^/  /'
awk -v m="$mirror_requests" -v u="$update_requests" \
    'BEGIN {printf "  requests ratio mirror/update: %.1fx fewer\n", m / u}'
