/* h5kit dump: print a file the way h5dump 1.10 does, byte for byte.
 *
 *   h5kit dump [-H] [-A] [-d PATH]... FILE
 *
 * The layout model (docs/dump.md has the observed rules in full):
 *  - Output is a sequence of lines built by one "render" step that mirrors h5dump's: a line is
 *    started by a prefix (a newline ending the previous line, indentation of 3 spaces per level,
 *    and for data lines the element index "(i,j): "), then items are appended separated by one
 *    space while they fit in 80 columns.
 *  - The column count for data lines is h5dump's, which counts one indentation level more than
 *    it prints; an item wraps when column + length + 1 > 80.
 *  - Objects are printed in name order: attributes first (groups) or after the data
 *    (datasets), then the group's links. An object reached a second time through another hard
 *    link prints HARDLINK "first path" (groups always; datasets and named types only when their
 *    reference count is above one), the first path being the one met first in a depth-first,
 *    name-ordered walk.
 * Values are rendered by tools/dump_format.c from the raw file representation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dump.h"

#define NCOLS 80
#define SLAB_BYTES ((size_t)4 << 20) /* dataset values are read in slabs of about this size */

/* ---- object tables -------------------------------------------------------------------------- */

typedef struct obj_entry {
  h5k_addr addr;
  h5k_obj_type type;
  char *path;
  int displayed;
  h5k_datatype *dtype; /* named datatypes: the type, to recognise its uses */
} obj_entry;

typedef struct dumper {
  FILE *out;
  h5k_file *f;
  int line_open;      /* characters were written since the last newline */
  int show_data;      /* dataset values */
  int show_attr_data; /* attribute values */
  int status;
  obj_entry *objs;
  size_t nobjs, capobjs;
  dstr buf;           /* the line being built */
  dstr val;           /* one rendered value */
} dumper;

/* h5dump's print context. */
typedef struct rctx {
  int indent;
  int need_prefix;
  size_t cur_column, prev_prefix_len;
  int prev_multiline;
  int pindex;                 /* data lines: "(i,j): " prefixes */
  unsigned ndims;
  uint64_t dims[H5K_MAX_DIMS];
} rctx;

static obj_entry *find_obj(dumper *d, h5k_addr addr)
{
  for (size_t i = 0; i < d->nobjs; i++)
    if (d->objs[i].addr == addr) return &d->objs[i];
  return NULL;
}

static int add_obj(dumper *d, h5k_addr addr, h5k_obj_type type, const char *path)
{
  obj_entry *e;
  if (find_obj(d, addr)) return 0;
  if (d->nobjs == d->capobjs) {
    size_t cap = d->capobjs ? d->capobjs * 2 : 64;
    obj_entry *n = realloc(d->objs, cap * sizeof *n);
    if (!n) return H5K_ENOMEM;
    d->objs = n;
    d->capobjs = cap;
  }
  e = &d->objs[d->nobjs];
  memset(e, 0, sizeof *e);
  e->addr = addr;
  e->type = type;
  e->path = strdup(path);
  if (!e->path) return H5K_ENOMEM;
  if (type == H5K_OBJ_DATATYPE && h5k_object_get_datatype(&e->dtype, d->f, addr) != 0) e->dtype = NULL;
  d->nobjs++;
  return 0;
}

static int table_cb(void *ud, const char *path, const h5k_link *link)
{
  dumper *d = ud;
  h5k_object_info info;
  char *full;
  int rc;
  if (link->type != H5K_LINK_HARD) return 0;
  if (find_obj(d, link->addr)) return 0;
  if (h5k_object_get_info(&info, d->f, link->addr) != 0) return 0;
  full = malloc(strlen(path) + 2);
  if (!full) return H5K_ENOMEM;
  full[0] = '/';
  strcpy(full + 1, path);
  rc = add_obj(d, link->addr, info.type, full);
  free(full);
  return rc;
}

static void free_tables(dumper *d)
{
  for (size_t i = 0; i < d->nobjs; i++) {
    free(d->objs[i].path);
    h5k_datatype_free(d->objs[i].dtype);
  }
  free(d->objs);
  d->objs = NULL;
  d->nobjs = d->capobjs = 0;
}

/* ---- rendering ------------------------------------------------------------------------------- */

/* h5dump's column count of a string: bytes at or above ' ' taken as signed chars. */
static size_t count_cols(const char *s, size_t len)
{
  size_t n = 0;
  for (size_t i = 0; i < len; i++)
    if ((signed char)s[i] >= ' ') n++;
  return n;
}

static void put_spaces(dumper *d, int levels)
{
  for (int i = 0; i < levels; i++) fputs("   ", d->out);
}

/* Start a new line: end the current one, indent, and print the element index for data. */
static void prefix(dumper *d, rctx *c, uint64_t elmtno)
{
  if (d->line_open) fputc('\n', d->out);
  d->line_open = 1;
  if (c->pindex) {
    char idx[H5K_MAX_DIMS * 21 + 8];
    size_t n = 0;
    uint64_t rest = elmtno;
    uint64_t pos[H5K_MAX_DIMS];
    put_spaces(d, c->indent - 1);
    if (c->ndims == 0) {
      n = (size_t)snprintf(idx, sizeof idx, "(0): ");
    } else {
      for (unsigned i = c->ndims; i-- > 0;) {
        uint64_t dim = c->dims[i] ? c->dims[i] : 1;
        pos[i] = rest % dim;
        rest /= dim;
      }
      idx[n++] = '(';
      for (unsigned i = 0; i < c->ndims; i++)
        n += (size_t)snprintf(idx + n, sizeof idx - n, "%s%llu", i ? "," : "", (unsigned long long)pos[i]);
      n += (size_t)snprintf(idx + n, sizeof idx - n, "): ");
    }
    fputs(idx, d->out);
    c->cur_column = n + (size_t)c->indent * 3;
  } else {
    put_spaces(d, c->indent);
    c->cur_column = (size_t)(c->indent > 0 ? c->indent : 0) * 3;
  }
  c->prev_prefix_len = c->cur_column;
  c->need_prefix = 0;
}

