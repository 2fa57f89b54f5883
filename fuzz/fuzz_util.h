/* Helpers shared by the fuzz targets (fuzz/fuzz_*.c): a hand-made file context over the input,
 * and "touch" functions that read every byte of every result a decoder hands back, so that
 * AddressSanitizer sees a dangling or short buffer even when the target itself would not look
 * at it. Invariants a decoder promises in its header (rank <= 32, enum base present, ...) are
 * checked too: breaking one is a finding, reported with abort() so libFuzzer saves the input.
 *
 * Header-only and `static` so each target stays one translation unit (plus fuzz/replay.c). */
#ifndef H5K_FUZZ_UTIL_H
#define H5K_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/fctx.h"
#include "format/messages.h"
#include "h5kit.h"
#include "io/io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A sink the optimiser cannot drop: every touched byte is folded into it. */
static volatile uint8_t fz_sink;

static inline void fz_fail(const char *what) {
  fprintf(stderr, "fuzz invariant broken: %s\n", what);
  abort();
}

static inline void fz_touch(const void *p, size_t n) {
  const volatile uint8_t *q = (const volatile uint8_t *)p;
  uint8_t acc = 0;
  if (!p && n) fz_fail("NULL buffer with a nonzero length");
  for (size_t i = 0; i < n; i++) acc ^= q[i];
  fz_sink ^= acc;
}

static inline void fz_touch_str(const char *s) {
  if (s) fz_touch(s, strlen(s) + 1);
}

/* Context the way the brief describes for structure targets: sizes 8/8, K values of the
 * defaults, nothing optional. The io must outlive the context. */
static inline void fz_fctx_init(h5k_fctx *f, h5k_io *io, size_t len) {
  memset(f, 0, sizeof *f);
  f->io = io;
  f->base = 0;
  f->eof = len;
  f->limit = len;
  f->so = 8;
  f->sl = 8;
  f->sb_version = 2;
  f->sym_leaf_k = 4;
  f->btree_k_group = 16;
  f->btree_k_chunk = 32;
  f->root = H5K_ADDR_UNDEF;
  f->ext = H5K_ADDR_UNDEF;
  f->driver = H5K_ADDR_UNDEF;
  f->root_btree = H5K_ADDR_UNDEF;
  f->root_heap = H5K_ADDR_UNDEF;
  f->sohm_table = H5K_ADDR_UNDEF;
  f->sohm_nindexes = 0;
  f->sohm = NULL;
}

static inline void fz_touch_space(const h5k_dataspace *s) {
  if (s->rank > H5K_MAX_DIMS) fz_fail("dataspace rank above H5K_MAX_DIMS");
  if (s->kind != H5K_SPACE_SIMPLE && s->rank != 0) fz_fail("scalar/null dataspace with a rank");
  for (unsigned i = 0; i < s->rank; i++) fz_sink ^= (uint8_t)(s->dims[i] ^ s->maxdims[i]);
}

/* Walk a datatype tree, reading every string and value array. */
static inline void fz_walk_type(const h5k_datatype *t, unsigned depth) {
  if (!t) return;
  if (depth > 64) fz_fail("datatype tree deeper than 64");
  fz_touch(t, sizeof *t);
  fz_touch_str(t->tag);
  if (t->nmembers && !t->members) fz_fail("datatype with members count but no members");
  if (t->rank > 32) fz_fail("array type rank above 32");
  for (size_t i = 0; i < t->nmembers; i++) {
    fz_touch_str(t->members[i].name);
    fz_sink ^= (uint8_t)t->members[i].offset;
    fz_walk_type(t->members[i].type, depth + 1);
  }
  if (t->cls == H5K_CLASS_ENUM) {
    if (!t->base) fz_fail("enum type without a base type");
    if (t->nmembers && t->base->size) {
      size_t n;
      if (__builtin_mul_overflow(t->nmembers, (size_t)t->base->size, &n)) fz_fail("enum value bytes overflow");
      fz_touch(t->enum_values, n);
    }
  }
  if ((t->cls == H5K_CLASS_VLEN || t->cls == H5K_CLASS_ARRAY) && !t->base)
    fz_fail("vlen/array type without a base type");
  fz_walk_type(t->base, depth + 1);
}

/* Walk a decoded datatype, deep-copy it (h5k_datatype_copy), walk the copy and free it:
 * every decoded shape also fuzzes the copy and free paths. */

