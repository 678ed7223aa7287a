/*
 * X.690 rules that asn1c 0.9.28's BER decoders do not enforce: it serves a
 * BOOLEAN of two octets as TRUE, an INTEGER or NULL of any length, an OID
 * with an unterminated last sub-identifier, a BIT STRING with 9 unused bits
 * and an open type that is not a TLV. The base descriptors' decoders are
 * wrapped once, before any type inherits them; a violation fails the decode
 * and leaves its reason for the caller (asn_strict_reason()).
 */
#include <stdio.h>
#include <string.h>

#include <ANY.h>
#include <BIT_STRING.h>
#include <BOOLEAN.h>
#include <ENUMERATED.h>
#include <INTEGER.h>
#include <NULL.h>
#include <NativeEnumerated.h>
#include <NativeInteger.h>
#include <OBJECT_IDENTIFIER.h>
#include <ber_decoder.h>

#include "asn_json.h"

static __thread struct {
	const char *rule;		/* NULL: no violation seen */
	const char *type;
	const uint8_t *at;		/* the offending TLV */
} viol;

static bool is_universal_name(const char *name)
{
	static const char *const names[] = {
		"BOOLEAN", "NULL", "INTEGER", "ENUMERATED", "OBJECT IDENTIFIER", "BIT STRING", "ANY",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i]))
			return true;
	return false;
}

/* The first violation is the one worth telling; a speculative decode that
 * failed for another reason leaves it unset. */
static void violation(asn_TYPE_descriptor_t *td, const uint8_t *at, const char *rule)
{
	if (viol.rule)
		return;
	viol.rule = rule;
	/* the rule names the universal type; a named type is worth adding */
	viol.type = is_universal_name(td->name) ? NULL : td->name;
	viol.at = at;
}

void asn_strict_reset(void)
{
	viol.rule = NULL;
}

/*
 * After a failed decode: the first TLV of p[0..n) that breaks a structural
 * rule asn1c reports only as "malformed" (a primitive with the indefinite
 * length form), walked without a type. Returns 0 when none was found.
 */
static int scan(const uint8_t *p, const uint8_t *end, int depth)
{
	while (p < end) {
		ber_tlv_tag_t tag;
		ber_tlv_len_t len;
		int constructed = BER_TLV_CONSTRUCTED(p);
		ssize_t tl = ber_fetch_tag(p, (size_t)(end - p), &tag), ll;

		if (tl <= 0 || end - p - tl < 1)
			return 0;
		if (!constructed && p[tl] == 0x80) {
			viol.rule = "primitive with the indefinite length form (X.690 8.1.3.2)";
			viol.type = NULL;
			viol.at = p;
			return 1;
		}
		if (tag == 0 && p[tl] == 0)	/* end-of-contents */
			return 0;
		ll = ber_fetch_length(constructed, p + tl, (size_t)(end - p - tl), &len);
		if (ll <= 0)
			return 0;
		if (constructed && depth < 32 && scan(p + tl + ll, len < 0 || len > end - p - tl - ll ? end
							      : p + tl + ll + len, depth + 1))
			return 1;
		if (len < 0) {
			ssize_t skip = ber_skip_length(NULL, 1, p + tl, (size_t)(end - p - tl));
			if (skip <= 0)
				return 0;
			p += tl + skip;
		} else {
			p += tl + ll + len;
		}
	}
	return 0;
}

const char *asn_strict_reason(const uint8_t *base, size_t len, char *buf, size_t bufsz)
{
	if (!viol.rule && !scan(base, base + len, 0))
		return NULL;
	if (viol.type && viol.at >= base && viol.at < base + len)
		snprintf(buf, bufsz, "%s: %s at offset %zu", viol.type, viol.rule, (size_t)(viol.at - base));
	else if (viol.at >= base && viol.at < base + len)
		snprintf(buf, bufsz, "%s at offset %zu", viol.rule, (size_t)(viol.at - base));
	else if (viol.type)
		snprintf(buf, bufsz, "%s: %s", viol.type, viol.rule);
	else
		snprintf(buf, bufsz, "%s", viol.rule);
	return buf;
}

