#!/usr/bin/python3
"""h5py side of tests/interop/test_repack.sh: open each repacked file and compare it with its
original, value by value.

    /usr/bin/python3 repack_check.py LISTFILE

LISTFILE holds one case per line, fields separated by tabs:

    ORIG <TAB> OUT <TAB> FILTER_IDS <TAB> CHUNKS

FILTER_IDS is "-" (no filter check) or a comma-separated list of HDF5 filter ids every dataset
that --filter applies to must have, in order ("" for --filter none); CHUNKS is "-" or the chunk
shape --chunks asked for, e.g. "3x5". For each case one line is printed on stdout:

    OK <TAB> OUT            or            BAD <TAB> OUT <TAB> reason

What is checked: OUT opens with h5py and every object in it can be visited; every dataset and
attribute h5py can read in ORIG reads in OUT with the same shape, dtype and values (bytes for
fixed-size data, so NaN payloads and padding-free compounds compare exactly; element by element
for variable-length data; object references by the path of their target, region references by
that path and the values they select); the same set of object names. Datasets over READ_CAP
bytes are compared in slabs along their first dimension.
"""
import shutil
import subprocess
import sys

import h5py
import numpy as np

try:
    import hdf5plugin  # noqa: F401  (registers bitshuffle/LZ4/zstd/blosc for h5py)
except ImportError:
    pass

READ_CAP = 64 << 20
ZSTD_ID = 32015


def zstd_cli_read(d):
    """The values of a chunked dataset whose only filter is zstd, when libhdf5 has no zstd plugin:
    each stored chunk is read raw (read_direct_chunk) and decompressed with the zstd command, an
    implementation independent of h5kit. Unwritten chunks read as the fill value. Returns None
    when this cannot be done (variable-length data, no zstd command)."""
    if d.dtype.hasobject or not shutil.which("zstd"):
        return None
    out = np.empty(d.shape, dtype=d.dtype)
    fill = d.fillvalue
    out[...] = fill if fill is not None else np.zeros((), dtype=d.dtype)
    cs = d.chunks
    for i in range(d.id.get_num_chunks()):
        info = d.id.get_chunk_info(i)
        mask, raw = d.id.read_direct_chunk(info.chunk_offset)
        if mask & 1:
            data = raw
        else:
            data = subprocess.run(["zstd", "-d", "-c", "-q"], input=raw, stdout=subprocess.PIPE,
                                  check=True).stdout
        block = np.frombuffer(data, dtype=d.dtype).reshape(cs)
        sl = tuple(slice(o, min(o + c, n)) for o, c, n in zip(info.chunk_offset, cs, d.shape))
        out[sl] = block[tuple(slice(0, s.stop - s.start) for s in sl)]
    return out


def only_zstd(d):
    plist = d.id.get_create_plist()
    ids = [plist.get_filter(i)[0] for i in range(plist.get_nfilters())]
    return ids == [ZSTD_ID] and not h5py.h5z.filter_avail(ZSTD_ID)


class Mismatch(Exception):
    pass


def names_of(f):
    names = []
    f.visit(names.append)
    return sorted(names)


def same(a, b, fa, fb):
    """Whether value a (from file fa) equals value b (from file fb)."""
    if isinstance(a, h5py.RegionReference) or isinstance(b, h5py.RegionReference):
        if type(a) is not type(b):
            return False
        if bool(a) != bool(b):
            return False
        if not a:
            return True
        da, db = fa[a], fb[b]
        return da.name == db.name and same(da[a], db[b], fa, fb)
    if isinstance(a, h5py.Reference) or isinstance(b, h5py.Reference):
        if type(a) is not type(b):
            return False
        if bool(a) != bool(b):
            return False
        return not a or fa[a].name == fb[b].name
    if isinstance(a, h5py.Empty) or isinstance(b, h5py.Empty):
        return type(a) is type(b) and a.dtype == b.dtype
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            return False
        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        if not a.dtype.hasobject:
            return a.tobytes() == b.tobytes()
        return all(same(x, y, fa, fb) for x, y in zip(a.flat, b.flat))
    if isinstance(a, np.void) or isinstance(b, np.void):
        if not (isinstance(a, np.void) and isinstance(b, np.void)) or a.dtype != b.dtype:
            return False
        if a.dtype.names is None:
            return a.tobytes() == b.tobytes()
        return all(same(a[n], b[n], fa, fb) for n in a.dtype.names)
    if isinstance(a, np.generic) and isinstance(b, np.generic):
        return a.dtype == b.dtype and a.tobytes() == b.tobytes()
    if isinstance(a, float) and isinstance(b, float):
        return np.float64(a).tobytes() == np.float64(b).tobytes()
    return type(a) is type(b) and a == b


