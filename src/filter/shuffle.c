/* Shuffle filter (id 2), both directions, and the byte transposes shared with bitshuffle.c.
 *
 * Spec: HDF5 File Format Specification 3.0, IV.A.2.l (Filter Pipeline Message), filter 2
 * "shuffle"; cd_values[0] is the element size in bytes (set by the library from the datatype).
 *
 * A shuffled chunk of n = len / size whole elements stores byte j of every element together:
 *
 *   offset        size     content
 *   0             n        byte 0 of elements 0..n-1
 *   n             n        byte 1 of elements 0..n-1
 *   ...
 *   (size-1)*n    n        byte size-1 of elements 0..n-1
 *   size*n        len % size   trailing bytes, stored as they are
 *
 * Element sizes 2, 4 and 8 use SSE2 interleaves (SSE2 is part of x86-64, so no dispatch is
 * needed); other sizes and other machines use the scalar loop. Encoding (shuffling) is the same
 * transpose the other way: SSE2 de-interleaves (even/odd bytes of two registers, applied once,
 * twice or three times) for sizes 2, 4 and 8. The library's encoder, like libhdf5's, leaves
 * chunks of at most one element, and element size 1, unchanged. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "filter/codecs.h"
#include "filter/filter.h"
#include "util/error.h"

#if defined(__SSE2__)
#include <emmintrin.h>

/* A 16-byte store into the output: non-temporal when `stream` (then out is 16-byte aligned). */
static inline void put16(uint8_t *p, __m128i v, int stream) {
  if (stream) _mm_stream_si128((__m128i *)(void *)p, v);
  else _mm_storeu_si128((__m128i *)(void *)p, v);
}

static size_t unshuffle2_sse2(uint8_t *out, const uint8_t *in, size_t n, int stream) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(in + i));
    __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(in + n + i));
    put16(out + 2 * i, _mm_unpacklo_epi8(a, b), stream);
    put16(out + 2 * i + 16, _mm_unpackhi_epi8(a, b), stream);
  }
  return i;
}

static size_t unshuffle4_sse2(uint8_t *out, const uint8_t *in, size_t n, int stream) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(in + i));
    __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(in + n + i));
    __m128i c = _mm_loadu_si128((const __m128i *)(const void *)(in + 2 * n + i));
    __m128i d = _mm_loadu_si128((const __m128i *)(const void *)(in + 3 * n + i));
    __m128i ab_lo = _mm_unpacklo_epi8(a, b), ab_hi = _mm_unpackhi_epi8(a, b);
    __m128i cd_lo = _mm_unpacklo_epi8(c, d), cd_hi = _mm_unpackhi_epi8(c, d);
    uint8_t *o = out + 4 * i;
    put16(o, _mm_unpacklo_epi16(ab_lo, cd_lo), stream);
    put16(o + 16, _mm_unpackhi_epi16(ab_lo, cd_lo), stream);
    put16(o + 32, _mm_unpacklo_epi16(ab_hi, cd_hi), stream);
    put16(o + 48, _mm_unpackhi_epi16(ab_hi, cd_hi), stream);
  }
  return i;
}

static size_t unshuffle8_sse2(uint8_t *out, const uint8_t *in, size_t n, int stream) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m128i p[8], u[8], v[8];
    for (int k = 0; k < 8; k++) p[k] = _mm_loadu_si128((const __m128i *)(const void *)(in + (size_t)k * n + i));
    for (int k = 0; k < 4; k++) {
      u[2 * k] = _mm_unpacklo_epi8(p[2 * k], p[2 * k + 1]);     /* elements 0-7, planes 2k,2k+1 */
      u[2 * k + 1] = _mm_unpackhi_epi8(p[2 * k], p[2 * k + 1]); /* elements 8-15 */
    }
    for (int h = 0; h < 2; h++) { /* h = 0: planes 0-3, h = 1: planes 4-7 */
      __m128i lo01 = u[4 * h], hi01 = u[4 * h + 1], lo23 = u[4 * h + 2], hi23 = u[4 * h + 3];
      v[4 * h] = _mm_unpacklo_epi16(lo01, lo23);     /* elements 0-3 */
      v[4 * h + 1] = _mm_unpackhi_epi16(lo01, lo23); /* 4-7 */
      v[4 * h + 2] = _mm_unpacklo_epi16(hi01, hi23); /* 8-11 */
      v[4 * h + 3] = _mm_unpackhi_epi16(hi01, hi23); /* 12-15 */
    }
    uint8_t *o = out + 8 * i;
    for (int k = 0; k < 4; k++) {
      put16(o + 32 * k, _mm_unpacklo_epi32(v[k], v[4 + k]), stream);
      put16(o + 32 * k + 16, _mm_unpackhi_epi32(v[k], v[4 + k]), stream);
    }
  }
  return i;
}

