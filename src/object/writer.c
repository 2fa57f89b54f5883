/* The writer's model: nodes, paths, links and loading untouched objects from the committed file.
 * See writer.h for the design; commit.c serializes the model, wdata.c writes dataset storage. */
#include <stdlib.h>
#include <string.h>

#include "api/file_impl.h"
#include "format/global_heap.h"
#include "format/messages.h"
#include "object/object.h"
#include "object/dataset.h"
#include "object/writer.h"
#include "util/checked.h"
#include "util/error.h"

/* ---- nodes ------------------------------------------------------------------------------------ */
int h5k_wnode_new(h5k_wnode **out, h5k_writer *w, int kind) {
  h5k_wnode *n = calloc(1, sizeof *n);
  if (!n) return h5k_err_nomem();
  n->kind = kind;
  n->addr = H5K_ADDR_UNDEF;
  n->new_addr = H5K_ADDR_UNDEF;
  n->stab_btree = n->stab_heap = n->new_stab_btree = n->new_stab_heap = H5K_ADDR_UNDEF;
  n->dirty = 1;
  n->links_loaded = 1;
  if (kind == WN_DATASET) {
    n->ds = calloc(1, sizeof *n->ds);
    if (!n->ds) {
      free(n);
      return h5k_err_nomem();
    }
    n->ds->chunks_loaded = 1;
  }
  n->all_next = w->all;
  w->all = n;
  *out = n;
  return 0;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap) return 0;
  size_t nc = *cap ? *cap * 2 : 4;
  while (nc < need) nc *= 2;
  void *q = realloc(*p, nc * elem);
  if (!q) return h5k_err_nomem();
  *p = q;
  *cap = nc;
  return 0;
}

int h5k_wnode_add_parent(h5k_wnode *n, h5k_wnode *parent) {
  TRY(grow((void **)&n->parents, &n->capparents, n->nparents + 1, sizeof *n->parents));
  n->parents[n->nparents++] = parent;
  return 0;
}

void h5k_wnode_remove_parent(h5k_wnode *n, h5k_wnode *parent) {
  for (size_t i = 0; i < n->nparents; i++)
    if (n->parents[i] == parent) {
      n->parents[i] = n->parents[--n->nparents];
      return;
    }
}

int h5k_wnode_own(h5k_wnode *n, uint64_t addr, uint64_t len) {
  if (!len || addr == H5K_ADDR_UNDEF) return 0;
  TRY(grow((void **)&n->owned, &n->capowned, n->nowned + 1, sizeof *n->owned));
  n->owned[n->nowned].addr = addr;
  n->owned[n->nowned].len = len;
  n->nowned++;
  return 0;
}

void h5k_wnode_mark_dirty(h5k_writer *w, h5k_wnode *n) {
  n->dirty = 1;
  w->changed = 1;
}

void h5k_wlink_clear(h5k_wlink *l) {
  free(l->name);
  free(l->soft);
  free(l->ext_file);
  free(l->ext_path);
  memset(l, 0, sizeof *l);
}

void h5k_wattr_clear(h5k_wattr *a) {
  free(a->refs);
  free(a->ref_off);
  free(a->vref_len);
  free(a->name);
  h5k_datatype_free(a->type);
  free(a->data);
  memset(a, 0, sizeof *a);
}

static void wnode_free(h5k_wnode *n) {
  for (size_t i = 0; i < n->nlinks_g; i++) h5k_wlink_clear(&n->links[i]);
  free(n->links);
  for (size_t i = 0; i < n->nattrs; i++) h5k_wattr_clear(&n->attrs[i]);
  free(n->attrs);
  for (size_t i = 0; i < n->nraw; i++) free(n->raw[i].data);
  free(n->raw);
  free(n->parents);
  free(n->owned);
  if (n->ds) h5k_wdset_free(n->ds);
  free(n->ds);
  h5k_datatype_free(n->type);
  free(n);
}

int h5k_check_name(const char *name) {
  if (!name || !*name) return h5k_err(H5K_EINVAL, "empty link name");
  if (strchr(name, '/')) return h5k_err(H5K_EINVAL, "link name \"%s\" contains '/'", name);
  if (!strcmp(name, ".")) return h5k_err(H5K_EINVAL, "\".\" is not a valid link name");
  if (strlen(name) > 65535) return h5k_err(H5K_EINVAL, "link name longer than 65535 bytes");
  return 0;
}

/* ---- loading untouched objects ---------------------------------------------------------------- */
/* The nodes loaded from the file, by address (w->byaddr), so that loading a whole tree costs
 * linear time: load_node asks for every address it meets. */
static size_t addr_slot(uint64_t a, size_t cap) {
  a ^= a >> 33;
  a *= 0xff51afd7ed558ccdULL;
  a ^= a >> 33;
  return (size_t)a & (cap - 1);
}

static void byaddr_put_slot(h5k_wnode **tab, size_t cap, h5k_wnode *n) {
  size_t i = addr_slot(n->addr, cap);
  while (tab[i]) i = (i + 1) & (cap - 1);
  tab[i] = n;
}

