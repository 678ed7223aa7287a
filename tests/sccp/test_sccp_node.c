/*
 * Tests of the SCCP node (src/sccp/sccp_node.h): three nodes A, B, C wired
 * through a fake MTP (a queue), libosmocore's fake time for the timers.
 * Routing, GTT, return on error, segmentation, SCMG. Prints "N passed, N failed".
 *
 *   test_sccp_node          run the tests
 *   test_sccp_node --emit   also print every UDTS/XUDTS and SCMG message the
 *                           nodes sent, "HEX field=value ...", for tshark_sccp.py
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>

#include "sccp_node_priv.h"

static int passed, failed;
static bool emit;

#define CHECK(cond, fmt, ...) do {						\
		if (cond) {							\
			passed++;						\
		} else {							\
			failed++;						\
			fprintf(stderr, "FAIL %s:%d: " fmt "\n", __FILE__, __LINE__, ##__VA_ARGS__); \
		}								\
	} while (0)

#define PC_A	2057	/* 1.1.1 */
#define PC_B	2058	/* 1.1.2 */
#define PC_C	2059	/* 1.1.3 */
#define PC_D	2060	/* 1.1.4 */

/* --- the fake network --- */

struct peer {
	const char *name;
	uint32_t pc;
	struct sccp_node *node;
	unsigned int n_data, n_notice, n_state, n_pcstate;
	uint8_t data_ssn, data_class, notice_ssn, notice_cause, state_ssn;
	uint8_t data[4096];
	size_t data_len;
	uint32_t state_pc, pcstate_pc;
	bool state_allowed;
	enum sccp_pc_state pcstate;
};

struct wire {
	uint32_t opc, dpc;
	uint8_t sls;
	size_t len;
	uint8_t data[4400];
};

static struct peer peers[4] = {
	{ .name = "A", .pc = PC_A }, { .name = "B", .pc = PC_B },
	{ .name = "C", .pc = PC_C }, { .name = "D", .pc = PC_D },
};
static struct peer *const A = &peers[0], *const B = &peers[1], *const C = &peers[2], *const D = &peers[3];

#define QLEN 64
static struct wire queue[QLEN];
static unsigned int q_head, q_tail;
static struct wire sent[1024];		/* everything handed to MTP, in order */
static unsigned int n_sent;
static int mtp_rc;			/* forced MTP-TRANSFER result */
static bool (*drop)(const struct wire *w);	/* lost in transit */
static bool hold;			/* leave messages in the queue */
static void *ctx;

static int mtp_transfer_req(void *priv, uint32_t dpc, uint8_t sls, const uint8_t *data, size_t len)
{
	struct peer *p = priv;
	struct wire *w;

	if (mtp_rc)
		return mtp_rc;
	if (q_tail - q_head >= QLEN || len > sizeof(w->data))
		abort();
	w = &queue[q_tail++ % QLEN];
	*w = (struct wire){ .opc = p->pc, .dpc = dpc, .sls = sls, .len = len };
	memcpy(w->data, data, len);
	if (n_sent < ARRAY_SIZE(sent))
		sent[n_sent++] = *w;
	return 0;
}

static void n_unitdata_ind(void *priv, uint8_t ssn, const struct sccp_msg *msg)
{
	struct peer *p = priv;

	p->n_data++;
	p->data_ssn = ssn;
	p->data_class = msg->proto_class;
	p->data_len = OSMO_MIN(msg->data_len, sizeof(p->data));
	memcpy(p->data, msg->data, p->data_len);
}

static void n_notice_ind(void *priv, uint8_t ssn, uint8_t cause, const struct sccp_msg *msg)
{
	struct peer *p = priv;

	p->n_notice++;
	p->notice_ssn = ssn;
	p->notice_cause = cause;
}

static void n_state_ind(void *priv, uint32_t pc, uint8_t ssn, bool allowed)
{
	struct peer *p = priv;

	p->n_state++;
	p->state_pc = pc;
	p->state_ssn = ssn;
	p->state_allowed = allowed;
}

static void n_pcstate_ind(void *priv, uint32_t pc, enum sccp_pc_state st)
{
	struct peer *p = priv;

	p->n_pcstate++;
	p->pcstate_pc = pc;
	p->pcstate = st;
}

static const struct sccp_node_ops ops = {
	.mtp_transfer_req = mtp_transfer_req,
	.n_unitdata_ind = n_unitdata_ind,
	.n_notice_ind = n_notice_ind,
	.n_state_ind = n_state_ind,
	.n_pcstate_ind = n_pcstate_ind,
};

static struct peer *peer_at(uint32_t pc)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(peers); i++) {
		if (peers[i].pc == pc && peers[i].node)
			return &peers[i];
	}
	return NULL;
}

/* deliver everything in flight, and what that causes */
static void pump(void)
{
	while (!hold && q_head != q_tail) {
		struct wire w = queue[q_head++ % QLEN];
		struct peer *p = peer_at(w.dpc);

		if (p && !(drop && drop(&w)))
			sccp_node_mtp_transfer_ind(p->node, w.opc, w.dpc, w.sls, w.data, w.len);
	}
}

/* in 100 ms steps, so that a timer restarted by its own expiry runs again */
static void advance_ms(unsigned long ms)
{
	while (ms) {
		unsigned long step = OSMO_MIN(ms, 100);

		osmo_gettimeofday_override_add(0, step * 1000);
		osmo_timers_prepare();
		osmo_timers_update();
		pump();
		ms -= step;
	}
}

