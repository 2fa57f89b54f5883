/* Shared object header messages (spec IV.A.2 "Shared Message" encoding and III.H "Shared Object
 * Header Message Table"): a message flagged shared holds a pointer to the real message, either in
 * another object header (committed datatypes) or in a fractal heap indexed by the file's SOHM table. */
#ifndef H5K_FORMAT_SHARED_H
#define H5K_FORMAT_SHARED_H

#include "format/fctx.h"

typedef struct h5k_sohm h5k_sohm;

/* Load the SOHM table named by f->sohm_table (if defined) and open each index's heap. The result
 * is stored in f->sohm; free with h5k_sohm_free. */
int h5k_sohm_load(h5k_fctx *f);
void h5k_sohm_free(h5k_sohm *s);

/* The real bytes of a message of `type` whose stored bytes are (p, len). If `shared`, the
 * pointer is followed: *data and *size then point into *owned (malloc'd; caller frees). Otherwise
 * *data = p, *size = len, *owned = NULL. `hdr_addr` (if defined) is the committed type's object
 * header address, reported for committed datatypes. */
int h5k_msg_unshare(const uint8_t **data, size_t *size, uint8_t **owned, uint64_t *hdr_addr,
                    const h5k_fctx *f, unsigned type, const uint8_t *p, size_t len, int shared);

#endif
