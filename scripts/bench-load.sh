#!/bin/sh
# Usage: scripts/bench-load.sh [MOVIES] [WORKDIR]   (make bench)
# How fast ndjson-load turns NDJSON into a finished mirror: records/s, rows/s and input MB/s
# for N movies with full cast and crew, the effect of --batch, and a reload of the same file
# (every record unchanged). Input comes from `tmdb-sim --dump` when the simulator has it,
# else from a generator below (skewed credit counts like TMDB's: most movies small, a few huge).
# For reference, the sqlite3 shell's .import of the same rows pre-flattened to CSV, into the
# same schema. CPU time and peak RSS are reported when GNU time is installed (on a shared machine
# CPU time is the steadier figure). Needs: target/release/ndjson-load, sqlite3, bc.
set -eu
cd "$(dirname "$0")/.."
movies=${1:-20000}
work=${2:-target/bench/load}
load=target/release/ndjson-load
sim=target/release/tmdb-sim
[ -x "$load" ] || { echo "$0: build first: cargo build --release" >&2; exit 2; }
command -v sqlite3 >/dev/null || { echo "$0: needs the sqlite3 command" >&2; exit 2; }
mkdir -p "$work"
# Only what this script writes there, so that a WORKDIR given by mistake loses nothing else.
rm -rf "$work/dump" "$work"/*.ndjson "$work"/*.csv "$work"/*.db "$work"/*.db-wal "$work"/*.db-shm
input=$work/movies.ndjson

generate() { # N movies as /movie/{id}?append_to_response=credits would describe them
    awk -v n="$1" 'BEGIN {
        srand(42)
        for (id = 1; id <= n; id++) {
            r = rand()
            r = r * r * r * r * r; ncast = int(r * 150); ncrew = int(r * 500)
            printf "{\"adult\":false,\"id\":%d,\"title\":\"Synthetic movie %d\",\"original_title\":\"Synthetic movie %d\",\"original_language\":\"en\",\"overview\":\"A movie made up for the load benchmark; number %d of %d, with %d cast and %d crew.\",\"release_date\":\"%s\",\"runtime\":%d,\"status\":\"Released\",\"video\":false,\"poster_path\":\"/p%d.jpg\",\"backdrop_path\":null,\"vote_average\":%.3f,\"vote_count\":%d,\"popularity\":%.4f,\"budget\":0,\"revenue\":0,\"imdb_id\":\"tt%07d\",\"homepage\":\"\",\"tagline\":\"\",\"belongs_to_collection\":null,\"origin_country\":[\"US\"],\"genres\":[{\"id\":18,\"name\":\"Drama\"},{\"id\":%d,\"name\":\"Other\"}],\"credits\":{\"cast\":[", \
                id, id, id, id, n, ncast, ncrew, (id % 7 ? sprintf("%d-%02d-%02d", 1950 + id % 75, 1 + id % 12, 1 + id % 28) : ""), 80 + id % 60, id, rand() * 10, int(rand() * 5000), rand() * 50, id, 28 + id % 3
            for (c = 0; c < ncast; c++)
                printf "%s{\"adult\":false,\"gender\":%d,\"id\":%d,\"known_for_department\":\"Acting\",\"name\":\"Actor %d\",\"original_name\":\"Actor %d\",\"popularity\":%.3f,\"profile_path\":null,\"cast_id\":%d,\"character\":\"Role %d\",\"credit_id\":\"%012x%04x%08x\",\"order\":%d}", \
                    (c ? "," : ""), c % 3, 1 + (id * 31 + c) % (3 * n), c, c, rand() * 5, c, c, id, 1, c, c
            printf "],\"crew\":["
            for (c = 0; c < ncrew; c++)
                printf "%s{\"adult\":false,\"gender\":0,\"id\":%d,\"known_for_department\":\"Crew\",\"name\":\"Crew %d\",\"original_name\":\"Crew %d\",\"popularity\":%.3f,\"profile_path\":null,\"credit_id\":\"%012x%04x%08x\",\"department\":\"Crew\",\"job\":\"Job %d\"}", \
                    (c ? "," : ""), 1 + (id * 17 + c) % (3 * n), c, c, rand() * 2, id, 2, c, c % 40
            printf "]}}\n"
        }
    }'
}

if [ -x "$sim" ] && "$sim" --help 2>/dev/null | grep -q -- '--dump'; then
    echo "input: tmdb-sim --movies $movies --seed 1 --dump $work/dump"
    "$sim" --movies "$movies" --seed 1 --dump "$work/dump" >/dev/null
    mv "$work/dump/movies.ndjson" "$input"
else
    echo "input: scripts/bench-load.sh generator, $movies movies"
    generate "$movies" >"$input"
fi

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

timed "$db" --kind movies "$input"
echo "reload:      $elapsed s wall, $cpu s CPU, peak RSS $rss; $(echo "$records / $elapsed" | bc) records/s ($(tail -n 1 "$work/err" | sed 's/.*movies: //'))"

head -n $((records / 4)) "$input" >"$work/quarter.ndjson"
for batch in 1 10 100 1000 10000; do
    db=$work/batch.db
    rm -f "$db" "$db-wal" "$db-shm"
    timed "$db" --kind movies --batch "$batch" "$work/quarter.ndjson"
    echo "--batch $batch: $elapsed s wall, $cpu s CPU for $((records / 4)) movies; $(echo "$(total_rows "$db") / $elapsed" | bc) rows/s"
done
