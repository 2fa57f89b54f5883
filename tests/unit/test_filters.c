/* Filter pipeline and built-in codecs (src/filter/).
 *
 * 1. Real chunks: tests/data/make_filter_chunks.py has libhdf5 (h5py, hdf5plugin) write small
 *    datasets with every filter into a temporary directory; for each, the stored chunk, the bytes
 *    libhdf5 decodes it to and the pipeline as stored. h5k_pipeline_decode must reproduce the
 *    decoded bytes exactly. Skipped (with a message) only when h5py is not installed.
 * 2. Corrupt inputs built from those chunks: truncation, bit flips, hostile size headers, a
 *    wrong checksum: an error (never a crash; the sanitizer build checks memory safety).
 * 3. Pipeline rules: mask, unknown filters (optional or not), error messages naming the filter,
 *    a user class overriding a built-in, the fletcher32 byte-swapped checksum of old files.
 * 4. The SIMD transposes against plain reference loops. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter/codecs.h"
#include "filter/filter.h"
#include "testutil.h"

#define MAX_CASE_FILTERS 8
#define MAX_CD 256

typedef struct tcase {
  char name[256];
  size_t elem_size, expect_len;
  uint32_t mask;
  size_t nf;
  h5k_filter_desc f[MAX_CASE_FILTERS];
  uint32_t cd[MAX_CASE_FILTERS][MAX_CD];
  uint8_t *raw, *exp;
  size_t raw_len, exp_len;
} tcase;

static int load_case(tcase *t, const char *dir, const char *name) {
  char path[1024], key[32];
  FILE *f;
  memset(t, 0, sizeof *t);
  snprintf(t->name, sizeof t->name, "%s", name);
  snprintf(path, sizeof path, "%s/%s.meta", dir, name);
  f = fopen(path, "r");
  if (!f) return -1;
  while (fscanf(f, "%31s", key) == 1) {
    if (!strcmp(key, "elem_size")) {
      if (fscanf(f, "%zu", &t->elem_size) != 1) break;
    } else if (!strcmp(key, "expect_len")) {
      if (fscanf(f, "%zu", &t->expect_len) != 1) break;
    } else if (!strcmp(key, "mask")) {
      if (fscanf(f, "%u", &t->mask) != 1) break;
    } else if (!strcmp(key, "filter") && t->nf < MAX_CASE_FILTERS) {
      h5k_filter_desc *d = &t->f[t->nf];
      unsigned id, flags;
      size_t ncd;
      if (fscanf(f, "%u %u %zu", &id, &flags, &ncd) != 3 || ncd > MAX_CD) break;
      for (size_t i = 0; i < ncd; i++)
        if (fscanf(f, "%u", &t->cd[t->nf][i]) != 1) break;
      d->id = id;
      d->flags = flags;
      d->ncd = ncd;
      d->cd = t->cd[t->nf];
      t->nf++;
    }
  }
  fclose(f);
  snprintf(path, sizeof path, "%s/%s.raw", dir, name);
  t->raw = slurp(path, &t->raw_len);
  snprintf(path, sizeof path, "%s/%s.exp", dir, name);
  t->exp = slurp(path, &t->exp_len);
  return (t->raw && t->exp && t->exp_len == t->expect_len) ? 0 : -1;
}

static int has_filter(const tcase *t, unsigned id) {
  for (size_t i = 0; i < t->nf; i++)
    if (t->f[i].id == id && !(t->mask & (1u << i))) return 1;
  return 0;
}

static int decode(const tcase *t, const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len) {
  return h5k_pipeline_decode(out, out_len, NULL, t->f, t->nf, t->mask, in, in_len, t->expect_len, t->elem_size);
}

/* The chunk decodes to exactly what libhdf5 produced. */
static void check_real(const tcase *t) {
  uint8_t *out = NULL;
  size_t out_len = 0;
  int rc = decode(t, t->raw, t->raw_len, &out, &out_len);
  if (rc != 0) fprintf(stderr, "%s: rc %d: %s\n", t->name, rc, h5k_error_last());
  CHECK_EQ_U(rc, 0);
  if (rc == 0) {
    CHECK_EQ_U(out_len, t->expect_len);
    if (out_len == t->expect_len && memcmp(out, t->exp, out_len) != 0) {
      size_t i = 0;
      while (out[i] == t->exp[i]) i++;
      fprintf(stderr, "%s: first difference at byte %zu: %02x, libhdf5 %02x\n", t->name, i, out[i], t->exp[i]);
      CHECK(!"decoded bytes differ from libhdf5's");
    }
  }
  free(out);
}

