"""libhdf5 decodes chunks h5kit encoded (tests/interop/test_filter_encode.sh).

For every case of the manifest written by `test_filter_encode --emit DIR`:
  1. create the same chunked dataset with h5py (+ hdf5plugin) and compare the cd values libhdf5
     stored with those h5k_filter_prepare computed;
  2. write h5kit's encoded chunk with write_direct_chunk (with its filter mask), read the dataset
     back through libhdf5 and compare with the data h5kit's own decoder gives (and, for lossless
     filters, with the original);
  3. report whether libhdf5's own chunk for the same data is byte-identical to ours.
Prints one line per case: "PASS name ..." / "FAIL name why" / "SKIP name why"."""
import sys, os
import numpy as np
import h5py

try:
    import hdf5plugin  # noqa: F401  (registers the plugin filters)
except Exception:  # pragma: no cover
    hdf5plugin = None

d = sys.argv[1]
LOSSY = {"so_f4", "so_f8"}
# Byte identity expected: same algorithm and deterministic output (libaec for szip; the plugins
# here link the same liblz4/libblosc/zstd, but their versions may differ, so those are reported only).
IDENTICAL = {"shuffle", "fletcher32", "szip_nn8", "szip_ec16", "szip_be", "nbit12", "so_int", "so_int_be",
             "so_f4", "so_f8", "bitshuffle"}


def kwargs(name):
    P = hdf5plugin
    return {
        "gzip6": dict(compression="gzip", compression_opts=6),
        "gzip1_random": dict(compression="gzip", compression_opts=1),
        "shuffle": dict(shuffle=True),
        "fletcher32": dict(fletcher32=True),
        "szip_nn8": dict(compression="szip", compression_opts=("nn", 8)),
        "szip_ec16": dict(compression="szip", compression_opts=("ec", 16)),
        "szip_be": dict(compression="szip", compression_opts=("nn", 8)),
        "lzf": dict(compression="lzf"),
        "lzf_random": dict(compression="lzf"),
        "so_int": dict(scaleoffset=0),
        "so_int_be": dict(scaleoffset=0),
        "so_f4": dict(scaleoffset=2),
        "so_f8": dict(scaleoffset=3),
        "lz4": lambda: dict(**P.LZ4()),
        "lz4_blocks": lambda: dict(**P.LZ4(nbytes=1000)),
        "bslz4": lambda: dict(**P.Bitshuffle(cname="lz4")),
        "bitshuffle": lambda: dict(**P.Bitshuffle(cname="none")),
        "bszstd": lambda: dict(**P.Bitshuffle(cname="zstd", clevel=3)),
        "blosc": lambda: dict(**P.Blosc()),
        "blosc_zstd_bit": lambda: dict(**P.Blosc(cname="zstd", clevel=7, shuffle=P.Blosc.BITSHUFFLE)),
        "zstd": lambda: dict(compression=32015, compression_opts=(3,)),
    }[name]


def make(f, name, npt, shape, case=None):
    case = case or name
    if npt == "nbit12":  # 12-bit unsigned at bit offset 2 in 16 bits: low-level API
        tid = h5py.h5t.STD_U16LE.copy()
        tid.set_precision(12)
        tid.set_offset(2)
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_chunk(shape)
        dcpl.set_filter(h5py.h5z.FILTER_NBIT, h5py.h5z.FLAG_OPTIONAL, ())  # what H5Pset_nbit does
        space = h5py.h5s.create_simple(shape)
        h5py.h5d.create(f.id, name.encode(), tid, space, dcpl)
        return f[name], np.dtype("<u2")
    kw = kwargs(case)
    if callable(kw):
        kw = kw()
    dt = np.dtype(npt)
    return f.create_dataset(name, shape=shape, dtype=dt, chunks=shape, **kw), dt


def numeric(name, b, dt):
    """The values libhdf5 converts stored elements to (n-bit: the 12 bits at offset 2)."""
    a = np.frombuffer(b, dtype=dt)
    if name == "nbit12":
        a = (a >> 2) & 0xFFF
    return a


def main():
    fails = 0
    for line in open(os.path.join(d, "manifest.txt")):
        name, npt, n0, n1, fid, flags, mask, cds = line.split()
        shape = (int(n0), int(n1))
        fid, mask = int(fid), int(mask)
        ours = [] if cds == "-" else [int(x) for x in cds.split(",")]
        raw = open(os.path.join(d, name + ".raw"), "rb").read()
        enc = open(os.path.join(d, name + ".enc"), "rb").read()
        dec = open(os.path.join(d, name + ".dec"), "rb").read()
        if fid >= 256 and not h5py.h5z.filter_avail(fid):
            print("SKIP %s filter %d is not available to libhdf5 here (no plugin)" % (name, fid))
            continue
        path = os.path.join(d, name + ".h5")
        try:
            with h5py.File(path, "w") as f:
                ds, dt = make(f, name, npt, shape)
                pl = ds.id.get_create_plist()
                _, _, stored, _ = pl.get_filter(0)
                stored = list(stored)
                if fid == 6:  # the tail after the fill value is not reported faithfully by get_filter
                    stored, ours_cmp = stored[:8 + 2], ours[:8 + 2]
                else:
                    ours_cmp = ours
                if stored != ours_cmp:
                    print("FAIL %s cd values: libhdf5 stored %s, h5kit prepared %s" % (name, stored, ours_cmp))
                    fails += 1
                    continue
                ds.id.write_direct_chunk((0, 0), enc, filter_mask=mask)
                # libhdf5's own chunk of the same data, in a second dataset
                ds2, _ = make(f, name + "_ref", npt, shape, name)
                ds2[...] = numeric(name, raw, dt).reshape(shape)
            with h5py.File(path, "r") as f:
                ref_mask, ref = f[name + "_ref"].id.read_direct_chunk((0, 0))
                if name == "bszstd" and len(ref) == len(raw):
                    print("SKIP %s the bitshuffle plugin here predates zstd (it stored the chunk bitshuffled "
                          "only), so libhdf5 cannot check zstd blocks" % name)
                    continue
                got = f[name][...].tobytes()
            if got != numeric(name, dec, dt).tobytes():
                print("FAIL %s libhdf5 decodes our chunk differently from h5kit" % name)
                fails += 1
                continue
            if name not in LOSSY and got != numeric(name, raw, dt).tobytes():
                print("FAIL %s libhdf5 decodes our chunk to other data than the original" % name)
                fails += 1
                continue
            same = ref == enc and ref_mask == mask
            if name in IDENTICAL and not same:
                print("FAIL %s chunk differs from libhdf5's (%d bytes vs %d, mask %d vs %d)"
                      % (name, len(enc), len(ref), mask, ref_mask))
                fails += 1
                continue
            print("PASS %s %d -> %d bytes, mask %d, %s libhdf5's chunk" %
                  (name, len(raw), len(enc), mask, "identical to" if same else "differs from"))
        except Exception as e:
            print("FAIL %s %s: %s" % (name, type(e).__name__, e))
            fails += 1
    return 1 if fails else 0


sys.exit(main())
