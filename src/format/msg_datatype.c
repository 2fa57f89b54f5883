/* Datatype message (type 0x0003). HDF5 File Format Specification 3.0, section IV.A.2.d.
 *
 * Header (8 bytes), then class-specific properties:
 *   0     class (bits 0-3) | version (bits 4-7)
 *   1-3   class bit field, bits 0-23
 *   4-7   element size in bytes
 *
 * Class (bit field)                          Properties
 *   0 fixed-point (0 order, 1-2 pad,         bit offset (2) | precision (2)
 *     3 signed)
 *   1 float (0+6 order, 1-3 pad, 4-5         bit offset (2) | precision (2) | exponent location (1)
 *     mantissa norm, 8-15 sign location)     | exponent size (1) | mantissa location (1) |
 *                                            mantissa size (1) | exponent bias (4)
 *   2 time (0 order)                         precision (2)
 *   3 string (0-3 pad, 4-7 charset)          none
 *   4 bitfield (0 order, 1-2 pad)            bit offset (2) | precision (2)
 *   5 opaque (0-7 tag length)                tag (NUL-padded to a multiple of 8; the length
 *                                            counts the padding)
 *   6 compound (0-15 member count)           per member:
 *                                              v1: name (NUL, padded to 8) | offset (4) |
 *                                                  ndims (1) | reserved (3) | permutation (4) |
 *                                                  reserved (4) | 4 x dim size (4) | type
 *                                              v2: name (NUL, padded to 8) | offset (4) | type
 *                                              v3+: name (NUL) | offset (1-8: the fewest bytes
 *                                                   that hold the compound size) | type
 *   7 reference (0-3 type; v4: 4-7          none
 *     encoding version)
 *   8 enum (0-15 member count)               base type | names (v1/v2: NUL, padded to 8;
 *                                            v3+: NUL) | values (count x base size)
 *   9 vlen (0-3 sequence/string, 4-7 pad,    base type
 *     8-11 charset)
 *  10 array (version >= 2)                   ndims (1) | v2: reserved (3) | ndims x size (4) |
 *                                            v2: ndims x permutation (4) | base type
 *  11 complex (version 5)                    not supported
 *
 * Versions: 1 original, 2 array class, 3 packed compound/enum encodings and VAX order, 4 revised
 * references, 5 complex numbers. Nested types carry their own version nibble.
 * Reserved bits inside the class bit fields are not checked: the library ignores them too, and
 * files from other writers are known to leave junk there. */
#include "format/messages.h"

#include <stdlib.h>
#include <string.h>

#include "util/checked.h"
#include "util/error.h"

static int decode_type(h5k_datatype **out, h5k_cur *c, unsigned depth);

void h5k_datatype_free(h5k_datatype *t) {
  if (!t) return;
  if (t->members) {
    for (size_t i = 0; i < t->nmembers; i++) {
      free(t->members[i].name);
      h5k_datatype_free(t->members[i].type);
    }
  }
  free(t->members);
  free(t->enum_values);
  free(t->tag);
  h5k_datatype_free(t->base);
  free(t);
}

/* Read a NUL-terminated name at the cursor; `padded`: the name and its NUL occupy a multiple of
 * 8 bytes. */
static int read_name(char **out, h5k_cur *c, int padded, const char *what, size_t index) {
  const uint8_t *s = rd_ptr(c, 0);
  const uint8_t *nul;
  size_t n, field;
  *out = NULL;
  if (!s) return corrupt("datatype message truncated before %s %zu name", what, index);
  nul = memchr(s, 0, cur_left(c));
  if (!nul) return corrupt("datatype message: %s %zu name is not NUL-terminated", what, index);
  n = (size_t)(nul - s);
  if (n > H5K_MAX_NAME) return corrupt("datatype message: %s %zu name longer than %d bytes", what, index, H5K_MAX_NAME);
  field = padded ? (n + 8) & ~(size_t)7 : n + 1;
  if (!rd_ptr(c, field))
    return corrupt("datatype message: %s %zu name padding runs past the message end", what, index);
  *out = h5k_msg_strndup(s, n);
  return *out ? 0 : h5k_err_nomem();
}

