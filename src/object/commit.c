/* Commit: serialize every changed node to fresh space, sync, then switch the superblock.
 *
 * Spec references: object headers IV.A.1 (v1 for the compat profile, v2 for latest); groups
 * III.A.1/III.B/III.D (symbol tables) or IV.A.2.c/g/i (link info, links, group info); datasets
 * IV.A.2.b/d/f/i/l; the superblock II.A (v0 compat, v3 latest).
 *
 * Order of a commit:
 *  1. queued chunk writes land; the open global heap collection is written;
 *  2. dirtiness spreads from each changed node to every group linking to it (its address will
 *     change), up to the root; a node with more hard links than known parents makes the writer
 *     load every group first, so no link is missed;
 *  3. pass 1 measures each dirty node's blocks (object header, symbol table or dense links, chunk
 *     index) with placeholder addresses -- sizes never depend on addresses -- and allocates them;
 *  4. pass 2 encodes them with the final addresses and writes them;
 *  5. sync; superblock; sync. Only now is the new state the file's state;
 *  6. what the old state used and the new one does not joins the free list. */
#include <stdlib.h>
#include <string.h>

#include "api/file_impl.h"
#include "format/chunk_index_build.h"
#include "format/dense_build.h"
#include "format/encode.h"
#include "format/global_heap.h"
#include "format/messages.h"
#include "format/superblock.h"
#include "object/writer.h"
#include "util/error.h"

/* The address a node has after this commit (dirty nodes move). */
static uint64_t next_addr(const h5k_wnode *n) { return n->dirty ? n->new_addr : n->addr; }

/* ---- step 2: dirtiness ------------------------------------------------------------------------ */
/* Load every group and object reachable from g. An object h5kit cannot model (e.g. a virtual
 * dataset, one with external storage, a group whose links do not decode) is left out: it is not
 * changed by the commit, so it does not move, and what it holds is not followed. */
static int skippable(int rc) { return rc == H5K_EUNSUPPORTED || rc == H5K_ECORRUPT; }

static int load_group_tree(h5k_writer *w, h5k_wnode *g) {
  if (g->visiting) return 0;
  g->visiting = 1;
  int rc = h5k_wgroup_load(w, g);
  if (rc < 0) return g == w->root || !skippable(rc) ? rc : (h5k_err_clear(), 0);
  for (size_t i = 0; i < g->nlinks_g; i++) {
    h5k_wlink *l = &g->links[i];
    if (l->type != H5K_LINK_HARD) continue;
    h5k_wnode *t;
    rc = h5k_wlink_target(&t, w, g, l);
    if (rc < 0 && skippable(rc)) {
      h5k_err_clear();
      continue;
    }
    TRY(rc);
    if (t->kind == WN_GROUP) TRY(load_group_tree(w, t));
  }
  return 0;
}

static void clear_visiting(h5k_writer *w) {
  for (h5k_wnode *n = w->all; n; n = n->all_next) n->visiting = 0;
}

static void spread(h5k_wnode *n) {
  if (n->visiting) return;
  n->visiting = 1;
  n->dirty = 1;
  for (size_t i = 0; i < n->nparents; i++) spread(n->parents[i]);
}

static int any_dirty(h5k_wnode *const *v, uint64_t n) {
  for (uint64_t i = 0; i < n; i++)
    if (v[i] && v[i]->dirty) return 1;
  return 0;
}

static uint64_t attr_nrefs(const h5k_wattr *a) { return a->ref_off || a->vref_len ? a->nref : a->data_len / 8; }

static int refs_moving(const h5k_wnode *n) {
  for (size_t i = 0; i < n->nattrs; i++) {
    if (n->attrs[i].refs && any_dirty(n->attrs[i].refs, attr_nrefs(&n->attrs[i]))) return 1;
    if (n->attrs[i].committed_type && n->attrs[i].committed_type->dirty) return 1;
  }
  return n->ds && n->ds->refs && any_dirty(n->ds->refs, n->ds->nrefs);
}

/* Whether the objects marked dirty need the whole group tree loaded before this commit: an
 * object read from the file that moves while some of its links (or users) are not in the model
 * yet — a second hard link, a dataset using a committed datatype, a reference held by an object
 * not loaded. The first commit of a session on an existing file always loads it: object
 * references anywhere in the file may point at any object the commit moves (the root moves at
 * every commit), and only a loaded holder can follow its target. Later commits need it only for
 * the cases above, and by then the tree is in the model. */
static int need_whole_tree(const h5k_writer *w) {
  if (w->tree_loaded) return 0;
  if (w->root && w->root->loaded_from_file) return 1;
  for (const h5k_wnode *n = w->all; n; n = n->all_next)
    if (n->dirty && n->loaded_from_file && n != w->root && (n->kind == WN_DATATYPE || n->nlinks > n->nparents))
      return 1;
  return 0;
}

