/* Object header encoder — HDF5 File Format Specification 3.0, section IV.A.1.a "Version 1 Data
 * Object Header Prefix" and IV.A.1.b "Version 2 Data Object Header Prefix". One chunk only (the
 * writer gives every header a chunk large enough; continuation blocks are not produced here).
 *
 * Version 1 (messages start at +16; every message and its data 8-byte aligned)
 *   off size  field
 *   0   1     version (1)
 *   1   1     reserved (0)
 *   2   2     number of messages (NIL messages included)
 *   4   4     object reference count
 *   8   4     chunk size (bytes of message data area)
 *   12  4     padding to 8 (0)
 *   16  ...   messages: type (2), size (2, a multiple of 8), flags (1), reserved (3), data
 *
 * Version 2
 *   0   4     "OHDR"
 *   4   1     version (2)
 *   5   1     flags: bits 0-1 chunk-0 size width (0: 1 byte, 1: 2, 2: 4, 3: 8),
 *             bit 2 attribute creation order tracked, bit 3 indexed,
 *             bit 4 attribute phase change values stored, bit 5 times stored
 *   6   16    [bit 5] access, modification, change, birth times (4 each)
 *   .   4     [bit 4] max compact (2), min dense (2)
 *   .   1-8   chunk-0 size (message bytes: excludes prefix and checksum)
 *   .   ...   messages: type (1), size (2), flags (1), [bit 2] creation order (2), data;
 *             a tail shorter than a message header is a gap (zeros)
 *   .   4     checksum: lookup3 over everything before it
 */
#include "format/encode.h"

#include <string.h>

#include "format/messages.h"
#include "util/error.h"
#include "util/lookup3.h"

static int encode_v1(h5k_wbuf *w, uint32_t refcount, const h5k_oh_msg *m, size_t n, size_t min_data) {
  size_t total = 0, nmsgs = n, gap;
  for (size_t i = 0; i < n; i++) {
    size_t padded = (m[i].len + 7) & ~(size_t)7;
    if (m[i].len > 0xffff - 7 || m[i].type > 0xffff || m[i].flags > 0xff || (m[i].len && !m[i].data))
      return h5k_err(H5K_EINVAL, "encode object header: message %zu (type 0x%04x, %zu bytes) cannot be written in "
                     "a version 1 header", i, m[i].type, m[i].len);
    total += 8 + padded;
  }
  min_data = (min_data + 7) & ~(size_t)7;
  gap = min_data > total ? min_data - total : 0;
  if (gap) {
    if (gap - 8 > 0xfff8) return h5k_err(H5K_EINVAL, "encode object header: reserve of %zu bytes too large", min_data);
    nmsgs++;
  }
  if (total + gap > UINT32_MAX || nmsgs > 0xffff)
    return h5k_err(H5K_EINVAL, "encode object header: %zu messages, %zu bytes", nmsgs, total + gap);
  wr_u8(w, 1);
  wr_u8(w, 0);
  wr_le16(w, nmsgs);
  wr_le32(w, refcount);
  wr_le32(w, total + gap);
  wr_zero(w, 4);
  for (size_t i = 0; i < n; i++) {
    size_t padded = (m[i].len + 7) & ~(size_t)7;
    wr_le16(w, m[i].type);
    wr_le16(w, padded);
    wr_u8(w, m[i].flags);
    wr_zero(w, 3);
    wr_bytes(w, m[i].data, m[i].len);
    wr_zero(w, padded - m[i].len);
  }
  if (gap) {
    wr_le16(w, H5K_MSG_NIL);
    wr_le16(w, gap - 8);
    wr_zero(w, 4 + gap - 8);
  }
  return wbuf_status(w);
}

static unsigned size_code(uint64_t v) { return v <= 0xff ? 0 : v <= 0xffff ? 1 : v <= 0xffffffffu ? 2 : 3; }

