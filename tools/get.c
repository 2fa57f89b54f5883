/* h5kit get: read (part of) one dataset and write its values as raw little-endian bytes, a .npy
 * file or CSV. Uses only the public API (h5k_dataset_open / h5k_dataset_read / _read_raw); the
 * format facts behind it are the dataset layouts of the File Format Specification IV.A.2.i, read
 * by the library.
 *
 *   h5kit get FILE#PATH [--slice SPEC] [--format raw|npy|csv] [-o OUT|-] [--threads N]
 *
 * FILE#PATH  the file, then '#', then the dataset's path inside it ("data/x" or "/data/x"). When
 *            several '#' appear, the first prefix that names an existing file is the file.
 * --slice    numpy basic slicing, one item per dimension separated by ',': "a:b:s", "a:b", ":",
 *            "::s", or a single index "i" (which removes that dimension from the output shape).
 *            Negative start/stop/index count from the end; out-of-range start/stop are clipped as
 *            numpy clips them; a missing trailing item means ":". Steps must be positive.
 * --format   raw (default): the selected values in C order. Integers and floats are converted to
 *            the little-endian type of the same class, size and sign (what numpy's
 *            astype(dtype.newbyteorder('<')) gives). Other classes (strings, compounds, enums,
 *            bitfields, opaque, arrays, references) are written as the file stores them
 *            (file representation, including its byte order). Variable-length data is refused.
 *            npy: a .npy version 1.0 file: the same bytes after a header whose descr is '<iN',
 *            '<uN', '<fN' ('|i1'/'|u1' for one byte), '|SN' for fixed strings and '|VN' for
 *            every other class; fortran_order False; shape after slicing.
 *            csv: integer and float classes only. Rows are all dimensions but the last one
 *            flattened in C order, columns the last dimension, separated by ','; a scalar (or
 *            fully indexed) selection is one row with one value. Integers print exactly,
 *            doubles with %.17g, floats with %.9g, half floats with %.5g (enough to round-trip).
 * -o OUT     output file; '-' or no -o: standard output.
 * --threads  h5k_open_options.nthreads (0: all cores, the default; 1: no worker threads).
 *
 * Errors print one line "h5kit get: ..." on stderr and exit 1; a partially written output file is
 * removed. */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

enum { FMT_RAW, FMT_NPY, FMT_CSV };

/* Largest selection read at once (bytes). Larger selections are refused rather than swapping. */
#define GET_MAX_BYTES ((uint64_t)1 << 40)

/* "h5kit CMD: MESSAGE" as one line on stderr (control characters become '?'). */
void get_cmd_error(const char *cmd, const char *fmt, ...)
{
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  for (char *p = msg; *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f) *p = '?';
  fflush(stdout);
  fprintf(stderr, "h5kit %s: %s\n", cmd, msg);
}

#define get_error(...) get_cmd_error("get", __VA_ARGS__)

/* ---- FILE#PATH --------------------------------------------------------------------------------- */

/* Split "FILE#PATH" at the first '#' whose prefix is an existing file (else the first '#').
 * *out_file and *out_path are malloc'd; the path gets a leading '/'. */
static int split_hash(char **out_file, char **out_path, const char *arg)
{
  const char *h = strchr(arg, '#'), *pick = NULL;
  *out_file = *out_path = NULL;
  for (; h; h = strchr(h + 1, '#')) {
    char *prefix = strndup(arg, (size_t)(h - arg));
    struct stat st;
    if (!prefix) return H5K_ENOMEM;
    int ok = stat(prefix, &st) == 0 && !S_ISDIR(st.st_mode);
    free(prefix);
    if (!pick) pick = h;
    if (ok) {
      pick = h;
      break;
    }
  }
  if (!pick) return H5K_EINVAL;
  *out_file = strndup(arg, (size_t)(pick - arg));
  const char *p = pick + 1;
  size_t n = strlen(p);
  *out_path = malloc(n + 2);
  if (!*out_file || !*out_path) {
    free(*out_file);
    free(*out_path);
    *out_file = *out_path = NULL;
    return H5K_ENOMEM;
  }
  (*out_path)[0] = '/';
  memcpy(*out_path + (p[0] != '/'), p, n + 1);
  return 0;
}

/* ---- --slice ------------------------------------------------------------------------------------ */