static int mark_dirty_closure(h5k_writer *w) {
  for (;;) {
    /* a dataset whose committed type moves must be rewritten too */
    for (h5k_wnode *n = w->all; n; n = n->all_next)
      if (n->ds && n->ds->committed_type && n->ds->committed_type->dirty) n->dirty = 1;
    for (h5k_wnode *n = w->all; n; n = n->all_next)
      if (n->dirty && (n == w->root || n->nlinks || n->nuses > 0)) spread(n);
    clear_visiting(w);
    /* a node holding object references to a node that moves must be rewritten too; that moves it
     * and its parents in turn, so repeat until nothing changes */
    for (int changed = 1; changed;) {
      changed = 0;
      for (h5k_wnode *n = w->all; n; n = n->all_next) {
        if (n->dirty || !(n == w->root || n->nlinks || n->nuses > 0)) continue;
        if (refs_moving(n)) {
          spread(n);
          clear_visiting(w);
          changed = 1;
        }
      }
    }
    /* decided on the whole dirty set (after spreading: a group dirty only because a child
     * changed has to be checked too), then spread again over the parents the load found */
    if (!need_whole_tree(w)) return 0;
    int rc = load_group_tree(w, w->root);
    clear_visiting(w);
    TRY(rc);
    w->tree_loaded = 1;
  }
}

/* The address an object reference to t holds after this commit (0: null or deleted target). */
static uint64_t final_addr(const h5k_writer *w, const h5k_wnode *t) {
  if (!t || (t != w->root && t->nlinks == 0 && t->nuses <= 0)) return 0;
  return next_addr(t);
}

/* The final addresses of refs[0..n) into dst, at off[i] (NULL: at 8 * i). */
static void fill_refs_at(uint8_t *dst, const h5k_writer *w, h5k_wnode *const *refs, const size_t *off, uint64_t n) {
  for (uint64_t i = 0; i < n; i++) {
    uint64_t a = final_addr(w, refs[i]);
    if (a == H5K_ADDR_UNDEF) a = 0;
    for (int b = 0; b < 8; b++) dst[(off ? off[i] : i * 8) + b] = (uint8_t)(a >> (8 * b));
  }
}

static void fill_refs(uint8_t *dst, const h5k_writer *w, h5k_wnode *const *refs, uint64_t n) {
  fill_refs_at(dst, w, refs, NULL, n);
}

/* Whether a sequence-of-references attribute needs new heap objects: new, or a target whose
 * address this commit changes (moved or deleted). Otherwise its heap IDs stay valid, and
 * rewriting them at every commit (a dataset appended to and committed per frame) would leave a
 * dead collection behind each time. */
static int vrefs_changed(const h5k_writer *w, const h5k_wattr *a) {
  if (a->vref_new) return 1;
  for (size_t i = 0; i < a->nref; i++) {
    const h5k_wnode *t = a->refs[i];
    if (t && final_addr(w, t) != t->addr) return 1;
  }
  return 0;
}

static int write_vlen_refs(h5k_writer *w, h5k_wnode *n) {
  for (size_t i = 0; i < n->nattrs; i++) {
    h5k_wattr *a = &n->attrs[i];
    if (!a->refs || !a->vref_len || !vrefs_changed(w, a)) continue;
    size_t es = (size_t)a->type->size, nel = es ? a->data_len / es : 0, at = 0;
    for (size_t e = 0; e < nel; e++) {
      uint32_t len = a->vref_len[e];
      uint8_t *elem = a->data + e * es;
      if (!len) continue; /* stays empty */
      uint32_t olen, oindex;
      uint64_t ocoll;
      if (h5k_vlen_parse(&olen, &ocoll, &oindex, elem, es, &w->fc) >= 0 && olen) TRY(h5k_wgheap_release(w, ocoll));
      uint8_t *buf = malloc((size_t)len * 8);
      if (!buf) return h5k_err_nomem();
      fill_refs(buf, w, a->refs + at, len);
      uint64_t coll;
      uint32_t index;
      int rc = h5k_wgheap_put(w, buf, (size_t)len * 8, &coll, &index);
      free(buf);
      TRY(rc);
      h5k_vlen_put(elem, len, coll, index, &w->fc);
      at += len;
    }
    a->vref_new = 0;
  }
  return 0;
}

/* ---- message building ------------------------------------------------------------------------ */
typedef struct {
  h5k_oh_msg *m;
  size_t n, cap;
  h5k_wbuf *bufs; /* one buffer per message (owned) */
} msglist;

static void ml_free(msglist *ml) {
  for (size_t i = 0; i < ml->n; i++) wbuf_free(&ml->bufs[i]);
  free(ml->m);
  free(ml->bufs);
  memset(ml, 0, sizeof *ml);
}

/* A new message buffer (NULL when out of memory). */
static h5k_wbuf *ml_add(msglist *ml, unsigned type, unsigned flags) {
  if (ml->n == ml->cap) {
    size_t nc = ml->cap ? ml->cap * 2 : 16;
    h5k_oh_msg *m = realloc(ml->m, nc * sizeof *m);
    if (!m) return NULL;
    ml->m = m;
    h5k_wbuf *b = realloc(ml->bufs, nc * sizeof *b);
    if (!b) return NULL;
    ml->bufs = b;
    ml->cap = nc;
  }
  memset(&ml->m[ml->n], 0, sizeof ml->m[ml->n]);
  ml->m[ml->n].type = type;
  ml->m[ml->n].flags = flags;
  wbuf_init(&ml->bufs[ml->n]);
  return &ml->bufs[ml->n++];
}

