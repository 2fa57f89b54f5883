/* Virtual datasets — HDF5 File Format Specification 3.0, IV.A.2.i (Data Layout message, class 3:
 * global heap collection address + object index) and III.F "Global Heap Block for Virtual
 * Datasets", with the dataspace selection encodings of the H5S serialization.
 *
 * Global heap object (the mapping list):
 *   version u8 (0; 1 adds a flags byte per entry)
 *   number of entries (size of lengths)
 *   per entry:
 *     [v1] flags u8: bit 0 source file name shared (an earlier entry's index follows, size of
 *          lengths), bit 1 source dataset name shared (likewise), bit 2 source file is this file
 *     source file name (NUL-terminated; "." = this file), source dataset name (NUL-terminated)
 *     source selection, virtual selection (serialized, below)
 *   checksum u32 (lookup3 of everything before it)
 *
 * Serialized selection: type u32 (0 none, 1 points, 2 hyperslab, 3 all), then
 *   all / none:        version u32 (1), reserved u32, length u32
 *   hyperslab v1:      version u32, reserved u32, length u32, rank u32, nblocks u32,
 *                      per block: start[rank] u32, end[rank] u32 (inclusive)
 *   hyperslab v2:      version u32, flags u8 (bit 0 regular), length u32, rank u32,
 *                      per dimension: start, stride, count, block (u64 each)
 *   hyperslab v3:      version u32, flags u8, encode size u8 (2, 4 or 8), rank u32,
 *                      regular: per dimension start, stride, count, block; else nblocks then blocks
 *   points v1:         version u32, reserved u32, length u32, rank u32, npoints u32, coords u32
 *   points v2:         version u32, encode size u8, rank u32, npoints, coords (encode size each)
 *
 * The k-th point of the virtual selection (in C order) shows the k-th point of the source
 * selection. h5kit reads selections that are a Cartesian product of per-dimension coordinate
 * lists (every regular hyperslab, "all", single blocks and grids of blocks); others are
 * reported as unsupported. Unavailable source files or datasets read as the fill value, as in
 * libhdf5. Source files are looked up relative to the virtual dataset's file, then the current
 * directory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/file_impl.h"
#include "api/virtual.h"
#include "format/global_heap.h"
#include "util/checked.h"
#include "util/error.h"
#include "util/lookup3.h"

enum { SEL_NONE = 0, SEL_POINTS = 1, SEL_HYPER = 2, SEL_ALL = 3 };

void h5k_vmaps_free(h5k_vmaps *v) {
  for (size_t i = 0; i < v->n; i++) {
    free(v->m[i].file);
    free(v->m[i].dset);
    free(v->m[i].src_sel);
    free(v->m[i].vir_sel);
  }
  free(v->m);
  memset(v, 0, sizeof *v);
}

static char *dup_cstr(h5k_cur *c) {
  size_t start = c->pos, n;
  char *s;
  while (c->pos < c->len && c->p[c->pos]) c->pos++;
  if (c->pos >= c->len) {
    c->err = 1;
    return NULL;
  }
  n = c->pos - start;
  c->pos++;
  s = malloc(n + 1);
  if (!s) return NULL;
  memcpy(s, c->p + start, n);
  s[n] = 0;
  return s;
}

static char *dup_mem(const char *src) {
  size_t n = strlen(src) + 1;
  char *s = malloc(n);
  if (s) memcpy(s, src, n);
  return s;
}

/* Skip over one serialized selection, returning a copy of its bytes. */
static int take_selection(uint8_t **out, size_t *out_len, h5k_cur *c) {
  size_t start = c->pos;
  uint32_t type = rd_le32(c), version = rd_le32(c);
  if (type == SEL_NONE || type == SEL_ALL) {
    cur_skip(c, 8);
  } else if ((type == SEL_HYPER || type == SEL_POINTS) && version == 1) {
    uint32_t len;
    cur_skip(c, 4);
    len = rd_le32(c);
    cur_skip(c, len);
  } else if (type == SEL_HYPER && version == 2) {
    uint32_t len;
    cur_skip(c, 1);
    len = rd_le32(c);
    cur_skip(c, len);
  } else if (type == SEL_HYPER && version == 3) {
    uint8_t flags = rd_u8(c), enc = rd_u8(c);
    uint32_t rank = rd_le32(c);
    uint64_t nblocks;
    if ((enc != 2 && enc != 4 && enc != 8) || rank == 0 || rank > H5K_MAX_DIMS)
      return corrupt("virtual dataset mapping: bad hyperslab selection encoding");
    if (flags & 1) {
      cur_skip(c, (size_t)rank * 4 * enc);
    } else {
      nblocks = rd_uvar(c, enc);
      if (nblocks > c->len) return corrupt("virtual dataset mapping: bad block count");
      cur_skip(c, (size_t)(nblocks * 2 * rank * enc));
    }
  } else if (type == SEL_POINTS && version == 2) {
    uint8_t enc = rd_u8(c);
    uint32_t rank = rd_le32(c);
    uint64_t npoints;
    if ((enc != 2 && enc != 4 && enc != 8) || rank == 0 || rank > H5K_MAX_DIMS)
      return corrupt("virtual dataset mapping: bad point selection encoding");
    npoints = rd_uvar(c, enc);
    if (npoints > c->len) return corrupt("virtual dataset mapping: bad point count");
    cur_skip(c, (size_t)(npoints * rank * enc));
  } else {
    return corrupt("virtual dataset mapping: unknown selection type %u version %u", type, version);
  }
  if (c->err) return corrupt("virtual dataset mapping: truncated selection");
  *out_len = c->pos - start;
  *out = malloc(*out_len);
  if (!*out) return h5k_err_nomem();
  memcpy(*out, c->p + start, *out_len);
  return 0;
}

