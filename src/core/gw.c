/*
 * The gateway core, network to applications (gw.h, docs/nats.md): each dialogue event
 * gets its envelope and subject; an event whose next move is ours goes out as a request,
 * and the application's answer (or the default action, on timeout, no responders or a bad
 * answer) is carried out on the dialogue. Applications' own requests are gw_request.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <osmocom/core/rate_ctr.h>
#include <osmocom/core/stats.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include "ss7gw/codec.h"
#include "jv.h"
#include "jw.h"
#include "tcap.h"
#include "tc_json.h"
#include "gw_int.h"

int gw_log_ss = DLGLOBAL;

static const struct rate_ctr_desc gw_ctr_desc[] = {
	[GW_CTR_EVENTS] = { "events", "Events published" },
	[GW_CTR_EVENTS_DROPPED] = { "events:dropped", "Events the bus refused (disconnected and its buffer full)" },
	[GW_CTR_ANSWER_REQUESTS] = { "answer:asked", "Events published as requests for an answer" },
	[GW_CTR_ANSWERS] = { "answer:done", "Answers carried out" },
	[GW_CTR_ANSWER_TIMEOUT] = { "answer:timeout", "No answer in time: the default action sent" },
	[GW_CTR_NO_RESPONDERS] = { "answer:no_responders", "No application listens: the default action sent" },
	[GW_CTR_ANSWER_NOT_SENT] = { "answer:not_asked", "The bus could not take the request: the default action sent" },
	[GW_CTR_BAD_ANSWER] = { "answer:bad", "Answers that could not be carried out: the default action sent" },
	[GW_CTR_STALE_ANSWER] = { "answer:stale", "Answers for a dialogue no longer waiting (late, or ended)" },
	[GW_CTR_DRAIN_REFUSED] = { "drain:refused", "New dialogues refused while draining (SIGTERM): the overload default, or a refusal" },
	[GW_CTR_OVERLOAD] = { "answer:overload", "Too many dialogues waiting: the default action sent" },
	[GW_CTR_REQUESTS] = { "request:done", "Applications' requests carried out" },
	[GW_CTR_BAD_REQUEST] = { "request:refused", "Applications' requests refused (nothing sent)" },
	[GW_CTR_REQUEST_FALLBACK] = { "request:ac_fallback", "Begins again with a lower AC version" },
	[GW_CTR_DEFAULT_FAILED] = { "default:failed", "Default actions that could not be sent: dialogue aborted" },
	[GW_CTR_KV_WRITES] = { "kv:writes", "Dialogue states written to KV" },
	[GW_CTR_KV_DELETES] = { "kv:deletes", "Written dialogues deleted from KV at their end" },
	[GW_CTR_KV_COALESCED] = { "kv:coalesced", "Dialogue changes folded into a write already due" },
	[GW_CTR_KV_RETRIES] = { "kv:retries", "KV writes tried again after an error" },
	[GW_CTR_KV_LOST] = { "kv:lost", "KV writes given up after the retries" },
	[GW_CTR_KV_CONFLICT] = { "kv:conflict", "KV compare-and-set failed: another instance wrote the dialogue" },
};

static const struct rate_ctr_group_desc gw_ctrg_desc = {
	.group_name_prefix = "gw",
	.group_description = "Gateway core: events, answers, requests",
	.class_id = OSMO_STATS_CLASS_GLOBAL,
	.num_ctr = ARRAY_SIZE(gw_ctr_desc),
	.ctr_desc = gw_ctr_desc,
};

static void ctr_inc(struct gw *gw, enum gw_ctr c)
{
	rate_ctr_inc2(gw->ctrs, c);
}

void gw_cfg_defaults(struct gw_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	OSMO_STRLCPY_ARRAY(cfg->prefix, "ss7");
	cfg->answer_timeout_ms = 10000;
	cfg->on_timeout.kind = GW_ACT_ERROR;
	OSMO_STRLCPY_ARRAY(cfg->on_timeout.error, "systemFailure");
	cfg->on_bad_answer = cfg->on_timeout;
	cfg->on_overload.kind = GW_ACT_ERROR;
	OSMO_STRLCPY_ARRAY(cfg->on_overload.error, "resourceLimitation");
	cfg->max_waiting = 10000;
	cfg->max_dialogues = 100000;
	cfg->kv_write_delay_ms = 10;
	cfg->kv_retries = 3;
}

/* --- dialogues ------------------------------------------------------------ */

