#!/usr/bin/python3
"""Extra HDF5 files for tests/interop/test_dump.sh: the datatype classes, references and links
whose h5dump rendering has its own rules (docs/dump.md).

    /usr/bin/python3 tests/interop/gen_dump_cases.py OUTDIR

Each file is written with libver "earliest" and "latest" (names end in _earliest.h5 and
_latest.h5) except where a feature needs one format. Nothing expected is stored: the test runs
h5dump on these files live. Where h5py or libhdf5 refuses something the generator says so on
stderr and carries on.
"""
import os
import sys

import h5py
import numpy as np
from h5py import h5t, h5s, h5d, h5r

OUT = sys.argv[1]
LIBVERS = ("earliest", "latest")


def note(msg):
    print("gen_dump_cases: " + msg, file=sys.stderr)


def raw_dataset(parent, name, tid, shape, data=None):
    """A dataset of an h5py low-level type (bitfields, padded strings) written with raw bytes."""
    space = h5s.create_simple(shape) if shape != () else h5s.create(h5s.SCALAR)
    dsid = h5d.create(parent.id, name.encode(), tid, space)
    if data is not None:
        dsid.write(h5s.ALL, h5s.ALL, data, mtype=tid)
    return dsid


def raw_attr(obj, name, tid, shape, data):
    space = h5s.create_simple(shape) if shape != () else h5s.create(h5s.SCALAR)
    aid = h5py.h5a.create(obj.id, name.encode(), tid, space)
    aid.write(data, mtype=tid)


def types(f, lv):
    """Compound (nested), arrays (of compounds), vlen of vlen, enums of every base size,
    bitfields, opaque, strings of every padding and character set; as datasets and as
    attributes."""
    inner = np.dtype([("x", "<i2"), ("y", ">f4")])
    outer = np.dtype([("id", "<u8"), ("pos", inner), ("tag", "S5"), ("arr", "<i4", (2, 3))])
    v = np.zeros(4, outer)
    for i in range(4):
        v[i] = (i, (i * 3, i / 4.0), b"t%d" % i, np.arange(6).reshape(2, 3) + i)
    f["compound_nested"] = v
    f.attrs["compound_nested"] = v[:2]
    arrc = np.dtype((inner, (3,)))
    a = np.zeros(2, arrc)
    a[1]["x"] = [1, 2, 3]
    f.create_dataset("array_of_compound", data=a)
    ds = f.create_dataset("array_2d_float", (2,), dtype=np.dtype(("<f8", (3, 4))))
    ds[...] = np.arange(24, dtype="<f8").reshape(2, 3, 4) / 8
    vv = h5py.vlen_dtype(h5py.vlen_dtype(np.dtype("<i4")))
    ds = f.create_dataset("vlen_of_vlen", (3,), dtype=vv)
    for i in range(3):
        inner_list = np.empty(i + 1, dtype=object)
        for j in range(i + 1):
            inner_list[j] = np.arange(j + 1, dtype="<i4") * (i + 1)
        ds[i] = inner_list
    vi = h5py.vlen_dtype(np.dtype("<u2"))
    ds = f.create_dataset("vlen_u16", (4,), dtype=vi)
    for i in range(4):
        ds[i] = np.arange(i * 7, dtype="<u2")
    f.attrs.create("vlen_u16", data=ds[:], dtype=vi)
    for size, kinds in ((1, "iu"), (2, "iu"), (4, "iu"), (8, "iu")):
        for k in kinds:
            base = np.dtype("%s%d" % (k, size))
            members = {"ZERO": 0, "ONE": 1, "BIG": 100, 'Q"uote': 7}
            if k == "i":
                members["MINUS"] = -1
            et = h5py.enum_dtype(members, basetype=base)
            vals = np.array(sorted(members.values()) + [5], dtype=base)  # 5 names no member
            f.create_dataset("enum_%s%d" % (k, size), data=vals, dtype=et)
            f.attrs.create("enum_%s%d" % (k, size), data=vals[:3], dtype=et)
    for tname in ("STD_B8LE", "STD_B16LE", "STD_B32BE", "STD_B64LE"):
        tid = getattr(h5t, tname)
        n = tid.get_size()
        data = np.arange(3 * n, dtype="u1").reshape(3, n) * 17
        raw_dataset(f, "bitfield_" + tname, tid, (3,), data.view("V%d" % n).reshape(3))
        raw_attr(f, "bitfield_" + tname, tid, (3,), data.view("V%d" % n).reshape(3))
    op = np.dtype("V6")
    ov = np.frombuffer(bytes(range(18)), dtype=op)
    f.create_dataset("opaque", data=ov)
    f.attrs["opaque"] = ov[:1]
    try:
        ot = h5t.py_create(op).copy()
        ot.set_tag(b"my tag")
        raw_dataset(f, "opaque_tagged", ot, (2,), ov[:2].copy())
    except Exception as e:  # noqa: BLE001
        note("opaque with a tag: %s" % e)
    words = ["", "a", "hello", "tab\there", "new\nline", "caf\u00e9", 'q"uote', "back\\slash"]
    for cset, enc in ((h5t.CSET_ASCII, "ascii"), (h5t.CSET_UTF8, "utf-8")):
        for pad, pname in ((h5t.STR_NULLTERM, "nullterm"), (h5t.STR_NULLPAD, "nullpad"),
                           (h5t.STR_SPACEPAD, "spacepad")):
            tid = h5t.C_S1.copy()
            tid.set_size(8)
            tid.set_strpad(pad)
            tid.set_cset(cset)
            ws = [w for w in words if enc == "utf-8" or w.isascii()]
            data = np.array([w.encode("utf-8")[:8] for w in ws], dtype="S8")
            if pad == h5t.STR_SPACEPAD:
                data = np.array([w.ljust(8, b" ") for w in data], dtype="S8")
            raw_dataset(f, "fixed_%s_%s" % (enc, pname), tid, (len(ws),), data)
            raw_attr(f, "fixed_%s_%s" % (enc, pname), tid, (len(ws),), data)
        vt = h5py.string_dtype(enc)
        ws = [w for w in words if enc == "utf-8" or w.isascii()]
        f.create_dataset("vlen_%s" % enc, data=np.array(ws, dtype=object), dtype=vt)
        f.attrs.create("vlen_%s" % enc, data=np.array(ws, dtype=object), dtype=vt)
    f.create_dataset("vlen_str_2d", data=np.array([["a", "bb"], ["ccc", ""]], dtype=object),
                     dtype=h5py.string_dtype())
    f.create_dataset("scalar_f8", data=np.float64(2.5))
    f.create_dataset("scalar_str", data="scalar string")
    f.create_dataset("null_space", data=h5py.Empty("<i4"))
    f.attrs["null_attr"] = h5py.Empty("<f4")
    f.create_dataset("empty_1d", shape=(0,), dtype="<i4")
    f.create_dataset("empty_2d_unlimited", shape=(0, 3), maxshape=(None, 3), dtype="<f4")
    f.attrs["scalar_attr"] = np.int16(-5)
    f.attrs["empty_attr"] = np.zeros((0,), dtype="<u1")
    f.create_dataset("floats", data=np.array([0.0, -0.0, 1e-310, 3.4e38, np.inf, -np.inf, np.nan,
                                              1.0 / 3], dtype="<f8"))
    f.create_dataset("floats_be32", data=np.array([1.5, -2.25, 1e-40, np.nan], dtype=">f4"))
    f.create_dataset("half", data=np.array([0.5, 65504, -1e-7], dtype="<f2"))
    f.create_dataset("ints_be", data=np.array([[-1, 2], [3, -32768]], dtype=">i2"))


