#!/usr/bin/python3
"""Write demo/sample.h5, the small file `make demo` lists.

    /usr/bin/python3 demo/make_sample.py [OUT]      (default: sample.h5 beside this script)

A NeXus-like tree of a detector measurement, small (< 100 KiB) but touching most of what a
reader meets: chunked gzip data, attributes, a soft link, an external link whose file is absent,
a committed datatype, a scalar, an empty (null) dataset and a group that tracks creation order.
The committed demo/sample.h5 was made with this script; rerun it only to change the sample.
"""
import os
import sys

import h5py
import numpy as np


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "sample.h5")
    rng = np.random.default_rng(20240601)
    with h5py.File(out, "w", libver="latest") as f:
        f.attrs["creator"] = "h5kit demo/make_sample.py"
        entry = f.create_group("entry")
        entry.attrs["NX_class"] = "NXentry"
        entry["title"] = "Powder scan, 4 frames"
        entry["start_time"] = "2024-06-01T12:00:00Z"

        det = entry.create_group("instrument/detector")
        entry["instrument"].attrs["NX_class"] = "NXinstrument"
        det.attrs["NX_class"] = "NXdetector"
        frames = rng.poisson(20, size=(4, 64, 64)).astype("u2")
        data = det.create_dataset("data", data=frames, chunks=(1, 32, 32), compression="gzip",
                                  compression_opts=6, shuffle=True)
        data.attrs["units"] = "counts"
        data.attrs["signal"] = 1
        det["distance"] = np.float64(0.35)
        det["distance"].attrs["units"] = "m"

        sample = entry.create_group("sample")
        sample.attrs["NX_class"] = "NXsample"
        sample["name"] = "silicon standard"
        temps = sample.create_dataset("temperature", data=np.linspace(295.0, 297.5, 4),
                                      maxshape=(None,), chunks=(16,))
        temps.attrs["units"] = "K"

        f["types/pixel"] = np.dtype([("row", "u2"), ("col", "u2"), ("mask", "u1")])
        bad = np.array([(3, 7, 1), (40, 12, 1)], dtype=f["types/pixel"].dtype)
        det.create_dataset("bad_pixels", data=bad, dtype=f["types/pixel"])

        entry["data"] = h5py.SoftLink("/entry/instrument/detector/data")
        entry["calibration"] = h5py.ExternalLink("calibration.h5", "/entry/geometry")
        entry["notes"] = h5py.Empty("f4")

        log = entry.create_group("log", track_order=True)
        for name, value in (("started", 0.0), ("shutter_open", 0.5), ("acquired", 4.2),
                            ("closed", 4.3)):
            log[name] = np.float64(value)
    print("wrote %s (%d bytes)" % (out, os.path.getsize(out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
