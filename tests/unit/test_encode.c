/* Encoders (messages, object headers, superblock, symbol-table groups, global heap) against the
 * bytes the reference library writes.
 *
 * Part 1 (real files): tests/interop/encode_gen.py makes e_earliest.h5 and e_latest.h5 with h5py
 * (every datatype class h5py can make, scalar/null/unlimited dataspaces, fill values, compact /
 * contiguous / chunked (every v4 index) / virtual / external layouts, filter pipelines, hard /
 * soft / external links, groups of 0, 1, 9, 100 links, attributes with ASCII and UTF-8 names).
 * For every object header in both files: every message is decoded with h5kit's decoder and
 * re-encoded at the same version, and the bytes must equal libhdf5's. Chunk 0 of every header is
 * rebuilt from its message list and compared byte for byte; the superblock likewise. Every
 * symbol-table group is rebuilt with h5k_symtab_build and re-read with h5kit's reader.
 *
 * Part 2 (assembled files): whole files are built only from the encoders (superblock v0 + v1
 * headers + symbol tables with several B-tree levels + global heap; and superblock v2 + v2
 * headers with link messages), then checked by h5py (names, values, attributes, soft link) and
 * by h5dump's exit status: the oracle is libhdf5 reading what we wrote. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/file_impl.h"
#include "format/encode.h"
#include "format/layout.h"
#include "format/messages.h"
#include "format/object_header.h"
#include "format/symbol_table.h"
#include "testutil.h"

static unsigned counts[0x20];       /* messages compared, by type */
static unsigned headers_compared[3]; /* by header version */

/* tests/interop/<file> next to this source. */
static char *interop_path(const char *file) {
  static const char tail[] = "unit/test_encode.c";
  const char *src = __FILE__;
  size_t n = strlen(src), t = strlen(tail);
  char *out;
  if (n < t || strcmp(src + n - t, tail) != 0) return NULL;
  out = malloc(n - t + 8 + strlen(file) + 1);
  if (!out) return NULL;
  memcpy(out, src, n - t);
  strcpy(out + (n - t), "interop/");
  strcat(out, file);
  return out;
}

/* The encoded bytes must equal the stored message data; a v1 header pads data to 8 with zeros
 * (the padding belongs to the header, not the message), so only a zero tail may differ. */
static int same_bytes(const h5k_wbuf *w, const uint8_t *p, size_t len, int allow_pad) {
  if (w->err || w->len > len) return 0;
  if (memcmp(w->p, p, w->len) != 0) return 0;
  if (w->len == len) return 1;
  if (!allow_pad || len - w->len >= 8) return 0;
  for (size_t i = w->len; i < len; i++) {
    if (p[i]) return 0;
  }
  return 1;
}

static void report(const char *what, uint64_t addr, unsigned type, const h5k_wbuf *w, const uint8_t *p, size_t len) {
  fprintf(stderr, "  %s mismatch: header %llu, message 0x%04x (%zu stored bytes, %zu encoded)\n    stored: ", what,
          (unsigned long long)addr, type, len, w->len);
  for (size_t i = 0; i < len && i < 64; i++) fprintf(stderr, "%02x", p[i]);
  fprintf(stderr, "\n    ours:   ");
  for (size_t i = 0; i < w->len && i < 64; i++) fprintf(stderr, "%02x", w->p[i]);
  fprintf(stderr, "\n");
}

/* Re-encode one datatype message (p, len) with the file's version policy. */
static int check_type_bytes(const uint8_t *p, size_t len, unsigned floor, const h5k_fctx *f, uint64_t addr, int pad) {
  h5k_datatype *t = NULL;
  h5k_wbuf w;
  int ok;
  if (h5k_decode_datatype(&t, NULL, p, len, f) < 0) return 0;
  wbuf_init(&w);
  ok = h5k_encode_datatype(&w, t, floor) == 0 && same_bytes(&w, p, len, pad);
  if (!ok) report("datatype", addr, H5K_MSG_DATATYPE, &w, p, len);
  wbuf_free(&w);
  h5k_datatype_free(t);
  return ok;
}

static int check_space_bytes(const uint8_t *p, size_t len, const h5k_fctx *f, uint64_t addr, int pad) {
  h5k_dataspace s;
  h5k_wbuf w;
  int ok;
  if (h5k_decode_dataspace(&s, p, len, f) < 0) return 0;
  wbuf_init(&w);
  ok = h5k_encode_dataspace(&w, &s, p[0], f) == 0 && same_bytes(&w, p, len, pad);
  if (!ok) report("dataspace", addr, H5K_MSG_DATASPACE, &w, p, len);
  wbuf_free(&w);
  return ok;
}

/* One message of the header at addr: decode, re-encode, compare. rank = the header's dataspace
 * rank (for the layout decoder). */
