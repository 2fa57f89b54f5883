/* Version 2 B-trees: HDF5 File Format Specification version 3.0, section III.A.2
 * ("Disk Format: Level 1A2 - Version 2 B-trees").
 *
 * Header ("BTHD"), O = size of offsets, L = size of lengths:
 *   off  size  field
 *   0    4     signature "BTHD"
 *   4    1     version (0)
 *   5    1     type (record type, 1..11)
 *   6    4     node size (bytes of every node, internal or leaf)
 *   10   2     record size (bytes of one record)
 *   12   2     depth (0: the root is a leaf)
 *   14   1     split percent
 *   15   1     merge percent
 *   16   O     root node address
 *   16+O 2     number of records in the root node
 *   18+O L     total number of records in the tree
 *   18+O+L 4   checksum (lookup3 of the preceding bytes)
 *
 * Internal node ("BTIN"), nrec records and nrec+1 child pointers:
 *   0    4     signature "BTIN"
 *   4    1     version (0)
 *   5    1     type (same as the header's)
 *   6    R*n   records
 *   ...        per child: address (O) | records in child (W1) | records in child's subtree (W2,
 *              only when the child is itself internal, i.e. this node's depth > 1)
 *   ...  4     checksum of everything above
 * Leaf node ("BTLF"):
 *   0    4     signature "BTLF"; 4: version (0); 5: type; 6: records (R*n); then 4-byte checksum.
 * A node's record count is not stored in the node: it comes from the parent's pointer (or the
 * header for the root). The node occupies `node size` bytes; the checksum follows the used part.
 *
 * The widths W1 and W2 are computed, not stored (spec: "the size of this field is determined
 * by the maximum number of records that can be stored in a child node / child subtree"):
 *   max_nrec[0]   = (node_size - 10) / rec_size                     (10 = sig+ver+type+checksum)
 *   W1            = bytes to encode max_nrec[0] (the leaf count is the largest of all levels)
 *   ptr(d)        = O + W1 + (d > 1 ? bytes to encode cum[d-1] : 0)
 *   max_nrec[d]   = (node_size - 10 - ptr(d)) / (rec_size + ptr(d))
 *   cum[0]        = max_nrec[0];  cum[d] = (max_nrec[d] + 1) * cum[d-1] + max_nrec[d]
 * "bytes to encode x" is floor(log2 x)/8 + 1. Checked against files written by libhdf5 (node
 * size 512, record size 11: 45 / 24 / 22 records at depths 0 / 1 / 2).
 */
#include "format/btree2.h"

#include <stdlib.h>
#include <string.h>

#include "util/checked.h"
#include "util/error.h"

#define BT2_PREFIX 10u /* signature, version, type, checksum */

typedef struct bt2_tree {
  const h5k_fctx *f;
  uint64_t hdr_addr;
  h5k_bt2_hdr h;
  unsigned w_nrec;                              /* W1 */
  unsigned w_total[H5K_MAX_BTREE_DEPTH + 1];    /* bytes to encode cum[d] */
  uint64_t max_nrec[H5K_MAX_BTREE_DEPTH + 1];
  uint64_t cum[H5K_MAX_BTREE_DEPTH + 1];
  uint64_t nodes_left;                          /* visit cap */
  uint64_t seen;                                /* records passed to the callback so far */
  uint64_t path[H5K_MAX_BTREE_DEPTH + 1];       /* addresses of the nodes being visited */
  unsigned path_len;
} bt2_tree;

/* One decoded node: the raw buffer plus where its records and child pointers are. */
typedef struct bt2_node {
  uint8_t *buf;
  size_t nrec;
  const uint8_t *recs;        /* nrec * rec_size bytes inside buf */
  uint64_t *child_addr;       /* nrec + 1 entries for internal nodes */
  uint64_t *child_nrec;
  uint64_t *child_total;
} bt2_node;

static void node_free(bt2_node *n) {
  free(n->buf);
  free(n->child_addr);
  n->buf = NULL;
  n->child_addr = NULL;
}

