/* Datatype conversion (src/object/convert.c, public h5k_convert & co).
 *
 *  1. Hand-made numbers: every integer size/sign/order pair against an independent 128-bit
 *     clamp, odd layouts (3-byte, bit offset), IEEE specials (inf, nan, subnormals, half floats
 *     with rounding), saturation, a non-IEEE float layout (x87 80-bit), in-place conversion.
 *  2. Real attributes written by h5py (tests/data/make_convert_fixtures.py, both libvers):
 *     converted to their native memory type and to other numeric types, compared token by token
 *     with what h5py/libhdf5 returned (tests/data/conv_expect.txt).
 *  3. Errors: missing compound member, vlen without a file, corrupt heap IDs.
 *  4. A throughput figure for the common numeric paths (printed, not asserted). */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/file_impl.h"
#include "format/global_heap.h"
#include "format/messages.h"
#include "object/convert.h"
#include "testutil.h"

/* ---- helpers -------------------------------------------------------------------------------------- */

static h5k_datatype *mk(h5k_type_class cls, size_t size, int sgn, int be) {
  h5k_datatype *t = NULL;
  if (h5k_datatype_make(&t, cls, size, sgn) < 0) return NULL;
  t->big_endian = be;
  return t;
}

static void store_be(uint8_t *p, uint64_t v, size_t n) {
  for (size_t i = 0; i < n; i++) p[n - 1 - i] = (uint8_t)(v >> (8 * i));
}
static uint64_t dbits(double x) {
  uint64_t b;
  memcpy(&b, &x, 8);
  return b;
}
static uint32_t fbits(float x) {
  uint32_t b;
  memcpy(&b, &x, 4);
  return b;
}

/* Exact half -> double without libm. */
static double half_value(uint16_t h) {
  int e = (h >> 10) & 0x1f;
  double m = h & 0x3ff, v;
  if (e == 0x1f) v = m ? NAN : INFINITY;
  else if (e == 0) v = m / 16777216.0;
  else {
    v = (m + 1024.0);
    for (int k = e - 25; k > 0; k--) v *= 2.0;
    for (int k = e - 25; k < 0; k++) v /= 2.0;
  }
  return (h & 0x8000) ? -v : v;
}

/* ---- 1. numbers ------------------------------------------------------------------------------------- */

/* Every (size, sign, order) pair of whole-byte integers, values at and beyond the ranges, against
 * a clamp computed in 128-bit arithmetic. */
static void test_int_matrix(void) {
  static const __int128 vals[] = {0, 1, -1, 127, -128, 128, 255, 256, -129, 32767, -32768, 65535, 65536,
                                  2147483647, -2147483647 - 1, 4294967295LL, 4294967296LL, INT64_MAX, INT64_MIN,
                                  (__int128)UINT64_MAX};
  static const size_t sizes[] = {1, 2, 4, 8};
  size_t nv = sizeof vals / sizeof vals[0];
  for (int ss = 0; ss < 4; ss++)
    for (int sg = 0; sg < 2; sg++)
      for (int sbe = 0; sbe < 2; sbe++)
        for (int ds = 0; ds < 4; ds++)
          for (int dg = 0; dg < 2; dg++)
            for (int dbe = 0; dbe < 2; dbe++) {
              size_t sz = sizes[ss], dz = sizes[ds];
              __int128 smin = sg ? -((__int128)1 << (8 * sz - 1)) : 0;
              __int128 smax = sg ? ((__int128)1 << (8 * sz - 1)) - 1 : ((__int128)1 << (8 * sz)) - 1;
              __int128 dmin = dg ? -((__int128)1 << (8 * dz - 1)) : 0;
              __int128 dmax = dg ? ((__int128)1 << (8 * dz - 1)) - 1 : ((__int128)1 << (8 * dz)) - 1;
              h5k_datatype *st = mk(H5K_CLASS_INTEGER, sz, sg, sbe), *dt = mk(H5K_CLASS_INTEGER, dz, dg, dbe);
              uint8_t src[32 * 8], dst[32 * 8];
              size_t n = 0;
              __int128 expect[32];
              for (size_t i = 0; i < nv; i++) {
                __int128 v = vals[i];
                if (v < smin || v > smax) continue;
                if (sbe) store_be(src + n * sz, (uint64_t)v, sz);
                else put_le(src + n * sz, (uint64_t)v, sz);
                expect[n++] = v < dmin ? dmin : v > dmax ? dmax : v;
              }
              CHECK_EQ_U(h5k_convert(dst, dt, src, st, n, NULL), 0);
              for (size_t i = 0; i < n; i++) {
                uint8_t le[8];
                uint64_t raw;
                __int128 got;
                for (size_t k = 0; k < dz; k++) le[k] = dbe ? dst[i * dz + dz - 1 - k] : dst[i * dz + k];
                raw = get_le(le, dz);
                got = raw;
                if (dg && dz < 8 && (raw >> (8 * dz - 1))) got = (__int128)raw - ((__int128)1 << (8 * dz));
                if (dg && dz == 8) got = (int64_t)raw;
                if (got != expect[i]) {
                  fprintf(stderr, "int %zu%c%c -> %zu%c%c element %zu wrong\n", sz, sg ? 's' : 'u', sbe ? 'B' : 'L',
                          dz, dg ? 's' : 'u', dbe ? 'B' : 'L', i);
                  CHECK(0);
                }
              }
              h5k_datatype_free(st);
              h5k_datatype_free(dt);
            }
}

