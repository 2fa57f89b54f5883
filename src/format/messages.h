/* Object header message decoders (HDF5 File Format Specification 3.0, section IV.A.2).
 *
 * Each decoder takes the message's data bytes exactly as stored (p, len) and reads them through a
 * bounds-checked cursor. None of them reads outside [p, p + len). They return 0, or:
 *   H5K_ECORRUPT      the bytes are malformed (message in h5k_error_last() names what and where)
 *   H5K_EUNSUPPORTED  valid HDF5 that h5kit does not decode (e.g. complex numbers)
 *   H5K_ELIMIT        a safety cap was hit (datatype nesting deeper than H5K_MAX_TYPE_DEPTH)
 *   H5K_ENOMEM        an allocation failed
 * On failure nothing is allocated in *out (it is left cleared for the struct outputs).
 * Strings in outputs are malloc'd, NUL-terminated copies; free with the matching *_clear.
 * All decoders are pure functions of their inputs (thread-safe). `f` supplies the sizes of
 * offsets/lengths and the end of file (addresses are checked against f->limit). */
#ifndef H5K_FORMAT_MESSAGES_H
#define H5K_FORMAT_MESSAGES_H

#include <stddef.h>
#include <stdint.h>

#include "format/fctx.h"
#include "h5kit.h"

enum { /* message type numbers, spec IV.A.2 */
  H5K_MSG_NIL = 0x00, H5K_MSG_DATASPACE = 0x01, H5K_MSG_LINFO = 0x02, H5K_MSG_DATATYPE = 0x03,
  H5K_MSG_FILLVALUE_OLD = 0x04, H5K_MSG_FILLVALUE = 0x05, H5K_MSG_LINK = 0x06, H5K_MSG_EFL = 0x07,
  H5K_MSG_LAYOUT = 0x08, H5K_MSG_BOGUS = 0x09, H5K_MSG_GINFO = 0x0A, H5K_MSG_PLINE = 0x0B,
  H5K_MSG_ATTR = 0x0C, H5K_MSG_COMMENT = 0x0D, H5K_MSG_MTIME_OLD = 0x0E, H5K_MSG_SHMESG = 0x0F,
  H5K_MSG_CONT = 0x10, H5K_MSG_STAB = 0x11, H5K_MSG_MTIME = 0x12, H5K_MSG_BTREEK = 0x13,
  H5K_MSG_DRVINFO = 0x14, H5K_MSG_AINFO = 0x15, H5K_MSG_REFCOUNT = 0x16, H5K_MSG_FSINFO = 0x17
};

/* The spec's name of a message type ("Dataspace", "Link Info", ...); "unknown" past the table.
 * Never NULL; the string is static. */
const char *h5k_msg_name(unsigned type);

/* A malloc'd NUL-terminated copy of n bytes (NULL when out of memory). */
char *h5k_msg_strndup(const uint8_t *p, size_t n);

/* ---- dataspace (0x0001, IV.A.2.b) -------------------------------------------------------------
 * Version 1 (rank 0 = scalar; optional permutation indices are skipped) and version 2
 * (explicit type: scalar, simple, null). Maximum sizes of all ones decode to H5K_UNLIMITED;
 * when not stored, maxdims = dims and has_maxdims = 0. A stored maximum smaller than the current
 * size (and not unlimited) is corrupt. */
int h5k_decode_dataspace(h5k_dataspace *out, const uint8_t *p, size_t len, const h5k_fctx *f);

/* ---- datatype (0x0003, IV.A.2.d) ---------------------------------------------------------------
 * out is a malloc'd tree (struct h5k_datatype in include/h5kit.h). *used = bytes consumed (may be
 * NULL). Versions 1-5, all classes except complex (class 11: H5K_EUNSUPPORTED). Notes on fields:
 *  - enum: members[i].name with members[i].type == NULL; values in enum_values (base->size each).
 *  - v1 compound members with dimensions become an array type (cls ARRAY) wrapping the member type.
 *  - reference: ref_type is the stored 4-bit type (0 object, 1 region; v4 adds 2 object2,
 *    3 region2, 4 attribute).
 *  - VAX-ordered floats are decoded with big_endian = H5K_BYTE_ORDER_VAX. */
int h5k_decode_datatype(h5k_datatype **out, size_t *used, const uint8_t *p, size_t len, const h5k_fctx *f);
/* h5k_datatype_free() is public (include/h5kit.h); defined in msg_datatype.c. NULL is a no-op. */
/* Deep copy. Errors: H5K_ENOMEM, H5K_EINVAL (t NULL). */
int h5k_datatype_copy(h5k_datatype **out, const h5k_datatype *t);

