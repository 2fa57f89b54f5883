/* Dataset storage messages and chunk indexes: Data Layout (IV.A.2.i, 0x0008), Filter Pipeline
 * (IV.A.2.l, 0x000B), Fill Value (IV.A.2.e 0x0004 old / IV.A.2.f 0x0005), External Data Files
 * (IV.A.2.h, 0x0007), and the chunk indexes: v1 B-tree (type 1 nodes), single chunk, implicit,
 * fixed array (III.H? "Fixed Array"), extensible array, v2 B-tree (record types 10 and 11). */
#ifndef H5K_FORMAT_LAYOUT_H
#define H5K_FORMAT_LAYOUT_H

#include "format/fctx.h"

#define H5K_MAX_FILTERS 32

typedef struct h5k_layout {
  unsigned version;            /* 1..4 (5 if met: treat as 4 where the spec allows) */
  h5k_layout_class cls;
  /* compact */
  uint8_t *compact;            /* owned copy */
  uint64_t compact_size;
  /* contiguous */
  uint64_t addr;               /* contiguous data, or chunk index address; UNDEF if unallocated */
  uint64_t size;               /* contiguous: bytes */
  /* chunked */
  unsigned rank;               /* dataset rank (the stored dimensionality minus the element-size dim) */
  uint64_t chunk[H5K_MAX_DIMS];/* chunk dims in elements */
  uint64_t elem_size;          /* v1-3: stored element size (last dim) */
  unsigned flags;              /* v4: bit 0 don't filter partial edge chunks, bit 1 single chunk is filtered */
  h5k_chunk_index index;
  uint64_t single_size;        /* single chunk, filtered: stored size */
  uint32_t single_mask;        /* single chunk, filtered: filter mask */
  /* fixed array: page bits; extensible array: max bits, index elements, data block min elements,
   * super block min data pointers, page bits; v2 B-tree: node size, split %, merge % */
  unsigned ia_params[6];
  /* virtual */
  uint64_t vds_heap_addr;      /* global heap collection holding the mapping */
  uint32_t vds_heap_index;
} h5k_layout;

/* Decode a layout message. `rank` is the dataspace rank (used for checks). */
int h5k_decode_layout(h5k_layout *out, const uint8_t *p, size_t len, const h5k_fctx *f, unsigned rank);
void h5k_layout_clear(h5k_layout *l);

typedef struct h5k_pline {
  unsigned version;
  size_t n;
  h5k_filter_desc filters[H5K_MAX_FILTERS]; /* names and cd arrays owned (malloc'd) */
} h5k_pline;
int h5k_decode_pline(h5k_pline *out, const uint8_t *p, size_t len);
void h5k_pline_clear(h5k_pline *pl);

typedef struct h5k_fill {
  unsigned version;            /* 0 for the old message (0x0004), else 1..3 */
  unsigned alloc_time, fill_time;
  int defined;                 /* value stored */
  uint8_t *value;              /* owned, size bytes (file representation) */
  size_t size;
  int undefined;               /* no fill value at all, not even the default (v1/v2 "defined"
                                  byte 0, v3 flag bit 4); else without a value: the default */
} h5k_fill;
/* type: H5K_MSG_FILLVALUE_OLD or H5K_MSG_FILLVALUE. */
int h5k_decode_fill(h5k_fill *out, unsigned type, const uint8_t *p, size_t len);
void h5k_fill_clear(h5k_fill *fv);

typedef struct h5k_efl_entry {
  char *name;                  /* owned: file name from the local heap */
  uint64_t offset;             /* byte offset in that file */
  uint64_t size;               /* bytes reserved in that file (H5K_UNLIMITED for "to the end") */
} h5k_efl_entry;
typedef struct h5k_efl {
  size_t n;
  h5k_efl_entry *e;
} h5k_efl;
int h5k_decode_efl(h5k_efl *out, const uint8_t *p, size_t len, const h5k_fctx *f);
void h5k_efl_clear(h5k_efl *e);

