/* Bitshuffle filter (id 32008), both directions: the bit transpose is ours; its LZ4 and zstd
 * block framing is coded with liblz4 / libzstd.
 *
 * Format: bitshuffle's HDF5 filter (bshuf_h5filter), as shipped by hdf5plugin.
 *   cd_values[0,1]  bitshuffle major/minor version
 *   cd_values[2]    element size in bytes (the datatype size)
 *   cd_values[3]    block size in elements (0: the default, see default_block)
 *   cd_values[4]    compression: 0 none, 2 LZ4, 3 zstd
 *   cd_values[5]    zstd level (write side only)
 *
 * The transform works on blocks of B elements (B a multiple of 8) of s bytes. Within a block,
 * seen as a matrix of B rows by 8*s bits, the stored form is the transpose: row r = 8*j + b
 * (byte j, bit b, b = 0 least significant) holds B/8 bytes, whose byte q bit m is bit b of byte
 * j of element 8q + m. The chunk is cut into floor(n/B) full blocks, then one block of the
 * remaining elements rounded down to a multiple of 8, then the last n mod 8 elements stored as
 * they are.
 *
 * Uncompressed (cd_values[4] = 0): the chunk is exactly those blocks and trailing elements.
 * With compression:
 *   offset  size  field
 *   0       8     uncompressed size in bytes, big-endian
 *   8       4     block size in bytes, big-endian (divided by the element size: elements)
 *   12      ...   per block: 4-byte big-endian compressed size c, then c bytes of LZ4 block or
 *                 zstd frame, which decode to the block's bitshuffled bytes
 *   ...           the trailing n mod 8 elements, stored as they are
 *
 * The transpose is done in two steps: bits back to byte planes (an 8x8 bit transpose per
 * output word, SSE2 on x86-64), then the byte planes back to elements (shuffle.c). With AVX2,
 * 2- and 4-byte elements take both steps in registers, 256 elements at a time, and a large read
 * (H5K_INTO_STREAM) writes them with non-temporal stores.
 *
 * Encoding runs the steps the other way: elements to byte planes (shuffle.c), then each run of
 * 8 plane bytes (elements 8q..8q+7) is transposed as an 8x8 bit matrix and its 8 result bytes go
 * to the 8 bit rows. SSE2/AVX2 transpose 2/4 such words per register; an SSE2 byte
 * de-interleave then gathers byte b of 16 words into row b. As the bitshuffle library writes it,
 * every compressed block is an LZ4 block or zstd frame (never stored raw), the zstd level is
 * cd[5] (0, zstd's default, when absent). */
#include <lz4.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "filter/codecs.h"
#include "filter/filter.h"
#include "util/error.h"

#define BLOCKED_MULT 8
#define TARGET_BLOCK_BYTES 8192
#define MIN_DEFAULT_BLOCK 128
#define MAX_ELEM_SIZE 4096

enum { COMP_NONE = 0, COMP_LZ4 = 2, COMP_ZSTD = 3 };

static size_t default_block(size_t size) {
  size_t b = TARGET_BLOCK_BYTES / size;
  b = b / BLOCKED_MULT * BLOCKED_MULT;
  return b > MIN_DEFAULT_BLOCK ? b : MIN_DEFAULT_BLOCK;
}

/* Transpose an 8x8 bit matrix held as 8 bytes (byte r = row r, bit c = column c). */
static inline uint64_t transpose8(uint64_t x) {
  uint64_t t;
  t = (x ^ (x >> 7)) & 0x00AA00AA00AA00AAULL;
  x = x ^ t ^ (t << 7);
  t = (x ^ (x >> 14)) & 0x0000CCCC0000CCCCULL;
  x = x ^ t ^ (t << 14);
  t = (x ^ (x >> 28)) & 0x00000000F0F0F0F0ULL;
  x = x ^ t ^ (t << 28);
  return x;
}

static inline void store_le64(uint8_t *p, uint64_t v) {
  for (int k = 0; k < 8; k++) p[k] = (uint8_t)(v >> (8 * k));
}

#if defined(__SSE2__)
#include <emmintrin.h>

static inline __m128i transpose8x2(__m128i x) {
  __m128i t;
  t = _mm_and_si128(_mm_xor_si128(x, _mm_srli_epi64(x, 7)), _mm_set1_epi64x(0x00AA00AA00AA00AALL));
  x = _mm_xor_si128(_mm_xor_si128(x, t), _mm_slli_epi64(t, 7));
  t = _mm_and_si128(_mm_xor_si128(x, _mm_srli_epi64(x, 14)), _mm_set1_epi64x(0x0000CCCC0000CCCCLL));
  x = _mm_xor_si128(_mm_xor_si128(x, t), _mm_slli_epi64(t, 14));
  t = _mm_and_si128(_mm_xor_si128(x, _mm_srli_epi64(x, 28)), _mm_set1_epi64x(0x00000000F0F0F0F0LL));
  x = _mm_xor_si128(_mm_xor_si128(x, t), _mm_slli_epi64(t, 28));
  return x;
}

