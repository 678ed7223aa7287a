/*
 * Tests of the TCAP transaction and component sublayers: two TCAP entities back
 * to back through a fake SCCP (a queue), fake time for the timers. Each test
 * drives TC requests and checks the TC indications each side gets, as text.
 *
 *   test_tcap           run the tests ("N passed, N failed")
 *   test_tcap --emit    print every message the entities sent, one
 *                       "HEX ssn=6,8" line each, for tests/tcap/tshark_tcap.py
 */
#include <errno.h>
#include <unistd.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/rate_ctr.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/timer_compat.h>
#include <osmocom/vty/vty.h>

#include "tcap.h"
#include "tcap_test_util.h"

/* --- the fake network: a queue of messages between entity 0 (A) and 1 (B) --- */

struct wire_msg {
	int from;
	struct sccp_addr called, calling;
	uint8_t data[512];
	size_t len;
};

static struct wire_msg queue[64];
static unsigned int q_head, q_tail;
static struct tcap_ctx *ent[2];
static char ind_log[2][64][1024];	/* indications each side got since the last check */
static unsigned int ind_n[2];
static unsigned int sent_total;
static FILE *emit_f;
static int foreign_calls, foreign_instance;
static uint32_t last_did[2];		/* dialogue id of the last indication per side */
static int8_t last_invoke_id[2];

static int side_of(void *priv)
{
	return (int)(intptr_t)priv;
}

static int n_unitdata_req(void *priv, const struct sccp_addr *called, const struct sccp_addr *calling,
			  const uint8_t *data, size_t len, uint8_t pclass, bool roe, uint32_t seq)
{
	struct wire_msg *w = &queue[q_tail++ % ARRAY_SIZE(queue)];

	OSMO_ASSERT(len <= sizeof(w->data));
	w->from = side_of(priv);
	w->called = *called;
	w->calling = *calling;
	memcpy(w->data, data, len);
	w->len = len;
	sent_total++;
	if (emit_f)
		fprintf(emit_f, "%s\n", hexs(data, len));
	return 0;
}

static void tc_ind(void *priv, const struct tc_ind *ind)
{
	int s = side_of(priv);
	char *buf = ind_log[s][ind_n[s] % 64];
	struct osmo_strbuf sb = { .buf = buf, .len = 1024, .pos = buf };

	buf[0] = 0;
	OSMO_STRBUF_PRINTF(sb, "%s", get_value_string(tc_dlg_prim_names, ind->prim));
	if (ind->acn.len)
		OSMO_STRBUF_PRINTF(sb, " acn=%s", hexs(ind->acn.data, ind->acn.len));
	if (ind->user_info.len)
		OSMO_STRBUF_PRINTF(sb, " ui=%u", ind->user_info.len);
	if (ind->prim == TC_U_ABORT)
		OSMO_STRBUF_PRINTF(sb, " reason=%d", ind->abort_reason);
	if (ind->prim == TC_P_ABORT)
		OSMO_STRBUF_PRINTF(sb, " cause=%d", ind->p_abort_cause);
	if (ind->prim == TC_NOTICE)
		OSMO_STRBUF_PRINTF(sb, " report=%u", ind->report_cause);
	for (unsigned int i = 0; i < ind->ncomps; i++) {
		const struct tc_comp_ind *c = &ind->comps[i];
		OSMO_STRBUF_PRINTF(sb, " | %s", get_value_string(tc_comp_prim_names, c->prim));
		if (c->invoke_id_present)
			OSMO_STRBUF_PRINTF(sb, " id=%d", c->invoke_id);
		if (c->linked_id_present)
			OSMO_STRBUF_PRINTF(sb, " linked=%d", c->linked_id);
		if (c->op.present)
			OSMO_STRBUF_PRINTF(sb, " op=%d", c->op.local);
		if (c->err.present)
			OSMO_STRBUF_PRINTF(sb, " err=%d", c->err.local);
		if (c->param.len)
			OSMO_STRBUF_PRINTF(sb, " param=%u", c->param.len);
		if (c->prim == TC_L_REJECT || c->prim == TC_R_REJECT || c->prim == TC_U_REJECT)
			OSMO_STRBUF_PRINTF(sb, " problem=%u:%u", c->problem_type, c->problem);
		if (c->prim == TC_INVOKE)
			last_invoke_id[s] = c->invoke_id;
	}
	ind_n[s]++;
	last_did[s] = ind->dialogue_id;
}

static void foreign_tid(void *priv, uint32_t dtid, unsigned int instance, const struct sccp_addr *called,
			const struct sccp_addr *calling, const uint8_t *data, size_t len)
{
	foreign_calls++;
	foreign_instance = instance;
}

static const struct tcap_ops ops = {
	.n_unitdata_req = n_unitdata_req,
	.tc_ind = tc_ind,
	.foreign_tid = foreign_tid,
};

