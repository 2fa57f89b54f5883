"""Check the files test_chunk_index_build --e2e DIR wrote: each is an h5py file whose dataset was
re-pointed at a chunk index built by h5kit (appended at the end of the file; the original index's
signature destroyed). Reads through the reference library (h5py) must give the same values and
the same number of allocated chunks as the untouched original, and h5dump must print the dataset
exactly as it prints the original's.

usage: chunk_index_build_check.py DIR      (DIR/e2e.txt: lines "original patched dataset")
Prints one line per failure and a last line "N passed, M failed"; exit status 1 on failure."""
import subprocess
import sys

import h5py
import numpy as np


def h5dump(path, name, shape):
    args = ["h5dump", "-d", "/" + name]
    if int(np.prod(shape)) > 50000:
        # h5dump spends ~10 us per chunk: dump the last 6000 rows (holding written chunks)
        start = [max(0, shape[0] - 6000)] + [0] * (len(shape) - 1)
        count = [shape[0] - start[0]] + list(shape[1:])
        args += ["-s", ",".join(map(str, start)), "-c", ",".join(map(str, count))]
    r = subprocess.run(args + [path], capture_output=True, timeout=120)
    # the first line names the file; everything after it must match
    return r.returncode, r.stdout.split(b"\n", 1)[-1], r.stderr


def main():
    d = sys.argv[1]
    passed = failed = 0
    with open(d + "/e2e.txt") as fp:
        rows = [line.split() for line in fp if line.strip()]
    for orig, patched, name in rows:
        why = []
        shape = (1,)
        try:
            with h5py.File(orig, "r") as fo, h5py.File(patched, "r") as fp2:
                a, b = fo[name], fp2[name]
                shape = a.shape
                if a.id.get_num_chunks() != b.id.get_num_chunks():
                    why.append("get_num_chunks %d vs %d" % (a.id.get_num_chunks(), b.id.get_num_chunks()))
                va, vb = a[()], b[()]
                if va.dtype != vb.dtype or va.shape != vb.shape or not np.array_equal(va, vb):
                    why.append("values differ")
        except Exception as e:  # noqa: BLE001 - any failure of the reference library counts
            why.append("h5py: %s" % e)
        rc_o, out_o, _ = h5dump(orig, name, shape)
        rc_p, out_p, err_p = h5dump(patched, name, shape)
        if rc_p != 0 or rc_o != 0:
            why.append("h5dump exit %d (original %d): %s" % (rc_p, rc_o, err_p[:200]))
        elif out_o != out_p:
            why.append("h5dump output differs")
        if why:
            failed += 1
            print("FAIL: %s (%s): %s" % (name, patched, "; ".join(why)))
        else:
            passed += 1
    if len(rows) < 20:
        failed += 1
        print("FAIL: only %d patched files" % len(rows))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
