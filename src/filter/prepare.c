/* The write-side set-up of filters: the cd values a dataset STORES for each filter (libhdf5's
 * "set local" callbacks and the plugins' equivalents), and the parser of filter specs.
 *
 * Spec: HDF5 File Format Specification 3.0, IV.A.2.l (Filter Pipeline Message: client data are
 * 32-bit values). The values themselves are defined by the filters' writers, not by the spec;
 * they were checked against what libhdf5 1.10 / h5py 3.7 / hdf5plugin store for the same
 * datasets (tests/interop/test_filter_encode.sh):
 *
 *   filter      stored cd values
 *   deflate     level
 *   shuffle     element size
 *   fletcher32  (none)
 *   szip        options mask (user | ALLOW_K13 | RAW, CHIP cleared, LSB or MSB by the type's byte
 *               order), pixels per block, bits per pixel (the precision; full size when the type
 *               has a bit offset; 25..32 -> 32, 33..64 -> 64), pixels per scanline (the chunk's
 *               last dimension, at most 128 blocks' worth; the whole chunk's element count, at
 *               most 128 blocks, when that dimension is shorter than a block)
 *   nbit        number of values, 1 if every atomic part has full precision, elements per chunk,
 *               then the type tree (see nbit.c)
 *   scaleoffset 20 values (see scaleoffset.c), fill value "defined" with the default 0
 *   lzf         4 (h5py's filter revision), 261 (LZF 1.5), chunk bytes
 *   blosc       2 (filter revision), 2 (blosc format), type size (an array's base size; 1 above
 *               255), chunk bytes (that type size x elements), clevel, shuffle, compressor
 *   lz4         block bytes (0: default)
 *   bitshuffle  0, 3 (the version hdf5plugin's filter records), element size, block elements
 *               (0: default), compression (0, 2 LZ4, 3 zstd), zstd level (only with zstd)
 *   zstd        level */
#include <stdlib.h>
#include <string.h>

#include "filter/filter.h"
#include "util/checked.h"
#include "util/error.h"

/* Option bits of szip's mask (szlib.h SZ_*_OPTION_MASK; libhdf5's H5_SZIP_*_OPTION_MASK). */
enum { SZ_K13 = 1, SZ_CHIP = 2, SZ_EC = 4, SZ_LSB = 8, SZ_MSB = 16, SZ_NN = 32, SZ_RAW = 128 };
#define SZ_BLOCKS_PER_SCANLINE 128
#define SZ_PIXELS_PER_SCANLINE 4096
#define NBIT_MAX_PARAMS 4096

typedef struct cd_list {
  uint32_t *v;
  size_t n, cap;
  int over; /* ran past cap */
} cd_list;

static void put(cd_list *l, uint64_t x) {
  if (l->n < l->cap) l->v[l->n] = (uint32_t)x;
  else l->over = 1;
  l->n++;
}

static int chunk_elems(uint64_t *out, unsigned rank, const uint64_t *dims) {
  uint64_t n = 1;
  if (rank == 0 || !dims) return h5k_err(H5K_EINVAL, "filter set-up needs the chunk dimensions");
  for (unsigned i = 0; i < rank; i++) {
    if (dims[i] == 0 || n > UINT32_MAX / dims[i]) return h5k_err(H5K_EINVAL, "chunk of more than 2^32-1 elements");
    n *= dims[i];
  }
  *out = n;
  return 0;
}

static int is_atomic(const h5k_datatype *t) { return t->cls == H5K_CLASS_INTEGER || t->cls == H5K_CLASS_FLOAT; }

static int order_of(const h5k_datatype *t, unsigned *order) {
  if (t->big_endian != 0 && t->big_endian != 1) return h5k_err(H5K_EINVAL, "byte order %d not supported", t->big_endian);
  *order = (unsigned)t->big_endian;
  return 0;
}

/* ---- n-bit: the type tree ---- */
static int nbit_node(cd_list *l, const h5k_datatype *t, int *need_not, unsigned depth);

static int nbit_atomic(cd_list *l, const h5k_datatype *t, int *need_not) {
  unsigned order = 0;
  TRY(order_of(t, &order));
  if (t->precision == 0 || (uint64_t)t->precision + t->bit_offset > t->size * 8)
    return h5k_err(H5K_EINVAL, "nbit: invalid precision %u / offset %u for a %llu-byte type", (unsigned)t->precision,
                   (unsigned)t->bit_offset, (unsigned long long)t->size);
  put(l, 1);
  put(l, t->size);
  put(l, order);
  put(l, t->precision);
  put(l, t->bit_offset);
  if (t->bit_offset != 0 || t->precision != t->size * 8) *need_not = 0;
  return 0;
}

