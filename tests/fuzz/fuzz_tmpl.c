/* fuzz_tmpl.c: the Mustache compiler and renderer (lib/http/tmpl.c) on any template.
 *
 * Each input is compiled as one template. A rejection must come with a message that names the
 * template; a template that compiles is rendered against a fixed context and must render, or
 * fail with a message (an unknown partial, partials nested too deep). A template without "{{"
 * is all text and must render as itself, byte for byte; one without '<', '>' and '&' of its own
 * (so no raw tag, no partial) must render none either, though the context's strings hold them:
 * escaping is the default. ASan and UBSan check the rest.
 * The context holds every JSON type, values that need escaping, a list to loop over and objects
 * to enter; the set holds two partials the inputs may name, "p" and "rec", which recurses until
 * the depth limit stops it. The input itself is added under a name no partial tag can write (a
 * name holds no blank), so it cannot recurse into itself.
 * Templates are written by the project, not by visitors: a template that renders exponentially
 * is a template bug, not an attack. Nested sections over a two-item list cost 2^depth renders,
 * so an input with more than MAX_SECTIONS section sigils is compiled but not rendered, keeping
 * every input fast enough to fuzz. */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "fuzz.h"
#include "fuzz_tmpl.h"
#include "tmpl.h"

#define NAME "fuzzed input"
#define MAX_SECTIONS 12

static const char context_json[] =
	"{\"a\":\"<x>&'\",\"b\":1,\"c\":true,\"d\":null,\"e\":0,\"f\":1.5,\"s\":\"\","
	"\"q\":\"\\\"`=</script>\",\"big\":12345678901234567890,"
	"\"list\":[1,{\"a\":\"in\",\"list\":[]}],\"obj\":{\"a\":\"o\",\"x\":{\"y\":\"deep\"}},"
	"\"x\":{\"y\":\"z\"},\"empty\":[]}";

static struct tmpl_set *set;
static json_object *ctx;

static void
teardown(void)
{
	tmpl_set_free(set);
	json_object_put(ctx);
}

/* The set and the context, made once: libFuzzer runs millions of inputs in one process. */
static void
setup(void)
{
	static const char partial_p[] = "<{{a}}>\n{{#list}}-{{/list}}\n";
	static const char partial_rec[] = "r{{>rec}}";

	if (set != NULL)
		return;
	set = tmpl_set_new();
	ctx = json_tokener_parse(context_json);
	FUZZ_CHECK(ctx != NULL);
	FUZZ_CHECK(tmpl_set_add(set, "p", partial_p, sizeof partial_p - 1, NULL) == 0);
	FUZZ_CHECK(tmpl_set_add(set, "rec", partial_rec, sizeof partial_rec - 1, NULL) == 0);
	atexit(teardown);
}

static bool
has_tags(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i++)
		if (s[i] == '{' && s[i + 1] == '{')
			return true;
	return false;
}

static size_t
count_byte(const char *s, size_t n, char c)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += s[i] == c;
	return k;
}

enum fuzz_tmpl_outcome
fuzz_tmpl_one(const uint8_t *data, size_t size)
{
	const char *src = (const char *)data;
	struct buf out = BUF_INIT, err = BUF_INIT;
	bool plain = !has_tags(src, size);
	enum fuzz_tmpl_outcome rc;

	setup();
	if (tmpl_set_add(set, NAME, src, size, &err) != 0) {
		/* A rejection always says where: "fuzzed input:<line>: ..." or "fuzzed input: ...". */
		FUZZ_CHECK(strncmp(buf_cstr(&err), NAME ":", sizeof NAME) == 0);
		FUZZ_CHECK(!plain);
		rc = FUZZ_TMPL_REJECTED;
		goto out;
	}
	FUZZ_CHECK(err.len == 0);
	if (count_byte(src, size, '#') > MAX_SECTIONS) {
		rc = FUZZ_TMPL_COMPILED;
		goto out;
	}
	if (tmpl_render(set, NAME, ctx, &out, &err) != 0) {
		FUZZ_CHECK(err.len > 0);
		rc = FUZZ_TMPL_RENDER_ERROR;
	} else {
		FUZZ_CHECK(err.len == 0);
		rc = FUZZ_TMPL_RENDERED;
	}
	/* Markup in the output must come from the template: its own text, a raw tag ({{{a}}},
	 * {{&a}}) or a partial ({{>p}} writes '<'). */
	if (rc == FUZZ_TMPL_RENDERED && (memchr(buf_cstr(&out), '<', out.len) != NULL ||
	    memchr(buf_cstr(&out), '>', out.len) != NULL))
		FUZZ_CHECK(memchr(src, '<', size) != NULL || memchr(src, '>', size) != NULL ||
		    memchr(src, '&', size) != NULL || memmem(src, size, "{{{", 3) != NULL);
	if (plain) {
		FUZZ_CHECK(rc == FUZZ_TMPL_RENDERED);
		FUZZ_CHECK(out.len == size && memcmp(buf_cstr(&out), src, size) == 0);
	}
out:
	buf_free(&out);
	buf_free(&err);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	(void)fuzz_tmpl_one(data, size);
	return 0;
}
