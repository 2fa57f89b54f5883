/* SZIP filter (id 4), both directions, via libaec's SZIP-compatible API (szlib.h).
 *
 * Spec: HDF5 File Format Specification 3.0, IV.A.2.l (Filter Pipeline Message), filter 4 "szip".
 *   cd_values[0]  options mask (SZ_*_OPTION_MASK: entropy coding / nearest neighbour, MSB/LSB,
 *                 raw; the library adds the byte-order and raw bits when it sets up the filter)
 *   cd_values[1]  pixels per block
 *   cd_values[2]  bits per pixel
 *   cd_values[3]  pixels per scanline
 *
 * Chunk layout written by the reference library:
 *   offset  size  field
 *   0       4     uncompressed size, little-endian
 *   4       ...   SZIP (CCSDS 121.0) stream
 *
 * SZ_BufftoBuffDecompress keeps all its state on the stack, so it is safe from many threads. */
#include <stdlib.h>
#include <szlib.h>

#include "filter/codecs.h"
#include "util/error.h"

static int szip_decode(uint8_t **out, size_t *out_len, const uint8_t *in, size_t in_len, const uint32_t *cd,
                       size_t ncd, size_t size_hint, size_t elem_size) {
  h5k_cur c;
  SZ_com_t p;
  size_t want, got;
  uint8_t *buf;
  int r;

  if (ncd < 4) return corrupt("szip: %zu client data values, need 4", ncd);
  /* libaec allocates in proportion to the scanline; libhdf5 never writes more than 4096 pixels
   * per scanline (SZ_MAX_PIXELS_PER_SCANLINE), so a larger value is a hostile file. */
  if (cd[0] > INT32_MAX || cd[1] == 0 || cd[1] > 64 || cd[2] == 0 || cd[2] > 64 || cd[3] == 0 || cd[3] > 4096)
    return corrupt("szip: bad parameters (mask %u, %u pixels per block, %u bits per pixel, %u per scanline)",
                   (unsigned)cd[0], (unsigned)cd[1], (unsigned)cd[2], (unsigned)cd[3]);
  cur_init(&c, in, in_len);
  want = rd_le32(&c);
  if (c.err) return corrupt("szip: chunk of %zu bytes has no size header", in_len);
  if (want > filter_out_cap(size_hint))
    return corrupt("szip: header claims %zu bytes for a chunk of %zu", want, size_hint);
  p.options_mask = (int)cd[0];
  p.pixels_per_block = (int)cd[1];
  p.bits_per_pixel = (int)cd[2];
  p.pixels_per_scanline = (int)cd[3];
  buf = malloc(want ? want : 1);
  if (!buf) return h5k_err_nomem();
  got = want;
  r = SZ_BufftoBuffDecompress(buf, &got, in + 4, in_len - 4, &p);
  if (r != SZ_OK || got != want) {
    free(buf);
    if (r == SZ_MEM_ERROR) return h5k_err_nomem();
    return corrupt("szip: invalid stream (error %d, %zu of %zu bytes decoded)", r, got, want);
  }
  *out = buf;
  *out_len = want;
  return 0;
}

/* Encode: the 4-byte size header, then SZ_BufftoBuffCompress with the stored parameters.
 * libhdf5 gives the compressor an output of the input's size and fails when the data does not
 * fit; we allow some growth (libaec falls back to raw blocks, a little larger than the input), so
 * only impossible parameters fail. */
static int szip_encode(uint8_t **out, size_t *out_len, const uint8_t *in, size_t in_len, const uint32_t *cd,
                       size_t ncd, size_t elem_size) {
  SZ_com_t p;
  size_t cap, got;
  uint8_t *buf;
  int r;
  (void)elem_size;

  if (ncd < 4) return h5k_err(H5K_EINVAL, "szip: %zu client data values, need 4", ncd);
  if (cd[0] > INT32_MAX || cd[1] == 0 || cd[1] > 32 || cd[2] == 0 || cd[2] > 64 || cd[3] == 0 || cd[3] > 4096)
    return h5k_err(H5K_EINVAL, "szip: bad parameters (mask %u, %u pixels per block, %u bits per pixel, %u per scanline)",
                   (unsigned)cd[0], (unsigned)cd[1], (unsigned)cd[2], (unsigned)cd[3]);
  if (in_len > UINT32_MAX) return h5k_err(H5K_ELIMIT, "szip: chunk of %zu bytes (the header holds 32 bits)", in_len);
  p.options_mask = (int)cd[0];
  p.pixels_per_block = (int)cd[1];
  p.bits_per_pixel = (int)cd[2];
  p.pixels_per_scanline = (int)cd[3];
  cap = in_len + in_len / 4 + 1024;
  buf = malloc(4 + cap);
  if (!buf) return h5k_err_nomem();
  for (int k = 0; k < 4; k++) buf[k] = (uint8_t)(in_len >> (8 * k));
  got = cap;
  r = SZ_BufftoBuffCompress(buf + 4, &got, in, in_len, &p);
  if (r != SZ_OK) {
    free(buf);
    if (r == SZ_MEM_ERROR) return h5k_err_nomem();
    return h5k_err(H5K_EINVAL, "szip: compression failed (error %d)", r);
  }
  *out = buf;
  *out_len = got + 4;
  return 0;
}

const h5k_filter_class h5k_filter_class_szip = {sizeof(h5k_filter_class), H5K_FILTER_SZIP, "szip", szip_decode,
                                                szip_encode};
