/* Chunk indexes (src/format/chunk_index.c, fixed_array.c, extensible_array.c).
 *
 * 1. Hand-built fixed array (header + data block in memory): records, lookups, and corrupt
 *    variants (signature, checksum, element count, truncation) -> H5K_ECORRUPT.
 * 2. Real files written at test time by the reference library through h5py (/usr/bin/python3;
 *    skipped if h5py is missing): every index type (v1 B-tree from libver="earliest"; fixed
 *    array incl. paged, extensible array incl. super blocks and paged data blocks, v2 B-tree,
 *    single chunk, implicit from libver="latest"), filtered and not, 1-D to 4-D, partial edge
 *    chunks, sparse writes. The expected chunks come from h5py's get_chunk_info(i) for
 *    i < get_num_chunks() (offset, filter mask, byte offset, size): h5kit's iterate() must
 *    produce exactly that set and lookup() of every grid position must agree (found with the
 *    same values, or H5K_ENOTFOUND). (Those h5py calls walk the whole index each time in HDF5
 *    1.10, so the datasets keep a few thousand allocated chunks at most; ea1d still reaches
 *    element 135600, past 2^17, so its last levels have paged data blocks.)
 * 3. Corrupted copies of those real structures -> H5K_ECORRUPT. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/file_impl.h"
#include "format/extensible_array.h"
#include "format/fixed_array.h"
#include "format/layout.h"
#include "format/messages.h"
#include "format/object_header.h"
#include "testutil.h"

typedef struct collect {
  size_t n, cap;
  h5k_chunk_rec *r;
  unsigned rank;
} collect;

static int collect_cb(void *ud, const h5k_chunk_rec *c) {
  collect *k = ud;
  if (k->n == k->cap) {
    k->cap = k->cap ? 2 * k->cap : 64;
    k->r = realloc(k->r, k->cap * sizeof *k->r);
  }
  k->r[k->n++] = *c;
  return 0;
}

/* ---- 1. hand-built fixed array ------------------------------------------------------------------ */

enum { FA_HDR = 0, FA_DB = 64, FA_LEN = 512 };

/* 1-D dataset of 8 elements, chunks of 2 (16 bytes): 4 chunks, chunk 1 unallocated. */
static void build_fa(uint8_t *b, uint64_t nelmts) {
  uint8_t *h = b + FA_HDR, *d = b + FA_DB;
  size_t hl = 8 + 8 + 8 + 4, dl = 6 + 8 + 4 * 8 + 4;
  const uint64_t addrs[4] = {200, UINT64_MAX, 300, 400};
  memset(b, 0, FA_LEN);
  memcpy(h, "FAHD", 4);
  h[6] = 8;  /* element size */
  h[7] = 10; /* page bits */
  put_le(h + 8, nelmts, 8);
  put_le(h + 16, FA_DB, 8);
  fix_sum(h, hl);
  memcpy(d, "FADB", 4);
  put_le(d + 6, FA_HDR, 8);
  for (int i = 0; i < 4; i++) put_le(d + 14 + 8 * i, addrs[i], 8);
  fix_sum(d, dl);
}

static void geom_1d(h5k_chunk_geom *g, h5k_layout *l, h5k_chunk_index idx, uint64_t addr) {
  memset(l, 0, sizeof *l);
  l->version = 4;
  l->cls = H5K_LAYOUT_CHUNKED;
  l->rank = 1;
  l->chunk[0] = 2;
  l->elem_size = 8;
  l->index = idx;
  l->addr = addr;
  l->ia_params[0] = 10;
  memset(g, 0, sizeof *g);
  g->layout = l;
  g->rank = 1;
  g->dims[0] = g->maxdims[0] = 8;
  g->chunk_bytes = 16;
}

