/* write_driver.c — exercises h5kit's writing API for tests/interop/test_write_api.sh, which
 * compiles it against the built library and checks every file it writes with h5py
 * (write_api_check.py) and the reference tools.
 *
 *   write_driver SCENARIO OUT.h5 PROFILE [STAGE]
 *     PROFILE   compat | latest
 *     types     every numeric type and byte order (with conversions from other memory types),
 *               fixed/vlen strings (ASCII, UTF-8), compound, enum and array types, as datasets
 *               and as attributes
 *     layouts   contiguous, compact, chunked (edge chunks, strided hyperslabs, partial chunks,
 *               chunks overwritten twice in one transaction and across transactions, filters),
 *               every chunk index the profile uses, fill values, resize grow/shrink
 *     attrs     attributes overwritten with other types/sizes, deleted, many (dense)
 *     links     unlink datasets and groups, hard links (reference counts), soft links,
 *               committed datatypes used by datasets and attributes
 *     modify    OUT.h5 is an existing file (h5py wrote it): open read-write and change it
 *     bad STAGE invalid calls; STAGE build (the content alone), build+bad (the content with
 *               failing calls interleaved), reopen-bad (reopen read-write, failing calls, flush),
 *               readonly (open read-only, every writing call must fail)
 * The data follow formulas that write_api_check.py recomputes on its own.
 * Prints "FAIL: ..." lines for failures seen from C (and exits 1); "MSG: call: message" lines
 * record the error message each invalid call produced.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h5kit.h"

static int failures;

#define FAIL(...)                                                                                                      \
  do {                                                                                                                 \
    printf("FAIL: " __VA_ARGS__);                                                                                      \
    printf("\n");                                                                                                      \
    failures++;                                                                                                        \
  } while (0)

/* A call that must succeed. */
static void ok(int rc, const char *what) {
  if (rc < 0) FAIL("%s: rc %d: %s", what, rc, h5k_error_last());
}

/* A call that must fail with a message. */
static void bad(int rc, const char *what) {
  const char *m = h5k_error_last();
  if (rc >= 0) FAIL("invalid call accepted: %s (rc %d)", what, rc);
  else if (!m || !*m || !strcmp(m, "no error")) FAIL("invalid call without a message: %s (rc %d)", what, rc);
  else printf("MSG: %s: %s (%s)\n", what, m, h5k_strerror(rc));
}

/* ---- types ---------------------------------------------------------------------------------- */
static h5k_datatype *types_to_free[256];
static size_t ntypes_to_free;

static h5k_datatype *keep(h5k_datatype *t) {
  if (ntypes_to_free < 256) types_to_free[ntypes_to_free++] = t;
  return t;
}

static h5k_datatype *int_type(size_t size, int is_signed, int be) {
  h5k_datatype *t;
  if (h5k_datatype_make(&t, H5K_CLASS_INTEGER, size, is_signed) < 0) {
    printf("FAIL: h5k_datatype_make: %s\n", h5k_error_last());
    exit(1);
  }
  t->big_endian = be;
  return keep(t);
}

static h5k_datatype *float_type(size_t size, int be) {
  h5k_datatype *t;
  if (h5k_datatype_make(&t, H5K_CLASS_FLOAT, size, 1) < 0) {
    printf("FAIL: h5k_datatype_make: %s\n", h5k_error_last());
    exit(1);
  }
  t->big_endian = be;
  return keep(t);
}

static h5k_datatype *new_type(h5k_type_class cls, uint64_t size) {
  h5k_datatype *t = calloc(1, sizeof *t);
  if (!t) exit(1);
  t->cls = cls;
  t->size = size;
  return keep(t);
}

static h5k_datatype *fixed_str(size_t size, unsigned pad, unsigned cset) {
  h5k_datatype *t = new_type(H5K_CLASS_STRING, size);
  t->str_pad = pad;
  t->charset = cset;
  return t;
}

static h5k_datatype *vlen_str(unsigned cset) {
  h5k_datatype *t = new_type(H5K_CLASS_VLEN, 16);
  t->vlen_type = H5K_VLEN_STRING;
  t->charset = cset;
  t->str_pad = H5K_STR_NULLTERM;
  t->base = int_type(1, 0, 0);
  return t;
}

static void free_types(void) {
  /* Only the roots made by h5k_datatype_make are library-allocated; the calloc'd ones hold
   * pointers to others and are freed shallowly. */
  for (size_t i = 0; i < ntypes_to_free; i++) {
    h5k_datatype *t = types_to_free[i];
    if (t->cls == H5K_CLASS_INTEGER || t->cls == H5K_CLASS_FLOAT) h5k_datatype_free(t);
    else free(t);
  }
  ntypes_to_free = 0;
}

/* ---- spaces and selections --------------------------------------------------------------------- */
static h5k_dataspace space_n(unsigned rank, const uint64_t *dims, const uint64_t *maxdims) {
  h5k_dataspace s;
  memset(&s, 0, sizeof s);
  s.kind = H5K_SPACE_SIMPLE;
  s.rank = rank;
  for (unsigned i = 0; i < rank; i++) {
    s.dims[i] = dims[i];
    s.maxdims[i] = maxdims ? maxdims[i] : dims[i];
  }
  s.has_maxdims = maxdims != NULL;
  return s;
}

static h5k_dataspace space1(uint64_t n) { return space_n(1, &n, NULL); }

static h5k_dataspace space2(uint64_t a, uint64_t b) {
  uint64_t d[2] = {a, b};
  return space_n(2, d, NULL);
}

static h5k_dataspace scalar(void) {
  h5k_dataspace s;
  memset(&s, 0, sizeof s);
  s.kind = H5K_SPACE_SCALAR;
  return s;
}

/* A hyperslab: for each dimension start, stride, count, block. */
static h5k_selection slab(unsigned rank, const uint64_t *start, const uint64_t *stride, const uint64_t *count,
                          const uint64_t *block) {
  h5k_selection s;
  memset(&s, 0, sizeof s);
  s.rank = rank;
  for (unsigned i = 0; i < rank; i++) {
    s.start[i] = start[i];
    s.stride[i] = stride ? stride[i] : 1;
    s.count[i] = count[i];
    s.block[i] = block ? block[i] : 1;
  }
  return s;
}

static h5k_dataset_options dopts(void) {
  h5k_dataset_options o;
  memset(&o, 0, sizeof o);
  o.struct_size = sizeof o;
  o.flags = H5K_MKDIRS;
  return o;
}

static h5k_file *create(const char *path, int latest) {
  h5k_create_options co;
  memset(&co, 0, sizeof co);
  co.struct_size = sizeof co;
  co.flags = H5K_CREATE_TRUNC;
  co.profile = latest ? H5K_PROFILE_LATEST : H5K_PROFILE_COMPAT;
  co.nthreads = 2;
  h5k_file *f = NULL;
  if (h5k_create(&f, path, &co) < 0) {
    printf("FAIL: create %s: %s\n", path, h5k_error_last());
    exit(1);
  }
  return f;
}

static h5k_file *open_rw(const char *path) {
  h5k_open_options oo;
  memset(&oo, 0, sizeof oo);
  oo.struct_size = sizeof oo;
  oo.flags = H5K_OPEN_RDWR;
  h5k_file *f = NULL;
  if (h5k_open(&f, path, &oo) < 0) {
    printf("FAIL: open read-write %s: %s\n", path, h5k_error_last());
    exit(1);
  }
  return f;
}