/* Parse a signed decimal integer in [s, e). Returns 0 or -1. */
static int parse_int(int64_t *out, const char *s, const char *e)
{
  int neg = 0;
  uint64_t v = 0;
  while (s < e && *s == ' ') s++;
  while (e > s && e[-1] == ' ') e--;
  if (s < e && (*s == '-' || *s == '+')) neg = *s++ == '-';
  if (s == e) return -1;
  for (; s < e; s++) {
    if (*s < '0' || *s > '9') return -1;
    if (v > (UINT64_C(1) << 62) / 10) return -1;
    v = v * 10 + (uint64_t)(*s - '0');
  }
  *out = neg ? -(int64_t)v : (int64_t)v;
  return 0;
}

static int is_blank(const char *s, const char *e)
{
  for (; s < e; s++)
    if (*s != ' ') return 0;
  return 1;
}

/* numpy's clipping of a slice bound for a positive step. */
static uint64_t clip_bound(int64_t v, uint64_t dim)
{
  if (v < 0) {
    uint64_t a = (uint64_t)(-v);
    return a >= dim ? 0 : dim - a;
  }
  return (uint64_t)v > dim ? dim : (uint64_t)v;
}

/* Turn SPEC into a selection over `sp`. keep[i] is 0 for dimensions a single index removed. */
static int parse_slice(h5k_selection *sel, int *keep, const h5k_dataspace *sp, const char *spec)
{
  unsigned rank = sp->kind == H5K_SPACE_SIMPLE ? sp->rank : 0;
  unsigned d = 0;
  const char *s = spec;
  memset(sel, 0, sizeof *sel);
  sel->rank = rank;
  for (unsigned i = 0; i < rank; i++) {
    sel->start[i] = 0;
    sel->stride[i] = 1;
    sel->count[i] = sp->dims[i];
    sel->block[i] = 1;
    keep[i] = 1;
  }
  if (!spec) return 0;
  if (is_blank(spec, spec + strlen(spec))) return 0;
  for (;;) {
    const char *e = strchr(s, ',');
    if (!e) e = s + strlen(s);
    if (d >= rank) {
      get_error("--slice '%s' has more items than the dataset's %u dimension%s", spec, rank,
                rank == 1 ? "" : "s");
      return H5K_EINVAL;
    }
    uint64_t dim = sp->dims[d];
    const char *c1 = memchr(s, ':', (size_t)(e - s));
    if (!c1) {
      int64_t idx;
      if (parse_int(&idx, s, e) < 0) {
        get_error("--slice item '%.*s' is not an index or a:b:s slice", (int)(e - s), s);
        return H5K_EINVAL;
      }
      int64_t orig = idx;
      if (idx < 0) idx += (int64_t)dim;
      if (idx < 0 || (uint64_t)idx >= dim) {
        get_error("index %" PRId64 " is out of bounds for axis %u with size %" PRIu64, orig, d, dim);
        return H5K_EINVAL;
      }
      sel->start[d] = (uint64_t)idx;
      sel->count[d] = 1;
      keep[d] = 0;
    } else {
      const char *c2 = memchr(c1 + 1, ':', (size_t)(e - c1 - 1));
      const char *stop_end = c2 ? c2 : e;
      int64_t a = 0, b = (int64_t)dim, step = 1;
      int has_a = !is_blank(s, c1), has_b = !is_blank(c1 + 1, stop_end);
      int bad = 0;
      if (has_a && parse_int(&a, s, c1) < 0) bad = 1;
      if (has_b && parse_int(&b, c1 + 1, stop_end) < 0) bad = 1;
      if (c2 && !is_blank(c2 + 1, e) && parse_int(&step, c2 + 1, e) < 0) bad = 1;
      if (c2 && memchr(c2 + 1, ':', (size_t)(e - c2 - 1))) bad = 1;
      if (bad) {
        get_error("--slice item '%.*s' is not an index or a:b:s slice", (int)(e - s), s);
        return H5K_EINVAL;
      }
      if (step < 0) {
        get_error("negative steps are not supported");
        return H5K_EINVAL;
      }
      if (step == 0) {
        get_error("slice step cannot be zero");
        return H5K_EINVAL;
      }
      uint64_t start = has_a ? clip_bound(a, dim) : 0;
      uint64_t stop = has_b ? clip_bound(b, dim) : dim;
      uint64_t count = stop > start ? (stop - start + (uint64_t)step - 1) / (uint64_t)step : 0;
      sel->start[d] = count ? start : 0;
      sel->stride[d] = (uint64_t)step;
      sel->count[d] = count;
    }
    d++;
    if (!*e) break;
    s = e + 1;
  }
  return 0;
}

/* ---- output types ------------------------------------------------------------------------------- */

