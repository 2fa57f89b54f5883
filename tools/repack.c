/* h5kit repack [--latest] [--filter SPEC] [--chunks D0xD1...] [--threads N] IN OUT
 *
 * Copies a whole file with h5kit's writer, like h5repack: groups (with their creation-order
 * setting), datasets (type, shape, maximum shape, storage, chunking, filters, fill value, values),
 * attributes, hard/soft/external links, committed datatypes (datasets keep using them), the
 * userblock. Space that deleted objects held in IN is not carried over. --filter replaces every
 * dataset's filters (contiguous datasets become chunked, as h5repack does; "none" removes them);
 * --chunks sets the chunk shape of every dataset of that rank. Not supported yet: object/region
 * references and virtual datasets (the command fails naming the object). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct {
  h5k_addr addr;
  char *path;
} seen;

typedef struct {
  h5k_file *in, *out;
  int have_filter;
  h5k_filter_desc filters[32];
  size_t nfilters;
  uint32_t cd_store[256];
  unsigned chunk_rank;
  uint64_t chunks[H5K_MAX_DIMS];
  seen *seen;
  size_t nseen, capseen;
  char **premade; /* groups the pre-pass created as parents of committed datatypes */
  size_t npremade;
  /* object references are written after the walk, when every target has its path */
  struct deferred {
    h5k_addr src;    /* object holding the data (attribute owner or dataset) */
    char *path;      /* its path in OUT */
    char *attr;      /* attribute name, or NULL for the dataset's values */
  } *def;
  size_t ndef;
  char **anon;     /* temporary names of committed types no link reaches in IN */
  size_t nanon;
  int rc;
  char what[1024]; /* object being copied, for the error message */
} repack_ctx;

static const char *seen_path(const repack_ctx *c, h5k_addr a) {
  for (size_t i = 0; i < c->nseen; i++)
    if (c->seen[i].addr == a) return c->seen[i].path;
  return NULL;
}

static int add_seen(repack_ctx *c, h5k_addr a, const char *path) {
  if (c->nseen == c->capseen) {
    size_t nc = c->capseen ? c->capseen * 2 : 64;
    seen *q = realloc(c->seen, nc * sizeof *q);
    if (!q) return H5K_ENOMEM;
    c->seen = q;
    c->capseen = nc;
  }
  c->seen[c->nseen].addr = a;
  c->seen[c->nseen].path = strdup(path);
  if (!c->seen[c->nseen].path) return H5K_ENOMEM;
  c->nseen++;
  return 0;
}

static int is_premade(const repack_ctx *c, const char *path) {
  for (size_t i = 0; i < c->npremade; i++)
    if (!strcmp(c->premade[i], path)) return 1;
  return 0;
}

/* Remember every ancestor group of path (not "/") as made by H5K_MKDIRS. */
static int add_premade(repack_ctx *c, const char *path) {
  const char *p = path;
  while ((p = strchr(p + 1, '/'))) {
    size_t n = (size_t)(p - path);
    char *anc = malloc(n + 1);
    if (!anc) return H5K_ENOMEM;
    memcpy(anc, path, n);
    anc[n] = 0;
    if (is_premade(c, anc)) {
      free(anc);
      continue;
    }
    char **q = realloc(c->premade, (c->npremade + 1) * sizeof *q);
    if (!q) {
      free(anc);
      return H5K_ENOMEM;
    }
    c->premade = q;
    c->premade[c->npremade++] = anc;
  }
  return 0;
}

static char *join(const char *parent, const char *name) {
  size_t a = strlen(parent), b = strlen(name);
  char *p = malloc(a + b + 2);
  if (!p) return NULL;
  memcpy(p, parent, a);
  size_t k = a;
  if (!a || parent[a - 1] != '/') p[k++] = '/';
  memcpy(p + k, name, b + 1);
  return p;
}

static int is_objref(const h5k_datatype *t) { return t->cls == H5K_CLASS_REFERENCE && t->ref_type == H5K_REF_OBJECT; }

static int defer(repack_ctx *c, h5k_addr src, const char *path, const char *attr) {
  struct deferred *q = realloc(c->def, (c->ndef + 1) * sizeof *q);
  if (!q) return H5K_ENOMEM;
  c->def = q;
  q[c->ndef].src = src;
  q[c->ndef].path = strdup(path);
  q[c->ndef].attr = attr ? strdup(attr) : NULL;
  if (!q[c->ndef].path || (attr && !q[c->ndef].attr)) return H5K_ENOMEM;
  c->ndef++;
  return 0;
}

