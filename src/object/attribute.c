/* Attributes — HDF5 File Format Specification 3.0: IV.A.2.m Attribute message (0x000C) in the
 * object header ("compact" storage), and IV.A.2.v Attribute Info message (0x0015) naming a fractal
 * heap of attribute messages with a v2 B-tree name index (record type 8: heap ID 8 bytes, message
 * flags u8, creation order u32, name hash u32) and optionally a creation-order index (type 9:
 * heap ID, flags, creation order) — "dense" storage. A dense record whose message flags have the
 * shared bit names the attribute in the file's shared message heap instead.
 * An attribute's datatype and dataspace may themselves be shared (committed datatypes, SOHM).
 */
#include <stdlib.h>
#include <string.h>

#include "format/btree2.h"
#include "format/fractal_heap.h"
#include "format/messages.h"
#include "format/shared.h"
#include "object/object.h"
#include "util/checked.h"
#include "util/error.h"

typedef struct attr_item {
  uint8_t *raw;        /* owned copy of the message bytes (or NULL: borrowed from the header) */
  const uint8_t *data;
  size_t size;
  int shared;          /* the bytes are a shared-message pointer */
  int64_t corder;
  size_t seq;          /* position in the header (compact) or in the name index (dense) */
  h5k_attr_msg am;     /* the message split into its parts (borrows from data or unshared) */
  uint8_t *unshared;   /* owned: the real message when `data` was a shared pointer */
} attr_item;

typedef struct attr_list {
  attr_item *v;
  size_t n, cap;
} attr_list;

static void alist_free(attr_list *l) {
  for (size_t i = 0; i < l->n; i++) {
    h5k_attr_msg_clear(&l->v[i].am);
    free(l->v[i].unshared);
    free(l->v[i].raw);
  }
  free(l->v);
  memset(l, 0, sizeof *l);
}

static attr_item *alist_add(attr_list *l) {
  if (l->n == l->cap) {
    size_t ncap = l->cap ? l->cap * 2 : 16;
    attr_item *n = realloc(l->v, ncap * sizeof *n);
    if (!n) return NULL;
    l->v = n;
    l->cap = ncap;
  }
  memset(&l->v[l->n], 0, sizeof l->v[0]);
  return &l->v[l->n++];
}

/* Resolve the message (if shared) and split it; the caller clears *am and frees *owned. */
static int split(h5k_attr_msg *am, uint8_t **owned, const h5k_fctx *f, const attr_item *it) {
  const uint8_t *p;
  size_t len;
  int rc;
  TRY(h5k_msg_unshare(&p, &len, owned, NULL, f, H5K_MSG_ATTR, it->data, it->size, it->shared));
  rc = h5k_decode_attr(am, p, len, f);
  if (rc < 0) {
    free(*owned);
    *owned = NULL;
  }
  return rc;
}

static int find_ainfo(h5k_linfo *out, const h5k_fctx *f, const h5k_ohdr *oh) {
  const h5k_msg *m = h5k_ohdr_find(oh, H5K_MSG_AINFO, NULL);
  if (!m) return 0;
  TRY(h5k_decode_ainfo(out, m->data, m->size, f));
  return 1;
}

typedef struct dense_ctx {
  const h5k_fctx *f;
  const h5k_fheap *heap;
  attr_list *list;
} dense_ctx;

static int dense_cb(void *ud, const uint8_t *rec, size_t rec_size) {
  dense_ctx *d = ud;
  attr_item *it;
  h5k_cur c;
  uint8_t flags;
  int64_t corder;
  cur_init(&c, rec, rec_size);
  cur_skip(&c, 8);
  flags = rd_u8(&c);
  corder = rd_le32(&c);
  if (c.err) return corrupt("dense attributes: v2 B-tree record too short");
  it = alist_add(d->list);
  if (!it) return h5k_err_nomem();
  it->corder = corder;
  if (flags & 0x02) {
    /* The heap ID names the attribute in the shared message heap: rebuild a version-3 shared
     * message pointer ("in heap") and let the unsharing code fetch it. */
    uint8_t *ptr = malloc(10);
    if (!ptr) return h5k_err_nomem();
    ptr[0] = 3;
    ptr[1] = 1;
    memcpy(ptr + 2, rec, 8);
    it->raw = ptr;
    it->data = ptr;
    it->size = 10;
    it->shared = 1;
    return 0;
  }
  {
    size_t len = 0;
    int rc = h5k_fheap_get(&it->raw, &len, d->heap, rec, 8);
    if (rc < 0) {
      d->list->n--;
      return rc;
    }
    it->data = it->raw;
    it->size = len;
  }
  return 0;
}

static int collect(attr_list *l, const h5k_fctx *f, const h5k_ohdr *oh, h5k_order order) {
  size_t pos = 0;
  const h5k_msg *m;
  h5k_linfo ai;
  int has;
  while ((m = h5k_ohdr_find(oh, H5K_MSG_ATTR, &pos)) != NULL) {
    attr_item *it = alist_add(l);
    if (!it) return h5k_err_nomem();
    it->data = m->data;
    it->size = m->size;
    it->shared = (m->flags & 0x02) != 0;
    it->corder = m->corder;
  }
  has = find_ainfo(&ai, f, oh);
  if (has < 0) return has;
  if (has && addr_defined(ai.fheap_addr)) {
    h5k_fheap *heap = NULL;
    dense_ctx d;
    int rc;
    if (order == H5K_ORDER_CREATION && !ai.index_corder && !ai.track_corder)
      return h5k_err(H5K_EINVAL, "object at %llu does not track attribute creation order", (unsigned long long)oh->addr);
    TRY(h5k_fheap_open(&heap, f, ai.fheap_addr));
    d.f = f;
    d.heap = heap;
    d.list = l;
    rc = h5k_bt2_iterate(f, ai.name_bt2_addr, 8, dense_cb, &d);
    h5k_fheap_close(heap);
    if (rc < 0) return rc;
  }
  return 0;
}

