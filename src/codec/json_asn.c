/*
 * JSON -> asn1c structure, generically from the type descriptors; the inverse
 * of asn_json.c. Errors name the ASN.1 path that was wrong, e.g.
 * "RoutingInfoForSM-Arg.msisdn: expected a hex string".
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <INTEGER.h>
#include <BOOLEAN.h>
#include <NULL.h>
#include <OCTET_STRING.h>
#include <BIT_STRING.h>
#include <OBJECT_IDENTIFIER.h>
#include <constr_SEQUENCE.h>
#include <ber_decoder.h>
#include <constr_CHOICE.h>
#include <constr_SET_OF.h>
#include <asn_SET_OF.h>

#include <osmocom/core/utils.h>

#include "asn_arena.h"
#include "asn_json.h"

#define MAX_VALUE_BYTES 4096

static const char *type_name(asn_TYPE_descriptor_t *td)
{
	return td->name && td->name[0] ? td->name : "value";
}

/* Hex text (either case) to bytes; returns the byte count or -1. */
static long hex_decode(const char *s, uint8_t *out, size_t cap)
{
	return osmo_hexparse(s, out, cap > UINT_MAX ? UINT_MAX : (unsigned)cap);
}

static int set_bytes(struct asn_json *c, asn_TYPE_descriptor_t *td, OCTET_STRING_t *os,
		     const uint8_t *p, size_t n)
{
	if (OCTET_STRING_fromBuf(os, (const char *)p, (int)n))
		return asn_json_error(c, "%s: out of memory", type_name(td));
	return 0;
}

static int octets_from_json(struct asn_json *c, asn_TYPE_descriptor_t *td, const jv_t *v,
			    OCTET_STRING_t *os)
{
	uint8_t buf[MAX_VALUE_BYTES];
	long n;

	n = codec_value_from_json(c, td, v, buf, sizeof(buf));
	if (n == CODEC_VALUE_ERROR)
		return -1;		/* a value hook failed and said why */
	if (n >= 0)
		return set_bytes(c, td, os, buf, (size_t)n);
	/* no hook for this type: plain hex */
	if (!jv_is_string(v))
		return asn_json_error(c, "%s: expected a hex string", type_name(td));
	n = hex_decode(jv_string_value(v), buf, sizeof(buf));
	if (n < 0)
		return asn_json_error(c, "%s: bad hex string", type_name(td));
	return set_bytes(c, td, os, buf, (size_t)n);
}

/* A character string: JSON text, or {"hex": ...} as the decoder writes one
 * with bytes outside printable ASCII. */
static int string_from_json(struct asn_json *c, asn_TYPE_descriptor_t *td, const jv_t *v,
			    OCTET_STRING_t *os)
{
	uint8_t buf[MAX_VALUE_BYTES];
	const jv_t *h;
	long n;

	if (jv_is_string(v))
		return set_bytes(c, td, os, (const uint8_t *)jv_string_value(v), jv_string_length(v));
	h = jv_is_object(v) ? jv_object_get(v, "hex") : NULL;
	if (!h || !jv_is_string(h))
		return asn_json_error(c, "%s: expected a string or {\"hex\": ...}", type_name(td));
	n = hex_decode(jv_string_value(h), buf, sizeof(buf));
	if (n < 0)
		return asn_json_error(c, "%s: bad hex string", type_name(td));
	return set_bytes(c, td, os, buf, (size_t)n);
}

static int integer_from_json(struct asn_json *c, asn_TYPE_descriptor_t *td, const jv_t *v,
			     INTEGER_t *st)
{
	if (!jv_is_integer(v))
		return asn_json_error(c, "%s: expected an integer", type_name(td));
	if (asn_long2INTEGER(st, (long)jv_integer_value(v)))
		return asn_json_error(c, "%s: out of memory", type_name(td));
	return 0;
}

/* An ENUMERATED value from its identifier (or, for values a later release
 * added, its number). */
