/*
 * TCAP transaction sublayer and dialogue handling (Q.774 3.1, 3.2): transaction
 * ids, the dialogue state machine (an osmo_fsm table), AARQ/AARE/ABRT, aborts,
 * idle timeout, and the path from and to SCCP. Components: tcap_csl.c.
 */
#include <errno.h>
#include <string.h>

#include <osmocom/core/logging.h>
#include <osmocom/core/stats.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include "tcap_int.h"

const struct value_string tc_dlg_prim_names[] = {
	{ TC_NONE, "TC-(components)" },
	{ TC_UNI, "TC-UNI" },
	{ TC_BEGIN, "TC-BEGIN" },
	{ TC_CONTINUE, "TC-CONTINUE" },
	{ TC_END, "TC-END" },
	{ TC_U_ABORT, "TC-U-ABORT" },
	{ TC_P_ABORT, "TC-P-ABORT" },
	{ TC_NOTICE, "TC-NOTICE" },
	{ 0, NULL }
};

static const struct rate_ctr_desc tcap_ctr_desc[] = {
	[TCAP_CTR_RX_UNI] = { "rx:uni", "Unidirectional received" },
	[TCAP_CTR_RX_BEGIN] = { "rx:begin", "Begin received" },
	[TCAP_CTR_RX_END] = { "rx:end", "End received" },
	[TCAP_CTR_RX_CONTINUE] = { "rx:continue", "Continue received" },
	[TCAP_CTR_RX_ABORT] = { "rx:abort", "Abort received" },
	[TCAP_CTR_TX_UNI] = { "tx:uni", "Unidirectional sent" },
	[TCAP_CTR_TX_BEGIN] = { "tx:begin", "Begin sent" },
	[TCAP_CTR_TX_END] = { "tx:end", "End sent" },
	[TCAP_CTR_TX_CONTINUE] = { "tx:continue", "Continue sent" },
	[TCAP_CTR_TX_ABORT] = { "tx:abort", "Abort sent" },
	[TCAP_CTR_RX_DECODE_ERR] = { "rx:decode_error", "Messages that did not parse" },
	[TCAP_CTR_RX_UNKNOWN_TID] = { "rx:unknown_tid", "Messages for a dialogue we do not have" },
	[TCAP_CTR_RX_FOREIGN_TID] = { "rx:foreign_tid", "Messages for another instance's dialogue" },
	[TCAP_CTR_TX_PABORT_MSG_TYPE] = { "tx:pabort:unrecognized_msg_type", "P-Abort sent" },
	[TCAP_CTR_TX_PABORT_UNKNOWN_TID] = { "tx:pabort:unrecognized_tid", "P-Abort sent" },
	[TCAP_CTR_TX_PABORT_BAD_FORMAT] = { "tx:pabort:badly_formatted", "P-Abort sent" },
	[TCAP_CTR_TX_PABORT_INCORRECT] = { "tx:pabort:incorrect_tx_portion", "P-Abort sent" },
	[TCAP_CTR_TX_PABORT_RESOURCE] = { "tx:pabort:resource_limitation", "P-Abort sent" },
	[TCAP_CTR_RX_PABORT_MSG_TYPE] = { "rx:pabort:unrecognized_msg_type", "P-Abort received" },
	[TCAP_CTR_RX_PABORT_UNKNOWN_TID] = { "rx:pabort:unrecognized_tid", "P-Abort received" },
	[TCAP_CTR_RX_PABORT_BAD_FORMAT] = { "rx:pabort:badly_formatted", "P-Abort received" },
	[TCAP_CTR_RX_PABORT_INCORRECT] = { "rx:pabort:incorrect_tx_portion", "P-Abort received" },
	[TCAP_CTR_RX_PABORT_RESOURCE] = { "rx:pabort:resource_limitation", "P-Abort received" },
	[TCAP_CTR_TX_UABORT] = { "tx:uabort", "User aborts sent (ABRT user, AARE refusal)" },
	[TCAP_CTR_RX_UABORT] = { "rx:uabort", "User aborts received" },
	[TCAP_CTR_TX_PROVIDER_ABORT] = { "tx:abrt_provider", "ABRT/AARE from the dialogue provider sent" },
	[TCAP_CTR_RX_PROVIDER_ABORT] = { "rx:abrt_provider", "ABRT/AARE from the dialogue provider received" },
	[TCAP_CTR_TX_REJECT] = { "tx:reject", "Reject components sent" },
	[TCAP_CTR_RX_REJECT] = { "rx:reject", "Reject components received" },
	[TCAP_CTR_L_REJECT] = { "l_reject", "Received components found wrong (TC-L-REJECT)" },
	[TCAP_CTR_INVOKE_TIMEOUT] = { "invoke_timeout", "Invoke timers expired (TC-L-CANCEL)" },
	[TCAP_CTR_DIALOGUE_TIMEOUT] = { "dialogue_timeout", "Dialogues ended by the idle timer" },
	[TCAP_CTR_NOTICE] = { "notice", "Messages returned by SCCP (TC-NOTICE)" },
};

static const struct rate_ctr_group_desc tcap_ctrg_desc = {
	.group_name_prefix = "tcap",
	.group_description = "TCAP entity",
	.class_id = OSMO_STATS_CLASS_GLOBAL,
	.num_ctr = ARRAY_SIZE(tcap_ctr_desc),
	.ctr_desc = tcap_ctr_desc,
};

static const struct osmo_tdef tcap_tdefs_default[] = {
	{ .T = TCAP_T_IDLE, .default_val = 60, .unit = OSMO_TDEF_S,
	  .desc = "TCAP dialogue idle timeout: the dialogue is aborted towards both sides" },
	{ .T = TCAP_T_INVOKE, .default_val = 30, .unit = OSMO_TDEF_S,
	  .desc = "TCAP invoke timer when the TC-user gives none" },
	{}
};

static const uint8_t pv_version1[] = { 0x07, 0x80 };

