/*
 * SCCP routing control (Q.714 clause 2): where a message from MTP or from a
 * local user goes (one of our subsystems, another node after global title
 * translation, or back with a return cause), the hop counter, and the
 * choice of message type and segmentation on the way out to MTP.
 */
#include <errno.h>
#include <string.h>

#include "sccp_node_priv.h"

#define TX_BUF_LEN	4400	/* the longest LUDT (3952 octets of data) with its addresses */

static void route_local(struct sccp_node *node, struct sccp_route *rt, uint8_t ssn)
{
	rt->ssn = ssn;
	if (ssn == SCCP_SSN_SCMG) {
		rt->kind = SCCP_ROUTE_LOCAL;
	} else if (!ssn || !node->ssn_ours[ssn]) {
		rt->kind = SCCP_ROUTE_FAIL;
		rt->cause = SCCP_RC_UNEQUIPPED_USER;
	} else if (!node->ssn_allowed[ssn]) {
		rt->kind = SCCP_ROUTE_FAIL;
		rt->cause = SCCP_RC_SUBSYSTEM_FAILURE;
	} else {
		rt->kind = SCCP_ROUTE_LOCAL;
	}
}

/* 2: reachable, 1: congested but reachable, 0: not usable (*why: cause) */
static int dest_grade(const struct sccp_node *node, uint32_t pc, uint8_t ssn, uint8_t *why)
{
	if (node->pc_state[pc] == SCCP_PC_UNAVAILABLE) {
		*why = SCCP_RC_MTP_FAILURE;
		return 0;
	}
	if (ssn > SCCP_SSN_SCMG && !sccp_scmg_allowed(node, pc, ssn)) {
		*why = SCCP_RC_SUBSYSTEM_FAILURE;
		return 0;
	}
	return node->pc_state[pc] == SCCP_PC_CONGESTED ? 1 : 2;
}

/* Primary unless the backup is in a better state. ssn: the subsystem whose
 * status counts (0 when the destination translates further). */
static void route_remote(struct sccp_node *node, struct sccp_route *rt, uint32_t primary,
			 const uint32_t *backup, uint8_t ssn)
{
	uint8_t why_p = 0, why_b = 0;
	int gp = dest_grade(node, primary, ssn, &why_p);
	int gb = backup ? dest_grade(node, *backup, ssn, &why_b) : 0;

	if (gp == 0 && gb == 0) {
		rt->kind = SCCP_ROUTE_FAIL;
		rt->cause = why_p;
		return;
	}
	rt->kind = SCCP_ROUTE_REMOTE;
	rt->dpc = gb > gp ? *backup : primary;
}

void sccp_scrc_route(struct sccp_node *node, const struct sccp_msg *msg, bool from_mtp,
		     struct sccp_route *rt)
{
	const struct sccp_addr *cd = &msg->called;
	const struct sccp_gtt_rule *r;
	uint8_t ssn = (cd->present & SCCP_ADDR_SSN) ? cd->ssn : 0;
	unsigned int i;

