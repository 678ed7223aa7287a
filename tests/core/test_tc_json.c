/*
 * The JSON TC-user (src/core/tc_json.c) on two real TCAP entities wired back to back
 * through a queue in place of SCCP: requests in, events out, as data. Covers a MAP
 * dialogue with decoded parameters both ways, an AC refusal with the offered context, a
 * user reject, results without a parameter named from the invoke we sent, a raw parameter
 * the codec cannot read, and requests refused with a clear reason and nothing sent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>

#include "ss7gw/codec.h"
#include "jv.h"
#include "sccp_msg.h"
#include "tcap.h"
#include "tc_json.h"

static int passed, failed;

#define CHECK(cond, ...) do { \
	if (cond) { passed++; } else { failed++; printf("FAIL %s:%d: ", __FILE__, __LINE__); \
		printf(__VA_ARGS__); printf("\n"); } } while (0)

/* --- two sides and a queue between them ------------------------------------------- */

struct side {
	const char *name;
	struct tcap_ctx *tcap;
	struct tc_json *tj;
	struct side *peer;
	char last[8192];		/* the last event */
	unsigned int events;
};

struct queued {
	struct side *to;
	struct sccp_addr called, calling;
	uint8_t data[4096];
	size_t len;
};

static struct queued queue[16];
static unsigned int q_head, q_tail, sent;

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
	sent++;
	return 0;
}

static void tc_ind(void *priv, const struct tc_ind *ind)
{
	struct side *s = priv;

	tc_json_tc_ind(s->tj, ind);
}

static void event(void *priv, const char *json, size_t len)
{
	struct side *s = priv;

	snprintf(s->last, sizeof(s->last), "%.*s", (int)len, json);
	s->events++;
}

static const struct tcap_ops tcap_ops = { .n_unitdata_req = n_unitdata_req, .tc_ind = tc_ind };
static const struct tc_json_ops tj_ops = { .event = event };

static void deliver(void)
{
	while (q_head != q_tail) {
		struct queued *q = &queue[q_head++ % 16];
		tcap_n_unitdata_ind(q->to->tcap, &q->called, &q->calling, q->data, q->len);
	}
}

static struct side A = { .name = "A" }, B = { .name = "B" };

static void setup(void *ctx, struct side *s, unsigned int instance)
{
	struct tcap_cfg cfg = { .instance_bits = 4, .instance_id = (uint8_t)instance };

	s->tcap = tcap_ctx_alloc(ctx, &cfg, &tcap_ops, s);
	s->tj = tc_json_alloc(ctx, s->tcap, &tj_ops, s);
}

/* Send a request from s; returns the dialog id (or "" for others); checks ok/refused. */
static const char *req(struct side *s, const char *json, bool ok, const char *why)
{
	static char dialog[16];
	char err[256] = "";
	unsigned int before = sent;
	int rc;

	dialog[0] = '\0';
	rc = tc_json_request(s->tj, json, strlen(json), dialog, err, sizeof(err));
	if (ok)
		CHECK(rc == 0, "%s request refused: %s\n  %s", s->name, err, json);
	else
		CHECK(rc == -1 && strstr(err, why) && sent == before, "%s expected refusal '%s', got rc=%d '%s'",
		      s->name, why, rc, err);
	deliver();
	return dialog;
}

/* The last event of s contains every fragment (a NULL-terminated list). */
static void expect(struct side *s, const char *const *frags)
{
	for (; *frags; frags++)
		CHECK(strstr(s->last, *frags), "%s event lacks %s:\n  %s", s->name, *frags, s->last);
}

#define EXPECT(s, ...) expect(s, (const char *const[]){ __VA_ARGS__, NULL })

/* --- cases ---------------------------------------------------------------------------- */

