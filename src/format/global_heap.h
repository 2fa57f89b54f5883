/* Global heaps (File Format Specification III.E): the store of variable-length data and region
 * references. A heap is a set of independent collections ("GCOL" blocks); a global heap ID names
 * one object as (collection address, object index).
 *
 * There is no cache on the file: a collection is read, used and freed by its caller, so many
 * threads may read through one context at once. A caller that fetches many objects (a
 * conversion of many vlen elements) keeps the last collection in an h5k_gcol of its own. */
#ifndef H5K_FORMAT_GLOBAL_HEAP_H
#define H5K_FORMAT_GLOBAL_HEAP_H

#include <stddef.h>
#include <stdint.h>

#include "format/fctx.h"

typedef struct h5k_gobj {
  uint32_t index;  /* heap object index (1..65535) */
  size_t off;      /* offset of the object's data inside the collection block */
  size_t size;     /* bytes of data (without the padding to 8) */
} h5k_gobj;

typedef struct h5k_gcol {
  uint64_t addr;   /* collection address, H5K_ADDR_UNDEF when empty */
  uint8_t *data;   /* the whole collection block (owned) */
  size_t size;     /* its size (from the collection header) */
  h5k_gobj *objs;  /* objects sorted by index (owned) */
  size_t nobjs;
} h5k_gcol;

/* Size of a heap ID inside a variable-length element: 4-byte length, then collection address
 * (size of offsets) and 4-byte object index. */
static inline size_t h5k_vlen_elem_size(const h5k_fctx *f) { return 4 + (size_t)f->so + 4; }

/* Read and index the collection at addr. Errors: H5K_ECORRUPT (bad signature/version, size
 * smaller than its header or outside the file, objects overlapping the end, duplicate index),
 * H5K_EIO, H5K_ENOMEM. On failure *out is left empty (safe to h5k_gcol_free). */
int h5k_gcol_read(h5k_gcol *out, const h5k_fctx *f, uint64_t addr);

/* Borrow object `index` of a loaded collection (*p valid while the collection lives).
 * Errors: H5K_ECORRUPT if the collection holds no such object (index 0 is free space). */
int h5k_gcol_find(const uint8_t **p, size_t *len, const h5k_gcol *c, uint32_t index);

/* Release a collection; the struct is left empty. NULL is a no-op. */
void h5k_gcol_free(h5k_gcol *c);

/* Fetch one object: read the collection, find the object, copy it out. *out is malloc'd (caller
 * frees; NULL when the object is empty), *out_len its length. Errors as h5k_gcol_read/find. */
int h5k_gheap_get(uint8_t **out, size_t *out_len, const h5k_fctx *f, uint64_t collection, uint32_t index);

/* Decode a variable-length element (file representation): sequence length (elements, or bytes
 * for strings), collection address and object index. elem_size must be h5k_vlen_elem_size(f).
 * An element with length 0 or collection address 0/undefined is empty (*len = 0). */
int h5k_vlen_parse(uint32_t *len, uint64_t *collection, uint32_t *index, const uint8_t *elem, size_t elem_size,
                   const h5k_fctx *f);
/* The inverse: write an element (h5k_vlen_elem_size(f) bytes at elem). */
void h5k_vlen_put(uint8_t *elem, uint32_t len, uint64_t collection, uint32_t index, const h5k_fctx *f);

#endif
