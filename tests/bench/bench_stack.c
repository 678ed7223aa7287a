/*
 * The gateway's stack without the network: two SCCP nodes and two TCAP entities in one
 * process, MTP replaced by a queue, playing SRI-for-SM dialogues (Begin with AARQ and the
 * invoke, End with AARE and the result) routed on global titles. Three ways in the same
 * run, so each is the baseline of the next:
 *   codec   the two SCCP+TCAP messages of a dialogue parsed once each (tcap_msg, sccp_msg)
 *   tc      both sides drive TC primitives directly (parameters as ready TLVs)
 *   json    both sides speak the JSON TC-user (docs/tc-json.md): the MAP codec decodes and
 *           encodes every parameter, as the NATS service will
 * Prints dialogues/s and CPU microseconds per dialogue (both sides together); at most
 * `dialogues` per mode (a quarter of them in json mode),
 * `inflight` at a time. Usage: bench_stack [dialogues] [inflight]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>

#include "ss7gw/codec.h"
#include "sccp_node.h"
#include "tcap.h"
#include "tcap_msg.h"
#include "tc_json.h"

enum { PC_A = 1, PC_B = 2, QMAX = 1 << 16 };

struct side {
	const char *name;
	struct sccp_node *sccp;
	struct tcap_ctx *tcap;
	struct tc_json *tj;
	struct side *peer;
	uint32_t pc;
};

static struct side A = { .name = "A", .pc = PC_A }, B = { .name = "B", .pc = PC_B };

/* MTP: a ring of messages; delivered by the loop, never recursively */
static struct { struct side *to; uint32_t opc; uint8_t sls; uint16_t len; uint8_t data[300]; } *ring;
static unsigned int r_head, r_tail;
static unsigned long done_dialogues, failures;
static int json_mode;

static int mtp_req(void *priv, uint32_t dpc, uint8_t sls, const uint8_t *data, size_t len)
{
	struct side *s = priv;

	if (r_tail - r_head == QMAX || len > sizeof(ring[0].data))
		return -ENOBUFS;
	ring[r_tail % QMAX].to = s->peer;
	ring[r_tail % QMAX].opc = s->pc;
	ring[r_tail % QMAX].sls = sls;
	ring[r_tail % QMAX].len = (uint16_t)len;
	memcpy(ring[r_tail % QMAX].data, data, len);
	r_tail++;
	return 0;
}

static void pump(void)
{
	while (r_head != r_tail) {
		unsigned int i = r_head++ % QMAX;
		sccp_node_mtp_transfer_ind(ring[i].to->sccp, ring[i].opc, ring[i].to->pc, ring[i].sls,
					   ring[i].data, ring[i].len);
	}
}

static void unitdata_ind(void *priv, uint8_t ssn, const struct sccp_msg *msg)
{
	struct side *s = priv;

	tcap_n_unitdata_ind(s->tcap, &msg->called, &msg->calling, msg->data, msg->data_len);
}

static const struct sccp_node_ops sccp_ops = { .mtp_transfer_req = mtp_req, .n_unitdata_ind = unitdata_ind };

static int tcap_req(void *priv, const struct sccp_addr *called, const struct sccp_addr *calling,
		    const uint8_t *data, size_t len, uint8_t pclass, bool roe, uint32_t seq)
{
	struct side *s = priv;
	struct sccp_unitdata_req r = { .called = *called, .calling = *calling, .data = data, .data_len = len,
				       .proto_class = pclass, .return_option = roe, .seq_ctrl = seq };

	return sccp_node_n_unitdata_req(s->sccp, &r);
}

/* SRI-for-SM argument and result TLVs (from tests/golden/map/sms_sri_sm_v3_*) */
static uint8_t arg[64], res[64], acn[16];
static size_t arg_len, res_len, acn_len;
static struct sccp_addr gt_a, gt_b;

static void tc_ind(void *priv, const struct tc_ind *ind)
{
	struct side *s = priv;
	struct tcap_code op = { .present = true, .local = 45 };
	struct tc_dlg_req end = { .proto_class = 1 };

	if (json_mode) {
		tc_json_tc_ind(s->tj, ind);
		return;
	}
	if (s == &B && ind->prim == TC_BEGIN) {
		end.acn = ind->acn;
		if (tc_result_req(s->tcap, ind->dialogue_id, 1, true, &op, (struct tcap_buf){ res, (uint32_t)res_len }) ||
		    tc_end_req(s->tcap, ind->dialogue_id, &end))
			failures++;
	} else if (s == &A && ind->prim == TC_END && ind->ncomps == 1 && ind->comps[0].prim == TC_RESULT_L) {
		done_dialogues++;
	} else {
		failures++;
	}
}

