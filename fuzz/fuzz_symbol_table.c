/* Fuzz target: old-style groups (HDF5 File Format Specification 3.0, III.A.1 version 1 B-tree of
 * node type 0, III.B symbol table nodes "SNOD", III.C symbol table entries, III.D local heap).
 *
 *   input:  off  size  field
 *           0    8     little-endian B-tree address (mod image size)
 *           8    8     little-endian local heap address (mod image size)
 *           16   ...   image read through a hand-made file context (base 0, sizes 8/8, K 4/16)
 *
 * The group is iterated in full (every name and soft-link value is read), then looked up by name
 * twice: once for a name the iteration returned and once for a name that sorts after all. Seeds
 * are whole small files with the addresses of a real group's B-tree and heap. */
#include "fuzz_util.h"
#include "format/symbol_table.h"

typedef struct walk {
  char name[64]; /* a name seen during iteration (truncated copies are fine for a lookup) */
  unsigned long n;
} walk;

static int on_entry(void *ud, const h5k_symentry *e) {
  walk *w = ud;
  if (!e->name) fz_fail("symbol table entry without a name");
  fz_touch_str(e->name);
  fz_touch_str(e->soft_target);
  if (e->cache_type == H5K_CACHE_SOFT && !e->soft_target) fz_fail("cached soft link without a value");
  fz_sink ^= (uint8_t)(e->obj_addr ^ e->btree_addr ^ e->heap_addr ^ e->cache_type);
  if ((w->n++ & 1) == 0) {
    strncpy(w->name, e->name, sizeof w->name - 1);
    w->name[sizeof w->name - 1] = 0;
  }
  return 0;
}

static int on_found(void *ud, const h5k_symentry *e) {
  (void)ud;
  fz_touch_str(e->name);
  fz_touch_str(e->soft_target);
  return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  h5k_fctx f;
  h5k_io *io;
  const uint8_t *img;
  size_t len;
  uint64_t btree = 0, heap = 0;
  walk w;
  if (size < 17) return 0;
  for (int i = 7; i >= 0; i--) {
    btree = btree << 8 | data[i];
    heap = heap << 8 | data[8 + i];
  }
  img = data + 16;
  len = size - 16;
  btree %= len;
  heap %= len;
  io = h5k_io_open_memory(img, len);
  if (!io) return 0;
  fz_fctx_init(&f, io, len);
  memset(&w, 0, sizeof w);
  (void)h5k_symtab_iterate(&f, btree, heap, on_entry, &w);
  fz_touch_str(h5k_error_last());
  if (w.n) (void)h5k_symtab_find(&f, btree, heap, w.name, on_found, NULL);
  (void)h5k_symtab_find(&f, btree, heap, "\x7f\x7f not there", on_found, NULL);
  (void)h5k_symtab_find(&f, btree, heap, "", NULL, NULL);
  fz_touch_str(h5k_error_last());
  h5k_io_close(io);
  return 0;
}
