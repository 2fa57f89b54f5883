/* Dense storage builders: the fractal heap (III.G) and v2 B-tree indexes (III.A.2, record types
 * 5/6 for links, 8/9 for attributes) that hold a group's links or an object's attributes once
 * they no longer fit in the object header. The reading side is fractal_heap.h / btree2.h.
 *
 * The builder lays out everything as ONE contiguous run of bytes appended to a write buffer, to be
 * stored at file address `base`; the number of bytes does not depend on `base` (build once to
 * measure, allocate, build again at the real address). Objects are placed into the heap the way
 * libhdf5 places them when they are inserted in the given order (its doubling-table iterator and
 * best-fit reuse of free space), so a heap filled in creation order matches libhdf5's blocks.
 * No free-space manager is written (the header's free-space address is undefined).
 * Thread safety: pure function of its arguments. */
#ifndef H5K_FORMAT_DENSE_BUILD_H
#define H5K_FORMAT_DENSE_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "format/fctx.h"
#include "util/wbuf.h"

typedef struct h5k_dense_rec {
  const uint8_t *msg; /* encoded link or attribute message (borrowed) */
  size_t len;         /* its length in bytes (> 0) */
  const char *name;   /* link / attribute name (hashed for the name index) */
  int64_t corder;     /* creation order (links: 8 bytes; attributes: 4 bytes, libhdf5 stores
                         65535 when creation order is not tracked) */
  unsigned flags;     /* attributes: the message flags stored in the index records */
} h5k_dense_rec;

/* Heap creation parameters libhdf5 uses (checked against its files with h5debug). */
enum {
  H5K_DENSE_HEAP_WIDTH = 4,
  H5K_DENSE_HEAP_MAX_DIRECT = 65536,
  H5K_DENSE_HEAP_MAX_MAN = 4096, /* bigger objects are "huge" (own file space, huge-object B-tree) */
  H5K_DENSE_BT2_NODE_SIZE = 512
};

/* Append a fractal heap holding recs[0..n) (inserted in that order, which should be creation
 * order), its huge objects and huge-object B-tree if any, the name index (type 5 links / 8
 * attributes, ordered by lookup3 hash of the name, then name) and, when index_corder, the
 * creation-order index (6 / 9). Outputs are file addresses inside the run; *corder_bt2_addr is
 * H5K_ADDR_UNDEF when not indexed. n may be 0 (empty heap and empty trees).
 * Errors: H5K_EINVAL (NULL arguments, empty message, duplicate name, duplicate creation order
 * when indexed, sizes of offsets/lengths other than 2/4/8), H5K_ELIMIT (more objects than the
 * heap's address space holds), H5K_ENOMEM. On error w may hold a partial run. */
int h5k_dense_build(h5k_wbuf *w, uint64_t base, const h5k_fctx *f, int attrs, int index_corder,
                    const h5k_dense_rec *recs, size_t n, uint64_t *fheap_addr, uint64_t *name_bt2_addr,
                    uint64_t *corder_bt2_addr);

#endif
