#!/usr/bin/env python3
"""Write filtered chunks made by the reference library, for tests/unit/test_filters.c.

    /usr/bin/python3 tests/data/make_filter_chunks.py OUTDIR

For each case, h5py (libhdf5, plus hdf5plugin's filters when installed) writes a small chunked
dataset to OUTDIR/cases.h5. We then save, per case NAME:
  NAME.raw   the stored chunk at the origin (ds.id.read_direct_chunk), still filtered
  NAME.exp   what libhdf5 decodes that chunk to, in the dataset's own file datatype (read with
             the memory type equal to the file type, so no conversion is applied)
  NAME.meta  "elem_size E", "expect_len N", "mask M", then one line per filter of the pipeline
             as stored: "filter ID FLAGS NCD CD0 CD1 ..."
and OUTDIR/cases.txt lists the names. Cases whose filter is not available are left out (and
reported on stderr). A zstd case is made with the `zstd` command when present: the HDF5 zstd
filter's chunk is a plain zstd frame, and Debian ships no HDF5 zstd plugin.
"""
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np

try:
    import hdf5plugin
except ImportError:  # the plugin cases are skipped
    hdf5plugin = None

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(20240611)
names = []


def save(name, ds, offset=None):
    dcpl = ds.id.get_create_plist()
    chunk = ds.chunks
    if offset is None:
        offset = (0,) * len(chunk)
    mask, raw = ds.id.read_direct_chunk(offset)
    ftype = ds.id.get_type()
    full = np.empty(ds.shape, dtype=ds.dtype)
    ds.id.read(h5py.h5s.ALL, h5py.h5s.ALL, full, mtype=ftype)
    sel = tuple(slice(o, o + c) for o, c in zip(offset, chunk))
    exp = np.ascontiguousarray(full[sel]).tobytes()
    size = ftype.get_size()
    n = 1
    for c in chunk:
        n *= c
    assert len(exp) == n * size, (name, len(exp), n, size)
    with open(os.path.join(out, name + ".raw"), "wb") as f:
        f.write(raw)
    with open(os.path.join(out, name + ".exp"), "wb") as f:
        f.write(exp)
    # h5py's get_filter returns at most 16 client data values correctly (n-bit and scale-offset
    # store more), so the pipeline is read back with h5debug once the file is closed.
    pipeline = []
    for i in range(dcpl.get_nfilters()):
        code, flags, cd, _ = dcpl.get_filter(i)
        pipeline.append((code, flags, list(cd)))
    header = "elem_size %d\nexpect_len %d\nmask %d\n" % (size, len(exp), mask)
    pending.append((name, h5py.h5o.get_info(ds.id).addr, header, pipeline))
    names.append(name)


def pipeline_from_h5debug(path, addr):
    text = subprocess.run(["h5debug", path, str(addr)], stdout=subprocess.PIPE, check=True,
                          universal_newlines=True).stdout
    filters, cur = [], None
    for line in text.splitlines():
        key, _, val = line.strip().partition(":")
        val = val.strip()
        if key == "Filter identification":
            cur = [int(val, 0), 0, []]
            filters.append(cur)
        elif cur is not None and key == "Flags":
            cur[1] = int(val, 0)
        elif cur is not None and key.startswith("CD value "):
            cur[2].append(int(key.split()[-1]))  # "CD value I   V" has no colon
    return filters


def write_meta(path):
    use_h5debug = shutil.which("h5debug") is not None
    for name, addr, header, pipeline in pending:
        if use_h5debug:
            pipeline = pipeline_from_h5debug(path, addr)
        elif any(len(cd) >= 16 for _, _, cd in pipeline):
            print("make_filter_chunks: %s: no h5debug, client data may be cut at 16 values" % name,
                  file=sys.stderr)
        with open(os.path.join(out, name + ".meta"), "w") as fh:
            fh.write(header)
            for code, flags, cd in pipeline:
                fh.write("filter %d %d %d %s\n" % (code, flags, len(cd), " ".join(str(v) for v in cd)))


pending = []


def poisson_frames(shape, dtype="<u2"):
    return rng.poisson(0.6, size=shape).astype(dtype)


f = h5py.File(os.path.join(out, "cases.h5"), "w")


def case(name, data, chunks, **kw):
    try:
        ds = f.create_dataset(name, data=data, chunks=chunks, **kw)
    except Exception as e:  # filter not available in this h5py/libhdf5
        print("make_filter_chunks: skipping %s: %s" % (name, e), file=sys.stderr)
        return
    save(name, ds)


