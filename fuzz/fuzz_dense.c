/* Fuzz target: dense storage — fractal heaps (HDF5 File Format Specification 3.0, III.G: header
 * "FRHP", indirect blocks "FHIB", direct blocks "FHDB", managed/huge/tiny heap IDs) and version 2
 * B-trees (III.A.2: "BTHD", "BTIN", "BTLF"), the pair behind dense links and dense attributes.
 *
 *   input:  off  size  field
 *           0    8     little-endian fractal heap header address (mod image size)
 *           8    8     little-endian v2 B-tree header address (mod image size)
 *           16   32    heap ID bytes: two IDs (at 16 and at 32) fetched directly, and a name
 *                      hash (the first 4) searched in the B-tree
 *           48   ...   image read through a hand-made file context (base 0, sizes 8/8)
 *
 * Every record of the B-tree is visited; records of the link/attribute types (5, 6, 8, 9) are
 * decoded and their heap IDs fetched from the heap, and the fetched bytes are decoded as the link
 * or attribute message they should hold. Seeds are whole small files with the addresses of a real
 * dense group's (or dense attribute set's) heap and name-index B-tree. */
#include "fuzz_util.h"
#include "format/btree2.h"
#include "format/fractal_heap.h"

#define MAX_RECORDS 4096

typedef struct walk {
  const h5k_fctx *f;
  const h5k_fheap *heap;
  unsigned type;
  unsigned long n;
} walk;

/* Fetch a heap object; id is copied into an exact-size buffer so an over-read is caught. */
static void fetch(const walk *w, const uint8_t *id, size_t id_len, unsigned as_msg) {
  uint8_t *obj = NULL, *copy;
  size_t obj_len = 0;
  if (!w->heap) return;
  copy = malloc(id_len ? id_len : 1);
  if (!copy) return;
  memcpy(copy, id, id_len);
  if (h5k_fheap_get(&obj, &obj_len, w->heap, copy, id_len) == 0) {
    if (!obj) fz_fail("h5k_fheap_get returned 0 and no buffer");
    fz_touch(obj, obj_len);
    if (as_msg) fz_decode_msg(as_msg, 0, obj, obj_len, w->f);
    free(obj);
  }
  fz_touch_str(h5k_error_last());
  free(copy);
}

static int on_record(void *ud, const uint8_t *rec, size_t rec_size) {
  walk *w = ud;
  fz_touch(rec, rec_size);
  if (w->type == H5K_BT2_LINK_NAME || w->type == H5K_BT2_LINK_CORDER) {
    h5k_bt2_link_rec lr;
    if (h5k_bt2_decode_link_rec(&lr, w->type, rec, rec_size) == 0)
      fetch(w, lr.heap_id, H5K_BT2_LINK_HEAP_ID_LEN, H5K_MSG_LINK);
  } else if (w->type == H5K_BT2_ATTR_NAME || w->type == H5K_BT2_ATTR_CORDER) {
    h5k_bt2_attr_rec ar;
    if (h5k_bt2_decode_attr_rec(&ar, w->type, rec, rec_size) == 0)
      fetch(w, ar.heap_id, H5K_BT2_ATTR_HEAP_ID_LEN, H5K_MSG_ATTR);
  }
  return ++w->n >= MAX_RECORDS ? 1 : 0;
}

typedef struct search {
  unsigned type;
  uint32_t hash;
} search;

static int cmp_hash(void *ud, const uint8_t *rec) {
  const search *s = ud;
  uint32_t h;
  /* both searched types keep the hash where h5k_bt2_decode_*_rec says; read it through them */
  if (s->type == H5K_BT2_LINK_NAME) {
    h5k_bt2_link_rec lr;
    if (h5k_bt2_decode_link_rec(&lr, s->type, rec, H5K_BT2_LINK_HEAP_ID_LEN + 4) != 0) return 0;
    h = lr.hash;
  } else {
    h5k_bt2_attr_rec ar;
    if (h5k_bt2_decode_attr_rec(&ar, s->type, rec, H5K_BT2_ATTR_HEAP_ID_LEN + 9) != 0) return 0;
    h = ar.hash;
  }
  return s->hash < h ? -1 : s->hash > h ? 1 : 0;
}

static int on_found(void *ud, const uint8_t *rec, size_t rec_size) {
  (void)ud;
  fz_touch(rec, rec_size);
  return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  h5k_fctx f;
  h5k_io *io;
  h5k_fheap *heap = NULL;
  h5k_bt2_hdr hdr;
  const uint8_t *img;
  size_t len;
  uint64_t heap_addr = 0, bt2_addr = 0;
  walk w;
  if (size < 49) return 0;
  for (int i = 7; i >= 0; i--) {
    heap_addr = heap_addr << 8 | data[i];
    bt2_addr = bt2_addr << 8 | data[8 + i];
  }
  img = data + 48;
  len = size - 48;
  heap_addr %= len;
  bt2_addr %= len;
  io = h5k_io_open_memory(img, len);
  if (!io) return 0;
  fz_fctx_init(&f, io, len);

  memset(&w, 0, sizeof w);
  w.f = &f;
  if (h5k_fheap_open(&heap, &f, heap_addr) == 0) {
    size_t id_len = h5k_fheap_id_len(heap);
    w.heap = heap;
    /* two IDs straight from the input (zero-padded when the heap's IDs are longer) */
    if (id_len > 0 && id_len <= 4096) {
      uint8_t *id = calloc(1, id_len);
      if (id) {
        memcpy(id, data + 16, id_len < 32 ? id_len : 32);
        fetch(&w, id, id_len, 0);
        memset(id, 0, id_len);
        memcpy(id, data + 32, id_len < 16 ? id_len : 16);
        fetch(&w, id, id_len, 0);
        free(id);
      }
    }
  }
  fz_touch_str(h5k_error_last());

  if (h5k_bt2_read_header(&hdr, &f, bt2_addr) == 0) {
    w.type = hdr.type;
    (void)h5k_bt2_iterate(&f, bt2_addr, hdr.type, on_record, &w);
    if (hdr.type == H5K_BT2_LINK_NAME || hdr.type == H5K_BT2_ATTR_NAME) {
      search s;
      s.type = hdr.type;
      s.hash = (uint32_t)data[16] | (uint32_t)data[17] << 8 | (uint32_t)data[18] << 16 |
               (uint32_t)data[19] << 24;
      if (hdr.rec_size >= (hdr.type == H5K_BT2_LINK_NAME ? 11 : 17))
        (void)h5k_bt2_find(&f, bt2_addr, hdr.type, cmp_hash, on_found, &s);
    }
  }
  fz_touch_str(h5k_error_last());
  h5k_fheap_close(heap);
  h5k_io_close(io);
  return 0;
}
