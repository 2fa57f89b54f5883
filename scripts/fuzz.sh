#!/usr/bin/env bash
# Run a libFuzzer target outside CI (docs/fuzzing.md).
#
#   scripts/fuzz.sh [TARGET|all] [SECONDS]
#
# TARGET is one of fuzz_file (default), fuzz_superblock, fuzz_object_header, fuzz_symbol_table,
# fuzz_dense, fuzz_messages, fuzz_layout, fuzz_chunk_index, fuzz_filters, fuzz_convert,
# fuzz_global_heap, fuzz_virtual, fuzz_repack, fuzz_modify, or "all" (each in turn, SECONDS each). SECONDS defaults to 300.
# The targets are built with `make fuzz` (clang, build-fuzz/), then run single-process on a
# COPY of the committed corpus fuzz/corpus/TARGET (the committed corpus is never modified),
# with -timeout=10 -rss_limit_mb=2048 and a per-target -max_len.
#
# Environment:
#   FUZZ_BUILD=dir    build into dir with cmake instead of `make fuzz` (e.g. build-fuzz-me)
#   FUZZ_WORK=dir     where the corpus copy, crash files and logs go (default: a fresh temp dir)
#   FUZZ_MERGE=1      afterwards, merge inputs that add coverage back into fuzz/corpus/TARGET
#   FUZZ_ARGS="..."   extra libFuzzer arguments (e.g. -dict=..., -seed=1)
#
# Exit status: 0 when no target crashed, 1 when one did (the crash files are listed; replay one
# with build-fuzz/fuzz/replay_TARGET FILE or build-fuzz/fuzz/TARGET FILE), 2 on usage errors.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET=${1:-fuzz_file}
SECONDS_PER=${2:-300}
ALL="fuzz_file fuzz_superblock fuzz_object_header fuzz_symbol_table fuzz_dense fuzz_messages"
ALL="$ALL fuzz_layout fuzz_chunk_index fuzz_filters fuzz_convert fuzz_global_heap fuzz_virtual fuzz_repack fuzz_modify"

case "$SECONDS_PER" in
  ''|*[!0-9]*) echo "fuzz.sh: SECONDS must be a number" >&2; exit 2 ;;
esac
if [ "$TARGET" = all ]; then
  TARGETS=$ALL
else
  case " $ALL " in
    *" $TARGET "*) TARGETS=$TARGET ;;
    *) echo "fuzz.sh: unknown target '$TARGET' (one of: $ALL, all)" >&2; exit 2 ;;
  esac
fi

# ---- build ----------------------------------------------------------------------------------------
if [ -n "${FUZZ_BUILD:-}" ]; then
  BUILD=$FUZZ_BUILD
  case "$BUILD" in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
  CC=clang cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DH5KIT_FUZZ=ON >/dev/null
  cmake --build "$BUILD" -j 2 >/dev/null
else
  BUILD=$ROOT/build-fuzz
  make -C "$ROOT" fuzz >/dev/null
fi

WORK=${FUZZ_WORK:-$(mktemp -d /tmp/h5kit-fuzz.XXXXXX)}
mkdir -p "$WORK"
echo "fuzz.sh: work directory $WORK"

# Longest input each target may grow: message bodies are small; the structure targets carry a
# small file image (their committed seeds are cut to 8 KiB); whole files up to 64 KiB (and the
# virtual-dataset target, whose input ends with a whole file).
max_len_for() {
  case "$1" in
    fuzz_messages) echo 4096 ;;
    fuzz_file|fuzz_virtual|fuzz_repack|fuzz_modify) echo 65536 ;;
    *) echo 16384 ;;
  esac
}

status=0
for t in $TARGETS; do
  bin=$BUILD/fuzz/$t
  [ -x "$bin" ] || { echo "fuzz.sh: $bin was not built" >&2; exit 2; }
  corpus=$WORK/$t/corpus
  mkdir -p "$corpus" "$WORK/$t/crashes"
  cp -n "$ROOT/fuzz/corpus/$t/"* "$corpus/" 2>/dev/null || true
  log=$WORK/$t/fuzz.log
  echo "fuzz.sh: $t for ${SECONDS_PER}s (log $log)"
  set +e
  # shellcheck disable=SC2086
  (cd "$WORK/$t" && "$bin" -max_len="$(max_len_for "$t")" -timeout=10 -rss_limit_mb=2048 \
      -max_total_time="$SECONDS_PER" -print_final_stats=1 -artifact_prefix="$WORK/$t/crashes/" \
      ${FUZZ_ARGS:-} "$corpus" >"$log" 2>&1)
  rc=$?
  set -e
  grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::average_exec_per_sec)' "$log" | sed 's/^/  /' || true
  # slow-unit-* files are inputs that took over 10 s once; on a busy machine that is usually a
  # stall of the host, so they are listed but do not fail the run (replay them to check).
  crashes=$(find "$WORK/$t/crashes" -type f ! -name 'slow-unit-*' | sort)
  slow=$(find "$WORK/$t/crashes" -type f -name 'slow-unit-*' | sort)
  for s in $slow; do echo "  note: slow input $s (replay it: $BUILD/fuzz/$t $s)"; done
  if [ -n "$crashes" ] || [ $rc -ne 0 ]; then
    status=1
    echo "fuzz.sh: $t FOUND A PROBLEM (exit $rc). Reproducers:"
    for c in $crashes; do echo "  $c"; done
    grep -E 'ERROR: |runtime error|SUMMARY' "$log" | head -5 | sed 's/^/  /' || true
  else
    echo "fuzz.sh: $t: no finding"
  fi
  if [ "${FUZZ_MERGE:-0}" = 1 ]; then
    "$bin" -merge=1 -max_len="$(max_len_for "$t")" -timeout=10 -rss_limit_mb=2048 \
      "$ROOT/fuzz/corpus/$t" "$corpus" >"$WORK/$t/merge.log" 2>&1 || true
    grep 'MERGE-OUTER: .* new files' "$WORK/$t/merge.log" | sed 's/^/  /' || true
  fi
done
exit $status
