/* Extensible arrays — HDF5 File Format Specification 3.0, section "Extensible Array" (header,
 * index block, secondary (super) blocks, data blocks; used by the chunk index of layout message
 * version 4, index type 4). (O = size of offsets, L = size of lengths, E = element size,
 * A = array offset size = ceil(max bits / 8).)
 *
 * Header "EAHD"                         Index block "EAIB"
 *   0  4  signature                       0  4  signature
 *   4  1  version (0)                     4  1  version (0)
 *   5  1  client ID (0/1: unfiltered /    5  1  client ID
 *         filtered chunks)                6  O  header address
 *   6  1  element size E                  .     index block elements (idx elements x E)
 *   7  1  max bits                        .     data block addresses (2 x (min pointers - 1) x O)
 *   8  1  index block elements            .     super block addresses ((nsblks - 2 log2(min
 *   9  1  data block min elements (m)               pointers)) x O)
 *  10  1  super block min pointers        .  4  checksum
 *  11  1  data block page bits
 *  12  6L statistics: super blocks (count, bytes), data blocks (count, bytes), max index set,
 *         elements realised
 *  ..  O  index block address
 *  ..  4  checksum
 *
 * Super block "EASB"                    Data block "EADB"
 *   0  4  signature                       0  4  signature
 *   4  1  version (0)                     4  1  version (0)
 *   5  1  client ID                       5  1  client ID
 *   6  O  header address                  6  O  header address
 *   .  A  block offset                    .  A  block offset (first element, not counting the
 *   .     page bitmap, when its data                 index block's)
 *         blocks are paged: ndblks x      .     elements (n x E), unless paged
 *         ceil(npages / 8) bytes          .  4  checksum
 *         holding one bit array: page p of
 *         data block d is bit d x npages + p
 *   .     data block addresses (ndblks x O)
 *   .  4  checksum
 * A paged data block (n > 2^page bits) is followed by n / 2^page bits pages, each of 2^page
 * bits elements and a 4-byte checksum. Page bit p is (byte p/8) & (0x80 >> p%8).
 *
 * Levels ("super blocks") s = 0, 1, ..., nsblks - 1 with nsblks = 1 + max bits - log2(m): level
 * s has 2^floor(s/2) data blocks of 2^ceil(s/2) x m elements. The first 2 log2(min pointers)
 * levels' data blocks are addressed by the index block; each later level has a super block.
 * Element i (i >= index block elements; j = i - index block elements) is in level
 * floor(log2(j / m + 1)).
 */
#include "format/extensible_array.h"

#include <stdlib.h>
#include <string.h>

#include "util/checked.h"
#include "util/error.h"

static unsigned log2_of(uint64_t v) {
  unsigned r = 0;
  while (v >>= 1) r++;
  return r;
}

