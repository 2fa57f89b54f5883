#!/usr/bin/env bash
# `h5kit get` and `h5kit chunks` against h5py/numpy (reading through libhdf5) as the oracle.
#   bash tests/interop/test_get.sh H5KIT WORKDIR
# gen_get_cases.py writes the files (every numeric type in both byte orders; compact, contiguous
# and chunked layouts with every chunk index; unlimited and resized extents, partial edge chunks,
# unallocated chunks with fill values; gzip, shuffle, lzf, fletcher32, scaleoffset, LZ4,
# bitshuffle, Blosc; the (1494, 60, 47) tutorial slice) and the expected values, and adds every
# numeric dataset of the jhdf corpus. For each case:
#   raw   `h5kit get F#P [--slice S] -o -` is byte-identical to
#         ds[S].astype(ds.dtype.newbyteorder('<')).tobytes()
#   npy   `--format npy -o X.npy` loads with numpy.load with the same dtype, shape and bytes
#   csv   `--format csv` parses back to the same values (rows: all dims but the last)
# chunks: `h5kit chunks F#P` lists the same (offset, byte offset, size, filter mask) set as
# h5py's get_chunk_info, after the header line. Then error cases: one stderr line, exit 1.
set -u
. "$(dirname "$0")/lib.sh"
lib_setup "$@" get

DATA=$WORK/data
CORPUS=${CORPUS:-$(cd "$HERE/../../../shared/corpus/jhdf" 2>/dev/null && pwd)} || die "corpus not found beside the repository (../shared/corpus/jhdf)"
if [ ! -f "$DATA/.stamp" ] || [ "$HERE/gen_get_cases.py" -nt "$DATA/.stamp" ]; then
  rm -rf "$DATA"
  mkdir -p "$DATA"
  "$PY" "$HERE/gen_get_cases.py" "$DATA" "$CORPUS" 2>"$DATA/.gen.log" || { cat "$DATA/.gen.log" >&2; die "gen_get_cases.py failed"; }
  touch "$DATA/.stamp"
fi

# check_run LABEL: common failure modes of the last run_ours (status in RC).
check_run() {
  if sanitizer_report "$TMPD/our.err"; then
    fail "$1" "sanitizer report"
    details_ok && grep -m 3 -E 'ERROR:|runtime error:' "$TMPD/our.err" | sed 's/^/    /'
  elif [ $RC -eq 124 ] || [ $RC -eq 137 ]; then
    fail "$1" "timed out after ${CMD_TIMEOUT}s"
  elif [ $RC -ge 128 ]; then
    fail "$1" "killed by signal $((RC - 128))"
  elif [ $RC -ne 0 ]; then
    fail "$1" "exit status $RC: $(head -c 300 "$TMPD/our.err")"
  else
    return 0
  fi
  return 1
}

cd "$DATA" || die "no $DATA"
mkdir -p "$TMPD/npy" "$TMPD/csv"
: >"$TMPD/batch.tsv"
while IFS=$'\t' read -r id file path spec formats; do
  [ "$spec" = - ] && spec=
  args=("$file#$path")
  [ -n "$spec" ] && args+=(--slice "$spec")
  label="get $file#$path${spec:+ --slice '$spec'}"
  run_ours "$TMPD/our" get "${args[@]}" -o -
  if check_run "$label"; then
    if cmp -s "$TMPD/our.out" "exp/$id.bin"; then
      pass
    else
      fail "$label" "bytes differ from numpy ($(stat -c %s "$TMPD/our.out") vs $(stat -c %s "exp/$id.bin") bytes)"
    fi
  fi
  case ",$formats," in *,npy,*)
    run_ours "$TMPD/our" get "${args[@]}" --format npy -o "$TMPD/npy/$id.npy"
    check_run "$label --format npy" && printf 'npy\t%s\t%s\n' "$id" "$label" >>"$TMPD/batch.tsv" ;;
  esac
  case ",$formats," in *,csv,*)
    run_ours "$TMPD/csv/$id" get "${args[@]}" --format csv
    RCSV=$RC
    cp "$TMPD/csv/$id.err" "$TMPD/our.err"
    RC=$RCSV
    check_run "$label --format csv" && printf 'csv\t%s\t%s\n' "$id" "$label" >>"$TMPD/batch.tsv" ;;
  esac
done <cases.tsv

