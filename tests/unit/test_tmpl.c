/* test_tmpl.c: unit tests for lib/http/tmpl.c, the Mustache engine every HTML page goes through.
 *
 * Tables, one row per case with its __LINE__ so a failure points at its row: features, escaping,
 * lookups, standalone lines, cases taken from the Mustache spec (named as in its YAML files),
 * every syntax error, render errors. Then loading real directories, and the golden files under
 * tests/golden/tmpl/, which are whole pages compared byte for byte. */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "test.h"

#include "buf.h"
#include "tmpl.h"
#include "xalloc.h"

struct pdef {
	const char	*name;
	const char	*src;
};

struct render_case {
	int		 line;
	const char	*tmpl;		/* compiled as "t" */
	const char	*data;		/* JSON; NULL renders with no context */
	const char	*want;
};

/* The same, with up to three more templates for {{>name}} to find. */
struct partial_case {
	int		 line;
	const char	*tmpl;
	const char	*data;
	const char	*want;
	struct pdef	 partials[3];
};

struct error_case {
	int		 line;
	const char	*tmpl;		/* compiled as "t" */
	const char	*want;		/* the whole message */
};

static json_object *
parse_json(int line, const char *s)
{
	json_object *o;

	if (s == NULL)
		return NULL;
	o = json_tokener_parse(s);
	if (o == NULL)
		fail_msg("line %d: bad JSON in the test table: %s", line, s);
	return o;
}

static void
run_one(int line, const char *tmpl, const char *json, const char *want, const struct pdef *parts,
    size_t nparts)
{
	struct tmpl_set *set = tmpl_set_new();
	struct buf out = BUF_INIT, err = BUF_INIT;
	json_object *data = parse_json(line, json);
	size_t k;

	for (k = 0; k < nparts && parts[k].name != NULL; k++)
		if (tmpl_set_add(set, parts[k].name, parts[k].src, strlen(parts[k].src), &err) != 0)
			fail_msg("line %d: partial: %s", line, buf_cstr(&err));
	if (tmpl_set_add(set, "t", tmpl, strlen(tmpl), &err) != 0)
		fail_msg("line %d: compile: %s", line, buf_cstr(&err));
	if (tmpl_render(set, "t", data, &out, &err) != 0)
		fail_msg("line %d: render: %s", line, buf_cstr(&err));
	if (out.len != strlen(want) || memcmp(buf_cstr(&out), want, out.len) != 0)
		fail_msg("line %d: got \"%s\", want \"%s\"", line, buf_cstr(&out), want);
	json_object_put(data);
	buf_free(&out);
	buf_free(&err);
	tmpl_set_free(set);
}

static void
run_render_cases(const struct render_case *cases, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		run_one(cases[i].line, cases[i].tmpl, cases[i].data, cases[i].want, NULL, 0);
}

static void
run_partial_cases(const struct partial_case *cases, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		run_one(cases[i].line, cases[i].tmpl, cases[i].data, cases[i].want,
		    cases[i].partials, 3);
}

#define RUN(cases) run_render_cases(cases, sizeof cases / sizeof cases[0])
#define RUN_PARTIALS(cases) run_partial_cases(cases, sizeof cases / sizeof cases[0])

/* ----------------------------------------------------------------------------------------------
 * Interpolation and escaping */

static const struct render_case interpolation_cases[] = {
	{ __LINE__, "", NULL, "" },
	{ __LINE__, "plain text, no tags\n", NULL, "plain text, no tags\n" },
	{ __LINE__, "Hello, {{name}}!", "{\"name\":\"world\"}", "Hello, world!" },
	{ __LINE__, "{{ name }}|{{name }}|{{\tname}}", "{\"name\":\"x\"}", "x|x|x" },
	{ __LINE__, "{{a}}{{b}}{{a}}", "{\"a\":\"1\",\"b\":\"2\"}", "121" },
	/* Hostile values come out escaped: the whole point of {{name}}. */
	{ __LINE__, "<p>{{body}}</p>", "{\"body\":\"<script>alert('x')</script>\"}",
	    "<p>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</p>" },
	{ __LINE__, "<a title=\"{{t}}\">", "{\"t\":\"\\\" onmouseover=\\\"evil()\"}",
	    "<a title=\"&quot; onmouseover&#61;&quot;evil()\">" },
	{ __LINE__, "<a title='{{t}}'>", "{\"t\":\"' onclick='x\"}",
	    "<a title='&#39; onclick&#61;&#39;x'>" },
	{ __LINE__, "{{t}}", "{\"t\":\"AT&T &amp; co\"}", "AT&amp;T &amp;amp; co" },
	{ __LINE__, "{{t}}", "{\"t\":\"a=b`c`\"}", "a&#61;b&#96;c&#96;" },
	{ __LINE__, "{{t}}", "{\"t\":\"&<>\\\"'`=\"}", "&amp;&lt;&gt;&quot;&#39;&#96;&#61;" },
	{ __LINE__, "{{t}}", "{\"t\":\"caf\\u00e9 \\u4f60\\u597d\"}", "caf\xc3\xa9 \xe4\xbd\xa0\xe5\xa5\xbd" },
	/* Raw insertion, both spellings. */
	{ __LINE__, "{{{t}}}", "{\"t\":\"<b>&'\\\"</b>\"}", "<b>&'\"</b>" },
	{ __LINE__, "{{&t}}", "{\"t\":\"<b>&'\\\"</b>\"}", "<b>&'\"</b>" },
	{ __LINE__, "{{{ t }}}|{{& t }}", "{\"t\":\"<\"}", "<|<" },
	{ __LINE__, "{{{t}}}}", "{\"t\":\"x\"}", "x}" },
	/* Scalars: ints in decimal, doubles as json-c prints them, booleans by name. */
	{ __LINE__, "{{i}} {{n}} {{z}}", "{\"i\":42,\"n\":-7,\"z\":0}", "42 -7 0" },
	{ __LINE__, "{{u}}", "{\"u\":18446744073709551615}", "18446744073709551615" },
	{ __LINE__, "{{d}} {{e}}", "{\"d\":1.5,\"e\":-0.25}", "1.5 -0.25" },
	{ __LINE__, "{{t}} {{f}}", "{\"t\":true,\"f\":false}", "true false" },
	{ __LINE__, "[{{n}}]", "{\"n\":null}", "[]" },
	{ __LINE__, "[{{missing}}]", "{}", "[]" },
	{ __LINE__, "[{{missing}}]", NULL, "[]" },
	/* Objects and arrays print nothing rather than leak their fields into the page. */
	{ __LINE__, "[{{o}}{{{o}}}{{a}}]", "{\"o\":{\"email\":\"x@y\"},\"a\":[1,2]}", "[]" },
	/* Braces that are not tags are text. */
	{ __LINE__, "a { b } c }} d {x} }{", NULL, "a { b } c }} d {x} }{" },
	{ __LINE__, "trailing {", NULL, "trailing {" },
	{ __LINE__, "{{.}}", "\"<top>\"", "&lt;top&gt;" },
	{ __LINE__, "{{.}}", "12", "12" },
	{ __LINE__, "[{{.}}]", NULL, "[]" },
};

static void
test_interpolation(void **state)
{
	RUN(interpolation_cases);
}

static void
test_escape_html(void **state)
{
	struct buf b = BUF_INIT;

	tmpl_escape_html(&b, "", 0);
	assert_string_equal(buf_cstr(&b), "");
	tmpl_escape_html(&b, "plain", 5);
	assert_string_equal(buf_cstr(&b), "plain");
	tmpl_escape_html(&b, "<&>", 3);
	assert_string_equal(buf_cstr(&b), "plain&lt;&amp;&gt;");
	buf_reset(&b);
	/* Lengths, not NULs, bound the input. */
	tmpl_escape_html(&b, "a\0<", 3);
	assert_int_equal(b.len, 6);
	assert_memory_equal(b.data, "a\0&lt;", 6);
	buf_free(&b);
}

