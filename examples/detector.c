/* detector.c — an area detector's image stack, one frame at a time.
 *
 *   detector OUT.h5 [N] [--latest]
 *
 * Writes N frames of N x N uint16 pixels (N = 512 by default: a 512x512x512 stack) three times:
 *   /gzip/data     chunk = one frame, deflate level 4, written with h5k_write frame by frame;
 *   /bslz4/data    chunk = one frame, bitshuffle + LZ4 (filter 32008, parameters {0, 2}: automatic
 *                  block size, LZ4 compression), written with h5k_write: h5kit compresses;
 *   /direct/data   chunk = one frame, no filter, written with h5k_write_chunk: the program hands
 *                  over each chunk's stored bytes itself (here the raw little-endian frame; a
 *                  detector that compresses in hardware would pass its compressed frames to a
 *                  dataset declared with the matching filter).
 * The three datasets hold the same frames: Poisson(0.6)-distributed counts, as a detector sees
 * at low flux, from a small deterministic generator (splitmix64 + Knuth's multiplication method),
 * frame after frame in C order.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h5kit.h"

static void check(int rc, const char *what) {
  if (rc < 0) {
    fprintf(stderr, "detector: %s: %s (%s)\n", what, h5k_error_last(), h5k_strerror(rc));
    exit(1);
  }
}

/* splitmix64: a tiny, good, deterministic 64-bit generator. */
static uint64_t next_u64(uint64_t *state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* A uniform double in [0, 1) from the top 53 bits. */
static double next_unit(uint64_t *state) { return (double)(next_u64(state) >> 11) * (1.0 / 9007199254740992.0); }

/* Poisson(lambda) by Knuth: count the uniforms whose running product stays above exp(-lambda). */
static uint16_t poisson(uint64_t *state, double limit) {
  uint16_t k = 0;
  double p = next_unit(state);
  while (p > limit) {
    k++;
    p *= next_unit(state);
  }
  return k;
}

/* One dataset of n frames of n x n uint16, chunked one frame per chunk, with the given filters. */
static void create_stack(h5k_file *f, const char *path, const h5k_datatype *u16, uint64_t n,
                         const h5k_filter_desc *filters, size_t nfilters) {
  h5k_dataspace s;
  memset(&s, 0, sizeof s);
  s.kind = H5K_SPACE_SIMPLE;
  s.rank = 3;
  for (int i = 0; i < 3; i++) s.dims[i] = s.maxdims[i] = n;
  h5k_dataset_options o;
  memset(&o, 0, sizeof o);
  o.struct_size = sizeof o;
  o.flags = H5K_MKDIRS;
  o.chunk_rank = 3;
  o.chunk_dims[0] = 1;
  o.chunk_dims[1] = n;
  o.chunk_dims[2] = n;
  o.filters = filters;
  o.nfilters = nfilters;
  check(h5k_dataset_create(f, path, u16, &s, &o), path);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: detector OUT.h5 [N] [--latest]\n");
    return 2;
  }
  uint64_t n = 512;
  int latest = 0;
  for (int i = 2; i < argc; i++) {
    if (!strcmp(argv[i], "--latest")) latest = 1;
    else n = strtoull(argv[i], NULL, 10);
  }
  if (n == 0 || n > 4096) {
    fprintf(stderr, "detector: N must be 1..4096\n");
    return 2;
  }
  h5k_datatype *u16;
  check(h5k_datatype_make(&u16, H5K_CLASS_INTEGER, 2, 0), "uint16 type");

  h5k_create_options co;
  memset(&co, 0, sizeof co);
  co.struct_size = sizeof co;
  co.flags = H5K_CREATE_TRUNC;
  co.profile = latest ? H5K_PROFILE_LATEST : H5K_PROFILE_COMPAT;
  h5k_file *f;
  check(h5k_create(&f, argv[1], &co), "create");

  /* Filter parameters are the user's ones (cd); h5kit stores what libhdf5 would derive. */
  const uint32_t deflate_cd[1] = {4};
  const h5k_filter_desc gzip = {.id = H5K_FILTER_DEFLATE, .ncd = 1, .cd = deflate_cd};
  const uint32_t bslz4_cd[2] = {0, 2};
  const h5k_filter_desc bslz4 = {.id = H5K_FILTER_BITSHUFFLE, .ncd = 2, .cd = bslz4_cd};
  create_stack(f, "/gzip/data", u16, n, &gzip, 1);
  create_stack(f, "/bslz4/data", u16, n, &bslz4, 1);
  create_stack(f, "/direct/data", u16, n, NULL, 0);

  size_t npix = (size_t)(n * n);
  uint16_t *frame = malloc(npix * sizeof *frame);
  uint8_t *raw = malloc(npix * 2);
  if (!frame || !raw) return 1;
  uint64_t state = 12345;
  const double limit = exp(-0.6);
  h5k_selection sel;
  memset(&sel, 0, sizeof sel);
  sel.rank = 3;
  for (int i = 0; i < 3; i++) sel.stride[i] = sel.block[i] = 1;
  sel.count[0] = 1;
  sel.count[1] = sel.count[2] = n;
  for (uint64_t z = 0; z < n; z++) {
    for (size_t i = 0; i < npix; i++) frame[i] = poisson(&state, limit);
    sel.start[0] = z;
    check(h5k_write(f, "/gzip/data", &sel, u16, frame, npix * sizeof *frame), "write gzip frame");
    check(h5k_write(f, "/bslz4/data", &sel, u16, frame, npix * sizeof *frame), "write bslz4 frame");
    /* Direct chunk write: the stored bytes of chunk (z, 0, 0) — here the frame as little-endian
     * uint16, since /direct/data has no filter (filter_mask 0). */
    for (size_t i = 0; i < npix; i++) {
      raw[2 * i] = (uint8_t)(frame[i] & 0xff);
      raw[2 * i + 1] = (uint8_t)(frame[i] >> 8);
    }
    const uint64_t offset[3] = {z, 0, 0};
    check(h5k_write_chunk(f, "/direct/data", offset, 0, raw, npix * 2), "direct chunk write");
  }
  free(frame);
  free(raw);
  check(h5k_flush(f), "flush");
  h5k_close(f);
  h5k_datatype_free(u16);
  printf("wrote %llu frames of %llux%llu to %s\n", (unsigned long long)n, (unsigned long long)n,
         (unsigned long long)n, argv[1]);
  return 0;
}