static void answer_timeout(void *priv);

struct gw_dlg *gw_dlg_find(struct gw *gw, uint32_t id)
{
	struct gw_dlg *d;

	hash_for_each_possible(gw->dlgs, d, node, id)
		if (d->id == id)
			return d;
	return NULL;
}

struct gw_dlg *gw_dlg_add(struct gw *gw, uint32_t id, enum gw_role role)
{
	struct gw_dlg *d;

	if (gw->n_dlgs >= gw->cfg.max_dialogues || !(d = talloc_zero(gw, struct gw_dlg)))
		return NULL;
	d->gw = gw;
	d->id = id;
	d->role = role;
	d->since_ms = gw_now_ms();
	osmo_timer_setup(&d->timer, answer_timeout, d);
	gw_kv_init(d);
	hash_add(gw->dlgs, &d->node, id);
	gw->n_dlgs++;
	return d;
}

static void stop_waiting(struct gw *gw, struct gw_dlg *d)
{
	if (!d->waiting)
		return;
	osmo_timer_del(&d->timer);
	d->waiting = false;
	gw->n_waiting--;
}

void gw_dlg_del(struct gw *gw, struct gw_dlg *d)
{
	if (!d)
		return;
	stop_waiting(gw, d);
	gw_kv_forget(gw, d);
	if (gw->cur.d == d)
		gw->cur.d = NULL;
	hash_del(&d->node);
	gw->n_dlgs--;
	talloc_free(d);
}

/* --- carrying out tc-json on a dialogue ------------------------------------- */

int gw_tc_request(struct gw *gw, struct gw_dlg *d, const jv_t *req, char dialog[16], char *err, size_t errsz)
{
	const char *type = jv_string_value(jv_object_get(req, "request"));
	char none[16];

	if (tc_json_request_jv(gw->stack.tc, req, dialog ? dialog : none, err, errsz))
		return -1;
	if (d && type && (!strcmp(type, "end") || !strcmp(type, "u-abort")))
		gw_dlg_del(gw, d);
	return 0;
}

/* {"request": type, "dialog": d, "components": [...]} in gw->doc, components to be pushed */
static jv_t *new_request(struct gw *gw, const struct gw_dlg *d, const char *type, unsigned int max_comps,
			 jv_t **comps)
{
	struct jv_doc *doc = &gw->doc;
	char id[16];
	jv_t *req;

	snprintf(id, sizeof(id), "%08x", d->id);
	req = jv_new_object1(doc, "request", jv_new_string(doc, type));
	*comps = jv_new_array(doc, max_comps);
	if (!req || !*comps || jv_object_set(doc, req, "dialog", jv_new_string(doc, id)) ||
	    jv_object_set(doc, req, "components", *comps))
		return NULL;
	return req;
}

/* A component answering the pending invoke: {"kind": {"invokeId": ..., key: value}} */
static jv_t *answer_comp(struct gw *gw, const struct gw_dlg *d, const char *kind, const char *key, jv_t *value)
{
	struct jv_doc *doc = &gw->doc;
	jv_t *body = jv_new_object1(doc, "invokeId", jv_new_integer(doc, d->pend_id));

	if (!body || (key && value && jv_object_set(doc, body, key, value)))
		return NULL;
	return jv_new_object1(doc, kind, body);
}

/* The default action on d: an error or reject for the pending invoke and End, or an
 * abort; if that cannot be sent, an abort; if not even that, a local release. */