static int nbit_node(cd_list *l, const h5k_datatype *t, int *need_not, unsigned depth) {
  if (depth > H5K_MAX_TYPE_DEPTH) return h5k_err(H5K_EINVAL, "nbit: datatype nested too deeply");
  if (t->size == 0 || t->size > UINT32_MAX) return h5k_err(H5K_EINVAL, "nbit: datatype size %llu", (unsigned long long)t->size);
  if (is_atomic(t)) return nbit_atomic(l, t, need_not);
  if (t->cls == H5K_CLASS_ARRAY) {
    if (!t->base) return h5k_err(H5K_EINVAL, "nbit: array without a base type");
    put(l, 2);
    put(l, t->size);
    return nbit_node(l, t->base, need_not, depth + 1);
  }
  if (t->cls == H5K_CLASS_COMPOUND) {
    put(l, 3);
    put(l, t->size);
    put(l, t->nmembers);
    for (size_t i = 0; i < t->nmembers; i++) {
      const h5k_type_member *m = &t->members[i];
      put(l, m->offset);
      if (m->type->cls == H5K_CLASS_VLEN) { /* libhdf5 sizes these by the distance to the next member */
        uint64_t next = i + 1 < t->nmembers ? t->members[i + 1].offset : t->size;
        put(l, 4);
        put(l, next - m->offset);
      } else {
        TRY(nbit_node(l, m->type, need_not, depth + 1));
      }
    }
    return 0;
  }
  put(l, 4); /* anything else: copied as is */
  put(l, t->size);
  return 0;
}

static int prepare_nbit(cd_list *l, const h5k_datatype *t, uint64_t nelem) {
  int need_not = 1;
  put(l, 0); /* count, patched below */
  put(l, 0); /* flag */
  put(l, nelem);
  if (is_atomic(t) || t->cls == H5K_CLASS_ARRAY || t->cls == H5K_CLASS_COMPOUND) TRY(nbit_node(l, t, &need_not, 0));
  if (l->n > NBIT_MAX_PARAMS) return h5k_err(H5K_EINVAL, "nbit: datatype needs %zu parameters (at most 4096)", l->n);
  if (l->cap >= 2) {
    l->v[0] = (uint32_t)l->n;
    l->v[1] = (uint32_t)need_not;
  }
  return 0;
}

/* ---- scale-offset ---- */
static int prepare_scaleoffset(cd_list *l, const uint32_t *ucd, size_t uncd, const h5k_datatype *t, uint64_t nelem) {
  unsigned order = 0, stype, factor = 0;
  if (!is_atomic(t)) return h5k_err(H5K_EINVAL, "scaleoffset: only integer and floating-point data");
  TRY(order_of(t, &order));
  if (t->cls == H5K_CLASS_INTEGER ? (t->size != 1 && t->size != 2 && t->size != 4 && t->size != 8)
                                  : (t->size != 4 && t->size != 8))
    return h5k_err(H5K_EINVAL, "scaleoffset: no C type of %llu bytes", (unsigned long long)t->size);
  stype = t->cls == H5K_CLASS_INTEGER ? 2 : 0;
  if (uncd == 1) factor = ucd[0];
  if (uncd >= 2) {
    stype = ucd[0];
    factor = ucd[1];
  }
  if (t->cls == H5K_CLASS_INTEGER && stype != 2) return h5k_err(H5K_EINVAL, "scaleoffset: scale type %u for integers", stype);
  if (t->cls == H5K_CLASS_FLOAT && stype != 0) return h5k_err(H5K_EINVAL, "scaleoffset: scale type %u for floats (D-scale only)", stype);
  put(l, stype);
  put(l, factor);
  put(l, nelem);
  put(l, t->cls == H5K_CLASS_INTEGER ? 0 : 1);
  put(l, t->size);
  put(l, t->cls == H5K_CLASS_INTEGER && t->is_signed ? 1 : 0);
  put(l, order);
  put(l, 1); /* fill value defined: the default, zero */
  while (l->n < 20) put(l, 0);
  return 0;
}

