/* Bounds-checked metadata reads (see fctx.h). */
#include "format/fctx.h"

#include <stdlib.h>

#include "util/checked.h"
#include "util/error.h"
#include "util/lookup3.h"

int fctx_range_ok(const h5k_fctx *f, uint64_t addr, uint64_t len) {
  uint64_t end;
  if (!addr_defined(addr)) return 0;
  if (ck_add64(addr, len, &end)) return 0;
  return end <= f->limit;
}

int fctx_read(const h5k_fctx *f, uint64_t addr, void *buf, size_t len, const char *what) {
  if (!addr_defined(addr)) return corrupt("%s: undefined address", what);
  if (!fctx_range_ok(f, addr, len))
    return corrupt("%s at address %llu (%zu bytes) lies outside the file (end of file %llu)", what,
                   (unsigned long long)addr, len, (unsigned long long)f->limit);
  return h5k_io_read(f->io, buf, len, f->base + addr);
}

int fctx_read_alloc(const h5k_fctx *f, uint64_t addr, uint64_t len, uint8_t **out, const char *what) {
  uint8_t *buf;
  int rc;
  if (len > H5K_MAX_BLOCK) return corrupt("%s at address %llu: size %llu is implausible", what,
                                          (unsigned long long)addr, (unsigned long long)len);
  buf = malloc(len ? (size_t)len : 1);
  if (!buf) return h5k_err_nomem();
  rc = fctx_read(f, addr, buf, (size_t)len, what);
  if (rc < 0) {
    free(buf);
    return rc;
  }
  *out = buf;
  return 0;
}

int fctx_check_sum(const uint8_t *buf, size_t len, const char *what, uint64_t addr) {
  h5k_cur c;
  uint32_t stored, computed;
  if (len < 4) return corrupt("%s at address %llu: too short for a checksum", what, (unsigned long long)addr);
  cur_init(&c, buf + len - 4, 4);
  stored = rd_le32(&c);
  computed = h5k_lookup3(buf, len - 4, 0);
  if (stored != computed)
    return corrupt("%s at address %llu: checksum mismatch (stored 0x%08x, computed 0x%08x)", what,
                   (unsigned long long)addr, stored, computed);
  return 0;
}
