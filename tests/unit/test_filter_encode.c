/* Filter encoders (the write side of every built-in filter), the write pipeline, the stored cd
 * values (h5k_filter_prepare) and the filter spec parser.
 *
 * Oracles: our decoders (h5k_pipeline_decode, tested against libhdf5-written chunks in
 * test_filters) must give every encoded chunk back; the prepare() values expected here are the
 * ones libhdf5 1.10.8 / h5py 3.7 / hdf5plugin 4.0 stored for the same datasets (read back with
 * h5py's get_filter). With `--emit DIR` the program also writes encoded chunks and a manifest for
 * tests/interop/test_filter_encode.sh, where libhdf5 itself decodes them.
 * With `--bench` it times LZ4 and bitshuffle+LZ4 encoding of a 512x512 uint16 Poisson(0.6) frame. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "filter/filter.h"
#include "testutil.h"

/* ---- data ---- */
static uint64_t rng_state = 88172645463325252ULL;
static uint64_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

/* Poisson(lambda) by inversion (small lambda). */
static unsigned poisson(double lambda) {
  double l = exp(-lambda), p = 1.0;
  unsigned k = 0;
  do {
    k++;
    p *= (double)(rnd() >> 11) / 9007199254740992.0;
  } while (p > l);
  return k - 1;
}

enum { D_RANDOM, D_ZEROS, D_RAMP, D_POISSON, D_NPAT };
static const char *const pat_names[] = {"random", "zeros", "ramp", "poisson"};

static void fill(uint8_t *buf, size_t nelem, size_t size, int pat) {
  for (size_t i = 0; i < nelem; i++) {
    uint64_t v = pat == D_RANDOM ? rnd() : pat == D_ZEROS ? 0 : pat == D_RAMP ? i * 3 + 7 : poisson(0.6);
    for (size_t k = 0; k < size; k++) buf[i * size + k] = (uint8_t)(v >> (8 * (k % 8)));
  }
}

static void int_type(h5k_datatype *t, size_t size, int is_signed, int big) {
  memset(t, 0, sizeof *t);
  t->cls = H5K_CLASS_INTEGER;
  t->size = size;
  t->precision = (uint32_t)(8 * size);
  t->is_signed = is_signed;
  t->big_endian = big;
}

static void float_type(h5k_datatype *t, size_t size) {
  memset(t, 0, sizeof *t);
  t->cls = H5K_CLASS_FLOAT;
  t->size = size;
  t->precision = (uint32_t)(8 * size);
}

/* Encode with filter `id` (user cd ucd) through h5k_pipeline_encode, decode, compare with in.
 * Returns the encoded size (0 on failure). */
static size_t roundtrip(unsigned id, unsigned flags, const uint32_t *ucd, size_t uncd, const h5k_datatype *t,
                        const uint8_t *in, size_t nelem, uint32_t *mask_out, const char *what) {
  uint32_t cd[64];
  size_t ncd = 64, enc_len = 0, dec_len = 0;
  uint64_t dims[1] = {nelem};
  uint8_t *enc = NULL, *dec = NULL;
  uint32_t mask = 0;
  h5k_filter_desc f;
  int rc;
  size_t len = nelem * t->size;

  rc = h5k_filter_prepare(cd, &ncd, id, ucd, uncd, t, 1, dims);
  CHECK(rc == 0);
  if (rc) return 0;
  f.id = id;
  f.flags = flags;
  f.name = h5k_filter_stored_name(id);
  f.ncd = ncd;
  f.cd = cd;
  rc = h5k_pipeline_encode(&enc, &enc_len, &mask, NULL, &f, 1, in, len, t->size);
  CHECK(rc == 0);
  if (rc == 0) {
    rc = h5k_pipeline_decode(&dec, &dec_len, NULL, &f, 1, mask, enc, enc_len, len, t->size);
    CHECK(rc == 0);
    if (rc == 0) {
      CHECK_EQ_U(dec_len, len);
      if (dec_len != len || memcmp(dec, in, len) != 0) {
        fprintf(stderr, "  round trip differs: filter %u, %s, %zu x %zu bytes\n", id, what, nelem, (size_t)t->size);
        CHECK(0);
      }
    }
  }
  if (mask_out) *mask_out = mask;
  free(enc);
  free(dec);
  return rc == 0 ? (enc_len ? enc_len : 1) : 0;
}

