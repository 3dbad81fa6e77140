#!/bin/sh
# bench-serve.sh: requests per second and p99 latency of tmdb-serve per route, with wrk
# (10 s, 32 connections, loopback), on generated mirrors of 100,000 and 1,000,000 movies;
# TMDB's own /3/movie/{id}?append_to_response=credits and /3/discover/movie with random
# filters among them (scripts/bench-tmdb-routes.sh asks tmdb-sim the same, as a reference).
#
# usage: scripts/bench-serve.sh [SIZE...]        (default: 100000 1000000)
#   DURATION=10s CONNECTIONS=32 THREADS=<tmdb-serve --threads, default its own>
#   DATASETTE=0  skip Datasette (by default it is installed from PyPI in a venv under
#     target/bench, serves the same file after tmdb-serve, and the by-id ratio is printed)
#   WARMUP=2s  each route is first run this long unmeasured (0 for none; see run_serve)
#   BENCH_DIR=target/bench  where the databases are kept (built once, reused)
#   COMPARE=path/to/another/tmdb-serve  runs that binary on the same database beside this
#     one, route by route in turn (so both see the same load from the rest of the machine),
#     and prints the ratio of requests per second and of p99 (this build / the other).
#     Both must expect the same schema (the file is built for this one). For the tiny_http
#     build this one replaced (a47e6ea, the last commit of main before the switch, schema 9):
#       git worktree add /tmp/tiny a47e6ea && (cd /tmp/tiny && cargo build --release --bin tmdb-serve)
#       COMPARE=/tmp/tiny/target/release/tmdb-serve scripts/bench-serve.sh 100000
#   COMPARE_DB=DB  the compared server (COMPARE, else this build) reads DB instead of the file:
#     another mirror of the same data, such as a PostgreSQL copy (scripts/bench-postgres.sh)
#   COMPARE_DB_PID=PID  the main process of COMPARE_DB's server: its backends' CPU time per
#     request is shown too (DB us/req), since it is part of what an answer costs
#   ROUTES=REGEX  only the routes whose name matches (awk), e.g. 'by id|search \(varied'
#   BUILD_ONLY=1  build the databases that are missing or outdated, and stop
#   SERVE_DB=DB  serve this mirror instead of the generated one (SIZE then only sizes the
#     random ids): a figure checked on data of another shape, e.g. bench-record's
#     target/bench/record-100000.db (every append, long overviews, ~66 credits a movie)
#
# The databases are synthetic but shaped like TMDB's catalog: skewed popularity, 1-3 genres
# per movie, undated and adult movies, credits and people, and the parts of the whole record
# the native API filters on (keywords, companies, certifications by country, watch providers
# by country; a few common, most rare): not every append, which would be ~30 GB at 1,000,000
# movies. ndjson-load creates each one (it applies the
# migrations, as for any mirror, and loads the genres); the sqlite3 shell then writes the
# generated rows, and the schema's triggers keep the search indexes and genre_movie_by_date in
# step as they do for ndjson-load. No network and no fetch is needed.
set -eu

cd "$(dirname "$0")/.."
SIZES=${*:-100000 1000000}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
BENCH_DIR=${BENCH_DIR:-target/bench}
. scripts/bench-lua.sh
SERVE_THREADS=${THREADS:-}

# wrk and the sqlite3 shell are Debian packages; install them when missing and allowed.
for tool in wrk sqlite3; do
    command -v "$tool" >/dev/null && continue
    if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
        echo "bench-serve: installing $tool" >&2
        apt-get install -y "$tool" >&2 || { apt-get update >&2 && apt-get install -y "$tool" >&2; }
    fi
    command -v "$tool" >/dev/null || {
        echo "bench-serve: $tool is missing (apt-get install -y $tool)" >&2
        exit 2
    }
done
mkdir -p "$BENCH_DIR"
# The schema version is the number of the last migration, as tmdb-core applies them.
SCHEMA=$(ls sql/[0-9][0-9][0-9][0-9]_*.sql | sed -n '$s|^sql/0*\([0-9][0-9]*\)_.*|\1|p')
cargo build --release --locked --bin tmdb-serve --bin ndjson-load >&2

