/* Dataset storage messages (src/format/msg_layout.c): Data Layout, Filter Pipeline, Fill Value
 * (old and new), External Data Files.
 *
 * 1. Hand-built messages for every version and class, byte layouts from the spec (IV.A.2.e, f,
 *    h, i, l), and malformed variants (truncation, bad versions, counts out of range) ->
 *    H5K_ECORRUPT.
 * 2. Real messages from files the reference library writes at test time through h5py
 *    (libver "earliest" and "latest"; skipped if h5py is missing), compared with what the
 *    library itself reports for the same datasets (dataset creation property list: layout,
 *    chunk dims, filters with flags and client data, allocation/fill time, fill value,
 *    external files; storage size; compact data = the dataset's values). These are the values
 *    `h5dump -p -H` prints. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/file_impl.h"
#include "format/layout.h"
#include "format/messages.h"
#include "format/object_header.h"
#include "testutil.h"

/* ---- 1. hand-built ------------------------------------------------------------------------------ */

static uint8_t file_buf[4096];

static void test_layout_handmade(void) {
  h5k_fctx f;
  h5k_layout l;
  uint8_t m[128];
  size_t n;
  fctx_mem(&f, file_buf, sizeof file_buf);

  /* v3 contiguous */
  memset(m, 0, sizeof m);
  m[0] = 3, m[1] = 1;
  put_le(m + 2, 1000, 8);
  put_le(m + 10, 96, 8);
  CHECK_EQ_U(h5k_decode_layout(&l, m, 18, &f, 2), 0);
  CHECK_EQ_U(l.cls, H5K_LAYOUT_CONTIGUOUS);
  CHECK_EQ_U(l.addr, 1000);
  CHECK_EQ_U(l.size, 96);
  h5k_layout_clear(&l);
  CHECK(h5k_decode_layout(&l, m, 17, &f, 2) == H5K_ECORRUPT);       /* truncated */
  put_le(m + 2, 4090, 8);
  CHECK(h5k_decode_layout(&l, m, 18, &f, 2) == H5K_ECORRUPT);       /* data past end of file */
  put_le(m + 2, UINT64_MAX, 8);
  CHECK_EQ_U(h5k_decode_layout(&l, m, 18, &f, 2), 0);               /* not allocated */
  CHECK(l.addr == H5K_ADDR_UNDEF);
  h5k_layout_clear(&l);

  /* v3 compact */
  memset(m, 0, sizeof m);
  m[0] = 3, m[1] = 0;
  put_le(m + 2, 4, 2);
  memcpy(m + 4, "\x01\x02\x03\x04", 4);
  CHECK_EQ_U(h5k_decode_layout(&l, m, 8, &f, 1), 0);
  CHECK_EQ_U(l.cls, H5K_LAYOUT_COMPACT);
  CHECK_EQ_U(l.compact_size, 4);
  CHECK(l.compact && l.compact[3] == 4);
  h5k_layout_clear(&l);
  CHECK(h5k_decode_layout(&l, m, 7, &f, 1) == H5K_ECORRUPT);

  /* v3 chunked: dimensionality 3 (rank 2 + element size) */
  memset(m, 0, sizeof m);
  m[0] = 3, m[1] = 2, m[2] = 3;
  put_le(m + 3, 2000, 8);
  put_le(m + 11, 5, 4);
  put_le(m + 15, 7, 4);
  put_le(m + 19, 4, 4);
  CHECK_EQ_U(h5k_decode_layout(&l, m, 23, &f, 2), 0);
  CHECK_EQ_U(l.cls, H5K_LAYOUT_CHUNKED);
  CHECK_EQ_U(l.index, H5K_CHUNK_INDEX_BTREE1);
  CHECK_EQ_U(l.rank, 2);
  CHECK_EQ_U(l.chunk[0], 5);
  CHECK_EQ_U(l.chunk[1], 7);
  CHECK_EQ_U(l.elem_size, 4);
  CHECK_EQ_U(l.addr, 2000);
  h5k_layout_clear(&l);
  CHECK(h5k_decode_layout(&l, m, 23, &f, 3) == H5K_ECORRUPT); /* rank differs from the dataspace */
  put_le(m + 15, 0, 4);
  CHECK(h5k_decode_layout(&l, m, 23, &f, 2) == H5K_ECORRUPT); /* zero chunk dim */

  /* v1 chunked (dimensionality includes the element size) and v1 compact */
  memset(m, 0, sizeof m);
  m[0] = 1, m[1] = 2, m[2] = 2;
  put_le(m + 8, 2000, 8);
  put_le(m + 16, 10, 4);
  put_le(m + 20, 8, 4);
  CHECK_EQ_U(h5k_decode_layout(&l, m, 24, &f, 1), 0);
  CHECK_EQ_U(l.chunk[0], 10);
  CHECK_EQ_U(l.elem_size, 8);
  CHECK_EQ_U(l.index, H5K_CHUNK_INDEX_BTREE1);
  h5k_layout_clear(&l);
  memset(m, 0, sizeof m);
  m[0] = 2, m[1] = 1, m[2] = 0;
  put_le(m + 8, 3, 4);
  put_le(m + 12, 3, 4);
  memcpy(m + 16, "abc", 3);
  CHECK_EQ_U(h5k_decode_layout(&l, m, 19, &f, 1), 0);
  CHECK_EQ_U(l.cls, H5K_LAYOUT_COMPACT);
  CHECK_EQ_U(l.compact_size, 3);
  h5k_layout_clear(&l);
  CHECK(h5k_decode_layout(&l, m, 18, &f, 1) == H5K_ECORRUPT);

  /* v4 chunked, each index type */
  {
    static const struct {
      unsigned type;
      size_t nparams;
      uint8_t params[16];
      h5k_chunk_index idx;
    } v4[] = {
        {1, 0, {0}, H5K_CHUNK_INDEX_SINGLE},
        {2, 0, {0}, H5K_CHUNK_INDEX_IMPLICIT},
        {3, 1, {10}, H5K_CHUNK_INDEX_FARRAY},
        {4, 5, {32, 4, 4, 16, 10}, H5K_CHUNK_INDEX_EARRAY},
        {5, 6, {0, 2, 0, 0, 100, 40}, H5K_CHUNK_INDEX_BTREE2},
    };
    for (size_t i = 0; i < sizeof v4 / sizeof v4[0]; i++) {
      memset(m, 0, sizeof m);
      m[0] = 4, m[1] = 2, m[2] = 0, m[3] = 3, m[4] = 2; /* flags 0, 3 dims of 2 bytes */
      put_le(m + 5, 300, 2);
      put_le(m + 7, 2, 2);
      put_le(m + 9, 8, 2);
      m[11] = (uint8_t)v4[i].type;
      memcpy(m + 12, v4[i].params, v4[i].nparams);
      n = 12 + v4[i].nparams;
      put_le(m + n, 3000, 8);
      n += 8;
      CHECK_EQ_U(h5k_decode_layout(&l, m, n, &f, 2), 0);
      CHECK_EQ_U(l.index, v4[i].idx);
      CHECK_EQ_U(l.chunk[0], 300);
      CHECK_EQ_U(l.chunk[1], 2);
      CHECK_EQ_U(l.elem_size, 8);
      CHECK_EQ_U(l.addr, 3000);
      if (v4[i].idx == H5K_CHUNK_INDEX_EARRAY) {
        CHECK_EQ_U(l.ia_params[0], 32);
        CHECK_EQ_U(l.ia_params[1], 4);
        CHECK_EQ_U(l.ia_params[2], 16); /* data block min elements */
        CHECK_EQ_U(l.ia_params[3], 4);  /* super block min data pointers */
        CHECK_EQ_U(l.ia_params[4], 10);
      }
      if (v4[i].idx == H5K_CHUNK_INDEX_BTREE2) {
        CHECK_EQ_U(l.ia_params[0], 512);
        CHECK_EQ_U(l.ia_params[1], 100);
        CHECK_EQ_U(l.ia_params[2], 40);
      }
      h5k_layout_clear(&l);
      CHECK(h5k_decode_layout(&l, m, n - 1, &f, 2) == H5K_ECORRUPT);
    }
    /* single chunk, filtered: size (L) and mask follow the index type */
    memset(m, 0, sizeof m);
    m[0] = 4, m[1] = 2, m[2] = 2, m[3] = 2, m[4] = 1;
    m[5] = 9, m[6] = 4, m[7] = 1;
    put_le(m + 8, 77, 8);
    put_le(m + 16, 0x2, 4);
    put_le(m + 20, 3000, 8);
    CHECK_EQ_U(h5k_decode_layout(&l, m, 28, &f, 1), 0);
    CHECK_EQ_U(l.index, H5K_CHUNK_INDEX_SINGLE);
    CHECK_EQ_U(l.flags, 2);
    CHECK_EQ_U(l.single_size, 77);
    CHECK_EQ_U(l.single_mask, 2);
    h5k_layout_clear(&l);
    m[7] = 0; /* index type 0 (v1 B-tree) is not allowed in version 4 */
    CHECK(h5k_decode_layout(&l, m, 28, &f, 1) == H5K_ECORRUPT);
    m[7] = 6;
    CHECK(h5k_decode_layout(&l, m, 28, &f, 1) == H5K_ECORRUPT);
    m[7] = 1, m[4] = 9; /* dimension width 9 */
    CHECK(h5k_decode_layout(&l, m, 28, &f, 1) == H5K_ECORRUPT);
    m[4] = 1, m[2] = 0x80; /* unknown flag */
    CHECK(h5k_decode_layout(&l, m, 28, &f, 1) == H5K_ECORRUPT);
  }
  /* v4 virtual */
  memset(m, 0, sizeof m);
  m[0] = 4, m[1] = 3;
  put_le(m + 2, 500, 8);
  put_le(m + 10, 7, 4);
  CHECK_EQ_U(h5k_decode_layout(&l, m, 14, &f, 1), 0);
  CHECK_EQ_U(l.cls, H5K_LAYOUT_VIRTUAL);
  CHECK_EQ_U(l.vds_heap_addr, 500);
  CHECK_EQ_U(l.vds_heap_index, 7);
  h5k_layout_clear(&l);
  /* versions */
  m[0] = 0;
  CHECK(h5k_decode_layout(&l, m, 14, &f, 1) == H5K_ECORRUPT);
  m[0] = 6;
  CHECK(h5k_decode_layout(&l, m, 14, &f, 1) == H5K_EUNSUPPORTED);
  m[0] = 3, m[1] = 3; /* virtual needs version 4 */
  CHECK(h5k_decode_layout(&l, m, 14, &f, 1) == H5K_ECORRUPT);
  CHECK(h5k_decode_layout(&l, m, 0, &f, 1) == H5K_ECORRUPT);
  h5k_io_close(f.io);
}

