/*
 * The JSON TC-user (tc_json.h, docs/tc-json.md). A dialogue's protocol and version
 * come from its application context and are kept here, since only the first messages
 * carry the AC; so are the operation codes of the invokes we sent, so that a result
 * without a parameter still names its operation.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/hashtable.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include "ss7gw/codec.h"
#include "jv.h"
#include "jw.h"
#include "sccp_msg.h"
#include "sccp_node.h"
#include "tcap.h"
#include "tc_json.h"

#define SENT_INVOKES	16		/* invokes remembered per dialogue */
#define SCRATCH		8192		/* encoded parameters of one request */
#define MAX_REQ_COMPS	TCAP_MAX_COMPS

struct tj_dlg {
	struct hlist_node node;
	uint32_t id;
	enum ss7_codec_proto proto;
	int version;
	uint8_t acn[16];
	uint8_t acn_len;
	bool incoming;			/* the peer began it */
	bool answered;			/* the first backward message has gone or come */
	struct { int8_t id; int32_t op; } sent[SENT_INVOKES];
	unsigned int n_sent;
};

struct tc_json {
	struct tcap_ctx *tcap;
	const struct tc_json_ops *ops;
	void *priv;
	DECLARE_HASHTABLE(dlgs, 14);
	unsigned int n_dlgs;
	struct jw w;			/* events are written here */
	struct jw comps_w;		/* an event's components, written before its envelope */
	struct jv_doc req;		/* the request being carried out */
	struct sccp_addr calling;	/* default calling address of a begin */
	bool have_calling;
	uint8_t scratch[SCRATCH];
};

/* --- names ----------------------------------------------------------------- */

static const char *const problem_types[] = { "general", "invoke", "returnResult", "returnError" };
static const char *const problems_general[] = {
	"unrecognizedComponent", "mistypedComponent", "badlyStructuredComponent", NULL };
static const char *const problems_invoke[] = {
	"duplicateInvokeID", "unrecognizedOperation", "mistypedParameter", "resourceLimitation",
	"initiatingRelease", "unrecognizedLinkedID", "linkedResponseUnexpected",
	"unexpectedLinkedOperation", NULL };
static const char *const problems_result[] = {
	"unrecognizedInvokeID", "returnResultUnexpected", "mistypedParameter", NULL };
static const char *const problems_error[] = {
	"unrecognizedInvokeID", "returnErrorUnexpected", "unrecognizedError", "unexpectedError",
	"mistypedParameter", NULL };
static const char *const *const problem_names[] = {
	problems_general, problems_invoke, problems_result, problems_error };

static const char *problem_name(unsigned int type, unsigned int code)
{
	const char *const *t;
	unsigned int i;

	if (type >= ARRAY_SIZE(problem_names))
		return NULL;
	for (t = problem_names[type], i = 0; t[i]; i++)
		if (i == code)
			return t[i];
	return NULL;
}

/* Q.713 return causes, as event text */
static const char *const notice_causes[] = {
	"no-translation-for-nature", "no-translation-for-address", "subsystem-congestion",
	"subsystem-failure", "unequipped-user", "mtp-failure", "network-congestion", "unqualified",
	"error-in-message-transport", "error-in-local-processing", "destination-cannot-reassemble",
	"sccp-failure", "hop-counter-violation", "segmentation-not-supported", "segmentation-failure",
};

static const char *p_abort_name(int cause)
{
	switch (cause) {
	case TC_PA_UNRECOGNIZED_MSG_TYPE: return "unrecognizedMessageType";
	case TC_PA_UNRECOGNIZED_TID: return "unrecognizedTransactionID";
	case TC_PA_BADLY_FORMATTED_TX_PORTION: return "badlyFormattedTransactionPortion";
	case TC_PA_INCORRECT_TX_PORTION: return "incorrectTransactionPortion";
	case TC_PA_RESOURCE_LIMITATION: return "resourceLimitation";
	case TC_PA_ABNORMAL_DIALOGUE: return "abnormal-dialogue";
	case TC_PA_NO_COMMON_DIALOGUE_PORTION: return "no-common-dialogue-portion";
	case TC_PA_DIALOGUE_TIMEOUT: return "idle-timeout";
	default: return "unknown";
	}
}

/* OID content octets as dotted text. */
static void oid_text(char *out, size_t outsz, const uint8_t *p, size_t len)
{
	uint64_t v = 0;
	size_t i, n = 0;
	bool first = true;

	out[0] = '\0';
	for (i = 0; i < len && n < outsz; i++) {
		v = v << 7 | (p[i] & 0x7f);
		if (p[i] & 0x80)
			continue;
		if (first) {
			unsigned int a = v < 80 ? (unsigned int)(v / 40) : 2;
			n += (size_t)snprintf(out + n, outsz - n, "%u.%llu", a, (unsigned long long)(v - 40u * a));
			first = false;
		} else {
			n += (size_t)snprintf(out + n, outsz - n, ".%llu", (unsigned long long)v);
		}
		v = 0;
	}
}

/* --- dialogues ------------------------------------------------------------- */

static struct tj_dlg *dlg_find(struct tc_json *tj, uint32_t id)
{
	struct tj_dlg *d;

	hash_for_each_possible(tj->dlgs, d, node, id)
		if (d->id == id)
			return d;
	return NULL;
}

