/* nexus_links.c — hard, soft and external links, the NeXus way.
 *
 *   nexus_links OUT.h5 [--latest]
 *
 * Writes two files:
 *   OUT.h5.raw.h5 (the "detector" file)   /raw/frames   int32 (3, 4), values 100 + i
 *   OUT.h5                                 /data         float64 (4, 3), values i / 2
 *     /entry                     group, NX_class = "NXentry"
 *     /entry/data                group, NX_class = "NXdata", signal = "data"
 *     /entry/data/data           hard link to /data (the same object: 2 links)
 *     /entry/instrument/detector/data     soft link to "/data"
 *     /entry/instrument/detector/frames   external link to /raw/frames in the detector file
 * The external link stores the detector file's name without its directory, so the pair can be
 * moved together: HDF5 readers look for it next to OUT.h5.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h5kit.h"

static void check(int rc, const char *what) {
  if (rc < 0) {
    fprintf(stderr, "nexus_links: %s: %s (%s)\n", what, h5k_error_last(), h5k_strerror(rc));
    exit(1);
  }
}

static h5k_file *create(const char *path, int latest) {
  h5k_create_options co;
  memset(&co, 0, sizeof co);
  co.struct_size = sizeof co;
  co.flags = H5K_CREATE_TRUNC;
  co.profile = latest ? H5K_PROFILE_LATEST : H5K_PROFILE_COMPAT;
  h5k_file *f;
  check(h5k_create(&f, path, &co), path);
  return f;
}

static h5k_dataspace space2(uint64_t a, uint64_t b) {
  h5k_dataspace s;
  memset(&s, 0, sizeof s);
  s.kind = H5K_SPACE_SIMPLE;
  s.rank = 2;
  s.dims[0] = s.maxdims[0] = a;
  s.dims[1] = s.maxdims[1] = b;
  return s;
}

/* A scalar variable-length UTF-8 string attribute, as h5py writes Python str attributes. */
static void string_attr(h5k_file *f, const char *obj, const char *name, const char *value) {
  h5k_datatype chr, vstr;
  memset(&chr, 0, sizeof chr);
  chr.cls = H5K_CLASS_INTEGER;
  chr.size = 1;
  chr.precision = 8;
  memset(&vstr, 0, sizeof vstr);
  vstr.cls = H5K_CLASS_VLEN;
  vstr.vlen_type = H5K_VLEN_STRING;
  vstr.charset = H5K_CSET_UTF8;
  vstr.size = 16; /* 4-byte length + 8-byte heap collection address + 4-byte index */
  vstr.base = &chr;
  h5k_dataspace scalar;
  memset(&scalar, 0, sizeof scalar);
  scalar.kind = H5K_SPACE_SCALAR;
  check(h5k_attr_write(f, obj, name, &vstr, &scalar, NULL, &value, sizeof value), name);
}

/* The final path component: external links store the file name relative to OUT.h5's folder. */
static const char *base_name(const char *path) {
  const char *s = strrchr(path, '/');
  return s ? s + 1 : path;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: nexus_links OUT.h5 [--latest]\n");
    return 2;
  }
  const char *path = argv[1];
  int latest = argc > 2 && !strcmp(argv[2], "--latest");
  size_t n = strlen(path) + sizeof ".raw.h5";
  char *raw_path = malloc(n);
  if (!raw_path) return 1;
  snprintf(raw_path, n, "%s.raw.h5", path);

  h5k_datatype *i32, *f64;
  check(h5k_datatype_make(&i32, H5K_CLASS_INTEGER, 4, 1), "int32 type");
  check(h5k_datatype_make(&f64, H5K_CLASS_FLOAT, 8, 1), "float64 type");

  /* The detector file. */
  h5k_file *raw = create(raw_path, latest);
  h5k_dataset_options o;
  memset(&o, 0, sizeof o);
  o.struct_size = sizeof o;
  o.flags = H5K_MKDIRS;
  h5k_dataspace s34 = space2(3, 4);
  check(h5k_dataset_create(raw, "/raw/frames", i32, &s34, &o), "create /raw/frames");
  int32_t frames[12];
  for (int i = 0; i < 12; i++) frames[i] = 100 + i;
  check(h5k_write(raw, "/raw/frames", NULL, i32, frames, sizeof frames), "write /raw/frames");
  check(h5k_flush(raw), "flush the detector file");
  h5k_close(raw);

  /* The master file. */
  h5k_file *f = create(path, latest);
  h5k_dataspace s43 = space2(4, 3);
  check(h5k_dataset_create(f, "/data", f64, &s43, NULL), "create /data");
  double data[12];
  for (int i = 0; i < 12; i++) data[i] = i / 2.0;
  check(h5k_write(f, "/data", NULL, f64, data, sizeof data), "write /data");

  check(h5k_group_create(f, "/entry/data", H5K_MKDIRS), "create /entry/data");
  string_attr(f, "/entry", "NX_class", "NXentry");
  string_attr(f, "/entry/data", "NX_class", "NXdata");
  string_attr(f, "/entry/data", "signal", "data");

  /* A hard link is a second name for the same object; h5py sees f["/data"] == f["/entry/data/data"]. */
  check(h5k_link_hard(f, "/data", "/entry/data/data", 0), "hard link");
  /* A soft link stores a path, resolved when followed (it may dangle). */
  check(h5k_link_soft(f, "/data", "/entry/instrument/detector/data", H5K_MKDIRS), "soft link");
  /* An external link names a file and an object path in it. */
  check(h5k_link_external(f, base_name(raw_path), "/raw/frames", "/entry/instrument/detector/frames", 0),
        "external link");

  check(h5k_flush(f), "flush");
  h5k_close(f);
  h5k_datatype_free(i32);
  h5k_datatype_free(f64);
  printf("wrote %s and %s\n", path, raw_path);
  free(raw_path);
  return 0;
}
