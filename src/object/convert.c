/* Datatype conversion — File Format Specification IV.A.2.d (Datatype message: how each class is
 * laid out in raw data) and the layout of variable-length data and references stored in raw data
 * (IV.A.2.d class 7 and 9; III.E global heap IDs).
 *
 * Raw element layouts this file reads (src) and writes (dst):
 *
 *   class            file (src)                                 memory (dst)
 *   integer          size bytes, `precision` bits at `bit_offset`, same, host order
 *                    little- or big-endian
 *   float            size bytes; sign / exponent / mantissa bit  IEEE 754 binary16/32/64
 *                    fields at the stored locations
 *   string           size bytes, NUL-terminated/-padded or       same, or char* (vlen string)
 *                    space-padded
 *   vlen             4-byte length | collection address (O) |    h5k_vlen {len, p} or char*
 *                    4-byte object index
 *   reference (obj)  object header address (O bytes)             h5k_addr (8 bytes)
 *   compound         members at their offsets                    members at the dst's offsets
 *   array            dims x base, C order                        same dims x dst base
 *
 * Structure: conv_run() dispatches once per (type pair, n elements) and recurses into members
 * and bases with strides, so a compound of n elements costs one pass per member, not one
 * dispatch per element. Numbers go through a table of tight loops between host C types
 * (int8..uint64, float, double) with byte swapping and half floats staged in small blocks; any
 * other integer/float layout takes a generic bit-field path (per element, slower).
 *
 * Conversion rules on overflow follow the HDF Group's note "Data Conversion of Arithmetic Data
 * Types": a value outside the destination's range becomes the destination's minimum or maximum.
 * NaN to an integer gives 0 (what libhdf5's software float->integer path does). */
#include "object/convert.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "format/global_heap.h"
#include "format/messages.h"
#include "util/checked.h"
#include "util/error.h"

#if defined(__BYTE_ORDER__) && defined(__ORDER_BIG_ENDIAN__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define HOST_BE 1
#else
#define HOST_BE 0
#endif

#define BLOCK 256 /* elements staged at once by the numeric fast path */

/* ---- small helpers ------------------------------------------------------------------------------ */

static const char *class_name(h5k_type_class c) {
  static const char *const names[] = {"integer", "float",    "time", "string", "bitfield", "opaque",
                                      "compound", "reference", "enum", "vlen",   "array"};
  return (unsigned)c < sizeof names / sizeof names[0] ? names[c] : "unknown";
}

static int no_path(const h5k_datatype *dt, const h5k_datatype *st, const char *why) {
  return h5k_err(H5K_EUNSUPPORTED, "no conversion from %s (%llu bytes) to %s (%llu bytes)%s%s", class_name(st->cls),
                 (unsigned long long)st->size, class_name(dt->cls), (unsigned long long)dt->size, why ? ": " : "",
                 why ? why : "");
}

static uint32_t prec_of(const h5k_datatype *t) { return t->precision ? t->precision : (uint32_t)(t->size * 8); }

/* Whether a number of this type is stored with its bytes reversed relative to the host. */
static int swapped(const h5k_datatype *t) { return (t->big_endian == 1) != HOST_BE; }

static void copy_strided(uint8_t *d, size_t ds, const uint8_t *s, size_t ss, size_t n, size_t size) {
  if (d == s && ds == ss) return;
  if (ds == size && ss == size) {
    memmove(d, s, n * size);
    return;
  }
  for (size_t i = 0; i < n; i++) memmove(d + i * ds, s + i * ss, size);
}

/* Reverse the bytes of each element (works in place). */
static void swap_strided(uint8_t *d, size_t ds, const uint8_t *s, size_t ss, size_t n, size_t size) {
  size_t i;
  switch (size) {
  case 1:
    copy_strided(d, ds, s, ss, n, 1);
    return;
  case 2:
    if (ds == 2 && ss == 2) {
      for (i = 0; i < n; i++) {
        uint16_t v;
        memcpy(&v, s + 2 * i, 2);
        v = __builtin_bswap16(v);
        memcpy(d + 2 * i, &v, 2);
      }
      return;
    }
    for (i = 0; i < n; i++) {
      uint16_t v;
      memcpy(&v, s + i * ss, 2);
      v = __builtin_bswap16(v);
      memcpy(d + i * ds, &v, 2);
    }
    return;
  case 4:
    if (ds == 4 && ss == 4) {
      for (i = 0; i < n; i++) {
        uint32_t v;
        memcpy(&v, s + 4 * i, 4);
        v = __builtin_bswap32(v);
        memcpy(d + 4 * i, &v, 4);
      }
      return;
    }
    for (i = 0; i < n; i++) {
      uint32_t v;
      memcpy(&v, s + i * ss, 4);
      v = __builtin_bswap32(v);
      memcpy(d + i * ds, &v, 4);
    }
    return;
  case 8:
    if (ds == 8 && ss == 8) {
      for (i = 0; i < n; i++) {
        uint64_t v;
        memcpy(&v, s + 8 * i, 8);
        v = __builtin_bswap64(v);
        memcpy(d + 8 * i, &v, 8);
      }
      return;
    }
    for (i = 0; i < n; i++) {
      uint64_t v;
      memcpy(&v, s + i * ss, 8);
      v = __builtin_bswap64(v);
      memcpy(d + i * ds, &v, 8);
    }
    return;
  default:
    for (i = 0; i < n; i++) {
      uint8_t *dp = d + i * ds;
      const uint8_t *sp = s + i * ss;
      for (size_t a = 0, b = size - 1; a < b; a++, b--) { /* in place safe: pairwise */
        uint8_t x = sp[a], y = sp[b];
        dp[a] = y;
        dp[b] = x;
      }
      if (size & 1) dp[size / 2] = sp[size / 2];
    }
  }
}

/* 2^e as a double, for -1022 <= e <= 1023. */
static double pow2i(int e) {
  uint64_t b = (uint64_t)(e + 1023) << 52;
  double d;
  memcpy(&d, &b, 8);
  return d;
}

static double scale2(double x, int64_t e) {
  if (x == 0) return x;
  while (e > 1000) {
    x *= pow2i(1000);
    e -= 1000;
    if (isinf(x)) return x;
  }
  while (e < -1000) {
    x *= pow2i(-1000);
    e += 1000;
    if (x == 0) return x;
  }
  return x * pow2i((int)e);
}

/* ---- half precision ------------------------------------------------------------------------------ */

static float half_to_float(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000) << 16, e = (h >> 10) & 0x1f, m = h & 0x3ff, b;
  float f;
  if (e == 0x1f) {
    b = sign | 0x7f800000u | (m << 13);
  } else if (e == 0) {
    f = (float)m * 0x1p-24f; /* zero or subnormal: exact */
    return sign ? -f : f;
  } else {
    b = sign | ((e + 112) << 23) | (m << 13);
  }
  memcpy(&f, &b, 4);
  return f;
}

