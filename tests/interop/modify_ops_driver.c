/* Test driver for test_modify_ops.sh: open FILE read-write with h5kit, list every link by walking
 * hard links (h5k_visit), choose a deterministic plan of changes from what the file holds, apply it
 * through the public API and commit; then reopen the committed file and apply a second, smaller
 * round (changes to objects h5kit itself rewrote), and commit again.
 *
 * stdout: one line per operation carried out, which modify_ops_check.py replays on the original
 * file to know what to expect. Paths are percent-encoded (bytes outside '!'..'~', and '%').
 *   unlink PATH                    h5k_unlink
 *   move OLD NEW                   h5k_link_hard(OLD, NEW) then h5k_unlink(OLD)
 *   softlink PATH TARGET           h5k_link_soft
 *   attrdel PATH NAME              h5k_attr_delete
 *   attr PATH NAME VALUE           h5k_attr_write: scalar 32-bit signed integer
 *   group PATH                     h5k_group_create
 *   resize PATH D0,D1,...          h5k_resize
 *   write PATH START COUNT VALUE   h5k_write of a hyperslab (START/COUNT comma lists, "-" for a
 *                                  scalar dataset) with every element = VALUE
 *   commit                         h5k_flush (and h5k_close; the next round reopens)
 * With ROUNDS = 1 it stops after the first commit (for narrowing a failure down).
 * "modify_ops_driver --replay FILE <PLAN" carries out a given plan instead (a commit ends it).
 * Exit 0 when everything was applied; 3 when h5kit refused the file (H5K_EUNSUPPORTED: nothing is
 * committed, the process leaves without closing); 4 when the read-write open failed otherwise (the
 * script asks libhdf5 whether it refuses too); 1 with a line "FAILED ..." naming the failing call
 * otherwise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "h5kit.h"

typedef struct entry {
  char *path;              /* "/a/b" */
  h5k_link_type ltype;
  h5k_addr addr;           /* hard links */
  h5k_obj_type otype;
  uint32_t refcount;
  uint64_t nattrs;
  char *attr0;             /* first attribute in name order, if any */
  /* datasets */
  int is_dset;
  h5k_layout_class layout;
  h5k_type_class cls;
  uint64_t tsize;
  int is_signed;
  uint32_t precision;
  h5k_dataspace space;
  int writable;            /* every filter can be encoded, no external/virtual storage */
} entry;

static entry *ents;
static size_t nents, cap_ents;
static h5k_addr *refd;     /* object addresses referenced from data or attributes */
static size_t nrefd, cap_refd;
static int refs_unknown;   /* references h5kit's native read cannot list (nested, region) */

static char **taken;       /* paths an operation uses */
static size_t ntaken;
static h5k_addr *taken_addr;
static size_t ntaken_addr;

static void *xrealloc(void *p, size_t n) {
  p = realloc(p, n ? n : 1);
  if (!p) {
    printf("FAILED out of memory\n");
    exit(1);
  }
  return p;
}

static char *xstrdup(const char *s) {
  char *d = xrealloc(NULL, strlen(s) + 1);
  memcpy(d, s, strlen(s) + 1);
  return d;
}

/* A path in the plan's encoding. */
static void put_path(const char *p) {
  for (const unsigned char *c = (const unsigned char *)p; *c; c++) {
    if (*c <= ' ' || *c > '~' || *c == '%')
      printf("%%%02X", *c);
    else
      putchar(*c);
  }
}

static void add_refd(h5k_addr a) {
  if (nrefd == cap_refd) {
    cap_refd = cap_refd ? 2 * cap_refd : 16;
    refd = xrealloc(refd, cap_refd * sizeof *refd);
  }
  refd[nrefd++] = a;
}

static int is_refd(h5k_addr a) {
  for (size_t i = 0; i < nrefd; i++)
    if (refd[i] == a) return 1;
  return 0;
}

static uint64_t space_count(const h5k_dataspace *s) {
  if (s->kind == H5K_SPACE_NULL) return 0;
  uint64_t n = 1;
  for (unsigned i = 0; i < s->rank; i++) n *= s->dims[i];
  return n;
}

