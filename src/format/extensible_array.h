/* Extensible arrays (HDF5 File Format Specification 3.0, "Extensible Array" structures: header
 * EAHD, index block EAIB, super blocks EASB, data blocks EADB and their pages): the chunk index
 * of chunked datasets with one unlimited dimension (layout message version 4, index type 4).
 * Elements are returned as raw bytes; chunk_index.c decodes them. Nothing is cached. */
#ifndef H5K_FORMAT_EXTENSIBLE_ARRAY_H
#define H5K_FORMAT_EXTENSIBLE_ARRAY_H

#include <stdint.h>

#include "format/fctx.h"

#define H5K_EA_MAX_SBLKS 64

typedef struct h5k_earray_hdr {
  uint64_t addr;             /* of the header */
  unsigned client_id;        /* 0 unfiltered chunks, 1 filtered chunks */
  unsigned elem_size;
  unsigned max_bits;         /* log2 of the largest number of elements */
  unsigned idx_blk_elmts;    /* elements stored in the index block */
  unsigned dblk_min_elmts;   /* elements in the smallest data block (a power of two) */
  unsigned sblk_min_ptrs;    /* data block pointers in the smallest super block (a power of two) */
  unsigned page_bits;        /* log2 of the elements in one data block page */
  uint64_t max_idx_set;      /* statistics: one past the highest element index set */
  uint64_t iblk_addr;        /* index block (UNDEF: nothing stored) */
  /* derived */
  unsigned nsblks;           /* super block levels */
  unsigned iblk_nsblks;      /* levels whose data blocks the index block addresses directly */
  unsigned ndblk_addrs, nsblk_addrs; /* addresses held in the index block */
  unsigned arr_off_size;     /* bytes of the "block offset" fields */
  uint64_t sblk_ndblks[H5K_EA_MAX_SBLKS];   /* per level: data blocks */
  uint64_t sblk_dblk_n[H5K_EA_MAX_SBLKS];   /* per level: elements per data block */
  uint64_t sblk_start[H5K_EA_MAX_SBLKS];    /* per level: first element (after the index block's) */
  uint64_t sblk_start_dblk[H5K_EA_MAX_SBLKS];
} h5k_earray_hdr;

/* Read and check the header (signature, version 0, checksum, parameters: powers of two,
 * max bits 1..63, index block address inside the file) and derive the level tables.
 * Errors: H5K_ECORRUPT, H5K_EIO. */
int h5k_earray_read_header(h5k_earray_hdr *out, const h5k_fctx *f, uint64_t addr);

typedef int (*h5k_earray_cb)(void *ud, uint64_t idx, const uint8_t *elem);

/* Every element of every allocated block (index block elements, data blocks, initialised pages)
 * in index order. Blocks are read and verified once; the total bytes read is capped by the file
 * size (blocks shared by crafted pointers cannot multiply the work). cb: 0 go on, >0 stop,
 * <0 error (returned). Errors: H5K_ECORRUPT, H5K_EIO, H5K_ENOMEM, H5K_EUNSUPPORTED (a paged data
 * block addressed by the index block). */
int h5k_earray_iterate(const h5k_fctx *f, const h5k_earray_hdr *h, h5k_earray_cb cb, void *ud);

/* Element idx into out (elem_size bytes), reading only the blocks on its path.
 * H5K_ENOTFOUND when a block on the path is not allocated (or the page not initialised);
 * H5K_EINVAL when idx >= 2^max_bits. */
int h5k_earray_get(uint8_t *out, const h5k_fctx *f, const h5k_earray_hdr *h, uint64_t idx);

#endif
