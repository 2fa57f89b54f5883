/* Concurrent reads from one file handle: several threads read random hyperslabs of chunked
 * (deflate+shuffle) and contiguous datasets at once, each read itself decoding chunks on the
 * handle's worker threads, and every result is compared with the same slice cut out of a full
 * single-threaded read. Runs under ASan/UBSan in `make sanitize`. The file is written with h5py
 * at test time; without h5py the test says so and passes. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h5kit.h"
#include "testutil.h"

#define NTHREADS 4
#define READS 25

static const char *GEN =
    "import sys, numpy as np, h5py\n"
    "rng = np.random.default_rng(7)\n"
    "a = rng.poisson(3.0, size=(24, 96, 80)).astype('<u2')\n"
    "with h5py.File(sys.argv[1], 'w', libver='latest') as f:\n"
    "    f.create_dataset('chunked', data=a, chunks=(1, 40, 32), compression='gzip', shuffle=True)\n"
    "    f.create_dataset('contig', data=a.astype('>i4'))\n"
    "    f.create_dataset('sparse', shape=a.shape, dtype='<u2', chunks=(4, 32, 32), fillvalue=7)\n"
    "    f['sparse'][2:5, 10:50, 3:9] = a[2:5, 10:50, 3:9]\n"
    "    for name in ('chunked', 'contig', 'sparse'):\n"
    "        open(sys.argv[1] + '.' + name, 'wb').write(f[name][()].tobytes())\n";

typedef struct shared {
  h5k_file *f;
  const char *name;
  const uint8_t *full; /* full single-threaded read */
  size_t esize;
  uint64_t dims[3];
  int failures;
  pthread_mutex_t lock;
} shared;

static unsigned rnd(unsigned *state, unsigned n) {
  *state = *state * 1103515245u + 12345u;
  return (*state >> 8) % n;
}

static void *reader(void *arg) {
  shared *s = arg;
  h5k_dataset *ds = NULL;
  unsigned state = (unsigned)(uintptr_t)pthread_self();
  int bad = 0;
  {
    h5k_addr addr;
    if (h5k_resolve(&addr, s->f, s->name) != 0 || h5k_dataset_open(&ds, s->f, addr) != 0) bad++;
  }
  for (int r = 0; r < READS && !bad; r++) {
    h5k_selection sel;
    uint64_t n = 1;
    memset(&sel, 0, sizeof sel);
    sel.rank = 3;
    for (int d = 0; d < 3; d++) {
      sel.stride[d] = 1 + rnd(&state, 4);
      sel.block[d] = 1 + rnd(&state, (unsigned)sel.stride[d]);
      sel.start[d] = rnd(&state, (unsigned)(s->dims[d] / 2));
      uint64_t room = s->dims[d] - sel.start[d] - sel.block[d];
      sel.count[d] = 1 + rnd(&state, (unsigned)(room / sel.stride[d] + 1));
      n *= sel.count[d] * sel.block[d];
    }
    uint8_t *buf = malloc(n * s->esize);
    if (h5k_dataset_read_raw(ds, &sel, buf, n * s->esize) != 0) {
      fprintf(stderr, "read failed: %s\n", h5k_error_last());
      bad++;
      free(buf);
      break;
    }
    /* Compare with the same points of the full read, in C order. */
    uint64_t k = 0;
    for (uint64_t c0 = 0; c0 < sel.count[0]; c0++)
      for (uint64_t b0 = 0; b0 < sel.block[0]; b0++)
        for (uint64_t c1 = 0; c1 < sel.count[1]; c1++)
          for (uint64_t b1 = 0; b1 < sel.block[1]; b1++)
            for (uint64_t c2 = 0; c2 < sel.count[2]; c2++)
              for (uint64_t b2 = 0; b2 < sel.block[2]; b2++) {
                uint64_t x = sel.start[0] + c0 * sel.stride[0] + b0;
                uint64_t y = sel.start[1] + c1 * sel.stride[1] + b1;
                uint64_t z = sel.start[2] + c2 * sel.stride[2] + b2;
                uint64_t lin = (x * s->dims[1] + y) * s->dims[2] + z;
                if (memcmp(buf + k * s->esize, s->full + lin * s->esize, s->esize) != 0) bad++;
                k++;
              }
    free(buf);
  }
  h5k_dataset_close(ds);
  pthread_mutex_lock(&s->lock);
  s->failures += bad;
  pthread_mutex_unlock(&s->lock);
  return NULL;
}

static void run_dataset(h5k_file *f, const char *path, const char *name) {
  shared s;
  h5k_addr addr;
  h5k_dataset *ds = NULL;
  h5k_dataset_info info;
  uint8_t *full;
  size_t bytes;
  pthread_t th[NTHREADS];
  memset(&s, 0, sizeof s);
  CHECK(h5k_resolve(&addr, f, name) == 0);
  CHECK(h5k_dataset_open(&ds, f, addr) == 0);
  if (!ds) return;
  CHECK(h5k_dataset_get_info(&info, ds) == 0);
  s.esize = (size_t)info.type->size;
  memcpy(s.dims, info.space->dims, sizeof s.dims);
  bytes = (size_t)(s.dims[0] * s.dims[1] * s.dims[2]) * s.esize;
  full = malloc(bytes);
  CHECK(h5k_dataset_read_raw(ds, NULL, full, bytes) == 0);
  h5k_dataset_close(ds);
  /* The full read must equal what h5py reads (raw bytes in the file's byte order). */
  {
    char ref[300];
    FILE *fp;
    uint8_t *want = malloc(bytes);
    snprintf(ref, sizeof ref, "%s.%s", path, name + 1);
    fp = fopen(ref, "rb");
    CHECK(fp && fread(want, 1, bytes, fp) == bytes);
    if (fp) fclose(fp);
    CHECK(memcmp(want, full, bytes) == 0);
    free(want);
  }
  s.f = f;
  s.name = name;
  s.full = full;
  pthread_mutex_init(&s.lock, NULL);
  for (int i = 0; i < NTHREADS; i++) pthread_create(&th[i], NULL, reader, &s);
  for (int i = 0; i < NTHREADS; i++) pthread_join(th[i], NULL);
  if (s.failures) fprintf(stderr, "%s: %d mismatches\n", name, s.failures);
  CHECK(s.failures == 0);
  pthread_mutex_destroy(&s.lock);
  free(full);
}

int main(void) {
  char dir[] = "/tmp/h5k_threads_XXXXXX", path[256];
  h5k_file *f = NULL;
  h5k_open_options opts;
  if (!have_h5py()) {
    printf("test_threads: h5py not available, skipped\n");
    return 0;
  }
  if (!mkdtemp(dir)) return 1;
  snprintf(path, sizeof path, "%s/t.h5", dir);
  CHECK(run_gen_script(dir, GEN, path) == 0);
  memset(&opts, 0, sizeof opts);
  opts.struct_size = sizeof opts;
  opts.nthreads = 3;
  CHECK(h5k_open(&f, path, &opts) == 0);
  if (f) {
    run_dataset(f, path, "/chunked");
    run_dataset(f, path, "/contig");
    run_dataset(f, path, "/sparse");
    h5k_close(f);
  }
  remove_dir(dir);
  return test_finish("test_threads");
}