/* bit offset + precision must fit in the element. */
static int check_bits(const h5k_datatype *t, const char *cls) {
  if (t->precision == 0 || (uint64_t)t->bit_offset + t->precision > t->size * 8)
    return corrupt("datatype message: %s with bit offset %u and precision %u does not fit in %llu bytes", cls,
                   t->bit_offset, t->precision, (unsigned long long)t->size);
  return 0;
}

static int decode_float(h5k_datatype *t, h5k_cur *c, uint32_t bits) {
  uint64_t nbits = t->size * 8;
  if ((bits & 0x41) == 0x40)
    return corrupt("datatype message: reserved floating-point byte order (bit 6 without bit 0)");
  t->big_endian = (bits & 0x40) ? H5K_BYTE_ORDER_VAX : (int)(bits & 1);
  t->lo_pad = (bits >> 1) & 1;
  t->hi_pad = (bits >> 2) & 1;
  t->internal_pad = (bits >> 3) & 1;
  t->mantissa_norm = (bits >> 4) & 3;
  t->sign_location = (bits >> 8) & 0xff;
  t->bit_offset = rd_le16(c);
  t->precision = rd_le16(c);
  t->exp_location = rd_u8(c);
  t->exp_size = rd_u8(c);
  t->mantissa_location = rd_u8(c);
  t->mantissa_size = rd_u8(c);
  t->exp_bias = rd_le32(c);
  if (c->err) return corrupt("datatype message: floating-point properties truncated");
  if (t->mantissa_norm == 3) return corrupt("datatype message: reserved mantissa normalization 3");
  TRY(check_bits(t, "floating-point type"));
  if (t->sign_location >= nbits || (uint64_t)t->exp_location + t->exp_size > nbits ||
      (uint64_t)t->mantissa_location + t->mantissa_size > nbits || t->exp_size == 0)
    return corrupt("datatype message: floating-point fields (sign %u, exponent %u+%u, mantissa %u+%u) do not "
                   "fit in %llu bits", t->sign_location, t->exp_location, t->exp_size, t->mantissa_location,
                   t->mantissa_size, (unsigned long long)nbits);
  return 0;
}

/* Wrap `base` in an array type of the given dimensions (v1 compound members with dimensions). */
static int make_array(h5k_datatype **out, h5k_datatype *base, unsigned version, unsigned rank,
                      const uint32_t *dims) {
  h5k_datatype *a = calloc(1, sizeof *a);
  uint64_t n = base->size;
  if (!a) return h5k_err_nomem();
  a->cls = H5K_CLASS_ARRAY;
  a->version = version;
  a->rank = rank;
  for (unsigned i = 0; i < rank; i++) {
    a->dims[i] = dims[i];
    if (ck_mul64(n, dims[i], &n)) {
      free(a);
      return corrupt("datatype message: compound member array size overflows");
    }
  }
  a->size = n;
  a->base = base;
  *out = a;
  return 0;
}

