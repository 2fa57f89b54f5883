/* I/O layer: a small function table so every parser runs on a file or on a memory buffer
 * (tests and fuzzers). Positional reads only (pread): there is no shared file offset, so many
 * threads may read through one h5k_io at once. This layer knows nothing of HDF5. */
#ifndef H5K_IO_IO_H
#define H5K_IO_IO_H

#include <stddef.h>
#include <stdint.h>

typedef struct h5k_io h5k_io;

struct h5k_io {
  /* Read exactly len bytes at absolute offset off. Returns 0, H5K_EIO on a system error, or
   * H5K_ECORRUPT when the range passes the end of the file ("truncated"). Thread-safe. */
  int (*read)(h5k_io *io, void *buf, size_t len, uint64_t off);
  void (*close)(h5k_io *io);
  uint64_t size; /* bytes in the file/buffer (grows with writes past the end) */
  /* Writable backends only (NULL otherwise). write: exactly len bytes at off, extending the
   * file as needed (H5K_EIO on failure). sync: make every write so far durable (fsync). */
  int (*write)(h5k_io *io, const void *buf, size_t len, uint64_t off);
  int (*sync)(h5k_io *io);
};

/* Open a file read-only. On error returns NULL and sets the last error (H5K_EIO/ENOTFOUND). */
h5k_io *h5k_io_open_file(const char *path, int *rc_out);
/* Open (create = 1: create; trunc = 1: truncate an existing file, else fail if it exists) a
 * file for reading and writing. */
h5k_io *h5k_io_open_file_rw(const char *path, int create, int trunc, int *rc_out);
/* A growable in-memory image, empty, readable and writable; h5k_io_memory_bytes borrows it. */
h5k_io *h5k_io_open_memory_rw(void);
const uint8_t *h5k_io_memory_bytes(h5k_io *io);
/* A writable in-memory image starting as a copy of buf (NULL when out of memory). */
h5k_io *h5k_io_open_memory_copy(const void *buf, size_t len);
/* Wrap a caller's buffer (borrowed; must outlive the io). Never fails except for memory. */
h5k_io *h5k_io_open_memory(const void *buf, size_t len);

static inline int h5k_io_read(h5k_io *io, void *buf, size_t len, uint64_t off) {
  return io->read(io, buf, len, off);
}
static inline int h5k_io_write(h5k_io *io, const void *buf, size_t len, uint64_t off) {
  return io->write(io, buf, len, off);
}
static inline void h5k_io_close(h5k_io *io) {
  if (io) io->close(io);
}

#endif