/* h5dump's render_element for a string without optional line breaks. */
static void render(dumper *d, rctx *c, const char *s, size_t len, uint64_t local, uint64_t elmtno)
{
  size_t cols = count_cols(s, len);
  if (c->cur_column + cols + 1 > NCOLS) {
    if (c->prev_multiline || c->prev_prefix_len + cols + 1 <= NCOLS) c->need_prefix = 1;
  }
  if (c->cur_column + len + 1 > NCOLS) c->need_prefix = 1;
  if (c->need_prefix) {
    prefix(d, c, elmtno);
  } else if (local) {
    fputc(' ', d->out);
    c->cur_column++;
  }
  if (len) {
    fwrite(s, 1, len, d->out);
    d->line_open = 1;
  }
  c->cur_column += len;
  c->prev_multiline = 0;
}

static void render_buf(dumper *d, rctx *c)
{
  render(d, c, d->buf.s ? d->buf.s : "", d->buf.len, 0, 0);
}

/* A header line on its own: "TEXT" at the context's indentation. */
static void hline(dumper *d, rctx *c, const char *text)
{
  c->need_prefix = 1;
  render(d, c, text, strlen(text), 0, 0);
}

static void hlinef(dumper *d, rctx *c, const char *fmt, const char *arg)
{
  ds_reset(&d->buf);
  ds_printf(&d->buf, fmt, arg);
  c->need_prefix = 1;
  render_buf(d, c);
}

static void init_ctx(rctx *c, int indent)
{
  memset(c, 0, sizeof *c);
  c->indent = indent;
  c->cur_column = (size_t)indent * 3;
}

/* ---- datatypes --------------------------------------------------------------------------------- */

static int types_equal(const h5k_datatype *a, const h5k_datatype *b)
{
  if (a == b) return 1;
  if (!a || !b) return 0;
  if (a->cls != b->cls || a->size != b->size) return 0;
  switch (a->cls) {
  case H5K_CLASS_INTEGER:
  case H5K_CLASS_BITFIELD:
  case H5K_CLASS_TIME:
    return a->big_endian == b->big_endian && a->is_signed == b->is_signed && a->bit_offset == b->bit_offset &&
           a->precision == b->precision;
  case H5K_CLASS_FLOAT:
    return a->big_endian == b->big_endian && a->bit_offset == b->bit_offset && a->precision == b->precision &&
           a->sign_location == b->sign_location && a->exp_location == b->exp_location &&
           a->exp_size == b->exp_size && a->mantissa_location == b->mantissa_location &&
           a->mantissa_size == b->mantissa_size && a->exp_bias == b->exp_bias;
  case H5K_CLASS_STRING:
    return a->str_pad == b->str_pad && a->charset == b->charset;
  case H5K_CLASS_OPAQUE:
    return strcmp(a->tag ? a->tag : "", b->tag ? b->tag : "") == 0;
  case H5K_CLASS_COMPOUND:
    if (a->nmembers != b->nmembers) return 0;
    for (size_t i = 0; i < a->nmembers; i++)
      if (strcmp(a->members[i].name, b->members[i].name) || a->members[i].offset != b->members[i].offset ||
          !types_equal(a->members[i].type, b->members[i].type))
        return 0;
    return 1;
  case H5K_CLASS_ENUM:
    if (a->nmembers != b->nmembers || !types_equal(a->base, b->base)) return 0;
    for (size_t i = 0; i < a->nmembers; i++)
      if (strcmp(a->members[i].name, b->members[i].name) ||
          memcmp(a->enum_values + i * a->base->size, b->enum_values + i * b->base->size, a->base->size))
        return 0;
    return 1;
  case H5K_CLASS_REFERENCE:
    return a->ref_type == b->ref_type;
  case H5K_CLASS_VLEN:
    if (a->vlen_type != b->vlen_type) return 0;
    if (a->vlen_type == H5K_VLEN_STRING) return a->str_pad == b->str_pad && a->charset == b->charset;
    return types_equal(a->base, b->base);
  case H5K_CLASS_ARRAY:
    if (a->rank != b->rank || !types_equal(a->base, b->base)) return 0;
    for (unsigned i = 0; i < a->rank; i++)
      if (a->dims[i] != b->dims[i]) return 0;
    return 1;
  }
  return 0;
}

/* The named datatype a type stands for. h5kit's public API resolves committed types, so a type
 * is matched against the named datatypes of the file by structure. */
static const obj_entry *committed_for(dumper *d, const h5k_datatype *t)
{
  for (size_t i = 0; i < d->nobjs; i++)
    if (d->objs[i].type == H5K_OBJ_DATATYPE && d->objs[i].dtype && types_equal(d->objs[i].dtype, t))
      return &d->objs[i];
  return NULL;
}

