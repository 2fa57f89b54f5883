#!/usr/bin/env bash
# Crash safety, short run for CI (about 45 s):
#  1. tests/crash/sweep_crash.sh: a writer killed just before each of its I/O calls in turn (3
#     commits, fresh and reopened, both profiles; about 160 kill points, deterministic);
#  2. tests/crash/run_crash.sh with 24 SIGKILLs at random moments (both profiles, about a third of
#     them reopening the file a previous kill left).
# Every left file goes through crash_check.py: h5py opens it, it holds exactly the last logged
# commit or the next one, h5dump is clean, h5kit ls -r matches h5ls -r. One pass per kill point
# or kill that is fine. The full run (200 kills per profile) is run by hand; see
# tests/crash/README.md.
# Usage (ctest): bash test_crash.sh H5KIT WORKDIR   (libh5kit.a is taken from H5KIT's directory)
# CRASH_KILLS and CRASH_SEED override the number of kills and the seed base (default: the clock,
# printed with the command that repeats the run).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lib_setup "$@" crash
BUILD=$(dirname "$H5KIT")
[ -f "$BUILD/libh5kit.a" ] || die "no libh5kit.a next to $H5KIT"
command -v h5dump >/dev/null 2>&1 || die "h5dump not found"
command -v "${CC:-cc}" >/dev/null 2>&1 || die "no C compiler (${CC:-cc}) to build crash_writer.c"

KILLS=${CRASH_KILLS:-24}
seed_args=()
[ -n "${CRASH_SEED:-}" ] && seed_args=(--seed "$CRASH_SEED")
# Killed inside h5k_create (before its first commit) the file does not open yet: a known gap,
# reported by the summaries but tolerated here (see tests/crash/README.md, "Known gap").
# summary OUTFILE RC LABEL TOTAL: count passes and failures from a summary's "failures:" line.
summary() {
  local out=$1 rc=$2 label=$3 total=$4 nfail
  sed -n '/^==== /,$p' "$out"
  nfail=$(sed -n 's/^failures: *\([0-9]*\).*/\1/p' "$out")
  if [ -z "$nfail" ] || [ -z "$total" ]; then
    fail "$label" "no summary (exit status $rc)"
    tail -20 "$out"
    return
  fi
  PASSED=$((PASSED + total - nfail))
  FAILED=$((FAILED + nfail))
  [ "$rc" -eq 0 ] || [ "$nfail" -gt 0 ] || fail "$label" "exit status $rc"
}

timeout -k 5 300 bash "$REPO/tests/crash/sweep_crash.sh" --build "$BUILD" --work "$TMPD/sweep" \
  >"$TMPD/sweep.out" 2>&1
rc=$?
summary "$TMPD/sweep.out" $rc sweep_crash.sh "$(sed -n 's/^kill points: *\([0-9]*\).*/\1/p' "$TMPD/sweep.out")"

timeout -k 5 300 bash "$REPO/tests/crash/run_crash.sh" "$KILLS" --profile both --build "$BUILD" \
  --work "$TMPD/run" "${seed_args[@]}" >"$TMPD/run.out" 2>&1
rc=$?
sed -n '2p' "$TMPD/run.out"
summary "$TMPD/run.out" $rc run_crash.sh "$KILLS"

if [ "$FAILED" -gt 0 ]; then
  # keep the failing files: TMPD is removed on exit
  keep=$WORK/failed-$(date +%Y%m%d-%H%M%S)
  mkdir -p "$keep"
  cp -r "$TMPD/run/failures" "$keep/random" 2>/dev/null
  cp -r "$TMPD/sweep" "$keep/sweep" 2>/dev/null
  echo "failing files kept in $keep"
fi
finish
