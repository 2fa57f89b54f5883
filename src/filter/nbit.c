/* N-bit filter (id 5), both directions.
 *
 * Spec: HDF5 File Format Specification 3.0, IV.A.2.l (Filter Pipeline Message), filter 5
 * "nbit"; the parameters are those the reference library stores when it sets the filter up for
 * a dataset (H5Pset_nbit + its set-local step), describing the datatype as a tree:
 *
 *   cd[0]  number of parameters          cd[1]  1: nothing to pack (chunk stored as is)
 *   cd[2]  elements in a chunk           cd[3..] the datatype, one node:
 *
 *   node      := class size rest
 *   class 1   atomic (integer, float):   order (0 little-, 1 big-endian), precision, bit offset
 *   class 2   array:                     node (the base type; size / base size elements)
 *   class 3   compound:                  nmembers, then per member: byte offset, node
 *   class 4   anything else ("no-op"):   nothing (its size bytes are copied)
 *
 * Packed data: one MSB-first bit stream, elements in order and, within an element, its atomic
 * parts in the order of the tree. An atomic value contributes its `precision` significant bits
 * (bit offset+precision-1 down to offset, i.e. most significant first); a no-op part
 * contributes all its bytes (8 bits each, in storage order). Padding bits are not stored; we
 * decode them as zero (the datatype layer applies the type's own padding and sign rules).
 *
 * Encoding writes the same stream: libhdf5's packer emits an atomic value byte by byte from its
 * most significant significant byte, which is the same as its `precision` bits taken most
 * significant first. Its output length is (whole bytes written) + 1, even when the last byte is
 * full, and we match it, so our chunks have the size libhdf5's have. A top-level type that is
 * not integer, float, array or compound has only 3 parameters (cd[1] = 1: stored as is).
 *
 * The type tree is flattened once into a list of parts (byte offset in the element, size,
 * order, precision, offset); an element then decodes part by part. Parts never exceed the
 * element's size in number, and every part must lie inside its parent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter/codecs.h"
#include "util/checked.h"
#include "util/error.h"

enum { NB_ATOMIC = 1, NB_ARRAY = 2, NB_COMPOUND = 3, NB_NOOP = 4 };

typedef struct nb_part {
  size_t off;       /* byte offset inside the element */
  uint32_t size;    /* bytes */
  uint32_t prec;    /* atomic: significant bits */
  uint32_t boff;    /* atomic: bit offset of the least significant one */
  uint8_t atomic;   /* 0: copy the bytes */
  uint8_t big;      /* atomic: big-endian */
} nb_part;

typedef struct nb_parse {
  const uint32_t *cd;
  size_t ncd;
  size_t pos;
  nb_part *parts;
  size_t nparts, alloc, max_parts;
} nb_parse;

static int take(nb_parse *p, uint32_t *v) {
  if (p->pos >= p->ncd) return corrupt("nbit: datatype description ends early (%zu values)", p->ncd);
  *v = p->cd[p->pos++];
  return 0;
}

static int push(nb_parse *p, const nb_part *part) {
  if (p->nparts >= p->max_parts) return corrupt("nbit: datatype description has more parts than bytes");
  if (p->nparts == p->alloc) {
    size_t na = p->alloc ? p->alloc * 2 : 16;
    nb_part *np = realloc(p->parts, na * sizeof *np);
    if (!np) return h5k_err_nomem();
    p->parts = np;
    p->alloc = na;
  }
  p->parts[p->nparts++] = *part;
  return 0;
}