/* Corrupt inputs: an error or (for bit flips a filter cannot notice) a full-size output. */
static void check_corrupt(const tcase *t, uint64_t *rng, int flips) {
  uint8_t *buf = malloc(t->raw_len + 1), *out = NULL;
  size_t out_len;
  int rc;

  /* Truncated: a half or a single byte must fail. Losing the last byte may not: n-bit and
   * scale-offset writers allocate a spare byte after the packed bits, szip pads its stream;
   * then the output must still be right. */
  if (t->raw_len >= 2) {
    size_t cuts[3] = {t->raw_len / 2, 1, t->raw_len - 1};
    for (int k = 0; k < 3; k++) {
      rc = decode(t, t->raw, cuts[k], &out, &out_len);
      if (k < 2) {
        if (rc == 0) fprintf(stderr, "%s: truncated to %zu bytes decoded\n", t->name, cuts[k]);
        CHECK(rc < 0);
      } else if (rc == 0) {
        CHECK(out_len == t->expect_len && memcmp(out, t->exp, out_len) == 0);
      }
      free(out);
      out = NULL;
    }
  }
  /* Bit flips: no crash; checksummed data must fail. H5KIT_TEST_FLIPS=N runs N per chunk. */
  for (int k = 0; k < flips && t->raw_len; k++) {
    size_t pos;
    memcpy(buf, t->raw, t->raw_len);
    *rng = *rng * 6364136223846793005ULL + 1442695040888963407ULL;
    pos = (size_t)(*rng >> 33) % t->raw_len;
    buf[pos] ^= (uint8_t)(1u << ((*rng >> 20) & 7));
    rc = decode(t, buf, t->raw_len, &out, &out_len);
    if (rc == 0) CHECK_EQ_U(out_len, t->expect_len);
    if (has_filter(t, H5K_FILTER_FLETCHER32)) CHECK(rc == H5K_ECORRUPT);
    free(out);
    out = NULL;
  }
  /* Hostile size headers: huge sizes must fail before any allocation. */
  if (t->nf == 1 && !t->mask && t->raw_len >= 12) {
    unsigned id = t->f[0].id;
    memcpy(buf, t->raw, t->raw_len);
    if (id == H5K_FILTER_LZ4 || id == H5K_FILTER_BITSHUFFLE) {
      if (id == H5K_FILTER_LZ4 || (t->f[0].ncd >= 5 && t->f[0].cd[4] != 0)) {
        memset(buf, 0x7f, 8); /* 8-byte big-endian total: ~9.2e18 */
        rc = decode(t, buf, t->raw_len, &out, &out_len);
        CHECK_EQ_U(rc, H5K_ECORRUPT);
        free(out);
        out = NULL;
        memcpy(buf, t->raw, t->raw_len);
        memset(buf + 8, 0, 4); /* block size 0 */
        rc = decode(t, buf, t->raw_len, &out, &out_len);
        CHECK(rc < 0);
        free(out);
        out = NULL;
      }
    } else if (id == H5K_FILTER_SZIP) {
      memset(buf, 0xff, 4); /* 4-byte little-endian size */
      rc = decode(t, buf, t->raw_len, &out, &out_len);
      CHECK_EQ_U(rc, H5K_ECORRUPT);
      free(out);
      out = NULL;
    } else if (id == H5K_FILTER_BLOSC) {
      memset(buf + 4, 0xff, 4); /* nbytes of the blosc header */
      rc = decode(t, buf, t->raw_len, &out, &out_len);
      CHECK(rc < 0);
      free(out);
      out = NULL;
    } else if (id == H5K_FILTER_SCALEOFFSET) {
      tcase h = *t; /* hostile element count in the client data */
      uint32_t cd[MAX_CD];
      memcpy(cd, t->f[0].cd, t->f[0].ncd * sizeof cd[0]);
      cd[2] = 0xffffffffu;
      h.f[0].cd = cd;
      rc = decode(&h, t->raw, t->raw_len, &out, &out_len);
      CHECK_EQ_U(rc, H5K_ECORRUPT);
      free(out);
      out = NULL;
    } else if (id == H5K_FILTER_NBIT) {
      tcase h = *t;
      uint32_t cd[MAX_CD];
      memcpy(cd, t->f[0].cd, t->f[0].ncd * sizeof cd[0]);
      cd[2] = 0xffffffffu;
      h.f[0].cd = cd;
      rc = decode(&h, t->raw, t->raw_len, &out, &out_len);
      if (cd[1] == 0) CHECK_EQ_U(rc, H5K_ECORRUPT); /* else stored as is: cd[2] unused */
      free(out);
      out = NULL;
      /* a description cut short */
      h.f[0].cd = t->f[0].cd;
      h.f[0].ncd = 6;
      rc = decode(&h, t->raw, t->raw_len, &out, &out_len);
      CHECK(rc < 0 || cd[1] != 0);
      free(out);
      out = NULL;
    }
  }
  free(buf);
}

