/* Chunk index builders (src/format/chunk_index_build.c).
 *
 * 1. Real files written by the reference library through h5py (/usr/bin/python3; skipped if
 *    h5py is missing): fixed arrays (unpaged, paged, only the last page, filtered, max dims
 *    above dims), extensible arrays (index block only; data blocks, super blocks and paged data
 *    blocks up to element 135600; filtered; unlimited dimension not first), v2 B-trees (one
 *    leaf, filtered leaf, two levels) from libver="latest", and v1 B-trees (one leaf in 1-D,
 *    2-D, 3-D; several levels; filtered) from libver="earliest". For each: the chunk records come
 *    from our reader (h5k_chunk_index_iterate); our index is built at the SAME address as the
 *    original, and
 *      - fixed / extensible arrays: every block and initialised page is compared byte for byte
 *        with libhdf5's, walking both structures in parallel, except that a pointer to a child
 *        block only has to be defined in both or undefined in both (ours point elsewhere), and
 *        checksums are not compared (our reader verifies ours);
 *      - single-leaf B-trees: the v1 leaf node is compared whole; the v2 header (root address
 *        and checksum aside) and leaf are compared whole;
 *      - always: our reader on our index alone (an image holding only it) iterates exactly the
 *        original records and looks up every chunk of the grid with the same answer as on the
 *        original file.
 *    h5k_chunk_index_choose() on each latest dataset's dataspace must give the index type and
 *    parameters libhdf5 chose.
 * 2. Synthetic indexes too big for h5py to produce quickly (a 3-level v1 B-tree, a depth-2 v2
 *    B-tree, a sparse paged fixed array, an extensible array touching many super blocks,
 *    filtered and not): our reader must give back exactly the records, and lookups of absent
 *    chunks must say H5K_ENOTFOUND. The bytes appended must not depend on the base address.
 * 3. Argument errors -> H5K_EINVAL.
 * 4. With `--e2e DIR`: for every real dataset, write DIR/<name>.h5 = the original file with our
 *    index appended at its end (superblock end-of-file address and checksum, layout message
 *    address and object header checksum patched; the old index's signature destroyed) and a
 *    manifest DIR/manifest.txt "original patched dataset" for
 *    tests/interop/chunk_index_build_check.py (h5py values and h5dump).
 *    Without it the same files are made in a temporary directory and reopened by h5kit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/file_impl.h"
#include "format/chunk_index_build.h"
#include "format/extensible_array.h"
#include "format/fixed_array.h"
#include "format/layout.h"
#include "format/messages.h"
#include "format/object_header.h"
#include "testutil.h"
#include "util/lookup3.h"

/* ---- helpers ------------------------------------------------------------------------------------ */

typedef struct collect {
  size_t n, cap;
  h5k_chunk_rec *r;
} collect;

static int collect_cb(void *ud, const h5k_chunk_rec *c) {
  collect *k = ud;
  if (k->n == k->cap) {
    k->cap = k->cap ? 2 * k->cap : 64;
    k->r = realloc(k->r, k->cap * sizeof *k->r);
    if (!k->r) return H5K_ENOMEM;
  }
  k->r[k->n++] = *c;
  return 0;
}

static unsigned g_rank;
static int cmp_rec(const void *a, const void *b) {
  const h5k_chunk_rec *x = a, *y = b;
  for (unsigned i = 0; i < g_rank; i++) {
    if (x->scaled[i] != y->scaled[i]) return x->scaled[i] < y->scaled[i] ? -1 : 1;
  }
  return 0;
}

static int same_rec(const h5k_chunk_rec *a, const h5k_chunk_rec *b, unsigned rank) {
  for (unsigned i = 0; i < rank; i++) {
    if (a->scaled[i] != b->scaled[i]) return 0;
  }
  return a->addr == b->addr && a->size == b->size && a->mask == b->mask;
}

/* An image holding only bytes run[0..len) at base, at least min_len long. */
static uint8_t *image_of(const h5k_wbuf *run, uint64_t base, size_t min_len, size_t *out_len) {
  size_t len = (size_t)base + run->len;
  uint8_t *img;
  if (len < min_len) len = min_len;
  img = calloc(len, 1);
  if (img) memcpy(img + base, run->p, run->len);
  *out_len = len;
  return img;
}

/* Our reader over the index in img: iterate gives exactly want[0..n) (sorted by scaled);
 * lookup of every grid position of g's extent agrees with membership. */
static void check_reader(const h5k_fctx *f, const h5k_chunk_geom *g, const h5k_chunk_rec *want, size_t n,
                         const char *name) {
  collect k = {0};
  size_t bad = 0, present = 0;
  uint64_t sc[H5K_MAX_DIMS] = {0}, cur[H5K_MAX_DIMS], total = 1;
  h5k_chunk_rec r;
  int rc = h5k_chunk_index_iterate(f, g, collect_cb, &k);
  if (rc != 0) fprintf(stderr, "%s: iterate: %d %s\n", name, rc, h5k_error_last());
  CHECK_EQ_U(rc, 0);
  CHECK_EQ_U(k.n, n);
  g_rank = g->rank;
  if (k.n) qsort(k.r, k.n, sizeof *k.r, cmp_rec);
  for (size_t i = 0; i < k.n && i < n; i++) bad += !same_rec(&k.r[i], &want[i], g->rank);
  if (bad) fprintf(stderr, "%s: %zu records differ\n", name, bad);
  CHECK_EQ_U(bad, 0);
  free(k.r);
  /* lookups: every chunk present, and grid positions (all of them in small grids, else a
   * sample of about 5000 spread over the grid) with the answer membership gives */
  bad = 0;
  for (size_t i = 0; i < n; i += n > 5000 ? n / 5000 : 1) {
    rc = h5k_chunk_index_lookup(&r, f, g, want[i].scaled);
    if (rc != 0 || !same_rec(&r, &want[i], g->rank)) bad++;
  }
  for (unsigned d = 0; d < g->rank; d++) {
    cur[d] = (g->dims[d] + g->layout->chunk[d] - 1) / g->layout->chunk[d];
    total *= cur[d];
  }
  for (uint64_t t = 0; t < total; t += total > 5000 ? total / 5000 + 1 : 1) {
    h5k_chunk_rec key;
    const h5k_chunk_rec *hit;
    uint64_t x = t;
    for (unsigned d = g->rank; d-- > 0;) {
      sc[d] = x % cur[d];
      x /= cur[d];
    }
    memset(&key, 0, sizeof key);
    memcpy(key.scaled, sc, sizeof sc);
    hit = n ? bsearch(&key, want, n, sizeof *want, cmp_rec) : NULL;
    rc = h5k_chunk_index_lookup(&r, f, g, sc);
    if (hit) {
      present++;
      if (rc != 0 || !same_rec(&r, hit, g->rank)) bad++;
    } else if (rc != H5K_ENOTFOUND) {
      bad++;
    }
  }
  if (bad) fprintf(stderr, "%s: %zu lookups wrong (%s)\n", name, bad, h5k_error_last());
  CHECK_EQ_U(bad, 0);
  CHECK(present <= n);
}

