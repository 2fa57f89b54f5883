/* Bob Jenkins' lookup3 hashlittle(), as used by HDF5 for metadata checksums (spec II.A).
 * Written from the published algorithm: 12-byte blocks mixed into three 32-bit lanes, the tail
 * added little-endian, then a final avalanche. Byte-wise loads keep it endian- and
 * alignment-neutral. */
#include "util/lookup3.h"

#define ROT(x, k) (((x) << (k)) | ((x) >> (32 - (k))))

static inline uint32_t load32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint32_t h5k_lookup3(const void *data, size_t len, uint32_t initval) {
  const uint8_t *k = (const uint8_t *)data;
  uint32_t a, b, c;
  a = b = c = 0xdeadbeefu + (uint32_t)len + initval;

  while (len > 12) {
    a += load32(k);
    b += load32(k + 4);
    c += load32(k + 8);
    /* mix */
    a -= c; a ^= ROT(c, 4);  c += b;
    b -= a; b ^= ROT(a, 6);  a += c;
    c -= b; c ^= ROT(b, 8);  b += a;
    a -= c; a ^= ROT(c, 16); c += b;
    b -= a; b ^= ROT(a, 19); a += c;
    c -= b; c ^= ROT(b, 4);  b += a;
    len -= 12;
    k += 12;
  }
  if (len == 0) return c;

  uint32_t lane[3] = {0, 0, 0};
  for (size_t i = 0; i < len; i++) lane[i / 4] += (uint32_t)k[i] << (8 * (i % 4));
  a += lane[0];
  b += lane[1];
  c += lane[2];
  /* final */
  c ^= b; c -= ROT(b, 14);
  a ^= c; a -= ROT(c, 11);
  b ^= a; b -= ROT(a, 25);
  c ^= b; c -= ROT(b, 16);
  a ^= c; a -= ROT(c, 4);
  b ^= a; b -= ROT(a, 14);
  c ^= b; c -= ROT(b, 24);
  return c;
}
