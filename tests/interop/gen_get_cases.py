#!/usr/bin/python3
"""Test files and expected values for tests/interop/test_get.sh (h5kit get / h5kit chunks).

usage: gen_get_cases.py DATADIR CORPUSDIR

Writes HDF5 files into DATADIR with h5py, and for every case the expected output of
`h5kit get FILE#PATH [--slice S]` as numpy computes it:

    ds[sel].astype(ds.dtype.newbyteorder('<')).tobytes()

into DATADIR/exp/ID.bin, plus DATADIR/exp/ID.npy (the same array, for the --format npy check).
DATADIR/cases.tsv lists the cases, one per line: ID, FILE, PATH, SLICE ('-' for none), FORMATS
(comma list of raw, npy, csv). DATADIR/chunks.tsv lists chunked datasets with the expected
`h5kit chunks` lines in DATADIR/exp/chunks_ID.txt (from h5py's get_chunk_info). Numeric datasets
of CORPUSDIR (files h5py can read) are added as cases too.
"""
import os
import sys

import h5py
import hdf5plugin
import numpy as np

DATA = sys.argv[1]
CORPUS = sys.argv[2] if len(sys.argv) > 2 else None
EXP = os.path.join(DATA, "exp")
os.makedirs(EXP, exist_ok=True)

cases = []
chunk_cases = []


def expected(ds, spec):
    sel = eval("np.s_[" + spec + "]") if spec else ()
    a = ds[sel]
    a = np.asarray(a)
    if a.dtype.kind in "iuf":
        a = a.astype(a.dtype.newbyteorder("<"))
    return a


def add(fname, path, spec="", formats="raw,npy"):
    with h5py.File(os.path.join(DATA, fname), "r") as f:
        ds = f[path]
        a = expected(ds, spec)
    cid = f"c{len(cases):04d}"
    with open(os.path.join(EXP, cid + ".bin"), "wb") as o:
        o.write(a.tobytes())
    if "npy" in formats or "csv" in formats:
        np.save(os.path.join(EXP, cid + ".npy"), a)
    cases.append((cid, fname, path, spec, formats))


def add_chunks(fname, path):
    with h5py.File(os.path.join(DATA, fname), "r") as f:
        ds = f[path]
        if ds.chunks is None:
            return
        lines = []
        for i in range(ds.id.get_num_chunks()):
            c = ds.id.get_chunk_info(i)
            lines.append("%s\t%d\t%d\t0x%08x" % (",".join(str(x) for x in c.chunk_offset), c.byte_offset,
                                                 c.size, c.filter_mask))
    cid = f"k{len(chunk_cases):04d}"
    with open(os.path.join(EXP, f"chunks_{cid}.txt"), "w") as o:
        o.write("".join(sorted(l + "\n" for l in lines)))
    chunk_cases.append((cid, fname, path))


rng = np.random.default_rng(7)


def values(dtype, shape):
    dt = np.dtype(dtype)
    n = int(np.prod(shape))
    if dt.kind == "f":
        v = rng.standard_normal(n) * 1000
        if dt.itemsize == 2:
            v = v / 100
        v[: min(n, 4)] = [np.inf, -np.inf, 0.0, -0.0][: min(n, 4)]
        return v.astype(dt).reshape(shape)
    info = np.iinfo(dt)
    v = rng.integers(info.min, info.max, size=n, dtype=np.int64 if info.min < 0 else np.uint64, endpoint=True)
    return v.astype(dt).reshape(shape)


NUMERIC = [o + k for k in ("i1", "u1", "i2", "u2", "i4", "u4", "i8", "u8", "f2", "f4", "f8") for o in ("<", ">")]

