/* Dense storage builders: HDF5 File Format Specification version 3.0, sections III.G (fractal
 * heap), III.A.2 (version 2 B-trees, record types 1, 5, 6, 8, 9), IV.A.2.c (Link Info) and
 * IV.A.2.v (Attribute Info). O = size of offsets, L = size of lengths, B = bytes of a heap
 * offset = ceil(max heap size / 8).
 *
 * One run, laid out in this order (all offsets independent of the run's base address):
 *   fractal heap header "FRHP" (26 + 12L + 3O bytes):
 *     sig 4 | version 1 (0) | heap ID length 2 | I/O filter length 2 (0) | flags 1 (2: direct
 *     blocks checksummed) | max managed object size 4 | next huge ID L | huge B-tree O |
 *     free space in managed blocks L | free-space manager O (undefined: none written) |
 *     managed space L | allocated managed space L | iterator offset L | managed objects L |
 *     huge size L | huge objects L | tiny size L | tiny objects L | table width 2 |
 *     starting block size L | max direct block size L | max heap size (bits) 2 |
 *     starting root rows 2 | root block O | current root rows 2 | checksum 4
 *   indirect blocks "FHIB", in heap-offset order, each before its children:
 *     sig 4 | version 1 | heap header O | block offset B | min(rows, max direct rows) * width
 *     direct block addresses O | remaining rows * width indirect block addresses O | checksum 4
 *   direct blocks "FHDB" (block size bytes each), heap-offset order:
 *     sig 4 | version 1 | heap header O | block offset B | checksum 4 (lookup3 of the whole block
 *     with this field zero) | objects, free space zero-filled
 *   huge objects (raw bytes, each on its own)
 *   v2 B-tree of huge objects (type 1: address O | length L | ID L): nodes, then "BTHD"
 *   name index v2 B-tree (type 5: hash 4 | heap ID 7; type 8: heap ID 8 | flags 1 |
 *     creation order 4 | hash 4): nodes, then header
 *   creation-order index (type 6: creation order 8 | heap ID 7; type 9: heap ID 8 | flags 1 |
 *     creation order 4), only when indexed: nodes, then header
 * v2 B-tree header "BTHD": sig 4 | version 1 | type 1 | node size 4 | record size 2 | depth 2 |
 *   split % 1 | merge % 1 | root O | records in root 2 | total records L | checksum 4.
 * Nodes "BTLF"/"BTIN" (node size bytes, zero padded): sig 4 | version 1 | type 1 | records |
 *   (internal) per child: address O | records in child W1 | records in subtree W2 (depth > 1) |
 *   checksum 4 after the used part. Nodes are written children first (post-order).
 *
 * Heap parameters are libhdf5's for link and attribute heaps, as h5debug shows them on its files:
 * width 4, max direct block 64 KiB, max managed object 4096, starting root rows 1, direct blocks
 * checksummed; links: starting block 512, max heap size 32 bits, 7-byte IDs; attributes:
 * starting block 1024, 40 bits, 8-byte IDs. B-trees: node size 512, split 100 %, merge 40 %.
 *
 * Placement follows libhdf5's insertion rules (III.G describes the doubling table; the policy is
 * the reference library's): an object goes into the smallest free section that holds it (ties:
 * lowest heap offset). Without one, a new direct block is made at the doubling-table iterator:
 * its minimum size is the starting block size for objects smaller than it, else the power of two
 * above the object, doubled again if the block prefix does not fit too; smaller blocks on the way
 * are skipped and stay available as free sections; the root starts as one direct block, becomes
 * an indirect block of max(1, rows needed) rows, and doubles its rows when the iterator passes its
 * end. Objects above the max managed size are huge (IDs 1, 2, ... in insertion order); objects
 * that fit in the heap ID minus its first byte are tiny.
 * The B-trees are bulk-loaded (balanced, records spread evenly); a tree that fits one leaf is
 * what libhdf5 writes, larger ones differ in node boundaries only.
 */
#include "format/dense_build.h"

#include <stdlib.h>
#include <string.h>

#include "format/btree2.h"
#include "util/checked.h"
#include "util/error.h"
#include "util/lookup3.h"

#define DB_MAX_ROWS 65

typedef struct heap_geom {
  unsigned so, sl, id_len, max_index, off_size, len_size, first_row_bits, max_direct_rows, max_root_rows;
  unsigned tiny_max;
  uint64_t start, overhead;
  uint64_t row_size[DB_MAX_ROWS];
  uint64_t row_off[DB_MAX_ROWS + 1]; /* offset of row r inside an indirect block; [rows] = span */
  uint64_t cap[DB_MAX_ROWS + 1];     /* free space of all direct blocks of an indirect block of r rows */
} heap_geom;

