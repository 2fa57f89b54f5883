/* Old-style groups: local heap, v1 B-tree and symbol table nodes.
 *  1. a tiny group built by hand in memory (HEAP + TREE + SNOD), walked and searched;
 *  2. corrupt variants of it, each of which must give H5K_ECORRUPT (never a crash);
 *  3. hand-built chunk (type 1) B-trees: keys handed to the callback, and a node-reusing DAG
 *     that would take 2^40 steps without the visit cap;
 *  4. real files made by h5py (tests/data/make_symtab_fixtures.py), compared with the member
 *     lists h5py reported when it wrote them. */
#include <stdlib.h>
#include <string.h>

#include "format/btree1.h"
#include "format/fctx.h"
#include "format/local_heap.h"
#include "format/symbol_table.h"
#include "io/io.h"
#include "testutil.h"

/* ---- a tiny group, by hand (offsets and lengths 8 bytes) ------------------------------------------
 *   0    HEAP header (32 bytes), data segment at 40 (not right after the header)
 *   40   heap data, 48 bytes: 0 "", 8 "alpha", 16 "beta", 24 "gamma", 32 "/target"
 *   100  TREE leaf, 2 children: SNOD 200 (keys "" .. "beta"), SNOD 300 ("beta" .. "gamma")
 *   200  SNOD: alpha -> 1000, beta -> 2000 (cached group: B-tree 3000, heap 4000)
 *   300  SNOD: gamma -> soft link "/target"
 *   500  TREE level 1 with one child (the leaf at 100): used as root for two-level variants
 *   600  TREE level 2 with one child (500)
 */
#define IMG_SIZE 700
static uint8_t img[IMG_SIZE];

static void put8(size_t off, unsigned v) { img[off] = (uint8_t)v; }
static void put16(size_t off, unsigned v) { put_le(img + off, v, 2); }
static void put32(size_t off, uint32_t v) { put_le(img + off, v, 4); }
static void put64(size_t off, uint64_t v) { put_le(img + off, v, 8); }

static void put_entry(size_t off, uint64_t name, uint64_t obj, uint32_t cache, uint64_t s1, uint64_t s2) {
  put64(off, name);
  put64(off + 8, obj);
  put32(off + 16, cache);
  put32(off + 20, 0);
  put64(off + 24, s1);
  put64(off + 32, s2);
}

/* TREE node header at off; keys/children follow at off + 24. */
static void put_tree(size_t off, unsigned type, unsigned level, unsigned n) {
  memcpy(img + off, "TREE", 4);
  put8(off + 4, type);
  put8(off + 5, level);
  put16(off + 6, n);
  put64(off + 8, UINT64_MAX);
  put64(off + 16, UINT64_MAX);
}

static void build_group(void) {
  memset(img, 0, sizeof img);
  memcpy(img, "HEAP", 4);
  put64(8, 48);         /* data segment size */
  put64(16, UINT64_MAX); /* free list: none */
  put64(24, 40);        /* data segment address */
  memcpy(img + 48, "alpha", 6);
  memcpy(img + 56, "beta", 5);
  memcpy(img + 64, "gamma", 6);
  memcpy(img + 72, "/target", 8);

  put_tree(100, 0, 0, 2);
  put64(124, 0);   /* key 0: "" */
  put64(132, 200); /* child 0 */
  put64(140, 16);  /* key 1: "beta" */
  put64(148, 300); /* child 1 */
  put64(156, 24);  /* key 2: "gamma" */

  memcpy(img + 200, "SNOD", 4);
  put8(204, 1);
  put16(206, 2);
  put_entry(208, 8, 1000, 0, 0, 0);
  put_entry(248, 16, 2000, 1, 3000, 4000);

  memcpy(img + 300, "SNOD", 4);
  put8(304, 1);
  put16(306, 1);
  put_entry(308, 24, UINT64_MAX, 2, 32, 0);

  put_tree(500, 0, 1, 1);
  put64(524, 0);
  put64(532, 100);
  put64(540, 24);

  put_tree(600, 0, 2, 1);
  put64(624, 0);
  put64(632, 500);
  put64(640, 24);
}