static const char *order_word(const h5k_datatype *t)
{
  if (t->size <= 1) return "";
  if (t->big_endian == H5K_BYTE_ORDER_VAX) return " mixed-endian";
  return t->big_endian ? " big-endian" : " little-endian";
}

static int is_std_int(const h5k_datatype *t)
{
  return (t->size == 1 || t->size == 2 || t->size == 4 || t->size == 8) && t->precision == t->size * 8 &&
         t->bit_offset == 0 && t->big_endian != H5K_BYTE_ORDER_VAX;
}

static int is_ieee(const h5k_datatype *t)
{
  if (t->big_endian == H5K_BYTE_ORDER_VAX || t->bit_offset != 0 || t->precision != t->size * 8) return 0;
  if (t->mantissa_norm != 2 || t->mantissa_location != 0) return 0;
  if (t->size == 4)
    return t->sign_location == 31 && t->exp_location == 23 && t->exp_size == 8 && t->mantissa_size == 23 &&
           t->exp_bias == 127;
  if (t->size == 8)
    return t->sign_location == 63 && t->exp_location == 52 && t->exp_size == 11 && t->mantissa_size == 52 &&
           t->exp_bias == 1023;
  return 0;
}

static void print_string_type(dumper *d, rctx *c, unsigned pad, unsigned cset, int variable, uint64_t size)
{
  static const char *const pads[] = {"H5T_STR_NULLTERM;", "H5T_STR_NULLPAD;", "H5T_STR_SPACEPAD;"};
  ds_puts(&d->buf, "H5T_STRING {");
  render_buf(d, c);
  c->indent++;
  ds_reset(&d->buf);
  if (variable)
    ds_puts(&d->buf, "STRSIZE H5T_VARIABLE;");
  else
    ds_printf(&d->buf, "STRSIZE %d;", (int)size);
  c->need_prefix = 1;
  render_buf(d, c);
  ds_reset(&d->buf);
  ds_printf(&d->buf, "STRPAD %s", pad < 3 ? pads[pad] : "H5T_STR_UNKNOWN;");
  c->need_prefix = 1;
  render_buf(d, c);
  ds_reset(&d->buf);
  ds_printf(&d->buf, "CSET %s", cset == H5K_CSET_ASCII ? "H5T_CSET_ASCII;"
                                : cset == H5K_CSET_UTF8 ? "H5T_CSET_UTF8;" : "H5T_CSET_UNKNOWN;");
  c->need_prefix = 1;
  render_buf(d, c);
  ds_reset(&d->buf);
  ds_puts(&d->buf, "CTYPE H5T_C_S1;");
  c->need_prefix = 1;
  render_buf(d, c);
  c->indent--;
  c->need_prefix = 1;
  ds_reset(&d->buf);
  ds_puts(&d->buf, "}");
}

/* Append the description of t to d->buf, rendering finished lines of multi-line types (h5dump's
 * print_datatype). `search`: a committed type prints as its path. */
