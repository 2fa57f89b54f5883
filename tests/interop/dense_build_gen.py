"""Generate libhdf5 files with dense link / attribute storage for test_dense_build.

Usage: dense_build_gen.py OUTDIR
Writes OUTDIR/dense.h5 (libver="latest") and OUTDIR/manifest.txt, one line per case:
  case kind objpath ohdr fheap name_bt2 corder_bt2
and OUTDIR/<case>.names: the member names in creation order (the order h5py created them)."""
import os
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dense_build_patch  # noqa: E402

out = sys.argv[1]
path = os.path.join(out, "dense.h5")
cases = []


def link_name(i):
    # names of varying length (1 .. ~40 bytes), unique
    return "n%d_%s" % (i, "x" * ((i * 7) % 37))


def fill_links(g, count, f):
    names = []
    for i in range(count):
        nm = link_name(i)
        k = i % 4
        if k == 0:
            g[nm] = f["t/d"]
        elif k == 1:
            g[nm] = h5py.SoftLink("/t/soft_target_%d" % i)
        elif k == 2:
            g[nm] = h5py.ExternalLink("other_file_%d.h5" % (i % 5), "/path/to/obj%d" % i)
        else:
            g[nm] = f["t/g"]
        names.append(nm)
    return names


def fill_attrs(o, sizes):
    names = []
    for i, n in enumerate(sizes):
        nm = "attr%d%s" % (i, "_" * (i % 11))
        o.attrs[nm] = np.arange(n, dtype="<i4")
        names.append(nm)
    return names


with h5py.File(path, "w", libver="latest") as f:
    f.create_dataset("t/d", data=[1, 2, 3])
    f.create_group("t/g")
    for count in (9, 50, 500, 5000):
        g = f.create_group("links%d" % count)
        cases.append(("links%d" % count, "links", g.name, fill_links(g, count, f)))
    for count in (9, 50, 500):
        g = f.create_group("olinks%d" % count, track_order=True)
        cases.append(("olinks%d" % count, "links", g.name, fill_links(g, count, f)))
    o = f.create_group("attrs9")
    cases.append(("attrs9", "attrs", o.name, fill_attrs(o, [1] * 9)))
    o = f.create_group("attrs100")
    cases.append(("attrs100", "attrs", o.name, fill_attrs(o, [1 + (i * 13) % 90 for i in range(100)])))
    # objects of 1-3 KiB: direct blocks bigger than the starting size, skipped blocks reused
    o = f.create_group("attrsmixed")
    cases.append(("attrsmixed", "attrs", o.name,
                  fill_attrs(o, [4, 400, 10, 700, 3, 250, 900, 5, 60, 300, 2, 8, 120, 33, 600, 1, 1, 1])))
    o = f.create_group("oattrs100", track_order=True)
    cases.append(("oattrs100", "attrs", o.name, fill_attrs(o, [1 + (i * 13) % 90 for i in range(100)])))
    o = f.create_dataset("big", data=[0])
    names = fill_attrs(o, [3, 25600, 2])  # 100 KiB: a huge object
    cases.append(("attrbig", "attrs", o.name, names))

with open(path, "rb") as fp:
    buf = fp.read()
with h5py.File(path, "r") as f, open(os.path.join(out, "manifest.txt"), "w") as m:
    for case, kind, objpath, names in cases:
        ohdr = h5py.h5o.get_info(f[objpath].id).addr
        fheap, name, corder = dense_build_patch.info(buf, ohdr, kind)
        m.write("%s %s %s %d %d %d %d\n" % (case, kind, objpath, ohdr, fheap, name, corder))
        with open(os.path.join(out, case + ".names"), "w") as nf:
            nf.write("".join(n + "\n" for n in names))