int h5k_vmaps_load(h5k_vmaps *out, const h5k_fctx *f, uint64_t heap_addr, uint32_t index) {
  uint8_t *obj = NULL;
  size_t len = 0;
  h5k_cur c;
  unsigned version;
  uint64_t n;
  int rc;
  memset(out, 0, sizeof *out);
  TRY(h5k_gheap_get(&obj, &len, f, heap_addr, index));
  if (!obj || len < 5) {
    free(obj);
    return corrupt("virtual dataset mapping at heap %llu/%u: too short", (unsigned long long)heap_addr, index);
  }
  rc = fctx_check_sum(obj, len, "virtual dataset mapping", heap_addr);
  if (rc < 0) goto done;
  cur_init(&c, obj, len - 4);
  version = rd_u8(&c);
  if (version > 1) {
    rc = corrupt("virtual dataset mapping: unknown version %u", version);
    goto done;
  }
  n = rd_len(&c, f);
  if (c.err || n > len) {
    rc = corrupt("virtual dataset mapping: bad entry count");
    goto done;
  }
  out->m = calloc(n ? (size_t)n : 1, sizeof *out->m);
  if (!out->m) {
    rc = h5k_err_nomem();
    goto done;
  }
  for (uint64_t i = 0; i < n; i++) {
    h5k_vmap *m = &out->m[i];
    unsigned flags = version >= 1 ? rd_u8(&c) : 0;
    out->n = (size_t)i + 1;
    if (flags & 4) {
      m->file = dup_mem(".");
    } else if (flags & 1) {
      uint64_t k = rd_len(&c, f);
      if (k >= i) {
        rc = corrupt("virtual dataset mapping: shared source file name refers forward");
        goto done;
      }
      m->file = dup_mem(out->m[k].file);
    } else {
      m->file = dup_cstr(&c);
    }
    if (flags & 2) {
      uint64_t k = rd_len(&c, f);
      if (k >= i) {
        rc = corrupt("virtual dataset mapping: shared source dataset name refers forward");
        goto done;
      }
      m->dset = dup_mem(out->m[k].dset);
    } else {
      m->dset = dup_cstr(&c);
    }
    if (c.err || !m->file || !m->dset) {
      rc = c.err ? corrupt("virtual dataset mapping: truncated entry") : h5k_err_nomem();
      goto done;
    }
    rc = take_selection(&m->src_sel, &m->src_len, &c);
    if (rc >= 0) rc = take_selection(&m->vir_sel, &m->vir_len, &c);
    if (rc < 0) goto done;
  }
  rc = 0;
done:
  free(obj);
  if (rc < 0) h5k_vmaps_free(out);
  return rc;
}

