/* resize.c — a dataset that grows.
 *
 *   resize OUT.h5 [--latest]
 *
 * Creates /table, int32 of shape (10000, 10) that may grow to (100000, 10), and fills it with
 * table[r][c] = 10*r + c. Then grows it to (20000, 10) and fills the new rows with the same
 * formula. Finally it tries to grow it to (100001, 10), past its maximum shape: h5kit refuses
 * with H5K_EINVAL and a message saying which dimension, which this program prints (and exits 0,
 * since that failure is what it demonstrates; exit 1 if the resize were accepted).
 *
 * A dataset with a maximum shape larger than its shape is stored in chunks; h5kit picks the chunk
 * shape the way h5py does unless h5k_dataset_options.chunk_dims says otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h5kit.h"

static void check(int rc, const char *what) {
  if (rc < 0) {
    fprintf(stderr, "resize: %s: %s (%s)\n", what, h5k_error_last(), h5k_strerror(rc));
    exit(1);
  }
}

/* Write rows [first, first+nrows) of the 10-column table with 10*r + c. */
static void write_rows(h5k_file *f, const h5k_datatype *i32, uint64_t first, uint64_t nrows) {
  int32_t *rows = malloc(nrows * 10 * sizeof *rows);
  if (!rows) {
    fprintf(stderr, "resize: out of memory\n");
    exit(1);
  }
  for (uint64_t r = 0; r < nrows; r++)
    for (uint64_t c = 0; c < 10; c++) rows[r * 10 + c] = (int32_t)(10 * (first + r) + c);
  /* The hyperslab [first:first+nrows, 0:10]. */
  h5k_selection sel;
  memset(&sel, 0, sizeof sel);
  sel.rank = 2;
  sel.start[0] = first;
  sel.count[0] = nrows;
  sel.count[1] = 10;
  sel.stride[0] = sel.stride[1] = 1;
  sel.block[0] = sel.block[1] = 1;
  check(h5k_write(f, "/table", &sel, i32, rows, nrows * 10 * sizeof *rows), "write rows");
  free(rows);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: resize OUT.h5 [--latest]\n");
    return 2;
  }
  int latest = argc > 2 && !strcmp(argv[2], "--latest");
  h5k_datatype *i32;
  check(h5k_datatype_make(&i32, H5K_CLASS_INTEGER, 4, 1), "int32 type");

  h5k_create_options co;
  memset(&co, 0, sizeof co);
  co.struct_size = sizeof co;
  co.flags = H5K_CREATE_TRUNC;
  co.profile = latest ? H5K_PROFILE_LATEST : H5K_PROFILE_COMPAT;
  h5k_file *f;
  check(h5k_create(&f, argv[1], &co), "create");

  /* Shape (10000, 10), maximum shape (100000, 10). Use H5K_UNLIMITED for a dimension without
   * bound. */
  h5k_dataspace space;
  memset(&space, 0, sizeof space);
  space.kind = H5K_SPACE_SIMPLE;
  space.rank = 2;
  space.dims[0] = 10000;
  space.dims[1] = 10;
  space.maxdims[0] = 100000;
  space.maxdims[1] = 10;
  space.has_maxdims = 1;
  check(h5k_dataset_create(f, "/table", i32, &space, NULL), "create /table");
  write_rows(f, i32, 0, 10000);

  /* Grow: the new rows read as the fill value (0 here) until written. */
  const uint64_t grown[2] = {20000, 10};
  check(h5k_resize(f, "/table", grown), "resize to 20000 rows");
  write_rows(f, i32, 10000, 10000);
  check(h5k_flush(f), "flush");

  /* Past the maximum shape: an error, and the dataset keeps its shape. */
  const uint64_t too_big[2] = {100001, 10};
  int rc = h5k_resize(f, "/table", too_big);
  if (rc == 0) {
    fprintf(stderr, "resize: growing past the maximum shape was accepted\n");
    return 1;
  }
  printf("resizing to (100001, 10) failed as expected: %s (%s)\n", h5k_error_last(), h5k_strerror(rc));

  check(h5k_flush(f), "final flush");
  h5k_close(f);
  h5k_datatype_free(i32);
  printf("wrote %s\n", argv[1]);
  return 0;
}
