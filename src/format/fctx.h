/* The format layer's view of an open file: where addresses start, how wide they are, and
 * bounds-checked reads of metadata blocks. Everything in src/format/ takes a `const h5k_fctx *`
 * and never writes to it after open, so many threads may decode through one context at once.
 *
 * Addresses in HDF5 are relative to the base address (the superblock's position, i.e. after a
 * userblock); fctx_read adds the base. */
#ifndef H5K_FORMAT_FCTX_H
#define H5K_FORMAT_FCTX_H

#include <stdint.h>
#include <stddef.h>

#include "h5kit.h"
#include "io/io.h"
#include "util/cursor.h"
#include "util/wbuf.h"

typedef struct h5k_fctx {
  h5k_io *io;
  uint64_t base;          /* absolute offset of address 0 */
  uint64_t eof;           /* relative end of file as declared by the superblock */
  uint64_t limit;         /* relative end of readable bytes: min(eof, physical size - base) */
  unsigned so, sl;        /* size of offsets, size of lengths (bytes: 2, 4 or 8) */
  unsigned sb_version;
  unsigned sym_leaf_k;    /* group leaf node K (symbol table nodes hold up to 2K entries) */
  unsigned btree_k_group; /* group internal node K for v1 B-trees */
  unsigned btree_k_chunk; /* indexed storage internal node K */
  uint64_t root;          /* root group object header */
  uint64_t ext;           /* superblock extension object header or UNDEF */
  uint64_t driver;        /* driver information block or UNDEF */
  uint64_t root_btree;    /* v0/1: root symbol table entry's cached B-tree / heap (or UNDEF) */
  uint64_t root_heap;
  /* Shared object header message table (from the superblock extension), or UNDEF. */
  uint64_t sohm_table;
  unsigned sohm_nindexes;
  struct h5k_sohm *sohm;  /* loaded index table (shared.c), immutable after open; NULL if none */
} h5k_fctx;

static inline int addr_defined(uint64_t a) { return a != H5K_ADDR_UNDEF; }

/* Read an address field (size of offsets); all-ones means undefined → H5K_ADDR_UNDEF. */
static inline uint64_t rd_addr(h5k_cur *c, const h5k_fctx *f) {
  uint64_t v = rd_uvar(c, f->so);
  if (f->so < 8 && v == ((UINT64_C(1) << (8 * f->so)) - 1)) return H5K_ADDR_UNDEF;
  return v;
}
/* Read a length field (size of lengths). */
static inline uint64_t rd_len(h5k_cur *c, const h5k_fctx *f) { return rd_uvar(c, f->sl); }

/* Write an address field; H5K_ADDR_UNDEF is written as all ones. */
static inline void wr_addr(h5k_wbuf *w, const h5k_fctx *f, uint64_t a) {
  wr_uvar(w, a == H5K_ADDR_UNDEF ? UINT64_MAX : a, f->so);
}
/* Write a length field. */
static inline void wr_len(h5k_wbuf *w, const h5k_fctx *f, uint64_t v) { wr_uvar(w, v, f->sl); }

/* Read len bytes at relative address addr into buf. Errors (with message naming `what`):
 * undefined address, range outside the file (H5K_ECORRUPT), I/O error. */
int fctx_read(const h5k_fctx *f, uint64_t addr, void *buf, size_t len, const char *what);
/* Same, into a fresh malloc'd buffer (*out, caller frees). len is capped by H5K_MAX_BLOCK. */
int fctx_read_alloc(const h5k_fctx *f, uint64_t addr, uint64_t len, uint8_t **out, const char *what);
/* Whether [addr, addr+len) lies inside the readable file. */
int fctx_range_ok(const h5k_fctx *f, uint64_t addr, uint64_t len);
/* Verify a lookup3 checksum stored little-endian at buf[len-4] over buf[0..len-4). */
int fctx_check_sum(const uint8_t *buf, size_t len, const char *what, uint64_t addr);

#endif
