/* tutorial.c — the first steps of writing HDF5 with h5kit.
 *
 *   tutorial OUT.h5 [--latest]
 *
 * 1. Create OUT.h5 (replacing it) and write
 *      /deeply/nested/group/my_data   int32 (10,10,10,10), values 0..9999 in C order
 *      /deeply/path/elsewhere/other   float64 (5,5), values i*0.25 (i = 0..24)
 *    with three attributes on my_data: "count" (int32 42), "scale" (float64 0.5) and
 *    "units" (a variable-length UTF-8 string "counts per second").
 * 2. Close the file, open it again read-write and
 *      - overwrite the block my_data[5:6, 3:4, 2:4, 8:] (numpy notation: 1x1x2x2 elements)
 *        with -1, -2, -3, -4,
 *      - change the attribute "scale" to 2.5,
 *      - add a boolean attribute "valid" = TRUE, stored the way h5py stores numpy bools:
 *        an enumeration over int8 with members FALSE = 0 and TRUE = 1.
 *
 * --latest writes the newest file structures (libhdf5 1.10 "latest"); the default is what h5py
 * writes by default, readable by every HDF5 1.8 tool.
 *
 * Every h5kit function returns 0 or a negative H5K_E* code; h5k_error_last() says what went wrong.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h5kit.h"

/* Print the library's last error and exit: the pattern every example uses. */
static void check(int rc, const char *what) {
  if (rc < 0) {
    fprintf(stderr, "tutorial: %s: %s (%s)\n", what, h5k_error_last(), h5k_strerror(rc));
    exit(1);
  }
}

/* A simple dataspace of the given rank and dims (no maximum dims: fixed size). */
static h5k_dataspace simple_space(unsigned rank, const uint64_t *dims) {
  h5k_dataspace s;
  memset(&s, 0, sizeof s);
  s.kind = H5K_SPACE_SIMPLE;
  s.rank = rank;
  for (unsigned i = 0; i < rank; i++) s.dims[i] = s.maxdims[i] = dims[i];
  return s;
}