/* ---- szip ---- */
static int prepare_szip(cd_list *l, const uint32_t *ucd, size_t uncd, const h5k_datatype *t, unsigned rank,
                        const uint64_t *dims, uint64_t nelem) {
  const h5k_datatype *a = t->cls == H5K_CLASS_ENUM && t->base ? t->base : t;
  unsigned mask = uncd >= 1 ? ucd[0] : SZ_NN, ppb = uncd >= 2 ? ucd[1] : 8, order = 0;
  uint64_t bits = t->size * 8, prec, scan;
  if (!is_atomic(a) && a->cls != H5K_CLASS_BITFIELD) return h5k_err(H5K_EINVAL, "szip: only integer and floating-point data");
  if (bits == 0 || (bits > 32 && bits != 64)) return h5k_err(H5K_EINVAL, "szip: element of %llu bits", (unsigned long long)bits);
  if (ppb < 2 || ppb > 32 || ppb % 2) return h5k_err(H5K_EINVAL, "szip: %u pixels per block (even, 2-32)", ppb);
  TRY(order_of(a, &order));
  prec = a->precision ? a->precision : bits;
  if (prec < bits && a->bit_offset != 0) prec = bits;
  if (prec > 24) prec = prec <= 32 ? 32 : 64;
  scan = dims[rank - 1];
  if (scan < ppb) {
    if (nelem < ppb) return h5k_err(H5K_EINVAL, "szip: %u pixels per block, more than the chunk's %llu elements", ppb,
                                    (unsigned long long)nelem);
    scan = (uint64_t)ppb * SZ_BLOCKS_PER_SCANLINE < nelem ? (uint64_t)ppb * SZ_BLOCKS_PER_SCANLINE : nelem;
  } else if (scan <= SZ_PIXELS_PER_SCANLINE) {
    if ((uint64_t)ppb * SZ_BLOCKS_PER_SCANLINE < scan) scan = (uint64_t)ppb * SZ_BLOCKS_PER_SCANLINE;
  } else {
    scan = (uint64_t)ppb * SZ_BLOCKS_PER_SCANLINE;
  }
  mask = (mask & ~(unsigned)SZ_CHIP) | SZ_K13 | SZ_RAW; /* H5Pset_szip, then set-local adds RAW */
  mask &= ~(unsigned)(SZ_LSB | SZ_MSB);
  mask |= order ? SZ_MSB : SZ_LSB;
  put(l, mask);
  put(l, ppb);
  put(l, prec);
  put(l, scan);
  return 0;
}

int h5k_filter_prepare(uint32_t *cd_out, size_t *ncd_out, unsigned id, const uint32_t *user_cd, size_t user_ncd,
                       const h5k_datatype *type, unsigned rank, const uint64_t *chunk_dims) {
  cd_list l;
  uint64_t nelem = 0, bytes;
  int rc = 0;

  if (!cd_out || !ncd_out || (user_ncd && !user_cd) || !type || rank > H5K_MAX_DIMS)
    return h5k_err(H5K_EINVAL, "filter set-up: bad arguments");
  l.v = cd_out;
  l.cap = *ncd_out;
  l.n = 0;
  l.over = 0;
  if (type->size == 0 || type->size > UINT32_MAX) return h5k_err(H5K_EINVAL, "filter set-up: datatype size %llu",
                                                               (unsigned long long)type->size);
  switch (id) {
  case H5K_FILTER_DEFLATE: {
    unsigned level = user_ncd >= 1 ? user_cd[0] : 4;
    if (level > 9) return h5k_err(H5K_EINVAL, "deflate: level %u (0-9)", level);
    put(&l, level);
    break;
  }
  case H5K_FILTER_SHUFFLE:
    put(&l, type->size);
    break;
  case H5K_FILTER_FLETCHER32:
    break;
  case H5K_FILTER_SZIP:
    TRY(chunk_elems(&nelem, rank, chunk_dims));
    rc = prepare_szip(&l, user_cd, user_ncd, type, rank, chunk_dims, nelem);
    break;
  case H5K_FILTER_NBIT:
    TRY(chunk_elems(&nelem, rank, chunk_dims));
    rc = prepare_nbit(&l, type, nelem);
    break;
  case H5K_FILTER_SCALEOFFSET:
    TRY(chunk_elems(&nelem, rank, chunk_dims));
    rc = prepare_scaleoffset(&l, user_cd, user_ncd, type, nelem);
    break;
  case H5K_FILTER_LZF:
    TRY(chunk_elems(&nelem, rank, chunk_dims));
    bytes = nelem * type->size;
    if (bytes > UINT32_MAX) bytes = 0; /* h5py stores 0 ("unknown") when it does not fit */
    put(&l, 4);
    put(&l, 261);
    put(&l, bytes);
    break;
  case H5K_FILTER_BLOSC: {
    uint64_t ts = type->cls == H5K_CLASS_ARRAY && type->base ? type->base->size : type->size;
    TRY(chunk_elems(&nelem, rank, chunk_dims));
    if (ts > 255) ts = 1;
    bytes = ts * nelem;
    put(&l, 2);
    put(&l, 2);
    put(&l, ts);
    put(&l, bytes > UINT32_MAX ? 0 : bytes);
    put(&l, user_ncd >= 1 ? user_cd[0] : 5);
    put(&l, user_ncd >= 2 ? user_cd[1] : 1);
    put(&l, user_ncd >= 3 ? user_cd[2] : 1);
    break;
  }
  case H5K_FILTER_LZ4:
    put(&l, user_ncd >= 1 ? user_cd[0] : 0);
    break;
  case H5K_FILTER_BITSHUFFLE: {
    unsigned comp = user_ncd >= 2 ? user_cd[1] : 0;
    if (comp != 0 && comp != 2 && comp != 3) return h5k_err(H5K_EINVAL, "bitshuffle: compression %u (0, 2 LZ4, 3 zstd)", comp);
    if (user_ncd >= 1 && user_cd[0] % 8) return h5k_err(H5K_EINVAL, "bitshuffle: block of %u elements (a multiple of 8)", user_cd[0]);
    put(&l, 0);
    put(&l, 3);
    put(&l, type->size);
    put(&l, user_ncd >= 1 ? user_cd[0] : 0);
    put(&l, comp);
    if (comp == 3) put(&l, user_ncd >= 3 ? user_cd[2] : 3);
    break;
  }
  case H5K_FILTER_ZSTD:
    put(&l, user_ncd >= 1 ? user_cd[0] : 3);
    break;
  default:
    for (size_t i = 0; i < user_ncd; i++) put(&l, user_cd[i]);
    break;
  }
  if (rc < 0) return rc;
  if (l.over) return h5k_err(H5K_ELIMIT, "filter %u needs %zu client data values (room for %zu)", id, l.n, l.cap);
  *ncd_out = l.n;
  return 0;
}