/* Round a double to the nearest binary16 (ties to even); overflow gives infinity. */
static uint16_t double_to_half(double x) {
  uint64_t b, full, q, rem, halfway;
  uint16_t sign;
  int e, shift;
  memcpy(&b, &x, 8);
  sign = (uint16_t)((b >> 48) & 0x8000);
  e = (int)((b >> 52) & 0x7ff);
  full = b & ((UINT64_C(1) << 52) - 1);
  if (e == 0x7ff) return (uint16_t)(sign | 0x7c00 | (full ? 0x200 | (full >> 42) : 0));
  if (e == 0) return sign; /* double subnormals are far below half's range */
  e -= 1023;
  if (e > 15) return (uint16_t)(sign | 0x7c00);
  full |= UINT64_C(1) << 52;
  shift = e >= -14 ? 42 : 42 + (-14 - e);
  if (shift > 60) return sign;
  q = full >> shift;
  rem = full & ((UINT64_C(1) << shift) - 1);
  halfway = UINT64_C(1) << (shift - 1);
  if (rem > halfway || (rem == halfway && (q & 1))) q++;
  if (e >= -14) return (uint16_t)(sign | ((((uint32_t)(e + 15)) << 10) + (uint32_t)(q - 1024))); /* carry ok */
  return (uint16_t)(sign | q);
}

/* ---- numeric fast path: tight loops between host C types ------------------------------------------- */

enum { NK_I8, NK_U8, NK_I16, NK_U16, NK_I32, NK_U32, NK_I64, NK_U64, NK_F32, NK_F64, NK_F16, NK_NONE };
static const size_t nk_size[] = {1, 1, 2, 2, 4, 4, 8, 8, 4, 8, 2};

static inline int64_t sat_ss(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }
static inline uint64_t sat_su(int64_t v, uint64_t hi) { return v < 0 ? 0 : (uint64_t)v > hi ? hi : (uint64_t)v; }
static inline int64_t sat_us(uint64_t v, int64_t hi) { return v > (uint64_t)hi ? hi : (int64_t)v; }
static inline uint64_t sat_uu(uint64_t v, uint64_t hi) { return v > hi ? hi : v; }
/* float -> integer: NaN 0, beyond the range the nearest bound, else truncation toward zero. */
static inline int64_t sat_fs(double x, int64_t lo, int64_t hi) {
  if (isnan(x)) return 0;
  if (x >= -(double)lo) return hi; /* -(double)lo == hi + 1 exactly */
  if (x <= (double)lo) return lo;
  return (int64_t)x;
}
static inline uint64_t sat_fu(double x, uint64_t hi) {
  if (isnan(x) || x <= 0) return 0;
  if (x >= (double)hi + 1.0) return hi;
  return (uint64_t)x;
}

#define CV_SS(v, DT, lo, hi) (DT) sat_ss((int64_t)(v), (int64_t)(lo), (int64_t)(hi))
#define CV_SU(v, DT, lo, hi) (DT) sat_su((int64_t)(v), (uint64_t)(hi))
#define CV_SF(v, DT, lo, hi) (DT)(v)
#define CV_US(v, DT, lo, hi) (DT) sat_us((uint64_t)(v), (int64_t)(hi))
#define CV_UU(v, DT, lo, hi) (DT) sat_uu((uint64_t)(v), (uint64_t)(hi))
#define CV_UF(v, DT, lo, hi) (DT)(v)
#define CV_FS(v, DT, lo, hi) (DT) sat_fs((double)(v), (int64_t)(lo), (int64_t)(hi))
#define CV_FU(v, DT, lo, hi) (DT) sat_fu((double)(v), (uint64_t)(hi))
#define CV_FF(v, DT, lo, hi) (DT)(v)

/* The host types, in NK_* order: name, C type, category (S signed, U unsigned, F float), range. */
#define NK_LIST1(X)                                                                                      \
  X(I8, int8_t, S, INT8_MIN, INT8_MAX) X(U8, uint8_t, U, 0, UINT8_MAX) X(I16, int16_t, S, INT16_MIN, INT16_MAX) \
  X(U16, uint16_t, U, 0, UINT16_MAX) X(I32, int32_t, S, INT32_MIN, INT32_MAX) X(U32, uint32_t, U, 0, UINT32_MAX) \
  X(I64, int64_t, S, INT64_MIN, INT64_MAX) X(U64, uint64_t, U, 0, UINT64_MAX) X(F32, float, F, 0, 0)           \
  X(F64, double, F, 0, 0)
#define NK_LIST2(X, a, b, c, d, e)                                                                      \
  X(a, b, c, d, e, I8, int8_t, S, INT8_MIN, INT8_MAX) X(a, b, c, d, e, U8, uint8_t, U, 0, UINT8_MAX)         \
  X(a, b, c, d, e, I16, int16_t, S, INT16_MIN, INT16_MAX) X(a, b, c, d, e, U16, uint16_t, U, 0, UINT16_MAX)  \
  X(a, b, c, d, e, I32, int32_t, S, INT32_MIN, INT32_MAX) X(a, b, c, d, e, U32, uint32_t, U, 0, UINT32_MAX)  \
  X(a, b, c, d, e, I64, int64_t, S, INT64_MIN, INT64_MAX) X(a, b, c, d, e, U64, uint64_t, U, 0, UINT64_MAX)  \
  X(a, b, c, d, e, F32, float, F, 0, 0) X(a, b, c, d, e, F64, double, F, 0, 0)

typedef void (*loop_fn)(uint8_t *d, size_t ds, const uint8_t *s, size_t ss, size_t n);

/* The contiguous case has constant strides so the compiler can vectorize it. */
#define DEF_LOOP(SN, ST, SC, SLO, SHI, DN, DT, DC, DLO, DHI)                                  \
  static void loop_##SN##_##DN(uint8_t *d, size_t ds, const uint8_t *s, size_t ss, size_t n) { \
    if (ss == sizeof(ST) && ds == sizeof(DT)) {                                             \
      for (size_t i = 0; i < n; i++) {                                                      \
        ST v;                                                                               \
        DT w;                                                                               \
        memcpy(&v, s + i * sizeof(ST), sizeof v);                                           \
        w = CV_##SC##DC(v, DT, DLO, DHI);                                                   \
        memcpy(d + i * sizeof(DT), &w, sizeof w);                                           \
      }                                                                                     \
      return;                                                                               \
    }                                                                                       \
    for (size_t i = 0; i < n; i++) {                                                        \
      ST v;                                                                                 \
      DT w;                                                                                 \
      memcpy(&v, s + i * ss, sizeof v);                                                     \
      w = CV_##SC##DC(v, DT, DLO, DHI);                                                     \
      memcpy(d + i * ds, &w, sizeof w);                                                     \
    }                                                                                       \
  }
#define DEF_ROW(SN, ST, SC, SLO, SHI) NK_LIST2(DEF_LOOP, SN, ST, SC, SLO, SHI)
NK_LIST1(DEF_ROW)

#define TAB_ENT(SN, ST, SC, SLO, SHI, DN, DT, DC, DLO, DHI) loop_##SN##_##DN,
#define TAB_ROW(SN, ST, SC, SLO, SHI) {NK_LIST2(TAB_ENT, SN, ST, SC, SLO, SHI)},
static const loop_fn loops[10][10] = {NK_LIST1(TAB_ROW)};

/* IEEE 754 layouts by size: exponent size, mantissa size, bias. */
static int ieee_params(size_t size, uint32_t *esz, uint32_t *msz, uint32_t *bias) {
  switch (size) {
  case 2: *esz = 5; *msz = 10; *bias = 15; return 1;
  case 4: *esz = 8; *msz = 23; *bias = 127; return 1;
  case 8: *esz = 11; *msz = 52; *bias = 1023; return 1;
  }
  return 0;
}