static void ml_finish(msglist *ml) {
  for (size_t i = 0; i < ml->n; i++) {
    ml->m[i].data = ml->bufs[i].p;
    ml->m[i].len = ml->bufs[i].len;
  }
}

static uint64_t addr_or0(uint64_t a, int measuring) { return measuring ? 0 : a; }

/* The address a link's target will have after this commit. */
static uint64_t target_addr(const h5k_wlink *l) { return l->target ? next_addr(l->target) : l->addr; }

/* A shared datatype message pointing at committed type t (version 2 with the compat profile, 3 with
 * latest, as libhdf5 writes them). */
static int put_shared_type(h5k_wbuf *b, const h5k_writer *w, const h5k_wnode *t, int measuring);

static int is_latest(const h5k_writer *w) { return w->profile == H5K_PROFILE_LATEST; }

static int encode_datatype_msg(h5k_wbuf *b, const h5k_writer *w, const h5k_datatype *t) {
  return h5k_encode_datatype(b, t, is_latest(w) ? 3 : 0);
}

/* Each attribute's message bytes (out[i], caller frees with free_bufs). */
static int encode_attr_msgs(h5k_wbuf **out, h5k_writer *w, h5k_wnode *n) {
  h5k_wbuf *v = calloc(n->nattrs ? n->nattrs : 1, sizeof *v);
  if (!v) return h5k_err_nomem();
  int rc = 0;
  for (size_t i = 0; i < n->nattrs && rc >= 0; i++) {
    h5k_wattr *a = &n->attrs[i];
    h5k_wbuf tb, sb;
    wbuf_init(&tb);
    wbuf_init(&sb);
    wbuf_init(&v[i]);
    if (a->refs && !a->vref_len) fill_refs_at(a->data, w, a->refs, a->ref_off, attr_nrefs(a));
    unsigned flags = 0, version = is_latest(w) ? 3 : 1;
    if (a->committed_type) {
      rc = put_shared_type(&tb, w, a->committed_type, 0);
      flags = 1;
      if (version < 2) version = 2;
    } else {
      rc = encode_datatype_msg(&tb, w, a->type);
    }
    if (a->charset != H5K_CSET_ASCII) version = 3; /* as libhdf5: a UTF-8 name needs version 3 */
    if (rc >= 0) rc = h5k_encode_dataspace(&sb, &a->space, is_latest(w) ? 2 : 1, &w->fc);
    if (rc >= 0)
      rc = h5k_encode_attr_flags(&v[i], version, flags, a->name, a->charset, tb.p, tb.len, sb.p, sb.len, a->data,
                                 a->data_len);
    wbuf_free(&tb);
    wbuf_free(&sb);
  }
  if (rc < 0) {
    for (size_t i = 0; i < n->nattrs; i++) wbuf_free(&v[i]);
    free(v);
    return rc;
  }
  *out = v;
  return 0;
}

static void free_bufs(h5k_wbuf *v, size_t n) {
  if (!v) return;
  for (size_t i = 0; i < n; i++) wbuf_free(&v[i]);
  free(v);
}

/* Attributes go to dense storage (fractal heap + v2 B-tree) when there are more than 8 of them in
 * the latest profile, or when one message exceeds what a header message can hold (64 KiB), which
 * also needs a version 2 object header (libhdf5 keeps dense attributes out of v1 headers). */
static int attrs_dense(int *out, h5k_writer *w, h5k_wnode *n) {
  *out = 0;
  if (!n->nattrs) return 0;
  if (is_latest(w) && n->nattrs > 8) {
    *out = 1;
    return 0;
  }
  h5k_wbuf *v;
  TRY(encode_attr_msgs(&v, w, n));
  for (size_t i = 0; i < n->nattrs; i++)
    if (v[i].len > 65535 - 8) *out = 1;
  free_bufs(v, n->nattrs);
  return 0;
}

static int put_shared_type(h5k_wbuf *b, const h5k_writer *w, const h5k_wnode *t, int measuring) {
  wr_u8(b, is_latest(w) ? 3 : 2);
  wr_u8(b, is_latest(w) ? H5K_SHARED_COMMITTED : 0); /* before version 3 the type byte is unused */
  wr_addr(b, &w->fc, addr_or0(next_addr(t), measuring));
  return wbuf_status(b);
}

static int add_raw(msglist *ml, h5k_wnode *n) {
  for (size_t i = 0; i < n->nraw; i++) {
    h5k_wbuf *b = ml_add(ml, n->raw[i].type, n->raw[i].flags);
    if (!b) return h5k_err_nomem();
    wr_bytes(b, n->raw[i].data, n->raw[i].len);
    TRY(wbuf_status(b));
  }
  return 0;
}

/* ---- per-node blocks -------------------------------------------------------------------------- */
/* Everything a dirty node writes besides its header, as one run: a symbol-table group's heap and
 * B-tree, or a chunk index. `side` receives the bytes for the run at `base`. */
typedef struct {
  uint64_t side_addr;  /* allocated in pass 1 */
  uint64_t side_len;
  uint64_t oh_len;
  uint64_t stab_btree, stab_heap; /* symbol-table groups: results for the message and caches */
  uint64_t index_addr;            /* chunked datasets */
  int dense_links, dense_attrs;   /* links / attributes in dense storage */
  uint64_t link_heap, link_name_bt2, link_corder_bt2;
  uint64_t attr_heap, attr_name_bt2, attr_corder_bt2;
  unsigned oh_version;
} node_plan;