static int byaddr_grow(h5k_writer *w, size_t need) {
  size_t cap = w->byaddr_cap ? w->byaddr_cap : 64;
  while (cap < 2 * need) cap *= 2;
  if (cap == w->byaddr_cap && !w->byaddr_stale) return 0;
  h5k_wnode **tab = calloc(cap, sizeof *tab);
  if (!tab) return h5k_err_nomem();
  size_t n = 0;
  for (h5k_wnode *x = w->all; x; x = x->all_next)
    if (x->loaded_from_file) {
      byaddr_put_slot(tab, cap, x);
      n++;
    }
  free(w->byaddr);
  w->byaddr = tab;
  w->byaddr_cap = cap;
  w->byaddr_n = n;
  w->byaddr_stale = 0;
  return 0;
}

static h5k_wnode *find_loaded(h5k_writer *w, uint64_t addr) {
  if (w->byaddr_stale && byaddr_grow(w, w->byaddr_n) < 0) { /* no memory: the slow way */
    for (h5k_wnode *n = w->all; n; n = n->all_next)
      if (n->addr == addr && n->loaded_from_file) return n;
    return NULL;
  }
  if (!w->byaddr_cap) return NULL;
  for (size_t i = addr_slot(addr, w->byaddr_cap); w->byaddr[i]; i = (i + 1) & (w->byaddr_cap - 1))
    if (w->byaddr[i]->addr == addr && w->byaddr[i]->loaded_from_file) return w->byaddr[i];
  return NULL;
}

/* Record a node just loaded (its addr set, loaded_from_file = 1). */
static int byaddr_add(h5k_writer *w, h5k_wnode *n) {
  if (w->byaddr_stale || 2 * (w->byaddr_n + 1) > w->byaddr_cap) return byaddr_grow(w, w->byaddr_n + 1);
  byaddr_put_slot(w->byaddr, w->byaddr_cap, n);
  w->byaddr_n++;
  return 0;
}

void h5k_writer_addrs_moved(h5k_writer *w) { w->byaddr_stale = 1; }

typedef struct {
  h5k_wnode *g;
  int rc;
} load_links_ctx;

static int dupstr(char **out, const char *s) {
  *out = s ? h5k_msg_strndup((const uint8_t *)s, strlen(s)) : NULL;
  return s && !*out ? h5k_err_nomem() : 0;
}

static int load_link_cb(void *ud, const h5k_link *l) {
  load_links_ctx *c = ud;
  h5k_wnode *g = c->g;
  TRY(grow((void **)&g->links, &g->caplinks, g->nlinks_g + 1, sizeof *g->links));
  h5k_wlink *d = &g->links[g->nlinks_g];
  memset(d, 0, sizeof *d);
  d->type = l->type;
  d->addr = l->addr;
  d->corder = l->has_corder ? l->corder : 0;
  d->charset = l->charset;
  int rc = dupstr(&d->name, l->name);
  if (rc >= 0) rc = dupstr(&d->soft, l->type == H5K_LINK_SOFT ? l->soft_target : NULL);
  if (rc >= 0) rc = dupstr(&d->ext_file, l->type == H5K_LINK_EXTERNAL ? l->ext_file : NULL);
  if (rc >= 0) rc = dupstr(&d->ext_path, l->type == H5K_LINK_EXTERNAL ? l->ext_path : NULL);
  if (rc < 0) {
    h5k_wlink_clear(d);
    return rc;
  }
  if (l->has_corder && l->corder >= g->next_corder) g->next_corder = l->corder + 1;
  g->nlinks_g++;
  return 0;
}

int h5k_wgroup_load(h5k_writer *w, h5k_wnode *g) {
  if (g->kind != WN_GROUP) return h5k_err(H5K_EINVAL, "not a group");
  if (g->links_loaded) return 0;
  h5k_ohdr oh;
  TRY(h5k_ohdr_read(&oh, &w->file->fc, g->addr));
  load_links_ctx c = {g, 0};
  int rc = h5k_obj_links(&w->file->fc, &oh, H5K_ORDER_NAME, load_link_cb, &c);
  h5k_ohdr_free(&oh);
  if (rc < 0) { /* none kept: a later attempt starts afresh */
    for (size_t i = 0; i < g->nlinks_g; i++) h5k_wlink_clear(&g->links[i]);
    g->nlinks_g = 0;
    return rc;
  }
  g->links_loaded = 1;
  return 0;
}

static int load_node(h5k_wnode **out, h5k_writer *w, uint64_t addr);

int h5k_value_ref_offsets(size_t **off, size_t *n, const h5k_datatype *t, size_t data_len) {
  size_t *f = NULL, nf = 0, es = (size_t)t->size;
  *off = NULL;
  *n = 0;
  int rc = h5k_datatype_ref_offsets(&f, &nf, t);
  if (rc <= 0 || nf == 0 || !es || data_len % es) {
    free(f);
    return rc < 0 ? rc : 0;
  }
  size_t nel = data_len / es, cnt = nel * nf;
  *off = malloc((cnt ? cnt : 1) * sizeof **off);
  if (!*off) {
    free(f);
    return h5k_err_nomem();
  }
  for (size_t e = 0; e < nel; e++)
    for (size_t k = 0; k < nf; k++) (*off)[e * nf + k] = e * es + f[k];
  free(f);
  *n = cnt;
  return 1;
}

