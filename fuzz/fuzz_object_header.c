/* Fuzz target: object headers (HDF5 File Format Specification 3.0, IV.A.1: version 1 and 2
 * prefixes, messages, continuation blocks "OCHK") and the message decoders of IV.A.2 applied to
 * every message found, plus the object layer's classification and datatype/dataspace lookup.
 *
 *   input:  off  size  field
 *           0    4     selector: little-endian address of a header inside the image (mod its size)
 *           4    ...   image: the bytes a hand-made file context reads (base 0, offsets and
 *                      lengths 8 bytes, eof = image size)
 *
 * Headers are parsed at the selected address, at address 0, and at the first few "OHDR"
 * signatures found in the image. Seeds are whole small files with the selector pointing at a real
 * object header, so continuation addresses stay valid and the fuzzer starts deep. */
#include "fuzz_util.h"
#include "format/object_header.h"
#include "object/object.h"

#define MAX_STARTS 6

static void check_header(const h5k_fctx *f, uint64_t addr) {
  h5k_ohdr oh;
  h5k_object_info info;
  h5k_datatype *t = NULL;
  h5k_dataspace sp;
  uint64_t n;
  size_t total = 0;
  if (h5k_ohdr_read(&oh, f, addr) != 0) {
    fz_touch_str(h5k_error_last());
    return;
  }
  if (oh.version != 1 && oh.version != 2) fz_fail("object header version not 1 or 2");
  if (oh.nmsgs && !oh.msgs) fz_fail("object header with messages count but no array");
  for (size_t i = 0; i < oh.nchunks; i++)
    if (!oh.chunks[i]) fz_fail("object header chunk pointer NULL");
  for (size_t i = 0; i < oh.nmsgs; i++) {
    const h5k_msg *m = &oh.msgs[i];
    fz_touch(m->data, m->size);
    fz_decode_msg(m->type, m->flags, m->data, m->size, f);
  }
  /* find/count must agree */
  for (unsigned type = 0; type <= H5K_MSG_FSINFO; type++) {
    size_t pos = 0, found = 0;
    while (h5k_ohdr_find(&oh, type, &pos) != NULL) {
      found++;
      if (found > oh.nmsgs) fz_fail("h5k_ohdr_find does not advance");
    }
    if (found != h5k_ohdr_count(&oh, type)) fz_fail("h5k_ohdr_find and h5k_ohdr_count disagree");
    total += found;
  }
  if (total > oh.nmsgs) fz_fail("more messages found than the header holds");

  /* the object layer on top of this header */
  fz_sink ^= (uint8_t)h5k_obj_classify(&oh);
  if (h5k_obj_info(&info, f, &oh) == 0) fz_touch_space(&info.space);
  if (h5k_obj_datatype(&t, f, &oh) == 0) {
    fz_check_type(t);
    h5k_datatype_free(t);
  }
  if (h5k_obj_dataspace(&sp, f, &oh) == 0) fz_touch_space(&sp);
  if (h5k_obj_attr_count(&n, f, &oh) == 0) fz_sink ^= (uint8_t)n;
  if (h5k_obj_link_count(&n, f, &oh) == 0) fz_sink ^= (uint8_t)n;
  fz_touch_str(h5k_error_last());
  h5k_ohdr_free(&oh);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  h5k_fctx f;
  h5k_io *io;
  const uint8_t *img;
  size_t len;
  uint64_t starts[MAX_STARTS];
  size_t nstarts = 0;
  if (size < 5) return 0;
  img = data + 4;
  len = size - 4;
  io = h5k_io_open_memory(img, len);
  if (!io) return 0;
  fz_fctx_init(&f, io, len);

  starts[nstarts++] = (uint64_t)(data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 |
                                 (uint32_t)data[3] << 24) % len;
  if (starts[0] != 0) starts[nstarts++] = 0;
  for (size_t i = 0; i + 4 <= len && nstarts < MAX_STARTS; i++) {
    if (memcmp(img + i, "OHDR", 4) != 0) continue;
    int seen = 0;
    for (size_t k = 0; k < nstarts; k++) seen |= starts[k] == i;
    if (!seen) starts[nstarts++] = i;
  }
  for (size_t k = 0; k < nstarts; k++) check_header(&f, starts[k]);
  h5k_io_close(io);
  return 0;
}