static int group_uses_symtab(const h5k_writer *w, const h5k_wnode *g) {
  if (is_latest(w) || g->track_order) return 0;
  for (size_t i = 0; i < g->nlinks_g; i++)
    if (g->links[i].type != H5K_LINK_HARD && g->links[i].type != H5K_LINK_SOFT) return 0;
  return 1;
}

static int build_symtab(h5k_wbuf *side, h5k_writer *w, h5k_wnode *g, uint64_t base, node_plan *p, int measuring) {
  size_t n = g->nlinks_g;
  h5k_symtab_entry *e = calloc(n ? n : 1, sizeof *e);
  if (!e) return h5k_err_nomem();
  for (size_t i = 0; i < n; i++) {
    const h5k_wlink *l = &g->links[i];
    e[i].name = l->name;
    if (l->type == H5K_LINK_SOFT) {
      e[i].obj_addr = H5K_ADDR_UNDEF;
      e[i].cache_type = 2;
      e[i].soft_target = l->soft;
      continue;
    }
    e[i].obj_addr = addr_or0(target_addr(l), measuring);
    e[i].cache_type = 0;
    const h5k_wnode *t = l->target;
    if (t && t->kind == WN_GROUP && addr_defined(t->new_addr) && !measuring && t->dirty) {
      /* the child's symbol table built in this commit */
      e[i].cache_type = 1;
      e[i].btree_addr = t->new_stab_btree;
      e[i].heap_addr = t->new_stab_heap;
    } else if (t && t->kind == WN_GROUP && addr_defined(t->stab_btree) && !t->dirty) {
      e[i].cache_type = 1;
      e[i].btree_addr = t->stab_btree;
      e[i].heap_addr = t->stab_heap;
    } else if (t && t->kind == WN_GROUP && measuring && group_uses_symtab(w, t)) {
      e[i].cache_type = 1;
    }
    if (e[i].cache_type == 1 && (!addr_defined(e[i].btree_addr) || !addr_defined(e[i].heap_addr)) && !measuring)
      e[i].cache_type = 0, e[i].btree_addr = e[i].heap_addr = 0;
  }
  int rc = h5k_symtab_build(side, base, &w->fc, e, n, &p->stab_btree, &p->stab_heap);
  free(e);
  return rc;
}

static int link_to_msg(h5k_link_msg *m, const h5k_wlink *l, int measuring, int track) {
  memset(m, 0, sizeof *m);
  m->name = l->name;
  m->type = l->type;
  m->addr = addr_or0(target_addr(l), measuring);
  m->soft = l->soft;
  m->ext_file = l->ext_file;
  m->ext_path = l->ext_path;
  m->has_corder = track;
  m->corder = l->corder;
  m->charset = l->charset;
  return 0;
}

static int group_messages(msglist *ml, h5k_writer *w, h5k_wnode *g, const node_plan *p, int measuring) {
  if (group_uses_symtab(w, g)) {
    h5k_stab st = {addr_or0(p->stab_btree, measuring), addr_or0(p->stab_heap, measuring)};
    h5k_wbuf *b = ml_add(ml, H5K_MSG_STAB, 0);
    if (!b) return h5k_err_nomem();
    return h5k_encode_stab(b, &st, &w->fc);
  }
  h5k_linfo li = {g->track_order, g->track_order, g->next_corder, H5K_ADDR_UNDEF, H5K_ADDR_UNDEF, H5K_ADDR_UNDEF};
  if (p->dense_links) {
    li.fheap_addr = addr_or0(p->link_heap, measuring);
    li.name_bt2_addr = addr_or0(p->link_name_bt2, measuring);
    if (g->track_order) li.corder_bt2_addr = addr_or0(p->link_corder_bt2, measuring);
  }
  h5k_wbuf *b = ml_add(ml, H5K_MSG_LINFO, 0);
  if (!b) return h5k_err_nomem();
  TRY(h5k_encode_linfo(b, &li, &w->fc));
  h5k_ginfo gi = {8, 6, 0, 4, 8, 0};
  b = ml_add(ml, H5K_MSG_GINFO, 0);
  if (!b) return h5k_err_nomem();
  TRY(h5k_encode_ginfo(b, &gi));
  if (p->dense_links) return 0;
  /* links in creation order, as libhdf5 adds them */
  size_t n = g->nlinks_g;
  const h5k_wlink **ord = malloc((n ? n : 1) * sizeof *ord);
  if (!ord) return h5k_err_nomem();
  for (size_t i = 0; i < n; i++) ord[i] = &g->links[i];
  for (size_t i = 1; i < n; i++) { /* insertion sort by corder (links are usually near-sorted) */
    const h5k_wlink *x = ord[i];
    size_t j = i;
    while (j > 0 && ord[j - 1]->corder > x->corder) {
      ord[j] = ord[j - 1];
      j--;
    }
    ord[j] = x;
  }
  int rc = 0;
  for (size_t i = 0; i < n && rc >= 0; i++) {
    h5k_link_msg m;
    link_to_msg(&m, ord[i], measuring, g->track_order);
    b = ml_add(ml, H5K_MSG_LINK, 0);
    if (!b) rc = h5k_err_nomem();
    else rc = h5k_encode_link(b, &m, &w->fc);
  }
  free(ord);
  return rc;
}