static void test_odd_ints(void) {
  /* 3-byte big-endian signed integer, full precision: -2 and 0x7fffff. */
  h5k_datatype s3 = {0}, sbits = {0};
  h5k_datatype *i32 = mk(H5K_CLASS_INTEGER, 4, 1, 0), *u8 = mk(H5K_CLASS_INTEGER, 1, 0, 0);
  uint8_t src[6] = {0xff, 0xff, 0xfe, 0x7f, 0xff, 0xff};
  int32_t out[2];
  uint8_t o8[3];
  s3.cls = H5K_CLASS_INTEGER;
  s3.size = 3;
  s3.big_endian = 1;
  s3.is_signed = 1;
  s3.precision = 24;
  CHECK_EQ_U(h5k_convert(out, i32, src, &s3, 2, NULL), 0);
  CHECK(out[0] == -2 && out[1] == 0x7fffff);
  /* 12-bit signed field at bit offset 4 of a little-endian 2-byte element: 0x800 = -2048, 0x7ff. */
  sbits.cls = H5K_CLASS_INTEGER;
  sbits.size = 2;
  sbits.is_signed = 1;
  sbits.bit_offset = 4;
  sbits.precision = 12;
  {
    uint8_t b[6];
    put_le(b, 0x800u << 4 | 0xf, 2);
    put_le(b + 2, 0x7ffu << 4, 2);
    put_le(b + 4, 0x005u << 4, 2);
    CHECK_EQ_U(h5k_convert(o8, u8, b, &sbits, 3, NULL), 0);
    CHECK(o8[0] == 0 && o8[1] == 255 && o8[2] == 5);
    CHECK_EQ_U(h5k_convert(out, i32, b, &sbits, 2, NULL), 0);
    CHECK(out[0] == -2048 && out[1] == 2047);
  }
  /* and back: int32 -> 12-bit field saturates and leaves the padding zero */
  {
    int32_t in[2] = {5000, -3};
    uint8_t b[4];
    CHECK_EQ_U(h5k_convert(b, &sbits, in, i32, 2, NULL), 0);
    CHECK_EQ_U(get_le(b, 2), 0x7ffu << 4);
    CHECK_EQ_U(get_le(b + 2, 2), (0xffdu << 4) & 0xffff);
  }
  h5k_datatype_free(i32);
  h5k_datatype_free(u8);
}

