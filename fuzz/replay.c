/* Standalone driver for the fuzz targets: runs LLVMFuzzerTestOneInput once on every file named
 * on the command line, descending into directories (entries in name order, so runs are
 * reproducible). Each input is copied into a heap buffer of exactly its size, so an
 * AddressSanitizer build catches a read one byte past the end just as libFuzzer would.
 * Used by `make test` / `make sanitize` (ctest fuzz.replay_<target>) to replay the committed
 * corpora, and by hand to reproduce a crash file without libFuzzer:
 *   build/fuzz/replay_fuzz_file fuzz/corpus/fuzz_file crash-1234...
 * Exit status: 0 when every input ran, 1 when a path could not be read. A crash in the library
 * aborts the process (that is the point). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path, unsigned long *count) {
  FILE *fp = fopen(path, "rb");
  uint8_t *buf = NULL;
  long n;
  int rc = 1;
  if (!fp) {
    fprintf(stderr, "replay: cannot open %s\n", path);
    return 1;
  }
  if (fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0) {
    fprintf(stderr, "replay: cannot size %s\n", path);
    goto done;
  }
  /* malloc(0) may return NULL; keep a real (empty) buffer so the target sees a valid pointer. */
  buf = malloc(n ? (size_t)n : 1);
  if (!buf) {
    fprintf(stderr, "replay: out of memory for %s\n", path);
    goto done;
  }
  if (n && fread(buf, 1, (size_t)n, fp) != (size_t)n) {
    fprintf(stderr, "replay: short read on %s\n", path);
    goto done;
  }
  (void)LLVMFuzzerTestOneInput(buf, (size_t)n);
  (*count)++;
  rc = 0;
done:
  free(buf);
  fclose(fp);
  return rc;
}

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_path(const char *path, unsigned long *count, unsigned depth) {
  struct stat st;
  DIR *d;
  struct dirent *e;
  char **names = NULL;
  size_t n = 0, cap = 0;
  int rc = 0;
  if (stat(path, &st) != 0) {
    fprintf(stderr, "replay: cannot stat %s\n", path);
    return 1;
  }
  if (!S_ISDIR(st.st_mode)) return run_file(path, count);
  if (depth > 32) {
    fprintf(stderr, "replay: directories nested too deep at %s\n", path);
    return 1;
  }
  d = opendir(path);
  if (!d) {
    fprintf(stderr, "replay: cannot open directory %s\n", path);
    return 1;
  }
  while ((e = readdir(d)) != NULL) {
    size_t len;
    char *full;
    if (e->d_name[0] == '.') continue; /* ".", ".." and hidden files (.gitkeep) */
    if (n == cap) {
      size_t ncap = cap ? 2 * cap : 64;
      char **nn = realloc(names, ncap * sizeof *nn);
      if (!nn) {
        rc = 1;
        break;
      }
      names = nn;
      cap = ncap;
    }
    len = strlen(path) + strlen(e->d_name) + 2;
    full = malloc(len);
    if (!full) {
      rc = 1;
      break;
    }
    snprintf(full, len, "%s/%s", path, e->d_name);
    names[n++] = full;
  }
  closedir(d);
  if (n) qsort(names, n, sizeof *names, cmp_names);
  for (size_t i = 0; i < n; i++) {
    if (run_path(names[i], count, depth + 1) != 0) rc = 1;
    free(names[i]);
  }
  free(names);
  return rc;
}

int main(int argc, char **argv) {
  unsigned long count = 0;
  int rc = 0;
  if (argc < 2) {
    fprintf(stderr, "usage: %s FILE-OR-DIRECTORY...\n", argv[0]);
    return 2;
  }
  for (int i = 1; i < argc; i++)
    if (run_path(argv[i], &count, 0) != 0) rc = 1;
  printf("replayed %lu inputs\n", count);
  return rc;
}