/* Even and odd bytes of the 32 bytes x:y (x first). */
static inline void deint8(__m128i x, __m128i y, __m128i *even, __m128i *odd) {
  __m128i lo = _mm_set1_epi16(0x00ff);
  *even = _mm_packus_epi16(_mm_and_si128(x, lo), _mm_and_si128(y, lo));
  *odd = _mm_packus_epi16(_mm_srli_epi16(x, 8), _mm_srli_epi16(y, 8));
}

static size_t shuffle2_sse2(uint8_t *out, const uint8_t *in, size_t n) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(in + 2 * i));
    __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(in + 2 * i + 16));
    __m128i p0, p1;
    deint8(a, b, &p0, &p1);
    _mm_storeu_si128((__m128i *)(void *)(out + i), p0);
    _mm_storeu_si128((__m128i *)(void *)(out + n + i), p1);
  }
  return i;
}

static size_t shuffle4_sse2(uint8_t *out, const uint8_t *in, size_t n) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m128i v[4], e[2], o[2], p[4];
    for (int k = 0; k < 4; k++) v[k] = _mm_loadu_si128((const __m128i *)(const void *)(in + 4 * i + 16 * (size_t)k));
    deint8(v[0], v[1], &e[0], &o[0]); /* bytes {0,2} / {1,3} of elements 0-7 */
    deint8(v[2], v[3], &e[1], &o[1]); /* elements 8-15 */
    deint8(e[0], e[1], &p[0], &p[2]);
    deint8(o[0], o[1], &p[1], &p[3]);
    for (int k = 0; k < 4; k++) _mm_storeu_si128((__m128i *)(void *)(out + (size_t)k * n + i), p[k]);
  }
  return i;
}

/* 16 elements of 8 bytes (v[0..7], 128 bytes) to their 8 byte planes p[0..7] (16 bytes each). */
static inline void planes8(__m128i p[8], const __m128i v[8]) {
  __m128i e1[4], o1[4], ee[2], eo[2], oe[2], oo[2];
  for (int k = 0; k < 4; k++) deint8(v[2 * k], v[2 * k + 1], &e1[k], &o1[k]); /* {0,2,4,6} / {1,3,5,7} */
  for (int h = 0; h < 2; h++) {
    deint8(e1[2 * h], e1[2 * h + 1], &ee[h], &eo[h]); /* {0,4} / {2,6} */
    deint8(o1[2 * h], o1[2 * h + 1], &oe[h], &oo[h]); /* {1,5} / {3,7} */
  }
  deint8(ee[0], ee[1], &p[0], &p[4]);
  deint8(eo[0], eo[1], &p[2], &p[6]);
  deint8(oe[0], oe[1], &p[1], &p[5]);
  deint8(oo[0], oo[1], &p[3], &p[7]);
}

static size_t shuffle8_sse2(uint8_t *out, const uint8_t *in, size_t n) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m128i v[8], p[8];
    for (int k = 0; k < 8; k++) v[k] = _mm_loadu_si128((const __m128i *)(const void *)(in + 8 * i + 16 * (size_t)k));
    planes8(p, v);
    for (int k = 0; k < 8; k++) _mm_storeu_si128((__m128i *)(void *)(out + (size_t)k * n + i), p[k]);
  }
  return i;
}

#endif