/* 16 columns q..q+15 of the 8 bit rows `rows[b]`: write 128 bytes (one per element) to dst. */
static size_t bits_to_plane_sse2(uint8_t *dst, const uint8_t *const rows[8], size_t nq) {
  size_t q = 0;
  for (; q + 16 <= nq; q += 16) {
    __m128i r[8], a[8], b[8];
    for (int k = 0; k < 8; k++) r[k] = _mm_loadu_si128((const __m128i *)(const void *)(rows[k] + q));
    for (int k = 0; k < 4; k++) {
      a[2 * k] = _mm_unpacklo_epi8(r[2 * k], r[2 * k + 1]);     /* columns 0-7 */
      a[2 * k + 1] = _mm_unpackhi_epi8(r[2 * k], r[2 * k + 1]); /* columns 8-15 */
    }
    for (int h = 0; h < 2; h++) {
      b[4 * h] = _mm_unpacklo_epi16(a[4 * h], a[4 * h + 2]);         /* columns 0-3 */
      b[4 * h + 1] = _mm_unpackhi_epi16(a[4 * h], a[4 * h + 2]);     /* 4-7 */
      b[4 * h + 2] = _mm_unpacklo_epi16(a[4 * h + 1], a[4 * h + 3]); /* 8-11 */
      b[4 * h + 3] = _mm_unpackhi_epi16(a[4 * h + 1], a[4 * h + 3]); /* 12-15 */
    }
    for (int k = 0; k < 4; k++) { /* each 64-bit lane: rows 0..7 of one column */
      __m128i lo = _mm_unpacklo_epi32(b[k], b[4 + k]), hi = _mm_unpackhi_epi32(b[k], b[4 + k]);
      _mm_storeu_si128((__m128i *)(void *)(dst + 8 * (q + 4 * k)), transpose8x2(lo));
      _mm_storeu_si128((__m128i *)(void *)(dst + 8 * (q + 4 * k) + 16), transpose8x2(hi));
    }
  }
  return q;
}
#endif

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_AVX2_PATH 1

__attribute__((target("avx2"))) static inline __m256i transpose8x4(__m256i x) {
  __m256i t;
  t = _mm256_and_si256(_mm256_xor_si256(x, _mm256_srli_epi64(x, 7)), _mm256_set1_epi64x(0x00AA00AA00AA00AALL));
  x = _mm256_xor_si256(_mm256_xor_si256(x, t), _mm256_slli_epi64(t, 7));
  t = _mm256_and_si256(_mm256_xor_si256(x, _mm256_srli_epi64(x, 14)), _mm256_set1_epi64x(0x0000CCCC0000CCCCLL));
  x = _mm256_xor_si256(_mm256_xor_si256(x, t), _mm256_slli_epi64(t, 14));
  t = _mm256_and_si256(_mm256_xor_si256(x, _mm256_srli_epi64(x, 28)), _mm256_set1_epi64x(0x00000000F0F0F0F0LL));
  x = _mm256_xor_si256(_mm256_xor_si256(x, t), _mm256_slli_epi64(t, 28));
  return x;
}

/* The 8 bit rows of one byte plane (row0, rows `nq` bytes apart), columns q..q+31 (row0 already
 * advanced by q), transposed: lane 0 of lo[k] holds that byte of elements 8(q+4k)..+15, lane 0 of
 * hi[k] elements 8(q+4k)+16..+31; lane 1 of each the same for columns q+16+4k (elements
 * 8(q+16+4k)..). As in the SSE2 routine, the unpacks work inside each 128-bit lane. */
