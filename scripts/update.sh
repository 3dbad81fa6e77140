#!/usr/bin/env bash
# Usage: DATA=data DB=data/tmdb.db RATE=40 CONCURRENCY=20 RETRIES=8 TODAY=YYYY-MM-DD scripts/update.sh
#        [APPEND=LIST] [PEOPLE_APPEND=LIST] (tmdb-fetch --append; empty: its default)
# Brings a finished mirror up to date (`make update`): refetches the movies and people TMDB
# changed since the last sync (its change lists, every 14-day window, every page), the movies
# of today's export the mirror lacks, and the mirrored movies the export no longer lists
# (a 404 confirms the deletion); then the people the refetched movies newly credit. Loads
# them, deletes what is gone, and moves the sync stamp to TODAY only when nothing failed.
#
# Checkpoints live in $DATA/update/$TODAY: the change lists, the candidate lists and the
# fetched records (.part files, resumed with --skip), so an interrupted update re-run the
# same day fetches only what is missing, and IDs that failed are retried.
set -euo pipefail
: "${DATA:?}" "${DB:?}" "${RATE:?}" "${CONCURRENCY:?}" "${RETRIES:?}" "${TODAY:?}"
bin=target/release
fetch="$bin/tmdb-fetch --rate $RATE --concurrency $CONCURRENCY --retries $RETRIES"
load="$bin/ndjson-load --db $DB"
ids="$bin/ndjson-ids --db $DB"
stamps=$DATA/.stamps
work=$DATA/update/$TODAY
log=$work/tools.log
started=$(date +%s)

[ -f "$stamps/people.loaded" ] || {
    echo "update: $DATA holds no finished mirror; run \`make mirror\` first" >&2
    exit 2
}
# An update of an earlier day that never finished is superseded: its IDs are still changed
# since the stamp, so this run's change lists name them again.
mkdir -p "$DATA/update"
find "$DATA/update" -mindepth 1 -maxdepth 1 -type d ! -name "$TODAY" ! -name last -exec rm -rf {} +
mkdir -p "$work"
# The summary counts this run's work (a re-run counts what it redid).
: > "$log"

# logged CMD...: runs CMD with its stderr shown and also kept in $log (the summary reads the
# tools' one-line summaries from it); returns CMD's status.
logged() {
    local status=0
    { "$@" 2>&1 >&3 3>&- | tee -a "$log" >&2; } 3>&1 || status=$?
    return $status
}

# once FILE CMD...: writes CMD's output to FILE unless an earlier run already did. FILE
# appears only complete.
once() {
    local file=$1
    shift
    [ -f "$file" ] && return 0
    logged "$@" > "$file.part"
    mv "$file.part" "$file"
}