typedef struct section {
  uint64_t off, size; /* heap offset of the free bytes (or of the unallocated block), bytes free */
  int unalloc;        /* 1: a whole direct block skipped by the iterator, not yet allocated */
} section;

typedef struct dblock {
  uint64_t off, size, addr;
} dblock;

typedef struct iblock {
  uint64_t off, addr;
  unsigned nrows;
} iblock;

enum { OBJ_MANAGED, OBJ_HUGE, OBJ_TINY };

typedef struct heap_state {
  const heap_geom *g;
  section *sec;
  size_t nsec, capsec;
  dblock *db;
  size_t ndb, capdb;
  iblock *ib;
  size_t nib, capib;
  unsigned root_rows; /* 0: the root is a direct block (if any) */
  uint64_t iter;      /* heap offset of the iterator (next block to allocate) */
} heap_state;

typedef struct obj_info {
  int kind;
  uint64_t off;  /* managed: heap offset; huge: ID; */
  uint64_t addr; /* huge: file address */
  uint8_t id[16];
} obj_info;

static unsigned log2_floor(uint64_t v) { return v ? 63u - (unsigned)__builtin_clzll(v) : 0; }

static void geom_init(heap_geom *g, const h5k_fctx *f, int attrs) {
  unsigned r, start_bits, dir_bits;
  memset(g, 0, sizeof *g);
  g->so = f->so;
  g->sl = f->sl;
  g->id_len = attrs ? H5K_BT2_ATTR_HEAP_ID_LEN : H5K_BT2_LINK_HEAP_ID_LEN;
  g->max_index = attrs ? 40 : 32;
  g->start = attrs ? 1024 : 512;
  start_bits = log2_floor(g->start);
  dir_bits = log2_floor(H5K_DENSE_HEAP_MAX_DIRECT);
  g->first_row_bits = start_bits + log2_floor(H5K_DENSE_HEAP_WIDTH);
  g->max_root_rows = g->max_index - g->first_row_bits + 1;
  g->max_direct_rows = dir_bits - start_bits + 2;
  g->off_size = (g->max_index + 7) / 8;
  g->len_size = bytes_for(H5K_DENSE_HEAP_MAX_MAN);
  if ((dir_bits + 7) / 8 < g->len_size) g->len_size = (dir_bits + 7) / 8;
  g->tiny_max = g->id_len - 1 < 16 ? g->id_len - 1 : 16;
  g->overhead = 5u + g->so + g->off_size + 4u;
  for (r = 0; r < g->max_root_rows; r++) {
    g->row_size[r] = r == 0 ? g->start : g->start << (r - 1);
    g->row_off[r] = r == 0 ? 0 : (uint64_t)1 << (g->first_row_bits + r - 1);
  }
  g->row_off[g->max_root_rows] = (uint64_t)1 << g->max_index;
  /* cap[r]: rows below r; an indirect row r holds children of r - log2(width) rows (< r). */
  g->cap[0] = 0;
  for (r = 0; r < g->max_root_rows; r++) {
    uint64_t per = r < g->max_direct_rows ? g->row_size[r] - g->overhead
                                          : g->cap[log2_floor(g->row_size[r]) - g->first_row_bits + 1];
    g->cap[r + 1] = g->cap[r] + H5K_DENSE_HEAP_WIDTH * per;
  }
}

/* Rows of a child indirect block standing in row r. */
static unsigned child_rows(const heap_geom *g, unsigned r) {
  return log2_floor(g->row_size[r]) - g->first_row_bits + 1;
}

static unsigned row_of(const heap_geom *g, uint64_t rel) {
  return rel < g->row_off[1] ? 0 : log2_floor(rel) - g->first_row_bits + 1;
}

/* Size of the direct block slot that starts at heap offset off (the doubling table, flattened). */
static uint64_t slot_size(const heap_geom *g, uint64_t off) {
  for (;;) {
    unsigned row = row_of(g, off);
    if (row < g->max_direct_rows) return g->row_size[row];
    off = (off - g->row_off[row]) % g->row_size[row];
  }
}

static int add_section(heap_state *st, uint64_t off, uint64_t size, int unalloc) {
  if (size == 0) return 0;
  if (st->nsec == st->capsec) {
    size_t nc = st->capsec ? st->capsec * 2 : 16;
    section *n = realloc(st->sec, nc * sizeof *n);
    if (!n) return h5k_err_nomem();
    st->sec = n;
    st->capsec = nc;
  }
  st->sec[st->nsec].off = off;
  st->sec[st->nsec].size = size;
  st->sec[st->nsec].unalloc = unalloc;
  st->nsec++;
  return 0;
}