/* Collect the object addresses held by top-level object references of `type` (n elements in the
 * file representation at data). */
static void scan_refs(h5k_file *f, const h5k_datatype *type, const void *data, uint64_t n) {
  if (!h5k_datatype_contains(type, H5K_CLASS_REFERENCE)) return;
  if (type->cls != H5K_CLASS_REFERENCE || type->ref_type != H5K_REF_OBJECT) {
    refs_unknown = 1;
    return;
  }
  h5k_datatype *nat;
  if (h5k_datatype_native(&nat, type) < 0) {
    refs_unknown = 1;
    return;
  }
  h5k_addr *a = xrealloc(NULL, (size_t)n * sizeof *a);
  if (h5k_convert(a, nat, data, type, (size_t)n, f) < 0)
    refs_unknown = 1;
  else
    for (uint64_t i = 0; i < n; i++)
      if (a[i] != 0 && a[i] != H5K_ADDR_UNDEF) add_refd(a[i]);
  free(a);
  h5k_datatype_free(nat);
}

typedef struct attr_scan {
  h5k_file *f;
  entry *e;
} attr_scan;

static int attr_cb(void *ud, const h5k_attr *a) {
  attr_scan *s = ud;
  if (!s->e->attr0) s->e->attr0 = xstrdup(a->name);
  scan_refs(s->f, a->type, a->data, space_count(a->space));
  return 0;
}

static int filters_writable(const h5k_dataset_info *di) {
  for (size_t i = 0; i < di->nfilters; i++) {
    const h5k_filter_class *c = h5k_filter_builtin(di->filters[i].id);
    if (!c || !c->encode) return 0;
  }
  return 1;
}

/* Fill in object details of a hard-link entry. */
static int describe(h5k_file *f, entry *e) {
  h5k_object_info oi;
  if (h5k_object_get_info(&oi, f, e->addr) < 0) return -1;
  e->otype = oi.type;
  e->refcount = oi.refcount;
  e->nattrs = oi.nattrs;
  attr_scan s = {f, e};
  if (oi.nattrs && h5k_attr_iterate(f, e->addr, H5K_ORDER_NAME, attr_cb, &s) < 0) return -1;
  if (oi.type != H5K_OBJ_DATASET) return 0;
  h5k_dataset *d;
  if (h5k_dataset_open(&d, f, e->addr) < 0) return 0; /* not readable: no data operations */
  h5k_dataset_info di;
  h5k_dataset_get_info(&di, d);
  e->is_dset = 1;
  e->layout = di.layout;
  e->cls = di.type->cls;
  e->tsize = di.type->size;
  e->is_signed = di.type->is_signed;
  e->precision = di.type->precision;
  e->space = *di.space;
  e->writable = di.nexternal == 0 && di.nvirtual == 0 && di.layout != H5K_LAYOUT_VIRTUAL && filters_writable(&di);
  if (h5k_datatype_contains(di.type, H5K_CLASS_REFERENCE)) {
    uint64_t n = space_count(di.space);
    if (di.type->cls == H5K_CLASS_REFERENCE && di.type->ref_type == H5K_REF_OBJECT && n) {
      size_t bytes = (size_t)(n * di.type->size);
      void *buf = xrealloc(NULL, bytes);
      if (h5k_dataset_read_raw(d, NULL, buf, bytes) < 0)
        refs_unknown = 1;
      else
        scan_refs(f, di.type, buf, n);
      free(buf);
    } else if (n) {
      refs_unknown = 1;
    }
  }
  h5k_dataset_close(d);
  return 0;
}

static int collect(void *ud, const char *path, const h5k_link *l) {
  (void)ud;
  if (nents == cap_ents) {
    cap_ents = cap_ents ? 2 * cap_ents : 64;
    ents = xrealloc(ents, cap_ents * sizeof *ents);
  }
  entry *e = &ents[nents++];
  memset(e, 0, sizeof *e);
  e->path = xrealloc(NULL, strlen(path) + 2);
  e->path[0] = '/';
  memcpy(e->path + 1, path, strlen(path) + 1);
  e->ltype = l->type;
  e->addr = l->type == H5K_LINK_HARD ? l->addr : H5K_ADDR_UNDEF;
  return 0;
}

