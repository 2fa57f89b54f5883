/* h5kit ls: list the objects and links of HDF5 files, printing exactly what the reference
 * h5ls (1.10.8) prints for the same arguments, byte for byte on stdout, with the same exit
 * status. The observed h5ls behaviours this reproduces are written down in docs/cli.md; the
 * format facts it relies on come through the public API (links: File Format Specification
 * IV.A.2.g "Link Message"; dataspaces: IV.A.2.b; object reference counts: IV.A.2.w "Object
 * Reference Count", 1 when the message is absent).
 *
 * Output line, for each object or link:
 *
 *   NAME (escaped) | padding to 24 columns | ' ' | DESCRIPTION | '\n'
 *
 *   DESCRIPTION  Group | Type | Dataset {D1[/M1], ...} | Dataset {SCALAR} | Dataset {NULL}
 *                | KIND, same as FIRST_PATH | Soft Link {TARGET} | External Link {FILE//PATH}
 *
 * A missing object prints NAME, then "**NOT FOUND**" right-aligned in the remaining columns,
 * then one space and no newline, and the tool exits 1 at once.
 *
 * With -v (as h5ls -v): 'Opened "FILE" with sec2 driver.' before each file's listing, maximum
 * dimensions always shown ("{10/10}"), and after each object's line the details described at
 * list_verbose (attributes, Location, Links, Modified, Chunks, Storage, Filter-N, Type); a type
 * that is a committed datatype gets h5ls's "shared-FILENO:ADDR " prefix. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

/* h5ls builds "FILE/NAME" in a 2048-byte buffer, so such names are cut at 2047 bytes. */
#define LS_NAME_BUF 2048
/* Deepest group nesting listed before giving up (a corrupt file could nest without end). */
#define LS_MAX_DEPTH 2048
/* Largest buffer tried for one link's strings when looking up a path. */
#define LS_MAX_LINK_BUF ((size_t)1 << 24)

/* Special return value of ls_one: the object was not found; the tool stops with status 1. */
#define LS_NOT_FOUND 1

/* ---- objects already seen: address -> first path (only objects with several hard links) ---- */
typedef struct seen_entry {
  h5k_addr addr;
  char *path; /* NULL: empty slot */
} seen_entry;

typedef struct seen_set {
  seen_entry *slots;
  size_t cap; /* power of two, or 0 */
  size_t used;
} seen_set;

static size_t seen_hash(h5k_addr a, size_t cap)
{
  uint64_t h = a * UINT64_C(0x9E3779B97F4A7C15);
  return (size_t)(h >> 17) & (cap - 1);
}

static const char *seen_find(const seen_set *s, h5k_addr a)
{
  if (s->cap == 0) return NULL;
  for (size_t i = seen_hash(a, s->cap);; i = (i + 1) & (s->cap - 1)) {
    if (!s->slots[i].path) return NULL;
    if (s->slots[i].addr == a) return s->slots[i].path;
  }
}

static int seen_add(seen_set *s, h5k_addr a, const char *path)
{
  if ((s->used + 1) * 2 > s->cap) {
    size_t ncap = s->cap ? s->cap * 2 : 64;
    seen_entry *n = calloc(ncap, sizeof *n);
    if (!n) return H5K_ENOMEM;
    for (size_t i = 0; i < s->cap; i++) {
      if (!s->slots[i].path) continue;
      size_t j = seen_hash(s->slots[i].addr, ncap);
      while (n[j].path) j = (j + 1) & (ncap - 1);
      n[j] = s->slots[i];
    }
    free(s->slots);
    s->slots = n;
    s->cap = ncap;
  }
  char *copy = strdup(path);
  if (!copy) return H5K_ENOMEM;
  size_t i = seen_hash(a, s->cap);
  while (s->slots[i].path) i = (i + 1) & (s->cap - 1);
  s->slots[i].addr = a;
  s->slots[i].path = copy;
  s->used++;
  return 0;
}

static void seen_free(seen_set *s)
{
  for (size_t i = 0; i < s->cap; i++) free(s->slots[i].path);
  free(s->slots);
  s->slots = NULL;
  s->cap = s->used = 0;
}

/* ---- one listing ---------------------------------------------------------------------------- */
typedef struct ls_run {
  FILE *out;
  h5k_file *f;
  const char *fname;  /* file part of the argument (printed when show_file) */
  int show_file;      /* several arguments: names are printed as "FILE/NAME" */
  int recursive;      /* -r: descend into groups and print full names */
  int verbose;        /* -v: attributes, location, storage and type of each object */
  unsigned long fileno; /* -v: h5ls's file number (counts the files opened so far) */
  size_t name_start;  /* bytes of a full name not printed */
  seen_set seen;
  char reason[512];   /* why the listing failed */
} ls_run;

/* A group on the path from the listing's start, to catch cycles the reference counts miss. */
typedef struct ls_ancestor {
  h5k_addr addr;
  const struct ls_ancestor *up;
} ls_ancestor;

static int fail(ls_run *r, int rc)
{
  cli_reason(r->reason, sizeof r->reason);
  return rc;
}

static int fail_msg(ls_run *r, int rc, const char *msg)
{
  snprintf(r->reason, sizeof r->reason, "%s", msg);
  return rc;
}

/* Print a full name the way h5ls does, then pad to 24 columns with `tail` right-aligned in
 * the padding, then one space. */
