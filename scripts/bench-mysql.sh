#!/bin/sh
# Usage: scripts/bench-mysql.sh [MOVIES] [WORKDIR]   (make bench; default 20000)
# A MySQL/MariaDB mirror (DB=mysql://..., docs/architecture.md "Storage"), loaded and served.
#
# Loading: how fast ndjson-load fills it with MOVIES movies from `tmdb-sim --dump` with every append, loaded into an empty
# database; rows/s (rows in the 19 tables a movie load writes) and input MB/s. For reference:
#   - the mariadb client's LOAD DATA LOCAL INFILE of the same rows, pre-flattened to one CSV per
#     table (taken from the loaded database, so the rows are exactly the same; flattening not
#     timed), into an empty database with the same schema (keys, foreign keys, indexes, the
#     FULLTEXT indexes): the physical limit;
#   - the same load into SQLite (scripts/bench-postgres.sh gives PostgreSQL's).
# Serving: scripts/bench-serve.sh's 100,000-movie mirror (SERVE_MOVIES), copied table by table
# into a database of the server (sqlite3's CSV into LOAD DATA LOCAL INFILE: the same rows, so
# the same answers), then tmdb-serve on it beside tmdb-serve on the SQLite file, route by route
# in turn (wrk, 32 connections, 10 s): movie by id, /3/movie with credits, varied filtered lists
# and varied title searches (SERVE_ROUTES, an awk pattern on bench-serve.sh's route names).
# Targets on MariaDB: >= 10,000 req/s by id, p99 <= 10 ms.
#   SERVE_ONLY=1  only the serving part
# A throwaway server is started for the run (mariadb-install-db in WORKDIR, a Unix socket, no
# network; --user=root when run as root, which MariaDB asks for) and stopped at the end,
# whatever happens. Its settings are MariaDB's defaults but for a 2 GB InnoDB buffer pool: with
# the 128 MB default, the load's 19 tables and their indexes no longer fit and a batch that
# touches all of them reads pages back from disk, where the reference fills one table at a time
# (0.43x instead of 0.72x-1.23x; README "MySQL / MariaDB" says to size it).
# Words of one letter are indexed for search (innodb_ft_min_token_size=1, README "MySQL /
# MariaDB").
# Needs: target/release/ndjson-load, tmdb-sim and tmdb-serve, Debian's mariadb-server, bc,
# sqlite3, wrk.
set -eu
cd "$(dirname "$0")/.."
movies=${1:-20000}
work=${2:-target/bench/mysql}
load=target/release/ndjson-load
sim=target/release/tmdb-sim
[ -x "$load" ] && [ -x "$sim" ] || { echo "$0: build first: cargo build --release" >&2; exit 2; }
mariadbd=$(command -v mariadbd || echo /usr/sbin/mariadbd)
[ -x "$mariadbd" ] || { echo "$0: needs MariaDB (apt-get install mariadb-server)" >&2; exit 2; }
mkdir -p "$work"
work=$(cd "$work" && pwd)
rm -rf "$work/server" "$work/csv" "$work"/*.db "$work"/*.db-wal "$work"/*.db-shm
TABLES="movie genre collection company keyword watch_provider movie_genre movie_company
movie_country movie_language credit movie_keyword release_date alternative_title translation
video image watch_link movie_watch_provider"

user=""
[ "$(id -u)" != 0 ] || user=--user=root
mkdir -p "$work/server" "$work/csv"
mariadb-install-db --no-defaults $user --datadir="$work/server/data" \
    --auth-root-authentication-method=normal --skip-test-db >"$work/server/install.log" 2>&1
sock=$work/server/mysqld.sock
# The CSV files are written by the server (SELECT ... INTO OUTFILE), into $work/csv only.
"$mariadbd" --no-defaults $user --datadir="$work/server/data" --socket="$sock" \
    --pid-file="$work/server/pid" --log-error="$work/server/log" --skip-networking \
    --local-infile=1 --secure-file-priv="$work/csv" --innodb-buffer-pool-size=2G \
    --innodb-ft-min-token-size=1 2>/dev/null &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
sql() { db=$1; shift; mariadb --no-defaults -S "$sock" -u root --local-infile=1 "$db" "$@"; }
i=0
until sql mysql -e 'SELECT 1' >/dev/null 2>&1; do
    i=$((i + 1))
    [ $i -lt 300 ] || { echo "$0: MariaDB did not start:" >&2; cat "$work/server/log" >&2; exit 1; }
    sleep 0.1
done
url() { echo "mysql://root@localhost/$1?socket=$sock"; }
now() { date +%s.%N; }

# serve: the serving part (above), once the server is up.
serve() {
    n=${SERVE_MOVIES:-100000}
    file=target/bench/serve-$n.db
    BUILD_ONLY=1 scripts/bench-serve.sh "$n" >/dev/null
    sql mysql -e "CREATE DATABASE bench_serve CHARACTER SET utf8mb4"
    # The schema, as any first load applies it (the rows it writes, its load_log, go below).
    DB=$(url bench_serve) "$load" --kind genres </dev/null 2>/dev/null
    start=$(now)
    # Every table of the MySQL mirror, its columns in its own order, taken from the SQLite file
    # by name: sqlite3's CSV (NULL as an unquoted NULL, which LOAD DATA reads as NULL when
    # nothing escapes). The change counter keeps its own row; the foreign keys are not checked
    # (the file's rows keep them already).
    copied=0
    for t in $(sql bench_serve -N -B -e "SELECT table_name FROM information_schema.tables
            WHERE table_schema = 'bench_serve' AND table_type = 'BASE TABLE'
            AND table_name NOT IN ('schema_migrations', 'tmdb_change_counter') ORDER BY 1"); do
        cols=$(sql bench_serve -N -B -e "SELECT group_concat(column_name ORDER BY ordinal_position)
            FROM information_schema.columns WHERE table_schema = 'bench_serve' AND table_name = '$t'")
        lite_cols=$(echo "$cols" | sed 's/[^,]*/"&"/g')
        my_cols=$(echo "$cols" | sed 's/[^,]*/`&`/g')
        sqlite3 -bail -csv -nullvalue NULL "$file" "SELECT $lite_cols FROM $t" |
            sql bench_serve -e "SET FOREIGN_KEY_CHECKS = 0; DELETE FROM $t;
                LOAD DATA LOCAL INFILE '/dev/stdin' INTO TABLE $t CHARACTER SET utf8mb4
                FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' ESCAPED BY ''
                LINES TERMINATED BY '\n' ($my_cols)"
        rows=$(sql bench_serve -N -B -e "SELECT count(*) FROM $t")
        [ "$rows" = "$(sqlite3 "$file" "SELECT count(*) FROM $t")" ] ||
            { echo "$0: $t: $rows rows copied of $file's $(sqlite3 "$file" "SELECT count(*) FROM $t")" >&2; exit 1; }
        copied=$((copied + rows))
        sql bench_serve -N -B -e "ANALYZE TABLE $t" >/dev/null
    done
    echo "serve: $file copied into MariaDB: $copied rows in $(echo "$(now) - $start" | bc | cut -c1-5)s"
    DATASETTE=0 COMPARE_DB=$(url bench_serve) \
        ROUTES=${SERVE_ROUTES:-'^(movie by id|/3/movie\+credits|filtered list \(varied|title search \(varied)'} \
        scripts/bench-serve.sh "$n" | tee "$work/serve.txt"
    # The targets, from the ratio lines: MariaDB's figures are the second of each route.
    awk '$1 == "movie" && $3 == "id" { getline; rps = $2; p99 = $3 }
        END { unit = p99; sub(/[0-9.]+/, "", unit); ms = p99 + 0
              if (unit == "us") ms /= 1000; else if (unit == "s") ms *= 1000
              printf "mariadb by id: %s req/s (target >= 10000), p99 %s (target <= 10ms): %s\n",
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
my_rows() {
    sql "$1" -N -B -e "SELECT $(for t in $TABLES; do printf '(SELECT count(*) FROM %s) + ' "$t"; done) 0"
}

# 1. ndjson-load into an empty database.
sql mysql -e "CREATE DATABASE bench_load CHARACTER SET utf8mb4"
start=$(now)
DB=$(url bench_load) "$load" --kind movies "$input" 2>"$work/err"
my_s=$(echo "$(now) - $start" | bc)
rows=$(my_rows bench_load)
my_rate=$(rate "$rows" "$my_s")
echo "mariadb ndjson-load: $movies movies ($in_mb MB), $rows rows in ${my_s%??????}s:" \
    "$my_rate rows/s, $(echo "scale=1; $in_mb / $my_s" | bc) MB/s"
echo "  $(tail -n 1 "$work/err")"

# 2. The mariadb client's LOAD DATA LOCAL INFILE of the same rows, as CSV, into the same schema.
csv="FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n'"
for t in $TABLES; do
    sql bench_load -e "SELECT * FROM $t INTO OUTFILE '$work/csv/$t.csv' $csv"
done
sql mysql -e "CREATE DATABASE bench_ref CHARACTER SET utf8mb4"
mariadb-dump --no-defaults -S "$sock" -u root --no-data bench_load | sql bench_ref
start=$(now)
for t in $TABLES; do
    sql bench_ref -e "LOAD DATA LOCAL INFILE '$work/csv/$t.csv' INTO TABLE $t $csv"
done
ref_s=$(echo "$(now) - $start" | bc)
ref_rows=$(my_rows bench_ref)
ref_rate=$(rate "$ref_rows" "$ref_s")
echo "mariadb LOAD DATA LOCAL INFILE of the same rows as CSV: $ref_rows rows in ${ref_s%??????}s: $ref_rate rows/s"
echo "  ndjson-load / LOAD DATA: $(echo "scale=2; $my_rate / $ref_rate" | bc)x (target >= 0.7x)"

# 3. The same load into SQLite.
start=$(now)
"$load" --db "$work/sqlite.db" --kind movies "$input" 2>"$work/err"
lite_s=$(echo "$(now) - $start" | bc)
lite_rows=$(sqlite3 "$work/sqlite.db" "SELECT $(for t in $TABLES; do printf '(SELECT count(*) FROM %s) + ' "$t"; done) 0")
lite_rate=$(rate "$lite_rows" "$lite_s")
echo "sqlite ndjson-load: $lite_rows rows in ${lite_s%??????}s: $lite_rate rows/s," \
    "$(echo "scale=1; $in_mb / $lite_s" | bc) MB/s; mariadb / sqlite: $(echo "scale=2; $my_rate / $lite_rate" | bc)x"

# 4. A reload of the same file: every record unchanged, skipped by its hash.
start=$(now)
DB=$(url bench_load) "$load" --kind movies "$input" 2>"$work/err"
echo "mariadb reload (all unchanged): $(echo "$(now) - $start" | bc | cut -c1-5)s; $(tail -n 1 "$work/err")"

# 5. Serving.
serve
