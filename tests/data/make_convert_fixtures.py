#!/usr/bin/python3
"""Regenerate the conversion fixtures used by tests/unit/test_convert.c.

Run with the system Python that has h5py:  /usr/bin/python3 tests/data/make_convert_fixtures.py
Writes, next to this script:
  conv_earliest.h5, conv_latest.h5   the same root attributes, libver "earliest" / "latest"
  conv_expect.txt                    what h5py (libhdf5) returns for them

conv_expect.txt lines (TAB-separated):
  native  <attr>  <tokens>         the attribute read by h5py in its own memory type
  as      <attr>  <dtype>  <tokens>  the same values converted by libhdf5 to <dtype> (numpy
                                     dtype string), obtained through a dataset holding the same
                                     values and read with Dataset.astype()
Tokens (space-separated, elements in C order):
  i:<int>   integer, enum or bool       f:<hex bits of the value as a double> or f:nan
  s:<hex>   string bytes (fixed strings without trailing NULs)
  r:<addr>  object reference (object header address)
  [ ... ]   vlen sequence    { ... } compound members    ( ... ) array elements
"""
import os
import struct

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def ftok(x):
    x = float(x)
    if x != x:
        return "f:nan"
    return "f:%016x" % struct.unpack("<Q", struct.pack("<d", x))[0]


def flat(v, dt, f, out):
    if dt.subdtype is not None:
        base, shape = dt.subdtype
        out.append("(")
        for e in np.asarray(v).reshape(-1):
            flat(e, base, f, out)
        out.append(")")
        return
    if dt.names:
        out.append("{")
        for name in dt.names:
            flat(v[name], dt.fields[name][0], f, out)
        out.append("}")
        return
    if h5py.check_string_dtype(dt) is not None and dt.kind == "O":
        b = v.encode("utf-8") if isinstance(v, str) else bytes(v)
        out.append("s:" + b.hex())
        return
    vl = h5py.check_vlen_dtype(dt)
    if vl is not None:
        out.append("[")
        for e in np.asarray(v).reshape(-1):
            flat(e, vl, f, out)
        out.append("]")
        return
    if h5py.check_ref_dtype(dt) is not None:
        out.append("r:%d" % (h5py.h5o.get_info(f[v].id).addr if v else 0))
        return
    if dt.kind in "iub":
        out.append("i:%d" % int(v))
    elif dt.kind == "f":
        out.append(ftok(v))
    elif dt.kind == "S":
        out.append("s:" + bytes(v).rstrip(b"\0").hex())
    else:
        raise TypeError(dt)


def tokens(value, f):
    arr = np.asarray(value)
    out = []
    for e in arr.reshape(-1):
        flat(e, arr.dtype, f, out)
    return " ".join(out)


def attrs_spec():
    big_f = [0.0, -0.0, 1.5, -2.25, 1e-310, 3.4e38, 1e300, -1e300, float("inf"), float("-inf"), float("nan"), 65504.0, 65520.0, 5.96e-8, 2.0**-25]
    finite = [0.0, 1.5, -1.5, 2.5, -2.5, 127.9, 128.0, -129.0, 255.5, 256.0, 32767.0, 40000.0, -40000.0,
              2147483647.0, 2147483648.0, -2147483649.0, 4294967296.0, 1e19, 1.9e19, -1e19, 1e300, -1e300,
              float("inf"), float("-inf")]
    ints = [0, 1, -1, 127, -128, 255, 32767, -32768, 65535, 2**31 - 1, -2**31, 2**32 - 1, 2**53 + 1,
            2**63 - 1, -2**63]
    uints = [0, 1, 127, 128, 255, 256, 65535, 65536, 2**31, 2**32 - 1, 2**53 + 1, 2**63, 2**64 - 1]
    a = []
    for t in ["i1", "<i2", ">i2", "<i4", ">i4", "<i8", ">i8"]:
        bits = np.dtype(t).itemsize * 8
        vals = [v for v in ints if -2**(bits - 1) <= v < 2**(bits - 1)]
        a.append(("n_" + t.replace("<", "le").replace(">", "be"), np.array(vals, dtype=t), np.dtype(t)))
    for t in ["u1", "<u2", ">u2", "<u4", ">u4", "<u8", ">u8"]:
        bits = np.dtype(t).itemsize * 8
        vals = [v for v in uints if v < 2**bits]
        a.append(("n_" + t.replace("<", "le").replace(">", "be"), np.array(vals, dtype=t), np.dtype(t)))
    with np.errstate(over="ignore"):
        for t in ["<f2", ">f2", "<f4", ">f4", "<f8", ">f8"]:
            a.append(("f_" + t.replace("<", "le").replace(">", "be"), np.array(big_f, dtype=t), np.dtype(t)))
        a.append(("g_lef8", np.array(finite, dtype="<f8"), np.dtype("<f8")))
        a.append(("g_bef4", np.array(finite, dtype=">f4"), np.dtype(">f4")))
    a.append(("bool", np.array([True, False, True]), np.dtype("bool")))
    en = h5py.enum_dtype({"RED": -3, "GREEN": 7, "BLUE": 300}, basetype=">i2")
    a.append(("enum", np.array([7, -3, 300, 7], dtype=">i2"), en))
    a.append(("fixstr", np.array([b"abc", b"hello", b"", b"xy"], dtype="S5"), np.dtype("S5")))
    a.append(("vstr", np.array(["one", "", "three\u00e9", "x" * 100], dtype=object), h5py.string_dtype()))
    a.append(("vstra", np.array([b"ascii", b"b"], dtype=object), h5py.string_dtype("ascii")))
    vi = h5py.vlen_dtype(np.dtype(">i4"))
    a.append(("vseq", np.array([np.array([1, -2, 3], ">i4"), np.array([], ">i4"), np.array([2**31 - 1], ">i4")],
                               dtype=object), vi))
    vf = h5py.vlen_dtype(np.dtype("<f8"))
    a.append(("vseqf", np.array([np.arange(50, dtype="<f8") / 3.0, np.array([1.5])], dtype=object), vf))
    cmp_t = np.dtype([("a", "<i2"), ("b", ">f8"), ("c", "S3"), ("d", ">u2", (2, 3)), ("e", h5py.string_dtype())])
    c = np.zeros(2, dtype=cmp_t)
    c[0] = (-5, 2.5, b"ab", [[1, 2, 3], [4, 5, 6]], "first")
    c[1] = (32767, -1e-300, b"xyz", [[7, 8, 9], [10, 11, 65535]], "")
    a.append(("cmp", c, cmp_t))
    vc_t = h5py.vlen_dtype(np.dtype([("x", "<i4"), ("y", "<f4")]))
    vc = np.empty(2, dtype=object)
    vc[0] = np.array([(1, 0.5), (2, -0.25)], dtype=[("x", "<i4"), ("y", "<f4")])
    vc[1] = np.array([(3, 8.0)], dtype=[("x", "<i4"), ("y", "<f4")])
    a.append(("vcmp", vc, vc_t))
    return a