static void default_action(struct gw *gw, struct gw_dlg *d, const struct gw_action *act, const char *why)
{
	struct jv_doc *doc = &gw->doc;
	jv_t *req = NULL, *comps, *c = NULL, *body;
	char err[200];

	LOGGW(LOGL_INFO, "dialogue %08x: %s: default action\n", d->id, why);
	jv_doc_free(doc);
	jv_doc_init(doc);
	if (act->kind != GW_ACT_ABORT && (req = new_request(gw, d, "end", 1, &comps)) && d->pending) {
		if (act->kind == GW_ACT_ERROR && ss7_codec_error_code(d->proto, act->error) >= 0) {
			c = answer_comp(gw, d, "error", "error", jv_new_string(doc, act->error));
		} else if ((c = answer_comp(gw, d, "reject", "problem", jv_new_string(doc, "invoke")))) {
			body = c->u.items[0];
			if (jv_object_set(doc, body, "code", jv_new_string(doc, "resourceLimitation")))
				c = NULL;
		}
		if (c)
			jv_array_push(comps, c);
		else
			req = NULL;
	}
	if (req && !gw_tc_request(gw, d, req, NULL, err, sizeof(err)))
		return;
	if (req)
		LOGGW(LOGL_NOTICE, "dialogue %08x: default action not sent (%s): aborting\n", d->id, err);
	if (req || act->kind != GW_ACT_ABORT)
		ctr_inc(gw, GW_CTR_DEFAULT_FAILED);
	req = new_request(gw, d, "u-abort", 1, &comps);
	if (req && !gw_tc_request(gw, d, req, NULL, err, sizeof(err)))
		return;
	/* not even an abort: release locally, the peer's idle timer ends its side */
	req = new_request(gw, d, "end", 1, &comps);
	if (!req || jv_object_set(doc, req, "prearranged", jv_new_bool(doc, true)) ||
	    gw_tc_request(gw, d, req, NULL, err, sizeof(err)))
		gw_dlg_del(gw, d);
}

static void answer_timeout(void *priv)
{
	struct gw_dlg *d = priv;
	struct gw *gw = d->gw;

	stop_waiting(gw, d);
	ctr_inc(gw, GW_CTR_ANSWER_TIMEOUT);
	default_action(gw, d, &gw->cfg.on_timeout, "no answer in time");
}

/* --- events --------------------------------------------------------------- */

static const char *const proto_names[] = { [SS7_CODEC_AUTO] = "map", [SS7_CODEC_MAP] = "map",
					   [SS7_CODEC_CAP] = "cap" };

static const char *dlg_kind(enum tc_dlg_prim p)
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

static const char *comp_suffix(enum tc_comp_prim p)
{
	switch (p) {
	case TC_INVOKE: return "";
	case TC_RESULT_L:
	case TC_RESULT_NL: return ".result";
	case TC_U_ERROR: return ".error";
	case TC_L_CANCEL: return ".cancel";
	default: return ".reject";
	}
}

/* <prefix>.event.<proto>.<operation>[.result|.error|.reject|.cancel], or <prefix>.dialog.<proto>.<kind> */
static void make_subject(struct gw *gw, const struct tc_json_msg *m)
{
	const struct tc_ind *ind = m->ind;
	const char *proto = proto_names[m->proto == SS7_CODEC_CAP ? SS7_CODEC_CAP : SS7_CODEC_MAP];
	char op[24];

	if (!ind->ncomps || ind->prim == TC_U_ABORT || ind->prim == TC_P_ABORT || ind->prim == TC_NOTICE) {
		snprintf(gw->cur.subject, sizeof(gw->cur.subject), "%s.dialog.%s.%s", gw->cfg.prefix, proto,
			 dlg_kind(ind->prim));
		return;
	}
	if (m->op >= 0)
		snprintf(op, sizeof(op), "op%d", (int)m->op);
	else
		OSMO_STRLCPY_ARRAY(op, "unknown");
	snprintf(gw->cur.subject, sizeof(gw->cur.subject), "%s.event.%s.%s%s", gw->cfg.prefix, proto,
		 m->op_name ? m->op_name : op, comp_suffix(ind->comps[0].prim));
}

static void write_tid(struct jw *w, const char *key, const struct tcap_tid *t)
{
	if (t->len)
		jw_khex(w, key, t->v, t->len);
}

static uint32_t answer_ms(const struct gw *gw, const char *op)
{
	unsigned int i;

	for (i = 0; op && i < gw->cfg.n_op_timeouts; i++)
		if (!strcmp(gw->cfg.op_timeout[i].op, op))
			return gw->cfg.op_timeout[i].ms;
	return gw->cfg.answer_timeout_ms;
}