static void test_floats(void) {
  h5k_datatype *f16 = mk(H5K_CLASS_FLOAT, 2, 1, 0), *f32 = mk(H5K_CLASS_FLOAT, 4, 1, 0);
  h5k_datatype *f64 = mk(H5K_CLASS_FLOAT, 8, 1, 0), *f64be = mk(H5K_CLASS_FLOAT, 8, 1, 1);
  h5k_datatype *i32 = mk(H5K_CLASS_INTEGER, 4, 1, 0), *u16 = mk(H5K_CLASS_INTEGER, 2, 0, 0);
  h5k_datatype *i64 = mk(H5K_CLASS_INTEGER, 8, 1, 0), *u64 = mk(H5K_CLASS_INTEGER, 8, 0, 0);
  /* half -> double: 1, 65504, smallest subnormal, -inf, nan, -0 */
  {
    uint16_t h[] = {0x3c00, 0x7bff, 0x0001, 0xfc00, 0x7e00, 0x8000, 0x0400, 0x3555};
    double d[8];
    CHECK_EQ_U(h5k_convert(d, f64, h, f16, 8, NULL), 0);
    CHECK(d[0] == 1.0 && d[1] == 65504.0 && d[2] == 1.0 / 16777216.0 && isinf(d[3]) && d[3] < 0 && isnan(d[4]));
    CHECK(dbits(d[5]) == UINT64_C(0x8000000000000000) && d[6] == 1.0 / 16384.0);
    CHECK(d[7] == half_value(0x3555));
  }
  /* double -> half: rounding to nearest even, overflow, underflow to subnormals and zero */
  {
    double d[] = {1.0 + 1.0 / 2048, 1.0 + 3.0 / 2048, 65519.0, 65520.0, 1e6, 1.0 / 33554432.0,
                  1.5 / 33554432.0, 1.0 / 16777216.0, -2.0, NAN, 5.960464477539063e-08 * 3};
    uint16_t h[11];
    CHECK_EQ_U(h5k_convert(h, f16, d, f64, 11, NULL), 0);
    CHECK_EQ_U(h[0], 0x3c00); /* tie -> even */
    CHECK_EQ_U(h[1], 0x3c02); /* tie -> even (up) */
    CHECK_EQ_U(h[2], 0x7bff);
    CHECK_EQ_U(h[3], 0x7c00);
    CHECK_EQ_U(h[4], 0x7c00);
    CHECK_EQ_U(h[5], 0x0000); /* 2^-25 is a tie between 0 and 2^-24: even = 0 */
    CHECK_EQ_U(h[6], 0x0001);
    CHECK_EQ_U(h[7], 0x0001);
    CHECK_EQ_U(h[8], 0xc000);
    CHECK((h[9] & 0x7c00) == 0x7c00 && (h[9] & 0x3ff) != 0);
    CHECK_EQ_U(h[10], 0x0003);
  }
  /* float -> int saturation, NaN -> 0, truncation toward zero */
  {
    double d[] = {1e10, -1e10, NAN, INFINITY, -INFINITY, 2.9, -2.9, 2147483647.0, 2147483648.0, -2147483648.0};
    int32_t o[10];
    uint16_t u[10];
    CHECK_EQ_U(h5k_convert(o, i32, d, f64, 10, NULL), 0);
    CHECK(o[0] == INT32_MAX && o[1] == INT32_MIN && o[2] == 0 && o[3] == INT32_MAX && o[4] == INT32_MIN);
    CHECK(o[5] == 2 && o[6] == -2 && o[7] == INT32_MAX && o[8] == INT32_MAX && o[9] == INT32_MIN);
    CHECK_EQ_U(h5k_convert(u, u16, d, f64, 10, NULL), 0);
    CHECK(u[0] == 65535 && u[1] == 0 && u[2] == 0 && u[3] == 65535 && u[4] == 0 && u[5] == 2 && u[6] == 0);
  }
  {
    double d[] = {9.3e18, -9.3e18, 1.8e19, 2e19, -1.0};
    int64_t o[5];
    uint64_t u[5];
    CHECK_EQ_U(h5k_convert(o, i64, d, f64, 5, NULL), 0);
    CHECK(o[0] == INT64_MAX && o[1] == INT64_MIN && o[2] == INT64_MAX);
    CHECK_EQ_U(h5k_convert(u, u64, d, f64, 5, NULL), 0);
    CHECK(u[0] == 9300000000000000000ull && u[2] == 18000000000000000000ull && u[3] == UINT64_MAX && u[4] == 0);
  }
  /* double -> float overflow to inf, subnormal float from double, big-endian double source */
  {
    uint8_t be[3 * 8];
    float o[3];
    store_be(be, dbits(1e300), 8);
    store_be(be + 8, dbits(1e-40), 8);
    store_be(be + 16, dbits(-0.1), 8);
    CHECK_EQ_U(h5k_convert(o, f32, be, f64be, 3, NULL), 0);
    CHECK(isinf(o[0]) && o[0] > 0);
    CHECK(o[1] == (float)1e-40 && o[1] != 0);
    CHECK(fbits(o[2]) == fbits(-0.1f));
  }
  /* integers -> float: uint64 max, int64 min; int -> half overflow */
  {
    uint64_t u[2] = {UINT64_MAX, 3};
    int64_t s[2] = {INT64_MIN, 70000};
    float of[2];
    uint16_t oh[2];
    CHECK_EQ_U(h5k_convert(of, f32, u, u64, 2, NULL), 0);
    CHECK(of[0] == 18446744073709551616.0f && of[1] == 3.0f);
    CHECK_EQ_U(h5k_convert(oh, f16, s, i64, 2, NULL), 0);
    CHECK(oh[0] == 0xfc00 && oh[1] == 0x7c00);
  }
  /* In place: int32 -> float32 and a byte swap, same buffer. */
  {
    int32_t buf[3] = {1, -7, 1 << 24};
    h5k_datatype *i32be = mk(H5K_CLASS_INTEGER, 4, 1, 1);
    float *fb = (float *)(void *)buf;
    CHECK_EQ_U(h5k_convert(buf, f32, buf, i32, 3, NULL), 0);
    CHECK(fb[0] == 1.0f && fb[1] == -7.0f && fb[2] == 16777216.0f);
    buf[0] = 0x01020304;
    CHECK_EQ_U(h5k_convert(buf, i32be, buf, i32, 1, NULL), 0);
    CHECK_EQ_U((uint32_t)buf[0], 0x04030201u);
    h5k_datatype_free(i32be);
  }
  /* Big-endian integers to the same size, other sign: saturate (see make_convert_fixtures.py). */
  {
    h5k_datatype *u32be = mk(H5K_CLASS_INTEGER, 4, 0, 1), *i64be = mk(H5K_CLASS_INTEGER, 8, 1, 1);
    uint8_t b[16];
    int32_t o[2];
    uint64_t u[2];
    store_be(b, 0x80000000u, 4);
    store_be(b + 4, 0xffffffffu, 4);
    CHECK_EQ_U(h5k_convert(o, i32, b, u32be, 2, NULL), 0);
    CHECK(o[0] == INT32_MAX && o[1] == INT32_MAX);
    store_be(b, (uint64_t)-1, 8);
    store_be(b + 8, 5, 8);
    CHECK_EQ_U(h5k_convert(u, u64, b, i64be, 2, NULL), 0);
    CHECK(u[0] == 0 && u[1] == 5);
    h5k_datatype_free(u32be);
    h5k_datatype_free(i64be);
  }
  /* A non-IEEE layout: x87 80-bit extended in 16 bytes (explicit leading mantissa bit). */
  {
    h5k_datatype x = {0};
    uint8_t b[4 * 16];
    double o[4];
    x.cls = H5K_CLASS_FLOAT;
    x.size = 16;
    x.precision = 80;
    x.sign_location = 79;
    x.exp_location = 64;
    x.exp_size = 15;
    x.mantissa_location = 0;
    x.mantissa_size = 64;
    x.exp_bias = 16383;
    x.mantissa_norm = 1;
    memset(b, 0, sizeof b);
    put_le(b, UINT64_C(0xC000000000000000), 8); /* 1.5 */
    put_le(b + 8, 16383, 2);
    put_le(b + 16, UINT64_C(0xC000000000000000), 8); /* -3.0 */
    put_le(b + 24, 0x8000 | 16384, 2);
    put_le(b + 32, UINT64_C(0x8000000000000000), 8); /* +inf */
    put_le(b + 40, 0x7fff, 2);
    put_le(b + 48, UINT64_C(0x8000000000000000), 8); /* 2^-1000 */
    put_le(b + 56, 16383 - 1000, 2);
    CHECK_EQ_U(h5k_convert(o, f64, b, &x, 4, NULL), 0);
    CHECK(o[0] == 1.5 && o[1] == -3.0 && isinf(o[2]) && o[3] > 0 && o[3] * 1e300 < 1e-1 && dbits(o[3]) == UINT64_C(0x0170000000000000));
    /* a float destination must be IEEE */
    CHECK((h5k_convert(b, &x, o, f64, 1, NULL)) == H5K_EUNSUPPORTED);
  }
  h5k_datatype_free(f16);
  h5k_datatype_free(f32);
  h5k_datatype_free(f64);
  h5k_datatype_free(f64be);
  h5k_datatype_free(i32);
  h5k_datatype_free(u16);
  h5k_datatype_free(i64);
  h5k_datatype_free(u64);
}