/* Deliver queued messages until the network is quiet; returns how many. drop: lose them. */
static unsigned int pump_ex(bool drop)
{
	unsigned int n = 0;

	while (q_head != q_tail) {
		struct wire_msg w = queue[q_head++ % ARRAY_SIZE(queue)];
		if (!drop)
			tcap_n_unitdata_ind(ent[!w.from], &w.called, &w.calling, w.data, w.len);
		n++;
	}
	return n;
}

static unsigned int pump(void)
{
	return pump_ex(false);
}

/* Inject raw bytes into one side, as if from the other */
static struct sccp_addr addr[2];
static void inject(int to, const char *hex)
{
	uint8_t buf[512];
	size_t n = unhex(buf, sizeof(buf), hex);

	tcap_n_unitdata_ind(ent[to], &addr[to], &addr[!to], buf, n);
}

/* The indications of side s since the last call, joined by "\n" */
static const char *inds(int s)
{
	static char out[8192];
	struct osmo_strbuf sb = { .buf = out, .len = sizeof(out), .pos = out };

	out[0] = 0;
	for (unsigned int i = 0; i < ind_n[s] && i < 64; i++)
		OSMO_STRBUF_PRINTF(sb, "%s%s", i ? "\n" : "", ind_log[s][i]);
	ind_n[s] = 0;
	return out;
}

#define CHECK_INDS(s, want) do {							\
		const char *_got = inds(s);						\
		CHECK(!strcmp(_got, want), "side %c:\n  got  %s\n  want %s", 'A' + (s), _got, want); \
	} while (0)

static void advance(int secs)
{
	osmo_clock_override_add(CLOCK_MONOTONIC, secs, 0);
	osmo_gettimeofday_override_add(secs, 0);
	osmo_timers_prepare();
	osmo_timers_update();
}

/* --- data --- */

static const uint8_t acn_sri_sm_v3[] = { 0x04, 0x00, 0x00, 0x01, 0x00, 0x14, 0x03 };
static const uint8_t acn_sri_sm_v2[] = { 0x04, 0x00, 0x00, 0x01, 0x00, 0x14, 0x02 };
static const uint8_t sri_sm_arg[] = {
	0x30, 0x24, 0x80, 0x07, 0x91, 0x94, 0x71, 0x91, 0x78, 0x56, 0x34, 0x81, 0x01, 0xff, 0x82, 0x07,
	0x91, 0x94, 0x71, 0x00, 0x00, 0x10, 0x00, 0x87, 0x00, 0x88, 0x01, 0x00, 0x89, 0x08, 0x0c, 0x91,
	0x94, 0x71, 0x10, 0x32, 0x54, 0x76 };
static uint8_t sri_sm_res[64];
static size_t sri_sm_res_len;
static uint8_t map_user_abort[32];	/* MAP-UserAbortInfo EXTERNAL */
static size_t map_user_abort_len;

#define ACN(a) ((struct tcap_buf){ (a), sizeof(a) })
static const struct tcap_code op_sri_sm = { .present = true, .local = 45 };
static const struct tcap_code err_system_failure = { .present = true, .local = 34 };

static int8_t invoke(int s, uint32_t did, int id, enum tc_op_class cls, uint32_t timeout_ms)
{
	struct tc_invoke_req r = { .invoke_id = id, .op = op_sri_sm, .param = { sri_sm_arg, sizeof(sri_sm_arg) },
				   .op_class = cls, .timeout_ms = timeout_ms };
	int8_t got = 0;
	int rc = tc_invoke_req(ent[s], did, &r, &got);

	CHECK(rc == 0, "invoke: rc=%d", rc);
	return got;
}

static struct tcap_buf res(void)
{
	return (struct tcap_buf){ sri_sm_res, sri_sm_res_len };
}

static uint32_t begin(const struct tcap_buf *acn)
{
	uint32_t did;
	struct tc_dlg_req r = { .called = &addr[1], .calling = &addr[0] };

	if (acn)
		r.acn = *acn;
	CHECK(tcap_dlg_new(ent[0], &did) == 0, "dialogue");
	invoke(0, did, TC_INVOKE_ID_AUTO, TC_CLASS_1, 0);
	CHECK(tc_begin_req(ent[0], did, &r) == 0, "begin");
	pump();
	return did;
}

static const struct tc_dlg_req plain = { 0 };

/* --- the tests --- */

static void test_begin_end_with_ac(void)
{
	struct tcap_buf acn = ACN(acn_sri_sm_v3);
	uint32_t a = begin(&acn), b;

	CHECK_INDS(1, "TC-BEGIN acn=04000001001403 | TC-INVOKE id=1 op=45 param=38");
	b = last_did[1];
	CHECK(tc_result_req(ent[1], b, 1, true, &op_sri_sm, res()) == 0, "result");
	CHECK(tc_end_req(ent[1], b, &plain) == 0, "end");
	CHECK(pump() == 1, "one End");
	CHECK_INDS(0, "TC-END acn=04000001001403 | TC-RESULT-L id=1 op=45 param=40");
	CHECK(last_did[0] == a, "the End reached dialogue %08x", a);
}