/* Run the generator; returns the number of cases loaded into *cases. */
static size_t load_cases(const char *dir, tcase **cases) {
  char path[1024], line[256];
  size_t n = 0, cap = 0;
  FILE *f;
  snprintf(path, sizeof path, "%s/cases.txt", dir);
  f = fopen(path, "r");
  if (!f) return 0;
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\r\n")] = 0;
    if (!line[0]) continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 64;
      *cases = realloc(*cases, cap * sizeof **cases);
    }
    if (load_case(&(*cases)[n], dir, line) == 0) n++;
    else {
      fprintf(stderr, "test_filters: cannot load case %s\n", line);
      CHECK(!"case loads");
    }
  }
  fclose(f);
  return n;
}

static void free_case(tcase *t) {
  free(t->raw);
  free(t->exp);
}

static const tcase *find_case(const tcase *cases, size_t n, const char *name) {
  for (size_t i = 0; i < n; i++)
    if (!strcmp(cases[i].name, name)) return &cases[i];
  return NULL;
}

/* ---- pipeline rules -------------------------------------------------------------------------- */

static int fake_calls;
static int fake_decode(uint8_t **out, size_t *out_len, const uint8_t *in, size_t in_len, const uint32_t *cd,
                       size_t ncd, size_t size_hint, size_t elem_size) {
  (void)cd;
  (void)ncd;
  (void)size_hint;
  (void)elem_size;
  fake_calls++;
  *out = malloc(in_len + 1);
  if (!*out) return H5K_ENOMEM;
  for (size_t i = 0; i < in_len; i++) (*out)[i] = (uint8_t)(in[i] ^ 0x5a);
  *out_len = in_len;
  return 0;
}

