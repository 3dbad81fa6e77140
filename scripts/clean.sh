#!/usr/bin/env bash
# Usage: DB=... scripts/clean.sh DATA
# `make clean`: removes the files the pipeline writes in DATA, by name, and nothing else: the
# stage files and their .part/failed/gone/rejects/retry lists, the stamps, the database (DB
# only when it is DATA's own tmdb.db), `make export`'s files, `make update`'s work
# folders and `make demo`'s mirror. Other files stay, and so do the folders that hold them.
#
# DATA must be a mirror folder: one holding `.stamps/` (written by every pipeline run, the
# demo's included) or `demo/.stamps/` (the folder `make demo` ran in), or the repository's
# own data/ folder. `/` and $HOME are refused whatever they hold.
set -euo pipefail
# DB comes in the environment, not as an argument, where `ps` would show a URL's password.
[ $# -eq 1 ] || { echo "usage: DB=... $0 DATA" >&2; exit 2; }
data=$1 db=${DB:-}

refuse() {
    echo "make clean: $*; nothing removed" >&2
    exit 2
}
[ -n "$data" ] || refuse "DATA is empty"
if [ ! -e "$data" ]; then
    echo "make clean: $data does not exist; nothing to clean"
    exit 0
fi
[ -d "$data" ] || refuse "DATA=$data is not a folder"
real=$(cd "$data" && pwd -P)
[ "$real" != / ] || refuse "DATA=$data is the root folder"
if [ -n "${HOME:-}" ] && [ -d "$HOME" ] && [ "$real" = "$(cd "$HOME" && pwd -P)" ]; then
    refuse "DATA=$data is your home folder"
fi
repo_data=$(cd "$(dirname "$0")/.." && pwd -P)/data
if [ ! -d "$data/.stamps" ] && [ ! -d "$data/demo/.stamps" ] && [ "$real" != "$repo_data" ]; then
    refuse "DATA=$data is not a mirror folder (it has no .stamps/ folder, which every" \
        "pipeline run writes)"
fi

removed=0
# rm_names DIR NAME...: removes DIR/NAME for each NAME that exists as a file.
rm_names() {
    local dir=$1 name
    shift
    for name in "$@"; do
        if [ -f "$dir/$name" ] || [ -L "$dir/$name" ]; then
            rm -f "$dir/$name"
            removed=$((removed + 1))
        fi
    done
}
# rmdir_if_empty DIR: removes DIR once nothing is left in it (a user's file keeps it).
rmdir_if_empty() {
    if [ -d "$1" ] && [ -z "$(ls -A "$1")" ]; then rmdir "$1"; fi
}

# Stage files (Makefile), with their checkpoints and lists (Makefile, update.mk's refetch-failed;
# .retry.ndjson.new and people.new.ndjson were written by its earlier versions).
stage_files() {
    local stage
    for stage in genres movie_ids person_ids; do
        echo "$stage.ndjson" "$stage.ndjson.part"
    done
    for stage in movies people; do
        echo "$stage.ndjson" "$stage.ndjson.part" "$stage.failed.ndjson" "$stage.gone.ndjson" \
            "$stage.rejects.ndjson" "$stage.retry.ndjson" "$stage.retry.ndjson.part" \
            "$stage.retry.ndjson.new" "$stage.recovered.ndjson" \
            "$stage.recovered.rejects.ndjson" "$stage.failed.ndjson.new"
    done
    echo people.new.ndjson
}
# shellcheck disable=SC2046 # the names have no spaces
rm_names "$data" $(stage_files)

# The database: DATA's own, with SQLite's companion files. A DB elsewhere is the user's to
# remove: it may be shared with another DATA.
rm_names "$data" tmdb.db tmdb.db-wal tmdb.db-shm tmdb.db-journal
case $db in
    "$data/tmdb.db" | "./$data/tmdb.db" | "sqlite:///$data/tmdb.db") ;;
    postgres://* | postgresql://*)
        echo "make clean: kept the PostgreSQL database $(printf '%s' "$db" | sed -E 's#(://[^/@:]*:)[^/]*@#\1***@#') (drop it with dropdb)" ;;
    mysql://* | mariadb://*)
        echo "make clean: kept the MySQL database $(printf '%s' "$db" | sed -E 's#(://[^/@:]*:)[^/]*@#\1***@#') (drop it with DROP DATABASE)" ;;
    *) [ ! -e "$db" ] || echo "make clean: kept the database $db (DB is outside DATA)" ;;
esac

# Stamps (Makefile, update.mk).
rm_names "$data/.stamps" genres.loaded movie_ids.loaded movies.loaded people.loaded limit append people_append \
    ids_date synced synced.part movies.recovered.loaded people.recovered.loaded
rmdir_if_empty "$data/.stamps"

# make export: one TABLE.csv, .parquet or .ndjson per table (tmdb-export; the table list grows
# with the schema).
if [ -d "$data/export" ]; then
    for file in "$data"/export/*.csv "$data"/export/*.parquet "$data"/export/*.ndjson "$data"/export/*.part; do
        rm_names "$data/export" "$(basename "$file")"
    done
    rmdir_if_empty "$data/export"
fi

# make update: a work folder per day (YYYY-MM-DD) and the last finished one (update.mk;
# tools.log was written by its earlier versions).
if [ -d "$data/update" ]; then
    for dir in "$data"/update/[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] "$data/update/last"; do
        [ -d "$dir" ] || continue
        rm_names "$dir" tools.log changed.tmp new.tmp left.tmp start start.part mode mode.part \
            movies.done people.done
        for list in movie_changes person_changes movie_ids movie_candidates person_candidates; do
            rm_names "$dir" "$list.ndjson" "$list.ndjson.part"
        done
        for stage in movies people; do
            rm_names "$dir" "$stage.ndjson.part" "$stage.gone.ndjson" "$stage.failed.ndjson" \
                "$stage.rejects.ndjson"
        done
        rmdir_if_empty "$dir"
    done
    rmdir_if_empty "$data/update"
fi

# make demo: a whole mirror in DATA/demo, and the simulator's log there (demo.sh).
if [ -d "$data/demo/.stamps" ]; then
    before=$removed
    removed=0
    DB=$data/demo/tmdb.db "$0" "$data/demo" >/dev/null
    removed=$before
    rm_names "$data/demo" sim.stdout
    rmdir_if_empty "$data/demo"
    echo "make clean: removed the demo mirror in $data/demo"
fi

left=$(cd "$data" && ls -A | grep -v '^\.gitkeep$' | head -5 | tr '\n' ' ' | sed 's/ $//' || true)
echo "make clean: removed $removed pipeline files from $data${left:+; kept what the pipeline does not write: $left}"
