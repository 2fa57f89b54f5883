/* Blosc filter (id 32001), both directions, via c-blosc 1.x.
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

/* Encode as the hdf5-blosc filter does: typesize cd[2] (the element size when absent or 0;
 * blosc takes at most 255), clevel cd[4] (default 5), shuffle cd[5] (default 1), compressor
 * cd[6] (default 0, blosclz). The plugin selects the compressor with blosc_set_compressor, a
 * global; we pass it to blosc_compress_ctx with one internal thread instead, which uses no
 * global state. The output may hold BLOSC_MAX_OVERHEAD more bytes than the input, so the call
 * always succeeds (blosc stores incompressible data as a copy). */
static int blosc_encode(uint8_t **out, size_t *out_len, const uint8_t *in, size_t in_len, const uint32_t *cd,
                        size_t ncd, size_t elem_size) {
  size_t typesize = (ncd >= 3 && cd[2] != 0) ? cd[2] : elem_size;
  int clevel = ncd >= 5 ? (int)cd[4] : 5;
  int doshuffle = ncd >= 6 ? (int)cd[5] : 1;
  int compcode = ncd >= 7 ? (int)cd[6] : 0;
  const char *compname = NULL;
  uint8_t *buf;
  int got;

  if (typesize == 0 || typesize > BLOSC_MAX_TYPESIZE) typesize = 1;
  if (clevel < 0 || clevel > 9 || doshuffle < 0 || doshuffle > 2)
    return h5k_err(H5K_EINVAL, "blosc: clevel %d, shuffle %d", clevel, doshuffle);
  if (blosc_compcode_to_compname(compcode, &compname) < 0 || !compname)
    return h5k_err(H5K_EUNSUPPORTED, "blosc: compressor %d is not available", compcode);
  if (in_len > BLOSC_MAX_BUFFERSIZE) return h5k_err(H5K_ELIMIT, "blosc: chunk of %zu bytes is too large", in_len);
  buf = malloc(in_len + BLOSC_MAX_OVERHEAD);
  if (!buf) return h5k_err_nomem();
  got = blosc_compress_ctx(clevel, doshuffle, typesize, in_len, in, buf, in_len + BLOSC_MAX_OVERHEAD, compname, 0, 1);
  if (got <= 0) {
    free(buf);
    return h5k_err(H5K_EINVAL, "blosc: compression failed (%d)", got);
  }
  *out = buf;
  *out_len = (size_t)got;
  return 0;
}

const h5k_filter_class h5k_filter_class_blosc = {sizeof(h5k_filter_class), H5K_FILTER_BLOSC, "blosc",
                                                 blosc_decode, blosc_encode};