static struct sccp_msg decode_sent(unsigned int i)
{
	struct sccp_msg m;

	if (sccp_msg_decode(&m, sent[i].data, sent[i].len) < 0)
		abort();
	return m;
}

/* --- configuration helpers --- */

static struct sccp_addr gt_addr(const char *digits, uint8_t ssn)
{
	struct sccp_addr a = { 0 };

	sccp_addr_set_gt(&a, SCCP_GTI_TT_NP_ES_NAI, 0, SCCP_NP_ISDN, SCCP_NAI_INTERNATIONAL, digits);
	if (ssn) {
		a.ssn = ssn;
		a.present |= SCCP_ADDR_SSN;
	}
	return a;
}

static struct sccp_addr ssn_addr(uint32_t pc, uint8_t ssn)
{
	return (struct sccp_addr){ .present = SCCP_ADDR_PC | SCCP_ADDR_SSN, .route_on_ssn = true,
				   .pc = pc, .ssn = ssn };
}

static struct sccp_node_cfg *mkcfg(uint32_t pc)
{
	struct sccp_node_cfg *c = sccp_node_cfg_alloc(ctx);

	c->pc = pc;
	c->t_stat_info_ms = 1000;
	c->t_stat_info_max_ms = 4000;
	c->t_reasm_ms = 2000;
	c->ssn[c->num_ssn++] = 6;
	c->ssn[c->num_ssn++] = 8;
	return c;
}

static void add_rule(struct sccp_node_cfg *c, uint32_t id, const char *prefix, uint32_t dpc, int backup,
		     uint8_t ssn)
{
	struct sccp_gtt_rule r;

	sccp_gtt_rule_init(&r, id, prefix, dpc);
	if (backup >= 0) {
		r.has_backup = true;
		r.backup_dpc = backup;
	}
	r.ssn = ssn;
	r.route_on_ssn = ssn != 0;
	if (sccp_gtt_rule_set(c, &r) < 0)
		abort();
}

/* A: own GT 491700000001 (SSN 8); 4917... -> B (backup C), SSN 6 on arrival;
 *    33..., 44... -> B still routed on GT.
 * B: own GT 491700000002; 33... -> C; 4917000000... -> A; nothing for 44.
 * C: 4917000000... -> A. */
static void network_up(void)
{
	struct sccp_node_cfg *a = mkcfg(PC_A), *b = mkcfg(PC_B), *c = mkcfg(PC_C);

	a->gt[a->num_gt++] = (struct sccp_local_gt){ .gt = gt_addr("491700000001", 0), .ssn = 8 };
	a->concerned_pc[a->num_concerned++] = PC_B;
	add_rule(a, 10, "4917", PC_B, PC_C, 6);
	add_rule(a, 20, "33", PC_B, -1, 0);
	add_rule(a, 21, "44", PC_B, -1, 0);
	b->gt[b->num_gt++] = (struct sccp_local_gt){ .gt = gt_addr("491700000002", 0), .ssn = 8 };
	b->concerned_pc[b->num_concerned++] = PC_A;
	add_rule(b, 30, "33", PC_C, -1, 0);
	add_rule(b, 40, "4917000000", PC_A, -1, 0);
	add_rule(c, 40, "4917000000", PC_A, -1, 0);
	A->node = sccp_node_alloc(ctx, a, &ops, A);
	B->node = sccp_node_alloc(ctx, b, &ops, B);
	C->node = sccp_node_alloc(ctx, c, &ops, C);
	talloc_free(a);
	talloc_free(b);
	talloc_free(c);
	if (!A->node || !B->node || !C->node)
		abort();
}

static void network_down(void)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(peers); i++) {
		sccp_node_free(peers[i].node);
		peers[i] = (struct peer){ .name = peers[i].name, .pc = peers[i].pc };
	}
	q_head = q_tail = 0;
	drop = NULL;
	mtp_rc = 0;
	hold = false;
}

static int send_from(struct peer *p, struct sccp_addr called, struct sccp_addr calling, const uint8_t *data,
		     size_t len, bool roe)
{
	struct sccp_unitdata_req req = {
		.called = called, .calling = calling, .data = data, .data_len = len, .return_option = roe,
	};
	int rc = sccp_node_n_unitdata_req(p->node, &req);

	pump();
	return rc;
}

static const uint8_t payload[] = { 0x62, 0x03, 0x48, 0x01, 0x01 };

/* --- GTT: the trie against a linear reference over thousands of rules --- */

static const struct sccp_gtt_rule *gtt_reference(const struct sccp_gtt_rule *rules, unsigned int n,
						 const struct sccp_addr *a)
{
	const struct sccp_gtt_rule *best = NULL;

	for (unsigned int i = 0; i < n; i++) {
		const struct sccp_gtt_rule *r = &rules[i];
		size_t pl = strlen(r->prefix);

		if (strncmp(a->digits, r->prefix, pl) || (r->tt >= 0 && r->tt != a->tt)
		    || (r->np >= 0 && r->np != a->np) || (r->nai >= 0 && r->nai != a->nai)
		    || (r->gti >= 0 && r->gti != sccp_addr_gti(a)))
			continue;
		if (!best || pl > strlen(best->prefix) || (pl == strlen(best->prefix) && r->id < best->id))
			best = r;
	}
	return best;
}

