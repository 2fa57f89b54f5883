/* The dataset read engine — HDF5 File Format Specification 3.0, IV.A.2.i (Data Layout: compact,
 * contiguous, chunked storage), IV.A.2.h (External Data Files), IV.A.2.e/f (fill values), with the
 * chunk indexes of format/layout.h and the filters of filter/filter.h.
 *
 * A selection is a regular hyperslab per dimension (start, stride, count, block), so the selected
 * points are the Cartesian product of one sorted coordinate list per dimension, and the output is
 * that product in C order. Reading:
 *  - compact / contiguous / external: the selection is cut into runs of elements contiguous both
 *    in the source and in the output; adjacent runs merge, so a full read is one pread;
 *  - chunked: per dimension, the chunks the coordinate list meets (with the sub-range of the list
 *    inside each); the chunks touched are the product of those lists. Each is a task: fetch the
 *    stored bytes (pread), undo the filter pipeline, scatter the selected part into the output.
 *    Tasks run on `nthreads` threads; each thread holds one stored and one decoded chunk at a time,
 *    so memory beyond the output is bounded by 2 x nthreads chunks. Outputs of different chunks are
 *    disjoint, so threads write without locks. Unallocated chunks read as the fill value.
 */
#include "object/dataset.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/messages.h"
#include "format/shared.h"
#include "object/object.h"
#include "util/checked.h"
#include "util/error.h"

/* ---- opening ------------------------------------------------------------------------------------------ */

/* Find a message, resolve sharing, and hand the bytes to the caller's decoder through out params. */
static int msg_bytes(const uint8_t **p, size_t *len, uint8_t **owned, const h5k_fctx *f, const h5k_ohdr *oh,
                     unsigned type) {
  const h5k_msg *m = h5k_ohdr_find(oh, type, NULL);
  *owned = NULL;
  if (!m) return 0;
  TRY(h5k_msg_unshare(p, len, owned, NULL, f, type, m->data, m->size, (m->flags & H5K_MSGF_SHARED) != 0));
  return 1;
}

static int open_fill(h5k_dset *d, const h5k_ohdr *oh) {
  const uint8_t *p;
  size_t len;
  uint8_t *owned = NULL;
  int rc, has;
  unsigned type = H5K_MSG_FILLVALUE;
  has = msg_bytes(&p, &len, &owned, d->env.f, oh, type);
  if (has == 0) {
    type = H5K_MSG_FILLVALUE_OLD;
    has = msg_bytes(&p, &len, &owned, d->env.f, oh, type);
  }
  if (has <= 0) return has;
  rc = h5k_decode_fill(&d->fill, type, p, len);
  free(owned);
  if (rc < 0) return rc;
  /* A fill value whose size is not the element size (e.g. for variable-length types) is not
   * usable as raw element bytes; such datasets read unallocated space as zeros. */
  if (d->fill.defined && d->fill.value && d->fill.size == d->esize) {
    d->fill_elem = malloc(d->esize);
    if (!d->fill_elem) return h5k_err_nomem();
    memcpy(d->fill_elem, d->fill.value, d->esize);
    int nonzero = 0;
    for (size_t i = 0; i < d->esize; i++) nonzero |= d->fill_elem[i];
    if (!nonzero) { /* all zero: same as no fill */
      free(d->fill_elem);
      d->fill_elem = NULL;
    }
  }
  return 0;
}

