"""Check the files the example programs (examples/*.c) write, with h5py as the oracle.

Usage: write_examples_check.py EXAMPLE PROFILE FILE [ARGS...]
  EXAMPLE  tutorial | resize | delete_repack | detector | nexus_links | archive
  PROFILE  compat | latest (checked through the superblock version)
Prints one line per failed check and exits 1 if any failed. The expected values are derived here
from what each example documents, independently of h5kit.
"""
import math
import os
import sys

import h5py
import numpy as np

FAILS = []


def check(cond, what):
    if not cond:
        FAILS.append(what)
    return cond


def check_profile(path, profile):
    with open(path, "rb") as fh:
        head = fh.read(9)
    check(head[:8] == b"\x89HDF\r\n\x1a\n", "no superblock signature at 0")
    want = 0 if profile == "compat" else 3
    check(head[8] == want, f"superblock version {head[8]}, expected {want} for {profile}")


def vlen_str(v):
    return v.decode() if isinstance(v, bytes) else v


def tutorial(path, args):
    with h5py.File(path, "r") as f:
        d = f["/deeply/nested/group/my_data"]
        check(d.shape == (10, 10, 10, 10), f"my_data shape {d.shape}")
        check(d.dtype == np.dtype("<i4"), f"my_data dtype {d.dtype}")
        want = np.arange(10000, dtype="<i4").reshape(10, 10, 10, 10)
        want[5:6, 3:4, 2:4, 8:] = np.array([-1, -2, -3, -4]).reshape(1, 1, 2, 2)
        got = d[...]
        check(np.array_equal(got, want), f"my_data values differ at {np.argwhere(got != want)[:5].tolist()}")
        o = f["/deeply/path/elsewhere/other"]
        check(o.shape == (5, 5) and o.dtype == np.dtype("<f8"), f"other shape/dtype {o.shape} {o.dtype}")
        check(np.array_equal(o[...], (np.arange(25) * 0.25).reshape(5, 5)), "other values")
        a = d.attrs
        check(sorted(a.keys()) == ["count", "scale", "units", "valid"], f"attribute names {sorted(a.keys())}")
        check(a.get("count") == 42 and a["count"].dtype == np.dtype("<i4"), f"count = {a.get('count')!r}")
        check(a.get("scale") == 2.5 and a["scale"].dtype == np.dtype("<f8"), f"scale = {a.get('scale')!r}")
        u = a.get("units")
        check(vlen_str(u) == "counts per second", f"units = {u!r}")
        tid = d.attrs.get_id("units").get_type()
        check(tid.is_variable_str() and tid.get_cset() == h5py.h5t.CSET_UTF8, "units is not a vlen UTF-8 string")
        v = a.get("valid")
        check(isinstance(v, (np.bool_, bool)) and bool(v) is True, f"valid = {v!r} ({type(v)})")
        for g in ["/deeply", "/deeply/nested", "/deeply/nested/group", "/deeply/path", "/deeply/path/elsewhere"]:
            check(isinstance(f.get(g), h5py.Group), f"{g} is not a group")
        check(sorted(f["/deeply"].keys()) == ["nested", "path"], f"/deeply holds {sorted(f['/deeply'].keys())}")


def resize(path, args):
    with h5py.File(path, "r") as f:
        check(list(f.keys()) == ["table"], f"root holds {list(f.keys())}")
        d = f["table"]
        check(d.shape == (20000, 10), f"table shape {d.shape}")
        check(d.maxshape == (100000, 10), f"table maxshape {d.maxshape}")
        check(d.dtype == np.dtype("<i4"), f"table dtype {d.dtype}")
        check(d.chunks is not None, "table is not chunked")
        want = (np.arange(20000)[:, None] * 10 + np.arange(10)[None, :]).astype("<i4")
        got = d[...]
        check(np.array_equal(got, want), f"table values differ at {np.argwhere(got != want)[:5].tolist()}")


def delete_repack(path, args):
    with h5py.File(path, "r") as f:
        check(sorted(f.keys()) == ["keep"], f"root holds {sorted(f.keys())} (expected only keep)")
        k = f.get("keep")
        if check(k is not None, "keep missing"):
            check(k.dtype == np.dtype("<f8") and np.array_equal(k[...], np.arange(1000.0)), "keep values")
        names = []
        f.visit(names.append)
        check(names == ["keep"], f"visit sees {names}")


def poisson_frames(n):
    """The example's generator: splitmix64 seeded 12345, Knuth's method with exp(-0.6)."""
    mask = (1 << 64) - 1
    state = 12345
    limit = math.exp(-0.6)
    out = np.empty(n * n * n, dtype=np.uint16)

    def nxt():
        nonlocal state
        state = (state + 0x9E3779B97F4A7C15) & mask
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        return (z ^ (z >> 31)) >> 11

    scale = 1.0 / 9007199254740992.0
    for i in range(n * n * n):
        k = 0
        p = nxt() * scale
        while p > limit:
            k += 1
            p *= nxt() * scale
        out[i] = k
    return out.reshape(n, n, n)


