/*
 * The gateway core, applications to the network (docs/nats.md): a request names an
 * operation and its argument; the gateway opens the dialogue with the operation's
 * application context (or continues one by its id), begins again with a lower version
 * when the peer refuses the context, and replies with the event that settles the invoke.
 * Raw tc-json requests pass through as they are.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/rate_ctr.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include "ss7gw/codec.h"
#include "jv.h"
#include "jw.h"
#include "tcap.h"
#include "tc_json.h"
#include "gw_int.h"

/* The application context an application's request opens a dialogue with, newest
 * version; "version" in the request or the peer's refusal picks an older one. */
static const struct {
	enum ss7_codec_proto proto;
	const char *op, *ac;
} request_acs[] = {
	{ SS7_CODEC_MAP, "sendRoutingInfoForSM", "shortMsgGatewayContext-v3" },
	{ SS7_CODEC_MAP, "reportSM-DeliveryStatus", "shortMsgGatewayContext-v3" },
	{ SS7_CODEC_MAP, "mt-ForwardSM", "shortMsgMT-RelayContext-v3" },
	{ SS7_CODEC_MAP, "mo-ForwardSM", "shortMsgMO-RelayContext-v3" },
	{ SS7_CODEC_MAP, "alertServiceCentre", "shortMsgAlertContext-v2" },
	{ SS7_CODEC_MAP, "readyForSM", "mwdMngtContext-v3" },
	{ SS7_CODEC_MAP, "unstructuredSS-Request", "networkUnstructuredSsContext-v2" },
	{ SS7_CODEC_MAP, "unstructuredSS-Notify", "networkUnstructuredSsContext-v2" },
	{ SS7_CODEC_MAP, "processUnstructuredSS-Request", "networkUnstructuredSsContext-v2" },
	{ SS7_CODEC_MAP, "anyTimeInterrogation", "anyTimeInfoEnquiryContext-v3" },
	{ SS7_CODEC_MAP, "provideSubscriberInfo", "subscriberInfoEnquiryContext-v3" },
	{ SS7_CODEC_MAP, "sendRoutingInfo", "locationInfoRetrievalContext-v3" },
	{ SS7_CODEC_MAP, "provideRoamingNumber", "roamingNumberEnquiryContext-v3" },
	{ SS7_CODEC_MAP, "sendAuthenticationInfo", "infoRetrievalContext-v3" },
	{ SS7_CODEC_MAP, "updateLocation", "networkLocUpContext-v3" },
	{ SS7_CODEC_MAP, "cancelLocation", "locationCancellationContext-v3" },
	{ SS7_CODEC_MAP, "insertSubscriberData", "subscriberDataMngtContext-v3" },
	{ SS7_CODEC_MAP, "purgeMS", "msPurgingContext-v3" },
	{ SS7_CODEC_MAP, "sendIMSI", "imsiRetrievalContext-v2" },
	{ SS7_CODEC_MAP, "checkIMEI", "equipmentMngtContext-v3" },
	{ SS7_CODEC_MAP, "updateGprsLocation", "gprsLocationUpdateContext-v3" },
	{ SS7_CODEC_MAP, "sendRoutingInfoForLCS", "locationSvcGatewayContext-v3" },
	{ SS7_CODEC_MAP, "provideSubscriberLocation", "locationSvcEnquiryContext-v3" },
	{ SS7_CODEC_MAP, "subscriberLocationReport", "locationSvcEnquiryContext-v3" },
	{ SS7_CODEC_CAP, "initialDP", "capssf-scfGenericAC" },
};

static const char *request_ac(enum ss7_codec_proto proto, const char *op)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(request_acs); i++)
		if (request_acs[i].proto == proto && !strcmp(request_acs[i].op, op))
			return request_acs[i].ac;
	return NULL;
}

static void ctr_inc(struct gw *gw, enum gw_ctr c)
{
	rate_ctr_inc2(gw->ctrs, c);
}

static void reply(struct gw *gw, const char *reply_to, const char *json, size_t len)
{
	if (reply_to)
		gw->bus->respond(gw->bus_priv, reply_to, json, len);
}

/* {"reply":"error"|"refused", ...} */
static void refuse(struct gw *gw, const char *reply_to, const char *key, const char *what, const char *err)
{
	struct jw w;

	ctr_inc(gw, GW_CTR_BAD_REQUEST);
	LOGGW(LOGL_INFO, "request refused: %s\n", err);
	if (!reply_to)
		return;
	jw_init(&w);
	jw_obj_begin(&w);
	jw_kstr(&w, key, what);
	jw_kstr(&w, "error", err);
	jw_obj_end(&w);
	if (jw_ok(&w))
		reply(gw, reply_to, jw_cstr(&w), w.len);
	jw_free(&w);
}

