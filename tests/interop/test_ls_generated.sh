#!/usr/bin/env bash
# `h5kit ls` against `h5ls` on the files tests/interop/gen_files.py writes (both libver="earliest"
# and libver="latest"): `ls -r F`, `ls F`, and `ls F/P` for the groups (up to 30 per file) and some
# datasets, links and named types that `h5ls -r F` lists, plus a path that does not exist.
# Stdout must be byte-identical and the exit status equal.
#   bash tests/interop/test_ls_generated.sh H5KIT WORKDIR
set -u
. "$(dirname "$0")/lib.sh"
lib_setup "$@" ls_generated

gen="$(dirname "$WORK")/generated"
ensure_generated "$gen"

nfiles=0
for f in "$gen"/*.h5; do
  [ -f "$f" ] || continue
  nfiles=$((nfiles + 1))
  compare_file "$f"
done
[ $nfiles -gt 0 ] || die "gen_files.py wrote no files into $gen"
echo "$nfiles files compared"
finish
