/* Shared helpers for the unit tests.
 *
 * Harness: CHECK records a failure and continues; main returns test_finish(), which prints
 * "name: N checks, M failed" and gives the exit status.
 * Helpers: little-endian byte packing, in-memory file contexts, files and temporary
 * directories, and running generator scripts with the reference library's h5py. Every helper
 * reports failure by its return value; none of them counts a check. */
#ifndef H5K_TESTUTIL_H
#define H5K_TESTUTIL_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "format/fctx.h"

extern int test_failures;
extern int test_checks;

#define CHECK(cond)                                                         \
  do {                                                                      \
    test_checks++;                                                          \
    if (!(cond)) {                                                          \
      test_failures++;                                                      \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                       \
  } while (0)

#define CHECK_EQ_U(a, b)                                                    \
  do {                                                                      \
    unsigned long long check_a_ = (unsigned long long)(a), check_b_ = (unsigned long long)(b); \
    test_checks++;                                                          \
    if (check_a_ != check_b_) {                                             \
      test_failures++;                                                      \
      fprintf(stderr, "%s:%d: %s == %s failed: %llu != %llu\n", __FILE__, __LINE__, #a, #b, \
              check_a_, check_b_);                                          \
    }                                                                       \
  } while (0)

/* The Python that has h5py (the reference library), used by every generator script. */
#define PY "/usr/bin/python3"

/* Print "name: N checks, M failed"; returns the exit status (1 if any check failed). */
int test_finish(const char *name);

/* ---- bytes ---- */

/* Store the low n bytes of v at p, little-endian. */
void put_le(uint8_t *p, uint64_t v, size_t n);
/* Load n bytes at p as a little-endian number. */
uint64_t get_le(const uint8_t *p, size_t n);
/* Store the lookup3 checksum of p[0..len-4) little-endian at p[len-4]. */
void fix_sum(uint8_t *p, size_t len);
/* qsort comparator for an array of char * (strcmp order). */
int cmp_str(const void *a, const void *b);

/* ---- file contexts ---- */

/* Context over io (borrowed): so = sl = 8, eof = limit = len, optional addresses UNDEF, rest 0. */
void fctx_over(h5k_fctx *f, h5k_io *io, uint64_t len);
/* fctx_over a new in-memory I/O over buf[0..len) (borrowed); caller closes f->io. */
void fctx_mem(h5k_fctx *f, const uint8_t *buf, size_t len);
/* A context without I/O for decoders of message bytes: all zero but so, sl and eof = limit. */
h5k_fctx fctx_sizes(unsigned so, unsigned sl, uint64_t eof);

/* ---- files ---- */

/* Whole file as a malloc'd buffer (never 0 bytes), size in *len; NULL and *len = 0 if unreadable. */
uint8_t *slurp(const char *path, size_t *len);
/* Lines (< 256 bytes, newline cut) as malloc'd strings in a malloc'd array, count in *n; NULL if no file. */
char **read_lines(const char *path, size_t *n);
/* Free what read_lines returned. */
void free_lines(char **lines, size_t n);
/* Path of tests/data/<file> in the source tree (malloc'd), or NULL. */
char *data_path(const char *file);

/* ---- h5py and temporary directories ---- */

/* 1 if PY exists and can import h5py, else 0 (tests then skip their real-file parts). */
int have_h5py(void);
/* Run `PY 'script_path' 'arg'`; 0 if it exited with status 0, else -1. */
int run_python(const char *script_path, const char *arg);
/* Write script to dir/gen.py, run `cd dir && PY dir/gen.py 'arg'`; 0 if it exited 0, else -1. */
int run_gen_script(const char *dir, const char *script, const char *arg);
/* rm -rf dir (a message on stderr if that fails); nothing if dir is "". */
void remove_dir(const char *dir);

/* ---- generated files with dense storage (test_btree2, test_fractal_heap) ---- */

enum { DENSE_MAX = 4 };

/* What a generator script writes into its directory: an HDF5 file, and manifest.txt with one line
 * per object, "name heap name-index corder-index" (addresses of its fractal heap and v2 B-trees;
 * all ones for no creation-order index), its member names as h5py lists them in <name>.names. */
typedef struct dense_fixture {
  char dir[64];
  uint8_t *file; /* the whole HDF5 file */
  size_t file_len;
  uint64_t heap[DENSE_MAX], name_bt[DENSE_MAX], corder_bt[DENSE_MAX]; /* corder_bt: UNDEF if none */
  char **names[DENSE_MAX];
  size_t nnames[DENSE_MAX];
} dense_fixture;

/* mkdtemp(tmpl), run script there, load n manifest lines and h5name: 1 ok, 0 no h5py, -1 failed. */
int dense_fixture_make(dense_fixture *fx, const char *tmpl, const char *script, unsigned n, const char *h5name);
/* Free what dense_fixture_make loaded (whatever it returned) and remove its directory. */
void dense_fixture_free(dense_fixture *fx);

#endif
