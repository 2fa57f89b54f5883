/* Filter pipeline runner for reading chunks, and the registry of built-in filters.
 *
 * Spec: HDF5 File Format Specification 3.0, IV.A.2.l "Data Storage - Filter Pipeline Message"
 * (the stored list: filter id, flags with bit 0 = optional, optional name, client data values)
 * and III.A.1/III.B chunk records (the per-chunk filter mask: bit i set means filter i of the
 * pipeline was not applied to that chunk).
 *
 *   filter pipeline as stored:  filters[0] .. filters[n-1]   (applied on write in this order)
 *   undone on read:             filters[n-1] first, filters[0] last, skipping masked ones
 *
 * Optional filters on read: the reference library treats the optional flag as a write-side
 * notion only (an optional filter that fails while writing is recorded in the chunk's mask).
 * When reading, a filter that is not masked must be available and must succeed, optional or
 * not; h5kit does the same: an unknown unmasked filter is H5K_EUNSUPPORTED and a decode failure
 * is an error, whatever the flags.
 *
 * At most 32 filters (the mask is 32 bits; the reference library's own limit). Every stage's
 * output is bounded by filter_out_cap(expect_len) and the last one must be exactly expect_len. */
#include "filter/filter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter/codecs.h"
#include "util/error.h"

#define MAX_FILTERS 32

static const h5k_filter_class *const builtin_table[] = {
    &h5k_filter_class_deflate, &h5k_filter_class_shuffle, &h5k_filter_class_fletcher32,
    &h5k_filter_class_szip,    &h5k_filter_class_nbit,    &h5k_filter_class_scaleoffset,
    &h5k_filter_class_lzf,     &h5k_filter_class_blosc,   &h5k_filter_class_lz4,
    &h5k_filter_class_bitshuffle, &h5k_filter_class_zstd,
};

const h5k_filter_class *h5k_filter_builtin(unsigned id) {
  for (size_t i = 0; i < sizeof builtin_table / sizeof builtin_table[0]; i++)
    if (builtin_table[i]->id == id) return builtin_table[i];
  return NULL;
}

/* Names of the built-ins and of some well-known registered filters we do not implement, so
 * that an error can say what is missing. */
static const struct {
  unsigned id;
  const char *name;
} known_names[] = {
    {1, "deflate"},        {2, "shuffle"},      {3, "fletcher32"}, {4, "szip"},
    {5, "nbit"},           {6, "scaleoffset"},  {305, "lzo"},      {307, "bzip2"},
    {32000, "lzf"},        {32001, "blosc"},    {32002, "mafisc"}, {32004, "lz4"},
    {32008, "bitshuffle"}, {32013, "zfp"},      {32015, "zstd"},   {32017, "sz"},
    {32018, "fcidecomp"},  {32019, "jpeg"},     {32024, "sz3"},    {32026, "blosc2"},
};

const char *h5k_filter_name(unsigned id) {
  for (size_t i = 0; i < sizeof known_names / sizeof known_names[0]; i++)
    if (known_names[i].id == id) return known_names[i].name;
  return "unknown";
}

/* Name used in messages: ours when we know the id, else the stored one. */
static const char *display_name(const h5k_filter_desc *f) {
  const char *n = h5k_filter_name(f->id);
  if (strcmp(n, "unknown") != 0) return n;
  return (f->name && f->name[0]) ? f->name : "no name stored";
}

static const h5k_filter_class *find_class(const h5k_filter_set *set, unsigned id) {
  if (set) {
    for (size_t i = 0; i < set->nextra; i++) {
      const h5k_filter_class *c = set->extra[i];
      if (c && c->id == id && c->struct_size >= sizeof(h5k_filter_class) && c->decode) return c;
    }
  }
  return h5k_filter_builtin(id);
}

/* Re-issue the decoder's error with the filter named in front (the decoder said what went
 * wrong; this says where). */
static int filter_failed(int rc, const h5k_filter_desc *f) {
  char detail[400];
  const char *last = h5k_error_last();
  if (h5k_error_code() == rc && strcmp(last, "no error") != 0)
    snprintf(detail, sizeof detail, "%s", last);
  else
    snprintf(detail, sizeof detail, "%s", h5k_strerror(rc));
  return h5k_err(rc, "filter %u (%s) failed: %s", f->id, display_name(f), detail);
}

/* Undo the active filters of the pipeline in reverse order. On success *owned is the buffer of
 * the last stage run (NULL if none ran) and *src / *src_len the current data (in, or *owned). */
