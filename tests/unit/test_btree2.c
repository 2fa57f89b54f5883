/* v2 B-trees (format/btree2.c): hand-made trees in memory, real trees written by libhdf5 through
 * h5py (a group of 2000 links: name index, depth 2; a creation-ordered group: type 6), and
 * corrupted copies of them. Expected names come from h5py's own listing. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/btree2.h"
#include "format/fractal_heap.h"
#include "util/error.h"
#include "util/lookup3.h"
#include "testutil.h"

/* ---- hand-made tree: header at 0, one leaf at 64 holding three type-5 records ------------------ */

enum { HDR_LEN = 22 + 8 + 8, LEAF_AT = 64, NODE = 128 };

static size_t build_leaf_tree(uint8_t *buf, unsigned nrec) {
  uint8_t *h = buf, *l = buf + LEAF_AT;
  memset(buf, 0, LEAF_AT + NODE);
  memcpy(h, "BTHD", 4);
  h[5] = 5;
  put_le(h + 6, NODE, 4);
  put_le(h + 10, 11, 2);
  put_le(h + 12, 0, 2);  /* depth */
  h[14] = 100;
  h[15] = 40;
  put_le(h + 16, LEAF_AT, 8);
  put_le(h + 24, nrec, 2);
  put_le(h + 26, nrec, 8);
  fix_sum(h, HDR_LEN);
  memcpy(l, "BTLF", 4);
  l[5] = 5;
  for (unsigned i = 0; i < nrec; i++) {
    put_le(l + 6 + 11 * i, 1000u * (i + 1), 4); /* ascending hashes */
    l[6 + 11 * i + 4] = (uint8_t)i;             /* first byte of the heap ID: our marker */
  }
  fix_sum(l, 6 + 11 * nrec + 4);
  return LEAF_AT + NODE;
}

typedef struct collect {
  unsigned n;
  uint32_t hash[64];
  int stop_at;
} collect;

static int collect_cb(void *ud, const uint8_t *rec, size_t rec_size) {
  collect *c = ud;
  h5k_bt2_link_rec r;
  int rc = h5k_bt2_decode_link_rec(&r, 5, rec, rec_size);
  if (rc < 0) return rc;
  if (c->n < 64) c->hash[c->n] = r.hash;
  c->n++;
  return c->stop_at && (int)c->n == c->stop_at ? 7 : 0;
}

static int cmp_hash(void *ud, const uint8_t *rec) {
  uint32_t want = *(const uint32_t *)ud, have = (uint32_t)get_le(rec, 4);
  return want < have ? -1 : want > have;
}
static int found_marker(void *ud, const uint8_t *rec, size_t rec_size) {
  (void)ud;
  CHECK_EQ_U(rec_size, 11);
  return 100 + rec[4];
}