static void test_handmade_fa(void) {
  static uint8_t b[FA_LEN], bad[FA_LEN];
  h5k_fctx f;
  h5k_layout l;
  h5k_chunk_geom g;
  h5k_chunk_rec r;
  collect k = {0};
  uint64_t s;
  build_fa(b, 4);
  fctx_mem(&f, b, FA_LEN);
  geom_1d(&g, &l, H5K_CHUNK_INDEX_FARRAY, FA_HDR);
  CHECK_EQ_U(h5k_chunk_index_iterate(&f, &g, collect_cb, &k), 0);
  CHECK_EQ_U(k.n, 3);
  if (k.n == 3) {
    CHECK_EQ_U(k.r[0].scaled[0], 0);
    CHECK_EQ_U(k.r[0].addr, 200);
    CHECK_EQ_U(k.r[0].size, 16);
    CHECK_EQ_U(k.r[1].scaled[0], 2);
    CHECK_EQ_U(k.r[1].addr, 300);
    CHECK_EQ_U(k.r[2].scaled[0], 3);
    CHECK_EQ_U(k.r[2].addr, 400);
  }
  free(k.r);
  s = 2;
  CHECK_EQ_U(h5k_chunk_index_lookup(&r, &f, &g, &s), 0);
  CHECK_EQ_U(r.addr, 300);
  s = 1;
  CHECK(h5k_chunk_index_lookup(&r, &f, &g, &s) == H5K_ENOTFOUND);
  s = 4; /* outside the extent */
  CHECK(h5k_chunk_index_lookup(&r, &f, &g, &s) == H5K_EINVAL);
  /* single chunk and implicit on the same buffer */
  geom_1d(&g, &l, H5K_CHUNK_INDEX_IMPLICIT, 256);
  k.n = 0;
  k.r = NULL;
  k.cap = 0;
  CHECK_EQ_U(h5k_chunk_index_iterate(&f, &g, collect_cb, &k), 0);
  CHECK_EQ_U(k.n, 4);
  if (k.n == 4) CHECK_EQ_U(k.r[3].addr, 256 + 3 * 16);
  free(k.r);
  s = 3;
  CHECK_EQ_U(h5k_chunk_index_lookup(&r, &f, &g, &s), 0);
  CHECK_EQ_U(r.addr, 256 + 48);
  geom_1d(&g, &l, H5K_CHUNK_INDEX_IMPLICIT, FA_LEN - 63); /* 64 bytes do not fit */
  CHECK(h5k_chunk_index_iterate(&f, &g, collect_cb, &k) == H5K_ECORRUPT);
  h5k_io_close(f.io);

  /* corrupt variants */
  struct {
    size_t at;
    uint8_t v;
  } flips[] = {{FA_HDR + 1, 'X'}, {FA_HDR + 4, 1}, {FA_HDR + 9, 1}, {FA_DB + 2, 'X'}, {FA_DB + 20, 0x55}};
  for (size_t i = 0; i < sizeof flips / sizeof flips[0]; i++) {
    memcpy(bad, b, FA_LEN);
    bad[flips[i].at] ^= flips[i].v;
    fctx_mem(&f, bad, FA_LEN);
    geom_1d(&g, &l, H5K_CHUNK_INDEX_FARRAY, FA_HDR);
    CHECK(h5k_chunk_index_iterate(&f, &g, collect_cb, &k) == H5K_ECORRUPT);
    s = 0;
    CHECK(h5k_chunk_index_lookup(&r, &f, &g, &s) == H5K_ECORRUPT);
    h5k_io_close(f.io);
  }
  /* element count not matching the dataset, or absurd (data block past the end of file) */
  build_fa(bad, 5);
  fctx_mem(&f, bad, FA_LEN);
  CHECK(h5k_chunk_index_iterate(&f, &g, collect_cb, &k) == H5K_ECORRUPT);
  h5k_io_close(f.io);
  build_fa(bad, UINT64_C(1) << 40);
  fctx_mem(&f, bad, FA_LEN);
  g.dims[0] = g.maxdims[0] = UINT64_C(1) << 41;
  CHECK(h5k_chunk_index_iterate(&f, &g, collect_cb, &k) == H5K_ECORRUPT);
  h5k_io_close(f.io);
  /* truncated: the file ends inside the data block */
  build_fa(bad, 4);
  fctx_mem(&f, bad, FA_DB + 20);
  geom_1d(&g, &l, H5K_CHUNK_INDEX_FARRAY, FA_HDR);
  CHECK(h5k_chunk_index_iterate(&f, &g, collect_cb, &k) == H5K_ECORRUPT);
  h5k_io_close(f.io);
  /* a chunk address outside the file */
  build_fa(bad, 4);
  put_le(bad + FA_DB + 14, 100000, 8);
  fix_sum(bad + FA_DB, 6 + 8 + 32 + 4);
  fctx_mem(&f, bad, FA_LEN);
  CHECK(h5k_chunk_index_iterate(&f, &g, collect_cb, &k) == H5K_ECORRUPT);
  h5k_io_close(f.io);
}

