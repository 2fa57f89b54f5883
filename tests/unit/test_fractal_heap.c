/* Fractal heaps (format/fractal_heap.c): hand-made heaps in memory (tiny objects in both length
 * encodings, a root direct block, directly addressed huge objects, a filtered heap, corrupt
 * blocks and IDs) and heaps written by libhdf5 through h5py: 100 dense attributes plus one of
 * 160000 bytes (a huge object behind a v2 B-tree), 200 attributes of 3000 bytes (nested
 * indirect blocks, creation-order index) and a small dense group (root direct block). Expected
 * names and values come from what the h5py script stored. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>

#include "format/btree2.h"
#include "format/fractal_heap.h"
#include "util/error.h"
#include "util/lookup3.h"
#include "testutil.h"

/* ---- hand-made heaps ----------------------------------------------------------------------------
 * Header at 0 (146 bytes without filters, so = sl = 8). Doubling table: width 4, start 512,
 * max direct 1024 (3 direct rows), max heap size 16 bits (2-byte offsets, 6 root rows). */
enum { H_LEN = 146, DB_AT = 256, IB_AT = 1024, IMG = 4096 };

typedef struct heap_spec {
  unsigned id_len, flags, rows, filter_len;
  uint64_t root;
  uint32_t max_man;
} heap_spec;

static size_t put_header(uint8_t *b, const heap_spec *s) {
  size_t len = H_LEN + (s->filter_len ? 12u + s->filter_len : 0);
  memset(b, 0, len);
  memcpy(b, "FRHP", 4);
  put_le(b + 5, s->id_len, 2);
  put_le(b + 7, s->filter_len, 2);
  b[9] = (uint8_t)s->flags;
  put_le(b + 10, s->max_man, 4);
  put_le(b + 22, UINT64_MAX, 8); /* no huge B-tree */
  put_le(b + 38, UINT64_MAX, 8);
  put_le(b + 110, 4, 2);
  put_le(b + 112, 512, 8);
  put_le(b + 120, 1024, 8);
  put_le(b + 128, 16, 2);
  put_le(b + 130, 1, 2);
  put_le(b + 132, s->root, 8);
  put_le(b + 140, s->rows, 2);
  if (s->filter_len) {
    /* Filter pipeline message version 2, one filter: deflate (1), flags 0, one value. */
    uint8_t *p = b + 154;
    put_le(b + 142, 512, 8);
    p[0] = 2;
    p[1] = 1;
    put_le(p + 2, 1, 2);
    put_le(p + 4, 0, 2);
    put_le(p + 6, 1, 2);
    put_le(p + 8, 6, 4);
  }
  fix_sum(b, len);
  return len;
}

/* Direct block at `at`; prefix 4+1+8+2 (+4 checksum) bytes; data byte i of the block is i*7. */
static void put_dblock(uint8_t *b, uint64_t at, uint64_t block_off, size_t size, int sum) {
  memset(b + at, 0, size);
  memcpy(b + at, "FHDB", 4);
  put_le(b + at + 5, 0, 8);
  put_le(b + at + 13, block_off, 2);
  for (size_t i = sum ? 19 : 15; i < size; i++) b[at + i] = (uint8_t)(i * 7);
  if (sum) put_le(b + at + 15, h5k_lookup3(b + at, size, 0), 4);
}

static int get(const h5k_fheap *h, const uint8_t *id, size_t id_len, uint8_t **obj, size_t *len) {
  *obj = NULL;
  *len = 0;
  return h5k_fheap_get(obj, len, h, id, id_len);
}

