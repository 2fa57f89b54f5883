/* Encoders of whole structures (the writing side): object headers, superblocks, symbol-table
 * groups (local heap + v1 B-tree + symbol table nodes), local heaps and global heap collections.
 * Message encoders are declared next to their decoders (format/messages.h, format/layout.h).
 *
 * Conventions: every function appends to `w` and returns 0, H5K_EINVAL (impossible arguments) or
 * H5K_ENOMEM. A *builder* lays a structure out as one contiguous run of bytes to be stored at file
 * address `base` (relative, as HDF5 addresses are); the number of bytes appended never depends on
 * `base`, so a caller may build once into a scratch buffer to measure, allocate, then build again.
 * Inputs are trusted (they come from h5kit's own model). All functions are pure (thread-safe). */
#ifndef H5K_FORMAT_ENCODE_H
#define H5K_FORMAT_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#include "format/fctx.h"
#include "util/wbuf.h"

/* ---- object headers (spec IV.A.1) --------------------------------------------------------------
 * One message: its type, flags (bit 0 constant, bit 1 shared, ...), data bytes (borrowed) and,
 * for v2 headers that track attribute creation order, its creation index. */
typedef struct h5k_oh_msg {
  unsigned type, flags;
  const uint8_t *data;
  size_t len;
  unsigned corder; /* written only when h5k_oh_opts.track_corder */
} h5k_oh_msg;

/* Encode an object header of ONE chunk holding messages m[0..n).
 * Version 1: 16-byte prefix (version 1, reserved, message count, refcount, chunk size, 4 bytes
 *   padding), then per message type (2), size (2), flags (1), reserved (3), data NUL-padded to a
 *   multiple of 8. A message larger than 65535 bytes (after padding: 65528) is H5K_EINVAL.
 * Version 2: "OHDR", version 2, flags (no times stored; the chunk-0 size field is the fewest of
 *   1/2/4/8 bytes that hold the size), chunk-0 size, per message type (1), size (2), flags (1),
 *   data, then the lookup3 checksum. refcount > 1 adds an Object Reference Count message (0x16)
 *   after the given ones unless one is there.
 * min_data: the message area (chunk 0 without prefix/checksum) is made at least this large by a
 *   NIL message holding the rest (v2: a tail shorter than a message header stays a gap). v1
 *   rounds min_data up to a multiple of 8. 0 = no reserve. */
int h5k_oh_encode(h5k_wbuf *w, const h5k_fctx *f, unsigned version, uint32_t refcount, const h5k_oh_msg *m,
                  size_t n, size_t min_data);

/* Version 2 header options beyond h5k_oh_encode (which uses all zeros = defaults). */
typedef struct h5k_oh_opts {
  int track_corder, index_corder;   /* attribute creation order tracked / indexed (flags bits 2, 3) */
  int has_phase;                    /* store non-default attribute phase change values (bit 4) */
  unsigned max_compact, min_dense;
  int has_times;                    /* store access/modification/change/birth times (bit 5) */
  uint32_t atime, mtime, ctime, btime;
} h5k_oh_opts;
int h5k_oh_encode_v2(h5k_wbuf *w, const h5k_fctx *f, const h5k_oh_opts *o, uint32_t refcount, const h5k_oh_msg *m,
                     size_t n, size_t min_data);

/* Bytes h5k_oh_encode would append (0 if the arguments are invalid). */
size_t h5k_oh_size(const h5k_fctx *f, unsigned version, uint32_t refcount, const h5k_oh_msg *m, size_t n,
                   size_t min_data);

/* ---- superblock (spec II.A) ---------------------------------------------------------------------
 * version 0 (as libhdf5 "earliest" writes it) or 2/3 (with checksum; v3 consistency flags 0).
 * base: userblock size = absolute position of the superblock (written as the base address).
 * eof: end-of-file address RELATIVE to the base (i.e. bytes after the userblock); the stored
 *   field is base + eof, as libhdf5 stores it.
 * root_addr: root group object header. v0: root_btree/root_heap are the root entry's cached
 *   symbol-table addresses (cache type 1), or UNDEF for no cache (type 0).
 * ext_addr: v2/3 superblock extension (UNDEF if none); v0 must have none (H5K_EINVAL).
 * sym_leaf_k, btree_k_group: v0 fields (0 = defaults 4 / 16). btree_k_chunk: must be 0 or 32
 *   for v0 (another value needs superblock v1, not written); v2/3 ignore the K values (a
 *   non-default value needs a B-tree 'K' message in the extension, the caller's business). */
