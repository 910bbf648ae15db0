/* fuzz_tmpl.h: the template target's one input, also driven by tests/unit/test_tmpl_fuzz.c,
 * whose generator feeds it inputs built from a fixed seed on every make check. */
#ifndef STARLING_FUZZ_TMPL_H
#define STARLING_FUZZ_TMPL_H

#include <stddef.h>
#include <stdint.h>

enum fuzz_tmpl_outcome {
	FUZZ_TMPL_REJECTED,	/* did not compile, with a message naming the template */
	FUZZ_TMPL_RENDERED,	/* compiled and rendered */
	FUZZ_TMPL_RENDER_ERROR,	/* compiled; the render failed with a message */
	FUZZ_TMPL_COMPILED,	/* compiled; not rendered, as too costly (see fuzz_tmpl.c) */
};

/* Compiles the size bytes at data as a template and renders it against a fixed context, and
 * aborts when the contract of tmpl.h does not hold. */
enum fuzz_tmpl_outcome fuzz_tmpl_one(const uint8_t *data, size_t size);

#endif
