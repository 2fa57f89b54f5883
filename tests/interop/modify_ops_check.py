#!/usr/bin/python3
"""Check a file changed by modify_ops_driver.c against its original and the plan the driver printed.

    /usr/bin/python3 modify_ops_check.py ORIGINAL CHANGED PLAN

The original file is read (h5py) into a model: objects reached by hard links from the root (each
once), their links, attributes and dataset values. The plan's operations are replayed on the model
(unlink, move, softlink, attrdel, attr, group, resize, write); then the model is compared with the
changed file, walking both from the root together:
  - every group holds exactly the expected links (kind, soft link value, external file and path),
    in the expected creation order when the group tracks it;
  - a hard link reaches the object it should: objects that shared a header still share one, two
    objects never become one; an object's reference count is its original one less the hard links
    the plan removed (directly or with a deleted group);
  - every object has the same kind, attributes (names, datatype, shape, values, creation order when
    tracked) and, for datasets, the same datatype, shape (or the plan's), maximum shape, layout,
    chunk shape, filters, fill value settings and values (the plan's resizes and writes applied:
    new elements are the fill value unless the fill time is "never"; compared NaN-aware, through
    compound members, variable-length data and strings; object references compare by the object
    they reach, mapped through the walk);
  - a soft link the plan added resolves to its target.
Prints one line per difference (at most 40) and exits 1 if there is any."""
import sys
import urllib.parse

import h5py
import numpy as np

try:
    import hdf5plugin  # noqa: F401  (filters h5py lacks: lz4, bitshuffle, blosc, zstd)
except ImportError:
    pass

problems = []


def problem(msg):
    problems.append(msg)


def show(p):
    return p.decode("utf-8", "backslashreplace") if isinstance(p, bytes) else str(p)


def open_file(path):
    try:
        return h5py.File(path, "r")
    except OSError:
        # a version 3 superblock still marked "open for writing" by the program that wrote it
        return h5py.File(path, "r", swmr=True)


def okey(oid):
    i = h5py.h5o.get_info(oid)
    return (i.fileno, i.addr)


def wrap(oid):
    if isinstance(oid, h5py.h5g.GroupID):
        return h5py.Group(oid)
    if isinstance(oid, h5py.h5d.DatasetID):
        return h5py.Dataset(oid)
    if isinstance(oid, h5py.h5t.TypeID):
        return h5py.Datatype(oid)
    return None


def kind_of(obj):
    if isinstance(obj, h5py.Group):
        return "group"
    if isinstance(obj, h5py.Dataset):
        return "dataset"
    if isinstance(obj, h5py.Datatype):
        return "datatype"
    return "other"


def link_names(gid, order=h5py.h5.INDEX_NAME):
    names = []
    gid.links.iterate(lambda n: names.append(n), idx_type=order)
    return names


def attr_names(oid, order=h5py.h5.INDEX_NAME):
    names = []
    h5py.h5a.iterate(oid, lambda n: names.append(n), index_type=order)
    return names


def link_order_flags(gid):
    """H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED bits of a group."""
    return gid.get_create_plist().get_link_creation_order()


def attr_order_flags(oid):
    try:
        return oid.get_create_plist().get_attr_creation_order()
    except Exception:
        return 0


def tracks_link_order(gid):
    return bool(link_order_flags(gid) & h5py.h5p.CRT_ORDER_TRACKED)


def tracks_attr_order(oid):
    return bool(attr_order_flags(oid) & h5py.h5p.CRT_ORDER_TRACKED)


class Link:
    def __init__(self, kind, obj=None, value=None):
        self.kind = kind      # "hard", "soft", "external", "other"
        self.obj = obj        # hard: the model object
        self.value = value    # soft: target bytes; external: (file, path)


