/* Dataspace message (type 0x0001). HDF5 File Format Specification 3.0, section IV.A.2.b.
 * ("L" = size of lengths; n = dimensionality.)
 *
 * Version 1                                  Version 2
 *   0  version (1)                             0  version (2)
 *   1  dimensionality n                        1  dimensionality n
 *   2  flags: bit 0 max sizes present,         2  flags: bit 0 max sizes present
 *             bit 1 permutation present        3  type: 0 scalar, 1 simple, 2 null
 *   3  reserved (1)                            4  n x dimension size (L)
 *   4  reserved (4)                            .  n x maximum size (L, if flags bit 0)
 *   8  n x dimension size (L)
 *   .  n x maximum size (L, if flags bit 0)
 *   .  n x permutation index (L, if flags bit 1; never used by the library, skipped here)
 *
 * Version 1 has no null dataspace; n = 0 means scalar. A maximum size of all ones (L bytes) is
 * "unlimited". */
#include "format/messages.h"

#include <string.h>

#include "util/checked.h"
#include "util/error.h"

int h5k_decode_dataspace(h5k_dataspace *out, const uint8_t *p, size_t len, const h5k_fctx *f) {
  h5k_cur c;
  unsigned version, rank, flags;
  uint64_t unlim;
  h5k_dataspace s;
  memset(out, 0, sizeof *out);
  memset(&s, 0, sizeof s);
  cur_init(&c, p, len);
  version = rd_u8(&c);
  rank = rd_u8(&c);
  flags = rd_u8(&c);
  if (version == 1) {
    cur_skip(&c, 5); /* reserved */
    s.kind = rank ? H5K_SPACE_SIMPLE : H5K_SPACE_SCALAR;
  } else if (version == 2) {
    unsigned type = rd_u8(&c);
    if (!c.err) {
      if (type > 2) return corrupt("dataspace message: unknown dataspace type %u", type);
      s.kind = (h5k_space_kind)type;
      if (s.kind == H5K_SPACE_SIMPLE && rank == 0)
        return corrupt("dataspace message: simple dataspace with rank 0");
      if (s.kind != H5K_SPACE_SIMPLE && rank != 0)
        return corrupt("dataspace message: %s dataspace with rank %u",
                       s.kind == H5K_SPACE_NULL ? "null" : "scalar", rank);
    }
  } else if (!c.err) {
    return version == 0 ? corrupt("dataspace message: invalid version 0")
                        : h5k_err(H5K_EUNSUPPORTED, "dataspace message version %u is not supported", version);
  }
  if (c.err) return corrupt("dataspace message truncated (%zu bytes)", len);
  if (rank > H5K_MAX_RANK) return corrupt("dataspace message: rank %u exceeds %d", rank, H5K_MAX_RANK);
  s.rank = rank;
  for (unsigned i = 0; i < rank; i++) s.dims[i] = rd_len(&c, f);
  unlim = f->sl >= 8 ? UINT64_MAX : (UINT64_C(1) << (8 * f->sl)) - 1;
  s.has_maxdims = (flags & 1) && rank > 0;
  for (unsigned i = 0; i < rank; i++) {
    if (s.has_maxdims) {
      uint64_t m = rd_len(&c, f);
      s.maxdims[i] = m == unlim ? H5K_UNLIMITED : m;
    } else {
      s.maxdims[i] = s.dims[i];
    }
  }
  if (version == 1 && (flags & 2)) {
    size_t skip;
    if (ck_mulsz(rank, f->sl, &skip)) return corrupt("dataspace message: permutation size overflows");
    cur_skip(&c, skip);
  }
  if (c.err)
    return corrupt("dataspace message truncated (%zu bytes for rank %u, flags 0x%02x)", len, rank, flags);
  for (unsigned i = 0; i < rank; i++) {
    if (s.maxdims[i] != H5K_UNLIMITED && s.maxdims[i] < s.dims[i])
      return corrupt("dataspace message: dimension %u has size %llu above its maximum %llu", i,
                     (unsigned long long)s.dims[i], (unsigned long long)s.maxdims[i]);
  }
  *out = s;
  return 0;
}

/* ---- encoder ------------------------------------------------------------------------------------
 * Version 1 as libhdf5 "earliest" writes it: rank 0 for scalar, no permutation, 5 reserved bytes.
 * Version 2: no reserved bytes, explicit type. Null dataspaces exist only in version 2. */
int h5k_encode_dataspace(h5k_wbuf *w, const h5k_dataspace *s, unsigned version, const h5k_fctx *f) {
  unsigned rank, flags;
  if (!w || !s || !f) return h5k_err(H5K_EINVAL, "encode dataspace: NULL argument");
  if (version != 1 && version != 2) return h5k_err(H5K_EINVAL, "encode dataspace: version %u", version);
  if (s->kind > H5K_SPACE_NULL) return h5k_err(H5K_EINVAL, "encode dataspace: kind %u", (unsigned)s->kind);
  if (s->kind == H5K_SPACE_NULL) version = 2;
  rank = s->kind == H5K_SPACE_SIMPLE ? s->rank : 0;
  if (s->kind == H5K_SPACE_SIMPLE && (rank == 0 || rank > H5K_MAX_RANK))
    return h5k_err(H5K_EINVAL, "encode dataspace: simple dataspace of rank %u", rank);
  flags = (s->has_maxdims && rank > 0) ? 1 : 0;
  wr_u8(w, version);
  wr_u8(w, rank);
  wr_u8(w, flags);
  if (version == 1) wr_zero(w, 5);
  else wr_u8(w, (unsigned)s->kind);
  for (unsigned i = 0; i < rank; i++) wr_len(w, f, s->dims[i]);
  if (flags) {
    for (unsigned i = 0; i < rank; i++) wr_len(w, f, s->maxdims[i] == H5K_UNLIMITED ? UINT64_MAX : s->maxdims[i]);
  }
  return wbuf_status(w);
}