static int add_dblock(heap_state *st, uint64_t off, uint64_t size) {
  if (st->ndb == st->capdb) {
    size_t nc = st->capdb ? st->capdb * 2 : 16;
    dblock *n = realloc(st->db, nc * sizeof *n);
    if (!n) return h5k_err_nomem();
    st->db = n;
    st->capdb = nc;
  }
  st->db[st->ndb].off = off;
  st->db[st->ndb].size = size;
  st->db[st->ndb].addr = 0;
  st->ndb++;
  return 0;
}

/* Smallest section holding len bytes (ties: lowest offset), or -1. */
static long best_fit(const heap_state *st, uint64_t len) {
  long best = -1;
  for (size_t i = 0; i < st->nsec; i++) {
    const section *s = &st->sec[i];
    if (s->size < len) continue;
    if (best < 0 || s->size < st->sec[best].size || (s->size == st->sec[best].size && s->off < st->sec[best].off))
      best = (long)i;
  }
  return best;
}

static int root_double(heap_state *st, uint64_t min_size) {
  const heap_geom *g = st->g;
  unsigned nrows = st->root_rows, min_nrows = 0, nn;
  if (nrows >= g->max_root_rows)
    return h5k_err(H5K_ELIMIT, "dense storage: objects exceed the fractal heap's %u-bit address space",
                   g->max_index);
  if (nrows < g->max_direct_rows && min_size > g->row_size[nrows])
    min_nrows = 1 + (min_size == g->start ? 0 : log2_floor(min_size) - log2_floor(g->start) + 1);
  nn = 2 * nrows < g->max_root_rows ? 2 * nrows : g->max_root_rows;
  if (nn < min_nrows) nn = min_nrows;
  st->root_rows = nn;
  return 0;
}

/* Make a direct block for an object of req bytes (libhdf5's rules, see the file comment). */
static int new_dblock(heap_state *st, uint64_t req) {
  const heap_geom *g = st->g;
  uint64_t m, s;
  m = req < g->start ? g->start : (uint64_t)1 << (1 + log2_floor(req));
  if (m < g->overhead + req) m *= 2;
  if (m > H5K_DENSE_HEAP_MAX_DIRECT) return h5k_err(H5K_EINVAL, "dense storage: object of %llu bytes too big for a direct block",
                                                    (unsigned long long)req);
  if (st->root_rows == 0 && st->ndb == 0 && m == g->start) {
    TRY(add_dblock(st, 0, g->start));
    return add_section(st, g->overhead, g->start - g->overhead, 0);
  }
  if (st->root_rows == 0) {
    unsigned nrows = 1, row_off = log2_floor(m) - log2_floor(g->start);
    if (row_off > 0) row_off++;
    if (nrows < 1 + row_off) nrows = 1 + row_off;
    if (nrows > g->max_root_rows) return h5k_err(H5K_ELIMIT, "dense storage: heap too small for the object");
    st->root_rows = nrows;
    st->iter = st->ndb ? g->start : 0;
  }
  for (;;) {
    while (st->iter >= g->row_off[st->root_rows]) TRY(root_double(st, m));
    s = slot_size(g, st->iter);
    if (s >= m) break;
    TRY(add_section(st, st->iter, s - g->overhead, 1));
    st->iter += s;
  }
  TRY(add_dblock(st, st->iter, s));
  TRY(add_section(st, st->iter + g->overhead, s - g->overhead, 0));
  st->iter += s;
  return 0;
}

/* Place a managed object of len bytes; its heap offset in *off. */
static int place(heap_state *st, uint64_t len, uint64_t *off) {
  long i = best_fit(st, len);
  section *s;
  if (i < 0) {
    TRY(new_dblock(st, len));
    i = best_fit(st, len);
    if (i < 0) return h5k_err(H5K_EINVAL, "dense storage: no room for an object of %llu bytes", (unsigned long long)len);
  }
  s = &st->sec[i];
  if (s->unalloc) {
    TRY(add_dblock(st, s->off, slot_size(st->g, s->off)));
    s = &st->sec[i];
    s->off += st->g->overhead;
    s->unalloc = 0;
  }
  *off = s->off;
  s->off += len;
  s->size -= len;
  if (s->size == 0) st->sec[i] = st->sec[--st->nsec];
  return 0;
}

static int cmp_dblock(const void *a, const void *b) {
  uint64_t x = ((const dblock *)a)->off, y = ((const dblock *)b)->off;
  return x < y ? -1 : x > y;
}

static dblock *find_dblock(const heap_state *st, uint64_t off) {
  size_t lo = 0, hi = st->ndb;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (st->db[mid].off == off) return &st->db[mid];
    if (st->db[mid].off < off) lo = mid + 1;
    else hi = mid;
  }
  return NULL;
}

static iblock *find_iblock(const heap_state *st, uint64_t off, unsigned nrows) {
  for (size_t i = 0; i < st->nib; i++)
    if (st->ib[i].off == off && st->ib[i].nrows == nrows) return &st->ib[i];
  return NULL;
}