# Attribute -> numpy dtypes to convert it to through libhdf5. Left out on purpose: a big-endian
# integer to the little-endian integer of the same size and the other signedness. libhdf5 takes
# its byte-order-only path there (H5T__conv_order_opt does not compare signs) and wraps 2**31 to
# -2**31, where its arithmetic conversions (and h5kit) saturate; test_convert.c checks these by hand.
AS = {
    "n_i1": ["<u1", "<i8", "<f4", ">i2"],
    "n_lei4": ["<i1", "<u1", "<i2", "<u2", "<u4", "<f2", "<f4", "<f8", ">i8"],
    "n_bei8": ["<i1", "<u1", "<i4", "<u4", "<f4", "<f8"],
    "n_leu8": ["<i1", "<i2", "<i4", "<i8", "<u4", "<f4", "<f8", "<f2"],
    "n_beu4": ["<i1", "<i2", "<f4"],
    "n_beu2": ["<i1", "<u1"],
    "g_lef8": ["<i1", "<u1", "<i2", "<u2", "<i4", "<u4", "<i8", "<u8", "<f4", "<f2", ">f4"],
    "g_bef4": ["<i1", "<u1", "<i2", "<u2", "<i4", "<u4", "<i8", "<u8", "<f8", "<f2"],
    # not "<f2": HDF5 1.10 rounds doubles to half floats with ties away from zero (and 65520 to
    # 32768); h5kit rounds ties to even like IEEE 754 and numpy (checked by hand in the test).
    "f_lef8": ["<f4", ">f4"],
    "f_bef2": ["<f4", "<f8"],
    "enum": ["<i4", "<f8", "<i1"],
}


def main():
    specs = attrs_spec()
    lines = []
    for lib in ["earliest", "latest"]:
        path = os.path.join(HERE, "conv_%s.h5" % lib)
        with h5py.File(path, "w", libver=lib) as f:
            g = f.create_group("grp")
            d = f.create_dataset("dset", data=np.arange(10, dtype="<i4"))
            for name, value, dt in specs:
                f.attrs.create(name, value, dtype=dt)
            f.attrs.create("oref", np.array([g.ref, d.ref, f.ref], dtype=h5py.ref_dtype), dtype=h5py.ref_dtype)
            f.attrs.create("rref", np.array([d.regionref[2:5]], dtype=h5py.regionref_dtype),
                           dtype=h5py.regionref_dtype)
            if lib != "earliest":
                continue
            # expected values: computed once (the two files hold the same values; the
            # object addresses of "oref" are per file and written for each)
            for name, value, dt in specs:
                # h5py (3.x with HDF5 1.10) returns the elements of a vlen of a big-endian base
                # unswapped (h5dump shows the file holds 1, -2, 3): expect the input values there.
                v = np.asarray(value, dtype=dt) if name == "vseq" else f.attrs[name]
                lines.append("native\t%s\t%s" % (name, tokens(v, f)))
            scratch = f.create_group("scratch")
            for name, targets in AS.items():
                dt = [s for s in specs if s[0] == name][0]
                ds = scratch.create_dataset(name, data=dt[1], dtype=dt[2])
                for t in targets:
                    with np.errstate(all="ignore"):
                        v = ds.astype(t)[()]
                    lines.append("as\t%s\t%s\t%s" % (name, t, tokens(v, f)))
        with h5py.File(path, "r") as f:
            lines.append("oref_%s\toref\t%s" % (lib, " ".join("r:%d" % h5py.h5o.get_info(f[r].id).addr
                                                             for r in f.attrs["oref"])))
            lines.append("rref_%s\trref\tr:%d" % (lib, h5py.h5o.get_info(f[f.attrs["rref"][0]].id).addr))
    with open(os.path.join(HERE, "conv_expect.txt"), "w") as out:
        out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