static void fctx_init(h5k_fctx *f, h5k_io *io, unsigned so, unsigned sl, uint64_t eof) {
  fctx_over(f, io, eof);
  f->limit = eof < io->size ? eof : io->size;
  f->so = so;
  f->sl = sl;
  f->sym_leaf_k = 4;
  f->btree_k_group = 16;
  f->btree_k_chunk = 32;
}

/* Entries seen by a callback, copied. */
typedef struct seen {
  size_t n, cap;
  struct {
    char name[64];
    char soft[64];
    uint64_t obj, btree, heap;
    uint32_t cache;
  } *e;
  size_t stop_after; /* return 1 after this many (0 = never) */
} seen;

static int collect(void *ud, const h5k_symentry *e) {
  seen *s = ud;
  if (s->n == s->cap) {
    size_t cap = s->cap ? 2 * s->cap : 16;
    void *p = realloc(s->e, cap * sizeof *s->e);
    if (!p) return H5K_ENOMEM;
    s->e = p;
    s->cap = cap;
  }
  memset(&s->e[s->n], 0, sizeof s->e[s->n]);
  snprintf(s->e[s->n].name, sizeof s->e[s->n].name, "%s", e->name);
  if (e->soft_target) snprintf(s->e[s->n].soft, sizeof s->e[s->n].soft, "%s", e->soft_target);
  s->e[s->n].obj = e->obj_addr;
  s->e[s->n].btree = e->btree_addr;
  s->e[s->n].heap = e->heap_addr;
  s->e[s->n].cache = e->cache_type;
  s->n++;
  return s->stop_after && s->n >= s->stop_after ? 1 : 0;
}

static int iterate_img(size_t len, uint64_t root, seen *s) {
  h5k_io *io = h5k_io_open_memory(img, len);
  h5k_fctx f;
  int rc;
  fctx_init(&f, io, 8, 8, len);
  rc = h5k_symtab_iterate(&f, root, 0, collect, s);
  h5k_io_close(io);
  return rc;
}

static int find_img(size_t len, uint64_t root, const char *name, seen *s) {
  h5k_io *io = h5k_io_open_memory(img, len);
  h5k_fctx f;
  int rc;
  fctx_init(&f, io, 8, 8, len);
  rc = h5k_symtab_find(&f, root, 0, name, collect, s);
  h5k_io_close(io);
  return rc;
}

static void test_tiny_group(void) {
  seen s = {0};
  int rc;
  build_group();
  for (int pass = 0; pass < 3; pass++) {
    uint64_t root = pass == 0 ? 100 : pass == 1 ? 500 : 600;
    s.n = 0;
    rc = iterate_img(IMG_SIZE, root, &s);
    CHECK_EQ_U(rc, 0);
    CHECK_EQ_U(s.n, 3);
    if (s.n != 3) continue;
    CHECK(strcmp(s.e[0].name, "alpha") == 0);
    CHECK_EQ_U(s.e[0].obj, 1000);
    CHECK_EQ_U(s.e[0].cache, 0);
    CHECK(strcmp(s.e[1].name, "beta") == 0);
    CHECK_EQ_U(s.e[1].obj, 2000);
    CHECK_EQ_U(s.e[1].cache, 1);
    CHECK_EQ_U(s.e[1].btree, 3000);
    CHECK_EQ_U(s.e[1].heap, 4000);
    CHECK(strcmp(s.e[2].name, "gamma") == 0);
    CHECK_EQ_U(s.e[2].obj, H5K_ADDR_UNDEF);
    CHECK_EQ_U(s.e[2].cache, 2);
    CHECK(strcmp(s.e[2].soft, "/target") == 0);
  }
  /* stopping early returns the callback's value */
  s.n = 0;
  s.stop_after = 2;
  CHECK_EQ_U(iterate_img(IMG_SIZE, 600, &s), 1);
  CHECK_EQ_U(s.n, 2);
  s.stop_after = 0;

  /* lookups, through one and through three levels */
  for (int pass = 0; pass < 2; pass++) {
    uint64_t root = pass == 0 ? 100 : 600;
    s.n = 0;
    CHECK_EQ_U(find_img(IMG_SIZE, root, "beta", &s), 0);
    CHECK(s.n == 1 && s.e[0].obj == 2000 && s.e[0].btree == 3000);
    s.n = 0;
    CHECK_EQ_U(find_img(IMG_SIZE, root, "alpha", &s), 0);
    CHECK(s.n == 1 && s.e[0].obj == 1000);
    s.n = 0;
    CHECK_EQ_U(find_img(IMG_SIZE, root, "gamma", &s), 0);
    CHECK(s.n == 1 && strcmp(s.e[0].soft, "/target") == 0);
    s.n = 0;
    CHECK_EQ_U(find_img(IMG_SIZE, root, "delta", &s), H5K_ENOTFOUND); /* between keys */
    CHECK_EQ_U(find_img(IMG_SIZE, root, "zeta", &s), H5K_ENOTFOUND);  /* after the last */
    CHECK_EQ_U(find_img(IMG_SIZE, root, "aardvark", &s), H5K_ENOTFOUND);
    CHECK_EQ_U(find_img(IMG_SIZE, root, "", &s), H5K_ENOTFOUND);
    CHECK_EQ_U(s.n, 0);
  }
  {
    /* NULL callback: existence test */
    h5k_io *io = h5k_io_open_memory(img, IMG_SIZE);
    h5k_fctx f;
    fctx_init(&f, io, 8, 8, IMG_SIZE);
    CHECK_EQ_U(h5k_symtab_find(&f, 100, 0, "gamma", NULL, NULL), 0);
    h5k_io_close(io);
  }

  /* an empty group: a root leaf with no children */
  build_group();
  put16(106, 0);
  s.n = 0;
  CHECK_EQ_U(iterate_img(IMG_SIZE, 100, &s), 0);
  CHECK_EQ_U(s.n, 0);
  CHECK_EQ_U(find_img(IMG_SIZE, 100, "alpha", &s), H5K_ENOTFOUND);
  free(s.e);
}