/* ---- 2. real files ------------------------------------------------------------------------------ */

static const char gen_script[] =
    "import sys, h5py, numpy as np\n"
    "out = sys.argv[1]\n"
    "man = open(out + '/manifest.txt', 'w')\n"
    "def ids(shape, chunks):\n"
    "    g = [-(-s // c) for s, c in zip(shape, chunks)]\n"
    "    idx = np.indices(shape)\n"
    "    lin = np.zeros(shape, dtype='i8')\n"
    "    for k in range(len(shape)):\n"
    "        lin = lin * g[k] + idx[k] // chunks[k]\n"
    "    return (lin + 1).astype('i4')\n"
    "def dump(fname, f, name):\n"
    "    d = f[name]\n"
    "    addr = h5py.h5o.get_info(d.id).addr\n"
    "    n = d.id.get_num_chunks()\n"
    "    if name in V:\n"
    "        man.write('D %s %s %d %d V\\n' % (fname, name, addr, n))\n"
    "        return\n"
    "    rows = []\n"
    "    for i in range(n):\n"
    "        ci = d.id.get_chunk_info(i)\n"
    "        rows.append('C %s %d %d %d\\n' % (' '.join(str(o) for o in ci.chunk_offset), ci.filter_mask,\n"
    "                    ci.byte_offset, ci.size))\n"
    "    assert len(rows) == n, (name, len(rows), n)\n"
    "    man.write('D %s %s %d %d L\\n' % (fname, name, addr, n))\n"
    "    man.writelines(rows)\n"
    "def early(f, name, shape, chunks, maxshape=None, dtype='i4'):\n"
    "    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)\n"
    "    dcpl.set_chunk(chunks)\n"
    "    dcpl.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)\n"
    "    dcpl.set_fill_value(np.array(7, dtype=dtype))\n"
    "    sp = h5py.h5s.create_simple(shape, maxshape if maxshape else shape)\n"
    "    h5py.h5d.create(f.id, name.encode(), h5py.h5t.py_create(np.dtype(dtype)), sp, dcpl=dcpl)\n"
    "L = []\n"
    "V = ['ea2d', 'ea3d']\n"
    "def mk(f, name, shape, chunks, dtype, maxshape=None, **kw):\n"
    "    L.append(name)\n"
    "    return f.create_dataset(name, shape=shape, maxshape=maxshape, chunks=chunks, dtype=dtype, **kw)\n"
    "with h5py.File(out + '/latest.h5', 'w', libver='latest') as f:\n"
    "    mk(f, 'fa1d', (5000,), (4,), 'i4')[:] = np.arange(5000)\n"
    "    d = mk(f, 'fa2d', (100, 90), (7, 8), 'i2'); d[10:40, 5:60] = 1; d[99, 89] = 2\n"
    "    d = mk(f, 'fafilt', (3000,), (2,), 'i8', compression='gzip'); d[:1000] = np.arange(1000); d[2500:] = 5\n"
    "    d = mk(f, 'fa4d', (6, 5, 4, 7), (2, 2, 3, 3), 'f4'); d[0:3, :, 1:, 2:5] = 1.5\n"
    "    d = mk(f, 'famax', (10, 10), (3, 4), 'u1', maxshape=(20, 30)); d[:] = 3\n"
    "    d = mk(f, 'fasparse', (3000, 3), (1, 3), 'u1'); d[5] = 1; d[2000:2100] = 1\n"
    "    d = mk(f, 'ea1d', (140000,), (1,), 'u1', maxshape=(None,)); d[:1500] = 1; d[135000:135600] = 2\n"
    "    d = mk(f, 'ea2d', (30, 50), (4, 6), 'i4', maxshape=(30, None)); d[:] = ids(d.shape, d.chunks)\n"
    "    d = mk(f, 'ea3d', (5, 40, 6), (2, 3, 4), 'i4', maxshape=(5, None, 6)); v = ids(d.shape, d.chunks)\n"
    "    d[0:3, 10:30, :] = v[0:3, 10:30, :]; d[4, 39, 5] = v[4, 39, 5]\n"
    "    d = mk(f, 'eafilt', (3000,), (3,), 'i4', maxshape=(None,), compression='gzip', shuffle=True)\n"
    "    d[100:2000] = np.arange(1900)\n"
    "    d = mk(f, 'bt2', (40, 30), (3, 4), 'i4', maxshape=(None, None)); d[:] = 1\n"
    "    d = mk(f, 'bt2filt', (40, 30), (3, 4), 'i4', maxshape=(None, None), compression='gzip')\n"
    "    d[5:20, :] = np.arange(30)\n"
    "    d = mk(f, 'bt2big', (60, 50, 4), (2, 2, 4), 'u1', maxshape=(None, None, 4)); d[:, :40, :] = 1\n"
    "    d = mk(f, 'single', (10, 20), (10, 20), 'i4'); d[:] = 1\n"
    "    d = mk(f, 'singlefilt', (10, 20), (10, 20), 'i4', compression='gzip'); d[:] = np.arange(200).reshape(10, 20)\n"
    "    early(f, 'implicit', (30, 40), (4, 6)); L.append('implicit')\n"
    "    early(f, 'implicitmax', (10, 13), (3, 4), maxshape=(20, 17)); L.append('implicitmax')\n"
    "    for n in L:\n"
    "        dump('latest.h5', f, n)\n"
    "L = []\n"
    "with h5py.File(out + '/earliest.h5', 'w', libver='earliest') as f:\n"
    "    d = mk(f, 'bt1', (200, 300), (7, 9), 'i4'); d[20:150, 30:200] = 1\n"
    "    d = mk(f, 'bt1filt', (200, 300), (7, 9), 'i4', compression='gzip', fletcher32=True); d[:100, :] = 2\n"
    "    d = mk(f, 'bt1deep', (3000,), (1,), 'u1', maxshape=(None,)); d[:] = 1\n"
    "    d = mk(f, 'bt1_3d', (9, 8, 7), (2, 3, 4), 'i4'); d[1:8, :, 3:] = 4\n"
    "    for n in L:\n"
    "        dump('earliest.h5', f, n)\n"
    "man.close()\n";