class Obj:
    """A model object: an original one (orig is its h5py object) or one the plan created."""

    def __init__(self, kind, orig=None):
        self.kind = kind
        self.orig = orig
        self.links = {}             # groups: name bytes -> Link
        self.link_order = None      # groups tracking creation order: names in that order
        self.attrs = {}             # name bytes -> None (as in the original) or ("int32", value)
        self.attr_order = None      # names in creation order, when tracked
        self.shape = None           # datasets: expected shape (None: as the original)
        self.value = None           # datasets: expected values once the plan changed them
        self.care = None            # mask of the elements whose value is known
        self.rc = 1                 # expected hard link count (reference count)


def load(f):
    """The model of file f: (root object, {object key: model object})."""
    objs = {}

    def obj_for(h5obj):
        k = okey(h5obj.id)
        if k in objs:
            return objs[k], False
        o = Obj(kind_of(h5obj), h5obj)
        o.rc = h5py.h5o.get_info(h5obj.id).rc
        objs[k] = o
        try:
            for n in attr_names(h5obj.id):
                o.attrs[n] = None
            if tracks_attr_order(h5obj.id):
                o.attr_order = attr_names(h5obj.id, h5py.h5.INDEX_CRT_ORDER)
        except Exception as e:
            problem("original: attributes of %s unreadable by h5py: %s" % (show(h5obj.name), e))
        return o, True

    root, _ = obj_for(f["/"])
    todo = [(root, f["/"])]
    while todo:
        o, g = todo.pop()
        for n in link_names(g.id):
            t = g.id.links.get_info(n).type
            if t == h5py.h5l.TYPE_HARD:
                try:
                    child = wrap(h5py.h5o.open(g.id, n))
                except Exception:
                    child = None
                if child is None:
                    o.links[n] = Link("other", value="unopenable hard link")
                    continue
                c, new = obj_for(child)
                o.links[n] = Link("hard", obj=c)
                if new and c.kind == "group":
                    todo.append((c, child))
            elif t == h5py.h5l.TYPE_SOFT:
                o.links[n] = Link("soft", value=g.id.links.get_val(n))
            elif t == h5py.h5l.TYPE_EXTERNAL:
                o.links[n] = Link("external", value=tuple(g.id.links.get_val(n)))
            else:
                o.links[n] = Link("other", value=t)
        if tracks_link_order(g.id):
            o.link_order = link_names(g.id, h5py.h5.INDEX_CRT_ORDER)
    return root, objs


# ---- replaying the plan --------------------------------------------------------------------------

def split(path):
    return [c for c in path.split(b"/") if c]


def resolve(root, path):
    o = root
    for c in split(path):
        if o.kind != "group" or c not in o.links or o.links[c].kind != "hard":
            raise KeyError("plan path %s not in the model" % show(path))
        o = o.links[c].obj
    return o


def parent_of(root, path):
    comps = split(path)
    return resolve(root, b"/" + b"/".join(comps[:-1])), comps[-1]


def read_value(ds):
    v = ds[()]
    return v


def expected_value(o):
    """The model dataset's expected values (a writable array) and mask of known elements."""
    if o.value is None:
        v = read_value(o.orig)
        o.value = np.array(v, copy=True)
        o.care = np.ones(o.value.shape, dtype=bool)
    return o.value, o.care


def has_object(dt):
    """Whether numpy dtype dt holds Python objects (variable-length data, references)."""
    if dt.names:
        return any(has_object(dt.fields[n][0]) for n in dt.names)
    if dt.subdtype:
        return has_object(dt.subdtype[0])
    return dt.kind == "O"


def fill_time_never(ds):
    return ds.id.get_create_plist().get_fill_time() == h5py.h5d.FILL_TIME_NEVER


def drop(link):
    """A hard link is gone: its object loses a reference, and is deleted at none (a group's own
    links go with it, as in libhdf5)."""
    if link.kind != "hard":
        return
    o = link.obj
    o.rc -= 1
    if o.rc == 0 and o.kind == "group":
        for child in list(o.links.values()):
            drop(child)