/* What settles an application's request: the first answer to its invoke, or the end */
static const char *request_outcome(const struct gw_dlg *d, const struct tc_ind *ind)
{
	unsigned int i;

	for (i = 0; i < ind->ncomps; i++) {
		const struct tc_comp_ind *c = &ind->comps[i];
		if (c->invoke_id_present && c->invoke_id != d->req_invoke)
			continue;
		switch (c->prim) {
		case TC_RESULT_L: return "result";
		case TC_U_ERROR: return "error";
		case TC_L_CANCEL: return "timeout";
		case TC_U_REJECT: case TC_L_REJECT: case TC_R_REJECT: return "reject";
		default: break;
		}
	}
	switch (ind->prim) {
	case TC_END: return "end";
	case TC_U_ABORT: case TC_P_ABORT: return "abort";
	case TC_NOTICE: return "notice";
	default: return NULL;
	}
}

void gw_envelope(struct gw *gw, struct jw *w, const struct tc_json_msg *m)
{
	const struct tc_ind *ind = m->ind;
	struct gw_dlg *d = gw_dlg_find(gw, ind->dialogue_id);
	struct timespec now;
	uint32_t opc, dpc;
	uint64_t rx_us;
	char text[32];
	unsigned int i;
	bool invoke = false;

	memset(&gw->cur, 0, sizeof(gw->cur));
	gw->cur.active = true;
	if (ind->prim == TC_BEGIN && !d) {
		d = gw_dlg_add(gw, ind->dialogue_id, GW_ROLE_NETWORK);
		gw->cur.overload = !d;	/* over max_dialogues */
		gw->cur.draining = d && gw->draining;	/* no new dialogues */
	}
	gw->cur.d = d;
	gw->cur.ends = ind->prim == TC_END || ind->prim == TC_U_ABORT || ind->prim == TC_P_ABORT;
	make_subject(gw, m);

	jw_kint(w, "schema", 1);
	jw_kint(w, "instance", gw->instance);
	jw_kint(w, "seq", (long long)++gw->seq);
	if (ind->prim != TC_UNI) {
		snprintf(text, sizeof(text), "%08x-%u", ind->dialogue_id, d ? ++d->n : 0);
		jw_kstr(w, "id", text);
	}
	if (gw->stack.rx_label && gw->stack.rx_label(gw->stack.priv, &opc, &dpc, &rx_us)) {
		jw_kint(w, "ts", (long long)rx_us);
		jw_kint(w, "opc", opc);
		jw_kint(w, "dpc", dpc);
	} else {
		clock_gettime(CLOCK_REALTIME, &now);
		jw_kint(w, "ts", (long long)now.tv_sec * 1000000 + now.tv_nsec / 1000);
	}
	if (ind->rx) {
		write_tid(w, "otid", &ind->rx->otid);
		write_tid(w, "dtid", &ind->rx->dtid);
	}
	/* tc-json writes the addresses of begin, uni and notice itself */
	if (ind->rx && ind->prim != TC_BEGIN && ind->prim != TC_UNI && ind->prim != TC_NOTICE) {
		jw_key(w, "called");
		tc_json_write_addr(w, ind->rx_called);
		jw_key(w, "calling");
		tc_json_write_addr(w, ind->rx_calling);
	}
	if (!d)
		return;
	d->proto = m->proto;

	for (i = 0; i < ind->ncomps; i++)
		if (ind->comps[i].prim == TC_INVOKE) {
			if (!invoke && !d->pending) {
				d->pending = true;
				d->pend_id = ind->comps[i].invoke_id;
				d->pend_op = ind->comps[i].op.global ? -1 : ind->comps[i].op.local;
			}
			invoke = true;
		}
	if (d->role == GW_ROLE_REQUEST && d->reply_to) {
		gw->cur.outcome = request_outcome(d, ind);
		if (ind->prim == TC_U_ABORT && ind->abort_reason == TC_ABORT_ACN_NOT_SUPPORTED) {
			struct ss7_codec_ac offered;
			gw->cur.fallback = ind->acn.len && !ss7_codec_ac_by_oid(ind->acn.data, ind->acn.len, &offered)
					   ? offered.version : -1;
		}
	}
	if (d->role != GW_ROLE_TC && (ind->prim == TC_BEGIN || ind->prim == TC_CONTINUE) &&
	    (invoke || d->role == GW_ROLE_NETWORK)) {
		if (!d->waiting && gw->n_waiting >= gw->cfg.max_waiting) {
			gw->cur.overload = true;
		} else {
			const char *op = d->pending ? ss7_codec_op_name(d->proto, m->version, d->pend_op) : NULL;
			gw->cur.ask = true;
			jw_key(w, "answer");
			jw_obj_begin(w);
			if (d->pending) {
				jw_kint(w, "invokeId", d->pend_id);
				if (op)
					jw_kstr(w, "operation", op);
			}
			jw_kint(w, "timeoutMs", answer_ms(gw, op));
			jw_obj_end(w);
		}
	}
	if (d->context) {
		jw_key(w, "context");
		jw_raw(w, d->context, strlen(d->context));
	}
	if (gw->cur.outcome)
		jw_kstr(w, "outcome", gw->cur.fallback ? "ac-refused" : gw->cur.outcome);
}

