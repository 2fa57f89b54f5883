/* Test driver for test_modify.sh: open FILE read-write with h5kit, add an int attribute
 * "h5kit_added" = 12345 to the root and to every object reachable by a hard link, create the group
 * /h5kit_new_group, commit. Exit 0, or 1 with one line on stdout naming the failing call. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h5kit.h"

#define MAX_OBJS 4096

static char paths[MAX_OBJS][512];
static int nobj;

static int collect(void *ud, const char *path, const h5k_link *l) {
  (void)ud;
  if (l->type != H5K_LINK_HARD || nobj >= MAX_OBJS) return 0;
  snprintf(paths[nobj++], sizeof paths[0], "/%s", path);
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: modify_driver FILE\n");
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
  h5k_datatype *i32;
  h5k_datatype_make(&i32, H5K_CLASS_INTEGER, 4, 1);
  h5k_file_info fi;
  h5k_file_get_info(&fi, f);
  int rc = h5k_visit(f, fi.root, collect, NULL);
  h5k_dataspace sc;
  memset(&sc, 0, sizeof sc);
  sc.kind = H5K_SPACE_SCALAR;
  int v = 12345;
  for (int i = 0; i < nobj && rc >= 0; i++) {
    rc = h5k_attr_write(f, paths[i], "h5kit_added", i32, &sc, i32, &v, sizeof v);
    if (rc < 0) printf("attribute on %s: %s\n", paths[i], h5k_error_last());
  }
  if (rc >= 0 && (rc = h5k_attr_write(f, "/", "h5kit_added", i32, &sc, i32, &v, sizeof v)) < 0)
    printf("attribute on /: %s\n", h5k_error_last());
  if (rc >= 0 && (rc = h5k_group_create(f, "/h5kit_new_group", 0)) < 0) printf("group: %s\n", h5k_error_last());
  if (rc >= 0 && (rc = h5k_flush(f)) < 0) printf("flush: %s\n", h5k_error_last());
  h5k_close(f);
  h5k_datatype_free(i32);
  return rc < 0;
}