int h5k_earray_read_header(h5k_earray_hdr *out, const h5k_fctx *f, uint64_t addr) {
  uint8_t buf[12 + 6 * 8 + 8 + 4];
  size_t len = 12 + 6 * (size_t)f->sl + f->so + 4;
  h5k_cur c;
  uint8_t sig[4];
  unsigned version, lm;
  uint64_t start = 0, start_dblk = 0;
  h5k_earray_hdr h;
  memset(out, 0, sizeof *out);
  memset(&h, 0, sizeof h);
  TRY(fctx_read(f, addr, buf, len, "extensible array header"));
  cur_init(&c, buf, len);
  rd_bytes(&c, sig, 4);
  if (memcmp(sig, "EAHD", 4) != 0)
    return corrupt("extensible array header at address %llu: bad signature", (unsigned long long)addr);
  version = rd_u8(&c);
  if (version != 0)
    return corrupt("extensible array header at address %llu: unknown version %u", (unsigned long long)addr, version);
  TRY(fctx_check_sum(buf, len, "extensible array header", addr));
  h.addr = addr;
  h.client_id = rd_u8(&c);
  h.elem_size = rd_u8(&c);
  h.max_bits = rd_u8(&c);
  h.idx_blk_elmts = rd_u8(&c);
  h.dblk_min_elmts = rd_u8(&c);
  h.sblk_min_ptrs = rd_u8(&c);
  h.page_bits = rd_u8(&c);
  cur_skip(&c, 4 * (size_t)f->sl); /* super/data block counts and sizes: statistics only */
  h.max_idx_set = rd_len(&c, f);
  (void)rd_len(&c, f);             /* elements realised */
  h.iblk_addr = rd_addr(&c, f);
  if (c.err) return corrupt("extensible array header at address %llu truncated", (unsigned long long)addr);
  if (h.client_id > 1)
    return corrupt("extensible array header at address %llu: unknown client ID %u", (unsigned long long)addr,
                   h.client_id);
  if (h.elem_size == 0 || h.max_bits == 0 || h.max_bits > 63 || h.dblk_min_elmts == 0 ||
      (h.dblk_min_elmts & (h.dblk_min_elmts - 1)) || h.sblk_min_ptrs == 0 ||
      (h.sblk_min_ptrs & (h.sblk_min_ptrs - 1)) || h.page_bits == 0 || h.page_bits > 32 ||
      log2_of(h.dblk_min_elmts) > h.max_bits)
    return corrupt("extensible array header at address %llu: bad parameters (element size %u, max bits %u, data "
                   "block min elements %u, super block min pointers %u, page bits %u)",
                   (unsigned long long)addr, h.elem_size, h.max_bits, h.dblk_min_elmts, h.sblk_min_ptrs, h.page_bits);
  lm = log2_of(h.dblk_min_elmts);
  h.nsblks = 1 + h.max_bits - lm;
  h.iblk_nsblks = 2 * log2_of(h.sblk_min_ptrs);
  if (h.nsblks > H5K_EA_MAX_SBLKS || h.iblk_nsblks > h.nsblks)
    return corrupt("extensible array header at address %llu: %u levels, %u in the index block",
                   (unsigned long long)addr, h.nsblks, h.iblk_nsblks);
  h.ndblk_addrs = 2 * (h.sblk_min_ptrs - 1);
  h.nsblk_addrs = h.nsblks - h.iblk_nsblks;
  h.arr_off_size = (h.max_bits + 7) / 8;
  /* Level s holds 2^s x m elements, so every quantity below is at most 2^max_bits < 2^63. */
  for (unsigned s = 0; s < h.nsblks; s++) {
    h.sblk_ndblks[s] = UINT64_C(1) << (s / 2);
    h.sblk_dblk_n[s] = (UINT64_C(1) << ((s + 1) / 2)) * h.dblk_min_elmts;
    h.sblk_start[s] = start;
    h.sblk_start_dblk[s] = start_dblk;
    start += h.sblk_ndblks[s] * h.sblk_dblk_n[s];
    start_dblk += h.sblk_ndblks[s];
  }
  if (addr_defined(h.iblk_addr) && !fctx_range_ok(f, h.iblk_addr, 1))
    return corrupt("extensible array header at address %llu: index block address %llu outside the file",
                   (unsigned long long)addr, (unsigned long long)h.iblk_addr);
  *out = h;
  return 0;
}

/* Read and check one block: signature, version, checksum over all of it, client ID and header
 * address as the header says. *out is malloc'd. *budget (if not NULL) is the number of bytes
 * the walk may still read. */
