/* Zstandard filter (id 32015), both directions, via libzstd.
 *
 * Format: the HDF5 Zstandard filter (registered id 32015, shipped by hdf5plugin). The chunk is
 * one or more zstd frames (RFC 8878); cd_values[0], when present, is the compression level.
 * The writer records the content size in the frame header, and writes one frame. The output
 * buffer is sized from the first frame's content size (or the chunk size when the frame does not
 * record it); if the data turns out larger (several frames, or no size recorded) we retry once
 * with a buffer of the cap. */
#include <stdlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "filter/codecs.h"
#include "util/error.h"

static int zstd_decode(uint8_t **out, size_t *out_len, const uint8_t *in, size_t in_len, const uint32_t *cd,
                       size_t ncd, size_t size_hint, size_t elem_size) {
  size_t cap = filter_out_cap(size_hint);
  unsigned long long content = ZSTD_getFrameContentSize(in, in_len);
  size_t size;
  uint8_t *buf = NULL;
  int rc = 0;

  if (content == ZSTD_CONTENTSIZE_ERROR) return corrupt("zstd: invalid frame (%zu bytes)", in_len);
  if (content != ZSTD_CONTENTSIZE_UNKNOWN) {
    if (content > cap) return corrupt("zstd: frame claims %llu bytes for a chunk of %zu", content, size_hint);
    size = (size_t)content;
  } else {
    size = size_hint;
  }
  for (;;) {
    size_t r;
    uint8_t *nb = realloc(buf, size ? size : 1);
    if (!nb) {
      rc = h5k_err_nomem();
      goto done;
    }
    buf = nb;
    r = ZSTD_decompress(buf, size, in, in_len);
    if (!ZSTD_isError(r)) {
      *out = buf;
      *out_len = r;
      buf = NULL;
      goto done;
    }
    if (ZSTD_getErrorCode(r) != ZSTD_error_dstSize_tooSmall || size >= cap) {
      if (ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation) rc = h5k_err_nomem();
      else rc = corrupt("zstd: %s", ZSTD_getErrorName(r));
      goto done;
    }
    size = cap;
  }

done:
  free(buf);
  return rc;
}

/* Encode: one frame at level cd[0] (a signed value; 3, zstd's default, when absent), with the
 * content size recorded, as the plugin's ZSTD_compress call writes it. */
static int zstd_encode(uint8_t **out, size_t *out_len, const uint8_t *in, size_t in_len, const uint32_t *cd,
                       size_t ncd, size_t elem_size) {
  int level = ncd >= 1 ? (int)cd[0] : 3;
  size_t bound = ZSTD_compressBound(in_len), got;
  uint8_t *buf;
  (void)elem_size;

  if (ZSTD_isError(bound)) return h5k_err(H5K_ELIMIT, "zstd: chunk of %zu bytes is too large", in_len);
  if (level > ZSTD_maxCLevel() || level < ZSTD_minCLevel()) return h5k_err(H5K_EINVAL, "zstd: level %d", level);
  buf = malloc(bound ? bound : 1);
  if (!buf) return h5k_err_nomem();
  got = ZSTD_compress(buf, bound, in, in_len, level);
  if (ZSTD_isError(got)) {
    free(buf);
    if (ZSTD_getErrorCode(got) == ZSTD_error_memory_allocation) return h5k_err_nomem();
    return h5k_err(H5K_EINVAL, "zstd: %s", ZSTD_getErrorName(got));
  }
  *out = buf;
  *out_len = got;
  return 0;
}

const h5k_filter_class h5k_filter_class_zstd = {sizeof(h5k_filter_class), H5K_FILTER_ZSTD, "zstd", zstd_decode,
                                                zstd_encode};
