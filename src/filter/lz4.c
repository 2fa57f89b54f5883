/* LZ4 filter (id 32004), both directions, via liblz4.
 *
 * Format: the HDF5 LZ4 filter (registered id 32004, shipped by hdf5plugin). cd_values[0], when
 * present, is the block size used when writing; the chunk's own header is authoritative.
 *
 *   offset  size  field
 *   0       8     uncompressed size of the chunk, big-endian
 *   8       4     block size in bytes, big-endian (a larger value than the chunk means one block)
 *   12      ...   blocks, each:
 *                   4     compressed size c, big-endian
 *                   c     LZ4 block data; when c equals the block's uncompressed size the block
 *                         is stored as is
 * Every block decodes to the block size, except the last, which holds the remainder. */
#include <lz4.h>
#include <stdlib.h>
#include <string.h>

#include "filter/codecs.h"
#include "util/error.h"

/* Decode into dst (dst_len bytes, which the chunk must fill exactly) when dst is given, else into
 * a malloc'd buffer returned in *out. */
static int lz4_run(uint8_t **out, size_t *out_len, uint8_t *dst, size_t dst_len, const uint8_t *in, size_t in_len,
                   size_t size_hint) {
  h5k_cur c;
  uint64_t total, block;
  size_t done_bytes = 0;
  uint8_t *buf = NULL;
  int rc = 0;

  cur_init(&c, in, in_len);
  total = rd_be64(&c);
  block = rd_be32(&c);
  if (c.err) return corrupt("lz4: chunk of %zu bytes has no header", in_len);
  if (total > filter_out_cap(size_hint))
    return corrupt("lz4: header claims %llu bytes for a chunk of %zu", (unsigned long long)total, size_hint);
  if (block > total) block = total;
  if (block == 0 && total != 0) return corrupt("lz4: block size 0");
  if (dst && total != dst_len) return corrupt("lz4: chunk decodes to %llu bytes, expected %zu", (unsigned long long)total, dst_len);
  buf = dst ? dst : malloc(total ? (size_t)total : 1);
  if (!buf) return h5k_err_nomem();
  while (done_bytes < total) {
    size_t bsize = total - done_bytes < block ? (size_t)(total - done_bytes) : (size_t)block;
    uint32_t csize = rd_be32(&c);
    const uint8_t *data = c.err ? NULL : rd_ptr(&c, csize);
    if (!data) {
      rc = corrupt("lz4: block at byte %zu of output is truncated", done_bytes);
      goto done;
    }
    if (csize == bsize) {
      memcpy(buf + done_bytes, data, bsize);
    } else {
      int got;
      if (csize > INT32_MAX || bsize > INT32_MAX) {
        rc = corrupt("lz4: block of %u bytes is too large", (unsigned)csize);
        goto done;
      }
      got = LZ4_decompress_safe((const char *)data, (char *)(buf + done_bytes), (int)csize, (int)bsize);
      if (got < 0 || (size_t)got != bsize) {
        rc = corrupt("lz4: invalid block at byte %zu of output (%d of %zu bytes)", done_bytes, got, bsize);
        goto done;
      }
    }
    done_bytes += bsize;
  }
  if (!dst) {
    *out = buf;
    *out_len = (size_t)total;
  }
  buf = NULL;

done:
  if (!dst) free(buf);
  return rc;
}

static int lz4_decode(uint8_t **out, size_t *out_len, const uint8_t *in, size_t in_len, const uint32_t *cd,
                      size_t ncd, size_t size_hint, size_t elem_size) {
  (void)cd;
  (void)ncd;
  (void)elem_size;
  return lz4_run(out, out_len, NULL, 0, in, in_len, size_hint);
}

int h5k_lz4_decode_into(uint8_t *dst, size_t dst_len, const uint8_t *in, size_t in_len, const uint32_t *cd,
                        size_t ncd, size_t elem_size, unsigned flags) {
  (void)flags; /* liblz4 does its own stores */
  (void)cd;
  (void)ncd;
  (void)elem_size;
  return lz4_run(NULL, NULL, dst, dst_len, in, in_len, dst_len);
}

/* Encode as the plugin does: block size cd[0] bytes (0 or absent: 1 GiB), clamped to the chunk
 * and written so in the header; each block compressed with LZ4_compress_default, or stored as
 * is (compressed size = block size) when compression does not shrink it. */
#define LZ4_DEFAULT_BLOCK ((size_t)1 << 30)

static int lz4_encode(uint8_t **out, size_t *out_len, const uint8_t *in, size_t in_len, const uint32_t *cd,
                      size_t ncd, size_t elem_size) {
  size_t block = (ncd >= 1 && cd[0] != 0) ? cd[0] : LZ4_DEFAULT_BLOCK;
  size_t nblocks, cap, pos = 12;
  uint8_t *buf;
  (void)elem_size;

  if (block > in_len) block = in_len;
  if (block > (size_t)LZ4_MAX_INPUT_SIZE) return h5k_err(H5K_ELIMIT, "lz4: block of %zu bytes is too large", block);
  nblocks = block ? (in_len - 1) / block + 1 : 0;
  cap = 12 + nblocks * (4 + (size_t)LZ4_compressBound((int)block));
  buf = malloc(cap);
  if (!buf) return h5k_err_nomem();
  put_be64(buf, in_len);
  put_be32(buf + 8, (uint32_t)block);
  for (size_t done = 0; done < in_len;) {
    size_t bsize = in_len - done < block ? in_len - done : block;
    int c = LZ4_compress_default((const char *)(in + done), (char *)(buf + pos + 4), (int)bsize,
                                 LZ4_compressBound((int)bsize));
    if (c <= 0 || (size_t)c >= bsize) {
      memcpy(buf + pos + 4, in + done, bsize);
      c = (int)bsize;
    }
    put_be32(buf + pos, (uint32_t)c);
    pos += 4 + (size_t)c;
    done += bsize;
  }
  *out = buf;
  *out_len = pos;
  return 0;
}

const h5k_filter_class h5k_filter_class_lz4 = {sizeof(h5k_filter_class), H5K_FILTER_LZ4, "lz4", lz4_decode,
                                               lz4_encode};