/* A float type laid out as IEEE 754 binary16/32/64 (either byte order). A memory type whose
 * layout fields were left zero (exp_size 0, never so in a decoded file type) counts as IEEE. */
static int is_ieee(const h5k_datatype *t) {
  uint32_t esz, msz, bias;
  if (t->cls != H5K_CLASS_FLOAT || t->big_endian == H5K_BYTE_ORDER_VAX) return 0;
  if (!ieee_params((size_t)t->size, &esz, &msz, &bias)) return 0;
  if (t->exp_size == 0) return 1;
  return t->bit_offset == 0 && prec_of(t) == t->size * 8 && t->sign_location == t->size * 8 - 1 &&
         t->exp_location == msz && t->exp_size == esz && t->mantissa_location == 0 && t->mantissa_size == msz &&
         t->exp_bias == bias && t->mantissa_norm == 2;
}

/* The host type of a plain number (whole-byte integer or IEEE float), or NK_NONE. */
static int native_kind(const h5k_datatype *t) {
  if (t->cls == H5K_CLASS_FLOAT) {
    if (!is_ieee(t)) return NK_NONE;
    return t->size == 2 ? NK_F16 : t->size == 4 ? NK_F32 : NK_F64;
  }
  if (t->cls != H5K_CLASS_INTEGER && t->cls != H5K_CLASS_BITFIELD) return NK_NONE;
  if (t->bit_offset != 0 || prec_of(t) != t->size * 8) return NK_NONE;
  {
    int sgn = t->cls == H5K_CLASS_INTEGER && t->is_signed;
    switch (t->size) {
    case 1: return sgn ? NK_I8 : NK_U8;
    case 2: return sgn ? NK_I16 : NK_U16;
    case 4: return sgn ? NK_I32 : NK_U32;
    case 8: return sgn ? NK_I64 : NK_U64;
    }
  }
  return NK_NONE;
}

static void fast_numeric(uint8_t *d, size_t ds, int dk, int dswap, const uint8_t *s, size_t ss, int sk, int sswap,
                         size_t n) {
  size_t ssz = nk_size[sk], dsz = nk_size[dk];
  uint64_t ta[BLOCK], tb[BLOCK], tc[BLOCK];
  if (sk == dk) {
    if (sswap == dswap) copy_strided(d, ds, s, ss, n, ssz);
    else swap_strided(d, ds, s, ss, n, ssz);
    return;
  }
  for (size_t done = 0; done < n;) {
    size_t m = n - done < BLOCK ? n - done : BLOCK;
    const uint8_t *sp = s + done * ss;
    uint8_t *dp = d + done * ds;
    size_t sst = ss;
    int k = sk;
    if (sswap) {
      swap_strided((uint8_t *)ta, ssz, sp, sst, m, ssz);
      sp = (const uint8_t *)ta;
      sst = ssz;
    }
    if (k == NK_F16) {
      for (size_t i = 0; i < m; i++) {
        uint16_t h;
        float f;
        memcpy(&h, sp + i * sst, 2);
        f = half_to_float(h);
        memcpy((uint8_t *)tb + 4 * i, &f, 4);
      }
      sp = (const uint8_t *)tb;
      sst = 4;
      k = NK_F32;
    }
    if (dk == NK_F16) {
      uint8_t *hp = dswap ? (uint8_t *)ta : dp;
      size_t hs = dswap ? 2 : ds;
      loops[k][NK_F64]((uint8_t *)tc, 8, sp, sst, m);
      for (size_t i = 0; i < m; i++) {
        double x;
        uint16_t h;
        memcpy(&x, (uint8_t *)tc + 8 * i, 8);
        h = double_to_half(x);
        memcpy(hp + i * hs, &h, 2);
      }
      if (dswap) swap_strided(dp, ds, (uint8_t *)ta, 2, m, 2);
    } else if (dswap) {
      loops[k][dk]((uint8_t *)tc, dsz, sp, sst, m);
      swap_strided(dp, ds, (uint8_t *)tc, dsz, m, dsz);
    } else {
      loops[k][dk](dp, ds, sp, sst, m);
    }
    done += m;
  }
}

/* ---- numeric generic path: any bit layout, one element at a time -------------------------------- */

/* `prec` (<= 64) bits starting at bit `off` of a size-byte element. */
static uint64_t get_bits(const uint8_t *p, size_t size, int be, uint64_t off, uint32_t prec) {
  uint64_t v = 0;
  for (uint32_t k = 0; k < prec;) {
    uint64_t bit = off + k;
    size_t byte = (size_t)(bit / 8);
    unsigned sh = (unsigned)(bit % 8), take = 8 - sh;
    uint8_t x = p[be ? size - 1 - byte : byte];
    if (take > prec - k) take = prec - k;
    v |= (uint64_t)((x >> sh) & ((1u << take) - 1)) << k;
    k += take;
  }
  return v;
}

static void put_bits(uint8_t *p, size_t size, int be, uint64_t off, uint32_t prec, uint64_t v) {
  for (uint32_t k = 0; k < prec;) {
    uint64_t bit = off + k;
    size_t byte = (size_t)(bit / 8);
    unsigned sh = (unsigned)(bit % 8), take = 8 - sh;
    uint8_t *x = &p[be ? size - 1 - byte : byte];
    uint8_t mask;
    if (take > prec - k) take = prec - k;
    mask = (uint8_t)(((1u << take) - 1) << sh);
    *x = (uint8_t)((*x & ~mask) | (((v >> k) << sh) & mask));
    k += take;
  }
}

static void fill_bits(uint8_t *p, size_t size, int be, uint64_t off, uint64_t len) {
  while (len > 0) {
    uint32_t take = len > 64 ? 64 : (uint32_t)len;
    put_bits(p, size, be, off, take, UINT64_MAX);
    off += take;
    len -= take;
  }
}

typedef struct numval {
  int kind; /* 0 signed integer (i), 1 unsigned integer (u), 2 float (d) */
  int64_t i;
  uint64_t u;
  double d;
} numval;

/* Whether the generic path can read (as source) or write (as destination) this type. */
static int generic_ok(const h5k_datatype *t, int as_dst, const char **why) {
  if (t->cls == H5K_CLASS_INTEGER || t->cls == H5K_CLASS_BITFIELD) {
    if (prec_of(t) > 64) { *why = "integers wider than 64 bits are not converted"; return 0; }
    if ((uint64_t)t->bit_offset + prec_of(t) > t->size * 8) { *why = "integer bit field outside its element"; return 0; }
    return 1;
  }
  if (t->cls != H5K_CLASS_FLOAT) return 0;
  if (t->big_endian == H5K_BYTE_ORDER_VAX) { *why = "VAX-ordered floats are not supported"; return 0; }
  if (as_dst) {
    if (!is_ieee(t)) { *why = "a destination float must be IEEE half, single or double"; return 0; }
    return 1;
  }
  if (t->exp_size == 0 || t->exp_size > 30 || t->mantissa_size > 64 ||
      (t->mantissa_norm == 2 && t->mantissa_size > 63) || (t->mantissa_norm == 1 && t->mantissa_size == 0) ||
      t->sign_location >= t->size * 8 || (uint64_t)t->exp_location + t->exp_size > t->size * 8 ||
      (uint64_t)t->mantissa_location + t->mantissa_size > t->size * 8) {
    *why = "unsupported floating-point layout";
    return 0;
  }
  return 1;
}