static void test_pline_handmade(void) {
  h5k_pline pl;
  uint8_t m[128];
  /* v1: deflate (name "deflate" padded to 8, 1 cd value + 4 bytes padding), then a filter with
   * no name and two cd values */
  memset(m, 0, sizeof m);
  m[0] = 1, m[1] = 2;
  put_le(m + 8, 1, 2);
  put_le(m + 10, 8, 2);
  put_le(m + 12, 1, 2);
  put_le(m + 14, 1, 2);
  memcpy(m + 16, "deflate", 8);
  put_le(m + 24, 6, 4);
  put_le(m + 32, 300, 2);
  put_le(m + 34, 0, 2);
  put_le(m + 36, 0, 2);
  put_le(m + 38, 2, 2);
  put_le(m + 40, 11, 4);
  put_le(m + 44, 12, 4);
  CHECK_EQ_U(h5k_decode_pline(&pl, m, 48), 0);
  CHECK_EQ_U(pl.version, 1);
  CHECK_EQ_U(pl.n, 2);
  CHECK_EQ_U(pl.filters[0].id, 1);
  CHECK_EQ_U(pl.filters[0].flags, 1);
  CHECK(pl.filters[0].name && !strcmp(pl.filters[0].name, "deflate"));
  CHECK_EQ_U(pl.filters[0].ncd, 1);
  CHECK(pl.filters[0].cd && pl.filters[0].cd[0] == 6);
  CHECK_EQ_U(pl.filters[1].id, 300);
  CHECK(pl.filters[1].name == NULL);
  CHECK_EQ_U(pl.filters[1].ncd, 2);
  CHECK(pl.filters[1].cd && pl.filters[1].cd[1] == 12);
  h5k_pline_clear(&pl);
  CHECK(h5k_decode_pline(&pl, m, 47) == H5K_ECORRUPT);
  CHECK(h5k_decode_pline(&pl, m, 27) == H5K_ECORRUPT); /* the padding is required too */
  put_le(m + 10, 7, 2);                                 /* name length not a multiple of 8 */
  CHECK(h5k_decode_pline(&pl, m, 48) == H5K_ECORRUPT);

  /* v2: shuffle (id < 256: no name), then id 32000 with name "lzf" (4 bytes, unpadded) */
  memset(m, 0, sizeof m);
  m[0] = 2, m[1] = 2;
  put_le(m + 2, 2, 2);
  put_le(m + 4, 1, 2);
  put_le(m + 6, 1, 2);
  put_le(m + 8, 4, 4);
  put_le(m + 12, 32000, 2);
  put_le(m + 14, 4, 2);
  put_le(m + 16, 0, 2);
  put_le(m + 18, 3, 2);
  memcpy(m + 20, "lzf", 4);
  put_le(m + 24, 4, 4);
  put_le(m + 28, 261, 4);
  put_le(m + 32, 32, 4);
  CHECK_EQ_U(h5k_decode_pline(&pl, m, 36), 0);
  CHECK_EQ_U(pl.n, 2);
  CHECK_EQ_U(pl.filters[0].id, 2);
  CHECK(pl.filters[0].name == NULL);
  CHECK_EQ_U(pl.filters[0].cd[0], 4);
  CHECK_EQ_U(pl.filters[1].id, 32000);
  CHECK(pl.filters[1].name && !strcmp(pl.filters[1].name, "lzf"));
  CHECK_EQ_U(pl.filters[1].ncd, 3);
  CHECK_EQ_U(pl.filters[1].cd[2], 32);
  h5k_pline_clear(&pl);
  CHECK(h5k_decode_pline(&pl, m, 35) == H5K_ECORRUPT);
  m[1] = 33; /* more than 32 filters */
  CHECK(h5k_decode_pline(&pl, m, 36) == H5K_ECORRUPT);
  m[1] = 2, m[0] = 3;
  CHECK(h5k_decode_pline(&pl, m, 36) == H5K_EUNSUPPORTED);
  m[0] = 2;
  put_le(m + 18, 0xffff, 2); /* 65535 cd values in a 36-byte message */
  CHECK(h5k_decode_pline(&pl, m, 36) == H5K_ECORRUPT);
}