static void test_tiny(void) {
  uint8_t img[IMG], id[24], *obj;
  size_t len;
  h5k_fctx f;
  h5k_fheap *h = NULL;
  heap_spec s = {18, 0, 0, 0, UINT64_MAX, 100};

  /* 18-byte IDs: tiny objects up to 16 bytes, length in the low nibble of byte 0. */
  put_header(img, &s);
  fctx_mem(&f, img, IMG);
  CHECK_EQ_U(h5k_fheap_open(&h, &f, 0), 0);
  if (!h) return;
  CHECK_EQ_U(h5k_fheap_id_len(h), 18);
  memset(id, 0, sizeof id);
  id[0] = 0x20 | 15;
  for (int i = 0; i < 16; i++) id[1 + i] = (uint8_t)('a' + i);
  CHECK_EQ_U(get(h, id, 18, &obj, &len), 0);
  CHECK_EQ_U(len, 16);
  CHECK(obj && memcmp(obj, "abcdefghijklmnop", 16) == 0);
  free(obj);
  id[0] = 0x20 | 2;
  CHECK_EQ_U(get(h, id, 18, &obj, &len), 0);
  CHECK_EQ_U(len, 3);
  CHECK(obj && memcmp(obj, "abc", 3) == 0);
  free(obj);
  /* A tiny object longer than the ID that carries it. */
  id[0] = 0x20 | 15;
  CHECK(get(h, id, 10, &obj, &len) == H5K_ECORRUPT);
  /* Managed object in a heap without blocks; unknown ID type and version. */
  id[0] = 0x00;
  CHECK(get(h, id, 18, &obj, &len) == H5K_ECORRUPT);
  id[0] = 0x30;
  CHECK(get(h, id, 18, &obj, &len) == H5K_ECORRUPT);
  id[0] = 0x60;
  CHECK(get(h, id, 18, &obj, &len) == H5K_ECORRUPT);
  CHECK(get(h, NULL, 18, &obj, &len) == H5K_EINVAL);
  h5k_fheap_close(h);
  h = NULL;
  h5k_io_close(f.io);

  /* 24-byte IDs: extended length, 12 bits over bytes 0 and 1. */
  s.id_len = 24;
  put_header(img, &s);
  fctx_mem(&f, img, IMG);
  CHECK_EQ_U(h5k_fheap_open(&h, &f, 0), 0);
  if (!h) return;
  id[0] = 0x20;
  id[1] = 19; /* 20 bytes */
  for (int i = 0; i < 22; i++) id[2 + i] = (uint8_t)('A' + i);
  CHECK_EQ_U(get(h, id, 24, &obj, &len), 0);
  CHECK_EQ_U(len, 20);
  CHECK(obj && memcmp(obj, "ABCDEFGHIJKLMNOPQRST", 20) == 0);
  free(obj);
  id[0] = 0x21; /* 256 + 19 + 1 bytes: longer than the ID */
  CHECK(get(h, id, 24, &obj, &len) == H5K_ECORRUPT);
  h5k_fheap_close(h);
  h5k_io_close(f.io);
}