static void test_v1_without_dialogue_portion(void)
{
	uint32_t b;

	begin(NULL);
	CHECK_INDS(1, "TC-BEGIN | TC-INVOKE id=1 op=45 param=38");
	b = last_did[1];
	CHECK(tc_continue_req(ent[1], b, &plain) == 0, "continue");
	pump();
	CHECK_INDS(0, "TC-CONTINUE");
	CHECK(tc_result_req(ent[1], b, 1, true, &op_sri_sm, res()) == 0, "result");
	CHECK(tc_end_req(ent[1], b, &plain) == 0, "end");
	pump();
	CHECK_INDS(0, "TC-END | TC-RESULT-L id=1 op=45 param=40");
}

static void test_prearranged_end(void)
{
	struct tcap_buf acn = ACN(acn_sri_sm_v3);
	uint32_t a = begin(&acn), b = last_did[1];
	unsigned int before;

	inds(1);
	CHECK(tc_continue_req(ent[1], b, &plain) == 0, "continue");
	pump();
	CHECK_INDS(0, "TC-CONTINUE acn=04000001001403");
	before = sent_total;
	CHECK(tc_end_req(ent[0], a, &(struct tc_dlg_req){ .prearranged = true }) == 0, "prearranged A");
	CHECK(tc_end_req(ent[1], b, &(struct tc_dlg_req){ .prearranged = true }) == 0, "prearranged B");
	CHECK(sent_total == before, "a prearranged end sends nothing");
	CHECK(tc_continue_req(ent[0], a, &plain) == -ENOENT, "the dialogue is gone");
}

static void test_result_not_last(void)
{
	struct tcap_buf acn = ACN(acn_sri_sm_v3);
	uint32_t b;

	begin(&acn);
	inds(1);
	b = last_did[1];
	tc_result_req(ent[1], b, 1, false, &op_sri_sm, res());
	CHECK(tc_continue_req(ent[1], b, &plain) == 0, "continue");
	pump();
	CHECK_INDS(0, "TC-CONTINUE acn=04000001001403 | TC-RESULT-NL id=1 op=45 param=40");
	tc_result_req(ent[1], b, 1, false, &op_sri_sm, res());
	tc_result_req(ent[1], b, 1, true, &op_sri_sm, res());
	CHECK(tc_end_req(ent[1], b, &plain) == 0, "end");
	pump();
	CHECK_INDS(0, "TC-END | TC-RESULT-NL id=1 op=45 param=40 | TC-RESULT-L id=1 op=45 param=40");
}

static void test_error(void)
{
	struct tcap_buf acn = ACN(acn_sri_sm_v3);
	uint32_t b;

	begin(&acn);
	inds(1);
	b = last_did[1];
	CHECK(tc_u_error_req(ent[1], b, 1, &err_system_failure, (struct tcap_buf){ 0 }) == 0, "error");
	CHECK(tc_end_req(ent[1], b, &plain) == 0, "end");
	pump();
	CHECK_INDS(0, "TC-END acn=04000001001403 | TC-U-ERROR id=1 err=34");
}

/* A result and an error for ids A never used, an unexpected result (class 2) and
 * an unexpected error (class 3): TC-L-REJECT at A, Rejects back to B. */
static void test_reject_answers(void)
{
	struct tcap_buf acn = ACN(acn_sri_sm_v3);
	uint32_t a, b;

	CHECK(tcap_dlg_new(ent[0], &a) == 0, "dialogue");
	invoke(0, a, 10, TC_CLASS_2, 0);
	invoke(0, a, 11, TC_CLASS_3, 0);
	invoke(0, a, 12, TC_CLASS_4, 0);
	CHECK(tc_begin_req(ent[0], a, &(struct tc_dlg_req){ .called = &addr[1], .acn = acn }) == 0, "begin");
	pump();
	inds(1);
	b = last_did[1];
	tc_result_req(ent[1], b, 9, true, &op_sri_sm, res());
	tc_u_error_req(ent[1], b, 8, &err_system_failure, (struct tcap_buf){ 0 });
	tc_result_req(ent[1], b, 10, true, &op_sri_sm, res());
	tc_u_error_req(ent[1], b, 11, &err_system_failure, (struct tcap_buf){ 0 });
	tc_result_req(ent[1], b, 12, true, NULL, (struct tcap_buf){ 0 });
	CHECK(tc_continue_req(ent[1], b, &plain) == 0, "continue");
	pump();
	CHECK_INDS(0, "TC-CONTINUE acn=04000001001403 | TC-L-REJECT id=9 problem=2:0 | TC-L-REJECT id=8 problem=3:0"
		      " | TC-L-REJECT id=10 problem=2:1 | TC-L-REJECT id=11 problem=3:1 | TC-L-REJECT id=12 problem=2:1");
	CHECK(tc_continue_req(ent[0], a, &plain) == 0, "continue with the Rejects");
	pump();
	CHECK_INDS(1, "TC-CONTINUE | TC-R-REJECT id=9 problem=2:0 | TC-R-REJECT id=8 problem=3:0"
		      " | TC-R-REJECT id=10 problem=2:1 | TC-R-REJECT id=11 problem=3:1 | TC-R-REJECT id=12 problem=2:1");
	CHECK(tc_end_req(ent[1], b, &plain) == 0, "end");
	pump();
	CHECK_INDS(0, "TC-END");
}