/* ---- canonical form of fixed / extensible arrays (for the byte comparison) ---------------------- */

/* Append the len bytes at addr to out, with each pointer at the given offsets reduced to
 * "defined" (zeros) or left undefined (all ones), and the trailing checksum zeroed. */
static int canon(h5k_wbuf *out, const h5k_fctx *f, uint64_t addr, uint64_t len, const size_t *ptrs, size_t nptrs) {
  uint8_t *p = wr_space(out, (size_t)len);
  if (!p || len < 4 || fctx_read(f, addr, p, (size_t)len, "canon") < 0) return -1;
  for (size_t i = 0; i < nptrs; i++) {
    if (get_le(p + ptrs[i], f->so) != UINT64_MAX) put_le(p + ptrs[i], 0, f->so);
  }
  memset(p + len - 4, 0, 4);
  return 0;
}

static int canon_farray(h5k_wbuf *out, const h5k_fctx *f, uint64_t addr) {
  h5k_farray_hdr h;
  size_t ptr = 8 + f->sl;
  uint64_t page_n, npages, bm, blk;
  uint8_t *bitmap;
  int rc = 0;
  if (h5k_farray_read_header(&h, f, addr) < 0) return -1;
  if (canon(out, f, addr, 8 + f->sl + f->so + 4, &ptr, 1) < 0) return -1;
  if (!addr_defined(h.dblk_addr)) return 0;
  page_n = UINT64_C(1) << h.page_bits;
  if (h.nelmts <= page_n) return canon(out, f, h.dblk_addr, 6 + f->so + h.nelmts * h.elem_size + 4, NULL, 0);
  npages = (h.nelmts + page_n - 1) / page_n;
  bm = (npages + 7) / 8;
  blk = 6 + f->so + bm + 4;
  if (canon(out, f, h.dblk_addr, blk, NULL, 0) < 0) return -1;
  bitmap = malloc((size_t)bm);
  if (!bitmap || fctx_read(f, h.dblk_addr + 6 + f->so, bitmap, (size_t)bm, "bitmap") < 0) {
    free(bitmap);
    return -1;
  }
  for (uint64_t p = 0; p < npages && rc == 0; p++) {
    uint64_t cnt = p + 1 < npages ? page_n : h.nelmts - p * page_n;
    if (bitmap[p / 8] & (0x80 >> (p % 8)))
      rc = canon(out, f, h.dblk_addr + blk + p * (page_n * h.elem_size + 4), cnt * h.elem_size + 4, NULL, 0);
  }
  free(bitmap);
  return rc;
}

static int canon_ea_dblk(h5k_wbuf *out, const h5k_fctx *f, const h5k_earray_hdr *h, unsigned s, uint64_t da,
                         const uint8_t *bitmap, uint64_t bit0) {
  uint64_t n = h->sblk_dblk_n[s], page_n = UINT64_C(1) << h->page_bits;
  size_t pre = 6 + f->so + h->arr_off_size;
  if (n <= page_n) return canon(out, f, da, pre + n * h->elem_size + 4, NULL, 0);
  if (canon(out, f, da, pre + 4, NULL, 0) < 0) return -1;
  for (uint64_t p = 0; p < n / page_n; p++) {
    uint64_t bit = bit0 + p;
    if (bitmap[bit / 8] & (0x80 >> (bit % 8))) {
      if (canon(out, f, da + pre + 4 + p * (page_n * h->elem_size + 4), page_n * h->elem_size + 4, NULL, 0) < 0)
        return -1;
    }
  }
  return 0;
}

