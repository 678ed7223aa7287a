/*
 * Telecom values inside MAP/CAP parameters made readable (see gsm_values.h).
 * Each value is decoded into a small struct, written as JSON, and re-encoded from
 * that struct: only when the re-encoding differs do the original bytes ride along
 * as "hex", so canonical values stay clean and odd ones still round-trip exactly.
 *
 * JSON shapes (from_json accepts the same; "hex" always wins; names or numbers are
 * accepted wherever a name is written; a number is written when a value has no name):
 *
 *  AddressString  {"nature":"international","plan":"isdn","digits":"491701234567"}
 *                 nature: unknown international national networkSpecific subscriber
 *                 reserved abbreviated reservedForExtension; plan: unknown isdn spare2
 *                 data telex spare5 landMobile spare7 national private
 *                 reservedForExtension. Digits are TBCD: 0-9 * # a b c.
 *                 Short forms: "+4917..." or {"digits":"+4917..."} (the '+' means
 *                 nature international); defaults nature unknown, plan isdn.
 *  TBCD-STRING    "262011234567890"; {"digits":..,"hex":..} when not canonical.
 *  USSD-String    {"text":"*100#"}, {"language":"en","text":..} for DCS 0x10/0x11,
 *                 {"data":"hex"} for 8-bit DCS. Short form: a plain string.
 *  SMS TPDU       {"type":"SMS-SUBMIT", flags, fields...}. type: SMS-DELIVER
 *                 SMS-SUBMIT SMS-STATUS-REPORT SMS-COMMAND SMS-DELIVER-REPORT
 *                 SMS-SUBMIT-REPORT (default: SUBMIT for MO, DELIVER for MT).
 *                 Flags (booleans, TS 23.040 TP- names): "mms" (true = more messages
 *                 are waiting, i.e. the TP-MMS bit is 0), "lp", "sri", "rp", "rd",
 *                 "srr", "srq", "udhi" (also set by the presence of "udh"/"concat").
 *                 Fields: "mr", "pid", "st", "ct", "mn", "fcs", "pi" (numbers);
 *                 "oa"/"da"/"ra" {"nature","plan","digits"} or
 *                 {"nature":"alphanumeric","plan":..,"text":..} (nature: TS 23.040
 *                 names, alphanumeric instead of reserved; plan adds scSpecific1,
 *                 scSpecific2, ermes); "scts", "dt": "2024-05-01T12:30:45+02:00" (the
 *                 zone in quarter hours; YY < 90 is 20YY; {"hex":..} if not BCD;
 *                 default now, UTC); "vp": {"relative":167,"seconds":86400} |
 *                 {"absolute":time} | {"enhanced":"hex"} (absent: no TP-VP; input may
 *                 give only "seconds", rounded up); "dcs": {"value":0,"alphabet":
 *                 "gsm7"|"8bit"|"ucs2"|"reserved","class":1,"compressed":true} (input:
 *                 a number, {"value"} or {"alphabet","class"}; absent: gsm7 when the
 *                 text fits, else ucs2; 8bit for "data"); "udl" (output only);
 *                 "udh": [{"iei":0,"ref":..,"total":..,"seq":..}, {"iei":8,...16-bit
 *                 ref}, {"iei":N,"hex":..}] or {"hex":..} when the IEs do not parse;
 *                 "concat": {"ref","total","seq"} (output: first concat IE; input:
 *                 used when "udh" is absent); "text" (UTF-8) or "data" (hex); "cd"
 *                 (hex, SMS-COMMAND). In reports "pi" defaults to what is present.
 *  ISUP numbers   {"nature":"international","plan":"isdn","digits":"4930123"} plus
 *                 per Q.763 format: "inn" (called, location; true = routing to an
 *                 internal network number not allowed), "ni" (calling, generic;
 *                 true = number incomplete), "presentation" allowed|restricted|
 *                 addressNotAvailable|reserved, "screening" userProvidedNotVerified|
 *                 userProvidedVerifiedPassed|userProvidedVerifiedFailed|
 *                 networkProvided, "qualifier" (generic). Digits are the nibbles in
 *                 hex: 0-9, b = code 11, c = code 12, f = ST. nature: subscriber
 *                 unknown national international networkSpecific
 *                 networkRoutingNational networkRoutingNetworkSpecific
 *                 networkRoutingConcatenated. Defaults: nature international with a
 *                 '+' prefix else unknown, plan isdn, presentation allowed,
 *                 screening networkProvided, qualifier 6 (additional calling number).
 *  BCD number     {"nature":"unknown","plan":"isdn","digits":"*100#"} (TS 24.008
 *                 10.5.4.7: nature unknown international national networkSpecific
 *                 dedicatedAccess reservedForExtension; plan unknown isdn data telex
 *                 national private cts reservedForExtension; digits as TBCD; same
 *                 short forms and defaults as AddressString).
 *  Cause          {"codingStandard":"itu","location":"user","value":16,
 *                 "name":"normalCallClearing"} (+"recommendation", "diagnostics" hex).
 *                 Input: 16, "userBusy", {"value":16} or {"name":..}; defaults
 *                 codingStandard itu, location user (so {"value":16} is 80 90).
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <osmocom/core/utils.h>
#include <osmocom/gsm/protocol/gsm_03_40.h>
#include <osmocom/gsm/protocol/gsm_04_11.h>
#include <osmocom/gsm/gsm0411_utils.h>

#include "gsm_values.h"

#define MAX_DIGITS	96	/* digits of any number we render (48 octets) */
#define UD_MAX		140	/* TP-UD octets, TS 23.040 9.2.3.24 */
#define USSD_MAX	160	/* maxUSSD-StringLength, TS 29.002 */
#define USSD_IN_MAX	512	/* longer USSD input is only shown as hex */
#define TPDU_MAX	320	/* room for re-encoding any TPDU we accept */
#define TEXT_MAX	768	/* UTF-8 of 255 septets (2 octets each at most) */
#define USSD_SEPT_MAX	(USSD_IN_MAX * 8 / 7)
#define USSD_TEXT_MAX	(USSD_SEPT_MAX * 3 + 8)
#define ABSENT		(-2)	/* getters: the member is not there */
#define CR		0x0d

