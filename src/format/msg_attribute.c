/* Attribute message (type 0x000C). HDF5 File Format Specification 3.0, section IV.A.2.m.
 *
 *   0  version (1, 2 or 3)
 *   1  v1: reserved; v2/v3: flags (bit 0 datatype shared, bit 1 dataspace shared)
 *   2  name size (2, including the NUL terminator)
 *   4  datatype size (2)
 *   6  dataspace size (2)
 *   8  v3 only: name character set (1): 0 ASCII, 1 UTF-8
 *   .  name (NUL-terminated)        v1: padded to a multiple of 8
 *   .  datatype (or shared encoding) v1: padded to a multiple of 8
 *   .  dataspace (or shared encoding) v1: padded to a multiple of 8
 *   .  data: the rest of the message (its size follows from datatype and dataspace)
 *
 * The declared sizes exclude the v1 padding. This decoder only splits the message; the datatype
 * and dataspace are decoded by the caller once shared parts are resolved. */
#include "format/messages.h"

#include <stdlib.h>
#include <string.h>

#include "util/checked.h"
#include "util/error.h"

void h5k_attr_msg_clear(h5k_attr_msg *m) {
  if (!m) return;
  free(m->name);
  memset(m, 0, sizeof *m);
}

/* Size of a v1 field: rounded up to a multiple of 8. */
static size_t field_size(unsigned version, size_t n) { return version == 1 ? (n + 7) & ~(size_t)7 : n; }

int h5k_decode_attr(h5k_attr_msg *out, const uint8_t *p, size_t len, const h5k_fctx *f) {
  h5k_cur c;
  h5k_attr_msg r;
  unsigned flags, name_size, type_size, space_size;
  const uint8_t *name, *nul;
  (void)f;
  memset(out, 0, sizeof *out);
  memset(&r, 0, sizeof r);
  cur_init(&c, p, len);
  r.version = rd_u8(&c);
  flags = rd_u8(&c);
  name_size = rd_le16(&c);
  type_size = rd_le16(&c);
  space_size = rd_le16(&c);
  if (r.version == 3) r.charset = rd_u8(&c);
  if (c.err) return corrupt("attribute message truncated in its header (%zu bytes)", len);
  if (r.version < 1 || r.version > 3) return corrupt("attribute message: unknown version %u", r.version);
  if (r.version == 1) flags = 0; /* reserved byte in version 1 */
  if (flags & ~3u) return corrupt("attribute message: reserved flag bits set (0x%02x)", flags);
  if (r.charset > H5K_CSET_UTF8) return corrupt("attribute message: unknown name character set %u", r.charset);
  r.type_shared = (flags & 1) != 0;
  r.space_shared = (flags & 2) != 0;
  if (name_size == 0) return corrupt("attribute message: name size 0 (must include the NUL terminator)");
  if (type_size == 0 || space_size == 0)
    return corrupt("attribute message: empty %s field", type_size == 0 ? "datatype" : "dataspace");

  name = rd_ptr(&c, field_size(r.version, name_size));
  r.type_bytes = rd_ptr(&c, field_size(r.version, type_size));
  r.space_bytes = rd_ptr(&c, field_size(r.version, space_size));
  if (c.err)
    return corrupt("attribute message: name/datatype/dataspace sizes (%u, %u, %u) run past the message "
                   "end (%zu bytes)", name_size, type_size, space_size, len);
  nul = memchr(name, 0, name_size);
  if (!nul) return corrupt("attribute message: name is not NUL-terminated within its %u bytes", name_size);
  r.type_len = type_size;
  r.space_len = space_size;
  r.data_len = cur_left(&c);
  r.data = r.data_len ? rd_ptr(&c, r.data_len) : NULL;
  r.name = h5k_msg_strndup(name, (size_t)(nul - name));
  if (!r.name) return h5k_err_nomem();
  *out = r;
  return 0;
}

/* ---- encoder ------------------------------------------------------------------------------------ */
int h5k_encode_attr(h5k_wbuf *w, unsigned version, const char *name, unsigned charset, const uint8_t *type_bytes,
                    size_t type_len, const uint8_t *space_bytes, size_t space_len, const uint8_t *data,
                    size_t data_len) {
  return h5k_encode_attr_flags(w, version, 0, name, charset, type_bytes, type_len, space_bytes, space_len, data,
                               data_len);
}

int h5k_encode_attr_flags(h5k_wbuf *w, unsigned version, unsigned flags, const char *name, unsigned charset,
                          const uint8_t *type_bytes, size_t type_len, const uint8_t *space_bytes, size_t space_len,
                          const uint8_t *data, size_t data_len) {
  size_t name_size;
  if (flags && version < 2) return h5k_err(H5K_EINVAL, "encode attribute: shared parts need version 2");
  if (!w || !name || !type_bytes || !space_bytes || (data_len && !data))
    return h5k_err(H5K_EINVAL, "encode attribute: NULL argument");
  if (version < 1 || version > 3) return h5k_err(H5K_EINVAL, "encode attribute: version %u", version);
  if (charset > H5K_CSET_UTF8 || (version < 3 && charset != H5K_CSET_ASCII))
    return h5k_err(H5K_EINVAL, "encode attribute \"%s\": character set %u needs version 3", name, charset);
  name_size = strlen(name) + 1;
  if (name_size > 0xffff || type_len == 0 || type_len > 0xffff || space_len == 0 || space_len > 0xffff)
    return h5k_err(H5K_EINVAL, "encode attribute \"%s\": name, datatype or dataspace size out of range", name);
  wr_u8(w, version);
  wr_u8(w, flags); /* v1 reserved; v2/v3 flags: bit 0 datatype shared, bit 1 dataspace shared */
  wr_le16(w, name_size);
  wr_le16(w, type_len);
  wr_le16(w, space_len);
  if (version == 3) wr_u8(w, charset);
  wr_bytes(w, name, name_size);
  if (version == 1) wr_zero(w, field_size(1, name_size) - name_size);
  wr_bytes(w, type_bytes, type_len);
  if (version == 1) wr_zero(w, field_size(1, type_len) - type_len);
  wr_bytes(w, space_bytes, space_len);
  if (version == 1) wr_zero(w, field_size(1, space_len) - space_len);
  wr_bytes(w, data, data_len);
  return wbuf_status(w);
}
