/* Datasets: the read engine. Decodes a dataset's header once (datatype, dataspace, layout,
 * filter pipeline, fill value, external files) and reads hyperslab selections from every layout:
 * compact, contiguous (also in external files), chunked (all indexes; chunks fetched with pread and
 * decoded in parallel), with fill values for unallocated storage. */
#ifndef H5K_OBJECT_DATASET_H
#define H5K_OBJECT_DATASET_H

#include "filter/filter.h"
#include "format/fctx.h"
#include "format/layout.h"
#include "format/object_header.h"

/* What the engine needs of its surroundings (from the public handle). */
typedef struct h5k_read_env {
  const h5k_fctx *f;
  const h5k_filter_set *filters;
  unsigned nthreads;
  const char *file_path;   /* for external data files; NULL for memory images */
} h5k_read_env;

typedef struct h5k_dset {
  h5k_read_env env;
  uint64_t addr;
  h5k_datatype *type;
  h5k_dataspace space;
  h5k_layout layout;
  h5k_pline pline;
  h5k_fill fill;
  h5k_efl efl;
  h5k_chunk_geom geom;
  size_t esize;            /* bytes per element (file representation) */
  uint8_t *fill_elem;      /* one element of fill (esize bytes), NULL = zeros */
} h5k_dset;

/* Decode the dataset whose header is oh. */
int h5k_dset_open(h5k_dset *out, const h5k_read_env *env, const h5k_ohdr *oh);
void h5k_dset_close(h5k_dset *d);

/* A selection as one sorted list of coordinates per dimension; the selected points are their
 * Cartesian product, in C order. Every hyperslab is one; so are the selections of virtual
 * dataset mappings that h5kit reads. */
typedef struct h5k_coordsel {
  unsigned rank;                  /* 0 for a scalar */
  uint64_t total;                 /* elements selected (product of n) */
  uint64_t n[H5K_MAX_DIMS];       /* coordinates per dimension */
  uint64_t *coord[H5K_MAX_DIMS];  /* owned, strictly increasing */
  uint64_t ostride[H5K_MAX_DIMS]; /* stride of each dimension in the output (elements) */
} h5k_coordsel;
void h5k_coordsel_free(h5k_coordsel *s);
/* Fill ostride from n. */
void h5k_coordsel_strides(h5k_coordsel *s);
/* Build the coordinate lists of a hyperslab (NULL: everything) on an extent, checked against it
 * (the writer uses it too). With no element selected, no list is allocated. */
int h5k_coordsel_build(h5k_coordsel *out, const h5k_dataspace *sp, const h5k_selection *sel);
/* Build the coordinate lists of a hyperslab (NULL: everything) on the dataset's extent. */
int h5k_dset_plan(h5k_coordsel *out, const h5k_dset *d, const h5k_selection *sel);
/* Read the points of a coordinate selection (checked against the extent) in C order. */
int h5k_dset_read_coords(const h5k_dset *d, const h5k_coordsel *s, void *buf, size_t bufsize);

/* Elements selected (NULL: all), validated against the extent. */
int h5k_dset_sel_count(uint64_t *out, const h5k_dset *d, const h5k_selection *sel);
/* Read raw elements (file representation) of the selection into buf, C order. */
int h5k_dset_read_raw(const h5k_dset *d, const h5k_selection *sel, void *buf, size_t bufsize);

int h5k_dset_chunk_iterate(const h5k_dset *d, h5k_chunk_cb cb, void *ud);
int h5k_dset_read_chunk(size_t *out_size, uint32_t *out_mask, const h5k_dset *d, const uint64_t *offset, void *buf,
                        size_t bufsize);

#endif