/* ---- scenario: types ------------------------------------------------------------------------------ */
/* Every integer/float file type gets /num/<name> = 10 elements i*7 - (signed ? 20 : 0), written
 * from int32 memory, and the same values as attribute <name> of /num. */
static void scenario_types(h5k_file *f) {
  h5k_datatype *m_i32 = int_type(4, 1, 0), *m_f64 = float_type(8, 0), *m_f32 = float_type(4, 0);
  static const struct {
    const char *name;
    int cls; /* 0 int, 1 float */
    size_t size;
    int is_signed, be;
  } nums[] = {
      {"i1", 0, 1, 1, 0},   {"u1", 0, 1, 0, 0},   {"i2le", 0, 2, 1, 0}, {"i2be", 0, 2, 1, 1}, {"u2le", 0, 2, 0, 0},
      {"u2be", 0, 2, 0, 1}, {"i4le", 0, 4, 1, 0}, {"i4be", 0, 4, 1, 1}, {"u4le", 0, 4, 0, 0}, {"u4be", 0, 4, 0, 1},
      {"i8le", 0, 8, 1, 0}, {"i8be", 0, 8, 1, 1}, {"u8le", 0, 8, 0, 0}, {"u8be", 0, 8, 0, 1}, {"f2le", 1, 2, 1, 0},
      {"f4le", 1, 4, 1, 0}, {"f4be", 1, 4, 1, 1}, {"f8le", 1, 8, 1, 0}, {"f8be", 1, 8, 1, 1},
  };
  ok(h5k_group_create(f, "/num", 0), "group /num");
  for (size_t k = 0; k < sizeof nums / sizeof nums[0]; k++) {
    h5k_datatype *t = nums[k].cls ? float_type(nums[k].size, nums[k].be) : int_type(nums[k].size, nums[k].is_signed, nums[k].be);
    int32_t v[10];
    for (int i = 0; i < 10; i++) v[i] = i * 7 - (nums[k].is_signed ? 20 : 0);
    char path[64];
    snprintf(path, sizeof path, "/num/%s", nums[k].name);
    h5k_dataspace s = space1(10);
    ok(h5k_dataset_create(f, path, t, &s, NULL), path);
    ok(h5k_write(f, path, NULL, m_i32, v, sizeof v), path);
    ok(h5k_attr_write(f, "/num", nums[k].name, t, &s, m_i32, v, sizeof v), path);
  }

  /* Conversions with saturation / rounding, as libhdf5's hard conversions. */
  h5k_dataspace s5 = space1(5), s4 = space1(4);
  const int32_t sat[5] = {-5, 0, 255, 256, 1000};
  ok(h5k_dataset_create(f, "/conv/u1_from_i4", int_type(1, 0, 0), &s5, &(h5k_dataset_options){.struct_size = sizeof(h5k_dataset_options), .flags = H5K_MKDIRS}), "u1_from_i4");
  ok(h5k_write(f, "/conv/u1_from_i4", NULL, m_i32, sat, sizeof sat), "write u1_from_i4");
  const double dv[4] = {0.1, 1e40, -1e40, 3.5};
  ok(h5k_dataset_create(f, "/conv/f4_from_f8", float_type(4, 0), &s4, NULL), "f4_from_f8");
  ok(h5k_write(f, "/conv/f4_from_f8", NULL, m_f64, dv, sizeof dv), "write f4_from_f8");
  const double tv[4] = {1.75, -2.5, 40000.0, -40000.0};
  ok(h5k_dataset_create(f, "/conv/i2be_from_f8", int_type(2, 1, 1), &s4, NULL), "i2be_from_f8");
  ok(h5k_write(f, "/conv/i2be_from_f8", NULL, m_f64, tv, sizeof tv), "write i2be_from_f8");
  const float fv[4] = {1.5f, -0.25f, 1e30f, 7.0f};
  ok(h5k_dataset_create(f, "/conv/f8be_from_f4", float_type(8, 1), &s4, NULL), "f8be_from_f4");
  ok(h5k_write(f, "/conv/f8be_from_f4", NULL, m_f32, fv, sizeof fv), "write f8be_from_f4");
  const int32_t iv[4] = {-1, 2, 3000000, -7};
  ok(h5k_dataset_create(f, "/conv/f4_from_i4", float_type(4, 0), &s4, NULL), "f4_from_i4");
  ok(h5k_write(f, "/conv/f4_from_i4", NULL, m_i32, iv, sizeof iv), "write f4_from_i4");
  /* mem_type NULL: the buffer is the file representation (big-endian bytes here). */
  const uint8_t be_raw[8] = {0x01, 0x02, 0xff, 0xfe, 0x00, 0x00, 0x80, 0x00};
  ok(h5k_dataset_create(f, "/conv/i2be_raw", int_type(2, 1, 1), &s4, NULL), "i2be_raw");
  ok(h5k_write(f, "/conv/i2be_raw", NULL, NULL, be_raw, sizeof be_raw), "write i2be_raw");

  /* Strings. */
  h5k_dataspace s3 = space1(3);
  const char fixed_nt[3 * 8] = "hello\0\0\0world!!\0a\0\0\0\0\0\0\0";
  ok(h5k_dataset_create(f, "/str/fixed_nullterm", fixed_str(8, H5K_STR_NULLTERM, H5K_CSET_ASCII), &s3, &(h5k_dataset_options){.struct_size = sizeof(h5k_dataset_options), .flags = H5K_MKDIRS}), "fixed_nullterm");
  ok(h5k_write(f, "/str/fixed_nullterm", NULL, NULL, fixed_nt, sizeof fixed_nt), "write fixed_nullterm");
  const char fixed_np[3 * 5] = "abcdeab\0\0\0\0\0\0\0\0";
  ok(h5k_dataset_create(f, "/str/fixed_nullpad", fixed_str(5, H5K_STR_NULLPAD, H5K_CSET_ASCII), &s3, NULL), "fixed_nullpad");
  ok(h5k_write(f, "/str/fixed_nullpad", NULL, NULL, fixed_np, sizeof fixed_np), "write fixed_nullpad");
  const char fixed_sp[3 * 4] = "ab  abcdx   ";
  ok(h5k_dataset_create(f, "/str/fixed_spacepad", fixed_str(4, H5K_STR_SPACEPAD, H5K_CSET_ASCII), &s3, NULL), "fixed_spacepad");
  ok(h5k_write(f, "/str/fixed_spacepad", NULL, NULL, fixed_sp, sizeof fixed_sp), "write fixed_spacepad");
  const char fixed_u8[2 * 8] = "caf\xc3\xa9\0\0\0\xce\xbb\xce\xbc\0\0\0\0";
  h5k_dataspace s2 = space1(2);
  ok(h5k_dataset_create(f, "/str/fixed_utf8", fixed_str(8, H5K_STR_NULLPAD, H5K_CSET_UTF8), &s2, NULL), "fixed_utf8");
  ok(h5k_write(f, "/str/fixed_utf8", NULL, NULL, fixed_u8, sizeof fixed_u8), "write fixed_utf8");
  const char *vs[4] = {"short", "", NULL, "a much longer string that needs more space than the others"};
  h5k_dataspace s4b = space1(4);
  ok(h5k_dataset_create(f, "/str/vlen_ascii", vlen_str(H5K_CSET_ASCII), &s4b, NULL), "vlen_ascii");
  ok(h5k_write(f, "/str/vlen_ascii", NULL, NULL, vs, sizeof vs), "write vlen_ascii");
  const char *vu[3] = {"\xc3\xa9t\xc3\xa9", "\xe6\x97\xa5\xe6\x9c\xac", "\xf0\x9f\x98\x80 smile"};
  ok(h5k_dataset_create(f, "/str/vlen_utf8", vlen_str(H5K_CSET_UTF8), &s3, NULL), "vlen_utf8");
  ok(h5k_write(f, "/str/vlen_utf8", NULL, NULL, vu, sizeof vu), "write vlen_utf8");
  /* Strided write into a vlen string dataset (the other elements stay empty). */
  h5k_dataspace s6 = space1(6);
  ok(h5k_dataset_create(f, "/str/vlen_partial", vlen_str(H5K_CSET_UTF8), &s6, NULL), "vlen_partial");
  const char *vp[3] = {"zero", "two", "four"};
  h5k_selection sp = slab(1, (uint64_t[]){0}, (uint64_t[]){2}, (uint64_t[]){3}, NULL);
  ok(h5k_write(f, "/str/vlen_partial", &sp, NULL, vp, sizeof vp), "write vlen_partial");
  ok(h5k_attr_write(f, "/str", "vlen_utf8", vlen_str(H5K_CSET_UTF8), &s3, NULL, vu, sizeof vu), "attr vlen_utf8");
  h5k_dataspace sc = scalar();
  const char *one = "scalar \xe2\x82\xac";
  ok(h5k_attr_write(f, "/str", "vlen_scalar", vlen_str(H5K_CSET_UTF8), &sc, NULL, &one, sizeof one), "attr vlen_scalar");
  ok(h5k_attr_write(f, "/str", "fixed", fixed_str(8, H5K_STR_NULLTERM, H5K_CSET_ASCII), &s3, NULL, fixed_nt, sizeof fixed_nt), "attr fixed");

  /* Compound: file {a int32 @0, b float64 big-endian @4, c char[4] @12} (16 bytes, packed) written
   * from memory {b float64 @0, a int64 @8, c char[4] @16} (24 bytes): members matched by name. */
  h5k_datatype *ct = new_type(H5K_CLASS_COMPOUND, 16);
  h5k_type_member fm[3] = {{"a", 0, int_type(4, 1, 0)}, {"b", 4, float_type(8, 1)}, {"c", 12, fixed_str(4, H5K_STR_NULLPAD, H5K_CSET_ASCII)}};
  ct->nmembers = 3;
  ct->members = fm;
  h5k_datatype *cm = new_type(H5K_CLASS_COMPOUND, 24);
  h5k_type_member mm[3] = {{"b", 0, m_f64}, {"a", 8, int_type(8, 1, 0)}, {"c", 16, fixed_str(4, H5K_STR_NULLPAD, H5K_CSET_ASCII)}};
  cm->nmembers = 3;
  cm->members = mm;
  uint8_t cbuf[3 * 24];
  memset(cbuf, 0, sizeof cbuf);
  for (int i = 0; i < 3; i++) {
    double b = i + 0.5;
    int64_t a = -i * 1000;
    memcpy(cbuf + i * 24, &b, 8);
    memcpy(cbuf + i * 24 + 8, &a, 8);
    memcpy(cbuf + i * 24 + 16, "xyz", 3);
    cbuf[i * 24 + 19] = (uint8_t)('a' + i);
  }
  ok(h5k_dataset_create(f, "/cmp/data", ct, &s3, &(h5k_dataset_options){.struct_size = sizeof(h5k_dataset_options), .flags = H5K_MKDIRS}), "compound dataset");
  ok(h5k_write(f, "/cmp/data", NULL, cm, cbuf, sizeof cbuf), "write compound");
  ok(h5k_attr_write(f, "/cmp", "attr", ct, &s3, cm, cbuf, sizeof cbuf), "compound attribute");

  /* Enum over int16: RED = 0, GREEN = 5, BLUE = -3. */
  h5k_datatype *et = new_type(H5K_CLASS_ENUM, 2);
  h5k_type_member em[3] = {{"RED", 0, NULL}, {"GREEN", 0, NULL}, {"BLUE", 0, NULL}};
  int16_t evals[3] = {0, 5, -3};
  et->base = int_type(2, 1, 0);
  et->nmembers = 3;
  et->members = em;
  et->enum_values = (uint8_t *)evals;
  const int16_t edata[4] = {5, -3, 0, 5};
  ok(h5k_dataset_create(f, "/enum/data", et, &s4, &(h5k_dataset_options){.struct_size = sizeof(h5k_dataset_options), .flags = H5K_MKDIRS}), "enum dataset");
  ok(h5k_write(f, "/enum/data", NULL, NULL, edata, sizeof edata), "write enum");
  ok(h5k_attr_write(f, "/enum", "attr", et, &s4, NULL, edata, sizeof edata), "enum attribute");

  /* Array types: int32[2][3] dataset of 4 elements, written from int64[2][3]; float64[3] attribute. */
  h5k_datatype *at = new_type(H5K_CLASS_ARRAY, 24);
  at->base = int_type(4, 1, 0);
  at->rank = 2;
  at->dims[0] = 2;
  at->dims[1] = 3;
  h5k_datatype *am = new_type(H5K_CLASS_ARRAY, 48);
  am->base = int_type(8, 1, 0);
  am->rank = 2;
  am->dims[0] = 2;
  am->dims[1] = 3;
  int64_t adata[4 * 6];
  for (int i = 0; i < 24; i++) adata[i] = i * i - 50;
  ok(h5k_dataset_create(f, "/array/data", at, &s4, &(h5k_dataset_options){.struct_size = sizeof(h5k_dataset_options), .flags = H5K_MKDIRS}), "array dataset");
  ok(h5k_write(f, "/array/data", NULL, am, adata, sizeof adata), "write array");
  h5k_datatype *af = new_type(H5K_CLASS_ARRAY, 24);
  af->base = m_f64;
  af->rank = 1;
  af->dims[0] = 3;
  const double afd[3] = {1.25, -2.5, 1e300};
  ok(h5k_attr_write(f, "/array", "attr", af, &sc, NULL, afd, sizeof afd), "array attribute");
}