static int fail(char *err, size_t errsz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Every error path goes through here: one line into err (when given), then -1. */
static int fail(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	if (err && errsz) {
		va_start(ap, fmt);
		vsnprintf(err, errsz, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* ------------------------------------------------------------------------ */
/* JSON helpers                                                              */

static void write_error(struct jw *w, const uint8_t *p, size_t n, const char *msg)
{
	jw_obj_begin(w);
	jw_khex(w, "hex", p, n);
	jw_kstr(w, "error", msg);
	jw_obj_end(w);
}

static int parse_hex(const jv_t *h, const char *what, uint8_t *out, size_t cap,
		     char *err, size_t errsz)
{
	const char *s;
	size_t len;
	int rc;

	if (!jv_is_string(h))
		return fail(err, errsz, "%s: expected a hex string", what);
	s = jv_string_value(h);
	len = jv_string_length(h);
	if (strlen(s) != len)
		return fail(err, errsz, "%s: not a hex string", what);
	if (len / 2 > cap)
		return fail(err, errsz, "%s: %zu octets do not fit in %zu", what, len / 2, cap);
	if (len == 0)
		return 0;
	rc = osmo_hexparse(s, out, cap > UINT_MAX ? UINT_MAX : (unsigned)cap);
	if (rc < 0)
		return fail(err, errsz, "%s: not an even-length hex string", what);
	return rc;
}

/* The contract's escape hatch: a "hex" member is used verbatim. */
static int hex_member(const jv_t *v, uint8_t *out, size_t cap, char *err, size_t errsz)
{
	const jv_t *h = jv_is_object(v) ? jv_object_get(v, "hex") : NULL;

	if (!h)
		return ABSENT;
	return parse_hex(h, "hex", out, cap, err, errsz);
}

static void put_named(struct jw *w, const char *key, const struct value_string *vs, unsigned v)
{
	const char *s = get_value_string_or_null(vs, v);

	jw_key(w, key);
	if (s)
		jw_str(w, s);
	else
		jw_uint(w, v);
}

/* A value given by name or by number in 0..max. */
static int named_value(const jv_t *f, const char *key, const struct value_string *vs,
		       unsigned max, char *err, size_t errsz)
{
	long long x;

	if (jv_is_integer(f)) {
		x = jv_integer_value(f);
		if (x < 0 || x > max)
			return fail(err, errsz, "%s: %lld is out of range 0..%u", key, x, max);
		return (int)x;
	}
	if (jv_is_string(f) && vs) {
		x = get_string_value(vs, jv_string_value(f));
		if (x < 0 || x > max)
			return fail(err, errsz, "%s: unknown name '%s'", key, jv_string_value(f));
		return (int)x;
	}
	return fail(err, errsz, "%s: expected %s", key, vs ? "a name or a number" : "a number");
}

/* A member given by name or number; def when absent. */
static int get_named(const jv_t *o, const char *key, const struct value_string *vs,
		     unsigned max, int def, char *err, size_t errsz)
{
	const jv_t *f = jv_object_get(o, key);

	return f ? named_value(f, key, vs, max, err, errsz) : def;
}

static int get_uint(const jv_t *o, const char *key, unsigned max, int def, char *err, size_t errsz)
{
	return get_named(o, key, NULL, max, def, err, errsz);
}

static int get_bool(const jv_t *o, const char *key, char *err, size_t errsz)
{
	const jv_t *f = jv_object_get(o, key);

	if (!f)
		return 0;
	if (!jv_is_boolean(f))
		return fail(err, errsz, "%s: expected true or false", key);
	return jv_is_true(f);
}

/* A string member; NULL (and no error) when absent. */
static int get_str(const jv_t *o, const char *key, const char **s, size_t *len,
		   char *err, size_t errsz)
{
	const jv_t *f = jv_object_get(o, key);

	*s = NULL;
	*len = 0;
	if (!f)
		return 0;
	if (!jv_is_string(f))
		return fail(err, errsz, "%s: expected a string", key);
	*s = jv_string_value(f);
	*len = jv_string_length(f);
	return 0;
}

static bool same_bytes(const uint8_t *a, int alen, const uint8_t *b, size_t blen)
{
	return alen >= 0 && (size_t)alen == blen && memcmp(a, b, blen) == 0;
}

/* ------------------------------------------------------------------------ */
/* Digit strings                                                             */

/* TBCD (TS 29.002) and BCD (TS 24.008) share one digit set; 0xF is the filler. */
static const char tbcd_chars[] = "0123456789*#abc";

/* Nibbles [0, ndig) as TBCD characters. osmo_bcd2str walks the nibbles; its A-F
 * become * # a b c, and an F inside the number (not representable) becomes 'f'. */
static void tbcd_to_str(const uint8_t *p, size_t ndig, char *out, size_t outsz)
{
	char *s;

	osmo_bcd2str(out, outsz, p, 0, (int)ndig, true);
	for (s = out; *s; s++)
		if (*s >= 'A')
			*s = *s == 'F' ? 'f' : tbcd_chars[*s - 'A' + 10];
}

/* Digits of a TBCD string whose last nibble may be the F filler. */
static size_t tbcd_digits(const uint8_t *p, size_t n, char *out, size_t outsz)
{
	size_t ndig = 2 * n;

	if (n && (p[n - 1] >> 4) == 0xf)
		ndig--;
	tbcd_to_str(p, ndig, out, outsz);
	return ndig;
}

/* TBCD characters to octets with an F filler (osmo_str2bcd does the packing once
 * the characters are mapped to its hex digits). Returns octets or -1. */
static int tbcd_encode(const char *what, const char *s, size_t len, uint8_t *out, size_t cap,
		       char *err, size_t errsz)
{
	char hex[MAX_DIGITS + 1];
	const char *c;
	size_t i;
	int rc;

	if (len > MAX_DIGITS)
		return fail(err, errsz, "%s: %zu digits, at most %d", what, len, MAX_DIGITS);
	for (i = 0; i < len; i++) {
		c = s[i] ? strchr(tbcd_chars, s[i] >= 'A' && s[i] <= 'C' ? s[i] + 32 : s[i]) : NULL;
		if (!c)
			return fail(err, errsz, "%s: invalid digit '%c' at %zu (allowed: 0-9 * # a b c)",
				    what, s[i], i);
		hex[i] = "0123456789ABCDEF"[c - tbcd_chars];
	}
	hex[len] = '\0';
	if ((len + 1) / 2 > cap)
		return fail(err, errsz, "%s: %zu digits do not fit in %zu octets", what, len, cap);
	if (!len)
		return 0;
	rc = osmo_str2bcd(out, cap, hex, 0, -1, true);
	return rc < 0 ? fail(err, errsz, "%s: cannot encode digits", what) : rc;
}

/* ISUP (Q.763) digits: every nibble value is an address signal, shown in hex. */
static void isup_to_str(const uint8_t *p, size_t ndig, char *out, size_t outsz)
{
	char *s;

	osmo_bcd2str(out, outsz, p, 0, (int)ndig, true);
	for (s = out; *s; s++)
		if (*s >= 'A')
			*s += 32;
}

/* ISUP digits to octets; an odd count leaves the Q.763 filler 0000 on top. */
static int isup_digits_encode(const char *s, size_t len, uint8_t *out, size_t cap,
			      char *err, size_t errsz)
{
	size_t i;
	int rc;

	if (len > MAX_DIGITS)
		return fail(err, errsz, "digits: %zu digits, at most %d", len, MAX_DIGITS);
	for (i = 0; i < len; i++)
		if (!s[i] || !strchr("0123456789abcdefABCDEF", s[i]))
			return fail(err, errsz, "digits: invalid digit '%c' at %zu (allowed: hex nibbles 0-9 a-f)",
				    s[i], i);
	if ((len + 1) / 2 > cap)
		return fail(err, errsz, "digits: %zu digits do not fit in %zu octets", len, cap);
	if (!len)
		return 0;
	rc = osmo_str2bcd(out, cap, s, 0, -1, true);
	if (rc < 0)
		return fail(err, errsz, "digits: cannot encode");
	if (len & 1)
		out[rc - 1] &= 0x0f;
	return rc;
}

/* ------------------------------------------------------------------------ */
/* UTF-8, GSM 7-bit default alphabet (TS 23.038 6.2.1) and UCS2              */

#define UTF8_BAD	0xffffffffu

/* Next code point, or -1 for malformed UTF-8 (overlong, surrogate, > U+10FFFF). */
static int32_t utf8_get(const char *s, size_t len, size_t *pos)
{
	static const uint32_t min[] = { 0, 0x80, 0x800, 0x10000 };
	const unsigned char *u = (const unsigned char *)s + *pos;
	size_t left = len - *pos;
	uint32_t c;
	int n, i;

	if (u[0] < 0x80) {
		*pos += 1;
		return u[0];
	}
	if ((u[0] & 0xe0) == 0xc0) {
		n = 1;
		c = u[0] & 0x1f;
	} else if ((u[0] & 0xf0) == 0xe0) {
		n = 2;
		c = u[0] & 0x0f;
	} else if ((u[0] & 0xf8) == 0xf0) {
		n = 3;
		c = u[0] & 0x07;
	} else {
		return -1;
	}
	if (left < (size_t)n + 1)
		return -1;
	for (i = 1; i <= n; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return -1;
		c = c << 6 | (u[i] & 0x3f);
	}
	if (c < min[n] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -1;
	*pos += n + 1;
	return (int32_t)c;
}

static size_t utf8_put(char *o, uint32_t c)
{
	if (c < 0x80) {
		o[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (char)(0xc0 | c >> 6);
		o[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (char)(0xe0 | c >> 12);
		o[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		o[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | c >> 18);
	o[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	o[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/* libosmocore maps septets to a lossy Latin-1 subset (no Greek, '€' comes out as
 * '{'), so the default alphabet and its extension table live here as Unicode.
 * 0x1B is the escape; as a character it shows as a space (NBSP, never encoded). */
static const uint16_t gsm7_default[128] = {
	0x0040, 0x00a3, 0x0024, 0x00a5, 0x00e8, 0x00e9, 0x00f9, 0x00ec,
	0x00f2, 0x00c7, 0x000a, 0x00d8, 0x00f8, 0x000d, 0x00c5, 0x00e5,
	0x0394, 0x005f, 0x03a6, 0x0393, 0x039b, 0x03a9, 0x03a0, 0x03a8,
	0x03a3, 0x0398, 0x039e, 0x00a0, 0x00c6, 0x00e6, 0x00df, 0x00c9,
	0x0020, 0x0021, 0x0022, 0x0023, 0x00a4, 0x0025, 0x0026, 0x0027,
	0x0028, 0x0029, 0x002a, 0x002b, 0x002c, 0x002d, 0x002e, 0x002f,
	0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037,
	0x0038, 0x0039, 0x003a, 0x003b, 0x003c, 0x003d, 0x003e, 0x003f,
	0x00a1, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047,
	0x0048, 0x0049, 0x004a, 0x004b, 0x004c, 0x004d, 0x004e, 0x004f,
	0x0050, 0x0051, 0x0052, 0x0053, 0x0054, 0x0055, 0x0056, 0x0057,
	0x0058, 0x0059, 0x005a, 0x00c4, 0x00d6, 0x00d1, 0x00dc, 0x00a7,
	0x00bf, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067,
	0x0068, 0x0069, 0x006a, 0x006b, 0x006c, 0x006d, 0x006e, 0x006f,
	0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077,
	0x0078, 0x0079, 0x007a, 0x00e4, 0x00f6, 0x00f1, 0x00fc, 0x00e0,
};

static const struct { uint8_t septet; uint16_t ucs; } gsm7_ext[] = {
	{ 0x0a, 0x000c }, { 0x14, '^' }, { 0x28, '{' }, { 0x29, '}' }, { 0x2f, '\\' },
	{ 0x3c, '[' }, { 0x3d, '~' }, { 0x3e, ']' }, { 0x40, '|' }, { 0x65, 0x20ac },
};

#define GSM7_ESC	0x1b

/* An escaped septet; unknown ones show as their default-table character (6.2.1.1). */
static uint32_t gsm7_ext_ucs(uint8_t s)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(gsm7_ext); i++)
		if (gsm7_ext[i].septet == s)
			return gsm7_ext[i].ucs;
	return gsm7_default[s & 0x7f];
}

/* Septets for one code point: 1, 2 (escape + extension) or 0 when not in the alphabet. */
static int gsm7_septets(uint32_t c, uint8_t s[2])
{
	size_t i;

	/* most text is ASCII that sits at its own code in the default table */
	if ((c >= 0x20 && c <= 0x5a && c != 0x24 && c != 0x40) || (c >= 0x61 && c <= 0x7a)) {
		s[0] = (uint8_t)c;
		return 1;
	}
	for (i = 0; i < 128; i++) {
		if (gsm7_default[i] == c && i != GSM7_ESC) {
			s[0] = (uint8_t)i;
			return 1;
		}
	}
	for (i = 0; i < ARRAY_SIZE(gsm7_ext); i++) {
		if (gsm7_ext[i].ucs == c) {
			s[0] = GSM7_ESC;
			s[1] = gsm7_ext[i].septet;
			return 2;
		}
	}
	return 0;
}

/* Septets to UTF-8; out needs 2 octets per septet plus the NUL. A dangling
 * escape at the end is dropped (the re-encoding then differs and hex is kept). */
static size_t gsm7_to_utf8(const uint8_t *sept, size_t n, char *out)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (sept[i] == GSM7_ESC) {
			if (i + 1 == n)
				break;
			o += utf8_put(out + o, gsm7_ext_ucs(sept[++i]));
		} else {
			o += utf8_put(out + o, gsm7_default[sept[i] & 0x7f]);
		}
	}
	out[o] = '\0';
	return o;
}

/* UTF-8 to septets: the count, -1 with *bad = the code point not in the alphabet
 * (UTF8_BAD for malformed UTF-8), or -2 when more than max septets. */
static int utf8_to_gsm7(const char *s, size_t len, uint8_t *sept, size_t max, uint32_t *bad)
{
	size_t pos = 0, n = 0;
	uint8_t two[2];
	int32_t c;
	int k;

	while (pos < len) {
		c = utf8_get(s, len, &pos);
		if (c < 0) {
			*bad = UTF8_BAD;
			return -1;
		}
		k = gsm7_septets((uint32_t)c, two);
		if (!k) {
			*bad = (uint32_t)c;
			return -1;
		}
		if (n + k > max)
			return -2;
		memcpy(sept + n, two, k);
		n += k;
	}
	return (int)n;
}

/* Whether every character of the UTF-8 text has a GSM 7-bit septet. */
static bool gsm7_fits(const char *s, size_t len)
{
	uint8_t two[2];
	size_t pos = 0;
	int32_t c;

	while (pos < len) {
		c = utf8_get(s, len, &pos);
		if (c < 0 || !gsm7_septets((uint32_t)c, two))
			return false;
	}
	return true;
}

static int text_error(const char *what, int rc, uint32_t bad, size_t max, char *err, size_t errsz)
{
	if (rc == -2)
		return fail(err, errsz, "%s: too long (more than %zu septets)", what, max);
	if (bad == UTF8_BAD)
		return fail(err, errsz, "%s: invalid UTF-8", what);
	return fail(err, errsz, "%s: U+%04X is not in the GSM 7-bit default alphabet", what, bad);
}

/* Septet i sits at bit offset bitoff + 7 * i, least significant bit first (6.1.2.1.1);
 * the caller guarantees the octets covering all those bits are there. */
static void unpack7(const uint8_t *p, size_t bitoff, size_t nsept, uint8_t *sept)
{
	size_t i, b, o;
	unsigned sh, v;

	for (i = 0; i < nsept; i++) {
		b = bitoff + 7 * i;
		o = b >> 3;
		sh = b & 7;
		v = p[o] >> sh;
		if (sh > 1)
			v |= (unsigned)p[o + 1] << (8 - sh);
		sept[i] = v & 0x7f;
	}
}

/* The inverse, into a zeroed buffer (so fill and spare bits stay 0); returns the
 * number of octets the bits reach into. libosmocore's gsm_septet_pack() does this
 * too but mallocs on every call, which the decode path (re-encoding) cannot afford. */
static size_t pack7(uint8_t *p, size_t bitoff, const uint8_t *sept, size_t nsept)
{
	size_t i, b, o;
	unsigned sh;

	for (i = 0; i < nsept; i++) {
		b = bitoff + 7 * i;
		o = b >> 3;
		sh = b & 7;
		p[o] |= (uint8_t)(sept[i] << sh);
		if (sh > 1)
			p[o + 1] |= (uint8_t)(sept[i] >> (8 - sh));
	}
	return (bitoff + 7 * nsept + 7) / 8;
}

/* UTF-16BE to UTF-8 (SMS "UCS2" is UTF-16 in practice): pairs are joined, a lone
 * surrogate becomes U+FFFD. n is even; out needs 3 * n / 2 + 1 octets. */
static size_t ucs2_to_utf8(const uint8_t *p, size_t n, char *out)
{
	size_t i, o = 0;
	uint32_t c, lo;

	for (i = 0; i + 1 < n; i += 2) {
		c = (uint32_t)p[i] << 8 | p[i + 1];
		if (c >= 0xd800 && c <= 0xdbff && i + 3 < n) {
			lo = (uint32_t)p[i + 2] << 8 | p[i + 3];
			if (lo >= 0xdc00 && lo <= 0xdfff) {
				c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
				i += 2;
			}
		}
		if (c >= 0xd800 && c <= 0xdfff)
			c = 0xfffd;
		o += utf8_put(out + o, c);
	}
	out[o] = '\0';
	return o;
}

/* UTF-8 to UTF-16BE: octets, -1 for malformed UTF-8, -2 when it exceeds cap. */
static int utf8_to_ucs2(const char *s, size_t len, uint8_t *out, size_t cap)
{
	size_t pos = 0, o = 0;
	int32_t c;
	uint32_t u;

	while (pos < len) {
		c = utf8_get(s, len, &pos);
		if (c < 0)
			return -1;
		u = (uint32_t)c;
		if (u >= 0x10000) {
			if (o + 4 > cap)
				return -2;
			u -= 0x10000;
			out[o++] = (uint8_t)(0xd8 | u >> 18);
			out[o++] = (uint8_t)(u >> 10);
			out[o++] = (uint8_t)(0xdc | ((u >> 8) & 3));
			out[o++] = (uint8_t)u;
		} else {
			if (o + 2 > cap)
				return -2;
			out[o++] = (uint8_t)(u >> 8);
			out[o++] = (uint8_t)u;
		}
	}
	return (int)o;
}

/* ------------------------------------------------------------------------ */
/* Data coding schemes (TS 23.038)                                           */

enum ud_kind { UD_GSM7, UD_8BIT, UD_UCS2 };

/* Alphabet field of the general coding groups, bits 3..2. */
static const struct value_string alphabet_names[] = {
	{ 0, "gsm7" }, { 1, "8bit" }, { 2, "ucs2" }, { 3, "reserved" }, { 0, NULL }
};

struct dcs_info {
	enum ud_kind kind;
	unsigned alphabet;	/* index into alphabet_names */
	int cls;		/* message class, -1 when none */
	bool compressed;
};

/* SMS DCS, TS 23.038 4 (gsm338_get_sms_alphabet() misses the 01xx automatic
 * deletion group and logs on compressed texts, so it is done here). Reserved
 * groups are read as GSM 7-bit as the spec says; compressed or reserved-alphabet
 * user data stays raw data. */
static void sms_dcs(uint8_t dcs, struct dcs_info *d)
{
	d->cls = -1;
	d->compressed = false;
	if (dcs < 0x80) {
		d->compressed = dcs & 0x20;
		if (dcs & 0x10)
			d->cls = dcs & 3;
		d->alphabet = (dcs >> 2) & 3;
	} else if ((dcs & 0xf0) == 0xe0) {
		d->alphabet = 2;
	} else if ((dcs & 0xf0) == 0xf0) {
		d->alphabet = dcs & 0x04 ? 1 : 0;
		d->cls = dcs & 3;
	} else {
		d->alphabet = 0;
	}
	if (d->compressed || d->alphabet == 1 || d->alphabet == 3)
		d->kind = UD_8BIT;
	else
		d->kind = d->alphabet == 2 ? UD_UCS2 : UD_GSM7;
}

/* CBS DCS as used for USSD, TS 23.038 5. *lang: the text starts with a language. */
static enum ud_kind cbs_kind(uint8_t dcs, bool *lang)
{
	unsigned grp = dcs >> 4;

	*lang = false;
	switch (grp) {
	case 0x1:
		if ((dcs & 0x0f) > 1)
			return UD_GSM7;
		*lang = true;
		return dcs & 1 ? UD_UCS2 : UD_GSM7;
	case 0x4: case 0x5: case 0x6: case 0x7:
		if (dcs & 0x20)		/* compressed */
			return UD_8BIT;
		switch ((dcs >> 2) & 3) {
		case 0: return UD_GSM7;
		case 2: return UD_UCS2;
		default: return UD_8BIT;
		}
	case 0x9:			/* with a UDH: meaningless for USSD, keep raw */
	case 0xe:			/* WAP */
		return UD_8BIT;
	case 0xf:
		return dcs & 0x04 ? UD_8BIT : UD_GSM7;
	default:			/* languages and reserved groups: GSM 7-bit */
		return UD_GSM7;
	}
}

/* ------------------------------------------------------------------------ */
/* AddressString (TS 29.002) and TBCD-STRING                                 */

static const struct value_string addr_nature_names[] = {
	{ 0, "unknown" }, { 1, "international" }, { 2, "national" },
	{ 3, "networkSpecific" }, { 4, "subscriber" }, { 5, "reserved" },
	{ 6, "abbreviated" }, { 7, "reservedForExtension" }, { 0, NULL }
};

static const struct value_string addr_plan_names[] = {
	{ 0, "unknown" }, { 1, "isdn" }, { 2, "spare2" }, { 3, "data" }, { 4, "telex" },
	{ 5, "spare5" }, { 6, "landMobile" }, { 7, "spare7" }, { 8, "national" },
	{ 9, "private" }, { 15, "reservedForExtension" }, { 0, NULL }
};

/* A number: one header octet (ext | nature | plan) and TBCD digits, the layout of
 * both the MAP AddressString and the TS 24.008 BCD number. */
struct number {
	uint8_t nature, plan;
	char digits[MAX_DIGITS + 1];
};

static int number_decode(struct number *x, const uint8_t *p, size_t n, char *err, size_t errsz)
{
	if (n == 0)
		return fail(err, errsz, "empty number");
	if ((n - 1) * 2 > MAX_DIGITS)
		return fail(err, errsz, "number longer than %d digits", MAX_DIGITS);
	/* an ext bit of 0 is not expressible: the re-encoding sets it, so hex is kept */
	x->nature = (p[0] >> 4) & 7;
	x->plan = p[0] & 0x0f;
	tbcd_digits(p + 1, n - 1, x->digits, sizeof(x->digits));
	return 0;
}

static int number_encode(const struct number *x, uint8_t *out, size_t cap, char *err, size_t errsz)
{
	int rc;

	if (cap < 1)
		return fail(err, errsz, "no room for the number");
	out[0] = 0x80 | x->nature << 4 | x->plan;
	rc = tbcd_encode("digits", x->digits, strlen(x->digits), out + 1, cap - 1, err, errsz);
	return rc < 0 ? rc : rc + 1;
}

static void number_write(struct jw *w, const struct number *x, const struct value_string *natures,
			 const struct value_string *plans)
{
	put_named(w, "nature", natures, x->nature);
	put_named(w, "plan", plans, x->plan);
	jw_kstr(w, "digits", x->digits);
}

/* Digits, possibly "+"-prefixed, from a string or the "digits" member. */
static int digits_from(const jv_t *v, const char **s, size_t *len, bool *plus,
		       char *err, size_t errsz)
{
	*s = "";
	*len = 0;
	*plus = false;
	if (jv_is_string(v)) {
		*s = jv_string_value(v);
		*len = jv_string_length(v);
	} else if (jv_is_object(v)) {
		if (get_str(v, "digits", s, len, err, errsz) < 0)
			return -1;
		if (!*s) {
			*s = "";
			*len = 0;
		}
	} else {
		return fail(err, errsz, "expected an object or a digit string");
	}
	*plus = *len && **s == '+';
	if (*plus) {
		(*s)++;
		(*len)--;
	}
	if (*len > MAX_DIGITS)
		return fail(err, errsz, "digits: %zu digits, at most %d", *len, MAX_DIGITS);
	return 0;
}

static int number_parse(const jv_t *v, struct number *x, const struct value_string *natures,
			const struct value_string *plans, char *err, size_t errsz)
{
	static const char *const keys[] = { "nature", "plan", "digits", "hex" };
	const jv_t *o = jv_is_object(v) ? v : NULL, *m;
	const char *s;
	size_t len, i, k;
	bool plus;
	int nat, plan;

	/* a typo must not become a number with no digits */
	jv_object_foreach(o, i, m) {
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]) && strcmp(m->key, keys[k]); k++)
			;
		if (k == sizeof(keys) / sizeof(keys[0]))
			return fail(err, errsz, "unknown field \"%s\"", m->key);
	}
	if (o && !jv_object_get(o, "digits"))
		return fail(err, errsz, "digits: missing");
	if (digits_from(v, &s, &len, &plus, err, errsz) < 0)
		return -1;
	nat = get_named(o, "nature", natures, 7, plus ? 1 : 0, err, errsz);
	if (nat < 0)
		return -1;
	plan = get_named(o, "plan", plans, 15, 1, err, errsz);
	if (plan < 0)
		return -1;
	x->nature = (uint8_t)nat;
	x->plan = (uint8_t)plan;
	memcpy(x->digits, s, len);
	x->digits[len] = '\0';
	return 0;
}

/* AddressString and the BCD number share one layout; only the names differ. */
static void number_to_json(struct jw *w, const uint8_t *p, size_t n, const struct value_string *natures,
			   const struct value_string *plans)
{
	struct number x;
	uint8_t enc[MAX_DIGITS / 2 + 1];
	char err[64];
	int len;

	if (number_decode(&x, p, n, err, sizeof(err)) < 0) {
		write_error(w, p, n, err);
		return;
	}
	len = number_encode(&x, enc, sizeof(enc), NULL, 0);
	jw_obj_begin(w);
	number_write(w, &x, natures, plans);
	if (!same_bytes(enc, len, p, n))
		jw_khex(w, "hex", p, n);
	jw_obj_end(w);
}

static int number_from_json(const jv_t *v, uint8_t *out, size_t cap, const struct value_string *natures,
			    const struct value_string *plans, char *err, size_t errsz)
{
	struct number x;
	int rc = hex_member(v, out, cap, err, errsz);

	if (rc != ABSENT)
		return rc;
	if (number_parse(v, &x, natures, plans, err, errsz) < 0)
		return -1;
	return number_encode(&x, out, cap, err, errsz);
}

void gsmv_address_to_json(struct jw *w, const uint8_t *p, size_t n)
{
	number_to_json(w, p, n, addr_nature_names, addr_plan_names);
}

int gsmv_address_from_json(const jv_t *v, uint8_t *out, size_t cap, char *err, size_t errsz)
{
	return number_from_json(v, out, cap, addr_nature_names, addr_plan_names, err, errsz);
}

void gsmv_tbcd_to_json(struct jw *w, const uint8_t *p, size_t n)
{
	char digits[MAX_DIGITS + 1];
	uint8_t enc[MAX_DIGITS / 2];
	size_t ndig;
	int len;

	if (n > MAX_DIGITS / 2) {
		write_error(w, p, n, "TBCD string too long");
		return;
	}
	ndig = tbcd_digits(p, n, digits, sizeof(digits));
	len = tbcd_encode("digits", digits, ndig, enc, sizeof(enc), NULL, 0);
	if (same_bytes(enc, len, p, n)) {
		jw_str(w, digits);
		return;
	}
	jw_obj_begin(w);
	jw_kstr(w, "digits", digits);
	jw_khex(w, "hex", p, n);
	jw_obj_end(w);
}

int gsmv_tbcd_from_json(const jv_t *v, uint8_t *out, size_t cap, char *err, size_t errsz)
{
	const char *s;
	size_t len;
	int rc = hex_member(v, out, cap, err, errsz);

	if (rc != ABSENT)
		return rc;
	if (jv_is_string(v)) {
		s = jv_string_value(v);
		len = jv_string_length(v);
	} else if (jv_is_object(v)) {
		if (get_str(v, "digits", &s, &len, err, errsz) < 0)
			return -1;
		if (!s)
			return fail(err, errsz, "expected \"digits\" or \"hex\"");
	} else {
		return fail(err, errsz, "expected a digit string");
	}
	return tbcd_encode("digits", s, len, out, cap, err, errsz);
}

/* ------------------------------------------------------------------------ */
/* USSD-String (TS 23.038 5, 6.1.2.3)                                        */

struct ussd {
	uint8_t dcs;
	enum ud_kind kind;
	bool lang_prefix;		/* DCS 0x10/0x11: two language characters first */
	const char *lang;
	size_t lang_len;
	const char *text;
	size_t text_len;
	const uint8_t *data;
	size_t data_len;
	char langbuf[8];
	char textbuf[USSD_TEXT_MAX];
};

static void ussd_init(struct ussd *u, uint8_t dcs)
{
	u->dcs = dcs;
	u->kind = cbs_kind(dcs, &u->lang_prefix);
	u->lang = u->text = NULL;
	u->data = NULL;
	u->lang_len = u->text_len = u->data_len = 0;
}

static int ussd_decode(struct ussd *u, uint8_t dcs, const uint8_t *p, size_t n,
		       char *err, size_t errsz)
{
	uint8_t sept[USSD_SEPT_MAX + 1];
	size_t nsept, start = 0;

	ussd_init(u, dcs);
	if (n > USSD_IN_MAX)
		return fail(err, errsz, "USSD string longer than %d octets", USSD_IN_MAX);
	if (u->kind == UD_8BIT) {
		u->data = p;
		u->data_len = n;
		return 0;
	}
	u->lang = u->langbuf;
	u->text = u->textbuf;
	if (u->kind == UD_GSM7) {
		nsept = n * 8 / 7;
		unpack7(p, 0, nsept, sept);
		/* 7 spare bits at the end carry a CR that is padding, not text */
		if (nsept && (n * 8) % 7 == 0 && sept[nsept - 1] == CR)
			nsept--;
		if (u->lang_prefix) {
			start = nsept < 3 ? nsept : 3;	/* the third one is a CR */
			u->lang_len = gsm7_to_utf8(sept, start < 2 ? start : 2, u->langbuf);
		}
		u->text_len = gsm7_to_utf8(sept + start, nsept - start, u->textbuf);
		return 0;
	}
	if (u->lang_prefix && n >= 2) {
		/* two septets padded to two octets, then UCS2 */
		unpack7(p, 0, 2, sept);
		u->lang_len = gsm7_to_utf8(sept, 2, u->langbuf);
		start = 2;
	}
	u->text_len = ucs2_to_utf8(p + start, (n - start) & ~(size_t)1, u->textbuf);
	return 0;
}

static int ussd_encode(const struct ussd *u, uint8_t *out, size_t cap, char *err, size_t errsz)
{
	uint8_t sept[USSD_SEPT_MAX + 4];
	size_t nsept = 0, len = 0;
	uint32_t bad = 0;
	int rc;

	if (u->kind == UD_8BIT) {
		if (u->text)
			return fail(err, errsz, "text: DCS 0x%02x carries 8-bit data, give \"data\" as hex", u->dcs);
		len = u->data_len;
		if (len > USSD_MAX || len > cap)
			return fail(err, errsz, "data: %zu octets, at most %d", len, USSD_MAX);
		memcpy(out, u->data, len);
		return (int)len;
	}
	if (u->data)
		return fail(err, errsz, "data: DCS 0x%02x carries text, give \"text\"", u->dcs);
	if (u->lang_prefix) {
		rc = utf8_to_gsm7(u->lang ? u->lang : "", u->lang_len, sept, 2, &bad);
		if (rc != 2)
			return fail(err, errsz, "language: DCS 0x%02x needs two GSM 7-bit letters", u->dcs);
		nsept = 2;
	}
	if (u->kind == UD_UCS2) {
		if (nsept) {
			if (cap < 2)
				return fail(err, errsz, "no room for the language");
			memset(out, 0, 2);
			len = pack7(out, 0, sept, 2);
		}
		rc = utf8_to_ucs2(u->text ? u->text : "", u->text_len, out + len,
				  (cap < USSD_MAX ? cap : USSD_MAX) - len);
		if (rc < 0)
			return fail(err, errsz, rc == -1 ? "text: invalid UTF-8" :
				    "text: too long (at most %d octets of UCS2)", USSD_MAX);
		return (int)len + rc;
	}
	if (u->lang_prefix)
		sept[nsept++] = CR;
	rc = utf8_to_gsm7(u->text ? u->text : "", u->text_len, sept + nsept, USSD_SEPT_MAX - nsept, &bad);
	if (rc < 0)
		return text_error("text", rc, bad, USSD_MAX * 8 / 7, err, errsz);
	nsept += rc;
	/* 6.1.2.3.1: 7 spare bits get a CR; a CR that ends on an octet boundary gets another */
	if ((nsept * 7) % 8 == 1)
		sept[nsept++] = CR;
	else if (nsept && (nsept * 7) % 8 == 0 && sept[nsept - 1] == CR)
		sept[nsept++] = CR;
	len = (nsept * 7 + 7) / 8;
	if (len > USSD_MAX)
		return fail(err, errsz, "text: too long (%zu septets, at most %d)", nsept, USSD_MAX * 8 / 7);
	if (len > cap)
		return fail(err, errsz, "text: %zu octets do not fit in %zu", len, cap);
	memset(out, 0, len);
	pack7(out, 0, sept, nsept);
	return (int)len;
}

void gsmv_ussd_to_json(struct jw *w, uint8_t dcs, const uint8_t *p, size_t n)
{
	struct ussd u;
	uint8_t enc[USSD_MAX];
	char err[64];
	int len;

	if (ussd_decode(&u, dcs, p, n, err, sizeof(err)) < 0) {
		write_error(w, p, n, err);
		return;
	}
	len = ussd_encode(&u, enc, sizeof(enc), NULL, 0);
	jw_obj_begin(w);
	if (u.lang_prefix) {
		jw_key(w, "language");
		jw_strn(w, u.lang, u.lang_len);
	}
	if (u.kind == UD_8BIT) {
		jw_khex(w, "data", u.data, u.data_len);
	} else {
		jw_key(w, "text");
		jw_strn(w, u.text, u.text_len);
	}
	if (!same_bytes(enc, len, p, n))
		jw_khex(w, "hex", p, n);
	jw_obj_end(w);
}

int gsmv_ussd_from_json(const jv_t *v, uint8_t dcs, uint8_t *out, size_t cap, char *err, size_t errsz)
{
	struct ussd u;
	uint8_t data[USSD_MAX];
	const jv_t *d;
	int rc = hex_member(v, out, cap, err, errsz);

	if (rc != ABSENT)
		return rc;
	ussd_init(&u, dcs);
	if (jv_is_string(v)) {
		u.text = jv_string_value(v);
		u.text_len = jv_string_length(v);
	} else if (jv_is_object(v)) {
		if (get_str(v, "text", &u.text, &u.text_len, err, errsz) < 0 ||
		    get_str(v, "language", &u.lang, &u.lang_len, err, errsz) < 0)
			return -1;
		d = jv_object_get(v, "data");
		if (d) {
			rc = parse_hex(d, "data", data, sizeof(data), err, errsz);
			if (rc < 0)
				return -1;
			u.data = data;
			u.data_len = (size_t)rc;
		}
		if (u.text && u.data)
			return fail(err, errsz, "give either \"text\" or \"data\"");
	} else {
		return fail(err, errsz, "USSD string: expected a string or an object");
	}
	if (u.kind != UD_8BIT && !u.text && !u.data)
		u.text = "";
	if (u.kind == UD_8BIT && !u.text && !u.data)
		u.data = data;
	return ussd_encode(&u, out, cap, err, errsz);
}

uint8_t gsmv_ussd_pick_dcs(const char *utf8)
{
	return !utf8 || gsm7_fits(utf8, strlen(utf8)) ? 0x0f : 0x48;
}

/* ------------------------------------------------------------------------ */
/* SMS TPDU (TS 23.040 9.2)                                                  */

enum tp_type {
	TP_DELIVER, TP_SUBMIT, TP_STATUS_REPORT, TP_COMMAND,
	TP_DELIVER_REPORT, TP_SUBMIT_REPORT, TP_NTYPES
};

static const struct value_string tp_type_names[] = {
	{ TP_DELIVER, "SMS-DELIVER" }, { TP_SUBMIT, "SMS-SUBMIT" },
	{ TP_STATUS_REPORT, "SMS-STATUS-REPORT" }, { TP_COMMAND, "SMS-COMMAND" },
	{ TP_DELIVER_REPORT, "SMS-DELIVER-REPORT" }, { TP_SUBMIT_REPORT, "SMS-SUBMIT-REPORT" },
	{ 0, NULL }
};

/* TP-MTI means different types per direction (9.2.3.1); 3 is reserved. */
static const int8_t tp_type_of[2][4] = {
	[SMS_MS_TO_SC] = { TP_DELIVER_REPORT, TP_SUBMIT, TP_COMMAND, -1 },
	[SMS_SC_TO_MS] = { TP_DELIVER, TP_SUBMIT_REPORT, TP_STATUS_REPORT, -1 },
};

static const uint8_t tp_mti_of[TP_NTYPES] = {
	[TP_DELIVER] = 0, [TP_SUBMIT] = 1, [TP_STATUS_REPORT] = 2, [TP_COMMAND] = 2,
	[TP_DELIVER_REPORT] = 0, [TP_SUBMIT_REPORT] = 1,
};

static const enum sms_direction tp_dir_of[TP_NTYPES] = {
	[TP_DELIVER] = SMS_SC_TO_MS, [TP_SUBMIT] = SMS_MS_TO_SC,
	[TP_STATUS_REPORT] = SMS_SC_TO_MS, [TP_COMMAND] = SMS_MS_TO_SC,
	[TP_DELIVER_REPORT] = SMS_MS_TO_SC, [TP_SUBMIT_REPORT] = SMS_SC_TO_MS,
};

#define TP_UDHI		0x40
#define TP_VPF_SHIFT	3

/* First-octet flags; TP-MMS is shown by its meaning, so its bit is inverted. */
struct tp_flag {
	const char *name;
	uint8_t mask;
	bool inverted;
};

static const struct tp_flag tp_flags[TP_NTYPES][5] = {
	[TP_DELIVER] = { { "mms", 0x04, true }, { "lp", 0x08, false }, { "sri", 0x20, false },
			 { "rp", 0x80, false } },
	[TP_SUBMIT] = { { "rd", 0x04, false }, { "srr", 0x20, false }, { "rp", 0x80, false } },
	[TP_STATUS_REPORT] = { { "mms", 0x04, true }, { "lp", 0x08, false }, { "srq", 0x20, false } },
	[TP_COMMAND] = { { "srr", 0x20, false } },
};

/* The fields after the first octet, in order (9.2.2). After F_PI the PID, DCS and
 * UD are there only when TP-PI says so; F_FCS only in the RP-ERROR flavour. */
enum tp_field {
	F_END, F_MR, F_ADDR, F_PID, F_DCS, F_VP, F_SCTS, F_DT, F_ST, F_CT, F_MN, F_CD,
	F_FCS, F_PI, F_UD
};

static const uint8_t tp_layout[TP_NTYPES][10] = {
	[TP_DELIVER] = { F_ADDR, F_PID, F_DCS, F_SCTS, F_UD },
	[TP_SUBMIT] = { F_MR, F_ADDR, F_PID, F_DCS, F_VP, F_UD },
	[TP_STATUS_REPORT] = { F_MR, F_ADDR, F_SCTS, F_DT, F_ST, F_PI, F_PID, F_DCS, F_UD },
	[TP_COMMAND] = { F_MR, F_PID, F_CT, F_MN, F_ADDR, F_CD },
	[TP_DELIVER_REPORT] = { F_FCS, F_PI, F_PID, F_DCS, F_UD },
	[TP_SUBMIT_REPORT] = { F_FCS, F_PI, F_SCTS, F_PID, F_DCS, F_UD },
};

static const char *const tp_field_names[] = {
	[F_MR] = "TP-MR", [F_ADDR] = "TP-address", [F_PID] = "TP-PID", [F_DCS] = "TP-DCS",
	[F_VP] = "TP-VP", [F_SCTS] = "TP-SCTS", [F_DT] = "TP-DT", [F_ST] = "TP-ST",
	[F_CT] = "TP-CT", [F_MN] = "TP-MN", [F_CD] = "TP-CD", [F_FCS] = "TP-FCS",
	[F_PI] = "TP-PI", [F_UD] = "TP-UD",
};

static const char *const tp_addr_key[TP_NTYPES] = {
	[TP_DELIVER] = "oa", [TP_SUBMIT] = "da", [TP_STATUS_REPORT] = "ra", [TP_COMMAND] = "da",
};

/* TP-VP length per TP-VPF: none, enhanced, relative, absolute (9.2.3.3). */
static const uint8_t tp_vp_len[4] = { 0, 7, 1, 7 };

static const struct value_string tp_ton_names[] = {
	{ 0, "unknown" }, { 1, "international" }, { 2, "national" },
	{ 3, "networkSpecific" }, { 4, "subscriber" }, { 5, "alphanumeric" },
	{ 6, "abbreviated" }, { 7, "reservedForExtension" }, { 0, NULL }
};

static const struct value_string tp_npi_names[] = {
	{ 0, "unknown" }, { 1, "isdn" }, { 3, "data" }, { 4, "telex" },
	{ 5, "scSpecific1" }, { 6, "scSpecific2" }, { 8, "national" }, { 9, "private" },
	{ 10, "ermes" }, { 15, "reservedForExtension" }, { 0, NULL }
};

#define TON_ALPHA	5
#define TP_ADDR_MAX	20	/* semi-octets: address fields are 2..12 octets */
#define TP_ALPHA_MAX	11	/* septets in 10 octets */

struct tp_addr {
	uint8_t ton, npi;
	char str[TP_ALPHA_MAX * 3 + 1];	/* digits, or UTF-8 text when alphanumeric */
};

struct tpdu {
	enum tp_type type;
	uint8_t flags;			/* named first-octet flags and TP-UDHI */
	uint8_t vpf;
	uint8_t mr, pid, dcs, st, ct, mn, fcs, pi, udl;
	bool has_fcs, has_pi, has_pid, has_dcs, has_ud;
	struct tp_addr addr;
	uint8_t scts[7], dt[7], vp[7];
	const uint8_t *cd;
	size_t cd_len;
	bool has_udh;
	const uint8_t *udh;		/* the IEs, without the UDHL octet */
	size_t udh_len;
	const char *text;		/* GSM 7-bit or UCS2 user data as UTF-8 */
	size_t text_len;
	const uint8_t *data;		/* 8-bit user data */
	size_t data_len;
	char textbuf[TEXT_MAX];
	uint8_t udhbuf[UD_MAX], databuf[UD_MAX], cdbuf[UD_MAX + 17];
};

static bool tp_has(enum tp_type type, enum tp_field f)
{
	return memchr(tp_layout[type], f, sizeof(tp_layout[type])) != NULL;
}

static uint8_t tp_flag_mask(enum tp_type type)
{
	const struct tp_flag *f;
	uint8_t m = TP_UDHI;

	for (f = tp_flags[type]; f->name; f++)
		m |= f->mask;
	return m;
}

/* Timestamps (9.2.3.11): swapped BCD, the zone in quarter hours with bit 3 as sign. */
static bool ts_to_str(const uint8_t *t, char *buf, size_t bufsz)
{
	unsigned v[6], q, i;

	for (i = 0; i < 6; i++) {
		if ((t[i] & 15) > 9 || (t[i] >> 4) > 9)
			return false;
		v[i] = (t[i] & 15) * 10 + (t[i] >> 4);
	}
	if ((t[6] >> 4) > 9)
		return false;
	q = (t[6] & 7) * 10 + (t[6] >> 4);
	snprintf(buf, bufsz, "%04u-%02u-%02uT%02u:%02u:%02u%c%02u:%02u",
		 v[0] < 90 ? 2000 + v[0] : 1900 + v[0], v[1], v[2], v[3], v[4], v[5],
		 t[6] & 8 ? '-' : '+', q * 15 / 60, q * 15 % 60);
	return true;
}

static void ts_write(struct jw *w, const char *key, const uint8_t *t)
{
	char buf[32];

	jw_key(w, key);
	if (ts_to_str(t, buf, sizeof(buf))) {
		jw_str(w, buf);
		return;
	}
	jw_obj_begin(w);
	jw_khex(w, "hex", t, 7);
	jw_obj_end(w);
}

static uint8_t bcd_swapped(unsigned v)
{
	return (uint8_t)((v % 10) << 4 | (v / 10 % 10));
}

static unsigned num2(const char *s)
{
	return (unsigned)(s[0] - '0') * 10 + (unsigned)(s[1] - '0');
}

static int ts_parse(const jv_t *f, const char *key, uint8_t *t, char *err, size_t errsz)
{
	static const char tmpl[] = "dddd-dd-ddTdd:dd:dd+dd:dd";
	const char *s;
	size_t len, i;
	unsigned q = 0;

	if (jv_is_object(f)) {
		if (parse_hex(jv_object_get(f, "hex"), key, t, 7, err, errsz) != 7)
			return fail(err, errsz, "%s: \"hex\" must be 7 octets", key);
		return 0;
	}
	if (!jv_is_string(f))
		return fail(err, errsz, "%s: expected a time string like 2024-05-01T12:30:45+02:00", key);
	s = jv_string_value(f);
	len = jv_string_length(f);
	if (!(len == 20 && s[19] == 'Z') && len != 25)
		return fail(err, errsz, "%s: expected a time string like 2024-05-01T12:30:45+02:00", key);
	for (i = 0; i < len && i < 19 + (len == 25) * 6; i++) {
		if (tmpl[i] == 'd' ? (s[i] < '0' || s[i] > '9') :
		    tmpl[i] == '+' ? (s[i] != '+' && s[i] != '-') : s[i] != tmpl[i])
			return fail(err, errsz, "%s: malformed time at character %zu", key, i + 1);
	}
	if (len == 25) {
		q = num2(s + 20) * 60 + num2(s + 23);
		if (q % 15 || q / 15 > 79)
			return fail(err, errsz, "%s: zone offset must be quarter hours up to 19:45", key);
		q /= 15;
	}
	t[0] = bcd_swapped(num2(s + 2));
	t[1] = bcd_swapped(num2(s + 5));
	t[2] = bcd_swapped(num2(s + 8));
	t[3] = bcd_swapped(num2(s + 11));
	t[4] = bcd_swapped(num2(s + 14));
	t[5] = bcd_swapped(num2(s + 17));
	t[6] = bcd_swapped(q) | (len == 25 && s[19] == '-' ? 8 : 0);
	return 0;
}

static void ts_now(uint8_t *t)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	t[0] = bcd_swapped((unsigned)tm.tm_year % 100);
	t[1] = bcd_swapped((unsigned)tm.tm_mon + 1);
	t[2] = bcd_swapped((unsigned)tm.tm_mday);
	t[3] = bcd_swapped((unsigned)tm.tm_hour);
	t[4] = bcd_swapped((unsigned)tm.tm_min);
	t[5] = bcd_swapped((unsigned)tm.tm_sec);
	t[6] = 0;
}

static unsigned long vp_relative_seconds(uint8_t v)
{
	return gsm340_validity_period(GSM340_TP_VPF_RELATIVE, &v) * 60;
}

/* --- decoding --- */

struct cursor {
	const uint8_t *p;
	size_t n, i;
};

static const uint8_t *take(struct cursor *c, size_t k)
{
	const uint8_t *at = c->p + c->i;

	if (c->n - c->i < k)
		return NULL;
	c->i += k;
	return at;
}

static int tp_addr_decode(struct tp_addr *a, struct cursor *c, char *err, size_t errsz)
{
	uint8_t sept[TP_ADDR_MAX * 4 / 7 + 1];
	const uint8_t *h, *d;
	size_t nsept;

	h = take(c, 2);
	if (!h)
		return fail(err, errsz, "TPDU truncated at the TP address");
	if (h[0] > TP_ADDR_MAX)
		return fail(err, errsz, "TP address of %u semi-octets, at most %d", h[0], TP_ADDR_MAX);
	d = take(c, (h[0] + 1u) / 2);
	if (!d)
		return fail(err, errsz, "TPDU truncated in the TP address");
	a->ton = (h[1] >> 4) & 7;
	a->npi = h[1] & 0x0f;
	if (a->ton == TON_ALPHA) {
		nsept = h[0] * 4u / 7;
		unpack7(d, 0, nsept, sept);
		gsm7_to_utf8(sept, nsept, a->str);
	} else {
		tbcd_to_str(d, h[0], a->str, sizeof(a->str));
	}
	return 0;
}

static int tp_ud_decode(struct tpdu *t, struct cursor *c, char *err, size_t errsz)
{
	uint8_t sept[256];
	struct dcs_info d;
	const uint8_t *ud, *l;
	size_t octets, hdr = 0, hs = 0;

	l = take(c, 1);
	if (!l)
		return fail(err, errsz, "TPDU truncated at TP-UDL");
	t->udl = *l;
	sms_dcs(t->has_dcs ? t->dcs : 0, &d);
	octets = d.kind == UD_GSM7 ? (t->udl * 7u + 7) / 8 : t->udl;
	ud = take(c, octets);
	if (!ud)
		return fail(err, errsz, "TP-UDL %u exceeds the %zu octets of user data", t->udl, c->n - c->i);
	if ((t->flags & TP_UDHI) && octets) {
		hdr = ud[0] + 1u;
		if (hdr > octets)
			return fail(err, errsz, "UDHL %u exceeds the user data", ud[0]);
		t->has_udh = true;
		t->udh = ud + 1;
		t->udh_len = hdr - 1;
	}
	if (d.kind == UD_8BIT) {
		t->data = ud + hdr;
		t->data_len = octets - hdr;
	} else if (d.kind == UD_UCS2) {
		t->text = t->textbuf;
		t->text_len = ucs2_to_utf8(ud + hdr, (octets - hdr) & ~(size_t)1, t->textbuf);
	} else {
		/* the text starts at the septet boundary after the header (fill bits) */
		hs = (hdr * 8 + 6) / 7;
		if (hs > t->udl)
			return fail(err, errsz, "UDHL %u exceeds TP-UDL %u", ud[0], t->udl);
		unpack7(ud, hs * 7, t->udl - hs, sept);
		t->text = t->textbuf;
		t->text_len = gsm7_to_utf8(sept, t->udl - hs, t->textbuf);
	}
	return 0;
}

static int tp_field_decode(struct tpdu *t, enum tp_field f, struct cursor *c, char *err, size_t errsz)
{
	const uint8_t *b;
	uint8_t *one = NULL;
	size_t len;

	switch (f) {
	case F_ADDR:
		return tp_addr_decode(&t->addr, c, err, errsz);
	case F_UD:
		return t->has_ud ? tp_ud_decode(t, c, err, errsz) : 0;
	case F_FCS:
		/* only the RP-ERROR flavour has it; its values are 0x80..0xFF, TP-PI's are not */
		if (c->i < c->n && (c->p[c->i] & 0x80)) {
			t->has_fcs = true;
			t->fcs = c->p[c->i++];
		}
		return 0;
	case F_PI:
		if (t->type == TP_STATUS_REPORT && c->i == c->n)
			return 0;
		b = take(c, 1);
		if (!b)
			break;
		t->has_pi = true;
		t->pi = *b;
		t->has_pid = t->pi & 1;
		t->has_dcs = t->pi & 2;
		t->has_ud = t->pi & 4;
		return 0;
	case F_VP:
	case F_SCTS:
	case F_DT:
		len = f == F_VP ? tp_vp_len[t->vpf] : 7;
		b = take(c, len);
		if (!b)
			break;
		memcpy(f == F_VP ? t->vp : f == F_SCTS ? t->scts : t->dt, b, len);
		return 0;
	case F_CD:
		b = take(c, 1);
		if (!b || !(t->cd = take(c, *b)))
			break;
		t->cd_len = *b;
		return 0;
	case F_PID:
		if (!t->has_pid)
			return 0;
		one = &t->pid;
		break;
	case F_DCS:
		if (!t->has_dcs)
			return 0;
		one = &t->dcs;
		break;
	case F_MR:
		one = &t->mr;
		break;
	case F_ST:
		one = &t->st;
		break;
	case F_CT:
		one = &t->ct;
		break;
	case F_MN:
		one = &t->mn;
		break;
	case F_END:
		return 0;
	}
	if (one && (b = take(c, 1))) {
		*one = *b;
		return 0;
	}
	return fail(err, errsz, "TPDU truncated at %s", tp_field_names[f]);
}

static int tp_decode(struct tpdu *t, enum sms_direction dir, const uint8_t *p, size_t n,
		     char *err, size_t errsz)
{
	struct cursor c = { .p = p, .n = n, .i = 1 };
	const uint8_t *f;
	int type;

	if (n == 0)
		return fail(err, errsz, "empty TPDU");
	type = tp_type_of[dir == SMS_SC_TO_MS][p[0] & 3];
	if (type < 0)
		return fail(err, errsz, "reserved TP-MTI 3");
	memset(t, 0, offsetof(struct tpdu, textbuf));
	t->type = (enum tp_type)type;
	/* unnamed first-octet bits are dropped here; re-encoding then keeps the hex */
	t->flags = p[0] & tp_flag_mask(t->type);
	t->vpf = t->type == TP_SUBMIT ? (p[0] >> TP_VPF_SHIFT) & 3 : 0;
	t->has_pid = t->has_dcs = t->has_ud = !tp_has(t->type, F_PI);
	for (f = tp_layout[t->type]; *f; f++)
		if (tp_field_decode(t, (enum tp_field)*f, &c, err, errsz) < 0)
			return -1;
	return 0;
}

/* --- encoding --- */

struct out {
	uint8_t *p;
	size_t cap, i;
	char *err;
	size_t errsz;
};

static int room(struct out *o, size_t k)
{
	if (o->cap - o->i < k)
		return fail(o->err, o->errsz, "TPDU does not fit in %zu octets", o->cap);
	return 0;
}

static int put1(struct out *o, uint8_t v)
{
	if (room(o, 1) < 0)
		return -1;
	o->p[o->i++] = v;
	return 0;
}

static int putn(struct out *o, const uint8_t *v, size_t k)
{
	if (room(o, k) < 0)
		return -1;
	if (k)
		memcpy(o->p + o->i, v, k);
	o->i += k;
	return 0;
}

static int tp_addr_encode(const struct tp_addr *a, struct out *o)
{
	uint8_t sept[TP_ALPHA_MAX * 2], body[TP_ADDR_MAX / 2];
	uint32_t bad = 0;
	size_t semi;
	int rc;

	if (a->ton == TON_ALPHA) {
		rc = utf8_to_gsm7(a->str, strlen(a->str), sept, sizeof(sept), &bad);
		if (rc < 0)
			return text_error("address text", rc, bad, TP_ALPHA_MAX, o->err, o->errsz);
		if (rc > TP_ALPHA_MAX)
			return fail(o->err, o->errsz, "address text: %d septets, at most %d", rc, TP_ALPHA_MAX);
		/* the length counts the semi-octets the septets reach into (9.1.2.5) */
		semi = ((size_t)rc * 7 + 3) / 4;
		memset(body, 0, sizeof(body));
		rc = (int)pack7(body, 0, sept, (size_t)rc);
	} else {
		semi = strlen(a->str);
		if (semi > TP_ADDR_MAX)
			return fail(o->err, o->errsz, "address digits: %zu, at most %d", semi, TP_ADDR_MAX);
		rc = tbcd_encode("address digits", a->str, semi, body, sizeof(body), o->err, o->errsz);
		if (rc < 0)
			return -1;
	}
	if (put1(o, (uint8_t)semi) < 0 || put1(o, 0x80 | a->ton << 4 | a->npi) < 0)
		return -1;
	return putn(o, body, (size_t)rc);
}

/* Header septets: UDHL plus the IEs rounded up to a septet boundary (9.2.3.24). */
static size_t udh_septets(const struct tpdu *t)
{
	return t->has_udh ? ((t->udh_len + 1) * 8 + 6) / 7 : 0;
}

static int tp_ud_encode(const struct tpdu *t, struct out *o)
{
	uint8_t ud[UD_MAX], sept[UD_MAX * 8 / 7 + 2];
	struct dcs_info d;
	size_t hdr = 0, len, udl, hs;
	uint32_t bad = 0;
	int rc;

	sms_dcs(t->has_dcs ? t->dcs : 0, &d);
	if (d.kind == UD_8BIT && t->text)
		return fail(o->err, o->errsz, "text: DCS 0x%02x means 8-bit data, give \"data\" as hex", t->dcs);
	if (d.kind != UD_8BIT && t->data)
		return fail(o->err, o->errsz, "data: DCS 0x%02x means text, give \"text\"", t->dcs);
	memset(ud, 0, sizeof(ud));
	if (t->has_udh) {
		hdr = t->udh_len + 1;
		if (hdr > UD_MAX)
			return fail(o->err, o->errsz, "udh: %zu octets, at most %d", hdr, UD_MAX);
		ud[0] = (uint8_t)t->udh_len;
		if (t->udh_len)
			memcpy(ud + 1, t->udh, t->udh_len);
	}
	if (d.kind == UD_8BIT) {
		if (hdr + t->data_len > UD_MAX)
			return fail(o->err, o->errsz, "data: too long (%zu octets, at most %zu)",
				    t->data_len, UD_MAX - hdr);
		if (t->data_len)	/* no "data": an empty user data, and no pointer to copy from */
			memcpy(ud + hdr, t->data, t->data_len);
		len = udl = hdr + t->data_len;
	} else if (d.kind == UD_UCS2) {
		rc = utf8_to_ucs2(t->text ? t->text : "", t->text_len, ud + hdr, UD_MAX - hdr);
		if (rc < 0)
			return fail(o->err, o->errsz, rc == -1 ? "text: invalid UTF-8" :
				    "text: too long (at most %zu octets of UCS2)", UD_MAX - hdr);
		len = udl = hdr + (size_t)rc;
	} else {
		hs = udh_septets(t);
		rc = utf8_to_gsm7(t->text ? t->text : "", t->text_len, sept, sizeof(sept), &bad);
		if (rc < 0 && rc != -2)
			return text_error("text", rc, bad, 0, o->err, o->errsz);
		udl = hs + (size_t)rc;
		if (rc == -2 || udl > UD_MAX * 8 / 7)
			return fail(o->err, o->errsz, "text: too long (at most %zu septets%s)",
				    UD_MAX * 8 / 7 - hs, hs ? " with this UDH" : "");
		len = pack7(ud, hs * 7, sept, (size_t)rc);
		if (len < hdr)
			len = hdr;
	}
	if (put1(o, (uint8_t)udl) < 0)
		return -1;
	return putn(o, ud, len);
}

static int tp_field_encode(const struct tpdu *t, enum tp_field f, struct out *o)
{
	switch (f) {
	case F_MR: return put1(o, t->mr);
	case F_ADDR: return tp_addr_encode(&t->addr, o);
	case F_PID: return t->has_pid ? put1(o, t->pid) : 0;
	case F_DCS: return t->has_dcs ? put1(o, t->dcs) : 0;
	case F_VP: return putn(o, t->vp, tp_vp_len[t->vpf]);
	case F_SCTS: return putn(o, t->scts, 7);
	case F_DT: return putn(o, t->dt, 7);
	case F_ST: return put1(o, t->st);
	case F_CT: return put1(o, t->ct);
	case F_MN: return put1(o, t->mn);
	case F_CD:
		if (t->cd_len > 255)
			return fail(o->err, o->errsz, "cd: too long");
		return put1(o, (uint8_t)t->cd_len) < 0 ? -1 : putn(o, t->cd, t->cd_len);
	case F_FCS: return t->has_fcs ? put1(o, t->fcs) : 0;
	case F_PI: return t->has_pi ? put1(o, t->pi) : 0;
	case F_UD: return t->has_ud ? tp_ud_encode(t, o) : 0;
	case F_END: break;
	}
	return 0;
}

static int tp_encode(const struct tpdu *t, uint8_t *out, size_t cap, char *err, size_t errsz)
{
	struct out o = { .p = out, .cap = cap, .err = err, .errsz = errsz };
	const uint8_t *f;

	if (put1(&o, tp_mti_of[t->type] | t->flags | t->vpf << TP_VPF_SHIFT) < 0)
		return -1;
	for (f = tp_layout[t->type]; *f; f++)
		if (tp_field_encode(t, (enum tp_field)*f, &o) < 0)
			return -1;
	return (int)o.i;
}

/* --- JSON output --- */

static void tp_addr_write(struct jw *w, const char *key, const struct tp_addr *a)
{
	jw_key(w, key);
	jw_obj_begin(w);
	put_named(w, "nature", tp_ton_names, a->ton);
	put_named(w, "plan", tp_npi_names, a->npi);
	jw_kstr(w, a->ton == TON_ALPHA ? "text" : "digits", a->str);
	jw_obj_end(w);
}

static void dcs_write(struct jw *w, uint8_t dcs)
{
	struct dcs_info d;

	sms_dcs(dcs, &d);
	jw_key(w, "dcs");
	jw_obj_begin(w);
	jw_kint(w, "value", dcs);
	put_named(w, "alphabet", alphabet_names, d.alphabet);
	if (d.cls >= 0)
		jw_kint(w, "class", d.cls);
	if (d.compressed)
		jw_kbool(w, "compressed", true);
	jw_obj_end(w);
}

static void vp_write(struct jw *w, const struct tpdu *t)
{
	if (!t->vpf)
		return;
	jw_key(w, "vp");
	jw_obj_begin(w);
	if (t->vpf == GSM340_TP_VPF_RELATIVE) {
		jw_kint(w, "relative", t->vp[0]);
		jw_kint(w, "seconds", (long long)vp_relative_seconds(t->vp[0]));
	} else if (t->vpf == GSM340_TP_VPF_ABSOLUTE) {
		ts_write(w, "absolute", t->vp);
	} else {
		jw_khex(w, "enhanced", t->vp, 7);
	}
	jw_obj_end(w);
}

/* The IEs as an array when they parse, with concatenation IEs spelled out. */
static bool udh_parses(const uint8_t *h, size_t n)
{
	size_t i = 0;

	while (i < n) {
		if (n - i < 2 || n - i - 2 < h[i + 1])
			return false;
		i += 2 + h[i + 1];
	}
	return true;
}

static bool ie_concat(const uint8_t *ie, unsigned *ref, unsigned *total, unsigned *seq)
{
	if (ie[0] == 0 && ie[1] == 3)
		*ref = ie[2];
	else if (ie[0] == 8 && ie[1] == 4)
		*ref = (unsigned)ie[2] << 8 | ie[3];
	else
		return false;
	*total = ie[ie[1]];
	*seq = ie[ie[1] + 1];
	return true;
}

static void concat_write(struct jw *w, unsigned ref, unsigned total, unsigned seq)
{
	jw_kint(w, "ref", ref);
	jw_kint(w, "total", total);
	jw_kint(w, "seq", seq);
}

static void udh_write(struct jw *w, const uint8_t *h, size_t n)
{
	unsigned ref, total, seq;
	bool have = false;
	unsigned cref = 0, ctotal = 0, cseq = 0;
	size_t i;

	jw_key(w, "udh");
	if (!udh_parses(h, n)) {
		jw_obj_begin(w);
		jw_khex(w, "hex", h, n);
		jw_obj_end(w);
		return;
	}
	jw_arr_begin(w);
	for (i = 0; i < n; i += 2 + h[i + 1]) {
		jw_obj_begin(w);
		jw_kint(w, "iei", h[i]);
		if (ie_concat(h + i, &ref, &total, &seq)) {
			concat_write(w, ref, total, seq);
			if (!have) {
				have = true;
				cref = ref, ctotal = total, cseq = seq;
			}
		} else {
			jw_khex(w, "hex", h + i + 2, h[i + 1]);
		}
		jw_obj_end(w);
	}
	jw_arr_end(w);
	if (have) {
		jw_key(w, "concat");
		jw_obj_begin(w);
		concat_write(w, cref, ctotal, cseq);
		jw_obj_end(w);
	}
}

static void tp_field_write(struct jw *w, const struct tpdu *t, enum tp_field f)
{
	switch (f) {
	case F_MR: jw_kint(w, "mr", t->mr); break;
	case F_ADDR: tp_addr_write(w, tp_addr_key[t->type], &t->addr); break;
	case F_PID:
		if (t->has_pid)
			jw_kint(w, "pid", t->pid);
		break;
	case F_DCS:
		if (t->has_dcs)
			dcs_write(w, t->dcs);
		break;
	case F_VP: vp_write(w, t); break;
	case F_SCTS: ts_write(w, "scts", t->scts); break;
	case F_DT: ts_write(w, "dt", t->dt); break;
	case F_ST: jw_kint(w, "st", t->st); break;
	case F_CT: jw_kint(w, "ct", t->ct); break;
	case F_MN: jw_kint(w, "mn", t->mn); break;
	case F_CD: jw_khex(w, "cd", t->cd, t->cd_len); break;
	case F_FCS:
		if (t->has_fcs)
			jw_kint(w, "fcs", t->fcs);
		break;
	case F_PI:
		if (t->has_pi)
			jw_kint(w, "pi", t->pi);
		break;
	case F_UD:
		if (!t->has_ud)
			break;
		jw_kint(w, "udl", t->udl);
		if (t->has_udh)
			udh_write(w, t->udh, t->udh_len);
		if (t->data) {
			jw_khex(w, "data", t->data, t->data_len);
		} else {
			jw_key(w, "text");
			jw_strn(w, t->text ? t->text : "", t->text_len);
		}
		break;
	case F_END: break;
	}
}

static void tp_write(struct jw *w, const struct tpdu *t, const uint8_t *hex, size_t n)
{
	const struct tp_flag *fl;
	const uint8_t *f;

	jw_obj_begin(w);
	jw_kstr(w, "type", get_value_string(tp_type_names, t->type));
	for (fl = tp_flags[t->type]; fl->name; fl++)
		jw_kbool(w, fl->name, !(t->flags & fl->mask) != !fl->inverted);
	jw_kbool(w, "udhi", t->flags & TP_UDHI);
	for (f = tp_layout[t->type]; *f; f++)
		tp_field_write(w, t, (enum tp_field)*f);
	if (hex)
		jw_khex(w, "hex", hex, n);
	jw_obj_end(w);
}

void gsmv_sms_tpdu_to_json(struct jw *w, enum sms_direction dir, const uint8_t *p, size_t n)
{
	struct tpdu t;
	uint8_t enc[TPDU_MAX];
	char err[96];
	int len;

	if (tp_decode(&t, dir, p, n, err, sizeof(err)) < 0) {
		write_error(w, p, n, err);
		return;
	}
	len = tp_encode(&t, enc, sizeof(enc), NULL, 0);
	tp_write(w, &t, same_bytes(enc, len, p, n) ? NULL : p, n);
}

/* --- JSON input --- */

static int tp_addr_parse(const jv_t *v, const char *key, struct tp_addr *a, char *err, size_t errsz)
{
	const jv_t *o = jv_is_object(v) ? v : NULL;
	const char *s;
	size_t len;
	bool plus = false;
	int ton, npi;

	if (!v)
		return fail(err, errsz, "%s: missing", key);
	if (o && jv_object_get(o, "text")) {
		if (get_str(o, "text", &s, &len, err, errsz) < 0)
			return -1;
		ton = get_named(o, "nature", tp_ton_names, 7, TON_ALPHA, err, errsz);
		if (ton != TON_ALPHA)
			return ton < 0 ? -1 : fail(err, errsz, "%s: \"text\" needs nature alphanumeric", key);
		if (len >= sizeof(a->str) || strlen(s) != len)
			return fail(err, errsz, "%s: text: at most %d characters", key, TP_ALPHA_MAX);
		npi = get_named(o, "plan", tp_npi_names, 15, 0, err, errsz);
	} else {
		if (digits_from(v, &s, &len, &plus, err, errsz) < 0)
			return -1;
		ton = get_named(o, "nature", tp_ton_names, 7, plus ? 1 : 0, err, errsz);
		if (ton == TON_ALPHA)
			return fail(err, errsz, "%s: nature alphanumeric needs \"text\"", key);
		if (len > TP_ADDR_MAX)
			return fail(err, errsz, "%s: %zu digits, at most %d", key, len, TP_ADDR_MAX);
		npi = get_named(o, "plan", tp_npi_names, 15, 1, err, errsz);
	}
	if (ton < 0 || npi < 0)
		return -1;
	a->ton = (uint8_t)ton;
	a->npi = (uint8_t)npi;
	memcpy(a->str, s, len);
	a->str[len] = '\0';
	return 0;
}

static int vp_parse(const jv_t *v, struct tpdu *t, char *err, size_t errsz)
{
	const jv_t *f;
	long long secs;
	int rel;

	if (!v)
		return 0;
	if (!jv_is_object(v))
		return fail(err, errsz, "vp: expected {\"relative\":N}, {\"seconds\":N}, {\"absolute\":time} or {\"enhanced\":hex}");
	if ((f = jv_object_get(v, "absolute"))) {
		t->vpf = GSM340_TP_VPF_ABSOLUTE;
		return ts_parse(f, "vp.absolute", t->vp, err, errsz);
	}
	if ((f = jv_object_get(v, "enhanced"))) {
		t->vpf = GSM340_TP_VPF_ENHANCED;
		if (parse_hex(f, "vp.enhanced", t->vp, 7, err, errsz) != 7)
			return fail(err, errsz, "vp.enhanced: must be 7 octets of hex");
		return 0;
	}
	t->vpf = GSM340_TP_VPF_RELATIVE;
	rel = get_uint(v, "relative", 255, ABSENT, err, errsz);
	if (rel >= 0) {
		t->vp[0] = (uint8_t)rel;
		return 0;
	}
	if (rel == -1)
		return -1;
	f = jv_object_get(v, "seconds");
	if (!jv_is_integer(f) || (secs = jv_integer_value(f)) < 0)
		return fail(err, errsz, "vp: expected \"relative\", \"seconds\", \"absolute\" or \"enhanced\"");
	/* the smallest relative period that is at least as long */
	for (rel = 0; rel < 256; rel++)
		if (vp_relative_seconds((uint8_t)rel) >= (unsigned long long)secs)
			break;
	if (rel == 256)
		return fail(err, errsz, "vp.seconds: %lld exceeds the longest relative period (63 weeks)", secs);
	t->vp[0] = (uint8_t)rel;
	return 0;
}

static int dcs_parse(const jv_t *v, char *err, size_t errsz)
{
	int alpha, cls, comp, val;

	if (jv_is_integer(v) || !jv_is_object(v)) {
		if (!jv_is_integer(v) || jv_integer_value(v) < 0 || jv_integer_value(v) > 255)
			return fail(err, errsz, "dcs: expected 0..255 or an object");
		return (int)jv_integer_value(v);
	}
	val = get_uint(v, "value", 255, ABSENT, err, errsz);
	if (val != ABSENT)
		return val;
	alpha = get_named(v, "alphabet", alphabet_names, 3, 0, err, errsz);
	cls = get_uint(v, "class", 3, ABSENT, err, errsz);
	comp = get_bool(v, "compressed", err, errsz);
	if (alpha < 0 || cls == -1 || comp < 0)
		return -1;
	return alpha << 2 | (cls >= 0 ? 0x10 | cls : 0) | (comp ? 0x20 : 0);
}

/* One concatenation IE from {"ref","total","seq"}; iei < 0 picks the 8-bit or
 * 16-bit reference form by the size of ref. Returns its octets. */
static int concat_ie(const jv_t *e, int iei, const char *what, uint8_t *h, size_t cap,
		     char *err, size_t errsz)
{
	int ref = get_uint(e, "ref", 65535, ABSENT, err, errsz);
	int total = get_uint(e, "total", 255, ABSENT, err, errsz);
	int seq = get_uint(e, "seq", 255, ABSENT, err, errsz);
	size_t n = 0;

	if (ref == -1 || total == -1 || seq == -1)
		return -1;
	if (ref < 0 || total < 0 || seq < 0)
		return fail(err, errsz, "%s: needs \"ref\", \"total\" and \"seq\"", what);
	if (iei < 0)
		iei = ref > 255 ? 8 : 0;
	if (iei == 0 && ref > 255)
		return fail(err, errsz, "%s: ref %d needs IEI 8 (16-bit reference)", what, ref);
	if (cap < (iei ? 6u : 5u))
		return fail(err, errsz, "udh: too long");
	h[n++] = (uint8_t)iei;
	h[n++] = iei ? 4 : 3;
	if (iei)
		h[n++] = (uint8_t)(ref >> 8);
	h[n++] = (uint8_t)ref;
	h[n++] = (uint8_t)total;
	h[n++] = (uint8_t)seq;
	return (int)n;
}

/* The UDH IEs from "udh" (an IE array or {"hex"}), else from "concat"; ABSENT if neither. */
static int udh_parse(const jv_t *v, uint8_t *h, size_t cap, char *err, size_t errsz)
{
	const jv_t *u = jv_object_get(v, "udh"), *e, *hx;
	char what[32];
	size_t i, n = 0;
	int iei, rc;

	if (!u) {
		u = jv_object_get(v, "concat");
		if (!u)
			return ABSENT;
		if (!jv_is_object(u))
			return fail(err, errsz, "concat: expected {\"ref\",\"total\",\"seq\"}");
		return concat_ie(u, -1, "concat", h, cap, err, errsz);
	}
	if (jv_is_object(u))
		return parse_hex(jv_object_get(u, "hex"), "udh.hex", h, cap, err, errsz);
	if (!jv_is_array(u))
		return fail(err, errsz, "udh: expected an array of IEs");
	for (i = 0; i < jv_array_size(u); i++) {
		e = jv_array_get(u, i);
		snprintf(what, sizeof(what), "udh[%zu]", i);
		if (!jv_is_object(e))
			return fail(err, errsz, "%s: expected an object", what);
		iei = get_uint(e, "iei", 255, ABSENT, err, errsz);
		if (iei < 0)
			return iei == ABSENT ? fail(err, errsz, "%s: missing \"iei\"", what) : -1;
		hx = jv_object_get(e, "hex");
		if (hx) {
			if (cap - n < 2)
				return fail(err, errsz, "udh: longer than %zu octets", cap);
			rc = parse_hex(hx, what, h + n + 2, cap - n - 2 > 255 ? 255 : cap - n - 2, err, errsz);
			if (rc < 0)
				return -1;
			h[n] = (uint8_t)iei;
			h[n + 1] = (uint8_t)rc;
		} else if (iei == 0 || iei == 8) {
			rc = concat_ie(e, iei, what, h + n, cap - n, err, errsz);
			if (rc < 0)
				return -1;
			rc -= 2;
		} else {
			return fail(err, errsz, "%s: give \"hex\" for IEI %d", what, iei);
		}
		n += 2 + (size_t)rc;
	}
	return (int)n;
}

/* "text"/"data"/"udh", then the DCS they need, then TP-PI from what is present. */
static int tp_ud_parse(const jv_t *v, struct tpdu *t, char *err, size_t errsz)
{
	const jv_t *d = jv_object_get(v, "data"), *dcs = jv_object_get(v, "dcs");
	int rc, pi;

	rc = udh_parse(v, t->udhbuf, sizeof(t->udhbuf) - 1, err, errsz);
	if (rc == -1)
		return -1;
	if (rc >= 0) {
		t->has_udh = true;
		t->udh = t->udhbuf;
		t->udh_len = (size_t)rc;
		t->flags |= TP_UDHI;
	}
	if (get_str(v, "text", &t->text, &t->text_len, err, errsz) < 0)
		return -1;
	if (d) {
		if (t->text)
			return fail(err, errsz, "give either \"text\" or \"data\"");
		rc = parse_hex(d, "data", t->databuf, sizeof(t->databuf), err, errsz);
		if (rc < 0)
			return -1;
		t->data = t->databuf;
		t->data_len = (size_t)rc;
	}
	if (dcs) {
		rc = dcs_parse(dcs, err, errsz);
		if (rc < 0)
			return -1;
		t->dcs = (uint8_t)rc;
	} else if (t->data) {
		t->dcs = 0x04;
	} else if (t->text && !gsm7_fits(t->text, t->text_len)) {
		t->dcs = 0x08;		/* UCS2 when GSM 7-bit cannot say it */
	}
	if (!tp_has(t->type, F_PI))
		return 0;
	pi = get_uint(v, "pi", 255, ABSENT, err, errsz);
	if (pi == -1)
		return -1;
	if (pi == ABSENT) {
		pi = (jv_object_get(v, "pid") ? 1 : 0) | (dcs || t->dcs ? 2 : 0) |
		     (t->text || t->data || t->has_udh ? 4 : 0);
		/* a status report may end after TP-ST */
		if (!pi && t->type == TP_STATUS_REPORT)
			return 0;
	}
	t->has_pi = true;
	t->pi = (uint8_t)pi;
	t->has_pid = pi & 1;
	t->has_dcs = pi & 2;
	t->has_ud = pi & 4;
	return 0;
}

static int tp_parse(const jv_t *v, enum sms_direction dir, struct tpdu *t, char *err, size_t errsz)
{
	static const struct { enum tp_field f; const char *key; unsigned max; } ints[] = {
		{ F_MR, "mr", 255 }, { F_PID, "pid", 255 }, { F_ST, "st", 255 },
		{ F_CT, "ct", 255 }, { F_MN, "mn", 255 }, { F_FCS, "fcs", 255 },
	};
	uint8_t *const slot[] = { &t->mr, &t->pid, &t->st, &t->ct, &t->mn, &t->fcs };
	const struct tp_flag *fl;
	const jv_t *f;
	size_t i;
	int type, x;

	if (!jv_is_object(v))
		return fail(err, errsz, "SMS TPDU: expected an object");
	memset(t, 0, offsetof(struct tpdu, textbuf));
	type = get_named(v, "type", tp_type_names, TP_NTYPES - 1,
			 dir == SMS_MS_TO_SC ? TP_SUBMIT : TP_DELIVER, err, errsz);
	if (type < 0)
		return -1;
	t->type = (enum tp_type)type;
	t->has_pid = t->has_dcs = t->has_ud = !tp_has(t->type, F_PI);
	if (tp_dir_of[type] != dir)
		return fail(err, errsz, "type: %s is not sent %s", get_value_string(tp_type_names, type),
			    dir == SMS_MS_TO_SC ? "MS to SC" : "SC to MS");
	for (fl = tp_flags[type]; fl->name; fl++) {
		x = get_bool(v, fl->name, err, errsz);
		if (x < 0)
			return -1;
		if (x != fl->inverted)
			t->flags |= fl->mask;
	}
	x = get_bool(v, "udhi", err, errsz);
	if (x < 0)
		return -1;
	t->flags |= x ? TP_UDHI : 0;
	for (i = 0; i < ARRAY_SIZE(ints); i++) {
		x = get_uint(v, ints[i].key, ints[i].max, ABSENT, err, errsz);
		if (x == -1)
			return -1;
		if (x >= 0 && ints[i].f == F_FCS)
			t->has_fcs = tp_has(t->type, F_FCS);
		*slot[i] = x >= 0 ? (uint8_t)x : 0;
	}
	if (tp_has(t->type, F_ADDR) &&
	    tp_addr_parse(jv_object_get(v, tp_addr_key[type]), tp_addr_key[type], &t->addr, err, errsz) < 0)
		return -1;
	if (tp_has(t->type, F_SCTS)) {
		f = jv_object_get(v, "scts");
		if (!f)
			ts_now(t->scts);
		else if (ts_parse(f, "scts", t->scts, err, errsz) < 0)
			return -1;
	}
	if (tp_has(t->type, F_DT)) {
		f = jv_object_get(v, "dt");
		if (!f)
			memcpy(t->dt, t->scts, 7);
		else if (ts_parse(f, "dt", t->dt, err, errsz) < 0)
			return -1;
	}
	if (tp_has(t->type, F_VP) && vp_parse(jv_object_get(v, "vp"), t, err, errsz) < 0)
		return -1;
	if (tp_has(t->type, F_CD) && (f = jv_object_get(v, "cd"))) {
		x = parse_hex(f, "cd", t->cdbuf, sizeof(t->cdbuf), err, errsz);
		if (x < 0)
			return -1;
		t->cd = t->cdbuf;
		t->cd_len = (size_t)x;
	}
	if (tp_has(t->type, F_UD) && tp_ud_parse(v, t, err, errsz) < 0)
		return -1;
	/* UDHI without a header would make receivers read the text as one */
	if ((t->flags & TP_UDHI) && !t->has_udh && t->has_ud && (t->text_len || t->data_len))
		return fail(err, errsz, "udhi: true needs \"udh\" when there is user data");
	return 0;
}

int gsmv_sms_tpdu_from_json(const jv_t *v, enum sms_direction dir, uint8_t *out, size_t cap,
			    char *err, size_t errsz)
{
	struct tpdu t;
	int rc = hex_member(v, out, cap, err, errsz);

	if (rc != ABSENT)
		return rc;
	if (tp_parse(v, dir, &t, err, errsz) < 0)
		return -1;
	return tp_encode(&t, out, cap, err, errsz);
}

/* ------------------------------------------------------------------------ */
/* ISUP numbers (Q.763 3.9, 3.10, 3.26, 3.30, 3.44)                          */

static const struct value_string isup_nature_names[] = {
	{ 1, "subscriber" }, { 2, "unknown" }, { 3, "national" }, { 4, "international" },
	{ 5, "networkSpecific" }, { 6, "networkRoutingNational" },
	{ 7, "networkRoutingNetworkSpecific" }, { 8, "networkRoutingConcatenated" },
	{ 0, NULL }
};

static const struct value_string isup_plan_names[] = {
	{ 1, "isdn" }, { 3, "data" }, { 4, "telex" }, { 5, "private" }, { 0, NULL }
};

static const struct value_string isup_presentation_names[] = {
	{ 0, "allowed" }, { 1, "restricted" }, { 2, "addressNotAvailable" }, { 3, "reserved" },
	{ 0, NULL }
};

static const struct value_string isup_screening_names[] = {
	{ 0, "userProvidedNotVerified" }, { 1, "userProvidedVerifiedPassed" },
	{ 2, "userProvidedVerifiedFailed" }, { 3, "networkProvided" }, { 0, NULL }
};

/* What each format has around nature/plan/digits; absent subfields are spare (0). */
struct isup_layout {
	bool qualifier;		/* generic number: number qualifier octet first */
	const char *ind;	/* bit 8 of the plan octet: "inn", "ni" or spare */
	bool presentation;	/* bits 4-3 */
	bool screening;		/* bits 2-1 */
};

static const struct isup_layout isup_layouts[] = {
	[ISUP_CALLED] = { false, "inn", false, false },
	[ISUP_CALLING] = { false, "ni", true, true },
	[ISUP_GENERIC] = { true, "ni", true, true },
	[ISUP_LOCATION] = { false, "inn", true, true },
	[ISUP_REDIRECTING] = { false, NULL, true, false },
};

struct isup_number {
	uint8_t qualifier, nature, plan, presentation, screening;
	bool ind;
	char digits[MAX_DIGITS + 1];
};

static int isup_decode(struct isup_number *x, const struct isup_layout *l, const uint8_t *p, size_t n,
		       char *err, size_t errsz)
{
	size_t h = l->qualifier ? 3 : 2, ndig;
	const uint8_t *q = p + (l->qualifier ? 1 : 0);

	if (n < h)
		return fail(err, errsz, "ISUP number shorter than %zu octets", h);
	if ((n - h) * 2 > MAX_DIGITS)
		return fail(err, errsz, "ISUP number longer than %d digits", MAX_DIGITS);
	memset(x, 0, sizeof(*x));
	x->qualifier = l->qualifier ? p[0] : 0;
	x->nature = q[0] & 0x7f;
	x->ind = l->ind && (q[1] & 0x80);
	x->plan = (q[1] >> 4) & 7;
	x->presentation = l->presentation ? (q[1] >> 2) & 3 : 0;
	x->screening = l->screening ? q[1] & 3 : 0;
	ndig = 2 * (n - h);
	if ((q[0] & 0x80) && ndig)	/* odd: the top nibble of the last octet is filler */
		ndig--;
	isup_to_str(p + h, ndig, x->digits, sizeof(x->digits));
	return 0;
}

static int isup_encode(const struct isup_number *x, const struct isup_layout *l, uint8_t *out, size_t cap,
		       char *err, size_t errsz)
{
	size_t h = l->qualifier ? 3 : 2, len = strlen(x->digits);
	uint8_t *q = out + (l->qualifier ? 1 : 0);
	int rc;

	if (cap < h)
		return fail(err, errsz, "no room for the ISUP number");
	if (l->qualifier)
		out[0] = x->qualifier;
	q[0] = (len & 1 ? 0x80 : 0) | x->nature;
	q[1] = (x->ind ? 0x80 : 0) | x->plan << 4 | x->presentation << 2 | x->screening;
	rc = isup_digits_encode(x->digits, len, out + h, cap - h, err, errsz);
	return rc < 0 ? rc : rc + (int)h;
}

static void isup_write(struct jw *w, const struct isup_number *x, const struct isup_layout *l)
{
	if (l->qualifier)
		jw_kint(w, "qualifier", x->qualifier);
	put_named(w, "nature", isup_nature_names, x->nature);
	if (l->ind)
		jw_kbool(w, l->ind, x->ind);
	put_named(w, "plan", isup_plan_names, x->plan);
	if (l->presentation)
		put_named(w, "presentation", isup_presentation_names, x->presentation);
	if (l->screening)
		put_named(w, "screening", isup_screening_names, x->screening);
	jw_kstr(w, "digits", x->digits);
}

static int isup_parse(const jv_t *v, struct isup_number *x, const struct isup_layout *l,
		      char *err, size_t errsz)
{
	const jv_t *o = jv_is_object(v) ? v : NULL;
	const char *s;
	size_t len;
	bool plus;
	int q, nat, plan, pres, scr, ind;

	if (digits_from(v, &s, &len, &plus, err, errsz) < 0)
		return -1;
	q = l->qualifier ? get_uint(o, "qualifier", 255, 6, err, errsz) : 0;
	nat = get_named(o, "nature", isup_nature_names, 127, plus ? 4 : 2, err, errsz);
	plan = get_named(o, "plan", isup_plan_names, 7, 1, err, errsz);
	pres = l->presentation ? get_named(o, "presentation", isup_presentation_names, 3, 0, err, errsz) : 0;
	scr = l->screening ? get_named(o, "screening", isup_screening_names, 3, 3, err, errsz) : 0;
	ind = l->ind ? get_bool(o, l->ind, err, errsz) : 0;
	if (q < 0 || nat < 0 || plan < 0 || pres < 0 || scr < 0 || ind < 0)
		return -1;
	x->qualifier = (uint8_t)q;
	x->nature = (uint8_t)nat;
	x->plan = (uint8_t)plan;
	x->presentation = (uint8_t)pres;
	x->screening = (uint8_t)scr;
	x->ind = ind;
	memcpy(x->digits, s, len);
	x->digits[len] = '\0';
	return 0;
}

void gsmv_isup_number_to_json(struct jw *w, enum isup_number_kind kind, const uint8_t *p, size_t n)
{
	const struct isup_layout *l = &isup_layouts[kind];
	struct isup_number x;
	uint8_t enc[MAX_DIGITS / 2 + 3];
	char err[64];
	int len;

	if (isup_decode(&x, l, p, n, err, sizeof(err)) < 0) {
		write_error(w, p, n, err);
		return;
	}
	len = isup_encode(&x, l, enc, sizeof(enc), NULL, 0);
	jw_obj_begin(w);
	isup_write(w, &x, l);
	if (!same_bytes(enc, len, p, n))
		jw_khex(w, "hex", p, n);
	jw_obj_end(w);
}

int gsmv_isup_number_from_json(const jv_t *v, enum isup_number_kind kind, uint8_t *out, size_t cap,
			       char *err, size_t errsz)
{
	const struct isup_layout *l = &isup_layouts[kind];
	struct isup_number x;
	int rc = hex_member(v, out, cap, err, errsz);

	if (rc != ABSENT)
		return rc;
	if (isup_parse(v, &x, l, err, errsz) < 0)
		return -1;
	return isup_encode(&x, l, out, cap, err, errsz);
}

/* ------------------------------------------------------------------------ */
/* Called Party BCD Number (TS 24.008 10.5.4.7), without IEI and length     */

static const struct value_string bcd_nature_names[] = {
	{ 0, "unknown" }, { 1, "international" }, { 2, "national" },
	{ 3, "networkSpecific" }, { 4, "dedicatedAccess" }, { 7, "reservedForExtension" },
	{ 0, NULL }
};

static const struct value_string bcd_plan_names[] = {
	{ 0, "unknown" }, { 1, "isdn" }, { 3, "data" }, { 4, "telex" }, { 8, "national" },
	{ 9, "private" }, { 11, "cts" }, { 15, "reservedForExtension" }, { 0, NULL }
};

void gsmv_bcd_number_to_json(struct jw *w, const uint8_t *p, size_t n)
{
	number_to_json(w, p, n, bcd_nature_names, bcd_plan_names);
}

int gsmv_bcd_number_from_json(const jv_t *v, uint8_t *out, size_t cap, char *err, size_t errsz)
{
	return number_from_json(v, out, cap, bcd_nature_names, bcd_plan_names, err, errsz);
}

/* ------------------------------------------------------------------------ */
/* Q.850 cause                                                               */

static const struct value_string cause_coding_names[] = {
	{ 0, "itu" }, { 1, "iso" }, { 2, "national" }, { 3, "locationSpecific" }, { 0, NULL }
};

static const struct value_string cause_location_names[] = {
	{ 0, "user" }, { 1, "privateNetworkLocalUser" }, { 2, "publicNetworkLocalUser" },
	{ 3, "transitNetwork" }, { 4, "publicNetworkRemoteUser" },
	{ 5, "privateNetworkRemoteUser" }, { 7, "internationalNetwork" },
	{ 10, "beyondInterworkingPoint" }, { 0, NULL }
};

static const struct value_string cause_names[] = {
	{ 1, "unallocatedNumber" }, { 2, "noRouteToTransitNetwork" },
	{ 3, "noRouteToDestination" }, { 4, "sendSpecialInformationTone" },
	{ 5, "misdialledTrunkPrefix" }, { 6, "channelUnacceptable" },
	{ 7, "callAwardedInEstablishedChannel" }, { 8, "preemption" },
	{ 9, "preemptionCircuitReserved" }, { 14, "portedNumber" },
	{ 16, "normalCallClearing" }, { 17, "userBusy" }, { 18, "noUserResponding" },
	{ 19, "noAnswer" }, { 20, "subscriberAbsent" }, { 21, "callRejected" },
	{ 22, "numberChanged" }, { 23, "redirectionToNewDestination" },
	{ 25, "exchangeRoutingError" }, { 26, "nonSelectedUserClearing" },
	{ 27, "destinationOutOfOrder" }, { 28, "invalidNumberFormat" },
	{ 29, "facilityRejected" }, { 30, "responseToStatusEnquiry" },
	{ 31, "normalUnspecified" }, { 34, "noCircuitAvailable" },
	{ 38, "networkOutOfOrder" }, { 41, "temporaryFailure" },
	{ 42, "switchingEquipmentCongestion" }, { 43, "accessInformationDiscarded" },
	{ 44, "requestedCircuitNotAvailable" }, { 46, "precedenceCallBlocked" },
	{ 47, "resourceUnavailable" }, { 49, "qualityOfServiceNotAvailable" },
	{ 50, "requestedFacilityNotSubscribed" }, { 53, "outgoingCallsBarredWithinCug" },
	{ 55, "incomingCallsBarredWithinCug" }, { 57, "bearerCapabilityNotAuthorized" },
	{ 58, "bearerCapabilityNotAvailable" }, { 62, "inconsistentOutgoingAccessInfo" },
	{ 63, "serviceOrOptionNotAvailable" }, { 65, "bearerCapabilityNotImplemented" },
	{ 69, "requestedFacilityNotImplemented" }, { 70, "onlyRestrictedDigitalInfo" },
	{ 79, "serviceOrOptionNotImplemented" }, { 87, "userNotMemberOfCug" },
	{ 88, "incompatibleDestination" }, { 90, "nonExistentCug" },
	{ 91, "invalidTransitNetworkSelection" }, { 95, "invalidMessage" },
	{ 96, "mandatoryIeMissing" }, { 97, "messageTypeNonExistent" },
	{ 98, "messageNotCompatibleWithCallStateOrNonExistent" }, { 99, "ieNonExistent" },
	{ 100, "invalidIeContents" }, { 101, "messageNotCompatibleWithCallState" },
	{ 102, "recoveryOnTimerExpiry" }, { 103, "parameterNonExistentPassedOn" },
	{ 110, "messageWithUnrecognizedParameterDiscarded" }, { 111, "protocolError" },
	{ 127, "interworking" }, { 0, NULL }
};

#define CAUSE_MAX	32	/* CAP Cause: OCTET STRING (SIZE (2..32)) */

struct cause {
	uint8_t coding, location, value, recommendation;
	bool has_recommendation;
	const uint8_t *diag;
	size_t diag_len;
	uint8_t diagbuf[CAUSE_MAX];
};

static int cause_decode(struct cause *x, const uint8_t *p, size_t n, char *err, size_t errsz)
{
	size_t i = 1;

	memset(x, 0, offsetof(struct cause, diagbuf));
	if (n < 2)
		return fail(err, errsz, "cause shorter than 2 octets");
	/* ext bits and the spare bit are not kept: the re-encoding decides about hex */
	x->coding = (p[0] >> 5) & 3;
	x->location = p[0] & 0x0f;
	x->has_recommendation = !(p[0] & 0x80);
	if (x->has_recommendation) {
		if (n < 3)
			return fail(err, errsz, "cause truncated after the recommendation");
		x->recommendation = p[i++] & 0x7f;
	}
	x->value = p[i++] & 0x7f;
	x->diag = p + i;
	x->diag_len = n - i;
	return 0;
}

static int cause_encode(const struct cause *x, uint8_t *out, size_t cap, char *err, size_t errsz)
{
	size_t i = 0, len = 2 + x->has_recommendation + x->diag_len;

	if (len > cap || len > CAUSE_MAX)
		return fail(err, errsz, "cause: %zu octets do not fit (at most %d)", len, CAUSE_MAX);
	out[i++] = (x->has_recommendation ? 0 : 0x80) | x->coding << 5 | x->location;
	if (x->has_recommendation)
		out[i++] = 0x80 | x->recommendation;
	out[i++] = 0x80 | x->value;
	memcpy(out + i, x->diag, x->diag_len);
	return (int)len;
}

static int cause_parse(const jv_t *v, struct cause *x, char *err, size_t errsz)
{
	const jv_t *o = jv_is_object(v) ? v : NULL, *f;
	int coding, loc, rec, val;

	memset(x, 0, sizeof(*x));
	x->diag = x->diagbuf;
	if (jv_is_integer(v) || jv_is_string(v)) {
		/* the short forms: just the cause value, by number or name */
		val = named_value(v, "cause", cause_names, 127, err, errsz);
		if (val < 0)
			return -1;
		x->value = (uint8_t)val;
		return 0;
	}
	if (!o)
		return fail(err, errsz, "cause: expected an object, a number or a name");
	val = get_named(o, "value", cause_names, 127, ABSENT, err, errsz);
	if (val == ABSENT)
		val = get_named(o, "name", cause_names, 127, ABSENT, err, errsz);
	if (val == ABSENT)
		return fail(err, errsz, "cause: needs \"value\" or \"name\"");
	coding = get_named(o, "codingStandard", cause_coding_names, 3, 0, err, errsz);
	loc = get_named(o, "location", cause_location_names, 15, 0, err, errsz);
	rec = get_uint(o, "recommendation", 127, ABSENT, err, errsz);
	if (val < 0 || coding < 0 || loc < 0 || rec == -1)
		return -1;
	x->value = (uint8_t)val;
	x->coding = (uint8_t)coding;
	x->location = (uint8_t)loc;
	x->has_recommendation = rec >= 0;
	x->recommendation = rec >= 0 ? (uint8_t)rec : 0;
	if ((f = jv_object_get(o, "diagnostics"))) {
		val = parse_hex(f, "diagnostics", x->diagbuf, CAUSE_MAX - 2, err, errsz);
		if (val < 0)
			return -1;
		x->diag_len = (size_t)val;
	}
	return 0;
}

void gsmv_cause_to_json(struct jw *w, const uint8_t *p, size_t n)
{
	struct cause x;
	uint8_t enc[CAUSE_MAX];
	const char *name;
	char err[64];
	int len;

	if (cause_decode(&x, p, n, err, sizeof(err)) < 0) {
		write_error(w, p, n, err);
		return;
	}
	len = cause_encode(&x, enc, sizeof(enc), NULL, 0);
	jw_obj_begin(w);
	put_named(w, "codingStandard", cause_coding_names, x.coding);
	put_named(w, "location", cause_location_names, x.location);
	if (x.has_recommendation)
		jw_kint(w, "recommendation", x.recommendation);
	jw_kint(w, "value", x.value);
	name = get_value_string_or_null(cause_names, x.value);
	if (name)
		jw_kstr(w, "name", name);
	if (x.diag_len)
		jw_khex(w, "diagnostics", x.diag, x.diag_len);
	if (!same_bytes(enc, len, p, n))
		jw_khex(w, "hex", p, n);
	jw_obj_end(w);
}

int gsmv_cause_from_json(const jv_t *v, uint8_t *out, size_t cap, char *err, size_t errsz)
{
	struct cause x;
	int rc = hex_member(v, out, cap, err, errsz);

	if (rc != ABSENT)
		return rc;
	if (cause_parse(v, &x, err, errsz) < 0)
		return -1;
	return cause_encode(&x, out, cap, err, errsz);
}
