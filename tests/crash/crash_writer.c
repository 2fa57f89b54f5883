/* crash_writer.c — the victim of the crash test (tests/crash/README.md).
 *
 *   crash_writer FILE PROFILE SEED [--resume] [--max-commits N]
 *   (environment: CRASH_WRITER_THREADS = compression threads, default 0 = one per core)
 *
 * PROFILE is "compat" or "latest". Without --resume, FILE is created (replaced); with --resume it
 * is opened with H5K_OPEN_RDWR and the writer carries on from the commit the file holds. The
 * writer then commits forever (or N commits) until it is killed. After every successful commit c
 * it appends the line "c" to FILE.log and fsyncs the log.
 *
 * The content of commit c is a pure function of (SEED, c); crash_check.py computes the same
 * thing. Keep the two in step: every rule below has its twin there.
 *
 *   commit 0   what h5k_create leaves: an empty root group.
 *   commit 1   /data: uint16 (0, 64, 64), max (unlimited, 64, 64), chunks (4, 64, 64), filters
 *              by SEED % 3 (none, deflate 4, shuffle + deflate 1); root attributes
 *              "seed" uint64, "commit" int64 = 1, "steps" int64 = 0.
 *   commit c   steps S(c-1)+1 .. S(c), then "commit" = c and "steps" = S(c), then h5k_flush.
 *              Steps per commit: 1 + rnd(SEED, 1, c) % 3, or 6 + rnd % 5 when rnd % 8 == 0.
 *   step s     (r = rnd(SEED, 2, s)) in this order:
 *              - append frame s-1 (resize /data to s frames, write the frame);
 *              - r % 4 == 0: create /g<s> with "step" int32 s, "ints" int64[3] {s, 2s, SEED},
 *                "label" vlen string "g<s> seed <SEED>", "floats" float64[s % 5 + 1] s + j/4;
 *              - (r >> 8) % 5 == 0 and a group is live: live[(r >> 16) % nlive] gets
 *                "ints" {-s, s, 7} and "label" "rewritten at <s>";
 *              - (r >> 24) % 7 == 0 and >= 3 groups live: unlink live[(r >> 32) % nlive];
 *              - (r >> 40) % 6 == 0: rewrite frame (r >> 48) % s with version s.
 *   frame i, version v: element (y, x) = (i * 257 + y * 64 + x + SEED * 31 + v * 7) mod 65536.
 *   live: the groups not yet unlinked, in creation order.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "h5kit.h"

#define NY 64
#define NX 64
#define CHUNK_FRAMES 4

static uint64_t mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  uint64_t z = x;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static uint64_t rnd(uint64_t seed, uint64_t tag, uint64_t i) { return mix(mix(seed ^ (tag << 48)) ^ i); }

static uint64_t steps_in_commit(uint64_t seed, uint64_t c) {
  uint64_t r = rnd(seed, 1, c);
  return r % 8 == 0 ? 6 + (r >> 8) % 5 : 1 + r % 3;
}

/* The model the writer needs to choose its operations (the checker keeps the full one). */
typedef struct {
  uint64_t seed;
  uint64_t nframes;
  uint64_t *live; /* group step numbers, creation order */
  size_t nlive, cap;
} model;

static const char *prog_file;

static void die(int rc, const char *what) {
  fprintf(stderr, "crash_writer: %s: %s: %s (%s)\n", prog_file, what, h5k_error_last(), h5k_strerror(rc));
  exit(1);
}

static void check(int rc, const char *what) {
  if (rc < 0) die(rc, what);
}

static void live_add(model *m, uint64_t s) {
  if (m->nlive == m->cap) {
    m->cap = m->cap ? m->cap * 2 : 64;
    m->live = realloc(m->live, m->cap * sizeof *m->live);
    if (!m->live) {
      fprintf(stderr, "crash_writer: out of memory\n");
      exit(1);
    }
  }
  m->live[m->nlive++] = s;
}

static void live_remove(model *m, size_t i) {
  memmove(m->live + i, m->live + i + 1, (m->nlive - i - 1) * sizeof *m->live);
  m->nlive--;
}

static h5k_dataspace simple1(uint64_t n) {
  h5k_dataspace sp;
  memset(&sp, 0, sizeof sp);
  sp.kind = H5K_SPACE_SIMPLE;
  sp.rank = 1;
  sp.dims[0] = sp.maxdims[0] = n;
  return sp;
}