static void print_type(dumper *d, rctx *c, const h5k_datatype *t, int search)
{
  const obj_entry *named;
  if (search && (named = committed_for(d, t)) != NULL) {
    ds_printf(&d->buf, "\"%s\"", named->path);
    return;
  }
  switch (t->cls) {
  case H5K_CLASS_INTEGER:
    if (is_std_int(t))
      ds_printf(&d->buf, "H5T_STD_%c%d%s", t->is_signed ? 'I' : 'U', (int)(t->size * 8), t->big_endian ? "BE" : "LE");
    else
      ds_printf(&d->buf, "%lu-bit%s%s integer %lu-bit precision", (unsigned long)(t->size * 8), order_word(t),
                t->is_signed ? "" : " unsigned", (unsigned long)t->precision);
    break;
  case H5K_CLASS_FLOAT:
    if (is_ieee(t))
      ds_printf(&d->buf, "H5T_IEEE_F%d%s", (int)(t->size * 8), t->big_endian ? "BE" : "LE");
    else
      ds_printf(&d->buf, "%lu-bit%s floating-point %lu-bit precision", (unsigned long)(t->size * 8), order_word(t),
                (unsigned long)t->precision);
    break;
  case H5K_CLASS_TIME:
    ds_puts(&d->buf, "H5T_TIME: not yet implemented");
    break;
  case H5K_CLASS_STRING:
    print_string_type(d, c, t->str_pad, t->charset, 0, t->size);
    break;
  case H5K_CLASS_BITFIELD:
    if (is_std_int(t))
      ds_printf(&d->buf, "H5T_STD_B%d%s", (int)(t->size * 8), t->big_endian ? "BE" : "LE");
    else
      ds_puts(&d->buf, "undefined bitfield");
    break;
  case H5K_CLASS_OPAQUE:
    ds_puts(&d->buf, "H5T_OPAQUE {");
    render_buf(d, c);
    c->indent++;
    ds_reset(&d->buf);
    ds_printf(&d->buf, "OPAQUE_TAG \"%s\";", t->tag ? t->tag : "");
    c->need_prefix = 1;
    render_buf(d, c);
    c->indent--;
    c->need_prefix = 1;
    ds_reset(&d->buf);
    ds_puts(&d->buf, "}");
    break;
  case H5K_CLASS_COMPOUND:
    ds_puts(&d->buf, "H5T_COMPOUND {");
    render_buf(d, c);
    c->indent++;
    for (size_t i = 0; i < t->nmembers; i++) {
      c->need_prefix = 1;
      ds_reset(&d->buf);
      print_type(d, c, t->members[i].type, 1);
      ds_printf(&d->buf, " \"%s\";", t->members[i].name);
      render_buf(d, c);
    }
    c->indent--;
    c->need_prefix = 1;
    ds_reset(&d->buf);
    ds_puts(&d->buf, "}");
    break;
  case H5K_CLASS_REFERENCE:
    ds_puts(&d->buf, t->ref_type == H5K_REF_REGION ? "H5T_REFERENCE { H5T_STD_REF_DSETREG }"
                                                   : "H5T_REFERENCE { H5T_STD_REF_OBJECT }");
    break;
  case H5K_CLASS_ENUM: {
    const h5k_datatype *b = t->base;
    ds_puts(&d->buf, "H5T_ENUM {");
    render_buf(d, c);
    c->indent++;
    c->need_prefix = 1;
    ds_reset(&d->buf);
    if (b) print_type(d, c, b, 1);
    ds_puts(&d->buf, ";");
    render_buf(d, c);
    for (size_t i = 0; b && i < t->nmembers; i++) {
      uint64_t u = 0;
      int64_t s = 0;
      size_t nlen = strlen(t->members[i].name);
      c->need_prefix = 1;
      prefix(d, c, 0);
      ds_reset(&d->buf);
      ds_printf(&d->buf, "\"%s\"%*s ", t->members[i].name, (int)(nlen < 16 ? 16 - nlen : 0), "");
      if (b->size <= 8) {
        dump_get_int(&u, &s, t->enum_values + i * b->size, (size_t)b->size, b->big_endian, b->is_signed,
                     b->bit_offset, b->precision);
        if (b->is_signed)
          ds_printf(&d->buf, "%lld", (long long)s);
        else
          ds_printf(&d->buf, "%llu", (unsigned long long)u);
      } else {
        ds_puts(&d->buf, "0x");
        for (size_t j = 0; j < b->size; j++) ds_printf(&d->buf, "%02x", t->enum_values[i * b->size + j]);
      }
      ds_puts(&d->buf, ";");
      render_buf(d, c);
    }
    c->indent--;
    c->need_prefix = 1;
    ds_reset(&d->buf);
    ds_puts(&d->buf, "}");
    break;
  }
  case H5K_CLASS_VLEN:
    if (t->vlen_type == H5K_VLEN_STRING) {
      print_string_type(d, c, t->str_pad, t->charset, 1, 0);
    } else {
      ds_puts(&d->buf, "H5T_VLEN { ");
      if (t->base) print_type(d, c, t->base, 1);
      ds_puts(&d->buf, "}");
    }
    break;
  case H5K_CLASS_ARRAY:
    ds_puts(&d->buf, "H5T_ARRAY { ");
    for (unsigned i = 0; i < t->rank; i++) ds_printf(&d->buf, "[%llu]", (unsigned long long)t->dims[i]);
    ds_puts(&d->buf, " ");
    if (t->base) print_type(d, c, t->base, 1);
    ds_puts(&d->buf, " }");
    break;
  default:
    ds_puts(&d->buf, "unknown datatype");
    break;
  }
}

static void dump_datatype_line(dumper *d, rctx *c, const h5k_datatype *t)
{
  c->need_prefix = 1;
  ds_reset(&d->buf);
  ds_puts(&d->buf, "DATATYPE  ");
  print_type(d, c, t, 1);
  render_buf(d, c);
}

static void dump_dataspace_line(dumper *d, rctx *c, const h5k_dataspace *s)
{
  ds_reset(&d->buf);
  if (s->kind == H5K_SPACE_SCALAR) {
    ds_puts(&d->buf, "DATASPACE  SCALAR");
  } else if (s->kind == H5K_SPACE_NULL) {
    ds_puts(&d->buf, "DATASPACE  NULL");
  } else {
    ds_puts(&d->buf, "DATASPACE  SIMPLE { ( ");
    for (unsigned i = 0; i < s->rank; i++) ds_printf(&d->buf, "%s%llu", i ? ", " : "", (unsigned long long)s->dims[i]);
    ds_puts(&d->buf, " ) / ( ");
    for (unsigned i = 0; i < s->rank; i++) {
      if (i) ds_puts(&d->buf, ", ");
      if (s->maxdims[i] == H5K_UNLIMITED)
        ds_puts(&d->buf, "H5S_UNLIMITED");
      else
        ds_printf(&d->buf, "%llu", (unsigned long long)s->maxdims[i]);
    }
    ds_puts(&d->buf, " ) }");
  }
  c->need_prefix = 1;
  render_buf(d, c);
}

/* ---- values ------------------------------------------------------------------------------------- */

typedef struct data_state {
  rctx c;
  dump_vctx v;
  uint64_t total, last;
} data_state;

static void data_begin(dumper *d, data_state *ds, int indent, const h5k_dataspace *s)
{
  init_ctx(&ds->c, indent + 1);
  ds->c.pindex = 1;
  ds->c.need_prefix = 1;
  ds->c.ndims = s->kind == H5K_SPACE_SIMPLE ? s->rank : 0;
  ds->total = s->kind == H5K_SPACE_NULL ? 0 : 1;
  for (unsigned i = 0; i < ds->c.ndims; i++) {
    ds->c.dims[i] = s->dims[i];
    ds->total *= s->dims[i];
  }
  ds->last = ds->c.ndims ? s->dims[ds->c.ndims - 1] : 0;
  memset(&ds->v, 0, sizeof ds->v);
  ds->v.f = d->f;
  ds->v.indent = indent + 1;
}

