/* delete_repack.c — removing objects.
 *
 *   delete_repack OUT.h5 [--latest]
 *
 * Writes /keep (float64, 1000 values), /drop (int32, 100000 values), and a group /old with two
 * datasets and a subgroup, then deletes /drop and the whole group /old with h5k_unlink: an object
 * whose last link goes is deleted with its storage, a group together with everything reachable
 * only through it. Prints the file size after each step.
 *
 * Space freed by a deletion is reused by later writes to the same file but the file does not
 * shrink by itself; rewriting it compactly is what a "repack" does (see the TODO below).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "h5kit.h"

static void check(int rc, const char *what) {
  if (rc < 0) {
    fprintf(stderr, "delete_repack: %s: %s (%s)\n", what, h5k_error_last(), h5k_strerror(rc));
    exit(1);
  }
}

static long long file_size(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* Create a 1-D dataset of n elements of `type` with values i (converted from double). */
static void make_dataset(h5k_file *f, const char *path, const h5k_datatype *type, uint64_t n) {
  h5k_dataspace s;
  memset(&s, 0, sizeof s);
  s.kind = H5K_SPACE_SIMPLE;
  s.rank = 1;
  s.dims[0] = s.maxdims[0] = n;
  h5k_dataset_options o;
  memset(&o, 0, sizeof o);
  o.struct_size = sizeof o;
  o.flags = H5K_MKDIRS;
  check(h5k_dataset_create(f, path, type, &s, &o), path);
  double *v = malloc(n * sizeof *v);
  h5k_datatype *f64;
  if (!v) exit(1);
  for (uint64_t i = 0; i < n; i++) v[i] = (double)i;
  check(h5k_datatype_make(&f64, H5K_CLASS_FLOAT, 8, 1), "float64 type");
  check(h5k_write(f, path, NULL, f64, v, n * sizeof *v), path);
  h5k_datatype_free(f64);
  free(v);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: delete_repack OUT.h5 [--latest]\n");
    return 2;
  }
  const char *path = argv[1];
  int latest = argc > 2 && !strcmp(argv[2], "--latest");
  h5k_datatype *i32, *f64;
  check(h5k_datatype_make(&i32, H5K_CLASS_INTEGER, 4, 1), "int32 type");
  check(h5k_datatype_make(&f64, H5K_CLASS_FLOAT, 8, 1), "float64 type");

  h5k_create_options co;
  memset(&co, 0, sizeof co);
  co.struct_size = sizeof co;
  co.flags = H5K_CREATE_TRUNC;
  co.profile = latest ? H5K_PROFILE_LATEST : H5K_PROFILE_COMPAT;
  h5k_file *f;
  check(h5k_create(&f, path, &co), "create");
  make_dataset(f, "/keep", f64, 1000);
  make_dataset(f, "/drop", i32, 100000);
  make_dataset(f, "/old/a", i32, 5000);
  make_dataset(f, "/old/b", f64, 5000);
  check(h5k_group_create(f, "/old/sub/deeper", H5K_MKDIRS), "create /old/sub/deeper");
  check(h5k_flush(f), "flush");
  printf("after writing:  %lld bytes\n", file_size(path));

  /* Delete one dataset and one whole group. */
  check(h5k_unlink(f, "/drop"), "unlink /drop");
  check(h5k_unlink(f, "/old"), "unlink /old");
  check(h5k_flush(f), "flush after deleting");
  printf("after deleting: %lld bytes (freed space is reused by later writes)\n", file_size(path));

  /* TODO(repack): rewrite the file without the freed space, e.g. with `h5kit repack IN OUT` or the
   * library call that implements it, and print the size of the compacted file. */

  h5k_close(f);
  h5k_datatype_free(i32);
  h5k_datatype_free(f64);
  return 0;
}