# build_db N FILE: a mirror of N movies, N/2 people, about 5 credits per movie.
build_db() {
    n=$1 file=$2
    echo "bench-serve: building $file ($n movies)..." >&2
    rm -f "$file.part" "$file.part-wal" "$file.part-shm"
    # TMDB's movie genres, as `tmdb-fetch genres` writes them.
    printf '{"id":%s,"name":"%s"}\n' 28 Action 12 Adventure 16 Animation 35 Comedy 80 Crime \
        99 Documentary 18 Drama 10751 Family 14 Fantasy 36 History 27 Horror 10402 Music \
        9648 Mystery 10749 Romance 878 'Science Fiction' 10770 'TV Movie' 53 Thriller \
        10752 War 37 Western | target/release/ndjson-load --kind genres --db "$file.part" 2>/dev/null ||
        { echo "bench-serve: ndjson-load could not create $file.part" >&2; exit 2; }
    sed "s/@N@/$n/g" <<'SQL' | sqlite3 "$file.part" >/dev/null
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
BEGIN;
CREATE TEMP TABLE syllable (k INTEGER PRIMARY KEY, s TEXT);
INSERT INTO syllable (s) VALUES ('ka'),('lo'),('mi'),('ther'),('dar'),('ne'),('vo'),('ri'),
  ('sta'),('gen'),('mor'),('quel'),('ba'),('shi'),('tor'),('ven'),('al'),('ze'),('pri'),('na'),
  ('dor'),('fle'),('mu'),('ki'),('gra'),('so'),('lin'),('chu'),('ré'),('ël'),('wan'),('pe'),
  ('hal'),('jo'),('cri'),('sun'),('ter'),('ya'),('bo'),('xi');
-- 1600 words; a title is 1-4 of them, low word numbers far more common (a skew like real titles).
CREATE TEMP TABLE word (k INTEGER PRIMARY KEY, w TEXT);
INSERT INTO word (k, w) SELECT (a.k - 1) * 40 + b.k - 1, upper(substr(a.s, 1, 1)) || substr(a.s, 2) || b.s
  FROM syllable a, syllable b;
CREATE TEMP TABLE lang (k INTEGER PRIMARY KEY, code TEXT);
INSERT INTO lang (k, code) VALUES (0,'en'),(1,'en'),(2,'en'),(3,'en'),(4,'fr'),(5,'es'),(6,'ja'),
  (7,'de'),(8,'it'),(9,'ko'),(10,'zh'),(11,'ru'),(12,'hi'),(13,'pt'),(14,'sv'),(15,'en');
CREATE TEMP TABLE n (i INTEGER PRIMARY KEY);
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < @N@)
INSERT INTO n SELECT i FROM c;
CREATE TEMP TABLE h AS SELECT i,
  (i * 2654435761) % 4294967291 AS h1, (i * 40503 + 7) % 1000003 AS h2,
  (i * 69069 + 1) % 999983 AS h3 FROM n;
CREATE TEMP TABLE t AS SELECT i,
  (SELECT w FROM word WHERE k = (h1 % 1600) * (h1 % 1597) / 1600) ||
  CASE WHEN h2 % 4 > 0 THEN ' ' || (SELECT w FROM word WHERE k = (h2 % 1600) * (h2 % 1601) / 1600) ELSE '' END ||
  CASE WHEN h3 % 3 = 0 THEN ' ' || (SELECT w FROM word WHERE k = h3 % 1600) ELSE '' END ||
  CASE WHEN h1 % 7 = 0 THEN ' ' || (1 + h2 % 4) ELSE '' END AS title
FROM h;
INSERT INTO movie (id, title, original_title, original_language, overview, release_date,
  runtime, status, adult, poster_path, backdrop_path, vote_average, vote_count, popularity,
  budget, revenue, imdb_id, origin_country)
SELECT i, t.title,
  CASE WHEN h2 % 5 = 0 THEN t.title || ' ' || (SELECT w FROM word WHERE k = h3 % 1600) ELSE t.title END,
  (SELECT code FROM lang WHERE k = h1 % 16),
  'A story of ' || t.title || '.',
  CASE WHEN h3 % 33 = 0 THEN NULL
       ELSE printf('%04d-%02d-%02d', 1900 + h1 % 126, 1 + h2 % 12, 1 + h3 % 28) END,
  70 + h2 % 80,
  CASE WHEN h1 % 20 = 0 THEN 'Post Production' WHEN h1 % 31 = 0 THEN 'Rumored' ELSE 'Released' END,
  CASE WHEN h2 % 100 = 0 THEN 1 ELSE 0 END,
  '/p' || i || '.jpg', '/b' || i || '.jpg',
  round((h3 % 100) / 10.0, 1), (h1 % 1000) * (h2 % 30) / 10,
  round(2000.0 / (1 + (h1 % 4000)) + (h3 % 100) / 100.0, 3),
  (h2 % 200) * 1000000, (h3 % 500) * 1000000, 'tt' || (1000000 + i), '["US"]'