/* ----------------------------------------------------------------------------------------------
 * Names: dotted, the context stack */

static const struct render_case name_cases[] = {
	{ __LINE__, "{{a.b.c}}", "{\"a\":{\"b\":{\"c\":\"deep\"}}}", "deep" },
	/* Into missing parents and through non-objects: nothing, no crash. */
	{ __LINE__, "[{{a.b.c}}]", "{}", "[]" },
	{ __LINE__, "[{{a.b.c}}]", "{\"a\":null}", "[]" },
	{ __LINE__, "[{{a.b.c}}]", "{\"a\":{\"b\":7}}", "[]" },
	{ __LINE__, "[{{a.b.c}}]", "{\"a\":\"str\"}", "[]" },
	{ __LINE__, "[{{a.b}}]", "{\"a\":[{\"b\":1}]}", "[]" },
	{ __LINE__, "[{{#a.b}}x{{/a.b}}]", "{\"a\":1}", "[]" },
	{ __LINE__, "[{{^a.b.c}}none{{/a.b.c}}]", "{}", "[none]" },
	/* Lookups climb the stack, innermost first. */
	{ __LINE__, "{{#posts}}{{title}} on {{site}}; {{/posts}}",
	    "{\"site\":\"Starling\",\"posts\":[{\"title\":\"a\"},{\"title\":\"b\"}]}",
	    "a on Starling; b on Starling; " },
	{ __LINE__, "{{#u}}{{name}}{{/u}} {{name}}", "{\"name\":\"outer\",\"u\":{\"name\":\"inner\"}}",
	    "inner outer" },
	{ __LINE__, "{{#a}}{{#b}}{{#c}}{{x}}{{y}}{{z}}{{/c}}{{/b}}{{/a}}",
	    "{\"x\":1,\"a\":{\"y\":2,\"b\":{\"z\":3,\"c\":true}}}", "123" },
	/* A key present with null shadows the outer one. */
	{ __LINE__, "{{#u}}[{{name}}]{{/u}}", "{\"name\":\"outer\",\"u\":{\"name\":null}}", "[]" },
	/* A null item in a list hides nothing. */
	{ __LINE__, "{{#l}}[{{.}}{{n}}]{{/l}}", "{\"n\":\"R\",\"l\":[null,{\"n\":1}]}", "[R][1]" },
	/* Only the first part climbs; a broken chain does not fall back outwards. */
	{ __LINE__, "{{#x}}[{{a.b}}]{{/x}}", "{\"a\":{\"b\":\"outer\"},\"x\":{\"a\":{}}}", "[]" },
	{ __LINE__, "{{#x}}[{{a.b}}]{{/x}}", "{\"a\":{\"b\":\"outer\"},\"x\":{}}", "[outer]" },
	{ __LINE__, "{{#a.b}}{{c}}{{/a.b}}", "{\"a\":{\"b\":{\"c\":\"in\"}}}", "in" },
};

static void
test_names(void **state)
{
	RUN(name_cases);
}

/* ----------------------------------------------------------------------------------------------
 * Sections and inverted sections */

static const struct render_case section_cases[] = {
	/* Falsy: missing, null, false, "", 0, 0.0, []. */
	{ __LINE__, "[{{#x}}y{{/x}}]", "{}", "[]" },
	{ __LINE__, "[{{#x}}y{{/x}}]", "{\"x\":null}", "[]" },
	{ __LINE__, "[{{#x}}y{{/x}}]", "{\"x\":false}", "[]" },
	{ __LINE__, "[{{#x}}y{{/x}}]", "{\"x\":\"\"}", "[]" },
	{ __LINE__, "[{{#x}}y{{/x}}]", "{\"x\":0}", "[]" },
	{ __LINE__, "[{{#x}}y{{/x}}]", "{\"x\":0.0}", "[]" },
	{ __LINE__, "[{{#x}}y{{/x}}]", "{\"x\":-0.0}", "[]" },
	{ __LINE__, "[{{#x}}y{{/x}}]", "{\"x\":[]}", "[]" },
	/* Truthy: {} (as in JavaScript), "0", " ", numbers but zero, true, [0]. */
	{ __LINE__, "[{{#x}}y{{/x}}]", "{\"x\":{}}", "[y]" },
	{ __LINE__, "[{{#x}}y{{/x}}]", "{\"x\":\"0\"}", "[y]" },
	{ __LINE__, "[{{#x}}y{{/x}}]", "{\"x\":\" \"}", "[y]" },
	{ __LINE__, "[{{#x}}y{{/x}}]", "{\"x\":-1}", "[y]" },
	{ __LINE__, "[{{#x}}y{{/x}}]", "{\"x\":0.001}", "[y]" },
	{ __LINE__, "[{{#x}}y{{/x}}]", "{\"x\":18446744073709551615}", "[y]" },
	{ __LINE__, "[{{#x}}y{{/x}}]", "{\"x\":true}", "[y]" },
	{ __LINE__, "[{{#x}}y{{/x}}]", "{\"x\":[0]}", "[y]" },
	/* Inverted: exactly the complement. */
	{ __LINE__, "[{{^x}}y{{/x}}]", "{}", "[y]" },
	{ __LINE__, "[{{^x}}y{{/x}}]", "{\"x\":null}", "[y]" },
	{ __LINE__, "[{{^x}}y{{/x}}]", "{\"x\":false}", "[y]" },
	{ __LINE__, "[{{^x}}y{{/x}}]", "{\"x\":\"\"}", "[y]" },
	{ __LINE__, "[{{^x}}y{{/x}}]", "{\"x\":0}", "[y]" },
	{ __LINE__, "[{{^x}}y{{/x}}]", "{\"x\":0.0}", "[y]" },
	{ __LINE__, "[{{^x}}y{{/x}}]", "{\"x\":[]}", "[y]" },
	{ __LINE__, "[{{^x}}y{{/x}}]", "{\"x\":{}}", "[]" },
	{ __LINE__, "[{{^x}}y{{/x}}]", "{\"x\":1}", "[]" },
	{ __LINE__, "[{{^x}}y{{/x}}]", NULL, "[y]" },
	/* A truthy scalar is pushed, so {{.}} prints it. */
	{ __LINE__, "{{#n}}[{{.}}]{{/n}}", "{\"n\":5}", "[5]" },
	{ __LINE__, "{{#s}}[{{.}}]{{/s}}", "{\"s\":\"<x>\"}", "[&lt;x&gt;]" },
	/* Lists of objects, nested lists, the empty state. */
	{ __LINE__, "<ul>{{#posts}}<li>{{author.name}}: {{text}}</li>{{/posts}}</ul>",
	    "{\"posts\":[{\"author\":{\"name\":\"ann\"},\"text\":\"hi\"},"
	    "{\"author\":{\"name\":\"bob\"},\"text\":\"<b>yo</b>\"}]}",
	    "<ul><li>ann: hi</li><li>bob: &lt;b&gt;yo&lt;/b&gt;</li></ul>" },
	{ __LINE__, "{{#rows}}({{#cols}}{{.}}{{/cols}}){{/rows}}",
	    "{\"rows\":[{\"cols\":[1,2]},{\"cols\":[]},{\"cols\":[3]}]}", "(12)()(3)" },
	{ __LINE__, "{{#posts}}<p>{{text}}</p>{{/posts}}{{^posts}}<p>No posts yet.</p>{{/posts}}",
	    "{\"posts\":[]}", "<p>No posts yet.</p>" },
	{ __LINE__, "{{#a}}{{#a}}{{#a}}x{{/a}}{{/a}}{{/a}}", "{\"a\":[1,2]}", "xxxxxxxx" },
	{ __LINE__, "{{#a}}{{^b}}!{{/b}}{{/a}}", "{\"a\":[{\"b\":1},{},{\"b\":0}]}", "!!" },
	/* An object section enters it once. */
	{ __LINE__, "{{#u}}{{id}}/{{name}}{{/u}}", "{\"u\":{\"id\":3,\"name\":\"c\"}}", "3/c" },
	{ __LINE__, "{{# u }}{{id}}{{/ u }}", "{\"u\":{\"id\":3}}", "3" },
	{ __LINE__, "{{#.}}{{.}},{{/.}}", "[\"a\",\"b\"]", "a,b," },
	/* Comments vanish, whatever they hold. */
	{ __LINE__, "a{{! x }}b{{!}}c{{! {{ not a tag }}d", NULL, "abcd" },
	{ __LINE__, "a{{!\nmulti\nline\n}}b", NULL, "ab" },
};