static int cmp_entry(const void *a, const void *b) {
  return strcmp(((const entry *)a)->path, ((const entry *)b)->path);
}

/* ---- choosing ---------------------------------------------------------------------------------- */

static int is_under(const char *p, const char *anc) {
  size_t n = strlen(anc);
  return strncmp(p, anc, n) == 0 && p[n] == '/';
}

static int addr_taken(h5k_addr a) {
  for (size_t i = 0; i < ntaken_addr; i++)
    if (taken_addr[i] == a) return 1;
  return 0;
}

/* Whether the entry's path and object are used by no operation chosen so far. */
static int is_free(const entry *e) {
  for (size_t i = 0; i < ntaken; i++)
    if (!strcmp(e->path, taken[i]) || is_under(e->path, taken[i]) || is_under(taken[i], e->path)) return 0;
  return e->ltype != H5K_LINK_HARD || !addr_taken(e->addr);
}

static void take(const entry *e) {
  taken = xrealloc(taken, (ntaken + 1) * sizeof *taken);
  taken[ntaken++] = e->path;
  if (e->ltype == H5K_LINK_HARD) {
    taken_addr = xrealloc(taken_addr, (ntaken_addr + 1) * sizeof *taken_addr);
    taken_addr[ntaken_addr++] = e->addr;
  }
}

/* A group's whole subtree: every path below it free, every object below it used by no other
 * operation. For deletion (`deleting`) also: nothing below it referenced by a reference value, and
 * no committed datatype below it (one still used by a dataset outlives its link, as in libhdf5,
 * but h5dump cannot print such a file: "unknown committed type", for libhdf5's own too). */
static int subtree_free(const entry *g, int deleting) {
  if (!is_free(g) || (deleting && (refs_unknown || is_refd(g->addr)))) return 0;
  for (size_t i = 0; i < nents; i++) {
    const entry *e = &ents[i];
    if (!is_under(e->path, g->path) || e->ltype != H5K_LINK_HARD) continue;
    if (addr_taken(e->addr)) return 0;
    if (deleting && (is_refd(e->addr) || e->otype == H5K_OBJ_DATATYPE)) return 0;
  }
  return 1;
}

static void take_subtree(const entry *g) {
  take(g);
  for (size_t i = 0; i < nents; i++)
    if (is_under(ents[i].path, g->path) && ents[i].ltype == H5K_LINK_HARD) take(&ents[i]);
}

static int path_exists(const char *p) {
  for (size_t i = 0; i < nents; i++)
    if (!strcmp(ents[i].path, p)) return 1;
  return 0;
}

static int numeric(const entry *e) {
  return e->is_dset && (e->cls == H5K_CLASS_INTEGER || e->cls == H5K_CLASS_FLOAT) && e->writable &&
         e->layout != H5K_LAYOUT_COMPACT && e->space.kind != H5K_SPACE_NULL && space_count(&e->space) > 0;
}

static int chunked(const entry *e) {
  return e->is_dset && e->layout == H5K_LAYOUT_CHUNKED && e->writable && e->space.kind == H5K_SPACE_SIMPLE;
}

static int growable_dim(const entry *e) {
  for (unsigned i = 0; i < e->space.rank; i++)
    if (e->space.maxdims[i] > e->space.dims[i]) return (int)i;
  return -1;
}

static int shrinkable_dim(const entry *e) {
  for (unsigned i = 0; i < e->space.rank; i++)
    if (e->space.dims[i] > 1) return (int)i;
  return -1;
}

/* The last free entry (in path order) meeting `want`, or NULL. */
static entry *last_free(int (*want)(const entry *)) {
  for (size_t i = nents; i-- > 0;)
    if (ents[i].ltype == H5K_LINK_HARD && is_free(&ents[i]) && want(&ents[i])) return &ents[i];
  return NULL;
}

