/*
 * One TCAP message <-> JSON: the TCAP structure comes from the generic
 * converter; this file resolves what TCAP leaves open: the dialogue PDUs inside
 * EXTERNAL (by direct-reference) and component parameters (by protocol,
 * application-context version and opcode or error code, from the ops tables).
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <TCMessage.h>
#include <OPERATION.h>
#include <ERROR.h>

#include "ss7gw/codec.h"
#include "asn_json.h"
#include "ops.h"

extern asn_TYPE_descriptor_t *asn_pdu_collection[];

/* Abstract syntaxes carried in EXTERNAL */
static const unsigned long dialogue_as_id[] = { 0, 0, 17, 773, 1, 1, 1 };
static const unsigned long uni_dialogue_as_id[] = { 0, 0, 17, 773, 1, 2, 1 };
static const unsigned long map_dialogue_as_id[] = { 0, 4, 0, 0, 1, 1, 1, 1 };

static asn_TYPE_descriptor_t *td_dialogue_pdu, *td_uni_dialogue_pdu, *td_map_dialogue_pdu;

struct tcap_state {
	const struct ss7_codec_opts *opts;
	enum ss7_proto proto;
	int version;			/* 0: unknown, try the newest first */
	enum ss7_proto ac_proto;	/* the protocol an application context named, or NONE */
	unsigned long oid[16];		/* direct-reference of the EXTERNAL being read */
	int oid_len;
	long code;			/* opcode or error code of the current component */
	bool code_valid;
	char note[200];			/* why a parameter stayed hex */
	bool raw_param;			/* encode: the parameter is given as raw hex */
	struct jv_doc *doc;		/* encode: the parsed input, completed in place */
};

static asn_TYPE_descriptor_t *find_type(const char *name)
{
	asn_TYPE_descriptor_t **tdp;

	for (tdp = asn_pdu_collection; *tdp; tdp++)
		if (!strcmp((*tdp)->name, name))
			return *tdp;
	return NULL;
}

static void init_once(void)
{
	asn_TYPE_descriptor_t **tdp;

	/* before priming: derived types copy their base's decoder then */
	asn_strict_install();
	for (tdp = asn_pdu_collection; *tdp; tdp++)
		asn_json_prime(*tdp);
	td_dialogue_pdu = find_type("DialoguePDU");
	td_uni_dialogue_pdu = find_type("UniDialoguePDU");
	td_map_dialogue_pdu = find_type("MAP-DialoguePDU");
	codec_hooks_init();
}

void ss7_codec_selfcheck(bool on)
{
	asn_der_selfcheck(on);
}

bool ss7_codec_one_tlv(const uint8_t *p, size_t n)
{
	return asn_strict_one_tlv(p, n);
}

void ss7_codec_init(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, init_once);
}

static bool oid_eq(const struct tcap_state *st, const unsigned long *arcs, int n)
{
	return st->oid_len == n && !memcmp(st->oid, arcs, n * sizeof(arcs[0]));
}

#define OID_EQ(st, a) oid_eq(st, a, (int)(sizeof(a) / sizeof(a[0])))

static asn_TYPE_descriptor_t *external_type(const struct tcap_state *st)
{
	if (OID_EQ(st, dialogue_as_id))
		return td_dialogue_pdu;
	if (OID_EQ(st, uni_dialogue_as_id))
		return td_uni_dialogue_pdu;
	if (OID_EQ(st, map_dialogue_as_id))
		return td_map_dialogue_pdu;
	return NULL;
}

/* --- application contexts and operation tables ------------------------- */

static const struct ss7_app_context *find_ac(const unsigned long *arcs, int n)
{
	static const struct ss7_app_context *const tables[] = { map_app_contexts, cap_app_contexts };
	size_t t;
	int i;

	for (t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		const struct ss7_app_context *ac;
		for (ac = tables[t]; ac->name; ac++) {
			if (ac->n_arcs != n)
				continue;
			for (i = 0; i < n && ac->arcs[i] == arcs[i]; i++)
				;
			if (i == n)
				return ac;
		}
	}
	return NULL;
}

