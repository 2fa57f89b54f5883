/* Small object header messages: the message-type name table, Link Info, Attribute Info, Group
 * Info, Symbol Table, Object Header Continuation, both Modification Time messages and the Shared
 * Message encoding. HDF5 File Format Specification 3.0, section IV.A.2 (intro: "Shared Message"),
 * IV.A.2.c (Link Info), IV.A.2.k (Group Info), IV.A.2.o (old Modification Time),
 * IV.A.2.q (Continuation), IV.A.2.r (Symbol Table), IV.A.2.s (Modification Time),
 * IV.A.2.v (Attribute Info).
 * ("O" = size of offsets, "L" = size of lengths.)
 *
 * Link Info (0x0002)                       Attribute Info (0x0015)
 *   0  version (0)                           0  version (0)
 *   1  flags: bit 0 order tracked,           1  flags: bit 0 order tracked,
 *             bit 1 order indexed                      bit 1 order indexed
 *   2  max creation index (8, if bit 0)      2  max creation index (2, if bit 0)
 *   .  fractal heap address (O)              .  fractal heap address (O)
 *   .  name index v2 B-tree address (O)      .  name index v2 B-tree address (O)
 *   .  creation order v2 B-tree (O, bit 1)   .  creation order v2 B-tree (O, if bit 1)
 *
 * Group Info (0x000A)                      Symbol Table (0x0011)
 *   0  version (0)                           0  v1 B-tree address (O)
 *   1  flags: bit 0 phase change stored,     O  local heap address (O)
 *             bit 1 estimates stored       Continuation (0x0010)
 *   2  max compact (2), min dense (2)        0  address (O)
 *   .  est. entries (2), est. name len (2)   O  length (L)
 *
 * Modification Time (0x0012)               Old Modification Time (0x000E)
 *   0  version (1)                           0  "YYYYMMDDhhmmss" (14 ASCII digits, UTC)
 *   1  reserved (3)                         14  reserved (2)
 *   4  seconds since the epoch (4)
 *
 * Shared Message encoding
 *   v1: version | type | reserved (2) | reserved (4) | address (O)     (always an object header)
 *   v2: version | type | address (O)                                   (always an object header)
 *   v3: version | type | location: type 1 = 8-byte SOHM heap ID, type 2 = address (O)
 */
#include "format/messages.h"

#include <stdlib.h>
#include <string.h>

#include "util/checked.h"
#include "util/error.h"

/* One row per message type (STYLE item 7). */
static const char *const msg_names[] = {
  [H5K_MSG_NIL] = "NIL",
  [H5K_MSG_DATASPACE] = "Dataspace",
  [H5K_MSG_LINFO] = "Link Info",
  [H5K_MSG_DATATYPE] = "Datatype",
  [H5K_MSG_FILLVALUE_OLD] = "Fill Value (old)",
  [H5K_MSG_FILLVALUE] = "Fill Value",
  [H5K_MSG_LINK] = "Link",
  [H5K_MSG_EFL] = "External Data Files",
  [H5K_MSG_LAYOUT] = "Data Layout",
  [H5K_MSG_BOGUS] = "Bogus",
  [H5K_MSG_GINFO] = "Group Info",
  [H5K_MSG_PLINE] = "Filter Pipeline",
  [H5K_MSG_ATTR] = "Attribute",
  [H5K_MSG_COMMENT] = "Object Comment",
  [H5K_MSG_MTIME_OLD] = "Object Modification Time (old)",
  [H5K_MSG_SHMESG] = "Shared Message Table",
  [H5K_MSG_CONT] = "Object Header Continuation",
  [H5K_MSG_STAB] = "Symbol Table",
  [H5K_MSG_MTIME] = "Object Modification Time",
  [H5K_MSG_BTREEK] = "B-tree 'K' Values",
  [H5K_MSG_DRVINFO] = "Driver Info",
  [H5K_MSG_AINFO] = "Attribute Info",
  [H5K_MSG_REFCOUNT] = "Object Reference Count",
  [H5K_MSG_FSINFO] = "File Space Info",
};

const char *h5k_msg_name(unsigned type) {
  if (type < sizeof msg_names / sizeof msg_names[0] && msg_names[type]) return msg_names[type];
  return "unknown";
}

char *h5k_msg_strndup(const uint8_t *p, size_t n) {
  char *s;
  if (n == SIZE_MAX) return NULL;
  s = malloc(n + 1);
  if (!s) return NULL;
  if (n) memcpy(s, p, n);
  s[n] = 0;
  return s;
}

