/* Dense storage builders (format/dense_build.c).
 *
 * In memory: an empty heap; 3000 link records of 300 bytes (root indirect block with child
 * indirect blocks, a depth-2 name index) and records above the managed size (huge objects);
 * every record read back with our reader (fractal_heap.c, btree2.c); run length independent of
 * the base address; duplicate names refused.
 *
 * Against libhdf5 (h5py, libver="latest", tests/interop/dense_build_gen.py): for each group /
 * object with dense links or attributes, its records are read with our reader and rebuilt in
 * creation order (the order h5py inserted them). Checked: every heap ID equals libhdf5's (same
 * placement of every object), the heap header fields and the object bytes of every direct
 * block equal libhdf5's, a name index that fits one leaf is byte-identical; then the rebuilt
 * structures are read back (name order, creation order, lookup by name hash), and the file is
 * patched (tests/interop/dense_build_patch.py) so the object's info message points at them:
 * our public API must list the same links / attributes in both orders as in the original file.
 * With an argument DIR the patched files are kept there (test_dense_build.sh runs h5dump and
 * h5py on them). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "format/btree2.h"
#include "format/dense_build.h"
#include "format/fractal_heap.h"
#include "format/messages.h"
#include "util/error.h"
#include "util/lookup3.h"
#include "testutil.h"

/* ---- reading back a built run -------------------------------------------------------------- */

typedef struct item {
  char *name;
  uint8_t *msg;
  size_t len;
  int64_t corder;
  unsigned flags;
  uint8_t id[8]; /* heap ID in the index that was read */
} item;

typedef struct rd_ctx {
  const h5k_fctx *f;
  const h5k_fheap *heap;
  int attrs;
  unsigned type;
  item *v;
  size_t n, cap;
  int err;
} rd_ctx;

static char *dup_str(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

static int name_of(char **out, const uint8_t *msg, size_t len, int attrs, const h5k_fctx *f, int64_t *corder) {
  if (attrs) {
    h5k_attr_msg am;
    int rc = h5k_decode_attr(&am, msg, len, f);
    if (rc < 0) return rc;
    *out = dup_str(am.name);
    h5k_attr_msg_clear(&am);
  } else {
    h5k_link_msg lm;
    int rc = h5k_decode_link(&lm, msg, len, f);
    if (rc < 0) return rc;
    *out = dup_str(lm.name);
    if (corder) *corder = lm.has_corder ? lm.corder : 0;
    h5k_link_msg_clear(&lm);
  }
  return *out ? 0 : H5K_ENOMEM;
}

/* Collect every record of an index with its heap object. */
static int rd_cb(void *ud, const uint8_t *rec, size_t rec_size) {
  rd_ctx *c = ud;
  item *it;
  unsigned id_off = c->attrs ? 0 : (c->type == H5K_BT2_LINK_NAME ? 4 : 8);
  unsigned id_len = c->attrs ? 8 : 7;
  int rc;
  (void)rec_size;
  if (c->n == c->cap) {
    size_t nc = c->cap ? 2 * c->cap : 64;
    item *nv = realloc(c->v, nc * sizeof *nv);
    if (!nv) return H5K_ENOMEM;
    c->v = nv;
    c->cap = nc;
  }
  it = &c->v[c->n];
  memset(it, 0, sizeof *it);
  memcpy(it->id, rec + id_off, id_len);
  rc = h5k_fheap_get(&it->msg, &it->len, c->heap, rec + id_off, id_len);
  if (rc < 0) return rc;
  rc = name_of(&it->name, it->msg, it->len, c->attrs, c->f, &it->corder);
  if (rc < 0) {
    free(it->msg);
    return rc;
  }
  if (c->attrs) {
    it->flags = rec[8];
    it->corder = (int64_t)get_le(rec + 9, 4);
  } else if (c->type == H5K_BT2_LINK_CORDER) {
    it->corder = (int64_t)get_le(rec, 8);
  }
  c->n++;
  return 0;
}

static void items_free(item *v, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(v[i].name);
    free(v[i].msg);
  }
  free(v);
}

