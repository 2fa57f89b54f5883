/* Fractal heaps: HDF5 File Format Specification version 3.0, section III.G ("Disk Format:
 * Level 1G - Fractal Heap"). O = size of offsets, L = size of lengths.
 *
 * Header ("FRHP"):
 *   4  signature "FRHP"           1  version (0)               2  heap ID length
 *   2  I/O filters' encoded length 1  flags (bit 0: huge IDs wrapped; bit 1: direct blocks checksummed)
 *   4  maximum size of managed objects
 *   L  next huge object ID         O  v2 B-tree address of huge objects
 *   L  free space in managed blocks O address of managed block free-space manager
 *   L  managed space in heap       L  allocated managed space   L  direct block allocation iterator offset
 *   L  number of managed objects   L  size of huge objects      L  number of huge objects
 *   L  size of tiny objects        L  number of tiny objects
 *   2  table width                 L  starting block size       L  maximum direct block size
 *   2  maximum heap size (bits of a heap offset)               2  starting rows in root indirect block
 *   O  root block address          2  current rows in root indirect block (0: root is a direct block)
 *   -- only when the filters' length is nonzero:
 *   L  size of filtered root direct block   4  I/O filter mask   n  filter pipeline message
 *   4  checksum
 *
 * Direct block ("FHDB"):
 *   4 signature, 1 version (0), O heap header address, B block offset (B = ceil(max heap size / 8)),
 *   4 checksum (only with flag bit 1; lookup3 over the whole block with this field zeroed), then
 *   object data. Heap offsets count from the block's start, so objects sit after this prefix.
 *
 * Indirect block ("FHIB"):
 *   4 signature, 1 version (0), O heap header address, B block offset,
 *   K * width child direct block entries: O address [+ L filtered size + 4 filter mask, if filtered]
 *   N * width child indirect block addresses (O), 4 checksum.
 *   The root has `current rows` rows; a child indirect block in row r has
 *   log2(row block size) - log2(start size * width) + 1 rows. K = min(rows, max direct rows),
 *   N = rows - K, max direct rows = log2(max direct size) - log2(start size) + 2.
 *
 * Doubling table: rows 0 and 1 hold blocks of `start size`, row r >= 1 blocks of
 * start size * 2^(r-1); each row has `width` blocks laid out contiguously in heap address space.
 *
 * Heap ID, first byte: version (bits 6-7, 0), type (bits 4-5: 0 managed, 1 huge, 2 tiny).
 *   managed: offset (B bytes) | length (min(bytes for max direct block size, bytes for max
 *            managed object size))
 *   huge, no filters, ID long enough for O+L: address (O) | length (L)           ("directly")
 *   huge, filters, ID long enough for O+L+4+L: address | length | mask | size     ("directly")
 *   huge otherwise: key (min(ID length - 1, 8) bytes) into the huge v2 B-tree (type 1 or 2)
 *   tiny: ID length - 1 <= 16 (or exactly 17): length-1 in bits 0-3 of byte 0, data follows;
 *         longer IDs: length-1 in 12 bits, (byte0 & 0x0f) << 8 | byte1, data follows.
 */
#include "format/fractal_heap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/btree2.h"
#include "util/checked.h"
#include "util/error.h"
#include "util/lookup3.h"

#define FH_MAX_ROWS 65 /* max heap size is at most 64 bits → at most 65 rows */
#define FH_MAX_NESTING 64

struct h5k_fheap {
  const h5k_fctx *f;
  uint64_t addr;
  unsigned id_len, filter_len, flags;
  uint32_t max_man_size;
  uint64_t huge_bt2;
  unsigned width;
  uint64_t start_size, max_direct;
  unsigned max_index, root_rows;
  uint64_t root_addr;
  /* derived */
  unsigned off_size, len_size;       /* managed heap ID fields */
  unsigned first_row_bits, max_direct_rows, max_root_rows;
  uint64_t row_size[FH_MAX_ROWS];    /* block size in row r */
  uint64_t row_off[FH_MAX_ROWS];     /* offset of row r from the start of its indirect block */
  int checksum_dblocks;
  size_t dblock_prefix;              /* bytes before the first object in a direct block */
  int huge_direct;
  unsigned huge_key_size;
  unsigned tiny_extended;
  char filter_name[48];              /* first filter of a filtered heap */
};

