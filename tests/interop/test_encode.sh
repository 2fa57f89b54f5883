#!/usr/bin/env bash
# Encoders against libhdf5: runs the test_encode unit executable (built next to h5kit), which
# re-encodes every message / object header / superblock of files h5py writes and compares bytes,
# and assembles whole files from the encoders that h5py and h5dump then read and extend.
# Usage (ctest): bash test_encode.sh H5KIT WORKDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lib_setup "$@" encode
BIN=$(dirname "$H5KIT")/tests/test_encode
[ -x "$BIN" ] || die "no test_encode executable at $BIN"
if (cd "$TMPD" && timeout -k 5 600 "$BIN" >"$TMPD/out" 2>&1); then
  pass
else
  fail "test_encode" "unit executable failed"
  tail -20 "$TMPD/out"
fi
grep -q "^ok$" "$TMPD/out" && pass || fail "test_encode" "h5py did not read the assembled files"
finish
