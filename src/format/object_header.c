/* Object headers — HDF5 File Format Specification 3.0, section IV.A.1:
 * IV.A.1.a "Version 1 Data Object Header Prefix", IV.A.1.b "Version 2 Data Object Header Prefix",
 * and IV.A.2.p "Object Header Continuation Message" (type 0x0010).
 *
 * Version 1 prefix (at the header address; messages start at +16, 8-byte aligned):
 *   off size field
 *   0   1    version (1)
 *   1   1    reserved (0)
 *   2   2    total number of header messages (all chunks)
 *   4   4    object reference count
 *   8   4    size of chunk 0's message data
 *   12  4    reserved / alignment padding
 *   v1 message: type u16, size u16, flags u8, reserved 3 bytes, data[size] (size multiple of 8)
 *
 * Version 2 prefix:
 *   0   4    "OHDR"
 *   4   1    version (2)
 *   5   1    flags: bits 0-1 width of chunk-0 size (1,2,4,8 bytes); bit 2 attribute creation
 *            order tracked; bit 3 indexed; bit 4 attribute phase change values stored;
 *            bit 5 times stored; bits 6-7 reserved (0)
 *   6   16   [bit 5] access, modification, change, birth time (u32 seconds each)
 *   .   4    [bit 4] max compact attributes u16, min dense attributes u16
 *   .   1-8  size of chunk 0 (message bytes, excluding prefix and checksum)
 *   .        messages: type u8, size u16, flags u8, [bit 2] creation order u16, data[size];
 *            a tail shorter than one message header is a gap
 *   .   4    checksum (lookup3 over everything before it)
 *   Continuation blocks: "OCHK", messages, checksum (v2); raw v1 messages (v1).
 *
 * Continuation message data: address (size of offsets) + length (size of lengths).
 */
#include "format/object_header.h"

#include <stdlib.h>
#include <string.h>

#include "util/checked.h"
#include "util/error.h"

#define MSG_CONT 0x10
#define MSG_REFCOUNT 0x16
#define MSG_NIL 0x00

typedef struct pending {
  uint64_t addr, len;
} pending;

typedef struct builder {
  h5k_ohdr *oh;
  size_t cap_msgs, cap_chunks;
  pending *queue;
  size_t nqueue, cap_queue, head;
  uint64_t total_bytes;
} builder;

static int push_chunk(builder *b, uint8_t *buf, uint64_t addr, uint64_t len) {
  h5k_ohdr *oh = b->oh;
  if (oh->nchunks == b->cap_chunks) {
    size_t ncap = b->cap_chunks ? b->cap_chunks * 2 : 4;
    uint8_t **n = realloc(oh->chunks, ncap * sizeof *n);
    if (!n) return h5k_err_nomem();
    oh->chunks = n;
    uint64_t *e = realloc(oh->chunk_ext, 2 * ncap * sizeof *e);
    if (!e) return h5k_err_nomem();
    oh->chunk_ext = e;
    b->cap_chunks = ncap;
  }
  oh->chunk_ext[2 * oh->nchunks] = addr;
  oh->chunk_ext[2 * oh->nchunks + 1] = len;
  oh->chunks[oh->nchunks++] = buf;
  return 0;
}

static int push_msg(builder *b, const h5k_msg *m) {
  h5k_ohdr *oh = b->oh;
  if (oh->nmsgs == b->cap_msgs) {
    size_t ncap = b->cap_msgs ? b->cap_msgs * 2 : 16;
    h5k_msg *n = realloc(oh->msgs, ncap * sizeof *n);
    if (!n) return h5k_err_nomem();
    oh->msgs = n;
    b->cap_msgs = ncap;
  }
  oh->msgs[oh->nmsgs++] = *m;
  return 0;
}

static int push_cont(builder *b, const h5k_fctx *f, const h5k_msg *m) {
  h5k_cur c;
  pending p;
  cur_init(&c, m->data, m->size);
  p.addr = rd_addr(&c, f);
  p.len = rd_len(&c, f);
  if (c.err) return corrupt("object header %llu: continuation message too short", (unsigned long long)b->oh->addr);
  if (!fctx_range_ok(f, p.addr, p.len))
    return corrupt("object header %llu: continuation block at %llu (%llu bytes) lies outside the file",
                   (unsigned long long)b->oh->addr, (unsigned long long)p.addr, (unsigned long long)p.len);
  /* Chunks never overlap in a valid file, so their total cannot pass the file size: this
   * bounds the work and ends any continuation cycle. */
  if (ck_add64(b->total_bytes, p.len, &b->total_bytes) || b->total_bytes > f->limit ||
      b->nqueue >= H5K_MAX_CONTINUATIONS)
    return corrupt("object header %llu: continuation chain is cyclic or too long", (unsigned long long)b->oh->addr);
  if (b->nqueue == b->cap_queue) {
    size_t ncap = b->cap_queue ? b->cap_queue * 2 : 4;
    pending *n = realloc(b->queue, ncap * sizeof *n);
    if (!n) return h5k_err_nomem();
    b->queue = n;
    b->cap_queue = ncap;
  }
  b->queue[b->nqueue++] = p;
  return 0;
}