FROM h JOIN t USING (i);
INSERT INTO movie_genre (movie_id, genre_id)
SELECT DISTINCT i, g.id FROM h JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS r FROM genre) g
  ON g.r = h1 % 19 OR (h2 % 3 > 0 AND g.r = h2 % 19) OR (h3 % 4 = 0 AND g.r = h3 % 19)
WHERE h3 % 40 <> 0;
-- 20,000 keywords and 5,000 companies, named from the title words; 0-6 keywords and 1-3
-- companies a movie, low ids far more common (the product of two residues skews them).
WITH RECURSIVE c(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM c WHERE k < 20000)
INSERT INTO keyword (id, name) SELECT k, lower((SELECT w FROM word WHERE word.k = c.k % 1600) ||
  ' ' || (SELECT w FROM word WHERE word.k = c.k / 1600)) FROM c;
WITH RECURSIVE c(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM c WHERE k < 5000)
INSERT INTO company (id, name, logo_path, origin_country)
SELECT k, (SELECT w FROM word WHERE word.k = c.k % 1600) || ' Pictures', '/c' || k || '.png',
  CASE k % 4 WHEN 0 THEN 'US' WHEN 1 THEN 'GB' WHEN 2 THEN 'FR' ELSE '' END FROM c;
CREATE TEMP TABLE j (j INTEGER PRIMARY KEY);
INSERT INTO j VALUES (0),(1),(2),(3),(4),(5);
INSERT INTO movie_keyword (movie_id, ord, keyword_id)
SELECT h.i, j.j, 1 + ((h.h1 + j.j * 104729 * (1 + h.h3 % 17)) % 20000) * ((h.h2 + j.j * 7) % 19997) / 20000
FROM h, j WHERE j.j < h.h1 % 7;
INSERT INTO movie_company (movie_id, ord, company_id)
SELECT h.i, j.j, 1 + ((h.h2 + j.j * 7919) % 5000) * ((h.h3 + j.j * 13) % 4999) / 5000
FROM h, j WHERE j.j <= h.h2 % 3;
-- Certifications: every dated movie's US theatrical release, a US premiere with none for a
-- quarter of them (two rows of one country), a British one for half, a French one for a third.
INSERT INTO release_date (movie_id, ord, iso_3166_1, certification, descriptors, iso_639_1, note,
  release_date, type)
SELECT m.id, r.ord, r.country,
  CASE r.country WHEN 'US' THEN CASE WHEN r.type = 1 THEN '' ELSE
         (SELECT value FROM json_each('["G","PG","PG-13","R","NC-17",""]') WHERE key = h.h3 % 6) END
    WHEN 'GB' THEN (SELECT value FROM json_each('["U","PG","12A","15","18"]') WHERE key = h.h2 % 5)
    ELSE (SELECT value FROM json_each('["U","12","16","18",""]') WHERE key = h.h1 % 5) END,
  '[]', '', '', m.release_date || 'T00:00:00.000Z', r.type
FROM movie m JOIN h ON h.i = m.id
JOIN (SELECT 0 AS ord, 'US' AS country, 3 AS type UNION ALL SELECT 1, 'US', 1
      UNION ALL SELECT 2, 'GB', 3 UNION ALL SELECT 3, 'FR', 3) r
  ON (r.ord = 0 OR (r.ord = 1 AND h.h1 % 4 = 0) OR (r.ord = 2 AND h.h2 % 2 = 0)
      OR (r.ord = 3 AND h.h3 % 3 = 0))
WHERE m.release_date IS NOT NULL;
-- 60 watch providers; a third of the movies are offered in the US (one to stream, and two to
-- rent and buy for half of those), a quarter in Great Britain.
WITH RECURSIVE c(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM c WHERE k < 60)
INSERT INTO watch_provider (id, provider_name, logo_path)
SELECT k, (SELECT w FROM word WHERE word.k = c.k * 17) || ' TV', '/w' || k || '.jpg' FROM c;
INSERT INTO watch_link (movie_id, iso_3166_1, link)
SELECT i, c, 'https://www.themoviedb.org/movie/' || i || '/watch?locale=' || c
FROM h, (SELECT 'US' AS c UNION ALL SELECT 'GB') WHERE (c = 'US' AND h1 % 3 = 0) OR (c = 'GB' AND h3 % 4 = 0);
INSERT INTO movie_watch_provider (movie_id, iso_3166_1, kind, ord, provider_id, display_priority)
SELECT w.movie_id, w.iso_3166_1, k.kind, k.ord,
  1 + ((h.h2 + k.ord * 31 + length(k.kind)) % 60) * ((h.h3 + k.ord) % 59) / 60, k.ord
