/* Old-style groups — File Format Specification III.B "Group Symbol Table Nodes", III.C "Symbol
 * Table Entry", on top of III.A.1 (version 1 B-trees, node type 0) and III.D (local heaps).
 *
 * Symbol Table Entry (O = size of offsets, L = size of lengths):
 *
 *   offset        size  field
 *   0             L     link name offset (into the group's local heap)
 *   L             O     object header address
 *   L+O           4     cache type (0 nothing cached, 1 group B-tree/heap, 2 soft link)
 *   L+O+4         4     reserved
 *   L+O+8         16    scratch pad:
 *                         type 1: address of the group's B-tree (O), of its local heap (O)
 *                         type 2: offset of the soft link value in the local heap (4)
 *                         otherwise unused; always 16 bytes
 *
 * The spec table marks the name offset with O, but the reference library encodes and decodes it
 * with the size of lengths (checked on a file made with offsets 4 / lengths 2: the root entry
 * is 30 bytes). The two sizes differ only in such unusual files.
 *
 * Symbol Table Node ("SNOD"), a leaf of the group B-tree:
 *
 *   offset  size  field
 *   0       4     signature "SNOD"
 *   4       1     version (1)
 *   5       1     reserved
 *   6       2     number of symbols (at most 2 * group leaf node K)
 *   8       ...   entries, sorted by name; the node is allocated for 2K of them
 */
#include "format/symbol_table.h"

#include <stdlib.h>
#include <string.h>

#include "format/btree1.h"
#include "format/local_heap.h"
#include "util/checked.h"
#include "util/error.h"

/* Decode one entry. Errors name the symbol table node and entry index when the entry comes from
 * one (node_addr defined), else the entry's offset in the caller's buffer. */
static int entry_decode(h5k_symentry_raw *out, h5k_cur *c, const h5k_fctx *f, uint64_t node_addr, unsigned idx) {
  size_t start = c->pos;
  h5k_cur pad;
  const uint8_t *scratch;
  const char *problem = NULL;

  out->name_offset = rd_len(c, f);
  out->obj_addr = rd_addr(c, f);
  out->cache_type = rd_le32(c);
  cur_skip(c, 4); /* reserved */
  scratch = rd_ptr(c, 16);
  out->btree_addr = H5K_ADDR_UNDEF;
  out->heap_addr = H5K_ADDR_UNDEF;
  out->soft_offset = 0;
  if (c->err || !scratch) {
    problem = "truncated";
  } else {
    cur_init(&pad, scratch, 16);
    switch (out->cache_type) {
      case H5K_CACHE_NONE:
        break;
      case H5K_CACHE_GROUP:
        out->btree_addr = rd_addr(&pad, f);
        out->heap_addr = rd_addr(&pad, f);
        break;
      case H5K_CACHE_SOFT:
        out->soft_offset = rd_le32(&pad);
        break;
      default:
        problem = "unknown cache type";
    }
    if (pad.err) problem = "scratch pad too small"; /* 2 * O > 16: not for offset sizes <= 8 */
  }
  if (!problem) return 0;
  if (addr_defined(node_addr))
    return corrupt("symbol table node at address %llu: entry %u: %s (cache type %u)",
                   (unsigned long long)node_addr, idx, problem, out->cache_type);
  return corrupt("symbol table entry at buffer offset %zu: %s (cache type %u)", start, problem, out->cache_type);
}

int h5k_symentry_decode(h5k_symentry_raw *out, h5k_cur *c, const h5k_fctx *f) {
  return entry_decode(out, c, f, H5K_ADDR_UNDEF, 0);
}

/* A symbol table node read into memory: the raw entry bytes and their count. */
typedef struct snod {
  uint64_t addr;
  unsigned n;
  uint8_t *buf; /* n entries (owned) */
} snod;