/* A duplicate invoke id (A cancelled id 1 and reused it), an unknown linked id,
 * a Reject by B's user: what B's CSL finds goes back as Rejects */
static void test_reject_invokes(void)
{
	struct tcap_buf acn = ACN(acn_sri_sm_v3);
	struct tc_invoke_req linked = { .invoke_id = 2, .linked_id_present = true, .linked_id = 77, .op = op_sri_sm,
					.param = { sri_sm_arg, sizeof(sri_sm_arg) }, .op_class = TC_CLASS_1 };
	uint32_t a = begin(&acn), b = last_did[1];
	int8_t one = 1;

	inds(1);
	CHECK(tc_continue_req(ent[1], b, &plain) == 0, "continue");
	pump();
	inds(0);
	CHECK(tc_u_cancel_req(ent[0], a, 1) == 0, "cancel");
	invoke(0, a, 1, TC_CLASS_1, 0);
	CHECK(tc_invoke_req(ent[0], a, &linked, NULL) == 0, "linked invoke");
	invoke(0, a, 3, TC_CLASS_1, 0);
	CHECK(tc_continue_req(ent[0], a, &plain) == 0, "continue");
	pump();
	CHECK_INDS(1, "TC-CONTINUE | TC-L-REJECT id=1 problem=1:0 | TC-L-REJECT id=2 problem=1:5"
		      " | TC-INVOKE id=3 op=45 param=38");
	CHECK(tc_u_reject_req(ent[1], b, &one, TCAP_PROB_INVOKE, TCAP_IP_MISTYPED_PARAMETER) == 0, "u-reject");
	CHECK(tc_continue_req(ent[1], b, &plain) == 0, "continue");
	pump();
	CHECK_INDS(0, "TC-CONTINUE | TC-R-REJECT id=1 problem=1:0 | TC-R-REJECT id=2 problem=1:5"
		      " | TC-U-REJECT id=1 problem=1:2");
	CHECK(tc_u_abort_req(ent[0], a, &plain) == 0, "abort");
	pump();
	CHECK_INDS(1, "TC-U-ABORT reason=0");
}

/* Broken components among good ones, sent raw to B within a dialogue */
static void test_reject_malformed(void)
{
	struct tcap_buf acn = ACN(acn_sri_sm_v3);
	uint32_t a = begin(&acn), b = last_did[1];
	char hex[256];

	inds(1);
	CHECK(tc_continue_req(ent[1], b, &plain) == 0, "continue");
	pump();
	inds(0);
	/* Continue otid=a dtid=b: unknown component tag, an Invoke without opcode, a good Invoke */
	snprintf(hex, sizeof(hex), "651f 4804%08x 4904%08x 6c11 a5020500 a103020105 a106020106020138",
		 a, b);
	{
		char compact[256];
		size_t k = 0;
		for (const char *p = hex; *p; p++)
			if (*p != ' ')
				compact[k++] = *p;
		compact[k] = 0;
		inject(1, compact);
	}
	CHECK_INDS(1, "TC-CONTINUE | TC-L-REJECT problem=0:0 | TC-L-REJECT id=5 problem=0:1 | TC-INVOKE id=6 op=56");
	CHECK(tc_end_req(ent[1], b, &plain) == 0, "end");
	pump();
	CHECK_INDS(0, "TC-END | TC-R-REJECT problem=0:0 | TC-R-REJECT id=5 problem=0:1");
	CHECK(rate_ctr_group_get_ctr(tcap_ctx_ctrs(ent[1]), TCAP_CTR_L_REJECT)->current >= 2, "L-REJECT counted");
}

