/* Filter pipeline runner for writing chunks, and the names filters store.
 *
 * Spec: HDF5 File Format Specification 3.0, IV.A.2.l "Data Storage - Filter Pipeline Message"
 * (filter id, flags with bit 0 = optional, optional name, client data) and the chunk records'
 * filter mask (bit i set: filter i of the pipeline was not applied to this chunk).
 *
 *   applied on write:  filters[0] first .. filters[n-1] last
 *   an optional filter that cannot run (no encoder) or fails is skipped and its mask bit set;
 *   the next filter then takes the data unchanged (libhdf5's H5Z_pipeline does the same).
 *
 * At most 32 filters (the mask is 32 bits). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter/codecs.h"
#include "filter/filter.h"
#include "util/error.h"

#define MAX_FILTERS 32

/* The names as libhdf5 (built-ins), h5py (LZF) and the plugins hdf5plugin ships register them:
 * the name a pipeline message carries is the class's name. */
static const struct {
  unsigned id;
  const char *name;
} stored_names[] = {
    {H5K_FILTER_DEFLATE, "deflate"},
    {H5K_FILTER_SHUFFLE, "shuffle"},
    {H5K_FILTER_FLETCHER32, "fletcher32"},
    {H5K_FILTER_SZIP, "szip"},
    {H5K_FILTER_NBIT, "nbit"},
    {H5K_FILTER_SCALEOFFSET, "scaleoffset"},
    {H5K_FILTER_LZF, "lzf"},
    {H5K_FILTER_BLOSC, "blosc"},
    {H5K_FILTER_LZ4, "HDF5 lz4 filter; see http://www.hdfgroup.org/services/contributions.html"},
    {H5K_FILTER_BITSHUFFLE, "bitshuffle; see https://github.com/kiyo-masui/bitshuffle"},
    {H5K_FILTER_ZSTD, "Zstandard compression: http://www.zstd.net"},
};

const char *h5k_filter_stored_name(unsigned id) {
  for (size_t i = 0; i < sizeof stored_names / sizeof stored_names[0]; i++)
    if (stored_names[i].id == id) return stored_names[i].name;
  return NULL;
}

/* A class that can encode: a registered one first (if its struct reaches the encode member),
 * else the built-in. NULL if none. */
static const h5k_filter_class *find_encoder(const h5k_filter_set *set, unsigned id) {
  const h5k_filter_class *c;
  size_t need = offsetof(h5k_filter_class, encode) + sizeof(c->encode);
  if (set) {
    for (size_t i = 0; i < set->nextra; i++) {
      c = set->extra[i];
      if (c && c->id == id) return (c->struct_size >= need && c->encode) ? c : NULL;
    }
  }
  c = h5k_filter_builtin(id);
  return (c && c->encode) ? c : NULL;
}

static const char *shown_name(const h5k_filter_desc *f) {
  const char *n = h5k_filter_name(f->id);
  if (strcmp(n, "unknown") != 0) return n;
  return (f->name && f->name[0]) ? f->name : "no name stored";
}

int h5k_pipeline_encode(uint8_t **out, size_t *out_len, uint32_t *out_mask, const h5k_filter_set *set,
                        const h5k_filter_desc *filters, size_t n, const uint8_t *in, size_t in_len,
                        size_t elem_size) {
  uint8_t *owned = NULL; /* output of the last stage run */
  const uint8_t *src = in;
  size_t src_len = in_len;
  uint32_t mask = 0;
  int rc = 0;

  if (!out || !out_len || !out_mask || (!in && in_len) || (n && !filters))
    return h5k_err(H5K_EINVAL, "pipeline: bad arguments");
  *out = NULL;
  *out_len = 0;
  *out_mask = 0;
  if (n > MAX_FILTERS) return h5k_err(H5K_EINVAL, "filter pipeline has %zu filters (at most %d)", n, MAX_FILTERS);

  for (size_t i = 0; i < n; i++) {
    const h5k_filter_desc *f = &filters[i];
    const h5k_filter_class *cls = find_encoder(set, f->id);
    int optional = (f->flags & 1) != 0;
    uint8_t *o = NULL;
    size_t olen = 0;
    int r;

    if (f->ncd && !f->cd) {
      rc = h5k_err(H5K_EINVAL, "filter %u (%s): client data missing", f->id, shown_name(f));
      goto done;
    }
    if (!cls) {
      if (optional) {
        mask |= (uint32_t)1 << i;
        continue;
      }
      rc = h5k_err(H5K_EUNSUPPORTED, "filter %u (%s) cannot be applied when writing", f->id, shown_name(f));
      goto done;
    }
    h5k_err_clear();
    r = cls->encode(&o, &olen, src, src_len, f->cd, f->ncd, elem_size);
    if (r >= 0 && !o) r = h5k_err(H5K_EINVAL, "returned no buffer");
    if (r < 0) {
      free(o);
      if (optional) { /* skipped for this chunk, as libhdf5 does */
        h5k_err_clear();
        mask |= (uint32_t)1 << i;
        continue;
      } else {
        char detail[400];
        const char *last = h5k_error_last();
        snprintf(detail, sizeof detail, "%s",
                 (h5k_error_code() == r && strcmp(last, "no error") != 0) ? last : h5k_strerror(r));
        rc = h5k_err(r, "filter %u (%s) failed: %s", f->id, shown_name(f), detail);
        goto done;
      }
    }
    free(owned);
    owned = o;
    src = o;
    src_len = olen;
  }
  if (!owned) { /* nothing ran: hand back a copy */
    owned = malloc(src_len ? src_len : 1);
    if (!owned) {
      rc = h5k_err_nomem();
      goto done;
    }
    if (src_len) memcpy(owned, src, src_len);
  }
  *out = owned;
  *out_len = src_len;
  *out_mask = mask;
  owned = NULL;

done:
  free(owned);
  return rc;
}
