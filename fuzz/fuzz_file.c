/* Fuzz target: a whole file, through the public API only (include/h5kit.h). The input is an
 * HDF5 file image: it is opened with h5k_open_memory and the tree is walked from the root with
 * h5k_visit. For every hard-linked object reached: h5k_object_get_info, h5k_object_get_datatype
 * (datasets and committed types), h5k_attr_iterate in name order and in creation order (every
 * name, datatype and value byte read); for every group also h5k_group_count and
 * h5k_group_find of each link name; h5k_resolve on every visited path. For every dataset the
 * read engine too: h5k_dataset_open and _get_info, a read of everything (when the selection is
 * at most MAX_READ bytes), a small strided hyperslab read through h5k_dataset_read, chunk
 * iteration and a direct read of the first chunk, and a conversion of the whole read to the
 * native memory type (h5k_datatype_native + h5k_convert + h5k_reclaim: variable-length data
 * goes through the global heap); every attribute value is converted to its native type too.
 * The file is opened with nthreads = 1, so a run is deterministic. Nothing may leak:
 * LeakSanitizer runs under libFuzzer and in the sanitize build's replay.
 *
 *   input: | HDF5 file image (any length) |
 *
 * The work per input is capped (MAX_LINKS links visited) so a fuzzed file with a huge fan-out
 * cannot turn into a timeout. Seeds: small h5py-made files and small third-party files. */
#include "fuzz_util.h"

#define MAX_LINKS 2000
/* Largest selection (elements x element size, and the same again for its native copy) read at
 * once: the fuzzer's rss limit is 2 GiB, and reading more says nothing new. */
#define MAX_READ ((uint64_t)16 << 20)
/* Chunks reported per dataset before the iteration is stopped. */
#define MAX_CHUNKS 4096

typedef struct walk {
  h5k_file *f;
  unsigned long nlinks;
} walk;

/* Convert n elements of file type ft at src to ft's native memory type and free the result.
 * Errors (unsupported conversions, corrupt heap IDs) are expected and ignored. */
static void convert_native(h5k_file *f, const h5k_datatype *ft, const void *src, uint64_t n) {
  h5k_datatype *nt = NULL;
  uint8_t *dst;
  uint64_t bytes;
  if (!ft || n == 0) return;
  if (h5k_datatype_native(&nt, ft) != 0) {
    fz_touch_str(h5k_error_last());
    return;
  }
  fz_check_type(nt);
  if (nt->size == 0 || __builtin_mul_overflow(n, (uint64_t)nt->size, &bytes) || bytes > MAX_READ) {
    h5k_datatype_free(nt);
    return;
  }
  dst = malloc((size_t)bytes);
  if (dst) {
    if (h5k_convert(dst, nt, src, ft, (size_t)n, f) == 0) {
      if (nt->cls != H5K_CLASS_VLEN && nt->cls != H5K_CLASS_COMPOUND && nt->cls != H5K_CLASS_ARRAY &&
          nt->cls != H5K_CLASS_STRING)
        fz_touch(dst, (size_t)bytes);
      h5k_reclaim(dst, nt, (size_t)n);
    } else {
      fz_touch_str(h5k_error_last());
    }
    free(dst);
  }
  h5k_datatype_free(nt);
}

/* Elements of a dataspace (0 for null, 1 for scalar); UINT64_MAX when the product overflows. */
static uint64_t space_count(const h5k_dataspace *s) {
  uint64_t n = 1;
  if (s->kind == H5K_SPACE_NULL) return 0;
  for (unsigned i = 0; i < s->rank && i < H5K_MAX_DIMS; i++)
    if (__builtin_mul_overflow(n, s->dims[i], &n)) return UINT64_MAX;
  return n;
}

static int on_attr(void *ud, const h5k_attr *a) {
  h5k_file *f = ud;
  uint64_t n, bytes;
  if (!a->name || !a->type || !a->space) fz_fail("attribute without name, type or space");
  fz_touch_str(a->name);
  fz_check_type(a->type);
  fz_touch_space(a->space);
  fz_touch(a->data, a->data_size);
  fz_sink ^= (uint8_t)(a->charset ^ a->has_corder ^ a->corder);
  /* the value, converted to its native type (only when the stored bytes hold every element) */
  n = space_count(a->space);
  if (f && a->type->size && n != UINT64_MAX && !__builtin_mul_overflow(n, (uint64_t)a->type->size, &bytes) &&
      bytes <= a->data_size && bytes <= MAX_READ)
    convert_native(f, a->type, a->data, n);
  return 0;
}