static unsigned log2_floor(uint64_t v) { return v ? 63u - (unsigned)__builtin_clzll(v) : 0; }
static int is_pow2(uint64_t v) { return v && !(v & (v - 1)); }

/* Name the first filter of an encoded filter pipeline message (spec IV.A.2.l), best effort. */
static void name_filter(h5k_fheap *h, const uint8_t *p, size_t len) {
  static const char *const known[] = {"", "deflate", "shuffle", "fletcher32", "szip", "nbit", "scaleoffset"};
  h5k_cur c;
  unsigned version, nfilters, id;
  cur_init(&c, p, len);
  version = rd_u8(&c);
  nfilters = rd_u8(&c);
  if (version == 1) cur_skip(&c, 6);
  id = rd_le16(&c);
  if (c.err || nfilters == 0 || (version != 1 && version != 2))
    snprintf(h->filter_name, sizeof h->filter_name, "unknown filter");
  else if (id >= 1 && id <= 6)
    snprintf(h->filter_name, sizeof h->filter_name, "filter %u (%s)", id, known[id]);
  else
    snprintf(h->filter_name, sizeof h->filter_name, "filter %u", id);
}

int h5k_fheap_open(h5k_fheap **out, const h5k_fctx *f, uint64_t addr) {
  const unsigned so = f ? f->so : 0, sl = f ? f->sl : 0;
  size_t fixed = 26u + 12u * sl + 3u * so, len;
  uint8_t *buf = NULL;
  h5k_fheap *h = NULL;
  h5k_cur c;
  const uint8_t *sig;
  unsigned version, start_rows, r, dir_bits, start_bits;
  int rc;

  if (!out || !f) return h5k_err(H5K_EINVAL, "h5k_fheap_open: NULL argument");
  /* Measure: the fixed part first, then the filter information it announces. */
  rc = fctx_read_alloc(f, addr, fixed, &buf, "fractal heap header");
  if (rc < 0) return rc;
  cur_init(&c, buf, fixed);
  sig = rd_ptr(&c, 4);
  if (!sig || memcmp(sig, "FRHP", 4) != 0) {
    rc = corrupt("fractal heap header at address %llu: bad signature", (unsigned long long)addr);
    goto done;
  }
  version = rd_u8(&c);
  if (version != 0) {
    rc = corrupt("fractal heap header at address %llu: unknown version %u", (unsigned long long)addr, version);
    goto done;
  }
  h = calloc(1, sizeof *h);
  if (!h) {
    rc = h5k_err_nomem();
    goto done;
  }
  h->f = f;
  h->addr = addr;
  h->id_len = rd_le16(&c);
  h->filter_len = rd_le16(&c);
  len = fixed + (h->filter_len ? sl + 4u + h->filter_len : 0);
  if (h->filter_len) {
    free(buf);
    buf = NULL;
    rc = fctx_read_alloc(f, addr, len, &buf, "fractal heap header");
    if (rc < 0) goto done;
    cur_init(&c, buf, len);
    cur_skip(&c, 9);
  }
  rc = fctx_check_sum(buf, len, "fractal heap header", addr);
  if (rc < 0) goto done;
  h->flags = rd_u8(&c);
  h->max_man_size = rd_le32(&c);
  (void)rd_len(&c, f);            /* next huge object ID */
  h->huge_bt2 = rd_addr(&c, f);
  (void)rd_len(&c, f);            /* free space in managed blocks */
  (void)rd_addr(&c, f);           /* free-space manager */
  cur_skip(&c, 8u * sl);          /* managed/allocated/iterator/count, huge size/count, tiny size/count */
  h->width = rd_le16(&c);
  h->start_size = rd_len(&c, f);
  h->max_direct = rd_len(&c, f);
  h->max_index = rd_le16(&c);
  start_rows = rd_le16(&c);
  h->root_addr = rd_addr(&c, f);
  h->root_rows = rd_le16(&c);
  if (h->filter_len) {
    (void)rd_len(&c, f);  /* size of the filtered root direct block */
    (void)rd_le32(&c);    /* filter mask of the root direct block */
    sig = rd_ptr(&c, h->filter_len);
    if (sig) name_filter(h, sig, h->filter_len);
  }
  if (c.err) {
    rc = corrupt("fractal heap header at address %llu: truncated", (unsigned long long)addr);
    goto done;
  }

  /* Validate the doubling table (spec III.G: widths and sizes are powers of two). */
  if (!is_pow2(h->width) || !is_pow2(h->start_size) || !is_pow2(h->max_direct) ||
      h->max_direct < h->start_size || h->max_direct > H5K_MAX_BLOCK) {
    rc = corrupt("fractal heap header at address %llu: bad doubling table (width %u, start block %llu, "
                 "max direct block %llu)", (unsigned long long)addr, h->width,
                 (unsigned long long)h->start_size, (unsigned long long)h->max_direct);
    goto done;
  }
  start_bits = log2_floor(h->start_size);
  dir_bits = log2_floor(h->max_direct);
  h->first_row_bits = start_bits + log2_floor(h->width);
  if (h->max_index > 64 || h->max_index < h->first_row_bits || h->max_index < dir_bits) {
    rc = corrupt("fractal heap header at address %llu: maximum heap size of %u bits is inconsistent",
                 (unsigned long long)addr, h->max_index);
    goto done;
  }
  h->max_root_rows = h->max_index - h->first_row_bits + 1;
  h->max_direct_rows = dir_bits - start_bits + 2;
  if (h->root_rows > h->max_root_rows || start_rows > h->max_root_rows) {
    rc = corrupt("fractal heap header at address %llu: %u rows in the root indirect block, at most %u fit",
                 (unsigned long long)addr, h->root_rows > start_rows ? h->root_rows : start_rows,
                 h->max_root_rows);
    goto done;
  }
  for (r = 0; r < h->max_root_rows; r++) {
    h->row_size[r] = r == 0 ? h->start_size : h->start_size << (r - 1);
    h->row_off[r] = r == 0 ? 0 : (uint64_t)1 << (h->first_row_bits + r - 1);
  }
  h->off_size = (h->max_index + 7) / 8;
  h->len_size = bytes_for(h->max_man_size);
  if ((dir_bits + 7) / 8 < h->len_size) h->len_size = (dir_bits + 7) / 8;
  if (h->len_size == 0) h->len_size = 1;
  h->checksum_dblocks = (h->flags & 2) != 0;
  h->dblock_prefix = 5u + so + h->off_size + (h->checksum_dblocks ? 4u : 0u);
  if (h->start_size <= h->dblock_prefix) {
    rc = corrupt("fractal heap header at address %llu: starting block size %llu cannot hold a block header",
                 (unsigned long long)addr, (unsigned long long)h->start_size);
    goto done;
  }
  if (h->id_len == 0) {
    rc = corrupt("fractal heap header at address %llu: heap ID length is zero", (unsigned long long)addr);
    goto done;
  }
  /* How huge-object IDs are encoded follows from the ID length (spec III.G, "Huge objects"). */
  if (h->filter_len)
    h->huge_direct = h->id_len - 1 >= so + sl + 4u + sl;
  else
    h->huge_direct = h->id_len - 1 >= so + sl;
  h->huge_key_size = h->id_len - 1 < 8 ? h->id_len - 1 : 8;
  /* Tiny objects: 1-byte length up to 16 bytes of data (an ID of 18 bytes still uses it). */
  h->tiny_extended = h->id_len - 1 > 17;
  if (h->root_rows && !addr_defined(h->root_addr)) {
    rc = corrupt("fractal heap header at address %llu: root indirect block has rows but no address",
                 (unsigned long long)addr);
    goto done;
  }
  *out = h;
  h = NULL;
  rc = 0;
done:
  free(buf);
  free(h);
  return rc;
}