def references(f, lv):
    """Object and region references (hyperslabs, points, all, none), in datasets and
    attributes, with a null reference of each kind."""
    g = f.create_group("grp")
    d2 = f.create_dataset("grp/data2d", data=np.arange(60, dtype="<i4").reshape(6, 10))
    d1 = f.create_dataset("data1d", data=np.arange(12, dtype="<f4") / 2)
    f["named_type"] = np.dtype("<i8")
    refs = np.array([g.ref, d2.ref, d1.ref, f["named_type"].ref, f.ref, h5py.Reference()],
                    dtype=h5py.ref_dtype)
    f.create_dataset("obj_refs", data=refs)
    f.attrs.create("obj_refs", data=refs[:3], dtype=h5py.ref_dtype)
    f.create_dataset("obj_ref_scalar", data=d1.ref, dtype=h5py.ref_dtype)
    rr = [d2.regionref[1:3, 2:5], d2.regionref[0:6:2, 1:9:4], d1.regionref[3:7],
          d2.regionref[...]]
    try:
        sp = d2.id.get_space()
        sp.select_elements([(0, 0), (2, 3), (5, 9)])
        rr.append(h5r.create(f.id, b"grp/data2d", h5r.DATASET_REGION, sp))
        sp1 = d1.id.get_space()
        sp1.select_none()
        rr.append(h5r.create(f.id, b"data1d", h5r.DATASET_REGION, sp1))
    except Exception as e:  # noqa: BLE001
        note("point/none region references: %s" % e)
    rr.append(h5py.RegionReference())
    f.create_dataset("region_refs", data=np.array(rr, dtype=h5py.regionref_dtype))
    f.attrs.create("region_refs", data=np.array(rr[:3], dtype=h5py.regionref_dtype),
                   dtype=h5py.regionref_dtype)
    rr2 = np.array(rr[:4], dtype=h5py.regionref_dtype).reshape(2, 2)
    f.create_dataset("region_refs_2d", data=rr2)