int h5k_bt2_read_header(h5k_bt2_hdr *out, const h5k_fctx *f, uint64_t addr) {
  uint8_t buf[4 + 1 + 1 + 4 + 2 + 2 + 1 + 1 + 8 + 2 + 8 + 4];
  size_t len = 22u + f->so + f->sl;
  h5k_cur c;
  const uint8_t *sig;
  h5k_bt2_hdr h;
  unsigned version;

  if (len > sizeof buf) return corrupt("v2 B-tree header at address %llu: bad sizes of offsets/lengths",
                                       (unsigned long long)addr);
  TRY(fctx_read(f, addr, buf, len, "v2 B-tree header"));
  cur_init(&c, buf, len);
  sig = rd_ptr(&c, 4);
  if (!sig || memcmp(sig, "BTHD", 4) != 0)
    return corrupt("v2 B-tree header at address %llu: bad signature", (unsigned long long)addr);
  version = rd_u8(&c);
  if (version != 0)
    return corrupt("v2 B-tree header at address %llu: unknown version %u", (unsigned long long)addr, version);
  TRY(fctx_check_sum(buf, len, "v2 B-tree header", addr));
  memset(&h, 0, sizeof h);
  h.type = rd_u8(&c);
  h.node_size = rd_le32(&c);
  h.rec_size = rd_le16(&c);
  h.depth = rd_le16(&c);
  h.split_pct = rd_u8(&c);
  h.merge_pct = rd_u8(&c);
  h.root_addr = rd_addr(&c, f);
  h.root_nrec = rd_le16(&c);
  h.total_nrec = rd_len(&c, f);
  if (c.err) return corrupt("v2 B-tree header at address %llu: truncated", (unsigned long long)addr);

  if (h.type < 1 || h.type > 11)
    return corrupt("v2 B-tree header at address %llu: unknown record type %u", (unsigned long long)addr, h.type);
  if (h.rec_size == 0 || h.node_size < BT2_PREFIX + (uint32_t)h.rec_size || h.node_size > H5K_MAX_BLOCK)
    return corrupt("v2 B-tree header at address %llu: node size %u cannot hold records of %u bytes",
                   (unsigned long long)addr, (unsigned)h.node_size, (unsigned)h.rec_size);
  if (h.depth > H5K_MAX_BTREE_DEPTH)
    return corrupt("v2 B-tree header at address %llu: depth %u exceeds the limit of %d",
                   (unsigned long long)addr, (unsigned)h.depth, H5K_MAX_BTREE_DEPTH);
  if (!addr_defined(h.root_addr)) {
    if (h.total_nrec != 0 || h.root_nrec != 0)
      return corrupt("v2 B-tree header at address %llu: %llu records but no root node",
                     (unsigned long long)addr, (unsigned long long)h.total_nrec);
  } else if (!fctx_range_ok(f, h.root_addr, h.node_size)) {
    return corrupt("v2 B-tree header at address %llu: root node address %llu outside the file",
                   (unsigned long long)addr, (unsigned long long)h.root_addr);
  }
  if (h.total_nrec < h.root_nrec)
    return corrupt("v2 B-tree header at address %llu: %u records in the root but %llu in the tree",
                   (unsigned long long)addr, (unsigned)h.root_nrec, (unsigned long long)h.total_nrec);
  *out = h;
  return 0;
}