/* A defined address must point inside the file. */
static int check_addr(const h5k_fctx *f, uint64_t addr, const char *what) {
  if (addr_defined(addr) && addr >= f->limit)
    return corrupt("%s address %llu lies outside the file (end of file %llu)", what,
                   (unsigned long long)addr, (unsigned long long)f->limit);
  return 0;
}

/* Link Info and Attribute Info share a layout except for the width of the creation index. */
static int decode_index_info(h5k_linfo *out, const uint8_t *p, size_t len, const h5k_fctx *f,
                             const char *what, unsigned corder_width) {
  h5k_cur c;
  unsigned version, flags;
  h5k_linfo r;
  memset(out, 0, sizeof *out);
  memset(&r, 0, sizeof r);
  cur_init(&c, p, len);
  version = rd_u8(&c);
  flags = rd_u8(&c);
  if (c.err) return corrupt("%s message truncated (%zu bytes)", what, len);
  if (version != 0) return corrupt("%s message: unknown version %u", what, version);
  if (flags & ~3u) return corrupt("%s message: reserved flag bits set (0x%02x)", what, flags);
  r.track_corder = (flags & 1) != 0;
  r.index_corder = (flags & 2) != 0;
  if (r.track_corder) r.max_corder = (int64_t)rd_uvar(&c, corder_width);
  r.fheap_addr = rd_addr(&c, f);
  r.name_bt2_addr = rd_addr(&c, f);
  r.corder_bt2_addr = r.index_corder ? rd_addr(&c, f) : H5K_ADDR_UNDEF;
  if (c.err) return corrupt("%s message truncated (%zu bytes, flags 0x%02x)", what, len, flags);
  if (r.max_corder < 0) return corrupt("%s message: maximum creation index is negative", what);
  TRY(check_addr(f, r.fheap_addr, "fractal heap"));
  TRY(check_addr(f, r.name_bt2_addr, "name index B-tree"));
  TRY(check_addr(f, r.corder_bt2_addr, "creation order index B-tree"));
  *out = r;
  return 0;
}

int h5k_decode_linfo(h5k_linfo *out, const uint8_t *p, size_t len, const h5k_fctx *f) {
  return decode_index_info(out, p, len, f, "link info", 8);
}

int h5k_decode_ainfo(h5k_linfo *out, const uint8_t *p, size_t len, const h5k_fctx *f) {
  return decode_index_info(out, p, len, f, "attribute info", 2);
}

int h5k_decode_ginfo(h5k_ginfo *out, const uint8_t *p, size_t len, const h5k_fctx *f) {
  h5k_cur c;
  unsigned version, flags;
  h5k_ginfo r = {8, 6, 0, 4, 8, 0}; /* library defaults for absent fields (spec: 4 and 8) */
  (void)f;
  memset(out, 0, sizeof *out);
  cur_init(&c, p, len);
  version = rd_u8(&c);
  flags = rd_u8(&c);
  if (c.err) return corrupt("group info message truncated (%zu bytes)", len);
  if (version != 0) return corrupt("group info message: unknown version %u", version);
  if (flags & ~3u) return corrupt("group info message: reserved flag bits set (0x%02x)", flags);
  if (flags & 1) {
    r.has_phase = 1;
    r.max_compact = rd_le16(&c);
    r.min_dense = rd_le16(&c);
  }
  if (flags & 2) {
    r.has_est = 1;
    r.est_entries = rd_le16(&c);
    r.est_name_len = rd_le16(&c);
  }
  if (c.err) return corrupt("group info message truncated (%zu bytes, flags 0x%02x)", len, flags);
  *out = r;
  return 0;
}

int h5k_decode_stab(h5k_stab *out, const uint8_t *p, size_t len, const h5k_fctx *f) {
  h5k_cur c;
  h5k_stab r;
  memset(out, 0, sizeof *out);
  cur_init(&c, p, len);
  r.btree_addr = rd_addr(&c, f);
  r.heap_addr = rd_addr(&c, f);
  if (c.err) return corrupt("symbol table message truncated (%zu bytes, need %u)", len, 2 * f->so);
  if (!addr_defined(r.btree_addr) || !addr_defined(r.heap_addr))
    return corrupt("symbol table message: undefined B-tree or local heap address");
  TRY(check_addr(f, r.btree_addr, "symbol table B-tree"));
  TRY(check_addr(f, r.heap_addr, "symbol table local heap"));
  *out = r;
  return 0;
}

