/* Test driver for test_edge_chunks.sh: apply changes to one dataset of an existing file, one
 * commit per step. Steps: "set I J VALUE" (one int element at row I, column J of a 2-D dataset)
 * and "resize D0 D1". Exit 0, or 1 with one line naming the failing step.
 *   edge_driver FILE DATASET STEP [STEP ...]   (each STEP one argument, e.g. "set 9 9 999") */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h5kit.h"

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: edge_driver FILE DATASET STEP...\n");
    return 2;
  }
  h5k_open_options oo;
  memset(&oo, 0, sizeof oo);
  oo.struct_size = sizeof oo;
  oo.flags = H5K_OPEN_RDWR;
  h5k_file *f;
  if (h5k_open(&f, argv[1], &oo) < 0) {
    printf("open read-write: %s\n", h5k_error_last());
    return 1;
  }
  h5k_datatype *i32 = NULL;
  int rc = h5k_datatype_make(&i32, H5K_CLASS_INTEGER, 4, 1);
  for (int k = 3; k < argc && rc >= 0; k++) {
    unsigned long long a, b;
    int v;
    if (sscanf(argv[k], "set %llu %llu %d", &a, &b, &v) == 3) {
      h5k_selection s;
      memset(&s, 0, sizeof s);
      s.rank = 2;
      s.start[0] = a;
      s.start[1] = b;
      for (int i = 0; i < 2; i++) s.count[i] = s.stride[i] = s.block[i] = 1;
      rc = h5k_write(f, argv[2], &s, i32, &v, sizeof v);
    } else if (sscanf(argv[k], "resize %llu %llu", &a, &b) == 2) {
      uint64_t dims[2] = {a, b};
      rc = h5k_resize(f, argv[2], dims);
    } else {
      printf("bad step '%s'\n", argv[k]);
      rc = -1;
      break;
    }
    if (rc >= 0) rc = h5k_flush(f);
    if (rc < 0) printf("%s: %s\n", argv[k], h5k_error_last());
  }
  h5k_close(f);
  h5k_datatype_free(i32);
  return rc < 0;
}
