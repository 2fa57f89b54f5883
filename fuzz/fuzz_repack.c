/* Fuzz target: the writer, fed by the reader, through the public API only (include/h5kit.h).
 * The input is an HDF5 file image. It is opened with h5k_open_memory and copied, the way
 * `h5kit repack` does (tools/repack.c; a compact version of its walk is repeated here since the
 * library has no repack call), into a new file made with h5k_create_memory:
 *   - committed datatypes first (h5k_visit over the whole tree), with their attributes;
 *   - then every group (h5k_group_create, keeping creation-order tracking), dataset
 *     (h5k_dataset_create with the source's type, dataspace, storage, chunk shape, stored filter
 *     pipeline, fill value and committed type; then h5k_write of all its values, read raw, or
 *     converted to the native type first when they hold variable-length data), attribute
 *     (h5k_attr_write, or h5k_attr_write_committed when its type is a committed datatype
 *     already copied) and link (h5k_link_hard for a second name of an object already copied,
 *     h5k_link_soft, h5k_link_external) reached from the root. Object references are written
 *     as the writer takes them, the path each target was copied to (a target not copied yet
 *     makes that write fail: unlike tools/repack.c, no second pass).
 * The profile (compat or latest) is picked by a hash of the input, so both are fuzzed.
 * Errors from any call are expected (fuzzed files are mostly corrupt, and the writer refuses
 * what it cannot write) and the copy carries on with the next object. Then h5k_flush; when it
 * succeeds, the committed image (h5k_memory_image) is checked:
 *   - it must open with h5k_open_memory (a writer image the reader rejects is a finding);
 *   - every dataset whose h5k_write succeeded and whose values are fixed-size data without
 *     references must read back (h5k_dataset_read_raw) byte for byte as it was written;
 *   - and the whole image goes through fuzz_file's walk (groups, links, attributes, every
 *     dataset read raw and converted): fuzz_file.c is compiled into this target with its entry
 *     point renamed, so the two walks cannot drift apart.
 * A broken invariant is reported with abort() (fz_fail) so that libFuzzer keeps the input.
 *
 *   input: | HDF5 file image (any length) |
 *
 * Work per input is capped: RP_MAX_LINKS links copied, RP_MAX_DEPTH nested groups,
 * RP_MAX_VALUES bytes of values per dataset or attribute (larger ones are created but not
 * written), and contiguous/compact datasets over RP_MAX_STORAGE bytes are not created at all (a
 * memory image would have to hold their storage). Seeds: fuzz/corpus/fuzz_repack/ (small
 * h5py-made and third-party files, see docs/fuzzing.md). */
#include "fuzz_util.h"

/* fuzz_file.c's whole-file walk, under another name. */
int fuzz_file_walk(const uint8_t *data, size_t size);
#define LLVMFuzzerTestOneInput fuzz_file_walk
#include "fuzz_file.c"
#undef LLVMFuzzerTestOneInput

#define RP_MAX_LINKS 1000
#define RP_MAX_DEPTH 32
#define RP_MAX_VALUES ((uint64_t)4 << 20)
#define RP_MAX_STORAGE ((uint64_t)16 << 20)
#define RP_MAX_PATH 1024

typedef struct rp_seen {
  h5k_addr addr;
  char *path;
} rp_seen;

/* A dataset whose values were written: their hash, to compare after reopening. */
typedef struct rp_written {
  char *path;
  uint64_t hash;
  size_t nbytes;
} rp_written;

typedef struct rp_ctx {
  h5k_file *in, *out;
  rp_seen *seen;
  size_t nseen, capseen;
  rp_written *written;
  size_t nwritten, capwritten;
  unsigned long nlinks;
  unsigned depth;
} rp_ctx;

