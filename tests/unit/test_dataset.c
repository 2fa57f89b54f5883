/* The dataset API beyond plain reads, on files h5py writes at test time: direct chunk reads
 * (bytes and filter mask as h5py's read_direct_chunk gives them), chunk iteration (as
 * get_chunk_info), scalar and null dataspaces, selection errors, and the error for a chunk whose
 * filter is unknown (it must name the filter id and the chunk). Without h5py the test says so
 * and passes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h5kit.h"
#include "testutil.h"

static const char *GEN =
    "import sys, numpy as np, h5py\n"
    "p = sys.argv[1]\n"
    "with h5py.File(p + '/d.h5', 'w', libver='latest') as f:\n"
    "    a = np.arange(30 * 20, dtype='<i4').reshape(30, 20)\n"
    "    d = f.create_dataset('z', data=a, chunks=(8, 5), compression='gzip', shuffle=True)\n"
    "    f.create_dataset('scalar', data=np.float64(2.5))\n"
    "    f.create_dataset('null', data=h5py.Empty('<i2'))\n"
    "    f.create_dataset('sparse', shape=(30, 20), dtype='<i4', chunks=(8, 5), fillvalue=-3)\n"
    "    f['sparse'][8:16, 5:10] = 1\n"
    "    with open(p + '/chunks.txt', 'w') as o:\n"
    "        for i in range(d.id.get_num_chunks()):\n"
    "            c = d.id.get_chunk_info(i)\n"
    "            o.write('%d %d %d %d\\n' % (c.chunk_offset[0], c.chunk_offset[1], c.byte_offset, c.size))\n"
    "    mask, raw = d.id.read_direct_chunk((8, 15))\n"
    "    open(p + '/chunk_8_15.bin', 'wb').write(raw)\n"
    "    open(p + '/chunk_8_15.mask', 'w').write(str(mask))\n"
    "# Version 1 object headers carry no checksum, so a filter id can be edited in place.\n"
    "with h5py.File(p + '/e.h5', 'w', libver='earliest') as f:\n"
    "    f.create_dataset('z', data=np.arange(600, dtype='<i4').reshape(30, 20), chunks=(8, 5), compression='gzip')\n";

typedef struct chunk_list {
  uint64_t off[64][2], addr[64], size[64];
  int n;
} chunk_list;

static int collect(void *ud, const h5k_chunk_info *c) {
  chunk_list *l = ud;
  if (l->n >= 64 || c->rank != 2) return H5K_EINVAL;
  l->off[l->n][0] = c->offset[0];
  l->off[l->n][1] = c->offset[1];
  l->addr[l->n] = c->addr;
  l->size[l->n] = c->size;
  l->n++;
  return 0;
}

static h5k_dataset *open_ds(h5k_file *f, const char *path) {
  h5k_addr addr;
  h5k_dataset *ds = NULL;
  if (h5k_resolve(&addr, f, path) != 0 || h5k_dataset_open(&ds, f, addr) != 0) return NULL;
  return ds;
}

static void test_chunks(h5k_file *f, const char *dir) {
  h5k_dataset *ds = open_ds(f, "/z");
  chunk_list l;
  char path[512];
  char **lines;
  size_t nlines = 0, want_len = 0, got_size = 0;
  uint32_t mask = 99;
  uint8_t *want, buf[4096];
  uint64_t off[2] = {8, 15}, bad[2] = {8, 14};
  CHECK(ds != NULL);
  if (!ds) return;
  memset(&l, 0, sizeof l);
  CHECK(h5k_dataset_chunk_iterate(ds, collect, &l) == 0);
  snprintf(path, sizeof path, "%s/chunks.txt", dir);
  lines = read_lines(path, &nlines);
  CHECK_EQ_U(l.n, nlines);
  for (size_t i = 0; i < nlines && (int)i < l.n; i++) {
    unsigned long long o0, o1, a, s;
    int found = 0;
    CHECK(sscanf(lines[i], "%llu %llu %llu %llu", &o0, &o1, &a, &s) == 4);
    for (int k = 0; k < l.n; k++)
      if (l.off[k][0] == o0 && l.off[k][1] == o1 && l.addr[k] == a && l.size[k] == s) found = 1;
    CHECK(found);
  }
  free_lines(lines, nlines);

  /* Direct chunk read: the stored bytes and mask. */
  snprintf(path, sizeof path, "%s/chunk_8_15.bin", dir);
  want = slurp(path, &want_len);
  CHECK(want != NULL);
  CHECK(h5k_dataset_read_chunk(&got_size, &mask, ds, off, buf, sizeof buf) == 0);
  CHECK_EQ_U(got_size, want_len);
  CHECK_EQ_U(mask, 0);
  CHECK(want && got_size == want_len && memcmp(buf, want, want_len) == 0);
  free(want);
  /* Size query, too-small buffer, misaligned offset, outside the extent. */
  CHECK(h5k_dataset_read_chunk(&got_size, &mask, ds, off, NULL, 0) == 0 && got_size == want_len);
  CHECK(h5k_dataset_read_chunk(&got_size, &mask, ds, off, buf, 3) == H5K_ELIMIT);
  CHECK(h5k_dataset_read_chunk(&got_size, &mask, ds, bad, buf, sizeof buf) == H5K_EINVAL);
  bad[0] = 32;
  bad[1] = 0;
  CHECK(h5k_dataset_read_chunk(&got_size, &mask, ds, bad, buf, sizeof buf) != 0);
  h5k_dataset_close(ds);

  /* Unallocated chunks: not found for a direct read, fill value for a normal read. */
  ds = open_ds(f, "/sparse");
  CHECK(ds != NULL);
  if (ds) {
    int32_t v[2 * 20];
    h5k_selection sel;
    uint64_t zero[2] = {0, 0};
    CHECK(h5k_dataset_read_chunk(&got_size, &mask, ds, zero, buf, sizeof buf) == H5K_ENOTFOUND);
    memset(&sel, 0, sizeof sel);
    sel.rank = 2;
    sel.start[0] = 7;
    sel.count[0] = 2;
    sel.count[1] = 20;
    sel.stride[0] = sel.stride[1] = sel.block[0] = sel.block[1] = 1;
    CHECK(h5k_dataset_read_raw(ds, &sel, v, sizeof v) == 0);
    CHECK(v[0] == -3 && v[19] == -3);                    /* row 7: all fill */
    CHECK(v[20 + 4] == -3 && v[20 + 5] == 1 && v[20 + 9] == 1 && v[20 + 10] == -3); /* row 8 */
    h5k_dataset_close(ds);
  }
}

