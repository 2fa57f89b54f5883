#!/usr/bin/env bash
# Writing into datasets whose partial edge chunks are stored unfiltered (libhdf5's
# H5D_CHUNK_DONT_FILTER_PARTIAL_CHUNKS; gen_files.py writes edge_raw_latest.h5 with it): h5kit must
# store edge chunks raw and the others filtered, and re-encode chunks whose edge status changes
# when the dataset grows or shrinks. For each dataset and each plan of steps (edge_driver.c, one
# commit per step), h5py (libhdf5) must read back exactly the values numpy computes from the
# original and the steps, h5dump must read the file without error, and every stored chunk must
# be raw (its size is the chunk's raw size) exactly when it is a partial edge chunk.
#   bash tests/interop/test_edge_chunks.sh H5KIT WORKDIR
set -u
. "$(dirname "$0")/lib.sh"
lib_setup "$@" edge_chunks
command -v h5dump >/dev/null 2>&1 || die "h5dump not found (install hdf5-tools: bash scripts/deps.sh)"
compile_driver edge_driver

gen="$(dirname "$WORK")/generated"
ensure_generated "$gen"
SRC=$gen/edge_raw_latest.h5
[ -f "$SRC" ] || die "gen_files.py did not write edge_raw_latest.h5 (see $gen/.gen.log)"

# dataset | steps (separated by ';')
PLANS="edge_gzip|set 9 9 999
edge_gzip|resize 12 10;set 11 0 -5
edge_gzip|resize 6 10
edge_gzip|resize 6 10;resize 13 10;set 12 9 77
edge_shuffle_gzip|set 6 12 4242;set 0 0 1
edge_shuffle_gzip|resize 9 15;set 8 14 31
edge_shuffle_gzip|resize 3 5;resize 7 13"

while IFS='|' read -r dset steps; do
  label="$dset: $steps"
  cp "$SRC" "$TMPD/f.h5"
  IFS=';' read -r -a argv <<<"$steps"
  if ! "$DRV" "$TMPD/f.h5" "$dset" "${argv[@]}" >"$TMPD/drv.out" 2>&1; then
    fail "$label" "edge_driver: $(head -c 300 "$TMPD/drv.out")"
    continue
  fi
  if ! h5dump "$TMPD/f.h5" >/dev/null 2>"$TMPD/dump.err" || [ -s "$TMPD/dump.err" ]; then
    fail "$label" "h5dump: $(head -c 300 "$TMPD/dump.err")"
    continue
  fi
  if "$PY" - "$SRC" "$TMPD/f.h5" "$dset" "$steps" >"$TMPD/chk.out" 2>&1 <<'PYEOF'
import sys, h5py, numpy as np
src, out, name, steps = sys.argv[1:]
with h5py.File(src, "r") as f:
    want = f[name][...]
    fill = f[name].fillvalue
for st in steps.split(";"):
    w = st.split()
    if w[0] == "set":
        want[int(w[1]), int(w[2])] = int(w[3])
    else:
        d0, d1 = int(w[1]), int(w[2])
        grown = np.full((d0, d1), fill, dtype=want.dtype)
        a, b = min(d0, want.shape[0]), min(d1, want.shape[1])
        grown[:a, :b] = want[:a, :b]
        want = grown
with h5py.File(out, "r") as f:
    ds = f[name]
    got = ds[...]
    if got.shape != want.shape or not np.array_equal(got, want):
        print("values differ: got shape %s, want %s" % (got.shape, want.shape))
        sys.exit(1)
    raw = int(np.prod(ds.chunks)) * ds.dtype.itemsize
    for i in range(ds.id.get_num_chunks()):
        c = ds.id.get_chunk_info(i)
        edge = any(o + n > d for o, n, d in zip(c.chunk_offset, ds.chunks, ds.shape))
        if edge != (c.size == raw):
            print("chunk at %s: %d bytes stored, raw size %d, %s chunk" % (c.chunk_offset, c.size, raw,
                                                                           "edge" if edge else "inner"))
            sys.exit(1)
PYEOF
  then
    pass
  else
    fail "$label" "$(head -c 400 "$TMPD/chk.out")"
  fi
done <<<"$PLANS"
finish