/* ---- spec parsing ---- */

static const struct {
  const char *name;
  unsigned id;
  unsigned ncd;       /* default user values */
  uint32_t cd[3];
} spec_names[] = {
    {"deflate", H5K_FILTER_DEFLATE, 1, {4}},
    {"gzip", H5K_FILTER_DEFLATE, 1, {4}},
    {"shuffle", H5K_FILTER_SHUFFLE, 0, {0}},
    {"fletcher32", H5K_FILTER_FLETCHER32, 0, {0}},
    {"szip", H5K_FILTER_SZIP, 2, {SZ_NN, 8}},
    {"nbit", H5K_FILTER_NBIT, 0, {0}},
    {"scaleoffset", H5K_FILTER_SCALEOFFSET, 1, {0}},
    {"so", H5K_FILTER_SCALEOFFSET, 1, {0}},
    {"lzf", H5K_FILTER_LZF, 0, {0}},
    {"lz4", H5K_FILTER_LZ4, 1, {0}},
    {"bitshuffle", H5K_FILTER_BITSHUFFLE, 2, {0, 0}},
    {"bslz4", H5K_FILTER_BITSHUFFLE, 2, {0, 2}},
    {"bszstd", H5K_FILTER_BITSHUFFLE, 3, {0, 3, 3}},
    {"zstd", H5K_FILTER_ZSTD, 1, {3}},
    {"blosc", H5K_FILTER_BLOSC, 3, {5, 1, 1}},
};

static const char *const blosc_names[] = {"blosclz", "lz4", "lz4hc", "snappy", "zlib", "zstd"};

/* A decimal value (optionally negative, for zstd levels) into *v. */
static int parse_num(const char *s, size_t len, uint32_t *v) {
  int neg = 0;
  uint64_t x = 0;
  size_t i = 0;
  if (len && s[0] == '-') {
    neg = 1;
    i = 1;
  }
  if (i == len) return -1;
  for (; i < len; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    x = x * 10 + (uint64_t)(s[i] - '0');
    if (x > UINT32_MAX) return -1;
  }
  if (neg && x > (uint64_t)INT32_MAX + 1) return -1;
  *v = neg ? (uint32_t)(-(int64_t)x) : (uint32_t)x;
  return 0;
}