/* ---- scenario: layouts ------------------------------------------------------------------------------ */
static void write_i32(h5k_file *f, const char *path, const h5k_selection *sel, const int32_t *v, size_t n) {
  ok(h5k_write(f, path, sel, int_type(4, 1, 0), v, n * sizeof *v), path);
}

/* A (rows x cols) int32 dataset filled with 1000*r + c (the "base" pattern). */
static void fill_pattern(int32_t *v, uint64_t rows, uint64_t cols, int32_t add) {
  for (uint64_t r = 0; r < rows; r++)
    for (uint64_t c = 0; c < cols; c++) v[r * cols + c] = (int32_t)(1000 * r + c) + add;
}

static void scenario_layouts(h5k_file *f) {
  h5k_datatype *i32 = int_type(4, 1, 0), *i16 = int_type(2, 1, 0);
  int32_t buf[4096];
  const int32_t fill = -7;

  /* Contiguous 7x9, whole write, then a strided write. */
  h5k_dataset_options o = dopts();
  o.storage = H5K_STORAGE_CONTIGUOUS;
  h5k_dataspace s79 = space2(7, 9);
  ok(h5k_dataset_create(f, "/contig/full", i32, &s79, &o), "contig/full");
  fill_pattern(buf, 7, 9, 0);
  write_i32(f, "/contig/full", NULL, buf, 63);
  h5k_selection st = slab(2, (uint64_t[]){1, 0}, (uint64_t[]){3, 4}, (uint64_t[]){2, 3}, (uint64_t[]){2, 1});
  for (int i = 0; i < 12; i++) buf[i] = -(i + 1);
  write_i32(f, "/contig/full", &st, buf, 12);
  /* Contiguous with a fill value, only row 2 written: the rest reads as the fill value. */
  o.fill_value = &fill;
  ok(h5k_dataset_create(f, "/contig/fill", i32, &s79, &o), "contig/fill");
  h5k_selection row2 = slab(2, (uint64_t[]){2, 0}, NULL, (uint64_t[]){1, 9}, NULL);
  for (int i = 0; i < 9; i++) buf[i] = i;
  write_i32(f, "/contig/fill", &row2, buf, 9);
  /* Contiguous, never written, no fill value: zeros. */
  o.fill_value = NULL;
  ok(h5k_dataset_create(f, "/contig/unwritten", i32, &s79, &o), "contig/unwritten");

  /* Compact int16 (20), partly written, with fill 3. */
  h5k_dataset_options oc = dopts();
  oc.storage = H5K_STORAGE_COMPACT;
  const int16_t fill16 = 3;
  oc.fill_value = &fill16;
  h5k_dataspace s20 = space1(20);
  ok(h5k_dataset_create(f, "/compact/data", i16, &s20, &oc), "compact/data");
  const int16_t cv[5] = {10, 11, 12, 13, 14};
  h5k_selection c5 = slab(1, (uint64_t[]){4}, (uint64_t[]){3}, (uint64_t[]){5}, NULL);
  ok(h5k_write(f, "/compact/data", &c5, i16, cv, sizeof cv), "write compact");

  /* Chunked 10x13, chunk 4x5 (edge chunks in both dims), fill -7. */
  h5k_dataset_options ok4 = dopts();
  ok4.chunk_rank = 2;
  ok4.chunk_dims[0] = 4;
  ok4.chunk_dims[1] = 5;
  ok4.fill_value = &fill;
  h5k_dataspace s1013 = space2(10, 13);
  ok(h5k_dataset_create(f, "/chunked/full", i32, &s1013, &ok4), "chunked/full");
  fill_pattern(buf, 10, 13, 0);
  write_i32(f, "/chunked/full", NULL, buf, 130);
  /* Strided hyperslab with blocks across chunk boundaries (start (1,2), stride (3,4), count (3,3), block (2,2)). */
  ok(h5k_dataset_create(f, "/chunked/strided", i32, &s1013, &ok4), "chunked/strided");
  h5k_selection sb = slab(2, (uint64_t[]){1, 2}, (uint64_t[]){3, 4}, (uint64_t[]){3, 3}, (uint64_t[]){2, 2});
  for (int i = 0; i < 36; i++) buf[i] = 500 + i;
  write_i32(f, "/chunked/strided", &sb, buf, 36);
  /* Partial-chunk read-modify-write within one transaction and across: full write, flush, then
   * overwrite a 3x3 block at (3,4) (touches 4 chunks), the same chunk twice in this transaction. */
  ok(h5k_dataset_create(f, "/chunked/rmw", i32, &s1013, &ok4), "chunked/rmw");
  fill_pattern(buf, 10, 13, 0);
  write_i32(f, "/chunked/rmw", NULL, buf, 130);
  /* Filters with partial writes: shuffle + deflate + fletcher32, chunk 4x5. */
  h5k_dataset_options of = ok4;
  const uint32_t lvl[1] = {6};
  h5k_filter_desc fl[3] = {{.id = H5K_FILTER_SHUFFLE}, {.id = H5K_FILTER_DEFLATE, .ncd = 1, .cd = lvl}, {.id = H5K_FILTER_FLETCHER32}};
  of.filters = fl;
  of.nfilters = 3;
  ok(h5k_dataset_create(f, "/chunked/filtered", i32, &s1013, &of), "chunked/filtered");
  fill_pattern(buf, 10, 13, 0);
  write_i32(f, "/chunked/filtered", NULL, buf, 130);
  ok(h5k_flush(f), "flush 1");

  h5k_selection b33 = slab(2, (uint64_t[]){3, 4}, NULL, (uint64_t[]){3, 3}, NULL);
  for (int i = 0; i < 9; i++) buf[i] = -100 - i;
  write_i32(f, "/chunked/rmw", &b33, buf, 9);
  h5k_selection one = slab(2, (uint64_t[]){4, 5}, NULL, (uint64_t[]){1, 1}, NULL);
  buf[0] = -999; /* chunk (1,1) again, same transaction */
  write_i32(f, "/chunked/rmw", &one, buf, 1);
  for (int i = 0; i < 9; i++) buf[i] = -100 - i;
  write_i32(f, "/chunked/filtered", &b33, buf, 9);
  buf[0] = -999;
  write_i32(f, "/chunked/filtered", &one, buf, 1);
  ok(h5k_flush(f), "flush 2");
  /* Across transactions: the edge chunk (2,2) (rows 8-9, cols 10-12) overwritten after a flush. */
  h5k_selection edge = slab(2, (uint64_t[]){9, 12}, NULL, (uint64_t[]){1, 1}, NULL);
  buf[0] = 77777;
  write_i32(f, "/chunked/rmw", &edge, buf, 1);
  write_i32(f, "/chunked/filtered", &edge, buf, 1);

  /* The chunk indexes: fixed size without filter, fixed with filter, single chunk, one
   * unlimited dim, two unlimited dims, each written partly (fill 0 elsewhere). */
  struct {
    const char *path;
    uint64_t dims[2], max[2], chunk[2];
    int filtered;
  } idx[] = {
      {"/index/fixed", {20, 6}, {20, 6}, {3, 4}, 0},
      {"/index/fixed_filtered", {20, 6}, {20, 6}, {3, 4}, 1},
      {"/index/single", {20, 6}, {20, 6}, {20, 6}, 0},
      {"/index/single_filtered", {20, 6}, {20, 6}, {20, 6}, 1},
      {"/index/earray", {20, 6}, {H5K_UNLIMITED, 6}, {3, 4}, 0},
      {"/index/earray_filtered", {20, 6}, {H5K_UNLIMITED, 6}, {3, 4}, 1},
      {"/index/btree2", {20, 6}, {H5K_UNLIMITED, H5K_UNLIMITED}, {3, 4}, 0},
      {"/index/btree2_filtered", {20, 6}, {H5K_UNLIMITED, H5K_UNLIMITED}, {3, 4}, 1},
  };
  for (size_t k = 0; k < sizeof idx / sizeof idx[0]; k++) {
    h5k_dataspace s = space_n(2, idx[k].dims, idx[k].max);
    h5k_dataset_options oi = dopts();
    oi.chunk_rank = 2;
    oi.chunk_dims[0] = idx[k].chunk[0];
    oi.chunk_dims[1] = idx[k].chunk[1];
    if (idx[k].filtered) {
      oi.filters = &fl[1];
      oi.nfilters = 1;
    }
    ok(h5k_dataset_create(f, idx[k].path, i32, &s, &oi), idx[k].path);
    h5k_selection part = slab(2, (uint64_t[]){2, 1}, NULL, (uint64_t[]){15, 4}, NULL);
    for (int i = 0; i < 60; i++) buf[i] = i + 1;
    write_i32(f, idx[k].path, &part, buf, 60);
  }

  /* Resize: 1-D (10, unlimited), chunk 4, fill 99: write 0..9, shrink to 3, flush, grow to 12:
   * elements 3..11 read 99 (not the old 3..9). */
  uint64_t d10 = 10, dunl = H5K_UNLIMITED;
  h5k_dataspace sr = space_n(1, &d10, &dunl);
  h5k_dataset_options orz = dopts();
  orz.chunk_rank = 1;
  orz.chunk_dims[0] = 4;
  const int32_t fill99 = 99;
  orz.fill_value = &fill99;
  ok(h5k_dataset_create(f, "/resize/across", i32, &sr, &orz), "resize/across");
  for (int i = 0; i < 10; i++) buf[i] = i;
  write_i32(f, "/resize/across", NULL, buf, 10);
  /* The same within one transaction. */
  ok(h5k_dataset_create(f, "/resize/within", i32, &sr, &orz), "resize/within");
  write_i32(f, "/resize/within", NULL, buf, 10);
  /* Filtered. */
  orz.filters = &fl[1];
  orz.nfilters = 1;
  ok(h5k_dataset_create(f, "/resize/filtered", i32, &sr, &orz), "resize/filtered");
  write_i32(f, "/resize/filtered", NULL, buf, 10);
  ok(h5k_flush(f), "flush 3");
  ok(h5k_resize(f, "/resize/across", (uint64_t[]){3}), "shrink across");
  ok(h5k_resize(f, "/resize/filtered", (uint64_t[]){3}), "shrink filtered");
  ok(h5k_flush(f), "flush 4");
  ok(h5k_resize(f, "/resize/across", (uint64_t[]){12}), "grow across");
  ok(h5k_resize(f, "/resize/filtered", (uint64_t[]){12}), "grow filtered");
  ok(h5k_resize(f, "/resize/within", (uint64_t[]){3}), "shrink within");
  ok(h5k_resize(f, "/resize/within", (uint64_t[]){12}), "grow within");
  /* Maximum dims given without has_maxdims (a caller who forgot the flag): they still count. */
  h5k_dataspace snf = space_n(1, &d10, &dunl);
  snf.has_maxdims = 0;
  orz.filters = NULL;
  orz.nfilters = 0;
  ok(h5k_dataset_create(f, "/resize/noflag", i32, &snf, &orz), "resize/noflag");
  write_i32(f, "/resize/noflag", NULL, buf, 10);
  ok(h5k_resize(f, "/resize/noflag", (uint64_t[]){12}), "grow noflag");
  /* Grow in 2-D and write into the new part. */
  uint64_t d2[2] = {4, 4}, m2[2] = {H5K_UNLIMITED, H5K_UNLIMITED};
  h5k_dataspace s2d = space_n(2, d2, m2);
  h5k_dataset_options o2d = dopts();
  o2d.chunk_rank = 2;
  o2d.chunk_dims[0] = 3;
  o2d.chunk_dims[1] = 3;
  ok(h5k_dataset_create(f, "/resize/grow2d", i32, &s2d, &o2d), "resize/grow2d");
  fill_pattern(buf, 4, 4, 0);
  write_i32(f, "/resize/grow2d", NULL, buf, 16);
  ok(h5k_resize(f, "/resize/grow2d", (uint64_t[]){7, 5}), "grow2d");
  h5k_selection corner = slab(2, (uint64_t[]){6, 4}, NULL, (uint64_t[]){1, 1}, NULL);
  buf[0] = 64;
  write_i32(f, "/resize/grow2d", &corner, buf, 1);
}

