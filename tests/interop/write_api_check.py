"""Check the files tests/interop/write_driver.c writes, with h5py as the oracle.

Usage: write_api_check.py SCENARIO PROFILE FILE [ORIGINAL]
  SCENARIO  types | layouts | attrs | links | modify (ORIGINAL: the h5py file before the change)
  make-modify FILE LIBVER    writes the h5py file the "modify" scenario changes
Every expected value is recomputed here from the formulas write_driver.c documents (numpy's own
conversions give the expected results of type conversions). Prints one line per failed check;
exit 1 if any failed.
"""
import sys

import h5py
import numpy as np

FAILS = []


def check(cond, what):
    if not cond:
        FAILS.append(what)
    return bool(cond)


def eq(got, want, what):
    """Exact equality of arrays (shape, values; NaN never expected)."""
    got = np.asarray(got)
    want = np.asarray(want)
    if got.shape != want.shape:
        return check(False, f"{what}: shape {got.shape}, expected {want.shape}")
    bad = np.argwhere(got != want) if got.dtype.names is None else np.argwhere(got != want)
    return check(bad.size == 0, f"{what}: differs at {bad[:4].tolist()}: got {got[tuple(bad[0])] if bad.size else ''!r}"
                                 f" expected {want[tuple(bad[0])] if bad.size else ''!r}")


def s(v):
    return v.decode() if isinstance(v, bytes) else v


def profile_check(path, profile):
    with open(path, "rb") as fh:
        head = fh.read(9)
    want = 0 if profile == "compat" else 3
    check(head[8] == want, f"superblock version {head[8]}, expected {want}")


# ---- types -------------------------------------------------------------------------------------------
NUMS = {"i1": "i1", "u1": "u1", "i2le": "<i2", "i2be": ">i2", "u2le": "<u2", "u2be": ">u2", "i4le": "<i4",
        "i4be": ">i4", "u4le": "<u4", "u4be": ">u4", "i8le": "<i8", "i8be": ">i8", "u8le": "<u8", "u8be": ">u8",
        "f2le": "<f2", "f4le": "<f4", "f4be": ">f4", "f8le": "<f8", "f8be": ">f8"}


