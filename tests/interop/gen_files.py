#!/usr/bin/python3
"""Generate the HDF5 files the interop tests list with both h5kit and h5ls.

    /usr/bin/python3 tests/interop/gen_files.py OUTDIR

Every structure is written twice, with libver="earliest" (version 0 superblock, symbol-table
groups, v1 B-trees, local heaps) and libver="latest" (version 2/3 superblock, link messages,
fractal heaps, v2 B-trees, compact/dense storage); the file names end in _earliest.h5 and
_latest.h5. A few features exist only in one format (an attribute over 64 KiB needs dense
attribute storage, so "latest" only); where h5py or the HDF5 library refuses something the
generator notes it on stderr and carries on. The expected output is never stored: the tests run
h5ls on these files live.
"""
import ctypes
import os
import sys

import h5py
import numpy as np

LIBVERS = ("earliest", "latest")


def note(msg):
    print("gen_files: " + msg, file=sys.stderr)


def nested(f, lv):
    """Groups nested six deep, with a dataset and an empty group at several levels."""
    path = ""
    for depth in range(1, 7):
        path += "/level%d" % depth
        g = f.create_group(path)
        if depth % 2 == 0:
            g["values"] = np.arange(depth, dtype="i4")
        g.create_group("empty_at_%d" % depth)
    f.create_group("empty")
    f.create_group("sibling/child/grandchild")


def large_group(f, lv):
    """A group over 1000 members (symbol table / v1 B-tree with many nodes in earliest, dense
    storage with a fractal heap and name-index v2 B-tree in latest); latest also gets 1500."""
    g = f.create_group("big1001")
    for i in range(1001):
        if i % 10 == 0:
            g.create_group("g%04d" % i)
        else:
            g.create_dataset("d%04d" % i, data=np.int16(i))
    if lv == "latest":
        g = f.create_group("big1500")
        for i in range(1500):
            g.create_group("member_%05d" % ((i * 7919) % 1500))
    small = f.create_group("small")  # stays compact in latest
    for i in range(5):
        small.create_group("s%d" % i)


def creation_order(f, lv):
    """Groups that track creation order, members inserted out of name order."""
    names = ["zeta", "alpha", "mu", "beta", "omega", "delta", "kappa", "epsilon", "gamma", "eta"]
    g = f.create_group("ordered", track_order=True)
    for n in names:
        g.create_group(n)
    g2 = f.create_group("ordered_many", track_order=True)
    for i in range(40):  # past the compact threshold in latest: dense with a creation-order index
        g2.create_dataset("item%02d" % ((i * 17) % 40), data=i)
    d = f.create_dataset("ordered_attrs", data=np.arange(3), track_order=True)
    for n in names:
        d.attrs[n] = n
    f.create_group("plain_after")