/* Record every child indirect block on the path from the root to each direct block. */
static int collect_iblocks(heap_state *st) {
  const heap_geom *g = st->g;
  for (size_t i = 0; i < st->ndb; i++) {
    uint64_t ioff = 0, rel = st->db[i].off;
    for (;;) {
      unsigned row = row_of(g, rel), nrows;
      uint64_t col_off;
      if (row < g->max_direct_rows) break;
      nrows = child_rows(g, row);
      col_off = (rel - g->row_off[row]) / g->row_size[row] * g->row_size[row];
      ioff += g->row_off[row] + col_off;
      rel -= g->row_off[row] + col_off;
      if (!find_iblock(st, ioff, nrows)) {
        if (st->nib == st->capib) {
          size_t nc = st->capib ? st->capib * 2 : 8;
          iblock *n = realloc(st->ib, nc * sizeof *n);
          if (!n) return h5k_err_nomem();
          st->ib = n;
          st->capib = nc;
        }
        st->ib[st->nib].off = ioff;
        st->ib[st->nib].nrows = nrows;
        st->ib[st->nib].addr = 0;
        st->nib++;
      }
    }
  }
  return 0;
}

/* Unfiltered: every entry, direct or indirect, is one address. */
static uint64_t iblock_size(const heap_geom *g, unsigned nrows) {
  return 5u + g->so + g->off_size + (uint64_t)nrows * H5K_DENSE_HEAP_WIDTH * g->so + 4u;
}

typedef struct run {
  h5k_wbuf *w;
  size_t start; /* w->len when the run began */
  uint64_t base;
  const h5k_fctx *f;
} run;

static uint64_t run_addr(const run *r) { return r->base + (uint64_t)(r->w->len - r->start); }

static void put_sum(h5k_wbuf *w, size_t from) {
  if (w->err) return;
  wr_le32(w, h5k_lookup3(w->p + from, w->len - from, 0));
}

typedef struct blk_ctx {
  heap_state *st;
  run *r;
  const h5k_dense_rec *recs;
  const obj_info *obj;
  const size_t *order; /* managed objects by heap offset */
  size_t norder, next;
  uint64_t heap_addr;
  uint64_t pos; /* address assignment cursor */
} blk_ctx;

static void write_dblock(blk_ctx *c, const dblock *d) {
  const heap_geom *g = c->st->g;
  h5k_wbuf *w = c->r->w;
  size_t from = w->len, sum_at;
  uint64_t at = d->off + g->overhead;
  wr_bytes(w, "FHDB", 4);
  wr_u8(w, 0);
  wr_addr(w, c->r->f, c->heap_addr);
  wr_uvar(w, d->off, g->off_size);
  sum_at = w->len;
  wr_le32(w, 0);
  while (c->next < c->norder && c->obj[c->order[c->next]].off < d->off + d->size) {
    size_t i = c->order[c->next++];
    wr_zero(w, (size_t)(c->obj[i].off - at));
    wr_bytes(w, c->recs[i].msg, c->recs[i].len);
    at = c->obj[i].off + c->recs[i].len;
  }
  wr_zero(w, (size_t)(d->off + d->size - at));
  if (!w->err) wr_patch(w, sum_at, h5k_lookup3(w->p + from, (size_t)d->size, 0), 4);
}

/* Walk an indirect block's entries: pass 0 assigns addresses, pass 1 writes. */
static void walk_iblock(blk_ctx *c, uint64_t ioff, unsigned nrows, int pass) {
  const heap_geom *g = c->st->g;
  const h5k_fctx *f = c->r->f;
  h5k_wbuf *w = c->r->w;
  size_t from = w->len;
  unsigned r, col;
  if (pass == 0) c->pos += iblock_size(g, nrows);
  else {
    wr_bytes(w, "FHIB", 4);
    wr_u8(w, 0);
    wr_addr(w, f, c->heap_addr);
    wr_uvar(w, ioff, g->off_size);
    for (r = 0; r < nrows; r++)
      for (col = 0; col < H5K_DENSE_HEAP_WIDTH; col++) {
        uint64_t eoff = ioff + g->row_off[r] + col * g->row_size[r], a = H5K_ADDR_UNDEF;
        if (r < g->max_direct_rows) {
          dblock *d = find_dblock(c->st, eoff);
          if (d) a = d->addr;
        } else {
          iblock *b = find_iblock(c->st, eoff, child_rows(g, r));
          if (b) a = b->addr;
        }
        wr_addr(w, f, a);
      }
    put_sum(w, from);
  }
  for (r = 0; r < nrows; r++)
    for (col = 0; col < H5K_DENSE_HEAP_WIDTH; col++) {
      uint64_t eoff = ioff + g->row_off[r] + col * g->row_size[r];
      if (r < g->max_direct_rows) {
        dblock *d = find_dblock(c->st, eoff);
        if (!d) continue;
        if (pass == 0) {
          d->addr = c->pos;
          c->pos += d->size;
        } else {
          write_dblock(c, d);
        }
      } else {
        iblock *b = find_iblock(c->st, eoff, child_rows(g, r));
        if (!b) continue;
        if (pass == 0) b->addr = c->pos;
        walk_iblock(c, eoff, b->nrows, pass);
      }
    }
}

