#!/bin/sh
# Usage: scripts/bench-load.sh [MOVIES] [WORKDIR]   (make bench; default 20000)
# How fast ndjson-load turns NDJSON into a finished mirror with the whole record (every append:
# the 19 tables a movie load writes, docs/record.md): records/s, rows/s (rows in all 19 tables
# after the load) and input MB/s for N movies from `tmdb-sim --dump`, peak RSS and database size
# per 1,000 movies. For reference, the same rows pre-flattened to CSV (one file per table, taken
# from the loaded database, so the rows are exactly the same; flattening not timed) loaded by
# the sqlite3 shell's .import (the physical limit) and by sqlite-utils (pip, in a venv) into an
# empty mirror that ndjson-load created: the same schema, primary keys, indexes, FTS and
# triggers, so every tool ends with the same database (.import keeps every index up to date
# row by row; a first ndjson-load into an empty mirror builds the movie tables' secondary
# indexes at its end, docs/record.md "Loading"). Then a reload (every record unchanged), an
# appended run (the second half loaded after the first: as large as the mirror, so it also
# builds the movie tables' lookup indexes but credit_movie at its end) and shapes we did
# not tune for (a transformed dump: 10% of the cast and crew, overviews and taglines x10, loaded
# whole and appended in halves), each against .import of its own rows.
# CPU time (GNU time) is the steadier figure on a shared machine; the load average is printed.
#   BATCHES="1 100 1000"   also the effect of --batch on a quarter of the input (off by default)
# Needs: target/release/ndjson-load and tmdb-sim, sqlite3, bc, python3.
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
# Every table a movie load writes (spec.rs: the movie, its entities, MOVIE_CHILDREN), parents
# first so that .import meets the same triggers in the same order as ndjson-load.
TABLES="movie genre collection company keyword watch_provider movie_genre movie_company
movie_country movie_language credit movie_keyword release_date alternative_title translation
video image watch_link movie_watch_provider"

echo "input: tmdb-sim --movies $movies --seed 1 --dump $work/dump"
"$sim" --movies "$movies" --seed 1 --dump "$work/dump" >/dev/null
mv "$work/dump/movies.ndjson" "$input"
rm -rf "$work/dump"

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
per_cpu() { [ "$cpu" = "?" ] || echo "$(echo "$1 / $cpu" | bc) per CPU second"; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
mbof() { echo "scale=1; $(wc -c <"$1") / 1048576" | bc; }
dbsize() { # bytes of the database with its WAL
    echo $(( $(wc -c <"$1") + $( [ -f "$1-wal" ] && wc -c <"$1-wal" || echo 0) ))
}

total_rows() { # rows in every table of $TABLES
    sqlite3 "$1" "SELECT $(for t in $TABLES; do printf '(SELECT count(*) FROM %s) + ' "$t"; done) 0"
}
table_rows() {
    for t in $TABLES; do printf '%s %s, ' "$t" "$(sqlite3 "$1" "SELECT count(*) FROM $t")"; done | sed 's/, $//'
}

# load_run LABEL DB ARGS...: one measured ndjson-load run; prints its figures. Rows and MB are
# those of this run: rows added to the database (for a fresh one, all), MB of the input read.
load_run() {
    label=$1 db=$2; shift 2
    before=0
    [ -f "$db" ] && before=$(total_rows "$db")
    in_mb=0
    for f in "$@"; do case $f in -*) ;; *) [ -f "$f" ] && in_mb=$(echo "$in_mb + $(mbof "$f")" | bc) ;; esac; done
    measure "$load" --db "$db" "$@"
    after=$(total_rows "$db")
    n=$((after - before))
    recs=$(tail -n 1 "$work/err" | sed -n 's/.*read \([0-9]*\),.*/\1/p')
    printf '%-14s %6s s wall %7s s CPU, peak RSS %s, load average %s\n' "$label:" "$elapsed" "$cpu" "$rss" "$(loadavg)"
    echo "               $in_mb MB, $recs records, $n rows added: $(echo "$recs / $elapsed" | bc) records/s," \
        "$(echo "$n / $elapsed" | bc) rows/s, $(echo "scale=1; $in_mb / $elapsed" | bc) MB/s;" \
        "per CPU second: $( [ "$cpu" = "?" ] || echo "$(echo "$n / $cpu" | bc) rows, $(echo "scale=1; $in_mb / $cpu" | bc) MB")"
    echo "               $(tail -n 1 "$work/err" | sed 's/^ndjson-load: //')"
}