static struct tj_dlg *dlg_add(struct tc_json *tj, uint32_t id)
{
	struct tj_dlg *d = talloc_zero(tj, struct tj_dlg);

	if (!d)
		return NULL;
	d->id = id;
	d->proto = SS7_CODEC_MAP;
	hash_add(tj->dlgs, &d->node, id);
	tj->n_dlgs++;
	return d;
}

static void dlg_del(struct tc_json *tj, struct tj_dlg *d)
{
	if (!d)
		return;
	hash_del(&d->node);
	tj->n_dlgs--;
	talloc_free(d);
}

static void dlg_set_ac(struct tj_dlg *d, const uint8_t *oid, size_t len)
{
	struct ss7_codec_ac ac;

	if (!len || len > sizeof(d->acn))
		return;
	memcpy(d->acn, oid, len);
	d->acn_len = (uint8_t)len;
	if (!ss7_codec_ac_by_oid(oid, len, &ac)) {
		d->proto = ac.proto;
		d->version = ac.version;
	}
}

static int32_t sent_op(const struct tj_dlg *d, int8_t id)
{
	unsigned int i = d->n_sent < SENT_INVOKES ? d->n_sent : SENT_INVOKES;

	while (i--)
		if (d->sent[i].id == id)
			return d->sent[i].op;
	return -1;
}

static void remember_sent(struct tj_dlg *d, int8_t id, int32_t op)
{
	unsigned int i = d->n_sent++ % SENT_INVOKES;

	d->sent[i].id = id;
	d->sent[i].op = op;
}

/* --- addresses ------------------------------------------------------------- */

void tc_json_write_addr(struct jw *w, const struct sccp_addr *a)
{
	jw_obj_begin(w);
	jw_kstr(w, "ri", a->route_on_ssn ? "ssn" : "gt");
	if (a->present & SCCP_ADDR_GT_MASK) {
		jw_kstr(w, "gt", a->digits);
		if (a->present & SCCP_ADDR_TT)
			jw_kint(w, "tt", a->tt);
		if (a->present & SCCP_ADDR_NP)
			jw_kint(w, "np", a->np);
		if (a->present & SCCP_ADDR_NAI)
			jw_kint(w, "nai", a->nai);
	}
	if (a->present & SCCP_ADDR_SSN)
		jw_kint(w, "ssn", a->ssn);
	if (a->present & SCCP_ADDR_PC)
		jw_kint(w, "pc", a->pc);
	jw_obj_end(w);
}

static int int_field(const jv_t *v, const char *key, long lo, long hi, long dflt, long *out,
		     char *err, size_t errsz)
{
	const jv_t *f = jv_object_get(v, key);

	if (!f) {
		*out = dflt;
		return 0;
	}
	if (!jv_is_integer(f) || jv_integer_value(f) < lo || jv_integer_value(f) > hi)
		return snprintf(err, errsz, "%s must be an integer %ld..%ld", key, lo, hi), -1;
	*out = (long)jv_integer_value(f);
	return 0;
}

int tc_json_parse_addr(const jv_t *v, struct sccp_addr *a, char *err, size_t errsz)
{
	const jv_t *gt = jv_object_get(v, "gt"), *pc = jv_object_get(v, "pc"), *ri = jv_object_get(v, "ri");
	long tt, np, nai, gti, ssn;

	memset(a, 0, sizeof(*a));
	if (!jv_is_object(v))
		return snprintf(err, errsz, "an address is an object"), -1;
	if (int_field(v, "tt", 0, 255, 0, &tt, err, errsz) || int_field(v, "np", 0, 15, 1, &np, err, errsz) ||
	    int_field(v, "nai", 0, 127, 4, &nai, err, errsz) || int_field(v, "gti", 1, 4, 4, &gti, err, errsz) ||
	    int_field(v, "ssn", 0, 255, -1, &ssn, err, errsz))
		return -1;
	if (gt) {
		const char *s = jv_string_value(gt);
		size_t i;
		if (!s || !*s || strlen(s) > SCCP_GT_MAX_DIGITS)
			return snprintf(err, errsz, "gt must be 1..%d digits", SCCP_GT_MAX_DIGITS), -1;
		for (i = 0; s[i]; i++)
			if (!strchr("0123456789abcdefABCDEF", s[i]))
				return snprintf(err, errsz, "gt has a character that is not a digit"), -1;
		if (sccp_addr_set_gt(a, (enum sccp_gti)gti, (uint8_t)tt, (uint8_t)np, (uint8_t)nai, s) < 0)
			return snprintf(err, errsz, "gt cannot be encoded"), -1;
	}
	if (ssn >= 0) {
		a->present |= SCCP_ADDR_SSN;
		a->ssn = (uint8_t)ssn;
	}
	if (pc) {
		uint32_t v32;
		if (jv_is_integer(pc) && jv_integer_value(pc) >= 0 && jv_integer_value(pc) <= SCCP_PC_MAX)
			v32 = (uint32_t)jv_integer_value(pc);
		else if (!jv_is_string(pc) || sccp_pc_parse(&v32, jv_string_value(pc)) || v32 > SCCP_PC_MAX)
			return snprintf(err, errsz, "pc must be 0..16383 or \"3.8.3\" text"), -1;
		a->present |= SCCP_ADDR_PC;
		a->pc = (uint16_t)v32;
	}
	if (ri && !jv_is_string(ri))
		return snprintf(err, errsz, "ri is \"gt\" or \"ssn\""), -1;
	a->route_on_ssn = ri ? !strcmp(jv_string_value(ri), "ssn") : !gt;
	if (ri && !a->route_on_ssn && strcmp(jv_string_value(ri), "gt"))
		return snprintf(err, errsz, "ri is \"gt\" or \"ssn\""), -1;
	if (!a->route_on_ssn && !gt)
		return snprintf(err, errsz, "routing on gt needs a gt"), -1;
	if (a->route_on_ssn && !(a->present & SCCP_ADDR_SSN))
		return snprintf(err, errsz, "routing on ssn needs an ssn"), -1;
	return 0;
}

