/* fuzz.h: what every fuzz target shares (docs/security.md, "Fuzzing", says how to run them).
 *
 * A target is one LLVMFuzzerTestOneInput: libFuzzer calls it with generated inputs when
 * tests/fuzz/run.sh builds it with clang, and tests/fuzz/replay.c calls it with every file of its
 * saved corpus under make check. It must accept any bytes, free all it allocates (LeakSanitizer
 * checks), and check the contract of the code it drives with FUZZ_CHECK: a sanitizer report or a
 * failed check is a finding, and both end the process. */
#ifndef STARLING_FUZZ_H
#define STARLING_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* The entry point libFuzzer defines the name of; the one function each target exports. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts with the failed condition when cond is false: libFuzzer then saves the input, and the
 * replay driver's test fails. Not assert(): NDEBUG must not turn the checks off. */
#define FUZZ_CHECK(cond) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__, #cond); \
			abort(); \
		} \
	} while (0)

#endif
