/* Deflate filter (id 1), both directions.
 *
 * Spec: HDF5 File Format Specification 3.0, IV.A.2.l (Filter Pipeline Message), filter 1
 * "deflate": the chunk is one zlib stream (RFC 1950 wrapper around RFC 1951 deflate data).
 * cd_values[0] is the compression level, irrelevant on read.
 *
 *   offset  size  field
 *   0       2     zlib header (CMF, FLG)
 *   2       ...   deflate blocks
 *   end-4   4     Adler-32 of the output, big-endian
 *   (bytes after the stream's end are ignored, as zlib's inflate does)
 *
 * Backend: libdeflate. It measured faster than ISA-L's isal_inflate on realistic chunks
 * (512x512 uint16 Poisson(0.6) frames, h5py gzip level 4: about 1.3x, with or without
 * shuffle; bench/codec_speed.c). libdeflate decodes into a fixed buffer, so the output is
 * sized from the chunk size and grown (up to the cap) only when a stage yields more. */
#include <libdeflate.h>
#include <stdlib.h>

#include "filter/codecs.h"
#include "util/error.h"

static int deflate_decode(uint8_t **out, size_t *out_len, const uint8_t *in, size_t in_len, const uint32_t *cd,
                          size_t ncd, size_t size_hint, size_t elem_size) {
  size_t cap = filter_out_cap(size_hint);
  size_t size = size_hint ? size_hint : 4096;
  struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
  uint8_t *buf = NULL;
  int rc = 0;

  if (!d) return h5k_err_nomem();
  if (size > cap) size = cap;
  for (;;) {
    size_t got = 0, used = 0;
    enum libdeflate_result r;
    /* Each attempt inflates from the start, so the old buffer's content is not needed. */
    free(buf);
    buf = malloc(size ? size : 1);
    if (!buf) {
      rc = h5k_err_nomem();
      goto done;
    }
    r = libdeflate_zlib_decompress_ex(d, in, in_len, buf, size, &used, &got);
    if (r == LIBDEFLATE_SUCCESS) {
      *out = buf;
      *out_len = got;
      buf = NULL;
      goto done;
    }
    if (r != LIBDEFLATE_INSUFFICIENT_SPACE) {
      rc = corrupt("invalid or truncated zlib stream (%zu bytes)", in_len);
      goto done;
    }
    if (size >= cap) {
      rc = h5k_err(H5K_ELIMIT, "zlib stream inflates to more than %zu bytes", cap);
      goto done;
    }
    size = size > cap / 2 ? cap : size * 2;
  }

done:
  free(buf);
  libdeflate_free_decompressor(d);
  return rc;
}

int h5k_deflate_decode_into(uint8_t *dst, size_t dst_len, const uint8_t *in, size_t in_len, const uint32_t *cd,
                            size_t ncd, size_t elem_size, unsigned flags) {
  struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
  size_t got = 0, used = 0;
  enum libdeflate_result r;
  (void)flags; /* libdeflate does its own stores */
  (void)cd;
  (void)ncd;
  (void)elem_size;
  if (!d) return h5k_err_nomem();
  r = libdeflate_zlib_decompress_ex(d, in, in_len, dst, dst_len, &used, &got);
  libdeflate_free_decompressor(d);
  if (r == LIBDEFLATE_INSUFFICIENT_SPACE) return corrupt("zlib stream inflates to more than the chunk's %zu bytes", dst_len);
  if (r != LIBDEFLATE_SUCCESS) return corrupt("invalid or truncated zlib stream (%zu bytes)", in_len);
  if (got != dst_len) return corrupt("chunk decodes to %zu bytes, expected %zu", got, dst_len);
  return 0;
}

/* Encode: one zlib stream at level cd[0] (0-9; 6 when no value is given), written with
 * libdeflate. Its streams are standard zlib streams (any inflater, libhdf5's zlib included,
 * reads them), though in general not byte-identical to zlib's at the same level (stored blocks
 * of incompressible data are). Like libhdf5's filter, it always succeeds: data that does not
 * shrink gives a stream slightly larger than the input. */
static int deflate_encode(uint8_t **out, size_t *out_len, const uint8_t *in, size_t in_len, const uint32_t *cd,
                          size_t ncd, size_t elem_size) {
  unsigned level = ncd >= 1 ? cd[0] : 6;
  struct libdeflate_compressor *c;
  size_t bound, got;
  uint8_t *buf;
  (void)elem_size;

  if (level > 9) return h5k_err(H5K_EINVAL, "deflate: level %u (0-9)", level);
  c = libdeflate_alloc_compressor((int)level);
  if (!c) return h5k_err_nomem();
  bound = libdeflate_zlib_compress_bound(c, in_len);
  buf = malloc(bound ? bound : 1);
  if (!buf) {
    libdeflate_free_compressor(c);
    return h5k_err_nomem();
  }
  got = libdeflate_zlib_compress(c, in, in_len, buf, bound);
  libdeflate_free_compressor(c);
  if (got == 0) {
    free(buf);
    return h5k_err(H5K_ELIMIT, "deflate: %zu bytes do not fit the compression bound", in_len);
  }
  *out = buf;
  *out_len = got;
  return 0;
}

const h5k_filter_class h5k_filter_class_deflate = {sizeof(h5k_filter_class), H5K_FILTER_DEFLATE, "deflate",
                                                   deflate_decode, deflate_encode};