int h5k_oh_encode_v2(h5k_wbuf *w, const h5k_fctx *f, const h5k_oh_opts *o, uint32_t refcount, const h5k_oh_msg *m,
                     size_t n, size_t min_data) {
  static const h5k_oh_opts defaults;
  uint8_t rc_data[5];
  h5k_oh_msg rc_msg;
  int add_rc = refcount > 1;
  size_t hdr, total = 0, gap, start = w ? w->len : 0;
  unsigned flags, code;
  if (!w || !f || (n && !m)) return h5k_err(H5K_EINVAL, "encode object header: NULL argument");
  if (!o) o = &defaults;
  if (o->index_corder && !o->track_corder)
    return h5k_err(H5K_EINVAL, "encode object header: creation order indexed but not tracked");
  if (o->has_phase && (o->max_compact > 0xffff || o->min_dense > 0xffff))
    return h5k_err(H5K_EINVAL, "encode object header: attribute phase change values out of range");
  hdr = o->track_corder ? 6 : 4;
  for (size_t i = 0; i < n; i++) {
    if (m[i].len > 0xffff || m[i].type > 0xff || m[i].flags > 0xff || (m[i].len && !m[i].data))
      return h5k_err(H5K_EINVAL, "encode object header: message %zu (type 0x%04x, %zu bytes) cannot be written in "
                     "a version 2 header", i, m[i].type, m[i].len);
    if (m[i].type == H5K_MSG_REFCOUNT) add_rc = 0;
    total += hdr + m[i].len;
  }
  if (add_rc) {
    rc_data[0] = 0;
    for (unsigned k = 0; k < 4; k++) rc_data[1 + k] = (uint8_t)(refcount >> (8 * k));
    memset(&rc_msg, 0, sizeof rc_msg);
    rc_msg.type = H5K_MSG_REFCOUNT;
    rc_msg.data = rc_data;
    rc_msg.len = sizeof rc_data;
    total += hdr + rc_msg.len;
  }
  gap = min_data > total ? min_data - total : 0;
  if (gap >= hdr && gap - hdr > 0xffff) return h5k_err(H5K_EINVAL, "encode object header: reserve too large");
  code = size_code(total + gap);
  flags = code | (o->track_corder ? 0x04u : 0u) | (o->index_corder ? 0x08u : 0u) | (o->has_phase ? 0x10u : 0u) |
          (o->has_times ? 0x20u : 0u);
  wr_bytes(w, "OHDR", 4);
  wr_u8(w, 2);
  wr_u8(w, flags);
  if (o->has_times) {
    wr_le32(w, o->atime);
    wr_le32(w, o->mtime);
    wr_le32(w, o->ctime);
    wr_le32(w, o->btime);
  }
  if (o->has_phase) {
    wr_le16(w, o->max_compact);
    wr_le16(w, o->min_dense);
  }
  wr_uvar(w, total + gap, 1u << code);
  for (size_t i = 0; i <= n; i++) {
    const h5k_oh_msg *q = i < n ? &m[i] : add_rc ? &rc_msg : NULL;
    if (!q) break;
    wr_u8(w, q->type);
    wr_le16(w, q->len);
    wr_u8(w, q->flags);
    if (o->track_corder) wr_le16(w, q->corder);
    wr_bytes(w, q->data, q->len);
  }
  if (gap >= hdr) {
    wr_u8(w, H5K_MSG_NIL);
    wr_le16(w, gap - hdr);
    wr_zero(w, hdr - 3 + gap - hdr);
  } else {
    wr_zero(w, gap);
  }
  if (w->err) return H5K_ENOMEM;
  wr_le32(w, h5k_lookup3(w->p + start, w->len - start, 0));
  return wbuf_status(w);
}

int h5k_oh_encode(h5k_wbuf *w, const h5k_fctx *f, unsigned version, uint32_t refcount, const h5k_oh_msg *m,
                  size_t n, size_t min_data) {
  if (!w || !f || (n && !m)) return h5k_err(H5K_EINVAL, "encode object header: NULL argument");
  if (version == 1) return encode_v1(w, refcount, m, n, min_data);
  if (version == 2) return h5k_oh_encode_v2(w, f, NULL, refcount, m, n, min_data);
  return h5k_err(H5K_EINVAL, "encode object header: version %u", version);
}

size_t h5k_oh_size(const h5k_fctx *f, unsigned version, uint32_t refcount, const h5k_oh_msg *m, size_t n,
                   size_t min_data) {
  h5k_wbuf w;
  size_t len;
  wbuf_init(&w);
  len = h5k_oh_encode(&w, f, version, refcount, m, n, min_data) < 0 ? 0 : w.len;
  wbuf_free(&w);
  return len;
}