/* --- events ---------------------------------------------------------------- */

static const char *proto_name(enum ss7_codec_proto p)
{
	return p == SS7_CODEC_CAP ? "cap" : "map";
}

/* "key": decoded parameter, or "keyHex" with "_error" when the codec cannot take it
 * (false then). */
static bool write_param(struct jw *w, const struct tj_dlg *d, enum ss7_param_kind kind, int32_t code,
			const char *key, const struct tcap_buf *param)
{
	struct ss7_param_ref ref = {
		.proto = d ? d->proto : SS7_CODEC_MAP, .version = d ? d->version : 0,
		.kind = kind, .code = code,
	};
	char err[200], hexkey[32];
	struct jw_mark m;

	if (!param->len)
		return true;
	m = jw_mark(w);
	jw_key(w, key);
	if (code >= 0 && !ss7_codec_param_decode(&ref, param->data, param->len, w, err, sizeof(err)))
		return true;
	jw_rollback(w, m);
	if (code < 0)
		snprintf(err, sizeof(err), "global code: parameter not decoded");
	snprintf(hexkey, sizeof(hexkey), "%sHex", key);
	jw_khex(w, hexkey, param->data, param->len);
	jw_kstr(w, "_error", err);
	return false;
}

static void write_code(struct jw *w, const struct tcap_code *c, const char *namekey, const char *codekey,
		       const char *name)
{
	char oid[64];

	if (c->global) {
		oid_text(oid, sizeof(oid), c->oid.data, c->oid.len);
		jw_key(w, codekey);
		jw_str(w, oid);
		return;
	}
	if (name)
		jw_kstr(w, namekey, name);
	jw_kint(w, codekey, c->local);
}

/* With problem (the first invoke of an event), also what keeps that invoke from being
 * served as it is (see tc_json_msg.invoke_problem). */
static void write_component(struct tc_json *tj, struct jw *w, const struct tj_dlg *d, const struct tc_comp_ind *c,
			    const char **problem)
{
	enum ss7_codec_proto proto = d ? d->proto : SS7_CODEC_MAP;
	int version = d ? d->version : 0;
	const char *op_name;
	bool param_ok;
	int32_t op;

	jw_obj_begin(w);
	switch (c->prim) {
	case TC_INVOKE:
		jw_key(w, "invoke");
		jw_obj_begin(w);
		jw_kint(w, "invokeId", c->invoke_id);
		if (c->linked_id_present)
			jw_kint(w, "linkedId", c->linked_id);
		op_name = c->op.global ? NULL : ss7_codec_op_name(proto, version, c->op.local);
		write_code(w, &c->op, "operation", "opcode", op_name);
		param_ok = write_param(w, d, SS7_PARAM_ARGUMENT, c->op.global ? -1 : c->op.local, "argument",
				       &c->param);
		if (problem)
			*problem = !op_name ? "unrecognizedOperation" : !param_ok ? "mistypedParameter" : NULL;
		break;
	case TC_RESULT_L:
	case TC_RESULT_NL:
		jw_key(w, "result");
		jw_obj_begin(w);
		jw_kint(w, "invokeId", c->invoke_id);
		op = c->op.present ? (c->op.global ? -1 : c->op.local) : (d ? sent_op(d, c->invoke_id) : -1);
		if (c->op.present) {
			write_code(w, &c->op, "operation", "opcode", ss7_codec_op_name(proto, version, c->op.local));
		} else if (op >= 0) {
			if (ss7_codec_op_name(proto, version, op))
				jw_kstr(w, "operation", ss7_codec_op_name(proto, version, op));
			jw_kint(w, "opcode", op);
		}
		write_param(w, d, SS7_PARAM_RESULT, op, "result", &c->param);
		jw_kbool(w, "last", c->prim == TC_RESULT_L);
		break;
	case TC_U_ERROR:
		jw_key(w, "error");
		jw_obj_begin(w);
		jw_kint(w, "invokeId", c->invoke_id);
		write_code(w, &c->err, "error", "errorCode", ss7_codec_error_name(proto, version, c->err.local));
		write_param(w, d, SS7_PARAM_ERROR, c->err.global ? -1 : c->err.local, "parameter", &c->param);
		break;
	case TC_U_REJECT:
	case TC_L_REJECT:
	case TC_R_REJECT:
		jw_key(w, "reject");
		jw_obj_begin(w);
		if (c->invoke_id_present)
			jw_kint(w, "invokeId", c->invoke_id);
		else
			jw_key(w, "invokeId"), jw_null(w);
		jw_kstr(w, "problem", c->problem_type < ARRAY_SIZE(problem_types) ? problem_types[c->problem_type] : "?");
		if (problem_name(c->problem_type, c->problem))
			jw_kstr(w, "code", problem_name(c->problem_type, c->problem));
		else
			jw_kint(w, "code", c->problem);
		jw_kstr(w, "source", c->prim == TC_L_REJECT ? "local" : c->prim == TC_R_REJECT ? "remote" : "user");
		break;
	case TC_L_CANCEL:
		jw_key(w, "cancel");
		jw_obj_begin(w);
		jw_kint(w, "invokeId", c->invoke_id);
		op = d ? sent_op(d, c->invoke_id) : -1;
		if (op >= 0 && ss7_codec_op_name(proto, version, op))
			jw_kstr(w, "operation", ss7_codec_op_name(proto, version, op));
		break;
	default:
		jw_key(w, "unknown");
		jw_obj_begin(w);
		jw_kint(w, "primitive", c->prim);
	}
	jw_obj_end(w);
	jw_obj_end(w);
}