static void test_gtt_trie(void)
{
	struct sccp_node_cfg *c = sccp_node_cfg_alloc(ctx);
	struct sccp_gtt *g;
	unsigned int i, mismatches = 0, hits = 0;

	srandom(7);
	for (i = 0; i < 5000; i++) {
		struct sccp_gtt_rule r;
		char prefix[12];
		int len = 1 + random() % 8;

		for (int k = 0; k < len; k++)
			prefix[k] = '0' + random() % 4;	/* few digits: many shared prefixes */
		prefix[len] = 0;
		sccp_gtt_rule_init(&r, random() % 100000, prefix, 100 + i);
		if (random() % 3 == 0)
			r.tt = random() % 2;
		if (random() % 4 == 0)
			r.nai = 3 + random() % 2;
		if (random() % 5 == 0)
			r.np = 1 + random() % 2;
		sccp_gtt_rule_set(c, &r);
	}
	g = sccp_gtt_build(ctx, c->rules, c->num_rules);
	CHECK(g != NULL, "trie of %u rules", c->num_rules);
	for (i = 0; g && i < 20000; i++) {
		struct sccp_addr a = { 0 };
		char d[16];
		int len = random() % 12;

		for (int k = 0; k < len; k++)
			d[k] = '0' + random() % 5;
		d[len] = 0;
		sccp_addr_set_gt(&a, SCCP_GTI_TT_NP_ES_NAI, random() % 2, 1 + random() % 2, 3 + random() % 2, d);
		const struct sccp_gtt_rule *want = gtt_reference(c->rules, c->num_rules, &a);
		const struct sccp_gtt_rule *have = sccp_gtt_lookup(g, &a);

		hits += want != NULL;
		if ((want ? (int64_t)want->id : -1) != (have ? (int64_t)have->id : -1) && mismatches++ < 5)
			fprintf(stderr, "GTT %s: want rule %d, have %d\n", d, want ? (int)want->id : -1,
				have ? (int)have->id : -1);
	}
	CHECK(mismatches == 0, "%u of 20000 lookups differ from the linear reference", mismatches);
	CHECK(hits > 10000, "the lookups exercise matches (%u)", hits);
	talloc_free(g);
	talloc_free(c);
}

/* rules as data: called GT in, destination or cause out (through a node) */
static void test_gtt_table(void)
{
	static const struct {
		const char *digits;
		uint8_t tt, np, nai;
		uint32_t dpc;		/* 0: failure */
		int cause;
		const char *digits_out;
	} cases[] = {
		{ "4912345", 0, 1, 4, PC_B, -1, "4912345" },		/* rule 1: 49 */
		{ "491712", 0, 1, 4, PC_C, -1, "0049712" },		/* rule 2: 4917 np 1, rewritten */
		{ "491712", 0, 6, 4, PC_B, -1, "491712" },		/* np 6: rule 2 filtered out -> 49 */
		{ "4917555", 0, 1, 4, PC_D, -1, "4917555" },		/* rule 3: 49175, nai 4 */
		{ "4917555", 0, 1, 3, PC_C, -1, "00497555" },	/* nai 3: back to rule 2 (4917) */
		{ "4917555", 2, 1, 3, PC_B, -1, "4917555" },		/* tt 2: rule 2 needs tt 0 */
		{ "33", 0, 1, 4, PC_A, -1, "33" },			/* lowest id of equal prefixes: 4 */
		{ "1", 0, 1, 4, 0, SCCP_RC_NO_TRANSLATION_ADDRESS, NULL },
		{ "", 0, 1, 4, 0, SCCP_RC_NO_TRANSLATION_NATURE, NULL },
	};
	struct sccp_node_cfg *c = mkcfg(PC_D + 1);
	struct sccp_gtt_rule r;
	unsigned int i;

	add_rule(c, 1, "49", PC_B, -1, 0);
	sccp_gtt_rule_init(&r, 2, "4917", PC_C);
	r.np = 1;
	r.tt = 0;
	r.rewrite = SCCP_GTT_REPLACE_PREFIX;
	osmo_strlcpy(r.rewrite_digits, "00497", sizeof(r.rewrite_digits));
	sccp_gtt_rule_set(c, &r);
	sccp_gtt_rule_init(&r, 3, "49175", PC_D);
	r.nai = 4;
	sccp_gtt_rule_set(c, &r);
	add_rule(c, 5, "33", PC_B, -1, 0);
	add_rule(c, 4, "33", PC_A, -1, 0);
	D->pc = PC_D + 1;
	D->node = sccp_node_alloc(ctx, c, &ops, D);
	talloc_free(c);
	hold = true;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct sccp_addr cd = { 0 };
		unsigned int before = n_sent;
		int rc;

		sccp_addr_set_gt(&cd, SCCP_GTI_TT_NP_ES_NAI, cases[i].tt, cases[i].np, cases[i].nai, cases[i].digits);
		rc = send_from(D, cd, ssn_addr(D->pc, 8), payload, sizeof(payload), false);
		if (!cases[i].dpc) {
			CHECK(sccp_node_rc_cause(rc) == cases[i].cause && n_sent == before,
			      "case %u: rc %d, want cause %d", i, rc, cases[i].cause);
			continue;
		}
		struct sccp_msg m = n_sent == before + 1 ? decode_sent(before) : (struct sccp_msg){ 0 };
		CHECK(rc == 0 && n_sent == before + 1 && sent[before].dpc == cases[i].dpc
		      && !strcmp(m.called.digits, cases[i].digits_out),
		      "case %u (%s): rc %d, dpc %u, digits %s", i, cases[i].digits, rc,
		      n_sent > before ? sent[before].dpc : 0, m.called.digits);
	}
	q_head = q_tail;
	network_down();
	D->pc = PC_D;
}

