/* Chunk index builders — HDF5 File Format Specification 3.0: III.A.1 (version 1 B-trees, node
 * type 1), III.A.2 (version 2 B-trees, record types 10 and 11), the Fixed Array and Extensible
 * Array structures, and IV.A.2.i (Data Layout message: which index, its parameters). The
 * readers are btree1.c, btree2.c, fixed_array.c, extensible_array.c and chunk_index.c; their
 * byte-layout tables apply here unchanged. Summary (O = size of offsets, L = size of lengths,
 * E = element size, W = filtered chunk size width, A = ceil(max bits / 8), r = rank):
 *
 *   v1 B-tree node   "TREE" | type 1 | level | entries n (2) | left O | right O |
 *                    key0 child0 key1 ... child(n-1) keyn, padded with zeros to 2K entries
 *                    key = chunk size (4) | filter mask (4) | r+1 offsets in elements (8 each)
 *   fixed array      FAHD: sig | 0 | client | E | page bits | nelmts L | data block O | sum
 *                    FADB: sig | 0 | client | header O | [page bitmap] | [elements] | sum,
 *                    then (paged) every page: elements | sum
 *   extensible array EAHD: sig | 0 | client | E | max bits | iblk elmts | dblk min elmts |
 *                          sblk min ptrs | page bits | 6 L statistics | index block O | sum
 *                    EAIB: sig | 0 | client | header O | elements | dblk addrs | sblk addrs | sum
 *                    EASB: sig | 0 | client | header O | block offset A | [page bitmaps] |
 *                          dblk addrs | sum
 *                    EADB: sig | 0 | client | header O | block offset A | [elements] | sum,
 *                          then (paged) its pages: elements | sum
 *   v2 B-tree        BTHD: sig | 0 | type | node size 4 | record size 2 | depth 2 | split |
 *                          merge | root O | root nrec 2 | total L | sum
 *                    BTLF: sig | 0 | type | records | sum, zeros to the node size
 *                    BTIN: sig | 0 | type | records | per child: address O, nrec, [total] |
 *                          sum, zeros to the node size
 *   elements / records: unfiltered: address O; filtered: address O | size W | mask 4;
 *                    v2 B-tree records append r scaled offsets (8 each).
 *
 * What the reference library (1.10) writes and this file reproduces, so that an index built for
 * chunks inserted in index order is byte-identical to libhdf5's (checked in
 * tests/unit/test_chunk_index_build.c):
 *   - W = 1 + (floor(log2(unfiltered chunk bytes)) + 8) / 8, capped at 8.
 *   - Unset array entries: address all ones, size 0, mask 0.
 *   - Blocks, super blocks and pages exist only where an element is set. A data block's space
 *     covers all its pages; pages never set are left as zeros and their bitmap bit clear.
 *   - The "block offset" of an extensible array data block the index block addresses is
 *     start(level) + (its position among all the index block's data block pointers) x block
 *     elements (what libhdf5 stores; the spec's "offset of the block in the array" is only
 *     reproduced for blocks under super blocks). Readers do not check it.
 *   - Extensible array statistics: super blocks and their bytes, data blocks and their bytes
 *     (pages and their checksums included), highest index set + 1, elements realised (index
 *     block elements plus every data block's).
 *   - v1 B-tree: the key right of the last chunk has size 0, mask 0 and the offsets libhdf5
 *     leaves after inserting the chunks in ascending order (bt1_final: not simply the last
 *     chunk + 1; the element-size dimension is 1 x element size). Every node takes the space
 *     of 2K entries; unused bytes are zero. Siblings are linked.
 *   - Empty index: a v1 B-tree is one empty leaf; array headers have an undefined block
 *     address; a v2 B-tree header has an undefined root.
 * Multi-node B-trees are laid out with the fewest nodes each level allows and the entries
 * spread evenly among them (libhdf5's shape depends on its insertion history and split rules;
 * ours is a valid tree for any reader or later writer: v1 leaves nearly full, v2 nodes at
 * least about half full, above any merge threshold up to 50 %). Storage order: v1 root first,
 * then each level left to right; v2 header first, then nodes children before parents; arrays
 * header, index/data block, then super blocks and data blocks in element order.
 */
#include "format/chunk_index_build.h"

#include <stdlib.h>
#include <string.h>

#include "format/btree2.h"
#include "format/extensible_array.h"
#include "util/checked.h"
#include "util/error.h"
#include "util/lookup3.h"

/* One chunk with its sort key (linear index for arrays). */
typedef struct ent {
  uint64_t idx;
  h5k_chunk_rec r;
} ent;

/* What every builder needs. */
typedef struct bctx {
  h5k_wbuf *w;
  size_t start;       /* w->len when the build began */
  uint64_t base;
  const h5k_fctx *f;
  const h5k_chunk_geom *g;
  unsigned rank;
  int filtered;
  unsigned width;     /* W (filtered) */
  unsigned esize;     /* array element / record bytes before scaled offsets */
  ent *e;
  size_t n;
} bctx;

static uint64_t addr_of(const bctx *b, size_t pos) { return b->base + (uint64_t)(pos - b->start); }

static unsigned log2_of(uint64_t v) {
  unsigned r = 0;
  while (v >>= 1) r++;
  return r;
}

