/* Fixed arrays (HDF5 File Format Specification 3.0, "Fixed Array" structures: header FAHD, data
 * block FADB and its pages): the chunk index of chunked datasets without unlimited dimensions
 * (layout message version 4, index type 3). Elements are returned as raw bytes; the chunk index
 * layer (chunk_index.c) decodes them. Nothing is cached: thread-safe through a const fctx. */
#ifndef H5K_FORMAT_FIXED_ARRAY_H
#define H5K_FORMAT_FIXED_ARRAY_H

#include <stdint.h>

#include "format/fctx.h"

typedef struct h5k_farray_hdr {
  uint64_t addr;         /* of the header */
  unsigned client_id;    /* 0 unfiltered chunks, 1 filtered chunks */
  unsigned elem_size;    /* bytes per element */
  unsigned page_bits;    /* log2 of the elements in one data block page */
  uint64_t nelmts;       /* elements in the array */
  uint64_t dblk_addr;    /* data block (UNDEF: nothing allocated yet) */
} h5k_farray_hdr;

/* Read and check the header at addr (signature, version 0, checksum, element size 1..255,
 * page bits 1..32, data block address inside the file). Errors: H5K_ECORRUPT, H5K_EIO. */
int h5k_farray_read_header(h5k_farray_hdr *out, const h5k_fctx *f, uint64_t addr);

/* Called for every element of every initialised page, in index order. Return 0 to go on, >0
 * to stop (returned), <0 an error (returned). `elem` holds elem_size bytes (borrowed). */
typedef int (*h5k_farray_cb)(void *ud, uint64_t idx, const uint8_t *elem);

/* Every element of the array (pages whose "initialised" bit is clear are skipped). Each block
 * and page is read and checksum-verified once. Errors: H5K_ECORRUPT, H5K_EIO, H5K_ENOMEM. */
int h5k_farray_iterate(const h5k_fctx *f, const h5k_farray_hdr *h, h5k_farray_cb cb, void *ud);

/* Element idx into out (h->elem_size bytes): reads only the page (or the unpaged block) that
 * holds it. H5K_ENOTFOUND when no data block exists or the page is not initialised;
 * H5K_EINVAL when idx >= nelmts. */
int h5k_farray_get(uint8_t *out, const h5k_fctx *f, const h5k_farray_hdr *h, uint64_t idx);

#endif