static int is_numeric(const h5k_datatype *t)
{
  if (t->cls == H5K_CLASS_INTEGER) return t->size == 1 || t->size == 2 || t->size == 4 || t->size == 8;
  if (t->cls == H5K_CLASS_FLOAT) return t->size == 2 || t->size == 4 || t->size == 8;
  return 0;
}

/* A number already stored as the little-endian type of its size: read without conversion. */
static int is_plain_le(const h5k_datatype *t)
{
  return t->big_endian == 0 && t->bit_offset == 0 && t->precision == 8 * t->size;
}

/* numpy descr for the output bytes. */
static void npy_descr(char *buf, size_t size, const h5k_datatype *t)
{
  if (is_numeric(t)) {
    char kind = t->cls == H5K_CLASS_FLOAT ? 'f' : t->is_signed ? 'i' : 'u';
    snprintf(buf, size, "%c%c%u", t->size == 1 ? '|' : '<', kind, (unsigned)t->size);
  } else if (t->cls == H5K_CLASS_STRING) {
    snprintf(buf, size, "|S%" PRIu64, t->size);
  } else {
    snprintf(buf, size, "|V%" PRIu64, t->size);
  }
}

static int write_npy_header(FILE *out, const h5k_datatype *t, const uint64_t *shape, unsigned rank)
{
  char descr[64];
  char hdr[2048];
  size_t n;
  npy_descr(descr, sizeof descr, t);
  n = (size_t)snprintf(hdr, sizeof hdr, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
  for (unsigned i = 0; i < rank; i++)
    n += (size_t)snprintf(hdr + n, sizeof hdr - n, "%" PRIu64 "%s", shape[i],
                          rank == 1 ? "," : i + 1 < rank ? ", " : "");
  n += (size_t)snprintf(hdr + n, sizeof hdr - n, "), }");
  /* Pad with spaces and end with '\n' so that magic(6) + version(2) + len(2) + header is a
   * multiple of 64, as numpy writes it. */
  size_t total = 10 + n + 1;
  size_t pad = (64 - total % 64) % 64;
  memset(hdr + n, ' ', pad);
  n += pad;
  hdr[n++] = '\n';
  unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(n & 0xff),
                           (unsigned char)(n >> 8)};
  if (fwrite(pre, 1, sizeof pre, out) != sizeof pre || fwrite(hdr, 1, n, out) != n) return -1;
  return 0;
}

/* Print n elements of mem type t (native int64/uint64, float or double) as CSV rows of `cols`
 * values; floats with `digits` significant digits. */
static int write_csv(FILE *out, const h5k_datatype *t, int digits, const uint8_t *buf, uint64_t n,
                     uint64_t cols)
{
  for (uint64_t i = 0; i < n; i++) {
    const uint8_t *p = buf + i * t->size;
    if (t->cls == H5K_CLASS_FLOAT) {
      if (t->size == 8) {
        double v;
        memcpy(&v, p, 8);
        fprintf(out, "%.*g", digits, v);
      } else {
        float v; /* floats and half floats were read as float */
        memcpy(&v, p, 4);
        fprintf(out, "%.*g", digits, (double)v);
      }
    } else if (t->is_signed) {
      int64_t v;
      memcpy(&v, p, 8);
      fprintf(out, "%" PRId64, v);
    } else {
      uint64_t v;
      memcpy(&v, p, 8);
      fprintf(out, "%" PRIu64, v);
    }
    putc(cols == 0 || (i + 1) % cols == 0 ? '\n' : ',', out);
  }
  return ferror(out) ? -1 : 0;
}

/* ---- opening FILE#PATH -------------------------------------------------------------------------- */

/* Open the file and the dataset that TARGET ("FILE#PATH") names, with `nthreads` decoding
 * threads. On failure prints "h5kit CMD: ..." and returns a negative code. */
