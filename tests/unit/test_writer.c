/* The writer's core on memory images: the space allocator, reuse of space across commits, reading
 * back what was committed through h5kit's own reader, that uncommitted changes are invisible, and
 * that a chunk rewritten many times in one commit keeps its last value (the workers' sequence
 * numbers). Interop with libhdf5 is tested by tests/interop/test_write_api.sh and the examples. */
#include <stdlib.h>
#include <string.h>

#include "h5kit.h"
#include "object/writer.h"
#include "testutil.h"

static void test_space(void) {
  h5k_space s;
  uint64_t a, b, c;
  h5k_space_init(&s, 100);
  CHECK(h5k_space_alloc(&s, 10, &a) == 0 && a == 100);
  CHECK(h5k_space_alloc(&s, 20, &b) == 0 && b == 110);
  CHECK(h5k_space_alloc(&s, 5, &c) == 0 && c == 130);
  CHECK(h5k_space_alloc(&s, 0, &c) == H5K_EINVAL);
  /* freed now: reused at once (first fit); the tail goes back to the end */
  CHECK(h5k_space_free_now(&s, a, 10) == 0);
  CHECK(h5k_space_alloc(&s, 4, &c) == 0 && c == 100);
  CHECK(h5k_space_free_now(&s, 130, 5) == 0);
  CHECK_EQ_U(s.eoa, 130);
  /* freed later: not reusable before the commit releases it */
  CHECK(h5k_space_free_later(&s, b, 20) == 0);
  CHECK(h5k_space_alloc(&s, 20, &c) == 0 && c == 130);
  CHECK(h5k_space_release_pending(&s) == 0);
  /* [104, 110) was free already and merges with the released [110, 130) */
  CHECK(h5k_space_alloc(&s, 20, &c) == 0 && c == 104);
  /* double free is refused, not merged */
  CHECK(h5k_space_free_now(&s, 104, 20) == 0);
  CHECK(h5k_space_free_now(&s, 115, 2) == H5K_EINVAL);
  h5k_space_clear(&s);
}

static h5k_file *new_mem(h5k_profile p, unsigned threads) {
  h5k_create_options co;
  memset(&co, 0, sizeof co);
  co.struct_size = sizeof co;
  co.profile = p;
  co.nthreads = threads;
  h5k_file *f = NULL;
  CHECK(h5k_create_memory(&f, &co) == 0);
  return f;
}

/* Read /d of the committed image with a fresh read-only handle; returns the element at i. */
static int read_back(const h5k_file *wf, int32_t *out, size_t n, const char *path) {
  const uint8_t *img;
  size_t len;
  if (h5k_memory_image(&img, &len, (h5k_file *)wf) < 0) return -1;
  uint8_t *copy = malloc(len);
  memcpy(copy, img, len);
  h5k_file *rf;
  h5k_addr a;
  h5k_dataset *d;
  int rc = h5k_open_memory(&rf, copy, len, NULL);
  if (rc == 0) {
    rc = h5k_resolve(&a, rf, path);
    if (rc == 0) rc = h5k_dataset_open(&d, rf, a);
    if (rc == 0) {
      h5k_datatype *t;
      h5k_datatype_make(&t, H5K_CLASS_INTEGER, 4, 1);
      rc = h5k_dataset_read(d, NULL, t, out, n * 4);
      h5k_datatype_free(t);
      h5k_dataset_close(d);
    }
    h5k_close(rf);
  }
  free(copy);
  return rc;
}

static void test_reuse(h5k_profile p) {
  h5k_file *f = new_mem(p, 2);
  if (!f) return;
  h5k_datatype *i32;
  h5k_datatype_make(&i32, H5K_CLASS_INTEGER, 4, 1);
  h5k_dataspace s = {H5K_SPACE_SIMPLE, 2, {100, 100}, {H5K_UNLIMITED, 100}, 1};
  h5k_dataset_options o;
  memset(&o, 0, sizeof o);
  o.struct_size = sizeof o;
  o.chunk_rank = 2;
  o.chunk_dims[0] = 10;
  o.chunk_dims[1] = 100;
  CHECK(h5k_dataset_create(f, "/d", i32, &s, &o) == 0);
  int32_t *v = calloc(10000, 4), *r = calloc(10000, 4);
  uint64_t eof20 = 0, eof;
  for (int k = 0; k < 60; k++) {
    for (int i = 0; i < 10000; i++) v[i] = i * 3 + k;
    CHECK(h5k_write(f, "/d", NULL, i32, v, 40000) == 0);
    CHECK(h5k_flush(f) == 0);
    const uint8_t *img;
    size_t len;
    CHECK(h5k_memory_image(&img, &len, f) == 0);
    eof = len;
    if (k == 20) eof20 = eof;
  }
  /* the space each commit frees is reused: the file stops growing */
  CHECK(eof20 > 40000 && eof == eof20);
  CHECK(read_back(f, r, 10000, "/d") == 0);
  CHECK(r[0] == 59 && r[9999] == 9999 * 3 + 59);
  /* an uncommitted change is not in the image */
  v[0] = -7;
  CHECK(h5k_write(f, "/d", NULL, i32, v, 40000) == 0);
  CHECK(read_back(f, r, 10000, "/d") == 0 && r[0] == 59);
  CHECK(h5k_flush(f) == 0);
  CHECK(read_back(f, r, 10000, "/d") == 0 && r[0] == -7);
  /* one chunk rewritten many times in one commit, with workers: the last write wins */
  for (int k = 0; k < 200; k++) {
    h5k_selection sel = {2, {0, 0}, {1, 1}, {10, 100}, {1, 1}};
    for (int i = 0; i < 1000; i++) v[i] = k;
    CHECK(h5k_write(f, "/d", &sel, i32, v, 4000) == 0);
  }
  CHECK(h5k_flush(f) == 0);
  CHECK(read_back(f, r, 10000, "/d") == 0 && r[0] == 199 && r[999] == 199 && r[1000] == 1000 * 3 + 59);
  free(v);
  free(r);
  h5k_datatype_free(i32);
  h5k_close(f);
}