/* ---- scenario: attrs ------------------------------------------------------------------------------ */
static void scenario_attrs(h5k_file *f) {
  h5k_datatype *i32 = int_type(4, 1, 0), *f64 = float_type(8, 0);
  h5k_dataspace sc = scalar(), s3 = space1(3), s100 = space1(100);
  ok(h5k_group_create(f, "/g", 0), "group /g");
  h5k_dataspace s2 = space1(2);
  ok(h5k_dataset_create(f, "/g/d", i32, &s2, NULL), "dataset /g/d");
  const int32_t two[2] = {1, 2};
  ok(h5k_write(f, "/g/d", NULL, i32, two, sizeof two), "write /g/d");
  int32_t v = 5;
  ok(h5k_attr_write(f, "/", "root_attr", i32, &sc, NULL, &v, sizeof v), "root attr");
  ok(h5k_attr_write(f, "/g", "changes", i32, &sc, NULL, &v, sizeof v), "attr changes (int)");
  ok(h5k_attr_write(f, "/g/d", "gone", i32, &sc, NULL, &v, sizeof v), "attr gone");
  ok(h5k_attr_write(f, "/g/d", "stays", f64, &sc, i32, &v, sizeof v), "attr stays");
  ok(h5k_attr_write(f, "/g", "later_gone", i32, &sc, NULL, &v, sizeof v), "attr later_gone");
  ok(h5k_flush(f), "flush 1");
  /* Overwrite with a different type and size: 3 vlen strings. */
  const char *strs[3] = {"x", "yy", "zzz"};
  ok(h5k_attr_write(f, "/g", "changes", vlen_str(H5K_CSET_UTF8), &s3, NULL, strs, sizeof strs), "attr changes -> strings");
  ok(h5k_attr_delete(f, "/g/d", "gone"), "delete gone");
  /* Overwrite twice in one transaction, growing: 100 doubles then 3 int16. */
  double big[100];
  for (int i = 0; i < 100; i++) big[i] = i * 1.5;
  ok(h5k_attr_write(f, "/g/d", "twice", f64, &s100, NULL, big, sizeof big), "attr twice (1)");
  const int16_t small[3] = {-1, 0, 1};
  ok(h5k_attr_write(f, "/g/d", "twice", int_type(2, 1, 0), &s3, NULL, small, sizeof small), "attr twice (2)");
  /* Many attributes: 20 on /many (dense storage in the latest profile), then 5 deleted. */
  ok(h5k_group_create(f, "/many", 0), "group /many");
  for (int i = 0; i < 20; i++) {
    char name[32];
    snprintf(name, sizeof name, "a%02d", i);
    int32_t x = i * i;
    ok(h5k_attr_write(f, "/many", name, i32, &sc, NULL, &x, sizeof x), name);
  }
  /* A large attribute (> 64 KiB stays invalid for compact storage in libhdf5; 8000 doubles = 64000 bytes). */
  h5k_dataspace s8000 = space1(8000);
  double *large = malloc(8000 * sizeof *large);
  for (int i = 0; i < 8000; i++) large[i] = i;
  ok(h5k_attr_write(f, "/many", "large", f64, &s8000, NULL, large, 8000 * sizeof *large), "large attribute");
  free(large);
  ok(h5k_flush(f), "flush 2");
  for (int i = 0; i < 20; i += 4) {
    char name[32];
    snprintf(name, sizeof name, "a%02d", i);
    ok(h5k_attr_delete(f, "/many", name), name);
  }
  ok(h5k_attr_delete(f, "/g", "later_gone"), "delete later_gone");
}

