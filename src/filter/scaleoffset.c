/* Scale-offset filter (id 6), both directions.
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
 * Results are produced little-endian and byte-swapped when cd[6] says big-endian.
 * Integer data whose scale factor (cd[1]) equals the element's bit size is stored as is, with no
 * header (libhdf5's filter returns the chunk untouched in that case).
 *
 * Encoding follows libhdf5's writer step for step, so that chunks match its output byte for byte
 * (same size, header and packed bits):
 *   integer: minbits = cd[1] when > 0, else computed per chunk from the span max - min + 1
 *            (ceil(log2(span)), or ceil(log2(span + 1)) with a fill value, whose code is the
 *            all-ones value; fill elements are left out of min and max). A span too wide
 *            (max - min > 2^(8*size) - 3) stores the data unpacked (minbits = 8*size).
 *   float:   v = round(x * 10^D - min * 10^D) in the element's precision (floats with float
 *            arithmetic), minbits from the rounded span likewise; a span above 2^(8*size-1)
 *            stores the data unpacked. The minimum is recorded as the float's bytes.
 *   output:  header (minval as 8 bytes), then the values, minbits each, most significant bit
 *            first; its length is 21 + floor(n * minbits / 8) + 1 (21 + n*size unpacked). */
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
    if (scale_type == SO_INT && cd[1] == size * 8) { /* full precision requested: stored as is */
      buf = malloc(in_len ? in_len : 1);
      if (!buf) return h5k_err_nomem();
      if (in_len) memcpy(buf, in, in_len);
      *out = buf;
      *out_len = in_len;
      return 0;
    }
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

/* ---- encoding ---- */

/* ceil(log2(n)) as libhdf5 computes it (1 for n = 0). */
static unsigned so_log2(uint64_t n) {
  unsigned v = 0;
  uint64_t lower = 1, val = n;
  while (val >>= 1) {
    v++;
    lower <<= 1;
  }
  return n == lower ? v : v + 1;
}

static int64_t sext(uint64_t v, size_t size) {
  if (size < 8 && (v >> (8 * size - 1)) & 1) v |= ~(uint64_t)0 << (8 * size);
  return (int64_t)v;
}

/* Integers: v[] holds the values (little-endian numeric); rewrite them as offsets. */
static void so_int_pre(uint64_t *v, size_t n, size_t size, int is_signed, int fill_def, uint64_t fill,
                       uint32_t *minbits, uint64_t *minval) {
  uint64_t mask = size == 8 ? UINT64_MAX : ((uint64_t)1 << (8 * size)) - 1;
  uint64_t umin = 0, umax = 0;
  int64_t smin = 0, smax = 0;
  size_t i = 0;
  int user_bits = *minbits != 0;

  if (fill_def)
    while (i < n && v[i] == fill) i++;
  if (i < n) {
    umin = umax = v[i];
    smin = smax = sext(v[i], size);
  }
  for (; i < n; i++) {
    if (fill_def && v[i] == fill) continue;
    if (is_signed) {
      int64_t x = sext(v[i], size);
      if (x < smin) smin = x;
      if (x > smax) smax = x;
    } else {
      if (v[i] < umin) umin = v[i];
      if (v[i] > umax) umax = v[i];
    }
  }
  if (is_signed) {
    umin = (uint64_t)smin & mask;
    umax = (uint64_t)smax & mask;
  }
  if (!user_bits) {
    uint64_t diff = (umax - umin) & mask, span;
    if (diff > mask - 2) { /* as libhdf5: full precision, minval left 0 (but set for 1-byte signed without fill) */
      *minbits = (uint32_t)(8 * size);
      *minval = (is_signed && size == 1 && !fill_def) ? (uint64_t)smin : 0;
      return;
    }
    span = (diff + 1) & mask;
    *minbits = so_log2(fill_def ? span + 1 : span);
  }
  *minval = is_signed ? (uint64_t)smin : umin;
  if (*minbits == 8 * size) return;
  for (i = 0; i < n; i++) {
    if (fill_def && v[i] == fill) v[i] = (((uint64_t)1 << *minbits) - 1) & mask;
    else v[i] = (v[i] - umin) & mask;
  }
}

/* Floats with D-scale, float arithmetic (4-byte elements): v[] holds the bit patterns; rewrite
 * them as scaled offsets (or leave them when the span needs full precision). */
