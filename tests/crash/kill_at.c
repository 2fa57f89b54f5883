/* kill_at.c — an LD_PRELOAD shim for the deterministic crash sweep (sweep_crash.sh).
 *
 * Counts the process's calls to write, pwrite, pwrite64, fsync and fdatasync (the calls through
 * which anything reaches the file or the log) and, when the environment variable KILL_AT is N > 0,
 * sends itself SIGKILL just before performing call N. With KILL_AT unset or 0 it kills nothing
 * and, at exit, writes the number of calls made to the file named by KILL_AT_COUNT (if set).
 * Nothing in the library under test changes: this sits between it and libc.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

static long calls;

static long kill_at(void) {
  const char *e = getenv("KILL_AT");
  return e ? atol(e) : 0;
}

static void tick(void) {
  long n = __atomic_add_fetch(&calls, 1, __ATOMIC_SEQ_CST);
  if (n == kill_at()) raise(SIGKILL);
}

static void *next(const char *name) { return dlsym(RTLD_NEXT, name); }

ssize_t write(int fd, const void *buf, size_t len) {
  ssize_t (*real)(int, const void *, size_t) = (ssize_t(*)(int, const void *, size_t))next("write");
  tick();
  return real(fd, buf, len);
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off) {
  ssize_t (*real)(int, const void *, size_t, off_t) = (ssize_t(*)(int, const void *, size_t, off_t))next("pwrite");
  tick();
  return real(fd, buf, len, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t len, off_t off) {
  ssize_t (*real)(int, const void *, size_t, off_t) =
      (ssize_t(*)(int, const void *, size_t, off_t))next("pwrite64");
  tick();
  return real(fd, buf, len, off);
}

int fsync(int fd) {
  int (*real)(int) = (int (*)(int))next("fsync");
  tick();
  return real(fd);
}

int fdatasync(int fd) {
  int (*real)(int) = (int (*)(int))next("fdatasync");
  tick();
  return real(fd);
}

__attribute__((destructor)) static void report(void) {
  const char *path = getenv("KILL_AT_COUNT");
  if (!path || kill_at() > 0) return;
  FILE *f = fopen(path, "w");
  if (!f) return;
  fprintf(f, "%ld\n", __atomic_load_n(&calls, __ATOMIC_SEQ_CST));
  fclose(f);
}
