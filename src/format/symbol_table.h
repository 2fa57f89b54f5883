/* Old-style (symbol table) groups: symbol table entries (File Format Specification III.C),
 * symbol table nodes "SNOD" (III.B), indexed by a version 1 B-tree of node type 0 (III.A.1)
 * whose keys and entry names live in the group's local heap (III.D). */
#ifndef H5K_FORMAT_SYMBOL_TABLE_H
#define H5K_FORMAT_SYMBOL_TABLE_H

#include <stdint.h>

#include "format/fctx.h"
#include "util/cursor.h"

enum { H5K_CACHE_NONE = 0, H5K_CACHE_GROUP = 1, H5K_CACHE_SOFT = 2 };

typedef struct h5k_symentry_raw {      /* one decoded Symbol Table Entry (III.C) */
  uint64_t name_offset;                /* into the group's local heap */
  uint64_t obj_addr;                   /* object header address (UNDEF for cached soft link) */
  uint32_t cache_type;                 /* 0 none, 1 group (btree/heap cached), 2 soft link */
  uint64_t btree_addr, heap_addr;      /* cache_type 1 (else H5K_ADDR_UNDEF) */
  uint32_t soft_offset;                /* cache_type 2: offset of link value in local heap */
} h5k_symentry_raw;

/* Bytes of one encoded entry: L (name offset) + O (object header) + 4 + 4 + 16 (scratch pad). */
static inline size_t h5k_symentry_size(const h5k_fctx *f) { return (size_t)f->sl + f->so + 24; }

/* Decode one entry at the cursor and advance past it (always h5k_symentry_size bytes, whatever
 * the cache type). Used by the superblock code for the root group's entry too.
 * Returns 0 or H5K_ECORRUPT (cursor overrun, unknown cache type). */
int h5k_symentry_decode(h5k_symentry_raw *out, h5k_cur *c, const h5k_fctx *f);

typedef struct h5k_symentry {
  const char *name;          /* borrowed from the local heap, valid during the callback */
  uint64_t obj_addr;
  uint32_t cache_type;
  uint64_t btree_addr, heap_addr;
  const char *soft_target;   /* cache_type 2: soft link value, else NULL */
} h5k_symentry;

/* Return 0 to go on, >0 to stop (returned by the iterator), <0 to abort with that error. */
typedef int (*h5k_symtab_cb)(void *ud, const h5k_symentry *e);

/* Iterate all entries of an old-style group (B-tree of SNOD nodes + local heap) in B-tree order,
 * which is name order; names must be strictly increasing (H5K_ECORRUPT otherwise).
 * Errors: H5K_ECORRUPT, H5K_EIO, H5K_ENOMEM, H5K_EINVAL (NULL argument), or cb's value. */
int h5k_symtab_iterate(const h5k_fctx *f, uint64_t btree_addr, uint64_t heap_addr, h5k_symtab_cb cb,
                       void *ud);

/* Find one entry by name, descending the B-tree by its keys and scanning one SNOD. cb (may be
 * NULL) receives the entry; its return value is returned. H5K_ENOTFOUND if absent. */
int h5k_symtab_find(const h5k_fctx *f, uint64_t btree_addr, uint64_t heap_addr, const char *name,
                    h5k_symtab_cb cb, void *ud);

#endif
