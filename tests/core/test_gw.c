/*
 * The gateway core (src/core/gw.c, gw_request.c) on two real TCAP entities back to back:
 * N plays the network with the JSON TC-user, G is the gateway whose events go to a fake
 * bus that records them, and the test answers as an application would. Covers the envelope
 * and subjects, answers (result, USSD menu over continues with a stored context), the
 * defaults on timeout, no responders, a bus that refuses and bad answers, stale answers,
 * the waiting bound, applications' requests (a begin with its AC, the AC fallback,
 * MT-ForwardSM over a kept dialogue, raw tc-json) and refused requests. After each case no
 * dialogue is left in the core, the TC-user or TCAP. Fake time.
 *
 * With SS7GW_GW_DUMP=DIR every message of the contract that passes the fake bus is also
 * written to DIR as <kind>-<n>.json, kind being the schema it must meet (schemas/): event,
 * reply, kv-state from the gateway; answer, request from the test playing the application
 * (its deliberately bad ones left out). schemas.gw validates them (tests/schemas/gw_dump.py).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/rate_ctr.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>

#include "ss7gw/codec.h"
#include "jw.h"
#include "sccp_msg.h"
#include "tcap.h"
#include "tc_json.h"
#include "gw.h"
#include "jv.h"

static int passed, failed;

#define CHECK(cond, ...) do { \
	if (cond) { passed++; } else { failed++; printf("FAIL %s:%d: ", __FILE__, __LINE__); \
		printf(__VA_ARGS__); printf("\n"); } } while (0)

/* --- N (the network) and G (the gateway), a queue between them -------------------------- */

struct side {
	const char *name;
	struct tcap_ctx *tcap;
	struct tc_json *tj;
	struct side *peer;
	char last[8192];		/* N: the last event */
};

struct queued {
	struct side *to;
	struct sccp_addr called, calling;
	uint8_t data[4096];
	size_t len;
};

static struct queued queue[16];
static unsigned int q_head, q_tail;
static struct side N = { .name = "N" }, G = { .name = "G" };
static struct gw *gw;

static int n_unitdata_req(void *priv, const struct sccp_addr *called, const struct sccp_addr *calling,
			  const uint8_t *data, size_t len, uint8_t proto_class, bool return_on_error,
			  uint32_t seq_ctrl)
{
	struct side *s = priv;
	struct queued *q = &queue[q_tail++ % 16];

	q->to = s->peer;
	q->called = *called;
	q->calling = *calling;
	memcpy(q->data, data, len);
	q->len = len;
	return 0;
}

static void tc_ind(void *priv, const struct tc_ind *ind)
{
	struct side *s = priv;

	tc_json_tc_ind(s->tj, ind);
}

static void n_event(void *priv, const char *json, size_t len)
{
	snprintf(N.last, sizeof(N.last), "%.*s", (int)len, json);
}

static void g_event(void *priv, const char *json, size_t len)
{
	gw_event(gw, json, len);
}

static void g_envelope(void *priv, struct jw *w, const struct tc_json_msg *m)
{
	gw_envelope(gw, w, m);
}

static const struct tcap_ops tcap_ops = { .n_unitdata_req = n_unitdata_req, .tc_ind = tc_ind };
static const struct tc_json_ops n_ops = { .event = n_event };
static const struct tc_json_ops g_ops = { .event = g_event, .envelope = g_envelope };

static void deliver(void)
{
	while (q_head != q_tail) {
		struct queued *q = &queue[q_head++ % 16];
		tcap_n_unitdata_ind(q->to->tcap, &q->called, &q->calling, q->data, q->len);
	}
}

/* --- the dump for schemas.gw ---------------------------------------------------------- */

static const char *dump_dir;		/* SS7GW_GW_DUMP */
static bool dump_inputs = true;		/* off while the test sends bad answers or requests */

static void dump(const char *kind, const char *data, size_t len)
{
	static const char *const kinds[] = { "event", "reply", "kv-state", "answer", "request" };
	static unsigned int count[5];
	char path[512];
	unsigned int k;
	FILE *f;

	if (!dump_dir)
		return;
	for (k = 0; k < 5 && strcmp(kinds[k], kind); k++)
		;
	if (k == 5)
		return;
	snprintf(path, sizeof(path), "%s/%s-%04u.json", dump_dir, kind, ++count[k]);
	if (!(f = fopen(path, "w"))) {
		printf("FAIL cannot write %s\n", path);
		exit(1);
	}
	fprintf(f, "%.*s\n", (int)len, data);
	fclose(f);
}

/* --- the fake bus ------------------------------------------------------------------- */

static struct {
	int refuse;			/* what request() returns */
	char subject[160], json[8192];	/* the last publish or request */
	bool asked;			/* ... was a request */
	uint64_t token;
	char reply_to[64], reply[8192];	/* the last respond */
	unsigned int published, requests, replies;
	char kv_key[32], kv_value[8192];	/* the last KV put */
	uint64_t kv_expect, kv_token;
	unsigned int kv_puts, kv_deletes;
	char kv_deleted[32];
} bus;

static int bus_publish(void *priv, const char *subject, const char *data, size_t len)
{
	snprintf(bus.subject, sizeof(bus.subject), "%s", subject);
	snprintf(bus.json, sizeof(bus.json), "%.*s", (int)len, data);
	bus.asked = false;
	bus.published++;
	dump("event", data, len);
	return 0;
}

static int bus_request(void *priv, const char *subject, const char *data, size_t len, uint64_t token)
{
	if (bus.refuse)
		return bus.refuse;
	bus_publish(priv, subject, data, len);
	bus.asked = true;
	bus.token = token;
	bus.requests++;
	return 0;
}