/* ---- scenario: links ------------------------------------------------------------------------------ */
static void scenario_links(h5k_file *f) {
  h5k_datatype *i32 = int_type(4, 1, 0);
  h5k_dataspace s3 = space1(3);
  const int32_t v[3] = {1, 2, 3};
  const char *paths[] = {"/keep/d", "/drop_ds", "/drop_grp/a", "/drop_grp/sub/b", "/shared/target", "/shared/second",
                         "/later/x"};
  for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
    h5k_dataset_options o = dopts();
    ok(h5k_dataset_create(f, paths[i], i32, &s3, &o), paths[i]);
    ok(h5k_write(f, paths[i], NULL, i32, v, sizeof v), paths[i]);
  }
  /* Two names for /shared/target; /shared/second gets a second name that is then removed. */
  ok(h5k_link_hard(f, "/shared/target", "/keep/alias", 0), "hard link alias");
  ok(h5k_link_hard(f, "/shared/second", "/keep/alias2", 0), "hard link alias2");
  /* A hard link to a group (the group then has two names). */
  ok(h5k_link_hard(f, "/keep", "/keep_again", 0), "hard link to group");
  ok(h5k_link_soft(f, "/keep/d", "/soft_ok", 0), "soft link");
  ok(h5k_link_soft(f, "/nowhere/at/all", "/soft_dangling", 0), "dangling soft link");
  ok(h5k_link_external(f, "other.h5", "/x", "/ext", 0), "external link");
  /* Unlink in the same transaction. */
  ok(h5k_unlink(f, "/drop_ds"), "unlink /drop_ds");
  ok(h5k_unlink(f, "/drop_grp"), "unlink /drop_grp");
  ok(h5k_flush(f), "flush 1");
  /* And across a flush. */
  ok(h5k_unlink(f, "/later"), "unlink /later");
  ok(h5k_unlink(f, "/shared/second"), "unlink /shared/second (still linked as /keep/alias2)");
  ok(h5k_flush(f), "flush 2");
  /* A name freed by unlink can be reused. */
  ok(h5k_dataset_create(f, "/drop_ds", int_type(2, 0, 0), &s3, NULL), "reuse name /drop_ds");
  const uint16_t w[3] = {7, 8, 9};
  ok(h5k_write(f, "/drop_ds", NULL, NULL, w, sizeof w), "write new /drop_ds");

  /* Committed datatypes: a compound type and an int type, used by a dataset and an attribute. */
  h5k_datatype *ct = new_type(H5K_CLASS_COMPOUND, 12);
  h5k_type_member m[2] = {{"x", 0, int_type(4, 1, 0)}, {"y", 4, float_type(8, 0)}};
  ct->nmembers = 2;
  ct->members = m;
  ok(h5k_datatype_commit(f, "/types/pair", ct, H5K_MKDIRS), "commit /types/pair");
  ok(h5k_datatype_commit(f, "/types/be16", int_type(2, 1, 1), 0), "commit /types/be16");
  ok(h5k_flush(f), "flush 3");
  h5k_dataset_options oc = dopts();
  oc.committed_type = "/types/pair";
  h5k_dataspace s2 = space1(2);
  ok(h5k_dataset_create(f, "/typed/pairs", NULL, &s2, &oc), "dataset with committed type");
  uint8_t pb[24];
  for (int i = 0; i < 2; i++) {
    int32_t x = 10 + i;
    double y = 0.5 * i;
    memcpy(pb + 12 * i, &x, 4);
    memcpy(pb + 12 * i + 4, &y, 8);
  }
  ok(h5k_write(f, "/typed/pairs", NULL, NULL, pb, sizeof pb), "write pairs");
  h5k_dataset_options ob = dopts();
  ob.committed_type = "/types/be16";
  ok(h5k_dataset_create(f, "/typed/be", NULL, &s3, &ob), "dataset with committed be16");
  ok(h5k_write(f, "/typed/be", NULL, i32, v, sizeof v), "write be16");
  /* A committed type whose only name is removed while a dataset still uses it: the type object
   * must survive (libhdf5 counts the dataset's use in the type's reference count). */
  ok(h5k_datatype_commit(f, "/types/orphan", float_type(4, 1), 0), "commit /types/orphan");
  h5k_dataset_options oo = dopts();
  oo.committed_type = "/types/orphan";
  ok(h5k_dataset_create(f, "/typed/orphan", NULL, &s3, &oo), "dataset with committed orphan");
  const double od[3] = {0.5, -1, 8};
  ok(h5k_write(f, "/typed/orphan", NULL, float_type(8, 0), od, sizeof od), "write orphan");
  ok(h5k_flush(f), "flush 4");
  ok(h5k_unlink(f, "/types/orphan"), "unlink /types/orphan");
}