static void
test_sections(void **state)
{
	RUN(section_cases);
}

/* ----------------------------------------------------------------------------------------------
 * Partials */

static const struct partial_case partial_cases[] = {
	{ __LINE__, "<html>{{> partials/header}}<main>{{body}}</main></html>", "{\"title\":\"<T>\",\"body\":\"b\"}",
	    "<html><head><title>&lt;T&gt;</title></head><main>b</main></html>",
	    { { "partials/header", "<head><title>{{title}}</title></head>" } } },
	/* The partial sees the context stack of the place it is called from. */
	{ __LINE__, "{{#posts}}{{>post}}{{/posts}}",
	    "{\"me\":\"ann\",\"posts\":[{\"t\":\"a\"},{\"t\":\"b\"}]}", "[a by ann][b by ann]",
	    { { "post", "[{{t}} by {{me}}]" } } },
	/* Terminating recursion: a thread of replies. Leaves need their empty "replies": a missing
	 * one would be found further up the stack, and the recursion would not end. */
	{ __LINE__, "{{>node}}",
	    "{\"t\":\"1\",\"replies\":[{\"t\":\"1.1\",\"replies\":[{\"t\":\"1.1.1\","
	    "\"replies\":[]}]},{\"t\":\"1.2\",\"replies\":[]}]}",
	    "(1(1.1(1.1.1))(1.2))",
	    { { "node", "({{t}}{{#replies}}{{>node}}{{/replies}})" } } },
	{ __LINE__, "{{>a}}", NULL, "a[b[c]]",
	    { { "a", "a[{{>b}}]" }, { "b", "b[{{>c}}]" }, { "c", "c" } } },
};

/* Standalone partials indent every line of theirs; nested ones get both indentations. */
static const struct partial_case indent_cases[] = {
	{ __LINE__, "<ul>\n  {{>items}}\n</ul>\n", "{\"l\":[1,2]}",
	    "<ul>\n  <li>1</li>\n  <li>2</li>\n</ul>\n",
	    { { "items", "{{#l}}\n<li>{{.}}</li>\n{{/l}}\n" } } },
	{ __LINE__, "<div>\n  {{>outer}}\n</div>\n", "{\"x\":\"X\"}",
	    "<div>\n  <section>\n    <p>X</p>\n    <p>X</p>\n  </section>\n</div>\n",
	    { { "outer", "<section>\n  {{>inner}}\n</section>\n" },
	      { "inner", "<p>{{x}}</p>\n<p>{{x}}</p>\n" } } },
	/* Values with newlines are not indented: only the partial's own lines are. */
	{ __LINE__, "  {{>p}}\n", "{\"v\":\"a\\nb\"}", "  [a\nb]\n  end\n",
	    { { "p", "[{{v}}]\nend\n" } } },
	/* An inline partial is not indented. */
	{ __LINE__, "  x {{>p}}\n", NULL, "  x a\nb\n", { { "p", "a\nb" } } },
	/* A line starting with a comment or a close tag still gets its indentation. */
	{ __LINE__, "  {{>p}}\n", "{\"s\":true}", "  a\n  b\n  c\n",
	    { { "p", "a\n{{!c}}b\n{{#s}}c\n{{/s}}" } } },
	{ __LINE__, "  {{>p}}\n", "{\"a\":\"x\"}", "  x\n  x\n",
	    { { "p", "{{!c}}{{a}}\n{{!c}}{{a}}\n" } } },
	{ __LINE__, "  {{>p}}\n", "{\"s\":true}", "  {\n  }x\n",
	    { { "p", "{{#s}}{\n{{/s}}}x\n" } } },
};

static void
test_partials(void **state)
{
	RUN_PARTIALS(partial_cases);
	RUN_PARTIALS(indent_cases);
}

/* ----------------------------------------------------------------------------------------------
 * Standalone lines */

static const struct render_case standalone_cases[] = {
	{ __LINE__, "<ul>\n{{#l}}\n  <li>{{.}}</li>\n{{/l}}\n</ul>\n", "{\"l\":[\"a\",\"b\"]}",
	    "<ul>\n  <li>a</li>\n  <li>b</li>\n</ul>\n" },
	{ __LINE__, "<ul>\n  {{#l}}\n  <li>{{.}}</li>\n  {{/l}}\n</ul>\n", "{\"l\":[\"a\"]}",
	    "<ul>\n  <li>a</li>\n</ul>\n" },
	{ __LINE__, "a\n\t {{^l}} \t\nempty\n {{/l}}\nb\n", "{\"l\":[]}", "a\nempty\nb\n" },
	{ __LINE__, "a\n{{! note }}\nb\n", NULL, "a\nb\n" },
	{ __LINE__, "a\r\n{{#t}}\r\nb\r\n{{/t}}\r\nc", "{\"t\":1}", "a\r\nb\r\nc" },
	/* Not standalone: something else shares the line. */
	{ __LINE__, "a\n{{#t}}x\n{{/t}}\n", "{\"t\":1}", "a\nx\n" },
	{ __LINE__, "a\n {{#t}} x\n{{/t}}", "{\"t\":1}", "a\n  x\n" },
	{ __LINE__, "{{#t}}{{/t}}\n", "{\"t\":1}", "\n" },
	{ __LINE__, "{{x}}\n{{#t}}\n{{/t}}", "{\"t\":1,\"x\":\"v\"}", "v\n" },
	{ __LINE__, "  {{x}}\n", "{\"x\":\"v\"}", "  v\n" },
	/* A comment or close tag that starts a line shared with more leaves an empty node with no
	 * text (NULL) for the indentation: rendered as nothing, at the start and further down. */
	{ __LINE__, "{{!c}}{{a}}", "{\"a\":\"x\"}", "x" },
	{ __LINE__, "{{!c}}{{a}}\n{{! d }}{{a}}!\n", "{\"a\":\"x\"}", "x\nx!\n" },
	{ __LINE__, "{{#t}}a\n{{/t}}{{a}}", "{\"t\":1,\"a\":\"x\"}", "a\nx" },
	/* A lone close at the very end, no newline after it. */
	{ __LINE__, "{{#t}}\nx\n  {{/t}}", "{\"t\":1}", "x\n" },
};

static void
test_standalone(void **state)
{
	RUN(standalone_cases);
}

/* ----------------------------------------------------------------------------------------------
 * Cases from the Mustache spec (github.com/mustache/spec, the YAML files under specs/), named as there. Left out:
 * "Failed Lookup" of a partial (an error here, see render_error_cases), decimals written with
 * trailing zeros (json-c prints them as written), lambdas and delimiters (unsupported). */