static void check_message(const h5k_fctx *f, const h5k_ohdr *oh, const h5k_msg *m, unsigned floor, unsigned rank) {
  h5k_wbuf w;
  int pad = oh->version == 1, rc = -1, compared = 1;
  wbuf_init(&w);
  if (m->flags & H5K_MSGF_SHARED) {
    wbuf_free(&w);
    return;
  }
  switch (m->type) {
  case H5K_MSG_DATASPACE:
    CHECK(check_space_bytes(m->data, m->size, f, oh->addr, pad));
    compared = 0;
    counts[m->type]++;
    break;
  case H5K_MSG_DATATYPE:
    CHECK(check_type_bytes(m->data, m->size, floor, f, oh->addr, pad));
    compared = 0;
    counts[m->type]++;
    break;
  case H5K_MSG_FILLVALUE:
  case H5K_MSG_FILLVALUE_OLD: {
    h5k_fill fv;
    if (h5k_decode_fill(&fv, m->type, m->data, m->size) == 0) {
      rc = m->type == H5K_MSG_FILLVALUE ? h5k_encode_fill(&w, &fv, fv.version) : h5k_encode_fill_old(&w, fv.value, fv.size);
      h5k_fill_clear(&fv);
    }
    break;
  }
  case H5K_MSG_LAYOUT: {
    h5k_layout l;
    if (h5k_decode_layout(&l, m->data, m->size, f, rank) == 0) {
      rc = h5k_encode_layout(&w, &l, f);
      h5k_layout_clear(&l);
    }
    break;
  }
  case H5K_MSG_PLINE: {
    h5k_pline pl;
    if (h5k_decode_pline(&pl, m->data, m->size) == 0) {
      rc = h5k_encode_pline(&w, &pl);
      h5k_pline_clear(&pl);
    }
    break;
  }
  case H5K_MSG_LINK: {
    h5k_link_msg lm;
    if (h5k_decode_link(&lm, m->data, m->size, f) == 0) {
      rc = h5k_encode_link(&w, &lm, f);
      h5k_link_msg_clear(&lm);
    }
    break;
  }
  case H5K_MSG_LINFO:
  case H5K_MSG_AINFO: {
    h5k_linfo li;
    if (m->type == H5K_MSG_LINFO ? h5k_decode_linfo(&li, m->data, m->size, f) == 0
                                 : h5k_decode_ainfo(&li, m->data, m->size, f) == 0)
      rc = m->type == H5K_MSG_LINFO ? h5k_encode_linfo(&w, &li, f) : h5k_encode_ainfo(&w, &li, f);
    break;
  }
  case H5K_MSG_GINFO: {
    h5k_ginfo g;
    if (h5k_decode_ginfo(&g, m->data, m->size, f) == 0) rc = h5k_encode_ginfo(&w, &g);
    break;
  }
  case H5K_MSG_STAB: {
    h5k_stab s;
    if (h5k_decode_stab(&s, m->data, m->size, f) == 0) rc = h5k_encode_stab(&w, &s, f);
    break;
  }
  case H5K_MSG_MTIME: {
    int64_t t;
    if (h5k_decode_mtime(&t, m->type, m->data, m->size) == 0) rc = h5k_encode_mtime(&w, t);
    break;
  }
  case H5K_MSG_REFCOUNT:
    if (m->size >= 5) rc = h5k_encode_refcount(&w, (uint32_t)get_le(m->data + 1, 4));
    break;
  case H5K_MSG_EFL: {
    h5k_efl efl;
    if (h5k_decode_efl(&efl, m->data, m->size, f) == 0) {
      /* Names come back as strings; take their heap offsets and slot count from the stored bytes. */
      uint64_t offs[16];
      size_t nalloc = get_le(m->data + 4, 2);
      for (size_t i = 0; i < efl.n && i < 16; i++) offs[i] = get_le(m->data + 8 + f->so + i * 3 * f->sl, f->sl);
      rc = h5k_encode_efl(&w, &efl, nalloc, get_le(m->data + 8, f->so), offs, f);
      h5k_efl_clear(&efl);
    }
    break;
  }
  case H5K_MSG_ATTR: {
    h5k_attr_msg a;
    if (h5k_decode_attr(&a, m->data, m->size, f) == 0) {
      if (!a.type_shared) CHECK(check_type_bytes(a.type_bytes, a.type_len, floor, f, oh->addr, 0));
      if (!a.space_shared) CHECK(check_space_bytes(a.space_bytes, a.space_len, f, oh->addr, 0));
      if (!a.type_shared && !a.space_shared)
        rc = h5k_encode_attr(&w, a.version, a.name, a.charset, a.type_bytes, a.type_len, a.space_bytes, a.space_len,
                             a.data, a.data_len);
      else
        compared = 0;
      h5k_attr_msg_clear(&a);
    }
    break;
  }
  default:
    compared = 0;
    break;
  }
  if (compared) {
    int ok = rc == 0 && same_bytes(&w, m->data, m->size, pad);
    if (!ok) report("message", oh->addr, m->type, &w, m->data, m->size);
    CHECK(ok);
    if (m->type < 0x20) counts[m->type]++;
  }
  wbuf_free(&w);
}

/* Rebuild chunk 0 of the header at addr from its raw message list (NIL messages included) and
 * compare with the stored bytes; then again with a trailing NIL dropped and replaced by min_data. */