# deflate, shuffle, fletcher32 (built into libhdf5)
frames = poisson_frames((64, 64))
case("gzip_u2", frames, (64, 64), compression="gzip", compression_opts=4)
case("gzip_shuffle_u2", frames, (64, 64), compression="gzip", compression_opts=4, shuffle=True)
ramp_i4 = (np.arange(40 * 40, dtype="<i4").reshape(40, 40) * 37 - 9000)
case("shuffle_gzip_i4", ramp_i4, (40, 40), compression="gzip", shuffle=True)
case("shuffle_f8", np.linspace(-3, 7, 30 * 17).reshape(30, 17), (30, 17), shuffle=True)
case("shuffle_be_i8", ramp_i4.astype(">i8"), (40, 40), shuffle=True)
rec = np.zeros((33,), dtype=[("a", "u1"), ("b", "<u2"), ("c", "<f4"), ("d", "u1"), ("e", "<u2")])
rec["a"] = np.arange(33)
rec["b"] = np.arange(33) * 1000
rec["c"] = np.arange(33) / 3.0
rec["e"] = 7
case("shuffle_gzip_compound10", rec, (33,), shuffle=True, compression="gzip")  # element of 10 bytes
case("shuffle_u2_small", np.arange(9, dtype="<u2"), (9,), shuffle=True)  # 9 elements: no SIMD block
case("fletcher_i4", ramp_i4, (40, 40), fletcher32=True)
case("fletcher_odd_u1", (np.arange(63) * 7 % 256).astype("u1").reshape(7, 9), (7, 9), fletcher32=True)
case("fletcher_shuffle_gzip_u2", frames, (64, 64), fletcher32=True, shuffle=True, compression="gzip")

# LZF (h5py's own filter; optional: an incompressible chunk is stored with its mask bit set)
case("lzf_f4", np.linspace(0, 1, 50 * 50, dtype="<f4").reshape(50, 50), (50, 50), compression="lzf")
case("lzf_random_u1", rng.integers(0, 256, size=(64, 64), dtype=np.uint8), (64, 64), compression="lzf")

# szip
case("szip_nn_i4", ramp_i4, (40, 40), compression="szip", compression_opts=("nn", 8))
case("szip_ec_u2", frames, (64, 64), compression="szip", compression_opts=("ec", 16))
case("szip_nn_f8", np.linspace(0, 1, 64 * 16).reshape(64, 16), (64, 16), compression="szip",
     compression_opts=("nn", 32))

# scale-offset
small_ints = rng.integers(-500, 500, size=(48, 48)).astype("<i4")
case("so_int_i4", small_ints, (48, 48), scaleoffset=0)
case("so_int_be_i4", small_ints.astype(">i4"), (48, 48), scaleoffset=0)
case("so_int_u2_minbits", rng.integers(1000, 1200, size=(48, 48)).astype("<u2"), (48, 48), scaleoffset=9)
case("so_int_i8", (small_ints.astype("<i8") * 1000003), (48, 48), scaleoffset=0)
case("so_int_u1", rng.integers(0, 256, size=(32, 32)).astype("u1"), (32, 32), scaleoffset=0)  # full width
with_fill = small_ints.copy()
with_fill[::3, ::5] = -7
case("so_int_fill_i4", with_fill, (48, 48), scaleoffset=0, fillvalue=-7)
case("so_int_const_i2", np.full((16, 16), 1234, dtype="<i2"), (16, 16), scaleoffset=0)
floats = (rng.standard_normal((40, 40)) * 100).astype("<f4")
case("so_float_f4", floats, (40, 40), scaleoffset=2)
case("so_float_f8", floats.astype("<f8") * 1000.0, (40, 40), scaleoffset=3)
case("so_float_be_f8", (floats.astype(">f8") / 7.0), (40, 40), scaleoffset=4)
ffill = floats.copy()
ffill[::4, ::3] = -999.5
case("so_float_fill_f4", ffill, (40, 40), scaleoffset=1, fillvalue=-999.5)
case("so_gzip_i4", small_ints, (48, 48), scaleoffset=0, compression="gzip")


# n-bit (low-level API: a datatype of reduced precision, then H5Pset_nbit)
def nbit_case(name, tid, data, chunks):
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_chunk(chunks)
    dcpl.set_filter(h5py.h5z.FILTER_NBIT)
    space = h5py.h5s.create_simple(data.shape)
    dsid = h5py.h5d.create(f.id, name.encode(), tid, space, dcpl=dcpl)
    dsid.write(h5py.h5s.ALL, h5py.h5s.ALL, data)
    save(name, f[name])


def int_type(base, prec, off):
    t = base.copy()
    t.set_precision(prec)
    t.set_offset(off)
    return t


nbit_case("nbit_i32_p16_o4", int_type(h5py.h5t.STD_I32LE, 16, 4),
          rng.integers(-30000, 30000, size=(32, 32)).astype("<i4"), (32, 32))
nbit_case("nbit_u16_p12_o0", int_type(h5py.h5t.STD_U16LE, 12, 0),
          rng.integers(0, 4096, size=(40, 24)).astype("<u2"), (40, 24))