static void set_context(struct tcap_state *st, const unsigned long *arcs, int n,
			const struct ss7_codec_opts *opts)
{
	const struct ss7_app_context *ac = find_ac(arcs, n);

	if (!ac)
		return;
	st->ac_proto = ac->proto;
	if (opts->proto == SS7_CODEC_AUTO)
		st->proto = ac->proto;
	if (!opts->version)
		st->version = ac->version;
}

/* Rows for (proto, code) that fit the version, newest first. The tables list
 * each opcode's rows together, so this visits them in table order. */
static const struct ss7_operation *next_op(const struct tcap_state *st, long code, const struct ss7_operation *prev)
{
	const struct ss7_operation *op = prev ? prev + 1 : (st->proto == SS7_PROTO_CAP ? cap_operations : map_operations);

	for (; op->name; op++)
		if (op->opcode == code && (!st->version || (st->version >= op->min_ver && st->version <= op->max_ver)))
			return op;
	return NULL;
}

static const struct ss7_error *next_err(const struct tcap_state *st, long code, const struct ss7_error *prev)
{
	const struct ss7_error *e = prev ? prev + 1 : (st->proto == SS7_PROTO_CAP ? cap_errors : map_errors);

	for (; e->name; e++)
		if (e->code == code && (!st->version || (st->version >= e->min_ver && st->version <= e->max_ver)))
			return e;
	return NULL;
}

static const char *proto_name(const struct tcap_state *st)
{
	return st->proto == SS7_PROTO_CAP ? "CAP" : "MAP";
}

/* --- decoding ------------------------------------------------------------ */

static bool is_parameter_of(asn_TYPE_descriptor_t *parent, const char *name)
{
	return parent && !strcmp(parent->name, name);
}

/*
 * The types a component's parameter may have, newest version first: the
 * argument of an Invoke, the result of a ReturnResult, the parameter of a
 * ReturnError, for the current code in every version the context allows.
 */
#define MAX_PARAM_TYPES 8
static int types_of_kind(const struct tcap_state *st, enum ss7_param_kind kind,
			 asn_TYPE_descriptor_t *types[MAX_PARAM_TYPES])
{
	int n = 0;

	if (kind == SS7_PARAM_ERROR) {
		const struct ss7_error *e = NULL;
		while ((e = next_err(st, st->code, e)) && n < MAX_PARAM_TYPES)
			if (e->param)
				types[n++] = e->param;
	} else {
		const struct ss7_operation *op = NULL;
		while ((op = next_op(st, st->code, op)) && n < MAX_PARAM_TYPES) {
			asn_TYPE_descriptor_t *td = kind == SS7_PARAM_RESULT ? op->res : op->arg;
			if (td && (n == 0 || types[n - 1] != td))
				types[n++] = td;
		}
	}
	return n;
}

static int param_types(const struct tcap_state *st, asn_TYPE_descriptor_t *parent,
		       asn_TYPE_descriptor_t *types[MAX_PARAM_TYPES])
{
	enum ss7_param_kind kind = is_parameter_of(parent, "ReturnError") ? SS7_PARAM_ERROR :
				   is_parameter_of(parent, "Invoke") ? SS7_PARAM_ARGUMENT : SS7_PARAM_RESULT;
	return types_of_kind(st, kind, types);
}

/*
 * Decode the parameter as the first candidate type that takes it whole: one
 * that leaves no unknown extensions wins over one that does (without an
 * application context, a v3 message read as its v2 type would show its v3
 * fields as unknown). On failure leave hex and the reason of the type that got
 * furthest (a value out of range in the v3 type says more than a v1 type that
 * does not know the field's tag), the first one among equals.
 */
