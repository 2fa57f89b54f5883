/* Cut seed inputs for the structure-level fuzz targets out of real HDF5 files, so each fuzzer
 * starts from deep, valid structures instead of random bytes (docs/fuzzing.md).
 *
 *   extract_seeds OUTDIR FILE...
 *
 * Writes into OUTDIR/<target>/ (file names are content hashes, so reruns deduplicate):
 *   fuzz_superblock     the file image itself
 *   fuzz_object_header  address (4 bytes) + image, for up to MAX_PER_FILE headers per file
 *   fuzz_messages       selector byte + body, for every message a decoder exists for
 *   fuzz_symbol_table   B-tree address (8) + heap address (8) + image, per old-style group
 *   fuzz_dense          heap (8) + B-tree (8) + 32 ID bytes + image, per dense link/attribute
 *                       storage (name index, and creation-order index when present)
 * "image" is the file from its base address on (after any userblock). Only files with 8-byte
 * offsets and lengths are used for the image-based targets (the fuzz targets' contexts assume 8/8).
 * Built only with -DH5KIT_FUZZ=ON; uses the library's internal headers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "api/file_impl.h"
#include "format/btree2.h"
#include "format/messages.h"
#include "format/object_header.h"
#include "util/lookup3.h"

#define MAX_PER_FILE 6
#define MAX_OBJECTS 256

typedef struct ctx {
  const char *outdir;
  h5k_file *f;
  const uint8_t *img;
  size_t img_len;
  h5k_addr seen[MAX_OBJECTS];
  size_t nseen, nheaders;
} ctx;

static void put_le(uint8_t *p, uint64_t v, unsigned n) {
  for (unsigned i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* Write prefix + body as OUTDIR/target/<hash>. */
static void emit(const ctx *c, const char *target, const uint8_t *pre, size_t npre, const uint8_t *body,
                 size_t nbody) {
  char path[4096];
  uint8_t *buf = malloc(npre + nbody + 1);
  FILE *fp;
  if (!buf) return;
  if (npre) memcpy(buf, pre, npre);
  if (nbody) memcpy(buf + npre, body, nbody);
  snprintf(path, sizeof path, "%s/%s", c->outdir, target);
  mkdir(path, 0777);
  snprintf(path, sizeof path, "%s/%s/x%08x%08x", c->outdir, target,
           h5k_lookup3(buf, npre + nbody, 1), h5k_lookup3(buf, npre + nbody, 2));
  fp = fopen(path, "wb");
  if (fp) {
    fwrite(buf, 1, npre + nbody, fp);
    fclose(fp);
  }
  free(buf);
}

typedef struct first_rec {
  uint8_t id[8];
  size_t id_len;
  unsigned type;
} first_rec;

static int on_first(void *ud, const uint8_t *rec, size_t rec_size) {
  first_rec *r = ud;
  h5k_bt2_link_rec lr;
  h5k_bt2_attr_rec ar;
  if ((r->type == H5K_BT2_LINK_NAME || r->type == H5K_BT2_LINK_CORDER) &&
      h5k_bt2_decode_link_rec(&lr, r->type, rec, rec_size) == 0) {
    memcpy(r->id, lr.heap_id, H5K_BT2_LINK_HEAP_ID_LEN);
    r->id_len = H5K_BT2_LINK_HEAP_ID_LEN;
  } else if ((r->type == H5K_BT2_ATTR_NAME || r->type == H5K_BT2_ATTR_CORDER) &&
             h5k_bt2_decode_attr_rec(&ar, r->type, rec, rec_size) == 0) {
    memcpy(r->id, ar.heap_id, H5K_BT2_ATTR_HEAP_ID_LEN);
    r->id_len = H5K_BT2_ATTR_HEAP_ID_LEN;
  }
  return 1;
}

static void emit_dense(const ctx *c, uint64_t heap, uint64_t bt2) {
  uint8_t pre[48];
  h5k_bt2_hdr hdr;
  first_rec r;
  if (!addr_defined(heap) || !addr_defined(bt2)) return;
  memset(pre, 0, sizeof pre);
  memset(&r, 0, sizeof r);
  if (h5k_bt2_read_header(&hdr, &c->f->fc, bt2) == 0) {
    r.type = hdr.type;
    (void)h5k_bt2_iterate(&c->f->fc, bt2, hdr.type, on_first, &r);
  }
  put_le(pre, heap, 8);
  put_le(pre + 8, bt2, 8);
  memcpy(pre + 16, r.id, r.id_len);
  memcpy(pre + 32, r.id, r.id_len);
  emit(c, "fuzz_dense", pre, sizeof pre, c->img, c->img_len);
}

