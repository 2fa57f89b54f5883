#!/usr/bin/env bash
# The writing API against the reference implementation: write_driver.c (compiled here against
# <build>/libh5kit.a, with AddressSanitizer when the compiler has it) writes files in both
# profiles, and h5py (write_api_check.py) checks every value, type, attribute and link; h5dump
# must read each file without a word on stderr. Also:
#  - modify: files h5py wrote (libver earliest and latest) are opened read-write and changed;
#    h5py sees the changes, and h5dump of every object not changed is identical before/after;
#  - bad: invalid calls fail with a message and leave the file unchanged (h5dump identical to
#    the same content written without them), on a new file, on a reopened file, and on a
#    read-only handle.
# Usage (ctest): bash test_write_api.sh H5KIT WORKDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lib_setup "$@" write_api
compile_driver write_driver
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

# drive LABEL ARGS...: run the driver; it must exit 0 (its FAIL lines are shown) with no sanitizer report.
drive() {
  local label=$1
  shift
  { timeout -k 5 300 "$DRV" "$@" >"$TMPD/drv.out" 2>"$TMPD/drv.err" </dev/null; } 2>/dev/null
  local rc=$?
  if sanitizer_report "$TMPD/drv.err"; then
    fail "$label" "sanitizer report"
    grep -m 4 -E 'ERROR:|runtime error:|#[12] ' "$TMPD/drv.err" | sed 's/^/    /'
  fi
  if [ $rc -ne 0 ]; then
    [ -s "$TMPD/drv.out" ] && grep -q '^FAIL' "$TMPD/drv.out" && { fail "$label" "driver reported failures"; grep '^FAIL' "$TMPD/drv.out" | head -10 | sed 's/^/    /'; return 1; }
    sanitizer_report "$TMPD/drv.err" || fail "$label" "driver exit status $rc: $(tail -c 300 "$TMPD/drv.err")"
    return 1
  fi
  pass
}

# h5dump_clean LABEL FILE: exit 0 and nothing on stderr.
h5dump_clean() {
  if timeout -k 5 "$CMD_TIMEOUT" h5dump "$2" >"$TMPD/dump.out" 2>"$TMPD/dump.err" && [ ! -s "$TMPD/dump.err" ]; then
    pass
  else
    fail "$1: h5dump" "$(head -c 300 "$TMPD/dump.err")"
  fi
}

pycheck() {
  local label=$1
  shift
  if timeout -k 5 300 "$PY" "$HERE/write_api_check.py" "$@" >"$TMPD/py.out" 2>&1; then
    pass
  else
    fail "$label" "h5py check failed"
    head -12 "$TMPD/py.out" | sed 's/^/    /'
  fi
}

# dump_body FILE [h5dump options]: h5dump output without its first line (which names the file).
dump_body() {
  local f=$1
  shift
  h5dump "$@" "$f" 2>&1 | tail -n +2
}

for profile in compat latest; do
  D=$TMPD/$profile
  mkdir -p "$D"
  for sc in types layouts attrs links; do
    out=$D/$sc.h5
    drive "$sc ($profile)" "$sc" "$out" $profile || [ -f "$out" ] || continue
    h5dump_clean "$sc ($profile)" "$out"
    pycheck "$sc ($profile)" $sc $profile "$out"
  done

  # ---- invalid calls: the file stays as the same content written without them --------------------
  drive "bad build ($profile)" bad "$D/base.h5" $profile build
  dump_body "$D/base.h5" >"$D/base.dump"
  drive "bad build+bad ($profile)" bad "$D/bb.h5" $profile build+bad
  cp "$TMPD/drv.out" "$WORK/messages-$profile.txt" # the messages, for reading
  if dump_body "$D/bb.h5" | cmp -s - "$D/base.dump"; then pass; else
    fail "bad build+bad ($profile)" "h5dump differs from the file written without the invalid calls"
    dump_body "$D/bb.h5" | diff "$D/base.dump" - | head -10 | sed 's/^/    /'
  fi
  cp "$D/base.h5" "$D/re.h5"
  drive "bad reopen-bad ($profile)" bad "$D/re.h5" $profile reopen-bad
  if dump_body "$D/re.h5" | cmp -s - "$D/base.dump"; then pass; else
    fail "bad reopen-bad ($profile)" "h5dump changed after invalid calls and a flush"
    dump_body "$D/re.h5" | diff "$D/base.dump" - | head -10 | sed 's/^/    /'
  fi
  cp "$D/base.h5" "$D/ro.h5"
  drive "bad readonly ($profile)" bad "$D/ro.h5" $profile readonly
  cmp -s "$D/ro.h5" "$D/base.h5" && pass || fail "bad readonly ($profile)" "a read-only handle changed the file"
done

# ---- files h5py wrote, changed in place -------------------------------------------------------------------
for libver in earliest latest; do
  D=$TMPD/modify-$libver
  mkdir -p "$D"
  "$PY" "$HERE/write_api_check.py" make-modify "$D/orig.h5" $libver || die "h5py could not write the file to modify"
  cp "$D/orig.h5" "$D/mod.h5"
  drive "modify ($libver)" modify "$D/mod.h5" compat
  h5dump_clean "modify ($libver)" "$D/mod.h5"
  pycheck "modify ($libver)" modify $libver "$D/mod.h5" "$D/orig.h5"
  # Objects the driver did not touch dump identically (data, attributes, types, layouts).
  for obj in "-d /untouched" "-g /other" "-a /grp/keep" "-a /grp/chunked/units" "-a /root_keep" "-l /soft"; do
    # shellcheck disable=SC2086
    if [ "$(dump_body "$D/orig.h5" $obj)" = "$(dump_body "$D/mod.h5" $obj)" ]; then pass; else
      fail "modify ($libver): h5dump $obj" "differs after the change"
      # shellcheck disable=SC2086
      diff <(dump_body "$D/orig.h5" $obj) <(dump_body "$D/mod.h5" $obj) | head -8 | sed 's/^/    /'
    fi
  done
  # The dataset h5kit wrote into keeps its storage properties (chunks, filters, fill value).
  if [ "$(h5dump -p -H -d /grp/chunked "$D/orig.h5" | sed "/ATTRIBUTE/,\$d" | grep -E 'CHUNKED|COMPRESSION|LEVEL|FILL|ALLOCATION|DATATYPE' | grep -v SIZE)" = \
       "$(h5dump -p -H -d /grp/chunked "$D/mod.h5" | sed "/ATTRIBUTE/,\$d" | grep -E 'CHUNKED|COMPRESSION|LEVEL|FILL|ALLOCATION|DATATYPE' | grep -v SIZE)" ]; then pass; else
    fail "modify ($libver)" "storage properties of /grp/chunked changed"
  fi
done
finish