static inline void fz_check_type(const h5k_datatype *t) {
  h5k_datatype *copy = NULL;
  if (!t) return;
  fz_walk_type(t, 0);
  if (h5k_datatype_copy(&copy, t) == 0) {
    fz_walk_type(copy, 0);
    h5k_datatype_free(copy);
  }
}

/* Decode one object header message of `type` with every decoder messages.h offers for it and
 * touch the results. A message flagged shared (flag bit 1) is decoded as the shared encoding
 * instead. Errors from decoders are the expected outcome for most fuzzed inputs and ignored;
 * only the last-error message is read (it must always be a valid string). */
static inline void fz_decode_msg(unsigned type, unsigned flags, const uint8_t *p, size_t len,
                                 const h5k_fctx *f) {
  fz_touch_str(h5k_msg_name(type));
  if (flags & 0x02) {
    h5k_shared sh;
    if (h5k_decode_shared(&sh, p, len, f) == 0) fz_touch(&sh, sizeof sh);
    fz_touch_str(h5k_error_last());
    return;
  }
  switch (type) {
  case H5K_MSG_DATASPACE: {
    h5k_dataspace s;
    if (h5k_decode_dataspace(&s, p, len, f) == 0) fz_touch_space(&s);
    break;
  }
  case H5K_MSG_LINFO:
  case H5K_MSG_AINFO: {
    h5k_linfo li;
    int rc = type == H5K_MSG_LINFO ? h5k_decode_linfo(&li, p, len, f) : h5k_decode_ainfo(&li, p, len, f);
    if (rc == 0) fz_touch(&li, sizeof li);
    break;
  }
  case H5K_MSG_DATATYPE: {
    h5k_datatype *t = NULL;
    size_t used = 0;
    if (h5k_decode_datatype(&t, &used, p, len, f) == 0) {
      if (!t) fz_fail("datatype decoder returned 0 and no type");
      if (used > len) fz_fail("datatype decoder consumed more than its input");
      fz_check_type(t);
      h5k_datatype_free(t);
    }
    break;
  }
  case H5K_MSG_LINK: {
    h5k_link_msg m;
    if (h5k_decode_link(&m, p, len, f) == 0) {
      fz_touch_str(m.name);
      fz_touch_str(m.soft);
      fz_touch_str(m.ext_file);
      fz_touch_str(m.ext_path);
      if (!m.name) fz_fail("link message without a name");
      h5k_link_msg_clear(&m);
    }
    break;
  }
  case H5K_MSG_GINFO: {
    h5k_ginfo g;
    if (h5k_decode_ginfo(&g, p, len, f) == 0) fz_touch(&g, sizeof g);
    break;
  }
  case H5K_MSG_ATTR: {
    h5k_attr_msg a;
    if (h5k_decode_attr(&a, p, len, f) == 0) {
      fz_touch_str(a.name);
      fz_touch(a.type_bytes, a.type_len);
      fz_touch(a.space_bytes, a.space_len);
      fz_touch(a.data, a.data_len);
      /* the parts, as the object layer decodes them */
      fz_decode_msg(H5K_MSG_DATATYPE, a.type_shared ? 0x02 : 0, a.type_bytes, a.type_len, f);
      fz_decode_msg(H5K_MSG_DATASPACE, a.space_shared ? 0x02 : 0, a.space_bytes, a.space_len, f);
      h5k_attr_msg_clear(&a);
    }
    break;
  }
  case H5K_MSG_STAB: {
    h5k_stab st;
    if (h5k_decode_stab(&st, p, len, f) == 0) fz_touch(&st, sizeof st);
    break;
  }
  case H5K_MSG_CONT: {
    h5k_cont ct;
    if (h5k_decode_cont(&ct, p, len, f) == 0) {
      if (ct.len == 0) fz_fail("continuation message decoded with length 0");
      fz_touch(&ct, sizeof ct);
    }
    break;
  }
  case H5K_MSG_MTIME_OLD:
  case H5K_MSG_MTIME: {
    int64_t t;
    if (h5k_decode_mtime(&t, type, p, len) == 0) fz_sink ^= (uint8_t)t;
    break;
  }
  default:
    fz_touch(p, len);
    break;
  }
  fz_touch_str(h5k_error_last());
}

#endif