typedef struct chunk_walk {
  unsigned long n;
  int have_first;
  h5k_chunk_info first;
} chunk_walk;

static int on_chunk(void *ud, const h5k_chunk_info *c) {
  chunk_walk *w = ud;
  if (c->rank > H5K_MAX_DIMS) fz_fail("chunk with a rank above H5K_MAX_DIMS");
  fz_touch(c, sizeof *c);
  if (!w->have_first) {
    w->first = *c;
    w->have_first = 1;
  }
  return ++w->n >= MAX_CHUNKS ? 1 : 0;
}

/* The read engine on one dataset. */
static void check_dataset(h5k_file *f, h5k_addr addr) {
  h5k_dataset *d = NULL;
  h5k_dataset_info di;
  h5k_selection sel;
  chunk_walk cw;
  uint64_t n = 0, bytes;
  if (h5k_dataset_open(&d, f, addr) != 0) {
    fz_touch_str(h5k_error_last());
    return;
  }
  if (h5k_dataset_get_info(&di, d) != 0) fz_fail("h5k_dataset_get_info failed on an open dataset");
  if (!di.type || !di.space) fz_fail("dataset info without type or space");
  fz_check_type(di.type);
  fz_touch_space(di.space);
  if (di.chunk_rank > H5K_MAX_DIMS) fz_fail("chunk rank above H5K_MAX_DIMS");
  if (di.nfilters && !di.filters) fz_fail("dataset with filters count but no filters");
  for (size_t i = 0; i < di.nfilters; i++) {
    fz_touch_str(di.filters[i].name);
    fz_touch(di.filters[i].cd, di.filters[i].ncd * sizeof(uint32_t));
  }
  fz_touch(di.fill_value, di.fill_value ? di.fill_size : 0);
  /* everything, raw, then converted to the native type */
  if (h5k_selection_count(&n, d, NULL) == 0 && di.type->size &&
      !__builtin_mul_overflow(n, (uint64_t)di.type->size, &bytes) && bytes <= MAX_READ) {
    uint8_t *buf = malloc(bytes ? (size_t)bytes : 1);
    if (buf) {
      if (h5k_dataset_read_raw(d, NULL, buf, (size_t)bytes) == 0) {
        fz_touch(buf, (size_t)bytes);
        convert_native(f, di.type, buf, n);
      } else {
        fz_touch_str(h5k_error_last());
      }
      free(buf);
    }
  }
  /* a small strided hyperslab: from 1 (or 0) every other element, at most 2 per dimension */
  memset(&sel, 0, sizeof sel);
  sel.rank = di.space->rank;
  for (unsigned i = 0; i < sel.rank; i++) {
    uint64_t dim = di.space->dims[i];
    sel.start[i] = dim > 1 ? 1 : 0;
    sel.stride[i] = 2;
    sel.count[i] = dim > sel.start[i] ? ((dim - sel.start[i] + 1) / 2 < 2 ? (dim - sel.start[i] + 1) / 2 : 2) : 0;
    sel.block[i] = 1;
  }
  if (h5k_selection_count(&n, d, &sel) == 0 && n <= 1u << 16) {
    h5k_datatype *nt = NULL;
    if (h5k_datatype_native(&nt, di.type) == 0) {
      if (nt->size && !__builtin_mul_overflow(n, (uint64_t)nt->size, &bytes) && bytes <= MAX_READ) {
        uint8_t *buf = calloc(bytes ? (size_t)bytes : 1, 1);
        if (buf) {
          if (h5k_dataset_read(d, &sel, nt, buf, (size_t)bytes) == 0) h5k_reclaim(buf, nt, (size_t)n);
          free(buf);
        }
      }
      h5k_datatype_free(nt);
    }
  }
  fz_touch_str(h5k_error_last());
  /* chunks: iterate, then read the first one directly */
  memset(&cw, 0, sizeof cw);
  if (di.layout == H5K_LAYOUT_CHUNKED && h5k_dataset_chunk_iterate(d, on_chunk, &cw) >= 0 && cw.have_first) {
    size_t csize = 0;
    uint32_t mask = 0;
    if (h5k_dataset_read_chunk(&csize, &mask, d, cw.first.offset, NULL, 0) == 0 && csize <= MAX_READ) {
      uint8_t *buf = malloc(csize ? csize : 1);
      if (buf) {
        if (h5k_dataset_read_chunk(&csize, &mask, d, cw.first.offset, buf, csize) == 0) fz_touch(buf, csize);
        free(buf);
      }
    }
  }
  fz_touch_str(h5k_error_last());
  h5k_dataset_close(d);
}