static void so_float_pre(uint64_t *v, size_t n, int dscale, int fill_def, uint64_t fillbits, uint32_t *minbits,
                         uint64_t *minval) {
  float min = 0, max = 0, fill, p10 = powf(10.0f, (float)dscale), x, fmin;
  uint32_t b = (uint32_t)fillbits;
  double eps = pow(10.0, -(double)dscale);
  size_t i = 0;
  uint64_t span;

  memcpy(&fill, &b, 4);
#define F(k) (b = (uint32_t)v[k], memcpy(&x, &b, 4), x)
  if (fill_def) {
    while (i < n && fabs((double)(F(i) - fill)) < eps) i++;
    if (i < n) min = max = F(i);
    for (; i < n; i++) {
      if (fabs((double)(F(i) - fill)) < eps) continue;
      if (F(i) > max) max = x;
      if (F(i) < min) min = x;
    }
  } else if (n) {
    min = max = F(0);
    for (i = 0; i < n; i++) {
      if (F(i) > max) max = x;
      if (F(i) < min) min = x;
    }
  }
  if (roundf(max * p10 - min * p10) > powf(2.0f, 31.0f)) {
    *minbits = 32;
    *minval = 0;
    return;
  }
  span = (uint64_t)(llroundf(max * p10 - min * p10) + 1);
  *minbits = so_log2(fill_def ? span + 1 : span);
  if (*minbits != 32) {
    float epsf = powf(10.0f, (float)-dscale);
    for (i = 0; i < n; i++) {
      int32_t r;
      if (fill_def && fabsf(F(i) - fill) < epsf) r = (int32_t)((1u << *minbits) - 1);
      else r = (int32_t)lroundf(F(i) * p10 - min * p10);
      v[i] = (uint32_t)r;
    }
  }
#undef F
  fmin = min;
  memcpy(&b, &fmin, 4);
  *minval = b;
}

/* The same for doubles (8-byte elements), double arithmetic. */
static void so_double_pre(uint64_t *v, size_t n, int dscale, int fill_def, uint64_t fillbits, uint32_t *minbits,
                          uint64_t *minval) {
  double min = 0, max = 0, fill, p10 = pow(10.0, (double)dscale), x;
  double eps = pow(10.0, -(double)dscale);
  size_t i = 0;
  uint64_t span;

  memcpy(&fill, &fillbits, 8);
#define D(k) (memcpy(&x, &v[k], 8), x)
  if (fill_def) {
    while (i < n && fabs(D(i) - fill) < eps) i++;
    if (i < n) min = max = D(i);
    for (; i < n; i++) {
      if (fabs(D(i) - fill) < eps) continue;
      if (D(i) > max) max = x;
      if (D(i) < min) min = x;
    }
  } else if (n) {
    min = max = D(0);
    for (i = 0; i < n; i++) {
      if (D(i) > max) max = x;
      if (D(i) < min) min = x;
    }
  }
  if (round(max * p10 - min * p10) > pow(2.0, 63.0)) {
    *minbits = 64;
    *minval = 0;
    return;
  }
  span = (uint64_t)(llround(max * p10 - min * p10) + 1);
  *minbits = so_log2(fill_def ? span + 1 : span);
  if (*minbits != 64) {
    for (i = 0; i < n; i++) {
      int64_t r;
      if (fill_def && fabs(D(i) - fill) < eps) r = (int64_t)(((uint64_t)1 << *minbits) - 1);
      else r = (int64_t)lround(D(i) * p10 - min * p10);
      v[i] = (uint64_t)r;
    }
  }
#undef D
  memcpy(minval, &min, 8);
}

