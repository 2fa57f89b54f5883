#!/usr/bin/env bash
# Dense storage built by h5kit (format/dense_build.c) read by the reference library.
# The unit test test_dense_build rebuilds the fractal heap and v2 B-tree indexes of groups with
# 9..5000 links (plain and creation-ordered) and of objects with 9..100 attributes and a 100 KiB
# one (a huge object) from files h5py wrote, and keeps, for each, a copy of the file whose Link
# Info / Attribute Info message points at the rebuilt structures. Here: h5dump of that object
# in the patched file must equal its dump in the original (the header line with the file name
# cut), h5py must list the same links / attributes (and values) in name and creation order,
# and libhdf5 must be able to add and delete members in the rebuilt structures.
#   bash tests/interop/test_dense_build.sh H5KIT WORKDIR
set -u
. "$(dirname "$0")/lib.sh"
lib_setup "$@" dense_build

UNIT="$(dirname "$H5KIT")/tests/test_dense_build"
[ -x "$UNIT" ] || die "unit test executable not found at $UNIT (build the test_dense_build target)"
command -v h5dump >/dev/null 2>&1 || die "h5dump not found"

files="$TMPD/files"
if timeout -k 5 300 "$UNIT" "$files" >"$TMPD/unit.out" 2>&1; then
  pass
else
  fail "test_dense_build $files" "unit test failed"
  details_ok && tail -n 15 "$TMPD/unit.out" | sed 's/^/    /'
fi
[ -f "$files/cases.txt" ] || die "the unit test wrote no cases (is h5py available to $PY?)"

ncases=0
while read -r name kind obj ordered; do
  ncases=$((ncases + 1))
  case $name in attrbig) opt=-d ;; *) opt=-g ;; esac
  h5dump "$opt" "$obj" "$files/dense.h5" 2>&1 | tail -n +2 >"$TMPD/orig.dump"
  h5dump "$opt" "$obj" "$files/$name.h5" 2>&1 | tail -n +2 >"$TMPD/patched.dump"
  if [ -s "$TMPD/orig.dump" ] && cmp -s "$TMPD/orig.dump" "$TMPD/patched.dump"; then
    pass
  else
    fail "h5dump $opt $obj $name.h5" "differs from the original file's dump"
    details_ok && diff "$TMPD/orig.dump" "$TMPD/patched.dump" | head -8
  fi
done <"$files/cases.txt"
"$PY" "$HERE/dense_build_check.py" "$files" >"$TMPD/check.out" 2>&1
while read -r status rest; do
  case $status in
    ok) pass ;;
    *) fail "h5py" "$status $rest" ;;
  esac
done <"$TMPD/check.out"
[ "$(grep -c '^ok ' "$TMPD/check.out")" -eq "$ncases" ] || fail "h5py" "$(tail -n 3 "$TMPD/check.out")"
[ $ncases -ge 12 ] || fail "cases" "only $ncases cases written"
echo "$ncases cases compared"
finish