/* --- primary, backup, availability --- */

static uint32_t last_dpc_for(const char *digits)
{
	unsigned int before = n_sent;

	hold = true;
	send_from(A, gt_addr(digits, 0), ssn_addr(PC_A, 8), payload, sizeof(payload), false);
	hold = false;
	q_head = q_tail;
	return n_sent > before ? sent[n_sent - 1].dpc : 0;
}

static void test_backup(void)
{
	network_up();
	CHECK(last_dpc_for("4917123456") == PC_B, "primary");
	sccp_node_mtp_pause(A->node, PC_B);
	CHECK(A->n_pcstate == 1 && A->pcstate_pc == PC_B && A->pcstate == SCCP_PC_UNAVAILABLE, "N-PCSTATE");
	CHECK(A->n_state == 1 && A->state_pc == PC_B && A->state_ssn == 6 && !A->state_allowed,
	      "PAUSE prohibits the SSN the rules route to");
	CHECK(last_dpc_for("4917123456") == PC_C, "backup while the primary is paused");
	sccp_node_mtp_resume(A->node, PC_B);
	CHECK(A->n_state == 2 && A->state_allowed, "RESUME allows it again");
	CHECK(last_dpc_for("4917123456") == PC_B, "primary after resume");
	sccp_node_mtp_congested(A->node, PC_B);
	CHECK(last_dpc_for("4917123456") == PC_C, "backup preferred while the primary is congested");
	sccp_node_mtp_resume(A->node, PC_B);

	/* B's SSN 6 out of service: SSP to A, which then uses C */
	sccp_node_subsystem_allowed(B->node, 6, false);
	pump();
	CHECK(!sccp_node_remote_ssn_allowed(A->node, PC_B, 6) && A->state_ssn == 6 && !A->state_allowed,
	      "SSP from B");
	CHECK(last_dpc_for("4917123456") == PC_C, "backup while the subsystem is prohibited");
	sccp_node_subsystem_allowed(B->node, 6, true);
	pump();
	CHECK(sccp_node_remote_ssn_allowed(A->node, PC_B, 6) && A->state_allowed, "SSA from B");
	CHECK(last_dpc_for("4917123456") == PC_B, "primary again");

	sccp_node_mtp_pause(A->node, PC_B);
	sccp_node_mtp_pause(A->node, PC_C);
	CHECK(send_from(A, gt_addr("4917123456", 0), ssn_addr(PC_A, 8), payload, sizeof(payload), true)
	      == -SCCP_NODE_RC(SCCP_RC_MTP_FAILURE) && A->n_notice == 1 && A->notice_cause == SCCP_RC_MTP_FAILURE,
	      "both paused: MTP failure and N-NOTICE");
	network_down();
}

/* --- message return --- */

