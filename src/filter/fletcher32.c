/* Fletcher-32 checksum filter (id 3): verify and strip the checksum (decode), append it (encode).
 *
 * Spec: HDF5 File Format Specification 3.0, IV.A.2.l (Filter Pipeline Message), filter 3
 * "fletcher32"; the checksum is Fletcher's algorithm over 16-bit words.
 *
 *   offset    size  field
 *   0         n-4   data (the output)
 *   n-4       4     checksum, little-endian
 *
 * The checksum as the reference library computes it: the data is read as big-endian 16-bit
 * words (a trailing odd byte counts as the high byte of a last word), sum1 += word, sum2 += sum1,
 * both folded to 16 bits (x = (x & 0xffff) + (x >> 16)) at least every 360 words and twice at
 * the end; the checksum is sum2 << 16 | sum1. Files from libhdf5 before 1.6.3 stored a value
 * with the two bytes of each 16-bit half swapped on little-endian machines; like the reference
 * library we accept either. */
#include <stdlib.h>
#include <string.h>

#include "filter/codecs.h"
#include "util/error.h"

static uint32_t fletcher32(const uint8_t *p, size_t len) {
  uint32_t sum1 = 0, sum2 = 0;
  size_t words = len / 2;
  while (words) {
    size_t block = words > 360 ? 360 : words;
    words -= block;
    for (size_t i = 0; i < block; i++, p += 2) {
      sum1 += (uint32_t)p[0] << 8 | p[1];
      sum2 += sum1;
    }
    sum1 = (sum1 & 0xffff) + (sum1 >> 16);
    sum2 = (sum2 & 0xffff) + (sum2 >> 16);
  }
  if (len % 2) {
    sum1 += (uint32_t)p[0] << 8;
    sum2 += sum1;
    sum1 = (sum1 & 0xffff) + (sum1 >> 16);
    sum2 = (sum2 & 0xffff) + (sum2 >> 16);
  }
  sum1 = (sum1 & 0xffff) + (sum1 >> 16);
  sum2 = (sum2 & 0xffff) + (sum2 >> 16);
  return sum2 << 16 | sum1;
}

static int fletcher32_decode(uint8_t **out, size_t *out_len, const uint8_t *in, size_t in_len, const uint32_t *cd,
                             size_t ncd, size_t size_hint, size_t elem_size) {
  h5k_cur c;
  uint32_t stored, sum, swapped;
  size_t n;
  uint8_t *buf;

  if (in_len < 4) return corrupt("fletcher32: chunk of %zu bytes has no room for the checksum", in_len);
  n = in_len - 4;
  cur_init(&c, in, in_len);
  cur_seek(&c, n);
  stored = rd_le32(&c);
  sum = fletcher32(in, n);
  swapped = ((sum & 0x00ff00ffu) << 8) | ((sum >> 8) & 0x00ff00ffu);
  if (stored != sum && stored != swapped)
    return corrupt("fletcher32 checksum mismatch: stored 0x%08x, computed 0x%08x", (unsigned)stored, (unsigned)sum);
  buf = malloc(n ? n : 1);
  if (!buf) return h5k_err_nomem();
  if (n) memcpy(buf, in, n);
  *out = buf;
  *out_len = n;
  return 0;
}

/* Encode: the data followed by its checksum, little-endian (as libhdf5 writes it). */
static int fletcher32_encode(uint8_t **out, size_t *out_len, const uint8_t *in, size_t in_len, const uint32_t *cd,
                             size_t ncd, size_t elem_size) {
  uint32_t sum;
  uint8_t *buf;
  (void)cd;
  (void)ncd;
  (void)elem_size;
  if (in_len > SIZE_MAX - 4) return h5k_err(H5K_ELIMIT, "fletcher32: chunk too large");
  buf = malloc(in_len + 4);
  if (!buf) return h5k_err_nomem();
  if (in_len) memcpy(buf, in, in_len);
  sum = fletcher32(in, in_len);
  for (int k = 0; k < 4; k++) buf[in_len + (size_t)k] = (uint8_t)(sum >> (8 * k));
  *out = buf;
  *out_len = in_len + 4;
  return 0;
}

const h5k_filter_class h5k_filter_class_fletcher32 = {sizeof(h5k_filter_class), H5K_FILTER_FLETCHER32,
                                                      "fletcher32", fletcher32_decode, fletcher32_encode};