__attribute__((target("avx2"))) static inline void plane_cols32_avx2(__m256i lo[4], __m256i hi[4],
                                                                    const uint8_t *row0, size_t nq) {
  __m256i r[8], a[8], b[8];
  for (int k = 0; k < 8; k++) r[k] = _mm256_loadu_si256((const __m256i *)(const void *)(row0 + (size_t)k * nq));
  for (int k = 0; k < 4; k++) {
    a[2 * k] = _mm256_unpacklo_epi8(r[2 * k], r[2 * k + 1]);
    a[2 * k + 1] = _mm256_unpackhi_epi8(r[2 * k], r[2 * k + 1]);
  }
  for (int h = 0; h < 2; h++) {
    b[4 * h] = _mm256_unpacklo_epi16(a[4 * h], a[4 * h + 2]);
    b[4 * h + 1] = _mm256_unpackhi_epi16(a[4 * h], a[4 * h + 2]);
    b[4 * h + 2] = _mm256_unpacklo_epi16(a[4 * h + 1], a[4 * h + 3]);
    b[4 * h + 3] = _mm256_unpackhi_epi16(a[4 * h + 1], a[4 * h + 3]);
  }
  for (int k = 0; k < 4; k++) {
    lo[k] = transpose8x4(_mm256_unpacklo_epi32(b[k], b[4 + k]));
    hi[k] = transpose8x4(_mm256_unpackhi_epi32(b[k], b[4 + k]));
  }
}

/* Two 32-byte output pieces: lane 0 of x and of y go to d0, lane 1 of each to d1; with
 * `stream`, as non-temporal stores (the output is then 16-byte aligned). */
__attribute__((target("avx2"))) static inline void store_lanes(uint8_t *d0, uint8_t *d1, __m256i x, __m256i y,
                                                               int stream) {
  if (stream) {
    _mm_stream_si128((__m128i *)(void *)d0, _mm256_castsi256_si128(x));
    _mm_stream_si128((__m128i *)(void *)(d0 + 16), _mm256_castsi256_si128(y));
    _mm_stream_si128((__m128i *)(void *)d1, _mm256_extracti128_si256(x, 1));
    _mm_stream_si128((__m128i *)(void *)(d1 + 16), _mm256_extracti128_si256(y, 1));
  } else {
    _mm256_storeu_si256((__m256i *)(void *)d0, _mm256_permute2x128_si256(x, y, 0x20));
    _mm256_storeu_si256((__m256i *)(void *)d1, _mm256_permute2x128_si256(x, y, 0x31));
  }
}

/* The SSE2 routine on 32 columns at once: the unpacks work inside each 128-bit lane, so lane 0
 * yields columns q..q+15 exactly as the SSE2 code does and lane 1 columns q+16..q+31. The 8 rows
 * start at row0, `stride` bytes apart. */
__attribute__((target("avx2"))) static size_t bits_to_plane_avx2(uint8_t *dst, const uint8_t *row0, size_t stride,
                                                                 size_t nq) {
  size_t q = 0;
  for (; q + 32 <= nq; q += 32) {
    __m256i lo[4], hi[4];
    plane_cols32_avx2(lo, hi, row0 + q, stride);
    for (int k = 0; k < 4; k++) store_lanes(dst + 8 * (q + 4 * (size_t)k), dst + 8 * (q + 16 + 4 * (size_t)k), lo[k],
                                            hi[k], 0);
  }
  return q;
}

/* Bits straight to elements for 2- and 4-byte elements (the common detector and float types):
 * the byte planes of 256 elements stay in registers and are interleaved into the output at once,
 * instead of going through a scratch plane buffer and a second pass. Returns the columns done. */
__attribute__((target("avx2"))) static size_t bits_to_elems_avx2(uint8_t *out, const uint8_t *in, size_t nq,
                                                                 size_t size, int stream) {
  size_t q = 0;
  if (size == 2) {
    for (; q + 32 <= nq; q += 32) {
      __m256i lo0[4], hi0[4], lo1[4], hi1[4];
      plane_cols32_avx2(lo0, hi0, in + q, nq);
      plane_cols32_avx2(lo1, hi1, in + 8 * nq + q, nq);
      for (int k = 0; k < 4; k++) {
        uint8_t *e0 = out + 2 * 8 * (q + 4 * (size_t)k), *e1 = out + 2 * 8 * (q + 16 + 4 * (size_t)k);
        store_lanes(e0, e1, _mm256_unpacklo_epi8(lo0[k], lo1[k]), _mm256_unpackhi_epi8(lo0[k], lo1[k]), stream);
        store_lanes(e0 + 32, e1 + 32, _mm256_unpacklo_epi8(hi0[k], hi1[k]), _mm256_unpackhi_epi8(hi0[k], hi1[k]),
                    stream);
      }
    }
  } else if (size == 4) {
    for (; q + 32 <= nq; q += 32) {
      __m256i lo[4][4], hi[4][4];
      for (int j = 0; j < 4; j++) plane_cols32_avx2(lo[j], hi[j], in + 8 * (size_t)j * nq + q, nq);
      for (int k = 0; k < 4; k++) {
        for (int h = 0; h < 2; h++) { /* h = 0: elements +0..15 of the column group, 1: +16..31 */
          __m256i p0 = h ? hi[0][k] : lo[0][k], p1 = h ? hi[1][k] : lo[1][k];
          __m256i p2 = h ? hi[2][k] : lo[2][k], p3 = h ? hi[3][k] : lo[3][k];
          __m256i u01l = _mm256_unpacklo_epi8(p0, p1), u01h = _mm256_unpackhi_epi8(p0, p1);
          __m256i u23l = _mm256_unpacklo_epi8(p2, p3), u23h = _mm256_unpackhi_epi8(p2, p3);
          uint8_t *e0 = out + 4 * (8 * (q + 4 * (size_t)k) + 16 * (size_t)h);
          uint8_t *e1 = out + 4 * (8 * (q + 16 + 4 * (size_t)k) + 16 * (size_t)h);
          store_lanes(e0, e1, _mm256_unpacklo_epi16(u01l, u23l), _mm256_unpackhi_epi16(u01l, u23l), stream);
          store_lanes(e0 + 32, e1 + 32, _mm256_unpacklo_epi16(u01h, u23h), _mm256_unpackhi_epi16(u01h, u23h),
                      stream);
        }
      }
    }
  }
  return q;
}
#endif