FROM watch_link w JOIN h ON h.i = w.movie_id
JOIN (SELECT 'flatrate' AS kind, 0 AS ord UNION ALL SELECT 'rent', 0 UNION ALL SELECT 'rent', 1
      UNION ALL SELECT 'buy', 0 UNION ALL SELECT 'buy', 1) k
  ON k.kind = 'flatrate' OR h.h2 % 2 = 0;
INSERT INTO people (id, name, also_known_as, biography, birthday, gender, known_for_department,
  place_of_birth, profile_path, popularity, imdb_id, adult)
SELECT i, (SELECT w FROM word WHERE k = h1 % 1600) || ' ' || (SELECT w FROM word WHERE k = h2 % 1600) || 'son',
  '[]', 'Biography of person ' || i || '.',
  printf('%04d-%02d-%02d', 1920 + h3 % 90, 1 + h1 % 12, 1 + h2 % 28), h1 % 3,
  CASE WHEN h2 % 4 = 0 THEN 'Directing' ELSE 'Acting' END, 'Somewhere',
  '/f' || i || '.jpg', round(500.0 / (1 + h3 % 2000), 3), 'nm' || (1000000 + i), 0
FROM h WHERE i <= @N@ / 2;
INSERT INTO credit (credit_id, movie_id, person_id, kind, name, character, cast_order,
  department, job, gender, known_for_department, profile_path, popularity)
SELECT printf('c%x-%d', h.i, k.k), h.i, p.id,
  CASE WHEN k.k < 4 THEN 'cast' ELSE 'crew' END, p.name,
  CASE WHEN k.k < 4 THEN 'Character ' || k.k END, CASE WHEN k.k < 4 THEN k.k END,
  CASE WHEN k.k = 4 THEN 'Directing' WHEN k.k = 5 THEN 'Writing' END,
  CASE WHEN k.k = 4 THEN 'Director' WHEN k.k = 5 THEN 'Screenplay' END,
  p.gender, p.known_for_department, p.profile_path, p.popularity
FROM h, (SELECT 0 AS k UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3
         UNION ALL SELECT 4 UNION ALL SELECT 5) AS k
JOIN people p ON p.id = 1 + (h.h1 + k.k * 7919 * (1 + h.h3 % 13)) % (@N@ / 2)
WHERE k.k < 4 OR h.h2 % 2 = 0;
INSERT INTO load_log (kind, started_at, finished_at, read, inserted, updated, unchanged, deleted, rejected)
VALUES ('movies', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), @N@, @N@, 0, 0, 0, 0);
COMMIT;
-- As ndjson-load leaves a mirror after a load: each search index in one segment.
INSERT INTO movie_fts (movie_fts) VALUES ('optimize');
INSERT INTO people_fts (people_fts) VALUES ('optimize');
ANALYZE;
PRAGMA journal_mode = WAL;
SQL
    mv "$file.part" "$file"
}

# start_serve FILE [BINARY]: starts tmdb-serve on a free port; sets SERVE_PID and BASE.
start_serve() {
    out=$BENCH_DIR/serve-$$-$(basename "${2:-new}").out
    rm -f "$out"
    # shellcheck disable=SC2086
    "${2:-target/release/tmdb-serve}" --db "$1" --addr 127.0.0.1:0 ${SERVE_THREADS:+--threads $SERVE_THREADS} \
        >"$out" 2>/dev/null &
    SERVE_PID=$!
    for _ in $(seq 100); do
        [ -s "$out" ] && break
        sleep 0.1
    done
    BASE=$(sed -n 's/^listening on //p' "$out")
    rm -f "$out"
    [ -n "$BASE" ] || { echo "bench-serve: tmdb-serve did not start" >&2; exit 2; }
}

# wait_for_discover_index BASE: waits (at most 5 minutes) until the server at BASE answers
# discover from its in-memory index (built in the background at start-up; /metrics says when it
# is ready), so that what is measured is not the SQL path it answers with meanwhile. A build
# without the index (COMPARE) has no such gauge and is not waited for.
wait_for_discover_index() {
    for _ in $(seq 3000); do
        movies=$(curl -fs "$1/metrics" | sed -n 's/^tmdb_serve_discover_index_movies //p')
        [ -z "$movies" ] || [ "$movies" != 0 ] && return 0
        sleep 0.1
    done
    echo "bench-serve: no discover index after 5 minutes at $1" >&2
    exit 2
}

