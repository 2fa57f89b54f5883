/* POSIX file backend: pread (and pwrite/fsync when opened for writing) on one descriptor.
 *
 * Early writeback: on Linux, once WRITEBACK_BYTES have been written since the last time, the
 * range they cover is handed to the kernel for writing out (sync_file_range with
 * SYNC_FILE_RANGE_WRITE: start, do not wait). A writer that syncs at its commit (h5kit always
 * does) then finds most of its data already on the way to the disk, instead of making the
 * disk write everything after the last byte is written. It changes no durability guarantee:
 * that still comes from fdatasync (file_sync). */
#define _GNU_SOURCE
#include "io/io.h"
#include "util/error.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WRITEBACK_BYTES ((uint64_t)4 << 20)

typedef struct {
  h5k_io base;
  int fd;
  pthread_mutex_t wb_mu;         /* guards the three below */
  uint64_t wb_lo, wb_hi;         /* range written since the last writeback started */
  uint64_t wb_bytes;             /* bytes written in it */
} file_io;

static void note_written(file_io *fio, uint64_t off, uint64_t len) {
#if defined(__linux__) && defined(SYNC_FILE_RANGE_WRITE)
  uint64_t lo = 0, hi = 0;
  pthread_mutex_lock(&fio->wb_mu);
  if (fio->wb_bytes == 0 || off < fio->wb_lo) fio->wb_lo = off;
  if (fio->wb_bytes == 0 || off + len > fio->wb_hi) fio->wb_hi = off + len;
  fio->wb_bytes += len;
  if (fio->wb_bytes >= WRITEBACK_BYTES) {
    lo = fio->wb_lo;
    hi = fio->wb_hi;
    fio->wb_bytes = 0;
  }
  pthread_mutex_unlock(&fio->wb_mu);
  if (hi > lo) (void)sync_file_range(fio->fd, (off_t)lo, (off_t)(hi - lo), SYNC_FILE_RANGE_WRITE); /* a hint */
#else
  (void)fio;
  (void)off;
  (void)len;
#endif
}

static int file_read(h5k_io *io, void *buf, size_t len, uint64_t off) {
  file_io *fio = (file_io *)io;
  uint8_t *p = buf;
  if (off > io->size || len > io->size - off)
    return h5k_err_corrupt("truncated file: %zu bytes at offset %llu pass the end of the file (%llu bytes)",
                           len, (unsigned long long)off, (unsigned long long)io->size);
  while (len > 0) {
    ssize_t n = pread(fio->fd, p, len, (off_t)off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return h5k_err(H5K_EIO, "read error at offset %llu: %s", (unsigned long long)off, strerror(errno));
    }
    if (n == 0) return h5k_err_corrupt("truncated file: unexpected end at offset %llu", (unsigned long long)off);
    p += n;
    len -= (size_t)n;
    off += (uint64_t)n;
  }
  return 0;
}

static int file_write(h5k_io *io, const void *buf, size_t len, uint64_t off) {
  file_io *fio = (file_io *)io;
  const uint8_t *p = buf;
  uint64_t start = off, end = off + len;
  while (len > 0) {
    ssize_t n = pwrite(fio->fd, p, len, (off_t)off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return h5k_err(H5K_EIO, "write error at offset %llu: %s", (unsigned long long)off, strerror(errno));
    }
    p += n;
    len -= (size_t)n;
    off += (uint64_t)n;
  }
  if (end > io->size) io->size = end;
  note_written(fio, start, end - start);
  return 0;
}

/* fdatasync: the data and what is needed to read it back (the file size) reach the disk; the
 * modification time need not, which spares a metadata write when the size did not change (the
 * superblock's sync). */
static int file_sync(h5k_io *io) {
  file_io *fio = (file_io *)io;
  if (fdatasync(fio->fd) != 0) return h5k_err(H5K_EIO, "fdatasync failed: %s", strerror(errno));
  return 0;
}

static void file_close(h5k_io *io) {
  file_io *fio = (file_io *)io;
  close(fio->fd);
  pthread_mutex_destroy(&fio->wb_mu);
  free(fio);
}

static h5k_io *open_fd(const char *path, int oflags, int writable, int *rc_out) {
  int fd = open(path, oflags | O_CLOEXEC, 0666);
  struct stat st;
  if (fd < 0) {
    if (errno == EEXIST)
      *rc_out = h5k_err(H5K_EINVAL, "%s exists (create with H5K_CREATE_TRUNC to replace it)", path);
    else
      *rc_out = h5k_err(errno == ENOENT ? H5K_ENOTFOUND : H5K_EIO, "%s", strerror(errno));
    return NULL;
  }
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    *rc_out = h5k_err(H5K_EIO, "not a regular file");
    close(fd);
    return NULL;
  }
  file_io *fio = calloc(1, sizeof *fio);
  if (!fio) {
    close(fd);
    *rc_out = h5k_err_nomem();
    return NULL;
  }
  fio->fd = fd;
  pthread_mutex_init(&fio->wb_mu, NULL);
  fio->base.read = file_read;
  fio->base.close = file_close;
  fio->base.size = (uint64_t)st.st_size;
  if (writable) {
    fio->base.write = file_write;
    fio->base.sync = file_sync;
  }
  *rc_out = 0;
  return &fio->base;
}

h5k_io *h5k_io_open_file(const char *path, int *rc_out) { return open_fd(path, O_RDONLY, 0, rc_out); }

h5k_io *h5k_io_open_file_rw(const char *path, int create, int trunc, int *rc_out) {
  int fl = O_RDWR;
  if (create) fl |= O_CREAT | (trunc ? O_TRUNC : O_EXCL);
  return open_fd(path, fl, 1, rc_out);
}