static int read_index(item **out, size_t *n, const h5k_fctx *f, uint64_t heap_addr, uint64_t bt2, unsigned type,
                      int attrs) {
  rd_ctx c;
  h5k_fheap *heap = NULL;
  int rc;
  memset(&c, 0, sizeof c);
  rc = h5k_fheap_open(&heap, f, heap_addr);
  if (rc < 0) return rc;
  c.f = f;
  c.heap = heap;
  c.attrs = attrs;
  c.type = type;
  rc = h5k_bt2_iterate(f, bt2, type, rd_cb, &c);
  h5k_fheap_close(heap);
  if (rc < 0) {
    items_free(c.v, c.n);
    return rc;
  }
  *out = c.v;
  *n = c.n;
  return 0;
}

/* Lookup by name through the name index (hash compare, then the name). */
typedef struct find_ctx {
  const h5k_fheap *heap;
  const h5k_fctx *f;
  int attrs;
  const char *want;
  uint32_t hash;
} find_ctx;

static int find_cmp(void *ud, const uint8_t *rec) {
  find_ctx *q = ud;
  uint32_t h = (uint32_t)get_le(rec + (q->attrs ? 13 : 0), 4);
  return q->hash < h ? -1 : q->hash > h;
}

static int find_found(void *ud, const uint8_t *rec, size_t rec_size) {
  find_ctx *q = ud;
  uint8_t *msg = NULL;
  size_t len = 0;
  char *name = NULL;
  int rc, hit;
  (void)rec_size;
  rc = h5k_fheap_get(&msg, &len, q->heap, rec + (q->attrs ? 0 : 4), q->attrs ? 8 : 7);
  if (rc < 0) return rc;
  rc = name_of(&name, msg, len, q->attrs, q->f, NULL);
  free(msg);
  if (rc < 0) return rc;
  hit = strcmp(name, q->want) == 0;
  free(name);
  return hit;
}

static int find_name(const h5k_fctx *f, uint64_t heap_addr, uint64_t bt2, int attrs, const char *name) {
  find_ctx q;
  h5k_fheap *heap = NULL;
  int rc = h5k_fheap_open(&heap, f, heap_addr);
  if (rc < 0) return rc;
  q.heap = heap;
  q.f = f;
  q.attrs = attrs;
  q.want = name;
  q.hash = h5k_lookup3(name, strlen(name), 0);
  rc = h5k_bt2_find(f, bt2, attrs ? H5K_BT2_ATTR_NAME : H5K_BT2_LINK_NAME, find_cmp, find_found, &q);
  h5k_fheap_close(heap);
  return rc;
}

/* Read back a run built from recs: both indexes complete, in order, objects equal. */
static void check_readback(const h5k_fctx *f, int attrs, const h5k_dense_rec *recs, size_t n, uint64_t heap,
                           uint64_t name_bt, uint64_t corder_bt, const char *what) {
  item *v = NULL;
  size_t nv = 0, bad = 0;
  int rc = read_index(&v, &nv, f, heap, name_bt, attrs ? H5K_BT2_ATTR_NAME : H5K_BT2_LINK_NAME, attrs);
  CHECK_EQ_U(rc, 0);
  CHECK_EQ_U(nv, n);
  for (size_t i = 0; i < nv; i++) {
    uint32_t h = h5k_lookup3(v[i].name, strlen(v[i].name), 0);
    const h5k_dense_rec *r = NULL;
    if (i > 0) {
      uint32_t hp = h5k_lookup3(v[i - 1].name, strlen(v[i - 1].name), 0);
      if (hp > h || (hp == h && strcmp(v[i - 1].name, v[i].name) >= 0)) bad++;
    }
    for (size_t j = 0; j < n && !r; j++)
      if (strcmp(recs[j].name, v[i].name) == 0) r = &recs[j];
    if (!r || r->len != v[i].len || memcmp(r->msg, v[i].msg, r->len) != 0) bad++;
    else if (attrs && (v[i].flags != r->flags || v[i].corder != (r->corder & 0xffffffff))) bad++;
  }
  if (bad) fprintf(stderr, "%s: %zu records differ in the name index\n", what, bad);
  CHECK_EQ_U(bad, 0);
  items_free(v, nv);
  if (addr_defined(corder_bt)) {
    rc = read_index(&v, &nv, f, heap, corder_bt, attrs ? H5K_BT2_ATTR_CORDER : H5K_BT2_LINK_CORDER, attrs);
    CHECK_EQ_U(rc, 0);
    CHECK_EQ_U(nv, n);
    bad = 0;
    for (size_t i = 0; i < nv; i++) {
      if (i > 0 && v[i - 1].corder >= v[i].corder) bad++;
      if (i < n) {
        /* recs are given in creation order */
        size_t j;
        for (j = 0; j < n && strcmp(recs[j].name, v[i].name) != 0; j++) {
        }
        if (j == n || v[i].corder != recs[j].corder) bad++;
      }
    }
    CHECK_EQ_U(bad, 0);
    items_free(v, nv);
  }
  /* Find by name: first, middle, last, and one that is not there. */
  if (n) {
    CHECK_EQ_U(find_name(f, heap, name_bt, attrs, recs[0].name), 1);
    CHECK_EQ_U(find_name(f, heap, name_bt, attrs, recs[n / 2].name), 1);
    CHECK_EQ_U(find_name(f, heap, name_bt, attrs, recs[n - 1].name), 1);
  }
  CHECK(find_name(f, heap, name_bt, attrs, "no such name here") == H5K_ENOTFOUND);
}