int h5k_dset_open(h5k_dset *d, const h5k_read_env *env, const h5k_ohdr *oh) {
  const h5k_fctx *f = env->f;
  const uint8_t *p;
  size_t len;
  uint8_t *owned = NULL;
  int rc, has;
  memset(d, 0, sizeof *d);
  d->env = *env;
  d->addr = oh->addr;
  if (h5k_obj_classify(oh) != H5K_OBJ_DATASET)
    return h5k_err(H5K_EINVAL, "object at %llu is not a dataset", (unsigned long long)oh->addr);
  rc = h5k_obj_datatype(&d->type, f, oh);
  if (rc >= 0) rc = h5k_obj_dataspace(&d->space, f, oh);
  if (rc < 0) goto fail;
  d->esize = (size_t)d->type->size;
  if (d->esize == 0) {
    rc = corrupt("dataset at %llu: datatype of size 0", (unsigned long long)oh->addr);
    goto fail;
  }
  has = msg_bytes(&p, &len, &owned, f, oh, H5K_MSG_LAYOUT);
  if (has <= 0) {
    rc = has < 0 ? has : corrupt("dataset at %llu has no layout message", (unsigned long long)oh->addr);
    goto fail;
  }
  rc = h5k_decode_layout(&d->layout, p, len, f, d->space.rank);
  free(owned);
  owned = NULL;
  if (rc < 0) goto fail;
  has = msg_bytes(&p, &len, &owned, f, oh, H5K_MSG_PLINE);
  if (has < 0) {
    rc = has;
    goto fail;
  }
  if (has) {
    rc = h5k_decode_pline(&d->pline, p, len);
    free(owned);
    owned = NULL;
    if (rc < 0) goto fail;
  }
  has = msg_bytes(&p, &len, &owned, f, oh, H5K_MSG_EFL);
  if (has < 0) {
    rc = has;
    goto fail;
  }
  if (has) {
    rc = h5k_decode_efl(&d->efl, p, len, f);
    free(owned);
    owned = NULL;
    if (rc < 0) goto fail;
  }
  rc = open_fill(d, oh);
  if (rc < 0) goto fail;
  if (d->layout.cls == H5K_LAYOUT_CHUNKED) {
    h5k_chunk_geom *g = &d->geom;
    uint64_t bytes = d->esize;
    if (d->space.kind != H5K_SPACE_SIMPLE || d->layout.rank != d->space.rank) {
      rc = corrupt("dataset at %llu: chunk rank %u does not match dataspace rank %u", (unsigned long long)oh->addr,
                   d->layout.rank, d->space.rank);
      goto fail;
    }
    g->layout = &d->layout;
    g->rank = d->space.rank;
    for (unsigned i = 0; i < g->rank; i++) {
      g->dims[i] = d->space.dims[i];
      g->maxdims[i] = d->space.maxdims[i];
      if (d->layout.chunk[i] == 0 || ck_mul64(bytes, d->layout.chunk[i], &bytes)) {
        rc = corrupt("dataset at %llu: invalid chunk dimensions", (unsigned long long)oh->addr);
        goto fail;
      }
    }
    if (bytes > H5K_MAX_BLOCK) {
      rc = h5k_err(H5K_ELIMIT, "dataset at %llu: chunks of %llu bytes exceed the 1 GiB limit",
                   (unsigned long long)oh->addr, (unsigned long long)bytes);
      goto fail;
    }
    g->filtered = d->pline.n > 0;
    g->chunk_bytes = bytes;
  }
  return 0;
fail:
  free(owned);
  h5k_dset_close(d);
  return rc;
}

void h5k_dset_close(h5k_dset *d) {
  if (!d) return;
  h5k_datatype_free(d->type);
  h5k_layout_clear(&d->layout);
  h5k_pline_clear(&d->pline);
  h5k_fill_clear(&d->fill);
  h5k_efl_clear(&d->efl);
  free(d->fill_elem);
  memset(d, 0, sizeof *d);
}

/* ---- selections --------------------------------------------------------------------------------------- */

typedef h5k_coordsel selplan;

void h5k_coordsel_free(h5k_coordsel *s) {
  for (unsigned i = 0; i < H5K_MAX_DIMS; i++) free(s->coord[i]);
  memset(s, 0, sizeof *s);
}

void h5k_coordsel_strides(h5k_coordsel *s) {
  for (int d = (int)s->rank - 1; d >= 0; d--)
    s->ostride[d] = d == (int)s->rank - 1 ? 1 : s->ostride[d + 1] * s->n[d + 1];
}

#define plan_free h5k_coordsel_free

static int check_sel(uint64_t *n_out, const h5k_dataspace *sp, const h5k_selection *sel, unsigned d) {
  uint64_t start = sel->start[d], stride = sel->stride[d], count = sel->count[d], block = sel->block[d];
  uint64_t last, n;
  if (count == 0) {
    *n_out = 0;
    return 0;
  }
  if (stride == 0 || block == 0) return h5k_err(H5K_EINVAL, "selection: stride and block must be at least 1 (dimension %u)", d);
  if (count > 1 && block > stride)
    return h5k_err(H5K_EINVAL, "selection: blocks overlap (block %llu > stride %llu in dimension %u)",
                   (unsigned long long)block, (unsigned long long)stride, d);
  if (ck_mul64(count - 1, stride, &last) || ck_add64(last, start, &last) || ck_add64(last, block - 1, &last) ||
      last >= sp->dims[d])
    return h5k_err(H5K_EINVAL, "selection: out of range in dimension %u (extent %llu)", d,
                   (unsigned long long)sp->dims[d]);
  if (ck_mul64(count, block, &n)) return h5k_err(H5K_EINVAL, "selection: too large");
  *n_out = n;
  return 0;
}

static int plan_count(uint64_t *out, uint64_t *n, const h5k_dataspace *sp, const h5k_selection *sel) {
  uint64_t total = 1;
  if (sp->kind == H5K_SPACE_NULL) {
    if (sel) return h5k_err(H5K_EINVAL, "selection on a dataset with a null dataspace");
    *out = 0;
    return 0;
  }
  if (sp->kind == H5K_SPACE_SCALAR) {
    if (sel && sel->rank != 0) return h5k_err(H5K_EINVAL, "selection of rank %u on a scalar dataset", sel->rank);
    *out = 1;
    return 0;
  }
  if (sel && sel->rank != sp->rank)
    return h5k_err(H5K_EINVAL, "selection of rank %u on a dataset of rank %u", sel->rank, sp->rank);
  for (unsigned d = 0; d < sp->rank; d++) {
    if (sel) TRY(check_sel(&n[d], sp, sel, d));
    else n[d] = sp->dims[d];
    if (ck_mul64(total, n[d], &total)) return h5k_err(H5K_EINVAL, "selection: element count overflows");
  }
  *out = total;
  return 0;
}

