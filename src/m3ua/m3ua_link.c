/*
 * m3ua_link: the M3UA ASP attachment on libosmo-sigtran 1.6.0's MTP user SAP (SI=3), with
 * its own bounded send queue, point code availability table and DAUD audits. The library
 * does the ASP/AS state machines and the associations; see m3ua_link.h for the contract.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <osmocom/core/fsm.h>
#include <osmocom/core/linuxlist.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/msgb.h>
#include <osmocom/core/rate_ctr.h>
#include <osmocom/core/select.h>
#include <osmocom/core/stats.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/netif/stream.h>
#include <osmocom/sigtran/mtp_sap.h>
#include <osmocom/sigtran/osmo_ss7.h>
#include <osmocom/sigtran/sccp_sap.h>
#include <osmocom/sigtran/protocol/m3ua.h>

#include "m3ua_capture.h"
#include "m3ua_link.h"
#include "m3ua_rx.h"

enum {
	SI_SCCP = 3,
	/* Messages handed to the library at a time: libosmo-netif queues without bound and
	 * writes one message per select loop turn, so the library only gets the next batch
	 * once its queues are empty. */
	FEED_BATCH = 128,
	PUMP_POLL_US = 100,	/* how often a busy library queue is looked at */
	STATE_POLL_US = 10000,	/* AS states: the ASP role gets no AS state callback */
	MAX_AS = 32,
	/* the library's SCCP instance exists only to pass on N-PCSTATE (see pcstate_setup) */
	PCSTATE_SSN = 1,
	RX_LOG_TOO_LONG = M3UA_RX_NOT_SCCP + 1,
	RX_LOG_KINDS,
};

const struct value_string m3ua_pc_state_names[] = {
	{ M3UA_PC_AVAILABLE, "available" },
	{ M3UA_PC_UNAVAILABLE, "unavailable" },
	{ M3UA_PC_CONGESTED, "congested" },
	{ 0, NULL }
};

static const struct rate_ctr_desc link_ctr_desc[] = {
	[M3UA_LINK_CTR_RX_MSGS] = { "rx:msgs", "MTP-TRANSFER.ind delivered (SI=3)" },
	[M3UA_LINK_CTR_RX_OCTETS] = { "rx:octets", "Octets delivered" },
	[M3UA_LINK_CTR_RX_DROP_SI] = { "rx:drop:si", "Received for another service indicator" },
	[M3UA_LINK_CTR_TX_MSGS] = { "tx:msgs", "MTP-TRANSFER.req handed to the library" },
	[M3UA_LINK_CTR_TX_OCTETS] = { "tx:octets", "Octets handed to the library" },
	[M3UA_LINK_CTR_TX_DROP_EMSGSIZE] = { "tx:drop:emsgsize", "Refused: payload too large" },
	[M3UA_LINK_CTR_TX_DROP_ENOBUFS] = { "tx:drop:enobufs", "Refused: send queue full" },
	[M3UA_LINK_CTR_TX_DROP_ENETDOWN] = { "tx:drop:enetdown", "Refused: no active AS" },
	[M3UA_LINK_CTR_TX_DROP_EHOSTUNREACH] = { "tx:drop:ehostunreach", "Refused: DPC unavailable" },
	[M3UA_LINK_CTR_TX_DROP_LINKDOWN] = { "tx:drop:linkdown", "Queued, dropped when the link went down" },
	[M3UA_LINK_CTR_QUEUE_HWM] = { "queue:hwm", "Send queue high watermark" },
	[M3UA_LINK_CTR_PC_CHANGES] = { "pc:changes", "Point code state changes" },
	[M3UA_LINK_CTR_LINK_CHANGES] = { "link:changes", "Link up/down changes" },
	[M3UA_LINK_CTR_DAUD_SENT] = { "daud:sent", "DAUD audits sent" },
	[M3UA_LINK_CTR_RX_DROP_DPC] = { "rx:drop:dpc", "DATA for a point code not ours" },
	[M3UA_LINK_CTR_RX_DROP_BAD_DATA] = { "rx:drop:bad-data", "DATA without a whole routing label" },
	[M3UA_LINK_CTR_RX_DROP_TOO_LONG] = { "rx:drop:too-long", "Messages over 2048 octets" },
	[M3UA_LINK_CTR_ASP_STUCK] = { "asp:stuck", "ASPs disconnected: up but never active" },
	[M3UA_LINK_CTR_ASPAC] = { "asp:aspac", "ASPAC sent by the link: an AS without an active ASP" },
};

static const struct rate_ctr_group_desc link_ctrg_desc = {
	.group_name_prefix = "m3ua_link",
	.group_description = "M3UA attachment of the gateway",
	.class_id = OSMO_STATS_CLASS_GLOBAL,
	.num_ctr = ARRAY_SIZE(link_ctr_desc),
	.ctr_desc = link_ctr_desc,
};