static h5k_dataspace scalar_space(void) {
  h5k_dataspace s;
  memset(&s, 0, sizeof s);
  s.kind = H5K_SPACE_SCALAR;
  return s;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: tutorial OUT.h5 [--latest]\n");
    return 2;
  }
  const char *path = argv[1];
  int latest = argc > 2 && !strcmp(argv[2], "--latest");

  /* Memory types: native int32, float64 and int8. The same descriptions serve as file types. */
  h5k_datatype *i32, *f64, *i8;
  check(h5k_datatype_make(&i32, H5K_CLASS_INTEGER, 4, 1), "int32 type");
  check(h5k_datatype_make(&f64, H5K_CLASS_FLOAT, 8, 1), "float64 type");
  check(h5k_datatype_make(&i8, H5K_CLASS_INTEGER, 1, 1), "int8 type");

  /* ---- 1. create ---------------------------------------------------------------------------- */
  h5k_create_options co;
  memset(&co, 0, sizeof co);
  co.struct_size = sizeof co;
  co.flags = H5K_CREATE_TRUNC;
  co.profile = latest ? H5K_PROFILE_LATEST : H5K_PROFILE_COMPAT;
  h5k_file *f;
  check(h5k_create(&f, path, &co), "create");

  /* H5K_MKDIRS creates the missing groups /deeply, /deeply/nested, ... on the way. */
  h5k_dataset_options dopt;
  memset(&dopt, 0, sizeof dopt);
  dopt.struct_size = sizeof dopt;
  dopt.flags = H5K_MKDIRS;

  const uint64_t dims4[4] = {10, 10, 10, 10};
  h5k_dataspace s4 = simple_space(4, dims4);
  check(h5k_dataset_create(f, "/deeply/nested/group/my_data", i32, &s4, &dopt), "create my_data");
  int32_t *values = malloc(10000 * sizeof *values);
  if (!values) return 1;
  for (int i = 0; i < 10000; i++) values[i] = i;
  /* NULL selection: the whole dataset; the buffer is in C order in the memory type i32. */
  check(h5k_write(f, "/deeply/nested/group/my_data", NULL, i32, values, 10000 * sizeof *values), "write my_data");
  free(values);

  const uint64_t dims2[2] = {5, 5};
  h5k_dataspace s2 = simple_space(2, dims2);
  check(h5k_dataset_create(f, "/deeply/path/elsewhere/other", f64, &s2, &dopt), "create other");
  double grid[25];
  for (int i = 0; i < 25; i++) grid[i] = i * 0.25;
  check(h5k_write(f, "/deeply/path/elsewhere/other", NULL, f64, grid, sizeof grid), "write other");

  /* Attributes: a scalar int, a scalar float and a variable-length UTF-8 string. */
  h5k_dataspace scalar = scalar_space();
  int32_t count = 42;
  double scale = 0.5;
  check(h5k_attr_write(f, "/deeply/nested/group/my_data", "count", i32, &scalar, i32, &count, sizeof count),
        "attribute count");
  check(h5k_attr_write(f, "/deeply/nested/group/my_data", "scale", f64, &scalar, f64, &scale, sizeof scale),
        "attribute scale");
  /* A variable-length string type: class VLEN of kind STRING over 1-byte characters. In memory
   * each element is a char* (NUL-terminated). */
  h5k_datatype chr, vstr;
  memset(&chr, 0, sizeof chr);
  chr.cls = H5K_CLASS_INTEGER;
  chr.size = 1;
  chr.precision = 8;
  memset(&vstr, 0, sizeof vstr);
  vstr.cls = H5K_CLASS_VLEN;
  vstr.vlen_type = H5K_VLEN_STRING;
  vstr.charset = H5K_CSET_UTF8;
  vstr.str_pad = H5K_STR_NULLTERM;
  vstr.size = 16; /* file representation: 4-byte length + global heap id (8-byte address + 4-byte index) */
  vstr.base = &chr;
  const char *units = "counts per second";
  check(h5k_attr_write(f, "/deeply/nested/group/my_data", "units", &vstr, &scalar, NULL, &units, sizeof units),
        "attribute units");

  /* h5k_flush commits; h5k_close would too but cannot report a failure. */
  check(h5k_flush(f), "flush");
  h5k_close(f);

  /* ---- 2. reopen read-write and modify -------------------------------------------------------- */
  h5k_open_options oo;
  memset(&oo, 0, sizeof oo);
  oo.struct_size = sizeof oo;
  oo.flags = H5K_OPEN_RDWR;
  check(h5k_open(&f, path, &oo), "reopen");

  /* my_data[5:6, 3:4, 2:4, 8:]: start (5,3,2,8), count (1,1,2,2), stride and block 1. */
  h5k_selection sel;
  memset(&sel, 0, sizeof sel);
  sel.rank = 4;
  const uint64_t start[4] = {5, 3, 2, 8}, cnt[4] = {1, 1, 2, 2};
  for (int i = 0; i < 4; i++) {
    sel.start[i] = start[i];
    sel.count[i] = cnt[i];
    sel.stride[i] = 1;
    sel.block[i] = 1;
  }
  const int32_t block[4] = {-1, -2, -3, -4};
  check(h5k_write(f, "/deeply/nested/group/my_data", &sel, i32, block, sizeof block), "overwrite block");

  /* Writing an existing attribute replaces it. */
  scale = 2.5;
  check(h5k_attr_write(f, "/deeply/nested/group/my_data", "scale", f64, &scalar, f64, &scale, sizeof scale),
        "change attribute scale");

  /* A boolean as h5py stores it: enum over int8, FALSE = 0, TRUE = 1. */
  h5k_type_member names[2];
  memset(names, 0, sizeof names);
  names[0].name = "FALSE";
  names[1].name = "TRUE";
  uint8_t enum_values[2] = {0, 1};
  h5k_datatype boolean;
  memset(&boolean, 0, sizeof boolean);
  boolean.cls = H5K_CLASS_ENUM;
  boolean.size = 1;
  boolean.base = i8;
  boolean.nmembers = 2;
  boolean.members = names;
  boolean.enum_values = enum_values;
  uint8_t valid = 1;
  /* mem_type NULL: the buffer already holds the file representation (one byte). */
  check(h5k_attr_write(f, "/deeply/nested/group/my_data", "valid", &boolean, &scalar, NULL, &valid, sizeof valid),
        "attribute valid");

  check(h5k_flush(f), "flush after changes");
  h5k_close(f);
  h5k_datatype_free(i32);
  h5k_datatype_free(f64);
  h5k_datatype_free(i8);
  printf("wrote %s\n", path);
  return 0;
}
