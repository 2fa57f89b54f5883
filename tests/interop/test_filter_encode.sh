#!/usr/bin/env bash
# The write side of the filters against libhdf5: h5kit encodes chunks (deflate, shuffle,
# fletcher32, szip, LZF, n-bit, scale-offset, LZ4, bitshuffle, blosc, zstd) with the cd values
# h5k_filter_prepare computes; filter_encode_check.py creates the same datasets with h5py +
# hdf5plugin, checks libhdf5 stored the same cd values, writes our chunks with
# write_direct_chunk, reads them back through libhdf5 and compares the data (and, where the
# writers are deterministic, the chunk bytes with libhdf5's own). Cases whose filter libhdf5
# cannot run here (no plugin) are skipped with the reason.
#   bash tests/interop/test_filter_encode.sh H5KIT WORKDIR
set -u
. "$(dirname "$0")/lib.sh"
lib_setup "$@" filter_encode

# The unit test program writes the chunks: it is built beside the CLI, under tests/.
EMITTER=$(dirname "$H5KIT")/tests/test_filter_encode
[ -x "$EMITTER" ] || die "no test_filter_encode next to $H5KIT (build the unit tests)"
"$PY" -c 'import h5py' 2>/dev/null || die "h5py is not available to $PY"
"$PY" -c 'import hdf5plugin' 2>/dev/null || echo "note: hdf5plugin missing; plugin filters will be skipped"

OUT=$TMPD/emit
mkdir -p "$OUT"
"$EMITTER" --emit "$OUT" || die "test_filter_encode --emit failed"
"$PY" "$HERE/filter_encode_check.py" "$OUT" >"$TMPD/check.out" 2>"$TMPD/check.err"
while read -r verdict name rest; do
  case $verdict in
    PASS) pass ;;
    SKIP) echo "skip: $name: $rest" ;;
    *) fail "$name" "$rest" ;;
  esac
done <"$TMPD/check.out"
if [ -s "$TMPD/check.err" ]; then fail "filter_encode_check.py" "$(head -5 "$TMPD/check.err")"; fi
[ $((PASSED + FAILED)) -gt 0 ] || fail "filter_encode_check.py" "no cases ran"
finish