nbit_case("nbit_be_i32_p20_o7", int_type(h5py.h5t.STD_I32BE, 20, 7),
          rng.integers(-500000, 500000, size=(16, 16)).astype("<i4"), (16, 16))
nbit_case("nbit_u64_p33_o13", int_type(h5py.h5t.STD_U64LE, 33, 13),
          rng.integers(0, 2**33, size=(200,)).astype("<u8"), (200,))
# float with a reduced mantissa: sign 1, exponent 8, mantissa 13 bits, offset 10
ft = h5py.h5t.IEEE_F32LE.copy()
ft.set_fields(31, 23, 8, 10, 13)
ft.set_offset(10)
ft.set_precision(22)
ft.set_size(4)
ft.set_ebias(127)
nbit_case("nbit_f32_p22_o10", ft, (rng.standard_normal((30, 30)) * 50).astype("<f4"), (30, 30))
# compound: an n-bit int, a full float, an array of n-bit ints, a nested compound, a string
i12 = int_type(h5py.h5t.STD_I16LE, 12, 2)
u5 = int_type(h5py.h5t.STD_U8LE, 5, 1)
arr = h5py.h5t.array_create(u5, (3,))
inner = h5py.h5t.create(h5py.h5t.COMPOUND, 6)
inner.insert(b"x", 0, int_type(h5py.h5t.STD_U32BE, 17, 3))
inner.insert(b"y", 4, i12)
ctype = h5py.h5t.create(h5py.h5t.COMPOUND, 24)
ctype.insert(b"i", 0, i12)
ctype.insert(b"f", 2, h5py.h5t.IEEE_F32LE)
ctype.insert(b"arr", 6, arr)
ctype.insert(b"in", 9, inner)
st = h5py.h5t.C_S1.copy()
st.set_size(3)
ctype.insert(b"s", 15, st)
ctype.insert(b"z", 18, int_type(h5py.h5t.STD_I32LE, 9, 20))
mem = np.dtype([("i", "<i2"), ("f", "<f4"), ("arr", "u1", (3,)), ("in", [("x", "<u4"), ("y", "<i2")]),
                ("s", "S3"), ("z", "<i4")])
cdata = np.zeros((50,), dtype=mem)
cdata["i"] = rng.integers(-2000, 2000, size=50)
cdata["f"] = rng.standard_normal(50)
cdata["arr"] = rng.integers(0, 32, size=(50, 3))
cdata["in"]["x"] = rng.integers(0, 2**17, size=50)
cdata["in"]["y"] = rng.integers(-2000, 2000, size=50)
cdata["s"] = [b"ab%d" % (i % 10) for i in range(50)]
cdata["z"] = rng.integers(-256, 256, size=50)
mtype = h5py.h5t.py_create(mem)
dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
dcpl.set_chunk((50,))
dcpl.set_filter(h5py.h5z.FILTER_NBIT)
dsid = h5py.h5d.create(f.id, b"nbit_compound", ctype, h5py.h5s.create_simple((50,)), dcpl=dcpl)
dsid.write(h5py.h5s.ALL, h5py.h5s.ALL, cdata, mtype=mtype)
save("nbit_compound", f["nbit_compound"])
# full-precision type: the filter stores the chunk as it is
nbit_case("nbit_full_i32", h5py.h5t.STD_I32LE.copy(), ramp_i4, (40, 40))

# hdf5plugin filters
if hdf5plugin is not None:
    data_f4 = (np.cumsum(rng.standard_normal(5003)) * 10).astype("<f4")
    case("lz4_u2", frames, (64, 64), **hdf5plugin.LZ4())
    case("lz4_blocks_random_u1", rng.integers(0, 256, size=(4000,), dtype=np.uint8), (4000,),
         **hdf5plugin.LZ4(nbytes=512))
    case("lz4_blocks_f4", data_f4, (5003,), **hdf5plugin.LZ4(nbytes=1000))
    case("bshuf_none_f4", data_f4, (5003,), **hdf5plugin.Bitshuffle(cname="none"))
    case("bshuf_lz4_f4", data_f4, (5003,), **hdf5plugin.Bitshuffle(cname="lz4"))
    case("bshuf_lz4_u2", frames, (64, 64), **hdf5plugin.Bitshuffle(cname="lz4"))
    case("bshuf_lz4_u1", frames.astype("u1"), (64, 64), **hdf5plugin.Bitshuffle(cname="lz4"))
    case("bshuf_lz4_blk_i8", ramp_i4.astype("<i8"), (40, 40), **hdf5plugin.Bitshuffle(nelems=64, cname="lz4"))
    case("bshuf_zstd_f4", data_f4, (5003,), **hdf5plugin.Bitshuffle(cname="zstd"))
    rec3 = np.zeros((1001,), dtype=[("a", "u1"), ("b", "<u2")])
    rec3["a"] = np.arange(1001) % 7
    rec3["b"] = np.arange(1001)
    case("bshuf_lz4_rec3", rec3, (1001,), **hdf5plugin.Bitshuffle(cname="lz4"))
    case("blosc_lz4_shuffle_u2", frames, (64, 64), **hdf5plugin.Blosc(cname="lz4", shuffle=hdf5plugin.Blosc.SHUFFLE))
    case("blosc_zstd_bitshuffle_f4", data_f4, (5003,),
         **hdf5plugin.Blosc(cname="zstd", shuffle=hdf5plugin.Blosc.BITSHUFFLE))
    case("blosc_blosclz_noshuffle_i4", ramp_i4, (40, 40),
         **hdf5plugin.Blosc(cname="blosclz", shuffle=hdf5plugin.Blosc.NOSHUFFLE))
    case("blosc_zlib_shuffle_f8", floats.astype("<f8"), (40, 40),
         **hdf5plugin.Blosc(cname="zlib", shuffle=hdf5plugin.Blosc.SHUFFLE))
    case("zstd_plugin_u2", frames, (64, 64), **hdf5plugin.Zstd())
