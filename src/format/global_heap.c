/* Global heap collections — File Format Specification III.E "Disk Format: Level 1E - Global
 * Heap", and the heap ID layout of variable-length data (IV.A.2.d, class 9).
 *
 * Collection (L = size of lengths, H = 8 + L rounded up to a multiple of 8):
 *
 *   offset  size  field
 *   0       4     signature "GCOL"
 *   4       1     version (1)
 *   5       3     reserved
 *   8       L     collection size: bytes of the whole block, this header included
 *   8+L     ...   padding up to H
 *   H       ...   heap objects, one after another
 *
 * Heap object (header of 8 + L bytes, also rounded up to a multiple of 8):
 *
 *   0       2     heap object index (0 = the free space of the collection)
 *   2       2     reference count
 *   4       4     reserved
 *   8       L     object size: bytes of data, not counting padding
 *   ...           data, padded to a multiple of 8 bytes
 *
 * Free space (object 0) is always last; when too little room is left for an object header the
 * header is omitted and the rest of the collection is free. The spec draws both headers at their
 * natural size; the reference library rounds them up to 8 bytes, which only shows when L = 4
 * (checked in files it writes: data starts 16 bytes after each object header then).
 *
 * Variable-length element (in dataset or attribute raw data):
 *
 *   0       4     length: elements of the base type (sequence) or bytes (string)
 *   4       O     collection address (O = size of offsets)
 *   4+O     4     object index
 */
#include "format/global_heap.h"

#include <stdlib.h>
#include <string.h>

#include "util/checked.h"
#include "util/error.h"

static size_t align8(size_t n) { return (n + 7) & ~(size_t)7; }

static int cmp_obj(const void *a, const void *b) {
  uint32_t x = ((const h5k_gobj *)a)->index, y = ((const h5k_gobj *)b)->index;
  return x < y ? -1 : x > y;
}

void h5k_gcol_free(h5k_gcol *c) {
  if (!c) return;
  free(c->data);
  free(c->objs);
  c->data = NULL;
  c->objs = NULL;
  c->size = 0;
  c->nobjs = 0;
  c->addr = H5K_ADDR_UNDEF;
}

/* Walk the objects of a collection whose block is c->data[0..c->size), filling c->objs. */
static int index_objects(h5k_gcol *c, const h5k_fctx *f, size_t hdr) {
  size_t objhdr = align8(8 + (size_t)f->sl);
  size_t pos = hdr, n = 0, cap = (c->size - hdr) / objhdr + 1;
  int sorted = 1;
  h5k_cur cur;

  c->objs = malloc(cap * sizeof *c->objs);
  if (!c->objs) return h5k_err_nomem();
  while (c->size - pos >= objhdr) {
    uint32_t index;
    uint64_t size;
    size_t start, room;
    cur_init(&cur, c->data + pos, c->size - pos);
    index = rd_le16(&cur);
    cur_skip(&cur, 2 + 4); /* reference count, reserved */
    size = rd_len(&cur, f);
    if (cur.err) return corrupt("global heap collection at %llu: object header at offset %zu truncated",
                                (unsigned long long)c->addr, pos);
    if (index == 0) break; /* free space: the rest of the collection */
    start = pos + objhdr;
    room = c->size - start;
    if (size > room)
      return corrupt("global heap collection at %llu: object %u (%llu bytes at offset %zu) extends past the "
                     "collection end (%zu bytes)", (unsigned long long)c->addr, index, (unsigned long long)size,
                     start, c->size);
    if (n == cap) /* cannot happen: every object takes at least objhdr bytes */
      return corrupt("global heap collection at %llu: too many objects", (unsigned long long)c->addr);
    c->objs[n].index = index;
    c->objs[n].off = start;
    c->objs[n].size = (size_t)size;
    if (n > 0 && c->objs[n - 1].index >= index) sorted = 0;
    n++;
    /* The padding of the last object may be cut short by the collection end: stop there. */
    if (align8((size_t)size) > room) break;
    pos = start + align8((size_t)size);
  }
  c->nobjs = n;
  if (!sorted && n > 1) qsort(c->objs, n, sizeof *c->objs, cmp_obj);
  for (size_t i = 1; i < n; i++) {
    if (c->objs[i].index == c->objs[i - 1].index)
      return corrupt("global heap collection at %llu: object index %u appears twice", (unsigned long long)c->addr,
                     c->objs[i].index);
  }
  return 0;
}

