/* Public API: opening and closing files (include/h5kit.h). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/file_impl.h"
#include "format/shared.h"
#include "format/superblock.h"
#include "util/error.h"

unsigned h5k_online_cores(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : n > 256 ? 256 : (unsigned)n;
}

int h5k_api_attach_writer(h5k_file *f);  /* write.c */
void h5k_api_close_writer(h5k_file *f);  /* write.c */

static int open_io(h5k_file **out, h5k_io *io, const char *path, const h5k_open_options *opts) {
  h5k_file *f = calloc(1, sizeof *f);
  int rc;
  if (!f) {
    h5k_io_close(io);
    return h5k_err_nomem();
  }
  if (opts && opts->struct_size >= sizeof *opts) {
    f->nthreads = opts->nthreads;
    f->filters.extra = opts->filters;
    f->filters.nextra = opts->filters ? opts->nfilters : 0;
  }
  if (f->nthreads == 0) f->nthreads = h5k_online_cores();
  if (path) {
    size_t n = strlen(path) + 1;
    f->path = malloc(n);
    if (!f->path) {
      free(f);
      h5k_io_close(io);
      return h5k_err_nomem();
    }
    memcpy(f->path, path, n);
  }
  rc = h5k_superblock_read(&f->fc, io);
  if (rc >= 0) rc = h5k_sohm_load(&f->fc);
  if (rc >= 0 && io->write) rc = h5k_api_attach_writer(f);
  if (rc < 0) {
    h5k_sohm_free(f->fc.sohm);
    free(f->path);
    free(f);
    h5k_io_close(io);
    return rc;
  }
  *out = f;
  return 0;
}

int h5k_open(h5k_file **out, const char *path, const h5k_open_options *opts) {
  h5k_io *io;
  int rc = 0;
  if (!out || !path) return h5k_err(H5K_EINVAL, "h5k_open: NULL argument");
  if (opts && opts->struct_size >= sizeof *opts && (opts->flags & H5K_OPEN_RDWR))
    io = h5k_io_open_file_rw(path, 0, 0, &rc);
  else
    io = h5k_io_open_file(path, &rc);
  if (!io) return rc;
  return open_io(out, io, path, opts);
}

int h5k_open_memory(h5k_file **out, const void *buf, size_t len, const h5k_open_options *opts) {
  h5k_io *io;
  if (!out || (!buf && len)) return h5k_err(H5K_EINVAL, "h5k_open_memory: NULL argument");
  if (opts && opts->struct_size >= sizeof *opts && (opts->flags & H5K_OPEN_RDWR))
    io = h5k_io_open_memory_copy(buf, len); /* changes go to a copy: see h5k_memory_image */
  else
    io = h5k_io_open_memory(buf, len);
  if (!io) return h5k_err_nomem();
  return open_io(out, io, NULL, opts);
}

void h5k_close(h5k_file *f) {
  if (!f) return;
  h5k_api_close_writer(f);
  h5k_sohm_free(f->fc.sohm);
  h5k_io_close(f->fc.io);
  free(f->path);
  free(f);
}

int h5k_file_get_info(h5k_file_info *out, const h5k_file *f) {
  if (!out || !f) return h5k_err(H5K_EINVAL, "h5k_file_get_info: NULL argument");
  memset(out, 0, sizeof *out);
  out->superblock_version = f->fc.sb_version;
  out->sizeof_offsets = f->fc.so;
  out->sizeof_lengths = f->fc.sl;
  out->userblock_size = f->fc.base;
  out->eof = f->fc.eof + f->fc.base;
  out->file_size = f->fc.io->size;
  out->root = f->fc.root;
  out->has_extension = addr_defined(f->fc.ext);
  out->has_shared_messages = f->fc.sohm != NULL;
  return 0;
}