static void test_fill_handmade(void) {
  h5k_fill fv;
  uint8_t m[32];
  /* old message */
  memset(m, 0, sizeof m);
  put_le(m, 2, 4);
  m[4] = 0xfd, m[5] = 0xff;
  CHECK_EQ_U(h5k_decode_fill(&fv, H5K_MSG_FILLVALUE_OLD, m, 6), 0);
  CHECK_EQ_U(fv.version, 0);
  CHECK(fv.defined && fv.size == 2 && fv.value && fv.value[0] == 0xfd);
  h5k_fill_clear(&fv);
  CHECK(h5k_decode_fill(&fv, H5K_MSG_FILLVALUE_OLD, m, 5) == H5K_ECORRUPT);
  /* v2, defined, 4-byte value */
  memset(m, 0, sizeof m);
  m[0] = 2, m[1] = 1, m[2] = 2, m[3] = 1;
  put_le(m + 4, 4, 4);
  put_le(m + 8, 0x11223344, 4);
  CHECK_EQ_U(h5k_decode_fill(&fv, H5K_MSG_FILLVALUE, m, 12), 0);
  CHECK_EQ_U(fv.alloc_time, 1);
  CHECK_EQ_U(fv.fill_time, 2);
  CHECK(fv.defined && fv.size == 4 && fv.value && fv.value[0] == 0x44);
  h5k_fill_clear(&fv);
  CHECK(h5k_decode_fill(&fv, H5K_MSG_FILLVALUE, m, 11) == H5K_ECORRUPT);
  m[3] = 0; /* v2 undefined: no size field */
  CHECK_EQ_U(h5k_decode_fill(&fv, H5K_MSG_FILLVALUE, m, 4), 0);
  CHECK(!fv.defined && fv.size == 0);
  h5k_fill_clear(&fv);
  m[1] = 9; /* bad allocation time */
  CHECK(h5k_decode_fill(&fv, H5K_MSG_FILLVALUE, m, 12) == H5K_ECORRUPT);
  /* v1 always carries the size */
  m[0] = 1, m[1] = 3, m[2] = 0, m[3] = 0;
  put_le(m + 4, 0, 4);
  CHECK_EQ_U(h5k_decode_fill(&fv, H5K_MSG_FILLVALUE, m, 8), 0);
  CHECK_EQ_U(fv.alloc_time, 3);
  CHECK(!fv.defined);
  h5k_fill_clear(&fv);
  /* v3: flags = alloc 2 | fill time 1 << 2 | value present 0x20 */
  memset(m, 0, sizeof m);
  m[0] = 3, m[1] = 2 | (1 << 2) | 0x20;
  put_le(m + 2, 1, 4);
  m[6] = 0x7f;
  CHECK_EQ_U(h5k_decode_fill(&fv, H5K_MSG_FILLVALUE, m, 7), 0);
  CHECK_EQ_U(fv.version, 3);
  CHECK_EQ_U(fv.alloc_time, 2);
  CHECK_EQ_U(fv.fill_time, 1);
  CHECK(fv.defined && fv.size == 1 && fv.value && fv.value[0] == 0x7f);
  h5k_fill_clear(&fv);
  m[1] = 2 | 0x10; /* undefined */
  CHECK_EQ_U(h5k_decode_fill(&fv, H5K_MSG_FILLVALUE, m, 2), 0);
  CHECK(!fv.defined);
  h5k_fill_clear(&fv);
  m[1] = 0x40; /* unknown flag */
  CHECK(h5k_decode_fill(&fv, H5K_MSG_FILLVALUE, m, 7) == H5K_ECORRUPT);
  m[1] = 0x20;
  put_le(m + 2, 1000, 4); /* value larger than the message */
  CHECK(h5k_decode_fill(&fv, H5K_MSG_FILLVALUE, m, 7) == H5K_ECORRUPT);
  m[0] = 4;
  CHECK(h5k_decode_fill(&fv, H5K_MSG_FILLVALUE, m, 7) == H5K_EUNSUPPORTED);
}