static void test_strings_and_types(void) {
  h5k_datatype s5 = {0}, s3 = {0}, sp = {0}, vs = {0};
  char out[3 * 3];
  /* null-padded 5 -> null-terminated 3: "hello" -> "he\0", "ab" -> "ab\0" */
  s5.cls = s3.cls = sp.cls = H5K_CLASS_STRING;
  s5.size = 5;
  s5.str_pad = H5K_STR_NULLPAD;
  s3.size = 3;
  s3.str_pad = H5K_STR_NULLTERM;
  sp.size = 5;
  sp.str_pad = H5K_STR_SPACEPAD;
  CHECK_EQ_U(h5k_convert(out, &s3, "helloab\0\0\0x    ", &s5, 3, NULL), 0);
  CHECK(memcmp(out, "he\0ab\0x \0", 9) == 0); /* "x    " is null-padded: its spaces are characters */
  {
    char o5[10];
    CHECK_EQ_U(h5k_convert(o5, &sp, "ab\0\0\0xyz\0\0", &s5, 2, NULL), 0);
    CHECK(memcmp(o5, "ab   xyz  ", 10) == 0);
  }
  /* fixed -> vlen string (char*) and reclaim */
  vs.cls = H5K_CLASS_VLEN;
  vs.vlen_type = H5K_VLEN_STRING;
  vs.size = sizeof(char *);
  {
    char *p[2] = {NULL, NULL};
    CHECK_EQ_U(h5k_convert(p, &vs, "hi\0\0\0x    ", &s5, 1, NULL), 0);
    CHECK(p[0] && strcmp(p[0], "hi") == 0);
    h5k_reclaim(p, &vs, 1);
    CHECK(p[0] == NULL);
    CHECK_EQ_U(h5k_convert(p, &vs, "x    ", &sp, 1, NULL), 0);
    CHECK(p[0] && strcmp(p[0], "x") == 0);
    h5k_reclaim(p, &vs, 1);
  }
  /* h5k_datatype_make */
  {
    h5k_datatype *t = NULL;
    CHECK((h5k_datatype_make(&t, H5K_CLASS_FLOAT, 3, 0)) == H5K_EINVAL);
    CHECK((h5k_datatype_make(&t, H5K_CLASS_STRING, 4, 0)) == H5K_EINVAL);
    CHECK_EQ_U(h5k_datatype_make(&t, H5K_CLASS_FLOAT, 4, 1), 0);
    CHECK(t && t->cls == H5K_CLASS_FLOAT && t->size == 4 && t->exp_size == 8 && t->mantissa_size == 23 && t->exp_bias == 127);
    h5k_datatype_free(t);
  }
}

/* ---- 2. real attributes ------------------------------------------------------------------------------ */

typedef struct sbuf {
  char *p;
  size_t len, cap;
} sbuf;

static void sb_add(sbuf *b, const char *s) {
  size_t n = strlen(s);
  if (b->len + n + 2 > b->cap) {
    size_t cap = (b->cap + n + 2) * 2;
    char *q = realloc(b->p, cap);
    if (!q) return;
    b->p = q;
    b->cap = cap;
  }
  if (b->len) b->p[b->len++] = ' ';
  memcpy(b->p + b->len, s, n + 1);
  b->len += n;
}