static void test_managed_and_huge(void) {
  uint8_t img[IMG], bad[IMG], id[17], *obj;
  size_t len;
  h5k_fctx f;
  h5k_fheap *h = NULL;
  heap_spec s = {8, 2, 0, 0, DB_AT, 400};

  /* Root direct block, checksummed. Managed ID: type 0 | offset (2) | length (2). */
  put_header(img, &s);
  put_dblock(img, DB_AT, 0, 512, 1);
  fctx_mem(&f, img, IMG);
  CHECK_EQ_U(h5k_fheap_open(&h, &f, 0), 0);
  if (!h) return;
  memset(id, 0, sizeof id);
  put_le(id + 1, 100, 2);
  put_le(id + 3, 50, 2);
  CHECK_EQ_U(get(h, id, 8, &obj, &len), 0);
  CHECK_EQ_U(len, 50);
  CHECK(obj && obj[0] == (uint8_t)(100 * 7) && obj[49] == (uint8_t)(149 * 7));
  free(obj);
  put_le(id + 1, 19, 2); /* first byte after the prefix */
  CHECK_EQ_U(get(h, id, 8, &obj, &len), 0);
  free(obj);
  put_le(id + 1, 10, 2); /* inside the block prefix */
  CHECK(get(h, id, 8, &obj, &len) == H5K_ECORRUPT);
  put_le(id + 1, 500, 2); /* runs past the block */
  CHECK(get(h, id, 8, &obj, &len) == H5K_ECORRUPT);
  put_le(id + 1, 100, 2);
  put_le(id + 3, 401, 2); /* longer than the heap's maximum managed object */
  CHECK(get(h, id, 8, &obj, &len) == H5K_ECORRUPT);
  put_le(id + 3, 50, 2);
  CHECK(get(h, id, 3, &obj, &len) == H5K_ECORRUPT); /* ID cut short */
  h5k_fheap_close(h);
  h = NULL;
  h5k_io_close(f.io);

  /* Corrupt direct blocks. */
  struct { const char *what; size_t at; uint8_t x; } dcases[] = {
      {"dblock data byte (checksum)", DB_AT + 300, 0x01},
      {"dblock signature", DB_AT + 1, 0x01},
      {"dblock owner", DB_AT + 5, 0x01},
      {"dblock offset", DB_AT + 13, 0x01},
  };
  for (size_t i = 0; i < sizeof dcases / sizeof dcases[0]; i++) {
    int rc;
    memcpy(bad, img, IMG);
    bad[dcases[i].at] ^= dcases[i].x;
    fctx_mem(&f, bad, IMG);
    CHECK_EQ_U(h5k_fheap_open(&h, &f, 0), 0);
    if (h) {
      rc = get(h, id, 8, &obj, &len);
      if (rc != H5K_ECORRUPT) fprintf(stderr, "case '%s': rc %d\n", dcases[i].what, rc);
      CHECK(rc == H5K_ECORRUPT);
      h5k_fheap_close(h);
      h = NULL;
    }
    h5k_io_close(f.io);
  }
  /* Unchecksummed direct blocks: the object is read without the whole block. */
  s.flags = 0;
  memcpy(bad, img, IMG);
  put_header(bad, &s);
  put_dblock(bad, DB_AT, 0, 512, 0);
  fctx_mem(&f, bad, IMG);
  CHECK_EQ_U(h5k_fheap_open(&h, &f, 0), 0);
  if (h) {
    put_le(id + 1, 15, 2); /* the prefix is 15 bytes now */
    CHECK_EQ_U(get(h, id, 8, &obj, &len), 0);
    CHECK(obj && obj[0] == (uint8_t)(15 * 7));
    free(obj);
    put_le(id + 1, 14, 2);
    CHECK(get(h, id, 8, &obj, &len) == H5K_ECORRUPT);
    h5k_fheap_close(h);
    h = NULL;
  }
  h5k_io_close(f.io);

  /* Corrupt headers. */
  s.flags = 2;
  struct { const char *what; size_t at; uint64_t v; unsigned n; int refix; } hcases[] = {
      {"signature", 0, 'X', 1, 1},
      {"version", 4, 1, 1, 1},
      {"checksum", H_LEN - 2, 0x99, 1, 0},
      {"width 3", 110, 3, 2, 1},
      {"start block 500", 112, 500, 8, 1},
      {"max direct below start", 120, 256, 8, 1},
      {"max heap size 65", 128, 65, 2, 1},
      {"max heap size below first row", 128, 10, 2, 1},
      {"root rows 7 (6 fit)", 140, 7, 2, 1},
      {"heap ID length 0", 5, 0, 2, 1},
      {"filters announced past the end", 7, 4000, 2, 0},
  };
  for (size_t i = 0; i < sizeof hcases / sizeof hcases[0]; i++) {
    int rc;
    memcpy(bad, img, IMG);
    put_le(bad + hcases[i].at, hcases[i].v, hcases[i].n);
    if (hcases[i].refix) fix_sum(bad, H_LEN);
    fctx_mem(&f, bad, IMG);
    h = NULL;
    rc = h5k_fheap_open(&h, &f, 0);
    if (rc != H5K_ECORRUPT) fprintf(stderr, "header case '%s': rc %d\n", hcases[i].what, rc);
    CHECK(rc == H5K_ECORRUPT);
    CHECK(h == NULL);
    h5k_fheap_close(h);
    h5k_io_close(f.io);
  }
  fctx_mem(&f, img, 100); /* truncated */
  CHECK(h5k_fheap_open(&h, &f, 0) == H5K_ECORRUPT);
  h5k_io_close(f.io);

  /* Directly addressed huge object: 17-byte IDs hold address (8) and length (8). */
  s.id_len = 17;
  memcpy(bad, img, IMG);
  put_header(bad, &s);
  memcpy(bad + 3000, "huge object bytes", 17);
  fctx_mem(&f, bad, IMG);
  CHECK_EQ_U(h5k_fheap_open(&h, &f, 0), 0);
  if (h) {
    id[0] = 0x10;
    put_le(id + 1, 3000, 8);
    put_le(id + 9, 17, 8);
    CHECK_EQ_U(get(h, id, 17, &obj, &len), 0);
    CHECK_EQ_U(len, 17);
    CHECK(obj && memcmp(obj, "huge object bytes", 17) == 0);
    free(obj);
    put_le(id + 1, IMG - 5, 8); /* past the end of the file */
    CHECK(get(h, id, 17, &obj, &len) == H5K_ECORRUPT);
    h5k_fheap_close(h);
    h = NULL;
  }
  h5k_io_close(f.io);
  /* 8-byte IDs: huge objects go through the B-tree, which this heap does not have. */
  s.id_len = 8;
  memcpy(bad, img, IMG);
  put_header(bad, &s);
  fctx_mem(&f, bad, IMG);
  CHECK_EQ_U(h5k_fheap_open(&h, &f, 0), 0);
  if (h) {
    memset(id, 0, sizeof id);
    id[0] = 0x10;
    id[1] = 1;
    CHECK(get(h, id, 8, &obj, &len) == H5K_ECORRUPT);
    h5k_fheap_close(h);
    h = NULL;
  }
  h5k_io_close(f.io);
}

