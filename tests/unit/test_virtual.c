/* Virtual datasets: files written by h5py at test time (sources in other files, in the same file,
 * a missing source file, strided and 2-D mappings, a virtual dataset over a virtual dataset), read
 * in full and through hyperslabs, compared with what h5py reads. Without h5py the test says so
 * and passes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h5kit.h"
#include "testutil.h"

static const char *GEN =
    "import sys, os, numpy as np, h5py\n"
    "d = sys.argv[1]\n"
    "os.chdir(d)\n"
    "for i in range(3):\n"
    "    with h5py.File(f'src{i}.h5', 'w') as f:\n"
    "        f['data'] = (np.arange(50, dtype='<i4') * (i + 1)).reshape(5, 10)\n"
    "lay = h5py.VirtualLayout(shape=(4, 5, 10), dtype='<i4')\n"
    "for i in range(3):\n"
    "    lay[i] = h5py.VirtualSource(f'src{i}.h5', 'data', shape=(5, 10))\n"
    "lay2 = h5py.VirtualLayout(shape=(2, 12), dtype='<f8')\n"
    "lay3 = h5py.VirtualLayout(shape=(6,), dtype='<i4')\n"
    "with h5py.File('vds.h5', 'w', libver='latest') as f:\n"
    "    f.create_virtual_dataset('stack', lay, fillvalue=-7)\n"
    "    f['local'] = np.linspace(0, 1, 24).reshape(4, 6)\n"
    "    s = h5py.VirtualSource('.', 'local', shape=(4, 6))\n"
    "    lay2[0, 0:6] = s[1]\n"
    "    lay2[1, ::2] = s[2]\n"
    "    lay2[1, 1::4] = s[3, 0:3]\n"
    "    f.create_virtual_dataset('strided', lay2, fillvalue=0.5)\n"
    "    lay4 = h5py.VirtualLayout(shape=(2, 5, 10), dtype='<i4')\n"
    "    lay4[0] = h5py.VirtualSource('missing.h5', 'data', shape=(5, 10))\n"
    "    lay4[1] = h5py.VirtualSource('src2.h5', 'data', shape=(5, 10))\n"
    "    f.create_virtual_dataset('missing', lay4, fillvalue=3)\n"
    "    lay3[0:3] = h5py.VirtualSource('.', 'stack', shape=(4, 5, 10))[1, 2, 4:7]\n"
    "    f.create_virtual_dataset('nested', lay3, fillvalue=11)\n"
    "    f['flat'] = np.arange(12, dtype='<i4') * 3\n"
    "    lay5 = h5py.VirtualLayout(shape=(3, 4), dtype='<i4')\n"
    "    lay5[0:2, :] = h5py.VirtualSource('.', 'flat', shape=(12,))[0:8]\n"
    "    f.create_virtual_dataset('reshaped', lay5, fillvalue=-1)\n"
    "    open('reshaped.slab', 'wb').write(f['reshaped'][1:3, 1:4:2].tobytes())\n"
    "    for name in ('stack', 'strided', 'missing', 'nested', 'reshaped'):\n"
    "        open(name + '.all', 'wb').write(f[name][()].tobytes())\n"
    "    open('stack.slab', 'wb').write(f['stack'][1:4:2, 1:5, ::3].tobytes())\n"
    "    open('strided.slab', 'wb').write(f['strided'][1:2, 1:11:2].tobytes())\n";

/* Read `name` with selection sel (NULL: all) and compare with the bytes h5py wrote to ref. */
static void check(h5k_file *f, const char *dir, const char *name, const h5k_selection *sel, const char *ref) {
  char path[512];
  h5k_addr addr;
  h5k_dataset *ds = NULL;
  uint64_t n = 0;
  size_t want_len = 0;
  uint8_t *want, *got;
  h5k_dataset_info info;
  snprintf(path, sizeof path, "%s/%s", dir, ref);
  want = slurp(path, &want_len);
  CHECK(want != NULL);
  CHECK(h5k_resolve(&addr, f, name) == 0);
  CHECK(h5k_dataset_open(&ds, f, addr) == 0);
  if (!ds || !want) {
    free(want);
    return;
  }
  CHECK(h5k_dataset_get_info(&info, ds) == 0);
  CHECK(info.layout == H5K_LAYOUT_VIRTUAL);
  CHECK(h5k_selection_count(&n, ds, sel) == 0);
  CHECK_EQ_U(n * info.type->size, want_len);
  got = malloc(want_len ? want_len : 1);
  if (h5k_dataset_read_raw(ds, sel, got, want_len) != 0) {
    fprintf(stderr, "%s: %s\n", name, h5k_error_last());
    CHECK(0);
  } else if (memcmp(got, want, want_len) != 0) {
    fprintf(stderr, "%s (%s): values differ from h5py\n", name, ref);
    CHECK(0);
  }
  free(got);
  free(want);
  h5k_dataset_close(ds);
}

static void set_dim(h5k_selection *s, unsigned d, uint64_t start, uint64_t stride, uint64_t count) {
  s->start[d] = start;
  s->stride[d] = stride;
  s->count[d] = count;
  s->block[d] = 1;
}

int main(void) {
  char dir[] = "/tmp/h5k_vds_XXXXXX", path[512];
  h5k_file *f = NULL;
  h5k_selection sel;
  if (!have_h5py()) {
    printf("test_virtual: h5py not available, skipped\n");
    return 0;
  }
  if (!mkdtemp(dir)) return 1;
  CHECK(run_gen_script(dir, GEN, dir) == 0);
  /* Open by a path with a directory, from another working directory: sources are found next to
   * the virtual dataset's file. */
  snprintf(path, sizeof path, "%s/vds.h5", dir);
  CHECK(h5k_open(&f, path, NULL) == 0);
  if (f) {
    check(f, dir, "/stack", NULL, "stack.all");
    check(f, dir, "/strided", NULL, "strided.all");
    check(f, dir, "/missing", NULL, "missing.all");
    check(f, dir, "/nested", NULL, "nested.all");
    check(f, dir, "/reshaped", NULL, "reshaped.all"); /* a (8,) source shown as (2, 4) */
    memset(&sel, 0, sizeof sel);
    sel.rank = 3;
    set_dim(&sel, 0, 1, 2, 2);
    set_dim(&sel, 1, 1, 1, 4);
    set_dim(&sel, 2, 0, 3, 4);
    check(f, dir, "/stack", &sel, "stack.slab");
    memset(&sel, 0, sizeof sel);
    sel.rank = 2;
    set_dim(&sel, 0, 1, 1, 1);
    set_dim(&sel, 1, 1, 2, 5);
    check(f, dir, "/strided", &sel, "strided.slab");
    memset(&sel, 0, sizeof sel);
    sel.rank = 2;
    set_dim(&sel, 0, 1, 1, 2);
    set_dim(&sel, 1, 1, 2, 2);
    check(f, dir, "/reshaped", &sel, "reshaped.slab");
    h5k_close(f);
  }
  remove_dir(dir);
  return test_finish("test_virtual");
}
