/* Fuzz target: the dataset storage message decoders of format/layout.h — Data Layout (spec
 * IV.A.2.i, 0x0008), Filter Pipeline (IV.A.2.l, 0x000B), Fill Value old and new (IV.A.2.e 0x0004,
 * IV.A.2.f 0x0005) and External Data Files (IV.A.2.h, 0x0007, whose names live in a local heap).
 *
 *   input: | selector (1) | rank (1) | body length L (2) | message body (L) | image ... |
 *
 *   selector bits 0-2: 0 layout, 1 pipeline, 2 old fill value, 3 fill value, 4 external files,
 *                      5-7 layout again (the richest decoder)
 *   selector bits 6-7: sizes of offsets/lengths 8/8, 4/4, 2/2, 8/4 (as fuzz_messages)
 *   rank: the dataspace rank handed to the layout decoder (modulo 33)
 *
 * The image after the body is address 0 of the file context, so the local heap of an external
 * file list is read from it (seeds carry the file the message came from). Every decoded field is read back; the decoder's promises
 * (rank <= 32, filter count <= H5K_MAX_FILTERS, owned buffers of the stated sizes) are checked. */
#include "format/layout.h"
#include "fuzz_util.h"

static void check_layout(const uint8_t *p, size_t len, const h5k_fctx *f, unsigned rank) {
  h5k_layout l;
  memset(&l, 0, sizeof l);
  if (h5k_decode_layout(&l, p, len, f, rank) != 0) return;
  if (l.rank > H5K_MAX_DIMS) fz_fail("layout rank above H5K_MAX_DIMS");
  if (l.cls == H5K_LAYOUT_COMPACT) {
    if (l.compact_size && !l.compact) fz_fail("compact layout with a size and no data");
    if (l.compact_size > len) fz_fail("compact data larger than the message");
    fz_touch(l.compact, (size_t)l.compact_size);
  }
  fz_touch(&l, sizeof l);
  h5k_layout_clear(&l);
}

static void check_pline(const uint8_t *p, size_t len) {
  h5k_pline pl;
  memset(&pl, 0, sizeof pl);
  if (h5k_decode_pline(&pl, p, len) != 0) return;
  if (pl.n > H5K_MAX_FILTERS) fz_fail("pipeline with more than H5K_MAX_FILTERS filters");
  for (size_t i = 0; i < pl.n; i++) {
    if (pl.filters[i].ncd && !pl.filters[i].cd) fz_fail("filter with client data count but no values");
    fz_touch_str(pl.filters[i].name);
    fz_touch(pl.filters[i].cd, pl.filters[i].ncd * sizeof(uint32_t));
  }
  h5k_pline_clear(&pl);
}

static void check_fill(unsigned type, const uint8_t *p, size_t len) {
  h5k_fill fv;
  memset(&fv, 0, sizeof fv);
  if (h5k_decode_fill(&fv, type, p, len) != 0) return;
  if (fv.size > len) fz_fail("fill value larger than the message");
  if (fv.size && !fv.value) fz_fail("fill value with a size and no bytes");
  fz_touch(fv.value, fv.size);
  fz_sink ^= (uint8_t)(fv.alloc_time ^ fv.fill_time ^ fv.defined);
  h5k_fill_clear(&fv);
}

static void check_efl(const uint8_t *p, size_t len, const h5k_fctx *f) {
  h5k_efl e;
  memset(&e, 0, sizeof e);
  if (h5k_decode_efl(&e, p, len, f) != 0) return;
  if (e.n && !e.e) fz_fail("external file list with entries count but no entries");
  for (size_t i = 0; i < e.n; i++) {
    if (!e.e[i].name) fz_fail("external file entry without a name");
    fz_touch_str(e.e[i].name);
    fz_sink ^= (uint8_t)(e.e[i].offset ^ e.e[i].size);
  }
  h5k_efl_clear(&e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const unsigned sizes[4][2] = {{8, 8}, {4, 4}, {2, 2}, {8, 4}};
  h5k_io *io;
  h5k_fctx f;
  unsigned sel, rank;
  const uint8_t *p;
  size_t len;
  if (size < 4) return 0;
  sel = data[0];
  rank = data[1] % 33;
  len = (size_t)data[2] | (size_t)data[3] << 8;
  if (len > size - 4) return 0;
  p = data + 4;
  io = h5k_io_open_memory(data, size);
  if (!io) return 0;
  fz_fctx_init(&f, io, size - 4 - len);
  f.base = 4 + len;
  f.so = sizes[sel >> 6][0];
  f.sl = sizes[sel >> 6][1];
  switch (sel & 7) {
  case 1: check_pline(p, len); break;
  case 2: check_fill(H5K_MSG_FILLVALUE_OLD, p, len); break;
  case 3: check_fill(H5K_MSG_FILLVALUE, p, len); break;
  case 4: check_efl(p, len, &f); break;
  default: check_layout(p, len, &f, rank); break;
  }
  fz_touch_str(h5k_error_last());
  h5k_io_close(io);
  return 0;
}
