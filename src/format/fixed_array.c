/* Fixed arrays — HDF5 File Format Specification 3.0, section "Fixed Array" (header and data
 * block; used by the chunk index of layout message version 4, index type 3).
 * (O = size of offsets, L = size of lengths, E = element size.)
 *
 * Header "FAHD"
 *   0     4   signature "FAHD"
 *   4     1   version (0)
 *   5     1   client ID (0: unfiltered chunk addresses, 1: filtered chunks)
 *   6     1   element size E
 *   7     1   page bits: a data block page holds 2^bits elements
 *   8     L   number of elements n
 *   8+L   O   data block address
 *   ..    4   checksum
 *
 * Data block "FADB"
 *   0     4   signature "FADB"
 *   4     1   version (0)
 *   5     1   client ID
 *   6     O   header address
 *   6+O   ..  paged (n > 2^bits): page-initialised bitmap, ceil(npages / 8) bytes, bit p of the
 *             array is (byte p/8) & (0x80 >> p%8); not paged: n elements of E bytes
 *   ..    4   checksum (over the bytes above)
 * Paged blocks are followed directly by npages = ceil(n / 2^bits) pages, each holding 2^bits
 * elements (the last one the rest) and a 4-byte checksum of its elements.
 *
 * Elements (decoded by the chunk index layer): client 0: chunk address (O); client 1: chunk
 * address (O), stored chunk size (E - O - 4 bytes), filter mask (4).
 */
#include "format/fixed_array.h"

#include <stdlib.h>
#include <string.h>

#include "util/checked.h"
#include "util/error.h"

int h5k_farray_read_header(h5k_farray_hdr *out, const h5k_fctx *f, uint64_t addr) {
  uint8_t buf[4 + 4 + 8 + 8 + 4];
  size_t len = 8 + (size_t)f->sl + f->so + 4;
  h5k_cur c;
  uint8_t sig[4];
  unsigned version;
  h5k_farray_hdr h;
  memset(out, 0, sizeof *out);
  memset(&h, 0, sizeof h);
  TRY(fctx_read(f, addr, buf, len, "fixed array header"));
  cur_init(&c, buf, len);
  rd_bytes(&c, sig, 4);
  if (memcmp(sig, "FAHD", 4) != 0)
    return corrupt("fixed array header at address %llu: bad signature", (unsigned long long)addr);
  version = rd_u8(&c);
  if (version != 0)
    return corrupt("fixed array header at address %llu: unknown version %u", (unsigned long long)addr, version);
  TRY(fctx_check_sum(buf, len, "fixed array header", addr));
  h.addr = addr;
  h.client_id = rd_u8(&c);
  h.elem_size = rd_u8(&c);
  h.page_bits = rd_u8(&c);
  h.nelmts = rd_len(&c, f);
  h.dblk_addr = rd_addr(&c, f);
  if (c.err) return corrupt("fixed array header at address %llu truncated", (unsigned long long)addr);
  if (h.client_id > 1)
    return corrupt("fixed array header at address %llu: unknown client ID %u", (unsigned long long)addr, h.client_id);
  if (h.elem_size == 0)
    return corrupt("fixed array header at address %llu: element size 0", (unsigned long long)addr);
  if (h.page_bits == 0 || h.page_bits > 32)
    return corrupt("fixed array header at address %llu: page bits %u out of range", (unsigned long long)addr,
                   h.page_bits);
  if (addr_defined(h.dblk_addr) && !fctx_range_ok(f, h.dblk_addr, 1))
    return corrupt("fixed array header at address %llu: data block address %llu outside the file",
                   (unsigned long long)addr, (unsigned long long)h.dblk_addr);
  *out = h;
  return 0;
}

/* Sizes of the data block's parts. */
typedef struct fa_geom {
  int paged;
  uint64_t page_n;     /* elements per page */
  uint64_t npages;
  uint64_t bitmap;     /* bytes of the page bitmap */
  uint64_t block_len;  /* the data block itself, checksum included */
  uint64_t page_len;   /* one full page, checksum included */
} fa_geom;

static int fa_geom_of(fa_geom *g, const h5k_fctx *f, const h5k_farray_hdr *h) {
  uint64_t prefix = 6 + (uint64_t)f->so, elems;
  memset(g, 0, sizeof *g);
  g->page_n = UINT64_C(1) << h->page_bits;
  g->paged = h->nelmts > g->page_n;
  if (g->paged) {
    g->npages = h->nelmts / g->page_n + (h->nelmts % g->page_n != 0);
    g->bitmap = (g->npages + 7) / 8;
    g->block_len = prefix + g->bitmap + 4;
    if (ck_mul64(g->page_n, h->elem_size, &elems) || ck_add64(elems, 4, &g->page_len))
      return corrupt("fixed array at address %llu: page size overflows", (unsigned long long)h->addr);
  } else {
    if (ck_mul64(h->nelmts, h->elem_size, &elems) || ck_add64(elems, prefix + 4, &g->block_len))
      return corrupt("fixed array at address %llu: data block size overflows", (unsigned long long)h->addr);
  }
  /* Everything the block and its pages occupy must be inside the file: this also bounds the
   * element count by the file size before anything is allocated. */
  {
    uint64_t total = g->block_len, pages;
    if (g->paged && (ck_mul64(g->npages - 1, g->page_len, &pages) || ck_add64(total, pages, &total)))
      return corrupt("fixed array at address %llu: data block pages overflow", (unsigned long long)h->addr);
    if (!fctx_range_ok(f, h->dblk_addr, total))
      return corrupt("fixed array at address %llu: data block at %llu (%llu elements) runs past the end of the file",
                     (unsigned long long)h->addr, (unsigned long long)h->dblk_addr, (unsigned long long)h->nelmts);
  }
  return 0;
}