# numpy.load / CSV checks, in one Python process
"$PY" - "$TMPD" "$DATA/exp" <"$TMPD/batch.tsv" >"$TMPD/batch.out" 2>&1 <<'EOF' || echo "FAIL	batch	checker crashed" >>"$TMPD/batch.out"
import sys, numpy as np
tmpd, exp = sys.argv[1], sys.argv[2]
for line in open(0).read().splitlines():
    kind, cid, label = line.split("\t", 2)
    want = np.load(f"{exp}/{cid}.npy")
    try:
        if kind == "npy":
            got = np.load(f"{tmpd}/npy/{cid}.npy")
            ok = got.dtype == want.dtype and got.shape == want.shape and got.tobytes() == want.tobytes()
            why = f"loaded {got.dtype}{got.shape}, numpy has {want.dtype}{want.shape}"
        else:
            text = open(f"{tmpd}/csv/{cid}.out").read()
            rows = [r.split(",") for r in text.splitlines()]
            cols = want.shape[-1] if want.ndim else 1
            nrows = want.size // cols if cols else 0
            vals = [float(x) if want.dtype.kind == "f" else int(x) for r in rows for x in r]
            got = np.array(vals, dtype=want.dtype.newbyteorder("=")) if vals else np.zeros(0, want.dtype)
            shape_ok = len(rows) == nrows and all(len(r) == cols for r in rows)
            w = want.reshape(-1).astype(want.dtype.newbyteorder("="))
            same = got.shape == w.shape and (np.array_equal(got, w, equal_nan=True) if want.dtype.kind == "f"
                                             else np.array_equal(got, w))
            if same and want.dtype.kind == "f":  # signed zeros too
                same = np.array_equal(np.signbit(got), np.signbit(w))
            ok = shape_ok and same
            why = f"{len(rows)} rows (want {nrows} x {cols}) or values differ"
    except Exception as e:
        ok, why = False, f"{type(e).__name__}: {e}"
    print("PASS" if ok else f"FAIL\t{label} --format {kind}\t{why}")
EOF
while IFS=$'\t' read -r verdict label why; do
  if [ "$verdict" = PASS ]; then pass; else fail "$label" "$why"; fi
done <"$TMPD/batch.out"

# h5kit chunks against get_chunk_info
while IFS=$'\t' read -r id file path; do
  label="chunks $file#$path"
  run_ours "$TMPD/our" chunks "$file#$path"
  if check_run "$label"; then
    if [ "$(head -n 1 "$TMPD/our.out")" != "$(printf 'offset\taddress\tsize\tfilter_mask')" ]; then
      fail "$label" "header line is '$(head -n 1 "$TMPD/our.out")'"
    elif tail -n +2 "$TMPD/our.out" | LC_ALL=C sort | cmp -s - <(LC_ALL=C sort "exp/chunks_$id.txt"); then
      pass
    else
      fail "$label" "chunk list differs from h5py's get_chunk_info (< h5py, > h5kit)"
      details_ok && diff <(LC_ALL=C sort "exp/chunks_$id.txt") <(tail -n +2 "$TMPD/our.out" | LC_ALL=C sort) | head -6
    fi
  fi
done <chunks.tsv

# --threads gives the same bytes
for n in 1 2 5; do
  run_ours "$TMPD/our" get "filters.h5#gzip/le_u2" --threads $n
  if check_run "get --threads $n"; then
    id=$(awk -F'\t' '$2 == "filters.h5" && $3 == "gzip/le_u2" && $4 == "-" { print $1; exit }' cases.tsv)
    if cmp -s "$TMPD/our.out" "exp/$id.bin"; then pass; else fail "get --threads $n" "bytes differ"; fi
  fi
done

# errors: exit 1, nothing on stdout, one line on stderr starting "h5kit get: " / "h5kit chunks: "
expect_error() {
  local label="$*"
  run_ours "$TMPD/our" "$@"
  if [ $RC -ne 1 ]; then
    fail "$label" "exit status $RC, expected 1"
  elif [ -s "$TMPD/our.out" ]; then
    fail "$label" "stdout not empty"
  elif [ "$(line_count "$TMPD/our.err")" -ne 1 ] || ! grep -q "^h5kit $1: " "$TMPD/our.err"; then
    fail "$label" "stderr is not one 'h5kit $1: ...' line: $(head -c 200 "$TMPD/our.err")"
  else
    pass
  fi
}
expect_error get
expect_error get types_latest.h5
expect_error get "types_latest.h5#nosuch"
expect_error get "nofile.h5#x"
expect_error get "types_latest.h5#contig"
expect_error get "types_latest.h5#contig/le_i4" --slice "::-1"
expect_error get "types_latest.h5#contig/le_i4" --slice "::0"
expect_error get "types_latest.h5#contig/le_i4" --slice "1,2,3"
expect_error get "types_latest.h5#contig/le_i4" --slice "7"
expect_error get "types_latest.h5#contig/le_i4" --slice "-8"
expect_error get "types_latest.h5#contig/le_i4" --slice "a:b"
expect_error get "types_latest.h5#contig/le_i4" --slice "1:2:3:4"
expect_error get "types_latest.h5#contig/le_i4" --format xml
expect_error get "types_latest.h5#str" --format csv
expect_error get "types_latest.h5#contig/le_i4" --threads x
expect_error get "types_latest.h5#contig/le_i4" --bogus
expect_error get "types_latest.h5#contig/le_i4" -o /nonexistent/dir/out.bin
expect_error get "types_latest.h5#scalar" --slice 0
expect_error chunks "types_latest.h5#contig/le_i4"
expect_error chunks "types_latest.h5#nosuch"
expect_error chunks
# the output file is written with -o and matches stdout
run_ours "$TMPD/our" get "tutorial.h5#entry/data/data" --slice "::500, 10:12, :3" -o "$TMPD/t.bin"
if check_run "get -o FILE"; then
  id=$(awk -F'\t' '$2 == "tutorial.h5" && $3 == "entry/data/data" { print $1; exit }' cases.tsv)
  if [ -s "$TMPD/our.out" ]; then fail "get -o FILE" "wrote to stdout too"
  elif cmp -s "$TMPD/t.bin" "exp/$id.bin"; then pass; else fail "get -o FILE" "file bytes differ"; fi
fi

finish
