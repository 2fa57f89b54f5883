#!/usr/bin/env bash
# `make demo`: list, dump and read the bundled sample file with h5kit and, when the reference
# tools are installed, show that h5kit prints the same bytes as h5ls and h5dump.
# Run from anywhere; expects the build in build/.
#   bash scripts/demo.sh [H5KIT_BINARY]
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
h5kit=${1:-$root/build/h5kit}
sample=demo/sample.h5

cd "$root" || exit 1
if [ ! -x "$h5kit" ]; then
  echo "demo: $h5kit not found; build first with 'make'" >&2
  exit 1
fi
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# words ARGS...: the arguments as a shell would need them typed (quoted when they hold a space).
words() {
  local a
  for a in "$@"; do
    case $a in *" "*) printf " '%s'" "$a" ;; *) printf " %s" "$a" ;; esac
  done
}

# show CMD...: print the command line, run it, stop the demo if it fails.
show() {
  echo "\$ h5kit$(words "$@")"
  "$h5kit" "$@" || { echo "demo: h5kit $1 failed" >&2; exit 1; }
  echo
}

# same_as REFTOOL ARGS...: compare `h5kit SUBCOMMAND ARGS` with the reference tool, byte for byte.
same_as() {
  local ref=$1 sub=$2
  shift 2
  if ! command -v "$ref" >/dev/null 2>&1; then
    echo "($ref is not installed, so no comparison with it)"
    return 0
  fi
  echo "\$ $ref$(words "$@") | diff - <(h5kit $sub$(words "$@"))"
  "$ref" "$@" >"$tmp/ref" 2>&1
  "$h5kit" "$sub" "$@" >"$tmp/ours" 2>&1
  if cmp -s "$tmp/ref" "$tmp/ours"; then
    echo "identical to $ref ($(wc -l <"$tmp/ref") lines)"
    echo
  else
    diff "$tmp/ref" "$tmp/ours" | head -20
    echo "demo: h5kit $sub differs from $ref" >&2
    exit 1
  fi
}

echo "h5kit demo: an independent reader and writer of the HDF5 file format"
echo "file: $sample ($(wc -c <"$sample") bytes; made by demo/make_sample.py)"
echo
show ls -r "$sample"
same_as h5ls ls -r "$sample"

# Reading values: the detector frames (chunked, gzip) through the same library.
ds=/entry/instrument/detector/data
show dump -H -d "$ds" "$sample"
echo "# frames 1-2, row 30, every 8th pixel:"
show get "$sample#$ds" --slice '1:3, 30, ::8' --format csv
show chunks "$sample#$ds"
same_as h5dump dump "$sample"

# Writing: the tutorial example creates a file, reopens it and changes it; h5py and h5dump read it.
examples=$root/build/examples
if [ -x "$examples/tutorial" ]; then
  echo "\$ build/examples/tutorial $tmp/tutorial.h5     # examples/tutorial.c"
  "$examples/tutorial" "$tmp/tutorial.h5" || { echo "demo: the tutorial example failed" >&2; exit 1; }
  show ls -r "$tmp/tutorial.h5"
  same_as h5ls ls -r "$tmp/tutorial.h5"
  show dump -A "$tmp/tutorial.h5"
  if command -v h5dump >/dev/null 2>&1; then
    h5dump "$tmp/tutorial.h5" >/dev/null 2>"$tmp/err" && ! [ -s "$tmp/err" ] &&
      echo "h5dump reads it without a word on stderr" || { echo "demo: h5dump complained" >&2; cat "$tmp/err" >&2; exit 1; }
    echo
  fi
  # Repack the sample with another filter and the latest format: same values.
  show repack --latest --filter bslz4 "$sample" "$tmp/sample-bslz4.h5"
  if command -v h5dump >/dev/null 2>&1; then
    echo "\$ diff <(h5dump $sample | tail -n +2) <(h5dump sample-bslz4.h5 | tail -n +2)"
    if diff <(h5dump "$sample" | tail -n +2) <(h5dump "$tmp/sample-bslz4.h5" | tail -n +2) >/dev/null; then
      echo "same content ($(wc -c <"$sample") bytes gzip -> $(wc -c <"$tmp/sample-bslz4.h5") bytes bitshuffle-LZ4)"
    else
      echo "demo: the repacked file differs" >&2
      exit 1
    fi
  fi
fi