static void check_rules(const tcase *cases, size_t ncases) {
  uint8_t data[64], *out = NULL;
  size_t out_len = 0;
  uint32_t cd1 = 4;
  h5k_filter_desc unknown = {307, 0, "bzip2-ish", 0, NULL};
  h5k_filter_desc unknown_opt = {40000, 1, NULL, 0, NULL};
  h5k_filter_desc deflate = {H5K_FILTER_DEFLATE, 0, NULL, 1, &cd1};
  h5k_filter_desc two[2] = {{H5K_FILTER_DEFLATE, 0, NULL, 1, &cd1}, {307, 1, "bzip2", 0, NULL}};
  int rc;

  for (size_t i = 0; i < sizeof data; i++) data[i] = (uint8_t)(i * 7);

  /* no filters: a copy */
  rc = h5k_pipeline_decode(&out, &out_len, NULL, NULL, 0, 0, data, sizeof data, sizeof data, 1);
  CHECK_EQ_U(rc, 0);
  CHECK(out && out_len == sizeof data && memcmp(out, data, sizeof data) == 0);
  free(out);
  out = NULL;
  /* ... but the size must match */
  rc = h5k_pipeline_decode(&out, &out_len, NULL, NULL, 0, 0, data, sizeof data, sizeof data + 1, 1);
  CHECK_EQ_U(rc, H5K_ECORRUPT);
  CHECK(out == NULL);

  /* unknown filter: unsupported, message has id and stored name; optional makes no difference */
  rc = h5k_pipeline_decode(&out, &out_len, NULL, &unknown, 1, 0, data, sizeof data, sizeof data, 1);
  CHECK_EQ_U(rc, H5K_EUNSUPPORTED);
  CHECK(strstr(h5k_error_last(), "307") && strstr(h5k_error_last(), "bzip2-ish"));
  rc = h5k_pipeline_decode(&out, &out_len, NULL, &unknown_opt, 1, 0, data, sizeof data, sizeof data, 1);
  CHECK_EQ_U(rc, H5K_EUNSUPPORTED);
  CHECK(strstr(h5k_error_last(), "40000") != NULL);
  /* ... unless the chunk's mask says it was skipped */
  rc = h5k_pipeline_decode(&out, &out_len, NULL, &unknown, 1, 1, data, sizeof data, sizeof data, 1);
  CHECK_EQ_U(rc, 0);
  free(out);
  out = NULL;

  /* failure message names the filter */
  rc = h5k_pipeline_decode(&out, &out_len, NULL, &deflate, 1, 0, data, sizeof data, sizeof data, 1);
  CHECK_EQ_U(rc, H5K_ECORRUPT);
  CHECK(strncmp(h5k_error_last(), "filter 1 (deflate) failed: ", 27) == 0);

  /* filters undone last first: the unknown filter 307 (position 1) is reached before deflate */
  rc = h5k_pipeline_decode(&out, &out_len, NULL, two, 2, 0, data, sizeof data, sizeof data, 1);
  CHECK_EQ_U(rc, H5K_EUNSUPPORTED);
  CHECK(strstr(h5k_error_last(), "307") != NULL);

  /* more than 32 filters */
  {
    h5k_filter_desc many[33];
    for (int i = 0; i < 33; i++) many[i] = deflate;
    rc = h5k_pipeline_decode(&out, &out_len, NULL, many, 33, 0, data, sizeof data, sizeof data, 1);
    CHECK_EQ_U(rc, H5K_ECORRUPT);
  }

  /* a class registered on the file overrides the built-in with its id, and runs */
  {
    h5k_filter_class fake = {sizeof(h5k_filter_class), H5K_FILTER_DEFLATE, "fake", fake_decode, NULL};
    const h5k_filter_class *extra[1] = {&fake};
    h5k_filter_set set = {extra, 1};
    fake_calls = 0;
    rc = h5k_pipeline_decode(&out, &out_len, &set, &deflate, 1, 0, data, sizeof data, sizeof data, 1);
    CHECK_EQ_U(rc, 0);
    CHECK_EQ_U(fake_calls, 1);
    CHECK(out && out[3] == (uint8_t)(data[3] ^ 0x5a));
    free(out);
    out = NULL;
  }

  /* registry and names */
  CHECK(h5k_filter_builtin(H5K_FILTER_BITSHUFFLE) != NULL);
  CHECK(h5k_filter_builtin(307) == NULL);
  CHECK(strcmp(h5k_filter_name(H5K_FILTER_BITSHUFFLE), "bitshuffle") == 0);
  CHECK(strcmp(h5k_filter_name(H5K_FILTER_LZ4), "lz4") == 0);
  CHECK(strcmp(h5k_filter_name(99999), "unknown") == 0);
  {
    static const unsigned ids[] = {1, 2, 3, 4, 5, 6, 32000, 32001, 32004, 32008, 32015};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
      const h5k_filter_class *c = h5k_filter_builtin(ids[i]);
      CHECK(c && c->id == ids[i] && c->decode && c->struct_size == sizeof(h5k_filter_class));
    }
  }

  /* fletcher32: the byte-swapped checksum written by libhdf5 < 1.6.3 is accepted too */
  {
    const tcase *t = find_case(cases, ncases, "fletcher_i4");
    if (t && t->raw_len >= 4) {
      uint8_t *buf = malloc(t->raw_len);
      size_t e = t->raw_len - 4;
      memcpy(buf, t->raw, t->raw_len);
      buf[e] = t->raw[e + 1];
      buf[e + 1] = t->raw[e];
      buf[e + 2] = t->raw[e + 3];
      buf[e + 3] = t->raw[e + 2];
      rc = decode(t, buf, t->raw_len, &out, &out_len);
      CHECK_EQ_U(rc, 0);
      CHECK(rc == 0 && out_len == t->expect_len && memcmp(out, t->exp, out_len) == 0);
      free(out);
      out = NULL;
      buf[e] ^= 1; /* now wrong either way */
      rc = decode(t, buf, t->raw_len, &out, &out_len);
      CHECK_EQ_U(rc, H5K_ECORRUPT);
      CHECK(strstr(h5k_error_last(), "filter 3 (fletcher32) failed") != NULL);
      free(buf);
    }
  }
}

/* ---- transposes ------------------------------------------------------------------------------- */