/* Addresses (file representation) to paths in OUT; unknown targets become null references. */
static const char **refs_to_paths(repack_ctx *c, const h5k_datatype *t, const uint8_t *raw, size_t n) {
  const char **paths = calloc(n ? n : 1, sizeof *paths);
  if (!paths) return NULL;
  h5k_datatype *mem;
  if (h5k_datatype_native(&mem, t) < 0) {
    free(paths);
    return NULL;
  }
  h5k_addr *addrs = calloc(n ? n : 1, sizeof *addrs);
  if (addrs && h5k_convert(addrs, mem, raw, t, n, c->in) >= 0)
    for (size_t i = 0; i < n; i++) paths[i] = addrs[i] && addrs[i] != H5K_ADDR_UNDEF ? seen_path(c, addrs[i]) : NULL;
  free(addrs);
  h5k_datatype_free(mem);
  return paths;
}

static int copy_attrs(repack_ctx *c, h5k_addr addr, const char *path);

/* The path in OUT of the committed datatype at addr in IN. A committed type that no link reaches
 * (libhdf5 keeps one alive while datasets or attributes use it) is committed under a temporary
 * name, which is removed after the walk, so that it stays an anonymous shared type. */
static int committed_path(const char **out, repack_ctx *c, h5k_addr addr) {
  const char *p = seen_path(c, addr);
  if (p) {
    *out = p;
    return 0;
  }
  char tmp[64];
  snprintf(tmp, sizeof tmp, "/.h5kit-repack-anonymous-type-%llu", (unsigned long long)addr);
  h5k_datatype *t;
  int rc = h5k_object_get_datatype(&t, c->in, addr);
  if (rc < 0) return rc;
  t->committed = 0;
  rc = h5k_datatype_commit(c->out, tmp, t, 0);
  h5k_datatype_free(t);
  if (rc >= 0) rc = add_seen(c, addr, tmp);
  if (rc >= 0) rc = copy_attrs(c, addr, tmp);
  if (rc < 0) return rc;
  char **q = realloc(c->anon, (c->nanon + 1) * sizeof *q);
  if (!q) return H5K_ENOMEM;
  c->anon = q;
  c->anon[c->nanon] = strdup(tmp);
  if (!c->anon[c->nanon]) return H5K_ENOMEM;
  c->nanon++;
  *out = seen_path(c, addr);
  return 0;
}

static uint64_t space_count(const h5k_dataspace *s) {
  if (s->kind == H5K_SPACE_NULL) return 0;
  uint64_t n = 1;
  for (unsigned i = 0; s->kind == H5K_SPACE_SIMPLE && i < s->rank; i++) n *= s->dims[i];
  return n;
}

/* ---- attributes ------------------------------------------------------------------------------------ */
typedef struct {
  repack_ctx *c;
  const char *path;
  h5k_addr addr;
  int deferred_pass;  /* 0: copy all but object references (deferred); 1: write the one named `only` */
  const char *only;
} attr_ud;

static int is_vlen_of_objrefs(const h5k_datatype *t) {
  return t->cls == H5K_CLASS_VLEN && t->vlen_type == H5K_VLEN_SEQUENCE && t->base && is_objref(t->base) &&
         t->base->size == 8;
}

/* The path in OUT of the object at addr in IN (NULL for a null or dangling reference). */
static const char *ref_path(repack_ctx *c, h5k_addr addr) {
  return addr && addr != H5K_ADDR_UNDEF ? seen_path(c, addr) : NULL;
}

/* References at fixed places inside compound/array values (REFERENCE_LIST): the value as stored,
 * with each reference's 8 bytes replaced by the char* path of its target in OUT. */
static int write_inline_ref_attr(repack_ctx *c, const char *path, const h5k_attr *a, uint64_t n) {
  size_t *off = NULL, nf = 0, es = (size_t)a->type->size;
  int rc = h5k_datatype_ref_offsets(&off, &nf, a->type);
  if (rc <= 0) return rc < 0 ? rc : H5K_EUNSUPPORTED;
  uint8_t *buf = malloc(a->data_size ? a->data_size : 1);
  if (!buf) rc = H5K_ENOMEM;
  if (rc >= 0 && a->data_size) memcpy(buf, a->data, a->data_size);
  for (uint64_t e = 0; rc >= 0 && e < n && (e + 1) * es <= a->data_size; e++)
    for (size_t k = 0; k < nf; k++) {
      uint8_t *p = buf + e * es + off[k];
      h5k_addr addr = 0;
      for (int b = 0; b < 8; b++) addr |= (h5k_addr)p[b] << (8 * b);
      const char *tp = ref_path(c, addr);
      memcpy(p, &tp, sizeof tp);
    }
  if (rc >= 0) rc = h5k_attr_write(c->out, path, a->name, a->type, a->space, NULL, buf, a->data_size);
  free(buf);
  free(off);
  return rc;
}