void h5k_fheap_close(h5k_fheap *h) { free(h); }

size_t h5k_fheap_id_len(const h5k_fheap *h) { return h ? h->id_len : 0; }

/* Common prefix of direct and indirect blocks: signature, version, heap address, block offset. */
static int check_block_prefix(const h5k_fheap *h, h5k_cur *c, const char *sig_want, const char *what,
                              uint64_t addr, uint64_t block_off) {
  const uint8_t *sig = rd_ptr(c, 4);
  unsigned version;
  uint64_t owner, off;
  if (!sig || memcmp(sig, sig_want, 4) != 0)
    return corrupt("%s at address %llu: bad signature", what, (unsigned long long)addr);
  version = rd_u8(c);
  if (version != 0) return corrupt("%s at address %llu: unknown version %u", what, (unsigned long long)addr, version);
  owner = rd_addr(c, h->f);
  off = rd_uvar(c, h->off_size);
  if (c->err) return corrupt("%s at address %llu: truncated", what, (unsigned long long)addr);
  if (owner != h->addr)
    return corrupt("%s at address %llu: belongs to heap %llu, not %llu", what, (unsigned long long)addr,
                   (unsigned long long)owner, (unsigned long long)h->addr);
  if (off != block_off)
    return corrupt("%s at address %llu: block offset %llu where %llu was expected", what,
                   (unsigned long long)addr, (unsigned long long)off, (unsigned long long)block_off);
  return 0;
}