static int snod_read(snod *out, const h5k_fctx *f, uint64_t addr) {
  uint8_t hdr[8];
  uint8_t sig[4];
  unsigned version, n;
  uint64_t len;
  h5k_cur c;

  out->addr = addr;
  out->n = 0;
  out->buf = NULL;
  TRY(fctx_read(f, addr, hdr, sizeof hdr, "symbol table node"));
  cur_init(&c, hdr, sizeof hdr);
  rd_bytes(&c, sig, 4);
  if (memcmp(sig, "SNOD", 4) != 0)
    return corrupt("symbol table node at address %llu: bad signature", (unsigned long long)addr);
  version = rd_u8(&c);
  if (version != 1)
    return corrupt("symbol table node at address %llu: unknown version %u", (unsigned long long)addr, version);
  cur_skip(&c, 1); /* reserved */
  n = rd_le16(&c);
  if (f->sym_leaf_k != 0 && n > 2 * f->sym_leaf_k)
    return corrupt("symbol table node at address %llu: %u symbols, more than 2K = %u", (unsigned long long)addr,
                   n, 2 * f->sym_leaf_k);
  len = (uint64_t)n * h5k_symentry_size(f);
  if (!fctx_range_ok(f, addr + 8, len))
    return corrupt("symbol table node at address %llu: %u symbols pass the end of the file",
                   (unsigned long long)addr, n);
  TRY(fctx_read_alloc(f, addr + 8, len, &out->buf, "symbol table node"));
  out->n = n;
  return 0;
}

/* The NUL-terminated string at `off` in the heap, or NULL (no error set: the caller reports it
 * naming the structure that holds the offset). */
static const char *heap_str(const h5k_lheap *heap, uint64_t off) {
  if (off >= heap->size || !memchr(heap->data + off, 0, (size_t)(heap->size - off))) return NULL;
  return (const char *)heap->data + off;
}

/* Decode entry i of a node into the caller's view (strings borrowed from the heap). */
static int snod_entry(h5k_symentry *out, const snod *s, unsigned i, const h5k_fctx *f, const h5k_lheap *heap) {
  h5k_symentry_raw raw;
  h5k_cur c;
  size_t esize = h5k_symentry_size(f);
  int rc;

  cur_init(&c, s->buf + (size_t)i * esize, esize);
  rc = entry_decode(&raw, &c, f, s->addr, i);
  if (rc < 0) return rc;
  out->name = heap_str(heap, raw.name_offset);
  if (!out->name)
    return corrupt("symbol table node at address %llu: entry %u name offset %llu is not a string in the local "
                   "heap (data at %llu, %llu bytes)",
                   (unsigned long long)s->addr, i, (unsigned long long)raw.name_offset,
                   (unsigned long long)heap->data_addr, (unsigned long long)heap->size);
  out->obj_addr = raw.obj_addr;
  out->cache_type = raw.cache_type;
  out->btree_addr = raw.btree_addr;
  out->heap_addr = raw.heap_addr;
  out->soft_target = raw.cache_type == H5K_CACHE_SOFT ? heap_str(heap, raw.soft_offset) : NULL;
  if (raw.cache_type == H5K_CACHE_SOFT && !out->soft_target)
    return corrupt("symbol table node at address %llu: entry %u soft link value offset %u is not a string in "
                   "the local heap",
                   (unsigned long long)s->addr, i, raw.soft_offset);
  return 0;
}

typedef struct iter {
  const h5k_fctx *f;
  const h5k_lheap *heap;
  const char *prev; /* last name reported (borrowed from the heap) or NULL */
  h5k_symtab_cb cb;
  void *ud;
} iter;

static int iter_leaf(void *ud, const uint8_t *left_key, const uint8_t *right_key, size_t key_size,
                     uint64_t child_addr) {
  iter *it = ud;
  snod s;
  h5k_symentry e;
  int rc;

  rc = snod_read(&s, it->f, child_addr);
  if (rc < 0) return rc;
  for (unsigned i = 0; i < s.n; i++) {
    rc = snod_entry(&e, &s, i, it->f, it->heap);
    if (rc < 0) goto done;
    if (it->prev && strcmp(it->prev, e.name) >= 0) {
      rc = corrupt("symbol table node at address %llu: entry %u name \"%.64s\" does not follow \"%.64s\" "
                   "in name order",
                   (unsigned long long)s.addr, i, e.name, it->prev);
      goto done;
    }
    it->prev = e.name;
    rc = it->cb(it->ud, &e);
    if (rc != 0) goto done;
  }
  rc = 0;
done:
  free(s.buf);
  return rc;
}

int h5k_symtab_iterate(const h5k_fctx *f, uint64_t btree_addr, uint64_t heap_addr, h5k_symtab_cb cb,
                       void *ud) {
  h5k_lheap heap;
  iter it;
  int rc;

  if (!f || !cb) return h5k_err(H5K_EINVAL, "symbol table iteration: NULL argument");
  rc = h5k_lheap_read(&heap, f, heap_addr);
  if (rc < 0) return rc;
  it.f = f;
  it.heap = &heap;
  it.prev = NULL;
  it.cb = cb;
  it.ud = ud;
  rc = h5k_bt1_iterate(f, btree_addr, H5K_BT1_GROUP, 0, iter_leaf, &it);
  h5k_lheap_free(&heap);
  return rc;
}