static void ask(struct gw *gw, struct gw_dlg *d, const char *json, size_t len)
{
	uint32_t ms;
	int rc;

	stop_waiting(gw, d);	/* a newer message replaces the question */
	d->token = (uint64_t)d->id << 32 | ++gw->token_seq;
	rc = gw->bus->request(gw->bus_priv, gw->cur.subject, json, len, d->token);
	if (rc < 0) {
		ctr_inc(gw, GW_CTR_ANSWER_NOT_SENT);
		default_action(gw, d, &gw->cfg.on_timeout, "the bus cannot take the request");
		return;
	}
	ctr_inc(gw, GW_CTR_EVENTS);
	ctr_inc(gw, GW_CTR_ANSWER_REQUESTS);
	d->waiting = true;
	gw->n_waiting++;
	ms = answer_ms(gw, d->pending ? ss7_codec_op_name(d->proto, 0, d->pend_op) : NULL);
	osmo_timer_schedule(&d->timer, ms / 1000, (ms % 1000) * 1000);
	gw_kv_touch(gw, d);
}

void gw_event(struct gw *gw, const char *json, size_t len)
{
	struct gw_dlg *d = gw->cur.d;
	char subject[96];

	if (!gw->cur.active) {
		/* a network event: {"event":"link"|"pc"|"ssn",...} */
		const char *k = strstr(json, "\"event\":\"");
		size_t n = k ? strcspn(k + 9, "\"") : 0;
		snprintf(subject, sizeof(subject), "%s.network.%.*s", gw->cfg.prefix, (int)(n < 16 ? n : 16),
			 k ? k + 9 : "");
		if (gw->bus->publish(gw->bus_priv, subject, json, len) < 0)
			ctr_inc(gw, GW_CTR_EVENTS_DROPPED);
		return;
	}
	gw->cur.active = false;
	if (gw->cur.draining) {
		ctr_inc(gw, GW_CTR_DRAIN_REFUSED);
		default_action(gw, d, &gw->cfg.on_overload, "draining: no new dialogues");
		return;
	}
	if (gw->cur.overload) {
		ctr_inc(gw, GW_CTR_OVERLOAD);
		if (d)
			default_action(gw, d, &gw->cfg.on_overload, "too many dialogues wait for an application");
		else
			LOGGW(LOGL_NOTICE, "dialogue table full: a begin is left to the peer's timer\n");
		return;
	}
	if (d && gw->cur.outcome) {
		if (gw->cur.fallback && gw_request_fallback(gw, d, gw->cur.fallback))
			goto publish;
		gw_request_outcome(gw, d, json, len);
		d = gw->cur.d;	/* the outcome may have ended it */
	}
	if (d && gw->cur.ask) {
		ask(gw, d, json, len);
		return;
	}
publish:
	if (gw->bus->publish(gw->bus_priv, gw->cur.subject, json, len) < 0)
		ctr_inc(gw, GW_CTR_EVENTS_DROPPED);
	else
		ctr_inc(gw, GW_CTR_EVENTS);
	d = gw->cur.d;		/* the outcome may have ended it */
	if (d && gw->cur.ends)
		gw_dlg_del(gw, d);
	else if (d)
		gw_kv_touch(gw, d);
}