struct pc_entry {
	uint32_t pc;
	enum m3ua_pc_state state;
};

struct m3ua_link {
	struct osmo_ss7_instance *inst;
	const struct m3ua_link_ops *ops;
	void *priv;
	struct osmo_ss7_user user;
	struct osmo_sccp_user *pcstate_user;
	struct rate_ctr_group *ctrg;

	/* send queue: a ring of ready MTP-TRANSFER.req primitives */
	struct msgb **q;
	unsigned int q_max, q_head, q_len, q_hwm;
	bool blocked;		/* a -ENOBUFS was returned: call writable() when drained */
	struct osmo_timer_list pump_timer;

	/* link and AS states */
	bool up;
	struct osmo_ss7_as *as_seen[MAX_AS];
	bool as_active[MAX_AS];
	uint64_t aspac_sent_ms[MAX_AS];	/* reactivate(): the last ASPAC we asked for */
	unsigned int n_as;
	struct osmo_timer_list state_timer;
	/* since when each client ASP is connected but not active (0: it is not) */
	struct osmo_ss7_asp *asp_seen[MAX_AS];
	struct timespec asp_idle_since[MAX_AS];
	unsigned int n_asp;

	/* rate limit of the receive check's log lines, per verdict */
	time_t rx_log_at[RX_LOG_KINDS];
	unsigned int rx_log_quiet[RX_LOG_KINDS];

	bool draining;		/* m3ua_link_drain(): ASPs inactive for good */

	uint32_t audit_pc[M3UA_LINK_MAX_AUDIT];
	unsigned int n_audit;

	/* point codes not available; everything else is */
	struct pc_entry *pcs;
	unsigned int n_pcs;
};

static int g_link_idx;
static int g_log_ss = DLSS7;

void m3ua_link_set_log_subsys(int subsys)
{
	g_log_ss = subsys;
	m3ua_capture_log_ss = subsys;
}

#define LOGLINK(link, lvl, fmt, args...) LOGP(g_log_ss, lvl, "m3ua-link: " fmt, ## args)

/* ---- point code availability ------------------------------------------------------------- */

static struct pc_entry *pc_find(const struct m3ua_link *link, uint32_t pc)
{
	unsigned int i;

	for (i = 0; i < link->n_pcs; i++)
		if (link->pcs[i].pc == pc)
			return &link->pcs[i];
	return NULL;
}

enum m3ua_pc_state m3ua_link_pc_state(const struct m3ua_link *link, uint32_t pc)
{
	const struct pc_entry *e = pc_find(link, pc);

	return e ? e->state : M3UA_PC_AVAILABLE;
}

static void pc_set(struct m3ua_link *link, uint32_t pc, enum m3ua_pc_state state)
{
	struct pc_entry *e = pc_find(link, pc);

	if ((e ? e->state : M3UA_PC_AVAILABLE) == state)
		return;
	if (state == M3UA_PC_AVAILABLE) {
		*e = link->pcs[--link->n_pcs];
	} else if (e) {
		e->state = state;
	} else {
		link->pcs = talloc_realloc(link, link->pcs, struct pc_entry, link->n_pcs + 1);
		OSMO_ASSERT(link->pcs);
		link->pcs[link->n_pcs++] = (struct pc_entry){ pc, state };
	}
	LOGLINK(link, LOGL_NOTICE, "point code %s %s\n", osmo_ss7_pointcode_print(link->inst, pc),
		get_value_string(m3ua_pc_state_names, state));
	rate_ctr_inc2(link->ctrg, M3UA_LINK_CTR_PC_CHANGES);
	if (link->ops->pc_state)
		link->ops->pc_state(link->priv, pc, state);
}

/* libosmo-sigtran 1.6.0 never gives the MTP user PAUSE/RESUME/STATUS: DUNA, DAVA and DUPU
 * reach only its own SCCP instance, which broadcasts them as N-PCSTATE.ind to its SCCP users.
 * So an SCCP instance is created *after* our SI=3 registration (its own registration then
 * fails with -EBUSY and it never sees traffic), its management user on SSN 1 is replaced by
 * ours (it would log every N-PCSTATE as an error), and N-PCSTATE becomes our table. */
