/* Bounds-checked little-endian cursor over an untrusted byte buffer.
 *
 * Every decoder in h5kit reads file bytes through this cursor: a (buffer, length) pair with a
 * position and a sticky error flag. A read past the end sets `err`, returns zero and leaves the
 * position at the end, so a decoder may read a whole structure and test `cur.err` once.
 * No casts of bytes to structs, no raw pointer arithmetic outside this file. */
#ifndef H5K_UTIL_CURSOR_H
#define H5K_UTIL_CURSOR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct h5k_cur {
  const uint8_t *p;   /* start of the buffer (borrowed) */
  size_t len;         /* its length */
  size_t pos;         /* next byte to read */
  int err;            /* sticky: set once a read went past the end */
} h5k_cur;

static inline void cur_init(h5k_cur *c, const void *buf, size_t len) {
  c->p = (const uint8_t *)buf;
  c->len = buf ? len : 0;
  c->pos = 0;
  c->err = 0;
}

static inline size_t cur_left(const h5k_cur *c) { return c->len - c->pos; }

/* Reserve n bytes: 1 when available (and advance), 0 and set err otherwise. */
static inline int cur_take(h5k_cur *c, size_t n, const uint8_t **out) {
  if (c->err || n > c->len - c->pos) {
    c->err = 1;
    c->pos = c->len;
    *out = NULL;
    return 0;
  }
  *out = c->p + c->pos;
  c->pos += n;
  return 1;
}

static inline void cur_skip(h5k_cur *c, size_t n) {
  const uint8_t *q;
  (void)cur_take(c, n, &q);
}

/* Move to an absolute position inside the buffer. */
static inline void cur_seek(h5k_cur *c, size_t pos) {
  if (pos > c->len) {
    c->err = 1;
    c->pos = c->len;
  } else {
    c->pos = pos;
  }
}

/* Borrow n bytes in place (NULL on error). */
static inline const uint8_t *rd_ptr(h5k_cur *c, size_t n) {
  const uint8_t *q;
  return cur_take(c, n, &q) ? q : NULL;
}

static inline void rd_bytes(h5k_cur *c, void *dst, size_t n) {
  const uint8_t *q;
  if (cur_take(c, n, &q)) memcpy(dst, q, n);
  else if (n) memset(dst, 0, n);
}

static inline uint8_t rd_u8(h5k_cur *c) {
  const uint8_t *q;
  return cur_take(c, 1, &q) ? q[0] : 0;
}

/* Unsigned little-endian integer of 1..8 bytes ("size of offsets/lengths" fields). */
static inline uint64_t rd_uvar(h5k_cur *c, unsigned nbytes) {
  const uint8_t *q;
  uint64_t v = 0;
  if (nbytes == 0 || nbytes > 8) {
    c->err = 1;
    return 0;
  }
  if (!cur_take(c, nbytes, &q)) return 0;
  for (unsigned i = 0; i < nbytes; i++) v |= (uint64_t)q[i] << (8 * i);
  return v;
}

static inline uint16_t rd_le16(h5k_cur *c) { return (uint16_t)rd_uvar(c, 2); }
static inline uint32_t rd_le32(h5k_cur *c) { return (uint32_t)rd_uvar(c, 4); }
static inline uint64_t rd_le64(h5k_cur *c) { return rd_uvar(c, 8); }

/* Decode a little-endian unsigned integer of n (1..8) bytes from a trusted, already-checked
 * location (used on buffers whose length was verified, e.g. heap IDs). */
static inline uint64_t le_load(const uint8_t *q, unsigned nbytes) {
  uint64_t v = 0;
  for (unsigned i = 0; i < nbytes && i < 8; i++) v |= (uint64_t)q[i] << (8 * i);
  return v;
}

/* Number of bytes needed to hold values up to max (at least 1). Used for the variable-width
 * fields of fractal heaps and v2 B-trees. */
static inline unsigned bytes_for(uint64_t max) {
  unsigned n = 1;
  while (n < 8 && (max >> (8 * n)) != 0) n++;
  return n;
}

#endif