static void load_generic(numval *v, const uint8_t *p, const h5k_datatype *t) {
  size_t size = (size_t)t->size;
  int be = t->big_endian == 1;
  if (t->cls != H5K_CLASS_FLOAT) {
    uint32_t prec = prec_of(t);
    uint64_t raw = get_bits(p, size, be, t->bit_offset, prec);
    if (t->cls == H5K_CLASS_INTEGER && t->is_signed) {
      v->kind = 0;
      if (prec < 64 && (raw >> (prec - 1)) & 1) raw |= UINT64_MAX << prec; /* sign-extend */
      v->i = (int64_t)raw;
    } else {
      v->kind = 1;
      v->u = raw;
    }
    return;
  }
  {
    uint64_t m = get_bits(p, size, be, t->mantissa_location, t->mantissa_size);
    uint64_t e = get_bits(p, size, be, t->exp_location, t->exp_size);
    int neg = (int)get_bits(p, size, be, t->sign_location, 1);
    uint64_t emax = (UINT64_C(1) << t->exp_size) - 1;
    int64_t ms = t->mantissa_size;
    double x;
    v->kind = 2;
    if (e == emax) {
      uint64_t frac = t->mantissa_norm == 1 ? m & ~(UINT64_C(1) << (ms - 1)) : m;
      x = frac ? NAN : INFINITY;
    } else {
      double mm = (double)m;
      int64_t ex = (int64_t)e - (int64_t)t->exp_bias - ms;
      if (t->mantissa_norm == 2) { /* implied leading one; exponent 0 = subnormal */
        if (e == 0) ex += 1;
        else mm += pow2i((int)ms);
      } else if (t->mantissa_norm == 1) { /* leading one stored */
        ex += 1;
        if (e == 0) ex += 1;
      }
      x = scale2(mm, ex);
    }
    v->d = neg ? -x : x;
  }
}

static void store_generic(uint8_t *p, const h5k_datatype *t, const numval *v) {
  size_t size = (size_t)t->size;
  int be = t->big_endian == 1;
  if (t->cls == H5K_CLASS_FLOAT) { /* IEEE, checked by generic_ok */
    if (size == 4) {
      float f = v->kind == 0 ? (float)v->i : v->kind == 1 ? (float)v->u : (float)v->d;
      memcpy(p, &f, 4);
    } else if (size == 8) {
      double d = v->kind == 0 ? (double)v->i : v->kind == 1 ? (double)v->u : v->d;
      memcpy(p, &d, 8);
    } else {
      uint16_t h = double_to_half(v->kind == 0 ? (double)v->i : v->kind == 1 ? (double)v->u : v->d);
      memcpy(p, &h, 2);
    }
    if (swapped(t)) swap_strided(p, size, p, size, 1, size);
    return;
  }
  {
    uint32_t prec = prec_of(t);
    int sgn = t->cls == H5K_CLASS_INTEGER && t->is_signed;
    uint64_t umax = prec >= 64 ? UINT64_MAX : (UINT64_C(1) << prec) - 1, raw;
    int64_t hi = (int64_t)(umax >> 1), lo = -hi - 1;
    if (sgn) {
      int64_t r = v->kind == 0 ? sat_ss(v->i, lo, hi) : v->kind == 1 ? sat_us(v->u, hi) : sat_fs(v->d, lo, hi);
      raw = (uint64_t)r & umax;
    } else {
      raw = v->kind == 0 ? sat_su(v->i, umax) : v->kind == 1 ? sat_uu(v->u, umax) : sat_fu(v->d, umax);
    }
    memset(p, 0, size);
    if (t->lo_pad) fill_bits(p, size, be, 0, t->bit_offset);
    if (t->hi_pad) fill_bits(p, size, be, (uint64_t)t->bit_offset + prec, size * 8 - t->bit_offset - prec);
    put_bits(p, size, be, t->bit_offset, prec, raw);
  }
}

/* Same class and bit layout, possibly different byte order. */
static int same_layout(const h5k_datatype *a, const h5k_datatype *b) {
  if (a->cls != b->cls || a->size != b->size) return 0;
  if (a->big_endian == H5K_BYTE_ORDER_VAX || b->big_endian == H5K_BYTE_ORDER_VAX) return 0;
  switch (a->cls) {
  case H5K_CLASS_INTEGER:
    if (a->is_signed != b->is_signed) return 0;
    /* fall through */
  case H5K_CLASS_BITFIELD:
    return a->bit_offset == b->bit_offset && prec_of(a) == prec_of(b);
  case H5K_CLASS_TIME:
    return prec_of(a) == prec_of(b);
  case H5K_CLASS_FLOAT:
    if (is_ieee(a) && is_ieee(b)) return 1;
    return a->bit_offset == b->bit_offset && prec_of(a) == prec_of(b) && a->sign_location == b->sign_location &&
           a->exp_location == b->exp_location && a->exp_size == b->exp_size &&
           a->mantissa_location == b->mantissa_location && a->mantissa_size == b->mantissa_size &&
           a->exp_bias == b->exp_bias && a->mantissa_norm == b->mantissa_norm;
  default:
    return 0;
  }
}

static int conv_numeric(uint8_t *d, size_t ds, const h5k_datatype *dt, const uint8_t *s, size_t ss,
                        const h5k_datatype *st, size_t n) {
  int sk, dk;
  const char *why = NULL;
  if (same_layout(dt, st)) {
    if (swapped(dt) == swapped(st) || dt->size == 1) copy_strided(d, ds, s, ss, n, (size_t)st->size);
    else swap_strided(d, ds, s, ss, n, (size_t)st->size);
    return 0;
  }
  sk = native_kind(st);
  dk = native_kind(dt);
  if (sk != NK_NONE && dk != NK_NONE) {
    fast_numeric(d, ds, dk, swapped(dt) && dt->size > 1, s, ss, sk, swapped(st) && st->size > 1, n);
    return 0;
  }
  if (!generic_ok(st, 0, &why) || !generic_ok(dt, 1, &why)) return no_path(dt, st, why);
  for (size_t i = 0; i < n; i++) {
    numval v = {0, 0, 0, 0};
    load_generic(&v, s + i * ss, st);
    store_generic(d + i * ds, dt, &v);
  }
  return 0;
}

/* ---- type comparison ----------------------------------------------------------------------------- */

static int has_vlen_or_ref(const h5k_datatype *t, unsigned depth) {
  if (!t || depth > H5K_MAX_TYPE_DEPTH) return 1;
  switch (t->cls) {
  case H5K_CLASS_VLEN:
  case H5K_CLASS_REFERENCE:
    return 1;
  case H5K_CLASS_COMPOUND:
    for (size_t i = 0; i < t->nmembers; i++)
      if (has_vlen_or_ref(t->members[i].type, depth + 1)) return 1;
    return 0;
  case H5K_CLASS_ARRAY:
  case H5K_CLASS_ENUM:
    return has_vlen_or_ref(t->base, depth + 1);
  default:
    return 0;
  }
}