typedef struct exp_ds {
  char file[32], name[32];
  uint64_t addr;
  size_t n;
  char mode;        /* 'L': chunk list from h5py; 'V': check chunk contents (see below) */
  h5k_chunk_rec *c; /* element offsets until the layout is known, then scaled offsets */
} exp_ds;

typedef struct fixture {
  char dir[64];
  size_t nds;
  exp_ds *ds;
} fixture;

static int fixture_make(fixture *fx) {
  char path[256], line[1024];
  FILE *fp;
  memset(fx, 0, sizeof *fx);
  if (!have_h5py()) return 0;
  strcpy(fx->dir, "/tmp/h5k_chunk_XXXXXX");
  if (!mkdtemp(fx->dir)) return -1;
  if (run_gen_script(fx->dir, gen_script, fx->dir) != 0) return -1;
  snprintf(path, sizeof path, "%s/manifest.txt", fx->dir);
  fp = fopen(path, "r");
  if (!fp) return -1;
  while (fgets(line, sizeof line, fp)) {
    if (line[0] == 'D') {
      exp_ds *d;
      unsigned long long a, n;
      fx->ds = realloc(fx->ds, (fx->nds + 1) * sizeof *fx->ds);
      d = &fx->ds[fx->nds++];
      memset(d, 0, sizeof *d);
      if (sscanf(line, "D %31s %31s %llu %llu %c", d->file, d->name, &a, &n, &d->mode) != 5) break;
      d->addr = a;
      d->c = calloc(n ? n : 1, sizeof *d->c);
      if (d->mode == 'V') d->n = n; /* no chunk lines follow */
    } else if (line[0] == 'C' && fx->nds) {
      exp_ds *d = &fx->ds[fx->nds - 1];
      unsigned long long v[H5K_MAX_DIMS + 3];
      size_t k = 0;
      char *p = line + 1, *end;
      while (k < H5K_MAX_DIMS + 3) {
        v[k] = strtoull(p, &end, 10);
        if (end == p) break;
        k++;
        p = end;
      }
      if (k < 4) break;
      h5k_chunk_rec *c = &d->c[d->n++];
      for (size_t i = 0; i < k - 3; i++) c->scaled[i] = v[i]; /* element offsets for now */
      c->mask = (uint32_t)v[k - 3];
      c->addr = v[k - 2];
      c->size = v[k - 1];
    }
  }
  fclose(fp);
  return 1;
}

static void fixture_free(fixture *fx) {
  for (size_t i = 0; i < fx->nds; i++) free(fx->ds[i].c);
  free(fx->ds);
  remove_dir(fx->dir);
}

