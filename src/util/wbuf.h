/* Growable little-endian write buffer: the encoding twin of cursor.h.
 *
 * Every encoder in h5kit appends to an h5k_wbuf. An allocation failure sets the sticky `err`
 * flag and later writes are ignored, so an encoder may write a whole structure and test
 * `w.err` (or call wbuf_status) once. Fields are written through these helpers only. */
#ifndef H5K_UTIL_WBUF_H
#define H5K_UTIL_WBUF_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "h5kit.h"

typedef struct h5k_wbuf {
  uint8_t *p;  /* malloc'd bytes (owned) */
  size_t len;  /* bytes written */
  size_t cap;  /* bytes allocated */
  int err;     /* sticky: an allocation failed */
} h5k_wbuf;

static inline void wbuf_init(h5k_wbuf *w) {
  w->p = NULL;
  w->len = w->cap = 0;
  w->err = 0;
}

static inline void wbuf_free(h5k_wbuf *w) {
  free(w->p);
  wbuf_init(w);
}

/* Make room for n more bytes; 0 on success, -1 (and err set) otherwise. */
static inline int wbuf_reserve(h5k_wbuf *w, size_t n) {
  if (w->err) return -1;
  if (n <= w->cap - w->len) return 0;
  if (n > SIZE_MAX / 2 - w->len) {
    w->err = 1;
    return -1;
  }
  size_t cap = w->cap ? w->cap : 256;
  while (cap - w->len < n) cap *= 2;
  uint8_t *q = (uint8_t *)realloc(w->p, cap);
  if (!q) {
    w->err = 1;
    return -1;
  }
  w->p = q;
  w->cap = cap;
  return 0;
}

/* Append n bytes and return a pointer to them (NULL on error); the bytes are zeroed. */
static inline uint8_t *wr_space(h5k_wbuf *w, size_t n) {
  if (wbuf_reserve(w, n)) return NULL;
  uint8_t *q = w->p + w->len;
  memset(q, 0, n);
  w->len += n;
  return q;
}

static inline void wr_bytes(h5k_wbuf *w, const void *src, size_t n) {
  if (!n || wbuf_reserve(w, n)) return;
  memcpy(w->p + w->len, src, n);
  w->len += n;
}

static inline void wr_zero(h5k_wbuf *w, size_t n) { (void)wr_space(w, n); }

static inline void wr_u8(h5k_wbuf *w, unsigned v) {
  uint8_t b = (uint8_t)v;
  wr_bytes(w, &b, 1);
}

/* Unsigned little-endian value in nbytes (1..8) bytes; higher bits of v are dropped. */
static inline void wr_uvar(h5k_wbuf *w, uint64_t v, unsigned nbytes) {
  uint8_t b[8];
  for (unsigned i = 0; i < nbytes && i < 8; i++) b[i] = (uint8_t)(v >> (8 * i));
  wr_bytes(w, b, nbytes < 8 ? nbytes : 8);
}

static inline void wr_le16(h5k_wbuf *w, uint64_t v) { wr_uvar(w, v, 2); }
static inline void wr_le32(h5k_wbuf *w, uint64_t v) { wr_uvar(w, v, 4); }
static inline void wr_le64(h5k_wbuf *w, uint64_t v) { wr_uvar(w, v, 8); }

/* Overwrite nbytes at an earlier position (e.g. a size or checksum patched in afterwards). */
static inline void wr_patch(h5k_wbuf *w, size_t pos, uint64_t v, unsigned nbytes) {
  if (w->err || pos > w->len || nbytes > w->len - pos) return;
  for (unsigned i = 0; i < nbytes; i++) w->p[pos + i] = (uint8_t)(v >> (8 * i));
}

/* Pad with zeros to a multiple of `align` measured from position `from`. */
static inline void wr_align(h5k_wbuf *w, size_t from, size_t align) {
  size_t n = (w->len - from) % align;
  if (n) wr_zero(w, align - n);
}

/* 0, or H5K_ENOMEM when any write failed. */
static inline int wbuf_status(const h5k_wbuf *w) { return w->err ? H5K_ENOMEM : 0; }

#endif