/* The rows advanced by q columns (into tmp). */
static inline const uint8_t *const *rows_from(const uint8_t *const rows[8], size_t q, const uint8_t *tmp[8]) {
  for (int b = 0; b < 8; b++) tmp[b] = rows[b] + q;
  return tmp;
}

void h5k_bitunshuffle_block(uint8_t *out, const uint8_t *in, size_t n, size_t size, uint8_t *scratch, int stream) {
  size_t stride = n / 8; /* bytes per bit row */
  size_t q0 = 0;         /* columns already turned into elements */
  size_t nq;             /* columns left */
#if defined(HAVE_AVX2_PATH)
  if ((size == 2 || size == 4) && __builtin_cpu_supports("avx2")) {
    q0 = bits_to_elems_avx2(out, in, stride, size, stream && ((uintptr_t)out & 15) == 0);
    out += 8 * q0 * size; /* the rest below, on the remaining elements */
  }
#endif
  nq = stride - q0;
  if (nq == 0) return;
  n = 8 * nq;
  uint8_t *planes = size == 1 ? out : scratch;
  for (size_t j = 0; j < size; j++) {
    const uint8_t *rows[8], *r2[8];
    uint8_t *dst = planes + j * n;
    size_t q = 0;
    for (int b = 0; b < 8; b++) rows[b] = in + (j * 8 + (size_t)b) * stride + q0;
#if defined(HAVE_AVX2_PATH)
    if (__builtin_cpu_supports("avx2")) q = bits_to_plane_avx2(dst, rows[0], stride, nq);
#endif
#if defined(__SSE2__)
    q += bits_to_plane_sse2(dst + 8 * q, rows_from(rows, q, r2), nq - q);
#endif
    for (; q < nq; q++) {
      uint64_t x = 0;
      for (int b = 0; b < 8; b++) x |= (uint64_t)rows[b][q] << (8 * b);
      store_le64(dst + 8 * q, transpose8(x));
    }
  }
  if (size > 1) h5k_unshuffle_bytes(out, scratch, n, size, stream);
}

/* Decode one compressed block of `bytes` bytes into dst; returns 0 or an error. */
static int block_decompress(uint8_t *dst, size_t bytes, h5k_cur *c, int comp, size_t at) {
  uint32_t csize = rd_be32(c);
  const uint8_t *data = c->err ? NULL : rd_ptr(c, csize);
  if (!data) return corrupt("bitshuffle: block at element byte %zu is truncated", at);
  if (comp == COMP_LZ4) {
    int got;
    if (csize > INT32_MAX || bytes > INT32_MAX) return corrupt("bitshuffle: block too large");
    got = LZ4_decompress_safe((const char *)data, (char *)dst, (int)csize, (int)bytes);
    if (got < 0 || (size_t)got != bytes)
      return corrupt("bitshuffle: invalid LZ4 block at byte %zu of output", at);
  } else {
    size_t got = ZSTD_decompress(dst, bytes, data, csize);
    if (ZSTD_isError(got) || got != bytes)
      return corrupt("bitshuffle: invalid zstd block at byte %zu of output%s%s", at, ZSTD_isError(got) ? ": " : "",
                     ZSTD_isError(got) ? ZSTD_getErrorName(got) : "");
  }
  return 0;
}