static void check_transposes(void) {
  static const size_t sizes[] = {1, 2, 3, 4, 5, 8, 12, 16, 17};
  uint64_t s = 12345;
  for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
    size_t size = sizes[si];
    for (size_t n = 8; n <= 4200; n += n < 1000 ? 8 * 43 : 3064) { /* 8 352 696 1040 4104 */
      size_t bytes = n * size;
      uint8_t *in = malloc(bytes), *out = malloc(bytes + 1), *ref = malloc(bytes), *scratch = malloc(bytes);
      for (size_t i = 0; i < bytes; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        in[i] = (uint8_t)(s >> 56);
      }
      /* bytes: out[i*size + j] = in[j*n + i]; plain stores, non-temporal ones into an aligned
       * output, and the stream request on a misaligned one (which must fall back) */
      for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < size; j++) ref[i * size + j] = in[j * n + i];
      for (int mode = 0; mode < 3; mode++) {
        memset(out, 0, bytes + 1);
        h5k_unshuffle_bytes(out + (mode == 2), in, n, size, mode != 0);
        CHECK(memcmp(out + (mode == 2), ref, bytes) == 0);
      }
      /* bits: bit b of byte j of element i is bit i%8 of byte (8j+b)*(n/8) + i/8 */
      memset(ref, 0, bytes);
      for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < size; j++)
          for (size_t b = 0; b < 8; b++) {
            unsigned bit = (in[(8 * j + b) * (n / 8) + i / 8] >> (i % 8)) & 1;
            ref[i * size + j] |= (uint8_t)(bit << b);
          }
      for (int mode = 0; mode < 3; mode++) {
        memset(out, 0, bytes + 1);
        h5k_bitunshuffle_block(out + (mode == 2), in, n, size, scratch, mode != 0);
        CHECK(memcmp(out + (mode == 2), ref, bytes) == 0);
      }
      /* and back: the bit shuffle of those elements is the input */
      memset(out, 0, bytes);
      h5k_bitshuffle_block(out, ref, n, size, scratch);
      CHECK(memcmp(out, in, bytes) == 0);
      free(in);
      free(out);
      free(ref);
      free(scratch);
    }
  }
}

static void check_codec_regressions(void);

int main(void) {
  char dir[] = "/tmp/h5kit_filters_XXXXXX", *script;
  tcase *cases = NULL;
  size_t ncases = 0;
  uint64_t rng = 42;
  int flips = getenv("H5KIT_TEST_FLIPS") ? atoi(getenv("H5KIT_TEST_FLIPS")) : 24;

  check_transposes();
  check_codec_regressions();

  if (!have_h5py()) {
    printf("test_filters: h5py not available under /usr/bin/python3: real-chunk tests skipped\n");
    check_rules(NULL, 0);
    return test_finish("test_filters");
  }
  if (!mkdtemp(dir)) {
    CHECK(!"mkdtemp");
    return test_finish("test_filters");
  }
  script = data_path("make_filter_chunks.py");
  CHECK(script && run_python(script, dir) == 0);
  free(script);
  ncases = load_cases(dir, &cases);
  CHECK(ncases >= 30);
  printf("test_filters: %zu real chunks\n", ncases);

  for (size_t i = 0; i < ncases; i++) {
    check_real(&cases[i]);
    check_corrupt(&cases[i], &rng, flips);
  }
  check_rules(cases, ncases);

  for (size_t i = 0; i < ncases; i++) free_case(&cases[i]);
  free(cases);
  remove_dir(dir);
  return test_finish("test_filters");
}

/* 5. Regressions of the Blosc/szip fuzz campaign (docs/fuzzing.md, "Codec campaign"). Chunks
 * are made with h5kit's encoder (libaec's SZ_BufftoBuffCompress, as libhdf5 does), so these
 * run without h5py. */
static int szip_one(const uint32_t cd[4], const uint8_t *in, size_t in_len, size_t expect, uint8_t **out) {
  h5k_filter_desc fd = {H5K_FILTER_SZIP, 0, NULL, 4, cd};
  size_t out_len = 0;
  int rc;
  *out = NULL;
  rc = h5k_pipeline_decode(out, &out_len, NULL, &fd, 1, 0, in, in_len, expect, 8);
  if (rc == 0) CHECK_EQ_U(out_len, expect);
  return rc;
}

