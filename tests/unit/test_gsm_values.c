/*
 * Unit tests of gsm_values.c: hand-built vectors checked field by field, exact
 * byte round trips through real JSON text, friendly short forms, hostile input
 * and a seeded fuzz pass that also checks "hex" appears only when it must.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gsm_values.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static int passed, failed;

#define CHECK(cond, ...) do {						\
	if (cond) {							\
		passed++;						\
	} else {							\
		failed++;						\
		printf("FAIL %s:%d: ", __FILE__, __LINE__);		\
		printf(__VA_ARGS__);					\
		printf("\n");						\
	}								\
} while (0)

enum kind {
	K_ADDR, K_TBCD, K_USSD, K_MO, K_MT, K_CALLED, K_CALLING, K_GENERIC,
	K_LOCATION, K_REDIRECTING, K_BCD, K_CAUSE, K_NKINDS
};

static const char *const kind_names[] = {
	"address", "tbcd", "ussd", "sms-mo", "sms-mt", "isup-called", "isup-calling",
	"isup-generic", "isup-location", "isup-redirecting", "bcd", "cause",
};

static void to_json(struct jw *w, enum kind k, uint8_t dcs, const uint8_t *p, size_t n)
{
	switch (k) {
	case K_ADDR: gsmv_address_to_json(w, p, n); break;
	case K_TBCD: gsmv_tbcd_to_json(w, p, n); break;
	case K_USSD: gsmv_ussd_to_json(w, dcs, p, n); break;
	case K_MO: gsmv_sms_tpdu_to_json(w, SMS_MS_TO_SC, p, n); break;
	case K_MT: gsmv_sms_tpdu_to_json(w, SMS_SC_TO_MS, p, n); break;
	case K_CALLED: gsmv_isup_number_to_json(w, ISUP_CALLED, p, n); break;
	case K_CALLING: gsmv_isup_number_to_json(w, ISUP_CALLING, p, n); break;
	case K_GENERIC: gsmv_isup_number_to_json(w, ISUP_GENERIC, p, n); break;
	case K_LOCATION: gsmv_isup_number_to_json(w, ISUP_LOCATION, p, n); break;
	case K_REDIRECTING: gsmv_isup_number_to_json(w, ISUP_REDIRECTING, p, n); break;
	case K_BCD: gsmv_bcd_number_to_json(w, p, n); break;
	case K_CAUSE: gsmv_cause_to_json(w, p, n); break;
	default: break;
	}
}

static int from_json(const jv_t *v, enum kind k, uint8_t dcs, uint8_t *out, size_t cap,
		     char *err, size_t errsz)
{
	switch (k) {
	case K_ADDR: return gsmv_address_from_json(v, out, cap, err, errsz);
	case K_TBCD: return gsmv_tbcd_from_json(v, out, cap, err, errsz);
	case K_USSD: return gsmv_ussd_from_json(v, dcs, out, cap, err, errsz);
	case K_MO: return gsmv_sms_tpdu_from_json(v, SMS_MS_TO_SC, out, cap, err, errsz);
	case K_MT: return gsmv_sms_tpdu_from_json(v, SMS_SC_TO_MS, out, cap, err, errsz);
	case K_CALLED: return gsmv_isup_number_from_json(v, ISUP_CALLED, out, cap, err, errsz);
	case K_CALLING: return gsmv_isup_number_from_json(v, ISUP_CALLING, out, cap, err, errsz);
	case K_GENERIC: return gsmv_isup_number_from_json(v, ISUP_GENERIC, out, cap, err, errsz);
	case K_LOCATION: return gsmv_isup_number_from_json(v, ISUP_LOCATION, out, cap, err, errsz);
	case K_REDIRECTING: return gsmv_isup_number_from_json(v, ISUP_REDIRECTING, out, cap, err, errsz);
	case K_BCD: return gsmv_bcd_number_from_json(v, out, cap, err, errsz);
	case K_CAUSE: return gsmv_cause_from_json(v, out, cap, err, errsz);
	default: return -1;
	}
}

static size_t unhex(const char *s, uint8_t *out)
{
	size_t n = 0;
	unsigned v;

	while (s[0] && s[1] && sscanf(s, "%2x", &v) == 1) {
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

static void tohex(const uint8_t *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * n] = '\0';
}

static struct jw W;

/*
 * JSON text -> value with the codec's own reader. Documents come from a ring:
 * a value stays valid until RING_DOCS more are loaded, far more than any test
 * holds at once. All are freed at exit.
 */
#define RING_DOCS 256
static struct jv_doc docs[RING_DOCS];
static unsigned next_doc;

static jv_t *load(const char *text, char *err, size_t errsz)
{
	struct jv_doc *d = &docs[next_doc++ % RING_DOCS];

	if (jv_parse(d, text, strlen(text), err, errsz))
		return NULL;
	return d->root;
}

static void free_docs(void)
{
	unsigned i;

	for (i = 0; i < RING_DOCS; i++)
		jv_doc_free(&docs[i]);
}

/* Bytes to JSON text to a parsed jv_t (NULL and a failure if the text is not JSON). */
static jv_t *decode_bytes(enum kind k, uint8_t dcs, const uint8_t *p, size_t n)
{
	char je[128] = "";
	jv_t *j;

	jw_reset(&W);
	to_json(&W, k, dcs, p, n);
	j = load(jw_cstr(&W), je, sizeof(je));
	CHECK(j && jw_ok(&W), "%s: output is not JSON: %s (%s)", kind_names[k], jw_cstr(&W), je);
	return j;
}

/* "a.b.0.c": object members and array indexes */
static jv_t *at(jv_t *j, const char *path)
{
	char key[64];
	const char *dot;
	size_t len;

	while (j && *path) {
		dot = strchr(path, '.');
		len = dot ? (size_t)(dot - path) : strlen(path);
		snprintf(key, sizeof(key), "%.*s", (int)len, path);
		if (jv_is_array(j))
			j = jv_array_get(j, strtoul(key, NULL, 10));
		else
			j = jv_object_get(j, key);
		path += len + (dot ? 1 : 0);
	}
	return j;
}