static int decode_param(struct asn_json *c, const ANY_t *any, asn_TYPE_descriptor_t *const *types, int n)
{
	struct tcap_state *st = c->user;
	char *saved_err = c->err;
	size_t saved_errsz = c->errsz;
	char why[160];
	int i, first_fit = -1, ok, best_stage = 0;

	for (i = 0; i < n; i++) {
		struct jw_mark m = jw_mark(c->w);
		unsigned unknown = c->unknown_ext_seen;
		why[0] = '\0';
		c->fail_stage = 0;
		c->err = why;
		c->errsz = sizeof(why);
		ok = asn_ber_to_json(c, types[i], any->buf, (size_t)any->size) == 0;
		if (ok && (c->unknown_ext_seen == unknown || (i == n - 1 && first_fit < 0)))
			goto done;
		jw_rollback(c->w, m);
		c->unknown_ext_seen = unknown;
		if (ok && first_fit < 0)
			first_fit = i;
		if (!ok && c->fail_stage > best_stage) {
			best_stage = c->fail_stage;
			snprintf(st->note, sizeof(st->note), "%s", why);
		}
	}
	if (first_fit < 0) {
		c->err = saved_err;
		c->errsz = saved_errsz;
		return 0;	/* the generic path writes hex */
	}
	c->err = why;
	c->errsz = sizeof(why);
	if (asn_ber_to_json(c, types[first_fit], any->buf, (size_t)any->size)) {
		c->err = saved_err;
		c->errsz = saved_errsz;
		return asn_json_error(c, "%s", why);	/* decoded a moment ago: cannot happen */
	}
done:
	c->err = saved_err;
	c->errsz = saved_errsz;
	st->note[0] = '\0';	/* a type fitted: nothing to flag */
	return 1;
}

static int any_to_json(struct asn_json *c, asn_TYPE_descriptor_t *parent,
		       asn_TYPE_member_t *m, const ANY_t *any)
{
	struct tcap_state *st = c->user;
	asn_TYPE_descriptor_t *types[MAX_PARAM_TYPES];
	int n = 0;

	int role = asn_member_role(m);

	if (role == MR_SINGLE_ASN1_TYPE) {
		asn_TYPE_descriptor_t *td = external_type(st);
		if (!td) {
			snprintf(st->note, sizeof(st->note), "unknown abstract syntax in EXTERNAL");
			return 0;
		}
		/* the [0] EXPLICIT wrapper is gone: any holds the PDU's own TLV */
		return asn_ber_to_json(c, td, any->buf, (size_t)any->size) == 0 ? 1 : -1;
	}
	if (role != MR_PARAMETER || !st->code_valid)
		return 0;
	n = param_types(st, parent, types);
	if (!n) {
		snprintf(st->note, sizeof(st->note), "%s %ld takes no parameter", proto_name(st), st->code);
		return 0;
	}
	return decode_param(c, any, types, n);
}

static long code_of(asn_TYPE_member_t *m, const void *mptr, bool *valid)
{
	/* OPERATION and ERROR have the same layout: local INTEGER or global OID */
	const OPERATION_t *op = mptr;

	*valid = op->present == OPERATION_PR_localValue;
	return *valid ? op->choice.localValue : -1;
}

/* An opcode or error code the tables do not know: flagged, the parameter stays hex. */
static void annotate_unknown(struct asn_json *c, const char *what)
{
	struct tcap_state *st = c->user;
	char msg[64];

	if (st->code_valid)
		snprintf(msg, sizeof(msg), "unknown %s %s %ld", proto_name(st), what, st->code);
	else
		snprintf(msg, sizeof(msg), "global %s code not supported", what);
	jw_kstr(c->w, "_error", msg);
	st->code_valid = false;
}

/* JSON key saying the protocol came from the caller (--proto), not from the
 * message: the encoder reads it when it is given none, so that the JSON
 * round-trips without the flag. */
#define PROTO_KEY "_proto"

/* After a message's components: say the protocol when the message alone
 * (its application context, else MAP) would not give it. */
static void say_proto(struct asn_json *c, asn_TYPE_member_t *m)
{
	struct tcap_state *st = c->user;
	enum ss7_proto implied = st->ac_proto != SS7_PROTO_NONE ? st->ac_proto : SS7_PROTO_MAP;

	if (strcmp(m->name, "components") || st->proto == implied)
		return;
	jw_kstr(c->w, PROTO_KEY, st->proto == SS7_PROTO_CAP ? "cap" : "map");
}

