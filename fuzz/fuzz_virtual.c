/* Fuzz target: virtual dataset mappings (spec IV.A.2.i "Data Layout Message" version 4, layout
 * class 3, and its global heap object "Virtual Dataset Global Heap Block"; selections of
 * IV.A.2.v? "Dataspace Selection" as serialized in that block): h5k_vmaps_load on a global heap
 * collection built around the input, then h5k_virtual_read of the whole virtual extent, which
 * parses every selection and reads the sources out of a file image from the input.
 *
 *   offset  size  field
 *   0       1     element size - 1 (modulo 16)
 *   1       1     bits 0-1: rank - 1; bit 2: take the block's checksum from the input (else the
 *                 target appends the right one, so mutations reach the decoder)
 *   2       8     4 x virtual dimension size (2 each)
 *   10      2     mapping block length M (without the checksum)
 *   12      M     the mapping block (version, entry count, entries)
 *   12+M    ...   an HDF5 file image: the file of the virtual dataset, whose datasets the
 *                 mappings name with the source file "." (other names are looked up on disk and
 *                 normally not found, which reads as the fill value)
 *
 * The collection is at address 0 of a memory image of its own (sizes 8/8): "GCOL" header, one
 * object (index 1) holding the block and its checksum. The read covers at most MAX_ELEMS
 * elements. */
#include "api/virtual.h"
#include "fuzz_util.h"
#include "util/lookup3.h"

#define MAX_ELEMS (1u << 16)

static void put_le(uint8_t *p, uint64_t v, unsigned n) {
  for (unsigned i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  h5k_vmaps maps;
  h5k_io *io = NULL;
  h5k_fctx f;
  h5k_file *vf = NULL;
  h5k_open_options opts;
  h5k_dset vd;
  h5k_coordsel u;
  uint8_t *img = NULL, *buf = NULL;
  size_t M, obj_len, img_len, esize;
  uint64_t total = 1;
  unsigned rank;
  if (size < 12) return 0;
  esize = data[0] % 16 + 1;
  rank = (data[1] & 3) + 1;
  M = (size_t)data[10] | (size_t)data[11] << 8;
  if (M > size - 12) return 0;
  /* the collection: header (16), object header (16), object data padded to 8 */
  obj_len = (data[1] & 4) ? M : M + 4;
  img_len = 32 + ((obj_len + 7) & ~(size_t)7);
  img = calloc(img_len, 1);
  if (!img) return 0;
  memcpy(img, "GCOL\1\0\0\0", 8);
  put_le(img + 8, img_len, 8);
  put_le(img + 16, 1, 2);
  put_le(img + 24, obj_len, 8);
  memcpy(img + 32, data + 12, M);
  if (!(data[1] & 4)) put_le(img + 32 + M, h5k_lookup3(data + 12, M, 0), 4);
  io = h5k_io_open_memory(img, img_len);
  if (!io) goto done;
  fz_fctx_init(&f, io, img_len);
  if (h5k_vmaps_load(&maps, &f, 0, 1) != 0) {
    fz_touch_str(h5k_error_last());
    goto done;
  }
  if (maps.n && !maps.m) fz_fail("mapping list with a count and no entries");
  for (size_t i = 0; i < maps.n; i++) {
    const h5k_vmap *m = &maps.m[i];
    if (!m->file || !m->dset) fz_fail("mapping without a source file or dataset name");
    fz_touch_str(m->file);
    fz_touch_str(m->dset);
    fz_touch(m->src_sel, m->src_len);
    fz_touch(m->vir_sel, m->vir_len);
  }
  /* read the whole virtual extent through the mappings */
  memset(&opts, 0, sizeof opts);
  opts.struct_size = sizeof opts;
  opts.nthreads = 1;
  if (h5k_open_memory(&vf, data + 12 + M, size - 12 - M, &opts) == 0) {
    memset(&vd, 0, sizeof vd);
    memset(&u, 0, sizeof u);
    vd.space.kind = H5K_SPACE_SIMPLE;
    vd.space.rank = rank;
    for (unsigned i = 0; i < rank; i++) {
      vd.space.dims[i] = vd.space.maxdims[i] = (uint64_t)data[2 + 2 * i] | (uint64_t)data[3 + 2 * i] << 8;
      total *= vd.space.dims[i];
    }
    vd.esize = esize;
    if (total <= MAX_ELEMS && h5k_dset_plan(&u, &vd, NULL) == 0) {
      buf = malloc(total ? (size_t)(total * esize) : 1);
      if (buf && h5k_virtual_read(&maps, &vd, vf, &u, buf, (size_t)(total * esize), 0) == 0)
        fz_touch(buf, (size_t)(total * esize));
      h5k_coordsel_free(&u);
    }
    fz_touch_str(h5k_error_last());
    h5k_close(vf);
  }
  h5k_vmaps_free(&maps);
done:
  free(buf);
  h5k_io_close(io);
  free(img);
  return 0;
}