static int pow2(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

static uint64_t div_up(uint64_t a, uint64_t b) { return a / b + (a % b != 0); }

unsigned h5k_chunk_size_width(uint64_t chunk_bytes) {
  unsigned wdt = 1 + (log2_of(chunk_bytes) + 8) / 8;
  return wdt > 8 ? 8 : wdt;
}

/* Store the lookup3 checksum of the len - 4 bytes at pos in their last 4 bytes. */
static void put_sum(h5k_wbuf *w, size_t pos, size_t len) {
  if (w->err || pos > w->len || len > w->len - pos || len < 4) return;
  wr_patch(w, pos + len - 4, h5k_lookup3(w->p + pos, len - 4, 0), 4);
}

static void patch_addr(bctx *b, size_t pos, size_t target_pos) {
  wr_patch(b->w, pos, addr_of(b, target_pos), b->f->so);
}

/* An array element: the chunk's, or the fill value (undefined address, size 0, mask 0). */
static void put_elem(bctx *b, const h5k_chunk_rec *r) {
  wr_addr(b->w, b->f, r ? r->addr : H5K_ADDR_UNDEF);
  if (b->filtered) {
    wr_uvar(b->w, r ? r->size : 0, b->width);
    wr_le32(b->w, r ? r->mask : 0);
  }
}

/* Elements [first, first + count) of an array, from the sorted entries starting at *i. */
static void put_elems(bctx *b, size_t *i, uint64_t first, uint64_t count) {
  for (uint64_t k = first; k < first + count; k++) {
    if (*i < b->n && b->e[*i].idx == k) put_elem(b, &b->e[(*i)++].r);
    else put_elem(b, NULL);
  }
}

/* ---- numbering and checks ------------------------------------------------------------------- */

/* Row-major order of the scaled coordinates (prepare() zeroes those past the rank, so all are
 * compared: qsort has no context argument and there is no global state). */
static int cmp_scaled(const void *x, const void *y) {
  const ent *a = x, *c = y;
  for (int i = 0; i < H5K_MAX_DIMS; i++) {
    if (a->r.scaled[i] != c->r.scaled[i]) return a->r.scaled[i] < c->r.scaled[i] ? -1 : 1;
  }
  return 0;
}

static int cmp_idx(const void *x, const void *y) {
  const ent *a = x, *c = y;
  return (a->idx > c->idx) - (a->idx < c->idx);
}

/* Linear chunk number of the arrays (chunk_index.c: the first unlimited dimension moved to the
 * front for the extensible array; counts over the maximum dims). */
static int array_index(uint64_t *out, const h5k_chunk_geom *g, const uint64_t *scaled, int swizzle) {
  const h5k_layout *l = g->layout;
  unsigned order[H5K_MAX_DIMS], k = 0, u = 0;
  int has_unlim = 0;
  uint64_t idx = 0;
  if (swizzle) {
    for (unsigned i = 0; i < g->rank; i++) {
      if (g->maxdims[i] == H5K_UNLIMITED) {
        u = i;
        has_unlim = 1;
        break;
      }
    }
  }
  if (has_unlim) order[k++] = u;
  for (unsigned i = 0; i < g->rank; i++) {
    if (!(has_unlim && i == u)) order[k++] = i;
  }
  for (k = 0; k < g->rank; k++) {
    unsigned d = order[k];
    uint64_t cnt = 1;
    if (k > 0 || !has_unlim) {
      if (g->maxdims[d] == H5K_UNLIMITED)
        return h5k_err(H5K_EINVAL, "chunk index build: dimension %u is unlimited (not allowed for this index)", d);
      cnt = div_up(g->maxdims[d], l->chunk[d]);
      if (scaled[d] >= cnt)
        return h5k_err(H5K_EINVAL, "chunk index build: chunk coordinate %llu in dimension %u is outside the maximum dims",
                       (unsigned long long)scaled[d], d);
    }
    if (ck_mul64(idx, k > 0 ? cnt : 1, &idx) || ck_add64(idx, scaled[d], &idx))
      return h5k_err(H5K_EINVAL, "chunk index build: chunk number overflows");
  }
  *out = idx;
  return 0;
}

/* Check the arguments, copy and sort the records (by linear index for arrays, by scaled
 * coordinates for B-trees) and reject duplicates. */
static int prepare(bctx *b, const h5k_fctx *f, const h5k_chunk_geom *g, const h5k_chunk_rec *recs, size_t n) {
  const h5k_layout *l = g->layout;
  int arr = l->index == H5K_CHUNK_INDEX_FARRAY || l->index == H5K_CHUNK_INDEX_EARRAY;
  uint64_t lim = UINT64_MAX;
  if (l->cls != H5K_LAYOUT_CHUNKED) return h5k_err(H5K_EINVAL, "chunk index build: the layout is not chunked");
  if (g->rank == 0 || g->rank > H5K_MAX_RANK || g->rank != l->rank)
    return h5k_err(H5K_EINVAL, "chunk index build: rank %u does not match the layout's %u", g->rank, l->rank);
  if ((f->so != 2 && f->so != 4 && f->so != 8) || (f->sl != 2 && f->sl != 4 && f->sl != 8))
    return h5k_err(H5K_EINVAL, "chunk index build: sizes of offsets/lengths %u/%u", f->so, f->sl);
  for (unsigned i = 0; i < g->rank; i++) {
    if (l->chunk[i] == 0) return h5k_err(H5K_EINVAL, "chunk index build: zero chunk dimension %u", i);
  }
  memset(b, 0, sizeof *b);
  b->f = f;
  b->g = g;
  b->rank = g->rank;
  b->filtered = g->filtered != 0 && l->index != H5K_CHUNK_INDEX_BTREE1;
  if (b->filtered) {
    if (g->chunk_bytes == 0) return h5k_err(H5K_EINVAL, "chunk index build: chunk size 0");
    b->width = h5k_chunk_size_width(g->chunk_bytes);
    if (b->width < 8) lim = (UINT64_C(1) << (8 * b->width)) - 1;
  }
  b->esize = f->so + (b->filtered ? b->width + 4 : 0);
  if (l->index == H5K_CHUNK_INDEX_BTREE1) lim = UINT32_MAX;
  b->e = malloc((n ? n : 1) * sizeof *b->e);
  if (!b->e) return h5k_err_nomem();
  b->n = n;
  for (size_t i = 0; i < n; i++) {
    const h5k_chunk_rec *r = &recs[i];
    b->e[i].r = *r;
    b->e[i].idx = 0;
    for (unsigned d = g->rank; d < H5K_MAX_DIMS; d++) b->e[i].r.scaled[d] = 0;
    if (!addr_defined(r->addr) || (f->so < 8 && r->addr >= (UINT64_C(1) << (8 * f->so)) - 1))
      return h5k_err(H5K_EINVAL, "chunk index build: chunk %zu has an undefined or too large address", i);
    if ((b->filtered || l->index == H5K_CHUNK_INDEX_BTREE1) && r->size > lim)
      return h5k_err(H5K_EINVAL, "chunk index build: chunk %zu: size %llu does not fit its field", i,
                     (unsigned long long)r->size);
    if (l->index == H5K_CHUNK_INDEX_BTREE1) {
      for (unsigned d = 0; d < g->rank; d++) {
        uint64_t off;
        /* +1: the final key holds (scaled + 1) x chunk */
        if (ck_add64(r->scaled[d], 1, &off) || ck_mul64(off, l->chunk[d], &off))
          return h5k_err(H5K_EINVAL, "chunk index build: chunk %zu: offset overflows", i);
      }
    }
    if (arr) TRY(array_index(&b->e[i].idx, g, r->scaled, l->index == H5K_CHUNK_INDEX_EARRAY));
  }
  if (arr) {
    qsort(b->e, n, sizeof *b->e, cmp_idx);
  } else {
    qsort(b->e, n, sizeof *b->e, cmp_scaled);
  }
  for (size_t i = 1; i < n; i++) {
    int same = arr ? b->e[i].idx == b->e[i - 1].idx : cmp_scaled(&b->e[i], &b->e[i - 1]) == 0;
    if (same) return h5k_err(H5K_EINVAL, "chunk index build: the same chunk is listed twice");
  }
  return 0;
}

/* ---- v1 B-tree (III.A.1, node type 1) -------------------------------------------------------- */

/* The key right of the last chunk, as libhdf5 leaves it after inserting the chunks in
 * ascending order: the first insertion sets it to (scaled + 1) in every dimension, the
 * element-size dimension included (0 + 1); a later chunk replaces it with its own (scaled + 1)
 * only if it sorts at or after it (its element-size coordinate being 0, it sorts after only if
 * one of its own coordinates is larger). E.g. chunks 0..9 of a 1-D dataset: 0 sets (1, 1),
 * 2 sets (3, 1), ..., 8 sets (9, 1): offsets (9 x chunk, element size). */
static void bt1_final(bctx *b, uint64_t *fin) {
  unsigned r = b->rank;
  for (size_t i = 0; i < b->n; i++) {
    const uint64_t *sc = b->e[i].r.scaled;
    int ge = 1;
    if (i > 0) {
      unsigned d = 0;
      while (d < r && sc[d] == fin[d]) d++;
      /* element-size coordinate: 0 against fin[r] (>= 1): less, unless an earlier one decided */
      ge = d < r ? sc[d] > fin[d] : 0;
    }
    if (ge) {
      for (unsigned d = 0; d < r; d++) fin[d] = sc[d] + 1;
      fin[r] = 1;
    }
  }
}

/* Key of chunk i, or (i == n) the final key fin (scaled, element-size dimension last). */
static void bt1_key(bctx *b, size_t i, const uint64_t *fin) {
  const h5k_layout *l = b->g->layout;
  int last = i == b->n;
  const h5k_chunk_rec *r = &b->e[last ? b->n - 1 : i].r;
  wr_le32(b->w, last ? 0 : r->size);
  wr_le32(b->w, last ? 0 : r->mask);
  for (unsigned d = 0; d < b->rank; d++) wr_le64(b->w, (last ? fin[d] : r->scaled[d]) * l->chunk[d]);
  wr_le64(b->w, last ? fin[b->rank] * l->elem_size : 0);
}

/* Children [*cb, *ce) of node j when m children are spread evenly over cnt nodes. */
static void spread(size_t *cb, size_t *ce, size_t j, size_t m, size_t cnt) {
  size_t q = m / cnt, r = m % cnt;
  *cb = j * q + (j < r ? j : r);
  *ce = *cb + q + (j < r);
}

static int build_btree1(bctx *b, uint64_t *root) {
  const h5k_fctx *f = b->f;
  unsigned k = f->btree_k_chunk ? f->btree_k_chunk : 32, two_k = 2 * k;
  size_t key_size = 8 + 8 * ((size_t)b->rank + 1);
  size_t node_len = 8 + 2 * (size_t)f->so + (size_t)two_k * f->so + ((size_t)two_k + 1) * key_size;
  size_t nlevels = 1, total = 0;
  size_t count[H5K_MAX_BTREE_DEPTH + 1], first_node[H5K_MAX_BTREE_DEPTH + 1];
  size_t *lo[H5K_MAX_BTREE_DEPTH + 1]; /* lo[lv][j]: first chunk under node j of level lv; lo[lv][count] = n */
  uint64_t fin[H5K_MAX_DIMS + 1];
  int rc = 0;
  if (k == 0 || two_k > 0xffff) return h5k_err(H5K_EINVAL, "chunk index build: v1 B-tree K = %u", k);
  if (b->g->layout->elem_size == 0) return h5k_err(H5K_EINVAL, "chunk index build: element size 0");
  if (b->n == 0) {
    /* What libhdf5 creates with the dataset: one empty leaf, keys all zero. */
    wr_bytes(b->w, "TREE", 4);
    wr_u8(b->w, 1);
    wr_u8(b->w, 0);
    wr_le16(b->w, 0);
    wr_addr(b->w, f, H5K_ADDR_UNDEF);
    wr_addr(b->w, f, H5K_ADDR_UNDEF);
    wr_zero(b->w, node_len - (8 + 2 * (size_t)f->so));
    *root = b->base;
    return wbuf_status(b->w);
  }
  bt1_final(b, fin);
  /* Nodes per level, leaves first; each node holds up to 2K children, spread evenly. */
  count[0] = div_up(b->n, two_k);
  while (count[nlevels - 1] > 1) {
    if (nlevels >= H5K_MAX_BTREE_DEPTH) return h5k_err(H5K_ELIMIT, "chunk index build: v1 B-tree too deep");
    count[nlevels] = div_up(count[nlevels - 1], two_k);
    nlevels++;
  }
  memset(lo, 0, sizeof lo);
  for (size_t lv = 0; lv < nlevels; lv++) {
    size_t m = lv == 0 ? b->n : count[lv - 1];
    lo[lv] = malloc((count[lv] + 1) * sizeof(size_t));
    if (!lo[lv]) {
      rc = h5k_err_nomem();
      goto done;
    }
    for (size_t j = 0; j < count[lv]; j++) {
      size_t cb, ce;
      spread(&cb, &ce, j, m, count[lv]);
      lo[lv][j] = lv == 0 ? cb : lo[lv - 1][cb];
    }
    lo[lv][count[lv]] = b->n;
  }
  /* Storage order: root first, then each level below, left to right (all nodes one size). */
  for (size_t lv = nlevels; lv-- > 0;) {
    first_node[lv] = total;
    total += count[lv];
  }
  for (size_t lv = nlevels; lv-- > 0;) {
    size_t m = lv == 0 ? b->n : count[lv - 1];
    for (size_t j = 0; j < count[lv]; j++) {
      size_t cb, ce, pos = b->w->len, used;
      spread(&cb, &ce, j, m, count[lv]);
      wr_bytes(b->w, "TREE", 4);
      wr_u8(b->w, 1);
      wr_u8(b->w, (unsigned)lv);
      wr_le16(b->w, ce - cb);
      wr_addr(b->w, f, j > 0 ? b->base + (uint64_t)(first_node[lv] + j - 1) * node_len : H5K_ADDR_UNDEF);
      wr_addr(b->w, f, j + 1 < count[lv] ? b->base + (uint64_t)(first_node[lv] + j + 1) * node_len : H5K_ADDR_UNDEF);
      for (size_t c = cb; c < ce; c++) {
        bt1_key(b, lv == 0 ? c : lo[lv - 1][c], fin);
        if (lv == 0) wr_addr(b->w, f, b->e[c].r.addr);
        else wr_addr(b->w, f, b->base + (uint64_t)(first_node[lv - 1] + c) * node_len);
      }
      bt1_key(b, lo[lv][j + 1], fin); /* right key: the next node's first chunk, or the final key */
      used = b->w->len - pos;
      if (!b->w->err && used < node_len) wr_zero(b->w, node_len - used);
    }
  }
  *root = b->base;
  rc = wbuf_status(b->w);
done:
  for (size_t lv = 0; lv < nlevels; lv++) free(lo[lv]);
  return rc;
}

/* ---- fixed array ------------------------------------------------------------------------------- */

static int build_farray(bctx *b, uint64_t *hdr_addr) {
  const h5k_fctx *f = b->f;
  const h5k_chunk_geom *g = b->g;
  unsigned pbits = g->layout->ia_params[0];
  uint64_t nelmts = 1, page_n;
  size_t hdr_pos = b->w->len, db_pos, i = 0;
  if (pbits == 0 || pbits > 32) return h5k_err(H5K_EINVAL, "chunk index build: fixed array page bits %u", pbits);
  if (b->esize > 255) return h5k_err(H5K_EINVAL, "chunk index build: fixed array element of %u bytes", b->esize);
  for (unsigned d = 0; d < b->rank; d++) {
    if (g->maxdims[d] == H5K_UNLIMITED) return h5k_err(H5K_EINVAL, "chunk index build: fixed array with an unlimited dimension");
    if (ck_mul64(nelmts, div_up(g->maxdims[d], g->layout->chunk[d]), &nelmts))
      return h5k_err(H5K_EINVAL, "chunk index build: number of chunks overflows");
  }
  if (nelmts > H5K_MAX_BLOCK) return h5k_err(H5K_ELIMIT, "chunk index build: fixed array of %llu elements", (unsigned long long)nelmts);
  page_n = UINT64_C(1) << pbits;
  /* header: its data block follows it directly */
  wr_bytes(b->w, "FAHD", 4);
  wr_u8(b->w, 0);
  wr_u8(b->w, b->filtered);
  wr_u8(b->w, b->esize);
  wr_u8(b->w, pbits);
  wr_len(b->w, f, nelmts);
  db_pos = b->w->len + f->so + 4;
  wr_addr(b->w, f, b->n ? addr_of(b, db_pos) : H5K_ADDR_UNDEF);
  wr_le32(b->w, 0);
  put_sum(b->w, hdr_pos, b->w->len - hdr_pos);
  *hdr_addr = addr_of(b, hdr_pos);
  if (b->n == 0) return wbuf_status(b->w); /* libhdf5 creates the data block with the first chunk */
  wr_bytes(b->w, "FADB", 4);
  wr_u8(b->w, 0);
  wr_u8(b->w, b->filtered);
  wr_addr(b->w, f, *hdr_addr);
  if (nelmts <= page_n) {
    put_elems(b, &i, 0, nelmts);
    wr_le32(b->w, 0);
    put_sum(b->w, db_pos, b->w->len - db_pos);
  } else {
    uint64_t npages = div_up(nelmts, page_n);
    size_t bm_pos = b->w->len;
    wr_zero(b->w, (size_t)((npages + 7) / 8));
    wr_le32(b->w, 0);
    /* bitmap: page p is bit (0x80 >> p % 8) of byte p / 8 */
    for (size_t k = 0; k < b->n && !b->w->err; k++) {
      uint64_t p = b->e[k].idx / page_n;
      b->w->p[bm_pos + p / 8] |= (uint8_t)(0x80u >> (p % 8));
    }
    put_sum(b->w, db_pos, b->w->len - db_pos);
    for (uint64_t p = 0; p < npages; p++) {
      uint64_t cnt = p + 1 < npages ? page_n : nelmts - p * page_n;
      size_t pg = b->w->len;
      if (i < b->n && b->e[i].idx < p * page_n + cnt) {
        put_elems(b, &i, p * page_n, cnt);
        wr_le32(b->w, 0);
        put_sum(b->w, pg, b->w->len - pg);
      } else {
        wr_zero(b->w, (size_t)(cnt * b->esize + 4)); /* never initialised */
      }
    }
  }
  return wbuf_status(b->w);
}

/* ---- extensible array -------------------------------------------------------------------------- */

static int build_earray(bctx *b, uint64_t *hdr_addr) {
  const h5k_fctx *f = b->f;
  const unsigned *ia = b->g->layout->ia_params;
  unsigned maxb = ia[0], ibe = ia[1], dmin = ia[2], smin = ia[3], pbits = ia[4];
  unsigned nsblks, ib_nsblks, ndblk_addrs, A, so = f->so, E = b->esize;
  uint64_t ndblks[H5K_EA_MAX_SBLKS], dn[H5K_EA_MAX_SBLKS], start[H5K_EA_MAX_SBLKS], start_dblk[H5K_EA_MAX_SBLKS];
  size_t sb_pos[H5K_EA_MAX_SBLKS], sb_len[H5K_EA_MAX_SBLKS];
  uint64_t st_nsb = 0, st_sbsize = 0, st_ndb = 0, st_dbsize = 0, st_nelmts = 0;
  uint64_t page_n, acc = 0, acc_d = 0;
  size_t hdr_pos = b->w->len, hdr_len = 12 + 6 * (size_t)f->sl + so + 4;
  size_t ib_pos, ib_len = 0, ib_dblk = 0, ib_sblk = 0, i = 0;
  if (maxb == 0 || maxb > 63 || !pow2(dmin) || dmin > 255 || !pow2(smin) || smin > 255 || ibe > 255 || pbits == 0 ||
      pbits > 32 || log2_of(dmin) > maxb)
    return h5k_err(H5K_EINVAL, "chunk index build: extensible array parameters %u/%u/%u/%u/%u", maxb, ibe, dmin, smin,
                   pbits);
  if (E > 255) return h5k_err(H5K_EINVAL, "chunk index build: extensible array element of %u bytes", E);
  nsblks = 1 + maxb - log2_of(dmin);
  ib_nsblks = 2 * log2_of(smin);
  if (nsblks > H5K_EA_MAX_SBLKS || ib_nsblks > nsblks)
    return h5k_err(H5K_EINVAL, "chunk index build: extensible array with %u levels, %u in the index block", nsblks,
                   ib_nsblks);
  ndblk_addrs = 2 * (smin - 1);
  A = (maxb + 7) / 8;
  page_n = UINT64_C(1) << pbits;
  for (unsigned s = 0; s < nsblks; s++) {
    ndblks[s] = UINT64_C(1) << (s / 2);
    dn[s] = (UINT64_C(1) << ((s + 1) / 2)) * dmin;
    start[s] = acc;
    start_dblk[s] = acc_d;
    acc += ndblks[s] * dn[s];
    acc_d += ndblks[s];
    sb_pos[s] = SIZE_MAX;
    if (s < ib_nsblks && dn[s] > page_n)
      return h5k_err(H5K_EUNSUPPORTED, "chunk index build: extensible array page bits %u would page data blocks of "
                     "the index block", pbits);
  }
  if (b->n && b->e[b->n - 1].idx >> maxb)
    return h5k_err(H5K_EINVAL, "chunk index build: chunk number %llu beyond the extensible array's 2^%u elements",
                   (unsigned long long)b->e[b->n - 1].idx, maxb);
  *hdr_addr = addr_of(b, hdr_pos);
  wr_zero(b->w, hdr_len); /* written last, with the statistics */
  ib_pos = b->w->len;
  if (b->n) {
    wr_bytes(b->w, "EAIB", 4);
    wr_u8(b->w, 0);
    wr_u8(b->w, b->filtered);
    wr_addr(b->w, f, *hdr_addr);
    put_elems(b, &i, 0, ibe);
    ib_dblk = b->w->len;
    for (unsigned k = 0; k < ndblk_addrs; k++) wr_addr(b->w, f, H5K_ADDR_UNDEF);
    ib_sblk = b->w->len;
    for (unsigned k = ib_nsblks; k < nsblks; k++) wr_addr(b->w, f, H5K_ADDR_UNDEF);
    wr_le32(b->w, 0);
    ib_len = b->w->len - ib_pos;
    st_nelmts = ibe;
    /* Data blocks (and super blocks) holding set elements, in element order. */
    while (i < b->n && !b->w->err) {
      uint64_t j = b->e[i].idx - ibe, off, d, first, npages = 0, blk_off;
      unsigned s = log2_of(j / dmin + 1);
      size_t parent, db_pos, bm = 0;
      int paged;
      off = j - start[s];
      d = off / dn[s];
      first = ibe + start[s] + d * dn[s];
      paged = dn[s] > page_n;
      if (paged) npages = dn[s] >> pbits;
      if (s < ib_nsblks) {
        parent = ib_dblk + (size_t)(start_dblk[s] + d) * so;
        blk_off = start[s] + (start_dblk[s] + d) * dn[s]; /* libhdf5's value (see the top) */
      } else {
        if (sb_pos[s] == SIZE_MAX) {
          uint64_t bm_len = paged ? ndblks[s] * ((npages + 7) / 8) : 0;
          uint64_t len = 6 + so + A + bm_len + ndblks[s] * so + 4;
          if (len > H5K_MAX_BLOCK) return h5k_err(H5K_ELIMIT, "chunk index build: extensible array super block too large");
          sb_pos[s] = b->w->len;
          sb_len[s] = (size_t)len;
          wr_bytes(b->w, "EASB", 4);
          wr_u8(b->w, 0);
          wr_u8(b->w, b->filtered);
          wr_addr(b->w, f, *hdr_addr);
          wr_uvar(b->w, start[s], A);
          wr_zero(b->w, (size_t)bm_len);
          for (uint64_t k = 0; k < ndblks[s]; k++) wr_addr(b->w, f, H5K_ADDR_UNDEF);
          wr_le32(b->w, 0);
          patch_addr(b, ib_sblk + (size_t)(s - ib_nsblks) * so, sb_pos[s]);
          st_nsb++;
          st_sbsize += len;
        }
        bm = sb_pos[s] + 6 + so + A;
        parent = bm + (paged ? (size_t)(ndblks[s] * ((npages + 7) / 8)) : 0) + (size_t)d * so;
        blk_off = start[s] + d * dn[s];
      }
      {
        uint64_t bytes;
        if (ck_mul64(dn[s], E, &bytes) || bytes > H5K_MAX_BLOCK)
          return h5k_err(H5K_ELIMIT, "chunk index build: extensible array data block too large");
      }
      db_pos = b->w->len;
      patch_addr(b, parent, db_pos);
      wr_bytes(b->w, "EADB", 4);
      wr_u8(b->w, 0);
      wr_u8(b->w, b->filtered);
      wr_addr(b->w, f, *hdr_addr);
      wr_uvar(b->w, blk_off, A);
      if (!paged) {
        put_elems(b, &i, first, dn[s]);
        wr_le32(b->w, 0);
        put_sum(b->w, db_pos, b->w->len - db_pos);
      } else {
        wr_le32(b->w, 0);
        put_sum(b->w, db_pos, b->w->len - db_pos);
        for (uint64_t p = 0; p < npages && !b->w->err; p++) {
          size_t pg = b->w->len;
          if (i < b->n && b->e[i].idx < first + (p + 1) * page_n) {
            uint64_t bit = d * npages + p;
            put_elems(b, &i, first + p * page_n, page_n);
            wr_le32(b->w, 0);
            put_sum(b->w, pg, b->w->len - pg);
            if (!b->w->err) b->w->p[bm + bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
          } else {
            wr_zero(b->w, (size_t)(page_n * E + 4)); /* never initialised */
          }
        }
      }
      st_ndb++;
      st_dbsize += (b->w->len - db_pos);
      st_nelmts += dn[s];
    }
    for (unsigned s = ib_nsblks; s < nsblks; s++) {
      if (sb_pos[s] != SIZE_MAX) put_sum(b->w, sb_pos[s], sb_len[s]);
    }
    put_sum(b->w, ib_pos, ib_len);
  }
  if (b->w->err) return H5K_ENOMEM;
  /* the header, now that the statistics are known */
  {
    h5k_wbuf h;
    int rc;
    wbuf_init(&h);
    wr_bytes(&h, "EAHD", 4);
    wr_u8(&h, 0);
    wr_u8(&h, b->filtered);
    wr_u8(&h, E);
    wr_u8(&h, maxb);
    wr_u8(&h, ibe);
    wr_u8(&h, dmin);
    wr_u8(&h, smin);
    wr_u8(&h, pbits);
    wr_len(&h, f, st_nsb);
    wr_len(&h, f, st_sbsize);
    wr_len(&h, f, st_ndb);
    wr_len(&h, f, st_dbsize);
    wr_len(&h, f, b->n ? b->e[b->n - 1].idx + 1 : 0);
    wr_len(&h, f, st_nelmts);
    wr_addr(&h, f, b->n ? addr_of(b, ib_pos) : H5K_ADDR_UNDEF);
    wr_le32(&h, 0);
    put_sum(&h, 0, h.len);
    rc = wbuf_status(&h);
    if (rc == 0 && h.len == hdr_len) memcpy(b->w->p + hdr_pos, h.p, hdr_len);
    wbuf_free(&h);
    return rc;
  }
}

/* ---- v2 B-tree (III.A.2, record types 10 and 11) ---------------------------------------------- */

#define BT2_PREFIX 10u /* signature, version, type, checksum */

typedef struct bt2b {
  bctx *b;
  unsigned type, node_size, rec_size, w_nrec;
  unsigned w_total[H5K_MAX_BTREE_DEPTH + 1];
  uint64_t max_nrec[H5K_MAX_BTREE_DEPTH + 1], cum[H5K_MAX_BTREE_DEPTH + 1];
} bt2b;

static void bt2_put_rec(bctx *b, const h5k_chunk_rec *r) {
  put_elem(b, r);
  for (unsigned d = 0; d < b->rank; d++) wr_le64(b->w, r->scaled[d]);
}

static void bt2_node_start(bt2b *t, const char *sig) {
  wr_bytes(t->b->w, sig, 4);
  wr_u8(t->b->w, 0);
  wr_u8(t->b->w, t->type);
}

/* Close a node begun at pos: checksum, then zeros to the node size. */
static void bt2_node_end(bt2b *t, size_t pos) {
  h5k_wbuf *w = t->b->w;
  wr_le32(w, 0);
  put_sum(w, pos, w->len - pos);
  if (!w->err && w->len - pos < t->node_size) wr_zero(w, t->node_size - (w->len - pos));
}

/* Emit the subtree holding the cnt records from entry lo, its root at level depth, children
 * before parents. *addr, *nrec: the subtree root's address and own record count. */
static int bt2_subtree(bt2b *t, size_t lo, uint64_t cnt, unsigned depth, uint64_t *addr, uint64_t *nrec) {
  bctx *b = t->b;
  uint64_t c, kids, *ca = NULL, *cn = NULL, *ct = NULL;
  size_t pos, cur = lo;
  int rc = 0;
  if (depth == 0) {
    pos = b->w->len;
    bt2_node_start(t, "BTLF");
    for (uint64_t k = 0; k < cnt; k++) bt2_put_rec(b, &b->e[lo + k].r);
    bt2_node_end(t, pos);
    *addr = addr_of(b, pos);
    *nrec = cnt;
    return wbuf_status(b->w);
  }
  /* fewest children whose subtrees can hold the records; records spread evenly among them */
  c = cnt / (t->cum[depth - 1] + 1) + 1;
  if (c < 2) c = 2;
  kids = cnt - (c - 1);
  ca = malloc(c * sizeof *ca);
  cn = malloc(c * sizeof *cn);
  ct = malloc(c * sizeof *ct);
  if (!ca || !cn || !ct) {
    rc = h5k_err_nomem();
    goto done;
  }
  for (uint64_t k = 0; k < c; k++) {
    ct[k] = kids / c + (k < kids % c);
    rc = bt2_subtree(t, cur, ct[k], depth - 1, &ca[k], &cn[k]);
    if (rc < 0) goto done;
    cur += (size_t)ct[k] + 1; /* the separator record follows the child's records */
  }
  pos = b->w->len;
  bt2_node_start(t, "BTIN");
  cur = lo;
  for (uint64_t k = 0; k + 1 < c; k++) {
    cur += (size_t)ct[k];
    bt2_put_rec(b, &b->e[cur++].r);
  }
  for (uint64_t k = 0; k < c; k++) {
    wr_addr(b->w, b->f, ca[k]);
    wr_uvar(b->w, cn[k], t->w_nrec);
    if (depth > 1) wr_uvar(b->w, ct[k], t->w_total[depth - 1]);
  }
  bt2_node_end(t, pos);
  *addr = addr_of(b, pos);
  *nrec = c - 1;
  rc = wbuf_status(b->w);
done:
  free(ca);
  free(cn);
  free(ct);
  return rc;
}

static int build_btree2(bctx *b, uint64_t *hdr_addr) {
  const h5k_fctx *f = b->f;
  const unsigned *ia = b->g->layout->ia_params;
  bt2b t;
  size_t hdr_pos = b->w->len, hdr_len = 22 + (size_t)f->so + f->sl;
  unsigned depth = 0;
  uint64_t root = H5K_ADDR_UNDEF, root_nrec = 0;
  h5k_wbuf h;
  int rc;
  memset(&t, 0, sizeof t);
  t.b = b;
  t.type = b->filtered ? H5K_BT2_CHUNK_FILTERED : H5K_BT2_CHUNK;
  t.node_size = ia[0];
  t.rec_size = b->esize + 8 * b->rank;
  if (t.rec_size > 0xffff || t.node_size < BT2_PREFIX + t.rec_size || t.node_size > H5K_MAX_BLOCK || ia[1] == 0 ||
      ia[1] > 100 || ia[2] > 100)
    return h5k_err(H5K_EINVAL, "chunk index build: v2 B-tree node size %u / split %u / merge %u for records of %u bytes",
                   ia[0], ia[1], ia[2], t.rec_size);
  /* per-level capacities, as the reader derives them (btree2.c) */
  t.max_nrec[0] = (t.node_size - BT2_PREFIX) / t.rec_size;
  t.cum[0] = t.max_nrec[0];
  t.w_total[0] = bytes_for(t.cum[0]);
  t.w_nrec = bytes_for(t.max_nrec[0]);
  while (t.cum[depth] < b->n) {
    uint64_t ptr, cum;
    if (++depth > H5K_MAX_BTREE_DEPTH) return h5k_err(H5K_ELIMIT, "chunk index build: v2 B-tree too deep");
    ptr = (uint64_t)f->so + t.w_nrec + (depth > 1 ? t.w_total[depth - 1] : 0);
    if (t.node_size <= BT2_PREFIX + ptr || (t.max_nrec[depth] = (t.node_size - BT2_PREFIX - ptr) / (t.rec_size + ptr)) == 0)
      return h5k_err(H5K_EINVAL, "chunk index build: v2 B-tree node size %u too small for internal nodes", t.node_size);
    if (ck_mul64(t.max_nrec[depth] + 1, t.cum[depth - 1], &cum) || ck_add64(cum, t.max_nrec[depth], &cum))
      cum = UINT64_MAX;
    t.cum[depth] = cum;
    t.w_total[depth] = bytes_for(cum);
  }
  *hdr_addr = addr_of(b, hdr_pos);
  wr_zero(b->w, hdr_len); /* written last */
  if (b->n) TRY(bt2_subtree(&t, 0, b->n, depth, &root, &root_nrec));
  if (b->w->err) return H5K_ENOMEM;
  wbuf_init(&h);
  wr_bytes(&h, "BTHD", 4);
  wr_u8(&h, 0);
  wr_u8(&h, t.type);
  wr_le32(&h, t.node_size);
  wr_le16(&h, t.rec_size);
  wr_le16(&h, depth);
  wr_u8(&h, ia[1]);
  wr_u8(&h, ia[2]);
  wr_addr(&h, f, root);
  wr_le16(&h, root_nrec);
  wr_len(&h, f, b->n);
  wr_le32(&h, 0);
  put_sum(&h, 0, h.len);
  rc = wbuf_status(&h);
  if (rc == 0 && h.len == hdr_len) memcpy(b->w->p + hdr_pos, h.p, hdr_len);
  wbuf_free(&h);
  return rc;
}

/* ---- entry points ------------------------------------------------------------------------------ */

int h5k_chunk_index_build(h5k_wbuf *w, uint64_t base, uint64_t *index_addr, const h5k_fctx *f,
                          const h5k_chunk_geom *g, const h5k_chunk_rec *recs, size_t n) {
  bctx b;
  int rc;
  memset(&b, 0, sizeof b);
  if (!w || !index_addr || !f || !g || !g->layout || (n && !recs))
    return h5k_err(H5K_EINVAL, "chunk index build: NULL argument");
  switch (g->layout->index) {
  case H5K_CHUNK_INDEX_BTREE1:
  case H5K_CHUNK_INDEX_FARRAY:
  case H5K_CHUNK_INDEX_EARRAY:
  case H5K_CHUNK_INDEX_BTREE2:
    break;
  default:
    return h5k_err(H5K_EINVAL, "chunk index build: index type %u has no index structure to build",
                   (unsigned)g->layout->index);
  }
  rc = prepare(&b, f, g, recs, n);
  if (rc == 0) {
    b.w = w;
    b.start = w->len;
    b.base = base;
    switch (g->layout->index) {
    case H5K_CHUNK_INDEX_BTREE1: rc = build_btree1(&b, index_addr); break;
    case H5K_CHUNK_INDEX_FARRAY: rc = build_farray(&b, index_addr); break;
    case H5K_CHUNK_INDEX_EARRAY: rc = build_earray(&b, index_addr); break;
    default: rc = build_btree2(&b, index_addr); break;
    }
    if (rc == 0) rc = wbuf_status(w);
    if (rc == H5K_ENOMEM) h5k_err_nomem();
  }
  free(b.e);
  return rc;
}

int h5k_chunk_index_choose(h5k_layout *l, const h5k_dataspace *space, int filtered) {
  unsigned unlim = 0;
  int single = 1;
  if (!l || !space) return h5k_err(H5K_EINVAL, "chunk index choose: NULL argument");
  if (space->kind != H5K_SPACE_SIMPLE || space->rank == 0 || space->rank != l->rank || space->rank > H5K_MAX_DIMS)
    return h5k_err(H5K_EINVAL, "chunk index choose: a chunked dataset needs a simple dataspace of the layout's rank");
  for (unsigned i = 0; i < space->rank; i++) {
    if (space->maxdims[i] == H5K_UNLIMITED) unlim++;
    if (space->dims[i] != space->maxdims[i] || space->dims[i] != l->chunk[i]) single = 0;
  }
  memset(l->ia_params, 0, sizeof l->ia_params);
  l->flags &= ~2u;
  if (unlim == 1) {
    l->index = H5K_CHUNK_INDEX_EARRAY;
    l->ia_params[0] = 32; /* max bits */
    l->ia_params[1] = 4;  /* index block elements */
    l->ia_params[2] = 16; /* data block min elements */
    l->ia_params[3] = 4;  /* super block min data pointers */
    l->ia_params[4] = 10; /* data block page bits */
  } else if (unlim > 1) {
    l->index = H5K_CHUNK_INDEX_BTREE2;
    l->ia_params[0] = 2048; /* node size */
    l->ia_params[1] = 100;  /* split percent */
    l->ia_params[2] = 40;   /* merge percent */
  } else if (single) {
    l->index = H5K_CHUNK_INDEX_SINGLE;
    if (filtered) l->flags |= 2u;
  } else {
    /* A fixed array holds an entry for every possible chunk. Past 2^24 of them (a huge maximum
     * shape with small chunks) its index would be gigabytes, so h5kit uses a v2 B-tree instead --
     * a valid choice for any chunked dataset, which libhdf5 reads as well. */
    uint64_t nchunks = 1;
    int huge = 0;
    for (unsigned i = 0; i < space->rank && !huge; i++) {
      uint64_t c = l->chunk[i] ? (space->maxdims[i] + l->chunk[i] - 1) / l->chunk[i] : 1;
      if (ck_mul64(nchunks, c, &nchunks) || nchunks > ((uint64_t)1 << 24)) huge = 1;
    }
    if (huge) {
      l->index = H5K_CHUNK_INDEX_BTREE2;
      l->ia_params[0] = 2048;
      l->ia_params[1] = 100;
      l->ia_params[2] = 40;
    } else {
      l->index = H5K_CHUNK_INDEX_FARRAY;
      l->ia_params[0] = 10; /* page bits */
    }
  }
  return 0;
}