static void sri_for_sm(void)
{
	char a_dlg[16], b_dlg[16], r[1024];

	snprintf(a_dlg, sizeof(a_dlg), "%s", req(&A,
		"{\"request\":\"begin\",\"ac\":\"shortMsgGatewayContext-v3\","
		"\"called\":{\"gt\":\"491700000006\",\"ssn\":6},\"calling\":{\"gt\":\"491700000001\",\"ssn\":8},"
		"\"components\":[{\"invoke\":{\"operation\":\"sendRoutingInfoForSM\",\"argument\":"
		"{\"msisdn\":{\"digits\":\"491719876543\"},\"sm-RP-PRI\":true,"
		"\"serviceCentreAddress\":{\"digits\":\"491700000100\"}}}}]}", true, NULL));
	CHECK(strlen(a_dlg) == 8 && a_dlg[0] == '1', "A's dialog id names instance 1: %s", a_dlg);
	EXPECT(&B, "\"event\":\"begin\"", "\"proto\":\"map\",\"version\":3", "\"ac\":\"shortMsgGatewayContext-v3\"",
	       "\"called\":{\"ri\":\"gt\",\"gt\":\"491700000006\",\"tt\":0,\"np\":1,\"nai\":4,\"ssn\":6}",
	       "\"invoke\":{\"invokeId\":1,\"operation\":\"sendRoutingInfoForSM\",\"opcode\":45,\"argument\":"
	       "{\"msisdn\":{\"nature\":\"unknown\",\"plan\":\"isdn\",\"digits\":\"491719876543\"}");
	snprintf(b_dlg, sizeof(b_dlg), "%.8s", strstr(B.last, "\"dialog\":\"") + 10);
	CHECK(b_dlg[0] == '2', "B's dialog id names instance 2: %s", b_dlg);

	snprintf(r, sizeof(r), "{\"request\":\"end\",\"dialog\":\"%s\",\"components\":[{\"result\":{\"invokeId\":1,"
		 "\"operation\":\"sendRoutingInfoForSM\",\"result\":{\"imsi\":\"262011234567890\","
		 "\"locationInfoWithLMSI\":{\"networkNode-Number\":{\"digits\":\"491700000008\"}}}}}]}", b_dlg);
	req(&B, r, true, NULL);
	EXPECT(&A, "\"event\":\"end\"", "\"ac\":\"shortMsgGatewayContext-v3\"", "\"imsi\":\"262011234567890\"",
	       "\"last\":true");
	CHECK(tc_json_dialogues(A.tj) == 0 && tc_json_dialogues(B.tj) == 0, "both sides forgot the dialogue");
	CHECK(tcap_ctx_dialogues(A.tcap) == 0 && tcap_ctx_dialogues(B.tcap) == 0, "and so did TCAP");
}

static void refusal_and_reject(void)
{
	char b_dlg[16], r[512];

	req(&A, "{\"request\":\"begin\",\"ac\":\"roamingNumberEnquiryContext-v3\",\"called\":{\"gt\":\"491700000007\",\"ssn\":7},"
		"\"components\":[{\"invoke\":{\"operation\":\"provideRoamingNumber\",\"argument\":{\"imsi\":\"262011234567890\","
		"\"msc-Number\":{\"digits\":\"491700000008\"}}}}]}", true, NULL);
	snprintf(b_dlg, sizeof(b_dlg), "%.8s", strstr(B.last, "\"dialog\":\"") + 10);
	snprintf(r, sizeof(r), "{\"request\":\"u-abort\",\"dialog\":\"%s\",\"refuse\":{\"ac\":\"roamingNumberEnquiryContext-v2\"}}",
		 b_dlg);
	req(&B, r, true, NULL);
	EXPECT(&A, "\"event\":\"u-abort\"", "\"reason\":\"ac-not-supported\"",
	       "\"acOffered\":\"roamingNumberEnquiryContext-v2\"");

	/* a parameter the codec cannot read arrives as hex with the reason; the user rejects it */
	req(&A, "{\"request\":\"begin\",\"ac\":\"infoRetrievalContext-v3\",\"called\":{\"gt\":\"491700000006\",\"ssn\":6},"
		"\"components\":[{\"invoke\":{\"invokeId\":5,\"operation\":\"sendAuthenticationInfo\",\"argumentHex\":\"0401ff\"}}]}",
	    true, NULL);
	EXPECT(&B, "\"argumentHex\":\"0401ff\"", "\"_error\":\"");
	snprintf(b_dlg, sizeof(b_dlg), "%.8s", strstr(B.last, "\"dialog\":\"") + 10);
	snprintf(r, sizeof(r), "{\"request\":\"end\",\"dialog\":\"%s\",\"components\":[{\"reject\":{\"invokeId\":5,"
		 "\"problem\":\"invoke\",\"code\":\"mistypedParameter\"}}]}", b_dlg);
	req(&B, r, true, NULL);
	EXPECT(&A, "\"event\":\"end\"", "\"reject\":{\"invokeId\":5,\"problem\":\"invoke\",\"code\":\"mistypedParameter\"");
}

static void result_names_its_operation(void)
{
	char b_dlg[16], r[512];

	/* mt-ForwardSM's result may be empty: the event still names the operation */
	req(&A, "{\"request\":\"begin\",\"ac\":\"shortMsgMT-RelayContext-v3\",\"called\":{\"gt\":\"491700000008\",\"ssn\":8},"
		"\"components\":[{\"invoke\":{\"invokeId\":3,\"operation\":\"mt-ForwardSM\",\"argument\":{\"sm-RP-DA\":"
		"{\"imsi\":\"262011234567890\"},\"sm-RP-OA\":{\"serviceCentreAddressOA\":{\"digits\":\"491700000100\"}},"
		"\"sm-RP-UI\":{\"type\":\"SMS-DELIVER\",\"oa\":{\"digits\":\"4917\"},\"pid\":0,"
		"\"dcs\":{\"value\":0,\"alphabet\":\"gsm7\"},\"scts\":\"2026-11-25T12:00:00+01:00\",\"text\":\"hi\"}}}}]}",
	    true, NULL);
	snprintf(b_dlg, sizeof(b_dlg), "%.8s", strstr(B.last, "\"dialog\":\"") + 10);
	snprintf(r, sizeof(r), "{\"request\":\"end\",\"dialog\":\"%s\",\"components\":[{\"result\":{\"invokeId\":3}}]}", b_dlg);
	req(&B, r, true, NULL);
	EXPECT(&A, "\"result\":{\"invokeId\":3,\"operation\":\"mt-ForwardSM\",\"opcode\":44,\"last\":true}");
}

