/* Built-in filter classes and the helpers their decoders share. Internal to src/filter/: the
 * rest of the library goes through filter.h (h5k_pipeline_decode, h5k_filter_builtin). */
#ifndef H5K_FILTER_CODECS_H
#define H5K_FILTER_CODECS_H

#include <stddef.h>
#include <stdint.h>

#include "h5kit.h"
#include "util/cursor.h"

/* One class per built-in filter (defined in the file named after it). */
extern const h5k_filter_class h5k_filter_class_deflate;     /* deflate.c */
extern const h5k_filter_class h5k_filter_class_shuffle;     /* shuffle.c */
extern const h5k_filter_class h5k_filter_class_fletcher32;  /* fletcher32.c */
extern const h5k_filter_class h5k_filter_class_szip;        /* szip.c */
extern const h5k_filter_class h5k_filter_class_nbit;        /* nbit.c */
extern const h5k_filter_class h5k_filter_class_scaleoffset; /* scaleoffset.c */
extern const h5k_filter_class h5k_filter_class_lzf;         /* lzf.c */
extern const h5k_filter_class h5k_filter_class_blosc;       /* blosc.c */
extern const h5k_filter_class h5k_filter_class_lz4;         /* lz4.c */
extern const h5k_filter_class h5k_filter_class_bitshuffle;  /* bitshuffle.c */
extern const h5k_filter_class h5k_filter_class_zstd;        /* zstd.c */

/* Decoders that write straight into the caller's buffer, which the chunk must fill exactly
 * (dst_len bytes): the last filter undone writes into the output this way (pipeline.c).
 * flags: H5K_INTO_STREAM (filter.h) lets the decoder write with non-temporal stores. */
typedef int (*h5k_decode_into_fn)(uint8_t *dst, size_t dst_len, const uint8_t *in, size_t in_len, const uint32_t *cd,
                                  size_t ncd, size_t elem_size, unsigned flags);
int h5k_deflate_decode_into(uint8_t *dst, size_t dst_len, const uint8_t *in, size_t in_len, const uint32_t *cd,
                            size_t ncd, size_t elem_size, unsigned flags);
int h5k_shuffle_decode_into(uint8_t *dst, size_t dst_len, const uint8_t *in, size_t in_len, const uint32_t *cd,
                            size_t ncd, size_t elem_size, unsigned flags);
int h5k_lz4_decode_into(uint8_t *dst, size_t dst_len, const uint8_t *in, size_t in_len, const uint32_t *cd,
                        size_t ncd, size_t elem_size, unsigned flags);
int h5k_bitshuffle_decode_into(uint8_t *dst, size_t dst_len, const uint8_t *in, size_t in_len, const uint32_t *cd,
                               size_t ncd, size_t elem_size, unsigned flags);

/* Largest output any one decoder may produce for a chunk whose unfiltered size is size_hint.
 * The last filter undone must produce exactly size_hint bytes; an intermediate stage (e.g. LZ4
 * data under zstd) may be somewhat larger than the chunk, never more than this. Sizes read from
 * filter headers are checked against it before anything is allocated. */
static inline size_t filter_out_cap(size_t size_hint) {
  size_t extra = size_hint / 2 + ((size_t)1 << 20);
  return size_hint > SIZE_MAX - extra ? SIZE_MAX : size_hint + extra;
}

/* Big-endian output fields (LZ4 and bitshuffle framings). */
static inline void put_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

static inline void put_be64(uint8_t *p, uint64_t v) {
  put_be32(p, (uint32_t)(v >> 32));
  put_be32(p + 4, (uint32_t)v);
}

/* MSB-first bit writer into a zeroed buffer the caller sized (n-bit and scale-offset packing):
 * the mirror of h5k_bitrd. */
typedef struct h5k_bitwr {
  uint8_t *p;
  size_t byte;   /* current byte */
  unsigned left; /* bits still free in it (1..8) */
} h5k_bitwr;

static inline void bitwr_init(h5k_bitwr *w, uint8_t *p) {
  w->p = p;
  w->byte = 0;
  w->left = 8;
}

/* Append the low nb (0..64) bits of v, most significant first. */
static inline void bitwr_put(h5k_bitwr *w, uint64_t v, unsigned nb) {
  while (nb) {
    unsigned take = nb < w->left ? nb : w->left;
    unsigned bits = (unsigned)((v >> (nb - take)) & ((1u << take) - 1));
    w->p[w->byte] |= (uint8_t)(bits << (w->left - take));
    w->left -= take;
    nb -= take;
    if (w->left == 0) {
      w->byte++;
      w->left = 8;
    }
  }
}

/* Big-endian fields (the LZ4 and bitshuffle framings are big-endian). */
static inline uint32_t rd_be32(h5k_cur *c) {
  const uint8_t *q = rd_ptr(c, 4);
  if (!q) return 0;
  return (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3];
}

static inline uint64_t rd_be64(h5k_cur *c) {
  uint64_t hi = rd_be32(c);
  return hi << 32 | rd_be32(c);
}

/* MSB-first bit stream over an untrusted buffer (n-bit and scale-offset packing): bits are
 * taken from the most significant end of each byte first. Reading past the end sets err and
 * yields zeros. */
typedef struct h5k_bitrd {
  const uint8_t *p;
  size_t len;
  size_t byte;   /* current byte */
  unsigned left; /* bits not yet taken from it (1..8) */
  int err;
} h5k_bitrd;

static inline void bitrd_init(h5k_bitrd *r, const uint8_t *p, size_t len) {
  r->p = p;
  r->len = len;
  r->byte = 0;
  r->left = 8;
  r->err = 0;
}

/* Next nb (0..64) bits as an unsigned value, first bit most significant. */
static inline uint64_t bitrd_get(h5k_bitrd *r, unsigned nb) {
  uint64_t v = 0;
  while (nb) {
    unsigned take, cur;
    if (r->byte >= r->len) {
      r->err = 1;
      return 0;
    }
    take = nb < r->left ? nb : r->left;
    cur = r->p[r->byte];
    v = (v << take) | ((cur >> (r->left - take)) & ((1u << take) - 1));
    r->left -= take;
    nb -= take;
    if (r->left == 0) {
      r->byte++;
      r->left = 8;
    }
  }
  return v;
}

/* Bit transposes shared by shuffle.c and bitshuffle.c (SIMD where available). */
/* Byte shuffle: out[j*n + i] = in[i*size + j] for n elements of `size` bytes. */
void h5k_shuffle_bytes(uint8_t *out, const uint8_t *in, size_t n, size_t size);
/* Bit shuffle of one block of n elements (n a multiple of 8) of `size` bytes: the inverse of
 * h5k_bitunshuffle_block; scratch holds n*size bytes. */
void h5k_bitshuffle_block(uint8_t *out, const uint8_t *in, size_t n, size_t size, uint8_t *scratch);
/* Byte unshuffle: out[i*size + j] = in[j*n + i] for n elements of `size` bytes. With `stream`
 * set, out is written with non-temporal stores where the SIMD paths allow it (fenced). */
void h5k_unshuffle_bytes(uint8_t *out, const uint8_t *in, size_t n, size_t size, int stream);
/* Bit unshuffle of one bitshuffle block of n elements (n a multiple of 8) of `size` bytes;
 * scratch holds n*size bytes; `stream` as for h5k_unshuffle_bytes. */
void h5k_bitunshuffle_block(uint8_t *out, const uint8_t *in, size_t n, size_t size, uint8_t *scratch, int stream);

#endif