static int canon_earray(h5k_wbuf *out, const h5k_fctx *f, uint64_t addr) {
  h5k_earray_hdr h;
  size_t ptr = 12 + 6 * (size_t)f->sl, np, ib_len, *ptrs = NULL;
  uint8_t *ib = NULL, *sb = NULL;
  int rc = -1;
  if (h5k_earray_read_header(&h, f, addr) < 0) return -1;
  if (canon(out, f, addr, 12 + 6 * f->sl + f->so + 4, &ptr, 1) < 0) return -1;
  if (!addr_defined(h.iblk_addr)) return 0;
  np = h.ndblk_addrs + h.nsblk_addrs;
  ib_len = 6 + f->so + (size_t)h.idx_blk_elmts * h.elem_size + np * f->so + 4;
  ptrs = malloc((np + 1) * sizeof *ptrs);
  ib = malloc(ib_len);
  if (!ptrs || !ib || fctx_read(f, h.iblk_addr, ib, ib_len, "iblock") < 0) goto done;
  for (size_t i = 0; i < np; i++) ptrs[i] = 6 + f->so + (size_t)h.idx_blk_elmts * h.elem_size + i * f->so;
  if (canon(out, f, h.iblk_addr, ib_len, ptrs, np) < 0) goto done;
  for (unsigned s = 0, k = 0; s < h.iblk_nsblks; s++) {
    for (uint64_t d = 0; d < h.sblk_ndblks[s]; d++, k++) {
      uint64_t da = get_le(ib + ptrs[k], f->so);
      if (da != UINT64_MAX && canon_ea_dblk(out, f, &h, s, da, NULL, 0) < 0) goto done;
    }
  }
  for (unsigned s = h.iblk_nsblks; s < h.nsblks; s++) {
    uint64_t sa = get_le(ib + ptrs[h.ndblk_addrs + s - h.iblk_nsblks], f->so), page_n = UINT64_C(1) << h.page_bits;
    uint64_t npages = h.sblk_dblk_n[s] > page_n ? h.sblk_dblk_n[s] / page_n : 0;
    size_t bm = (size_t)(npages ? h.sblk_ndblks[s] * ((npages + 7) / 8) : 0);
    size_t pre = 6 + f->so + h.arr_off_size, sb_len = pre + bm + (size_t)h.sblk_ndblks[s] * f->so + 4;
    size_t *sp;
    if (sa == UINT64_MAX) continue;
    sp = malloc((size_t)h.sblk_ndblks[s] * sizeof *sp);
    free(sb);
    sb = malloc(sb_len);
    if (!sp || !sb || fctx_read(f, sa, sb, sb_len, "sblock") < 0) {
      free(sp);
      goto done;
    }
    for (uint64_t d = 0; d < h.sblk_ndblks[s]; d++) sp[d] = pre + bm + (size_t)d * f->so;
    rc = canon(out, f, sa, sb_len, sp, (size_t)h.sblk_ndblks[s]);
    for (uint64_t d = 0; d < h.sblk_ndblks[s] && rc == 0; d++) {
      uint64_t da = get_le(sb + sp[d], f->so);
      if (da != UINT64_MAX) rc = canon_ea_dblk(out, f, &h, s, da, sb + pre, d * npages);
    }
    free(sp);
    if (rc < 0) goto done;
  }
  rc = 0;
done:
  free(sb);
  free(ib);
  free(ptrs);
  return rc;
}

/* ---- real files ----------------------------------------------------------------------------------- */

static const char gen_script[] =
    "import sys, h5py, numpy as np\n"
    "out = sys.argv[1]\n"
    "man = open(out + '/manifest.txt', 'w')\n"
    "def mk(f, fname, name, shape, chunks, dtype, maxshape=None, **kw):\n"
    "    d = f.create_dataset(name, shape=shape, maxshape=maxshape, chunks=chunks, dtype=dtype, **kw)\n"
    "    return d\n"
    "def dump(fname, f):\n"
    "    def visit(name, obj):\n"
    "        if isinstance(obj, h5py.Dataset):\n"
    "            man.write('%s %s %d\\n' % (fname, name, h5py.h5o.get_info(obj.id).addr))\n"
    "    f.visititems(visit)\n"
    "with h5py.File(out + '/latest.h5', 'w', libver='latest') as f:\n"
    "    d = mk(f, 'l', 'fa_small', (100,), (10,), 'i4'); d[:] = np.arange(100)\n"
    "    d = mk(f, 'l', 'fa_2d', (100, 90), (7, 8), 'i2'); d[10:40, 5:60] = 1; d[99, 89] = 2\n"
    "    d = mk(f, 'l', 'fa_paged', (5000,), (4,), 'i4'); d[:] = np.arange(5000)\n"
    "    d = mk(f, 'l', 'fa_tail', (5000,), (4,), 'i4'); d[4500:] = 7\n"
    "    d = mk(f, 'l', 'fa_filt', (3000,), (2,), 'i8', compression='gzip'); d[:1000] = np.arange(1000); d[2500:] = 5\n"
    "    d = mk(f, 'l', 'fa_max', (10, 10), (3, 4), 'u1', maxshape=(20, 30)); d[:] = 3\n"
    "    d = mk(f, 'l', 'fa_3d', (6, 5, 8), (2, 2, 3), 'f4', compression='lzf'); d[0:3, :, 1:] = 1.5\n"
    "    d = mk(f, 'l', 'ea_small', (10,), (4,), 'i4', maxshape=(None,)); d[:] = np.arange(10)\n"
    "    d = mk(f, 'l', 'ea_1d', (140000,), (1,), 'u1', maxshape=(None,)); d[:1500] = 1; d[135000:135600] = 2\n"
    "    d = mk(f, 'l', 'ea_filt', (3000,), (3,), 'i4', maxshape=(None,), compression='gzip', shuffle=True)\n"
    "    d[100:2000] = np.arange(1900)\n"
    "    d = mk(f, 'l', 'ea_2d', (30, 50), (4, 6), 'i4', maxshape=(30, None)); d[:] = 1\n"
    "    d = mk(f, 'l', 'ea_grow', (0, 3), (5, 3), 'i4', maxshape=(None, 3))\n"
    "    for i in range(40):\n"
    "        d.resize((d.shape[0] + 7, 3)); d[-7:] = i\n"
    "    d = mk(f, 'l', 'bt2_small', (40, 30), (10, 10), 'i4', maxshape=(None, None)); d[:] = 1\n"
    "    d = mk(f, 'l', 'bt2_filt', (40, 30), (3, 4), 'i4', maxshape=(None, None), compression='gzip')\n"
    "    d[5:20, :] = np.arange(30)\n"
    "    d = mk(f, 'l', 'bt2_big', (60, 50, 4), (2, 2, 4), 'u1', maxshape=(None, None, 4)); d[:, :40, :] = 1\n"
    "    mk(f, 'l', 'fa_empty', (100,), (10,), 'i4'); mk(f, 'l', 'ea_empty', (100,), (10,), 'i4', maxshape=(None,))\n"
    "    mk(f, 'l', 'bt2_empty', (10, 10), (5, 5), 'i4', maxshape=(None, None))\n"
    "    dump('latest.h5', f)\n"
    "with h5py.File(out + '/earliest.h5', 'w', libver='earliest') as f:\n"
    "    d = mk(f, 'e', 'bt1_small', (100,), (10,), 'i4'); d[:] = np.arange(100)\n"
    "    d = mk(f, 'e', 'bt1_2d', (20, 30), (7, 9), 'i4'); d[:] = 3\n"
    "    d = mk(f, 'e', 'bt1_3d', (9, 8, 7), (2, 3, 4), 'i4'); d[1:8, :, 3:] = 4\n"
    "    d = mk(f, 'e', 'bt1_filt', (200, 300), (7, 9), 'i4', compression='gzip', fletcher32=True); d[:100, :] = 2\n"
    "    d = mk(f, 'e', 'bt1_deep', (3000,), (1,), 'u1', maxshape=(None,)); d[:] = 1\n"
    "    mk(f, 'e', 'bt1_empty', (100,), (10,), 'i4')\n"
    "    dump('earliest.h5', f)\n"
    "man.close()\n";

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