/* A variable-length sequence of object references (each element's references in one global
 * heap object): the form of dimension scales' DIMENSION_LIST. */
int h5k_is_vlen_of_refs(const h5k_datatype *t) {
  return t && t->cls == H5K_CLASS_VLEN && t->vlen_type == H5K_VLEN_SEQUENCE && h5k_is_objref(t->base) &&
         t->base->size == 8;
}

/* Whether t holds references the writer does not follow. Datasets (top = 0): any reference;
 * attributes (top = 1): all but object references at fixed places (h5k_datatype_ref_offsets) and
 * sequences of them (is_vlen_of_refs). */
static int type_has_ref(const h5k_datatype *t, int top) {
  if (!top) return h5k_datatype_contains(t, H5K_CLASS_REFERENCE);
  if (h5k_is_vlen_of_refs(t)) return 0;
  size_t *off = NULL, n = 0;
  int rc = h5k_datatype_ref_offsets(&off, &n, t);
  free(off);
  return rc != 1;
}

/* Attributes of a loaded object: kept in the model so the header can be rebuilt. */
typedef struct {
  h5k_wnode *n;
  size_t cap;
  h5k_writer *w;
} attr_load;

static int attr_load_cb(void *ud, const h5k_attr *a) {
  attr_load *al = ud;
  h5k_wnode *n = al->n;
  TRY(grow((void **)&n->attrs, &al->cap, n->nattrs + 1, sizeof *n->attrs));
  h5k_wattr *d = &n->attrs[n->nattrs];
  memset(d, 0, sizeof *d);
  d->charset = a->charset;
  d->space = *a->space;
  d->corder = a->has_corder ? a->corder : (int64_t)n->nattrs;
  d->data_len = a->data_size;
  int rc = dupstr(&d->name, a->name);
  if (rc >= 0) rc = h5k_datatype_copy(&d->type, a->type);
  if (rc >= 0 && a->data_size) {
    d->data = malloc(a->data_size);
    if (!d->data) rc = h5k_err_nomem();
    else memcpy(d->data, a->data, a->data_size);
  }
  if (rc < 0) {
    h5k_wattr_clear(d);
    return rc;
  }
  if (type_has_ref(d->type, 1)) al->w->keep_original = 1; /* nested or region references */
  if (d->type && d->type->committed) {
    /* keep using the committed type (its refcount read from the file counts this use) */
    d->type->committed = 0;
    rc = load_node(&d->committed_type, al->w, a->type->committed_addr);
    if (rc < 0) {
      h5k_wattr_clear(d);
      return rc;
    }
  }
  if (d->corder >= n->next_attr_corder) n->next_attr_corder = d->corder + 1;
  n->nattrs++;
  return 0;
}

static int keep_raw(h5k_wnode *n, const h5k_msg *m, size_t *cap) {
  TRY(grow((void **)&n->raw, cap, n->nraw + 1, sizeof *n->raw));
  h5k_rawmsg *r = &n->raw[n->nraw];
  r->type = m->type;
  r->flags = m->flags;
  r->len = m->size;
  r->data = malloc(m->size ? m->size : 1);
  if (!r->data) return h5k_err_nomem();
  if (m->size) memcpy(r->data, m->data, m->size);
  n->nraw++;
  return 0;
}

static int load_node(h5k_wnode **out, h5k_writer *w, uint64_t addr);
int h5k_wnode_symbolize_refs(h5k_writer *w, h5k_wnode *n);

/* The targets of n stored object references (8-byte addresses at raw + off[k], or raw + 8k when
 * off is NULL) into v: nodes loaded from the file; null, dangling or unloadable ones stay NULL. */
static void load_ref_targets(h5k_writer *w, h5k_wnode **v, const uint8_t *raw, const size_t *off, size_t n) {
  for (size_t k = 0; k < n; k++) {
    const uint8_t *p = raw + (off ? off[k] : 8 * k);
    uint64_t addr = 0;
    for (int b = 0; b < 8; b++) addr |= (uint64_t)p[b] << (8 * b);
    v[k] = NULL;
    if (addr && addr != H5K_ADDR_UNDEF && load_node(&v[k], w, addr) < 0) v[k] = NULL;
  }
  h5k_err_clear();
}

/* An object reference dataset (compact or contiguous) read from the file: its values become nodes,
 * so that they follow their targets when a commit moves them (commit.c rewrites the values). A
 * size that does not match, or unreadable values, leave it as it is (not followed). */