/* Find the direct block holding heap offset `off`: its address, heap offset and size. */
static int locate_dblock(const h5k_fheap *h, uint64_t off, uint64_t *dblock_addr, uint64_t *dblock_off,
                         uint64_t *dblock_size) {
  const h5k_fctx *f = h->f;
  uint64_t iaddr = h->root_addr, ioff = 0;
  unsigned nrows = h->root_rows, level;
  uint8_t *buf = NULL;
  int rc = 0;

  if (h->root_rows == 0) {
    *dblock_addr = h->root_addr;
    *dblock_off = 0;
    *dblock_size = h->start_size;
    return 0;
  }
  for (level = 0; level < FH_MAX_NESTING; level++) {
    unsigned k = nrows < h->max_direct_rows ? nrows : h->max_direct_rows, n = nrows - k;
    unsigned row, col;
    uint64_t rel = off - ioff, len, entry_pos, child, child_off;
    h5k_cur c;
    const char *what = "fractal heap indirect block";

    /* 5 + O + B prefix, K*width direct entries (O each; filtered heaps are refused earlier),
     * N*width indirect entries, checksum. Bounded: rows <= 65, width <= 65535. */
    len = 5u + f->so + h->off_size + ((uint64_t)k + n) * h->width * f->so + 4u;
    rc = fctx_read_alloc(f, iaddr, len, &buf, what);
    if (rc < 0) goto done;
    cur_init(&c, buf, (size_t)len);
    rc = check_block_prefix(h, &c, "FHIB", what, iaddr, ioff);
    if (rc < 0) goto done;
    rc = fctx_check_sum(buf, (size_t)len, what, iaddr);
    if (rc < 0) goto done;

    /* Row 0 spans [0, start * width); row r >= 1 spans [2^(b+r-1), 2^(b+r)), b = first row bits. */
    if (h->first_row_bits >= 64 || rel >> h->first_row_bits == 0) row = 0;
    else row = log2_floor(rel) - h->first_row_bits + 1;
    if (row >= nrows) {
      rc = corrupt("fractal heap at address %llu: object offset %llu lies beyond indirect block %llu",
                   (unsigned long long)h->addr, (unsigned long long)off, (unsigned long long)iaddr);
      goto done;
    }
    col = (unsigned)((rel - h->row_off[row]) / h->row_size[row]);
    entry_pos = 5u + f->so + h->off_size + ((uint64_t)row * h->width + col) * f->so;
    cur_seek(&c, (size_t)entry_pos);
    child = rd_addr(&c, f);
    if (c.err) {
      rc = corrupt("%s at address %llu: truncated", what, (unsigned long long)iaddr);
      goto done;
    }
    child_off = ioff + h->row_off[row] + (uint64_t)col * h->row_size[row];
    if (!addr_defined(child)) {
      rc = corrupt("fractal heap at address %llu: object offset %llu lies in an unallocated block",
                   (unsigned long long)h->addr, (unsigned long long)off);
      goto done;
    }
    free(buf);
    buf = NULL;
    if (row < h->max_direct_rows) {
      *dblock_addr = child;
      *dblock_off = child_off;
      *dblock_size = h->row_size[row];
      return 0;
    }
    /* A child indirect block spans one row-block; its row count shrinks strictly, so the
     * descent ends; the level cap is a second guard. */
    {
      unsigned child_rows = log2_floor(h->row_size[row]) - h->first_row_bits + 1;
      if (child_rows >= nrows || child == iaddr) {
        rc = corrupt("fractal heap indirect block at address %llu: child %llu does not shrink (cycle?)",
                     (unsigned long long)iaddr, (unsigned long long)child);
        goto done;
      }
      nrows = child_rows;
    }
    iaddr = child;
    ioff = child_off;
  }
  rc = corrupt("fractal heap at address %llu: indirect blocks nested too deeply", (unsigned long long)h->addr);
done:
  free(buf);
  return rc;
}

