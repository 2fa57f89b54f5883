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
#include <sys/stat.h>

#include "cli.h"
#include "dump.h"

#define NCOLS 80
#define SLAB_BYTES ((size_t)4 << 20) /* dataset values are read in slabs of about this size */

/* ---- object tables -------------------------------------------------------------------------- */

/* One object of a file as h5dump's tables record it: groups, datasets and committed datatypes,
 * each under the first path met in a depth-first, name-ordered walk. A committed datatype met
 * first as the type of a dataset is entered under that dataset's path, unnamed (recorded = 0),
 * until a link to it is met; one that no link names stays "anonymous". */
typedef struct obj_entry {
  h5k_addr addr;
  h5k_obj_type type;
  char *path;
  int displayed;
  int recorded;
} obj_entry;

/* A file taking part in the dump: the one named on the command line (index 0) or the target
 * of an external link, with its object table. Files are told apart by device and inode. */
typedef struct ftable {
  h5k_file *f;
  char *name;          /* as opened: the directory external links are resolved against */
  unsigned long long dev, ino;
  int has_table;
  obj_entry *objs;
  size_t nobjs, capobjs;
  size_t *slots;       /* open addressing over objs by address: index + 1, 0 = empty */
  size_t nslots;
} ftable;

#define MAX_FILES 64     /* external link targets opened in one dump */
#define MAX_ELINK_DEPTH 32

typedef struct dumper {
  FILE *out;
  h5k_file *f;        /* the file being printed (switches while inside an external link) */
  ftable *tab;        /* its table */
  ftable *files[MAX_FILES];
  int nfiles;
  int hit_elink;      /* inside an external link: every object is checked for HARDLINK */
  int elink_depth;
  int unnamed;        /* the command-line file has anonymous committed datatypes */
  int line_open;      /* characters were written since the last newline */
  int show_data;      /* dataset values */
  int show_attr_data; /* attribute values */
  int status;
  unsigned sizeof_offsets;
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
  int extra;                  /* columns counted beyond those printed (h5dump's data contexts) */
  unsigned ndims;
  uint64_t dims[H5K_MAX_DIMS];
} rctx;

static size_t slot_of(h5k_addr a, size_t n)
{
  uint64_t x = a;
  x ^= x >> 33;
  x *= UINT64_C(0xff51afd7ed558ccd);
  x ^= x >> 33;
  return (size_t)(x & (n - 1));
}

static obj_entry *find_in(ftable *t, h5k_addr addr)
{
  if (!t || !t->nslots) return NULL;
  for (size_t i = slot_of(addr, t->nslots);; i = (i + 1) & (t->nslots - 1)) {
    size_t k = t->slots[i];
    if (!k) return NULL;
    if (t->objs[k - 1].addr == addr) return &t->objs[k - 1];
  }
}

static obj_entry *find_obj(dumper *d, h5k_addr addr) { return find_in(d->tab, addr); }

static const char *obj_path(void *ud, h5k_addr addr)
{
  obj_entry *e = find_obj(ud, addr);
  return e ? e->path : "";
}

static int add_entry(ftable *t, h5k_addr addr, h5k_obj_type type, const char *path, int recorded)
{
  obj_entry *e;
  if (t->nobjs == t->capobjs) {
    size_t cap = t->capobjs ? t->capobjs * 2 : 64;
    obj_entry *n = realloc(t->objs, cap * sizeof *n);
    if (!n) return H5K_ENOMEM;
    t->objs = n;
    t->capobjs = cap;
  }
  if ((t->nobjs + 1) * 2 > t->nslots) {
    size_t ns = t->nslots ? t->nslots * 2 : 128;
    size_t *sl = calloc(ns, sizeof *sl);
    if (!sl) return H5K_ENOMEM;
    for (size_t i = 0; i < t->nobjs; i++) {
      size_t j = slot_of(t->objs[i].addr, ns);
      while (sl[j]) j = (j + 1) & (ns - 1);
      sl[j] = i + 1;
    }
    free(t->slots);
    t->slots = sl;
    t->nslots = ns;
  }
  e = &t->objs[t->nobjs];
  memset(e, 0, sizeof *e);
  e->addr = addr;
  e->type = type;
  e->recorded = recorded;
  e->path = strdup(path);
  if (!e->path) return H5K_ENOMEM;
  {
    size_t j = slot_of(addr, t->nslots);
    while (t->slots[j]) j = (j + 1) & (t->nslots - 1);
    t->slots[j] = t->nobjs + 1;
  }
  t->nobjs++;
  return 0;
}