static const struct render_case spec_cases[] = {
	/* interpolation.yml */
	{ __LINE__, "Hello from {Mustache}!\n", "{}", "Hello from {Mustache}!\n" },	/* No Interpolation */
	{ __LINE__, "Hello, {{subject}}!\n", "{\"subject\":\"world\"}", "Hello, world!\n" },
	{ __LINE__, "These characters should be HTML escaped: {{forbidden}}\n",	/* HTML Escaping */
	    "{\"forbidden\":\"& \\\" < >\"}",
	    "These characters should be HTML escaped: &amp; &quot; &lt; &gt;\n" },
	{ __LINE__, "These characters should not be HTML escaped: {{{forbidden}}}\n",
	    "{\"forbidden\":\"& \\\" < >\"}",
	    "These characters should not be HTML escaped: & \" < >\n" },
	{ __LINE__, "These characters should not be HTML escaped: {{&forbidden}}\n",
	    "{\"forbidden\":\"& \\\" < >\"}",
	    "These characters should not be HTML escaped: & \" < >\n" },
	{ __LINE__, "\"{{mph}} miles an hour!\"", "{\"mph\":85}", "\"85 miles an hour!\"" },
	{ __LINE__, "\"{{power}} jiggawatts!\"", "{\"power\":1.21}", "\"1.21 jiggawatts!\"" },
	{ __LINE__, "I ({{cannot}}) be seen!", "{\"cannot\":null}", "I () be seen!" },
	{ __LINE__, "I ({{cannot}}) be seen!", "{}", "I () be seen!" },
	{ __LINE__, "\"{{person.name}}\" == \"{{#person}}{{name}}{{/person}}\"",
	    "{\"person\":{\"name\":\"Joe\"}}", "\"Joe\" == \"Joe\"" },
	{ __LINE__, "\"{{a.b.c.d.e.name}}\" == \"Phil\"",	/* Dotted Names - Arbitrary Depth */
	    "{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"name\":\"Phil\"}}}}}}", "\"Phil\" == \"Phil\"" },
	{ __LINE__, "\"{{a.b.c}}\" == \"\"", "{\"a\":{}}", "\"\" == \"\"" },	/* Broken Chains */
	{ __LINE__, "\"{{a.b.c.name}}\" == \"\"",	/* Broken Chain Resolution */
	    "{\"a\":{\"b\":{}},\"c\":{\"name\":\"Jim\"}}", "\"\" == \"\"" },
	{ __LINE__, "\"{{#a}}{{b.c.d.e.name}}{{/a}}\" == \"Phil\"",	/* Initial Resolution */
	    "{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"name\":\"Phil\"}}}}},"
	    "\"b\":{\"c\":{\"d\":{\"e\":{\"name\":\"Wrong\"}}}}}", "\"Phil\" == \"Phil\"" },
	{ __LINE__, "{{#a}}{{b.c}}{{/a}}",	/* Context Precedence */
	    "{\"a\":{\"b\":{}},\"b\":{\"c\":\"ERROR\"}}", "" },
	{ __LINE__, "Hello, {{.}}!\n", "\"world\"", "Hello, world!\n" },	/* Implicit Iterators */
	{ __LINE__, "| {{string}} |", "{\"string\":\"---\"}", "| --- |" },
	{ __LINE__, "  {{string}}\n", "{\"string\":\"---\"}", "  ---\n" },
	{ __LINE__, "|{{ string }}|", "{\"string\":\"---\"}", "|---|" },

	/* sections.yml */
	{ __LINE__, "\"{{#boolean}}This should be rendered.{{/boolean}}\"", "{\"boolean\":true}",
	    "\"This should be rendered.\"" },
	{ __LINE__, "\"{{#boolean}}This should not be rendered.{{/boolean}}\"",
	    "{\"boolean\":false}", "\"\"" },
	{ __LINE__, "\"{{#null}}This should not be rendered.{{/null}}\"", "{\"null\":null}", "\"\"" },
	{ __LINE__, "\"{{#context}}Hi {{name}}.{{/context}}\"", "{\"context\":{\"name\":\"Joe\"}}",
	    "\"Hi Joe.\"" },
	{ __LINE__, "\"{{#sec}}{{a}}, {{b}}, {{c.d}}{{/sec}}\"",	/* Parent contexts */
	    "{\"a\":\"foo\",\"b\":\"wrong\",\"sec\":{\"b\":\"bar\"},\"c\":{\"d\":\"baz\"}}",
	    "\"foo, bar, baz\"" },
	{ __LINE__, "\"{{#foo}}{{.}} is {{foo}}{{/foo}}\"", "{\"foo\":\"bar\"}", "\"bar is bar\"" },
	{ __LINE__, "{{#tops}}{{#middles}}{{tname.lower}}{{mname}}.{{#bottoms}}{{tname.upper}}"
	    "{{mname}}{{bname}}.{{/bottoms}}{{/middles}}{{/tops}}",	/* List Context */
	    "{\"tops\":[{\"tname\":{\"upper\":\"A\",\"lower\":\"a\"},\"middles\":[{\"mname\":\"1\","
	    "\"bottoms\":[{\"bname\":\"x\"},{\"bname\":\"y\"}]}]}]}", "a1.A1x.A1y." },
	{ __LINE__, "\"{{#list}}{{item}}{{/list}}\"",
	    "{\"list\":[{\"item\":1},{\"item\":2},{\"item\":3}]}", "\"123\"" },
	{ __LINE__, "\"{{#list}}Yay lists!{{/list}}\"", "{\"list\":[]}", "\"\"" },
	{ __LINE__, "{{#bool}}\n* first\n{{/bool}}\n* {{two}}\n{{#bool}}\n* third\n{{/bool}}\n",
	    "{\"bool\":true,\"two\":\"second\"}", "* first\n* second\n* third\n" },	/* Doubled */
	{ __LINE__, "| A {{#bool}}B {{#bool}}C{{/bool}} D{{/bool}} E |", "{\"bool\":true}",
	    "| A B C D E |" },
	{ __LINE__, "| A {{#bool}}B {{#bool}}C{{/bool}} D{{/bool}} E |", "{\"bool\":false}",
	    "| A  E |" },
	{ __LINE__, "[{{#missing}}Found key 'missing'!{{/missing}}]", "{}", "[]" },
	{ __LINE__, "\"{{#list}}({{.}}){{/list}}\"", "{\"list\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}",
	    "\"(a)(b)(c)(d)(e)\"" },
	{ __LINE__, "\"{{#list}}({{.}}){{/list}}\"", "{\"list\":[1,2,3,4,5]}",
	    "\"(1)(2)(3)(4)(5)\"" },
	{ __LINE__, "\"{{#list}}({{#.}}{{.}}{{/.}}){{/list}}\"",	/* Implicit Iterator - Array */
	    "{\"list\":[[1,2,3],[\"a\",\"b\",\"c\"]]}", "\"(123)(abc)\"" },
	{ __LINE__, "\"{{#a.b.c}}Here{{/a.b.c}}\" == \"Here\"", "{\"a\":{\"b\":{\"c\":true}}}",
	    "\"Here\" == \"Here\"" },
	{ __LINE__, "\"{{#a.b.c}}Here{{/a.b.c}}\" == \"\"", "{\"a\":{\"b\":{\"c\":false}}}",
	    "\"\" == \"\"" },
	{ __LINE__, "\"{{#a.b.c}}Here{{/a.b.c}}\" == \"\"", "{\"a\":{}}", "\"\" == \"\"" },
	{ __LINE__, " | {{#boolean}}\t|\t{{/boolean}} | \n", "{\"boolean\":true}",
	    " | \t|\t | \n" },	/* Surrounding Whitespace */
	{ __LINE__, " | {{#boolean}} {{! Important Whitespace }}\n {{/boolean}} | \n",
	    "{\"boolean\":true}", " |  \n  | \n" },	/* Internal Whitespace */
	{ __LINE__, " {{#boolean}}YES{{/boolean}}\n {{#boolean}}GOOD{{/boolean}}\n",
	    "{\"boolean\":true}", " YES\n GOOD\n" },	/* Indented Inline Sections */
	{ __LINE__, "| This Is\n{{#boolean}}\n|\n{{/boolean}}\n| A Line\n", "{\"boolean\":true}",
	    "| This Is\n|\n| A Line\n" },	/* Standalone Lines */
	{ __LINE__, "| This Is\n  {{#boolean}}\n|\n  {{/boolean}}\n| A Line\n",
	    "{\"boolean\":true}", "| This Is\n|\n| A Line\n" },
	{ __LINE__, "|\r\n{{#boolean}}\r\n{{/boolean}}\r\n|", "{\"boolean\":true}", "|\r\n|" },
	{ __LINE__, "  {{#boolean}}\n#{{/boolean}}\n/", "{\"boolean\":true}", "#\n/" },
	{ __LINE__, "#{{#boolean}}\n/\n  {{/boolean}}", "{\"boolean\":true}", "#\n/\n" },
	{ __LINE__, "|{{# boolean }}={{/ boolean }}|", "{\"boolean\":true}", "|=|" },

	/* inverted.yml */
	{ __LINE__, "\"{{^boolean}}This should be rendered.{{/boolean}}\"", "{\"boolean\":false}",
	    "\"This should be rendered.\"" },
	{ __LINE__, "\"{{^boolean}}This should not be rendered.{{/boolean}}\"",
	    "{\"boolean\":true}", "\"\"" },
	{ __LINE__, "\"{{^null}}This should be rendered.{{/null}}\"", "{\"null\":null}",
	    "\"This should be rendered.\"" },
	{ __LINE__, "\"{{^context}}Hi {{name}}.{{/context}}\"", "{\"context\":{\"name\":\"Joe\"}}",
	    "\"\"" },
	{ __LINE__, "\"{{^list}}{{n}}{{/list}}\"", "{\"list\":[{\"n\":1},{\"n\":2},{\"n\":3}]}",
	    "\"\"" },
	{ __LINE__, "\"{{^list}}Yay lists!{{/list}}\"", "{\"list\":[]}", "\"Yay lists!\"" },
	{ __LINE__, "{{^bool}}\n* first\n{{/bool}}\n* {{two}}\n{{^bool}}\n* third\n{{/bool}}\n",
	    "{\"bool\":false,\"two\":\"second\"}", "* first\n* second\n* third\n" },
	{ __LINE__, "| A {{^bool}}B {{^bool}}C{{/bool}} D{{/bool}} E |", "{\"bool\":false}",
	    "| A B C D E |" },
	{ __LINE__, "| A {{^bool}}B {{^bool}}C{{/bool}} D{{/bool}} E |", "{\"bool\":true}",
	    "| A  E |" },
	{ __LINE__, "[{{^missing}}Found key 'missing'!{{/missing}}]", "{}",
	    "[Found key 'missing'!]" },
	{ __LINE__, "\"{{^a.b.c}}Not Here{{/a.b.c}}\" == \"Not Here\"", "{\"a\":{}}",
	    "\"Not Here\" == \"Not Here\"" },
	{ __LINE__, "| This Is\n{{^boolean}}\n|\n{{/boolean}}\n| A Line\n", "{\"boolean\":false}",
	    "| This Is\n|\n| A Line\n" },
	{ __LINE__, "|\r\n{{^boolean}}\r\n{{/boolean}}\r\n|", "{\"boolean\":false}", "|\r\n|" },
	{ __LINE__, "  {{^boolean}}\n^{{/boolean}}\n/", "{\"boolean\":false}", "^\n/" },
	{ __LINE__, "|{{^ boolean }}={{/ boolean }}|", "{\"boolean\":false}", "|=|" },

	/* comments.yml */
	{ __LINE__, "12345{{! Comment Block! }}67890", "{}", "1234567890" },
	{ __LINE__, "12345{{!\n  This is a\n  multi-line comment...\n}}67890\n", "{}",
	    "1234567890\n" },
	{ __LINE__, "Begin.\n{{! Comment Block! }}\nEnd.\n", "{}", "Begin.\nEnd.\n" },
	{ __LINE__, "Begin.\n  {{! Indented Comment Block! }}\nEnd.\n", "{}", "Begin.\nEnd.\n" },
	{ __LINE__, "|\r\n{{! Standalone Comment }}\r\n|", "{}", "|\r\n|" },
	{ __LINE__, "  {{! I'm Still Standalone }}\n!", "{}", "!" },
	{ __LINE__, "!\n  {{! I'm Still Standalone }}", "{}", "!\n" },
	{ __LINE__, "Begin.\n{{!\nSomething's going on here\n}}\nEnd.\n", "{}", "Begin.\nEnd.\n" },
	{ __LINE__, "Begin.\n  {{!\n    Something's going on here\n  }}\nEnd.\n", "{}",
	    "Begin.\nEnd.\n" },
	{ __LINE__, "  12 {{! 34 }}\n", "{}", "  12 \n" },	/* Indented Inline */
	{ __LINE__, "12345 {{! Comment Block! }} 67890", "{}", "12345  67890" },
	{ __LINE__, "comments never show: >{{! comment }}<", "{\"! comment\":1,\"! comment \":2}",
	    "comments never show: ><" },	/* Variable Name Collision */
};

