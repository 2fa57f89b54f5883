/* Scale-offset filter (id 6), decode side.
 *
 * Spec: HDF5 File Format Specification 3.0, IV.A.2.l (Filter Pipeline Message), filter 6
 * "scaleoffset"; parameters as the reference library stores them when it sets the filter up:
 *
 *   cd[0]  scale type: 0 float D-scale, 1 float E-scale (never implemented by anyone), 2 integer
 *   cd[1]  scale factor (D-scale: decimal digits kept, a signed value; integer: minimum bits)
 *   cd[2]  elements in a chunk
 *   cd[3]  class: 0 integer, 1 floating point
 *   cd[4]  element size in bytes (integers 1, 2, 4, 8; floats 4, 8)
 *   cd[5]  sign: 0 unsigned, 1 two's complement
 *   cd[6]  byte order of the dataset: 0 little-, 1 big-endian
 *   cd[7]  1 when a fill value is defined, then
 *   cd[8..] the fill value's bytes, least significant first, four per value (low byte first)
 *
 * Chunk layout:
 *   offset  size  field
 *   0       4     minbits, little-endian: bits per packed value
 *   4       1     n = bytes of the minimum that follow (the writer's sizeof(long long))
 *   5       16    minimum (first min(n, 8) bytes used, little-endian). Integers: the minimum
 *                 value; floats: the bytes of the minimum as a float/double
 *   21      ...   packed values, minbits each, an MSB-first bit stream
 *
 * Decoding a value v:
 *   minbits = 8*size: the data is stored unpacked after the header (in little-endian order as
 *                     written on little-endian machines), no arithmetic
 *   fill defined and v = 2^minbits - 1: the fill value
 *   integer:          v + minimum (modulo 2^(8*size))
 *   float, D-scale:   (v as a signed int of the element's size) / 10^D + minimum, computed in
 *                     the element's precision (float: float arithmetic with powf)
 * Results are produced little-endian and byte-swapped when cd[6] says big-endian. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "filter/codecs.h"
#include "util/checked.h"
#include "util/error.h"

#define SO_HEADER 21

enum { SO_FLOAT_DSCALE = 0, SO_FLOAT_ESCALE = 1, SO_INT = 2 };
enum { SO_CLS_INTEGER = 0, SO_CLS_FLOAT = 1 };

static void store_le(uint8_t *p, uint64_t v, size_t size) {
  for (size_t k = 0; k < size; k++) p[k] = (uint8_t)(v >> (8 * k));
}

static int scaleoffset_decode(uint8_t **out, size_t *out_len, const uint8_t *in, size_t in_len, const uint32_t *cd,
                              size_t ncd, size_t size_hint, size_t elem_size) {
  uint32_t scale_type, cls, size, big, fill_def, minbits;
  int32_t dscale;
  size_t nelem, total, mvsize;
  uint64_t minval = 0, fill = 0, mask;
  uint8_t *buf;
  h5k_cur c;

  if (ncd < 8) return corrupt("scaleoffset: %zu client data values, need at least 8", ncd);
  scale_type = cd[0];
  dscale = (int32_t)cd[1];
  nelem = cd[2];
  cls = cd[3];
  size = cd[4];
  big = cd[6];
  fill_def = cd[7];
  if (cls == SO_CLS_INTEGER) {
    if (size != 1 && size != 2 && size != 4 && size != 8) return corrupt("scaleoffset: integer size %u", (unsigned)size);
  } else if (cls == SO_CLS_FLOAT) {
    if (size != 4 && size != 8) return corrupt("scaleoffset: float size %u", (unsigned)size);
    if (scale_type == SO_FLOAT_ESCALE) return h5k_err(H5K_EUNSUPPORTED, "scaleoffset: E-scale method");
    if (scale_type != SO_FLOAT_DSCALE) return corrupt("scaleoffset: scale type %u for floats", (unsigned)scale_type);
  } else {
    return corrupt("scaleoffset: datatype class %u", (unsigned)cls);
  }
  if (big > 1) return corrupt("scaleoffset: byte order %u", (unsigned)big);
  if (fill_def) {
    size_t words = (size + 3) / 4;
    if (ncd < 8 + words) return corrupt("scaleoffset: fill value missing from client data");
    for (size_t k = 0; k < size; k++) fill |= (uint64_t)((cd[8 + k / 4] >> (8 * (k % 4))) & 0xff) << (8 * k);
  }
  if (ck_mulsz(nelem, size, &total) || total > filter_out_cap(size_hint))
    return corrupt("scaleoffset: %zu elements of %u bytes do not fit a chunk of %zu bytes", nelem, (unsigned)size,
                   size_hint);

  cur_init(&c, in, in_len);
  minbits = rd_le32(&c);
  mvsize = rd_u8(&c);
  for (size_t k = 0; k < mvsize && k < 8; k++) minval |= (uint64_t)rd_u8(&c) << (8 * k);
  cur_seek(&c, SO_HEADER);
  if (c.err) return corrupt("scaleoffset: chunk of %zu bytes is shorter than its header", in_len);
  if (minbits > size * 8) return corrupt("scaleoffset: %u bits per value for %u-byte elements", (unsigned)minbits,
                                         (unsigned)size);

  buf = malloc(total ? total : 1);
  if (!buf) return h5k_err_nomem();
  if (minbits == size * 8) { /* stored unpacked */
    const uint8_t *src = rd_ptr(&c, total);
    if (!src) {
      free(buf);
      return corrupt("scaleoffset: unpacked data truncated (%zu of %zu bytes)", in_len - SO_HEADER, total);
    }
    memcpy(buf, src, total);
  } else {
    h5k_bitrd r;
    size_t need_bits;
    if (ck_mulsz(nelem, minbits, &need_bits) || (need_bits + 7) / 8 > in_len - SO_HEADER) {
      free(buf);
      return corrupt("scaleoffset: packed data truncated (%zu bytes for %zu values of %u bits)", in_len - SO_HEADER,
                     nelem, (unsigned)minbits);
    }
    mask = minbits == 64 ? UINT64_MAX : ((uint64_t)1 << minbits) - 1;
    bitrd_init(&r, in + SO_HEADER, in_len - SO_HEADER);
    for (size_t i = 0; i < nelem; i++) {
      uint64_t v = bitrd_get(&r, minbits), res;
      if (fill_def && v == mask) {
        res = fill;
      } else if (cls == SO_CLS_INTEGER) {
        res = v + minval;
      } else if (size == 4) {
        float fmin, f;
        uint32_t bits = (uint32_t)minval;
        memcpy(&fmin, &bits, 4);
        f = (float)(int32_t)(uint32_t)v / powf(10.0f, (float)dscale) + fmin;
        memcpy(&bits, &f, 4);
        res = bits;
      } else {
        double dmin, d;
        memcpy(&dmin, &minval, 8);
        d = (double)(int64_t)v / pow(10.0, (double)dscale) + dmin;
        memcpy(&res, &d, 8);
      }
      store_le(buf + i * size, res, size);
    }
  }
  if (big) {
    for (size_t i = 0; i < nelem; i++) {
      uint8_t *e = buf + i * size;
      for (size_t a = 0, b = size - 1; a < b; a++, b--) {
        uint8_t t = e[a];
        e[a] = e[b];
        e[b] = t;
      }
    }
  }
  *out = buf;
  *out_len = total;
  return 0;
}

const h5k_filter_class h5k_filter_class_scaleoffset = {sizeof(h5k_filter_class), H5K_FILTER_SCALEOFFSET,
                                                       "scaleoffset", scaleoffset_decode};