/* --- the dialogue state machine (Q.774 Figure A.4/A.5, states and transitions only:
 * the work is done by the callers, which check the table before acting) --- */

static const struct value_string tcap_dlg_event_names[] = {
	{ TCAP_EV_BEGIN_REQ, "TC-BEGIN.req" },
	{ TCAP_EV_BEGIN_RCV, "BEGIN.rcv" },
	{ TCAP_EV_CONTINUE_REQ, "TC-CONTINUE.req" },
	{ TCAP_EV_CONTINUE_RCV, "CONTINUE.rcv" },
	{ TCAP_EV_END_REQ, "TC-END.req" },
	{ TCAP_EV_END_RCV, "END.rcv" },
	{ TCAP_EV_ABORT_REQ, "TC-U-ABORT.req" },
	{ TCAP_EV_ABORT_RCV, "ABORT.rcv" },
	{ TCAP_EV_LOCAL_END, "local-end" },
	{ 0, NULL }
};

static void dlg_action(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct tcap_dlg *d = fi->priv;
	unsigned long idle = osmo_tdef_get(d->ctx->tdefs, TCAP_T_IDLE, OSMO_TDEF_S, 60);

	switch (event) {
	case TCAP_EV_BEGIN_REQ:
		osmo_fsm_inst_state_chg(fi, TCAP_ST_INITIATION_SENT, idle, TCAP_T_IDLE);
		break;
	case TCAP_EV_BEGIN_RCV:
		osmo_fsm_inst_state_chg(fi, TCAP_ST_INITIATION_RECEIVED, idle, TCAP_T_IDLE);
		break;
	case TCAP_EV_CONTINUE_REQ:
	case TCAP_EV_CONTINUE_RCV:
		/* also ACTIVE -> ACTIVE: every message restarts the idle timer */
		osmo_fsm_inst_state_chg(fi, TCAP_ST_ACTIVE, idle, TCAP_T_IDLE);
		break;
	default:
		osmo_fsm_inst_state_chg(fi, TCAP_ST_IDLE, 0, 0);
	}
}

#define S(x) (1 << (x))
#define EV_ENDS (S(TCAP_EV_END_REQ) | S(TCAP_EV_ABORT_REQ) | S(TCAP_EV_ABORT_RCV) | S(TCAP_EV_LOCAL_END))

static const struct osmo_fsm_state tcap_dlg_states[] = {
	[TCAP_ST_IDLE] = {
		.name = "IDLE",
		.in_event_mask = S(TCAP_EV_BEGIN_REQ) | S(TCAP_EV_BEGIN_RCV) | S(TCAP_EV_LOCAL_END),
		.out_state_mask = S(TCAP_ST_IDLE) | S(TCAP_ST_INITIATION_SENT) | S(TCAP_ST_INITIATION_RECEIVED),
		.action = dlg_action,
	},
	[TCAP_ST_INITIATION_SENT] = {
		.name = "INITIATION_SENT",
		/* only a prearranged end or a local abort from our side: the peer's id is unknown */
		.in_event_mask = S(TCAP_EV_CONTINUE_RCV) | S(TCAP_EV_END_RCV) | S(TCAP_EV_ABORT_RCV)
				 | S(TCAP_EV_LOCAL_END),
		.out_state_mask = S(TCAP_ST_IDLE) | S(TCAP_ST_ACTIVE),
		.action = dlg_action,
	},
	[TCAP_ST_INITIATION_RECEIVED] = {
		.name = "INITIATION_RECEIVED",
		.in_event_mask = S(TCAP_EV_CONTINUE_REQ) | EV_ENDS,
		.out_state_mask = S(TCAP_ST_IDLE) | S(TCAP_ST_ACTIVE),
		.action = dlg_action,
	},
	[TCAP_ST_ACTIVE] = {
		.name = "ACTIVE",
		.in_event_mask = S(TCAP_EV_CONTINUE_REQ) | S(TCAP_EV_CONTINUE_RCV) | S(TCAP_EV_END_RCV) | EV_ENDS,
		.out_state_mask = S(TCAP_ST_IDLE) | S(TCAP_ST_ACTIVE),
		.action = dlg_action,
	},
};

static int dlg_timer_cb(struct osmo_fsm_inst *fi);

static struct osmo_fsm tcap_dlg_fsm = {
	.name = "TCAP-DLG",
	.states = tcap_dlg_states,
	.num_states = ARRAY_SIZE(tcap_dlg_states),
	.timer_cb = dlg_timer_cb,
	.event_names = tcap_dlg_event_names,
	.log_subsys = DLGLOBAL,
};

static bool permitted(const struct tcap_dlg *d, enum tcap_dlg_event ev)
{
	return tcap_dlg_states[d->fi->state].in_event_mask & S(ev);
}

/* --- dialogues and transaction ids --- */

struct tcap_dlg *tcap_dlg_find(struct tcap_ctx *ctx, uint32_t tid)
{
	struct tcap_dlg *d;

	hash_for_each_possible(ctx->dlgs, d, node, tid)
		if (d->local_tid == tid)
			return d;
	return NULL;
}

static uint32_t tid_low_mask(const struct tcap_ctx *ctx)
{
	return ctx->instance_bits ? (1u << (32 - ctx->instance_bits)) - 1 : 0xffffffffu;
}

/* Sequential within the instance's range, skipping ids in use: an id comes back
 * only after the whole range went round. */
static int tid_alloc(struct tcap_ctx *ctx, uint32_t *tid)
{
	uint32_t mask = tid_low_mask(ctx);
	uint32_t base = ctx->instance_bits ? (uint32_t)ctx->instance_id << (32 - ctx->instance_bits) : 0;

	for (int tries = 0; tries < 1024; tries++) {
		uint32_t t = base | (ctx->next_tid++ & mask);
		if (t == 0 || tcap_dlg_find(ctx, t))
			continue;
		*tid = t;
		return 0;
	}
	return -ENOSPC;
}

static struct tcap_dlg *dlg_alloc(struct tcap_ctx *ctx)
{
	struct tcap_dlg *d;
	uint32_t tid;