static int put_name(ls_run *r, const char *full, const char *tail)
{
  const char *disp = full;
  char *tmp = NULL;
  size_t len = strlen(full);
  size_t n;

  disp = full + (r->name_start <= len ? r->name_start : len);
  if (r->show_file) {
    size_t need = strlen(r->fname) + 1 + strlen(disp) + 1;
    tmp = malloc(need < LS_NAME_BUF ? need : LS_NAME_BUF);
    if (!tmp) return fail_msg(r, H5K_ENOMEM, "out of memory");
    snprintf(tmp, need < LS_NAME_BUF ? need : LS_NAME_BUF, "%s/%s", r->fname, disp);
    disp = tmp;
  }
  if (!r->recursive) {
    const char *slash = strrchr(disp, '/');
    if (slash) disp = slash + 1;
  }
  n = cli_put_escaped(r->out, disp, 1);
  fprintf(r->out, "%*s ", n < 24 ? (int)(24 - n) : 0, tail);
  free(tmp);
  return 0;
}

/* h5ls passes link targets to printf as the format itself. Reproduce what that does for the
 * strings where it is defined: "%%" prints one '%', and a lone '%' at the end makes the whole
 * string print as nothing (glibc rejects the format). Other conversions would print whatever
 * lies on h5ls's stack (or crash it); they are printed literally here. */
static void put_as_format(FILE *out, const char *s)
{
  size_t i = 0;
  while (s[i]) {
    if (s[i] == '%') {
      if (s[i + 1] == '\0') return; /* lone trailing '%': nothing printed */
      i += 2;
    } else {
      i++;
    }
  }
  for (i = 0; s[i]; i++) {
    putc(s[i], out);
    if (s[i] == '%' && s[i + 1] == '%') i++;
  }
}

static void put_dataspace(FILE *out, const h5k_dataspace *sp, int verbose)
{
  fputs(" {", out);
  if (sp->kind == H5K_SPACE_SCALAR) {
    fputs("SCALAR", out);
  } else if (sp->kind == H5K_SPACE_NULL) {
    fputs("NULL", out);
  } else {
    for (unsigned i = 0; i < sp->rank && i < H5K_MAX_DIMS; i++) {
      fprintf(out, "%s%" PRIu64, i ? ", " : "", sp->dims[i]);
      if (sp->maxdims[i] == H5K_UNLIMITED)
        fputs("/Inf", out);
      else if (sp->maxdims[i] != sp->dims[i] || verbose)
        fprintf(out, "/%" PRIu64, sp->maxdims[i]);
    }
  }
  putc('}', out);
}

/* ---- -v: details of one object, as h5ls -v prints them ---------------------------------------
 *
 * After the object's line: its attributes in name order ("Attribute: NAME SPACE" and the type),
 * "Location: FILENO:ADDR" (h5ls's file number counts the files opened so far, from 1; ADDR is
 * the object header address relative to the base), "Links: N", "Modified: TIME" (local time,
 * when the header stores one), then for datasets "Chunks:", "Storage:", "Filter-N:" and "Type:",
 * for named datatypes "Type:". Types are described in h5ls's own words (put_type). */

static const char *order_word(int big_endian)
{
  return big_endian == H5K_BYTE_ORDER_VAX ? " mixed-endian" : big_endian ? " big-endian" : " little-endian";
}

/* Equal to the native type libhdf5 compares against: little-endian, no offset, full precision,
 * zero padding. */
static int plain_le(const h5k_datatype *t)
{
  return t->big_endian == 0 && t->bit_offset == 0 && t->precision == 8 * t->size && t->lo_pad == 0 &&
         t->hi_pad == 0;
}

/* "(N bits of precision beginning at bit M)" and the padding, when precision < size. */
static void put_precision(FILE *out, const h5k_datatype *t, int ind)
{
  uint64_t bits = 8 * t->size;
  if (t->precision == bits) return;
  fprintf(out, "\n%*s(%" PRIu32 " bit%s of precision beginning at bit %" PRIu32 ")", ind, "", t->precision,
          t->precision == 1 ? "" : "s", t->bit_offset);
  const char *lo = t->bit_offset > 0 ? (t->lo_pad ? "one" : "zero") : NULL;
  const char *hi = (uint64_t)t->bit_offset + t->precision < bits ? (t->hi_pad ? "one" : "zero") : NULL;
  if (!lo && !hi) return;
  fprintf(out, "\n%*s(", ind, "");
  if (lo) fprintf(out, "%" PRIu32 " %s bit%s at bit 0", t->bit_offset, lo, t->bit_offset == 1 ? "" : "s");
  if (lo && hi) fputs(", ", out);
  if (hi) {
    uint64_t n = bits - (t->bit_offset + t->precision);
    fprintf(out, "%" PRIu64 " %s bit%s at bit %" PRIu64, n, hi, n == 1 ? "" : "s", bits - n);
  }
  putc(')', out);
}

static void put_type(FILE *out, const h5k_datatype *t, int ind);

/* The size libhdf5 reports for a dataset's or attribute's type: the type as it would be in
 * memory, where a variable-length string is a char* (8 bytes) and a variable-length sequence an
 * hvl_t (16), and compounds holding them shrink or grow (members after a changed one move by
 * the accumulated change). Other types keep their file size. */
static uint64_t mem_size(const h5k_datatype *t, int depth)
{
  if (depth > 64) return t->size;
  switch (t->cls) {
  case H5K_CLASS_VLEN:
    return t->vlen_type == H5K_VLEN_STRING ? 8 : 16;
  case H5K_CLASS_ARRAY: {
    uint64_t n = 1;
    for (unsigned i = 0; i < t->rank && i < 32; i++) n *= t->dims[i];
    return t->base ? n * mem_size(t->base, depth + 1) : t->size;
  }
  case H5K_CLASS_COMPOUND: {
    int64_t change = 0;
    for (size_t i = 0; i < t->nmembers; i++)
      if (t->members[i].type)
        change += (int64_t)mem_size(t->members[i].type, depth + 1) - (int64_t)t->members[i].type->size;
    return (uint64_t)((int64_t)t->size + change);
  }
  default:
    return t->size;
  }
}