/* e2e: the file with our index appended and the dataset pointed at it. */
static int write_patched(const char *out_path, const uint8_t *file, size_t file_len, const h5k_fctx *f,
                         const dsinfo *di, const char *name) {
  const h5k_msg *m = h5k_ohdr_find(&di->oh, H5K_MSG_LAYOUT, NULL);
  h5k_wbuf w;
  uint64_t base = file_len, index_addr = 0;
  collect k = {0};
  uint8_t *img = NULL, *msg = NULL;
  size_t img_len, hits = 0, at = 0;
  int rc = -1;
  FILE *fp;
  wbuf_init(&w);
  if (!m || f->so != 8 || f->sl != 8) goto done;
  if (h5k_chunk_index_iterate(f, &di->g, collect_cb, &k) < 0) goto done;
  if (h5k_chunk_index_build(&w, base, &index_addr, f, &di->g, k.r, k.n) < 0) goto done;
  img = image_of(&w, base, 0, &img_len);
  if (!img) goto done;
  memcpy(img, file, file_len);
  /* the layout message in the file: its bytes, found once */
  for (size_t p = 0; p + m->size <= file_len; p++) {
    if (memcmp(file + p, m->data, m->size) == 0) {
      msg = img + p;
      hits++;
    }
  }
  if (hits != 1) {
    fprintf(stderr, "%s: layout message found %zu times\n", name, hits);
    goto done;
  }
  /* the old index address inside it, once */
  hits = 0;
  for (size_t p = 0; p + 8 <= m->size; p++) {
    if (get_le(msg + p, 8) == di->l.addr) {
      at = p;
      hits++;
    }
  }
  if (hits != 1) {
    fprintf(stderr, "%s: index address found %zu times in the layout message\n", name, hits);
    goto done;
  }
  put_le(msg + at, index_addr, 8);
  memcpy(img + di->l.addr, "XXXX", 4); /* the old index must not be what is read */
  /* object header checksum (version 2: chunk 0 must hold the message) */
  if (memcmp(img + di->oh.addr, "OHDR", 4) == 0) {
    uint8_t *oh = img + di->oh.addr, flags = oh[5];
    size_t pre = 6 + ((flags & 0x20) ? 16 : 0) + ((flags & 0x10) ? 4 : 0), wd = (size_t)1 << (flags & 3);
    size_t size0 = (size_t)get_le(oh + pre, wd), end = pre + wd + size0;
    if ((size_t)(msg - oh) >= end) {
      fprintf(stderr, "%s: layout message outside the first object header chunk\n", name);
      goto done;
    }
    fix_sum(oh, end + 4);
  }
  /* superblock end of file */
  if (img[8] == 0 || img[8] == 1) {
    put_le(img + (img[8] == 0 ? 40 : 44), img_len, 8); /* version 1: 4 more bytes (K, reserved) */
  } else {
    put_le(img + 28, img_len, 8);
    fix_sum(img, 48);
  }
  fp = fopen(out_path, "wb");
  if (!fp) goto done;
  if (fwrite(img, 1, img_len, fp) == img_len) rc = 0;
  if (fclose(fp) != 0) rc = -1;
done:
  free(img);
  free(k.r);
  wbuf_free(&w);
  return rc;
}