static int pcstate_prim_cb(struct osmo_prim_hdr *oph, void *_scu)
{
	struct osmo_scu_prim *prim = (struct osmo_scu_prim *)oph;
	struct m3ua_link *link = osmo_sccp_user_get_priv(_scu);
	const struct osmo_scu_pcstate_param *p = &prim->u.pcstate;

	if (OSMO_PRIM_HDR(oph) == OSMO_PRIM(OSMO_SCU_PRIM_N_PCSTATE, PRIM_OP_INDICATION) && link) {
		if (p->sp_status == OSMO_SCCP_SP_S_INACCESSIBLE ||
		    p->remote_sccp_status != OSMO_SCCP_REM_SCCP_S_AVAILABLE)
			pc_set(link, p->affected_pc, M3UA_PC_UNAVAILABLE);
		else if (p->sp_status == OSMO_SCCP_SP_S_CONGESTED)
			pc_set(link, p->affected_pc, M3UA_PC_CONGESTED);
		else
			pc_set(link, p->affected_pc, M3UA_PC_AVAILABLE);
	}
	msgb_free(oph->msg);
	return 0;
}

static int pcstate_setup(struct m3ua_link *link)
{
	struct osmo_sccp_instance *sccp = osmo_ss7_ensure_sccp(link->inst);
	struct osmo_sccp_user *scmg;

	if (!sccp)
		return -ENOMEM;
	if (link->inst->user[SI_SCCP] != &link->user) {
		LOGLINK(link, LOGL_ERROR, "the library's SCCP took SI=3\n");
		return -EBUSY;
	}
	scmg = osmo_sccp_user_find(sccp, PCSTATE_SSN, OSMO_SS7_PC_INVALID);
	if (scmg)
		osmo_sccp_user_unbind(scmg);
	link->pcstate_user = osmo_sccp_user_bind(sccp, "ss7gw-pcstate", pcstate_prim_cb, PCSTATE_SSN);
	if (!link->pcstate_user)
		return -EBUSY;
	osmo_sccp_user_set_priv(link->pcstate_user, link);
	return 0;
}

/* DAUD (RFC 4666 3.4.3) for the audit point codes, written here since 1.6.0 has its encoder
 * under #if 0. Sent on one ACTIVE ASP of the AS that just became active. */
static void send_daud(struct m3ua_link *link, struct osmo_ss7_as *as)
{
	struct osmo_ss7_asp *asp = NULL;
	struct msgb *msg;
	unsigned int i, len;
	uint8_t *p;

	if (!link->n_audit)
		return;
	for (i = 0; i < ARRAY_SIZE(as->cfg.asps) && !asp; i++)
		if (as->cfg.asps[i] && osmo_ss7_asp_active(as->cfg.asps[i]))
			asp = as->cfg.asps[i];
	if (!asp)
		return;
	len = 8 + (as->cfg.routing_key.context ? 8 : 0) + 4 + 4 * link->n_audit;
	msg = msgb_alloc_headroom(len + 128, 128, "m3ua-daud");
	OSMO_ASSERT(msg);
	p = msgb_put(msg, len);
	p[0] = M3UA_VERSION, p[1] = 0, p[2] = M3UA_MSGC_SNM, p[3] = M3UA_SNM_DAUD;
	osmo_store32be(len, p + 4);
	p += 8;
	if (as->cfg.routing_key.context) {
		osmo_store16be(M3UA_IEI_ROUTE_CTX, p);
		osmo_store16be(8, p + 2);
		osmo_store32be(as->cfg.routing_key.context, p + 4);
		p += 8;
	}
	osmo_store16be(M3UA_IEI_AFFECTED_PC, p);
	osmo_store16be(4 + 4 * link->n_audit, p + 2);
	for (i = 0; i < link->n_audit; i++)
		osmo_store32be(link->audit_pc[i] & 0xffffff, p + 4 + 4 * i);	/* mask 0 */
	msgb_sctp_stream(msg) = 0;
	if (osmo_ss7_asp_send(asp, msg) == 0)
		rate_ctr_inc2(link->ctrg, M3UA_LINK_CTR_DAUD_SENT);
}

/* ---- link state ----------------------------------------------------------------------------- */

static void queue_flush(struct m3ua_link *link)
{
	while (link->q_len) {
		msgb_free(link->q[link->q_head]);
		link->q_head = (link->q_head + 1) % link->q_max;
		link->q_len--;
		rate_ctr_inc2(link->ctrg, M3UA_LINK_CTR_TX_DROP_LINKDOWN);
	}
}

/* libosmo-sigtran 1.6.0's xua_asp_fsm states and its M-ASP_ACTIVE.req event (not in the
 * public headers, but the ASP's FSM instance is; the event is checked by name before use) */
enum { ASP_FSM_S_INACTIVE = 1, ASP_FSM_S_ACTIVE = 2 };
enum { ASP_FSM_E_M_ASP_ACTIVE_REQ = 1, ASP_FSM_E_M_ASP_INACTIVE_REQ = 3 };