static void check_codec_regressions(void) {
  /* cd: options (NN, or EC, with K13, raw, LSB as libhdf5 stores them), block, bits, scanline */
  static const uint32_t sets[][4] = {
    {169, 16, 16, 333}, /* scanline not a multiple of the block: libaec pads each line */
    {169, 8, 64, 40},   /* 64-bit pixels: coded as 8 byte planes */
    {141, 32, 32, 300}, /* both */
    {141, 8, 8, 1000},  /* neither: decoded straight into the output */
  };
  for (size_t k = 0; k < sizeof sets / sizeof sets[0]; k++) {
    const uint32_t *cd = sets[k];
    size_t esize = cd[2] > 8 ? cd[2] / 8 : 1, n = 2000, len = n * esize, clen = 0;
    uint8_t *data = malloc(len), *enc = NULL, *out = NULL;
    uint32_t mask = 0;
    h5k_filter_desc fd = {H5K_FILTER_SZIP, 0, NULL, 4, cd};
    int rc;
    for (size_t i = 0; i < len; i++) data[i] = (uint8_t)((i / esize) * 7 / 5 + (i % esize == 0 ? i % 3 : 0));
    rc = h5k_pipeline_encode(&enc, &clen, &mask, NULL, &fd, 1, data, len, esize);
    CHECK_EQ_U(rc, 0);
    if (rc != 0 || mask != 0 || clen < 12) {
      CHECK(!"szip encode");
      free(data);
      free(enc);
      continue;
    }
    /* the valid chunk still decodes to the data */
    rc = szip_one(cd, enc, clen, len, &out);
    CHECK_EQ_U(rc, 0);
    if (rc == 0) CHECK(memcmp(out, data, len) == 0);
    free(out);
    /* stream cut short behind an intact size header: libaec's padding path reported the full
     * size and returned its buffer's uninitialised rest; now an error */
    rc = szip_one(cd, enc, 4 + (clen - 4) / 3, len, &out);
    CHECK_EQ_U(rc, H5K_ECORRUPT);
    free(out);
    /* an odd block: libaec 1.0.6 writes past its reference-sample buffer */
    {
      uint32_t odd[4] = {cd[0], cd[1] + 1, cd[2], cd[3]};
      rc = szip_one(odd, enc, clen, len, &out);
      CHECK_EQ_U(rc, H5K_ECORRUPT);
      CHECK(strstr(h5k_error_last(), "szip") != NULL);
      free(out);
    }
    /* 64-bit pixels and a size that is no whole number of them */
    if (cd[2] == 64) {
      uint8_t *bad = malloc(clen);
      memcpy(bad, enc, clen);
      put_le(bad, len - 4, 4); /* the chunk's size header */
      rc = szip_one(cd, bad, clen, len - 4, &out);
      CHECK_EQ_U(rc, H5K_ECORRUPT);
      free(out);
      free(bad);
    }
    free(enc);
    free(data);
  }
  /* fuzz reproducer regress-szip-odd-block-overflow: block 17, 64-bit pixels, scanline 64 */
  {
    static const uint8_t chunk[] = {
      0x00, 0x02, 0x00, 0x00, 0x60, 0x33, 0x52, 0x72, 0xa8, 0x69, 0x58, 0xc8, 0x44, 0x03, 0x2d, 0x1a,
      0x68, 0x8a, 0x9a, 0xa5, 0x5c, 0x15, 0x43, 0x29, 0x54, 0xb1, 0x50, 0x4d, 0x93, 0x2c, 0x88, 0xaa,
      0x3b, 0xd9, 0x30, 0x99, 0x47, 0x16, 0x8c, 0x85, 0x05, 0x00, 0x00, 0x40, 0x00, 0x20, 0x00, 0x10,
      0x00, 0x08, 0x00, 0x04, 0x00, 0x02, 0x00, 0x01};
    static const uint32_t cd[4] = {169, 17, 64, 64};
    uint8_t *out = NULL;
    CHECK_EQ_U(szip_one(cd, chunk, sizeof chunk, 512, &out), H5K_ECORRUPT);
    free(out);
  }
  /* fuzz reproducer regress-szip-uninit-padded-scanline: 512 bytes claimed, a 2-byte stream */
  {
    static const uint8_t chunk[] = {0x00, 0x02, 0x00, 0x00, 0x00, 0xec};
    static const uint32_t cd[4] = {169, 24, 64, 64};
    uint8_t *out = NULL;
    CHECK_EQ_U(szip_one(cd, chunk, sizeof chunk, 512, &out), H5K_ECORRUPT);
    free(out);
  }
}