int get_open_target(h5k_file **out_file, h5k_dataset **out_dset, const char *cmd, const char *target,
                    unsigned nthreads)
{
  char *fname = NULL, *path = NULL;
  h5k_file *f = NULL;
  h5k_dataset *d = NULL;
  h5k_open_options opts;
  h5k_addr addr;
  int rc;

  *out_file = NULL;
  *out_dset = NULL;
  rc = split_hash(&fname, &path, target);
  if (rc == H5K_ENOMEM) {
    get_cmd_error(cmd, "out of memory");
    goto done;
  }
  if (rc < 0) {
    get_cmd_error(cmd, "'%s' has no '#': name the dataset as FILE#PATH", target);
    goto done;
  }
  memset(&opts, 0, sizeof opts);
  opts.struct_size = sizeof opts;
  opts.nthreads = nthreads;
  rc = h5k_open(&f, fname, &opts);
  if (rc < 0) {
    get_cmd_error(cmd, "%s: %s", fname, h5k_error_last());
    goto done;
  }
  rc = h5k_resolve(&addr, f, path);
  if (rc < 0) {
    get_cmd_error(cmd, "%s: %s", target, h5k_error_last());
    goto done;
  }
  rc = h5k_dataset_open(&d, f, addr);
  if (rc < 0) {
    h5k_object_info oi;
    if (rc == H5K_EINVAL && h5k_object_get_info(&oi, f, addr) == 0 && oi.type != H5K_OBJ_DATASET)
      get_cmd_error(cmd, "%s: not a dataset (%s)", target,
                oi.type == H5K_OBJ_GROUP ? "a group" : oi.type == H5K_OBJ_DATATYPE ? "a named datatype" : "unknown object");
    else
      get_cmd_error(cmd, "%s: %s", target, h5k_error_last());
    goto done;
  }
  *out_file = f;
  *out_dset = d;
  f = NULL;
done:
  h5k_close(f);
  free(fname);
  free(path);
  return *out_dset ? 0 : rc < 0 ? rc : H5K_EINVAL;
}

/* ---- command ------------------------------------------------------------------------------------ */

static void get_usage(FILE *out)
{
  fprintf(out,
          "usage: h5kit get FILE#PATH [--slice SPEC] [--format raw|npy|csv] [-o OUT|-] [--threads N]\n"
          "Read one dataset (or a numpy-style slice of it) and write its values.\n"
          "\n"
          "  --slice SPEC   numpy basic slicing per dimension, e.g. '::500,10:12,:3' or '5,:'\n"
          "                 (a single index drops that dimension; negative steps unsupported)\n"
          "  --format F     raw (default: values in C order, numbers little-endian), npy, csv\n"
          "  -o OUT         write to OUT ('-': standard output, the default)\n"
          "  --threads N    decoding threads (0: all cores, the default)\n");
}

