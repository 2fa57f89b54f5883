/* Chunk index builders: the writing twin of chunk_index.c. Each builder lays out a complete
 * chunk index (v1 B-tree, fixed array, extensible array or v2 B-tree) for a set of allocated
 * chunks as one contiguous run of bytes, to be stored at a given file address. */
#ifndef H5K_FORMAT_CHUNK_INDEX_BUILD_H
#define H5K_FORMAT_CHUNK_INDEX_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "format/fctx.h"
#include "format/layout.h"

/* Append to w the whole chunk index of kind g->layout->index (BTREE1, FARRAY, EARRAY, BTREE2)
 * holding the n allocated chunks recs[] (any order; borrowed), laid out to live at file address
 * `base`. *index_addr receives the address the layout message must store (the B-tree root or
 * the array/B-tree header). The number of bytes appended does not depend on base.
 *
 * Uses f->so, f->sl (sizes of offsets/lengths: 2, 4 or 8) and, for BTREE1, f->btree_k_chunk
 * (0 means 32). From g: rank, maxdims (array numbering), filtered, chunk_bytes (width of the
 * filtered size field); from g->layout: chunk dims, elem_size (BTREE1), ia_params.
 * A record's size is stored for BTREE1 and for filtered arrays / v2 B-trees; its mask likewise.
 *
 * Errors (nothing is appended then, or what was appended must be discarded by the caller):
 * H5K_EINVAL (NULL arguments, SINGLE/IMPLICIT/unknown index kind, bad parameters, duplicate
 * chunks, undefined chunk addresses, a chunk outside the maximum dims, sizes that do not fit
 * their fields), H5K_EUNSUPPORTED (extensible array parameters that would page a data block the
 * index block addresses), H5K_ENOMEM. */
int h5k_chunk_index_build(h5k_wbuf *w, uint64_t base, uint64_t *index_addr, const h5k_fctx *f,
                          const h5k_chunk_geom *g, const h5k_chunk_rec *recs, size_t n);

/* For a layout version 4 chunked dataset of this dataspace, set l->index and l->ia_params (and
 * bit 1 of l->flags, "single chunk is filtered") as the reference library (1.10) does with its
 * default parameters: single chunk when dims == max dims == chunk dims; otherwise a fixed array
 * (page bits 10) when no dimension is unlimited, an extensible array (max bits 32, index block
 * elements 4, data block min elements 16, super block min pointers 4, page bits 10) when exactly
 * one is, a v2 B-tree (node size 2048, split 100 %, merge 40 %) when more. The implicit index
 * (early allocation, no filters) is never chosen. Needs l->rank and l->chunk set.
 * Errors: H5K_EINVAL (NULL, rank mismatch, not a simple dataspace). */
int h5k_chunk_index_choose(h5k_layout *l, const h5k_dataspace *space, int filtered);

/* Bytes of a filtered chunk's "chunk size" field in fixed/extensible array elements and v2
 * B-tree records: 1 + (floor(log2(chunk_bytes)) + 8) / 8, at most 8 (chunk_bytes = unfiltered
 * bytes of one chunk; one spare byte in case a filter makes the chunk larger). */
unsigned h5k_chunk_size_width(uint64_t chunk_bytes);

#endif
