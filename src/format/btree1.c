/* Version 1 B-trees — File Format Specification III.A.1 "Disk Format: Level 1A1 - Version 1
 * B-trees".
 *
 * Node layout (O = size of offsets, n = entries used):
 *
 *   offset        size      field
 *   0             4         signature "TREE"
 *   4             1         node type (0 = group, 1 = raw data chunk)
 *   5             1         node level (0 = leaf)
 *   6             2         entries used (n)
 *   8             O         address of left sibling (undefined if none)
 *   8+O           O         address of right sibling (undefined if none)
 *   8+2O          ...       key 0, child 0, key 1, child 1, ..., child n-1, key n
 *
 * The node is allocated for 2K children (K from the superblock: group internal node K for type
 * 0, indexed storage K for type 1) but only the first n children and n+1 keys are meaningful, so
 * only those are read.
 *
 * Keys:
 *   type 0: L bytes (size of lengths): offset in the group's local heap of a name. Child i
 *           holds the names greater than key i and not greater than key i+1.
 *   type 1: 4 bytes chunk size in bytes (after filters), 4 bytes filter mask, then one 8-byte
 *           offset per dimension of the layout message (dataset rank + 1; the last is 0).
 *
 * Children: at level 0, the address of a symbol table node (type 0) or a raw chunk (type 1);
 * above, the address of a node whose level is exactly one less.
 */
#include "format/btree1.h"

#include <stdlib.h>
#include <string.h>

#include "util/checked.h"
#include "util/error.h"

size_t h5k_bt1_key_size(const h5k_fctx *f, unsigned node_type, unsigned ndims) {
  if (node_type == H5K_BT1_GROUP) return ndims == 0 ? f->sl : 0;
  if (node_type == H5K_BT1_CHUNK) {
    if (ndims < 1 || ndims > H5K_MAX_RANK + 1) return 0;
    return 8 + 8 * (size_t)ndims;
  }
  return 0;
}

void h5k_bt1_node_free(h5k_bt1_node *n) {
  if (!n) return;
  free(n->keys);
  free(n->children);
  n->keys = NULL;
  n->children = NULL;
  n->nchildren = 0;
}

/* Bytes of a node's used part: header, n children and n+1 keys. */
static uint64_t node_bytes(const h5k_fctx *f, size_t key_size, unsigned n) {
  return 8 + 2 * (uint64_t)f->so + ((uint64_t)n + 1) * key_size + (uint64_t)n * f->so;
}

int h5k_bt1_node_read(h5k_bt1_node *out, const h5k_fctx *f, uint64_t addr, unsigned node_type,
                      unsigned ndims) {
  uint8_t hdr[8 + 2 * 8];
  size_t hdr_len = 8 + 2 * (size_t)f->so;
  size_t key_size = h5k_bt1_key_size(f, node_type, ndims);
  uint8_t *body = NULL;
  uint64_t body_len;
  unsigned type, level, n, k;
  uint8_t sig[4];
  h5k_cur c;
  int rc = 0;

  memset(out, 0, sizeof *out);
  out->addr = addr;
  if (key_size == 0)
    return h5k_err(H5K_EINVAL, "v1 B-tree at address %llu: invalid node type %u / dimensionality %u",
                   (unsigned long long)addr, node_type, ndims);
  if (f->so < 1 || f->so > 8 || f->sl < 1 || f->sl > 8)
    return h5k_err(H5K_EINVAL, "v1 B-tree at address %llu: unsupported offset/length sizes",
                   (unsigned long long)addr);

  TRY(fctx_read(f, addr, hdr, hdr_len, "v1 B-tree node"));
  cur_init(&c, hdr, hdr_len);
  rd_bytes(&c, sig, 4);
  if (memcmp(sig, "TREE", 4) != 0)
    return corrupt("v1 B-tree node at address %llu: bad signature", (unsigned long long)addr);
  type = rd_u8(&c);
  level = rd_u8(&c);
  n = rd_le16(&c);
  out->left = rd_addr(&c, f);
  out->right = rd_addr(&c, f);
  if (c.err) return corrupt("v1 B-tree node at address %llu: truncated header", (unsigned long long)addr);
  if (type != node_type)
    return corrupt("v1 B-tree node at address %llu: node type %u, expected %u", (unsigned long long)addr,
                   type, node_type);
  k = node_type == H5K_BT1_GROUP ? f->btree_k_group : f->btree_k_chunk;
  if (k != 0 && n > 2 * k)
    return corrupt("v1 B-tree node at address %llu: %u entries used, more than 2K = %u",
                   (unsigned long long)addr, n, 2 * k);

  /* Keys and children follow the header; measure before reading. */
  body_len = node_bytes(f, key_size, n) - hdr_len;
  if (!fctx_range_ok(f, addr + hdr_len, body_len))
    return corrupt("v1 B-tree node at address %llu: %u entries (%llu bytes) pass the end of the file",
                   (unsigned long long)addr, n, (unsigned long long)(body_len + hdr_len));
  TRY(fctx_read_alloc(f, addr + hdr_len, body_len, &body, "v1 B-tree node"));

  out->keys = malloc(((size_t)n + 1) * key_size);
  out->children = malloc((n ? n : 1) * sizeof(uint64_t));
  if (!out->keys || !out->children) {
    rc = h5k_err_nomem();
    goto done;
  }
  cur_init(&c, body, (size_t)body_len);
  for (unsigned i = 0; i <= n; i++) {
    rd_bytes(&c, out->keys + (size_t)i * key_size, key_size);
    if (i < n) {
      out->children[i] = rd_addr(&c, f);
      if (!addr_defined(out->children[i]) && !c.err) {
        rc = corrupt("v1 B-tree node at address %llu: child %u has an undefined address",
                     (unsigned long long)addr, i);
        goto done;
      }
    }
  }
  if (c.err) {
    rc = corrupt("v1 B-tree node at address %llu: truncated", (unsigned long long)addr);
    goto done;
  }
  out->type = type;
  out->level = level;
  out->nchildren = n;
  out->key_size = key_size;

done:
  free(body);
  if (rc < 0) h5k_bt1_node_free(out);
  return rc;
}