# ---- every numeric type, both byte orders, contiguous / compact / chunked --------------------------
for lv in ("earliest", "latest"):
    fn = f"types_{lv}.h5"
    with h5py.File(os.path.join(DATA, fn), "w", libver=lv) as f:
        for t in NUMERIC:
            name = t.replace("<", "le_").replace(">", "be_")
            v = values(t, (7, 5))
            f.create_dataset("contig/" + name, data=v)
            f.create_dataset("chunk/" + name, data=v, chunks=(3, 2))
            dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
            dcpl.set_layout(h5py.h5d.COMPACT)
            sp = h5py.h5s.create_simple(v.shape)
            tid = h5py.h5t.py_create(np.dtype(t))
            dsid = h5py.h5d.create(f.id, ("compact_" + name).encode(), tid, sp, dcpl=dcpl)
            dsid.write(h5py.h5s.ALL, h5py.h5s.ALL, v)
        f.create_dataset("scalar", data=np.float64(3.25))
        f.create_dataset("scalar_be", data=np.array(-7, dtype=">i4"))
        f.create_dataset("empty", shape=(0, 4), dtype="<i4")
        f.create_dataset("str", data=np.array([b"ab", b"cde", b""], dtype="S4"))
    for t in NUMERIC:
        name = t.replace("<", "le_").replace(">", "be_")
        add(fn, "contig/" + name, formats="raw,npy,csv")
        add(fn, "chunk/" + name, "1:6:2, 1:")
        add(fn, "compact_" + name)
    add(fn, "chunk/le_f8", "-2, :", formats="raw,npy,csv")
    add(fn, "contig/be_i2", "::3, -1", formats="raw,npy,csv")
    add(fn, "scalar", formats="raw,npy,csv")
    add(fn, "scalar_be")
    add(fn, "empty")
    add(fn, "str")
    add(fn, "chunk/le_u2", "10:20, :")
    add(fn, "chunk/le_u2", "-100:3, -3:-1")
    add_chunks(fn, "chunk/be_f4")

# ---- chunk indexes: v1 B-tree (earliest); single, implicit, fixed array, extensible array, v2 B-tree
for lv in ("earliest", "latest"):
    fn = f"index_{lv}.h5"
    with h5py.File(os.path.join(DATA, fn), "w", libver=lv) as f:
        v = values("<i4", (37, 23))
        f.create_dataset("single", data=v, chunks=v.shape)
        f.create_dataset("single_gz", data=v, chunks=v.shape, compression="gzip")
        f.create_dataset("fixed", data=v, chunks=(8, 5))
        f.create_dataset("fixed_many", data=values("<u2", (300, 200)), chunks=(3, 4))  # paged fixed array
        d = f.create_dataset("earray", shape=(37, 23), maxshape=(None, 23), chunks=(8, 5), dtype="<i4")
        d[...] = v
        d = f.create_dataset("earray_big", shape=(2000, 7), maxshape=(None, 7), chunks=(3, 7), dtype="<f8")
        d[...] = values("<f8", (2000, 7))
        d = f.create_dataset("btree2", shape=(37, 23), maxshape=(None, None), chunks=(8, 5), dtype="<i4")
        d[...] = v
        d = f.create_dataset("btree2_many", shape=(200, 300), maxshape=(None, None), chunks=(7, 9), dtype=">i2")
        d[...] = values(">i2", (200, 300))
        # implicit index: early allocation, no filters
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_chunk((8, 5))
        dcpl.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)
        sp = h5py.h5s.create_simple((37, 23))
        dsid = h5py.h5d.create(f.id, b"implicit", h5py.h5t.STD_I32LE, sp, dcpl=dcpl)
        dsid.write(h5py.h5s.ALL, h5py.h5s.ALL, v)
        # unallocated chunks with a fill value, partial edge chunks
        d = f.create_dataset("sparse", shape=(50, 40), chunks=(16, 16), dtype="<i2", fillvalue=-7)
        d[3:10, 20:25] = 5
        d[40:50, 0:3] = 9
        d = f.create_dataset("sparse_unl", shape=(50, 40), maxshape=(None, 40), chunks=(16, 16), dtype=">f4",
                             fillvalue=1.5, compression="gzip")
        d[17:20, 33:40] = 2.5
        d = f.create_dataset("never_written", shape=(10, 10), chunks=(4, 4), dtype="<u4", fillvalue=42)
        d = f.create_dataset("unl_resized", shape=(5, 6), maxshape=(None, None), chunks=(4, 4), dtype="<i8")
        d[...] = values("<i8", (5, 6))
        d.resize((9, 11))
        d[8, 10] = 1
        d = f.create_dataset("three_d", data=values("<u1", (9, 10, 11)), chunks=(4, 3, 5))
    for p in ("single", "single_gz", "fixed", "fixed_many", "earray", "earray_big", "btree2", "btree2_many",
              "implicit", "sparse", "sparse_unl", "never_written", "unl_resized", "three_d"):
        add(fn, p)
        add_chunks(fn, p)
    add(fn, "fixed", "5:30:4, 2:20:3")
    add(fn, "earray_big", "::97, 3")
    add(fn, "btree2_many", "150:, ::13")
    add(fn, "sparse", ":, 15:17", formats="raw,npy,csv")
    add(fn, "three_d", "::2, 1, 4:")
    add(fn, "three_d", "-1, -2, -3")