static void test_local_heap(void) {
  h5k_io *io;
  h5k_fctx f;
  h5k_lheap h;
  const char *str;
  build_group();
  io = h5k_io_open_memory(img, IMG_SIZE);
  fctx_init(&f, io, 8, 8, IMG_SIZE);
  CHECK_EQ_U(h5k_lheap_read(&h, &f, 0), 0);
  CHECK_EQ_U(h.size, 48);
  CHECK_EQ_U(h.data_addr, 40);
  CHECK_EQ_U(h5k_lheap_string(&str, &h, 16), 0);
  CHECK(strcmp(str, "beta") == 0);
  CHECK_EQ_U(h5k_lheap_string(&str, &h, 0), 0);
  CHECK(str && str[0] == 0);
  CHECK_EQ_U(h5k_lheap_string(&str, &h, 48), H5K_ECORRUPT);
  CHECK_EQ_U(h5k_lheap_string(&str, &h, UINT64_MAX), H5K_ECORRUPT);
  memset(h.data + 40, 'x', 8); /* bytes 40..47 become an unterminated string */
  CHECK_EQ_U(h5k_lheap_string(&str, &h, 40), H5K_ECORRUPT);
  CHECK_EQ_U(h5k_lheap_string(&str, &h, 32), 0); /* "/target" still ends at 39 */
  h5k_lheap_free(&h);
  h5k_lheap_free(&h); /* idempotent */
  /* the reference library's "no free block" value 1 is accepted; 48 (= size) is not */
  put64(16, 1);
  CHECK_EQ_U(h5k_lheap_read(&h, &f, 0), 0);
  h5k_lheap_free(&h);
  put64(16, 48);
  CHECK_EQ_U(h5k_lheap_read(&h, &f, 0), H5K_ECORRUPT);
  CHECK(h.data == NULL);
  h5k_io_close(io);
}