static unsigned cmp_rank;
static int cmp_rec(const void *a, const void *b) {
  const h5k_chunk_rec *x = a, *y = b;
  for (unsigned i = 0; i < cmp_rank; i++) {
    if (x->scaled[i] != y->scaled[i]) return x->scaled[i] < y->scaled[i] ? -1 : 1;
  }
  return 0;
}

/* The dataset's layout, pipeline and geometry from its object header. */
typedef struct dsinfo {
  h5k_ohdr oh;
  h5k_dataspace sp;
  h5k_layout l;
  h5k_pline pl;
  h5k_chunk_geom g;
} dsinfo;

static int ds_load(dsinfo *di, const h5k_fctx *f, uint64_t addr) {
  const h5k_msg *m;
  memset(di, 0, sizeof *di);
  if (h5k_ohdr_read(&di->oh, f, addr) < 0) return -1;
  m = h5k_ohdr_find(&di->oh, H5K_MSG_DATASPACE, NULL);
  if (!m || h5k_decode_dataspace(&di->sp, m->data, m->size, f) < 0) return -1;
  m = h5k_ohdr_find(&di->oh, H5K_MSG_LAYOUT, NULL);
  if (!m || h5k_decode_layout(&di->l, m->data, m->size, f, di->sp.rank) < 0) return -1;
  m = h5k_ohdr_find(&di->oh, H5K_MSG_PLINE, NULL);
  if (m && h5k_decode_pline(&di->pl, m->data, m->size) < 0) return -1;
  di->g.layout = &di->l;
  di->g.rank = di->sp.rank;
  memcpy(di->g.dims, di->sp.dims, sizeof di->g.dims);
  memcpy(di->g.maxdims, di->sp.maxdims, sizeof di->g.maxdims);
  di->g.filtered = di->pl.n > 0;
  di->g.chunk_bytes = di->l.elem_size;
  for (unsigned i = 0; i < di->l.rank; i++) di->g.chunk_bytes *= di->l.chunk[i];
  return 0;
}

static void ds_free(dsinfo *di) {
  h5k_layout_clear(&di->l);
  h5k_pline_clear(&di->pl);
  h5k_ohdr_free(&di->oh);
}

static int same_rec(const h5k_chunk_rec *a, const h5k_chunk_rec *b, unsigned rank) {
  for (unsigned i = 0; i < rank; i++) {
    if (a->scaled[i] != b->scaled[i]) return 0;
  }
  return a->addr == b->addr && a->size == b->size && a->mask == b->mask;
}

static const h5k_chunk_index expect_index[] = {
    ['f'] = H5K_CHUNK_INDEX_FARRAY, ['e'] = H5K_CHUNK_INDEX_EARRAY, ['s'] = H5K_CHUNK_INDEX_SINGLE,
    ['i'] = H5K_CHUNK_INDEX_IMPLICIT};