/* ---- in-memory cases -------------------------------------------------------------------------- */

/* A soft link message (version 1, link type stored, 2-byte name length and 2-byte target length)
 * named name, whose target is padded to make the message `len` bytes long. */
static size_t soft_link_msg(uint8_t *p, const char *name, size_t len) {
  size_t nl = strlen(name), tl = len - 7 - nl;
  p[0] = 1;
  p[1] = 0x08 | 0x01; /* link type present, name length in 2 bytes */
  p[2] = 1;           /* soft */
  put_le(p + 3, nl, 2);
  memcpy(p + 5, name, nl);
  put_le(p + 5 + nl, tl, 2);
  memset(p + 7 + nl, 'a' + (int)(nl % 26), tl);
  p[7 + nl] = '/';
  return len;
}

static void test_memory(void) {
  enum { N = 3000 };
  h5k_dense_rec *recs = calloc(N + 2, sizeof *recs);
  uint8_t *msgs = malloc((size_t)(N + 2) * 6000);
  char(*names)[16] = malloc((size_t)(N + 2) * 16);
  h5k_fctx sizes = fctx_sizes(8, 8, 0), f;
  h5k_wbuf w, w2;
  uint64_t heap, nb, cb, heap2, nb2, cb2;
  int rc;
  if (!recs || !msgs || !names) {
    CHECK(0);
    goto done;
  }
  for (size_t i = 0; i < N + 2; i++) {
    snprintf(names[i], sizeof names[i], "link%05zu", i);
    recs[i].name = names[i];
    recs[i].msg = msgs + i * 6000;
    recs[i].len = soft_link_msg(msgs + i * 6000, names[i], i >= N ? 5000 + i - N : 300);
    recs[i].corder = (int64_t)i;
  }

  /* Empty: a heap without blocks and empty indexes; readable. */
  wbuf_init(&w);
  rc = h5k_dense_build(&w, 0, &sizes, 0, 1, recs, 0, &heap, &nb, &cb);
  CHECK_EQ_U(rc, 0);
  fctx_mem(&f, w.p, w.len);
  check_readback(&f, 0, recs, 0, heap, nb, cb, "empty");
  h5k_io_close(f.io);
  wbuf_free(&w);

  /* 3000 objects of 300 bytes: 900 KB, past the 512 KB of direct rows in the root → child
   * indirect blocks; two huge objects; depth-2 indexes (45 name records per leaf). */
  wbuf_init(&w);
  wbuf_init(&w2);
  rc = h5k_dense_build(&w, 0, &sizes, 0, 1, recs, N + 2, &heap, &nb, &cb);
  CHECK_EQ_U(rc, 0);
  rc = h5k_dense_build(&w2, 987654321, &sizes, 0, 1, recs, N + 2, &heap2, &nb2, &cb2);
  CHECK_EQ_U(rc, 0);
  CHECK_EQ_U(w.len, w2.len);
  CHECK_EQ_U(heap2 - 987654321, heap);
  CHECK_EQ_U(nb2 - 987654321, nb);
  CHECK_EQ_U(cb2 - 987654321, cb);
  {
    h5k_bt2_hdr bh;
    fctx_mem(&f, w.p, w.len);
    check_readback(&f, 0, recs, N + 2, heap, nb, cb, "3002 links");
    CHECK_EQ_U(h5k_bt2_read_header(&bh, &f, nb), 0);
    CHECK_EQ_U(bh.depth, 2);
    CHECK_EQ_U(bh.total_nrec, N + 2);
    /* The root indirect block has grown to 16 rows: 9 direct, 7 of child indirect blocks. */
    CHECK_EQ_U(get_le(w.p + heap + 140, 2), 16);
    CHECK(get_le(w.p + heap + 22, 8) != UINT64_MAX); /* huge-object B-tree */
    CHECK_EQ_U(get_le(w.p + heap + 86, 8), 2);      /* huge objects */
    h5k_io_close(f.io);
  }
  wbuf_free(&w);
  wbuf_free(&w2);

  /* The same as attributes would be refused by nobody; duplicate names are. */
  recs[1].name = recs[0].name;
  wbuf_init(&w);
  CHECK(h5k_dense_build(&w, 0, &sizes, 0, 0, recs, 10, &heap, &nb, &cb) == H5K_EINVAL);
  wbuf_free(&w);
  recs[1].name = names[1];
  recs[1].corder = 0;
  wbuf_init(&w);
  CHECK(h5k_dense_build(&w, 0, &sizes, 0, 1, recs, 10, &heap, &nb, &cb) == H5K_EINVAL);
  CHECK(h5k_dense_build(&w, 0, &sizes, 0, 1, NULL, 10, &heap, &nb, &cb) == H5K_EINVAL);
  wbuf_free(&w);
done:
  free(recs);
  free(msgs);
  free(names);
}

