/* Local heaps — File Format Specification III.D "Disk Format: Level 1D - Local Heaps".
 *
 * Header (version 0), at the heap's address:
 *
 *   offset        size  field
 *   0             4     signature "HEAP"
 *   4             1     version (0)
 *   5             3     reserved (zero)
 *   8             L     data segment size
 *   8+L           L     offset to the head of the free list (see below)
 *   8+2L          O     address of the data segment
 *                       (O = size of offsets, L = size of lengths)
 *
 * The data segment is a separate block: it usually follows the header but may live anywhere
 * (after the heap grows it is reallocated), so it is read where the header points.
 *
 * Free-list head: the spec says "undefined address" when the list is empty; the reference
 * library writes the value 1 (an offset no 8-byte-aligned free block can have). Both mean
 * "empty"; any other value must lie inside the data segment. The free list itself is not
 * needed for reading and is not walked.
 */
#include "format/local_heap.h"

#include <stdlib.h>
#include <string.h>

#include "util/error.h"

int h5k_lheap_read(h5k_lheap *out, const h5k_fctx *f, uint64_t addr) {
  uint8_t hdr[8 + 8 + 8 + 8];
  size_t hdr_len = 8 + 2 * (size_t)f->sl + f->so;
  h5k_cur c;
  uint8_t sig[4];
  unsigned version;
  uint64_t size, free_head, data_addr, all_ones;
  uint8_t *data = NULL;
  int rc;

  out->data = NULL;
  out->size = 0;
  out->data_addr = H5K_ADDR_UNDEF;
  if (f->so < 1 || f->so > 8 || f->sl < 1 || f->sl > 8)
    return h5k_err(H5K_EINVAL, "local heap at address %llu: unsupported offset/length sizes",
                   (unsigned long long)addr);

  rc = fctx_read(f, addr, hdr, hdr_len, "local heap header");
  if (rc < 0) return rc;
  cur_init(&c, hdr, hdr_len);
  rd_bytes(&c, sig, 4);
  if (memcmp(sig, "HEAP", 4) != 0)
    return corrupt("local heap at address %llu: bad signature", (unsigned long long)addr);
  version = rd_u8(&c);
  if (version != 0)
    return corrupt("local heap at address %llu: unknown version %u", (unsigned long long)addr, version);
  cur_skip(&c, 3); /* reserved */
  size = rd_len(&c, f);
  free_head = rd_len(&c, f);
  data_addr = rd_addr(&c, f);
  if (c.err) return corrupt("local heap at address %llu: truncated header", (unsigned long long)addr);

  all_ones = f->sl >= 8 ? UINT64_MAX : (UINT64_C(1) << (8 * f->sl)) - 1;
  if (free_head != all_ones && free_head != 1 && free_head >= size)
    return corrupt("local heap at address %llu: free-list head %llu outside the data segment (%llu bytes)",
                   (unsigned long long)addr, (unsigned long long)free_head, (unsigned long long)size);
  if (!addr_defined(data_addr))
    return corrupt("local heap at address %llu: undefined data segment address", (unsigned long long)addr);
  if (!fctx_range_ok(f, data_addr, size))
    return corrupt("local heap at address %llu: data segment at %llu (%llu bytes) lies outside the file",
                   (unsigned long long)addr, (unsigned long long)data_addr, (unsigned long long)size);

  rc = fctx_read_alloc(f, data_addr, size, &data, "local heap data segment");
  if (rc < 0) return rc;
  out->data = data;
  out->size = size;
  out->data_addr = data_addr;
  return 0;
}

int h5k_lheap_string(const char **out, const h5k_lheap *h, uint64_t offset) {
  const uint8_t *start, *nul;
  if (offset >= h->size)
    return corrupt("local heap data at address %llu: string offset %llu outside the segment (%llu bytes)",
                   (unsigned long long)h->data_addr, (unsigned long long)offset, (unsigned long long)h->size);
  start = h->data + offset;
  nul = memchr(start, 0, (size_t)(h->size - offset));
  if (!nul)
    return corrupt("local heap data at address %llu: string at offset %llu is not NUL-terminated",
                   (unsigned long long)h->data_addr, (unsigned long long)offset);
  *out = (const char *)start;
  return 0;
}

void h5k_lheap_free(h5k_lheap *h) {
  if (!h) return;
  free(h->data);
  h->data = NULL;
  h->size = 0;
}