static void check_dataset(h5k_file *file, exp_ds *e) {
  const h5k_fctx *f = &file->fc;
  dsinfo di;
  collect k = {0};
  size_t bad = 0, nfound = 0;
  uint64_t sc[H5K_MAX_DIMS] = {0}, cur[H5K_MAX_DIMS];
  h5k_chunk_rec r;
  unsigned rank;
  if (ds_load(&di, f, e->addr) < 0) {
    fprintf(stderr, "%s: cannot load: %s\n", e->name, h5k_error_last());
    CHECK(0);
    ds_free(&di);
    return;
  }
  rank = di.g.rank;
  /* the index type the reference library chose */
  if (!strncmp(e->name, "bt2", 3)) CHECK_EQ_U(di.l.index, H5K_CHUNK_INDEX_BTREE2);
  else if (!strncmp(e->name, "bt1", 3)) CHECK_EQ_U(di.l.index, H5K_CHUNK_INDEX_BTREE1);
  else CHECK_EQ_U(di.l.index, expect_index[(unsigned char)e->name[0]]);
  for (size_t i = 0; i < e->n; i++) {
    for (unsigned d = 0; d < rank; d++) e->c[i].scaled[d] /= di.l.chunk[d];
  }
  cmp_rank = rank;
  qsort(e->c, e->n, sizeof *e->c, cmp_rec);
  k.rank = rank;
  CHECK_EQ_U(h5k_chunk_index_iterate(f, &di.g, collect_cb, &k), 0);
  if (k.n != e->n) fprintf(stderr, "%s: iterate gave %zu chunks, expected %zu (%s)\n", e->name, k.n, e->n, h5k_error_last());
  CHECK_EQ_U(k.n, e->n);
  qsort(k.r, k.n, sizeof *k.r, cmp_rec);
  if (e->mode == 'V' && k.n == e->n) {
    /* HDF5 1.10's get_chunk_info reports wrong offsets for extensible arrays whose unlimited
     * dimension is not the first (its iteration never wraps that dimension), so these
     * datasets were written with every element = 1 + the row-major number of its chunk over
     * the current grid (int32, unfiltered): each chunk found must hold only its own number
     * (or 0 where never written), and the count is get_num_chunks(). */
    for (size_t i = 0; i < k.n; i++) {
      uint64_t want = 0, nz = 0;
      int32_t *vals = malloc((size_t)k.r[i].size);
      for (unsigned d = 0; d < rank; d++) {
        uint64_t g = (di.g.dims[d] + di.l.chunk[d] - 1) / di.l.chunk[d];
        want = want * g + k.r[i].scaled[d];
      }
      want++;
      if (i > 0 && cmp_rec(&k.r[i - 1], &k.r[i]) == 0) bad++;
      if (!vals || fctx_read(f, k.r[i].addr, vals, (size_t)k.r[i].size, "chunk") < 0) {
        bad++;
      } else {
        for (size_t v = 0; v < k.r[i].size / 4; v++) {
          if (vals[v] != 0 && (uint64_t)vals[v] != want) bad++;
          nz += vals[v] != 0;
        }
        if (nz == 0) bad++;
      }
      free(vals);
    }
    memcpy(e->c, k.r, k.n * sizeof *k.r);
  }
  for (size_t i = 0; i < k.n && i < e->n; i++) {
    if (!same_rec(&k.r[i], &e->c[i], rank)) {
      if (bad++ < 3)
        fprintf(stderr, "%s: chunk %zu: got (%llu..) addr %llu size %llu mask %u; expected (%llu..) addr %llu size %llu mask %u\n",
                e->name, i, (unsigned long long)k.r[i].scaled[0], (unsigned long long)k.r[i].addr,
                (unsigned long long)k.r[i].size, k.r[i].mask, (unsigned long long)e->c[i].scaled[0],
                (unsigned long long)e->c[i].addr, (unsigned long long)e->c[i].size, e->c[i].mask);
    }
  }
  CHECK_EQ_U(bad, 0);
  /* lookup of every grid position */
  for (unsigned d = 0; d < rank; d++) cur[d] = (di.g.dims[d] + di.l.chunk[d] - 1) / di.l.chunk[d];
  bad = 0;
  for (;;) {
    h5k_chunk_rec key;
    const h5k_chunk_rec *hit;
    int rc;
    unsigned d;
    memset(&key, 0, sizeof key);
    memcpy(key.scaled, sc, sizeof sc);
    hit = bsearch(&key, e->c, e->n, sizeof *e->c, cmp_rec);
    rc = h5k_chunk_index_lookup(&r, f, &di.g, sc);
    if (hit ? (rc != 0 || !same_rec(&r, hit, rank)) : rc != H5K_ENOTFOUND) {
      if (bad++ < 3)
        fprintf(stderr, "%s: lookup (%llu, ...) rc %d (%s) addr %llu, expected %s addr %llu\n", e->name,
                (unsigned long long)sc[0], rc, h5k_error_last(), (unsigned long long)r.addr, hit ? "found" : "absent",
                hit ? (unsigned long long)hit->addr : 0ULL);
    }
    nfound += rc == 0;
    for (d = rank; d-- > 0;) {
      if (++sc[d] < cur[d]) break;
      sc[d] = 0;
    }
    if (d == (unsigned)-1) break;
  }
  CHECK_EQ_U(bad, 0);
  CHECK_EQ_U(nfound, e->n);
  /* outside the extent */
  memset(sc, 0, sizeof sc);
  sc[rank - 1] = cur[rank - 1];
  CHECK(h5k_chunk_index_lookup(&r, f, &di.g, sc) == H5K_EINVAL);
  free(k.r);
  ds_free(&di);
}

/* Flip one byte at `off` bytes past the index address (or inside a block it points to) and
 * expect H5K_ECORRUPT from iterate. */