/* Parse the messages of one chunk (the region [start, end) of buf). */
static int parse_messages(builder *b, const h5k_fctx *f, const uint8_t *buf, size_t start, size_t end,
                          uint64_t chunk_addr) {
  h5k_ohdr *oh = b->oh;
  h5k_cur c;
  unsigned hdr_size = oh->version == 1 ? 8 : ((oh->flags & 0x04) ? 6 : 4);
  cur_init(&c, buf + start, end - start);
  while (cur_left(&c) >= hdr_size) {
    h5k_msg m;
    memset(&m, 0, sizeof m);
    if (oh->version == 1) {
      m.type = rd_le16(&c);
      m.size = rd_le16(&c);
      m.flags = rd_u8(&c);
      cur_skip(&c, 3);
    } else {
      m.type = rd_u8(&c);
      m.size = rd_le16(&c);
      m.flags = rd_u8(&c);
      if (oh->flags & 0x04) m.corder = rd_le16(&c);
    }
    if (m.size > cur_left(&c))
      return corrupt("object header %llu: message of type 0x%04x (%u bytes) at chunk %llu overruns its chunk",
                     (unsigned long long)oh->addr, m.type, (unsigned)m.size, (unsigned long long)chunk_addr);
    m.data = rd_ptr(&c, m.size);
    if (m.type == MSG_CONT) {
      TRY(push_cont(b, f, &m));
    } else if (m.type != MSG_NIL) {
      TRY(push_msg(b, &m));
    }
  }
  /* Version 1: leftovers are impossible (sizes are 8-aligned); version 2: a gap smaller than a
   * message header is allowed. */
  if (oh->version == 1 && cur_left(&c) != 0)
    return corrupt("object header %llu: %zu stray bytes at the end of chunk %llu", (unsigned long long)oh->addr,
                   cur_left(&c), (unsigned long long)chunk_addr);
  return 0;
}

static int read_prefix_v1(builder *b, const h5k_fctx *f, uint64_t addr) {
  h5k_ohdr *oh = b->oh;
  uint8_t pre[16];
  uint8_t *buf = NULL;
  h5k_cur c;
  uint64_t size;
  TRY(fctx_read(f, addr, pre, sizeof pre, "object header"));
  cur_init(&c, pre, sizeof pre);
  oh->version = rd_u8(&c);
  cur_skip(&c, 1);
  (void)rd_le16(&c); /* number of messages: informative only (null messages may be merged) */
  oh->refcount = rd_le32(&c);
  size = rd_le32(&c);
  if (!fctx_range_ok(f, addr + 16, size))
    return corrupt("object header %llu: chunk of %llu bytes passes the end of the file", (unsigned long long)addr,
                   (unsigned long long)size);
  b->total_bytes = size + 16;
  TRY(fctx_read_alloc(f, addr + 16, size, &buf, "object header chunk"));
  if (push_chunk(b, buf, addr, size + 16) < 0) {
    free(buf);
    return H5K_ENOMEM;
  }
  return parse_messages(b, f, buf, 0, (size_t)size, addr);
}

static int read_prefix_v2(builder *b, const h5k_fctx *f, uint64_t addr) {
  h5k_ohdr *oh = b->oh;
  uint8_t pre[64];
  uint8_t *buf = NULL;
  h5k_cur c;
  uint64_t size, total;
  size_t prefix_len, avail;
  /* The prefix is at most 4+1+1+16+4+8 = 34 bytes; read what the file has of 64. */
  avail = f->limit - addr < sizeof pre ? (size_t)(f->limit - addr) : sizeof pre;
  TRY(fctx_read(f, addr, pre, avail, "object header"));
  cur_init(&c, pre, avail);
  cur_skip(&c, 4); /* "OHDR", checked by the caller */
  oh->version = rd_u8(&c);
  oh->flags = rd_u8(&c);
  if (oh->version != 2)
    return corrupt("object header %llu: unknown version %u", (unsigned long long)addr, oh->version);
  if (oh->flags & 0xC0)
    return corrupt("object header %llu: reserved flag bits set (0x%02x)", (unsigned long long)addr, oh->flags);
  if (oh->flags & 0x20) {
    oh->atime = rd_le32(&c);
    oh->mtime = rd_le32(&c);
    oh->ctime = rd_le32(&c);
    oh->btime = rd_le32(&c);
  }
  if (oh->flags & 0x10) {
    oh->max_compact = rd_le16(&c);
    oh->min_dense = rd_le16(&c);
    if (oh->min_dense > oh->max_compact + 1u)
      return corrupt("object header %llu: attribute phase change values inconsistent", (unsigned long long)addr);
  }
  size = rd_uvar(&c, 1u << (oh->flags & 3));
  if (c.err) return corrupt("object header %llu: truncated prefix", (unsigned long long)addr);
  prefix_len = c.pos;
  if (ck_add64(prefix_len + 4, size, &total) || !fctx_range_ok(f, addr, total))
    return corrupt("object header %llu: chunk of %llu bytes passes the end of the file", (unsigned long long)addr,
                   (unsigned long long)size);
  b->total_bytes = total;
  TRY(fctx_read_alloc(f, addr, total, &buf, "object header chunk"));
  if (push_chunk(b, buf, addr, total) < 0) {
    free(buf);
    return H5K_ENOMEM;
  }
  TRY(fctx_check_sum(buf, (size_t)total, "object header", addr));
  return parse_messages(b, f, buf, prefix_len, (size_t)(total - 4), addr);
}