/* Print elements [first, first+n) held in buf (type size bytes each). */
static void data_elements(dumper *d, data_state *ds, const h5k_datatype *t, const uint8_t *buf, uint64_t first,
                          uint64_t n)
{
  for (uint64_t k = 0; k < n; k++) {
    uint64_t i = first + k;
    ds_reset(&d->val);
    dump_value(&d->val, &ds->v, t, buf + k * t->size);
    if (i + 1 < ds->total) ds_putc(&d->val, ',');
    if (i == 0) ds->c.need_prefix = 1;
    if (ds->last && i && i % ds->last == 0) ds->c.need_prefix = 1;
    render(d, &ds->c, d->val.s ? d->val.s : "", d->val.len, i, i);
  }
}

static void data_open(dumper *d, rctx *c)
{
  hline(d, c, "DATA {");
}

static void data_close(dumper *d, rctx *c)
{
  hline(d, c, "}");
}

static int dump_dataset_values(dumper *d, rctx *c, h5k_addr addr);

/* Object references: each on its own line one level in, as "KIND ADDR "PATH"", followed by the
 * referenced object's values one level further in (a group or named type shows an empty DATA
 * block). */
static void dump_obj_refs(dumper *d, rctx *c, const h5k_datatype *t, const uint8_t *data, uint64_t n)
{
  rctx rc;
  init_ctx(&rc, c->indent + 1);
  for (uint64_t i = 0; i < n; i++) {
    const uint8_t *p = data + i * t->size;
    uint64_t addr = 0;
    int zero = 1;
    for (size_t k = 0; k < t->size; k++) {
      if (p[k]) zero = 0;
      if (k < 8) addr |= (uint64_t)p[k] << (8 * k);
    }
    ds_reset(&d->buf);
    if (zero) {
      ds_puts(&d->buf, "NULL");
      rc.need_prefix = 1;
      render_buf(d, &rc);
      continue;
    }
    {
      obj_entry *e = find_obj(d, addr);
      h5k_object_info info;
      const char *kind = "UNKNOWN";
      if (h5k_object_get_info(&info, d->f, addr) == 0)
        kind = info.type == H5K_OBJ_GROUP ? "GROUP" : info.type == H5K_OBJ_DATASET ? "DATASET"
                                                      : info.type == H5K_OBJ_DATATYPE ? "DATATYPE" : "UNKNOWN";
      else
        info.type = H5K_OBJ_UNKNOWN;
      ds_printf(&d->buf, "%s %llu \"%s\"", kind, (unsigned long long)addr, e ? e->path : "");
      rc.need_prefix = 1;
      render_buf(d, &rc);
      rc.indent++;
      if (info.type == H5K_OBJ_DATASET) {
        dump_dataset_values(d, &rc, addr);
      } else {
        hline(d, &rc, "DATA {");
        hline(d, &rc, "}");
      }
      rc.indent--;
    }
  }
}

static void dump_attr_values(dumper *d, rctx *c, const h5k_attr *a)
{
  data_state ds;
  data_open(d, c);
  data_begin(d, &ds, c->indent, a->space);
  if (a->type->cls == H5K_CLASS_REFERENCE && a->type->ref_type == H5K_REF_OBJECT) {
    if (ds.total && a->type->size && a->data) {
      uint64_t have = a->data_size / a->type->size;
      dump_obj_refs(d, c, a->type, a->data, have < ds.total ? have : ds.total);
    }
  } else if (ds.total && a->type->size && a->data) {
    uint64_t have = a->data_size / a->type->size;
    data_elements(d, &ds, a->type, a->data, 0, have < ds.total ? have : ds.total);
  }
  data_close(d, c);
}