static void check_header_bytes(const uint8_t *file, size_t flen, uint64_t addr, const h5k_fctx *f) {
  h5k_oh_msg msgs[256];
  size_t n = 0, pos, end, hdr_len, msgs_start, area;
  const uint8_t *h = file + addr;
  unsigned version, msg_hdr;
  uint32_t refcount = 1;
  h5k_oh_opts o;
  int has_cont = 0;
  h5k_wbuf w;
  memset(&o, 0, sizeof o);
  if (addr + 16 > flen) return;
  if (memcmp(h, "OHDR", 4) == 0) {
    unsigned flags = h[5];
    version = 2;
    pos = 6;
    o.track_corder = (flags & 4) != 0;
    o.index_corder = (flags & 8) != 0;
    if (flags & 0x20) {
      o.has_times = 1;
      o.atime = (uint32_t)get_le(h + pos, 4);
      o.mtime = (uint32_t)get_le(h + pos + 4, 4);
      o.ctime = (uint32_t)get_le(h + pos + 8, 4);
      o.btime = (uint32_t)get_le(h + pos + 12, 4);
      pos += 16;
    }
    if (flags & 0x10) {
      o.has_phase = 1;
      o.max_compact = (unsigned)get_le(h + pos, 2);
      o.min_dense = (unsigned)get_le(h + pos + 2, 2);
      pos += 4;
    }
    end = pos + (1u << (flags & 3)) + get_le(h + pos, 1u << (flags & 3));
    pos += 1u << (flags & 3);
    hdr_len = end + 4;
    msg_hdr = o.track_corder ? 6 : 4;
  } else {
    version = 1;
    refcount = (uint32_t)get_le(h + 4, 4);
    pos = 16;
    end = 16 + get_le(h + 8, 4);
    hdr_len = end;
    msg_hdr = 8;
  }
  if (addr + hdr_len > flen) return;
  msgs_start = pos;
  while (end - pos >= msg_hdr && n < 256) {
    h5k_oh_msg *m = &msgs[n++];
    memset(m, 0, sizeof *m);
    if (version == 1) {
      m->type = (unsigned)get_le(h + pos, 2);
      m->len = get_le(h + pos + 2, 2);
      m->flags = h[pos + 4];
    } else {
      m->type = h[pos];
      m->len = get_le(h + pos + 1, 2);
      m->flags = h[pos + 3];
      if (o.track_corder) m->corder = (unsigned)get_le(h + pos + 4, 2);
    }
    m->data = h + pos + msg_hdr;
    has_cont |= m->type == H5K_MSG_CONT;
    pos += msg_hdr + m->len;
  }
  /* v2: the message area may end in a gap shorter than a message header; min_data = the area
   * size reproduces it. */
  area = end - msgs_start;
  wbuf_init(&w);
  if (version == 1)
    CHECK(h5k_oh_encode(&w, f, 1, refcount, msgs, n, 0) == 0);
  else
    CHECK(h5k_oh_encode_v2(&w, f, &o, refcount, msgs, n, area) == 0);
  /* v1: the message count covers all chunks, so with a continuation bytes 2-3 may differ. */
  if (version == 1 && has_cont && w.len >= 4) {
    w.p[2] = h[2];
    w.p[3] = h[3];
  }
  {
    int ok = w.len == hdr_len && memcmp(w.p, h, hdr_len) == 0;
    if (!ok) report("object header", addr, 0xffff, &w, h, hdr_len);
    CHECK(ok);
    headers_compared[version]++;
  }
  /* Drop a trailing NIL and let min_data recreate it. */
  if (n > 0 && msgs[n - 1].type == H5K_MSG_NIL && !has_cont) {
    wbuf_free(&w);
    wbuf_init(&w);
    if (version == 1)
      CHECK(h5k_oh_encode(&w, f, 1, refcount, msgs, n - 1, area) == 0);
    else
      CHECK(h5k_oh_encode_v2(&w, f, &o, refcount, msgs, n - 1, area) == 0);
    CHECK(w.len == hdr_len && memcmp(w.p, h, hdr_len) == 0);
  }
  wbuf_free(&w);
}

/* ---- symbol-table rebuild ---- */
typedef struct ent_list {
  h5k_symtab_entry e[512];
  char *names[512];
  char *soft[512];
  size_t n;
} ent_list;

static int collect_cb(void *ud, const h5k_symentry *e) {
  ent_list *l = ud;
  if (l->n >= 512) return 1;
  l->names[l->n] = strdup(e->name);
  l->soft[l->n] = e->soft_target ? strdup(e->soft_target) : NULL;
  l->e[l->n].name = l->names[l->n];
  l->e[l->n].obj_addr = e->obj_addr;
  l->e[l->n].cache_type = e->cache_type;
  l->e[l->n].btree_addr = e->btree_addr;
  l->e[l->n].heap_addr = e->heap_addr;
  l->e[l->n].soft_target = l->soft[l->n];
  l->n++;
  return 0;
}

static void ent_list_free(ent_list *l) {
  for (size_t i = 0; i < l->n; i++) {
    free(l->names[i]);
    free(l->soft[i]);
  }
  l->n = 0;
}

/* Rebuild the group's symbol table appended to a copy of the file, with K values small and
 * default, and read it back. */
static void check_symtab_rebuild(const uint8_t *file, size_t flen, const h5k_fctx *orig, const h5k_stab *st) {
  static ent_list a, b;
  unsigned ks[2][2] = {{4, 16}, {1, 2}};
  a.n = 0;
  CHECK(h5k_symtab_iterate(orig, st->btree_addr, st->heap_addr, collect_cb, &a) == 0);
  for (unsigned k = 0; k < 2; k++) {
    h5k_wbuf w;
    h5k_fctx f;
    uint64_t base = (flen + 7) & ~(size_t)7, bt = 0, hp = 0;
    size_t len0;
    wbuf_init(&w);
    wr_bytes(&w, file, flen);
    wr_zero(&w, base - flen);
    len0 = w.len;
    memset(&f, 0, sizeof f);
    f.so = f.sl = 8;
    f.sym_leaf_k = ks[k][0];
    f.btree_k_group = ks[k][1];
    CHECK(h5k_symtab_build(&w, base, &f, a.e, a.n, &bt, &hp) == 0);
    {
      /* the run's size does not depend on base */
      h5k_wbuf w2;
      uint64_t bt2, hp2;
      wbuf_init(&w2);
      CHECK(h5k_symtab_build(&w2, 12345 * 8, &f, a.e, a.n, &bt2, &hp2) == 0);
      CHECK_EQ_U(w2.len, w.len - len0);
      wbuf_free(&w2);
    }
    fctx_mem(&f, w.p, w.len);
    f.sym_leaf_k = ks[k][0];
    f.btree_k_group = ks[k][1];
    b.n = 0;
    CHECK(h5k_symtab_iterate(&f, bt, hp, collect_cb, &b) == 0);
    CHECK_EQ_U(b.n, a.n);
    for (size_t i = 0; i < a.n && i < b.n; i++) {
      CHECK(strcmp(a.e[i].name, b.e[i].name) == 0);
      CHECK_EQ_U(a.e[i].obj_addr, b.e[i].obj_addr);
      CHECK_EQ_U(a.e[i].cache_type, b.e[i].cache_type);
      if (a.e[i].cache_type == 1) {
        CHECK_EQ_U(a.e[i].btree_addr, b.e[i].btree_addr);
        CHECK_EQ_U(a.e[i].heap_addr, b.e[i].heap_addr);
      }
    }
    /* lookups by name descend the rebuilt B-tree */
    for (size_t i = 0; i < a.n; i += 7) CHECK(h5k_symtab_find(&f, bt, hp, a.e[i].name, NULL, NULL) == 0);
    CHECK(h5k_symtab_find(&f, bt, hp, "zzzz-not-there", NULL, NULL) == H5K_ENOTFOUND);
    ent_list_free(&b);
    h5k_io_close(f.io);
    wbuf_free(&w);
  }
  ent_list_free(&a);
}

