/* test_tmpl_fuzz.c: a deterministic fuzz of the Mustache compiler and renderer (lib/tmpl.c).
 *
 * Every parser gets a fuzz run in make check. Inputs are built from a fixed seed, so a failure
 * reproduces on every machine; the iteration count and input sizes are small enough to run in
 * well under a second under ASan. Two kinds of input:
 *   - token soup: runs of pieces rich in braces, sigils, names and newlines, which reach every
 *     syntax error and every standalone-line case;
 *   - mutants: valid templates with a few bytes inserted, deleted or replaced, which reach the
 *     paths just past the syntax checks.
 * Each input is compiled; a failed compile must leave a message naming the template, a good one
 * is rendered against a fixed context and must return 0, or -1 with a message. ASan, UBSan and
 * valgrind do the rest. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "test.h"

#include "buf.h"
#include "tmpl.h"

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

/* The context every render sees: every JSON type, a list to loop over, objects to enter. */
static const char context_json[] =
	"{\"a\":\"<x>&'\",\"b\":1,\"c\":true,\"d\":null,\"e\":0,\"f\":1.5,\"s\":\"\","
	"\"list\":[1,{\"a\":\"in\",\"list\":[]}],\"obj\":{\"a\":\"o\",\"x\":{\"y\":\"deep\"}},"
	"\"x\":{\"y\":\"z\"},\"empty\":[]}";

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

struct tally {
	unsigned	compiled;
	unsigned	rejected;
	unsigned	render_errors;
};

/* True when the input holds no "{{": such a template is all text and must render as itself. */
static int
no_tags(const struct buf *in)
{
	size_t i;

	for (i = 0; i + 1 < in->len; i++)
		if (in->data[i] == '{' && in->data[i + 1] == '{')
			return 0;
	return 1;
}

static void
check_one(struct tmpl_set *set, json_object *ctx, const struct buf *in, struct tally *t)
{
	struct buf out = BUF_INIT, err = BUF_INIT;
	int plain = no_tags(in);

	if (tmpl_set_add(set, "fuzz", in->data ? in->data : "", in->len, &err) != 0) {
		/* A rejection always says where: "fuzz:<line>: ..." or "fuzz: ...". */
		assert_true(err.len > 0);
		assert_int_equal(strncmp(buf_cstr(&err), "fuzz:", 5), 0);
		assert_false(plain);
		t->rejected++;
		goto out;
	}
	t->compiled++;
	buf_reset(&err);
	if (tmpl_render(set, "fuzz", ctx, &out, &err) != 0) {
		assert_true(err.len > 0);
		t->render_errors++;
	} else {
		assert_true(err.len == 0);
	}
	if (plain) {
		assert_int_equal(out.len, in->len);
		assert_memory_equal(buf_cstr(&out), buf_cstr(in), in->len);
	}
out:
	buf_free(&out);
	buf_free(&err);
}

static void
test_fuzz(void **state)
{
	struct tmpl_set *set = tmpl_set_new();
	json_object *ctx = json_tokener_parse(context_json);
	struct buf in = BUF_INIT, err = BUF_INIT;
	struct tally t = { 0, 0, 0 };
	const char *partial_p = "<{{a}}>\n{{#list}}-{{/list}}\n", *partial_rec = "r{{>rec}}";
	int i;

	assert_non_null(ctx);
	/* Partials the inputs name: one plain, one that recurses until the depth limit stops it. */
	assert_int_equal(tmpl_set_add(set, "p", partial_p, strlen(partial_p), &err), 0);
	assert_int_equal(tmpl_set_add(set, "rec", partial_rec, strlen(partial_rec), &err), 0);
	for (i = 0; i < SOUP_ITERATIONS + MUTANT_ITERATIONS; i++) {
		buf_reset(&in);
		if (i < SOUP_ITERATIONS)
			make_soup(&in);
		else
			make_mutant(&in);
		check_one(set, ctx, &in, &t);
	}
	print_message("compiled %u, rejected %u, render errors %u\n", t.compiled, t.rejected,
	    t.render_errors);
	/* A fuzz that only ever hits one side tests little: both must be common. */
	assert_true(t.compiled > 2000);
	assert_true(t.rejected > 2000);
	assert_true(t.render_errors > 100);
	json_object_put(ctx);
	buf_free(&in);
	buf_free(&err);
	tmpl_set_free(set);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fuzz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