#define DRAINING "this gateway instance is shutting down (SIGTERM): send it again, another instance takes it"

/* --- raw tc-json ----------------------------------------------------------- */

static void tc_request(struct gw *gw, const char *reply_to, const char *data, size_t len)
{
	const char *type, *id;
	char dialog[16] = "", err[256], out[64];
	struct gw_dlg *d = NULL;
	int n;

	if (jv_parse(&gw->doc, data, len, err, sizeof(err)))
		return refuse(gw, reply_to, "reply", "error", err);
	type = jv_string_value(jv_object_get(gw->doc.root, "request"));
	id = jv_string_value(jv_object_get(gw->doc.root, "dialog"));
	if (gw->draining && type && (!strcmp(type, "begin") || !strcmp(type, "uni"))) {
		ctr_inc(gw, GW_CTR_DRAIN_REFUSED);
		return refuse(gw, reply_to, "reply", "error", DRAINING);
	}
	if (id && type && strcmp(type, "begin") && strcmp(type, "uni"))
		d = gw_dlg_find(gw, (uint32_t)strtoul(id, NULL, 16));
	if (gw_tc_request(gw, d, gw->doc.root, dialog, err, sizeof(err)))
		return refuse(gw, reply_to, "reply", "error", err);
	ctr_inc(gw, GW_CTR_REQUESTS);
	if (type && !strcmp(type, "begin"))
		d = gw_dlg_add(gw, (uint32_t)strtoul(dialog, NULL, 16), GW_ROLE_TC);
	else if ((d = gw_dlg_find(gw, id ? (uint32_t)strtoul(id, NULL, 16) : 0)) && d->waiting) {
		/* the application answered with a request of its own */
		d->waiting = false;
		osmo_timer_del(&d->timer);
		gw->n_waiting--;
	}
	if (d)
		gw_kv_touch(gw, d);
	n = dialog[0] ? snprintf(out, sizeof(out), "{\"reply\":\"ok\",\"dialog\":\"%s\"}", dialog)
		      : snprintf(out, sizeof(out), "{\"reply\":\"ok\"}");
	reply(gw, reply_to, out, (size_t)n);
}

/* --- an operation ------------------------------------------------------------ */

/* The invoke of a request: {"invoke": {"invokeId", "operation", "argument", "timeoutMs"}} */
static jv_t *invoke_of(struct gw *gw, const jv_t *r, const char *op, int invoke_id)
{
	struct jv_doc *doc = &gw->doc;
	jv_t *body = jv_new_object1(doc, "invokeId", jv_new_integer(doc, invoke_id));
	const jv_t *v;

	if (!body || jv_object_set(doc, body, "operation", jv_new_string(doc, op)))
		return NULL;
	if ((v = jv_object_get(r, "argument")) && jv_object_set(doc, body, "argument", (jv_t *)v))
		return NULL;
	if ((v = jv_object_get(r, "argumentHex")) && jv_object_set(doc, body, "argumentHex", (jv_t *)v))
		return NULL;
	if ((v = jv_object_get(r, "timeoutMs")) && jv_object_set(doc, body, "timeoutMs", (jv_t *)v))
		return NULL;
	return jv_new_object1(doc, "invoke", body);
}

/* A request that begins a dialogue; version > 0 forces that AC version (a begin again). */
static int begin_op(struct gw *gw, enum ss7_codec_proto proto, const char *op, const jv_t *r, int version,
		    struct gw_dlg **out, char *err, size_t errsz)
{
	struct jv_doc *doc = &gw->doc;
	const char *acname = jv_string_value(jv_object_get(r, "ac"));
	struct ss7_codec_ac ac, v;
	char dialog[16];
	jv_t *req, *comps, *inv;
	const jv_t *x;