/* ---- link (0x0006, IV.A.2.g) -------------------------------------------------------------------
 * Also the format of each link record in a group's fractal heap (dense storage). */
typedef struct h5k_link_msg {
  char *name; unsigned type; /* 0 hard, 1 soft, 64 external, other = user-defined (keep raw) */
  uint64_t addr; char *soft; char *ext_file; char *ext_path; unsigned ext_flags;
  int has_corder; int64_t corder; unsigned charset;
} h5k_link_msg;
/* Hard: addr (checked inside the file). Soft: soft. External: ext_file, ext_path, ext_flags (low 4
 * bits of the first byte; its version nibble must be 0). User-defined types keep only `type`
 * (their data is skipped); other string fields are NULL. */
int  h5k_decode_link(h5k_link_msg *out, const uint8_t *p, size_t len, const h5k_fctx *f);
void h5k_link_msg_clear(h5k_link_msg *m); /* frees strings and zeroes; NULL ok */

/* ---- link info (0x0002, IV.A.2.c) and attribute info (0x0015, IV.A.2.v) ------------------------
 * Absent optional fields: max_corder = 0, corder_bt2_addr = H5K_ADDR_UNDEF. Addresses that are
 * defined are checked to lie inside the file. */
typedef struct h5k_linfo { int track_corder, index_corder; int64_t max_corder; uint64_t fheap_addr,
  name_bt2_addr, corder_bt2_addr; } h5k_linfo;                  /* also used for Attribute Info */
int  h5k_decode_linfo(h5k_linfo *out, const uint8_t *p, size_t len, const h5k_fctx *f);
int  h5k_decode_ainfo(h5k_linfo *out, const uint8_t *p, size_t len, const h5k_fctx *f);

/* ---- group info (0x000A) -------------------------------------------------------------------------
 * Absent fields take the library defaults: max_compact 8, min_dense 6, est_entries 4,
 * est_name_len 8 (has_phase / has_est say whether they were stored). */
typedef struct h5k_ginfo { unsigned max_compact, min_dense; int has_phase; unsigned est_entries,
  est_name_len; int has_est; } h5k_ginfo;
int  h5k_decode_ginfo(h5k_ginfo *out, const uint8_t *p, size_t len, const h5k_fctx *f);

/* ---- symbol table (0x0011), continuation (0x0010), modification times (0x000E, 0x0012) -------- */
typedef struct h5k_stab { uint64_t btree_addr, heap_addr; } h5k_stab;   /* both checked in file */
int  h5k_decode_stab(h5k_stab *out, const uint8_t *p, size_t len, const h5k_fctx *f);
typedef struct h5k_cont { uint64_t addr, len; } h5k_cont;  /* len > 0, whole range inside file */
int  h5k_decode_cont(h5k_cont *out, const uint8_t *p, size_t len, const h5k_fctx *f);
/* Seconds since the Unix epoch. 0x12: version 1 + 32-bit seconds. 0x0E: ASCII YYYYMMDDhhmmss
 * (UTC). Any other type: H5K_EINVAL. */
int  h5k_decode_mtime(int64_t *out, unsigned type, const uint8_t *p, size_t len); /* 0x0E or 0x12 */

/* ---- shared message encoding (message flag bit 1 set) -------------------------------------------
 * Where the real message lives. Versions 1 and 2 always point to an object header (type 2);
 * version 3 type 1 = 8-byte heap ID in the SOHM fractal heap, type 2 = object header address
 * (checked inside the file). Types 0 and 3 (not shared) are corrupt in a shared encoding. */
typedef struct h5k_shared { unsigned version, type; /* type: 1 = SOHM fractal heap ID, 2 = object header */
  uint64_t addr; uint8_t heap_id[8]; } h5k_shared;
enum { H5K_SHARED_SOHM = 1, H5K_SHARED_COMMITTED = 2 };
int  h5k_decode_shared(h5k_shared *out, const uint8_t *p, size_t len, const h5k_fctx *f);

/* ---- attribute (0x000C, IV.A.2.m) ----------------------------------------------------------------
 * Splits an attribute message into its parts (does not decode type/space: the caller resolves
 * shared parts first, then calls the decoders). type_len/space_len are the sizes the message
 * declares (without v1 padding). data/data_len is everything after the dataspace field (v1: after
 * its padding to 8), i.e. it may be longer than the value when the message was padded: the caller
 * compares it against (elements x type size) and uses the first that many bytes. */
