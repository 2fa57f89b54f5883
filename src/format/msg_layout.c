/* Dataset storage messages — HDF5 File Format Specification 3.0, section IV.A.2:
 *   IV.A.2.i  Data Layout (0x0008), versions 1-4 (5 is read as 4)
 *   IV.A.2.l  Filter Pipeline (0x000B), versions 1 and 2
 *   IV.A.2.e  Fill Value, old (0x0004)       IV.A.2.f  Fill Value (0x0005), versions 1-3
 *   IV.A.2.h  External Data Files (0x0007)
 * (O = size of offsets, L = size of lengths.)
 *
 * Data Layout, versions 1 and 2
 *   0  version   1  dimensionality n   2  layout class (0 compact, 1 contiguous, 2 chunked)
 *   3  reserved (5)
 *   8  address (O; absent for compact)
 *   .  n x dimension size (4 each). Chunked: chunk dims, the last being the element size.
 *      Contiguous: the dataset dims (the reference library also appended the element size).
 *   .  compact only: data size (4), then the data
 * Data Layout, version 3 and 4: 0 version, 1 layout class, then per class:
 *   compact     size (2), data
 *   contiguous  address (O), size (L)
 *   chunked v3  dimensionality n (1), B-tree address (O), n x dim (4); last dim = element size
 *   chunked v4  flags (1: bit 0 don't filter partial edge chunks, bit 1 single chunk filtered),
 *               dimensionality n (1), dimension size width w (1, 1..8), n x dim (w),
 *               index type (1: 1 single, 2 implicit, 3 fixed array, 4 extensible array,
 *               5 v2 B-tree), index parameters, index address (O). Parameters:
 *                 single:     filtered chunk size (L) and filter mask (4), if flags bit 1
 *                 implicit:   none
 *                 fixed:      page bits (1)
 *                 extensible: max bits, index elements, min pointers (super block min data
 *                             pointers), min elements (data block min elements), page bits (1 each)
 *                 v2 B-tree:  node size (4), split percent (1), merge percent (1)
 *   virtual (v4) global heap collection address (O), object index (4)
 *
 * Filter Pipeline version 1                      version 2
 *   0 version 1 nfilters 2 reserved (6)            0 version 1 nfilters
 *   per filter: id (2), name length (2),           per filter: id (2), name length (2, only
 *     flags (2), ncd (2), name (length, a            if id >= 256), flags (2), ncd (2), name
 *     multiple of 8, NUL-padded), ncd x cd (4),      (length bytes, if id >= 256), ncd x cd (4)
 *     4 bytes of padding when ncd is odd
 *
 * Fill Value, old (0x0004): size (4), value (size bytes).
 * Fill Value (0x0005)
 *   v1/v2: version, allocation time (1), fill write time (1), defined (1), then size (4) and
 *          value: always in v1, only when defined in v2.
 *   v3:    version, flags (1: bits 0-1 allocation time, 2-3 fill write time, bit 4 undefined,
 *          bit 5 value present), size (4) and value when bit 5 is set.
 *
 * External Data Files (0x0007): version (1), reserved (3), allocated slots (2), used slots (2),
 *   local heap address (O), then per used slot: name offset in the heap (L), offset in the
 *   file (L), size (L; all ones = unlimited).
 */
#include "format/layout.h"

#include <stdlib.h>
#include <string.h>

#include "format/local_heap.h"
#include "format/messages.h"
#include "util/checked.h"
#include "util/error.h"

/* ---- layout ------------------------------------------------------------------------------------- */

void h5k_layout_clear(h5k_layout *l) {
  if (!l) return;
  free(l->compact);
  memset(l, 0, sizeof *l);
}

/* Common checks on chunk dims (ndims stored = rank + 1, the last being the element size). */
static int set_chunk_dims(h5k_layout *l, const uint64_t *d, unsigned ndims, unsigned rank) {
  if (ndims < 2 || ndims > H5K_MAX_RANK + 1)
    return corrupt("layout message: chunked dimensionality %u out of range 2..%d", ndims, H5K_MAX_RANK + 1);
  if (ndims - 1 != rank)
    return corrupt("layout message: chunk rank %u differs from the dataspace rank %u", ndims - 1, rank);
  l->rank = ndims - 1;
  for (unsigned i = 0; i < ndims; i++) {
    if (d[i] == 0) return corrupt("layout message: chunk dimension %u is zero", i);
  }
  for (unsigned i = 0; i < l->rank; i++) l->chunk[i] = d[i];
  l->elem_size = d[ndims - 1];
  return 0;
}