static int decode_compound(h5k_datatype *t, h5k_cur *c, uint32_t bits, unsigned depth) {
  size_t n = bits & 0xffff;
  /* Smallest possible member: name + offset + an 8-byte type header. */
  size_t min_member = t->version == 1 ? 8 + 32 + 8 : t->version == 2 ? 8 + 4 + 8 : 1 + 1 + 8;
  unsigned off_width = bytes_for(t->size);
  if (n == 0) return corrupt("datatype message: compound type with no members");
  if (t->size == 0) return corrupt("datatype message: compound type of size 0");
  if (n > cur_left(c) / min_member)
    return corrupt("datatype message: compound declares %zu members but only %zu bytes remain", n, cur_left(c));
  t->members = calloc(n, sizeof *t->members);
  if (!t->members) return h5k_err_nomem();
  t->nmembers = n;
  for (size_t i = 0; i < n; i++) {
    h5k_type_member *m = &t->members[i];
    unsigned ndims = 0;
    uint32_t dims[4] = {0, 0, 0, 0};
    uint64_t end;
    TRY(read_name(&m->name, c, t->version < 3, "compound member", i));
    if (t->version < 3) {
      m->offset = rd_le32(c);
    } else {
      m->offset = rd_uvar(c, off_width);
    }
    if (t->version == 1) {
      ndims = rd_u8(c);
      cur_skip(c, 3 + 4 + 4); /* reserved, permutation, reserved */
      for (unsigned k = 0; k < 4; k++) dims[k] = rd_le32(c);
    }
    if (c->err) return corrupt("datatype message: compound member %zu (\"%s\") truncated", i, m->name);
    if (ndims > 4) return corrupt("datatype message: compound member \"%s\" has %u dimensions (at most 4)", m->name, ndims);
    TRY(decode_type(&m->type, c, depth + 1));
    if (ndims > 0) {
      h5k_datatype *arr = NULL;
      int rc = make_array(&arr, m->type, t->version, ndims, dims);
      if (rc < 0) return rc;
      m->type = arr;
    }
    if (ck_add64(m->offset, m->type->size, &end) || end > t->size)
      return corrupt("datatype message: compound member \"%s\" (offset %llu, size %llu) extends past the "
                     "compound size %llu", m->name, (unsigned long long)m->offset,
                     (unsigned long long)m->type->size, (unsigned long long)t->size);
  }
  return 0;
}

static int decode_enum(h5k_datatype *t, h5k_cur *c, uint32_t bits, unsigned depth) {
  size_t n = bits & 0xffff;
  size_t vbytes, min_name = t->version < 3 ? 8 : 1;
  TRY(decode_type(&t->base, c, depth + 1));
  if (t->base->cls != H5K_CLASS_INTEGER && t->base->cls != H5K_CLASS_BITFIELD)
    return corrupt("datatype message: enumeration base type has class %u (must be an integer)", t->base->cls);
  if (t->base->size != t->size)
    return corrupt("datatype message: enumeration size %llu differs from its base type size %llu",
                   (unsigned long long)t->size, (unsigned long long)t->base->size);
  if (ck_mulsz(n, (size_t)t->size, &vbytes) || n > cur_left(c) / min_name || vbytes > cur_left(c))
    return corrupt("datatype message: enumeration declares %zu members but only %zu bytes remain", n, cur_left(c));
  if (n == 0) return 0;
  t->members = calloc(n, sizeof *t->members);
  if (!t->members) return h5k_err_nomem();
  t->nmembers = n;
  for (size_t i = 0; i < n; i++) TRY(read_name(&t->members[i].name, c, t->version < 3, "enumeration member", i));
  t->enum_values = malloc(vbytes);
  if (!t->enum_values) return h5k_err_nomem();
  rd_bytes(c, t->enum_values, vbytes);
  if (c->err) return corrupt("datatype message: enumeration values truncated (%zu bytes needed)", vbytes);
  return 0;
}

static int decode_array(h5k_datatype *t, h5k_cur *c, unsigned depth) {
  uint64_t total;
  t->rank = rd_u8(c);
  if (t->version == 2) cur_skip(c, 3);
  if (c->err) return corrupt("datatype message: array properties truncated");
  if (t->rank == 0 || t->rank > H5K_MAX_RANK)
    return corrupt("datatype message: array rank %u (must be 1..%d)", t->rank, H5K_MAX_RANK);
  for (unsigned i = 0; i < t->rank; i++) t->dims[i] = rd_le32(c);
  if (t->version == 2) cur_skip(c, 4 * (size_t)t->rank); /* permutation indices (unused) */
  if (c->err) return corrupt("datatype message: array dimensions truncated (rank %u)", t->rank);
  TRY(decode_type(&t->base, c, depth + 1));
  total = t->base->size;
  for (unsigned i = 0; i < t->rank; i++) {
    if (ck_mul64(total, t->dims[i], &total)) return corrupt("datatype message: array size overflows");
  }
  if (total != t->size)
    return corrupt("datatype message: array size %llu differs from dimensions x base size = %llu",
                   (unsigned long long)t->size, (unsigned long long)total);
  return 0;
}

