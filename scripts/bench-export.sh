#!/bin/sh
# Usage: scripts/bench-export.sh [MOVIES]   (make bench; default 100000)
# How fast tmdb-export writes every table of a whole-record mirror: rows per second, MB written,
# CPU and peak RSS (target < 300 MB) for CSV and Parquet, beside DuckDB's own
# COPY (SELECT * FROM sqlite_scan(...)) TO '...parquet' of the same tables when the duckdb
# Python package and its sqlite extension install into the bench venv (target: tmdb-export
# >= 1x DuckDB's rows per second).
#
# The mirror is the one scripts/bench-record.sh builds and reuses: $BENCH_DIR/record-N.db
# (`tmdb-sim --movies N --dump`, every append, loaded by ndjson-load), built here the same way
# when missing. The page cache is warmed first; load averages are printed beside each figure
# because the machine is shared.
#   BENCH_DIR=target/bench
# Needs target/release/{tmdb-sim,ndjson-load,tmdb-export}, sqlite3, bc; GNU time for CPU/RSS.
set -eu
cd "$(dirname "$0")/.."
movies=${1:-100000}
BENCH_DIR=${BENCH_DIR:-target/bench}
sim=target/release/tmdb-sim
load=target/release/ndjson-load
export=target/release/tmdb-export
for bin in "$sim" "$load" "$export"; do
    [ -x "$bin" ] || { echo "$0: build first: cargo build --release" >&2; exit 2; }
done
for tool in sqlite3 bc; do
    command -v "$tool" >/dev/null || { echo "$0: needs $tool (apt-get install -y $tool)" >&2; exit 2; }
done
mkdir -p "$BENCH_DIR"
SCHEMA=$(ls sql/[0-9][0-9][0-9][0-9]_*.sql | sed -n '$s|^sql/0*\([0-9][0-9]*\)_.*|\1|p')
db=$BENCH_DIR/record-$movies.db
build=$BENCH_DIR/record-$movies.build.txt
work=$BENCH_DIR/export
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# measure CMD...: runs CMD; sets elapsed, cpu (s) and rss (MB) when GNU time is there.
measure() {
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -f '%e %U %S %M' -o "$BENCH_DIR/export.time" "$@"
        read -r elapsed user sys rss <"$BENCH_DIR/export.time"
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
    echo "bench-export: building $db ($movies sim movies, every append)..." >&2
    dump=$BENCH_DIR/record-dump
    rm -rf "$dump" "$db" "$db-wal" "$db-shm" "$db.part" "$db.part-wal" "$db.part-shm"
    measure "$sim" --movies "$movies" --seed 1 --dump "$dump" >/dev/null
    dump_line="tmdb-sim --movies $movies --seed 1 --dump: $elapsed s wall, $cpu s CPU"
    bytes=$(wc -c <"$dump/movies.ndjson")
    measure "$load" --db "$db.part" --kind movies "$dump/movies.ndjson" 2>"$BENCH_DIR/export.load.err"
    {
        echo "built $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(loadavg)"
        echo "$dump_line"
        echo "ndjson-load of $(echo "scale=0; $bytes / 1048576" | bc) MB: $elapsed s wall, $cpu s CPU, peak RSS $rss;" \
            "$(echo "scale=1; $bytes / 1048576 / $elapsed" | bc) MB/s"
        echo "$(tail -n 1 "$BENCH_DIR/export.load.err")"
    } >"$build"
    rm -rf "$dump"
    mv "$db.part" "$db"
    rm -f "$db.part-wal" "$db.part-shm"
fi
echo "mirror: $db, $(sqlite3 "$db" 'SELECT count(*) FROM movie') movies," \
    "$(echo "scale=0; $(wc -c <"$db") / 1048576" | bc) MB; built by:"
sed 's/^/  /' "$build"
cat "$db" >/dev/null # warm the page cache

# The tables tmdb-export writes, from its own report of a first (CSV) run.
rm -rf "$work"
mkdir -p "$work"
printf '%-28s %9s %9s %9s %9s %10s %10s  %s\n' format "wall s" "CPU s" "peak RSS" rows/s "MB written" "MB/s out" "load average"
row() { # FORMAT DIR ROWS
    mb=$(echo "scale=1; $(du -sb "$2" | cut -f1) / 1000000" | bc)
    printf '%-28s %9s %9s %9s %9s %10s %10s  %s\n' "$1" "$elapsed" "$cpu" "$rss" \
        "$(echo "$3 / $elapsed" | bc)" "$mb" "$(echo "scale=1; $mb / $elapsed" | bc)" "$(loadavg)"
}
for format in csv parquet ndjson; do
    measure "$export" --db "$db" --format "$format" --out "$work/$format" 2>"$work/$format.err" ||
        { cat "$work/$format.err" >&2; exit 1; }
    rows=$(sed -n 's/^tmdb-export: [a-z_]*: \([0-9]*\) rows .*/\1/p' "$work/$format.err" | paste -sd+ | bc)
    row "tmdb-export --format $format" "$work/$format" "$rows"
done
tables=$(sed -n 's/^tmdb-export: \([a-z_]*\): [0-9]* rows .*/\1/p' "$work/parquet.err")
echo "rows: $rows in $(echo "$tables" | wc -l) tables; largest Parquet files:"
ls -S "$work/parquet" | head -n 3 | while read -r f; do
    echo "  $f $(echo "scale=1; $(wc -c <"$work/parquet/$f") / 1000000" | bc) MB"
done
rm -rf "$work/csv" "$work/ndjson"

# The reference: DuckDB (pip, in the venv the benches share) reading the same SQLite file
# through its sqlite extension (a pip package too: nothing is downloaded at run time) and
# writing Parquet with zstd, one COPY per table, in one process.
venv=$BENCH_DIR/venv
if ! "$venv/bin/python" -c 'import duckdb' 2>/dev/null; then
    { [ -x "$venv/bin/pip" ] || python3 -m venv "$venv"; } >&2 &&
        "$venv/bin/pip" install -q 'duckdb==1.4.4' 'duckdb-ext-sqlite==1.4.4.20260205' >&2 ||
        echo "$0: could not install duckdb into $venv; skipping it" >&2
fi
if "$venv/bin/python" -c 'import duckdb' 2>/dev/null; then
    mkdir -p "$work/duckdb"
    measure "$venv/bin/python" - "$db" "$work/duckdb" $tables <<'EOF'
import duckdb, glob, os, sys
db, out, tables = sys.argv[1], sys.argv[2], sys.argv[3:]
ext = glob.glob(os.path.join(sys.prefix, "lib/python3*/site-packages/duckdb_ext/extensions/*/*/sqlite_scanner.duckdb_extension"))[0]
con = duckdb.connect()
con.execute(f"LOAD '{ext}'")
for t in tables:
    con.execute(f"COPY (SELECT * FROM sqlite_scan('{db}', '{t}')) TO '{out}/{t}.parquet' (FORMAT parquet, COMPRESSION zstd)")
EOF
    row "duckdb $("$venv/bin/python" -c 'import duckdb; print(duckdb.__version__)') COPY sqlite_scan" "$work/duckdb" "$rows"
fi
rm -rf "$work"
