/* Internal interface between the two halves of `h5kit dump`: tools/dump.c (the object walk and
 * h5dump's line layout) and tools/dump_format.c (growable strings and the rendering of one value
 * from its file representation). The rules both follow are written down in docs/dump.md. */
#ifndef H5KIT_TOOLS_DUMP_H
#define H5KIT_TOOLS_DUMP_H

#include <stddef.h>
#include <stdint.h>

#include "h5kit.h"

/* A growable string. On allocation failure `oom` is set and further appends are dropped. */
typedef struct dstr {
  char *s;
  size_t len, cap;
  int oom;
} dstr;

void ds_reset(dstr *d);
void ds_free(dstr *d);
void ds_putc(dstr *d, char c);
void ds_put(dstr *d, const char *s, size_t n);
void ds_puts(dstr *d, const char *s);
void ds_printf(dstr *d, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Append `n` spaces times three (h5dump's indentation unit). */
void ds_indent(dstr *d, int levels);

/* What value rendering needs from the walk: the file (variable-length data, references), the
 * current indentation level (compound members and array rows go on new lines), and h5dump's
 * one piece of carried-over state between array values. */
typedef struct dump_vctx {
  h5k_file *f;
  int indent;
  int arr_next;  /* a nested array value just ended: the next array item starts a new line */
  /* The path h5dump prints for the object at addr ("" when it has none); NULL: no paths. */
  const char *(*path_of)(void *ud, h5k_addr addr);
  void *path_ud;
} dump_vctx;

/* Append the rendering of one value of type `t` stored at p (t->size bytes, file
 * representation). Object references inside compound, array and variable-length values are
 * rendered as h5dump does, `KIND ADDR "PATH"`; top-level object references (followed by the
 * referenced dataset's values) and region references are dump.c's. */
void dump_value(dstr *out, dump_vctx *v, const h5k_datatype *t, const uint8_t *p);

/* Enum member name escaping as h5dump does it for values. */
void dump_escape_enum_name(dstr *out, const char *name);

/* Decode an integer of `size` bytes in the given byte order, with bit offset and precision,
 * sign-extended when is_signed: into *u (unsigned) / *s (signed). size <= 8. */
void dump_get_int(uint64_t *u, int64_t *s, const uint8_t *p, size_t size, int big_endian, int is_signed,
                  uint32_t offset, uint32_t precision);

/* The subcommand (also declared in main.c, which dispatches to it). */


/* The subcommand (also declared in main.c, which dispatches to it). */


#endif