static const struct partial_case spec_partial_cases[] = {
	/* partials.yml */
	{ __LINE__, "\"{{>text}}\"", "{}", "\"from partial\"", { { "text", "from partial" } } },
	{ __LINE__, "\"{{>partial}}\"", "{\"text\":\"content\"}", "\"*content*\"",
	    { { "partial", "*{{text}}*" } } },
	{ __LINE__, "{{>node}}", "{\"content\":\"X\",\"nodes\":[{\"content\":\"Y\",\"nodes\":[]}]}",
	    "X<Y<>>", { { "node", "{{content}}<{{#nodes}}{{>node}}{{/nodes}}>" } } },
	{ __LINE__, "{{>outer}}", "{\"a\":\"hello\",\"b\":\"world\"}", "*hello world!*",
	    { { "outer", "*{{a}} {{>inner}}*" }, { "inner", "{{b}}!" } } },	/* Nested */
	{ __LINE__, "| {{>partial}} |", "{}", "| \t|\t |", { { "partial", "\t|\t" } } },
	{ __LINE__, "  {{data}}  {{> partial}}\n", "{\"data\":\"|\"}", "  |  >\n>\n",
	    { { "partial", ">\n>" } } },	/* Inline Indentation */
	{ __LINE__, "|\r\n{{>partial}}\r\n|", "{}", "|\r\n>|", { { "partial", ">" } } },
	{ __LINE__, "  {{>partial}}\n>", "{}", "  >\n  >>", { { "partial", ">\n>" } } },
	{ __LINE__, ">\n  {{>partial}}", "{}", ">\n  >\n  >", { { "partial", ">\n>" } } },
	{ __LINE__, "\\\n {{>partial}}\n/\n", "{\"content\":\"<\\n->\"}",	/* Standalone Indentation */
	    "\\\n |\n <\n->\n |\n/\n", { { "partial", "|\n{{{content}}}\n|\n" } } },
	{ __LINE__, "|{{> partial }}|", "{\"boolean\":true}", "|[]|", { { "partial", "[]" } } },
};

static void
test_spec(void **state)
{
	RUN(spec_cases);
	RUN_PARTIALS(spec_partial_cases);
}

