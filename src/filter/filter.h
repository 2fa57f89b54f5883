/* Filters: built-in codecs (deflate, shuffle, fletcher32, scale-offset, n-bit, szip, LZF, LZ4,
 * bitshuffle, zstd, blosc) and the pipeline runner used when reading chunks. Layer: uses util/
 * only (and the codec libraries); knows nothing of files. */
#ifndef H5K_FILTER_FILTER_H
#define H5K_FILTER_FILTER_H

#include <stddef.h>
#include <stdint.h>

#include "h5kit.h"

/* Extra classes registered on a file (may be NULL/0), consulted before the built-ins. */
typedef struct h5k_filter_set {
  const h5k_filter_class *const *extra;
  size_t nextra;
} h5k_filter_set;

/* Undo a pipeline on one chunk. filters[0..n) in the order stored (applied on write in that
 * order, so undone in reverse); a filter whose bit is set in `mask` is skipped. `in` (in_len
 * bytes) is consumed; on success *out is a malloc'd buffer of *out_len bytes, which must equal
 * `expect_len` (the chunk's unfiltered size) or the call fails with H5K_ECORRUPT. elem_size is
 * the datatype size (shuffle, bitshuffle, n-bit, scale-offset need it).
 * Errors name the filter id and name: H5K_EUNSUPPORTED (unknown filter, not optional),
 * H5K_ECORRUPT (decode failure, checksum mismatch, size mismatch), H5K_ENOMEM, H5K_ELIMIT
 * (output larger than allowed). The caller adds the chunk coordinates to the message. */
int h5k_pipeline_decode(uint8_t **out, size_t *out_len, const h5k_filter_set *set, const h5k_filter_desc *filters,
                        size_t n, uint32_t mask, const uint8_t *in, size_t in_len, size_t expect_len,
                        size_t elem_size);

/* The same, writing the unfiltered chunk into dst, which it must fill exactly (dst_len bytes,
 * the chunk's unfiltered size). The last filter undone writes straight into dst when it is a
 * built-in that can (deflate, shuffle, LZ4, bitshuffle); otherwise the result is copied. */
int h5k_pipeline_decode_into(uint8_t *dst, size_t dst_len, const h5k_filter_set *set, const h5k_filter_desc *filters,
                             size_t n, uint32_t mask, const uint8_t *in, size_t in_len, size_t elem_size);

/* Human-readable name of a filter id ("deflate", "shuffle", "lz4", ...) or "unknown". */
const char *h5k_filter_name(unsigned id);

#endif
