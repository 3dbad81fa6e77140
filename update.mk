# Keeping a finished mirror current: `make update` and `make refetch-failed`. Included by the
# Makefile, whose variables it uses. Every step is a file target that appears only when it is
# complete, so an interrupted run, run again, goes on from where it stopped.

# ---- make update -------------------------------------------------------------------------
# What TMDB changed since $(STAMPS)/synced (its change lists, every 14-day window, every page),
# the movies of TODAY's export the mirror lacks, and the mirrored movies the export no longer
# lists (a 404 confirms the deletion) are refetched and loaded, what is gone deleted; then the
# people the refetched movies newly credit. The day's checkpoints live in $(UPDATE); the sync
# stamp moves to TODAY only when nothing failed, and never backwards (docs/architecture.md,
# "Updating").
UPDATE := $(DATA)/update/$(TODAY)

# The summary counts this run's loads (a re-run counts what it redid), from load_log: start
# holds the number of the last load before them.
update: $(UPDATE)/start $(UPDATE)/people.done
	$(LOAD) --report-after $$(cat $(UPDATE)/start) | sed 's/^/update: loaded /'
	echo "update: gone: $$(grep -c '' $(UPDATE)/movies.gone.ndjson || true) movies," \
	    "$$(grep -c '' $(UPDATE)/people.gone.ndjson || true) people; failed:" \
	    "$$(grep -c '' $(UPDATE)/movies.failed.ndjson || true) movies," \
	    "$$(grep -c '' $(UPDATE)/people.failed.ndjson || true) people;" \
	    "$$(( $$(date +%s) - $$(stat -c %Y $(UPDATE)/start) ))s"
	since=$$(cat $(STAMPS)/synced 2>/dev/null || true); \
	if [ ! -f $(UPDATE)/movies.done ] || [ ! -f $(UPDATE)/people.done ]; then \
	    echo "update: some IDs still fail (listed in $(UPDATE)/*.failed.ndjson); the sync" \
	        "stamp stays at $${since:-none}: run \`make update\` again to retry them" >&2; \
	    exit 1; \
	fi; \
	if ! [[ $$since =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$$ ]] || [[ $(TODAY) > $$since ]]; then \
	    echo $(TODAY) > $(STAMPS)/synced.part; \
	    mv $(STAMPS)/synced.part $(STAMPS)/synced; \
	fi
	rm -rf $(DATA)/update/last
	mv $(UPDATE) $(DATA)/update/last
	echo "update: mirror synced to $$(cat $(STAMPS)/synced) (what it fetched is kept in" \
	    "$(DATA)/update/last until the next update)"

# Every run starts here: the mirror must be finished, and an update of an earlier day that
# never finished is superseded (its IDs are still changed since the stamp, so today's change
# lists name them again).
$(UPDATE)/start: FORCE | build
	if [ ! -f $(STAMPS)/people.loaded ]; then \
	    echo "update: $(DATA) holds no finished mirror; run \`make mirror\` first" >&2; \
	    exit 2; \
	fi
	mkdir -p $(DATA)/update
	find $(DATA)/update -mindepth 1 -maxdepth 1 -type d ! -name $(TODAY) ! -name last \
	    -exec rm -rf {} +
	mkdir -p $(UPDATE)
	$(LOAD) --last-run > $@.part
	mv $@.part $@

# How this update finds what changed: `changes SINCE`, TMDB's change lists from the sync stamp;
# or `export`, TODAY's export compared with the mirror only, when the lists cannot answer for
# the stamp (none, unreadable, before change tracking began on 2012-10-05, or after TODAY).
$(UPDATE)/mode: | $(UPDATE)/start
	since=$$(cat $(STAMPS)/synced 2>/dev/null || true); \
	date='^[0-9]{4}-[0-9]{2}-[0-9]{2}$$'; \
	if [[ $$since =~ $$date ]] && [[ ! $$since < 2012-10-05 ]] && [[ ! $$since > $(TODAY) ]]; then \
	    echo "update: changes from $$since to $(TODAY)"; \
	    echo "changes $$since" > $@.part; \
	elif [[ $$since =~ $$date ]] && [[ $$since > $(TODAY) ]]; then \
	    echo "update: the mirror is synced to $$since, after TODAY=$(TODAY): comparing that" \
	        "day's export with the mirror only; the sync stamp stays at $$since" >&2; \
	    echo export > $@.part; \
	else \
	    echo "update: no usable sync stamp in $(STAMPS)/synced (\"$$since\"): comparing" \
	        "today's export with the mirror only; records changed in place cannot be found" \
	        "this way (run \`make update\` again after this one: it will use the change lists)" >&2; \
	    echo export > $@.part; \
	fi
	mv $@.part $@