static void test_efl_handmade(void) {
  static uint8_t b[256];
  h5k_fctx f;
  h5k_efl e;
  uint8_t m[128];
  /* local heap at 0: header (32 bytes), data segment at 32: "\0" "a.bin\0" "bb.bin\0" */
  memset(b, 0, sizeof b);
  memcpy(b, "HEAP", 4);
  put_le(b + 8, 24, 8);
  put_le(b + 16, 1, 8);
  put_le(b + 24, 32, 8);
  memcpy(b + 32 + 8, "a.bin", 6);
  memcpy(b + 32 + 16, "bb.bin", 7);
  fctx_mem(&f, b, sizeof b);
  memset(m, 0, sizeof m);
  m[0] = 1;
  put_le(m + 4, 4, 2); /* allocated */
  put_le(m + 6, 2, 2); /* used */
  put_le(m + 8, 0, 8);
  put_le(m + 16, 8, 8);
  put_le(m + 24, 10, 8);
  put_le(m + 32, 100, 8);
  put_le(m + 40, 16, 8);
  put_le(m + 48, 0, 8);
  put_le(m + 56, UINT64_MAX, 8);
  CHECK_EQ_U(h5k_decode_efl(&e, m, 64, &f), 0);
  CHECK_EQ_U(e.n, 2);
  if (e.n == 2) {
    CHECK(!strcmp(e.e[0].name, "a.bin"));
    CHECK_EQ_U(e.e[0].offset, 10);
    CHECK_EQ_U(e.e[0].size, 100);
    CHECK(!strcmp(e.e[1].name, "bb.bin"));
    CHECK(e.e[1].size == H5K_UNLIMITED);
  }
  h5k_efl_clear(&e);
  CHECK(h5k_decode_efl(&e, m, 63, &f) == H5K_ECORRUPT);
  put_le(m + 40, 200, 8); /* name offset outside the heap */
  CHECK(h5k_decode_efl(&e, m, 64, &f) == H5K_ECORRUPT);
  put_le(m + 40, 16, 8);
  put_le(m + 6, 5, 2); /* used > allocated */
  CHECK(h5k_decode_efl(&e, m, 64, &f) == H5K_ECORRUPT);
  put_le(m + 6, 2, 2);
  put_le(m + 32, UINT64_MAX, 8); /* unlimited before the last slot */
  CHECK(h5k_decode_efl(&e, m, 64, &f) == H5K_ECORRUPT);
  m[0] = 2;
  CHECK(h5k_decode_efl(&e, m, 64, &f) == H5K_ECORRUPT);
  h5k_io_close(f.io);
}

