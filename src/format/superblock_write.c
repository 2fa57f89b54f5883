/* Superblock encoder — HDF5 File Format Specification 3.0, section II.A (versions 0, 2 and 3).
 * (O = size of offsets, L = size of lengths.)
 *
 * Version 0 (as libhdf5 "earliest" writes it; 96 bytes with O = L = 8)
 *   0  8  signature \211HDF\r\n\032\n     8  1  version (0)
 *   9  1  free-space storage version (0)   10 1  root group symbol table entry version (0)
 *   11 1  reserved                          12 1  shared header message format version (0)
 *   13 1  size of offsets                   14 1  size of lengths
 *   15 1  reserved                          16 2  group leaf node K
 *   18 2  group internal node K             20 4  file consistency flags (0)
 *   24 O  base address (absolute position of the superblock)
 *   .  O  free-space info address (UNDEF)   .  O  end of file address (absolute)
 *   .  O  driver information block address (UNDEF)
 *   .     root group symbol table entry (III.C): name offset (L, 0), object header address (O),
 *         cache type (4: 1 when the B-tree/heap are cached), reserved (4), scratch pad (16:
 *         B-tree address (O), local heap address (O) for cache type 1; zeros otherwise)
 *
 * Versions 2 and 3 (48 bytes with O = 8)
 *   0 8 signature  8 1 version  9 1 size of offsets  10 1 size of lengths
 *   11 1 file consistency flags (0: closed cleanly)
 *   12 O base address, O superblock extension address (UNDEF if none), O end of file address
 *   (absolute), O root group object header address, 4 checksum (lookup3 of the preceding bytes)
 */
#include "format/encode.h"

#include "util/error.h"
#include "util/lookup3.h"

static const uint8_t SIGNATURE[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};

size_t h5k_superblock_size(unsigned version, const h5k_fctx *f) {
  if (!f) return 0;
  if (version == 0) return 24 + 4 * (size_t)f->so + (size_t)f->sl + f->so + 24;
  if (version == 2 || version == 3) return 12 + 4 * (size_t)f->so + 4;
  return 0;
}

int h5k_superblock_encode(h5k_wbuf *w, const h5k_sb_params *p, const h5k_fctx *f) {
  size_t start;
  uint64_t eof_abs;
  if (!w || !p || !f) return h5k_err(H5K_EINVAL, "encode superblock: NULL argument");
  if (f->so < 2 || f->so > 8 || f->sl < 2 || f->sl > 8)
    return h5k_err(H5K_EINVAL, "encode superblock: sizes of offsets/lengths %u/%u", f->so, f->sl);
  if (p->eof > UINT64_MAX - p->base) return h5k_err(H5K_EINVAL, "encode superblock: end of file overflows");
  eof_abs = p->base + p->eof;
  start = w->len;
  if (p->version == 0) {
    unsigned leaf_k = p->sym_leaf_k ? p->sym_leaf_k : 4, node_k = p->btree_k_group ? p->btree_k_group : 16;
    int cached = addr_defined(p->root_btree) && addr_defined(p->root_heap);
    if (p->btree_k_chunk && p->btree_k_chunk != 32)
      return h5k_err(H5K_EINVAL, "encode superblock: chunk B-tree K %u needs superblock version 1", p->btree_k_chunk);
    if (addr_defined(p->ext_addr))
      return h5k_err(H5K_EINVAL, "encode superblock: version 0 cannot point to a superblock extension");
    if (leaf_k > 0xffff || node_k > 0xffff) return h5k_err(H5K_EINVAL, "encode superblock: K values out of range");
    wr_bytes(w, SIGNATURE, 8);
    wr_u8(w, 0);
    wr_u8(w, 0);
    wr_u8(w, 0);
    wr_u8(w, 0);
    wr_u8(w, 0);
    wr_u8(w, f->so);
    wr_u8(w, f->sl);
    wr_u8(w, 0);
    wr_le16(w, leaf_k);
    wr_le16(w, node_k);
    wr_le32(w, 0);
    wr_uvar(w, p->base, f->so);
    wr_addr(w, f, H5K_ADDR_UNDEF);
    wr_uvar(w, eof_abs, f->so);
    wr_addr(w, f, H5K_ADDR_UNDEF);
    /* root group symbol table entry */
    wr_len(w, f, 0);
    wr_addr(w, f, p->root_addr);
    wr_le32(w, cached ? 1 : 0);
    wr_le32(w, 0);
    if (cached) {
      wr_addr(w, f, p->root_btree);
      wr_addr(w, f, p->root_heap);
      wr_zero(w, 16 - 2 * (size_t)f->so);
    } else {
      wr_zero(w, 16);
    }
    return wbuf_status(w);
  }
  if (p->version == 2 || p->version == 3) {
    wr_bytes(w, SIGNATURE, 8);
    wr_u8(w, p->version);
    wr_u8(w, f->so);
    wr_u8(w, f->sl);
    wr_u8(w, 0);
    wr_uvar(w, p->base, f->so);
    wr_addr(w, f, p->ext_addr);
    wr_uvar(w, eof_abs, f->so);
    wr_addr(w, f, p->root_addr);
    if (w->err) return H5K_ENOMEM;
    wr_le32(w, h5k_lookup3(w->p + start, w->len - start, 0));
    return wbuf_status(w);
  }
  return h5k_err(H5K_EINVAL, "encode superblock: version %u (0, 2 or 3 can be written)", p->version);
}
