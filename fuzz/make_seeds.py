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

try:  # third-party filters (blosc, lz4, bitshuffle, zstd); their seeds are skipped without it
    import hdf5plugin
except ImportError:  # pragma: no cover
    hdf5plugin = None

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


def layouts(f, lv):
    """Every layout and chunk index with real data: compact, contiguous, chunked with a single
    chunk, implicit (early allocation), fixed array, extensible array (one unlimited dimension),
    v2 B-tree (two unlimited), partial edge chunks, unallocated chunks read as fill
    (latest; earliest makes every chunked dataset a v1 B-tree)."""
    data = np.arange(24, dtype="<i2").reshape(4, 6)
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_layout(h5py.h5d.COMPACT)
    sid = h5py.h5s.create_simple((4, 6))
    h5py.h5d.create(f.id, b"compact", h5py.h5t.STD_I16LE, sid, dcpl=dcpl).write(
        h5py.h5s.ALL, h5py.h5s.ALL, data)
    f.create_dataset("contig", data=data)
    f.create_dataset("single", data=data, chunks=(4, 6))
    f.create_dataset("single_gz", data=data, chunks=(4, 6), compression="gzip")
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_chunk((2, 4))
    dcpl.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)
    h5py.h5d.create(f.id, b"implicit", h5py.h5t.STD_I16LE, sid, dcpl=dcpl).write(
        h5py.h5s.ALL, h5py.h5s.ALL, data)
    f.create_dataset("farray", data=data, chunks=(2, 4))
    f.create_dataset("farray_gz", data=data, chunks=(2, 4), compression="gzip")
    d = f.create_dataset("earray", shape=(4, 6), maxshape=(None, 6), chunks=(1, 3), dtype="<i2",
                         fillvalue=-1)
    d[:3] = data[:3]
    f.create_dataset("earray_gz", data=data, maxshape=(None, 6), chunks=(1, 3), compression="gzip")
    d = f.create_dataset("bt2", shape=(4, 6), maxshape=(None, None), chunks=(3, 4), dtype="<i2")
    d[1:3, 1:5] = data[1:3, 1:5]
    f.create_dataset("bt2_gz", data=data, maxshape=(None, None), chunks=(3, 4), compression="gzip")
    f.create_dataset("unwritten", shape=(5,), chunks=(2,), dtype="<f4", fillvalue=2.5)
    f.create_dataset("rank3", data=np.arange(60, dtype="u1").reshape(3, 4, 5), chunks=(2, 3, 2))


def filters(f, lv):
    """One chunked dataset per filter and a few chains (chunks of 8x8 elements)."""
    ints = (np.arange(256, dtype="<i4") % 37).reshape(16, 16)
    flts = np.linspace(0, 10, 256, dtype="<f4").reshape(16, 16)
    ch = (8, 8)
    f.create_dataset("deflate", data=ints, chunks=ch, compression="gzip", compression_opts=9)
    f.create_dataset("shuffle_deflate", data=ints, chunks=ch, shuffle=True, compression="gzip")
    f.create_dataset("fletcher", data=ints, chunks=ch, fletcher32=True)
    f.create_dataset("lzf", data=ints, chunks=ch, compression="lzf")
    f.create_dataset("so_int", data=ints, chunks=ch, scaleoffset=0)
    f.create_dataset("so_float", data=flts, chunks=ch, scaleoffset=2)
    try:
        f.create_dataset("szip", data=ints, chunks=ch, compression="szip")
    except Exception as e:  # noqa: BLE001 - libhdf5 without szip encoder
        print("make_seeds: szip: %s" % e, file=sys.stderr)
    # n-bit: a 12-bit integer type
    tid = h5py.h5t.STD_U16LE.copy()
    tid.set_precision(12)
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_chunk(ch)
    dcpl.set_filter(h5py.h5z.FILTER_NBIT)
    sid = h5py.h5s.create_simple((16, 16))
    h5py.h5d.create(f.id, b"nbit", tid, sid, dcpl=dcpl).write(
        h5py.h5s.ALL, h5py.h5s.ALL, (ints % 4096).astype("<u2"))
    if hdf5plugin is not None:
        f.create_dataset("blosc", data=ints, chunks=ch, **hdf5plugin.Blosc(cname="lz4", clevel=5))
        f.create_dataset("blosc_zstd", data=flts, chunks=ch,
                         **hdf5plugin.Blosc(cname="zstd", shuffle=hdf5plugin.Blosc.BITSHUFFLE))
        f.create_dataset("lz4", data=ints, chunks=ch, **hdf5plugin.LZ4())
        f.create_dataset("bitshuffle", data=ints, chunks=ch, **hdf5plugin.Bitshuffle())
        f.create_dataset("bitshuffle_lz4", data=ints, chunks=ch, **hdf5plugin.Bitshuffle(cname="lz4"))
        try:
            f.create_dataset("zstd", data=ints, chunks=ch, **hdf5plugin.Zstd())
        except Exception as e:  # noqa: BLE001 - plugin missing from this hdf5plugin build
            print("make_seeds: zstd: %s" % e, file=sys.stderr)


