/* Object header message decoders on hand-built byte arrays (layouts from the File Format
 * Specification 3.0, IV.A.2): every field of each message kind and datatype class, the
 * corruptions each decoder must reject, truncation at every length, and the nesting cap.
 * Real bytes written by the reference library are in test_msg_real.c. */
#include <stdlib.h>
#include <string.h>

#include "format/messages.h"
#include "testutil.h"
#include "util/checked.h"

static h5k_fctx fx(unsigned so, unsigned sl) { return fctx_sizes(so, sl, 4096); }

static int dt(h5k_datatype **t, const uint8_t *p, size_t len) {
  h5k_fctx f = fx(8, 8);
  return h5k_decode_datatype(t, NULL, p, len, &f);
}

/* Every proper prefix of a valid datatype message is rejected as corrupt. */
static void dt_truncations(const uint8_t *p, size_t len) {
  h5k_datatype *t;
  for (size_t n = 0; n < len; n++) {
    CHECK(dt(&t, p, n) == H5K_ECORRUPT);
    CHECK(t == NULL);
  }
}

/* An integer type (v1): 1 + 3 bits + size 4 + offset 2 + precision 2. */
#define U16LE 0x10, 0x00, 0x00, 0x00, 2, 0, 0, 0, 0, 0, 16, 0
#define I32LE 0x10, 0x08, 0x00, 0x00, 4, 0, 0, 0, 0, 0, 32, 0