/* ----------------------------------------------------------------------------------------------
 * Syntax errors: every one fails the compile with "name:line: problem". */

static const struct error_case error_cases[] = {
	{ __LINE__, "{{name", "t:1: unclosed tag: \"{{\" without \"}}\"" },
	{ __LINE__, "a\nb {{name }", "t:2: unclosed tag: \"{{\" without \"}}\"" },
	{ __LINE__, "{{! a comment never closed", "t:1: unclosed tag: \"{{\" without \"}}\"" },
	{ __LINE__, "{{", "t:1: unclosed tag: \"{{\" without \"}}\"" },
	{ __LINE__, "{{{x", "t:1: unclosed tag: \"{{{\" without \"}}}\"" },
	{ __LINE__, "{{{x}}", "t:1: \"{{{\" closed by \"}}\": a raw tag needs \"}}}\"" },
	{ __LINE__, "\n\n{{{x}} }", "t:3: \"{{{\" closed by \"}}\": a raw tag needs \"}}}\"" },
	{ __LINE__, "a\n{{#items}}\n<li>{{.}}</li>\n", "t:2: unclosed section \"items\"" },
	{ __LINE__, "{{#a}}\n{{#b}}\n{{/b}}", "t:1: unclosed section \"a\"" },
	{ __LINE__, "{{#a}}\n{{^b}}\n{{/a}}",
	    "t:3: \"{{/a}}\" does not close section \"b\" (opened on line 2)" },
	{ __LINE__, "{{#a}}{{/b}}", "t:1: \"{{/b}}\" does not close section \"a\" (opened on line 1)" },
	{ __LINE__, "x\n\n{{#a.b}}\n{{/a}}",
	    "t:4: \"{{/a}}\" does not close section \"a.b\" (opened on line 3)" },
	{ __LINE__, "{{/x}}", "t:1: \"{{/x}}\" closes no open section" },
	{ __LINE__, "{{#a}}\n{{/a}}\n{{/a}}", "t:3: \"{{/a}}\" closes no open section" },
	{ __LINE__, "{{}}", "t:1: empty tag name" },
	{ __LINE__, "{{ \t }}", "t:1: empty tag name" },
	{ __LINE__, "{{{}}}", "t:1: empty tag name" },
	{ __LINE__, "{{&}}", "t:1: empty tag name" },
	{ __LINE__, "{{#}}{{/}}", "t:1: empty tag name" },
	{ __LINE__, "{{^ }}", "t:1: empty tag name" },
	{ __LINE__, "{{#a}}{{/ }}", "t:1: empty tag name" },
	{ __LINE__, "{{>}}", "t:1: empty tag name" },
	{ __LINE__, "{{=<% %>=}}", "t:1: set-delimiter tags (\"{{=\") are not supported" },
	{ __LINE__, "ok\n{{= | | =}}", "t:2: set-delimiter tags (\"{{=\") are not supported" },
	{ __LINE__, "{{<layout}}{{/layout}}", "t:1: template inheritance (\"{{<\") is not supported" },
	{ __LINE__, "{{$block}}{{/block}}", "t:1: template inheritance (\"{{$\") is not supported" },
	{ __LINE__, "{{a b}}", "t:1: bad tag name \"a b\"" },
	{ __LINE__, "{{x{{y}}", "t:1: bad tag name \"x{{y\"" },
	{ __LINE__, "{{a..b}}", "t:1: bad tag name \"a..b\"" },
	{ __LINE__, "{{.a}}", "t:1: bad tag name \".a\"" },
	{ __LINE__, "{{#a.}}{{/a.}}", "t:1: bad tag name \"a.\"" },
	{ __LINE__, "{{..}}", "t:1: bad tag name \"..\"" },
	{ __LINE__, "{{> two words}}", "t:1: bad tag name \"two words\"" },
};

static void
test_syntax_errors(void **state)
{
	size_t i;

	for (i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++) {
		const struct error_case *c = &error_cases[i];
		struct tmpl_set *set = tmpl_set_new();
		struct buf err = BUF_INIT;

		if (tmpl_set_add(set, "t", c->tmpl, strlen(c->tmpl), &err) != -1)
			fail_msg("line %d: compiled, want \"%s\"", c->line, c->want);
		if (strcmp(buf_cstr(&err), c->want) != 0)
			fail_msg("line %d: got \"%s\", want \"%s\"", c->line, buf_cstr(&err), c->want);
		if (tmpl_set_has(set, "t"))
			fail_msg("line %d: a failed compile left a template behind", c->line);
		buf_free(&err);
		tmpl_set_free(set);
	}
}

/* A failed compile leaves the template it would have replaced in place. */
static void
test_failed_replace_keeps_old(void **state)
{
	struct tmpl_set *set = tmpl_set_new();
	struct buf out = BUF_INIT, err = BUF_INIT;

	assert_int_equal(tmpl_set_add(set, "t", "old", 3, &err), 0);
	assert_int_equal(tmpl_set_add(set, "t", "{{#x}}", 6, &err), -1);
	assert_int_equal(tmpl_render(set, "t", NULL, &out, &err), 0);
	assert_string_equal(buf_cstr(&out), "old");
	assert_int_equal(tmpl_set_add(set, "t", "new", 3, &err), 0);
	buf_reset(&out);
	assert_int_equal(tmpl_render(set, "t", NULL, &out, &err), 0);
	assert_string_equal(buf_cstr(&out), "new");
	buf_free(&out);
	buf_free(&err);
	tmpl_set_free(set);
}

static void
test_nesting_and_size_limits(void **state)
{
	struct tmpl_set *set = tmpl_set_new();
	struct buf src = BUF_INIT, err = BUF_INIT, out = BUF_INIT;
	json_object *obj = json_tokener_parse("{\"a\":{}}");
	int i;

	/* 100 nested sections compile and render; 101 do not compile. */
	for (i = 0; i < 100; i++)
		buf_puts(&src, "{{#a}}");
	buf_puts(&src, "x");
	for (i = 0; i < 100; i++)
		buf_puts(&src, "{{/a}}");
	assert_int_equal(tmpl_set_add(set, "deep", src.data, src.len, &err), 0);
	assert_int_equal(tmpl_render(set, "deep", obj, &out, &err), 0);
	assert_string_equal(buf_cstr(&out), "x");
	buf_reset(&src);
	for (i = 0; i < 101; i++)
		buf_puts(&src, "{{#a}}");
	buf_reset(&err);
	assert_int_equal(tmpl_set_add(set, "deeper", src.data, src.len, &err), -1);
	assert_string_equal(buf_cstr(&err), "deeper:1: sections nested more than 100 deep");

	/* 1 MiB compiles; a byte more does not. */
	buf_reset(&src);
	buf_grow(&src, 1024 * 1024 + 1);
	memset(src.data, 'x', 1024 * 1024 + 1);
	assert_int_equal(tmpl_set_add(set, "big", src.data, 1024 * 1024, &err), 0);
	buf_reset(&err);
	assert_int_equal(tmpl_set_add(set, "huge", src.data, 1024 * 1024 + 1, &err), -1);
	assert_string_equal(buf_cstr(&err), "huge: template larger than 1048576 bytes");
	json_object_put(obj);
	buf_free(&src);
	buf_free(&err);
	buf_free(&out);
	tmpl_set_free(set);
}