/* Read the header and derive the per-level record limits and field widths. */
static int tree_open(bt2_tree *t, const h5k_fctx *f, uint64_t addr, unsigned expect_type) {
  unsigned d;
  memset(t, 0, sizeof *t);
  t->f = f;
  t->hdr_addr = addr;
  TRY(h5k_bt2_read_header(&t->h, f, addr));
  if (expect_type != 0 && t->h.type != expect_type)
    return corrupt("v2 B-tree at address %llu: record type %u where type %u was expected",
                   (unsigned long long)addr, t->h.type, expect_type);

  t->max_nrec[0] = (t->h.node_size - BT2_PREFIX) / t->h.rec_size;
  t->cum[0] = t->max_nrec[0];
  t->w_total[0] = bytes_for(t->cum[0]);
  t->w_nrec = bytes_for(t->max_nrec[0]);
  for (d = 1; d <= t->h.depth; d++) {
    uint64_t ptr = (uint64_t)f->so + t->w_nrec + (d > 1 ? t->w_total[d - 1] : 0);
    uint64_t fixed = BT2_PREFIX + ptr, cum;
    if (t->h.node_size <= fixed || (t->max_nrec[d] = (t->h.node_size - fixed) / (t->h.rec_size + ptr)) == 0)
      return corrupt("v2 B-tree at address %llu: node size %u too small for depth %u",
                     (unsigned long long)addr, (unsigned)t->h.node_size, (unsigned)t->h.depth);
    if (ck_mul64(t->max_nrec[d] + 1, t->cum[d - 1], &cum) || ck_add64(cum, t->max_nrec[d], &cum))
      return corrupt("v2 B-tree at address %llu: depth %u implausible for node size %u",
                     (unsigned long long)addr, (unsigned)t->h.depth, (unsigned)t->h.node_size);
    t->cum[d] = cum;
    t->w_total[d] = bytes_for(cum);
  }
  if (t->h.root_nrec > t->max_nrec[t->h.depth])
    return corrupt("v2 B-tree at address %llu: root holds %u records, more than the %llu that fit",
                   (unsigned long long)addr, (unsigned)t->h.root_nrec,
                   (unsigned long long)t->max_nrec[t->h.depth]);
  /* Nodes are node_size bytes each and do not overlap: more visits than fit in the file means
   * a shared or cyclic structure. */
  t->nodes_left = f->limit / t->h.node_size + 1;
  return 0;
}

/* Read and check the node at `addr` holding `nrec` records, at level `depth` (0 = leaf). */
static int node_read(bt2_node *n, bt2_tree *t, uint64_t addr, unsigned depth, uint64_t nrec) {
  const h5k_fctx *f = t->f;
  const char *what = depth ? "v2 B-tree internal node" : "v2 B-tree leaf node";
  uint64_t ptr = depth ? (uint64_t)f->so + t->w_nrec + (depth > 1 ? t->w_total[depth - 1] : 0) : 0;
  uint64_t used;
  h5k_cur c;
  const uint8_t *sig;
  unsigned version, type, i;
  int rc;

  memset(n, 0, sizeof *n);
  if (t->nodes_left == 0)
    return corrupt("v2 B-tree at address %llu: more nodes than the file can hold (shared or cyclic nodes)",
                   (unsigned long long)t->hdr_addr);
  t->nodes_left--;
  for (i = 0; i < t->path_len; i++)
    if (t->path[i] == addr)
      return corrupt("%s at address %llu: cycle (node is its own ancestor)", what, (unsigned long long)addr);
  if (nrec > t->max_nrec[depth])
    return corrupt("%s at address %llu: %llu records, more than the %llu that fit", what,
                   (unsigned long long)addr, (unsigned long long)nrec, (unsigned long long)t->max_nrec[depth]);
  /* used = prefix + records + pointers; bounded by node_size because nrec <= max_nrec. */
  used = BT2_PREFIX + nrec * t->h.rec_size + (depth ? (nrec + 1) * ptr : 0);
  if (used > t->h.node_size)
    return corrupt("%s at address %llu: contents overflow the node size", what, (unsigned long long)addr);
  TRY(fctx_read_alloc(f, addr, used, &n->buf, what));
  cur_init(&c, n->buf, (size_t)used);
  sig = rd_ptr(&c, 4);
  if (!sig || memcmp(sig, depth ? "BTIN" : "BTLF", 4) != 0) {
    rc = corrupt("%s at address %llu: bad signature", what, (unsigned long long)addr);
    goto done;
  }
  version = rd_u8(&c);
  type = rd_u8(&c);
  if (version != 0) {
    rc = corrupt("%s at address %llu: unknown version %u", what, (unsigned long long)addr, version);
    goto done;
  }
  if (type != t->h.type) {
    rc = corrupt("%s at address %llu: record type %u differs from the header's %u", what,
                 (unsigned long long)addr, type, t->h.type);
    goto done;
  }
  rc = fctx_check_sum(n->buf, (size_t)used, what, addr);
  if (rc < 0) goto done;
  n->nrec = (size_t)nrec;
  n->recs = rd_ptr(&c, n->nrec * t->h.rec_size);
  if (depth) {
    n->child_addr = malloc(3 * (n->nrec + 1) * sizeof(uint64_t));
    if (!n->child_addr) {
      rc = h5k_err_nomem();
      goto done;
    }
    n->child_nrec = n->child_addr + (n->nrec + 1);
    n->child_total = n->child_nrec + (n->nrec + 1);
    for (i = 0; i <= n->nrec; i++) {
      uint64_t a = rd_addr(&c, f), cn = rd_uvar(&c, t->w_nrec);
      uint64_t ct = depth > 1 ? rd_uvar(&c, t->w_total[depth - 1]) : cn;
      if (c.err) break;
      if (!addr_defined(a) || !fctx_range_ok(f, a, t->h.node_size)) {
        rc = corrupt("%s at address %llu: child %u address %llu outside the file", what,
                     (unsigned long long)addr, i, (unsigned long long)a);
        goto done;
      }
      if (cn > t->max_nrec[depth - 1] || ct < cn || ct > t->cum[depth - 1]) {
        rc = corrupt("%s at address %llu: child %u record counts (%llu, %llu) impossible", what,
                     (unsigned long long)addr, i, (unsigned long long)cn, (unsigned long long)ct);
        goto done;
      }
      n->child_addr[i] = a;
      n->child_nrec[i] = cn;
      n->child_total[i] = ct;
    }
  }
  if (c.err) rc = corrupt("%s at address %llu: truncated", what, (unsigned long long)addr);
done:
  if (rc < 0) node_free(n);
  return rc;
}