static void check_real_dataset(h5k_file *file, const uint8_t *bytes, size_t file_len, const char *name,
                               uint64_t addr, const char *e2e_dir, FILE *man, const char *orig_path) {
  const h5k_fctx *f = &file->fc;
  dsinfo di;
  collect k = {0};
  h5k_wbuf w, c1, c2;
  uint64_t index_addr = 0;
  int rc;
  wbuf_init(&w);
  wbuf_init(&c1);
  wbuf_init(&c2);
  if (ds_load(&di, f, addr) < 0) {
    fprintf(stderr, "%s: cannot load: %s\n", name, h5k_error_last());
    CHECK(0);
    goto done;
  }
  /* the index libhdf5 chose, and ours for the same dataspace */
  if (di.l.version >= 4) {
    h5k_layout l2 = di.l;
    CHECK_EQ_U(h5k_chunk_index_choose(&l2, &di.sp, di.g.filtered), 0);
    CHECK_EQ_U(l2.index, di.l.index);
    for (int i = 0; i < 6; i++) CHECK_EQ_U(l2.ia_params[i], di.l.ia_params[i]);
    l2.compact = NULL; /* not owned */
  }
  if (!strncmp(name, "fa", 2)) CHECK_EQ_U(di.l.index, H5K_CHUNK_INDEX_FARRAY);
  if (!strncmp(name, "ea", 2)) CHECK_EQ_U(di.l.index, H5K_CHUNK_INDEX_EARRAY);
  if (!strncmp(name, "bt2", 3)) CHECK_EQ_U(di.l.index, H5K_CHUNK_INDEX_BTREE2);
  if (!strncmp(name, "bt1", 3)) CHECK_EQ_U(di.l.index, H5K_CHUNK_INDEX_BTREE1);
  if (!addr_defined(di.l.addr)) {
    /* libhdf5 creates no index before the first chunk: nothing to compare; ours is empty */
    CHECK_EQ_U(h5k_chunk_index_build(&w, 4096, &index_addr, f, &di.g, NULL, 0), 0);
    CHECK(w.len > 0);
    goto done;
  }
  rc = h5k_chunk_index_iterate(f, &di.g, collect_cb, &k);
  CHECK_EQ_U(rc, 0);
  g_rank = di.g.rank;
  if (k.n) qsort(k.r, k.n, sizeof *k.r, cmp_rec);
  rc = h5k_chunk_index_build(&w, di.l.addr, &index_addr, f, &di.g, k.r, k.n);
  if (rc != 0) fprintf(stderr, "%s: build: %s\n", name, h5k_error_last());
  CHECK_EQ_U(rc, 0);
  if (rc != 0) goto done;
  {
    size_t img_len;
    uint8_t *img = image_of(&w, di.l.addr, file_len, &img_len);
    h5k_fctx mf;
    h5k_layout l2 = di.l;
    h5k_chunk_geom g2 = di.g;
    fctx_mem(&mf, img, img_len);
    mf.btree_k_chunk = f->btree_k_chunk;
    l2.addr = index_addr;
    l2.compact = NULL;
    g2.layout = &l2;
    check_reader(&mf, &g2, k.r, k.n, name);
    switch (di.l.index) {
    case H5K_CHUNK_INDEX_FARRAY:
    case H5K_CHUNK_INDEX_EARRAY: {
      int (*cf)(h5k_wbuf *, const h5k_fctx *, uint64_t) =
          di.l.index == H5K_CHUNK_INDEX_FARRAY ? canon_farray : canon_earray;
      CHECK_EQ_U(index_addr, di.l.addr);
      CHECK_EQ_U(cf(&c1, f, di.l.addr), 0);
      CHECK_EQ_U(cf(&c2, &mf, index_addr), 0);
      CHECK_EQ_U(c1.len, c2.len);
      if (c1.len != c2.len || memcmp(c1.p, c2.p, c1.len) != 0) {
        size_t i = 0;
        while (i < c1.len && i < c2.len && c1.p[i] == c2.p[i]) i++;
        fprintf(stderr, "%s: blocks differ from libhdf5's at canonical byte %zu of %zu/%zu\n", name, i, c1.len, c2.len);
        CHECK(0);
      }
      break;
    }
    case H5K_CHUNK_INDEX_BTREE1: {
      size_t key = 8 + 8 * ((size_t)di.g.rank + 1), two_k = 2 * (size_t)f->btree_k_chunk;
      size_t node_len = 8 + 2 * 8 + two_k * 8 + (two_k + 1) * key;
      CHECK_EQ_U(index_addr, di.l.addr);
      if (bytes[di.l.addr + 5] == 0) { /* the original is a single leaf: the same bytes */
        size_t i = 0;
        CHECK_EQ_U(w.len, node_len);
        while (i < w.len && i < node_len && w.p[i] == bytes[di.l.addr + i]) i++;
        if (i < node_len) fprintf(stderr, "%s: v1 B-tree leaf differs from libhdf5's at byte %zu (%02x, libhdf5 %02x)\n",
                                  name, i, i < w.len ? w.p[i] : 0, bytes[di.l.addr + i]);
        CHECK(i == node_len);
      }
      break;
    }
    case H5K_CHUNK_INDEX_BTREE2: {
      size_t hl = 22 + 8 + 8;
      uint32_t node_size = (uint32_t)get_le(bytes + di.l.addr + 6, 4);
      CHECK_EQ_U(index_addr, di.l.addr);
      if (get_le(bytes + di.l.addr + 12, 2) == 0) { /* depth 0: header and leaf */
        uint64_t root = get_le(bytes + di.l.addr + 16, 8);
        CHECK_EQ_U(w.len, hl + node_size);
        CHECK(memcmp(w.p, bytes + di.l.addr, 16) == 0);
        CHECK(memcmp(w.p + 24, bytes + di.l.addr + 24, hl - 24 - 4) == 0);
        CHECK(w.len == hl + node_size && memcmp(w.p + hl, bytes + root, node_size) == 0);
      }
      break;
    }
    default:
      CHECK(0);
    }
    h5k_io_close(mf.io);
    free(img);
  }
  /* the end-to-end file */
  if (e2e_dir) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s.h5", e2e_dir, name);
    rc = write_patched(path, bytes, file_len, f, &di, name);
    CHECK_EQ_U(rc, 0);
    if (rc == 0) {
      h5k_file *pf = NULL;
      if (man) fprintf(man, "%s %s %s\n", orig_path, path, name);
      /* h5kit reads it back through the dataset's layout message */
      CHECK_EQ_U(h5k_open(&pf, path, NULL), 0);
      if (pf) {
        dsinfo d2;
        if (ds_load(&d2, &pf->fc, addr) == 0) {
          collect k2 = {0};
          CHECK(d2.l.addr != di.l.addr);
          CHECK_EQ_U(h5k_chunk_index_iterate(&pf->fc, &d2.g, collect_cb, &k2), 0);
          CHECK_EQ_U(k2.n, k.n);
          free(k2.r);
        } else {
          CHECK(0);
        }
        ds_free(&d2);
        h5k_close(pf);
      }
    }
  }
done:
  free(k.r);
  wbuf_free(&w);
  wbuf_free(&c1);
  wbuf_free(&c2);
  ds_free(&di);
}

