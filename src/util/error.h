/* Errors as values. Every internal function returns 0 or a negative H5K_E* code (from h5kit.h);
 * the detail is a one-line, per-thread message set once, where the problem is found, and never
 * re-worded on the way up. `corrupt()` is the single funnel for malformed input: put a
 * breakpoint on h5k_err_corrupt to catch every corruption path. */
#ifndef H5K_UTIL_ERROR_H
#define H5K_UTIL_ERROR_H

#include "h5kit.h"

#if defined(__GNUC__)
#define H5K_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define H5K_PRINTF(a, b)
#endif

/* Set the thread's last error to `code` with a printf-style message; returns `code`. */
int h5k_err(int code, const char *fmt, ...) H5K_PRINTF(2, 3);
/* Malformed file content: sets H5K_ECORRUPT; returns H5K_ECORRUPT. */
int h5k_err_corrupt(const char *fmt, ...) H5K_PRINTF(1, 2);
/* Out of memory. */
int h5k_err_nomem(void);
/* Clear the thread's last error. */
void h5k_err_clear(void);

#define corrupt(...) h5k_err_corrupt(__VA_ARGS__)

/* Propagate a negative return code. The expansion is exactly this one line. */
#define TRY(expr)                  \
  do {                             \
    int try_rc_ = (expr);          \
    if (try_rc_ < 0) return try_rc_; \
  } while (0)

#endif