/* Name stored at a group B-tree key (the key is a heap offset). */
static int key_name(const char **out, const h5k_bt1_node *node, unsigned i, const h5k_fctx *f,
                    const h5k_lheap *heap) {
  h5k_cur c;
  uint64_t off;
  cur_init(&c, node->keys + (size_t)i * node->key_size, node->key_size);
  off = rd_len(&c, f);
  *out = heap_str(heap, off);
  if (!*out)
    return corrupt("v1 B-tree node at address %llu: key %u heap offset %llu is not a string in the local heap",
                   (unsigned long long)node->addr, i, (unsigned long long)off);
  return 0;
}

/* Index of the child of `node` that may hold `name` (left key < name <= right key), or
 * node->nchildren when none can. Keys are in increasing order in a valid tree; if they are
 * not, the search just fails to find the name. */
static int pick_child(unsigned *out, const h5k_bt1_node *node, const char *name, const h5k_fctx *f,
                      const h5k_lheap *heap) {
  unsigned lo = 0, hi = node->nchildren;
  const char *k;
  while (lo < hi) {
    unsigned mid = lo + (hi - lo) / 2;
    TRY(key_name(&k, node, mid + 1, f, heap));
    if (strcmp(name, k) <= 0) hi = mid;
    else lo = mid + 1;
  }
  if (lo < node->nchildren) {
    TRY(key_name(&k, node, lo, f, heap));
    if (strcmp(name, k) <= 0) lo = node->nchildren; /* not above the left key: absent */
  }
  *out = lo;
  return 0;
}

int h5k_symtab_find(const h5k_fctx *f, uint64_t btree_addr, uint64_t heap_addr, const char *name,
                    h5k_symtab_cb cb, void *ud) {
  h5k_lheap heap;
  h5k_bt1_node node;
  uint64_t addr = btree_addr;
  int expect_level = -1;
  snod s;
  h5k_symentry e;
  int rc;

  if (!f || !name) return h5k_err(H5K_EINVAL, "symbol table lookup: NULL argument");
  memset(&node, 0, sizeof node);
  s.buf = NULL;
  rc = h5k_lheap_read(&heap, f, heap_addr);
  if (rc < 0) return rc;

  /* Descend: each step goes one level down, so at most H5K_MAX_BTREE_DEPTH nodes are read. */
  for (;;) {
    unsigned idx;
    rc = h5k_bt1_node_read(&node, f, addr, H5K_BT1_GROUP, 0);
    if (rc < 0) goto done;
    if (expect_level < 0 && node.level >= H5K_MAX_BTREE_DEPTH) {
      rc = corrupt("v1 B-tree node at address %llu: root level %u exceeds the depth limit %d",
                   (unsigned long long)addr, node.level, H5K_MAX_BTREE_DEPTH);
      goto done;
    }
    if (expect_level >= 0 && node.level != (unsigned)expect_level) {
      rc = corrupt("v1 B-tree node at address %llu: level %u, expected %d", (unsigned long long)addr,
                   node.level, expect_level);
      goto done;
    }
    rc = pick_child(&idx, &node, name, f, &heap);
    if (rc < 0) goto done;
    if (idx >= node.nchildren) {
      rc = h5k_err(H5K_ENOTFOUND, "\"%.200s\" not found in the group (B-tree at address %llu)", name,
                   (unsigned long long)btree_addr);
      goto done;
    }
    addr = node.children[idx];
    expect_level = (int)node.level - 1;
    h5k_bt1_node_free(&node);
    if (expect_level < 0) break; /* addr is a symbol table node */
  }

  rc = snod_read(&s, f, addr);
  if (rc < 0) goto done;
  for (unsigned i = 0; i < s.n; i++) {
    rc = snod_entry(&e, &s, i, f, &heap);
    if (rc < 0) goto done;
    if (strcmp(e.name, name) == 0) {
      rc = cb ? cb(ud, &e) : 0;
      goto done;
    }
  }
  rc = h5k_err(H5K_ENOTFOUND, "\"%.200s\" not found in the group (B-tree at address %llu)", name,
               (unsigned long long)btree_addr);

done:
  free(s.buf);
  h5k_bt1_node_free(&node);
  h5k_lheap_free(&heap);
  return rc;
}