static void test_real(const char *e2e_dir) {
  char tmp[64] = "/tmp/h5k_cib_XXXXXX", path[600], e2e_tmp[128];
  const char *dir;
  char **lines;
  size_t nlines = 0, seen = 0;
  FILE *man = NULL;
  if (!have_h5py()) {
    fprintf(stderr, "test_chunk_index_build: h5py not available, real-file tests skipped\n");
    return;
  }
  /* with --e2e the originals and patched files stay in that directory */
  dir = e2e_dir ? e2e_dir : mkdtemp(tmp);
  if (!dir || run_gen_script(dir, gen_script, dir) != 0) {
    CHECK(0);
    return;
  }
  if (!e2e_dir) {
    snprintf(e2e_tmp, sizeof e2e_tmp, "%s", dir);
    e2e_dir = e2e_tmp;
  } else {
    snprintf(path, sizeof path, "%s/e2e.txt", e2e_dir);
    man = fopen(path, "w");
    CHECK(man != NULL);
  }
  snprintf(path, sizeof path, "%s/manifest.txt", dir);
  lines = read_lines(path, &nlines);
  CHECK(lines != NULL);
  for (size_t i = 0; i < nlines; i++) {
    char fname[64], name[64];
    unsigned long long addr;
    h5k_file *file = NULL;
    uint8_t *bytes;
    size_t len;
    if (sscanf(lines[i], "%63s %63s %llu", fname, name, &addr) != 3) continue;
    snprintf(path, sizeof path, "%s/%s", dir, fname);
    bytes = slurp(path, &len);
    if (!bytes || h5k_open(&file, path, NULL) < 0) {
      CHECK(0);
      free(bytes);
      continue;
    }
    check_real_dataset(file, bytes, len, name, addr, e2e_dir, man, path);
    seen++;
    h5k_close(file);
    free(bytes);
  }
  CHECK(seen >= 22);
  free_lines(lines, nlines);
  if (man) fclose(man);
  if (dir == tmp) remove_dir(tmp);
}

/* ---- synthetic indexes ---------------------------------------------------------------------------- */

static uint64_t lcg(uint64_t *s) {
  *s = *s * 6364136223846793005u + 1442695040888963407u;
  return *s >> 33;
}

static void set_layout(h5k_layout *l, h5k_chunk_geom *g, h5k_chunk_index idx, unsigned rank, const uint64_t *dims,
                       const uint64_t *maxdims, const uint64_t *chunk, uint64_t esize, int filtered) {
  memset(l, 0, sizeof *l);
  memset(g, 0, sizeof *g);
  l->version = idx == H5K_CHUNK_INDEX_BTREE1 ? 3 : 4;
  l->cls = H5K_LAYOUT_CHUNKED;
  l->rank = rank;
  l->elem_size = esize;
  l->index = idx;
  g->layout = l;
  g->rank = rank;
  g->filtered = filtered;
  g->chunk_bytes = esize;
  for (unsigned i = 0; i < rank; i++) {
    l->chunk[i] = chunk[i];
    g->dims[i] = dims[i];
    g->maxdims[i] = maxdims[i];
    g->chunk_bytes *= chunk[i];
  }
}

/* n distinct chunks of the current grid, picked with stride-free pseudo-random sampling
 * (fraction num/den of the grid), with addresses from 64 on, sizes/masks varied if filtered. */
static size_t pick(h5k_chunk_rec **out, const h5k_chunk_geom *g, uint64_t num, uint64_t den, uint64_t seed) {
  uint64_t cur[H5K_MAX_DIMS], total = 1, s = seed;
  size_t n = 0, cap = 1024;
  h5k_chunk_rec *r = malloc(cap * sizeof *r);
  for (unsigned d = 0; d < g->rank; d++) {
    cur[d] = (g->dims[d] + g->layout->chunk[d] - 1) / g->layout->chunk[d];
    total *= cur[d];
  }
  for (uint64_t t = 0; t < total && r; t++) {
    uint64_t x = t;
    if (lcg(&s) % den >= num) continue;
    if (n == cap) r = realloc(r, (cap *= 2) * sizeof *r);
    if (!r) break;
    memset(&r[n], 0, sizeof r[n]);
    for (unsigned d = g->rank; d-- > 0;) {
      r[n].scaled[d] = x % cur[d];
      x /= cur[d];
    }
    r[n].addr = 64 + n * g->chunk_bytes;
    r[n].size = g->filtered ? 1 + (n * 7) % g->chunk_bytes : g->chunk_bytes;
    r[n].mask = g->filtered ? (uint32_t)(n % 3) : 0;
    n++;
  }
  *out = r;
  return n;
}

/* Build, check the size does not depend on the base, and read back with our reader. Records
 * are passed shuffled (the builder sorts). */
static void synth(const char *name, h5k_layout *l, h5k_chunk_geom *g, h5k_chunk_rec *recs, size_t n, unsigned k) {
  h5k_fctx f = fctx_sizes(8, 8, 0), mf;
  h5k_wbuf w, w2;
  uint64_t base = 64 + n * g->chunk_bytes + 100, ia = 0, ia2 = 0, s = 99;
  h5k_chunk_rec *shuf = malloc((n ? n : 1) * sizeof *shuf);
  size_t img_len;
  uint8_t *img;
  int rc;
  f.btree_k_chunk = k;
  wbuf_init(&w);
  wbuf_init(&w2);
  memcpy(shuf, recs, n * sizeof *recs);
  for (size_t i = n; i > 1; i--) {
    size_t j = (size_t)(lcg(&s) % i);
    h5k_chunk_rec t = shuf[i - 1];
    shuf[i - 1] = shuf[j];
    shuf[j] = t;
  }
  rc = h5k_chunk_index_build(&w, base, &ia, &f, g, shuf, n);
  if (rc != 0) fprintf(stderr, "%s: build: %s\n", name, h5k_error_last());
  CHECK_EQ_U(rc, 0);
  wr_zero(&w2, 7); /* appending after existing bytes works too */
  CHECK_EQ_U(h5k_chunk_index_build(&w2, base + 12345, &ia2, &f, g, shuf, n), 0);
  CHECK_EQ_U(w2.len - 7, w.len);
  CHECK_EQ_U(ia2 - 12345, ia);
  free(shuf);
  if (rc != 0) goto done;
  img = image_of(&w, base, 0, &img_len);
  fctx_mem(&mf, img, img_len);
  mf.btree_k_chunk = k;
  l->addr = ia;
  g_rank = g->rank;
  if (n) qsort(recs, n, sizeof *recs, cmp_rec);
  check_reader(&mf, g, recs, n, name);
  h5k_io_close(mf.io);
  free(img);
done:
  wbuf_free(&w);
  wbuf_free(&w2);
}