static h5k_dataspace scalar(void) {
  h5k_dataspace sp;
  memset(&sp, 0, sizeof sp);
  sp.kind = H5K_SPACE_SCALAR;
  return sp;
}

typedef struct {
  h5k_datatype *u16, *i32, *i64, *u64, *f64;
  h5k_datatype chr, vstr;
} types;

static void types_init(types *t) {
  check(h5k_datatype_make(&t->u16, H5K_CLASS_INTEGER, 2, 0), "uint16 type");
  check(h5k_datatype_make(&t->i32, H5K_CLASS_INTEGER, 4, 1), "int32 type");
  check(h5k_datatype_make(&t->i64, H5K_CLASS_INTEGER, 8, 1), "int64 type");
  check(h5k_datatype_make(&t->u64, H5K_CLASS_INTEGER, 8, 0), "uint64 type");
  check(h5k_datatype_make(&t->f64, H5K_CLASS_FLOAT, 8, 1), "float64 type");
  memset(&t->chr, 0, sizeof t->chr);
  t->chr.cls = H5K_CLASS_INTEGER;
  t->chr.size = 1;
  t->chr.precision = 8;
  memset(&t->vstr, 0, sizeof t->vstr);
  t->vstr.cls = H5K_CLASS_VLEN;
  t->vstr.vlen_type = H5K_VLEN_STRING;
  t->vstr.charset = H5K_CSET_UTF8;
  t->vstr.str_pad = H5K_STR_NULLTERM;
  t->vstr.size = 16;
  t->vstr.base = &t->chr;
}

static void types_free(types *t) {
  h5k_datatype_free(t->u16);
  h5k_datatype_free(t->i32);
  h5k_datatype_free(t->i64);
  h5k_datatype_free(t->u64);
  h5k_datatype_free(t->f64);
}

static void write_frame(h5k_file *f, const types *t, uint64_t seed, uint64_t i, uint64_t version) {
  static uint16_t buf[NY * NX]; /* the writer is single-threaded */
  for (uint64_t y = 0; y < NY; y++)
    for (uint64_t x = 0; x < NX; x++)
      buf[y * NX + x] = (uint16_t)(i * 257 + y * 64 + x + seed * 31 + version * 7);
  h5k_selection sel;
  memset(&sel, 0, sizeof sel);
  sel.rank = 3;
  const uint64_t start[3] = {i, 0, 0}, count[3] = {1, NY, NX};
  for (int d = 0; d < 3; d++) {
    sel.start[d] = start[d];
    sel.count[d] = count[d];
    sel.stride[d] = 1;
    sel.block[d] = 1;
  }
  check(h5k_write(f, "/data", &sel, t->u16, buf, sizeof buf), "write frame");
}

static void set_i64(h5k_file *f, const types *t, const char *obj, const char *name, int64_t v) {
  h5k_dataspace sp = scalar();
  check(h5k_attr_write(f, obj, name, t->i64, &sp, t->i64, &v, sizeof v), name);
}

static void set_ints(h5k_file *f, const types *t, const char *obj, int64_t a, int64_t b, int64_t c) {
  int64_t v[3] = {a, b, c};
  h5k_dataspace sp = simple1(3);
  check(h5k_attr_write(f, obj, "ints", t->i64, &sp, t->i64, v, sizeof v), "attribute ints");
}

static void set_label(h5k_file *f, const types *t, const char *obj, const char *text) {
  h5k_dataspace sp = scalar();
  check(h5k_attr_write(f, obj, "label", &t->vstr, &sp, NULL, &text, sizeof text), "attribute label");
}