/* In-order walk of the subtree at addr; `total` is the record count the parent promises for it. */
static int walk(bt2_tree *t, uint64_t addr, unsigned depth, uint64_t nrec, uint64_t total,
                h5k_bt2_cb cb, void *ud) {
  bt2_node n;
  uint64_t start = t->seen;
  size_t i;
  int rc;

  TRY(node_read(&n, t, addr, depth, nrec));
  t->path[t->path_len++] = addr;
  for (i = 0; i <= n.nrec; i++) {
    if (depth) {
      rc = walk(t, n.child_addr[i], depth - 1, n.child_nrec[i], n.child_total[i], cb, ud);
      if (rc != 0) goto done;
    }
    if (i == n.nrec) break;
    if (++t->seen > t->h.total_nrec) {
      rc = corrupt("v2 B-tree at address %llu: more records than the %llu the header declares",
                   (unsigned long long)t->hdr_addr, (unsigned long long)t->h.total_nrec);
      goto done;
    }
    rc = cb(ud, n.recs + i * t->h.rec_size, t->h.rec_size);
    if (rc != 0) goto done;
  }
  rc = 0;
  if (t->seen - start != total)
    rc = corrupt("v2 B-tree node at address %llu: subtree holds %llu records, its parent says %llu",
                 (unsigned long long)addr, (unsigned long long)(t->seen - start), (unsigned long long)total);
done:
  t->path_len--;
  node_free(&n);
  return rc;
}

int h5k_bt2_iterate(const h5k_fctx *f, uint64_t header_addr, unsigned expect_type, h5k_bt2_cb cb, void *ud) {
  bt2_tree *t;
  int rc;
  if (!f || !cb) return h5k_err(H5K_EINVAL, "h5k_bt2_iterate: NULL argument");
  t = malloc(sizeof *t);
  if (!t) return h5k_err_nomem();
  rc = tree_open(t, f, header_addr, expect_type);
  if (rc < 0 || !addr_defined(t->h.root_addr)) goto done;
  rc = walk(t, t->h.root_addr, t->h.depth, t->h.root_nrec, t->h.total_nrec, cb, ud);
done:
  free(t);
  return rc;
}

static int sign_of(int v) { return (v > 0) - (v < 0); }