def many_attributes(f, lv):
    """200 attributes on one group and one dataset; a 100 KiB attribute in latest."""
    g = f.create_group("with_attrs")
    for i in range(200):
        g.attrs["attr_%03d" % i] = np.arange(i % 5 + 1, dtype="f8")
    d = f.create_dataset("data_with_attrs", data=np.arange(10))
    for i in range(200):
        d.attrs["a%03d" % i] = "value %d" % i
    d.attrs["units"] = "mm"
    try:
        f.create_group("big_attr").attrs["blob"] = np.zeros(100 * 1024 // 8, dtype="f8")
    except Exception as e:  # earliest: object header messages are limited to 64 KiB
        note("%s: large attribute refused (%s)" % (lv, type(e).__name__))


def links(f, lv, target_name):
    """Soft, dangling and external links (to a generated file and to a missing one)."""
    g = f.create_group("targets/inner")
    g["x"] = np.arange(5)
    f["soft_to_group"] = h5py.SoftLink("/targets/inner")
    f["soft_to_dataset"] = h5py.SoftLink("/targets/inner/x")
    f["dangling"] = h5py.SoftLink("/does/not/exist")
    f["relative_soft"] = h5py.SoftLink("inner")
    lk = f.create_group("linkgroup")
    lk["up"] = h5py.SoftLink("/targets")
    lk["ext_existing"] = h5py.ExternalLink(target_name, "/data")
    lk["ext_group"] = h5py.ExternalLink(target_name, "/group")
    lk["ext_missing"] = h5py.ExternalLink("no_such_file.h5", "/x")
    f["ext_root"] = h5py.ExternalLink(target_name, "/")


def external_target(f, lv):
    """The file the external links point at."""
    f["data"] = np.arange(6, dtype="u1").reshape(2, 3)
    f.create_group("group/sub")


def committed_types(f, lv):
    """Named datatypes used by datasets and attributes."""
    f["types/int_be"] = np.dtype(">i4")
    f["types/point"] = np.dtype([("x", "f4"), ("y", "f4"), ("label", "S8")])
    f["types/color"] = h5py.enum_dtype({"RED": 0, "GREEN": 1, "BLUE": 2}, basetype="u1")
    f["types/vlen_str"] = h5py.string_dtype()
    f.create_dataset("ints", data=np.arange(4), dtype=f["types/int_be"])
    pts = np.zeros(3, dtype=f["types/point"].dtype)
    f.create_dataset("points", data=pts, dtype=f["types/point"])
    f.create_dataset("colors", data=np.array([0, 2, 1], dtype="u1"), dtype=f["types/color"])
    f["points"].attrs.create("origin", data=pts[0], dtype=f["types/point"])
    f["ints"].attrs.create("scale", data=np.int32(3), dtype=f["types/int_be"])
    f.create_group("g").attrs.create("names", data=["a", "bc"], dtype=f["types/vlen_str"])


def datasets(f, lv):
    """Every dataspace kind and storage layout."""
    f["scalar"] = np.float64(3.5)
    f["scalar_str"] = np.bytes_(b"hello")
    f["null"] = h5py.Empty("f4")
    f["one_d"] = np.arange(20, dtype="i8")
    f["three_d"] = np.arange(2 * 3 * 4, dtype="f4").reshape(2, 3, 4)
    f.create_dataset("unlimited", data=np.arange(10), maxshape=(None,), chunks=(4,))
    f.create_dataset("unlimited_2d", shape=(3, 0), maxshape=(None, None), dtype="i2")
    f.create_dataset("bounded", data=np.zeros((4, 5)), maxshape=(8, 10), chunks=(2, 5))
    f.create_dataset("chunked_gzip", data=np.arange(1000, dtype="u2"), chunks=(100,),
                     compression="gzip", shuffle=True)
    f.create_dataset("chunked_3d", data=np.ones((6, 7, 8), dtype="u1"), chunks=(2, 3, 4))
    f.create_dataset("contiguous", data=np.arange(50, dtype="f8"))
    f.create_dataset("contiguous_empty", shape=(10,), dtype="i4")  # never written
    f.create_dataset("zero_size", shape=(0,), dtype="i4")
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_layout(h5py.h5d.COMPACT)
    f.create_dataset("compact", data=np.arange(12, dtype="i4").reshape(3, 4), dcpl=dcpl)
    f.create_dataset("strings", data=np.array([b"ab", b"cde"], dtype="S3"))
    f.create_dataset("vlen_strings", data=["x", "yz"], dtype=h5py.string_dtype())
    f.create_dataset("compound", data=np.zeros(2, dtype=[("a", "i4"), ("b", "f8")]))


def edge_raw(f, lv):
    """Chunked datasets whose partial edge chunks are stored unfiltered (libhdf5's
    H5Pset_chunk_opts(H5D_CHUNK_DONT_FILTER_PARTIAL_CHUNKS), which h5py does not expose: called
    through ctypes in the libhdf5 h5py runs on). Layout message version 4 only."""
    import ctypes
    lib = ctypes.CDLL("libhdf5_serial.so.103")
    lib.H5Pset_chunk_opts.argtypes = [ctypes.c_int64, ctypes.c_uint]
    for name, shape, maxshape, chunks, dtype, shuffle in (
            ("edge_gzip", (10, 10), (None, 10), (4, 4), "<i4", False),
            ("edge_shuffle_gzip", (7, 13), (None, None), (3, 5), "<u2", True)):
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_chunk(chunks)
        if shuffle:
            dcpl.set_shuffle()
        dcpl.set_deflate(4)
        if lib.H5Pset_chunk_opts(dcpl.id, 2) < 0:
            raise RuntimeError("H5Pset_chunk_opts failed")
        sp = h5py.h5s.create_simple(shape, tuple(h5py.h5s.UNLIMITED if m is None else m for m in maxshape))
        h5py.h5d.create(f.id, name.encode(), h5py.h5t.py_create(np.dtype(dtype)), sp, dcpl=dcpl)
        f[name][...] = (np.arange(int(np.prod(shape))) % 1000).astype(dtype).reshape(shape)


def dimension_scales(f, lv):
    """Dimension scales (NeXus, netCDF-4): DIMENSION_LIST on the data (a variable-length sequence
    of object references per dimension) and REFERENCE_LIST on each scale (a compound holding an
    object reference): references in both directions."""
    g = f.create_group("grid")
    g["x"] = np.linspace(0.0, 1.0, 5)
    g["y"] = np.arange(3, dtype="i4")
    g["t"] = np.arange(2, dtype="f4")
    g["x"].make_scale("x")
    g["y"].make_scale("y")
    g["t"].make_scale("t")
    d = g.create_dataset("temperature", data=np.arange(30, dtype="f4").reshape(2, 3, 5))
    d.dims[0].attach_scale(g["t"])
    d.dims[1].attach_scale(g["y"])
    d.dims[2].attach_scale(g["x"])
    d.attrs["units"] = "K"
    p = f.create_dataset("pressure", data=np.ones((3, 5)))
    p.dims[0].attach_scale(g["y"])
    p.dims[1].attach_scale(g["x"])
    p.dims[1].attach_scale(g["t"])  # two scales on one dimension


def references(f, lv):
    """Object reference datasets (contiguous and compact) and attributes pointing at the root, a
    group, a dataset and a committed datatype, and a null reference: after a change moves their
    targets, they must still reach them."""
    g = f.create_group("targets")
    g["data"] = np.arange(4, dtype="i2")
    g["type"] = np.dtype("<f8")
    refs = [f.ref, g.ref, g["data"].ref, g["type"].ref, h5py.Reference()]
    f.create_dataset("refs", data=refs, dtype=h5py.ref_dtype)
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_layout(h5py.h5d.COMPACT)
    sp = h5py.h5s.create_simple((2,))
    h5py.h5d.create(f.id, b"refs_compact", h5py.h5t.STD_REF_OBJ, sp, dcpl=dcpl)
    f["refs_compact"][...] = [g["data"].ref, f.ref]
    g["data"].attrs["to_group"] = g.ref
    g.attrs["to_all"] = np.array(refs[:3], dtype=h5py.ref_dtype)


def hard_links(f, lv):
    """One object reachable from two (three) places; h5ls says "same as" the first path."""
    f.create_group("a/x")
    f["a/x/d"] = np.arange(3)
    f["b/alias_of_x"] = f["a/x"]
    f["c"] = f["a/x"]
    f["a/dset"] = np.arange(4)
    f["b/dset_alias"] = f["a/dset"]
    f.create_group("a/x/loop")
    f["a/x/loop/back_to_a"] = f["a"]  # a cycle through hard links


def names(f, lv):
    """Names with spaces, UTF-8, punctuation and lengths past h5ls's 24-character column."""
    f.create_group("with space")
    f["with space/inner name"] = np.arange(2)
    f.create_group("ünïcødé グループ")
    f["ünïcødé グループ/δεδομένα"] = np.float32(1)
    f.create_group("a_group_name_that_is_longer_than_the_column")
    f["a_group_name_that_is_longer_than_the_column/exactly_twenty_four_ch"] = 1
    f["a_group_name_that_is_longer_than_the_column/" + "n" * 200] = 2
    f["punct-._~!@#$%^&*()[]{}+=,;'"] = 3
    f["back\\slash"] = 4
    f["tab\there"] = 5


def userblock(size):
    def make(f, lv):
        f["data"] = np.arange(8)
        f.create_group("group")
    make.userblock = size
    return make


def free_space(f, lv):
    """Persistent free-space tracking (superblock extension with a file space info message)."""
    f["a"] = np.arange(1000)
    f["b"] = np.arange(1000)
    f.create_group("g")
    del f["a"]  # leave free space to track


def shared_messages(f, lv):
    """Datasets whose datatype and dataspace messages are shared through the SOHM table."""
    dt = np.dtype([("field_%d" % i, "f8") for i in range(8)])
    for i in range(10):
        ds = f.create_dataset("d%d" % i, shape=(4, 5), dtype=dt)
        ds.attrs["note"] = np.arange(20, dtype="i8")


def open_with_shared_messages(path, lv):
    """A file whose creation property list asks for shared object header messages. h5py does not
    wrap H5Pset_shared_mesg_*, so reach them through the HDF5 library h5py already loaded."""
    lib = None
    for soname in ("libhdf5_serial.so.103", "libhdf5.so.103", "libhdf5_serial.so", "libhdf5.so"):
        try:
            lib = ctypes.CDLL(soname)
            break
        except OSError:
            continue
    if lib is None:
        raise RuntimeError("HDF5 shared library not found")
    fcpl = h5py.h5p.create(h5py.h5p.FILE_CREATE)
    if lib.H5Pset_shared_mesg_nindexes(ctypes.c_int64(fcpl.id), ctypes.c_uint(1)) < 0:
        raise RuntimeError("H5Pset_shared_mesg_nindexes failed")
    all_flags = 0x00FF  # H5O_SHMESG_ALL_FLAG: sdspace, dtype, fill, pline, attr
    if lib.H5Pset_shared_mesg_index(ctypes.c_int64(fcpl.id), ctypes.c_uint(0),
                                    ctypes.c_uint(all_flags & 0x1F), ctypes.c_uint(16)) < 0:
        raise RuntimeError("H5Pset_shared_mesg_index failed")
    fapl = h5py.h5p.create(h5py.h5p.FILE_ACCESS)
    fapl.set_libver_bounds(h5py.h5f.LIBVER_EARLIEST if lv == "earliest" else h5py.h5f.LIBVER_LATEST,
                           h5py.h5f.LIBVER_LATEST)
    fid = h5py.h5f.create(path.encode(), h5py.h5f.ACC_TRUNC, fcpl=fcpl, fapl=fapl)
    return h5py.File(fid)


def write(outdir, base, lv, fill, **kw):
    path = os.path.join(outdir, "%s_%s.h5" % (base, lv))
    tmp = path + ".part"
    try:
        with h5py.File(tmp, "w", libver=lv, **kw) as f:
            fill(f, lv)
    except Exception as e:
        note("%s: skipped (%s: %s)" % (os.path.basename(path), type(e).__name__, e))
        if os.path.exists(tmp):
            os.remove(tmp)
        return
    os.replace(tmp, path)


def main():
    if len(sys.argv) != 2:
        print("usage: gen_files.py OUTDIR", file=sys.stderr)
        return 2
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    for lv in LIBVERS:
        target = "external_target_%s.h5" % lv
        write(outdir, "external_target", lv, external_target)
        write(outdir, "nested", lv, nested)
        write(outdir, "large_group", lv, large_group)
        write(outdir, "creation_order", lv, creation_order, track_order=True)
        write(outdir, "attributes", lv, many_attributes)
        write(outdir, "links", lv, lambda f, v: links(f, v, target))
        write(outdir, "committed_types", lv, committed_types)
        write(outdir, "datasets", lv, datasets)
        write(outdir, "hard_links", lv, hard_links)
        write(outdir, "dimension_scales", lv, dimension_scales)
        write(outdir, "references", lv, references)
        write(outdir, "names", lv, names)
        write(outdir, "userblock512", lv, userblock(512), userblock_size=512)
        write(outdir, "userblock4096", lv, userblock(4096), userblock_size=4096)
        if lv == "latest":
            write(outdir, "free_space", lv, free_space, fs_strategy="fsm", fs_persist=True,
                  fs_threshold=1)
            write(outdir, "paged", lv, free_space, fs_strategy="page", fs_page_size=4096,
                  fs_persist=True)
            write(outdir, "edge_raw", lv, edge_raw)
        path = os.path.join(outdir, "shared_messages_%s.h5" % lv)
        try:
            with open_with_shared_messages(path + ".part", lv) as f:
                shared_messages(f, lv)
            os.replace(path + ".part", path)
        except Exception as e:
            note("%s: skipped (%s: %s)" % (os.path.basename(path), type(e).__name__, e))
            if os.path.exists(path + ".part"):
                os.remove(path + ".part")
    return 0


if __name__ == "__main__":
    sys.exit(main())
