/* Chunk indexes — HDF5 File Format Specification 3.0: IV.A.2.i (Data Layout message, chunked
 * storage: index types), III.A.1 (version 1 B-trees, node type 1), III.A.2 (version 2 B-trees,
 * record types 10 and 11), and the Fixed Array / Extensible Array structures (fixed_array.c,
 * extensible_array.c). This file turns each index's entries into h5k_chunk_rec values.
 * (O = size of offsets, r = dataset rank, W = width of a filtered chunk's size field.)
 *
 *   index              where a chunk's entry lives                         entry
 *   v1 B-tree (v1-3)   leaf key left of the chunk address                  size (4), mask (4),
 *                                                                          (r + 1) x offset in
 *                                                                          elements (8; last 0)
 *   single chunk       the layout message (address, and size + mask when filtered)
 *   implicit           none: chunk i at index address + i x chunk bytes
 *   fixed array        element i (i = row-major chunk number over the maximum dims)
 *                        unfiltered: address (O)      filtered: address (O), size (W), mask (4)
 *   extensible array   element i (i = row-major chunk number with the unlimited dimension moved
 *                        first), elements as for the fixed array
 *   v2 B-tree          type 10: address (O), r x scaled offset (8)
 *                      type 11: address (O), size (W), mask (4), r x scaled offset (8)
 * W is whatever the structure leaves: entry size - O - 4, or record size - O - 4 - 8r; the
 * reference library picks 1 + (log2(chunk bytes) + 8) / 8 bytes, capped at 8.
 *
 * Chunk numbering for the arrays and the implicit index follows the reference library: the
 * number of chunks along each dimension is taken from the maximum dims (ceil(max / chunk));
 * for the extensible array the one unlimited dimension is "swizzled" to the front (slowest),
 * the other dimensions keeping their order, and its own count is never needed.
 */
#include "format/layout.h"

#include <stdlib.h>
#include <string.h>

#include "format/btree1.h"
#include "format/btree2.h"
#include "format/extensible_array.h"
#include "format/fixed_array.h"
#include "util/checked.h"
#include "util/error.h"

/* The chunk grid of a dataset. */
typedef struct grid {
  unsigned rank;
  uint64_t cur[H5K_MAX_DIMS];   /* chunks along each dim over the current dims */
  unsigned order[H5K_MAX_DIMS]; /* linearisation order: order[0] slowest */
  uint64_t cnt[H5K_MAX_DIMS];   /* chunks along order[k] used for linearisation (cnt[0] unused) */
  uint64_t total;               /* product of cnt (with cnt[0]); UINT64_MAX if unbounded/overflow */
} grid;

static uint64_t div_up(uint64_t a, uint64_t b) { return a / b + (a % b != 0); }

/* swizzle_unlim: move the (first) unlimited dimension to the front (extensible arrays). */
static int grid_make(grid *gr, const h5k_chunk_geom *g, int swizzle_unlim) {
  const h5k_layout *l = g->layout;
  unsigned r = g->rank, u = 0, k = 0;
  int has_unlim = 0;
  memset(gr, 0, sizeof *gr);
  gr->rank = r;
  for (unsigned i = 0; i < r; i++) gr->cur[i] = div_up(g->dims[i], l->chunk[i]);
  if (swizzle_unlim) {
    for (unsigned i = 0; i < r; i++) {
      if (g->maxdims[i] == H5K_UNLIMITED) {
        u = i;
        has_unlim = 1;
        break;
      }
    }
  }
  if (has_unlim) gr->order[k++] = u;
  for (unsigned i = 0; i < r; i++) {
    if (!(has_unlim && i == u)) gr->order[k++] = i;
  }
  gr->total = 1;
  for (unsigned k2 = 0; k2 < r; k2++) {
    unsigned d = gr->order[k2];
    uint64_t m = g->maxdims[d] == H5K_UNLIMITED ? H5K_UNLIMITED : div_up(g->maxdims[d], l->chunk[d]);
    if (m == H5K_UNLIMITED) {
      if (k2 != 0 || !swizzle_unlim) m = gr->cur[d]; /* not expected: fall back on the current extent */
      else {
        gr->cnt[k2] = m;
        gr->total = UINT64_MAX;
        continue;
      }
    }
    gr->cnt[k2] = m;
    if (gr->total != UINT64_MAX && ck_mul64(gr->total, m, &gr->total)) gr->total = UINT64_MAX;
  }
  /* Dims after the first must have a finite product (they bound the linear index). */
  {
    uint64_t p = 1;
    for (unsigned k2 = 1; k2 < r; k2++) {
      if (ck_mul64(p, gr->cnt[k2], &p))
        return corrupt("chunk index: number of chunks overflows for the dataset's maximum dims");
    }
  }
  return 0;
}

