/* Global heap collection builder — HDF5 File Format Specification 3.0, section III.E "Disk
 * Format: Level 1E - Global Heap". (L = size of lengths; headers rounded up to 8 bytes as
 * libhdf5 does, i.e. 16 bytes each when L = 8.)
 *
 *   Collection                          Heap object
 *   0  4  "GCOL"                        0  2  heap object index (1..65535; 0 = free space)
 *   4  1  version (1)                   2  2  reference count (libhdf5 writes 0)
 *   5  3  reserved                      4  4  reserved
 *   8  L  collection size (whole        8  L  object size (data bytes, without padding)
 *         block, this header included)  .     data, padded to a multiple of 8
 *
 * The free-space object (index 0) comes last; its size field counts the whole free tail, its own
 * header included (checked against collections libhdf5 writes: 4096-byte collection, 96 bytes
 * used, free object size 4000). When the tail is shorter than an object header it is left as
 * zeros without a header. libhdf5 makes collections of at least 4096 bytes. */
#include "format/encode.h"

#include <string.h>

#include "util/checked.h"
#include "util/error.h"

#define GCOL_MIN 4096

/* The writer uses 8-byte lengths; headers are 8 + L rounded to 8 = 16. */
#define GCOL_HDR 16
#define GOBJ_HDR 16

static size_t align8(size_t n) { return (n + 7) & ~(size_t)7; }

size_t h5k_gcol_obj_cost(size_t size) {
  if (size > SIZE_MAX - GOBJ_HDR - 8) return SIZE_MAX;
  return GOBJ_HDR + align8(size);
}

size_t h5k_gcol_size(const size_t *sizes, size_t n, size_t min_size) {
  size_t total = GCOL_HDR;
  if (n > 0xffff || (n && !sizes)) return 0;
  for (size_t i = 0; i < n; i++) {
    size_t c = h5k_gcol_obj_cost(sizes[i]);
    if (c == SIZE_MAX || ck_addsz(total, c, &total)) return 0;
  }
  if (min_size < GCOL_MIN) min_size = GCOL_MIN;
  if (min_size > SIZE_MAX - 8) return 0;
  min_size = align8(min_size);
  return total > min_size ? total : min_size;
}

int h5k_gcol_build(h5k_wbuf *w, uint64_t base, const uint8_t *const *objs, const size_t *sizes, size_t n,
                   size_t min_size) {
  size_t size = h5k_gcol_size(sizes, n, min_size), used = GCOL_HDR, start;
  (void)base; /* a collection holds no addresses */
  if (!w || (n && !objs)) return h5k_err(H5K_EINVAL, "build global heap collection: NULL argument");
  if (size == 0) return h5k_err(H5K_EINVAL, "build global heap collection: %zu objects do not fit", n);
  start = w->len;
  wr_bytes(w, "GCOL", 4);
  wr_u8(w, 1);
  wr_zero(w, 3);
  wr_le64(w, size);
  for (size_t i = 0; i < n; i++) {
    if (sizes[i] && !objs[i]) return h5k_err(H5K_EINVAL, "build global heap collection: object %zu has no data", i);
    wr_le16(w, i + 1);
    wr_le16(w, 0);
    wr_zero(w, 4);
    wr_le64(w, sizes[i]);
    wr_bytes(w, objs[i], sizes[i]);
    wr_zero(w, align8(sizes[i]) - sizes[i]);
    used += h5k_gcol_obj_cost(sizes[i]);
  }
  if (size - used >= GOBJ_HDR) {
    wr_le16(w, 0);
    wr_le16(w, 0);
    wr_zero(w, 4);
    wr_le64(w, size - used);
    wr_zero(w, size - used - GOBJ_HDR);
  } else {
    wr_zero(w, size - used);
  }
  if (!w->err && w->len - start != size) return h5k_err(H5K_EINVAL, "build global heap collection: size mismatch");
  return wbuf_status(w);
}
