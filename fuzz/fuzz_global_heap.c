/* Fuzz target: global heap collections (spec III.E "Global Heap"; format/global_heap.h) and the
 * variable-length element that names a heap object (IV.A.2.d class 9).
 *
 *   offset  size  field
 *   0       1     bits 0-1: sizes of offsets/lengths 8/8, 4/4, 2/2, 8/4
 *   1       4+O+4 a variable-length element: length, collection address (O bytes), object index
 *   ...     ...   image: address 0 of the file context
 *
 * The element is parsed (h5k_vlen_parse); its collection is read (h5k_gcol_read), every object
 * the collection lists is found again (h5k_gcol_find) and read, then the element's object is
 * fetched both ways (h5k_gcol_find, h5k_gheap_get). The first "GCOL" signature in the image is
 * read as a collection too, so mutations of a collection are seen even when the element's
 * address is wrong. */
#include "format/global_heap.h"
#include "fuzz_util.h"

/* First occurrence of "GCOL" in p[0..n), or NULL. */
static const uint8_t *find_sig(const uint8_t *p, size_t n) {
  for (size_t i = 0; i + 4 <= n; i++)
    if (p[i] == 'G' && p[i + 1] == 'C' && p[i + 2] == 'O' && p[i + 3] == 'L') return p + i;
  return NULL;
}

static void one_collection(const h5k_fctx *f, uint64_t addr, uint32_t index) {
  h5k_gcol c;
  const uint8_t *p;
  size_t len;
  uint8_t *obj = NULL;
  memset(&c, 0, sizeof c);
  if (h5k_gcol_read(&c, f, addr) == 0) {
    if (c.size && !c.data) fz_fail("collection with a size and no data");
    if (c.nobjs && !c.objs) fz_fail("collection with objects count but no objects");
    for (size_t i = 0; i < c.nobjs; i++) {
      if (c.objs[i].off > c.size || c.objs[i].size > c.size - c.objs[i].off)
        fz_fail("heap object outside its collection");
      if (i && c.objs[i].index <= c.objs[i - 1].index) fz_fail("heap objects not sorted by index");
      if (h5k_gcol_find(&p, &len, &c, c.objs[i].index) != 0) fz_fail("listed heap object not found");
      fz_touch(p, len);
    }
    if (h5k_gcol_find(&p, &len, &c, index) == 0) fz_touch(p, len);
  }
  h5k_gcol_free(&c);
  fz_touch_str(h5k_error_last());
  if (h5k_gheap_get(&obj, &len, f, addr, index) == 0) {
    if (len && !obj) fz_fail("heap object with a length and no bytes");
    fz_touch(obj, len);
    free(obj);
  }
  fz_touch_str(h5k_error_last());
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const unsigned sizes[4][2] = {{8, 8}, {4, 4}, {2, 2}, {8, 4}};
  h5k_io *io;
  h5k_fctx f;
  size_t esize, base;
  uint32_t len = 0, index = 0;
  uint64_t coll = 0;
  const uint8_t *sig;
  if (size < 1) return 0;
  io = h5k_io_open_memory(data, size);
  if (!io) return 0;
  fz_fctx_init(&f, io, 0);
  f.so = sizes[data[0] & 3][0];
  f.sl = sizes[data[0] & 3][1];
  esize = h5k_vlen_elem_size(&f);
  if (size < 1 + esize) goto done;
  base = 1 + esize;
  f.base = base;
  f.eof = f.limit = size - base;
  if (h5k_vlen_parse(&len, &coll, &index, data + 1, esize, &f) == 0 && len != 0)
    one_collection(&f, coll, index);
  fz_touch_str(h5k_error_last());
  sig = find_sig(data + base, size - base);
  if (sig) one_collection(&f, (uint64_t)(sig - (data + base)), index ? index : 1);
done:
  h5k_io_close(io);
  return 0;
}