	memset(rt, 0, sizeof(*rt));
	rt->called = *cd;
	if (cd->route_on_ssn) {
		/* from MTP it reached our PC already; a user names the PC it wants */
		if (!from_mtp && (cd->present & SCCP_ADDR_PC) && cd->pc != node->cfg->pc) {
			route_remote(node, rt, cd->pc, NULL, ssn);
			return;
		}
		route_local(node, rt, ssn);
		return;
	}
	if (sccp_addr_gti(cd) <= 0 || !cd->digits[0]) {
		rt->kind = SCCP_ROUTE_FAIL;
		rt->cause = SCCP_RC_NO_TRANSLATION_NATURE;
		return;
	}
	for (i = 0; i < node->cfg->num_gt; i++) {
		const struct sccp_addr *own = &node->cfg->gt[i].gt;

		if (strcasecmp(own->digits, cd->digits))
			continue;
		if ((own->present & SCCP_ADDR_TT) && (cd->present & SCCP_ADDR_TT) && own->tt != cd->tt)
			continue;
		route_local(node, rt, ssn ? ssn : node->cfg->gt[i].ssn);
		return;
	}
	r = sccp_gtt_lookup(node->gtt, cd);
	if (!r) {
		sccp_ctr_inc(node, SCCP_CTR_GTT_MISS);
		rt->kind = SCCP_ROUTE_FAIL;
		rt->cause = SCCP_RC_NO_TRANSLATION_ADDRESS;
		return;
	}
	if (sccp_gtt_apply(r, &rt->called) < 0) {
		rt->kind = SCCP_ROUTE_FAIL;
		rt->cause = SCCP_RC_NO_TRANSLATION_NATURE;
		return;
	}
	rt->translated = true;
	ssn = (rt->called.present & SCCP_ADDR_SSN) ? rt->called.ssn : 0;
	if (r->dpc == node->cfg->pc) {
		route_local(node, rt, ssn);
		return;
	}
	route_remote(node, rt, r->dpc, r->has_backup ? &r->backup_dpc : NULL,
		     rt->called.route_on_ssn ? ssn : 0);
}

/* --- towards MTP --- */

static bool is_service(uint8_t type)
{
	return type == SCCP_MSGT_UDTS || type == SCCP_MSGT_XUDTS || type == SCCP_MSGT_LUDTS;
}

static int tx_one(struct sccp_node *node, const struct sccp_msg *m, uint32_t dpc, uint8_t sls)
{
	uint8_t buf[TX_BUF_LEN];
	int n = sccp_msg_encode(buf, sizeof(buf), m);
	int rc;

	if (n < 0 || (size_t)n > node->cfg->max_msg_len) {
		sccp_ctr_inc(node, SCCP_CTR_TX_ERR);
		sccp_node_logl(node, SCCP_LOGK_TX, LOGL_ERROR, "cannot encode %s to %s: %s",
			       sccp_msgt_name(m->type), sccp_pc_str(dpc), n < 0 ? sccp_err_name(n) : "too long");
		return -SCCP_NODE_RC(SCCP_RC_ERROR_IN_LOCAL_PROCESSING);
	}
	rc = node->ops->mtp_transfer_req(node->priv, dpc, sls & 0x0f, buf, n);
	if (rc == 0) {
		sccp_ctr_inc(node, SCCP_CTR_MSG_OUT + sccp_node_msgt_idx(m->type));
		return 0;
	}
	if (rc == -ENOBUFS) {
		sccp_ctr_inc(node, SCCP_CTR_DROP_BACKPRESSURE);
		sccp_node_logl(node, SCCP_LOGK_TX, LOGL_NOTICE, "MTP queue full: %s to %s dropped",
			       sccp_msgt_name(m->type), sccp_pc_str(dpc));
		return -ENOBUFS;
	}
	sccp_ctr_inc(node, SCCP_CTR_TX_ERR);
	sccp_node_logl(node, SCCP_LOGK_TX, LOGL_ERROR, "MTP refused %s to %s: %s",
		       sccp_msgt_name(m->type), sccp_pc_str(dpc), strerror(-rc));
	if (rc == -EHOSTUNREACH)
		return -SCCP_NODE_RC(SCCP_RC_MTP_FAILURE);
	return rc == -EMSGSIZE ? -EMSGSIZE : -SCCP_NODE_RC(SCCP_RC_ERROR_IN_LOCAL_PROCESSING);
}