typedef struct addr_set {
  uint64_t a[1024];
  size_t n;
} addr_set;

static int visit_cb(void *ud, const char *path, const h5k_link *l) {
  addr_set *s = ud;
  (void)path;
  if (l->type != H5K_LINK_HARD) return 0;
  for (size_t i = 0; i < s->n; i++) {
    if (s->a[i] == l->addr) return 0;
  }
  if (s->n < 1024) s->a[s->n++] = l->addr;
  return 0;
}

static void check_file(const char *path, int latest) {
  size_t flen;
  uint8_t *file = slurp(path, &flen);
  h5k_file *hf = NULL;
  static addr_set objs;
  unsigned symtabs = 0;
  CHECK(file != NULL);
  if (!file) return;
  CHECK(h5k_open_memory(&hf, file, flen, NULL) == 0);
  if (!hf) {
    free(file);
    return;
  }
  objs.n = 0;
  objs.a[objs.n++] = hf->fc.root;
  CHECK(h5k_visit(hf, hf->fc.root, visit_cb, &objs) == 0);
  CHECK(objs.n > 100);
  for (size_t i = 0; i < objs.n; i++) {
    h5k_ohdr oh;
    const h5k_msg *sm;
    unsigned rank = 0;
    if (h5k_ohdr_read(&oh, &hf->fc, objs.a[i]) < 0) {
      CHECK(0);
      continue;
    }
    if ((sm = h5k_ohdr_find(&oh, H5K_MSG_DATASPACE, NULL)) != NULL) {
      h5k_dataspace s;
      if (h5k_decode_dataspace(&s, sm->data, sm->size, &hf->fc) == 0) rank = s.rank;
    }
    for (size_t k = 0; k < oh.nmsgs; k++) check_message(&hf->fc, &oh, &oh.msgs[k], latest ? 3 : 0, rank);
    check_header_bytes(file, flen, objs.a[i], &hf->fc);
    if ((sm = h5k_ohdr_find(&oh, H5K_MSG_STAB, NULL)) != NULL) {
      h5k_stab st;
      if (h5k_decode_stab(&st, sm->data, sm->size, &hf->fc) == 0 && (symtabs < 12 || i % 17 == 0)) {
        check_symtab_rebuild(file, flen, &hf->fc, &st);
        symtabs++;
      }
    }
    h5k_ohdr_free(&oh);
  }
  if (!latest) CHECK(symtabs >= 5);
  /* superblock */
  {
    h5k_sb_params p;
    h5k_wbuf w;
    memset(&p, 0, sizeof p);
    p.version = hf->fc.sb_version;
    p.base = 0;
    p.eof = hf->fc.eof;
    p.root_addr = hf->fc.root;
    p.root_btree = hf->fc.root_btree;
    p.root_heap = hf->fc.root_heap;
    p.ext_addr = hf->fc.ext;
    p.sym_leaf_k = hf->fc.sym_leaf_k;
    p.btree_k_group = hf->fc.btree_k_group;
    p.btree_k_chunk = hf->fc.btree_k_chunk;
    wbuf_init(&w);
    CHECK(h5k_superblock_encode(&w, &p, &hf->fc) == 0);
    CHECK_EQ_U(w.len, h5k_superblock_size(p.version, &hf->fc));
    CHECK(w.len <= flen && memcmp(w.p, file, w.len) == 0);
    if (w.len > flen || memcmp(w.p, file, w.len) != 0) report("superblock", 0, 0, &w, file, w.len);
    wbuf_free(&w);
  }
  h5k_close(hf);
  free(file);
}

