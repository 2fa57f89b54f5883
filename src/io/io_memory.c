/* In-memory backend: the parsers run unchanged on a caller's buffer (tests, fuzzers). */
#include "io/io.h"
#include "util/error.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
  h5k_io base;
  const uint8_t *buf;
  uint8_t *own;   /* writable images: the owned, growable buffer (buf == own) */
  size_t cap;
} mem_io;

static int mem_read(h5k_io *io, void *buf, size_t len, uint64_t off) {
  mem_io *m = (mem_io *)io;
  if (off > io->size || len > io->size - off)
    return h5k_err_corrupt("truncated file: %zu bytes at offset %llu pass the end of the file (%llu bytes)",
                           len, (unsigned long long)off, (unsigned long long)io->size);
  if (len) memcpy(buf, m->buf + off, len);
  return 0;
}

static void mem_close(h5k_io *io) {
  free(((mem_io *)io)->own);
  free(io);
}

static int mem_write(h5k_io *io, const void *buf, size_t len, uint64_t off) {
  mem_io *m = (mem_io *)io;
  if (off > SIZE_MAX / 2 || len > SIZE_MAX / 2 - off) return h5k_err(H5K_EIO, "memory image too large");
  size_t end = (size_t)off + len;
  if (end > m->cap) {
    size_t cap = m->cap ? m->cap : 4096;
    while (cap < end) cap *= 2;
    uint8_t *q = realloc(m->own, cap);
    if (!q) return h5k_err_nomem();
    memset(q + m->cap, 0, cap - m->cap);
    m->own = q;
    m->buf = q;
    m->cap = cap;
  }
  if (len) memcpy(m->own + off, buf, len);
  if (end > io->size) io->size = end;
  return 0;
}

static int mem_sync(h5k_io *io) {
  (void)io;
  return 0;
}

h5k_io *h5k_io_open_memory_rw(void) {
  mem_io *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  m->base.read = mem_read;
  m->base.close = mem_close;
  m->base.write = mem_write;
  m->base.sync = mem_sync;
  return &m->base;
}

const uint8_t *h5k_io_memory_bytes(h5k_io *io) { return ((mem_io *)io)->buf; }

h5k_io *h5k_io_open_memory(const void *buf, size_t len) {
  mem_io *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  m->buf = buf;
  m->base.read = mem_read;
  m->base.close = mem_close;
  m->base.size = buf ? len : 0;
  return &m->base;
}

h5k_io *h5k_io_open_memory_copy(const void *buf, size_t len) {
  h5k_io *io = h5k_io_open_memory_rw();
  if (!io) return NULL;
  if (len && mem_write(io, buf, len, 0) < 0) {
    mem_close(io);
    return NULL;
  }
  return io;
}
