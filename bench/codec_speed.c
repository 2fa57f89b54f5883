/* Inflate speed of libdeflate against ISA-L on real HDF5 deflate chunks (zlib streams).
 *
 * Used to choose the deflate backend of src/filter/deflate.c. Each input file is one stored
 * chunk (e.g. written by h5py with compression='gzip', read back with read_direct_chunk); the
 * program checks both decoders produce identical output and prints MB/s of decoded data.
 *
 *   cc -O2 -o codec_speed bench/codec_speed.c -ldeflate -lisal
 *   ./codec_speed OUT_BYTES chunk1.bin chunk2.bin ...
 */
#include <isa-l/igzip_lib.h>
#include <libdeflate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static unsigned char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  unsigned char *b;
  long n;
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  n = ftell(f);
  fseek(f, 0, SEEK_SET);
  b = malloc((size_t)n);
  if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
    free(b);
    b = NULL;
  }
  fclose(f);
  *len = (size_t)n;
  return b;
}

int main(int argc, char **argv) {
  size_t out_len, nin = (size_t)argc - 2, total_in = 0;
  unsigned char **in, *o1, *o2;
  size_t *in_len;
  struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
  int reps = 20;
  if (argc < 3) return 2;
  out_len = strtoul(argv[1], NULL, 10);
  in = calloc(nin, sizeof *in);
  in_len = calloc(nin, sizeof *in_len);
  o1 = malloc(out_len);
  o2 = malloc(out_len);
  for (size_t i = 0; i < nin; i++) {
    in[i] = slurp(argv[i + 2], &in_len[i]);
    if (!in[i]) return 1;
    total_in += in_len[i];
  }
  for (int round = 0; round < 7; round++) {
    double t0 = now();
    for (int r = 0; r < reps; r++)
      for (size_t i = 0; i < nin; i++) {
        size_t got = 0;
        if (libdeflate_zlib_decompress(d, in[i], in_len[i], o1, out_len, &got) != LIBDEFLATE_SUCCESS ||
            got != out_len)
          return 3;
      }
    double t1 = now();
    for (int r = 0; r < reps; r++)
      for (size_t i = 0; i < nin; i++) {
        struct inflate_state st;
        isal_inflate_init(&st);
        st.next_in = in[i];
        st.avail_in = (uint32_t)in_len[i];
        st.next_out = o2;
        st.avail_out = (uint32_t)out_len;
        st.crc_flag = ISAL_ZLIB;
        if (isal_inflate_stateless(&st) != ISAL_DECOMP_OK || st.total_out != out_len) return 4;
      }
    double t2 = now();
    if (memcmp(o1, o2, out_len) != 0) return 5;
    double mb = (double)out_len * nin * reps / 1e6;
    printf("round %d: %zu chunks, %.1f%% ratio: libdeflate %.0f MB/s, isa-l %.0f MB/s\n", round, nin,
           100.0 * (double)total_in / ((double)out_len * nin), mb / (t1 - t0), mb / (t2 - t1));
  }
  return 0;
}
