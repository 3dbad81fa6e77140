# tmdb-mirror. See README.md. Targets that are files live under $(DATA); verbs are .PHONY.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:
.SUFFIXES:
MAKEFLAGS += --warn-undefined-variables --no-builtin-rules

DATA ?= data

CARGO := cargo
BIN   := target/release

.PHONY: build test clean

# Cargo decides what is stale; data targets depend on this order-only, so a rebuilt binary
# never forces a refetch.
build:
	$(CARGO) build --release --locked

# Release builds: the tests drive real binaries over large simulated catalogs.
test:
	$(CARGO) test --release --locked --workspace

# Outputs and stamps only; never sources, sql/ or the data folder itself.
clean:
	find $(DATA) -mindepth 1 -maxdepth 1 ! -name .gitkeep -exec rm -rf {} +
