/* Public API: objects, paths, links, the tree walk and attributes (include/h5kit.h). Each call
 * reads the object headers it needs; nothing is cached in the handle, so concurrent calls from
 * many threads need no lock. */
#include <stdlib.h>
#include <string.h>

#include "api/file_impl.h"
#include "object/object.h"
#include "util/checked.h"
#include "util/error.h"

#define MAX_VISIT_DEPTH 4096

static int read_header(h5k_ohdr *oh, h5k_file *f, h5k_addr addr) {
  if (!f) return h5k_err(H5K_EINVAL, "NULL file handle");
  return h5k_ohdr_read(oh, &f->fc, addr);
}

int h5k_object_get_info(h5k_object_info *out, h5k_file *f, h5k_addr addr) {
  h5k_ohdr oh;
  int rc;
  if (!out) return h5k_err(H5K_EINVAL, "h5k_object_get_info: NULL argument");
  TRY(read_header(&oh, f, addr));
  rc = h5k_obj_info(out, &f->fc, &oh);
  h5k_ohdr_free(&oh);
  return rc;
}

int h5k_object_get_datatype(h5k_datatype **out, h5k_file *f, h5k_addr addr) {
  h5k_ohdr oh;
  int rc;
  if (!out) return h5k_err(H5K_EINVAL, "h5k_object_get_datatype: NULL argument");
  TRY(read_header(&oh, f, addr));
  rc = h5k_obj_datatype(out, &f->fc, &oh);
  h5k_ohdr_free(&oh);
  return rc;
}

/* ---- links ------------------------------------------------------------------------------------------ */
int h5k_group_iterate(h5k_file *f, h5k_addr group, h5k_order order, h5k_link_cb cb, void *ud) {
  h5k_ohdr oh;
  int rc;
  if (!cb) return h5k_err(H5K_EINVAL, "h5k_group_iterate: NULL callback");
  TRY(read_header(&oh, f, group));
  rc = h5k_obj_links(&f->fc, &oh, order, cb, ud);
  h5k_ohdr_free(&oh);
  return rc;
}

int h5k_group_count(uint64_t *out, h5k_file *f, h5k_addr group) {
  h5k_ohdr oh;
  int rc;
  if (!out) return h5k_err(H5K_EINVAL, "h5k_group_count: NULL argument");
  TRY(read_header(&oh, f, group));
  rc = h5k_obj_link_count(out, &f->fc, &oh);
  h5k_ohdr_free(&oh);
  return rc;
}

int h5k_group_tracks_order(int *out, h5k_file *f, h5k_addr group) {
  h5k_ohdr oh;
  if (!out) return h5k_err(H5K_EINVAL, "h5k_group_tracks_order: NULL argument");
  TRY(read_header(&oh, f, group));
  *out = h5k_obj_tracks_order(&oh);
  h5k_ohdr_free(&oh);
  return 0;
}

/* Copy a link's strings into a caller buffer. */
typedef struct copy_ctx {
  h5k_link *out;
  char *buf;
  size_t size, used;
} copy_ctx;

static const char *copy_str(copy_ctx *c, const char *s) {
  size_t n;
  char *dst;
  if (!s) return NULL;
  n = strlen(s) + 1;
  if (n > c->size - c->used) return NULL;
  dst = c->buf + c->used;
  memcpy(dst, s, n);
  c->used += n;
  return dst;
}

static int copy_cb(void *ud, const h5k_link *l) {
  copy_ctx *c = ud;
  *c->out = *l;
  c->out->name = copy_str(c, l->name);
  c->out->soft_target = copy_str(c, l->soft_target);
  c->out->ext_file = copy_str(c, l->ext_file);
  c->out->ext_path = copy_str(c, l->ext_path);
  if (!c->out->name || (l->soft_target && !c->out->soft_target) || (l->ext_file && !c->out->ext_file) ||
      (l->ext_path && !c->out->ext_path))
    return h5k_err(H5K_ELIMIT, "link \"%s\": buffer too small for its strings", l->name);
  return 1;
}

int h5k_group_find(h5k_link *out, char *buf, size_t bufsize, h5k_file *f, h5k_addr group, const char *name) {
  h5k_ohdr oh;
  copy_ctx c = {out, buf, bufsize, 0};
  int rc;
  if (!out || !buf || !name) return h5k_err(H5K_EINVAL, "h5k_group_find: NULL argument");
  TRY(read_header(&oh, f, group));
  rc = h5k_obj_link_find(&f->fc, &oh, name, copy_cb, &c);
  h5k_ohdr_free(&oh);
  return rc < 0 ? rc : 0;
}

