/* Global heap collections (src/format/global_heap.c, spec III.E).
 *
 *  1. Hand-made collections in memory (size of lengths 8 and 4): objects found by index, empty
 *     objects, unsorted indices, a tail too small for a free-space header, the free-space
 *     object ending the walk.
 *  2. Corrupt collections: each must give H5K_ECORRUPT (or H5K_ELIMIT for the size cap).
 *  3. Variable-length element parsing (heap IDs), and h5k_gheap_get.
 *  4. A real file (tests/data/conv_earliest.h5 from make_convert_fixtures.py): the collection
 *     holding the attribute "vstr" contains its strings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/global_heap.h"
#include "testutil.h"

enum { IMG = 8192, AT = 1024 };

/* Writes a collection at img+AT: header, then the objects {index, bytes} in the order given,
 * then a free-space object filling the rest (if `free_obj`). Returns the collection size. */
typedef struct obj_spec {
  uint16_t index;
  const char *data;
  size_t len;
} obj_spec;

static size_t build(uint8_t *img, unsigned sl, size_t size, const obj_spec *objs, size_t n, int free_obj) {
  size_t hdr = (8 + sl + 7) & ~(size_t)7, pos = hdr;
  uint8_t *c = img + AT;
  memset(img, 0, IMG);
  memcpy(c, "GCOL", 4);
  c[4] = 1;
  put_le(c + 8, size, sl);
  for (size_t i = 0; i < n; i++) {
    put_le(c + pos, objs[i].index, 2);
    put_le(c + pos + 2, 1, 2);
    put_le(c + pos + 8, objs[i].len, sl);
    memcpy(c + pos + hdr, objs[i].data, objs[i].len);
    pos += hdr + ((objs[i].len + 7) & ~(size_t)7);
  }
  if (free_obj && size - pos >= hdr) {
    put_le(c + pos, 0, 2);
    put_le(c + pos + 8, size - pos, sl);
  }
  return pos;
}

static int get(const h5k_fctx *f, uint32_t index, const char *expect, size_t len) {
  uint8_t *out = NULL;
  size_t n = 0;
  int rc = h5k_gheap_get(&out, &n, f, AT, index);
  if (rc == 0 && (n != len || (len && memcmp(out, expect, len) != 0))) rc = 1;
  free(out);
  return rc;
}

static void test_good(void) {
  static uint8_t img[IMG];
  h5k_fctx f;
  obj_spec objs[] = {{1, "", 0}, {2, "hello world", 11}, {3, "abc", 3}, {4, "0123456789abcdef", 16}};
  for (unsigned sl = 4; sl <= 8; sl += 4) {
    build(img, sl, 4096, objs, 4, 1);
    fctx_mem(&f, img, IMG);
    f.sl = sl;
    CHECK_EQ_U(get(&f, 1, "", 0), 0);
    CHECK_EQ_U(get(&f, 2, "hello world", 11), 0);
    CHECK_EQ_U(get(&f, 3, "abc", 3), 0);
    CHECK_EQ_U(get(&f, 4, "0123456789abcdef", 16), 0);
    CHECK(get(&f, 5, "", 0) == H5K_ECORRUPT);
    CHECK(get(&f, 0, "", 0) == H5K_ECORRUPT); /* free space is not an object */
    h5k_io_close(f.io);
  }
  /* indices out of order; no free-space object; a 10-byte tail (less than an object header) */
  {
    obj_spec un[] = {{7, "seven", 5}, {2, "two", 3}, {5, "five", 4}};
    size_t used = build(img, 8, 0, un, 3, 0);
    h5k_gcol col;
    put_le(img + AT + 8, used + 10, 8);
    fctx_mem(&f, img, IMG);
    CHECK_EQ_U(h5k_gcol_read(&col, &f, AT), 0);
    CHECK_EQ_U(col.nobjs, 3);
    CHECK(col.nobjs == 3 && col.objs[0].index == 2 && col.objs[1].index == 5 && col.objs[2].index == 7);
    h5k_gcol_free(&col);
    CHECK_EQ_U(get(&f, 7, "seven", 5), 0);
    CHECK_EQ_U(get(&f, 2, "two", 3), 0);
    h5k_io_close(f.io);
  }
  /* the free-space object stops the walk even if bytes after it look like objects */
  {
    obj_spec one[] = {{1, "x", 1}};
    size_t used = build(img, 8, 4096, one, 1, 1);
    put_le(img + AT + used + 32, 9, 2); /* inside the free space */
    put_le(img + AT + used + 40, 4, 8);
    fctx_mem(&f, img, IMG);
    CHECK(get(&f, 9, "", 0) == H5K_ECORRUPT);
    CHECK_EQ_U(get(&f, 1, "x", 1), 0);
    h5k_io_close(f.io);
  }
}