static void one_object(ctx *c, h5k_addr addr) {
  h5k_ohdr oh;
  const h5k_fctx *f = &c->f->fc;
  int full = f->so == 8 && f->sl == 8;
  for (size_t i = 0; i < c->nseen; i++)
    if (c->seen[i] == addr) return;
  if (c->nseen == MAX_OBJECTS) return;
  c->seen[c->nseen++] = addr;
  if (h5k_ohdr_read(&oh, f, addr) != 0) return;
  for (size_t i = 0; i < oh.nmsgs; i++) {
    const h5k_msg *m = &oh.msgs[i];
    uint8_t sel;
    if (m->flags & H5K_MSGF_SHARED) {
      if (m->type != H5K_MSG_DATATYPE) continue;
      sel = 0x3F;
    } else {
      switch (m->type) {
      case H5K_MSG_DATASPACE: case H5K_MSG_LINFO: case H5K_MSG_DATATYPE: case H5K_MSG_LINK:
      case H5K_MSG_GINFO: case H5K_MSG_ATTR: case H5K_MSG_MTIME_OLD: case H5K_MSG_CONT:
      case H5K_MSG_STAB: case H5K_MSG_MTIME: case H5K_MSG_AINFO:
        sel = (uint8_t)m->type;
        break;
      default:
        continue;
      }
    }
    /* sizes selector in the top two bits: 0 = 8/8, 1 = 4/4, 2 = 2/2, 3 = 8/4 */
    if (f->so == 4 && f->sl == 4) sel |= 0x40;
    else if (f->so == 2 && f->sl == 2) sel |= 0x80;
    else if (f->so == 8 && f->sl == 4) sel |= 0xC0;
    else if (!(f->so == 8 && f->sl == 8)) continue;
    emit(c, "fuzz_messages", &sel, 1, m->data, m->size);
    if (!full) continue;
    if (m->type == H5K_MSG_STAB && !(m->flags & H5K_MSGF_SHARED)) {
      h5k_stab st;
      uint8_t pre[16];
      if (h5k_decode_stab(&st, m->data, m->size, f) == 0) {
        put_le(pre, st.btree_addr, 8);
        put_le(pre + 8, st.heap_addr, 8);
        emit(c, "fuzz_symbol_table", pre, sizeof pre, c->img, c->img_len);
      }
    }
    if (m->type == H5K_MSG_LINFO || m->type == H5K_MSG_AINFO) {
      h5k_linfo li;
      int rc = m->type == H5K_MSG_LINFO ? h5k_decode_linfo(&li, m->data, m->size, f)
                                        : h5k_decode_ainfo(&li, m->data, m->size, f);
      if (rc == 0) {
        emit_dense(c, li.fheap_addr, li.name_bt2_addr);
        emit_dense(c, li.fheap_addr, li.corder_bt2_addr);
      }
    }
  }
  if (full && c->nheaders < MAX_PER_FILE) {
    uint8_t pre[4];
    put_le(pre, addr, 4);
    emit(c, "fuzz_object_header", pre, sizeof pre, c->img, c->img_len);
    c->nheaders++;
  }
  h5k_ohdr_free(&oh);
}

static int on_link(void *ud, const char *path, const h5k_link *l) {
  (void)path;
  if (l->type == H5K_LINK_HARD) one_object(ud, l->addr);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s OUTDIR FILE...\n", argv[0]);
    return 2;
  }
  for (int i = 2; i < argc; i++) {
    FILE *fp = fopen(argv[i], "rb");
    uint8_t *buf;
    long n;
    ctx c;
    memset(&c, 0, sizeof c);
    c.outdir = argv[1];
    if (!fp) continue;
    fseek(fp, 0, SEEK_END);
    n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    buf = malloc(n > 0 ? (size_t)n : 1);
    if (!buf || fread(buf, 1, (size_t)n, fp) != (size_t)n || h5k_open_memory(&c.f, buf, (size_t)n, NULL) != 0) {
      fprintf(stderr, "extract_seeds: skipping %s: %s\n", argv[i], h5k_error_last());
      fclose(fp);
      free(buf);
      continue;
    }
    fclose(fp);
    c.img = buf + c.f->fc.base;
    c.img_len = (size_t)n - c.f->fc.base;
    emit(&c, "fuzz_superblock", NULL, 0, buf, (size_t)n);
    one_object(&c, c.f->fc.root);
    (void)h5k_visit(c.f, c.f->fc.root, on_link, &c);
    h5k_close(c.f);
    free(buf);
  }
  return 0;
}
