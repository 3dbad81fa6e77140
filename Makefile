# tmdb-mirror: a local copy of TMDB's movie catalog in five stages. Every stage is a file
# under $(DATA) that appears only when complete; loads end in stamps under $(DATA)/.stamps.
# `make -n mirror` reads as the pipeline's documentation. See README.md "The pipeline".
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:
.SUFFIXES:
# One fetcher at a time: the rate limit is per process, two fetch stages at once would
# double the request rate.
.NOTPARALLEL:
MAKEFLAGS += --warn-undefined-variables --no-builtin-rules

# ---- configuration ---------------------------------------------------------------------
DATA        ?= data
# DB_URL is the name the old project used; DB wins when both are given.
DB_URL      ?=
# Every recipe gets DB in its environment (below), so a make run by a recipe (make demo's make
# mirror into DATA/demo) finds it there: when the outer make only defaulted it, it is not the
# user's choice, and the default follows this make's DATA.
TMDB_MIRROR_DEFAULTED_DB ?=
ifeq ($(origin DB),environment)
ifeq ($(DB),$(TMDB_MIRROR_DEFAULTED_DB))
DB := $(or $(DB_URL),$(DATA)/tmdb.db)
endif
endif
DB          ?= $(or $(DB_URL),$(DATA)/tmdb.db)
ifeq ($(origin DB),file)
export TMDB_MIRROR_DEFAULTED_DB := $(DB)
endif
# Requests per second and requests in flight; TMDB allows about 50/s and 20 connections.
RATE        ?= 40
CONCURRENCY ?= 20
# Attempts after the first for a request that fails (429, 5xx, timeouts, dropped connections).
RETRIES     ?= 8
# Where stage 2 finds movie IDs: export (TMDB's daily file, one request) or discover.
IDS_SOURCE  ?= export
FROM_YEAR   ?= 1874
TO_YEAR     ?= $(shell date -u +%Y)
# Mirror only the N most popular movies of the ID list (a quick try); empty for all.
LIMIT       ?=
# The sub-resources fetched with each movie and person in the same request (tmdb-fetch
# --append); empty for tmdb-fetch's default (everything the mirror keeps), e.g.
# APPEND=credits for details and credits only, or none.
APPEND        ?=
PEOPLE_APPEND ?=
# The date taken as today (UTC): the export file to read, the end of change windows.
TODAY       ?= $(shell date -u +%F)
# make export: the file format, csv, parquet or ndjson (tmdb-export --format).
FORMAT      ?= csv
# make demo: serve the mirror when it is built (0 to stop after the mirror, as tests do).
SERVE       ?= 1
ADDR        ?= 127.0.0.1:8000
# 0: use the binaries in target/release without running cargo first.
BUILD       ?= 1
# make install copies the binaries into $(PREFIX)/bin.
PREFIX      ?= $(HOME)/.local
# make test first installs what the tests need (scripts/test-deps.list); 0 skips that.
DEPS        ?= 1

# ---- derived ---------------------------------------------------------------------------
CARGO  := cargo
BIN    := target/release
STAMPS := $(DATA)/.stamps
FETCH  := $(BIN)/tmdb-fetch --rate $(RATE) --concurrency $(CONCURRENCY) --retries $(RETRIES)
# The tools read the database from DB in their environment, never from a command line make
# echoes: a PostgreSQL URL may carry a password.
LOAD   := $(BIN)/ndjson-load
IDS    := $(BIN)/ndjson-ids
# --append only when asked for: an empty variable keeps tmdb-fetch's default.
MOVIE_APPEND_ARG  := $(if $(APPEND),--append '$(APPEND)')
PEOPLE_APPEND_ARG := $(if $(PEOPLE_APPEND),--append '$(PEOPLE_APPEND)')
LIMIT_ARG         := $(if $(LIMIT),--limit $(LIMIT))
# A tool's exit status 1 means "finished, some items failed or were rejected": they are
# listed in $(DATA)/*.failed.ndjson or *.rejects.ndjson and must not stop the pipeline.
PARTIAL_OK := || [ $$? -eq 1 ]

ifeq ($(IDS_SOURCE),export)
IDS_ARGS := ids --source export --date $(TODAY)
else ifeq ($(IDS_SOURCE),discover)
IDS_ARGS := ids --source discover --from-year $(FROM_YEAR) --to-year $(TO_YEAR)
else
$(error IDS_SOURCE must be export or discover, not "$(IDS_SOURCE)")
endif

.PHONY: all mirror build genres movie-ids movies people credits refetch-failed summary \
        serve demo export update test test-deps bench clean install

all: mirror

# The mirror is as fresh as its ID list: `make update` asks for the changes since that date.
# An update moves the stamp on; a later `make mirror` never moves it back.
mirror: $(STAMPS)/people.loaded $(STAMPS)/ids_date
	if [ ! -f $(STAMPS)/synced ] || [[ "$$(cat $(STAMPS)/ids_date)" > "$$(cat $(STAMPS)/synced)" ]]; then \
	    cp $(STAMPS)/ids_date $(STAMPS)/synced; \
	fi
	scripts/summary.sh $(DATA)