static void test_return(void)
{
	unsigned int before;

	network_up();
	/* unknown SSN at B: UDTS "unequipped user" back to A's SSN 8 */
	before = n_sent;
	CHECK(send_from(A, ssn_addr(PC_B, 99), ssn_addr(PC_A, 8), payload, sizeof(payload), true) == 0, "sent");
	CHECK(n_sent == before + 2 && decode_sent(before + 1).type == SCCP_MSGT_UDTS
	      && decode_sent(before + 1).return_cause == SCCP_RC_UNEQUIPPED_USER
	      && A->n_notice == 1 && A->notice_ssn == 8 && A->notice_cause == SCCP_RC_UNEQUIPPED_USER,
	      "UDTS unequipped user -> N-NOTICE at A");
	CHECK(sccp_node_ctr(B->node, SCCP_CTR_RET_TX + SCCP_RC_UNEQUIPPED_USER) == 1, "counted by cause");
	/* the same without the return option: nothing comes back */
	before = n_sent;
	send_from(A, ssn_addr(PC_B, 99), ssn_addr(PC_A, 8), payload, sizeof(payload), false);
	CHECK(n_sent == before + 1 && A->n_notice == 1 && sccp_node_ctr(B->node, SCCP_CTR_RET_SUPPRESSED) == 1,
	      "no return option, no UDTS");
	/* B has no rule for 44...: "no translation for this specific address" */
	before = n_sent;
	send_from(A, gt_addr("4455", 0), gt_addr("491700000001", 8), payload, sizeof(payload), true);
	CHECK(n_sent == before + 2 && decode_sent(before + 1).return_cause == SCCP_RC_NO_TRANSLATION_ADDRESS
	      && A->n_notice == 2 && A->notice_cause == SCCP_RC_NO_TRANSLATION_ADDRESS
	      && sccp_node_ctr(B->node, SCCP_CTR_GTT_MISS) == 1, "UDTS no translation, routed back on GT");
	/* a UDTS that cannot be routed is dropped, never answered */
	{
		struct sccp_msg m = { .type = SCCP_MSGT_UDTS, .return_cause = 1, .called = gt_addr("4455", 0),
				      .calling = ssn_addr(PC_A, 8), .data = payload, .data_len = sizeof(payload) };
		uint8_t buf[256];
		int n = sccp_msg_encode(buf, sizeof(buf), &m);

		before = n_sent;
		sccp_node_mtp_transfer_ind(B->node, PC_A, PC_B, 0, buf, n);
		CHECK(n_sent == before && sccp_node_ctr(B->node, SCCP_CTR_SERVICE_DISCARDED) == 1,
		      "no UDTS for a UDTS");
	}
	/* hop counter: an XUDT B must relay with hop counter 1 comes back as XUDTS */
	{
		struct sccp_msg m = { .type = SCCP_MSGT_XUDT, .return_on_error = true, .hop_counter = 1,
				      .called = gt_addr("3312345", 0), .calling = ssn_addr(PC_A, 8),
				      .data = payload, .data_len = sizeof(payload) };
		uint8_t buf[256];
		int n = sccp_msg_encode(buf, sizeof(buf), &m);

		before = n_sent;
		sccp_node_mtp_transfer_ind(B->node, PC_A, PC_B, 3, buf, n);
		pump();
		CHECK(n_sent == before + 1 && sent[before].dpc == PC_A && decode_sent(before).type == SCCP_MSGT_XUDTS
		      && decode_sent(before).return_cause == SCCP_RC_HOP_COUNTER_VIOLATION
		      && A->notice_cause == SCCP_RC_HOP_COUNTER_VIOLATION
		      && sccp_node_ctr(B->node, SCCP_CTR_HOP_VIOLATION) == 1, "hop counter violation");
		/* with 5 hops left: relayed to C with 4; C cannot translate and returns */
		m.hop_counter = 5;
		n = sccp_msg_encode(buf, sizeof(buf), &m);
		before = n_sent;
		sccp_node_mtp_transfer_ind(B->node, PC_A, PC_B, 3, buf, n);
		pump();
		CHECK(n_sent == before + 2 && sent[before].dpc == PC_C && decode_sent(before).hop_counter == 4
		      && sent[before].sls == 3 && decode_sent(before + 1).return_cause == SCCP_RC_NO_TRANSLATION_ADDRESS
		      && sccp_node_ctr(B->node, SCCP_CTR_RELAYED) == 1, "relayed with the hop counter decremented");
	}
	/* local originator: N-NOTICE, and the cause as the return value */
	CHECK(send_from(A, gt_addr("1234", 0), ssn_addr(PC_A, 8), payload, sizeof(payload), true)
	      == -SCCP_NODE_RC(SCCP_RC_NO_TRANSLATION_ADDRESS) && A->notice_cause == SCCP_RC_NO_TRANSLATION_ADDRESS
	      && A->notice_ssn == 8, "N-NOTICE for a local originator");
	before = A->n_notice;
	CHECK(send_from(A, gt_addr("1234", 0), ssn_addr(PC_A, 8), payload, sizeof(payload), false)
	      == -SCCP_NODE_RC(SCCP_RC_NO_TRANSLATION_ADDRESS) && A->n_notice == before,
	      "no N-NOTICE without the return option");
	CHECK(send_from(A, ssn_addr(PC_A, 77), ssn_addr(PC_A, 8), payload, sizeof(payload), false)
	      == -SCCP_NODE_RC(SCCP_RC_UNEQUIPPED_USER), "local SSN nobody serves");
	/* delivered locally on our own GT, SSN from the GT configuration */
	CHECK(send_from(B, gt_addr("491700000001", 0), ssn_addr(PC_B, 8), payload, sizeof(payload), false) == 0
	      && A->n_data == 1 && A->data_ssn == 8 && A->data_len == sizeof(payload), "own GT -> SSN 8");
	network_down();
}

/* --- segmentation and reassembly --- */

static bool drop_last_segment(const struct wire *w)
{
	struct sccp_msg m;

	return sccp_msg_decode(&m, w->data, w->len) == 0 && m.seg_present && m.seg.remaining == 0;
}

