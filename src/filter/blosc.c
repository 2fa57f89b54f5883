/* Blosc filter (id 32001), decode side, via c-blosc 1.x.
 *
 * Format: the HDF5 Blosc filter (hdf5-blosc, also shipped by hdf5plugin). The chunk is one
 * Blosc frame, which carries its own header (version, flags, typesize, nbytes, blocksize,
 * cbytes). cd_values, for reference only (the frame header is authoritative):
 *   [0] filter revision  [1] blosc version  [2] typesize  [3] chunk size in bytes
 *   [4] clevel           [5] shuffle (0 none, 1 byte, 2 bit)  [6] compressor code
 *
 * blosc_cbuffer_validate checks the header against the buffer length before anything is
 * decoded; blosc_decompress_ctx with one internal thread uses no global state. */
#include <blosc.h>
#include <stdlib.h>

#include "filter/codecs.h"
#include "util/error.h"

static int blosc_decode(uint8_t **out, size_t *out_len, const uint8_t *in, size_t in_len, const uint32_t *cd,
                        size_t ncd, size_t size_hint, size_t elem_size) {
  size_t nbytes = 0;
  uint8_t *buf;
  int got;

  if (in_len < BLOSC_MIN_HEADER_LENGTH || blosc_cbuffer_validate(in, in_len, &nbytes) != 0)
    return corrupt("blosc: invalid frame header (%zu bytes)", in_len);
  if (nbytes > filter_out_cap(size_hint) || nbytes > INT32_MAX)
    return corrupt("blosc: frame claims %zu bytes for a chunk of %zu", nbytes, size_hint);
  buf = malloc(nbytes ? nbytes : 1);
  if (!buf) return h5k_err_nomem();
  got = nbytes ? blosc_decompress_ctx(in, buf, nbytes, 1) : 0;
  if (got < 0 || (size_t)got != nbytes) {
    free(buf);
    return corrupt("blosc: invalid compressed data (error %d)", got);
  }
  *out = buf;
  *out_len = nbytes;
  return 0;
}

const h5k_filter_class h5k_filter_class_blosc = {sizeof(h5k_filter_class), H5K_FILTER_BLOSC, "blosc",
                                                 blosc_decode};