static int parse_item(h5k_filter_spec *e, const char *s, size_t len) {
  size_t nlen = 0, k;
  const char *vals;
  size_t vlen;
  int mandatory = 0, found = -1;

  while (nlen < len && s[nlen] != '=' && s[nlen] != '!') nlen++;
  for (k = 0; k < sizeof spec_names / sizeof spec_names[0]; k++)
    if (strlen(spec_names[k].name) == nlen && memcmp(spec_names[k].name, s, nlen) == 0) found = (int)k;
  if (found < 0) return h5k_err(H5K_EINVAL, "filter spec: unknown filter '%.*s'", (int)len, s);
  memset(e, 0, sizeof *e);
  e->id = spec_names[found].id;
  e->ncd = spec_names[found].ncd;
  memcpy(e->cd, spec_names[found].cd, sizeof spec_names[found].cd);
  if (nlen < len && s[nlen] == '!') {
    mandatory = 1;
    nlen++;
  }
  e->flags = (mandatory || e->id == H5K_FILTER_FLETCHER32) ? 0 : 1;
  if (nlen == len) return 0;
  if (s[nlen] != '=' || nlen + 1 == len) return h5k_err(H5K_EINVAL, "filter spec: bad item '%.*s'", (int)len, s);
  vals = s + nlen + 1;
  vlen = len - nlen - 1;
  for (size_t i = 0, start = 0; i <= vlen; i++) {
    size_t idx;
    uint32_t v;
    const char *tok;
    size_t tlen;
    if (i < vlen && vals[i] != ':') continue;
    tok = vals + start;
    tlen = i - start;
    start = i + 1;
    /* which user value this token sets: bszstd=level is its third; the rest count from 0 */
    idx = 0;
    for (const char *p = vals; p < tok; p++)
      if (*p == ':') idx++;
    if (e->id == H5K_FILTER_BITSHUFFLE && strncmp(s, "bszstd", 6) == 0) idx = idx == 0 ? 2 : 99;
    else if (e->id == H5K_FILTER_BITSHUFFLE) idx = idx == 0 ? 0 : 99; /* =block elements */
    if (idx >= H5K_FILTER_SPEC_MAX_CD || idx >= 3 || (e->id != H5K_FILTER_BLOSC && e->id != H5K_FILTER_SZIP &&
                                                      e->id != H5K_FILTER_BITSHUFFLE && idx > 0))
      return h5k_err(H5K_EINVAL, "filter spec: too many values in '%.*s'", (int)len, s);
    if (e->id == H5K_FILTER_SZIP && idx == 0) {
      if (tlen == 2 && memcmp(tok, "nn", 2) == 0) v = SZ_NN;
      else if (tlen == 2 && memcmp(tok, "ec", 2) == 0) v = SZ_EC;
      else return h5k_err(H5K_EINVAL, "filter spec: szip coding '%.*s' (nn or ec)", (int)tlen, tok);
    } else if (e->id == H5K_FILTER_BLOSC && idx == 2 && tlen && (tok[0] < '0' || tok[0] > '9')) {
      int c = -1;
      for (unsigned b = 0; b < sizeof blosc_names / sizeof blosc_names[0]; b++)
        if (strlen(blosc_names[b]) == tlen && memcmp(blosc_names[b], tok, tlen) == 0) c = (int)b;
      if (c < 0) return h5k_err(H5K_EINVAL, "filter spec: blosc compressor '%.*s'", (int)tlen, tok);
      v = (uint32_t)c;
    } else if (parse_num(tok, tlen, &v) < 0) {
      return h5k_err(H5K_EINVAL, "filter spec: bad number '%.*s' in '%.*s'", (int)tlen, tok, (int)len, s);
    }
    if (e->id == H5K_FILTER_DEFLATE && v > 9) return h5k_err(H5K_EINVAL, "filter spec: deflate level %u (0-9)", v);
    e->cd[idx] = v;
    if (e->ncd < idx + 1) e->ncd = idx + 1;
  }
  return 0;
}

int h5k_filter_parse_spec(h5k_filter_spec *out, size_t *n_out, size_t cap, const char *spec) {
  size_t n = 0, len;
  if (!n_out || !spec || (cap && !out)) return h5k_err(H5K_EINVAL, "filter spec: bad arguments");
  *n_out = 0;
  len = strlen(spec);
  if (strcmp(spec, "none") == 0) return 0;
  if (len == 0) return h5k_err(H5K_EINVAL, "filter spec: empty");
  for (size_t i = 0, start = 0; i <= len; i++) {
    if (i < len && spec[i] != ',') continue;
    if (i == start) return h5k_err(H5K_EINVAL, "filter spec: empty item in '%s'", spec);
    if (n >= cap) return h5k_err(H5K_ELIMIT, "filter spec: more than %zu filters", cap);
    TRY(parse_item(&out[n], spec + start, i - start));
    n++;
    start = i + 1;
  }
  *n_out = n;
  return 0;
}