static int decode_layout_v12(h5k_layout *l, h5k_cur *c, const h5k_fctx *f, unsigned rank) {
  unsigned ndims = rd_u8(c);
  unsigned cls = rd_u8(c);
  uint64_t d[H5K_MAX_RANK + 1];
  cur_skip(c, 5);
  if (c->err) return corrupt("layout message truncated");
  if (cls > 2) return corrupt("layout message version %u: unknown layout class %u", l->version, cls);
  if (ndims < 1 || ndims > H5K_MAX_RANK + 1)
    return corrupt("layout message: dimensionality %u out of range", ndims);
  l->cls = (h5k_layout_class)cls;
  l->addr = H5K_ADDR_UNDEF;
  if (cls != H5K_LAYOUT_COMPACT) l->addr = rd_addr(c, f);
  for (unsigned i = 0; i < ndims; i++) d[i] = rd_le32(c);
  if (c->err) return corrupt("layout message truncated (dimensionality %u)", ndims);
  if (cls == H5K_LAYOUT_CHUNKED) {
    TRY(set_chunk_dims(l, d, ndims, rank));
  } else if (cls == H5K_LAYOUT_CONTIGUOUS) {
    /* Not stored: the product of the stored dims (which the reference library wrote with the
     * element size appended). The dataspace x datatype size is the better source. */
    uint64_t n = 1;
    for (unsigned i = 0; i < ndims; i++) {
      if (ck_mul64(n, d[i], &n)) return corrupt("layout message: contiguous size overflows");
    }
    l->size = n;
  } else {
    uint32_t sz = rd_le32(c);
    const uint8_t *q = rd_ptr(c, sz);
    if (c->err) return corrupt("layout message: compact data (%u bytes) runs past the message", sz);
    l->compact_size = sz;
    l->compact = malloc(sz ? sz : 1);
    if (!l->compact) return h5k_err_nomem();
    if (sz) memcpy(l->compact, q, sz);
  }
  return 0;
}

static int decode_chunked_v4(h5k_layout *l, h5k_cur *c, const h5k_fctx *f, unsigned rank) {
  unsigned flags = rd_u8(c), ndims = rd_u8(c), w = rd_u8(c), type;
  uint64_t d[H5K_MAX_RANK + 1];
  if (c->err) return corrupt("layout message truncated");
  if (flags & ~3u) return corrupt("layout message: unknown chunked flags 0x%02x", flags);
  if (w < 1 || w > 8) return corrupt("layout message: dimension size width %u out of range 1..8", w);
  if (ndims < 2 || ndims > H5K_MAX_RANK + 1)
    return corrupt("layout message: chunked dimensionality %u out of range", ndims);
  for (unsigned i = 0; i < ndims; i++) d[i] = rd_uvar(c, w);
  type = rd_u8(c);
  if (c->err) return corrupt("layout message truncated (dimensionality %u, width %u)", ndims, w);
  TRY(set_chunk_dims(l, d, ndims, rank));
  l->flags = flags;
  switch (type) {
  case 1:
    l->index = H5K_CHUNK_INDEX_SINGLE;
    if (flags & 2) {
      l->single_size = rd_len(c, f);
      l->single_mask = rd_le32(c);
    }
    break;
  case 2:
    l->index = H5K_CHUNK_INDEX_IMPLICIT;
    break;
  case 3:
    l->index = H5K_CHUNK_INDEX_FARRAY;
    l->ia_params[0] = rd_u8(c);
    if (!c->err && (l->ia_params[0] == 0 || l->ia_params[0] > 32))
      return corrupt("layout message: fixed array page bits %u out of range", l->ia_params[0]);
    break;
  case 4: {
    /* stored: max bits, index elements, min pointers, min elements, page bits;
     * kept in ia_params as: max bits, index elements, min elements, min pointers, page bits */
    unsigned maxb = rd_u8(c), idx = rd_u8(c), minp = rd_u8(c), mine = rd_u8(c), pageb = rd_u8(c);
    if (c->err) break;
    if (maxb == 0 || maxb > 64 || idx == 0 || minp == 0 || mine == 0 || pageb == 0 || pageb > 32 ||
        (minp & (minp - 1)) || (mine & (mine - 1)))
      return corrupt("layout message: bad extensible array parameters (%u, %u, %u, %u, %u)", maxb, idx, minp,
                     mine, pageb);
    l->ia_params[0] = maxb;
    l->ia_params[1] = idx;
    l->ia_params[2] = mine;
    l->ia_params[3] = minp;
    l->ia_params[4] = pageb;
    l->index = H5K_CHUNK_INDEX_EARRAY;
    break;
  }
  case 5:
    l->index = H5K_CHUNK_INDEX_BTREE2;
    l->ia_params[0] = rd_le32(c);
    l->ia_params[1] = rd_u8(c);
    l->ia_params[2] = rd_u8(c);
    break;
  default:
    return corrupt("layout message: unknown chunk index type %u", type);
  }
  l->addr = rd_addr(c, f);
  if (c->err) return corrupt("layout message truncated (chunk index type %u)", type);
  return 0;
}