static void after_member(struct asn_json *c, asn_TYPE_descriptor_t *parent,
			 asn_TYPE_member_t *m, const void *mptr)
{
	struct tcap_state *st = c->user;
	unsigned long arcs[16];
	int n;

	/* depth 2: a member of the message body (Begin, Continue, ...) */
	if (c->depth == 2 && st->opts->proto != SS7_CODEC_AUTO)
		say_proto(c, m);

	switch (asn_member_role(m)) {
	case MR_DIRECT_REFERENCE:
		n = OBJECT_IDENTIFIER_get_arcs(mptr, st->oid, sizeof(st->oid[0]), 16);
		st->oid_len = n > 0 && n <= 16 ? n : 0;
		break;
	case MR_ACN:
		n = OBJECT_IDENTIFIER_get_arcs(mptr, arcs, sizeof(arcs[0]), 16);
		if (n > 0 && n <= 16)
			set_context(st, arcs, n, st->opts);
		c->version = st->version;
		break;
	case MR_OPCODE: {
		const struct ss7_operation *op;
		st->code = code_of(m, mptr, &st->code_valid);
		st->note[0] = '\0';
		op = st->code_valid ? next_op(st, st->code, NULL) : NULL;
		if (op)
			jw_kstr(c->w, "operation", op->name);
		else
			annotate_unknown(c, "operation");
		break;
	}
	case MR_ERRORCODE: {
		const struct ss7_error *e;
		st->code = code_of(m, mptr, &st->code_valid);
		st->note[0] = '\0';
		e = st->code_valid ? next_err(st, st->code, NULL) : NULL;
		if (e)
			jw_kstr(c->w, "error", e->name);
		else
			annotate_unknown(c, "error");
		break;
	}
	case MR_PARAMETER:
	case MR_ENCODING:
		/* the open type just written stayed hex: say why */
		if (st->note[0])
			jw_kstr(c->w, "_error", st->note);
		st->note[0] = '\0';
		break;
	default:
		codec_after_member(c, parent, m, mptr);
	}
}

static const struct asn_json_hooks decode_hooks = {
	.any_to_json = any_to_json,
	.after_member = after_member,
};

int ss7_codec_decode(const uint8_t *ber, size_t len, const struct ss7_codec_opts *opts,
		     struct jw *w, char *err, size_t errsz)
{
	static const struct ss7_codec_opts defaults;
	struct tcap_state st = { .opts = opts ? opts : &defaults };
	struct asn_json c = {
		.w = w, .hooks = &decode_hooks, .user = &st,
		.err = err, .errsz = errsz, .ussd_dcs = -1, .sms_dir = -1,
	};
	int rc;

	ss7_codec_init();
	if (err && errsz)
		err[0] = '\0';
	st.proto = st.opts->proto == SS7_CODEC_CAP ? SS7_PROTO_CAP : SS7_PROTO_MAP;
	st.version = st.opts->version;
	c.version = st.version;
	asn_arena_begin();
	rc = asn_ber_to_json(&c, &asn_DEF_TCMessage, ber, len);
	asn_arena_end();
	if (rc)
		return -1;
	if (!jw_ok(w))
		return asn_json_error(&c, "out of memory writing JSON");
	return 0;
}

/* --- encoding ------------------------------------------------------------ */

static int parse_oid(const jv_t *v, unsigned long *arcs, int max)
{
	const char *s = jv_string_value(v);
	int n;

	if (!s)
		return -1;
	n = OBJECT_IDENTIFIER_parse_arcs(s, (ssize_t)strlen(s), (long *)arcs, (unsigned)max, NULL);
	return n > 0 && n <= max ? n : -1;
}

/* Find the application context before building, so that the components
 * (which come after the dialogue portion) know their protocol version. */