/* ---- 2. real files ------------------------------------------------------------------------------ */

static const char gen_script[] =
    "import sys, h5py, numpy as np\n"
    "out = sys.argv[1]\n"
    "man = open(out + '/manifest.txt', 'w')\n"
    "def rec(f, fname, name):\n"
    "    d = f[name]\n"
    "    dcpl = d.id.get_create_plist()\n"
    "    lay = dcpl.get_layout()\n"
    "    man.write('D %s %s %d %d %d\\n' % (fname, name, h5py.h5o.get_info(d.id).addr, lay, d.id.get_storage_size()))\n"
    "    if lay == 2:\n"
    "        man.write('K %s\\n' % ' '.join(str(c) for c in dcpl.get_chunk()))\n"
    "    if lay == 0:\n"
    "        man.write('X %s\\n' % (d[()].tobytes().hex() or '-'))\n"
    "    for i in range(dcpl.get_nfilters()):\n"
    "        code, flags, cd, nm = dcpl.get_filter(i)\n"
    "        cdt = ' '.join(str(c) if i < 16 else '?' for i, c in enumerate(cd))\n"
    "        man.write('F %d %d %s %d %s\\n' % (code, flags, nm.decode() or '-', len(cd), cdt))\n"
    "    fv = dcpl.fill_value_defined()\n"
    "    v = np.zeros((), dtype=d.dtype)\n"
    "    if fv == 2:\n"
    "        dcpl.get_fill_value(v)\n"
    "    man.write('A %d %d %d %s\\n' % (dcpl.get_alloc_time(), dcpl.get_fill_time(), 1 if fv == 2 else 0,\n"
    "                                   v.tobytes().hex() if fv == 2 else '-'))\n"
    "    for i in range(dcpl.get_external_count()):\n"
    "        nm, off, size = dcpl.get_external(i)\n"
    "        man.write('E %s %d %d\\n' % (nm.decode(), off, size))\n"
    "for lv in ['earliest', 'latest']:\n"
    "    fn = 'l_%s.h5' % lv\n"
    "    with h5py.File(out + '/' + fn, 'w', libver=lv) as f:\n"
    "        names = []\n"
    "        def mk(name, *a, **kw):\n"
    "            names.append(name)\n"
    "            return f.create_dataset(name, *a, **kw)\n"
    "        mk('contig', data=np.arange(12, dtype='<i4').reshape(3, 4))\n"
    "        mk('contig_empty', shape=(5,), dtype='f8')\n"
    "        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)\n"
    "        dcpl.set_layout(h5py.h5d.COMPACT)\n"
    "        dcpl.set_fill_value(np.array(-3, dtype='i2'))\n"
    "        sp = h5py.h5s.create_simple((2, 3))\n"
    "        h5py.h5d.create(f.id, b'compact', h5py.h5t.py_create(np.dtype('i2')), sp, dcpl=dcpl).write(\n"
    "            h5py.h5s.ALL, h5py.h5s.ALL, np.arange(6, dtype='i2').reshape(2, 3))\n"
    "        names.append('compact')\n"
    "        mk('gz', data=np.arange(100, dtype='<i8'), chunks=(10,), compression='gzip', compression_opts=7,\n"
    "           shuffle=True, fletcher32=True, fillvalue=42)\n"
    "        mk('so', data=np.arange(64, dtype='<i4'), chunks=(16,), scaleoffset=0)\n"
    "        mk('lzf', data=np.arange(64, dtype='<f4'), chunks=(8, ), compression='lzf', fillvalue=1.5)\n"
    "        mk('ext', shape=(10,), dtype='<u2', external=[('ext1.bin', 0, 8), ('ext2.bin', 100, h5py.h5f.UNLIMITED)])\n"
    "        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)\n"
    "        dcpl.set_chunk((4, 4))\n"
    "        dcpl.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)\n"
    "        dcpl.set_fill_time(h5py.h5d.FILL_TIME_NEVER)\n"
    "        sp = h5py.h5s.create_simple((9, 9), (h5py.h5s.UNLIMITED, 9))\n"
    "        h5py.h5d.create(f.id, b'early', h5py.h5t.py_create(np.dtype('u1')), sp, dcpl=dcpl)\n"
    "        names.append('early')\n"
    "        for n in names:\n"
    "            rec(f, fn, n)\n"
    "man.close()\n";