	if (tid_alloc(ctx, &tid) < 0)
		return NULL;
	d = talloc_zero(ctx, struct tcap_dlg);
	if (!d)
		return NULL;
	d->fi = osmo_fsm_inst_alloc(&tcap_dlg_fsm, d, d, LOGL_DEBUG, NULL);
	if (!d->fi) {
		talloc_free(d);
		return NULL;
	}
	d->ctx = ctx;
	d->local_tid = tid;
	INIT_LLIST_HEAD(&d->pending);
	INIT_LLIST_HEAD(&d->invokes);
	d->next_invoke_id = 1;
	if (ctx->has_local_addr)
		d->local_addr = ctx->local_addr;
	hash_add(ctx->dlgs, &d->node, tid);
	d->hashed = true;
	ctx->ndlgs++;
	return d;
}

/* No more lookups by id: for the last indication of a dialogue */
static void dlg_unhash(struct tcap_dlg *d)
{
	if (d->hashed) {
		hash_del(&d->node);
		d->hashed = false;
		d->ctx->ndlgs--;
	}
}

static void dlg_free(struct tcap_dlg *d)
{
	tcap_csl_cleanup(d);
	dlg_unhash(d);
	osmo_fsm_inst_free(d->fi);
	talloc_free(d);
}

/* --- sending --- */

static const enum tcap_ctr tx_ctr[] = {
	[TCAP_MSGT_UNI - 0x61] = TCAP_CTR_TX_UNI, [TCAP_MSGT_BEGIN - 0x61] = TCAP_CTR_TX_BEGIN,
	[TCAP_MSGT_END - 0x61] = TCAP_CTR_TX_END, [TCAP_MSGT_CONTINUE - 0x61] = TCAP_CTR_TX_CONTINUE,
	[TCAP_MSGT_ABORT - 0x61] = TCAP_CTR_TX_ABORT,
};
static const enum tcap_ctr rx_ctr[] = {
	[TCAP_MSGT_UNI - 0x61] = TCAP_CTR_RX_UNI, [TCAP_MSGT_BEGIN - 0x61] = TCAP_CTR_RX_BEGIN,
	[TCAP_MSGT_END - 0x61] = TCAP_CTR_RX_END, [TCAP_MSGT_CONTINUE - 0x61] = TCAP_CTR_RX_CONTINUE,
	[TCAP_MSGT_ABORT - 0x61] = TCAP_CTR_RX_ABORT,
};

static int send_msg(struct tcap_ctx *ctx, const struct tcap_msg *m, const struct tcap_comp *comps,
		    unsigned int n, const struct sccp_addr *called, const struct sccp_addr *calling,
		    uint8_t pclass, bool roe, uint32_t seq)
{
	int len = tcap_msg_build(ctx->txbuf, sizeof(ctx->txbuf), m, comps, n);
	int rc;

	if (len < 0)
		return len == -TCAP_ERR_BUF_TOO_SMALL ? -EMSGSIZE : -EINVAL;
	rc = ctx->ops.n_unitdata_req(ctx->priv, called, calling, ctx->txbuf, len, pclass, roe, seq);
	if (rc < 0)
		return rc;
	tcap_ctr_inc(ctx, tx_ctr[m->type - 0x61]);
	for (unsigned int i = 0; i < n; i++)
		if (comps[i].type == TCAP_COMP_REJECT)
			tcap_ctr_inc(ctx, TCAP_CTR_TX_REJECT);
	return 0;
}

/* Send d's message of type t with its pending components and dialogue part dlg */
static int dlg_send(struct tcap_dlg *d, uint8_t type, const struct tcap_dialogue *dlg, bool with_comps)
{
	struct tcap_comp comps[TCAP_MAX_COMPS];
	struct tcap_msg m = { .type = type };
	unsigned int n = with_comps ? tcap_csl_pending(d, comps, ARRAY_SIZE(comps)) : 0;
	int rc;

	if (type == TCAP_MSGT_BEGIN || type == TCAP_MSGT_CONTINUE)
		tcap_tid_set_u32(&m.otid, d->local_tid);
	if (type != TCAP_MSGT_BEGIN && type != TCAP_MSGT_UNI)
		m.dtid = d->remote_tid;
	if (dlg)
		m.dlg = *dlg;
	rc = send_msg(d->ctx, &m, comps, n, &d->remote_addr, &d->local_addr, d->proto_class,
		      d->return_on_error, d->local_tid);
	if (rc == 0 && with_comps)
		tcap_csl_sent(d);
	return rc;
}

/* P-Abort to a peer transaction (no dialogue of ours needed): answers go back
 * to the sender, with the addresses of the message swapped. */
static void send_p_abort(struct tcap_ctx *ctx, const struct tcap_tid *dtid, const struct sccp_addr *to,
			 const struct sccp_addr *from, uint8_t cause)
{
	struct tcap_msg m = { .type = TCAP_MSGT_ABORT, .dtid = *dtid, .p_abort_present = true,
			      .p_abort_cause = cause };

	if (send_msg(ctx, &m, NULL, 0, to, from, 0, false, 0) == 0 && cause < _TCAP_PA_COUNT)
		tcap_ctr_inc(ctx, TCAP_CTR_TX_PABORT_MSG_TYPE + cause);
}

/* Abort with a dialogue portion (ABRT or AARE) to a peer transaction */
static void send_dlg_abort(struct tcap_ctx *ctx, const struct tcap_tid *dtid, const struct sccp_addr *to,
			   const struct sccp_addr *from, const struct tcap_dialogue *dlg)
{
	struct tcap_msg m = { .type = TCAP_MSGT_ABORT, .dtid = *dtid, .dlg = *dlg };

	if (send_msg(ctx, &m, NULL, 0, to, from, 0, false, 0) == 0)
		tcap_ctr_inc(ctx, TCAP_CTR_TX_PROVIDER_ABORT);
}