/* Visit, in key order, every record of the subtree that compares equal to the target. */
static int find_in(bt2_tree *t, uint64_t addr, unsigned depth, uint64_t nrec,
                   int (*cmp)(void *ud, const uint8_t *rec), h5k_bt2_cb found, void *ud) {
  bt2_node n;
  signed char *s = NULL;
  size_t i;
  int rc;

  TRY(node_read(&n, t, addr, depth, nrec));
  t->path[t->path_len++] = addr;
  s = malloc(n.nrec + 1);
  if (!s) {
    rc = h5k_err_nomem();
    goto done;
  }
  for (i = 0; i < n.nrec; i++) {
    s[i] = (signed char)sign_of(cmp(ud, n.recs + i * t->h.rec_size));
    /* Ascending records: "target after rec" (+1) can only be followed by 0 or -1. */
    if (i > 0 && s[i] > s[i - 1]) {
      rc = corrupt("v2 B-tree node at address %llu: records out of order (record %zu)",
                   (unsigned long long)addr, i);
      goto done;
    }
  }
  for (i = 0; i <= n.nrec; i++) {
    /* Child i holds keys between record i-1 and record i. */
    if (depth && (i == 0 || s[i - 1] >= 0) && (i == n.nrec || s[i] <= 0)) {
      rc = find_in(t, n.child_addr[i], depth - 1, n.child_nrec[i], cmp, found, ud);
      if (rc != 0 && rc != H5K_ENOTFOUND) goto done;
    }
    if (i == n.nrec) break;
    if (s[i] == 0) {
      rc = found(ud, n.recs + i * t->h.rec_size, t->h.rec_size);
      if (rc != 0) goto done;
    }
    if (s[i] < 0) break; /* everything further sorts after the target */
  }
  rc = H5K_ENOTFOUND;
done:
  free(s);
  t->path_len--;
  node_free(&n);
  return rc;
}

int h5k_bt2_find(const h5k_fctx *f, uint64_t header_addr, unsigned expect_type,
                 int (*cmp)(void *ud, const uint8_t *rec), h5k_bt2_cb found, void *ud) {
  bt2_tree *t;
  int rc;
  if (!f || !cmp || !found) return h5k_err(H5K_EINVAL, "h5k_bt2_find: NULL argument");
  t = malloc(sizeof *t);
  if (!t) return h5k_err_nomem();
  rc = tree_open(t, f, header_addr, expect_type);
  if (rc < 0) goto done;
  rc = H5K_ENOTFOUND;
  if (addr_defined(t->h.root_addr))
    rc = find_in(t, t->h.root_addr, t->h.depth, t->h.root_nrec, cmp, found, ud);
  if (rc == H5K_ENOTFOUND)
    h5k_err(H5K_ENOTFOUND, "no matching record in the v2 B-tree at address %llu",
            (unsigned long long)header_addr);
done:
  free(t);
  return rc;
}

/* ---- record decoders ------------------------------------------------------------------------- */

int h5k_bt2_decode_link_rec(h5k_bt2_link_rec *out, unsigned type, const uint8_t *rec, size_t rec_size) {
  h5k_cur c;
  memset(out, 0, sizeof *out);
  cur_init(&c, rec, rec_size);
  if (type == H5K_BT2_LINK_NAME) out->hash = rd_le32(&c);
  else if (type == H5K_BT2_LINK_CORDER) out->corder = rd_le64(&c);
  else return h5k_err(H5K_EINVAL, "v2 B-tree record type %u is not a link record", type);
  out->heap_id = rd_ptr(&c, H5K_BT2_LINK_HEAP_ID_LEN);
  if (c.err) return corrupt("v2 B-tree link record (type %u): %zu bytes is too short", type, rec_size);
  return 0;
}

int h5k_bt2_decode_attr_rec(h5k_bt2_attr_rec *out, unsigned type, const uint8_t *rec, size_t rec_size) {
  h5k_cur c;
  memset(out, 0, sizeof *out);
  if (type != H5K_BT2_ATTR_NAME && type != H5K_BT2_ATTR_CORDER)
    return h5k_err(H5K_EINVAL, "v2 B-tree record type %u is not an attribute record", type);
  cur_init(&c, rec, rec_size);
  out->heap_id = rd_ptr(&c, H5K_BT2_ATTR_HEAP_ID_LEN);
  out->msg_flags = rd_u8(&c);
  out->corder = rd_le32(&c);
  if (type == H5K_BT2_ATTR_NAME) out->hash = rd_le32(&c);
  if (c.err) return corrupt("v2 B-tree attribute record (type %u): %zu bytes is too short", type, rec_size);
  return 0;
}
