/* test.h: what every cmocka unit test shares. */
#ifndef STARLING_TEST_H
#define STARLING_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <cmocka.h>

/* The source tree (templates, golden files, example configs): $STARLING_SRCDIR, set by make check;
 * "." when a test is run by hand from the top of the tree. */
static inline const char *
test_srcdir(void)
{
	const char *d = getenv("STARLING_SRCDIR");

	return d && *d ? d : ".";
}

#endif