static int read_block(uint8_t **out, const h5k_fctx *f, const h5k_earray_hdr *h, uint64_t addr, uint64_t len,
                      const char *sig, const char *what, uint64_t *budget) {
  uint8_t *buf = NULL;
  h5k_cur c;
  uint8_t s[4];
  unsigned version, client;
  uint64_t hdr_addr;
  int rc;
  if (budget) {
    if (len > *budget)
      return corrupt("extensible array at address %llu: blocks read exceed the file size (crafted sharing?)",
                     (unsigned long long)h->addr);
    *budget -= len;
  }
  TRY(fctx_read_alloc(f, addr, len, &buf, what));
  cur_init(&c, buf, (size_t)len);
  rd_bytes(&c, s, 4);
  version = rd_u8(&c);
  client = rd_u8(&c);
  hdr_addr = rd_addr(&c, f);
  if (c.err || memcmp(s, sig, 4) != 0) {
    rc = corrupt("%s at address %llu: bad signature", what, (unsigned long long)addr);
    goto fail;
  }
  if (version != 0) {
    rc = corrupt("%s at address %llu: unknown version %u", what, (unsigned long long)addr, version);
    goto fail;
  }
  rc = fctx_check_sum(buf, (size_t)len, what, addr);
  if (rc < 0) goto fail;
  if (client != h->client_id || hdr_addr != h->addr) {
    rc = corrupt("%s at address %llu: client ID %u / header address %llu do not match the header at %llu", what,
                 (unsigned long long)addr, client, (unsigned long long)hdr_addr, (unsigned long long)h->addr);
    goto fail;
  }
  *out = buf;
  return 0;
fail:
  free(buf);
  return rc;
}

static uint64_t iblk_len(const h5k_fctx *f, const h5k_earray_hdr *h) {
  return 6 + (uint64_t)f->so + (uint64_t)h->idx_blk_elmts * h->elem_size +
         ((uint64_t)h->ndblk_addrs + h->nsblk_addrs) * f->so + 4;
}

/* Paging of the data blocks of level s. */
static int dblk_paged(const h5k_earray_hdr *h, unsigned s) { return h->sblk_dblk_n[s] > (UINT64_C(1) << h->page_bits); }
static uint64_t dblk_npages(const h5k_earray_hdr *h, unsigned s) { return h->sblk_dblk_n[s] >> h->page_bits; }

static int sblk_len(uint64_t *out, const h5k_fctx *f, const h5k_earray_hdr *h, unsigned s) {
  uint64_t bitmaps = 0, addrs, len;
  if (dblk_paged(h, s)) bitmaps = h->sblk_ndblks[s] * ((dblk_npages(h, s) + 7) / 8);
  if (ck_mul64(h->sblk_ndblks[s], f->so, &addrs) ||
      ck_add64(6 + (uint64_t)f->so + h->arr_off_size + 4, bitmaps, &len) || ck_add64(len, addrs, &len))
    return corrupt("extensible array at address %llu: super block %u size overflows", (unsigned long long)h->addr, s);
  *out = len;
  return 0;
}

/* Bytes of the data block itself (elements included unless paged) and of one page. */
static int dblk_len(uint64_t *out, uint64_t *page_len, const h5k_fctx *f, const h5k_earray_hdr *h, unsigned s) {
  uint64_t n = dblk_paged(h, s) ? 0 : h->sblk_dblk_n[s], elems;
  if (ck_mul64(n, h->elem_size, &elems) || ck_add64(elems, 6 + (uint64_t)f->so + h->arr_off_size + 4, out) ||
      ck_mul64(UINT64_C(1) << h->page_bits, h->elem_size, page_len) || ck_add64(*page_len, 4, page_len))
    return corrupt("extensible array at address %llu: data block size overflows", (unsigned long long)h->addr);
  return 0;
}

static int check_block_off(const uint8_t *buf, const h5k_fctx *f, const h5k_earray_hdr *h, uint64_t expect,
                           const char *what, uint64_t addr) {
  h5k_cur c;
  uint64_t off;
  cur_init(&c, buf + 6 + f->so, h->arr_off_size);
  off = rd_uvar(&c, h->arr_off_size);
  if (off != expect)
    return corrupt("%s at address %llu: block offset %llu, expected %llu", what, (unsigned long long)addr,
                   (unsigned long long)off, (unsigned long long)expect);
  return 0;
}

