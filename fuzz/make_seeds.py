#!/usr/bin/python3
"""Write the h5py-made seed files of the whole-file fuzz target (fuzz/corpus/fuzz_file).

    /usr/bin/python3 fuzz/make_seeds.py OUTDIR

Each structure is written with libver="earliest" (superblock v0, symbol-table groups, v1 object
headers) and libver="latest" (superblock v2/v3, link messages, compact/dense storage, v2 object
headers). Files are kept tiny (a few KiB): the fuzzer mutates faster on small inputs. The
structure-level seeds (object headers, symbol tables, dense storage, message bodies) are cut out
of these files by fuzz/extract_seeds.c (see docs/fuzzing.md).
"""
import os
import sys

import h5py
import numpy as np

LIBVERS = ("earliest", "latest")


def groups(f, lv):
    """Compact groups, a dense one (more than 8 links in latest), nesting, soft/external links."""
    f.create_group("a/b/c")
    g = f.create_group("many")
    for i in range(12):
        g.create_group("m%02d" % i)
    f["a/soft"] = h5py.SoftLink("/a/b")
    f["dangling"] = h5py.SoftLink("/nowhere")
    f["ext"] = h5py.ExternalLink("other.h5", "/x")
    f["a/b/c/up"] = h5py.SoftLink("/a")
    f["hard_again"] = f["a/b"]


def attrs(f, lv):
    """Compact attributes of several types, and dense attributes (more than 8, latest)."""
    d = f.create_dataset("d", data=np.arange(4, dtype="<i4"))
    d.attrs["i"] = np.int64(-5)
    d.attrs["f"] = np.float32(1.5)
    d.attrs["s"] = np.bytes_("fixed")
    d.attrs["vs"] = "variable"
    d.attrs["arr"] = np.arange(6, dtype="u2").reshape(2, 3)
    g = f.create_group("dense_attrs")
    for i in range(12):
        g.attrs["a%02d" % i] = np.int32(i)
    f.attrs["root_attr"] = np.float64(3.25)


def corder(f, lv):
    """Creation-order tracking on links and attributes."""
    gcpl = h5py.h5p.create(h5py.h5p.GROUP_CREATE)
    gcpl.set_link_creation_order(h5py.h5p.CRT_ORDER_TRACKED | h5py.h5p.CRT_ORDER_INDEXED)
    gcpl.set_attr_creation_order(h5py.h5p.CRT_ORDER_TRACKED | h5py.h5p.CRT_ORDER_INDEXED)
    gid = h5py.h5g.create(f.id, b"ordered", gcpl=gcpl)
    g = h5py.Group(gid)
    for name in ("zeta", "alpha", "mid"):
        g.create_group(name)
    for name in ("z", "b", "k"):
        g.attrs[name] = np.int8(1)
    big = h5py.Group(h5py.h5g.create(f.id, b"ordered_dense", gcpl=gcpl))
    for i in range(10):
        big.create_group("n%d" % (9 - i))
        big.attrs["x%d" % (9 - i)] = np.int16(i)


def types(f, lv):
    """Many datatypes: integers of each size and order, floats, strings, compound, enum, array,
    opaque, references, vlen, bitfield, committed (named) types."""
    for dt in ("<i1", ">i2", "<u4", ">u8", "<f2", "<f4", ">f8"):
        f.create_dataset("t_" + dt.replace("<", "le").replace(">", "be"), data=np.zeros(2, dtype=dt))
    f.create_dataset("t_str", data=np.array([b"ab", b"cd"], dtype="S3"))
    f.create_dataset("t_vstr", data=["x", "yz"], dtype=h5py.string_dtype())
    f.create_dataset("t_vstr_ascii", data=[b"q"], dtype=h5py.string_dtype("ascii"))
    cmp = np.dtype([("x", "<i4"), ("y", ">f8"), ("s", "S2"), ("a", "<u1", (3,))])
    f.create_dataset("t_compound", data=np.zeros(1, dtype=cmp))
    nested = np.dtype([("inner", cmp), ("z", "<i2")])
    f.create_dataset("t_nested", data=np.zeros(1, dtype=nested))
    f.create_dataset("t_enum", data=np.array([0, 1], dtype="u1"),
                     dtype=h5py.enum_dtype({"RED": 0, "GREEN": 1, "BLUE": 7}, basetype="u1"))
    f.create_dataset("t_array", data=np.zeros(1, dtype=np.dtype(("<i4", (2, 2)))))
    f.create_dataset("t_opaque", data=np.void(b"\x01\x02\x03\x04"))
    f.create_dataset("t_vlen", shape=(2,), dtype=h5py.vlen_dtype(np.int32))
    f.create_dataset("t_ref", data=[f["t_str"].ref], dtype=h5py.ref_dtype)
    f.create_dataset("t_regref", shape=(1,), dtype=h5py.regionref_dtype)
    f.create_dataset("t_bool", data=np.array([True, False]))
    f["named_int"] = np.dtype(">i4")
    f["named_cmp"] = cmp
    f.create_dataset("uses_named", data=np.zeros(2, dtype=">i4"), dtype=f["named_int"])
    f["named_int"].attrs["on_type"] = np.int8(3)


def spaces(f, lv):
    """Scalar, null, empty, multi-dimensional, unlimited, chunked and compressed datasets."""
    f.create_dataset("scalar", data=np.float64(2.0))
    f.create_dataset("null", data=h5py.Empty("f4"))
    f.create_dataset("zero", shape=(0,), dtype="i4")
    f.create_dataset("md", data=np.zeros((2, 1, 3), dtype="u1"))
    f.create_dataset("unlim", shape=(2,), maxshape=(None,), chunks=(2,), dtype="i2")
    f.create_dataset("gzip", data=np.arange(16, dtype="i4"), chunks=(8,), compression="gzip",
                     shuffle=True, fletcher32=True)
    f.create_dataset("fill", shape=(3,), dtype="i4", fillvalue=42)


def userblock(path, lv):
    with h5py.File(path, "w", libver=lv, userblock_size=512) as f:
        f.create_group("g")
        f.attrs["ub"] = np.int32(512)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for lv in LIBVERS:
        for fn in (groups, attrs, corder, types, spaces):
            path = os.path.join(out, "%s_%s.h5" % (fn.__name__, lv))
            try:
                with h5py.File(path, "w", libver=lv) as f:
                    fn(f, lv)
            except Exception as e:  # noqa: BLE001 - a feature the library refuses: note it
                print("make_seeds: %s %s: %s" % (fn.__name__, lv, e), file=sys.stderr)
        userblock(os.path.join(out, "userblock_%s.h5" % lv), lv)
    # offsets and lengths of 4 bytes (superblock v0)
    fcpl = h5py.h5p.create(h5py.h5p.FILE_CREATE)
    fcpl.set_sizes(4, 4)
    fid = h5py.h5f.create(os.path.join(out, "sizes4.h5").encode(), h5py.h5f.ACC_TRUNC, fcpl=fcpl)
    with h5py.File(fid) as f:
        groups(f, "earliest")
        f.attrs["x"] = np.int16(1)


if __name__ == "__main__":
    main()