/* ---- selections as per-dimension coordinate lists -------------------------------------------------- */

typedef struct ival {
  uint64_t lo, hi; /* inclusive */
} ival;

static int cmp_ival(const void *a, const void *b) {
  const ival *x = a, *y = b;
  return x->lo < y->lo ? -1 : x->lo > y->lo ? 1 : x->hi < y->hi ? -1 : x->hi > y->hi;
}

/* From a list of blocks (start/end per dimension), the per-dimension coordinate lists, if the
 * blocks tile a Cartesian product exactly. */
static int blocks_to_coords(h5k_coordsel *out, unsigned rank, const uint64_t *blocks, uint64_t nblocks,
                            const uint64_t *dims) {
  uint64_t product = 1;
  ival *iv = malloc((nblocks ? (size_t)nblocks : 1) * sizeof *iv);
  int rc = 0;
  if (!iv) return h5k_err_nomem();
  out->rank = rank;
  out->total = 1;
  for (unsigned d = 0; d < rank; d++) {
    uint64_t k = 0, count = 0;
    for (uint64_t b = 0; b < nblocks; b++) {
      iv[b].lo = blocks[b * 2 * rank + d];
      iv[b].hi = blocks[b * 2 * rank + rank + d];
      if (iv[b].lo > iv[b].hi || iv[b].hi >= dims[d]) {
        rc = corrupt("virtual dataset mapping: selection block outside the extent");
        goto done;
      }
    }
    qsort(iv, (size_t)nblocks, sizeof *iv, cmp_ival);
    for (uint64_t b = 0; b < nblocks; b++) {
      if (b && iv[b].lo == iv[k - 1].lo && iv[b].hi == iv[k - 1].hi) continue;
      if (k && iv[b].lo <= iv[k - 1].hi) {
        rc = h5k_err(H5K_EUNSUPPORTED, "virtual dataset mapping: selection is not a regular grid of blocks");
        goto done;
      }
      iv[k++] = iv[b];
    }
    for (uint64_t b = 0; b < k; b++) count += iv[b].hi - iv[b].lo + 1;
    out->coord[d] = malloc((size_t)count * sizeof(uint64_t));
    if (!out->coord[d]) {
      rc = h5k_err_nomem();
      goto done;
    }
    out->n[d] = 0;
    for (uint64_t b = 0; b < k; b++)
      for (uint64_t x = iv[b].lo; x <= iv[b].hi; x++) out->coord[d][out->n[d]++] = x;
    if (ck_mul64(product, k, &product) || ck_mul64(out->total, out->n[d], &out->total)) {
      rc = h5k_err(H5K_ELIMIT, "virtual dataset mapping: selection too large");
      goto done;
    }
  }
  /* Every block lies in the product; with as many distinct blocks as the product has cells,
   * they are exactly the product (blocks of a selection never repeat). */
  if (product != nblocks) rc = h5k_err(H5K_EUNSUPPORTED, "virtual dataset mapping: selection is not a regular grid of blocks");
done:
  free(iv);
  if (rc < 0) h5k_coordsel_free(out);
  else h5k_coordsel_strides(out);
  return rc;
}

