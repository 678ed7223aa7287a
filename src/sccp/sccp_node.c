/*
 * The SCCP node's life cycle and its connectionless control (Q.714 clause 4)
 * on the receiving side: delivery to a local subsystem after XUDT reassembly,
 * message return on error, N-NOTICE; MTP-PAUSE/RESUME/STATUS and N-STATE
 * requests; counters and rate-limited logging.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <osmocom/core/stats.h>
#include <osmocom/core/talloc.h>

#include "sccp_node_priv.h"

int sccp_node_log_ss = DLSCCP;

const struct value_string sccp_pc_state_names[] = {
	{ SCCP_PC_AVAILABLE,	"available" },
	{ SCCP_PC_UNAVAILABLE,	"unavailable" },
	{ SCCP_PC_CONGESTED,	"congested" },
	{ 0, NULL }
};

/* --- counters: names follow enum sccp_node_ctr --- */

#define MSGT_CTRS(dir) \
	{ "msg:" dir ":udt", "UDT " dir }, { "msg:" dir ":udts", "UDTS " dir }, \
	{ "msg:" dir ":xudt", "XUDT " dir }, { "msg:" dir ":xudts", "XUDTS " dir }, \
	{ "msg:" dir ":ludt", "LUDT " dir }, { "msg:" dir ":ludts", "LUDTS " dir }
#define CAUSE_CTRS(p, d) \
	{ p "no-translation-nature", d "no translation for an address of such nature" }, \
	{ p "no-translation-address", d "no translation for this specific address" }, \
	{ p "subsystem-congestion", d "subsystem congestion" }, \
	{ p "subsystem-failure", d "subsystem failure" }, \
	{ p "unequipped-user", d "unequipped user" }, \
	{ p "mtp-failure", d "MTP failure" }, \
	{ p "network-congestion", d "network congestion" }, \
	{ p "unqualified", d "unqualified" }, \
	{ p "error-in-transport", d "error in message transport" }, \
	{ p "error-in-local-processing", d "error in local processing" }, \
	{ p "cannot-reassemble", d "destination cannot perform reassembly" }, \
	{ p "sccp-failure", d "SCCP failure" }, \
	{ p "hop-counter-violation", d "hop counter violation" }, \
	{ p "segmentation-not-supported", d "segmentation not supported" }, \
	{ p "segmentation-failure", d "segmentation failure" }
#define SCMG_CTRS(dir) \
	{ "scmg:" dir ":ssa", "SCMG SSA " dir }, { "scmg:" dir ":ssp", "SCMG SSP " dir }, \
	{ "scmg:" dir ":sst", "SCMG SST " dir }, { "scmg:" dir ":sor", "SCMG SOR " dir }, \
	{ "scmg:" dir ":sog", "SCMG SOG " dir }, { "scmg:" dir ":ssc", "SCMG SSC " dir }

static const struct rate_ctr_desc ctr_desc[] = {
	MSGT_CTRS("in"),
	MSGT_CTRS("out"),
	CAUSE_CTRS("return:", "UDTS/XUDTS/LUDTS sent: "),
	CAUSE_CTRS("notice:", "N-NOTICE: "),
	{ "decode:truncated", "undecodable: truncated" },
	{ "decode:msg-type", "undecodable: message type" },
	{ "decode:proto-class", "undecodable: protocol class" },
	{ "decode:ptr-zero", "undecodable: zero pointer" },
	{ "decode:ptr-range", "undecodable: pointer out of range" },
	{ "decode:len-range", "undecodable: length out of range" },
	{ "decode:part-empty", "undecodable: empty mandatory part" },
	{ "decode:overlap", "undecodable: overlapping parts" },
	{ "decode:opt-truncated", "undecodable: optional part truncated" },
	{ "decode:opt-len", "undecodable: optional parameter length" },
	{ "decode:opt-dup", "undecodable: optional parameter twice" },
	{ "decode:addr-truncated", "undecodable: address truncated" },
	{ "decode:addr-trailing", "undecodable: octets after an address" },
	{ "decode:gti", "undecodable: global title indicator" },
	{ "decode:gt-too-long", "undecodable: global title too long" },
	{ "decode:gt-odd-even", "undecodable: global title odd/even" },
	{ "decode:data-too-long", "undecodable: data too long" },
	{ "decode:buf-too-small", "undecodable: buffer" },
	{ "decode:invalid", "undecodable: invalid field" },
	{ "decode:seg-too-long", "undecodable: segmentation" },
	SCMG_CTRS("in"),
	{ "scmg:in:bad", "SCMG messages undecodable or of unknown type" },
	SCMG_CTRS("out"),
	{ "gtt:miss", "global titles without a translation rule" },
	{ "hop-counter-violation", "messages whose hop counter ran out" },
	{ "reassembly:done", "messages reassembled from XUDT segments" },
	{ "reassembly:failed", "reassemblies given up" },
	{ "segments:out", "XUDT segments sent" },
	{ "drop:backpressure", "messages dropped: MTP queue full" },
	{ "tx:error", "messages MTP refused otherwise" },
	{ "delivered", "N-UNITDATA indications" },
	{ "relayed", "messages relayed after translation" },
	{ "return:suppressed", "messages that failed without the return option" },
	{ "return:service-discarded", "service messages that failed (never returned)" },
	{ "local:failed", "N-UNITDATA requests refused with a return cause" },
};
osmo_static_assert(ARRAY_SIZE(ctr_desc) == _SCCP_CTR_COUNT, sccp_ctr_table_complete);

