/* h5kit: the command-line tool. Dispatches subcommands and holds the helpers they share
 * (declared in cli.h). No HDF5 format knowledge lives here: the tool only calls the public API
 * in h5kit.h. Behaviour of each subcommand is described in docs/cli.md. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

/* ---- shared helpers -------------------------------------------------------------------------- */

static void one_line(char *s)
{
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || *s == 0x7f) *s = '?';
}

void cli_error(const char *fmt, ...)
{
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  one_line(msg);
  fflush(stdout);
  fprintf(stderr, "h5kit: %s\n", msg);
}

void cli_report(const char *subject, const char *message)
{
  char *s = strdup(subject), *m = strdup(message);
  fflush(stdout);
  if (s && m) {
    one_line(s);
    one_line(m);
    fprintf(stderr, "%s: %s\n", s, m);
  } else {
    fprintf(stderr, "h5kit: out of memory\n");
  }
  free(s);
  free(m);
}

char *cli_reason(char *buf, size_t size)
{
  if (size == 0) return buf;
  snprintf(buf, size, "%s", h5k_error_last());
  one_line(buf);
  return buf;
}

int cli_open_split(h5k_file **out, char **out_fname, char **out_oname, char *reason,
                   size_t reason_size, const char *arg)
{
  int rc = H5K_ENOMEM;
  int have_reason = 0; /* 0: none yet, 1: from a path that does not exist, 2: from one that does */
  char *fname = strdup(arg);
  char *oname = NULL; /* points into fname: the '/' that was cut, or NULL */
  h5k_file *f = NULL;

  *out = NULL;
  *out_fname = NULL;
  *out_oname = NULL;
  if (reason_size) reason[0] = '\0';
  if (!fname) {
    snprintf(reason, reason_size, "out of memory");
    return H5K_ENOMEM;
  }
  /* Try the whole argument, then cut at the last '/' and retry, moving one path component at
   * a time from the file name to the object name (the file name never becomes empty). */
  while (*fname) {
    struct stat st;
    int exists;
    rc = h5k_open(&f, fname, NULL);
    if (rc == 0) break;
    /* Report the longest prefix that exists on disk; failing that, the whole argument. */
    exists = stat(fname, &st) == 0;
    if (have_reason == 0 || (have_reason == 1 && exists)) {
      cli_reason(reason, reason_size);
      have_reason = exists ? 2 : 1;
    }
    char *prev = oname;
    oname = strrchr(fname, '/');
    if (prev) *prev = '/';
    if (!oname) break;
    *oname = '\0';
  }
  if (rc != 0) {
    free(fname);
    return rc;
  }
  if (oname) {
    char *obj;
    *oname = '/';
    obj = strdup(oname);
    *oname = '\0';
    if (!obj) {
      h5k_close(f);
      free(fname);
      snprintf(reason, reason_size, "out of memory");
      return H5K_ENOMEM;
    }
    *out_oname = obj;
  }
  *out = f;
  *out_fname = fname;
  return 0;
}

size_t cli_put_escaped(FILE *out, const char *s, int escape_spaces)
{
  size_t n = 0;
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    const char *esc = NULL;
    switch (c) {
    case '"': esc = "\\\""; break;
    case '\\': esc = "\\\\"; break;
    case '\b': esc = "\\b"; break;
    case '\f': esc = "\\f"; break;
    case '\n': esc = "\\n"; break;
    case '\r': esc = "\\r"; break;
    case '\t': esc = "\\t"; break;
    case ' ': esc = escape_spaces ? "\\ " : " "; break;
    default: break;
    }
    if (esc) {
      fputs(esc, out);
      n += strlen(esc);
    } else if (c >= 0x20 && c < 0x7f) {
      putc(c, out);
      n++;
    } else {
      fprintf(out, "\\%03o", c);
      n += 4;
    }
  }
  return n;
}

void cli_buffer_stdout(void)
{
  static char buf[1 << 16];
  setvbuf(stdout, buf, _IOFBF, sizeof buf);
}

int cli_finish_stdout(int status)
{
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fprintf(stderr, "h5kit: error writing to standard output\n");
    return CLI_FAIL;
  }
  return status;
}

/* ---- dispatch ---------------------------------------------------------------------------------- */

static void usage(FILE *out)
{
  fprintf(out,
          "usage: h5kit COMMAND [OPTIONS] ARGS...\n"
          "       h5kit --help | --version\n"
          "\n"
          "commands:\n"
          "  ls [-r] FILE[/PATH]...   list groups, datasets, named types and links\n"
          "                           (output identical to h5ls); see 'h5kit ls --help'\n"
          "  get FILE#PATH [--slice S] [--format raw|npy|csv] [-o OUT]\n"
          "                           read a dataset or a slice of it; see 'h5kit get --help'\n"
          "  chunks FILE#PATH         list a chunked dataset's chunks (offset, address, size,\n"
          "                           filter mask)\n"
          "  dump [-H] [-A] [-d PATH]... FILE\n"
          "                           print structure and values (output identical to\n"
          "                           h5dump); see 'h5kit dump --help'\n"
          "  repack [--latest] [--filter SPEC] [--chunks DIMS] IN OUT\n"
          "                           copy a file with h5kit's writer, changing its format,\n"
          "                           filters or chunks; see 'h5kit repack --help'\n");
}

int main(int argc, char **argv)
{
  if (argc < 2) {
    usage(stderr);
    return CLI_FAIL;
  }
  if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
    usage(stdout);
    return cli_finish_stdout(CLI_OK);
  }
  if (!strcmp(argv[1], "--version")) {
    printf("h5kit %d.%d.%d\n", H5KIT_VERSION_MAJOR, H5KIT_VERSION_MINOR, H5KIT_VERSION_PATCH);
    return cli_finish_stdout(CLI_OK);
  }
  if (!strcmp(argv[1], "ls")) return cmd_ls(argc - 1, argv + 1);
  if (!strcmp(argv[1], "dump")) return cmd_dump(argc - 1, argv + 1);
  if (!strcmp(argv[1], "get")) return cmd_get(argc - 1, argv + 1);
  if (!strcmp(argv[1], "chunks")) return cmd_chunks(argc - 1, argv + 1);
  if (!strcmp(argv[1], "repack")) return cmd_repack(argc - 1, argv + 1);
  cli_error("unknown command '%s' (try 'h5kit --help')", argv[1]);
  return CLI_FAIL;
}