static int decode_props(h5k_datatype *t, h5k_cur *c, uint32_t bits, unsigned depth) {
  switch (t->cls) {
  case H5K_CLASS_INTEGER:
  case H5K_CLASS_BITFIELD:
    t->big_endian = bits & 1;
    t->lo_pad = (bits >> 1) & 1;
    t->hi_pad = (bits >> 2) & 1;
    if (t->cls == H5K_CLASS_INTEGER) t->is_signed = (bits >> 3) & 1;
    t->bit_offset = rd_le16(c);
    t->precision = rd_le16(c);
    if (c->err) return corrupt("datatype message: %s properties truncated",
                               t->cls == H5K_CLASS_INTEGER ? "fixed-point" : "bitfield");
    return check_bits(t, t->cls == H5K_CLASS_INTEGER ? "fixed-point type" : "bitfield");
  case H5K_CLASS_FLOAT:
    return decode_float(t, c, bits);
  case H5K_CLASS_TIME:
    t->big_endian = bits & 1;
    t->precision = rd_le16(c);
    if (c->err) return corrupt("datatype message: time properties truncated");
    return check_bits(t, "time type");
  case H5K_CLASS_STRING:
    t->str_pad = bits & 0x0f;
    t->charset = (bits >> 4) & 0x0f;
    if (t->str_pad > H5K_STR_SPACEPAD) return corrupt("datatype message: reserved string padding %u", t->str_pad);
    if (t->charset > H5K_CSET_UTF8) return corrupt("datatype message: reserved string character set %u", t->charset);
    if (t->size == 0) return corrupt("datatype message: fixed-length string of size 0");
    return 0;
  case H5K_CLASS_OPAQUE: {
    size_t taglen = bits & 0xff;
    const uint8_t *tag = rd_ptr(c, taglen), *nul;
    if (!tag) return corrupt("datatype message: opaque tag (%zu bytes) runs past the message end", taglen);
    nul = taglen ? memchr(tag, 0, taglen) : NULL;
    t->tag = h5k_msg_strndup(tag, nul ? (size_t)(nul - tag) : taglen);
    return t->tag ? 0 : h5k_err_nomem();
  }
  case H5K_CLASS_COMPOUND:
    return decode_compound(t, c, bits, depth);
  case H5K_CLASS_REFERENCE:
    t->ref_type = bits & 0x0f;
    if (t->ref_type > 4) return corrupt("datatype message: reserved reference type %u", t->ref_type);
    if (t->ref_type > H5K_REF_REGION && t->version < 4)
      return corrupt("datatype message: reference type %u needs datatype version 4 (found %u)", t->ref_type,
                     t->version);
    return 0;
  case H5K_CLASS_ENUM:
    return decode_enum(t, c, bits, depth);
  case H5K_CLASS_VLEN:
    t->vlen_type = bits & 0x0f;
    if (t->vlen_type > H5K_VLEN_STRING) return corrupt("datatype message: reserved variable-length type %u", t->vlen_type);
    if (t->vlen_type == H5K_VLEN_STRING) {
      t->str_pad = (bits >> 4) & 0x0f;
      t->charset = (bits >> 8) & 0x0f;
      if (t->str_pad > H5K_STR_SPACEPAD) return corrupt("datatype message: reserved string padding %u", t->str_pad);
      if (t->charset > H5K_CSET_UTF8) return corrupt("datatype message: reserved string character set %u", t->charset);
    }
    return decode_type(&t->base, c, depth + 1);
  case H5K_CLASS_ARRAY:
    return decode_array(t, c, depth);
  }
  return corrupt("datatype message: unknown class %u", (unsigned)t->cls);
}