static int on_link_find(void *ud, const h5k_link *l) {
  (void)ud;
  fz_touch_str(l->name);
  return 0;
}

static void check_object(h5k_file *f, h5k_addr addr) {
  h5k_object_info info;
  h5k_datatype *t = NULL;
  uint64_t n;
  int tracked;
  if (h5k_object_get_info(&info, f, addr) != 0) {
    fz_touch_str(h5k_error_last());
    return;
  }
  fz_touch_space(&info.space);
  if (info.type == H5K_OBJ_DATASET || info.type == H5K_OBJ_DATATYPE) {
    if (h5k_object_get_datatype(&t, f, addr) == 0) {
      fz_check_type(t);
      h5k_datatype_free(t);
    }
  }
  if (info.type == H5K_OBJ_DATASET) check_dataset(f, addr);
  (void)h5k_attr_iterate(f, addr, H5K_ORDER_NAME, on_attr, f);
  (void)h5k_attr_iterate(f, addr, H5K_ORDER_CREATION, on_attr, NULL);
  if (info.type == H5K_OBJ_GROUP) {
    if (h5k_group_count(&n, f, addr) == 0) fz_sink ^= (uint8_t)n;
    if (h5k_group_tracks_order(&tracked, f, addr) == 0 && tracked)
      (void)h5k_group_iterate(f, addr, H5K_ORDER_CREATION, on_link_find, NULL);
  }
  fz_touch_str(h5k_error_last());
}

static int on_visit(void *ud, const char *path, const h5k_link *l) {
  walk *w = ud;
  h5k_addr addr;
  char buf[512];
  h5k_link found;
  if (!path || !l || !l->name) fz_fail("visit callback without path or link");
  fz_touch_str(path);
  fz_touch_str(l->name);
  fz_touch_str(l->soft_target);
  fz_touch_str(l->ext_file);
  fz_touch_str(l->ext_path);
  if (l->type == H5K_LINK_SOFT && !l->soft_target) fz_fail("soft link without a target");
  if (l->type == H5K_LINK_HARD) check_object(w->f, l->addr);
  if (h5k_resolve(&addr, w->f, path) == 0) fz_sink ^= (uint8_t)addr;
  /* look the link up again by name in its parent group */
  {
    const char *slash = strrchr(path, '/');
    h5k_addr parent = H5K_ADDR_UNDEF;
    if (!slash) {
      (void)h5k_resolve(&parent, w->f, "/");
    } else {
      size_t plen = (size_t)(slash - path);
      char *ppath = malloc(plen + 1);
      if (ppath) {
        memcpy(ppath, path, plen);
        ppath[plen] = 0;
        if (h5k_resolve(&parent, w->f, ppath) != 0) parent = H5K_ADDR_UNDEF;
        free(ppath);
      }
    }
    if (parent != H5K_ADDR_UNDEF && h5k_group_find(&found, buf, sizeof buf, w->f, parent, l->name) == 0) {
      fz_touch_str(found.name);
      fz_touch_str(found.soft_target);
    }
  }
  fz_touch_str(h5k_error_last());
  return ++w->nlinks >= MAX_LINKS ? 1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  h5k_file *f = NULL;
  h5k_file_info fi;
  h5k_addr root;
  h5k_open_options opts;
  walk w;
  memset(&opts, 0, sizeof opts);
  opts.struct_size = sizeof opts;
  opts.nthreads = 1;
  if (h5k_open_memory(&f, data, size, &opts) != 0) {
    fz_touch_str(h5k_error_last());
    return 0;
  }
  if (h5k_file_get_info(&fi, f) != 0) fz_fail("h5k_file_get_info failed on an open file");
  root = fi.root;
  check_object(f, root);
  memset(&w, 0, sizeof w);
  w.f = f;
  (void)h5k_visit(f, root, on_visit, &w);
  fz_touch_str(h5k_error_last());
  (void)h5k_resolve(&root, f, "/");
  h5k_close(f);
  return 0;
}