static void test_real_files(void) {
  char dir[] = "/tmp/h5k_encode_XXXXXX", path[256];
  char *script = interop_path("encode_gen.py");
  if (!have_h5py()) {
    fprintf(stderr, "test_encode: h5py not available, real-file tests skipped\n");
    free(script);
    return;
  }
  if (!script || !mkdtemp(dir)) {
    CHECK(0);
    free(script);
    return;
  }
  CHECK(run_python(script, dir) == 0);
  snprintf(path, sizeof path, "%s/e_earliest.h5", dir);
  check_file(path, 0);
  snprintf(path, sizeof path, "%s/e_latest.h5", dir);
  check_file(path, 1);
  for (unsigned t = 0; t < 0x20; t++) {
    if (counts[t]) fprintf(stderr, "  compared %u x message 0x%02x (%s)\n", counts[t], t, h5k_msg_name(t));
  }
  fprintf(stderr, "  compared %u v1 and %u v2 object headers\n", headers_compared[1], headers_compared[2]);
  /* every family was met */
  CHECK(counts[H5K_MSG_DATASPACE] > 40 && counts[H5K_MSG_DATATYPE] > 40 && counts[H5K_MSG_LAYOUT] > 40);
  CHECK(counts[H5K_MSG_FILLVALUE] > 40 && counts[H5K_MSG_FILLVALUE_OLD] > 0 && counts[H5K_MSG_PLINE] >= 6);
  CHECK(counts[H5K_MSG_LINK] >= 10 && counts[H5K_MSG_LINFO] > 10 && counts[H5K_MSG_GINFO] > 10);
  CHECK(counts[H5K_MSG_STAB] > 10 && counts[H5K_MSG_ATTR] >= 8 && counts[H5K_MSG_EFL] >= 4);
  CHECK(counts[H5K_MSG_MTIME] >= 1);
  CHECK(headers_compared[1] > 100 && headers_compared[2] > 100);
  free(script);
  remove_dir(dir);
}

/* ---- part 2: a whole file assembled from the encoders, read by libhdf5 ---- */

typedef struct asm_addrs {
  uint64_t root, root_bt, root_hp, d, d_data, vs, vs_data, gcol, eof;
  uint64_t g[40], g_bt[40], g_hp[40];
} asm_addrs;

static int msg_bytes(h5k_oh_msg *m, h5k_wbuf *w, unsigned type) {
  m->type = type;
  m->flags = 0;
  m->data = w->p;
  m->len = w->len;
  m->corder = 0;
  return w->err ? -1 : 0;
}

static void dataset_header(h5k_wbuf *img, const h5k_fctx *f, unsigned hv, const h5k_dataspace *sp, const h5k_datatype *t,
                           uint64_t data_addr, uint64_t data_size) {
  h5k_wbuf ws, wt, wf, wl;
  h5k_oh_msg m[4];
  h5k_fill fv;
  h5k_layout l;
  memset(&fv, 0, sizeof fv);
  memset(&l, 0, sizeof l);
  fv.alloc_time = 2;
  fv.fill_time = 2;
  l.version = hv == 1 ? 3 : 4;
  l.cls = H5K_LAYOUT_CONTIGUOUS;
  l.addr = data_addr;
  l.size = data_size;
  wbuf_init(&ws);
  wbuf_init(&wt);
  wbuf_init(&wf);
  wbuf_init(&wl);
  CHECK(h5k_encode_dataspace(&ws, sp, hv == 1 ? 1 : 2, f) == 0);
  CHECK(h5k_encode_datatype(&wt, t, hv == 1 ? 0 : 3) == 0);
  CHECK(h5k_encode_fill(&wf, &fv, hv == 1 ? 2 : 3) == 0);
  CHECK(h5k_encode_layout(&wl, &l, f) == 0);
  msg_bytes(&m[0], &ws, H5K_MSG_DATASPACE);
  msg_bytes(&m[1], &wt, H5K_MSG_DATATYPE);
  m[1].flags = 1; /* constant */
  msg_bytes(&m[2], &wf, H5K_MSG_FILLVALUE);
  m[2].flags = 1;
  msg_bytes(&m[3], &wl, H5K_MSG_LAYOUT);
  CHECK(h5k_oh_encode(img, f, hv, 1, m, 4, 64) == 0);
  wbuf_free(&ws);
  wbuf_free(&wt);
  wbuf_free(&wf);
  wbuf_free(&wl);
}

static void set_int(h5k_datatype *t, unsigned size) {
  memset(t, 0, sizeof *t);
  t->cls = H5K_CLASS_INTEGER;
  t->size = size;
  t->is_signed = size > 1;
  t->precision = 8 * size;
}

/* Earliest-style file: superblock v0, v1 headers, symbol tables (small K: several B-tree
 * levels), a vlen string dataset in a global heap collection, a v1 attribute, a soft link. */