/* ---- against libhdf5 -------------------------------------------------------------------------- */

static char *interop_path(const char *file) {
  static const char tail[] = "unit/test_dense_build.c";
  const char *src = __FILE__;
  size_t n = strlen(src), t = strlen(tail);
  char *out;
  if (n < t || strcmp(src + n - t, tail) != 0) return NULL;
  out = malloc(n - t + strlen("interop/") + strlen(file) + 1);
  if (!out) return NULL;
  memcpy(out, src, n - t);
  sprintf(out + (n - t), "interop/%s", file);
  return out;
}

/* Heap header fields that must agree: everything but the free-space manager, the huge B-tree
 * and root addresses and the checksum (so = sl = 8: offsets 22, 38, 132, 142). */
static void compare_heap(const uint8_t *buf, uint64_t ours, uint64_t theirs, unsigned off_size, const char *what) {
  uint8_t a[146], b[146];
  size_t bad = 0;
  memcpy(a, buf + ours, 146);
  memcpy(b, buf + theirs, 146);
  CHECK_EQ_U(get_le(a + 22, 8) == UINT64_MAX, get_le(b + 22, 8) == UINT64_MAX);
  memset(a + 22, 0, 8), memset(b + 22, 0, 8);
  memset(a + 38, 0, 8), memset(b + 38, 0, 8);
  memset(a + 132, 0, 8), memset(b + 132, 0, 8);
  memset(a + 142, 0, 4), memset(b + 142, 0, 4);
  if (memcmp(a, b, 146) != 0) {
    fprintf(stderr, "%s: heap headers differ:\n", what);
    for (int i = 0; i < 146; i++)
      if (a[i] != b[i]) fprintf(stderr, "  byte %d: ours %02x, libhdf5 %02x\n", i, a[i], b[i]);
  }
  CHECK(memcmp(a, b, 146) == 0);
  /* Direct blocks: same offsets, same object bytes (root direct block or root indirect block). */
  {
    uint64_t ra = get_le(buf + ours + 132, 8), rb = get_le(buf + theirs + 132, 8);
    unsigned rows = (unsigned)get_le(buf + ours + 140, 2);
    uint64_t start = get_le(buf + ours + 112, 8);
    size_t pre = 5 + 8 + off_size + 4;
    if (rows == 0) {
      if (ra != UINT64_MAX && memcmp(buf + ra + pre, buf + rb + pre, start - pre) != 0) bad++;
    } else {
      for (unsigned r = 0; r < rows && r < 9; r++)
        for (unsigned c = 0; c < 4; c++) {
          size_t e = 5 + 8 + off_size + (r * 4 + c) * 8;
          uint64_t da = get_le(buf + ra + e, 8), dbb = get_le(buf + rb + e, 8);
          uint64_t size = r == 0 ? start : start << (r - 1);
          if ((da == UINT64_MAX) != (dbb == UINT64_MAX)) bad++;
          else if (da != UINT64_MAX && memcmp(buf + da + pre, buf + dbb + pre, size - pre) != 0) bad++;
        }
    }
  }
  if (bad) fprintf(stderr, "%s: %zu direct blocks differ\n", what, bad);
  CHECK_EQ_U(bad, 0);
}