static int cmp_name(const void *a, const void *b) {
  return strcmp(((const attr_item *)a)->am.name, ((const attr_item *)b)->am.name);
}
/* Creation order; equal indexes (some writers leave them all 0) keep the header's order, as
 * libhdf5 shows them. */
static int cmp_corder(const void *a, const void *b) {
  const attr_item *p = a, *q = b;
  if (p->corder != q->corder) return p->corder < q->corder ? -1 : 1;
  return p->seq < q->seq ? -1 : p->seq > q->seq;
}

/* Decode one attribute fully and hand it to the callback. */
static int deliver_one(const h5k_fctx *f, const attr_item *it, h5k_attr_cb cb, void *ud) {
  h5k_attr_msg am = it->am; /* a copy of the split parts; the item keeps ownership */
  uint8_t *towned = NULL, *sowned = NULL;
  const uint8_t *tp, *sp;
  size_t tl, sl;
  h5k_datatype *type = NULL;
  uint64_t committed = H5K_ADDR_UNDEF;
  h5k_dataspace space;
  h5k_attr a;
  int rc;
  rc = h5k_msg_unshare(&tp, &tl, &towned, &committed, f, H5K_MSG_DATATYPE, am.type_bytes, am.type_len, am.type_shared);
  if (rc < 0) goto done;
  rc = h5k_decode_datatype(&type, NULL, tp, tl, f);
  if (rc < 0) goto done;
  if (addr_defined(committed)) {
    type->committed = 1;
    type->committed_addr = committed;
  }
  rc = h5k_msg_unshare(&sp, &sl, &sowned, NULL, f, H5K_MSG_DATASPACE, am.space_bytes, am.space_len, am.space_shared);
  if (rc < 0) goto done;
  rc = h5k_decode_dataspace(&space, sp, sl, f);
  if (rc < 0) goto done;
  /* The value is exactly elements x element size; version 1 messages may carry padding after it. */
  {
    uint64_t n = space.kind == H5K_SPACE_NULL ? 0 : 1, need;
    for (unsigned i = 0; i < space.rank; i++)
      if (ck_mul64(n, space.dims[i], &n)) n = UINT64_MAX;
    if (ck_mul64(n, type->size, &need) || need > am.data_len) {
      rc = corrupt("attribute \"%s\": %zu bytes of data, fewer than its dataspace and datatype need", am.name,
                   am.data_len);
      goto done;
    }
    am.data_len = (size_t)need;
  }
  memset(&a, 0, sizeof a);
  a.name = am.name;
  a.type = type;
  a.space = &space;
  a.data = am.data;
  a.data_size = am.data_len;
  a.charset = am.charset;
  a.has_corder = 1;
  a.corder = it->corder;
  rc = cb(ud, &a);
done:
  h5k_datatype_free(type);
  free(towned);
  free(sowned);
  return rc;
}

int h5k_obj_attrs(const h5k_fctx *f, const h5k_ohdr *oh, h5k_order order, h5k_attr_cb cb, void *ud) {
  attr_list l;
  int rc;
  memset(&l, 0, sizeof l);
  rc = collect(&l, f, oh, order);
  if (rc < 0) goto done;
  /* Split every message once: the names sort the list, the parts are decoded on delivery. */
  for (size_t i = 0; i < l.n; i++) {
    rc = split(&l.v[i].am, &l.v[i].unshared, f, &l.v[i]);
    if (rc < 0) goto done;
  }
  for (size_t i = 0; i < l.n; i++) l.v[i].seq = i;
  if (l.n < 2) {
    /* nothing to sort */
  } else if (order == H5K_ORDER_CREATION) {
    qsort(l.v, l.n, sizeof *l.v, cmp_corder);
  } else {
    qsort(l.v, l.n, sizeof *l.v, cmp_name);
    for (size_t i = 1; i < l.n; i++)
      if (strcmp(l.v[i - 1].am.name, l.v[i].am.name) == 0) {
        rc = corrupt("object at %llu: two attributes named \"%s\"", (unsigned long long)oh->addr, l.v[i].am.name);
        goto done;
      }
  }
  for (size_t i = 0; i < l.n; i++) {
    rc = deliver_one(f, &l.v[i], cb, ud);
    if (rc != 0) goto done;
  }
  rc = 0;
done:
  alist_free(&l);
  return rc;
}

int h5k_obj_attr_count(uint64_t *out, const h5k_fctx *f, const h5k_ohdr *oh) {
  h5k_linfo ai;
  uint64_t n = h5k_ohdr_count(oh, H5K_MSG_ATTR);
  int has = find_ainfo(&ai, f, oh);
  if (has < 0) return has;
  if (has && addr_defined(ai.fheap_addr)) {
    h5k_bt2_hdr h;
    TRY(h5k_bt2_read_header(&h, f, ai.name_bt2_addr));
    n += h.total_nrec;
  }
  *out = n;
  return 0;
}
