#!/usr/bin/env bash
# `h5kit repack` conformance (issue 4): every file of the shared corpus (../shared/corpus/jhdf/)
# and every file tests/interop/gen_files.py writes is repacked twice, `h5kit repack IN OUT` and
# `h5kit repack --latest IN OUT`, with OUT beside IN (the files are copied into one scratch
# directory first, so relative external links and external raw data files resolve). A case
# passes when:
#   - repack exits 0 with no sanitizer report;
#   - `h5dump OUT` prints what `h5dump IN` prints, except the first line (the file name) and the
#     object addresses inside reference values (GROUP/DATASET/DATATYPE <addr> "path" is masked),
#     exits 0 and prints nothing on stderr;
#   - h5py opens OUT, sees the same object names and reads every dataset and attribute it can
#     read in IN with the same shape, dtype and values (repack_check.py).
# Files h5dump itself cannot read are skipped (counted). isssue-523.hdf5 is compared with
# `h5dump -H` plus h5py's values (its full h5dump takes minutes); tiny_huge_1d_over_maxint.hdf5
# is left out unless REPACK_HUGE=1 (repacking its 2 GiB of values takes over a minute per
# profile; with REPACK_HUGE=1 it gets the same -H + h5py treatment).
#
# Then --filter variants on a few files (deflate=4, shuffle,deflate=4, bslz4, lz4, zstd=3,
# none): h5dump output (without -p, so no STORAGE/FILTERS lines) must still equal the original's,
# h5py must read the same values, and every dataset --filter applies to must carry exactly the
# asked filters (h5py's creation property list). And one --chunks variant: the chunk shape must
# be the one asked (capped to the maximum dimensions, as repack does).
#
# Known gaps are listed in EXPECTED below with their reason: such a case counts as an expected
# failure; the test FAILS if one of them passes (remove it from the list then) or if any case
# not listed fails. The closing lines are "repack: N identical, M expected failures" and lib.sh's
# "N passed, M failed".
#   bash tests/interop/test_repack.sh H5KIT WORKDIR
set -u
. "$(dirname "$0")/lib.sh"
lib_setup "$@" repack
command -v h5dump >/dev/null 2>&1 || die "h5dump not found (install hdf5-tools: bash scripts/deps.sh)"
# h5dump decodes the filters --filter writes (bitshuffle, LZ4, zstd) with the plugins the
# hdf5-tools install finds by itself (HDF5_PLUGIN_PATH is left as the caller set it).

# ---- known gaps: "FILE PROFILE[ VARIANT]<TAB>reason" ------------------------------------------------
# PROFILE is compat or latest; the key is matched exactly against the case's label.
EXPECTED=$(cat <<'EOF'
EOF
)
expected_reason() { # LABEL -> reason on stdout, status 0 if listed
  local key=$1 line
  while IFS= read -r line; do
    [ "${line%%$'\t'*}" = "$key" ] && { echo "${line#*$'\t'}"; return 0; }
  done <<<"$EXPECTED"
  return 1
}

# ---- the files -------------------------------------------------------------------------------------
D=$TMPD/files
copy_test_files "$D"
# Header-only comparison (plus h5py's values) for files whose full h5dump takes minutes.
HEADER_ONLY=" isssue-523.hdf5 tiny_huge_1d_over_maxint.hdf5 "
SKIP_UNLESS_HUGE=" tiny_huge_1d_over_maxint.hdf5 "

# dump_masked NAME OUT ERR [ARGS...]: h5dump [ARGS] NAME run in $D, first line dropped and
# addresses inside reference values masked, into OUT; stderr into ERR; exit status in DRC.
dump_masked() {
  local name=$1 out=$2 err=$3
  shift 3
  (cd "$D" && { timeout -k 5 "$CMD_TIMEOUT" h5dump "$@" "$name" 2>"$err" </dev/null; } 2>/dev/null) >"$out.raw"
  DRC=$?
  # h5dump names a committed datatype that no link reaches by its address ("#1234"): an address too
  tail -n +2 "$out.raw" | sed -E -e 's/\b(GROUP|DATASET|DATATYPE) [0-9]+ "/\1 ADDR "/g' -e 's/"(\/?)#[0-9]+"/"\1#ADDR"/g' >"$out"
}