static void build_v0_file(h5k_wbuf *img, asm_addrs *ad, const asm_addrs *prev) {
  h5k_fctx f;
  h5k_symtab_entry e[43];
  char names[40][8];
  size_t n = 0;
  h5k_datatype ti, tu8, tvs, ti64;
  h5k_dataspace sp;
  memset(&f, 0, sizeof f);
  f.so = f.sl = 8;
  f.sym_leaf_k = 2;
  f.btree_k_group = 2;
  set_int(&ti, 4);
  set_int(&ti64, 8);
  set_int(&tu8, 1);
  memset(&tvs, 0, sizeof tvs);
  tvs.cls = H5K_CLASS_VLEN;
  tvs.vlen_type = H5K_VLEN_STRING;
  tvs.charset = H5K_CSET_UTF8;
  tvs.size = 16;
  tvs.base = &tu8;
  memset(ad, 0, sizeof *ad);
  img->len = 0;
  /* superblock */
  {
    h5k_sb_params p;
    memset(&p, 0, sizeof p);
    p.version = 0;
    p.eof = prev->eof;
    p.root_addr = prev->root;
    p.root_btree = prev->root_bt;
    p.root_heap = prev->root_hp;
    p.ext_addr = H5K_ADDR_UNDEF;
    p.sym_leaf_k = 2;
    p.btree_k_group = 2;
    CHECK(h5k_superblock_encode(img, &p, &f) == 0);
  }
  /* root header: symbol table + attribute "answer" = 42 (int64 scalar) */
  ad->root = img->len;
  {
    h5k_wbuf wst, wt, wsp, wa;
    h5k_oh_msg m[2];
    h5k_stab st = {prev->root_bt, prev->root_hp};
    uint8_t v[8] = {42, 0, 0, 0, 0, 0, 0, 0};
    memset(&sp, 0, sizeof sp);
    sp.kind = H5K_SPACE_SCALAR;
    wbuf_init(&wst);
    wbuf_init(&wt);
    wbuf_init(&wsp);
    wbuf_init(&wa);
    CHECK(h5k_encode_stab(&wst, &st, &f) == 0);
    CHECK(h5k_encode_datatype(&wt, &ti64, 0) == 0);
    CHECK(h5k_encode_dataspace(&wsp, &sp, 1, &f) == 0);
    CHECK(h5k_encode_attr(&wa, 1, "answer", 0, wt.p, wt.len, wsp.p, wsp.len, v, 8) == 0);
    msg_bytes(&m[0], &wst, H5K_MSG_STAB);
    msg_bytes(&m[1], &wa, H5K_MSG_ATTR);
    CHECK(h5k_oh_encode(img, &f, 1, 1, m, 2, 0) == 0);
    wbuf_free(&wst);
    wbuf_free(&wt);
    wbuf_free(&wsp);
    wbuf_free(&wa);
  }
  /* 40 empty groups */
  for (unsigned i = 0; i < 40; i++) {
    h5k_wbuf wst;
    h5k_oh_msg m;
    h5k_stab st = {prev->g_bt[i], prev->g_hp[i]};
    ad->g[i] = img->len;
    wbuf_init(&wst);
    CHECK(h5k_encode_stab(&wst, &st, &f) == 0);
    msg_bytes(&m, &wst, H5K_MSG_STAB);
    CHECK(h5k_oh_encode(img, &f, 1, 1, &m, 1, 0) == 0);
    wbuf_free(&wst);
    f.sym_leaf_k = 4; /* default-K trees in the children (any K works for an empty group) */
    CHECK(h5k_symtab_build(img, img->len, &f, NULL, 0, &ad->g_bt[i], &ad->g_hp[i]) == 0);
    f.sym_leaf_k = 2;
  }
  /* dataset d: int32 [5] = 10, 20, 30, 40, 50 */
  memset(&sp, 0, sizeof sp);
  sp.kind = H5K_SPACE_SIMPLE;
  sp.rank = 1;
  sp.dims[0] = sp.maxdims[0] = 5;
  ad->d = img->len;
  dataset_header(img, &f, 1, &sp, &ti, prev->d_data, 20);
  ad->d_data = img->len;
  for (unsigned i = 0; i < 5; i++) wr_le32(img, 10 * (i + 1));
  wr_align(img, 0, 8);
  /* dataset vs: vlen utf-8 strings [3] in one global heap collection */
  sp.dims[0] = sp.maxdims[0] = 3;
  ad->vs = img->len;
  dataset_header(img, &f, 1, &sp, &tvs, prev->vs_data, 48);
  ad->vs_data = img->len;
  {
    static const char *const strs[3] = {"alpha", "\xc3\xa9t\xc3\xa9", "a somewhat longer string"};
    for (unsigned i = 0; i < 3; i++) {
      wr_le32(img, strlen(strs[i]));
      wr_le64(img, prev->gcol);
      wr_le32(img, i + 1);
    }
    ad->gcol = img->len;
    {
      const uint8_t *objs[3] = {(const uint8_t *)strs[0], (const uint8_t *)strs[1], (const uint8_t *)strs[2]};
      size_t sizes[3] = {strlen(strs[0]), strlen(strs[1]), strlen(strs[2])};
      CHECK(h5k_gcol_build(img, ad->gcol, objs, sizes, 3, 0) == 0);
    }
  }
  /* root symbol table: d, g00..g39, s (soft -> /d), vs */
  e[n++] = (h5k_symtab_entry){"d", prev->d, 0, 0, 0, NULL};
  for (unsigned i = 0; i < 40; i++) {
    snprintf(names[i], sizeof names[i], "g%02u", i);
    e[n++] = (h5k_symtab_entry){names[i], prev->g[i], 1, prev->g_bt[i], prev->g_hp[i], NULL};
  }
  e[n++] = (h5k_symtab_entry){"s", H5K_ADDR_UNDEF, 2, 0, 0, "/d"};
  e[n++] = (h5k_symtab_entry){"vs", prev->vs, 0, 0, 0, NULL};
  CHECK(h5k_symtab_build(img, img->len, &f, e, n, &ad->root_bt, &ad->root_hp) == 0);
  ad->eof = img->len;
}

static const char check_v0_script[] =
    "import sys, h5py, numpy as np\n"
    "f = h5py.File(sys.argv[1], 'r')\n"
    "names = list(f.keys())\n"
    "exp = ['d'] + ['g%02d' % i for i in range(40)] + ['s', 'vs']\n"
    "assert names == exp, names\n"
    "assert list(f['d'][()]) == [10, 20, 30, 40, 50], f['d'][()]\n"
    "assert f.attrs['answer'] == 42\n"
    "assert f.get('s', getlink=True).path == '/d'\n"
    "assert list(f['s'][()]) == [10, 20, 30, 40, 50]\n"
    "v = [x.decode() if isinstance(x, bytes) else x for x in f['vs'][()]]\n"
    "assert v == ['alpha', '\\u00e9t\\u00e9', 'a somewhat longer string'], v\n"
    "assert len(f['g17']) == 0\n"
    "f.close()\n"
    "f = h5py.File(sys.argv[1], 'r+')\n"
    "for i in range(30): f['g05'].create_group('new%02d' % i)\n"
    "f.create_group('zz')\n"
    "f.close()\n"
    "f = h5py.File(sys.argv[1], 'r')\n"
    "assert len(f['g05']) == 30 and 'zz' in f and len(f) == 44\n"
    "print('ok')\n";