static int enum_value_from_json(struct asn_json *c, asn_TYPE_descriptor_t *td, const jv_t *v,
				long *out)
{
	const asn_INTEGER_specifics_t *s = td->specifics;
	const char *name;
	int i;

	if (jv_is_integer(v)) {
		*out = (long)jv_integer_value(v);
		return 0;
	}
	if (!jv_is_string(v))
		return asn_json_error(c, "%s: expected an identifier", type_name(td));
	name = jv_string_value(v);
	for (i = 0; s && i < s->map_count; i++) {
		const asn_INTEGER_enum_map_t *e = &s->value2enum[i];
		if (strlen(name) == e->enum_len && !memcmp(name, e->enum_name, e->enum_len)) {
			*out = e->nat_value;
			return 0;
		}
	}
	return asn_json_error(c, "%s: unknown value \"%s\"", type_name(td), name);
}

static int enumerated_from_json(struct asn_json *c, asn_TYPE_descriptor_t *td, const jv_t *v,
				INTEGER_t *st)
{
	long val;

	if (enum_value_from_json(c, td, v, &val))
		return -1;
	if (asn_long2INTEGER(st, val))
		return asn_json_error(c, "%s: out of memory", type_name(td));
	return 0;
}

static int bit_string_from_json(struct asn_json *c, asn_TYPE_descriptor_t *td, const jv_t *v,
				BIT_STRING_t *st)
{
	uint8_t buf[MAX_VALUE_BYTES];
	const char *s;
	size_t n, i;

	if (jv_is_object(v)) {	/* {"hex":..., "unused":N}: the long form */
		const jv_t *h = jv_object_get(v, "hex"), *u = jv_object_get(v, "unused");
		long len;
		if (!jv_is_string(h) || !jv_is_integer(u) || jv_integer_value(u) < 0 ||
		    jv_integer_value(u) > 7)
			return asn_json_error(c, "%s: expected {\"hex\":..,\"unused\":0..7}", type_name(td));
		len = hex_decode(jv_string_value(h), buf, sizeof(buf));
		if (len < 0 || (len == 0 && jv_integer_value(u)))
			return asn_json_error(c, "%s: bad hex string", type_name(td));
		if (set_bytes(c, td, (OCTET_STRING_t *)st, buf, (size_t)len))
			return -1;
		st->bits_unused = (int)jv_integer_value(u);
		return 0;
	}
	if (!jv_is_string(v))
		return asn_json_error(c, "%s: expected a string of 0 and 1", type_name(td));
	s = jv_string_value(v);
	n = strlen(s);
	if (n > 8 * sizeof(buf))
		return asn_json_error(c, "%s: too long", type_name(td));
	memset(buf, 0, (n + 7) / 8);
	for (i = 0; i < n; i++) {
		if (s[i] != '0' && s[i] != '1')
			return asn_json_error(c, "%s: expected a string of 0 and 1", type_name(td));
		if (s[i] == '1')
			buf[i / 8] |= (uint8_t)(0x80 >> (i % 8));
	}
	if (set_bytes(c, td, (OCTET_STRING_t *)st, buf, (n + 7) / 8))
		return -1;
	st->bits_unused = (int)((8 - n % 8) % 8);
	return 0;
}

static int oid_from_json(struct asn_json *c, asn_TYPE_descriptor_t *td, const jv_t *v,
			 OBJECT_IDENTIFIER_t *st)
{
	unsigned long arcs[32];
	uint8_t out[32 * 10], *buf;
	size_t len = 0;
	const char *s;
	int n, i;

	if (!jv_is_string(v))
		return asn_json_error(c, "%s: expected a dotted OID", type_name(td));
	s = jv_string_value(v);
	n = OBJECT_IDENTIFIER_parse_arcs(s, (ssize_t)strlen(s), (long *)arcs, 32, NULL);
	if (n < 2 || n > 32 || arcs[0] > 2 || (arcs[0] < 2 && arcs[1] > 39))
		return asn_json_error(c, "%s: bad OID \"%s\"", type_name(td), s);
	/* X.690 8.19 by hand: asn1c 0.9.28's OBJECT_IDENTIFIER_set_arcs() refuses a
	 * second arc of 39 under 0 or 1 (it allows 38), which the decoder gives */
	for (i = 1; i < n; i++) {
		unsigned long long a = i == 1 ? arcs[0] * 40ULL + arcs[1] : arcs[i];
		uint8_t sub[10];
		int k = 0;

		do {
			sub[k++] = a & 0x7f;
			a >>= 7;
		} while (a);
		if (len + (size_t)k > sizeof(out))
			return asn_json_error(c, "%s: OID \"%s\" too long", type_name(td), s);
		while (k--)
			out[len++] = sub[k] | (k ? 0x80 : 0);
	}
	buf = asn_mem_malloc(len + 1);
	if (!buf)
		return asn_json_error(c, "%s: out of memory", type_name(td));
	memcpy(buf, out, len);
	buf[len] = 0;
	asn_mem_free(st->buf);
	st->buf = buf;
	st->size = (int)len;
	return 0;
}