typedef struct name_list {
  char **v;
  size_t n, cap;
} name_list;

static int list_link_cb(void *ud, const h5k_link *l) {
  name_list *nl = ud;
  if (nl->n == nl->cap) {
    size_t nc = nl->cap ? 2 * nl->cap : 64;
    char **nv = realloc(nl->v, nc * sizeof *nv);
    if (!nv) return H5K_ENOMEM;
    nl->v = nv;
    nl->cap = nc;
  }
  nl->v[nl->n] = malloc(strlen(l->name) + 64);
  if (!nl->v[nl->n]) return H5K_ENOMEM;
  sprintf(nl->v[nl->n], "%s %d %llu %lld", l->name, (int)l->type,
          (unsigned long long)(l->type == H5K_LINK_HARD ? l->addr : 0), (long long)l->corder);
  nl->n++;
  return 0;
}

static int list_attr_cb(void *ud, const h5k_attr *a) {
  name_list *nl = ud;
  if (nl->n == nl->cap) {
    size_t nc = nl->cap ? 2 * nl->cap : 64;
    char **nv = realloc(nl->v, nc * sizeof *nv);
    if (!nv) return H5K_ENOMEM;
    nl->v = nv;
    nl->cap = nc;
  }
  nl->v[nl->n] = malloc(strlen(a->name) + 64);
  if (!nl->v[nl->n]) return H5K_ENOMEM;
  sprintf(nl->v[nl->n], "%s %zu %08x", a->name, a->data_size, h5k_lookup3(a->data, a->data_size, 0));
  nl->n++;
  return 0;
}

static int list_members(name_list *out, const char *path, const char *obj, int attrs, h5k_order order) {
  h5k_file *file = NULL;
  h5k_addr addr;
  int rc;
  memset(out, 0, sizeof *out);
  rc = h5k_open(&file, path, NULL);
  if (rc < 0) return rc;
  rc = h5k_resolve(&addr, file, obj);
  if (rc >= 0)
    rc = attrs ? h5k_attr_iterate(file, addr, order, list_attr_cb, out)
               : h5k_group_iterate(file, addr, order, list_link_cb, out);
  h5k_close(file);
  return rc;
}

static void list_free(name_list *l) {
  for (size_t i = 0; i < l->n; i++) free(l->v[i]);
  free(l->v);
}

static void compare_listing(const char *orig, const char *patched, const char *obj, int attrs, h5k_order order,
                            const char *what) {
  name_list a, b;
  size_t bad = 0;
  int ra = list_members(&a, orig, obj, attrs, order), rb = list_members(&b, patched, obj, attrs, order);
  CHECK_EQ_U(ra, 0);
  CHECK_EQ_U(rb, 0);
  CHECK_EQ_U(a.n, b.n);
  for (size_t i = 0; i < a.n && i < b.n; i++)
    if (strcmp(a.v[i], b.v[i]) != 0) bad++;
  if (bad) fprintf(stderr, "%s: %zu members differ after patching (order %d)\n", what, bad, (int)order);
  CHECK_EQ_U(bad, 0);
  list_free(&a);
  list_free(&b);
}