int sccp_scrc_send(struct sccp_node *node, const struct sccp_msg *msg, uint32_t dpc, uint8_t sls)
{
	struct sccp_msg seg[SCCP_SEG_MAX], m;
	size_t max = node->cfg->max_msg_len;
	int len = sccp_msg_encoded_len(msg);
	int n, i, rc;

	if (len >= 0 && (size_t)len <= max)
		return tx_one(node, msg, dpc, sls);
	if (is_service(msg->type)) {
		/* Q.714 4.2: the returned user data may be cut to fit */
		m = *msg;
		n = sccp_msg_max_data(&m, max);
		if (n <= 0)
			return -SCCP_NODE_RC(SCCP_RC_ERROR_IN_LOCAL_PROCESSING);
		m.data_len = OSMO_MIN((size_t)n, m.data_len);
		return tx_one(node, &m, dpc, sls);
	}
	if (node->cfg->ludt && msg->type != SCCP_MSGT_LUDT && !msg->seg_present) {
		m = *msg;
		if (m.type == SCCP_MSGT_UDT)
			m.hop_counter = SCCP_HOP_COUNTER_MAX;
		m.type = SCCP_MSGT_LUDT;
		len = sccp_msg_encoded_len(&m);
		if (len >= 0 && (size_t)len <= max)
			return tx_one(node, &m, dpc, sls);
	}
	n = msg->seg_present ? -SCCP_ERR_SEG_TOO_LONG
			     : sccp_sclc_segment(seg, msg, node->local_ref++ & 0xffffff, max);
	if (n < 0) {
		sccp_node_logl(node, SCCP_LOGK_TX, LOGL_NOTICE, "%s of %zu octets to %s cannot be segmented: %s",
			       sccp_msgt_name(msg->type), msg->data_len, sccp_pc_str(dpc), sccp_err_name(n));
		return -SCCP_NODE_RC(SCCP_RC_SEGMENTATION_FAILURE);
	}
	for (i = 0; i < n; i++) {
		rc = tx_one(node, &seg[i], dpc, sls);
		if (rc < 0)
			return rc;
		if (n > 1)
			sccp_ctr_inc(node, SCCP_CTR_SEGMENTS_TX);
	}
	return 0;
}

/* --- entry points --- */

int sccp_node_mtp_transfer_ind(struct sccp_node *node, uint32_t opc, uint32_t dpc, uint8_t sls,
			       const uint8_t *data, size_t len)
{
	struct sccp_route rt;
	struct sccp_msg msg;
	int rc;

	if (!data && len)
		return -EINVAL;
	rc = sccp_msg_decode(&msg, data, len);
	if (rc < 0) {
		sccp_ctr_inc(node, SCCP_CTR_DECODE_ERR + (-rc) - 1);
		sccp_node_logl(node, SCCP_LOGK_DECODE, LOGL_NOTICE, "undecodable message from %s (%zu octets): %s",
			       sccp_pc_str(opc), len, sccp_err_name(rc));
		return -EBADMSG;
	}
	sccp_ctr_inc(node, SCCP_CTR_MSG_IN + sccp_node_msgt_idx(msg.type));
	opc &= SCCP_PC_MAX;

	sccp_scrc_route(node, &msg, true, &rt);
	/* Q.714 2.3.1: the hop counter goes down with each translation, before the
	 * accessibility of the destination is looked at */
	if (rt.translated && rt.kind != SCCP_ROUTE_LOCAL && msg.type != SCCP_MSGT_UDT &&
	    msg.type != SCCP_MSGT_UDTS && msg.hop_counter <= 1) {
		sccp_ctr_inc(node, SCCP_CTR_HOP_VIOLATION);
		sccp_node_logl(node, SCCP_LOGK_ROUTE, LOGL_NOTICE, "hop counter violation: %s from %s",
			       sccp_msgt_name(msg.type), sccp_pc_str(opc));
		sccp_sclc_return(node, &msg, opc, sls, SCCP_RC_HOP_COUNTER_VIOLATION);
		return 0;
	}
	switch (rt.kind) {
	case SCCP_ROUTE_LOCAL:
		sccp_sclc_deliver(node, &msg, opc, rt.ssn);
		return 0;
	case SCCP_ROUTE_REMOTE:
		break;
	case SCCP_ROUTE_FAIL:
		sccp_sclc_return(node, &msg, opc, sls, rt.cause);
		return 0;
	}

	/* relay (Q.714 2.3.2): hop counter, and the OPC into a calling
	 * address that only the previous hop could have read */
	msg.called = rt.called;
	if (msg.calling.route_on_ssn && !(msg.calling.present & SCCP_ADDR_PC)) {
		msg.calling.pc = opc;
		msg.calling.present |= SCCP_ADDR_PC;
	}
	if (msg.type != SCCP_MSGT_UDT && msg.type != SCCP_MSGT_UDTS) {
		if (msg.hop_counter <= 1) {	/* relayed without a translation */
			sccp_ctr_inc(node, SCCP_CTR_HOP_VIOLATION);
			sccp_sclc_return(node, &msg, opc, sls, SCCP_RC_HOP_COUNTER_VIOLATION);
			return 0;
		}
		msg.hop_counter--;
	}
	rc = sccp_scrc_send(node, &msg, rt.dpc, sls);
	if (rc == 0) {
		sccp_ctr_inc(node, SCCP_CTR_RELAYED);
	} else if (sccp_node_rc_cause(rc) >= 0) {
		sccp_sclc_return(node, &msg, opc, sls, sccp_node_rc_cause(rc));
	}
	return rc == -ENOBUFS ? rc : 0;
}