/* Templates are byte strings: a NUL in the text passes through. */
static void
test_embedded_nul(void **state)
{
	struct tmpl_set *set = tmpl_set_new();
	struct buf out = BUF_INIT, err = BUF_INIT;
	json_object *data = json_tokener_parse("{\"x\":\"X\"}");

	assert_int_equal(tmpl_set_add(set, "t", "a\0{{x}}\0b", 9, &err), 0);
	assert_int_equal(tmpl_render(set, "t", data, &out, &err), 0);
	assert_int_equal(out.len, 5);
	assert_memory_equal(out.data, "a\0X\0b", 5);
	json_object_put(data);
	buf_free(&out);
	buf_free(&err);
	tmpl_set_free(set);
}

/* ----------------------------------------------------------------------------------------------
 * Render errors */

static void
test_render_errors(void **state)
{
	struct tmpl_set *set = tmpl_set_new();
	struct buf out = BUF_INIT, err = BUF_INIT, src = BUF_INIT;
	char name[16];
	int i;

	/* Partials resolve at render time for tmpl_set_add: a missing one fails the render. */
	assert_int_equal(tmpl_set_add(set, "t", "a{{>nope}}b", 11, &err), 0);
	buf_reset(&err);
	assert_int_equal(tmpl_render(set, "t", NULL, &out, &err), -1);
	assert_string_equal(buf_cstr(&err), "unknown partial \"nope\"");
	assert_string_equal(buf_cstr(&out), "a");	/* partial output, as tmpl.h says */

	/* Only reached when rendered: a false section skips it. */
	assert_int_equal(tmpl_set_add(set, "t", "{{#x}}{{>nope}}{{/x}}ok", 23, &err), 0);
	buf_reset(&out);
	assert_int_equal(tmpl_render(set, "t", NULL, &out, &err), 0);
	assert_string_equal(buf_cstr(&out), "ok");

	buf_reset(&err);
	assert_int_equal(tmpl_render(set, "missing", NULL, &out, &err), -1);
	assert_string_equal(buf_cstr(&err), "unknown template \"missing\"");

	/* Unbounded recursion stops at 32 partials deep. */
	assert_int_equal(tmpl_set_add(set, "self", "x{{>self}}", 10, &err), 0);
	buf_reset(&out);
	buf_reset(&err);
	assert_int_equal(tmpl_render(set, "self", NULL, &out, &err), -1);
	assert_string_equal(buf_cstr(&err), "partials nested more than 32 deep (at \"self\")");
	assert_int_equal(out.len, 33);

	/* A chain of exactly 32 partials is fine; 33 is one too many. */
	for (i = 1; i < 32; i++) {
		buf_reset(&src);
		buf_printf(&src, "%d{{>p%d}}", i, i + 1);
		snprintf(name, sizeof name, "p%d", i);
		assert_int_equal(tmpl_set_add(set, name, src.data, src.len, &err), 0);
	}
	assert_int_equal(tmpl_set_add(set, "p32", "end", 3, &err), 0);
	assert_int_equal(tmpl_set_add(set, "from1", "{{>p1}}", 7, &err), 0);
	assert_int_equal(tmpl_set_add(set, "from0", "{{>from1}}", 10, &err), 0);
	buf_reset(&out);
	assert_int_equal(tmpl_render(set, "from1", NULL, &out, &err), 0);
	assert_int_equal(strncmp(buf_cstr(&out), "123", 3), 0);
	assert_int_equal(strcmp(buf_cstr(&out) + out.len - 5, "31end"), 0);
	buf_reset(&err);
	assert_int_equal(tmpl_render(set, "from0", NULL, &out, &err), -1);
	assert_string_equal(buf_cstr(&err), "partials nested more than 32 deep (at \"p32\")");

	buf_free(&src);
	buf_free(&out);
	buf_free(&err);
	tmpl_set_free(set);
}

static void
test_set_basics(void **state)
{
	struct tmpl_set *set = tmpl_set_new();
	struct buf out = BUF_INIT, err = BUF_INIT;

	tmpl_set_free(NULL);
	assert_false(tmpl_set_has(set, "a"));
	assert_false(tmpl_set_has(NULL, "a"));
	assert_int_equal(tmpl_set_add(set, "b", "B", 1, &err), 0);
	assert_int_equal(tmpl_set_add(set, "a", "A", 1, &err), 0);
	assert_int_equal(tmpl_set_add(set, "c", "C", 1, &err), 0);
	assert_true(tmpl_set_has(set, "a"));
	assert_true(tmpl_set_has(set, "b"));
	assert_true(tmpl_set_has(set, "c"));
	assert_false(tmpl_set_has(set, "d"));
	/* Renders append. */
	buf_puts(&out, ">");
	assert_int_equal(tmpl_render(set, "a", NULL, &out, &err), 0);
	assert_int_equal(tmpl_render(set, "c", NULL, &out, &err), 0);
	assert_string_equal(buf_cstr(&out), ">AC");
	/* Messages are appended, as buf_printf does, so a caller can put its context first. */
	buf_reset(&err);
	buf_puts(&err, "loading: ");
	assert_int_equal(tmpl_set_add(set, "x", "{{#a}}", 6, &err), -1);
	assert_string_equal(buf_cstr(&err), "loading: x:1: unclosed section \"a\"");
	/* A NULL err is tolerated. */
	assert_int_equal(tmpl_set_add(set, "x", "{{", 2, NULL), -1);
	assert_int_equal(tmpl_render(set, "nope", NULL, &out, NULL), -1);
	buf_free(&out);
	buf_free(&err);
	tmpl_set_free(set);
}

/* ----------------------------------------------------------------------------------------------
 * Loading directories */

static void
rm_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	struct buf p = BUF_INIT;

	if (d == NULL) {
		unlink(path);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		buf_reset(&p);
		buf_printf(&p, "%s/%s", path, de->d_name);
		rm_tree(buf_cstr(&p));
	}
	closedir(d);
	rmdir(path);
	buf_free(&p);
}

/* Writes dir/rel, making its directories. */
static void
put_file(const char *dir, const char *rel, const char *content)
{
	struct buf p = BUF_INIT;
	FILE *f;
	size_t i;

	buf_printf(&p, "%s/%s", dir, rel);
	for (i = strlen(dir) + 1; i < p.len; i++) {
		if (p.data[i] == '/') {
			p.data[i] = '\0';
			if (mkdir(p.data, 0700) != 0 && errno != EEXIST)
				fail_msg("mkdir %s: %s", p.data, strerror(errno));
			p.data[i] = '/';
		}
	}
	f = fopen(buf_cstr(&p), "w");
	assert_non_null(f);
	assert_int_equal(fwrite(content, 1, strlen(content), f), strlen(content));
	assert_int_equal(fclose(f), 0);
	buf_free(&p);
}

