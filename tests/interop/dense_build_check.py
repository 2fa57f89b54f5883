"""h5py's view of one object's links or attributes in two files must be the same.

Usage: dense_build_check.py DIR
DIR holds dense.h5 (the original), cases.txt with lines "case kind objpath ordered" (kind links or
attrs; ordered 1 when creation order is indexed, then that iteration is compared too) and
<case>.h5 (the patched files). Prints "ok CASE ..." or "FAIL CASE ..." per case; exit status 1
if any failed. Then each patched file is changed by libhdf5 (members added and one deleted),
which must work and give the expected count."""
import sys

import h5py
import numpy as np


def listing(path, obj, kind, ordered):
    out = []
    with h5py.File(path, "r") as f:
        o = f[obj]
        if kind == "links":
            orders = [h5py.h5.INDEX_NAME] + ([h5py.h5.INDEX_CRT_ORDER] if ordered else [])
            for idx in orders:
                names = []
                o.id.links.iterate(lambda n: names.append(n), idx_type=idx)
                out.append(("order", idx))
                for n in names:
                    link = o.get(n, getlink=True)
                    desc = type(link).__name__
                    if isinstance(link, h5py.SoftLink):
                        desc += " " + link.path
                    elif isinstance(link, h5py.ExternalLink):
                        desc += " %s %s" % (link.filename, link.path)
                    else:
                        desc += " %d" % h5py.h5o.get_info(o[n].id).addr
                    out.append((n, desc))
        else:
            orders = [h5py.h5.INDEX_NAME] + ([h5py.h5.INDEX_CRT_ORDER] if ordered else [])
            for idx in orders:
                names = []
                h5py.h5a.iterate(o.id, lambda n: names.append(n), index_type=idx)
                out.append(("order", idx))
                for n in names:
                    out.append((n, np.asarray(o.attrs[n]).tobytes()))
    return out


def modify(path, obj, kind):
    """libhdf5 must be able to extend the structures too: add members (one huge attribute), delete
    one, and find the expected count afterwards."""
    with h5py.File(path, "r+") as f:
        o = f[obj]
        before = len(o) if kind == "links" else len(o.attrs)
        if kind == "links":
            for i in range(40):
                o["added%d" % i] = h5py.SoftLink("/added/%d" % i)
            del o[sorted(o.keys())[1]]
        else:
            for i in range(20):
                o.attrs["added%d" % i] = np.arange(i + 1)
            o.attrs["added_huge"] = np.zeros(9000)
            del o.attrs[sorted(o.attrs.keys())[1]]
    with h5py.File(path, "r") as f:
        o = f[obj]
        after = len(o) if kind == "links" else len(o.attrs)
        values = [np.asarray(o.attrs[n]).tobytes() for n in o.attrs] if kind == "attrs" else list(o)
    return after == before + (39 if kind == "links" else 20) and len(values) == after


def main(d):
    failed = 0
    with open(d + "/cases.txt") as fp:
        cases = [line.split() for line in fp if line.strip()]
    for name, kind, obj, ordered in cases:
        a = listing(d + "/dense.h5", obj, kind, ordered == "1")
        b = listing("%s/%s.h5" % (d, name), obj, kind, ordered == "1")
        if a == b and modify("%s/%s.h5" % (d, name), obj, kind):
            print("ok %s %d entries" % (name, len(a)))
            continue
        failed += 1
        first = next((x[:1], y[:1]) for x, y in zip(a, b) if x != y) if len(a) == len(b) else ""
        print("FAIL %s: %d vs %d entries, first difference %r" % (name, len(a), len(b), first))
    return 1 if failed else 0


sys.exit(main(sys.argv[1]))