static void test_assembled_v0(void) {
  asm_addrs a, b;
  h5k_wbuf img;
  char dir[] = "/tmp/h5k_encode_asm_XXXXXX", path[256], cmd[600];
  FILE *fp;
  memset(&a, 0, sizeof a);
  wbuf_init(&img);
  build_v0_file(&img, &b, &a); /* measure: addresses come out in b */
  build_v0_file(&img, &a, &b); /* real build with them */
  CHECK(memcmp(&a, &b, sizeof a) == 0); /* sizes did not depend on the addresses */
  /* our own reader first */
  {
    h5k_file *hf = NULL;
    uint64_t count = 0;
    CHECK(h5k_open_memory(&hf, img.p, img.len, NULL) == 0);
    if (hf) {
      CHECK(h5k_group_count(&count, hf, hf->fc.root) == 0);
      CHECK_EQ_U(count, 43);
      h5k_close(hf);
    }
  }
  if (!have_h5py() || !mkdtemp(dir)) {
    wbuf_free(&img);
    return;
  }
  snprintf(path, sizeof path, "%s/asm_v0.h5", dir);
  fp = fopen(path, "wb");
  CHECK(fp != NULL);
  if (fp) {
    fwrite(img.p, 1, img.len, fp);
    fclose(fp);
  }
  snprintf(cmd, sizeof cmd, "h5dump '%s' >/dev/null 2>&1", path);
  CHECK(system(cmd) == 0);
  CHECK(run_gen_script(dir, check_v0_script, path) == 0);
  remove_dir(dir);
  wbuf_free(&img);
}

/* Latest-style file: superblock v2, v2 headers, link / link info / group info messages, datatype
 * v3 (compound), fill v3, layout v4, attribute v3 with a UTF-8 name, refcount message. */
static void build_v2_file(h5k_wbuf *img, asm_addrs *ad, const asm_addrs *prev) {
  h5k_fctx f;
  h5k_datatype ti, tf, tc;
  h5k_type_member mem[2];
  h5k_dataspace sp;
  memset(&f, 0, sizeof f);
  f.so = f.sl = 8;
  set_int(&ti, 4);
  memset(&tf, 0, sizeof tf); /* IEEE little-endian double, as h5py's <f8 */
  tf.cls = H5K_CLASS_FLOAT;
  tf.size = 8;
  tf.precision = 64;
  tf.mantissa_norm = 2;
  tf.sign_location = 63;
  tf.exp_location = 52;
  tf.exp_size = 11;
  tf.mantissa_size = 52;
  tf.exp_bias = 1023;
  memset(&tc, 0, sizeof tc);
  tc.cls = H5K_CLASS_COMPOUND;
  tc.size = 16;
  tc.nmembers = 2;
  tc.members = mem;
  mem[0] = (h5k_type_member){"i", 0, &ti};
  mem[1] = (h5k_type_member){"x", 8, &tf};
  memset(ad, 0, sizeof *ad);
  img->len = 0;
  {
    h5k_sb_params p;
    memset(&p, 0, sizeof p);
    p.version = 2;
    p.eof = prev->eof;
    p.root_addr = prev->root;
    p.root_btree = p.root_heap = p.ext_addr = H5K_ADDR_UNDEF;
    CHECK(h5k_superblock_encode(img, &p, &f) == 0);
  }
  ad->root = img->len;
  {
    h5k_wbuf wli, wgi, wl[4];
    h5k_oh_msg m[6];
    h5k_linfo li = {0, 0, 0, H5K_ADDR_UNDEF, H5K_ADDR_UNDEF, H5K_ADDR_UNDEF};
    h5k_ginfo gi = {8, 6, 0, 4, 8, 0};
    h5k_link_msg lk[4];
    memset(lk, 0, sizeof lk);
    lk[0].name = "d";
    lk[0].addr = prev->d;
    lk[1].name = "d2"; /* second hard link: the dataset's refcount is 2 */
    lk[1].addr = prev->d;
    lk[2].name = "e";
    lk[2].type = H5K_LINK_EXTERNAL;
    lk[2].ext_file = "other.h5";
    lk[2].ext_path = "/x";
    lk[3].name = "s\xc3\xa9";
    lk[3].type = H5K_LINK_SOFT;
    lk[3].soft = "/d";
    lk[3].charset = H5K_CSET_UTF8;
    wbuf_init(&wli);
    wbuf_init(&wgi);
    CHECK(h5k_encode_linfo(&wli, &li, &f) == 0);
    CHECK(h5k_encode_ginfo(&wgi, &gi) == 0);
    msg_bytes(&m[0], &wli, H5K_MSG_LINFO);
    msg_bytes(&m[1], &wgi, H5K_MSG_GINFO);
    for (unsigned i = 0; i < 4; i++) {
      wbuf_init(&wl[i]);
      CHECK(h5k_encode_link(&wl[i], &lk[i], &f) == 0);
      msg_bytes(&m[2 + i], &wl[i], H5K_MSG_LINK);
    }
    CHECK(h5k_oh_encode(img, &f, 2, 1, m, 6, 0) == 0);
    wbuf_free(&wli);
    wbuf_free(&wgi);
    for (unsigned i = 0; i < 4; i++) wbuf_free(&wl[i]);
  }
  ad->d = img->len;
  {
    h5k_wbuf ws, wt, wf, wl, wa, wat, was;
    h5k_oh_msg m[5];
    h5k_fill fv;
    h5k_layout l;
    h5k_dataspace sc;
    uint8_t av[4] = {7, 0, 0, 0};
    memset(&sp, 0, sizeof sp);
    sp.kind = H5K_SPACE_SIMPLE;
    sp.rank = 1;
    sp.dims[0] = 2;
    sp.maxdims[0] = H5K_UNLIMITED;
    sp.has_maxdims = 1; /* contiguous with unlimited max is not allowed: keep max = dims */
    sp.maxdims[0] = 2;
    memset(&sc, 0, sizeof sc);
    sc.kind = H5K_SPACE_SCALAR;
    memset(&fv, 0, sizeof fv);
    fv.alloc_time = 1;
    fv.fill_time = 2;
    memset(&l, 0, sizeof l);
    l.version = 4;
    l.cls = H5K_LAYOUT_CONTIGUOUS;
    l.addr = prev->d_data;
    l.size = 32;
    wbuf_init(&ws);
    wbuf_init(&wt);
    wbuf_init(&wf);
    wbuf_init(&wl);
    wbuf_init(&wa);
    wbuf_init(&wat);
    wbuf_init(&was);
    CHECK(h5k_encode_dataspace(&ws, &sp, 2, &f) == 0);
    CHECK(h5k_encode_datatype(&wt, &tc, 3) == 0);
    CHECK(h5k_datatype_encoded_version(&tc, 3) == 3);
    CHECK(h5k_encode_fill(&wf, &fv, 3) == 0);
    CHECK(h5k_encode_layout(&wl, &l, &f) == 0);
    CHECK(h5k_encode_datatype(&wat, &ti, 3) == 0);
    CHECK(h5k_encode_dataspace(&was, &sc, 2, &f) == 0);
    CHECK(h5k_encode_attr(&wa, 3, "\xc3\xa9t\xc3\xa9", H5K_CSET_UTF8, wat.p, wat.len, was.p, was.len, av, 4) == 0);
    msg_bytes(&m[0], &ws, H5K_MSG_DATASPACE);
    msg_bytes(&m[1], &wt, H5K_MSG_DATATYPE);
    m[1].flags = 1;
    msg_bytes(&m[2], &wf, H5K_MSG_FILLVALUE);
    m[2].flags = 1;
    msg_bytes(&m[3], &wl, H5K_MSG_LAYOUT);
    msg_bytes(&m[4], &wa, H5K_MSG_ATTR);
    CHECK(h5k_oh_encode(img, &f, 2, 2, m, 5, 40) == 0);
    wbuf_free(&ws);
    wbuf_free(&wt);
    wbuf_free(&wf);
    wbuf_free(&wl);
    wbuf_free(&wa);
    wbuf_free(&wat);
    wbuf_free(&was);
  }
  ad->d_data = img->len;
  for (unsigned i = 0; i < 2; i++) {
    wr_le32(img, 100 + i);
    wr_le32(img, 0);
    wr_le64(img, 0x3ff8000000000000ull); /* 1.5 */
  }
  ad->eof = img->len;
}