$(UPDATE)/movie_changes.ndjson: $(UPDATE)/mode | build
	read -r mode since < $<; \
	if [ "$$mode" = changes ]; then \
	    $(FETCH) changes --kind movie --since "$$since" --until $(TODAY) > $@.part; \
	else \
	    : > $@.part; \
	fi
	mv $@.part $@

# Adult people stay in a mirror whose movies credit them: their changes count too.
$(UPDATE)/person_changes.ndjson: $(UPDATE)/mode | build
	read -r mode since < $<; \
	if [ "$$mode" = changes ]; then \
	    $(FETCH) changes --kind person --since "$$since" --until $(TODAY) --include-adult > $@.part; \
	else \
	    : > $@.part; \
	fi
	mv $@.part $@

$(UPDATE)/movie_ids.ndjson: | build $(UPDATE)/start
	$(FETCH) ids --source export --date $(TODAY) > $@.part
	mv $@.part $@

# Movies to refetch: changed, new in the export, or no longer in it. A LIMIT mirror (a quick
# try) refreshes what it holds and adds nothing.
$(UPDATE)/movie_candidates.ndjson: $(UPDATE)/movie_changes.ndjson $(UPDATE)/movie_ids.ndjson | build
	if [ -n "$$(cat $(STAMPS)/limit 2>/dev/null || true)" ]; then \
	    echo "update: a LIMIT mirror: refreshing its own movies only"; \
	    $(IDS) common $< db:movies > $(UPDATE)/changed.tmp; \
	    : > $(UPDATE)/new.tmp; \
	else \
	    $(IDS) list $< > $(UPDATE)/changed.tmp; \
	    $(IDS) minus $(word 2,$^) db:movies db:gone-movies > $(UPDATE)/new.tmp; \
	fi
	$(IDS) minus db:movies $(word 2,$^) > $(UPDATE)/left.tmp
	echo "update: movies: $$(grep -c '' $(UPDATE)/changed.tmp || true) changed," \
	    "$$(grep -c '' $(UPDATE)/new.tmp || true) new in the export," \
	    "$$(grep -c '' $(UPDATE)/left.tmp || true) no longer in the export"
	$(IDS) list $(UPDATE)/changed.tmp $(UPDATE)/new.tmp $(UPDATE)/left.tmp > $@.part
	rm $(UPDATE)/changed.tmp $(UPDATE)/new.tmp $(UPDATE)/left.tmp
	mv $@.part $@

# People to refetch: the changed ones the mirror holds, and everyone the loaded credits name
# that the mirror lacks (newly credited, or missing since an earlier failure).
$(UPDATE)/person_candidates.ndjson: $(UPDATE)/person_changes.ndjson $(UPDATE)/movies.done | build
	$(IDS) common $< db:people > $(UPDATE)/changed.tmp
	$(IDS) minus db:credited db:people db:gone-people > $(UPDATE)/new.tmp
	echo "update: people: $$(grep -c '' $(UPDATE)/changed.tmp || true) changed," \
	    "$$(grep -c '' $(UPDATE)/new.tmp || true) newly credited"
	$(IDS) list $(UPDATE)/changed.tmp $(UPDATE)/new.tmp > $@.part
	rm $(UPDATE)/changed.tmp $(UPDATE)/new.tmp
	mv $@.part $@