static void scan_context(struct tcap_state *st, const jv_t *msg)
{
	static const char *const kinds[] = { "begin", "continue", "end", "unidirectional", "abort" };
	static const char *const apdus[] = { "dialogueRequest", "dialogueResponse", "unidialoguePDU" };
	size_t i, j;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const jv_t *body = jv_object_get(msg, kinds[i]);
		const jv_t *dp = jv_object_get(body, "dialoguePortion");
		const jv_t *pdu = jv_object_get(jv_object_get(dp, "encoding"), "single-ASN1-type");

		for (j = 0; pdu && j < sizeof(apdus) / sizeof(apdus[0]); j++) {
			const jv_t *acn = jv_object_get(jv_object_get(pdu, apdus[j]), "application-context-name");
			unsigned long arcs[16];
			int n = parse_oid(acn, arcs, 16);
			if (n > 0)
				set_context(st, arcs, n, st->opts);
		}
	}
}

/* Note the neighbours an open type depends on, before it is built. */
static void before_member(struct asn_json *c, asn_TYPE_descriptor_t *parent,
			  asn_TYPE_member_t *m, const jv_t *obj)
{
	struct tcap_state *st = c->user;
	int role = asn_member_role(m);

	if (role == MR_ENCODING) {
		int n = parse_oid(jv_object_get(obj, "direct-reference"), st->oid, 16);
		st->oid_len = n > 0 ? n : 0;
	} else if (role == MR_PARAMETER) {
		const jv_t *code = jv_object_get(obj, is_parameter_of(parent, "ReturnError") ? "errorCode" : "opCode");
		const jv_t *local = jv_object_get(code, "localValue");
		st->code_valid = jv_is_integer(local);
		st->code = st->code_valid ? (long)jv_integer_value(local) : -1;
		/* the decoder flags a parameter it left as raw hex with "_error" */
		st->raw_param = jv_object_get(obj, "_error") != NULL;
	} else {
		codec_before_member(c, parent, m, obj);
	}
}

static int any_from_json(struct asn_json *c, asn_TYPE_descriptor_t *parent,
			 asn_TYPE_member_t *m, const jv_t *v, ANY_t *any)
{
	struct tcap_state *st = c->user;
	asn_TYPE_descriptor_t *types[MAX_PARAM_TYPES];
	char *saved_err = c->err;
	size_t saved_errsz = c->errsz;
	char why[200] = "";
	int n = 0, i, role = asn_member_role(m);

	if (role == MR_SINGLE_ASN1_TYPE) {
		if (jv_is_string(v))
			return 0;	/* hex: an unknown abstract syntax passed through */
		asn_TYPE_descriptor_t *td = external_type(st);
		if (!td)
			return asn_json_error(c, "single-ASN1-type: unknown direct-reference (give hex)");
		return asn_json_to_any(c, td, v, any) ? -1 : 1;
	}
	if (role != MR_PARAMETER)
		return 0;
	/* a string is the raw parameter when the decoder left it so (flagged with
	 * "_error") or nothing says its type; otherwise it is a value of the type
	 * (an OCTET STRING or ENUMERATED parameter is a JSON string too) */
	if (jv_is_string(v) && (st->raw_param || !st->code_valid))
		return 0;
	if (!st->code_valid)
		return asn_json_error(c, "parameter: needs a local opCode/errorCode, or hex");
	n = param_types(st, parent, types);
	if (!n) {
		if (jv_is_string(v))
			return 0;	/* no type known: raw hex */
		return asn_json_error(c, "parameter: %s code %ld has no known parameter type (give hex)",
				      proto_name(st), st->code);
	}
	/* newest matching version first; an older syntax only if the newest cannot take the JSON */
	for (i = 0; i < n; i++) {
		char tmp[200] = "";
		c->err = tmp;
		c->errsz = sizeof(tmp);
		if (asn_json_to_any(c, types[i], v, any) == 0) {
			c->err = saved_err;
			c->errsz = saved_errsz;
			return 1;
		}
		asn_mem_free(any->buf);
		any->buf = NULL;
		any->size = 0;
		if (i == 0)
			snprintf(why, sizeof(why), "%s", tmp);
	}
	c->err = saved_err;
	c->errsz = saved_errsz;
	return asn_json_error(c, "%s", why);
}

