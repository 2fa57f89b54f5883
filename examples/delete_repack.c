/* delete_repack.c — removing objects, then compacting the file.
 *
 *   delete_repack OUT.h5 [--latest] [--h5kit PATH]
 *
 * Writes /keep (float64, 1000 values), /drop (int32, 100000 values), and a group /old with two
 * datasets and a subgroup, then deletes /drop and the whole group /old with h5k_unlink: an object
 * whose last link goes is deleted with its storage, a group together with everything reachable
 * only through it. Prints the file size after each step.
 *
 * Space freed by a deletion is reused by later writes to the same file but the file does not
 * shrink by itself; rewriting it compactly is what a "repack" does. The library has no repack
 * call (the copy lives in the command-line tool), so the example runs `h5kit repack [--latest]
 * OUT.h5 OUT.h5.tmp` and renames the result over OUT.h5. The tool is the one given with
 * --h5kit, else the `h5kit` next to this program or one directory up (a CMake build puts the
 * examples in <build>/examples/ and the tool in <build>/); when there is none, the repack step
 * is skipped with a note.
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "h5kit.h"

static void check(int rc, const char *what) {
  if (rc < 0) {
    fprintf(stderr, "delete_repack: %s: %s (%s)\n", what, h5k_error_last(), h5k_strerror(rc));
    exit(1);
  }
}

static long long file_size(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* Create a 1-D dataset of n elements of `type` with values i (converted from double). */
static void make_dataset(h5k_file *f, const char *path, const h5k_datatype *type, uint64_t n) {
  h5k_dataspace s;
  memset(&s, 0, sizeof s);
  s.kind = H5K_SPACE_SIMPLE;
  s.rank = 1;
  s.dims[0] = s.maxdims[0] = n;
  h5k_dataset_options o;
  memset(&o, 0, sizeof o);
  o.struct_size = sizeof o;
  o.flags = H5K_MKDIRS;
  check(h5k_dataset_create(f, path, type, &s, &o), path);
  double *v = malloc(n * sizeof *v);
  h5k_datatype *f64;
  if (!v) exit(1);
  for (uint64_t i = 0; i < n; i++) v[i] = (double)i;
  check(h5k_datatype_make(&f64, H5K_CLASS_FLOAT, 8, 1), "float64 type");
  check(h5k_write(f, path, NULL, f64, v, n * sizeof *v), path);
  h5k_datatype_free(f64);
  free(v);
}

extern char **environ;

/* The h5kit tool: next to the program (argv0's directory) or one directory up; NULL if none.
 * Returns a malloc'd path. */
static char *find_h5kit(const char *argv0) {
  const char *slash = strrchr(argv0, '/');
  size_t dlen = slash ? (size_t)(slash - argv0) : 1;
  const char *dir = slash ? argv0 : ".";
  const char *tries[] = {"/h5kit", "/../h5kit"};
  for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++) {
    char *p = malloc(dlen + strlen(tries[i]) + 1);
    if (!p) return NULL;
    memcpy(p, dir, dlen);
    strcpy(p + dlen, tries[i]);
    if (access(p, X_OK) == 0) return p;
    free(p);
  }
  return NULL;
}

/* Run `tool repack [--latest] in out` (no shell: names are passed as they are); 0 on success. */
static int run_repack(const char *tool, int latest, const char *in, const char *out) {
  char *args[6];
  int n = 0, status;
  pid_t pid;
  args[n++] = (char *)tool;
  args[n++] = "repack";
  if (latest) args[n++] = "--latest";
  args[n++] = (char *)in;
  args[n++] = (char *)out;
  args[n] = NULL;
  if (posix_spawn(&pid, tool, NULL, NULL, args, environ) != 0) return -1;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int main(int argc, char **argv) {
  const char *path = NULL, *tool_arg = NULL;
  int latest = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--latest")) latest = 1;
    else if (!strcmp(argv[i], "--h5kit") && i + 1 < argc) tool_arg = argv[++i];
    else if (!path && argv[i][0] != '-') path = argv[i];
    else path = NULL, i = argc; /* unknown argument: usage */
  }
  if (!path) {
    fprintf(stderr, "usage: delete_repack OUT.h5 [--latest] [--h5kit PATH]\n");
    return 2;
  }
  h5k_datatype *i32, *f64;
  check(h5k_datatype_make(&i32, H5K_CLASS_INTEGER, 4, 1), "int32 type");
  check(h5k_datatype_make(&f64, H5K_CLASS_FLOAT, 8, 1), "float64 type");

  h5k_create_options co;
  memset(&co, 0, sizeof co);
  co.struct_size = sizeof co;
  co.flags = H5K_CREATE_TRUNC;
  co.profile = latest ? H5K_PROFILE_LATEST : H5K_PROFILE_COMPAT;
  h5k_file *f;
  check(h5k_create(&f, path, &co), "create");
  make_dataset(f, "/keep", f64, 1000);
  make_dataset(f, "/drop", i32, 100000);
  make_dataset(f, "/old/a", i32, 5000);
  make_dataset(f, "/old/b", f64, 5000);
  check(h5k_group_create(f, "/old/sub/deeper", H5K_MKDIRS), "create /old/sub/deeper");
  check(h5k_flush(f), "flush");
  printf("after writing:  %lld bytes\n", file_size(path));

  /* Delete one dataset and one whole group. */
  check(h5k_unlink(f, "/drop"), "unlink /drop");
  check(h5k_unlink(f, "/old"), "unlink /old");
  check(h5k_flush(f), "flush after deleting");
  printf("after deleting: %lld bytes (freed space is reused by later writes)\n", file_size(path));

  h5k_close(f);
  h5k_datatype_free(i32);
  h5k_datatype_free(f64);

  /* Rewrite the file without the freed space: repack into a new file beside it, then replace. */
  char *tool = tool_arg ? strdup(tool_arg) : find_h5kit(argv[0]);
  if (!tool) {
    printf("repack skipped: no h5kit tool next to this program (give one with --h5kit PATH)\n");
    return 0;
  }
  char *tmp = malloc(strlen(path) + 5);
  if (!tmp) exit(1);
  strcpy(tmp, path);
  strcat(tmp, ".tmp");
  if (run_repack(tool, latest, path, tmp) != 0) {
    fprintf(stderr, "delete_repack: %s repack %s %s failed\n", tool, path, tmp);
    remove(tmp);
    exit(1);
  }
  if (rename(tmp, path) != 0) {
    fprintf(stderr, "delete_repack: cannot rename %s to %s\n", tmp, path);
    exit(1);
  }
  printf("after repacking: %lld bytes\n", file_size(path));
  free(tmp);
  free(tool);
  return 0;
}