def apply(root, plan):
    """Replay the plan on the model; returns the soft links it added: [(path, target)]."""
    softs = []
    for line in plan:
        w = line.split()
        if not w or w[0] == "commit":
            continue
        op, args = w[0], [urllib.parse.unquote_to_bytes(a) for a in w[1:]]
        if op == "unlink":
            p, n = parent_of(root, args[0])
            drop(p.links.pop(n))
            if p.link_order is not None:
                p.link_order.remove(n)
        elif op == "move":
            p, n = parent_of(root, args[0])
            link = p.links.pop(n)
            if p.link_order is not None:
                p.link_order.remove(n)
            q, m = parent_of(root, args[1])
            q.links[m] = link
            if q.link_order is not None:
                q.link_order.append(m)
        elif op in ("softlink", "group"):
            q, m = parent_of(root, args[0])
            if op == "softlink":
                q.links[m] = Link("soft", value=args[1])
                softs.append((args[0], args[1]))
            else:
                g = Obj("group")
                q.links[m] = Link("hard", obj=g)
            if q.link_order is not None:
                q.link_order.append(m)
        elif op == "attrdel":
            o = resolve(root, args[0])
            del o.attrs[args[1]]
            if o.attr_order is not None:
                o.attr_order.remove(args[1])
        elif op == "attr":
            o = resolve(root, args[0])
            o.attrs[args[1]] = ("int32", int(args[2]))
            if o.attr_order is not None:
                o.attr_order.append(args[1])
        elif op == "resize":
            o = resolve(root, args[0])
            dims = tuple(int(x) for x in args[1].split(b","))
            old, care = expected_value(o)
            new = np.zeros(dims, dtype=old.dtype)
            newcare = np.full(dims, not fill_time_never(o.orig), dtype=bool)
            ok, fill = (False, None) if has_object(old.dtype) else attempt(lambda: o.orig.fillvalue)
            if ok:
                new[...] = fill
            else:  # undefined fill value (or one h5py cannot convert): new elements unknown
                newcare[...] = False
            overlap = tuple(slice(0, min(a, b)) for a, b in zip(old.shape, dims))
            new[overlap] = old[overlap]
            newcare[overlap] = care[overlap]
            o.value, o.care, o.shape = new, newcare, dims
        elif op == "write":
            o = resolve(root, args[0])
            val, care = expected_value(o)
            x = float(args[3]) if val.dtype.kind == "f" else int(args[3])
            if args[1] == b"-":
                val[()] = x
                care[()] = True
            else:
                start = [int(s) for s in args[1].split(b",")]
                count = [int(s) for s in args[2].split(b",")]
                sl = tuple(slice(s, s + c) for s, c in zip(start, count))
                val[sl] = x
                care[sl] = True
        else:
            raise ValueError("unknown plan operation %r" % op)
    return softs


# ---- comparing -----------------------------------------------------------------------------------

class Refs:
    """Object references met in values: checked against the walk's mapping at the end."""

    def __init__(self, fo, fn, objs):
        self.fo, self.fn, self.objs = fo, fn, objs
        self.pairs = []


def same(a, b, refs, where):
    """Whether the values a (original/expected) and b (changed) are equal."""
    if isinstance(a, h5py.Empty) or isinstance(b, h5py.Empty):
        return isinstance(a, h5py.Empty) and isinstance(b, h5py.Empty)
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    if a.dtype.names:
        if a.dtype.names != b.dtype.names:
            return False
        return all(same(a[n], b[n], refs, where) for n in a.dtype.names)
    if a.dtype.kind == "O" or b.dtype.kind == "O":
        return all(same_item(x, y, refs, where) for x, y in zip(a.ravel(), b.ravel()))
    if a.dtype.kind in "fc":
        return np.array_equal(a, b, equal_nan=True)
    if a.dtype.kind == "V":
        return a.tobytes() == b.tobytes()
    return np.array_equal(a, b)