/* Read and print a dataset's values slab by slab. */
static int dump_dataset_values(dumper *d, rctx *c, h5k_addr addr)
{
  h5k_dataset *dset = NULL;
  h5k_dataset_info info;
  data_state ds;
  uint8_t *buf = NULL;
  int rc = 0;
  data_open(d, c);
  rc = h5k_dataset_open(&dset, d->f, addr);
  if (rc == 0) rc = h5k_dataset_get_info(&info, dset);
  if (rc == 0) {
    const h5k_dataspace *s = info.space;
    const h5k_datatype *t = info.type;
    size_t esize = (size_t)t->size;
    data_begin(d, &ds, c->indent, s);
    if (ds.total && esize) {
      h5k_selection sel;
      unsigned rank = ds.c.ndims;
      unsigned j = 0;
      uint64_t inner = 1, step, done = 0;
      if (rank == 0) {
        buf = malloc(esize);
        if (!buf) rc = H5K_ENOMEM;
        if (rc == 0) rc = h5k_dataset_read_raw(dset, NULL, buf, esize);
        if (rc == 0 && t->cls == H5K_CLASS_REFERENCE && t->ref_type == H5K_REF_OBJECT)
          dump_obj_refs(d, c, t, buf, 1);
        else if (rc == 0)
          data_elements(d, &ds, t, buf, 0, 1);
      } else {
        /* Split along the outermost dimension j whose inner block fits the slab budget. */
        for (j = rank; j-- > 0;) {
          if (j == 0 || inner * s->dims[j] * esize > SLAB_BYTES) break;
          inner *= s->dims[j];
        }
        if (inner * s->dims[j] * esize <= SLAB_BYTES) {
          step = s->dims[j];
        } else {
          step = SLAB_BYTES / (inner * esize);
          if (step == 0) step = 1;
        }
        buf = malloc((size_t)(step * inner) * esize);
        if (!buf) rc = H5K_ENOMEM;
        memset(&sel, 0, sizeof sel);
        sel.rank = rank;
        for (unsigned k = 0; k < rank; k++) {
          sel.stride[k] = 1;
          sel.block[k] = 1;
          sel.count[k] = k > j ? s->dims[k] : 1;
        }
        while (rc == 0 && done < ds.total) {
          uint64_t pos = done / inner; /* index over dims[0..j] */
          uint64_t n;
          for (unsigned k = j + 1; k-- > 0;) {
            sel.start[k] = pos % s->dims[k];
            pos /= s->dims[k];
          }
          sel.count[j] = s->dims[j] - sel.start[j] < step ? s->dims[j] - sel.start[j] : step;
          n = sel.count[j] * inner;
          rc = h5k_dataset_read_raw(dset, &sel, buf, (size_t)(n * esize));
          if (rc == 0 && t->cls == H5K_CLASS_REFERENCE && t->ref_type == H5K_REF_OBJECT)
            dump_obj_refs(d, c, t, buf, n);
          else if (rc == 0)
            data_elements(d, &ds, t, buf, done, n);
          done += n;
        }
      }
    }
  }
  if (rc != 0) {
    char reason[512];
    cli_reason(reason, sizeof reason);
    fflush(d->out);
    fprintf(stderr, "h5kit dump error: unable to print data: %s\n", reason);
    d->status = CLI_FAIL;
  }
  free(buf);
  h5k_dataset_close(dset);
  data_close(d, c);
  return rc;
}

/* ---- attributes ----------------------------------------------------------------------------------- */

typedef struct attr_ud {
  dumper *d;
  int indent;
} attr_ud;

static int attr_cb(void *ud, const h5k_attr *a)
{
  attr_ud *u = ud;
  dumper *d = u->d;
  rctx c;
  init_ctx(&c, u->indent);
  hlinef(d, &c, "ATTRIBUTE \"%s\" {", a->name);
  c.indent++;
  dump_datatype_line(d, &c, a->type);
  dump_dataspace_line(d, &c, a->space);
  if (d->show_attr_data) dump_attr_values(d, &c, a);
  c.indent--;
  hline(d, &c, "}");
  return 0;
}

static void dump_attributes(dumper *d, h5k_addr obj, int indent)
{
  attr_ud u = {d, indent};
  if (h5k_attr_iterate(d->f, obj, H5K_ORDER_NAME, attr_cb, &u) < 0) {
    fflush(d->out);
    fprintf(stderr, "h5kit dump error: error getting attribute information\n");
    d->status = CLI_FAIL;
  }
}

/* ---- objects ----------------------------------------------------------------------------------- */

static void dump_group(dumper *d, h5k_addr addr, const char *name, int indent);

static void dump_dataset(dumper *d, h5k_addr addr, const char *name, int indent)
{
  rctx c;
  h5k_object_info info;
  h5k_datatype *t = NULL;
  init_ctx(&c, indent);
  /* h5dump starts the line before measuring it: a name too long for the line leaves a line
   * holding only the indentation. */
  c.need_prefix = 1;
  if (indent > 0) prefix(d, &c, 0); /* at level 0 h5dump's column is 0 and no line is started */
  ds_reset(&d->buf);
  ds_printf(&d->buf, "DATASET \"%s\" {", name);
  render_buf(d, &c);
  c.indent++;
  if (h5k_object_get_info(&info, d->f, addr) == 0 && h5k_object_get_datatype(&t, d->f, addr) == 0) {
    dump_datatype_line(d, &c, t);
    dump_dataspace_line(d, &c, &info.space);
    if (d->show_data) dump_dataset_values(d, &c, addr);
  } else {
    fflush(d->out);
    fprintf(stderr, "h5kit dump error: unable to dump dataset \"%s\"\n", name);
    d->status = CLI_FAIL;
  }
  h5k_datatype_free(t);
  dump_attributes(d, addr, c.indent);
  c.indent--;
  c.need_prefix = 1;
  prefix(d, &c, 0);
  render(d, &c, "}", 1, 0, 0);
}

static void dump_named_type(dumper *d, h5k_addr addr, const char *name, int indent)
{
  rctx c;
  h5k_object_info info;
  h5k_datatype *t = NULL;
  obj_entry *e = find_obj(d, addr);
  init_ctx(&c, indent);
  hlinef(d, &c, "DATATYPE \"%s\" ", name);
  if (h5k_object_get_info(&info, d->f, addr) == 0 && info.refcount > 1 && e) {
    if (e->displayed) {
      ds_reset(&d->buf);
      ds_printf(&d->buf, "HARDLINK \"%s\"", e->path);
      render_buf(d, &c);
      return;
    }
    e->displayed = 1;
  }
  if (h5k_object_get_datatype(&t, d->f, addr) != 0) {
    fflush(d->out);
    fprintf(stderr, "h5kit dump error: unable to dump datatype \"%s\"\n", name);
    d->status = CLI_FAIL;
    return;
  }
  ds_reset(&d->buf);
  print_type(d, &c, t, 0);
  if (t->cls != H5K_CLASS_COMPOUND) ds_puts(&d->buf, ";");
  render_buf(d, &c);
  dump_attributes(d, addr, indent + 1);
  h5k_datatype_free(t);
}