typedef struct table_ud {
  ftable *t;
  char *full;
  size_t cap;
} table_ud;

/* h5dump's find_objs_cb: called for every hard link of a depth-first, name-ordered walk. */
static int table_cb(void *ud, const char *path, const h5k_link *link)
{
  table_ud *u = ud;
  ftable *t = u->t;
  h5k_object_info info;
  obj_entry *e;
  size_t n = strlen(path) + 2;
  if (link->type != H5K_LINK_HARD) return 0;
  if (n > u->cap) {
    char *p = realloc(u->full, n * 2);
    if (!p) return H5K_ENOMEM;
    u->full = p;
    u->cap = n * 2;
  }
  u->full[0] = '/';
  memcpy(u->full + 1, path, n - 1);
  e = find_in(t, link->addr);
  if (e && e->type != H5K_OBJ_DATATYPE) return 0;
  if (h5k_object_get_info(&info, t->f, link->addr) != 0) return 0;
  if (info.type == H5K_OBJ_DATATYPE) {
    if (!e) return add_entry(t, link->addr, H5K_OBJ_DATATYPE, u->full, 1);
    if (!e->recorded) { /* entered from a dataset using it: now it has a name */
      char *p = strdup(u->full);
      if (!p) return H5K_ENOMEM;
      free(e->path);
      e->path = p;
      e->recorded = 1;
    }
    return 0;
  }
  if (e) return 0;
  {
    int rc = add_entry(t, link->addr, info.type, u->full, 1);
    if (rc != 0) return rc;
  }
  if (info.type == H5K_OBJ_DATASET) {
    h5k_datatype *dt = NULL;
    if (h5k_object_get_datatype(&dt, t->f, link->addr) == 0 && dt->committed && !find_in(t, dt->committed_addr)) {
      int rc = add_entry(t, dt->committed_addr, H5K_OBJ_DATATYPE, u->full, 0);
      if (rc != 0) {
        h5k_datatype_free(dt);
        return rc;
      }
    }
    h5k_datatype_free(dt);
  }
  return 0;
}

/* Build a file's table (once). */
static int build_table(ftable *t)
{
  h5k_file_info fi;
  table_ud u = {t, NULL, 0};
  int rc;
  if (t->has_table) return 0;
  t->has_table = 1;
  rc = h5k_file_get_info(&fi, t->f);
  if (rc == 0) rc = add_entry(t, fi.root, H5K_OBJ_GROUP, "/", 1);
  if (rc == 0) rc = h5k_visit(t->f, fi.root, table_cb, &u);
  free(u.full);
  return rc < 0 ? rc : 0;
}

static void free_file(ftable *t)
{
  if (!t) return;
  for (size_t i = 0; i < t->nobjs; i++) free(t->objs[i].path);
  free(t->objs);
  free(t->slots);
  free(t->name);
  h5k_close(t->f);
  free(t);
}