static int plan_build(selplan *s, const h5k_dataspace *sp, const h5k_selection *sel) {
  memset(s, 0, sizeof *s);
  TRY(plan_count(&s->total, s->n, sp, sel));
  s->rank = sp->kind == H5K_SPACE_SIMPLE ? sp->rank : 0;
  if (s->total == 0) return 0;
  for (unsigned d = 0; d < s->rank; d++) {
    uint64_t k = 0;
    if (s->n[d] > SIZE_MAX / sizeof(uint64_t)) return h5k_err_nomem();
    s->coord[d] = malloc((size_t)s->n[d] * sizeof(uint64_t));
    if (!s->coord[d]) {
      plan_free(s);
      return h5k_err_nomem();
    }
    if (!sel) {
      for (uint64_t i = 0; i < s->n[d]; i++) s->coord[d][i] = i;
      continue;
    }
    for (uint64_t c = 0; c < sel->count[d]; c++)
      for (uint64_t b = 0; b < sel->block[d]; b++) s->coord[d][k++] = sel->start[d] + c * sel->stride[d] + b;
  }
  h5k_coordsel_strides(s);
  return 0;
}

/* ---- contiguous, compact and external sources: runs ------------------------------------------------- */

typedef struct source source;
struct source {
  /* Copy len bytes at byte offset off of the dataset's linear storage into dst. */
  int (*read)(const source *src, uint8_t *dst, uint64_t off, size_t len);
  const h5k_dset *d;
  uint64_t size; /* bytes of linear storage the dataset needs */
};

static int src_contiguous(const source *s, uint8_t *dst, uint64_t off, size_t len) {
  const h5k_dset *d = s->d;
  if (off + len > d->layout.size)
    return corrupt("dataset at %llu: contiguous storage of %llu bytes is smaller than the dataspace needs",
                   (unsigned long long)d->addr, (unsigned long long)d->layout.size);
  return fctx_read(d->env.f, d->layout.addr + off, dst, len, "contiguous dataset storage");
}

static int src_compact(const source *s, uint8_t *dst, uint64_t off, size_t len) {
  const h5k_dset *d = s->d;
  if (off > d->layout.compact_size || len > d->layout.compact_size - off)
    return corrupt("dataset at %llu: compact data of %llu bytes is smaller than the dataspace needs",
                   (unsigned long long)d->addr, (unsigned long long)d->layout.compact_size);
  memcpy(dst, d->layout.compact + off, len);
  return 0;
}

static void fill_elems(uint8_t *dst, const uint8_t *fill, size_t esize, size_t n) {
  if (!fill) {
    memset(dst, 0, n * esize);
    return;
  }
  for (size_t i = 0; i < n; i++) memcpy(dst + i * esize, fill, esize);
}

static int src_fill(const source *s, uint8_t *dst, uint64_t off, size_t len) {
  (void)off;
  fill_elems(dst, s->d->fill_elem, s->d->esize, len / s->d->esize);
  return 0;
}

/* External data files: the dataset's bytes are the concatenation of the listed segments. */
static int open_external(FILE **out, const h5k_dset *d, const char *name) {
  const char *base = d->env.file_path;
  char path[4096];
  FILE *fp = NULL;
  if (name[0] != '/' && base && strrchr(base, '/')) {
    int n = (int)(strrchr(base, '/') - base);
    snprintf(path, sizeof path, "%.*s/%s", n, base, name);
    fp = fopen(path, "rb");
  }
  if (!fp) fp = fopen(name, "rb");
  if (!fp) return h5k_err(H5K_ENOTFOUND, "dataset at %llu: external data file \"%s\" cannot be opened",
                          (unsigned long long)d->addr, name);
  *out = fp;
  return 0;
}

static int src_external(const source *s, uint8_t *dst, uint64_t off, size_t len) {
  const h5k_efl *e = &s->d->efl;
  uint64_t seg_start = 0;
  for (size_t i = 0; i < e->n && len > 0; i++) {
    uint64_t seg_size = e->e[i].size;
    if (seg_size == H5K_UNLIMITED || seg_start + seg_size > off) {
      uint64_t in = off - seg_start;
      uint64_t avail = seg_size == H5K_UNLIMITED ? len : seg_size - in;
      size_t take = avail < len ? (size_t)avail : len;
      FILE *fp = NULL;
      size_t got;
      TRY(open_external(&fp, s->d, e->e[i].name));
      if (fseeko(fp, (off_t)(e->e[i].offset + in), SEEK_SET) != 0) {
        fclose(fp);
        return h5k_err(H5K_EIO, "external data file \"%s\": seek failed", e->e[i].name);
      }
      got = fread(dst, 1, take, fp);
      fclose(fp);
      /* Bytes past the end of an external file read as zeros (libhdf5 does the same). */
      if (got < take) memset(dst + got, 0, take - got);
      dst += take;
      off += take;
      len -= take;
    }
    if (seg_size != H5K_UNLIMITED) seg_start += seg_size;
  }
  if (len > 0)
    return corrupt("dataset at %llu: external files hold fewer bytes than the dataspace needs",
                   (unsigned long long)s->d->addr);
  return 0;
}