def committed(f, lv):
    """Named types used by datasets and attributes, one linked twice, and anonymous committed
    types (named, used, then unlinked): h5dump prints them as DATATYPE "#ADDR"."""
    f["types/t_int"] = np.dtype(">i4")
    f["types/t_cmp"] = np.dtype([("a", "<i2"), ("b", "<f8")])
    f["types/t_enum"] = h5py.enum_dtype({"RED": 0, "GREEN": 1}, basetype="u1")
    f["types/t_str"] = h5py.string_dtype()
    f["alias_of_int"] = f["types/t_int"]  # a second hard link: h5dump names it by the last path
    f.create_dataset("uses_int", data=np.arange(4), dtype=f["types/t_int"])
    f.create_dataset("uses_cmp", (2,), dtype=f["types/t_cmp"])
    f.create_dataset("uses_enum", data=np.array([0, 1, 1], "u1"), dtype=f["types/t_enum"])
    f.create_dataset("uses_str", data=np.array(["x", "yz"], dtype=object), dtype=f["types/t_str"])
    f["uses_int"].attrs.create("attr_int", data=np.arange(2), dtype=f["types/t_int"])
    f["types/t_int"].attrs["note"] = "an attribute on a named type"
    # anonymous: commit, use in datasets and an attribute, then remove the name
    f["anon/tmp_a"] = np.dtype([("time", "<u8"), ("value", "<u2")])
    f["anon/tmp_b"] = np.dtype("<f4")
    f.create_dataset("anon/d1", (3,), dtype=f["anon/tmp_a"])
    f.create_dataset("anon/d2", (2,), dtype=f["anon/tmp_a"])
    f.create_dataset("anon/d3", data=np.ones(2), dtype=f["anon/tmp_b"])
    f["anon/d3"].attrs.create("a_anon", data=np.ones(2), dtype=f["anon/tmp_b"])
    del f["anon/tmp_a"]
    del f["anon/tmp_b"]


def ext_links(outdir, lv):
    """External links: to "/", ".", "/.", a dataset, a group, a named type, a soft link in the
    target, a missing file, a missing path, a file in a subdirectory, an absolute path, a link
    back into the linking file and a chain through a second file."""
    sub = os.path.join(outdir, "extsub_%s" % lv)
    os.makedirs(sub, exist_ok=True)
    tname = "exttarget_%s.h5" % lv
    with h5py.File(os.path.join(outdir, tname), "w", libver=lv) as t:
        t["data"] = np.arange(6, dtype="<i2").reshape(2, 3)
        t["grp/inner"] = np.arange(3, dtype="<f8")
        t["grp/inner2"] = t["grp/inner"]
        t["type"] = np.dtype("<u4")
        t["soft"] = h5py.SoftLink("/grp")
        t["back"] = h5py.ExternalLink("extsrc_%s.h5" % lv, "/plain")
        t["onward"] = h5py.ExternalLink("extsub_%s/deep_%s.h5" % (lv, lv), "/d")
    with h5py.File(os.path.join(sub, "deep_%s.h5" % lv), "w", libver=lv) as t:
        t["d"] = np.arange(2, dtype="<u1")
    with h5py.File(os.path.join(outdir, "extsrc_%s.h5" % lv), "w", libver=lv) as f:
        f["plain"] = np.int32(7)
        f["to_root"] = h5py.ExternalLink(tname, "/")
        f["to_dot"] = h5py.ExternalLink(tname, ".")
        f["to_slash_dot"] = h5py.ExternalLink(tname, "/.")
        f["to_data"] = h5py.ExternalLink(tname, "/data")
        f["to_grp"] = h5py.ExternalLink(tname, "grp")
        f["to_inner"] = h5py.ExternalLink(tname, "/grp/inner")
        f["to_type"] = h5py.ExternalLink(tname, "/type")
        f["to_soft"] = h5py.ExternalLink(tname, "/soft")
        f["to_missing_path"] = h5py.ExternalLink(tname, "/nope")
        f["to_missing_file"] = h5py.ExternalLink("no_such_file.h5", "/")
        f["to_sub"] = h5py.ExternalLink("extsub_%s/deep_%s.h5" % (lv, lv), "/d")
        f["to_abs"] = h5py.ExternalLink(os.path.abspath(os.path.join(outdir, tname)), "/data")
        f["to_self"] = h5py.ExternalLink("extsrc_%s.h5" % lv, "/plain")
        f["zz_again_root"] = h5py.ExternalLink(tname, "/")


def main():
    os.makedirs(OUT, exist_ok=True)
    for lv in LIBVERS:
        for base, fill in (("types", types), ("references", references), ("committed", committed)):
            path = os.path.join(OUT, "%s_%s.h5" % (base, lv))
            try:
                with h5py.File(path, "w", libver=lv) as f:
                    fill(f, lv)
            except Exception as e:  # noqa: BLE001
                note("%s: %s" % (path, e))
        try:
            ext_links(OUT, lv)
        except Exception as e:  # noqa: BLE001
            note("external links (%s): %s" % (lv, e))


main()
