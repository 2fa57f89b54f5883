/* Object headers (spec IV.A): the list of header messages of one object, gathered across the
 * first chunk and every continuation block. */
#ifndef H5K_FORMAT_OBJECT_HEADER_H
#define H5K_FORMAT_OBJECT_HEADER_H

#include "format/fctx.h"

typedef struct h5k_msg {
  uint16_t type;
  uint8_t flags;          /* bit 0 constant, bit 1 shared, ... (IV.A.1) */
  uint16_t corder;        /* v2 headers with creation order tracked, else 0 */
  uint32_t size;
  const uint8_t *data;    /* borrowed from the header's chunk buffers */
} h5k_msg;

enum { H5K_MSGF_CONSTANT = 0x01, H5K_MSGF_SHARED = 0x02 };

typedef struct h5k_ohdr {
  uint64_t addr;
  unsigned version;       /* 1 or 2 */
  uint8_t flags;          /* v2 header flags */
  uint32_t refcount;      /* v1 field, or v2 refcount message (default 1) */
  int64_t atime, mtime, ctime, btime; /* v2 times when stored, else -1 */
  uint16_t max_compact, min_dense;    /* v2 attribute phase change (defaults 8 / 6) */
  size_t nmsgs;
  h5k_msg *msgs;
  size_t nchunks;
  uint8_t **chunks;       /* owned buffers the messages point into */
  uint64_t *chunk_ext;    /* per chunk: address and length in the file (2 values each) */
} h5k_ohdr;

/* Read and validate the object header at addr: signature/version, checksums (v2), message
 * bounds, continuation chain (cycles and counts capped). Errors: H5K_ECORRUPT, H5K_EIO,
 * H5K_ENOMEM. On error *out is cleared. */
int h5k_ohdr_read(h5k_ohdr *out, const h5k_fctx *f, uint64_t addr);
void h5k_ohdr_free(h5k_ohdr *oh);

/* First message of a type at index >= *pos (pos may be NULL: from 0). Updates *pos past it. */
const h5k_msg *h5k_ohdr_find(const h5k_ohdr *oh, unsigned type, size_t *pos);
/* Count messages of a type. */
size_t h5k_ohdr_count(const h5k_ohdr *oh, unsigned type);

#endif
