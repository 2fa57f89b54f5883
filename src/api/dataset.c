/* Public API: datasets, chunks (include/h5kit.h). A thin shell over the read engine in
 * src/object/dataset.c. */
#include <stdlib.h>
#include <string.h>

#include "api/file_impl.h"
#include "api/virtual.h"
#include "object/convert.h"
#include "object/dataset.h"
#include "object/object.h"
#include "util/checked.h"
#include "util/error.h"

#define MAX_VIRTUAL_DEPTH 8

struct h5k_dataset {
  h5k_file *file;
  h5k_dset d;
  h5k_vmaps vmaps;      /* virtual layout: the mapping list */
};


int h5k_dataset_open(h5k_dataset **out, h5k_file *f, h5k_addr addr) {
  h5k_ohdr oh;
  h5k_dataset *ds;
  h5k_read_env env;
  int rc;
  if (!out || !f) return h5k_err(H5K_EINVAL, "h5k_dataset_open: NULL argument");
  ds = calloc(1, sizeof *ds);
  if (!ds) return h5k_err_nomem();
  rc = h5k_ohdr_read(&oh, &f->fc, addr);
  if (rc < 0) {
    free(ds);
    return rc;
  }
  env.f = &f->fc;
  env.filters = &f->filters;
  env.nthreads = f->nthreads;
  env.file_path = f->path;
  rc = h5k_dset_open(&ds->d, &env, &oh);
  h5k_ohdr_free(&oh);
  if (rc < 0) {
    free(ds);
    return rc;
  }
  ds->file = f;
  if (ds->d.layout.cls == H5K_LAYOUT_VIRTUAL) {
    rc = h5k_vmaps_load(&ds->vmaps, &f->fc, ds->d.layout.vds_heap_addr, ds->d.layout.vds_heap_index);
    if (rc < 0) {
      h5k_dset_close(&ds->d);
      free(ds);
      return rc;
    }
  }
  *out = ds;
  return 0;
}

/* Virtual datasets may map other virtual datasets; a chain (or cycle) deeper than
 * MAX_VIRTUAL_DEPTH fails. */
int h5k_dataset_read_coords_internal(const h5k_dataset *ds, const h5k_coordsel *cs, void *buf, size_t bufsize,
                                     unsigned depth) {
  if (ds->d.layout.cls != H5K_LAYOUT_VIRTUAL) return h5k_dset_read_coords(&ds->d, cs, buf, bufsize);
  if (depth >= MAX_VIRTUAL_DEPTH)
    return h5k_err(H5K_ELIMIT, "virtual dataset at %llu: sources nest deeper than %d levels (cycle?)",
                   (unsigned long long)ds->d.addr, MAX_VIRTUAL_DEPTH);
  return h5k_virtual_read(&ds->vmaps, &ds->d, ds->file, cs, buf, bufsize, depth + 1);
}

void h5k_dataset_close(h5k_dataset *ds) {
  if (!ds) return;
  h5k_dset_close(&ds->d);
  h5k_vmaps_free(&ds->vmaps);
  free(ds);
}

int h5k_dataset_get_info(h5k_dataset_info *out, const h5k_dataset *ds) {
  const h5k_dset *d;
  if (!out || !ds) return h5k_err(H5K_EINVAL, "h5k_dataset_get_info: NULL argument");
  d = &ds->d;
  memset(out, 0, sizeof *out);
  out->addr = d->addr;
  out->type = d->type;
  out->space = &d->space;
  out->layout = d->layout.cls;
  if (d->layout.cls == H5K_LAYOUT_CHUNKED) {
    out->chunk_rank = d->layout.rank;
    out->edge_chunks_raw = (d->layout.flags & 1) && d->pline.n > 0;
    memcpy(out->chunk_dims, d->layout.chunk, sizeof out->chunk_dims);
    out->chunk_index = d->layout.index;
  }
  out->storage_addr = d->layout.cls == H5K_LAYOUT_CONTIGUOUS ? d->layout.addr : H5K_ADDR_UNDEF;
  out->storage_size = d->layout.cls == H5K_LAYOUT_CONTIGUOUS ? d->layout.size
                      : d->layout.cls == H5K_LAYOUT_COMPACT  ? d->layout.compact_size
                                                             : 0;
  out->nfilters = d->pline.n;
  out->filters = d->pline.filters;
  out->fill_defined = d->fill.defined;
  out->fill_value = d->fill.defined ? d->fill.value : NULL;
  out->fill_size = d->fill.defined ? d->fill.size : 0;
  out->alloc_time = d->fill.alloc_time;
  out->fill_time = d->fill.fill_time;
  out->nexternal = d->efl.n;
  out->nvirtual = ds->vmaps.n;
  return 0;
}

int h5k_dataset_get_external(const char **name, uint64_t *offset, uint64_t *size, const h5k_dataset *ds, size_t i) {
  if (!name || !offset || !size || !ds) return h5k_err(H5K_EINVAL, "h5k_dataset_get_external: NULL argument");
  if (i >= ds->d.efl.n) return h5k_err(H5K_EINVAL, "external file %zu of %zu", i, ds->d.efl.n);
  *name = ds->d.efl.e[i].name;
  *offset = ds->d.efl.e[i].offset;
  *size = ds->d.efl.e[i].size;
  return 0;
}

int h5k_dataset_get_virtual(const char **file, const char **dset, const h5k_dataset *ds, size_t i) {
  if (!file || !dset || !ds) return h5k_err(H5K_EINVAL, "h5k_dataset_get_virtual: NULL argument");
  if (i >= ds->vmaps.n) return h5k_err(H5K_EINVAL, "mapping %zu of %zu", i, ds->vmaps.n);
  *file = ds->vmaps.m[i].file;
  *dset = ds->vmaps.m[i].dset;
  return 0;
}