static void sb_hex(sbuf *b, const char *prefix, const uint8_t *p, size_t n) {
  char *t = malloc(strlen(prefix) + 2 * n + 1);
  size_t k = strlen(prefix);
  if (!t) return;
  strcpy(t, prefix);
  for (size_t i = 0; i < n; i++) k += (size_t)sprintf(t + k, "%02x", p[i]);
  sb_add(b, t);
  free(t);
}

/* Render converted memory (a native type) as conv_expect.txt tokens. */
static void flat(sbuf *b, const uint8_t *p, const h5k_datatype *t) {
  char tok[64];
  uint8_t v[8];
  switch (t->cls) {
  case H5K_CLASS_INTEGER:
  case H5K_CLASS_FLOAT:
    for (size_t k = 0; k < t->size && k < 8; k++) v[k] = t->big_endian ? p[t->size - 1 - k] : p[k];
    if (t->cls == H5K_CLASS_INTEGER) {
      uint64_t raw = get_le(v, (size_t)t->size);
      if (t->is_signed && t->size < 8 && (raw >> (8 * t->size - 1))) raw |= UINT64_MAX << (8 * t->size);
      if (t->is_signed) sprintf(tok, "i:%lld", (long long)raw);
      else sprintf(tok, "i:%llu", (unsigned long long)raw);
    } else {
      double x;
      if (t->size == 2) x = half_value((uint16_t)get_le(v, 2));
      else if (t->size == 4) {
        float f;
        memcpy(&f, v, 4);
        x = f;
      } else memcpy(&x, v, 8);
      if (isnan(x)) strcpy(tok, "f:nan");
      else sprintf(tok, "f:%016llx", (unsigned long long)dbits(x));
    }
    sb_add(b, tok);
    return;
  case H5K_CLASS_ENUM:
    flat(b, p, t->base);
    return;
  case H5K_CLASS_STRING: {
    const uint8_t *nul = memchr(p, 0, (size_t)t->size);
    sb_hex(b, "s:", p, nul ? (size_t)(nul - p) : (size_t)t->size);
    return;
  }
  case H5K_CLASS_VLEN:
    if (t->vlen_type == H5K_VLEN_STRING) {
      char *c;
      memcpy(&c, p, sizeof c);
      sb_hex(b, "s:", (const uint8_t *)c, c ? strlen(c) : 0);
    } else {
      h5k_vlen vl;
      memcpy(&vl, p, sizeof vl);
      sb_add(b, "[");
      for (size_t i = 0; i < vl.len; i++) flat(b, (const uint8_t *)vl.p + i * t->base->size, t->base);
      sb_add(b, "]");
    }
    return;
  case H5K_CLASS_COMPOUND:
    sb_add(b, "{");
    for (size_t i = 0; i < t->nmembers; i++) flat(b, p + t->members[i].offset, t->members[i].type);
    sb_add(b, "}");
    return;
  case H5K_CLASS_ARRAY: {
    uint64_t count = 1;
    for (unsigned i = 0; i < t->rank; i++) count *= t->dims[i];
    sb_add(b, "(");
    for (uint64_t i = 0; i < count; i++) flat(b, p + i * t->base->size, t->base);
    sb_add(b, ")");
    return;
  }
  case H5K_CLASS_REFERENCE: {
    uint64_t a;
    memcpy(&a, p, 8);
    sprintf(tok, "r:%llu", (unsigned long long)a);
    sb_add(b, tok);
    return;
  }
  default:
    sb_add(b, "?");
  }
}

typedef struct sub_t {
  char *e;
  double a;
} sub_t;

typedef struct attr_copy {
  char name[32];
  h5k_datatype *type;
  uint8_t *data;
  size_t size;
  uint64_t nelem;
} attr_copy;

typedef struct attr_set {
  attr_copy a[64];
  size_t n;
} attr_set;

static int collect(void *ud, const h5k_attr *at) {
  attr_set *s = ud;
  attr_copy *c;
  if (s->n == 64) return 1;
  c = &s->a[s->n++];
  snprintf(c->name, sizeof c->name, "%s", at->name);
  if (h5k_datatype_copy(&c->type, at->type) < 0) return -1;
  c->data = malloc(at->data_size ? at->data_size : 1);
  if (!c->data) return -1;
  memcpy(c->data, at->data, at->data_size);
  c->size = at->data_size;
  c->nelem = at->type->size ? at->data_size / at->type->size : 0;
  return 0;
}

static const attr_copy *find_attr(const attr_set *s, const char *name) {
  for (size_t i = 0; i < s->n; i++)
    if (strcmp(s->a[i].name, name) == 0) return &s->a[i];
  return NULL;
}