# Each kind is fetched into KIND.ndjson.part (a re-run skips the records there and the IDs
# known gone, and retries the IDs that failed), then loaded, what is gone deleted, and TODAY's
# ID list loaded with the movies. KIND.done appears only when no ID failed: until then every
# run retries the failures, and the stamp stays.
$(UPDATE)/movies.done: STAGE_APPEND = $(MOVIE_APPEND_ARG)
$(UPDATE)/movies.done: CANDIDATES = $(UPDATE)/movie_candidates.ndjson
$(UPDATE)/movies.done: $(UPDATE)/movie_candidates.ndjson $(UPDATE)/movie_ids.ndjson
$(UPDATE)/people.done: STAGE_APPEND = $(PEOPLE_APPEND_ARG)
$(UPDATE)/people.done: CANDIDATES = $(UPDATE)/person_candidates.ndjson
$(UPDATE)/people.done: $(UPDATE)/person_candidates.ndjson
$(UPDATE)/%.done: | build
	touch $(UPDATE)/$*.gone.ndjson
	rm -f $(UPDATE)/$*.failed.ndjson
	$(FETCH) $* $(STAGE_APPEND) --skip $(UPDATE)/$*.ndjson.part --skip $(UPDATE)/$*.gone.ndjson \
	    --gone $(UPDATE)/$*.gone.ndjson --failed $(UPDATE)/$*.failed.ndjson \
	    --out $(UPDATE)/$*.ndjson.part $(CANDIDATES) $(PARTIAL_OK)
	touch $(UPDATE)/$*.ndjson.part $(UPDATE)/$*.failed.ndjson
	$(LOAD) --kind $* --rejects $(UPDATE)/$*.rejects.ndjson $(UPDATE)/$*.ndjson.part $(PARTIAL_OK)
	$(LOAD) --kind gone $(UPDATE)/$*.gone.ndjson
	$(if $(filter movies,$*),$(LOAD) --kind movie-ids $(UPDATE)/movie_ids.ndjson)
	if [ ! -s $(UPDATE)/$*.failed.ndjson ]; then touch $@; fi

# ---- make refetch-failed -----------------------------------------------------------------
# Retries the IDs stages 3 and 5 listed as failed, and only those, less the ones the mirror
# holds by now (so a list a retry by hand left behind costs nothing and duplicates nothing),
# plus the people that recovered movies name and the mirror lacks. What comes back is appended
# to STAGE.recovered.ndjson (each record once: the fetch skips what the file holds) and loaded
# from there; the stage files and their stamps stay as the stages left them. IDs that fail
# again are listed again in STAGE.failed.ndjson.
refetch-failed: $(STAMPS)/people.recovered.loaded
	scripts/summary.sh $(DATA)

# A round's list, made anew by every run.
$(DATA)/movies.retry.ndjson: FORCE | build
	if [ ! -f $(STAMPS)/people.loaded ]; then \
	    echo "refetch-failed: $(DATA) holds no finished mirror; run \`make mirror\` first" >&2; \
	    exit 2; \
	fi
	touch $(DATA)/movies.failed.ndjson
	$(IDS) minus $(DATA)/movies.failed.ndjson db:movies db:gone-movies > $@.part
	mv $@.part $@
	echo "refetch-failed: retrying $$(grep -c '' $@ || true) movies"

$(DATA)/people.retry.ndjson: $(STAMPS)/movies.recovered.loaded FORCE | build
	touch $(DATA)/people.failed.ndjson
	$(IDS) list $(DATA)/people.failed.ndjson db:credited \
	    | $(IDS) minus - db:people db:gone-people > $@.part
	mv $@.part $@
	echo "refetch-failed: retrying $$(grep -c '' $@ || true) people"

# The failed list is replaced only once the round is over: a kill leaves the old one.
$(DATA)/movies.recovered.ndjson: STAGE_APPEND = $(MOVIE_APPEND_ARG)
$(DATA)/people.recovered.ndjson: STAGE_APPEND = $(PEOPLE_APPEND_ARG)
$(DATA)/%.recovered.ndjson: $(DATA)/%.retry.ndjson | build
	rm -f $(DATA)/$*.failed.ndjson.new
	$(FETCH) $* $(STAGE_APPEND) --skip $@ --skip $(DATA)/$*.gone.ndjson \
	    --gone $(DATA)/$*.gone.ndjson --failed $(DATA)/$*.failed.ndjson.new --out $@ $< \
	    $(PARTIAL_OK)
	touch $@ $(DATA)/$*.gone.ndjson $(DATA)/$*.failed.ndjson.new
	mv $(DATA)/$*.failed.ndjson.new $(DATA)/$*.failed.ndjson

$(STAMPS)/%.recovered.loaded: $(DATA)/%.recovered.ndjson
	$(LOAD) --kind $* --since-last-load --rejects $(DATA)/$*.recovered.rejects.ndjson $< \
	    $(PARTIAL_OK)
	$(LOAD) --kind gone $(DATA)/$*.gone.ndjson
	touch $@
