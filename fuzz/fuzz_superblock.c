/* Fuzz target: superblock (HDF5 File Format Specification 3.0, II.A "Superblock", versions 0-3,
 * with the driver information block II.B and the superblock extension) and the shared message
 * table it may name (III.I). The input is a whole file image in memory; h5k_superblock_read
 * searches the signature at 0, 512, 1024, ... and fills a file context, then h5k_sohm_load reads
 * the SOHM table if the extension points to one.
 *
 *   input: | file image (any length) |
 */
#include "fuzz_util.h"
#include "format/shared.h"
#include "format/superblock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  h5k_fctx f;
  h5k_io *io = h5k_io_open_memory(data, size);
  if (!io) return 0;
  memset(&f, 0, sizeof f);
  if (h5k_superblock_read(&f, io) == 0) {
    if (f.so < 2 || f.so > 8 || f.sl < 2 || f.sl > 8) fz_fail("superblock sizes outside 2..8");
    if (f.limit > f.eof) fz_fail("readable limit beyond declared end of file");
    if (f.base > size) fz_fail("base address beyond the image");
    fz_sink ^= (uint8_t)(f.root ^ f.ext ^ f.driver ^ f.root_btree ^ f.root_heap ^ f.sohm_table);
    fz_sink ^= (uint8_t)(f.sym_leaf_k ^ f.btree_k_group ^ f.btree_k_chunk ^ f.sb_version);
    if (h5k_sohm_load(&f) == 0) fz_sink ^= (uint8_t)f.sohm_nindexes;
    h5k_sohm_free(f.sohm);
    f.sohm = NULL;
  }
  h5k_io_close(io);
  return 0;
}