static uint64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* An AS without an active ASP gets ASPAC from one of its ASPs that is connected and
 * ASP-INACTIVE, at most once a second. 1.6.0's default layer manager asks for activation
 * only once, after the ASPUP Ack, and ignores a NOTIFY once it has been active (and its LM
 * SAP does not take M-ASP_ACTIVE.req), so without this:
 *  - override: when the active ASP is lost, the standby ones hear AS-Pending and stay put;
 *  - any mode: after an ASPIA Ack (the SG took the ASP out of service) it never comes back.
 * An ASP that stays inactive anyway is disconnected by check_stuck() below. */
static void reactivate(struct m3ua_link *link, struct osmo_ss7_as *as, unsigned int i)
{
	struct osmo_ss7_asp *asp, *standby = NULL;
	unsigned int k;
	uint64_t now;

	for (k = 0; k < ARRAY_SIZE(as->cfg.asps); k++) {
		asp = as->cfg.asps[k];
		if (!asp || !asp->fi || asp->cfg.role == OSMO_SS7_ASP_ROLE_SG)
			continue;
		if (asp->fi->state == ASP_FSM_S_ACTIVE)
			return;
		if (asp->fi->state == ASP_FSM_S_INACTIVE && !standby)
			standby = asp;
	}
	now = now_ms();
	if (!standby || now - link->aspac_sent_ms[i] < 1000)
		return;
	link->aspac_sent_ms[i] = now;
	if (strcmp(osmo_fsm_event_name(standby->fi->fsm, ASP_FSM_E_M_ASP_ACTIVE_REQ), "M-ASP_ACTIVE.req")) {
		LOGLINK(link, LOGL_ERROR, "AS %s: this libosmo-sigtran has no M-ASP_ACTIVE.req event %d\n",
			as->cfg.name, ASP_FSM_E_M_ASP_ACTIVE_REQ);
		return;
	}
	LOGLINK(link, LOGL_NOTICE, "AS %s (%s): no active ASP, ASPAC from %s\n", as->cfg.name,
		osmo_ss7_as_traffic_mode_name(as->cfg.mode), standby->cfg.name);
	rate_ctr_inc2(link->ctrg, M3UA_LINK_CTR_ASPAC);
	osmo_fsm_inst_dispatch(standby->fi, ASP_FSM_E_M_ASP_ACTIVE_REQ, NULL);
}

static long ms_between(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000;
}

/* An ASP connected but not active while no AS is: the library asks for activation once,
 * after ASPUP Ack; an unsolicited ASPIA Ack or ASPDN Ack from the SG leaves it there for
 * good. Starting the association again redoes the whole handshake. */
static void check_stuck(struct m3ua_link *link)
{
	struct osmo_ss7_asp *asp;
	struct sockaddr_storage ss;
	struct timespec now, *since;
	struct osmo_fd *ofd;
	socklen_t sl;
	unsigned int i;
	bool idle;

	clock_gettime(CLOCK_MONOTONIC, &now);
	llist_for_each_entry(asp, &link->inst->asp_list, list) {
		if (asp->cfg.is_server || !asp->client)
			continue;
		for (i = 0; i < link->n_asp && link->asp_seen[i] != asp; i++)
			;
		if (i == link->n_asp) {
			if (i == MAX_AS)
				continue;
			link->asp_seen[link->n_asp++] = asp;
			memset(&link->asp_idle_since[i], 0, sizeof(link->asp_idle_since[i]));
		}
		since = &link->asp_idle_since[i];
		ofd = osmo_stream_cli_get_ofd(asp->client);
		sl = sizeof(ss);
		idle = !link->up && !osmo_ss7_asp_active(asp) && ofd->fd >= 0 &&
		       getpeername(ofd->fd, (struct sockaddr *)&ss, &sl) == 0;
		if (!idle) {
			since->tv_sec = since->tv_nsec = 0;
		} else if (!since->tv_sec && !since->tv_nsec) {
			*since = now;
		} else if (ms_between(since, &now) >= M3UA_LINK_STUCK_MS) {
			LOGLINK(link, LOGL_NOTICE, "ASP %s: association up, not active for %u ms: "
				"disconnecting, it reconnects\n", asp->cfg.name, M3UA_LINK_STUCK_MS);
			rate_ctr_inc2(link->ctrg, M3UA_LINK_CTR_ASP_STUCK);
			since->tv_sec = since->tv_nsec = 0;
			osmo_ss7_asp_disconnect(asp);
		}
	}
}