/* Parse one node at byte offset base; its size goes to *size_out. */
static int parse_node(nb_parse *p, size_t base, uint32_t *size_out, unsigned depth) {
  uint32_t cls = 0, size = 0;
  nb_part part = {0};

  if (depth > H5K_MAX_TYPE_DEPTH) return corrupt("nbit: datatype nested deeper than %d", H5K_MAX_TYPE_DEPTH);
  TRY(take(p, &cls));
  TRY(take(p, &size));
  if (size == 0) return corrupt("nbit: datatype part of size 0");
  *size_out = size;
  switch (cls) {
  case NB_ATOMIC: {
    uint32_t order = 0, prec = 0, boff = 0;
    TRY(take(p, &order));
    TRY(take(p, &prec));
    TRY(take(p, &boff));
    if (order > 1 || prec == 0 || (uint64_t)prec + boff > (uint64_t)size * 8)
      return corrupt("nbit: bad atomic type (size %u, order %u, precision %u, offset %u)", (unsigned)size,
                     (unsigned)order, (unsigned)prec, (unsigned)boff);
    part.off = base;
    part.size = size;
    part.prec = prec;
    part.boff = boff;
    part.atomic = 1;
    part.big = (uint8_t)order;
    return push(p, &part);
  }
  case NB_NOOP:
    part.off = base;
    part.size = size;
    return push(p, &part);
  case NB_ARRAY: {
    uint32_t bsize = 0;
    size_t first = p->nparts, count, n;
    TRY(parse_node(p, base, &bsize, depth + 1));
    if (bsize > size) return corrupt("nbit: array base type (%u bytes) larger than the array (%u)", (unsigned)bsize,
                                     (unsigned)size);
    n = size / bsize;
    count = p->nparts - first;
    for (size_t i = 1; i < n; i++) {
      for (size_t k = 0; k < count; k++) {
        nb_part q = p->parts[first + k];
        q.off += i * (size_t)bsize;
        TRY(push(p, &q));
      }
    }
    return 0;
  }
  case NB_COMPOUND: {
    uint32_t nmembers = 0;
    TRY(take(p, &nmembers));
    for (uint32_t m = 0; m < nmembers; m++) {
      uint32_t moff = 0, msize = 0;
      TRY(take(p, &moff));
      TRY(parse_node(p, base + moff, &msize, depth + 1));
      if ((uint64_t)moff + msize > size)
        return corrupt("nbit: compound member at offset %u (%u bytes) outside its %u-byte parent", (unsigned)moff,
                       (unsigned)msize, (unsigned)size);
    }
    return 0;
  }
  default:
    return corrupt("nbit: unknown datatype class %u in parameters", (unsigned)cls);
  }
}

static void decode_atomic(uint8_t *elem, const nb_part *q, h5k_bitrd *r) {
  uint32_t hi = q->boff + q->prec - 1, lo = q->boff;
  for (uint32_t k = hi / 8 + 1; k-- > lo / 8;) {
    unsigned lo_bit = (k == lo / 8) ? lo % 8 : 0;
    unsigned hi_bit = (k == hi / 8) ? hi % 8 : 7;
    unsigned v = (unsigned)bitrd_get(r, hi_bit - lo_bit + 1);
    elem[q->big ? q->size - 1 - k : k] = (uint8_t)(v << lo_bit);
  }
}

static int nbit_decode(uint8_t **out, size_t *out_len, const uint8_t *in, size_t in_len, const uint32_t *cd,
                       size_t ncd, size_t size_hint, size_t elem_size) {
  nb_parse p = {0};
  uint32_t top_size;
  size_t nelem, total;
  uint8_t *buf = NULL;
  h5k_bitrd r;
  int rc = 0;

  if (ncd >= 2 && cd[1]) { /* nothing was packed (a top-level no-op type has just 3 values) */
    buf = malloc(in_len ? in_len : 1);
    if (!buf) return h5k_err_nomem();
    for (size_t i = 0; i < in_len; i++) buf[i] = in[i];
    *out = buf;
    *out_len = in_len;
    return 0;
  }
  if (ncd < 5) return corrupt("nbit: %zu client data values, need at least 5", ncd);
  nelem = cd[2];
  top_size = cd[4];
  if (top_size == 0 || ck_mulsz(nelem, top_size, &total) || total > filter_out_cap(size_hint))
    return corrupt("nbit: %zu elements of %u bytes do not fit a chunk of %zu bytes", nelem, (unsigned)top_size,
                   size_hint);
  p.cd = cd;
  p.ncd = ncd;
  p.pos = 3;
  /* every part is at least one byte of the element, and the element fits the chunk */
  p.max_parts = top_size < filter_out_cap(size_hint) ? top_size : filter_out_cap(size_hint);
  rc = parse_node(&p, 0, &top_size, 0);
  if (rc < 0) goto done;
  buf = calloc(total ? total : 1, 1);
  if (!buf) {
    rc = h5k_err_nomem();
    goto done;
  }
  bitrd_init(&r, in, in_len);
  for (size_t e = 0; e < nelem && !r.err; e++) {
    uint8_t *elem = buf + e * top_size;
    for (size_t k = 0; k < p.nparts; k++) {
      const nb_part *q = &p.parts[k];
      if (q->atomic) {
        decode_atomic(elem + q->off, q, &r);
      } else {
        for (uint32_t b = 0; b < q->size; b++) elem[q->off + b] = (uint8_t)bitrd_get(&r, 8);
      }
    }
  }
  if (r.err) {
    rc = corrupt("nbit: packed data (%zu bytes) ends before %zu elements", in_len, nelem);
    goto done;
  }
  *out = buf;
  *out_len = total;
  buf = NULL;

done:
  free(buf);
  free(p.parts);
  return rc;
}