static const struct tcap_dialogue abrt_provider = { .pdu = TCAP_DLG_ABRT, .abort_source = TCAP_ABRT_PROVIDER };

/* The provider ends a dialogue: tell the peer, if it still has a transaction,
 * and the user. abrt: a dialogue-level failure, answered (Q.774 3.2.2) with an
 * ABRT from the dialogue-service-provider when the dialogue has a dialogue
 * portion; otherwise (and for transaction-level faults) a P-Abort wire_cause. */
static void dlg_provider_abort(struct tcap_dlg *d, int user_cause, bool abrt, uint8_t wire_cause)
{
	struct tc_ind ind = { .prim = TC_P_ABORT, .dialogue_id = d->local_tid, .p_abort_cause = user_cause };

	if (d->remote_tid.len) {
		if (abrt && d->dlg_portion)
			send_dlg_abort(d->ctx, &d->remote_tid, &d->remote_addr, &d->local_addr, &abrt_provider);
		else
			send_p_abort(d->ctx, &d->remote_tid, &d->remote_addr, &d->local_addr, wire_cause);
	}
	osmo_fsm_inst_dispatch(d->fi, TCAP_EV_LOCAL_END, NULL);
	dlg_unhash(d);
	tcap_deliver(d->ctx, &ind);
	dlg_free(d);
}

/* Idle timeout. With a dialogue portion the peer gets an ABRT from the
 * dialogue-service-provider, which MAP/CAP peers report as a provider abort;
 * without one (MAP v1) a P-Abort, resourceLimitation being the one cause that
 * says "this side gave up its resources". In INITIATION_SENT the peer's id is
 * unknown, so only the user learns of it. */
static int dlg_timer_cb(struct osmo_fsm_inst *fi)
{
	struct tcap_dlg *d = fi->priv;

	tcap_ctr_inc(d->ctx, TCAP_CTR_DIALOGUE_TIMEOUT);
	dlg_provider_abort(d, TC_PA_DIALOGUE_TIMEOUT, true, TCAP_PA_RESOURCE_LIMITATION);
	return 0;
}

void tcap_deliver(struct tcap_ctx *ctx, const struct tc_ind *ind)
{
	struct tc_ind with_rx;

	if (!ctx->ops.tc_ind)
		return;
	if (ctx->rx && !ind->rx) {
		with_rx = *ind;
		with_rx.rx = ctx->rx;
		with_rx.rx_called = ctx->rx_called;
		with_rx.rx_calling = ctx->rx_calling;
		ind = &with_rx;
	}
	ctx->ops.tc_ind(ctx->priv, ind);
}

/* --- receiving --- */

static void set_acn(struct tcap_dlg *d, const struct tcap_buf *acn)
{
	d->acn_len = acn->len <= TCAP_ACN_MAX ? acn->len : 0;
	if (d->acn_len)
		memcpy(d->acn, acn->data, d->acn_len);
}

/* A message that did not parse: answer per Q.774 3.2.2 when the originator is known */
static void rx_error(struct tcap_ctx *ctx, const struct tcap_msg *m, int rc, const struct sccp_addr *called,
		     const struct sccp_addr *calling)
{
	int cause = tcap_err_p_abort_cause(rc);
	struct tcap_dlg *d = NULL;

	tcap_ctr_inc(ctx, TCAP_CTR_RX_DECODE_ERR);
	if (m->dtid.len == 4 && m->type != TCAP_MSGT_BEGIN)
		d = tcap_dlg_find(ctx, tcap_tid_u32(&m->dtid));
	if (cause < 0) {
		/* the dialogue portion is wrong */
		if (m->type == TCAP_MSGT_BEGIN && m->otid.len) {
			if (rc == -TCAP_ERR_DLG_VERSION && m->dlg.acn.len) {
				struct tcap_dialogue aare = {
					.pdu = TCAP_DLG_AARE, .proto_version = { pv_version1, 2 }, .acn = m->dlg.acn,
					.result = TCAP_AARE_REJECT_PERMANENT, .diag_source = TCAP_DIAG_PROVIDER,
					.diag_value = TCAP_DIAG_PROV_NO_COMMON_DP };
				send_dlg_abort(ctx, &m->otid, calling, called, &aare);
			} else if (rc == -TCAP_ERR_DLG_AS) {
				send_p_abort(ctx, &m->otid, calling, called, TCAP_PA_INCORRECT_TX_PORTION);
			} else {
				send_dlg_abort(ctx, &m->otid, calling, called, &abrt_provider);
			}
		} else if (d) {
			/* after an End or Abort the peer has no transaction left to tell */
			if (m->type != TCAP_MSGT_CONTINUE)
				d->remote_tid.len = 0;
			else if (!d->remote_tid.len)
				d->remote_tid = m->otid;
			dlg_provider_abort(d, TC_PA_ABNORMAL_DIALOGUE, true, TCAP_PA_INCORRECT_TX_PORTION);
		}
		return;
	}
	if (d) {
		/* our dialogue: both ends learn of it */
		if (m->type != TCAP_MSGT_CONTINUE)
			d->remote_tid.len = 0;
		else if (!d->remote_tid.len)
			d->remote_tid = m->otid;
		dlg_provider_abort(d, cause, false, cause);
		return;
	}
	if (m->otid.len && m->type != TCAP_MSGT_ABORT)
		send_p_abort(ctx, &m->otid, calling, called, cause);
}