static int regular_to_coords(h5k_coordsel *out, unsigned rank, const uint64_t *p4, const uint64_t *dims) {
  out->rank = rank;
  out->total = 1;
  for (unsigned d = 0; d < rank; d++) {
    uint64_t start = p4[4 * d], stride = p4[4 * d + 1], count = p4[4 * d + 2], block = p4[4 * d + 3], n, last;
    if (count == UINT64_MAX || block == UINT64_MAX)
      return h5k_err(H5K_EUNSUPPORTED, "virtual dataset mapping: unlimited selections are not supported");
    if (count && (stride == 0 || block == 0 || (count > 1 && block > stride)))
      return corrupt("virtual dataset mapping: invalid regular hyperslab");
    if (count && (ck_mul64(count - 1, stride, &last) || ck_add64(last, start + block - 1, &last) || last >= dims[d]))
      return corrupt("virtual dataset mapping: hyperslab outside the extent");
    if (ck_mul64(count, block, &n) || n > SIZE_MAX / 8) return h5k_err(H5K_ELIMIT, "virtual dataset mapping: selection too large");
    out->coord[d] = malloc(n ? (size_t)n * 8 : 8);
    if (!out->coord[d]) return h5k_err_nomem();
    out->n[d] = 0;
    for (uint64_t c = 0; c < count; c++)
      for (uint64_t b = 0; b < block; b++) out->coord[d][out->n[d]++] = start + c * stride + b;
    if (ck_mul64(out->total, n, &out->total)) return h5k_err(H5K_ELIMIT, "virtual dataset mapping: selection too large");
  }
  h5k_coordsel_strides(out);
  return 0;
}

/* Decode a serialized selection on an extent of `rank` dimensions `dims`. */
static int parse_selection(h5k_coordsel *out, const uint8_t *p, size_t len, unsigned rank, const uint64_t *dims) {
  h5k_cur c;
  uint32_t type, version, srank;
  uint64_t *vals = NULL, nvals, nblocks;
  unsigned enc = 4;
  int rc = 0, regular = 0;
  memset(out, 0, sizeof *out);
  cur_init(&c, p, len);
  type = rd_le32(&c);
  version = rd_le32(&c);
  if (type == SEL_ALL) {
    uint64_t p4[4 * H5K_MAX_DIMS];
    for (unsigned d = 0; d < rank; d++) {
      p4[4 * d] = 0;
      p4[4 * d + 1] = 1;
      p4[4 * d + 2] = dims[d];
      p4[4 * d + 3] = 1;
    }
    rc = regular_to_coords(out, rank, p4, dims);
    if (rc < 0) h5k_coordsel_free(out);
    return rc;
  }
  if (type == SEL_NONE) {
    out->rank = rank;
    out->total = 0;
    return 0;
  }
  if (version == 1) {
    cur_skip(&c, 8); /* reserved, length */
    srank = rd_le32(&c);
    nblocks = rd_le32(&c);
  } else if (type == SEL_HYPER && version == 2) {
    regular = rd_u8(&c) & 1;
    cur_skip(&c, 4);
    srank = rd_le32(&c);
    enc = 8;
    nblocks = 0;
    if (!regular) rc = corrupt("virtual dataset mapping: version 2 hyperslab must be regular");
  } else if (type == SEL_HYPER && version == 3) {
    regular = rd_u8(&c) & 1;
    enc = rd_u8(&c);
    srank = rd_le32(&c);
    nblocks = regular ? 0 : rd_uvar(&c, enc);
  } else if (type == SEL_POINTS && version == 2) {
    enc = rd_u8(&c);
    srank = rd_le32(&c);
    nblocks = rd_uvar(&c, enc);
  } else {
    return corrupt("virtual dataset mapping: unknown selection type %u version %u", type, version);
  }
  if (rc < 0) return rc;
  if (c.err || srank != rank || (enc != 2 && enc != 4 && enc != 8))
    return corrupt("virtual dataset mapping: selection of rank %u on a dataspace of rank %u", srank, rank);
  /* Values: regular → 4 per dimension; blocks → 2*rank per block; points → rank per point. */
  nvals = regular ? 4ull * rank : (type == SEL_POINTS ? nblocks * rank : nblocks * 2 * rank);
  if (nblocks > len || nvals * enc > cur_left(&c)) return corrupt("virtual dataset mapping: truncated selection");
  vals = malloc((size_t)(nvals ? nvals : 1) * sizeof *vals);
  if (!vals) return h5k_err_nomem();
  for (uint64_t i = 0; i < nvals; i++) vals[i] = rd_uvar(&c, enc);
  if (regular) {
    rc = regular_to_coords(out, rank, vals, dims);
  } else if (type == SEL_POINTS) {
    /* A point is a block of one element. */
    uint64_t *b = malloc((size_t)(nvals ? nvals : 1) * 2 * sizeof *b);
    if (!b) {
      free(vals);
      return h5k_err_nomem();
    }
    for (uint64_t i = 0; i < nblocks; i++) {
      memcpy(b + i * 2 * rank, vals + i * rank, rank * sizeof *b);
      memcpy(b + i * 2 * rank + rank, vals + i * rank, rank * sizeof *b);
    }
    rc = blocks_to_coords(out, rank, b, nblocks, dims);
    free(b);
  } else {
    rc = blocks_to_coords(out, rank, vals, nblocks, dims);
  }
  free(vals);
  if (rc < 0) h5k_coordsel_free(out);
  return rc;
}