static int cmp_item_name(const void *a, const void *b) {
  return strcmp(((const item *)a)->name, ((const item *)b)->name);
}

static void run_case(const char *dir, const char *keep, const char *line, const uint8_t *file, size_t file_len) {
  char cas[64], kind[16], obj[128], path[512], out[512], cmd[2048];
  unsigned long long ohdr, heap, nbt, cbt;
  item *v = NULL, key;
  size_t nv = 0, nn = 0, idbad = 0;
  char **names = NULL;
  h5k_dense_rec *recs = NULL;
  h5k_fctx f;
  h5k_wbuf w;
  uint8_t *all = NULL;
  uint64_t h2, n2, c2;
  int attrs, rc;
  char *patcher = interop_path("dense_build_patch.py");
  FILE *fp;

  wbuf_init(&w);
  if (sscanf(line, "%63s %15s %127s %llu %llu %llu %llu", cas, kind, obj, &ohdr, &heap, &nbt, &cbt) != 7) {
    CHECK(0);
    goto done;
  }
  attrs = strcmp(kind, "attrs") == 0;
  snprintf(path, sizeof path, "%s/%s.names", dir, cas);
  names = read_lines(path, &nn);
  CHECK(names != NULL);
  if (!names) goto done;

  /* Records as our reader sees them, put in creation order. */
  fctx_mem(&f, file, file_len);
  rc = read_index(&v, &nv, &f, heap, nbt, attrs ? H5K_BT2_ATTR_NAME : H5K_BT2_LINK_NAME, attrs);
  h5k_io_close(f.io);
  CHECK_EQ_U(rc, 0);
  CHECK_EQ_U(nv, nn);
  if (rc < 0 || nv != nn) goto done;
  qsort(v, nv, sizeof *v, cmp_item_name);
  recs = calloc(nn, sizeof *recs);
  if (!recs) goto done;
  for (size_t i = 0; i < nn; i++) {
    item *it;
    key.name = names[i];
    it = bsearch(&key, v, nv, sizeof *v, cmp_item_name);
    CHECK(it != NULL);
    if (!it) goto done;
    recs[i].msg = it->msg;
    recs[i].len = it->len;
    recs[i].name = it->name;
    recs[i].corder = it->corder;
    recs[i].flags = it->flags;
  }

  /* Rebuild at the end of the file; read everything through one image (file + run). */
  rc = h5k_dense_build(&w, file_len, &f, attrs, cbt != UINT64_MAX, recs, nn, &h2, &n2, &c2);
  CHECK_EQ_U(rc, 0);
  if (rc < 0) goto done;
  all = malloc(file_len + w.len);
  if (!all) goto done;
  memcpy(all, file, file_len);
  memcpy(all + file_len, w.p, w.len);
  fctx_mem(&f, all, file_len + w.len);
  check_readback(&f, attrs, recs, nn, h2, n2, addr_defined(c2) ? c2 : H5K_ADDR_UNDEF, cas);
  h5k_io_close(f.io);

  /* Placement: every heap ID as libhdf5's. */
  {
    item *mine = NULL;
    size_t nm = 0;
    fctx_mem(&f, all, file_len + w.len);
    rc = read_index(&mine, &nm, &f, h2, n2, attrs ? H5K_BT2_ATTR_NAME : H5K_BT2_LINK_NAME, attrs);
    h5k_io_close(f.io);
    CHECK_EQ_U(rc, 0);
    for (size_t i = 0; i < nm; i++) {
      item *it;
      key.name = mine[i].name;
      it = bsearch(&key, v, nv, sizeof *v, cmp_item_name);
      if (!it || memcmp(it->id, mine[i].id, attrs ? 8 : 7) != 0) idbad++;
    }
    if (idbad) fprintf(stderr, "%s: %zu heap IDs differ from libhdf5's\n", cas, idbad);
    CHECK_EQ_U(idbad, 0);
    items_free(mine, nm);
  }
  compare_heap(all, h2, heap, attrs ? 5 : 4, cas);
  /* A one-leaf name index is libhdf5's byte for byte. */
  {
    h5k_bt2_hdr ha, hb;
    fctx_mem(&f, all, file_len + w.len);
    CHECK_EQ_U(h5k_bt2_read_header(&ha, &f, n2), 0);
    CHECK_EQ_U(h5k_bt2_read_header(&hb, &f, nbt), 0);
    h5k_io_close(f.io);
    CHECK_EQ_U(ha.total_nrec, hb.total_nrec);
    CHECK_EQ_U(ha.rec_size, hb.rec_size);
    CHECK_EQ_U(ha.node_size, hb.node_size);
    CHECK_EQ_U(ha.split_pct, hb.split_pct);
    CHECK_EQ_U(ha.merge_pct, hb.merge_pct);
    if (hb.depth == 0) {
      CHECK_EQ_U(ha.depth, 0);
      CHECK(memcmp(all + ha.root_addr, all + hb.root_addr, ha.node_size) == 0);
    }
  }

  /* End to end: the object's info message points at the rebuilt structures. */
  snprintf(path, sizeof path, "%s/%s.blob", dir, cas);
  fp = fopen(path, "wb");
  CHECK(fp != NULL);
  if (!fp) goto done;
  CHECK_EQ_U(fwrite(w.p, 1, w.len, fp), w.len);
  fclose(fp);
  snprintf(out, sizeof out, "%s/%s.h5", keep ? keep : dir, cas);
  snprintf(cmd, sizeof cmd, "%s '%s' patch '%s/dense.h5' %llu %s '%s' %zu %llu %llu %llu '%s'", PY, patcher, dir,
           ohdr, kind, path, file_len, (unsigned long long)h2, (unsigned long long)n2, (unsigned long long)c2, out);
  CHECK_EQ_U(system(cmd), 0);
  snprintf(path, sizeof path, "%s/dense.h5", dir);
  compare_listing(path, out, obj, attrs, H5K_ORDER_NAME, cas);
  if (cbt != UINT64_MAX) compare_listing(path, out, obj, attrs, H5K_ORDER_CREATION, cas);
  if (keep) {
    snprintf(path, sizeof path, "%s/cases.txt", keep);
    fp = fopen(path, "a");
    if (fp) {
      fprintf(fp, "%s %s %s %d\n", cas, kind, obj, cbt != UINT64_MAX);
      fclose(fp);
    }
  }
done:
  free(patcher);
  free(all);
  free(recs);
  wbuf_free(&w);
  free_lines(names, nn);
  items_free(v, nv);
}