static int want_contig_numeric(const entry *e) { return numeric(e) && e->layout != H5K_LAYOUT_CHUNKED; }
static int want_chunked_numeric(const entry *e) { return numeric(e) && e->layout == H5K_LAYOUT_CHUNKED; }
static int want_grow(const entry *e) { return chunked(e) && growable_dim(e) >= 0; }
static int want_grow_data(const entry *e) { return want_grow(e) && space_count(&e->space) > 0; }
static int want_shrink(const entry *e) { return chunked(e) && shrinkable_dim(e) >= 0; }
static int want_dataset(const entry *e) { return e->otype == H5K_OBJ_DATASET; }
static int want_single_dataset(const entry *e) { return e->otype == H5K_OBJ_DATASET && e->refcount == 1; }
static int want_deletable(const entry *e) {
  return e->otype == H5K_OBJ_DATASET && e->refcount == 1 && !refs_unknown && !is_refd(e->addr);
}
static int want_with_attr(const entry *e) { return e->attr0 != NULL; }
static int want_any_object(const entry *e) { return e->otype == H5K_OBJ_GROUP || e->otype == H5K_OBJ_DATASET; }

/* Whether a group above the entry (not the root) has more than one hard link. */
static int shared_above(const entry *e) {
  for (const char *c = strchr(e->path + 1, '/'); c; c = strchr(c + 1, '/')) {
    size_t n = (size_t)(c - e->path);
    for (size_t i = 0; i < nents; i++)
      if (ents[i].ltype == H5K_LINK_HARD && ents[i].refcount > 1 && strlen(ents[i].path) == n &&
          !strncmp(ents[i].path, e->path, n))
        return 1;
  }
  return 0;
}

/* The free object (group or dataset) deepest in the tree, preferring one with a single hard link;
 * with `shared`, only one below a group with several hard links. */
static entry *pick_deep(int shared) {
  entry *best = NULL;
  size_t best_score = 0;
  for (size_t i = 0; i < nents; i++) {
    entry *e = &ents[i];
    if (e->ltype != H5K_LINK_HARD || !want_any_object(e) || !is_free(e) || (shared && !shared_above(e))) continue;
    size_t score = e->refcount == 1 ? 1000 : 0;
    for (const char *c = e->path; *c; c++) score += *c == '/';
    if (score >= best_score) {
      best = e;
      best_score = score;
    }
  }
  return best;
}

/* The last free group with one hard link whose subtree is free (see subtree_free). */
static entry *pick_group(int deleting) {
  for (size_t i = nents; i-- > 0;) {
    entry *e = &ents[i];
    if (e->ltype == H5K_LINK_HARD && e->otype == H5K_OBJ_GROUP && e->refcount == 1 && subtree_free(e, deleting))
      return e;
  }
  return NULL;
}

/* ---- applying ---------------------------------------------------------------------------------- */

/* Stop after a failed call: refused (exit 3, nothing committed) or failed (exit 1). */
static void failed(int rc, const char *what, const char *path) {
  printf("%s %s ", rc == H5K_EUNSUPPORTED ? "REFUSED" : "FAILED", what);
  put_path(path);
  printf(": %s\n", h5k_error_last());
  fflush(stdout);
  _exit(rc == H5K_EUNSUPPORTED ? 3 : 1);
}

static void op_unlink(h5k_file *f, const char *p) {
  int rc = h5k_unlink(f, p);
  if (rc < 0) failed(rc, "unlink", p);
  printf("unlink ");
  put_path(p);
  printf("\n");
}

static void op_move(h5k_file *f, const char *from, const char *to) {
  int rc = h5k_link_hard(f, from, to, 0);
  if (rc < 0) failed(rc, "link_hard", from);
  if ((rc = h5k_unlink(f, from)) < 0) failed(rc, "unlink (move)", from);
  printf("move ");
  put_path(from);
  printf(" ");
  put_path(to);
  printf("\n");
}