typedef struct walk {
  const h5k_fctx *f;
  uint64_t root;
  unsigned node_type, ndims;
  uint64_t bytes_seen; /* total bytes of nodes visited: at most the file size */
  h5k_bt1_cb cb;
  void *ud;
} walk;

/* Visit the node at addr; expect_level < 0 for the root (any level below the depth cap). */
static int walk_node(walk *w, uint64_t addr, int expect_level) {
  h5k_bt1_node node;
  int rc;

  rc = h5k_bt1_node_read(&node, w->f, addr, w->node_type, w->ndims);
  if (rc < 0) return rc;
  if (expect_level < 0) {
    if (node.level >= H5K_MAX_BTREE_DEPTH) {
      rc = corrupt("v1 B-tree node at address %llu: root level %u exceeds the depth limit %d",
                   (unsigned long long)addr, node.level, H5K_MAX_BTREE_DEPTH);
      goto done;
    }
  } else if (node.level != (unsigned)expect_level) {
    rc = corrupt("v1 B-tree node at address %llu: level %u, expected %d", (unsigned long long)addr,
                 node.level, expect_level);
    goto done;
  }
  /* In a well-formed tree nodes do not overlap, so the bytes of all nodes visited fit in the file.
   * More means nodes are reused (a DAG); stop before the walk can grow exponentially. */
  w->bytes_seen += node_bytes(w->f, node.key_size, node.nchildren);
  if (w->bytes_seen > w->f->limit) {
    rc = corrupt("v1 B-tree at address %llu: node at address %llu visited after more node bytes than the "
                 "file holds (nodes reused)",
                 (unsigned long long)w->root, (unsigned long long)addr);
    goto done;
  }

  for (unsigned i = 0; i < node.nchildren; i++) {
    if (node.level == 0) {
      rc = w->cb(w->ud, node.keys + (size_t)i * node.key_size, node.keys + (size_t)(i + 1) * node.key_size,
                 node.key_size, node.children[i]);
    } else {
      rc = walk_node(w, node.children[i], (int)node.level - 1);
    }
    if (rc != 0) goto done;
  }
  rc = 0;

done:
  h5k_bt1_node_free(&node);
  return rc;
}

int h5k_bt1_iterate(const h5k_fctx *f, uint64_t root_addr, unsigned node_type, unsigned ndims,
                    h5k_bt1_cb cb, void *ud) {
  walk w;
  if (!f || !cb) return h5k_err(H5K_EINVAL, "v1 B-tree walk: NULL argument");
  if (h5k_bt1_key_size(f, node_type, ndims) == 0)
    return h5k_err(H5K_EINVAL, "v1 B-tree at address %llu: invalid node type %u / dimensionality %u",
                   (unsigned long long)root_addr, node_type, ndims);
  w.f = f;
  w.root = root_addr;
  w.node_type = node_type;
  w.ndims = ndims;
  w.bytes_seen = 0;
  w.cb = cb;
  w.ud = ud;
  return walk_node(&w, root_addr, -1);
}
