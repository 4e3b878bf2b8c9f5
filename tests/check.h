/* check.h: the tests' assertion.  CHECK(cond, fmt, ...) counts a failure
 * and prints file:line and the message, then the test goes on, so that one
 * run reports every failing case; main() returns non-zero if `failures`. */
#ifndef MQ_TEST_CHECK_H
#define MQ_TEST_CHECK_H

#include <stdio.h>

static int failures;

#define CHECK(c, ...)                                                                   \
	do {                                                                                \
		if (!(c)) {                                                                     \
			failures++;                                                                 \
			fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                             \
			fprintf(stderr, __VA_ARGS__);                                               \
			fputc('\n', stderr);                                                        \
		}                                                                               \
	} while (0)

#endif
