/* archive.c — pack a directory tree into one HDF5 file.
 *
 *   archive OUT.h5 DIR [--latest]
 *
 * Every directory under DIR becomes a group and every regular file a 1-D uint8 dataset holding
 * its bytes, compressed with deflate level 9 (files are read and written 1 MiB at a time, so
 * large files do not need to fit in memory). Symbolic links and special files are skipped.
 * Afterwards the program lists what the file holds with h5k_visit; `h5ls -r OUT.h5` shows the
 * same tree, and h5py gives a file back as bytes(f["path/to/file"][()]).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "h5kit.h"

#define PIECE (1u << 20)

static void check(int rc, const char *what) {
  if (rc < 0) {
    fprintf(stderr, "archive: %s: %s (%s)\n", what, h5k_error_last(), h5k_strerror(rc));
    exit(1);
  }
}

static char *join(const char *a, const char *b) {
  size_t n = strlen(a) + strlen(b) + 2;
  char *s = malloc(n);
  if (!s) {
    fprintf(stderr, "archive: out of memory\n");
    exit(1);
  }
  snprintf(s, n, "%s/%s", !strcmp(a, "/") ? "" : a, b);
  return s;
}

/* Store the file at `fs_path` (of `size` bytes) as the dataset `h5_path`. */
static void add_file(h5k_file *f, const h5k_datatype *u8, const char *fs_path, const char *h5_path, uint64_t size) {
  h5k_dataspace s;
  memset(&s, 0, sizeof s);
  s.kind = H5K_SPACE_SIMPLE;
  s.rank = 1;
  s.dims[0] = s.maxdims[0] = size;
  const uint32_t level[1] = {9};
  const h5k_filter_desc deflate = {.id = H5K_FILTER_DEFLATE, .ncd = 1, .cd = level};
  h5k_dataset_options o;
  memset(&o, 0, sizeof o);
  o.struct_size = sizeof o;
  if (size > 0) { /* an empty dataset has no chunk to compress: plain contiguous storage */
    o.filters = &deflate;
    o.nfilters = 1;
  }
  check(h5k_dataset_create(f, h5_path, u8, &s, &o), h5_path);

  FILE *in = fopen(fs_path, "rb");
  if (!in) {
    fprintf(stderr, "archive: cannot open %s: %s\n", fs_path, strerror(errno));
    exit(1);
  }
  uint8_t *buf = malloc(PIECE);
  if (!buf) exit(1);
  h5k_selection sel;
  memset(&sel, 0, sizeof sel);
  sel.rank = 1;
  sel.stride[0] = sel.block[0] = 1;
  uint64_t done = 0;
  while (done < size) {
    size_t want = size - done < PIECE ? (size_t)(size - done) : PIECE;
    size_t got = fread(buf, 1, want, in);
    if (got == 0) break; /* the file shrank while we read it: the rest stays zero */
    sel.start[0] = done;
    sel.count[0] = got;
    check(h5k_write(f, h5_path, &sel, u8, buf, got), h5_path);
    done += got;
  }
  free(buf);
  fclose(in);
}

/* Archive the directory fs_dir into the (existing) group h5_dir, recursively. */
static void add_dir(h5k_file *f, const h5k_datatype *u8, const char *fs_dir, const char *h5_dir, unsigned *nfiles,
                    unsigned *ndirs) {
  DIR *d = opendir(fs_dir);
  if (!d) {
    fprintf(stderr, "archive: cannot read %s: %s\n", fs_dir, strerror(errno));
    exit(1);
  }
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    char *fs_path = join(fs_dir, e->d_name);
    char *h5_path = join(h5_dir, e->d_name);
    struct stat st;
    if (lstat(fs_path, &st) == 0) {
      if (S_ISDIR(st.st_mode)) {
        check(h5k_group_create(f, h5_path, 0), h5_path);
        (*ndirs)++;
        add_dir(f, u8, fs_path, h5_path, nfiles, ndirs);
      } else if (S_ISREG(st.st_mode)) {
        add_file(f, u8, fs_path, h5_path, (uint64_t)st.st_size);
        (*nfiles)++;
      }
    }
    free(fs_path);
    free(h5_path);
  }
  closedir(d);
}

static int print_entry(void *ud, const char *path, const h5k_link *link) {
  (void)ud;
  printf("  /%s%s\n", path, link->type == H5K_LINK_HARD ? "" : " (link)");
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: archive OUT.h5 DIR [--latest]\n");
    return 2;
  }
  int latest = argc > 3 && !strcmp(argv[3], "--latest");
  h5k_datatype *u8;
  check(h5k_datatype_make(&u8, H5K_CLASS_INTEGER, 1, 0), "uint8 type");
  h5k_create_options co;
  memset(&co, 0, sizeof co);
  co.struct_size = sizeof co;
  co.flags = H5K_CREATE_TRUNC;
  co.profile = latest ? H5K_PROFILE_LATEST : H5K_PROFILE_COMPAT;
  h5k_file *f;
  check(h5k_create(&f, argv[1], &co), "create");
  unsigned nfiles = 0, ndirs = 0;
  add_dir(f, u8, argv[2], "/", &nfiles, &ndirs);
  check(h5k_flush(f), "flush");
  h5k_close(f);
  h5k_datatype_free(u8);

  /* Read the archive back: list every object. */
  h5k_file *r;
  check(h5k_open(&r, argv[1], NULL), "reopen");
  h5k_addr root;
  check(h5k_resolve(&root, r, "/"), "root");
  printf("%s: %u files in %u directories\n", argv[1], nfiles, ndirs);
  check(h5k_visit(r, root, print_entry, NULL), "list");
  h5k_close(r);
  return 0;
}