static int page_init(const uint8_t *bitmap, uint64_t p) { return (bitmap[p / 8] & (0x80u >> (p % 8))) != 0; }

/* Walk one data block of level s at addr whose first element is array index `first`.
 * bitmap: when paged, the super block's page bitmap, in which this block's pages are bits
 * bit0, bit0 + 1, ...; NULL otherwise. */
static int walk_dblk(const h5k_fctx *f, const h5k_earray_hdr *h, unsigned s, uint64_t addr, uint64_t first,
                     const uint8_t *bitmap, uint64_t bit0, uint64_t *budget, h5k_earray_cb cb, void *ud) {
  uint64_t len = 0, page_len = 0, page_n = UINT64_C(1) << h->page_bits;
  uint8_t *buf = NULL, *page = NULL;
  size_t hdr = 6 + (size_t)f->so + h->arr_off_size;
  int rc = 0;
  TRY(dblk_len(&len, &page_len, f, h, s));
  TRY(read_block(&buf, f, h, addr, len, "EADB", "extensible array data block", budget));
  /* The data block's "block offset" is not checked: for data blocks the index block addresses,
   * the reference library stores start(level) + (position among all of the index block's data
   * blocks) x block size, not the block's first element (e.g. 48 for the block of elements
   * 16..47), so it is not a reliable check. */
  if (!dblk_paged(h, s)) {
    for (uint64_t i = 0; i < h->sblk_dblk_n[s] && rc == 0; i++) rc = cb(ud, first + i, buf + hdr + i * h->elem_size);
    goto done;
  }
  for (uint64_t p = 0; p < dblk_npages(h, s) && rc == 0; p++) {
    uint64_t paddr;
    if (!page_init(bitmap, bit0 + p)) continue;
    if (ck_mul64(p, page_len, &paddr) || ck_add64(paddr, addr + len, &paddr)) {
      rc = corrupt("extensible array data block at address %llu: page address overflows", (unsigned long long)addr);
      goto done;
    }
    if (page_len > *budget) {
      rc = corrupt("extensible array at address %llu: blocks read exceed the file size", (unsigned long long)h->addr);
      goto done;
    }
    *budget -= page_len;
    rc = fctx_read_alloc(f, paddr, page_len, &page, "extensible array data block page");
    if (rc < 0) goto done;
    rc = fctx_check_sum(page, (size_t)page_len, "extensible array data block page", paddr);
    for (uint64_t i = 0; i < page_n && rc == 0; i++) rc = cb(ud, first + p * page_n + i, page + i * h->elem_size);
    free(page);
    page = NULL;
  }
done:
  free(page);
  free(buf);
  return rc;
}

