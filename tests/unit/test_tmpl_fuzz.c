/* test_tmpl_fuzz.c: a deterministic fuzz of the Mustache compiler and renderer (lib/http/tmpl.c).
 *
 * Every parser gets a fuzz run in make check. Inputs are built from a fixed seed, so a failure
 * reproduces on every machine; the iteration count and input sizes are small enough to run in
 * well under a second under ASan. Two kinds of input:
 *   - token soup: runs of pieces rich in braces, sigils, names and newlines, which reach every
 *     syntax error and every standalone-line case;
 *   - mutants: valid templates with a few bytes inserted, deleted or replaced, which reach the
 *     paths just past the syntax checks.
 * Each input goes to the libFuzzer target's fuzz_tmpl_one (tests/fuzz/fuzz_tmpl.c), which
 * compiles and renders it and checks tmpl.h's contract; this generator adds only that every
 * outcome is common, so the inputs test both sides. tests/fuzz/run.sh explores further with
 * libFuzzer, starting from tests/fuzz/corpus/tmpl/ (these seeds and pieces are in it). */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "test.h"

#include "buf.h"
#include "fuzz_tmpl.h"

#define SOUP_ITERATIONS		12000
#define MUTANT_ITERATIONS	8000
/* Enough for a dozen nested sections, few enough that nested {{#list}} over a 2-item list
 * (2^depth renders) stays cheap. */
#define SOUP_MAX_TOKENS		20
#define MUTATIONS_MAX		4

struct piece {
	const char	*s;
	size_t		 n;
};

#define P(lit) { lit, sizeof lit - 1 }

static const struct piece pieces[] = {
	P("{{"), P("}}"), P("{{{"), P("}}}"), P("{"), P("}"), P("#"), P("/"), P("^"), P(">"),
	P("!"), P("&"), P("."), P("="), P("<"), P("$"), P(" "), P("  "), P("\t"), P("\n"),
	P("\r\n"), P("\r"), P("\0"), P("'"), P("\""), P("a"), P("b"), P("list"), P("obj"),
	P("x.y"), P("a..b"), P("p"), P("rec"), P("nope"), P("text"), P("<b>"),
	P("{{a}}"), P("{{{a}}}"), P("{{&a}}"), P("{{.}}"), P("{{x.y}}"), P("{{obj.x.y}}"),
	P("{{#list}}"), P("{{/list}}"), P("{{^list}}"), P("{{#obj}}"), P("{{/obj}}"),
	P("{{#a}}"), P("{{/a}}"), P("{{^a}}"), P("{{#e}}"), P("{{/e}}"), P("{{#.}}"), P("{{/.}}"),
	P("{{>p}}"), P("{{> rec}}"), P("{{>nope}}"), P("{{! note }}"), P("{{!"), P("{{=<% %>=}}"),
};

/* Valid templates, the mutants' parents. */
static const char *const seeds[] = {
	"<ul>\n{{#list}}\n  <li>{{.}} {{a}}</li>\n{{/list}}\n</ul>\n",
	"{{#obj}}{{x.y}}{{/obj}}{{^empty}}none{{/empty}}",
	"  {{>p}}\n{{! comment }}\n{{{a}}} {{&a}}\n",
	"{{#list}}{{#obj}}[{{a}}|{{b}}]{{/obj}}{{/list}}",
	"a\r\n  {{^s}}\r\n  empty\r\n  {{/s}}\r\nb",
	"{{#c}}{{.}}{{/c}}{{#f}}{{.}}{{/f}}{{^e}}{{e}}{{/e}}",
};

/* xorshift64*: tiny, and the same sequence everywhere. */
static uint64_t rng_state = 0x5eed5eed12345678ULL;

static uint32_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545F4914F6CDD1DULL) >> 32);
}

static size_t
rng_below(size_t n)
{
	return n ? rng() % n : 0;
}

static void
make_soup(struct buf *in)
{
	size_t i, count = rng_below(SOUP_MAX_TOKENS + 1);

	for (i = 0; i < count; i++) {
		const struct piece *p = &pieces[rng_below(sizeof pieces / sizeof pieces[0])];

		buf_append(in, p->s, p->n);
	}
}

static void
make_mutant(struct buf *in)
{
	static const char bytes[] = "{}#/^>!&.= \n\r\tab<";
	const char *seed = seeds[rng_below(sizeof seeds / sizeof seeds[0])];
	size_t i, k, m = 1 + rng_below(MUTATIONS_MAX);

	buf_puts(in, seed);
	for (i = 0; i < m; i++) {
		size_t at = rng_below(in->len + 1);
		char c = bytes[rng_below(sizeof bytes - 1)];

		switch (rng_below(3)) {
		case 0:	/* insert */
			buf_putc(in, '\0');
			memmove(in->data + at + 1, in->data + at, in->len - 1 - at);
			in->data[at] = c;
			break;
		case 1:	/* delete */
			if (at < in->len) {
				memmove(in->data + at, in->data + at + 1, in->len - at - 1);
				in->len--;
				in->data[in->len] = '\0';
			}
			break;
		default:	/* replace */
			if (at < in->len)
				in->data[at] = c;
			break;
		}
	}
	/* Also cut it short now and then: unclosed everything. */
	if (rng_below(8) == 0 && in->len > 0) {
		k = rng_below(in->len);
		in->len = k;
		in->data[k] = '\0';
	}
}

static void
test_fuzz(void **state)
{
	struct buf in = BUF_INIT;
	unsigned seen[FUZZ_TMPL_COMPILED + 1] = { 0 };
	int i;

	(void)state;
	for (i = 0; i < SOUP_ITERATIONS + MUTANT_ITERATIONS; i++) {
		buf_reset(&in);
		if (i < SOUP_ITERATIONS)
			make_soup(&in);
		else
			make_mutant(&in);
		seen[fuzz_tmpl_one((const uint8_t *)buf_cstr(&in), in.len)]++;
	}
	print_message("rendered %u, render errors %u, rejected %u, not rendered %u\n",
	    seen[FUZZ_TMPL_RENDERED], seen[FUZZ_TMPL_RENDER_ERROR], seen[FUZZ_TMPL_REJECTED],
	    seen[FUZZ_TMPL_COMPILED]);
	/* A fuzz that only ever hits one side tests little: both must be common. */
	assert_true(seen[FUZZ_TMPL_RENDERED] + seen[FUZZ_TMPL_RENDER_ERROR] > 2000);
	assert_true(seen[FUZZ_TMPL_REJECTED] > 2000);
	assert_true(seen[FUZZ_TMPL_RENDER_ERROR] > 100);
	buf_free(&in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fuzz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