# ---- filters -------------------------------------------------------------------------------------
fn = "filters.h5"
filters = {
    "gzip": dict(compression="gzip", compression_opts=6),
    "shuffle_gzip": dict(compression="gzip", shuffle=True),
    "lzf": dict(compression="lzf"),
    "fletcher32": dict(fletcher32=True),
    "gzip_fletcher32": dict(compression="gzip", fletcher32=True),
    "scaleoffset_int": dict(scaleoffset=0),
    "lz4": dict(hdf5plugin.LZ4()),
    "bitshuffle": dict(hdf5plugin.Bitshuffle(cname="none")),
    "bitshuffle_lz4": dict(hdf5plugin.Bitshuffle(cname="lz4")),
    "zstd": dict(hdf5plugin.Zstd()),
    "blosc_lz4": dict(hdf5plugin.Blosc(cname="lz4", clevel=5, shuffle=hdf5plugin.Blosc.SHUFFLE)),
    "blosc_zstd_bit": dict(hdf5plugin.Blosc(cname="zstd", clevel=3, shuffle=hdf5plugin.Blosc.BITSHUFFLE)),
    "blosc_lz4hc": dict(hdf5plugin.Blosc(cname="lz4hc", clevel=9, shuffle=hdf5plugin.Blosc.NOSHUFFLE)),
}
# Filters the installed libhdf5 cannot write (Debian has no zstd plugin) are left out.
filters = {k: v for k, v in filters.items()
           if all(h5py.h5z.filter_avail(i) for i in ([v["compression"]] if isinstance(v.get("compression"), int) else []))}
with h5py.File(os.path.join(DATA, fn), "w") as f:
    for name, kw in filters.items():
        for t in ("<u2", ">i4", "<f8"):
            if name == "scaleoffset_int" and t == "<f8":
                continue
            v = values(t, (61, 47))
            if t == "<u2":
                v = (rng.poisson(2.0, size=(61, 47))).astype(t)  # compressible
            f.create_dataset(f"{name}/{t[0] == '<' and 'le' or 'be'}_{t[1:]}", data=v, chunks=(16, 16), **kw)
    f.create_dataset("scaleoffset_float/f4", data=values("<f4", (40, 30)), chunks=(16, 16), scaleoffset=3)
    f.create_dataset("scaleoffset_float/f8", data=values(">f8", (40, 30)), chunks=(16, 16), scaleoffset=2)
    # a filter that failed to compress one chunk (stored raw, mask bit set) can't be forced from
    # h5py; random data under gzip comes close: the chunk is stored compressed but bigger
    f.create_dataset("gzip_random", data=rng.integers(0, 255, size=(64, 64), dtype=np.uint8), chunks=(32, 32),
                     compression="gzip")
with h5py.File(os.path.join(DATA, fn), "r") as f:
    names = []
    f.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
for n in names:
    add(fn, n)
    add_chunks(fn, n)
add(fn, "gzip/le_u2", "::5, 10:40:7")

# ---- big reads: outputs of 16 MiB and more are written with non-temporal stores by the shuffle
# and bitshuffle decoders (dataset.c STREAM_MIN_BYTES); element sizes 2, 4, 8, chunks that are and
# are not whole bitshuffle blocks and 16-byte multiples (so some land misaligned in the output).
fn = "big.h5"
with h5py.File(os.path.join(DATA, fn), "w") as f:
    f.create_dataset("bslz4_u2", data=rng.poisson(0.6, size=(40, 512, 512)).astype("<u2"), chunks=(1, 512, 512),
                     **hdf5plugin.Bitshuffle(cname="lz4"))
    f.create_dataset("bslz4_f4_odd", data=rng.normal(size=(60, 333, 213)).astype("<f4"), chunks=(1, 333, 213),
                     **hdf5plugin.Bitshuffle(cname="lz4"))
    f.create_dataset("bitshuffle_i4", data=rng.poisson(50.0, size=(5, 1024, 1024)).astype(">i4"),
                     chunks=(1, 1024, 1024), **hdf5plugin.Bitshuffle(cname="none"))
    f.create_dataset("shuf_gzip_f8", data=rng.normal(size=(20, 256, 512)), chunks=(1, 256, 512), shuffle=True,
                     compression="gzip", compression_opts=1)
    f.create_dataset("shuf_u2_odd", data=rng.poisson(3.0, size=(60, 333, 213)).astype("<u2"), chunks=(1, 333, 213),
                     shuffle=True, compression="gzip", compression_opts=1)