int h5k_earray_iterate(const h5k_fctx *f, const h5k_earray_hdr *h, h5k_earray_cb cb, void *ud) {
  uint8_t *ib = NULL, *sb = NULL;
  uint64_t budget = f->limit;
  h5k_cur c;
  int rc = 0;
  if (!addr_defined(h->iblk_addr)) return 0;
  TRY(read_block(&ib, f, h, h->iblk_addr, iblk_len(f, h), "EAIB", "extensible array index block", &budget));
  cur_init(&c, ib, (size_t)iblk_len(f, h));
  cur_skip(&c, 6 + (size_t)f->so);
  for (unsigned i = 0; i < h->idx_blk_elmts && rc == 0; i++) rc = cb(ud, i, rd_ptr(&c, h->elem_size));
  if (rc != 0) goto done;
  /* Levels whose data blocks the index block addresses. */
  for (unsigned s = 0; s < h->iblk_nsblks && rc == 0; s++) {
    for (uint64_t d = 0; d < h->sblk_ndblks[s] && rc == 0; d++) {
      uint64_t a = rd_addr(&c, f);
      if (!addr_defined(a)) continue;
      if (dblk_paged(h, s)) {
        rc = h5k_err(H5K_EUNSUPPORTED, "extensible array at address %llu: paged data block in the index block",
                     (unsigned long long)h->addr);
        goto done;
      }
      rc = walk_dblk(f, h, s, a, h->idx_blk_elmts + h->sblk_start[s] + d * h->sblk_dblk_n[s], NULL, 0, &budget, cb, ud);
    }
  }
  /* Levels with a super block. */
  for (unsigned s = h->iblk_nsblks; s < h->nsblks && rc == 0; s++) {
    uint64_t a = rd_addr(&c, f), len = 0, bm_len = 0;
    h5k_cur sc;
    if (c.err) {
      rc = corrupt("extensible array index block at address %llu truncated", (unsigned long long)h->iblk_addr);
      goto done;
    }
    if (!addr_defined(a)) continue;
    rc = sblk_len(&len, f, h, s);
    if (rc < 0) goto done;
    rc = read_block(&sb, f, h, a, len, "EASB", "extensible array super block", &budget);
    if (rc < 0) goto done;
    rc = check_block_off(sb, f, h, h->sblk_start[s], "extensible array super block", a);
    if (rc < 0) goto done;
    if (dblk_paged(h, s)) bm_len = h->sblk_ndblks[s] * ((dblk_npages(h, s) + 7) / 8);
    cur_init(&sc, sb, (size_t)len);
    cur_skip(&sc, 6 + (size_t)f->so + h->arr_off_size + (size_t)bm_len);
    for (uint64_t d = 0; d < h->sblk_ndblks[s] && rc == 0; d++) {
      uint64_t da = rd_addr(&sc, f);
      const uint8_t *bm = bm_len ? sb + 6 + f->so + h->arr_off_size : NULL;
      if (!addr_defined(da)) continue;
      rc = walk_dblk(f, h, s, da, h->idx_blk_elmts + h->sblk_start[s] + d * h->sblk_dblk_n[s], bm,
                     d * dblk_npages(h, s), &budget, cb, ud);
    }
    free(sb);
    sb = NULL;
  }
done:
  free(sb);
  free(ib);
  return rc;
}

