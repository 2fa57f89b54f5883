/* Fractal heaps (HDF5 File Format Specification III.G): variable-size objects addressed by
 * heap IDs. Groups with dense link storage and objects with dense attribute storage keep their
 * link / attribute messages here, indexed by v2 B-trees (btree2.h).
 *
 * A heap ID names one of three kinds of object:
 *   managed  stored in a direct block of the heap's doubling table (offset + length in the ID);
 *   huge     stored on its own in the file (address + length in the ID, or a key into the
 *            heap's huge-object v2 B-tree);
 *   tiny     stored inside the ID itself.
 *
 * Lifetime and threads: h5k_fheap_open parses and validates the header once; the handle is
 * then immutable and may be shared by any number of threads. It borrows `f`, which must outlive
 * it. h5k_fheap_get reads blocks on every call (no cache). */
#ifndef H5K_FORMAT_FRACTAL_HEAP_H
#define H5K_FORMAT_FRACTAL_HEAP_H

#include <stddef.h>
#include <stdint.h>

#include "format/fctx.h"

typedef struct h5k_fheap h5k_fheap; /* parsed, immutable header; safe to share between threads */

/* Read and validate the heap header at header_addr (signature, version, checksum, doubling
 * table geometry). A heap with I/O filters opens fine; fetching managed or huge objects from it
 * is then H5K_EUNSUPPORTED (tiny objects still work). Errors: H5K_ECORRUPT, H5K_EIO,
 * H5K_ENOMEM. */
int h5k_fheap_open(h5k_fheap **out, const h5k_fctx *f, uint64_t header_addr);
/* NULL is a no-op. */
void h5k_fheap_close(h5k_fheap *h);
/* Length in bytes of this heap's IDs (as stored in the header). */
size_t h5k_fheap_id_len(const h5k_fheap *h);
/* Fetch the object named by a heap ID (managed, huge, or tiny). *out is malloc'd (caller frees;
 * at least 1 byte is allocated even for an empty object). `id` holds id_len bytes (normally
 * h5k_fheap_id_len(h)). Errors: H5K_EINVAL (NULL arguments), H5K_ECORRUPT (malformed ID,
 * object outside its block, bad block, checksum mismatch), H5K_EUNSUPPORTED (filtered heap,
 * naming the filter), H5K_EIO, H5K_ENOMEM. */
int h5k_fheap_get(uint8_t **out, size_t *out_len, const h5k_fheap *h, const uint8_t *id, size_t id_len);

#endif