def same_item(x, y, refs, where):
    if isinstance(x, h5py.RegionReference) or isinstance(y, h5py.RegionReference):
        if not (isinstance(x, h5py.RegionReference) and isinstance(y, h5py.RegionReference)):
            return False
        if bool(x) != bool(y):
            return False
        if not x:
            return True
        refs.pairs.append((x, y, where))  # target and selection checked with the pair
        return True
    if isinstance(x, h5py.Reference) or isinstance(y, h5py.Reference):
        if not (isinstance(x, h5py.Reference) and isinstance(y, h5py.Reference)):
            return False
        if bool(x) != bool(y):
            return False
        if x:
            refs.pairs.append((x, y, where))
        return True
    if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
        return same(x, y, refs, where)
    if isinstance(x, float) and isinstance(y, float) and np.isnan(x) and np.isnan(y):
        return True
    return type(x) == type(y) and x == y


def attempt(fn):
    try:
        return True, fn()
    except Exception as e:
        return False, type(e).__name__


def dcpl_summary(ds):
    p = ds.id.get_create_plist()
    s = {"layout": p.get_layout(), "fill_time": p.get_fill_time(), "alloc_time": p.get_alloc_time(),
         "fill_defined": p.fill_value_defined()}
    if p.get_layout() == h5py.h5d.CHUNKED:
        s["chunks"] = p.get_chunk()
    s["filters"] = [p.get_filter(i)[:3] for i in range(p.get_nfilters())]
    return s


def compare_attrs(o, new, path, refs):
    try:
        names = attr_names(new.id)
    except Exception as e:
        problem("%s: attributes unreadable: %s" % (path, e))
        return
    exp = sorted(o.attrs)
    if names != exp:
        problem("%s: attributes %s, expected %s" % (path, [show(n) for n in names], [show(n) for n in exp]))
    if o.orig is not None and attr_order_flags(o.orig.id) != attr_order_flags(new.id):
        problem("%s: attribute creation order flags (tracked 1, indexed 2) %d, original %d"
                % (path, attr_order_flags(new.id), attr_order_flags(o.orig.id)))
    elif o.attr_order is not None:
        if tracks_attr_order(new.id):
            got = attr_names(new.id, h5py.h5.INDEX_CRT_ORDER)
            if got != o.attr_order:
                problem("%s: attributes in creation order %s, expected %s"
                        % (path, [show(n) for n in got], [show(n) for n in o.attr_order]))
    for n in exp:
        if n not in names:
            continue
        where = "%s attribute %s" % (path, show(n))
        na = h5py.h5a.open(new.id, n)
        if o.attrs[n] is not None:  # added by the plan
            want = np.int32(o.attrs[n][1])
            if na.get_type() != h5py.h5t.STD_I32LE or na.shape != ():
                problem("%s: not a scalar 32-bit integer" % where)
            else:
                ok, v = attempt(lambda: new.attrs[n])
                if not ok or v != want:
                    problem("%s: %s, expected %s" % (where, v, want))
            continue
        oa = h5py.h5a.open(o.orig.id, n)
        if oa.get_type() != na.get_type():
            problem("%s: datatype differs (%s vs %s)" % (where, oa.dtype, na.dtype))
            continue
        if oa.shape != na.shape:
            problem("%s: shape %s, expected %s" % (where, na.shape, oa.shape))
            continue
        ok1, v1 = attempt(lambda: o.orig.attrs[n])
        ok2, v2 = attempt(lambda: new.attrs[n])
        if ok1 != ok2 or (not ok1 and v1 != v2):
            problem("%s: read %s, original %s" % (where, v2 if not ok2 else "ok", v1 if not ok1 else "ok"))
        elif ok1 and not same(v1, v2, refs, where):
            problem("%s: value %r, expected %r" % (where, v2, v1))