static void test_corrupt(void) {
  static uint8_t img[IMG];
  h5k_fctx f;
  h5k_gcol col;
  obj_spec objs[] = {{1, "abc", 3}, {2, "defgh", 5}};
  struct {
    const char *what;
    size_t off;
    uint64_t val;
    unsigned n;
    int expect;
  } cases[] = {
      {"signature", 0, 'X', 1, H5K_ECORRUPT},
      {"version 2", 4, 2, 1, H5K_ECORRUPT},
      {"size smaller than the header", 8, 8, 8, H5K_ECORRUPT},
      {"size past the end of the file", 8, IMG, 8, H5K_ECORRUPT},
      {"size over the block cap", 8, (uint64_t)1 << 40, 8, H5K_ELIMIT},
      {"object 1 larger than the collection", 16 + 8, 5000, 8, H5K_ECORRUPT},
      {"object 2 larger than what is left", 16 + 24 + 8, 4096 - 16 - 24 - 16 + 1, 8, H5K_ECORRUPT},
      {"duplicate index", 16 + 24, 1, 2, H5K_ECORRUPT},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int rc;
    build(img, 8, 4096, objs, 2, 1);
    put_le(img + AT + cases[i].off, cases[i].val, cases[i].n);
    fctx_mem(&f, img, IMG);
    rc = h5k_gcol_read(&col, &f, AT);
    if (rc != cases[i].expect) {
      fprintf(stderr, "corrupt case \"%s\": rc %d, expected %d\n", cases[i].what, rc, cases[i].expect);
      CHECK(0);
    }
    test_checks++;
    CHECK(col.data == NULL && col.objs == NULL); /* nothing left on failure */
    h5k_gcol_free(&col);
    h5k_io_close(f.io);
  }
  /* undefined address, and an address past the end of the file */
  build(img, 8, 4096, objs, 2, 1);
  fctx_mem(&f, img, IMG);
  CHECK(h5k_gcol_read(&col, &f, H5K_ADDR_UNDEF) == H5K_ECORRUPT);
  CHECK(h5k_gcol_read(&col, &f, IMG - 4) == H5K_ECORRUPT);
  CHECK(h5k_gcol_read(&col, &f, 0) == H5K_ECORRUPT); /* zeros: no signature */
  h5k_io_close(f.io);
}

static void test_vlen_parse(void) {
  h5k_fctx f;
  uint8_t e[16];
  uint32_t len, index;
  uint64_t addr;
  memset(&f, 0, sizeof f);
  f.so = 8;
  f.sl = 8;
  put_le(e, 3, 4);
  put_le(e + 4, 0x1234, 8);
  put_le(e + 12, 7, 4);
  CHECK_EQ_U(h5k_vlen_parse(&len, &addr, &index, e, 16, &f), 0);
  CHECK(len == 3 && addr == 0x1234 && index == 7);
  put_le(e + 4, 0, 8); /* address 0: empty whatever the length */
  CHECK_EQ_U(h5k_vlen_parse(&len, &addr, &index, e, 16, &f), 0);
  CHECK_EQ_U(len, 0);
  CHECK(h5k_vlen_parse(&len, &addr, &index, e, 15, &f) == H5K_EINVAL);
  f.so = 4; /* 4-byte addresses: 12-byte element; all ones = undefined = empty */
  put_le(e, 2, 4);
  put_le(e + 4, 0xffffffff, 4);
  put_le(e + 8, 1, 4);
  CHECK_EQ_U(h5k_vlen_parse(&len, &addr, &index, e, 12, &f), 0);
  CHECK(len == 0 && addr == H5K_ADDR_UNDEF);
}

static void test_real_file(void) {
  char *path = data_path("conv_earliest.h5");
  size_t size = 0;
  uint8_t *buf = path ? slurp(path, &size) : NULL;
  h5k_fctx f;
  int found = 0;
  free(path);
  CHECK(buf != NULL);
  if (!buf) return;
  fctx_mem(&f, buf, size); /* h5py's defaults: offsets and lengths of 8 bytes */
  for (size_t at = 0; at + 4 <= size; at += 8) {
    h5k_gcol col;
    if (memcmp(buf + at, "GCOL", 4) != 0) continue;
    CHECK_EQ_U(h5k_gcol_read(&col, &f, (uint64_t)at), 0);
    for (size_t i = 0; i < col.nobjs; i++) {
      const uint8_t *p;
      size_t len;
      CHECK_EQ_U(h5k_gcol_find(&p, &len, &col, col.objs[i].index), 0);
      if (len == 7 && memcmp(p, "three\xc3\xa9", 7) == 0) found++;
      if (len == 100 && p[0] == 'x' && p[99] == 'x') found++;
    }
    h5k_gcol_free(&col);
  }
  h5k_io_close(f.io);
  CHECK_EQ_U(found, 2);
  free(buf);
}

int main(void) {
  test_good();
  test_corrupt();
  test_vlen_parse();
  test_real_file();
  return test_finish("test_global_heap");
}