/* Deep equality of the byte layout (names of compound members included). */
static int type_equal(const h5k_datatype *a, const h5k_datatype *b, unsigned depth) {
  if (!a || !b || depth > H5K_MAX_TYPE_DEPTH) return 0;
  if (a->cls != b->cls || a->size != b->size) return 0;
  switch (a->cls) {
  case H5K_CLASS_INTEGER:
  case H5K_CLASS_BITFIELD:
  case H5K_CLASS_TIME:
  case H5K_CLASS_FLOAT:
    return same_layout(a, b) && (swapped(a) == swapped(b) || a->size == 1);
  case H5K_CLASS_STRING:
    return a->str_pad == b->str_pad;
  case H5K_CLASS_OPAQUE:
    return 1;
  case H5K_CLASS_COMPOUND:
    if (a->nmembers != b->nmembers) return 0;
    for (size_t i = 0; i < a->nmembers; i++) {
      const h5k_type_member *x = &a->members[i], *y = &b->members[i];
      if (x->offset != y->offset || !x->name || !y->name || strcmp(x->name, y->name) != 0 ||
          !type_equal(x->type, y->type, depth + 1))
        return 0;
    }
    return 1;
  case H5K_CLASS_ENUM:
    if (a->nmembers != b->nmembers || !type_equal(a->base, b->base, depth + 1)) return 0;
    for (size_t i = 0; i < a->nmembers; i++)
      if (!a->members[i].name || !b->members[i].name || strcmp(a->members[i].name, b->members[i].name) != 0) return 0;
    return a->nmembers == 0 || (a->enum_values && b->enum_values &&
                                memcmp(a->enum_values, b->enum_values, a->nmembers * (size_t)a->size) == 0);
  case H5K_CLASS_ARRAY:
    if (a->rank != b->rank) return 0;
    for (unsigned i = 0; i < a->rank && i < H5K_MAX_DIMS; i++)
      if (a->dims[i] != b->dims[i]) return 0;
    return type_equal(a->base, b->base, depth + 1);
  default:
    return 0;
  }
}

/* ---- the recursive converter ---------------------------------------------------------------------- */

typedef struct conv_ctx {
  const h5k_fctx *f;
  h5k_gcol col; /* the last global heap collection used (this call only) */
} conv_ctx;

static int conv_run(conv_ctx *cx, uint8_t *d, size_t ds, const h5k_datatype *dt, const uint8_t *s, size_t ss,
                    const h5k_datatype *st, size_t n, unsigned depth);

/* Borrow the heap object a vlen element names (NULL/0 for an empty element); the pointer is
 * valid until the next call. */
static int vlen_object(const uint8_t **p, size_t *objlen, uint32_t *len, conv_ctx *cx, const uint8_t *elem) {
  uint64_t addr;
  uint32_t index;
  int rc;
  *p = NULL;
  *objlen = 0;
  if (!cx->f) return h5k_err(H5K_EINVAL, "converting variable-length data needs the file");
  TRY(h5k_vlen_parse(len, &addr, &index, elem, h5k_vlen_elem_size(cx->f), cx->f));
  if (*len == 0) return 0;
  if (cx->col.addr != addr || !cx->col.data) {
    h5k_gcol_free(&cx->col);
    rc = h5k_gcol_read(&cx->col, cx->f, addr);
    if (rc < 0) return rc;
  }
  return h5k_gcol_find(p, objlen, &cx->col, index);
}

/* Characters of a fixed string before its padding. */
static size_t fixed_len(const uint8_t *p, size_t size, unsigned pad) {
  if (size == 0) return 0;
  if (pad == H5K_STR_SPACEPAD) {
    while (size > 0 && p[size - 1] == ' ') size--;
    return size;
  }
  {
    const uint8_t *nul = memchr(p, 0, size);
    return nul ? (size_t)(nul - p) : size;
  }
}

static void put_fixed(uint8_t *d, size_t size, unsigned pad, const uint8_t *s, size_t nch) {
  if (nch > size) nch = size;
  if (nch) memmove(d, s, nch);
  memset(d + nch, pad == H5K_STR_SPACEPAD ? ' ' : 0, size - nch);
  if (pad == H5K_STR_NULLTERM) d[size - 1] = 0;
}

static int put_cstr(uint8_t *d, const uint8_t *s, size_t nch) {
  char *c = malloc(nch + 1);
  if (!c) return h5k_err_nomem();
  if (nch) memcpy(c, s, nch);
  c[nch] = 0;
  memcpy(d, &c, sizeof c);
  return 0;
}

static int is_vlen_string(const h5k_datatype *t) { return t->cls == H5K_CLASS_VLEN && t->vlen_type == H5K_VLEN_STRING; }

static int conv_string(conv_ctx *cx, uint8_t *d, size_t ds, const h5k_datatype *dt, const uint8_t *s, size_t ss,
                       const h5k_datatype *st, size_t n) {
  int to_vlen = is_vlen_string(dt);
  if (!to_vlen && dt->cls != H5K_CLASS_STRING) return no_path(dt, st, NULL);
  if (to_vlen && dt->size != sizeof(char *)) return h5k_err(H5K_EINVAL, "a vlen string memory type must have size %zu", sizeof(char *));
  if (dt->cls == H5K_CLASS_STRING && dt->size == 0) return h5k_err(H5K_EINVAL, "fixed string memory type of size 0");
  if (st->cls == H5K_CLASS_VLEN && cx->f && st->size < h5k_vlen_elem_size(cx->f))
    return corrupt("variable-length string type of %llu bytes (a heap ID needs %zu)", (unsigned long long)st->size,
                   h5k_vlen_elem_size(cx->f));
  for (size_t i = 0; i < n; i++) {
    const uint8_t *sp = s + i * ss, *chars;
    uint8_t *dp = d + i * ds;
    size_t nch;
    if (st->cls == H5K_CLASS_STRING) {
      chars = sp;
      nch = fixed_len(sp, (size_t)st->size, st->str_pad);
    } else {
      uint32_t len;
      size_t objlen;
      TRY(vlen_object(&chars, &objlen, &len, cx, sp));
      if (len > objlen)
        return corrupt("variable-length string of %u bytes in a heap object of %zu bytes (collection %llu)", len,
                       objlen, (unsigned long long)cx->col.addr);
      nch = len;
      if (!to_vlen) nch = fixed_len(chars, nch, H5K_STR_NULLPAD);
    }
    if (to_vlen) TRY(put_cstr(dp, chars, nch));
    else put_fixed(dp, (size_t)dt->size, dt->str_pad, chars, nch);
  }
  return 0;
}