static void test_filtered(void) {
  uint8_t img[IMG], id[8], *obj;
  size_t len;
  h5k_fctx f;
  h5k_fheap *h = NULL;
  heap_spec s = {8, 2, 0, 12, DB_AT, 400};
  put_header(img, &s);
  put_dblock(img, DB_AT, 0, 512, 1);
  fctx_mem(&f, img, IMG);
  CHECK_EQ_U(h5k_fheap_open(&h, &f, 0), 0);
  if (h) {
    memset(id, 0, sizeof id);
    put_le(id + 1, 100, 2);
    put_le(id + 3, 5, 2);
    CHECK(get(h, id, 8, &obj, &len) == H5K_EUNSUPPORTED);
    CHECK(strstr(h5k_error_last(), "deflate") != NULL);
    id[0] = 0x21;
    CHECK_EQ_U(get(h, id, 8, &obj, &len), 0);
    CHECK_EQ_U(len, 2);
    free(obj);
    h5k_fheap_close(h);
  }
  h5k_io_close(f.io);
}

/* Root indirect block with 4 rows: rows 0-2 direct, row 3 indirect (blocks of 2048 bytes). */
static void test_indirect(void) {
  uint8_t img[IMG], bad[IMG], id[8], *obj;
  size_t len, ib_len = 4 + 1 + 8 + 2 + 16 * 8 + 4;
  h5k_fctx f;
  h5k_fheap *h = NULL;
  heap_spec s = {8, 2, 4, 0, IB_AT, 400};
  uint8_t *ib = img + IB_AT;

  memset(img, 0, IMG);
  put_header(img, &s);
  memcpy(ib, "FHIB", 4);
  for (unsigned e = 0; e < 16; e++) put_le(ib + 15 + 8 * e, UINT64_MAX, 8);
  /* Row 1, column 2: heap offset 2048 + 2 * 512 = 3072. */
  put_le(ib + 15 + 8 * (1 * 4 + 2), DB_AT, 8);
  fix_sum(ib, ib_len);
  put_dblock(img, DB_AT, 3072, 512, 1);
  fctx_mem(&f, img, IMG);
  CHECK_EQ_U(h5k_fheap_open(&h, &f, 0), 0);
  if (!h) return;
  memset(id, 0, sizeof id);
  put_le(id + 1, 3072 + 40, 2);
  put_le(id + 3, 8, 2);
  CHECK_EQ_U(get(h, id, 8, &obj, &len), 0);
  CHECK_EQ_U(len, 8);
  CHECK(obj && obj[0] == (uint8_t)(40 * 7));
  free(obj);
  put_le(id + 1, 512 + 40, 2); /* row 0, column 1: unallocated */
  CHECK(get(h, id, 8, &obj, &len) == H5K_ECORRUPT);
  put_le(id + 1, 16384 + 40, 2);
  CHECK(get(h, id, 8, &obj, &len) == H5K_ECORRUPT);
  h5k_fheap_close(h);
  h = NULL;
  h5k_io_close(f.io);

  /* Row 3 entry pointing back at the root itself. */
  memcpy(bad, img, IMG);
  put_le(bad + IB_AT + 15 + 8 * 12, IB_AT, 8);
  fix_sum(bad + IB_AT, ib_len);
  fctx_mem(&f, bad, IMG);
  CHECK_EQ_U(h5k_fheap_open(&h, &f, 0), 0);
  if (h) {
    put_le(id + 1, 8192 + 40, 2);
    CHECK(get(h, id, 8, &obj, &len) == H5K_ECORRUPT);
    h5k_fheap_close(h);
    h = NULL;
  }
  h5k_io_close(f.io);
  /* Indirect block with a bad checksum, and with a wrong block offset. */
  memcpy(bad, img, IMG);
  bad[IB_AT + 20] ^= 1;
  fctx_mem(&f, bad, IMG);
  CHECK_EQ_U(h5k_fheap_open(&h, &f, 0), 0);
  if (h) {
    put_le(id + 1, 3072 + 40, 2);
    CHECK(get(h, id, 8, &obj, &len) == H5K_ECORRUPT);
    h5k_fheap_close(h);
    h = NULL;
  }
  h5k_io_close(f.io);
  memcpy(bad, img, IMG);
  bad[IB_AT + 13] = 1;
  fix_sum(bad + IB_AT, ib_len);
  fctx_mem(&f, bad, IMG);
  CHECK_EQ_U(h5k_fheap_open(&h, &f, 0), 0);
  if (h) {
    CHECK(get(h, id, 8, &obj, &len) == H5K_ECORRUPT);
    h5k_fheap_close(h);
  }
  h5k_io_close(f.io);
}