int h5k_decode_layout(h5k_layout *out, const uint8_t *p, size_t len, const h5k_fctx *f, unsigned rank) {
  h5k_cur c;
  h5k_layout l;
  int rc = 0;
  memset(out, 0, sizeof *out);
  memset(&l, 0, sizeof l);
  l.addr = H5K_ADDR_UNDEF;
  cur_init(&c, p, len);
  l.version = rd_u8(&c);
  if (c.err) return corrupt("layout message empty");
  if (l.version == 0 || l.version > 5)
    return l.version == 0 ? corrupt("layout message: invalid version 0")
                          : h5k_err(H5K_EUNSUPPORTED, "layout message version %u is not supported", l.version);
  if (l.version <= 2) {
    rc = decode_layout_v12(&l, &c, f, rank);
  } else {
    unsigned cls = rd_u8(&c);
    if (c.err) return corrupt("layout message truncated");
    if (cls == H5K_LAYOUT_COMPACT) {
      unsigned sz = rd_le16(&c);
      const uint8_t *q = rd_ptr(&c, sz);
      if (c.err) return corrupt("layout message: compact data (%u bytes) runs past the message", sz);
      l.cls = H5K_LAYOUT_COMPACT;
      l.compact_size = sz;
      l.compact = malloc(sz ? sz : 1);
      if (!l.compact) return h5k_err_nomem();
      if (sz) memcpy(l.compact, q, sz);
    } else if (cls == H5K_LAYOUT_CONTIGUOUS) {
      l.cls = H5K_LAYOUT_CONTIGUOUS;
      l.addr = rd_addr(&c, f);
      l.size = rd_len(&c, f);
      if (c.err) return corrupt("layout message truncated (contiguous)");
    } else if (cls == H5K_LAYOUT_CHUNKED) {
      l.cls = H5K_LAYOUT_CHUNKED;
      if (l.version == 3) {
        unsigned ndims = rd_u8(&c);
        uint64_t d[H5K_MAX_RANK + 1];
        if (c.err) return corrupt("layout message truncated");
        if (ndims < 2 || ndims > H5K_MAX_RANK + 1)
          return corrupt("layout message: chunked dimensionality %u out of range", ndims);
        l.addr = rd_addr(&c, f);
        for (unsigned i = 0; i < ndims; i++) d[i] = rd_le32(&c);
        if (c.err) return corrupt("layout message truncated (dimensionality %u)", ndims);
        rc = set_chunk_dims(&l, d, ndims, rank);
        l.index = H5K_CHUNK_INDEX_BTREE1;
      } else {
        rc = decode_chunked_v4(&l, &c, f, rank);
      }
    } else if (cls == H5K_LAYOUT_VIRTUAL && l.version >= 4) {
      l.cls = H5K_LAYOUT_VIRTUAL;
      l.vds_heap_addr = rd_addr(&c, f);
      l.vds_heap_index = rd_le32(&c);
      if (c.err) return corrupt("layout message truncated (virtual)");
    } else {
      return corrupt("layout message version %u: unknown layout class %u", l.version, cls);
    }
  }
  if (rc < 0) goto done;
  /* Validate addresses and sizes against the file. */
  if (l.cls == H5K_LAYOUT_CONTIGUOUS && addr_defined(l.addr) && l.version >= 3 && !fctx_range_ok(f, l.addr, l.size)) {
    rc = corrupt("layout message: contiguous data at %llu (%llu bytes) lies outside the file",
                 (unsigned long long)l.addr, (unsigned long long)l.size);
    goto done;
  }
  if (l.cls == H5K_LAYOUT_CHUNKED && addr_defined(l.addr) && !fctx_range_ok(f, l.addr, 1)) {
    rc = corrupt("layout message: chunk index address %llu lies outside the file", (unsigned long long)l.addr);
    goto done;
  }
  if (l.cls == H5K_LAYOUT_VIRTUAL && addr_defined(l.vds_heap_addr) && !fctx_range_ok(f, l.vds_heap_addr, 1)) {
    rc = corrupt("layout message: virtual dataset heap address %llu lies outside the file",
                 (unsigned long long)l.vds_heap_addr);
    goto done;
  }
  *out = l;
  return 0;
done:
  h5k_layout_clear(&l);
  return rc;
}