/* Convert an attribute to `mt` and compare the rendering with `expect`. */
static void compare(h5k_file *f, const attr_copy *a, const h5k_datatype *mt, const char *expect, const char *what) {
  uint8_t *buf = calloc((size_t)a->nelem + 1, (size_t)mt->size);
  sbuf b = {NULL, 0, 0};
  int rc;
  if (!buf) return;
  rc = h5k_convert(buf, mt, a->data, a->type, (size_t)a->nelem, f);
  CHECK_EQ_U(rc, 0);
  if (rc < 0) fprintf(stderr, "%s: %s\n", what, h5k_error_last());
  for (uint64_t i = 0; i < a->nelem && rc == 0; i++) flat(&b, buf + i * mt->size, mt);
  if (rc == 0 && (!b.p || strcmp(b.p, expect) != 0)) {
    fprintf(stderr, "%s mismatch\n  got:    %.300s\n  expect: %.300s\n", what, b.p ? b.p : "", expect);
    CHECK(0);
  }
  test_checks++;
  h5k_reclaim(buf, mt, (size_t)a->nelem);
  free(buf);
  free(b.p);
}

static h5k_datatype *type_from_numpy(const char *s) {
  int be = s[0] == '>';
  size_t size = (size_t)atoi(s + 2);
  return mk(s[1] == 'f' ? H5K_CLASS_FLOAT : H5K_CLASS_INTEGER, size, s[1] == 'i', be);
}

