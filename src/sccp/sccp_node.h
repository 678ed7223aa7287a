/*
 * The gateway's SCCP connectionless node (ITU-T Q.711/Q.714): routing control
 * (SCRC) with global title translation, connectionless control (SCLC) and
 * SCCP management (SCMG), as pure logic between two sets of primitives.
 *
 * Downward the node calls ops->mtp_transfer_req (MTP-TRANSFER request); the
 * MTP adapter feeds MTP-TRANSFER/PAUSE/RESUME/STATUS indications back through
 * the sccp_node_mtp_*() inputs. Upward the node hands N-UNITDATA, N-NOTICE,
 * N-STATE and N-PCSTATE indications to the user and takes N-UNITDATA
 * requests. No sockets, no libosmo-sigtran: timers are osmo_timer (driven
 * by the caller's osmo_select_main loop), memory is a talloc tree.
 *
 * Error idiom: negative errno for local problems (-EINVAL, -ENOBUFS, ...),
 * and -SCCP_NODE_RC(cause) when a message could not be routed, so the
 * Q.713 return cause reaches the caller (sccp_node_rc_cause()).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <osmocom/core/logging.h>
#include <osmocom/core/rate_ctr.h>

#include "sccp_msg.h"

#define SCCP_SSN_SCMG		1	/* Q.713 3.4.2.2: SCCP management */
#define SCCP_NODE_MAX_GT	16	/* own global titles */
#define SCCP_NODE_MAX_SSN	32	/* own subsystems */
#define SCCP_NODE_MAX_CONCERNED	32	/* PCs told about our subsystems' status */

/* A routing failure returned as an error: -SCCP_NODE_RC(cause). Above every errno. */
#define SCCP_NODE_RC_BASE	0x10000
#define SCCP_NODE_RC(cause)	(SCCP_NODE_RC_BASE + (cause))
/* The Q.713 return cause in a return value, or -1 when rc is not one. */
static inline int sccp_node_rc_cause(int rc)
{
	return rc <= -SCCP_NODE_RC_BASE && rc > -SCCP_NODE_RC_BASE - 256 ? -rc - SCCP_NODE_RC_BASE : -1;
}

/* Availability of a signalling point as MTP reports it. */
enum sccp_pc_state {
	SCCP_PC_AVAILABLE,
	SCCP_PC_UNAVAILABLE,	/* MTP-PAUSE */
	SCCP_PC_CONGESTED,	/* MTP-STATUS congestion: still used, a backup is preferred */
};
extern const struct value_string sccp_pc_state_names[];

/* --- configuration --- */

/* One of our own global titles. A message routed on a GT equal to it (same
 * digits; same TT when the GT has one) is for us: to the SSN in the called
 * address, else to ssn here (0: none, answered "unequipped user"). */
struct sccp_local_gt {
	struct sccp_addr gt;	/* GT fields only: digits, TT, NP, NAI */
	uint8_t ssn;
};

enum sccp_gtt_rewrite {
	SCCP_GTT_KEEP,		/* digits unchanged */
	SCCP_GTT_REPLACE_PREFIX, /* the matched prefix replaced by rewrite_digits */
	SCCP_GTT_REPLACE_ALL,	/* all digits replaced by rewrite_digits */
};

#define SCCP_GTT_ANY	(-1)	/* filter matches any value / field kept */

/* One global title translation rule. The longest prefix wins; among rules with
 * the same prefix the lowest id whose filters match. */
struct sccp_gtt_rule {
	uint32_t id;
	char prefix[SCCP_GT_MAX_DIGITS + 1];	/* may be "" (default route) */
	int16_t gti, tt, np, nai;		/* filters, SCCP_GTT_ANY or a value */
	uint32_t dpc;				/* primary; our own PC = deliver here */
	bool has_backup;
	uint32_t backup_dpc;
	uint8_t ssn;				/* 0: SSN of the address kept */
	enum sccp_gtt_rewrite rewrite;
	char rewrite_digits[SCCP_GT_MAX_DIGITS + 1];
	int16_t new_tt, new_np, new_nai;	/* SCCP_GTT_ANY: unchanged */
	bool route_on_ssn;			/* routing indicator set to SSN after translation */
};