void h5k_shuffle_bytes(uint8_t *out, const uint8_t *in, size_t n, size_t size) {
  size_t done = 0;
  if (size == 1) {
    memcpy(out, in, n);
    return;
  }
#if defined(__SSE2__)
  if (size == 2) done = shuffle2_sse2(out, in, n);
  else if (size == 4) done = shuffle4_sse2(out, in, n);
  else if (size == 8) done = shuffle8_sse2(out, in, n);
#endif
  for (size_t j = 0; j < size; j++) {
    uint8_t *plane = out + j * n;
    for (size_t i = done; i < n; i++) plane[i] = in[i * size + j];
  }
}

void h5k_unshuffle_bytes(uint8_t *out, const uint8_t *in, size_t n, size_t size, int stream) {
  size_t done = 0;
  if (size == 1) {
    memcpy(out, in, n);
    return;
  }
#if defined(__SSE2__)
  stream = stream && ((uintptr_t)out & 15) == 0;
  if (size == 2) done = unshuffle2_sse2(out, in, n, stream);
  else if (size == 4) done = unshuffle4_sse2(out, in, n, stream);
  else if (size == 8) done = unshuffle8_sse2(out, in, n, stream);
  if (stream) _mm_sfence();
#else
  (void)stream;
#endif
  for (size_t j = 0; j < size; j++) {
    const uint8_t *plane = in + j * n;
    for (size_t i = done; i < n; i++) out[i * size + j] = plane[i];
  }
}

static int shuffle_decode(uint8_t **out, size_t *out_len, const uint8_t *in, size_t in_len, const uint32_t *cd,
                          size_t ncd, size_t size_hint, size_t elem_size) {
  size_t size = (ncd >= 1 && cd[0] != 0) ? cd[0] : elem_size;
  uint8_t *buf = malloc(in_len ? in_len : 1);
  size_t n;

  if (!buf) return h5k_err_nomem();
  n = size ? in_len / size : 0;
  if (size <= 1 || n <= 1) {
    if (in_len) memcpy(buf, in, in_len);
  } else {
    h5k_unshuffle_bytes(buf, in, n, size, 0);
    if (in_len > n * size) memcpy(buf + n * size, in + n * size, in_len - n * size);
  }
  *out = buf;
  *out_len = in_len;
  return 0;
}

int h5k_shuffle_decode_into(uint8_t *dst, size_t dst_len, const uint8_t *in, size_t in_len, const uint32_t *cd,
                            size_t ncd, size_t elem_size, unsigned flags) {
  size_t size = (ncd >= 1 && cd[0] != 0) ? cd[0] : elem_size;
  size_t n = size ? in_len / size : 0;
  if (in_len != dst_len) return corrupt("shuffle: %zu bytes in a chunk of %zu", in_len, dst_len);
  if (size <= 1 || n <= 1) {
    if (in_len) memcpy(dst, in, in_len);
  } else {
    h5k_unshuffle_bytes(dst, in, n, size, (flags & H5K_INTO_STREAM) != 0);
    if (in_len > n * size) memcpy(dst + n * size, in + n * size, in_len - n * size);
  }
  return 0;
}

/* Encode: byte planes as in the table above; trailing bytes and chunks of at most one element
 * (or 1-byte elements) are stored as they are, as libhdf5's filter does. */
static int shuffle_encode(uint8_t **out, size_t *out_len, const uint8_t *in, size_t in_len, const uint32_t *cd,
                          size_t ncd, size_t elem_size) {
  size_t size = (ncd >= 1 && cd[0] != 0) ? cd[0] : elem_size;
  uint8_t *buf = malloc(in_len ? in_len : 1);
  size_t n;

  if (!buf) return h5k_err_nomem();
  n = size ? in_len / size : 0;
  if (size <= 1 || n <= 1) {
    if (in_len) memcpy(buf, in, in_len);
  } else {
    h5k_shuffle_bytes(buf, in, n, size);
    if (in_len > n * size) memcpy(buf + n * size, in + n * size, in_len - n * size);
  }
  *out = buf;
  *out_len = in_len;
  return 0;
}

const h5k_filter_class h5k_filter_class_shuffle = {sizeof(h5k_filter_class), H5K_FILTER_SHUFFLE, "shuffle",
                                                   shuffle_decode, shuffle_encode};