static int bus_respond(void *priv, const char *reply_to, const char *data, size_t len)
{
	snprintf(bus.reply_to, sizeof(bus.reply_to), "%s", reply_to);
	snprintf(bus.reply, sizeof(bus.reply), "%.*s", (int)len, data);
	bus.replies++;
	dump("reply", data, len);
	return 0;
}

static int bus_kv_put(void *priv, const char *key, const char *data, size_t len, uint64_t expect_rev,
		      uint64_t token)
{
	snprintf(bus.kv_key, sizeof(bus.kv_key), "%s", key);
	snprintf(bus.kv_value, sizeof(bus.kv_value), "%.*s", (int)len, data);
	bus.kv_expect = expect_rev;
	bus.kv_token = token;
	bus.kv_puts++;
	dump("kv-state", data, len);
	return 0;
}

static int bus_kv_delete(void *priv, const char *key, uint64_t token)
{
	snprintf(bus.kv_deleted, sizeof(bus.kv_deleted), "%s", key);
	bus.kv_deletes++;
	return 0;
}

static const struct gw_bus_ops bus_ops = { .publish = bus_publish, .request = bus_request,
					   .respond = bus_respond, .kv_put = bus_kv_put,
					   .kv_delete = bus_kv_delete };

/* --- steps ---------------------------------------------------------------------------- */

static void advance_ms(int ms)
{
	osmo_clock_override_add(CLOCK_MONOTONIC, ms / 1000, (ms % 1000) * 1000);
	osmo_gettimeofday_override_add(ms / 1000, (ms % 1000) * 1000);
	osmo_timers_prepare();
	osmo_timers_update();
	deliver();
}

/* N sends a tc-json request; returns N's dialog id for a begin */
static const char *net(const char *json)
{
	static char dialog[16];
	char err[256] = "";

	dialog[0] = '\0';
	CHECK(!tc_json_request(N.tj, json, strlen(json), dialog, err, sizeof(err)), "N refused: %s\n  %s", err, json);
	deliver();
	return dialog;
}

/* The application answers the last request */
static void answer(const char *json)
{
	if (dump_inputs)
		dump("answer", json, strlen(json));
	gw_answer(gw, bus.token, 0, json, strlen(json));
	deliver();
}

/* An application's request to the gateway */
static void app(const char *subject, const char *json)
{
	if (dump_inputs)
		dump("request", json, strlen(json));
	gw_request(gw, subject, "_INBOX.app.1", json, strlen(json));
	deliver();
}

/* The dialog id in an event or reply, "" if none */
static const char *dlg_of(const char *text)
{
	static char id[16];
	const char *p = strstr(text, "\"dialog\":\"");

	snprintf(id, sizeof(id), "%.8s", p ? p + 10 : "");
	return id;
}

static void expect(const char *what, const char *text, const char *const *frags)
{
	for (; *frags; frags++)
		CHECK(strstr(text, *frags), "%s lacks %s:\n  %s", what, *frags, text);
}

#define EXPECT_BUS(...) expect("bus message", bus.json, (const char *const[]){ __VA_ARGS__, NULL })
#define EXPECT_NET(...) expect("N's event", N.last, (const char *const[]){ __VA_ARGS__, NULL })
#define EXPECT_REPLY(...) expect("reply", bus.reply, (const char *const[]){ __VA_ARGS__, NULL })

static unsigned long long ctr(enum gw_ctr c)
{
	return rate_ctr_group_get_ctr(gw_ctrs(gw), c)->current;
}

static void nothing_left(const char *when)
{
	CHECK(gw_dialogues(gw) == 0 && gw_waiting(gw) == 0, "%s: the core keeps %u dialogues, %u waiting", when,
	      gw_dialogues(gw), gw_waiting(gw));
	CHECK(tc_json_dialogues(G.tj) == 0 && tc_json_dialogues(N.tj) == 0, "%s: TC-users keep %u/%u", when,
	      tc_json_dialogues(G.tj), tc_json_dialogues(N.tj));
	CHECK(tcap_ctx_dialogues(G.tcap) == 0 && tcap_ctx_dialogues(N.tcap) == 0, "%s: TCAP keeps %u/%u", when,
	      tcap_ctx_dialogues(G.tcap), tcap_ctx_dialogues(N.tcap));
}

/* --- network to applications --------------------------------------------------------- */

#define MO_FSM "{\"request\":\"begin\",\"ac\":\"shortMsgMO-RelayContext-v3\"," \
	"\"called\":{\"gt\":\"491700000100\",\"ssn\":8},\"calling\":{\"gt\":\"491700000008\",\"ssn\":8}," \
	"\"components\":[{\"invoke\":{\"invokeId\":1,\"operation\":\"mo-ForwardSM\",\"argument\":{" \
	"\"sm-RP-DA\":{\"serviceCentreAddressDA\":{\"digits\":\"491700000100\"}}," \
	"\"sm-RP-OA\":{\"msisdn\":{\"digits\":\"491711111111\"}}," \
	"\"sm-RP-UI\":{\"type\":\"SMS-SUBMIT\",\"mr\":7,\"da\":{\"digits\":\"4917222\"},\"pid\":0," \
	"\"dcs\":{\"value\":0,\"alphabet\":\"gsm7\"},\"text\":\"hello\"}}}}]}"

#define SRI_SM "{\"request\":\"begin\",\"ac\":\"shortMsgGatewayContext-v3\"," \
	"\"called\":{\"gt\":\"491700000006\",\"ssn\":6},\"calling\":{\"gt\":\"491700000100\",\"ssn\":8}," \
	"\"components\":[{\"invoke\":{\"invokeId\":1,\"operation\":\"sendRoutingInfoForSM\",\"argument\":" \
	"{\"msisdn\":{\"digits\":\"491719876543\"},\"sm-RP-PRI\":true," \
	"\"serviceCentreAddress\":{\"digits\":\"491700000100\"}}}}]}"