# Per case (label): state "ok" or the reason it failed; the h5py cases go to $PYLIST.
declare -A STATE OUTOF
LABELS=()
PYLIST=$TMPD/pylist
: >"$PYLIST"
nskip=0

# repack_case LABEL NAME OUTNAME HEADER_ONLY(0/1) FILTER_IDS CHUNKS REPACK_OPTS...
# Repack $D/NAME to $D/OUTNAME and compare the dumps; queue the h5py check.
repack_case() {
  local label=$1 name=$2 outname=$3 hdr=$4 fids=$5 chunks=$6
  shift 6
  local dargs=()
  [ "$hdr" = 1 ] && dargs=(-H)
  LABELS+=("$label")
  OUTOF[$label]=$outname
  local rrc
  pushd "$D" >/dev/null || return
  run_ours "$TMPD/rp" repack "$@" "$name" "$outname"
  rrc=$RC
  popd >/dev/null || return
  if sanitizer_report "$TMPD/rp.err"; then
    STATE[$label]="sanitizer report: $(grep -m 1 -E 'ERROR:|runtime error:' "$TMPD/rp.err")"
    return
  elif [ "$rrc" -ne 0 ]; then
    STATE[$label]="repack exit $rrc: $(head -c 300 "$TMPD/rp.err" | tr '\n' ' ')"
    return
  fi
  dump_masked "$outname" "$TMPD/new.txt" "$TMPD/new.err" "${dargs[@]}"
  if [ "$DRC" -ne 0 ] || [ -s "$TMPD/new.err" ]; then
    STATE[$label]="h5dump of the output: exit $DRC, stderr: $(head -c 200 "$TMPD/new.err" | tr '\n' ' ')"
  elif ! cmp -s "$TMPD/orig.txt" "$TMPD/new.txt"; then
    STATE[$label]="h5dump output differs (< original, > repacked): $(diff "$TMPD/orig.txt" "$TMPD/new.txt" | head -6 | tr '\n' ' ' | head -c 400)"
  else
    STATE[$label]=ok
  fi
  printf '%s\t%s\t%s\t%s\n' "$D/$name" "$D/$outname" "$fids" "$chunks" >>"$PYLIST"
}

# orig_dump NAME HDR: the original's masked dump into $TMPD/orig.txt; false when h5dump fails.
orig_dump() {
  local args=()
  [ "$2" = 1 ] && args=(-H)
  dump_masked "$1" "$TMPD/orig.txt" "$TMPD/orig.err" "${args[@]}"
  [ "$DRC" -eq 0 ]
}

# ---- every file, both profiles ---------------------------------------------------------------------
while IFS= read -r -d '' path; do
  name=$(basename "$path")
  case $name in rp_*) continue ;; esac
  hdr=0
  case $HEADER_ONLY in *" $name "*) hdr=1 ;; esac
  case $SKIP_UNLESS_HUGE in *" $name "*) [ "${REPACK_HUGE:-0}" = 1 ] || { nskip=$((nskip + 1)); continue; } ;; esac
  if ! orig_dump "$name" "$hdr"; then
    nskip=$((nskip + 1)) # h5dump cannot read the original either
    continue
  fi
  repack_case "$name compat" "$name" "rp_c_$name" "$hdr" - -
  repack_case "$name latest" "$name" "rp_l_$name" "$hdr" - - --latest
done < <(find "$D" -maxdepth 1 -type f -print0 | sort -z)