typedef struct run_state {
  const source *src;
  uint8_t *out;
  size_t esize;
  uint64_t pend_src, pend_out, pend_len; /* pending run in elements */
} run_state;

static int run_flush(run_state *r) {
  int rc = 0;
  if (r->pend_len)
    rc = r->src->read(r->src, r->out + r->pend_out * r->esize, r->pend_src * r->esize, (size_t)(r->pend_len * r->esize));
  r->pend_len = 0;
  return rc;
}

static int run_add(run_state *r, uint64_t src_el, uint64_t out_el, uint64_t len) {
  if (r->pend_len && r->pend_src + r->pend_len == src_el && r->pend_out + r->pend_len == out_el) {
    r->pend_len += len;
    return 0;
  }
  TRY(run_flush(r));
  r->pend_src = src_el;
  r->pend_out = out_el;
  r->pend_len = len;
  return 0;
}

static int read_linear(const h5k_dset *d, const selplan *s, const source *src, uint8_t *out) {
  run_state r = {src, out, d->esize, 0, 0, 0};
  uint64_t dstride[H5K_MAX_DIMS];
  uint64_t idx[H5K_MAX_DIMS] = {0};
  unsigned rank = s->rank, last;
  if (s->total == 0) return 0;
  if (rank == 0) {
    TRY(run_add(&r, 0, 0, 1));
    return run_flush(&r);
  }
  last = rank - 1;
  for (int k = (int)last; k >= 0; k--) dstride[k] = k == (int)last ? 1 : dstride[k + 1] * d->space.dims[k + 1];
  /* Runs of consecutive coordinates along the last dimension, found once for all rows. */
  uint64_t nruns = 0, *runs = malloc((size_t)s->n[last] * 2 * sizeof *runs);
  int rc = 0;
  if (!runs) return h5k_err_nomem();
  for (uint64_t i = 0; i < s->n[last];) {
    uint64_t j = i + 1;
    while (j < s->n[last] && s->coord[last][j] == s->coord[last][j - 1] + 1) j++;
    runs[2 * nruns] = i;
    runs[2 * nruns + 1] = j - i;
    nruns++;
    i = j;
  }
  for (;;) {
    uint64_t base_src = 0, base_out = 0;
    for (unsigned k = 0; k < last; k++) {
      base_src += s->coord[k][idx[k]] * dstride[k];
      base_out += idx[k] * s->ostride[k];
    }
    for (uint64_t q = 0; q < nruns && rc == 0; q++) {
      uint64_t i = runs[2 * q];
      rc = run_add(&r, base_src + s->coord[last][i], base_out + i, runs[2 * q + 1]);
    }
    if (rc < 0) break;
    /* Next row (odometer over all but the last dimension). */
    int k = (int)last - 1;
    while (k >= 0 && ++idx[k] == s->n[k]) idx[k--] = 0;
    if (k < 0) break;
  }
  free(runs);
  return rc < 0 ? rc : run_flush(&r);
}

/* ---- chunked ------------------------------------------------------------------------------------------ */

typedef struct dim_chunks {
  uint64_t n;         /* chunks touched in this dimension */
  uint64_t *idx;      /* their scaled index, ascending */
  uint64_t *lo, *hi;  /* sub-range [lo, hi) of the coordinate list inside each */
  uint8_t *consec;    /* the coordinates of that sub-range are consecutive */
} dim_chunks;

/* One touched chunk. Its position in each dimension's touched list is the task number in
 * mixed radix (task_pos), so a task stays small even when a read meets millions of chunks. */
typedef struct task {
  uint64_t addr, size;
  uint32_t mask;
  int have;           /* allocated (addr/size/mask valid) */
} task;

typedef struct chunk_job {
  const h5k_dset *d;
  const selplan *s;
  dim_chunks dc[H5K_MAX_DIMS];
  task *tasks;
  uint64_t ntasks;
  uint8_t *out;
  unsigned into_flags; /* for h5k_pipeline_decode_into: H5K_INTO_STREAM on big reads */
  atomic_ullong next;
  atomic_int stop;
  pthread_mutex_t lock;
  int rc;
  char msg[512];
} chunk_job;

static void job_fail(chunk_job *j, int rc) {
  pthread_mutex_lock(&j->lock);
  if (j->rc == 0) {
    j->rc = rc;
    snprintf(j->msg, sizeof j->msg, "%s", h5k_error_last());
  }
  pthread_mutex_unlock(&j->lock);
  atomic_store(&j->stop, 1);
}

