/* Symbol-table group builder — HDF5 File Format Specification 3.0: III.D "Local Heaps",
 * III.A.1 "Version 1 B-trees" (node type 0), III.B "Symbol Table Nodes", III.C "Symbol Table
 * Entry". (O = size of offsets, L = size of lengths; sizes below for O = L = 8.)
 *
 * Local heap header (32)           Data segment (follows the header)
 *   0 4 "HEAP"                       offset 0: "" (8 zero bytes), then NUL-terminated names at
 *   4 1 version (0)                  offsets that are multiples of 8, then one free block:
 *   5 3 reserved                       next free block offset (L; 1 = none, as libhdf5 writes)
 *   8 L data segment size              size of this free block (L, >= 2L)
 *   . L free-list head offset (1 = none)
 *   . O data segment address
 *
 * v1 B-tree node, type 0 (full size: 8 + 2O + 2K x O + (2K+1) x L = 544 with K = 16)
 *   0 4 "TREE"  4 1 node type (0)  5 1 level (0 = leaf)  6 2 entries used
 *   8 O left sibling  . O right sibling (UNDEF at the ends of a level)
 *   . key 0, child 0, key 1, child 1, ..., key N    (unused slots zero)
 *   Group keys are heap offsets of names: key i < every name under child i <= key i+1; the
 *   leftmost key of the tree is "" (offset 0), every other key the last name under its left child.
 *
 * Symbol table node (full size: 8 + 2 x leaf K x entry = 328 with leaf K = 4)
 *   0 4 "SNOD"  4 1 version (1)  5 1 reserved  6 2 number of symbols  8 entries (unused zero)
 * Symbol table entry (40): name offset (L), object header address (O), cache type (4),
 *   reserved (4), scratch pad (16): cache 1 = B-tree address (O) + local heap address (O) of a
 *   group; cache 2 = offset of a soft link's value in the local heap (4).
 *
 * Run laid out as: heap header, heap data, B-tree nodes (root level first), symbol table nodes.
 * libhdf5 fills nodes by splitting (often half full); this builder spreads entries evenly over
 * the fewest nodes, which any reader (and libhdf5 when it later inserts) accepts. */
#include "format/encode.h"

#include <stdlib.h>
#include <string.h>

#include "format/symbol_table.h"
#include "util/checked.h"
#include "util/error.h"

#define HEAP_FREE_NULL 1 /* "no free block", as libhdf5 writes it */
#define HEAP_MIN_DATA 88 /* libhdf5's data segment for a new group (8 bytes used, 80 free) */

static size_t align8(size_t n) { return (n + 7) & ~(size_t)7; }

static size_t lheap_hdr_size(const h5k_fctx *f) { return 8 + 2 * (size_t)f->sl + f->so; }

/* Data segment size for strings of these lengths (0 on overflow). */
static size_t lheap_data_size(const h5k_fctx *f, const char *const *strs, size_t n, size_t min_data, size_t *used_out) {
  size_t used = 8, size;
  for (size_t i = 0; i < n; i++) {
    size_t s = strlen(strs[i]);
    if (s > SIZE_MAX / 2 || ck_addsz(used, align8(s + 1), &used)) return 0;
  }
  size = align8(min_data > used ? min_data : used);
  /* A tail too short for a free block header would be lost space: round it out to one. */
  if (size > used && size - used < 2 * (size_t)f->sl) size = used + 2 * (size_t)f->sl;
  *used_out = used;
  return size;
}

int h5k_lheap_build(h5k_wbuf *w, uint64_t base, const h5k_fctx *f, const char *const *strs, size_t n,
                    size_t min_data, uint64_t *offsets) {
  size_t used, size, pos;
  if (!w || !f || (n && !strs)) return h5k_err(H5K_EINVAL, "build local heap: NULL argument");
  for (size_t i = 0; i < n; i++) {
    if (!strs[i]) return h5k_err(H5K_EINVAL, "build local heap: string %zu is NULL", i);
  }
  size = lheap_data_size(f, strs, n, min_data, &used);
  if (size == 0) return h5k_err(H5K_EINVAL, "build local heap: strings too large");
  wr_bytes(w, "HEAP", 4);
  wr_u8(w, 0);
  wr_zero(w, 3);
  wr_len(w, f, size);
  wr_len(w, f, size > used ? used : HEAP_FREE_NULL);
  wr_addr(w, f, base + lheap_hdr_size(f));
  wr_zero(w, 8); /* offset 0: the empty string */
  pos = 8;
  for (size_t i = 0; i < n; i++) {
    size_t s = strlen(strs[i]);
    if (offsets) offsets[i] = pos;
    wr_bytes(w, strs[i], s);
    wr_zero(w, align8(s + 1) - s);
    pos += align8(s + 1);
  }
  if (size > used) {
    wr_len(w, f, HEAP_FREE_NULL);
    wr_len(w, f, size - used);
    wr_zero(w, size - used - 2 * (size_t)f->sl);
  }
  return wbuf_status(w);
}