static int dataset_messages(msglist *ml, h5k_writer *w, h5k_wnode *n, const node_plan *p, int measuring) {
  h5k_wdset *d = n->ds;
  int latest = is_latest(w);
  h5k_wbuf *b = ml_add(ml, H5K_MSG_DATASPACE, 0);
  if (!b) return h5k_err_nomem();
  TRY(h5k_encode_dataspace(b, &d->space, latest ? 2 : 1, &w->fc));
  if (d->committed_type) {
    b = ml_add(ml, H5K_MSG_DATATYPE, 0x02 | 0x01);
    if (!b) return h5k_err_nomem();
    TRY(put_shared_type(b, w, d->committed_type, measuring));
  } else {
    b = ml_add(ml, H5K_MSG_DATATYPE, 0x01);
    if (!b) return h5k_err_nomem();
    TRY(encode_datatype_msg(b, w, d->type));
  }
  b = ml_add(ml, H5K_MSG_FILLVALUE, 0x01);
  if (!b) return h5k_err_nomem();
  TRY(h5k_encode_fill(b, &d->fill, latest ? 3 : 2));
  if (d->refs && d->layout.cls == H5K_LAYOUT_COMPACT) fill_refs(d->layout.compact, w, d->refs, d->nrefs);
  h5k_layout l = d->layout;
  /* a chunked dataset read from the file whose chunks were not touched keeps its index as it is
   * (the header moves, the index does not) */
  if (l.cls == H5K_LAYOUT_CHUNKED && d->chunks_loaded) {
    l.addr = d->nchunks ? addr_or0(p->index_addr, measuring) : H5K_ADDR_UNDEF;
    if (l.index == H5K_CHUNK_INDEX_SINGLE && d->nchunks) {
      l.addr = addr_or0(d->chunks[0].addr, measuring);
      l.single_size = d->chunks[0].size;
      l.single_mask = d->chunks[0].mask;
    }
    if (l.index == H5K_CHUNK_INDEX_BTREE1 && !d->nchunks) l.addr = addr_or0(p->index_addr, measuring);
  }
  b = ml_add(ml, H5K_MSG_LAYOUT, 0);
  if (!b) return h5k_err_nomem();
  TRY(h5k_encode_layout(b, &l, &w->fc));
  if (d->pline.n) {
    b = ml_add(ml, H5K_MSG_PLINE, 0x01);
    if (!b) return h5k_err_nomem();
    h5k_pline pl = d->pline;
    pl.version = latest ? 2 : 1;
    TRY(h5k_encode_pline(b, &pl));
  }
  return 0;
}

static int node_messages(msglist *ml, h5k_writer *w, h5k_wnode *n, const node_plan *p, int measuring) {
  if (n->kind == WN_GROUP) TRY(group_messages(ml, w, n, p, measuring));
  else if (n->kind == WN_DATASET) TRY(dataset_messages(ml, w, n, p, measuring));
  else {
    h5k_wbuf *b = ml_add(ml, H5K_MSG_DATATYPE, 0x01);
    if (!b) return h5k_err_nomem();
    TRY(encode_datatype_msg(b, w, n->type));
  }
  TRY(add_raw(ml, n));
  if (p->dense_attrs || (n->attr_order & 1)) {
    /* attribute info: where dense attributes live, and the creation order state */
    int track = (n->attr_order & 1) != 0, index = track && (n->attr_order & 2);
    h5k_linfo ai = {track, index, track ? n->next_attr_corder : 0,
                    p->dense_attrs ? addr_or0(p->attr_heap, measuring) : H5K_ADDR_UNDEF,
                    p->dense_attrs ? addr_or0(p->attr_name_bt2, measuring) : H5K_ADDR_UNDEF,
                    p->dense_attrs && index ? addr_or0(p->attr_corder_bt2, measuring) : H5K_ADDR_UNDEF};
    h5k_wbuf *b = ml_add(ml, H5K_MSG_AINFO, 0);
    if (!b) return h5k_err_nomem();
    TRY(h5k_encode_ainfo(b, &ai, &w->fc));
  }
  if (!p->dense_attrs && n->nattrs) {
    h5k_wbuf *v;
    TRY(encode_attr_msgs(&v, w, n));
    int rc = 0;
    for (size_t i = 0; i < n->nattrs && rc >= 0; i++) {
      h5k_wbuf *b = ml_add(ml, H5K_MSG_ATTR, 0);
      if (!b) rc = h5k_err_nomem();
      else {
        *b = v[i]; /* ownership moves */
        wbuf_init(&v[i]);
        ml->m[ml->n - 1].corder = (unsigned)n->attrs[i].corder; /* in the message prefix when tracked */
      }
    }
    free_bufs(v, n->nattrs);
    TRY(rc);
  }
  ml_finish(ml);
  return 0;
}