bool asn_strict_one_tlv(const uint8_t *p, size_t n)
{
	ber_tlv_tag_t tag;
	ssize_t tl, ll;

	if (n == 0)
		return false;
	tl = ber_fetch_tag(p, n, &tag);
	if (tl <= 0)
		return false;
	ll = ber_skip_length(NULL, BER_TLV_CONSTRUCTED(p), p + tl, n - (size_t)tl);
	return ll > 0 && (size_t)(tl + ll) == n;
}

/*
 * The content of the primitive TLV a successful decode took from p[0..n):
 * explicit tags are constructed wrappers around it (asn1c already refused a
 * constructed form of the primitive itself). -1 when it cannot be found.
 */
static ssize_t primitive_content(const uint8_t *p, size_t n, const uint8_t **content)
{
	const uint8_t *end = p + n;

	while (p < end) {
		ber_tlv_tag_t tag;
		ber_tlv_len_t len;
		int constructed = BER_TLV_CONSTRUCTED(p);
		ssize_t tl = ber_fetch_tag(p, (size_t)(end - p), &tag), ll;

		if (tl <= 0)
			return -1;
		ll = ber_fetch_length(constructed, p + tl, (size_t)(end - p - tl), &len);
		if (ll <= 0)
			return -1;
		p += tl + ll;
		if (!constructed) {
			if (len < 0 || len > end - p)
				return -1;
			*content = p;
			return len;
		}
	}
	return -1;
}

/* X.690 8.3.2 (INTEGER, and ENUMERATED by 8.4): at least one octet, and the
 * first nine bits not all equal */
static const char *integer_rule(const uint8_t *c, ssize_t len)
{
	if (len < 1)
		return "INTEGER without content octets (X.690 8.3.1)";
	if (len > 1 && ((c[0] == 0x00 && !(c[1] & 0x80)) || (c[0] == 0xff && (c[1] & 0x80))))
		return "INTEGER with a redundant leading octet (X.690 8.3.2)";
	return NULL;
}

/* X.690 8.19.2: every sub-identifier minimal and terminated, at least one */
static const char *oid_rule(const uint8_t *c, ssize_t len)
{
	ssize_t i;
	bool start = true;

	if (len < 1)
		return "OBJECT IDENTIFIER without content octets (X.690 8.19.2)";
	for (i = 0; i < len; i++) {
		if (start && c[i] == 0x80)
			return "OBJECT IDENTIFIER sub-identifier with a leading 0x80 octet (X.690 8.19.2)";
		start = !(c[i] & 0x80);
	}
	if (!start)
		return "OBJECT IDENTIFIER whose last sub-identifier is unterminated (X.690 8.19.2)";
	return NULL;
}

enum prim { P_BOOLEAN, P_NULL, P_INTEGER, P_OID };

static const char *prim_rule(enum prim kind, const uint8_t *p, size_t n)
{
	const uint8_t *c = NULL;
	ssize_t len = primitive_content(p, n, &c);

	if (len < 0)
		return "primitive encoding not found";
	switch (kind) {
	case P_BOOLEAN:
		return len == 1 ? NULL : "BOOLEAN without exactly one content octet (X.690 8.2.1)";
	case P_NULL:
		return len == 0 ? NULL : "NULL with content octets (X.690 8.8.2)";
	case P_INTEGER:
		return integer_rule(c, len);
	case P_OID:
		return oid_rule(c, len);
	}
	return NULL;
}

static ber_type_decoder_f *orig_boolean, *orig_null, *orig_integer, *orig_native_integer,
	*orig_enumerated, *orig_native_enumerated, *orig_oid, *orig_bit_string, *orig_any;

static asn_dec_rval_t checked(asn_dec_rval_t rv, enum prim kind, asn_TYPE_descriptor_t *td, const void *buf)
{
	const char *rule;

	if (rv.code != RC_OK)
		return rv;
	rule = prim_rule(kind, buf, rv.consumed);
	if (rule) {
		violation(td, buf, rule);
		rv.code = RC_FAIL;
	}
	return rv;
}

#define STRICT_DECODER(fn, orig, kind)								\
	static asn_dec_rval_t fn(asn_codec_ctx_t *cc, asn_TYPE_descriptor_t *td, void **sptr,	\
				 const void *buf, size_t size, int tag_mode)			\
	{											\
		return checked(orig(cc, td, sptr, buf, size, tag_mode), kind, td, buf);		\
	}

