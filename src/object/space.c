/* File space allocation for the writer.
 *
 * Two lists of extents: `free` (allocatable now) and `pending` (used by the committed state,
 * released by a change in the current transaction: they must keep their bytes until the commit
 * that stops referring to them is durable, then they join `free`). Allocation is first fit in the
 * free list, else at the end of the allocated space (eoa). The lists stay sorted and coalesced,
 * and a free extent that ends at eoa gives the space back to the end. */
#include <stdlib.h>
#include <string.h>

#include "object/writer.h"
#include "util/error.h"

void h5k_space_init(h5k_space *s, uint64_t eoa) {
  memset(s, 0, sizeof *s);
  s->eoa = eoa;
}

void h5k_space_clear(h5k_space *s) {
  free(s->free);
  free(s->pending);
  memset(s, 0, sizeof *s);
}

/* Insert [addr, addr+len) into a sorted, coalesced list. */
static int list_add(h5k_extent **list, size_t *n, size_t *cap, uint64_t addr, uint64_t len) {
  size_t lo = 0, hi = *n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if ((*list)[mid].addr < addr) lo = mid + 1;
    else hi = mid;
  }
  h5k_extent *e = *list;
  /* overlapping frees are a bug in the caller: refuse rather than corrupt the list */
  if ((lo > 0 && e[lo - 1].addr + e[lo - 1].len > addr) || (lo < *n && addr + len > e[lo].addr))
    return h5k_err(H5K_EINVAL, "internal: space at %llu freed twice", (unsigned long long)addr);
  int merge_prev = lo > 0 && e[lo - 1].addr + e[lo - 1].len == addr;
  int merge_next = lo < *n && addr + len == e[lo].addr;
  if (merge_prev && merge_next) {
    e[lo - 1].len += len + e[lo].len;
    memmove(e + lo, e + lo + 1, (*n - lo - 1) * sizeof *e);
    (*n)--;
    return 0;
  }
  if (merge_prev) {
    e[lo - 1].len += len;
    return 0;
  }
  if (merge_next) {
    e[lo].addr = addr;
    e[lo].len += len;
    return 0;
  }
  if (*n == *cap) {
    size_t nc = *cap ? *cap * 2 : 16;
    h5k_extent *q = realloc(*list, nc * sizeof *q);
    if (!q) return h5k_err_nomem();
    *list = q;
    *cap = nc;
    e = q;
  }
  memmove(e + lo + 1, e + lo, (*n - lo) * sizeof *e);
  e[lo].addr = addr;
  e[lo].len = len;
  (*n)++;
  return 0;
}

int h5k_space_alloc(h5k_space *s, uint64_t len, uint64_t *addr) {
  if (len == 0) return h5k_err(H5K_EINVAL, "internal: zero-byte allocation");
  for (size_t i = 0; i < s->nfree; i++) {
    if (s->free[i].len >= len) {
      *addr = s->free[i].addr;
      s->free[i].addr += len;
      s->free[i].len -= len;
      if (s->free[i].len == 0) {
        memmove(s->free + i, s->free + i + 1, (s->nfree - i - 1) * sizeof *s->free);
        s->nfree--;
      }
      return 0;
    }
  }
  if (s->eoa > UINT64_MAX / 2 - len) return h5k_err(H5K_ELIMIT, "file address space exhausted");
  *addr = s->eoa;
  s->eoa += len;
  return 0;
}

/* A free extent touching eoa shrinks eoa instead (the file does not keep a free tail). */
static void trim_tail(h5k_space *s) {
  while (s->nfree && s->free[s->nfree - 1].addr + s->free[s->nfree - 1].len == s->eoa) {
    s->eoa = s->free[s->nfree - 1].addr;
    s->nfree--;
  }
}

int h5k_space_free_now(h5k_space *s, uint64_t addr, uint64_t len) {
  if (!len || addr == H5K_ADDR_UNDEF) return 0;
  TRY(list_add(&s->free, &s->nfree, &s->capfree, addr, len));
  trim_tail(s);
  return 0;
}

int h5k_space_free_later(h5k_space *s, uint64_t addr, uint64_t len) {
  if (!len || addr == H5K_ADDR_UNDEF) return 0;
  return list_add(&s->pending, &s->npending, &s->cappending, addr, len);
}

int h5k_space_release_pending(h5k_space *s) {
  for (size_t i = 0; i < s->npending; i++)
    TRY(list_add(&s->free, &s->nfree, &s->capfree, s->pending[i].addr, s->pending[i].len));
  s->npending = 0;
  trim_tail(s);
  return 0;
}
