#!/usr/bin/env bash
# `make demo`: list the bundled sample file with h5kit and, when the reference h5ls is installed,
# show that both print the same bytes. Run from anywhere; expects the build in build/.
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

echo "h5kit demo: an independent reader of the HDF5 file format"
echo "file: $sample ($(wc -c <"$sample") bytes; made by demo/make_sample.py)"
echo
echo "\$ h5kit ls -r $sample"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
"$h5kit" ls -r "$sample" >"$tmp/ours"
rc=$?
cat "$tmp/ours"
if [ $rc -ne 0 ]; then
  echo "demo: h5kit exited with status $rc" >&2
  exit $rc
fi

echo
if ! command -v h5ls >/dev/null 2>&1; then
  echo "(h5ls is not installed, so no comparison with the reference tools)"
  exit 0
fi
echo "\$ h5ls -r $sample | diff - <(h5kit ls -r $sample)"
h5ls -r "$sample" >"$tmp/ref" 2>&1
if cmp -s "$tmp/ref" "$tmp/ours"; then
  echo "identical to h5ls ($(wc -l <"$tmp/ref") lines)"
else
  diff "$tmp/ref" "$tmp/ours" | head -20
  echo "demo: output differs from h5ls -r" >&2
  exit 1
fi

# Reading values: the detector frames (chunked, gzip) through the same library.
ds=/entry/instrument/detector/data
echo
echo "\$ h5kit dump -H -d $ds $sample"
"$h5kit" dump -H -d "$ds" "$sample" || exit 1
echo
echo "\$ h5kit get '$sample#$ds' --slice '1:3, 30, ::8' --format csv     # frames 1-2, row 30, every 8th pixel"
"$h5kit" get "$sample#$ds" --slice '1:3, 30, ::8' --format csv || exit 1
echo
echo "\$ h5kit chunks '$sample#$ds'"
"$h5kit" chunks "$sample#$ds" || exit 1
if command -v h5dump >/dev/null 2>&1; then
  echo
  echo "\$ h5dump $sample | diff - <(h5kit dump $sample)"
  h5dump "$sample" >"$tmp/dref" 2>&1
  "$h5kit" dump "$sample" >"$tmp/dours" 2>&1
  if cmp -s "$tmp/dref" "$tmp/dours"; then
    echo "identical to h5dump ($(wc -l <"$tmp/dref") lines)"
  else
    diff "$tmp/dref" "$tmp/dours" | head -20
    echo "demo: output differs from h5dump" >&2
    exit 1
  fi
fi
