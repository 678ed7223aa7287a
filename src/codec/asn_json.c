/*
 * asn1c structure -> JSON, generically from the type descriptors (see asn_json.h).
 * Shapes: SEQUENCE/SET -> object keyed by ASN.1 identifiers, CHOICE -> object
 * with one key, SEQUENCE OF -> array, INTEGER -> number, ENUMERATED -> its
 * identifier, OCTET STRING -> lowercase hex, BIT STRING -> "0101...",
 * OBJECT IDENTIFIER -> dotted text, NULL -> null, open types -> hooks or hex.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <INTEGER.h>
#include <NativeInteger.h>
#include <NativeEnumerated.h>
#include <BOOLEAN.h>
#include <NULL.h>
#include <OCTET_STRING.h>
#include <BIT_STRING.h>
#include <OBJECT_IDENTIFIER.h>
#include <constr_SEQUENCE.h>
#include <constr_SET.h>
#include <constr_CHOICE.h>
#include <constr_SEQUENCE_OF.h>
#include <constr_SET_OF.h>
#include <asn_SET_OF.h>

#include "asn_json.h"
#include "ptrmap.h"
#include "asn_arena.h"

#define ASN_JSON_MAX_DEPTH 48

/* A silent constraint-failure callback: the caller words the error. */
void asn_json_ctfail(void *key, asn_TYPE_descriptor_t *td, const void *sptr, const char *fmt, ...)
{
	(void)key, (void)td, (void)sptr, (void)fmt;
}

/*
 * asn1c's constraint messages end in the generated file and line, which mean
 * nothing to a user: cut them off. Works in place on why[0..len).
 */
const char *asn_json_clean_reason(char *why, size_t len)
{
	char *p;

	why[len < 160 ? len : 159] = '\0';
	p = strstr(why, " (");
	if (p && strchr(p, ':') && p[strlen(p) - 1] == ')')
		*p = '\0';
	return why;
}

