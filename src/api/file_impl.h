/* The public file handle (opaque in h5kit.h). */
#ifndef H5K_API_FILE_IMPL_H
#define H5K_API_FILE_IMPL_H

#include "format/fctx.h"

struct h5k_file {
  h5k_fctx fc;
};

#endif