static int build_dim_chunks(dim_chunks *dc, const selplan *s, unsigned d, uint64_t cdim) {
  uint64_t n = 0, prev = UINT64_MAX;
  for (uint64_t i = 0; i < s->n[d]; i++) {
    uint64_t c = s->coord[d][i] / cdim;
    if (c != prev) n++;
    prev = c;
  }
  dc->idx = malloc(n * sizeof *dc->idx);
  dc->lo = malloc(n * sizeof *dc->lo);
  dc->hi = malloc(n * sizeof *dc->hi);
  dc->consec = malloc(n);
  if (!dc->idx || !dc->lo || !dc->hi || !dc->consec) return h5k_err_nomem();
  dc->n = 0;
  prev = UINT64_MAX;
  for (uint64_t i = 0; i < s->n[d]; i++) {
    uint64_t c = s->coord[d][i] / cdim;
    if (c != prev) {
      dc->idx[dc->n] = c;
      dc->lo[dc->n] = i;
      dc->n++;
    }
    dc->hi[dc->n - 1] = i + 1;
    prev = c;
  }
  for (uint64_t t = 0; t < dc->n; t++)
    dc->consec[t] = s->coord[d][dc->hi[t] - 1] - s->coord[d][dc->lo[t]] == dc->hi[t] - 1 - dc->lo[t];
  return 0;
}

/* Position of scaled index c in a dimension's touched list, or -1. */
static int64_t dc_find(const dim_chunks *dc, uint64_t c) {
  uint64_t lo = 0, hi = dc->n;
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    if (dc->idx[mid] < c) lo = mid + 1;
    else hi = mid;
  }
  return lo < dc->n && dc->idx[lo] == c ? (int64_t)lo : -1;
}

static uint64_t task_index(const chunk_job *j, const uint64_t *pos) {
  uint64_t t = 0;
  for (unsigned d = 0; d < j->s->rank; d++) t = t * j->dc[d].n + pos[d];
  return t;
}

/* Position in each touched list, and scaled chunk coordinates, of task number t. */
static void task_pos(const chunk_job *j, uint64_t t, uint64_t *pos, uint64_t *scaled) {
  for (int d = (int)j->s->rank - 1; d >= 0; d--) {
    pos[d] = t % j->dc[d].n;
    t /= j->dc[d].n;
    scaled[d] = j->dc[d].idx[pos[d]];
  }
}

static int match_cb(void *ud, const h5k_chunk_rec *rec) {
  chunk_job *j = ud;
  uint64_t pos[H5K_MAX_DIMS];
  for (unsigned d = 0; d < j->s->rank; d++) {
    int64_t p = dc_find(&j->dc[d], rec->scaled[d]);
    if (p < 0) return 0;
    pos[d] = (uint64_t)p;
  }
  task *t = &j->tasks[task_index(j, pos)];
  if (t->have) return corrupt("dataset at %llu: chunk index lists a chunk twice", (unsigned long long)j->d->addr);
  t->addr = rec->addr;
  t->size = rec->size;
  t->mask = rec->mask;
  t->have = 1;
  return 0;
}

/* Scatter the selected part of one chunk (or the fill value when chunk is NULL) into the output. */
static void scatter(const chunk_job *j, const uint64_t *pos, const uint8_t *chunk) {
  const h5k_dset *d = j->d;
  const selplan *s = j->s;
  unsigned rank = s->rank, last = rank - 1;
  size_t es = d->esize;
  uint64_t origin[H5K_MAX_DIMS], cstride[H5K_MAX_DIMS], lo[H5K_MAX_DIMS], hi[H5K_MAX_DIMS], i[H5K_MAX_DIMS];
  for (int k = (int)last; k >= 0; k--) {
    const dim_chunks *dc = &j->dc[k];
    origin[k] = dc->idx[pos[k]] * d->layout.chunk[k];
    cstride[k] = k == (int)last ? 1 : cstride[k + 1] * d->layout.chunk[k + 1];
    lo[k] = dc->lo[pos[k]];
    hi[k] = dc->hi[pos[k]];
    i[k] = lo[k];
  }
  int consec = j->dc[last].consec[pos[last]];
  for (;;) {
    uint64_t bo = 0, bc = 0;
    for (unsigned k = 0; k < last; k++) {
      bo += i[k] * s->ostride[k];
      bc += (s->coord[k][i[k]] - origin[k]) * cstride[k];
    }
    for (uint64_t x = lo[last]; x < hi[last];) {
      uint64_t y = x + 1;
      if (consec) y = hi[last];
      else
        while (y < hi[last] && s->coord[last][y] == s->coord[last][y - 1] + 1) y++;
      uint8_t *dst = j->out + (bo + x) * es;
      if (chunk)
        memcpy(dst, chunk + (bc + s->coord[last][x] - origin[last]) * es, (size_t)(y - x) * es);
      else
        fill_elems(dst, d->fill_elem, es, (size_t)(y - x));
      x = y;
    }
    int k = (int)last - 1;
    while (k >= 0 && ++i[k] == hi[k]) {
      i[k] = lo[k];
      k--;
    }
    if (k < 0) break;
  }
}

static int is_edge_chunk(const h5k_dset *d, const uint64_t *scaled) {
  for (unsigned k = 0; k < d->geom.rank; k++)
    if ((scaled[k] + 1) * d->layout.chunk[k] > d->space.dims[k]) return 1;
  return 0;
}