static int conv_vlen_seq(conv_ctx *cx, uint8_t *d, size_t ds, const h5k_datatype *dt, const uint8_t *s, size_t ss,
                         const h5k_datatype *st, size_t n, unsigned depth) {
  const h5k_datatype *sb = st->base, *db = dt->base;
  int copy_obj;
  if (dt->cls != H5K_CLASS_VLEN || dt->vlen_type != H5K_VLEN_SEQUENCE) return no_path(dt, st, NULL);
  if (!sb || !db || dt->size != sizeof(h5k_vlen))
    return h5k_err(H5K_EINVAL, "a vlen sequence memory type needs a base type and size %zu", sizeof(h5k_vlen));
  if (sb->size == 0) return corrupt("variable-length sequence of a zero-size base type");
  if (cx->f && st->size < h5k_vlen_elem_size(cx->f))
    return corrupt("variable-length type of %llu bytes (a heap ID needs %zu)", (unsigned long long)st->size,
                   h5k_vlen_elem_size(cx->f));
  if (db->size == 0) return h5k_err(H5K_EINVAL, "vlen memory type with a zero-size base type");
  /* A nested vlen may load another collection: keep our own copy of the object then. */
  copy_obj = sb->cls == H5K_CLASS_VLEN || has_vlen_or_ref(sb, 0);
  for (size_t i = 0; i < n; i++) {
    const uint8_t *obj;
    uint8_t *own = NULL;
    size_t objlen, need, bytes;
    uint32_t len;
    h5k_vlen v = {0, NULL};
    int rc;
    TRY(vlen_object(&obj, &objlen, &len, cx, s + i * ss));
    if (len == 0) {
      memcpy(d + i * ds, &v, sizeof v);
      continue;
    }
    if (ck_mulsz(len, (size_t)sb->size, &need) || need > objlen)
      return corrupt("variable-length sequence of %u elements of %llu bytes in a heap object of %zu bytes "
                     "(collection %llu)", len, (unsigned long long)sb->size, objlen, (unsigned long long)cx->col.addr);
    if (ck_mulsz(len, (size_t)db->size, &bytes))
      return h5k_err(H5K_ELIMIT, "variable-length sequence of %u elements is too large", len);
    if (copy_obj) {
      own = malloc(need);
      if (!own) return h5k_err_nomem();
      memcpy(own, obj, need);
      obj = own;
    }
    v.p = calloc(1, bytes);
    if (!v.p) {
      free(own);
      return h5k_err_nomem();
    }
    v.len = len;
    memcpy(d + i * ds, &v, sizeof v); /* before converting: reclaim finds it on failure */
    rc = conv_run(cx, v.p, (size_t)db->size, db, obj, (size_t)sb->size, sb, len, depth + 1);
    free(own);
    if (rc < 0) return rc;
  }
  return 0;
}

static int conv_reference(uint8_t *d, size_t ds, const h5k_datatype *dt, const uint8_t *s, size_t ss,
                          const h5k_datatype *st, size_t n) {
  if (dt->cls != H5K_CLASS_REFERENCE || dt->ref_type != st->ref_type) return no_path(dt, st, NULL);
  if (st->ref_type == H5K_REF_OBJECT && dt->size == sizeof(h5k_addr)) {
    unsigned so = (unsigned)st->size;
    if (so < 1 || so > 8) return no_path(dt, st, "object reference of unusual size");
    for (size_t i = 0; i < n; i++) {
      uint64_t a = le_load(s + i * ss, so);
      if (so < 8 && a == (UINT64_C(1) << (8 * so)) - 1) a = H5K_ADDR_UNDEF;
      memcpy(d + i * ds, &a, sizeof a);
    }
    return 0;
  }
  if (dt->size == st->size) { /* region and revised references: raw bytes */
    copy_strided(d, ds, s, ss, n, (size_t)st->size);
    return 0;
  }
  return no_path(dt, st, "references other than object references are copied only to the same size");
}

typedef struct enum_ent {
  const uint8_t *val;
  size_t size;
  size_t member;
} enum_ent;

static int cmp_enum_ent(const void *a, const void *b) {
  const enum_ent *x = a, *y = b;
  return memcmp(x->val, y->val, x->size);
}

static int cmp_member_name(const void *a, const void *b) {
  const h5k_type_member *x = *(const h5k_type_member *const *)a, *y = *(const h5k_type_member *const *)b;
  return strcmp(x->name, y->name);
}

static const h5k_type_member *find_member(const h5k_type_member *const *sorted, size_t n, const char *name) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(sorted[mid]->name, name);
    if (c == 0) return sorted[mid];
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return NULL;
}

/* Sorted member pointers of a compound or enum (by name). */
static int sort_members(const h5k_type_member ***out, const h5k_datatype *t) {
  const h5k_type_member **v = malloc((t->nmembers ? t->nmembers : 1) * sizeof *v);
  if (!v) return h5k_err_nomem();
  for (size_t i = 0; i < t->nmembers; i++) {
    if (!t->members[i].name) {
      free(v);
      return h5k_err(H5K_EINVAL, "%s member %zu has no name", class_name(t->cls), i);
    }
    v[i] = &t->members[i];
  }
  qsort(v, t->nmembers, sizeof *v, cmp_member_name);
  *out = v;
  return 0;
}

/* Enum -> enum by member name: the source value is looked up among the source members (sorted by
 * their stored bytes, which share the data's byte order), its name among the destination's. */
static int conv_enum(uint8_t *d, size_t ds, const h5k_datatype *dt, const uint8_t *s, size_t ss,
                     const h5k_datatype *st, size_t n) {
  enum_ent *ents = NULL;
  const h5k_type_member **dsorted = NULL;
  const uint8_t **target = NULL;
  size_t sz = (size_t)st->size, m = st->nmembers;
  int rc = 0;
  if (!dt->enum_values && dt->nmembers) return h5k_err(H5K_EINVAL, "enum memory type without values");
  if (m && !st->enum_values) return corrupt("enumeration type without values");
  ents = malloc((m ? m : 1) * sizeof *ents);
  target = calloc(m ? m : 1, sizeof *target);
  if (!ents || !target) {
    rc = h5k_err_nomem();
    goto done;
  }
  rc = sort_members(&dsorted, dt);
  if (rc < 0) goto done;
  for (size_t i = 0; i < m; i++) {
    const h5k_type_member *dm = st->members[i].name ? find_member(dsorted, dt->nmembers, st->members[i].name) : NULL;
    ents[i].val = st->enum_values + i * sz;
    ents[i].size = sz;
    ents[i].member = i;
    if (dm) target[i] = dt->enum_values + (size_t)(dm - dt->members) * (size_t)dt->size;
  }
  qsort(ents, m, sizeof *ents, cmp_enum_ent);
  for (size_t i = 0; i < n; i++) {
    enum_ent key = {s + i * ss, sz, 0};
    const enum_ent *hit = m ? bsearch(&key, ents, m, sizeof *ents, cmp_enum_ent) : NULL;
    uint8_t *dp = d + i * ds;
    if (hit && target[hit->member]) memcpy(dp, target[hit->member], (size_t)dt->size);
    else memset(dp, 0xff, (size_t)dt->size);
  }
done:
  free(ents);
  free(target);
  free(dsorted);
  return rc;
}

static int conv_compound(conv_ctx *cx, uint8_t *d, size_t ds, const h5k_datatype *dt, const uint8_t *s, size_t ss,
                         const h5k_datatype *st, size_t n, unsigned depth) {
  const h5k_type_member **sorted = NULL;
  uint64_t covered = 0;
  int rc;
  for (size_t j = 0; j < dt->nmembers; j++) {
    const h5k_type_member *m = &dt->members[j];
    uint64_t end;
    if (!m->type || !m->name || ck_add64(m->offset, m->type->size, &end) || end > dt->size)
      return h5k_err(H5K_EINVAL, "compound memory type: member %zu lies outside the element", j);
    covered += m->type->size;
  }
  rc = sort_members(&sorted, st);
  if (rc < 0) return rc;
  if (covered < dt->size) {
    for (size_t i = 0; i < n; i++) memset(d + i * ds, 0, (size_t)dt->size);
  }
  for (size_t j = 0; j < dt->nmembers && rc >= 0; j++) {
    const h5k_type_member *dm = &dt->members[j];
    const h5k_type_member *sm = find_member(sorted, st->nmembers, dm->name);
    if (!sm) {
      rc = h5k_err(H5K_EUNSUPPORTED, "compound conversion: member \"%s\" of the destination is not in the source",
                   dm->name);
      break;
    }
    rc = conv_run(cx, d + dm->offset, ds, dm->type, s + sm->offset, ss, sm->type, n, depth + 1);
  }
  free(sorted);
  return rc;
}