/* Decode into dst (dst_len bytes, filled exactly) when given, else into a malloc'd *out. */
static int bitshuffle_run(uint8_t **out, size_t *out_len, uint8_t *dst, size_t dst_len, const uint8_t *in,
                          size_t in_len, const uint32_t *cd, size_t ncd, size_t size_hint, size_t elem_size,
                          int stream) {
  size_t size = (ncd >= 3 && cd[2] != 0) ? cd[2] : elem_size;
  int comp = ncd >= 5 ? (int)cd[4] : COMP_NONE;
  size_t total, block, n, nfull, last, tail, pos = 0;
  uint8_t *buf = NULL, *tmp = NULL, *scratch = NULL;
  h5k_cur c;
  int rc = 0;

  if (size == 0 || size > MAX_ELEM_SIZE) return corrupt("bitshuffle: element size %zu", size);
  if (comp != COMP_NONE && comp != COMP_LZ4 && comp != COMP_ZSTD)
    return h5k_err(H5K_EUNSUPPORTED, "bitshuffle: unknown compression %d", comp);
  cur_init(&c, in, in_len);
  if (comp == COMP_NONE) {
    total = in_len;
    block = (ncd >= 4 && cd[3] != 0) ? cd[3] : default_block(size);
  } else {
    uint64_t t = rd_be64(&c);
    uint32_t bbytes = rd_be32(&c);
    if (c.err) return corrupt("bitshuffle: chunk of %zu bytes has no header", in_len);
    if (t > filter_out_cap(size_hint))
      return corrupt("bitshuffle: header claims %llu bytes for a chunk of %zu", (unsigned long long)t, size_hint);
    total = (size_t)t;
    block = bbytes / size;
    if (bbytes % size) return corrupt("bitshuffle: block of %u bytes is not whole elements", (unsigned)bbytes);
  }
  if (total % size) return corrupt("bitshuffle: %zu bytes is not a whole number of %zu-byte elements", total, size);
  if (block == 0 || block % BLOCKED_MULT)
    return corrupt("bitshuffle: block size %zu elements is not a positive multiple of 8", block);
  if (block > filter_out_cap(size_hint) / size)
    return corrupt("bitshuffle: block of %zu elements exceeds the chunk", block);
  n = total / size;
  nfull = n / block;
  last = n % block - n % BLOCKED_MULT;
  tail = n % BLOCKED_MULT;

  if (dst && total != dst_len) return corrupt("bitshuffle: chunk decodes to %zu bytes, expected %zu", total, dst_len);
  buf = dst ? dst : malloc(total ? total : 1);
  scratch = malloc(block * size);
  if (comp != COMP_NONE) tmp = malloc(block * size);
  if (!buf || !scratch || (comp != COMP_NONE && !tmp)) {
    rc = h5k_err_nomem();
    goto done;
  }
  for (size_t k = 0; k <= nfull; k++) {
    size_t cnt = k < nfull ? block : last, bytes = cnt * size;
    const uint8_t *src;
    if (cnt == 0) break;
    if (comp == COMP_NONE) {
      src = rd_ptr(&c, bytes);
      if (!src) {
        rc = corrupt("bitshuffle: data truncated at byte %zu", pos);
        goto done;
      }
    } else {
      rc = block_decompress(tmp, bytes, &c, comp, pos);
      if (rc < 0) goto done;
      src = tmp;
    }
    h5k_bitunshuffle_block(buf + pos, src, cnt, size, scratch, stream);
    pos += bytes;
  }
  if (tail) {
    const uint8_t *src = rd_ptr(&c, tail * size);
    if (!src) {
      rc = corrupt("bitshuffle: trailing %zu elements truncated", tail);
      goto done;
    }
    memcpy(buf + pos, src, tail * size);
    pos += tail * size;
  }
  if (!dst) {
    *out = buf;
    *out_len = total;
  }
  buf = NULL;

done:
#if defined(__SSE2__)
  if (stream) _mm_sfence(); /* the non-temporal stores are visible before the caller reports the chunk */
#endif
  if (!dst) free(buf);
  free(tmp);
  free(scratch);
  return rc;
}

static int bitshuffle_decode(uint8_t **out, size_t *out_len, const uint8_t *in, size_t in_len, const uint32_t *cd,
                             size_t ncd, size_t size_hint, size_t elem_size) {
  return bitshuffle_run(out, out_len, NULL, 0, in, in_len, cd, ncd, size_hint, elem_size, 0);
}