static void test_segmentation(void)
{
	static uint8_t big[2000];
	unsigned int before, i, nseg = 0;
	bool fit = true;

	for (i = 0; i < sizeof(big); i++)
		big[i] = i * 7 + (i >> 8);
	network_up();
	before = n_sent;
	CHECK(send_from(A, gt_addr("4917000099", 0), gt_addr("491700000001", 8), big, sizeof(big), true) == 0,
	      "2000 octets sent");
	for (i = before; i < n_sent; i++) {
		nseg++;
		fit &= sent[i].len <= SCCP_MTP3_MAX_MSG_LEN && decode_sent(i).type == SCCP_MSGT_XUDT
		       && sent[i].sls == sent[before].sls;
	}
	CHECK(nseg >= 8 && fit, "%u XUDT segments of at most 268 octets on one SLS", nseg);
	CHECK(B->n_data == 1 && B->data_ssn == 6 && B->data_len == sizeof(big) && !memcmp(B->data, big, sizeof(big)),
	      "reassembled whole at B (%zu octets)", B->data_len);
	CHECK(sccp_node_ctr(A->node, SCCP_CTR_SEGMENTS_TX) == nseg && sccp_node_ctr(B->node, SCCP_CTR_REASM_DONE) == 1,
	      "counters");
	if (emit) {
		printf("# group=seg2000 payload=%s\n", osmo_hexdump_nospc(big, sizeof(big)));
		for (i = before; i < n_sent; i++)
			printf("%s sccp.message_type=0x11 group=seg2000\n", osmo_hexdump_nospc(sent[i].data, sent[i].len));
	}

	/* the last segment lost: T(reassembly) fails it and XUDTS goes back */
	drop = drop_last_segment;
	send_from(A, gt_addr("4917000099", 0), gt_addr("491700000001", 8), big, sizeof(big), true);
	drop = NULL;
	CHECK(B->n_data == 1 && sccp_reasm_count(B->node->reasm) == 1, "waiting for the last segment");
	before = n_sent;
	advance_ms(1900);
	CHECK(n_sent == before, "not before T(reassembly)");
	advance_ms(200);
	CHECK(sccp_node_ctr(B->node, SCCP_CTR_REASM_FAILED) == 1 && sccp_reasm_count(B->node->reasm) == 0,
	      "reassembly timed out");
	CHECK(n_sent == before + 1 && decode_sent(before).type == SCCP_MSGT_XUDTS
	      && decode_sent(before).return_cause == SCCP_RC_SEGMENTATION_FAILURE
	      && A->notice_cause == SCCP_RC_SEGMENTATION_FAILURE, "XUDTS segmentation failure -> N-NOTICE");
	network_down();

	/* LUDT where the configuration allows it */
	{
		struct sccp_node_cfg *c = mkcfg(PC_D);

		c->ludt = true;
		c->max_msg_len = 2100;
		add_rule(c, 1, "49", PC_B, -1, 6);
		network_up();
		D->node = sccp_node_alloc(ctx, c, &ops, D);
		talloc_free(c);
		before = n_sent;
		send_from(D, gt_addr("4917", 0), ssn_addr(PC_D, 8), big, sizeof(big), false);
		CHECK(n_sent == before + 1 && decode_sent(before).type == SCCP_MSGT_LUDT && B->n_data == 1
		      && B->data_len == sizeof(big), "one LUDT");
		network_down();
	}
}

/* --- class 1: one SLS per sequence control value --- */

static void test_sls(void)
{
	struct sccp_unitdata_req req = { .called = ssn_addr(PC_B, 8), .calling = ssn_addr(PC_A, 8),
					 .data = payload, .data_len = sizeof(payload), .proto_class = 1 };
	unsigned int i, before, same = 0, seen = 0;

	network_up();
	hold = true;
	before = n_sent;
	for (i = 0; i < 10; i++) {
		req.seq_ctrl = 0x1234;
		sccp_node_n_unitdata_req(A->node, &req);
		same += sent[n_sent - 1].sls == sent[before].sls;
	}
	CHECK(same == 10 && decode_sent(before).proto_class == 1, "class 1, one sequence control, one SLS");
	for (i = 0; i < 16; i++) {
		req.seq_ctrl = i;
		sccp_node_n_unitdata_req(A->node, &req);
		seen |= 1 << sent[n_sent - 1].sls;
	}
	CHECK(__builtin_popcount(seen) > 4, "different sequence controls spread (%x)", seen);
	req.proto_class = 0;
	seen = 0;
	for (i = 0; i < 16; i++) {
		sccp_node_n_unitdata_req(A->node, &req);
		seen |= 1 << sent[n_sent - 1].sls;
	}
	CHECK(__builtin_popcount(seen) > 4, "class 0 spreads (%x)", seen);
	q_head = q_tail;
	network_down();
}

/* --- SCMG between two nodes --- */

static unsigned int count_scmg(unsigned int from, uint32_t opc, uint8_t type)
{
	unsigned int n = 0;

	for (unsigned int i = from; i < n_sent; i++) {
		struct sccp_msg m = decode_sent(i);

		if (sent[i].opc == opc && m.called.ssn == SCCP_SSN_SCMG && m.data_len >= 5 && m.data[0] == type)
			n++;
	}
	return n;
}

static bool drop_ssa(const struct wire *w)
{
	struct sccp_msg m;

	return sccp_msg_decode(&m, w->data, w->len) == 0 && m.called.ssn == 1 && m.data[0] == 1;
}