struct sccp_node_cfg {
	uint32_t pc;				/* our point code (14-bit ITU) */
	struct sccp_local_gt gt[SCCP_NODE_MAX_GT];
	unsigned int num_gt;
	uint8_t ssn[SCCP_NODE_MAX_SSN];		/* our subsystems (served by the user) */
	unsigned int num_ssn;
	uint32_t concerned_pc[SCCP_NODE_MAX_CONCERNED];	/* get our SSA/SSP broadcasts */
	unsigned int num_concerned;
	struct sccp_gtt_rule *rules;		/* talloc array, child of the cfg, sorted by id */
	unsigned int num_rules;
	unsigned long t_stat_info_ms;		/* first SST interval for a prohibited SSN */
	unsigned long t_stat_info_max_ms;	/* the interval doubles up to this */
	unsigned long t_reasm_ms;		/* T(reassembly) */
	unsigned int reasm_max_contexts;
	size_t reasm_max_total;			/* octets held over all reassemblies */
	size_t reasm_max_msg;			/* largest reassembled user data */
	size_t max_msg_len;			/* longest SCCP message given to MTP */
	bool ludt;				/* LUDT when max_msg_len allows (MTP3-b, M3UA) */
};

/* A configuration with defaults (T(stat.info) 30 s doubling up to 10 min,
 * T(reassembly) 10 s, 268-octet messages, no LUDT), talloc'ed under ctx. */
struct sccp_node_cfg *sccp_node_cfg_alloc(void *ctx);
/* Add a rule or replace the one with the same id; -EINVAL for a bad rule. */
int sccp_gtt_rule_set(struct sccp_node_cfg *cfg, const struct sccp_gtt_rule *rule);
int sccp_gtt_rule_del(struct sccp_node_cfg *cfg, uint32_t id);
/* A rule with every filter "any" and nothing rewritten. */
void sccp_gtt_rule_init(struct sccp_gtt_rule *rule, uint32_t id, const char *prefix, uint32_t dpc);

/* --- primitives --- */

/* Upward indications and the downward MTP-TRANSFER request. Every pointer is
 * valid only during the call. */
struct sccp_node_ops {
	/* MTP-TRANSFER request: one SCCP message (no routing label) to dpc on sls.
	 * 0, or -ENOBUFS (queue full: the message is dropped and counted),
	 * -EMSGSIZE, -EHOSTUNREACH (treated as "MTP failure"). Required. */
	int (*mtp_transfer_req)(void *priv, uint32_t dpc, uint8_t sls, const uint8_t *data, size_t len);
	/* N-UNITDATA indication: msg->data holds the whole user data (reassembled
	 * from XUDT segments if need be). Required. */
	void (*n_unitdata_ind)(void *priv, uint8_t ssn, const struct sccp_msg *msg);
	/* N-NOTICE indication: a message of the user at ssn came back or could not
	 * be sent with its return option set; msg is the returned message
	 * (addresses as the user sent them are msg->calling / msg->called
	 * swapped for a received UDTS, as they were for a local failure). */
	void (*n_notice_ind)(void *priv, uint8_t ssn, uint8_t cause, const struct sccp_msg *msg);
	/* N-STATE indication: remote subsystem ssn at pc allowed or prohibited. */
	void (*n_state_ind)(void *priv, uint32_t pc, uint8_t ssn, bool allowed);
	/* N-PCSTATE indication: signalling point pc changed state. */
	void (*n_pcstate_ind)(void *priv, uint32_t pc, enum sccp_pc_state state);
};

struct sccp_node;

/* A node with a copy of cfg (rules compiled into a lookup trie), ops and
 * priv kept by reference. Every own SSN starts allowed; every PC available.
 * NULL for a bad configuration (logged) or out of memory. */
struct sccp_node *sccp_node_alloc(void *ctx, const struct sccp_node_cfg *cfg,
				  const struct sccp_node_ops *ops, void *priv);
/* Stops the timers, frees everything under the node. NULL is fine. */
void sccp_node_free(struct sccp_node *node);

/* N-UNITDATA request (Q.711 6.2.2). */
struct sccp_unitdata_req {
	struct sccp_addr called;
	struct sccp_addr calling;
	const uint8_t *data;
	size_t data_len;
	uint8_t proto_class;		/* 0 or 1 */
	bool return_option;		/* return on error: N-NOTICE when it cannot be delivered */
	uint32_t seq_ctrl;		/* class 1: same value -> same SLS (e.g. a TCAP transaction) */
	bool importance_present;	/* sent as XUDT then */
	uint8_t importance;
};
/* 0 when handed to MTP (or delivered to a local subsystem); -EINVAL for a bad
 * request; -ENOBUFS under back-pressure; -EMSGSIZE; -SCCP_NODE_RC(cause)
 * when it cannot be routed (then N-NOTICE too if the return option is set). */
int sccp_node_n_unitdata_req(struct sccp_node *node, const struct sccp_unitdata_req *req);

/* MTP-TRANSFER indication: one SCCP message (after the routing label) from
 * opc. 0 when handled (delivered, relayed or answered), a negative error
 * when dropped (-EBADMSG undecodable; counted and logged either way). */