/* Apply step s to the model and, when f is non-NULL, to the file. */
static void step(h5k_file *f, const types *t, model *m, uint64_t s) {
  uint64_t seed = m->seed, r = rnd(seed, 2, s);
  char path[64], text[96];
  if (f) {
    uint64_t dims[3] = {s, NY, NX};
    check(h5k_resize(f, "/data", dims), "resize /data");
    write_frame(f, t, seed, s - 1, 0);
  }
  m->nframes = s;
  if (r % 4 == 0) {
    if (f) {
      snprintf(path, sizeof path, "/g%llu", (unsigned long long)s);
      check(h5k_group_create(f, path, 0), "create group");
      int32_t st = (int32_t)s;
      h5k_dataspace sc = scalar();
      check(h5k_attr_write(f, path, "step", t->i32, &sc, t->i32, &st, sizeof st), "attribute step");
      set_ints(f, t, path, (int64_t)s, (int64_t)(2 * s), (int64_t)seed);
      snprintf(text, sizeof text, "g%llu seed %llu", (unsigned long long)s, (unsigned long long)seed);
      set_label(f, t, path, text);
      double fl[5];
      size_t nf = (size_t)(s % 5 + 1);
      for (size_t j = 0; j < nf; j++) fl[j] = (double)s + (double)j / 4;
      h5k_dataspace sp = simple1(nf);
      check(h5k_attr_write(f, path, "floats", t->f64, &sp, t->f64, fl, nf * sizeof *fl), "attribute floats");
    }
    live_add(m, s);
  }
  if ((r >> 8) % 5 == 0 && m->nlive) {
    uint64_t g = m->live[(r >> 16) % m->nlive];
    if (f) {
      snprintf(path, sizeof path, "/g%llu", (unsigned long long)g);
      set_ints(f, t, path, -(int64_t)s, (int64_t)s, 7);
      snprintf(text, sizeof text, "rewritten at %llu", (unsigned long long)s);
      set_label(f, t, path, text);
    }
  }
  if ((r >> 24) % 7 == 0 && m->nlive >= 3) {
    size_t i = (size_t)((r >> 32) % m->nlive);
    if (f) {
      snprintf(path, sizeof path, "/g%llu", (unsigned long long)m->live[i]);
      check(h5k_unlink(f, path), "unlink group");
    }
    live_remove(m, i);
  }
  if ((r >> 40) % 6 == 0 && f) write_frame(f, t, seed, (r >> 48) % s, s);
}

/* S(c): the steps done by commit c. */
static uint64_t steps_upto(uint64_t seed, uint64_t c) {
  uint64_t n = 0;
  for (uint64_t k = 2; k <= c; k++) n += steps_in_commit(seed, k);
  return n;
}

static void setup(h5k_file *f, const types *t, uint64_t seed) {
  h5k_dataspace sp;
  memset(&sp, 0, sizeof sp);
  sp.kind = H5K_SPACE_SIMPLE;
  sp.rank = 3;
  sp.has_maxdims = 1;
  sp.dims[0] = 0;
  sp.dims[1] = sp.maxdims[1] = NY;
  sp.dims[2] = sp.maxdims[2] = NX;
  sp.maxdims[0] = H5K_UNLIMITED;
  h5k_dataset_options o;
  memset(&o, 0, sizeof o);
  o.struct_size = sizeof o;
  o.storage = H5K_STORAGE_CHUNKED;
  o.chunk_rank = 3;
  o.chunk_dims[0] = CHUNK_FRAMES;
  o.chunk_dims[1] = NY;
  o.chunk_dims[2] = NX;
  static const uint32_t cd_deflate4[1] = {4}, cd_deflate1[1] = {1};
  h5k_filter_desc fl[2];
  memset(fl, 0, sizeof fl);
  if (seed % 3 == 1) {
    fl[0].id = H5K_FILTER_DEFLATE;
    fl[0].ncd = 1;
    fl[0].cd = cd_deflate4;
    o.nfilters = 1;
  } else if (seed % 3 == 2) {
    fl[0].id = H5K_FILTER_SHUFFLE;
    fl[1].id = H5K_FILTER_DEFLATE;
    fl[1].ncd = 1;
    fl[1].cd = cd_deflate1;
    o.nfilters = 2;
  }
  o.filters = fl;
  check(h5k_dataset_create(f, "/data", t->u16, &sp, &o), "create /data");
  h5k_dataspace sc = scalar();
  check(h5k_attr_write(f, "/", "seed", t->u64, &sc, t->u64, &seed, sizeof seed), "attribute seed");
  set_i64(f, t, "/", "steps", 0);
  set_i64(f, t, "/", "commit", 1);
}

/* Root attribute `name` as an 8-byte integer; returns 0 and sets *out, or 1 if it is absent. */
typedef struct {
  const char *name;
  uint64_t v;
  int found;
} attr_find;

static int find_cb(void *ud, const h5k_attr *a) {
  attr_find *af = ud;
  if (strcmp(a->name, af->name)) return 0;
  if (a->data_size != 8) return H5K_ECORRUPT;
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = v << 8 | a->data[i]; /* little-endian, as written */
  af->v = v;
  af->found = 1;
  return 1;
}