static void put_int_type(FILE *out, const h5k_datatype *t, int ind)
{
  static const char *const names[2][4] = {
      {"native unsigned char", "native unsigned short", "native unsigned int", "native unsigned long"},
      {"native signed char", "native short", "native int", "native long"}};
  int k = t->size == 1 ? 0 : t->size == 2 ? 1 : t->size == 4 ? 2 : t->size == 8 ? 3 : -1;
  if (k >= 0 && plain_le(t)) {
    fputs(names[t->is_signed ? 1 : 0][k], out);
    return;
  }
  fprintf(out, "%" PRIu64 "-bit%s%s integer", 8 * t->size, t->size > 1 ? order_word(t->big_endian) : "",
          t->is_signed ? "" : " unsigned");
  put_precision(out, t, ind);
}

static int ieee_fields(const h5k_datatype *t)
{
  if (t->size == 4)
    return t->sign_location == 31 && t->exp_location == 23 && t->exp_size == 8 && t->mantissa_location == 0 &&
           t->mantissa_size == 23 && t->exp_bias == 127;
  if (t->size == 8)
    return t->sign_location == 63 && t->exp_location == 52 && t->exp_size == 11 && t->mantissa_location == 0 &&
           t->mantissa_size == 52 && t->exp_bias == 1023;
  return 0;
}

static void put_float_type(FILE *out, const h5k_datatype *t, int ind)
{
  static const char *const norms[] = {", no normalization", ", msb always set", ", msb implied",
                                      ", unknown normalization"};
  int standard = ieee_fields(t) && t->mantissa_norm == 2 && t->bit_offset == 0 && t->precision == 8 * t->size &&
                 t->lo_pad == 0 && t->hi_pad == 0 && t->internal_pad == 0;
  if (standard && t->big_endian == 0) {
    fputs(t->size == 4 ? "native float" : "native double", out);
    return;
  }
  if (standard && t->big_endian == 1) {
    fprintf(out, "IEEE %" PRIu64 "-bit big-endian float", 8 * t->size);
    return;
  }
  fprintf(out, "%" PRIu64 "-bit%s floating-point", 8 * t->size, t->size > 1 ? order_word(t->big_endian) : "");
  put_precision(out, t, ind);
  fprintf(out, "\n%*s(significant for %" PRIu32 " bit%s at bit %" PRIu32 "%s)", ind, "", t->mantissa_size,
          t->mantissa_size == 1 ? "" : "s", t->mantissa_location, norms[t->mantissa_norm & 3]);
  fprintf(out, "\n%*s(exponent for %" PRIu32 " bit%s at bit %" PRIu32 ", bias is 0x%" PRIx32 ")", ind, "",
          t->exp_size, t->exp_size == 1 ? "" : "s", t->exp_location, t->exp_bias);
  fprintf(out, "\n%*s(sign bit at %" PRIu32 ")", ind, "", t->sign_location);
  if ((uint64_t)1 + t->exp_size + t->mantissa_size < t->precision)
    fprintf(out, "\n%*s(internal padding bits are %s)", ind, "", t->internal_pad ? "one" : "zero");
}

static void put_string_type(FILE *out, const h5k_datatype *t, int variable)
{
  static const char *const pads[] = {"null-terminated", "null-padded", "space-padded"};
  const char *pad = t->str_pad <= 2 ? pads[t->str_pad] : "unknown-format";
  const char *cset = t->charset == H5K_CSET_ASCII ? "ASCII" : t->charset == H5K_CSET_UTF8 ? "UTF-8"
                                                                                           : "unknown-character-set";
  if (variable)
    fputs("variable-length", out);
  else
    fprintf(out, "%" PRIu64 "-byte", t->size);
  fprintf(out, " %s %s string", pad, cset);
}

static void put_enum_type(FILE *out, const h5k_datatype *t, int ind)
{
  const h5k_datatype *b = t->base;
  fputs("enum ", out);
  if (b) put_type(out, b, ind + 4);
  fputs(" {", out);
  for (size_t i = 0; i < t->nmembers; i++) {
    fprintf(out, "\n%*s", ind + 4, "");
    size_t n = cli_put_escaped(out, t->members[i].name ? t->members[i].name : "", 1);
    fprintf(out, "%*s = ", n < 16 ? (int)(16 - n) : 0, "");
    if (!b || !t->enum_values || b->size == 0 || b->size > 8) {
      fputs("?", out);
      continue;
    }
    const uint8_t *v = t->enum_values + i * b->size;
    uint64_t u = 0;
    for (size_t k = 0; k < b->size; k++) {
      size_t byte = b->big_endian ? b->size - 1 - k : k;
      u |= (uint64_t)v[byte] << (8 * k);
    }
    if (b->is_signed) {
      if (b->size < 8 && (u >> (8 * b->size - 1)) & 1) u |= ~UINT64_C(0) << (8 * b->size);
      fprintf(out, "%" PRId64, (int64_t)u);
    } else {
      fprintf(out, "%" PRIu64, u);
    }
  }
  if (t->nmembers == 0) fprintf(out, "\n%*s <empty>", ind + 4, "");
  fprintf(out, "\n%*s}", ind, "");
}