static void mo_sms_answered(void)
{
	char n_dlg[16];

	snprintf(n_dlg, sizeof(n_dlg), "%s", net(MO_FSM));
	CHECK(bus.asked && !strcmp(bus.subject, "ss7.event.map.mo-ForwardSM"), "MO-FSM asked on %s (asked=%d)",
	      bus.subject, bus.asked);
	EXPECT_BUS("{\"schema\":1,\"instance\":2,\"seq\":", "-1\",\"ts\":", "\"otid\":\"", "\"event\":\"begin\"",
		   "\"answer\":{\"invokeId\":1,\"operation\":\"mo-ForwardSM\",\"timeoutMs\":10000}",
		   "\"ac\":\"shortMsgMO-RelayContext-v3\"", "\"text\":\"hello\"");
	CHECK(strstr(bus.json, n_dlg) != NULL, "the event carries N's transaction id %s as otid", n_dlg);
	CHECK(gw_waiting(gw) == 1, "one dialogue waits for the application");
	answer("{\"result\":null}");
	EXPECT_NET("\"event\":\"end\"", "\"result\":{\"invokeId\":1,\"operation\":\"mo-ForwardSM\"",
		   "\"ac\":\"shortMsgMO-RelayContext-v3\"");
	CHECK(ctr(GW_CTR_ANSWERS) == 1, "counted as answered");
	advance_ms(50);
	CHECK(bus.kv_puts == 0 && bus.kv_deletes == 0, "a dialogue done within the write delay is never written");
	nothing_left("MO-SMS answered");
}

#define USSD_BEGIN "{\"request\":\"begin\",\"ac\":\"networkUnstructuredSsContext-v2\"," \
	"\"called\":{\"gt\":\"491700000200\",\"ssn\":6},\"calling\":{\"gt\":\"491700000008\",\"ssn\":8}," \
	"\"components\":[{\"invoke\":{\"invokeId\":1,\"operation\":\"processUnstructuredSS-Request\",\"argument\":" \
	"{\"ussd-DataCodingScheme\":\"0f\",\"ussd-String\":{\"text\":\"*100#\"}," \
	"\"msisdn\":{\"digits\":\"491711111111\"}}}}]}"

/* The stored state of the open USSD dialogue, every field; then a change folds into a
 * compare-and-set write after the first one's ack */
static void kv_state_of_ussd(const char *n_dlg)
{
	struct jv_doc doc;
	const jv_t *v, *inv;
	char err[200], key[32];
	uint64_t t0;

	CHECK(bus.kv_puts == 0, "not written before the delay");
	advance_ms(5);
	CHECK(bus.kv_puts == 0, "not written 5 ms into the 10 ms delay");
	advance_ms(10);
	CHECK(bus.kv_puts == 1 && bus.kv_expect == 0, "written once idle for the delay (%u puts)", bus.kv_puts);
	jv_doc_init(&doc);
	CHECK(!jv_parse(&doc, bus.kv_value, strlen(bus.kv_value), err, sizeof(err)), "KV value is JSON: %s", err);
	v = doc.root;
	snprintf(key, sizeof(key), "d.%s", jv_string_value(jv_object_get(v, "dialog")) ?: "?");
	CHECK(!strcmp(bus.kv_key, key) && jv_integer_value(jv_object_get(v, "v")) == 1 &&
	      jv_integer_value(jv_object_get(v, "owner")) == 2, "key %s, version 1, owner 2: %s", bus.kv_key, bus.kv_value);
	CHECK(!strcmp(jv_string_value(jv_object_get(v, "localTid")) ?: "", key + 2) &&
	      !strcmp(jv_string_value(jv_object_get(v, "remoteTid")) ?: "", n_dlg), "the two transaction ids");
	CHECK(!strcmp(jv_string_value(jv_object_get(v, "state")) ?: "", "active") &&
	      !strcmp(jv_string_value(jv_object_get(v, "role")) ?: "", "network"), "state active, role network");
	CHECK(!strcmp(jv_string_value(jv_object_get(jv_object_get(v, "local"), "gt")) ?: "", "491700000200") &&
	      jv_integer_value(jv_object_get(jv_object_get(v, "local"), "ssn")) == 6 &&
	      !strcmp(jv_string_value(jv_object_get(jv_object_get(v, "remote"), "gt")) ?: "", "491700000008") &&
	      jv_integer_value(jv_object_get(jv_object_get(v, "remote"), "ssn")) == 8, "both addresses");
	CHECK(!strcmp(jv_string_value(jv_object_get(v, "ac")) ?: "", "networkUnstructuredSsContext-v2") &&
	      !strcmp(jv_string_value(jv_object_get(v, "proto")) ?: "", "map") &&
	      jv_integer_value(jv_object_get(v, "version")) == 2 && jv_is_true(jv_object_get(v, "dialoguePortion")) &&
	      jv_is_true(jv_object_get(v, "answered")) && jv_integer_value(jv_object_get(v, "class")) == 1,
	      "AC, version, dialogue portion, answered, SCCP class");
	CHECK(jv_integer_value(jv_object_get(v, "n")) == 1, "one message published so far");
	v = jv_object_get(doc.root, "invokes");
	CHECK(jv_array_size(v) == 2, "two invokes: ours and the subscriber's");
	inv = jv_array_get(v, 0);
	t0 = (uint64_t)jv_integer_value(jv_object_get(doc.root, "written"));
	CHECK(!strcmp(jv_string_value(jv_object_get(inv, "dir")) ?: "", "out") &&
	      jv_integer_value(jv_object_get(inv, "opcode")) == 60 && jv_integer_value(jv_object_get(inv, "class")) == 1 &&
	      jv_is_true(jv_object_get(inv, "sent")) &&
	      (uint64_t)jv_integer_value(jv_object_get(inv, "deadline")) > t0 + 25000,
	      "our unstructuredSS-Request with its absolute deadline (30 s timer)");
	inv = jv_array_get(v, 1);
	CHECK(!strcmp(jv_string_value(jv_object_get(inv, "dir")) ?: "", "in") &&
	      jv_integer_value(jv_object_get(inv, "invokeId")) == 1 && jv_integer_value(jv_object_get(inv, "opcode")) == 59,
	      "the subscriber's processUnstructuredSS-Request, still to answer");
	v = doc.root;
	CHECK(!jv_object_get(v, "answer") && !jv_object_get(v, "request"), "not waiting for an application, no request");
	CHECK((uint64_t)jv_integer_value(jv_object_get(v, "idleDeadline")) > t0 + 55000, "the idle deadline (60 s)");
	CHECK(!strcmp(jv_string_value(jv_object_get(jv_object_get(v, "context"), "menu")) ?: "", "main") &&
	      jv_is_null(jv_object_get(v, "vars")) && t0 > 0, "the application's context, vars reserved, written time");
	jv_doc_free(&doc);

	/* a change while the write is on its way: one more write after the ack, CAS on its revision */
	gw_kv_ack(gw, bus.kv_token, 0, 41);
	CHECK(bus.kv_puts == 1, "the ack alone writes nothing");
}

