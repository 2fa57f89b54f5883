/* Superblock — HDF5 File Format Specification 3.0, section II.A "Disk Format: Level 0A - Format
 * Signature and Superblock", II.B "File Driver Info", and IV.A.2.o/IV.A.2.u/IV.A.2.w for the
 * superblock extension's messages (shared message table, B-tree 'K' values, driver info).
 *
 * The signature \211HDF\r\n\032\n is searched at 0, 512, 1024, 2048, ... (a userblock precedes it).
 *
 * Versions 0 and 1 (O = size of offsets, L = size of lengths):
 *   0  8  signature           8  1 version            9  1 free-space version (0)
 *   10 1 root entry version (0) 11 1 reserved       12 1 shared header version (0)
 *   13 1 size of offsets      14 1 size of lengths    15 1 reserved
 *   16 2 group leaf node K    18 2 group internal node K
 *   20 4 file consistency flags
 *   v1 only: 24 2 indexed storage internal node K, 26 2 reserved
 *   then: base address (O), free-space info address (O), end of file address (O),
 *         driver information block address (O), root group symbol table entry (III.C)
 *
 * Versions 2 and 3:
 *   0 8 signature  8 1 version  9 1 size of offsets  10 1 size of lengths  11 1 consistency flags
 *   12 base address (O), superblock extension address (O), end of file address (O),
 *   root group object header address (O), checksum (4, lookup3 of all preceding bytes)
 *
 * The end-of-file address is stored absolute (it includes the userblock); every other address is
 * relative to the base address.
 *
 * Driver information block (II.B): version u8 (0), reserved 3, info size u32, driver id 8 ASCII
 * bytes ("NCSAmult" multi, "NCSAfami" family), info.
 */
#include "format/superblock.h"

#include <stdlib.h>
#include <string.h>

#include "format/messages.h"
#include "format/object_header.h"
#include "format/symbol_table.h"
#include "util/checked.h"
#include "util/error.h"

static const uint8_t SIGNATURE[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};

static int valid_width(unsigned w) { return w == 2 || w == 4 || w == 8; }

/* Find the signature at 0, 512, 1024, ... Returns its absolute offset in *out. */
static int find_signature(uint64_t *out, h5k_io *io) {
  uint8_t sig[8];
  for (uint64_t off = 0; off + 8 <= io->size; off = off ? off * 2 : 512) {
    TRY(h5k_io_read(io, sig, 8, off));
    if (memcmp(sig, SIGNATURE, 8) == 0) {
      *out = off;
      return 0;
    }
  }
  return h5k_err(H5K_ENOTHDF5, "not an HDF5 file (no superblock signature found)");
}

static int read_driver_info(h5k_fctx *f) {
  uint8_t hdr[16];
  h5k_cur c;
  char id[9];
  TRY(fctx_read(f, f->driver, hdr, sizeof hdr, "driver information block"));
  cur_init(&c, hdr, sizeof hdr);
  if (rd_u8(&c) != 0) return corrupt("driver information block at %llu: unknown version", (unsigned long long)f->driver);
  cur_skip(&c, 3);
  (void)rd_le32(&c);
  rd_bytes(&c, id, 8);
  id[8] = 0;
  if (memcmp(id, "NCSAmult", 8) == 0)
    return h5k_err(H5K_EUNSUPPORTED, "file uses the multi-file driver (driver info \"%s\"), which h5kit does not read", id);
  /* "NCSAfami" (family) files whose first member holds everything read fine; other ids are
   * informational. */
  return 0;
}

static int read_v01(h5k_fctx *f, const uint8_t *buf, size_t len, uint64_t sig_off) {
  h5k_cur c;
  h5k_symentry_raw root;
  unsigned version, fsv, rev, shv;
  uint64_t base, eof;
  cur_init(&c, buf, len);
  cur_skip(&c, 8);
  version = rd_u8(&c);
  fsv = rd_u8(&c);
  rev = rd_u8(&c);
  cur_skip(&c, 1);
  shv = rd_u8(&c);
  f->so = rd_u8(&c);
  f->sl = rd_u8(&c);
  cur_skip(&c, 1);
  if (fsv != 0 || rev != 0 || shv != 0)
    return corrupt("superblock: unknown free-space (%u), root entry (%u) or shared header (%u) version", fsv, rev, shv);
  if (!valid_width(f->so) || !valid_width(f->sl))
    return corrupt("superblock: invalid size of offsets (%u) or lengths (%u)", f->so, f->sl);
  f->sym_leaf_k = rd_le16(&c);
  f->btree_k_group = rd_le16(&c);
  (void)rd_le32(&c); /* consistency flags */
  f->btree_k_chunk = 32;
  if (version == 1) {
    f->btree_k_chunk = rd_le16(&c);
    cur_skip(&c, 2);
  }
  if (f->sym_leaf_k == 0 || f->btree_k_group == 0 || f->btree_k_chunk == 0)
    return corrupt("superblock: a B-tree K value is zero");
  base = rd_uvar(&c, f->so);
  (void)rd_uvar(&c, f->so); /* free-space info address (reserved) */
  eof = rd_uvar(&c, f->so);
  f->base = base;
  f->driver = rd_addr(&c, f);
  if (c.err) return corrupt("superblock: truncated");
  TRY(h5k_symentry_decode(&root, &c, f));
  f->root = root.obj_addr;
  f->root_btree = root.cache_type == 1 ? root.btree_addr : H5K_ADDR_UNDEF;
  f->root_heap = root.cache_type == 1 ? root.heap_addr : H5K_ADDR_UNDEF;
  f->ext = H5K_ADDR_UNDEF;
  f->eof = eof;
  (void)sig_off;
  return 0;
}