static void test_real_file(const char *lib) {
  char fname[64], *path, *xpath = data_path("conv_expect.txt");
  h5k_file *f = NULL;
  h5k_addr root;
  attr_set *set = calloc(1, sizeof *set);
  FILE *xp;
  static char line[65536];
  size_t nnative = 0, nas = 0;
  snprintf(fname, sizeof fname, "conv_%s.h5", lib);
  path = data_path(fname);
  CHECK(path && xpath && set);
  if (!path || !xpath || !set) return;
  CHECK_EQ_U(h5k_open(&f, path, NULL), 0);
  if (!f) return;
  CHECK_EQ_U(h5k_resolve(&root, f, "/"), 0);
  CHECK_EQ_U(h5k_attr_iterate(f, root, H5K_ORDER_NAME, collect, set), 0);
  xp = fopen(xpath, "r");
  CHECK(xp != NULL);
  while (xp && fgets(line, sizeof line, xp)) {
    char *kind = strtok(line, "\t\n"), *name = strtok(NULL, "\t\n"), *rest = strtok(NULL, "\n");
    const attr_copy *a = name ? find_attr(set, name) : NULL;
    char what[128];
    if (!kind || !name || !rest) continue;
    if (!a) {
      fprintf(stderr, "attribute %s not found in %s\n", name, fname);
      CHECK(0);
      continue;
    }
    snprintf(what, sizeof what, "%s %s %s", lib, kind, name);
    if (strcmp(kind, "native") == 0 ||
        (strncmp(kind, "oref_", 5) == 0 && strcmp(kind + 5, lib) == 0)) {
      h5k_datatype *nt = NULL;
      CHECK_EQ_U(h5k_datatype_native(&nt, a->type), 0);
      if (nt) compare(f, a, nt, rest, what);
      h5k_datatype_free(nt);
      nnative++;
    } else if (strcmp(kind, "as") == 0) {
      char *dts = strtok(rest, "\t"), *tokens = strtok(NULL, "\n");
      h5k_datatype *dt = dts ? type_from_numpy(dts) : NULL;
      snprintf(what, sizeof what, "%s as %s -> %s", lib, name, dts ? dts : "?");
      CHECK(dt && tokens);
      if (dt && tokens) compare(f, a, dt, tokens, what);
      h5k_datatype_free(dt);
      nas++;
    } else if (strncmp(kind, "rref_", 5) == 0 && strcmp(kind + 5, lib) == 0) {
      /* region reference: raw heap ID (address, index); its heap object starts with the address
       * of the referenced dataset */
      h5k_datatype *nt = NULL;
      uint8_t raw[16], *obj = NULL;
      size_t len = 0;
      CHECK_EQ_U(h5k_datatype_native(&nt, a->type), 0);
      CHECK(nt && nt->size == a->type->size && nt->size == 12);
      if (nt && nt->size == 12) {
        CHECK_EQ_U(h5k_convert(raw, nt, a->data, a->type, 1, f), 0);
        CHECK_EQ_U(h5k_gheap_get(&obj, &len, &f->fc, get_le(raw, 8), (uint32_t)get_le(raw + 8, 4)), 0);
        CHECK(obj && len >= 8 && get_le(obj, 8) == strtoull(rest + 2, NULL, 10));
      }
      free(obj);
      h5k_datatype_free(nt);
    }
  }
  CHECK(nnative >= 25 && nas >= 50);
  if (xp) fclose(xp);
  /* vlen strings into fixed strings, compound subset, array member, errors on a real file */
  {
    const attr_copy *vstr = find_attr(set, "vstr"), *cmp = find_attr(set, "cmp"), *vseq = find_attr(set, "vseq");
    h5k_datatype fs = {0};
    CHECK(vstr && cmp && vseq);
    if (vstr) {
      char out[4 * 4];
      fs.cls = H5K_CLASS_STRING;
      fs.size = 4;
      fs.str_pad = H5K_STR_NULLPAD;
      CHECK_EQ_U(h5k_convert(out, &fs, vstr->data, vstr->type, 4, f), 0);
      CHECK(memcmp(out, "one\0\0\0\0\0threxxxx", 16) == 0);
      /* without the file: H5K_EINVAL */
      CHECK((h5k_convert(out, &fs, vstr->data, vstr->type, 4, NULL)) == H5K_EINVAL);
    }
    if (cmp) {
      /* destination: only members e (char*) and a (as double), in that order */
      h5k_datatype *nt = NULL, sub;
      h5k_type_member m[2];
      h5k_datatype *f64 = mk(H5K_CLASS_FLOAT, 8, 1, 0);
      sub_t out[2];
      CHECK_EQ_U(h5k_datatype_native(&nt, cmp->type), 0);
      CHECK(nt && nt->nmembers == 5 && nt->size == 2 + 8 + 3 + 12 + sizeof(char *));
      if (nt && nt->nmembers == 5) {
        memset(&sub, 0, sizeof sub);
        sub.cls = H5K_CLASS_COMPOUND;
        sub.size = sizeof out[0];
        sub.nmembers = 2;
        sub.members = m;
        m[0].name = "e";
        m[0].offset = offsetof(sub_t, e);
        m[0].type = nt->members[4].type;
        m[1].name = "a";
        m[1].offset = offsetof(sub_t, a);
        m[1].type = f64;
        CHECK_EQ_U(h5k_convert(out, &sub, cmp->data, cmp->type, 2, f), 0);
        CHECK(out[0].e && strcmp(out[0].e, "first") == 0 && out[0].a == -5.0);
        CHECK(out[1].e && strcmp(out[1].e, "") == 0 && out[1].a == 32767.0);
        h5k_reclaim(out, &sub, 2);
        CHECK(out[0].e == NULL);
        /* a destination member the source lacks */
        m[1].name = "zz";
        CHECK((h5k_convert(out, &sub, cmp->data, cmp->type, 2, f)) == H5K_EUNSUPPORTED);
        CHECK(out[0].e == NULL); /* nothing left allocated */
      }
      h5k_datatype_free(nt);
      h5k_datatype_free(f64);
    }
    {
      /* enum (BE i16) -> native enum maps by name; a value with no name becomes all ones */
      const attr_copy *en = find_attr(set, "enum");
      h5k_datatype *nt = NULL;
      uint8_t raw[8];
      int16_t out[4];
      CHECK(en && en->size == 8);
      if (en && en->size == 8 && h5k_datatype_native(&nt, en->type) == 0) {
        memcpy(raw, en->data, 8);
        store_be(raw + 2, 5, 2);
        CHECK_EQ_U(h5k_convert(out, nt, raw, en->type, 4, f), 0);
        CHECK(out[0] == 7 && out[1] == -1 && out[2] == 300 && out[3] == 7);
      }
      h5k_datatype_free(nt);
    }
    if (vseq) {
      /* vlen<i32 BE> -> vlen<double>; then a heap ID naming a missing object */
      h5k_datatype *f64 = mk(H5K_CLASS_FLOAT, 8, 1, 0), vt;
      h5k_vlen out[3];
      uint8_t bad[3 * 16];
      memset(&vt, 0, sizeof vt);
      vt.cls = H5K_CLASS_VLEN;
      vt.size = sizeof(h5k_vlen);
      vt.base = f64;
      CHECK_EQ_U(h5k_convert(out, &vt, vseq->data, vseq->type, 3, f), 0);
      CHECK(out[0].len == 3 && ((double *)out[0].p)[1] == -2.0 && out[1].len == 0 && out[2].len == 1 &&
            ((double *)out[2].p)[0] == 2147483647.0);
      h5k_reclaim(out, &vt, 3);
      CHECK(out[0].p == NULL);
      memcpy(bad, vseq->data, sizeof bad);
      put_le(bad + 16 + 12, 999, 4); /* element 1 (empty) stays empty: length 0 */
      CHECK_EQ_U(h5k_convert(out, &vt, bad, vseq->type, 3, f), 0);
      h5k_reclaim(out, &vt, 3);
      put_le(bad + 32 + 12, 999, 4); /* element 2: no object 999 */
      CHECK((h5k_convert(out, &vt, bad, vseq->type, 3, f)) == H5K_ECORRUPT);
      CHECK(out[0].p == NULL && out[0].len == 0);
      memcpy(bad, vseq->data, sizeof bad);
      put_le(bad + 32, 1000, 4); /* element 2 claims 1000 elements */
      CHECK((h5k_convert(out, &vt, bad, vseq->type, 3, f)) == H5K_ECORRUPT);
      memcpy(bad, vseq->data, sizeof bad);
      put_le(bad + 4, 5, 8); /* collection address 5: no "GCOL" there */
      CHECK((h5k_convert(out, &vt, bad, vseq->type, 3, f)) == H5K_ECORRUPT);
      /* h5k_vlen_get: raw bytes of element 0 (three big-endian int32) */
      {
        uint8_t *raw = NULL;
        size_t len = 0;
        CHECK_EQ_U(h5k_vlen_get(&raw, &len, f, vseq->data, 16), 0);
        CHECK(len == 12 && raw && raw[3] == 1 && raw[4] == 0xff && raw[7] == 0xfe && raw[11] == 3);
        free(raw);
        CHECK_EQ_U(h5k_vlen_get(&raw, &len, f, vseq->data + 16, 16), 0);
        CHECK(raw == NULL && len == 0);
        CHECK((h5k_vlen_get(&raw, &len, f, vseq->data, 8)) == H5K_EINVAL);
      }
      h5k_datatype_free(f64);
    }
  }
  for (size_t i = 0; i < set->n; i++) {
    h5k_datatype_free(set->a[i].type);
    free(set->a[i].data);
  }
  free(set);
  h5k_close(f);
  free(path);
  free(xpath);
}