int h5k_bitshuffle_decode_into(uint8_t *dst, size_t dst_len, const uint8_t *in, size_t in_len, const uint32_t *cd,
                               size_t ncd, size_t elem_size, unsigned flags) {
  return bitshuffle_run(NULL, NULL, dst, dst_len, in, in_len, cd, ncd, dst_len, elem_size,
                        (flags & H5K_INTO_STREAM) != 0);
}

/* ---- encoding ---- */

#if defined(__SSE2__)
static inline void deint8(__m128i x, __m128i y, __m128i *even, __m128i *odd) {
  __m128i lo = _mm_set1_epi16(0x00ff);
  *even = _mm_packus_epi16(_mm_and_si128(x, lo), _mm_and_si128(y, lo));
  *odd = _mm_packus_epi16(_mm_srli_epi16(x, 8), _mm_srli_epi16(y, 8));
}

/* 16 transposed words (v[0..7], two per register) to the 8 rows: row b gets byte b of each. */
static inline void store_rows(uint8_t *const rows[8], size_t q, const __m128i v[8]) {
  __m128i e1[4], o1[4], ee[2], eo[2], oe[2], oo[2], p[8];
  for (int k = 0; k < 4; k++) deint8(v[2 * k], v[2 * k + 1], &e1[k], &o1[k]);
  for (int h = 0; h < 2; h++) {
    deint8(e1[2 * h], e1[2 * h + 1], &ee[h], &eo[h]);
    deint8(o1[2 * h], o1[2 * h + 1], &oe[h], &oo[h]);
  }
  deint8(ee[0], ee[1], &p[0], &p[4]);
  deint8(eo[0], eo[1], &p[2], &p[6]);
  deint8(oe[0], oe[1], &p[1], &p[5]);
  deint8(oo[0], oo[1], &p[3], &p[7]);
  for (int b = 0; b < 8; b++) _mm_storeu_si128((__m128i *)(void *)(rows[b] + q), p[b]);
}

static size_t plane_to_bits_sse2(uint8_t *const rows[8], const uint8_t *plane, size_t nq) {
  size_t q = 0;
  for (; q + 16 <= nq; q += 16) {
    __m128i v[8];
    for (int k = 0; k < 8; k++)
      v[k] = transpose8x2(_mm_loadu_si128((const __m128i *)(const void *)(plane + 8 * q + 16 * (size_t)k)));
    store_rows(rows, q, v);
  }
  return q;
}
#endif

#if defined(HAVE_AVX2_PATH)
/* The same, with the bit transposes four words at a time. */
__attribute__((target("avx2"))) static size_t plane_to_bits_avx2(uint8_t *const rows[8], const uint8_t *plane,
                                                                 size_t nq) {
  size_t q = 0;
  for (; q + 16 <= nq; q += 16) {
    __m128i v[8];
    for (int k = 0; k < 4; k++) {
      __m256i t = transpose8x4(_mm256_loadu_si256((const __m256i *)(const void *)(plane + 8 * q + 32 * (size_t)k)));
      v[2 * k] = _mm256_castsi256_si128(t);
      v[2 * k + 1] = _mm256_extracti128_si256(t, 1);
    }
    store_rows(rows, q, v);
  }
  return q;
}

/* Byte planes of 16 elements of `size` (2 or 4) bytes at src: p[j] = byte j of each, in order. */
static inline __attribute__((always_inline)) void planes16(__m128i p[4], const uint8_t *src, size_t size) {
  __m128i v[4], e[2], o[2];
  for (size_t k = 0; k < size; k++) v[k] = _mm_loadu_si128((const __m128i *)(const void *)(src + 16 * k));
  if (size == 2) {
    deint8(v[0], v[1], &p[0], &p[1]);
    return;
  }
  deint8(v[0], v[1], &e[0], &o[0]); /* bytes {0,2} / {1,3} of elements 0-7 */
  deint8(v[2], v[3], &e[1], &o[1]); /* elements 8-15 */
  deint8(e[0], e[1], &p[0], &p[2]);
  deint8(o[0], o[1], &p[1], &p[3]);
}

__attribute__((target("avx2"))) static inline void deint8_256(__m256i x, __m256i y, __m256i *even, __m256i *odd) {
  __m256i lo = _mm256_set1_epi16(0x00ff);
  *even = _mm256_packus_epi16(_mm256_and_si256(x, lo), _mm256_and_si256(y, lo));
  *odd = _mm256_packus_epi16(_mm256_srli_epi16(x, 8), _mm256_srli_epi16(y, 8));
}