def types(f, profile):
    for name, dt in NUMS.items():
        signed = name[0] in "if"
        want = np.arange(10) * 7 - (20 if signed else 0)
        d = f["num"][name]
        check(d.dtype == np.dtype(dt), f"/num/{name}: dtype {d.dtype.str}, expected {np.dtype(dt).str}")
        eq(d[...], want.astype(dt), f"/num/{name}")
        a = f["num"].attrs[name]
        check(a.dtype == np.dtype(dt), f"attr /num {name}: dtype {a.dtype.str}")
        eq(a, want.astype(dt), f"attr /num {name}")
    c = f["conv"]
    eq(c["u1_from_i4"][...], np.array([0, 0, 255, 255, 255], "u1"), "u1_from_i4 (saturating)")
    with np.errstate(over="ignore"):
        eq(c["f4_from_f8"][...], np.array([0.1, 1e40, -1e40, 3.5]).astype("<f4"), "f4_from_f8")
    check(c["i2be_from_f8"].dtype == np.dtype(">i2"), "i2be_from_f8 dtype")
    eq(c["i2be_from_f8"][...], np.array([1, -2, 32767, -32768], ">i2"), "i2be_from_f8 (truncating, saturating)")
    check(c["f8be_from_f4"].dtype == np.dtype(">f8"), "f8be_from_f4 dtype")
    eq(c["f8be_from_f4"][...], np.array([1.5, -0.25, 1e30, 7.0], "<f4").astype(">f8"), "f8be_from_f4")
    eq(c["f4_from_i4"][...], np.array([-1, 2, 3000000, -7], "<f4"), "f4_from_i4")
    eq(c["i2be_raw"][...], np.frombuffer(bytes([1, 2, 0xff, 0xfe, 0, 0, 0x80, 0]), ">i2"), "i2be_raw")

    st = f["str"]
    t = st["fixed_nullterm"].id.get_type()
    check(t.get_strpad() == h5py.h5t.STR_NULLTERM and t.get_size() == 8, "fixed_nullterm type")
    eq(st["fixed_nullterm"][...], np.array([b"hello", b"world!!", b"a"], "S8"), "fixed_nullterm")
    check(st["fixed_nullpad"].id.get_type().get_strpad() == h5py.h5t.STR_NULLPAD, "fixed_nullpad pad")
    eq(st["fixed_nullpad"][...], np.array([b"abcde", b"ab", b""], "S5"), "fixed_nullpad")
    check(st["fixed_spacepad"].id.get_type().get_strpad() == h5py.h5t.STR_SPACEPAD, "fixed_spacepad pad")
    raw_sp = st["fixed_spacepad"].id.get_type()
    check(raw_sp.get_size() == 4, "fixed_spacepad size")
    # h5py maps every fixed string to numpy S: compare the stored bytes.
    buf = np.empty(3, "S4")
    st["fixed_spacepad"].id.read(h5py.h5s.ALL, h5py.h5s.ALL, buf)
    check([bytes(x).rstrip(b" ") for x in buf] == [b"ab", b"abcd", b"x"], f"fixed_spacepad {buf.tolist()}")
    check(st["fixed_utf8"].id.get_type().get_cset() == h5py.h5t.CSET_UTF8, "fixed_utf8 cset")
    check([x.decode("utf-8") for x in st["fixed_utf8"][...]] == ["caf\u00e9", "\u03bb\u03bc"], "fixed_utf8 values")
    va = st["vlen_ascii"]
    check(va.id.get_type().is_variable_str() and va.id.get_type().get_cset() == h5py.h5t.CSET_ASCII, "vlen_ascii type")
    check([s(x) for x in va[...]] == ["short", "", "", "a much longer string that needs more space than the others"],
          f"vlen_ascii {va[...].tolist()}")
    vu = st["vlen_utf8"]
    check(vu.id.get_type().get_cset() == h5py.h5t.CSET_UTF8, "vlen_utf8 cset")
    want_u = ["\u00e9t\u00e9", "\u65e5\u672c", "\U0001F600 smile"]
    check([s(x) for x in vu[...]] == want_u, f"vlen_utf8 {vu[...].tolist()}")
    check([s(x) for x in st["vlen_partial"][...]] == ["zero", "", "two", "", "four", ""],
          f"vlen_partial {st['vlen_partial'][...].tolist()}")
    check([s(x) for x in st.attrs["vlen_utf8"]] == want_u, "attr vlen_utf8")
    check(s(st.attrs["vlen_scalar"]) == "scalar \u20ac", f"attr vlen_scalar {st.attrs['vlen_scalar']!r}")
    eq(st.attrs["fixed"], np.array([b"hello", b"world!!", b"a"], "S8"), "attr fixed")

    cd = f["cmp/data"]
    want_dt = np.dtype({"names": ["a", "b", "c"], "formats": ["<i4", ">f8", "S4"], "offsets": [0, 4, 12], "itemsize": 16})
    check(cd.dtype == want_dt, f"compound dtype {cd.dtype}")
    v = cd[...]
    check(list(v["a"]) == [0, -1000, -2000] and list(v["b"]) == [0.5, 1.5, 2.5]
          and list(v["c"]) == [b"xyza", b"xyzb", b"xyzc"], f"compound values {v.tolist()}")
    av = f["cmp"].attrs["attr"]
    check(av.dtype == want_dt and av.tolist() == v.tolist(), f"compound attribute {av.tolist()}")

    ed = f["enum/data"]
    m = h5py.check_enum_dtype(ed.dtype)
    check(m == {"RED": 0, "GREEN": 5, "BLUE": -3}, f"enum members {m}")
    check(ed.dtype.base == np.dtype("<i2") or ed.dtype == np.dtype("<i2"), f"enum base {ed.dtype}")
    eq(ed[...], np.array([5, -3, 0, 5], "<i2"), "enum values")
    ea = f["enum"].attrs["attr"]
    check(h5py.check_enum_dtype(ea.dtype) == m, "enum attribute type")
    eq(ea, np.array([5, -3, 0, 5], "<i2"), "enum attribute")

    ad = f["array/data"]
    check(ad.dtype == np.dtype(("<i4", (2, 3))) and ad.shape == (4,), f"array dtype {ad.dtype} shape {ad.shape}")
    eq(ad[...], (np.arange(24) ** 2 - 50).reshape(4, 2, 3).astype("<i4"), "array values")
    aa = f["array"].attrs["attr"]
    eq(aa, np.array([1.25, -2.5, 1e300]), "array attribute")
    check(f["array"].attrs.get_id("attr").dtype == np.dtype(("<f8", (3,))), "array attribute type")


# ---- layouts -----------------------------------------------------------------------------------------
def pattern(rows, cols):
    return (1000 * np.arange(rows)[:, None] + np.arange(cols)[None, :]).astype("<i4")


def layout_of(d):
    return d.id.get_create_plist().get_layout()