/* ---- chunk indexes ------------------------------------------------------------------------------------ */
typedef struct h5k_chunk_rec {
  uint64_t scaled[H5K_MAX_DIMS]; /* chunk coordinates in units of chunks (offset / chunk dim) */
  uint64_t addr;
  uint64_t size;                 /* stored bytes */
  uint32_t mask;                 /* filter mask */
} h5k_chunk_rec;

typedef int (*h5k_chunk_rec_cb)(void *ud, const h5k_chunk_rec *c);

/* What a chunk index needs to know of its dataset. */
typedef struct h5k_chunk_geom {
  const h5k_layout *layout;
  unsigned rank;
  uint64_t dims[H5K_MAX_DIMS];     /* current dataspace extent */
  uint64_t maxdims[H5K_MAX_DIMS];  /* maximum extent (H5K_UNLIMITED allowed) */
  int filtered;                    /* the dataset has a filter pipeline (affects record sizes) */
  uint64_t chunk_bytes;            /* unfiltered bytes of one full chunk */
} h5k_chunk_geom;

/* Every allocated chunk, once, in time linear in the number of chunks (unallocated entries of
 * implicit/fixed/extensible arrays are skipped). cb: 0 go on, >0 stop (returned), <0 error. */
int h5k_chunk_index_iterate(const h5k_fctx *f, const h5k_chunk_geom *g, h5k_chunk_rec_cb cb, void *ud);
/* The chunk at scaled coordinates; H5K_ENOTFOUND if not allocated. Logarithmic (B-trees) or
 * constant (arrays) time. */
int h5k_chunk_index_lookup(h5k_chunk_rec *out, const h5k_fctx *f, const h5k_chunk_geom *g, const uint64_t *scaled);

/* ==== encoders (the writing side): append message data bytes to w; 0, H5K_EINVAL, H5K_ENOMEM ==== */

/* Data Layout, l->version 3 or 4 (1/2: H5K_EINVAL). Compact: l->compact (compact_size bytes, at
 * most 65535). Contiguous: addr (UNDEF allowed), size. Chunked v3: ndims = rank + 1, the last
 * dimension l->elem_size, B-tree address l->addr. Chunked v4: flags, dims in the fewest bytes
 * that hold the largest of them (element size included), index kind l->index with its parameters
 * (ia_params as h5k_decode_layout fills them; single chunk: single_size/single_mask when flags
 * bit 1), index address. Virtual (v4 only): vds_heap_addr + vds_heap_index. */
int h5k_encode_layout(h5k_wbuf *w, const h5k_layout *l, const h5k_fctx *f);

/* Filter Pipeline, pl->version 1 (every filter with its name, NUL-padded to a multiple of 8; an
 * odd client-data count padded with 4 zero bytes) or 2 (names only for ids >= 256, not padded). */
int h5k_encode_pline(h5k_wbuf *w, const h5k_pline *pl);

/* Fill Value (0x0005), `version` 2 (libhdf5 "earliest": alloc time, fill time, defined byte,
 * size (4), value) or 3 ("latest": one flags byte, then size + value when there is a value);
 * 1 is written like 2. fv->size == 0 writes libhdf5's "default" fill value (zeros; what h5py
 * makes when no fillvalue is given); fv->defined is not consulted. An explicitly undefined fill
 * value cannot be written. */
int h5k_encode_fill(h5k_wbuf *w, const h5k_fill *fv, unsigned version);
/* Old Fill Value message (0x0004): size (4) + value. libhdf5 "earliest" writes it beside 0x0005
 * when a fill value is defined. */
int h5k_encode_fill_old(h5k_wbuf *w, const uint8_t *value, size_t size);

/* External Data Files (0x0007), version 1. name_offsets[i] is the offset of efl->e[i].name in the
 * local heap at heap_addr (build both with h5k_lheap_build in format/encode.h). nalloc: slots
 * declared allocated (>= efl->n; libhdf5 declares a multiple of 16); only used slots are written.
 * A size of H5K_UNLIMITED is written as all ones. */
int h5k_encode_efl(h5k_wbuf *w, const h5k_efl *efl, size_t nalloc, uint64_t heap_addr, const uint64_t *name_offsets,
                   const h5k_fctx *f);

#endif