	if (!(x = jv_object_get(r, "called")))
		return snprintf(err, errsz, "needs a called address"), -1;
	if (jv_object_get(r, "ac") && !acname)
		return snprintf(err, errsz, "ac must be a name"), -1;
	if (!acname && !(acname = request_ac(proto, op)))
		return snprintf(err, errsz, "no application context known for %s: give ac", op), -1;
	if (ss7_codec_ac_by_name(acname, 0, &ac))
		return snprintf(err, errsz, "unknown application context \"%s\"", acname), -1;
	if (!version && jv_is_integer(jv_object_get(r, "version")))
		version = (int)jv_integer_value(jv_object_get(r, "version"));
	if (version && version != ac.version) {
		if (ss7_codec_ac_version(&ac, version, &v))
			return snprintf(err, errsz, "%s has no version %d", ac.name, version), -1;
		ac = v;
	}
	req = jv_new_object1(doc, "request", jv_new_string(doc, "begin"));
	comps = jv_new_array(doc, 1);
	inv = invoke_of(gw, r, op, 1);
	if (!req || !comps || !inv || jv_object_set(doc, req, "called", (jv_t *)x) ||
	    jv_object_set(doc, req, "ac", jv_new_string(doc, ac.name)) ||
	    ((x = jv_object_get(r, "calling")) && jv_object_set(doc, req, "calling", (jv_t *)x)) ||
	    jv_object_set(doc, req, "components", comps))
		return snprintf(err, errsz, "out of memory"), -1;
	/* CAP names its versions by phase: tell tc-json which one */
	if (ac.proto == SS7_CODEC_CAP && jv_object_set(doc, req, "version", jv_new_integer(doc, ac.version)))
		return snprintf(err, errsz, "out of memory"), -1;
	jv_array_push(comps, inv);
	if (gw_tc_request(gw, NULL, req, dialog, err, errsz))
		return -1;
	if (!(*out = gw_dlg_add(gw, (uint32_t)strtoul(dialog, NULL, 16), GW_ROLE_REQUEST))) {
		/* nothing to keep its outcome in: end it before the peer answers */
		snprintf(err, errsz, "too many dialogues");
		return -1;
	}
	(*out)->version = ac.version;
	(*out)->proto = ac.proto;
	(*out)->req_invoke = 1;
	(*out)->next_invoke = 2;
	return 0;
}

/* A request on an open dialogue: the next MT-ForwardSM, the next USSD request */
static int continue_op(struct gw *gw, const char *op, const jv_t *r, struct gw_dlg **out, char *err,
		       size_t errsz)
{
	struct jv_doc *doc = &gw->doc;
	const char *id = jv_string_value(jv_object_get(r, "dialog"));
	struct gw_dlg *d = id ? gw_dlg_find(gw, (uint32_t)strtoul(id, NULL, 16)) : NULL;
	jv_t *req, *comps, *inv;
	int invoke_id;

	if (!d || d->role == GW_ROLE_TC)
		return snprintf(err, errsz, "no dialog %s", id ? id : "(none)"), -1;
	if (d->reply_to)
		return snprintf(err, errsz, "dialog %s: a request on it is still open", id), -1;
	invoke_id = d->next_invoke ? d->next_invoke : 1;
	snprintf(err, errsz, "%08x", d->id);
	req = jv_new_object1(doc, "request", jv_new_string(doc, jv_is_true(jv_object_get(r, "end")) ? "end"
											 : "continue"));
	comps = jv_new_array(doc, 1);
	inv = invoke_of(gw, r, op, invoke_id);
	if (!req || !comps || !inv || jv_object_set(doc, req, "dialog", jv_new_string(doc, err)) ||
	    jv_object_set(doc, req, "components", comps))
		return snprintf(err, errsz, "out of memory"), -1;
	jv_array_push(comps, inv);
	if (gw_tc_request(gw, jv_is_true(jv_object_get(r, "end")) ? NULL : d, req, NULL, err, errsz))
		return -1;
	if (jv_is_true(jv_object_get(r, "end"))) {
		gw_dlg_del(gw, d);
		*out = NULL;
		return 0;
	}
	d->role = GW_ROLE_REQUEST;
	d->req_invoke = (int8_t)invoke_id;
	d->next_invoke = (uint8_t)(invoke_id % 127 + 1);
	*out = d;
	return 0;
}

static void op_request(struct gw *gw, enum ss7_codec_proto proto, const char *op, const char *reply_to,
		       const char *data, size_t len, int version)
{
	char err[256], out[64];
	struct gw_dlg *d = NULL;
	const jv_t *r;
	int n;

	if (jv_parse(&gw->doc, data, len, err, sizeof(err)))
		return refuse(gw, reply_to, "outcome", "refused", err);
	r = gw->doc.root;
	if (!jv_is_object(r))
		return refuse(gw, reply_to, "outcome", "refused", "a request is a JSON object");
	if (ss7_codec_op_code(proto, op) < 0) {
		snprintf(err, sizeof(err), "unknown %s operation \"%s\"", proto == SS7_CODEC_CAP ? "CAP" : "MAP", op);
		return refuse(gw, reply_to, "outcome", "refused", err);
	}
	if (gw->draining && !jv_object_get(r, "dialog")) {
		ctr_inc(gw, GW_CTR_DRAIN_REFUSED);
		return refuse(gw, reply_to, "outcome", "refused", DRAINING);
	}
	if (jv_object_get(r, "dialog") ? continue_op(gw, op, r, &d, err, sizeof(err))
				       : begin_op(gw, proto, op, r, version, &d, err, sizeof(err)))
		return refuse(gw, reply_to, "outcome", "refused", err);
	ctr_inc(gw, GW_CTR_REQUESTS);
	if (!d) {	/* ended with this invoke: nothing comes back */
		n = snprintf(out, sizeof(out), "{\"outcome\":\"sent\"}");
		reply(gw, reply_to, out, (size_t)n);
		return;
	}
	d->keep_open = jv_is_true(jv_object_get(r, "keepOpen"));
	OSMO_STRLCPY_ARRAY(d->req_op, op);
	if (reply_to)
		d->reply_to = talloc_strdup(d, reply_to);
	if (!d->req) {
		d->req = talloc_strndup(d, data, len);
		d->fallbacks = (uint8_t)(version ? 1 : 0);
	}
	gw_kv_touch(gw, d);
}