# Ctrl-C in any stage, an update or a refetch says that the same command resumes
# (scripts/resume-hint.sh).
mirror genres movie-ids movies credits people update refetch-failed: export BASH_ENV := $(CURDIR)/scripts/resume-hint.sh

genres:    $(STAMPS)/genres.loaded
movie-ids: $(STAMPS)/movie_ids.loaded
movies:    $(STAMPS)/movies.loaded
credits:   $(DATA)/person_ids.ndjson
people:    $(STAMPS)/people.loaded

# Cargo decides what is stale; data targets depend on this order-only, so a rebuilt binary
# never forces a refetch. BUILD=0 takes the binaries already in target/release as they are
# (the tests do: `cargo test` built them, and a nested cargo would rebuild them under them).
build:
ifeq ($(BUILD),1)
	$(CARGO) build --release --locked
endif

$(DATA) $(STAMPS):
	mkdir -p $@

# Stage 1: genres, from /genre/movie/list. Small: fetched whole, then moved into place.
$(DATA)/genres.ndjson: | build $(DATA)
	$(FETCH) genres > $@.part
	mv $@.part $@

$(STAMPS)/genres.loaded: $(DATA)/genres.ndjson | $(STAMPS)
	$(LOAD) --kind genres $<
	touch $@

# Stage 2: every movie ID, from the daily export (default) or from discover. The date of the
# list is kept beside it, made by the same recipe: `make update` later asks for the changes
# since then.
$(DATA)/movie_ids.ndjson $(STAMPS)/ids_date &: | build $(DATA) $(STAMPS)
	$(FETCH) $(IDS_ARGS) > $(DATA)/movie_ids.ndjson.part
	echo $(TODAY) > $(STAMPS)/ids_date
	mv $(DATA)/movie_ids.ndjson.part $(DATA)/movie_ids.ndjson

$(STAMPS)/movie_ids.loaded: $(DATA)/movie_ids.ndjson $(STAMPS)/genres.loaded
	$(LOAD) --kind movie-ids $<
	touch $@

# Stage 3: each movie with its sub-resources (APPEND), one request per movie, the most popular
# first (LIMIT: only the N most popular). The .part file is the checkpoint: a re-run skips what
# it holds and what is known gone, and appends the rest.
# A finished file is moved back to .part first, so a longer LIMIT, a longer ID list or a longer
# APPEND list resumes from it instead of starting over (a record fetched without an append
# asked for now is fetched again; the later line wins in the load). IDs still failing are in
# movies.failed.ndjson.
$(DATA)/movies.ndjson: $(STAMPS)/movie_ids.loaded $(STAMPS)/limit $(STAMPS)/append | build
	if [ -f $@ ]; then mv $@ $@.part; fi
	rm -f $(DATA)/movies.failed.ndjson
	$(FETCH) movies $(MOVIE_APPEND_ARG) $(LIMIT_ARG) \
	    --skip $@.part --skip $(DATA)/movies.recovered.ndjson --skip $(DATA)/movies.gone.ndjson \
	    --gone $(DATA)/movies.gone.ndjson --failed $(DATA)/movies.failed.ndjson \
	    --out $@.part $(DATA)/movie_ids.ndjson $(PARTIAL_OK)
	mv $@.part $@

# The load takes only the lines the mirror has not loaded yet (--since-last-load): loading the
# whole file again would put its older copies back over what `make update` refreshed since.
$(STAMPS)/movies.loaded: $(DATA)/movies.ndjson
	$(LOAD) --kind movies --since-last-load --rejects $(DATA)/movies.rejects.ndjson $< $(PARTIAL_OK)
	touch $(DATA)/movies.gone.ndjson
	$(LOAD) --kind gone $(DATA)/movies.gone.ndjson
	touch $@

# Stage 4: the credits came with the movies and are loaded; the people they name (less the
# ones TMDB no longer has) are stage 5's list.
$(DATA)/person_ids.ndjson: $(STAMPS)/movies.loaded | build
	$(IDS) minus db:credited db:gone-people > $@.part
	mv $@.part $@

# Stage 5: each person with its sub-resources (PEOPLE_APPEND), one request per person, the
# most popular first (the credits' popularity, which ndjson-ids passes on); resumes and
# upgrades like stage 3.
$(DATA)/people.ndjson: $(DATA)/person_ids.ndjson $(STAMPS)/people_append | build
	if [ -f $@ ]; then mv $@ $@.part; fi
	rm -f $(DATA)/people.failed.ndjson
	$(FETCH) people $(PEOPLE_APPEND_ARG) \
	    --skip $@.part --skip $(DATA)/people.recovered.ndjson --skip $(DATA)/people.gone.ndjson \
	    --gone $(DATA)/people.gone.ndjson --failed $(DATA)/people.failed.ndjson \
	    --out $@.part $< $(PARTIAL_OK)
	mv $@.part $@