static int conv_array(conv_ctx *cx, uint8_t *d, size_t ds, const h5k_datatype *dt, const uint8_t *s, size_t ss,
                      const h5k_datatype *st, size_t n, unsigned depth) {
  uint64_t count = 1, total;
  if (dt->cls != H5K_CLASS_ARRAY || !dt->base || !st->base) return no_path(dt, st, NULL);
  if (dt->rank != st->rank || dt->rank > H5K_MAX_DIMS) return no_path(dt, st, "arrays of different rank");
  for (unsigned i = 0; i < st->rank; i++) {
    if (dt->dims[i] != st->dims[i]) return no_path(dt, st, "arrays of different dimensions");
    if (ck_mul64(count, st->dims[i], &count)) return corrupt("array datatype size overflows");
  }
  if (ck_mul64(count, dt->base->size, &total) || total != dt->size)
    return h5k_err(H5K_EINVAL, "array memory type: size %llu is not dims x base size", (unsigned long long)dt->size);
  if (ck_mul64(count, st->base->size, &total) || total != st->size)
    return corrupt("array datatype: size %llu is not dims x base size", (unsigned long long)st->size);
  if (ds == dt->size && ss == st->size && count <= SIZE_MAX / (n ? n : 1))
    return conv_run(cx, d, (size_t)dt->base->size, dt->base, s, (size_t)st->base->size, st->base, n * (size_t)count,
                    depth + 1);
  for (size_t i = 0; i < n; i++)
    TRY(conv_run(cx, d + i * ds, (size_t)dt->base->size, dt->base, s + i * ss, (size_t)st->base->size, st->base,
                 (size_t)count, depth + 1));
  return 0;
}

static int conv_run(conv_ctx *cx, uint8_t *d, size_t ds, const h5k_datatype *dt, const uint8_t *s, size_t ss,
                    const h5k_datatype *st, size_t n, unsigned depth) {
  if (depth > H5K_MAX_TYPE_DEPTH)
    return h5k_err(H5K_ELIMIT, "conversion: types nested deeper than %d levels", H5K_MAX_TYPE_DEPTH);
  if (n == 0) return 0;
  if (!has_vlen_or_ref(st, 0) && type_equal(dt, st, 0)) {
    copy_strided(d, ds, s, ss, n, (size_t)st->size);
    return 0;
  }
  switch (st->cls) {
  case H5K_CLASS_INTEGER:
  case H5K_CLASS_FLOAT:
    if (dt->cls == H5K_CLASS_INTEGER || dt->cls == H5K_CLASS_FLOAT) return conv_numeric(d, ds, dt, s, ss, st, n);
    break;
  case H5K_CLASS_ENUM:
    if (!st->base) return corrupt("enumeration type without a base type");
    if (dt->cls == H5K_CLASS_INTEGER || dt->cls == H5K_CLASS_FLOAT) return conv_numeric(d, ds, dt, s, ss, st->base, n);
    if (dt->cls == H5K_CLASS_ENUM && dt->base) return conv_enum(d, ds, dt, s, ss, st, n);
    break;
  case H5K_CLASS_BITFIELD:
  case H5K_CLASS_TIME:
    if (same_layout(dt, st)) return conv_numeric(d, ds, dt, s, ss, st, n);
    break;
  case H5K_CLASS_STRING:
    return conv_string(cx, d, ds, dt, s, ss, st, n);
  case H5K_CLASS_VLEN:
    if (st->vlen_type == H5K_VLEN_STRING) return conv_string(cx, d, ds, dt, s, ss, st, n);
    return conv_vlen_seq(cx, d, ds, dt, s, ss, st, n, depth);
  case H5K_CLASS_REFERENCE:
    return conv_reference(d, ds, dt, s, ss, st, n);
  case H5K_CLASS_COMPOUND:
    if (dt->cls == H5K_CLASS_COMPOUND) return conv_compound(cx, d, ds, dt, s, ss, st, n, depth);
    break;
  case H5K_CLASS_ARRAY:
    return conv_array(cx, d, ds, dt, s, ss, st, n, depth);
  case H5K_CLASS_OPAQUE:
    if (dt->cls == H5K_CLASS_OPAQUE && dt->size == st->size) {
      copy_strided(d, ds, s, ss, n, (size_t)st->size);
      return 0;
    }
    break;
  }
  return no_path(dt, st, NULL);
}

/* ---- reclaim ------------------------------------------------------------------------------------- */

int h5k_conv_needs_reclaim(const h5k_datatype *t) {
  unsigned depth = 0;
  while (t && depth++ <= H5K_MAX_TYPE_DEPTH) {
    if (t->cls == H5K_CLASS_VLEN) return 1;
    if (t->cls == H5K_CLASS_ARRAY) {
      t = t->base;
      continue;
    }
    if (t->cls == H5K_CLASS_COMPOUND) {
      for (size_t i = 0; i < t->nmembers; i++)
        if (h5k_conv_needs_reclaim(t->members[i].type)) return 1;
    }
    return 0;
  }
  return 0;
}

static void reclaim_run(uint8_t *b, size_t stride, const h5k_datatype *t, size_t n, unsigned depth) {
  if (!t || depth > H5K_MAX_TYPE_DEPTH || !h5k_conv_needs_reclaim(t)) return;
  switch (t->cls) {
  case H5K_CLASS_VLEN:
    for (size_t i = 0; i < n; i++) {
      if (t->vlen_type == H5K_VLEN_STRING) {
        char *c;
        memcpy(&c, b + i * stride, sizeof c);
        free(c);
        c = NULL;
        memcpy(b + i * stride, &c, sizeof c);
      } else {
        h5k_vlen v;
        memcpy(&v, b + i * stride, sizeof v);
        if (v.p && t->base) reclaim_run(v.p, (size_t)t->base->size, t->base, v.len, depth + 1);
        free(v.p);
        v.p = NULL;
        v.len = 0;
        memcpy(b + i * stride, &v, sizeof v);
      }
    }
    return;
  case H5K_CLASS_COMPOUND:
    for (size_t j = 0; j < t->nmembers; j++)
      reclaim_run(b + t->members[j].offset, stride, t->members[j].type, n, depth + 1);
    return;
  case H5K_CLASS_ARRAY: {
    uint64_t count = 1;
    for (unsigned k = 0; k < t->rank && k < H5K_MAX_DIMS; k++) count *= t->dims[k];
    for (size_t i = 0; i < n; i++) reclaim_run(b + i * stride, (size_t)t->base->size, t->base, (size_t)count, depth + 1);
    return;
  }
  default:
    return;
  }
}

void h5k_conv_reclaim(void *buf, const h5k_datatype *t, size_t n) {
  if (!buf || !t) return;
  reclaim_run(buf, (size_t)t->size, t, n, 0);
}

/* ---- entry point ------------------------------------------------------------------------------------ */