/* ---- v2 B-trees, bulk-loaded ---------------------------------------------------------------- */

typedef struct bt2_geom {
  unsigned type, rec_size, depth, w_nrec;
  unsigned w_total[H5K_MAX_BTREE_DEPTH + 1];
  uint64_t max_nrec[H5K_MAX_BTREE_DEPTH + 1], cum[H5K_MAX_BTREE_DEPTH + 1];
} bt2_geom;

static int bt2_geom_init(bt2_geom *t, unsigned type, unsigned rec_size, unsigned so, uint64_t n) {
  unsigned d;
  memset(t, 0, sizeof *t);
  t->type = type;
  t->rec_size = rec_size;
  t->max_nrec[0] = (H5K_DENSE_BT2_NODE_SIZE - 10u) / rec_size;
  t->cum[0] = t->max_nrec[0];
  t->w_nrec = bytes_for(t->max_nrec[0]);
  t->w_total[0] = bytes_for(t->cum[0]);
  for (d = 0; t->cum[d] < n; d++) {
    uint64_t ptr, cum;
    if (d + 1 > H5K_MAX_BTREE_DEPTH) return h5k_err(H5K_ELIMIT, "dense storage: v2 B-tree too deep");
    ptr = (uint64_t)so + t->w_nrec + (d + 1 > 1 ? t->w_total[d] : 0);
    t->max_nrec[d + 1] = (H5K_DENSE_BT2_NODE_SIZE - 10u - ptr) / (rec_size + ptr);
    if (ck_mul64(t->max_nrec[d + 1] + 1, t->cum[d], &cum) || ck_add64(cum, t->max_nrec[d + 1], &cum))
      cum = UINT64_MAX;
    t->cum[d + 1] = cum;
    t->w_total[d + 1] = bytes_for(cum);
  }
  t->depth = d;
  return 0;
}

/* Children of a node at depth d holding cnt records in its subtree. */
static uint64_t bt2_nchild(const bt2_geom *t, unsigned d, uint64_t cnt) {
  uint64_t c = (cnt + 1 + t->cum[d - 1]) / (t->cum[d - 1] + 1);
  return c < 2 ? 2 : c;
}

/* Write the subtree of recs[0..cnt) at depth d, children first; its address in *addr and the
 * record count of its top node in *nrec. */
static void bt2_write_node(run *r, const bt2_geom *t, const uint8_t *recs, uint64_t cnt, unsigned d,
                           uint64_t *addr, uint64_t *nrec) {
  h5k_wbuf *w = r->w;
  size_t from;
  uint64_t c, i, per, rem, at = 0;
  uint64_t *ca = NULL, *cn = NULL, *ct = NULL;
  if (d == 0) {
    *addr = run_addr(r);
    *nrec = cnt;
    from = w->len;
    wr_bytes(w, "BTLF", 4);
    wr_u8(w, 0);
    wr_u8(w, t->type);
    wr_bytes(w, recs, (size_t)(cnt * t->rec_size));
    put_sum(w, from);
    wr_zero(w, H5K_DENSE_BT2_NODE_SIZE - (w->len - from));
    return;
  }
  c = bt2_nchild(t, d, cnt);
  per = (cnt - (c - 1)) / c;
  rem = (cnt - (c - 1)) % c;
  ca = calloc(3 * c, sizeof *ca);
  if (!ca) {
    w->err = 1;
    return;
  }
  cn = ca + c;
  ct = cn + c;
  for (i = 0; i < c; i++) {
    ct[i] = per + (i < rem);
    bt2_write_node(r, t, recs + at * t->rec_size, ct[i], d - 1, &ca[i], &cn[i]);
    at += ct[i] + 1;
  }
  *addr = run_addr(r);
  *nrec = c - 1;
  from = w->len;
  wr_bytes(w, "BTIN", 4);
  wr_u8(w, 0);
  wr_u8(w, t->type);
  for (i = 0; i + 1 < c; i++) {
    uint64_t k = 0;
    for (uint64_t j = 0; j <= i; j++) k += ct[j] + (j < i);
    wr_bytes(w, recs + k * t->rec_size, t->rec_size);
  }
  for (i = 0; i < c; i++) {
    wr_addr(w, r->f, ca[i]);
    wr_uvar(w, cn[i], t->w_nrec);
    if (d > 1) wr_uvar(w, ct[i], t->w_total[d - 1]);
  }
  put_sum(w, from);
  wr_zero(w, H5K_DENSE_BT2_NODE_SIZE - (w->len - from));
  free(ca);
}

