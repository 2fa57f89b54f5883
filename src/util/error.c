/* Per-thread last error message (see error.h). */
#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char last_msg[512];
static _Thread_local int last_code;

static int vset(int code, const char *fmt, va_list ap) {
  last_code = code;
  vsnprintf(last_msg, sizeof last_msg, fmt, ap);
  return code;
}

int h5k_err(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vset(code, fmt, ap);
  va_end(ap);
  return code;
}

int h5k_err_corrupt(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vset(H5K_ECORRUPT, fmt, ap);
  va_end(ap);
  return H5K_ECORRUPT;
}

int h5k_err_nomem(void) { return h5k_err(H5K_ENOMEM, "out of memory"); }

void h5k_err_clear(void) {
  last_code = 0;
  last_msg[0] = 0;
}

const char *h5k_error_last(void) { return last_msg[0] ? last_msg : "no error"; }
int h5k_error_code(void) { return last_code; }

const char *h5k_strerror(int code) {
  switch (code) {
  case H5K_OK: return "success";
  case H5K_EIO: return "I/O error";
  case H5K_ECORRUPT: return "file is corrupt";
  case H5K_ENOMEM: return "out of memory";
  case H5K_ENOTFOUND: return "not found";
  case H5K_EINVAL: return "invalid argument";
  case H5K_EUNSUPPORTED: return "unsupported feature";
  case H5K_ELIMIT: return "limit exceeded";
  case H5K_ENOTHDF5: return "not an HDF5 file";
  default: return "unknown error";
  }
}