static int any_from_json(struct asn_json *c, asn_TYPE_descriptor_t *td, const jv_t *v, ANY_t *any)
{
	uint8_t buf[MAX_VALUE_BYTES];
	long n;

	if (c->hooks && c->hooks->any_from_json) {
		int rc = c->hooks->any_from_json(c, c->parent, c->member, v, any);
		if (rc)
			return rc < 0 ? -1 : 0;
	}
	if (!jv_is_string(v))
		return asn_json_error(c, "%s: an open type without a known type takes a hex string",
				      c->member ? c->member->name : type_name(td));
	n = hex_decode(jv_string_value(v), buf, sizeof(buf));
	if (n < 0)
		return asn_json_error(c, "%s: bad hex string", c->member ? c->member->name : type_name(td));
	/* an explicit tag around it would be constructed: never with content that is no TLV */
	if (!asn_strict_one_tlv(buf, (size_t)n))
		return asn_json_error(c, "%s: an open type's value is one whole TLV (tag, length, contents)",
				      c->member ? c->member->name : type_name(td));
	return set_bytes(c, td, (OCTET_STRING_t *)any, buf, (size_t)n);
}

/*
 * Say where a failure happened: each level on the way out prepends its
 * member name, giving e.g. "begin.components[0].invoke.parameter.msisdn: ...".
 */
static int at(struct asn_json *c, const char *name, long index)
{
	char seg[80];
	size_t have, n;

	if (!c->err || !c->errsz)
		return -1;
	const char *glue = !c->path_started ? ": " : c->err[0] == '[' ? "" : ".";

	if (index >= 0)
		n = (size_t)snprintf(seg, sizeof(seg), "[%ld]%s", index, glue);
	else
		n = (size_t)snprintf(seg, sizeof(seg), "%s%s", name, glue);
	c->path_started = true;
	have = strlen(c->err);
	if (n >= sizeof(seg) || have + n + 1 > c->errsz)
		return -1;
	memmove(c->err + n, c->err, have + 1);
	memcpy(c->err, seg, n);
	return -1;
}

/* Allocate and fill a member kept by pointer. */
static int new_from_json(struct asn_json *c, asn_TYPE_descriptor_t *td, const jv_t *v, void **pp)
{
	size_t sz = asn_struct_size(td);

	if (!sz)
		return asn_json_error(c, "%s: unsupported ASN.1 type", type_name(td));
	*pp = asn_mem_calloc(1, sz);
	if (!*pp)
		return asn_json_error(c, "%s: out of memory", type_name(td));
	return asn_from_json(c, td, v, *pp);
}

/*
 * A primitive member's constraints (SIZE, range) are checked as soon as it is
 * built, so that the error says which field; constructed members are checked
 * through their own members.
 */
static int check_member(struct asn_json *c, asn_TYPE_member_t *m, const void *mp)
{
	asn_constr_check_f *chk = m->memb_constraints ? m->memb_constraints : m->type->check_constraints;

	switch (asn_kind_of(m->type)) {
	case ASN_K_SEQUENCE:
	case ASN_K_SET:
	case ASN_K_CHOICE:
	case ASN_K_SEQUENCE_OF:
	case ASN_K_SET_OF:
		return 0;
	default:
		break;
	}
	/* the caller's path names the member: the error says the rule */
	return asn_json_constraint_error(c, NULL, m->type, chk,
					 m->per_constraints ? m->per_constraints : m->type->per_constraints, mp);
}

