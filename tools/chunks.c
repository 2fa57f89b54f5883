/* h5kit chunks: list every allocated chunk of a chunked dataset, in the order of its chunk index
 * (File Format Specification IV.A.2.i, layout message: v1 B-tree, single chunk, implicit, fixed
 * array, extensible array, v2 B-tree indexes; read by the library's h5k_dataset_chunk_iterate).
 *
 *   h5kit chunks FILE#PATH
 *
 * Output (tab-separated), one header line then one line per chunk:
 *
 *   offset<TAB>address<TAB>size<TAB>filter_mask
 *   0,0,0<TAB>4016<TAB>524288<TAB>0x00000000
 *
 *   offset       coordinates of the chunk's first element, one per dimension, ','-separated
 *   address      byte offset of the stored chunk in the file (userblock included, so it can be
 *                read directly with pread; the same value h5py's get_chunk_info().byte_offset gives)
 *   size         stored (filtered) bytes
 *   filter_mask  bit i set: filter i of the pipeline was skipped for this chunk
 *
 * Unallocated chunks are not listed. Errors (not chunked, corrupt index, ...) print one line
 * "h5kit chunks: ..." on stderr and exit 1. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"


typedef struct chunks_run {
  FILE *out;
  uint64_t base; /* userblock size: added to the library's relative addresses */
} chunks_run;

static int print_chunk(void *ud, const h5k_chunk_info *c)
{
  chunks_run *r = ud;
  for (unsigned i = 0; i < c->rank && i < H5K_MAX_DIMS; i++)
    fprintf(r->out, "%s%" PRIu64, i ? "," : "", c->offset[i]);
  fprintf(r->out, "\t%" PRIu64 "\t%" PRIu64 "\t0x%08" PRIx32 "\n", c->addr + r->base, c->size, c->filter_mask);
  return 0;
}

static void chunks_usage(FILE *out)
{
  fprintf(out,
          "usage: h5kit chunks FILE#PATH\n"
          "List the allocated chunks of a chunked dataset, one per line after a header line:\n"
          "  offset (first element, ','-separated)  address (byte offset in the file)\n"
          "  size (stored bytes)  filter_mask (bit i: filter i skipped), tab-separated.\n");
}

int cmd_chunks(int argc, char **argv)
{
  const char *target = NULL;
  h5k_file *f = NULL;
  h5k_dataset *d = NULL;
  h5k_dataset_info info;
  h5k_file_info finfo;
  chunks_run r;
  int rc, status = CLI_FAIL;

  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      chunks_usage(stdout);
      return cli_finish_stdout(CLI_OK);
    }
    if (argv[i][0] == '-' && argv[i][1] != '\0') {
      get_cmd_error("chunks", "unknown option '%s' (try 'h5kit chunks --help')", argv[i]);
      return CLI_FAIL;
    }
    if (target) {
      get_cmd_error("chunks", "more than one FILE#PATH given");
      return CLI_FAIL;
    }
    target = argv[i];
  }
  if (!target) {
    get_cmd_error("chunks", "no FILE#PATH given (usage: h5kit chunks FILE#PATH)");
    return CLI_FAIL;
  }
  if (get_open_target(&f, &d, "chunks", target, 1) < 0) goto done;
  if ((rc = h5k_dataset_get_info(&info, d)) < 0 || (rc = h5k_file_get_info(&finfo, f)) < 0) {
    get_cmd_error("chunks", "%s: %s", target, h5k_error_last());
    goto done;
  }
  if (info.layout != H5K_LAYOUT_CHUNKED) {
    get_cmd_error("chunks", "%s: not a chunked dataset (layout is %s)", target,
              info.layout == H5K_LAYOUT_COMPACT ? "compact"
              : info.layout == H5K_LAYOUT_CONTIGUOUS ? "contiguous"
              : "virtual");
    goto done;
  }
  cli_buffer_stdout();
  r.out = stdout;
  r.base = finfo.userblock_size;
  fputs("offset\taddress\tsize\tfilter_mask\n", stdout);
  rc = h5k_dataset_chunk_iterate(d, print_chunk, &r);
  if (rc < 0) {
    get_cmd_error("chunks", "%s: %s", target, h5k_error_last());
    status = cli_finish_stdout(CLI_FAIL);
    goto done;
  }
  status = cli_finish_stdout(CLI_OK);
done:
  h5k_dataset_close(d);
  h5k_close(f);
  return status;
}