static int chunk_error(const h5k_dset *d, const uint64_t *scaled, int rc) {
  char where[256];
  char msg[512];
  size_t n = 0;
  for (unsigned k = 0; k < d->geom.rank && n < sizeof where - 24; k++)
    n += (size_t)snprintf(where + n, sizeof where - n, "%s%llu", k ? ", " : "",
                          (unsigned long long)(scaled[k] * d->layout.chunk[k]));
  snprintf(msg, sizeof msg, "%s", h5k_error_last());
  return h5k_err(rc, "dataset at %llu, chunk at (%s): %s", (unsigned long long)d->addr, where, msg);
}

/* When a whole chunk lands in the output as one contiguous piece in its own element order (e.g.
 * one frame of a stack read in full), its element offset in the output; -1 otherwise. */
static int64_t identity_offset(const chunk_job *j, const uint64_t *pos) {
  const h5k_dset *d = j->d;
  const selplan *s = j->s;
  uint64_t off = 0;
  int inner = 0; /* inside the first dimension whose chunk extent exceeds 1 */
  for (unsigned k = 0; k < s->rank; k++) {
    const dim_chunks *dc = &j->dc[k];
    uint64_t lo = dc->lo[pos[k]], hi = dc->hi[pos[k]];
    if (!dc->consec[pos[k]] || hi - lo != d->layout.chunk[k]) return -1;
    if (inner && s->n[k] != d->layout.chunk[k]) return -1;
    if (d->layout.chunk[k] > 1) inner = 1;
    off += lo * s->ostride[k];
  }
  return (int64_t)off;
}

/* A worker's buffers for stored and decoded chunk bytes, reused from chunk to chunk. */
typedef struct scratch {
  uint8_t *buf;
  size_t cap;
  uint8_t *dec;  /* one decoded chunk (geom.chunk_bytes), allocated on first use */
} scratch;

static int scratch_read(uint8_t **out, scratch *sc, const h5k_dset *d, uint64_t addr, uint64_t size) {
  if (size > H5K_MAX_BLOCK) return corrupt("stored chunk of %llu bytes is implausible", (unsigned long long)size);
  if (size > sc->cap) {
    uint8_t *n = realloc(sc->buf, (size_t)size);
    if (!n) return h5k_err_nomem();
    sc->buf = n;
    sc->cap = (size_t)size;
  }
  *out = sc->buf;
  return fctx_read(d->env.f, addr, sc->buf, (size_t)size, "chunk");
}

static int do_task(chunk_job *j, uint64_t k, scratch *sc) {
  const h5k_dset *d = j->d;
  const task *t = &j->tasks[k];
  uint64_t pos[H5K_MAX_DIMS], scaled[H5K_MAX_DIMS];
  uint8_t *raw = NULL, *dec = NULL;
  int rc;
  task_pos(j, k, pos, scaled);
  if (!t->have) {
    scatter(j, pos, NULL);
    return 0;
  }
  if (d->pline.n > 0 && !((d->layout.flags & 1) && is_edge_chunk(d, scaled))) {
    /* Decode straight into the output when the chunk is one piece of it, else into the
     * worker's chunk buffer and copy the selected part. */
    int64_t off = identity_offset(j, pos);
    rc = scratch_read(&raw, sc, d, t->addr, t->size);
    if (rc < 0) return chunk_error(d, scaled, rc);
    if (off >= 0) {
      dec = j->out + (uint64_t)off * d->esize;
    } else {
      if (!sc->dec && !(sc->dec = malloc((size_t)d->geom.chunk_bytes))) return h5k_err_nomem();
      dec = sc->dec;
    }
    rc = h5k_pipeline_decode_into(dec, (size_t)d->geom.chunk_bytes, d->env.filters, d->pline.filters, d->pline.n,
                                  t->mask, raw, (size_t)t->size, d->esize, off >= 0 ? j->into_flags : 0);
    if (rc < 0) return chunk_error(d, scaled, rc);
    if (off < 0) scatter(j, pos, dec);
    return 0;
  }
  if (t->size < d->geom.chunk_bytes)
    return chunk_error(d, scaled, corrupt("stored size %llu is smaller than the chunk (%llu bytes)",
                                          (unsigned long long)t->size, (unsigned long long)d->geom.chunk_bytes));
  /* Unfiltered: straight into the output when the chunk is one piece of it. */
  {
    int64_t off = identity_offset(j, pos);
    if (off >= 0) {
      rc = fctx_read(d->env.f, t->addr, j->out + (uint64_t)off * d->esize, (size_t)d->geom.chunk_bytes, "chunk");
      return rc < 0 ? chunk_error(d, scaled, rc) : 0;
    }
  }
  rc = scratch_read(&raw, sc, d, t->addr, d->geom.chunk_bytes);
  if (rc < 0) return chunk_error(d, scaled, rc);
  scatter(j, pos, raw);
  return 0;
}