static int grid_linear(uint64_t *out, const grid *gr, const uint64_t *scaled) {
  uint64_t idx = 0;
  for (unsigned k = 0; k < gr->rank; k++) {
    unsigned d = gr->order[k];
    if (k > 0 && scaled[d] >= gr->cnt[k]) return h5k_err(H5K_EINVAL, "chunk coordinate %u outside the maximum dims", d);
    if (ck_mul64(idx, k > 0 ? gr->cnt[k] : 1, &idx) || ck_add64(idx, scaled[d], &idx))
      return h5k_err(H5K_EINVAL, "chunk index overflows");
  }
  *out = idx;
  return 0;
}

static void grid_unlinear(uint64_t *scaled, const grid *gr, uint64_t idx) {
  for (unsigned k = gr->rank; k-- > 1;) {
    unsigned d = gr->order[k];
    scaled[d] = gr->cnt[k] ? idx % gr->cnt[k] : 0;
    idx = gr->cnt[k] ? idx / gr->cnt[k] : 0;
  }
  scaled[gr->order[0]] = idx;
}

static int check_geom(const h5k_chunk_geom *g) {
  const h5k_layout *l = g ? g->layout : NULL;
  if (!g || !l) return h5k_err(H5K_EINVAL, "chunk index: no geometry");
  if (l->cls != H5K_LAYOUT_CHUNKED) return h5k_err(H5K_EINVAL, "chunk index: the layout is not chunked");
  if (g->rank == 0 || g->rank > H5K_MAX_DIMS || g->rank != l->rank)
    return h5k_err(H5K_EINVAL, "chunk index: rank %u does not match the layout's %u", g->rank, l->rank);
  for (unsigned i = 0; i < g->rank; i++) {
    if (l->chunk[i] == 0) return h5k_err(H5K_EINVAL, "chunk index: zero chunk dimension");
  }
  return 0;
}

/* Address of a chunk must lie inside the file (its size too, when known). */
static int check_rec(const h5k_fctx *f, const h5k_chunk_rec *c, const char *what) {
  if (!fctx_range_ok(f, c->addr, c->size))
    return corrupt("%s: chunk at address %llu (%llu bytes) lies outside the file", what,
                   (unsigned long long)c->addr, (unsigned long long)c->size);
  return 0;
}

/* Decode a fixed/extensible array element. Returns 1 when the chunk is allocated. */
static int decode_elem(h5k_chunk_rec *rec, const h5k_fctx *f, const h5k_chunk_geom *g, unsigned client,
                       unsigned elem_size, const uint8_t *elem) {
  h5k_cur c;
  cur_init(&c, elem, elem_size);
  rec->addr = rd_addr(&c, f);
  if (client == 1) {
    rec->size = rd_uvar(&c, elem_size - f->so - 4);
    rec->mask = rd_le32(&c);
  } else {
    rec->size = g->chunk_bytes;
    rec->mask = 0;
  }
  return addr_defined(rec->addr);
}