/* Read and check the data block (prefix, or all of it when not paged). *out is malloc'd. */
static int fa_read_block(uint8_t **out, const h5k_fctx *f, const h5k_farray_hdr *h, const fa_geom *g) {
  uint8_t *buf = NULL;
  h5k_cur c;
  uint8_t sig[4];
  unsigned version, client;
  uint64_t hdr_addr;
  int rc;
  TRY(fctx_read_alloc(f, h->dblk_addr, g->block_len, &buf, "fixed array data block"));
  cur_init(&c, buf, (size_t)g->block_len);
  rd_bytes(&c, sig, 4);
  version = rd_u8(&c);
  client = rd_u8(&c);
  hdr_addr = rd_addr(&c, f);
  if (memcmp(sig, "FADB", 4) != 0) {
    rc = corrupt("fixed array data block at address %llu: bad signature", (unsigned long long)h->dblk_addr);
    goto fail;
  }
  if (version != 0) {
    rc = corrupt("fixed array data block at address %llu: unknown version %u", (unsigned long long)h->dblk_addr,
                 version);
    goto fail;
  }
  rc = fctx_check_sum(buf, (size_t)g->block_len, "fixed array data block", h->dblk_addr);
  if (rc < 0) goto fail;
  if (client != h->client_id || hdr_addr != h->addr) {
    rc = corrupt("fixed array data block at address %llu: client ID %u / header address %llu do not match the header "
                 "at %llu",
                 (unsigned long long)h->dblk_addr, client, (unsigned long long)hdr_addr, (unsigned long long)h->addr);
    goto fail;
  }
  *out = buf;
  return 0;
fail:
  free(buf);
  return rc;
}

/* Read and check page p; *out is malloc'd (elements then checksum), *n its element count. */
static int fa_read_page(uint8_t **out, uint64_t *n, const h5k_fctx *f, const h5k_farray_hdr *h, const fa_geom *g,
                        uint64_t p) {
  uint64_t addr = h->dblk_addr + g->block_len + p * g->page_len; /* inside the file: fa_geom_of */
  uint64_t cnt = p + 1 < g->npages ? g->page_n : h->nelmts - p * g->page_n;
  uint64_t len = cnt * h->elem_size + 4;
  int rc;
  TRY(fctx_read_alloc(f, addr, len, out, "fixed array data block page"));
  rc = fctx_check_sum(*out, (size_t)len, "fixed array data block page", addr);
  if (rc < 0) {
    free(*out);
    *out = NULL;
    return rc;
  }
  *n = cnt;
  return 0;
}

static int page_init(const uint8_t *bitmap, uint64_t p) { return (bitmap[p / 8] & (0x80u >> (p % 8))) != 0; }

int h5k_farray_iterate(const h5k_fctx *f, const h5k_farray_hdr *h, h5k_farray_cb cb, void *ud) {
  fa_geom g;
  uint8_t *blk = NULL, *page = NULL;
  size_t elems_off = 6 + (size_t)f->so;
  int rc = 0;
  if (!addr_defined(h->dblk_addr) || h->nelmts == 0) return 0;
  TRY(fa_geom_of(&g, f, h));
  TRY(fa_read_block(&blk, f, h, &g));
  if (!g.paged) {
    for (uint64_t i = 0; i < h->nelmts && rc == 0; i++) rc = cb(ud, i, blk + elems_off + i * h->elem_size);
    goto done;
  }
  for (uint64_t p = 0; p < g.npages && rc == 0; p++) {
    uint64_t n;
    if (!page_init(blk + elems_off, p)) continue;
    rc = fa_read_page(&page, &n, f, h, &g, p);
    if (rc < 0) goto done;
    for (uint64_t i = 0; i < n && rc == 0; i++) rc = cb(ud, p * g.page_n + i, page + i * h->elem_size);
    free(page);
    page = NULL;
  }
done:
  free(page);
  free(blk);
  return rc;
}

int h5k_farray_get(uint8_t *out, const h5k_fctx *f, const h5k_farray_hdr *h, uint64_t idx) {
  fa_geom g;
  uint8_t *blk = NULL, *page = NULL;
  size_t elems_off = 6 + (size_t)f->so;
  uint64_t p, n;
  int rc = 0;
  if (idx >= h->nelmts)
    return h5k_err(H5K_EINVAL, "fixed array at address %llu: element %llu out of range (%llu elements)",
                   (unsigned long long)h->addr, (unsigned long long)idx, (unsigned long long)h->nelmts);
  if (!addr_defined(h->dblk_addr))
    return h5k_err(H5K_ENOTFOUND, "fixed array at address %llu has no data block", (unsigned long long)h->addr);
  TRY(fa_geom_of(&g, f, h));
  TRY(fa_read_block(&blk, f, h, &g));
  if (!g.paged) {
    memcpy(out, blk + elems_off + idx * h->elem_size, h->elem_size);
    goto done;
  }
  p = idx / g.page_n;
  if (!page_init(blk + elems_off, p)) {
    rc = h5k_err(H5K_ENOTFOUND, "fixed array at address %llu: page %llu is not initialised",
                 (unsigned long long)h->addr, (unsigned long long)p);
    goto done;
  }
  rc = fa_read_page(&page, &n, f, h, &g, p);
  if (rc < 0) goto done;
  memcpy(out, page + (idx - p * g.page_n) * h->elem_size, h->elem_size);
done:
  free(page);
  free(blk);
  return rc;
}