int h5k_dataset_get_virtual_selections(const uint8_t **vsel, size_t *vsel_len, const uint8_t **ssel,
                                       size_t *ssel_len, const h5k_dataset *ds, size_t i) {
  if (!vsel || !vsel_len || !ssel || !ssel_len || !ds) return h5k_err(H5K_EINVAL, "h5k_dataset_get_virtual_selections: NULL argument");
  if (i >= ds->vmaps.n) return h5k_err(H5K_EINVAL, "mapping %zu of %zu", i, ds->vmaps.n);
  *vsel = ds->vmaps.m[i].vir_sel;
  *vsel_len = ds->vmaps.m[i].vir_len;
  *ssel = ds->vmaps.m[i].src_sel;
  *ssel_len = ds->vmaps.m[i].src_len;
  return 0;
}

int h5k_selection_count(uint64_t *out, const h5k_dataset *ds, const h5k_selection *sel) {
  if (!out || !ds) return h5k_err(H5K_EINVAL, "h5k_selection_count: NULL argument");
  return h5k_dset_sel_count(out, &ds->d, sel);
}

int h5k_dataset_read_raw(const h5k_dataset *ds, const h5k_selection *sel, void *buf, size_t bufsize) {
  h5k_coordsel cs;
  int rc;
  uint64_t n, need;
  if (!ds || (!buf && bufsize)) return h5k_err(H5K_EINVAL, "h5k_dataset_read_raw: NULL argument");
  /* Check the buffer before building coordinate lists as long as the selection. */
  TRY(h5k_dset_sel_count(&n, &ds->d, sel));
  if (ck_mul64(n, ds->d.esize, &need) || need > bufsize)
    return h5k_err(H5K_EINVAL, "read buffer of %zu bytes is too small for %llu elements of %zu bytes", bufsize,
                   (unsigned long long)n, ds->d.esize);
  TRY(h5k_dset_plan(&cs, &ds->d, sel));
  rc = h5k_dataset_read_coords_internal(ds, &cs, buf, bufsize, 0);
  h5k_coordsel_free(&cs);
  return rc;
}

int h5k_dataset_read(const h5k_dataset *ds, const h5k_selection *sel, const h5k_datatype *mem_type, void *buf,
                     size_t bufsize) {
  uint64_t n, need, raw_bytes;
  uint8_t *raw;
  int rc;
  if (!ds || !mem_type || (!buf && bufsize)) return h5k_err(H5K_EINVAL, "h5k_dataset_read: NULL argument");
  TRY(h5k_dset_sel_count(&n, &ds->d, sel));
  if (ck_mul64(n, mem_type->size, &need) || need > bufsize)
    return h5k_err(H5K_EINVAL, "read buffer of %zu bytes is too small for %llu elements of %llu bytes", bufsize,
                   (unsigned long long)n, (unsigned long long)mem_type->size);
  if (ck_mul64(n, ds->d.esize, &raw_bytes) || raw_bytes > SIZE_MAX) return h5k_err_nomem();
  /* Numbers of the same size convert in place: read straight into the caller's buffer. */
  {
    const h5k_datatype *ft = ds->d.type;
    int numeric = (ft->cls == H5K_CLASS_INTEGER || ft->cls == H5K_CLASS_FLOAT) &&
                  (mem_type->cls == H5K_CLASS_INTEGER || mem_type->cls == H5K_CLASS_FLOAT);
    if (numeric && mem_type->size == ft->size) {
      TRY(h5k_dataset_read_raw(ds, sel, buf, (size_t)raw_bytes));
      return h5k_conv(buf, mem_type, buf, ft, (size_t)n, &ds->file->fc);
    }
  }
  /* The file representation is read whole before converting. Refuse reads whose raw form is
   * far larger than their result (e.g. a hostile "integer" of gigabytes per element). */
  if (raw_bytes > ((uint64_t)1 << 30) && raw_bytes / 16 > need)
    return h5k_err(H5K_ELIMIT, "dataset at %llu: %llu bytes of stored elements for %llu bytes of result",
                   (unsigned long long)ds->d.addr, (unsigned long long)raw_bytes, (unsigned long long)need);
  raw = malloc(raw_bytes ? (size_t)raw_bytes : 1);
  if (!raw) return h5k_err_nomem();
  rc = h5k_dataset_read_raw(ds, sel, raw, (size_t)raw_bytes);
  if (rc >= 0) rc = h5k_conv(buf, mem_type, raw, ds->d.type, (size_t)n, &ds->file->fc);
  free(raw);
  return rc;
}

int h5k_dataset_chunk_iterate(const h5k_dataset *ds, h5k_chunk_cb cb, void *ud) {
  if (!ds || !cb) return h5k_err(H5K_EINVAL, "h5k_dataset_chunk_iterate: NULL argument");
  return h5k_dset_chunk_iterate(&ds->d, cb, ud);
}

int h5k_dataset_read_chunk(size_t *out_size, uint32_t *out_mask, const h5k_dataset *ds, const uint64_t *offset,
                           void *buf, size_t bufsize) {
  if (!out_size || !out_mask || !ds || !offset) return h5k_err(H5K_EINVAL, "h5k_dataset_read_chunk: NULL argument");
  return h5k_dset_read_chunk(out_size, out_mask, &ds->d, offset, buf, bufsize);
}