/* ---- reading ---------------------------------------------------------------------------------------- */

/* Positions (in a and in b) of the coordinates two sorted lists share. */
static uint64_t intersect(uint64_t *ia, uint64_t *ib, const uint64_t *a, uint64_t na, const uint64_t *b, uint64_t nb) {
  uint64_t i = 0, j = 0, k = 0;
  while (i < na && j < nb) {
    if (a[i] < b[j]) i++;
    else if (a[i] > b[j]) j++;
    else {
      ia[k] = i++;
      ib[k] = j++;
      k++;
    }
  }
  return k;
}

static int open_source(h5k_file **out, int *owned, h5k_file *vf, const char *name) {
  char path[4096];
  *owned = 0;
  if (strcmp(name, ".") == 0) {
    *out = vf;
    return 0;
  }
  h5k_open_options opts;
  memset(&opts, 0, sizeof opts);
  opts.struct_size = sizeof opts;
  opts.nthreads = vf->nthreads;
  opts.filters = vf->filters.extra;
  opts.nfilters = vf->filters.nextra;
  if (name[0] != '/' && vf->path && strrchr(vf->path, '/')) {
    int n = (int)(strrchr(vf->path, '/') - vf->path);
    snprintf(path, sizeof path, "%.*s/%s", n, vf->path, name);
    if (h5k_open(out, path, &opts) == 0) {
      *owned = 1;
      return 0;
    }
  }
  if (h5k_open(out, name, &opts) == 0) {
    *owned = 1;
    return 0;
  }
  return H5K_ENOTFOUND;
}

/* If the source and virtual selections have the same shape without their extent-1 dimensions,
 * build in *rs the source points matching the virtual points of the intersection (iv, ni) and
 * return 1; else return 0 (also when out of memory: the caller then reads the whole selection). */