/* A variable-length sequence of references (DIMENSION_LIST): read as h5k_vlen of h5k_addr, each
 * address replaced in place by its target's path in OUT. */
static int write_vlen_ref_attr(repack_ctx *c, const char *path, const h5k_attr *a, uint64_t n) {
  h5k_datatype *mem;
  int rc = h5k_datatype_native(&mem, a->type);
  if (rc < 0) return rc;
  h5k_vlen *v = calloc(n ? (size_t)n : 1, sizeof *v);
  if (!v) rc = H5K_ENOMEM;
  if (rc >= 0) rc = h5k_convert(v, mem, a->data, a->type, (size_t)n, c->in);
  for (uint64_t e = 0; rc >= 0 && e < n; e++) {
    h5k_addr *addrs = v[e].p;
    for (size_t k = 0; k < v[e].len; k++) {
      const char *tp = ref_path(c, addrs[k]);
      memcpy(&addrs[k], &tp, sizeof tp);
    }
  }
  if (rc >= 0) rc = h5k_attr_write(c->out, path, a->name, a->type, a->space, NULL, v, (size_t)n * sizeof *v);
  if (v) h5k_reclaim(v, mem, (size_t)n);
  free(v);
  h5k_datatype_free(mem);
  return rc;
}

static int copy_attr_cb(void *ud, const h5k_attr *a) {
  attr_ud *u = ud;
  repack_ctx *c = u->c;
  uint64_t n = space_count(a->space);
  int vlen_refs = is_vlen_of_objrefs(a->type), inline_refs = 0;
  if (!is_objref(a->type) && !vlen_refs && h5k_datatype_contains(a->type, H5K_CLASS_REFERENCE)) {
    size_t *off = NULL, nf = 0;
    int rc = h5k_datatype_ref_offsets(&off, &nf, a->type);
    free(off);
    if (rc < 0) return rc;
    inline_refs = rc == 1;
  }
  if (is_objref(a->type) || vlen_refs || inline_refs) {
    /* written once every object is in OUT (the deferred pass), when all targets have paths */
    if (!u->deferred_pass) return defer(c, u->addr, u->path, a->name);
    if (strcmp(a->name, u->only)) return 0;
    if (vlen_refs) return write_vlen_ref_attr(c, u->path, a, n);
    if (inline_refs) return write_inline_ref_attr(c, u->path, a, n);
    const char **paths = refs_to_paths(c, a->type, a->data, (size_t)n);
    if (!paths) return H5K_ENOMEM;
    int rc = h5k_attr_write(c->out, u->path, a->name, a->type, a->space, NULL, paths, (size_t)n * sizeof(char *));
    free(paths);
    return rc;
  }
  if (u->deferred_pass) return 0;
  const char *tpath = NULL;
  if (a->type->committed) {
    int trc = committed_path(&tpath, c, a->type->committed_addr);
    if (trc < 0) return trc;
  }
  if (tpath && !h5k_datatype_contains(a->type, H5K_CLASS_VLEN))
    return h5k_attr_write_committed(c->out, u->path, a->name, tpath, a->space, NULL, a->data, a->data_size);
  if (!h5k_datatype_contains(a->type, H5K_CLASS_VLEN))
    return h5k_attr_write(c->out, u->path, a->name, a->type, a->space, NULL, a->data, a->data_size);
  h5k_datatype *mem;
  int rc = h5k_datatype_native(&mem, a->type);
  if (rc < 0) return rc;
  void *buf = calloc(n ? n : 1, (size_t)mem->size);
  if (!buf) {
    h5k_datatype_free(mem);
    return H5K_ENOMEM;
  }
  rc = h5k_convert(buf, mem, a->data, a->type, (size_t)n, c->in);
  if (rc >= 0 && tpath)
    rc = h5k_attr_write_committed(c->out, u->path, a->name, tpath, a->space, mem, buf, (size_t)(n * mem->size));
  else if (rc >= 0)
    rc = h5k_attr_write(c->out, u->path, a->name, a->type, a->space, mem, buf, (size_t)(n * mem->size));
  if (rc >= 0) h5k_reclaim(buf, mem, (size_t)n);
  free(buf);
  h5k_datatype_free(mem);
  return rc;
}