/* A value as JSON text for failure messages (one static buffer). */
static const char *show(const jv_t *v)
{
	static char buf[256];

	if (!v)
		snprintf(buf, sizeof(buf), "nothing");
	else if (jv_is_string(v))
		snprintf(buf, sizeof(buf), "\"%s\"", jv_string_value(v));
	else if (jv_is_integer(v))
		snprintf(buf, sizeof(buf), "%lld", jv_integer_value(v));
	else
		snprintf(buf, sizeof(buf), "a JSON value of type %d", v->type);
	return buf;
}

static void expect_str(jv_t *j, const char *path, const char *want)
{
	jv_t *v = at(j, path);

	CHECK(jv_is_string(v) && !strcmp(jv_string_value(v), want),
	      "%s: want \"%s\", got %s", path, want, show(v));
}

static void expect_int(jv_t *j, const char *path, long long want)
{
	jv_t *v = at(j, path);

	CHECK(jv_is_integer(v) && jv_integer_value(v) == want,
	      "%s: want %lld, got %s", path, want, show(v));
}

static void expect_bool(jv_t *j, const char *path, bool want)
{
	jv_t *v = at(j, path);

	CHECK(jv_is_boolean(v) && jv_is_true(v) == want, "%s: want %s", path, want ? "true" : "false");
}

static void expect_absent(jv_t *j, const char *path)
{
	jv_t *v = at(j, path);

	CHECK(!v, "%s: should be absent in %s", path, show(j));
}

/* JSON value back to bytes, compared with the expected hex. */
static void expect_encode_json(enum kind k, uint8_t dcs, const jv_t *v, const char *want)
{
	uint8_t out[1024];
	char got[2100], err[160] = "";
	int n = from_json(v, k, dcs, out, sizeof(out), err, sizeof(err));

	if (n >= 0)
		tohex(out, (size_t)n, got);
	CHECK(n >= 0 && !strcmp(got, want), "%s: encode: want %s, got %s (%s)", kind_names[k], want,
	      n >= 0 ? got : "error", err);
}

static void expect_encode(enum kind k, uint8_t dcs, const char *json, const char *want)
{
	jv_t *v = load(json, NULL, 0);

	CHECK(v != NULL, "bad test JSON %s", json);
	if (v)
		expect_encode_json(k, dcs, v, want);
	(void)(v);
}

static void expect_error(enum kind k, uint8_t dcs, const char *json, const char *want)
{
	jv_t *v = load(json, NULL, 0);
	uint8_t out[512];
	char err[160] = "";
	int n = v ? from_json(v, k, dcs, out, sizeof(out), err, sizeof(err)) : 0;

	CHECK(v && n == -1 && strstr(err, want), "%s: %s: want error with '%s', got %d '%s'",
	      kind_names[k], json, want, n, err);
	(void)(v);
}

/* bytes -> JSON text -> bytes must be identical; returns whether "hex" was there */
static bool roundtrip_bytes(enum kind k, uint8_t dcs, const uint8_t *p, size_t n)
{
	static uint8_t out[32768];
	char err[160] = "";
	jv_t *j = decode_bytes(k, dcs, p, n);
	bool has_hex;
	int len;

	if (!j)
		return false;
	has_hex = at(j, "hex") != NULL;
	len = from_json(j, k, dcs, out, sizeof(out), err, sizeof(err));
	CHECK(len >= 0 && (size_t)len == n && !memcmp(out, p, n), "%s: round trip differs: %s (%s)",
	      kind_names[k], jw_cstr(&W), err);
	/* minimality: without "hex" the friendly fields must not re-encode exactly */
	if (has_hex && jv_is_object(j) && !at(j, "error")) {
		jv_object_del(j, "hex");
		len = from_json(j, k, dcs, out, sizeof(out), err, sizeof(err));
		CHECK(!(len >= 0 && (size_t)len == n && !memcmp(out, p, n)),
		      "%s: \"hex\" was not needed: %s", kind_names[k], jw_cstr(&W));
	}
	(void)(j);
	return has_hex;
}

/* A canonical vector: decodes without "hex" and round-trips. Returns the JSON. */
static jv_t *canon(enum kind k, uint8_t dcs, const char *hex)
{
	uint8_t b[4096];
	size_t n = unhex(hex, b);
	jv_t *j;

	CHECK(!roundtrip_bytes(k, dcs, b, n), "%s %s: canonical input got \"hex\"", kind_names[k], hex);
	j = decode_bytes(k, dcs, b, n);
	if (j)
		expect_absent(j, "error");
	return j;
}

/* A non-canonical vector: keeps "hex" and still round-trips. */
static jv_t *odd(enum kind k, uint8_t dcs, const char *hex)
{
	uint8_t b[4096];
	size_t n = unhex(hex, b);
	jv_t *j;

	CHECK(roundtrip_bytes(k, dcs, b, n), "%s %s: non-canonical input lacks \"hex\"", kind_names[k], hex);
	j = decode_bytes(k, dcs, b, n);
	if (j) {
		expect_str(j, "hex", hex);
		expect_absent(j, "error");
	}
	return j;
}

/* Undecodable input: {"hex","error"}, and the hex still round-trips. */
static void broken(enum kind k, uint8_t dcs, const char *hex, const char *why)
{
	uint8_t b[4096];
	size_t n = unhex(hex, b);
	jv_t *j = decode_bytes(k, dcs, b, n);
	jv_t *e = at(j, "error");

	CHECK(e && jv_is_string(e) && strstr(jv_string_value(e), why),
	      "%s %s: want error '%s', got %s", kind_names[k], hex, why, jw_cstr(&W));
	expect_str(j, "hex", hex);
	roundtrip_bytes(k, dcs, b, n);
	(void)(j);
}