def layouts(f, profile):
    # contiguous
    d = f["contig/full"]
    check(layout_of(d) == h5py.h5d.CONTIGUOUS, "contig/full not contiguous")
    want = pattern(7, 9)
    sel = [(r, c) for r in (1, 2, 4, 5, 7, 8)[:4] for c in (0, 4, 8)]
    # hyperslab start (1,0) stride (3,4) count (2,3) block (2,1): rows 1,2,4,5; cols 0,4,8
    vals = -(np.arange(12) + 1)
    k = 0
    for r in (1, 2, 4, 5):
        for c in (0, 4, 8):
            want[r, c] = vals[k]
            k += 1
    del sel
    eq(d[...], want, "contig/full")
    want = np.full((7, 9), -7, "<i4")
    want[2] = np.arange(9)
    eq(f["contig/fill"][...], want, "contig/fill (unwritten = fill)")
    check(f["contig/fill"].fillvalue == -7, f"contig/fill fillvalue {f['contig/fill'].fillvalue}")
    eq(f["contig/unwritten"][...], np.zeros((7, 9), "<i4"), "contig/unwritten")
    c = f["compact/data"]
    check(layout_of(c) == h5py.h5d.COMPACT, "compact/data not compact")
    want = np.full(20, 3, "<i2")
    want[4:19:3] = [10, 11, 12, 13, 14]
    eq(c[...], want, "compact/data")
    # chunked
    for name in ["full", "strided", "rmw", "filtered"]:
        d = f["chunked"][name]
        check(d.chunks == (4, 5), f"chunked/{name} chunks {d.chunks}")
        check(d.fillvalue == -7, f"chunked/{name} fillvalue {d.fillvalue}")
    eq(f["chunked/full"][...], pattern(10, 13), "chunked/full")
    want = np.full((10, 13), -7, "<i4")
    k = 500
    rows = [r for b in range(3) for r in (1 + 3 * b, 2 + 3 * b)]
    cols = [c for b in range(3) for c in (2 + 4 * b, 3 + 4 * b)]
    # C order over the selection: block rows then cols (the selected points in row-major order)
    for r in rows:
        for cc in cols:
            want[r, cc] = k
            k += 1
    eq(f["chunked/strided"][...], want, "chunked/strided (blocks over chunk edges, unwritten = fill)")
    want = pattern(10, 13)
    want[3:6, 4:7] = (-100 - np.arange(9)).reshape(3, 3)
    want[4, 5] = -999
    want[9, 12] = 77777
    eq(f["chunked/rmw"][...], want, "chunked/rmw")
    fd = f["chunked/filtered"]
    eq(fd[...], want, "chunked/filtered")
    pl = fd.id.get_create_plist()
    check([pl.get_filter(i)[0] for i in range(pl.get_nfilters())] == [2, 1, 3], "chunked/filtered filters")
    check(fd.shuffle and fd.fletcher32 and fd.compression == "gzip" and fd.compression_opts == 6,
          "h5py does not see shuffle+gzip6+fletcher32")
    # chunk indexes
    for name in ["fixed", "fixed_filtered", "single", "single_filtered", "earray", "earray_filtered", "btree2",
                 "btree2_filtered"]:
        d = f["index"][name]
        want = np.zeros((20, 6), "<i4")
        want[2:17, 1:5] = (np.arange(60) + 1).reshape(15, 4)
        eq(d[...], want, f"index/{name}")
        check(d.chunks == ((20, 6) if name.startswith("single") else (3, 4)), f"index/{name} chunks {d.chunks}")
        if name.endswith("filtered"):
            check(d.compression == "gzip", f"index/{name} not gzip")
            for i in range(d.id.get_num_chunks()):
                ci = d.id.get_chunk_info(i)
                check(ci.filter_mask == 0, f"index/{name} chunk {ci.chunk_offset} mask {ci.filter_mask}")
        want_max = {"earray": (None, 6), "btree2": (None, None)}.get(name.split("_")[0], (20, 6))
        check(d.maxshape == want_max, f"index/{name} maxshape {d.maxshape}")
    # resize
    for name in ["across", "within", "filtered"]:
        d = f["resize"][name]
        want = np.array([0, 1, 2] + [99] * 9, "<i4")
        check(d.shape == (12,) and d.maxshape == (None,), f"resize/{name} shape {d.shape} {d.maxshape}")
        eq(d[...], want, f"resize/{name} (shrink then grow shows the fill value)")
    d = f["resize/noflag"]
    check(d.shape == (12,) and d.maxshape == (None,), f"resize/noflag shape {d.shape} {d.maxshape}")
    eq(d[...], np.array(list(range(10)) + [99, 99], "<i4"), "resize/noflag values")
    g = f["resize/grow2d"]
    want = np.zeros((7, 5), "<i4")
    want[:4, :4] = pattern(4, 4)
    want[6, 4] = 64
    check(g.shape == (7, 5), f"grow2d shape {g.shape}")
    eq(g[...], want, "resize/grow2d")


