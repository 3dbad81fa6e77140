# Sourced by the recipe shells of `make mirror`, its stages, `make update` and `make
# refetch-failed` (the Makefile sets BASH_ENV to this file for them), so that Ctrl-C ends with
# what to do next rather than a bare make error: every stage keeps what it fetched, and the
# same command resumes from there.
trap 'echo "make: interrupted; what was fetched is kept: run the same make command again to resume" >&2; exit 130' INT TERM
# Only the recipe's own shell says it: bash scripts it runs must not say it again.
unset BASH_ENV