static void test_invoke_timeout(void)
{
	struct tcap_buf acn = ACN(acn_sri_sm_v3);
	uint32_t a, b;

	CHECK(tcap_dlg_new(ent[0], &a) == 0, "dialogue");
	/* distinct expiries: libosmocore fires timers due in one update in reverse order */
	invoke(0, a, 1, TC_CLASS_1, 5000);
	invoke(0, a, 2, TC_CLASS_2, 6500);
	invoke(0, a, 3, TC_CLASS_3, 7500);
	invoke(0, a, 4, TC_CLASS_4, 9500);
	CHECK(tc_begin_req(ent[0], a, &(struct tc_dlg_req){ .called = &addr[1], .acn = acn }) == 0, "begin");
	pump();
	b = last_did[1];
	inds(1);
	advance(4);
	CHECK_INDS(0, "");
	advance(2);
	CHECK_INDS(0, "TC-(components) | TC-L-CANCEL id=1");
	advance(1);
	CHECK_INDS(0, "TC-(components) | TC-L-CANCEL id=2");
	advance(1);
	CHECK_INDS(0, "TC-(components) | TC-L-CANCEL id=3");
	/* a result after the timer: the invocation is gone */
	tc_result_req(ent[1], b, 3, true, &op_sri_sm, res());
	CHECK(tc_continue_req(ent[1], b, &plain) == 0, "continue");
	pump();
	CHECK_INDS(0, "TC-CONTINUE acn=04000001001403 | TC-L-REJECT id=3 problem=2:0");
	advance(2);
	CHECK_INDS(0, "TC-(components) | TC-L-CANCEL id=4");
	CHECK(tc_end_req(ent[0], a, &plain) == 0, "end");
	pump();
	CHECK_INDS(1, "TC-END | TC-R-REJECT id=3 problem=2:0");
}

static void set_idle(int s, int secs)
{
	osmo_tdef_set(tcap_ctx_tdefs(ent[s]), TCAP_T_IDLE, secs, OSMO_TDEF_S);
}

/* A times out first: its user gets TC-P-ABORT, B is told (ABRT from the provider
 * with a dialogue portion, P-Abort without) and its user gets TC-P-ABORT */
static void test_idle_timeout(bool with_ac)
{
	struct tcap_buf acn = ACN(acn_sri_sm_v3);
	uint32_t b;

	set_idle(0, 30);
	set_idle(1, 120);
	begin(with_ac ? &acn : NULL);
	inds(1);
	b = last_did[1];
	{
		struct tcap_dlg_states st0, st1;

		tcap_ctx_dialogue_states(ent[0], &st0);
		tcap_ctx_dialogue_states(ent[1], &st1);
		CHECK(st0.initiation_sent == 1 && st0.active == 0 && st1.initiation_received == 1,
		      "by state: A initiation-sent %u, B initiation-received %u", st0.initiation_sent,
		      st1.initiation_received);
	}
	CHECK(tc_continue_req(ent[1], b, &plain) == 0, "continue");
	pump();
	inds(0);
	{
		struct tcap_dlg_states st0;

		tcap_ctx_dialogue_states(ent[0], &st0);
		CHECK(st0.active == 1 && st0.initiation_sent == 0, "by state: A active after the continue");
	}
	advance(29);
	CHECK(pump() == 0 && !ind_n[0], "not yet");
	advance(2);
	CHECK_INDS(0, "TC-P-ABORT cause=128");
	CHECK(pump() == 1, "the peer is told");
	CHECK_INDS(1, with_ac ? "TC-P-ABORT cause=126" : "TC-P-ABORT cause=4");
	CHECK(tcap_ctx_dialogues(ent[0]) == 0 && tcap_ctx_dialogues(ent[1]) == 0, "both ends freed");
	set_idle(0, 60);
	set_idle(1, 60);
}

static void test_idle_timeout_initiation_sent(void)
{
	struct tcap_buf acn = ACN(acn_sri_sm_v3);

	set_idle(0, 10);
	begin(&acn);
	inds(1);
	advance(11);
	CHECK_INDS(0, "TC-P-ABORT cause=128");
	CHECK(pump() == 0, "no peer id to send to");
	/* B still has it; its own timer ends it too */
	advance(60);
	CHECK_INDS(1, "TC-P-ABORT cause=128");
	CHECK(pump() == 1, "B tells A");
	CHECK(rate_ctr_group_get_ctr(tcap_ctx_ctrs(ent[0]), TCAP_CTR_RX_UNKNOWN_TID)->current >= 1,
	      "the Abort found no dialogue at A");
	set_idle(0, 60);
}

static void test_user_abort(void)
{
	struct tcap_buf acn = ACN(acn_sri_sm_v3);
	uint32_t b;

	begin(&acn);
	inds(1);
	b = last_did[1];
	CHECK(tc_continue_req(ent[1], b, &plain) == 0, "continue");
	pump();
	inds(0);
	CHECK(tc_u_abort_req(ent[1], b, &(struct tc_dlg_req){
		.user_info = { map_user_abort, map_user_abort_len } }) == 0, "u-abort");
	pump();
	CHECK_INDS(0, "TC-U-ABORT ui=17 reason=0");
}