static int encode_header(h5k_wbuf *out, h5k_writer *w, h5k_wnode *n, const node_plan *p, int measuring) {
  msglist ml = {0};
  int rc = node_messages(&ml, w, n, p, measuring);
  if (rc >= 0) {
    uint64_t total = n->nlinks + (n->nuses > 0 ? (uint64_t)n->nuses : 0);
    uint32_t rcount = total ? (uint32_t)total : 1;
    if (p->oh_version == 2) {
      h5k_oh_opts o;
      memset(&o, 0, sizeof o);
      o.track_corder = (n->attr_order & 1) != 0;
      o.index_corder = o.track_corder && (n->attr_order & 2);
      rc = h5k_oh_encode_v2(out, &w->fc, &o, rcount, ml.m, ml.n, 0);
    } else {
      rc = h5k_oh_encode(out, &w->fc, 1, rcount, ml.m, ml.n, 0);
    }
  }
  ml_free(&ml);
  return rc;
}

/* The chunk records of a dataset for the index builder. */
static int build_index(h5k_wbuf *side, h5k_writer *w, h5k_wnode *n, uint64_t base, node_plan *p, int measuring) {
  h5k_wdset *d = n->ds;
  if (d->layout.cls != H5K_LAYOUT_CHUNKED || !d->chunks_loaded) return 0;
  if (d->layout.index == H5K_CHUNK_INDEX_SINGLE) return 0;
  if (!d->nchunks && d->layout.index != H5K_CHUNK_INDEX_BTREE1) return 0; /* undefined address */
  h5k_chunk_rec *r = malloc((d->nchunks ? d->nchunks : 1) * sizeof *r);
  if (!r) return h5k_err_nomem();
  for (size_t i = 0; i < d->nchunks; i++) {
    memset(&r[i], 0, sizeof r[i]);
    memcpy(r[i].scaled, d->chunks[i].scaled, sizeof r[i].scaled);
    r[i].addr = measuring ? 0 : d->chunks[i].addr;
    r[i].size = d->chunks[i].size;
    r[i].mask = d->chunks[i].mask;
  }
  h5k_chunk_geom g;
  h5k_wdset_geom(&g, d);
  int rc = h5k_chunk_index_build(side, base, &p->index_addr, &w->fc, &g, r, d->nchunks);
  free(r);
  return rc;
}

static int build_dense_links(h5k_wbuf *side, h5k_writer *w, h5k_wnode *g, uint64_t base, node_plan *p, int measuring) {
  size_t n = g->nlinks_g;
  h5k_dense_rec *r = calloc(n, sizeof *r);
  h5k_wbuf *mb = calloc(n, sizeof *mb);
  int rc = r && mb ? 0 : h5k_err_nomem();
  /* records in creation order: the heap is filled in that order */
  for (size_t i = 0; i < n && rc >= 0; i++) {
    const h5k_wlink *l = &g->links[i];
    h5k_link_msg m;
    link_to_msg(&m, l, measuring, g->track_order);
    wbuf_init(&mb[i]);
    rc = h5k_encode_link(&mb[i], &m, &w->fc);
    r[i].msg = mb[i].p;
    r[i].len = mb[i].len;
    r[i].name = l->name;
    r[i].corder = l->corder;
  }
  for (size_t i = 1; rc >= 0 && i < n; i++) { /* insertion sort by creation order */
    h5k_dense_rec x = r[i];
    size_t j = i;
    while (j > 0 && r[j - 1].corder > x.corder) {
      r[j] = r[j - 1];
      j--;
    }
    r[j] = x;
  }
  if (rc >= 0)
    rc = h5k_dense_build(side, base, &w->fc, 0, g->track_order, r, n, &p->link_heap, &p->link_name_bt2,
                         &p->link_corder_bt2);
  if (mb)
    for (size_t i = 0; i < n; i++) wbuf_free(&mb[i]);
  free(mb);
  free(r);
  return rc;
}

static int build_dense_attrs(h5k_wbuf *side, h5k_writer *w, h5k_wnode *n, uint64_t base, node_plan *p) {
  h5k_wbuf *v;
  TRY(encode_attr_msgs(&v, w, n));
  h5k_dense_rec *r = calloc(n->nattrs, sizeof *r);
  int rc = r ? 0 : h5k_err_nomem();
  for (size_t i = 0; i < n->nattrs && rc >= 0; i++) {
    r[i].msg = v[i].p;
    r[i].len = v[i].len;
    r[i].name = n->attrs[i].name;
    /* untracked creation order: libhdf5 stores 65535 */
    r[i].corder = (n->attr_order & 1) ? n->attrs[i].corder : 65535;
    r[i].flags = 0;
  }
  if (rc >= 0)
    rc = h5k_dense_build(side, base, &w->fc, 1, (n->attr_order & 3) == 3, r, n->nattrs, &p->attr_heap,
                         &p->attr_name_bt2, &p->attr_corder_bt2);
  free(r);
  free_bufs(v, n->nattrs);
  return rc;
}

/* The parts of a node's run, one after another: links (symbol table or dense), dense attributes,
 * chunk index. Each builder lays its part out at base + the bytes already in the run. */