static const char *event_name(enum tc_dlg_prim p)
{
	switch (p) {
	case TC_UNI: return "uni";
	case TC_BEGIN: return "begin";
	case TC_CONTINUE: return "continue";
	case TC_END: return "end";
	case TC_U_ABORT: return "u-abort";
	case TC_P_ABORT: return "p-abort";
	case TC_NOTICE: return "notice";
	default: return "components";
	}
}

/* The operation a component is about: its own (invoke, result with opcode), else that of
 * the invoke of ours it answers or cancels; -1 if unknown or global. */
static int32_t comp_op(const struct tj_dlg *d, const struct tc_comp_ind *c)
{
	if (c->prim == TC_INVOKE || ((c->prim == TC_RESULT_L || c->prim == TC_RESULT_NL) && c->op.present))
		return c->op.global ? -1 : c->op.local;
	return d && c->invoke_id_present ? sent_op(d, c->invoke_id) : -1;
}

void tc_json_tc_ind(struct tc_json *tj, const struct tc_ind *ind)
{
	struct jw *w = &tj->w, *wc = &tj->comps_w;
	struct tj_dlg *d = dlg_find(tj, ind->dialogue_id);
	struct tc_json_msg m = { .ind = ind };
	bool first_invoke = true;
	char text[64];
	unsigned int i;

	if (ind->prim == TC_BEGIN && !d && (d = dlg_add(tj, ind->dialogue_id)))
		d->incoming = true;
	if (d && ind->acn.len && (ind->prim == TC_BEGIN || ind->prim == TC_UNI || !d->answered))
		dlg_set_ac(d, ind->acn.data, ind->acn.len);
	if (d && ind->prim == TC_CONTINUE)
		d->answered = true;

	/* the components first: the envelope's decisions depend on what they hold */
	jw_reset(wc);
	jw_arr_begin(wc);
	for (i = 0; i < ind->ncomps; i++) {
		bool inv = ind->comps[i].prim == TC_INVOKE;

		write_component(tj, wc, d, &ind->comps[i], inv && first_invoke ? &m.invoke_problem : NULL);
		first_invoke &= !inv;
	}
	jw_arr_end(wc);

	jw_reset(w);
	jw_obj_begin(w);
	if (tj->ops->envelope) {
		m.proto = d ? d->proto : SS7_CODEC_MAP;
		m.version = d ? d->version : 0;
		m.op = ind->ncomps ? comp_op(d, &ind->comps[0]) : -1;
		if (m.op >= 0)
			m.op_name = ss7_codec_op_name(m.proto, m.version, m.op);
		tj->ops->envelope(tj->priv, w, &m);
	}
	jw_kstr(w, "event", event_name(ind->prim));
	if (ind->prim != TC_UNI) {
		snprintf(text, sizeof(text), "%08x", ind->dialogue_id);
		jw_kstr(w, "dialog", text);
	}
	if (d || ind->prim == TC_UNI) {
		enum ss7_codec_proto proto = d ? d->proto : SS7_CODEC_MAP;
		jw_kstr(w, "proto", proto_name(proto));
		if (d && d->version)
			jw_kint(w, "version", d->version);
	}
	if (ind->acn.len && ind->prim != TC_U_ABORT) {
		struct ss7_codec_ac ac;
		if (!ss7_codec_ac_by_oid(ind->acn.data, ind->acn.len, &ac))
			jw_kstr(w, "ac", ac.name);
		else
			oid_text(text, sizeof(text), ind->acn.data, ind->acn.len), jw_kstr(w, "ac", text);
	}
	if (ind->called && (ind->prim == TC_BEGIN || ind->prim == TC_UNI || ind->prim == TC_NOTICE)) {
		jw_key(w, "called");
		tc_json_write_addr(w, ind->called);
	}
	if (ind->calling && (ind->prim == TC_BEGIN || ind->prim == TC_UNI || ind->prim == TC_NOTICE)) {
		jw_key(w, "calling");
		tc_json_write_addr(w, ind->calling);
	}
	switch (ind->prim) {
	case TC_U_ABORT:
		if (ind->abort_reason == TC_ABORT_ACN_NOT_SUPPORTED) {
			struct ss7_codec_ac ac;
			jw_kstr(w, "reason", "ac-not-supported");
			if (ind->acn.len && !ss7_codec_ac_by_oid(ind->acn.data, ind->acn.len, &ac))
				jw_kstr(w, "acOffered", ac.name);
			else if (ind->acn.len)
				oid_text(text, sizeof(text), ind->acn.data, ind->acn.len), jw_kstr(w, "acOffered", text);
		} else {
			jw_kstr(w, "reason", ind->abort_reason == TC_ABORT_DIALOGUE_REFUSED ? "dialogue-refused" : "user");
		}
		break;
	case TC_P_ABORT:
		jw_kstr(w, "cause", p_abort_name(ind->p_abort_cause));
		break;
	case TC_NOTICE:
		jw_kstr(w, "cause", ind->report_cause < ARRAY_SIZE(notice_causes) ? notice_causes[ind->report_cause]
									 : "unknown");
		break;
	default:
		break;
	}
	if (ind->user_info.len)
		jw_khex(w, "userInfo", ind->user_info.data, ind->user_info.len);
	jw_key(w, "components");
	if (jw_ok(wc))
		jw_raw(w, jw_cstr(wc), wc->len);
	else
		w->oom = true;
	jw_obj_end(w);

	if (ind->prim == TC_END || ind->prim == TC_U_ABORT || ind->prim == TC_P_ABORT)
		dlg_del(tj, d);
	if (jw_ok(w))
		tj->ops->event(tj->priv, jw_cstr(w), w->len);
}