static int restrict_source(h5k_coordsel *rs, const h5k_coordsel *ss, const h5k_coordsel *vs, uint64_t *const *iv,
                           const uint64_t *ni, unsigned vrank) {
  unsigned sd[H5K_MAX_DIMS], vd[H5K_MAX_DIMS], ns = 0, nv = 0;
  memset(rs, 0, sizeof *rs);
  for (unsigned d = 0; d < ss->rank; d++)
    if (ss->n[d] > 1) sd[ns++] = d;
  for (unsigned d = 0; d < vrank; d++)
    if (vs->n[d] > 1) vd[nv++] = d;
  if (ns != nv) return 0;
  for (unsigned k = 0; k < ns; k++)
    if (ss->n[sd[k]] != vs->n[vd[k]]) return 0;
  rs->rank = ss->rank;
  rs->total = 1;
  for (unsigned d = 0, k = 0; d < ss->rank; d++) {
    if (ss->n[d] > 1) {
      unsigned v = vd[k++];
      rs->n[d] = ni[v];
      rs->coord[d] = malloc((size_t)ni[v] * sizeof(uint64_t));
      if (!rs->coord[d]) goto fail;
      for (uint64_t i = 0; i < ni[v]; i++) rs->coord[d][i] = ss->coord[d][iv[v][i]];
    } else {
      rs->n[d] = ss->n[d];
      rs->coord[d] = malloc(sizeof(uint64_t));
      if (!rs->coord[d]) goto fail;
      if (ss->n[d]) rs->coord[d][0] = ss->coord[d][0];
    }
    rs->total *= rs->n[d];
  }
  h5k_coordsel_strides(rs);
  return 1;
fail:
  h5k_coordsel_free(rs);
  return 0;
}

