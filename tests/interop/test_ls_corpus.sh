#!/usr/bin/env bash
# `h5kit ls` against `h5ls` on every file of the shared corpus (files written by other software),
# found beside the repository at ../shared/corpus/jhdf. For files h5ls reads: the same comparisons
# as test_ls_generated.sh. For files `h5ls -r` rejects: `h5kit ls -r` must exit 1 and print
# exactly one line on stderr, naming the file.
#   bash tests/interop/test_ls_corpus.sh H5KIT WORKDIR
set -u
. "$(dirname "$0")/lib.sh"
lib_setup "$@" ls_corpus

corpus=$(cd "$(dirname "$0")/../../../shared/corpus/jhdf" 2>/dev/null && pwd) ||
  die "corpus not found at $(dirname "$0")/../../../shared/corpus/jhdf (CI clones the repository with shared/ beside it)"

nfiles=0
nrejected=0
while IFS= read -r -d '' f; do
  nfiles=$((nfiles + 1))
  run_ref "$TMPD/ref" -r "$f"
  if [ $RC -eq 0 ]; then
    compare_file "$f"
    continue
  fi
  nrejected=$((nrejected + 1))
  run_ours "$TMPD/our" ls -r "$f"
  label="h5kit ls -r $f (h5ls rejects it: $(head -c 200 "$TMPD/ref.err" | head -1))"
  if sanitizer_report "$TMPD/our.err"; then
    fail "$label" "sanitizer report"
    details_ok && grep -m 3 -E 'ERROR:|runtime error:' "$TMPD/our.err" | sed 's/^/    /'
  elif [ $RC -ne 1 ]; then
    fail "$label" "exit status $RC, expected 1"
  elif [ "$(line_count "$TMPD/our.err")" -ne 1 ]; then
    fail "$label" "stderr has $(line_count "$TMPD/our.err") lines, expected 1"
    details_ok && head -5 "$TMPD/our.err" | sed 's/^/    /'
  elif ! grep -q -F -- "$(basename "$f")" "$TMPD/our.err"; then
    fail "$label" "the error line does not name the file"
    details_ok && sed 's/^/    /' "$TMPD/our.err"
  else
    pass
  fi
done < <(find "$corpus" -type f -print0 | sort -z)
[ $nfiles -gt 0 ] || die "no files in $corpus"
echo "$nfiles corpus files, $nrejected rejected by h5ls"
finish