/* The element layout an array header must have for this dataset. */
static int check_client(const h5k_fctx *f, const h5k_chunk_geom *g, unsigned client, unsigned elem_size,
                        const char *what, uint64_t addr) {
  if (client != (g->filtered ? 1u : 0u))
    return corrupt("%s at address %llu: client ID %u for a dataset %s filters", what, (unsigned long long)addr, client,
                   g->filtered ? "with" : "without");
  if (client == 0 && elem_size != f->so)
    return corrupt("%s at address %llu: element size %u, expected %u", what, (unsigned long long)addr, elem_size, f->so);
  if (client == 1 && (elem_size < f->so + 4 + 1 || elem_size > f->so + 4 + 8))
    return corrupt("%s at address %llu: filtered element size %u out of range", what, (unsigned long long)addr,
                   elem_size);
  return 0;
}

/* ---- v1 B-tree ------------------------------------------------------------------------------------ */

typedef struct bt1_ud {
  const h5k_fctx *f;
  const h5k_chunk_geom *g;
  h5k_chunk_rec_cb cb;
  void *ud;
} bt1_ud;

static int bt1_key(h5k_chunk_rec *rec, const h5k_chunk_geom *g, const uint8_t *key, uint64_t node) {
  h5k_cur c;
  cur_init(&c, key, 8 + 8 * ((size_t)g->rank + 1));
  rec->size = rd_le32(&c);
  rec->mask = rd_le32(&c);
  for (unsigned i = 0; i < g->rank; i++) {
    uint64_t off = rd_le64(&c);
    if (off % g->layout->chunk[i] != 0)
      return corrupt("chunk B-tree node at address %llu: offset %llu in dimension %u is not a multiple of the chunk "
                     "size %llu",
                     (unsigned long long)node, (unsigned long long)off, i, (unsigned long long)g->layout->chunk[i]);
    rec->scaled[i] = off / g->layout->chunk[i];
  }
  return 0;
}

static int bt1_cb(void *vud, const uint8_t *left, const uint8_t *right, size_t key_size, uint64_t child) {
  bt1_ud *u = vud;
  h5k_chunk_rec rec;
  (void)right;
  (void)key_size;
  memset(&rec, 0, sizeof rec);
  TRY(bt1_key(&rec, u->g, left, child));
  rec.addr = child;
  TRY(check_rec(u->f, &rec, "chunk B-tree"));
  return u->cb(u->ud, &rec);
}

/* Compare the first `rank` offsets of a key with target (in elements): <0, 0, >0. */
static int bt1_cmp(const uint8_t *key, const uint64_t *target, unsigned rank) {
  h5k_cur c;
  cur_init(&c, key + 8, 8 * (size_t)rank);
  for (unsigned i = 0; i < rank; i++) {
    uint64_t v = rd_le64(&c);
    if (v < target[i]) return -1;
    if (v > target[i]) return 1;
  }
  return 0;
}