static int hexval(int c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; }

/* Compare hex text with bytes. */
static int hex_eq(const char *hex, const uint8_t *p, size_t n) {
  if (!strcmp(hex, "-")) return n == 0;
  if (strlen(hex) != 2 * n) return 0;
  for (size_t i = 0; i < n; i++) {
    if ((uint8_t)(hexval(hex[2 * i]) * 16 + hexval(hex[2 * i + 1])) != p[i]) return 0;
  }
  return 1;
}

typedef struct cur_ds {
  h5k_file *file;
  h5k_ohdr oh;
  h5k_dataspace sp;
  h5k_layout l;
  h5k_pline pl;
  h5k_fill fv;
  h5k_efl efl;
  int ok;
  size_t nf, ne;
  char name[64];
} cur_ds;

static void ds_close(cur_ds *d) {
  if (!d->file) return;
  /* every filter and external file the library reported was met */
  CHECK_EQ_U(d->nf, d->pl.n);
  CHECK_EQ_U(d->ne, d->efl.n);
  h5k_layout_clear(&d->l);
  h5k_pline_clear(&d->pl);
  h5k_fill_clear(&d->fv);
  h5k_efl_clear(&d->efl);
  h5k_ohdr_free(&d->oh);
  h5k_close(d->file);
  memset(d, 0, sizeof *d);
}