static int load_dataset_refs(h5k_writer *w, h5k_wnode *n) {
  h5k_wdset *d = n->ds;
  uint64_t nel = 1;
  for (unsigned i = 0; d->space.kind == H5K_SPACE_SIMPLE && i < d->space.rank; i++)
    if (ck_mul64(nel, d->space.dims[i], &nel)) nel = UINT64_MAX;
  if (d->space.kind == H5K_SPACE_NULL) nel = 0;
  uint64_t stored = d->layout.cls == H5K_LAYOUT_COMPACT ? d->layout.compact_size : d->layout.size;
  if (nel > ((uint64_t)1 << 24) || stored != nel * 8) {
    w->keep_original = 1;
    return 0;
  }
  uint8_t *raw = NULL;
  h5k_wnode **v = calloc(nel ? (size_t)nel : 1, sizeof *v);
  if (!v) return h5k_err_nomem();
  int rc = 0;
  if (d->layout.cls == H5K_LAYOUT_COMPACT) {
    raw = d->layout.compact;
  } else if (addr_defined(d->layout.addr) && nel) {
    raw = malloc((size_t)stored);
    rc = raw ? h5k_io_read(w->io, raw, (size_t)stored, w->fc.base + d->layout.addr) : h5k_err_nomem();
  }
  if (rc >= 0 && raw) load_ref_targets(w, v, raw, NULL, (size_t)nel);
  if (raw && raw != d->layout.compact) free(raw);
  if (rc < 0) {
    free(v);
    w->keep_original = 1;
    h5k_err_clear();
    return 0;
  }
  d->refs = v;
  d->nrefs = nel;
  return 0;
}

/* Fill a dataset node from its header: decoded (and checked) by the reader's h5k_dset_open,
 * then the parts the writer re-encodes move into the node. */
static int load_dataset(h5k_writer *w, h5k_wnode *n, const h5k_ohdr *oh) {
  h5k_wdset *d = n->ds;
  h5k_dset rd;
  h5k_read_env env = {&w->file->fc, &w->filters, 1, NULL};
  int rc;
  TRY(h5k_dset_open(&rd, &env, oh));
  if (rd.layout.cls == H5K_LAYOUT_VIRTUAL)
    rc = h5k_err(H5K_EUNSUPPORTED, "changing an existing virtual dataset is not supported");
  else if (rd.efl.n)
    rc = h5k_err(H5K_EUNSUPPORTED, "changing a dataset with external storage is not supported");
  else
    rc = 0;
  if (rc < 0) {
    h5k_dset_close(&rd);
    return rc;
  }
  d->space = rd.space;
  d->type = rd.type;
  d->layout = rd.layout;
  d->pline = rd.pline;
  rd.type = NULL;
  memset(&rd.layout, 0, sizeof rd.layout);
  memset(&rd.pline, 0, sizeof rd.pline);
  if (h5k_ohdr_find(oh, H5K_MSG_FILLVALUE, NULL) || h5k_ohdr_find(oh, H5K_MSG_FILLVALUE_OLD, NULL)) {
    d->fill = rd.fill;
    memset(&rd.fill, 0, sizeof rd.fill);
  } else {
    /* no fill value message: libhdf5's defaults for such (old) files — allocation by layout,
     * fill time "if set", no fill value defined */
    d->fill.version = 2;
    d->fill.alloc_time = d->layout.cls == H5K_LAYOUT_CHUNKED ? 3 : d->layout.cls == H5K_LAYOUT_COMPACT ? 1 : 2;
    d->fill.fill_time = 2;
    d->fill.undefined = 1;
  }
  h5k_dset_close(&rd);
  d->elem_size = (size_t)d->type->size;
  if (d->layout.version < 3) d->layout.version = 3; /* versions 1-2 are rewritten as 3 (same content) */
  if (h5k_is_objref(d->type) && d->type->size == 8 &&
      (d->layout.cls == H5K_LAYOUT_COMPACT || d->layout.cls == H5K_LAYOUT_CONTIGUOUS))
    TRY(load_dataset_refs(w, n)); /* followed, as in datasets h5kit creates */
  else if (type_has_ref(d->type, 0))
    w->keep_original = 1; /* reference values in data: not followed */
  if (d->type->committed) TRY(load_node(&d->committed_type, w, d->type->committed_addr));
  d->chunks_loaded = d->layout.cls != H5K_LAYOUT_CHUNKED;
  d->contig_txn = 0;
  return 0;
}