/* Each mutation of the tiny group must be reported as corruption by the walk and the lookup. */
typedef void (*mutation)(void);
static void m_tree_sig(void) { img[100] = 'X'; }
static void m_snod_sig(void) { img[300] = 'X'; }
static void m_heap_sig(void) { img[0] = 'h'; }
static void m_heap_version(void) { put8(4, 1); }
static void m_snod_version(void) { put8(304, 2); }
static void m_heap_data_outside(void) { put64(24, IMG_SIZE - 8); }
static void m_heap_size_huge(void) { put64(8, UINT64_MAX - 8); }
static void m_name_offset(void) { put64(308, 48); }            /* gamma's name at heap size */
static void m_name_offset_far(void) { put64(248, 1u << 20); }  /* beta's name far outside */
static void m_soft_offset(void) { put64(332, 4000); }          /* gamma's link value */
static void m_no_nul(void) { memset(img + 72, 'x', 16); put64(308, 32); } /* last string unterminated */
static void m_order(void) { put64(208, 16); put64(248, 8); }   /* beta before alpha */
static void m_dup(void) { put64(308, 16); }                    /* beta twice */
static void m_type(void) { put8(104, 1); }
static void m_entries_2k(void) { put16(106, 33); }             /* > 2K = 32 */
static void m_snod_count(void) { put16(306, 9); }              /* > 2 * leaf K = 8 */
static void m_cache_type(void) { put32(224, 7); }
static void m_child_outside(void) { put64(148, 1u << 30); }
static void m_child_undef(void) { put64(148, UINT64_MAX); }
static void m_leaf_level(void) { put8(105, 1); }               /* leaf claims level 1 under 500 */
static void m_cycle(void) { put64(532, 500); }                 /* level-1 node is its own child */
static void m_skip_level(void) { put64(632, 100); }            /* level 2 -> level 0 */
static void m_root_level(void) { put8(605, 200); }             /* deeper than the cap */

static void test_corrupt(void) {
  static const struct {
    const char *what;
    mutation m;
    uint64_t root;
  } cases[] = {
      {"TREE signature", m_tree_sig, 600},     {"SNOD signature", m_snod_sig, 600},
      {"HEAP signature", m_heap_sig, 600},     {"heap version", m_heap_version, 600},
      {"SNOD version", m_snod_version, 600},   {"heap data outside", m_heap_data_outside, 600},
      {"heap size huge", m_heap_size_huge, 600}, {"name offset", m_name_offset, 600},
      {"name offset far", m_name_offset_far, 600}, {"soft offset", m_soft_offset, 600},
      {"no NUL", m_no_nul, 600},               {"names out of order", m_order, 100},
      {"duplicate name", m_dup, 100},          {"node type", m_type, 100},
      {"entries > 2K", m_entries_2k, 100},     {"SNOD count", m_snod_count, 600},
      {"cache type", m_cache_type, 600},       {"child outside", m_child_outside, 600},
      {"child undefined", m_child_undef, 600}, {"leaf level", m_leaf_level, 500},
      {"cycle", m_cycle, 500},                 {"skipped level", m_skip_level, 600},
      {"root level", m_root_level, 600},
  };
  seen s = {0};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int rc;
    build_group();
    cases[i].m();
    s.n = 0;
    rc = iterate_img(IMG_SIZE, cases[i].root, &s);
    if (rc != H5K_ECORRUPT) fprintf(stderr, "iterate, case \"%s\": rc %d\n", cases[i].what, rc);
    CHECK_EQ_U(rc, H5K_ECORRUPT);
    if (!strstr(h5k_error_last(), "address")) fprintf(stderr, "case \"%s\": message \"%s\"\n", cases[i].what, h5k_error_last());
    CHECK(strstr(h5k_error_last(), "address") != NULL);
  }
  /* lookups that reach the damage */
  {
    static const struct {
      const char *what, *name;
      mutation m;
      uint64_t root;
    } fcases[] = {
        {"TREE signature", "alpha", m_tree_sig, 600}, {"SNOD signature", "gamma", m_snod_sig, 600},
        {"HEAP signature", "alpha", m_heap_sig, 100}, {"name offset", "gamma", m_name_offset, 600},
        {"node type", "beta", m_type, 100},           {"cycle", "beta", m_cycle, 500},
        {"skipped level", "beta", m_skip_level, 600}, {"leaf level", "beta", m_leaf_level, 500},
        {"root level", "beta", m_root_level, 600},    {"SNOD count", "gamma", m_snod_count, 100},
    };
    for (size_t i = 0; i < sizeof fcases / sizeof fcases[0]; i++) {
      int rc;
      build_group();
      fcases[i].m();
      s.n = 0;
      rc = find_img(IMG_SIZE, fcases[i].root, fcases[i].name, &s);
      if (rc != H5K_ECORRUPT) fprintf(stderr, "find, case \"%s\": rc %d\n", fcases[i].what, rc);
      CHECK_EQ_U(rc, H5K_ECORRUPT);
    }
    /* a key offset outside the heap */
    build_group();
    put64(140, 999);
    CHECK_EQ_U(find_img(IMG_SIZE, 100, "beta", &s), H5K_ECORRUPT);
  }
  /* truncation: with the leaf at 100 as root, the group needs bytes up to 348 (the second
   * SNOD ends there); any shorter image fails cleanly */
  for (size_t len = 0; len < 360; len += 1) {
    int rc;
    build_group();
    s.n = 0;
    rc = iterate_img(len, 100, &s);
    CHECK(len >= 348 ? rc == 0 : rc == H5K_ECORRUPT);
    rc = find_img(len, 100, "gamma", &s);
    CHECK(len >= 348 ? rc == 0 : rc == H5K_ECORRUPT);
  }
  /* entries used plausible for K but passing the end of the image */
  build_group();
  put16(606, 30);
  CHECK_EQ_U(iterate_img(IMG_SIZE, 600, &s), H5K_ECORRUPT);
  free(s.e);
}

