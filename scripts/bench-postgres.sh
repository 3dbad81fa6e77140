#!/bin/sh
# Usage: scripts/bench-postgres.sh [MOVIES] [WORKDIR]   (make bench; default 20000)
# A PostgreSQL mirror (DB=postgres://..., docs/architecture.md "Storage"), loaded and served.
#
# Loading: how fast ndjson-load fills it with MOVIES movies from `tmdb-sim --dump` with every
# append, into an empty database; rows/s (rows in the 19 tables a movie load writes) and input
# MB/s. For reference:
#   - psql's \copy of the same rows, pre-flattened to one CSV per table (taken from the loaded
#     database, so the rows are exactly the same; flattening not timed), into an empty database
#     with the same schema (keys, indexes, the search index): the physical limit;
#   - the same load into SQLite.
# Serving: scripts/bench-serve.sh's 100,000-movie mirror (SERVE_MOVIES), copied table by table
# into a database of the cluster (sqlite3's CSV into psql's \copy: the same rows, so the same
# answers), then tmdb-serve on it beside tmdb-serve on the SQLite file, route by route in turn
# (wrk, 32 connections, 10 s): movie by id, /3/movie with credits, varied filtered lists and
# varied title searches (SERVE_ROUTES, an awk pattern on bench-serve.sh's route names).
# Targets on PostgreSQL: >= 10,000 req/s by id, p99 <= 10 ms.
#   SERVE_ONLY=1  only the serving part
# A throwaway cluster is started for the run (initdb in WORKDIR, a Unix socket, as the postgres
# user when run as root) and stopped at the end, whatever happens.
# Needs: target/release/ndjson-load, tmdb-sim and tmdb-serve, Debian's postgresql package,
# sqlite3, wrk, bc.
set -eu
cd "$(dirname "$0")/.."
movies=${1:-20000}
work=${2:-target/bench/postgres}
load=target/release/ndjson-load
sim=target/release/tmdb-sim
[ -x "$load" ] && [ -x "$sim" ] || { echo "$0: build first: cargo build --release" >&2; exit 2; }
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$pgbin" ] || { echo "$0: needs PostgreSQL (apt-get install postgresql)" >&2; exit 2; }
mkdir -p "$work"
work=$(cd "$work" && pwd)
rm -rf "$work/cluster" "$work/csv" "$work"/*.db "$work"/*.db-wal "$work"/*.db-shm
TABLES="movie genre collection company keyword watch_provider movie_genre movie_company
movie_country movie_language credit movie_keyword release_date alternative_title translation
video image watch_link movie_watch_provider"

# as_server CMD...: runs CMD as the postgres user when we are root (PostgreSQL refuses root).
as_server() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
mkdir -p "$work/cluster/sock" "$work/csv"
[ "$(id -u)" != 0 ] || chown -R postgres "$work/cluster" "$work/csv"
as_server "$pgbin/initdb" -D "$work/cluster/data" -U postgres --auth=trust -E UTF8 \
    --locale=C.UTF-8 >/dev/null
as_server "$pgbin/pg_ctl" -D "$work/cluster/data" -l "$work/cluster/log" -w \
    -o "-k $work/cluster/sock -c listen_addresses=" start >/dev/null
trap 'as_server "$pgbin/pg_ctl" -D "$work/cluster/data" -m fast -w stop >/dev/null 2>&1 || true' EXIT
psql_in() { db=$1; shift; psql -X -q -h "$work/cluster/sock" -U postgres -d "$db" -v ON_ERROR_STOP=1 "$@"; }
url() { echo "postgres://postgres@/$1?host=$work/cluster/sock"; }
now() { date +%s.%N; }

# serve: the serving part (above), once the cluster is up.
serve() {
    n=${SERVE_MOVIES:-100000}
    file=target/bench/serve-$n.db
    BUILD_ONLY=1 scripts/bench-serve.sh "$n" >/dev/null
    psql_in postgres -c "CREATE DATABASE bench_serve"
    # The schema, as any first load applies it (the rows it writes, its load_log, go below).
    DB=$(url bench_serve) "$load" --kind genres </dev/null 2>/dev/null
    start=$(now)
    # Every table of the PostgreSQL mirror, its columns in its own order, taken from the SQLite
    # file by name (NULL spelled \N, so that an empty text stays one; flags go as 0 and 1,
    # which PostgreSQL's boolean reads). The change counter keeps its own row. The foreign keys
    # are not checked table by table (the replica role): the file's rows already keep them.
    copied=0
    for t in $(psql_in bench_serve -t -A -c "SELECT table_name FROM information_schema.tables
            WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
            AND table_name NOT IN ('schema_migrations', 'tmdb_change_counter') ORDER BY 1"); do
        cols=$(psql_in bench_serve -t -A -c "SELECT string_agg(column_name, ', ' ORDER BY ordinal_position)
            FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '$t'")
        PGOPTIONS='-c session_replication_role=replica' psql_in bench_serve -c "DELETE FROM $t"
        sqlite3 -bail -csv -nullvalue '\N' "$file" "SELECT $cols FROM $t" |
            PGOPTIONS='-c session_replication_role=replica' psql_in bench_serve -c "\\copy $t ($cols) FROM pstdin WITH (FORMAT csv, NULL '\N')"
        rows=$(psql_in bench_serve -t -A -c "SELECT count(*) FROM $t")
        [ "$rows" = "$(sqlite3 "$file" "SELECT count(*) FROM $t")" ] ||
            { echo "$0: $t: $rows rows copied of $file's $(sqlite3 "$file" "SELECT count(*) FROM $t")" >&2; exit 1; }
        copied=$((copied + rows))
    done
    # As autovacuum would have it after a load: the planner's statistics, the visibility map;
    # and the copy written out, so that the checkpointer does not spend the serving runs on it.
    psql_in bench_serve -c "VACUUM ANALYZE"
    psql_in bench_serve -c "CHECKPOINT"
    echo "serve: $file copied into PostgreSQL: $copied rows in $(echo "$(now) - $start" | bc | cut -c1-5)s" \
        "($(psql_in bench_serve -t -A -c "SELECT pg_size_pretty(pg_database_size('bench_serve'))"))"
    DATASETTE=0 COMPARE_DB=$(url bench_serve) COMPARE_DB_PID=$(head -n 1 "$work/cluster/data/postmaster.pid") \
        ROUTES=${SERVE_ROUTES:-'^(movie by id|/3/movie\+credits|filtered list \(varied|title search \(varied)'} \
        scripts/bench-serve.sh "$n" | tee "$work/serve.txt"
    # The targets, from the ratio lines: PostgreSQL's figures are the second of each route.
    awk '$1 == "movie" && $3 == "id" { getline; rps = $2; p99 = $3 }
        END { unit = p99; sub(/[0-9.]+/, "", unit); ms = p99 + 0
              if (unit == "us") ms /= 1000; else if (unit == "s") ms *= 1000
              printf "postgres by id: %s req/s (target >= 10000), p99 %s (target <= 10ms): %s\n",
                  rps, p99, (rps >= 10000 && ms <= 10) ? "met" : "missed" }' "$work/serve.txt"
}
if [ "${SERVE_ONLY:-0}" = 1 ]; then
    serve
    exit
fi

# Kept between runs: the dump of a catalog is the same for the same arguments.
input=$work/movies-$movies.ndjson
if [ ! -f "$input" ]; then
    echo "input: tmdb-sim --movies $movies --seed 1 --dump"
    "$sim" --movies "$movies" --seed 1 --dump "$work/dump" >/dev/null
    mv "$work/dump/movies.ndjson" "$input"
    rm -rf "$work/dump"
fi
in_mb=$(echo "scale=1; $(wc -c <"$input") / 1048576" | bc)

rate() { echo "scale=0; $1 / $2" | bc; }
pg_rows() {
    psql_in "$1" -t -A -c "SELECT $(for t in $TABLES; do printf '(SELECT count(*) FROM %s) + ' "$t"; done) 0"
}

# 1. ndjson-load into an empty PostgreSQL database.
psql_in postgres -c "CREATE DATABASE bench_load"
start=$(now)
DB=$(url bench_load) "$load" --kind movies "$input" 2>"$work/err"
pg_s=$(echo "$(now) - $start" | bc)
rows=$(pg_rows bench_load)
pg_rate=$(rate "$rows" "$pg_s")
echo "postgres ndjson-load: $movies movies ($in_mb MB), $rows rows in ${pg_s%??????}s:" \
    "$pg_rate rows/s, $(echo "scale=1; $in_mb / $pg_s" | bc) MB/s"
echo "  $(tail -n 1 "$work/err")"

# 2. psql \copy of the same rows, as CSV, into the same schema.
for t in $TABLES; do
    psql_in bench_load -c "\\copy $t TO '$work/csv/$t.csv' WITH (FORMAT csv)"
done
psql_in postgres -c "CREATE DATABASE bench_copy"
as_server "$pgbin/pg_dump" -h "$work/cluster/sock" -U postgres --schema-only bench_load \
    | psql_in bench_copy >/dev/null
start=$(now)
for t in $TABLES; do
    psql_in bench_copy -c "\\copy $t FROM '$work/csv/$t.csv' WITH (FORMAT csv)"
done
copy_s=$(echo "$(now) - $start" | bc)
copy_rows=$(pg_rows bench_copy)
copy_rate=$(rate "$copy_rows" "$copy_s")
# printf, not echo: a shell's echo may read the backslash of \copy as an escape.
printf '%s\n' "postgres psql \\copy of the same rows as CSV: $copy_rows rows in ${copy_s%??????}s: $copy_rate rows/s"
printf '%s\n' "  ndjson-load / \\copy: $(echo "scale=2; $pg_rate / $copy_rate" | bc)x (target >= 0.7x)"

# 3. The same load into SQLite.
start=$(now)
"$load" --db "$work/sqlite.db" --kind movies "$input" 2>"$work/err"
lite_s=$(echo "$(now) - $start" | bc)
lite_rows=$(sqlite3 "$work/sqlite.db" "SELECT $(for t in $TABLES; do printf '(SELECT count(*) FROM %s) + ' "$t"; done) 0")
lite_rate=$(rate "$lite_rows" "$lite_s")
echo "sqlite ndjson-load: $lite_rows rows in ${lite_s%??????}s: $lite_rate rows/s," \
    "$(echo "scale=1; $in_mb / $lite_s" | bc) MB/s; postgres / sqlite: $(echo "scale=2; $pg_rate / $lite_rate" | bc)x"

# 4. A reload of the same file: every record unchanged, skipped by its hash.
start=$(now)
DB=$(url bench_load) "$load" --kind movies "$input" 2>"$work/err"
echo "postgres reload (all unchanged): $(echo "$(now) - $start" | bc | cut -c1-5)s; $(tail -n 1 "$work/err")"

# 5. Serving.
serve
