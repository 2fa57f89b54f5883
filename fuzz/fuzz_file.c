/* Fuzz target: a whole file, through the public API only (include/h5kit.h). The input is an
 * HDF5 file image: it is opened with h5k_open_memory and the tree is walked from the root with
 * h5k_visit. For every hard-linked object reached: h5k_object_get_info, h5k_object_get_datatype
 * (datasets and committed types), h5k_attr_iterate in name order and in creation order (every
 * name, datatype and value byte read); for every group also h5k_group_count and
 * h5k_group_find of each link name; h5k_resolve on every visited path. Nothing may leak:
 * LeakSanitizer runs under libFuzzer and in the sanitize build's replay.
 *
 *   input: | HDF5 file image (any length) |
 *
 * The work per input is capped (MAX_LINKS links visited) so a fuzzed file with a huge fan-out
 * cannot turn into a timeout. Seeds: small h5py-made files and small third-party files. */
#include "fuzz_util.h"

#define MAX_LINKS 2000

typedef struct walk {
  h5k_file *f;
  unsigned long nlinks;
} walk;

static int on_attr(void *ud, const h5k_attr *a) {
  (void)ud;
  if (!a->name || !a->type || !a->space) fz_fail("attribute without name, type or space");
  fz_touch_str(a->name);
  fz_check_type(a->type);
  fz_touch_space(a->space);
  fz_touch(a->data, a->data_size);
  fz_sink ^= (uint8_t)(a->charset ^ a->has_corder ^ a->corder);
  return 0;
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
  (void)h5k_attr_iterate(f, addr, H5K_ORDER_NAME, on_attr, NULL);
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
  walk w;
  if (h5k_open_memory(&f, data, size, NULL) != 0) {
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