static int member_from_json(struct asn_json *c, asn_TYPE_member_t *m, const jv_t *v, void *sptr)
{
	char *p = (char *)sptr + m->memb_offset;
	int rc;

	if (m->flags & ATF_POINTER) {
		rc = new_from_json(c, m->type, v, (void **)p);
		return rc ? rc : check_member(c, m, *(void **)p);
	}
	rc = asn_from_json(c, m->type, v, p);
	return rc ? rc : check_member(c, m, p);
}

/* Keys beside the ASN.1 members that the decoder adds for readers. */
static bool is_annotation(const char *key)
{
	return !strcmp(key, "operation") || !strcmp(key, "error") || key[0] == '_';
}

/* Check that buf holds whole TLVs whose tags no member of td has. */
static int check_unknown_tlvs(struct asn_json *c, asn_TYPE_descriptor_t *td, const uint8_t *buf, size_t n)
{
	const asn_SEQUENCE_specifics_t *s = td->specifics;
	size_t off = 0;
	int i;

	while (off < n) {
		ber_tlv_tag_t tag;
		ssize_t tl = ber_fetch_tag(buf + off, n - off, &tag), skip;

		if (tl <= 0)
			return asn_json_error(c, "%s.%s: bad tag", type_name(td), ASN_JSON_UNKNOWN_EXT);
		skip = ber_skip_length(NULL, BER_TLV_CONSTRUCTED(buf + off), buf + off + tl, n - off - (size_t)tl);
		if (skip <= 0)
			return asn_json_error(c, "%s.%s: bad length", type_name(td), ASN_JSON_UNKNOWN_EXT);
		for (i = 0; i < s->tag2el_count; i++)
			if (s->tag2el[i].el_tag == tag)
				return asn_json_error(c, "%s.%s: tag of a known member", type_name(td),
						      ASN_JSON_UNKNOWN_EXT);
		off += (size_t)(tl + skip);
	}
	return 0;
}

/* One run: hex TLVs, placed before the named member or at the end. */
static int unknown_run_from_json(struct asn_json *c, asn_TYPE_descriptor_t *td, const jv_t *hex,
				 const jv_t *before, void *sptr)
{
	uint8_t buf[MAX_VALUE_BYTES];
	long n = jv_is_string(hex) ? hex_decode(jv_string_value(hex), buf, sizeof(buf)) : -1;
	int at = td->elements_count;

	if (n <= 0)
		return asn_json_error(c, "%s.%s: expected hex TLVs", type_name(td), ASN_JSON_UNKNOWN_EXT);
	if (before) {
		for (at = 0; at < td->elements_count; at++)
			if (jv_is_string(before) && !strcmp(td->elements[at].name, jv_string_value(before)))
				break;
		if (at == td->elements_count)
			return asn_json_error(c, "%s.%s: \"before\" names no member", type_name(td),
					      ASN_JSON_UNKNOWN_EXT);
	}
	if (check_unknown_tlvs(c, td, buf, (size_t)n))
		return -1;
	if (asn_ext_add(td, sptr, buf, (size_t)n, at))
		return asn_json_error(c, "%s: out of memory", type_name(td));
	return 0;
}

/*
 * Extension fields our ASN.1 does not know, as the decoder kept them (a hex
 * string, or runs with their places); written back by asn_ext.c.
 */
static int unknown_ext_from_json(struct asn_json *c, asn_TYPE_descriptor_t *td, const jv_t *v, void *sptr)
{
	size_t i;

	if (!asn_ext_extensible(td))
		return asn_json_error(c, "%s: not extensible, has no %s", type_name(td), ASN_JSON_UNKNOWN_EXT);
	if (jv_is_string(v))
		return unknown_run_from_json(c, td, v, NULL, sptr);
	if (!jv_is_array(v))
		return asn_json_error(c, "%s.%s: expected hex or a list of runs", type_name(td), ASN_JSON_UNKNOWN_EXT);
	for (i = 0; i < jv_array_size(v); i++) {
		const jv_t *r = jv_array_get(v, i);
		if (unknown_run_from_json(c, td, jv_object_get(r, "hex"), jv_object_get(r, "before"), sptr))
			return -1;
	}
	return 0;
}