static void refused_requests(void)
{
	static const struct { const char *json, *why; } bad[] = {
		{ "{\"request\":", "line 1" },
		{ "[1,2]", "a request is" },
		{ "{\"request\":\"launch\"}", "unknown request \"launch\"" },
		{ "{\"request\":\"begin\",\"ac\":\"noSuchContext-v1\",\"called\":{\"ssn\":6,\"pc\":1}}", "unknown application context" },
		{ "{\"request\":\"begin\",\"components\":[]}", "needs a called address" },
		{ "{\"request\":\"begin\",\"called\":{\"gt\":\"12x4\"}}", "gt has a character" },
		{ "{\"request\":\"begin\",\"called\":{\"ri\":\"ssn\",\"gt\":\"1234\"}}", "routing on ssn needs an ssn" },
		{ "{\"request\":\"begin\",\"called\":{\"ssn\":6,\"pc\":99999}}", "pc must be" },
		{ "{\"request\":\"begin\",\"called\":{\"ssn\":6,\"pc\":1},\"components\":[{\"invoke\":{\"operation\":\"noSuchOp\"}}]}",
		  "unknown map operation \"noSuchOp\"" },
		{ "{\"request\":\"begin\",\"ac\":\"shortMsgGatewayContext-v3\",\"called\":{\"ssn\":6,\"pc\":1},\"components\":"
		  "[{\"invoke\":{\"operation\":\"sendRoutingInfoForSM\",\"argument\":{\"msisdn\":{\"digits\":\"49x\"}}}}]}",
		  "component 0: argument" },
		{ "{\"request\":\"begin\",\"called\":{\"ssn\":6,\"pc\":1},\"components\":[{\"invoke\":{\"opcode\":45,\"class\":9}}]}",
		  "class must be" },
		{ "{\"request\":\"begin\",\"called\":{\"ssn\":6,\"pc\":1},\"components\":[{\"result\":{\"operation\":\"sendRoutingInfoForSM\"}}]}",
		  "needs the invokeId it answers" },
		{ "{\"request\":\"begin\",\"called\":{\"ssn\":6,\"pc\":1},\"components\":[{\"invoke\":{\"opcode\":45,\"argumentHex\":\"zz\"}}]}",
		  "argumentHex is not hex" },
		/* a parameter is one whole TLV: X.690 is not broken on the way out (issue 9) */
		{ "{\"request\":\"begin\",\"called\":{\"ssn\":6,\"pc\":1},\"components\":[{\"invoke\":{\"opcode\":45,\"argumentHex\":\"ff\"}}]}",
		  "argumentHex is not one whole TLV" },
		{ "{\"request\":\"continue\",\"dialog\":\"1fffffff\"}", "no dialog 1fffffff" },
		{ "{\"request\":\"end\"}", "needs the dialog id" },
		{ "{\"request\":\"begin\",\"called\":{\"ssn\":6,\"pc\":1},\"components\":[{\"bogus\":{}}]}", "unknown component kind" },
	};
	size_t i;
	unsigned int before = tcap_ctx_dialogues(A.tcap);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		req(&A, bad[i].json, false, bad[i].why);
	CHECK(tcap_ctx_dialogues(A.tcap) == before && tc_json_dialogues(A.tj) == 0,
	      "refused requests leave no dialogue behind (%u)", tcap_ctx_dialogues(A.tcap));
}

static const struct log_info log_info = {};

int main(void)
{
	void *ctx = talloc_named_const(NULL, 0, "test_tc_json");

	osmo_init_logging2(ctx, &log_info);
	log_set_log_level(osmo_stderr_target, LOGL_ERROR);
	ss7_codec_init();
	setup(ctx, &A, 1);
	setup(ctx, &B, 2);
	A.peer = &B;
	B.peer = &A;

	sri_for_sm();
	refusal_and_reject();
	result_names_its_operation();
	refused_requests();

	tc_json_free(A.tj);
	tc_json_free(B.tj);
	tcap_ctx_free(A.tcap);
	tcap_ctx_free(B.tcap);
	printf("%d passed, %d failed\n", passed, failed);
	talloc_free(ctx);
	return failed != 0;
}
