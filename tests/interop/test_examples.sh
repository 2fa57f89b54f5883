#!/usr/bin/env bash
# The example programs (examples/*.c): run each one in both profiles (default = h5py-compatible,
# --latest) into a scratch directory and check every file it writes with h5py
# (write_examples_check.py: values, shapes, dtypes, attributes, links including the external one,
# the archive's bytes against the original files), h5dump (exit 0, nothing on stderr) and
# `h5ls -r` (exit 0).
# The examples are taken from <build>/examples/ when the build made them (examples/CMakeLists.txt);
# otherwise they are compiled here against <build>/libh5kit.a.
# Usage (ctest): bash test_examples.sh H5KIT WORKDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lib_setup "$@" examples
BUILD=$(dirname "$H5KIT")
EXAMPLES="tutorial resize delete_repack detector nexus_links archive"
DET_N=${DET_N:-48}

# ---- the executables -------------------------------------------------------------------------------
BIN=$BUILD/examples
for e in $EXAMPLES; do
  [ -x "$BIN/$e" ] || { BIN=""; break; }
done
if [ -z "$BIN" ]; then
  BIN=$TMPD/bin
  mkdir -p "$BIN"
  LIB=$BUILD/libh5kit.a
  [ -f "$LIB" ] || die "no examples in $BUILD/examples and no $LIB to build them"
  LIBS=$(sed -n 's/^Libs.private: *//p' "$BUILD/h5kit.pc" 2>/dev/null)
  [ -n "$LIBS" ] || LIBS="-lpthread -ldeflate -llz4 -lzstd -lblosc -llzf -lsz -laec -lm"
  for e in $EXAMPLES; do
    if ${CC:-cc} -std=c11 -D_POSIX_C_SOURCE=200809L -O1 -Wall -Wextra -Wshadow -Wmissing-prototypes -Werror \
        -I"$REPO/include" "$REPO/examples/$e.c" "$LIB" $LIBS -lm -o "$BIN/$e" 2>"$TMPD/cc.err"; then
      pass
    else
      fail "compile examples/$e.c" "$(head -5 "$TMPD/cc.err")"
    fi
  done
fi

# ---- a directory tree for the archive example ----------------------------------------------------------
TREE=$TMPD/tree
"$PY" - "$TREE" <<'PYEOF' || die "cannot make the archive test tree"
import os, random, sys
top = sys.argv[1]
rnd = random.Random(7)
files = {
    "README.txt": b"an archived tree\n",
    "empty": b"",
    "one": b"x",
    "data/random.bin": bytes(rnd.getrandbits(8) for _ in range(70000)),
    "data/zeros.bin": bytes(3 * 1024 * 1024 + 17),  # several 1 MiB pieces and chunks
    "data/deeper/still/text.txt": ("line\n" * 1000).encode(),
    "names/with space.txt": b"space",
    "names/\u00e9t\u00e9.txt": "caf\u00e9".encode(),
}
for rel, data in files.items():
    p = os.path.join(top, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as fh:
        fh.write(data)
os.makedirs(os.path.join(top, "empty_dir"))
os.symlink("README.txt", os.path.join(top, "link_skipped"))
PYEOF

# run_example LABEL OUTFILE EXE ARGS...: the example must exit 0 with no sanitizer report.
run_example() {
  local label=$1 exe=$3
  shift 3
  { timeout -k 5 "$CMD_TIMEOUT" "$BIN/$exe" "$@" >"$TMPD/ex.out" 2>"$TMPD/ex.err" </dev/null; } 2>/dev/null
  local rc=$?
  if sanitizer_report "$TMPD/ex.err"; then
    fail "$label" "sanitizer report"
    grep -m 3 -E 'ERROR:|runtime error:' "$TMPD/ex.err" | sed 's/^/    /'
    return 1
  elif [ $rc -ne 0 ]; then
    fail "$label" "exit status $rc: $(head -c 300 "$TMPD/ex.err")"
    return 1
  fi
  pass
  return 0
}

# reference_tools LABEL FILE: h5dump exits 0 with an empty stderr; h5ls -r exits 0.
reference_tools() {
  if timeout -k 5 "$CMD_TIMEOUT" h5dump "$2" >"$TMPD/dump.out" 2>"$TMPD/dump.err" && [ ! -s "$TMPD/dump.err" ]; then
    pass
  else
    fail "$1: h5dump $(basename "$2")" "$(head -c 300 "$TMPD/dump.err")"
  fi
  if timeout -k 5 "$CMD_TIMEOUT" h5ls -r "$2" >"$TMPD/ls.out" 2>"$TMPD/ls.err"; then
    pass
  else
    fail "$1: h5ls -r $(basename "$2")" "$(head -c 300 "$TMPD/ls.err")"
  fi
}

# h5py_check LABEL EXAMPLE PROFILE FILE ARGS...
h5py_check() {
  local label=$1
  shift
  if timeout -k 5 300 "$PY" "$HERE/write_examples_check.py" "$@" >"$TMPD/py.out" 2>&1; then
    pass
  else
    fail "$label" "h5py check failed"
    head -10 "$TMPD/py.out" | sed 's/^/    /'
  fi
}

for profile in compat latest; do
  flag=""
  [ $profile = latest ] && flag=--latest
  D=$TMPD/$profile
  mkdir -p "$D"
  for e in $EXAMPLES; do
    [ -x "$BIN/$e" ] || continue
    out=$D/$e.h5
    label="$e ($profile)"
    case $e in
      detector) run_example "$label" "$out" $e "$out" "$DET_N" $flag || continue ;;
      archive) run_example "$label" "$out" $e "$out" "$TREE" $flag || continue ;;
      *) run_example "$label" "$out" $e "$out" $flag || continue ;;
    esac
    case $e in
      resize)
        # The demonstrated failure must be reported with the library's message.
        grep -q "failed as expected: .*maximum" "$TMPD/ex.out" && pass ||
          fail "$label" "no clear error for resizing past the maximum: $(head -c 200 "$TMPD/ex.out")" ;;
      archive)
        # The example's own listing names every archived path.
        grep -q "/data/deeper/still/text.txt" "$TMPD/ex.out" && pass || fail "$label" "listing incomplete" ;;
    esac
    reference_tools "$label" "$out"
    [ $e = nexus_links ] && reference_tools "$label" "$out.raw.h5"
    case $e in
      detector) h5py_check "$label" $e $profile "$out" "$DET_N" ;;
      archive) h5py_check "$label" $e $profile "$out" "$TREE" ;;
      *) h5py_check "$label" $e $profile "$out" ;;
    esac
  done
done
finish