def compare_dataset(o, new, path, refs):
    ds = o.orig
    if ds.id.get_type() != new.id.get_type():
        problem("%s: datatype differs (%s vs %s)" % (path, ds.dtype, new.dtype))
        return
    if ds.id.get_type().committed() != new.id.get_type().committed():
        problem("%s: committed datatype %s, original %s" % (path, new.id.get_type().committed(),
                                                             ds.id.get_type().committed()))
    shape = o.shape if o.shape is not None else ds.shape
    if new.shape != shape:
        problem("%s: shape %s, expected %s" % (path, new.shape, shape))
        return
    if new.maxshape != ds.maxshape:
        problem("%s: maximum shape %s, expected %s" % (path, new.maxshape, ds.maxshape))
    ok1, s1 = attempt(lambda: dcpl_summary(ds))
    ok2, s2 = attempt(lambda: dcpl_summary(new))
    if ok1 and ok2 and s1 != s2:
        diff = {k: (s1.get(k), s2.get(k)) for k in set(s1) | set(s2) if s1.get(k) != s2.get(k)}
        problem("%s: creation properties differ (original, changed): %s" % (path, diff))
    elif ok1 != ok2:
        problem("%s: creation properties: original %s, changed %s" % (path, s1 if not ok1 else "ok",
                                                                        s2 if not ok2 else "ok"))
    # (h5py crashes reading some fill values of variable-length types: those are not compared)
    if ok1 and ok2 and s1["fill_defined"] == s2["fill_defined"] and not has_object(ds.dtype):
        ok1, f1 = attempt(lambda: ds.fillvalue)
        ok2, f2 = attempt(lambda: new.fillvalue)
        if ok1 != ok2 or (ok1 and not same(f1, f2, refs, path + " fill value")):
            problem("%s: fill value %r, expected %r" % (path, f2, f1))
    if o.value is not None:
        ok1, want = True, o.value
    else:
        ok1, want = attempt(lambda: read_value(ds))
    ok2, got = attempt(lambda: read_value(new))
    if not ok1 or not ok2:
        if ok1 != ok2 or want != got:
            problem("%s: read %s, original %s" % (path, got if not ok2 else "ok", want if not ok1 else "ok"))
        elif o.value is not None:
            problem("%s: h5py cannot read it, the plan's changes are unverified" % path)
        return
    if o.care is not None and not o.care.all():
        want, got = np.asarray(want)[o.care], np.asarray(got)[o.care]
    if not same(want, got, refs, path):
        problem("%s: values differ%s" % (path, value_diff(want, got)))


def value_diff(want, got):
    try:
        want, got = np.asarray(want), np.asarray(got)
        if want.shape == got.shape and want.dtype.kind in "biuf" and got.dtype.kind in "biuf":
            bad = np.argwhere(~((want == got) | (np.isnan(want) & np.isnan(got))
                                if want.dtype.kind == "f" else want == got))
            if len(bad):
                i = tuple(bad[0])
                return ": %d elements, first at %s: %r, expected %r" % (len(bad), list(i), got[i], want[i])
        s1, s2 = repr(want), repr(got)
        return ": %s, expected %s" % (s2[:200], s1[:200])
    except Exception:
        return ""