/* ---- real files -------------------------------------------------------------------------------- */

static const char *gen_script =
    "import sys, os, h5py, numpy as np\n"
    "d = sys.argv[1]\n"
    "p = os.path.join(d, 'heaps.h5')\n"
    "with h5py.File(p, 'w', libver='latest') as f:\n"
    "    ds = f.create_dataset('d', data=np.arange(4))\n"
    "    for i in range(100): ds.attrs['attr%03d' % i] = np.arange(i + 1, dtype='<i8')\n"
    "    ds.attrs['big'] = np.arange(20000, dtype='<i8')\n"
    "    n = f.create_group('n', track_order=True)\n"
    "    for i in range(200): n.attrs['a%03d' % i] = np.full(375, i, dtype='<i8')\n"
    "    s = f.create_group('s')\n"
    "    for i in range(10): s['l%d' % i] = ds\n"
    "b = open(p, 'rb').read()\n"
    "def msgs(a):\n"
    "    assert b[a:a+4] == b'OHDR'\n"
    "    fl = b[a+5]; q = a + 6\n"
    "    if fl & 0x20: q += 16\n"
    "    if fl & 0x10: q += 4\n"
    "    n = 1 << (fl & 3); size = int.from_bytes(b[q:q+n], 'little'); q += n; end = q + size\n"
    "    while q + 4 <= end:\n"
    "        t = b[q]; sz = int.from_bytes(b[q+1:q+3], 'little'); q += 4 + (2 if fl & 4 else 0)\n"
    "        yield t, b[q:q+sz]; q += sz\n"
    "def addrs(a, mtype):\n"
    "    m = [m for t, m in msgs(a) if t == mtype][0]\n"
    "    q = 2 + ((8 if mtype == 2 else 2) if m[1] & 1 else 0)\n"
    "    v = [int.from_bytes(m[q+8*k:q+8*k+8], 'little') for k in range(3 if m[1] & 2 else 2)]\n"
    "    return v + [2**64 - 1] * (3 - len(v))\n"
    "man = open(os.path.join(d, 'manifest.txt'), 'w')\n"
    "with h5py.File(p, 'r') as f:\n"
    "    for name, mtype in [('d', 0x15), ('n', 0x15), ('s', 2)]:\n"
    "        v = addrs(h5py.h5o.get_info(f[name].id).addr, mtype)\n"
    "        man.write('%s %d %d %d\\n' % (name, v[0], v[1], v[2]))\n"
    "        with open(os.path.join(d, name + '.names'), 'w') as nf:\n"
    "            for k in (f[name].attrs if mtype == 0x15 else f[name]): nf.write(k + '\\n')\n";

/* Attribute message (spec IV.A.2.m), versions 1-3: name and raw value bytes (borrowed). */
static int attr_decode(char *name, size_t namesz, const uint8_t **data, size_t *data_len, const uint8_t *m,
                       size_t len) {
  unsigned v;
  size_t nsz, tsz, ssz, q;
  if (len < 8) return -1;
  v = m[0];
  nsz = (size_t)get_le(m + 2, 2);
  tsz = (size_t)get_le(m + 4, 2);
  ssz = (size_t)get_le(m + 6, 2);
  q = v == 3 ? 9 : 8;
  if (v == 1) {
    nsz = (nsz + 7) & ~(size_t)7;
    tsz = (tsz + 7) & ~(size_t)7;
    ssz = (ssz + 7) & ~(size_t)7;
  } else if (v != 2 && v != 3) {
    return -1;
  }
  if (q + nsz + tsz + ssz > len || nsz == 0 || nsz > namesz) return -1;
  memcpy(name, m + q, nsz);
  name[nsz - 1] = 0;
  *data = m + q + nsz + tsz + ssz;
  *data_len = len - (q + nsz + tsz + ssz);
  return 0;
}