static int user_fail(struct sccp_node *node, const struct sccp_msg *msg, uint8_t cause)
{
	struct sccp_msg ret;
	uint8_t ssn = (msg->calling.present & SCCP_ADDR_SSN) ? msg->calling.ssn : 0;

	sccp_ctr_inc(node, SCCP_CTR_LOCAL_FAIL);
	sccp_node_logl(node, SCCP_LOGK_ROUTE, LOGL_INFO, "N-UNITDATA from SSN %u not sent: %s", ssn,
		       sccp_return_cause_name(cause));
	if (msg->return_on_error && sccp_sclc_make_return(&ret, msg, cause) == 0) {
		sccp_ctr_inc(node, SCCP_CTR_NOTICE + cause);
		if (node->ops->n_notice_ind)
			node->ops->n_notice_ind(node->priv, ssn, cause, &ret);
	}
	return -SCCP_NODE_RC(cause);
}

int sccp_node_n_unitdata_req(struct sccp_node *node, const struct sccp_unitdata_req *req)
{
	struct sccp_route rt;
	struct sccp_msg msg = {
		.type = SCCP_MSGT_UDT,
		.proto_class = req->proto_class,
		.return_on_error = req->return_option,
		.hop_counter = SCCP_HOP_COUNTER_MAX,
		.called = req->called,
		.calling = req->calling,
		.data = req->data,
		.data_len = req->data_len,
	};
	int rc;

	if (req->proto_class > 1 || !req->data || !req->data_len || req->data_len > SCCP_LONG_DATA_MAX
	    || req->data_len > node->cfg->reasm_max_msg
	    || (req->importance_present && req->importance > SCCP_IMPORTANCE_MAX)
	    || sccp_addr_gti(&req->called) < 0 || sccp_addr_gti(&req->calling) < 0)
		return -EINVAL;
	if (req->importance_present) {
		msg.type = SCCP_MSGT_XUDT;
		msg.importance_present = true;
		msg.importance = req->importance;
	}

	sccp_scrc_route(node, &msg, false, &rt);
	switch (rt.kind) {
	case SCCP_ROUTE_LOCAL:
		sccp_sclc_deliver(node, &msg, node->cfg->pc, rt.ssn);
		return 0;
	case SCCP_ROUTE_FAIL:
		return user_fail(node, &msg, rt.cause);
	case SCCP_ROUTE_REMOTE:
		break;
	}
	msg.called = rt.called;
	rc = sccp_scrc_send(node, &msg, rt.dpc,
			    sccp_sclc_sls(req->proto_class, req->seq_ctrl, &node->sls_rotor));
	if (sccp_node_rc_cause(rc) >= 0)
		return user_fail(node, &msg, sccp_node_rc_cause(rc));
	return rc;
}