static uint64_t rp_hash(const uint8_t *p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

static const char *rp_seen_path(const rp_ctx *c, h5k_addr a) {
  for (size_t i = 0; i < c->nseen; i++)
    if (c->seen[i].addr == a) return c->seen[i].path;
  return NULL;
}

static int rp_add_seen(rp_ctx *c, h5k_addr a, const char *path) {
  char *p;
  if (c->nseen == c->capseen) {
    size_t nc = c->capseen ? c->capseen * 2 : 32;
    rp_seen *q = realloc(c->seen, nc * sizeof *q);
    if (!q) return H5K_ENOMEM;
    c->seen = q;
    c->capseen = nc;
  }
  p = strdup(path);
  if (!p) return H5K_ENOMEM;
  c->seen[c->nseen].addr = a;
  c->seen[c->nseen].path = p;
  c->nseen++;
  return 0;
}

static void rp_add_written(rp_ctx *c, const char *path, const uint8_t *raw, size_t nbytes) {
  char *p;
  if (c->nwritten == c->capwritten) {
    size_t nc = c->capwritten ? c->capwritten * 2 : 16;
    rp_written *q = realloc(c->written, nc * sizeof *q);
    if (!q) return;
    c->written = q;
    c->capwritten = nc;
  }
  p = strdup(path);
  if (!p) return;
  c->written[c->nwritten].path = p;
  c->written[c->nwritten].hash = rp_hash(raw, nbytes);
  c->written[c->nwritten].nbytes = nbytes;
  c->nwritten++;
}

/* "parent/name" (parent "/" gives "/name"); NULL when too long or out of memory. */
static char *rp_join(const char *parent, const char *name) {
  size_t a = strlen(parent), b = strlen(name);
  char *p;
  if (a + b + 2 > RP_MAX_PATH) return NULL;
  p = malloc(a + b + 2);
  if (!p) return NULL;
  memcpy(p, parent, a);
  if (!a || parent[a - 1] != '/') p[a++] = '/';
  memcpy(p + a, name, b + 1);
  return p;
}

/* Elements of a dataspace; UINT64_MAX when the product overflows. */
static uint64_t rp_count(const h5k_dataspace *s) {
  uint64_t n = 1;
  if (s->kind == H5K_SPACE_NULL) return 0;
  for (unsigned i = 0; s->kind == H5K_SPACE_SIMPLE && i < s->rank && i < H5K_MAX_DIMS; i++)
    if (__builtin_mul_overflow(n, s->dims[i], &n)) return UINT64_MAX;
  return n;
}

/* An attribute write; typed by the committed datatype copied to tpath when there is one (the
 * attribute then refers to it, as in the input). */
static int rp_attr_put(rp_ctx *c, const char *path, const char *name, const char *tpath, const h5k_datatype *type,
                       const h5k_dataspace *space, const h5k_datatype *mem, const void *buf, size_t bufsize) {
  if (tpath) return h5k_attr_write_committed(c->out, path, name, tpath, space, mem, buf, bufsize);
  return h5k_attr_write(c->out, path, name, type, space, mem, buf, bufsize);
}

/* Object references: the writer takes them as the target's path (a char*, NULL for a null
 * reference); an address of the input maps to the path its object was copied to, as far as the
 * copy got (a target copied later, or never, is written as ... its absence: the call fails). */
static int rp_write_refs(rp_ctx *c, const char *path, const char *attr_name, const h5k_datatype *type,
                         const h5k_dataspace *space, const uint8_t *raw, uint64_t n) {
  h5k_datatype *mem = NULL;
  h5k_addr *addrs = NULL;
  const char **paths = NULL;
  int rc;
  if (type->ref_type != H5K_REF_OBJECT) return H5K_EUNSUPPORTED;
  if (n > RP_MAX_VALUES / sizeof(h5k_addr)) return H5K_ELIMIT;
  rc = h5k_datatype_native(&mem, type);
  if (rc < 0) return rc;
  addrs = calloc(n ? (size_t)n : 1, sizeof *addrs);
  paths = calloc(n ? (size_t)n : 1, sizeof *paths);
  if (!addrs || !paths || mem->size != sizeof(h5k_addr)) {
    rc = addrs && paths ? H5K_EUNSUPPORTED : H5K_ENOMEM;
    goto done;
  }
  rc = h5k_convert(addrs, mem, raw, type, (size_t)n, c->in);
  if (rc < 0) goto done;
  for (uint64_t i = 0; i < n; i++) {
    if (addrs[i] == 0 || addrs[i] == H5K_ADDR_UNDEF) continue; /* null reference */
    paths[i] = rp_seen_path(c, addrs[i]);
    if (!paths[i]) {
      rc = H5K_ENOTFOUND;
      goto done;
    }
  }
  if (attr_name)
    rc = h5k_attr_write(c->out, path, attr_name, type, space, NULL, paths, (size_t)n * sizeof *paths);
  else
    rc = h5k_write(c->out, path, NULL, NULL, paths, (size_t)n * sizeof *paths);
done:
  free(paths);
  free(addrs);
  h5k_datatype_free(mem);
  return rc;
}

/* n elements of file type `type` at raw (nbytes bytes), written with `write_fn`-like semantics:
 * converted to the native type first when the type holds variable-length data. Returns the
 * writer's status. */
static int rp_write_values(rp_ctx *c, const char *path, const char *attr_name, const h5k_datatype *type,
                           const h5k_dataspace *space, const uint8_t *raw, size_t nbytes, uint64_t n) {
  const char *tpath = attr_name && type->committed ? rp_seen_path(c, type->committed_addr) : NULL;
  h5k_datatype *mem = NULL;
  uint8_t *m = NULL;
  uint64_t mbytes;
  int rc;
  if (type->cls == H5K_CLASS_REFERENCE) return rp_write_refs(c, path, attr_name, type, space, raw, n);
  /* other references (inside compounds, arrays, vlen): the writer takes them only as paths */
  if (h5k_datatype_contains(type, H5K_CLASS_REFERENCE)) return H5K_EUNSUPPORTED;
  if (!h5k_datatype_contains(type, H5K_CLASS_VLEN)) {
    if (attr_name) return rp_attr_put(c, path, attr_name, tpath, type, space, NULL, raw, nbytes);
    return h5k_write(c->out, path, NULL, NULL, raw, nbytes);
  }
  rc = h5k_datatype_native(&mem, type);
  if (rc < 0) return rc;
  if (__builtin_mul_overflow(n, mem->size, &mbytes) || mbytes > RP_MAX_VALUES) {
    rc = H5K_ELIMIT;
    goto done;
  }
  m = calloc(mbytes ? (size_t)mbytes : 1, 1);
  if (!m) {
    rc = H5K_ENOMEM;
    goto done;
  }
  rc = h5k_convert(m, mem, raw, type, (size_t)n, c->in);
  if (rc < 0) goto done;
  if (attr_name)
    rc = rp_attr_put(c, path, attr_name, tpath, type, space, mem, m, (size_t)mbytes);
  else
    rc = h5k_write(c->out, path, NULL, mem, m, (size_t)mbytes);
  h5k_reclaim(m, mem, (size_t)n);
done:
  free(m);
  h5k_datatype_free(mem);
  return rc;
}

typedef struct rp_attr_ud {
  rp_ctx *c;
  const char *path;
} rp_attr_ud;

static int rp_attr_cb(void *ud, const h5k_attr *a) {
  rp_attr_ud *u = ud;
  uint64_t n = rp_count(a->space), bytes;
  if (n == UINT64_MAX || __builtin_mul_overflow(n, a->type->size, &bytes) || bytes > a->data_size ||
      bytes > RP_MAX_VALUES)
    return 0;
  (void)rp_write_values(u->c, u->path, a->name, a->type, a->space, a->data, (size_t)bytes, n);
  fz_touch_str(h5k_error_last());
  return 0;
}

static void rp_copy_attrs(rp_ctx *c, h5k_addr addr, const char *path) {
  rp_attr_ud u = {c, path};
  (void)h5k_attr_iterate(c->in, addr, H5K_ORDER_NAME, rp_attr_cb, &u);
}

static void rp_copy_dataset(rp_ctx *c, h5k_addr addr, const char *path) {
  h5k_dataset *d = NULL;
  h5k_dataset_info info;
  h5k_dataset_options o;
  const h5k_dataspace *sp;
  uint64_t n, bytes;
  uint8_t *raw = NULL;
  int simple;
  if (h5k_dataset_open(&d, c->in, addr) != 0) return;
  if (h5k_dataset_get_info(&info, d) != 0) fz_fail("h5k_dataset_get_info failed on an open dataset");
  sp = info.space;
  simple = sp->kind == H5K_SPACE_SIMPLE;
  if (info.layout == H5K_LAYOUT_VIRTUAL || info.nexternal) goto done; /* repack refuses these too */
  n = rp_count(sp);
  if (n == UINT64_MAX || __builtin_mul_overflow(n, info.type->size, &bytes)) goto done;
  memset(&o, 0, sizeof o);
  o.struct_size = sizeof o;
  if (info.layout == H5K_LAYOUT_CHUNKED && simple) {
    o.storage = H5K_STORAGE_CHUNKED;
    o.chunk_rank = info.chunk_rank;
    memcpy(o.chunk_dims, info.chunk_dims, sizeof o.chunk_dims);
    o.nfilters = info.nfilters;
    o.filters = info.filters;
    o.flags = H5K_FILTERS_STORED;
  } else {
    if (bytes > RP_MAX_STORAGE) goto done;
    o.storage = info.layout == H5K_LAYOUT_COMPACT ? H5K_STORAGE_COMPACT : H5K_STORAGE_CONTIGUOUS;
  }
  if (info.fill_defined && info.fill_value && info.fill_size == info.type->size) o.fill_value = info.fill_value;
  if (info.type->committed) o.committed_type = rp_seen_path(c, info.type->committed_addr);
  if (h5k_dataset_create(c->out, path, info.type, sp, &o) != 0) goto done;
  if (n == 0 || bytes > RP_MAX_VALUES) goto done;
  raw = malloc((size_t)bytes);
  if (!raw || h5k_dataset_read_raw(d, NULL, raw, (size_t)bytes) != 0) goto done;
  if (rp_write_values(c, path, NULL, info.type, sp, raw, (size_t)bytes, n) == 0 &&
      !h5k_datatype_contains(info.type, H5K_CLASS_VLEN) && !h5k_datatype_contains(info.type, H5K_CLASS_REFERENCE))
    rp_add_written(c, path, raw, (size_t)bytes);
done:
  fz_touch_str(h5k_error_last());
  free(raw);
  h5k_dataset_close(d);
}

static void rp_copy_group(rp_ctx *c, h5k_addr addr, const char *path);

typedef struct rp_link_ud {
  rp_ctx *c;
  const char *path;
} rp_link_ud;

static int rp_link_cb(void *ud, const h5k_link *l) {
  rp_link_ud *u = ud;
  rp_ctx *c = u->c;
  const char *first;
  char *child;
  h5k_object_info oi;
  if (++c->nlinks > RP_MAX_LINKS) return 1;
  /* a name with '/' would address another object (the writer parses paths) */
  if (!l->name[0] || strchr(l->name, '/')) return 0;
  child = rp_join(u->path, l->name);
  if (!child) return 0;
  if (l->type == H5K_LINK_SOFT) {
    (void)h5k_link_soft(c->out, l->soft_target, child, 0);
  } else if (l->type == H5K_LINK_EXTERNAL) {
    (void)h5k_link_external(c->out, l->ext_file, l->ext_path, child, 0);
  } else if (l->type != H5K_LINK_HARD) {
    /* user-defined link classes are not copied */
  } else if ((first = rp_seen_path(c, l->addr)) != NULL) {
    if (strcmp(first, child) != 0) (void)h5k_link_hard(c->out, first, child, 0);
  } else if (h5k_object_get_info(&oi, c->in, l->addr) == 0 && rp_add_seen(c, l->addr, child) == 0) {
    if (oi.type == H5K_OBJ_GROUP) {
      int track = 0;
      (void)h5k_group_tracks_order(&track, c->in, l->addr);
      (void)h5k_group_create(c->out, child, track ? H5K_TRACK_ORDER : 0);
      rp_copy_attrs(c, l->addr, child);
      rp_copy_group(c, l->addr, child);
    } else if (oi.type == H5K_OBJ_DATASET) {
      rp_copy_dataset(c, l->addr, child);
      rp_copy_attrs(c, l->addr, child);
    } else if (oi.type == H5K_OBJ_DATATYPE) {
      h5k_datatype *t = NULL;
      if (h5k_object_get_datatype(&t, c->in, l->addr) == 0) {
        t->committed = 0;
        (void)h5k_datatype_commit(c->out, child, t, 0);
        h5k_datatype_free(t);
      }
      rp_copy_attrs(c, l->addr, child);
    }
  }
  fz_touch_str(h5k_error_last());
  free(child);
  return 0;
}

static void rp_copy_group(rp_ctx *c, h5k_addr addr, const char *path) {
  rp_link_ud u = {c, path};
  int track = 0;
  if (c->depth >= RP_MAX_DEPTH) return;
  c->depth++;
  (void)h5k_group_tracks_order(&track, c->in, addr);
  (void)h5k_group_iterate(c->in, addr, track ? H5K_ORDER_CREATION : H5K_ORDER_NAME, rp_link_cb, &u);
  c->depth--;
}

/* Committed datatypes first, wherever they are: datasets and attributes refer to them. */
static int rp_precommit_cb(void *ud, const char *path, const h5k_link *l) {
  rp_ctx *c = ud;
  h5k_object_info oi;
  h5k_datatype *t = NULL;
  char *full;
  if (++c->nlinks > RP_MAX_LINKS) return 1;
  if (l->type != H5K_LINK_HARD || rp_seen_path(c, l->addr)) return 0;
  if (!l->name[0] || strchr(l->name, '/')) return 0;
  if (h5k_object_get_info(&oi, c->in, l->addr) != 0 || oi.type != H5K_OBJ_DATATYPE) return 0;
  full = rp_join("/", path);
  if (!full) return 0;
  if (h5k_object_get_datatype(&t, c->in, l->addr) == 0) {
    t->committed = 0;
    if (h5k_datatype_commit(c->out, full, t, H5K_MKDIRS) == 0 && rp_add_seen(c, l->addr, full) == 0)
      rp_copy_attrs(c, l->addr, full);
    h5k_datatype_free(t);
  }
  fz_touch_str(h5k_error_last());
  free(full);
  return 0;
}

/* The written datasets must read back from the reopened image exactly as written. */
static void rp_verify(h5k_file *f, const rp_ctx *c) {
  for (size_t i = 0; i < c->nwritten; i++) {
    const rp_written *w = &c->written[i];
    h5k_addr addr;
    h5k_dataset *d = NULL;
    uint8_t *buf;
    if (h5k_resolve(&addr, f, w->path) != 0) {
      fprintf(stderr, "%s: %s\n", w->path, h5k_error_last());
      fz_fail("a dataset written and committed is missing from the image");
    }
    if (h5k_dataset_open(&d, f, addr) != 0) {
      fprintf(stderr, "%s: %s\n", w->path, h5k_error_last());
      fz_fail("a dataset written and committed does not open");
    }
    buf = malloc(w->nbytes ? w->nbytes : 1);
    if (buf) {
      if (h5k_dataset_read_raw(d, NULL, buf, w->nbytes) != 0) {
        fprintf(stderr, "%s: %s\n", w->path, h5k_error_last());
        fz_fail("a dataset written and committed cannot be read back");
      }
      if (rp_hash(buf, w->nbytes) != w->hash) {
        fprintf(stderr, "%s: values differ\n", w->path);
        fz_fail("a dataset reads back with other values than were written");
      }
      free(buf);
    }
    h5k_dataset_close(d);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  h5k_open_options oo;
  h5k_create_options co;
  h5k_file_info fi;
  h5k_file *back = NULL;
  const uint8_t *img;
  uint8_t *copy = NULL;
  size_t img_len = 0;
  rp_ctx c;
  memset(&c, 0, sizeof c);
  memset(&oo, 0, sizeof oo);
  oo.struct_size = sizeof oo;
  oo.nthreads = 1;
  if (h5k_open_memory(&c.in, data, size, &oo) != 0) {
    fz_touch_str(h5k_error_last());
    return 0;
  }
  if (h5k_file_get_info(&fi, c.in) != 0) fz_fail("h5k_file_get_info failed on an open file");
  memset(&co, 0, sizeof co);
  co.struct_size = sizeof co;
  co.profile = (rp_hash(data, size) & 1) ? H5K_PROFILE_LATEST : H5K_PROFILE_COMPAT;
  co.userblock_size = fi.userblock_size;
  co.nthreads = 1;
  if (h5k_create_memory(&c.out, &co) != 0) {
    co.userblock_size = 0; /* a userblock size the writer does not take */
    if (h5k_create_memory(&c.out, &co) != 0) fz_fail("h5k_create_memory failed");
  }
  rp_copy_attrs(&c, fi.root, "/");
  (void)h5k_visit(c.in, fi.root, rp_precommit_cb, &c);
  c.nlinks = 0;
  rp_copy_group(&c, fi.root, "/");
  if (h5k_flush(c.out) == 0) {
    if (h5k_memory_image(&img, &img_len, c.out) != 0) fz_fail("h5k_memory_image failed after a flush");
    copy = malloc(img_len ? img_len : 1);
    if (copy) memcpy(copy, img, img_len);
  }
  fz_touch_str(h5k_error_last());
  h5k_close(c.out);
  h5k_close(c.in);
  if (copy) {
    if (h5k_open_memory(&back, copy, img_len, &oo) != 0) {
      fprintf(stderr, "reopen: %s\n", h5k_error_last());
      fz_fail("the writer's committed image does not open");
    }
    rp_verify(back, &c);
    h5k_close(back);
    (void)fuzz_file_walk(copy, img_len);
    free(copy);
  }
  for (size_t i = 0; i < c.nseen; i++) free(c.seen[i].path);
  free(c.seen);
  for (size_t i = 0; i < c.nwritten; i++) free(c.written[i].path);
  free(c.written);
  return 0;
}