static void state_timer_cb(void *data)
{
	struct m3ua_link *link = data;
	struct osmo_ss7_as *as;
	unsigned int i;
	bool up = false, active;

	llist_for_each_entry(as, &link->inst->as_list, list) {
		active = osmo_ss7_as_active(as);
		up |= active;
		for (i = 0; i < link->n_as && link->as_seen[i] != as; i++)
			;
		if (i == link->n_as) {
			if (i == MAX_AS)
				continue;
			link->as_seen[link->n_as++] = as;
			link->as_active[i] = false;
		}
		if (!active && !link->draining)
			reactivate(link, as, i);
		if (active == link->as_active[i])
			continue;
		link->as_active[i] = active;
		LOGLINK(link, LOGL_NOTICE, "AS %s %s\n", as->cfg.name, active ? "active" : "inactive");
		if (active)
			send_daud(link, as);
	}
	if (up != link->up) {
		link->up = up;
		rate_ctr_inc2(link->ctrg, M3UA_LINK_CTR_LINK_CHANGES);
		LOGLINK(link, LOGL_NOTICE, "link %s\n", up ? "up" : "down");
		if (!up) {
			/* The STP tells changes, not the state: what we knew goes stale without
			 * an association. Start again from "all available" (then DAUD); done on
			 * down, since a DUNA may come in before this poll sees the link up. */
			queue_flush(link);
			while (link->n_pcs)
				pc_set(link, link->pcs[0].pc, M3UA_PC_AVAILABLE);
		}
		if (link->ops->link_state)
			link->ops->link_state(link->priv, up);
	}
	if (!link->draining)
		check_stuck(link);
	osmo_timer_schedule(&link->state_timer, 0, STATE_POLL_US);
}

void m3ua_link_drain(struct m3ua_link *link)
{
	struct osmo_ss7_asp *asp;

	link->draining = true;
	llist_for_each_entry(asp, &link->inst->asp_list, list) {
		if (!asp->fi || asp->cfg.role == OSMO_SS7_ASP_ROLE_SG || asp->fi->state != ASP_FSM_S_ACTIVE)
			continue;
		if (strcmp(osmo_fsm_event_name(asp->fi->fsm, ASP_FSM_E_M_ASP_INACTIVE_REQ), "M-ASP_INACTIVE.req")) {
			LOGLINK(link, LOGL_ERROR, "this libosmo-sigtran has no M-ASP_INACTIVE.req event %d\n",
				ASP_FSM_E_M_ASP_INACTIVE_REQ);
			return;
		}
		LOGLINK(link, LOGL_NOTICE, "draining: ASPIA from %s\n", asp->cfg.name);
		osmo_fsm_inst_dispatch(asp->fi, ASP_FSM_E_M_ASP_INACTIVE_REQ, NULL);
	}
}

bool m3ua_link_is_up(const struct m3ua_link *link)
{
	return link->up;
}

/* ---- send path ---------------------------------------------------------------------------- */

/* True when no client ASP of the instance has anything queued in libosmo-netif. */
static bool library_queues_empty(const struct m3ua_link *link)
{
	struct osmo_ss7_asp *asp;
	struct osmo_fd *ofd;

	llist_for_each_entry(asp, &link->inst->asp_list, list) {
		if (!asp->client)
			continue;
		ofd = osmo_stream_cli_get_ofd(asp->client);
		if (ofd->fd >= 0 && (ofd->when & OSMO_FD_WRITE))
			return false;
	}
	return true;
}

static void pump_timer_cb(void *data)
{
	struct m3ua_link *link = data;
	struct msgb *msg;
	unsigned int n;

	if (library_queues_empty(link)) {
		for (n = 0; n < FEED_BATCH && link->q_len; n++) {
			msg = link->q[link->q_head];
			link->q_head = (link->q_head + 1) % link->q_max;
			link->q_len--;
			rate_ctr_inc2(link->ctrg, M3UA_LINK_CTR_TX_MSGS);
			rate_ctr_add(rate_ctr_group_get_ctr(link->ctrg, M3UA_LINK_CTR_TX_OCTETS),
				     msgb_l2len(msg));
			/* frees msg, whatever happens */
			osmo_ss7_user_mtp_xfer_req(link->inst, (struct osmo_mtp_prim *)msgb_data(msg));
		}
		if (link->blocked && link->q_len <= link->q_max / 2) {
			link->blocked = false;
			if (link->ops->writable)
				link->ops->writable(link->priv);
		}
	}
	if (link->q_len)
		osmo_timer_schedule(&link->pump_timer, 0, PUMP_POLL_US);
}

static int refuse(struct m3ua_link *link, enum m3ua_link_ctr ctr, int err)
{
	rate_ctr_inc2(link->ctrg, ctr);
	return err;
}