static const struct tcap_ops tcap_ops = { .n_unitdata_req = tcap_req, .tc_ind = tc_ind };

/* The JSON mode's two users: A counts ends; B answers every begin with the result */
static const char sri_begin[] =
	"{\"request\":\"begin\",\"ac\":\"shortMsgGatewayContext-v3\",\"called\":{\"gt\":\"491700000006\",\"ssn\":6},"
	"\"components\":[{\"invoke\":{\"invokeId\":1,\"operation\":\"sendRoutingInfoForSM\",\"argument\":"
	"{\"msisdn\":{\"nature\":\"international\",\"plan\":\"isdn\",\"digits\":\"491719876543\"},\"sm-RP-PRI\":true,"
	"\"serviceCentreAddress\":{\"nature\":\"international\",\"plan\":\"isdn\",\"digits\":\"491700000100\"}}}}]}";

static void json_event(void *priv, const char *json, size_t len)
{
	struct side *s = priv;
	char req[512], dialog[16], err[200];
	const char *d;
	int n;

	if (s == &A) {
		if (!strncmp(json, "{\"event\":\"end\"", 14) && strstr(json, "\"imsi\":\"262011234567890\""))
			done_dialogues++;
		else
			failures++;
		return;
	}
	d = strstr(json, "\"dialog\":\"");
	if (strncmp(json, "{\"event\":\"begin\"", 16) || !d) {
		failures++;
		return;
	}
	n = snprintf(req, sizeof(req), "{\"request\":\"end\",\"dialog\":\"%.8s\",\"components\":[{\"result\":"
		     "{\"invokeId\":1,\"operation\":\"sendRoutingInfoForSM\",\"result\":{\"imsi\":\"262011234567890\","
		     "\"locationInfoWithLMSI\":{\"networkNode-Number\":{\"nature\":\"international\",\"plan\":\"isdn\","
		     "\"digits\":\"491700000200\"}}}}}]}", d + 10);
	if (tc_json_request(s->tj, req, (size_t)n, dialog, err, sizeof(err)))
		failures++;
}

static const struct tc_json_ops tj_ops = { .event = json_event };

static void setup(struct side *s, const char *own_gt, uint8_t ssn, const char *peer_prefix, uint32_t peer_pc,
		  unsigned int instance)
{
	struct sccp_node_cfg *cfg = sccp_node_cfg_alloc(NULL);
	struct tcap_cfg tcfg = { .instance_bits = 4, .instance_id = (uint8_t)instance };
	struct sccp_gtt_rule rule;

	cfg->pc = s->pc;
	sccp_addr_set_gt(&cfg->gt[0].gt, SCCP_GTI_TT_NP_ES_NAI, 0, 1, 4, own_gt);
	cfg->gt[0].ssn = ssn;
	cfg->num_gt = 1;
	cfg->ssn[0] = ssn;
	cfg->num_ssn = 1;
	sccp_gtt_rule_init(&rule, 1, peer_prefix, peer_pc);
	sccp_gtt_rule_set(cfg, &rule);
	s->sccp = sccp_node_alloc(NULL, cfg, &sccp_ops, s);
	s->tcap = tcap_ctx_alloc(NULL, &tcfg, &tcap_ops, s);
	s->tj = tc_json_alloc(NULL, s->tcap, &tj_ops, s);
	talloc_free(cfg);
}

static double cpu_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static double wall_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static int begin_one(void)
{
	if (json_mode) {
		char dialog[16], err[200];
		return tc_json_request(A.tj, sri_begin, sizeof(sri_begin) - 1, dialog, err, sizeof(err));
	}
	struct tc_invoke_req inv = { .invoke_id = 1, .op = { .present = true, .local = 45 },
				     .param = { arg, (uint32_t)arg_len }, .op_class = TC_CLASS_1 };
	struct tc_dlg_req begin = { .called = &gt_b, .calling = &gt_a, .acn = { acn, (uint32_t)acn_len },
				    .proto_class = 1 };
	uint32_t id;
	int8_t iid;

	if (tcap_dlg_new(A.tcap, &id) || tc_invoke_req(A.tcap, id, &inv, &iid))
		return -1;
	return tc_begin_req(A.tcap, id, &begin);
}