/* ---- chunk B-trees (type 1) ------------------------------------------------------------------------ */
typedef struct chunks {
  unsigned n;
  uint32_t size[4], mask[4];
  uint64_t off0[4], addr[4], right_off0[4];
  size_t key_size;
} chunks;

static int chunk_cb(void *ud, const uint8_t *lk, const uint8_t *rk, size_t key_size, uint64_t child) {
  chunks *c = ud;
  h5k_cur cur;
  if (c->n >= 4) return 1;
  c->key_size = key_size;
  cur_init(&cur, lk, key_size);
  c->size[c->n] = rd_le32(&cur);
  c->mask[c->n] = rd_le32(&cur);
  c->off0[c->n] = rd_le64(&cur);
  cur_init(&cur, rk, key_size);
  cur_skip(&cur, 8);
  c->right_off0[c->n] = rd_le64(&cur);
  c->addr[c->n] = child;
  c->n++;
  return 0;
}

static int count_cb(void *ud, const uint8_t *lk, const uint8_t *rk, size_t key_size, uint64_t child) {
  (*(uint64_t *)ud)++;
  return 0;
}

static void put_chunk_key(size_t off, uint32_t size, uint32_t mask, uint64_t o0) {
  put32(off, size);
  put32(off + 4, mask);
  put64(off + 8, o0);
  put64(off + 16, 0);
}

static void test_chunk_tree(void) {
  h5k_io *io;
  h5k_fctx f;
  chunks c;
  uint64_t count = 0;
  const size_t ks = 24; /* 4 + 4 + 8 * 2 (a rank-1 dataset: ndims 2) */

  /* leaf with 2 chunks at 100: keys at 124, 156, 188; children at 148, 180 */
  memset(img, 0, sizeof img);
  put_tree(100, 1, 0, 2);
  put_chunk_key(124, 40, 0, 0);
  put64(124 + ks, 5000);
  put_chunk_key(156, 36, 2, 10);
  put64(156 + ks, 6000);
  put_chunk_key(188, 0, 0, 20);
  io = h5k_io_open_memory(img, IMG_SIZE);
  fctx_init(&f, io, 8, 8, IMG_SIZE);
  memset(&c, 0, sizeof c);
  CHECK_EQ_U(h5k_bt1_iterate(&f, 100, 1, 2, chunk_cb, &c), 0);
  CHECK_EQ_U(c.n, 2);
  CHECK_EQ_U(c.key_size, 24);
  CHECK(c.size[0] == 40 && c.mask[0] == 0 && c.off0[0] == 0 && c.right_off0[0] == 10 && c.addr[0] == 5000);
  CHECK(c.size[1] == 36 && c.mask[1] == 2 && c.off0[1] == 10 && c.right_off0[1] == 20 && c.addr[1] == 6000);
  /* wrong expectations from the caller */
  CHECK_EQ_U(h5k_bt1_iterate(&f, 100, 0, 0, chunk_cb, &c), H5K_ECORRUPT); /* node type */
  CHECK_EQ_U(h5k_bt1_iterate(&f, 100, 1, 0, chunk_cb, &c), H5K_EINVAL);
  CHECK_EQ_U(h5k_bt1_iterate(&f, 100, 1, 40, chunk_cb, &c), H5K_EINVAL);
  CHECK_EQ_U(h5k_bt1_iterate(&f, 100, 2, 0, chunk_cb, &c), H5K_EINVAL);
  h5k_io_close(io);

  /* A DAG: nodes at levels 1..40, NODE bytes apart, each with two children that are both the
   * node one level down; the leaf (level 0) has one chunk. Without a visit cap this is 2^40
   * leaf visits. */
  {
    enum { LEVELS = 41, NODE = 8 + 16 + 3 * 24 + 2 * 8 };
    static uint8_t dag[LEVELS * NODE];
    memset(img, 0, sizeof img);
    memset(dag, 0, sizeof dag);
    for (unsigned lv = 0; lv < LEVELS; lv++) {
      size_t off = (size_t)lv * NODE;
      unsigned n = lv == 0 ? 1 : 2;
      memcpy(dag + off, "TREE", 4);
      dag[off + 4] = 1;
      dag[off + 5] = (uint8_t)lv;
      dag[off + 6] = (uint8_t)n;
      memset(dag + off + 8, 0xff, 16);
      for (unsigned i = 0; i < n; i++) {
        uint64_t child = lv == 0 ? 9 : (uint64_t)(lv - 1) * NODE;
        size_t coff = off + 24 + ks + (size_t)i * (ks + 8);
        for (int b = 0; b < 8; b++) dag[coff + b] = (uint8_t)(child >> (8 * b));
      }
    }
    io = h5k_io_open_memory(dag, sizeof dag);
    fctx_init(&f, io, 8, 8, sizeof dag);
    CHECK_EQ_U(h5k_bt1_iterate(&f, (uint64_t)(LEVELS - 1) * NODE, 1, 2, count_cb, &count), H5K_ECORRUPT);
    CHECK(count < 1000);
    /* the same shape three levels high is a legal (if odd) tree that fits: 4 leaf visits */
    count = 0;
    CHECK_EQ_U(h5k_bt1_iterate(&f, 2 * NODE, 1, 2, count_cb, &count), 0);
    CHECK_EQ_U(count, 4);
    h5k_io_close(io);
  }
}

