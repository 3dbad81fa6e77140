#!/bin/sh
# Usage: scripts/summary.sh DATA [DB]   (DB: else $DB, else DATA/tmdb.db)
# One line on what the mirror holds and what it lacks: movies, people, credited people not
# fetched, IDs that still fail (retry with `make refetch-failed`), IDs gone from TMDB.
set -eu
[ $# -eq 1 ] || [ $# -eq 2 ] || { echo "usage: $0 DATA [DB]" >&2; exit 2; }
# make passes the database in DB, not as an argument: a URL's password stays off every
# command line (ps shows them to every user).
data=$1 db=${2:-${DB:-$1/tmdb.db}}
export DB="$db"
ids="target/release/ndjson-ids"

# count FILE: its lines (0 when it does not exist).
count() { if [ -f "$1" ]; then grep -c '' "$1" || true; else echo 0; fi; }

movies=$($ids list db:movies | wc -l)
people=$($ids list db:people | wc -l)
credited=$($ids list db:credited | wc -l)
missing=$($ids minus db:credited db:people db:gone-people | wc -l)
gone_movies=$($ids list db:gone-movies | wc -l)
gone_people=$($ids list db:gone-people | wc -l)
failed_movies=$(count "$data/movies.failed.ndjson")
failed_people=$(count "$data/people.failed.ndjson")

# A database URL is shown without its password.
shown=$(printf '%s' "$db" | sed -E 's#(://[^/@:]*:)[^/]*@#\1***@#')
echo "mirror $shown: $movies movies, $people people ($credited credited, $missing not fetched);" \
    "failed: $failed_movies movies, $failed_people people;" \
    "gone: $gone_movies movies, $gone_people people"
