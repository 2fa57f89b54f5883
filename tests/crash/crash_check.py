"""crash_check.py -- check the file a killed crash_writer left (tests/crash/README.md).

    /usr/bin/python3 crash_check.py FILE SEED [--h5kit PATH]
    /usr/bin/python3 crash_check.py --batch LIST [--h5kit PATH]   (LIST: lines "FILE SEED")

Reads FILE.log (the commits the writer reported durable; k = the last one, none if empty) and:
  1. the file opens in h5py;
  2. it holds exactly the state of commit k or k + 1 (k + 1: the kill came after the superblock
     switch but before the log line), recomputed here from the seed (the rules are those of
     crash_writer.c, kept in step by hand);
  3. h5dump FILE exits 0 and prints nothing on stderr;
  4. with --h5kit: `h5kit ls -r FILE` exits 0 and prints what `h5ls -r FILE` prints.
An empty log with no file is NOFILE (killed before h5k_create opened it); an empty log with a
file h5py cannot open is CREATE-WINDOW (killed inside h5k_create before its first commit; see
README).

Prints one line: "OK commit=C log=K at=k|k+1", "NOFILE ...", "CREATE-WINDOW ..." or "FAIL ...".
Exit status 0 for OK, 4 for NOFILE, 3 for CREATE-WINDOW, 1 for FAIL, 2 for a usage error.
"""
import os
import subprocess
import sys

import h5py
import numpy as np

NY, NX = 64, 64
M64 = (1 << 64) - 1


def mix(x):
    x = (x + 0x9E3779B97F4A7C15) & M64
    z = x
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def rnd(seed, tag, i):
    return mix(mix(seed ^ ((tag << 48) & M64)) ^ i)


def steps_in_commit(seed, c):
    r = rnd(seed, 1, c)
    return 6 + (r >> 8) % 5 if r % 8 == 0 else 1 + r % 3


def steps_upto(seed, c):
    return sum(steps_in_commit(seed, k) for k in range(2, c + 1))


def to_i64(v):
    return v - (1 << 64) if v >= (1 << 63) else v


class Group:
    def __init__(self, s, seed):
        self.step = s
        self.ints = [s, 2 * s, to_i64(seed)]
        self.label = "g%d seed %d" % (s, seed)
        self.floats = [s + j / 4 for j in range(s % 5 + 1)]


def expected_state(seed, c):
    """The model of commit c: None for commit 0 (empty root), else a dict."""
    if c == 0:
        return None
    nsteps = steps_upto(seed, c)
    versions = []      # per frame
    live = []          # Group, creation order
    for s in range(1, nsteps + 1):
        r = rnd(seed, 2, s)
        versions.append(0)
        if r % 4 == 0:
            live.append(Group(s, seed))
        if (r >> 8) % 5 == 0 and live:
            g = live[(r >> 16) % len(live)]
            g.ints = [-s, s, 7]
            g.label = "rewritten at %d" % s
        if (r >> 24) % 7 == 0 and len(live) >= 3:
            del live[(r >> 32) % len(live)]
        if (r >> 40) % 6 == 0:
            versions[(r >> 48) % s] = s
    return {"commit": c, "steps": nsteps, "versions": versions, "live": live}


def frames(seed, versions):
    i = np.arange(len(versions), dtype=np.uint64)[:, None, None]
    v = np.array(versions, dtype=np.uint64)[:, None, None]
    y = np.arange(NY, dtype=np.uint64)[None, :, None]
    x = np.arange(NX, dtype=np.uint64)[None, None, :]
    return ((i * 257 + y * 64 + x + seed * 31 + v * 7) % 65536).astype(np.uint16)