typedef struct attr_walk {
  const h5k_fheap *heap;
  unsigned type;
  char **names;
  size_t n, cap;
  int values_ok, order_ok;
  uint64_t last;
  size_t big_len;
} attr_walk;

/* Stored values: attrNNN = arange(NNN + 1), big = arange(20000), aNNN = 375 copies of NNN. */
static int check_value(const char *name, const uint8_t *d, size_t len) {
  unsigned k;
  if (strcmp(name, "big") == 0) {
    if (len != 20000 * 8) return 0;
    for (k = 0; k < 20000; k++)
      if (get_le(d + 8 * k, 8) != k) return 0;
    return 1;
  }
  if (sscanf(name, "attr%u", &k) == 1) {
    if (len != (k + 1) * 8u) return 0;
    for (unsigned i = 0; i <= k; i++)
      if (get_le(d + 8 * i, 8) != i) return 0;
    return 1;
  }
  if (sscanf(name, "a%u", &k) == 1) {
    if (len != 375 * 8) return 0;
    for (unsigned i = 0; i < 375; i++)
      if (get_le(d + 8 * i, 8) != k) return 0;
    return 1;
  }
  return 0;
}

static int attr_cb(void *ud, const uint8_t *rec, size_t rec_size) {
  attr_walk *w = ud;
  h5k_bt2_attr_rec r;
  uint8_t *obj;
  size_t len, dlen;
  const uint8_t *data;
  char name[256];
  uint64_t key;
  int rc = h5k_bt2_decode_attr_rec(&r, w->type, rec, rec_size);
  if (rc < 0) return rc;
  key = w->type == 8 ? r.hash : r.corder;
  if (w->n && (w->type == 8 ? key < w->last : key != w->last + 1)) w->order_ok = 0;
  w->last = key;
  rc = h5k_fheap_get(&obj, &len, w->heap, r.heap_id, H5K_BT2_ATTR_HEAP_ID_LEN);
  if (rc < 0) return rc;
  if (attr_decode(name, sizeof name, &data, &dlen, obj, len) < 0) {
    free(obj);
    return H5K_ECORRUPT;
  }
  if (!check_value(name, data, dlen)) w->values_ok = 0;
  if (w->type == 8 && r.hash != h5k_lookup3(name, strlen(name), 0)) w->order_ok = 0;
  if (strcmp(name, "big") == 0) w->big_len = len;
  free(obj);
  if (w->n == w->cap) {
    w->cap = w->cap ? 2 * w->cap : 256;
    w->names = realloc(w->names, w->cap * sizeof *w->names);
  }
  w->names[w->n++] = strdup(name);
  return 0;
}

/* Same multiset of names as h5py listed (sorted copies compared). */
static int same_names(char **got, size_t n, char **exp, size_t nexp) {
  char **a, **b;
  size_t same = 0;
  if (n != nexp) return 0;
  a = malloc(n * sizeof *a);
  b = malloc(n * sizeof *b);
  memcpy(a, got, n * sizeof *a);
  memcpy(b, exp, n * sizeof *b);
  qsort(a, n, sizeof *a, cmp_str);
  qsort(b, n, sizeof *b, cmp_str);
  for (size_t i = 0; i < n; i++) same += strcmp(a[i], b[i]) == 0;
  free(a);
  free(b);
  return same == n;
}

static int link_cb(void *ud, const uint8_t *rec, size_t rec_size) {
  attr_walk *w = ud;
  h5k_bt2_link_rec r;
  uint8_t *obj;
  size_t len, q = 2, nl;
  int rc = h5k_bt2_decode_link_rec(&r, 5, rec, rec_size);
  if (rc < 0) return rc;
  rc = h5k_fheap_get(&obj, &len, w->heap, r.heap_id, H5K_BT2_LINK_HEAP_ID_LEN);
  if (rc < 0) return rc;
  /* Link message (IV.A.2.g): version 1, flags, optional fields, name length, name. */
  if (len < 4 || obj[0] != 1) {
    free(obj);
    return H5K_ECORRUPT;
  }
  if (obj[1] & 8) q++;
  if (obj[1] & 4) q += 8;
  if (obj[1] & 16) q++;
  nl = (size_t)get_le(obj + q, 1u << (obj[1] & 3));
  q += 1u << (obj[1] & 3);
  if (q + nl > len || nl > 200) {
    free(obj);
    return H5K_ECORRUPT;
  }
  if (w->n == w->cap) {
    w->cap = w->cap ? 2 * w->cap : 16;
    w->names = realloc(w->names, w->cap * sizeof *w->names);
  }
  w->names[w->n] = calloc(1, nl + 1);
  memcpy(w->names[w->n++], obj + q, nl);
  free(obj);
  return 0;
}