static int scaleoffset_encode(uint8_t **out, size_t *out_len, const uint8_t *in, size_t in_len, const uint32_t *cd,
                              size_t ncd, size_t elem_size) {
  uint32_t scale_type, cls, size, big, fill_def, minbits = 0;
  int32_t factor;
  size_t nelem, olen;
  uint64_t fill = 0, minval = 0, *v = NULL;
  uint8_t *buf = NULL;
  int rc = 0;
  (void)elem_size;

  if (ncd < 8) return h5k_err(H5K_EINVAL, "scaleoffset: %zu client data values, need at least 8", ncd);
  scale_type = cd[0];
  factor = (int32_t)cd[1];
  nelem = cd[2];
  cls = cd[3];
  size = cd[4];
  big = cd[6];
  fill_def = cd[7];
  if (big > 1) return h5k_err(H5K_EINVAL, "scaleoffset: byte order %u", (unsigned)big);
  if (cls == SO_CLS_INTEGER) {
    if (size != 1 && size != 2 && size != 4 && size != 8)
      return h5k_err(H5K_EINVAL, "scaleoffset: integer size %u", (unsigned)size);
    if (scale_type != SO_INT) return h5k_err(H5K_EINVAL, "scaleoffset: scale type %u for integers", (unsigned)scale_type);
    if (factor < 0) factor = 0;
    if ((uint32_t)factor > size * 8) return h5k_err(H5K_EINVAL, "scaleoffset: %d bits for %u-byte integers", factor, (unsigned)size);
  } else if (cls == SO_CLS_FLOAT) {
    if (size != 4 && size != 8) return h5k_err(H5K_EINVAL, "scaleoffset: float size %u", (unsigned)size);
    if (scale_type == SO_FLOAT_ESCALE) return h5k_err(H5K_EUNSUPPORTED, "scaleoffset: E-scale method");
    if (scale_type != SO_FLOAT_DSCALE) return h5k_err(H5K_EINVAL, "scaleoffset: scale type %u for floats", (unsigned)scale_type);
  } else {
    return h5k_err(H5K_EINVAL, "scaleoffset: datatype class %u", (unsigned)cls);
  }
  if (nelem > SIZE_MAX / size || nelem * size != in_len)
    return h5k_err(H5K_EINVAL, "scaleoffset: %zu elements of %u bytes, but the chunk has %zu bytes", nelem,
                   (unsigned)size, in_len);
  if (cls == SO_CLS_INTEGER && (uint32_t)factor == size * 8) { /* untouched, no header */
    buf = malloc(in_len ? in_len : 1);
    if (!buf) return h5k_err_nomem();
    if (in_len) memcpy(buf, in, in_len);
    *out = buf;
    *out_len = in_len;
    return 0;
  }
  if (fill_def) {
    size_t words = (size + 3) / 4;
    if (ncd < 8 + words) return h5k_err(H5K_EINVAL, "scaleoffset: fill value missing from client data");
    for (size_t k = 0; k < size; k++) fill |= (uint64_t)((cd[8 + k / 4] >> (8 * (k % 4))) & 0xff) << (8 * k);
  }
  v = malloc((nelem ? nelem : 1) * sizeof *v);
  if (!v) return h5k_err_nomem();
  for (size_t i = 0; i < nelem; i++) {
    const uint8_t *e = in + i * size;
    uint64_t x = 0;
    for (size_t k = 0; k < size; k++) x |= (uint64_t)e[big ? size - 1 - k : k] << (8 * k);
    v[i] = x;
  }
  if (cls == SO_CLS_INTEGER) {
    minbits = (uint32_t)factor;
    so_int_pre(v, nelem, size, cd[5] == 1, fill_def != 0, fill, &minbits, &minval);
  } else if (size == 4) {
    so_float_pre(v, nelem, factor, fill_def != 0, fill, &minbits, &minval);
  } else {
    so_double_pre(v, nelem, factor, fill_def != 0, fill, &minbits, &minval);
  }
  olen = minbits == size * 8 ? SO_HEADER + in_len : SO_HEADER + nelem * minbits / 8 + 1;
  buf = calloc(olen, 1);
  if (!buf) {
    rc = h5k_err_nomem();
    goto done;
  }
  store_le(buf, minbits, 4);
  buf[4] = 8;
  store_le(buf + 5, minval, 8);
  if (minbits == size * 8) {
    for (size_t i = 0; i < nelem; i++) store_le(buf + SO_HEADER + i * size, v[i], size);
  } else if (minbits) {
    h5k_bitwr w;
    bitwr_init(&w, buf + SO_HEADER);
    for (size_t i = 0; i < nelem; i++) bitwr_put(&w, v[i], minbits);
  }
  *out = buf;
  *out_len = olen;
  buf = NULL;

done:
  free(buf);
  free(v);
  return rc;
}

const h5k_filter_class h5k_filter_class_scaleoffset = {sizeof(h5k_filter_class), H5K_FILTER_SCALEOFFSET,
                                                       "scaleoffset", scaleoffset_decode, scaleoffset_encode};