static int sequence_from_json(struct asn_json *c, asn_TYPE_descriptor_t *td, const jv_t *v, void *sptr)
{
	asn_TYPE_descriptor_t *saved_parent = c->parent;
	asn_TYPE_member_t *saved_member = c->member;
	const char *key;
	jv_t *val;
	size_t k;
	int i, rc = 0;

	if (!jv_is_object(v))
		return asn_json_error(c, "%s: expected an object", type_name(td));
	jv_object_foreach(v, k, val) {
		key = val->key;
		for (i = 0; i < td->elements_count; i++)
			if (!strcmp(td->elements[i].name, key))
				break;
		if (i == td->elements_count && !is_annotation(key))
			return asn_json_error(c, "%s: unknown field \"%s\"", type_name(td), key);
	}
	if (rc == 0 && (val = jv_object_get(v, ASN_JSON_UNKNOWN_EXT)))
		rc = unknown_ext_from_json(c, td, val, sptr);
	for (i = 0; i < td->elements_count && rc == 0; i++) {
		asn_TYPE_member_t *m = &td->elements[i];
		const jv_t *mv = jv_object_get(v, m->name);

		c->parent = td;
		c->member = m;
		if (c->hooks && c->hooks->before_member)
			c->hooks->before_member(c, td, m, v);
		if (!mv) {
			if (!m->optional && !(m->flags & ATF_POINTER) && !m->default_value)
				rc = asn_json_error(c, "%s: missing mandatory field \"%s\"", type_name(td), m->name);
			else if (!(m->flags & ATF_POINTER) && !m->optional && m->default_value)
				m->default_value(1, (void **)((char *)sptr + m->memb_offset));
			continue;
		}
		rc = member_from_json(c, m, mv, sptr);
		if (rc)
			at(c, m->name, -1);
	}
	c->parent = saved_parent;
	c->member = saved_member;
	return rc;
}

static int choice_from_json(struct asn_json *c, asn_TYPE_descriptor_t *td, const jv_t *v, void *sptr)
{
	const asn_CHOICE_specifics_t *s = td->specifics;
	const char *key;
	jv_t *val;
	int i, present;
	char *pres;

	if (!jv_is_object(v) || jv_object_size(v) != 1)
		return asn_json_error(c, "%s: expected an object with exactly one alternative", type_name(td));
	val = v->u.items[0];
	key = val->key;
	for (i = 0; i < td->elements_count; i++)
		if (!strcmp(td->elements[i].name, key))
			break;
	if (i == td->elements_count)
		return asn_json_error(c, "%s: unknown alternative \"%s\"", type_name(td), key);
	present = i + 1;
	pres = (char *)sptr + s->pres_offset;
	switch (s->pres_size) {
	case sizeof(int): { int p = present; memcpy(pres, &p, sizeof(p)); break; }
	case sizeof(short): { short p = (short)present; memcpy(pres, &p, sizeof(p)); break; }
	case sizeof(char): *pres = (char)present; break;
	default: return asn_json_error(c, "%s: unsupported CHOICE layout", type_name(td));
	}
	c->member = &td->elements[i];
	if (member_from_json(c, &td->elements[i], val, sptr))
		return at(c, key, -1);
	return 0;
}

static int sequence_of_from_json(struct asn_json *c, asn_TYPE_descriptor_t *td, const jv_t *v, void *sptr)
{
	asn_TYPE_descriptor_t *et = td->elements[0].type;
	asn_anonymous_set_ *list = _A_SET_FROM_VOID(sptr);
	size_t i;

	if (!jv_is_array(v))
		return asn_json_error(c, "%s: expected an array", type_name(td));
	if (asn_check_list_size(c, td, (int)jv_array_size(v)))
		return -1;
	for (i = 0; i < jv_array_size(v); i++) {
		void *elem = NULL;
		if (new_from_json(c, et, jv_array_get(v, i), &elem)) {
			if (!asn_arena_active())
				ASN_STRUCT_FREE(*et, elem);
			return at(c, NULL, (long)i);
		}
		if (asn_set_add(list, elem)) {
			if (!asn_arena_active())
				ASN_STRUCT_FREE(*et, elem);
			return asn_json_error(c, "%s: out of memory", type_name(td));
		}
	}
	return 0;
}