static void put_type(FILE *out, const h5k_datatype *t, int ind)
{
  switch (t->cls) {
  case H5K_CLASS_INTEGER:
    put_int_type(out, t, ind);
    return;
  case H5K_CLASS_FLOAT:
    put_float_type(out, t, ind);
    return;
  case H5K_CLASS_COMPOUND: {
    /* offsets and size as libhdf5 reports them (see mem_size) */
    int64_t change = 0;
    uint64_t size = mem_size(t, 0);
    fputs("struct {", out);
    for (size_t i = 0; i < t->nmembers; i++) {
      const h5k_datatype *m = t->members[i].type;
      fprintf(out, "\n%*s\"", ind + 4, "");
      size_t n = cli_put_escaped(out, t->members[i].name ? t->members[i].name : "", 0);
      fprintf(out, "\"%*s +%-4" PRIu64 " ", n < 16 ? (int)(16 - n) : 0, "",
              (uint64_t)((int64_t)t->members[i].offset + change));
      if (m) {
        put_type(out, m, ind + 4);
        change += (int64_t)mem_size(m, 0) - (int64_t)m->size;
      }
    }
    fprintf(out, "\n%*s} %" PRIu64 " byte%s", ind, "", size, size == 1 ? "" : "s");
    return;
  }
  case H5K_CLASS_ENUM:
    put_enum_type(out, t, ind);
    return;
  case H5K_CLASS_STRING:
    put_string_type(out, t, 0);
    return;
  case H5K_CLASS_REFERENCE:
    if (t->ref_type == H5K_REF_OBJECT)
      fputs("object reference", out);
    else if (t->ref_type == H5K_REF_REGION)
      fputs("dataset region reference", out);
    else
      fprintf(out, "%" PRIu64 "-byte unknown reference", t->size);
    return;
  case H5K_CLASS_VLEN:
    if (t->vlen_type == H5K_VLEN_STRING) {
      put_string_type(out, t, 1);
    } else {
      fprintf(out, "variable length of\n%*s", ind + 4, "");
      if (t->base) put_type(out, t->base, ind + 4);
    }
    return;
  case H5K_CLASS_ARRAY:
    if (t->rank == 0) fputs(" [SCALAR]\n", out);
    for (unsigned i = 0; i < t->rank && i < 32; i++) fprintf(out, "%s%" PRIu64, i ? "," : "[", t->dims[i]);
    if (t->rank) putc(']', out);
    putc(' ', out);
    if (t->base) put_type(out, t->base, ind + 4);
    return;
  case H5K_CLASS_OPAQUE:
    fprintf(out, "%" PRIu64 "-byte opaque type", t->size);
    fprintf(out, "\n%*s(tag = \"", ind, "");
    cli_put_escaped(out, t->tag ? t->tag : "", 0);
    fputs("\")", out);
    return;
  case H5K_CLASS_BITFIELD:
    if ((t->size == 1 || t->size == 2 || t->size == 4 || t->size == 8) && plain_le(t)) {
      fprintf(out, "native %" PRIu64 "-bit field", 8 * t->size);
      return;
    }
    fprintf(out, "%" PRIu64 "-bit%s bitfield", 8 * t->size, t->size > 1 ? order_word(t->big_endian) : "");
    put_precision(out, t, ind);
    return;
  default:
    fprintf(out, "%" PRIu64 "-byte class-%u unknown", t->size, (unsigned)t->cls);
    return;
  }
}

static int attr_cb(void *ud, const h5k_attr *a)
{
  ls_run *r = ud;
  FILE *out = r->out;
  fputs("    Attribute: ", out);
  cli_put_escaped(out, a->name ? a->name : "", 1);
  if (a->space->kind == H5K_SPACE_SCALAR) {
    fputs(" scalar\n", out);
  } else if (a->space->kind == H5K_SPACE_NULL) {
    fputs(" null\n", out);
  } else {
    fputs(" {", out);
    for (unsigned i = 0; i < a->space->rank && i < H5K_MAX_DIMS; i++)
      fprintf(out, "%s%" PRIu64, i ? ", " : "", a->space->dims[i]);
    fputs("}\n", out);
  }
  fputs("        Type:      ", out);
  if (a->type->committed) fprintf(out, "shared-%lu:%" PRIu64 " ", r->fileno, a->type->committed_addr);
  put_type(out, a->type, 15);
  putc('\n', out);
  return 0;
}

typedef struct storage_sum {
  uint64_t bytes;
} storage_sum;

static int sum_chunk(void *ud, const h5k_chunk_info *c)
{
  ((storage_sum *)ud)->bytes += c->size;
  return 0;
}

static const char *builtin_filter_name(unsigned id)
{
  switch (id) {
  case H5K_FILTER_DEFLATE: return "deflate";
  case H5K_FILTER_SHUFFLE: return "shuffle";
  case H5K_FILTER_FLETCHER32: return "fletcher32";
  case H5K_FILTER_SZIP: return "szip";
  case H5K_FILTER_NBIT: return "nbit";
  case H5K_FILTER_SCALEOFFSET: return "scaleoffset";
  default: return "method";
  }
}