static const struct asn_json_hooks encode_hooks = {
	.any_from_json = any_from_json,
	.before_member = before_member,
};

/* Friendly forms: "operation"/"error" names may stand in for the codes. */
static int fill_codes(struct asn_json *c, jv_t *comp)
{
	struct tcap_state *st = c->user;
	jv_t *body, *name;
	const struct ss7_operation *op;
	const struct ss7_error *e;

	size_t i;

	jv_object_foreach(comp, i, body) {
		const char *key = body->key;
		jv_t *target = body;
		if (!strcmp(key, "returnResultLast") || !strcmp(key, "returnResultNotLast"))
			target = jv_object_get(body, "result");
		if (!jv_is_object(target))
			continue;
		if ((name = jv_object_get(target, "operation")) && !jv_object_get(target, "opCode")) {
			const struct ss7_operation *tab = st->proto == SS7_PROTO_CAP ? cap_operations : map_operations;
			for (op = tab; op->name && (!jv_is_string(name) || strcmp(op->name, jv_string_value(name))); op++)
				;
			if (!op->name)
				return asn_json_error(c, "unknown %s operation \"%s\"", proto_name(st),
						      jv_is_string(name) ? jv_string_value(name) : "?");
			if (jv_object_set(st->doc, target, "opCode",
					  jv_new_object1(st->doc, "localValue", jv_new_integer(st->doc, op->opcode))))
				return asn_json_error(c, "out of memory");
		}
		if ((name = jv_object_get(target, "error")) && !jv_object_get(target, "errorCode")) {
			const struct ss7_error *tab = st->proto == SS7_PROTO_CAP ? cap_errors : map_errors;
			for (e = tab; e->name && (!jv_is_string(name) || strcmp(e->name, jv_string_value(name))); e++)
				;
			if (!e->name)
				return asn_json_error(c, "unknown %s error \"%s\"", proto_name(st),
						      jv_is_string(name) ? jv_string_value(name) : "?");
			if (jv_object_set(st->doc, target, "errorCode",
					  jv_new_object1(st->doc, "localValue", jv_new_integer(st->doc, e->code))))
				return asn_json_error(c, "out of memory");
		}
	}
	return 0;
}

static int prepare(struct asn_json *c, jv_t *msg)
{
	jv_t *body;
	size_t k;

	jv_object_foreach(msg, k, body) {
		jv_t *comps = jv_object_get(body, "components");
		size_t i;
		for (i = 0; jv_is_array(comps) && i < jv_array_size(comps); i++)
			if (jv_is_object(jv_array_get(comps, i)) && fill_codes(c, jv_array_get(comps, i)))
				return -1;
	}
	return 0;
}

/* "_proto" in the message body: the protocol, when the caller gave none */
static int read_proto_key(struct asn_json *c, struct tcap_state *st, const jv_t *root,
			  struct ss7_codec_opts *from_json)
{
	const jv_t *body, *v;
	size_t i;

	jv_object_foreach(root, i, body) {
		const char *s;
		if (!(v = jv_object_get(body, PROTO_KEY)))
			continue;
		s = jv_string_value(v);
		if (!s || (strcmp(s, "map") && strcmp(s, "cap")))
			return asn_json_error(c, "%s." PROTO_KEY ": takes \"map\" or \"cap\"", body->key);
		if (st->opts->proto != SS7_CODEC_AUTO)
			return 0;	/* the caller's word wins */
		*from_json = *st->opts;
		from_json->proto = !strcmp(s, "cap") ? SS7_CODEC_CAP : SS7_CODEC_MAP;
		st->opts = from_json;
		st->proto = from_json->proto == SS7_CODEC_CAP ? SS7_PROTO_CAP : SS7_PROTO_MAP;
	}
	return 0;
}