def detector(path, args):
    n = int(args[0])
    want = poisson_frames(n)
    check(abs(float(want.mean()) - 0.6) < 0.05, f"the reference frames have mean {want.mean()}")
    with h5py.File(path, "r") as f:
        check(sorted(f.keys()) == ["bslz4", "direct", "gzip"], f"root holds {sorted(f.keys())}")
        for name, fid in [("gzip", 1), ("bslz4", 32008), ("direct", None)]:
            d = f[f"/{name}/data"]
            check(d.shape == (n, n, n) and d.dtype == np.dtype("<u2"), f"{name}: shape {d.shape} dtype {d.dtype}")
            check(d.chunks == (1, n, n), f"{name}: chunks {d.chunks}")
            plist = d.id.get_create_plist()
            filters = [plist.get_filter(i)[0] for i in range(plist.get_nfilters())]
            check(filters == ([] if fid is None else [fid]), f"{name}: filters {filters}")
            if name == "gzip":
                check(plist.get_filter(0)[2] == (4,), f"gzip level {plist.get_filter(0)[2]}")
                check(d.compression == "gzip" and d.compression_opts == 4, "h5py does not see gzip 4")
            if name == "bslz4":
                cd = plist.get_filter(0)[2]
                check(len(cd) >= 5 and cd[2] == 2 and cd[3] == 0 and cd[4] == 2, f"bitshuffle cd {cd}")
            if fid is not None:
                info = [d.id.get_chunk_info(i) for i in range(d.id.get_num_chunks())]
                check(len(info) == n, f"{name}: {len(info)} chunks stored")
                check(all(c.size < n * n * 2 for c in info), f"{name}: some chunk is not compressed")
            try:
                got = d[...]
            except Exception as e:  # bitshuffle needs the hdf5plugin filters
                if name == "bslz4":
                    try:
                        import hdf5plugin  # noqa: F401
                        got = d[...]
                    except ImportError:
                        print(f"note: {name} not read back (no hdf5plugin for h5py)")
                        continue
                else:
                    check(False, f"{name}: h5py cannot read it: {e}")
                    continue
            check(np.array_equal(got, want), f"{name}: frames differ at {np.argwhere(got != want)[:5].tolist()}")


def nexus_links(path, args):
    raw = path + ".raw.h5"
    with h5py.File(raw, "r") as r:
        check(np.array_equal(r["/raw/frames"][...], np.arange(100, 112, dtype="<i4").reshape(3, 4)),
              "raw frames values")
        check(r["/raw/frames"].dtype == np.dtype("<i4"), "raw frames dtype")
    # From another working directory, so the external link must resolve next to the master file.
    os.chdir("/")
    with h5py.File(path, "r") as f:
        data = f["/data"]
        check(data.shape == (4, 3) and np.array_equal(data[...], np.arange(12).reshape(4, 3) / 2.0), "/data values")
        check(f["/entry/data/data"] == data, "/entry/data/data is not the same object as /data")
        check(h5py.h5o.get_info(data.id).rc == 2, f"/data refcount {h5py.h5o.get_info(data.id).rc}, expected 2")
        lk = f["/entry/instrument/detector"].get("data", getlink=True)
        check(isinstance(lk, h5py.SoftLink) and lk.path == "/data", f"soft link is {lk!r}")
        check(f["/entry/instrument/detector/data"] == data, "soft link does not resolve to /data")
        el = f["/entry/instrument/detector"].get("frames", getlink=True)
        check(isinstance(el, h5py.ExternalLink) and el.path == "/raw/frames"
              and el.filename == os.path.basename(raw), f"external link is {el!r}")
        fr = f["/entry/instrument/detector/frames"]
        check(np.array_equal(fr[...], np.arange(100, 112).reshape(3, 4)), "external link target values")
        check(vlen_str(f["/entry"].attrs.get("NX_class")) == "NXentry", "NX_class of /entry")
        check(vlen_str(f["/entry/data"].attrs.get("NX_class")) == "NXdata", "NX_class of /entry/data")
        check(vlen_str(f["/entry/data"].attrs.get("signal")) == "data", "signal of /entry/data")


def archive(path, args):
    top = args[0]
    want = {}
    for dirpath, dirnames, filenames in os.walk(top):
        rel = os.path.relpath(dirpath, top)
        rel = "" if rel == "." else rel
        if rel:
            want[rel] = None
        for fn in filenames:
            p = os.path.join(dirpath, fn)
            if os.path.islink(p) or not os.path.isfile(p):
                continue
            with open(p, "rb") as fh:
                want[os.path.join(rel, fn)] = fh.read()
    got = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Group):
                got[name] = None
            else:
                check(obj.dtype == np.dtype("u1") and obj.ndim == 1, f"{name}: dtype {obj.dtype} shape {obj.shape}")
                if obj.size:
                    check(obj.compression == "gzip" and obj.compression_opts == 9, f"{name}: not deflate-9")
                got[name] = obj[...].tobytes()
        f.visititems(visit)
    check(sorted(got) == sorted(want), f"archive holds {sorted(set(got) ^ set(want))} differently")
    for k, v in want.items():
        if k in got and got[k] != v:
            check(False, f"{k}: bytes differ ({len(got[k]) if got[k] is not None else None} vs {len(v) if v is not None else None})")


def main():
    ex, profile, path, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    check_profile(path, profile)
    try:
        globals()[ex](path, args)
    except Exception as e:  # an h5py error is a failed check, with its message
        FAILS.append(f"exception {type(e).__name__}: {e}")
    for m in FAILS:
        print(f"{ex} ({profile}): {m}")
    sys.exit(1 if FAILS else 0)


main()