static void ussd_menu(void)
{
	char n_dlg[16], r[1024];

	snprintf(n_dlg, sizeof(n_dlg), "%s", net(USSD_BEGIN));
	CHECK(bus.asked && !strcmp(bus.subject, "ss7.event.map.processUnstructuredSS-Request"), "asked on %s",
	      bus.subject);
	/* the menu: a continue with our invoke, the pending one stays open; the context is kept */
	answer("{\"components\":[{\"invoke\":{\"linkedId\":1,\"operation\":\"unstructuredSS-Request\","
	       "\"argument\":{\"ussd-DataCodingScheme\":\"0f\",\"ussd-String\":{\"text\":\"1 Balance\\n2 Top up\"}}}}],"
	       "\"context\":{\"menu\":\"main\",\"step\":1}}");
	EXPECT_NET("\"event\":\"continue\"", "\"operation\":\"unstructuredSS-Request\"", "1 Balance");
	kv_state_of_ussd(n_dlg);
	/* the subscriber picks 1: the result comes to the application with the context */
	{
		/* the invoke id G chose: the first one of its dialogue */
		const char *p = strstr(N.last, "\"invoke\":{\"invokeId\":");
		int id = p ? atoi(p + 21) : 1;
		snprintf(r, sizeof(r), "{\"request\":\"continue\",\"dialog\":\"%s\",\"components\":[{\"result\":{\"invokeId\":%d,"
			 "\"operation\":\"unstructuredSS-Request\",\"result\":{\"ussd-DataCodingScheme\":\"0f\","
			 "\"ussd-String\":{\"text\":\"1\"}}}}]}", n_dlg, id);
	}
	net(r);
	CHECK(bus.asked && !strcmp(bus.subject, "ss7.event.map.unstructuredSS-Request.result"), "asked on %s",
	      bus.subject);
	EXPECT_BUS("-2\"", "\"event\":\"continue\"", "\"text\":\"1\"",
		   "\"answer\":{\"invokeId\":1,\"operation\":\"processUnstructuredSS-Request\"",
		   "\"context\":{\"menu\":\"main\",\"step\":1}");
	advance_ms(15);
	CHECK(bus.kv_puts == 2 && bus.kv_expect == 41 && strstr(bus.kv_value, "\"answer\":{\"token\":") &&
	      strstr(bus.kv_value, "\"n\":2"), "waiting for the application: written again, compare-and-set on 41: %s",
	      bus.kv_value);
	answer("{\"result\":{\"ussd-DataCodingScheme\":\"0f\",\"ussd-String\":{\"text\":\"Balance: 5 EUR\"}}}");
	EXPECT_NET("\"event\":\"end\"", "\"result\":{\"invokeId\":1,\"operation\":\"processUnstructuredSS-Request\"",
		   "Balance: 5 EUR");
	CHECK(bus.kv_deletes == 1 && !strcmp(bus.kv_deleted, bus.kv_key), "the written dialogue is deleted at its end (%s)",
	      bus.kv_deleted);
	nothing_left("USSD menu");

	/* the subscriber hangs up while the application thinks: its answer is stale */
	snprintf(n_dlg, sizeof(n_dlg), "%s", net(USSD_BEGIN));
	answer("{\"components\":[{\"invoke\":{\"operation\":\"unstructuredSS-Request\","
	       "\"argument\":{\"ussd-DataCodingScheme\":\"0f\",\"ussd-String\":{\"text\":\"1 Balance\"}}}}]}");
	advance_ms(15);
	gw_kv_ack(gw, bus.kv_token, -ESTALE, 0);
	CHECK(ctr(GW_CTR_KV_CONFLICT) == 1, "a failed compare-and-set is counted as a conflict");
	snprintf(r, sizeof(r), "{\"request\":\"u-abort\",\"dialog\":\"%s\"}", n_dlg);
	net(r);
	CHECK(!strcmp(bus.subject, "ss7.dialog.map.u-abort") && !bus.asked, "the abort is an event: %s", bus.subject);
	answer("{\"result\":null}");
	CHECK(ctr(GW_CTR_STALE_ANSWER) == 1, "an answer after the peer's abort is stale");
	nothing_left("USSD abort");
}

/* An invoke no application could answer either (an operation the tables do not know, an
 * argument that does not decode as its type) is rejected at once, per Q.773, with End; the
 * event still goes out, as an event rather than a request. */