static int decode_type(h5k_datatype **out, h5k_cur *c, unsigned depth) {
  h5k_datatype *t;
  unsigned cv, cls, version;
  uint32_t bits;
  int rc;
  *out = NULL;
  if (depth >= H5K_MAX_TYPE_DEPTH)
    return h5k_err(H5K_ELIMIT, "datatype message: types nested deeper than %d levels", H5K_MAX_TYPE_DEPTH);
  cv = rd_u8(c);
  bits = rd_u8(c);
  bits |= (uint32_t)rd_u8(c) << 8;
  bits |= (uint32_t)rd_u8(c) << 16;
  t = calloc(1, sizeof *t);
  if (!t) return h5k_err_nomem();
  t->size = rd_le32(c);
  cls = cv & 0x0f;
  version = cv >> 4;
  if (c->err) {
    rc = corrupt("datatype message truncated (%zu bytes left, a datatype header needs 8)", cur_left(c));
    goto done;
  }
  if (version == 0 || version > 5) {
    rc = corrupt("datatype message: unknown version %u", version);
    goto done;
  }
  if (cls == 11) {
    rc = h5k_err(H5K_EUNSUPPORTED, "datatype message: complex number datatypes are not supported");
    goto done;
  }
  if (cls > 11) {
    rc = corrupt("datatype message: unknown class %u", cls);
    goto done;
  }
  if (cls == H5K_CLASS_ARRAY && version < 2) {
    rc = corrupt("datatype message: array class needs version 2 or later (found %u)", version);
    goto done;
  }
  t->cls = (h5k_type_class)cls;
  t->version = version;
  rc = decode_props(t, c, bits, depth);
done:
  if (rc < 0) {
    h5k_datatype_free(t);
    return rc;
  }
  *out = t;
  return 0;
}

int h5k_decode_datatype(h5k_datatype **out, size_t *used, const uint8_t *p, size_t len, const h5k_fctx *f) {
  h5k_cur c;
  int rc;
  (void)f;
  *out = NULL;
  if (used) *used = 0;
  cur_init(&c, p, len);
  rc = decode_type(out, &c, 0);
  if (rc < 0) return rc;
  if (used) *used = c.pos;
  return 0;
}

int h5k_datatype_contains(const h5k_datatype *t, h5k_type_class cls) {
  if (!t) return 0;
  if (t->cls == cls || h5k_datatype_contains(t->base, cls)) return 1;
  for (size_t i = 0; t->cls == H5K_CLASS_COMPOUND && i < t->nmembers; i++)
    if (h5k_datatype_contains(t->members[i].type, cls)) return 1;
  return 0;
}

static int ref_offsets_at(size_t **off, size_t *n, size_t *cap, const h5k_datatype *t, uint64_t base, unsigned depth) {
  if (!t || !h5k_datatype_contains(t, H5K_CLASS_REFERENCE)) return 1;
  if (depth > 32) return 0;
  if (t->cls == H5K_CLASS_REFERENCE) {
    if (t->ref_type != H5K_REF_OBJECT || t->size != 8 || base > SIZE_MAX) return 0;
    if (*n == *cap) {
      size_t nc = *cap ? 2 * *cap : 8;
      size_t *q = realloc(*off, nc * sizeof *q);
      if (!q) return h5k_err_nomem();
      *off = q;
      *cap = nc;
    }
    (*off)[(*n)++] = (size_t)base;
    return 1;
  }
  if (t->cls == H5K_CLASS_COMPOUND) {
    for (size_t i = 0; i < t->nmembers; i++) {
      int rc = ref_offsets_at(off, n, cap, t->members[i].type, base + t->members[i].offset, depth + 1);
      if (rc <= 0) return rc;
    }
    return 1;
  }
  if (t->cls == H5K_CLASS_ARRAY && t->base) {
    uint64_t cnt = 1;
    for (unsigned i = 0; i < t->rank && cnt <= 4096; i++) cnt *= t->dims[i];
    if (cnt > 4096) return 0;
    for (uint64_t k = 0; k < cnt; k++) {
      int rc = ref_offsets_at(off, n, cap, t->base, base + k * t->base->size, depth + 1);
      if (rc <= 0) return rc;
    }
    return 1;
  }
  return 0; /* inside variable-length data (or an enum of references, which HDF5 does not have) */
}