/* ---- real files from h5py -------------------------------------------------------------------------- */
typedef struct expect_line {
  char group[64], name[64], kind[8], value[64];
} expect_line;

static size_t load_expect(const char *file, expect_line *out, size_t cap) {
  char *path = data_path(file);
  FILE *fp = path ? fopen(path, "r") : NULL;
  char line[256];
  size_t n = 0;
  free(path);
  if (!fp) return 0;
  while (n < cap && fgets(line, sizeof line, fp)) {
    if (sscanf(line, "%63[^\t]\t%63[^\t]\t%7[^\t]\t%63[^\n]", out[n].group, out[n].name, out[n].kind,
               out[n].value) == 4)
      n++;
  }
  fclose(fp);
  return n;
}

/* Superblock version 0 (II.A): signature 8, versions 4 bytes, so, sl, reserved, leaf K (2),
 * internal K (2), flags (4), then base, free-space, end-of-file and driver addresses, then the
 * root group's symbol table entry. Decoded here by hand so this test needs no superblock code. */
static int open_v0(h5k_fctx *f, h5k_symentry_raw *root, const char *file) {
  char *path = data_path(file);
  int rc = H5K_ENOTFOUND;
  uint8_t sb[256];
  h5k_io *io = path ? h5k_io_open_file(path, &rc) : NULL;
  h5k_cur c;
  uint64_t eof;
  free(path);
  if (!io) return rc;
  memset(sb, 0, sizeof sb);
  rc = h5k_io_read(io, sb, io->size < sizeof sb ? (size_t)io->size : sizeof sb, 0);
  if (rc < 0 || memcmp(sb, "\211HDF\r\n\032\n", 8) != 0 || sb[8] != 0) {
    h5k_io_close(io);
    return H5K_ENOTHDF5;
  }
  fctx_init(f, io, sb[13], sb[14], io->size);
  cur_init(&c, sb + 16, sizeof sb - 16);
  f->sym_leaf_k = rd_le16(&c);
  f->btree_k_group = rd_le16(&c);
  cur_skip(&c, 4);
  cur_skip(&c, 2 * f->so); /* base, free-space info */
  eof = rd_addr(&c, f);
  cur_skip(&c, f->so); /* driver info */
  f->eof = eof;
  f->limit = eof < io->size ? eof : io->size;
  rc = h5k_symentry_decode(root, &c, f);
  CHECK_EQ_U(c.pos, 8 + 4 * f->so + h5k_symentry_size(f)); /* entry at 24 + 4*so, sl + so + 24 bytes */
  return rc;
}