mb=$(mbof "$input")
records=$(grep -c '' "$input")
echo "input: $input, $records movies, $mb MB; $(nproc) cores; $(date -u +%FT%TZ); load average $(loadavg)"

db=$work/first.db
load_run "first load" "$db" --kind movies "$input"
n=$(total_rows "$db") first_elapsed=$elapsed first_cpu=$cpu
echo "               rows: $(table_rows "$db")"
echo "               (triggers also wrote $(sqlite3 "$db" 'SELECT count(*) FROM genre_movie_by_date') genre_movie_by_date rows and the title search index; not counted)"
sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
size=$(dbsize "$db")
echo "               database: $(echo "scale=1; $size / 1048576" | bc) MB, $(echo "scale=2; $size / 1048576 * 1000 / $records" | bc) MB per 1,000 movies (input: $(echo "scale=2; $mb * 1000 / $records" | bc) MB per 1,000)"

# The physical-limit reference: the sqlite3 shell's .import of the same rows, already flattened
# to CSV (flattening not timed), into an empty mirror ndjson-load made: the same schema with its
# primary keys, indexes, FTS and triggers (without them .import would build a smaller database
# than the loader must). Foreign keys are off in the shell (the loader turns them on).
# import_ref DB [BASE]: .import of the rows DB holds into an empty mirror; with BASE (the
# database before the measured run), of the rows DB holds and BASE does not, into a copy of
# BASE (EXCEPT hands them over sorted, which, if anything, helps .import's indexes). Prints the
# ratio against the last load_run.
import_ref() {
    src=$1 base=${2:-}
    ref=$work/import.db
    rm -f "$ref" "$ref-wal" "$ref-shm"
    if [ -n "$base" ]; then
        cp "$base" "$ref"
    else
        "$load" --db "$ref" --kind genres </dev/null 2>/dev/null # creates the schema
        sqlite3 "$ref" "DELETE FROM genre" # --kind genres writes none, but be sure
    fi
    for t in $TABLES; do
        if [ -n "$base" ]; then
            sqlite3 -csv "$src" "ATTACH '$base' AS base; SELECT * FROM main.$t EXCEPT SELECT * FROM base.$t"
        else
            sqlite3 -csv "$src" "SELECT * FROM $t"
        fi >"$work/$t.csv"
    done
    csv_mb=$(cat "$work"/*.csv | wc -c); csv_mb=$(echo "scale=1; $csv_mb / 1048576" | bc)
    before=$(total_rows "$ref")
    load_elapsed=$elapsed load_cpu=$cpu
    set -- sqlite3 "$ref" "PRAGMA synchronous = NORMAL" ".mode csv"
    for t in $TABLES; do set -- "$@" ".import $work/$t.csv $t"; done
    measure "$@"
    [ ! -s "$work/err" ] || { echo ".import said:"; head -n 5 "$work/err"; }
    m=$(( $(total_rows "$ref") - before ))
    echo "               sqlite3 .import of the same rows as CSV ($csv_mb MB, $m rows): $elapsed s wall, $cpu s CPU, peak RSS $rss; $(echo "$m / $elapsed" | bc) rows/s, $(per_cpu "$m"); load average $(loadavg)"
    echo "               ndjson-load / .import: $(echo "scale=2; $elapsed / $load_elapsed" | bc | sed 's/^\./0./')x by wall time (ratio of rows/s), $( [ "$cpu" = "?" ] || echo "scale=2; $cpu / $load_cpu" | bc | sed 's/^\./0./')x by CPU time (target >= 1.0x)"
    rm -f "$work"/*.csv "$ref" "$ref-wal" "$ref-shm"
}
import_ref "$db"

# The everyday reference: sqlite-utils (pip, in a venv the bench makes) inserting the same rows
# as CSV with a header row (flattening not timed), into the same empty mirror.
venv=target/bench/venv
if [ ! -x "$venv/bin/sqlite-utils" ]; then
    { python3 -m venv "$venv" && "$venv/bin/pip" install -q sqlite-utils; } >&2 ||
        echo "$0: could not install sqlite-utils into $venv; skipping it" >&2
fi
if [ -x "$venv/bin/sqlite-utils" ]; then
    for t in $TABLES; do
        sqlite3 -csv -header "$db" "SELECT * FROM $t" >"$work/$t.header.csv"
    done
    su=$work/sqlite-utils.db
    "$load" --db "$su" --kind genres </dev/null 2>/dev/null # creates the schema
    measure sh -c "for t in $(echo $TABLES); do $venv/bin/sqlite-utils insert $su \$t $work/\$t.header.csv --csv >/dev/null || exit 1; done"
    [ ! -s "$work/err" ] || { echo "sqlite-utils said:"; head -n 5 "$work/err"; }
    m=$(total_rows "$su")
    echo "sqlite-utils insert of the same rows as CSV ($m rows): $elapsed s wall, $cpu s CPU, peak RSS $rss; $(echo "$m / $elapsed" | bc) rows/s, $(per_cpu "$m") ($($venv/bin/sqlite-utils --version)); load average $(loadavg)"
    echo "               ndjson-load / sqlite-utils: $(echo "scale=2; $elapsed / $first_elapsed" | bc)x by wall time, $( [ "$cpu" = "?" ] || echo "scale=2; $cpu / $first_cpu" | bc)x by CPU time (target >= 5x)"
fi
rm -f "$work"/*.csv

load_run "reload" "$db" --kind movies "$input"

# Appended: the first half of FILE, then its second half loaded into it, each against .import
# of its own rows (the second into a copy of the first half's database).
# append_run NAME FILE
append_run() {
    half=$(( $(wc -l <"$2") / 2 ))
    head -n "$half" "$2" >"$work/first-half.ndjson"
    tail -n +"$((half + 1))" "$2" >"$work/second-half.ndjson"
    db=$work/append.db
    rm -f "$db" "$db-wal" "$db-shm"
    load_run "$1first half" "$db" --kind movies "$work/first-half.ndjson"
    import_ref "$db"
    sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
    cp "$db" "$work/first-half.db"
    load_run "$1second half" "$db" --kind movies "$work/second-half.ndjson"
    import_ref "$db" "$work/first-half.db"
    rm -f "$work/first-half.db" "$db" "$db-wal" "$db-shm"
    rm -f "$work/first-half.ndjson" "$work/second-half.ndjson"
}
append_run "" "$input"

# Shapes we did not tune for: the same movies transformed (not timed).
shape() { # shape NAME PYTHON-BODY: writes $work/NAME.ndjson from $input; r is each record
    python3 -c "
import json, sys
for line in sys.stdin:
    r = json.loads(line)
$2
    sys.stdout.write(json.dumps(r, ensure_ascii=False, separators=(',', ':')) + '\n')
" <"$input" >"$work/$1.ndjson"
}
# lean: a tenth of the cast and crew, overviews and taglines (the movie's and each
# translation's) ten times as long: fewer, longer rows.
shape lean "
    c = r.get('credits')
    if c:
        c['cast'] = c['cast'][:max(1, len(c['cast']) // 10)] if c['cast'] else []
        c['crew'] = c['crew'][:max(1, len(c['crew']) // 10)] if c['crew'] else []
    for o in [r] + [t['data'] for t in r.get('translations', {}).get('translations', [])]:
        for k in ('overview', 'tagline'):
            if o.get(k):
                o[k] = ' '.join([o[k]] * 10)"
# credits-only: no append but credits (what the mirror loaded before the whole record).
shape credits-only "
    for k in ('keywords', 'release_dates', 'external_ids', 'alternative_titles', 'translations', 'videos', 'images', 'watch/providers'):
        r.pop(k, None)"
for s in lean credits-only; do
    load_run "$s" "$work/$s.db" --kind movies "$work/$s.ndjson"
    import_ref "$work/$s.db"
    sqlite3 "$work/$s.db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
    echo "               database: $(echo "scale=2; $(dbsize "$work/$s.db") / 1048576 * 1000 / $records" | bc) MB per 1,000 movies"
    # Fewer index rows a byte than the simulator's shape: whether an append still gains from
    # building its lookup indexes at its end.
    [ "$s" != lean ] || append_run "lean, " "$work/$s.ndjson"
    rm -f "$work/$s.ndjson"
done

for batch in ${BATCHES:-}; do
    head -n $((records / 4)) "$input" >"$work/quarter.ndjson"
    db=$work/batch.db
    rm -f "$db" "$db-wal" "$db-shm"
    load_run "--batch $batch" "$db" --kind movies --batch "$batch" "$work/quarter.ndjson"
done
rm -f "$work/quarter.ndjson"
