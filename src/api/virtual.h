/* Virtual datasets: the mapping list and reads through it (see virtual.c). */
#ifndef H5K_API_VIRTUAL_H
#define H5K_API_VIRTUAL_H

#include "h5kit.h"
#include "object/dataset.h"

typedef struct h5k_vmap {
  char *file;             /* source file name ("." = the virtual dataset's own file) */
  char *dset;             /* source dataset path */
  uint8_t *src_sel, *vir_sel; /* serialized selections (owned) */
  size_t src_len, vir_len;
} h5k_vmap;

typedef struct h5k_vmaps {
  size_t n;
  h5k_vmap *m;
} h5k_vmaps;

int h5k_vmaps_load(h5k_vmaps *out, const h5k_fctx *f, uint64_t heap_addr, uint32_t index);
void h5k_vmaps_free(h5k_vmaps *v);

/* Read the points of u from a virtual dataset (vd: its decoded header; vf: its file). */
int h5k_virtual_read(const h5k_vmaps *maps, const h5k_dset *vd, h5k_file *vf, const h5k_coordsel *u, void *buf,
                     size_t bufsize, unsigned depth);

/* Read a coordinate selection from any dataset (virtual ones included). */
int h5k_dataset_read_coords_internal(const h5k_dataset *ds, const h5k_coordsel *cs, void *buf, size_t bufsize,
                                     unsigned depth);

#endif
