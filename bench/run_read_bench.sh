#!/usr/bin/env bash
# Build and run the read benchmark (bench/read_bench.c) and print its table.
#   bash bench/run_read_bench.sh [DATADIR [RUNS]]
# DATADIR (default /tmp/h5kit-bench) receives the five 128 MiB stack files from make_stack.py
# (kept between runs). The build goes to $BUILD (default build-bench under the repository), in
# Release mode. libhdf5 loads the LZ4 and bitshuffle filters from Debian's plugin directory
# (packages hdf5-filter-plugin and bitshuffle).
set -eu
REPO=$(cd "$(dirname "$0")/.." && pwd)
DATA=${1:-/tmp/h5kit-bench}
RUNS=${2:-5}
BUILD=${BUILD:-$REPO/build-bench}
JOBS=${JOBS:-2}
export HDF5_PLUGIN_PATH=${HDF5_PLUGIN_PATH:-/usr/lib/x86_64-linux-gnu/hdf5/serial/plugins}

cmake -S "$REPO" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" -j"$JOBS" --target read_bench >/dev/null
/usr/bin/python3 "$REPO/bench/make_stack.py" "$DATA" >/dev/null
echo "command: bash bench/run_read_bench.sh $DATA $RUNS   ($(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?'), $(uname -m), $(nproc) cores)"
"$BUILD/bench/read_bench" "$DATA" "$RUNS"
