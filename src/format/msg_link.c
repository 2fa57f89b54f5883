/* Link message (type 0x0006). HDF5 File Format Specification 3.0, section IV.A.2.g.
 * The same encoding is used for links stored densely in a group's fractal heap.
 * ("O" = size of offsets.)
 *
 *   0  version (1)
 *   1  flags: bits 0-1 width of the name length (1, 2, 4, 8 bytes)
 *             bit 2 creation order present, bit 3 link type present,
 *             bit 4 name character set present, bits 5-7 reserved
 *   .  link type (1, if bit 3; otherwise hard): 0 hard, 1 soft, 64 external, 65-255 user-defined
 *   .  creation order (8, if bit 2)
 *   .  name character set (1, if bit 4): 0 ASCII, 1 UTF-8
 *   .  name length (1/2/4/8)
 *   .  name (not NUL-terminated)
 *   .  link information:
 *        hard:          object header address (O)
 *        soft:          length (2) | path (not NUL-terminated)
 *        external:      length (2) | version<<4 | flags (1) | file name NUL | object path NUL
 *        user-defined:  length (2) | data
 */
#include "format/messages.h"

#include <stdlib.h>
#include <string.h>

#include "util/checked.h"
#include "util/error.h"

void h5k_link_msg_clear(h5k_link_msg *m) {
  if (!m) return;
  free(m->name);
  free(m->soft);
  free(m->ext_file);
  free(m->ext_path);
  memset(m, 0, sizeof *m);
}

/* External link value: version/flags byte, then two NUL-terminated strings (file, object path). */
static int decode_external(h5k_link_msg *r, const uint8_t *v, size_t n) {
  const uint8_t *nul1, *nul2;
  size_t flen, plen;
  if (n < 3) return corrupt("link \"%s\": external link value too short (%zu bytes)", r->name, n);
  if ((v[0] >> 4) != 0)
    return h5k_err(H5K_EUNSUPPORTED, "link \"%s\": external link encoding version %u is not supported",
                   r->name, v[0] >> 4);
  r->ext_flags = v[0] & 0x0f;
  nul1 = memchr(v + 1, 0, n - 1);
  if (!nul1) return corrupt("link \"%s\": external link file name is not NUL-terminated", r->name);
  flen = (size_t)(nul1 - (v + 1));
  nul2 = memchr(nul1 + 1, 0, n - 2 - flen);
  if (!nul2) return corrupt("link \"%s\": external link object path is not NUL-terminated", r->name);
  plen = (size_t)(nul2 - (nul1 + 1));
  if (flen == 0 || plen == 0) return corrupt("link \"%s\": external link with an empty file name or path", r->name);
  r->ext_file = h5k_msg_strndup(v + 1, flen);
  r->ext_path = h5k_msg_strndup(nul1 + 1, plen);
  if (!r->ext_file || !r->ext_path) return h5k_err_nomem();
  return 0;
}

int h5k_decode_link(h5k_link_msg *out, const uint8_t *p, size_t len, const h5k_fctx *f) {
  h5k_cur c;
  h5k_link_msg r;
  unsigned version, flags;
  uint64_t name_len;
  const uint8_t *name;
  int rc = 0;
  memset(out, 0, sizeof *out);
  memset(&r, 0, sizeof r);
  cur_init(&c, p, len);
  version = rd_u8(&c);
  flags = rd_u8(&c);
  if (c.err) return corrupt("link message truncated (%zu bytes)", len);
  if (version != 1) return corrupt("link message: unknown version %u", version);
  if (flags & 0xe0) return corrupt("link message: reserved flag bits set (0x%02x)", flags);
  r.type = (flags & 0x08) ? rd_u8(&c) : 0;
  if (flags & 0x04) {
    r.has_corder = 1;
    r.corder = (int64_t)rd_le64(&c);
  }
  r.charset = (flags & 0x10) ? rd_u8(&c) : H5K_CSET_ASCII;
  name_len = rd_uvar(&c, 1u << (flags & 3));
  if (c.err) return corrupt("link message truncated in its header (%zu bytes, flags 0x%02x)", len, flags);
  if (r.charset > H5K_CSET_UTF8) return corrupt("link message: unknown name character set %u", r.charset);
  if (name_len == 0) return corrupt("link message: empty link name");
  if (name_len > H5K_MAX_NAME)
    return corrupt("link message: name length %llu exceeds %d", (unsigned long long)name_len, H5K_MAX_NAME);
  if (name_len > cur_left(&c))
    return corrupt("link message: name length %llu runs past the message end (%zu bytes left)",
                   (unsigned long long)name_len, cur_left(&c));
  name = rd_ptr(&c, (size_t)name_len);
  if (memchr(name, 0, (size_t)name_len)) return corrupt("link message: name contains a NUL byte");
  r.name = h5k_msg_strndup(name, (size_t)name_len);
  if (!r.name) return h5k_err_nomem();

  if (r.type == H5K_LINK_HARD) {
    r.addr = rd_addr(&c, f);
    if (c.err) {
      rc = corrupt("link \"%s\": hard link address truncated", r.name);
      goto done;
    }
    if (!addr_defined(r.addr) || r.addr >= f->limit) {
      rc = corrupt("link \"%s\": hard link address %llu lies outside the file (end of file %llu)", r.name,
                   (unsigned long long)r.addr, (unsigned long long)f->limit);
      goto done;
    }
  } else {
    unsigned vlen = rd_le16(&c);
    const uint8_t *v = rd_ptr(&c, vlen);
    if (c.err) {
      rc = corrupt("link \"%s\": link value (type %u) runs past the message end", r.name, r.type);
      goto done;
    }
    r.addr = H5K_ADDR_UNDEF;
    if (r.type == H5K_LINK_SOFT) {
      if (vlen == 0) {
        rc = corrupt("link \"%s\": empty soft link value", r.name);
        goto done;
      }
      if (memchr(v, 0, vlen)) {
        rc = corrupt("link \"%s\": soft link value contains a NUL byte", r.name);
        goto done;
      }
      r.soft = h5k_msg_strndup(v, vlen);
      if (!r.soft) {
        rc = h5k_err_nomem();
        goto done;
      }
    } else if (r.type == H5K_LINK_EXTERNAL) {
      rc = decode_external(&r, v, vlen);
      if (rc < 0) goto done;
    }
    /* Other types (reserved 2-63, user-defined 65-255): the type is kept, the data skipped. */
  }
  *out = r;
  return 0;
done:
  h5k_link_msg_clear(&r);
  return rc;
}