static void test_errors_leave_model(void) {
  h5k_file *f = new_mem(H5K_PROFILE_COMPAT, 1);
  if (!f) return;
  h5k_datatype *i32;
  h5k_datatype_make(&i32, H5K_CLASS_INTEGER, 4, 1);
  h5k_dataspace s = {H5K_SPACE_SIMPLE, 1, {4}, {4}, 0};
  CHECK(h5k_group_create(f, "/g", 0) == 0);
  CHECK(h5k_group_create(f, "/g", 0) == H5K_EINVAL);       /* exists */
  CHECK(h5k_group_create(f, "/x/y", 0) == H5K_ENOTFOUND);  /* no parent, no MKDIRS */
  CHECK(h5k_group_create(f, "/g/", 0) == H5K_EINVAL);      /* no name */
  CHECK(h5k_dataset_create(f, "/g/d", i32, &s, NULL) == 0);
  int32_t v[4] = {1, 2, 3, 4};
  h5k_selection bad = {1, {2}, {1}, {3}, {1}};
  CHECK(h5k_write(f, "/g/d", &bad, i32, v, sizeof v) == H5K_EINVAL); /* past the extent */
  h5k_selection huge = {1, {0}, {UINT64_C(1) << 63}, {3}, {1}};
  CHECK(h5k_write(f, "/g/d", &huge, i32, v, sizeof v) == H5K_EINVAL); /* overflowing stride */
  CHECK(h5k_write(f, "/g/d", NULL, i32, v, 8) == H5K_EINVAL);        /* buffer too small */
  uint64_t dims[1] = {8};
  CHECK(h5k_resize(f, "/g/d", dims) == H5K_EINVAL);                  /* contiguous, fixed */
  CHECK(h5k_write(f, "/g/d", NULL, i32, v, sizeof v) == 0);
  CHECK(h5k_flush(f) == 0);
  int32_t r[4] = {0};
  CHECK(read_back(f, r, 4, "/g/d") == 0 && r[3] == 4);
  h5k_datatype_free(i32);
  h5k_close(f);
}

/* Rows appended one at a time (resize + write of one row) into compressed chunks of 100 rows: the
 * chunk cache merges them; the values read back are the rows written. */
static void test_row_appends(h5k_profile p) {
  h5k_file *f = new_mem(p, 2);
  if (!f) return;
  h5k_datatype *i32;
  h5k_datatype_make(&i32, H5K_CLASS_INTEGER, 4, 1);
  h5k_dataspace s = {H5K_SPACE_SIMPLE, 2, {0, 8}, {H5K_UNLIMITED, 8}, 1};
  h5k_dataset_options o;
  memset(&o, 0, sizeof o);
  o.struct_size = sizeof o;
  o.chunk_rank = 2;
  o.chunk_dims[0] = 100;
  o.chunk_dims[1] = 8;
  uint32_t level = 4;
  h5k_filter_desc deflate = {H5K_FILTER_DEFLATE, 0, NULL, 1, &level};
  o.nfilters = 1;
  o.filters = &deflate;
  CHECK(h5k_dataset_create(f, "/rows", i32, &s, &o) == 0);
  int32_t row[8];
  for (uint64_t r = 0; r < 1050; r++) {
    uint64_t dims[2] = {r + 1, 8};
    CHECK(h5k_resize(f, "/rows", dims) == 0);
    for (int k = 0; k < 8; k++) row[k] = (int32_t)(r * 8 + k);
    h5k_selection sel = {2, {r, 0}, {1, 1}, {1, 8}, {1, 1}};
    CHECK(h5k_write(f, "/rows", &sel, i32, row, sizeof row) == 0);
    if (r == 500) CHECK(h5k_flush(f) == 0); /* a commit in the middle of a chunk */
  }
  CHECK(h5k_flush(f) == 0);
  int32_t *back = calloc(1050 * 8, 4);
  CHECK(read_back(f, back, 1050 * 8, "/rows") == 0);
  int bad = 0;
  for (int i = 0; i < 1050 * 8; i++)
    if (back[i] != i) bad++;
  CHECK_EQ_U(bad, 0);
  free(back);
  h5k_datatype_free(i32);
  h5k_close(f);
}

int main(void) {
  test_space();
  test_reuse(H5K_PROFILE_COMPAT);
  test_reuse(H5K_PROFILE_LATEST);
  test_errors_leave_model();
  test_row_appends(H5K_PROFILE_COMPAT);
  test_row_appends(H5K_PROFILE_LATEST);
  return test_finish("test_writer");
}