/* --- requests -------------------------------------------------------------- */

/* One request component, checked and with its parameter encoded, before anything is sent. */
struct req_comp {
	enum tc_comp_prim prim;
	int invoke_id;			/* TC_INVOKE_ID_AUTO for an invoke without one */
	bool linked_present;
	int8_t linked_id;
	struct tcap_code code;
	struct tcap_buf param;
	enum tc_op_class op_class;
	uint32_t timeout_ms;
	uint8_t problem_type, problem;
	bool id_null;			/* reject of a non-derivable id */
};

static int fail(char *err, size_t errsz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
	return -1;
}

/* The operation or error: a name, or a local code given as a number. */
static int code_of(const jv_t *body, const char *namekey, const char *codekey, enum ss7_codec_proto proto,
		   bool is_error, struct tcap_code *code, char *err, size_t errsz)
{
	const jv_t *name = jv_object_get(body, namekey), *num = jv_object_get(body, codekey);
	long v;

	memset(code, 0, sizeof(*code));
	if (num) {
		if (!jv_is_integer(num) || jv_integer_value(num) < INT32_MIN || jv_integer_value(num) > INT32_MAX)
			return fail(err, errsz, "%s must be an integer", codekey);
		v = (long)jv_integer_value(num);
	} else if (name) {
		if (!jv_is_string(name))
			return fail(err, errsz, "%s must be a string", namekey);
		v = is_error ? ss7_codec_error_code(proto, jv_string_value(name))
			     : ss7_codec_op_code(proto, jv_string_value(name));
		if (v < 0)
			return fail(err, errsz, "unknown %s %s \"%s\"", proto_name(proto), namekey,
				    jv_string_value(name));
	} else {
		return 0;
	}
	code->present = true;
	code->local = (int32_t)v;
	return 0;
}

/* The parameter under key (JSON, encoded by the codec) or keyHex (raw bytes), into the scratch. */
static int param_of(struct tc_json *tj, const jv_t *body, const char *key, const struct ss7_param_ref *ref,
		    bool have_code, size_t *used, struct tcap_buf *out, char *err, size_t errsz)
{
	const jv_t *v = jv_object_get(body, key);
	char hexkey[32], why[200];
	long n;

	out->data = NULL;
	out->len = 0;
	snprintf(hexkey, sizeof(hexkey), "%sHex", key);
	if (!v && (v = jv_object_get(body, hexkey))) {
		const char *hex = jv_string_value(v);
		int got;
		if (!hex)
			return fail(err, errsz, "%s must be a hex string", hexkey);
		got = osmo_hexparse(hex, tj->scratch + *used, (unsigned int)(SCRATCH - *used));
		if (got <= 0)
			return fail(err, errsz, "%s is not hex (or too long)", hexkey);
		if (!ss7_codec_one_tlv(tj->scratch + *used, (size_t)got))
			return fail(err, errsz, "%s is not one whole TLV (tag, length, contents)", hexkey);
		n = got;
	} else if (v) {
		if (!have_code)
			return fail(err, errsz, "%s: a value needs its operation or error (or give %s)",
				    key, hexkey);
		n = ss7_codec_param_encode_jv(ref, v, tj->scratch + *used, SCRATCH - *used, why, sizeof(why));
		if (n < 0)
			return fail(err, errsz, "%s: %s", key, why);
	} else {
		return 0;
	}
	out->data = tj->scratch + *used;
	out->len = (uint32_t)n;
	*used += (size_t)n;
	return 0;
}