/* The dialogue a Continue/End/Abort is for; NULL when it is not ours to handle */
static struct tcap_dlg *rx_lookup(struct tcap_ctx *ctx, const struct tcap_msg *m, const struct sccp_addr *called,
				  const struct sccp_addr *calling, const uint8_t *data, size_t len)
{
	uint32_t tid = tcap_tid_u32(&m->dtid);
	struct tcap_dlg *d;

	if (m->dtid.len == 4 && ctx->instance_bits && (tid >> (32 - ctx->instance_bits)) != ctx->instance_id) {
		tcap_ctr_inc(ctx, TCAP_CTR_RX_FOREIGN_TID);
		if (ctx->ops.foreign_tid)
			ctx->ops.foreign_tid(ctx->priv, tid, tid >> (32 - ctx->instance_bits), called, calling,
					     data, len);
		return NULL;
	}
	d = m->dtid.len == 4 ? tcap_dlg_find(ctx, tid) : NULL;
	if (!d) {
		tcap_ctr_inc(ctx, TCAP_CTR_RX_UNKNOWN_TID);
		/* Q.774 3.2.1.2: only a Continue can be answered (End/Abort have no OTID) */
		if (m->type == TCAP_MSGT_CONTINUE)
			send_p_abort(ctx, &m->otid, calling, called, TCAP_PA_UNRECOGNIZED_TID);
	}
	return d;
}

static void rx_uni(struct tcap_ctx *ctx, const struct tcap_msg *m, const struct sccp_addr *called,
		   const struct sccp_addr *calling)
{
	struct tc_comp_ind comps[TC_IND_MAX_COMPS];
	struct tc_ind ind = { .prim = TC_UNI, .called = called, .calling = calling, .comps = comps };
	int n = tcap_csl_rx(NULL, m, comps, false);

	if (n < 0)
		return;
	ind.ncomps = n;
	if (m->dlg.pdu == TCAP_DLG_AUDT) {
		ind.dialogue_portion = true;
		ind.acn = m->dlg.acn;
		ind.user_info = m->dlg.user_info;
	}
	tcap_deliver(ctx, &ind);
}

static void rx_begin(struct tcap_ctx *ctx, const struct tcap_msg *m, const struct sccp_addr *called,
		     const struct sccp_addr *calling)
{
	struct tc_comp_ind comps[TC_IND_MAX_COMPS];
	struct tc_ind ind = { .prim = TC_BEGIN, .called = called, .calling = calling, .comps = comps };
	struct tcap_dlg *d;
	int n;

	if (m->dlg.pdu != TCAP_DLG_NONE && m->dlg.pdu != TCAP_DLG_AARQ) {
		send_dlg_abort(ctx, &m->otid, calling, called, &abrt_provider);
		return;
	}
	d = dlg_alloc(ctx);
	if (!d) {
		send_p_abort(ctx, &m->otid, calling, called, TCAP_PA_RESOURCE_LIMITATION);
		return;
	}
	d->remote_tid = m->otid;
	d->remote_addr = *calling;
	d->local_addr = *called;
	if (m->dlg.pdu == TCAP_DLG_AARQ) {
		d->dlg_portion = d->aare_due = true;
		set_acn(d, &m->dlg.acn);
		ind.dialogue_portion = true;
		ind.acn = m->dlg.acn;
		ind.user_info = m->dlg.user_info;
	}
	n = tcap_csl_rx(d, m, comps, true);
	if (n < 0) {
		send_p_abort(ctx, &m->otid, calling, called, TCAP_PA_RESOURCE_LIMITATION);
		dlg_free(d);
		return;
	}
	ind.ncomps = n;
	ind.dialogue_id = d->local_tid;
	osmo_fsm_inst_dispatch(d->fi, TCAP_EV_BEGIN_RCV, NULL);
	tcap_deliver(ctx, &ind);
}

/* The first backward message answers our AARQ (if we sent one) */
static int rx_first_backward(struct tcap_dlg *d, const struct tcap_msg *m, struct tc_ind *ind)
{
	if (d->fi->state != TCAP_ST_INITIATION_SENT)
		return 0;
	d->remote_tid = m->otid;
	if (m->dlg.pdu == TCAP_DLG_AARE && d->dlg_portion) {
		if (m->dlg.result != TCAP_AARE_ACCEPTED && m->type == TCAP_MSGT_CONTINUE)
			return -1;	/* a refusal comes in an Abort or End, never in a Continue */
		set_acn(d, &m->dlg.acn);
		ind->dialogue_portion = true;
		ind->acn = m->dlg.acn;
		ind->user_info = m->dlg.user_info;
	} else if (m->dlg.pdu != TCAP_DLG_NONE) {
		return -1;
	}
	/* No dialogue portion after our AARQ: a peer of MAP v1 ignores it; taken
	 * as accepted without an AC, so the user sees what the peer speaks. */
	return 0;
}

static void rx_continue(struct tcap_dlg *d, const struct tcap_msg *m, const struct sccp_addr *calling)
{
	struct tc_comp_ind comps[TC_IND_MAX_COMPS];
	struct tc_ind ind = { .prim = TC_CONTINUE, .dialogue_id = d->local_tid, .comps = comps };
	int n;

	if (!permitted(d, TCAP_EV_CONTINUE_RCV)) {
		if (!d->remote_tid.len)
			d->remote_tid = m->otid;
		dlg_provider_abort(d, TC_PA_ABNORMAL_DIALOGUE, false, TCAP_PA_INCORRECT_TX_PORTION);
		return;
	}
	if (d->fi->state == TCAP_ST_INITIATION_SENT)
		d->remote_addr = *calling;	/* the peer may answer from another address */
	if (rx_first_backward(d, m, &ind) < 0) {
		dlg_provider_abort(d, TC_PA_ABNORMAL_DIALOGUE, true, TCAP_PA_INCORRECT_TX_PORTION);
		return;
	}
	n = tcap_csl_rx(d, m, comps, true);
	if (n < 0) {
		dlg_provider_abort(d, TC_PA_RESOURCE_LIMITATION, false, TCAP_PA_RESOURCE_LIMITATION);
		return;
	}
	ind.ncomps = n;
	osmo_fsm_inst_dispatch(d->fi, TCAP_EV_CONTINUE_RCV, NULL);
	tcap_deliver(d->ctx, &ind);
}