/* ------------------------------------------------------------------------ */

static void test_address(void)
{
	jv_t *j;

	j = canon(K_ADDR, 0, "91947121436587f9");
	expect_str(j, "nature", "international");
	expect_str(j, "plan", "isdn");
	expect_str(j, "digits", "4917123456789");
	(void)(j);

	j = canon(K_ADDR, 0, "a1214365");	/* national, even digits */
	expect_str(j, "nature", "national");
	expect_str(j, "digits", "123456");
	(void)(j);

	j = canon(K_ADDR, 0, "86" "1a2bfc");	/* land mobile, * # and a */
	expect_str(j, "nature", "unknown");
	expect_str(j, "plan", "landMobile");
	expect_str(j, "digits", "*1#2a");
	(void)(j);

	j = canon(K_ADDR, 0, "9c12");		/* plan 12 has no name */
	expect_int(j, "plan", 12);
	(void)(j);

	j = odd(K_ADDR, 0, "119471");		/* ext bit 0 */
	expect_str(j, "digits", "4917");
	(void)(j);
	(void)(odd(K_ADDR, 0, "91f121"));	/* filler in the middle */
	broken(K_ADDR, 0, "", "empty");

	expect_encode(K_ADDR, 0, "\"+4917123456789\"", "91947121436587f9");
	expect_encode(K_ADDR, 0, "{\"digits\":\"123\"}", "8121f3");
	expect_encode(K_ADDR, 0, "{\"nature\":\"national\",\"plan\":8,\"digits\":\"0301\"}", "a83010");
	expect_encode(K_ADDR, 0, "{\"nature\":\"international\",\"plan\":\"isdn\",\"digits\":\"*#ABC\"}",
		      "91badcfe");
	expect_encode(K_ADDR, 0, "{\"hex\":\"0102\",\"digits\":\"9\"}", "0102");
	expect_error(K_ADDR, 0, "{\"digits\":\"12x4\"}", "invalid digit 'x'");
	expect_error(K_ADDR, 0, "{\"digits\":\"12\",\"nature\":\"martian\"}", "nature: unknown name");
	expect_error(K_ADDR, 0, "{\"digits\":\"12\",\"plan\":16}", "plan: 16 is out of range");
	/* a typo or a wrong object must not become an address without digits */
	expect_error(K_ADDR, 0, "{\"foo\":1}", "unknown field \"foo\"");
	expect_error(K_ADDR, 0, "{\"nature\":\"international\",\"plan\":\"isdn\"}", "digits: missing");
	expect_error(K_BCD, 0, "{\"digit\":\"123\"}", "unknown field \"digit\"");
	expect_encode(K_ADDR, 0, "{\"nature\":\"international\",\"plan\":\"isdn\",\"digits\":\"\"}", "91");
	expect_error(K_ADDR, 0, "{\"digits\":12}", "digits: expected a string");
	expect_error(K_ADDR, 0, "[1]", "expected an object");
	expect_error(K_ADDR, 0, "{\"hex\":\"123\"}", "hex");
	expect_error(K_ADDR, 0, "{\"hex\":\"zz\"}", "hex");
}

static void test_tbcd(void)
{
	jv_t *j;
	uint8_t out[4];
	char err[80];

	j = canon(K_TBCD, 0, "62021132547698f0");
	CHECK(jv_is_string(j) && !strcmp(jv_string_value(j), "262011234567890"), "IMSI odd");
	(void)(j);
	j = canon(K_TBCD, 0, "62021132547698");
	CHECK(jv_is_string(j) && !strcmp(jv_string_value(j), "26201123456789"), "IMSI even");
	(void)(j);
	(void)(canon(K_TBCD, 0, ""));
	j = odd(K_TBCD, 0, "21f345");
	expect_str(j, "digits", "123f54");
	(void)(j);
	(void)(odd(K_TBCD, 0, "ffff"));

	expect_encode(K_TBCD, 0, "\"262011234567890\"", "62021132547698f0");
	expect_encode(K_TBCD, 0, "{\"digits\":\"1\"}", "f1");
	expect_error(K_TBCD, 0, "\"12-3\"", "invalid digit '-'");
	expect_error(K_TBCD, 0, "17", "expected a digit string");
	j = load("\"123456789\"", NULL, 0);
	CHECK(gsmv_tbcd_from_json(j, out, sizeof(out), err, sizeof(err)) == -1 &&
	      strstr(err, "do not fit"), "TBCD cap: %s", err);
	(void)(j);
}