static void test_libhdf5(const char *keep) {
  char dir[] = "/tmp/h5k_dense_build_XXXXXX", path[256];
  char *gen = interop_path("dense_build_gen.py");
  char **lines = NULL;
  size_t nlines = 0, file_len = 0;
  uint8_t *file = NULL;
  if (!have_h5py()) {
    fprintf(stderr, "test_dense_build: no h5py, skipping the libhdf5 comparisons\n");
    free(gen);
    return;
  }
  CHECK(gen != NULL && mkdtemp(dir) != NULL);
  if (!gen) return;
  CHECK_EQ_U(run_python(gen, dir), 0);
  snprintf(path, sizeof path, "%s/manifest.txt", dir);
  lines = read_lines(path, &nlines);
  snprintf(path, sizeof path, "%s/dense.h5", dir);
  file = slurp(path, &file_len);
  CHECK(lines != NULL && nlines >= 12 && file != NULL);
  if (keep) {
    snprintf(path, sizeof path, "%s/cases.txt", keep);
    remove(path);
    snprintf(path, sizeof path, "%s/dense.h5", keep);
    if (file) {
      FILE *fp = fopen(path, "wb");
      if (fp) {
        fwrite(file, 1, file_len, fp);
        fclose(fp);
      }
    }
  }
  for (size_t i = 0; lines && file && i < nlines; i++) run_case(dir, keep, lines[i], file, file_len);
  free_lines(lines, nlines);
  free(file);
  free(gen);
  remove_dir(dir);
}

int main(int argc, char **argv) {
  if (argc > 1) mkdir(argv[1], 0777);
  test_memory();
  test_libhdf5(argc > 1 ? argv[1] : NULL);
  return test_finish("test_dense_build");
}