static const char check_v2_script[] =
    "import sys, h5py, numpy as np\n"
    "f = h5py.File(sys.argv[1], 'r')\n"
    "assert list(f.keys()) == ['d', 'd2', 'e', 's\\u00e9'], list(f.keys())\n"
    "d = f['d'][()]\n"
    "assert list(d['i']) == [100, 101] and list(d['x']) == [1.5, 1.5], d\n"
    "assert f['d'].attrs['\\u00e9t\\u00e9'] == 7\n"
    "assert f.get('e', getlink=True).filename == 'other.h5'\n"
    "assert f.get('s\\u00e9', getlink=True).path == '/d'\n"
    "assert h5py.h5o.get_info(f['d'].id).rc == 2\n"
    "f.close()\n"
    "f = h5py.File(sys.argv[1], 'r+')\n"
    "for i in range(12): f.create_group('n%02d' % i)\n"
    "f.close()\n"
    "assert len(h5py.File(sys.argv[1], 'r')) == 16\n"
    "print('ok')\n";

static void test_assembled_v2(void) {
  asm_addrs a, b;
  h5k_wbuf img;
  char dir[] = "/tmp/h5k_encode_asm2_XXXXXX", path[256], cmd[600];
  FILE *fp;
  memset(&a, 0, sizeof a);
  wbuf_init(&img);
  build_v2_file(&img, &b, &a);
  build_v2_file(&img, &a, &b);
  CHECK(memcmp(&a, &b, sizeof a) == 0);
  {
    h5k_file *hf = NULL;
    uint64_t count = 0;
    CHECK(h5k_open_memory(&hf, img.p, img.len, NULL) == 0);
    if (hf) {
      CHECK(h5k_group_count(&count, hf, hf->fc.root) == 0);
      CHECK_EQ_U(count, 4);
      h5k_close(hf);
    }
  }
  if (!have_h5py() || !mkdtemp(dir)) {
    wbuf_free(&img);
    return;
  }
  snprintf(path, sizeof path, "%s/asm_v2.h5", dir);
  fp = fopen(path, "wb");
  CHECK(fp != NULL);
  if (fp) {
    fwrite(img.p, 1, img.len, fp);
    fclose(fp);
  }
  snprintf(cmd, sizeof cmd, "h5dump '%s' >/dev/null 2>&1", path);
  CHECK(system(cmd) == 0);
  CHECK(run_gen_script(dir, check_v2_script, path) == 0);
  remove_dir(dir);
  wbuf_free(&img);
}

int main(void) {
  test_real_files();
  test_assembled_v0();
  test_assembled_v2();
  return test_finish("test_encode");
}