static void test_ussd(void)
{
	jv_t *j;

	j = canon(K_USSD, 0x0f, "aa180c3602");
	expect_str(j, "text", "*100#");
	(void)(j);
	/* 7 characters leave 7 spare bits: the CR pad is not text */
	j = canon(K_USSD, 0x0f, "31d98c56b3dd1a");
	expect_str(j, "text", "1234567");
	(void)(j);
	j = canon(K_USSD, 0x0f, "31d98c56b3dd70");
	expect_str(j, "text", "12345678");
	(void)(j);
	/* a wanted CR on an octet boundary gets a second CR */
	expect_encode(K_USSD, 0x0f, "\"1234567\\r\"", "31d98c56b3dd1a0d");
	(void)(canon(K_USSD, 0x0f, "31d98c56b3dd1a0d"));

	j = canon(K_USSD, 0x48, "041f04400438043204350442");
	expect_str(j, "text", "Привет");
	(void)(j);
	j = canon(K_USSD, 0x11, "653700480069");
	expect_str(j, "language", "en");
	expect_str(j, "text", "Hi");
	(void)(j);
	j = canon(K_USSD, 0x10, "657743186687dde332");
	expect_str(j, "language", "en");
	expect_str(j, "text", "Balance");
	(void)(j);
	j = canon(K_USSD, 0x44, "00ff10");
	expect_str(j, "data", "00ff10");
	(void)(j);
	/* GSM 03.38 specials and the extension table, UTF-8 correct */
	j = canon(K_USSD, 0x0f, "80806000d9f0363e");
	expect_str(j, "text", "@£$¥Δ[]");
	(void)(j);

	(void)(odd(K_USSD, 0x0f, "aa180c3682"));	/* spare bits set */
	(void)(odd(K_USSD, 0x48, "041f04"));	/* odd UCS2 length */
	(void)(odd(K_USSD, 0x48, "d83d0041"));	/* lone surrogate */

	expect_encode(K_USSD, 0x0f, "{\"text\":\"*100#\"}", "aa180c3602");
	expect_encode(K_USSD, 0x0f, "\"*100#\"", "aa180c3602");
	expect_encode(K_USSD, 0x48, "\"Привет\"", "041f04400438043204350442");
	expect_encode(K_USSD, 0x11, "{\"language\":\"en\",\"text\":\"Hi\"}", "653700480069");
	expect_encode(K_USSD, 0x10, "{\"language\":\"en\",\"text\":\"Balance\"}", "657743186687dde332");
	expect_error(K_USSD, 0x0f, "\"Привет\"", "not in the GSM 7-bit default alphabet");
	expect_error(K_USSD, 0x10, "\"Balance\"", "language");
	expect_error(K_USSD, 0x44, "\"abc\"", "8-bit data");
	expect_error(K_USSD, 0x0f, "{\"text\":3}", "text: expected a string");
	expect_error(K_USSD, 0x0f, "[]", "expected a string or an object");

	CHECK(gsmv_ussd_pick_dcs("*100#") == 0x0f, "pick *100#");
	CHECK(gsmv_ussd_pick_dcs("price 5€ [x]") == 0x0f, "pick extension table");
	CHECK(gsmv_ussd_pick_dcs("Привет") == 0x48, "pick Cyrillic");
	CHECK(gsmv_ussd_pick_dcs("ok 😀") == 0x48, "pick emoji");
	CHECK(gsmv_ussd_pick_dcs(NULL) == 0x0f, "pick NULL");
}

static void test_ussd_long(void)
{
	char json[600], hex[400];
	uint8_t out[200];
	char err[120];
	jv_t *v;
	int i, n;

	/* 182 septets fit in 160 octets (6 spare bits); 183 are too many */
	strcpy(json, "\"");
	for (i = 0; i < 182; i++)
		strcat(json, "a");
	strcat(json, "\"");
	v = load(json, NULL, 0);
	n = gsmv_ussd_from_json(v, 0x0f, out, sizeof(out), err, sizeof(err));
	CHECK(n == 160, "182 septets: %d %s", n, err);
	if (n > 0) {
		tohex(out, (size_t)n, hex);
		(void)(canon(K_USSD, 0x0f, hex));
	}
	(void)(v);
	json[183] = '\0';
	strcat(json, "a\"");
	v = load(json, NULL, 0);
	n = gsmv_ussd_from_json(v, 0x0f, out, sizeof(out), err, sizeof(err));
	CHECK(n == -1 && strstr(err, "too long"), "183 septets: %d %s", n, err);
	(void)(v);
}

static void test_sms_submit(void)
{
	jv_t *j;

	/* SMS-SUBMIT, VP relative 24 h, to +4912345678, "hello" */
	j = canon(K_MO, 0, "112a0a91942143658700" "00a705e8329bfd06");
	expect_str(j, "type", "SMS-SUBMIT");
	expect_bool(j, "rd", false);
	expect_bool(j, "srr", false);
	expect_bool(j, "rp", false);
	expect_bool(j, "udhi", false);
	expect_int(j, "mr", 42);
	expect_str(j, "da.nature", "international");
	expect_str(j, "da.plan", "isdn");
	expect_str(j, "da.digits", "4912345678");
	expect_int(j, "pid", 0);
	expect_int(j, "dcs.value", 0);
	expect_str(j, "dcs.alphabet", "gsm7");
	expect_absent(j, "dcs.class");
	expect_int(j, "vp.relative", 167);
	expect_int(j, "vp.seconds", 86400);
	expect_int(j, "udl", 5);
	expect_str(j, "text", "hello");
	expect_absent(j, "udh");
	(void)(j);

	/* the friendly short form */
	expect_encode(K_MO, 0, "{\"text\":\"hi\",\"da\":{\"digits\":\"123\"}}", "0100038121f3000002e834");
	expect_encode(K_MO, 0, "{\"text\":\"hi\",\"da\":\"+123\",\"mr\":7,\"srr\":true,"
		      "\"vp\":{\"seconds\":3600}}", "3107039121f300000b02e834");
	expect_encode(K_MO, 0, "{\"type\":\"SMS-SUBMIT\",\"text\":\"hello\",\"da\":\"+4912345678\","
		      "\"mr\":42,\"vp\":{\"relative\":167}}", "112a0a91942143658700" "00a705e8329bfd06");
	/* absolute and enhanced VP */
	j = canon(K_MO, 0, "19000381" "21f30000" "42501021035480" "00");
	expect_str(j, "vp.absolute", "2024-05-01T12:30:45+02:00");
	expect_str(j, "text", "");
	(void)(j);
	j = canon(K_MO, 0, "09000381" "21f30000" "01020304050607" "00");
	expect_str(j, "vp.enhanced", "01020304050607");
	(void)(j);
	/* UCS2 chosen automatically */
	expect_encode(K_MO, 0, "{\"text\":\"Привет\",\"da\":\"1\"}",
		      "01000181f1" "0008" "0c041f04400438043204350442");
	/* explicit class-1 DCS */
	j = canon(K_MO, 0, "01000181f10011" "02e834");
	expect_int(j, "dcs.class", 1);
	(void)(j);
	expect_encode(K_MO, 0, "{\"text\":\"hi\",\"da\":\"1\",\"dcs\":{\"alphabet\":\"gsm7\",\"class\":1}}",
		      "01000181f10011" "02e834");

	/* non-canonical: set spare bits, trailing octet, TOA ext bit 0 */
	(void)(odd(K_MO, 0, "112a0a91942143658700" "00a705e8329bfd86"));
	(void)(odd(K_MO, 0, "112a0a91942143658700" "00a705e8329bfd0600"));
	(void)(odd(K_MO, 0, "112a0a11942143658700" "00a705e8329bfd06"));
	(void)(odd(K_MO, 0, "0100038121330000" "02e834"));	/* odd digits, filler 3 */
}

