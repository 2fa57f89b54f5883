"""Helpers for test_dense_build: find and patch the Link Info / Attribute Info message of an object.

Usage:
  dense_build_patch.py info FILE OHDR KIND
      print "fheap name_bt2 corder_bt2" of the object's Link Info (KIND=links) or Attribute
      Info (KIND=attrs) message (undefined addresses as 18446744073709551615)
  dense_build_patch.py patch FILE OHDR KIND BLOB BASE FHEAP NAME CORDER OUT
      write OUT = FILE with BLOB stored at address BASE (the end of FILE), the info message
      pointing at FHEAP / NAME / CORDER, the object header chunk checksum and the superblock
      (version 2 or 3: end-of-file address and checksum) fixed.
Only files with 8-byte offsets and lengths (libhdf5 defaults) and version 2 object headers.
Layouts: HDF5 File Format Specification 3.0, II.A (superblock v2/3), IV.A.1.b (object header
v2), IV.A.2.c (Link Info), IV.A.2.v (Attribute Info)."""
import struct
import sys


UNDEF = 0xFFFFFFFFFFFFFFFF


def lookup3(data, initval=0):
    """Bob Jenkins' hashlittle, as the HDF5 checksums use it."""
    def rot(x, k):
        return ((x << k) | (x >> (32 - k))) & 0xFFFFFFFF
    length = len(data)
    a = b = c = (0xDEADBEEF + length + initval) & 0xFFFFFFFF
    i = 0
    while length > 12:
        a = (a + data[i] + (data[i + 1] << 8) + (data[i + 2] << 16) + (data[i + 3] << 24)) & 0xFFFFFFFF
        b = (b + data[i + 4] + (data[i + 5] << 8) + (data[i + 6] << 16) + (data[i + 7] << 24)) & 0xFFFFFFFF
        c = (c + data[i + 8] + (data[i + 9] << 8) + (data[i + 10] << 16) + (data[i + 11] << 24)) & 0xFFFFFFFF
        a = (a - c) & 0xFFFFFFFF; a ^= rot(c, 4); c = (c + b) & 0xFFFFFFFF
        b = (b - a) & 0xFFFFFFFF; b ^= rot(a, 6); a = (a + c) & 0xFFFFFFFF
        c = (c - b) & 0xFFFFFFFF; c ^= rot(b, 8); b = (b + a) & 0xFFFFFFFF
        a = (a - c) & 0xFFFFFFFF; a ^= rot(c, 16); c = (c + b) & 0xFFFFFFFF
        b = (b - a) & 0xFFFFFFFF; b ^= rot(a, 19); a = (a + c) & 0xFFFFFFFF
        c = (c - b) & 0xFFFFFFFF; c ^= rot(b, 4); b = (b + a) & 0xFFFFFFFF
        length -= 12
        i += 12
    if length == 0:
        return c
    tail = data[i:i + length] + bytes(12 - length)
    a = (a + tail[0] + (tail[1] << 8) + (tail[2] << 16) + (tail[3] << 24)) & 0xFFFFFFFF
    b = (b + tail[4] + (tail[5] << 8) + (tail[6] << 16) + (tail[7] << 24)) & 0xFFFFFFFF
    c = (c + tail[8] + (tail[9] << 8) + (tail[10] << 16) + (tail[11] << 24)) & 0xFFFFFFFF
    c ^= b; c = (c - rot(b, 14)) & 0xFFFFFFFF
    a ^= c; a = (a - rot(c, 11)) & 0xFFFFFFFF
    b ^= a; b = (b - rot(a, 25)) & 0xFFFFFFFF
    c ^= b; c = (c - rot(b, 16)) & 0xFFFFFFFF
    a ^= c; a = (a - rot(c, 4)) & 0xFFFFFFFF
    b ^= a; b = (b - rot(a, 14)) & 0xFFFFFFFF
    c ^= b; c = (c - rot(b, 24)) & 0xFFFFFFFF
    return c


def chunks(buf, ohdr):
    """Yield (start, end_of_messages, first_message) of each chunk of a v2 object header."""
    if buf[ohdr:ohdr + 4] != b"OHDR" or buf[ohdr + 4] != 2:
        raise SystemExit("not a version 2 object header at %d" % ohdr)
    flags = buf[ohdr + 5]
    pos = ohdr + 6 + (16 if flags & 0x20 else 0) + (4 if flags & 0x10 else 0)
    nsize = 1 << (flags & 3)
    size = int.from_bytes(buf[pos:pos + nsize], "little")
    pos += nsize
    todo = [(ohdr, pos, pos + size)]
    while todo:
        start, first, end = todo.pop(0)
        yield start, first, end, flags
        p = first
        while p + 4 <= end:
            mtype, msize, mflags = buf[p], int.from_bytes(buf[p + 1:p + 3], "little"), buf[p + 3]
            data = p + 4 + (2 if flags & 0x04 else 0)
            if mtype == 0x10:
                addr, length = struct.unpack_from("<QQ", buf, data)
                todo.append((addr, addr + 4, addr + length - 4))
            p = data + msize


def find_info(buf, ohdr, kind):
    """(chunk start, chunk end, data offset) of the info message, and its decoded fields."""
    want = 0x02 if kind == "links" else 0x15
    for start, first, end, flags in chunks(buf, ohdr):
        p = first
        while p + 4 <= end:
            mtype, msize = buf[p], int.from_bytes(buf[p + 1:p + 3], "little")
            data = p + 4 + (2 if flags & 0x04 else 0)
            if mtype == want:
                mflags = buf[data + 1]
                q = data + 2
                if mflags & 1:
                    q += 8 if kind == "links" else 2
                return start, end, q, mflags
            p = data + msize
    raise SystemExit("no info message in the object header at %d" % ohdr)


def info(buf, ohdr, kind):
    _, _, q, mflags = find_info(buf, ohdr, kind)
    fheap, name = struct.unpack_from("<QQ", buf, q)
    corder = struct.unpack_from("<Q", buf, q + 16)[0] if mflags & 2 else UNDEF
    return fheap, name, corder


def patch(buf, ohdr, kind, blob, base, fheap, name, corder):
    if len(buf) != base:
        raise SystemExit("base %d is not the end of the file (%d)" % (base, len(buf)))
    start, end, q, mflags = find_info(buf, ohdr, kind)
    struct.pack_into("<QQ", buf, q, fheap, name)
    if mflags & 2:
        struct.pack_into("<Q", buf, q + 16, corder)
    struct.pack_into("<I", buf, end, lookup3(bytes(buf[start:end])))
    buf += blob
    if buf[0:8] != b"\x89HDF\r\n\x1a\n" or buf[8] not in (2, 3) or buf[9] != 8:
        raise SystemExit("need a version 2/3 superblock with 8-byte offsets")
    struct.pack_into("<Q", buf, 28, len(buf))
    struct.pack_into("<I", buf, 44, lookup3(bytes(buf[0:44])))
    return buf


def main(argv):
    cmd = argv[1]
    buf = bytearray(open(argv[2], "rb").read())
    ohdr, kind = int(argv[3]), argv[4]
    if cmd == "info":
        print("%d %d %d" % info(buf, ohdr, kind))
    elif cmd == "patch":
        blob = open(argv[5], "rb").read()
        base, fheap, name, corder = (int(x) for x in argv[6:10])
        out = patch(buf, ohdr, kind, blob, base, fheap, name, corder)
        open(argv[10], "wb").write(out)
    else:
        raise SystemExit("unknown command " + cmd)


if __name__ == "__main__":
    main(sys.argv)
