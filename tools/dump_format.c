/* Value rendering for `h5kit dump`: one element of any datatype, from its file representation
 * (the bytes h5k_dataset_read_raw returns and h5k_attr.data holds), printed the way h5dump 1.10
 * prints it after converting to the native type. The rules (observed with h5dump and written
 * down in docs/dump.md):
 *
 *   class       rendering
 *   ---------   ------------------------------------------------------------------------------
 *   integer     decimal; bit offset and precision applied, sign-extended at the precision
 *   float       printf "%g" of the value as a C float (size <= 4) or double (<= 8), "%Lg" above
 *   string      in double quotes; NULLTERM stops at the first NUL, NULLPAD/SPACEPAD print every
 *               byte; bytes outside 0x20..0x7e become "\ooo" of the *signed* char (so 0xc3 is
 *               "\37777777703"), "\n" and "\r" are kept and followed by 11 spaces, other
 *               characters (also '"' and '\\') are kept; an empty string is ""
 *   enum        the member name (C-escaped), or ff bytes in hex when no member matches
 *   bitfield    hex bytes in little-endian order: "0x0f" for one byte, "0f:00" for more
 *   opaque      hex bytes as stored, same form
 *   compound    "{", each member on its own line one indentation level deeper, then a new
 *               line at the current level and "}"; members separated by ","
 *   array       "[ " items ", " " ]"; a new line (at one level deeper) before each row of the
 *               last dimension, and before an item that follows a nested array
 *   vlen        "(" items separated by ", " ")"
 *
 * Values are decoded through explicit byte loops, never by casting the buffer. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"

/* ---- growable strings ------------------------------------------------------------------------ */

static int ds_grow(dstr *d, size_t extra)
{
  size_t need, cap;
  char *p;
  if (d->oom) return -1;
  need = d->len + extra + 1;
  if (need < d->len) {
    d->oom = 1;
    return -1;
  }
  if (need <= d->cap) return 0;
  cap = d->cap ? d->cap : 256;
  while (cap < need) cap *= 2;
  p = realloc(d->s, cap);
  if (!p) {
    d->oom = 1;
    return -1;
  }
  d->s = p;
  d->cap = cap;
  return 0;
}

void ds_reset(dstr *d)
{
  d->len = 0;
  if (d->s) d->s[0] = '\0';
}

void ds_free(dstr *d)
{
  free(d->s);
  d->s = NULL;
  d->len = d->cap = 0;
}

void ds_put(dstr *d, const char *s, size_t n)
{
  if (ds_grow(d, n)) return;
  memcpy(d->s + d->len, s, n);
  d->len += n;
  d->s[d->len] = '\0';
}

void ds_putc(dstr *d, char c) { ds_put(d, &c, 1); }

void ds_puts(dstr *d, const char *s) { ds_put(d, s, strlen(s)); }

void ds_printf(dstr *d, const char *fmt, ...)
{
  va_list ap;
  int n;
  char small[128];
  va_start(ap, fmt);
  n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n < sizeof small) {
    ds_put(d, small, (size_t)n);
    return;
  }
  if (ds_grow(d, (size_t)n)) return;
  va_start(ap, fmt);
  vsnprintf(d->s + d->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  d->len += (size_t)n;
}

void ds_indent(dstr *d, int levels)
{
  for (int i = 0; i < levels; i++) ds_put(d, "   ", 3);
}

/* ---- integers and floats --------------------------------------------------------------------- */

/* Byte i (0 = least significant) of a value stored in `size` bytes with the given order. */
static uint8_t byte_at(const uint8_t *p, size_t size, int big_endian, size_t i)
{
  return big_endian == 1 ? p[size - 1 - i] : p[i];
}

/* Bits [pos, pos+n) of the little-endian view of p (n <= 64). */
static uint64_t get_bits(const uint8_t *p, size_t size, int big_endian, uint32_t pos, uint32_t n)
{
  uint64_t v = 0;
  for (uint32_t i = 0; i < n && i < 64; i++) {
    uint32_t bit = pos + i;
    if (bit / 8 >= size) break;
    if ((byte_at(p, size, big_endian, bit / 8) >> (bit % 8)) & 1) v |= (uint64_t)1 << i;
  }
  return v;
}