int h5k_datatype_ref_offsets(size_t **offsets, size_t *n, const h5k_datatype *t) {
  size_t cap = 0;
  if (!offsets || !n) return h5k_err(H5K_EINVAL, "h5k_datatype_ref_offsets: NULL argument");
  *offsets = NULL;
  *n = 0;
  int rc = ref_offsets_at(offsets, n, &cap, t, 0, 0);
  if (rc != 1) {
    free(*offsets);
    *offsets = NULL;
    *n = 0;
  }
  return rc;
}

int h5k_datatype_copy(h5k_datatype **out, const h5k_datatype *t) {
  h5k_datatype *n;
  int rc = 0;
  *out = NULL;
  if (!t) return h5k_err(H5K_EINVAL, "h5k_datatype_copy: NULL datatype");
  n = malloc(sizeof *n);
  if (!n) return h5k_err_nomem();
  *n = *t;
  n->tag = NULL;
  n->members = NULL;
  n->nmembers = 0;
  n->enum_values = NULL;
  n->base = NULL;
  if (t->tag && !(n->tag = h5k_msg_strndup((const uint8_t *)t->tag, strlen(t->tag)))) goto nomem;
  if (t->base && (rc = h5k_datatype_copy(&n->base, t->base)) < 0) goto done;
  if (t->nmembers) {
    n->members = calloc(t->nmembers, sizeof *n->members);
    if (!n->members) goto nomem;
    n->nmembers = t->nmembers;
    for (size_t i = 0; i < t->nmembers; i++) {
      const h5k_type_member *m = &t->members[i];
      n->members[i].offset = m->offset;
      if (m->name && !(n->members[i].name = h5k_msg_strndup((const uint8_t *)m->name, strlen(m->name)))) goto nomem;
      if (m->type && (rc = h5k_datatype_copy(&n->members[i].type, m->type)) < 0) goto done;
    }
  }
  if (t->enum_values && t->cls == H5K_CLASS_ENUM && t->nmembers) {
    size_t vb = t->nmembers * (size_t)t->size;
    n->enum_values = malloc(vb);
    if (!n->enum_values) goto nomem;
    memcpy(n->enum_values, t->enum_values, vb);
  }
  *out = n;
  return 0;
nomem:
  rc = h5k_err_nomem();
done:
  h5k_datatype_free(n);
  return rc;
}

/* ---- encoder ------------------------------------------------------------------------------------
 * Versions: a type's version is the highest of (its own minimum: 2 for arrays, 3 for VAX floats,
 * 4 for reference types 2..4, else 1), the floor asked for (applied, as libhdf5 does for its
 * "latest" bound, to compound, enum and array types only), and the versions of the types it
 * contains (compound members; enum, array and vlen bases). Nested types are written with their
 * own version, computed the same way. */

static unsigned type_version(const h5k_datatype *t, unsigned floor, unsigned depth) {
  unsigned v = 1;
  if (depth >= H5K_MAX_TYPE_DEPTH) return 1;
  switch (t->cls) {
  case H5K_CLASS_FLOAT:
    if (t->big_endian == H5K_BYTE_ORDER_VAX) v = 3;
    break;
  case H5K_CLASS_REFERENCE:
    if (t->ref_type > H5K_REF_REGION) v = 4;
    break;
  case H5K_CLASS_COMPOUND:
    if (floor > v) v = floor;
    for (size_t i = 0; i < t->nmembers; i++) {
      unsigned mv = t->members[i].type ? type_version(t->members[i].type, floor, depth + 1) : 1;
      if (mv > v) v = mv;
    }
    break;
  case H5K_CLASS_ENUM:
  case H5K_CLASS_ARRAY:
    if (t->cls == H5K_CLASS_ARRAY) v = 2;
    if (floor > v) v = floor;
    /* fall through */
  case H5K_CLASS_VLEN:
    if (t->base) {
      unsigned bv = type_version(t->base, floor, depth + 1);
      if (bv > v) v = bv;
    }
    break;
  default:
    break;
  }
  return v;
}

