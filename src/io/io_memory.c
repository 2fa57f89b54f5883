/* In-memory backend: the parsers run unchanged on a caller's buffer (tests, fuzzers). */
#include "io/io.h"
#include "util/error.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
  h5k_io base;
  const uint8_t *buf;
} mem_io;

static int mem_read(h5k_io *io, void *buf, size_t len, uint64_t off) {
  mem_io *m = (mem_io *)io;
  if (off > io->size || len > io->size - off)
    return h5k_err_corrupt("truncated file: %zu bytes at offset %llu pass the end of the file (%llu bytes)",
                           len, (unsigned long long)off, (unsigned long long)io->size);
  if (len) memcpy(buf, m->buf + off, len);
  return 0;
}

static void mem_close(h5k_io *io) { free(io); }

h5k_io *h5k_io_open_memory(const void *buf, size_t len) {
  mem_io *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  m->buf = buf;
  m->base.read = mem_read;
  m->base.close = mem_close;
  m->base.size = buf ? len : 0;
  return &m->base;
}