static void test_scmg(void)
{
	unsigned int start;

	network_up();
	start = n_sent;
	sccp_node_subsystem_allowed(B->node, 8, false);
	pump();
	CHECK(count_scmg(start, PC_B, 2) == 1 && !sccp_node_remote_ssn_allowed(A->node, PC_B, 8)
	      && A->state_pc == PC_B && A->state_ssn == 8 && !A->state_allowed, "SSP B -> A");
	CHECK(sccp_node_subsystem_allowed(B->node, 99, false) == -ENOENT, "not our SSN");
	advance_ms(999);
	CHECK(count_scmg(start, PC_A, 3) == 0, "no SST before T(stat.info)");
	advance_ms(1);
	CHECK(count_scmg(start, PC_A, 3) == 1 && count_scmg(start, PC_B, 1) == 0, "SST after 1 s, no answer");
	advance_ms(1000);
	CHECK(count_scmg(start, PC_A, 3) == 1, "the interval doubles");
	advance_ms(1000);
	CHECK(count_scmg(start, PC_A, 3) == 2, "second SST after 2 s");
	/* back in service, but the SSA broadcast is lost: the next SST finds it */
	drop = drop_ssa;
	sccp_node_subsystem_allowed(B->node, 8, true);
	pump();
	drop = NULL;
	CHECK(count_scmg(start, PC_B, 1) == 1 && !sccp_node_remote_ssn_allowed(A->node, PC_B, 8), "SSA lost");
	advance_ms(4000);
	CHECK(count_scmg(start, PC_A, 3) == 3 && count_scmg(start, PC_B, 1) == 2
	      && sccp_node_remote_ssn_allowed(A->node, PC_B, 8) && A->state_allowed, "SST answered with SSA");
	advance_ms(16000);
	CHECK(count_scmg(start, PC_A, 3) == 3, "no SST once allowed");
	CHECK(sccp_node_ctr(B->node, SCCP_CTR_SCMG_IN + 2) == 3 && sccp_node_ctr(B->node, SCCP_CTR_SCMG_OUT + 0) == 2
	      && sccp_node_ctr(A->node, SCCP_CTR_SCMG_IN + 1) == 1, "SCMG counters");

	/* SST for SCMG itself is answered; for a prohibited SSN, SST goes on at the upper bound */
	{
		uint8_t sst[5] = { 3, 1, PC_B & 0xff, PC_B >> 8, 0 };
		struct sccp_msg m = { .type = SCCP_MSGT_UDT, .called = ssn_addr(PC_B, 1), .calling = ssn_addr(PC_A, 1),
				      .data = sst, .data_len = 5 };
		uint8_t buf[64];
		int n = sccp_msg_encode(buf, sizeof(buf), &m);

		start = n_sent;
		sccp_node_mtp_transfer_ind(B->node, PC_A, PC_B, 0, buf, n);
		pump();
		CHECK(count_scmg(start, PC_B, 1) == 1, "SST for SSN 1 answered");
	}
	sccp_node_subsystem_allowed(B->node, 8, false);
	pump();
	start = n_sent;
	advance_ms(1000 + 2000 + 4000 + 4000 + 4000);
	CHECK(count_scmg(start, PC_A, 3) == 5, "SST interval bounded by stat-info-max");
	network_down();
}

/* --- hostile input, back-pressure --- */

static void test_hostile(void)
{
	/* a valid UDT, then one field broken at a time */
	static const struct { int off; uint8_t val; int len; enum sccp_err err; } bad[] = {
		{ 1, 0x02, 0, SCCP_ERR_PROTO_CLASS },	/* class 2 */
		{ 1, 0x83, 0, SCCP_ERR_PROTO_CLASS },	/* class 3 with return option */
		{ 0, 0x01, 0, SCCP_ERR_MSG_TYPE },	/* CR: not connectionless */
		{ 0, 0xff, 0, SCCP_ERR_MSG_TYPE },	/* no such type */
		{ 2, 0x00, 0, SCCP_ERR_PTR_ZERO },	/* called address pointer */
		{ 4, 0xf0, 0, SCCP_ERR_PTR_RANGE },	/* data pointer past the end */
		{ -1, 0, 3, SCCP_ERR_TRUNCATED },	/* cut inside the pointers */
		{ -1, 0, 0, SCCP_ERR_TRUNCATED },	/* empty */
	};
	struct sccp_msg good = { .type = SCCP_MSGT_UDT, .called = ssn_addr(PC_B, 8), .calling = ssn_addr(PC_A, 8),
				 .data = payload, .data_len = sizeof(payload) };
	uint8_t buf[300], msg[300];
	uint64_t errs = 0, ins = 0;
	unsigned int i;
	int rc, good_len;

	network_up();
	good_len = sccp_msg_encode(msg, sizeof(msg), &good);
	CHECK(sccp_node_mtp_transfer_ind(B->node, PC_A, PC_B, 0, NULL, 5) == -EINVAL, "NULL data");
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		unsigned int idx = SCCP_CTR_DECODE_ERR + bad[i].err - 1;
		uint64_t before = sccp_node_ctr(B->node, idx);

		memcpy(buf, msg, good_len);
		if (bad[i].off >= 0)
			buf[bad[i].off] = bad[i].val;
		rc = sccp_node_mtp_transfer_ind(B->node, PC_A, PC_B, 0, buf, bad[i].off >= 0 ? good_len : bad[i].len);
		CHECK(rc == -EBADMSG && sccp_node_ctr(B->node, idx) == before + 1, "bad %u: rc %d, counted as %s", i,
		      rc, sccp_err_name(bad[i].err));
	}
	CHECK(sccp_node_mtp_transfer_ind(B->node, PC_A, PC_B, 0, msg, good_len) == 0 && B->n_data == 1,
	      "the unbroken message is delivered");
	/* bad SCMG: too short, unknown type */
	{
		static const uint8_t short_scmg[2] = { 3, 8 }, unknown[5] = { 9, 8, 0, 0, 0 };
		struct sccp_msg m = { .type = SCCP_MSGT_UDT, .called = ssn_addr(PC_B, 1), .calling = ssn_addr(PC_A, 1),
				      .data = short_scmg, .data_len = 2 };
		int n = sccp_msg_encode(buf, sizeof(buf), &m);

		sccp_node_mtp_transfer_ind(B->node, PC_A, PC_B, 0, buf, n);
		m.data = unknown;
		m.data_len = 5;
		n = sccp_msg_encode(buf, sizeof(buf), &m);
		sccp_node_mtp_transfer_ind(B->node, PC_A, PC_B, 0, buf, n);
		CHECK(sccp_node_ctr(B->node, SCCP_CTR_SCMG_IN + 6) == 2, "bad SCMG counted");
	}
	/* mutations of a valid XUDT segment: every input counted, no crash */
	{
		struct sccp_msg m = { .type = SCCP_MSGT_XUDT, .proto_class = 1, .hop_counter = 9, .return_on_error = true,
				      .called = gt_addr("4917000000", 6), .calling = ssn_addr(PC_A, 8),
				      .data = payload, .data_len = sizeof(payload), .seg_present = true,
				      .seg = { .first = true, .remaining = 2, .local_ref = 5 } };
		int n = sccp_msg_encode(buf, sizeof(buf), &m);
		uint8_t mut[300];

		n_sent = 0;
		srandom(11);
		for (i = 0; i < 20000; i++) {
			int len = n - 3 + random() % 6;

			memcpy(mut, buf, sizeof(mut));
			for (int k = random() % 4; k >= 0; k--)
				mut[random() % n] = random();
			sccp_node_mtp_transfer_ind(B->node, PC_A, PC_B, 0, mut, len);
			q_head = q_tail;
			n_sent = 0;
		}
		for (i = 0; i < 6; i++)
			ins += sccp_node_ctr(B->node, SCCP_CTR_MSG_IN + i);
		for (i = 1; i < _SCCP_ERR_COUNT; i++)
			errs += sccp_node_ctr(B->node, SCCP_CTR_DECODE_ERR + i - 1);
		CHECK(ins + errs == 20000 + 3 + ARRAY_SIZE(bad), "every input counted (%" PRIu64 " + %" PRIu64 ")",
		      ins, errs);
		advance_ms(5000);
		CHECK(sccp_reasm_count(B->node->reasm) == 0, "reassembly contexts expire");
	}
	/* back-pressure and MTP errors at the request */
	mtp_rc = -ENOBUFS;
	rc = send_from(A, ssn_addr(PC_B, 8), ssn_addr(PC_A, 8), payload, sizeof(payload), true);
	CHECK(rc == -ENOBUFS && sccp_node_ctr(A->node, SCCP_CTR_DROP_BACKPRESSURE) == 1, "ENOBUFS");
	mtp_rc = -EHOSTUNREACH;
	rc = send_from(A, ssn_addr(PC_B, 8), ssn_addr(PC_A, 8), payload, sizeof(payload), true);
	CHECK(rc == -SCCP_NODE_RC(SCCP_RC_MTP_FAILURE) && A->notice_cause == SCCP_RC_MTP_FAILURE, "EHOSTUNREACH");
	mtp_rc = 0;
	{
		struct sccp_unitdata_req req = { .called = ssn_addr(PC_B, 8), .calling = ssn_addr(PC_A, 8),
						 .data = payload, .data_len = sizeof(payload), .proto_class = 2 };

		CHECK(sccp_node_n_unitdata_req(A->node, &req) == -EINVAL, "class 2 request refused");
		req.proto_class = 0;
		req.data_len = 5000;
		CHECK(sccp_node_n_unitdata_req(A->node, &req) == -EINVAL, "oversized request refused");
	}
	network_down();
}

