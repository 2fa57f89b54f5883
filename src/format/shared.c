/* Shared messages — HDF5 File Format Specification 3.0, section IV.A.2 (the "Shared Message"
 * encoding used when a header message's flag bit 1 is set) and III.H "Shared Object Header
 * Message Table".
 *
 * Master table (at the address given by the superblock extension's message 0x000F):
 *   "SMTB", then per index:
 *     version u8 (0), index type u8 (0 list, 1 v2 B-tree), message type flags u16 (bit n set:
 *     messages of type n are indexed here), minimum message size u32, list cutoff u16, B-tree
 *     cutoff u16, number of messages u16, index address (O), fractal heap address (O)
 *   checksum u32
 * A message shared through the table (shared encoding version 3, type "in heap") names an object
 * of the index's fractal heap by an 8-byte heap ID; the heap object is the message itself. A
 * message shared "in an object header" (committed datatypes) is the first message of the same type
 * in that header.
 */
#include "format/shared.h"

#include <stdlib.h>
#include <string.h>

#include "format/fractal_heap.h"
#include "format/messages.h"
#include "format/object_header.h"
#include "util/checked.h"
#include "util/error.h"

#define MAX_INDEXES 8 /* H5O_SHMESG_MAX_NINDEXES */

typedef struct sohm_index {
  unsigned type_flags;
  h5k_fheap *heap;
} sohm_index;

struct h5k_sohm {
  unsigned n;
  sohm_index idx[MAX_INDEXES];
};

void h5k_sohm_free(h5k_sohm *s) {
  if (!s) return;
  for (unsigned i = 0; i < s->n; i++) h5k_fheap_close(s->idx[i].heap);
  free(s);
}

int h5k_sohm_load(h5k_fctx *f) {
  uint8_t *buf = NULL;
  h5k_sohm *s = NULL;
  h5k_cur c;
  size_t entry, len;
  int rc;
  if (!addr_defined(f->sohm_table)) return 0;
  if (f->sohm_nindexes == 0 || f->sohm_nindexes > MAX_INDEXES)
    return corrupt("shared message table at %llu: invalid number of indexes (%u)",
                   (unsigned long long)f->sohm_table, f->sohm_nindexes);
  entry = 1 + 1 + 2 + 4 + 2 + 2 + 2 + 2 * (size_t)f->so;
  len = 4 + entry * f->sohm_nindexes + 4;
  TRY(fctx_read_alloc(f, f->sohm_table, len, &buf, "shared message table"));
  if (memcmp(buf, "SMTB", 4) != 0) {
    rc = corrupt("shared message table at %llu: bad signature", (unsigned long long)f->sohm_table);
    goto done;
  }
  rc = fctx_check_sum(buf, len, "shared message table", f->sohm_table);
  if (rc < 0) goto done;
  s = calloc(1, sizeof *s);
  if (!s) {
    rc = h5k_err_nomem();
    goto done;
  }
  cur_init(&c, buf + 4, len - 8);
  for (unsigned i = 0; i < f->sohm_nindexes; i++) {
    uint64_t heap_addr;
    if (rd_u8(&c) != 0) {
      rc = corrupt("shared message table at %llu: unknown index version", (unsigned long long)f->sohm_table);
      goto done;
    }
    (void)rd_u8(&c); /* index type: list or B-tree; we only need the heap */
    s->idx[i].type_flags = rd_le16(&c);
    cur_skip(&c, 4 + 2 + 2 + 2);
    (void)rd_addr(&c, f); /* index address */
    heap_addr = rd_addr(&c, f);
    s->n = i + 1;
    if (addr_defined(heap_addr)) {
      rc = h5k_fheap_open(&s->idx[i].heap, f, heap_addr);
      if (rc < 0) goto done;
    }
  }
  f->sohm = s;
  s = NULL;
  rc = 0;
done:
  h5k_sohm_free(s);
  free(buf);
  return rc;
}

/* Copy the bytes of the first message of `type` in the header at addr. */
static int from_header(uint8_t **owned, size_t *size, const h5k_fctx *f, unsigned type, uint64_t addr) {
  h5k_ohdr oh;
  const h5k_msg *m;
  int rc = h5k_ohdr_read(&oh, f, addr);
  if (rc < 0) return rc;
  m = h5k_ohdr_find(&oh, type, NULL);
  if (!m || (m->flags & 0x02)) {
    rc = corrupt("shared %s message: object header %llu holds no such unshared message", h5k_msg_name(type),
                 (unsigned long long)addr);
  } else {
    *owned = malloc(m->size ? m->size : 1);
    if (!*owned) {
      rc = h5k_err_nomem();
    } else {
      memcpy(*owned, m->data, m->size);
      *size = m->size;
      rc = 0;
    }
  }
  h5k_ohdr_free(&oh);
  return rc;
}

int h5k_msg_unshare(const uint8_t **data, size_t *size, uint8_t **owned, uint64_t *hdr_addr,
                    const h5k_fctx *f, unsigned type, const uint8_t *p, size_t len, int shared) {
  h5k_shared sh;
  *owned = NULL;
  if (hdr_addr) *hdr_addr = H5K_ADDR_UNDEF;
  if (!shared) {
    *data = p;
    *size = len;
    return 0;
  }
  TRY(h5k_decode_shared(&sh, p, len, f));
  if (sh.type == 2) {
    TRY(from_header(owned, size, f, type, sh.addr));
    if (hdr_addr) *hdr_addr = sh.addr;
  } else if (sh.type == 1) {
    const h5k_sohm *s = f->sohm;
    const h5k_fheap *heap = NULL;
    if (s && type < 16) {
      for (unsigned i = 0; i < s->n; i++)
        if (s->idx[i].type_flags & (1u << type)) heap = s->idx[i].heap;
    }
    if (!heap) return corrupt("shared %s message refers to the shared message heap, but no index holds that type",
                              h5k_msg_name(type));
    TRY(h5k_fheap_get(owned, size, heap, sh.heap_id, sizeof sh.heap_id));
  } else {
    return corrupt("shared %s message: unknown sharing type %u", h5k_msg_name(type), sh.type);
  }
  *data = *owned;
  return 0;
}