static void test_unknown_and_foreign_tid(void)
{
	unsigned int bits, id, before = sent_total;
	uint32_t mine, foreign;
	char hex[64];

	tcap_ctx_get_instance(ent[0], &bits, &id);
	mine = ((uint32_t)id << (32 - bits)) | 0x00abcdef;
	foreign = (3u << (32 - bits)) | 0x00abcdef;
	snprintf(hex, sizeof(hex), "650c4804cafe00014904%08x", mine);
	inject(0, hex);
	CHECK(sent_total == before + 1, "P-Abort sent");
	{
		struct wire_msg *w = &queue[(q_tail - 1) % ARRAY_SIZE(queue)];
		CHECK(!strcmp(hexs(w->data, w->len), "67094904cafe00014a0101"), "P-Abort unrecognizedTID: %s",
		      hexs(w->data, w->len));
	}
	pump_ex(true);
	snprintf(hex, sizeof(hex), "650c4804cafe00024904%08x", foreign);
	inject(0, hex);
	CHECK(sent_total == before + 1 && foreign_calls == 1 && foreign_instance == 3,
	      "foreign TID steered to instance 3 (calls %d)", foreign_calls);
	CHECK(rate_ctr_group_get_ctr(tcap_ctx_ctrs(ent[0]), TCAP_CTR_RX_FOREIGN_TID)->current == 1, "counted");
	/* an End for an unknown dialogue cannot be answered */
	snprintf(hex, sizeof(hex), "64064904%08x", mine);
	inject(0, hex);
	CHECK(sent_total == before + 1, "no answer to an End");
	CHECK_INDS(0, "");
}

/* B supports only v2 of the AC: it refuses with the AC it supports, A falls back */
static void test_ac_refusal_and_fallback(void)
{
	struct tcap_buf v3 = ACN(acn_sri_sm_v3), v2 = ACN(acn_sri_sm_v2);
	uint32_t b;

	begin(&v3);
	CHECK_INDS(1, "TC-BEGIN acn=04000001001403 | TC-INVOKE id=1 op=45 param=38");
	b = last_did[1];
	CHECK(tc_u_abort_req(ent[1], b, &(struct tc_dlg_req){ .abort_reason = TC_ABORT_ACN_NOT_SUPPORTED,
							       .acn = v2 }) == 0, "refuse");
	pump();
	CHECK_INDS(0, "TC-U-ABORT acn=04000001001402 reason=1");
	begin(&v2);
	CHECK_INDS(1, "TC-BEGIN acn=04000001001402 | TC-INVOKE id=1 op=45 param=38");
	b = last_did[1];
	tc_result_req(ent[1], b, 1, true, &op_sri_sm, res());
	CHECK(tc_end_req(ent[1], b, &plain) == 0, "end");
	pump();
	CHECK_INDS(0, "TC-END acn=04000001001402 | TC-RESULT-L id=1 op=45 param=40");
}

static void test_notice(void)
{
	struct tcap_buf acn = ACN(acn_sri_sm_v3);
	uint32_t a, did;
	struct wire_msg w;

	CHECK(tcap_dlg_new(ent[0], &a) == 0, "dialogue");
	invoke(0, a, 1, TC_CLASS_1, 0);
	CHECK(tc_begin_req(ent[0], a, &(struct tc_dlg_req){ .called = &addr[1], .acn = acn,
							   .return_on_error = true }) == 0, "begin");
	w = queue[q_head++ % ARRAY_SIZE(queue)];	/* SCCP could not deliver it */
	tcap_n_notice_ind(ent[0], &w.called, &w.calling, w.data, w.len, SCCP_RC_SUBSYSTEM_FAILURE);
	did = last_did[0];
	CHECK_INDS(0, "TC-NOTICE report=3");
	CHECK(did == a && tcap_ctx_dialogues(ent[0]) == 1, "notice for %08x", a);
	CHECK(tc_u_abort_req(ent[0], a, &plain) == 0, "local abort");
	CHECK(pump() == 0, "nothing to send in INITIATION_SENT");
}

static void test_uni(void)
{
	uint32_t a;

	CHECK(tcap_dlg_new(ent[0], &a) == 0, "dialogue");
	invoke(0, a, 1, TC_CLASS_4, 0);
	CHECK(tc_uni_req(ent[0], a, &(struct tc_dlg_req){ .called = &addr[1],
							 .acn = ACN(acn_sri_sm_v3) }) == 0, "uni");
	pump();
	CHECK_INDS(1, "TC-UNI acn=04000001001403 | TC-INVOKE id=1 op=45 param=38");
	CHECK(tcap_ctx_dialogues(ent[0]) == 0 && tcap_ctx_dialogues(ent[1]) == 0, "no dialogues");
}