/* ---- filter pipeline ---------------------------------------------------------------------------- */

void h5k_pline_clear(h5k_pline *pl) {
  if (!pl) return;
  for (size_t i = 0; i < pl->n && i < H5K_MAX_FILTERS; i++) {
    free((void *)pl->filters[i].name);
    free((void *)pl->filters[i].cd);
  }
  memset(pl, 0, sizeof *pl);
}

int h5k_decode_pline(h5k_pline *out, const uint8_t *p, size_t len) {
  h5k_cur c;
  h5k_pline pl;
  unsigned nfilters;
  int rc = 0;
  memset(out, 0, sizeof *out);
  memset(&pl, 0, sizeof pl);
  cur_init(&c, p, len);
  pl.version = rd_u8(&c);
  nfilters = rd_u8(&c);
  if (c.err) return corrupt("filter pipeline message truncated (%zu bytes)", len);
  if (pl.version != 1 && pl.version != 2)
    return pl.version == 0 ? corrupt("filter pipeline message: invalid version 0")
                           : h5k_err(H5K_EUNSUPPORTED, "filter pipeline message version %u is not supported",
                                     pl.version);
  if (nfilters > H5K_MAX_FILTERS)
    return corrupt("filter pipeline message: %u filters (at most %d)", nfilters, H5K_MAX_FILTERS);
  if (pl.version == 1) cur_skip(&c, 6);
  for (unsigned i = 0; i < nfilters; i++) {
    h5k_filter_desc *fd = &pl.filters[i];
    unsigned id = rd_le16(&c), namelen = 0, ncd;
    const uint8_t *name = NULL;
    uint32_t *cd = NULL;
    if (pl.version == 1 || id >= 256) namelen = rd_le16(&c);
    fd->id = id;
    fd->flags = rd_le16(&c);
    ncd = rd_le16(&c);
    if (namelen) name = rd_ptr(&c, namelen);
    if (c.err) {
      rc = corrupt("filter pipeline message truncated in filter %u", i);
      goto done;
    }
    if (pl.version == 1 && (namelen % 8) != 0) {
      rc = corrupt("filter pipeline message: filter %u name length %u is not a multiple of 8", i, namelen);
      goto done;
    }
    pl.n = i + 1; /* from here on filter i owns what it holds */
    if (name) {
      size_t n = strnlen((const char *)name, namelen);
      fd->name = h5k_msg_strndup(name, n);
      if (!fd->name) {
        rc = h5k_err_nomem();
        goto done;
      }
    }
    if (ncd) {
      cd = malloc(ncd * sizeof *cd);
      if (!cd) {
        rc = h5k_err_nomem();
        goto done;
      }
      for (unsigned k = 0; k < ncd; k++) cd[k] = rd_le32(&c);
      fd->cd = cd;
      fd->ncd = ncd;
    }
    if (pl.version == 1 && (ncd & 1)) cur_skip(&c, 4);
    if (c.err) {
      rc = corrupt("filter pipeline message: client data of filter %u (id %u, %u values) truncated", i, id, ncd);
      goto done;
    }
  }
  *out = pl;
  return 0;
done:
  h5k_pline_clear(&pl);
  return rc;
}