/* store_rows on two sets of 16 words at once, one per 128-bit lane (packus works inside lanes):
 * lane 0 of v[k] holds words q+2k, q+2k+1, lane 1 words q+16+2k, q+16+2k+1, so row b receives
 * its 32 bytes q..q+31 in order. Rows start at row0, `stride` bytes apart. */
__attribute__((target("avx2"))) static inline void store_rows32(uint8_t *row0, size_t stride, size_t q,
                                                                const __m256i v[8]) {
  __m256i e1[4], o1[4], ee[2], eo[2], oe[2], oo[2], p[8];
  for (int k = 0; k < 4; k++) deint8_256(v[2 * k], v[2 * k + 1], &e1[k], &o1[k]);
  for (int h = 0; h < 2; h++) {
    deint8_256(e1[2 * h], e1[2 * h + 1], &ee[h], &eo[h]);
    deint8_256(o1[2 * h], o1[2 * h + 1], &oe[h], &oo[h]);
  }
  deint8_256(ee[0], ee[1], &p[0], &p[4]);
  deint8_256(eo[0], eo[1], &p[2], &p[6]);
  deint8_256(oe[0], oe[1], &p[1], &p[5]);
  deint8_256(oo[0], oo[1], &p[3], &p[7]);
  for (int b = 0; b < 8; b++) _mm256_storeu_si256((__m256i *)(void *)(row0 + (size_t)b * stride + q), p[b]);
}

/* Elements straight to bit rows for 2- and 4-byte elements, 256 elements (32 columns) at a time:
 * the inverse of bits_to_elems_avx2, with the byte planes kept in registers. Rows are `nq` bytes
 * apart. Returns the columns done. */
__attribute__((target("avx2"), always_inline)) static inline size_t elems_to_bits_n(uint8_t *out, const uint8_t *in,
                                                                                   size_t nq, size_t size) {
  size_t q = 0;
  for (; q + 32 <= nq; q += 32) {
    const uint8_t *e = in + 8 * q * size;
    __m256i v[4][8];
    for (int k = 0; k < 8; k++) {
      __m128i a[4], b[4];
      planes16(a, e + 16 * (size_t)k * size, size);       /* words q+2k, q+2k+1 of each plane */
      planes16(b, e + 16 * (size_t)(k + 8) * size, size); /* words q+16+2k, q+16+2k+1 */
      for (size_t j = 0; j < size; j++)
        v[j][k] = transpose8x4(_mm256_inserti128_si256(_mm256_castsi128_si256(a[j]), b[j], 1));
    }
    for (size_t j = 0; j < size; j++) store_rows32(out + 8 * j * nq, nq, q, v[j]);
  }
  return q;
}

/* elems_to_bits_n compiled for each size, so that the planes stay in registers. */
__attribute__((target("avx2"))) static size_t elems_to_bits_avx2(uint8_t *out, const uint8_t *in, size_t nq,
                                                                 size_t size) {
  return size == 2 ? elems_to_bits_n(out, in, nq, 2) : elems_to_bits_n(out, in, nq, 4);
}

#endif

static inline uint64_t load_le64(const uint8_t *p) {
  uint64_t v = 0;
  for (int k = 0; k < 8; k++) v |= (uint64_t)p[k] << (8 * k);
  return v;
}

void h5k_bitshuffle_block(uint8_t *out, const uint8_t *in, size_t n, size_t size, uint8_t *scratch) {
  size_t stride = n / 8; /* bytes per bit row */
  size_t q0 = 0;         /* columns already done */
  size_t nq;             /* columns left */
  const uint8_t *planes;
#if defined(HAVE_AVX2_PATH)
  if ((size == 2 || size == 4) && __builtin_cpu_supports("avx2")) {
    q0 = elems_to_bits_avx2(out, in, stride, size);
    in += 8 * q0 * size; /* the rest below, on the remaining elements */
  }
#endif
  nq = stride - q0;
  if (nq == 0) return;
  n = 8 * nq;
  planes = in;
  if (size > 1) {
    h5k_shuffle_bytes(scratch, in, n, size);
    planes = scratch;
  }
  for (size_t j = 0; j < size; j++) {
    const uint8_t *plane = planes + j * n;
    uint8_t *rows[8];
    size_t q = 0;
    for (int b = 0; b < 8; b++) rows[b] = out + (j * 8 + (size_t)b) * stride + q0;
#if defined(HAVE_AVX2_PATH)
    if (__builtin_cpu_supports("avx2")) q = plane_to_bits_avx2(rows, plane, nq);
#endif
#if defined(__SSE2__)
    if (q == 0) q = plane_to_bits_sse2(rows, plane, nq);
#endif
    for (; q < nq; q++) {
      uint64_t y = transpose8(load_le64(plane + 8 * q));
      for (int b = 0; b < 8; b++) rows[b][q] = (uint8_t)(y >> (8 * b));
    }
  }
}

