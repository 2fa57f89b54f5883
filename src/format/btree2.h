/* Version 2 B-trees (HDF5 File Format Specification III.A.2): header "BTHD", internal nodes
 * "BTIN", leaf nodes "BTLF". The tree is read-only here; callers get raw record bytes and
 * decode them with the record-type helpers below (or their own).
 *
 * Thread safety: nothing is cached; every call reads what it needs through the const file
 * context, so any number of threads may walk trees of one file at once. */
#ifndef H5K_FORMAT_BTREE2_H
#define H5K_FORMAT_BTREE2_H

#include <stddef.h>
#include <stdint.h>

#include "format/fctx.h"

/* Record types (spec III.A.2, "Type" field of the header). */
enum {
  H5K_BT2_HUGE_INDIRECT = 1,          /* fractal heap huge objects, unfiltered, by ID */
  H5K_BT2_HUGE_FILTERED_INDIRECT = 2, /* same, filtered */
  H5K_BT2_HUGE_DIRECT = 3,            /* fractal heap huge objects, unfiltered, by address */
  H5K_BT2_HUGE_FILTERED_DIRECT = 4,   /* same, filtered */
  H5K_BT2_LINK_NAME = 5,              /* group dense links, by name hash */
  H5K_BT2_LINK_CORDER = 6,            /* group dense links, by creation order */
  H5K_BT2_SOHM = 7,                   /* shared object header message index */
  H5K_BT2_ATTR_NAME = 8,              /* dense attributes, by name hash */
  H5K_BT2_ATTR_CORDER = 9,            /* dense attributes, by creation order */
  H5K_BT2_CHUNK = 10,                 /* chunked dataset, unfiltered */
  H5K_BT2_CHUNK_FILTERED = 11         /* chunked dataset, filtered */
};

typedef struct h5k_bt2_hdr {
  unsigned type;          /* record type */
  uint32_t node_size;
  uint16_t rec_size;
  uint16_t depth;
  uint8_t split_pct, merge_pct;
  uint64_t root_addr;
  uint16_t root_nrec;
  uint64_t total_nrec;
} h5k_bt2_hdr;

/* Read and validate the header at `addr` (signature, version, checksum, node size able to hold
 * at least one record, depth <= H5K_MAX_BTREE_DEPTH, root address inside the file unless the
 * tree is empty). Errors: H5K_ECORRUPT, H5K_EIO. */
int h5k_bt2_read_header(h5k_bt2_hdr *out, const h5k_fctx *f, uint64_t addr);

/* Callback: gets the raw record bytes (rec_size of them, borrowed for the call).
 * Return 0 to go on, >0 to stop (the value is returned by the walker), <0 an error (returned). */
typedef int (*h5k_bt2_cb)(void *ud, const uint8_t *rec, size_t rec_size);

/* In-order traversal of every record (ascending key order). If expect_type != 0, a header of
 * another type is H5K_ECORRUPT. A full walk also checks that the number of records met equals
 * the header's total and each internal node's per-child totals. Returns 0, the callback's
 * positive stop value, or a negative error (H5K_ECORRUPT, H5K_EIO, H5K_ENOMEM, or the
 * callback's). */
int h5k_bt2_iterate(const h5k_fctx *f, uint64_t header_addr, unsigned expect_type, h5k_bt2_cb cb,
                    void *ud);

/* Search by key. cmp(ud, rec) returns <0 when the target sorts before rec, 0 when rec matches,
 * >0 when the target sorts after rec. Several records may compare equal (e.g. cmp looks only
 * at a name hash and two names collide): `found` is called for each of them in key order, and
 * decides:
 *   0   not the one wanted, go on with the next equal record;
 *   >0  stop; h5k_bt2_find returns this value;
 *   <0  error; returned.
 * When no `found` call returned nonzero (including when no record compared equal), the result
 * is H5K_ENOTFOUND (with a message). Records found out of order (cmp not monotonic inside a
 * node) are H5K_ECORRUPT. */
int h5k_bt2_find(const h5k_fctx *f, uint64_t header_addr, unsigned expect_type,
                 int (*cmp)(void *ud, const uint8_t *rec), h5k_bt2_cb found, void *ud);

/* ---- record layouts used by groups and attributes (spec III.A.2, record types 5, 6, 8, 9) ---- *
 *
 *  type 5, link name:       hash of name (4)  | heap ID (7)
 *  type 6, link corder:     creation order (8) | heap ID (7)
 *  type 8, attribute name:  heap ID (8) | message flags (1) | creation order (4) | hash of name (4)
 *  type 9, attribute corder: heap ID (8) | message flags (1) | creation order (4)
 *
 * The name hash is h5k_lookup3(name, strlen(name), 0). The decoders below read from a record
 * of rec_size bytes and return H5K_ECORRUPT if it is too short for its type. `heap_id` points
 * into the record (borrowed). */
#define H5K_BT2_LINK_HEAP_ID_LEN 7
#define H5K_BT2_ATTR_HEAP_ID_LEN 8

typedef struct h5k_bt2_link_rec {
  uint32_t hash;     /* type 5 only */
  uint64_t corder;   /* type 6 only */
  const uint8_t *heap_id;
} h5k_bt2_link_rec;

typedef struct h5k_bt2_attr_rec {
  const uint8_t *heap_id;
  uint8_t msg_flags;
  uint32_t corder;
  uint32_t hash;     /* type 8 only */
} h5k_bt2_attr_rec;

int h5k_bt2_decode_link_rec(h5k_bt2_link_rec *out, unsigned type, const uint8_t *rec, size_t rec_size);
int h5k_bt2_decode_attr_rec(h5k_bt2_attr_rec *out, unsigned type, const uint8_t *rec, size_t rec_size);

#endif
