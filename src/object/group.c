/* Groups — the three link storages of HDF5 File Format Specification 3.0:
 *  - symbol table ("old-style", IV.A.2.r message 0x0011 → III.A.1 v1 B-tree of III.B symbol table
 *    nodes, names in a III.D local heap);
 *  - compact: Link messages (IV.A.2.g, 0x0006) in the object header, with a Link Info message
 *    (IV.A.2.c, 0x0002) whose fractal heap address is undefined;
 *  - dense: Link Info names a fractal heap (III.G) holding the link messages, a v2 B-tree of
 *    name hashes (record type 5) and, when creation order is indexed, one of creation orders
 *    (record type 6).
 * Name order is libhdf5's: byte-wise strcmp of the names. The name hash of type-5 records is
 * lookup3 of the name with initial value 0.
 */
#include "object/object.h"

#include <stdlib.h>
#include <string.h>

#include "format/btree2.h"
#include "format/fractal_heap.h"
#include "format/messages.h"
#include "format/symbol_table.h"
#include "util/checked.h"
#include "util/error.h"
#include "util/lookup3.h"

typedef struct link_list {
  h5k_link_msg *v;
  size_t n, cap;
} link_list;

static void list_free(link_list *l) {
  for (size_t i = 0; i < l->n; i++) h5k_link_msg_clear(&l->v[i]);
  free(l->v);
  memset(l, 0, sizeof *l);
}

static h5k_link_msg *list_add(link_list *l) {
  if (l->n == l->cap) {
    size_t ncap = l->cap ? l->cap * 2 : 16;
    h5k_link_msg *n = realloc(l->v, ncap * sizeof *n);
    if (!n) return NULL;
    l->v = n;
    l->cap = ncap;
  }
  memset(&l->v[l->n], 0, sizeof l->v[0]);
  return &l->v[l->n++];
}

static void to_public(h5k_link *out, const h5k_link_msg *m) {
  memset(out, 0, sizeof *out);
  out->name = m->name;
  out->type = (h5k_link_type)m->type;
  out->addr = m->type == 0 ? m->addr : H5K_ADDR_UNDEF;
  out->soft_target = m->soft;
  out->ext_file = m->ext_file;
  out->ext_path = m->ext_path;
  out->has_corder = m->has_corder;
  out->corder = m->corder;
  out->charset = m->charset;
}

static int cmp_name(const void *a, const void *b) {
  return strcmp(((const h5k_link_msg *)a)->name, ((const h5k_link_msg *)b)->name);
}

static int cmp_corder(const void *a, const void *b) {
  int64_t x = ((const h5k_link_msg *)a)->corder, y = ((const h5k_link_msg *)b)->corder;
  return x < y ? -1 : x > y;
}

static int find_linfo(h5k_linfo *out, const h5k_fctx *f, const h5k_ohdr *oh) {
  const h5k_msg *m = h5k_ohdr_find(oh, H5K_MSG_LINFO, NULL);
  if (!m) return 0;
  TRY(h5k_decode_linfo(out, m->data, m->size, f));
  return 1;
}

/* ---- compact ------------------------------------------------------------------------------------ */
static int collect_compact(link_list *l, const h5k_fctx *f, const h5k_ohdr *oh) {
  size_t pos = 0;
  const h5k_msg *m;
  while ((m = h5k_ohdr_find(oh, H5K_MSG_LINK, &pos)) != NULL) {
    h5k_link_msg *lm = list_add(l);
    if (!lm) return h5k_err_nomem();
    int rc = h5k_decode_link(lm, m->data, m->size, f);
    if (rc < 0) {
      l->n--;
      return rc;
    }
  }
  return 0;
}

/* ---- dense -------------------------------------------------------------------------------------- */
typedef struct dense_ctx {
  const h5k_fctx *f;
  const h5k_fheap *heap;
  link_list *list;
  unsigned id_off;     /* offset of the heap ID in the record */
  const char *want;    /* lookup: name searched, else NULL */
  uint32_t want_hash;
  h5k_link_cb cb;
  void *ud;
} dense_ctx;

static int dense_fetch(h5k_link_msg *out, dense_ctx *d, const uint8_t *rec, size_t rec_size) {
  uint8_t *obj = NULL;
  size_t len = 0;
  int rc;
  if (rec_size <= d->id_off) return corrupt("dense group: v2 B-tree record too short for a heap ID");
  TRY(h5k_fheap_get(&obj, &len, d->heap, rec + d->id_off, rec_size - d->id_off));
  rc = h5k_decode_link(out, obj, len, d->f);
  free(obj);
  return rc;
}