static void test_sms_deliver(void)
{
	jv_t *j;

	/* concatenated part 1/2, 8-bit ref 0xa5, one fill bit, "Hi €" */
	j = canon(K_MT, 0, "440b911316325476f8" "0000" "42501021035480"
		  "0c" "050003a502019069d0a60c");
	expect_str(j, "type", "SMS-DELIVER");
	expect_bool(j, "mms", false);
	expect_bool(j, "udhi", true);
	expect_str(j, "oa.digits", "31612345678");
	expect_str(j, "scts", "2024-05-01T12:30:45+02:00");
	expect_int(j, "udl", 12);
	expect_int(j, "udh.0.iei", 0);
	expect_int(j, "udh.0.ref", 0xa5);
	expect_int(j, "udh.0.total", 2);
	expect_int(j, "udh.0.seq", 1);
	expect_int(j, "concat.ref", 0xa5);
	expect_int(j, "concat.total", 2);
	expect_int(j, "concat.seq", 1);
	expect_str(j, "text", "Hi €");
	(void)(j);
	/* built from "concat", then from "udh" */
	expect_encode(K_MT, 0, "{\"oa\":\"+31612345678\",\"scts\":\"2024-05-01T12:30:45+02:00\","
		      "\"concat\":{\"ref\":165,\"total\":2,\"seq\":1},\"text\":\"Hi €\"}",
		      "440b911316325476f8" "0000" "42501021035480" "0c" "050003a502019069d0a60c");
	expect_encode(K_MT, 0, "{\"oa\":\"+31612345678\",\"scts\":\"2024-05-01T12:30:45+02:00\","
		      "\"udh\":[{\"iei\":0,\"ref\":165,\"total\":2,\"seq\":1}],\"text\":\"Hi €\"}",
		      "440b911316325476f8" "0000" "42501021035480" "0c" "050003a502019069d0a60c");
	/* 16-bit reference and an unknown IE kept as hex */
	j = canon(K_MT, 0, "440181f1" "0004" "42501021035480"
		  "0e" "0b" "080412340302" "0503aabbcc" "0102");
	expect_int(j, "udh.0.iei", 8);
	expect_int(j, "udh.0.ref", 0x1234);
	expect_int(j, "udh.1.iei", 5);
	expect_str(j, "udh.1.hex", "aabbcc");
	expect_str(j, "data", "0102");
	expect_str(j, "dcs.alphabet", "8bit");
	(void)(j);

	/* UCS2 with a non-BMP emoji (surrogate pair) */
	j = canon(K_MT, 0, "040181f1" "0008" "42501021035480" "0a" "004800690020d83dde00");
	expect_str(j, "text", "Hi 😀");
	expect_str(j, "dcs.alphabet", "ucs2");
	(void)(j);
	expect_encode(K_MT, 0, "{\"oa\":\"1\",\"scts\":\"2024-05-01T12:30:45+02:00\",\"text\":\"Hi 😀\"}",
		      "040181f1" "0008" "42501021035480" "0a" "004800690020d83dde00");
	/* 8-bit data, class 1 (F5) */
	j = canon(K_MT, 0, "040181f1" "00f5" "42501021035480" "05" "0102030405");
	expect_str(j, "data", "0102030405");
	expect_int(j, "dcs.class", 1);
	expect_str(j, "dcs.alphabet", "8bit");
	(void)(j);
	/* alphanumeric OA "Test", negative zone */
	j = canon(K_MT, 0, "0407d0d4f29c0e" "0000" "42501021035488" "02e834");
	expect_str(j, "oa.nature", "alphanumeric");
	expect_str(j, "oa.text", "Test");
	expect_str(j, "scts", "2024-05-01T12:30:45-02:00");
	(void)(j);
	expect_encode(K_MT, 0, "{\"oa\":{\"nature\":\"alphanumeric\",\"plan\":\"unknown\",\"text\":\"Test\"},"
		      "\"scts\":\"2024-05-01T12:30:45-02:00\",\"text\":\"hi\"}",
		      "0407d0d4f29c0e" "0000" "42501021035488" "02e834");
	expect_encode(K_MT, 0, "{\"oa\":{\"text\":\"Test\"},\"scts\":\"2024-05-01T12:30:45Z\",\"text\":\"hi\"}",
		      "0407d0d4f29c0e" "0000" "42501021035400" "02e834");
	/* flags: all set */
	j = canon(K_MT, 0, "e80181f1" "0000" "42501021035480" "00");
	expect_bool(j, "mms", true);
	expect_bool(j, "lp", true);
	expect_bool(j, "sri", true);
	expect_bool(j, "rp", true);
	expect_bool(j, "udhi", true);
	expect_absent(j, "udh");
	(void)(j);
	/* non-BCD timestamp is kept field-locally */
	j = canon(K_MT, 0, "040181f1" "0000" "4250102103ff80" "00");
	expect_str(j, "scts.hex", "4250102103ff80");
	(void)(j);
	/* unnamed first-octet bit 4 set */
	(void)(odd(K_MT, 0, "140181f1" "0000" "42501021035480" "00"));
	/* unknown escape: shown as the default-table character, hex kept */
	j = odd(K_MT, 0, "040181f1" "0000" "42501021035480" "02" "9b20");
	expect_str(j, "text", "A");
	(void)(j);
}