static void test_spaces_and_selections(h5k_file *f) {
  h5k_dataset *ds = open_ds(f, "/scalar");
  h5k_selection sel;
  uint64_t n = 7;
  double x = 0;
  int32_t small[4];
  CHECK(ds != NULL);
  if (ds) {
    CHECK(h5k_selection_count(&n, ds, NULL) == 0 && n == 1);
    CHECK(h5k_dataset_read_raw(ds, NULL, &x, sizeof x) == 0 && x == 2.5);
    h5k_dataset_close(ds);
  }
  ds = open_ds(f, "/null");
  CHECK(ds != NULL);
  if (ds) {
    CHECK(h5k_selection_count(&n, ds, NULL) == 0 && n == 0);
    CHECK(h5k_dataset_read_raw(ds, NULL, NULL, 0) == 0);
    h5k_dataset_close(ds);
  }
  ds = open_ds(f, "/z");
  if (!ds) return;
  memset(&sel, 0, sizeof sel);
  sel.rank = 2;
  for (int d = 0; d < 2; d++) sel.stride[d] = sel.block[d] = sel.count[d] = 1;
  CHECK(h5k_dataset_read_raw(ds, &sel, small, sizeof small) == 0 && small[0] == 0);
  sel.rank = 1;
  CHECK(h5k_dataset_read_raw(ds, &sel, small, sizeof small) == H5K_EINVAL); /* rank */
  sel.rank = 2;
  sel.start[1] = 20;
  CHECK(h5k_dataset_read_raw(ds, &sel, small, sizeof small) == H5K_EINVAL); /* outside */
  sel.start[1] = 0;
  sel.stride[0] = 0;
  CHECK(h5k_dataset_read_raw(ds, &sel, small, sizeof small) == H5K_EINVAL); /* stride 0 */
  sel.stride[0] = 1;
  sel.count[0] = 2;
  sel.block[0] = 2;
  CHECK(h5k_dataset_read_raw(ds, &sel, small, sizeof small) == H5K_EINVAL); /* blocks overlap */
  sel.stride[0] = 2;
  sel.count[1] = 2;
  CHECK(h5k_dataset_read_raw(ds, &sel, small, 3) == H5K_EINVAL);            /* buffer too small */
  h5k_dataset_close(ds);
}

/* Change the deflate entry of the filter pipeline to an unknown id and read. */
static void test_unknown_filter(const char *dir) {
  char path[512];
  size_t len = 0;
  uint8_t *img;
  h5k_file *f = NULL;
  h5k_dataset *ds;
  int32_t v[600];
  snprintf(path, sizeof path, "%s/e.h5", dir);
  img = slurp(path, &len);
  CHECK(img != NULL);
  if (!img) return;
  /* The version 1 pipeline message of 'z' holds deflate as [id=1 u16][name length=8 u16]
   * [flags=1 (optional) u16][ncd=1 u16]["deflate\0"][level=4 u32][pad]: change the id. */
  int patched = 0;
  for (size_t i = 0; i + 10 <= len && !patched; i++) {
    static const uint8_t pat[10] = {0x01, 0x00, 0x08, 0x00, 0x01, 0x00, 0x01, 0x00, 'd', 'e'};
    if (memcmp(img + i, pat, sizeof pat) == 0) {
      img[i] = 0x31; /* 305 = 0x0131 */
      img[i + 1] = 0x01;
      patched = 1;
    }
  }
  CHECK(patched);
  CHECK(h5k_open_memory(&f, img, len, NULL) == 0);
  if (f) {
    ds = open_ds(f, "/z");
    CHECK(ds != NULL);
    if (ds) {
      CHECK(h5k_dataset_read_raw(ds, NULL, v, sizeof v) == H5K_EUNSUPPORTED);
      CHECK(strstr(h5k_error_last(), "305") != NULL);
      CHECK(strstr(h5k_error_last(), "chunk at (") != NULL);
      h5k_dataset_close(ds);
    }
    h5k_close(f);
  }
  free(img);
}

int main(void) {
  char dir[] = "/tmp/h5k_dataset_XXXXXX", path[512];
  h5k_file *f = NULL;
  if (!have_h5py()) {
    printf("test_dataset: h5py not available, skipped\n");
    return 0;
  }
  if (!mkdtemp(dir)) return 1;
  CHECK(run_gen_script(dir, GEN, dir) == 0);
  snprintf(path, sizeof path, "%s/d.h5", dir);
  CHECK(h5k_open(&f, path, NULL) == 0);
  if (f) {
    test_chunks(f, dir);
    test_spaces_and_selections(f);
    h5k_close(f);
  }
  test_unknown_filter(dir);
  remove_dir(dir);
  return test_finish("test_dataset");
}