static int bt1_lookup(h5k_chunk_rec *out, const h5k_fctx *f, const h5k_chunk_geom *g, const uint64_t *scaled) {
  uint64_t target[H5K_MAX_DIMS], addr = g->layout->addr;
  unsigned rank = g->rank, ndims = rank + 1;
  int expect_level = -1;
  for (unsigned i = 0; i < rank; i++) target[i] = scaled[i] * g->layout->chunk[i]; /* < dims: no overflow */
  for (unsigned depth = 0;; depth++) {
    h5k_bt1_node n;
    int i, rc;
    if (depth > H5K_MAX_BTREE_DEPTH) return corrupt("chunk B-tree at address %llu: too deep", (unsigned long long)g->layout->addr);
    TRY(h5k_bt1_node_read(&n, f, addr, H5K_BT1_CHUNK, ndims));
    if ((expect_level >= 0 && n.level != (unsigned)expect_level) || n.level >= H5K_MAX_BTREE_DEPTH) {
      rc = corrupt("chunk B-tree node at address %llu: level %u, expected %d", (unsigned long long)addr, n.level,
                   expect_level);
      h5k_bt1_node_free(&n);
      return rc;
    }
    /* The last child whose left key is <= the target. */
    for (i = (int)n.nchildren - 1; i >= 0; i--) {
      if (bt1_cmp(n.keys + (size_t)i * n.key_size, target, rank) <= 0) break;
    }
    if (i < 0) {
      h5k_bt1_node_free(&n);
      return h5k_err(H5K_ENOTFOUND, "chunk not allocated");
    }
    if (n.level == 0) {
      if (bt1_cmp(n.keys + (size_t)i * n.key_size, target, rank) != 0) {
        h5k_bt1_node_free(&n);
        return h5k_err(H5K_ENOTFOUND, "chunk not allocated");
      }
      memset(out, 0, sizeof *out);
      rc = bt1_key(out, g, n.keys + (size_t)i * n.key_size, addr);
      out->addr = n.children[i];
      h5k_bt1_node_free(&n);
      if (rc < 0) return rc;
      return check_rec(f, out, "chunk B-tree");
    }
    expect_level = (int)n.level - 1;
    addr = n.children[i];
    h5k_bt1_node_free(&n);
  }
}

/* ---- v2 B-tree ------------------------------------------------------------------------------------ */

typedef struct bt2_ud {
  const h5k_fctx *f;
  const h5k_chunk_geom *g;
  h5k_chunk_rec_cb cb;
  void *ud;
  const uint64_t *target;
  h5k_chunk_rec *out;
  size_t width; /* filtered: bytes of the chunk size field (from the header's record size) */
} bt2_ud;

static int bt2_rec(h5k_chunk_rec *rec, const bt2_ud *u, const uint8_t *p, size_t n) {
  const h5k_fctx *f = u->f;
  unsigned rank = u->g->rank;
  size_t fixed = f->so + 8 * (size_t)rank;
  h5k_cur c;
  memset(rec, 0, sizeof *rec);
  cur_init(&c, p, n);
  rec->addr = rd_addr(&c, f);
  if (u->g->filtered) {
    size_t w = n >= fixed + 4 ? n - fixed - 4 : 0;
    if (w < 1 || w > 8) return corrupt("chunk v2 B-tree: record of %zu bytes does not fit rank %u", n, rank);
    rec->size = rd_uvar(&c, (unsigned)w);
    rec->mask = rd_le32(&c);
  } else {
    if (n != fixed) return corrupt("chunk v2 B-tree: record of %zu bytes, expected %zu", n, fixed);
    rec->size = u->g->chunk_bytes;
  }
  for (unsigned i = 0; i < rank; i++) rec->scaled[i] = rd_le64(&c);
  if (c.err) return corrupt("chunk v2 B-tree: record truncated");
  if (!addr_defined(rec->addr)) return corrupt("chunk v2 B-tree: record with an undefined address");
  return check_rec(f, rec, "chunk v2 B-tree");
}

static int bt2_iter_cb(void *vud, const uint8_t *p, size_t n) {
  bt2_ud *u = vud;
  h5k_chunk_rec rec;
  TRY(bt2_rec(&rec, u, p, n));
  return u->cb(u->ud, &rec);
}

static int bt2_cmp(void *vud, const uint8_t *p) {
  bt2_ud *u = vud;
  h5k_cur c;
  size_t off = u->f->so;
  if (u->g->filtered) off += u->width + 4;
  cur_init(&c, p + off, 8 * (size_t)u->g->rank);
  for (unsigned i = 0; i < u->g->rank; i++) {
    uint64_t v = rd_le64(&c);
    if (u->target[i] < v) return -1;
    if (u->target[i] > v) return 1;
  }
  return 0;
}

