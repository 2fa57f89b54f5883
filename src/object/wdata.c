/* Writing dataset storage: compact, contiguous and chunked data, the chunk map, resize, the
 * chunk compression workers, and variable-length data in global heap collections.
 *
 * Raw data never overwrites what the committed state holds: a chunk is always written to fresh
 * space (its previous copy is released after the commit), and contiguous storage that the
 * committed state uses is copied once per transaction before it is changed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/file_impl.h"
#include "format/chunk_index_build.h"
#include "format/encode.h"
#include "format/global_heap.h"
#include "object/dataset.h"
#include "object/writer.h"
#include "util/checked.h"
#include "util/error.h"

/* ---- chunk map ------------------------------------------------------------------------------------ */
static uint64_t hash_scaled(const uint64_t *s, unsigned rank) {
  uint64_t h = 0x9e3779b97f4a7c15ull;
  for (unsigned i = 0; i < rank; i++) {
    h ^= s[i] + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    h *= 0xff51afd7ed558ccdull;
  }
  return h ^ (h >> 31);
}

static unsigned ds_rank(const h5k_wdset *d) { return d->space.rank; }

h5k_wchunk *h5k_wdset_find_chunk(h5k_wdset *d, const uint64_t *scaled) {
  if (!d->nslots) return NULL;
  unsigned r = ds_rank(d);
  size_t i = (size_t)(hash_scaled(scaled, r) & (d->nslots - 1));
  while (d->slots[i]) {
    h5k_wchunk *c = &d->chunks[d->slots[i] - 1];
    if (!memcmp(c->scaled, scaled, r * sizeof *scaled)) return c;
    i = (i + 1) & (d->nslots - 1);
  }
  return NULL;
}

static int rehash(h5k_wdset *d, size_t nslots) {
  size_t *s = calloc(nslots, sizeof *s);
  if (!s) return h5k_err_nomem();
  free(d->slots);
  d->slots = s;
  d->nslots = nslots;
  for (size_t k = 0; k < d->nchunks; k++) {
    size_t i = (size_t)(hash_scaled(d->chunks[k].scaled, ds_rank(d)) & (nslots - 1));
    while (s[i]) i = (i + 1) & (nslots - 1);
    s[i] = k + 1;
  }
  return 0;
}

int h5k_wdset_set_chunk(h5k_wdset *d, const h5k_wchunk *c) {
  h5k_wchunk *e = h5k_wdset_find_chunk(d, c->scaled);
  if (e) {
    *e = *c;
    return 0;
  }
  if (d->nchunks == d->capchunks) {
    size_t nc = d->capchunks ? d->capchunks * 2 : 64;
    h5k_wchunk *q = realloc(d->chunks, nc * sizeof *q);
    if (!q) return h5k_err_nomem();
    d->chunks = q;
    d->capchunks = nc;
  }
  d->chunks[d->nchunks++] = *c;
  if (d->nchunks * 2 > d->nslots) return rehash(d, d->nslots ? d->nslots * 2 : 128);
  size_t i = (size_t)(hash_scaled(c->scaled, ds_rank(d)) & (d->nslots - 1));
  while (d->slots[i]) i = (i + 1) & (d->nslots - 1);
  d->slots[i] = d->nchunks;
  return 0;
}

void h5k_wdset_drop_chunk(h5k_wdset *d, h5k_wchunk *c) {
  size_t k = (size_t)(c - d->chunks);
  d->chunks[k] = d->chunks[d->nchunks - 1];
  d->nchunks--;
  (void)rehash(d, d->nslots); /* same size: cannot fail for want of memory except calloc */
}

void h5k_wdset_free(h5k_wdset *d) {
  h5k_datatype_free(d->type);
  h5k_layout_clear(&d->layout);
  h5k_pline_clear(&d->pline);
  h5k_fill_clear(&d->fill);
  free(d->chunks);
  free(d->slots);
  free(d->vds_blob);
  free(d->refs);
  memset(d, 0, sizeof *d);
}

/* Release a chunk's old space: now if written in this transaction, else after the commit. */
static int release_chunk_space(h5k_writer *w, const h5k_wchunk *c) {
  if (c->txn == w->txn) return h5k_space_free_now(&w->space, c->addr, c->size);
  return h5k_space_free_later(&w->space, c->addr, c->size);
}

void h5k_wdset_geom(h5k_chunk_geom *g, const h5k_wdset *d) {
  memset(g, 0, sizeof *g);
  g->layout = &d->layout;
  g->rank = d->space.rank;
  memcpy(g->dims, d->space.dims, sizeof g->dims);
  memcpy(g->maxdims, d->space.maxdims, sizeof g->maxdims);
  g->filtered = d->pline.n > 0;
  uint64_t b = d->elem_size;
  for (unsigned i = 0; i < d->space.rank; i++) b *= d->layout.chunk[i];
  g->chunk_bytes = b;
}

static int load_chunk_cb(void *ud, const h5k_chunk_rec *r) {
  h5k_wdset *d = ud;
  h5k_wchunk c;
  memcpy(c.scaled, r->scaled, sizeof c.scaled);
  c.addr = r->addr;
  c.size = r->size;
  c.mask = r->mask;
  c.txn = 0;
  c.seq = 0;
  return h5k_wdset_set_chunk(d, &c);
}

int h5k_wdset_load_chunks(h5k_writer *w, h5k_wnode *n) {
  h5k_wdset *d = n->ds;
  if (d->chunks_loaded) return 0;
  h5k_chunk_geom g;
  h5k_wdset_geom(&g, d);
  if (addr_defined(d->layout.addr)) TRY(h5k_chunk_index_iterate(&w->file->fc, &g, load_chunk_cb, d));
  if (d->layout.index == H5K_CHUNK_INDEX_IMPLICIT) {
    /* The implicit index is one block holding every chunk at a computed place: a chunk cannot
     * be written elsewhere in it, and a shadow-paging commit never writes live data in place.
     * The dataset gets the index libhdf5 would give it otherwise (a fixed array), whose entries
     * first point into the old block; chunks rewritten move out, and their slots are freed. */
    h5k_layout l = d->layout;
    TRY(h5k_chunk_index_choose(&l, &d->space, d->pline.n > 0));
    d->layout.index = l.index;
    d->layout.flags = l.flags;
    memcpy(d->layout.ia_params, l.ia_params, sizeof l.ia_params);
    d->layout.addr = H5K_ADDR_UNDEF; /* the new index is built at commit */
    h5k_wnode_mark_dirty(w, n);
  }
  d->chunks_loaded = 1;
  return 0;
}