$(STAMPS)/people.loaded: $(DATA)/people.ndjson
	$(LOAD) --kind people --since-last-load --rejects $(DATA)/people.rejects.ndjson $< $(PARTIAL_OK)
	touch $(DATA)/people.gone.ndjson
	$(LOAD) --kind gone $(DATA)/people.gone.ndjson
	touch $@

# LIMIT, APPEND and PEOPLE_APPEND are part of stage 3's and 5's recipes: each stamp is
# rewritten only when its variable changes, so that a new value reruns the stage (which
# resumes) and an unchanged one does not.
$(STAMPS)/limit:         STAMPED = $(LIMIT)
$(STAMPS)/append:        STAMPED = $(APPEND)
$(STAMPS)/people_append: STAMPED = $(PEOPLE_APPEND)
$(STAMPS)/limit $(STAMPS)/append $(STAMPS)/people_append: FORCE | $(STAMPS)
	if [ ! -f $@ ] || [ "$$(cat $@)" != '$(STAMPED)' ]; then echo '$(STAMPED)' > $@; fi

.PHONY: FORCE
FORCE:

# make update (refresh a finished mirror) and make refetch-failed (retry the IDs that failed):
# their steps are file targets too, in update.mk.
include update.mk

# One file per table in $(DATA)/export: CSV for spreadsheets, Parquet for DuckDB, pandas,
# Polars and Spark, NDJSON for jq (FORMAT). Each file appears only when complete.
export: | build
	$(BIN)/tmdb-export --format $(FORMAT) --out $(DATA)/export

# What the mirror holds, and what it lacks.
summary: | build
	scripts/summary.sh $(DATA)

# Every recipe finds the database in its environment, not on the command line make echoes: a
# URL may carry a password. (DB's origin is read first: inside serve and clean it is this
# file's.)
DB_ORIGIN := $(origin DB)
export DB
serve clean: export DB := $(DB)

# With no mirror of its own (DB not given, $(DB) absent) it serves the demo's, saying so:
# `make demo` then `make serve` is the README's first walk.
serve: | build
	db=$$DB; \
	if [ ! -e "$$db" ] && [ "$(DB_ORIGIN)" = file ] && [ -z "$${DB_URL:-}" ] \
	    && [ -e $(DATA)/demo/tmdb.db ]; then \
	    echo "make serve: no mirror at $$db; serving the demo's, $(DATA)/demo/tmdb.db" \
	        "(make serve DATA=$(DATA)/demo)" >&2; \
	    db=$(DATA)/demo/tmdb.db; \
	elif [ ! -e "$$db" ] && [[ "$$db" != *:* ]]; then \
	    echo "make serve: no mirror at $$db: build one with \`make mirror\` (needs TMDB_TOKEN)," \
	        "or \`make demo\` (offline) and then \`make serve DATA=$(DATA)/demo\`" >&2; \
	    exit 2; \
	fi; \
	export DB="$$db"; exec $(BIN)/tmdb-serve --addr $(ADDR)

# The whole pipeline offline, against the bundled simulator, in $(DATA)/demo; then serve it.
demo: | build
	scripts/demo.sh $(DATA)/demo $(SERVE) $(ADDR)

# The binaries of Cargo.toml's [[bin]] sections, copied into $(PREFIX)/bin (on PATH, the
# README's tool examples run as written). Each is copied beside its target and renamed over
# it, so a running tmdb-serve keeps its old file.
BINARIES := $(shell awk -F'"' '/^\[\[bin\]\]/ {bin = 1; next} /^\[/ {bin = 0} bin && /^name/ {print $$2}' Cargo.toml)
install: | build
	mkdir -p $(PREFIX)/bin
	for b in $(BINARIES); do \
	    cp $(BIN)/$$b $(PREFIX)/bin/.$$b.new && mv -f $(PREFIX)/bin/.$$b.new $(PREFIX)/bin/$$b; \
	done
	echo "make install: $(BINARIES) in $(PREFIX)/bin"
	case ":$$PATH:" in *":$(PREFIX)/bin:"*) ;; \
	    *) echo "make install: $(PREFIX)/bin is not on your PATH; add it:" \
	           "export PATH=\"$(PREFIX)/bin:\$$PATH\"" ;; esac

# Release builds: the tests drive real binaries over large simulated catalogs. What they need
# beyond Rust (make, gcc, Chromium, jq...) is installed first when missing: DEPS=0 skips that.
test: test-deps
	$(CARGO) test --release --locked --workspace

test-deps:
ifeq ($(DEPS),1)
	scripts/test-deps.sh
endif

bench: | build
	scripts/bench.sh

# The files the pipeline writes, by name, and nothing else; DATA must be a mirror folder
# (it holds .stamps/), never / or $HOME. See scripts/clean.sh.
clean:
	scripts/clean.sh '$(DATA)'