/* ---- paths ------------------------------------------------------------------------------------------ */
typedef struct resolver {
  h5k_file *f;
  unsigned soft_followed;
} resolver;

static int resolve_from(resolver *r, h5k_addr start, const char *path, h5k_addr *out);

/* Resolve a single component in group `cur`. */
static int step(resolver *r, h5k_addr cur, const char *name, h5k_addr *out) {
  char buf[4096];
  h5k_link l;
  int rc = h5k_group_find(&l, buf, sizeof buf, r->f, cur, name);
  if (rc < 0) return rc;
  switch (l.type) {
  case H5K_LINK_HARD:
    *out = l.addr;
    return 0;
  case H5K_LINK_SOFT:
    if (++r->soft_followed > H5K_MAX_LINK_DEPTH)
      return h5k_err(H5K_ELIMIT, "too many soft links followed (loop?) at \"%s\"", name);
    return resolve_from(r, l.soft_target[0] == '/' ? r->f->fc.root : cur, l.soft_target, out);
  case H5K_LINK_EXTERNAL:
    return h5k_err(H5K_EUNSUPPORTED, "\"%s\" is an external link to file %s, object %s (not followed)", name, l.ext_file,
                   l.ext_path);
  default:
    return h5k_err(H5K_EUNSUPPORTED, "\"%s\" is a user-defined link (type %d)", name, (int)l.type);
  }
}

static int resolve_from(resolver *r, h5k_addr start, const char *path, h5k_addr *out) {
  h5k_addr cur = start;
  const char *p = path;
  char name[H5K_MAX_NAME + 1];
  while (*p) {
    size_t n = 0;
    while (*p == '/') p++;
    if (!*p) break;
    while (p[n] && p[n] != '/') n++;
    if (n > H5K_MAX_NAME) return h5k_err(H5K_ELIMIT, "path component too long");
    memcpy(name, p, n);
    name[n] = 0;
    p += n;
    if (strcmp(name, ".") == 0) continue;
    TRY(step(r, cur, name, &cur));
  }
  *out = cur;
  return 0;
}

int h5k_resolve(h5k_addr *out, h5k_file *f, const char *path) {
  resolver r = {f, 0};
  if (!out || !f || !path) return h5k_err(H5K_EINVAL, "h5k_resolve: NULL argument");
  return resolve_from(&r, f->fc.root, path, out);
}

/* ---- tree walk -------------------------------------------------------------------------------------- */
typedef struct addr_set {
  uint64_t *slots; /* open addressing; 0 = empty, values stored +1 */
  size_t cap, n;
} addr_set;

static uint64_t mix64(uint64_t x) {
  x ^= x >> 33;
  x *= UINT64_C(0xff51afd7ed558ccd);
  x ^= x >> 33;
  return x;
}

/* Insert; returns 1 if newly added, 0 if present, <0 on error. */
static int set_add(addr_set *s, uint64_t a) {
  size_t i;
  if ((s->n + 1) * 2 > s->cap) {
    size_t ncap = s->cap ? s->cap * 2 : 64;
    uint64_t *ns = calloc(ncap, sizeof *ns);
    if (!ns) return h5k_err_nomem();
    for (size_t j = 0; j < s->cap; j++) {
      if (!s->slots[j]) continue;
      size_t k = mix64(s->slots[j]) & (ncap - 1);
      while (ns[k]) k = (k + 1) & (ncap - 1);
      ns[k] = s->slots[j];
    }
    free(s->slots);
    s->slots = ns;
    s->cap = ncap;
  }
  for (i = mix64(a + 1) & (s->cap - 1); s->slots[i]; i = (i + 1) & (s->cap - 1))
    if (s->slots[i] == a + 1) return 0;
  s->slots[i] = a + 1;
  s->n++;
  return 1;
}

typedef struct saved_link {
  h5k_link l; /* strings owned (malloc'd copies) */
} saved_link;

typedef struct walk {
  h5k_file *f;
  addr_set seen;
  h5k_visit_cb cb;
  void *ud;
  char *path;
  size_t path_len, path_cap;
  unsigned depth;
} walk;

typedef struct gather {
  saved_link *v;
  size_t n, cap;
} gather;