static void test_lossless(void) {
  static const unsigned ids[] = {H5K_FILTER_DEFLATE, H5K_FILTER_SHUFFLE, H5K_FILTER_FLETCHER32, H5K_FILTER_SZIP,
                                 H5K_FILTER_LZF,     H5K_FILTER_LZ4,     H5K_FILTER_BITSHUFFLE, H5K_FILTER_ZSTD,
                                 H5K_FILTER_BLOSC,   H5K_FILTER_NBIT,    H5K_FILTER_SCALEOFFSET};
  static const size_t sizes[] = {1, 2, 4, 8};
  static const size_t counts[] = {1, 7, 8, 1000, 4099};
  size_t maxn = 4099;
  uint8_t *buf = malloc(maxn * 8);
  for (size_t a = 0; a < sizeof ids / sizeof ids[0]; a++) {
    for (size_t s = 0; s < 4; s++) {
      for (size_t c = 0; c < 5; c++) {
        for (int pat = 0; pat < D_NPAT; pat++) {
          h5k_datatype t;
          char what[64];
          uint32_t mask = 0;
          size_t n = counts[c];
          int_type(&t, sizes[s], pat == D_RAMP, 0);
          if (ids[a] == H5K_FILTER_SZIP && (sizes[s] == 8 || n < 8)) continue; /* 64-bit / tiny: see below */
          fill(buf, n, sizes[s], pat);
          snprintf(what, sizeof what, "%s", pat_names[pat]);
          roundtrip(ids[a], 1, NULL, 0, &t, buf, n, &mask, what);
          /* LZF gives up on random data (optional: skipped); everything else always runs */
          if (ids[a] != H5K_FILTER_LZF) CHECK_EQ_U(mask, 0);
        }
      }
    }
  }
  /* variants: levels, block sizes, compressors */
  {
    h5k_datatype t;
    uint32_t u[3];
    int_type(&t, 2, 0, 0);
    fill(buf, 4099, 2, D_POISSON);
    for (unsigned lv = 0; lv <= 9; lv += 3) {
      u[0] = lv;
      roundtrip(H5K_FILTER_DEFLATE, 1, u, 1, &t, buf, 4099, NULL, "deflate level");
    }
    u[0] = 1000; /* LZ4 blocks of 1000 bytes: 9 blocks, the last one short */
    roundtrip(H5K_FILTER_LZ4, 1, u, 1, &t, buf, 4099, NULL, "lz4 blocks");
    fill(buf, 4099, 2, D_RANDOM);
    roundtrip(H5K_FILTER_LZ4, 1, u, 1, &t, buf, 4099, NULL, "lz4 raw blocks");
    for (unsigned comp = 0; comp <= 3; comp++) {
      if (comp == 1) continue;
      u[0] = 64; /* bitshuffle blocks of 64 elements */
      u[1] = comp;
      u[2] = 5;
      fill(buf, 4099, 2, D_POISSON);
      roundtrip(H5K_FILTER_BITSHUFFLE, 1, u, 3, &t, buf, 4099, NULL, "bitshuffle block 64");
    }
    for (unsigned comp = 0; comp <= 5; comp++) {
      u[0] = 7;
      u[1] = comp % 3;
      u[2] = comp;
      roundtrip(H5K_FILTER_BLOSC, 1, u, 3, &t, buf, 4099, NULL, "blosc compressors");
    }
    u[0] = 4; /* szip ec, 16 pixels per block; and 32-bit data */
    u[1] = 16;
    roundtrip(H5K_FILTER_SZIP, 1, u, 2, &t, buf, 4099, NULL, "szip ec");
  }
  free(buf);
}

/* Bitshuffle encode is the inverse of decode for every element size the SIMD paths treat
 * differently (1, 2, 4, 8 and odd sizes), block lengths with and without a 16-word SIMD run. */
static void test_bitshuffle_sizes(void) {
  static const size_t sizes[] = {1, 2, 3, 4, 5, 8, 12, 16};
  for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
    h5k_datatype t;
    size_t n = 8 * 37 + 5;
    uint8_t *buf = malloc(n * sizes[s]);
    uint32_t u[3] = {0, 2, 0};
    memset(&t, 0, sizeof t);
    t.cls = H5K_CLASS_OPAQUE;
    t.size = sizes[s];
    fill(buf, n, sizes[s], D_RANDOM);
    roundtrip(H5K_FILTER_BITSHUFFLE, 1, u, 2, &t, buf, n, NULL, "bitshuffle sizes");
    u[1] = 0;
    roundtrip(H5K_FILTER_BITSHUFFLE, 1, u, 2, &t, buf, n, NULL, "bitshuffle sizes, no compression");
    roundtrip(H5K_FILTER_SHUFFLE, 1, NULL, 0, &t, buf, n, NULL, "shuffle sizes");
    free(buf);
  }
  /* a known answer: 8 one-byte elements 0x01, 0, ..: row 0 (bit 0) holds 0x01, the rest 0 */
  {
    uint8_t in[8] = {1, 0, 0, 0, 0, 0, 0, 0x80}, *enc = NULL;
    uint32_t cd[5] = {0, 3, 1, 0, 0}, mask = 0;
    size_t len = 0;
    h5k_filter_desc f = {H5K_FILTER_BITSHUFFLE, 1, NULL, 5, cd};
    CHECK(h5k_pipeline_encode(&enc, &len, &mask, NULL, &f, 1, in, 8, 1) == 0);
    CHECK_EQ_U(len, 8);
    if (enc && len == 8) {
      CHECK_EQ_U(enc[0], 0x01); /* bit 0 of element 0 */
      CHECK_EQ_U(enc[7], 0x80); /* bit 7 of element 7 */
      CHECK_EQ_U(enc[1] | enc[2] | enc[3] | enc[4] | enc[5] | enc[6], 0);
    }
    free(enc);
  }
}