static void test_sms_reports(void)
{
	jv_t *j;

	/* SMS-STATUS-REPORT ending after TP-ST */
	j = canon(K_MT, 0, "062a0a919421436587" "42501021035480" "42501021135480" "00");
	expect_str(j, "type", "SMS-STATUS-REPORT");
	expect_bool(j, "srq", false);
	expect_bool(j, "mms", false);
	expect_int(j, "mr", 42);
	expect_str(j, "ra.digits", "4912345678");
	expect_str(j, "scts", "2024-05-01T12:30:45+02:00");
	expect_str(j, "dt", "2024-05-01T12:31:45+02:00");
	expect_int(j, "st", 0);
	expect_absent(j, "pi");
	(void)(j);
	expect_encode(K_MT, 0, "{\"type\":\"SMS-STATUS-REPORT\",\"mr\":42,\"ra\":\"+4912345678\","
		      "\"scts\":\"2024-05-01T12:30:45+02:00\",\"dt\":\"2024-05-01T12:31:45+02:00\"}",
		      "062a0a919421436587" "42501021035480" "42501021135480" "00");
	/* with TP-PI and text */
	j = canon(K_MT, 0, "062a0a919421436587" "42501021035480" "42501021135480" "00" "04" "02e834");
	expect_int(j, "pi", 4);
	expect_str(j, "text", "hi");
	(void)(j);
	/* TP-PI 0: present but empty */
	(void)(canon(K_MT, 0, "062a0a919421436587" "42501021035480" "42501021135480" "00" "00"));

	/* SMS-SUBMIT-REPORT (RP-ACK) and SMS-DELIVER-REPORT (RP-ERROR with FCS) */
	j = canon(K_MT, 0, "01" "00" "42501021035480");
	expect_str(j, "type", "SMS-SUBMIT-REPORT");
	expect_int(j, "pi", 0);
	(void)(j);
	j = canon(K_MO, 0, "00" "d3" "07" "00" "00" "02e834");
	expect_str(j, "type", "SMS-DELIVER-REPORT");
	expect_int(j, "fcs", 0xd3);
	expect_int(j, "pi", 7);
	expect_str(j, "text", "hi");
	(void)(j);
	expect_encode(K_MO, 0, "{\"type\":\"SMS-DELIVER-REPORT\",\"fcs\":211}", "00d300");
	expect_encode(K_MO, 0, "{\"type\":\"SMS-DELIVER-REPORT\",\"text\":\"hi\"}", "000402e834");

	/* SMS-COMMAND: delete message 5 */
	j = canon(K_MO, 0, "22" "2a" "00" "02" "05" "0a919421436587" "02" "abcd");
	expect_str(j, "type", "SMS-COMMAND");
	expect_bool(j, "srr", true);
	expect_int(j, "ct", 2);
	expect_int(j, "mn", 5);
	expect_str(j, "da.digits", "4912345678");
	expect_str(j, "cd", "abcd");
	(void)(j);
	expect_encode(K_MO, 0, "{\"type\":\"SMS-COMMAND\",\"mr\":42,\"ct\":2,\"mn\":5,\"srr\":true,"
		      "\"da\":\"+4912345678\",\"cd\":\"abcd\"}", "222a0002050a91942143658702abcd");
}