/* A malformed Begin is answered with a P-Abort; a Begin with an AARQ of an unknown
 * protocol version with an AARE no-common-dialogue-portion */
static void test_bad_begin(void)
{
	unsigned int before = sent_total;
	struct wire_msg *w;

	/* only the component is broken: the dialogue starts, the user sees TC-L-REJECT */
	inject(1, "620b4804000000016c03a10102");
	CHECK(sent_total == before, "no P-Abort for a Begin whose components are broken only");
	CHECK_INDS(1, "TC-BEGIN | TC-L-REJECT problem=0:2");
	CHECK(tc_end_req(ent[1], last_did[1], &plain) == 0, "end with the Reject");
	w = &queue[(q_tail - 1) % ARRAY_SIZE(queue)];
	CHECK(!strcmp(hexs(w->data, w->len), "640f490400000001" "6c07a4050500800102"), "End with Reject: %s",
	      hexs(w->data, w->len));
	pump();		/* A has no such dialogue, and an End is not answered */
	before = sent_total;
	inject(1, "62254804112233446b1d281b060700118605010101a010600e80020640a1080606040000010014");
	CHECK(sent_total == before + 1, "answered");
	w = &queue[(q_tail - 1) % ARRAY_SIZE(queue)];
	{
		struct tcap_msg m;
		CHECK(tcap_msg_parse(&m, w->data, w->len) == 0 && m.type == TCAP_MSGT_ABORT
		      && m.dlg.pdu == TCAP_DLG_AARE && m.dlg.result == 1 && m.dlg.diag_source == 2
		      && m.dlg.diag_value == 2, "AARE no-common-dialogue-portion: %s", hexs(w->data, w->len));
	}
	inject(1, "62044802aabb00");
	w = &queue[(q_tail - 1) % ARRAY_SIZE(queue)];
	CHECK(!strcmp(hexs(w->data, w->len), "67074902aabb4a0102"), "P-Abort badlyFormatted: %s",
	      hexs(w->data, w->len));
	pump();
	CHECK_INDS(0, "");
	CHECK_INDS(1, "");
}

/* X.690 on the wire (issue 9): what X.690 forbids is answered as Q.774 says,
 * never served as if it were valid */
static void test_x690_on_the_wire(void)
{
	unsigned int before;
	struct wire_msg *w;
	struct tcap_msg m;

	/* an application context whose last sub-identifier is unterminated: the
	 * dialogue portion is malformed, the Begin is refused by an Abort */
	before = sent_total;
	inject(1, "62264804112233446b1e281c060700118605010101a011600f80020780a109060704000001001483");
	CHECK(sent_total == before + 1, "AC OID unterminated: answered");
	w = &queue[(q_tail - 1) % ARRAY_SIZE(queue)];
	CHECK(tcap_msg_parse(&m, w->data, w->len) == 0 && m.type == TCAP_MSGT_ABORT
	      && tcap_tid_u32(&m.dtid) == 0x11223344, "AC OID unterminated: Abort %s", hexs(w->data, w->len));
	pump();
	CHECK_INDS(1, "");

	/* a protocol version claiming 9 unused bits: the same */
	before = sent_total;
	inject(1, "62264804112233456b1e281c060700118605010101a011600f80020980a109060704000001001403");
	CHECK(sent_total == before + 1, "9 unused bits: answered");
	w = &queue[(q_tail - 1) % ARRAY_SIZE(queue)];
	CHECK(tcap_msg_parse(&m, w->data, w->len) == 0 && m.type == TCAP_MSGT_ABORT
	      && tcap_tid_u32(&m.dtid) == 0x11223345, "9 unused bits: Abort %s", hexs(w->data, w->len));
	pump();
	CHECK_INDS(1, "");

	/* an invoke id with a redundant leading octet: the dialogue starts, the
	 * component is rejected (mistypedComponent) */
	inject(1, "62114804000000026c09a10702020001020101");
	CHECK_INDS(1, "TC-BEGIN | TC-L-REJECT problem=0:1");
	CHECK(tc_end_req(ent[1], last_did[1], &plain) == 0, "end with the Reject");
	w = &queue[(q_tail - 1) % ARRAY_SIZE(queue)];
	CHECK(!strcmp(hexs(w->data, w->len), "640f490400000002" "6c07a4050500800101"), "End with Reject: %s",
	      hexs(w->data, w->len));
	pump();

	/* a zero-length P-Abort cause: a broken Abort is not answered, and no
	 * user sees a cause it did not carry */
	before = sent_total;
	inject(1, "67084904000000034a00");
	CHECK(sent_total == before, "broken Abort not answered");
	CHECK_INDS(1, "");
}