typedef struct link_ud {
  dumper *d;
  int indent;
} link_ud;

static int link_cb(void *ud, const h5k_link *l)
{
  link_ud *u = ud;
  dumper *d = u->d;
  rctx c;
  init_ctx(&c, u->indent);
  switch (l->type) {
  case H5K_LINK_HARD: {
    h5k_object_info info;
    if (h5k_object_get_info(&info, d->f, l->addr) != 0) {
      fflush(d->out);
      fprintf(stderr, "h5kit dump error: unable to get object information for \"%s\"\n", l->name);
      d->status = CLI_FAIL;
      break;
    }
    if (info.type == H5K_OBJ_GROUP) {
      dump_group(d, l->addr, l->name, u->indent);
    } else if (info.type == H5K_OBJ_DATASET) {
      obj_entry *e = find_obj(d, l->addr);
      if (info.refcount > 1 && e) {
        if (e->displayed) {
          hlinef(d, &c, "DATASET \"%s\" {", l->name);
          c.indent++;
          hlinef(d, &c, "HARDLINK \"%s\"", e->path);
          c.indent--;
          hline(d, &c, "}");
          break;
        }
        e->displayed = 1;
      }
      dump_dataset(d, l->addr, l->name, u->indent);
    } else if (info.type == H5K_OBJ_DATATYPE) {
      dump_named_type(d, l->addr, l->name, u->indent);
    } else {
      fflush(d->out);
      fprintf(stderr, "h5kit dump error: unknown object \"%s\"\n", l->name);
      d->status = CLI_FAIL;
    }
    break;
  }
  case H5K_LINK_SOFT:
    hlinef(d, &c, "SOFTLINK \"%s\" {", l->name);
    c.indent++;
    hlinef(d, &c, "LINKTARGET \"%s\"", l->soft_target ? l->soft_target : "");
    c.indent--;
    hline(d, &c, "}");
    break;
  case H5K_LINK_EXTERNAL:
    hlinef(d, &c, "EXTERNAL_LINK \"%s\" {", l->name);
    c.indent++;
    hlinef(d, &c, "TARGETFILE \"%s\"", l->ext_file ? l->ext_file : "");
    hlinef(d, &c, "TARGETPATH \"%s\"", l->ext_path ? l->ext_path : "");
    c.indent--;
    hline(d, &c, "}");
    break;
  default: {
    char cls[32];
    hlinef(d, &c, "USERDEFINED_LINK \"%s\" {", l->name);
    c.indent++;
    snprintf(cls, sizeof cls, "LINKCLASS %d", (int)l->type);
    hline(d, &c, cls);
    c.indent--;
    hline(d, &c, "}");
    break;
  }
  }
  return 0;
}

static void dump_group(dumper *d, h5k_addr addr, const char *name, int indent)
{
  rctx c;
  obj_entry *e = find_obj(d, addr);
  init_ctx(&c, indent);
  hlinef(d, &c, "GROUP \"%s\" {", name);
  c.indent++;
  if (e && e->displayed) {
    hlinef(d, &c, "HARDLINK \"%s\"", e->path);
  } else {
    link_ud u = {d, indent + 1};
    if (e) e->displayed = 1;
    dump_attributes(d, addr, indent + 1);
    if (h5k_group_iterate(d->f, addr, H5K_ORDER_NAME, link_cb, &u) < 0) {
      char reason[512];
      cli_reason(reason, sizeof reason);
      fflush(d->out);
      fprintf(stderr, "h5kit dump error: unable to iterate group \"%s\": %s\n", name, reason);
      d->status = CLI_FAIL;
    }
  }
  c.indent--;
  hline(d, &c, "}");
}

