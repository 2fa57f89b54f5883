/* Fuzz target: object header message decoders (HDF5 File Format Specification 3.0, IV.A.2):
 * dataspace (0x01), link info (0x02), datatype (0x03), link (0x06), group info (0x0A),
 * attribute (0x0C, and its datatype and dataspace parts), modification times (0x0E, 0x12),
 * continuation (0x10), symbol table (0x11), attribute info (0x15), and the shared message
 * encoding. No file is read: addresses are only checked against a declared end of file.
 *
 *   input:  off  size  field
 *           0    1     bits 0-5: message type (0x3F = shared message encoding);
 *                      bits 6-7: sizes of offsets/lengths 0 = 8/8, 1 = 4/4, 2 = 2/2, 3 = 8/4
 *           1    ...   message body, exactly as stored in an object header
 *
 * Seeds are message bodies copied out of real object headers. */
#include "fuzz_util.h"

#define SHARED_SELECTOR 0x3F
#define DECLARED_EOF (UINT64_C(1) << 20) /* addresses below 1 MiB are "inside the file" */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const unsigned so_tab[4] = {8, 4, 2, 8}, sl_tab[4] = {8, 4, 2, 4};
  h5k_fctx f;
  uint8_t *body;
  unsigned type, sizes;
  size_t len;
  if (size < 1) return 0;
  type = data[0] & 0x3F;
  sizes = data[0] >> 6;
  len = size - 1;
  /* an exact-size copy: an over-read by one byte is caught even when data has slack */
  body = malloc(len ? len : 1);
  if (!body) return 0;
  memcpy(body, data + 1, len);
  fz_fctx_init(&f, NULL, DECLARED_EOF);
  f.so = so_tab[sizes];
  f.sl = sl_tab[sizes];
  if (type == SHARED_SELECTOR) {
    fz_decode_msg(H5K_MSG_DATATYPE, 0x02, body, len, &f);
  } else {
    fz_decode_msg(type, 0, body, len, &f);
  }
  free(body);
  return 0;
}