/* ---- selections: the reader's coordinate lists (object/dataset.h) ---------------------------------- */
/* First index in a sorted list whose value is >= v. */
static uint64_t lower_bound(const uint64_t *a, uint64_t n, uint64_t v) {
  uint64_t lo = 0, hi = n;
  while (lo < hi) {
    uint64_t mid = (lo + hi) / 2;
    if (a[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/* Copy the selected elements that fall in the box [lo, lo+ext) between `src` (selection order) and
 * `box` (the box's C order with dims `bdims`). to_box: src -> box, else box -> src. */
static void copy_box(const h5k_coordsel *s, const uint8_t *selbuf, uint8_t *box, const uint64_t *lo, const uint64_t *bdims,
                     size_t es, int to_box, uint8_t *selbuf_w) {
  unsigned r = s->rank;
  if (r == 0) {
    if (to_box) memcpy(box, selbuf, es);
    else memcpy(selbuf_w, box, es);
    return;
  }
  uint64_t a[H5K_MAX_DIMS], b[H5K_MAX_DIMS], sstride[H5K_MAX_DIMS], bstride[H5K_MAX_DIMS];
  for (unsigned i = 0; i < r; i++) {
    a[i] = lower_bound(s->coord[i], s->n[i], lo[i]);
    b[i] = lower_bound(s->coord[i], s->n[i], lo[i] + bdims[i]);
    if (a[i] >= b[i]) return;
  }
  sstride[r - 1] = 1;
  bstride[r - 1] = 1;
  for (unsigned i = r - 1; i-- > 0;) {
    sstride[i] = sstride[i + 1] * s->n[i + 1];
    bstride[i] = bstride[i + 1] * bdims[i + 1];
  }
  uint64_t idx[H5K_MAX_DIMS];
  memcpy(idx, a, sizeof(uint64_t) * r);
  const uint64_t *last = s->coord[r - 1];
  for (;;) {
    uint64_t so = 0, bo = 0;
    for (unsigned i = 0; i + 1 < r; i++) {
      so += idx[i] * sstride[i];
      bo += (s->coord[i][idx[i]] - lo[i]) * bstride[i];
    }
    /* last dimension: runs of consecutive coordinates */
    uint64_t k = a[r - 1];
    while (k < b[r - 1]) {
      uint64_t e;
      /* coordinates are sorted and distinct: [k, b) is one run exactly when its span matches */
      if (last[b[r - 1] - 1] - last[k] == b[r - 1] - 1 - k) {
        e = b[r - 1];
      } else {
        e = k + 1;
        while (e < b[r - 1] && last[e] == last[e - 1] + 1) e++;
      }
      size_t nbytes = (size_t)(e - k) * es;
      uint8_t *bp = box + (bo + (last[k] - lo[r - 1])) * es;
      if (to_box) memcpy(bp, selbuf + (so + k) * es, nbytes);
      else memcpy(selbuf_w + (so + k) * es, bp, nbytes);
      k = e;
    }
    int i = (int)r - 2;
    while (i >= 0) {
      if (++idx[i] < b[i]) break;
      idx[i] = a[i];
      i--;
    }
    if (i < 0) break;
  }
}

/* Whether the selection covers every element of the box that lies inside `dims`. */
static int covers_box(const h5k_coordsel *s, const uint64_t *lo, const uint64_t *bdims, const uint64_t *dims) {
  for (unsigned i = 0; i < s->rank; i++) {
    uint64_t hi = lo[i] + bdims[i];
    if (hi > dims[i]) hi = dims[i];
    uint64_t a = lower_bound(s->coord[i], s->n[i], lo[i]);
    uint64_t b = lower_bound(s->coord[i], s->n[i], hi);
    if (b - a != hi - lo[i]) return 0;
  }
  return 1;
}

/* Scatter vals (selection order) into lin (the dataspace's C order), 8-byte items. */
int h5k_scatter_u64(uint64_t *lin, const h5k_dataspace *sp, const h5k_selection *sel, const uint64_t *vals) {
  h5k_coordsel s;
  TRY(h5k_coordsel_build(&s, sp, sel));
  uint64_t lo[H5K_MAX_DIMS] = {0};
  if (s.total) copy_box(&s, (const uint8_t *)vals, (uint8_t *)lin, lo, sp->dims, 8, 1, NULL);
  h5k_coordsel_free(&s);
  return 0;
}

static int inside_extent(const uint64_t *lo, const uint64_t *bdims, const uint64_t *dims, unsigned r) {
  for (unsigned i = 0; i < r; i++)
    if (lo[i] + bdims[i] > dims[i]) return 0;
  return 1;
}

/* When the box (wholly selected and inside the extent) is one contiguous piece of the selection
 * buffer, in the box's own C order, its start in src; else NULL. */
static const uint8_t *contiguous_run(const h5k_coordsel *s, const uint8_t *src, const uint64_t *lo, const uint64_t *bdims,
                                     const uint64_t *dims, size_t es, size_t nbytes) {
  unsigned r = s->rank;
  if (!inside_extent(lo, bdims, dims, r)) return NULL;
  /* the box's first and last elements, as positions in selection order */
  uint64_t first = 0, lastpos = 0;
  for (unsigned i = 0; i < r; i++) {
    uint64_t a = lower_bound(s->coord[i], s->n[i], lo[i]);
    uint64_t b = lower_bound(s->coord[i], s->n[i], lo[i] + bdims[i]);
    if (b - a != bdims[i]) return NULL;
    first = first * s->n[i] + a;
    lastpos = lastpos * s->n[i] + (b - 1);
  }
  if ((lastpos - first + 1) * es != nbytes) return NULL;
  return src + first * es;
}

/* ---- fill ------------------------------------------------------------------------------------------ */
static void fill_buf(uint8_t *p, size_t nbytes, const h5k_wdset *d) {
  if (!d->fill.defined || !d->fill.value || d->fill.size != d->elem_size) {
    memset(p, 0, nbytes);
    return;
  }
  size_t es = d->elem_size;
  for (size_t o = 0; o + es <= nbytes; o += es) memcpy(p + o, d->fill.value, es);
}

/* ---- chunk buffers ---------------------------------------------------------------------------------
 * Uncompressed chunk buffers are recycled: a frame-sized malloc is an mmap and a page fault per
 * 4 KiB touched, which costs more than the copy into it. Spares are kept under the writer's lock. */
static uint8_t *chunk_buf_get(h5k_writer *w, size_t len) {
  uint8_t *p = NULL;
  pthread_mutex_lock(&w->lock);
  for (size_t i = 0; i < w->nspare; i++)
    if (w->spare_len[i] == len) {
      p = w->spare[i];
      w->spare[i] = w->spare[--w->nspare];
      w->spare_len[i] = w->spare_len[w->nspare];
      break;
    }
  pthread_mutex_unlock(&w->lock);
  return p ? p : malloc(len ? len : 1);
}

static void chunk_buf_put(h5k_writer *w, uint8_t *p, size_t len) {
  if (!p) return;
  pthread_mutex_lock(&w->lock);
  if (w->nspare < H5K_WRITER_SPARES) {
    w->spare[w->nspare] = p;
    w->spare_len[w->nspare++] = len;
    p = NULL;
  }
  pthread_mutex_unlock(&w->lock);
  free(p);
}

void h5k_wbufs_free(h5k_writer *w) {
  for (size_t i = 0; i < w->nspare; i++) free(w->spare[i]);
  w->nspare = 0;
}

/* ---- the compression workers ----------------------------------------------------------------------- */
typedef struct wjob {
  h5k_wnode *n;
  uint64_t seq;
  uint64_t scaled[H5K_MAX_DIMS];
  uint8_t *buf;        /* unfiltered chunk (owned) */
  size_t len;
  struct wjob *next;
} wjob;

struct h5k_wpool {
  pthread_t *th;
  unsigned nth;
  pthread_mutex_t mu;
  pthread_cond_t more, room, idle;
  wjob *head, *tail;
  size_t queued, active, cap;
  int stop;
  int err;             /* first error code */
  char msg[512];       /* its message */
  h5k_writer *w;
};

/* Compress one chunk and store it: allocate, write, update the map (the writer lock guards the
 * map and the space). */
/* Datasets whose partial edge chunks are stored unfiltered (layout message version 4, flag bit 0:
 * libhdf5's H5D_CHUNK_DONT_FILTER_PARTIAL_CHUNKS): whether the chunk at `scaled` is stored raw
 * when the dataset's extent is `dims`. The extent of such a dataset changes only while no worker
 * runs (h5k_wdset_resize drains them), so workers may read it here. */
static int edges_raw(const h5k_wdset *d) { return (d->layout.flags & 1) && d->pline.n; }

static int raw_edge(const h5k_wdset *d, const uint64_t *scaled, const uint64_t *dims) {
  if (!edges_raw(d)) return 0;
  for (unsigned i = 0; i < d->space.rank; i++)
    if ((scaled[i] + 1) * d->layout.chunk[i] > dims[i]) return 1;
  return 0;
}

static int store_chunk(h5k_writer *w, h5k_wnode *n, const uint64_t *scaled, const uint8_t *raw, size_t len,
                       int locked_by_caller, uint64_t seq) {
  h5k_wdset *d = n->ds;
  uint8_t *enc = NULL;
  size_t enc_len = len;
  uint32_t mask = 0;
  int rc = 0;
  if (d->pline.n && !raw_edge(d, scaled, d->space.dims)) {
    TRY(h5k_pipeline_encode(&enc, &enc_len, &mask, &w->filters, d->pline.filters, d->pline.n, raw, len, d->elem_size));
  }
  const uint8_t *out = enc ? enc : raw;
  uint64_t addr;
  /* allocation, the write (the memory backend may move its buffer) and the map under the lock */
  if (!locked_by_caller) pthread_mutex_lock(&w->lock);
  rc = h5k_space_alloc(&w->space, enc_len ? enc_len : 1, &addr);
  if (rc >= 0) rc = h5k_io_write(w->io, out, enc_len, w->fc.base + addr);
  if (rc >= 0) {
    h5k_wchunk *old = h5k_wdset_find_chunk(d, scaled);
    if (old && old->seq > seq) {
      /* a newer write of this chunk landed first: this one is obsolete */
      rc = h5k_space_free_now(&w->space, addr, enc_len ? enc_len : 1);
    } else {
      if (old) rc = release_chunk_space(w, old);
      h5k_wchunk c;
      memset(&c, 0, sizeof c);
      memcpy(c.scaled, scaled, sizeof(uint64_t) * d->space.rank);
      c.addr = addr;
      c.size = enc_len ? enc_len : 1;
      c.mask = mask;
      c.txn = w->txn;
      c.seq = seq;
      if (rc >= 0) rc = h5k_wdset_set_chunk(d, &c);
    }
  }
  if (!locked_by_caller) pthread_mutex_unlock(&w->lock);
  free(enc);
  return rc;
}

static void *worker(void *arg) {
  struct h5k_wpool *p = arg;
  pthread_mutex_lock(&p->mu);
  for (;;) {
    while (!p->head && !p->stop) pthread_cond_wait(&p->more, &p->mu);
    if (!p->head) break;
    wjob *j = p->head;
    p->head = j->next;
    if (!p->head) p->tail = NULL;
    p->queued--;
    p->active++;
    pthread_cond_signal(&p->room);
    int failed = p->err;
    pthread_mutex_unlock(&p->mu);
    int rc = failed ? 0 : store_chunk(p->w, j->n, j->scaled, j->buf, j->len, 0, j->seq);
    chunk_buf_put(p->w, j->buf, j->len);
    free(j);
    pthread_mutex_lock(&p->mu);
    if (rc < 0 && !p->err) {
      p->err = rc;
      snprintf(p->msg, sizeof p->msg, "%s", h5k_error_last());
    }
    p->active--;
    if (!p->head && !p->active) pthread_cond_broadcast(&p->idle);
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

static int pool_start(h5k_writer *w) {
  if (w->pool || w->nthreads <= 1) return 0;
  struct h5k_wpool *p = calloc(1, sizeof *p);
  if (!p) return h5k_err_nomem();
  p->nth = w->nthreads;
  p->cap = 2 * (size_t)p->nth;
  p->w = w;
  p->th = calloc(p->nth, sizeof *p->th);
  if (!p->th) {
    free(p);
    return h5k_err_nomem();
  }
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->more, NULL);
  pthread_cond_init(&p->room, NULL);
  pthread_cond_init(&p->idle, NULL);
  unsigned started = 0;
  for (; started < p->nth; started++)
    if (pthread_create(&p->th[started], NULL, worker, p) != 0) break;
  p->nth = started;
  w->pool = p;
  if (!started) {
    h5k_wpool_stop(w);
    return 0; /* compress in the caller */
  }
  return 0;
}

int h5k_wpool_drain(h5k_writer *w) {
  struct h5k_wpool *p = w->pool;
  if (!p) return 0;
  pthread_mutex_lock(&p->mu);
  while (p->head || p->active) pthread_cond_wait(&p->idle, &p->mu);
  int rc = p->err;
  p->err = 0;
  char msg[512];
  memcpy(msg, p->msg, sizeof msg);
  pthread_mutex_unlock(&p->mu);
  if (rc < 0) return h5k_err(rc, "%s", msg);
  return 0;
}

void h5k_wpool_stop(h5k_writer *w) {
  struct h5k_wpool *p = w->pool;
  if (!p) return;
  pthread_mutex_lock(&p->mu);
  p->stop = 1;
  pthread_cond_broadcast(&p->more);
  pthread_mutex_unlock(&p->mu);
  for (unsigned i = 0; i < p->nth; i++) pthread_join(p->th[i], NULL);
  while (p->head) {
    wjob *j = p->head;
    p->head = j->next;
    free(j->buf);
    free(j);
  }
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->more);
  pthread_cond_destroy(&p->room);
  pthread_cond_destroy(&p->idle);
  free(p->th);
  free(p);
  w->pool = NULL;
}

/* Whether the workers' queue is full (a submit would wait). */
static int pool_full(h5k_writer *w) {
  struct h5k_wpool *p = w->pool;
  if (!p) return 0;
  pthread_mutex_lock(&p->mu);
  int full = p->queued >= p->cap;
  pthread_mutex_unlock(&p->mu);
  return full;
}

/* Hand a finished chunk buffer (ownership passes) to the workers, or store it now. */
static int submit_chunk(h5k_writer *w, h5k_wnode *n, const uint64_t *scaled, uint8_t *buf, size_t len) {
  TRY(pool_start(w));
  struct h5k_wpool *p = w->pool;
  uint64_t seq = ++w->next_seq; /* the caller's thread: no lock needed */
  if (!p) {
    int rc = store_chunk(w, n, scaled, buf, len, 1, seq);
    chunk_buf_put(w, buf, len);
    return rc;
  }
  wjob *j = calloc(1, sizeof *j);
  if (!j) {
    free(buf);
    return h5k_err_nomem();
  }
  j->n = n;
  j->seq = seq;
  memcpy(j->scaled, scaled, sizeof(uint64_t) * n->ds->space.rank);
  j->buf = buf;
  j->len = len;
  pthread_mutex_lock(&p->mu);
  while (p->queued >= p->cap && !p->err) pthread_cond_wait(&p->room, &p->mu);
  if (p->err) {
    pthread_mutex_unlock(&p->mu);
    free(buf);
    free(j);
    return h5k_wpool_drain(w);
  }
  if (p->tail) p->tail->next = j;
  else p->head = j;
  p->tail = j;
  p->queued++;
  pthread_cond_signal(&p->more);
  pthread_mutex_unlock(&p->mu);
  return 0;
}

/* ---- reading back a chunk (partial writes) ---------------------------------------------------------- */
/* The stored chunk c, decoded into dst (len bytes); dims: the extent it was stored under. */
static int read_chunk_into(h5k_writer *w, h5k_wdset *d, const h5k_wchunk *c, uint8_t *dst, size_t len,
                           const uint64_t *dims) {
  uint8_t *raw = malloc(c->size ? c->size : 1);
  if (!raw) return h5k_err_nomem();
  int rc = h5k_io_read(w->io, raw, c->size, w->fc.base + c->addr);
  if (rc >= 0) {
    if (d->pline.n && !raw_edge(d, c->scaled, dims))
      rc = h5k_pipeline_decode_into(dst, len, &w->filters, d->pline.filters, d->pline.n, c->mask, raw, c->size,
                                    d->elem_size, 0);
    else if (c->size != len)
      rc = corrupt("chunk at %llu has %llu bytes, expected %zu", (unsigned long long)c->addr,
                   (unsigned long long)c->size, len);
    else
      memcpy(dst, raw, len);
  }
  free(raw);
  return rc;
}

/* ---- the chunk cache: partially written chunks -------------------------------------------------------
 * A write that covers only part of a chunk merges into an uncompressed copy kept here, so that
 * appending a row at a time compresses each chunk once per commit, not once per row. Entries are
 * compressed and stored when evicted (least recently used, beyond 64 chunks or 256 MiB), before
 * anything that reads or replaces the chunk map of their dataset, and at commit. */
struct wcache_ent {
  h5k_wnode *n;
  uint64_t scaled[H5K_MAX_DIMS];
  uint8_t *buf;
  size_t len;
  uint64_t tick;
};

struct h5k_wcache {
  struct wcache_ent *e;
  size_t n, cap, bytes;
  uint64_t tick;
};

enum { CACHE_MAX_ENTRIES = 64 };
#define CACHE_MAX_BYTES ((size_t)256 << 20)

static struct wcache_ent *cache_find(h5k_writer *w, h5k_wnode *n, const uint64_t *scaled) {
  struct h5k_wcache *c = w->cache;
  if (!c) return NULL;
  for (size_t i = 0; i < c->n; i++)
    if (c->e[i].n == n && !memcmp(c->e[i].scaled, scaled, n->ds->space.rank * sizeof *scaled)) {
      c->e[i].tick = ++c->tick;
      return &c->e[i];
    }
  return NULL;
}

static void cache_remove_at(struct h5k_wcache *c, size_t i) {
  c->bytes -= c->e[i].len;
  c->e[i] = c->e[--c->n];
}

/* Compress and store entry i (ownership of its buffer passes on). */
static int cache_evict_at(h5k_writer *w, size_t i) {
  struct h5k_wcache *c = w->cache;
  struct wcache_ent e = c->e[i];
  cache_remove_at(c, i);
  return submit_chunk(w, e.n, e.scaled, e.buf, e.len);
}

static void cache_drop(h5k_writer *w, h5k_wnode *n, const uint64_t *scaled) {
  struct h5k_wcache *c = w->cache;
  if (!c) return;
  for (size_t i = 0; i < c->n; i++)
    if (c->e[i].n == n && !memcmp(c->e[i].scaled, scaled, n->ds->space.rank * sizeof *scaled)) {
      free(c->e[i].buf);
      cache_remove_at(c, i);
      return;
    }
}

static int cache_put(h5k_writer *w, h5k_wnode *n, const uint64_t *scaled, uint8_t *buf, size_t len,
                     struct wcache_ent **out) {
  if (!w->cache) {
    w->cache = calloc(1, sizeof *w->cache);
    if (!w->cache) {
      free(buf);
      return h5k_err_nomem();
    }
  }
  struct h5k_wcache *c = w->cache;
  while (c->n && (c->n >= CACHE_MAX_ENTRIES || c->bytes + len > CACHE_MAX_BYTES)) {
    size_t lru = 0;
    for (size_t i = 1; i < c->n; i++)
      if (c->e[i].tick < c->e[lru].tick) lru = i;
    int rc = cache_evict_at(w, lru);
    if (rc < 0) {
      free(buf);
      return rc;
    }
  }
  if (c->n == c->cap) {
    size_t nc = c->cap ? c->cap * 2 : 16;
    struct wcache_ent *q = realloc(c->e, nc * sizeof *q);
    if (!q) {
      free(buf);
      return h5k_err_nomem();
    }
    c->e = q;
    c->cap = nc;
  }
  struct wcache_ent *e = &c->e[c->n++];
  memset(e, 0, sizeof *e);
  e->n = n;
  memcpy(e->scaled, scaled, n->ds->space.rank * sizeof *scaled);
  e->buf = buf;
  e->len = len;
  e->tick = ++c->tick;
  c->bytes += len;
  *out = e;
  return 0;
}

/* Store every cached chunk of node n (NULL: of every node). */
int h5k_wcache_flush(h5k_writer *w, h5k_wnode *n) {
  struct h5k_wcache *c = w->cache;
  if (!c) return 0;
  for (size_t i = 0; i < c->n;) {
    if (n && c->e[i].n != n) {
      i++;
      continue;
    }
    TRY(cache_evict_at(w, i));
  }
  return 0;
}

/* Forget the cached chunks of node n (it is being deleted). */
static void cache_discard(h5k_writer *w, h5k_wnode *n) {
  struct h5k_wcache *c = w->cache;
  if (!c) return;
  for (size_t i = 0; i < c->n;) {
    if (c->e[i].n == n) {
      free(c->e[i].buf);
      cache_remove_at(c, i);
    } else {
      i++;
    }
  }
}

void h5k_wcache_free(h5k_writer *w) {
  struct h5k_wcache *c = w->cache;
  if (!c) return;
  for (size_t i = 0; i < c->n; i++) free(c->e[i].buf);
  free(c->e);
  free(c);
  w->cache = NULL;
}

/* ---- writes ------------------------------------------------------------------------------------------- */
static int chunk_bytes(size_t *out, const h5k_wdset *d) {
  uint64_t b = d->elem_size;
  for (unsigned i = 0; i < d->space.rank; i++)
    if (ck_mul64(b, d->layout.chunk[i], &b)) return h5k_err(H5K_EINVAL, "chunk too large");
  if (b > ((uint64_t)1 << 32) - 1) return h5k_err(H5K_EINVAL, "chunk of %llu bytes exceeds 4 GiB", (unsigned long long)b);
  *out = (size_t)b;
  return 0;
}

static int write_chunked(h5k_writer *w, h5k_wnode *n, const h5k_coordsel *s, const uint8_t *src) {
  h5k_wdset *d = n->ds;
  unsigned r = d->space.rank;
  size_t cb = 0;
  TRY(chunk_bytes(&cb, d));
  TRY(h5k_wdset_load_chunks(w, n));
  /* per dimension: the chunk indexes holding at least one selected coordinate */
  uint64_t *cl[H5K_MAX_DIMS] = {0}, ncl[H5K_MAX_DIMS];
  int rc = 0;
  for (unsigned i = 0; i < r; i++) {
    cl[i] = malloc((s->n[i] ? s->n[i] : 1) * sizeof(uint64_t));
    if (!cl[i]) {
      rc = h5k_err_nomem();
      goto done;
    }
    ncl[i] = 0;
    for (uint64_t k = 0; k < s->n[i]; k++) {
      uint64_t c = s->coord[i][k] / d->layout.chunk[i];
      if (!ncl[i] || cl[i][ncl[i] - 1] != c) cl[i][ncl[i]++] = c;
    }
    if (!ncl[i]) goto done;
  }
  uint64_t idx[H5K_MAX_DIMS] = {0};
  for (;;) {
    uint64_t scaled[H5K_MAX_DIMS], lo[H5K_MAX_DIMS];
    for (unsigned i = 0; i < r; i++) {
      scaled[i] = cl[i][idx[i]];
      lo[i] = scaled[i] * d->layout.chunk[i];
    }
    if (!covers_box(s, lo, d->layout.chunk, d->space.dims)) {
      /* partial chunk: merged in the chunk cache, compressed when evicted or at commit */
      struct wcache_ent *e = cache_find(w, n, scaled);
      if (!e) {
        uint8_t *buf = chunk_buf_get(w, cb);
        if (!buf) {
          rc = h5k_err_nomem();
          goto done;
        }
        rc = h5k_wpool_drain(w); /* queued writes of this chunk land first */
        h5k_wchunk *old = rc >= 0 ? h5k_wdset_find_chunk(d, scaled) : NULL;
        if (rc >= 0 && old) rc = read_chunk_into(w, d, old, buf, cb, d->space.dims);
        else if (rc >= 0) fill_buf(buf, cb, d);
        if (rc >= 0) rc = cache_put(w, n, scaled, buf, cb, &e);
        else free(buf);
        if (rc < 0) goto done;
      }
      copy_box(s, src, e->buf, lo, d->layout.chunk, d->elem_size, 1, NULL);
    } else {
      cache_drop(w, n, scaled); /* superseded */
      const uint8_t *run = contiguous_run(s, src, lo, d->layout.chunk, d->space.dims, d->elem_size, cb);
      if (run && !d->pline.n) {
        /* a whole unfiltered chunk lying in one piece of the caller's buffer: written from there */
        rc = h5k_wpool_drain(w); /* an older queued write of this chunk must not land after it */
        if (rc >= 0) {
          pthread_mutex_lock(&w->lock);
          rc = store_chunk(w, n, scaled, run, cb, 1, ++w->next_seq);
          pthread_mutex_unlock(&w->lock);
        }
        if (rc < 0) goto done;
      } else if (run && pool_full(w)) {
        /* the workers have a full queue: rather than wait, compress this chunk here, straight from
         * the caller's buffer (no copy); sequence numbers keep the newest write of a chunk */
        rc = store_chunk(w, n, scaled, run, cb, 0, ++w->next_seq);
        if (rc < 0) goto done;
      } else {
        uint8_t *buf = chunk_buf_get(w, cb);
        if (!buf) {
          rc = h5k_err_nomem();
          goto done;
        }
        if (run) {
          memcpy(buf, run, cb);
        } else {
          if (!inside_extent(lo, d->layout.chunk, d->space.dims, d->space.rank))
            fill_buf(buf, cb, d); /* the part of an edge chunk outside the extent */
          copy_box(s, src, buf, lo, d->layout.chunk, d->elem_size, 1, NULL);
        }
        rc = submit_chunk(w, n, scaled, buf, cb);
        if (rc < 0) goto done;
      }
    }
    int i = (int)r - 1;
    while (i >= 0) {
      if (++idx[i] < ncl[i]) break;
      idx[i] = 0;
      i--;
    }
    if (i < 0) break;
  }
done:
  for (unsigned i = 0; i < r; i++) free(cl[i]);
  return rc;
}

/* Make the contiguous storage writable in this transaction: allocate it, and copy the committed
 * content when there was some. */
static int contig_prepare(h5k_writer *w, h5k_wnode *n) {
  h5k_wdset *d = n->ds;
  if (addr_defined(d->layout.addr) && d->contig_txn == w->txn) return 0;
  uint64_t size = d->layout.size;
  uint64_t addr;
  if (!size) return 0;
  TRY(h5k_space_alloc(&w->space, size, &addr));
  size_t piece = 4u << 20;
  uint8_t *buf = malloc(piece);
  if (!buf) return h5k_err_nomem();
  int rc = 0;
  for (uint64_t o = 0; o < size && rc >= 0; o += piece) {
    size_t len = size - o < piece ? (size_t)(size - o) : piece;
    if (addr_defined(d->layout.addr)) rc = h5k_io_read(w->io, buf, len, w->fc.base + d->layout.addr + o);
    else fill_buf(buf, len, d);
    if (rc >= 0) rc = h5k_io_write(w->io, buf, len, w->fc.base + addr + o);
  }
  free(buf);
  if (rc < 0) {
    (void)h5k_space_free_now(&w->space, addr, size);
    return rc;
  }
  if (addr_defined(d->layout.addr)) TRY(h5k_space_free_later(&w->space, d->layout.addr, size));
  d->layout.addr = addr;
  d->contig_txn = w->txn;
  return 0;
}

static int write_contiguous(h5k_writer *w, h5k_wnode *n, const h5k_coordsel *s, const uint8_t *src) {
  h5k_wdset *d = n->ds;
  TRY(contig_prepare(w, n));
  if (!s->total) return 0;
  unsigned r = d->space.rank;
  size_t es = d->elem_size;
  if (r == 0) return h5k_io_write(w->io, src, es, w->fc.base + d->layout.addr);
  /* rows of the last dimension: gather runs, write each run */
  uint64_t dstride[H5K_MAX_DIMS];
  dstride[r - 1] = 1;
  for (unsigned i = r - 1; i-- > 0;) dstride[i] = dstride[i + 1] * d->space.dims[i + 1];
  uint64_t idx[H5K_MAX_DIMS] = {0};
  uint64_t so = 0;
  const uint64_t *last = s->coord[r - 1];
  for (;;) {
    uint64_t base = 0;
    for (unsigned i = 0; i + 1 < r; i++) base += s->coord[i][idx[i]] * dstride[i];
    uint64_t k = 0;
    while (k < s->n[r - 1]) {
      uint64_t e = k + 1;
      if (last[s->n[r - 1] - 1] - last[k] == s->n[r - 1] - 1 - k) e = s->n[r - 1];
      while (e < s->n[r - 1] && last[e] == last[e - 1] + 1) e++;
      TRY(h5k_io_write(w->io, src + (so + k) * es, (size_t)(e - k) * es,
                       w->fc.base + d->layout.addr + (base + last[k]) * es));
      k = e;
    }
    so += s->n[r - 1];
    int i = (int)r - 2;
    while (i >= 0) {
      if (++idx[i] < s->n[i]) break;
      idx[i] = 0;
      i--;
    }
    if (i < 0) break;
  }
  return 0;
}

int h5k_wdset_write(h5k_writer *w, h5k_wnode *n, const h5k_selection *sel, const uint8_t *filebuf) {
  h5k_wdset *d = n->ds;
  h5k_coordsel s;
  TRY(h5k_coordsel_build(&s, &d->space, sel));
  int rc = 0;
  if (s.total == 0) goto done;
  switch (d->layout.cls) {
  case H5K_LAYOUT_COMPACT: {
    uint64_t lo[H5K_MAX_DIMS] = {0};
    copy_box(&s, filebuf, d->layout.compact, lo, d->space.dims, d->elem_size, 1, NULL);
    h5k_wnode_mark_dirty(w, n);
    break;
  }
  case H5K_LAYOUT_CONTIGUOUS:
    rc = write_contiguous(w, n, &s, filebuf);
    if (rc >= 0) h5k_wnode_mark_dirty(w, n);
    break;
  case H5K_LAYOUT_CHUNKED:
    rc = write_chunked(w, n, &s, filebuf);
    h5k_wnode_mark_dirty(w, n); /* chunks may have landed even when a later one failed */
    break;
  default:
    rc = h5k_err(H5K_EINVAL, "a virtual dataset has no storage to write");
  }
done:
  h5k_coordsel_free(&s);
  return rc;
}

int h5k_wdset_write_chunk(h5k_writer *w, h5k_wnode *n, const uint64_t *offset, uint32_t mask, const void *buf,
                          size_t size) {
  h5k_wdset *d = n->ds;
  if (d->layout.cls != H5K_LAYOUT_CHUNKED) return h5k_err(H5K_EINVAL, "direct chunk write needs a chunked dataset");
  if (!size) return h5k_err(H5K_EINVAL, "empty chunk");
  if (size > UINT32_MAX) return h5k_err(H5K_EINVAL, "chunk larger than 4 GiB");
  uint64_t scaled[H5K_MAX_DIMS];
  for (unsigned i = 0; i < d->space.rank; i++) {
    if (offset[i] % d->layout.chunk[i])
      return h5k_err(H5K_EINVAL, "offset %llu in dimension %u is not a multiple of the chunk size %llu",
                     (unsigned long long)offset[i], i, (unsigned long long)d->layout.chunk[i]);
    if (offset[i] >= d->space.dims[i])
      return h5k_err(H5K_EINVAL, "offset %llu in dimension %u is outside the extent %llu",
                     (unsigned long long)offset[i], i, (unsigned long long)d->space.dims[i]);
    scaled[i] = offset[i] / d->layout.chunk[i];
  }
  TRY(h5k_wdset_load_chunks(w, n));
  cache_drop(w, n, scaled);
  TRY(h5k_wpool_drain(w)); /* a queued write of the same chunk must not land after this one */
  uint64_t addr;
  TRY(h5k_space_alloc(&w->space, size, &addr));
  int rc = h5k_io_write(w->io, buf, size, w->fc.base + addr);
  if (rc < 0) {
    (void)h5k_space_free_now(&w->space, addr, size);
    return rc;
  }
  h5k_wchunk *old = h5k_wdset_find_chunk(d, scaled);
  if (old) TRY(release_chunk_space(w, old));
  h5k_wchunk c;
  memset(&c, 0, sizeof c);
  memcpy(c.scaled, scaled, sizeof(uint64_t) * d->space.rank);
  c.addr = addr;
  c.size = size;
  c.mask = mask;
  c.txn = w->txn;
  c.seq = ++w->next_seq;
  TRY(h5k_wdset_set_chunk(d, &c));
  h5k_wnode_mark_dirty(w, n);
  return 0;
}

int h5k_wdset_resize(h5k_writer *w, h5k_wnode *n, const uint64_t *dims) {
  h5k_wdset *d = n->ds;
  unsigned r = d->space.rank;
  if (d->space.kind != H5K_SPACE_SIMPLE) return h5k_err(H5K_EINVAL, "only simple dataspaces can be resized");
  for (unsigned i = 0; i < r; i++)
    if (d->space.maxdims[i] != H5K_UNLIMITED && dims[i] > d->space.maxdims[i])
      return h5k_err(H5K_EINVAL, "cannot resize dimension %u to %llu: its maximum size is %llu", i,
                     (unsigned long long)dims[i], (unsigned long long)d->space.maxdims[i]);
  if (d->layout.cls != H5K_LAYOUT_CHUNKED) {
    for (unsigned i = 0; i < r; i++)
      if (dims[i] != d->space.dims[i]) return h5k_err(H5K_EINVAL, "only chunked datasets can be resized");
    return 0;
  }
  /* Growing changes no stored chunk (the parts of edge chunks outside the old extent already
   * hold the fill value): only the extent changes, in constant time, so that the usual
   * append pattern (resize by one frame, write it) stays linear. Unless partial edge chunks are
   * stored unfiltered: then chunks that stop (or start) being edge chunks are re-encoded. */
  int shrunk = 0;
  for (unsigned i = 0; i < r; i++)
    if (dims[i] < d->space.dims[i]) shrunk = 1;
  if (!shrunk && !edges_raw(d)) {
    memcpy(d->space.dims, dims, sizeof(uint64_t) * r);
    h5k_wnode_mark_dirty(w, n);
    return 0;
  }
  TRY(h5k_wdset_load_chunks(w, n));
  TRY(h5k_wcache_flush(w, n));
  TRY(h5k_wpool_drain(w));
  uint64_t old[H5K_MAX_DIMS];
  memcpy(old, d->space.dims, sizeof old);
  size_t cb = 0;
  TRY(chunk_bytes(&cb, d));
  /* From here the model changes: a failure leaves it unlike the file, so the handle is broken
   * (the file keeps its last commit). */
  int rc = 0;
  /* drop chunks wholly outside the new extent */
  for (size_t k = 0; k < d->nchunks && rc >= 0;) {
    int outside = 0;
    for (unsigned i = 0; i < r; i++)
      if (d->chunks[k].scaled[i] * d->layout.chunk[i] >= dims[i]) outside = 1;
    if (outside) {
      rc = release_chunk_space(w, &d->chunks[k]);
      h5k_wdset_drop_chunk(d, &d->chunks[k]);
    } else {
      k++;
    }
  }
  memcpy(d->space.dims, dims, sizeof(uint64_t) * r); /* store_chunk encodes for the new extent */
  /* Chunks cut by a shrink keep stale values beyond the new edge; libhdf5 rewrites them with the
   * fill value so that growing again shows fill: do the same for every cut chunk. And with raw
   * edge chunks, re-encode those whose edge status changed. */
  for (size_t k = 0; k < d->nchunks && rc >= 0; k++) {
    int cut = 0;
    uint64_t lo[H5K_MAX_DIMS], scaled[H5K_MAX_DIMS];
    memcpy(scaled, d->chunks[k].scaled, sizeof scaled);
    for (unsigned i = 0; i < r; i++) {
      lo[i] = scaled[i] * d->layout.chunk[i];
      if (dims[i] < old[i] && lo[i] + d->layout.chunk[i] > dims[i]) cut = 1;
    }
    if (!cut && raw_edge(d, scaled, old) == raw_edge(d, scaled, dims)) continue;
    uint8_t *buf = malloc(cb), *fresh = cut ? malloc(cb) : NULL;
    rc = buf && (fresh || !cut) ? read_chunk_into(w, d, &d->chunks[k], buf, cb, old) : h5k_err_nomem();
    if (rc >= 0 && cut) {
      /* keep only elements inside the new extent */
      fill_buf(fresh, cb, d);
      h5k_coordsel keep;
      h5k_dataspace sp = d->space;
      h5k_selection box;
      box.rank = r;
      for (unsigned i = 0; i < r; i++) {
        box.start[i] = lo[i];
        box.stride[i] = 1;
        box.block[i] = 1;
        box.count[i] = lo[i] >= dims[i] ? 0 : (lo[i] + d->layout.chunk[i] > dims[i] ? dims[i] - lo[i] : d->layout.chunk[i]);
      }
      rc = h5k_coordsel_build(&keep, &sp, &box);
      if (rc >= 0) {
        uint64_t nk = keep.total;
        uint8_t *tmp = malloc(nk * d->elem_size + 1);
        if (!tmp) rc = h5k_err_nomem();
        else {
          copy_box(&keep, NULL, buf, lo, d->layout.chunk, d->elem_size, 0, tmp);
          copy_box(&keep, tmp, fresh, lo, d->layout.chunk, d->elem_size, 1, NULL);
          free(tmp);
        }
        h5k_coordsel_free(&keep);
      }
    }
    if (rc >= 0) rc = store_chunk(w, n, scaled, cut ? fresh : buf, cb, 1, ++w->next_seq);
    free(buf);
    free(fresh);
  }
  if (rc < 0) {
    w->broken = 1;
    return rc;
  }
  h5k_wnode_mark_dirty(w, n);
  return 0;
}

int h5k_wdset_release(h5k_writer *w, h5k_wnode *n) {
  h5k_wdset *d = n->ds;
  cache_discard(w, n);
  TRY(h5k_wpool_drain(w));
  if (d->layout.cls == H5K_LAYOUT_CHUNKED) {
    TRY(h5k_wdset_load_chunks(w, n));
    for (size_t k = 0; k < d->nchunks; k++) TRY(release_chunk_space(w, &d->chunks[k]));
    d->nchunks = 0;
    if (d->nslots) memset(d->slots, 0, d->nslots * sizeof *d->slots);
  } else if (d->layout.cls == H5K_LAYOUT_CONTIGUOUS && addr_defined(d->layout.addr)) {
    if (d->contig_txn == w->txn) TRY(h5k_space_free_now(&w->space, d->layout.addr, d->layout.size));
    else TRY(h5k_space_free_later(&w->space, d->layout.addr, d->layout.size));
    d->layout.addr = H5K_ADDR_UNDEF;
  }
  return 0;
}

/* ---- variable-length data --------------------------------------------------------------------------- */
/* Collection layout (III.E): header 16 bytes ("GCOL", version 1, 3 reserved, size L); each object
 * 16-byte header (index 2, refcount 2, reserved 4, size L) + data padded to 8. */
static size_t gobj_bytes(size_t len) { return 16 + ((len + 7) & ~(size_t)7); }

int h5k_wgheap_flush(h5k_writer *w) {
  h5k_wgheap *g = &w->gheap;
  if (!addr_defined(g->addr)) return 0;
  h5k_wbuf b;
  wbuf_init(&b);
  int rc = h5k_gcol_build(&b, g->addr, (const uint8_t *const *)g->objs, g->lens, g->nobjs, g->size);
  if (rc >= 0 && b.len != g->size) rc = h5k_err(H5K_EINVAL, "internal: global heap collection size %zu, expected %zu", b.len, g->size);
  if (rc >= 0) rc = h5k_io_write(w->io, b.p, b.len, w->fc.base + g->addr);
  wbuf_free(&b);
  if (rc >= 0 && w->ngcols == w->capgcols) {
    size_t nc = w->capgcols ? 2 * w->capgcols : 8;
    struct h5k_wgcol *q = realloc(w->gcols, nc * sizeof *q);
    if (q) {
      w->gcols = q;
      w->capgcols = nc;
    }
  }
  if (rc >= 0 && w->ngcols < w->capgcols) { /* (untracked when out of memory: never freed) */
    w->gcols[w->ngcols].addr = g->addr;
    w->gcols[w->ngcols].size = g->size;
    w->gcols[w->ngcols].live = g->nobjs;
    w->ngcols++;
  }
  for (size_t i = 0; i < g->nobjs; i++) free(g->objs[i]);
  g->nobjs = 0;
  g->addr = H5K_ADDR_UNDEF;
  return rc;
}

int h5k_wgheap_release(h5k_writer *w, uint64_t coll) {
  if (w->keep_original) return 0; /* old headers stay readable, and so does what they point at */
  for (size_t i = 0; i < w->ngcols; i++) {
    if (w->gcols[i].addr != coll) continue;
    if (w->gcols[i].live && --w->gcols[i].live == 0) {
      int rc = h5k_space_free_later(&w->space, w->gcols[i].addr, w->gcols[i].size);
      w->gcols[i] = w->gcols[--w->ngcols];
      return rc;
    }
    return 0;
  }
  return 0; /* a collection read from the file, or untracked: kept */
}

int h5k_wgheap_put(h5k_writer *w, const void *p, size_t len, uint64_t *coll, uint32_t *index) {
  h5k_wgheap *g = &w->gheap;
  size_t need = gobj_bytes(len);
  /* the free-space object needs 16 bytes unless the collection is exactly full */
  if (addr_defined(g->addr) && (g->used + need + 16 > g->size || g->nobjs >= 65535)) TRY(h5k_wgheap_flush(w));
  if (!addr_defined(g->addr)) {
    size_t size = 16 + need + 16;
    if (size < 4096) size = 4096;
    uint64_t addr;
    TRY(h5k_space_alloc(&w->space, size, &addr));
    g->addr = addr;
    g->size = size;
    g->used = 16;
  }
  if (g->nobjs == g->capobjs) {
    size_t nc = g->capobjs ? g->capobjs * 2 : 16;
    uint8_t **o = realloc(g->objs, nc * sizeof *o);
    if (!o) return h5k_err_nomem();
    g->objs = o;
    size_t *l = realloc(g->lens, nc * sizeof *l);
    if (!l) return h5k_err_nomem();
    g->lens = l;
    g->capobjs = nc;
  }
  uint8_t *copy = malloc(len ? len : 1);
  if (!copy) return h5k_err_nomem();
  if (len) memcpy(copy, p, len);
  g->objs[g->nobjs] = copy;
  g->lens[g->nobjs] = len;
  g->nobjs++;
  g->used += need;
  *coll = g->addr;
  *index = (uint32_t)g->nobjs;
  return 0;
}

/* ---- conversion from the caller's memory --------------------------------------------------------------- */
/* One element of a type holding variable-length data somewhere inside, from its memory form
 * (h5k_datatype_native's layout: char* strings, h5k_vlen sequences) to the file form. */
static int wconv_elem(h5k_writer *w, uint8_t *dst, const h5k_datatype *ft, const uint8_t *src, const h5k_datatype *mt,
                      unsigned depth) {
  if (depth > 32) return h5k_err(H5K_ELIMIT, "datatype nesting too deep");
  if (!h5k_datatype_contains(ft, H5K_CLASS_VLEN)) return h5k_convert(dst, ft, src, mt, 1, NULL);
  if (ft->cls == H5K_CLASS_VLEN && ft->vlen_type == H5K_VLEN_STRING) {
    const char *str;
    memcpy(&str, src, sizeof str);
    uint64_t coll = 0;
    uint32_t index = 0;
    size_t len = str ? strlen(str) : 0;
    if (len > UINT32_MAX) return h5k_err(H5K_EINVAL, "string too long");
    if (str) TRY(h5k_wgheap_put(w, str, len, &coll, &index)); /* "" is an empty object; NULL a null ID */
    h5k_vlen_put(dst, (uint32_t)len, coll, index, &w->fc);
    return 0;
  }
  if (ft->cls == H5K_CLASS_VLEN) {
    h5k_vlen v;
    memcpy(&v, src, sizeof v);
    size_t fbs = (size_t)ft->base->size, mbs = (size_t)mt->base->size;
    uint64_t nb;
    if (ck_mul64(v.len, fbs, &nb) || nb > UINT32_MAX) return h5k_err(H5K_EINVAL, "sequence too long");
    uint8_t *tmp = malloc(nb ? (size_t)nb : 1);
    if (!tmp) return h5k_err_nomem();
    int rc = 0;
    for (size_t i = 0; i < v.len && rc >= 0; i++)
      rc = wconv_elem(w, tmp + i * fbs, ft->base, (const uint8_t *)v.p + i * mbs, mt->base, depth + 1);
    uint64_t coll = 0;
    uint32_t index = 0;
    if (rc >= 0 && v.len) rc = h5k_wgheap_put(w, tmp, (size_t)nb, &coll, &index);
    free(tmp);
    if (rc >= 0) h5k_vlen_put(dst, (uint32_t)v.len, coll, index, &w->fc);
    return rc;
  }
  if (ft->cls == H5K_CLASS_ARRAY) {
    if (mt->cls != H5K_CLASS_ARRAY) return h5k_err(H5K_EINVAL, "array data needs an array memory type");
    uint64_t n = 1;
    for (unsigned i = 0; i < ft->rank; i++) n *= ft->dims[i];
    size_t fbs = (size_t)ft->base->size, mbs = (size_t)mt->base->size;
    for (uint64_t i = 0; i < n; i++) TRY(wconv_elem(w, dst + i * fbs, ft->base, src + i * mbs, mt->base, depth + 1));
    return 0;
  }
  if (ft->cls == H5K_CLASS_COMPOUND) {
    if (mt->cls != H5K_CLASS_COMPOUND) return h5k_err(H5K_EINVAL, "compound data needs a compound memory type");
    memset(dst, 0, (size_t)ft->size);
    for (size_t i = 0; i < ft->nmembers; i++) {
      const h5k_type_member *fm = &ft->members[i];
      const h5k_type_member *mm = NULL;
      for (size_t k = 0; k < mt->nmembers; k++)
        if (!strcmp(mt->members[k].name, fm->name)) mm = &mt->members[k];
      if (!mm) return h5k_err(H5K_EINVAL, "compound member \"%s\" missing from the memory type", fm->name);
      TRY(wconv_elem(w, dst + fm->offset, fm->type, src + mm->offset, mm->type, depth + 1));
    }
    return 0;
  }
  return h5k_err(H5K_EUNSUPPORTED, "cannot write this variable-length layout");
}

int h5k_wconvert(uint8_t **out, h5k_writer *w, const h5k_datatype *ftype, const h5k_datatype *mem_type,
                 const void *buf, size_t n) {
  size_t fs = (size_t)ftype->size;
  uint64_t total;
  if (ck_mul64(fs, n, &total) || total > SIZE_MAX / 2) return h5k_err(H5K_EINVAL, "data too large");
  uint8_t *dst = malloc(total ? (size_t)total : 1);
  if (!dst) return h5k_err_nomem();
  int rc = 0;
  if (h5k_datatype_contains(ftype, H5K_CLASS_REFERENCE)) {
    rc = h5k_err(H5K_EUNSUPPORTED, "writing object references is not supported yet");
  } else if (ftype->cls == H5K_CLASS_VLEN) {
    if (mem_type && mem_type->cls != H5K_CLASS_VLEN) {
      rc = h5k_err(H5K_EINVAL, "variable-length data needs a variable-length memory type");
    } else if (ftype->vlen_type == H5K_VLEN_STRING) {
      const char *const *strs = buf;
      for (size_t i = 0; i < n && rc >= 0; i++) {
        const char *s = strs[i] ? strs[i] : "";
        size_t len = strlen(s);
        uint64_t coll = 0;
        uint32_t index = 0;
        if (len > UINT32_MAX) rc = h5k_err(H5K_EINVAL, "string too long");
        /* "" is stored as an empty heap object (as libhdf5 does), NULL as a null heap ID */
        if (rc >= 0 && strs[i]) rc = h5k_wgheap_put(w, s, len, &coll, &index);
        if (rc >= 0) h5k_vlen_put(dst + i * fs, (uint32_t)len, coll, index, &w->fc);
      }
    } else {
      const h5k_vlen *seq = buf;
      const h5k_datatype *mbase = mem_type ? mem_type->base : ftype->base;
      size_t bs = (size_t)ftype->base->size;
      if (h5k_datatype_contains(ftype->base, H5K_CLASS_VLEN)) rc = h5k_err(H5K_EUNSUPPORTED, "nested variable-length data is not supported for writing");
      for (size_t i = 0; i < n && rc >= 0; i++) {
        uint64_t coll = 0, nb;
        uint32_t index = 0;
        if (ck_mul64(seq[i].len, bs, &nb) || nb > UINT32_MAX) {
          rc = h5k_err(H5K_EINVAL, "sequence too long");
          break;
        }
        uint8_t *tmp = malloc(nb ? (size_t)nb : 1);
        if (!tmp) rc = h5k_err_nomem();
        if (rc >= 0 && seq[i].len) rc = h5k_convert(tmp, ftype->base, seq[i].p, mbase, seq[i].len, NULL);
        if (rc >= 0 && seq[i].len) rc = h5k_wgheap_put(w, tmp, (size_t)nb, &coll, &index);
        free(tmp);
        if (rc >= 0) h5k_vlen_put(dst + i * fs, (uint32_t)seq[i].len, coll, index, &w->fc);
      }
    }
  } else if (h5k_datatype_contains(ftype, H5K_CLASS_VLEN)) {
    h5k_datatype *native = NULL;
    if (!mem_type) rc = h5k_datatype_native(&native, ftype);
    const h5k_datatype *mt = mem_type ? mem_type : native;
    for (size_t i = 0; i < n && rc >= 0; i++)
      rc = wconv_elem(w, dst + i * fs, ftype, (const uint8_t *)buf + i * mt->size, mt, 0);
    h5k_datatype_free(native);
  } else if (!mem_type) {
    if (total) memcpy(dst, buf, (size_t)total);
  } else {
    rc = h5k_convert(dst, ftype, buf, mem_type, n, NULL);
  }
  if (rc < 0) {
    free(dst);
    return rc;
  }
  *out = dst;
  return 0;
}
