#!/usr/bin/env bash
# Chunk indexes built by h5kit, read by the reference library.
#   bash tests/interop/test_chunk_index_build.sh H5KIT WORKDIR
# The unit-test program test_chunk_index_build (built beside H5KIT, in tests/) is run with
# `--e2e DIR`: it writes h5py files with datasets of every buildable index kind (v1 B-tree,
# fixed array, extensible array, v2 B-tree; filtered or not; one leaf or several levels, paged
# blocks, super blocks) and, for each dataset, a copy of the file whose dataset points at an
# index h5kit built and appended at the end of the file (old index destroyed). Its own checks
# (bytes against libhdf5's, our reader) count as one result; then chunk_index_build_check.py
# compares every patched dataset with the original through h5py and h5dump.
set -u
. "$(dirname "$0")/lib.sh"
lib_setup "$@" chunk_index_build

PROG=$(dirname "$H5KIT")/tests/test_chunk_index_build
[ -x "$PROG" ] || die "no $PROG (build the unit tests)"
command -v h5dump >/dev/null 2>&1 || die "h5dump not found"
"$PY" -c 'import h5py' 2>/dev/null || die "h5py not importable by $PY"

E2E=$WORK/e2e
rm -rf "$E2E"
mkdir -p "$E2E" || die "cannot create $E2E"
if timeout -k 5 300 "$PROG" --e2e "$E2E" >"$TMPD/unit.out" 2>&1; then
  pass
else
  fail "test_chunk_index_build --e2e" "$(tail -5 "$TMPD/unit.out")"
fi
"$PY" "$HERE/chunk_index_build_check.py" "$E2E" >"$TMPD/check.out" 2>&1
grep '^FAIL' "$TMPD/check.out" | head -"$MAX_DETAILS"
last=$(tail -1 "$TMPD/check.out")
case $last in
  *" passed, "*" failed")
    PASSED=$((PASSED + ${last%% passed*}))
    n=${last#*passed, }
    FAILED=$((FAILED + ${n%% failed*}))
    ;;
  *) fail "chunk_index_build_check.py" "$(tail -3 "$TMPD/check.out")" ;;
esac
finish
