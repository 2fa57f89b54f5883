/* Public conversion and variable-length data API (include/h5kit.h, "conversion and variable-length
 * data"). Thin argument-checking wrappers over src/object/convert.c and src/format/global_heap.c;
 * the layouts involved are described there (spec IV.A.2.d classes 7 and 9, III.E global heap). */
#include <stdlib.h>

#include "api/file_impl.h"
#include "format/global_heap.h"
#include "object/convert.h"
#include "util/error.h"

int h5k_convert(void *dst, const h5k_datatype *dst_type, const void *src, const h5k_datatype *src_type, size_t n,
                h5k_file *f) {
  if (!dst_type || !src_type || (n && (!dst || !src)))
    return h5k_err(H5K_EINVAL, "h5k_convert: NULL argument");
  return h5k_conv(dst, dst_type, src, src_type, n, f ? &f->fc : NULL);
}

int h5k_datatype_native(h5k_datatype **out, const h5k_datatype *file_type) {
  if (!out || !file_type) return h5k_err(H5K_EINVAL, "h5k_datatype_native: NULL argument");
  return h5k_conv_native(out, file_type);
}

void h5k_reclaim(void *buf, const h5k_datatype *mem_type, size_t n) { h5k_conv_reclaim(buf, mem_type, n); }

int h5k_datatype_make(h5k_datatype **out, h5k_type_class cls, size_t size, int is_signed) {
  if (!out) return h5k_err(H5K_EINVAL, "h5k_datatype_make: NULL argument");
  return h5k_conv_make(out, cls, size, is_signed);
}

int h5k_vlen_get(uint8_t **out, size_t *out_len, h5k_file *f, const uint8_t *elem, size_t elem_size) {
  uint32_t len, index;
  uint64_t addr;
  if (!out || !out_len || !f || !elem) return h5k_err(H5K_EINVAL, "h5k_vlen_get: NULL argument");
  *out = NULL;
  *out_len = 0;
  TRY(h5k_vlen_parse(&len, &addr, &index, elem, elem_size, &f->fc));
  if (len == 0) return 0;
  return h5k_gheap_get(out, out_len, &f->fc, addr, index);
}