static const struct rate_ctr_group_desc ctrg_desc = {
	.group_name_prefix = "sccp_node",
	.group_description = "gateway SCCP node",
	.class_id = OSMO_STATS_CLASS_GLOBAL,
	.num_ctr = ARRAY_SIZE(ctr_desc),
	.ctr_desc = ctr_desc,
};

int sccp_node_msgt_idx(uint8_t type)
{
	switch (type) {
	case SCCP_MSGT_UDT: return 0;
	case SCCP_MSGT_UDTS: return 1;
	case SCCP_MSGT_XUDT: return 2;
	case SCCP_MSGT_XUDTS: return 3;
	case SCCP_MSGT_LUDT: return 4;
	default: return 5;
	}
}

struct rate_ctr_group *sccp_node_ctrs(const struct sccp_node *node)
{
	return node->ctrs;
}

uint64_t sccp_node_ctr(const struct sccp_node *node, unsigned int idx)
{
	return idx < _SCCP_CTR_COUNT ? rate_ctr_group_get_ctr(node->ctrs, idx)->current : 0;
}

/* libosmocore 1.7's osmo_timer follows osmo_gettimeofday (and its override in
 * tests), so the reassembly clock must too. */
uint64_t sccp_node_now_ms(void)
{
	struct timeval tv;

	osmo_gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

void sccp_node_logl(struct sccp_node *node, enum sccp_log_kind kind, int level, const char *fmt, ...)
{
	char line[256];
	struct timeval tv;
	va_list ap;

	if (!osmo_log_info || !log_check_level(sccp_node_log_ss, level))
		return;
	osmo_gettimeofday(&tv, NULL);
	if (node->log_limit[kind].sec == tv.tv_sec) {
		node->log_limit[kind].suppressed++;
		return;
	}
	node->log_limit[kind].sec = tv.tv_sec;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (node->log_limit[kind].suppressed)
		SCCP_LOG(level, "SCCP(%s): %s (and %u similar in the last second)\n",
		     sccp_pc_str(node->cfg->pc), line, node->log_limit[kind].suppressed);
	else
		SCCP_LOG(level, "SCCP(%s): %s\n", sccp_pc_str(node->cfg->pc), line);
	node->log_limit[kind].suppressed = 0;
}

/* --- point codes --- */

int sccp_pc_parse(uint32_t *pc, const char *s)
{
	unsigned int a, b, c;
	char end;

	if (sscanf(s, "%u.%u.%u%c", &a, &b, &c, &end) == 3) {
		if (a > 7 || b > 255 || c > 7)
			return -EINVAL;
		*pc = a << 11 | b << 3 | c;
		return 0;
	}
	if (sscanf(s, "%u%c", &a, &end) == 1 && a <= SCCP_PC_MAX && strchr(s, '.') == NULL) {
		*pc = a;
		return 0;
	}
	return -EINVAL;
}

const char *sccp_pc_str(uint32_t pc)
{
	static __thread char buf[4][16];
	static __thread unsigned int i;
	char *b = buf[i++ % 4];

	snprintf(b, sizeof(buf[0]), "%u.%u.%u", (pc >> 11) & 7, (pc >> 3) & 0xff, pc & 7);
	return b;
}

/* --- configuration and life cycle --- */

struct sccp_node_cfg *sccp_node_cfg_alloc(void *ctx)
{
	struct sccp_node_cfg *cfg = talloc_zero(ctx, struct sccp_node_cfg);

	if (!cfg)
		return NULL;
	cfg->t_stat_info_ms = 30000;
	cfg->t_stat_info_max_ms = 600000;
	cfg->t_reasm_ms = 10000;
	cfg->reasm_max_contexts = 256;
	cfg->reasm_max_total = 1 << 20;
	cfg->reasm_max_msg = SCCP_LONG_DATA_MAX;
	cfg->max_msg_len = SCCP_MTP3_MAX_MSG_LEN;
	return cfg;
}

static int cfg_check(const struct sccp_node_cfg *c)
{
	unsigned int i;

	if (c->pc > SCCP_PC_MAX || c->num_gt > SCCP_NODE_MAX_GT || c->num_ssn > SCCP_NODE_MAX_SSN
	    || c->num_concerned > SCCP_NODE_MAX_CONCERNED || c->max_msg_len < 64 || c->max_msg_len > 4096
	    || !c->t_stat_info_ms || c->t_stat_info_max_ms < c->t_stat_info_ms || !c->t_reasm_ms)
		return -EINVAL;
	for (i = 0; i < c->num_concerned; i++) {
		if (c->concerned_pc[i] > SCCP_PC_MAX)
			return -EINVAL;
	}
	return 0;
}

static void reasm_timer_cb(void *data);

static int node_destructor(struct sccp_node *node);

struct sccp_node *sccp_node_alloc(void *ctx, const struct sccp_node_cfg *cfg,
				  const struct sccp_node_ops *ops, void *priv)
{
	struct sccp_reasm_cfg rcfg;
	struct sccp_node *node;
	unsigned int i;

	if (!cfg || !ops || !ops->mtp_transfer_req || !ops->n_unitdata_ind || cfg_check(cfg) < 0) {
		SCCP_LOG(LOGL_ERROR, "SCCP node: bad configuration\n");
		return NULL;
	}
	node = talloc_zero(ctx, struct sccp_node);
	if (!node)
		return NULL;
	INIT_LLIST_HEAD(&node->rss);
	talloc_set_destructor(node, node_destructor);
	node->ops = ops;
	node->priv = priv;
	node->cfg = talloc_memdup(node, cfg, sizeof(*cfg));
	if (!node->cfg)
		goto fail;
	node->cfg->rules = cfg->num_rules ? talloc_memdup(node->cfg, cfg->rules, cfg->num_rules * sizeof(*cfg->rules))
					  : NULL;
	node->gtt = sccp_gtt_build(node, cfg->rules, cfg->num_rules);
	if (!node->gtt || (cfg->num_rules && !node->cfg->rules)) {
		SCCP_LOG(LOGL_ERROR, "SCCP node: bad GTT rules\n");
		goto fail;
	}
	rcfg = (struct sccp_reasm_cfg){
		.max_contexts = cfg->reasm_max_contexts,
		.max_total = cfg->reasm_max_total,
		.max_msg = cfg->reasm_max_msg,
		.timeout_ms = cfg->t_reasm_ms,
	};
	node->reasm = sccp_reasm_alloc(&rcfg);
	if (!node->reasm)
		goto fail;
	osmo_timer_setup(&node->t_reasm, reasm_timer_cb, node);
	for (i = 0; i < cfg->num_ssn; i++) {
		node->ssn_ours[cfg->ssn[i]] = true;
		node->ssn_allowed[cfg->ssn[i]] = true;
	}
	node->ctrs = rate_ctr_group_alloc(node, &ctrg_desc, cfg->pc);
	if (!node->ctrs)
		goto fail;
	/* the subsystems the rules route to: a PAUSE of their PC prohibits them */
	for (i = 0; i < cfg->num_rules; i++) {
		const struct sccp_gtt_rule *r = &cfg->rules[i];

		if (r->ssn && r->dpc != cfg->pc)
			sccp_scmg_track(node, r->dpc, r->ssn);
		if (r->ssn && r->has_backup && r->backup_dpc != cfg->pc)
			sccp_scmg_track(node, r->backup_dpc, r->ssn);
	}
	return node;
fail:
	sccp_node_free(node);
	return NULL;
}

/* Also run when a talloc parent of the node is freed: the timers, the reassembly
 * buffers (malloc'ed by sccp_sclc.c) and the counter group go with it. */
static int node_destructor(struct sccp_node *node)
{
	sccp_scmg_free(node);
	osmo_timer_del(&node->t_reasm);
	if (node->reasm)
		sccp_reasm_free(node->reasm);
	node->reasm = NULL;
	if (node->ctrs)
		rate_ctr_group_free(node->ctrs);
	node->ctrs = NULL;
	return 0;
}

void sccp_node_free(struct sccp_node *node)
{
	talloc_free(node);
}

const struct sccp_node_cfg *sccp_node_get_cfg(const struct sccp_node *node)
{
	return node->cfg;
}

enum sccp_pc_state sccp_node_pc_state(const struct sccp_node *node, uint32_t pc)
{
	return node->pc_state[pc & SCCP_PC_MAX];
}

bool sccp_node_remote_ssn_allowed(const struct sccp_node *node, uint32_t pc, uint8_t ssn)
{
	return sccp_scmg_allowed(node, pc & SCCP_PC_MAX, ssn);
}

bool sccp_node_local_ssn_allowed(const struct sccp_node *node, uint8_t ssn)
{
	return node->ssn_allowed[ssn];
}

/* --- MTP and N-STATE inputs --- */

static void pc_set(struct sccp_node *node, uint32_t pc, enum sccp_pc_state st)
{
	pc &= SCCP_PC_MAX;
	if (node->pc_state[pc] == st)
		return;
	node->pc_state[pc] = st;
	SCCP_LOG(LOGL_NOTICE, "SCCP(%s): PC %s %s\n", sccp_pc_str(node->cfg->pc),
	     sccp_pc_str(pc), get_value_string(sccp_pc_state_names, st));
	if (node->ops->n_pcstate_ind)
		node->ops->n_pcstate_ind(node->priv, pc, st);
}

void sccp_node_mtp_pause(struct sccp_node *node, uint32_t pc)
{
	bool was = node->pc_state[pc & SCCP_PC_MAX] == SCCP_PC_UNAVAILABLE;

	pc_set(node, pc, SCCP_PC_UNAVAILABLE);
	if (!was)
		sccp_scmg_pc_down(node, pc & SCCP_PC_MAX);
}

void sccp_node_mtp_resume(struct sccp_node *node, uint32_t pc)
{
	bool was = node->pc_state[pc & SCCP_PC_MAX] == SCCP_PC_UNAVAILABLE;

	pc_set(node, pc, SCCP_PC_AVAILABLE);
	if (was)
		sccp_scmg_pc_up(node, pc & SCCP_PC_MAX);
}

void sccp_node_mtp_congested(struct sccp_node *node, uint32_t pc)
{
	/* a congestion report for a PC we hold paused does not make it reachable */
	if (node->pc_state[pc & SCCP_PC_MAX] != SCCP_PC_UNAVAILABLE)
		pc_set(node, pc, SCCP_PC_CONGESTED);
}

int sccp_node_subsystem_allowed(struct sccp_node *node, uint8_t ssn, bool allowed)
{
	if (!node->ssn_ours[ssn])
		return -ENOENT;
	if (node->ssn_allowed[ssn] == allowed)
		return 0;
	node->ssn_allowed[ssn] = allowed;
	SCCP_LOG(LOGL_NOTICE, "SCCP(%s): local SSN %u %s\n", sccp_pc_str(node->cfg->pc), ssn,
	     allowed ? "in service" : "out of service");
	sccp_scmg_broadcast(node, ssn, allowed);
	return 0;
}

/* --- SCLC: delivery, reassembly, return --- */

static void notice(struct sccp_node *node, uint8_t ssn, uint8_t cause, const struct sccp_msg *msg)
{
	sccp_ctr_inc(node, SCCP_CTR_NOTICE + OSMO_MIN(cause, 14));
	if (node->ops->n_notice_ind)
		node->ops->n_notice_ind(node->priv, ssn, cause, msg);
}

static void reasm_arm(struct sccp_node *node)
{
	uint64_t next = sccp_reasm_next_expiry(node->reasm), now = sccp_node_now_ms();

	if (next == UINT64_MAX) {
		osmo_timer_del(&node->t_reasm);
		return;
	}
	next = next > now ? next - now : 0;
	osmo_timer_schedule(&node->t_reasm, next / 1000, (next % 1000) * 1000);
}

static void reasm_failed(struct sccp_node *node, struct sccp_reasm_result *res, uint32_t opc)
{
	sccp_ctr_inc(node, SCCP_CTR_REASM_FAILED);
	sccp_node_logl(node, SCCP_LOGK_REASM, LOGL_NOTICE, "reassembly from %s failed: %s",
		       sccp_pc_str(opc), sccp_return_cause_name(res->return_cause));
	if (res->have_msg)
		sccp_sclc_return(node, &res->msg, opc, 0, res->return_cause);
}

static void reasm_timer_cb(void *data)
{
	struct sccp_node *node = data;
	struct sccp_reasm_result res;

	while (sccp_reasm_expire(node->reasm, sccp_node_now_ms(), &res)) {
		/* the calling address tells where the first segment came from */
		uint32_t opc = (res.have_msg && (res.msg.calling.present & SCCP_ADDR_PC)) ? res.msg.calling.pc : 0;

		reasm_failed(node, &res, opc);
		sccp_reasm_result_clear(&res);
	}
	reasm_arm(node);
}

static void deliver(struct sccp_node *node, uint8_t ssn, const struct sccp_msg *msg)
{
	sccp_ctr_inc(node, SCCP_CTR_DELIVERED);
	node->ops->n_unitdata_ind(node->priv, ssn, msg);
}

void sccp_sclc_deliver(struct sccp_node *node, const struct sccp_msg *msg, uint32_t opc, uint8_t ssn)
{
	struct sccp_reasm_result res;

	if (ssn == SCCP_SSN_SCMG) {
		sccp_scmg_rx(node, msg, opc);
		return;
	}
	if (msg->type == SCCP_MSGT_UDTS || msg->type == SCCP_MSGT_XUDTS || msg->type == SCCP_MSGT_LUDTS) {
		notice(node, ssn, msg->return_cause, msg);
		return;
	}
	if (!msg->seg_present || (msg->seg.first && msg->seg.remaining == 0)) {
		deliver(node, ssn, msg);
		return;
	}
	switch (sccp_reasm_add(node->reasm, msg, opc, sccp_node_now_ms(), &res)) {
	case SCCP_REASM_DONE:
		sccp_ctr_inc(node, SCCP_CTR_REASM_DONE);
		deliver(node, ssn, &res.msg);
		break;
	case SCCP_REASM_FAILED:
		reasm_failed(node, &res, opc);
		break;
	case SCCP_REASM_DISCARDED:
		sccp_node_logl(node, SCCP_LOGK_REASM, LOGL_INFO, "segment from %s discarded", sccp_pc_str(opc));
		break;
	case SCCP_REASM_PENDING:
		break;
	}
	sccp_reasm_result_clear(&res);
	reasm_arm(node);
}

void sccp_sclc_return(struct sccp_node *node, const struct sccp_msg *msg, uint32_t opc, uint8_t sls,
		      uint8_t cause)
{
	struct sccp_route rt;
	struct sccp_msg ret;
	uint32_t dpc = opc;

	sccp_node_logl(node, SCCP_LOGK_ROUTE, LOGL_INFO, "%s from %s not routed: %s", sccp_msgt_name(msg->type),
		       sccp_pc_str(opc), sccp_return_cause_name(cause));
	if (sccp_sclc_make_return(&ret, msg, cause) < 0) {
		/* Q.714 4.2: a service message is never answered by another */
		sccp_ctr_inc(node, SCCP_CTR_SERVICE_DISCARDED);
		return;
	}
	if (!msg->return_on_error) {
		sccp_ctr_inc(node, SCCP_CTR_RET_SUPPRESSED);
		return;
	}
	/* back along the calling address; the previous hop when that fails */
	if (ret.called.route_on_ssn && !(ret.called.present & SCCP_ADDR_PC)) {
		ret.called.pc = opc;
		ret.called.present |= SCCP_ADDR_PC;
	}
	if (ret.called.route_on_ssn) {
		dpc = ret.called.pc;
		if (dpc == node->cfg->pc) {
			/* returned to one of our own users (e.g. a relay to ourselves) */
			notice(node, ret.called.ssn, cause, &ret);
			return;
		}
	} else {
		sccp_scrc_route(node, &ret, false, &rt);
		if (rt.kind == SCCP_ROUTE_REMOTE) {
			dpc = rt.dpc;
			ret.called = rt.called;
		} else if (rt.kind == SCCP_ROUTE_LOCAL) {
			notice(node, rt.ssn, cause, &ret);
			return;
		}
	}
	if (sccp_scrc_send(node, &ret, dpc, sls) == 0)
		sccp_ctr_inc(node, SCCP_CTR_RET_TX + OSMO_MIN(cause, 14));
}