static int build_side(h5k_wbuf *side, h5k_writer *w, h5k_wnode *n, uint64_t base, node_plan *p, int measuring) {
  if (n->kind == WN_GROUP && group_uses_symtab(w, n)) TRY(build_symtab(side, w, n, base + side->len, p, measuring));
  else if (n->kind == WN_GROUP && p->dense_links) TRY(build_dense_links(side, w, n, base + side->len, p, measuring));
  if (p->dense_attrs) TRY(build_dense_attrs(side, w, n, base + side->len, p));
  if (n->kind == WN_DATASET) TRY(build_index(side, w, n, base + side->len, p, measuring));
  return 0;
}

/* Contiguous object reference data: written fresh with the final addresses (the storage the
 * committed state uses is left alone). */
static int write_ref_storage(h5k_writer *w, h5k_wnode *n) {
  h5k_wdset *d = n->ds;
  uint64_t size = d->nrefs * 8;
  if (!size) return 0;
  uint8_t *buf = malloc((size_t)size);
  if (!buf) return h5k_err_nomem();
  fill_refs(buf, w, d->refs, d->nrefs);
  int rc = 0;
  if (!addr_defined(d->layout.addr) || d->contig_txn != w->txn) {
    uint64_t addr;
    rc = h5k_space_alloc(&w->space, size, &addr);
    if (rc >= 0 && addr_defined(d->layout.addr)) rc = h5k_space_free_later(&w->space, d->layout.addr, size);
    if (rc >= 0) {
      d->layout.addr = addr;
      d->contig_txn = w->txn;
    }
  }
  if (rc >= 0) rc = h5k_io_write(w->io, buf, (size_t)size, w->fc.base + d->layout.addr);
  free(buf);
  return rc;
}

/* ---- the commit ---------------------------------------------------------------------------------- */
static int write_superblock(h5k_writer *w) {
  h5k_sb_params sp;
  memset(&sp, 0, sizeof sp);
  sp.version = w->fc.sb_version;
  sp.base = w->fc.base;
  sp.eof = w->space.eoa;
  sp.root_addr = w->root->addr;
  sp.root_btree = w->root->stab_btree;
  sp.root_heap = w->root->stab_heap;
  sp.ext_addr = w->fc.sb_version >= 2 ? w->fc.ext : H5K_ADDR_UNDEF;
  sp.sym_leaf_k = w->fc.sym_leaf_k;
  sp.btree_k_group = w->fc.btree_k_group;
  sp.btree_k_chunk = w->fc.btree_k_chunk;
  h5k_wbuf b;
  wbuf_init(&b);
  int rc = h5k_superblock_encode(&b, &sp, &w->fc);
  if (rc >= 0 && b.len > w->sb_ext.len) rc = h5k_err(H5K_EINVAL, "internal: superblock grew to %zu bytes", b.len);
  if (rc >= 0) rc = h5k_io_write(w->io, b.p, b.len, w->fc.base);
  wbuf_free(&b);
  return rc;
}

