#!/usr/bin/env bash
# `h5kit ls` argument handling and edge cases against `h5ls`, run live as the oracle: options,
# FILE/PATH splitting (trailing and doubled slashes, ".", soft links inside paths), several
# arguments (names prefixed with the file), missing objects (**NOT FOUND**, no newline, stop),
# files that do not open, corrupt groups, name escaping, "same as" for hard links and cycles,
# soft/external links, and long names and big dimensions. Whole-file comparisons are in
# test_ls_generated.sh and test_ls_corpus.sh.
#   bash tests/interop/test_ls_cli.sh H5KIT WORKDIR
# Modes of a case:
#   same     stdout byte-identical, same exit status; on failure our stderr is h5ls's stderr
#            with " (REASON)" appended to each "unable to open file" line
#   status   same exit status only (help and usage texts are our own); when failing, our
#            stdout is empty and our stderr exactly one line
#   partial  a listing that hits a corrupt object, or a path through an external link (which
#            h5kit does not follow): we exit 1 with exactly one stderr line and our stdout is a
#            prefix of what h5ls prints (h5ls itself may exit 0 there)
set -u
. "$(dirname "$0")/lib.sh"
lib_setup "$@" ls_cli

DATA=$WORK/data
if [ ! -f "$DATA/.stamp" ] || [ "$0" -nt "$DATA/.stamp" ]; then
  rm -rf "$DATA"
  mkdir -p "$DATA"
  (cd "$DATA" && "$PY" - <<'EOF') || die "generating test files failed"
import h5py, numpy as np

for lv in ("earliest", "latest"):
    with h5py.File(f"t_{lv}.h5", "w", libver=lv) as f:
        f.create_group("a/b").create_dataset("d", data=np.arange(21))
        f.create_dataset("d2", data=np.zeros((2, 5, 100)))
        f.create_dataset("unl", shape=(10,), maxshape=(None,), dtype="i4")
        f.create_dataset("lim", shape=(10, 5), maxshape=(20, 5), dtype="i4")
        f.create_dataset("scal", data=1.0)
        f.create_dataset("nul", data=h5py.Empty("f"))
        f["typ"] = np.dtype("i8")
        f["typ2"] = f["typ"]
        f["soft"] = h5py.SoftLink("/a")
        f["dangling"] = h5py.SoftLink("/nowhere")
        f["ext"] = h5py.ExternalLink("other.h5", "/x/y")
        f["ext_rel"] = h5py.ExternalLink("other.h5", "x/y")
        f["hard_d"] = f["d2"]
        f["a/hard_g"] = f["a/b"]
        f["a/b/cycle"] = f["a"]
        f["l1"] = h5py.SoftLink("/l2")
        f["l2"] = h5py.SoftLink("/l1")
        f["a/relb"] = h5py.SoftLink("b")
        f["rel"] = h5py.SoftLink("a/b")
        f.create_group("name with space").create_dataset("in side", data=1)
        f.create_group("\u00fcn\u00efcode")
        f.create_group("\x01ctl\x7f")
        for n in ("tab\there", "nl\nhere", "cr\rhere", "bs\\here", 'q"uote', "x" * 30,
                  "e" * 24, "f" * 23, "~!@#$%^&*()_+{}|:<>?`-=[];',."):
            f.create_dataset(n, data=1)
        f.create_dataset("big", shape=(2**33, 3), dtype="i1", chunks=(1024, 3))
        f.create_group("empty")

with h5py.File("long.h5", "w", libver="latest") as f:
    f.create_group("L" * 100)
    f.create_dataset("r32", shape=(1,) * 32, dtype="i1")
    f.create_dataset("big7", shape=(123456789,) * 3 + (1,) * 4, maxshape=(None,) * 7,
                     dtype="i1", chunks=(1,) * 7)
    f.create_dataset("huge", shape=(2**62,), maxshape=(2**63,), dtype="i1", chunks=(1024,))
    f["pct"] = h5py.SoftLink("a%%b%")        # h5ls uses link targets as printf formats
    f["pct2"] = h5py.ExternalLink("f%%ile", "/p%%ath")
    f.create_dataset("n%d%%", data=1)
    f["g" + "M" * 90] = h5py.SoftLink("/" + "T" * 100)
    f["sp"] = h5py.SoftLink("/tar get\twith\"q\\\u00fc")
    f["root"] = f["/"]
    g = f.create_group("deep")
    for i in range(40):
        g = g.create_group("level%02d" % i)
    g.create_dataset("bottom", data=1)
    f.create_group("K" * 2100)               # longer than h5ls's FILE/NAME buffer

for lv in ("earliest", "latest"):
    name = f"corrupt_{lv}.h5"
    with h5py.File(name, "w", libver=lv) as f:
        f.create_group("a")
        f.create_group("b/inner")
        f.create_group("c")
        f["b"].create_dataset("dd", data=[1, 2, 3])
    with h5py.File(name, "r") as f:
        addr = h5py.h5o.get_info(f["b"].id).addr
    data = bytearray(open(name, "rb").read())
    data[addr:addr + 4] = b"XXXX"            # group b's object header is garbage
    open(name, "wb").write(bytes(data))