/* --- answers -------------------------------------------------------------- */

/* The answer object (docs/nats.md) as a tc-json request on d. */
static jv_t *answer_request(struct gw *gw, struct gw_dlg *d, const jv_t *a, char *err, size_t errsz)
{
	struct jv_doc *doc = &gw->doc;
	const jv_t *result = jv_object_get(a, "result"), *error = jv_object_get(a, "error");
	const jv_t *reject = jv_object_get(a, "reject"), *extra = jv_object_get(a, "components");
	const jv_t *dlg = jv_object_get(a, "dialog");
	bool answers = result || error || reject;
	const char *type = answers ? "end" : "continue";
	jv_t *req, *comps, *c = NULL;
	size_t i;

	if (!jv_is_object(a))
		return snprintf(err, errsz, "an answer is a JSON object"), NULL;
	if ((result != NULL) + (error != NULL) + (reject != NULL) > 1)
		return snprintf(err, errsz, "one of result, error, reject"), NULL;
	if (answers && !d->pending)
		return snprintf(err, errsz, "no invoke waits for an answer"), NULL;
	if (extra && (!jv_is_array(extra) || jv_array_size(extra) > TCAP_MAX_COMPS - 1))
		return snprintf(err, errsz, "components must be a list of at most %d", TCAP_MAX_COMPS - 1), NULL;
	if (dlg) {
		type = jv_string_value(dlg);
		if (!type || (strcmp(type, "end") && strcmp(type, "continue") && strcmp(type, "abort")))
			return snprintf(err, errsz, "dialog is \"end\", \"continue\" or \"abort\""), NULL;
		if (!strcmp(type, "abort")) {
			if (answers || extra)
				return snprintf(err, errsz, "an abort carries nothing else"), NULL;
			type = "u-abort";
		}
	}
	if (!(req = new_request(gw, d, type, TCAP_MAX_COMPS, &comps)))
		return snprintf(err, errsz, "out of memory"), NULL;
	if (result) {
		c = answer_comp(gw, d, "result", jv_is_null(result) ? NULL : "result", (jv_t *)result);
		if (c && jv_object_set(doc, c->u.items[0], "opcode", jv_new_integer(doc, d->pend_op)))
			c = NULL;
	} else if (error) {
		c = answer_comp(gw, d, "error", jv_is_integer(error) ? "errorCode" : "error", (jv_t *)error);
		if (c && jv_object_get(a, "parameter") &&
		    jv_object_set(doc, c->u.items[0], "parameter", (jv_t *)jv_object_get(a, "parameter")))
			c = NULL;
	} else if (reject) {
		c = answer_comp(gw, d, "reject", "code", (jv_t *)reject);
		if (c && jv_object_set(doc, c->u.items[0], "problem", jv_new_string(doc, "invoke")))
			c = NULL;
	}
	if (answers && !c)
		return snprintf(err, errsz, "out of memory"), NULL;
	if (c)
		jv_array_push(comps, c);
	for (i = 0; i < jv_array_size(extra); i++)
		jv_array_push(comps, jv_array_get(extra, i));
	return req;
}

