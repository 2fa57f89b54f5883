/* The public file handle (opaque in h5kit.h). Immutable after h5k_open. */
#ifndef H5K_API_FILE_IMPL_H
#define H5K_API_FILE_IMPL_H

#include "filter/filter.h"
#include "format/fctx.h"

struct h5k_file {
  h5k_fctx fc;
  char *path;              /* as opened (NULL for memory images): external data files and
                              virtual dataset sources are resolved relative to its directory */
  unsigned nthreads;       /* decode threads per read (>= 1) */
  h5k_filter_set filters;  /* extra filter classes from the open options (borrowed) */
  struct h5k_writer *writer; /* writable handles: the model of pending changes (else NULL) */
};

/* Online cores (1..256): the default number of threads (file.c). */
unsigned h5k_online_cores(void);

#endif