static void test_hand_made(void) {
  uint8_t buf[LEAF_AT + NODE], bad[LEAF_AT + NODE];
  size_t len = build_leaf_tree(buf, 3);
  h5k_fctx f;
  h5k_bt2_hdr hd;
  collect c;
  uint32_t key;

  fctx_mem(&f, buf, len);
  CHECK_EQ_U(h5k_bt2_read_header(&hd, &f, 0), 0);
  CHECK_EQ_U(hd.type, 5);
  CHECK_EQ_U(hd.node_size, NODE);
  CHECK_EQ_U(hd.rec_size, 11);
  CHECK_EQ_U(hd.depth, 0);
  CHECK_EQ_U(hd.root_addr, LEAF_AT);
  CHECK_EQ_U(hd.root_nrec, 3);
  CHECK_EQ_U(hd.total_nrec, 3);

  memset(&c, 0, sizeof c);
  CHECK_EQ_U(h5k_bt2_iterate(&f, 0, 5, collect_cb, &c), 0);
  CHECK_EQ_U(c.n, 3);
  CHECK_EQ_U(c.hash[0], 1000);
  CHECK_EQ_U(c.hash[2], 3000);
  memset(&c, 0, sizeof c);
  c.stop_at = 2;
  CHECK_EQ_U(h5k_bt2_iterate(&f, 0, 0, collect_cb, &c), 7);
  CHECK_EQ_U(c.n, 2);
  CHECK(h5k_bt2_iterate(&f, 0, 8, collect_cb, &c) == H5K_ECORRUPT);

  key = 2000;
  CHECK_EQ_U(h5k_bt2_find(&f, 0, 5, cmp_hash, found_marker, &key), 101);
  key = 2500;
  CHECK(h5k_bt2_find(&f, 0, 5, cmp_hash, found_marker, &key) == H5K_ENOTFOUND);
  key = 1;
  CHECK(h5k_bt2_find(&f, 0, 5, cmp_hash, found_marker, &key) == H5K_ENOTFOUND);
  h5k_io_close(f.io);

  /* Corruptions, each on a fresh copy. */
  struct { const char *what; size_t at; uint8_t val; int refix_hdr, refix_leaf; } cases[] = {
      {"header signature", 0, 'X', 1, 0},
      {"header checksum", HDR_LEN - 1, 0x55, 0, 0},
      {"header version", 4, 1, 1, 0},
      {"header record type 0", 5, 0, 1, 0},
      {"depth 65", 12, 65, 1, 0},
      {"record size 0", 10, 0, 1, 0},
      {"leaf signature", LEAF_AT, 'X', 0, 1},
      {"leaf type", LEAF_AT + 5, 6, 0, 1},
      {"leaf checksum", LEAF_AT + 8, 0x77, 0, 0},
      {"root outside file", 16 + 2, 0x10, 1, 0},
      {"total records short", 26, 2, 1, 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int rc;
    memcpy(bad, buf, len);
    if (cases[i].at == 10) put_le(bad + 10, 0, 2);
    else bad[cases[i].at] = cases[i].val;
    if (cases[i].refix_hdr) fix_sum(bad, HDR_LEN);
    if (cases[i].refix_leaf) fix_sum(bad + LEAF_AT, 6 + 33 + 4);
    fctx_mem(&f, bad, len);
    memset(&c, 0, sizeof c);
    rc = h5k_bt2_iterate(&f, 0, 5, collect_cb, &c);
    if (rc != H5K_ECORRUPT) fprintf(stderr, "case '%s': rc %d (%s)\n", cases[i].what, rc, h5k_error_last());
    CHECK(rc == H5K_ECORRUPT);
    CHECK(strlen(h5k_error_last()) > 10);
    h5k_io_close(f.io);
  }

  /* A truncated image: the leaf is cut off. */
  fctx_mem(&f, buf, LEAF_AT + 20);
  CHECK(h5k_bt2_iterate(&f, 0, 5, collect_cb, &c) == H5K_ECORRUPT);
  h5k_io_close(f.io);
  /* Too many records for the node size. */
  memcpy(bad, buf, len);
  put_le(bad + 24, 11, 2); /* (128 - 10) / 11 = 10 fit */
  put_le(bad + 26, 11, 8);
  fix_sum(bad, HDR_LEN);
  fctx_mem(&f, bad, len);
  CHECK(h5k_bt2_iterate(&f, 0, 5, collect_cb, &c) == H5K_ECORRUPT);
  h5k_io_close(f.io);
  /* Out-of-order records are reported by find. */
  memcpy(bad, buf, len);
  put_le(bad + LEAF_AT + 6, 5000, 4);
  fix_sum(bad + LEAF_AT, 6 + 33 + 4);
  fctx_mem(&f, bad, len);
  key = 2000;
  CHECK(h5k_bt2_find(&f, 0, 5, cmp_hash, found_marker, &key) == H5K_ECORRUPT);
  h5k_io_close(f.io);
}

/* ---- real files -------------------------------------------------------------------------------- */

static const char *gen_script =
    "import sys, os, h5py, numpy as np\n"
    "d = sys.argv[1]\n"
    "p = os.path.join(d, 'links.h5')\n"
    "with h5py.File(p, 'w', libver='latest') as f:\n"
    "    t = f.create_dataset('t', data=0)\n"
    "    g = f.create_group('g')\n"
    "    for i in range(2000): g['link%04d' % i] = t\n"
    "    o = f.create_group('o', track_order=True)\n"
    "    for i in range(2000): o['x%d' % (1999 - i)] = t\n"
    "b = open(p, 'rb').read()\n"
    "def msgs(a):\n"
    "    assert b[a:a+4] == b'OHDR'\n"
    "    fl = b[a+5]; q = a + 6\n"
    "    if fl & 0x20: q += 16\n"
    "    if fl & 0x10: q += 4\n"
    "    n = 1 << (fl & 3); size = int.from_bytes(b[q:q+n], 'little'); q += n; end = q + size\n"
    "    while q + 4 <= end:\n"
    "        t = b[q]; sz = int.from_bytes(b[q+1:q+3], 'little'); q += 4 + (2 if fl & 4 else 0)\n"
    "        yield t, b[q:q+sz]; q += sz\n"
    "man = open(os.path.join(d, 'manifest.txt'), 'w')\n"
    "with h5py.File(p, 'r') as f:\n"
    "    for name in ['g', 'o']:\n"
    "        a = h5py.h5o.get_info(f[name].id).addr\n"
    "        li = [m for t, m in msgs(a) if t == 2][0]\n"
    "        q = 2 + (8 if li[1] & 1 else 0)\n"
    "        v = [int.from_bytes(li[q+8*k:q+8*k+8], 'little') for k in range(3 if li[1] & 2 else 2)]\n"
    "        if len(v) == 2: v.append(2**64 - 1)\n"
    "        man.write('%s %d %d %d\\n' % (name, v[0], v[1], v[2]))\n"
    "        with open(os.path.join(d, name + '.names'), 'w') as nf:\n"
    "            for n in f[name]: nf.write(n + '\\n')\n";

/* Link message (spec IV.A.2.g), only as far as the name. */
static int link_name(char *out, size_t outsz, const uint8_t *m, size_t len) {
  size_t q = 2, nlen;
  unsigned fl;
  if (len < 3 || m[0] != 1) return -1;
  fl = m[1];
  if (fl & 8) q += 1;
  if (fl & 4) q += 8;
  if (fl & 16) q += 1;
  if (q + (1u << (fl & 3)) > len) return -1;
  nlen = (size_t)get_le(m + q, 1u << (fl & 3));
  q += 1u << (fl & 3);
  if (nlen >= outsz || q + nlen > len) return -1;
  memcpy(out, m + q, nlen);
  out[nlen] = 0;
  return 0;
}

typedef struct walk_ud {
  const h5k_fheap *heap;
  unsigned type;
  char **names;
  size_t n, cap;
  uint64_t last_key;
  int order_ok;
} walk_ud;

static int walk_cb(void *ud, const uint8_t *rec, size_t rec_size) {
  walk_ud *w = ud;
  h5k_bt2_link_rec r;
  uint8_t *obj;
  size_t len;
  char name[256];
  uint64_t key;
  int rc = h5k_bt2_decode_link_rec(&r, w->type, rec, rec_size);
  if (rc < 0) return rc;
  key = w->type == 5 ? r.hash : r.corder;
  if (w->n > 0 && (w->type == 5 ? key < w->last_key : key <= w->last_key)) w->order_ok = 0;
  w->last_key = key;
  rc = h5k_fheap_get(&obj, &len, w->heap, r.heap_id, H5K_BT2_LINK_HEAP_ID_LEN);
  if (rc < 0) return rc;
  rc = link_name(name, sizeof name, obj, len);
  free(obj);
  if (rc < 0) return H5K_ECORRUPT;
  if (w->type == 5 && r.hash != h5k_lookup3(name, strlen(name), 0)) w->order_ok = 0;
  if (w->n == w->cap) {
    w->cap = w->cap ? 2 * w->cap : 256;
    w->names = realloc(w->names, w->cap * sizeof *w->names);
  }
  w->names[w->n++] = strdup(name);
  return 0;
}

typedef struct name_query {
  const h5k_fheap *heap;
  const char *name;
  uint32_t hash;
  unsigned calls;
} name_query;

static int cmp_name_hash(void *ud, const uint8_t *rec) {
  name_query *q = ud;
  uint32_t have = (uint32_t)get_le(rec, 4);
  return q->hash < have ? -1 : q->hash > have;
}
static int found_name(void *ud, const uint8_t *rec, size_t rec_size) {
  name_query *q = ud;
  h5k_bt2_link_rec r;
  uint8_t *obj;
  size_t len;
  char name[256];
  int rc = h5k_bt2_decode_link_rec(&r, 5, rec, rec_size);
  q->calls++;
  if (rc < 0) return rc;
  rc = h5k_fheap_get(&obj, &len, q->heap, r.heap_id, H5K_BT2_LINK_HEAP_ID_LEN);
  if (rc < 0) return rc;
  rc = link_name(name, sizeof name, obj, len);
  free(obj);
  if (rc < 0) return H5K_ECORRUPT;
  return strcmp(name, q->name) == 0 ? 1 : 0;
}

/* Visit every record whose creation order lies in [700, 800): cmp treats them all as equal. */
typedef struct range_q {
  uint64_t lo, hi, last;
  unsigned calls;
  int ordered;
} range_q;
static int cmp_range(void *ud, const uint8_t *rec) {
  range_q *q = ud;
  uint64_t k = get_le(rec, 8);
  return k < q->lo ? 1 : k >= q->hi ? -1 : 0;
}
static int found_range(void *ud, const uint8_t *rec, size_t rec_size) {
  range_q *q = ud;
  uint64_t k = get_le(rec, 8);
  (void)rec_size;
  if (q->calls && k != q->last + 1) q->ordered = 0;
  if (!q->calls && k != q->lo) q->ordered = 0;
  q->last = k;
  q->calls++;
  return 0;
}

static void test_real(const dense_fixture *fx) {
  h5k_fctx f;
  h5k_bt2_hdr hd;
  h5k_fheap *heap = NULL;
  walk_ud w;
  int rc;

  fctx_mem(&f, fx->file, fx->file_len);

  /* Group g: name index of 2000 links. */
  CHECK_EQ_U(h5k_bt2_read_header(&hd, &f, fx->name_bt[0]), 0);
  CHECK_EQ_U(hd.type, 5);
  CHECK_EQ_U(hd.rec_size, 11);
  CHECK_EQ_U(hd.total_nrec, 2000);
  CHECK(hd.depth >= 1); /* 2000 records do not fit one 512-byte node */
  printf("test_btree2: name index of %llu links, depth %u, node size %u\n",
         (unsigned long long)hd.total_nrec, (unsigned)hd.depth, (unsigned)hd.node_size);
  CHECK(fx->corder_bt[0] == H5K_ADDR_UNDEF);
  rc = h5k_fheap_open(&heap, &f, fx->heap[0]);
  CHECK_EQ_U(rc, 0);
  if (rc < 0) {
    fprintf(stderr, "%s\n", h5k_error_last());
    h5k_io_close(f.io);
    return;
  }
  CHECK_EQ_U(h5k_fheap_id_len(heap), H5K_BT2_LINK_HEAP_ID_LEN);
  memset(&w, 0, sizeof w);
  w.heap = heap;
  w.type = 5;
  w.order_ok = 1;
  rc = h5k_bt2_iterate(&f, fx->name_bt[0], 5, walk_cb, &w);
  if (rc) fprintf(stderr, "iterate: %s\n", h5k_error_last());
  CHECK_EQ_U(rc, 0);
  CHECK(w.order_ok); /* hashes ascending, each the lookup3 of its name */
  CHECK_EQ_U(w.n, fx->nnames[0]);
  if (w.n == fx->nnames[0]) {
    char **exp = malloc(w.n * sizeof *exp);
    memcpy(exp, fx->names[0], w.n * sizeof *exp);
    qsort(exp, w.n, sizeof *exp, cmp_str);
    qsort(w.names, w.n, sizeof *w.names, cmp_str);
    size_t same = 0;
    for (size_t i = 0; i < w.n; i++) same += strcmp(exp[i], w.names[i]) == 0;
    CHECK_EQ_U(same, w.n);
    free(exp);
  }
  free_lines(w.names, w.n);

  /* Lookups by name hash. */
  for (unsigned i = 0; i < 2000; i += 97) {
    char name[32];
    name_query q = {heap, name, 0, 0};
    snprintf(name, sizeof name, "link%04u", i);
    q.hash = h5k_lookup3(name, strlen(name), 0);
    CHECK_EQ_U(h5k_bt2_find(&f, fx->name_bt[0], 5, cmp_name_hash, found_name, &q), 1);
    CHECK(q.calls >= 1);
  }
  {
    name_query q = {heap, "nosuchlink", 0, 0};
    q.hash = h5k_lookup3(q.name, strlen(q.name), 0);
    CHECK(h5k_bt2_find(&f, fx->name_bt[0], 5, cmp_name_hash, found_name, &q) == H5K_ENOTFOUND);
    CHECK(h5k_bt2_find(&f, fx->name_bt[0], 6, cmp_name_hash, found_name, &q) == H5K_ECORRUPT);
  }
  h5k_fheap_close(heap);
  heap = NULL;

  /* Group o: creation order index; h5py lists it in creation order. */
  CHECK(fx->corder_bt[1] != H5K_ADDR_UNDEF);
  CHECK_EQ_U(h5k_bt2_read_header(&hd, &f, fx->corder_bt[1]), 0);
  CHECK_EQ_U(hd.type, 6);
  CHECK_EQ_U(hd.total_nrec, 2000);
  CHECK_EQ_U(h5k_fheap_open(&heap, &f, fx->heap[1]), 0);
  if (heap) {
    memset(&w, 0, sizeof w);
    w.heap = heap;
    w.type = 6;
    w.order_ok = 1;
    CHECK_EQ_U(h5k_bt2_iterate(&f, fx->corder_bt[1], 6, walk_cb, &w), 0);
    CHECK(w.order_ok);
    CHECK_EQ_U(w.n, fx->nnames[1]);
    size_t same = 0;
    for (size_t i = 0; i < w.n && i < fx->nnames[1]; i++) same += strcmp(w.names[i], fx->names[1][i]) == 0;
    CHECK_EQ_U(same, fx->nnames[1]);
    free_lines(w.names, w.n);
    /* The name index of o has the same names. */
    memset(&w, 0, sizeof w);
    w.heap = heap;
    w.type = 5;
    w.order_ok = 1;
    CHECK_EQ_U(h5k_bt2_iterate(&f, fx->name_bt[1], 5, walk_cb, &w), 0);
    CHECK_EQ_U(w.n, 2000);
    free_lines(w.names, w.n);
    h5k_fheap_close(heap);
  }
  {
    range_q q = {700, 800, 0, 0, 1};
    CHECK(h5k_bt2_find(&f, fx->corder_bt[1], 6, cmp_range, found_range, &q) == H5K_ENOTFOUND);
    CHECK_EQ_U(q.calls, 100);
    CHECK(q.ordered);
  }
  h5k_io_close(f.io);
}

static int count_cb(void *ud, const uint8_t *rec, size_t rec_size) {
  (void)rec;
  (void)rec_size;
  ++*(unsigned *)ud;
  return 0;
}

/* Corrupted copies of the real name index. */
static void test_real_corrupt(const dense_fixture *fx) {
  uint8_t *img = malloc(fx->file_len);
  h5k_fctx f;
  h5k_bt2_hdr hd;
  uint64_t ha = fx->name_bt[0], root;
  unsigned n = 0, ptr, depth;
  size_t used;

  fctx_mem(&f, fx->file, fx->file_len);
  if (h5k_bt2_read_header(&hd, &f, ha) < 0 || hd.depth < 1) {
    CHECK(!"name index is not an internal-rooted tree");
    h5k_io_close(f.io);
    free(img);
    return;
  }
  h5k_io_close(f.io);
  root = hd.root_addr;
  depth = hd.depth;
  /* Root pointer width per spec III.A.2: address + bytes for the leaf's max records
   * (+ bytes for the child subtree's max total when the children are internal). */
  {
    uint64_t mx0 = (hd.node_size - 10) / hd.rec_size, cum = mx0;
    unsigned w1 = mx0 < 256 ? 1 : mx0 < 65536 ? 2 : 4, wt = 0;
    for (unsigned d = 1; d < depth; d++) {
      unsigned p = 8 + w1 + (d > 1 ? wt : 0);
      uint64_t mx = (hd.node_size - 10 - p) / (hd.rec_size + p);
      cum = (mx + 1) * cum + mx;
      wt = cum < 256 ? 1 : cum < 65536 ? 2 : cum < (1u << 24) ? 3 : 4;
    }
    ptr = 8 + w1 + (depth > 1 ? wt : 0);
  }
  used = 10 + hd.root_nrec * hd.rec_size + (hd.root_nrec + 1u) * ptr;

  /* The unmodified root checksum validates with this layout (cross-checks the widths). */
  CHECK_EQ_U(get_le(fx->file + root + used - 4, 4), h5k_lookup3(fx->file + root, used - 4, 0));

  /* Self-referencing child. */
  memcpy(img, fx->file, fx->file_len);
  put_le(img + root + 6 + hd.root_nrec * hd.rec_size, root, 8);
  fix_sum(img + root, used);
  fctx_mem(&f, img, fx->file_len);
  CHECK(h5k_bt2_iterate(&f, ha, 5, count_cb, &n) == H5K_ECORRUPT);
  h5k_io_close(f.io);

  /* Child pointing at the B-tree header (wrong signature). */
  memcpy(img, fx->file, fx->file_len);
  put_le(img + root + 6 + hd.root_nrec * hd.rec_size + ptr, ha, 8);
  fix_sum(img + root, used);
  fctx_mem(&f, img, fx->file_len);
  CHECK(h5k_bt2_iterate(&f, ha, 5, count_cb, &n) == H5K_ECORRUPT);
  h5k_io_close(f.io);

  /* All children pointing at the same node: caught by the per-subtree totals / visit caps. */
  memcpy(img, fx->file, fx->file_len);
  {
    uint64_t c0 = get_le(img + root + 6 + hd.root_nrec * hd.rec_size, 8);
    for (unsigned i = 1; i <= hd.root_nrec; i++)
      put_le(img + root + 6 + hd.root_nrec * hd.rec_size + i * ptr, c0, 8);
  }
  fix_sum(img + root, used);
  fctx_mem(&f, img, fx->file_len);
  CHECK(h5k_bt2_iterate(&f, ha, 5, count_cb, &n) == H5K_ECORRUPT);
  h5k_io_close(f.io);

  /* Header total one short. */
  memcpy(img, fx->file, fx->file_len);
  put_le(img + ha + 18 + 8, hd.total_nrec - 1, 8);
  fix_sum(img + ha, HDR_LEN);
  fctx_mem(&f, img, fx->file_len);
  CHECK(h5k_bt2_iterate(&f, ha, 5, count_cb, &n) == H5K_ECORRUPT);
  h5k_io_close(f.io);

  /* One flipped record byte in the root: checksum mismatch. */
  memcpy(img, fx->file, fx->file_len);
  img[root + 7] ^= 0x40;
  fctx_mem(&f, img, fx->file_len);
  CHECK(h5k_bt2_iterate(&f, ha, 5, count_cb, &n) == H5K_ECORRUPT);
  CHECK(strstr(h5k_error_last(), "checksum") != NULL);
  h5k_io_close(f.io);

  /* Image truncated just after the root node's start. */
  fctx_mem(&f, fx->file, (size_t)root + 16);
  CHECK(h5k_bt2_iterate(&f, ha, 5, count_cb, &n) == H5K_ECORRUPT);
  h5k_io_close(f.io);
  free(img);
}

int main(void) {
  dense_fixture fx;
  int rc;
  test_hand_made();
  rc = dense_fixture_make(&fx, "/tmp/h5k_bt2_XXXXXX", gen_script, 2, "links.h5");
  if (rc == 0) {
    printf("test_btree2: h5py not available at " PY "; real-file tests skipped\n");
  } else if (rc < 0) {
    CHECK(!"could not generate fixtures with h5py");
  } else {
    test_real(&fx);
    test_real_corrupt(&fx);
  }
  dense_fixture_free(&fx);
  return test_finish("test_btree2");
}