static void op_softlink(h5k_file *f, const char *p, const char *target) {
  int rc = h5k_link_soft(f, target, p, 0);
  if (rc < 0) failed(rc, "link_soft", p);
  printf("softlink ");
  put_path(p);
  printf(" ");
  put_path(target);
  printf("\n");
}

static void op_attrdel(h5k_file *f, const char *p, const char *name) {
  int rc = h5k_attr_delete(f, p, name);
  if (rc < 0) failed(rc, "attr_delete", p);
  printf("attrdel ");
  put_path(p);
  printf(" ");
  put_path(name);
  printf("\n");
}

static void op_attr(h5k_file *f, const char *p, const char *name, int32_t v) {
  h5k_datatype *i32;
  h5k_datatype_make(&i32, H5K_CLASS_INTEGER, 4, 1);
  h5k_dataspace sc;
  memset(&sc, 0, sizeof sc);
  sc.kind = H5K_SPACE_SCALAR;
  int rc = h5k_attr_write(f, p, name, i32, &sc, i32, &v, sizeof v);
  h5k_datatype_free(i32);
  if (rc < 0) failed(rc, "attr_write", p);
  printf("attr ");
  put_path(p);
  printf(" ");
  put_path(name);
  printf(" %d\n", (int)v);
}

static void op_group(h5k_file *f, const char *p) {
  int rc = h5k_group_create(f, p, 0);
  if (rc < 0) failed(rc, "group_create", p);
  printf("group ");
  put_path(p);
  printf("\n");
}

static void op_resize(h5k_file *f, const char *p, unsigned rank, const uint64_t *dims) {
  int rc = h5k_resize(f, p, dims);
  if (rc < 0) failed(rc, "resize", p);
  printf("resize ");
  put_path(p);
  for (unsigned i = 0; i < rank; i++) printf("%c%llu", i ? ',' : ' ', (unsigned long long)dims[i]);
  printf("\n");
}

/* Write `value` into the hyperslab start/count (NULL sel: scalar) of a numeric dataset, through a
 * native memory type of the dataset's class. */
static void op_write(h5k_file *f, const entry *e, const h5k_selection *sel, double value) {
  uint64_t n = 1;
  if (sel)
    for (unsigned i = 0; i < sel->rank; i++) n *= sel->count[i];
  size_t msize = e->cls == H5K_CLASS_FLOAT ? 8 : (e->tsize == 1 || e->tsize == 2 || e->tsize == 4) ? e->tsize : 8;
  int msigned = e->cls == H5K_CLASS_FLOAT ? 1 : e->tsize <= 4 ? e->is_signed : 1;
  h5k_datatype *mt;
  if (h5k_datatype_make(&mt, e->cls, msize, msigned) < 0) failed(-1, "datatype_make", e->path);
  uint8_t *buf = xrealloc(NULL, (size_t)n * msize);
  for (uint64_t i = 0; i < n; i++) {
    uint8_t *p = buf + i * msize;
    if (e->cls == H5K_CLASS_FLOAT) {
      memcpy(p, &value, 8);
    } else if (msize == 1) {
      int8_t v = (int8_t)value;
      memcpy(p, &v, 1);
    } else if (msize == 2) {
      int16_t v = (int16_t)value;
      memcpy(p, &v, 2);
    } else if (msize == 4) {
      int32_t v = (int32_t)value;
      memcpy(p, &v, 4);
    } else {
      int64_t v = (int64_t)value;
      memcpy(p, &v, 8);
    }
  }
  int rc = h5k_write(f, e->path, sel, mt, buf, (size_t)n * msize);
  free(buf);
  h5k_datatype_free(mt);
  if (rc < 0) failed(rc, "write", e->path);
  printf("write ");
  put_path(e->path);
  if (!sel) {
    printf(" - -");
  } else {
    for (unsigned i = 0; i < sel->rank; i++) printf("%c%llu", i ? ',' : ' ', (unsigned long long)sel->start[i]);
    for (unsigned i = 0; i < sel->rank; i++) printf("%c%llu", i ? ',' : ' ', (unsigned long long)sel->count[i]);
  }
  if (e->cls == H5K_CLASS_FLOAT)
    printf(" %.17g\n", value);
  else
    printf(" %lld\n", (long long)value);
}