# ---- --filter and --chunks variants ---------------------------------------------------------------
# SPEC<TAB>filter ids h5py must report
FILTER_SPECS=$(printf '%s\n' "deflate=4	1" "shuffle,deflate=4	2,1" "bslz4	32008" "lz4	32004" "zstd=3	32015" "none	")
# FILE PROFILE
FILTER_FILES=$(printf '%s\n' "datasets_earliest.h5 compat" "datasets_latest.h5 latest" \
  "test_vlen_datasets_latest.hdf5 compat" "compound_datasets_earliest.hdf5 latest")
# Without a zstd plugin for libhdf5, the zstd outputs are compared with h5dump -H and their
# values checked by repack_check.py through raw chunk reads and the zstd command.
zstd_hdr=1
"$PY" -c 'import sys, h5py, hdf5plugin; sys.exit(0 if h5py.h5z.filter_avail(32015) else 1)' 2>/dev/null && zstd_hdr=0
vn=0
while read -r name profile; do
  [ -f "$D/$name" ] || continue
  popt=()
  [ "$profile" = latest ] && popt=(--latest)
  while IFS=$'\t' read -r spec ids; do
    vn=$((vn + 1))
    hdr=0
    [ "$spec" = zstd=3 ] && hdr=$zstd_hdr
    orig_dump "$name" $hdr || continue
    repack_case "$name $profile --filter $spec" "$name" "rp_f${vn}_$name" $hdr "$ids" - "${popt[@]}" --filter "$spec"
  done <<<"$FILTER_SPECS"
done <<<"$FILTER_FILES"
if [ -f "$D/datasets_latest.h5" ] && orig_dump datasets_latest.h5 0; then
  repack_case "datasets_latest.h5 compat --chunks 3x5" datasets_latest.h5 rp_k1_datasets_latest.h5 0 - 3x5 --chunks 3x5
  repack_case "datasets_latest.h5 latest --chunks 2x2x3" datasets_latest.h5 rp_k2_datasets_latest.h5 0 - 2x2x3 --latest --chunks 2x2x3
fi

# ---- h5py, all outputs in one process --------------------------------------------------------------
timeout -k 5 600 "$PY" "$HERE/repack_check.py" "$PYLIST" >"$TMPD/py.out" 2>"$TMPD/py.err" ||
  die "repack_check.py failed: $(tail -3 "$TMPD/py.err")"
declare -A PYRES
while IFS=$'\t' read -r st out reason; do
  PYRES[$(basename "$out")]=${reason:-$st}
  [ "$st" = OK ] && PYRES[$(basename "$out")]=ok
done <"$TMPD/py.out"

# ---- verdicts --------------------------------------------------------------------------------------
nsame=0
nexp=0
for label in "${LABELS[@]}"; do
  st=${STATE[$label]}
  out=${OUTOF[$label]}
  if [ "$st" = ok ]; then
    st=${PYRES[$out]:-"h5py check did not report"}
    [ "$st" = ok ] || st="h5py: $st"
  fi
  if reason=$(expected_reason "$label"); then
    if [ "$st" = ok ]; then
      fail "$label" "listed as an expected failure ($reason) but passes now: remove it from EXPECTED"
    else
      nexp=$((nexp + 1))
      pass
    fi
  elif [ "$st" = ok ]; then
    nsame=$((nsame + 1))
    pass
  else
    fail "$label" "$st"
  fi
done
# Every EXPECTED entry must name a case that ran (a stale entry is a failure too).
while IFS= read -r line; do
  key=${line%%$'\t'*}
  [ -n "$key" ] || continue
  [ -n "${STATE[$key]+x}" ] || {
    case $SKIP_UNLESS_HUGE in *" ${key%% *} "*) continue ;; esac
    [ -n "$CORPUS" ] || continue
    fail "$key" "listed in EXPECTED but no such case ran"
  }
done <<<"$EXPECTED"
echo "repack: $nsame identical, $nexp expected failures ($nskip files skipped: h5dump cannot read them, or huge)"
finish