int h5k_conv(void *dst, const h5k_datatype *dt, const void *src, const h5k_datatype *st, size_t n,
             const h5k_fctx *f) {
  conv_ctx cx;
  size_t bytes;
  int alloc, rc;
  if (!dt || !st) return h5k_err(H5K_EINVAL, "conversion: NULL datatype");
  if (n == 0) return 0;
  if (!dst || !src) return h5k_err(H5K_EINVAL, "conversion: NULL buffer");
  if (dt->size == 0 || st->size == 0 || ck_mulsz(n, (size_t)dt->size, &bytes) || ck_mulsz(n, (size_t)st->size, &bytes))
    return h5k_err(H5K_EINVAL, "conversion: %zu elements of %llu/%llu bytes do not fit in memory", n,
                   (unsigned long long)st->size, (unsigned long long)dt->size);
  memset(&cx, 0, sizeof cx);
  cx.f = f;
  cx.col.addr = H5K_ADDR_UNDEF;
  alloc = h5k_conv_needs_reclaim(dt);
  if (alloc) memset(dst, 0, n * (size_t)dt->size);
  rc = conv_run(&cx, dst, (size_t)dt->size, dt, src, (size_t)st->size, st, n, 0);
  if (rc < 0 && alloc) h5k_conv_reclaim(dst, dt, n);
  h5k_gcol_free(&cx.col);
  return rc;
}

/* ---- memory types ------------------------------------------------------------------------------------ */

static void set_ieee(h5k_datatype *t, size_t size) {
  uint32_t esz = 0, msz = 0, bias = 0;
  ieee_params(size, &esz, &msz, &bias);
  t->cls = H5K_CLASS_FLOAT;
  t->size = size;
  t->big_endian = HOST_BE;
  t->bit_offset = 0;
  t->precision = (uint32_t)(size * 8);
  t->lo_pad = t->hi_pad = t->internal_pad = 0;
  t->mantissa_norm = 2;
  t->sign_location = (uint32_t)(size * 8 - 1);
  t->exp_location = msz;
  t->exp_size = esz;
  t->mantissa_location = 0;
  t->mantissa_size = msz;
  t->exp_bias = bias;
}

int h5k_conv_make(h5k_datatype **out, h5k_type_class cls, size_t size, int is_signed) {
  h5k_datatype *t;
  *out = NULL;
  if (cls == H5K_CLASS_INTEGER ? !(size == 1 || size == 2 || size == 4 || size == 8)
      : cls == H5K_CLASS_FLOAT ? !(size == 2 || size == 4 || size == 8)
                               : 1)
    return h5k_err(H5K_EINVAL, "h5k_datatype_make: no %zu-byte %s type", size, class_name(cls));
  t = calloc(1, sizeof *t);
  if (!t) return h5k_err_nomem();
  t->version = 1;
  if (cls == H5K_CLASS_FLOAT) {
    set_ieee(t, size);
  } else {
    t->cls = H5K_CLASS_INTEGER;
    t->size = size;
    t->big_endian = HOST_BE;
    t->is_signed = is_signed != 0;
    t->precision = (uint32_t)(size * 8);
  }
  *out = t;
  return 0;
}

/* Turn a (copied) file type into its native memory type, in place. */
static int nativize(h5k_datatype *t, unsigned depth) {
  if (depth > H5K_MAX_TYPE_DEPTH)
    return h5k_err(H5K_ELIMIT, "native type: types nested deeper than %d levels", H5K_MAX_TYPE_DEPTH);
  switch (t->cls) {
  case H5K_CLASS_INTEGER: {
    uint32_t prec = prec_of(t);
    if (prec > 64) {
      if (t->bit_offset != 0 || prec != t->size * 8)
        return h5k_err(H5K_EUNSUPPORTED, "native type: %u-bit integer with bit offset %u", prec, t->bit_offset);
      t->big_endian = HOST_BE;
      return 0;
    }
    t->size = prec <= 8 ? 1 : prec <= 16 ? 2 : prec <= 32 ? 4 : 8;
    t->precision = (uint32_t)(t->size * 8);
    t->bit_offset = 0;
    t->big_endian = HOST_BE;
    t->lo_pad = t->hi_pad = 0;
    return 0;
  }
  case H5K_CLASS_FLOAT:
    set_ieee(t, is_ieee(t) ? (size_t)t->size : 8);
    return 0;
  case H5K_CLASS_BITFIELD:
  case H5K_CLASS_TIME:
    t->big_endian = HOST_BE;
    return 0;
  case H5K_CLASS_STRING:
  case H5K_CLASS_OPAQUE:
    return 0;
  case H5K_CLASS_REFERENCE:
    if (t->ref_type == H5K_REF_OBJECT) t->size = sizeof(h5k_addr);
    return 0;
  case H5K_CLASS_ENUM: {
    h5k_datatype *nb = NULL;
    uint8_t *vals = NULL;
    int rc;
    if (!t->base) return h5k_err(H5K_EINVAL, "native type: enumeration without a base type");
    TRY(h5k_datatype_copy(&nb, t->base));
    rc = nativize(nb, depth + 1);
    if (rc >= 0 && t->nmembers) {
      vals = malloc(t->nmembers * (size_t)nb->size);
      if (!vals) rc = h5k_err_nomem();
      else rc = h5k_conv(vals, nb, t->enum_values, t->base, t->nmembers, NULL);
    }
    if (rc < 0) {
      free(vals);
      h5k_datatype_free(nb);
      return rc;
    }
    h5k_datatype_free(t->base);
    free(t->enum_values);
    t->base = nb;
    t->enum_values = vals;
    t->size = nb->size;
    return 0;
  }
  case H5K_CLASS_COMPOUND: {
    uint64_t off = 0;
    for (size_t i = 0; i < t->nmembers; i++) {
      TRY(nativize(t->members[i].type, depth + 1));
      t->members[i].offset = off;
      off += t->members[i].type->size;
    }
    t->size = off;
    return 0;
  }
  case H5K_CLASS_ARRAY: {
    uint64_t size = 1;
    if (!t->base) return h5k_err(H5K_EINVAL, "native type: array without a base type");
    TRY(nativize(t->base, depth + 1));
    for (unsigned i = 0; i < t->rank && i < H5K_MAX_DIMS; i++)
      if (ck_mul64(size, t->dims[i], &size)) return h5k_err(H5K_ELIMIT, "native type: array size overflows");
    if (ck_mul64(size, t->base->size, &size)) return h5k_err(H5K_ELIMIT, "native type: array size overflows");
    t->size = size;
    return 0;
  }
  case H5K_CLASS_VLEN:
    if (t->vlen_type == H5K_VLEN_STRING) {
      t->size = sizeof(char *);
      return 0;
    }
    if (!t->base) return h5k_err(H5K_EINVAL, "native type: vlen sequence without a base type");
    TRY(nativize(t->base, depth + 1));
    t->size = sizeof(h5k_vlen);
    return 0;
  }
  return h5k_err(H5K_EUNSUPPORTED, "native type: class %u", (unsigned)t->cls);
}

int h5k_conv_native(h5k_datatype **out, const h5k_datatype *ft) {
  h5k_datatype *t = NULL;
  int rc;
  *out = NULL;
  TRY(h5k_datatype_copy(&t, ft));
  rc = nativize(t, 0);
  if (rc < 0) {
    h5k_datatype_free(t);
    return rc;
  }
  *out = t;
  return 0;
}