static int dense_collect_cb(void *ud, const uint8_t *rec, size_t rec_size) {
  dense_ctx *d = ud;
  h5k_link_msg *lm = list_add(d->list);
  int rc;
  if (!lm) return h5k_err_nomem();
  rc = dense_fetch(lm, d, rec, rec_size);
  if (rc < 0) d->list->n--;
  return rc;
}

/* Order of the name index (type 5): by the lookup3 hash of the name, unsigned. */
static int dense_hash_cmp(void *ud, const uint8_t *rec) {
  const dense_ctx *d = ud;
  uint32_t h = (uint32_t)le_load(rec, 4);
  return d->want_hash < h ? -1 : d->want_hash > h;
}

/* Called for each record whose hash matches: compare the real name (hashes may collide). */
static int dense_find_cb(void *ud, const uint8_t *rec, size_t rec_size) {
  dense_ctx *d = ud;
  h5k_link_msg lm;
  h5k_link pub;
  int rc;
  TRY(dense_fetch(&lm, d, rec, rec_size));
  if (strcmp(lm.name, d->want) != 0) {
    h5k_link_msg_clear(&lm);
    return 0;
  }
  to_public(&pub, &lm);
  rc = d->cb(d->ud, &pub);
  h5k_link_msg_clear(&lm);
  return rc < 0 ? rc : 1;
}

static int open_dense(h5k_fheap **heap, const h5k_fctx *f, const h5k_linfo *li) {
  if (!addr_defined(li->name_bt2_addr)) return corrupt("dense group: link info has a heap but no name index");
  return h5k_fheap_open(heap, f, li->fheap_addr);
}

static int collect_dense(link_list *l, const h5k_fctx *f, const h5k_linfo *li, h5k_order order) {
  h5k_fheap *heap = NULL;
  dense_ctx d;
  int rc;
  TRY(open_dense(&heap, f, li));
  memset(&d, 0, sizeof d);
  d.f = f;
  d.heap = heap;
  d.list = l;
  if (order == H5K_ORDER_CREATION && addr_defined(li->corder_bt2_addr)) {
    d.id_off = 8;
    rc = h5k_bt2_iterate(f, li->corder_bt2_addr, 6, dense_collect_cb, &d);
  } else {
    d.id_off = 4;
    rc = h5k_bt2_iterate(f, li->name_bt2_addr, 5, dense_collect_cb, &d);
  }
  h5k_fheap_close(heap);
  return rc;
}

/* ---- symbol table --------------------------------------------------------------------------------- */
typedef struct stab_ctx {
  h5k_link_cb cb;
  void *ud;
} stab_ctx;

static int stab_cb(void *ud, const h5k_symentry *e) {
  stab_ctx *s = ud;
  h5k_link l;
  memset(&l, 0, sizeof l);
  l.name = e->name;
  if (e->cache_type == 2) {
    l.type = H5K_LINK_SOFT;
    l.addr = H5K_ADDR_UNDEF;
    l.soft_target = e->soft_target;
  } else {
    l.type = H5K_LINK_HARD;
    l.addr = e->obj_addr;
  }
  return s->cb(s->ud, &l);
}

static int find_stab(h5k_stab *out, const h5k_fctx *f, const h5k_ohdr *oh) {
  const h5k_msg *m = h5k_ohdr_find(oh, H5K_MSG_STAB, NULL);
  if (!m) return 0;
  TRY(h5k_decode_stab(out, m->data, m->size, f));
  return 1;
}

/* ---- public entry points of this layer ------------------------------------------------------------ */
int h5k_obj_tracks_order(const h5k_ohdr *oh) {
  const h5k_msg *m = h5k_ohdr_find(oh, H5K_MSG_LINFO, NULL);
  /* Link info version 0, flags bit 0: creation order tracked. */
  return m && m->size >= 2 && (m->data[1] & 1);
}

static int deliver(const link_list *l, h5k_link_cb cb, void *ud) {
  for (size_t i = 0; i < l->n; i++) {
    h5k_link pub;
    int rc;
    to_public(&pub, &l->v[i]);
    rc = cb(ud, &pub);
    if (rc != 0) return rc;
  }
  return 0;
}