/* ---- fill value --------------------------------------------------------------------------------- */

void h5k_fill_clear(h5k_fill *fv) {
  if (!fv) return;
  free(fv->value);
  memset(fv, 0, sizeof *fv);
}

static int fill_value(h5k_fill *fv, h5k_cur *c) {
  uint32_t sz = rd_le32(c);
  const uint8_t *q = rd_ptr(c, sz);
  if (c->err) return corrupt("fill value message: value of %u bytes runs past the message", sz);
  fv->size = sz;
  fv->defined = sz > 0;
  if (sz) {
    fv->value = malloc(sz);
    if (!fv->value) return h5k_err_nomem();
    memcpy(fv->value, q, sz);
  }
  return 0;
}

int h5k_decode_fill(h5k_fill *out, unsigned type, const uint8_t *p, size_t len) {
  h5k_cur c;
  h5k_fill fv;
  int rc;
  memset(out, 0, sizeof *out);
  memset(&fv, 0, sizeof fv);
  cur_init(&c, p, len);
  if (type == H5K_MSG_FILLVALUE_OLD) {
    fv.version = 0;
    fv.fill_time = 2; /* the old message: written "if set" */
    rc = fill_value(&fv, &c);
  } else if (type == H5K_MSG_FILLVALUE) {
    fv.version = rd_u8(&c);
    if (c.err) return corrupt("fill value message empty");
    if (fv.version == 1 || fv.version == 2) {
      unsigned defined;
      fv.alloc_time = rd_u8(&c);
      fv.fill_time = rd_u8(&c);
      defined = rd_u8(&c);
      if (c.err) return corrupt("fill value message truncated (%zu bytes)", len);
      if (fv.alloc_time > 3 || fv.fill_time > 2 || defined > 2)
        return corrupt("fill value message: bad allocation time %u, fill time %u or defined flag %u", fv.alloc_time,
                       fv.fill_time, defined);
      rc = 0;
      fv.undefined = defined == 0;
      /* v1 always stores the size (spec IV.A.2.f); v2 only when a value is defined. */
      if (fv.version == 1 ? cur_left(&c) >= 4 : defined != 0) rc = fill_value(&fv, &c);
    } else if (fv.version == 3) {
      unsigned flags = rd_u8(&c);
      if (c.err) return corrupt("fill value message truncated (%zu bytes)", len);
      if (flags & ~0x3fu) return corrupt("fill value message: unknown flags 0x%02x", flags);
      if ((flags & 0x30) == 0x30) return corrupt("fill value message: both undefined and present flags set");
      fv.alloc_time = flags & 3;
      fv.fill_time = (flags >> 2) & 3;
      if (fv.fill_time > 2) return corrupt("fill value message: fill time %u", fv.fill_time);
      fv.undefined = (flags & 0x10) != 0;
      rc = (flags & 0x20) ? fill_value(&fv, &c) : 0;
    } else {
      return fv.version == 0 ? corrupt("fill value message: invalid version 0")
                             : h5k_err(H5K_EUNSUPPORTED, "fill value message version %u is not supported", fv.version);
    }
  } else {
    return h5k_err(H5K_EINVAL, "fill value decoder: message type %u", type);
  }
  if (rc < 0) {
    h5k_fill_clear(&fv);
    return rc;
  }
  *out = fv;
  return 0;
}

/* ---- external data files ------------------------------------------------------------------------ */

void h5k_efl_clear(h5k_efl *e) {
  if (!e) return;
  for (size_t i = 0; i < e->n; i++) free(e->e[i].name);
  free(e->e);
  e->e = NULL;
  e->n = 0;
}

