/*
 * The JSON reader: valid documents as JSON says, invalid ones refused with a
 * position, limits (depth, numbers) and the arena reused across documents.
 */
#include <stdio.h>
#include <string.h>

#include "jv.h"

static int passed, failed;

#define CHECK(cond, ...) do { \
	if (cond) { passed++; } else { failed++; printf("FAIL %s:%d: ", __FILE__, __LINE__); \
		printf(__VA_ARGS__); printf("\n"); } } while (0)

static void valid(void)
{
	struct jv_doc d;
	char err[128];
	const char *doc = " {\"a\": [1, -2, 3.5, true, false, null], \"b\": {\"c\": \"x\\u00e9\\ud83d\\ude00\\n\"},"
			  " \"e\": \"\", \"big\": 9223372036854775807} ";
	jv_t *a, *b, *c, *m;
	size_t i;

	jv_doc_init(&d);
	CHECK(jv_parse(&d, doc, strlen(doc), err, sizeof(err)) == 0, "parse: %s", err);
	CHECK(jv_is_object(d.root) && jv_object_size(d.root) == 4, "root object of 4");
	a = jv_object_get(d.root, "a");
	CHECK(jv_array_size(a) == 6, "array of 6");
	CHECK(jv_is_integer(jv_array_get(a, 0)) && jv_integer_value(jv_array_get(a, 1)) == -2, "integers");
	CHECK(jv_array_get(a, 2)->type == JV_REAL && !jv_is_integer(jv_array_get(a, 2)), "a real is not an integer");
	CHECK(jv_is_true(jv_array_get(a, 3)) && jv_is_boolean(jv_array_get(a, 4)) && !jv_is_true(jv_array_get(a, 4)),
	      "booleans");
	CHECK(jv_is_null(jv_array_get(a, 5)) && !jv_array_get(a, 6), "null, and nothing past the end");
	b = jv_object_get(d.root, "b");
	c = jv_object_get(b, "c");
	CHECK(jv_is_string(c) && !strcmp(jv_string_value(c), "x\xc3\xa9\xf0\x9f\x98\x80\n") && jv_string_length(c) == 8,
	      "escapes to UTF-8, got %s", jv_string_value(c));
	CHECK(jv_string_length(jv_object_get(d.root, "e")) == 0, "empty string");
	CHECK(jv_integer_value(jv_object_get(d.root, "big")) == 9223372036854775807LL, "int64 max");
	CHECK(!jv_object_get(d.root, "zz") && !jv_object_get(a, "a"), "absent keys");
	i = 0;
	jv_object_foreach(d.root, i, m)
		;
	CHECK(i == 4, "foreach visits all members in order");
	CHECK(!strcmp(d.root->u.items[0]->key, "a") && !strcmp(d.root->u.items[3]->key, "big"), "member order kept");
	CHECK(jv_object_set(&d, b, "n", jv_new_integer(&d, 7)) == 0 && jv_integer_value(jv_object_get(b, "n")) == 7,
	      "set adds");
	CHECK(jv_object_set(&d, b, "c", jv_new_integer(&d, 8)) == 0 && jv_object_size(b) == 2 &&
	      jv_integer_value(jv_object_get(b, "c")) == 8, "set replaces");
	/* the arena is reused: many documents, no growth past the first chunk's needs */
	for (i = 0; i < 10000; i++)
		if (jv_parse(&d, doc, strlen(doc), err, sizeof(err)))
			break;
	CHECK(i == 10000, "reparse 10000 times");
	jv_doc_free(&d);
}

static void invalid(void)
{
	static const struct { const char *doc, *why; } bad[] = {
		{ "", "value expected" },
		{ "{", "string key expected" },
		{ "{\"a\" 1}", "':' expected" },
		{ "{\"a\":1,}", "string key expected" },
		{ "[1 2]", "',' or ']' expected" },
		{ "{\"a\":1,\"a\":2}", "duplicate key" },
		{ "\"abc", "unterminated string" },
		{ "\"a\x01\"", "control character" },
		{ "\"\\x\"", "bad escape" },
		{ "\"\\ud800\"", "surrogate" },
		{ "\"\xc3\x28\"", "invalid UTF-8" },
		{ "\"\xed\xa0\x80\"", "invalid UTF-8" },
		{ "01", "leading zero" },
		{ "99999999999999999999", "out of range" },
		{ "tru", "invalid value" },
		{ "{} x", "garbage after" },
		{ "-", "invalid value" },
	};
	struct jv_doc d;
	char err[128], deep[200];
	size_t i;

	jv_doc_init(&d);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECK(jv_parse(&d, bad[i].doc, strlen(bad[i].doc), err, sizeof(err)) == -1 && strstr(err, bad[i].why) &&
		      strstr(err, "line 1 column"), "'%s': got '%s', want '%s'", bad[i].doc, err, bad[i].why);
	}
	memset(deep, '[', sizeof(deep));
	CHECK(jv_parse(&d, deep, sizeof(deep), err, sizeof(err)) == -1 && strstr(err, "nested too deeply"),
	      "depth limit: %s", err);
	CHECK(jv_parse(&d, "{\n\"a\":\n x}", 10, err, sizeof(err)) == -1 && strstr(err, "line 3 column 2"),
	      "position: %s", err);
	jv_doc_free(&d);
}

int main(void)
{
	valid();
	invalid();
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