int h5k_obj_links(const h5k_fctx *f, const h5k_ohdr *oh, h5k_order order, h5k_link_cb cb, void *ud) {
  h5k_stab st;
  h5k_linfo li;
  link_list l;
  int rc, has;
  has = find_stab(&st, f, oh);
  if (has < 0) return has;
  if (has) {
    stab_ctx s = {cb, ud};
    if (order == H5K_ORDER_CREATION)
      return h5k_err(H5K_EINVAL, "group at %llu does not track creation order", (unsigned long long)oh->addr);
    return h5k_symtab_iterate(f, st.btree_addr, st.heap_addr, stab_cb, &s);
  }
  has = find_linfo(&li, f, oh);
  if (has < 0) return has;
  if (!has) return h5k_err(H5K_EINVAL, "object at %llu is not a group", (unsigned long long)oh->addr);
  if (order == H5K_ORDER_CREATION && !li.track_corder)
    return h5k_err(H5K_EINVAL, "group at %llu does not track creation order", (unsigned long long)oh->addr);
  memset(&l, 0, sizeof l);
  if (addr_defined(li.fheap_addr)) rc = collect_dense(&l, f, &li, order);
  else rc = collect_compact(&l, f, oh);
  if (rc >= 0 && l.n > 1) {
    if (order == H5K_ORDER_NAME) {
      qsort(l.v, l.n, sizeof *l.v, cmp_name);
      for (size_t i = 1; i < l.n; i++)
        if (strcmp(l.v[i - 1].name, l.v[i].name) == 0) {
          rc = corrupt("group at %llu: two links named \"%s\"", (unsigned long long)oh->addr, l.v[i].name);
          break;
        }
    } else if (!addr_defined(li.fheap_addr) || !addr_defined(li.corder_bt2_addr)) {
      qsort(l.v, l.n, sizeof *l.v, cmp_corder);
    }
  }
  if (rc >= 0) rc = deliver(&l, cb, ud);
  list_free(&l);
  return rc;
}

typedef struct find_ctx {
  const char *name;
  h5k_link_cb cb;
  void *ud;
  int found;
} find_ctx;

static int find_scan_cb(void *ud, const h5k_link *l) {
  find_ctx *fc = ud;
  int rc;
  if (strcmp(l->name, fc->name) != 0) return 0;
  fc->found = 1;
  rc = fc->cb(fc->ud, l);
  return rc < 0 ? rc : 1;
}

int h5k_obj_link_find(const h5k_fctx *f, const h5k_ohdr *oh, const char *name, h5k_link_cb cb, void *ud) {
  h5k_stab st;
  h5k_linfo li;
  int rc, has;
  find_ctx fc = {name, cb, ud, 0};
  has = find_stab(&st, f, oh);
  if (has < 0) return has;
  if (has) {
    stab_ctx s = {cb, ud};
    rc = h5k_symtab_find(f, st.btree_addr, st.heap_addr, name, stab_cb, &s);
    return rc > 0 ? 0 : rc;
  }
  has = find_linfo(&li, f, oh);
  if (has < 0) return has;
  if (!has) return h5k_err(H5K_EINVAL, "object at %llu is not a group", (unsigned long long)oh->addr);
  if (addr_defined(li.fheap_addr)) {
    h5k_fheap *heap = NULL;
    dense_ctx d;
    TRY(open_dense(&heap, f, &li));
    memset(&d, 0, sizeof d);
    d.f = f;
    d.heap = heap;
    d.id_off = 4;
    d.want = name;
    d.want_hash = h5k_lookup3(name, strlen(name), 0);
    d.cb = cb;
    d.ud = ud;
    rc = h5k_bt2_find(f, li.name_bt2_addr, 5, dense_hash_cmp, dense_find_cb, &d);
    h5k_fheap_close(heap);
    if (rc == H5K_ENOTFOUND) return h5k_err(H5K_ENOTFOUND, "no link named \"%s\"", name);
    return rc < 0 ? rc : 0;
  }
  /* Compact: scan the link messages. */
  {
    link_list l;
    memset(&l, 0, sizeof l);
    rc = collect_compact(&l, f, oh);
    if (rc >= 0) rc = deliver(&l, find_scan_cb, &fc);
    list_free(&l);
  }
  if (rc < 0) return rc;
  return fc.found ? 0 : h5k_err(H5K_ENOTFOUND, "no link named \"%s\"", name);
}

static int count_cb(void *ud, const h5k_link *l) {
  (void)l;
  (*(uint64_t *)ud)++;
  return 0;
}

int h5k_obj_link_count(uint64_t *out, const h5k_fctx *f, const h5k_ohdr *oh) {
  h5k_linfo li;
  int has = find_linfo(&li, f, oh);
  if (has < 0) return has;
  if (has && addr_defined(li.fheap_addr)) {
    h5k_bt2_hdr h;
    TRY(h5k_bt2_read_header(&h, f, li.name_bt2_addr));
    *out = h.total_nrec;
    return 0;
  }
  if (has) { /* compact: one link message per link, nothing to decode */
    *out = h5k_ohdr_count(oh, H5K_MSG_LINK);
    return 0;
  }
  *out = 0;
  return h5k_obj_links(f, oh, H5K_ORDER_NAME, count_cb, out);
}