def data_types(f, lv):
    """Datasets of every datatype class holding real values (vlen data in the global heap)."""
    f.create_dataset("vstr", data=["alpha", "", "gamma" * 5], dtype=h5py.string_dtype())
    vl = f.create_dataset("vlen_i4", shape=(3,), dtype=h5py.vlen_dtype(np.int32))
    vl[0] = [1, 2, 3]
    vl[1] = []
    vl[2] = np.arange(7)
    vf = f.create_dataset("vlen_f8_chunked", shape=(4,), chunks=(2,), dtype=h5py.vlen_dtype(">f8"),
                          compression="gzip")
    for i in range(4):
        vf[i] = np.arange(i, dtype=">f8")
    cmp = np.dtype([("x", "<i4"), ("y", ">f8"), ("s", "S3"), ("v", h5py.string_dtype())])
    f.create_dataset("cmp_vlen", data=np.array([(1, 2.0, b"ab", "one"), (3, 4.5, b"cd", "two")], dtype=cmp))
    f.create_dataset("enum", data=np.array([0, 1, 7], dtype="i2"),
                     dtype=h5py.enum_dtype({"A": 0, "B": 1, "C": 7}, basetype="i2"))
    arr = f.create_dataset("arr", shape=(3,), dtype=np.dtype((">u2", (2, 2))))
    arr[...] = np.arange(12, dtype=">u2").reshape(3, 2, 2)
    f.create_dataset("f2", data=np.array([1.5, -2, np.inf], dtype="<f2"))
    f.create_dataset("bool", data=np.array([True, False, True]))
    f.create_dataset("ref", data=[f["vstr"].ref, f["enum"].ref], dtype=h5py.ref_dtype)
    f.create_dataset("opaque", data=np.array([b"\x01\x02", b"\x03\x04"], dtype="V2"))
    f.attrs["vlen_attr"] = np.array(["p", "qq"], dtype=h5py.string_dtype())
    f.attrs["vlen_seq_attr"] = np.array([np.arange(2), np.arange(3)], dtype=h5py.vlen_dtype(np.int16))
    f.attrs["cmp_attr"] = np.array([(5, 6.0, b"z", "w")], dtype=cmp)
    f.create_dataset("ext", shape=(4,), dtype="<i4", external=[("ext_data.bin", 0, 16)])


def virtual(f, lv):
    """A virtual dataset whose sources are in the same file ("."): two 1-D sources side by side,
    a strided mapping, and an unmapped region read as the fill value."""
    f.create_dataset("src_a", data=np.arange(6, dtype="<i4"))
    f.create_dataset("src_b", data=np.arange(100, 106, dtype="<i4"))
    lay = h5py.VirtualLayout(shape=(2, 8), dtype="<i4")
    lay[0, :6] = h5py.VirtualSource(".", "src_a", shape=(6,))
    lay[1, 0:6:2] = h5py.VirtualSource(".", "src_b", shape=(6,))[0:3]
    lay[1, 7] = h5py.VirtualSource(".", "src_b", shape=(6,))[5]
    f.create_virtual_dataset("vds", lay, fillvalue=-7)


def userblock(path, lv):
    with h5py.File(path, "w", libver=lv, userblock_size=512) as f:
        f.create_group("g")
        f.attrs["ub"] = np.int32(512)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for lv in LIBVERS:
        for fn in (groups, attrs, corder, types, spaces, layouts, filters, data_types, virtual):
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