int h5k_earray_get(uint8_t *out, const h5k_fctx *f, const h5k_earray_hdr *h, uint64_t idx) {
  uint8_t *ib = NULL, *sb = NULL, *db = NULL;
  uint64_t j, off, d, e, daddr, len = 0, page_len = 0;
  const uint8_t *bitmap = NULL;
  unsigned s;
  h5k_cur c;
  int rc = 0;
  if (idx >> h->max_bits)
    return h5k_err(H5K_EINVAL, "extensible array at address %llu: element %llu beyond 2^%u",
                   (unsigned long long)h->addr, (unsigned long long)idx, h->max_bits);
  if (!addr_defined(h->iblk_addr))
    return h5k_err(H5K_ENOTFOUND, "extensible array at address %llu has no index block", (unsigned long long)h->addr);
  TRY(read_block(&ib, f, h, h->iblk_addr, iblk_len(f, h), "EAIB", "extensible array index block", NULL));
  cur_init(&c, ib, (size_t)iblk_len(f, h));
  cur_skip(&c, 6 + (size_t)f->so);
  if (idx < h->idx_blk_elmts) {
    cur_skip(&c, (size_t)idx * h->elem_size);
    rd_bytes(&c, out, h->elem_size);
    goto done;
  }
  j = idx - h->idx_blk_elmts;
  s = log2_of(j / h->dblk_min_elmts + 1);
  if (s >= h->nsblks) {
    rc = h5k_err(H5K_EINVAL, "extensible array at address %llu: element %llu beyond its levels",
                 (unsigned long long)h->addr, (unsigned long long)idx);
    goto done;
  }
  off = j - h->sblk_start[s];
  d = off / h->sblk_dblk_n[s];
  e = off % h->sblk_dblk_n[s];
  cur_skip(&c, (size_t)h->idx_blk_elmts * h->elem_size);
  if (s < h->iblk_nsblks) {
    cur_skip(&c, (size_t)(h->sblk_start_dblk[s] + d) * f->so);
    daddr = rd_addr(&c, f);
    if (addr_defined(daddr) && dblk_paged(h, s)) {
      rc = h5k_err(H5K_EUNSUPPORTED, "extensible array at address %llu: paged data block in the index block",
                   (unsigned long long)h->addr);
      goto done;
    }
  } else {
    uint64_t saddr, bm_len = 0;
    h5k_cur sc;
    cur_skip(&c, ((size_t)h->ndblk_addrs + (s - h->iblk_nsblks)) * f->so);
    saddr = rd_addr(&c, f);
    if (!addr_defined(saddr)) {
      rc = h5k_err(H5K_ENOTFOUND, "extensible array at address %llu: super block %u not allocated",
                   (unsigned long long)h->addr, s);
      goto done;
    }
    rc = sblk_len(&len, f, h, s);
    if (rc < 0) goto done;
    rc = read_block(&sb, f, h, saddr, len, "EASB", "extensible array super block", NULL);
    if (rc < 0) goto done;
    rc = check_block_off(sb, f, h, h->sblk_start[s], "extensible array super block", saddr);
    if (rc < 0) goto done;
    if (dblk_paged(h, s)) bm_len = h->sblk_ndblks[s] * ((dblk_npages(h, s) + 7) / 8);
    cur_init(&sc, sb, (size_t)len);
    cur_skip(&sc, 6 + (size_t)f->so + h->arr_off_size + (size_t)(bm_len + d * f->so));
    daddr = rd_addr(&sc, f);
    if (bm_len) bitmap = sb + 6 + f->so + h->arr_off_size;
  }
  if (c.err) {
    rc = corrupt("extensible array index block at address %llu truncated", (unsigned long long)h->iblk_addr);
    goto done;
  }
  if (!addr_defined(daddr)) {
    rc = h5k_err(H5K_ENOTFOUND, "extensible array at address %llu: data block for element %llu not allocated",
                 (unsigned long long)h->addr, (unsigned long long)idx);
    goto done;
  }
  rc = dblk_len(&len, &page_len, f, h, s);
  if (rc < 0) goto done;
  if (!bitmap) {
    rc = read_block(&db, f, h, daddr, len, "EADB", "extensible array data block", NULL);
    if (rc < 0) goto done;
    memcpy(out, db + 6 + f->so + h->arr_off_size + e * h->elem_size, h->elem_size);
  } else {
    uint64_t p = e >> h->page_bits, paddr;
    if (!page_init(bitmap, d * dblk_npages(h, s) + p)) {
      rc = h5k_err(H5K_ENOTFOUND, "extensible array at address %llu: page of element %llu not initialised",
                   (unsigned long long)h->addr, (unsigned long long)idx);
      goto done;
    }
    /* The data block prefix is verified too (signature, checksum, owner). */
    rc = read_block(&db, f, h, daddr, len, "EADB", "extensible array data block", NULL);
    if (rc < 0) goto done;
    free(db);
    db = NULL;
    if (ck_mul64(p, page_len, &paddr) || ck_add64(paddr, daddr + len, &paddr)) {
      rc = corrupt("extensible array data block at address %llu: page address overflows", (unsigned long long)daddr);
      goto done;
    }
    rc = fctx_read_alloc(f, paddr, page_len, &db, "extensible array data block page");
    if (rc < 0) goto done;
    rc = fctx_check_sum(db, (size_t)page_len, "extensible array data block page", paddr);
    if (rc < 0) goto done;
    memcpy(out, db + (e - (p << h->page_bits)) * h->elem_size, h->elem_size);
  }
done:
  free(db);
  free(sb);
  free(ib);
  return rc;
}
