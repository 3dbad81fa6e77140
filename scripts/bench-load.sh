#!/bin/sh
# Usage: scripts/bench-load.sh [MOVIES] [WORKDIR]   (make bench)
# How fast ndjson-load turns NDJSON into a finished mirror: records/s, rows/s and input MB/s
# for N movies with full cast and crew (from `tmdb-sim --dump`), the effect of --batch, and a
# reload of the same file (every record unchanged). For reference, the same rows pre-flattened
# to CSV loaded into the same schema by the sqlite3 shell's .import (the physical limit) and by
# sqlite-utils (pip, in a venv). CPU time and peak RSS are reported when GNU time is installed
# (on a shared machine CPU time is the steadier figure). Needs: target/release/ndjson-load and
# tmdb-sim, sqlite3, bc, python3.
set -eu
cd "$(dirname "$0")/.."
movies=${1:-20000}
work=${2:-target/bench/load}
load=target/release/ndjson-load
sim=target/release/tmdb-sim
[ -x "$load" ] && [ -x "$sim" ] || { echo "$0: build first: cargo build --release" >&2; exit 2; }
command -v sqlite3 >/dev/null || { echo "$0: needs the sqlite3 command" >&2; exit 2; }
mkdir -p "$work"
# Only what this script writes there, so that a WORKDIR given by mistake loses nothing else.
rm -rf "$work/dump" "$work"/*.ndjson "$work"/*.csv "$work"/*.db "$work"/*.db-wal "$work"/*.db-shm
input=$work/movies.ndjson

echo "input: tmdb-sim --movies $movies --seed 1 --dump $work/dump"
"$sim" --movies "$movies" --seed 1 --dump "$work/dump" >/dev/null
mv "$work/dump/movies.ndjson" "$input"

measure() { # measure CMD...: runs CMD (stderr to $work/err); sets elapsed, cpu (s) and rss
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" 2>"$work/err" || true
        read -r elapsed user sys rss <"$work/time"
        cpu=$(echo "$user + $sys" | bc)
        rss="$((rss / 1024)) MB"
    else
        start=$(date +%s.%N)
        "$@" 2>"$work/err" || true
        elapsed=$(printf '%.2f' "$(echo "$(date +%s.%N) - $start" | bc)")
        cpu=? rss=?
    fi
}

timed() { # timed DB ARGS...: one ndjson-load run, measured
    db=$1; shift
    measure "$load" --db "$db" "$@"
}

rows() { sqlite3 "$1" "SELECT (SELECT count(*) FROM movie) || ' movies, ' || (SELECT count(*) FROM movie_genre) || ' movie_genre, ' || (SELECT count(*) FROM credit) || ' credit'"; }
total_rows() { sqlite3 "$1" "SELECT (SELECT count(*) FROM movie) + (SELECT count(*) FROM movie_genre) + (SELECT count(*) FROM credit)"; }

mb=$(echo "scale=1; $(wc -c <"$input") / 1048576" | bc)
records=$(grep -c '' "$input")
echo "input: $input, $records movies, $mb MB; $(nproc) cores; $(date -u +%FT%TZ)"

db=$work/first.db
rm -f "$db" "$db-wal" "$db-shm"
timed "$db" --kind movies "$input"
n=$(total_rows "$db")
echo "first load:  $elapsed s wall, $cpu s CPU, peak RSS $rss; $(rows "$db")"
[ "$cpu" = "?" ] || echo "             $(echo "$n / $cpu" | bc) rows per CPU second"
echo "             $(echo "$records / $elapsed" | bc) records/s, $(echo "$n / $elapsed" | bc) rows/s, $(echo "scale=1; $mb / $elapsed" | bc) MB/s"
echo "             $(tail -n 1 "$work/err")"
# The physical-limit reference: the sqlite3 shell's .import of the same rows, already flattened
# to CSV (flattening not timed), into the same schema with its indexes and FTS triggers.
for table in movie movie_genre credit; do
    sqlite3 -csv "$db" "SELECT * FROM $table" >"$work/$table.csv"
done
ref=$work/import.db
rm -f "$ref" "$ref-wal" "$ref-shm"
"$load" --db "$ref" --kind genres </dev/null 2>/dev/null # creates the schema
measure sqlite3 "$ref" "PRAGMA synchronous = NORMAL" ".mode csv" ".import $work/movie.csv movie" \
    ".import $work/movie_genre.csv movie_genre" ".import $work/credit.csv credit"
echo "sqlite3 .import of the same rows as CSV: $elapsed s wall, $cpu s CPU; $(echo "$n / $elapsed" | bc) rows/s"
[ "$cpu" = "?" ] || echo "             $(echo "$n / $cpu" | bc) rows per CPU second"

# The everyday reference: sqlite-utils (pip, in a venv the bench makes) inserting the same rows
# as CSV with a header row (flattening not timed), into the same schema.
venv=target/bench/venv
if [ ! -x "$venv/bin/sqlite-utils" ]; then
    { python3 -m venv "$venv" && "$venv/bin/pip" install -q sqlite-utils; } >&2 ||
        echo "$0: could not install sqlite-utils into $venv; skipping it" >&2
fi
if [ -x "$venv/bin/sqlite-utils" ]; then
    for table in movie movie_genre credit; do
        sqlite3 -csv -header "$db" "SELECT * FROM $table" >"$work/$table.header.csv"
    done
    su=$work/sqlite-utils.db
    rm -f "$su" "$su-wal" "$su-shm"
    "$load" --db "$su" --kind genres </dev/null 2>/dev/null # creates the schema
    measure sh -c "for t in movie movie_genre credit; do $venv/bin/sqlite-utils insert $su \$t $work/\$t.header.csv --csv >/dev/null || exit 1; done"
    echo "sqlite-utils insert of the same rows as CSV: $elapsed s wall, $cpu s CPU; $(echo "$n / $elapsed" | bc) rows/s ($($venv/bin/sqlite-utils --version))"
    [ "$cpu" = "?" ] || echo "             $(echo "$n / $cpu" | bc) rows per CPU second"
fi

timed "$db" --kind movies "$input"
echo "reload:      $elapsed s wall, $cpu s CPU, peak RSS $rss; $(echo "$records / $elapsed" | bc) records/s ($(tail -n 1 "$work/err" | sed 's/.*movies: //'))"

head -n $((records / 4)) "$input" >"$work/quarter.ndjson"
for batch in 1 10 100 1000 10000; do
    db=$work/batch.db
    rm -f "$db" "$db-wal" "$db-shm"
    timed "$db" --kind movies --batch "$batch" "$work/quarter.ndjson"
    echo "--batch $batch: $elapsed s wall, $cpu s CPU for $((records / 4)) movies; $(echo "$(total_rows "$db") / $elapsed" | bc) rows/s"
done