int m3ua_link_transfer_req(struct m3ua_link *link, uint32_t dpc, uint8_t sls,
			   const uint8_t *data, size_t len)
{
	struct osmo_ss7_route *rt;
	struct osmo_mtp_prim *omp;
	struct msgb *msg;

	if (len > M3UA_LINK_MAX_PAYLOAD)
		return refuse(link, M3UA_LINK_CTR_TX_DROP_EMSGSIZE, -EMSGSIZE);
	rt = osmo_ss7_route_lookup(link->inst, dpc);
	if (!rt || !rt->dest.as || !osmo_ss7_as_active(rt->dest.as))
		return refuse(link, M3UA_LINK_CTR_TX_DROP_ENETDOWN, -ENETDOWN);
	if (m3ua_link_pc_state(link, dpc) == M3UA_PC_UNAVAILABLE)
		return refuse(link, M3UA_LINK_CTR_TX_DROP_EHOSTUNREACH, -EHOSTUNREACH);
	if (link->q_len == link->q_max) {
		link->blocked = true;
		return refuse(link, M3UA_LINK_CTR_TX_DROP_ENOBUFS, -ENOBUFS);
	}

	msg = msgb_alloc_headroom(sizeof(*omp) + len + 64, 64, "m3ua-link-tx");
	if (!msg)
		return refuse(link, M3UA_LINK_CTR_TX_DROP_ENOBUFS, -ENOBUFS);
	omp = (struct osmo_mtp_prim *)msgb_put(msg, sizeof(*omp));
	osmo_prim_init(&omp->oph, MTP_SAP_USER, OSMO_MTP_PRIM_TRANSFER, PRIM_OP_REQUEST, msg);
	omp->u.transfer.opc = link->inst->cfg.primary_pc;
	omp->u.transfer.dpc = dpc;
	omp->u.transfer.sls = sls;
	omp->u.transfer.sio = MTP_SIO(SI_SCCP, link->inst->cfg.network_indicator);
	msg->l2h = msgb_put(msg, len);
	memcpy(msg->l2h, data, len);

	link->q[(link->q_head + link->q_len) % link->q_max] = msg;
	link->q_len++;
	if (link->q_len > link->q_hwm) {
		rate_ctr_add(rate_ctr_group_get_ctr(link->ctrg, M3UA_LINK_CTR_QUEUE_HWM),
			     link->q_len - link->q_hwm);
		link->q_hwm = link->q_len;
	}
	if (!osmo_timer_pending(&link->pump_timer))
		osmo_timer_schedule(&link->pump_timer, 0, 0);
	return 0;
}

unsigned int m3ua_link_queue_depth(const struct m3ua_link *link)
{
	return link->q_len;
}

/* ---- receive path ----------------------------------------------------------------------- */

/* We own the msgb. msgb_mtp_prim() would dereference an unset l1h: the primitive is oph. The
 * SIO of 1.6.0's MTP-TRANSFER.ind always shows NI=0 (an operator precedence slip), so NI is
 * not looked at. */
static int mtp_user_prim_cb(struct osmo_prim_hdr *oph, void *priv)
{
	struct osmo_mtp_prim *omp = (struct osmo_mtp_prim *)oph;
	struct m3ua_link *link = (struct m3ua_link *)priv;
	const struct osmo_mtp_transfer_param *tp = &omp->u.transfer;

	if (OSMO_PRIM_HDR(oph) == OSMO_PRIM(OSMO_MTP_PRIM_TRANSFER, PRIM_OP_INDICATION)) {
		if ((tp->sio & 0x0f) != SI_SCCP) {
			rate_ctr_inc2(link->ctrg, M3UA_LINK_CTR_RX_DROP_SI);
		} else {
			rate_ctr_inc2(link->ctrg, M3UA_LINK_CTR_RX_MSGS);
			rate_ctr_add(rate_ctr_group_get_ctr(link->ctrg, M3UA_LINK_CTR_RX_OCTETS),
				     msgb_l2len(oph->msg));
			if (link->ops->transfer_ind)
				link->ops->transfer_ind(link->priv, tp->opc, tp->dpc, tp->sls,
							msgb_l2(oph->msg), msgb_l2len(oph->msg));
		}
	}
	msgb_free(oph->msg);
	return 0;
}

/* What m3ua_rx.c refused: counted, and logged at most once a second per kind (a hostile peer
 * must not flood the log), with how many were not logged. */
