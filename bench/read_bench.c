/* Read benchmark: h5kit against libhdf5 (the reference library, Debian's 1.10 build) on the same
 * files in the same run, plus the codec ceiling of each file.
 *
 * For every file DIR/stack_*.h5 written by bench/make_stack.py (dataset "/data", uint16,
 * one frame per chunk) it times, best of RUNS, with the file in the page cache:
 *   full    the whole dataset
 *   frame   one 512 x 512 frame (a different frame each run, so libhdf5's chunk cache never
 *           holds it)
 *   strided the hyperslab [::8, ::4, ::4]
 * with libhdf5 (H5Dread into native uint16, filters from HDF5_PLUGIN_PATH) and with h5kit
 * (h5k_dataset_read_raw, nthreads = 0: all cores). Outputs of the two are compared byte for byte.
 *
 * The codec ceiling: every stored chunk is read once into memory (h5k_dataset_read_chunk), then
 * all chunks are decoded through the built-in filter classes (h5k_filter_builtin, the pipeline in
 * reverse order, honouring the filter mask) on all cores, with no I/O and no copying into an
 * output array. h5kit's full read should come close to it.
 *
 * Rates are MB/s of decoded data (1 MB = 10^6 bytes).
 *
 *   read_bench DIR [RUNS]
 */
#define _GNU_SOURCE
#include <hdf5.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "h5kit.h"

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static const char *const NAMES[] = {"none", "gzip", "shuf_gzip", "bslz4", "lz4"};
#define NFILES (sizeof NAMES / sizeof NAMES[0])

enum { T_FULL, T_FRAME, T_STRIDED, NTESTS };
static const char *const TEST_NAMES[NTESTS] = {"full", "frame", "strided"};

typedef struct selection {
  hsize_t start[3], stride[3], count[3];
} selection;

static void make_sel(selection *s, int test, int run, const hsize_t *dims)
{
  for (int i = 0; i < 3; i++) {
    s->start[i] = 0;
    s->stride[i] = 1;
    s->count[i] = dims[i];
  }
  if (test == T_FRAME) {
    s->start[0] = ((hsize_t)run * 37 + 11) % dims[0];
    s->count[0] = 1;
  } else if (test == T_STRIDED) {
    s->stride[0] = 8;
    s->stride[1] = s->stride[2] = 4;
    for (int i = 0; i < 3; i++) s->count[i] = (dims[i] + s->stride[i] - 1) / s->stride[i];
  }
}

static size_t sel_elems(const selection *s)
{
  return (size_t)(s->count[0] * s->count[1] * s->count[2]);
}

