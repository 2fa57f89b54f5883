/* Superblock (spec II.A): locate and validate it, fill the file context. */
#ifndef H5K_FORMAT_SUPERBLOCK_H
#define H5K_FORMAT_SUPERBLOCK_H

#include "format/fctx.h"

/* Search the signature (userblock aware), decode superblock v0–v3, the driver info block and the
 * superblock extension; fill *f (f->io = io). Errors: H5K_ENOTHDF5, H5K_ECORRUPT (including
 * "truncated file"), H5K_EUNSUPPORTED, H5K_EIO. */
int h5k_superblock_read(h5k_fctx *f, h5k_io *io);

#endif