/* ---- encoder ------------------------------------------------------------------------------------
 * As libhdf5 writes it: the link type byte only for non-hard links, the charset byte only for
 * non-ASCII names, the name length in the fewest of 1, 2, 4, 8 bytes. */
int h5k_encode_link(h5k_wbuf *w, const h5k_link_msg *m, const h5k_fctx *f) {
  size_t n, vlen = 0;
  unsigned flags, width_code;
  if (!w || !m || !f || !m->name) return h5k_err(H5K_EINVAL, "encode link: NULL argument");
  n = strlen(m->name);
  if (n == 0) return h5k_err(H5K_EINVAL, "encode link: empty name");
  if (m->charset > H5K_CSET_UTF8) return h5k_err(H5K_EINVAL, "encode link: character set %u", m->charset);
  if (m->type == H5K_LINK_SOFT) {
    if (!m->soft || !*m->soft) return h5k_err(H5K_EINVAL, "encode link \"%s\": empty soft link value", m->name);
    vlen = strlen(m->soft);
  } else if (m->type == H5K_LINK_EXTERNAL) {
    if (!m->ext_file || !m->ext_path || !*m->ext_file || !*m->ext_path)
      return h5k_err(H5K_EINVAL, "encode link \"%s\": external link without file or path", m->name);
    vlen = 1 + strlen(m->ext_file) + 1 + strlen(m->ext_path) + 1;
  } else if (m->type != H5K_LINK_HARD) {
    return h5k_err(H5K_EINVAL, "encode link \"%s\": link type %u cannot be written", m->name, m->type);
  }
  if (vlen > 0xffff) return h5k_err(H5K_EINVAL, "encode link \"%s\": link value of %zu bytes", m->name, vlen);
  width_code = n <= 0xff ? 0 : n <= 0xffff ? 1 : (uint64_t)n <= 0xffffffffu ? 2 : 3;
  flags = width_code | (m->has_corder ? 0x04u : 0u) | (m->type != H5K_LINK_HARD ? 0x08u : 0u) |
          (m->charset != H5K_CSET_ASCII ? 0x10u : 0u);
  wr_u8(w, 1);
  wr_u8(w, flags);
  if (flags & 0x08) wr_u8(w, m->type);
  if (flags & 0x04) wr_le64(w, (uint64_t)m->corder);
  if (flags & 0x10) wr_u8(w, m->charset);
  wr_uvar(w, n, 1u << width_code);
  wr_bytes(w, m->name, n);
  if (m->type == H5K_LINK_HARD) {
    wr_addr(w, f, m->addr);
  } else if (m->type == H5K_LINK_SOFT) {
    wr_le16(w, vlen);
    wr_bytes(w, m->soft, vlen);
  } else {
    wr_le16(w, vlen);
    wr_u8(w, m->ext_flags & 0x0f); /* version 0 in the high nibble */
    wr_bytes(w, m->ext_file, strlen(m->ext_file) + 1);
    wr_bytes(w, m->ext_path, strlen(m->ext_path) + 1);
  }
  return wbuf_status(w);
}