/* Known answers for the framing (from the plugins' format descriptions). */
static void test_framing(void) {
  uint8_t in[100], *enc = NULL;
  size_t len = 0;
  uint32_t mask = 0, cd[1] = {0};
  h5k_filter_desc f = {H5K_FILTER_LZ4, 1, NULL, 1, cd};
  memset(in, 'a', sizeof in);
  CHECK(h5k_pipeline_encode(&enc, &len, &mask, NULL, &f, 1, in, 100, 1) == 0);
  if (enc && len > 16) {
    CHECK_EQ_U(enc[7], 100); /* total size, big-endian */
    CHECK_EQ_U(enc[11], 100); /* block clamped to the chunk */
    CHECK_EQ_U((size_t)enc[15] + 16, len);
  }
  free(enc);
  enc = NULL;
  {
    uint8_t d[6] = {1, 2, 3, 4, 5, 6};
    h5k_filter_desc g = {H5K_FILTER_FLETCHER32, 0, NULL, 0, NULL};
    CHECK(h5k_pipeline_encode(&enc, &len, &mask, NULL, &g, 1, d, 6, 1) == 0);
    CHECK_EQ_U(len, 10);
    /* words 0x0102 0x0304 0x0506: sum1 = 0x090c, sum2 = 0x0102+0x0406+0x090c = 0x0e14 */
    if (enc && len == 10) CHECK_EQ_U(enc[6] | enc[7] << 8 | enc[8] << 16 | (uint32_t)enc[9] << 24, 0x0e14090cu);
    free(enc);
  }
}

static void test_nbit(void) {
  /* 12-bit values in 16-bit little-endian integers at bit offset 2; a compound of them */
  h5k_datatype t, mt[2], c;
  h5k_type_member m[2];
  uint32_t cd[64];
  size_t ncd = 64, n = 333;
  uint64_t dims[1] = {333};
  uint8_t *buf = malloc(n * 6);
  int_type(&t, 2, 0, 0);
  t.precision = 12;
  t.bit_offset = 2;
  CHECK(h5k_filter_prepare(cd, &ncd, H5K_FILTER_NBIT, NULL, 0, &t, 1, dims) == 0);
  CHECK_EQ_U(ncd, 8);
  if (ncd == 8) { /* as libhdf5 stores it: count, flag, elements, atomic: class, size, order, precision, offset */
    static const uint32_t want[8] = {8, 0, 333, 1, 2, 0, 12, 2};
    for (int i = 0; i < 8; i++) CHECK_EQ_U(cd[i], want[i]);
  }
  for (size_t i = 0; i < n; i++) {
    uint16_t v = (uint16_t)((rnd() & 0xfff) << 2);
    buf[2 * i] = (uint8_t)v;
    buf[2 * i + 1] = (uint8_t)(v >> 8);
  }
  CHECK(roundtrip(H5K_FILTER_NBIT, 1, NULL, 0, &t, buf, n, NULL, "nbit 12 bits") == 333 * 12 / 8 + 1);
  t.big_endian = 1; /* the same values stored big-endian */
  for (size_t i = 0; i < n; i++) {
    uint8_t x = buf[2 * i];
    buf[2 * i] = buf[2 * i + 1];
    buf[2 * i + 1] = x;
  }
  CHECK(roundtrip(H5K_FILTER_NBIT, 1, NULL, 0, &t, buf, n, NULL, "nbit 12 bits BE") > 0);
  /* compound {u16 prec 12 off 2 @0, i32 full @2} of 6 bytes */
  int_type(&mt[0], 2, 0, 0);
  mt[0].precision = 12;
  mt[0].bit_offset = 2;
  int_type(&mt[1], 4, 1, 0);
  m[0].name = (char *)"a";
  m[0].offset = 0;
  m[0].type = &mt[0];
  m[1].name = (char *)"b";
  m[1].offset = 2;
  m[1].type = &mt[1];
  memset(&c, 0, sizeof c);
  c.cls = H5K_CLASS_COMPOUND;
  c.size = 6;
  c.nmembers = 2;
  c.members = m;
  ncd = 64;
  CHECK(h5k_filter_prepare(cd, &ncd, H5K_FILTER_NBIT, NULL, 0, &c, 1, dims) == 0);
  CHECK_EQ_U(ncd, 3 + 3 + 2 * 6);
  for (size_t i = 0; i < n; i++) {
    uint16_t v = (uint16_t)((rnd() & 0xfff) << 2);
    uint32_t w = (uint32_t)rnd();
    buf[6 * i] = (uint8_t)v;
    buf[6 * i + 1] = (uint8_t)(v >> 8);
    for (int k = 0; k < 4; k++) buf[6 * i + 2 + (size_t)k] = (uint8_t)(w >> (8 * k));
  }
  CHECK(roundtrip(H5K_FILTER_NBIT, 1, NULL, 0, &c, buf, n, NULL, "nbit compound") == (333 * 44) / 8 + 1);
  /* a full-precision type: flag 1, stored as is */
  int_type(&t, 4, 0, 0);
  ncd = 64;
  CHECK(h5k_filter_prepare(cd, &ncd, H5K_FILTER_NBIT, NULL, 0, &t, 1, dims) == 0);
  CHECK_EQ_U(cd[1], 1);
  free(buf);
}

