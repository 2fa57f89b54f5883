/* Datatype conversion: file representation -> memory representation.
 *
 * The source of a conversion is always data as stored in the file (raw dataset bytes, attribute
 * values, fill values): variable-length elements are heap IDs, references are file addresses.
 * The destination is always a memory type: variable-length sequences are h5k_vlen, variable-length
 * strings char*, object references h5k_addr. So a VLEN or REFERENCE type means the file layout on
 * the source side and the memory layout on the destination side.
 *
 * Thread safety: no shared state; the global heap collections a conversion needs are read into a
 * cache that lives for the one call. */
#ifndef H5K_OBJECT_CONVERT_H
#define H5K_OBJECT_CONVERT_H

#include <stddef.h>

#include "format/fctx.h"
#include "h5kit.h"

/* Convert n elements of type st at src into dt at dst (element strides = the type sizes).
 * Conversions (see also h5k_convert in h5kit.h):
 *  - integer/float <-> integer/float: any byte order; integers of any size whose precision is at
 *    most 64 bits (bit offset and precision honoured, sign-extended); IEEE half/single/double and,
 *    as a source only, other float layouts described by their fields. Out-of-range values
 *    saturate to the destination's minimum/maximum, NaN becomes 0 in an integer, +-inf saturates;
 *    float -> float overflow gives +-inf. VAX order: H5K_EUNSUPPORTED.
 *  - enum -> integer/float (through its base); enum -> enum by member name (values without a
 *    name in the source become all ones, as libhdf5 does).
 *  - identical types (deep equality), byte order swapped as needed; bitfield/time/opaque only so.
 *  - fixed string -> fixed string (truncate/pad per the destination's padding), fixed or vlen
 *    string -> vlen string (char*, malloc'd, NUL-terminated), vlen string -> fixed string.
 *  - vlen sequence -> vlen sequence (h5k_vlen; elements converted to the destination base; needs f).
 *  - compound -> compound: destination members found by name in the source (a missing one is
 *    H5K_EUNSUPPORTED); bytes of the destination no member covers are zeroed.
 *  - array -> array of the same dimensions.
 *  - object reference -> h5k_addr (REFERENCE, ref_type object, size 8; undefined -> H5K_ADDR_UNDEF);
 *    other reference kinds: raw copy to an identical type.
 * dst and src must not overlap, except dst == src for integer/float types of equal size.
 * On failure nothing stays allocated in dst (it is left zeroed when dt needs reclaiming).
 * Errors: H5K_EUNSUPPORTED (no path; the message names both types), H5K_EINVAL (f NULL with vlen
 * data, inconsistent memory type), H5K_ECORRUPT (bad heap ID or heap object), H5K_EIO,
 * H5K_ENOMEM, H5K_ELIMIT. */
int h5k_conv(void *dst, const h5k_datatype *dt, const void *src, const h5k_datatype *st, size_t n,
             const h5k_fctx *f);

/* The default memory type of a file type (h5k_datatype_native in h5kit.h):
 *  - integer: same sign, host order, the smallest of 1/2/4/8 bytes that holds its precision;
 *  - float: IEEE half/single/double keep their size in host order; other layouts become double;
 *  - string, opaque: unchanged; bitfield, time: host order;
 *  - enum: host-order base, values converted;
 *  - compound: members in the same order with their native types, packed (offsets recomputed
 *    without padding, so members may be unaligned);
 *  - array: same dimensions of the native base;
 *  - vlen sequence: h5k_vlen of the native base; vlen string: char*;
 *  - object reference: h5k_addr (size 8); other references unchanged.
 * Errors: H5K_EINVAL, H5K_ENOMEM, H5K_ELIMIT, H5K_EUNSUPPORTED (integer wider than 64 bits of
 * precision that is not a plain whole-byte integer). */
int h5k_conv_native(h5k_datatype **out, const h5k_datatype *ft);

/* Whether elements of memory type t own allocations (vlen data somewhere inside). */
int h5k_conv_needs_reclaim(const h5k_datatype *t);

/* Free what a conversion to mem type t allocated inside n elements of buf, and zero those
 * pointers. Safe on zeroed elements. */
void h5k_conv_reclaim(void *buf, const h5k_datatype *t, size_t n);

/* A host-order integer (size 1, 2, 4, 8) or IEEE float (2, 4, 8) type. Errors: H5K_EINVAL. */
int h5k_conv_make(h5k_datatype **out, h5k_type_class cls, size_t size, int is_signed);

#endif