static int get_managed(uint8_t **out, size_t *out_len, const h5k_fheap *h, h5k_cur *id) {
  const h5k_fctx *f = h->f;
  uint64_t off = rd_uvar(id, h->off_size), len = rd_uvar(id, h->len_size);
  uint64_t daddr = 0, doff = 0, dsize = 0, pos;
  uint8_t *buf = NULL, *obj = NULL;
  h5k_cur c;
  const char *what = "fractal heap direct block";
  int rc;

  if (id->err) return corrupt("fractal heap at address %llu: managed heap ID too short", (unsigned long long)h->addr);
  if (h->filter_len)
    return h5k_err(H5K_EUNSUPPORTED, "fractal heap at address %llu: filtered heaps (%s) are not supported",
                   (unsigned long long)h->addr, h->filter_name);
  if (len > h->max_man_size || (h->max_index < 64 && off >> h->max_index))
    return corrupt("fractal heap at address %llu: managed object (offset %llu, length %llu) out of range",
                   (unsigned long long)h->addr, (unsigned long long)off, (unsigned long long)len);
  if (!addr_defined(h->root_addr))
    return corrupt("fractal heap at address %llu: managed object but the heap has no blocks",
                   (unsigned long long)h->addr);
  TRY(locate_dblock(h, off, &daddr, &doff, &dsize));
  pos = off - doff;
  if (pos < h->dblock_prefix || pos > dsize || len > dsize - pos)
    return corrupt("fractal heap direct block at address %llu: object (offset %llu, length %llu) "
                   "outside the block of %llu bytes", (unsigned long long)daddr, (unsigned long long)pos,
                   (unsigned long long)len, (unsigned long long)dsize);
  /* With checksums the whole block is read to verify it; otherwise the prefix and the object. */
  rc = fctx_read_alloc(f, daddr, h->checksum_dblocks ? dsize : h->dblock_prefix, &buf, what);
  if (rc < 0) return rc;
  cur_init(&c, buf, h->checksum_dblocks ? (size_t)dsize : h->dblock_prefix);
  rc = check_block_prefix(h, &c, "FHDB", what, daddr, doff);
  if (rc < 0) goto done;
  obj = malloc(len ? (size_t)len : 1);
  if (!obj) {
    rc = h5k_err_nomem();
    goto done;
  }
  if (h->checksum_dblocks) {
    size_t sum_at = c.pos;
    uint32_t stored = rd_le32(&c), computed;
    memset(buf + sum_at, 0, 4);
    computed = h5k_lookup3(buf, (size_t)dsize, 0);
    if (stored != computed) {
      rc = corrupt("%s at address %llu: checksum mismatch (stored 0x%08x, computed 0x%08x)", what,
                   (unsigned long long)daddr, stored, computed);
      goto done;
    }
    memcpy(obj, buf + pos, (size_t)len);
  } else {
    rc = fctx_read(f, daddr + pos, obj, (size_t)len, "fractal heap object");
    if (rc < 0) goto done;
  }
  *out = obj;
  *out_len = (size_t)len;
  obj = NULL;
  rc = 0;
done:
  free(obj);
  free(buf);
  return rc;
}

/* Huge-object B-tree search (record type 1: address O | length L | ID L). */
typedef struct huge_find {
  const h5k_fheap *h;
  uint64_t key;
  uint64_t addr, len;
} huge_find;

static int huge_cmp(void *ud, const uint8_t *rec) {
  huge_find *q = ud;
  const h5k_fctx *f = q->h->f;
  uint64_t id = le_load(rec + f->so + f->sl, f->sl);
  return q->key < id ? -1 : q->key > id;
}

static int huge_found(void *ud, const uint8_t *rec, size_t rec_size) {
  huge_find *q = ud;
  const h5k_fctx *f = q->h->f;
  (void)rec_size;
  q->addr = le_load(rec, f->so);
  if (f->so < 8 && q->addr == (UINT64_C(1) << (8 * f->so)) - 1) q->addr = H5K_ADDR_UNDEF;
  q->len = le_load(rec + f->so, f->sl);
  return 1;
}