static void test_real(void) {
  char dir[64] = "/tmp/h5k_layout_XXXXXX", path[256], line[2048];
  FILE *fp;
  cur_ds d;
  size_t nds = 0;
  memset(&d, 0, sizeof d);
  if (!have_h5py()) {
    fprintf(stderr, "test_layout: h5py not available, real-file tests skipped\n");
    return;
  }
  if (!mkdtemp(dir)) {
    CHECK(0);
    return;
  }
  CHECK(run_gen_script(dir, gen_script, dir) == 0);
  snprintf(path, sizeof path, "%s/manifest.txt", dir);
  fp = fopen(path, "r");
  CHECK(fp != NULL);
  while (fp && fgets(line, sizeof line, fp)) {
    line[strcspn(line, "\n")] = 0;
    if (line[0] == 'D') {
      char file[64];
      unsigned long long addr, storage;
      int lay;
      const h5k_msg *m;
      ds_close(&d);
      if (sscanf(line, "D %63s %63s %llu %d %llu", file, d.name, &addr, &lay, &storage) != 5) break;
      nds++;
      snprintf(path, sizeof path, "%s/%s", dir, file);
      if (h5k_open(&d.file, path, NULL) < 0 || h5k_ohdr_read(&d.oh, &d.file->fc, addr) < 0) {
        CHECK(0);
        continue;
      }
      m = h5k_ohdr_find(&d.oh, H5K_MSG_DATASPACE, NULL);
      CHECK(m && h5k_decode_dataspace(&d.sp, m->data, m->size, &d.file->fc) == 0);
      m = h5k_ohdr_find(&d.oh, H5K_MSG_LAYOUT, NULL);
      CHECK(m && h5k_decode_layout(&d.l, m->data, m->size, &d.file->fc, d.sp.rank) == 0);
      m = h5k_ohdr_find(&d.oh, H5K_MSG_PLINE, NULL);
      if (m) CHECK_EQ_U(h5k_decode_pline(&d.pl, m->data, m->size), 0);
      m = h5k_ohdr_find(&d.oh, H5K_MSG_FILLVALUE, NULL);
      if (m) CHECK_EQ_U(h5k_decode_fill(&d.fv, H5K_MSG_FILLVALUE, m->data, m->size), 0);
      CHECK(m != NULL);
      m = h5k_ohdr_find(&d.oh, H5K_MSG_FILLVALUE_OLD, NULL);
      if (m) {
        h5k_fill old;
        CHECK_EQ_U(h5k_decode_fill(&old, H5K_MSG_FILLVALUE_OLD, m->data, m->size), 0);
        CHECK(old.size == d.fv.size && (!old.size || !memcmp(old.value, d.fv.value, old.size)));
        h5k_fill_clear(&old);
      }
      m = h5k_ohdr_find(&d.oh, H5K_MSG_EFL, NULL);
      if (m) CHECK_EQ_U(h5k_decode_efl(&d.efl, m->data, m->size, &d.file->fc), 0);
      CHECK_EQ_U(d.l.cls, lay);
      if (lay == H5K_LAYOUT_CONTIGUOUS && !m) {
        if (storage) CHECK_EQ_U(d.l.size, storage);
        else CHECK(d.l.addr == H5K_ADDR_UNDEF);
      }
      if (lay == H5K_LAYOUT_COMPACT) CHECK_EQ_U(d.l.compact_size, storage);
    } else if (!d.file) {
      continue;
    } else if (line[0] == 'K') {
      char *p = line + 1, *end;
      unsigned i = 0;
      for (;; i++) {
        unsigned long long v = strtoull(p, &end, 10);
        if (end == p) break;
        CHECK_EQ_U(d.l.chunk[i], v);
        p = end;
      }
      CHECK_EQ_U(d.l.rank, i);
    } else if (line[0] == 'X') {
      CHECK(d.l.compact && hex_eq(line + 2, d.l.compact, (size_t)d.l.compact_size));
    } else if (line[0] == 'F') {
      unsigned id, flags, ncd;
      char nm[64];
      int used = 0;
      char *p;
      const h5k_filter_desc *fd = d.nf < d.pl.n ? &d.pl.filters[d.nf] : NULL;
      d.nf++;
      if (sscanf(line, "F %u %u %63s %u %n", &id, &flags, nm, &ncd, &used) != 4 || !fd) {
        CHECK(0);
        continue;
      }
      CHECK_EQ_U(fd->id, id);
      CHECK_EQ_U(fd->flags, flags);
      CHECK_EQ_U(fd->ncd, ncd);
      /* version 2 pipelines store no name for ids < 256; version 1 always does */
      if (d.pl.version == 1 || id >= 256) CHECK(fd->name && !strcmp(fd->name, nm));
      p = line + used;
      /* h5py 3.7's get_filter returns at most 16 true client data values (past that it hands
       * back bytes of the filter name; h5debug shows the stored values are zeros), so the
       * generator writes '?' there and only the count is compared. */
      for (unsigned i = 0; i < ncd && i < fd->ncd; i++) {
        char *end;
        unsigned long v;
        while (*p == ' ') p++;
        if (*p == '?') {
          p++;
          continue;
        }
        v = strtoul(p, &end, 10);
        CHECK(end != p);
        CHECK_EQ_U(fd->cd[i], v);
        p = end;
      }
    } else if (line[0] == 'A') {
      unsigned at, ft, def;
      char hex[256];
      if (sscanf(line, "A %u %u %u %255s", &at, &ft, &def, hex) != 4) {
        CHECK(0);
        continue;
      }
      CHECK_EQ_U(d.fv.alloc_time, at);
      CHECK_EQ_U(d.fv.fill_time, ft);
      CHECK_EQ_U(d.fv.defined, def);
      if (def) CHECK(hex_eq(hex, d.fv.value, d.fv.size));
    } else if (line[0] == 'E') {
      char nm[256];
      unsigned long long off, size;
      const h5k_efl_entry *en = d.ne < d.efl.n ? &d.efl.e[d.ne] : NULL;
      d.ne++;
      if (sscanf(line, "E %255s %llu %llu", nm, &off, &size) != 3 || !en) {
        CHECK(0);
        continue;
      }
      CHECK(!strcmp(en->name, nm));
      CHECK_EQ_U(en->offset, off);
      CHECK_EQ_U(en->size, size);
    }
  }
  ds_close(&d);
  if (fp) fclose(fp);
  CHECK_EQ_U(nds, 16);
  remove_dir(dir);
}

int main(void) {
  test_layout_handmade();
  test_pline_handmade();
  test_fill_handmade();
  test_efl_handmade();
  test_real();
  return test_finish("test_layout");
}