static void invokes_rejected(void)
{
	unsigned int published = bus.published, requests = bus.requests;

	net("{\"request\":\"begin\",\"ac\":\"shortMsgGatewayContext-v3\","
	    "\"called\":{\"gt\":\"491700000006\",\"ssn\":6},\"calling\":{\"gt\":\"491700000100\",\"ssn\":8},"
	    "\"components\":[{\"invoke\":{\"invokeId\":3,\"operation\":\"sendRoutingInfoForSM\","
	    "\"argumentHex\":\"3003800101\"}}]}");
	CHECK(bus.published == published + 1 && bus.requests == requests && !bus.asked,
	      "a mistyped argument: published as an event, nobody asked");
	EXPECT_BUS("\"event\":\"begin\"", "\"_error\":\"RoutingInfoForSM-Arg");
	CHECK(!strstr(bus.json, "\"answer\""), "the event asks for no answer: %s", bus.json);
	EXPECT_NET("\"event\":\"end\"", "\"reject\":{\"invokeId\":3,\"problem\":\"invoke\","
		   "\"code\":\"mistypedParameter\"");
	CHECK(ctr(GW_CTR_INVOKE_REJECTED) == 1, "counted in invoke:rejected");
	nothing_left("mistyped argument");

	net("{\"request\":\"begin\",\"ac\":\"shortMsgGatewayContext-v3\","
	    "\"called\":{\"gt\":\"491700000006\",\"ssn\":6},\"calling\":{\"gt\":\"491700000100\",\"ssn\":8},"
	    "\"components\":[{\"invoke\":{\"invokeId\":4,\"opcode\":120,\"argumentHex\":\"0500\"}}]}");
	CHECK(!bus.asked, "an unknown operation: nobody asked");
	EXPECT_NET("\"event\":\"end\"", "\"reject\":{\"invokeId\":4,\"problem\":\"invoke\","
		   "\"code\":\"unrecognizedOperation\"");
	CHECK(ctr(GW_CTR_INVOKE_REJECTED) == 2, "counted in invoke:rejected");
	nothing_left("unknown operation");

	/* a well-formed invoke after a bad second one: asked as usual (only the first invoke
	 * waits for an answer) */
	net("{\"request\":\"begin\",\"ac\":\"shortMsgGatewayContext-v3\","
	    "\"called\":{\"gt\":\"491700000006\",\"ssn\":6},\"calling\":{\"gt\":\"491700000100\",\"ssn\":8},"
	    "\"components\":[{\"invoke\":{\"invokeId\":1,\"operation\":\"sendRoutingInfoForSM\",\"argument\":"
	    "{\"msisdn\":{\"digits\":\"491719876543\"},\"sm-RP-PRI\":true,"
	    "\"serviceCentreAddress\":{\"digits\":\"491700000100\"}}}},"
	    "{\"invoke\":{\"invokeId\":2,\"opcode\":120,\"argumentHex\":\"0500\"}}]}");
	CHECK(bus.asked && ctr(GW_CTR_INVOKE_REJECTED) == 2, "the first invoke decides: asked");
	answer("{\"result\":{\"imsi\":\"262019876543210\",\"locationInfoWithLMSI\":"
	       "{\"networkNode-Number\":{\"digits\":\"491700000300\"}}}}");
	EXPECT_NET("\"event\":\"end\"", "\"result\":{\"invokeId\":1");
	nothing_left("answered, with a second invoke");
}

static void defaults(void)
{
	uint64_t token;

	/* no answer in time: systemFailure */
	net(SRI_SM);
	token = bus.token;
	advance_ms(9000);
	CHECK(gw_waiting(gw) == 1, "still waiting after 9 s");
	advance_ms(1100);
	EXPECT_NET("\"event\":\"end\"", "\"error\":{\"invokeId\":1,\"error\":\"systemFailure\"");
	CHECK(ctr(GW_CTR_ANSWER_TIMEOUT) == 1, "timeout counted");
	nothing_left("timeout");
	/* the late answer finds nobody */
	gw_answer(gw, token, 0, "{\"result\":null}", 15);
	CHECK(ctr(GW_CTR_STALE_ANSWER) == 2, "a late answer is counted as stale");

	/* no responders: at once */
	net(SRI_SM);
	gw_answer(gw, bus.token, -EHOSTUNREACH, NULL, 0);
	deliver();
	EXPECT_NET("\"event\":\"end\"", "\"error\":{\"invokeId\":1,\"error\":\"systemFailure\"");
	CHECK(ctr(GW_CTR_NO_RESPONDERS) == 1, "no responders counted");
	nothing_left("no responders");

	/* the bus cannot take the request */
	bus.refuse = -ENOTCONN;
	net(SRI_SM);
	bus.refuse = 0;
	EXPECT_NET("\"event\":\"end\"", "\"error\":{\"invokeId\":1,\"error\":\"systemFailure\"");
	CHECK(ctr(GW_CTR_ANSWER_NOT_SENT) == 1, "refused by the bus: counted");
	nothing_left("bus refused");

	/* bad answers: each gets the default, none a crash */
	static const char *const bad[] = {
		"{\"result\":", "[1]", "{\"result\":{\"imsi\":\"12\"},\"error\":\"x\"}",
		"{\"error\":\"noSuchError\"}", "{\"result\":{\"imsi\":\"not digits\"}}",
		"{\"dialog\":\"abort\",\"result\":null}", "{\"dialog\":\"sideways\"}",
		"{\"components\":[{\"launch\":{}}]}", "{\"reject\":\"noSuchProblem\"}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		net(SRI_SM);
		dump_inputs = false;
		answer(bad[i]);
		dump_inputs = true;
		CHECK(strstr(N.last, "\"event\":\"end\"") && strstr(N.last, "systemFailure"),
		      "bad answer %s: default sent, N got %s", bad[i], N.last);
	}
	CHECK(ctr(GW_CTR_BAD_ANSWER) == sizeof(bad) / sizeof(bad[0]), "bad answers counted: %llu",
	      ctr(GW_CTR_BAD_ANSWER));
	nothing_left("bad answers");

	/* an abort as the answer */
	net(SRI_SM);
	answer("{\"dialog\":\"abort\"}");
	EXPECT_NET("\"event\":\"u-abort\"");
	nothing_left("abort answer");

}

