/* Object classification and summary (spec IV.A: which messages make a group, a dataset, a named
 * datatype), and decoding of an object's own datatype/dataspace messages (possibly shared). */
#include <stdlib.h>
#include <string.h>

#include "format/messages.h"
#include "format/shared.h"
#include "object/object.h"
#include "util/error.h"

h5k_obj_type h5k_obj_classify(const h5k_ohdr *oh) {
  if (h5k_ohdr_find(oh, H5K_MSG_STAB, NULL) || h5k_ohdr_find(oh, H5K_MSG_LINFO, NULL)) return H5K_OBJ_GROUP;
  if (h5k_ohdr_find(oh, H5K_MSG_DATATYPE, NULL)) {
    if (h5k_ohdr_find(oh, H5K_MSG_DATASPACE, NULL)) return H5K_OBJ_DATASET;
    return H5K_OBJ_DATATYPE;
  }
  return H5K_OBJ_UNKNOWN;
}

int h5k_obj_dataspace(h5k_dataspace *out, const h5k_fctx *f, const h5k_ohdr *oh) {
  const h5k_msg *m = h5k_ohdr_find(oh, H5K_MSG_DATASPACE, NULL);
  const uint8_t *p;
  size_t len;
  uint8_t *owned = NULL;
  int rc;
  if (!m) return h5k_err(H5K_EINVAL, "object at %llu has no dataspace", (unsigned long long)oh->addr);
  TRY(h5k_msg_unshare(&p, &len, &owned, NULL, f, H5K_MSG_DATASPACE, m->data, m->size, (m->flags & 0x02) != 0));
  rc = h5k_decode_dataspace(out, p, len, f);
  free(owned);
  return rc;
}

int h5k_obj_datatype(h5k_datatype **out, const h5k_fctx *f, const h5k_ohdr *oh) {
  const h5k_msg *m = h5k_ohdr_find(oh, H5K_MSG_DATATYPE, NULL);
  const uint8_t *p;
  size_t len;
  uint8_t *owned = NULL;
  int rc;
  if (!m) return h5k_err(H5K_EINVAL, "object at %llu has no datatype", (unsigned long long)oh->addr);
  uint64_t committed = H5K_ADDR_UNDEF;
  TRY(h5k_msg_unshare(&p, &len, &owned, &committed, f, H5K_MSG_DATATYPE, m->data, m->size, (m->flags & 0x02) != 0));
  rc = h5k_decode_datatype(out, NULL, p, len, f);
  free(owned);
  if (rc >= 0 && addr_defined(committed)) {
    (*out)->committed = 1;
    (*out)->committed_addr = committed;
  }
  return rc;
}

int h5k_obj_info(h5k_object_info *out, const h5k_fctx *f, const h5k_ohdr *oh) {
  const h5k_msg *m;
  memset(out, 0, sizeof *out);
  out->addr = oh->addr;
  out->type = h5k_obj_classify(oh);
  out->header_version = oh->version;
  out->refcount = oh->refcount;
  out->mtime = oh->mtime;
  if ((m = h5k_ohdr_find(oh, H5K_MSG_MTIME, NULL)) || (m = h5k_ohdr_find(oh, H5K_MSG_MTIME_OLD, NULL)))
    TRY(h5k_decode_mtime(&out->mtime, m->type, m->data, m->size));
  TRY(h5k_obj_attr_count(&out->nattrs, f, oh));
  if (out->type == H5K_OBJ_DATASET) TRY(h5k_obj_dataspace(&out->space, f, oh));
  return 0;
}