static char *dup_str(const char *s) {
  size_t n;
  char *d;
  if (!s) return NULL;
  n = strlen(s) + 1;
  d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

static void saved_free(saved_link *s) {
  free((char *)s->l.name);
  free((char *)s->l.soft_target);
  free((char *)s->l.ext_file);
  free((char *)s->l.ext_path);
}

static int gather_cb(void *ud, const h5k_link *l) {
  gather *g = ud;
  saved_link *s;
  if (g->n == g->cap) {
    size_t ncap = g->cap ? g->cap * 2 : 16;
    saved_link *nv = realloc(g->v, ncap * sizeof *nv);
    if (!nv) return h5k_err_nomem();
    g->v = nv;
    g->cap = ncap;
  }
  s = &g->v[g->n];
  memset(s, 0, sizeof *s);
  s->l = *l;
  s->l.name = dup_str(l->name);
  s->l.soft_target = dup_str(l->soft_target);
  s->l.ext_file = dup_str(l->ext_file);
  s->l.ext_path = dup_str(l->ext_path);
  if (!s->l.name || (l->soft_target && !s->l.soft_target) || (l->ext_file && !s->l.ext_file) ||
      (l->ext_path && !s->l.ext_path)) {
    saved_free(s);
    return h5k_err_nomem();
  }
  g->n++;
  return 0;
}

static int path_push(walk *w, const char *name, size_t *saved_len) {
  size_t n = strlen(name), need;
  *saved_len = w->path_len;
  need = w->path_len + n + 2;
  if (need > w->path_cap) {
    size_t ncap = need * 2;
    char *np = realloc(w->path, ncap);
    if (!np) return h5k_err_nomem();
    w->path = np;
    w->path_cap = ncap;
  }
  if (w->path_len) w->path[w->path_len++] = '/';
  memcpy(w->path + w->path_len, name, n + 1);
  w->path_len += n;
  return 0;
}

static int walk_group(walk *w, h5k_addr addr) {
  gather g;
  int rc = 0;
  memset(&g, 0, sizeof g);
  if (++w->depth > MAX_VISIT_DEPTH) return h5k_err(H5K_ELIMIT, "groups nested deeper than %d levels", MAX_VISIT_DEPTH);
  rc = h5k_group_iterate(w->f, addr, H5K_ORDER_NAME, gather_cb, &g);
  for (size_t i = 0; rc == 0 && i < g.n; i++) {
    const h5k_link *l = &g.v[i].l;
    size_t saved;
    rc = path_push(w, l->name, &saved);
    if (rc < 0) break;
    rc = w->cb(w->ud, w->path, l);
    if (rc == 0 && l->type == H5K_LINK_HARD) {
      int added = set_add(&w->seen, l->addr);
      if (added < 0) rc = added;
      else if (added) {
        h5k_ohdr oh;
        rc = read_header(&oh, w->f, l->addr);
        if (rc == 0) {
          int is_group = h5k_obj_classify(&oh) == H5K_OBJ_GROUP;
          h5k_ohdr_free(&oh);
          if (is_group) rc = walk_group(w, l->addr);
        }
      }
    }
    w->path_len = saved;
    w->path[saved] = 0;
  }
  for (size_t i = 0; i < g.n; i++) saved_free(&g.v[i]);
  free(g.v);
  w->depth--;
  return rc;
}

int h5k_visit(h5k_file *f, h5k_addr group, h5k_visit_cb cb, void *ud) {
  walk w;
  int rc;
  if (!f || !cb) return h5k_err(H5K_EINVAL, "h5k_visit: NULL argument");
  memset(&w, 0, sizeof w);
  w.f = f;
  w.cb = cb;
  w.ud = ud;
  rc = set_add(&w.seen, group);
  if (rc >= 0) rc = walk_group(&w, group);
  free(w.seen.slots);
  free(w.path);
  return rc;
}

/* ---- attributes ------------------------------------------------------------------------------------- */
int h5k_attr_iterate(h5k_file *f, h5k_addr obj, h5k_order order, h5k_attr_cb cb, void *ud) {
  h5k_ohdr oh;
  int rc;
  if (!cb) return h5k_err(H5K_EINVAL, "h5k_attr_iterate: NULL callback");
  TRY(read_header(&oh, f, obj));
  rc = h5k_obj_attrs(&f->fc, &oh, order, cb, ud);
  h5k_ohdr_free(&oh);
  return rc;
}