static int copy_attrs(repack_ctx *c, h5k_addr addr, const char *path) {
  attr_ud u = {c, path, addr, 0, NULL};
  snprintf(c->what, sizeof c->what, "attributes of %s", path);
  return h5k_attr_iterate(c->in, addr, H5K_ORDER_NAME, copy_attr_cb, &u);
}

/* ---- datasets ---------------------------------------------------------------------------------------- */
static int copy_data(repack_ctx *c, h5k_dataset *d, const h5k_dataset_info *info, const char *path,
                     const uint64_t *dst_chunk) {
  const h5k_dataspace *sp = info->space;
  uint64_t total = space_count(sp);
  if (!total) return 0;
  int vlen = h5k_datatype_contains(info->type, H5K_CLASS_VLEN);
  h5k_datatype *mem = NULL;
  int rc = 0;
  if (vlen && (rc = h5k_datatype_native(&mem, info->type)) < 0) return rc;
  size_t fes = (size_t)info->type->size;
  if (sp->kind != H5K_SPACE_SIMPLE) {
    uint8_t *raw = malloc(fes);
    void *m = mem ? calloc(1, (size_t)mem->size) : NULL;
    rc = raw ? h5k_dataset_read_raw(d, NULL, raw, fes) : H5K_ENOMEM;
    if (rc >= 0 && mem) rc = h5k_convert(m, mem, raw, info->type, 1, c->in);
    if (rc >= 0) rc = h5k_write(c->out, path, NULL, mem, mem ? m : raw, mem ? (size_t)mem->size : fes);
    if (rc >= 0 && mem) h5k_reclaim(m, mem, 1);
    free(raw);
    free(m);
    h5k_datatype_free(mem);
    return rc;
  }
  /* slabs along the first dimension, a multiple of the destination chunk rows, ~16 MiB each */
  unsigned r = sp->rank;
  uint64_t row = fes;
  for (unsigned i = 1; i < r; i++) row *= sp->dims[i];
  uint64_t rows = row ? (16u << 20) / row : 1;
  uint64_t step = dst_chunk && dst_chunk[0] ? dst_chunk[0] : 1;
  if (rows < step) rows = step;
  rows -= rows % step;
  if (rows == 0) rows = 1;
  for (uint64_t r0 = 0; r0 < sp->dims[0] && rc >= 0; r0 += rows) {
    uint64_t nr = sp->dims[0] - r0 < rows ? sp->dims[0] - r0 : rows;
    h5k_selection s;
    memset(&s, 0, sizeof s);
    s.rank = r;
    for (unsigned i = 0; i < r; i++) {
      s.start[i] = i ? 0 : r0;
      s.stride[i] = 1;
      s.count[i] = i ? sp->dims[i] : nr;
      s.block[i] = 1;
    }
    uint64_t n = nr * (row / fes);
    if (!n) continue;
    uint8_t *raw = malloc((size_t)(n * fes));
    if (!raw) {
      rc = H5K_ENOMEM;
      break;
    }
    rc = h5k_dataset_read_raw(d, &s, raw, (size_t)(n * fes));
    if (rc >= 0 && mem) {
      void *m = calloc((size_t)n, (size_t)mem->size);
      rc = m ? h5k_convert(m, mem, raw, info->type, (size_t)n, c->in) : H5K_ENOMEM;
      if (rc >= 0) rc = h5k_write(c->out, path, &s, mem, m, (size_t)(n * mem->size));
      if (rc >= 0) h5k_reclaim(m, mem, (size_t)n);
      free(m);
    } else if (rc >= 0) {
      rc = h5k_write(c->out, path, &s, NULL, raw, (size_t)(n * fes));
    }
    free(raw);
  }
  h5k_datatype_free(mem);
  return rc;
}

static int same_chunks(const h5k_dataset_options *o, const h5k_dataset_info *info) {
  if (info->layout != H5K_LAYOUT_CHUNKED || o->chunk_rank != info->chunk_rank) return 0;
  for (unsigned i = 0; i < o->chunk_rank; i++)
    if (o->chunk_dims[i] != info->chunk_dims[i]) return 0;
  return o->nfilters == info->nfilters && o->filters == info->filters;
}

struct raw_copy {
  repack_ctx *c;
  h5k_dataset *d;
  const char *path;
  uint8_t *buf;
  size_t cap;
  int rc;
};