open("plain.txt", "w").write("not an HDF5 file\n" * 100)
open("empty.bin", "w").close()
EOF
  cp "$DATA/t_latest.h5" "$DATA/sp ace.h5"
  mkdir -p "$DATA/adir"
  touch "$DATA/.stamp"
fi
cd "$DATA" || die "no $DATA"

# Our stderr with each " (REASON)" after "unable to open file" removed.
strip_reasons() { sed -E 's/^(.*: unable to open file) \(.*\)$/\1/' "$1"; }

check() {
  local mode=$1 label rrc orc
  shift
  label="[$mode] h5kit ls $*"
  run_ref "$TMPD/ref" "$@"
  rrc=$RC
  run_ours "$TMPD/our" ls "$@"
  orc=$RC
  if sanitizer_report "$TMPD/our.err"; then
    fail "$label" "sanitizer report"
    details_ok && grep -m 3 -E 'ERROR:|runtime error:' "$TMPD/our.err" | sed 's/^/    /'
    return
  fi
  if [ $orc -ge 124 ]; then
    fail "$label" "timed out or killed (status $orc)"
    return
  fi
  case $mode in
    same)
      if [ $orc -ne $rrc ]; then
        fail "$label" "exit status $orc, h5ls exits $rrc"
        details_ok && head -c 300 "$TMPD/our.err"
      elif ! cmp -s "$TMPD/ref.out" "$TMPD/our.out"; then
        fail "$label" "stdout differs from h5ls (< h5ls, > h5kit)"
        details_ok && { diff "$TMPD/ref.out" "$TMPD/our.out" | head -8; head -c 300 "$TMPD/our.err"; }
      elif [ $orc -ne 0 ] && ! strip_reasons "$TMPD/our.err" | cmp -s - "$TMPD/ref.err"; then
        fail "$label" "stderr is not h5ls's with reasons appended"
        details_ok && { cat "$TMPD/ref.err"; cat "$TMPD/our.err"; }
      elif grep -q 'unable to open file$' "$TMPD/our.err"; then
        fail "$label" "an 'unable to open file' line without its reason"
      else
        pass
      fi
      ;;
    status)
      if [ $orc -ne $rrc ]; then
        fail "$label" "exit status $orc, h5ls exits $rrc"
      elif [ $orc -ne 0 ] && { [ -s "$TMPD/our.out" ] || [ "$(line_count "$TMPD/our.err")" -ne 1 ]; }; then
        fail "$label" "failing, but stdout not empty or stderr not exactly one line"
        details_ok && head -c 300 "$TMPD/our.err"
      else
        pass
      fi
      ;;
    partial)
      local n
      n=$(stat -c %s "$TMPD/our.out")
      if [ $orc -ne 1 ]; then
        fail "$label" "exit status $orc, expected 1"
      elif [ "$(line_count "$TMPD/our.err")" -ne 1 ]; then
        fail "$label" "stderr is not exactly one line"
        details_ok && head -c 300 "$TMPD/our.err"
      elif ! head -c "$n" "$TMPD/ref.out" | cmp -s - "$TMPD/our.out"; then
        fail "$label" "stdout is not a prefix of h5ls's"
        details_ok && diff "$TMPD/ref.out" "$TMPD/our.out" | head -8
      else
        pass
      fi
      ;;
  esac
}

for T in t_earliest.h5 t_latest.h5; do
  # whole file, both modes, and the ways of naming the root
  check same "$T"
  check same -r "$T"
  check same "$T/"
  check same -r "$T/"
  check same "$T//"
  check same -r "$T//"
  check same "$T/."
  check same "$T/./"
  # groups, datasets, types, by path
  check same "$T/a"
  check same -r "$T/a"
  check same "$T/a/"
  check same -r "$T/a/"
  check same "$T//a"
  check same -r "$T//a"
  check same "$T/./a"
  check same -r "$T/./a"
  check same "$T/a//b"
  check same "$T/a/."
  check same -r "$T/a/."
  check same "$T/a/b/d"
  check same -r "$T/a/b/d"
  check same "$T/a/b/d/"
  check same -r "$T/a/b/d/"
  check same "$T/empty"
  check same -r "$T/empty"
  check same "$T/typ"
  check same "$T/typ2"
  check same "$T/hard_d"
  check same "$T/big"
  check same "$T/unl"
  check same "$T/lim"
  check same "$T/scal"
  check same "$T/nul"
  # hard links to groups: "same as", cycles, the start group counted when it has two links
  check same "$T/a/hard_g"
  check same -r "$T/a/hard_g"
  check same -r "$T/a/b/cycle"
  check same "$T/a/b/cycle/b/cycle"
  check same -r "$T/a/b/cycle/b/cycle"
  # soft and external links: named directly (not followed), and inside paths (followed)
  check same "$T/soft"
  check same -r "$T/soft"
  check same "$T/soft/"
  check same "$T/soft/b"
  check same -r "$T/soft/b"
  check same "$T/rel/d"
  check same "$T/a/relb"
  check same -r "$T/a/relb/"
  check same "$T/a/relb/d"
  check same "$T/dangling"
  check same "$T/ext"
  check same "$T/ext_rel"
  check same "$T/l1"
  # names that need escaping
  check same "$T/name with space"
  check same -r "$T/name with space"
  check same -r "$T/name with space/in side"
  check same "$T/tab	here"
  check same -r "$T/$(printf 'nl\nhere')"
  check same "$T/$(printf '\303\274n\303\257code')"
  check same -r "$T/$(printf '\001ctl\177')"
  # missing objects: padding, escaping, and listing stops at the first
  check same "$T/nosuch"
  check same -r "$T/nosuch"
  check same "$T/a/nosuch"
  check same -r "$T/a/nosuch"
  check same "$T/$(printf 'N%.0s' {1..11})"
  check same "$T/$(printf 'N%.0s' {1..30})"
  check same -r "$T/name with space/no such"
  check same -r "$T/$(printf '\303\274n\303\257code')/zz"
  check same "$T/a/b/d/x"
  check same "$T/dangling/x"
  check same "$T/l1/x"
  check same "$T/.."
  check same "$T/a/../a"
  check same "$T/nosuch" "$T/a"
  check same "$T/a" "$T/nosuch" "$T"
