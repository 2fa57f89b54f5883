/* Jenkins lookup3 "hashlittle" checksum: HDF5 File Format Specification, section II.A
 * ("Checksums"): every checksummed metadata structure stores lookup3 of its preceding bytes
 * with an initial value of 0. */
#ifndef H5K_UTIL_LOOKUP3_H
#define H5K_UTIL_LOOKUP3_H
#include <stddef.h>
#include <stdint.h>

uint32_t h5k_lookup3(const void *data, size_t len, uint32_t initval);

#endif