static int copy_raw_chunk(void *ud, const h5k_chunk_info *ci) {
  struct raw_copy *r = ud;
  size_t size = 0;
  uint32_t mask = 0;
  if (ci->size > r->cap) {
    uint8_t *q = realloc(r->buf, (size_t)ci->size);
    if (!q) return H5K_ENOMEM;
    r->buf = q;
    r->cap = (size_t)ci->size;
  }
  int rc = h5k_dataset_read_chunk(&size, &mask, r->d, ci->offset, r->buf, r->cap);
  if (rc >= 0) rc = h5k_write_chunk(r->c->out, r->path, ci->offset, mask, r->buf, size);
  return rc < 0 ? rc : 0;
}

static int copy_dataset(repack_ctx *c, h5k_addr addr, const char *path) {
  h5k_dataset *d;
  snprintf(c->what, sizeof c->what, "dataset %s", path);
  int rc = h5k_dataset_open(&d, c->in, addr);
  if (rc < 0) return rc;
  h5k_dataset_info info;
  rc = h5k_dataset_get_info(&info, d);
  if (rc >= 0 && info.layout == H5K_LAYOUT_VIRTUAL) {
    /* the mappings are copied as stored; sources stay where they are (same relative names) */
    h5k_vds_map *maps = calloc(info.nvirtual ? info.nvirtual : 1, sizeof *maps);
    rc = maps ? 0 : H5K_ENOMEM;
    for (size_t i = 0; i < info.nvirtual && rc >= 0; i++) {
      rc = h5k_dataset_get_virtual(&maps[i].src_file, &maps[i].src_dset, d, i);
      if (rc >= 0)
        rc = h5k_dataset_get_virtual_selections(&maps[i].vsel_raw, &maps[i].vsel_raw_len, &maps[i].ssel_raw,
                                                &maps[i].ssel_raw_len, d, i);
    }
    h5k_dataset_options vo;
    memset(&vo, 0, sizeof vo);
    vo.struct_size = sizeof vo;
    if (info.fill_defined) vo.fill_value = info.fill_value;
    if (rc >= 0) rc = h5k_dataset_create_virtual(c->out, path, info.type, info.space, maps, info.nvirtual, &vo);
    free(maps);
    h5k_dataset_close(d);
    return rc;
  }
  if (rc >= 0 && info.nexternal) {
    fprintf(stderr, "h5kit repack: %s keeps its data in external files: not supported yet\n", path);
    rc = H5K_EUNSUPPORTED;
  }
  h5k_dataset_options o;
  memset(&o, 0, sizeof o);
  o.struct_size = sizeof o;
  const h5k_dataspace *sp = info.space;
  int simple = sp->kind == H5K_SPACE_SIMPLE;
  if (rc >= 0) {
    if (info.layout == H5K_LAYOUT_COMPACT) o.storage = H5K_STORAGE_COMPACT;
    else if (info.layout == H5K_LAYOUT_CHUNKED) o.storage = H5K_STORAGE_CHUNKED;
    else o.storage = H5K_STORAGE_CONTIGUOUS;
    if (info.layout == H5K_LAYOUT_CHUNKED) {
      o.chunk_rank = info.chunk_rank;
      memcpy(o.chunk_dims, info.chunk_dims, sizeof o.chunk_dims);
      o.nfilters = info.nfilters;
      o.filters = info.filters;
      o.flags |= H5K_FILTERS_STORED;
    }
    if (c->have_filter && simple) {
      o.nfilters = c->nfilters;
      o.filters = c->filters;
      o.flags &= ~(unsigned)H5K_FILTERS_STORED;
      if (c->nfilters) {
        o.storage = H5K_STORAGE_CHUNKED;
        if (info.layout != H5K_LAYOUT_CHUNKED) o.chunk_rank = 0; /* let h5kit choose */
      }
    }
    if (c->chunk_rank && simple && c->chunk_rank == sp->rank) {
      o.storage = H5K_STORAGE_CHUNKED;
      o.chunk_rank = c->chunk_rank;
      memcpy(o.chunk_dims, c->chunks, sizeof o.chunk_dims);
      for (unsigned i = 0; i < sp->rank; i++)
        if (sp->maxdims[i] != H5K_UNLIMITED && o.chunk_dims[i] > sp->maxdims[i]) o.chunk_dims[i] = sp->maxdims[i] ? sp->maxdims[i] : 1;
    }
    if (o.storage == H5K_STORAGE_CHUNKED && simple) {
      int zero = 0;
      for (unsigned i = 0; i < sp->rank; i++)
        if (!sp->maxdims[i]) zero = 1;
      if (zero && !o.chunk_rank) o.storage = H5K_STORAGE_CONTIGUOUS, o.nfilters = 0;
    }
    if (o.storage == H5K_STORAGE_CHUNKED && !simple) o.storage = H5K_STORAGE_CONTIGUOUS, o.nfilters = 0, o.chunk_rank = 0;
    if (info.fill_defined) o.fill_value = info.fill_value;
    if (info.type->committed) rc = committed_path(&o.committed_type, c, info.type->committed_addr);
  }
  if (rc >= 0 && is_objref(info.type) && o.storage == H5K_STORAGE_CHUNKED) {
    o.storage = H5K_STORAGE_CONTIGUOUS; /* h5kit writes object references contiguous */
    o.chunk_rank = 0;
    o.nfilters = 0;
  }
  if (rc >= 0) rc = h5k_dataset_create(c->out, path, info.type, sp, &o);
  if (rc >= 0 && is_objref(info.type)) {
    rc = defer(c, addr, path, NULL);
  } else if (rc >= 0 && (o.flags & H5K_FILTERS_STORED) && o.storage == H5K_STORAGE_CHUNKED &&
             same_chunks(&o, &info) && !h5k_datatype_contains(info.type, H5K_CLASS_VLEN) &&
             !info.edge_chunks_raw) {
    /* same filters and chunk shape: the stored chunks are copied as they are, undecoded (and
     * chunks never written stay unwritten); not when partial edge chunks are stored unfiltered,
     * which the copy (written without that option) would read as filtered */
    struct raw_copy rcx = {c, d, path, NULL, 0, 0};
    rc = h5k_dataset_chunk_iterate(d, copy_raw_chunk, &rcx);
    if (rc == 0) rc = rcx.rc;
    free(rcx.buf);
  } else if (rc >= 0) {
    uint64_t chunk0[H5K_MAX_DIMS] = {0};
    if (o.chunk_rank) memcpy(chunk0, o.chunk_dims, sizeof chunk0);
    rc = copy_data(c, d, &info, path, o.chunk_rank ? chunk0 : NULL);
  }
  h5k_dataset_close(d);
  return rc;
}