# stop PID: asks a server to stop, and insists after 10 s (Datasette finishes every request
# already queued before it exits, which can take minutes after a run it could not keep up with).
stop() {
    kill "$1" 2>/dev/null || return 0
    for _ in $(seq 100); do
        kill -0 "$1" 2>/dev/null || break
        sleep 0.1
    done
    kill -9 "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# cpu_ticks PID: the CPU time the process has used so far (user and system, all threads), in
# clock ticks.
cpu_ticks() {
    awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0
}

# db_ticks PID: the CPU ticks of the client backends of a database server (PID, its main
# process), which do the database's share of an answer: the processes it started whose title
# names a client ([local] for a Unix socket, host(port) for TCP), not its checkpointer, writers
# or autovacuum, whose work comes from loads.
db_ticks() {
    for child in $(ps -o pid=,args= --ppid "$1" | awk '/\[local\]|\(/ {print $1}'); do
        cpu_ticks "$child"
    done | awk '{s += $1} END {print s + 0}'
}

# bench NAME URL [LUA] [PID] [DB_PID]: one wrk run; prints "name req/s p99 non-2xx timeouts
# CPU DB-CPU" and sets RPS and P99_MS (and CPU_US). CPU is the server's (PID's) CPU time per
# request, in microseconds: on a machine shared with other work, requests/s and p99 follow the
# share of the cores the server gets, while its CPU time per request does not. DB-CPU is the
# same for the backends of a database server (DB_PID: its main process), when one is named.
bench() {
    name=$1 url=$2 lua=${3:-} pid=${4:-} db_pid=${5:-}
    ticks=$(if [ -n "$pid" ]; then cpu_ticks "$pid"; fi)
    db_ticks0=$(if [ -n "$db_pid" ]; then db_ticks "$db_pid"; fi)
    # wrk wants a connection per thread: CONNECTIONS=1 measures one request at a time.
    result=$(wrk -t"$([ "$CONNECTIONS" -lt 2 ] && echo 1 || echo 2)" -c"$CONNECTIONS" -d"$DURATION" \
        --latency ${lua:+-s "$lua"} "$url")
    CPU_US=-
    if [ -n "$pid" ]; then
        CPU_US=$(echo "$result" | awk -v t0="$ticks" -v t1="$(cpu_ticks "$pid")" -v hz="$(getconf CLK_TCK)" \
            '/requests in/ { if ($1 > 0) printf "%.0f", (t1 - t0) / hz * 1e6 / $1 }')
    fi
    DB_US=-
    if [ -n "$db_pid" ]; then
        DB_US=$(echo "$result" | awk -v t0="$db_ticks0" -v t1="$(db_ticks "$db_pid")" -v hz="$(getconf CLK_TCK)" \
            '/requests in/ { if ($1 > 0) printf "%.0f", (t1 - t0) / hz * 1e6 / $1 }')
    fi
    RPS=$(echo "$result" | awk '/^Requests\/sec/ {print $2}')
    p99=$(echo "$result" | awk '$1 == "99%" {print $2}')
    P99_MS=$(echo "$p99" | awk '/us$/ {print $1 / 1000; next} /ms$/ {print $1 + 0; next}
        /[0-9]s$/ {print $1 * 1000; next} {print "?"}')
    bad=$(echo "$result" | awk '/Non-2xx/ {print $5}')
    timeouts=$(echo "$result" | awk '/Socket errors/ {print $NF}')
    printf '%-28s %12s %10s %8s %9s %10s %10s\n' "$name" "$RPS" "$p99" "${bad:-0}" "${timeouts:-0}" "${CPU_US:--}" "${DB_US:--}"
}

# random_ids_lua PREFIX MAX SUFFIX: a wrk script asking for PREFIX<random id>SUFFIX.
random_ids_lua() {
    file=$BENCH_DIR/$(echo "$1$3" | tr -c 'a-z' '_').lua
    cat >"$file" <<LUA
math.randomseed(42)
request = function()
  return wrk.format(nil, "$1" .. math.random(1, $2) .. "$3")
end
LUA
    per_thread_seed "$file"
    echo "$file"
}

# varied_lua: wrk scripts whose every request differs (no answer cache can help): a filtered
# list with a random genre, year and sort, one with a random year and status, and a title
# search for two random title words, the second typed halfway (a prefix); the same for
# people's names.
varied_lua() {
    cat >"$BENCH_DIR/varied_list.lua" <<'LUA'
math.randomseed(7)
local genres = {"action","adventure","animation","comedy","crime","documentary","drama","family",
  "fantasy","history","horror","music","mystery","romance","science%20fiction","tv%20movie",
  "thriller","war","western"}
local sorts = {"popularity.desc","vote_average.desc","release_date.asc","title"}
request = function()
  return wrk.format(nil, "/movies?genre=" .. genres[math.random(#genres)] .. "&year=" ..
    math.random(1900, 2025) .. "&sort=" .. sorts[math.random(#sorts)])
end
LUA
    # A year and a status (a random limit and page too: the 1,512 year, status and sort
    # combinations alone would all be answered from the cache within the run).
    cat >"$BENCH_DIR/varied_year_status.lua" <<'LUA'
math.randomseed(5)
local statuses = {"released","post%20production","rumored"}
local sorts = {"popularity.desc","vote_average.desc","release_date.asc","title"}
request = function()
  return wrk.format(nil, "/movies?status=" .. statuses[math.random(#statuses)] .. "&year=" ..
    math.random(1900, 2025) .. "&sort=" .. sorts[math.random(#sorts)] .. "&limit=" ..
    math.random(10, 30) .. "&page=" .. math.random(1, 3))
end
LUA
    cat >"$BENCH_DIR/varied_search.lua" <<'LUA'
math.randomseed(11)
local s = {"ka","lo","mi","ther","dar","ne","vo","ri","sta","gen","mor","quel","ba","shi","tor",
  "ven","al","ze","pri","na","dor","fle","mu","ki","gra","so","lin","chu","re","el","wan","pe",
  "hal","jo","cri","sun","ter","ya","bo","xi"}
local function word() return s[math.random(#s)] .. s[math.random(#s)] end
request = function()
  local second = word()
  return wrk.format(nil, "/movies/search?query=" .. word() .. "+" .. second:sub(1, 3))
end
LUA
    # The native API's filters on the whole record, each request a random value of the filter
    # (skewed like the data: low ids are the common ones), a random sort and page.
    cat >"$BENCH_DIR/varied_keyword.lua" <<'LUA'
math.randomseed(13)
local sorts = {"popularity.desc","vote_average.desc","release_date.asc","title"}
request = function()
  return wrk.format(nil, "/movies?keyword=" .. math.random(1, 2000) .. "&sort=" ..
    sorts[math.random(#sorts)] .. "&page=" .. math.random(1, 3))
end
LUA
    cat >"$BENCH_DIR/varied_provider.lua" <<'LUA'
math.randomseed(17)
local regions = {"US","GB"}
local sorts = {"popularity.desc","vote_average.desc","release_date.asc","title"}
request = function()
  return wrk.format(nil, "/movies?provider=" .. math.random(1, 60) .. "&region=" ..
    regions[math.random(#regions)] .. "&sort=" .. sorts[math.random(#sorts)] .. "&limit=" ..
    math.random(10, 30) .. "&page=" .. math.random(1, 3))
end
LUA
    cat >"$BENCH_DIR/varied_certification.lua" <<'LUA'
math.randomseed(19)
local ratings = {{"US","G"},{"US","PG"},{"US","PG-13"},{"US","R"},{"US","NC-17"},{"GB","12A"},
  {"GB","15"},{"GB","18"},{"FR","12"},{"FR","16"}}
local sorts = {"popularity.desc","vote_average.desc","release_date.asc","title"}
request = function()
  local r = ratings[math.random(#ratings)]
  return wrk.format(nil, "/movies?certification=" .. r[2] .. "&region=" .. r[1] .. "&sort=" ..
    sorts[math.random(#sorts)] .. "&limit=" .. math.random(10, 30) .. "&page=" .. math.random(1, 3))
end
LUA
    cat >"$BENCH_DIR/varied_runtime.lua" <<'LUA'
math.randomseed(23)
local sorts = {"popularity.desc","vote_average.desc","release_date.asc","title"}
request = function()
  local low = math.random(60, 150)
  return wrk.format(nil, "/movies?runtime_min=" .. low .. "&runtime_max=" ..
    (low + math.random(0, 30)) .. "&sort=" .. sorts[math.random(#sorts)] .. "&page=" ..
    math.random(1, 3))
end
LUA
    # People are named like titles ("Kalo Mimison"): the same words, searched among names.
    sed 's|/movies/search|/people/search|' "$BENCH_DIR/varied_search.lua" >"$BENCH_DIR/varied_people.lua"
    for lua in list year_status search people keyword provider certification runtime; do
        per_thread_seed "$BENCH_DIR/varied_$lua.lua"
    done
}

# routes N: the benchmarked routes of a mirror of N movies, one a line: NAME|PATH|LUA (a wrk
# script that makes the paths; PATH is then empty).
routes() {
    varied_lua
    echo "movie by id (random)||$(random_ids_lua /movies/ "$1" "")"
    echo "credits (random)||$(random_ids_lua /movies/ "$1" /credits)"
    echo "filtered list page|/movies?language=en&year=1999&sort=vote_average.desc|"
    echo "title search|/movies/search?query=Kalo+dar|"
    echo "person (random)||$(random_ids_lua /people/ "$(($1 / 2))" "")"
    echo "filtered list (varied)||$BENCH_DIR/varied_list.lua"
    echo "year+status list (varied)||$BENCH_DIR/varied_year_status.lua"
    echo "title search (varied)||$BENCH_DIR/varied_search.lua"
    echo "people search (varied)||$BENCH_DIR/varied_people.lua"
    echo "keyword list (varied)||$BENCH_DIR/varied_keyword.lua"
    echo "provider+region (varied)||$BENCH_DIR/varied_provider.lua"
    echo "certification+region (var.)||$BENCH_DIR/varied_certification.lua"
    echo "runtime range (varied)||$BENCH_DIR/varied_runtime.lua"
    echo "keyword movies (random)||$(random_ids_lua /keywords/ 2000 /movies)"
    echo "company (random)||$(random_ids_lua /companies/ 5000 "")"
    echo "/3/movie+credits (random)||$(random_ids_lua /3/movie/ "$1" '?append_to_response=credits')"
    echo "/3/discover (varied)||$(discover_lua "$1")"
}

run_serve() {
    n=$1 file=$2
    start_serve "$file"
    new_pid=$SERVE_PID new_base=$BASE
    old_pid="" old_base=""
    if [ -n "${COMPARE:-}${COMPARE_DB:-}" ]; then
        start_serve "${COMPARE_DB:-$file}" "${COMPARE:-}"
        old_pid=$SERVE_PID old_base=$BASE
    fi
    trap 'kill $new_pid $old_pid 2>/dev/null' EXIT
    for base in $new_base $old_base; do
        wait_for_discover_index "$base"
    done
    # From the environment: awk -v would read the pattern's backslashes as escapes.
    routes "$n" | ROUTES=${ROUTES:-.} awk -F'|' '$1 ~ ENVIRON["ROUTES"]' >"$BENCH_DIR/routes.txt"
    # A first pass of every route fills the page cache and the server's caches (counts, the
    # first ids of lists, search phrase counts), as a server that has been running has them:
    # what is measured is the steady state, not the first request of each list or word.
    # Without it, the first request of each of the 1,512 year, status and sort lists (~2 ms
    # each on 1,000,000 movies) falls inside the measured 10 s (WARMUP=0 shows it).
    if [ "${WARMUP:-2s}" != 0 ]; then
        for base in $new_base $old_base; do
            while IFS='|' read -r name path lua; do
                SEED_OFFSET=50 wrk -t2 -c4 -d"${WARMUP:-2s}" ${lua:+-s "$lua"} "$base$path" >/dev/null
            done <"$BENCH_DIR/routes.txt"
        done
    fi
    printf '\n## tmdb-serve, %s movies (%s, %s connections, threads %s, warm-up %s a route; load average %s)\n' \
        "$n" "$DURATION" "$CONNECTIONS" "${SERVE_THREADS:-default}" "${WARMUP:-2s}" "$(cut -d' ' -f1-3 /proc/loadavg)"
    [ -n "$old_base" ] && printf 'each route: this build on %s, then %s on %s, then the ratios (this / that)\n' \
        "$file" "${COMPARE:-this build}" "${COMPARE_DB:-the same file}"
    printf '%-28s %12s %10s %8s %9s %10s %10s\n' route "req/s" p99 non-2xx timeouts "CPU us/req" "DB us/req"
    while IFS='|' read -r name path lua; do
        bench "$name" "$new_base$path" "$lua" "$new_pid"
        [ "$name" = "movie by id (random)" ] && SERVE_BY_ID_RPS=$RPS SERVE_BY_ID_CPU=$CPU_US
        [ -n "$old_base" ] || continue
        new_rps=$RPS new_p99=$P99_MS new_cpu=$CPU_US
        bench "  (compared)" "$old_base$path" "$lua" "$old_pid" "${COMPARE_DB_PID:-}"
        awk -v a="$new_rps" -v b="$RPS" -v c="$new_p99" -v d="$P99_MS" -v e="$new_cpu" -v f="$CPU_US" \
            'BEGIN { printf "  %-26s %11.2fx %9.2fx %28.2fx\n", "ratio", a / b, (d > 0 ? c / d : 0), (f > 0 ? e / f : 0) }'
    done <"$BENCH_DIR/routes.txt"
    stop "$new_pid"
    [ -n "$old_pid" ] && stop "$old_pid"
    trap - EXIT
}

run_datasette() {
    n=$1 file=$2
    venv=$BENCH_DIR/venv
    if [ ! -x "$venv/bin/datasette" ]; then
        python3 -m venv "$venv" >&2
        "$venv/bin/pip" install --quiet datasette >&2
    fi
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    db=$(basename "$file" .db)
    # Datasette does not recognise "content = 'movie'" (spaces) as FTS: name the index for it.
    printf '{"databases": {"%s": {"tables": {"movie": {"fts_table": "movie_fts", "fts_pk": "id"}}}}}\n' \
        "$db" >"$BENCH_DIR/datasette.json"
    "$venv/bin/datasette" serve -i "$file" --host 127.0.0.1 --port "$port" \
        --metadata "$BENCH_DIR/datasette.json" \
        --setting default_page_size 20 --setting sql_time_limit_ms 10000 >/dev/null 2>&1 &
    ds_pid=$!
    trap 'kill $ds_pid 2>/dev/null' EXIT
    base=http://127.0.0.1:$port
    for _ in $(seq 100); do
        curl -fs "$base/-/versions.json" >/dev/null 2>&1 && break
        sleep 0.2
    done
    printf '\n## Datasette %s (immutable), %s movies (load average %s)\n' \
        "$("$venv/bin/datasette" --version | awk '{print $NF}')" "$n" "$(cut -d' ' -f1-3 /proc/loadavg)"
    printf '%-28s %12s %10s %8s %9s %10s %10s\n' route "req/s" p99 non-2xx timeouts "CPU us/req" "DB us/req"
    bench "movie by id (random)" "$base" "$(random_ids_lua "/$db/movie/" "$n" .json)" "$ds_pid"
    awk -v a="${SERVE_BY_ID_RPS:-0}" -v b="$RPS" 'BEGIN { if (b > 0) printf "  %-26s %11.1fx (tmdb-serve by id / Datasette by id, requests/s; target >= 50x)\n", "ratio", a / b }'
    # Datasette answers on one core (Python), tmdb-serve on every core it gets: on a busy
    # machine the ratio of requests/s follows what each is given; that of CPU time does not.
    awk -v a="${SERVE_BY_ID_CPU:-0}" -v b="$CPU_US" 'BEGIN { if (a > 0 && b > 0) printf "  %-26s %11.1fx (Datasette CPU per request / tmdb-serve CPU per request, by id)\n", "CPU ratio", b / a }'

    # The same rows as tmdb-serve's filtered list page (an indexed date range, not a LIKE),
    # and the same search (raw mode, so that dar* is a prefix as in tmdb-serve).
    bench "filtered list page" "$base/$db/movie.json?original_language=en&adult=0&release_date__gte=1999-01-01&release_date__lt=2000-01-01&_sort_desc=vote_average"
    bench "title search" "$base/$db/movie.json?_search=Kalo+dar*&_searchmode=raw&adult=0"
    # Without its count and facet suggestions: Datasette's page query alone.
    bench "filtered list, no count" "$base/$db/movie.json?original_language=en&adult=0&release_date__gte=1999-01-01&release_date__lt=2000-01-01&_sort_desc=vote_average&_nocount=1&_nofacet=1"
    stop "$ds_pid"
    trap - EXIT
}

for n in $SIZES; do
    file=${SERVE_DB:-$BENCH_DIR/serve-$n.db}
    # A mirror built before a new migration landed is built again (tmdb-serve would refuse it).
    if [ -z "${SERVE_DB:-}" ] && { [ ! -f "$file" ] || [ "$(sqlite3 "$file" 'PRAGMA user_version')" != "$SCHEMA" ]; }; then
        build_db "$n" "$file"
    fi
    [ "${BUILD_ONLY:-0}" = 1 ] && continue
    run_serve "$n" "$file"
    if [ "${DATASETTE:-1}" = 1 ]; then
        run_datasette "$n" "$file"
    fi
done