typedef struct h5k_attr_msg {
  unsigned version; unsigned charset; char *name;
  const uint8_t *type_bytes; size_t type_len; int type_shared;    /* borrowed from input */
  const uint8_t *space_bytes; size_t space_len; int space_shared; /* borrowed from input */
  const uint8_t *data; size_t data_len;                           /* borrowed from input */
} h5k_attr_msg;
int  h5k_decode_attr(h5k_attr_msg *out, const uint8_t *p, size_t len, const h5k_fctx *f);
void h5k_attr_msg_clear(h5k_attr_msg *m); /* frees name and zeroes; NULL ok */

/* ==== encoders (the writing side) =================================================================
 * Each appends one message's data bytes (without the object header's message header) to `w` and
 * returns 0, H5K_EINVAL (impossible arguments, e.g. a version that cannot express the value) or
 * H5K_ENOMEM. Inputs are trusted (they come from h5kit's own model). On error, w->len may have
 * grown by a partial message: callers encode into a scratch buffer or discard w. */

/* Dataspace: version 1 (libhdf5 "earliest") or 2 ("latest"). Max dims are stored when
 * s->has_maxdims (H5K_UNLIMITED as all ones). A null dataspace cannot be written as version 1:
 * it is written as version 2 (as libhdf5 does). */
int h5k_encode_dataspace(h5k_wbuf *w, const h5k_dataspace *s, unsigned version, const h5k_fctx *f);

/* Datatype (recursively). version 0: each type gets the lowest version that expresses it (1;
 * 2 for an array and for a compound/enum/vlen/array holding one; 3 for VAX floats; 4 for
 * reference types 2..4) — what libhdf5 "earliest" writes. version 3: compound, enum and array
 * types are raised to at least 3 (packed names, compound offsets in the fewest bytes, vlen
 * takes its base's version) — what libhdf5 "latest" writes; atomic types keep their lowest
 * version. version 1/2/4 as a floor behave like 3 with that floor. */
int h5k_encode_datatype(h5k_wbuf *w, const h5k_datatype *t, unsigned version);
/* The version h5k_encode_datatype would write for the root of t with this `version` argument. */
unsigned h5k_datatype_encoded_version(const h5k_datatype *t, unsigned version);

/* Link message (also the record of a dense group's fractal heap). The name-length width is the
 * fewest bytes (1, 2, 4, 8); type byte only for non-hard links, charset byte only for UTF-8,
 * creation order when m->has_corder. Soft: m->soft. External: m->ext_file, m->ext_path,
 * m->ext_flags. User-defined types (other than 64) cannot be written (H5K_EINVAL). */
int h5k_encode_link(h5k_wbuf *w, const h5k_link_msg *m, const h5k_fctx *f);

/* Link Info (0x0002; 8-byte max creation index) and Attribute Info (0x0015; 2-byte). The creation
 * order B-tree address is written only when index_corder. */
int h5k_encode_linfo(h5k_wbuf *w, const h5k_linfo *li, const h5k_fctx *f);
int h5k_encode_ainfo(h5k_wbuf *w, const h5k_linfo *ai, const h5k_fctx *f);
/* Group Info (0x000A): phase-change values stored when g->has_phase, estimates when g->has_est. */
int h5k_encode_ginfo(h5k_wbuf *w, const h5k_ginfo *g);
/* Symbol Table (0x0011), Continuation (0x0010). */
int h5k_encode_stab(h5k_wbuf *w, const h5k_stab *s, const h5k_fctx *f);
int h5k_encode_cont(h5k_wbuf *w, const h5k_cont *c, const h5k_fctx *f);
/* Modification Time (0x0012, version 1): seconds since the epoch (must fit in 32 bits). */
int h5k_encode_mtime(h5k_wbuf *w, int64_t seconds);
/* Object Reference Count (0x0016, version 0). */
int h5k_encode_refcount(h5k_wbuf *w, uint32_t n);

/* Attribute message: version 1 (name, datatype and dataspace each padded to 8 bytes; charset
 * must be ASCII), 2 (no padding) or 3 (no padding, charset byte). type_bytes / space_bytes are
 * encoded Datatype / Dataspace messages (not shared); data_len bytes of value follow. Names are
 * NUL-terminated C strings (the stored size counts the NUL). */
int h5k_encode_attr(h5k_wbuf *w, unsigned version, const char *name, unsigned charset, const uint8_t *type_bytes,
                    size_t type_len, const uint8_t *space_bytes, size_t space_len, const uint8_t *data,
                    size_t data_len);
/* The same with the v2/v3 flags byte: bit 0 the datatype field is a shared message (a committed
 * datatype), bit 1 the dataspace field is. */
int h5k_encode_attr_flags(h5k_wbuf *w, unsigned version, unsigned flags, const char *name, unsigned charset,
                          const uint8_t *type_bytes, size_t type_len, const uint8_t *space_bytes, size_t space_len,
                          const uint8_t *data, size_t data_len);

#endif