static void test_sms_hostile(void)
{
	static const char *const full = "440b911316325476f8" "0000" "42501021035480"
					"0c" "050003a502019069d0a60c";
	uint8_t b[4096], big[20000];
	size_t n, i;

	broken(K_MT, 0, "", "empty");
	broken(K_MO, 0, "ff", "reserved TP-MTI");
	broken(K_MT, 0, "ffffffffffffffffffff", "reserved TP-MTI");
	broken(K_MT, 0, "04", "truncated");
	broken(K_MT, 0, "040b91", "truncated");
	broken(K_MO, 0, "01", "truncated at TP-MR");
	broken(K_MT, 0, "04ff91", "semi-octets");
	/* UDL larger than the data */
	broken(K_MO, 0, "112a0a91942143658700" "00a7ff" "e8329bfd06", "exceeds");
	broken(K_MT, 0, "040181f1" "0004" "42501021035480" "ff" "0102", "exceeds");
	/* UDHL larger than the UD, and larger than the UDL in septets */
	broken(K_MT, 0, "440181f1" "0004" "42501021035480" "03" "100102", "UDHL");
	broken(K_MT, 0, "440181f1" "0000" "42501021035480" "02" "0500", "UDHL");
	/* every prefix of a valid TPDU: no crash, hex round trip */
	n = unhex(full, b);
	for (i = 0; i < n; i++)
		roundtrip_bytes(K_MT, 0, b, i);
	/* huge input: friendly prefix plus hex, or an error; never a crash */
	memset(big, 0, sizeof(big));
	memcpy(big, b, n);
	roundtrip_bytes(K_MT, 0, big, sizeof(big));
	memset(big, 0xff, sizeof(big));
	roundtrip_bytes(K_USSD, 0x0f, big, sizeof(big));
	roundtrip_bytes(K_ADDR, 0, big, sizeof(big));
	roundtrip_bytes(K_CAUSE, 0, big, sizeof(big));
	roundtrip_bytes(K_CALLED, 0, big, sizeof(big));
	roundtrip_bytes(K_TBCD, 0, big, sizeof(big));

	/* from_json errors */
	expect_error(K_MO, 0, "{\"text\":\"hi\"}", "da: missing");
	expect_error(K_MO, 0, "{\"text\":\"hi\",\"da\":5}", "expected an object or a digit string");
	expect_error(K_MO, 0, "{\"text\":\"hi\",\"da\":\"12x\"}", "invalid digit 'x'");
	expect_error(K_MO, 0, "{\"text\":\"hi\",\"da\":\"123456789012345678901\"}", "at most 20");
	expect_error(K_MO, 0, "{\"text\":7,\"da\":\"1\"}", "text: expected a string");
	expect_error(K_MO, 0, "{\"type\":\"SMS-DELIVER\",\"da\":\"1\"}", "is not sent MS to SC");
	expect_error(K_MO, 0, "{\"type\":\"SMS-FOO\",\"da\":\"1\"}", "type: unknown name");
	expect_error(K_MO, 0, "{\"da\":\"1\",\"rd\":1}", "rd: expected true or false");
	expect_error(K_MO, 0, "{\"da\":\"1\",\"text\":\"hi\",\"dcs\":4}", "8-bit data");
	expect_error(K_MO, 0, "{\"da\":\"1\",\"data\":\"00\",\"dcs\":0}", "means text");
	expect_error(K_MO, 0, "{\"da\":\"1\",\"text\":\"Привет\",\"dcs\":0}", "U+041F is not in the GSM");
	expect_error(K_MO, 0, "{\"da\":\"1\",\"text\":\"a\",\"data\":\"00\"}", "either");
	expect_error(K_MO, 0, "{\"da\":\"1\",\"mr\":256}", "mr: 256 is out of range");
	expect_error(K_MO, 0, "{\"da\":\"1\",\"vp\":{\"seconds\":99999999}}", "longest relative");
	expect_error(K_MO, 0, "{\"da\":\"1\",\"vp\":{\"absolute\":\"yesterday\"}}", "vp.absolute");
	expect_error(K_MO, 0, "{\"da\":\"1\",\"vp\":{\"absolute\":\"2024-05-01T12:30:45+02:10\"}}",
		     "quarter hours");
	expect_error(K_MO, 0, "{\"da\":{\"text\":\"TooLongSender\"}}", "at most 11");
	expect_error(K_MO, 0, "{\"da\":\"1\",\"udh\":[{\"iei\":5}]}", "give \"hex\" for IEI 5");
	expect_error(K_MO, 0, "{\"da\":\"1\",\"udh\":[{\"iei\":0,\"ref\":1}]}", "needs \"ref\"");
	expect_error(K_MO, 0, "{\"da\":\"1\",\"udh\":[{\"iei\":0,\"ref\":300,\"total\":1,\"seq\":1}]}",
		     "needs IEI 8");
	expect_error(K_MO, 0, "[]", "expected an object");
	expect_error(K_MO, 0, "{\"da\":\"1\",\"udhi\":true,\"text\":\"x\"}", "udhi: true needs");
	{
		/* 161 GSM septets, 71 UCS2 characters: too long */
		char json[1200];

		strcpy(json, "{\"da\":\"1\",\"text\":\"");
		for (i = 0; i < 161; i++)
			strcat(json, "a");
		strcat(json, "\"}");
		expect_error(K_MO, 0, json, "text: too long (at most 160 septets)");
		strcpy(json, "{\"da\":\"1\",\"concat\":{\"ref\":1,\"total\":2,\"seq\":1},\"text\":\"");
		for (i = 0; i < 154; i++)
			strcat(json, "a");
		strcat(json, "\"}");
		expect_error(K_MO, 0, json, "at most 153 septets with this UDH");
		strcpy(json, "{\"da\":\"1\",\"text\":\"");
		for (i = 0; i < 71; i++)
			strcat(json, "Ж");
		strcat(json, "\"}");
		expect_error(K_MO, 0, json, "too long");
	}
}

static void test_isup(void)
{
	jv_t *j;

	j = canon(K_CALLED, 0, "84909403210" "3");
	expect_str(j, "nature", "international");
	expect_bool(j, "inn", true);
	expect_str(j, "plan", "isdn");
	expect_str(j, "digits", "4930123");
	expect_absent(j, "presentation");
	(void)(j);
	j = canon(K_CALLED, 0, "031021f3");	/* ST at the end */
	expect_str(j, "nature", "national");
	expect_str(j, "digits", "123f");
	(void)(j);
	expect_encode(K_CALLED, 0, "\"+4930123\"", "841094032103");
	expect_encode(K_CALLED, 0, "{\"nature\":\"national\",\"digits\":\"123f\"}", "031021f3");
	(void)(odd(K_CALLED, 0, "8490940321f3"));	/* filler not 0 */
	(void)(odd(K_CALLED, 0, "84919403"));	/* spare bits */

	j = canon(K_CALLING, 0, "03173010325476");
	expect_str(j, "nature", "national");
	expect_bool(j, "ni", false);
	expect_str(j, "presentation", "restricted");
	expect_str(j, "screening", "networkProvided");
	expect_str(j, "digits", "0301234567");
	(void)(j);
	expect_encode(K_CALLING, 0, "{\"nature\":\"national\",\"presentation\":\"restricted\","
		      "\"digits\":\"0301234567\"}", "03173010325476");
	j = canon(K_CALLING, 0, "000b");		/* address not available, no digits */
	expect_str(j, "presentation", "addressNotAvailable");
	expect_str(j, "digits", "");
	(void)(j);

	j = canon(K_GENERIC, 0, "068413214305");
	expect_int(j, "qualifier", 6);
	expect_str(j, "digits", "12345");
	expect_str(j, "screening", "networkProvided");
	(void)(j);
	expect_encode(K_GENERIC, 0, "\"+12345\"", "068413214305");

	j = canon(K_LOCATION, 0, "04139403");
	expect_bool(j, "inn", false);
	expect_str(j, "digits", "4930");
	(void)(j);

	j = canon(K_REDIRECTING, 0, "84109401");
	expect_str(j, "digits", "491");
	expect_absent(j, "screening");
	expect_absent(j, "ni");
	(void)(j);
	(void)(odd(K_REDIRECTING, 0, "84139401"));	/* screening bits are spare here */

	j = canon(K_CALLED, 0, "7f7094");		/* unnamed nature and plan numbers */
	expect_int(j, "nature", 127);
	expect_int(j, "plan", 7);
	(void)(j);

	broken(K_CALLED, 0, "84", "shorter");
	broken(K_GENERIC, 0, "0684", "shorter");
	(void)(odd(K_CALLED, 0, "8490"));		/* odd with no digits */
	expect_error(K_CALLED, 0, "{\"digits\":\"12*\"}", "invalid digit '*'");
	expect_error(K_CALLING, 0, "{\"digits\":\"1\",\"screening\":\"maybe\"}", "screening: unknown name");
	expect_error(K_CALLED, 0, "{\"digits\":\"1\",\"inn\":\"yes\"}", "inn: expected true or false");
}