/* One B-tree node being laid out: children [first, first + count) of the level below. */
typedef struct bt_node {
  size_t first, count;
  uint64_t key0, key_last; /* heap offsets: left key, right key */
} bt_node;

/* Split `total` items into `groups` runs as evenly as possible: run g starts at g*total/groups. */
static size_t run_start(size_t g, size_t total, size_t groups) {
  return (size_t)(((unsigned long long)g * total) / groups);
}

int h5k_symtab_build(h5k_wbuf *w, uint64_t base, const h5k_fctx *f, const h5k_symtab_entry *e, size_t n,
                     uint64_t *btree_addr, uint64_t *heap_addr) {
  unsigned leaf_k, node_k, nlevels = 0;
  size_t nsnod, snod_cap, node_cap, entry_size, snod_size, node_size, heap_size, used, nstr = 0;
  size_t level_count[H5K_MAX_BTREE_DEPTH], level_first[H5K_MAX_BTREE_DEPTH], total_nodes = 0;
  const char **strs = NULL;
  uint64_t *offs = NULL, *snod_last = NULL;
  bt_node *nodes = NULL;
  uint64_t heap_base, btree_base, snod_base;
  int rc = 0;

  if (!w || !f || (n && !e)) return h5k_err(H5K_EINVAL, "build symbol table: NULL argument");
  leaf_k = f->sym_leaf_k ? f->sym_leaf_k : 4;
  node_k = f->btree_k_group ? f->btree_k_group : 16;
  snod_cap = 2 * (size_t)leaf_k;
  node_cap = 2 * (size_t)node_k;
  if (snod_cap > 0xffff || node_cap > 0xffff) return h5k_err(H5K_EINVAL, "build symbol table: K too large");
  for (size_t i = 0; i < n; i++) {
    if (!e[i].name || !*e[i].name) return h5k_err(H5K_EINVAL, "build symbol table: entry %zu has no name", i);
    if (e[i].cache_type > 2 || (e[i].cache_type == 2 && !e[i].soft_target))
      return h5k_err(H5K_EINVAL, "build symbol table: entry \"%s\" cache type %u", e[i].name, e[i].cache_type);
    if (i > 0 && strcmp(e[i - 1].name, e[i].name) >= 0)
      return h5k_err(H5K_EINVAL, "build symbol table: names not in increasing order (\"%s\", \"%s\")", e[i - 1].name,
                     e[i].name);
  }
  entry_size = h5k_symentry_size(f);
  snod_size = 8 + snod_cap * entry_size;
  node_size = 8 + 2 * (size_t)f->so + node_cap * f->so + (node_cap + 1) * f->sl;

  /* Heap strings: names, then soft link values. */
  strs = malloc((2 * n + 1) * sizeof *strs);
  offs = malloc((2 * n + 1) * sizeof *offs);
  if (!strs || !offs) {
    rc = h5k_err_nomem();
    goto done;
  }
  for (size_t i = 0; i < n; i++) strs[nstr++] = e[i].name;
  for (size_t i = 0; i < n; i++) {
    if (e[i].cache_type == 2) strs[nstr++] = e[i].soft_target;
  }
  heap_size = lheap_data_size(f, strs, nstr, HEAP_MIN_DATA, &used);
  if (heap_size == 0) {
    rc = h5k_err(H5K_EINVAL, "build symbol table: names too large");
    goto done;
  }

  /* Levels: SNODs, then B-tree levels until one node remains. */
  nsnod = (n + snod_cap - 1) / snod_cap;
  {
    size_t below = nsnod;
    do {
      size_t cnt = below == 0 ? 1 : (below + node_cap - 1) / node_cap;
      if (nlevels >= H5K_MAX_BTREE_DEPTH) {
        rc = h5k_err(H5K_EINVAL, "build symbol table: tree too deep");
        goto done;
      }
      level_count[nlevels++] = cnt;
      total_nodes += cnt;
      below = cnt;
    } while (below > 1);
  }
  nodes = calloc(total_nodes, sizeof *nodes);
  snod_last = calloc(nsnod ? nsnod : 1, sizeof *snod_last);
  if (!nodes || !snod_last) {
    rc = h5k_err_nomem();
    goto done;
  }

  heap_base = base;
  btree_base = heap_base + lheap_hdr_size(f) + heap_size;
  snod_base = btree_base + (uint64_t)total_nodes * node_size;
  /* Node index in `nodes` / file order: root level first. level_first[l] for level l (0 = leaves). */
  {
    size_t idx = 0;
    for (unsigned l = nlevels; l-- > 0;) {
      level_first[l] = idx;
      idx += level_count[l];
    }
  }

  /* Heap (also gives the name offsets). */
  rc = h5k_lheap_build(w, heap_base, f, strs, nstr, HEAP_MIN_DATA, offs);
  if (rc < 0) goto done;

  /* SNOD i holds entries [run_start(i), run_start(i+1)); its right key is its last name. */
  for (size_t s = 0; s < nsnod; s++) snod_last[s] = offs[run_start(s + 1, n, nsnod) - 1];

  /* Fill keys level by level from the leaves up. */
  for (unsigned l = 0; l < nlevels; l++) {
    size_t below = l == 0 ? nsnod : level_count[l - 1];
    for (size_t j = 0; j < level_count[l]; j++) {
      bt_node *nd = &nodes[level_first[l] + j];
      nd->first = below ? run_start(j, below, level_count[l]) : 0;
      nd->count = below ? run_start(j + 1, below, level_count[l]) - nd->first : 0;
      if (l == 0) {
        nd->key0 = nd->first == 0 ? 0 : snod_last[nd->first - 1];
        nd->key_last = nd->count ? snod_last[nd->first + nd->count - 1] : 0;
      } else {
        nd->key0 = nodes[level_first[l - 1] + nd->first].key0;
        nd->key_last = nodes[level_first[l - 1] + nd->first + nd->count - 1].key_last;
      }
    }
  }

  /* B-tree nodes, root level first. */
  for (unsigned l = nlevels; l-- > 0;) {
    for (size_t j = 0; j < level_count[l]; j++) {
      const bt_node *nd = &nodes[level_first[l] + j];
      size_t start = w->len;
      wr_bytes(w, "TREE", 4);
      wr_u8(w, 0);
      wr_u8(w, l);
      wr_le16(w, nd->count);
      wr_addr(w, f, j == 0 ? H5K_ADDR_UNDEF : btree_base + (uint64_t)(level_first[l] + j - 1) * node_size);
      wr_addr(w, f, j + 1 == level_count[l] ? H5K_ADDR_UNDEF
                                            : btree_base + (uint64_t)(level_first[l] + j + 1) * node_size);
      for (size_t c = 0; c < nd->count; c++) {
        size_t child = nd->first + c;
        uint64_t key, addr;
        if (l == 0) {
          key = child == 0 ? 0 : snod_last[child - 1];
          addr = snod_base + (uint64_t)child * snod_size;
        } else {
          key = nodes[level_first[l - 1] + child].key0;
          addr = btree_base + (uint64_t)(level_first[l - 1] + child) * node_size;
        }
        wr_len(w, f, key);
        wr_addr(w, f, addr);
      }
      wr_len(w, f, nd->count ? nd->key_last : 0);
      wr_zero(w, node_size - (w->len - start));
    }
  }

  /* Symbol table nodes. */
  {
    size_t soft_i = n; /* soft link values follow the names in the heap */
    for (size_t s = 0; s < nsnod; s++) {
      size_t a = run_start(s, n, nsnod), b = run_start(s + 1, n, nsnod), start = w->len;
      wr_bytes(w, "SNOD", 4);
      wr_u8(w, 1);
      wr_u8(w, 0);
      wr_le16(w, b - a);
      for (size_t i = a; i < b; i++) {
        wr_len(w, f, offs[i]);
        wr_addr(w, f, e[i].cache_type == 2 ? H5K_ADDR_UNDEF : e[i].obj_addr);
        wr_le32(w, e[i].cache_type);
        wr_le32(w, 0);
        if (e[i].cache_type == 1) {
          wr_addr(w, f, e[i].btree_addr);
          wr_addr(w, f, e[i].heap_addr);
          wr_zero(w, 16 - 2 * (size_t)f->so);
        } else if (e[i].cache_type == 2) {
          wr_le32(w, offs[soft_i++]);
          wr_zero(w, 12);
        } else {
          wr_zero(w, 16);
        }
      }
      wr_zero(w, snod_size - (w->len - start));
    }
  }
  if (btree_addr) *btree_addr = btree_base; /* the root is the first node */
  if (heap_addr) *heap_addr = heap_base;
  rc = wbuf_status(w);
done:
  free(strs);
  free(offs);
  free(nodes);
  free(snod_last);
  return rc;
}