# A stamp TMDB's change lists cannot answer for (none, unreadable, or before change tracking
# began on 2012-10-05) leaves only the export to compare with.
since=$(cat "$stamps/synced" 2>/dev/null || true)
if [[ $since =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] && [[ ! $since < 2012-10-05 ]] && [[ ! $since > $TODAY ]]; then
    mode=changes
    echo "update: changes from $since to $TODAY"
    once "$work/movie_changes.ndjson" $fetch changes --kind movie --since "$since" --until "$TODAY"
    # Adult people stay in a mirror whose movies credit them: their changes count too.
    once "$work/person_changes.ndjson" $fetch changes --kind person --since "$since" --until "$TODAY" \
        --include-adult
elif [[ $since =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] && [[ $since > $TODAY ]]; then
    mode=export
    echo "update: the mirror is synced to $since, after TODAY=$TODAY: comparing that day's" \
        "export with the mirror only; the sync stamp stays at $since" >&2
    : > "$work/movie_changes.ndjson"
    : > "$work/person_changes.ndjson"
else
    mode=export
    echo "update: no usable sync stamp in $stamps/synced (\"$since\"): comparing today's export" \
        "with the mirror only; records changed in place cannot be found this way" \
        "(run \`make update\` again after this one: it will use the change lists)" >&2
    : > "$work/movie_changes.ndjson"
    : > "$work/person_changes.ndjson"
fi
once "$work/movie_ids.ndjson" $fetch ids --source export --date "$TODAY"

# Movies to refetch. A LIMIT mirror (a quick try) refreshes what it holds and adds nothing.
if [ ! -f "$work/movie_candidates.ndjson" ]; then
    if [ -n "$(cat "$stamps/limit" 2>/dev/null || true)" ]; then
        echo "update: a LIMIT mirror: refreshing its own movies only"
        $ids common "$work/movie_changes.ndjson" db:movies > "$work/changed.tmp"
        : > "$work/new.tmp"
    else
        $ids list "$work/movie_changes.ndjson" > "$work/changed.tmp"
        $ids minus "$work/movie_ids.ndjson" db:movies db:gone-movies > "$work/new.tmp"
    fi
    $ids minus db:movies "$work/movie_ids.ndjson" > "$work/left.tmp"
    echo "update: movies: $(grep -c '' "$work/changed.tmp") changed," \
        "$(grep -c '' "$work/new.tmp") new in the export," \
        "$(grep -c '' "$work/left.tmp") no longer in the export"
    $ids list "$work/changed.tmp" "$work/new.tmp" "$work/left.tmp" > "$work/movie_candidates.ndjson.part"
    rm -f "$work"/*.tmp
    mv "$work/movie_candidates.ndjson.part" "$work/movie_candidates.ndjson"
fi

# fetch_stage STAGE CANDIDATES: fetches (resuming) and loads one stage's records.
fetch_stage() {
    local stage=$1 candidates=$2
    local part=$work/$stage.ndjson.part gone=$work/$stage.gone.ndjson failed=$work/$stage.failed.ndjson
    local appends=${APPEND:-}
    if [ "$stage" = people ]; then appends=${PEOPLE_APPEND:-}; fi
    touch "$gone"
    rm -f "$failed"
    logged $fetch "$stage" ${appends:+--append "$appends"} --skip "$part" --skip "$gone" \
        --gone "$gone" --failed "$failed" --out "$part" "$candidates" || [ $? -eq 1 ]
    touch "$part" "$failed"
    logged $load --kind "$stage" --rejects "$work/$stage.rejects.ndjson" "$part" || [ $? -eq 1 ]
    logged $load --kind gone "$gone"
}

fetch_stage movies "$work/movie_candidates.ndjson"
logged $load --kind movie-ids "$work/movie_ids.ndjson"

# People to refetch: the changed ones the mirror holds, and everyone the loaded credits name
# that the mirror lacks (newly credited, or missing since an earlier failure).
if [ ! -f "$work/person_candidates.ndjson" ]; then
    $ids common "$work/person_changes.ndjson" db:people > "$work/changed.tmp"
    $ids minus db:credited db:people db:gone-people > "$work/new.tmp"
    echo "update: people: $(grep -c '' "$work/changed.tmp") changed," \
        "$(grep -c '' "$work/new.tmp") newly credited"
    $ids list "$work/changed.tmp" "$work/new.tmp" > "$work/person_candidates.ndjson.part"
    rm -f "$work"/*.tmp
    mv "$work/person_candidates.ndjson.part" "$work/person_candidates.ndjson"
fi
fetch_stage people "$work/person_candidates.ndjson"

# The summary, from the tools' own summary lines.
# total KIND FIELD: sums "FIELD N" over ndjson-load's summaries for KIND.
total() {
    grep "^ndjson-load: $1:" "$log" | sed -n "s/.* $2 \([0-9]*\).*/\1/p" | awk '{s+=$1} END {print s+0}'
}
requests=$(grep '^tmdb-fetch:' "$log" | sed -n 's/.* requests \([0-9]*\).*/\1/p' | awk '{s+=$1} END {print s+0}')
failed_movies=$(grep -c '' "$work/movies.failed.ndjson" || true)
failed_people=$(grep -c '' "$work/people.failed.ndjson" || true)
deleted_movies=$(grep -c '"kind":"movie"' "$work/movies.gone.ndjson" || true)
deleted_people=$(grep -c '"kind":"person"' "$work/people.gone.ndjson" || true)
echo "update: movies: $(total movies inserted) added, $(total movies updated) updated," \
    "$deleted_movies deleted, $(total movies unchanged) unchanged, $failed_movies failed;" \
    "people: $(total people inserted) added, $(total people updated) updated," \
    "$deleted_people deleted, $(total people unchanged) unchanged, $failed_people failed;" \
    "$requests requests in $(( $(date +%s) - started ))s ($mode)"

if [ "$failed_movies" -gt 0 ] || [ "$failed_people" -gt 0 ]; then
    echo "update: some IDs still fail (listed in $work/*.failed.ndjson); the sync stamp stays" \
        "at ${since:-none}: run \`make update\` again to retry them" >&2
    exit 1
fi
# The stamp only moves forward: an update run with an older TODAY (a replayed export) leaves
# it where it is, or the next update would ask again for windows the mirror already has.
if ! [[ $since =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] || [[ $TODAY > $since ]]; then
    echo "$TODAY" > "$stamps/synced.part"
    mv "$stamps/synced.part" "$stamps/synced"
fi
# Kept for inspection (jq on last/movies.ndjson.part) until the next update finishes.
rm -rf "$DATA/update/last"
mv "$work" "$DATA/update/last"
echo "update: mirror synced to $(cat "$stamps/synced")"