static void overload(struct gw_cfg *cfg, void *ctx)
{
	struct gw *saved = gw;
	uint64_t first;

	cfg->max_waiting = 1;
	gw = gw_alloc(ctx, cfg, &(struct gw_stack){ .tc = G.tj, .tcap = G.tcap }, &bus_ops, NULL);
	net(SRI_SM);
	first = bus.token;
	net(SRI_SM);
	EXPECT_NET("\"event\":\"end\"", "\"error\":{\"invokeId\":1,\"error\":\"resourceLimitation\"");
	CHECK(ctr(GW_CTR_OVERLOAD) == 1 && gw_waiting(gw) == 1, "beyond max-waiting: the default at once");
	{
		const char *a = "{\"result\":{\"imsi\":\"262011234567890\",\"locationInfoWithLMSI\":"
				"{\"networkNode-Number\":{\"digits\":\"491700000008\"}}}}";
		gw_answer(gw, first, 0, a, strlen(a));
	}
	deliver();
	EXPECT_NET("\"event\":\"end\"", "\"imsi\":\"262011234567890\"");
	nothing_left("overload");
	gw_free(gw);
	gw = saved;
}

/* --- applications to the network ----------------------------------------------------------- */

#define SRI_REQ "{\"called\":{\"gt\":\"491719876543\",\"ssn\":6},\"argument\":{\"msisdn\":" \
	"{\"digits\":\"491719876543\"},\"sm-RP-PRI\":true,\"serviceCentreAddress\":{\"digits\":\"491700000100\"}}}"

