/* LZF filter (id 32000, registered by h5py), both directions, via liblzf.
 *
 * Format: h5py's lzf_filter.c. The chunk is one raw LZF block (no header of its own).
 *   cd_values[0]  filter revision
 *   cd_values[1]  LZF version
 *   cd_values[2]  chunk size in bytes (uncompressed), 0 if unknown
 * h5py registers the filter as optional: a chunk LZF could not shrink is stored unfiltered with
 * the filter's bit set in its mask, so it never reaches this decoder.
 * The output size is cd_values[2] when given, else the chunk size; like h5py we grow the
 * buffer when liblzf says it is too small, up to the cap. */
#include <errno.h>
#include <lzf.h>
#include <stdlib.h>

#include "filter/codecs.h"
#include "util/error.h"

/* LZF decompression, bounds-checked on both sides (liblzf's own decoder, as Debian builds it,
 * reads and writes out of bounds on crafted input: found by fuzz_modify). Format: a control byte
 * c < 32 starts a literal run of c + 1 bytes; otherwise a back reference of length (c >> 5) + 2
 * (when c >> 5 is 7, the next byte is added to the length), at distance ((c & 31) << 8) + next
 * byte + 1 back from the current output position. Returns the bytes written, 0 with *err = 1 for
 * corrupt input, 0 with *err = 2 when the output would exceed out_len. */
static size_t lzf_decode_safe(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len, int *err) {
  size_t ip = 0, op = 0;
  *err = 0;
  while (ip < in_len) {
    unsigned c = in[ip++];
    if (c < 32) {
      size_t len = (size_t)c + 1;
      if (len > in_len - ip) {
        *err = 1;
        return 0;
      }
      if (len > out_len - op) {
        *err = 2;
        return 0;
      }
      memcpy(out + op, in + ip, len);
      ip += len;
      op += len;
    } else {
      size_t len = c >> 5;
      if (len == 7) {
        if (ip >= in_len) {
          *err = 1;
          return 0;
        }
        len += in[ip++];
      }
      if (ip >= in_len) {
        *err = 1;
        return 0;
      }
      size_t dist = ((size_t)(c & 31) << 8) + in[ip++] + 1;
      len += 2;
      if (dist > op) {
        *err = 1;
        return 0;
      }
      if (len > out_len - op) {
        *err = 2;
        return 0;
      }
      const uint8_t *ref = out + op - dist;
      for (size_t k = 0; k < len; k++) out[op + k] = ref[k]; /* may overlap: byte by byte */
      op += len;
    }
  }
  return op;
}

static int lzf_decode(uint8_t **out, size_t *out_len, const uint8_t *in, size_t in_len, const uint32_t *cd,
                      size_t ncd, size_t size_hint, size_t elem_size) {
  size_t cap = filter_out_cap(size_hint);
  size_t size = (ncd >= 3 && cd[2] != 0) ? cd[2] : size_hint;
  uint8_t *buf = NULL;
  int rc = 0;

  if (cap > UINT32_MAX) cap = UINT32_MAX; /* LZF chunks are at most 4 GiB (unsigned lengths) */
  if (in_len > UINT32_MAX) return h5k_err(H5K_ELIMIT, "lzf: %zu bytes of input is too large", in_len);
  if (size == 0) size = 4096;
  if (size > cap) size = cap;
  for (;;) {
    unsigned got;
    free(buf); /* a retry starts afresh: nothing of the smaller attempt is kept */
    buf = malloc(size);
    if (!buf) {
      rc = h5k_err_nomem();
      goto done;
    }
    int err;
    got = (unsigned)lzf_decode_safe(in, in_len, buf, size, &err);
    if (!err && (got != 0 || in_len == 0)) {
      *out = buf;
      *out_len = got;
      buf = NULL;
      goto done;
    }
    if (err != 2) {
      rc = corrupt("invalid LZF data (%zu bytes)", in_len);
      goto done;
    }
    if (size >= cap) {
      rc = h5k_err(H5K_ELIMIT, "LZF data expands to more than %zu bytes", cap);
      goto done;
    }
    size = size > cap / 2 ? cap : size * 2;
  }

done:
  free(buf);
  return rc;
}

/* Encode: lzf_compress into a buffer of the input's size, as h5py does. Data LZF cannot shrink
 * fails (H5K_ELIMIT): h5py registers the filter optional, so such a chunk is stored unfiltered
 * with the filter's bit set in its mask (h5k_pipeline_encode does the same). */
static int lzf_encode(uint8_t **out, size_t *out_len, const uint8_t *in, size_t in_len, const uint32_t *cd,
                      size_t ncd, size_t elem_size) {
  uint8_t *buf;
  unsigned got;
  (void)cd;
  (void)ncd;
  (void)elem_size;
  if (in_len > UINT32_MAX) return h5k_err(H5K_ELIMIT, "lzf: %zu bytes of input is too large", in_len);
  buf = malloc(in_len ? in_len : 1);
  if (!buf) return h5k_err_nomem();
  got = in_len ? lzf_compress(in, (unsigned)in_len, buf, (unsigned)in_len) : 0;
  if (got == 0) {
    free(buf);
    return h5k_err(H5K_ELIMIT, "lzf: %zu bytes do not compress", in_len);
  }
  *out = buf;
  *out_len = got;
  return 0;
}

const h5k_filter_class h5k_filter_class_lzf = {sizeof(h5k_filter_class), H5K_FILTER_LZF, "lzf", lzf_decode,
                                               lzf_encode};
