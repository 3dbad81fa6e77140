#!/usr/bin/env bash
# Usage: scripts/bench.sh [NAME...]   (make bench)
# Runs the benchmarks (scripts/bench-NAME.sh; all of them by default) one after another on
# release builds, printing each one's figures and collecting them in target/bench/RESULTS.md
# with the date, the commit and the machine. Benchmarks are never part of `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/bench
# The benchmarks' own tools, Debian packages: wrk, the sqlite3 shell, GNU time (CPU time and
# peak RSS), bc and curl. Installed when missing and allowed (root with apt-get).
missing=()
for pair in wrk:wrk sqlite3:sqlite3 /usr/bin/time:time bc:bc curl:curl; do
    command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
done
if [ ${#missing[@]} -gt 0 ] && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    echo "bench: installing ${missing[*]}" >&2
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi
mkdir -p "$out"
if [ $# -eq 0 ]; then
    set -- $(ls scripts/bench-*.sh | sed 's|scripts/bench-\(.*\)\.sh|\1|')
fi
results=$out/RESULTS.md
{
    echo "# tmdb-mirror benchmarks"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
    echo "- machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)," \
        "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
    echo
} > "$results"
status=0
for name in "$@"; do
    script=scripts/bench-$name.sh
    [ -x "$script" ] || { echo "bench: no benchmark $script" >&2; exit 2; }
    echo "== bench $name" | tee -a "$results"
    if ! "$script" 2>&1 | tee -a "$results"; then
        echo "bench: $name failed" | tee -a "$results" >&2
        status=1
    fi
    echo | tee -a "$results"
done
echo "bench: figures collected in $results"
exit $status