long ss7_codec_encode(const char *json, size_t json_len, const struct ss7_codec_opts *opts,
		      uint8_t *out, size_t cap, char *err, size_t errsz)
{
	struct ss7_codec_opts from_json;
	static const struct ss7_codec_opts defaults;
	struct tcap_state st = { .opts = opts ? opts : &defaults };
	struct asn_json c = {
		.hooks = &encode_hooks, .user = &st,
		.err = err, .errsz = errsz, .ussd_dcs = -1, .sms_dir = -1,
	};
	TCMessage_t *tc = NULL;
	bool in_arena = false;
	/* one reader arena per thread, reused: parsing allocates nothing once warm */
	static __thread struct jv_doc doc;
	char jerr[128];
	size_t mark = asn_ext_mark();
	jv_t *root;
	char why[128];
	size_t whylen = sizeof(why);
	long rc = -1;

	ss7_codec_init();
	if (err && errsz)
		err[0] = '\0';
	st.proto = st.opts->proto == SS7_CODEC_CAP ? SS7_PROTO_CAP : SS7_PROTO_MAP;
	st.version = st.opts->version;
	if (jv_parse(&doc, json, json_len, jerr, sizeof(jerr))) {
		asn_json_error(&c, "JSON %s", jerr);
		return -1;
	}
	root = doc.root;
	st.doc = &doc;
	if (!jv_is_object(root)) {
		asn_json_error(&c, "a TCAP message is a JSON object");
		goto out;
	}
	if (read_proto_key(&c, &st, root, &from_json))
		goto out;
	scan_context(&st, root);
	c.version = st.version;
	if (prepare(&c, root))
		goto out;
	asn_arena_begin();
	in_arena = true;
	tc = asn_mem_calloc(1, sizeof(*tc));
	if (!tc) {
		asn_json_error(&c, "out of memory");
		goto out;
	}
	if (asn_from_json(&c, &asn_DEF_TCMessage, root, tc))
		goto out;
	if (asn_check_constraints(&asn_DEF_TCMessage, tc, why, &whylen)) {
		if (!asn_json_constraint_error(&c, NULL, &asn_DEF_TCMessage, NULL, NULL, tc))
			asn_json_error(&c, "%s", asn_json_clean_reason(why, whylen));
		goto out;
	}
	rc = asn_der_encode_checked(&asn_DEF_TCMessage, tc, out, cap);
	if (rc < 0) {
		asn_json_error(&c, rc == ASN_DER_NO_ROOM ? "message longer than %zu bytes" : "cannot encode (%zu)", cap);
		rc = -1;
		goto out;
	}
out:
	if (!asn_arena_active())
		ASN_STRUCT_FREE(asn_DEF_TCMessage, tc);
	if (in_arena)
		asn_arena_end();
	asn_ext_release(mark);
	return rc;
}

/* --- one component parameter --------------------------------------------- */

static const char *const kind_names[] = {
	[SS7_PARAM_ARGUMENT] = "argument", [SS7_PARAM_RESULT] = "result", [SS7_PARAM_ERROR] = "parameter",
};

/* The candidate types for ref, or 0 with the reason in err. */
static int param_ref_types(struct tcap_state *st, const struct ss7_param_ref *ref,
			   asn_TYPE_descriptor_t *types[MAX_PARAM_TYPES], char *err, size_t errsz)
{
	bool known;
	int n;

	st->proto = ref->proto == SS7_CODEC_CAP ? SS7_PROTO_CAP : SS7_PROTO_MAP;
	st->version = ref->version;
	st->code = ref->code;
	st->code_valid = true;
	if ((unsigned)ref->kind > SS7_PARAM_ERROR) {
		snprintf(err, errsz, "bad parameter kind %d", (int)ref->kind);
		return 0;
	}
	n = types_of_kind(st, ref->kind, types);
	if (n)
		return n;
	known = ref->kind == SS7_PARAM_ERROR ? next_err(st, ref->code, NULL) != NULL
					     : next_op(st, ref->code, NULL) != NULL;
	if (known)
		snprintf(err, errsz, "%s %s %ld has no %s", proto_name(st),
			 ref->kind == SS7_PARAM_ERROR ? "error" : "operation", ref->code,
			 kind_names[ref->kind]);
	else
		snprintf(err, errsz, "unknown %s %s %ld%s", proto_name(st),
			 ref->kind == SS7_PARAM_ERROR ? "error" : "operation", ref->code,
			 ref->version ? " in this version" : "");
	return 0;
}