/* Nodes (if any) then the header of a tree holding recs[0..n) (sorted). */
static int bt2_write(run *r, unsigned type, unsigned rec_size, const uint8_t *recs, uint64_t n, uint64_t *hdr_addr) {
  bt2_geom t;
  uint64_t root = H5K_ADDR_UNDEF, root_nrec = 0;
  size_t from;
  h5k_wbuf *w = r->w;
  TRY(bt2_geom_init(&t, type, rec_size, r->f->so, n));
  if (n) bt2_write_node(r, &t, recs, n, t.depth, &root, &root_nrec);
  *hdr_addr = run_addr(r);
  from = w->len;
  wr_bytes(w, "BTHD", 4);
  wr_u8(w, 0);
  wr_u8(w, type);
  wr_le32(w, H5K_DENSE_BT2_NODE_SIZE);
  wr_le16(w, rec_size);
  wr_le16(w, n ? t.depth : 0);
  wr_u8(w, 100);
  wr_u8(w, 40);
  wr_addr(w, r->f, root);
  wr_le16(w, root_nrec);
  wr_len(w, r->f, n);
  put_sum(w, from);
  return wbuf_status(w);
}

/* ---- sorting the index records --------------------------------------------------------------- */

typedef struct sort_ent {
  uint32_t hash;
  const char *name;
  int64_t corder;
  size_t idx;
} sort_ent;

static int cmp_name_ent(const void *a, const void *b) {
  const sort_ent *x = a, *y = b;
  if (x->hash != y->hash) return x->hash < y->hash ? -1 : 1;
  return strcmp(x->name, y->name);
}

static int cmp_corder_ent(const void *a, const void *b) {
  const sort_ent *x = a, *y = b;
  return x->corder < y->corder ? -1 : x->corder > y->corder;
}