static int list_dataset_verbose(ls_run *r, const h5k_object_info *info)
{
  FILE *out = r->out;
  h5k_dataset *d = NULL;
  h5k_dataset_info di;
  int rc = h5k_dataset_open(&d, r->f, info->addr);
  if (rc < 0) return fail(r, rc);
  rc = h5k_dataset_get_info(&di, d);
  if (rc < 0) {
    fail(r, rc);
    goto done;
  }
  const h5k_datatype *t = di.type;
  uint64_t esize = mem_size(t, 0); /* libhdf5 reports the in-memory size */
  int vlen_string = t->cls == H5K_CLASS_VLEN && t->vlen_type == H5K_VLEN_STRING;
  if (di.layout == H5K_LAYOUT_CHUNKED) {
    uint64_t total = esize;
    fputs("    Chunks:    {", out);
    for (unsigned i = 0; i < di.chunk_rank && i < H5K_MAX_DIMS; i++) {
      fprintf(out, "%s%" PRIu64, i ? ", " : "", di.chunk_dims[i]);
      total *= di.chunk_dims[i];
    }
    fprintf(out, "} %" PRIu64 " bytes\n", total);
  }
  if (di.nexternal > 0) {
    /* As h5ls: the segments, with their offset in the dataset's bytes. */
    uint64_t at = 0;
    fprintf(out, "    %-10s %zu external file%s\n", "Extern:", di.nexternal, di.nexternal == 1 ? "" : "s");
    fprintf(out, "        %4s %10s %10s %10s %s\n", "ID", "DSet-Addr", "File-Addr", "Bytes", "File");
    fprintf(out, "        %4s %10s %10s %10s %s\n", "----", "----------", "----------", "----------", "---------");
    for (size_t i = 0; i < di.nexternal; i++) {
      const char *name;
      uint64_t off, size;
      rc = h5k_dataset_get_external(&name, &off, &size, d, i);
      if (rc < 0) {
        fail(r, rc);
        goto done;
      }
      fprintf(out, "        #%03zu %10" PRIu64 " %10" PRIu64 " ", i, at, off);
      if (size == H5K_UNLIMITED) fprintf(out, "%10s ", "INF");
      else fprintf(out, "%10" PRIu64 " ", size);
      cli_put_escaped(out, name, 1);
      putc('\n', out);
      at += size;
    }
    fprintf(out, "        %4s %10s %10s %10s %s\n", "----", "----------", "----------", "----------", "---------");
  }
  if (di.nvirtual > 0) {
    fprintf(out, "    %-10s {%zu} Source {\n", "Maps:", di.nvirtual);
    for (size_t i = 0; i < di.nvirtual; i++) {
      const char *file, *dset;
      rc = h5k_dataset_get_virtual(&file, &dset, d, i);
      if (rc < 0) {
        fail(r, rc);
        goto done;
      }
      fprintf(out, "%22s", "");
      cli_put_escaped(out, file, 1);
      fputs("   ", out);
      cli_put_escaped(out, dset, 1);
      putc('\n', out);
    }
    fprintf(out, "%15s}\n", "");
  }
  /* Storage: logical = elements x type size, allocated = bytes stored */
  uint64_t npoints = 1, used = 0;
  if (di.space->kind == H5K_SPACE_NULL) npoints = 0;
  for (unsigned i = 0; di.space->kind == H5K_SPACE_SIMPLE && i < di.space->rank; i++) npoints *= di.space->dims[i];
  if (di.layout == H5K_LAYOUT_CHUNKED) {
    storage_sum sum = {0};
    rc = h5k_dataset_chunk_iterate(d, sum_chunk, &sum);
    if (rc < 0) {
      fail(r, rc);
      goto done;
    }
    used = sum.bytes;
  } else if (di.layout == H5K_LAYOUT_CONTIGUOUS && di.nexternal > 0) {
    used = npoints * esize; /* libhdf5 counts external storage as allocated in full */
  } else if (di.layout == H5K_LAYOUT_CONTIGUOUS) {
    used = di.storage_addr != H5K_ADDR_UNDEF ? di.storage_size : 0;
  } else if (di.layout == H5K_LAYOUT_VIRTUAL) {
    used = 0;
  } else {
    used = di.storage_size;
  }
  fputs("    Storage:   ", out);
  if ((t->cls == H5K_CLASS_VLEN && !vlen_string) || t->cls == H5K_CLASS_REFERENCE) {
    fputs("information not available", out);
  } else {
    uint64_t total = npoints * esize;
    fprintf(out, "%" PRIu64 " logical byte%s, %" PRIu64 " allocated byte%s", total, total == 1 ? "" : "s", used,
            used == 1 ? "" : "s");
    if (used > 0) fprintf(out, ", %1.2f%% utilization", ((double)total * 100.0) / (double)used);
  }
  putc('\n', out);
  for (size_t i = 0; i < di.nfilters; i++) {
    const h5k_filter_desc *fd = &di.filters[i];
    char label[32];
    snprintf(label, sizeof label, "Filter-%zu:", i);
    fprintf(out, "    %-10s %s-%u %s {", label, fd->name && fd->name[0] ? fd->name : builtin_filter_name(fd->id),
            fd->id, (fd->flags & 1) ? "OPT" : "");
    for (size_t k = 0; k < fd->ncd && k < 20; k++) fprintf(out, "%s%" PRIu32, k ? ", " : "", fd->cd[k]);
    fputs("}\n", out);
  }
  fputs("    Type:      ", out);
  if (t->committed) fprintf(out, "shared-%lu:%" PRIu64 " ", r->fileno, t->committed_addr);
  put_type(out, t, 15);
  putc('\n', out);
  rc = 0;
done:
  h5k_dataset_close(d);
  return rc;
}