static void app_requests(void)
{
	char n_dlg[16], r[1024];

	/* SRI-for-SM: the AC from the operation, the result as the reply */
	app("ss7.request.map.sendRoutingInfoForSM", SRI_REQ);
	EXPECT_NET("\"event\":\"begin\"", "\"ac\":\"shortMsgGatewayContext-v3\"", "\"operation\":\"sendRoutingInfoForSM\"");
	snprintf(n_dlg, sizeof(n_dlg), "%s", dlg_of(N.last));
	snprintf(r, sizeof(r), "{\"request\":\"end\",\"dialog\":\"%s\",\"components\":[{\"result\":{\"invokeId\":1,"
		 "\"operation\":\"sendRoutingInfoForSM\",\"result\":{\"imsi\":\"262011234567890\","
		 "\"locationInfoWithLMSI\":{\"networkNode-Number\":{\"digits\":\"491700000008\"}}}}}]}", n_dlg);
	net(r);
	CHECK(!strcmp(bus.reply_to, "_INBOX.app.1"), "replied to the requester");
	EXPECT_REPLY("\"outcome\":\"result\"", "\"event\":\"end\"", "\"imsi\":\"262011234567890\"");
	CHECK(!strcmp(bus.subject, "ss7.event.map.sendRoutingInfoForSM.result") && !bus.asked,
	      "and published as an event: %s", bus.subject);
	nothing_left("SRI-for-SM request");

	/* the peer refuses v3 and offers v2: the gateway begins again with v2 */
	app("ss7.request.map.sendRoutingInfoForSM", SRI_REQ);
	snprintf(n_dlg, sizeof(n_dlg), "%s", dlg_of(N.last));
	snprintf(r, sizeof(r), "{\"request\":\"u-abort\",\"dialog\":\"%s\",\"refuse\":{\"ac\":\"shortMsgGatewayContext-v2\"}}",
		 n_dlg);
	bus.replies = 0;
	net(r);
	EXPECT_NET("\"event\":\"begin\"", "\"ac\":\"shortMsgGatewayContext-v2\"");
	CHECK(bus.replies == 0 && ctr(GW_CTR_REQUEST_FALLBACK) == 1, "no reply yet, one fallback");
	snprintf(n_dlg, sizeof(n_dlg), "%s", dlg_of(N.last));
	snprintf(r, sizeof(r), "{\"request\":\"end\",\"dialog\":\"%s\",\"components\":[{\"error\":{\"invokeId\":1,"
		 "\"error\":\"unknownSubscriber\"}}]}", n_dlg);
	net(r);
	EXPECT_REPLY("\"outcome\":\"error\"", "\"error\":\"unknownSubscriber\"", "\"version\":2");
	nothing_left("AC fallback");

	/* LCS: provideSubscriberLocation opens locationSvcEnquiryContext-v3; an error
	 * parameter with its diagnostic comes back decoded */
	app("ss7.request.map.provideSubscriberLocation", "{\"called\":{\"gt\":\"491700000008\",\"ssn\":8},"
	    "\"argument\":{\"locationType\":{\"locationEstimateType\":\"currentLocation\"},"
	    "\"mlc-Number\":{\"digits\":\"491720000001\"},\"lcs-ClientID\":{\"lcsClientType\":\"emergencyServices\"},"
	    "\"imsi\":\"262011234567890\"}}");
	EXPECT_NET("\"event\":\"begin\"", "\"ac\":\"locationSvcEnquiryContext-v3\"",
		   "\"operation\":\"provideSubscriberLocation\"", "\"locationEstimateType\":\"currentLocation\"");
	snprintf(n_dlg, sizeof(n_dlg), "%s", dlg_of(N.last));
	snprintf(r, sizeof(r), "{\"request\":\"end\",\"dialog\":\"%s\",\"components\":[{\"error\":{\"invokeId\":1,"
		 "\"error\":\"positionMethodFailure\",\"parameter\":{\"positionMethodFailure-Diagnostic\":"
		 "\"qoSNotAttainable\"}}}]}", n_dlg);
	net(r);
	EXPECT_REPLY("\"outcome\":\"error\"", "\"error\":\"positionMethodFailure\"", "\"qoSNotAttainable\"");
	nothing_left("LCS request");

	/* MT-ForwardSM with more messages: the dialogue stays open between the requests */
	app("ss7.request.map.mt-ForwardSM", "{\"keepOpen\":true,\"called\":{\"gt\":\"491700000008\",\"ssn\":8},"
	    "\"argument\":{\"sm-RP-DA\":{\"imsi\":\"262011234567890\"},\"sm-RP-OA\":{\"serviceCentreAddressOA\":"
	    "{\"digits\":\"491700000100\"}},\"sm-RP-UI\":{\"type\":\"SMS-DELIVER\",\"mms\":true,\"oa\":{\"digits\":\"4917\"},"
	    "\"pid\":0,\"dcs\":{\"value\":0,\"alphabet\":\"gsm7\"},\"scts\":\"2026-11-25T12:00:00+01:00\",\"text\":\"part 1\"},"
	    "\"moreMessagesToSend\":null}}");
	EXPECT_NET("\"event\":\"begin\"", "\"ac\":\"shortMsgMT-RelayContext-v3\"", "part 1");
	snprintf(n_dlg, sizeof(n_dlg), "%s", dlg_of(N.last));
	snprintf(r, sizeof(r), "{\"request\":\"continue\",\"dialog\":\"%s\",\"components\":[{\"result\":{\"invokeId\":1}}]}",
		 n_dlg);
	net(r);
	EXPECT_REPLY("\"outcome\":\"result\"", "\"event\":\"continue\"");
	CHECK(gw_dialogues(gw) == 1, "the dialogue stays open");
	{
		char g_dlg[16], body[1024];
		snprintf(g_dlg, sizeof(g_dlg), "%s", dlg_of(bus.reply));
		snprintf(body, sizeof(body), "{\"dialog\":\"%s\",\"argument\":{\"sm-RP-DA\":{\"imsi\":\"262011234567890\"},"
			 "\"sm-RP-OA\":{\"serviceCentreAddressOA\":{\"digits\":\"491700000100\"}},\"sm-RP-UI\":"
			 "{\"type\":\"SMS-DELIVER\",\"oa\":{\"digits\":\"4917\"},\"pid\":0,\"dcs\":{\"value\":0,"
			 "\"alphabet\":\"gsm7\"},\"scts\":\"2026-11-25T12:00:00+01:00\",\"text\":\"part 2\"}}}", g_dlg);
		app("ss7.request.map.mt-ForwardSM", body);
	}
	EXPECT_NET("\"event\":\"continue\"", "\"invokeId\":2", "part 2");
	snprintf(r, sizeof(r), "{\"request\":\"end\",\"dialog\":\"%s\",\"components\":[{\"result\":{\"invokeId\":2}}]}", n_dlg);
	net(r);
	EXPECT_REPLY("\"outcome\":\"result\"", "\"event\":\"end\"");
	nothing_left("MT-FSM over a kept dialogue");

	/* without keepOpen, a continue from the peer is answered by our end */
	app("ss7.request.map.sendRoutingInfoForSM", SRI_REQ);
	snprintf(n_dlg, sizeof(n_dlg), "%s", dlg_of(N.last));
	snprintf(r, sizeof(r), "{\"request\":\"continue\",\"dialog\":\"%s\",\"components\":[{\"error\":{\"invokeId\":1,"
		 "\"error\":\"absentSubscriberSM\"}}]}", n_dlg);
	net(r);
	EXPECT_REPLY("\"outcome\":\"error\"");
	EXPECT_NET("\"event\":\"end\"");
	nothing_left("request without keepOpen");

	/* raw tc-json: the reply is ok with the dialogue; its events are published */
	app("ss7.request.tc", "{\"request\":\"begin\",\"ac\":\"shortMsgGatewayContext-v3\","
	    "\"called\":{\"gt\":\"491719876543\",\"ssn\":6},\"components\":[{\"invoke\":{\"operation\":\"sendRoutingInfoForSM\","
	    "\"argument\":{\"msisdn\":{\"digits\":\"491719876543\"},\"sm-RP-PRI\":true,"
	    "\"serviceCentreAddress\":{\"digits\":\"491700000100\"}}}}]}");
	EXPECT_REPLY("{\"reply\":\"ok\",\"dialog\":\"2");
	snprintf(n_dlg, sizeof(n_dlg), "%s", dlg_of(N.last));
	snprintf(r, sizeof(r), "{\"request\":\"end\",\"dialog\":\"%s\",\"components\":[{\"error\":{\"invokeId\":1,"
		 "\"error\":\"absentSubscriberSM\"}}]}", n_dlg);
	net(r);
	CHECK(!strcmp(bus.subject, "ss7.event.map.sendRoutingInfoForSM.error") && !bus.asked,
	      "the raw dialogue's end is an event: %s", bus.subject);
	nothing_left("raw tc-json");
}