/* Create the model node for the object at addr (once per object). */
static int load_node(h5k_wnode **out, h5k_writer *w, uint64_t addr) {
  h5k_wnode *n = find_loaded(w, addr);
  if (n) {
    *out = n;
    return 0;
  }
  h5k_ohdr oh;
  TRY(h5k_ohdr_read(&oh, &w->file->fc, addr));
  int rc = 0;
  n = NULL;
  h5k_obj_type t = h5k_obj_classify(&oh);
  int kind = t == H5K_OBJ_GROUP ? WN_GROUP : t == H5K_OBJ_DATASET ? WN_DATASET : t == H5K_OBJ_DATATYPE ? WN_DATATYPE : 0;
  if (!kind) {
    h5k_ohdr_free(&oh);
    return h5k_err(H5K_EUNSUPPORTED, "object at %llu is of an unknown kind", (unsigned long long)addr);
  }
  rc = h5k_wnode_new(&n, w, kind);
  if (rc < 0) goto done;
  n->addr = addr;
  n->loaded_from_file = 1;
  rc = byaddr_add(w, n);
  if (rc < 0) goto done;
  /* the header's chunks are the node's: released when it is rewritten */
  for (size_t i = 0; i < oh.nchunks && rc >= 0; i++) rc = h5k_wnode_own(n, oh.chunk_ext[2 * i], oh.chunk_ext[2 * i + 1]);
  if (rc < 0) goto done;
  n->norig = n->nowned;
  n->dirty = 0;
  n->nlinks = oh.refcount;
  n->links_loaded = kind != WN_GROUP;
  if (oh.version == 2) n->attr_order = (oh.flags >> 2) & 3u;
  {
    const h5k_msg *am = h5k_ohdr_find(&oh, H5K_MSG_AINFO, NULL);
    h5k_linfo ai;
    if (am && h5k_decode_ainfo(&ai, am->data, am->size, &w->file->fc) >= 0) {
      n->attr_order |= (ai.track_corder ? 1u : 0u) | (ai.index_corder ? 2u : 0u);
      if (ai.track_corder && ai.max_corder > n->next_attr_corder) n->next_attr_corder = ai.max_corder;
    }
  }
  if (kind == WN_GROUP) {
    n->track_order = h5k_obj_tracks_order(&oh);
    const h5k_msg *sm = h5k_ohdr_find(&oh, H5K_MSG_STAB, NULL);
    h5k_stab st;
    if (sm && h5k_decode_stab(&st, sm->data, sm->size, &w->file->fc) >= 0) {
      n->stab_btree = st.btree_addr;
      n->stab_heap = st.heap_addr;
    }
  } else if (kind == WN_DATASET) {
    rc = load_dataset(w, n, &oh);
  } else {
    rc = h5k_obj_datatype(&n->type, &w->file->fc, &oh);
  }
  if (rc >= 0) {
    attr_load al = {n, 0, w};
    /* in creation order when it is tracked: the order the rewritten header keeps */
    rc = h5k_obj_attrs(&w->file->fc, &oh, (n->attr_order & 1) ? H5K_ORDER_CREATION : H5K_ORDER_NAME, attr_load_cb,
                       &al);
  }
  if (rc >= 0) rc = h5k_wnode_symbolize_refs(w, n);
  if (rc >= 0) {
    size_t cap = 0;
    for (size_t i = 0; i < oh.nmsgs && rc >= 0; i++) {
      unsigned ty = oh.msgs[i].type;
      switch (ty) {
      case H5K_MSG_NIL: case H5K_MSG_DATASPACE: case H5K_MSG_LINFO: case H5K_MSG_DATATYPE:
      case H5K_MSG_FILLVALUE_OLD: case H5K_MSG_FILLVALUE: case H5K_MSG_LINK: case H5K_MSG_LAYOUT:
      case H5K_MSG_GINFO: case H5K_MSG_PLINE: case H5K_MSG_ATTR: case H5K_MSG_CONT: case H5K_MSG_STAB:
      case H5K_MSG_AINFO: case H5K_MSG_REFCOUNT: case H5K_MSG_MTIME: case H5K_MSG_MTIME_OLD:
        break;
      default:
        rc = keep_raw(n, &oh.msgs[i], &cap);
      }
    }
  }
done:
  h5k_ohdr_free(&oh);
  if (rc < 0) {
    if (n) n->loaded_from_file = 0; /* an orphan: never found again, freed with the writer */
    if (n) w->byaddr_stale = 1;
    return rc;
  }
  *out = n;
  return 0;
}

int h5k_wlink_target(h5k_wnode **out, h5k_writer *w, h5k_wnode *g, h5k_wlink *l) {
  if (l->type != H5K_LINK_HARD) return h5k_err(H5K_EINVAL, "\"%s\" is not a hard link", l->name);
  if (!l->target) {
    h5k_wnode *t;
    TRY(load_node(&t, w, l->addr));
    TRY(h5k_wnode_add_parent(t, g));
    l->target = t;
  }
  *out = l->target;
  return 0;
}

