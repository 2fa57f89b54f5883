#!/usr/bin/env bash
# Deleting, moving, resizing and overwriting inside files written by other software: every file
# of the shared corpus and every file gen_files.py writes is copied and changed by
# modify_ops_driver.c (h5kit's public API, read-write open), which picks a deterministic plan from
# what the file holds and prints the plan it carried out:
#   round 1 - overwrite a corner hyperslab of a numeric contiguous and of a numeric chunked dataset,
#             grow a chunked dataset (up to its maximum) and shrink another, unlink a dataset and a
#             group and one name of an object with several hard links, move a dataset into the
#             root group (hard link + unlink), delete an attribute, add a soft link; commit;
#   round 2 - reopen the file h5kit rewrote: unlink another dataset and an existing soft/external
#             link, add attributes to the moved dataset and to a deep object (below a group with
#             several hard links when there is one), write into the grown part, move a group,
#             create a group; commit.
# Then:
#   - modify_ops_check.py (h5py) replays the plan on a model of the ORIGINAL file and compares the
#     model with the changed file: every link, object, attribute, dataset property and value equal,
#     except what the plan changed, which must be as the plan says;
#   - h5dump of the changed file exits 0 with nothing on stderr.
# A file h5kit refuses to change (H5K_EUNSUPPORTED: shared object header messages, ...) must be
# refused with a message and left byte for byte as it was; so must a file h5kit cannot open for
# writing for another reason, when libhdf5 (h5py "r+") cannot either. Files h5dump cannot read,
# and the two whose full dumps take minutes, are skipped (counted).
#   bash tests/interop/test_modify_ops.sh H5KIT WORKDIR          (ONLY=NAME: just that file)
# A failure prints the plan; to reproduce it by hand:
#   modify_ops_driver --replay COPY <PLAN;  modify_ops_check.py ORIGINAL COPY PLAN
set -u
. "$(dirname "$0")/lib.sh"
lib_setup "$@" modify_ops
command -v h5dump >/dev/null 2>&1 || die "h5dump not found (install hdf5-tools: bash scripts/deps.sh)"
"$PY" -c 'import h5py, numpy' 2>/dev/null || die "h5py/numpy missing for $PY"
compile_driver modify_ops_driver

D=$TMPD/files
copy_test_files "$D"
ORIG=$TMPD/orig
mkdir -p "$ORIG"
# h5py_refuses FILE: libhdf5 will not open (a scratch copy of) FILE for writing.
h5py_refuses() {
  cp "$1" "$TMPD/probe" && ! "$PY" -c 'import sys, h5py; h5py.File(sys.argv[1], "r+").close()' "$TMPD/probe" 2>/dev/null
}
SLOW=" isssue-523.hdf5 tiny_huge_1d_over_maxint.hdf5 "
ONLY=${ONLY:-}   # ONLY=name.h5 runs one file (debugging)
skipped=0
refused=0
changed=0
declare -A OPS=()
for path in "$D"/*; do
  name=$(basename "$path")
  case $name in *.h5 | *.hdf5) ;; *) continue ;; esac
  [ -z "$ONLY" ] || [ "$name" = "$ONLY" ] || continue
  case $SLOW in *" $name "*) skipped=$((skipped + 1)); continue ;; esac
  if ! (cd "$D" && timeout -k 5 "$CMD_TIMEOUT" h5dump "$name" >/dev/null 2>&1); then
    skipped=$((skipped + 1))
    continue
  fi
  cp "$path" "$ORIG/$name"
  { (cd "$D" && timeout -k 5 "$CMD_TIMEOUT" "$DRV" "$name" >"$TMPD/plan" 2>"$TMPD/drv.err"); } 2>/dev/null
  rc=$?
  if [ $rc -eq 3 ]; then
    # refused (H5K_EUNSUPPORTED): nothing may have changed
    if cmp -s "$path" "$ORIG/$name"; then
      refused=$((refused + 1))
      pass
    else
      fail "$name" "refused ($(grep -m1 '^REFUSED' "$TMPD/plan")) but the file was changed"
    fi
    continue
  elif [ $rc -eq 4 ] && cmp -s "$path" "$ORIG/$name" && h5py_refuses "$ORIG/$name"; then
    # h5kit will not open it for writing, and neither will libhdf5 (e.g. marked as open by a
    # writer): refused alike, left untouched
    refused=$((refused + 1))
    pass
    continue
  elif [ $rc -ne 0 ]; then
    why=$(grep -m1 -E '^(FAILED|REFUSED)' "$TMPD/plan")
    [ -n "$why" ] || why="exit status $rc: $(head -c 300 "$TMPD/drv.err")"
    fail "$name" "modify_ops_driver: $why"
    details_ok && grep -v -E '^(FAILED|REFUSED)' "$TMPD/plan" | sed 's/^/    done before: /' | head -12
    continue
  fi
  for op in $(awk '$1 != "commit" { print $1 }' "$TMPD/plan"); do OPS[$op]=$((${OPS[$op]:-0} + 1)); done
  changed=$((changed + 1))
  bad=
  timeout -k 5 "$CMD_TIMEOUT" "$PY" "$HERE/modify_ops_check.py" "$ORIG/$name" "$path" "$TMPD/plan" \
    >"$TMPD/check.out" 2>&1 || bad="the changed file is not what the plan says (modify_ops_check.py)"
  (cd "$D" && timeout -k 5 "$CMD_TIMEOUT" h5dump "$name" >/dev/null 2>"$TMPD/dump.err")
  drc=$?
  if [ $drc -ne 0 ] || [ -s "$TMPD/dump.err" ]; then
    bad="${bad:+$bad; }h5dump of the changed file: exit $drc, stderr: $(head -c 300 "$TMPD/dump.err" | tr '\n' ' ')"
  fi
  if [ -z "$bad" ]; then
    pass
    continue
  fi
  fail "$name" "$bad"
  if details_ok; then
    sed 's/^/    plan: /' "$TMPD/plan"
    head -15 "$TMPD/check.out" | sed 's/^/    /'
  fi
done
summary=
for op in $(printf '%s\n' "${!OPS[@]}" | sort); do summary="$summary $op=${OPS[$op]}"; done
echo "modify_ops: $changed files changed ($((PASSED - refused)) as planned), $refused refused unchanged, $skipped skipped; operations:${summary:- none}"
finish