int h5k_writer_commit(h5k_writer *w) {
  if (w->broken) return h5k_err(H5K_EIO, "an earlier commit or resize failed midway; the file holds its last committed state");
  TRY(h5k_wcache_flush(w, NULL));
  TRY(h5k_wpool_drain(w));
  if (!w->changed) return 0;
  TRY(h5k_wgheap_flush(w));
  TRY(mark_dirty_closure(w));

  /* deleted and never-linked nodes (no hard links left) are not written */
  for (h5k_wnode *n = w->all; n; n = n->all_next)
    if (n != w->root && n->nlinks == 0 && n->nuses <= 0) n->dirty = 0;
  /* a group read from the file whose links were never needed is rewritten with all of them */
  for (h5k_wnode *n = w->all; n; n = n->all_next)
    if (n->dirty && n->kind == WN_GROUP) TRY(h5k_wgroup_load(w, n));
  size_t nd = 0;
  for (h5k_wnode *n = w->all; n; n = n->all_next)
    if (n->dirty) nd++;
  h5k_wnode **dn = malloc((nd ? nd : 1) * sizeof *dn);
  node_plan *plan = calloc(nd ? nd : 1, sizeof *plan);
  int rc = 0;
  if (!dn || !plan) {
    rc = h5k_err_nomem();
    goto done;
  }
  nd = 0;
  for (h5k_wnode *n = w->all; n; n = n->all_next)
    if (n->dirty) dn[nd++] = n;

  /* pass 1: sizes and addresses */
  for (size_t i = 0; i < nd && rc >= 0; i++) {
    h5k_wnode *n = dn[i];
    node_plan *p = &plan[i];
    h5k_wbuf side, oh;
    wbuf_init(&side);
    wbuf_init(&oh);
    p->side_addr = p->index_addr = p->stab_btree = p->stab_heap = H5K_ADDR_UNDEF;
    p->link_heap = p->link_name_bt2 = p->link_corder_bt2 = H5K_ADDR_UNDEF;
    p->attr_heap = p->attr_name_bt2 = p->attr_corder_bt2 = H5K_ADDR_UNDEF;
    p->dense_links = n->kind == WN_GROUP && !group_uses_symtab(w, n) && n->nlinks_g > 8;
    rc = attrs_dense(&p->dense_attrs, w, n);
    p->oh_version = is_latest(w) || p->dense_attrs || (n->attr_order & 1) ? 2 : 1;
    if (rc >= 0) rc = build_side(&side, w, n, 0, p, 1);
    if (rc >= 0 && side.len) {
      p->side_len = side.len;
      rc = h5k_space_alloc(&w->space, side.len, &p->side_addr);
    }
    if (rc >= 0) rc = encode_header(&oh, w, n, p, 1);
    if (rc >= 0) {
      p->oh_len = oh.len;
      rc = h5k_space_alloc(&w->space, oh.len, &n->new_addr);
    }
    wbuf_free(&side);
    wbuf_free(&oh);
  }
  /* the symbol-table addresses of groups are needed by their parents' entries: compute them now
   * by building each side run at its real address (the bytes are written in pass 2) */
  for (size_t i = 0; i < nd && rc >= 0; i++) {
    h5k_wnode *n = dn[i];
    if (n->kind != WN_GROUP || !group_uses_symtab(w, n)) continue;
    h5k_wbuf side;
    wbuf_init(&side);
    node_plan tmp = plan[i];
    rc = build_side(&side, w, n, plan[i].side_addr, &tmp, 1);
    n->new_stab_btree = tmp.stab_btree;
    n->new_stab_heap = tmp.stab_heap;
    wbuf_free(&side);
  }
  /* sequences of references (DIMENSION_LIST): their targets' final addresses are known now; new
   * global heap objects hold them, and the attribute values (same size) point there */
  for (size_t i = 0; i < nd && rc >= 0; i++) rc = write_vlen_refs(w, dn[i]);
  if (rc >= 0) rc = h5k_wgheap_flush(w);
  /* pass 2: encode and write */
  for (size_t i = 0; i < nd && rc >= 0; i++) {
    h5k_wnode *n = dn[i];
    node_plan *p = &plan[i];
    h5k_wbuf side, oh;
    wbuf_init(&side);
    wbuf_init(&oh);
    if (p->side_len) {
      rc = build_side(&side, w, n, p->side_addr, p, 0);
      if (rc >= 0 && side.len != p->side_len) rc = h5k_err(H5K_EINVAL, "internal: a structure changed size between passes");
      if (rc >= 0) rc = h5k_io_write(w->io, side.p, side.len, w->fc.base + p->side_addr);
    } else {
      rc = build_side(&side, w, n, 0, p, 0); /* no run, but sets results (none) */
    }
    if (rc >= 0 && n->ds && n->ds->refs && n->ds->layout.cls == H5K_LAYOUT_CONTIGUOUS) rc = write_ref_storage(w, n);
    if (rc >= 0) rc = encode_header(&oh, w, n, p, 0);
    if (rc >= 0 && oh.len != p->oh_len) rc = h5k_err(H5K_EINVAL, "internal: an object header changed size between passes");
    if (rc >= 0) rc = h5k_io_write(w->io, oh.p, oh.len, w->fc.base + n->new_addr);
    wbuf_free(&side);
    wbuf_free(&oh);
  }
  if (rc < 0) goto failed;

  /* step 5: the switch */
  rc = w->io->sync(w->io);
  if (rc >= 0) {
    /* the root's new address goes into the superblock */
    h5k_wnode *r = w->root;
    uint64_t old_addr = r->addr, old_bt = r->stab_btree, old_hp = r->stab_heap;
    if (r->dirty) {
      r->addr = r->new_addr;
      r->stab_btree = r->new_stab_btree;
      r->stab_heap = r->new_stab_heap;
      if (!group_uses_symtab(w, r)) r->stab_btree = r->stab_heap = H5K_ADDR_UNDEF;
    }
    rc = write_superblock(w);
    if (rc >= 0) rc = w->io->sync(w->io);
    if (rc < 0) {
      r->addr = old_addr;
      r->stab_btree = old_bt;
      r->stab_heap = old_hp;
    }
  }
  if (rc < 0) goto failed;

  /* step 6: the new state is durable; account for space */
  for (size_t i = 0; i < nd; i++) {
    h5k_wnode *n = dn[i];
    node_plan *p = &plan[i];
    for (size_t k = w->keep_original ? n->norig : 0; k < n->nowned; k++)
      (void)h5k_space_free_later(&w->space, n->owned[k].addr, n->owned[k].len);
    n->nowned = n->norig = 0;
    (void)h5k_wnode_own(n, n->new_addr, p->oh_len);
    if (p->side_len) (void)h5k_wnode_own(n, p->side_addr, p->side_len);
    n->addr = n->new_addr;
    n->new_addr = H5K_ADDR_UNDEF;
    if (n->kind == WN_GROUP) {
      n->stab_btree = group_uses_symtab(w, n) ? n->new_stab_btree : H5K_ADDR_UNDEF;
      n->stab_heap = group_uses_symtab(w, n) ? n->new_stab_heap : H5K_ADDR_UNDEF;
    }
    n->dirty = 0;
  }
  h5k_writer_addrs_moved(w);
  rc = h5k_space_release_pending(&w->space);
  w->txn++;
  w->changed = 0;
  goto done;

failed:
  /* The superblock still names the old state, which nothing above overwrote. The model is now out
   * of step with the allocations made, so the handle refuses further changes. */
  w->broken = 1;
done:
  free(dn);
  free(plan);
  return rc;
}