/* ---- scenario: modify (an h5py file) ------------------------------------------------------------- */
static void scenario_modify(h5k_file *f) {
  h5k_datatype *i32 = int_type(4, 1, 0), *f64 = float_type(8, 0);
  /* /chunked: float64 (20, 30) gzip, chunk (8, 8): write a 3x4 block at (5, 6). */
  double blk[12];
  for (int i = 0; i < 12; i++) blk[i] = -1.0 - i;
  h5k_selection s = slab(2, (uint64_t[]){5, 6}, NULL, (uint64_t[]){3, 4}, NULL);
  ok(h5k_write(f, "/grp/chunked", &s, f64, blk, sizeof blk), "write /grp/chunked");
  /* /contig: int32 (50,): elements 10..14 = 1000.. */
  int32_t c[5] = {1000, 1001, 1002, 1003, 1004};
  h5k_selection s5 = slab(1, (uint64_t[]){10}, NULL, (uint64_t[]){5}, NULL);
  ok(h5k_write(f, "/contig", &s5, i32, c, sizeof c), "write /contig");
  /* /ext grows from 10 to 15 rows (maxshape None), rows 10..14 written with 7. */
  ok(h5k_resize(f, "/ext", (uint64_t[]){15}), "resize /ext");
  int32_t sev[5] = {7, 7, 7, 7, 7};
  h5k_selection s10 = slab(1, (uint64_t[]){10}, NULL, (uint64_t[]){5}, NULL);
  ok(h5k_write(f, "/ext", &s10, i32, sev, sizeof sev), "write /ext");
  /* Attributes: change one, add one, delete one. */
  h5k_dataspace sc = scalar();
  int32_t v = 43;
  ok(h5k_attr_write(f, "/grp", "answer", i32, &sc, NULL, &v, sizeof v), "change answer");
  const char *note = "added by h5kit";
  ok(h5k_attr_write(f, "/grp/chunked", "note", vlen_str(H5K_CSET_UTF8), &sc, NULL, &note, sizeof note), "add note");
  ok(h5k_attr_delete(f, "/", "remove_me"), "delete remove_me");
  /* New objects, one deleted. */
  h5k_dataspace s3 = space1(3);
  const double nd[3] = {0.5, 1.5, 2.5};
  ok(h5k_dataset_create(f, "/grp/new/data", f64, &s3, &(h5k_dataset_options){.struct_size = sizeof(h5k_dataset_options), .flags = H5K_MKDIRS}), "create /grp/new/data");
  ok(h5k_write(f, "/grp/new/data", NULL, f64, nd, sizeof nd), "write /grp/new/data");
  ok(h5k_unlink(f, "/todelete"), "unlink /todelete");
  ok(h5k_link_soft(f, "/contig", "/grp/to_contig", 0), "soft link");
}

/* ---- scenario: bad calls --------------------------------------------------------------------------- */
static void bad_base(h5k_file *f) {
  h5k_datatype *i32 = int_type(4, 1, 0);
  int32_t v[12];
  for (int i = 0; i < 12; i++) v[i] = i;
  h5k_dataspace s34 = space2(3, 4);
  ok(h5k_dataset_create(f, "/g/contig", i32, &s34, &(h5k_dataset_options){.struct_size = sizeof(h5k_dataset_options), .flags = H5K_MKDIRS}), "g/contig");
  ok(h5k_write(f, "/g/contig", NULL, i32, v, sizeof v), "write contig");
  uint64_t d[1] = {12}, m[1] = {20};
  h5k_dataspace sr = space_n(1, d, m);
  h5k_dataset_options o = dopts();
  o.chunk_rank = 1;
  o.chunk_dims[0] = 4;
  ok(h5k_dataset_create(f, "/g/chunked", i32, &sr, &o), "g/chunked");
  ok(h5k_write(f, "/g/chunked", NULL, i32, v, sizeof v), "write chunked");
  h5k_dataspace sc = scalar();
  ok(h5k_attr_write(f, "/g", "a", i32, &sc, NULL, v, sizeof v[0]), "attr a");
  ok(h5k_datatype_commit(f, "/t", i32, 0), "commit /t");
}