int cmd_get(int argc, char **argv)
{
  const char *target = NULL, *slice = NULL, *outname = NULL;
  int format = FMT_RAW, status = CLI_FAIL, rc;
  unsigned long nthreads = 0;
  h5k_file *f = NULL;
  h5k_dataset *d = NULL;
  h5k_datatype *mem = NULL;
  uint8_t *buf = NULL;
  FILE *out = NULL;
  int to_stdout = 1;
  h5k_selection sel;
  int keep[H5K_MAX_DIMS];

  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *val = NULL;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      get_usage(stdout);
      return cli_finish_stdout(CLI_OK);
    }
    if (!strcmp(a, "--slice") || !strcmp(a, "--format") || !strcmp(a, "-o") || !strcmp(a, "--threads")) {
      if (i + 1 >= argc) {
        get_error("option '%s' needs a value", a);
        return CLI_FAIL;
      }
      val = argv[++i];
    } else if (!strncmp(a, "--slice=", 8) || !strncmp(a, "--format=", 9) || !strncmp(a, "--threads=", 10)) {
      val = strchr(a, '=') + 1;
    } else if (a[0] == '-' && a[1] != '\0') {
      get_error("unknown option '%s' (try 'h5kit get --help')", a);
      return CLI_FAIL;
    } else {
      if (target) {
        get_error("more than one FILE#PATH given");
        return CLI_FAIL;
      }
      target = a;
      continue;
    }
    if (!strncmp(a, "--slice", 7)) {
      slice = val;
    } else if (!strncmp(a, "--format", 8)) {
      if (!strcmp(val, "raw")) format = FMT_RAW;
      else if (!strcmp(val, "npy")) format = FMT_NPY;
      else if (!strcmp(val, "csv")) format = FMT_CSV;
      else {
        get_error("unknown format '%s' (raw, npy or csv)", val);
        return CLI_FAIL;
      }
    } else if (!strcmp(a, "-o")) {
      outname = val;
    } else {
      char *end;
      errno = 0;
      nthreads = strtoul(val, &end, 10);
      if (errno || end == val || *end || val[0] == '-' || nthreads > 4096) {
        get_error("--threads wants a number from 0 to 4096, not '%s'", val);
        return CLI_FAIL;
      }
    }
  }
  if (!target) {
    get_error("no FILE#PATH given (usage: h5kit get FILE#PATH [--slice SPEC] [--format raw|npy|csv] [-o OUT])");
    return CLI_FAIL;
  }
  if (get_open_target(&f, &d, "get", target, (unsigned)nthreads) < 0) goto done;
  h5k_dataset_info info;
  rc = h5k_dataset_get_info(&info, d);
  if (rc < 0) {
    get_error("%s: %s", target, h5k_error_last());
    goto done;
  }
  const h5k_datatype *ft = info.type;
  if (ft->cls == H5K_CLASS_VLEN) {
    get_error("%s: variable-length data is not supported by get", target);
    goto done;
  }
  if (format == FMT_CSV && !is_numeric(ft)) {
    get_error("%s: csv needs an integer or float dataset", target);
    goto done;
  }
  if (parse_slice(&sel, keep, info.space, slice) < 0) goto done;

  /* Output shape: kept dimensions of the selection. */
  uint64_t shape[H5K_MAX_DIMS];
  unsigned orank = 0;
  uint64_t nelem = info.space->kind == H5K_SPACE_NULL ? 0 : 1;
  for (unsigned i = 0; i < sel.rank; i++) {
    if (keep[i]) shape[orank++] = sel.count[i];
    if (__builtin_mul_overflow(nelem, sel.count[i], &nelem)) {
      get_error("%s: the selection is too large", target);
      goto done;
    }
  }
  if (nelem > 0 && info.space->kind == H5K_SPACE_SIMPLE) {
    uint64_t check;
    rc = h5k_selection_count(&check, d, &sel);
    if (rc < 0) {
      get_error("%s: %s", target, h5k_error_last());
      goto done;
    }
  }

  /* The type the values are delivered in. */
  const h5k_datatype *ot = ft;
  if (format == FMT_CSV) {
    if (ft->cls == H5K_CLASS_FLOAT)
      rc = h5k_datatype_make(&mem, H5K_CLASS_FLOAT, ft->size == 8 ? 8 : 4, 1);
    else
      rc = h5k_datatype_make(&mem, H5K_CLASS_INTEGER, 8, ft->is_signed);
  } else if (is_numeric(ft) && !is_plain_le(ft)) {
    rc = h5k_datatype_make(&mem, ft->cls, ft->size, ft->is_signed);
  } else {
    rc = 0;
  }
  if (rc < 0) {
    get_error("%s: %s", target, h5k_error_last());
    goto done;
  }
  if (mem) ot = mem;

  uint64_t nbytes;
  if (__builtin_mul_overflow(nelem, ot->size, &nbytes) || nbytes > GET_MAX_BYTES || nbytes > SIZE_MAX) {
    get_error("%s: selection of %" PRIu64 " elements is too large to read at once", target, nelem);
    goto done;
  }
  buf = malloc(nbytes ? (size_t)nbytes : 1);
  if (!buf) {
    get_error("out of memory (%" PRIu64 " bytes for the selection)", nbytes);
    goto done;
  }
  if (nelem > 0) {
    const h5k_selection *s = info.space->kind == H5K_SPACE_SIMPLE ? &sel : NULL;
    if (mem)
      rc = h5k_dataset_read(d, s, mem, buf, (size_t)nbytes);
    else
      rc = h5k_dataset_read_raw(d, s, buf, (size_t)nbytes);
    if (rc < 0) {
      get_error("%s: %s", target, h5k_error_last());
      goto done;
    }
  }

  if (outname && strcmp(outname, "-") != 0) {
    out = fopen(outname, "wb");
    if (!out) {
      get_error("cannot write '%s': %s", outname, strerror(errno));
      goto done;
    }
    to_stdout = 0;
  } else {
    out = stdout;
  }
  int werr = 0;
  if (format == FMT_NPY) werr = write_npy_header(out, ot, shape, orank);
  if (!werr && format == FMT_CSV)
    werr = write_csv(out, mem, ft->size == 8 ? 17 : ft->size == 4 ? 9 : 5, buf, nelem,
                     orank ? shape[orank - 1] : 1);
  else if (!werr && nbytes && fwrite(buf, 1, (size_t)nbytes, out) != nbytes)
    werr = 1;
  if (!werr && fflush(out) != 0) werr = 1;
  if (werr || ferror(out)) {
    get_error("error writing %s", to_stdout ? "to standard output" : outname);
    goto done;
  }
  status = CLI_OK;

done:
  if (out && !to_stdout) {
    if (fclose(out) != 0 && status == CLI_OK) {
      get_error("error writing %s", outname);
      status = CLI_FAIL;
    }
    if (status != CLI_OK) unlink(outname);
  }
  free(buf);
  h5k_datatype_free(mem);
  h5k_dataset_close(d);
  h5k_close(f);
  return status;
}