void dump_get_int(uint64_t *u, int64_t *s, const uint8_t *p, size_t size, int big_endian, int is_signed,
                  uint32_t offset, uint32_t precision)
{
  uint64_t v;
  if (precision == 0 || precision > 64) precision = (uint32_t)(size * 8 > 64 ? 64 : size * 8);
  v = get_bits(p, size, big_endian, offset, precision);
  if (is_signed && precision < 64 && (v >> (precision - 1)) & 1) v |= ~(uint64_t)0 << precision;
  *u = v;
  *s = (int64_t)v;
}

/* The value of a floating-point number described by t (any IEEE-like layout). */
static long double get_float(const h5k_datatype *t, const uint8_t *p)
{
  size_t size = (size_t)t->size;
  int be = t->big_endian == 1;
  uint64_t sign = get_bits(p, size, be, t->sign_location, 1);
  uint64_t e = get_bits(p, size, be, t->exp_location, t->exp_size > 63 ? 63 : t->exp_size);
  uint32_t msize = t->mantissa_size > 64 ? 64 : t->mantissa_size;
  uint64_t m = get_bits(p, size, be, t->mantissa_location, msize);
  uint64_t emax = t->exp_size >= 63 ? ~(uint64_t)0 : (((uint64_t)1 << t->exp_size) - 1);
  long double v;
  if (t->exp_size > 0 && e == emax) {
    uint64_t frac = m;
    if (t->mantissa_norm == 1 && msize > 0) frac &= ~((uint64_t)1 << (msize - 1)); /* explicit bit */
    v = frac ? nanl("") : HUGE_VALL;
  } else if (e == 0) {
    if (t->mantissa_norm == 1)
      v = ldexpl((long double)m, 1 - (int)t->exp_bias - (int)(msize - 1));
    else
      v = ldexpl((long double)m, 1 - (int)t->exp_bias - (int)msize);
  } else if (t->mantissa_norm == 2) {
    v = ldexpl(1.0L + ldexpl((long double)m, -(int)msize), (int)((int64_t)e - (int64_t)t->exp_bias));
  } else if (t->mantissa_norm == 1) {
    v = ldexpl((long double)m, (int)((int64_t)e - (int64_t)t->exp_bias) - (int)(msize - 1));
  } else {
    v = ldexpl(ldexpl((long double)m, -(int)msize), (int)((int64_t)e - (int64_t)t->exp_bias));
  }
  return sign ? -v : v;
}

static void put_float(dstr *out, const h5k_datatype *t, const uint8_t *p)
{
  long double v = get_float(t, p);
  if (t->size <= 4)
    ds_printf(out, "%g", (double)(float)v);
  else if (t->size <= 8)
    ds_printf(out, "%g", (double)v);
  else
    ds_printf(out, "%Lg", v);
}

/* ---- strings ----------------------------------------------------------------------------------- */

/* One character as h5dump prints string contents (escaping of non-printing bytes off). */
static void put_char(dstr *out, char ch)
{
  switch (ch) {
  case '\n': ds_puts(out, "\n           "); break;
  case '\r': ds_puts(out, "\r           "); break;
  default:
    if ((unsigned char)ch >= 0x20 && (unsigned char)ch < 0x7f)
      ds_putc(out, ch);
    else if (ch == '\b' || ch == '\f' || ch == '\t' || ch == '"' || ch == '\\')
      ds_putc(out, ch);
    else
      ds_printf(out, "\\%03o", (unsigned)(int)ch); /* a signed char widens: 0xc3 -> 37777777703 */
    break;
  }
}

static void put_string(dstr *out, const char *s, size_t size, unsigned pad)
{
  size_t i;
  int quoted = 0;
  for (i = 0; i < size && (s[i] || pad != H5K_STR_NULLTERM); i++) {
    if (!quoted) {
      ds_putc(out, '"');
      quoted = 1;
    }
    put_char(out, s[i]);
  }
  if (quoted) ds_putc(out, '"');
  if (i == 0) ds_puts(out, "\"\"");
}