static void bad_calls(h5k_file *f) {
  h5k_datatype *i32 = int_type(4, 1, 0);
  int32_t v[64];
  for (int i = 0; i < 64; i++) v[i] = 100 + i; /* differs from the content: a write that slips through shows */
  h5k_dataspace s3 = space1(3), sc = scalar();
  /* h5k_write */
  bad(h5k_write(f, "/g/contig", NULL, i32, v, 11 * 4), "write: buffer smaller than the dataset");
  h5k_selection r1 = slab(1, (uint64_t[]){0}, NULL, (uint64_t[]){3}, NULL);
  bad(h5k_write(f, "/g/contig", &r1, i32, v, sizeof v), "write: selection rank 1 on a rank-2 dataset");
  h5k_selection oob = slab(2, (uint64_t[]){2, 2}, NULL, (uint64_t[]){2, 2}, NULL);
  bad(h5k_write(f, "/g/contig", &oob, i32, v, sizeof v), "write: selection past the extent (rows 2..3 of 3)");
  h5k_selection far = slab(2, (uint64_t[]){UINT64_MAX - 1, 0}, NULL, (uint64_t[]){2, 1}, NULL);
  bad(h5k_write(f, "/g/contig", &far, i32, v, sizeof v), "write: selection start near 2^64 (overflow)");
  h5k_selection wrap = slab(1, (uint64_t[]){0}, (uint64_t[]){UINT64_C(1) << 63}, (uint64_t[]){3}, NULL);
  bad(h5k_write(f, "/g/chunked", &wrap, i32, v, sizeof v), "write: stride 2^63 x count 3 (wraps around 2^64)");
  bad(h5k_write(f, "/g/contig", &(h5k_selection){.rank = 2, .start = {0, 0}, .stride = {UINT64_C(1) << 63, 1}, .count = {3, 1}, .block = {1, 1}}, i32, v, sizeof v),
      "write: contiguous, stride 2^63 x count 3 (wraps around 2^64)");
  h5k_selection strided = slab(2, (uint64_t[]){0, 0}, (uint64_t[]){2, 2}, (uint64_t[]){2, 3}, NULL);
  bad(h5k_write(f, "/g/contig", &strided, i32, v, sizeof v), "write: strided selection past the extent");
  h5k_selection zero_stride = slab(2, (uint64_t[]){0, 0}, (uint64_t[]){0, 1}, (uint64_t[]){2, 1}, NULL);
  bad(h5k_write(f, "/g/contig", &zero_stride, i32, v, sizeof v), "write: stride 0");
  h5k_selection overlap = slab(2, (uint64_t[]){0, 0}, (uint64_t[]){1, 1}, (uint64_t[]){2, 1}, (uint64_t[]){2, 1});
  bad(h5k_write(f, "/g/contig", &overlap, i32, v, sizeof v), "write: block larger than stride");
  h5k_selection chk_oob = slab(1, (uint64_t[]){10}, NULL, (uint64_t[]){4}, NULL);
  bad(h5k_write(f, "/g/chunked", &chk_oob, i32, v, sizeof v), "write: chunked selection past the extent");
  bad(h5k_write(f, "/g/contig", NULL, i32, NULL, sizeof v), "write: NULL buffer");
  h5k_datatype *vs = vlen_str(H5K_CSET_UTF8);
  bad(h5k_write(f, "/g/contig", NULL, vs, v, sizeof v), "write: vlen string memory type to an int dataset");
  h5k_datatype *cm = new_type(H5K_CLASS_COMPOUND, 4);
  h5k_type_member mm[1] = {{"zz", 0, i32}};
  cm->nmembers = 1;
  cm->members = mm;
  bad(h5k_write(f, "/g/contig", NULL, cm, v, sizeof v), "write: compound memory type to an int dataset");
  bad(h5k_write(f, "/g", NULL, i32, v, sizeof v), "write: to a group");
  bad(h5k_write(f, "/g/missing", NULL, i32, v, sizeof v), "write: to a missing dataset");
  bad(h5k_write(f, "/t", NULL, i32, v, sizeof v), "write: to a committed datatype");
  /* h5k_write_chunk */
  bad(h5k_write_chunk(f, "/g/chunked", (uint64_t[]){2}, 0, v, 16), "write_chunk: offset not a multiple of the chunk");
  bad(h5k_write_chunk(f, "/g/chunked", (uint64_t[]){16}, 0, v, 16), "write_chunk: offset past the extent");
  bad(h5k_write_chunk(f, "/g/contig", (uint64_t[]){0, 0}, 0, v, 16), "write_chunk: contiguous dataset");
  bad(h5k_write_chunk(f, "/g/chunked", (uint64_t[]){0}, 0, v, 0), "write_chunk: empty chunk");
  /* h5k_dataset_create */
  bad(h5k_dataset_create(f, "/g/contig", i32, &s3, NULL), "dataset_create: existing name");
  bad(h5k_dataset_create(f, "/g", i32, &s3, NULL), "dataset_create: existing group name");
  bad(h5k_dataset_create(f, "", i32, &s3, NULL), "dataset_create: empty path");
  bad(h5k_dataset_create(f, "/g/a/", i32, &s3, NULL), "dataset_create: name with a trailing '/' (\"a/\")");
  bad(h5k_dataset_create(f, "/g/.", i32, &s3, NULL), "dataset_create: name \".\"");
  bad(h5k_dataset_create(f, ".", i32, &s3, NULL), "dataset_create: path \".\"");
  bad(h5k_dataset_create(f, "/", i32, &s3, NULL), "dataset_create: path \"/\"");
  bad(h5k_dataset_create(f, "/nope/x", i32, &s3, &(h5k_dataset_options){.struct_size = sizeof(h5k_dataset_options)}), "dataset_create: missing parent without MKDIRS");
  bad(h5k_dataset_create(f, "/g/contig/x", i32, &s3, &(h5k_dataset_options){.struct_size = sizeof(h5k_dataset_options), .flags = H5K_MKDIRS}), "dataset_create: parent is a dataset");
  bad(h5k_dataset_create(f, "/g/x", NULL, &s3, NULL), "dataset_create: NULL type");
  bad(h5k_dataset_create(f, "/g/x", i32, NULL, NULL), "dataset_create: NULL space");
  h5k_dataset_options oc = dopts();
  oc.chunk_rank = 2;
  oc.chunk_dims[0] = oc.chunk_dims[1] = 1;
  bad(h5k_dataset_create(f, "/g/x", i32, &s3, &oc), "dataset_create: chunk rank 2 for a rank-1 space");
  oc.chunk_rank = 1;
  oc.chunk_dims[0] = 0;
  bad(h5k_dataset_create(f, "/g/x", i32, &s3, &oc), "dataset_create: chunk dimension 0");
  h5k_dataset_options ocomp = dopts();
  ocomp.storage = H5K_STORAGE_COMPACT;
  h5k_dataspace big = space1(100000);
  bad(h5k_dataset_create(f, "/g/x", i32, &big, &ocomp), "dataset_create: compact dataset of 400000 bytes");
  uint64_t d5 = 5, m4 = 4;
  h5k_dataspace inv = space_n(1, &d5, &m4);
  bad(h5k_dataset_create(f, "/g/x", i32, &inv, NULL), "dataset_create: dims above maxdims");
  h5k_dataset_options ofil = dopts();
  h5k_filter_desc unknown = {.id = 31999};
  ofil.filters = &unknown;
  ofil.nfilters = 1;
  bad(h5k_dataset_create(f, "/g/x", i32, &s3, &ofil), "dataset_create: unknown filter 31999");
  h5k_dataset_options octype = dopts();
  octype.committed_type = "/g/contig";
  bad(h5k_dataset_create(f, "/g/x", NULL, &s3, &octype), "dataset_create: committed_type is a dataset");
  octype.committed_type = "/no/such/type";
  bad(h5k_dataset_create(f, "/g/x", NULL, &s3, &octype), "dataset_create: committed_type missing");
  h5k_datatype *zero = new_type(H5K_CLASS_INTEGER, 0);
  bad(h5k_dataset_create(f, "/g/x", zero, &s3, NULL), "dataset_create: type of size 0");
  /* groups */
  bad(h5k_group_create(f, "/g", 0), "group_create: existing");
  bad(h5k_group_create(f, "/a/b/c", 0), "group_create: missing parents without MKDIRS");
  bad(h5k_group_create(f, "", 0), "group_create: empty path");
  bad(h5k_group_create(f, "/", 0), "group_create: root");
  bad(h5k_group_create(f, "/g/contig/sub", H5K_MKDIRS), "group_create: under a dataset");
  bad(h5k_group_create(f, "/g/.", 0), "group_create: name \".\"");
  /* attributes */
  bad(h5k_attr_write(f, "/g", "", i32, &sc, NULL, v, 4), "attr_write: empty name");
  bad(h5k_attr_write(f, "/g", "b", i32, &s3, NULL, v, 8), "attr_write: buffer too small");
  bad(h5k_attr_write(f, "/missing", "b", i32, &sc, NULL, v, 4), "attr_write: missing object");
  bad(h5k_attr_write(f, "/g", "b", NULL, &sc, NULL, v, 4), "attr_write: NULL type");
  bad(h5k_attr_write(f, "/g", "a", cm, &sc, i32, v, 4), "attr_write: overwrite with an unconvertible memory type");
  bad(h5k_attr_delete(f, "/g", "nope"), "attr_delete: missing attribute");
  bad(h5k_attr_delete(f, "/nope", "a"), "attr_delete: missing object");
  /* resize */
  bad(h5k_resize(f, "/g/chunked", (uint64_t[]){21}), "resize: past maxdims");
  bad(h5k_resize(f, "/g/contig", (uint64_t[]){4, 4}), "resize: contiguous dataset");
  bad(h5k_resize(f, "/g", (uint64_t[]){4}), "resize: a group");
  /* links */
  bad(h5k_unlink(f, "/"), "unlink: root");
  bad(h5k_unlink(f, "/g/nope"), "unlink: missing");
  bad(h5k_unlink(f, ""), "unlink: empty path");
  bad(h5k_link_hard(f, "/missing", "/g/h", 0), "link_hard: missing target");
  bad(h5k_link_hard(f, "/g/contig", "/g/chunked", 0), "link_hard: existing name");
  bad(h5k_link_soft(f, "/g", "/g/a/", 0), "link_soft: name with a trailing '/'");
  bad(h5k_link_soft(f, "", "/g/s", 0), "link_soft: empty target");
  bad(h5k_link_soft(f, "/x", "/g/contig", 0), "link_soft: existing name");
  bad(h5k_link_external(f, "", "/x", "/g/e", 0), "link_external: empty file");
  bad(h5k_link_external(f, "f.h5", "/x", "/g/.", 0), "link_external: name \".\"");
  bad(h5k_datatype_commit(f, "/t", i32, 0), "datatype_commit: existing name");
  bad(h5k_datatype_commit(f, "/g/contig/t", i32, 0), "datatype_commit: under a dataset");
}

