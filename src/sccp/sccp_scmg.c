/*
 * SCCP management (Q.714 clause 5, messages Q.713 5.3): subsystem status of
 * our own SSNs (SSA/SSP broadcast to the concerned PCs, SST answered), the
 * status of remote subsystems learnt from SSA/SSP and MTP, and the subsystem
 * status test repeated every T(stat.info) while a remote SSN is prohibited.
 */
#include <errno.h>
#include <string.h>

#include <osmocom/core/talloc.h>

#include "sccp_node_priv.h"

/* Q.713 5.3.1 SCMG format identifiers */
enum scmg_type {
	SCMG_SSA = 1,	/* subsystem allowed */
	SCMG_SSP = 2,	/* subsystem prohibited */
	SCMG_SST = 3,	/* subsystem status test */
	SCMG_SOR = 4,	/* subsystem out-of-service request */
	SCMG_SOG = 5,	/* subsystem out-of-service grant */
	SCMG_SSC = 6,	/* subsystem congested */
};

static const struct value_string scmg_names[] = {
	{ SCMG_SSA, "SSA" }, { SCMG_SSP, "SSP" }, { SCMG_SST, "SST" },
	{ SCMG_SOR, "SOR" }, { SCMG_SOG, "SOG" }, { SCMG_SSC, "SSC" },
	{ 0, NULL }
};

struct scmg_msg {
	uint8_t type;
	uint8_t ssn;		/* affected SSN */
	uint16_t pc;		/* affected PC */
	uint8_t smi;		/* subsystem multiplicity indicator */
	uint8_t cong_level;	/* SSC only */
};

/* type, affected SSN, affected PC (2 octets, 14 bits, low first), SMI [, congestion level] */
static int scmg_decode(struct scmg_msg *s, const uint8_t *d, size_t len)
{
	if (len < 5 || d[0] < SCMG_SSA || d[0] > SCMG_SSC || (d[0] == SCMG_SSC && len < 6))
		return -EBADMSG;
	s->type = d[0];
	s->ssn = d[1];
	s->pc = (d[2] | d[3] << 8) & SCCP_PC_MAX;
	s->smi = d[4] & 0x03;
	s->cong_level = s->type == SCMG_SSC ? d[5] & 0x0f : 0;
	return 0;
}

/* One SCMG message in a class 0 UDT from our SSN 1 to dpc's SSN 1. */
static void scmg_send(struct sccp_node *node, uint32_t dpc, uint8_t type, uint8_t ssn, uint32_t pc)
{
	uint8_t d[5] = { type, ssn, pc & 0xff, (pc >> 8) & 0x3f, 0 };
	struct sccp_msg m = {
		.type = SCCP_MSGT_UDT,
		.called = { .present = SCCP_ADDR_PC | SCCP_ADDR_SSN, .route_on_ssn = true,
			    .pc = dpc, .ssn = SCCP_SSN_SCMG },
		.calling = { .present = SCCP_ADDR_PC | SCCP_ADDR_SSN, .route_on_ssn = true,
			     .pc = node->cfg->pc, .ssn = SCCP_SSN_SCMG },
		.data = d,
		.data_len = sizeof(d),
	};

	if (sccp_scrc_send(node, &m, dpc, 0) == 0)
		sccp_ctr_inc(node, SCCP_CTR_SCMG_OUT + type - 1);
}

/* --- remote subsystem status --- */

static struct sccp_rss *rss_find(const struct sccp_node *node, uint32_t pc, uint8_t ssn)
{
	struct sccp_rss *r;

	llist_for_each_entry(r, &node->rss, list) {
		if (r->pc == pc && r->ssn == ssn)
			return r;
	}
	return NULL;
}

static void sst_timer_cb(void *data);

static struct sccp_rss *rss_get(struct sccp_node *node, uint32_t pc, uint8_t ssn)
{
	struct sccp_rss *r = rss_find(node, pc, ssn);

	if (r)
		return r;
	r = talloc_zero(node, struct sccp_rss);
	if (!r)
		return NULL;
	r->node = node;
	r->pc = pc;
	r->ssn = ssn;
	osmo_timer_setup(&r->t_stat, sst_timer_cb, r);
	llist_add_tail(&r->list, &node->rss);
	return r;
}

void sccp_scmg_track(struct sccp_node *node, uint32_t pc, uint8_t ssn)
{
	rss_get(node, pc & SCCP_PC_MAX, ssn);
}

bool sccp_scmg_allowed(const struct sccp_node *node, uint32_t pc, uint8_t ssn)
{
	const struct sccp_rss *r = rss_find(node, pc, ssn);

	return !r || !r->prohibited;
}

static void sst_schedule(struct sccp_rss *r, unsigned long ms)
{
	osmo_timer_schedule(&r->t_stat, ms / 1000, (ms % 1000) * 1000);
}

/* T(stat.info) ran out: test again, and wait twice as long next time */
static void sst_timer_cb(void *data)
{
	struct sccp_rss *r = data;
	struct sccp_node *node = r->node;

	if (!r->prohibited || node->pc_state[r->pc] == SCCP_PC_UNAVAILABLE)
		return;	/* MTP-RESUME restarts the test */
	scmg_send(node, r->pc, SCMG_SST, r->ssn, r->pc);
	r->interval_ms = OSMO_MIN(OSMO_MAX(r->interval_ms * 2, node->cfg->t_stat_info_ms),
				  node->cfg->t_stat_info_max_ms);
	sst_schedule(r, r->interval_ms);
}