static int problem_of(const jv_t *body, struct req_comp *rc, char *err, size_t errsz)
{
	const char *type = jv_string_value(jv_object_get(body, "problem"));
	const jv_t *code = jv_object_get(body, "code");
	unsigned int t, i;

	for (t = 0; t < ARRAY_SIZE(problem_types) && (!type || strcmp(type, problem_types[t])); t++)
		;
	if (t == ARRAY_SIZE(problem_types))
		return fail(err, errsz, "reject: problem is general, invoke, returnResult or returnError");
	rc->problem_type = (uint8_t)t;
	if (jv_is_integer(code) && jv_integer_value(code) >= 0 && jv_integer_value(code) <= 255) {
		rc->problem = (uint8_t)jv_integer_value(code);
		return 0;
	}
	for (i = 0; jv_is_string(code) && problem_names[t][i]; i++)
		if (!strcmp(problem_names[t][i], jv_string_value(code))) {
			rc->problem = (uint8_t)i;
			return 0;
		}
	return fail(err, errsz, "reject: unknown %s problem code", problem_types[t]);
}

static int parse_component(struct tc_json *tj, const jv_t *c, enum ss7_codec_proto proto, int version,
			   size_t *used, struct req_comp *rc, char *err, size_t errsz)
{
	const jv_t *body = c && c->type == JV_OBJECT && c->n == 1 ? c->u.items[0] : NULL;
	struct ss7_param_ref ref = { .proto = proto, .version = version };
	const char *kind = body ? body->key : "";
	long id, v;

	memset(rc, 0, sizeof(*rc));
	if (!jv_is_object(body))
		return fail(err, errsz, "a component is {\"invoke\"|\"result\"|\"error\"|\"reject\": {...}}");
	if (strcmp(kind, "invoke") && strcmp(kind, "result") && strcmp(kind, "error") && strcmp(kind, "reject"))
		return fail(err, errsz, "unknown component kind \"%s\"", kind);
	if (!strcmp(kind, "invoke")) {
		rc->prim = TC_INVOKE;
		if (int_field(body, "invokeId", -128, 127, TC_INVOKE_ID_AUTO, &id, err, errsz) ||
		    int_field(body, "class", 1, 4, 1, &v, err, errsz))
			return -1;
		rc->invoke_id = (int)id;
		rc->op_class = (enum tc_op_class)v;
		if (int_field(body, "timeoutMs", 0, 86400000, 0, &v, err, errsz))
			return -1;
		rc->timeout_ms = (uint32_t)v;
		if (jv_object_get(body, "linkedId")) {
			if (int_field(body, "linkedId", -128, 127, 0, &v, err, errsz))
				return -1;
			rc->linked_present = true;
			rc->linked_id = (int8_t)v;
		}
		if (code_of(body, "operation", "opcode", proto, false, &rc->code, err, errsz))
			return -1;
		if (!rc->code.present)
			return fail(err, errsz, "invoke: needs operation or opcode");
		ref.kind = SS7_PARAM_ARGUMENT;
		ref.code = rc->code.local;
		return param_of(tj, body, "argument", &ref, true, used, &rc->param, err, errsz);
	}
	if (!strcmp(kind, "reject") && jv_is_null(jv_object_get(body, "invokeId"))) {
		rc->id_null = true;	/* the id was not derivable */
		id = 0;
	} else if (int_field(body, "invokeId", -128, 127, 1000, &id, err, errsz)) {
		return -1;
	} else if (id == 1000) {
		return fail(err, errsz, "%s: needs the invokeId it answers", kind);
	}
	rc->invoke_id = (int)id;
	if (!strcmp(kind, "result")) {
		const jv_t *last = jv_object_get(body, "last");
		rc->prim = last && !jv_is_true(last) ? TC_RESULT_NL : TC_RESULT_L;
		if (code_of(body, "operation", "opcode", proto, false, &rc->code, err, errsz))
			return -1;
		ref.kind = SS7_PARAM_RESULT;
		ref.code = rc->code.local;
		if (param_of(tj, body, "result", &ref, rc->code.present, used, &rc->param, err, errsz))
			return -1;
		if (rc->param.len && !rc->code.present)
			return fail(err, errsz, "result: a result needs its operation");
		return 0;
	}
	if (!strcmp(kind, "error")) {
		rc->prim = TC_U_ERROR;
		if (code_of(body, "error", "errorCode", proto, true, &rc->code, err, errsz))
			return -1;
		if (!rc->code.present)
			return fail(err, errsz, "error: needs error or errorCode");
		ref.kind = SS7_PARAM_ERROR;
		ref.code = rc->code.local;
		return param_of(tj, body, "parameter", &ref, true, used, &rc->param, err, errsz);
	}
	if (!strcmp(kind, "reject")) {
		rc->prim = TC_U_REJECT;
		return problem_of(body, rc, err, errsz);
	}
	return fail(err, errsz, "unknown component kind \"%s\"", kind);
}

static int queue_component(struct tc_json *tj, struct tj_dlg *d, const struct req_comp *rc,
			   char *err, size_t errsz)
{
	int8_t iid = (int8_t)rc->invoke_id;
	int r;

	switch (rc->prim) {
	case TC_INVOKE: {
		struct tc_invoke_req ir = {
			.invoke_id = rc->invoke_id, .linked_id_present = rc->linked_present,
			.linked_id = rc->linked_id, .op = rc->code, .param = rc->param,
			.op_class = rc->op_class, .timeout_ms = rc->timeout_ms,
		};
		r = tc_invoke_req(tj->tcap, d->id, &ir, &iid);
		if (!r)
			remember_sent(d, iid, rc->code.local);
		break;
	}
	case TC_RESULT_L:
	case TC_RESULT_NL:
		r = tc_result_req(tj->tcap, d->id, iid, rc->prim == TC_RESULT_L,
				  rc->code.present ? &rc->code : NULL, rc->param);
		break;
	case TC_U_ERROR:
		r = tc_u_error_req(tj->tcap, d->id, iid, &rc->code, rc->param);
		break;
	default:
		r = tc_u_reject_req(tj->tcap, d->id, rc->id_null ? NULL : &iid,
				    (enum tcap_problem_type)rc->problem_type, rc->problem);
	}
	if (r)
		return fail(err, errsz, "component refused by TCAP: %s", strerror(-r));
	return 0;
}