void gw_answer(struct gw *gw, uint64_t token, int status, const char *data, size_t len)
{
	struct gw_dlg *d = gw_dlg_find(gw, (uint32_t)(token >> 32));
	const jv_t *context;
	char err[256];
	jv_t *req;
	bool answered;

	if (!d || !d->waiting || d->token != token) {
		ctr_inc(gw, GW_CTR_STALE_ANSWER);
		return;
	}
	stop_waiting(gw, d);
	if (status == -EHOSTUNREACH) {
		ctr_inc(gw, GW_CTR_NO_RESPONDERS);
		default_action(gw, d, &gw->cfg.on_timeout, "no application listens");
		return;
	}
	if (status < 0) {
		ctr_inc(gw, GW_CTR_ANSWER_NOT_SENT);
		default_action(gw, d, &gw->cfg.on_timeout, "the request failed on the bus");
		return;
	}
	if (jv_parse(&gw->doc, data, len, err, sizeof(err)) ||
	    !(req = answer_request(gw, d, gw->doc.root, err, sizeof(err))))
		goto bad;
	answered = jv_object_get(gw->doc.root, "result") || jv_object_get(gw->doc.root, "error") ||
		   jv_object_get(gw->doc.root, "reject");
	if ((context = jv_object_get(gw->doc.root, "context"))) {
		struct jw cw;
		jw_init(&cw);
		jv_write(&cw, context);
		talloc_free(d->context);
		d->context = jw_ok(&cw) ? talloc_strndup(d, jw_cstr(&cw), cw.len) : NULL;
		jw_free(&cw);
	}
	if (answered)
		d->pending = false;
	if (gw_tc_request(gw, d, req, NULL, err, sizeof(err))) {
		if (answered)
			d->pending = true;
		goto bad;
	}
	ctr_inc(gw, GW_CTR_ANSWERS);
	if ((d = gw_dlg_find(gw, (uint32_t)(token >> 32))))
		gw_kv_touch(gw, d);	/* still open: a continue */
	return;
bad:
	ctr_inc(gw, GW_CTR_BAD_ANSWER);
	LOGGW(LOGL_NOTICE, "dialogue %08x: answer refused: %s\n", d->id, err);
	default_action(gw, d, &gw->cfg.on_bad_answer, "a bad answer");
}

/* --- life cycle ------------------------------------------------------------ */

static int gw_destructor(struct gw *gw)
{
	struct gw_dlg *d;
	struct hlist_node *tmp;
	unsigned int b;

	/* what is still open was left to another instance (the drain wrote it to KV): forget
	 * it here without deleting its key */
	gw->freeing = true;
	hash_for_each_safe(gw->dlgs, b, tmp, d, node)
		gw_dlg_del(gw, d);
	rate_ctr_group_free(gw->ctrs);
	jv_doc_free(&gw->doc);
	return 0;
}

struct gw *gw_alloc(void *ctx, const struct gw_cfg *cfg, const struct gw_stack *stack,
		    const struct gw_bus_ops *bus, void *bus_priv)
{
	static unsigned int idx;
	struct gw *gw = talloc_zero(ctx, struct gw);
	unsigned int bits;

	if (!gw)
		return NULL;
	gw->cfg = *cfg;
	gw->stack = *stack;
	gw->bus = bus;
	gw->bus_priv = bus_priv;
	hash_init(gw->dlgs);
	jv_doc_init(&gw->doc);
	tcap_ctx_get_instance(stack->tcap, &bits, &gw->instance);
	gw->ctrs = rate_ctr_group_alloc(gw, &gw_ctrg_desc, idx++);
	talloc_set_destructor(gw, gw_destructor);
	if (!gw->ctrs) {
		talloc_free(gw);
		return NULL;
	}
	return gw;
}

void gw_free(struct gw *gw)
{
	talloc_free(gw);
}

unsigned int gw_dialogues(const struct gw *gw) { return gw->n_dlgs; }

void gw_drain(struct gw *gw)
{
	gw->draining = true;
}

uint64_t gw_now_ms(void)
{
	struct timespec t;

	osmo_clock_gettime(CLOCK_MONOTONIC, &t);	/* the tests' fake time too */
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

void gw_dialogue_stats(const struct gw *gw, struct gw_dialogue_stats *st)
{
	const struct gw_dlg *d;
	uint64_t now = gw_now_ms();
	unsigned int b;

	memset(st, 0, sizeof(*st));
	hash_for_each(gw->dlgs, b, d, node) {
		st->by_role[d->role]++;
		if (d->waiting)
			st->waiting++;
		if (d->kv_inflight)
			st->kv_inflight++;
		if (d->kv_rev)
			st->kv_written++;
		if (!st->oldest_id || now - d->since_ms > st->oldest_age_ms) {
			st->oldest_id = d->id;
			st->oldest_age_ms = now - d->since_ms;
		}
	}
	st->total = gw->n_dlgs;
}
unsigned int gw_waiting(const struct gw *gw) { return gw->n_waiting; }
struct rate_ctr_group *gw_ctrs(struct gw *gw) { return gw->ctrs; }