static void test_synthetic(void) {
  h5k_layout l;
  h5k_chunk_geom g;
  h5k_chunk_rec *r = NULL;
  size_t n;
  {
    const uint64_t dims[2] = {1000, 1000}, ch[2] = {10, 10};
    set_layout(&l, &g, H5K_CHUNK_INDEX_BTREE1, 2, dims, dims, ch, 4, 0);
    n = pick(&r, &g, 1, 2, 1);
    CHECK(n > 4500);
    synth("bt1 3 levels", &l, &g, r, n, 32);
    synth("bt1 K=4", &l, &g, r, n, 4);
    synth("bt1 one chunk", &l, &g, r, 1, 32);
    synth("bt1 empty", &l, &g, r, 0, 32);
    g.filtered = 1;
    free(r);
    n = pick(&r, &g, 1, 3, 2);
    synth("bt1 filtered", &l, &g, r, n, 8);
    free(r);
  }
  {
    const uint64_t dims[1] = {100000}, mx[1] = {H5K_UNLIMITED}, ch[1] = {1};
    set_layout(&l, &g, H5K_CHUNK_INDEX_BTREE2, 1, dims, mx, ch, 8, 0);
    l.ia_params[0] = 2048, l.ia_params[1] = 100, l.ia_params[2] = 40;
    n = pick(&r, &g, 1, 5, 3);
    synth("bt2 depth 2", &l, &g, r, n, 0);
    l.ia_params[0] = 512;
    synth("bt2 depth 3", &l, &g, r, n, 0);
    synth("bt2 empty", &l, &g, r, 0, 0);
    free(r);
  }
  {
    const uint64_t dims[2] = {200, 300}, mx[2] = {H5K_UNLIMITED, H5K_UNLIMITED}, ch[2] = {2, 3};
    set_layout(&l, &g, H5K_CHUNK_INDEX_BTREE2, 2, dims, mx, ch, 2, 1);
    l.ia_params[0] = 2048, l.ia_params[1] = 100, l.ia_params[2] = 40;
    n = pick(&r, &g, 1, 3, 4);
    synth("bt2 filtered", &l, &g, r, n, 0);
    free(r);
  }
  {
    const uint64_t dims[2] = {300, 300}, mx[2] = {310, 300}, ch[2] = {3, 3};
    set_layout(&l, &g, H5K_CHUNK_INDEX_FARRAY, 2, dims, mx, ch, 4, 0);
    l.ia_params[0] = 10;
    n = pick(&r, &g, 1, 40, 5);
    synth("farray paged sparse", &l, &g, r, n, 0);
    synth("farray empty", &l, &g, r, 0, 0);
    l.ia_params[0] = 4;
    g.filtered = 1;
    free(r);
    n = pick(&r, &g, 1, 2, 6);
    synth("farray filtered, 16-element pages", &l, &g, r, n, 0);
    free(r);
  }
  {
    const uint64_t dims[1] = {300000}, mx[1] = {H5K_UNLIMITED}, ch[1] = {1};
    set_layout(&l, &g, H5K_CHUNK_INDEX_EARRAY, 1, dims, mx, ch, 1, 0);
    l.ia_params[0] = 32, l.ia_params[1] = 4, l.ia_params[2] = 16, l.ia_params[3] = 4, l.ia_params[4] = 10;
    n = pick(&r, &g, 1, 100, 7);
    synth("earray default parameters, sparse", &l, &g, r, n, 0);
    synth("earray empty", &l, &g, r, 0, 0);
    synth("earray index block only", &l, &g, r, 2, 0);
    g.filtered = 1;
    g.chunk_bytes = 70000; /* a 3-byte size field */
    for (size_t i = 0; i < n; i++) r[i].size = 60000 + i;
    synth("earray filtered", &l, &g, r, n, 0);
    free(r);
  }
  {
    const uint64_t dims[3] = {7, 500, 5}, mx[3] = {7, H5K_UNLIMITED, 9}, ch[3] = {2, 1, 3};
    set_layout(&l, &g, H5K_CHUNK_INDEX_EARRAY, 3, dims, mx, ch, 4, 0);
    l.ia_params[0] = 20, l.ia_params[1] = 2, l.ia_params[2] = 4, l.ia_params[3] = 2, l.ia_params[4] = 3;
    n = pick(&r, &g, 1, 3, 8);
    synth("earray 3-D, unlimited middle, small pages", &l, &g, r, n, 0);
    free(r);
  }
}

/* ---- argument errors, parameter choice ------------------------------------------------------------ */