static char *
make_tmpdir(void)
{
	const char *tmp = getenv("TMPDIR");
	struct buf d = BUF_INIT;

	buf_printf(&d, "%s/test_tmpl.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(d.data));
	return buf_detach(&d);
}

static void
test_load_tree(void **state)
{
	char *dir = make_tmpdir();
	struct buf out = BUF_INIT, err = BUF_INIT, slash = BUF_INIT;
	struct tmpl_set *set;
	json_object *data = json_tokener_parse("{\"title\":\"<Home>\"}");

	put_file(dir, "page.mustache", "{{> partials/header}}\nbody\n{{> partials/footer}}\n");
	put_file(dir, "partials/header.mustache", "<h1>{{title}}</h1>\n");
	put_file(dir, "partials/footer.mustache", "<footer>{{>partials/deep/legal}}</footer>\n");
	put_file(dir, "partials/deep/legal.mustache", "(c)");
	/* All skipped: dot-files, dot-directories, other suffixes; broken, so a load would fail. */
	put_file(dir, ".hidden.mustache", "{{#broken");
	put_file(dir, ".git/x.mustache", "{{#broken");
	put_file(dir, "partials/.page.mustache.swp", "{{#broken");
	put_file(dir, "notes.txt", "{{#broken");
	put_file(dir, "page.mustache.bak", "{{#broken");
	put_file(dir, "i18n/en.json", "{\"{{\":1}");

	set = tmpl_set_load(dir, &err);
	if (set == NULL)
		fail_msg("load: %s", buf_cstr(&err));
	assert_true(tmpl_set_has(set, "page"));
	assert_true(tmpl_set_has(set, "partials/header"));
	assert_true(tmpl_set_has(set, "partials/deep/legal"));
	assert_false(tmpl_set_has(set, ".hidden"));
	assert_false(tmpl_set_has(set, "page.mustache"));
	assert_int_equal(tmpl_render(set, "page", data, &out, &err), 0);
	assert_string_equal(buf_cstr(&out),
	    "<h1>&lt;Home&gt;</h1>\nbody\n<footer>(c)</footer>\n");
	tmpl_set_free(set);

	/* Trailing slashes change no name. */
	buf_printf(&slash, "%s//", dir);
	set = tmpl_set_load(buf_cstr(&slash), &err);
	assert_non_null(set);
	assert_true(tmpl_set_has(set, "partials/header"));
	tmpl_set_free(set);

	json_object_put(data);
	buf_free(&slash);
	buf_free(&out);
	buf_free(&err);
	rm_tree(dir);
	free(dir);
}

/* A broken file fails the whole load, its path and line in the message. */
static void
test_load_errors(void **state)
{
	char *dir = make_tmpdir();
	struct buf err = BUF_INIT, want = BUF_INIT, big = BUF_INIT;

	put_file(dir, "templates/ok.mustache", "fine\n");
	put_file(dir, "templates/help.mustache",
	    "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n<ul>{{#items}}\n<li>{{.}}</li>\n</ul>\n");
	buf_printf(&want, "%s/templates/help.mustache:12: unclosed section \"items\"", dir);
	buf_reset(&err);
	assert_null(tmpl_set_load(dir, &err));
	assert_string_equal(buf_cstr(&err), buf_cstr(&want));
	rm_tree(dir);

	/* Every partial must exist once the whole set is in. */
	assert_int_equal(mkdir(dir, 0700), 0);
	put_file(dir, "a.mustache", "{{>b}}\n{{#x}}{{>partials/nope}}{{/x}}\n");
	put_file(dir, "b.mustache", "b");
	buf_reset(&want);
	buf_printf(&want, "%s/a.mustache:2: partial \"partials/nope\" names no template", dir);
	buf_reset(&err);
	assert_null(tmpl_set_load(dir, &err));
	assert_string_equal(buf_cstr(&err), buf_cstr(&want));
	rm_tree(dir);

	/* Oversized files are refused before they are parsed. */
	assert_int_equal(mkdir(dir, 0700), 0);
	buf_grow(&big, 1024 * 1024 + 1);
	memset(big.data, 'x', 1024 * 1024 + 1);
	big.data[1024 * 1024 + 1] = '\0';
	put_file(dir, "big.mustache", big.data);
	buf_reset(&want);
	buf_printf(&want, "%s/big.mustache: larger than 1048576 bytes", dir);
	buf_reset(&err);
	assert_null(tmpl_set_load(dir, &err));
	assert_string_equal(buf_cstr(&err), buf_cstr(&want));
	rm_tree(dir);

	/* No directory at all. */
	buf_reset(&want);
	buf_printf(&want, "%s: No such file or directory", dir);
	buf_reset(&err);
	assert_null(tmpl_set_load(dir, &err));
	assert_string_equal(buf_cstr(&err), buf_cstr(&want));

	buf_free(&big);
	buf_free(&want);
	buf_free(&err);
	free(dir);
}

/* The project's own templates must load: a broken page fails make check, not a worker start. */
static void
test_load_project_templates(void **state)
{
	struct buf dir = BUF_INIT, err = BUF_INIT;
	struct tmpl_set *set;
	DIR *d;

	buf_printf(&dir, "%s/templates", test_srcdir());
	if ((d = opendir(buf_cstr(&dir))) == NULL) {
		buf_free(&dir);
		skip();
	}
	closedir(d);
	set = tmpl_set_load(buf_cstr(&dir), &err);
	if (set == NULL)
		fail_msg("%s", buf_cstr(&err));
	tmpl_set_free(set);
	buf_free(&dir);
	buf_free(&err);
}

/* ----------------------------------------------------------------------------------------------
 * Golden files: tests/golden/tmpl/<case>/{template.mustache,data.json,expected.html} */

static int
read_all(const char *path, struct buf *out)
{
	FILE *f = fopen(path, "rb");
	char chunk[4096];
	size_t n;

	if (f == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(out, chunk, n);
	fclose(f);
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Renders one case; returns 1 when it was a case (had all three files), 0 when not. */
static int
run_golden(const char *casedir)
{
	struct buf path = BUF_INIT, want = BUF_INIT, json = BUF_INIT, out = BUF_INIT,
	    err = BUF_INIT;
	struct tmpl_set *set;
	json_object *data;
	int ok = 0;

	buf_printf(&path, "%s/expected.html", casedir);
	if (read_all(buf_cstr(&path), &want) < 0)
		goto out;
	buf_reset(&path);
	buf_printf(&path, "%s/data.json", casedir);
	if (read_all(buf_cstr(&path), &json) < 0)
		goto out;
	buf_reset(&path);
	buf_printf(&path, "%s/template.mustache", casedir);
	if (access(buf_cstr(&path), R_OK) != 0)
		goto out;
	ok = 1;
	if ((data = json_tokener_parse(buf_cstr(&json))) == NULL)
		fail_msg("%s: data.json does not parse", casedir);
	if ((set = tmpl_set_load(casedir, &err)) == NULL)
		fail_msg("%s", buf_cstr(&err));
	if (tmpl_render(set, "template", data, &out, &err) != 0)
		fail_msg("%s: %s", casedir, buf_cstr(&err));
	if (out.len != want.len || memcmp(out.data, want.data, out.len) != 0)
		fail_msg("%s: output differs from expected.html; got:\n%s", casedir,
		    buf_cstr(&out));
	json_object_put(data);
	tmpl_set_free(set);
out:
	buf_free(&path);
	buf_free(&want);
	buf_free(&json);
	buf_free(&out);
	buf_free(&err);
	return ok;
}

static void
test_golden(void **state)
{
	struct buf root = BUF_INIT, casedir = BUF_INIT;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	int ran = 0;
	DIR *d;

	buf_printf(&root, "%s/tests/golden/tmpl", test_srcdir());
	if ((d = opendir(buf_cstr(&root))) == NULL)
		fail_msg("%s: %s (set STARLING_SRCDIR)", buf_cstr(&root), strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			names = xrealloc(names, cap * sizeof *names);
		}
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof *names, cmp_str);
	for (i = 0; i < n; i++) {
		buf_reset(&casedir);
		buf_printf(&casedir, "%s/%s", buf_cstr(&root), names[i]);
		ran += run_golden(buf_cstr(&casedir));
		free(names[i]);
	}
	free(names);
	/* No cases found means a wrong directory, not a pass. */
	assert_true(ran >= 5);
	buf_free(&root);
	buf_free(&casedir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interpolation),
		cmocka_unit_test(test_escape_html),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_partials),
		cmocka_unit_test(test_standalone),
		cmocka_unit_test(test_spec),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_failed_replace_keeps_old),
		cmocka_unit_test(test_nesting_and_size_limits),
		cmocka_unit_test(test_embedded_nul),
		cmocka_unit_test(test_render_errors),
		cmocka_unit_test(test_set_basics),
		cmocka_unit_test(test_load_tree),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_load_project_templates),
		cmocka_unit_test(test_golden),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