static int get_huge(uint8_t **out, size_t *out_len, const h5k_fheap *h, h5k_cur *id) {
  const h5k_fctx *f = h->f;
  uint64_t addr, len;
  uint8_t *obj = NULL;
  int rc;

  if (h->filter_len)
    return h5k_err(H5K_EUNSUPPORTED, "fractal heap at address %llu: filtered huge objects (%s) are not supported",
                   (unsigned long long)h->addr, h->filter_name);
  if (h->huge_direct) {
    addr = rd_addr(id, f);
    len = rd_len(id, f);
    if (id->err) return corrupt("fractal heap at address %llu: huge heap ID too short", (unsigned long long)h->addr);
  } else {
    huge_find q;
    h5k_bt2_hdr bh;
    memset(&q, 0, sizeof q);
    q.h = h;
    q.key = rd_uvar(id, h->huge_key_size);
    if (id->err) return corrupt("fractal heap at address %llu: huge heap ID too short", (unsigned long long)h->addr);
    if (!addr_defined(h->huge_bt2))
      return corrupt("fractal heap at address %llu: huge object %llu but no huge-object B-tree",
                     (unsigned long long)h->addr, (unsigned long long)q.key);
    TRY(h5k_bt2_read_header(&bh, f, h->huge_bt2));
    if (bh.type != H5K_BT2_HUGE_INDIRECT)
      return corrupt("fractal heap at address %llu: huge-object B-tree has record type %u, expected %u",
                     (unsigned long long)h->addr, bh.type, (unsigned)H5K_BT2_HUGE_INDIRECT);
    if (bh.rec_size < f->so + 2u * f->sl)
      return corrupt("fractal heap at address %llu: huge-object B-tree records of %u bytes are too short",
                     (unsigned long long)h->addr, (unsigned)bh.rec_size);
    rc = h5k_bt2_find(f, h->huge_bt2, H5K_BT2_HUGE_INDIRECT, huge_cmp, huge_found, &q);
    if (rc == H5K_ENOTFOUND)
      return corrupt("fractal heap at address %llu: huge object %llu missing from its B-tree",
                     (unsigned long long)h->addr, (unsigned long long)q.key);
    if (rc < 0) return rc;
    addr = q.addr;
    len = q.len;
  }
  if (!addr_defined(addr) || !fctx_range_ok(f, addr, len))
    return corrupt("fractal heap at address %llu: huge object (address %llu, length %llu) outside the file",
                   (unsigned long long)h->addr, (unsigned long long)addr, (unsigned long long)len);
  rc = fctx_read_alloc(f, addr, len, &obj, "fractal heap huge object");
  if (rc < 0) return rc;
  *out = obj;
  *out_len = (size_t)len;
  return 0;
}

static int get_tiny(uint8_t **out, size_t *out_len, const h5k_fheap *h, h5k_cur *id, unsigned byte0) {
  size_t len = (byte0 & 0x0fu);
  const uint8_t *data;
  uint8_t *obj;
  if (h->tiny_extended) len = (len << 8) | rd_u8(id);
  len += 1;
  data = rd_ptr(id, len);
  if (!data)
    return corrupt("fractal heap at address %llu: tiny object of %zu bytes does not fit its heap ID",
                   (unsigned long long)h->addr, len);
  obj = malloc(len);
  if (!obj) return h5k_err_nomem();
  memcpy(obj, data, len);
  *out = obj;
  *out_len = len;
  return 0;
}

int h5k_fheap_get(uint8_t **out, size_t *out_len, const h5k_fheap *h, const uint8_t *id, size_t id_len) {
  h5k_cur c;
  unsigned byte0;
  if (!out || !out_len || !h || !id || id_len == 0) return h5k_err(H5K_EINVAL, "h5k_fheap_get: bad argument");
  cur_init(&c, id, id_len);
  byte0 = rd_u8(&c);
  if ((byte0 >> 6) != 0)
    return corrupt("fractal heap at address %llu: heap ID version %u unknown", (unsigned long long)h->addr, byte0 >> 6);
  switch ((byte0 >> 4) & 3) {
  case 0: return get_managed(out, out_len, h, &c);
  case 1: return get_huge(out, out_len, h, &c);
  case 2: return get_tiny(out, out_len, h, &c, byte0);
  default:
    return corrupt("fractal heap at address %llu: heap ID of unknown type 3", (unsigned long long)h->addr);
  }
}