static void *worker(void *arg) {
  chunk_job *j = arg;
  scratch sc = {NULL, 0, NULL};
  for (;;) {
    uint64_t k;
    int rc;
    if (atomic_load(&j->stop)) break;
    k = atomic_fetch_add(&j->next, 1);
    if (k >= j->ntasks) break;
    rc = do_task(j, k, &sc);
    if (rc < 0) {
      job_fail(j, rc);
      break;
    }
  }
  free(sc.buf);
  free(sc.dec);
  return NULL;
}

/* Reads whose output is at least this large are written with non-temporal stores where a
 * decoder can (H5K_INTO_STREAM): such an output cannot stay in the caches anyway, and skipping
 * the read of each output line before it is written saves a third of the memory traffic of a
 * bitshuffle or shuffle decode (bench/results.md). Smaller reads keep their output in cache for
 * the caller. */
#define STREAM_MIN_BYTES ((uint64_t)16 << 20)

/* Indexes whose lookup costs O(1): looking up each touched chunk beats walking the index. */
static int cheap_lookup(h5k_chunk_index ix) {
  return ix == H5K_CHUNK_INDEX_SINGLE || ix == H5K_CHUNK_INDEX_IMPLICIT;
}

static int read_chunked(const h5k_dset *d, const selplan *s, uint8_t *out) {
  chunk_job j;
  uint64_t nchunks_total = 1;
  unsigned nthreads;
  int rc = 0;
  memset(&j, 0, sizeof j);
  j.d = d;
  j.s = s;
  j.out = out;
  atomic_init(&j.next, 0);
  atomic_init(&j.stop, 0);
  pthread_mutex_init(&j.lock, NULL);
  if (s->total == 0) goto done;
  if (s->total >= STREAM_MIN_BYTES / d->esize) j.into_flags = H5K_INTO_STREAM;
  j.ntasks = 1;
  for (unsigned k = 0; k < s->rank; k++) {
    uint64_t per = (d->space.dims[k] + d->layout.chunk[k] - 1) / d->layout.chunk[k];
    rc = build_dim_chunks(&j.dc[k], s, k, d->layout.chunk[k]);
    if (rc < 0) goto done;
    if (ck_mul64(j.ntasks, j.dc[k].n, &j.ntasks) || ck_mul64(nchunks_total, per, &nchunks_total)) {
      rc = h5k_err(H5K_ELIMIT, "selection meets too many chunks");
      goto done;
    }
  }
  if (j.ntasks > SIZE_MAX / sizeof(task) || !(j.tasks = calloc((size_t)j.ntasks, sizeof(task)))) {
    rc = h5k_err_nomem();
    goto done;
  }
  /* Find the records: one lookup per touched chunk when that is cheap or the chunks are few,
   * otherwise one walk of the whole index (linear in the chunks). */
  if (cheap_lookup(d->layout.index) || j.ntasks < nchunks_total / 16) {
    for (uint64_t t = 0; t < j.ntasks; t++) {
      uint64_t pos[H5K_MAX_DIMS], scaled[H5K_MAX_DIMS];
      h5k_chunk_rec rec;
      task_pos(&j, t, pos, scaled);
      rc = h5k_chunk_index_lookup(&rec, d->env.f, &d->geom, scaled);
      if (rc == H5K_ENOTFOUND) continue;
      if (rc < 0) goto done;
      j.tasks[t].addr = rec.addr;
      j.tasks[t].size = rec.size;
      j.tasks[t].mask = rec.mask;
      j.tasks[t].have = 1;
    }
    rc = 0;
  } else {
    rc = h5k_chunk_index_iterate(d->env.f, &d->geom, match_cb, &j);
    if (rc < 0) goto done;
  }
  nthreads = d->env.nthreads ? d->env.nthreads : 1;
  if (nthreads > j.ntasks) nthreads = (unsigned)j.ntasks;
  if (nthreads <= 1) {
    scratch sc = {NULL, 0, NULL};
    for (uint64_t t = 0; t < j.ntasks && rc == 0; t++) rc = do_task(&j, t, &sc);
    free(sc.buf);
    free(sc.dec);
  } else {
    pthread_t th[256];
    unsigned started = 0;
    if (nthreads > 256) nthreads = 256;
    for (unsigned k = 0; k + 1 < nthreads; k++) {
      if (pthread_create(&th[k], NULL, worker, &j) != 0) break;
      started++;
    }
    worker(&j);
    for (unsigned k = 0; k < started; k++) pthread_join(th[k], NULL);
    if (j.rc) rc = h5k_err(j.rc, "%s", j.msg);
  }
done:
  for (unsigned k = 0; k < H5K_MAX_DIMS; k++) {
    free(j.dc[k].idx);
    free(j.dc[k].lo);
    free(j.dc[k].hi);
    free(j.dc[k].consec);
  }
  free(j.tasks);
  pthread_mutex_destroy(&j.lock);
  return rc;
}

/* ---- entry points ------------------------------------------------------------------------------------- */

int h5k_dset_sel_count(uint64_t *out, const h5k_dset *d, const h5k_selection *sel) {
  uint64_t n[H5K_MAX_DIMS];
  return plan_count(out, n, &d->space, sel);
}