int h5k_gcol_read(h5k_gcol *out, const h5k_fctx *f, uint64_t addr) {
  uint8_t head[16], sig[4];
  size_t hdr;
  h5k_cur c;
  uint64_t size;
  unsigned version;
  int rc;

  memset(out, 0, sizeof *out);
  out->addr = H5K_ADDR_UNDEF;
  if (f->sl < 1 || f->sl > 8)
    return h5k_err(H5K_EINVAL, "global heap collection at %llu: unsupported size of lengths %u",
                   (unsigned long long)addr, f->sl);
  if (!addr_defined(addr))
    return corrupt("global heap collection: undefined address");
  hdr = align8(8 + (size_t)f->sl);
  rc = fctx_read(f, addr, head, 8 + f->sl, "global heap collection header");
  if (rc < 0) return rc;
  cur_init(&c, head, 8 + (size_t)f->sl);
  rd_bytes(&c, sig, 4);
  if (memcmp(sig, "GCOL", 4) != 0)
    return corrupt("global heap collection at %llu: bad signature", (unsigned long long)addr);
  version = rd_u8(&c);
  if (version != 1)
    return corrupt("global heap collection at %llu: unknown version %u", (unsigned long long)addr, version);
  cur_skip(&c, 3); /* reserved */
  size = rd_len(&c, f);
  if (c.err) return corrupt("global heap collection at %llu: truncated header", (unsigned long long)addr);
  if (size < hdr)
    return corrupt("global heap collection at %llu: size %llu is smaller than its header", (unsigned long long)addr,
                   (unsigned long long)size);
  if (size > H5K_MAX_BLOCK)
    return h5k_err(H5K_ELIMIT, "global heap collection at %llu: size %llu exceeds the %u-byte block cap",
                   (unsigned long long)addr, (unsigned long long)size, (unsigned)H5K_MAX_BLOCK);
  if (!fctx_range_ok(f, addr, size))
    return corrupt("global heap collection at %llu: %llu bytes lie outside the file", (unsigned long long)addr,
                   (unsigned long long)size);
  rc = fctx_read_alloc(f, addr, size, &out->data, "global heap collection");
  if (rc < 0) return rc;
  out->size = (size_t)size;
  out->addr = addr;
  rc = index_objects(out, f, hdr);
  if (rc < 0) h5k_gcol_free(out);
  return rc;
}

int h5k_gcol_find(const uint8_t **p, size_t *len, const h5k_gcol *c, uint32_t index) {
  size_t lo = 0, hi = c->nobjs;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (c->objs[mid].index < index) lo = mid + 1;
    else hi = mid;
  }
  if (index == 0 || lo == c->nobjs || c->objs[lo].index != index)
    return corrupt("global heap collection at %llu: no object with index %u", (unsigned long long)c->addr, index);
  *p = c->data + c->objs[lo].off;
  *len = c->objs[lo].size;
  return 0;
}

int h5k_gheap_get(uint8_t **out, size_t *out_len, const h5k_fctx *f, uint64_t collection, uint32_t index) {
  h5k_gcol col;
  const uint8_t *p = NULL;
  size_t len = 0;
  int rc;

  *out = NULL;
  *out_len = 0;
  rc = h5k_gcol_read(&col, f, collection);
  if (rc < 0) return rc;
  rc = h5k_gcol_find(&p, &len, &col, index);
  if (rc < 0) goto done;
  if (len > 0) {
    *out = malloc(len);
    if (!*out) {
      rc = h5k_err_nomem();
      goto done;
    }
    memcpy(*out, p, len);
    *out_len = len;
  }
done:
  h5k_gcol_free(&col);
  return rc;
}

void h5k_vlen_put(uint8_t *elem, uint32_t len, uint64_t collection, uint32_t index, const h5k_fctx *f) {
  size_t at = 0;
  for (int i = 0; i < 4; i++) elem[at++] = (uint8_t)(len >> (8 * i));
  for (unsigned i = 0; i < f->so; i++) elem[at++] = (uint8_t)(collection >> (8 * i));
  for (int i = 0; i < 4; i++) elem[at++] = (uint8_t)(index >> (8 * i));
}

int h5k_vlen_parse(uint32_t *len, uint64_t *collection, uint32_t *index, const uint8_t *elem, size_t elem_size,
                   const h5k_fctx *f) {
  h5k_cur c;
  if (elem_size < h5k_vlen_elem_size(f))
    return h5k_err(H5K_EINVAL, "variable-length element of %zu bytes (needs %zu)", elem_size, h5k_vlen_elem_size(f));
  cur_init(&c, elem, elem_size);
  *len = rd_le32(&c);
  *collection = rd_addr(&c, f);
  *index = rd_le32(&c);
  if (*collection == 0 || !addr_defined(*collection)) *len = 0;
  return 0;
}