int h5k_decode_cont(h5k_cont *out, const uint8_t *p, size_t len, const h5k_fctx *f) {
  h5k_cur c;
  h5k_cont r;
  memset(out, 0, sizeof *out);
  cur_init(&c, p, len);
  r.addr = rd_addr(&c, f);
  r.len = rd_len(&c, f);
  if (c.err) return corrupt("continuation message truncated (%zu bytes, need %u)", len, f->so + f->sl);
  if (!addr_defined(r.addr)) return corrupt("continuation message: undefined address");
  if (r.len == 0) return corrupt("continuation message at %llu: zero length", (unsigned long long)r.addr);
  if (!fctx_range_ok(f, r.addr, r.len))
    return corrupt("continuation block at %llu (%llu bytes) lies outside the file (end of file %llu)",
                   (unsigned long long)r.addr, (unsigned long long)r.len, (unsigned long long)f->limit);
  *out = r;
  return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (valid for all years >= 0). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  int64_t era;
  unsigned yoe, doy, doe, mp = m > 2 ? m - 3 : m + 9; /* months counted from March */
  y -= m <= 2;
  era = y / 400;
  yoe = (unsigned)(y - era * 400);
  doy = (153 * mp + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

static int is_leap(unsigned y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int h5k_decode_mtime(int64_t *out, unsigned type, const uint8_t *p, size_t len) {
  h5k_cur c;
  cur_init(&c, p, len);
  if (type == H5K_MSG_MTIME) {
    unsigned version = rd_u8(&c);
    uint32_t secs;
    cur_skip(&c, 3);
    secs = rd_le32(&c);
    if (c.err) return corrupt("modification time message truncated (%zu bytes, need 8)", len);
    if (version != 1) return corrupt("modification time message: unknown version %u", version);
    *out = secs;
    return 0;
  }
  if (type == H5K_MSG_MTIME_OLD) {
    static const unsigned widths[6] = {4, 2, 2, 2, 2, 2};
    static const unsigned mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    unsigned v[6];
    const uint8_t *s = rd_ptr(&c, 14);
    unsigned pos = 0;
    if (!s) return corrupt("old modification time message truncated (%zu bytes, need 14)", len);
    for (unsigned i = 0; i < 6; i++) {
      v[i] = 0;
      for (unsigned k = 0; k < widths[i]; k++, pos++) {
        if (s[pos] < '0' || s[pos] > '9')
          return corrupt("old modification time message: byte %u is not a digit (0x%02x)", pos, s[pos]);
        v[i] = v[i] * 10 + (unsigned)(s[pos] - '0');
      }
    }
    if (v[1] < 1 || v[1] > 12 || v[2] < 1 ||
        v[2] > mdays[v[1] - 1] + (v[1] == 2 && is_leap(v[0])) || v[3] > 23 || v[4] > 59 || v[5] > 60)
      return corrupt("old modification time message: invalid date %.14s", (const char *)s);
    *out = days_from_civil(v[0], v[1], v[2]) * 86400 + (int64_t)v[3] * 3600 + v[4] * 60 + v[5];
    return 0;
  }
  return h5k_err(H5K_EINVAL, "message type 0x%04x is not a modification time", type);
}

int h5k_decode_shared(h5k_shared *out, const uint8_t *p, size_t len, const h5k_fctx *f) {
  h5k_cur c;
  h5k_shared r;
  memset(out, 0, sizeof *out);
  memset(&r, 0, sizeof r);
  cur_init(&c, p, len);
  r.version = rd_u8(&c);
  r.type = rd_u8(&c);
  if (c.err) return corrupt("shared message encoding truncated (%zu bytes)", len);
  r.addr = H5K_ADDR_UNDEF;
  switch (r.version) {
  case 1:
    cur_skip(&c, 6); /* reserved */
    /* fall through */
  case 2:
    /* Before version 3 the type byte is unused: the message is always in another object header. */
    r.type = H5K_SHARED_COMMITTED;
    r.addr = rd_addr(&c, f);
    break;
  case 3:
    if (r.type == H5K_SHARED_SOHM) {
      rd_bytes(&c, r.heap_id, 8);
    } else if (r.type == H5K_SHARED_COMMITTED) {
      r.addr = rd_addr(&c, f);
    } else {
      return corrupt("shared message encoding: location type %u is not a shared location", r.type);
    }
    break;
  default:
    return corrupt("shared message encoding: unknown version %u", r.version);
  }
  if (c.err) return corrupt("shared message encoding truncated (%zu bytes, version %u)", len, r.version);
  if (r.type == H5K_SHARED_COMMITTED) {
    if (!addr_defined(r.addr)) return corrupt("shared message encoding: undefined object header address");
    TRY(check_addr(f, r.addr, "shared message object header"));
  }
  *out = r;
  return 0;
}

/* ---- encoders ----------------------------------------------------------------------------------- */

static int encode_index_info(h5k_wbuf *w, const h5k_linfo *li, const h5k_fctx *f, unsigned corder_width,
                             const char *what) {
  unsigned flags;
  if (!w || !li || !f) return h5k_err(H5K_EINVAL, "encode %s: NULL argument", what);
  if (li->index_corder && !li->track_corder)
    return h5k_err(H5K_EINVAL, "encode %s: creation order indexed but not tracked", what);
  flags = (li->track_corder ? 1u : 0u) | (li->index_corder ? 2u : 0u);
  wr_u8(w, 0);
  wr_u8(w, flags);
  if (li->track_corder) wr_uvar(w, (uint64_t)li->max_corder, corder_width);
  wr_addr(w, f, li->fheap_addr);
  wr_addr(w, f, li->name_bt2_addr);
  if (li->index_corder) wr_addr(w, f, li->corder_bt2_addr);
  return wbuf_status(w);
}

int h5k_encode_linfo(h5k_wbuf *w, const h5k_linfo *li, const h5k_fctx *f) {
  return encode_index_info(w, li, f, 8, "link info");
}

int h5k_encode_ainfo(h5k_wbuf *w, const h5k_linfo *ai, const h5k_fctx *f) {
  return encode_index_info(w, ai, f, 2, "attribute info");
}

int h5k_encode_ginfo(h5k_wbuf *w, const h5k_ginfo *g) {
  if (!w || !g) return h5k_err(H5K_EINVAL, "encode group info: NULL argument");
  if ((g->has_phase && (g->max_compact > 0xffff || g->min_dense > 0xffff)) ||
      (g->has_est && (g->est_entries > 0xffff || g->est_name_len > 0xffff)))
    return h5k_err(H5K_EINVAL, "encode group info: a value exceeds 65535");
  wr_u8(w, 0);
  wr_u8(w, (g->has_phase ? 1u : 0u) | (g->has_est ? 2u : 0u));
  if (g->has_phase) {
    wr_le16(w, g->max_compact);
    wr_le16(w, g->min_dense);
  }
  if (g->has_est) {
    wr_le16(w, g->est_entries);
    wr_le16(w, g->est_name_len);
  }
  return wbuf_status(w);
}

int h5k_encode_stab(h5k_wbuf *w, const h5k_stab *s, const h5k_fctx *f) {
  if (!w || !s || !f) return h5k_err(H5K_EINVAL, "encode symbol table message: NULL argument");
  wr_addr(w, f, s->btree_addr);
  wr_addr(w, f, s->heap_addr);
  return wbuf_status(w);
}

int h5k_encode_cont(h5k_wbuf *w, const h5k_cont *c, const h5k_fctx *f) {
  if (!w || !c || !f) return h5k_err(H5K_EINVAL, "encode continuation message: NULL argument");
  wr_addr(w, f, c->addr);
  wr_len(w, f, c->len);
  return wbuf_status(w);
}

int h5k_encode_mtime(h5k_wbuf *w, int64_t seconds) {
  if (!w) return h5k_err(H5K_EINVAL, "encode modification time: NULL buffer");
  if (seconds < 0 || seconds > (int64_t)UINT32_MAX)
    return h5k_err(H5K_EINVAL, "encode modification time: %lld seconds does not fit in 32 bits", (long long)seconds);
  wr_u8(w, 1);
  wr_zero(w, 3);
  wr_le32(w, (uint64_t)seconds);
  return wbuf_status(w);
}

int h5k_encode_refcount(h5k_wbuf *w, uint32_t n) {
  if (!w) return h5k_err(H5K_EINVAL, "encode reference count: NULL buffer");
  wr_u8(w, 0);
  wr_le32(w, n);
  return wbuf_status(w);
}
