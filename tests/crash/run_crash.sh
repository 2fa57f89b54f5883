#!/usr/bin/env bash
# run_crash.sh — kill an h5kit writer with SIGKILL at random moments and check what it left
# (tests/crash/README.md).
#
#   bash tests/crash/run_crash.sh [N] [--profile compat|latest|both] [--build DIR] [--work DIR]
#                                 [--seed BASE] [--resume-pct P] [--max-delay-ms MS]
#
#   N              kills (default 200)
#   --profile      which writer profile; "both" alternates per kill (default both)
#   --build DIR    an h5kit build directory holding libh5kit.a and the h5kit CLI (default REPO/build)
#   --work DIR     scratch directory (default a fresh mktemp -d; kept, its path is printed)
#   --seed BASE    kill i uses seed BASE + i (default: from the clock; printed)
#   --resume-pct P percentage of kills that reopen the previous victim's file with H5K_OPEN_RDWR
#                  and continue it instead of creating a new file (default 35)
#   --max-delay-ms longest delay before the kill (default 300)
#   --allow-create-window  do not count CREATE-WINDOW outcomes (killed inside h5k_create before its
#                  first commit, leaving a file that does not open) as failures; they are still
#                  counted and printed. Without it they fail the run: the claim is "any moment".
#
# Each kill: start crash_writer, wait a random delay (10% of kills 0-2.5 ms, to land in process
# start-up and h5k_create/h5k_open; 20% 2.5-25 ms; the rest 25 ms-MAX), kill -9, then run
# crash_check.py. Prints one line per kill, a summary, and for each failure the command that
# reproduces the file (its copy is kept under WORK/failures/). Exit status 1 if any kill failed.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3

N=200
PROFILE=both
BUILD=$REPO/build
WORK=
SEED_BASE=
RESUME_PCT=35
MAX_DELAY_MS=300
ALLOW_CREATE=0
while [ $# -gt 0 ]; do
  case $1 in
    --profile) PROFILE=$2; shift 2 ;;
    --build) BUILD=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --seed) SEED_BASE=$2; shift 2 ;;
    --resume-pct) RESUME_PCT=$2; shift 2 ;;
    --max-delay-ms) MAX_DELAY_MS=$2; shift 2 ;;
    --allow-create-window) ALLOW_CREATE=1; shift ;;
    [0-9]*) N=$1; shift ;;
    *) echo "run_crash.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
case $PROFILE in compat | latest | both) ;; *) echo "run_crash.sh: bad profile $PROFILE" >&2; exit 2 ;; esac
BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || { echo "run_crash.sh: no build directory" >&2; exit 2; }
LIB=$BUILD/libh5kit.a
[ -f "$LIB" ] || { echo "run_crash.sh: no $LIB (build h5kit first)" >&2; exit 2; }
H5KIT=$BUILD/h5kit
command -v h5dump >/dev/null 2>&1 || { echo "run_crash.sh: h5dump not found" >&2; exit 2; }
"$PY" -c 'import h5py' 2>/dev/null || { echo "run_crash.sh: h5py not importable by $PY" >&2; exit 2; }
[ -n "$WORK" ] || WORK=$(mktemp -d /tmp/h5kit-crash.XXXXXX)
mkdir -p "$WORK" || exit 2
WORK=$(cd "$WORK" && pwd)
[ -n "$SEED_BASE" ] || SEED_BASE=$(( $(date +%s) % 1000000 * 1000 ))
RANDOM=$SEED_BASE   # the delays and modes repeat for the same --seed

# The victim, built against the library under test.
WRITER=$WORK/crash_writer
CC=${CC:-cc}
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
  { echo "run_crash.sh: cannot compile crash_writer.c" >&2; exit 2; }

# Sub-millisecond sleeps without a fork: read with a timeout from a FIFO nobody writes to.
mkfifo "$WORK/.sleep" || exit 2
exec 9<>"$WORK/.sleep"
rm -f "$WORK/.sleep"
usleep() {
  local us=$1
  [ "$us" -gt 0 ] || return 0
  read -r -t "$(printf '%d.%06d' $((us / 1000000)) $((us % 1000000)))" -u 9 _ || true
}
rand32() { echo $(( (RANDOM << 15 | RANDOM) & 0x3fffffff )); }

echo "crash test: $N kills, profile $PROFILE, seeds $((SEED_BASE + 1))..$((SEED_BASE + N)), work $WORK"
echo "reproduce this run: bash $0 $N --profile $PROFILE --seed $SEED_BASE --resume-pct $RESUME_PCT --max-delay-ms $MAX_DELAY_MS"