def as_str(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def compare(f, seed, exp):
    """None if the open h5py file f holds exp, else what differs."""
    root_attrs = sorted(f.attrs.keys())
    names = sorted(f.keys())
    if exp is None:
        if root_attrs or names:
            return "commit 0 should be an empty root, found attrs %s members %s" % (root_attrs, names)
        return None
    if root_attrs != ["commit", "seed", "steps"]:
        return "root attributes %s" % root_attrs
    if int(f.attrs["seed"]) != seed or f.attrs["seed"].dtype != np.uint64:
        return "seed attribute %r" % f.attrs["seed"]
    if int(f.attrs["steps"]) != exp["steps"] or f.attrs["steps"].dtype != np.int64:
        return "steps %r, expected %d" % (f.attrs["steps"], exp["steps"])
    want = sorted(["data"] + ["g%d" % g.step for g in exp["live"]])
    if names != want:
        return "members %s, expected %s" % (names, want)
    d = f["data"]
    if not isinstance(d, h5py.Dataset) or d.dtype != np.uint16 or d.maxshape != (None, NY, NX) \
            or d.chunks != (4, NY, NX):
        return "/data: dtype %s maxshape %s chunks %s" % (d.dtype, d.maxshape, d.chunks)
    if len(d.attrs):
        return "/data has attributes %s" % sorted(d.attrs.keys())
    if d.shape != (exp["steps"], NY, NX):
        return "/data shape %s, expected %s" % (d.shape, (exp["steps"], NY, NX))
    got = d[...]
    ref = frames(seed, exp["versions"])
    if not np.array_equal(got, ref):
        bad = np.nonzero((got != ref).any(axis=(1, 2)))[0]
        return "/data frames differ: %s" % bad[:10].tolist()
    for g in exp["live"]:
        name = "g%d" % g.step
        grp = f[name]
        if not isinstance(grp, h5py.Group) or len(grp):
            return "/%s is not an empty group" % name
        keys = sorted(grp.attrs.keys())
        if keys != ["floats", "ints", "label", "step"]:
            return "/%s attributes %s" % (name, keys)
        a = grp.attrs
        if a["step"].dtype != np.int32 or int(a["step"]) != g.step:
            return "/%s step %r" % (name, a["step"])
        if a["ints"].dtype != np.int64 or a["ints"].tolist() != g.ints:
            return "/%s ints %r, expected %r" % (name, a["ints"], g.ints)
        if as_str(a["label"]) != g.label:
            return "/%s label %r, expected %r" % (name, a["label"], g.label)
        if a["floats"].dtype != np.float64 or a["floats"].tolist() != g.floats:
            return "/%s floats %r, expected %r" % (name, a["floats"], g.floats)
    return None


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    return p.returncode, p.stdout, p.stderr


def check_one(path, seed, h5kit):
    """(exit status, result line) for one file."""
    try:
        with open(path + ".log") as lf:
            lines = [ln.strip() for ln in lf if ln.strip()]
    except FileNotFoundError:
        lines = []
    k = int(lines[-1]) if lines else -1
    logtxt = str(k) if k >= 0 else "none"

    if not os.path.exists(path) and k < 0:
        return 4, "NOFILE killed before h5k_create made the file"
    try:
        f = h5py.File(path, "r")
    except Exception as e:  # noqa: BLE001 -- any failure to open is the finding
        size = os.path.getsize(path) if os.path.exists(path) else -1
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        if k < 0:
            return 3, "CREATE-WINDOW log empty, file of %d bytes does not open: %s" % (size, first)
        return 1, "FAIL h5py cannot open (log=%s, %d bytes): %s" % (logtxt, size, first)
    with f:
        try:
            c = int(f.attrs["commit"]) if "commit" in f.attrs else 0
        except Exception as e:  # noqa: BLE001
            return 1, "FAIL cannot read the commit attribute: %s" % e
        if c not in (k, k + 1):
            return 1, "FAIL file holds commit %d, log says %s (expected %s or %d)" % (c, logtxt, logtxt, k + 1)
        try:
            why = compare(f, seed, expected_state(seed, c))
        except Exception as e:  # noqa: BLE001
            why = "reading failed: %s: %s" % (type(e).__name__, str(e).splitlines()[0] if str(e) else "")
        if why:
            return 1, "FAIL commit %d (log=%s): %s" % (c, logtxt, why)

    rc, _, err = run(["h5dump", path])
    if rc != 0 or err:
        return 1, "FAIL h5dump exit %d, stderr: %s" % (rc, err.decode(errors="replace").strip().splitlines()[:2])
    if h5kit:
        rc, out, err = run([h5kit, "ls", "-r", path])
        rrc, rout, _ = run(["h5ls", "-r", path])
        if rc != 0:
            return 1, "FAIL h5kit ls -r exit %d: %s" % (rc, err.decode(errors="replace").strip()[:200])
        if out != rout:
            return 1, "FAIL h5kit ls -r differs from h5ls -r"
    return 0, "OK commit=%d log=%s at=%s" % (c, logtxt, "k" if c == k else "k+1")


def main():
    args = sys.argv[1:]
    h5kit = None
    if "--h5kit" in args:
        i = args.index("--h5kit")
        h5kit = args[i + 1]
        del args[i:i + 2]
    if len(args) == 2 and args[0] == "--batch":
        # one "FILE SEED" per line; prints "FILE<TAB>result" per line; exit 1 if any FAIL
        worst = 0
        with open(args[1]) as lst:
            for ln in lst:
                if not ln.strip():
                    continue
                path, seed = ln.rsplit(None, 1)
                code, line = check_one(path, int(seed), h5kit)
                print("%s\t%s" % (path, line), flush=True)
                worst = 1 if code == 1 or worst == 1 else max(worst, code)
        return worst
    if len(args) != 2:
        print("usage: crash_check.py FILE SEED [--h5kit PATH] | --batch LIST [--h5kit PATH]", file=sys.stderr)
        return 2
    code, line = check_one(args[0], int(args[1]), h5kit)
    print(line)
    return code


if __name__ == "__main__":
    sys.exit(main())