static int bt2_found(void *vud, const uint8_t *p, size_t n) {
  bt2_ud *u = vud;
  TRY(bt2_rec(u->out, u, p, n));
  return 1;
}

static int bt2_lookup(h5k_chunk_rec *out, const h5k_fctx *f, const h5k_chunk_geom *g, const uint64_t *scaled) {
  h5k_bt2_hdr hdr;
  bt2_ud u;
  unsigned type = g->filtered ? H5K_BT2_CHUNK_FILTERED : H5K_BT2_CHUNK;
  size_t fixed = f->so + 8 * (size_t)g->rank;
  int rc;
  TRY(h5k_bt2_read_header(&hdr, f, g->layout->addr));
  if (hdr.type != type)
    return corrupt("chunk v2 B-tree at address %llu: record type %u, expected %u", (unsigned long long)g->layout->addr,
                   hdr.type, type);
  memset(&u, 0, sizeof u);
  u.f = f;
  u.g = g;
  u.target = scaled;
  u.out = out;
  memset(out, 0, sizeof *out);
  if (g->filtered) {
    if (hdr.rec_size < fixed + 5 || hdr.rec_size > fixed + 12)
      return corrupt("chunk v2 B-tree at address %llu: record size %u does not fit rank %u",
                     (unsigned long long)g->layout->addr, hdr.rec_size, g->rank);
    u.width = hdr.rec_size - fixed - 4;
  }
  rc = h5k_bt2_find(f, g->layout->addr, type, bt2_cmp, bt2_found, &u);
  if (rc == 1) return 0;
  if (rc == H5K_ENOTFOUND) return h5k_err(H5K_ENOTFOUND, "chunk not allocated");
  return rc < 0 ? rc : corrupt("chunk v2 B-tree: unexpected result %d", rc);
}

/* ---- arrays --------------------------------------------------------------------------------------- */

typedef struct arr_ud {
  const h5k_fctx *f;
  const h5k_chunk_geom *g;
  const grid *gr;
  unsigned client, elem_size;
  h5k_chunk_rec_cb cb;
  void *ud;
  const char *what;
} arr_ud;

static int arr_cb(void *vud, uint64_t idx, const uint8_t *elem) {
  arr_ud *u = vud;
  h5k_chunk_rec rec;
  memset(&rec, 0, sizeof rec);
  if (!decode_elem(&rec, u->f, u->g, u->client, u->elem_size, elem)) return 0;
  if (u->gr->total != UINT64_MAX && idx >= u->gr->total)
    return corrupt("%s: chunk %llu allocated beyond the dataset's %llu chunks", u->what, (unsigned long long)idx,
                   (unsigned long long)u->gr->total);
  grid_unlinear(rec.scaled, u->gr, idx);
  TRY(check_rec(u->f, &rec, u->what));
  return u->cb(u->ud, &rec);
}

static int farray_open(h5k_farray_hdr *h, grid *gr, const h5k_fctx *f, const h5k_chunk_geom *g) {
  TRY(grid_make(gr, g, 0));
  TRY(h5k_farray_read_header(h, f, g->layout->addr));
  TRY(check_client(f, g, h->client_id, h->elem_size, "fixed array header", h->addr));
  if (h->nelmts != gr->total)
    return corrupt("fixed array header at address %llu: %llu elements for %llu chunks", (unsigned long long)h->addr,
                   (unsigned long long)h->nelmts, (unsigned long long)gr->total);
  return 0;
}

static int earray_open(h5k_earray_hdr *h, grid *gr, const h5k_fctx *f, const h5k_chunk_geom *g) {
  TRY(grid_make(gr, g, 1));
  TRY(h5k_earray_read_header(h, f, g->layout->addr));
  TRY(check_client(f, g, h->client_id, h->elem_size, "extensible array header", h->addr));
  return 0;
}

/* ---- implicit ------------------------------------------------------------------------------------- */