F=$WORK/victim.h5
n_k=0 n_k1=0 n_nofile=0 n_create=0 n_fail=0 n_resume=0 n_selfexit=0
prev_ok=0 prev_seed=0 prev_prof=compat
FAILS=()
for ((i = 1; i <= N; i++)); do
  if [ "$PROFILE" = both ]; then
    prof=$([ $((i % 2)) -eq 1 ] && echo compat || echo latest)
  else
    prof=$PROFILE
  fi
  resume=0
  if [ $prev_ok -eq 1 ] && [ $((RANDOM % 100)) -lt "$RESUME_PCT" ]; then
    resume=1
    seed=$prev_seed
    prof=$prev_prof
    cp "$F" "$WORK/pre-resume.h5" && cp "$F.log" "$WORK/pre-resume.h5.log"
  else
    seed=$((SEED_BASE + i))
    rm -f "$F" "$F.log"
  fi
  r=$((RANDOM % 100))
  if [ $r -lt 10 ]; then
    delay=$(( $(rand32) % 2500 ))
  elif [ $r -lt 30 ]; then
    delay=$(( 2500 + $(rand32) % 22500 ))
  else
    lo=25000 hi=$((MAX_DELAY_MS * 1000))
    [ $hi -gt $lo ] || hi=$((lo + 1))
    delay=$(( lo + $(rand32) % (hi - lo) ))
  fi
  args=("$F" "$prof" "$seed")
  [ $resume -eq 1 ] && args+=(--resume)

  "$WRITER" "${args[@]}" 2>"$WORK/writer.err" &
  pid=$!
  usleep $delay
  kill -9 $pid 2>/dev/null
  wait $pid 2>/dev/null
  st=$?
  mode=$([ $resume -eq 1 ] && echo resume || echo fresh)
  [ $resume -eq 1 ] && n_resume=$((n_resume + 1))
  label="kill $i/$N $prof seed=$seed $mode delay=${delay}us"
  if [ $st -ne 137 ]; then
    # The writer ended before the kill: only an error can end it (it loops forever).
    n_selfexit=$((n_selfexit + 1))
    out="FAIL writer exited by itself (status $st): $(head -c 300 "$WORK/writer.err")"
  else
    out=$("$PY" "$HERE/crash_check.py" "$F" "$seed" --h5kit "$H5KIT" 2>&1 | tail -1)
  fi
  echo "$label -> $out"
  kind=${out%% *}
  case $kind in
    OK) case $out in *at=k+1) n_k1=$((n_k1 + 1)) ;; *) n_k=$((n_k + 1)) ;; esac ;;
    NOFILE) n_nofile=$((n_nofile + 1)) ;;
    CREATE-WINDOW)
      n_create=$((n_create + 1))
      [ $ALLOW_CREATE -eq 1 ] || kind=FAIL ;;
    *) kind=FAIL ;;
  esac
  prev_ok=$([ "$kind" = OK ] && echo 1 || echo 0)
  if [ "$kind" = FAIL ]; then
    n_fail=$((n_fail + 1))
    d=$WORK/failures/$i-$prof-seed$seed
    mkdir -p "$d"
    cp "$F" "$F.log" "$WORK/writer.err" "$d/" 2>/dev/null
    [ $resume -eq 1 ] && cp "$WORK/pre-resume.h5" "$WORK/pre-resume.h5.log" "$d/" 2>/dev/null
    repro="/usr/bin/python3 $HERE/crash_check.py $d/victim.h5 $seed"
    [ $resume -eq 1 ] && repro="$repro   (the resumed writer's input: $d/pre-resume.h5 and .log; rerun: copy both to X.h5 and X.h5.log, then $WRITER X.h5 $prof $seed --resume)"
    FAILS+=("$label: $out"$'\n'"    reproduce: $repro")
  fi
  prev_seed=$seed
  prev_prof=$prof
done
exec 9<&-

echo
echo "==== summary ($PROFILE, $N kills, seed base $SEED_BASE) ===="
echo "kills:                              $N  ($n_resume of them on a reopened file)"
echo "file at the last logged commit k:   $n_k"
echo "file at k+1 (switch before log):    $n_k1"
echo "killed before the file existed:     $n_nofile"
echo "killed inside h5k_create, file not openable (log empty): $n_create  (see README;$([ $ALLOW_CREATE -eq 1 ] && echo " tolerated:" || echo " failures unless") --allow-create-window)"
echo "writer ended on its own (an error): $n_selfexit  (counted in failures)"
echo "failures:                           $n_fail"
for f in "${FAILS[@]}"; do echo "  $f"; done
[ $n_fail -eq 0 ]