static void test_vty_config(void)
{
	static struct vty_app_info info = { .name = "test_tcap", .version = "1" };
	char path[] = "/tmp/test_tcap_vty.XXXXXX";
	int fd = mkstemp(path);
	unsigned int bits, id;
	FILE *f;

	CHECK(fd >= 0, "temp file");
	f = fdopen(fd, "w");
	fputs("tcap\n instance-bits 4\n instance-id 9\n timer dialogue-idle 45\n timer invoke 7\n", f);
	fclose(f);
	vty_init(&info);
	tcap_vty_init(ent[1]);
	CHECK(vty_read_config_file(path, NULL) == 0, "config read");
	unlink(path);
	tcap_ctx_get_instance(ent[1], &bits, &id);
	CHECK(bits == 4 && id == 9, "instance %u/%u", bits, id);
	CHECK(osmo_tdef_get(tcap_ctx_tdefs(ent[1]), TCAP_T_IDLE, OSMO_TDEF_S, 0) == 45, "idle timer");
	CHECK(osmo_tdef_get(tcap_ctx_tdefs(ent[1]), TCAP_T_INVOKE, OSMO_TDEF_S, 0) == 7, "invoke timer");
	/* an id that does not fit the bits is refused */
	f = fopen(path, "w");
	fputs("tcap\n instance-bits 2\n instance-id 9\n", f);
	fclose(f);
	CHECK(vty_read_config_file(path, NULL) != 0, "instance-id 9 with 2 bits refused");
	unlink(path);
}

static const struct log_info_cat cats[] = { };
static const struct log_info log_info = { .cat = cats, .num_cat = 0 };

int main(int argc, char **argv)
{
	void *root = talloc_named_const(NULL, 0, "test_tcap");
	struct tcap_cfg cfg[2] = {
		{ .instance_bits = 2, .instance_id = 1, .local_addr = &addr[0] },
		{ .instance_bits = 2, .instance_id = 2, .local_addr = &addr[1] },
	};
	size_t base[2];

	if (argc > 1 && !strcmp(argv[1], "--emit"))
		emit_f = stdout;
	osmo_init_logging2(root, &log_info);
	log_set_log_level(osmo_stderr_target, LOGL_FATAL);
	osmo_clock_override_enable(CLOCK_MONOTONIC, true);
	osmo_gettimeofday_override = true;
	sccp_addr_set_gt(&addr[0], SCCP_GTI_TT_NP_ES_NAI, 0, SCCP_NP_ISDN, SCCP_NAI_INTERNATIONAL, "491700000001");
	addr[0].present |= SCCP_ADDR_SSN;
	addr[0].ssn = 8;
	sccp_addr_set_gt(&addr[1], SCCP_GTI_TT_NP_ES_NAI, 0, SCCP_NP_ISDN, SCCP_NAI_INTERNATIONAL, "491700000002");
	addr[1].present |= SCCP_ADDR_SSN;
	addr[1].ssn = 6;
	sri_sm_res_len = unhex(sri_sm_res, sizeof(sri_sm_res),
			       "3026040862021132547698f0a01a81079194710000200004040a1b2c3da609810791947100003000");
	map_user_abort_len = unhex(map_user_abort, sizeof(map_user_abort), "280f060704000001010101a004a4028100");
	for (int s = 0; s < 2; s++) {
		ent[s] = tcap_ctx_alloc(root, &cfg[s], &ops, (void *)(intptr_t)s);
		OSMO_ASSERT(ent[s]);
		base[s] = talloc_total_blocks(ent[s]);
	}

	test_begin_end_with_ac();
	test_v1_without_dialogue_portion();
	test_prearranged_end();
	test_result_not_last();
	test_error();
	test_reject_answers();
	test_reject_invokes();
	test_reject_malformed();
	test_invoke_timeout();
	test_idle_timeout(true);
	test_idle_timeout(false);
	test_idle_timeout_initiation_sent();
	test_user_abort();
	test_unknown_and_foreign_tid();
	test_ac_refusal_and_fallback();
	test_notice();
	test_uni();
	test_bad_begin();
	test_x690_on_the_wire();

	for (int s = 0; s < 2; s++) {
		CHECK(tcap_ctx_dialogues(ent[s]) == 0, "side %c: %u dialogues left", 'A' + s,
		      tcap_ctx_dialogues(ent[s]));
		CHECK(talloc_total_blocks(ent[s]) == base[s], "side %c: %zu talloc blocks, %zu at the start",
		      'A' + s, talloc_total_blocks(ent[s]), base[s]);
		CHECK(ind_n[s] == 0, "side %c: unchecked indications: %s", 'A' + s, inds(s));
	}
	CHECK(q_head == q_tail, "nothing left on the wire");
	test_vty_config();
	for (int s = 0; s < 2; s++)
		tcap_ctx_free(ent[s]);
	if (!emit_f)
		printf("%d passed, %d failed\n", passed, failed);
	log_fini();
	talloc_free(root);
	return failed != 0;
}