int h5k_decode_efl(h5k_efl *out, const uint8_t *p, size_t len, const h5k_fctx *f) {
  h5k_cur c;
  h5k_efl efl = {0, NULL};
  h5k_lheap heap;
  unsigned version, nalloc, nused;
  uint64_t heap_addr, unlim;
  int rc = 0;
  memset(out, 0, sizeof *out);
  memset(&heap, 0, sizeof heap);
  cur_init(&c, p, len);
  version = rd_u8(&c);
  cur_skip(&c, 3);
  nalloc = rd_le16(&c);
  nused = rd_le16(&c);
  heap_addr = rd_addr(&c, f);
  if (c.err) return corrupt("external file list message truncated (%zu bytes)", len);
  if (version != 1) return corrupt("external file list message: unknown version %u", version);
  if (nused > nalloc) return corrupt("external file list message: %u slots used of %u allocated", nused, nalloc);
  if (nused && (size_t)nused * 3 * f->sl > cur_left(&c))
    return corrupt("external file list message: %u slots do not fit in %zu bytes", nused, len);
  if (nused == 0) {
    *out = efl;
    return 0;
  }
  TRY(h5k_lheap_read(&heap, f, heap_addr));
  efl.e = calloc(nused, sizeof *efl.e);
  if (!efl.e) {
    rc = h5k_err_nomem();
    goto done;
  }
  unlim = f->sl >= 8 ? UINT64_MAX : (UINT64_C(1) << (8 * f->sl)) - 1;
  for (unsigned i = 0; i < nused; i++) {
    uint64_t name_off = rd_len(&c, f);
    const char *name;
    efl.e[i].offset = rd_len(&c, f);
    efl.e[i].size = rd_len(&c, f);
    if (efl.e[i].size == unlim) efl.e[i].size = H5K_UNLIMITED;
    if (c.err) {
      rc = corrupt("external file list message truncated at slot %u", i);
      goto done;
    }
    rc = h5k_lheap_string(&name, &heap, name_off);
    if (rc < 0) goto done;
    efl.e[i].name = h5k_msg_strndup((const uint8_t *)name, strlen(name));
    if (!efl.e[i].name) {
      rc = h5k_err_nomem();
      goto done;
    }
    efl.n = i + 1;
    if (efl.e[i].size == H5K_UNLIMITED && i + 1 != nused) {
      rc = corrupt("external file list message: slot %u of %u is unlimited but not the last", i, nused);
      goto done;
    }
  }
  *out = efl;
  efl.e = NULL;
  efl.n = 0;
done:
  h5k_efl_clear(&efl);
  h5k_lheap_free(&heap);
  return rc;
}

/* ==== encoders ======================================================================================= */