static int bitshuffle_encode(uint8_t **out, size_t *out_len, const uint8_t *in, size_t in_len, const uint32_t *cd,
                             size_t ncd, size_t elem_size) {
  size_t size = (ncd >= 3 && cd[2] != 0) ? cd[2] : elem_size;
  int comp = ncd >= 5 ? (int)cd[4] : COMP_NONE;
  int level = ncd >= 6 ? (int)cd[5] : 0;
  size_t block, n, nfull, last, tail, cap, pos = 0, src_pos = 0, bound;
  uint8_t *buf = NULL, *tmp = NULL, *scratch = NULL;
  int rc = 0;

  if (size == 0 || size > MAX_ELEM_SIZE) return h5k_err(H5K_EINVAL, "bitshuffle: element size %zu", size);
  if (comp != COMP_NONE && comp != COMP_LZ4 && comp != COMP_ZSTD)
    return h5k_err(H5K_EUNSUPPORTED, "bitshuffle: unknown compression %d", comp);
  if (in_len % size) return h5k_err(H5K_EINVAL, "bitshuffle: %zu bytes is not whole %zu-byte elements", in_len, size);
  block = (ncd >= 4 && cd[3] != 0) ? cd[3] : default_block(size);
  if (block % BLOCKED_MULT) return h5k_err(H5K_EINVAL, "bitshuffle: block size %zu is not a multiple of 8", block);
  if (block > UINT32_MAX / size) return h5k_err(H5K_ELIMIT, "bitshuffle: block of %zu elements", block);
  n = in_len / size;
  nfull = n / block;
  last = n % block - n % BLOCKED_MULT;
  tail = n % BLOCKED_MULT;

  if (comp == COMP_NONE) {
    cap = in_len;
    bound = 0;
  } else {
    size_t bb = block * size;
    if (comp == COMP_LZ4) {
      if (bb > (size_t)LZ4_MAX_INPUT_SIZE) return h5k_err(H5K_ELIMIT, "bitshuffle: block too large for LZ4");
      bound = (size_t)LZ4_compressBound((int)bb);
    } else {
      bound = ZSTD_compressBound(bb);
    }
    cap = 12 + (nfull + 1) * (4 + bound) + tail * size;
  }
  buf = malloc(cap ? cap : 1);
  scratch = malloc(block * size);
  if (comp != COMP_NONE) tmp = malloc(block * size);
  if (!buf || !scratch || (comp != COMP_NONE && !tmp)) {
    rc = h5k_err_nomem();
    goto done;
  }
  if (comp != COMP_NONE) {
    put_be64(buf, in_len);
    put_be32(buf + 8, (uint32_t)(block * size));
    pos = 12;
  }
  for (size_t k = 0; k <= nfull; k++) {
    size_t cnt = k < nfull ? block : last, bytes = cnt * size;
    if (cnt == 0) break;
    if (comp == COMP_NONE) {
      h5k_bitshuffle_block(buf + pos, in + src_pos, cnt, size, scratch);
      pos += bytes;
    } else {
      size_t c;
      h5k_bitshuffle_block(tmp, in + src_pos, cnt, size, scratch);
      if (comp == COMP_LZ4) {
        int r = LZ4_compress_default((const char *)tmp, (char *)(buf + pos + 4), (int)bytes, (int)bound);
        if (r <= 0) {
          rc = h5k_err(H5K_EINVAL, "bitshuffle: LZ4 compression failed");
          goto done;
        }
        c = (size_t)r;
      } else {
        c = ZSTD_compress(buf + pos + 4, bound, tmp, bytes, level);
        if (ZSTD_isError(c)) {
          rc = h5k_err(H5K_EINVAL, "bitshuffle: zstd: %s", ZSTD_getErrorName(c));
          goto done;
        }
      }
      put_be32(buf + pos, (uint32_t)c);
      pos += 4 + c;
    }
    src_pos += bytes;
  }
  if (tail) {
    memcpy(buf + pos, in + src_pos, tail * size);
    pos += tail * size;
  }
  *out = buf;
  *out_len = pos;
  buf = NULL;

done:
  free(buf);
  free(tmp);
  free(scratch);
  return rc;
}

const h5k_filter_class h5k_filter_class_bitshuffle = {sizeof(h5k_filter_class), H5K_FILTER_BITSHUFFLE,
                                                      "bitshuffle", bitshuffle_decode, bitshuffle_encode};
