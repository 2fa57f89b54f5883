/* Checked arithmetic for every quantity derived from file bytes. */
#ifndef H5K_UTIL_CHECKED_H
#define H5K_UTIL_CHECKED_H

#include <stdint.h>
#include <stddef.h>

/* Each returns 1 on overflow (out untouched or partial), 0 when *out holds the exact result. */
static inline int ck_add64(uint64_t a, uint64_t b, uint64_t *out) { return __builtin_add_overflow(a, b, out); }
static inline int ck_mul64(uint64_t a, uint64_t b, uint64_t *out) { return __builtin_mul_overflow(a, b, out); }
static inline int ck_addsz(size_t a, size_t b, size_t *out) { return __builtin_add_overflow(a, b, out); }
static inline int ck_mulsz(size_t a, size_t b, size_t *out) { return __builtin_mul_overflow(a, b, out); }

/* Caps on what a file may ask of us. */
#define H5K_MAX_RANK 32             /* HDF5's own limit */
#define H5K_MAX_TYPE_DEPTH 32       /* nesting of compound/array/vlen datatypes */
#define H5K_MAX_LINK_DEPTH 64       /* soft links followed while resolving one path */
#define H5K_MAX_CONTINUATIONS 65536 /* object-header continuation blocks per object */
#define H5K_MAX_BTREE_DEPTH 64      /* levels of any B-tree */
#define H5K_MAX_BLOCK (1u << 30)    /* largest single metadata block we read (1 GiB) */
#define H5K_MAX_NAME 65536          /* longest link/attribute name accepted */

#endif