static int list_verbose(ls_run *r, const h5k_object_info *info)
{
  FILE *out = r->out;
  int rc = h5k_attr_iterate(r->f, info->addr, H5K_ORDER_NAME, attr_cb, r);
  if (rc < 0) return fail(r, rc);
  fprintf(out, "    Location:  %lu:%" PRIu64 "\n", r->fileno, info->addr);
  fprintf(out, "    Links:     %" PRIu32 "\n", info->refcount);
  /* libhdf5 1.10 reports a time only from version 2 object headers (their own time fields);
   * the modification time message of a version 1 header is not shown by h5ls. */
  if (info->header_version >= 2 && info->mtime > 0) {
    time_t tt = (time_t)info->mtime;
    struct tm tmv;
    char buf[128];
    if (localtime_r(&tt, &tmv) && strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %Z", &tmv) > 0)
      fprintf(out, "    Modified:  %s\n", buf);
  }
  if (info->type == H5K_OBJ_DATASET) return list_dataset_verbose(r, info);
  if (info->type == H5K_OBJ_DATATYPE) {
    h5k_datatype *t = NULL;
    rc = h5k_object_get_datatype(&t, r->f, info->addr);
    if (rc < 0) return fail(r, rc);
    fprintf(out, "    Type:      shared-%lu:%" PRIu64 " ", r->fileno, info->addr);
    put_type(out, t, 15);
    putc('\n', out);
    h5k_datatype_free(t);
  }
  return 0;
}

/* One object reached by a hard link (or the starting object). */
static int list_obj(ls_run *r, const char *full, const h5k_object_info *info, const char *first)
{
  if (put_name(r, full, "") < 0) return H5K_ENOMEM;
  switch (info->type) {
  case H5K_OBJ_GROUP: fputs("Group", r->out); break;
  case H5K_OBJ_DATASET: fputs("Dataset", r->out); break;
  case H5K_OBJ_DATATYPE: fputs("Type", r->out); break;
  default: fputs("Unknown type(-1)", r->out); break;
  }
  if (first) {
    fputs(", same as ", r->out);
    cli_put_escaped(r->out, first, 1);
  } else if (info->type == H5K_OBJ_DATASET) {
    put_dataspace(r->out, &info->space, r->verbose);
  }
  putc('\n', r->out);
  if (r->verbose && !first) return list_verbose(r, info);
  return 0;
}

/* A soft, external or user-defined link. */
static int list_link(ls_run *r, const char *full, h5k_link_type type, const char *a,
                     const char *b)
{
  if (put_name(r, full, "") < 0) return H5K_ENOMEM;
  if (type == H5K_LINK_SOFT) {
    fputs("Soft Link {", r->out);
    put_as_format(r->out, a ? a : "");
    putc('}', r->out);
  } else if (type == H5K_LINK_EXTERNAL) {
    fputs("External Link {", r->out);
    put_as_format(r->out, a ? a : "");
    /* "FILE//PATH", the two slashes counting one that starts PATH */
    b = b ? b : "";
    fputs(b[0] == '/' ? "/" : "//", r->out);
    put_as_format(r->out, b);
    putc('}', r->out);
  } else {
    fputs("UD Link {cannot follow UD links}", r->out);
  }
  putc('\n', r->out);
  return 0;
}

/* The links of one group, copied out of the iteration callback. */
typedef struct ls_link {
  char *name;
  h5k_link_type type;
  h5k_addr addr;
  char *a; /* soft target or external file */
  char *b; /* external path */
} ls_link;

typedef struct ls_links {
  ls_link *v;
  size_t n, cap;
  int oom; /* the callback ran out of memory */
} ls_links;

static void links_free(ls_links *ls)
{
  for (size_t i = 0; i < ls->n; i++) {
    free(ls->v[i].name);
    free(ls->v[i].a);
    free(ls->v[i].b);
  }
  free(ls->v);
}

static char *dup_or_null(const char *s, int *oom)
{
  char *d;
  if (!s) return NULL;
  d = strdup(s);
  if (!d) *oom = 1;
  return d;
}

static int collect_cb(void *ud, const h5k_link *link)
{
  ls_links *ls = ud;
  ls_link *e;
  int oom = 0;
  if (ls->n == ls->cap) {
    size_t ncap = ls->cap ? ls->cap * 2 : 16;
    ls_link *nv = realloc(ls->v, ncap * sizeof *nv);
    if (!nv) {
      ls->oom = 1;
      return H5K_ENOMEM;
    }
    ls->v = nv;
    ls->cap = ncap;
  }
  e = &ls->v[ls->n];
  memset(e, 0, sizeof *e);
  e->name = dup_or_null(link->name ? link->name : "", &oom);
  e->type = link->type;
  e->addr = link->addr;
  if (link->type == H5K_LINK_SOFT) {
    e->a = dup_or_null(link->soft_target, &oom);
  } else if (link->type == H5K_LINK_EXTERNAL) {
    e->a = dup_or_null(link->ext_file, &oom);
    e->b = dup_or_null(link->ext_path, &oom);
  }
  if (oom) {
    free(e->name);
    free(e->a);
    free(e->b);
    ls->oom = 1;
    return H5K_ENOMEM;
  }
  ls->n++;
  return 0;
}

/* "BASE/NAME", without doubling a '/' that ends BASE (as h5ls joins names). */
static char *join(const char *base, const char *name)
{
  size_t bl = strlen(base), nl = strlen(name);
  int slash = bl == 0 || base[bl - 1] != '/';
  char *s = malloc(bl + (size_t)slash + nl + 1);
  if (!s) return NULL;
  memcpy(s, base, bl);
  if (slash) s[bl] = '/';
  memcpy(s + bl + slash, name, nl + 1);
  return s;
}

/* List the members of the group at `addr` whose full name is `base`; with -r, depth first. */
static int list_group(ls_run *r, h5k_addr addr, const char *base, const ls_ancestor *up,
                      unsigned depth)
{
  ls_links links = {0};
  ls_ancestor me = {addr, up};
  int rc, iter_rc;
  size_t i;

  if (depth > LS_MAX_DEPTH) {
    snprintf(r->reason, sizeof r->reason, "groups nested more than %d deep at %s",
             LS_MAX_DEPTH, base);
    return H5K_ELIMIT;
  }
  /* Collect first, then list: what was read before an error is still printed. */
  iter_rc = h5k_group_iterate(r->f, addr, H5K_ORDER_NAME, collect_cb, &links);
  if (links.oom)
    fail_msg(r, H5K_ENOMEM, "out of memory");
  else if (iter_rc < 0)
    cli_reason(r->reason, sizeof r->reason);

  rc = 0;
  for (i = 0; i < links.n && rc == 0; i++) {
    const ls_link *l = &links.v[i];
    char *full = join(base, l->name);
    if (!full) {
      rc = fail_msg(r, H5K_ENOMEM, "out of memory");
      break;
    }
    if (l->type == H5K_LINK_HARD) {
      h5k_object_info info;
      const char *first = NULL;
      rc = h5k_object_get_info(&info, r->f, l->addr);
      if (rc < 0) {
        fail(r, rc);
      } else {
        if (info.refcount > 1) {
          first = seen_find(&r->seen, info.addr);
          if (!first && seen_add(&r->seen, info.addr, full) < 0)
            rc = fail_msg(r, H5K_ENOMEM, "out of memory");
        }
        if (rc == 0) rc = list_obj(r, full, &info, first);
        if (rc == 0 && r->recursive && info.type == H5K_OBJ_GROUP && !first) {
          const ls_ancestor *a;
          for (a = &me; a; a = a->up)
            if (a->addr == info.addr) break;
          if (a) {
            snprintf(r->reason, sizeof r->reason,
                     "group cycle: %s links back to an enclosing group (object header at %" PRIu64
                     ") that does not count this link",
                     full, info.addr);
            rc = H5K_ECORRUPT;
          } else {
            rc = list_group(r, info.addr, full, &me, depth + 1);
          }
        }
      }
    } else {
      rc = list_link(r, full, l->type, l->a, l->b);
    }
    free(full);
  }
  links_free(&links);
  if (rc == 0 && iter_rc < 0) rc = iter_rc; /* reason already saved */
  return rc;
}

/* The object named `oname` (absolute, as typed after the file name): a group's members, or
 * the object itself. Mirrors h5ls: list a starting group itself when `show_root`; remember it
 * as seen if it has several links. */
static int visit(ls_run *r, h5k_addr addr, const char *oname, size_t base_len, int show_root)
{
  h5k_object_info info;
  int rc = h5k_object_get_info(&info, r->f, addr);
  if (rc < 0) return fail(r, rc);
  if (info.type != H5K_OBJ_GROUP) return list_obj(r, oname, &info, NULL);

  r->name_start = base_len;
  if (show_root && (rc = list_obj(r, oname, &info, NULL)) < 0) return rc;
  if (info.refcount > 1 && seen_add(&r->seen, info.addr, oname) < 0)
    return fail_msg(r, H5K_ENOMEM, "out of memory");
  return list_group(r, addr, oname, NULL, 0);
}

/* Find the link that `oname` names (not following it). Returns 0 with *out filled (strings in
 * *buf, which the caller frees), LS_NOT_FOUND when h5ls would say **NOT FOUND**, or a negative
 * error. HDF5 path rules: empty and "." components are skipped, and a path whose last
 * component is "." or that names the root has no link. */
static int find_link(ls_run *r, h5k_link *out, char **buf, const char *oname)
{
  size_t end = strlen(oname), start, i, plen = 0;
  char *parent = NULL, *last = NULL;
  h5k_addr paddr;
  h5k_object_info pinfo;
  size_t bufsize = 4096;
  int rc;

  *buf = NULL;
  while (end > 0 && oname[end - 1] == '/') end--;
  start = end;
  while (start > 0 && oname[start - 1] != '/') start--;
  if (end == start || (end - start == 1 && oname[start] == '.')) return LS_NOT_FOUND;

  /* Parent path: "/" + the components before the last, without empty and "." ones. */
  parent = malloc(start + 2);
  last = malloc(end - start + 1);
  if (!parent || !last) {
    rc = fail_msg(r, H5K_ENOMEM, "out of memory");
    goto done;
  }
  memcpy(last, oname + start, end - start);
  last[end - start] = '\0';
  parent[plen++] = '/';
  for (i = 0; i < start;) {
    size_t j = i;
    while (j < start && oname[j] != '/') j++;
    if (j > i && !(j - i == 1 && oname[i] == '.')) {
      if (plen > 1) parent[plen++] = '/';
      memcpy(parent + plen, oname + i, j - i);
      plen += j - i;
    }
    i = j + 1;
  }
  parent[plen] = '\0';

  rc = h5k_resolve(&paddr, r->f, parent);
  if (rc == H5K_ENOTFOUND || rc == H5K_ELIMIT || rc == H5K_EINVAL) {
    rc = LS_NOT_FOUND;
    goto done;
  }
  if (rc < 0) {
    fail(r, rc);
    goto done;
  }
  rc = h5k_object_get_info(&pinfo, r->f, paddr);
  if (rc < 0) {
    fail(r, rc);
    goto done;
  }
  if (pinfo.type != H5K_OBJ_GROUP) {
    rc = LS_NOT_FOUND;
    goto done;
  }
  for (;;) {
    *buf = malloc(bufsize);
    if (!*buf) {
      rc = fail_msg(r, H5K_ENOMEM, "out of memory");
      goto done;
    }
    rc = h5k_group_find(out, *buf, bufsize, r->f, paddr, last);
    if (rc != H5K_ELIMIT || bufsize >= LS_MAX_LINK_BUF) break;
    free(*buf);
    *buf = NULL;
    bufsize *= 16;
  }
  if (rc == H5K_ENOTFOUND) {
    rc = LS_NOT_FOUND;
  } else if (rc < 0) {
    fail(r, rc);
  }
done:
  free(parent);
  free(last);
  return rc;
}

/* List one argument that opened as `fname` with object part `oname` (NULL: the file alone).
 * `show_root` is h5ls's "display the starting group" flag: set by the first argument naming a
 * file alone under -r, it then stays set for every later argument that names a group.
 * Returns 0, LS_NOT_FOUND (already printed) or a negative error (reason in r->reason). */
static int ls_one(ls_run *r, const char *oname, int *show_root)
{
  size_t base_len = 0;
  int rc;
  h5k_addr addr;

  if (!oname || !*oname) {
    oname = "/";
    if (r->recursive) *show_root = 1;
    r->name_start = 0;
  } else {
    base_len = strlen(oname);
    base_len -= oname[base_len - 1] == '/';
    r->name_start = 1;
  }
  if (strcmp(oname, "/") != 0) {
    h5k_link link;
    char *buf = NULL;
    rc = find_link(r, &link, &buf, oname);
    if (rc == LS_NOT_FOUND) {
      if (put_name(r, oname, "**NOT FOUND**") < 0) rc = H5K_ENOMEM;
    } else if (rc == 0 && link.type != H5K_LINK_HARD) {
      rc = list_link(r, oname, link.type,
                     link.type == H5K_LINK_SOFT ? link.soft_target : link.ext_file,
                     link.type == H5K_LINK_EXTERNAL ? link.ext_path : NULL);
    } else if (rc == 0) {
      rc = visit(r, link.addr, oname, base_len, *show_root);
    }
    free(buf);
    return rc;
  }
  rc = h5k_resolve(&addr, r->f, "/");
  if (rc < 0) return fail(r, rc);
  return visit(r, addr, oname, base_len, *show_root);
}

/* ---- command ---------------------------------------------------------------------------------- */
static void ls_usage(FILE *out)
{
  fprintf(out,
          "usage: h5kit ls [OPTIONS] FILE[/PATH]...\n"
          "List the groups, datasets, named datatypes and links of HDF5 files, one per line,\n"
          "in the same format as h5ls. PATH selects a group (its members are listed) or\n"
          "another object or link (listed alone); without PATH the root group is listed.\n"
          "\n"
          "options:\n"
          "  -r, --recursive  list whole subtrees, with full names\n"
          "  -v, --verbose    also print attributes, location, link count, modification\n"
          "                   time, storage, filters and type of each object (as h5ls -v)\n"
          "  -h, --help       show this help and exit\n"
          "  --               end of options\n"
          "\n"
          "exit status: 0 on success; 1 when a file does not open, an object is not found\n"
          "(listing stops there) or the file is corrupt (reported on stderr).\n");
}

int cmd_ls(int argc, char **argv)
{
  static int recursive, verbose; /* CLI configuration (the CLI is single-threaded) */
  unsigned long fileno = 0;
  int argi, status = CLI_OK, show_root = 0;

  for (argi = 1; argi < argc && argv[argi][0] == '-'; argi++) {
    const char *a = argv[argi];
    if (!strcmp(a, "--")) {
      argi++;
      break;
    } else if (!strcmp(a, "--help")) {
      ls_usage(stdout);
      return cli_finish_stdout(CLI_OK);
    } else if (!strcmp(a, "--recursive")) {
      recursive = 1;
    } else if (!strcmp(a, "--verbose")) {
      verbose = 1;
    } else if (a[1] == '-') {
      cli_error("ls: unknown option '%s' (try 'h5kit ls --help')", a);
      return CLI_FAIL;
    } else {
      /* Single-letter options, possibly grouped ("-rh"); "-" alone is accepted and ignored,
       * as h5ls does. */
      for (const char *s = a + 1; *s; s++) {
        if (*s == 'r') {
          recursive = 1;
        } else if (*s == 'v') {
          verbose = 1;
        } else if (*s == 'h' || *s == '?') {
          ls_usage(stdout);
          return cli_finish_stdout(CLI_OK);
        } else {
          cli_error("ls: unknown option '-%c' (try 'h5kit ls --help')", *s);
          return CLI_FAIL;
        }
      }
    }
  }
  if (argi >= argc) {
    cli_error("ls: no file given (usage: h5kit ls [-r] FILE[/PATH]...)");
    return CLI_FAIL;
  }

  cli_buffer_stdout();
  for (int show_file = argc - argi > 1; argi < argc; argi++) {
    ls_run r;
    char *fname = NULL, *oname = NULL;
    int rc;

    memset(&r, 0, sizeof r);
    rc = cli_open_split(&r.f, &fname, &oname, r.reason, sizeof r.reason, argv[argi]);
    if (rc < 0) {
      char msg[600];
      snprintf(msg, sizeof msg, "unable to open file (%s)", r.reason);
      cli_report(argv[argi], msg);
      status = CLI_FAIL;
      continue;
    }
    r.out = stdout;
    r.verbose = verbose;
    r.fileno = ++fileno;
    if (verbose) printf("Opened \"%s\" with sec2 driver.\n", fname);
    r.fname = fname;
    r.show_file = show_file;
    r.recursive = recursive;
    rc = ls_one(&r, oname, &show_root);
    seen_free(&r.seen);
    h5k_close(r.f);
    free(fname);
    free(oname);
    if (rc == LS_NOT_FOUND) return cli_finish_stdout(CLI_FAIL);
    if (rc < 0) {
      cli_report(argv[argi], r.reason);
      status = CLI_FAIL;
    }
  }
  return cli_finish_stdout(status);
}
