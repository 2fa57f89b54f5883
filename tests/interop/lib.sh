# Shared helpers for the interop test scripts (sourced, not run).
#
# Every script is called by ctest as   bash test_X.sh H5KIT WORKDIR
# and ends with the line "N passed, M failed" (exit 1 if anything failed). The oracle is always
# the reference h5ls run live on the same file; no expected output is stored.
#
# After lib_setup:  H5KIT (absolute path of the binary under test), WORK (this script's own
# scratch directory under WORKDIR), TMPD (a temporary directory removed on exit), HERE (the
# directory of the scripts), REPO (the repository root), PY (/usr/bin/python3).

PY=/usr/bin/python3
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
PASSED=0
FAILED=0
DETAILS_SHOWN=0
MAX_DETAILS=${MAX_DETAILS:-40}   # print the diff of at most this many failures
CMD_TIMEOUT=${CMD_TIMEOUT:-60}

die() {
  echo "$(basename "$0"): $*" >&2
  echo "0 passed, 1 failed"
  exit 1
}

# lib_setup H5KIT WORKDIR NAME: check the arguments and the tools, make WORK=WORKDIR/NAME.
lib_setup() {
  [ $# -eq 3 ] || die "usage: $(basename "$0") H5KIT WORKDIR"
  case $1 in
    */*) H5KIT=$(cd "$(dirname "$1")" 2>/dev/null && pwd)/$(basename "$1") ;;
    *) H5KIT=$(command -v "$1" || true) ;;
  esac
  [ -n "$H5KIT" ] && [ -x "$H5KIT" ] && [ ! -d "$H5KIT" ] || die "no executable h5kit at '$1'"
  command -v h5ls >/dev/null 2>&1 || die "h5ls not found (install hdf5-tools: bash scripts/deps.sh)"
  mkdir -p "$2/$3" || die "cannot create $2/$3"
  WORK=$(cd "$2/$3" && pwd)
  TMPD=$(mktemp -d "$WORK/tmp.XXXXXX") || die "mktemp failed"
  trap 'rm -rf "$TMPD"' EXIT
}

# ensure_generated DIR: run gen_files.py into DIR unless it is already there and newer than the
# generator. Serialised with flock, since several test scripts may share DIR under ctest -j.
ensure_generated() {
  local dir=$1
  mkdir -p "$(dirname "$dir")"
  (
    if command -v flock >/dev/null 2>&1; then flock 9; fi
    if [ ! -f "$dir/.stamp" ] || [ "$HERE/gen_files.py" -nt "$dir/.stamp" ]; then
      rm -rf "$dir"
      mkdir -p "$dir"
      "$PY" "$HERE/gen_files.py" "$dir" 2>"$dir/.gen.log" || { cat "$dir/.gen.log" >&2; exit 1; }
      touch "$dir/.stamp"
    fi
  ) 9>"$dir.lock" || die "gen_files.py failed"
}

# compile_driver NAME: build tests/interop/NAME.c, a test driver using the public API, against the
# static library beside H5KIT (with the private libraries h5kit.pc lists, and ASan/UBSan when the
# library was built with them) into DRV=$TMPD/NAME.
compile_driver() {
  local build lib libs san=
  build=$(dirname "$H5KIT")
  lib=$build/libh5kit.a
  [ -f "$lib" ] || die "no $lib"
  libs=$(sed -n 's/^Libs.private: *//p' "$build/h5kit.pc" 2>/dev/null)
  [ -n "$libs" ] || libs="-lpthread -ldeflate -llz4 -lzstd -lblosc -llzf -lsz -laec -lm"
  nm "$lib" 2>/dev/null | grep -q __asan_ && san="-fsanitize=address,undefined"
  DRV=$TMPD/$1
  ${CC:-cc} -std=c11 -D_POSIX_C_SOURCE=200809L -O1 -g -Wall -Wextra -Wshadow -Wmissing-prototypes $san \
    -I"$REPO/include" \
    "$HERE/$1.c" "$lib" $libs -lm -o "$DRV" 2>"$TMPD/cc.err" ||
    { cat "$TMPD/cc.err" >&2; die "cannot compile $1.c"; }
}

# copy_test_files DIR: writable copies of every file gen_files.py writes (generated beside WORK)
# and of the shared corpus (../shared/corpus/jhdf, or $CORPUS) in DIR, for tests that change them.
# Sets CORPUS to the corpus directory, or to "" when there is none.
copy_test_files() {
  local gen
  gen="$(dirname "$WORK")/generated"
  ensure_generated "$gen"
  mkdir -p "$1"
  cp "$gen"/*.h5 "$1"/ || die "gen_files.py wrote no files into $gen"
  CORPUS=${CORPUS:-$(cd "$HERE/../../../shared/corpus/jhdf" 2>/dev/null && pwd)}
  if [ -n "$CORPUS" ] && [ -d "$CORPUS" ]; then
    cp "$CORPUS"/* "$1"/
  else
    CORPUS=
    echo "corpus not found beside the repository: generated files only"
  fi
  chmod -R u+w "$1"
}

pass() { PASSED=$((PASSED + 1)); }

# fail LABEL REASON [DIFF_CMD...]: count a failure and, for the first MAX_DETAILS, say why.
fail() {
  FAILED=$((FAILED + 1))
  DETAILS_SHOWN=$((DETAILS_SHOWN + 1))
  if [ $DETAILS_SHOWN -le "$MAX_DETAILS" ]; then
    echo "FAIL: $1: $2"
  elif [ $DETAILS_SHOWN -eq $((MAX_DETAILS + 1)) ]; then
    echo "(further failures are counted but not shown)"
  fi
}

# details_ok: whether the caller should still print diffs for the failure just counted.
details_ok() { [ $DETAILS_SHOWN -le "$MAX_DETAILS" ]; }

# sanitizer_report FILE: true if FILE (a captured stderr) holds an ASan/UBSan/LSan report.
sanitizer_report() {
  grep -q -E 'ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer)|runtime error:' "$1"
}

# line_count FILE: number of lines, counting a last line without its newline.
line_count() { awk 'END { print NR }' "$1"; }

# run_ours OUTPREFIX ARGS...: run "$H5KIT" ARGS with a timeout; stdout/stderr in OUTPREFIX.out/.err,
# exit status in RC.
run_ours() {
  local out=$1
  shift
  # The braces keep bash's "Segmentation fault" job message out of the log; fail() says it.
  { timeout -k 5 "$CMD_TIMEOUT" "$H5KIT" "$@" >"$out.out" 2>"$out.err" </dev/null; } 2>/dev/null
  RC=$?
}

# run_ref OUTPREFIX ARGS...: the same with h5ls.
run_ref() {
  local out=$1
  shift
  # The braces keep bash's "Segmentation fault" job message out of the log; fail() says it.
  { timeout -k 5 "$CMD_TIMEOUT" h5ls "$@" >"$out.out" 2>"$out.err" </dev/null; } 2>/dev/null
  RC=$?
}

# compare_ls ARGS...: `H5KIT ls ARGS` against `h5ls ARGS`: same stdout bytes, same exit status,
# no sanitizer report, no timeout.
compare_ls() {
  local label="h5kit ls $*" rrc orc
  run_ref "$TMPD/ref" "$@"
  rrc=$RC
  run_ours "$TMPD/our" ls "$@"
  orc=$RC
  if sanitizer_report "$TMPD/our.err"; then
    fail "$label" "sanitizer report"
    details_ok && grep -m 3 -E 'ERROR:|runtime error:' "$TMPD/our.err" | sed 's/^/    /'
  elif [ $orc -eq 124 ] || [ $orc -eq 137 ]; then
    fail "$label" "timed out after ${CMD_TIMEOUT}s"
  elif [ $orc -ge 128 ]; then
    fail "$label" "killed by signal $((orc - 128))"
  elif [ $orc -ne $rrc ]; then
    fail "$label" "exit status $orc, h5ls exits $rrc"
    details_ok && { diff "$TMPD/ref.out" "$TMPD/our.out" | head -6; head -c 300 "$TMPD/our.err"; }
  elif ! cmp -s "$TMPD/ref.out" "$TMPD/our.out"; then
    fail "$label" "stdout differs from h5ls (< h5ls, > h5kit)"
    details_ok && { diff "$TMPD/ref.out" "$TMPD/our.out" | head -8; head -c 300 "$TMPD/our.err"; }
  else
    pass
    return 0
  fi
  return 1
}

# list_paths FILE OUT: from `h5ls -r FILE`, write one record per listed object to OUT as
# "KIND<TAB>PATH" separated by NUL bytes, where KIND is group, dataset, type, softlink,
# extlink or other and PATH has h5ls's escapes (\ , \\, \t, \ooo ...) undone. The root is left out.
list_paths() {
  h5ls -r "$1" 2>/dev/null | "$PY" -c '
import sys

def unescape(line):
    """Split an h5ls -r line into (name bytes, rest) undoing h5ls escapes."""
    out = bytearray()
    i, n = 0, len(line)
    simple = {ord("b"): 8, ord("f"): 12, ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("v"): 11,
              ord("a"): 7}
    while i < n:
        c = line[i]
        if c == ord(" "):
            return bytes(out), line[i:].strip()
        if c == ord("\\") and i + 1 < n:
            j = i + 1
            if line[j] in b"01234567":
                k = j
                while k < n and k < j + 3 and line[k] in b"01234567":
                    k += 1
                out.append(int(line[j:k], 8) & 0xFF)
                i = k
                continue
            out.append(simple.get(line[j], line[j]))
            i = j + 1
            continue
        out.append(c)
        i += 1
    return bytes(out), b""

w = sys.stdout.buffer
for raw in sys.stdin.buffer.read().split(b"\n"):
    if not raw.startswith(b"/"):
        continue
    name, rest = unescape(raw)
    if name == b"/":
        continue
    if rest.startswith(b"Group"):
        kind = b"group"
    elif rest.startswith(b"Dataset"):
        kind = b"dataset"
    elif rest.startswith(b"Type"):
        kind = b"type"
    elif rest.startswith(b"Soft Link"):
        kind = b"softlink"
    elif rest.startswith(b"External Link"):
        kind = b"extlink"
    else:
        kind = b"other"
    w.write(kind + b"\t" + name + b"\0")
' >"$2"
}

# compare_file FILE: the full comparison of one file h5ls reads: `ls -r F`, `ls F`, `ls F/P` for
# up to MAX_GROUPS groups and a few datasets, links and named types, and a path that is not there.
MAX_GROUPS=${MAX_GROUPS:-30}
MAX_OTHERS=${MAX_OTHERS:-8}
compare_file() {
  local f=$1 rec kind path ng=0 nd=0 nl=0 nt=0 no=0
  compare_ls -r "$f"
  compare_ls "$f"
  list_paths "$f" "$TMPD/paths"
  while IFS= read -r -d '' rec; do
    kind=${rec%%$'\t'*}
    path=${rec#*$'\t'}
    case $kind in
      group) ng=$((ng + 1)); [ $ng -le "$MAX_GROUPS" ] || continue ;;
      dataset) nd=$((nd + 1)); [ $nd -le "$MAX_OTHERS" ] || continue ;;
      softlink | extlink) nl=$((nl + 1)); [ $nl -le "$MAX_OTHERS" ] || continue ;;
      type) nt=$((nt + 1)); [ $nt -le "$MAX_OTHERS" ] || continue ;;
      *) no=$((no + 1)); [ $no -le "$MAX_OTHERS" ] || continue ;;
    esac
    compare_ls "$f$path"
  done <"$TMPD/paths"
  compare_ls "$f/no_such_object_in_this_file"
}

# finish: the closing line and exit status.
finish() {
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
  exit $?
}