/* ---- the walk ----------------------------------------------------------------------------------------- */
static int copy_group(repack_ctx *c, h5k_addr addr, const char *path);

typedef struct {
  repack_ctx *c;
  const char *path;
} link_ud;

static int copy_link_cb(void *ud, const h5k_link *l) {
  link_ud *u = ud;
  repack_ctx *c = u->c;
  char *child = join(u->path, l->name);
  if (!child) return H5K_ENOMEM;
  int rc = 0;
  snprintf(c->what, sizeof c->what, "%s", child);
  if (l->type == H5K_LINK_SOFT) {
    rc = h5k_link_soft(c->out, l->soft_target, child, 0);
  } else if (l->type == H5K_LINK_EXTERNAL) {
    rc = h5k_link_external(c->out, l->ext_file, l->ext_path, child, 0);
  } else if (l->type != H5K_LINK_HARD) {
    fprintf(stderr, "h5kit repack: %s: user-defined link class %u not copied\n", child, (unsigned)l->type);
  } else if (seen_path(c, l->addr)) {
    const char *first = seen_path(c, l->addr);
    if (strcmp(first, child)) rc = h5k_link_hard(c->out, first, child, 0);
  } else {
    h5k_object_info oi;
    rc = h5k_object_get_info(&oi, c->in, l->addr);
    if (rc >= 0) rc = add_seen(c, l->addr, child);
    if (rc >= 0) {
      if (oi.type == H5K_OBJ_GROUP) {
        int track = 0;
        (void)h5k_group_tracks_order(&track, c->in, l->addr);
        /* a group on the path of a committed datatype exists already (made by the pre-pass) */
        if (!is_premade(c, child)) rc = h5k_group_create(c->out, child, track ? H5K_TRACK_ORDER : 0);
        if (rc >= 0) rc = copy_attrs(c, l->addr, child);
        if (rc >= 0) rc = copy_group(c, l->addr, child);
      } else if (oi.type == H5K_OBJ_DATASET) {
        rc = copy_dataset(c, l->addr, child);
        if (rc >= 0) rc = copy_attrs(c, l->addr, child);
      } else if (oi.type == H5K_OBJ_DATATYPE) {
        h5k_datatype *t;
        rc = h5k_object_get_datatype(&t, c->in, l->addr);
        if (rc >= 0) {
          t->committed = 0;
          rc = h5k_datatype_commit(c->out, child, t, 0);
          h5k_datatype_free(t);
        }
        if (rc >= 0) rc = copy_attrs(c, l->addr, child);
      }
    }
  }
  free(child);
  return rc;
}