static void refused_requests(void)
{
	static const struct { const char *subject, *json, *why; } bad[] = {
		{ "ss7.request.map.sendRoutingInfoForSM", "{\"called\":", "line 1" },
		{ "ss7.request.map.sendRoutingInfoForSM", "[]", "a request is a JSON object" },
		{ "ss7.request.map.launchRocket", SRI_REQ, "unknown MAP operation" },
		{ "ss7.request.map.sendRoutingInfoForSM", "{\"argument\":{}}", "needs a called address" },
		{ "ss7.request.map.sendRoutingInfoForSM",
		  "{\"called\":{\"gt\":\"49\",\"ssn\":6},\"argument\":{\"msisdn\":{\"digits\":\"4x\"}}}", "argument" },
		{ "ss7.request.map.sendRoutingInfoForSM", "{\"called\":{\"gt\":\"4x9\"}}", "gt has a character" },
		{ "ss7.request.map.sendRoutingInfoForSM", "{\"called\":{\"gt\":\"49\"},\"ac\":\"nope-v1\"}",
		  "unknown application context" },
		{ "ss7.request.map.sendRoutingInfoForSM", "{\"called\":{\"gt\":\"49\"},\"version\":7}", "has no version 7" },
		{ "ss7.request.map.sendRoutingInfoForSM", "{\"dialog\":\"2fffffff\"}", "no dialog 2fffffff" },
		{ "ss7.request.map.deleteSubscriberData", "{\"called\":{\"gt\":\"49\"}}",
		  "no application context known for deleteSubscriberData" },
		{ "ss7.request.tc", "{\"request\":\"continue\",\"dialog\":\"2fffffff\"}", "no dialog 2fffffff" },
		{ "ss7.request.sms.send", "{}", "unknown request subject" },
		{ "ss7.other", "{}", "not a request subject" },
	};
	unsigned int before = q_tail;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bus.reply[0] = '\0';
		dump_inputs = false;
		app(bad[i].subject, bad[i].json);
		dump_inputs = true;
		CHECK((strstr(bus.reply, "\"outcome\":\"refused\"") || strstr(bus.reply, "\"reply\":\"error\"")) &&
		      strstr(bus.reply, bad[i].why), "%s %s: refused for '%s', got %s", bad[i].subject, bad[i].json,
		      bad[i].why, bus.reply);
	}
	CHECK(q_tail == before, "nothing sent for refused requests");
	nothing_left("refused requests");
}

/* SIGTERM: gw_drain() takes no new dialogue; an open one still finishes */
static void drain(struct gw_cfg *cfg, void *ctx)
{
	struct gw *saved = gw;
	uint64_t first;
	const char *a = "{\"result\":{\"imsi\":\"262011234567890\",\"locationInfoWithLMSI\":"
			"{\"networkNode-Number\":{\"digits\":\"491700000008\"}}}}";

	gw = gw_alloc(ctx, cfg, &(struct gw_stack){ .tc = G.tj, .tcap = G.tcap }, &bus_ops, NULL);
	net(SRI_SM);
	first = bus.token;
	CHECK(gw_waiting(gw) == 1, "one dialogue waits before the drain");
	gw_drain(gw);
	bus.published = 0;
	net(SRI_SM);
	EXPECT_NET("\"event\":\"end\"", "\"error\":{\"invokeId\":1,\"error\":\"resourceLimitation\"");
	CHECK(ctr(GW_CTR_DRAIN_REFUSED) == 1 && bus.published == 0 && gw_waiting(gw) == 1,
	      "draining: a new begin gets the overload default, nothing published");
	app("ss7.request.map.sendRoutingInfoForSM", SRI_REQ);
	EXPECT_REPLY("\"outcome\":\"refused\"", "shutting down");
	app("ss7.request.tc", "{\"request\":\"begin\",\"ac\":\"shortMsgGatewayContext-v3\","
	    "\"called\":{\"gt\":\"491719876543\",\"ssn\":6},\"components\":[]}");
	EXPECT_REPLY("\"reply\":\"error\"", "shutting down");
	CHECK(ctr(GW_CTR_DRAIN_REFUSED) == 3, "and applications' begins are refused: %llu",
	      ctr(GW_CTR_DRAIN_REFUSED));
	gw_answer(gw, first, 0, a, strlen(a));
	deliver();
	EXPECT_NET("\"event\":\"end\"", "\"imsi\":\"262011234567890\"");
	nothing_left("drain");
	gw_free(gw);
	gw = saved;
}

static const struct log_info log_info = {};

int main(void)
{
	void *ctx = talloc_named_const(NULL, 0, "test_gw");
	struct tcap_cfg ncfg = { .instance_bits = 4, .instance_id = 1 }, gcfg = { .instance_bits = 4, .instance_id = 2 };
	struct sccp_addr own = { 0 };
	struct gw_cfg cfg;

	dump_dir = getenv("SS7GW_GW_DUMP");
	osmo_init_logging2(ctx, &log_info);
	log_set_log_level(osmo_stderr_target, LOGL_ERROR);
	osmo_clock_override_enable(CLOCK_MONOTONIC, true);
	osmo_gettimeofday_override = true;
	ss7_codec_init();
	N.tcap = tcap_ctx_alloc(ctx, &ncfg, &tcap_ops, &N);
	N.tj = tc_json_alloc(ctx, N.tcap, &n_ops, &N);
	G.tcap = tcap_ctx_alloc(ctx, &gcfg, &tcap_ops, &G);
	G.tj = tc_json_alloc(ctx, G.tcap, &g_ops, &G);
	N.peer = &G;
	G.peer = &N;
	/* G's own address for the dialogues it begins, as ss7gw run sets it from its sccp-node
	 * (without one the peer answers to an empty calling address) */
	sccp_addr_set_gt(&own, SCCP_GTI_TT_NP_ES_NAI, 0, 1, 4, "491700000010");
	own.present |= SCCP_ADDR_SSN;
	own.ssn = 8;
	tc_json_set_calling(G.tj, &own);
	gw_cfg_defaults(&cfg);
	gw = gw_alloc(ctx, &cfg, &(struct gw_stack){ .tc = G.tj, .tcap = G.tcap }, &bus_ops, NULL);

	mo_sms_answered();
	ussd_menu();
	invokes_rejected();
	defaults();
	overload(&cfg, ctx);
	app_requests();
	refused_requests();
	drain(&cfg, ctx);

	gw_free(gw);
	talloc_free(ctx);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
