/* Version 1 B-trees (File Format Specification III.A.1): the index of old-style groups
 * (node type 0, leaves point to symbol table nodes) and of chunked datasets with a version 1-3
 * layout message (node type 1, leaves point to raw chunks). */
#ifndef H5K_FORMAT_BTREE1_H
#define H5K_FORMAT_BTREE1_H

#include <stddef.h>
#include <stdint.h>

#include "format/fctx.h"

enum { H5K_BT1_GROUP = 0, H5K_BT1_CHUNK = 1 };

/* Called for every child pointer of every leaf (level 0) node, left to right, with the keys on
 * either side of it (raw bytes, key_size each; see h5k_bt1_key_size) and the child address.
 * Return 0 to go on, >0 to stop (the value is returned by the walk), <0 to abort with that error. */
typedef int (*h5k_bt1_cb)(void *ud, const uint8_t *left_key, const uint8_t *right_key, size_t key_size,
                          uint64_t child_addr);

/* Walk the tree rooted at root_addr depth-first.
 * node_type 0 (group): key = size-of-lengths heap offset of a name; pass ndims = 0.
 * node_type 1 (chunk): key = 4-byte chunk size + 4-byte filter mask + 8 bytes * ndims offsets,
 *   ndims being the layout message's dimensionality (dataset rank + 1), 1..H5K_MAX_RANK+1.
 * Checks: signatures, node type, each child level = parent level - 1, root level below
 * H5K_MAX_BTREE_DEPTH, entries used <= 2K (when the fctx knows K) and inside the file, and the
 * total bytes of nodes visited at most the file size (a crafted DAG that reuses nodes cannot
 * blow up). Errors: H5K_ECORRUPT, H5K_EIO, H5K_ENOMEM, H5K_EINVAL (bad node_type/ndims), or
 * whatever cb returns. */
int h5k_bt1_iterate(const h5k_fctx *f, uint64_t root_addr, unsigned node_type, unsigned ndims,
                    h5k_bt1_cb cb, void *ud);

/* Bytes in one key for this tree, or 0 if node_type/ndims are invalid. */
size_t h5k_bt1_key_size(const h5k_fctx *f, unsigned node_type, unsigned ndims);

/* One decoded node, for callers that descend by key (group lookup, chunk lookup). */
typedef struct h5k_bt1_node {
  uint64_t addr;
  unsigned type;
  unsigned level;       /* 0 = leaf */
  unsigned nchildren;   /* "entries used" */
  uint64_t left, right; /* sibling addresses (H5K_ADDR_UNDEF when none) */
  size_t key_size;
  uint8_t *keys;        /* (nchildren + 1) * key_size bytes; key i is left of child i (owned) */
  uint64_t *children;   /* nchildren child addresses (owned) */
} h5k_bt1_node;

/* Read and check the node at addr (signature, type == node_type, entries used, range).
 * The level is not checked here: callers compare it with what they expect. */
int h5k_bt1_node_read(h5k_bt1_node *out, const h5k_fctx *f, uint64_t addr, unsigned node_type,
                      unsigned ndims);
void h5k_bt1_node_free(h5k_bt1_node *n);

#endif