/* Run `total` dialogues with at most `inflight` open; prints one line. */
static void run(const char *mode, unsigned long total, unsigned int inflight)
{
	unsigned long started = 0;
	double c0 = cpu_s(), w0 = wall_s(), secs, cpu;

	done_dialogues = failures = 0;
	while (done_dialogues + failures < total) {
		while (started < total && started - done_dialogues - failures < inflight) {
			if (begin_one())
				failures++;
			started++;
		}
		pump();
	}
	secs = wall_s() - w0;
	cpu = cpu_s() - c0;
	printf("%-6s %lu dialogues (%lu failed) in %.3f s: %.0f dialogues/s, %.2f us CPU per dialogue "
	       "(both sides; Begin + End)\n", mode, done_dialogues, failures, secs,
	       done_dialogues / secs, cpu * 1e6 / (double)total);
}

/* The floor: the four messages of one dialogue parsed once each by the SCCP and TCAP codecs. */
static void codec_floor(unsigned long total)
{
	uint8_t msgs[4][300];
	size_t lens[4] = { 0 };
	unsigned int n = 0, i;
	unsigned long k;
	double c0, cpu;

	/* capture one dialogue's messages from the ring */
	json_mode = 0;
	begin_one();
	while (r_head != r_tail && n < 4) {
		unsigned int j = r_head++ % QMAX;
		memcpy(msgs[n], ring[j].data, ring[j].len);
		lens[n++] = ring[j].len;
		/* deliver this one only: its answer is queued behind it */
		sccp_node_mtp_transfer_ind(ring[j].to->sccp, ring[j].opc, ring[j].to->pc, ring[j].sls,
					   ring[j].data, ring[j].len);
	}
	pump();
	done_dialogues = failures = 0;
	c0 = cpu_s();
	for (k = 0; k < total; k++) {
		for (i = 0; i < n; i++) {
			struct sccp_msg sm;
			struct tcap_msg tm;
			struct tcap_comp_iter it;
			struct tcap_comp c;
			if (sccp_msg_decode(&sm, msgs[i], lens[i]) == 0 && tcap_msg_parse(&tm, sm.data, sm.data_len) == 0) {
				tcap_comp_iter_init(&it, &tm);
				while (tcap_comp_next(&it, &c) > 0)
					;
			}
		}
	}
	cpu = cpu_s() - c0;
	printf("codec  %lu x %u messages parsed (SCCP + TCAP + components): %.2f us CPU per dialogue\n",
	       total, n, cpu * 1e6 / (double)total);
}

static const struct log_info log_info = {};

int main(int argc, char **argv)
{
	unsigned long total = argc > 1 ? strtoul(argv[1], NULL, 10) : 200000;
	unsigned int inflight = argc > 2 ? (unsigned int)strtoul(argv[2], NULL, 10) : 100;
	struct ss7_codec_ac ac;

	osmo_init_logging2(NULL, &log_info);
	log_set_log_level(osmo_stderr_target, LOGL_ERROR);
	ss7_codec_init();
	ring = calloc(QMAX, sizeof(*ring));
	arg_len = (size_t)osmo_hexparse("30158007919471917856348101ff820791947100001000", arg, sizeof(arg));
	res_len = (size_t)osmo_hexparse("3015040862021132547698f0a009810791947100002000", res, sizeof(res));
	if (ss7_codec_ac_by_name("shortMsgGatewayContext-v3", 0, &ac))
		return 1;
	memcpy(acn, ac.oid, ac.oid_len);
	acn_len = ac.oid_len;
	sccp_addr_set_gt(&gt_a, SCCP_GTI_TT_NP_ES_NAI, 0, 1, 4, "491700000001");
	gt_a.present |= SCCP_ADDR_SSN;
	gt_a.ssn = 8;
	sccp_addr_set_gt(&gt_b, SCCP_GTI_TT_NP_ES_NAI, 0, 1, 4, "491700000006");
	gt_b.present |= SCCP_ADDR_SSN;
	gt_b.ssn = 6;
	setup(&A, "491700000001", 8, "491700000006", PC_B, 1);
	setup(&B, "491700000006", 6, "491700000001", PC_A, 2);
	tc_json_set_calling(A.tj, &gt_a);
	A.peer = &B;
	B.peer = &A;

	codec_floor(total);
	json_mode = 0;
	run("tc", total, inflight);
	json_mode = 1;
	run("json", total / 4 ? total / 4 : 1, inflight);
	return failures ? 1 : 0;
}
