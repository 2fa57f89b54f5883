/* Fuzz target: datatype conversion (object/convert.h: h5k_conv, h5k_conv_native,
 * h5k_conv_reclaim) from a datatype message (spec IV.A.2.d, decoded by h5k_decode_datatype) and
 * source elements taken from the input, to a destination chosen by the first byte.
 *
 *   offset  size  field
 *   0       1     destination: 0 the native type (h5k_conv_native), 1 int8, 2 uint16, 3 int32,
 *                 4 uint64, 5 half, 6 float, 7 double, 8 the source type itself (only for
 *                 types without variable-length data or references), others: native
 *   1       2     datatype message length L
 *   3       2     source bytes N (elements = N / type size, at most MAX_ELEMS)
 *   5       L     datatype message
 *   5+L     N     source elements (file representation)
 *   5+L+N   ...   image: address 0 of a file context (sizes 8/8) in which variable-length heap
 *                 IDs are looked up (global heap collections)
 *
 * Every conversion runs twice: with no file (variable-length data must fail cleanly with
 * H5K_EINVAL) and with the file context. A successful result is read and reclaimed; a failed one
 * must leave nothing allocated (LeakSanitizer). */
#include "fuzz_util.h"
#include "object/convert.h"

#define MAX_ELEMS 4096
#define MAX_DST ((uint64_t)4 << 20)

static void run(const h5k_datatype *dt, const uint8_t *src, const h5k_datatype *st, size_t n, const h5k_fctx *f) {
  uint64_t bytes;
  uint8_t *dst;
  if (dt->size == 0 || __builtin_mul_overflow((uint64_t)n, (uint64_t)dt->size, &bytes) || bytes > MAX_DST) return;
  dst = calloc(bytes ? (size_t)bytes : 1, 1);
  if (!dst) return;
  if (h5k_conv(dst, dt, src, st, n, f) == 0) {
    fz_touch(dst, (size_t)bytes);
    h5k_conv_reclaim(dst, dt, n);
  }
  fz_touch_str(h5k_error_last());
  free(dst);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  h5k_datatype *st = NULL, *dt = NULL;
  h5k_io *io = NULL;
  h5k_fctx f;
  size_t L, N, used = 0, n, base;
  unsigned sel;
  if (size < 5) return 0;
  sel = data[0];
  L = (size_t)data[1] | (size_t)data[2] << 8;
  N = (size_t)data[3] | (size_t)data[4] << 8;
  if (L > size - 5 || N > size - 5 - L) return 0;
  base = 5 + L + N;
  io = h5k_io_open_memory(data, size);
  if (!io) return 0;
  fz_fctx_init(&f, io, size - base);
  f.base = base;
  if (h5k_decode_datatype(&st, &used, data + 5, L, &f) != 0) goto done;
  fz_check_type(st);
  if (st->size == 0) goto done;
  n = N / st->size;
  if (n > MAX_ELEMS) n = MAX_ELEMS;
  switch (sel) {
  case 1: (void)h5k_conv_make(&dt, H5K_CLASS_INTEGER, 1, 1); break;
  case 2: (void)h5k_conv_make(&dt, H5K_CLASS_INTEGER, 2, 0); break;
  case 3: (void)h5k_conv_make(&dt, H5K_CLASS_INTEGER, 4, 1); break;
  case 4: (void)h5k_conv_make(&dt, H5K_CLASS_INTEGER, 8, 0); break;
  case 5: (void)h5k_conv_make(&dt, H5K_CLASS_FLOAT, 2, 1); break;
  case 6: (void)h5k_conv_make(&dt, H5K_CLASS_FLOAT, 4, 1); break;
  case 7: (void)h5k_conv_make(&dt, H5K_CLASS_FLOAT, 8, 1); break;
  case 8:
    if (!h5k_conv_needs_reclaim(st) && st->cls != H5K_CLASS_REFERENCE) (void)h5k_datatype_copy(&dt, st);
    break;
  default:
    (void)h5k_conv_native(&dt, st);
    break;
  }
  fz_touch_str(h5k_error_last());
  if (!dt) goto done;
  fz_check_type(dt);
  run(dt, data + 5 + L, st, n, NULL);
  run(dt, data + 5 + L, st, n, &f);
done:
  h5k_datatype_free(dt);
  h5k_datatype_free(st);
  h5k_io_close(io);
  return 0;
}