static void rx_end(struct tcap_dlg *d, const struct tcap_msg *m)
{
	struct tc_comp_ind comps[TC_IND_MAX_COMPS];
	struct tc_ind ind = { .prim = TC_END, .dialogue_id = d->local_tid, .comps = comps };
	int n;

	if (!permitted(d, TCAP_EV_END_RCV)) {
		d->remote_tid.len = 0;	/* the peer's transaction is over */
		dlg_provider_abort(d, TC_PA_ABNORMAL_DIALOGUE, false, 0);
		return;
	}
	if (rx_first_backward(d, m, &ind) < 0) {
		d->remote_tid.len = 0;	/* the transaction is over at the peer: nothing to send */
		dlg_provider_abort(d, TC_PA_ABNORMAL_DIALOGUE, false, 0);
		return;
	}
	n = tcap_csl_rx(d, m, comps, false);
	ind.ncomps = n < 0 ? 0 : n;
	osmo_fsm_inst_dispatch(d->fi, TCAP_EV_END_RCV, NULL);
	dlg_unhash(d);
	tcap_deliver(d->ctx, &ind);
	dlg_free(d);
}

static void rx_abort(struct tcap_dlg *d, const struct tcap_msg *m)
{
	struct tc_ind ind = { .prim = TC_U_ABORT, .dialogue_id = d->local_tid };
	const struct tcap_dialogue *dlg = &m->dlg;

	if (m->p_abort_present) {
		ind.prim = TC_P_ABORT;
		ind.p_abort_cause = m->p_abort_cause;
		if (m->p_abort_cause < _TCAP_PA_COUNT)
			tcap_ctr_inc(d->ctx, TCAP_CTR_RX_PABORT_MSG_TYPE + m->p_abort_cause);
	} else if (dlg->pdu == TCAP_DLG_ABRT && dlg->abort_source == TCAP_ABRT_PROVIDER) {
		ind.prim = TC_P_ABORT;
		ind.p_abort_cause = TC_PA_ABNORMAL_DIALOGUE;
		tcap_ctr_inc(d->ctx, TCAP_CTR_RX_PROVIDER_ABORT);
	} else if (dlg->pdu == TCAP_DLG_AARE && dlg->diag_source == TCAP_DIAG_PROVIDER) {
		ind.prim = TC_P_ABORT;
		ind.p_abort_cause = dlg->diag_value == TCAP_DIAG_PROV_NO_COMMON_DP ?
				    TC_PA_NO_COMMON_DIALOGUE_PORTION : TC_PA_ABNORMAL_DIALOGUE;
		tcap_ctr_inc(d->ctx, TCAP_CTR_RX_PROVIDER_ABORT);
	} else {
		/* a user abort: ABRT, an AARE refusing the dialogue, or no reason at all */
		tcap_ctr_inc(d->ctx, TCAP_CTR_RX_UABORT);
		ind.dialogue_portion = dlg->pdu != TCAP_DLG_NONE;
		ind.user_info = dlg->user_info;
		if (dlg->pdu == TCAP_DLG_AARE) {
			ind.acn = dlg->acn;
			ind.abort_reason = dlg->diag_value == TCAP_DIAG_USER_ACN_NOT_SUPPORTED ?
					   TC_ABORT_ACN_NOT_SUPPORTED : TC_ABORT_DIALOGUE_REFUSED;
		}
	}
	osmo_fsm_inst_dispatch(d->fi, TCAP_EV_ABORT_RCV, NULL);
	dlg_unhash(d);
	tcap_deliver(d->ctx, &ind);
	dlg_free(d);
}

void tcap_n_unitdata_ind(struct tcap_ctx *ctx, const struct sccp_addr *called, const struct sccp_addr *calling,
			 const uint8_t *data, size_t len)
{
	struct tcap_msg m;
	struct tcap_dlg *d;
	int rc = tcap_msg_parse(&m, data, len);

	if (m.type >= TCAP_MSGT_UNI && m.type <= TCAP_MSGT_ABORT && m.type != 0x63 && m.type != 0x66)
		tcap_ctr_inc(ctx, rx_ctr[m.type - 0x61]);
	if (rc < 0) {
		rx_error(ctx, &m, rc, called, calling);
		return;
	}
	ctx->rx = &m;
	ctx->rx_called = called;
	ctx->rx_calling = calling;
	switch (m.type) {
	case TCAP_MSGT_UNI:
		rx_uni(ctx, &m, called, calling);
		break;
	case TCAP_MSGT_BEGIN:
		rx_begin(ctx, &m, called, calling);
		break;
	default:
		d = rx_lookup(ctx, &m, called, calling, data, len);
		if (!d)
			break;
		if (m.type == TCAP_MSGT_CONTINUE)
			rx_continue(d, &m, calling);
		else if (m.type == TCAP_MSGT_END)
			rx_end(d, &m);
		else if (m.type == TCAP_MSGT_ABORT)
			rx_abort(d, &m);
	}
	ctx->rx = NULL;
}

/* One of our messages came back from SCCP: TC-NOTICE to the dialogue that sent
 * it (a Begin/Continue carries our OTID; End/Abort end the dialogue anyway). */
void tcap_n_notice_ind(struct tcap_ctx *ctx, const struct sccp_addr *called, const struct sccp_addr *calling,
		       const uint8_t *data, size_t len, uint8_t cause)
{
	struct tcap_msg m;
	struct tcap_dlg *d;
	struct tc_ind ind = { .prim = TC_NOTICE, .called = called, .calling = calling, .report_cause = cause };

	tcap_msg_parse(&m, data, len);
	if (m.otid.len != 4 || !(d = tcap_dlg_find(ctx, tcap_tid_u32(&m.otid))))
		return;
	tcap_ctr_inc(ctx, TCAP_CTR_NOTICE);
	ind.dialogue_id = d->local_tid;
	tcap_deliver(ctx, &ind);
}

/* --- dialogue handling requests --- */

int tcap_dlg_new(struct tcap_ctx *ctx, uint32_t *dialogue_id)
{
	struct tcap_dlg *d = dlg_alloc(ctx);

	if (!d)
		return -ENOMEM;
	*dialogue_id = d->local_tid;
	return 0;
}