static int copy_group(repack_ctx *c, h5k_addr addr, const char *path) {
  link_ud u = {c, path};
  int track = 0;
  (void)h5k_group_tracks_order(&track, c->in, addr);
  return h5k_group_iterate(c->in, addr, track ? H5K_ORDER_CREATION : H5K_ORDER_NAME, copy_link_cb, &u);
}

/* Committed datatypes first (datasets refer to them), wherever they are in the tree. */
typedef struct {
  repack_ctx *c;
  int rc;
} pre_ud;

static int precommit_cb(void *ud, const char *path, const h5k_link *l) {
  pre_ud *u = ud;
  repack_ctx *c = u->c;
  if (l->type != H5K_LINK_HARD || seen_path(c, l->addr)) return 0;
  h5k_object_info oi;
  if (h5k_object_get_info(&oi, c->in, l->addr) < 0 || oi.type != H5K_OBJ_DATATYPE) return 0;
  char *full = join("/", path);
  if (!full) return H5K_ENOMEM;
  h5k_datatype *t;
  int rc = h5k_object_get_datatype(&t, c->in, l->addr);
  if (rc >= 0) {
    t->committed = 0;
    rc = h5k_datatype_commit(c->out, full, t, H5K_MKDIRS);
    h5k_datatype_free(t);
  }
  if (rc >= 0) rc = add_seen(c, l->addr, full);
  if (rc >= 0) rc = add_premade(c, full);
  if (rc >= 0) rc = copy_attrs(c, l->addr, full);
  snprintf(c->what, sizeof c->what, "%s", full);
  free(full);
  return rc;
}

static int write_deferred(repack_ctx *c, const struct deferred *d) {
  snprintf(c->what, sizeof c->what, "object references in %s%s%s", d->path, d->attr ? " attribute " : "",
           d->attr ? d->attr : "");
  if (d->attr) {
    attr_ud u = {c, d->path, d->src, 1, d->attr};
    return h5k_attr_iterate(c->in, d->src, H5K_ORDER_NAME, copy_attr_cb, &u);
  }
  h5k_dataset *ds;
  int rc = h5k_dataset_open(&ds, c->in, d->src);
  if (rc < 0) return rc;
  h5k_dataset_info info;
  uint64_t n = 0;
  rc = h5k_dataset_get_info(&info, ds);
  if (rc >= 0) n = space_count(info.space);
  uint8_t *raw = rc >= 0 ? malloc(n ? (size_t)(n * info.type->size) : 1) : NULL;
  if (rc >= 0 && !raw) rc = H5K_ENOMEM;
  if (rc >= 0 && n) rc = h5k_dataset_read_raw(ds, NULL, raw, (size_t)(n * info.type->size));
  const char **paths = rc >= 0 ? refs_to_paths(c, info.type, raw, (size_t)n) : NULL;
  if (rc >= 0 && !paths) rc = H5K_ENOMEM;
  if (rc >= 0 && n) rc = h5k_write(c->out, d->path, NULL, NULL, paths, (size_t)n * sizeof(char *));
  free(paths);
  free(raw);
  h5k_dataset_close(ds);
  return rc;
}

static int parse_chunks(repack_ctx *c, const char *s) {
  c->chunk_rank = 0;
  const char *p = s;
  while (*p) {
    char *e;
    unsigned long long v = strtoull(p, &e, 10);
    if (e == p || v == 0 || c->chunk_rank >= H5K_MAX_DIMS) return -1;
    c->chunks[c->chunk_rank++] = v;
    if (*e == 'x' || *e == 'X') p = e + 1;
    else if (!*e) break;
    else return -1;
    if (!*p) return -1;
  }
  return c->chunk_rank ? 0 : -1;
}

static void repack_usage(FILE *out) {
  fprintf(out, "usage: h5kit repack [--latest] [--filter SPEC] [--chunks D0xD1...] [--threads N] IN OUT\n"
               "  --latest        write the latest format (superblock 3, v2 headers, new chunk indexes)\n"
               "  --filter SPEC   filters for every dataset: deflate=6, shuffle,deflate=4, bslz4, lz4,\n"
               "                  zstd=3, blosc, lzf, szip, fletcher32, none (see docs/cli.md)\n"
               "  --chunks DIMS   chunk shape for every dataset of that rank, e.g. 1x512x512\n");
}