int ss7_codec_param_decode(const struct ss7_param_ref *ref, const uint8_t *tlv, size_t len,
			   struct jw *w, char *err, size_t errsz)
{
	static const struct ss7_codec_opts defaults;
	struct tcap_state st = { .opts = &defaults };
	struct asn_json c = {
		.w = w, .hooks = &decode_hooks, .user = &st,
		.err = err, .errsz = errsz, .ussd_dcs = -1, .sms_dir = -1,
	};
	asn_TYPE_descriptor_t *types[MAX_PARAM_TYPES];
	ANY_t any = { .buf = (uint8_t *)tlv, .size = (int)len };
	struct jw_mark m = jw_mark(w);
	int n, rc;

	ss7_codec_init();
	if (err && errsz)
		err[0] = '\0';
	n = param_ref_types(&st, ref, types, err, errsz);
	if (!n)
		return -1;
	if (len == 0 || len > INT32_MAX)
		return asn_json_error(&c, "empty parameter");
	c.version = st.version;
	asn_arena_begin();
	rc = decode_param(&c, &any, types, n);
	asn_arena_end();
	if (rc == 0) {
		jw_rollback(w, m);
		return asn_json_error(&c, "%s", st.note[0] ? st.note : "parameter does not decode");
	}
	if (rc < 0)
		return -1;
	if (!jw_ok(w))
		return asn_json_error(&c, "out of memory writing JSON");
	return 0;
}

long ss7_codec_param_encode_jv(const struct ss7_param_ref *ref, const struct jv *v,
			       uint8_t *out, size_t cap, char *err, size_t errsz)
{
	static const struct ss7_codec_opts defaults;
	struct tcap_state st = { .opts = &defaults };
	struct asn_json c = {
		.hooks = &encode_hooks, .user = &st,
		.err = err, .errsz = errsz, .ussd_dcs = -1, .sms_dir = -1,
	};
	asn_TYPE_descriptor_t *types[MAX_PARAM_TYPES];
	char why[200] = "";
	size_t mark = asn_ext_mark();
	long rc = -1;
	int n, i;

	ss7_codec_init();
	if (err && errsz)
		err[0] = '\0';
	n = param_ref_types(&st, ref, types, err, errsz);
	if (!n)
		return -1;
	c.version = st.version;
	asn_arena_begin();
	/* newest matching version first; an older syntax only if the newest cannot take it */
	for (i = 0; i < n && rc < 0; i++) {
		ANY_t any = { 0 };
		char tmp[200] = "";
		c.err = tmp;
		c.errsz = sizeof(tmp);
		if (asn_json_to_any(&c, types[i], v, &any) == 0) {
			if ((size_t)any.size <= cap) {
				memcpy(out, any.buf, (size_t)any.size);
				rc = any.size;
			} else {
				snprintf(why, sizeof(why), "parameter longer than %zu bytes", cap);
				i = n;
			}
		} else if (i == 0) {
			snprintf(why, sizeof(why), "%s", tmp);
		}
		asn_mem_free(any.buf);
	}
	asn_arena_end();
	asn_ext_release(mark);
	c.err = err;
	c.errsz = errsz;
	if (rc < 0)
		asn_json_error(&c, "%s", why);
	return rc;
}

long ss7_codec_param_encode(const struct ss7_param_ref *ref, const char *json, size_t json_len,
			    uint8_t *out, size_t cap, char *err, size_t errsz)
{
	static __thread struct jv_doc doc;
	char jerr[128];

	if (jv_parse(&doc, json, json_len, jerr, sizeof(jerr))) {
		if (err && errsz)
			snprintf(err, errsz, "JSON %s", jerr);
		return -1;
	}
	return ss7_codec_param_encode_jv(ref, doc.root, out, cap, err, errsz);
}

