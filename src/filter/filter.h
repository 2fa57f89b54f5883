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
 * built-in that can (deflate, shuffle, LZ4, bitshuffle); otherwise the result is copied.
 * flags: 0, or H5K_INTO_STREAM when dst is part of an output too large to stay in the caches
 * (a big read): the byte and bit transposes (shuffle, bitshuffle) then write it with
 * non-temporal stores, which skip reading each output line into the cache before writing it.
 * Those stores are fenced before the call returns. */
#define H5K_INTO_STREAM 1u
int h5k_pipeline_decode_into(uint8_t *dst, size_t dst_len, const h5k_filter_set *set, const h5k_filter_desc *filters,
                             size_t n, uint32_t mask, const uint8_t *in, size_t in_len, size_t elem_size,
                             unsigned flags);

/* ---- writing -------------------------------------------------------------------------------- */

/* Apply a pipeline to one chunk: filters[0..n) in order, each given the previous one's output
 * (cd values as stored, see h5k_filter_prepare). A filter that is OPTIONAL (flags bit 0) and
 * either has no encoder here (unknown id, or a registered class without encode) or fails is
 * skipped: the data passes unchanged and bit i is set in *out_mask, as libhdf5 does (e.g. LZF on
 * data it cannot shrink). A mandatory filter that is missing or fails is an error naming the
 * filter (H5K_EUNSUPPORTED, or the encoder's code). On success *out is a malloc'd buffer of
 * *out_len bytes (a copy when nothing ran), which the caller frees. elem_size is the datatype
 * size. Thread-safe: no global state, so chunks may be encoded on a thread pool.
 * Errors: H5K_EINVAL (bad arguments, more than 32 filters), H5K_EUNSUPPORTED, H5K_ELIMIT,
 * H5K_ENOMEM, or what a mandatory filter returned. */
int h5k_pipeline_encode(uint8_t **out, size_t *out_len, uint32_t *out_mask, const h5k_filter_set *set,
                        const h5k_filter_desc *filters, size_t n, const uint8_t *in, size_t in_len, size_t elem_size);

/* libhdf5's "set local" step: the cd values to STORE in the filter pipeline message for filter
 * `id` on a dataset of `type` with chunks of chunk_dims[0..rank), from the user's parameters
 * (user_cd[0..user_ncd), may be NULL/0 for the defaults). The values equal those libhdf5 / h5py /
 * hdf5plugin store for the same dataset. *ncd_out is in: capacity of cd_out (32 is enough for
 * everything but n-bit on large compound types, which may need up to 4096), out: count.
 *
 *   id        user_cd                                   stored
 *   deflate   [level 0-9] (default 4, h5py's)           [level]
 *   shuffle   -                                         [type size]
 *   fletcher32 -                                        []
 *   szip      [options mask, pixels per block]          [mask | K13 | RAW | LSB or MSB, ppb,
 *             (default NN (32), 8: h5py's)               bits per pixel, pixels per scanline]
 *   nbit      -                                         [count, no-op flag, chunk elements, type tree]
 *   scaleoffset [factor] or [scale type, factor]         20 values: scale type (2 integers, 0
 *             (factor: integers minimum bits, 0 = auto;  D-scale floats), factor, chunk elements,
 *             floats decimal digits)                     class, size, sign, order, fill defined (1,
 *                                                         default fill 0), fill bytes, zeros
 *   lzf       -                                         [4, 261, chunk bytes]
 *   blosc     [clevel, shuffle, compressor code]        [2, 2, type size, chunk bytes, clevel,
 *             (default 5, 1, 1 = lz4: hdf5plugin's)      shuffle, compressor]
 *   lz4       [block bytes] (default 0: one block)      [block bytes]
 *   bitshuffle [block elements, compression, zstd level] [0, 3, type size, block, compression
 *             (default 0, 0; compression 2 LZ4, 3 zstd)  (, level when zstd)]
 *   zstd      [level] (default 3)                       [level]
 *   other ids user_cd copied as is.
 * Scale-offset records the default fill value (zero, "defined", as libhdf5 does for a dataset
 * that sets none); a dataset with another fill value needs its bytes in cd[8..] (four per value,
 * least significant first, in the element's native = little-endian order).
 * Errors: H5K_EINVAL (type the filter cannot take, e.g. szip on a compound, scale-offset on a
 * string; bad parameters), H5K_ELIMIT (capacity too small). */
int h5k_filter_prepare(uint32_t *cd_out, size_t *ncd_out, unsigned id, const uint32_t *user_cd, size_t user_ncd,
                       const h5k_datatype *type, unsigned rank, const uint64_t *chunk_dims);

/* The name libhdf5 / the plugin stores in the filter pipeline message for a filter id (e.g.
 * "deflate", "lzf", "bitshuffle; see https://github.com/kiyo-masui/bitshuffle"), or NULL when
 * unknown. A version 2 pipeline message omits the names of ids below 256. */
const char *h5k_filter_stored_name(unsigned id);

/* One filter of a parsed spec: its id, flags (bit 0 optional) and the user parameters for
 * h5k_filter_prepare. */
#define H5K_FILTER_SPEC_MAX_CD 8
typedef struct h5k_filter_spec {
  unsigned id;
  unsigned flags;
  size_t ncd;
  uint32_t cd[H5K_FILTER_SPEC_MAX_CD];
} h5k_filter_spec;

/* Parse a filter spec (a command line's --filter value) into out[0..*n_out), at most cap entries.
 *
 *   spec   := "none" | item ("," item)*
 *   item   := name ["!"] ["=" value (":" value)*]
 *   name   := "deflate" | "gzip"   [=level 0-9, default 4]
 *           | "shuffle" | "fletcher32" | "nbit" | "lzf"
 *           | "szip"                [=("nn"|"ec")[:pixels per block]  default nn:8]
 *           | "scaleoffset" | "so"  [=factor: integer bits (0 auto) / float decimal digits; default 0]
 *           | "lz4"                 [=block bytes, default 0]
 *           | "bitshuffle"          (no compression)  | "bslz4"  (bitshuffle + LZ4)
 *           | "bszstd"              [=level, default 3] (bitshuffle + zstd)
 *           | "zstd"                [=level, default 3]
 *           | "blosc"               [=clevel[:shuffle 0-2[:compressor]]], compressor one of
 *                                   blosclz lz4 lz4hc snappy zlib zstd or its code; default 5:1:lz4
 * Every filter is optional (flags 1), as h5py / hdf5plugin set them, except fletcher32; "!" after
 * the name makes a filter mandatory. Whitespace is not allowed.
 * Errors: H5K_EINVAL (unknown name, bad value; the message quotes it), H5K_ELIMIT (> cap). */
int h5k_filter_parse_spec(h5k_filter_spec *out, size_t *n_out, size_t cap, const char *spec);

/* Human-readable name of a filter id ("deflate", "shuffle", "lz4", ...) or "unknown". */
const char *h5k_filter_name(unsigned id);

#endif
