/* Minimal test harness for unit tests: CHECK records a failure and continues; main returns
 * test_finish() which prints a summary and gives the exit status. */
#ifndef H5K_TESTUTIL_H
#define H5K_TESTUTIL_H
#include <stdio.h>

extern int test_failures;
extern int test_checks;

#define CHECK(cond)                                                         \
  do {                                                                      \
    test_checks++;                                                          \
    if (!(cond)) {                                                          \
      test_failures++;                                                      \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                       \
  } while (0)

#define CHECK_EQ_U(a, b)                                                    \
  do {                                                                      \
    unsigned long long check_a_ = (unsigned long long)(a), check_b_ = (unsigned long long)(b); \
    test_checks++;                                                          \
    if (check_a_ != check_b_) {                                             \
      test_failures++;                                                      \
      fprintf(stderr, "%s:%d: %s == %s failed: %llu != %llu\n", __FILE__, __LINE__, #a, #b, \
              check_a_, check_b_);                                          \
    }                                                                       \
  } while (0)

int test_finish(const char *name);

#endif