static struct tcap_dlg *req_dlg(struct tcap_ctx *ctx, uint32_t id, enum tcap_dlg_event ev, int *rc)
{
	struct tcap_dlg *d = tcap_dlg_find(ctx, id);

	*rc = 0;
	if (!d)
		*rc = -ENOENT;
	else if (!permitted(d, ev))
		*rc = -EPERM;
	return *rc ? NULL : d;
}

static void req_qos(struct tcap_dlg *d, const struct tc_dlg_req *req)
{
	d->proto_class = req->proto_class;
	d->return_on_error = req->return_on_error;
}

int tc_uni_req(struct tcap_ctx *ctx, uint32_t id, const struct tc_dlg_req *req)
{
	struct tcap_dialogue audt = { .pdu = TCAP_DLG_AUDT, .proto_version = { pv_version1, 2 }, .acn = req->acn,
				      .user_info = req->user_info };
	int rc;
	struct tcap_dlg *d = req_dlg(ctx, id, TCAP_EV_BEGIN_REQ, &rc);

	if (!d)
		return rc;
	if (!req->called || !d->npending)
		return -EINVAL;
	d->remote_addr = *req->called;
	if (req->calling)
		d->local_addr = *req->calling;
	req_qos(d, req);
	rc = dlg_send(d, TCAP_MSGT_UNI, req->acn.len ? &audt : NULL, true);
	if (rc == 0)
		dlg_free(d);
	return rc;
}

int tc_begin_req(struct tcap_ctx *ctx, uint32_t id, const struct tc_dlg_req *req)
{
	struct tcap_dialogue aarq = { .pdu = TCAP_DLG_AARQ, .proto_version = { pv_version1, 2 }, .acn = req->acn,
				      .user_info = req->user_info };
	int rc;
	struct tcap_dlg *d = req_dlg(ctx, id, TCAP_EV_BEGIN_REQ, &rc);

	if (!d)
		return rc;
	if (!req->called || req->acn.len > TCAP_ACN_MAX)
		return -EINVAL;
	d->remote_addr = *req->called;
	if (req->calling)
		d->local_addr = *req->calling;
	req_qos(d, req);
	rc = dlg_send(d, TCAP_MSGT_BEGIN, req->acn.len ? &aarq : NULL, true);
	if (rc < 0)
		return rc;
	d->dlg_portion = req->acn.len > 0;
	set_acn(d, &req->acn);
	osmo_fsm_inst_dispatch(d->fi, TCAP_EV_BEGIN_REQ, NULL);
	return 0;
}

/* The AARE accepting the dialogue, in the first backward Continue or End */
static const struct tcap_dialogue *aare_accept(struct tcap_dlg *d, const struct tc_dlg_req *req,
					       struct tcap_dialogue *aare)
{
	if (!d->aare_due)
		return NULL;
	*aare = (struct tcap_dialogue){ .pdu = TCAP_DLG_AARE, .proto_version = { pv_version1, 2 },
		.acn = req->acn.len ? req->acn : (struct tcap_buf){ d->acn, d->acn_len },
		.result = TCAP_AARE_ACCEPTED, .diag_source = TCAP_DIAG_USER, .diag_value = TCAP_DIAG_USER_NULL,
		.user_info = req->user_info };
	return aare;
}

int tc_continue_req(struct tcap_ctx *ctx, uint32_t id, const struct tc_dlg_req *req)
{
	struct tcap_dialogue aare;
	int rc;
	struct tcap_dlg *d = req_dlg(ctx, id, TCAP_EV_CONTINUE_REQ, &rc);

	if (!d)
		return rc;
	if (d->fi->state == TCAP_ST_INITIATION_RECEIVED) {
		if (req->calling)
			d->local_addr = *req->calling;
		req_qos(d, req);
	}
	rc = dlg_send(d, TCAP_MSGT_CONTINUE, aare_accept(d, req, &aare), true);
	if (rc < 0)
		return rc;
	if (d->aare_due && req->acn.len)
		set_acn(d, &req->acn);
	d->aare_due = false;
	osmo_fsm_inst_dispatch(d->fi, TCAP_EV_CONTINUE_REQ, NULL);
	return 0;
}

int tc_end_req(struct tcap_ctx *ctx, uint32_t id, const struct tc_dlg_req *req)
{
	struct tcap_dialogue aare;
	struct tcap_dlg *d = tcap_dlg_find(ctx, id);
	int rc;

	if (!d)
		return -ENOENT;
	if (req->prearranged) {
		/* both ends know the dialogue is over: nothing is sent, the queue is dropped */
		osmo_fsm_inst_dispatch(d->fi, TCAP_EV_LOCAL_END, NULL);
		dlg_free(d);
		return 0;
	}
	if (!permitted(d, TCAP_EV_END_REQ))
		return -EPERM;
	rc = dlg_send(d, TCAP_MSGT_END, aare_accept(d, req, &aare), true);
	if (rc < 0)
		return rc;
	osmo_fsm_inst_dispatch(d->fi, TCAP_EV_END_REQ, NULL);
	dlg_free(d);
	return 0;
}

