#!/usr/bin/env bash
# sweep_crash.sh — the deterministic half of the crash test (tests/crash/README.md): kill the
# writer just before each of its I/O calls in turn, so every boundary of every commit is hit once.
#
#   bash tests/crash/sweep_crash.sh [--commits C] [--profile compat|latest|both] [--build DIR]
#                                   [--work DIR] [--seed S] [--allow-create-window]
#
# For each profile, two phases:
#   fresh   crash_writer FILE PROFILE S --max-commits C, run once under kill_at.so to count its I/O
#           calls M (write, pwrite, fsync...), then for N = 1..M run again with KILL_AT=N: SIGKILL
#           just before call N (h5k_create's own writes included).
#   resume  the same on a copy of the complete C-commit file, reopened with --resume for C more
#           commits.
# Every left file goes through crash_check.py (one batch). Defaults: C = 3, both profiles,
# seed 11 (seed % 3 picks the filters: 11 -> shuffle + deflate), build REPO/build.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3
COMMITS=3
PROFILE=both
BUILD=$REPO/build
WORK=
SEED=11
ALLOW_CREATE=0
while [ $# -gt 0 ]; do
  case $1 in
    --commits) COMMITS=$2; shift 2 ;;
    --profile) PROFILE=$2; shift 2 ;;
    --build) BUILD=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    --allow-create-window) ALLOW_CREATE=1; shift ;;
    *) echo "sweep_crash.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
case $PROFILE in compat | latest) PROFILES=$PROFILE ;; both) PROFILES="compat latest" ;;
  *) echo "sweep_crash.sh: bad profile $PROFILE" >&2; exit 2 ;; esac
BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || { echo "sweep_crash.sh: no build directory" >&2; exit 2; }
LIB=$BUILD/libh5kit.a
[ -f "$LIB" ] || { echo "sweep_crash.sh: no $LIB (build h5kit first)" >&2; exit 2; }
[ -n "$WORK" ] || WORK=$(mktemp -d /tmp/h5kit-sweep.XXXXXX)
mkdir -p "$WORK" || exit 2
WORK=$(cd "$WORK" && pwd)
CC=${CC:-cc}
WRITER=$WORK/crash_writer
SHIM=$WORK/kill_at.so
# A sanitized library (make sanitize) needs the victim built with the same runtime; the kill
# shim is then preloaded before it, which ASan tolerates when told to.
SANFLAGS=
if nm "$LIB" 2>/dev/null | grep -q __asan_; then
  SANFLAGS="-fsanitize=address,undefined"
  export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0:detect_leaks=0
fi
"$CC" -std=c11 -O2 -g -Wall -Wextra -Wshadow -Wmissing-prototypes -D_POSIX_C_SOURCE=200809L $SANFLAGS \
  -I"$REPO/include" "$HERE/crash_writer.c" "$LIB" \
  -lpthread -ldeflate -llz4 -lzstd -lblosc -llzf -lsz -laec -lm -o "$WRITER" ||
  { echo "sweep_crash.sh: cannot compile crash_writer.c" >&2; exit 2; }
"$CC" -O2 -Wall -Wextra -shared -fPIC "$HERE/kill_at.c" -o "$SHIM" -ldl ||
  { echo "sweep_crash.sh: cannot compile kill_at.c" >&2; exit 2; }
export CRASH_WRITER_THREADS=${CRASH_WRITER_THREADS:-2}

echo "crash sweep: $COMMITS commits, profiles $PROFILES, seed $SEED, work $WORK"
LIST=$WORK/list
: >"$LIST"
errors=0
# sweep NAME BASE ARGS...: count the I/O calls of `crash_writer ARGS` (on a copy of BASE unless
# BASE is empty), then run it once per kill point; files go to WORK/NAME-N.h5 (+ .log, .cmd).
sweep() {
  local name=$1 base=$2
  shift 2
  local f=$WORK/$name-count.h5 m n st
  rm -f "$f" "$f.log"
  [ -n "$base" ] && cp "$base" "$f" && cp "$base.log" "$f.log"
  if ! LD_PRELOAD=$SHIM KILL_AT=0 KILL_AT_COUNT=$WORK/$name.count "$WRITER" "$f" "$@" 2>"$WORK/$name.err"; then
    echo "FAIL $name: the writer failed without a kill: $(head -c 300 "$WORK/$name.err")"
    errors=$((errors + 1))
    return
  fi
  m=$(cat "$WORK/$name.count")
  echo "$name: $m I/O calls"
  for ((n = 1; n <= m; n++)); do
    f=$WORK/$name-$n.h5
    rm -f "$f" "$f.log"
    [ -n "$base" ] && cp "$base" "$f" && cp "$base.log" "$f.log"
    { LD_PRELOAD=$SHIM KILL_AT=$n "$WRITER" "$f" "$@" 2>"$WORK/$name.err"; } 2>/dev/null
    st=$?
    if [ $st -ne 137 ]; then
      echo "FAIL $name kill before call $n: writer status $st, not killed: $(head -c 300 "$WORK/$name.err")"
      errors=$((errors + 1))
      continue
    fi
    echo "$f $SEED" >>"$LIST"
    {
      [ -n "$base" ] && printf 'cp %q X.h5 && cp %q X.h5.log && ' "$base" "$base.log"
      printf 'LD_PRELOAD=%q KILL_AT=%d %q X.h5' "$SHIM" "$n" "$WRITER"
      printf ' %q' "$@"
      printf '; /usr/bin/python3 %q X.h5 %s\n' "$HERE/crash_check.py" "$SEED"
    } >"$f.cmd"
  done
}
for prof in $PROFILES; do
  sweep "$prof-fresh" "" "$prof" "$SEED" --max-commits "$COMMITS"
  full=$WORK/$prof-fresh-count.h5
  [ -f "$full" ] && sweep "$prof-resume" "$full" "$prof" "$SEED" --resume --max-commits "$COMMITS"
done

"$PY" "$HERE/crash_check.py" --batch "$LIST" --h5kit "$BUILD/h5kit" >"$WORK/results" 2>&1
n_total=$(wc -l <"$LIST")
n_ok=$(grep -c $'\tOK' "$WORK/results")
n_k1=$(grep -c $'\tOK.*at=k+1' "$WORK/results")
n_nofile=$(grep -c $'\tNOFILE' "$WORK/results")
n_create=$(grep -c $'\tCREATE-WINDOW' "$WORK/results")
n_fail=$(grep -c -v -E $'\t(OK|NOFILE|CREATE-WINDOW)' "$WORK/results")
[ $ALLOW_CREATE -eq 1 ] || n_fail=$((n_fail + n_create))
n_fail=$((n_fail + errors))
echo
echo "==== sweep summary ($PROFILES, $COMMITS commits, seed $SEED) ===="
echo "kill points:                        $n_total"
echo "file at k / at k+1:                 $((n_ok - n_k1)) / $n_k1"
echo "killed before the file existed:     $n_nofile"
echo "killed inside h5k_create, file not openable (log empty): $n_create$([ $ALLOW_CREATE -eq 1 ] && echo " (tolerated: --allow-create-window)")"
echo "failures:                           $n_fail"
grep -v -E $'\t(OK|NOFILE)' "$WORK/results" | while IFS=$'\t' read -r file res; do
  case $res in CREATE-WINDOW*) [ $ALLOW_CREATE -eq 1 ] && continue ;; esac
  echo "  $(basename "$file"): $res"
  echo "    file kept: $file; reproduce (in a scratch directory): $(cat "$file.cmd")"
done
[ $n_fail -eq 0 ]