/* ---- libhdf5 ---------------------------------------------------------------------------------- */
static int hdf5_read(hid_t dset, const selection *s, int full, uint16_t *buf)
{
  if (full) /* the whole dataset: H5S_ALL, libhdf5's fastest path */
    return H5Dread(dset, H5T_NATIVE_UINT16, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0 ? -1 : 0;
  hid_t fsp = H5Dget_space(dset);
  hid_t msp = H5Screate_simple(3, s->count, NULL); /* same shape as the selection */
  int rc = -1;
  if (fsp < 0 || msp < 0) goto done;
  if (H5Sselect_hyperslab(fsp, H5S_SELECT_SET, s->start, s->stride, s->count, NULL) < 0) goto done;
  if (H5Dread(dset, H5T_NATIVE_UINT16, msp, fsp, H5P_DEFAULT, buf) < 0) goto done;
  rc = 0;
done:
  if (msp >= 0) H5Sclose(msp);
  if (fsp >= 0) H5Sclose(fsp);
  return rc;
}

/* ---- h5kit -------------------------------------------------------------------------------------- */
static int h5kit_read(const h5k_dataset *d, const selection *s, uint16_t *buf)
{
  h5k_selection sel;
  memset(&sel, 0, sizeof sel);
  sel.rank = 3;
  for (int i = 0; i < 3; i++) {
    sel.start[i] = s->start[i];
    sel.stride[i] = s->stride[i];
    sel.count[i] = s->count[i];
    sel.block[i] = 1;
  }
  return h5k_dataset_read_raw(d, &sel, buf, sel_elems(s) * sizeof *buf);
}

/* ---- codec ceiling ------------------------------------------------------------------------------ */
typedef struct stored_chunk {
  uint8_t *data;
  size_t size;
  uint32_t mask;
} stored_chunk;

typedef struct codec_job {
  stored_chunk *chunks;
  size_t nchunks;
  const h5k_filter_class *const *cls; /* per pipeline entry */
  const h5k_filter_desc *filters;
  size_t nfilters;
  size_t chunk_bytes, elem_size;
  atomic_size_t next;
  atomic_int failed;
} codec_job;

static void *codec_worker(void *arg)
{
  codec_job *j = arg;
  for (;;) {
    size_t i = atomic_fetch_add(&j->next, 1);
    if (i >= j->nchunks) break;
    const stored_chunk *c = &j->chunks[i];
    uint8_t *cur = c->data, *owned = NULL;
    size_t len = c->size;
    for (size_t k = j->nfilters; k-- > 0;) {
      uint8_t *out = NULL;
      size_t out_len = 0;
      if (c->mask & (1u << k)) continue;
      if (j->cls[k]->decode(&out, &out_len, cur, len, j->filters[k].cd, j->filters[k].ncd, j->chunk_bytes,
                            j->elem_size) < 0) {
        atomic_store(&j->failed, 1);
        free(owned);
        return NULL;
      }
      free(owned);
      owned = cur = out;
      len = out_len;
    }
    if (len != j->chunk_bytes) atomic_store(&j->failed, 1);
    free(owned);
  }
  return NULL;
}

typedef struct collect {
  const h5k_dataset *d;
  stored_chunk *chunks;
  size_t n, cap;
  int rc;
} collect;

static int collect_cb(void *ud, const h5k_chunk_info *ci)
{
  collect *c = ud;
  if (c->n == c->cap) {
    size_t ncap = c->cap ? 2 * c->cap : 256;
    stored_chunk *nc = realloc(c->chunks, ncap * sizeof *nc);
    if (!nc) return H5K_ENOMEM;
    c->chunks = nc;
    c->cap = ncap;
  }
  stored_chunk *s = &c->chunks[c->n];
  s->size = ci->size;
  s->data = malloc(ci->size ? ci->size : 1);
  if (!s->data) return H5K_ENOMEM;
  size_t got;
  int rc = h5k_dataset_read_chunk(&got, &s->mask, c->d, ci->offset, s->data, ci->size);
  if (rc < 0) {
    free(s->data);
    return rc;
  }
  s->size = got;
  c->n++;
  return 0;
}

/* Best decode time of all chunks on `nthreads` threads; <0 if not measurable. */
static double codec_ceiling(const h5k_dataset *d, unsigned nthreads, int runs, size_t *out_bytes)
{
  h5k_dataset_info info;
  collect col = {d, NULL, 0, 0, 0};
  const h5k_filter_class *cls[32];
  double best = -1;

  if (h5k_dataset_get_info(&info, d) < 0 || info.layout != H5K_LAYOUT_CHUNKED || info.nfilters == 0 ||
      info.nfilters > 32)
    return -1;
  for (size_t k = 0; k < info.nfilters; k++) {
    cls[k] = h5k_filter_builtin(info.filters[k].id);
    if (!cls[k]) return -2;
  }
  if (h5k_dataset_chunk_iterate(d, collect_cb, &col) < 0) goto done;
  size_t chunk_bytes = info.type->size;
  for (unsigned i = 0; i < info.chunk_rank; i++) chunk_bytes *= info.chunk_dims[i];
  *out_bytes = chunk_bytes * col.n;
  for (int r = 0; r < runs; r++) {
    codec_job j = {col.chunks, col.n, cls, info.filters, info.nfilters, chunk_bytes, info.type->size, 0, 0};
    pthread_t th[256];
    unsigned n = nthreads > 256 ? 256 : nthreads;
    double t0 = now();
    for (unsigned i = 0; i < n; i++) pthread_create(&th[i], NULL, codec_worker, &j);
    for (unsigned i = 0; i < n; i++) pthread_join(th[i], NULL);
    double t = now() - t0;
    if (atomic_load(&j.failed)) {
      fprintf(stderr, "read_bench: codec decode failed: %s\n", h5k_error_last());
      best = -3;
      goto done;
    }
    if (best < 0 || t < best) best = t;
  }
done:
  for (size_t i = 0; i < col.n; i++) free(col.chunks[i].data);
  free(col.chunks);
  return best;
}

/* ---- main ----------------------------------------------------------------------------------------- */
static double mbs(size_t bytes, double t)
{
  return t > 0 ? (double)bytes / t / 1e6 : 0;
}

int main(int argc, char **argv)
{
  if (argc < 2) {
    fprintf(stderr, "usage: read_bench DIR [RUNS]\n");
    return 2;
  }
  const char *dir = argv[1];
  int runs = argc > 2 ? atoi(argv[2]) : 5;
  if (runs < 1) runs = 1;
  setenv("HDF5_PLUGIN_PATH", "/usr/lib/x86_64-linux-gnu/hdf5/serial/plugins", 0);
  long ncores = sysconf(_SC_NPROCESSORS_ONLN);
  if (ncores < 1) ncores = 1;
  int status = 0;

  printf("read_bench: best of %d runs, %ld cores, h5kit nthreads=0 (all cores), libhdf5 %s\n", runs, ncores,
         H5_VERS_INFO);
  printf("HDF5_PLUGIN_PATH=%s\n\n", getenv("HDF5_PLUGIN_PATH"));
  printf("| file | test | MB | libhdf5 MB/s | h5kit MB/s | h5kit/libhdf5 | codec limit MB/s | h5kit/limit |\n");
  printf("|---|---|---:|---:|---:|---:|---:|---:|\n");
  fflush(stdout);

  for (size_t fi = 0; fi < NFILES; fi++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/stack_%s.h5", dir, NAMES[fi]);
    if (access(path, R_OK) != 0) {
      fprintf(stderr, "read_bench: %s missing (run bench/make_stack.py %s)\n", path, dir);
      status = 1;
      continue;
    }
    hid_t hf = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t hd = hf >= 0 ? H5Dopen2(hf, "/data", H5P_DEFAULT) : -1;
    h5k_file *kf = NULL;
    h5k_dataset *kd = NULL;
    h5k_addr addr;
    h5k_open_options opts;
    memset(&opts, 0, sizeof opts);
    opts.struct_size = sizeof opts;
    opts.nthreads = 0;
    if (hd < 0) {
      fprintf(stderr, "read_bench: libhdf5 cannot open %s/data\n", path);
      status = 1;
      goto next;
    }
    if (h5k_open(&kf, path, &opts) < 0 || h5k_resolve(&addr, kf, "/data") < 0 || h5k_dataset_open(&kd, kf, addr) < 0) {
      fprintf(stderr, "read_bench: h5kit cannot open %s/data: %s\n", path, h5k_error_last());
      status = 1;
      goto next;
    }
    hsize_t dims[3];
    {
      hid_t sp = H5Dget_space(hd);
      H5Sget_simple_extent_dims(sp, dims, NULL);
      H5Sclose(sp);
    }
    size_t full_bytes = (size_t)(dims[0] * dims[1] * dims[2]) * 2;
    uint16_t *a = malloc(full_bytes), *b = malloc(full_bytes);
    if (!a || !b) {
      fprintf(stderr, "read_bench: out of memory\n");
      return 1;
    }
    /* codec ceiling first: it also brings the whole file into the page cache */
    size_t codec_bytes = 0;
    double tcodec = codec_ceiling(kd, (unsigned)ncores, runs, &codec_bytes);

    for (int test = 0; test < NTESTS; test++) {
      double best_h = -1, best_k = -1;
      size_t bytes = 0;
      for (int r = 0; r < runs + 1; r++) { /* run 0 warms up */
        selection s;
        make_sel(&s, test, r, dims);
        bytes = sel_elems(&s) * 2;
        double t0 = now();
        if (hdf5_read(hd, &s, test == T_FULL, a) < 0) {
          fprintf(stderr, "read_bench: libhdf5 read failed (%s, %s)\n", NAMES[fi], TEST_NAMES[test]);
          status = 1;
          break;
        }
        double t1 = now();
        if (h5kit_read(kd, &s, b) < 0) {
          fprintf(stderr, "read_bench: h5kit read failed (%s, %s): %s\n", NAMES[fi], TEST_NAMES[test],
                  h5k_error_last());
          status = 1;
          break;
        }
        double t2 = now();
        if (memcmp(a, b, bytes) != 0) {
          fprintf(stderr, "read_bench: h5kit and libhdf5 differ (%s, %s)\n", NAMES[fi], TEST_NAMES[test]);
          status = 1;
        }
        if (r == 0) continue;
        if (best_h < 0 || t1 - t0 < best_h) best_h = t1 - t0;
        if (best_k < 0 || t2 - t1 < best_k) best_k = t2 - t1;
      }
      printf("| %s | %s | %.1f | %.0f | %.0f | %.2fx |", NAMES[fi], TEST_NAMES[test], (double)bytes / 1e6,
             mbs(bytes, best_h), mbs(bytes, best_k), best_k > 0 ? best_h / best_k : 0);
      if (test == T_FULL && tcodec > 0)
        printf(" %.0f | %.0f%% |\n", mbs(codec_bytes, tcodec), 100.0 * mbs(bytes, best_k) / mbs(codec_bytes, tcodec));
      else if (test == T_FULL)
        printf(" %s | |\n", tcodec == -1 ? "(no filter)" : tcodec == -2 ? "(filter not built in)" : "(failed)");
      else
        printf(" | |\n");
      fflush(stdout);
    }
    free(a);
    free(b);
  next:
    h5k_dataset_close(kd);
    h5k_close(kf);
    if (hd >= 0) H5Dclose(hd);
    if (hf >= 0) H5Fclose(hf);
  }
  return status;
}