int h5k_encode_layout(h5k_wbuf *w, const h5k_layout *l, const h5k_fctx *f) {
  if (!w || !l || !f) return h5k_err(H5K_EINVAL, "encode layout: NULL argument");
  if (l->version != 3 && l->version != 4)
    return h5k_err(H5K_EINVAL, "encode layout: version %u (3 or 4 can be written)", l->version);
  wr_u8(w, l->version);
  wr_u8(w, (unsigned)l->cls);
  switch (l->cls) {
  case H5K_LAYOUT_COMPACT:
    if (l->compact_size > 0xffff || (l->compact_size && !l->compact))
      return h5k_err(H5K_EINVAL, "encode layout: compact data of %llu bytes", (unsigned long long)l->compact_size);
    wr_le16(w, l->compact_size);
    wr_bytes(w, l->compact, (size_t)l->compact_size);
    break;
  case H5K_LAYOUT_CONTIGUOUS:
    wr_addr(w, f, l->addr);
    wr_len(w, f, l->size);
    break;
  case H5K_LAYOUT_CHUNKED: {
    unsigned ndims = l->rank + 1;
    if (l->rank == 0 || l->rank > H5K_MAX_RANK || l->elem_size == 0)
      return h5k_err(H5K_EINVAL, "encode layout: chunked rank %u, element size %llu", l->rank,
                     (unsigned long long)l->elem_size);
    if (l->version == 3) {
      wr_u8(w, ndims);
      wr_addr(w, f, l->addr);
      for (unsigned i = 0; i < l->rank; i++) {
        if (l->chunk[i] == 0 || l->chunk[i] > UINT32_MAX)
          return h5k_err(H5K_EINVAL, "encode layout: chunk dimension %u is %llu", i, (unsigned long long)l->chunk[i]);
        wr_le32(w, l->chunk[i]);
      }
      if (l->elem_size > UINT32_MAX) return h5k_err(H5K_EINVAL, "encode layout: element size too large");
      wr_le32(w, l->elem_size);
    } else {
      uint64_t maxd = l->elem_size;
      unsigned width;
      if (l->flags & ~3u) return h5k_err(H5K_EINVAL, "encode layout: chunked flags 0x%x", l->flags);
      for (unsigned i = 0; i < l->rank; i++) {
        if (l->chunk[i] == 0) return h5k_err(H5K_EINVAL, "encode layout: chunk dimension %u is 0", i);
        if (l->chunk[i] > maxd) maxd = l->chunk[i];
      }
      width = bytes_for(maxd);
      wr_u8(w, l->flags);
      wr_u8(w, ndims);
      wr_u8(w, width);
      for (unsigned i = 0; i < l->rank; i++) wr_uvar(w, l->chunk[i], width);
      wr_uvar(w, l->elem_size, width);
      switch (l->index) {
      case H5K_CHUNK_INDEX_SINGLE:
        wr_u8(w, 1);
        if (l->flags & 2) {
          wr_len(w, f, l->single_size);
          wr_le32(w, l->single_mask);
        }
        break;
      case H5K_CHUNK_INDEX_IMPLICIT:
        wr_u8(w, 2);
        break;
      case H5K_CHUNK_INDEX_FARRAY:
        wr_u8(w, 3);
        wr_u8(w, l->ia_params[0]);
        break;
      case H5K_CHUNK_INDEX_EARRAY:
        /* ia_params: max bits, index elements, data block min elements, super block min data
         * pointers, page bits; stored with the last two minimums swapped (see the decoder). */
        wr_u8(w, 4);
        wr_u8(w, l->ia_params[0]);
        wr_u8(w, l->ia_params[1]);
        wr_u8(w, l->ia_params[3]);
        wr_u8(w, l->ia_params[2]);
        wr_u8(w, l->ia_params[4]);
        break;
      case H5K_CHUNK_INDEX_BTREE2:
        wr_u8(w, 5);
        wr_le32(w, l->ia_params[0]);
        wr_u8(w, l->ia_params[1]);
        wr_u8(w, l->ia_params[2]);
        break;
      default:
        return h5k_err(H5K_EINVAL, "encode layout: chunk index %u in a version 4 layout", (unsigned)l->index);
      }
    }
    if (l->version == 4) wr_addr(w, f, l->addr);
    break;
  }
  case H5K_LAYOUT_VIRTUAL:
    if (l->version != 4) return h5k_err(H5K_EINVAL, "encode layout: virtual layout needs version 4");
    wr_addr(w, f, l->vds_heap_addr);
    wr_le32(w, l->vds_heap_index);
    break;
  default:
    return h5k_err(H5K_EINVAL, "encode layout: class %u", (unsigned)l->cls);
  }
  return wbuf_status(w);
}

