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
 *   fuzz_layout         selector + rank + length + body + image, per layout, filter pipeline,
 *                       fill value (old and new) and external file list message
 *   fuzz_chunk_index    the 80-byte header of fuzz/fuzz_chunk_index.c + image, per chunked dataset
 *   fuzz_filters        filter descriptions + the first stored chunk, per filtered dataset with
 *                       at most 3 filters
 *   fuzz_convert        destination + datatype message + up to 1 KiB of raw elements (+ image
 *                       when the type holds variable-length data), per dataset
 *   fuzz_global_heap    sizes + the first variable-length element + image, per dataset of
 *                       variable-length data
 *   fuzz_virtual        element size, rank, dims, the mapping block + the whole file, per
 *                       virtual dataset
 * "image" is the file from its base address on (after any userblock). Only files with 8-byte
 * offsets and lengths are used for the image-based targets (the fuzz targets' contexts assume 8/8).
 * Built only with -DH5KIT_FUZZ=ON; uses the library's internal headers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "api/file_impl.h"
#include "format/btree2.h"
#include "format/global_heap.h"
#include "object/dataset.h"
#include "format/messages.h"
#include "format/object_header.h"
#include "util/lookup3.h"

#define MAX_PER_FILE 6
#define MAX_OBJECTS 256

typedef struct ctx {
  const char *outdir;
  h5k_file *f;
  const uint8_t *img, *file;
  size_t img_len, file_len;
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

/* Whether a type holds variable-length data anywhere. */
static int has_vlen(const h5k_datatype *t) {
  if (!t) return 0;
  if (t->cls == H5K_CLASS_VLEN) return 1;
  for (size_t i = 0; i < t->nmembers; i++)
    if (has_vlen(t->members[i].type)) return 1;
  return t->cls != H5K_CLASS_ENUM && has_vlen(t->base);
}

typedef struct first_chunk {
  int have;
  h5k_chunk_info ci;
} first_chunk;

static int on_chunk(void *ud, const h5k_chunk_info *ci) {
  first_chunk *fc = ud;
  fc->ci = *ci;
  fc->have = 1;
  return 1;
}

/* Seeds of the read-engine targets for the dataset whose header is oh. */
static void one_dataset(const ctx *c, const h5k_ohdr *oh) {
  const h5k_fctx *f = &c->f->fc;
  h5k_read_env env;
  h5k_dset d;
  uint8_t hdr[80], *raw = NULL, *buf = NULL;
  size_t n = 0;
  memset(&env, 0, sizeof env);
  env.f = f;
  env.filters = &c->f->filters;
  env.nthreads = 1;
  if (h5k_dset_open(&d, &env, oh) != 0) return;
  /* fuzz_chunk_index */
  if (d.layout.cls == H5K_LAYOUT_CHUNKED && d.geom.rank <= 4) {
    memset(hdr, 0, sizeof hdr);
    hdr[0] = (uint8_t)d.layout.index;
    hdr[1] = (uint8_t)(d.geom.rank - 1);
    hdr[2] = (uint8_t)((d.geom.filtered ? 1 : 0) | (d.layout.flags & 3) << 1);
    hdr[3] = (uint8_t)d.esize;
    for (unsigned i = 0; i < 6; i++) hdr[4 + i] = (uint8_t)d.layout.ia_params[i];
    if (d.layout.index == H5K_CHUNK_INDEX_BTREE2) hdr[4] = (uint8_t)(d.layout.ia_params[0] / 64);
    put_le(hdr + 10, d.layout.single_size, 4);
    put_le(hdr + 14, d.layout.single_mask, 4);
    put_le(hdr + 18, d.layout.addr, 8);
    for (unsigned i = 0; i < d.geom.rank; i++) {
      put_le(hdr + 26 + 10 * i, d.geom.dims[i], 4);
      put_le(hdr + 30 + 10 * i, d.geom.maxdims[i] == H5K_UNLIMITED ? 0xFFFFFFFFu : d.geom.maxdims[i], 4);
      put_le(hdr + 34 + 10 * i, d.layout.chunk[i], 2);
    }
    if (f->so == 8 && f->sl == 8) emit(c, "fuzz_chunk_index", hdr, sizeof hdr, c->img, c->img_len);
  }
  /* fuzz_filters: the first chunk with the dataset's pipeline */
  if (d.layout.cls == H5K_LAYOUT_CHUNKED && d.pline.n >= 1 && d.pline.n <= 3) {
    first_chunk fc;
    memset(&fc, 0, sizeof fc);
    if (h5k_dset_chunk_iterate(&d, on_chunk, &fc) >= 0 && fc.have && fc.ci.size <= (1u << 20) &&
        (buf = malloc(fc.ci.size + 6 + 3 * (3 + 24 * 4))) != NULL) {
      static const unsigned ids[] = {1, 2, 3, 4, 5, 6, 32000, 32001, 32004, 32008, 32015};
      size_t pos = 6, sz = 0;
      uint32_t mask = 0;
      int ok = 1;
      buf[0] = (uint8_t)((d.pline.n - 1) | (fc.ci.filter_mask & 63) << 2);
      buf[1] = (uint8_t)d.esize;
      put_le(buf + 2, d.geom.chunk_bytes, 4);
      for (size_t i = 0; i < d.pline.n && ok; i++) {
        const h5k_filter_desc *fd = &d.pline.filters[i];
        unsigned k = 0;
        while (k < 11 && ids[k] != fd->id) k++;
        if (k == 11 || fd->ncd > 24) ok = 0;
        buf[pos] = (uint8_t)k;
        buf[pos + 1] = (uint8_t)(fd->flags & 1);
        buf[pos + 2] = (uint8_t)fd->ncd;
        pos += 3;
        for (size_t j = 0; ok && j < fd->ncd; j++, pos += 4) put_le(buf + pos, fd->cd[j], 4);
      }
      if (ok && h5k_dset_read_chunk(&sz, &mask, &d, fc.ci.offset, buf + pos, (size_t)fc.ci.size) == 0)
        emit(c, "fuzz_filters", buf, pos, buf + pos, sz);
      free(buf);
      buf = NULL;
    }
  }
  /* fuzz_convert and fuzz_global_heap: the raw elements */
  if (h5k_dset_sel_count(&(uint64_t){0}, &d, NULL) == 0) {
    uint64_t cnt = 0;
    (void)h5k_dset_sel_count(&cnt, &d, NULL);
    if (cnt * d.esize <= 4096 && (raw = malloc(cnt * d.esize + 1)) != NULL &&
        h5k_dset_read_raw(&d, NULL, raw, (size_t)(cnt * d.esize)) == 0)
      n = (size_t)cnt;
  }
  if (n) {
    int vl = has_vlen(d.type);
    size_t nb = n * d.esize > 1024 ? 1024 / d.esize * d.esize : n * d.esize;
    for (size_t i = 0; i < oh->nmsgs; i++) {
      const h5k_msg *m = &oh->msgs[i];
      uint8_t pre[5];
      if (m->type != H5K_MSG_DATATYPE || (m->flags & H5K_MSGF_SHARED) || m->size > 0xFFFF) continue;
      pre[0] = 0;
      put_le(pre + 1, m->size, 2);
      put_le(pre + 3, nb, 2);
      buf = malloc(m->size + nb + 1);
      if (buf) {
        memcpy(buf, m->data, m->size);
        memcpy(buf + m->size, raw, nb);
        /* the image is appended only for vlen data (emit takes two parts: concatenate) */
        if (vl) {
          uint8_t *all = malloc(m->size + nb + c->img_len);
          if (all) {
            memcpy(all, buf, m->size + nb);
            memcpy(all + m->size + nb, c->img, c->img_len);
            emit(c, "fuzz_convert", pre, sizeof pre, all, m->size + nb + c->img_len);
            free(all);
          }
        } else {
          emit(c, "fuzz_convert", pre, sizeof pre, buf, m->size + nb);
        }
        free(buf);
        buf = NULL;
      }
      break;
    }
    if (d.type->cls == H5K_CLASS_VLEN && d.esize == h5k_vlen_elem_size(f)) {
      uint8_t pre[1 + 16];
      pre[0] = f->so == 8 && f->sl == 8 ? 0 : f->so == 4 && f->sl == 4 ? 1 : f->so == 2 ? 2 : 3;
      memcpy(pre + 1, raw + (n > 1 ? d.esize : 0), d.esize);
      emit(c, "fuzz_global_heap", pre, 1 + d.esize, c->img, c->img_len);
    }
  }
  free(raw);
  /* fuzz_virtual: the mapping block without its checksum, and the whole file */
  if (d.layout.cls == H5K_LAYOUT_VIRTUAL && d.space.rank >= 1 && d.space.rank <= 4) {
    uint8_t *obj = NULL;
    size_t len = 0;
    if (h5k_gheap_get(&obj, &len, f, d.layout.vds_heap_addr, d.layout.vds_heap_index) == 0 && len >= 4 &&
        len - 4 <= 0xFFFF) {
      uint8_t *in = malloc(12 + len - 4);
      if (in) {
        memset(in, 0, 12);
        in[0] = (uint8_t)((d.esize - 1) % 16);
        in[1] = (uint8_t)(d.space.rank - 1);
        for (unsigned i = 0; i < d.space.rank; i++) put_le(in + 2 + 2 * i, d.space.dims[i], 2);
        put_le(in + 10, len - 4, 2);
        memcpy(in + 12, obj, len - 4);
        emit(c, "fuzz_virtual", in, 12 + len - 4, c->file, c->file_len);
        free(in);
      }
    }
    free(obj);
  }
  h5k_dset_close(&d);
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
  one_dataset(c, &oh);
  for (size_t i = 0; i < oh.nmsgs; i++) {
    const h5k_msg *m = &oh.msgs[i];
    uint8_t sel;
    /* fuzz_layout: selector (decoder + sizes), rank, body length, body, image */
    if (!(m->flags & H5K_MSGF_SHARED) && m->size <= 0xFFFF &&
        (m->type == H5K_MSG_LAYOUT || m->type == H5K_MSG_PLINE || m->type == H5K_MSG_FILLVALUE_OLD ||
         m->type == H5K_MSG_FILLVALUE || m->type == H5K_MSG_EFL)) {
      uint8_t pre[4];
      unsigned rank = 0;
      for (size_t k = 0; k < oh.nmsgs; k++) {
        h5k_dataspace sp;
        if (oh.msgs[k].type == H5K_MSG_DATASPACE && !(oh.msgs[k].flags & H5K_MSGF_SHARED) &&
            h5k_decode_dataspace(&sp, oh.msgs[k].data, oh.msgs[k].size, f) == 0)
          rank = sp.rank;
      }
      pre[0] = m->type == H5K_MSG_LAYOUT ? 0 : m->type == H5K_MSG_PLINE ? 1 : m->type == H5K_MSG_FILLVALUE_OLD ? 2
             : m->type == H5K_MSG_FILLVALUE ? 3 : 4;
      if (f->so == 4 && f->sl == 4) pre[0] |= 0x40;
      else if (f->so == 2 && f->sl == 2) pre[0] |= 0x80;
      else if (f->so == 8 && f->sl == 4) pre[0] |= 0xC0;
      pre[1] = (uint8_t)rank;
      put_le(pre + 2, m->size, 2);
      {
        uint8_t *body = malloc(m->size + (m->type == H5K_MSG_EFL ? c->img_len : 0) + 1);
        if (body) {
          memcpy(body, m->data, m->size);
          if (m->type == H5K_MSG_EFL) memcpy(body + m->size, c->img, c->img_len);
          emit(c, "fuzz_layout", pre, sizeof pre, body, m->size + (m->type == H5K_MSG_EFL ? c->img_len : 0));
          free(body);
        }
      }
    }
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
    c.file = buf;
    c.file_len = (size_t)n;
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