int asn_from_json(struct asn_json *c, asn_TYPE_descriptor_t *td, const jv_t *v, void *sptr)
{
	int rc;

	if (++c->depth > 48) {
		c->depth--;
		return asn_json_error(c, "%s: nested too deeply", type_name(td));
	}
	switch (asn_kind_of(td)) {
	case ASN_K_SEQUENCE:
	case ASN_K_SET:
		rc = sequence_from_json(c, td, v, sptr);
		break;
	case ASN_K_CHOICE:
		rc = choice_from_json(c, td, v, sptr);
		break;
	case ASN_K_SEQUENCE_OF:
	case ASN_K_SET_OF:
		rc = sequence_of_from_json(c, td, v, sptr);
		break;
	case ASN_K_INTEGER:
		rc = integer_from_json(c, td, v, sptr);
		break;
	case ASN_K_ENUMERATED:
		rc = enumerated_from_json(c, td, v, sptr);
		break;
	case ASN_K_NATIVE_INTEGER:
		if (!jv_is_integer(v))
			rc = asn_json_error(c, "%s: expected an integer", type_name(td));
		else {
			*(long *)sptr = (long)jv_integer_value(v);
			rc = 0;
		}
		break;
	case ASN_K_NATIVE_ENUMERATED:
		rc = enum_value_from_json(c, td, v, sptr);
		break;
	case ASN_K_BOOLEAN:
		if (!jv_is_boolean(v))
			rc = asn_json_error(c, "%s: expected true or false", type_name(td));
		else {
			*(BOOLEAN_t *)sptr = jv_is_true(v);
			rc = 0;
		}
		break;
	case ASN_K_NULL:
		if (!jv_is_null(v))
			rc = asn_json_error(c, "%s: expected null", type_name(td));
		else
			rc = 0;
		break;
	case ASN_K_BIT_STRING:
		rc = bit_string_from_json(c, td, v, sptr);
		break;
	case ASN_K_OID:
		rc = oid_from_json(c, td, v, sptr);
		break;
	case ASN_K_ANY:
		rc = any_from_json(c, td, v, sptr);
		break;
	case ASN_K_OCTET_STRING:
		rc = octets_from_json(c, td, v, sptr);
		break;
	case ASN_K_STRING:
		rc = string_from_json(c, td, v, sptr);
		break;
	default:
		rc = asn_json_error(c, "%s: unsupported ASN.1 type", type_name(td));
	}
	c->depth--;
	return rc;
}

int asn_json_to_any(struct asn_json *c, asn_TYPE_descriptor_t *td, const jv_t *v, ANY_t *any)
{
	void *st = asn_mem_calloc(1, asn_struct_size(td) ? asn_struct_size(td) : 1);
	size_t mark = asn_ext_mark();
	char why[128];
	size_t whylen = sizeof(why);
	int rc;

	if (!st)
		return asn_json_error(c, "%s: out of memory", type_name(td));
	rc = asn_from_json(c, td, v, st);
	if (rc == 0 && asn_check_constraints(td, st, why, &whylen)
	    && !(rc = asn_json_constraint_error(c, type_name(td), td, NULL, NULL, st)))
		rc = asn_json_error(c, "%s", asn_json_clean_reason(why, whylen));
	if (rc == 0) {
		uint8_t buf[MAX_VALUE_BYTES];
		long n = asn_der_encode_checked(td, st, buf, sizeof(buf));
		if (n < 0)
			rc = asn_json_error(c, "%s: %s", type_name(td),
					    n == ASN_DER_NO_ROOM ? "too long" : "cannot be encoded");
		else if (OCTET_STRING_fromBuf((OCTET_STRING_t *)any, (const char *)buf, (int)n))
			rc = asn_json_error(c, "%s: out of memory", type_name(td));
	}
	if (!asn_arena_active())
		ASN_STRUCT_FREE(*td, st);
	asn_ext_release(mark);
	return rc;
}
