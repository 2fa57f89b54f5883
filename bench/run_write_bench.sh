#!/usr/bin/env bash
# Build and run the write benchmark (bench/write_bench.c) and print its tables.
#   bash bench/run_write_bench.sh [DATADIR [FRAMES [RUNS]]]
# DATADIR (default /tmp/h5kit-wbench) receives the written files (about 1 GB with the default 512
# frames; overwritten on each run). The build goes to $BUILD (default build-bench under the
# repository), in Release mode, and includes the h5kit CLI for the repack test. libhdf5 loads the
# bitshuffle filter from Debian's plugin directory (package bitshuffle / hdf5-filter-plugin).
# Every timed write ends on disk (fsync): h5kit's commit syncs, so libhdf5's files are synced too.
set -eu
REPO=$(cd "$(dirname "$0")/.." && pwd)
DATA=${1:-/tmp/h5kit-wbench}
FRAMES=${2:-512}
RUNS=${3:-5}
BUILD=${BUILD:-$REPO/build-bench}
JOBS=${JOBS:-2}
export HDF5_PLUGIN_PATH=${HDF5_PLUGIN_PATH:-/usr/lib/x86_64-linux-gnu/hdf5/serial/plugins}

cmake -S "$REPO" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" -j"$JOBS" --target write_bench h5kit_cli >/dev/null
mkdir -p "$DATA"
echo "command: bash bench/run_write_bench.sh $DATA $FRAMES $RUNS   ($(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?'), $(uname -m), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
"$BUILD/bench/write_bench" "$DATA" "$FRAMES" "$RUNS" "$BUILD/h5kit"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