static void test_scaleoffset(void) {
  size_t n = 500;
  uint8_t *buf = malloc(n * 8);
  h5k_datatype t;
  uint32_t u[1];
  /* integers, automatic minimum bits: lossless */
  for (int big = 0; big <= 1; big++) {
    for (size_t s = 1; s <= 8; s *= 2) {
      int_type(&t, s, 1, big);
      fill(buf, n, s, D_RAMP);
      CHECK(roundtrip(H5K_FILTER_SCALEOFFSET, 1, NULL, 0, &t, buf, n, NULL, "so int ramp") > 0);
      fill(buf, n, s, D_RANDOM); /* full span: stored unpacked */
      CHECK(roundtrip(H5K_FILTER_SCALEOFFSET, 1, NULL, 0, &t, buf, n, NULL, "so int random") == 21 + n * s);
      fill(buf, n, s, D_ZEROS); /* span 1 with the fill value reserved: 1 bit per value */
      CHECK(roundtrip(H5K_FILTER_SCALEOFFSET, 1, NULL, 0, &t, buf, n, NULL, "so int zeros") == 21 + n / 8 + 1);
      u[0] = (uint32_t)(8 * s); /* full precision requested: untouched */
      CHECK(roundtrip(H5K_FILTER_SCALEOFFSET, 1, u, 1, &t, buf, n, NULL, "so int full") == n * s);
    }
  }
  /* floats, 2 decimal digits: values within 0.005 */
  for (size_t s = 4; s <= 8; s *= 2) {
    uint32_t cd[32];
    size_t ncd = 32, elen = 0, dlen = 0;
    uint64_t dims[1] = {500};
    uint8_t *enc = NULL, *dec = NULL;
    uint32_t mask = 0;
    h5k_filter_desc f;
    float_type(&t, s);
    u[0] = 2;
    CHECK(h5k_filter_prepare(cd, &ncd, H5K_FILTER_SCALEOFFSET, u, 1, &t, 1, dims) == 0);
    for (size_t i = 0; i < n; i++) {
      double x = sin((double)i * 0.1) * 100.0;
      if (s == 4) {
        float fx = (float)x;
        memcpy(buf + 4 * i, &fx, 4);
      } else {
        memcpy(buf + 8 * i, &x, 8);
      }
    }
    f.id = H5K_FILTER_SCALEOFFSET;
    f.flags = 1;
    f.name = NULL;
    f.ncd = ncd;
    f.cd = cd;
    CHECK(h5k_pipeline_encode(&enc, &elen, &mask, NULL, &f, 1, buf, n * s, s) == 0);
    CHECK(elen < n * s);
    CHECK(h5k_pipeline_decode(&dec, &dlen, NULL, &f, 1, mask, enc, elen, n * s, s) == 0);
    if (dec && dlen == n * s) {
      double worst = 0;
      for (size_t i = 0; i < n; i++) {
        double a, b;
        if (s == 4) {
          float fa, fb;
          memcpy(&fa, buf + 4 * i, 4);
          memcpy(&fb, dec + 4 * i, 4);
          a = fa;
          b = fb;
        } else {
          memcpy(&a, buf + 8 * i, 8);
          memcpy(&b, dec + 8 * i, 8);
        }
        if (fabs(a - b) > worst) worst = fabs(a - b);
      }
      CHECK(worst <= 0.0051);
    }
    free(enc);
    free(dec);
  }
  free(buf);
}

/* The values libhdf5 1.10.8 / h5py 3.7 / hdf5plugin 4.0.1 stored for a 10x100 dataset with
 * chunks (5, 20) (h5py get_filter on files it wrote). */