/* every UDTS/XUDTS and SCMG message sent, with what tshark must show */
static void emit_sent(unsigned int from)
{
	for (unsigned int i = from; i < n_sent; i++) {
		struct sccp_msg m = decode_sent(i);
		const char *hex = osmo_hexdump_nospc(sent[i].data, sent[i].len);

		if (m.type == SCCP_MSGT_UDTS || m.type == SCCP_MSGT_XUDTS)
			printf("%s sccp.message_type=%u sccp.return_cause=%u\n", hex, m.type, m.return_cause);
		else if (m.called.route_on_ssn && m.called.ssn == SCCP_SSN_SCMG)
			printf("%s sccp.called.ssn=1 sccpmg.message_type=%u sccpmg.ssn=%u sccpmg.pc=%u sccpmg.smi=0\n",
			       hex, m.data[0], m.data[1], (m.data[2] | m.data[3] << 8) & 0x3fff);
	}
}

static const struct log_info_cat log_cats[] = { SCCP_NODE_LOG_CAT };
static const struct log_info log_info = { .cat = log_cats, .num_cat = ARRAY_SIZE(log_cats) };

int main(int argc, char **argv)
{
	void (*tests[])(void) = { test_gtt_trie, test_gtt_table, test_backup, test_return, test_segmentation,
				  test_sls, test_scmg, test_hostile };

	emit = argc > 1 && !strcmp(argv[1], "--emit");
	ctx = talloc_named_const(NULL, 0, "test");
	osmo_init_logging2(ctx, &log_info);
	log_set_print_category(osmo_stderr_target, 1);
	log_set_log_level(osmo_stderr_target, emit ? LOGL_FATAL : LOGL_NOTICE);
	sccp_node_log_ss = 0;
	osmo_gettimeofday_override = true;
	osmo_gettimeofday_override_time = (struct timeval){ .tv_sec = 1000 };

	for (unsigned int i = 0; i < ARRAY_SIZE(tests); i++) {
		n_sent = 0;
		tests[i]();
		if (emit && tests[i] != test_hostile)
			emit_sent(0);
	}
	fprintf(emit ? stderr : stdout, "%d passed, %d failed\n", passed, failed);
	talloc_free(ctx);
	return failed ? 1 : 0;
}
