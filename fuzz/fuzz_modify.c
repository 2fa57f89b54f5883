/* Fuzz target: changing a hostile file in place, through the public API only (include/h5kit.h).
 *
 * The input is opened read-write as a memory image (h5k_open_memory + H5K_OPEN_RDWR works on a
 * copy). The writer then loads objects from it as a user's changes would: an attribute on the root
 * and on every object reachable by a hard link (at most 200), an attribute deleted again on every
 * other one, a new group, one row appended to every chunked dataset with an unlimited first
 * dimension (resize + write of zeros), and a commit. Any call may fail with an error on corrupt
 * input; none may crash, leak or hang. When the commit succeeds, the committed image must open
 * read-only, show the root attribute, and survive fuzz_file's whole walk.
 *
 * What this covers that fuzz_file and fuzz_repack do not: the writer's loading of existing
 * objects (headers, links of all group kinds, attributes including dense ones and references,
 * dataset layouts and chunk maps) and rewriting them next to structures it did not write. */
#include "fuzz_util.h"

#include "h5kit.h"

#define LLVMFuzzerTestOneInput fuzz_file_walk
int fuzz_file_walk(const uint8_t *data, size_t size);
#include "fuzz_file.c"
#undef LLVMFuzzerTestOneInput

#define FM_MAX_OBJS 200

typedef struct {
  char paths[FM_MAX_OBJS][256];
  h5k_addr addrs[FM_MAX_OBJS];
  int n;
} fm_objs;

static int fm_collect(void *ud, const char *path, const h5k_link *l) {
  fm_objs *o = ud;
  if (l->type != H5K_LINK_HARD) return 0;
  if (o->n >= FM_MAX_OBJS) return 1;
  if (strlen(path) + 2 > sizeof o->paths[0]) return 0;
  snprintf(o->paths[o->n], sizeof o->paths[0], "/%s", path);
  o->addrs[o->n] = l->addr;
  o->n++;
  return 0;
}

/* Append one row of zeros to a chunked dataset whose first dimension is unlimited. */
static void fm_append(h5k_file *f, const char *path, h5k_addr addr) {
  h5k_dataset *d;
  h5k_dataset_info info;
  if (h5k_dataset_open(&d, f, addr) != 0) return;
  if (h5k_dataset_get_info(&info, d) == 0 && info.layout == H5K_LAYOUT_CHUNKED &&
      info.space->kind == H5K_SPACE_SIMPLE && info.space->rank >= 1 && info.space->maxdims[0] == H5K_UNLIMITED &&
      info.type->cls != H5K_CLASS_VLEN && info.type->cls != H5K_CLASS_REFERENCE && info.type->size <= 64) {
    unsigned r = info.space->rank;
    uint64_t dims[H5K_MAX_DIMS], row = 1;
    memcpy(dims, info.space->dims, sizeof dims);
    for (unsigned i = 1; i < r; i++) row *= dims[i];
    if (row <= 4096 && dims[0] < ((uint64_t)1 << 40)) {
      dims[0]++;
      if (h5k_resize(f, path, dims) == 0) {
        h5k_selection s;
        memset(&s, 0, sizeof s);
        s.rank = r;
        for (unsigned i = 0; i < r; i++) {
          s.start[i] = i ? 0 : dims[0] - 1;
          s.stride[i] = 1;
          s.count[i] = i ? dims[i] : 1;
          s.block[i] = 1;
        }
        size_t n = (size_t)(row * info.type->size);
        uint8_t *zeros = calloc(1, n ? n : 1);
        if (zeros) (void)h5k_write(f, path, &s, NULL, zeros, n);
        free(zeros);
      }
    }
  }
  h5k_dataset_close(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  h5k_open_options oo;
  memset(&oo, 0, sizeof oo);
  oo.struct_size = sizeof oo;
  oo.nthreads = 1;
  oo.flags = H5K_OPEN_RDWR;
  h5k_file *f;
  if (h5k_open_memory(&f, data, size, &oo) != 0) {
    fz_touch_str(h5k_error_last());
    return 0;
  }
  h5k_file_info fi;
  if (h5k_file_get_info(&fi, f) != 0) fz_fail("h5k_file_get_info failed on an open file");
  fm_objs *objs = calloc(1, sizeof *objs);
  h5k_datatype *i32 = NULL;
  if (!objs || h5k_datatype_make(&i32, H5K_CLASS_INTEGER, 4, 1) != 0) goto done;
  (void)h5k_visit(f, fi.root, fm_collect, objs);
  if (getenv("FM_DEBUG")) fprintf(stderr, "fuzz_modify: %d objects\n", objs->n);
  h5k_dataspace sc;
  memset(&sc, 0, sizeof sc);
  sc.kind = H5K_SPACE_SCALAR;
  int v = 12345;
  int root_ok = h5k_attr_write(f, "/", "fuzz_modify", i32, &sc, i32, &v, sizeof v) == 0;
  for (int i = 0; i < objs->n; i++) {
    if (h5k_attr_write(f, objs->paths[i], "fuzz_modify", i32, &sc, i32, &v, sizeof v) == 0 && (i & 1))
      (void)h5k_attr_delete(f, objs->paths[i], "fuzz_modify");
    fm_append(f, objs->paths[i], objs->addrs[i]);
  }
  (void)h5k_group_create(f, "/fuzz_modify_group", 0);
  int frc = h5k_flush(f);
  if (getenv("FM_DEBUG")) fprintf(stderr, "fuzz_modify: flush %d %s\n", frc, frc ? h5k_error_last() : "");
  if (frc == 0) {
    const uint8_t *img;
    size_t len;
    if (h5k_memory_image(&img, &len, f) != 0) fz_fail("no image after a successful commit");
    uint8_t *copy = malloc(len ? len : 1);
    if (copy) {
      memcpy(copy, img, len);
      h5k_file *back;
      h5k_open_options ro;
      memset(&ro, 0, sizeof ro);
      ro.struct_size = sizeof ro;
      ro.nthreads = 1;
      if (h5k_open_memory(&back, copy, len, &ro) != 0) {
        fprintf(stderr, "reopen: %s\n", h5k_error_last());
        fz_fail("a committed image does not open");
      }
      if (root_ok) {
        h5k_file_info bi;
        int found = 0;
        if (h5k_file_get_info(&bi, back) == 0) {
          /* the root attribute written before the commit is there */
          h5k_object_info oi;
          if (h5k_object_get_info(&oi, back, bi.root) == 0 && oi.nattrs > 0) found = 1;
        }
        if (!found) fz_fail("the root attribute written before a successful commit is missing");
      }
      h5k_close(back);
      (void)fuzz_file_walk(copy, len);
      free(copy);
    }
  } else {
    fz_touch_str(h5k_error_last());
  }
done:
  h5k_datatype_free(i32);
  free(objs);
  h5k_close(f);
  return 0;
}
