#!/usr/bin/python3
"""Write the read benchmark's input files: a 256 x 512 x 512 uint16 stack of Poisson(0.6)
counts (a sparse detector-like image series; numpy seed 20240601), dataset "/data", one
512 x 512 frame per chunk, once per filter:

    stack_none.h5      no filter
    stack_gzip.h5      deflate level 4
    stack_shuf_gzip.h5 shuffle + deflate level 4
    stack_bslz4.h5     bitshuffle with LZ4 (hdf5plugin.Bitshuffle(cname='lz4'))
    stack_lz4.h5       LZ4 (hdf5plugin.LZ4())

usage: /usr/bin/python3 bench/make_stack.py OUTDIR [FRAMES]
(FRAMES defaults to 256; smaller values make quick test files.) Existing files are kept when
they already hold the requested shape.
"""
import os
import sys

import h5py
import hdf5plugin
import numpy as np


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else "/tmp/h5kit-bench"
    frames = int(sys.argv[2]) if len(sys.argv) > 2 else 256
    shape = (frames, 512, 512)
    os.makedirs(outdir, exist_ok=True)
    rng = np.random.default_rng(20240601)
    data = rng.poisson(0.6, size=shape).astype(np.uint16)
    variants = {
        "none": {},
        "gzip": {"compression": "gzip", "compression_opts": 4},
        "shuf_gzip": {"compression": "gzip", "compression_opts": 4, "shuffle": True},
        "bslz4": dict(hdf5plugin.Bitshuffle(cname="lz4")),
        "lz4": dict(hdf5plugin.LZ4()),
    }
    for name, kw in variants.items():
        path = os.path.join(outdir, f"stack_{name}.h5")
        if os.path.exists(path):
            try:
                with h5py.File(path, "r") as f:
                    if f["data"].shape == shape:
                        print(f"{path}: kept")
                        continue
            except (OSError, KeyError):
                pass
        with h5py.File(path, "w") as f:
            f.create_dataset("data", data=data, chunks=(1, 512, 512), **kw)
        print(f"{path}: {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