done

T=t_latest.h5
# several arguments: names carry "FILE/" (with -r) and the files stay separate
check same "$T" t_earliest.h5
check same -r "$T" t_earliest.h5
check same -r "$T/a" "$T/a/b/d"
check same "$T/a" "$T/a/b/d"
check same -r "$T/soft" long.h5/
check same -r "./$T/a/b" "$DATA/$T/a/b"
check same -r "$T/a/b/d/" "$T/a/b/d//"
check same -r "$T/a/b/d" "$T/nosuch"
check same "sp ace.h5" "sp ace.h5/a"
check same -r "sp ace.h5" "$T/name with space"
check same -r long.h5 "$T/a"
# files that do not open: reported, the others still listed, exit 1
check same nofile.h5
check same nofile.h5/x
check same plain.txt
check same plain.txt/a
check same empty.bin
check same adir
check same adir/t.h5
check same "$DATA/adir"
check same nofile.h5 "$T/a"
check same "$T/a" nofile.h5
check same "$T/a" nofile.h5 plain.txt "$T"
check same "$T/a" nofile.h5 "$T/nosuch" "$T"
# long names, many and big dimensions, printf-like link targets, root linked twice, depth
check same long.h5
check same -r long.h5
check same long.h5/root
check same -r long.h5/root
check same -r long.h5/root/root/r32
check same long.h5/root/root/r32
check same long.h5/huge
check same long.h5/pct
check same long.h5/pct2
check same long.h5/sp
check same -r long.h5/deep
check same -r long.h5/deep/level00/level01/level02
check same -r long.h5 "$T/a"
check same "long.h5/$(printf 'K%.0s' {1..1000})"
check same -r long.h5/deep/level00 "$T/a" long.h5 "$T/a" "$T/a/b/d" "$T/soft"
check same -r "$T/a" long.h5/deep/level00/level01 long.h5/deep/level00 "$T"
# options
check same -- "$T/a"
check same - "$T/a"
check same -rr "$T/a"
check same --recursive "$T/a"
check same "$T/a" -r
check status -h
check status --help
check status -rh "$T"
check status '-?'
check status
check status -r
check status -z "$T"
check status -rz "$T"
check status --bogus "$T"
check status --recurs "$T"
# corrupt groups: what was listed, then one line on stderr, exit 1
for C in corrupt_earliest.h5 corrupt_latest.h5; do
  check partial "$C"
  check partial -r "$C"
  check partial "$C/b"
  check partial -r "$C/b/inner"
  check partial "$C" "$T/a"
done
check partial "$T/ext/x"
check partial -r "$T/ext/x/y"

# the dispatcher itself (no h5ls counterpart)
run_ours "$TMPD/our" --version
if [ $RC -eq 0 ] && [ "$(line_count "$TMPD/our.out")" -eq 1 ] && grep -q '^h5kit [0-9]' "$TMPD/our.out"; then pass; else fail "h5kit --version" "status $RC or not one 'h5kit X.Y.Z' line"; fi
run_ours "$TMPD/our" --help
if [ $RC -eq 0 ] && grep -q 'ls' "$TMPD/our.out"; then pass; else fail "h5kit --help" "status $RC or no 'ls' in the text"; fi
run_ours "$TMPD/our" nosuchcommand
if [ $RC -eq 1 ] && [ "$(line_count "$TMPD/our.err")" -eq 1 ] && [ ! -s "$TMPD/our.out" ]; then pass; else fail "h5kit nosuchcommand" "status $RC or stderr not one line"; fi

finish
