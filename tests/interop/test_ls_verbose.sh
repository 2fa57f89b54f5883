#!/usr/bin/env bash
# `h5kit ls -v` against `h5ls -v` (1.10.8), run live as the oracle: `ls -v -r F`, `ls -v F`, and
# `ls -v F/P` for some groups, datasets, links and named types of every file h5ls reads in the jhdf
# corpus and of the files gen_files.py and gen_get_cases.py write (every numeric type, layouts,
# chunk indexes, filters, fill values), plus several files in one call (the "Location: N:ADDR"
# file number counts the files opened). Stdout must be byte-identical and the exit status equal.
#   bash tests/interop/test_ls_verbose.sh H5KIT WORKDIR
set -u
. "$(dirname "$0")/lib.sh"
lib_setup "$@" ls_verbose
MAX_GROUPS=${MAX_GROUPS:-6}
MAX_OTHERS=${MAX_OTHERS:-4}
export TZ=${TZ:-UTC}

# compare_verbose FILE: -v -r, -v, and -v on some paths inside.
compare_verbose() {
  local f=$1 rec kind path ng=0 no=0
  compare_ls -v -r "$f"
  compare_ls -v "$f"
  list_paths "$f" "$TMPD/paths"
  while IFS= read -r -d '' rec; do
    kind=${rec%%$'\t'*}
    path=${rec#*$'\t'}
    case $kind in
      group) ng=$((ng + 1)); [ $ng -le "$MAX_GROUPS" ] || continue ;;
      *) no=$((no + 1)); [ $no -le "$MAX_OTHERS" ] || continue ;;
    esac
    compare_ls -v "$f$path"
  done <"$TMPD/paths"
}

corpus=${CORPUS:-$(cd "$HERE/../../../shared/corpus/jhdf" 2>/dev/null && pwd)}
gen="$(dirname "$WORK")/generated"
ensure_generated "$gen"
getdata=$WORK/get-data
if [ ! -f "$getdata/.stamp" ] || [ "$HERE/gen_get_cases.py" -nt "$getdata/.stamp" ]; then
  rm -rf "$getdata"
  mkdir -p "$getdata"
  "$PY" "$HERE/gen_get_cases.py" "$getdata" 2>"$getdata/.gen.log" || die "gen_get_cases.py failed"
  touch "$getdata/.stamp"
fi

nfiles=0
files=()
for f in "$gen"/*.h5 "$getdata"/*.h5 ${corpus:+"$corpus"/*}; do
  [ -f "$f" ] || continue
  # h5ls must read the file (and in bounded time: some corpus files make it print gigabytes)
  { timeout -k 2 20 h5ls -v -r "$f" 2>/dev/null | head -c 50000000 >/dev/null; } 2>/dev/null
  [ "${PIPESTATUS[0]}" = 0 ] || continue
  nfiles=$((nfiles + 1))
  files+=("$f")
  compare_verbose "$f"
done
[ $nfiles -gt 0 ] || die "no files to compare"
# several files in one call: file numbers 1, 2, 3
if [ ${#files[@]} -ge 2 ]; then
  compare_ls -v "${files[0]}" "${files[1]}" "${files[0]}"
  compare_ls -v -r "${files[1]}" "${files[0]}"
fi
echo "$nfiles files compared"
finish