int h5k_dset_read_coords(const h5k_dset *d, const h5k_coordsel *s, void *buf, size_t bufsize) {
  source src;
  uint64_t need;
  unsigned want_rank = d->space.kind == H5K_SPACE_SIMPLE ? d->space.rank : 0;
  if (s->rank != want_rank) return h5k_err(H5K_EINVAL, "selection of rank %u on a dataset of rank %u", s->rank, want_rank);
  if (s->total == 0) return 0; /* nothing to read; an empty plan stores no coordinate lists */
  for (unsigned k = 0; k < s->rank; k++)
    for (uint64_t i = 0; i < s->n[k]; i++)
      if (s->coord[k][i] >= d->space.dims[k] || (i && s->coord[k][i] <= s->coord[k][i - 1]))
        return h5k_err(H5K_EINVAL, "selection: coordinates out of range or not increasing in dimension %u", k);
  if (ck_mul64(s->total, d->esize, &need) || need > bufsize)
    return h5k_err(H5K_EINVAL, "read buffer of %zu bytes is too small for %llu elements of %zu bytes", bufsize,
                   (unsigned long long)s->total, d->esize);
  memset(&src, 0, sizeof src);
  src.d = d;
  switch (d->layout.cls) {
  case H5K_LAYOUT_COMPACT:
    src.read = src_compact;
    return read_linear(d, s, &src, buf);
  case H5K_LAYOUT_CONTIGUOUS:
    if (d->efl.n > 0) src.read = src_external;
    else if (!addr_defined(d->layout.addr)) src.read = src_fill;
    else src.read = src_contiguous;
    return read_linear(d, s, &src, buf);
  case H5K_LAYOUT_CHUNKED:
    return read_chunked(d, s, buf);
  default:
    return h5k_err(H5K_EUNSUPPORTED, "dataset at %llu: virtual layout is read by the API layer", (unsigned long long)d->addr);
  }
}

int h5k_dset_plan(h5k_coordsel *out, const h5k_dset *d, const h5k_selection *sel) {
  return plan_build(out, &d->space, sel);
}

int h5k_coordsel_build(h5k_coordsel *out, const h5k_dataspace *sp, const h5k_selection *sel) {
  return plan_build(out, sp, sel);
}

int h5k_dset_read_raw(const h5k_dset *d, const h5k_selection *sel, void *buf, size_t bufsize) {
  selplan s;
  int rc;
  TRY(plan_build(&s, &d->space, sel));
  rc = h5k_dset_read_coords(d, &s, buf, bufsize);
  plan_free(&s);
  return rc;
}

typedef struct iter_ctx {
  const h5k_dset *d;
  h5k_chunk_cb cb;
  void *ud;
} iter_ctx;

static int iter_cb(void *ud, const h5k_chunk_rec *rec) {
  iter_ctx *c = ud;
  h5k_chunk_info ci;
  memset(&ci, 0, sizeof ci);
  ci.rank = c->d->geom.rank;
  for (unsigned k = 0; k < ci.rank; k++) ci.offset[k] = rec->scaled[k] * c->d->layout.chunk[k];
  ci.addr = rec->addr;
  ci.size = rec->size;
  ci.filter_mask = rec->mask;
  return c->cb(c->ud, &ci);
}

int h5k_dset_chunk_iterate(const h5k_dset *d, h5k_chunk_cb cb, void *ud) {
  iter_ctx c = {d, cb, ud};
  if (d->layout.cls != H5K_LAYOUT_CHUNKED) return h5k_err(H5K_EINVAL, "dataset at %llu is not chunked", (unsigned long long)d->addr);
  return h5k_chunk_index_iterate(d->env.f, &d->geom, iter_cb, &c);
}

int h5k_dset_read_chunk(size_t *out_size, uint32_t *out_mask, const h5k_dset *d, const uint64_t *offset, void *buf,
                        size_t bufsize) {
  uint64_t scaled[H5K_MAX_DIMS];
  h5k_chunk_rec rec;
  if (d->layout.cls != H5K_LAYOUT_CHUNKED) return h5k_err(H5K_EINVAL, "dataset at %llu is not chunked", (unsigned long long)d->addr);
  for (unsigned k = 0; k < d->geom.rank; k++) {
    if (offset[k] % d->layout.chunk[k] != 0 || offset[k] >= d->space.dims[k])
      return h5k_err(H5K_EINVAL, "chunk offset %llu in dimension %u is not the start of a chunk inside the extent",
                     (unsigned long long)offset[k], k);
    scaled[k] = offset[k] / d->layout.chunk[k];
  }
  TRY(h5k_chunk_index_lookup(&rec, d->env.f, &d->geom, scaled));
  if (rec.size > SIZE_MAX) return corrupt("chunk size too large");
  *out_size = (size_t)rec.size;
  *out_mask = rec.mask;
  if (!buf) return 0;
  if (bufsize < rec.size) return h5k_err(H5K_ELIMIT, "buffer of %zu bytes is too small for the chunk (%llu bytes)", bufsize,
                                         (unsigned long long)rec.size);
  return fctx_read(d->env.f, rec.addr, buf, (size_t)rec.size, "chunk");
}
