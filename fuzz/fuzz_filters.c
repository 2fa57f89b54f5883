/* Fuzz target: the filter pipeline runner and every built-in filter (filter/filter.h;
 * spec IV.A.2.l "Filter Pipeline Message" for the ids and client data; each codec's own format
 * for the chunk bytes) through h5k_pipeline_decode, as the read engine calls it for one chunk.
 *
 *   offset  size  field
 *   0       1     bits 0-1: number of filters - 1 (modulo 3: 1..3), bits 2-7: filter mask
 *   1       1     element size (the datatype size the filters are told)
 *   2       4     expected unfiltered size (modulo MAX_OUT + 1)
 *   then per filter:
 *           1     filter: index into the built-in list below (modulo its length)
 *           1     flags (bit 0: optional)
 *           1     number of client data values (modulo 25; scale-offset has 20)
 *           4 x n client data values
 *   then    ...   the chunk as stored
 *
 * The expected size is capped at MAX_OUT (1 MiB): a filter whose stored header claims more must
 * refuse or stay within the cap, and the fuzzer's rss limit catches one that allocates what a
 * hostile header asks. The result must be exactly the expected size.
 *
 * Optional restriction for a campaign on chosen codecs: the environment variable
 * FUZZ_FILTER_IDS, a comma-separated list of filter ids (e.g. "32001,4" for Blosc and szip), read
 * once at the first input, replaces the built-in list the filter byte indexes (modulo its length).
 * Ids that are not numbers are ignored; an empty or absent list keeps the built-in one, so a
 * corpus replays identically without it. */
#include <stdlib.h>

#include "filter/filter.h"
#include "fuzz_util.h"

#define MAX_OUT ((size_t)1 << 20)

static const unsigned ids[] = {
  H5K_FILTER_DEFLATE, H5K_FILTER_SHUFFLE, H5K_FILTER_FLETCHER32, H5K_FILTER_SZIP, H5K_FILTER_NBIT,
  H5K_FILTER_SCALEOFFSET, H5K_FILTER_LZF, H5K_FILTER_BLOSC, H5K_FILTER_LZ4, H5K_FILTER_BITSHUFFLE,
  H5K_FILTER_ZSTD,
};
#define NIDS (sizeof ids / sizeof ids[0])

/* The list in use: ids[] or the FUZZ_FILTER_IDS subset (harness state; libFuzzer and replay run
 * one input at a time). */
static const unsigned *use_ids = ids;
static size_t use_nids = NIDS;

static void pick_ids(void) {
  static int done;
  static unsigned env_ids[16];
  const char *s = getenv("FUZZ_FILTER_IDS");
  size_t n = 0;
  if (done) return;
  done = 1;
  while (s && *s && n < sizeof env_ids / sizeof env_ids[0]) {
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (end != s && v <= 65535) env_ids[n++] = (unsigned)v;
    s = (end != s) ? end : s + 1;
    while (*s == ',' || *s == ' ') s++;
  }
  if (n) {
    use_ids = env_ids;
    use_nids = n;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  h5k_filter_desc fd[3];
  uint32_t cd[3][24];
  h5k_filter_set set = {NULL, 0};
  size_t pos = 6, nf, expect, out_len = 0;
  unsigned esize;
  uint32_t mask;
  uint8_t *out = NULL;
  pick_ids();
  if (size < 6) return 0;
  nf = data[0] % 4 % 3 + 1;
  mask = data[0] >> 2;
  esize = data[1];
  expect = ((size_t)data[2] | (size_t)data[3] << 8 | (size_t)data[4] << 16 | (size_t)data[5] << 24) % (MAX_OUT + 1);
  memset(fd, 0, sizeof fd);
  for (size_t i = 0; i < nf; i++) {
    size_t ncd;
    if (size - pos < 3) return 0;
    fd[i].id = use_ids[data[pos] % use_nids];
    fd[i].flags = data[pos + 1] & 1;
    ncd = data[pos + 2] % 25;
    pos += 3;
    if ((size - pos) / 4 < ncd) return 0;
    for (size_t k = 0; k < ncd; k++, pos += 4)
      cd[i][k] = (uint32_t)data[pos] | (uint32_t)data[pos + 1] << 8 | (uint32_t)data[pos + 2] << 16 |
                 (uint32_t)data[pos + 3] << 24;
    fd[i].ncd = ncd;
    fd[i].cd = ncd ? cd[i] : NULL;
    fd[i].name = NULL;
  }
  if (h5k_pipeline_decode(&out, &out_len, &set, fd, nf, mask, data + pos, size - pos, expect, esize) == 0) {
    if (out_len != expect) fz_fail("pipeline output differs from the expected size");
    fz_touch(out, out_len);
    free(out);
  } else if (out) {
    fz_fail("failed pipeline left an output buffer");
  }
  fz_touch_str(h5k_error_last());
  /* The same through the decode-into path the read engine uses: it must agree with the above. */
  {
    uint8_t *dst = malloc(expect ? expect : 1);
    uint8_t *ref = NULL;
    size_t ref_len = 0;
    int a, b;
    if (!dst) return 0;
    a = h5k_pipeline_decode(&ref, &ref_len, &set, fd, nf, mask, data + pos, size - pos, expect, esize);
    b = h5k_pipeline_decode_into(dst, expect, &set, fd, nf, mask, data + pos, size - pos, esize,
                                 (size & 1) ? H5K_INTO_STREAM : 0);
    if ((a == 0) != (b == 0)) fz_fail("decode and decode_into disagree on success");
    if (a == 0 && b == 0 && memcmp(ref, dst, expect) != 0) fz_fail("decode and decode_into disagree on bytes");
    free(ref);
    free(dst);
  }
  return 0;
}
