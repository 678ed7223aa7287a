/*
 * Inside of struct sccp_node, shared by its blocks: sccp_node.c (primitives,
 * SCLC delivery and return), sccp_scrc.c (routing), sccp_gtt.c (translation),
 * sccp_scmg.c (management). Not for users of the node.
 */
#pragma once

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/timer.h>

#include "sccp_node.h"
#include "sccp_sclc.h"

/* --- GTT lookup (sccp_gtt.c) --- */
struct sccp_gtt;
struct sccp_gtt *sccp_gtt_build(void *ctx, const struct sccp_gtt_rule *rules, unsigned int n);
/* Best rule for a called address routed on GT, or NULL. */
const struct sccp_gtt_rule *sccp_gtt_lookup(const struct sccp_gtt *g, const struct sccp_addr *called);
/* Rewrite called per rule (digits, TT/NP/NAI, SSN, routing indicator); 0 or
 * -SCCP_ERR_* when the result is not an address. */
int sccp_gtt_apply(const struct sccp_gtt_rule *r, struct sccp_addr *called);
bool sccp_gtt_rule_valid(const struct sccp_gtt_rule *r);

/* Log kinds limited separately, so a flood of one does not hide the others. */
enum sccp_log_kind {
	SCCP_LOGK_DECODE,
	SCCP_LOGK_ROUTE,
	SCCP_LOGK_TX,
	SCCP_LOGK_REASM,
	SCCP_LOGK_SCMG,
	_SCCP_LOGK_COUNT
};

/* Status of a remote subsystem (sccp_scmg.c) */
struct sccp_rss {
	struct llist_head list;
	struct sccp_node *node;
	uint32_t pc;
	uint8_t ssn;
	bool prohibited;
	bool by_pause;		/* prohibited only because its PC went away */
	unsigned long interval_ms;	/* next SST interval */
	struct osmo_timer_list t_stat;	/* T(stat.info): send SST */
};

struct sccp_node {
	struct sccp_node_cfg *cfg;
	const struct sccp_node_ops *ops;
	void *priv;
	struct sccp_gtt *gtt;
	uint8_t pc_state[SCCP_PC_MAX + 1];	/* enum sccp_pc_state by PC */
	bool ssn_allowed[256];			/* our own subsystems */
	bool ssn_ours[256];
	struct llist_head rss;			/* struct sccp_rss */
	struct sccp_reasm *reasm;
	struct osmo_timer_list t_reasm;
	uint32_t local_ref;			/* next segmentation local reference */
	uint8_t sls_rotor;
	struct rate_ctr_group *ctrs;
	struct {
		time_t sec;
		unsigned int suppressed;
	} log_limit[_SCCP_LOGK_COUNT];
};

/* libosmocore asserts when logging before log_init(): a node used by a tool
 * or a fuzzer without logging stays silent instead */
#define SCCP_LOG(level, fmt, args...) do {					\
		if (osmo_log_info)						\
			LOGP(sccp_node_log_ss, level, fmt, ##args);		\
	} while (0)

static inline void sccp_ctr_inc(struct sccp_node *node, unsigned int idx)
{
	rate_ctr_inc2(node->ctrs, idx);
}

/* Rate limited log: one line per kind per second at most, then a count of
 * the lines left out. */
void sccp_node_logl(struct sccp_node *node, enum sccp_log_kind kind, int level, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* --- routing (sccp_scrc.c) --- */
enum sccp_route_kind { SCCP_ROUTE_LOCAL, SCCP_ROUTE_REMOTE, SCCP_ROUTE_FAIL };
struct sccp_route {
	enum sccp_route_kind kind;
	uint8_t ssn;			/* LOCAL */
	uint32_t dpc;			/* REMOTE */
	struct sccp_addr called;	/* after translation */
	bool translated;
	uint8_t cause;			/* FAIL */
};
void sccp_scrc_route(struct sccp_node *node, const struct sccp_msg *msg, bool from_mtp,
		     struct sccp_route *rt);
/* Send msg to dpc: UDT/XUDT/LUDT choice and segmentation for a
 * UDT/XUDT/LUDT, service messages cut to fit. 0, -ENOBUFS, -EMSGSIZE or
 * -SCCP_NODE_RC(cause). */
int sccp_scrc_send(struct sccp_node *node, const struct sccp_msg *msg, uint32_t dpc, uint8_t sls);

/* --- SCLC (sccp_node.c) --- */
/* Message for one of our SSNs (or SCMG): reassembly, then the user. */
void sccp_sclc_deliver(struct sccp_node *node, const struct sccp_msg *msg, uint32_t opc, uint8_t ssn);
/* Message from opc could not be routed: return it if asked, count it. */
void sccp_sclc_return(struct sccp_node *node, const struct sccp_msg *msg, uint32_t opc, uint8_t sls,
		      uint8_t cause);
uint64_t sccp_node_now_ms(void);

/* --- SCMG (sccp_scmg.c) --- */
void sccp_scmg_rx(struct sccp_node *node, const struct sccp_msg *msg, uint32_t opc);
void sccp_scmg_broadcast(struct sccp_node *node, uint8_t ssn, bool allowed);
void sccp_scmg_pc_down(struct sccp_node *node, uint32_t pc);
void sccp_scmg_pc_up(struct sccp_node *node, uint32_t pc);
bool sccp_scmg_allowed(const struct sccp_node *node, uint32_t pc, uint8_t ssn);
/* Make (pc, ssn) known (allowed) so a PAUSE of pc prohibits it. */
void sccp_scmg_track(struct sccp_node *node, uint32_t pc, uint8_t ssn);
void sccp_scmg_free(struct sccp_node *node);