static void test_real(const dense_fixture *fx) {
  h5k_fctx f;
  h5k_fheap *h = NULL;
  attr_walk w;
  int rc;
  const uint8_t *hb;

  fctx_mem(&f, fx->file, fx->file_len);

  /* d: 100 attributes + one huge. */
  rc = h5k_fheap_open(&h, &f, fx->heap[0]);
  CHECK_EQ_U(rc, 0);
  if (h) {
    CHECK_EQ_U(h5k_fheap_id_len(h), 8);
    memset(&w, 0, sizeof w);
    w.heap = h;
    w.type = 8;
    w.values_ok = w.order_ok = 1;
    rc = h5k_bt2_iterate(&f, fx->name_bt[0], 8, attr_cb, &w);
    if (rc) fprintf(stderr, "d: %s\n", h5k_error_last());
    CHECK_EQ_U(rc, 0);
    CHECK_EQ_U(w.n, 101);
    CHECK(same_names(w.names, w.n, fx->names[0], fx->nnames[0]));
    CHECK(w.values_ok);
    CHECK(w.order_ok);
    CHECK(w.big_len > 160000); /* fetched through the huge-object B-tree */
    free_lines(w.names, w.n);
    h5k_fheap_close(h);
    h = NULL;
  }

  /* n: 200 attributes of 3000 bytes; the heap needs nested indirect blocks. */
  hb = fx->file + fx->heap[1];
  printf("test_fractal_heap: heap of 200 attributes has %u root rows\n", (unsigned)get_le(hb + 140, 2));
  CHECK(get_le(hb + 140, 2) > 8); /* more rows than direct rows (max direct 64 KiB, start 1 KiB) */
  CHECK(fx->corder_bt[1] != H5K_ADDR_UNDEF);
  rc = h5k_fheap_open(&h, &f, fx->heap[1]);
  CHECK_EQ_U(rc, 0);
  if (h) {
    memset(&w, 0, sizeof w);
    w.heap = h;
    w.type = 9;
    w.values_ok = w.order_ok = 1;
    w.last = (uint64_t)-1;
    rc = h5k_bt2_iterate(&f, fx->corder_bt[1], 9, attr_cb, &w);
    if (rc) fprintf(stderr, "n: %s\n", h5k_error_last());
    CHECK_EQ_U(rc, 0);
    CHECK_EQ_U(w.n, 200);
    CHECK(w.values_ok);
    CHECK(w.order_ok); /* creation orders 0, 1, 2, ... */
    {
      size_t same = 0; /* h5py lists them in creation order */
      for (size_t i = 0; i < w.n && i < fx->nnames[1]; i++) same += strcmp(w.names[i], fx->names[1][i]) == 0;
      CHECK_EQ_U(same, 200);
    }
    free_lines(w.names, w.n);
    memset(&w, 0, sizeof w);
    w.heap = h;
    w.type = 8;
    w.values_ok = w.order_ok = 1;
    CHECK_EQ_U(h5k_bt2_iterate(&f, fx->name_bt[1], 8, attr_cb, &w), 0);
    CHECK(same_names(w.names, w.n, fx->names[1], fx->nnames[1]));
    free_lines(w.names, w.n);
    h5k_fheap_close(h);
    h = NULL;
  }

  /* s: 10 links, the root is a direct block. */
  hb = fx->file + fx->heap[2];
  CHECK_EQ_U(get_le(hb + 140, 2), 0);
  rc = h5k_fheap_open(&h, &f, fx->heap[2]);
  CHECK_EQ_U(rc, 0);
  if (h) {
    memset(&w, 0, sizeof w);
    w.heap = h;
    CHECK_EQ_U(h5k_bt2_iterate(&f, fx->name_bt[2], 5, link_cb, &w), 0);
    CHECK(same_names(w.names, w.n, fx->names[2], fx->nnames[2]));
    free_lines(w.names, w.n);
    h5k_fheap_close(h);
  }
  h5k_io_close(f.io);
}

