/* Fuzz target: the chunk indexes of format/layout.h (spec IV.A.2.i "Data Layout Message" version
 * 3/4 index types; III.A.1 v1 B-tree type 1 nodes; III.H fixed array; III.G extensible array;
 * III.A.2 v2 B-tree record types 10 and 11; single chunk and implicit indexes) through
 * h5k_chunk_index_iterate and h5k_chunk_index_lookup, with a file context over an image and an
 * h5k_layout built from a fixed header (the checks the layout decoder and the dataset layer make
 * are applied here too, so the index code sees only what it can see in the library):
 *
 *   offset  size  field
 *   0       1     index type (modulo 6: v1 B-tree, single, implicit, fixed array, extensible
 *                 array, v2 B-tree)
 *   1       1     rank - 1 (modulo 4: rank 1..4)
 *   2       1     bit 0: filtered (a pipeline exists), bits 1-2: layout flags (v4)
 *   3       1     element size (0 counts as 1)
 *   4       6     index parameters (fixed array page bits; extensible array max bits, index
 *                 elements, data block min elements, super block min pointers, page bits; v2
 *                 B-tree node size (low byte, x 64), split %, merge %), reduced to valid ranges
 *   10      4     single chunk: filtered size
 *   14      4     single chunk: filter mask
 *   18      8     index address (relative to the image; all ones = undefined)
 *   26      40    4 x (dimension size (4), maximum size (4, 0xFFFFFFFF = unlimited),
 *                 chunk size (2, 0 counts as 1))
 *   66      8     4 x scaled coordinate (2) for one extra lookup
 *   74      6     reserved
 *   80      ...   image (address 0 of the file context)
 *
 * Sizes of offsets and lengths are 8. Iteration stops after MAX_CHUNKS records; the first
 * record, the origin, the extra coordinates and a point past the extent are looked up. */
#include "format/layout.h"
#include "fuzz_util.h"

#define HDR 80
#define MAX_CHUNKS 20000

typedef struct walk {
  unsigned rank;
  unsigned long n;
  int have_first;
  h5k_chunk_rec first;
} walk;

static int on_rec(void *ud, const h5k_chunk_rec *r) {
  walk *w = ud;
  fz_touch(r, sizeof *r);
  if (!w->have_first) {
    w->first = *r;
    w->have_first = 1;
  }
  return ++w->n >= MAX_CHUNKS ? 1 : 0;
}

static uint64_t le(const uint8_t *p, unsigned n) {
  uint64_t v = 0;
  for (unsigned i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
  return v;
}

static unsigned pow2_at_least1(unsigned v) {
  unsigned p = 1;
  while (p < v && p < 128) p <<= 1;
  return p;
}

static void lookup(const h5k_fctx *f, const h5k_chunk_geom *g, const uint64_t *scaled) {
  h5k_chunk_rec r;
  memset(&r, 0, sizeof r);
  if (h5k_chunk_index_lookup(&r, f, g, scaled) == 0) fz_touch(&r, sizeof r);
  fz_touch_str(h5k_error_last());
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  h5k_io *io;
  h5k_fctx f;
  h5k_layout l;
  h5k_chunk_geom g;
  walk w;
  uint64_t bytes, scaled[H5K_MAX_DIMS];
  unsigned esize;
  const uint8_t *ip;
  if (size < HDR) return 0;
  memset(scaled, 0, sizeof scaled);
  memset(&l, 0, sizeof l);
  memset(&g, 0, sizeof g);
  l.cls = H5K_LAYOUT_CHUNKED;
  l.index = (h5k_chunk_index)(data[0] % 6);
  l.version = l.index == H5K_CHUNK_INDEX_BTREE1 ? 3 : 4;
  l.rank = data[1] % 4 + 1;
  l.flags = l.version == 4 ? (data[2] >> 1) & 3 : 0;
  esize = data[3] ? data[3] : 1;
  l.elem_size = esize;
  ip = data + 4;
  switch (l.index) {
  case H5K_CHUNK_INDEX_FARRAY:
    l.ia_params[0] = ip[0] % 32 + 1;
    break;
  case H5K_CHUNK_INDEX_EARRAY:
    l.ia_params[0] = ip[0] % 64 + 1;                 /* max bits */
    l.ia_params[1] = ip[1] ? ip[1] : 1;              /* index block elements */
    l.ia_params[2] = pow2_at_least1(ip[2]);          /* data block min elements */
    l.ia_params[3] = pow2_at_least1(ip[3]);          /* super block min pointers */
    l.ia_params[4] = ip[4] % 32 + 1;                 /* page bits */
    break;
  case H5K_CHUNK_INDEX_BTREE2:
    l.ia_params[0] = (unsigned)ip[0] * 64;
    l.ia_params[1] = ip[1];
    l.ia_params[2] = ip[2];
    break;
  default:
    break;
  }
  if (l.index == H5K_CHUNK_INDEX_SINGLE && (l.flags & 2)) {
    l.single_size = le(data + 10, 4);
    l.single_mask = (uint32_t)le(data + 14, 4);
  }
  l.addr = le(data + 18, 8);
  g.layout = &l;
  g.rank = l.rank;
  g.filtered = data[2] & 1;
  bytes = esize;
  for (unsigned i = 0; i < l.rank; i++) {
    const uint8_t *d = data + 26 + 10 * i;
    uint64_t dim = le(d, 4), max = le(d + 4, 4), ch = le(d + 8, 2);
    g.dims[i] = dim;
    g.maxdims[i] = max == 0xFFFFFFFFu ? H5K_UNLIMITED : max < dim ? dim : max;
    l.chunk[i] = ch ? ch : 1;
    bytes *= l.chunk[i]; /* at most 255 x 65535^4: no overflow */
    scaled[i] = le(data + 66 + 2 * i, 2);
  }
  if (bytes > ((uint64_t)1 << 30)) return 0; /* the dataset layer refuses chunks over 1 GiB */
  g.chunk_bytes = bytes;
  io = h5k_io_open_memory(data, size);
  if (!io) return 0;
  fz_fctx_init(&f, io, size - HDR);
  f.base = HDR;
  if (addr_defined(l.addr) && !fctx_range_ok(&f, l.addr, 1)) goto done; /* the layout decoder's check */

  memset(&w, 0, sizeof w);
  w.rank = l.rank;
  (void)h5k_chunk_index_iterate(&f, &g, on_rec, &w);
  fz_touch_str(h5k_error_last());
  if (w.have_first) lookup(&f, &g, w.first.scaled);
  lookup(&f, &g, scaled);
  memset(scaled, 0, sizeof scaled);
  lookup(&f, &g, scaled);
  for (unsigned i = 0; i < l.rank; i++) scaled[i] = g.dims[i] / l.chunk[i] + 1;
  lookup(&f, &g, scaled);
done:
  h5k_io_close(io);
  return 0;
}