/* ---- links of a group ------------------------------------------------------------------------ */
static size_t link_pos(const h5k_wnode *g, const char *name, int *found) {
  size_t lo = 0, hi = g->nlinks_g;
  *found = 0;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int c = strcmp(g->links[mid].name, name);
    if (c == 0) {
      *found = 1;
      return mid;
    }
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

h5k_wlink *h5k_wgroup_find(h5k_wnode *g, const char *name) {
  int found;
  size_t i = link_pos(g, name, &found);
  return found ? &g->links[i] : NULL;
}

int h5k_wgroup_insert(h5k_writer *w, h5k_wnode *g, h5k_wlink *link) {
  int found;
  size_t i = link_pos(g, link->name, &found);
  if (found) return h5k_err(H5K_EINVAL, "\"%s\" already exists", link->name);
  TRY(grow((void **)&g->links, &g->caplinks, g->nlinks_g + 1, sizeof *g->links));
  if (link->type == H5K_LINK_HARD) {
    TRY(h5k_wnode_add_parent(link->target, g));
    link->target->nlinks++;
    h5k_wnode_mark_dirty(w, link->target); /* its reference count changes */
  }
  memmove(g->links + i + 1, g->links + i, (g->nlinks_g - i) * sizeof *g->links);
  link->corder = g->next_corder++;
  g->links[i] = *link;
  g->nlinks_g++;
  h5k_wnode_mark_dirty(w, g);
  return 0;
}

/* ---- paths ------------------------------------------------------------------------------------- */
static int lookup_rel(h5k_wnode **out, h5k_writer *w, h5k_wnode *start, const char *path, unsigned depth);

static int step(h5k_wnode **out, h5k_writer *w, h5k_wnode *g, const char *name, unsigned depth) {
  if (g->kind != WN_GROUP) return h5k_err(H5K_ENOTFOUND, "\"%s\": a parent is not a group", name);
  TRY(h5k_wgroup_load(w, g));
  h5k_wlink *l = h5k_wgroup_find(g, name);
  if (!l) return h5k_err(H5K_ENOTFOUND, "\"%s\" not found", name);
  if (l->type == H5K_LINK_HARD) return h5k_wlink_target(out, w, g, l);
  if (l->type == H5K_LINK_SOFT) {
    if (depth >= 16) return h5k_err(H5K_ELIMIT, "too many soft links at \"%s\"", name);
    return lookup_rel(out, w, l->soft[0] == '/' ? w->root : g, l->soft, depth + 1);
  }
  return h5k_err(H5K_EUNSUPPORTED, "\"%s\" is an external link (not followed when writing)", name);
}

static int lookup_rel(h5k_wnode **out, h5k_writer *w, h5k_wnode *start, const char *path, unsigned depth) {
  h5k_wnode *cur = start;
  const char *p = path;
  char name[1024];
  while (*p) {
    while (*p == '/') p++;
    if (!*p) break;
    const char *e = strchr(p, '/');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    if (len >= sizeof name) return h5k_err(H5K_ELIMIT, "path component longer than %zu bytes", sizeof name - 1);
    memcpy(name, p, len);
    name[len] = 0;
    p += len;
    if (!strcmp(name, ".")) continue;
    TRY(step(&cur, w, cur, name, depth));
  }
  *out = cur;
  return 0;
}

int h5k_writer_lookup(h5k_wnode **out, h5k_writer *w, const char *path) {
  if (!path) return h5k_err(H5K_EINVAL, "NULL path");
  return lookup_rel(out, w, w->root, path, 0);
}

int h5k_writer_parent(h5k_wnode **parent, const char **name, h5k_writer *w, const char *path, int mkdirs,
                      char **scratch) {
  if (!path || !*path) return h5k_err(H5K_EINVAL, "empty path");
  size_t n = strlen(path);
  char *copy = malloc(n + 1);
  if (!copy) return h5k_err_nomem();
  memcpy(copy, path, n + 1);
  *scratch = copy;
  if (n > 1 && copy[n - 1] == '/')
    return h5k_err(H5K_EINVAL, "\"%s\" ends with '/': a new object needs a name", path);
  char *last = strrchr(copy, '/');
  char *leaf = last ? last + 1 : copy;
  if (last) *last = 0;
  *scratch = copy;
  int rc = h5k_check_name(leaf);
  if (rc < 0) return rc;
  h5k_wnode *cur = w->root;
  char *p = last ? copy : copy + n; /* no '/': parent is the root */
  while (p < leaf) {
    while (*p == '/') p++;
    if (p >= leaf || !*p) break;
    char *e = strchr(p, '/');
    if (e) *e = 0;
    if (strcmp(p, ".")) {
      h5k_wnode *next;
      rc = step(&next, w, cur, p, 0);
      if (rc == H5K_ENOTFOUND && mkdirs && cur->kind == WN_GROUP) {
        h5k_wlink l = {0};
        rc = h5k_wnode_new(&next, w, WN_GROUP);
        if (rc >= 0) rc = dupstr(&l.name, p);
        if (rc >= 0) {
          l.type = H5K_LINK_HARD;
          l.target = next;
          rc = h5k_wgroup_insert(w, cur, &l);
          if (rc < 0) h5k_wlink_clear(&l);
        }
      } else if (rc == H5K_ENOTFOUND) {
        rc = h5k_err(H5K_ENOTFOUND, "parent group \"%s\" of \"%s\" does not exist (create it, or pass H5K_MKDIRS)", p, path);
      }
      if (rc < 0) return rc;
      if (next->kind != WN_GROUP) return h5k_err(H5K_EINVAL, "\"%s\" in \"%s\" is not a group", p, path);
      cur = next;
    }
    if (!e) break;
    p = e + 1;
  }
  TRY(h5k_wgroup_load(w, cur));
  *parent = cur;
  *name = leaf;
  return 0;
}

/* ---- lifecycle --------------------------------------------------------------------------------- */
void h5k_writer_free(h5k_writer *w) {
  if (!w) return;
  h5k_wcache_free(w);
  h5k_wbufs_free(w);
  h5k_wnode *n = w->all;
  while (n) {
    h5k_wnode *next = n->all_next;
    wnode_free(n);
    n = next;
  }
  free(w->byaddr);
  free(w->gcols);
  for (size_t i = 0; i < w->gheap.nobjs; i++) free(w->gheap.objs[i]);
  free(w->gheap.objs);
  free(w->gheap.lens);
  h5k_space_clear(&w->space);
  free(w);
}

static int writer_alloc(h5k_writer **out, h5k_io *io, struct h5k_file *file) {
  h5k_writer *w = calloc(1, sizeof *w);
  if (!w) return h5k_err_nomem();
  w->io = io;
  w->file = file;
  w->txn = 1;
  w->gheap.addr = H5K_ADDR_UNDEF;
  w->nthreads = file->nthreads;
  w->filters = file->filters;
  *out = w;
  return 0;
}

int h5k_writer_new(h5k_writer **out, h5k_io *io, int profile, uint64_t userblock, struct h5k_file *file) {
  h5k_writer *w = NULL;
  TRY(writer_alloc(&w, io, file));
  w->profile = profile;
  w->fc.io = io;
  w->fc.base = userblock;
  w->fc.so = w->fc.sl = 8;
  w->fc.sb_version = profile == H5K_PROFILE_LATEST ? 3 : 0;
  w->fc.sym_leaf_k = 4;
  w->fc.btree_k_group = 16;
  w->fc.btree_k_chunk = 32;
  w->fc.ext = H5K_ADDR_UNDEF;
  w->fc.driver = H5K_ADDR_UNDEF;
  w->fc.sohm_table = H5K_ADDR_UNDEF;
  /* the superblock's size: v0 = 8+8+4+4+4 + 4 addresses + root entry (L+O+24); v2/3 = 12 + 4 O + 4 */
  uint64_t sbsize = w->fc.sb_version == 0 ? 24 + 4 * 8 + (8 + 8 + 24) : 12 + 4 * 8 + 4;
  h5k_space_init(&w->space, sbsize);
  w->sb_ext.addr = 0;
  w->sb_ext.len = sbsize;
  int rc = h5k_wnode_new(&w->root, w, WN_GROUP);
  if (rc < 0) {
    h5k_writer_free(w);
    return rc;
  }
  w->root->nlinks = 1;
  w->changed = 1;
  *out = w;
  return 0;
}

int h5k_writer_attach(h5k_writer **out, h5k_io *io, struct h5k_file *file) {
  const h5k_fctx *fc = &file->fc;
  if (fc->sohm) return h5k_err(H5K_EUNSUPPORTED, "writing to files with shared object header messages is not supported");
  if (fc->sb_version == 1) return h5k_err(H5K_EUNSUPPORTED, "writing to files with a version 1 superblock is not supported");
  if (fc->so != 8 || fc->sl != 8) return h5k_err(H5K_EUNSUPPORTED, "writing needs 8-byte offsets and lengths (this file has %u/%u)", fc->so, fc->sl);
  if (addr_defined(fc->driver)) return h5k_err(H5K_EUNSUPPORTED, "writing to files with a driver information block is not supported");
  h5k_writer *w = NULL;
  TRY(writer_alloc(&w, io, file));
  w->fc = *fc;
  w->fc.sohm = NULL;
  w->profile = fc->sb_version >= 2 ? H5K_PROFILE_LATEST : H5K_PROFILE_COMPAT;
  w->sb_ext.addr = 0;
  w->sb_ext.len = fc->sb_version == 0 ? 24 + 4 * 8 + 40 : 12 + 4 * 8 + 4;
  /* space after the declared end of file (e.g. left by a crash) is simply reused */
  h5k_space_init(&w->space, fc->eof);
  int rc = load_node(&w->root, w, fc->root);
  if (rc >= 0 && w->root->kind != WN_GROUP) rc = corrupt("the root object is not a group");
  if (rc < 0) {
    h5k_writer_free(w);
    return rc;
  }
  *out = w;
  return 0;
}

/* ---- deletion ---------------------------------------------------------------------------------- */
int h5k_writer_delete_node(h5k_writer *w, h5k_wnode *n) {
  if (n == w->root) return h5k_err(H5K_EINVAL, "the root group cannot be deleted");
  if (n->visiting) return 0; /* a cycle of groups being deleted */
  n->visiting = 1;
  int rc = 0;
  for (size_t k = w->keep_original ? n->norig : 0; k < n->nowned && rc >= 0; k++)
    rc = h5k_space_free_later(&w->space, n->owned[k].addr, n->owned[k].len);
  n->nowned = n->norig = 0;
  if (rc >= 0 && n->kind == WN_DATASET) rc = h5k_wdset_release(w, n);
  for (size_t i = 0; i < n->nattrs && rc >= 0; i++) rc = h5k_wattr_drop_type_use(w, n->attrs[i].committed_type);
  if (rc >= 0 && n->kind == WN_DATASET && n->ds->committed_type) {
    h5k_wnode *t = n->ds->committed_type;
    if (t->nuses > 0) t->nuses--;
    else if (t->nlinks) t->nlinks--; /* a use counted in the refcount read from the file */
    h5k_wnode_mark_dirty(w, t);
    if (t->nlinks == 0 && t->nuses <= 0 && t != w->root) rc = h5k_writer_delete_node(w, t);
  }
  if (rc >= 0 && n->kind == WN_GROUP) {
    rc = h5k_wgroup_load(w, n);
    for (size_t i = 0; i < n->nlinks_g && rc >= 0; i++) {
      h5k_wlink *l = &n->links[i];
      if (l->type != H5K_LINK_HARD) continue;
      h5k_wnode *t;
      rc = h5k_wlink_target(&t, w, n, l);
      if (rc < 0) break;
      h5k_wnode_remove_parent(t, n);
      if (t->nlinks) t->nlinks--;
      if (t->nlinks == 0 && t->nuses <= 0) rc = h5k_writer_delete_node(w, t);
      else h5k_wnode_mark_dirty(w, t);
    }
  }
  n->visiting = 0;
  n->dirty = 0;
  n->nlinks = 0;
  w->changed = 1;
  return rc;
}

/* ---- object references ------------------------------------------------------------------------- */
int h5k_is_objref(const h5k_datatype *t) { return t && t->cls == H5K_CLASS_REFERENCE && t->ref_type == H5K_REF_OBJECT; }

int h5k_writer_resolve_refs(h5k_wnode ***out, h5k_writer *w, const char *const *paths, size_t n) {
  h5k_wnode **v = calloc(n ? n : 1, sizeof *v);
  if (!v) return h5k_err_nomem();
  for (size_t i = 0; i < n; i++) {
    if (!paths[i] || !*paths[i]) continue;
    int rc = h5k_writer_lookup(&v[i], w, paths[i]);
    if (rc < 0) {
      free(v);
      return rc == H5K_ENOTFOUND ? h5k_err(H5K_EINVAL, "object reference to \"%s\": no such object", paths[i]) : rc;
    }
  }
  *out = v;
  return 0;
}

/* A sequence-of-references attribute: every element's references read from the global heap. */
static int symbolize_vlen_refs(h5k_writer *w, h5k_wattr *a) {
  size_t es = (size_t)a->type->size, nel = es ? a->data_len / es : 0, total = 0, cap = 0;
  h5k_wnode **v = NULL;
  uint32_t *lens = calloc(nel ? nel : 1, sizeof *lens);
  int rc = lens ? 0 : h5k_err_nomem();
  for (size_t e = 0; e < nel && rc >= 0; e++) {
    uint32_t len, index;
    uint64_t coll;
    uint8_t *obj = NULL;
    size_t olen = 0;
    rc = h5k_vlen_parse(&len, &coll, &index, a->data + e * es, es, &w->file->fc);
    if (rc >= 0 && len) rc = h5k_gheap_get(&obj, &olen, &w->file->fc, coll, index);
    if (rc >= 0 && len && olen < (size_t)len * 8) rc = corrupt("attribute \"%s\": %u references in a %zu-byte heap object", a->name, len, olen);
    if (rc >= 0 && total + len > cap) {
      size_t nc = cap ? cap : 8;
      while (nc < total + len) nc *= 2;
      h5k_wnode **q = realloc(v, nc * sizeof *q);
      if (!q) rc = h5k_err_nomem();
      else {
        v = q;
        cap = nc;
      }
    }
    if (rc >= 0 && len) load_ref_targets(w, v + total, obj, NULL, len);
    free(obj);
    if (rc >= 0) {
      lens[e] = len;
      total += len;
    }
  }
  if (rc < 0) { /* unreadable: left as it is, not followed */
    free(v);
    free(lens);
    w->keep_original = 1;
    h5k_err_clear();
    return 0;
  }
  a->refs = v ? v : calloc(1, sizeof *v);
  a->vref_len = lens;
  a->nref = total;
  return a->refs ? 0 : h5k_err_nomem();
}

/* Loaded attributes holding object references: addresses become nodes, so that the references
 * follow their targets when those move. */
int h5k_wnode_symbolize_refs(h5k_writer *w, h5k_wnode *n);
int h5k_wnode_symbolize_refs(h5k_writer *w, h5k_wnode *n) {
  for (size_t i = 0; i < n->nattrs; i++) {
    h5k_wattr *a = &n->attrs[i];
    if (a->refs || !a->type || !h5k_datatype_contains(a->type, H5K_CLASS_REFERENCE)) continue;
    size_t cnt, *off = NULL;
    if (h5k_is_vlen_of_refs(a->type)) {
      TRY(symbolize_vlen_refs(w, a));
      continue;
    }
    if (h5k_is_objref(a->type) && a->type->size == 8) {
      cnt = a->data_len / 8;
    } else {
      /* references at fixed places inside compound/array elements (e.g. REFERENCE_LIST) */
      int rc = h5k_value_ref_offsets(&off, &cnt, a->type, a->data_len);
      if (rc < 0) return rc;
      if (rc == 0) continue; /* not followed (see type_has_ref) */
    }
    h5k_wnode **v = calloc(cnt ? cnt : 1, sizeof *v);
    if (!v) {
      free(off);
      return h5k_err_nomem();
    }
    load_ref_targets(w, v, a->data, off, cnt);
    a->refs = v;
    a->ref_off = off;
    a->nref = cnt;
  }
  return 0;
}

int h5k_wattr_drop_type_use(h5k_writer *w, h5k_wnode *t) {
  if (!t) return 0;
  if (t->nuses > 0) t->nuses--;
  else if (t->nlinks) t->nlinks--; /* a use counted in the refcount read from the file */
  h5k_wnode_mark_dirty(w, t);
  if (t->nlinks == 0 && t->nuses <= 0 && t != w->root) return h5k_writer_delete_node(w, t);
  return 0;
}