static void test_errors(void) {
  h5k_fctx f = fctx_sizes(8, 8, 0);
  h5k_layout l;
  h5k_chunk_geom g;
  h5k_chunk_rec r[2];
  h5k_wbuf w;
  uint64_t ia;
  const uint64_t dims[1] = {100}, ch[1] = {10}, unl[1] = {H5K_UNLIMITED};
  wbuf_init(&w);
  memset(r, 0, sizeof r);
  r[0].addr = 1000, r[0].size = 40, r[0].scaled[0] = 3;
  r[1] = r[0];
  r[1].addr = 2000;
  set_layout(&l, &g, H5K_CHUNK_INDEX_FARRAY, 1, dims, dims, ch, 4, 0);
  l.ia_params[0] = 10;
  CHECK(h5k_chunk_index_build(NULL, 0, &ia, &f, &g, r, 1) == H5K_EINVAL);
  CHECK(h5k_chunk_index_build(&w, 0, &ia, &f, &g, NULL, 1) == H5K_EINVAL);
  CHECK(h5k_chunk_index_build(&w, 0, &ia, &f, &g, r, 2) == H5K_EINVAL); /* duplicate */
  r[1].scaled[0] = 10;                                                   /* outside the 10 chunks */
  CHECK(h5k_chunk_index_build(&w, 0, &ia, &f, &g, r, 2) == H5K_EINVAL);
  r[1].scaled[0] = 4;
  r[1].addr = H5K_ADDR_UNDEF;
  CHECK(h5k_chunk_index_build(&w, 0, &ia, &f, &g, r, 2) == H5K_EINVAL);
  r[1].addr = 2000;
  CHECK_EQ_U(h5k_chunk_index_build(&w, 0, &ia, &f, &g, r, 2), 0);
  l.ia_params[0] = 0;
  CHECK(h5k_chunk_index_build(&w, 0, &ia, &f, &g, r, 2) == H5K_EINVAL);
  l.index = H5K_CHUNK_INDEX_SINGLE;
  CHECK(h5k_chunk_index_build(&w, 0, &ia, &f, &g, r, 1) == H5K_EINVAL);
  l.index = H5K_CHUNK_INDEX_IMPLICIT;
  CHECK(h5k_chunk_index_build(&w, 0, &ia, &f, &g, r, 1) == H5K_EINVAL);
  /* filtered: 40-byte chunks get a 2-byte size field */
  set_layout(&l, &g, H5K_CHUNK_INDEX_EARRAY, 1, dims, unl, ch, 4, 1);
  l.ia_params[0] = 32, l.ia_params[1] = 4, l.ia_params[2] = 16, l.ia_params[3] = 4, l.ia_params[4] = 10;
  r[0].size = 65535;
  CHECK_EQ_U(h5k_chunk_index_build(&w, 0, &ia, &f, &g, r, 1), 0);
  r[0].size = 65536;
  CHECK(h5k_chunk_index_build(&w, 0, &ia, &f, &g, r, 1) == H5K_EINVAL);
  r[0].size = 40;
  r[0].scaled[0] = UINT64_C(1) << 32; /* beyond 2^max bits */
  CHECK(h5k_chunk_index_build(&w, 0, &ia, &f, &g, r, 1) == H5K_EINVAL);
  r[0].scaled[0] = 3;
  l.ia_params[3] = 3; /* not a power of two */
  CHECK(h5k_chunk_index_build(&w, 0, &ia, &f, &g, r, 1) == H5K_EINVAL);
  set_layout(&l, &g, H5K_CHUNK_INDEX_BTREE1, 1, dims, dims, ch, 4, 0);
  r[0].size = UINT64_C(1) << 32;
  CHECK(h5k_chunk_index_build(&w, 0, &ia, &f, &g, r, 1) == H5K_EINVAL);
  r[0].size = 40;
  set_layout(&l, &g, H5K_CHUNK_INDEX_BTREE2, 1, dims, unl, ch, 4, 0);
  l.ia_params[0] = 20, l.ia_params[1] = 100, l.ia_params[2] = 40; /* node too small for a record */
  CHECK(h5k_chunk_index_build(&w, 0, &ia, &f, &g, r, 1) == H5K_EINVAL);
  wbuf_free(&w);

  /* the size field width (spec formula: 1 + (floor(log2 bytes) + 8) / 8, at most 8) */
  CHECK_EQ_U(h5k_chunk_size_width(1), 2);
  CHECK_EQ_U(h5k_chunk_size_width(255), 2);
  CHECK_EQ_U(h5k_chunk_size_width(256), 3);
  CHECK_EQ_U(h5k_chunk_size_width(UINT64_C(1) << 40), 7);
  CHECK_EQ_U(h5k_chunk_size_width(UINT64_C(1) << 56), 8);

  /* choice: what h5py/libhdf5 1.10 did for these shapes (see also the real files) */
  {
    h5k_dataspace sp;
    memset(&sp, 0, sizeof sp);
    memset(&l, 0, sizeof l);
    sp.kind = H5K_SPACE_SIMPLE;
    sp.rank = l.rank = 2;
    sp.dims[0] = sp.maxdims[0] = l.chunk[0] = 10;
    sp.dims[1] = sp.maxdims[1] = l.chunk[1] = 20;
    CHECK_EQ_U(h5k_chunk_index_choose(&l, &sp, 1), 0);
    CHECK_EQ_U(l.index, H5K_CHUNK_INDEX_SINGLE);
    CHECK_EQ_U(l.flags & 2, 2);
    CHECK_EQ_U(h5k_chunk_index_choose(&l, &sp, 0), 0);
    CHECK_EQ_U(l.flags & 2, 0);
    sp.maxdims[0] = 20; /* max above dims: fixed array */
    CHECK_EQ_U(h5k_chunk_index_choose(&l, &sp, 0), 0);
    CHECK_EQ_U(l.index, H5K_CHUNK_INDEX_FARRAY);
    CHECK_EQ_U(l.ia_params[0], 10);
    sp.maxdims[0] = H5K_UNLIMITED;
    CHECK_EQ_U(h5k_chunk_index_choose(&l, &sp, 0), 0);
    CHECK_EQ_U(l.index, H5K_CHUNK_INDEX_EARRAY);
    sp.maxdims[1] = H5K_UNLIMITED;
    CHECK_EQ_U(h5k_chunk_index_choose(&l, &sp, 0), 0);
    CHECK_EQ_U(l.index, H5K_CHUNK_INDEX_BTREE2);
    CHECK_EQ_U(l.ia_params[0], 2048);
    sp.kind = H5K_SPACE_SCALAR;
    sp.rank = 0;
    CHECK(h5k_chunk_index_choose(&l, &sp, 0) == H5K_EINVAL);
  }
}

int main(int argc, char **argv) {
  const char *e2e = NULL;
  if (argc == 3 && strcmp(argv[1], "--e2e") == 0) e2e = argv[2];
  test_errors();
  test_synthetic();
  test_real(e2e);
  return test_finish("test_chunk_index_build");
}