def compare(root, fo, fn, objs, softs):
    refs = Refs(fo, fn, objs)
    mapping, rev = {}, {}
    todo = [(root, fn["/"], "/")]
    while todo:
        o, new, path = todo.pop()
        k = okey(new.id)
        if id(o) in mapping:
            if mapping[id(o)] != k:
                problem("%s: no longer the same object as another link to it in the original" % path)
            continue
        if k in rev:
            problem("%s: the same object as another path, unlike the original" % path)
            continue
        mapping[id(o)], rev[k] = k, o
        if kind_of(new) != o.kind:
            problem("%s: a %s, expected a %s" % (path, kind_of(new), o.kind))
            continue
        rc = h5py.h5o.get_info(new.id).rc
        if o.kind != "datatype" and o is not root and rc != o.rc:  # (a datatype's count includes its users)
            problem("%s: reference count (hard links) %d, expected %d" % (path, rc, o.rc))
        compare_attrs(o, new, path, refs)
        if o.kind == "dataset":
            compare_dataset(o, new, path, refs)
        elif o.kind == "datatype":
            if o.orig.id != new.id:
                problem("%s: committed datatype differs (%s vs %s)" % (path, o.orig.dtype, new.dtype))
        if o.kind != "group":
            continue
        names = link_names(new.id)
        exp = sorted(o.links)
        if names != exp:
            gone = [show(n) for n in exp if n not in names]
            extra = [show(n) for n in names if n not in o.links]
            problem("%s: links missing %s, unexpected %s" % (path, gone, extra))
        if o.orig is not None and link_order_flags(o.orig.id) != link_order_flags(new.id):
            problem("%s: link creation order flags (tracked 1, indexed 2) %d, original %d"
                    % (path, link_order_flags(new.id), link_order_flags(o.orig.id)))
        elif o.link_order is not None:
            if tracks_link_order(new.id):
                got = link_names(new.id, h5py.h5.INDEX_CRT_ORDER)
                if got != o.link_order:
                    problem("%s: links in creation order %s, expected %s"
                            % (path, [show(n) for n in got], [show(n) for n in o.link_order]))
        for n in exp:
            if n not in names:
                continue
            lpath = (path.rstrip("/") + "/" + show(n))
            link = o.links[n]
            t = new.id.links.get_info(n).type
            tk = {h5py.h5l.TYPE_HARD: "hard", h5py.h5l.TYPE_SOFT: "soft", h5py.h5l.TYPE_EXTERNAL: "external"}
            if tk.get(t, "other") != link.kind:
                problem("%s: a %s link, expected %s" % (lpath, tk.get(t, t), link.kind))
                continue
            if link.kind == "soft":
                v = new.id.links.get_val(n)
                if v != link.value:
                    problem("%s: soft link to %s, expected %s" % (lpath, show(v), show(link.value)))
            elif link.kind == "external":
                v = tuple(new.id.links.get_val(n))
                if v != link.value:
                    problem("%s: external link to %s, expected %s" % (lpath, v, link.value))
            elif link.kind == "hard":
                try:
                    child = wrap(h5py.h5o.open(new.id, n))
                except Exception as e:
                    problem("%s: cannot open the object: %s" % (lpath, e))
                    continue
                todo.append((link.obj, child, lpath))
    # references reach the object the original's reached (as the walk mapped it)
    for x, y, where in refs.pairs:
        ok1, a = attempt(lambda: fo[x])
        ok2, b = attempt(lambda: fn[y])
        if not ok1:
            continue  # dangling in the original already
        if not ok2:
            problem("%s: a reference no longer resolves (%s)" % (where, b))
            continue
        o = objs.get(okey(a.id))
        if o is not None and id(o) in mapping and mapping[id(o)] != okey(b.id):
            problem("%s: a reference now reaches %s, expected the object at %s" % (where, b.name, a.name))
        if isinstance(x, h5py.RegionReference):
            s1 = attempt(lambda: h5py.h5r.get_region(x, a.id).get_select_bounds())
            s2 = attempt(lambda: h5py.h5r.get_region(y, b.id).get_select_bounds())
            if s1 != s2:
                problem("%s: a region reference selects %s, expected %s" % (where, s2, s1))
    for p, t in softs:
        ok1, a = attempt(lambda: fn[p])
        ok2, b = attempt(lambda: fn[t])
        if not ok1 or not ok2 or okey(a.id) != okey(b.id):
            problem("%s: the added soft link does not resolve to %s" % (show(p), show(t)))


def main():
    if len(sys.argv) != 4:
        print(__doc__.split("\n")[2].strip(), file=sys.stderr)
        sys.exit(2)
    plan = open(sys.argv[3], encoding="ascii").read().split("\n")
    fo = open_file(sys.argv[1])
    root, objs = load(fo)
    softs = apply(root, plan)
    fn = open_file(sys.argv[2])
    compare(root, fo, fn, objs, softs)
    for p in problems[:40]:
        print(p)
    if len(problems) > 40:
        print("... %d more" % (len(problems) - 40))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
