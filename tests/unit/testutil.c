/* Shared helpers for the unit tests; see testutil.h for what each one does. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/lookup3.h"

int test_failures = 0;
int test_checks = 0;

int test_finish(const char *name) {
  printf("%s: %d checks, %d failed\n", name, test_checks, test_failures);
  return test_failures ? 1 : 0;
}

/* ---- bytes ---- */

void put_le(uint8_t *p, uint64_t v, size_t n) {
  for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}

uint64_t get_le(const uint8_t *p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
  return v;
}

void fix_sum(uint8_t *p, size_t len) { put_le(p + len - 4, h5k_lookup3(p, len - 4, 0), 4); }

int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* ---- file contexts ---- */

void fctx_over(h5k_fctx *f, h5k_io *io, uint64_t len) {
  memset(f, 0, sizeof *f);
  f->io = io;
  f->so = f->sl = 8;
  f->eof = f->limit = len;
  f->root = f->ext = f->driver = f->root_btree = f->root_heap = f->sohm_table = H5K_ADDR_UNDEF;
}

void fctx_mem(h5k_fctx *f, const uint8_t *buf, size_t len) { fctx_over(f, h5k_io_open_memory(buf, len), len); }

h5k_fctx fctx_sizes(unsigned so, unsigned sl, uint64_t eof) {
  h5k_fctx f;
  memset(&f, 0, sizeof f);
  f.so = so;
  f.sl = sl;
  f.eof = f.limit = eof;
  return f;
}

/* ---- files ---- */

uint8_t *slurp(const char *path, size_t *len) {
  FILE *fp = fopen(path, "rb");
  uint8_t *b = NULL;
  long n;
  *len = 0;
  if (!fp) return NULL;
  if (fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) >= 0 && fseek(fp, 0, SEEK_SET) == 0) {
    b = malloc(n ? (size_t)n : 1);
    if (b && fread(b, 1, (size_t)n, fp) != (size_t)n) {
      free(b);
      b = NULL;
    }
    if (b) *len = (size_t)n;
  }
  fclose(fp);
  return b;
}

char **read_lines(const char *path, size_t *n) {
  FILE *fp = fopen(path, "r");
  char line[256], **v = NULL;
  *n = 0;
  if (!fp) return NULL;
  while (fgets(line, sizeof line, fp)) {
    line[strcspn(line, "\n")] = 0;
    v = realloc(v, (*n + 1) * sizeof *v);
    v[(*n)++] = strdup(line);
  }
  fclose(fp);
  return v;
}

void free_lines(char **lines, size_t n) {
  for (size_t i = 0; i < n; i++) free(lines[i]);
  free(lines);
}

char *data_path(const char *file) {
  /* __FILE__ is .../tests/unit/testutil.c; the fixtures are in .../tests/data/ */
  static const char tail[] = "unit/testutil.c";
  const char *src = __FILE__;
  size_t n = strlen(src), t = strlen(tail);
  char *out;
  if (n < t || strcmp(src + n - t, tail) != 0) return NULL;
  out = malloc(n - t + 5 + strlen(file) + 1);
  if (!out) return NULL;
  memcpy(out, src, n - t);
  strcpy(out + (n - t), "data/");
  strcat(out, file);
  return out;
}

/* ---- h5py and temporary directories ---- */

int have_h5py(void) { return access(PY, X_OK) == 0 && system(PY " -c 'import h5py' 2>/dev/null") == 0; }

int run_python(const char *script_path, const char *arg) {
  char cmd[4096];
  int n = snprintf(cmd, sizeof cmd, PY " '%s' '%s'", script_path, arg);
  if (n < 0 || (size_t)n >= sizeof cmd) return -1;
  return system(cmd) == 0 ? 0 : -1;
}

int run_gen_script(const char *dir, const char *script, const char *arg) {
  char path[1024], cmd[4096];
  FILE *fp;
  int n = snprintf(path, sizeof path, "%s/gen.py", dir);
  if (n < 0 || (size_t)n >= sizeof path) return -1;
  fp = fopen(path, "w");
  if (!fp) return -1;
  if (fputs(script, fp) < 0) {
    fclose(fp);
    return -1;
  }
  if (fclose(fp) != 0) return -1;
  n = snprintf(cmd, sizeof cmd, "cd '%s' && " PY " '%s' '%s'", dir, path, arg);
  if (n < 0 || (size_t)n >= sizeof cmd) return -1;
  return system(cmd) == 0 ? 0 : -1;
}

void remove_dir(const char *dir) {
  char cmd[1100];
  if (!dir[0]) return;
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

/* ---- generated files with dense storage ---- */

int dense_fixture_make(dense_fixture *fx, const char *tmpl, const char *script, unsigned n, const char *h5name) {
  char path[256];
  FILE *fp;
  memset(fx, 0, sizeof *fx);
  if (!have_h5py()) return 0;
  if (n > DENSE_MAX || strlen(tmpl) >= sizeof fx->dir) return -1;
  strcpy(fx->dir, tmpl);
  if (!mkdtemp(fx->dir)) return -1;
  if (run_gen_script(fx->dir, script, fx->dir) != 0) return -1;
  snprintf(path, sizeof path, "%s/manifest.txt", fx->dir);
  fp = fopen(path, "r");
  if (!fp) return -1;
  for (unsigned i = 0; i < n; i++) {
    char name[8];
    unsigned long long a, b, c;
    if (fscanf(fp, "%7s %llu %llu %llu", name, &a, &b, &c) != 4) {
      fclose(fp);
      return -1;
    }
    fx->heap[i] = a;
    fx->name_bt[i] = b;
    fx->corder_bt[i] = c == UINT64_MAX ? H5K_ADDR_UNDEF : c;
    snprintf(path, sizeof path, "%s/%s.names", fx->dir, name);
    fx->names[i] = read_lines(path, &fx->nnames[i]);
  }
  fclose(fp);
  snprintf(path, sizeof path, "%s/%s", fx->dir, h5name);
  fx->file = slurp(path, &fx->file_len);
  return fx->file ? 1 : -1;
}

void dense_fixture_free(dense_fixture *fx) {
  for (unsigned i = 0; i < DENSE_MAX; i++) free_lines(fx->names[i], fx->nnames[i]);
  free(fx->file);
  remove_dir(fx->dir);
}
