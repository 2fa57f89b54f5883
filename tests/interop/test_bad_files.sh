#!/usr/bin/env bash
# `h5kit ls -r` on hostile input: truncated and byte-flipped variants of generated and corpus
# files (fixed seed, so every run sees the same ~400 variants), a non-HDF5 file, a directory and a
# missing file. Each run gets `timeout 10`.
# A variant fails when h5kit crashes (exit >= 128 or a sanitizer report on stderr), hangs, or —
# when `h5ls -r` rejects the file (exit != 0) — does not exit 1 with exactly one line on stderr.
# When h5ls accepts a variant, identical outputs are counted and differences shown, not failed.
#   bash tests/interop/test_bad_files.sh H5KIT WORKDIR
set -u
. "$(dirname "$0")/lib.sh"
lib_setup "$@" bad_files
CMD_TIMEOUT=10
SEED=${BAD_FILES_SEED:-20240601}
NFLIPS=${BAD_FILES_FLIPS:-300}

gen="$(dirname "$WORK")/generated"
ensure_generated "$gen"
corpus="$HERE/../../../shared/corpus/jhdf"

bases=()
for n in nested_earliest nested_latest datasets_earliest datasets_latest links_latest \
         hard_links_earliest committed_types_latest creation_order_latest userblock512_earliest \
         shared_messages_latest attributes_earliest; do
  [ -f "$gen/$n.h5" ] && bases+=("$gen/$n.h5")
done
for n in test_ordered_group_latest test_medium_group_earliest superblock-extension \
         committed_datatypes test_userblock_latest hdf_v14_test1 \
         test_attribute_with_creation_order test_compact_datasets_latest; do
  [ -f "$corpus/$n.hdf5" ] && bases+=("$corpus/$n.hdf5")
done
[ ${#bases[@]} -gt 0 ] || die "no base files found"

variants="$WORK/variants"
rm -rf "$variants"
mkdir -p "$variants"
"$PY" - "$variants" "$SEED" "$NFLIPS" "${bases[@]}" <<'PYEOF' || die "making variants failed"
import os, random, sys

outdir, seed, nflips, bases = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
rng = random.Random(seed)
images = [(os.path.splitext(os.path.basename(b))[0], open(b, "rb").read()) for b in bases]

def put(name, data):
    with open(os.path.join(outdir, name), "wb") as f:
        f.write(data)

for stem, data in images:
    n = len(data)
    for cut in sorted({0, 7, 8, 100, n // 2, n - 1}):
        if cut < n:
            put("%s.trunc%d" % (stem, cut), data[:cut])

for i in range(nflips):
    stem, data = images[i % len(images)]
    buf = bytearray(data)
    n = len(buf)
    # Half the damage lands in the first 4 KiB, where the superblock and most metadata live.
    where = lambda: rng.randrange(min(n, 4096)) if rng.random() < 0.5 else rng.randrange(n)
    kind = rng.choice(("byte", "bit", "ones", "zeros", "multi"))
    if kind == "byte":
        buf[where()] = rng.randrange(256)
    elif kind == "bit":
        buf[where()] ^= 1 << rng.randrange(8)
    elif kind == "ones":            # an address or length become "undefined" / huge
        p = where()
        buf[p:p + 8] = b"\xff" * len(buf[p:p + 8])
    elif kind == "zeros":
        p, k = where(), rng.randrange(1, 33)
        buf[p:p + k] = bytes(len(buf[p:p + k]))
    else:
        for _ in range(rng.randrange(2, 9)):
            buf[where()] = rng.randrange(256)
    put("%s.flip%03d_%s" % (stem, i, kind), bytes(buf))

put("not_hdf5.txt", b"this is not an HDF5 file\n" * 40)
put("signature_only.h5", b"\x89HDF\r\n\x1a\n")
put("zeros_4k.h5", bytes(4096))
put("signature_then_garbage.h5", b"\x89HDF\r\n\x1a\n" + bytes(rng.randrange(256) for _ in range(2000)))
PYEOF
mkdir -p "$variants/a_directory.h5"

inputs=()
while IFS= read -r -d '' v; do inputs+=("$v"); done < <(find "$variants" -mindepth 1 -maxdepth 1 -print0 | sort -z)
inputs+=("$variants/missing_file.h5")

accepted=0
identical=0
shown=0
for v in "${inputs[@]}"; do
  run_ref "$TMPD/ref" -r "$v"
  rrc=$RC
  run_ours "$TMPD/our" ls -r "$v"
  orc=$RC
  label="h5kit ls -r $(basename "$v")"
  [ $rrc -eq 0 ] && accepted=$((accepted + 1))
  if sanitizer_report "$TMPD/our.err"; then
    fail "$label" "sanitizer report"
    details_ok && grep -m 3 -E 'ERROR:|runtime error:|SUMMARY' "$TMPD/our.err" | sed 's/^/    /'
  elif [ $orc -eq 124 ] || [ $orc -eq 137 ]; then
    fail "$label" "hang: killed after ${CMD_TIMEOUT}s"
  elif [ $orc -ge 128 ]; then
    fail "$label" "crash: killed by signal $((orc - 128))"
  elif [ $rrc -ne 0 ]; then
    if [ $orc -ne 1 ]; then
      fail "$label" "h5ls rejects it (exit $rrc) but h5kit exits $orc, expected 1"
    elif [ "$(line_count "$TMPD/our.err")" -ne 1 ]; then
      fail "$label" "h5ls rejects it; h5kit's stderr has $(line_count "$TMPD/our.err") lines, expected 1"
      details_ok && head -3 "$TMPD/our.err" | sed 's/^/    /'
    else
      pass
    fi
  else
    pass
    if [ $orc -eq 0 ] && cmp -s "$TMPD/ref.out" "$TMPD/our.out"; then
      identical=$((identical + 1))
    else
      shown=$((shown + 1))
      if [ $shown -le 10 ]; then
        echo "note: $label: h5ls accepts it (exit 0), h5kit exits $orc with different output"
        diff "$TMPD/ref.out" "$TMPD/our.out" | head -4 | sed 's/^/    /'
        head -1 "$TMPD/our.err" | sed 's/^/    /'
      fi
    fi
  fi
done
echo "${#inputs[@]} hostile inputs from ${#bases[@]} files; h5ls accepted $accepted," \
     "h5kit's output identical on $identical of them"
finish