static void test_atomic(void) {
  h5k_datatype *t;
  /* Time, big-endian, 32 bits of precision. */
  static const uint8_t tm[] = {0x12, 0x01, 0, 0, 4, 0, 0, 0, 32, 0};
  /* Bitfield, big-endian, lo/hi pad ones, offset 3, precision 10, 2 bytes. */
  static const uint8_t bf[] = {0x14, 0x07, 0, 0, 2, 0, 0, 0, 3, 0, 10, 0};
  /* Opaque with tag "tag1" padded to 8; and an 8-character tag that has no room for a NUL. */
  static const uint8_t op[] = {0x15, 8, 0, 0, 16, 0, 0, 0, 't', 'a', 'g', '1', 0, 0, 0, 0};
  static const uint8_t op8[] = {0x15, 8, 0, 0, 1, 0, 0, 0, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'};
  /* Fixed string: space-padded, ASCII, 10 bytes. */
  static const uint8_t st[] = {0x13, 0x02, 0, 0, 10, 0, 0, 0};
  /* Unsigned 16-bit integer with offset 4, precision 12, lo pad 1. */
  static const uint8_t in[] = {0x10, 0x02, 0, 0, 2, 0, 0, 0, 4, 0, 12, 0};
  /* Float, v1, little-endian IEEE single with internal pad bit and sign 31. */
  static const uint8_t fl[] = {0x11, 0x28, 31, 0, 4, 0, 0, 0, 0, 0, 32, 0, 23, 8, 0, 23, 127, 0, 0, 0};
  size_t used = 0;
  h5k_fctx f = fx(8, 8);

  CHECK(dt(&t, tm, sizeof tm) == 0);
  if (t) {
    CHECK_EQ_U(t->cls, H5K_CLASS_TIME);
    CHECK_EQ_U(t->big_endian, 1);
    CHECK_EQ_U(t->precision, 32);
    CHECK_EQ_U(t->size, 4);
  }
  h5k_datatype_free(t);
  CHECK(dt(&t, bf, sizeof bf) == 0);
  if (t) {
    CHECK_EQ_U(t->cls, H5K_CLASS_BITFIELD);
    CHECK_EQ_U(t->big_endian, 1);
    CHECK_EQ_U(t->lo_pad, 1);
    CHECK_EQ_U(t->hi_pad, 1);
    CHECK_EQ_U(t->bit_offset, 3);
    CHECK_EQ_U(t->precision, 10);
    CHECK_EQ_U(t->is_signed, 0);
  }
  h5k_datatype_free(t);
  CHECK(h5k_decode_datatype(&t, &used, op, sizeof op, &f) == 0);
  CHECK_EQ_U(used, sizeof op);
  CHECK(t && t->cls == H5K_CLASS_OPAQUE && t->size == 16 && strcmp(t->tag, "tag1") == 0);
  h5k_datatype_free(t);
  CHECK(dt(&t, op8, sizeof op8) == 0);
  CHECK(t && strcmp(t->tag, "abcdefgh") == 0);
  h5k_datatype_free(t);
  CHECK(dt(&t, st, sizeof st) == 0);
  CHECK(t && t->cls == H5K_CLASS_STRING && t->str_pad == H5K_STR_SPACEPAD && t->charset == H5K_CSET_ASCII &&
        t->size == 10);
  h5k_datatype_free(t);
  CHECK(dt(&t, in, sizeof in) == 0);
  if (t) {
    CHECK_EQ_U(t->bit_offset, 4);
    CHECK_EQ_U(t->precision, 12);
    CHECK_EQ_U(t->lo_pad, 1);
    CHECK_EQ_U(t->is_signed, 0);
    CHECK_EQ_U(t->big_endian, 0);
  }
  h5k_datatype_free(t);
  CHECK(dt(&t, fl, sizeof fl) == 0);
  if (t) {
    CHECK_EQ_U(t->internal_pad, 1);
    CHECK_EQ_U(t->mantissa_norm, 2);
    CHECK_EQ_U(t->sign_location, 31);
    CHECK_EQ_U(t->exp_location, 23);
    CHECK_EQ_U(t->exp_size, 8);
    CHECK_EQ_U(t->mantissa_size, 23);
    CHECK_EQ_U(t->exp_bias, 127);
  }
  h5k_datatype_free(t);
  dt_truncations(fl, sizeof fl);
  dt_truncations(op, sizeof op);
  dt_truncations(bf, sizeof bf);
}

static void test_atomic_errors(void) {
  h5k_datatype *t;
  static const uint8_t v0[] = {0x00, 0, 0, 0, 4, 0, 0, 0, 0, 0, 32, 0};
  static const uint8_t cls12[] = {0x1c, 0, 0, 0, 4, 0, 0, 0, 0, 0, 32, 0};
  static const uint8_t complex[] = {0x5b, 0x01, 0, 0, 8, 0, 0, 0};
  static const uint8_t prec0[] = {0x10, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0};
  static const uint8_t toowide[] = {0x10, 0, 0, 0, 4, 0, 0, 0, 1, 0, 32, 0};
  static const uint8_t vax[] = {0x31, 0x41, 31, 0, 4, 0, 0, 0, 0, 0, 32, 0, 23, 8, 0, 23, 127, 0, 0, 0};
  static const uint8_t bit6[] = {0x31, 0x40, 31, 0, 4, 0, 0, 0, 0, 0, 32, 0, 23, 8, 0, 23, 127, 0, 0, 0};
  static const uint8_t expout[] = {0x11, 0x20, 31, 0, 4, 0, 0, 0, 0, 0, 32, 0, 30, 8, 0, 23, 127, 0, 0, 0};
  static const uint8_t strpad3[] = {0x13, 0x03, 0, 0, 4, 0, 0, 0};
  static const uint8_t strcs2[] = {0x13, 0x20, 0, 0, 4, 0, 0, 0};
  static const uint8_t str0[] = {0x13, 0x00, 0, 0, 0, 0, 0, 0};
  static const uint8_t optag[] = {0x15, 16, 0, 0, 1, 0, 0, 0, 'x', 0, 0, 0, 0, 0, 0, 0};
  static const uint8_t ref5[] = {0x17, 0x05, 0, 0, 8, 0, 0, 0};
  static const uint8_t ref2v3[] = {0x37, 0x12, 0, 0, 8, 0, 0, 0};
  static const uint8_t ref2v4[] = {0x47, 0x12, 0, 0, 8, 0, 0, 0};
  static const uint8_t vlen2[] = {0x19, 0x02, 0, 0, 16, 0, 0, 0, U16LE};
  CHECK(dt(&t, v0, sizeof v0) == H5K_ECORRUPT);
  CHECK(dt(&t, cls12, sizeof cls12) == H5K_ECORRUPT);
  CHECK(dt(&t, complex, sizeof complex) == H5K_EUNSUPPORTED);
  CHECK(dt(&t, prec0, sizeof prec0) == H5K_ECORRUPT);
  CHECK(dt(&t, toowide, sizeof toowide) == H5K_ECORRUPT);
  /* VAX-ordered float (byte-order bits 0 and 6 set): decoded, order reported as VAX. */
  CHECK(dt(&t, vax, sizeof vax) == 0 && t && t->big_endian == H5K_BYTE_ORDER_VAX);
  h5k_datatype_free(t);
  t = NULL;
  CHECK(dt(&t, bit6, sizeof bit6) == H5K_ECORRUPT);
  CHECK(dt(&t, expout, sizeof expout) == H5K_ECORRUPT);
  CHECK(dt(&t, strpad3, sizeof strpad3) == H5K_ECORRUPT);
  CHECK(dt(&t, strcs2, sizeof strcs2) == H5K_ECORRUPT);
  CHECK(dt(&t, str0, sizeof str0) == H5K_ECORRUPT);
  CHECK(dt(&t, optag, sizeof optag) == H5K_ECORRUPT); /* tag longer than the message */
  CHECK(dt(&t, ref5, sizeof ref5) == H5K_ECORRUPT);
  CHECK(dt(&t, ref2v3, sizeof ref2v3) == H5K_ECORRUPT);
  CHECK(dt(&t, ref2v4, sizeof ref2v4) == 0);
  CHECK(t && t->cls == H5K_CLASS_REFERENCE && t->ref_type == 2 && t->version == 4);
  h5k_datatype_free(t);
  CHECK(dt(&t, vlen2, sizeof vlen2) == H5K_ECORRUPT);
  CHECK(t == NULL);
}

static void test_compound(void) {
  h5k_datatype *t;
  /* Version 1 compound, one member "m" at 0: a 2x3 array of u16 given as member dimensions. */
  static const uint8_t c1[] = {
      0x16, 1, 0, 0, 12, 0, 0, 0,                    /* v1 compound, 1 member, 12 bytes */
      'm', 0, 0, 0, 0, 0, 0, 0,                      /* name, padded to 8 */
      0, 0, 0, 0,                                    /* offset */
      2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,            /* ndims, reserved, permutation, reserved */
      2, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* dims */
      U16LE};
  /* Version 2: names padded ("longname" + NUL takes 16 bytes), 4-byte offsets. */
  static const uint8_t c2[] = {
      0x26, 2, 0, 0, 8, 0, 0, 0,
      'l', 'o', 'n', 'g', 'n', 'a', 'm', 'e', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, I32LE,
      'b', 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, I32LE};
  /* Version 3: names unpadded, 1-byte offsets (size 8 < 256). */
  static const uint8_t c3[] = {0x36, 2, 0, 0, 8, 0, 0, 0, 'a', 0, 0, I32LE, 'b', 'b', 0, 4, I32LE};
  /* Version 3, member past the end (offset 5 + 4 > 8). */
  static const uint8_t c3bad[] = {0x36, 1, 0, 0, 8, 0, 0, 0, 'a', 0, 5, I32LE};
  /* 65535 members declared, bytes for one. */
  static const uint8_t cmany[] = {0x36, 0xff, 0xff, 0, 8, 0, 0, 0, 'a', 0, 0, I32LE};
  static const uint8_t c0[] = {0x36, 0, 0, 0, 8, 0, 0, 0};
  /* Name without a NUL before the end of the message. */
  static const uint8_t cnonul[] = {0x36, 1, 0, 0, 8, 0, 0, 0, 'a', 'b', 'c'};
  /* v1 member with 5 dimensions. */
  static const uint8_t c1dims5[] = {
      0x16, 1, 0, 0, 12, 0, 0, 0, 'm', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
      2, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, U16LE};

  CHECK(dt(&t, c1, sizeof c1) == 0);
  if (t && t->nmembers == 1) {
    const h5k_datatype *a = t->members[0].type;
    CHECK_EQ_U(t->cls, H5K_CLASS_COMPOUND);
    CHECK(strcmp(t->members[0].name, "m") == 0);
    CHECK_EQ_U(a->cls, H5K_CLASS_ARRAY);
    CHECK_EQ_U(a->rank, 2);
    CHECK_EQ_U(a->dims[0], 2);
    CHECK_EQ_U(a->dims[1], 3);
    CHECK_EQ_U(a->size, 12);
    CHECK(a->base && a->base->cls == H5K_CLASS_INTEGER && a->base->size == 2);
  } else {
    CHECK(0);
  }
  h5k_datatype_free(t);
  dt_truncations(c1, sizeof c1);

  CHECK(dt(&t, c2, sizeof c2) == 0);
  if (t && t->nmembers == 2) {
    CHECK(strcmp(t->members[0].name, "longname") == 0);
    CHECK_EQ_U(t->members[0].offset, 0);
    CHECK(strcmp(t->members[1].name, "b") == 0);
    CHECK_EQ_U(t->members[1].offset, 4);
    CHECK_EQ_U(t->members[1].type->size, 4);
    CHECK_EQ_U(t->members[1].type->is_signed, 1);
  } else {
    CHECK(0);
  }
  h5k_datatype_free(t);
  dt_truncations(c2, sizeof c2);

  CHECK(dt(&t, c3, sizeof c3) == 0);
  if (t && t->nmembers == 2) {
    CHECK(strcmp(t->members[0].name, "a") == 0);
    CHECK_EQ_U(t->members[0].offset, 0);
    CHECK(strcmp(t->members[1].name, "bb") == 0);
    CHECK_EQ_U(t->members[1].offset, 4);
  } else {
    CHECK(0);
  }
  h5k_datatype_free(t);
  dt_truncations(c3, sizeof c3);

  CHECK(dt(&t, c3bad, sizeof c3bad) == H5K_ECORRUPT);
  CHECK(dt(&t, cmany, sizeof cmany) == H5K_ECORRUPT);
  CHECK(dt(&t, c0, sizeof c0) == H5K_ECORRUPT);
  CHECK(dt(&t, cnonul, sizeof cnonul) == H5K_ECORRUPT);
  CHECK(dt(&t, c1dims5, sizeof c1dims5) == H5K_ECORRUPT);
}

static void test_array_enum(void) {
  h5k_datatype *t;
  /* Version 2 array: rank 2, dims 2x3, permutation 0,1, base i32: 24 bytes. */
  static const uint8_t a2[] = {0x2a, 0, 0, 0, 24, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0,
                               0, 0, 0, 0, 1, 0, 0, 0, I32LE};
  /* Version 3 array: no reserved bytes, no permutation. */
  static const uint8_t a3[] = {0x3a, 0, 0, 0, 8, 0, 0, 0, 1, 2, 0, 0, 0, I32LE};
  static const uint8_t a3size[] = {0x3a, 0, 0, 0, 12, 0, 0, 0, 1, 2, 0, 0, 0, I32LE};
  static const uint8_t a1[] = {0x1a, 0, 0, 0, 8, 0, 0, 0, 1, 2, 0, 0, 0, I32LE};
  static const uint8_t a3r0[] = {0x3a, 0, 0, 0, 4, 0, 0, 0, 0, I32LE};
  static const uint8_t a3r33[] = {0x3a, 0, 0, 0, 4, 0, 0, 0, 33, I32LE};
  /* 2^32-1 x 2^32-1 x 4 bytes overflows 64 bits. */
  static const uint8_t a3ovf[] = {0x3a, 0, 0, 0, 4, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                  0xff, 0xff, 0xff, 0xff, I32LE};
  /* Enum v3: base u16, names "A" "BC", values 7, 0x0102. */
  static const uint8_t e3[] = {0x38, 2, 0, 0, 2, 0, 0, 0, U16LE, 'A', 0, 'B', 'C', 0, 7, 0, 2, 1};
  /* Enum v1: names padded to 8. */
  static const uint8_t e1[] = {0x18, 1, 0, 0, 2, 0, 0, 0, U16LE, 'Z', 0, 0, 0, 0, 0, 0, 0, 9, 0};
  static const uint8_t esize[] = {0x38, 1, 0, 0, 4, 0, 0, 0, U16LE, 'A', 0, 7, 0};
  static const uint8_t efloat[] = {0x38, 1, 0, 0, 4, 0, 0, 0, 0x11, 0x20, 31, 0, 4, 0, 0, 0, 0, 0, 32, 0, 23, 8,
                                   0, 23, 127, 0, 0, 0, 'A', 0, 7, 0, 0, 0};
  static const uint8_t emany[] = {0x38, 0xff, 0xff, 0, 2, 0, 0, 0, U16LE, 'A', 0, 7, 0};

  CHECK(dt(&t, a2, sizeof a2) == 0);
  CHECK(t && t->cls == H5K_CLASS_ARRAY && t->rank == 2 && t->dims[0] == 2 && t->dims[1] == 3 && t->size == 24 &&
        t->base && t->base->size == 4);
  h5k_datatype_free(t);
  dt_truncations(a2, sizeof a2);
  CHECK(dt(&t, a3, sizeof a3) == 0);
  CHECK(t && t->rank == 1 && t->dims[0] == 2 && t->version == 3);
  h5k_datatype_free(t);
  dt_truncations(a3, sizeof a3);
  CHECK(dt(&t, a3size, sizeof a3size) == H5K_ECORRUPT);
  CHECK(dt(&t, a1, sizeof a1) == H5K_ECORRUPT);
  CHECK(dt(&t, a3r0, sizeof a3r0) == H5K_ECORRUPT);
  CHECK(dt(&t, a3r33, sizeof a3r33) == H5K_ECORRUPT);
  CHECK(dt(&t, a3ovf, sizeof a3ovf) == H5K_ECORRUPT);

  CHECK(dt(&t, e3, sizeof e3) == 0);
  if (t && t->nmembers == 2 && t->enum_values) {
    CHECK(strcmp(t->members[0].name, "A") == 0);
    CHECK(strcmp(t->members[1].name, "BC") == 0);
    CHECK(t->enum_values[0] == 7 && t->enum_values[1] == 0);
    CHECK(t->enum_values[2] == 2 && t->enum_values[3] == 1);
  } else {
    CHECK(0);
  }
  h5k_datatype_free(t);
  dt_truncations(e3, sizeof e3);
  CHECK(dt(&t, e1, sizeof e1) == 0);
  CHECK(t && t->nmembers == 1 && strcmp(t->members[0].name, "Z") == 0 && t->enum_values[0] == 9);
  h5k_datatype_free(t);
  dt_truncations(e1, sizeof e1);
  CHECK(dt(&t, esize, sizeof esize) == H5K_ECORRUPT);
  CHECK(dt(&t, efloat, sizeof efloat) == H5K_ECORRUPT);
  CHECK(dt(&t, emany, sizeof emany) == H5K_ECORRUPT);
}

/* `levels` variable-length sequences nested around one 1-byte integer. */
static uint8_t *nested_vlen(size_t levels, size_t *len) {
  static const uint8_t vl[8] = {0x19, 0, 0, 0, 16, 0, 0, 0};
  static const uint8_t leaf[12] = {0x10, 0, 0, 0, 1, 0, 0, 0, 0, 0, 8, 0};
  uint8_t *p = malloc(levels * 8 + 12);
  if (!p) return NULL;
  for (size_t i = 0; i < levels; i++) memcpy(p + 8 * i, vl, 8);
  memcpy(p + 8 * levels, leaf, 12);
  *len = levels * 8 + 12;
  return p;
}

static void test_nesting(void) {
  h5k_datatype *t = NULL, *c;
  size_t len;
  uint8_t *p;
  /* 32 types deep (31 vlens + leaf) is the most allowed. */
  p = nested_vlen(H5K_MAX_TYPE_DEPTH - 1, &len);
  CHECK(p && dt(&t, p, len) == 0);
  if (t) {
    const h5k_datatype *q = t;
    unsigned depth = 1;
    while (q->base) {
      q = q->base;
      depth++;
    }
    CHECK_EQ_U(depth, H5K_MAX_TYPE_DEPTH);
    CHECK_EQ_U(q->cls, H5K_CLASS_INTEGER);
    CHECK(h5k_datatype_copy(&c, t) == 0);
    h5k_datatype_free(c);
  }
  h5k_datatype_free(t);
  free(p);
  p = nested_vlen(H5K_MAX_TYPE_DEPTH, &len);
  CHECK(p && dt(&t, p, len) == H5K_ELIMIT);
  CHECK(t == NULL);
  free(p);
  p = nested_vlen(100000, &len);
  CHECK(p && dt(&t, p, len) == H5K_ELIMIT);
  free(p);
}

static void test_dataspace(void) {
  h5k_fctx f4 = fx(8, 4), f8 = fx(8, 8);
  h5k_dataspace s;
  /* v1, rank 2, max sizes and permutation present, 4-byte lengths. */
  static const uint8_t v1[] = {1, 2, 3, 0, 0, 0, 0, 0, 5, 0, 0, 0, 6, 0, 0, 0,
                               0xff, 0xff, 0xff, 0xff, 6, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0};
  /* v1 rank 1, no max sizes. */
  static const uint8_t v1n[] = {1, 1, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0};
  static const uint8_t v2t3[] = {2, 0, 0, 3};
  static const uint8_t v2simple0[] = {2, 0, 0, 1};
  static const uint8_t v2scalar1[] = {2, 1, 0, 0, 1, 0, 0, 0};
  static const uint8_t v2null1[] = {2, 1, 0, 2, 1, 0, 0, 0};
  static const uint8_t v3[] = {3, 0, 0, 0};
  static const uint8_t v0[] = {0, 0, 0, 0};
  static const uint8_t maxsmall[] = {2, 1, 1, 1, 9, 0, 0, 0, 8, 0, 0, 0};
  uint8_t big[4 + 33 * 4] = {2, 33, 0, 1};

  CHECK(h5k_decode_dataspace(&s, v1, sizeof v1, &f4) == 0);
  CHECK_EQ_U(s.kind, H5K_SPACE_SIMPLE);
  CHECK_EQ_U(s.rank, 2);
  CHECK_EQ_U(s.dims[0], 5);
  CHECK_EQ_U(s.dims[1], 6);
  CHECK_EQ_U(s.has_maxdims, 1);
  CHECK(s.maxdims[0] == H5K_UNLIMITED);
  CHECK_EQ_U(s.maxdims[1], 6);
  for (size_t n = 0; n < sizeof v1; n++) CHECK(h5k_decode_dataspace(&s, v1, n, &f4) == H5K_ECORRUPT);
  CHECK(h5k_decode_dataspace(&s, v1n, sizeof v1n, &f4) == 0);
  CHECK_EQ_U(s.has_maxdims, 0);
  CHECK_EQ_U(s.dims[0], 9);
  CHECK_EQ_U(s.maxdims[0], 9);
  CHECK(h5k_decode_dataspace(&s, v2t3, sizeof v2t3, &f8) == H5K_ECORRUPT);
  CHECK(h5k_decode_dataspace(&s, v2simple0, sizeof v2simple0, &f8) == H5K_ECORRUPT);
  CHECK(h5k_decode_dataspace(&s, v2scalar1, sizeof v2scalar1, &f4) == H5K_ECORRUPT);
  CHECK(h5k_decode_dataspace(&s, v2null1, sizeof v2null1, &f4) == H5K_ECORRUPT);
  CHECK(h5k_decode_dataspace(&s, v3, sizeof v3, &f8) == H5K_EUNSUPPORTED);
  CHECK(h5k_decode_dataspace(&s, v0, sizeof v0, &f8) == H5K_ECORRUPT);
  CHECK(h5k_decode_dataspace(&s, maxsmall, sizeof maxsmall, &f4) == H5K_ECORRUPT);
  CHECK(h5k_decode_dataspace(&s, big, sizeof big, &f4) == H5K_ECORRUPT);
}

static void test_link(void) {
  h5k_fctx f = fx(8, 8), f4 = fx(4, 8);
  h5k_link_msg m;
  /* User-defined type 65 with creation order 5 and a 2-byte name length. */
  static const uint8_t ud[] = {1, 0x0d, 65, 5, 0, 0, 0, 0, 0, 0, 0, 3, 0, 'u', 'd', 'l', 4, 0, 1, 2, 3, 4};
  /* Hard link with 4-byte addresses. */
  static const uint8_t h4[] = {1, 0x00, 1, 'x', 0x10, 0x00, 0x00, 0x00};
  static const uint8_t hundef[] = {1, 0x00, 1, 'x', 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  static const uint8_t hfar[] = {1, 0x00, 1, 'x', 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  static const uint8_t resv[] = {1, 0x20, 1, 'x', 1, 0, 0, 0, 0, 0, 0, 0};
  static const uint8_t ver2[] = {2, 0x00, 1, 'x', 1, 0, 0, 0, 0, 0, 0, 0};
  static const uint8_t cs2[] = {1, 0x10, 2, 1, 'x', 1, 0, 0, 0, 0, 0, 0, 0};
  static const uint8_t name0[] = {1, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0};
  static const uint8_t namehuge[] = {1, 0x03, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 'x'};
  static const uint8_t namenul[] = {1, 0x00, 2, 'x', 0, 1, 0, 0, 0, 0, 0, 0, 0};
  static const uint8_t softempty[] = {1, 0x08, 1, 1, 's', 0, 0};
  static const uint8_t extv1[] = {1, 0x08, 64, 1, 'e', 5, 0, 0x10, 'f', 0, 'p', 0};
  static const uint8_t extnonul[] = {1, 0x08, 64, 1, 'e', 4, 0, 0x00, 'f', 0, 'p'};
  static const uint8_t extflags[] = {1, 0x08, 64, 1, 'e', 5, 0, 0x03, 'f', 0, 'p', 0};

  CHECK(h5k_decode_link(&m, ud, sizeof ud, &f) == 0);
  CHECK_EQ_U(m.type, 65);
  CHECK_EQ_U(m.has_corder, 1);
  CHECK_EQ_U(m.corder, 5);
  CHECK(m.name && strcmp(m.name, "udl") == 0);
  CHECK(m.soft == NULL && m.ext_file == NULL && m.ext_path == NULL);
  h5k_link_msg_clear(&m);
  for (size_t n = 0; n < sizeof ud; n++) CHECK(h5k_decode_link(&m, ud, n, &f) == H5K_ECORRUPT);
  CHECK(h5k_decode_link(&m, h4, sizeof h4, &f4) == 0);
  CHECK_EQ_U(m.addr, 16);
  h5k_link_msg_clear(&m);
  CHECK(h5k_decode_link(&m, extflags, sizeof extflags, &f) == 0);
  CHECK_EQ_U(m.ext_flags, 3);
  CHECK(strcmp(m.ext_file, "f") == 0 && strcmp(m.ext_path, "p") == 0);
  h5k_link_msg_clear(&m);
  CHECK(h5k_decode_link(&m, hundef, sizeof hundef, &f) == H5K_ECORRUPT);
  CHECK(h5k_decode_link(&m, hfar, sizeof hfar, &f) == H5K_ECORRUPT);
  CHECK(h5k_decode_link(&m, resv, sizeof resv, &f) == H5K_ECORRUPT);
  CHECK(h5k_decode_link(&m, ver2, sizeof ver2, &f) == H5K_ECORRUPT);
  CHECK(h5k_decode_link(&m, cs2, sizeof cs2, &f) == H5K_ECORRUPT);
  CHECK(h5k_decode_link(&m, name0, sizeof name0, &f) == H5K_ECORRUPT);
  CHECK(h5k_decode_link(&m, namehuge, sizeof namehuge, &f) == H5K_ECORRUPT);
  CHECK(h5k_decode_link(&m, namenul, sizeof namenul, &f) == H5K_ECORRUPT);
  CHECK(h5k_decode_link(&m, softempty, sizeof softempty, &f) == H5K_ECORRUPT);
  CHECK(h5k_decode_link(&m, extv1, sizeof extv1, &f) == H5K_EUNSUPPORTED);
  CHECK(h5k_decode_link(&m, extnonul, sizeof extnonul, &f) == H5K_ECORRUPT);
  CHECK(m.name == NULL);
}

static void test_attr(void) {
  h5k_fctx f = fx(8, 8);
  h5k_attr_msg a;
  h5k_shared sh;
  /* v2 with shared datatype and dataspace (v3 shared encodings: committed at 0x300, SOHM heap id). */
  static const uint8_t v2[] = {2, 3, 2, 0, 10, 0, 10, 0, 'n', 0,
                               3, 2, 0x00, 0x03, 0, 0, 0, 0, 0, 0,
                               3, 1, 1, 2, 3, 4, 5, 6, 7, 8,
                               0xaa, 0xbb};
  /* v3, UTF-8 name "é". */
  static const uint8_t v3[] = {3, 0, 3, 0, 12, 0, 4, 0, 1, 0xc3, 0xa9, 0, 0x10, 0, 0, 0, 1, 0, 0, 0, 0, 0, 8, 0,
                               2, 0, 0, 0, 0x2a};
  static const uint8_t v2flag4[] = {2, 4, 2, 0, 8, 0, 4, 0, 'n', 0, 0x10, 0, 0, 0, 1, 0, 0, 0, 0, 0, 8, 0,
                                    2, 0, 0, 0};
  static const uint8_t v4[] = {4, 0, 2, 0, 8, 0, 4, 0, 'n', 0, 0x10, 0, 0, 0, 1, 0, 0, 0, 0, 0, 8, 0, 2, 0, 0, 0};
  static const uint8_t cs2[] = {3, 0, 2, 0, 8, 0, 4, 0, 2, 'n', 0, 0x10, 0, 0, 0, 1, 0, 0, 0, 0, 0, 8, 0,
                                2, 0, 0, 0};
  static const uint8_t nonul[] = {2, 0, 2, 0, 8, 0, 4, 0, 'n', 'm', 0x10, 0, 0, 0, 1, 0, 0, 0, 0, 0, 8, 0,
                                  2, 0, 0, 0};
  static const uint8_t name0[] = {2, 0, 0, 0, 8, 0, 4, 0, 0x10, 0, 0, 0, 1, 0, 0, 0, 0, 0, 8, 0, 2, 0, 0, 0};
  static const uint8_t typebig[] = {2, 0, 2, 0, 0xff, 0, 4, 0, 'n', 0, 0x10, 0, 0, 0, 1, 0, 0, 0, 0, 0, 8, 0,
                                    2, 0, 0, 0};
  /* v1: name "ab" (3 bytes) padded to 8, type 12 padded to 16, space 8 padded to 8, 1-byte value + pad. */
  static const uint8_t v1[] = {1, 0, 3, 0, 12, 0, 8, 0, 'a', 'b', 0, 0, 0, 0, 0, 0,
                               0x10, 0, 0, 0, 1, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0,
                               1, 0, 0, 0, 0, 0, 0, 0, 0x55, 0, 0, 0, 0, 0, 0, 0};

  CHECK(h5k_decode_attr(&a, v2, sizeof v2, &f) == 0);
  CHECK(a.name && strcmp(a.name, "n") == 0);
  CHECK_EQ_U(a.version, 2);
  CHECK_EQ_U(a.type_shared, 1);
  CHECK_EQ_U(a.space_shared, 1);
  CHECK_EQ_U(a.type_len, 10);
  CHECK_EQ_U(a.space_len, 10);
  CHECK_EQ_U(a.data_len, 2);
  CHECK(a.data && a.data[0] == 0xaa && a.data[1] == 0xbb);
  CHECK(h5k_decode_shared(&sh, a.type_bytes, a.type_len, &f) == 0);
  CHECK_EQ_U(sh.type, H5K_SHARED_COMMITTED);
  CHECK_EQ_U(sh.addr, 0x300);
  CHECK(h5k_decode_shared(&sh, a.space_bytes, a.space_len, &f) == 0);
  CHECK_EQ_U(sh.type, H5K_SHARED_SOHM);
  CHECK(sh.heap_id[0] == 1 && sh.heap_id[7] == 8);
  h5k_attr_msg_clear(&a);
  CHECK(a.name == NULL);
  for (size_t n = 0; n < sizeof v2 - 2; n++) CHECK(h5k_decode_attr(&a, v2, n, &f) == H5K_ECORRUPT);

  CHECK(h5k_decode_attr(&a, v3, sizeof v3, &f) == 0);
  CHECK(a.name && strcmp(a.name, "\xc3\xa9") == 0);
  CHECK_EQ_U(a.charset, H5K_CSET_UTF8);
  CHECK_EQ_U(a.type_shared, 0);
  CHECK_EQ_U(a.data_len, 1);
  CHECK(a.data && a.data[0] == 0x2a);
  h5k_attr_msg_clear(&a);

  CHECK(h5k_decode_attr(&a, v1, sizeof v1, &f) == 0);
  CHECK(a.name && strcmp(a.name, "ab") == 0);
  CHECK_EQ_U(a.type_len, 12);
  CHECK(a.type_bytes == v1 + 16);
  CHECK(a.space_bytes == v1 + 32);
  CHECK_EQ_U(a.data_len, 8);
  CHECK(a.data == v1 + 40 && a.data[0] == 0x55);
  h5k_attr_msg_clear(&a);

  CHECK(h5k_decode_attr(&a, v2flag4, sizeof v2flag4, &f) == H5K_ECORRUPT);
  CHECK(h5k_decode_attr(&a, v4, sizeof v4, &f) == H5K_ECORRUPT);
  CHECK(h5k_decode_attr(&a, cs2, sizeof cs2, &f) == H5K_ECORRUPT);
  CHECK(h5k_decode_attr(&a, nonul, sizeof nonul, &f) == H5K_ECORRUPT);
  CHECK(h5k_decode_attr(&a, name0, sizeof name0, &f) == H5K_ECORRUPT);
  CHECK(h5k_decode_attr(&a, typebig, sizeof typebig, &f) == H5K_ECORRUPT);
}

static void test_shared(void) {
  h5k_fctx f = fx(8, 8);
  h5k_shared s;
  static const uint8_t v1[] = {1, 0, 0, 0, 0, 0, 0, 0, 0x20, 0, 0, 0, 0, 0, 0, 0};
  static const uint8_t v2[] = {2, 0, 0x40, 0, 0, 0, 0, 0, 0, 0};
  static const uint8_t v3t0[] = {3, 0, 0x40, 0, 0, 0, 0, 0, 0, 0};
  static const uint8_t v3t3[] = {3, 3, 0x40, 0, 0, 0, 0, 0, 0, 0};
  static const uint8_t v4[] = {4, 2, 0x40, 0, 0, 0, 0, 0, 0, 0};
  static const uint8_t undef[] = {3, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  static const uint8_t far[] = {3, 2, 0x00, 0x20, 0, 0, 0, 0, 0, 0};
  CHECK(h5k_decode_shared(&s, v1, sizeof v1, &f) == 0);
  CHECK_EQ_U(s.version, 1);
  CHECK_EQ_U(s.type, H5K_SHARED_COMMITTED);
  CHECK_EQ_U(s.addr, 0x20);
  for (size_t n = 0; n < sizeof v1; n++) CHECK(h5k_decode_shared(&s, v1, n, &f) == H5K_ECORRUPT);
  CHECK(h5k_decode_shared(&s, v2, sizeof v2, &f) == 0);
  CHECK_EQ_U(s.version, 2);
  CHECK_EQ_U(s.type, H5K_SHARED_COMMITTED);
  CHECK_EQ_U(s.addr, 0x40);
  for (size_t n = 0; n < sizeof v2; n++) CHECK(h5k_decode_shared(&s, v2, n, &f) == H5K_ECORRUPT);
  CHECK(h5k_decode_shared(&s, v3t0, sizeof v3t0, &f) == H5K_ECORRUPT);
  CHECK(h5k_decode_shared(&s, v3t3, sizeof v3t3, &f) == H5K_ECORRUPT);
  CHECK(h5k_decode_shared(&s, v4, sizeof v4, &f) == H5K_ECORRUPT);
  CHECK(h5k_decode_shared(&s, undef, sizeof undef, &f) == H5K_ECORRUPT);
  CHECK(h5k_decode_shared(&s, far, sizeof far, &f) == H5K_ECORRUPT);
}

static void test_small_messages(void) {
  h5k_fctx f = fx(8, 8), f4 = fx(4, 4);
  h5k_ginfo g;
  h5k_linfo l;
  h5k_stab st;
  h5k_cont c;
  int64_t t;
  static const uint8_t gi[] = {0, 3, 16, 0, 12, 0, 9, 0, 20, 0};
  static const uint8_t gi2[] = {0, 2, 9, 0, 20, 0};
  static const uint8_t gires[] = {0, 4};
  static const uint8_t giv1[] = {1, 0};
  /* Link info with 4-byte addresses: tracked (max 0x0102030405060708), not indexed. */
  static const uint8_t li[] = {0, 1, 8, 7, 6, 5, 4, 3, 2, 1, 0x10, 0, 0, 0, 0x20, 0, 0, 0};
  static const uint8_t lires[] = {0, 4, 0x10, 0, 0, 0, 0x20, 0, 0, 0};
  static const uint8_t liv1[] = {1, 0, 0x10, 0, 0, 0, 0x20, 0, 0, 0};
  static const uint8_t lifar[] = {0, 0, 0x00, 0x10, 0, 0, 0x20, 0, 0, 0};
  static const uint8_t linegative[] = {0, 1, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x10, 0, 0, 0, 0x20, 0, 0, 0};
  /* Attribute info with 4-byte addresses: tracked + indexed, max 0x0203. */
  static const uint8_t ai[] = {0, 3, 3, 2, 0x10, 0, 0, 0, 0x20, 0, 0, 0, 0x30, 0, 0, 0};
  static const uint8_t stundef[] = {0xff, 0xff, 0xff, 0xff, 0x10, 0, 0, 0};
  static const uint8_t ct0[] = {0x10, 0, 0, 0, 0, 0, 0, 0};
  static const uint8_t ctundef[] = {0xff, 0xff, 0xff, 0xff, 8, 0, 0, 0};
  static const uint8_t ctok[] = {0x10, 0, 0, 0, 8, 0, 0, 0};
  static const uint8_t mt2[] = {2, 0, 0, 0, 1, 0, 0, 0};

  CHECK(h5k_decode_ginfo(&g, gi, sizeof gi, &f) == 0);
  CHECK(g.has_phase && g.has_est);
  CHECK_EQ_U(g.max_compact, 16);
  CHECK_EQ_U(g.min_dense, 12);
  CHECK_EQ_U(g.est_entries, 9);
  CHECK_EQ_U(g.est_name_len, 20);
  for (size_t n = 0; n < sizeof gi; n++) CHECK(h5k_decode_ginfo(&g, gi, n, &f) == H5K_ECORRUPT);
  CHECK(h5k_decode_ginfo(&g, gi2, sizeof gi2, &f) == 0);
  CHECK(!g.has_phase && g.has_est && g.max_compact == 8 && g.min_dense == 6 && g.est_entries == 9);
  CHECK(h5k_decode_ginfo(&g, gires, sizeof gires, &f) == H5K_ECORRUPT);
  CHECK(h5k_decode_ginfo(&g, giv1, sizeof giv1, &f) == H5K_ECORRUPT);

  CHECK(h5k_decode_linfo(&l, li, sizeof li, &f4) == 0);
  CHECK(l.track_corder && !l.index_corder);
  CHECK(l.max_corder == INT64_C(0x0102030405060708));
  CHECK_EQ_U(l.fheap_addr, 0x10);
  CHECK_EQ_U(l.name_bt2_addr, 0x20);
  CHECK(l.corder_bt2_addr == H5K_ADDR_UNDEF);
  for (size_t n = 0; n < sizeof li; n++) CHECK(h5k_decode_linfo(&l, li, n, &f4) == H5K_ECORRUPT);
  CHECK(h5k_decode_linfo(&l, lires, sizeof lires, &f4) == H5K_ECORRUPT);
  CHECK(h5k_decode_linfo(&l, liv1, sizeof liv1, &f4) == H5K_ECORRUPT);
  CHECK(h5k_decode_linfo(&l, lifar, sizeof lifar, &f4) == H5K_ECORRUPT);
  CHECK(h5k_decode_linfo(&l, linegative, sizeof linegative, &f4) == H5K_ECORRUPT);
  CHECK(h5k_decode_ainfo(&l, ai, sizeof ai, &f4) == 0);
  CHECK(l.track_corder && l.index_corder);
  CHECK_EQ_U(l.max_corder, 0x0203);
  CHECK_EQ_U(l.corder_bt2_addr, 0x30);
  for (size_t n = 0; n < sizeof ai; n++) CHECK(h5k_decode_ainfo(&l, ai, n, &f4) == H5K_ECORRUPT);

  CHECK(h5k_decode_stab(&st, stundef, sizeof stundef, &f4) == H5K_ECORRUPT);
  CHECK(h5k_decode_cont(&c, ct0, sizeof ct0, &f4) == H5K_ECORRUPT);
  CHECK(h5k_decode_cont(&c, ctundef, sizeof ctundef, &f4) == H5K_ECORRUPT);
  CHECK(h5k_decode_cont(&c, ctok, sizeof ctok, &f4) == 0);
  CHECK(c.addr == 0x10 && c.len == 8);
  for (size_t n = 0; n < sizeof ctok; n++) CHECK(h5k_decode_cont(&c, ctok, n, &f4) == H5K_ECORRUPT);

  CHECK(h5k_decode_mtime(&t, H5K_MSG_MTIME, mt2, sizeof mt2) == H5K_ECORRUPT);
  for (size_t n = 0; n < 8; n++) CHECK(h5k_decode_mtime(&t, H5K_MSG_MTIME, mt2, n) == H5K_ECORRUPT);
  CHECK(h5k_decode_mtime(&t, H5K_MSG_MTIME_OLD, (const uint8_t *)"19700101000000\0\0", 16) == 0);
  CHECK(t == 0);
  CHECK(h5k_decode_mtime(&t, H5K_MSG_MTIME_OLD, (const uint8_t *)"20000229123456\0\0", 16) == 0);
  CHECK(t == INT64_C(951827696));
  CHECK(h5k_decode_mtime(&t, H5K_MSG_MTIME_OLD, (const uint8_t *)"19691231235959\0\0", 16) == 0);
  CHECK(t == -1);
  CHECK(h5k_decode_mtime(&t, H5K_MSG_MTIME_OLD, (const uint8_t *)"19991301000000", 14) == H5K_ECORRUPT);
  CHECK(h5k_decode_mtime(&t, H5K_MSG_MTIME_OLD, (const uint8_t *)"20010229000000", 14) == H5K_ECORRUPT);
  CHECK(h5k_decode_mtime(&t, H5K_MSG_MTIME_OLD, (const uint8_t *)"2000022912345x", 14) == H5K_ECORRUPT);
  CHECK(h5k_decode_mtime(&t, H5K_MSG_MTIME_OLD, (const uint8_t *)"20000229123456", 13) == H5K_ECORRUPT);
  CHECK(h5k_decode_mtime(&t, H5K_MSG_DATATYPE, mt2, sizeof mt2) == H5K_EINVAL);

  CHECK(strcmp(h5k_msg_name(H5K_MSG_STAB), "Symbol Table") == 0);
  CHECK(strcmp(h5k_msg_name(H5K_MSG_FSINFO), "File Space Info") == 0);
  CHECK(strcmp(h5k_msg_name(0x99), "unknown") == 0);
}

int main(void) {
  test_atomic();
  test_atomic_errors();
  test_compound();
  test_array_enum();
  test_nesting();
  test_dataspace();
  test_link();
  test_attr();
  test_shared();
  test_small_messages();
  return test_finish("test_messages");
}
