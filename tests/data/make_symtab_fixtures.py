#!/usr/bin/python3
"""Regenerate the old-style group fixtures used by tests/unit/test_symtab.c.

Run with the system Python that has h5py:  /usr/bin/python3 tests/data/make_symtab_fixtures.py
Writes, next to this script:
  symtab300.h5 / .txt   libver earliest, offsets 8 / lengths 8: group /big with 300 links
                        (hard links to /x, a few soft links, a few subgroups), so its v1
                        B-tree has an internal level over many symbol table nodes.
  symtab_o4l2.h5 / .txt offsets 4 / lengths 2 (the sizes differ): group /g with 21 links.
The .txt files list, per group, what h5py reports, in h5py's (name) order:
  <group path> TAB <name> TAB hard TAB <object header address>
  <group path> TAB <name> TAB soft TAB <link value>
"""
import os
import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def listing(f, paths):
    lines = []
    for gp in paths:
        g = f[gp]
        for name in g:  # old-style groups iterate in name order
            link = g.get(name, getlink=True)
            if isinstance(link, h5py.SoftLink):
                lines.append("%s\t%s\tsoft\t%s" % (gp, name, link.path))
            else:
                lines.append("%s\t%s\thard\t%d" % (gp, name, h5py.h5o.get_info(g[name].id).addr))
    return "\n".join(lines) + "\n"


def make300():
    path = os.path.join(HERE, "symtab300.h5")
    with h5py.File(path, "w", libver="earliest") as f:
        d = f.create_dataset("x", data=np.arange(4, dtype="i4"))
        g = f.create_group("big")
        for i in range(300):
            name = "m%03d" % i
            if i % 61 == 7:
                g.create_group(name)["inner"] = d
            elif i % 37 == 5:
                g[name] = h5py.SoftLink("/x" if i % 2 else "/nowhere/at/all")
            else:
                g[name] = d
    with h5py.File(path, "r") as f:
        paths = ["/", "/big"] + ["/big/" + n for n in f["big"] if isinstance(f["big"].get(n, getlink=True), h5py.HardLink)
                                 and isinstance(f["big"][n], h5py.Group)]
        text = listing(f, paths)
    with open(os.path.join(HERE, "symtab300.txt"), "w") as out:
        out.write(text)


def make_o4l2():
    path = os.path.join(HERE, "symtab_o4l2.h5")
    fcpl = h5py.h5p.create(h5py.h5p.FILE_CREATE)
    fcpl.set_sizes(4, 2)
    fid = h5py.h5f.create(path.encode(), h5py.h5f.ACC_TRUNC, fcpl=fcpl)
    with h5py.File(fid) as f:
        d = f.create_dataset("x", data=np.arange(4, dtype="i4"))
        g = f.create_group("g")
        for i in range(20):
            g["n%02d" % i] = d
        g["soft"] = h5py.SoftLink("/x")
    with h5py.File(path, "r") as f:
        text = listing(f, ["/", "/g"])
    with open(os.path.join(HERE, "symtab_o4l2.txt"), "w") as out:
        out.write(text)


make300()
make_o4l2()