# ---- attrs -------------------------------------------------------------------------------------------
def attrs(f, profile):
    check(dict(f.attrs) == {"root_attr": 5}, f"root attrs {dict(f.attrs)}")
    g = f["g"]
    check(sorted(g.attrs) == ["changes"], f"/g attrs {sorted(g.attrs)}")
    ch = g.attrs["changes"]
    check([s(x) for x in ch] == ["x", "yy", "zzz"], f"changes = {ch!r}")
    check(g.attrs.get_id("changes").get_type().is_variable_str(), "changes is not a vlen string")
    d = g["d"]
    check(sorted(d.attrs) == ["stays", "twice"], f"/g/d attrs {sorted(d.attrs)}")
    check(d.attrs["stays"] == 5.0 and d.attrs["stays"].dtype == np.dtype("<f8"), f"stays = {d.attrs['stays']!r}")
    tw = d.attrs["twice"]
    check(tw.dtype == np.dtype("<i2"), f"twice dtype {tw.dtype}")
    eq(tw, np.array([-1, 0, 1], "<i2"), "twice")
    eq(d[...], np.array([1, 2], "<i4"), "/g/d data")
    m = f["many"]
    want = {f"a{i:02d}": i * i for i in range(20) if i % 4}
    got = {k: int(m.attrs[k]) for k in m.attrs if k != "large"}
    check(got == want, f"/many attrs {got}")
    eq(m.attrs["large"], np.arange(8000.0), "/many large")
    # h5dump must list them too (checked by the script); and creation order where tracked is not asked.


# ---- links -------------------------------------------------------------------------------------------
def links(f, profile):
    check(sorted(f.keys()) == ["drop_ds", "ext", "keep", "keep_again", "shared", "soft_dangling", "soft_ok", "typed",
                               "types"], f"root holds {sorted(f.keys())}")
    names = []
    f.visit(names.append)
    for gone in ["drop_grp", "later", "shared/second", "drop_grp/sub/b"]:
        check(gone not in names and gone not in f, f"{gone} still visible")
    v3 = np.array([1, 2, 3], "<i4")
    eq(f["keep/d"][...], v3, "keep/d")
    t = f["shared/target"]
    check(f["keep/alias"] == t, "keep/alias is not shared/target")
    check(h5py.h5o.get_info(t.id).rc == 2, f"shared/target refcount {h5py.h5o.get_info(t.id).rc}")
    a2 = f["keep/alias2"]
    check(h5py.h5o.get_info(a2.id).rc == 1, f"keep/alias2 refcount {h5py.h5o.get_info(a2.id).rc} (one link removed)")
    eq(a2[...], v3, "keep/alias2 (its other name was unlinked)")
    check(f["keep_again"] == f["keep"], "keep_again is not keep")
    check(h5py.h5o.get_info(f["keep"].id).rc == 2, "group keep refcount")
    sl = f.get("soft_ok", getlink=True)
    check(isinstance(sl, h5py.SoftLink) and sl.path == "/keep/d", f"soft_ok {sl!r}")
    eq(f["soft_ok"][...], v3, "soft_ok resolves")
    dl = f.get("soft_dangling", getlink=True)
    check(isinstance(dl, h5py.SoftLink) and dl.path == "/nowhere/at/all", f"soft_dangling {dl!r}")
    check(f.get("soft_dangling") is None, "dangling link resolves?")
    el = f.get("ext", getlink=True)
    check(isinstance(el, h5py.ExternalLink) and el.filename == "other.h5" and el.path == "/x", f"ext {el!r}")
    nd = f["drop_ds"]
    check(nd.dtype == np.dtype("<u2"), f"reused drop_ds dtype {nd.dtype}")
    eq(nd[...], np.array([7, 8, 9], "<u2"), "reused drop_ds")
    tp = f["types/pair"]
    check(isinstance(tp, h5py.Datatype), "types/pair is not a committed datatype")
    check(isinstance(f["types/be16"], h5py.Datatype) and f["types/be16"].dtype == np.dtype(">i2"), "types/be16")
    pairs = f["typed/pairs"]
    check(pairs.id.get_type().committed(), "typed/pairs does not use a committed type")
    check(h5py.h5o.get_info(tp.id).rc >= 2, f"types/pair refcount {h5py.h5o.get_info(tp.id).rc}")
    check(pairs.dtype == np.dtype({"names": ["x", "y"], "formats": ["<i4", "<f8"], "offsets": [0, 4], "itemsize": 12}),
          f"pairs dtype {pairs.dtype}")
    v = pairs[...]
    check(v["x"].tolist() == [10, 11] and v["y"].tolist() == [0.0, 0.5], f"pairs {v.tolist()}")
    be = f["typed/be"]
    check(be.id.get_type().committed() and be.dtype == np.dtype(">i2"), "typed/be type")
    eq(be[...], np.array([1, 2, 3], ">i2"), "typed/be")
    check("types/orphan" not in f, "types/orphan still linked")
    orph = f["typed/orphan"]
    check(orph.id.get_type().committed() and orph.dtype == np.dtype(">f4"), "typed/orphan type")
    eq(orph[...], np.array([0.5, -1, 8], ">f4"), "typed/orphan (its committed type was unlinked)")
    check(h5py.h5o.get_info(orph.id.get_type()).rc == 1, "the unlinked committed type's refcount is not 1")