static int count_cb(void *ud, const uint8_t *rec, size_t rec_size) {
  attr_walk *w = ud;
  h5k_bt2_attr_rec r;
  uint8_t *obj;
  size_t len;
  int rc = h5k_bt2_decode_attr_rec(&r, 9, rec, rec_size);
  if (rc < 0) return rc;
  rc = h5k_fheap_get(&obj, &len, w->heap, r.heap_id, 8);
  if (rc < 0) return rc;
  free(obj);
  return 0;
}

/* Every single-byte flip in a real heap's header and root indirect block is detected or harmless:
 * no crash, and checksummed structures report H5K_ECORRUPT. */
static void test_real_flips(const dense_fixture *fx) {
  uint8_t *img = malloc(fx->file_len);
  uint64_t ha = fx->heap[1], root = get_le(fx->file + ha + 132, 8);
  unsigned detected = 0, tried = 0;
  h5k_fctx f;
  for (uint64_t at = ha; at < ha + 146; at += 3) {
    h5k_fheap *h = NULL;
    memcpy(img, fx->file, fx->file_len);
    img[at] ^= 0x5a;
    fctx_mem(&f, img, fx->file_len);
    tried++;
    if (h5k_fheap_open(&h, &f, ha) == H5K_ECORRUPT) detected++;
    h5k_fheap_close(h);
    h5k_io_close(f.io);
  }
  CHECK_EQ_U(detected, tried);
  for (uint64_t at = root; at < root + 200; at += 7) {
    h5k_fheap *h = NULL;
    attr_walk w;
    int rc;
    memcpy(img, fx->file, fx->file_len);
    img[at] ^= 0x5a;
    fctx_mem(&f, img, fx->file_len);
    CHECK_EQ_U(h5k_fheap_open(&h, &f, ha), 0);
    memset(&w, 0, sizeof w);
    w.heap = h;
    rc = h ? h5k_bt2_iterate(&f, fx->corder_bt[1], 9, count_cb, &w) : -1;
    CHECK(rc == H5K_ECORRUPT);
    h5k_fheap_close(h);
    h5k_io_close(f.io);
  }
  free(img);
}

/* One heap handle and one file context shared by four threads, each walking all 200 attributes. */
typedef struct thread_arg {
  const h5k_fctx *f;
  const h5k_fheap *h;
  uint64_t bt;
  int rc, ok;
  size_t n;
} thread_arg;

static void *thread_main(void *p) {
  thread_arg *a = p;
  for (int round = 0; round < 5; round++) {
    attr_walk w;
    memset(&w, 0, sizeof w);
    w.heap = a->h;
    w.type = 9;
    w.values_ok = w.order_ok = 1;
    w.last = (uint64_t)-1;
    a->rc |= h5k_bt2_iterate(a->f, a->bt, 9, attr_cb, &w);
    a->ok = w.values_ok && w.order_ok;
    a->n = w.n;
    free_lines(w.names, w.n);
  }
  return NULL;
}

static void test_threads(const dense_fixture *fx) {
  h5k_fctx f;
  h5k_fheap *h = NULL;
  pthread_t t[4];
  thread_arg a[4];
  fctx_mem(&f, fx->file, fx->file_len);
  CHECK_EQ_U(h5k_fheap_open(&h, &f, fx->heap[1]), 0);
  if (h) {
    for (int i = 0; i < 4; i++) {
      a[i] = (thread_arg){&f, h, fx->corder_bt[1], 0, 0, 0};
      CHECK_EQ_U(pthread_create(&t[i], NULL, thread_main, &a[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
      pthread_join(t[i], NULL);
      CHECK_EQ_U(a[i].rc, 0);
      CHECK(a[i].ok);
      CHECK_EQ_U(a[i].n, 200);
    }
    h5k_fheap_close(h);
  }
  h5k_io_close(f.io);
}

int main(void) {
  dense_fixture fx;
  int rc;
  test_tiny();
  test_managed_and_huge();
  test_filtered();
  test_indirect();
  rc = dense_fixture_make(&fx, "/tmp/h5k_fheap_XXXXXX", gen_script, 3, "heaps.h5");
  if (rc == 0) {
    printf("test_fractal_heap: h5py not available at " PY "; real-file tests skipped\n");
  } else if (rc < 0) {
    CHECK(!"could not generate fixtures with h5py");
  } else {
    test_real(&fx);
    test_real_flips(&fx);
    test_threads(&fx);
  }
  dense_fixture_free(&fx);
  return test_finish("test_fractal_heap");
}