static int read_v23(h5k_fctx *f, const uint8_t *buf, size_t len) {
  h5k_cur c;
  size_t body;
  unsigned flags;
  cur_init(&c, buf, len);
  cur_skip(&c, 9);
  f->so = rd_u8(&c);
  f->sl = rd_u8(&c);
  flags = rd_u8(&c);
  if (!valid_width(f->so) || !valid_width(f->sl))
    return corrupt("superblock: invalid size of offsets (%u) or lengths (%u)", f->so, f->sl);
  body = 12 + 4 * (size_t)f->so;
  if (len < body + 4) return corrupt("superblock: truncated");
  TRY(fctx_check_sum(buf, body + 4, "superblock", 0));
  f->base = rd_uvar(&c, f->so);
  f->ext = rd_addr(&c, f);
  f->eof = rd_uvar(&c, f->so);
  f->root = rd_addr(&c, f);
  f->driver = H5K_ADDR_UNDEF;
  f->root_btree = f->root_heap = H5K_ADDR_UNDEF;
  f->sym_leaf_k = 4;
  f->btree_k_group = 16;
  f->btree_k_chunk = 32;
  if (c.err) return corrupt("superblock: truncated");
  /* Version 3 records whether a writer still has the file open (bit 0; bit 2 for SWMR writers).
   * Like libhdf5, refuse such a file: its metadata may be mid-update. */
  if (buf[8] >= 3 && (flags & 0x05))
    return corrupt("file is marked as open for writing (consistency flags 0x%02x): a writer is active or "
                   "crashed; h5clear can reset the flags", flags);
  return 0;
}

/* Superblock extension: an object header whose messages carry file-wide settings. */
static int read_extension(h5k_fctx *f) {
  h5k_ohdr oh;
  const h5k_msg *m;
  h5k_cur c;
  int rc = h5k_ohdr_read(&oh, f, f->ext);
  if (rc < 0) return rc;
  if ((m = h5k_ohdr_find(&oh, H5K_MSG_SHMESG, NULL)) != NULL) {
    cur_init(&c, m->data, m->size);
    if (rd_u8(&c) != 0) {
      rc = corrupt("superblock extension: unknown shared message table message version");
      goto done;
    }
    f->sohm_table = rd_addr(&c, f);
    f->sohm_nindexes = rd_u8(&c);
    if (c.err) {
      rc = corrupt("superblock extension: truncated shared message table message");
      goto done;
    }
  }
  if ((m = h5k_ohdr_find(&oh, H5K_MSG_BTREEK, NULL)) != NULL) {
    cur_init(&c, m->data, m->size);
    if (rd_u8(&c) != 0) {
      rc = corrupt("superblock extension: unknown B-tree K message version");
      goto done;
    }
    f->btree_k_chunk = rd_le16(&c);
    f->btree_k_group = rd_le16(&c);
    f->sym_leaf_k = rd_le16(&c);
    if (c.err || !f->btree_k_chunk || !f->btree_k_group || !f->sym_leaf_k) {
      rc = corrupt("superblock extension: invalid B-tree K message");
      goto done;
    }
  }
  if ((m = h5k_ohdr_find(&oh, H5K_MSG_DRVINFO, NULL)) != NULL) {
    cur_init(&c, m->data, m->size);
    if (rd_u8(&c) != 0) {
      rc = corrupt("superblock extension: unknown driver info message version");
      goto done;
    }
    if (m->size >= 9 && memcmp(m->data + 1, "NCSAmult", 8) == 0) {
      rc = h5k_err(H5K_EUNSUPPORTED, "file uses the multi-file driver, which h5kit does not read");
      goto done;
    }
  }
  rc = 0;
done:
  h5k_ohdr_free(&oh);
  return rc;
}

int h5k_superblock_read(h5k_fctx *f, h5k_io *io) {
  uint8_t buf[128];
  size_t len;
  uint64_t sig_off = 0;
  unsigned version;
  memset(f, 0, sizeof *f);
  f->io = io;
  f->sohm_table = H5K_ADDR_UNDEF;
  TRY(find_signature(&sig_off, io));
  len = io->size - sig_off < sizeof buf ? (size_t)(io->size - sig_off) : sizeof buf;
  TRY(h5k_io_read(io, buf, len, sig_off));
  if (len < 9) return corrupt("superblock: truncated");
  version = buf[8];
  if (version <= 1) {
    TRY(read_v01(f, buf, len, sig_off));
  } else if (version <= 3) {
    TRY(read_v23(f, buf, len));
  } else {
    return h5k_err(H5K_EUNSUPPORTED, "superblock version %u is not supported", version);
  }
  f->sb_version = version;
  /* The base address is where the superblock is (libhdf5 adjusts a stale stored base the same
   * way when a userblock was added or removed). */
  f->base = sig_off;
  if (f->eof < f->base) return corrupt("superblock: end-of-file address %llu precedes the base address %llu",
                                       (unsigned long long)f->eof, (unsigned long long)f->base);
  if (io->size < f->eof)
    return corrupt("truncated file: end of file address is %llu but the file has %llu bytes",
                   (unsigned long long)f->eof, (unsigned long long)io->size);
  f->limit = f->eof - f->base;
  f->eof = f->limit;
  if (!addr_defined(f->root) || f->root >= f->limit)
    return corrupt("superblock: root group address %llu lies outside the file", (unsigned long long)f->root);
  if (addr_defined(f->driver)) TRY(read_driver_info(f));
  if (addr_defined(f->ext)) TRY(read_extension(f));
  return 0;
}