static int run_stages(uint8_t **owned_out, const uint8_t **src_out, size_t *len_out, const h5k_filter_set *set,
                      const h5k_filter_desc *filters, size_t n, uint32_t mask, const uint8_t *in, size_t in_len,
                      size_t expect_len, size_t elem_size) {
  uint8_t *owned = NULL; /* output of the last stage run, if any */
  const uint8_t *src = in;
  size_t src_len = in_len;
  size_t cap = filter_out_cap(expect_len);
  int rc = 0;

  for (size_t i = n; i-- > 0;) {
    const h5k_filter_desc *f = &filters[i];
    const h5k_filter_class *cls;
    uint8_t *o = NULL;
    size_t olen = 0;

    if (mask & ((uint32_t)1 << i)) continue;
    if (f->ncd && !f->cd) {
      rc = h5k_err(H5K_EINVAL, "filter %u (%s): client data missing", f->id, display_name(f));
      goto fail;
    }
    cls = find_class(set, f->id);
    if (!cls) {
      rc = h5k_err(H5K_EUNSUPPORTED, "unknown filter %u (%s)", f->id,
                   (f->name && f->name[0]) ? f->name : h5k_filter_name(f->id));
      goto fail;
    }
    h5k_err_clear();
    rc = cls->decode(&o, &olen, src, src_len, f->cd, f->ncd, expect_len, elem_size);
    if (rc < 0) {
      free(o);
      rc = filter_failed(rc, f);
      goto fail;
    }
    rc = 0;
    if (!o) {
      rc = h5k_err(H5K_EINVAL, "filter %u (%s) returned no buffer", f->id, display_name(f));
      goto fail;
    }
    if (olen > cap) {
      free(o);
      rc = h5k_err(H5K_ELIMIT, "filter %u (%s) produced %zu bytes for a chunk of %zu bytes", f->id,
                   display_name(f), olen, expect_len);
      goto fail;
    }
    free(owned);
    owned = o;
    src = o;
    src_len = olen;
  }
  *owned_out = owned;
  *src_out = src;
  *len_out = src_len;
  return 0;
fail:
  free(owned);
  return rc;
}

static int check_args(const h5k_filter_desc *filters, size_t n, const uint8_t *in, size_t in_len) {
  if ((!in && in_len) || (n && !filters)) return h5k_err(H5K_EINVAL, "pipeline: bad arguments");
  if (n > MAX_FILTERS) return corrupt("filter pipeline has %zu filters (at most %d)", n, MAX_FILTERS);
  return 0;
}

int h5k_pipeline_decode(uint8_t **out, size_t *out_len, const h5k_filter_set *set, const h5k_filter_desc *filters,
                        size_t n, uint32_t mask, const uint8_t *in, size_t in_len, size_t expect_len,
                        size_t elem_size) {
  uint8_t *owned = NULL;
  const uint8_t *src;
  size_t src_len;
  int rc;

  if (!out || !out_len) return h5k_err(H5K_EINVAL, "pipeline: bad arguments");
  *out = NULL;
  *out_len = 0;
  TRY(check_args(filters, n, in, in_len));
  TRY(run_stages(&owned, &src, &src_len, set, filters, n, mask, in, in_len, expect_len, elem_size));
  if (src_len != expect_len) {
    rc = corrupt("chunk decodes to %zu bytes, expected %zu", src_len, expect_len);
    goto done;
  }
  if (!owned) { /* no filter ran: hand back a copy */
    owned = malloc(src_len ? src_len : 1);
    if (!owned) {
      rc = h5k_err_nomem();
      goto done;
    }
    if (src_len) memcpy(owned, src, src_len);
  }
  *out = owned;
  *out_len = src_len;
  owned = NULL;
  rc = 0;

done:
  free(owned);
  return rc;
}

/* The built-in decoders that can write into a given buffer. */
static h5k_decode_into_fn into_for(const h5k_filter_class *cls) {
  if (cls == &h5k_filter_class_deflate) return h5k_deflate_decode_into;
  if (cls == &h5k_filter_class_shuffle) return h5k_shuffle_decode_into;
  if (cls == &h5k_filter_class_lz4) return h5k_lz4_decode_into;
  if (cls == &h5k_filter_class_bitshuffle) return h5k_bitshuffle_decode_into;
  return NULL;
}

int h5k_pipeline_decode_into(uint8_t *dst, size_t dst_len, const h5k_filter_set *set, const h5k_filter_desc *filters,
                             size_t n, uint32_t mask, const uint8_t *in, size_t in_len, size_t elem_size,
                             unsigned flags) {
  size_t last = n;
  h5k_decode_into_fn into = NULL;
  uint8_t *owned = NULL;
  const uint8_t *src;
  size_t src_len;
  int rc;

  if (!dst && dst_len) return h5k_err(H5K_EINVAL, "pipeline: bad arguments");
  TRY(check_args(filters, n, in, in_len));
  for (size_t i = 0; i < n && last == n; i++)
    if (!(mask & ((uint32_t)1 << i))) last = i; /* the stage undone last */
  if (last < n && !(filters[last].ncd && !filters[last].cd)) into = into_for(find_class(set, filters[last].id));
  if (!into) {
    TRY(h5k_pipeline_decode(&owned, &src_len, set, filters, n, mask, in, in_len, dst_len, elem_size));
    if (src_len) memcpy(dst, owned, src_len);
    free(owned);
    return 0;
  }
  /* Every stage but the last as usual, then the last one straight into dst. */
  TRY(run_stages(&owned, &src, &src_len, set, filters, n, mask | ((uint32_t)1 << last), in, in_len, dst_len,
                 elem_size));
  h5k_err_clear();
  rc = into(dst, dst_len, src, src_len, filters[last].cd, filters[last].ncd, elem_size, flags);
  if (rc < 0) rc = filter_failed(rc, &filters[last]);
  free(owned);
  return rc < 0 ? rc : 0;
}