static int root_attr(uint64_t *out, h5k_file *f, const char *name) {
  h5k_addr root;
  check(h5k_resolve(&root, f, "/"), "resolve /");
  attr_find af = {name, 0, 0};
  int rc = h5k_attr_iterate(f, root, H5K_ORDER_NAME, find_cb, &af);
  if (rc < 0) die(rc, "read root attributes");
  if (!af.found) return 1;
  *out = af.v;
  return 0;
}

static int log_fd = -1;

static void log_commit(uint64_t c) {
  char line[32];
  int n = snprintf(line, sizeof line, "%llu\n", (unsigned long long)c);
  if (write(log_fd, line, (size_t)n) != n || fsync(log_fd) != 0) {
    fprintf(stderr, "crash_writer: cannot write the log: %s\n", strerror(errno));
    exit(1);
  }
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: crash_writer FILE compat|latest SEED [--resume] [--max-commits N]\n");
    return 2;
  }
  prog_file = argv[1];
  h5k_profile profile;
  if (!strcmp(argv[2], "compat")) profile = H5K_PROFILE_COMPAT;
  else if (!strcmp(argv[2], "latest")) profile = H5K_PROFILE_LATEST;
  else {
    fprintf(stderr, "crash_writer: unknown profile %s\n", argv[2]);
    return 2;
  }
  uint64_t seed = strtoull(argv[3], NULL, 10);
  int resume = 0;
  uint64_t max_commits = UINT64_MAX;
  for (int i = 4; i < argc; i++) {
    if (!strcmp(argv[i], "--resume")) resume = 1;
    else if (!strcmp(argv[i], "--max-commits") && i + 1 < argc) max_commits = strtoull(argv[++i], NULL, 10);
    else {
      fprintf(stderr, "crash_writer: unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  /* compression threads: CRASH_WRITER_THREADS (default 0 = one per core, the library's default) */
  const char *env = getenv("CRASH_WRITER_THREADS");
  unsigned nthreads = env ? (unsigned)strtoul(env, NULL, 10) : 0;
  char logpath[4096];
  snprintf(logpath, sizeof logpath, "%s.log", argv[1]);
  log_fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | (resume ? 0 : O_TRUNC), 0644);
  if (log_fd < 0) {
    fprintf(stderr, "crash_writer: cannot open %s: %s\n", logpath, strerror(errno));
    return 1;
  }

  types t;
  types_init(&t);
  model m;
  memset(&m, 0, sizeof m);
  m.seed = seed;
  h5k_file *f;
  uint64_t c = 0; /* the commit the file holds */
  if (resume) {
    h5k_open_options oo;
    memset(&oo, 0, sizeof oo);
    oo.struct_size = sizeof oo;
    oo.flags = H5K_OPEN_RDWR;
    oo.nthreads = nthreads;
    check(h5k_open(&f, argv[1], &oo), "reopen read-write");
    uint64_t fseed = 0;
    if (root_attr(&c, f, "commit") == 0) {
      if (root_attr(&fseed, f, "seed") != 0 || fseed != seed) {
        fprintf(stderr, "crash_writer: %s holds seed %llu, not %llu\n", argv[1], (unsigned long long)fseed,
                (unsigned long long)seed);
        return 1;
      }
    } else {
      c = 0; /* killed between h5k_create and commit 1 */
    }
    /* rebuild the model of commit c */
    uint64_t s_end = steps_upto(seed, c);
    for (uint64_t s = 1; s <= s_end; s++) step(NULL, &t, &m, s);
  } else {
    h5k_create_options co;
    memset(&co, 0, sizeof co);
    co.struct_size = sizeof co;
    co.flags = H5K_CREATE_TRUNC;
    co.profile = profile;
    co.nthreads = nthreads;
    check(h5k_create(&f, argv[1], &co), "create");
    log_commit(0);
  }

  uint64_t s = steps_upto(seed, c);
  for (uint64_t done = 0; done < max_commits; done++) {
    uint64_t next = c + 1;
    if (next == 1) {
      setup(f, &t, seed);
    } else {
      uint64_t n = steps_in_commit(seed, next);
      for (uint64_t k = 0; k < n; k++) step(f, &t, &m, ++s);
      set_i64(f, &t, "/", "steps", (int64_t)s);
      set_i64(f, &t, "/", "commit", (int64_t)next);
    }
    check(h5k_flush(f), "flush");
    c = next;
    log_commit(c);
  }
  h5k_close(f);
  types_free(&t);
  free(m.live);
  close(log_fd);
  return 0;
}