static void rss_set(struct sccp_node *node, struct sccp_rss *r, bool allowed, bool by_pause)
{
	bool changed = r->prohibited == allowed;

	r->prohibited = !allowed;
	r->by_pause = !allowed && by_pause;
	if (allowed) {
		osmo_timer_del(&r->t_stat);
	} else if (!by_pause && !osmo_timer_pending(&r->t_stat)) {
		/* Q.714 5.3.4.2: the first test after T(stat.info) */
		r->interval_ms = node->cfg->t_stat_info_ms;
		sst_schedule(r, r->interval_ms);
	}
	if (!changed)
		return;
	SCCP_LOG(LOGL_NOTICE, "SCCP(%s): remote SSN %u at %s %s\n", sccp_pc_str(node->cfg->pc),
	     r->ssn, sccp_pc_str(r->pc), allowed ? "allowed" : "prohibited");
	if (node->ops->n_state_ind)
		node->ops->n_state_ind(node->priv, r->pc, r->ssn, allowed);
}

void sccp_scmg_pc_down(struct sccp_node *node, uint32_t pc)
{
	struct sccp_rss *r;

	llist_for_each_entry(r, &node->rss, list) {
		if (r->pc == pc && !r->prohibited)
			rss_set(node, r, false, true);
	}
}

void sccp_scmg_pc_up(struct sccp_node *node, uint32_t pc)
{
	struct sccp_rss *r;

	/* Q.714 5.2.3: what only the outage prohibited is allowed again; what
	 * the peer itself declared prohibited is tested at once */
	llist_for_each_entry(r, &node->rss, list) {
		if (r->pc != pc || !r->prohibited)
			continue;
		if (r->by_pause) {
			rss_set(node, r, true, false);
		} else {
			osmo_timer_del(&r->t_stat);
			r->interval_ms = node->cfg->t_stat_info_ms / 2;
			sst_timer_cb(r);
		}
	}
}

void sccp_scmg_free(struct sccp_node *node)
{
	struct sccp_rss *r, *tmp;

	llist_for_each_entry_safe(r, tmp, &node->rss, list) {
		osmo_timer_del(&r->t_stat);
		llist_del(&r->list);
		talloc_free(r);
	}
}

/* --- our own subsystems --- */

void sccp_scmg_broadcast(struct sccp_node *node, uint8_t ssn, bool allowed)
{
	unsigned int i;

	for (i = 0; i < node->cfg->num_concerned; i++) {
		uint32_t pc = node->cfg->concerned_pc[i];

		if (node->pc_state[pc] != SCCP_PC_UNAVAILABLE)
			scmg_send(node, pc, allowed ? SCMG_SSA : SCMG_SSP, ssn, node->cfg->pc);
	}
}

void sccp_scmg_rx(struct sccp_node *node, const struct sccp_msg *msg, uint32_t opc)
{
	struct scmg_msg s;
	struct sccp_rss *r;

	if (msg->type != SCCP_MSGT_UDT && msg->type != SCCP_MSGT_XUDT && msg->type != SCCP_MSGT_LUDT) {
		sccp_ctr_inc(node, SCCP_CTR_SERVICE_DISCARDED);	/* a returned SCMG message */
		return;
	}
	if (scmg_decode(&s, msg->data, msg->data_len) < 0) {
		sccp_ctr_inc(node, SCCP_CTR_SCMG_IN + 6);
		sccp_node_logl(node, SCCP_LOGK_SCMG, LOGL_NOTICE, "bad SCMG message from %s (%zu octets, type %u)",
			       sccp_pc_str(opc), msg->data_len, msg->data_len ? msg->data[0] : 0);
		return;
	}
	sccp_ctr_inc(node, SCCP_CTR_SCMG_IN + s.type - 1);
	SCCP_LOG(LOGL_DEBUG, "SCCP(%s): SCMG %s from %s: SSN %u PC %s\n",
	     sccp_pc_str(node->cfg->pc), get_value_string(scmg_names, s.type), sccp_pc_str(opc), s.ssn,
	     sccp_pc_str(s.pc));
	switch (s.type) {
	case SCMG_SST:
		/* Q.714 5.3.4.3: answered only while the subsystem is allowed */
		if (s.ssn == SCCP_SSN_SCMG || (node->ssn_ours[s.ssn] && node->ssn_allowed[s.ssn]))
			scmg_send(node, opc, SCMG_SSA, s.ssn, node->cfg->pc);
		break;
	case SCMG_SSA:
	case SCMG_SSP:
		if (s.ssn == SCCP_SSN_SCMG || s.pc == node->cfg->pc)
			break;
		r = rss_get(node, s.pc, s.ssn);
		if (r)
			rss_set(node, r, s.type == SCMG_SSA, false);
		break;
	case SCMG_SSC:
		sccp_node_logl(node, SCCP_LOGK_SCMG, LOGL_INFO, "SSC from %s: SSN %u congestion level %u",
			       sccp_pc_str(opc), s.ssn, s.cong_level);
		break;
	default:
		/* SOR/SOG: coordinated state change (replicated subsystems) is not offered */
		break;
	}
}