void dump_escape_enum_name(dstr *out, const char *name)
{
  /* h5dump escapes in place and then skips one character after each escape it inserts. */
  size_t n = strlen(name);
  int skip = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)name[i];
    const char *esc = NULL;
    char oct[8];
    if (skip) {
      skip = 0;
      ds_putc(out, (char)c);
      continue;
    }
    switch (c) {
    case '\'': esc = "\\'"; break;
    case '"': esc = "\\\""; break;
    case '\\': esc = "\\\\"; break;
    case '?': esc = "\\?"; break;
    case '\a': esc = "\\a"; break;
    case '\b': esc = "\\b"; break;
    case '\f': esc = "\\f"; break;
    case '\n': esc = "\\n"; break;
    case '\r': esc = "\\r"; break;
    case '\t': esc = "\\t"; break;
    case '\v': esc = "\\v"; break;
    default:
      if (c < 0x20 || c >= 0x7f) {
        snprintf(oct, sizeof oct, "\\%03o", c);
        esc = oct;
      }
      break;
    }
    if (esc) {
      ds_puts(out, esc);
      skip = 1;
    } else {
      ds_putc(out, (char)c);
    }
  }
}

/* ---- hex ---------------------------------------------------------------------------------------- */

static void put_hex(dstr *out, const uint8_t *p, size_t n, int reverse)
{
  if (n == 1) {
    ds_printf(out, "0x%02x", p[0]);
    return;
  }
  for (size_t i = 0; i < n; i++) ds_printf(out, "%s%02x", i ? ":" : "", reverse ? p[n - 1 - i] : p[i]);
}

/* ---- the dispatcher ------------------------------------------------------------------------------ */

static void put_vlen_string(dstr *out, dump_vctx *v, const h5k_datatype *t, const uint8_t *p)
{
  uint8_t *buf = NULL;
  size_t len = 0;
  uint64_t heap_addr = 0;
  size_t idlen = (size_t)t->size > 4 ? (size_t)t->size - 4 : 0;
  for (size_t i = 0; i < idlen && i < 8; i++) heap_addr |= (uint64_t)p[4 + i] << (8 * i);
  if (heap_addr == 0 || h5k_vlen_get(&buf, &len, v->f, p, (size_t)t->size) != 0) {
    ds_puts(out, "NULL");
    free(buf);
    return;
  }
  /* An empty heap object comes back as NULL with length 0: an empty string. */
  put_string(out, buf ? (const char *)buf : "", buf ? strnlen((const char *)buf, len) : 0, H5K_STR_NULLTERM);
  free(buf);
}

static void put_vlen_seq(dstr *out, dump_vctx *v, const h5k_datatype *t, const uint8_t *p)
{
  uint8_t *buf = NULL;
  size_t len = 0, bsize = t->base ? (size_t)t->base->size : 0;
  ds_putc(out, '(');
  if (bsize && h5k_vlen_get(&buf, &len, v->f, p, (size_t)t->size) == 0) {
    size_t n = len / bsize;
    for (size_t i = 0; i < n; i++) {
      if (i) ds_puts(out, ", ");
      v->indent++;
      dump_value(out, v, t->base, buf + i * bsize);
      v->indent--;
    }
  }
  free(buf);
  ds_putc(out, ')');
}

/* An object reference inside a value: NULL, or the object's kind, address and path. */
static void put_obj_ref(dstr *out, const dump_vctx *v, const uint8_t *p, size_t size)
{
  uint64_t addr = 0;
  int zero = 1;
  for (size_t k = 0; k < size; k++) {
    if (p[k]) zero = 0;
    if (k < 8) addr |= (uint64_t)p[k] << (8 * k);
  }
  if (zero) {
    ds_puts(out, "NULL");
    return;
  }
  h5k_object_info info;
  const char *kind = "UNKNOWN";
  if (v->f && h5k_object_get_info(&info, v->f, addr) == 0)
    kind = info.type == H5K_OBJ_GROUP ? "GROUP" : info.type == H5K_OBJ_DATASET ? "DATASET"
                                                  : info.type == H5K_OBJ_DATATYPE ? "DATATYPE" : "UNKNOWN";
  const char *path = v->path_of ? v->path_of(v->path_ud, addr) : NULL;
  ds_printf(out, "%s %llu \"%s\"", kind, (unsigned long long)addr, path ? path : "");
}