static void readonly_calls(h5k_file *f) {
  h5k_datatype *i32 = int_type(4, 1, 0);
  int32_t v[12] = {0};
  h5k_dataspace s3 = space1(3), sc = scalar();
  bad(h5k_write(f, "/g/contig", NULL, i32, v, sizeof v), "read-only: write");
  bad(h5k_write_chunk(f, "/g/chunked", (uint64_t[]){0}, 0, v, 16), "read-only: write_chunk");
  bad(h5k_dataset_create(f, "/g/x", i32, &s3, NULL), "read-only: dataset_create");
  bad(h5k_group_create(f, "/h", 0), "read-only: group_create");
  bad(h5k_attr_write(f, "/g", "b", i32, &sc, NULL, v, 4), "read-only: attr_write");
  bad(h5k_attr_delete(f, "/g", "a"), "read-only: attr_delete");
  bad(h5k_resize(f, "/g/chunked", (uint64_t[]){14}), "read-only: resize");
  bad(h5k_unlink(f, "/g/contig"), "read-only: unlink");
  bad(h5k_link_soft(f, "/g", "/s", 0), "read-only: link_soft");
  bad(h5k_link_hard(f, "/g", "/s", 0), "read-only: link_hard");
  bad(h5k_link_external(f, "x.h5", "/g", "/s", 0), "read-only: link_external");
  bad(h5k_datatype_commit(f, "/t2", i32, 0), "read-only: datatype_commit");
  bad(h5k_flush(f), "read-only: flush");
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: write_driver SCENARIO OUT.h5 compat|latest [STAGE]\n");
    return 2;
  }
  setvbuf(stdout, NULL, _IOLBF, 0); /* keep our lines in order with sanitizer reports */
  const char *sc = argv[1], *path = argv[2], *stage = argc > 4 ? argv[4] : "";
  int latest = !strcmp(argv[3], "latest");
  h5k_file *f = NULL;
  if (!strcmp(sc, "modify")) {
    f = open_rw(path);
    scenario_modify(f);
  } else if (!strcmp(sc, "bad") && !strcmp(stage, "readonly")) {
    if (h5k_open(&f, path, NULL) < 0) {
      printf("FAIL: open %s: %s\n", path, h5k_error_last());
      return 1;
    }
    readonly_calls(f);
  } else if (!strcmp(sc, "bad") && !strcmp(stage, "reopen-bad")) {
    f = open_rw(path);
    bad_calls(f);
  } else {
    f = create(path, latest);
    if (!strcmp(sc, "types")) scenario_types(f);
    else if (!strcmp(sc, "layouts")) scenario_layouts(f);
    else if (!strcmp(sc, "attrs")) scenario_attrs(f);
    else if (!strcmp(sc, "links")) scenario_links(f);
    else if (!strcmp(sc, "bad")) {
      bad_base(f);
      if (!strcmp(stage, "build+bad")) bad_calls(f);
    } else {
      fprintf(stderr, "unknown scenario %s\n", sc);
      return 2;
    }
  }
  if (!(!strcmp(sc, "bad") && !strcmp(stage, "readonly"))) ok(h5k_flush(f), "final flush");
  h5k_close(f);
  free_types();
  printf("%s\n", failures ? "failed" : "done");
  return failures ? 1 : 0;
}