else:
    print("make_filter_chunks: hdf5plugin not installed: LZ4, bitshuffle, blosc cases skipped", file=sys.stderr)

f.close()
write_meta(os.path.join(out, "cases.h5"))

# zstd: no HDF5 zstd plugin on Debian; the filter's chunk is one zstd frame, made here by the
# zstd command from the bytes of an unfiltered chunk.
if "zstd_plugin_u2" not in names and shutil.which("zstd"):
    plain = poisson_frames((64, 64)).tobytes()
    frame = subprocess.run(["zstd", "-q", "-c", "-3"], input=plain, stdout=subprocess.PIPE, check=True).stdout
    for name, blob, exp in (("zstd_cli_u2", frame, plain),):
        with open(os.path.join(out, name + ".raw"), "wb") as fh:
            fh.write(blob)
        with open(os.path.join(out, name + ".exp"), "wb") as fh:
            fh.write(exp)
        with open(os.path.join(out, name + ".meta"), "w") as fh:
            fh.write("elem_size 2\nexpect_len %d\nmask 0\nfilter 32015 1 1 3\n" % len(exp))
        names.append(name)



# bitshuffle + zstd: bitshuffle before 0.4 (Debian's plugin is 0.3.5) has no zstd and stores such
# a chunk merely bitshuffled, which a real zstd-capable reader would misread. Then we drop the
# case and build the zstd framing ourselves around the reference library's bitshuffled blocks
# (taken from the uncompressed bitshuffle case, same data and default block size).
def rd(name, ext):
    with open(os.path.join(out, name + ext), "rb") as fh:
        return fh.read()


def wr(name, ext, blob):
    with open(os.path.join(out, name + ext), "wb" if isinstance(blob, bytes) else "w") as fh:
        fh.write(blob)


if "bshuf_zstd_f4" in names:
    raw, exp = rd("bshuf_zstd_f4", ".raw"), rd("bshuf_zstd_f4", ".exp")
    if int.from_bytes(raw[:8], "big") != len(exp):
        names.remove("bshuf_zstd_f4")
        print("make_filter_chunks: bitshuffle plugin has no zstd; building bshuf_zstd_built_f4", file=sys.stderr)
        if "bshuf_none_f4" in names and shutil.which("zstd"):
            plain = rd("bshuf_none_f4", ".raw")  # bitshuffled blocks + trailing elements
            elem, block = 4, 2048  # default block: 8192 bytes / element size
            n = len(plain) // elem
            counts = [block] * (n // block) + ([n % block - n % 8] if n % block >= 8 else [])
            blob, pos = len(plain).to_bytes(8, "big") + (block * elem).to_bytes(4, "big"), 0
            for cnt in counts:
                part = plain[pos:pos + cnt * elem]
                frame = subprocess.run(["zstd", "-q", "-c", "-3"], input=part, stdout=subprocess.PIPE,
                                       check=True).stdout
                blob += len(frame).to_bytes(4, "big") + frame
                pos += cnt * elem
            blob += plain[pos:]
            wr("bshuf_zstd_built_f4", ".raw", blob)
            wr("bshuf_zstd_built_f4", ".exp", rd("bshuf_none_f4", ".exp"))
            wr("bshuf_zstd_built_f4", ".meta", "elem_size 4\nexpect_len %d\nmask 0\nfilter 32008 1 6 0 5 4 0 3 3\n"
               % len(plain))
            names.append("bshuf_zstd_built_f4")

with open(os.path.join(out, "cases.txt"), "w") as fh:
    fh.write("\n".join(names) + "\n")
print("make_filter_chunks: %d cases in %s" % (len(names), out), file=sys.stderr)