/* -d PATH: a dataset (through soft links), else the link itself. */
static void dump_one_dataset(dumper *d, const char *path)
{
  h5k_addr addr;
  h5k_object_info info;
  rctx c;
  init_ctx(&c, 0);
  if (h5k_resolve(&addr, d->f, path) == 0 && h5k_object_get_info(&info, d->f, addr) == 0 &&
      info.type == H5K_OBJ_DATASET) {
    obj_entry *e = find_obj(d, addr);
    if (info.refcount > 1 && e) {
      if (e->displayed) {
        hlinef(d, &c, "DATASET \"%s\" {", path);
        c.indent++;
        hlinef(d, &c, "HARDLINK \"%s\"", e->path);
        c.indent--;
        hline(d, &c, "}");
        return;
      }
      e->displayed = 1;
    }
    dump_dataset(d, addr, path, 0);
    return;
  }
  {
    /* Find the link named by the path's last component in its parent group. */
    char *copy = strdup(path);
    char *slash, *leaf;
    h5k_addr parent;
    h5k_link l;
    char lbuf[4096];
    int found = 0;
    if (!copy) {
      d->status = CLI_FAIL;
      return;
    }
    slash = strrchr(copy, '/');
    if (slash) {
      *slash = '\0';
      leaf = slash + 1;
    } else {
      leaf = copy;
    }
    if (h5k_resolve(&parent, d->f, slash && copy[0] ? copy : "/") == 0 &&
        h5k_group_find(&l, lbuf, sizeof lbuf, d->f, parent, leaf) == 0)
      found = 1;
    fflush(d->out);
    if (!found) {
      fprintf(stderr, "h5kit dump error: unable to get link info from \"%s\"\n", path);
      d->status = CLI_FAIL;
    } else if (l.type == H5K_LINK_HARD) {
      fprintf(stderr, "h5kit dump error: \"%s\" is a hard link\n", path);
      d->status = CLI_FAIL;
    } else if (l.type == H5K_LINK_SOFT) {
      hlinef(d, &c, "SOFTLINK \"%s\" {", path);
      c.indent++;
      hlinef(d, &c, "LINKTARGET \"%s\"", l.soft_target ? l.soft_target : "");
      c.indent--;
      hline(d, &c, "}");
    } else if (l.type == H5K_LINK_EXTERNAL) {
      hlinef(d, &c, "EXTERNAL_LINK \"%s\" {", path);
      c.indent++;
      hlinef(d, &c, "TARGETFILE \"%s\"", l.ext_file ? l.ext_file : "");
      hlinef(d, &c, "TARGETPATH \"%s\"", l.ext_path ? l.ext_path : "");
      c.indent--;
      hline(d, &c, "}");
    } else {
      char cls[32];
      hlinef(d, &c, "USERDEFINED_LINK \"%s\" {", path);
      c.indent++;
      snprintf(cls, sizeof cls, "LINKCLASS %d", (int)l.type);
      hline(d, &c, cls);
      c.indent--;
      hline(d, &c, "}");
    }
    free(copy);
  }
}

/* ---- command ---------------------------------------------------------------------------------- */

static void usage(FILE *out)
{
  fprintf(out,
          "usage: h5kit dump [-H] [-A] [-d PATH]... FILE\n"
          "Print the file's structure and values exactly as h5dump does.\n"
          "  -H, --header        print the header only, no values\n"
          "  -A, --onlyattr      print the header and attribute values, no dataset values\n"
          "  -d P, --dataset=P   print only dataset P (may be repeated)\n");
}

static int dump_file(const char *fname, int header_only, int only_attr, char **dsets, int ndsets)
{
  dumper d;
  h5k_file_info finfo;
  int rc;
  memset(&d, 0, sizeof d);
  d.out = stdout;
  d.show_data = !header_only && !only_attr;
  d.show_attr_data = !header_only;
  rc = h5k_open(&d.f, fname, NULL);
  if (rc != 0) {
    fflush(stdout);
    fprintf(stderr, "h5kit dump error: unable to open file \"%s\"\n", fname);
    return CLI_FAIL;
  }
  if (h5k_file_get_info(&finfo, d.f) != 0 || add_obj(&d, finfo.root, H5K_OBJ_GROUP, "/") != 0 ||
      h5k_visit(d.f, finfo.root, table_cb, &d) < 0) {
    char reason[512];
    cli_reason(reason, sizeof reason);
    fflush(stdout);
    fprintf(stderr, "h5kit dump error: internal error (%s)\n", reason);
    d.status = CLI_FAIL;
  }
  fprintf(d.out, "HDF5 \"%s\" {\n", fname);
  if (ndsets == 0) {
    dump_group(&d, finfo.root, "/", 0);
  } else {
    for (int i = 0; i < ndsets; i++) dump_one_dataset(&d, dsets[i]);
  }
  if (d.line_open) fputc('\n', d.out);
  fputs("}\n", d.out);
  free_tables(&d);
  ds_free(&d.buf);
  ds_free(&d.val);
  h5k_close(d.f);
  return d.status;
}

int cmd_dump(int argc, char **argv)
{
  int header_only = 0, only_attr = 0, status = CLI_OK, nfiles = 0;
  char **dsets = calloc((size_t)argc + 1, sizeof *dsets);
  int ndsets = 0;
  if (!dsets) {
    cli_error("out of memory");
    return CLI_FAIL;
  }
  cli_buffer_stdout();
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "-H") || !strcmp(a, "--header")) {
      header_only = 1;
    } else if (!strcmp(a, "-A") || !strcmp(a, "--onlyattr")) {
      only_attr = 1;
    } else if (!strcmp(a, "-d") || !strcmp(a, "--dataset")) {
      if (i + 1 >= argc) {
        cli_error("dump: option '%s' needs a dataset path", a);
        free(dsets);
        return CLI_FAIL;
      }
      dsets[ndsets++] = argv[++i];
    } else if (!strncmp(a, "--dataset=", 10)) {
      dsets[ndsets++] = (char *)a + 10;
    } else if (!strncmp(a, "-d", 2) && a[2]) {
      dsets[ndsets++] = (char *)a + 2;
    } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(stdout);
      free(dsets);
      return cli_finish_stdout(CLI_OK);
    } else if (a[0] == '-' && a[1]) {
      cli_error("dump: unknown option '%s' (try 'h5kit dump --help')", a);
      free(dsets);
      return CLI_FAIL;
    } else {
      nfiles++;
      if (dump_file(a, header_only, only_attr, dsets, ndsets) != 0) status = CLI_FAIL;
    }
  }
  free(dsets);
  if (nfiles == 0) {
    usage(stderr);
    return CLI_FAIL;
  }
  return cli_finish_stdout(status);
}