/* The AC of a request: name or dotted OID, with "version" to tell CAP phases apart. */
static int ac_of(const jv_t *req, struct ss7_codec_ac *ac, char *err, size_t errsz)
{
	const jv_t *v = jv_object_get(req, "ac");
	long version;

	if (!v)
		return 0;
	if (int_field(req, "version", 1, 4, 0, &version, err, errsz))
		return -1;
	if (!jv_is_string(v) || ss7_codec_ac_by_name(jv_string_value(v), (int)version, ac))
		return fail(err, errsz, "unknown application context \"%s\"", jv_string_value(v) ?: "?");
	return 1;
}

int tc_json_request(struct tc_json *tj, const char *json, size_t len, char dialog[16], char *err, size_t errsz)
{
	if (jv_parse(&tj->req, json, len, err, errsz))
		return -1;
	return tc_json_request_jv(tj, tj->req.root, dialog, err, errsz);
}

int tc_json_request_jv(struct tc_json *tj, const jv_t *req, char dialog[16], char *err, size_t errsz)
{
	struct req_comp comps[MAX_REQ_COMPS];
	struct tc_dlg_req dr = { .proto_class = 1, .return_on_error = true };
	struct sccp_addr called, calling;
	struct ss7_codec_ac ac;
	const jv_t *list, *v;
	const char *type, *id;
	struct tj_dlg *d = NULL;
	enum ss7_codec_proto proto;
	size_t used = 0, i, n;
	bool begin, fresh = false;
	int version, have_ac, r;
	uint32_t dlg_id = 0;
	long lv;

	type = jv_string_value(jv_object_get(req, "request"));
	if (!type)
		return fail(err, errsz, "a request is {\"request\": TYPE, ...}");
	begin = !strcmp(type, "begin") || !strcmp(type, "uni");
	if (!begin && strcmp(type, "continue") && strcmp(type, "end") && strcmp(type, "u-abort"))
		return fail(err, errsz, "unknown request \"%s\"", type);
	if ((have_ac = ac_of(req, &ac, err, errsz)) < 0)
		return -1;

	if (begin) {
		proto = have_ac ? ac.proto : (jv_string_value(jv_object_get(req, "proto")) &&
					      !strcmp(jv_string_value(jv_object_get(req, "proto")), "cap")
					      ? SS7_CODEC_CAP : SS7_CODEC_MAP);
		if (have_ac)
			version = ac.version;
		else if (int_field(req, "version", 1, 4, 0, &lv, err, errsz))
			return -1;
		else
			version = (int)lv;
		if (!(v = jv_object_get(req, "called")))
			return fail(err, errsz, "%s: needs a called address", type);
		if (tc_json_parse_addr(v, &called, err, errsz))
			return -1;
		dr.called = &called;
		if ((v = jv_object_get(req, "calling"))) {
			if (tc_json_parse_addr(v, &calling, err, errsz))
				return -1;
			dr.calling = &calling;
		} else if (tj->have_calling) {
			dr.calling = &tj->calling;
		}
	} else {
		id = jv_string_value(jv_object_get(req, "dialog"));
		if (!id)
			return fail(err, errsz, "%s: needs the dialog id", type);
		dlg_id = (uint32_t)strtoul(id, NULL, 16);
		if (!(d = dlg_find(tj, dlg_id)))
			return fail(err, errsz, "no dialog %s", id);
		proto = d->proto;
		version = d->version;
		if (have_ac) {
			proto = ac.proto;	/* the responder accepts another version */
			version = ac.version;
		}
	}

	/* everything checked and encoded before anything is sent */
	list = jv_object_get(req, "components");
	if (list && !jv_is_array(list))
		return fail(err, errsz, "components must be a list");
	n = jv_array_size(list);
	if (n > MAX_REQ_COMPS)
		return fail(err, errsz, "more than %d components", MAX_REQ_COMPS);
	for (i = 0; i < n; i++) {
		char why[200];
		if (parse_component(tj, jv_array_get(list, i), proto, version, &used, &comps[i], why, sizeof(why)))
			return fail(err, errsz, "component %zu: %s", i, why);
	}
	if (!strcmp(type, "u-abort") && n)
		return fail(err, errsz, "u-abort carries no components");
	if ((v = jv_object_get(req, "userInfo"))) {
		int got = jv_is_string(v) ? osmo_hexparse(jv_string_value(v), tj->scratch + used,
							  (unsigned int)(SCRATCH - used)) : -1;
		if (got < 0)
			return fail(err, errsz, "userInfo must be hex");
		dr.user_info.data = tj->scratch + used;
		dr.user_info.len = (uint32_t)got;
		used += (size_t)got;
	}
	if ((v = jv_object_get(req, "refuse"))) {
		struct ss7_codec_ac offer;
		const char *name = jv_string_value(jv_object_get(v, "ac"));
		if (strcmp(type, "u-abort") || !d || !d->incoming || d->answered)
			return fail(err, errsz, "refuse: only in a u-abort answering a begin");
		dr.abort_reason = TC_ABORT_DIALOGUE_REFUSED;
		if (name) {
			if (ss7_codec_ac_by_name(name, 0, &offer))
				return fail(err, errsz, "refuse: unknown application context \"%s\"", name);
			memcpy(tj->scratch + used, offer.oid, offer.oid_len);
			dr.acn.data = tj->scratch + used;
			dr.acn.len = offer.oid_len;
			used += offer.oid_len;
			dr.abort_reason = TC_ABORT_ACN_NOT_SUPPORTED;
		}
	}
	dr.prearranged = jv_is_true(jv_object_get(req, "prearranged"));

	if (begin) {
		r = tcap_dlg_new(tj->tcap, &dlg_id);
		if (r)
			return fail(err, errsz, "no dialogue: %s", strerror(-r));
		if (!(d = dlg_add(tj, dlg_id)))
			return fail(err, errsz, "out of memory");
		fresh = true;
		d->proto = proto;
		d->version = version;
		if (have_ac)
			dlg_set_ac(d, ac.oid, ac.oid_len);
	} else if (have_ac && !d->answered && d->incoming) {
		dlg_set_ac(d, ac.oid, ac.oid_len);
	}
	/* the AC goes with the begin and, as the AARE, with the first answer */
	if (d->acn_len && (begin || (d->incoming && !d->answered)) && !dr.acn.len &&
	    strcmp(type, "u-abort")) {
		dr.acn.data = d->acn;
		dr.acn.len = d->acn_len;
	}
	for (i = 0; i < n; i++)
		if (queue_component(tj, d, &comps[i], err, errsz))
			goto refused;

	if (!strcmp(type, "begin"))
		r = tc_begin_req(tj->tcap, dlg_id, &dr);
	else if (!strcmp(type, "uni"))
		r = tc_uni_req(tj->tcap, dlg_id, &dr);
	else if (!strcmp(type, "continue"))
		r = tc_continue_req(tj->tcap, dlg_id, &dr);
	else if (!strcmp(type, "end"))
		r = tc_end_req(tj->tcap, dlg_id, &dr);
	else
		r = tc_u_abort_req(tj->tcap, dlg_id, &dr);
	if (r) {
		fail(err, errsz, "%s refused by TCAP: %s", type, strerror(-r));
		goto refused;
	}
	d->answered = d->answered || !begin;
	if (!strcmp(type, "end") || !strcmp(type, "u-abort") || !strcmp(type, "uni"))
		dlg_del(tj, d);
	if (begin)
		snprintf(dialog, 16, "%08x", dlg_id);
	return 0;

refused:
	if (fresh) {
		/* the dialogue never went out: release it locally */
		struct tc_dlg_req rel = { .prearranged = true };
		tc_end_req(tj->tcap, dlg_id, &rel);
		dlg_del(tj, d);
	}
	return -1;
}