# ---- modify ------------------------------------------------------------------------------------------
def make_modify(path, libver):
    with h5py.File(path, "w", libver=libver) as f:
        g = f.create_group("grp")
        g.attrs["answer"] = np.int32(42)
        g.attrs["keep"] = "unchanged"
        d = g.create_dataset("chunked", data=np.arange(600.0).reshape(20, 30), chunks=(8, 8), compression="gzip")
        d.attrs["units"] = "m"
        f.create_dataset("contig", data=np.arange(50, dtype="<i4"))
        f.create_dataset("ext", data=np.arange(10, dtype="<i4"), maxshape=(None,), chunks=(4,))
        f.create_dataset("todelete", data=np.ones((100, 100)))
        f.create_dataset("untouched", data=np.linspace(0, 1, 33))
        f.create_group("other/deep/er")
        f.attrs["remove_me"] = 1.5
        f.attrs["root_keep"] = [1, 2, 3]
        f["soft"] = h5py.SoftLink("/untouched")


def modify(f, profile, orig):
    with h5py.File(orig, "r") as o:
        want = o["grp/chunked"][...]
        want[5:8, 6:10] = (-1.0 - np.arange(12)).reshape(3, 4)
        eq(f["grp/chunked"][...], want, "grp/chunked after the partial write")
        check(f["grp/chunked"].compression == "gzip", "grp/chunked lost its filter")
        want = o["contig"][...]
        want[10:15] = np.arange(1000, 1005)
        eq(f["contig"][...], want, "contig")
        check(f["ext"].shape == (15,), f"ext shape {f['ext'].shape}")
        eq(f["ext"][...], np.concatenate([np.arange(10), [7] * 5]).astype("<i4"), "ext")
        check(int(f["grp"].attrs["answer"]) == 43, "answer not changed")
        check(s(f["grp/chunked"].attrs.get("note")) == "added by h5kit", "note not added")
        check("remove_me" not in f.attrs, "remove_me not deleted")
        eq(f["grp/new/data"][...], np.array([0.5, 1.5, 2.5]), "grp/new/data")
        check("todelete" not in f, "todelete still there")
        sl = f["grp"].get("to_contig", getlink=True)
        check(isinstance(sl, h5py.SoftLink) and sl.path == "/contig", "grp/to_contig")
        # everything else unchanged
        eq(f["untouched"][...], o["untouched"][...], "untouched")
        check(s(f["grp"].attrs["keep"]) == "unchanged", "grp keep attr")
        check(s(f["grp/chunked"].attrs["units"]) == "m", "units attr")
        eq(f.attrs["root_keep"], o.attrs["root_keep"], "root_keep attr")
        check("other/deep/er" in f, "other/deep/er gone")
        check(f.get("soft", getlink=True).path == "/untouched", "soft link changed")
        eq(f["soft"][...], o["untouched"][...], "soft resolves")


def main():
    if sys.argv[1] == "make-modify":
        make_modify(sys.argv[2], sys.argv[3])
        return
    sc, profile, path = sys.argv[1], sys.argv[2], sys.argv[3]
    try:
        if sc != "modify":
            profile_check(path, profile)
        with h5py.File(path, "r") as f:
            if sc == "modify":
                modify(f, profile, sys.argv[4])
            else:
                globals()[sc](f, profile)
    except Exception as e:
        import traceback
        FAILS.append(f"exception {type(e).__name__}: {e} ({traceback.format_exc().splitlines()[-3].strip()})")
    for m in FAILS:
        print(f"{sc} ({profile}): {m}")
    sys.exit(1 if FAILS else 0)


main()