static void corrupt_real(const fixture *fx, const char *name, uint64_t (*where)(const h5k_fctx *, const dsinfo *),
                         const char *what) {
  char path[256];
  size_t len;
  uint8_t *img;
  h5k_fctx f;
  dsinfo di;
  collect k = {0};
  const exp_ds *e = NULL;
  uint64_t at;
  for (size_t i = 0; i < fx->nds; i++) {
    if (!strcmp(fx->ds[i].name, name)) e = &fx->ds[i];
  }
  if (!e) {
    CHECK(0);
    return;
  }
  snprintf(path, sizeof path, "%s/%s", fx->dir, e->file);
  img = slurp(path, &len);
  if (!img) {
    CHECK(0);
    return;
  }
  fctx_mem(&f, img, len);
  f.so = f.sl = 8;
  if (ds_load(&di, &f, e->addr) < 0) {
    CHECK(0);
  } else {
    at = where(&f, &di);
    if (at < len) {
      int rc;
      img[at] ^= 0x5a;
      rc = h5k_chunk_index_iterate(&f, &di.g, collect_cb, &k);
      if (rc != H5K_ECORRUPT) fprintf(stderr, "%s (%s): rc %d\n", name, what, rc);
      CHECK(rc == H5K_ECORRUPT);
      img[at] ^= 0x5a;
    } else {
      CHECK(0);
    }
  }
  free(k.r);
  ds_free(&di);
  h5k_io_close(f.io);
  free(img);
}

static uint64_t at_index_sig(const h5k_fctx *f, const dsinfo *di) { return di->l.addr + 1; }
static uint64_t at_index_body(const h5k_fctx *f, const dsinfo *di) { return di->l.addr + 9; }
static uint64_t at_fa_dblock(const h5k_fctx *f, const dsinfo *di) {
  h5k_farray_hdr h;
  if (h5k_farray_read_header(&h, f, di->l.addr) < 0) return UINT64_MAX;
  return h.dblk_addr + 6 + f->so + 1; /* inside the page bitmap */
}
static uint64_t at_ea_iblock(const h5k_fctx *f, const dsinfo *di) {
  h5k_earray_hdr h;
  if (h5k_earray_read_header(&h, f, di->l.addr) < 0) return UINT64_MAX;
  return h.iblk_addr + 6 + f->so + 2;
}
static uint64_t at_ea_sblock_ptr(const h5k_fctx *f, const dsinfo *di) {
  h5k_earray_hdr h;
  if (h5k_earray_read_header(&h, f, di->l.addr) < 0) return UINT64_MAX;
  /* the high byte of the first super block address: points outside the file */
  return h.iblk_addr + 6 + f->so + (uint64_t)h.idx_blk_elmts * h.elem_size + (uint64_t)h.ndblk_addrs * f->so + 6;
}

static void test_real(void) {
  fixture fx;
  int rc = fixture_make(&fx);
  if (rc == 0) {
    fprintf(stderr, "test_chunk_index: h5py not available, real-file tests skipped\n");
    return;
  }
  CHECK(rc == 1);
  if (rc != 1) {
    fixture_free(&fx);
    return;
  }
  CHECK(fx.nds >= 20);
  for (size_t i = 0; i < fx.nds; i++) {
    char path[256];
    h5k_file *file = NULL;
    snprintf(path, sizeof path, "%s/%s", fx.dir, fx.ds[i].file);
    if (h5k_open(&file, path, NULL) < 0) {
      CHECK(0);
      continue;
    }
    check_dataset(file, &fx.ds[i]);
    h5k_close(file);
  }
  corrupt_real(&fx, "fa1d", at_index_sig, "fixed array header signature");
  corrupt_real(&fx, "fa1d", at_index_body, "fixed array header checksum");
  corrupt_real(&fx, "fa1d", at_fa_dblock, "fixed array page bitmap checksum");
  corrupt_real(&fx, "ea1d", at_index_sig, "extensible array header signature");
  corrupt_real(&fx, "ea1d", at_index_body, "extensible array header checksum");
  corrupt_real(&fx, "ea1d", at_ea_iblock, "extensible array index block checksum");
  corrupt_real(&fx, "ea1d", at_ea_sblock_ptr, "extensible array super block address");
  corrupt_real(&fx, "bt2", at_index_sig, "v2 B-tree header signature");
  corrupt_real(&fx, "bt1", at_index_sig, "v1 B-tree node signature");
  fixture_free(&fx);
}

int main(void) {
  test_handmade_fa();
  test_real();
  return test_finish("test_chunk_index");
}