def read_all(d):
    """Yield the dataset's values, in slabs along axis 0 when it is large."""
    if d.shape is None:
        yield d[()]
        return
    nbytes = d.dtype.itemsize
    for n in d.shape:
        nbytes *= n
    if not d.shape or nbytes <= READ_CAP or d.shape[0] == 0:
        yield d[()]
        return
    rows = max(1, READ_CAP // max(1, nbytes // d.shape[0]))
    for r in range(0, d.shape[0], rows):
        yield d[r:r + rows]


def compare_attrs(oa, ob, fa, fb, where):
    for name in oa.attrs:
        try:
            va = oa.attrs[name]
        except Exception:  # a type h5py cannot read: h5dump's comparison covers it
            continue
        if name not in ob.attrs:
            raise Mismatch("%s: attribute %r missing" % (where, name))
        vb = ob.attrs[name]
        if not same(va, vb, fa, fb):
            raise Mismatch("%s: attribute %r differs" % (where, name))


def compare_dataset(da, db, fa, fb, name):
    if da.shape != db.shape:
        raise Mismatch("%s: shape %s, expected %s" % (name, db.shape, da.shape))
    if da.dtype != db.dtype:
        raise Mismatch("%s: dtype %s, expected %s" % (name, db.dtype, da.dtype))
    if only_zstd(db):
        vb = zstd_cli_read(db)
        if vb is None:
            return  # variable-length data: not checked without a zstd plugin
        va = da[()]
        if not same(va, vb, fa, fb):
            raise Mismatch("%s: values (decompressed with the zstd command) differ" % name)
        return
    ia, ib = read_all(da), read_all(db)
    while True:
        try:
            va = next(ia)
        except StopIteration:
            break
        except Exception:
            return  # h5py cannot read the original (e.g. an unsupported type): h5dump covers it
        vb = next(ib)
        if not same(va, vb, fa, fb):
            raise Mismatch("%s: values differ" % name)


def expect_filters(db, want, orig_chunked):
    """--filter applies to datasets with a simple dataspace; a contiguous one with a zero maximum
    dimension stays contiguous (no chunk shape fits it)."""
    if db.shape is None or db.shape == ():
        return
    if not orig_chunked and any(m == 0 for m in db.maxshape):
        return
    plist = db.id.get_create_plist()
    got = [plist.get_filter(i)[0] for i in range(plist.get_nfilters())]
    if got != want:
        raise Mismatch("%s: filters %s, expected %s" % (db.name, got, want))


def expect_chunks(db, want):
    if db.shape is None or len(db.shape) != len(want):
        return
    exp = tuple(w if m is None or w <= m else (m if m else 1) for w, m in zip(want, db.maxshape))
    if db.chunks != exp:
        raise Mismatch("%s: chunks %s, expected %s" % (db.name, db.chunks, exp))


def check(orig, out, filters, chunks):
    with h5py.File(orig, "r") as fa, h5py.File(out, "r") as fb:
        na, nb = names_of(fa), names_of(fb)
        if na != nb:
            missing = sorted(set(na) - set(nb))[:3]
            extra = sorted(set(nb) - set(na))[:3]
            raise Mismatch("object names differ: missing %s, extra %s" % (missing, extra))
        compare_attrs(fa, fb, fa, fb, "/")
        for name in na:
            try:
                oa = fa[name]
            except Exception:  # dangling soft/external link
                continue
            ob = fb[name]
            if type(oa) is not type(ob):
                raise Mismatch("%s: %s, expected %s" % (name, type(ob).__name__, type(oa).__name__))
            if isinstance(oa, h5py.Dataset):
                compare_dataset(oa, ob, fa, fb, name)
                if filters is not None:
                    expect_filters(ob, filters, oa.chunks is not None)
                if chunks is not None:
                    expect_chunks(ob, chunks)
            compare_attrs(oa, ob, fa, fb, name)


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1]) as fh:
        cases = [line.rstrip("\n").split("\t") for line in fh if line.strip()]
    for orig, out, fspec, cspec in cases:
        filters = None if fspec == "-" else [int(x) for x in fspec.split(",") if x]
        chunks = None if cspec == "-" else tuple(int(x) for x in cspec.split("x"))
        try:
            check(orig, out, filters, chunks)
            print("OK\t" + out)
        except Exception as e:  # Mismatch, or h5py/libhdf5 refusing the output
            reason = " ".join(str(e).split())[:300]
            print("BAD\t%s\t%s: %s" % (out, type(e).__name__, reason))
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