static void free_tables(dumper *d)
{
  for (int i = 0; i < d->nfiles; i++) free_file(d->files[i]);
  d->nfiles = 0;
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
    c->cur_column = (size_t)(c->indent > 0 ? c->indent : 0) * 3 + (size_t)c->extra;
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
  if (search && t->committed) {
    const obj_entry *named = find_obj(d, t->committed_addr);
    if (!named || named->type != H5K_OBJ_DATATYPE) {
      fflush(d->out);
      fprintf(stderr, "h5kit dump error: unknown committed type\n");
      d->status = CLI_FAIL;
    } else if (named->recorded) {
      ds_printf(&d->buf, "\"%s\"", named->path);
    } else {
      ds_printf(&d->buf, "\"/#%llu\"", (unsigned long long)named->addr);
    }
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
  ds->v.path_of = obj_path;
  ds->v.path_ud = d;
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

/* h5dump's render_element for a string whose '\001' bytes mark optional line breaks: each section
 * goes on the current line if it fits, else on a new line (continuation lines start with the
 * section's own leading space). */
static void render_sections(dumper *d, rctx *c, const char *s, uint64_t local)
{
  size_t total = strlen(s);
  int secnum = 0;
  if (c->cur_column + count_cols(s, total) + 1 > NCOLS) {
    if (c->prev_multiline || c->prev_prefix_len + count_cols(s, total) + 1 <= NCOLS) c->need_prefix = 1;
  }
  while (*s) {
    size_t n = strcspn(s, "\001");
    if (n) {
      if (c->cur_column + n + 1 > NCOLS) c->need_prefix = 1;
      if (c->need_prefix) {
        prefix(d, c, 0);
      } else if (local && secnum == 0) {
        fputc(' ', d->out);
        c->cur_column++;
      }
      fwrite(s, 1, n, d->out);
      d->line_open = 1;
      c->cur_column += n;
      secnum++;
    }
    s += n;
    if (*s) s++;
  }
  c->prev_multiline = 0;
}

/* Little-endian unsigned of n bytes (n <= 8) at p, bounds-checked against end. */
static int get_le(uint64_t *out, const uint8_t **p, const uint8_t *end, size_t n)
{
  uint64_t v = 0;
  if ((size_t)(end - *p) < n || n > 8) return -1;
  for (size_t i = 0; i < n; i++) v |= (uint64_t)(*p)[i] << (8 * i);
  *p += n;
  *out = v;
  return 0;
}

/* One dataset region reference, rendered from its global heap object: the dataset's address
 * (size of offsets), then the serialized selection (File Format Specification, "Dataset Region
 * References" and the dataspace selection encodings of libhdf5):
 *
 *   u32 type        0 none, 1 points, 2 hyperslab, 3 all
 *   u32 version
 *   points v1:      u32 reserved, u32 length, u32 rank, u32 npoints, npoints x rank u32
 *   points v2:      u8 enc_size, u32 rank, npoints and coordinates in enc_size bytes
 *   hyperslab v1:   u32 reserved, u32 length, u32 rank, u32 nblocks, nblocks x (start[rank],
 *                   end[rank]) u32
 *   hyperslab v2:   u8 flags (bit 0 regular), u32 length, u32 rank, then regular: per dimension
 *                   start, stride, count, block (u64); irregular: u64 nblocks, blocks in u64
 *   hyperslab v3:   u8 flags, u8 enc_size, u32 rank, then as v2 in enc_size bytes
 *
 * The selection is printed as "REGION_TYPE BLOCK  (s)-(e), ..." or "REGION_TYPE POINT  (p), ...",
 * followed by the dataset's datatype and dataspace. Returns -1 if the object cannot be decoded. */
static int dump_one_region(dumper *d, rctx *rc, const uint8_t *obj, size_t len, uint64_t i)
{
  const uint8_t *p = obj, *end = obj + len;
  uint64_t addr, type, version, rank = 0, n = 0, v;
  size_t enc = 4;
  int regular = 0;
  obj_entry *e;
  h5k_object_info info;
  h5k_datatype *dt = NULL;
  dstr *b = &d->buf;
  if (get_le(&addr, &p, end, d->sizeof_offsets) || get_le(&type, &p, end, 4) || get_le(&version, &p, end, 4)) return -1;
  e = find_obj(d, addr);
  ds_reset(b);
  ds_printf(b, "DATASET \"%s\"", e ? e->path : "");
  rc->need_prefix = 1;
  render_buf(d, rc);
  if (type != 1 && type != 2) return 0; /* all, none: the dataset alone */
  if (type == 1) {
    if (version == 1) {
      if (get_le(&v, &p, end, 4) || get_le(&v, &p, end, 4)) return -1;
    } else {
      if (get_le(&v, &p, end, 1)) return -1;
      enc = (size_t)v;
    }
    if (get_le(&rank, &p, end, 4) || get_le(&n, &p, end, enc)) return -1;
  } else if (version == 1) {
    if (get_le(&v, &p, end, 4) || get_le(&v, &p, end, 4) || get_le(&rank, &p, end, 4) || get_le(&n, &p, end, 4))
      return -1;
  } else {
    if (get_le(&v, &p, end, 1)) return -1;
    regular = (int)(v & 1);
    if (version == 2) {
      enc = 8;
      if (get_le(&v, &p, end, 4)) return -1;
    } else {
      if (get_le(&v, &p, end, 1)) return -1;
      enc = (size_t)v;
    }
    if (get_le(&rank, &p, end, 4)) return -1;
    if (!regular && get_le(&n, &p, end, enc)) return -1;
  }
  if (rank == 0 || rank > H5K_MAX_DIMS || enc == 0 || enc > 8) return -1;
  if (h5k_object_get_info(&info, d->f, addr) != 0 || h5k_object_get_datatype(&dt, d->f, addr) != 0) return -1;
  render_sections(d, rc, type == 1 ? "{" : " {", i);
  rc->indent++;
  ds_reset(b);
  if (type == 1) {
    ds_puts(b, "REGION_TYPE POINT  ");
    if (n > (uint64_t)(end - p) / (rank * enc)) n = 0;
    for (uint64_t k = 0; k < n; k++) {
      if (k) ds_puts(b, ",\001 ");
      for (uint64_t j = 0; j < rank; j++) {
        get_le(&v, &p, end, enc);
        ds_printf(b, "%s%llu", j ? "," : "(", (unsigned long long)v);
      }
      ds_putc(b, ')');
    }
  } else if (regular) {
    uint64_t start[H5K_MAX_DIMS], stride[H5K_MAX_DIMS], count[H5K_MAX_DIMS], block[H5K_MAX_DIMS];
    uint64_t idx[H5K_MAX_DIMS], total = 1;
    for (uint64_t j = 0; j < rank; j++)
      if (get_le(&start[j], &p, end, enc) || get_le(&stride[j], &p, end, enc) || get_le(&count[j], &p, end, enc) ||
          get_le(&block[j], &p, end, enc)) {
        h5k_datatype_free(dt);
        return -1;
      }
    ds_puts(b, "REGION_TYPE BLOCK  ");
    for (uint64_t j = 0; j < rank; j++) {
      idx[j] = 0;
      if (count[j] && total > (UINT64_C(1) << 24) / count[j]) total = 0; /* cap the listing */
      total *= count[j];
    }
    for (uint64_t k = 0; k < total; k++) {
      if (k) ds_puts(b, ",\001 ");
      for (uint64_t j = 0; j < rank; j++)
        ds_printf(b, "%s%llu", j ? "," : "(", (unsigned long long)(start[j] + idx[j] * stride[j]));
      for (uint64_t j = 0; j < rank; j++)
        ds_printf(b, "%s%llu", j ? "," : ")-(", (unsigned long long)(start[j] + idx[j] * stride[j] + block[j] - 1));
      ds_putc(b, ')');
      for (uint64_t j = rank; j-- > 0;) {
        if (++idx[j] < count[j]) break;
        idx[j] = 0;
      }
    }
  } else {
    ds_puts(b, "REGION_TYPE BLOCK  ");
    if (n > (uint64_t)(end - p) / (2 * rank * enc)) n = 0;
    for (uint64_t k = 0; k < n; k++) {
      if (k) ds_puts(b, ",\001 ");
      for (uint64_t j = 0; j < 2 * rank; j++) {
        get_le(&v, &p, end, enc);
        ds_printf(b, "%s%llu", j == 0 ? "(" : j == rank ? ")-(" : ",", (unsigned long long)v);
      }
      ds_putc(b, ')');
    }
  }
  rc->need_prefix = 1;
  render_sections(d, rc, b->s ? b->s : "", 0);
  ds_reset(b);
  ds_puts(b, "DATATYPE  ");
  print_type(d, rc, dt, 1);
  rc->need_prefix = 1;
  render_buf(d, rc);
  dump_dataspace_line(d, rc, &info.space);
  rc->indent--;
  hline(d, rc, "}");
  h5k_datatype_free(dt);
  return 0;
}

/* Region references: one block per element one level in (NULL for a null reference). */
static void dump_region_refs(dumper *d, rctx *c, const h5k_datatype *t, const uint8_t *data, uint64_t first, uint64_t n)
{
  rctx rc;
  uint8_t elem[4 + 16];
  size_t rsize = (size_t)t->size;
  init_ctx(&rc, c->indent + 1);
  rc.extra = 3;
  for (uint64_t k = 0; k < n; k++) {
    const uint8_t *p = data + k * rsize;
    uint8_t *obj = NULL;
    size_t len = 0;
    int zero = 1;
    for (size_t j = 0; j < rsize; j++)
      if (p[j]) zero = 0;
    if (zero || rsize > 16) {
      hline(d, &rc, "NULL");
      continue;
    }
    /* A region reference is a global heap ID: fetch it as a one-element variable-length item. */
    elem[0] = 1;
    elem[1] = elem[2] = elem[3] = 0;
    memcpy(elem + 4, p, rsize);
    if (h5k_vlen_get(&obj, &len, d->f, elem, 4 + rsize) != 0 || dump_one_region(d, &rc, obj, len, first + k) != 0) {
      fflush(d->out);
      fprintf(stderr, "h5kit dump error: unable to read region reference %llu\n", (unsigned long long)(first + k));
      d->status = CLI_FAIL;
    }
    free(obj);
  }
}

static void dump_attr_values(dumper *d, rctx *c, const h5k_attr *a)
{
  data_state ds;
  data_open(d, c);
  data_begin(d, &ds, c->indent, a->space);
  if (a->type->cls == H5K_CLASS_REFERENCE) {
    if (ds.total && a->type->size && a->data) {
      uint64_t have = a->data_size / a->type->size;
      if (a->type->ref_type == H5K_REF_OBJECT)
        dump_obj_refs(d, c, a->type, a->data, have < ds.total ? have : ds.total);
      else
        dump_region_refs(d, c, a->type, a->data, 0, have < ds.total ? have : ds.total);
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
        else if (rc == 0 && t->cls == H5K_CLASS_REFERENCE)
          dump_region_refs(d, c, t, buf, 0, 1);
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
          else if (rc == 0 && t->cls == H5K_CLASS_REFERENCE)
            dump_region_refs(d, c, t, buf, done, n);
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
static void dump_extlink(dumper *d, const h5k_link *l, int indent);

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

/* A dataset met through a link: HARDLINK when already printed and it has several links (or,
 * inside an external link, always), else the dataset. */
static void dump_dataset_link(dumper *d, h5k_addr addr, uint32_t refcount, const char *name, int indent)
{
  rctx c;
  init_ctx(&c, indent);
  if (refcount > 1 || d->hit_elink) {
    obj_entry *e = find_obj(d, addr);
    if (!e) {
      fflush(d->out);
      fprintf(stderr, "h5kit dump error: internal error (dataset \"%s\" is not in the object table)\n", name);
      d->status = CLI_FAIL;
      return;
    }
    if (e->displayed) {
      hlinef(d, &c, "DATASET \"%s\" {", name);
      c.indent++;
      hlinef(d, &c, "HARDLINK \"%s\"", e->path);
      c.indent--;
      hline(d, &c, "}");
      return;
    }
    e->displayed = 1;
  }
  dump_dataset(d, addr, name, indent);
}

static void dump_named_type(dumper *d, h5k_addr addr, const h5k_datatype *given, const char *name, int indent)
{
  rctx c;
  h5k_object_info info;
  h5k_datatype *t = NULL;
  init_ctx(&c, indent);
  hlinef(d, &c, "DATATYPE \"%s\" ", name);
  if (h5k_object_get_info(&info, d->f, addr) == 0 && (info.refcount > 1 || d->hit_elink)) {
    obj_entry *e = find_obj(d, addr);
    if (!e) {
      fflush(d->out);
      fprintf(stderr, "h5kit dump error: internal error (datatype \"%s\" is not in the object table)\n", name);
      d->status = CLI_FAIL;
      return;
    }
    if (e->displayed) {
      ds_reset(&d->buf);
      ds_printf(&d->buf, "HARDLINK \"%s\"", e->path);
      render_buf(d, &c);
      return;
    }
    e->displayed = 1;
  }
  if (!given && h5k_object_get_datatype(&t, d->f, addr) != 0) {
    fflush(d->out);
    fprintf(stderr, "h5kit dump error: unable to dump datatype \"%s\"\n", name);
    d->status = CLI_FAIL;
    return;
  }
  ds_reset(&d->buf);
  print_type(d, &c, given ? given : t, 0);
  if ((given ? given : t)->cls != H5K_CLASS_COMPOUND) ds_puts(&d->buf, ";");
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
      dump_dataset_link(d, l->addr, info.refcount, l->name, u->indent);
    } else if (info.type == H5K_OBJ_DATATYPE) {
      dump_named_type(d, l->addr, NULL, l->name, u->indent);
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
    dump_extlink(d, l, u->indent);
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

/* h5dump prints anonymous committed datatypes first in the root group, named "#ADDR". */
static void dump_unnamed_types(dumper *d, int indent)
{
  ftable *t = d->tab;
  for (size_t i = 0; i < t->nobjs; i++) {
    obj_entry *e = &t->objs[i];
    h5k_addr daddr;
    h5k_datatype *dt = NULL;
    char name[32];
    if (e->type != H5K_OBJ_DATATYPE || e->recorded) continue;
    /* The type as the dataset that uses it sees it (h5dump opens that dataset). */
    if (h5k_resolve(&daddr, d->f, e->path) != 0 || h5k_object_get_datatype(&dt, d->f, daddr) != 0) {
      fflush(d->out);
      fprintf(stderr, "h5kit dump error: unable to dump datatype \"#%llu\"\n", (unsigned long long)e->addr);
      d->status = CLI_FAIL;
      continue;
    }
    dt->committed = 0;
    snprintf(name, sizeof name, "#%llu", (unsigned long long)e->addr);
    dump_named_type(d, e->addr, dt, name, indent);
    h5k_datatype_free(dt);
  }
}

static void dump_group(dumper *d, h5k_addr addr, const char *name, int indent)
{
  rctx c;
  obj_entry *e = find_obj(d, addr);
  init_ctx(&c, indent);
  hlinef(d, &c, "GROUP \"%s\" {", name);
  c.indent++;
  if (!strcmp(name, "/") && d->unnamed) dump_unnamed_types(d, indent + 1);
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

/* ---- external links ------------------------------------------------------------------------------ */

/* Open `path` unless it is a file already in the dump (same device and inode). */
static ftable *open_candidate(dumper *d, const char *path)
{
  struct stat st;
  ftable *t;
  if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) return NULL;
  for (int i = 0; i < d->nfiles; i++)
    if (d->files[i]->dev == (unsigned long long)st.st_dev && d->files[i]->ino == (unsigned long long)st.st_ino)
      return d->files[i];
  if (d->nfiles == MAX_FILES) return NULL;
  t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->name = strdup(path);
  if (!t->name || h5k_open(&t->f, path, NULL) != 0) {
    free_file(t);
    return NULL;
  }
  t->dev = (unsigned long long)st.st_dev;
  t->ino = (unsigned long long)st.st_ino;
  d->files[d->nfiles++] = t;
  return t;
}

static ftable *open_joined(dumper *d, const char *dir, size_t dirlen, const char *name)
{
  size_t n = strlen(name);
  char *p = malloc(dirlen + n + 2);
  ftable *t;
  if (!p) return NULL;
  memcpy(p, dir, dirlen);
  p[dirlen] = '/';
  memcpy(p + dirlen + 1, name, n + 1);
  t = open_candidate(d, p);
  free(p);
  return t;
}

/* The file an external link names, searched as libhdf5 1.10 does: an absolute name as is (else
 * its last component is used below); each directory of $HDF5_EXT_PREFIX (":"-separated,
 * "${ORIGIN}" standing for the linking file's directory); the linking file's directory; the
 * name relative to the current directory. */
static ftable *open_target(dumper *d, const char *file)
{
  const char *name = file;
  const char *parent = d->tab->name;
  const char *slash = strrchr(parent, '/');
  const char *env = getenv("HDF5_EXT_PREFIX");
  ftable *t;
  if (file[0] == '/') {
    if ((t = open_candidate(d, file)) != NULL) return t;
    name = strrchr(file, '/') + 1;
  }
  if (env && *env) {
    const char *p = env;
    while (*p) {
      size_t n = strcspn(p, ":");
      if (n == 9 && !strncmp(p, "${ORIGIN}", 9)) {
        t = slash ? open_joined(d, parent, (size_t)(slash - parent), name) : open_joined(d, ".", 1, name);
      } else {
        t = n ? open_joined(d, p, n, name) : NULL;
      }
      if (t) return t;
      p += n;
      if (*p == ':') p++;
    }
  }
  if (slash && (t = open_joined(d, parent, (size_t)(slash - parent), name)) != NULL) return t;
  return open_candidate(d, name);
}

/* h5dump's dump_extlink: the link's target dumped two levels in, with the target file's object
 * table; nothing when the target does not open or is in the file named on the command line. */
static void dump_extlink(dumper *d, const h5k_link *l, int indent)
{
  ftable *t, *old_tab = d->tab;
  h5k_file *old_f = d->f;
  h5k_addr addr;
  h5k_object_info info;
  int old_hit = d->hit_elink;
  if (!l->ext_file || !l->ext_path || d->elink_depth >= MAX_ELINK_DEPTH) return;
  t = open_target(d, l->ext_file);
  if (!t || h5k_resolve(&addr, t->f, l->ext_path) != 0 || h5k_object_get_info(&info, t->f, addr) != 0) return;
  if (t == d->files[0]) return;
  if (build_table(t) != 0) {
    fflush(d->out);
    fprintf(stderr, "h5kit dump error: unable to read the objects of \"%s\"\n", t->name);
    d->status = CLI_FAIL;
    return;
  }
  d->tab = t;
  d->f = t->f;
  d->hit_elink = 1;
  d->elink_depth++;
  switch (info.type) {
  case H5K_OBJ_GROUP:
    dump_group(d, addr, l->ext_path, indent + 2);
    break;
  case H5K_OBJ_DATASET:
    dump_dataset_link(d, addr, info.refcount, l->ext_path, indent + 2);
    break;
  case H5K_OBJ_DATATYPE:
    dump_named_type(d, addr, NULL, l->ext_path, indent + 2);
    break;
  default:
    d->status = CLI_FAIL;
    break;
  }
  d->elink_depth--;
  d->hit_elink = old_hit;
  d->tab = old_tab;
  d->f = old_f;
}

/* -d PATH: a dataset (through soft and external links), else the link itself. */
static void dump_one_dataset(dumper *d, const char *path)
{
  h5k_addr addr;
  h5k_object_info info;
  rctx c;
  char *copy = strdup(path);
  char *slash, *leaf;
  h5k_addr parent;
  h5k_link l;
  char lbuf[4096];
  int found = 0;
  init_ctx(&c, 0);
  if (!copy) {
    d->status = CLI_FAIL;
    return;
  }
  if (h5k_resolve(&addr, d->f, path) == 0 && h5k_object_get_info(&info, d->f, addr) == 0 &&
      info.type == H5K_OBJ_DATASET) {
    dump_dataset_link(d, addr, info.refcount, path, 0);
    free(copy);
    return;
  }
  /* Find the link named by the path's last component in its parent group. */
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
  if (found && l.type == H5K_LINK_EXTERNAL && l.ext_file && l.ext_path) {
    /* h5dump opens the dataset through the link: a dataset in the target file prints here. */
    ftable *t = open_target(d, l.ext_file);
    h5k_addr taddr;
    if (t && h5k_resolve(&taddr, t->f, l.ext_path) == 0 && h5k_object_get_info(&info, t->f, taddr) == 0 &&
        info.type == H5K_OBJ_DATASET) {
      h5k_file *old_f = d->f;
      if (info.refcount > 1) { /* not in this file's table: h5dump fails quietly */
        d->status = CLI_FAIL;
      } else {
        d->f = t->f;
        dump_dataset(d, taddr, path, 0);
        d->f = old_f;
      }
      free(copy);
      return;
    }
  }
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
  ftable *t;
  struct stat st;
  memset(&d, 0, sizeof d);
  d.out = stdout;
  d.show_data = !header_only && !only_attr;
  d.show_attr_data = !header_only;
  t = calloc(1, sizeof *t);
  if (!t || !(t->name = strdup(fname))) {
    free(t);
    cli_error("out of memory");
    return CLI_FAIL;
  }
  if (h5k_open(&t->f, fname, NULL) != 0 || h5k_file_get_info(&finfo, t->f) != 0) {
    free_file(t);
    fflush(stdout);
    fprintf(stderr, "h5kit dump error: unable to open file \"%s\"\n", fname);
    return CLI_FAIL;
  }
  if (stat(fname, &st) == 0) {
    t->dev = (unsigned long long)st.st_dev;
    t->ino = (unsigned long long)st.st_ino;
  }
  d.files[d.nfiles++] = t;
  d.tab = t;
  d.f = t->f;
  d.sizeof_offsets = finfo.sizeof_offsets;
  if (build_table(t) != 0) {
    char reason[512];
    cli_reason(reason, sizeof reason);
    fflush(stdout);
    fprintf(stderr, "h5kit dump error: internal error (%s)\n", reason);
    d.status = CLI_FAIL;
  }
  for (size_t i = 0; i < t->nobjs; i++)
    if (!t->objs[i].recorded) d.unnamed = 1;
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