static int read_continuation(builder *b, const h5k_fctx *f, const pending *p) {
  h5k_ohdr *oh = b->oh;
  uint8_t *buf = NULL;
  TRY(fctx_read_alloc(f, p->addr, p->len, &buf, "object header continuation block"));
  if (push_chunk(b, buf, p->addr, p->len) < 0) {
    free(buf);
    return H5K_ENOMEM;
  }
  if (oh->version == 1) return parse_messages(b, f, buf, 0, (size_t)p->len, p->addr);
  if (p->len < 8 || memcmp(buf, "OCHK", 4) != 0)
    return corrupt("object header %llu: continuation block at %llu lacks the OCHK signature",
                   (unsigned long long)oh->addr, (unsigned long long)p->addr);
  TRY(fctx_check_sum(buf, (size_t)p->len, "object header continuation block", p->addr));
  return parse_messages(b, f, buf, 4, (size_t)p->len - 4, p->addr);
}

int h5k_ohdr_read(h5k_ohdr *out, const h5k_fctx *f, uint64_t addr) {
  builder b;
  uint8_t sig[4];
  int rc;
  memset(out, 0, sizeof *out);
  memset(&b, 0, sizeof b);
  b.oh = out;
  out->addr = addr;
  out->atime = out->mtime = out->ctime = out->btime = -1;
  out->max_compact = 8;
  out->min_dense = 6;
  out->refcount = 1;

  if (!fctx_range_ok(f, addr, 16)) {
    rc = corrupt("object header address %llu lies outside the file", (unsigned long long)addr);
    goto done;
  }
  rc = fctx_read(f, addr, sig, sizeof sig, "object header");
  if (rc < 0) goto done;
  if (memcmp(sig, "OHDR", 4) == 0) {
    rc = read_prefix_v2(&b, f, addr);
  } else if (sig[0] == 1) {
    rc = read_prefix_v1(&b, f, addr);
  } else {
    rc = corrupt("no object header at address %llu (unknown version %u)", (unsigned long long)addr, sig[0]);
  }
  if (rc < 0) goto done;
  for (b.head = 0; b.head < b.nqueue; b.head++) {
    pending p = b.queue[b.head];
    rc = read_continuation(&b, f, &p);
    if (rc < 0) goto done;
  }
  if (out->version == 2) {
    const h5k_msg *m = h5k_ohdr_find(out, MSG_REFCOUNT, NULL);
    if (m) {
      h5k_cur c;
      cur_init(&c, m->data, m->size);
      if (rd_u8(&c) != 0) {
        rc = corrupt("object header %llu: unknown reference count message version", (unsigned long long)addr);
        goto done;
      }
      out->refcount = rd_le32(&c);
      if (c.err) {
        rc = corrupt("object header %llu: truncated reference count message", (unsigned long long)addr);
        goto done;
      }
    }
  }
  rc = 0;
done:
  free(b.queue);
  if (rc < 0) h5k_ohdr_free(out);
  return rc;
}

void h5k_ohdr_free(h5k_ohdr *oh) {
  if (!oh) return;
  for (size_t i = 0; i < oh->nchunks; i++) free(oh->chunks[i]);
  free(oh->chunk_ext);
  oh->chunk_ext = NULL;
  free(oh->chunks);
  free(oh->msgs);
  oh->chunks = NULL;
  oh->msgs = NULL;
  oh->nchunks = oh->nmsgs = 0;
}

const h5k_msg *h5k_ohdr_find(const h5k_ohdr *oh, unsigned type, size_t *pos) {
  size_t i = pos ? *pos : 0;
  for (; i < oh->nmsgs; i++) {
    if (oh->msgs[i].type == type) {
      if (pos) *pos = i + 1;
      return &oh->msgs[i];
    }
  }
  if (pos) *pos = oh->nmsgs;
  return NULL;
}

size_t h5k_ohdr_count(const h5k_ohdr *oh, unsigned type) {
  size_t n = 0;
  for (size_t i = 0; i < oh->nmsgs; i++) n += oh->msgs[i].type == type;
  return n;
}