static void encode_atomic(const uint8_t *elem, const nb_part *q, h5k_bitwr *w) {
  uint32_t hi = q->boff + q->prec - 1, lo = q->boff;
  for (uint32_t k = hi / 8 + 1; k-- > lo / 8;) {
    unsigned lo_bit = (k == lo / 8) ? lo % 8 : 0;
    unsigned hi_bit = (k == hi / 8) ? hi % 8 : 7;
    unsigned v = elem[q->big ? q->size - 1 - k : k];
    bitwr_put(w, v >> lo_bit, hi_bit - lo_bit + 1);
  }
}

static int nbit_encode(uint8_t **out, size_t *out_len, const uint8_t *in, size_t in_len, const uint32_t *cd,
                       size_t ncd, size_t elem_size) {
  nb_parse p = {0};
  uint32_t top_size;
  size_t nelem, total, bits = 0, olen;
  uint8_t *buf = NULL;
  h5k_bitwr w;
  int rc = 0;
  (void)elem_size;

  if (ncd >= 2 && cd[1]) { /* full-precision type: stored as is */
    buf = malloc(in_len ? in_len : 1);
    if (!buf) return h5k_err_nomem();
    if (in_len) memcpy(buf, in, in_len);
    *out = buf;
    *out_len = in_len;
    return 0;
  }
  if (ncd < 5) return h5k_err(H5K_EINVAL, "nbit: %zu client data values, need at least 5", ncd);
  nelem = cd[2];
  top_size = cd[4];
  if (top_size == 0 || ck_mulsz(nelem, top_size, &total) || total != in_len)
    return h5k_err(H5K_EINVAL, "nbit: %zu elements of %u bytes, but the chunk has %zu bytes", nelem,
                   (unsigned)top_size, in_len);
  p.cd = cd;
  p.ncd = ncd;
  p.pos = 3;
  p.max_parts = top_size;
  rc = parse_node(&p, 0, &top_size, 0);
  if (rc < 0) {
    char why[256];
    snprintf(why, sizeof why, "%s", h5k_error_last());
    rc = h5k_err(H5K_EINVAL, "nbit: bad parameters (%s)", why);
    goto done;
  }
  for (size_t k = 0; k < p.nparts; k++) bits += p.parts[k].atomic ? p.parts[k].prec : 8 * (size_t)p.parts[k].size;
  if (bits && nelem > (SIZE_MAX - 8) / bits) {
    rc = h5k_err(H5K_ELIMIT, "nbit: chunk too large");
    goto done;
  }
  olen = bits * nelem / 8 + 1; /* libhdf5's size: the byte being filled counts, even if empty */
  buf = calloc(olen, 1);
  if (!buf) {
    rc = h5k_err_nomem();
    goto done;
  }
  bitwr_init(&w, buf);
  for (size_t e = 0; e < nelem; e++) {
    const uint8_t *elem = in + e * top_size;
    for (size_t k = 0; k < p.nparts; k++) {
      const nb_part *q = &p.parts[k];
      if (q->atomic) {
        encode_atomic(elem + q->off, q, &w);
      } else {
        for (uint32_t b = 0; b < q->size; b++) bitwr_put(&w, elem[q->off + b], 8);
      }
    }
  }
  *out = buf;
  *out_len = olen;
  buf = NULL;

done:
  free(buf);
  free(p.parts);
  return rc;
}

const h5k_filter_class h5k_filter_class_nbit = {sizeof(h5k_filter_class), H5K_FILTER_NBIT, "nbit", nbit_decode,
                                                nbit_encode};