static void rx_log(struct m3ua_link *link, unsigned int kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void rx_log(struct m3ua_link *link, unsigned int kind, const char *fmt, ...)
{
	struct timespec now;
	char line[200];
	va_list ap;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (link->rx_log_at[kind] && now.tv_sec == link->rx_log_at[kind]) {
		link->rx_log_quiet[kind]++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (link->rx_log_quiet[kind])
		LOGLINK(link, LOGL_NOTICE, "%s (and %u more since the last line)\n", line,
			link->rx_log_quiet[kind]);
	else
		LOGLINK(link, LOGL_NOTICE, "%s\n", line);
	link->rx_log_at[kind] = now.tv_sec;
	link->rx_log_quiet[kind] = 0;
}

bool m3ua_link_pc_is_local(void *priv, uint32_t pc)
{
	struct m3ua_link *link = priv;

	return osmo_ss7_pc_is_local(link->inst, pc);
}

void m3ua_link_rx_refused(struct m3ua_link *link, struct osmo_ss7_asp *asp,
			  enum m3ua_rx_verdict v, const uint8_t *msg, size_t len)
{
	const uint8_t *label = NULL;
	size_t pos;

	/* the routing label, for the log: the check found one in the first Protocol Data */
	for (pos = 8; v != M3UA_RX_BAD_DATA && pos + 16 <= len; pos += 4)
		if (msg[pos] == 0x02 && msg[pos + 1] == 0x10) {
			label = msg + pos + 4;
			break;
		}
	switch (v) {
	case M3UA_RX_BAD_DATA:
		rate_ctr_inc2(link->ctrg, M3UA_LINK_CTR_RX_DROP_BAD_DATA);
		rx_log(link, v, "ASP %s: DATA of %zu octets whose Protocol Data has no whole routing "
		       "label: ERR Parameter Field Error", asp->cfg.name, len);
		break;
	case M3UA_RX_FOREIGN_DPC:
		rate_ctr_inc2(link->ctrg, M3UA_LINK_CTR_RX_DROP_DPC);
		rx_log(link, v, "ASP %s: DATA for DPC %s, not ours: dropped", asp->cfg.name,
		       label ? osmo_ss7_pointcode_print(link->inst, osmo_load32be(label + 4)) : "?");
		break;
	case M3UA_RX_NOT_SCCP:
		rate_ctr_inc2(link->ctrg, M3UA_LINK_CTR_RX_DROP_SI);
		rx_log(link, v, "ASP %s: DATA for SI %u, not SCCP: dropped", asp->cfg.name,
		       label ? label[8] & 0x0f : 0);
		break;
	case M3UA_RX_PASS:
		break;
	}
}

void m3ua_link_rx_too_long(struct m3ua_link *link, struct osmo_ss7_asp *asp, size_t len)
{
	rate_ctr_inc2(link->ctrg, M3UA_LINK_CTR_RX_DROP_TOO_LONG);
	rx_log(link, RX_LOG_TOO_LONG, "ASP %s: message of %zu octets, over the %u the library "
	       "takes: dropped", asp->cfg.name, len, M3UA_RX_MAX_LEN);
}

/* The capture's question (m3ua_capture.h): is fd the association of one of our M3UA ASPs? */
static bool link_owns_fd(void *priv, int fd)
{
	struct m3ua_link *link = priv;
	struct osmo_ss7_asp *asp;

	llist_for_each_entry(asp, &link->inst->asp_list, list) {
		if (asp->cfg.proto != OSMO_SS7_ASP_PROT_M3UA)
			continue;
		if (asp->client && osmo_stream_cli_get_ofd(asp->client)->fd == fd)
			return true;
		if (asp->server && osmo_stream_srv_get_ofd(asp->server)->fd == fd)
			return true;
	}
	return false;
}

/* ---- life cycle ------------------------------------------------------------------------------ */

static int setup_routes(struct m3ua_link *link, const struct m3ua_link_cfg *cfg)
{
	struct osmo_ss7_as *as, *only = NULL;
	unsigned int i, n = 0;
	int pc, mask;

	for (i = 0; i < cfg->n_routes; i++) {
		pc = osmo_ss7_pointcode_parse(link->inst, cfg->route[i].pc);
		mask = osmo_ss7_pointcode_parse_mask_or_len(link->inst, cfg->route[i].mask);
		if (pc < 0 || mask < 0 || !osmo_ss7_as_find_by_name(link->inst, cfg->route[i].as)) {
			LOGLINK(link, LOGL_ERROR, "route %s %s %s: bad point code, mask or AS\n",
				cfg->route[i].pc, cfg->route[i].mask, cfg->route[i].as);
			return -EINVAL;
		}
		if (!osmo_ss7_route_create(link->inst->rtable_system, pc, mask, cfg->route[i].as))
			return -EINVAL;
	}
	if (cfg->n_routes)
		return 0;
	/* ASP role: the library's VTY has no route table, so without routes of our own every
	 * DPC goes to the only AS. */
	llist_for_each_entry(as, &link->inst->as_list, list) {
		only = as;
		n++;
	}
	if (n != 1) {
		LOGLINK(link, LOGL_ERROR, "%u AS configured: the m3ua-link node needs routes\n", n);
		return -EINVAL;
	}
	if (!osmo_ss7_route_find_dpc_mask(link->inst->rtable_system, 0, 0) &&
	    !osmo_ss7_route_create(link->inst->rtable_system, 0, 0, only->cfg.name))
		return -EINVAL;
	return 0;
}

static void link_free(struct m3ua_link *link)
{
	struct osmo_ss7_asp *asp;

	m3ua_capture_set_owner(NULL, NULL);	/* one link per process */
	if (link->inst)
		llist_for_each_entry(asp, &link->inst->asp_list, list)
			m3ua_rx_guard_remove(asp);
	osmo_timer_del(&link->pump_timer);
	osmo_timer_del(&link->state_timer);
	if (link->q)
		queue_flush(link);
	if (link->pcstate_user)
		osmo_sccp_user_unbind(link->pcstate_user);
	if (link->user.inst)
		osmo_ss7_user_unregister(link->inst, SI_SCCP, &link->user);
	if (link->ctrg)
		rate_ctr_group_free(link->ctrg);
	talloc_free(link);
}

struct m3ua_link *m3ua_link_create(void *ctx, struct osmo_ss7_instance *inst,
				   const struct m3ua_link_cfg *cfg, const struct m3ua_link_ops *ops,
				   void *priv)
{
	static const struct m3ua_link_ops no_ops;
	struct m3ua_link *link = talloc_zero(ctx, struct m3ua_link);
	struct osmo_ss7_asp *asp;
	unsigned int i;
	int pc;

	OSMO_ASSERT(link);
	link->inst = inst;
	link->ops = ops ? ops : &no_ops;
	link->priv = priv;
	link->q_max = cfg->send_queue ? cfg->send_queue : 1;
	link->q = talloc_zero_array(link, struct msgb *, link->q_max);
	link->ctrg = rate_ctr_group_alloc(link, &link_ctrg_desc, g_link_idx++);
	osmo_timer_setup(&link->pump_timer, pump_timer_cb, link);
	osmo_timer_setup(&link->state_timer, state_timer_cb, link);
	if (!link->q || !link->ctrg)
		goto fail;

	for (i = 0; i < cfg->n_audit; i++) {
		pc = osmo_ss7_pointcode_parse(inst, cfg->audit_pc[i]);
		if (pc < 0) {
			LOGLINK(link, LOGL_ERROR, "audit-pc %s: not a point code\n", cfg->audit_pc[i]);
			goto fail;
		}
		link->audit_pc[link->n_audit++] = pc;
	}
	if (setup_routes(link, cfg) < 0)
		goto fail;

	link->user.name = "ss7gw";
	link->user.prim_cb = mtp_user_prim_cb;
	link->user.priv = link;
	if (osmo_ss7_user_register(inst, SI_SCCP, &link->user) < 0) {
		LOGLINK(link, LOGL_ERROR, "SI=3 already has an MTP user\n");
		goto fail;
	}
	if (pcstate_setup(link) < 0)
		goto fail;

	/* A client ASP whose configuration node was left through go_parent is running already;
	 * one never started (no go_parent: a program without the callback, or end of file) is
	 * started here. */
	llist_for_each_entry(asp, &inst->asp_list, list)
		if (!asp->fi && !asp->cfg.is_server)
			osmo_ss7_asp_restart(asp);
	llist_for_each_entry(asp, &inst->asp_list, list)
		if (!asp->cfg.is_server && m3ua_rx_guard_install(link, asp) < 0) {
			LOGLINK(link, LOGL_ERROR, "ASP %s: cannot check its received messages\n",
				asp->cfg.name);
			goto fail;
		}
	m3ua_capture_init();
	m3ua_capture_set_owner(link_owns_fd, link);
	osmo_timer_schedule(&link->state_timer, 0, 0);
	return link;
fail:
	link_free(link);
	return NULL;
}

void m3ua_link_destroy(struct m3ua_link *link)
{
	struct osmo_ss7_asp *asp, *tmp;

	if (!link)
		return;
	/* osmo_ss7_asp_disconnect() would reconnect after 5 s: destroy the client ASPs */
	llist_for_each_entry_safe(asp, tmp, &link->inst->asp_list, list)
		if (!asp->cfg.is_server) {
			m3ua_rx_guard_remove(asp);
			osmo_ss7_asp_destroy(asp);
		}
	link_free(link);
}

struct rate_ctr_group *m3ua_link_ctrs(struct m3ua_link *link)
{
	return link->ctrg;
}

struct osmo_ss7_instance *m3ua_link_instance(const struct m3ua_link *link)
{
	return link->inst;
}