int h5k_encode_pline(h5k_wbuf *w, const h5k_pline *pl) {
  if (!w || !pl) return h5k_err(H5K_EINVAL, "encode filter pipeline: NULL argument");
  if (pl->version != 1 && pl->version != 2) return h5k_err(H5K_EINVAL, "encode filter pipeline: version %u", pl->version);
  if (pl->n > H5K_MAX_FILTERS) return h5k_err(H5K_EINVAL, "encode filter pipeline: %zu filters", pl->n);
  wr_u8(w, pl->version);
  wr_u8(w, (unsigned)pl->n);
  if (pl->version == 1) wr_zero(w, 6);
  for (size_t i = 0; i < pl->n; i++) {
    const h5k_filter_desc *fd = &pl->filters[i];
    int with_name = pl->version == 1 || fd->id >= 256;
    size_t nlen = (with_name && fd->name) ? strlen(fd->name) + 1 : 0, field = nlen;
    if (pl->version == 1) field = (nlen + 7) & ~(size_t)7;
    if (fd->id > 0xffff || fd->flags > 0xffff || fd->ncd > 0xffff || field > 0xffff || (fd->ncd && !fd->cd))
      return h5k_err(H5K_EINVAL, "encode filter pipeline: filter %zu (id %u) out of range", i, fd->id);
    wr_le16(w, fd->id);
    if (with_name) wr_le16(w, field);
    wr_le16(w, fd->flags);
    wr_le16(w, fd->ncd);
    if (nlen) {
      wr_bytes(w, fd->name, nlen);
      wr_zero(w, field - nlen);
    }
    for (size_t k = 0; k < fd->ncd; k++) wr_le32(w, fd->cd[k]);
    if (pl->version == 1 && (fd->ncd & 1)) wr_zero(w, 4);
  }
  return wbuf_status(w);
}

int h5k_encode_fill(h5k_wbuf *w, const h5k_fill *fv, unsigned version) {
  if (!w || !fv) return h5k_err(H5K_EINVAL, "encode fill value: NULL argument");
  if (version < 1 || version > 3) return h5k_err(H5K_EINVAL, "encode fill value: version %u", version);
  if (fv->alloc_time > 3 || fv->fill_time > 2 || fv->size > UINT32_MAX || (fv->size && !fv->value))
    return h5k_err(H5K_EINVAL, "encode fill value: allocation time %u, fill time %u or size out of range",
                   fv->alloc_time, fv->fill_time);
  wr_u8(w, version);
  /* No value (size 0) is written as libhdf5's "default" fill value (zeros): v1/v2 with the
   * defined byte 1 and size 0, v3 with neither the undefined nor the value-present flag; an
   * undefined one (fv->undefined, no value) as v1/v2 defined byte 0 (v1 then size 0), v3 flag
   * bit 4. */
  int undef = fv->undefined && fv->size == 0;
  if (version < 3) {
    wr_u8(w, fv->alloc_time);
    wr_u8(w, fv->fill_time);
    wr_u8(w, undef ? 0 : 1);
    if (!undef || version == 1) {
      wr_le32(w, fv->size);
      wr_bytes(w, fv->value, fv->size);
    }
  } else {
    unsigned flags = fv->alloc_time | fv->fill_time << 2;
    if (fv->size > 0) flags |= 0x20;
    else if (undef) flags |= 0x10;
    wr_u8(w, flags);
    if (fv->size > 0) {
      wr_le32(w, fv->size);
      wr_bytes(w, fv->value, fv->size);
    }
  }
  return wbuf_status(w);
}

int h5k_encode_fill_old(h5k_wbuf *w, const uint8_t *value, size_t size) {
  if (!w || (size && !value) || size > UINT32_MAX) return h5k_err(H5K_EINVAL, "encode old fill value: bad argument");
  wr_le32(w, size);
  wr_bytes(w, value, size);
  return wbuf_status(w);
}

int h5k_encode_efl(h5k_wbuf *w, const h5k_efl *efl, size_t nalloc, uint64_t heap_addr, const uint64_t *name_offsets,
                   const h5k_fctx *f) {
  if (!w || !efl || !f || (efl->n && !name_offsets)) return h5k_err(H5K_EINVAL, "encode external file list: NULL argument");
  if (nalloc < efl->n || nalloc > 0xffff) return h5k_err(H5K_EINVAL, "encode external file list: %zu slots for %zu files",
                                                         nalloc, efl->n);
  wr_u8(w, 1);
  wr_zero(w, 3);
  wr_le16(w, nalloc);
  wr_le16(w, efl->n);
  wr_addr(w, f, heap_addr);
  for (size_t i = 0; i < efl->n; i++) {
    wr_len(w, f, name_offsets[i]);
    wr_len(w, f, efl->e[i].offset);
    wr_len(w, f, efl->e[i].size == H5K_UNLIMITED ? UINT64_MAX : efl->e[i].size);
  }
  return wbuf_status(w);
}