/* A value unlike the usual data for the entry's type (small enough for every type it can be). */
static double test_value(const entry *e, int round) {
  if (e->cls == H5K_CLASS_FLOAT) return round == 1 ? 0.75 : -0.5;
  if (e->precision && e->precision < 8) return 1;
  return round == 1 ? 99 : 77;
}

/* The corner hyperslab [0:2, 0:2, ...] of a dataset, or NULL for a scalar one. */
static h5k_selection *corner(h5k_selection *sel, const entry *e) {
  if (e->space.kind == H5K_SPACE_SCALAR) return NULL;
  memset(sel, 0, sizeof *sel);
  sel->rank = e->space.rank;
  for (unsigned i = 0; i < sel->rank; i++) {
    sel->stride[i] = 1;
    sel->block[i] = 1;
    sel->count[i] = e->space.dims[i] < 2 ? e->space.dims[i] : 2;
  }
  return sel;
}

static h5k_file *open_rw(const char *path) {
  h5k_open_options oo;
  memset(&oo, 0, sizeof oo);
  oo.struct_size = sizeof oo;
  oo.flags = H5K_OPEN_RDWR;
  h5k_file *f;
  int rc = h5k_open(&f, path, &oo);
  if (rc < 0 && rc != H5K_EUNSUPPORTED) {
    printf("FAILED open read-write %s: %s\n", path, h5k_error_last());
    fflush(stdout);
    _exit(4); /* the script asks libhdf5 whether it opens the file for writing */
  }
  if (rc < 0) failed(rc, "open read-write", path);
  return f;
}

static void commit(h5k_file *f, const char *path) {
  int rc = h5k_flush(f);
  if (rc < 0) failed(rc, "flush", path);
  h5k_close(f);
  printf("commit\n");
  fflush(stdout);
}

static char *made[8]; /* paths with_suffix made (kept reachable to the end) */
static size_t nmade;

static char *with_suffix(const char *p, const char *suffix) {
  char *s = xrealloc(NULL, strlen(p) + strlen(suffix) + 8);
  if (nmade < sizeof made / sizeof made[0]) made[nmade++] = s;
  int k = 0;
  do {
    sprintf(s, k ? "%s%s%d" : "%s%s", p, suffix, k);
    k++;
  } while (path_exists(s));
  return s;
}

/* Decode a plan path in place. */
static char *unquote(char *p) {
  char *o = p;
  for (char *c = p; *c; c++) {
    unsigned v;
    if (*c == '%' && sscanf(c + 1, "%2x", &v) == 1) {
      *o++ = (char)v;
      c += 2;
    } else {
      *o++ = *c;
    }
  }
  *o = 0;
  return p;
}

static unsigned parse_list(uint64_t *out, char *s) {
  unsigned n = 0;
  for (char *t = strtok(s, ","); t && n < H5K_MAX_DIMS; t = strtok(NULL, ",")) out[n++] = strtoull(t, NULL, 10);
  return n;
}

/* Carry out a plan read from stdin (the format printed above) on FILE: for reproducing a failure
 * from a plan, or from a shorter hand-made one. */