/* ---- 4. throughput ------------------------------------------------------------------------------------ */

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void bench(void) {
  size_t n = (size_t)1 << 22;
  uint8_t *src = malloc(n * 8), *dst = malloc(n * 8);
  h5k_datatype *i32be = mk(H5K_CLASS_INTEGER, 4, 1, 1), *i32 = mk(H5K_CLASS_INTEGER, 4, 1, 0);
  h5k_datatype *f64 = mk(H5K_CLASS_FLOAT, 8, 1, 0), *f32be = mk(H5K_CLASS_FLOAT, 4, 1, 1);
  h5k_datatype *u16 = mk(H5K_CLASS_INTEGER, 2, 0, 0);
  struct {
    const char *name;
    h5k_datatype *d, *s;
  } cases[] = {{"i32be->i32", i32, i32be}, {"i32be->f64", f64, i32be}, {"i32->f64", f64, i32},
               {"f32be->f64", f64, f32be}, {"f64->u16", u16, f64}};
  if (!src || !dst) return;
  for (size_t i = 0; i < n * 8; i++) src[i] = (uint8_t)(i * 7);
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    double t0, dt;
    CHECK_EQ_U(h5k_convert(dst, cases[c].d, src, cases[c].s, n, NULL), 0); /* warm up: page faults */
    t0 = now();
    CHECK_EQ_U(h5k_convert(dst, cases[c].d, src, cases[c].s, n, NULL), 0);
    dt = now() - t0;
    printf("  %-12s %6.0f M elements/s (%zu elements, contiguous)\n", cases[c].name, n / dt / 1e6, n);
  }
  free(src);
  free(dst);
  h5k_datatype_free(i32be);
  h5k_datatype_free(i32);
  h5k_datatype_free(f64);
  h5k_datatype_free(f32be);
  h5k_datatype_free(u16);
}

/* h5k_datatype_contains: classes found at any depth (compound member, array/vlen/enum base). */
static void test_contains(void) {
  /* compound { int32 a; array[3] of vlen sequence of object reference b } */
  h5k_datatype *ref = calloc(1, sizeof *ref), *vl = calloc(1, sizeof *vl), *arr = calloc(1, sizeof *arr);
  h5k_datatype *cmp = calloc(1, sizeof *cmp), *i32 = mk(H5K_CLASS_INTEGER, 4, 1, 0);
  CHECK(ref && vl && arr && cmp && i32);
  if (!(ref && vl && arr && cmp && i32)) return;
  ref->cls = H5K_CLASS_REFERENCE;
  ref->size = 8;
  vl->cls = H5K_CLASS_VLEN;
  vl->size = 16;
  vl->base = ref;
  arr->cls = H5K_CLASS_ARRAY;
  arr->rank = 1;
  arr->dims[0] = 3;
  arr->size = 48;
  arr->base = vl;
  cmp->cls = H5K_CLASS_COMPOUND;
  cmp->size = 52;
  cmp->nmembers = 2;
  cmp->members = calloc(2, sizeof *cmp->members);
  CHECK(cmp->members != NULL);
  if (!cmp->members) return;
  cmp->members[0].name = strdup("a");
  cmp->members[0].type = i32;
  cmp->members[1].name = strdup("b");
  cmp->members[1].offset = 4;
  cmp->members[1].type = arr;
  CHECK(h5k_datatype_contains(cmp, H5K_CLASS_COMPOUND) == 1);
  CHECK(h5k_datatype_contains(cmp, H5K_CLASS_INTEGER) == 1);
  CHECK(h5k_datatype_contains(cmp, H5K_CLASS_ARRAY) == 1);
  CHECK(h5k_datatype_contains(cmp, H5K_CLASS_VLEN) == 1);
  CHECK(h5k_datatype_contains(cmp, H5K_CLASS_REFERENCE) == 1);
  CHECK(h5k_datatype_contains(cmp, H5K_CLASS_FLOAT) == 0);
  CHECK(h5k_datatype_contains(cmp, H5K_CLASS_STRING) == 0);
  CHECK(h5k_datatype_contains(arr, H5K_CLASS_INTEGER) == 0); /* the sibling member is not inside */
  CHECK(h5k_datatype_contains(i32, H5K_CLASS_VLEN) == 0);
  CHECK(h5k_datatype_contains(NULL, H5K_CLASS_INTEGER) == 0);
  h5k_datatype_free(cmp);
}

int main(void) {
  test_contains();
  test_int_matrix();
  test_odd_ints();
  test_floats();
  test_strings_and_types();
  test_real_file("earliest");
  test_real_file("latest");
  bench();
  return test_finish("test_convert");
}