bool gw_request_fallback(struct gw *gw, struct gw_dlg *d, int version)
{
	char op[48];
	enum ss7_codec_proto proto = d->proto == SS7_CODEC_CAP ? SS7_CODEC_CAP : SS7_CODEC_MAP;
	struct gw_dlg *nd = NULL;
	char err[256];

	if (version <= 0 || version >= d->version)
		version = d->version - 1;
	if (!d->req || d->fallbacks >= 2 || version < 1)
		return false;
	if (jv_parse(&gw->doc, d->req, strlen(d->req), err, sizeof(err)))
		return false;
	OSMO_STRLCPY_ARRAY(op, d->req_op);
	if (begin_op(gw, proto, op, gw->doc.root, version, &nd, err, sizeof(err))) {
		LOGGW(LOGL_NOTICE, "dialogue %08x: begin again with version %d refused: %s\n", d->id, version, err);
		return false;
	}
	ctr_inc(gw, GW_CTR_REQUEST_FALLBACK);
	nd->keep_open = d->keep_open;
	nd->reply_to = talloc_steal(nd, d->reply_to);
	nd->req = talloc_steal(nd, d->req);
	nd->fallbacks = d->fallbacks + 1;
	OSMO_STRLCPY_ARRAY(nd->req_op, d->req_op);
	d->reply_to = d->req = NULL;
	gw_kv_touch(gw, nd);
	return true;
}

void gw_request_outcome(struct gw *gw, struct gw_dlg *d, const char *json, size_t len)
{
	struct jv_doc *doc = &gw->doc;
	char err[256];
	jv_t *req, *comps;
	int local;

	reply(gw, d->reply_to, json, len);
	TALLOC_FREE(d->reply_to);
	if (gw->cur.ends || gw->cur.ask || d->keep_open)
		return;
	/* the peer kept the dialogue open but the application is done with it. When the peer
	 * never answered (our invoke timed out in initiation-sent) there is no peer transaction
	 * to send an End to: TCAP refuses the basic end and the dialogue is released locally. */
	for (local = 0; local < 2; local++) {
		jv_doc_free(doc);
		jv_doc_init(doc);
		req = jv_new_object1(doc, "request", jv_new_string(doc, "end"));
		comps = jv_new_array(doc, 1);
		snprintf(err, sizeof(err), "%08x", d->id);
		if (req && comps && !jv_object_set(doc, req, "dialog", jv_new_string(doc, err)) &&
		    !jv_object_set(doc, req, "components", comps) &&
		    (!local || !jv_object_set(doc, req, "prearranged", jv_new_bool(doc, true))) &&
		    !gw_tc_request(gw, d, req, NULL, err, sizeof(err)))
			return;
	}
	LOGGW(LOGL_NOTICE, "dialogue %08x: cannot end it after the outcome\n", d->id);
	gw_kv_touch(gw, d);
}

void gw_request(struct gw *gw, const char *subject, const char *reply_to, const char *data, size_t len)
{
	size_t plen = strlen(gw->cfg.prefix);
	const char *rest = subject;
	char err[160];

	if (strncmp(rest, gw->cfg.prefix, plen) || strncmp(rest + plen, ".request.", 9)) {
		snprintf(err, sizeof(err), "not a request subject: %s", subject);
		return refuse(gw, reply_to, "outcome", "refused", err);
	}
	rest += plen + 9;
	if (!strcmp(rest, "tc"))
		return tc_request(gw, reply_to, data, len);
	if (!strncmp(rest, "map.", 4))
		return op_request(gw, SS7_CODEC_MAP, rest + 4, reply_to, data, len, 0);
	if (!strncmp(rest, "cap.", 4))
		return op_request(gw, SS7_CODEC_CAP, rest + 4, reply_to, data, len, 0);
	snprintf(err, sizeof(err), "unknown request subject %s: <prefix>.request.tc|map.<op>|cap.<op>", subject);
	refuse(gw, reply_to, "outcome", "refused", err);
}