int sccp_node_mtp_transfer_ind(struct sccp_node *node, uint32_t opc, uint32_t dpc, uint8_t sls,
			       const uint8_t *data, size_t len);
/* MTP-PAUSE / MTP-RESUME / MTP-STATUS (congestion) for pc. */
void sccp_node_mtp_pause(struct sccp_node *node, uint32_t pc);
void sccp_node_mtp_resume(struct sccp_node *node, uint32_t pc);
void sccp_node_mtp_congested(struct sccp_node *node, uint32_t pc);

/* Our subsystem ssn in or out of service (N-STATE request): updates routing
 * and broadcasts SSA/SSP to the concerned PCs. -ENOENT if ssn is not ours. */
int sccp_node_subsystem_allowed(struct sccp_node *node, uint8_t ssn, bool allowed);

/* --- status --- */
enum sccp_pc_state sccp_node_pc_state(const struct sccp_node *node, uint32_t pc);
/* Remote subsystem status as SCMG knows it (unknown = allowed). */
bool sccp_node_remote_ssn_allowed(const struct sccp_node *node, uint32_t pc, uint8_t ssn);
bool sccp_node_local_ssn_allowed(const struct sccp_node *node, uint8_t ssn);
const struct sccp_node_cfg *sccp_node_get_cfg(const struct sccp_node *node);

/* --- counters (a rate_ctr group "sccp_node") --- */
enum sccp_node_ctr {
	SCCP_CTR_MSG_IN,			/* + sccp_node_msgt_idx(type), 6 of them */
	SCCP_CTR_MSG_OUT = SCCP_CTR_MSG_IN + 6,	/* + sccp_node_msgt_idx(type) */
	SCCP_CTR_RET_TX = SCCP_CTR_MSG_OUT + 6,	/* + cause 0..14: UDTS/XUDTS/LUDTS sent */
	SCCP_CTR_NOTICE = SCCP_CTR_RET_TX + 15,	/* + cause: N-NOTICE indications */
	SCCP_CTR_DECODE_ERR = SCCP_CTR_NOTICE + 15, /* + enum sccp_err - 1 */
	SCCP_CTR_SCMG_IN = SCCP_CTR_DECODE_ERR + _SCCP_ERR_COUNT - 1, /* + SCMG type 1..6 - 1; +6 bad */
	SCCP_CTR_SCMG_OUT = SCCP_CTR_SCMG_IN + 7, /* + SCMG type - 1 */
	SCCP_CTR_GTT_MISS = SCCP_CTR_SCMG_OUT + 6,
	SCCP_CTR_HOP_VIOLATION,
	SCCP_CTR_REASM_DONE,
	SCCP_CTR_REASM_FAILED,
	SCCP_CTR_SEGMENTS_TX,
	SCCP_CTR_DROP_BACKPRESSURE,
	SCCP_CTR_TX_ERR,			/* MTP refused with another error */
	SCCP_CTR_DELIVERED,			/* N-UNITDATA indications */
	SCCP_CTR_RELAYED,
	SCCP_CTR_RET_SUPPRESSED,		/* failed without return option: discarded */
	SCCP_CTR_SERVICE_DISCARDED,		/* a UDTS/XUDTS/LUDTS that failed: never returned */
	SCCP_CTR_LOCAL_FAIL,			/* N-UNITDATA requests refused with a cause */
	_SCCP_CTR_COUNT
};
/* 0..5 for UDT, UDTS, XUDT, XUDTS, LUDT, LUDTS. */
int sccp_node_msgt_idx(uint8_t type);
struct rate_ctr_group *sccp_node_ctrs(const struct sccp_node *node);
/* Shortcut: current value of counter idx. */
uint64_t sccp_node_ctr(const struct sccp_node *node, unsigned int idx);

/* --- logging --- */
/* The node logs to this subsystem; set it to the application's own category
 * (the table entry can be SCCP_NODE_LOG_CAT). Default DLSCCP. */
extern int sccp_node_log_ss;
#define SCCP_NODE_LOG_CAT { .name = "DSCCPGW", .description = "Gateway SCCP node (SCRC/SCLC/SCMG)", \
			    .enabled = 1, .loglevel = LOGL_NOTICE }

/* --- point codes --- */
/* "3.8.3" (e.g. 1.1.1 = 2057) or a plain integer, into *pc. */
int sccp_pc_parse(uint32_t *pc, const char *s);
/* 3.8.3 text in a static buffer (one per call site is not kept: copy it). */
const char *sccp_pc_str(uint32_t pc);