typedef struct h5k_sb_params {
  unsigned version;
  uint64_t base;
  uint64_t eof;
  uint64_t root_addr;
  uint64_t root_btree, root_heap;
  uint64_t ext_addr;
  unsigned sym_leaf_k, btree_k_group, btree_k_chunk;
} h5k_sb_params;
int h5k_superblock_encode(h5k_wbuf *w, const h5k_sb_params *p, const h5k_fctx *f);
/* Bytes of the encoded superblock for this version and f (0 for an unknown version). */
size_t h5k_superblock_size(unsigned version, const h5k_fctx *f);

/* ---- local heap (spec III.D) --------------------------------------------------------------------
 * "HEAP" header followed directly by its data segment. Data: offset 0 holds the empty string
 * (8 zero bytes, as libhdf5 starts every heap), then strs[i] NUL-terminated, each at an offset
 * that is a multiple of 8 (offsets[i] receives it; may be NULL). The segment is enlarged to at
 * least min_data bytes (rounded to 8) and whatever is left after the strings (when >= 2 lengths)
 * becomes one free block on the free list, so libhdf5 can add names in place later. */
int h5k_lheap_build(h5k_wbuf *w, uint64_t base, const h5k_fctx *f, const char *const *strs, size_t n,
                    size_t min_data, uint64_t *offsets);

/* ---- symbol-table groups (spec III.A.1, III.B, III.C) -------------------------------------------
 * One entry: cache_type 0 (none), 1 (group: btree_addr/heap_addr cached), 2 (soft link: the
 * value soft_target goes in the heap; obj_addr should be UNDEF). */
typedef struct h5k_symtab_entry {
  const char *name;
  uint64_t obj_addr;
  unsigned cache_type;
  uint64_t btree_addr, heap_addr;
  const char *soft_target; /* cache_type 2 only */
} h5k_symtab_entry;

/* Build a whole symbol-table group at `base`: local heap (header + data segment), v1 B-tree
 * nodes of type 0 (K = f->btree_k_group, as many levels as needed, full-size nodes), symbol
 * table nodes "SNOD" (up to 2 * f->sym_leaf_k entries each, full-size). Entries must be in
 * strictly increasing byte-wise name order (else H5K_EINVAL). An empty group is one empty leaf
 * node + heap, as libhdf5 makes it. *btree_addr / *heap_addr receive the addresses for the
 * group's Symbol Table message. f->sym_leaf_k / btree_k_group of 0 mean the defaults 4 / 16. */
int h5k_symtab_build(h5k_wbuf *w, uint64_t base, const h5k_fctx *f, const h5k_symtab_entry *e, size_t n,
                     uint64_t *btree_addr, uint64_t *heap_addr);

/* ---- global heap (spec III.E) ---------------------------------------------------------------------
 * One "GCOL" collection holding objs[i] (sizes[i] bytes) as objects 1..n, each padded to 8, and
 * a free-space object (index 0) filling the rest up to max(min_size, 4096) (rounded to 8), as
 * libhdf5 lays out a collection. Objects are referenced as (base, i + 1). n <= 65535. Headers are
 * laid out for 8-byte lengths (the writer's size of lengths). */
int h5k_gcol_build(h5k_wbuf *w, uint64_t base, const uint8_t *const *objs, const size_t *sizes, size_t n,
                   size_t min_size);
/* Collection size h5k_gcol_build would produce (0 if n > 65535 or it overflows). */
size_t h5k_gcol_size(const size_t *sizes, size_t n, size_t min_size);
/* Bytes one more object of `size` bytes adds to a collection's used space (header + padded data). */
size_t h5k_gcol_obj_cost(size_t size);

#endif