unsigned h5k_datatype_encoded_version(const h5k_datatype *t, unsigned version) {
  return t ? type_version(t, version, 0) : 0;
}

/* A name NUL-terminated, and for versions 1 and 2 NUL-padded to a multiple of 8. */
static void write_name(h5k_wbuf *w, const char *name, unsigned version) {
  size_t n = strlen(name);
  wr_bytes(w, name, n);
  wr_zero(w, version < 3 ? 8 - (n % 8) : 1);
}

static int encode_type(h5k_wbuf *w, const h5k_datatype *t, unsigned floor, unsigned depth) {
  unsigned v;
  uint32_t bits = 0;
  if (!t) return h5k_err(H5K_EINVAL, "encode datatype: NULL type");
  if (depth >= H5K_MAX_TYPE_DEPTH)
    return h5k_err(H5K_ELIMIT, "encode datatype: types nested deeper than %d levels", H5K_MAX_TYPE_DEPTH);
  if (t->size > UINT32_MAX) return h5k_err(H5K_EINVAL, "encode datatype: size %llu", (unsigned long long)t->size);
  v = type_version(t, floor, depth);
  switch (t->cls) {
  case H5K_CLASS_INTEGER:
  case H5K_CLASS_BITFIELD:
    bits = (t->big_endian & 1) | (t->lo_pad & 1u) << 1 | (t->hi_pad & 1u) << 2;
    if (t->cls == H5K_CLASS_INTEGER && t->is_signed) bits |= 8;
    break;
  case H5K_CLASS_FLOAT:
    bits = t->big_endian == H5K_BYTE_ORDER_VAX ? 0x41 : (uint32_t)(t->big_endian & 1);
    bits |= (t->lo_pad & 1u) << 1 | (t->hi_pad & 1u) << 2 | (t->internal_pad & 1u) << 3 |
            (t->mantissa_norm & 3u) << 4 | (t->sign_location & 0xffu) << 8;
    break;
  case H5K_CLASS_TIME:
    bits = t->big_endian & 1;
    break;
  case H5K_CLASS_STRING:
    bits = (t->str_pad & 0x0fu) | (t->charset & 0x0fu) << 4;
    break;
  case H5K_CLASS_OPAQUE: {
    size_t n = t->tag ? strlen(t->tag) : 0;
    if (n > 248) return h5k_err(H5K_EINVAL, "encode datatype: opaque tag of %zu bytes (at most 248)", n);
    bits = (uint32_t)((n + 7) & ~(size_t)7);
    break;
  }
  case H5K_CLASS_COMPOUND:
    if (t->nmembers == 0 || t->nmembers > 0xffff || !t->members)
      return h5k_err(H5K_EINVAL, "encode datatype: compound with %zu members", t->nmembers);
    bits = (uint32_t)t->nmembers;
    break;
  case H5K_CLASS_REFERENCE:
    bits = t->ref_type & 0x0fu;
    break;
  case H5K_CLASS_ENUM:
    if (t->nmembers > 0xffff || !t->base || (t->nmembers && (!t->members || !t->enum_values)))
      return h5k_err(H5K_EINVAL, "encode datatype: enumeration with %zu members or no base", t->nmembers);
    bits = (uint32_t)t->nmembers;
    break;
  case H5K_CLASS_VLEN:
    if (!t->base) return h5k_err(H5K_EINVAL, "encode datatype: variable-length type without a base type");
    bits = t->vlen_type & 0x0fu;
    if (t->vlen_type == H5K_VLEN_STRING) bits |= (t->str_pad & 0x0fu) << 4 | (t->charset & 0x0fu) << 8;
    break;
  case H5K_CLASS_ARRAY:
    if (!t->base || t->rank == 0 || t->rank > H5K_MAX_RANK)
      return h5k_err(H5K_EINVAL, "encode datatype: array of rank %u or without a base type", t->rank);
    break;
  default:
    return h5k_err(H5K_EINVAL, "encode datatype: unknown class %u", (unsigned)t->cls);
  }
  wr_u8(w, (unsigned)t->cls | v << 4);
  wr_u8(w, bits & 0xff);
  wr_u8(w, (bits >> 8) & 0xff);
  wr_u8(w, (bits >> 16) & 0xff);
  wr_le32(w, t->size);
  switch (t->cls) {
  case H5K_CLASS_INTEGER:
  case H5K_CLASS_BITFIELD:
    wr_le16(w, t->bit_offset);
    wr_le16(w, t->precision);
    break;
  case H5K_CLASS_FLOAT:
    wr_le16(w, t->bit_offset);
    wr_le16(w, t->precision);
    wr_u8(w, t->exp_location);
    wr_u8(w, t->exp_size);
    wr_u8(w, t->mantissa_location);
    wr_u8(w, t->mantissa_size);
    wr_le32(w, t->exp_bias);
    break;
  case H5K_CLASS_TIME:
    wr_le16(w, t->precision);
    break;
  case H5K_CLASS_OPAQUE: {
    size_t n = t->tag ? strlen(t->tag) : 0;
    wr_bytes(w, t->tag, n);
    wr_zero(w, bits - n);
    break;
  }
  case H5K_CLASS_COMPOUND: {
    unsigned off_width = bytes_for(t->size);
    for (size_t i = 0; i < t->nmembers; i++) {
      const h5k_type_member *m = &t->members[i];
      if (!m->name || !m->type) return h5k_err(H5K_EINVAL, "encode datatype: compound member %zu incomplete", i);
      write_name(w, m->name, v);
      if (v < 3) wr_le32(w, m->offset);
      else wr_uvar(w, m->offset, off_width);
      if (v == 1) wr_zero(w, 1 + 3 + 4 + 4 + 16); /* no dimensions, reserved, permutation, 4 dims */
      TRY(encode_type(w, m->type, floor, depth + 1));
    }
    break;
  }
  case H5K_CLASS_ENUM:
    TRY(encode_type(w, t->base, floor, depth + 1));
    for (size_t i = 0; i < t->nmembers; i++) {
      if (!t->members[i].name) return h5k_err(H5K_EINVAL, "encode datatype: enumeration member %zu has no name", i);
      write_name(w, t->members[i].name, v);
    }
    if (t->nmembers) wr_bytes(w, t->enum_values, t->nmembers * (size_t)t->base->size);
    break;
  case H5K_CLASS_VLEN:
    TRY(encode_type(w, t->base, floor, depth + 1));
    break;
  case H5K_CLASS_ARRAY:
    wr_u8(w, t->rank);
    if (v == 2) wr_zero(w, 3);
    for (unsigned i = 0; i < t->rank; i++) {
      if (t->dims[i] > UINT32_MAX) return h5k_err(H5K_EINVAL, "encode datatype: array dimension too large");
      wr_le32(w, t->dims[i]);
    }
    if (v == 2) {
      for (unsigned i = 0; i < t->rank; i++) wr_le32(w, i); /* permutation: identity */
    }
    TRY(encode_type(w, t->base, floor, depth + 1));
    break;
  default:
    break;
  }
  return wbuf_status(w);
}

int h5k_encode_datatype(h5k_wbuf *w, const h5k_datatype *t, unsigned version) {
  if (!w || !t) return h5k_err(H5K_EINVAL, "encode datatype: NULL argument");
  if (version > 5) return h5k_err(H5K_EINVAL, "encode datatype: version %u", version);
  return encode_type(w, t, version, 0);
}