for n in ("bslz4_u2", "bslz4_f4_odd", "bitshuffle_i4", "shuf_gzip_f8", "shuf_u2_odd"):
    add(fn, n, formats="raw")
add(fn, "bslz4_f4_odd", "3:50, 7:300, ::2", formats="raw")

# ---- the tutorial slice --------------------------------------------------------------------------
fn = "tutorial.h5"
with h5py.File(os.path.join(DATA, fn), "w") as f:
    v = np.arange(1494 * 60 * 47, dtype="<f4").reshape(1494, 60, 47) * np.float32(0.5)
    f.create_dataset("entry/data/data", data=v, chunks=(10, 60, 47), compression="gzip")
    f.create_dataset("entry/data/plain", data=v.astype(">i4"))
add(fn, "entry/data/data", "::500, 10:12, :3", formats="raw,npy,csv")
add(fn, "entry/data/plain", "::500, 10:12, :3", formats="raw,npy,csv")
add(fn, "entry/data/data", "700, :, -1")

# ---- external data files (External File List): segments in two raw files, the second short ---------
fn = "external.h5"
ext = np.arange(3 * 40, dtype="<i4").reshape(3, 40)
raw = ext.tobytes()
with open(os.path.join(DATA, "ext_a.bin"), "wb") as o:
    o.write(b"\0" * 16 + raw[:200])
with open(os.path.join(DATA, "ext_b.bin"), "wb") as o:
    o.write(raw[200:])
with h5py.File(os.path.join(DATA, fn), "w") as f:
    f.create_dataset("ext", shape=(3, 40), dtype="<i4",
                     external=[("ext_a.bin", 16, 200), ("ext_b.bin", 0, h5py.h5f.UNLIMITED)])
prev = os.getcwd()
os.chdir(DATA)  # h5py resolves external files against the working directory
add(fn, "ext")
add(fn, "ext", "1:3, ::7")
os.chdir(prev)

# ---- virtual datasets: sources in another file and in the same file -------------------------------
fn = "virtual.h5"
with h5py.File(os.path.join(DATA, "vsrc.h5"), "w") as f:
    f["data"] = np.arange(60, dtype=">u2").reshape(6, 10)
lay = h5py.VirtualLayout(shape=(3, 6, 10), dtype=">u2")
lay[0] = h5py.VirtualSource("vsrc.h5", "data", shape=(6, 10))
lay[2, ::2] = h5py.VirtualSource("vsrc.h5", "data", shape=(6, 10))[1:4]
with h5py.File(os.path.join(DATA, fn), "w", libver="latest") as f:
    f.create_virtual_dataset("stack", lay, fillvalue=9)
prev = os.getcwd()
os.chdir(DATA)
add(fn, "stack")
add(fn, "stack", "::2, 1:5, 3")
os.chdir(prev)

# ---- the corpus: every numeric dataset h5py reads ------------------------------------------------
if CORPUS and os.path.isdir(CORPUS):
    for cf in sorted(os.listdir(CORPUS)):
        full = os.path.join(CORPUS, cf)
        try:
            f = h5py.File(full, "r")
        except Exception:
            continue
        found = []

        def visit(n, o):
            if isinstance(o, h5py.Dataset) and o.dtype.kind in "iuf" and o.dtype.fields is None \
                    and o.dtype.subdtype is None and o.size < 50_000_000 and o.shape is not None:
                found.append(n)

        try:
            f.visititems(visit)
        except Exception:
            pass
        f.close()
        if len(found) > 60:  # large groups: an even sample
            found = found[:: (len(found) + 59) // 60]
        for n in found:
            try:
                with h5py.File(full, "r") as g:
                    a = expected(g[n], "")
            except Exception:
                continue  # h5py can't read it (e.g. missing filter): nothing to compare with
            cid = f"c{len(cases):04d}"
            with open(os.path.join(EXP, cid + ".bin"), "wb") as o:
                o.write(a.tobytes())
            np.save(os.path.join(EXP, cid + ".npy"), a)
            cases.append((cid, full, n, "", "raw,npy"))

with open(os.path.join(DATA, "cases.tsv"), "w") as o:
    for c in cases:
        o.write("\t".join(c[:3] + (c[3] or "-",) + c[4:]) + "\n")
with open(os.path.join(DATA, "chunks.tsv"), "w") as o:
    for c in chunk_cases:
        o.write("\t".join(c) + "\n")