static int replay(const char *file) {
  h5k_file *f = NULL;
  char line[8192];
  while (fgets(line, sizeof line, stdin)) {
    char *w[6] = {0};
    int n = 0;
    for (char *t = strtok(line, " \n"); t && n < 6; t = strtok(NULL, " \n")) w[n++] = t;
    if (!n) continue;
    for (int i = 1; i < n; i++) unquote(w[i]);
    if (!f) f = open_rw(file);
    if (!strcmp(w[0], "commit")) {
      commit(f, file);
      f = NULL;
    } else if (!strcmp(w[0], "unlink") && n == 2) {
      op_unlink(f, w[1]);
    } else if (!strcmp(w[0], "move") && n == 3) {
      op_move(f, w[1], w[2]);
    } else if (!strcmp(w[0], "softlink") && n == 3) {
      op_softlink(f, w[1], w[2]);
    } else if (!strcmp(w[0], "attrdel") && n == 3) {
      op_attrdel(f, w[1], w[2]);
    } else if (!strcmp(w[0], "attr") && n == 4) {
      op_attr(f, w[1], w[2], (int32_t)atol(w[3]));
    } else if (!strcmp(w[0], "group") && n == 2) {
      op_group(f, w[1]);
    } else if (!strcmp(w[0], "resize") && n == 3) {
      uint64_t dims[H5K_MAX_DIMS];
      unsigned rank = parse_list(dims, w[2]);
      op_resize(f, w[1], rank, dims);
    } else if (!strcmp(w[0], "write") && n == 5) {
      entry e;
      memset(&e, 0, sizeof e);
      e.path = w[1];
      e.ltype = H5K_LINK_HARD;
      int rc = h5k_resolve(&e.addr, f, w[1]);
      if (rc < 0 || describe(f, &e) < 0 || !e.is_dset) failed(rc < 0 ? rc : -1, "describe", w[1]);
      h5k_selection sel, *ps = NULL;
      if (strcmp(w[2], "-")) {
        memset(&sel, 0, sizeof sel);
        sel.rank = parse_list(sel.start, w[2]);
        parse_list(sel.count, w[3]);
        for (unsigned i = 0; i < sel.rank; i++) sel.stride[i] = sel.block[i] = 1;
        ps = &sel;
      }
      op_write(f, &e, ps, atof(w[4]));
      free(e.attr0);
    } else {
      printf("FAILED bad plan line starting %s\n", w[0]);
      return 1;
    }
  }
  if (f) commit(f, file);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && !strcmp(argv[1], "--replay")) return replay(argv[2]);
  if (argc != 2 && argc != 3) {
    fprintf(stderr, "usage: modify_ops_driver FILE [ROUNDS]\n       modify_ops_driver --replay FILE <PLAN\n");
    return 2;
  }
  int rounds = argc == 3 ? atoi(argv[2]) : 2; /* 1: stop after the first commit (debugging) */
  const char *file = argv[1];
  h5k_file *f = open_rw(file);
  h5k_file_info fi;
  h5k_file_get_info(&fi, f);
  if (h5k_visit(f, fi.root, collect, NULL) < 0) failed(-1, "visit", "/");
  if (nents) qsort(ents, nents, sizeof *ents, cmp_entry);
  static entry root; /* static: what it holds stays reachable to the end (leak checkers) */
  root.path = "/";
  root.addr = fi.root;
  root.ltype = H5K_LINK_HARD;
  if (describe(f, &root) < 0) failed(-1, "describe", "/");
  for (size_t i = 0; i < nents; i++)
    if (ents[i].ltype == H5K_LINK_HARD && describe(f, &ents[i]) < 0) failed(-1, "describe", ents[i].path);

  /* ---- the plan: every choice uses paths and objects no earlier choice uses.
   * Round 2's attribute on a deep object (a change to it dirties every group above it) is chosen
   * first if there is one below a group with several hard links (its change must move that group
   * under all its names), else last, from what is left; then the unlink of one name of an object
   * with several, which must leave it whole under the others. */
  entry *deep = pick_deep(1);
  if (deep) take(deep);
  entry *alias = NULL; /* one name of an object with several: the object stays under the others */
  for (size_t i = nents; i-- > 0 && !alias;)
    if (ents[i].ltype == H5K_LINK_HARD && ents[i].refcount > 1 && want_any_object(&ents[i]) && is_free(&ents[i]) &&
        !is_refd(ents[i].addr))
      alias = &ents[i];
  if (alias) take(alias);
  entry *w_contig = last_free(want_contig_numeric);
  if (w_contig) take(w_contig);
  entry *w_chunk = last_free(want_chunked_numeric);
  if (w_chunk) take(w_chunk);
  entry *grow = last_free(want_grow_data);
  if (!grow) grow = last_free(want_grow);
  if (grow) take(grow);
  entry *shrink = last_free(want_shrink);
  if (shrink) take(shrink);
  entry *gdel = pick_group(1);
  if (gdel) take_subtree(gdel);
  entry *gmv = pick_group(0); /* round 2 */
  if (gmv) take_subtree(gmv);
  entry *mv = last_free(want_single_dataset);
  if (!mv) mv = last_free(want_dataset);
  if (mv) take(mv);
  entry *del = last_free(want_deletable);
  if (del) take(del);
  entry *adel = NULL;
  if (root.attr0)
    adel = &root;
  else if ((adel = last_free(want_with_attr)))
    take(adel);
  entry *soft_to = NULL;
  for (size_t i = 0; i < nents && !soft_to; i++)
    if (ents[i].ltype == H5K_LINK_HARD && is_free(&ents[i]) && want_any_object(&ents[i])) soft_to = &ents[i];
  if (soft_to) take(soft_to);
  /* round 2 */
  entry *del2 = last_free(want_deletable);
  if (del2) take(del2);
  if (!deep && (deep = pick_deep(0))) take(deep);
  entry *ldel = NULL; /* an existing soft or external link */
  for (size_t i = nents; i-- > 0 && !ldel;)
    if (ents[i].ltype != H5K_LINK_HARD && is_free(&ents[i])) ldel = &ents[i];
  if (ldel) take(ldel);

  /* ---- round 1 */
  h5k_selection sel;
  if (w_contig) op_write(f, w_contig, corner(&sel, w_contig), test_value(w_contig, 1));
  if (w_chunk) op_write(f, w_chunk, corner(&sel, w_chunk), test_value(w_chunk, 1));
  uint64_t gdims[H5K_MAX_DIMS];
  if (grow) {
    int d = growable_dim(grow);
    memcpy(gdims, grow->space.dims, sizeof gdims);
    uint64_t room = grow->space.maxdims[d] - gdims[d];
    gdims[d] += room < 3 ? room : 3;
    op_resize(f, grow->path, grow->space.rank, gdims);
  }
  if (shrink) {
    uint64_t dims[H5K_MAX_DIMS];
    int d = shrinkable_dim(shrink);
    memcpy(dims, shrink->space.dims, sizeof dims);
    dims[d] = (dims[d] + 1) / 2;
    op_resize(f, shrink->path, shrink->space.rank, dims);
  }
  char *mv_to = NULL; /* into the root group: out of one group into another */
  if (mv) {
    const char *base = strrchr(mv->path, '/');
    mv_to = with_suffix(base, "_moved");
  }
  if (mv) op_move(f, mv->path, mv_to);
  if (del) op_unlink(f, del->path);
  if (adel) op_attrdel(f, adel->path, adel->attr0);
  if (soft_to) op_softlink(f, with_suffix("/h5kit_soft", ""), soft_to->path);
  if (gdel) op_unlink(f, gdel->path);
  if (alias) op_unlink(f, alias->path);
  commit(f, file);
  if (rounds < 2) return 0;

  /* ---- round 2, on the file h5kit rewrote */
  f = open_rw(file);
  if (del2) op_unlink(f, del2->path);
  if (ldel) op_unlink(f, ldel->path);
  op_attr(f, mv ? mv_to : "/", "h5kit_round2", 4242);
  if (deep) op_attr(f, deep->path, "h5kit_round2_deep", 4343);
  if (grow && numeric(grow)) {
    /* the last element of the grown part: one element beyond the old extent */
    memset(&sel, 0, sizeof sel);
    sel.rank = grow->space.rank;
    for (unsigned i = 0; i < sel.rank; i++) {
      sel.start[i] = 0;
      sel.stride[i] = sel.block[i] = sel.count[i] = 1;
    }
    sel.start[growable_dim(grow)] = gdims[growable_dim(grow)] - 1;
    op_write(f, grow, &sel, test_value(grow, 2));
  }
  if (gmv) op_move(f, gmv->path, with_suffix(gmv->path, "_moved"));
  op_group(f, with_suffix("/h5kit_round2_group", ""));
  commit(f, file);
  return 0;
}