int asn_json_error(struct asn_json *c, const char *fmt, ...)
{
	va_list ap;

	if (c->err && c->errsz && !c->err[0]) {
		va_start(ap, fmt);
		vsnprintf(c->err, c->errsz, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/*
 * asn1c 0.9.28 gives a derived type (X ::= Y) wrapper functions that copy
 * Y's operations, elements and specifics into X's descriptor on first use.
 * Calling the free wrapper with a NULL structure triggers that copy without
 * touching any data; then the descriptor tells its real kind. Each type is
 * visited once (the types form a DAG with much sharing).
 */
#define PRIME_SET_SIZE 16384
static asn_TYPE_descriptor_t *primed[PRIME_SET_SIZE];

static bool first_visit(asn_TYPE_descriptor_t *td)
{
	size_t h = ((uintptr_t)td >> 4) % PRIME_SET_SIZE, i;

	for (i = 0; i < PRIME_SET_SIZE; i++, h = (h + 1) % PRIME_SET_SIZE) {
		if (primed[h] == td)
			return false;
		if (!primed[h]) {
			primed[h] = td;
			return true;
		}
	}
	return false;	/* full: more types than any schema of ours has */
}

static const char *const role_names[MR_COUNT] = {
	[MR_DIRECT_REFERENCE] = "direct-reference",
	[MR_ENCODING] = "encoding",
	[MR_SINGLE_ASN1_TYPE] = "single-ASN1-type",
	[MR_ACN] = "application-context-name",
	[MR_OPCODE] = "opCode",
	[MR_ERRORCODE] = "errorCode",
	[MR_PARAMETER] = "parameter",
	[MR_SM_RP_DA] = "sm-RP-DA",
	[MR_SM_RP_UI] = "sm-RP-UI",
	[MR_USSD_STRING] = "ussd-String",
};
static struct ptrmap member_roles;

int asn_member_role(const asn_TYPE_member_t *m)
{
	return ptrmap_get(&member_roles, m);
}

static void index_members(asn_TYPE_descriptor_t *td)
{
	int i, r;

	for (i = 0; i < td->elements_count; i++)
		for (r = 1; r < MR_COUNT; r++)
			if (td->elements[i].name && !strcmp(td->elements[i].name, role_names[r]))
				ptrmap_put(&member_roles, &td->elements[i], r);
}

void asn_json_prime(asn_TYPE_descriptor_t *td)
{
	int i;

	asn_constr_check_f *own_check;

	if (!td || !td->free_struct || !first_visit(td))
		return;
	/* The copy also overwrites the type's own constraint checker (its SIZE
	 * or range) with the base type's, which checks nothing: an asn1c 0.9.28
	 * bug that would let a 5-octet otid or a 20-octet msisdn through. */
	own_check = td->check_constraints;
	td->free_struct(td, NULL, 0);
	td->check_constraints = own_check;
	index_members(td);
	for (i = 0; i < td->elements_count; i++)
		asn_json_prime(td->elements[i].type);
	asn_ext_install(td);
}

static bool is_enumerated(asn_TYPE_descriptor_t *td)
{
	return td->all_tags_count > 0 &&
	       td->all_tags[td->all_tags_count - 1] == (ASN_TAG_CLASS_UNIVERSAL | (10 << 2));
}

enum asn_kind asn_kind_of(asn_TYPE_descriptor_t *td)
{
	asn_struct_print_f *pr = td->print_struct;
	der_type_encoder_f *enc = td->der_encoder;

	if (pr == SEQUENCE_print)
		return ASN_K_SEQUENCE;
	if (pr == CHOICE_print)
		return ASN_K_CHOICE;
	if (pr == SET_OF_print)
		return enc == SEQUENCE_OF_encode_der ? ASN_K_SEQUENCE_OF : ASN_K_SET_OF;
	if (pr == SET_print)
		return ASN_K_SET;
	/* ENUMERATED shares INTEGER's code; its universal tag tells them apart */
	if (pr == INTEGER_print)
		return is_enumerated(td) ? ASN_K_ENUMERATED : ASN_K_INTEGER;
	if (pr == NativeInteger_print)
		return is_enumerated(td) ? ASN_K_NATIVE_ENUMERATED : ASN_K_NATIVE_INTEGER;
	if (pr == BOOLEAN_print)
		return ASN_K_BOOLEAN;
	if (pr == NULL_print)
		return ASN_K_NULL;
	if (pr == BIT_STRING_print)
		return ASN_K_BIT_STRING;
	if (pr == OBJECT_IDENTIFIER_print)
		return ASN_K_OID;
	if (td->xer_encoder == ANY_encode_xer)
		return ASN_K_ANY;
	if (pr == OCTET_STRING_print)
		return ASN_K_OCTET_STRING;
	if (pr == OCTET_STRING_print_utf8)
		return ASN_K_STRING;
	return ASN_K_UNKNOWN;
}

size_t asn_struct_size(asn_TYPE_descriptor_t *td)
{
	switch (asn_kind_of(td)) {
	case ASN_K_SEQUENCE:
		return ((const asn_SEQUENCE_specifics_t *)td->specifics)->struct_size;
	case ASN_K_SET:
		return ((const asn_SET_specifics_t *)td->specifics)->struct_size;
	case ASN_K_CHOICE:
		return ((const asn_CHOICE_specifics_t *)td->specifics)->struct_size;
	case ASN_K_SEQUENCE_OF:
	case ASN_K_SET_OF:
		return ((const asn_SET_OF_specifics_t *)td->specifics)->struct_size;
	case ASN_K_INTEGER:
	case ASN_K_ENUMERATED:
	case ASN_K_OID:
		return sizeof(ASN__PRIMITIVE_TYPE_t);
	case ASN_K_NATIVE_INTEGER:
	case ASN_K_NATIVE_ENUMERATED:
		return sizeof(long);
	case ASN_K_BOOLEAN:
		return sizeof(BOOLEAN_t);
	case ASN_K_NULL:
		return sizeof(NULL_t);
	case ASN_K_BIT_STRING:
		return sizeof(BIT_STRING_t);
	case ASN_K_ANY:
		return sizeof(ANY_t);
	case ASN_K_OCTET_STRING:
	case ASN_K_STRING:
		return sizeof(OCTET_STRING_t);
	default:
		return 0;
	}
}

/* The index (1-based, 0 = none) of the CHOICE alternative present in sptr. */
int asn_choice_present(asn_TYPE_descriptor_t *td, const void *sptr)
{
	const asn_CHOICE_specifics_t *s = td->specifics;
	const char *p = (const char *)sptr + s->pres_offset;

	switch (s->pres_size) {
	case sizeof(int): { int v; memcpy(&v, p, sizeof(v)); return v; }
	case sizeof(short): { short v; memcpy(&v, p, sizeof(v)); return v; }
	case sizeof(char): return *(const signed char *)p;
	default: return 0;
	}
}

/* A character string (IA5String, NumericString, ...) as JSON text; one
 * with a byte outside printable ASCII as {"hex": ...}, which reads back the same. */
static void string_to_json(struct jw *w, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			break;
	if (i == n) {
		jw_strn(w, (const char *)p, n);
		return;
	}
	jw_obj_begin(w);
	jw_khex(w, "hex", p, n);
	jw_obj_end(w);
}

/* Pointer to member m of the structure sptr, or NULL when absent. */
static const void *member_ptr(const void *sptr, asn_TYPE_member_t *m)
{
	const char *p = (const char *)sptr + m->memb_offset;

	if (m->flags & ATF_POINTER)
		return *(const void *const *)p;
	return p;
}

static int integer_to_json(struct asn_json *c, const INTEGER_t *st)
{
	long v;

	if (asn_INTEGER2long(st, &v) == 0) {
		jw_int(c->w, v);
		return 0;
	}
	/* beyond a long (never in MAP/CAP): keep the two's complement bytes */
	jw_hex(c->w, st->buf, (size_t)st->size);
	return 0;
}

static int enum_value_to_json(struct asn_json *c, asn_TYPE_descriptor_t *td, long v)
{
	const asn_INTEGER_enum_map_t *e;

	e = td->specifics ? INTEGER_map_value2enum((asn_INTEGER_specifics_t *)td->specifics, v) : NULL;
	if (e)
		jw_strn(c->w, e->enum_name, e->enum_len);
	else
		jw_int(c->w, v);	/* a value added by a later release */
	return 0;
}

static int enumerated_to_json(struct asn_json *c, asn_TYPE_descriptor_t *td, const INTEGER_t *st)
{
	long v;

	if (asn_INTEGER2long(st, &v))
		return asn_json_error(c, "%s: value out of range", td->name);
	return enum_value_to_json(c, td, v);
}

static int bit_string_to_json(struct asn_json *c, const BIT_STRING_t *st)
{
	char tmp[512];
	size_t nbits, i;

	if (st->size < 0 || st->bits_unused < 0 || st->bits_unused > 7 || (st->size == 0 && st->bits_unused))
		return asn_json_error(c, "malformed BIT STRING");
	nbits = (size_t)st->size * 8 - (size_t)st->bits_unused;
	if (nbits >= sizeof(tmp)) {
		/* a long bit string is unreadable as digits anyway */
		jw_obj_begin(c->w);
		jw_khex(c->w, "hex", st->buf, (size_t)st->size);
		jw_kint(c->w, "unused", st->bits_unused);
		jw_obj_end(c->w);
		return 0;
	}
	for (i = 0; i < nbits; i++)
		tmp[i] = (st->buf[i / 8] & (0x80 >> (i % 8))) ? '1' : '0';
	jw_strn(c->w, tmp, nbits);
	return 0;
}

static int oid_to_json(struct asn_json *c, const OBJECT_IDENTIFIER_t *st)
{
	unsigned long arcs[32];
	char tmp[32 * 21], digits[24];
	int n, i, d;
	size_t len = 0;

	n = OBJECT_IDENTIFIER_get_arcs(st, arcs, sizeof(arcs[0]), 32);
	if (n < 1 || n > 32)
		return asn_json_error(c, "malformed OBJECT IDENTIFIER");
	for (i = 0; i < n; i++) {
		unsigned long a = arcs[i];
		if (i)
			tmp[len++] = '.';
		d = 0;
		do
			digits[d++] = (char)('0' + a % 10);
		while ((a /= 10));
		while (d)
			tmp[len++] = digits[--d];
	}
	jw_strn(c->w, tmp, len);
	return 0;
}

/*
 * Extension fields our ASN.1 does not know: one hex string of TLVs when they
 * all came after the known members (the usual case), else a list of runs,
 * each with the member it stood before: [{"before":"imsi","hex":...}, ...].
 */
static void unknown_ext_to_json(struct asn_json *c, asn_TYPE_descriptor_t *td, const void *sptr)
{
	const struct asn_ext_run *r, *first;
	size_t cursor = 0;

	first = asn_ext_next(td, sptr, &cursor);
	if (!first)
		return;
	c->unknown_ext_seen++;
	jw_key(c->w, ASN_JSON_UNKNOWN_EXT);
	r = asn_ext_next(td, sptr, &cursor);
	if (!r && first->before == td->elements_count) {
		jw_hex(c->w, first->tlv, first->len);
		return;
	}
	jw_arr_begin(c->w);
	for (cursor = 0; (r = asn_ext_next(td, sptr, &cursor));) {
		jw_obj_begin(c->w);
		if (r->before >= 0 && r->before < td->elements_count)
			jw_kstr(c->w, "before", td->elements[r->before].name);
		jw_khex(c->w, "hex", r->tlv, r->len);
		jw_obj_end(c->w);
	}
	jw_arr_end(c->w);
}

static int sequence_to_json(struct asn_json *c, asn_TYPE_descriptor_t *td, const void *sptr)
{
	asn_TYPE_descriptor_t *saved_parent = c->parent;
	asn_TYPE_member_t *saved_member = c->member;
	int i, rc = 0;

	jw_obj_begin(c->w);
	for (i = 0; i < td->elements_count && rc == 0; i++) {
		asn_TYPE_member_t *m = &td->elements[i];
		const void *mp = member_ptr(sptr, m);

		if (!mp)
			continue;
		jw_key(c->w, m->name);
		c->parent = td;
		c->member = m;
		rc = asn_to_json(c, m->type, mp);
		if (rc == 0 && c->hooks && c->hooks->after_member)
			c->hooks->after_member(c, td, m, mp);
	}
	unknown_ext_to_json(c, td, sptr);
	jw_obj_end(c->w);
	c->parent = saved_parent;
	c->member = saved_member;
	return rc;
}

static int choice_to_json(struct asn_json *c, asn_TYPE_descriptor_t *td, const void *sptr)
{
	int present = asn_choice_present(td, sptr);
	asn_TYPE_member_t *m;
	int rc;

	if (present < 1 || present > td->elements_count)
		return asn_json_error(c, "%s: no alternative present", td->name);
	m = &td->elements[present - 1];
	jw_obj_begin(c->w);
	jw_key(c->w, m->name);
	c->member = m;
	rc = asn_to_json(c, m->type, member_ptr(sptr, m));
	jw_obj_end(c->w);
	return rc;
}

/*
 * SIZE bounds of a SEQUENCE OF / SET OF. asn1c 0.9.28 checks them only for
 * lists written inline in a SEQUENCE; a named list type keeps them in its PER
 * constraints alone. Returns 0 or -1 with the reason.
 */
int asn_check_list_size(struct asn_json *c, asn_TYPE_descriptor_t *td, int count)
{
	const asn_per_constraint_t *sz = td->per_constraints ? &td->per_constraints->size : NULL;

	if (!sz || !(sz->flags & APC_CONSTRAINED) || (sz->flags & APC_EXTENSIBLE))
		return 0;
	if (count < sz->lower_bound || count > sz->upper_bound)
		return asn_json_error(c, "%s: %d elements, the size is %ld..%ld", td->name, count,
				      sz->lower_bound, sz->upper_bound);
	return 0;
}

static int sequence_of_to_json(struct asn_json *c, asn_TYPE_descriptor_t *td, const void *sptr)
{
	const asn_anonymous_set_ *list = _A_CSET_FROM_VOID(sptr);
	asn_TYPE_descriptor_t *et = td->elements[0].type;
	int i, rc = 0;

	if (asn_check_list_size(c, td, list->count))
		return -1;
	jw_arr_begin(c->w);
	for (i = 0; i < list->count && rc == 0; i++)
		rc = asn_to_json(c, et, list->array[i]);
	jw_arr_end(c->w);
	return rc;
}

static int any_to_json(struct asn_json *c, const ANY_t *any)
{
	if (c->hooks && c->hooks->any_to_json) {
		int rc = c->hooks->any_to_json(c, c->parent, c->member, any);
		if (rc)
			return rc < 0 ? -1 : 0;
	}
	jw_hex(c->w, any->buf, (size_t)any->size);
	return 0;
}

int asn_to_json(struct asn_json *c, asn_TYPE_descriptor_t *td, const void *sptr)
{
	int rc;

	if (!sptr)
		return asn_json_error(c, "%s: missing value", td->name);
	if (++c->depth > ASN_JSON_MAX_DEPTH) {
		c->depth--;
		return asn_json_error(c, "%s: nested too deeply", td->name);
	}
	switch (asn_kind_of(td)) {
	case ASN_K_SEQUENCE:
	case ASN_K_SET:
		rc = sequence_to_json(c, td, sptr);
		break;
	case ASN_K_CHOICE:
		rc = choice_to_json(c, td, sptr);
		break;
	case ASN_K_SEQUENCE_OF:
	case ASN_K_SET_OF:
		rc = sequence_of_to_json(c, td, sptr);
		break;
	case ASN_K_INTEGER:
		rc = integer_to_json(c, sptr);
		break;
	case ASN_K_ENUMERATED:
		rc = enumerated_to_json(c, td, sptr);
		break;
	case ASN_K_NATIVE_INTEGER:
		jw_int(c->w, *(const long *)sptr);
		rc = 0;
		break;
	case ASN_K_NATIVE_ENUMERATED:
		rc = enum_value_to_json(c, td, *(const long *)sptr);
		break;
	case ASN_K_BOOLEAN:
		jw_bool(c->w, *(const BOOLEAN_t *)sptr != 0);
		rc = 0;
		break;
	case ASN_K_NULL:
		jw_null(c->w);
		rc = 0;
		break;
	case ASN_K_BIT_STRING:
		rc = bit_string_to_json(c, sptr);
		break;
	case ASN_K_OID:
		rc = oid_to_json(c, sptr);
		break;
	case ASN_K_ANY:
		rc = any_to_json(c, sptr);
		break;
	case ASN_K_OCTET_STRING:
	case ASN_K_STRING: {
		const OCTET_STRING_t *os = sptr;
		rc = codec_value_to_json(c, td, os->buf, (size_t)os->size);
		if (rc == 0 && asn_kind_of(td) == ASN_K_STRING)
			string_to_json(c->w, os->buf, (size_t)os->size);
		else if (rc == 0)
			jw_hex(c->w, os->buf, (size_t)os->size);
		rc = rc < 0 ? -1 : 0;
		break;
	}
	default:
		rc = asn_json_error(c, "%s: unsupported ASN.1 type", td->name);
	}
	c->depth--;
	return rc;
}

/* --- constraint failures, in words ---------------------------------------- */

static void say_range(char *out, size_t n, const char *what, long v, const asn_per_constraint_t *r)
{
	if (r && (r->flags & (APC_CONSTRAINED | APC_SEMI_CONSTRAINED)) && v < r->lower_bound)
		snprintf(out, n, "%ld%s is below %ld", v, what, r->lower_bound);
	else if (r && (r->flags & APC_CONSTRAINED) && v > r->upper_bound)
		snprintf(out, n, "%ld%s is above %ld", v, what, r->upper_bound);
	else if (r && (r->flags & APC_CONSTRAINED))
		snprintf(out, n, "%ld%s is not allowed (%ld..%ld)", v, what, r->lower_bound, r->upper_bound);
	else
		snprintf(out, n, "%ld%s is not allowed", v, what);
}

static void say_size(char *out, size_t n, long v, const char *unit, const asn_per_constraint_t *r)
{
	if (r && (r->flags & APC_CONSTRAINED) && r->lower_bound == r->upper_bound)
		snprintf(out, n, "%ld %s, the size is %ld", v, unit, r->lower_bound);
	else if (r && (r->flags & APC_CONSTRAINED))
		snprintf(out, n, "%ld %s, the size is %ld..%ld", v, unit, r->lower_bound, r->upper_bound);
	else if (r && (r->flags & APC_SEMI_CONSTRAINED))
		snprintf(out, n, "%ld %s, the size is at least %ld", v, unit, r->lower_bound);
	else
		snprintf(out, n, "%ld %s: size not allowed", v, unit);
}

/* The rule a value of td broke, from the PER-visible constraints asn1c keeps. */
static void describe_violation(char *out, size_t n, asn_TYPE_descriptor_t *td,
			       const asn_per_constraints_t *pc, const void *sptr)
{
	const asn_per_constraint_t *val = pc ? &pc->value : NULL, *sz = pc ? &pc->size : NULL;
	long v;

	switch (asn_kind_of(td)) {
	case ASN_K_NATIVE_INTEGER:
	case ASN_K_NATIVE_ENUMERATED:
		say_range(out, n, "", *(const long *)sptr, val);
		return;
	case ASN_K_INTEGER:
	case ASN_K_ENUMERATED:
		if (asn_INTEGER2long(sptr, &v) == 0) {
			say_range(out, n, "", v, val);
			return;
		}
		break;
	case ASN_K_OCTET_STRING:
	case ASN_K_STRING:
		say_size(out, n, (long)((const OCTET_STRING_t *)sptr)->size,
			 asn_kind_of(td) == ASN_K_STRING ? "characters" : "octets", sz);
		return;
	case ASN_K_BIT_STRING: {
		const BIT_STRING_t *bs = sptr;
		say_size(out, n, (long)bs->size * 8 - bs->bits_unused, "bits", sz);
		return;
	}
	case ASN_K_SEQUENCE_OF:
	case ASN_K_SET_OF:
		say_size(out, n, (long)_A_CSET_FROM_VOID(sptr)->count, "elements", sz);
		return;
	default:
		break;
	}
	snprintf(out, n, "not a value %s allows", td->name);
}

/*
 * Find the innermost value that breaks its constraint, below sptr (of type
 * td, checked by check, described by pc). Writes "path: rule" and returns 1,
 * or 0 when every constraint holds.
 */
static int find_violation(asn_TYPE_descriptor_t *td, asn_constr_check_f *check,
			  const asn_per_constraints_t *pc, const void *sptr,
			  char *out, size_t n, char *path, size_t plen, int depth)
{
	int i;

	if (!check || check(td, sptr, asn_json_ctfail, NULL) == 0)
		return 0;
	if (depth < ASN_JSON_MAX_DEPTH) {
		enum asn_kind k = asn_kind_of(td);
		for (i = 0; i < td->elements_count && (k == ASN_K_SEQUENCE || k == ASN_K_SET || k == ASN_K_CHOICE); i++) {
			asn_TYPE_member_t *m = &td->elements[i];
			const void *mp;
			size_t l = strlen(path);
			if (k == ASN_K_CHOICE && asn_choice_present(td, sptr) != i + 1)
				continue;
			mp = member_ptr(sptr, m);
			if (!mp)
				continue;
			snprintf(path + l, plen - l, "%s%s", l ? "." : "", m->name);
			if (find_violation(m->type, m->memb_constraints ? m->memb_constraints : m->type->check_constraints,
					   m->per_constraints ? m->per_constraints : m->type->per_constraints,
					   mp, out, n, path, plen, depth + 1))
				return 1;
			path[l] = '\0';
		}
		if (k == ASN_K_SEQUENCE_OF || k == ASN_K_SET_OF) {
			const asn_anonymous_set_ *list = _A_CSET_FROM_VOID(sptr);
			asn_TYPE_member_t *m = &td->elements[0];
			for (i = 0; i < list->count; i++) {
				size_t l = strlen(path);
				snprintf(path + l, plen - l, "[%d]", i);
				if (find_violation(m->type, m->memb_constraints ? m->memb_constraints
										 : m->type->check_constraints,
						   m->per_constraints ? m->per_constraints : m->type->per_constraints,
						   list->array[i], out, n, path, plen, depth + 1))
					return 1;
				path[l] = '\0';
			}
		}
	}
	/* no member is to blame: this value is */
	{
		char rule[120];
		describe_violation(rule, sizeof(rule), td, pc, sptr);
		snprintf(out, n, "%s%s%s", path, path[0] ? ": " : "", rule);
	}
	return 1;
}

int asn_json_constraint_error(struct asn_json *c, const char *prefix, asn_TYPE_descriptor_t *td,
			      asn_constr_check_f *check, const asn_per_constraints_t *pc, const void *sptr)
{
	char out[200], path[160] = "";

	if (!find_violation(td, check ? check : td->check_constraints, pc ? pc : td->per_constraints, sptr,
			    out, sizeof(out), path, sizeof(path), 0))
		return 0;
	return asn_json_error(c, "%s%s%s", prefix ? prefix : "", prefix && out[0] != '\0' ? ": " : "", out);
}

int asn_ber_to_json(struct asn_json *c, asn_TYPE_descriptor_t *td, const uint8_t *buf, size_t len)
{
	asn_codec_ctx_t cc = { .max_stack_size = ASN_STACK_BUDGET };
	size_t mark = asn_ext_mark(), whylen;
	void *st = NULL;
	asn_dec_rval_t rv;
	char why[128];
	int rc = -1;

	asn_ext_recording(true);
	asn_strict_reset();
	rv = ber_decode(&cc, td, &st, buf, len);
	asn_ext_recording(false);
	if (rv.code != RC_OK) {
		char rule[200];
		if (rv.code == RC_FAIL && asn_strict_reason(buf, len, rule, sizeof(rule))) {
			c->fail_stage = ASN_FAIL_X690;
			asn_json_error(c, "%s: %s", td->name, rule);
		} else {
			c->fail_stage = ASN_FAIL_STRUCTURE;
			asn_json_error(c, "%s: %s at offset %zu", td->name,
				       rv.code == RC_WMORE ? "truncated" : "malformed", rv.consumed);
		}
		goto out;
	}
	c->fail_stage = ASN_FAIL_VALUE;
	if (rv.consumed != len) {
		c->fail_stage = ASN_FAIL_STRUCTURE;
		asn_json_error(c, "%s: %zu bytes of garbage after the value", td->name, len - rv.consumed);
		goto out;
	}
	whylen = sizeof(why);
	if (asn_check_constraints(td, st, why, &whylen)) {
		if (!asn_json_constraint_error(c, td->name, td, NULL, NULL, st))
			asn_json_error(c, "%s: %s", td->name, asn_json_clean_reason(why, whylen));
		goto out;
	}
	rc = asn_to_json(c, td, st);
out:
	if (!asn_arena_active())	/* else the arena goes at once, later */
		ASN_STRUCT_FREE(*td, st);
	asn_ext_release(mark);
	return rc;
}
