/*
 * TCAP internals shared by the transaction sublayer (tcap_tsl.c), the component
 * sublayer (tcap_csl.c) and the VTY (tcap_vty.c). Not for TC-users: see tcap.h.
 */
#pragma once

#include <osmocom/core/fsm.h>
#include <osmocom/core/hashtable.h>
#include <osmocom/core/linuxlist.h>
#include <osmocom/core/rate_ctr.h>
#include <osmocom/core/timer.h>

#include "tcap.h"

#define TCAP_ACN_MAX		32	/* octets of an application-context-name we keep */
#define TCAP_TX_MAX		3952	/* what SCCP can carry at most (LUDT) */
#define TCAP_DLG_HASH_BITS	14

/* Q.774 dialogue states (the osmo_fsm states of tcap_dlg_fsm) */
enum tcap_dlg_state {
	TCAP_ST_IDLE,
	TCAP_ST_INITIATION_SENT,
	TCAP_ST_INITIATION_RECEIVED,
	TCAP_ST_ACTIVE,
};

enum tcap_dlg_event {
	TCAP_EV_BEGIN_REQ,
	TCAP_EV_BEGIN_RCV,
	TCAP_EV_CONTINUE_REQ,
	TCAP_EV_CONTINUE_RCV,
	TCAP_EV_END_REQ,	/* basic end */
	TCAP_EV_END_RCV,
	TCAP_EV_ABORT_REQ,	/* TC-U-ABORT sent to the peer */
	TCAP_EV_ABORT_RCV,
	TCAP_EV_LOCAL_END,	/* prearranged end, local abort, idle timeout, protocol error */
};

struct tcap_ctx {
	struct tcap_ops ops;
	void *priv;
	uint8_t instance_bits;
	uint8_t instance_id;
	bool has_local_addr;
	struct sccp_addr local_addr;
	uint32_t next_tid;		/* low bits of the next OTID: sequential, so no quick reuse */
	unsigned int ndlgs;
	struct osmo_tdef *tdefs;
	struct rate_ctr_group *ctrs;
	/* the message being received, for the indications it causes (tc_ind.rx) */
	const struct tcap_msg *rx;
	const struct sccp_addr *rx_called, *rx_calling;
	DECLARE_HASHTABLE(dlgs, TCAP_DLG_HASH_BITS);	/* struct tcap_dlg by local_tid */
	uint8_t txbuf[TCAP_TX_MAX];
};

/* One dialogue: plain data (state = fi->state) so it can later be copied to a
 * peer instance; everything it owns is a talloc child of it. */
struct tcap_dlg {
	struct hlist_node node;
	bool hashed;
	struct tcap_ctx *ctx;
	struct osmo_fsm_inst *fi;
	uint32_t local_tid;
	struct tcap_tid remote_tid;	/* peer's OTID, len 0 until known */
	struct sccp_addr local_addr;
	struct sccp_addr remote_addr;
	bool dlg_portion;		/* the dialogue runs with a dialogue portion (AARQ) */
	bool aare_due;			/* AARQ received, not yet answered */
	uint8_t acn_len;
	uint8_t acn[TCAP_ACN_MAX];
	uint8_t proto_class;
	bool return_on_error;
	/* component sublayer */
	struct llist_head pending;	/* struct tcap_pend: to send with the next message */
	unsigned int npending;
	struct llist_head invokes;	/* struct tcap_inv: our invocations awaiting answers */
	uint8_t rx_ids[32];		/* bitmap: received invoke ids not yet finally answered */
	uint8_t next_invoke_id;
};

/* tcap_csl.c: the component sublayer's part of tcap_dlg_export() */
void tcap_csl_export(const struct tcap_dlg *d, struct tcap_dlg_export *out);

static inline void tcap_ctr_inc(struct tcap_ctx *ctx, enum tcap_ctr c)
{
	rate_ctr_inc2(ctx->ctrs, c);
}

struct tcap_dlg *tcap_dlg_find(struct tcap_ctx *ctx, uint32_t dialogue_id);
void tcap_deliver(struct tcap_ctx *ctx, const struct tc_ind *ind);

/* --- component sublayer (tcap_csl.c) --- */
/* Pending components as tcap_comp (pointing into the queue); at most max. */
unsigned int tcap_csl_pending(struct tcap_dlg *d, struct tcap_comp *out, unsigned int max);
/* The pending components went out: start the invoke timers, empty the queue. */
void tcap_csl_sent(struct tcap_dlg *d);
/* Stop every timer of the dialogue (before it is freed) */
void tcap_csl_cleanup(struct tcap_dlg *d);
/* Received components -> indications (out holds TC_IND_MAX_COMPS). d NULL for
 * TC-UNI. can_reply: Rejects for errors are queued on d. Returns the number of
 * indications, or -ENOSPC for more components than TCAP_MAX_COMPS. */
int tcap_csl_rx(struct tcap_dlg *d, const struct tcap_msg *m, struct tc_comp_ind *out, bool can_reply);