static void compare_group(const h5k_fctx *f, uint64_t btree, uint64_t heap, const char *gpath,
                          const expect_line *ex, size_t nex) {
  seen s = {0};
  size_t k = 0;
  CHECK_EQ_U(h5k_symtab_iterate(f, btree, heap, collect, &s), 0);
  for (size_t i = 0; i < nex; i++) {
    if (strcmp(ex[i].group, gpath) != 0) continue;
    if (k >= s.n) {
      k++;
      continue;
    }
    CHECK(strcmp(s.e[k].name, ex[i].name) == 0);
    if (strcmp(ex[i].kind, "soft") == 0) {
      CHECK_EQ_U(s.e[k].cache, 2);
      CHECK(strcmp(s.e[k].soft, ex[i].value) == 0);
    } else {
      CHECK_EQ_U(s.e[k].obj, strtoull(ex[i].value, NULL, 10));
    }
    /* the lookup agrees with the walk */
    {
      seen one = {0};
      CHECK_EQ_U(h5k_symtab_find(f, btree, heap, ex[i].name, collect, &one), 0);
      CHECK(one.n == 1 && one.e[0].obj == s.e[k].obj && one.e[0].cache == s.e[k].cache);
      free(one.e);
    }
    k++;
  }
  CHECK_EQ_U(s.n, k);
  CHECK(k > 0);
  free(s.e);
}

static void test_real_file(const char *file, const char *txt, const char *group, unsigned min_level) {
  static expect_line ex[400];
  size_t nex = load_expect(txt, ex, 400);
  h5k_fctx f;
  h5k_symentry_raw root;
  seen s = {0};
  h5k_bt1_node node;
  int rc;

  CHECK(nex > 0);
  rc = open_v0(&f, &root, file);
  CHECK_EQ_U(rc, 0);
  if (rc < 0) {
    fprintf(stderr, "%s: %s\n", file, h5k_error_last());
    return;
  }
  CHECK_EQ_U(root.cache_type, 1);
  compare_group(&f, root.btree_addr, root.heap_addr, "/", ex, nex);

  /* the group under test, found by name in the root */
  CHECK_EQ_U(h5k_symtab_find(&f, root.btree_addr, root.heap_addr, group + 1, collect, &s), 0);
  CHECK(s.n == 1 && s.e[0].cache == 1);
  if (s.n == 1) {
    uint64_t bt = s.e[0].btree, hp = s.e[0].heap;
    CHECK_EQ_U(h5k_bt1_node_read(&node, &f, bt, 0, 0), 0);
    CHECK(node.level >= min_level); /* the walk really crosses internal nodes */
    h5k_bt1_node_free(&node);
    compare_group(&f, bt, hp, group, ex, nex);
    CHECK_EQ_U(h5k_symtab_find(&f, bt, hp, "m0055", NULL, NULL), H5K_ENOTFOUND);
    CHECK_EQ_U(h5k_symtab_find(&f, bt, hp, "zz", NULL, NULL), H5K_ENOTFOUND);
    CHECK_EQ_U(h5k_symtab_find(&f, bt, hp, "a", NULL, NULL), H5K_ENOTFOUND);

    /* subgroups: walk them through the B-tree/heap cached in their entries */
    {
      seen all = {0};
      CHECK_EQ_U(h5k_symtab_iterate(&f, bt, hp, collect, &all), 0);
      for (size_t i = 0; i < all.n; i++) {
        char sub[160];
        if (all.e[i].cache != 1) continue;
        snprintf(sub, sizeof sub, "%s/%s", group, all.e[i].name);
        compare_group(&f, all.e[i].btree, all.e[i].heap, sub, ex, nex);
      }
      free(all.e);
    }
  }
  free(s.e);
  h5k_io_close(f.io);
}

int main(void) {
  test_tiny_group();
  test_local_heap();
  test_corrupt();
  test_chunk_tree();
  test_real_file("symtab300.h5", "symtab300.txt", "/big", 1);
  test_real_file("symtab_o4l2.h5", "symtab_o4l2.txt", "/g", 0);
  return test_finish("test_symtab");
}