static void test_prepare(void) {
  h5k_datatype u2, i4, f4;
  uint64_t dims[2] = {5, 20};
  uint32_t cd[32], u[3];
  size_t ncd;
  int_type(&u2, 2, 0, 0);
  int_type(&i4, 4, 1, 0);
  float_type(&f4, 4);
#define EXPECT(id, ucd, uncd, type, ...)                                                 \
  do {                                                                                   \
    static const uint32_t want_[] = {__VA_ARGS__};                                       \
    ncd = 32;                                                                            \
    CHECK(h5k_filter_prepare(cd, &ncd, id, ucd, uncd, type, 2, dims) == 0);              \
    CHECK_EQ_U(ncd, sizeof want_ / sizeof want_[0]);                                     \
    for (size_t i_ = 0; i_ < ncd && i_ < sizeof want_ / sizeof want_[0]; i_++) CHECK_EQ_U(cd[i_], want_[i_]); \
  } while (0)
  u[0] = 6;
  EXPECT(H5K_FILTER_DEFLATE, u, 1, &u2, 6);
  EXPECT(H5K_FILTER_DEFLATE, NULL, 0, &u2, 4);
  EXPECT(H5K_FILTER_SHUFFLE, NULL, 0, &u2, 2);
  EXPECT(H5K_FILTER_SZIP, NULL, 0, &u2, 169, 8, 16, 20);
  u[0] = 4;
  u[1] = 16;
  EXPECT(H5K_FILTER_SZIP, u, 2, &u2, 141, 16, 16, 20);
  EXPECT(H5K_FILTER_LZF, NULL, 0, &u2, 4, 261, 200);
  EXPECT(H5K_FILTER_LZ4, NULL, 0, &u2, 0);
  u[0] = 1024;
  EXPECT(H5K_FILTER_LZ4, u, 1, &u2, 1024);
  u[0] = 0;
  u[1] = 2;
  EXPECT(H5K_FILTER_BITSHUFFLE, u, 2, &u2, 0, 3, 2, 0, 2);
  u[1] = 0;
  EXPECT(H5K_FILTER_BITSHUFFLE, u, 2, &u2, 0, 3, 2, 0, 0);
  u[1] = 3;
  u[2] = 3;
  EXPECT(H5K_FILTER_BITSHUFFLE, u, 3, &u2, 0, 3, 2, 0, 3, 3);
  EXPECT(H5K_FILTER_BLOSC, NULL, 0, &u2, 2, 2, 2, 200, 5, 1, 1);
  u[0] = 7;
  u[1] = 2;
  u[2] = 5;
  EXPECT(H5K_FILTER_BLOSC, u, 3, &u2, 2, 2, 2, 200, 7, 2, 5);
  u[0] = 2;
  EXPECT(H5K_FILTER_SCALEOFFSET, u, 1, &f4, 0, 2, 100, 1, 4, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  EXPECT(H5K_FILTER_SCALEOFFSET, NULL, 0, &i4, 2, 0, 100, 0, 4, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
#undef EXPECT
  /* fletcher32 has no values at all */
  ncd = 32;
  CHECK(h5k_filter_prepare(cd, &ncd, H5K_FILTER_FLETCHER32, NULL, 0, &u2, 2, dims) == 0);
  CHECK_EQ_U(ncd, 0);
  /* capacity too small */
  ncd = 5;
  CHECK(h5k_filter_prepare(cd, &ncd, H5K_FILTER_SCALEOFFSET, NULL, 0, &i4, 2, dims) == H5K_ELIMIT);
  /* szip on a 64-bit type is fine, on a 48-bit one not */
  {
    h5k_datatype t;
    int_type(&t, 6, 0, 0);
    ncd = 32;
    CHECK(h5k_filter_prepare(cd, &ncd, H5K_FILTER_SZIP, NULL, 0, &t, 2, dims) == H5K_EINVAL);
  }
  CHECK(strcmp(h5k_filter_stored_name(H5K_FILTER_DEFLATE), "deflate") == 0);
  CHECK(strncmp(h5k_filter_stored_name(H5K_FILTER_LZ4), "HDF5 lz4 filter", 15) == 0);
  CHECK(h5k_filter_stored_name(999) == NULL);
}

static void test_mask(void) {
  uint8_t in[4096], *out = NULL;
  size_t len = 0;
  uint32_t mask = 0, lzf_cd[3] = {4, 261, 4096}, defl[1] = {4};
  h5k_filter_desc f[3] = {{H5K_FILTER_LZF, 1, "lzf", 3, lzf_cd},
                          {307, 1, "bzip2", 0, NULL},
                          {H5K_FILTER_DEFLATE, 1, "deflate", 1, defl}};
  fill(in, 4096, 1, D_RANDOM);
  /* LZF cannot shrink random data, bzip2 has no encoder: both optional, skipped */
  CHECK(h5k_pipeline_encode(&out, &len, &mask, NULL, f, 3, in, 4096, 1) == 0);
  CHECK_EQ_U(mask, 3);
  free(out);
  out = NULL;
  {
    uint8_t *dec = NULL;
    size_t dlen = 0;
    CHECK(h5k_pipeline_encode(&out, &len, &mask, NULL, f, 3, in, 4096, 1) == 0);
    CHECK(h5k_pipeline_decode(&dec, &dlen, NULL, f, 3, mask, out, len, 4096, 1) == 0);
    CHECK(dec && dlen == 4096 && memcmp(dec, in, 4096) == 0);
    free(dec);
    free(out);
    out = NULL;
  }
  /* mandatory versions fail, naming the filter */
  f[0].flags = 0;
  CHECK(h5k_pipeline_encode(&out, &len, &mask, NULL, f, 1, in, 4096, 1) == H5K_ELIMIT);
  CHECK(strstr(h5k_error_last(), "lzf") != NULL);
  f[1].flags = 0;
  CHECK(h5k_pipeline_encode(&out, &len, &mask, NULL, f + 1, 1, in, 4096, 1) == H5K_EUNSUPPORTED);
  CHECK(strstr(h5k_error_last(), "307") != NULL);
  CHECK(out == NULL);
  /* no filters: a copy */
  CHECK(h5k_pipeline_encode(&out, &len, &mask, NULL, f, 0, in, 10, 1) == 0);
  CHECK(out && len == 10 && mask == 0 && memcmp(out, in, 10) == 0);
  free(out);
}

static void test_parse(void) {
  h5k_filter_spec s[8];
  size_t n = 0;
  CHECK(h5k_filter_parse_spec(s, &n, 8, "shuffle,deflate=4") == 0);
  CHECK_EQ_U(n, 2);
  CHECK_EQ_U(s[0].id, 2);
  CHECK_EQ_U(s[0].flags, 1);
  CHECK_EQ_U(s[1].id, 1);
  CHECK_EQ_U(s[1].ncd, 1);
  CHECK_EQ_U(s[1].cd[0], 4);
  CHECK(h5k_filter_parse_spec(s, &n, 8, "bslz4") == 0 && n == 1 && s[0].id == 32008 && s[0].cd[1] == 2);
  CHECK(h5k_filter_parse_spec(s, &n, 8, "bszstd=7") == 0 && n == 1 && s[0].cd[1] == 3 && s[0].cd[2] == 7);
  CHECK(h5k_filter_parse_spec(s, &n, 8, "zstd=-5") == 0 && n == 1 && (int32_t)s[0].cd[0] == -5);
  CHECK(h5k_filter_parse_spec(s, &n, 8, "blosc=7:2:zstd") == 0 && s[0].cd[0] == 7 && s[0].cd[1] == 2 && s[0].cd[2] == 5);
  CHECK(h5k_filter_parse_spec(s, &n, 8, "szip=ec:16") == 0 && s[0].cd[0] == 4 && s[0].cd[1] == 16);
  CHECK(h5k_filter_parse_spec(s, &n, 8, "fletcher32,scaleoffset=2,lzf,lz4,nbit") == 0 && n == 5);
  CHECK_EQ_U(s[0].flags, 0);
  CHECK_EQ_U(s[1].cd[0], 2);
  CHECK(h5k_filter_parse_spec(s, &n, 8, "deflate!=9") == 0 && n == 1 && s[0].flags == 0 && s[0].cd[0] == 9);
  CHECK(h5k_filter_parse_spec(s, &n, 8, "none") == 0 && n == 0);
  CHECK(h5k_filter_parse_spec(s, &n, 8, "deflate=10") == H5K_EINVAL);
  CHECK(h5k_filter_parse_spec(s, &n, 8, "bogus") == H5K_EINVAL);
  CHECK(h5k_filter_parse_spec(s, &n, 8, "deflate,,lzf") == H5K_EINVAL);
  CHECK(h5k_filter_parse_spec(s, &n, 8, "deflate=") == H5K_EINVAL);
  CHECK(h5k_filter_parse_spec(s, &n, 1, "shuffle,lzf") == H5K_ELIMIT);
}

/* ---- --emit DIR: chunks for the interop test ----
 * manifest lines: name dtype(numpy) n0 n1 id flags mask cd,cd,.. (or -) ; files name.raw / .enc / .dec */
static int emit_case(FILE *man, const char *dir, const char *name, const char *np_type, const h5k_datatype *t,
                     unsigned id, const uint32_t *ucd, size_t uncd, int pat, int flt) {
  uint64_t dims[2] = {64, 48};
  size_t n = 64 * 48, len = n * t->size, elen = 0, dlen = 0, ncd = 64;
  uint8_t *raw = malloc(len), *enc = NULL, *dec = NULL;
  uint32_t cd[64], mask = 0;
  h5k_filter_desc f;
  char path[1024];
  FILE *fp;
  int rc;
  if (flt) {
    for (size_t i = 0; i < n; i++) {
      double x = sin((double)i * 0.01) * 50.0 + (double)(rnd() % 1000) / 1000.0;
      if (t->size == 4) {
        float fx = (float)x;
        memcpy(raw + 4 * i, &fx, 4);
      } else {
        memcpy(raw + 8 * i, &x, 8);
      }
    }
  } else {
    fill(raw, n, t->size, pat);
    if (t->precision < t->size * 8) /* n-bit data: only the significant bits */
      for (size_t i = 0; i < n; i++) {
        uint64_t v = 0, m = ((((uint64_t)1 << t->precision) - 1) << t->bit_offset);
        for (size_t k = 0; k < t->size; k++) v |= (uint64_t)raw[i * t->size + k] << (8 * k);
        v &= m;
        for (size_t k = 0; k < t->size; k++) raw[i * t->size + k] = (uint8_t)(v >> (8 * k));
      }
  }
  rc = h5k_filter_prepare(cd, &ncd, id, ucd, uncd, t, 2, dims);
  if (rc == 0) {
    f.id = id;
    f.flags = id == H5K_FILTER_FLETCHER32 ? 0 : 1;
    f.name = h5k_filter_stored_name(id);
    f.ncd = ncd;
    f.cd = cd;
    rc = h5k_pipeline_encode(&enc, &elen, &mask, NULL, &f, 1, raw, len, t->size);
  }
  if (rc == 0) rc = h5k_pipeline_decode(&dec, &dlen, NULL, &f, 1, mask, enc, elen, len, t->size);
  if (rc == 0) {
    fprintf(man, "%s %s 64 48 %u %u %u ", name, np_type, id, f.flags, (unsigned)mask);
    for (size_t i = 0; i < ncd; i++) fprintf(man, "%s%u", i ? "," : "", (unsigned)cd[i]);
    fprintf(man, "%s\n", ncd ? "" : "-");
    const char *ext[3] = {"raw", "enc", "dec"};
    const uint8_t *data[3] = {raw, enc, dec};
    size_t sz[3] = {len, elen, dlen};
    for (int k = 0; k < 3 && rc == 0; k++) {
      snprintf(path, sizeof path, "%s/%s.%s", dir, name, ext[k]);
      fp = fopen(path, "wb");
      if (!fp || fwrite(data[k], 1, sz[k], fp) != sz[k]) rc = -1;
      if (fp) fclose(fp);
    }
  }
  if (rc) fprintf(stderr, "emit %s failed: %s\n", name, h5k_error_last());
  free(raw);
  free(enc);
  free(dec);
  return rc;
}

static int emit(const char *dir) {
  char path[1024];
  FILE *man;
  h5k_datatype u1, u2, i4, u4, f4, f8, n12, u2be;
  uint32_t u[3];
  int rc = 0;
  int_type(&u1, 1, 0, 0);
  int_type(&u2, 2, 0, 0);
  int_type(&i4, 4, 1, 0);
  int_type(&u4, 4, 0, 0);
  int_type(&u2be, 2, 0, 1);
  float_type(&f4, 4);
  float_type(&f8, 8);
  int_type(&n12, 2, 0, 0);
  n12.precision = 12;
  n12.bit_offset = 2;
  snprintf(path, sizeof path, "%s/manifest.txt", dir);
  man = fopen(path, "w");
  if (!man) return 1;
  u[0] = 6;
  rc |= emit_case(man, dir, "gzip6", "<u2", &u2, H5K_FILTER_DEFLATE, u, 1, D_POISSON, 0);
  u[0] = 1;
  rc |= emit_case(man, dir, "gzip1_random", "<i4", &i4, H5K_FILTER_DEFLATE, u, 1, D_RANDOM, 0);
  rc |= emit_case(man, dir, "shuffle", "<i4", &i4, H5K_FILTER_SHUFFLE, NULL, 0, D_RAMP, 0);
  rc |= emit_case(man, dir, "fletcher32", "<f8", &f8, H5K_FILTER_FLETCHER32, NULL, 0, 0, 1);
  rc |= emit_case(man, dir, "szip_nn8", "<u2", &u2, H5K_FILTER_SZIP, NULL, 0, D_POISSON, 0);
  u[0] = 4;
  u[1] = 16;
  rc |= emit_case(man, dir, "szip_ec16", "<i4", &i4, H5K_FILTER_SZIP, u, 2, D_RAMP, 0);
  rc |= emit_case(man, dir, "szip_be", ">u2", &u2be, H5K_FILTER_SZIP, NULL, 0, D_POISSON, 0);
  rc |= emit_case(man, dir, "lzf", "<u2", &u2, H5K_FILTER_LZF, NULL, 0, D_POISSON, 0);
  rc |= emit_case(man, dir, "lzf_random", "<u1", &u1, H5K_FILTER_LZF, NULL, 0, D_RANDOM, 0);
  rc |= emit_case(man, dir, "nbit12", "nbit12", &n12, H5K_FILTER_NBIT, NULL, 0, D_RANDOM, 0);
  rc |= emit_case(man, dir, "so_int", "<i4", &i4, H5K_FILTER_SCALEOFFSET, NULL, 0, D_POISSON, 0);
  rc |= emit_case(man, dir, "so_int_be", ">u2", &u2be, H5K_FILTER_SCALEOFFSET, NULL, 0, D_RAMP, 0);
  u[0] = 2;
  rc |= emit_case(man, dir, "so_f4", "<f4", &f4, H5K_FILTER_SCALEOFFSET, u, 1, 0, 1);
  u[0] = 3;
  rc |= emit_case(man, dir, "so_f8", "<f8", &f8, H5K_FILTER_SCALEOFFSET, u, 1, 0, 1);
  rc |= emit_case(man, dir, "lz4", "<u2", &u2, H5K_FILTER_LZ4, NULL, 0, D_POISSON, 0);
  u[0] = 1000;
  rc |= emit_case(man, dir, "lz4_blocks", "<u2", &u2, H5K_FILTER_LZ4, u, 1, D_RANDOM, 0);
  u[0] = 0;
  u[1] = 2;
  rc |= emit_case(man, dir, "bslz4", "<u2", &u2, H5K_FILTER_BITSHUFFLE, u, 2, D_POISSON, 0);
  u[1] = 0;
  rc |= emit_case(man, dir, "bitshuffle", "<u4", &u4, H5K_FILTER_BITSHUFFLE, u, 2, D_RAMP, 0);
  u[0] = 0;
  u[1] = 3;
  u[2] = 3;
  rc |= emit_case(man, dir, "bszstd", "<u2", &u2, H5K_FILTER_BITSHUFFLE, u, 3, D_POISSON, 0);
  rc |= emit_case(man, dir, "blosc", "<u2", &u2, H5K_FILTER_BLOSC, NULL, 0, D_POISSON, 0);
  u[0] = 7;
  u[1] = 2;
  u[2] = 5;
  rc |= emit_case(man, dir, "blosc_zstd_bit", "<i4", &i4, H5K_FILTER_BLOSC, u, 3, D_RAMP, 0);
  u[0] = 3;
  rc |= emit_case(man, dir, "zstd", "<u2", &u2, H5K_FILTER_ZSTD, u, 1, D_POISSON, 0);
  fclose(man);
  return rc ? 1 : 0;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int bench(void) {
  size_t n = 512 * 512, len = n * 2;
  uint8_t *frame = malloc(len);
  h5k_datatype u2;
  uint64_t dims[2] = {512, 512};
  struct {
    const char *name;
    unsigned id;
    uint32_t u[3];
    size_t nu;
  } cases[] = {{"lz4", H5K_FILTER_LZ4, {0}, 0},
               {"bitshuffle+lz4", H5K_FILTER_BITSHUFFLE, {0, 2}, 2},
               {"bitshuffle (none)", H5K_FILTER_BITSHUFFLE, {0, 0}, 2},
               {"deflate 4", H5K_FILTER_DEFLATE, {4}, 1},
               {"shuffle", H5K_FILTER_SHUFFLE, {0}, 0},
               {"zstd 3", H5K_FILTER_ZSTD, {3}, 1}};
  int_type(&u2, 2, 0, 0);
  fill(frame, n, 2, D_POISSON);
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    uint32_t cd[32], mask;
    size_t ncd = 32, elen = 0;
    h5k_filter_desc f;
    double t0, best = 1e9;
    h5k_filter_prepare(cd, &ncd, cases[c].id, cases[c].u, cases[c].nu, &u2, 2, dims);
    f.id = cases[c].id;
    f.flags = 1;
    f.name = NULL;
    f.ncd = ncd;
    f.cd = cd;
    for (int rep = 0; rep < 20; rep++) {
      uint8_t *enc = NULL;
      t0 = now();
      h5k_pipeline_encode(&enc, &elen, &mask, NULL, &f, 1, frame, len, 2);
      t0 = now() - t0;
      if (t0 < best) best = t0;
      free(enc);
    }
    printf("%-20s %8.0f MB/s  ratio %.2f\n", cases[c].name, (double)len / best / 1e6, (double)len / (double)elen);
  }
  free(frame);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "--emit") == 0) return emit(argv[2]);
  if (argc == 2 && strcmp(argv[1], "--bench") == 0) return bench();
  test_lossless();
  test_bitshuffle_sizes();
  test_framing();
  test_nbit();
  test_scaleoffset();
  test_prepare();
  test_mask();
  test_parse();
  return test_finish("test_filter_encode");
}
