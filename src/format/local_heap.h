/* Local heaps (File Format Specification III.D): the name store of an old-style (symbol table)
 * group. The whole data segment is read into memory; strings are borrowed from it. */
#ifndef H5K_FORMAT_LOCAL_HEAP_H
#define H5K_FORMAT_LOCAL_HEAP_H

#include <stdint.h>

#include "format/fctx.h"

typedef struct h5k_lheap {
  uint8_t *data;      /* the data segment (owned; malloc'd) */
  uint64_t size;      /* bytes in the data segment */
  uint64_t data_addr; /* where the data segment lives in the file */
} h5k_lheap;

/* Read the "HEAP" header at addr and then its data segment (wherever the header says it is).
 * Errors: H5K_ECORRUPT (bad signature/version, segment outside the file, bad free-list head),
 * H5K_EIO, H5K_ENOMEM. On failure *out is left empty (safe to h5k_lheap_free). */
int h5k_lheap_read(h5k_lheap *out, const h5k_fctx *f, uint64_t addr);

/* Borrow the NUL-terminated string at `offset` inside the data segment. H5K_ECORRUPT if the
 * offset is outside the segment or no NUL occurs before its end. The string lives as long as
 * the heap. */
int h5k_lheap_string(const char **out, const h5k_lheap *h, uint64_t offset);

/* Release the data segment; the struct is left empty. NULL is a no-op. */
void h5k_lheap_free(h5k_lheap *h);

#endif