STRICT_DECODER(strict_boolean, orig_boolean, P_BOOLEAN)
STRICT_DECODER(strict_null, orig_null, P_NULL)
STRICT_DECODER(strict_integer, orig_integer, P_INTEGER)
STRICT_DECODER(strict_native_integer, orig_native_integer, P_INTEGER)
STRICT_DECODER(strict_enumerated, orig_enumerated, P_INTEGER)
STRICT_DECODER(strict_native_enumerated, orig_native_enumerated, P_INTEGER)
STRICT_DECODER(strict_oid, orig_oid, P_OID)

/* X.690 8.6.2.2-3: 0..7 unused bits, none in an empty string (a constructed
 * string's segments end up in the same fields) */
static asn_dec_rval_t strict_bit_string(asn_codec_ctx_t *cc, asn_TYPE_descriptor_t *td, void **sptr,
					const void *buf, size_t size, int tag_mode)
{
	asn_dec_rval_t rv = orig_bit_string(cc, td, sptr, buf, size, tag_mode);
	const BIT_STRING_t *bs = *sptr;

	if (rv.code != RC_OK || !bs)
		return rv;
	if (bs->bits_unused < 0 || bs->bits_unused > 7) {
		violation(td, buf, "BIT STRING with more than 7 unused bits (X.690 8.6.2.2)");
		rv.code = RC_FAIL;
	} else if (bs->size == 0 && bs->bits_unused) {
		violation(td, buf, "empty BIT STRING with unused bits (X.690 8.6.2.3)");
		rv.code = RC_FAIL;
	}
	return rv;
}

/* An open type's value is one whole TLV: an explicit tag around it is
 * constructed and holds exactly that (X.690 8.14.2). A primitive [1] read as
 * an open type would give contents that are no TLV, and the encoder would
 * then wrap them in a constructed tag. */
static asn_dec_rval_t strict_any(asn_codec_ctx_t *cc, asn_TYPE_descriptor_t *td, void **sptr,
				 const void *buf, size_t size, int tag_mode)
{
	asn_dec_rval_t rv = orig_any(cc, td, sptr, buf, size, tag_mode);
	const ANY_t *any = *sptr;

	if (rv.code != RC_OK || !any)
		return rv;
	if (!asn_strict_one_tlv(any->buf, (size_t)any->size)) {
		violation(td, buf, "open type whose value is not one whole TLV (X.690 8.14)");
		rv.code = RC_FAIL;
	} else if (rv.consumed > (size_t)any->size && !BER_TLV_CONSTRUCTED(buf)) {
		/* an outer tag around the value: explicit, so constructed (EXTERNAL's
		 * single-ASN1-type [0] written as 80 would be read, and re-encoded as a0) */
		violation(td, buf, "explicit tag in the primitive form (X.690 8.14.2)");
		rv.code = RC_FAIL;
	}
	return rv;
}

static void wrap(asn_TYPE_descriptor_t *td, ber_type_decoder_f **orig, ber_type_decoder_f *strict)
{
	if (td->ber_decoder == strict)
		return;
	*orig = td->ber_decoder;
	td->ber_decoder = strict;
}

void asn_strict_install(void)
{
	wrap(&asn_DEF_BOOLEAN, &orig_boolean, strict_boolean);
	wrap(&asn_DEF_NULL, &orig_null, strict_null);
	wrap(&asn_DEF_INTEGER, &orig_integer, strict_integer);
	wrap(&asn_DEF_NativeInteger, &orig_native_integer, strict_native_integer);
	wrap(&asn_DEF_ENUMERATED, &orig_enumerated, strict_enumerated);
	wrap(&asn_DEF_NativeEnumerated, &orig_native_enumerated, strict_native_enumerated);
	wrap(&asn_DEF_OBJECT_IDENTIFIER, &orig_oid, strict_oid);
	wrap(&asn_DEF_BIT_STRING, &orig_bit_string, strict_bit_string);
	wrap(&asn_DEF_ANY, &orig_any, strict_any);
}