int cmd_repack(int argc, char **argv) {
  repack_ctx c;
  memset(&c, 0, sizeof c);
  int latest = 0;
  unsigned threads = 0;
  const char *in = NULL, *outp = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      repack_usage(stdout);
      return cli_finish_stdout(CLI_OK);
    } else if (!strcmp(a, "--latest")) {
      latest = 1;
    } else if ((!strcmp(a, "--filter") || !strcmp(a, "-f")) && i + 1 < argc) {
      int rc = h5k_filter_parse(c.filters, &c.nfilters, 32, c.cd_store, 256, argv[++i]);
      if (rc < 0) {
        char buf[512];
        cli_error("repack: --filter: %s", cli_reason(buf, sizeof buf));
        return CLI_FAIL;
      }
      c.have_filter = 1;
    } else if ((!strcmp(a, "--chunks") || !strcmp(a, "-c")) && i + 1 < argc) {
      if (parse_chunks(&c, argv[++i]) < 0) {
        cli_error("repack: --chunks takes positive sizes separated by 'x', e.g. 1x512x512 (got '%s')", argv[i]);
        return CLI_FAIL;
      }
    } else if (!strcmp(a, "--threads") && i + 1 < argc) {
      threads = (unsigned)strtoul(argv[++i], NULL, 10);
    } else if (a[0] == '-' && a[1]) {
      cli_error("repack: unknown option '%s'", a);
      repack_usage(stderr);
      return CLI_FAIL;
    } else if (!in) {
      in = a;
    } else if (!outp) {
      outp = a;
    } else {
      cli_error("repack: too many arguments");
      return CLI_FAIL;
    }
  }
  if (!in || !outp) {
    repack_usage(stderr);
    return CLI_FAIL;
  }
  char reason[512];
  h5k_open_options oo = {sizeof oo, 0, threads, NULL, 0};
  if (h5k_open(&c.in, in, &oo) < 0) {
    cli_error("repack: cannot open %s: %s", in, cli_reason(reason, sizeof reason));
    return CLI_FAIL;
  }
  h5k_file_info fi;
  h5k_file_get_info(&fi, c.in);
  h5k_create_options co;
  memset(&co, 0, sizeof co);
  co.struct_size = sizeof co;
  co.flags = H5K_CREATE_TRUNC;
  co.profile = latest ? H5K_PROFILE_LATEST : H5K_PROFILE_COMPAT;
  co.userblock_size = fi.userblock_size;
  co.nthreads = threads;
  if (h5k_create(&c.out, outp, &co) < 0) {
    cli_error("repack: cannot create %s: %s", outp, cli_reason(reason, sizeof reason));
    h5k_close(c.in);
    return CLI_FAIL;
  }
  int rc = add_seen(&c, fi.root, "/");
  if (rc >= 0) rc = copy_attrs(&c, fi.root, "/");
  pre_ud pu = {&c, 0};
  if (rc >= 0) rc = h5k_visit(c.in, fi.root, precommit_cb, &pu);
  if (rc >= 0) rc = copy_group(&c, fi.root, "/");
  for (size_t i = 0; i < c.ndef && rc >= 0; i++) rc = write_deferred(&c, &c.def[i]);
  for (size_t i = 0; i < c.nanon && rc >= 0; i++) rc = h5k_unlink(c.out, c.anon[i]);
  if (rc >= 0) snprintf(c.what, sizeof c.what, "writing %s", outp);
  if (rc >= 0) rc = h5k_flush(c.out);
  if (rc < 0) cli_error("repack: %s: %s", c.what, cli_reason(reason, sizeof reason));
  h5k_close(c.out);
  /* the userblock's bytes */
  if (rc >= 0 && fi.userblock_size) {
    FILE *src = fopen(in, "rb"), *dst = fopen(outp, "r+b");
    char *ub = malloc((size_t)fi.userblock_size);
    if (!src || !dst || !ub || fread(ub, 1, (size_t)fi.userblock_size, src) != fi.userblock_size ||
        fwrite(ub, 1, (size_t)fi.userblock_size, dst) != fi.userblock_size) {
      cli_error("repack: cannot copy the userblock");
      rc = H5K_EIO;
    }
    free(ub);
    if (src) fclose(src);
    if (dst && fclose(dst) != 0) rc = H5K_EIO;
  }
  h5k_close(c.in);
  for (size_t i = 0; i < c.nseen; i++) free(c.seen[i].path);
  free(c.seen);
  for (size_t i = 0; i < c.ndef; i++) {
    free(c.def[i].path);
    free(c.def[i].attr);
  }
  free(c.def);
  for (size_t i = 0; i < c.nanon; i++) free(c.anon[i]);
  free(c.anon);
  for (size_t i = 0; i < c.npremade; i++) free(c.premade[i]);
  free(c.premade);
  if (rc < 0) remove(outp);
  return rc < 0 ? CLI_FAIL : CLI_OK;
}