int tc_u_abort_req(struct tcap_ctx *ctx, uint32_t id, const struct tc_dlg_req *req)
{
	struct tcap_dlg *d = tcap_dlg_find(ctx, id);
	struct tcap_dialogue dlg = { .pdu = TCAP_DLG_NONE };
	int rc;

	if (!d)
		return -ENOENT;
	if (!permitted(d, TCAP_EV_ABORT_REQ)) {
		/* IDLE or INITIATION_SENT: the peer has no transaction to abort */
		osmo_fsm_inst_dispatch(d->fi, TCAP_EV_LOCAL_END, NULL);
		dlg_free(d);
		return 0;
	}
	if (d->dlg_portion && d->aare_due && req->abort_reason != TC_ABORT_USER_SPECIFIC) {
		/* refusing the dialogue: an AARE saying why, with the AC we do support */
		dlg = (struct tcap_dialogue){ .pdu = TCAP_DLG_AARE, .proto_version = { pv_version1, 2 },
			.acn = req->acn.len ? req->acn : (struct tcap_buf){ d->acn, d->acn_len },
			.result = TCAP_AARE_REJECT_PERMANENT, .diag_source = TCAP_DIAG_USER,
			.diag_value = req->abort_reason == TC_ABORT_ACN_NOT_SUPPORTED ?
				      TCAP_DIAG_USER_ACN_NOT_SUPPORTED : TCAP_DIAG_USER_NO_REASON,
			.user_info = req->user_info };
	} else if (d->dlg_portion) {
		dlg = (struct tcap_dialogue){ .pdu = TCAP_DLG_ABRT, .abort_source = TCAP_ABRT_USER,
			.user_info = req->user_info };
	}
	/* without a dialogue portion: an Abort without reason (Q.773: reason is optional) */
	rc = dlg_send(d, TCAP_MSGT_ABORT, &dlg, false);
	if (rc < 0)
		return rc;
	tcap_ctr_inc(ctx, TCAP_CTR_TX_UABORT);
	osmo_fsm_inst_dispatch(d->fi, TCAP_EV_ABORT_REQ, NULL);
	dlg_free(d);
	return 0;
}

/* --- the entity --- */

static __attribute__((constructor)) void tcap_fsm_init(void)
{
	OSMO_ASSERT(osmo_fsm_register(&tcap_dlg_fsm) == 0);
}

struct tcap_ctx *tcap_ctx_alloc(void *talloc_ctx, const struct tcap_cfg *cfg, const struct tcap_ops *ops,
				void *priv)
{
	static unsigned int idx;
	struct tcap_ctx *ctx;

	if (!ops->n_unitdata_req)
		return NULL;
	ctx = talloc_zero(talloc_ctx, struct tcap_ctx);
	if (!ctx)
		return NULL;
	ctx->ops = *ops;
	ctx->priv = priv;
	if (tcap_ctx_set_instance(ctx, cfg->instance_bits, cfg->instance_id) < 0) {
		talloc_free(ctx);
		return NULL;
	}
	if (cfg->local_addr) {
		ctx->has_local_addr = true;
		ctx->local_addr = *cfg->local_addr;
	}
	ctx->next_tid = 1;
	hash_init(ctx->dlgs);
	ctx->tdefs = talloc_memdup(ctx, tcap_tdefs_default, sizeof(tcap_tdefs_default));
	ctx->ctrs = rate_ctr_group_alloc(ctx, &tcap_ctrg_desc, idx++);
	if (!ctx->tdefs || !ctx->ctrs) {
		tcap_ctx_free(ctx);
		return NULL;
	}
	osmo_tdefs_reset(ctx->tdefs);
	return ctx;
}

void tcap_ctx_free(struct tcap_ctx *ctx)
{
	struct tcap_dlg *d;
	struct hlist_node *tmp;
	unsigned int bkt;

	if (!ctx)
		return;
	hash_for_each_safe(ctx->dlgs, bkt, tmp, d, node)
		dlg_free(d);
	if (ctx->ctrs)
		rate_ctr_group_free(ctx->ctrs);
	talloc_free(ctx);
}

int tcap_ctx_set_instance(struct tcap_ctx *ctx, unsigned int bits, unsigned int id)
{
	if (bits > 8 || id >= (1u << bits))
		return -EINVAL;
	ctx->instance_bits = bits;
	ctx->instance_id = id;
	return 0;
}

int tcap_dlg_export(struct tcap_ctx *ctx, uint32_t dialogue_id, struct tcap_dlg_export *out)
{
	static const char *const states[] = {
		[TCAP_ST_IDLE] = "idle", [TCAP_ST_INITIATION_SENT] = "initiation-sent",
		[TCAP_ST_INITIATION_RECEIVED] = "initiation-received", [TCAP_ST_ACTIVE] = "active",
	};
	struct tcap_dlg *d = tcap_dlg_find(ctx, dialogue_id);
	struct timeval rem;

	if (!d)
		return -ENOENT;
	memset(out, 0, sizeof(*out));
	out->local_tid = d->local_tid;
	out->remote_tid = d->remote_tid;
	out->state = states[d->fi->state];
	out->local_addr = d->local_addr;
	out->remote_addr = d->remote_addr;
	out->dlg_portion = d->dlg_portion;
	out->aare_due = d->aare_due;
	out->acn.data = d->acn;
	out->acn.len = d->acn_len;
	out->proto_class = d->proto_class;
	out->return_on_error = d->return_on_error;
	if (osmo_timer_pending(&d->fi->timer) && !osmo_timer_remaining(&d->fi->timer, NULL, &rem))
		out->idle_ms = (uint32_t)(rem.tv_sec * 1000 + rem.tv_usec / 1000) ?: 1;
	tcap_csl_export(d, out);
	return 0;
}

void tcap_ctx_get_instance(const struct tcap_ctx *ctx, unsigned int *bits, unsigned int *id)
{
	*bits = ctx->instance_bits;
	*id = ctx->instance_id;
}

struct osmo_tdef *tcap_ctx_tdefs(struct tcap_ctx *ctx)
{
	return ctx->tdefs;
}

unsigned int tcap_ctx_dialogues(const struct tcap_ctx *ctx)
{
	return ctx->ndlgs;
}

void tcap_ctx_dialogue_states(const struct tcap_ctx *ctx, struct tcap_dlg_states *st)
{
	const struct tcap_dlg *d;
	unsigned int bkt;

	memset(st, 0, sizeof(*st));
	hash_for_each(ctx->dlgs, bkt, d, node) {
		switch (d->fi->state) {
		case TCAP_ST_INITIATION_SENT: st->initiation_sent++; break;
		case TCAP_ST_INITIATION_RECEIVED: st->initiation_received++; break;
		case TCAP_ST_ACTIVE: st->active++; break;
		default: st->idle++; break;
		}
	}
}

struct rate_ctr_group *tcap_ctx_ctrs(struct tcap_ctx *ctx)
{
	return ctx->ctrs;
}