static int map_one(const h5k_vmap *m, const h5k_dset *vd, h5k_file *vf, const h5k_coordsel *u, uint8_t *out,
                   unsigned depth) {
  h5k_coordsel vs, ss, rs;
  h5k_file *sf = NULL;
  h5k_dataset *sd = NULL;
  h5k_dataset_info si;
  h5k_addr saddr;
  uint64_t *iu[H5K_MAX_DIMS] = {0}, *iv[H5K_MAX_DIMS] = {0}, ni[H5K_MAX_DIMS];
  uint8_t *tmp = NULL;
  size_t es = vd->esize;
  int owned = 0, rc = 0;
  unsigned rank = u->rank;
  memset(&vs, 0, sizeof vs);
  memset(&ss, 0, sizeof ss);
  memset(&rs, 0, sizeof rs);
  TRY(parse_selection(&vs, m->vir_sel, m->vir_len, vd->space.rank, vd->space.dims));
  /* Where the read meets this mapping. */
  for (unsigned d = 0; d < rank; d++) {
    uint64_t cap = u->n[d] < vs.n[d] ? u->n[d] : vs.n[d];
    iu[d] = malloc((cap ? (size_t)cap : 1) * 8);
    iv[d] = malloc((cap ? (size_t)cap : 1) * 8);
    if (!iu[d] || !iv[d]) {
      rc = h5k_err_nomem();
      goto done;
    }
    ni[d] = intersect(iu[d], iv[d], u->coord[d], u->n[d], vs.coord[d], vs.n[d]);
    if (ni[d] == 0) goto done; /* nothing of this mapping is read */
  }
  /* An unavailable source file or dataset reads as the fill value. */
  if (open_source(&sf, &owned, vf, m->file) < 0) goto done;
  if (h5k_resolve(&saddr, sf, m->dset) < 0 || h5k_dataset_open(&sd, sf, saddr) < 0) goto done;
  rc = h5k_dataset_get_info(&si, sd);
  if (rc < 0) goto done;
  if (si.type->size != es) {
    rc = h5k_err(H5K_EUNSUPPORTED, "virtual dataset at %llu: source %s:%s has elements of %llu bytes, not %zu",
                 (unsigned long long)vd->addr, m->file, m->dset, (unsigned long long)si.type->size, es);
    goto done;
  }
  rc = parse_selection(&ss, m->src_sel, m->src_len, si.space->kind == H5K_SPACE_SIMPLE ? si.space->rank : 0,
                       si.space->dims);
  if (rc < 0) goto done;
  if (ss.total != vs.total) {
    rc = corrupt("virtual dataset at %llu: mapping selects %llu source and %llu virtual elements",
                 (unsigned long long)vd->addr, (unsigned long long)ss.total, (unsigned long long)vs.total);
    goto done;
  }
  /* When the two selections have the same shape once dimensions of extent 1 are dropped (the
   * usual case: a frame range of a source stack placed in a virtual stack), point k of one is
   * point k of the other dimension by dimension, so only the source points this read needs are
   * read. Otherwise the whole source selection is read. */
  if (restrict_source(&rs, &ss, &vs, iv, ni, rank)) {
    uint64_t n = rs.total;
    if (n > SIZE_MAX / es || !(tmp = malloc(n ? (size_t)(n * es) : 1))) {
      rc = h5k_err_nomem();
      goto done;
    }
    rc = h5k_dataset_read_coords_internal(sd, &rs, tmp, (size_t)(n * es), depth);
    if (rc < 0) goto done;
    /* The intersection in C order is the restricted source selection in C order. */
    uint64_t idx[H5K_MAX_DIMS] = {0}, t = 0;
    for (;;) {
      uint64_t po = 0;
      for (unsigned d = 0; d < rank; d++) po += iu[d][idx[d]] * u->ostride[d];
      memcpy(out + po * es, tmp + (t++) * es, es);
      int d = (int)rank - 1;
      while (d >= 0 && ++idx[d] == ni[d]) idx[d--] = 0;
      if (d < 0) break;
    }
    goto done;
  }
  if (ss.total > SIZE_MAX / es || !(tmp = malloc(ss.total ? (size_t)(ss.total * es) : 1))) {
    rc = h5k_err_nomem();
    goto done;
  }
  rc = h5k_dataset_read_coords_internal(sd, &ss, tmp, (size_t)(ss.total * es), depth);
  if (rc < 0) goto done;
  /* Scatter: the k-th virtual point (C order of vs) takes the k-th source point. */
  {
    uint64_t idx[H5K_MAX_DIMS] = {0};
    for (;;) {
      uint64_t po = 0, k = 0;
      for (unsigned d = 0; d < rank; d++) {
        po += iu[d][idx[d]] * u->ostride[d];
        k += iv[d][idx[d]] * vs.ostride[d];
      }
      memcpy(out + po * es, tmp + k * es, es);
      int d = (int)rank - 1;
      while (d >= 0 && ++idx[d] == ni[d]) idx[d--] = 0;
      if (d < 0) break;
    }
  }
done:
  for (unsigned d = 0; d < H5K_MAX_DIMS; d++) {
    free(iu[d]);
    free(iv[d]);
  }
  free(tmp);
  h5k_dataset_close(sd);
  if (owned) h5k_close(sf);
  h5k_coordsel_free(&vs);
  h5k_coordsel_free(&ss);
  h5k_coordsel_free(&rs);
  return rc;
}

int h5k_virtual_read(const h5k_vmaps *maps, const h5k_dset *vd, h5k_file *vf, const h5k_coordsel *u, void *buf,
                     size_t bufsize, unsigned depth) {
  size_t es = vd->esize;
  uint64_t need;
  if (ck_mul64(u->total, es, &need) || need > bufsize)
    return h5k_err(H5K_EINVAL, "read buffer of %zu bytes is too small for %llu elements", bufsize,
                   (unsigned long long)u->total);
  if (u->total == 0) return 0;
  if (vd->space.kind != H5K_SPACE_SIMPLE) return h5k_err(H5K_EUNSUPPORTED, "virtual dataset with a non-simple dataspace");
  for (uint64_t i = 0; i < u->total; i++) {
    if (vd->fill_elem) memcpy((uint8_t *)buf + i * es, vd->fill_elem, es);
    else memset((uint8_t *)buf + i * es, 0, es);
  }
  for (size_t i = 0; i < maps->n; i++) TRY(map_one(&maps->m[i], vd, vf, u, buf, depth));
  return 0;
}
