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
 * Inside the stream (as libaec's SZIP layer writes it): 32- and 64-bit pixels are coded as
 * 8-bit samples, the chunk split into 4 or 8 byte planes (byte j of pixel i at j * n + i); when
 * the scanline is no whole number of blocks, every scanline is followed by padding up to one.
 *
 * SZ_BufftoBuffDecompress keeps its state on the stack or in its own allocations, so it is safe
 * from many threads. */
#include <stdlib.h>
#include <string.h>
#include <szlib.h>

#include "filter/codecs.h"
#include "util/checked.h"
#include "util/error.h"

/* libaec's SZ_BufftoBuffDecompress has two paths that use a buffer of its own: scanlines whose
 * pixel count is not a multiple of the block (it decodes padded lines, then removes the padding)
 * and 32/64-bit pixels (decoded as byte planes, then interleaved back). On the padding path it
 * reports the full size even when the stream ended early, and hands back the rest of its buffer
 * uninitialised (fuzz finding, docs/fuzzing.md); on the planes path a size that is no whole
 * number of pixels leaves the tail unwritten. So it is only ever called on its direct path,
 * where the size it reports is what libaec decoded: with 32/64-bit pixels given as 8-bit
 * samples and the scanline given padded to whole blocks, which is the same stream (same sample
 * size, block size, reference sample interval and flags). The padding and the byte planes are
 * undone here, from the bytes actually decoded. */
static int szip_decode(uint8_t **out, size_t *out_len, const uint8_t *in, size_t in_len, const uint32_t *cd,
                       size_t ncd, size_t size_hint, size_t elem_size) {
  h5k_cur c;
  SZ_com_t p;
  size_t want, got, psize, wordsize, line, padded, lines, need;
  unsigned bits, rsi;
  uint8_t *buf = NULL, *tmp = NULL;
  int r, rc = 0;

  if (ncd < 4) return corrupt("szip: %zu client data values, need 4", ncd);
  /* libaec allocates in proportion to the scanline; libhdf5 never writes more than 4096 pixels
   * per scanline (SZ_MAX_PIXELS_PER_SCANLINE), so a larger value is a hostile file. */
  if (cd[0] > INT32_MAX || cd[1] == 0 || cd[1] > 64 || cd[2] == 0 || cd[2] > 64 || cd[3] == 0 || cd[3] > 4096)
    return corrupt("szip: bad parameters (mask %u, %u pixels per block, %u bits per pixel, %u per scanline)",
                   (unsigned)cd[0], (unsigned)cd[1], (unsigned)cd[2], (unsigned)cd[3]);
  /* An odd block makes libaec 1.0.6's decoder write past its reference-sample buffer (fuzz
   * finding, docs/fuzzing.md). SZIP blocks are even (H5Pset_szip requires it; libaec encodes
   * 8, 16, 32 or 64). */
  if (cd[1] & 1) return corrupt("szip: %u pixels per block (must be even)", (unsigned)cd[1]);
  /* libaec codes samples of 1-32 bits; 32- and 64-bit pixels go as 4 or 8 byte planes. */
  wordsize = (cd[2] == 32 || cd[2] == 64) ? cd[2] / 8 : 1;
  bits = wordsize > 1 ? 8 : (unsigned)cd[2];
  if (bits > 32) return corrupt("szip: %u bits per pixel cannot be decoded", (unsigned)cd[2]);
  psize = bits > 16 ? 4 : bits > 8 ? 2 : 1;
  rsi = ((unsigned)cd[3] + (unsigned)cd[1] - 1) / (unsigned)cd[1];
  line = (size_t)cd[3] * psize;              /* <= 16 KiB */
  padded = (size_t)rsi * cd[1] * psize;      /* <= 16.6 KiB */

  cur_init(&c, in, in_len);
  want = rd_le32(&c);
  if (c.err) return corrupt("szip: chunk of %zu bytes has no size header", in_len);
  if (want > filter_out_cap(size_hint))
    return corrupt("szip: header claims %zu bytes for a chunk of %zu", want, size_hint);
  if (want % wordsize != 0)
    return corrupt("szip: %zu bytes is not a whole number of %u-bit pixels", want, (unsigned)cd[2]);
  lines = want / line + (want % line != 0);
  if (ck_mulsz(lines, padded, &need)) return corrupt("szip: %zu bytes in %zu scanlines overflow", want, lines);

  p.options_mask = (int)cd[0];
  p.pixels_per_block = (int)cd[1];
  p.bits_per_pixel = (int)bits;
  p.pixels_per_scanline = (int)(rsi * cd[1]);
  buf = malloc(want ? want : 1);
  if (!buf) return h5k_err_nomem();
  if (wordsize == 1 && padded == line && want % psize == 0) { /* the common case: straight into buf */
    got = want;
    r = SZ_BufftoBuffDecompress(buf, &got, in + 4, in_len - 4, &p);
    if (r == SZ_OK && got != want) {
      rc = corrupt("szip: stream ends after %zu of %zu bytes", got, want);
      goto done;
    }
  } else {
    size_t real;
    tmp = malloc(need ? need : 1);
    if (!tmp) {
      rc = h5k_err_nomem();
      goto done;
    }
    got = need;
    r = SZ_BufftoBuffDecompress(tmp, &got, in + 4, in_len - 4, &p);
    /* bytes of real pixels among the `got` decoded (each scanline is followed by its padding) */
    real = got / padded * line + (got % padded < line ? got % padded : line);
    if (r == SZ_OK && (got > need || real < want)) {
      rc = corrupt("szip: stream ends after %zu of %zu bytes", got > need ? want : real, want);
      goto done;
    }
    if (r == SZ_OK) {
      size_t n = want / wordsize;
      uint8_t *dst = wordsize > 1 ? tmp : buf;
      /* drop the padding (in place when the planes still need interleaving) */
      for (size_t i = 0, off = 0; off < want; i++) {
        size_t k = want - off < line ? want - off : line;
        memmove(dst + off, tmp + i * padded, k);
        off += k;
      }
      /* byte planes: byte j of pixel i is at j * n + i */
      for (size_t i = 0; wordsize > 1 && i < n; i++)
        for (size_t j = 0; j < wordsize; j++) buf[i * wordsize + j] = tmp[j * n + i];
    }
  }
  if (r != SZ_OK) {
    rc = r == SZ_MEM_ERROR ? h5k_err_nomem() : corrupt("szip: invalid stream (error %d)", r);
    goto done;
  }
  *out = buf;
  *out_len = want;
  buf = NULL;
done:
  free(tmp);
  free(buf);
  return rc;
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