static void test_bcd_cause(void)
{
	jv_t *j;

	j = canon(K_BCD, 0, "811a00fb");
	expect_str(j, "nature", "unknown");
	expect_str(j, "plan", "isdn");
	expect_str(j, "digits", "*100#");
	(void)(j);
	j = canon(K_BCD, 0, "c1");
	expect_str(j, "nature", "dedicatedAccess");
	(void)(j);
	expect_encode(K_BCD, 0, "{\"digits\":\"*100#\"}", "811a00fb");
	expect_encode(K_BCD, 0, "\"+491234\"", "91942143");
	(void)(odd(K_BCD, 0, "011a00fb"));
	broken(K_BCD, 0, "", "empty");

	j = canon(K_CAUSE, 0, "8090");
	expect_str(j, "codingStandard", "itu");
	expect_str(j, "location", "user");
	expect_int(j, "value", 16);
	expect_str(j, "name", "normalCallClearing");
	(void)(j);
	j = canon(K_CAUSE, 0, "8a91");
	expect_str(j, "location", "beyondInterworkingPoint");
	expect_str(j, "name", "userBusy");
	(void)(j);
	j = canon(K_CAUSE, 0, "028095");
	expect_int(j, "recommendation", 0);
	expect_str(j, "location", "publicNetworkLocalUser");
	expect_str(j, "name", "callRejected");
	(void)(j);
	j = canon(K_CAUSE, 0, "e3ff0102");
	expect_str(j, "codingStandard", "locationSpecific");
	expect_int(j, "value", 127);
	expect_str(j, "diagnostics", "0102");
	(void)(j);
	j = canon(K_CAUSE, 0, "80c8");			/* no name for 72 */
	expect_absent(j, "name");
	(void)(j);
	(void)(odd(K_CAUSE, 0, "9090"));		/* spare bit */
	(void)(odd(K_CAUSE, 0, "8010"));		/* ext 0 in the value octet */
	broken(K_CAUSE, 0, "80", "shorter");
	broken(K_CAUSE, 0, "0080", "truncated");

	expect_encode(K_CAUSE, 0, "{\"value\":16}", "8090");
	expect_encode(K_CAUSE, 0, "16", "8090");
	expect_encode(K_CAUSE, 0, "\"userBusy\"", "8091");
	expect_encode(K_CAUSE, 0, "{\"name\":\"noAnswer\",\"location\":\"transitNetwork\"}", "8393");
	expect_encode(K_CAUSE, 0, "{\"value\":\"callRejected\",\"location\":2,\"recommendation\":0}", "028095");
	expect_error(K_CAUSE, 0, "{\"value\":200}", "out of range");
	expect_error(K_CAUSE, 0, "{\"location\":\"user\"}", "needs \"value\"");
	expect_error(K_CAUSE, 0, "\"bogus\"", "unknown name");
	expect_error(K_CAUSE, 0, "[16]", "expected an object");
}

/* Random and mutated input of every kind: never a crash, always an exact round
 * trip, "hex" only when needed (checked inside roundtrip_bytes). */
static void test_fuzz(void)
{
	static const char *const seeds[] = {
		"440b911316325476f8000042501021035480" "0c050003a502019069d0a60c",
		"112a0a9194214365870000a705e8329bfd06",
		"062a0a919421436587425010210354804250102113548000" "0402e834",
		"0407d0d4f29c0e00004250102103548802e834",
		"040181f1000842501021035480" "0a004800690020d83dde00",
		"00d307000002e834",
		"222a0002050a91942143658702abcd",
	};
	uint8_t b[300], s[300];
	unsigned seed = 12345;
	size_t n, i, sn;
	int round, k;
	int before = failed, ok_before = passed;

	srand(seed);
	for (round = 0; round < 3000; round++) {
		n = (size_t)(rand() % 40);
		for (i = 0; i < n; i++)
			b[i] = (uint8_t)rand();
		for (k = 0; k < K_NKINDS; k++)
			roundtrip_bytes((enum kind)k, (uint8_t)rand(), b, n);
	}
	for (round = 0; round < 4000; round++) {
		sn = unhex(seeds[round % ARRAY_LEN(seeds)], s);
		memcpy(b, s, sn);
		n = sn;
		for (i = 0; i < 1 + (size_t)(rand() % 3); i++) {
			switch (rand() % 3) {
			case 0: b[rand() % n] ^= (uint8_t)(1 << (rand() % 8)); break;
			case 1: b[rand() % n] = (uint8_t)rand(); break;
			case 2: if (n > 1) n--; break;
			}
		}
		roundtrip_bytes(K_MT, 0, b, n);
		roundtrip_bytes(K_MO, 0, b, n);
	}
	/* thousands of inner checks count as one */
	passed = ok_before;
	CHECK(failed == before, "fuzz found %d problems", failed - before);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	jw_init(&W);
	test_address();
	test_tbcd();
	test_ussd();
	test_ussd_long();
	test_sms_submit();
	test_sms_deliver();
	test_sms_reports();
	test_sms_hostile();
	test_isup();
	test_bcd_cause();
	test_fuzz();
	jw_free(&W);
	free_docs();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