void dump_value(dstr *out, dump_vctx *v, const h5k_datatype *t, const uint8_t *p)
{
  size_t size = (size_t)t->size;
  switch (t->cls) {
  case H5K_CLASS_INTEGER: {
    uint64_t u;
    int64_t s;
    if (size > 8 || size == 0) {
      put_hex(out, p, size, t->big_endian == 1);
      break;
    }
    dump_get_int(&u, &s, p, size, t->big_endian, t->is_signed, t->bit_offset, t->precision);
    if (t->is_signed)
      ds_printf(out, "%lld", (long long)s);
    else
      ds_printf(out, "%llu", (unsigned long long)u);
    break;
  }
  case H5K_CLASS_FLOAT:
    put_float(out, t, p);
    break;
  case H5K_CLASS_STRING:
    put_string(out, (const char *)p, size, t->str_pad);
    break;
  case H5K_CLASS_BITFIELD:
    put_hex(out, p, size, t->big_endian == 1);
    break;
  case H5K_CLASS_ENUM: {
    size_t bsize = t->base ? (size_t)t->base->size : size;
    for (size_t i = 0; i < t->nmembers; i++) {
      if (t->enum_values && !memcmp(t->enum_values + i * bsize, p, bsize)) {
        dump_escape_enum_name(out, t->members[i].name);
        return;
      }
    }
    /* A value that names no member prints as its bytes in native (little-endian) order: as
     * stored for a little-endian base; libhdf5's conversion of a big-endian enum to the native
     * one stores all ones instead. */
    if (!t->base || t->base->big_endian != 1) {
      put_hex(out, p, size, 0);
      break;
    }
    if (size == 1)
      ds_puts(out, "0xff");
    else
      for (size_t i = 0; i < size; i++) ds_puts(out, i ? ":ff" : "ff");
    break;
  }
  case H5K_CLASS_COMPOUND:
    ds_putc(out, '{');
    v->indent++;
    for (size_t j = 0; j < t->nmembers; j++) {
      const h5k_type_member *m = &t->members[j];
      ds_puts(out, j ? ",\n" : "\n");
      ds_indent(out, v->indent);
      if (m->offset + m->type->size <= t->size) dump_value(out, v, m->type, p + m->offset);
    }
    v->indent--;
    ds_putc(out, '\n');
    ds_indent(out, v->indent);
    ds_putc(out, '}');
    break;
  case H5K_CLASS_ARRAY: {
    uint64_t n = 1;
    size_t bsize = t->base ? (size_t)t->base->size : 0;
    uint64_t last = t->rank ? t->dims[t->rank - 1] : 1;
    for (unsigned k = 0; k < t->rank; k++) n *= t->dims[k];
    ds_puts(out, "[ ");
    v->indent++;
    for (uint64_t i = 0; i < n && bsize; i++) {
      if (i) ds_putc(out, ',');
      if (i && last && i % last == 0) {
        ds_putc(out, '\n');
        ds_indent(out, v->indent);
      } else if (i) {
        if (v->arr_next) {
          v->arr_next = 0;
          ds_puts(out, "\n ");
          ds_indent(out, v->indent);
        } else {
          ds_putc(out, ' ');
        }
      }
      v->arr_next = 0;
      if ((i + 1) * bsize <= size) dump_value(out, v, t->base, p + i * bsize);
    }
    v->indent--;
    ds_puts(out, " ]");
    v->arr_next = 1;
    break;
  }
  case H5K_CLASS_VLEN:
    if (t->vlen_type == H5K_VLEN_STRING)
      put_vlen_string(out, v, t, p);
    else
      put_vlen_seq(out, v, t, p);
    break;
  case H5K_CLASS_REFERENCE:
    if (t->ref_type == H5K_REF_OBJECT && size >= 8) {
      put_obj_ref(out, v, p, size);
      break;
    }
    put_hex(out, p, size, 0);
    break;
  case H5K_CLASS_OPAQUE:
  case H5K_CLASS_TIME:
  default:
    put_hex(out, p, size, 0);
    break;
  }
}