/* --- life cycle ------------------------------------------------------------ */

static int tj_destructor(struct tc_json *tj)
{
	jw_free(&tj->w);
	jw_free(&tj->comps_w);
	jv_doc_free(&tj->req);
	return 0;
}

struct tc_json *tc_json_alloc(void *ctx, struct tcap_ctx *tcap, const struct tc_json_ops *ops, void *priv)
{
	struct tc_json *tj = talloc_zero(ctx, struct tc_json);

	if (!tj)
		return NULL;
	tj->tcap = tcap;
	tj->ops = ops;
	tj->priv = priv;
	hash_init(tj->dlgs);
	jw_init(&tj->w);
	jw_init(&tj->comps_w);
	jv_doc_init(&tj->req);
	talloc_set_destructor(tj, tj_destructor);
	ss7_codec_init();
	return tj;
}

void tc_json_set_calling(struct tc_json *tj, const struct sccp_addr *calling)
{
	tj->calling = *calling;
	tj->have_calling = true;
}

void tc_json_free(struct tc_json *tj)
{
	talloc_free(tj);
}

int tc_json_dlg_export(const struct tc_json *tj, uint32_t id, struct tc_json_dlg_export *out)
{
	const struct tj_dlg *d = dlg_find((struct tc_json *)tj, id);
	struct ss7_codec_ac ac;
	unsigned int i;

	if (!d)
		return -1;
	memset(out, 0, sizeof(*out));
	out->proto = d->proto;
	out->version = d->version;
	if (d->acn_len && !ss7_codec_ac_by_oid(d->acn, d->acn_len, &ac))
		out->ac = ac.name;
	out->incoming = d->incoming;
	out->answered = d->answered;
	out->n_sent = d->n_sent < SENT_INVOKES ? d->n_sent : SENT_INVOKES;
	for (i = 0; i < out->n_sent; i++) {
		out->sent[i].id = d->sent[i].id;
		out->sent[i].op = d->sent[i].op;
	}
	return 0;
}

unsigned int tc_json_dialogues(const struct tc_json *tj)
{
	return tj->n_dlgs;
}
