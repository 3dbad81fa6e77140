#!/bin/sh
# Usage: DATA=data DB=data/tmdb.db RATE=40 CONCURRENCY=20 RETRIES=8 scripts/refetch-failed.sh
#        [APPEND=LIST] [PEOPLE_APPEND=LIST] (tmdb-fetch --append; empty: its default)
# Retries the IDs listed in $DATA/movies.failed.ndjson and $DATA/people.failed.ndjson, and
# only those (plus the people that recovered movies name and the mirror lacks), loads what
# comes back, and appends it to the stage files. IDs that fail again are listed again.
# Safe to interrupt and re-run: a list being retried is kept until its results are loaded.
set -eu
: "${DATA:?}" "${DB:?}" "${RATE:?}" "${CONCURRENCY:?}" "${RETRIES:?}"
bin=target/release
fetch="$bin/tmdb-fetch --rate $RATE --concurrency $CONCURRENCY --retries $RETRIES"
load="$bin/ndjson-load --db $DB"
ids="$bin/ndjson-ids --db $DB"

for stage in movies people; do
    [ -f "$DATA/$stage.ndjson" ] || {
        echo "refetch-failed: $DATA/$stage.ndjson is not finished; run make mirror first" >&2
        exit 2
    }
done

# retry STAGE [EXTRA_IDS_FILE]: fetch the stage's failed IDs (and extra IDs) once more.
retry() {
    stage=$1
    failed=$DATA/$stage.failed.ndjson
    pending=$DATA/$stage.retry.ndjson
    recovered=$DATA/$stage.recovered.ndjson
    appends=${APPEND:-}
    if [ "$stage" = people ]; then appends=${PEOPLE_APPEND:-}; fi
    # An interrupted earlier retry left its list behind: retry it together with any new one.
    touch "$failed" "$pending"
    $ids list "$pending" "$failed" ${2:-} > "$pending.new"
    mv "$pending.new" "$pending"
    rm -f "$failed"
    if [ ! -s "$pending" ]; then
        echo "refetch-failed: no $stage to retry"
        rm -f "$pending" "$recovered"
        return 0
    fi
    echo "refetch-failed: retrying $(grep -c '' "$pending") $stage"
    $fetch "$stage" ${appends:+--append "$appends"} --skip "$recovered" \
        --skip "$DATA/$stage.gone.ndjson" --gone "$DATA/$stage.gone.ndjson" --failed "$failed" \
        --out "$recovered" "$pending" || [ $? -eq 1 ]
    touch "$recovered" "$DATA/$stage.gone.ndjson"
    $load --kind "$stage" --rejects "$DATA/$stage.rejects.ndjson" "$recovered" || [ $? -eq 1 ]
    $load --kind gone "$DATA/$stage.gone.ndjson"
    cat "$recovered" >> "$DATA/$stage.ndjson"
    rm -f "$recovered" "$pending"
}

retry movies
# People named by the recovered movies that the mirror does not hold yet.
$ids minus db:credited db:people db:gone-people > "$DATA/people.new.ndjson"
retry people "$DATA/people.new.ndjson"
rm -f "$DATA/people.new.ndjson"

# The stage files grew and were loaded: bring stage 4's list and the stamps in line, in
# pipeline order, so that `make mirror` has nothing left to redo.
touch "$DATA/.stamps/movies.loaded"
$ids minus db:credited db:gone-people > "$DATA/person_ids.ndjson"
touch "$DATA/people.ndjson" "$DATA/.stamps/people.loaded"
scripts/summary.sh "$DATA" "$DB"