static int implicit_check(const h5k_fctx *f, const h5k_chunk_geom *g, const grid *gr) {
  uint64_t bytes;
  if (gr->total == UINT64_MAX || ck_mul64(gr->total, g->chunk_bytes, &bytes) ||
      !fctx_range_ok(f, g->layout->addr, bytes))
    return corrupt("implicit chunk index at address %llu: %llu chunks of %llu bytes run past the end of the file",
                   (unsigned long long)g->layout->addr, (unsigned long long)gr->total,
                   (unsigned long long)g->chunk_bytes);
  return 0;
}

/* ---- dispatch ------------------------------------------------------------------------------------- */

static void single_rec(h5k_chunk_rec *rec, const h5k_chunk_geom *g) {
  memset(rec, 0, sizeof *rec);
  rec->addr = g->layout->addr;
  if (g->layout->flags & 2) {
    rec->size = g->layout->single_size;
    rec->mask = g->layout->single_mask;
  } else {
    rec->size = g->chunk_bytes;
  }
}

int h5k_chunk_index_iterate(const h5k_fctx *f, const h5k_chunk_geom *g, h5k_chunk_rec_cb cb, void *ud) {
  const h5k_layout *l;
  grid gr;
  TRY(check_geom(g));
  l = g->layout;
  if (!cb) return h5k_err(H5K_EINVAL, "chunk iterate: no callback");
  if (!addr_defined(l->addr)) return 0; /* nothing allocated yet */
  switch (l->index) {
  case H5K_CHUNK_INDEX_BTREE1: {
    bt1_ud u = {f, g, cb, ud};
    return h5k_bt1_iterate(f, l->addr, H5K_BT1_CHUNK, g->rank + 1, bt1_cb, &u);
  }
  case H5K_CHUNK_INDEX_SINGLE: {
    h5k_chunk_rec rec;
    single_rec(&rec, g);
    TRY(check_rec(f, &rec, "single chunk index"));
    return cb(ud, &rec);
  }
  case H5K_CHUNK_INDEX_IMPLICIT: {
    uint64_t scaled[H5K_MAX_DIMS] = {0};
    int rc = 0;
    TRY(grid_make(&gr, g, 0));
    TRY(implicit_check(f, g, &gr));
    for (unsigned i = 0; i < g->rank; i++) {
      if (gr.cur[i] == 0) return 0;
    }
    /* Every chunk of the current extent, in row-major order; addresses by the maximum grid. */
    for (;;) {
      h5k_chunk_rec rec;
      uint64_t idx = 0;
      unsigned d;
      memset(&rec, 0, sizeof rec);
      TRY(grid_linear(&idx, &gr, scaled));
      memcpy(rec.scaled, scaled, sizeof rec.scaled);
      rec.addr = l->addr + idx * g->chunk_bytes; /* inside the file: implicit_check */
      rec.size = g->chunk_bytes;
      rc = cb(ud, &rec);
      if (rc != 0) return rc;
      for (d = g->rank; d-- > 0;) {
        if (++scaled[d] < gr.cur[d]) break;
        scaled[d] = 0;
      }
      if (d == (unsigned)-1) return 0;
    }
  }
  case H5K_CHUNK_INDEX_FARRAY: {
    h5k_farray_hdr h;
    arr_ud u;
    TRY(farray_open(&h, &gr, f, g));
    u = (arr_ud){f, g, &gr, h.client_id, h.elem_size, cb, ud, "fixed array"};
    return h5k_farray_iterate(f, &h, arr_cb, &u);
  }
  case H5K_CHUNK_INDEX_EARRAY: {
    h5k_earray_hdr h;
    arr_ud u;
    TRY(earray_open(&h, &gr, f, g));
    u = (arr_ud){f, g, &gr, h.client_id, h.elem_size, cb, ud, "extensible array"};
    return h5k_earray_iterate(f, &h, arr_cb, &u);
  }
  case H5K_CHUNK_INDEX_BTREE2: {
    bt2_ud u;
    memset(&u, 0, sizeof u);
    u.f = f;
    u.g = g;
    u.cb = cb;
    u.ud = ud;
    return h5k_bt2_iterate(f, l->addr, g->filtered ? H5K_BT2_CHUNK_FILTERED : H5K_BT2_CHUNK, bt2_iter_cb, &u);
  }
  }
  return corrupt("chunk index: unknown index type %u", (unsigned)l->index);
}