static void put_le(uint8_t *p, uint64_t v, unsigned n) {
  for (unsigned i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* Records of one index (name when corder == 0) in sorted order. */
static int make_records(uint8_t **out, unsigned *rec_size, int attrs, int corder, const h5k_dense_rec *recs,
                        const obj_info *obj, size_t n) {
  sort_ent *e = NULL;
  uint8_t *buf = NULL;
  unsigned rs = attrs ? (corder ? 13u : 17u) : (corder ? 15u : 11u);
  int rc = 0;
  e = malloc((n ? n : 1) * sizeof *e);
  buf = malloc((n ? n : 1) * rs);
  if (!e || !buf) {
    rc = h5k_err_nomem();
    goto done;
  }
  for (size_t i = 0; i < n; i++) {
    e[i].hash = h5k_lookup3(recs[i].name, strlen(recs[i].name), 0);
    e[i].name = recs[i].name;
    e[i].corder = recs[i].corder;
    e[i].idx = i;
  }
  qsort(e, n, sizeof *e, corder ? cmp_corder_ent : cmp_name_ent);
  for (size_t i = 0; i + 1 < n; i++) {
    if (!corder && e[i].hash == e[i + 1].hash && strcmp(e[i].name, e[i + 1].name) == 0) {
      rc = h5k_err(H5K_EINVAL, "dense storage: two records named \"%s\"", e[i].name);
      goto done;
    }
    if (corder && e[i].corder == e[i + 1].corder) {
      rc = h5k_err(H5K_EINVAL, "dense storage: two records with creation order %lld", (long long)e[i].corder);
      goto done;
    }
  }
  for (size_t i = 0; i < n; i++) {
    uint8_t *p = buf + i * rs;
    const h5k_dense_rec *d = &recs[e[i].idx];
    const uint8_t *id = obj[e[i].idx].id;
    if (!attrs) {
      if (corder) put_le(p, (uint64_t)d->corder, 8);
      else put_le(p, e[i].hash, 4);
      memcpy(p + (corder ? 8 : 4), id, H5K_BT2_LINK_HEAP_ID_LEN);
    } else {
      memcpy(p, id, H5K_BT2_ATTR_HEAP_ID_LEN);
      p[8] = (uint8_t)d->flags;
      put_le(p + 9, (uint64_t)d->corder, 4);
      if (!corder) put_le(p + 13, e[i].hash, 4);
    }
  }
  *out = buf;
  buf = NULL;
  *rec_size = rs;
done:
  free(e);
  free(buf);
  return rc;
}

/* ---- the whole run ---------------------------------------------------------------------------- */

/* Managed objects by heap offset. qsort has no context argument: a small merge sort instead. */
static void sort_by_off(size_t *v, size_t *tmp, size_t n, const obj_info *obj) {
  size_t h, i, j, k;
  if (n < 2) return;
  h = n / 2;
  sort_by_off(v, tmp, h, obj);
  sort_by_off(v + h, tmp, n - h, obj);
  for (i = 0, j = h, k = 0; i < h || j < n;)
    tmp[k++] = (j >= n || (i < h && obj[v[i]].off <= obj[v[j]].off)) ? v[i++] : v[j++];
  memcpy(v, tmp, n * sizeof *v);
}

int h5k_dense_build(h5k_wbuf *w, uint64_t base, const h5k_fctx *f, int attrs, int index_corder,
                    const h5k_dense_rec *recs, size_t n, uint64_t *fheap_addr, uint64_t *name_bt2_addr,
                    uint64_t *corder_bt2_addr) {
  heap_geom g;
  heap_state st;
  obj_info *obj = NULL;
  size_t *order = NULL, *tmp = NULL, norder = 0, i;
  uint8_t *rb = NULL;
  unsigned rs;
  uint64_t nman = 0, man_bytes = 0, nhuge = 0, huge_bytes = 0, ntiny = 0, tiny_bytes = 0;
  uint64_t hdr_addr, huge_bt2 = H5K_ADDR_UNDEF, root_addr = H5K_ADDR_UNDEF, alloc = 0;
  uint64_t man_size = 0, free_space = 0, iter_off = 0;
  size_t hdr_pos;
  run r;
  blk_ctx bc;
  int rc = 0;

  memset(&st, 0, sizeof st);
  if (!w || !f || (!recs && n) || !fheap_addr || !name_bt2_addr || !corder_bt2_addr)
    return h5k_err(H5K_EINVAL, "h5k_dense_build: NULL argument");
  if ((f->so != 2 && f->so != 4 && f->so != 8) || (f->sl != 2 && f->sl != 4 && f->sl != 8))
    return h5k_err(H5K_EINVAL, "h5k_dense_build: sizes of offsets/lengths %u/%u", f->so, f->sl);
  for (i = 0; i < n; i++)
    if (!recs[i].msg || recs[i].len == 0 || !recs[i].name)
      return h5k_err(H5K_EINVAL, "h5k_dense_build: record %zu is empty or unnamed", i);
  geom_init(&g, f, attrs);
  st.g = &g;
  obj = calloc(n ? n : 1, sizeof *obj);
  order = malloc((n ? n : 1) * sizeof *order);
  tmp = malloc((n ? n : 1) * sizeof *tmp);
  if (!obj || !order || !tmp) {
    rc = h5k_err_nomem();
    goto done;
  }

  /* 1. Place every object (insertion order). */
  for (i = 0; i < n; i++) {
    uint64_t len = recs[i].len;
    if (len <= g.tiny_max) {
      obj[i].kind = OBJ_TINY;
      ntiny++;
      tiny_bytes += len;
    } else if (len > H5K_DENSE_HEAP_MAX_MAN) {
      obj[i].kind = OBJ_HUGE;
      obj[i].off = ++nhuge; /* huge object IDs count from 1 */
      huge_bytes += len;
    } else {
      obj[i].kind = OBJ_MANAGED;
      rc = place(&st, len, &obj[i].off);
      if (rc < 0) goto done;
      order[norder++] = i;
      nman++;
      man_bytes += len;
    }
  }
  if (st.ndb) qsort(st.db, st.ndb, sizeof *st.db, cmp_dblock);
  sort_by_off(order, tmp, norder, obj);
  rc = collect_iblocks(&st);
  if (rc < 0) goto done;

  /* 2. Addresses of the heap blocks (header first, then blocks in heap-offset order). */
  r.w = w;
  r.start = w->len;
  r.base = base;
  r.f = f;
  hdr_addr = base;
  memset(&bc, 0, sizeof bc);
  bc.st = &st;
  bc.r = &r;
  bc.recs = recs;
  bc.obj = obj;
  bc.order = order;
  bc.norder = norder;
  bc.heap_addr = hdr_addr;
  bc.pos = base + 26u + 12u * g.sl + 3u * g.so;
  for (i = 0; i < st.ndb; i++) alloc += st.db[i].size;
  if (st.root_rows) {
    root_addr = bc.pos;
    walk_iblock(&bc, 0, st.root_rows, 0);
    man_size = g.row_off[st.root_rows];
    free_space = g.cap[st.root_rows] - man_bytes;
    iter_off = st.iter;
  } else if (st.ndb) {
    root_addr = st.db[0].addr = bc.pos;
    bc.pos += g.start;
    man_size = g.start;
    free_space = g.start - g.overhead - man_bytes;
  }
  /* Huge objects follow the blocks. */
  for (i = 0; i < n; i++)
    if (obj[i].kind == OBJ_HUGE) {
      obj[i].addr = bc.pos;
      bc.pos += recs[i].len;
    }

  /* 3. Heap IDs. */
  for (i = 0; i < n; i++) {
    uint8_t *id = obj[i].id;
    if (obj[i].kind == OBJ_MANAGED) {
      id[0] = 0;
      put_le(id + 1, obj[i].off, g.off_size);
      put_le(id + 1 + g.off_size, recs[i].len, g.len_size);
    } else if (obj[i].kind == OBJ_HUGE) {
      id[0] = 0x10;
      put_le(id + 1, obj[i].off, g.id_len - 1 < 8 ? g.id_len - 1 : 8);
    } else {
      id[0] = (uint8_t)(0x20 | (recs[i].len - 1));
      memcpy(id + 1, recs[i].msg, recs[i].len);
    }
  }

  /* 4. Write: heap header (huge B-tree address patched in later), blocks, huge objects. */
  hdr_pos = w->len;
  wr_bytes(w, "FRHP", 4);
  wr_u8(w, 0);
  wr_le16(w, g.id_len);
  wr_le16(w, 0);
  wr_u8(w, 2);
  wr_le32(w, H5K_DENSE_HEAP_MAX_MAN);
  wr_len(w, f, nhuge);
  wr_addr(w, f, H5K_ADDR_UNDEF); /* huge B-tree: patched below */
  wr_len(w, f, free_space);
  wr_addr(w, f, H5K_ADDR_UNDEF);
  wr_len(w, f, man_size);
  wr_len(w, f, alloc);
  wr_len(w, f, iter_off);
  wr_len(w, f, nman);
  wr_len(w, f, huge_bytes);
  wr_len(w, f, nhuge);
  wr_len(w, f, tiny_bytes);
  wr_len(w, f, ntiny);
  wr_le16(w, H5K_DENSE_HEAP_WIDTH);
  wr_len(w, f, g.start);
  wr_len(w, f, H5K_DENSE_HEAP_MAX_DIRECT);
  wr_le16(w, g.max_index);
  wr_le16(w, 1);
  wr_addr(w, f, root_addr);
  wr_le16(w, st.root_rows);
  wr_le32(w, 0); /* checksum: patched below */
  if (st.root_rows) walk_iblock(&bc, 0, st.root_rows, 1);
  else if (st.ndb) write_dblock(&bc, &st.db[0]);
  for (i = 0; i < n; i++)
    if (obj[i].kind == OBJ_HUGE) wr_bytes(w, recs[i].msg, recs[i].len);
  rc = wbuf_status(w);
  if (rc < 0) goto done;

  /* 5. Huge-object B-tree (type 1: address | length | ID), by ID. */
  if (nhuge) {
    unsigned hrs = g.so + 2u * g.sl;
    size_t k = 0;
    rb = malloc((size_t)nhuge * hrs);
    if (!rb) {
      rc = h5k_err_nomem();
      goto done;
    }
    for (i = 0; i < n; i++)
      if (obj[i].kind == OBJ_HUGE) {
        put_le(rb + k * hrs, obj[i].addr, g.so);
        put_le(rb + k * hrs + g.so, recs[i].len, g.sl);
        put_le(rb + k * hrs + g.so + g.sl, obj[i].off, g.sl);
        k++;
      }
    rc = bt2_write(&r, H5K_BT2_HUGE_INDIRECT, hrs, rb, nhuge, &huge_bt2);
    free(rb);
    rb = NULL;
    if (rc < 0) goto done;
    wr_patch(w, hdr_pos + 14u + g.sl, huge_bt2, g.so); /* after next huge ID */
  }
  if (!w->err) {
    size_t hl = 26u + 12u * g.sl + 3u * g.so;
    wr_patch(w, hdr_pos + hl - 4, h5k_lookup3(w->p + hdr_pos, hl - 4, 0), 4);
  }

  /* 6. The indexes. */
  rc = make_records(&rb, &rs, attrs, 0, recs, obj, n);
  if (rc < 0) goto done;
  rc = bt2_write(&r, attrs ? H5K_BT2_ATTR_NAME : H5K_BT2_LINK_NAME, rs, rb, n, name_bt2_addr);
  free(rb);
  rb = NULL;
  if (rc < 0) goto done;
  *corder_bt2_addr = H5K_ADDR_UNDEF;
  if (index_corder) {
    rc = make_records(&rb, &rs, attrs, 1, recs, obj, n);
    if (rc < 0) goto done;
    rc = bt2_write(&r, attrs ? H5K_BT2_ATTR_CORDER : H5K_BT2_LINK_CORDER, rs, rb, n, corder_bt2_addr);
    if (rc < 0) goto done;
  }
  *fheap_addr = hdr_addr;
  rc = wbuf_status(w);
done:
  free(rb);
  free(obj);
  free(order);
  free(tmp);
  free(st.sec);
  free(st.db);
  free(st.ib);
  return rc;
}