int h5k_chunk_index_lookup(h5k_chunk_rec *out, const h5k_fctx *f, const h5k_chunk_geom *g, const uint64_t *scaled) {
  const h5k_layout *l;
  grid gr;
  uint8_t elem[256];
  uint64_t idx = 0;
  TRY(check_geom(g));
  l = g->layout;
  if (!out || !scaled) return h5k_err(H5K_EINVAL, "chunk lookup: NULL argument");
  for (unsigned i = 0; i < g->rank; i++) {
    if (scaled[i] >= div_up(g->dims[i], l->chunk[i]))
      return h5k_err(H5K_EINVAL, "chunk lookup: coordinate %llu in dimension %u is outside the extent (%llu elements, "
                     "chunks of %llu)",
                     (unsigned long long)scaled[i], i, (unsigned long long)g->dims[i], (unsigned long long)l->chunk[i]);
  }
  if (!addr_defined(l->addr)) return h5k_err(H5K_ENOTFOUND, "chunk not allocated (no chunk index)");
  switch (l->index) {
  case H5K_CHUNK_INDEX_BTREE1:
    return bt1_lookup(out, f, g, scaled);
  case H5K_CHUNK_INDEX_SINGLE:
    for (unsigned i = 0; i < g->rank; i++) {
      if (scaled[i] != 0) return h5k_err(H5K_ENOTFOUND, "chunk not allocated (single chunk index)");
    }
    single_rec(out, g);
    return check_rec(f, out, "single chunk index");
  case H5K_CHUNK_INDEX_IMPLICIT:
    TRY(grid_make(&gr, g, 0));
    TRY(implicit_check(f, g, &gr));
    TRY(grid_linear(&idx, &gr, scaled));
    memset(out, 0, sizeof *out);
    memcpy(out->scaled, scaled, sizeof(uint64_t) * g->rank);
    out->addr = l->addr + idx * g->chunk_bytes;
    out->size = g->chunk_bytes;
    return 0;
  case H5K_CHUNK_INDEX_FARRAY: {
    h5k_farray_hdr h;
    TRY(farray_open(&h, &gr, f, g));
    TRY(grid_linear(&idx, &gr, scaled));
    TRY(h5k_farray_get(elem, f, &h, idx));
    memset(out, 0, sizeof *out);
    if (!decode_elem(out, f, g, h.client_id, h.elem_size, elem)) return h5k_err(H5K_ENOTFOUND, "chunk not allocated");
    memcpy(out->scaled, scaled, sizeof(uint64_t) * g->rank);
    return check_rec(f, out, "fixed array");
  }
  case H5K_CHUNK_INDEX_EARRAY: {
    h5k_earray_hdr h;
    TRY(earray_open(&h, &gr, f, g));
    TRY(grid_linear(&idx, &gr, scaled));
    TRY(h5k_earray_get(elem, f, &h, idx));
    memset(out, 0, sizeof *out);
    if (!decode_elem(out, f, g, h.client_id, h.elem_size, elem)) return h5k_err(H5K_ENOTFOUND, "chunk not allocated");
    memcpy(out->scaled, scaled, sizeof(uint64_t) * g->rank);
    return check_rec(f, out, "extensible array");
  }
  case H5K_CHUNK_INDEX_BTREE2:
    return bt2_lookup(out, f, g, scaled);
  }
  return corrupt("chunk index: unknown index type %u", (unsigned)l->index);
}
