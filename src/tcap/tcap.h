/*
 * TCAP (ITU-T Q.771-Q.774) for a TC-user: the TC primitives of Q.771 as C calls
 * (requests) and one callback (indications), over SCCP connectionless given as
 * a callback, so the layer runs without a network. One struct tcap_ctx per
 * local TCAP entity; every dialogue is a talloc context under it.
 *
 * Flow: the user allocates a dialogue id (tcap_dlg_new), queues components
 * (tc_invoke_req, tc_result_req, ...) and sends them with a dialogue request
 * (tc_begin_req, tc_continue_req, tc_end_req). Received messages arrive with
 * tcap_n_unitdata_ind() and come up as one struct tc_ind per message: the
 * dialogue primitive and its components, parameters pointing into the received
 * buffer (valid only during the callback). Requests return 0 or a negative errno.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <osmocom/core/tdef.h>

#include "sccp_msg.h"
#include "tcap_msg.h"

struct tcap_ctx;

/* Dialogue-handling primitives (Q.771 Table 2) */
enum tc_dlg_prim {
	TC_NONE = 0,	/* component-only indication: TC-L-CANCEL after an invoke timer */
	TC_UNI,
	TC_BEGIN,
	TC_CONTINUE,
	TC_END,
	TC_U_ABORT,
	TC_P_ABORT,
	TC_NOTICE,
};
extern const struct value_string tc_dlg_prim_names[];

/* Component-handling primitives (Q.771 Table 13) */
enum tc_comp_prim {
	TC_INVOKE = 1,
	TC_RESULT_L,
	TC_RESULT_NL,
	TC_U_ERROR,
	TC_U_REJECT,	/* request, and indication of a peer's Reject whose problem only a
			 * TC-user judges (unrecognized operation, mistyped parameter...) */
	TC_L_REJECT,	/* indication: the local CSL found a received component wrong (a
			 * Reject goes to the peer with the next message) */
	TC_R_REJECT,	/* indication: a peer's Reject of a kind its CSL detects (general
			 * problems, unknown/duplicate/unexpected invoke ids) */
	TC_L_CANCEL,	/* indication: an invoke timer expired */
	TC_U_CANCEL,	/* request only */
};
extern const struct value_string tc_comp_prim_names[];

/* TC-P-ABORT causes: Q.773 P-AbortCause values, then local ones (Q.771 3.1.2.2.2.5) */
enum tc_p_abort_cause {
	TC_PA_UNRECOGNIZED_MSG_TYPE	= TCAP_PA_UNRECOGNIZED_MSG_TYPE,
	TC_PA_UNRECOGNIZED_TID		= TCAP_PA_UNRECOGNIZED_TID,
	TC_PA_BADLY_FORMATTED_TX_PORTION = TCAP_PA_BADLY_FORMATTED_TX_PORTION,
	TC_PA_INCORRECT_TX_PORTION	= TCAP_PA_INCORRECT_TX_PORTION,
	TC_PA_RESOURCE_LIMITATION	= TCAP_PA_RESOURCE_LIMITATION,
	TC_PA_ABNORMAL_DIALOGUE		= 126,	/* ABRT from the peer's dialogue provider */
	TC_PA_NO_COMMON_DIALOGUE_PORTION = 127,
	TC_PA_DIALOGUE_TIMEOUT		= 128,	/* our idle timer: local only */
};

/* TC-U-ABORT reasons (request and indication) */
enum tc_abort_reason {
	TC_ABORT_USER_SPECIFIC = 0,	/* ABRT abort-source user, with user information */
	TC_ABORT_ACN_NOT_SUPPORTED,	/* AARE reject-permanent, acn-not-supported, with the AC we support */
	TC_ABORT_DIALOGUE_REFUSED,	/* AARE reject-permanent, no-reason-given */
};

/* Operation classes (Q.771 2.3.1.1) */
enum tc_op_class { TC_CLASS_1 = 1, TC_CLASS_2, TC_CLASS_3, TC_CLASS_4 };

/* One component indication */
struct tc_comp_ind {
	enum tc_comp_prim prim;
	bool invoke_id_present;		/* false: a Reject of a non-derivable id */
	int8_t invoke_id;
	bool linked_id_present;
	int8_t linked_id;
	struct tcap_code op;		/* INVOKE, RESULT-L/NL (when the peer sent one) */
	struct tcap_code err;		/* U-ERROR */
	struct tcap_buf param;		/* whole parameter TLV, len 0 if none */
	uint8_t problem_type;		/* *-REJECT: enum tcap_problem_type */
	uint8_t problem;
};

#define TC_IND_MAX_COMPS	TCAP_MAX_COMPS

/* One dialogue indication with its components */
struct tc_ind {
	enum tc_dlg_prim prim;
	uint32_t dialogue_id;		/* 0 for TC-UNI */
	const struct sccp_addr *called;	/* TC-BEGIN, TC-UNI, TC-NOTICE: as received */
	const struct sccp_addr *calling;
	bool dialogue_portion;		/* the message had a dialogue portion */
	struct tcap_buf acn;		/* BEGIN, first CONTINUE/END, UNI, U-ABORT (refusal: the
					 * AC the peer offers instead) */
	struct tcap_buf user_info;	/* content of user-information, len 0 if none */
	enum tc_abort_reason abort_reason;	/* TC-U-ABORT */
	int p_abort_cause;		/* TC-P-ABORT: enum tc_p_abort_cause */
	uint8_t report_cause;		/* TC-NOTICE: SCCP return cause */
	const struct tc_comp_ind *comps;
	unsigned int ncomps;
	/* The received message behind this indication and its SCCP addresses; NULL when
	 * a timer or one of our own requests caused it (idle timeout, invoke timeout) */
	const struct tcap_msg *rx;
	const struct sccp_addr *rx_called, *rx_calling;
};

/* What the TCAP entity needs from below and gives above */
struct tcap_ops {
	/* N-UNITDATA request: hand one TCAP message to SCCP. 0 or negative errno. */
	int (*n_unitdata_req)(void *priv, const struct sccp_addr *called, const struct sccp_addr *calling,
			      const uint8_t *data, size_t len, uint8_t proto_class, bool return_on_error,
			      uint32_t seq_ctrl);
	/* Dialogue indication (with components); the data is valid during the call. The
	 * user may call requests from here, but not tcap_ctx_free. */
	void (*tc_ind)(void *priv, const struct tc_ind *ind);
	/* A Continue/End/Abort for a dialogue id of another instance (its instance bits
	 * differ from ours): forward it. NULL: such messages are dropped (counted). */
	void (*foreign_tid)(void *priv, uint32_t dtid, unsigned int instance, const struct sccp_addr *called,
			    const struct sccp_addr *calling, const uint8_t *data, size_t len);
};

/* Timers, numbered in the ctx's osmo_tdef table (units as stated) */
enum tcap_timer {
	TCAP_T_IDLE = 1,	/* dialogue idle timeout, s (default 60) */
	TCAP_T_INVOKE = 2,	/* invoke timer when a request gives none, s (default 30) */
};

struct tcap_cfg {
	uint8_t instance_bits;	/* 0..8 top bits of every OTID */
	uint8_t instance_id;	/* < 1 << instance_bits */
	const struct sccp_addr *local_addr;	/* default calling address */
};

struct tcap_ctx *tcap_ctx_alloc(void *talloc_ctx, const struct tcap_cfg *cfg, const struct tcap_ops *ops,
				void *priv);
/* Ends every dialogue without telling anyone, frees everything. */
void tcap_ctx_free(struct tcap_ctx *ctx);
/* The timer table (osmo_tdef, TCAP_T_*), for configuration and tests */
struct osmo_tdef *tcap_ctx_tdefs(struct tcap_ctx *ctx);
/* Change the instance id/bits; -EINVAL if out of range. Existing dialogues keep their ids. */
int tcap_ctx_set_instance(struct tcap_ctx *ctx, unsigned int bits, unsigned int id);
void tcap_ctx_get_instance(const struct tcap_ctx *ctx, unsigned int *bits, unsigned int *id);
unsigned int tcap_ctx_dialogues(const struct tcap_ctx *ctx);	/* dialogues alive */
/* Dialogues alive by Q.774 state (walks the table: for show commands) */
struct tcap_dlg_states {
	unsigned int idle, initiation_sent, initiation_received, active;
};
void tcap_ctx_dialogue_states(const struct tcap_ctx *ctx, struct tcap_dlg_states *st);
struct rate_ctr_group *tcap_ctx_ctrs(struct tcap_ctx *ctx);

/* Counters (index into tcap_ctx_ctrs) */
enum tcap_ctr {
	TCAP_CTR_RX_UNI, TCAP_CTR_RX_BEGIN, TCAP_CTR_RX_END, TCAP_CTR_RX_CONTINUE, TCAP_CTR_RX_ABORT,
	TCAP_CTR_TX_UNI, TCAP_CTR_TX_BEGIN, TCAP_CTR_TX_END, TCAP_CTR_TX_CONTINUE, TCAP_CTR_TX_ABORT,
	TCAP_CTR_RX_DECODE_ERR,
	TCAP_CTR_RX_UNKNOWN_TID,
	TCAP_CTR_RX_FOREIGN_TID,
	TCAP_CTR_TX_PABORT_MSG_TYPE, TCAP_CTR_TX_PABORT_UNKNOWN_TID, TCAP_CTR_TX_PABORT_BAD_FORMAT,
	TCAP_CTR_TX_PABORT_INCORRECT, TCAP_CTR_TX_PABORT_RESOURCE,
	TCAP_CTR_RX_PABORT_MSG_TYPE, TCAP_CTR_RX_PABORT_UNKNOWN_TID, TCAP_CTR_RX_PABORT_BAD_FORMAT,
	TCAP_CTR_RX_PABORT_INCORRECT, TCAP_CTR_RX_PABORT_RESOURCE,
	TCAP_CTR_TX_UABORT, TCAP_CTR_RX_UABORT,
	TCAP_CTR_TX_PROVIDER_ABORT, TCAP_CTR_RX_PROVIDER_ABORT,
	TCAP_CTR_TX_REJECT, TCAP_CTR_RX_REJECT, TCAP_CTR_L_REJECT,
	TCAP_CTR_INVOKE_TIMEOUT, TCAP_CTR_DIALOGUE_TIMEOUT,
	TCAP_CTR_NOTICE,
	_TCAP_CTR_COUNT
};

/* --- from SCCP --- */
void tcap_n_unitdata_ind(struct tcap_ctx *ctx, const struct sccp_addr *called, const struct sccp_addr *calling,
			 const uint8_t *data, size_t len);
/* A message of ours came back (UDTS/XUDTS): TC-NOTICE to its dialogue. */
void tcap_n_notice_ind(struct tcap_ctx *ctx, const struct sccp_addr *called, const struct sccp_addr *calling,
		       const uint8_t *data, size_t len, uint8_t cause);

/* --- dialogue handling requests --- */

/* Parameters of a dialogue request; what a primitive does not use is ignored. */
struct tc_dlg_req {
	const struct sccp_addr *called;		/* BEGIN, UNI: the peer */
	const struct sccp_addr *calling;	/* BEGIN, UNI, first CONTINUE: NULL = cfg local_addr
						 * (first CONTINUE: the called address of the BEGIN) */
	struct tcap_buf acn;			/* len 0: no dialogue portion (e.g. MAP v1) */
	struct tcap_buf user_info;		/* content of user-information (EXTERNALs) */
	bool prearranged;			/* END: release locally, send nothing */
	enum tc_abort_reason abort_reason;	/* U-ABORT */
	uint8_t proto_class;			/* SCCP class 0/1 (sequence control: the dialogue id) */
	bool return_on_error;			/* ask SCCP to return undeliverable messages */
};

/* A new dialogue in state IDLE; its id is the OTID it will use. 0 or -errno. */
int tcap_dlg_new(struct tcap_ctx *ctx, uint32_t *dialogue_id);
int tc_uni_req(struct tcap_ctx *ctx, uint32_t dialogue_id, const struct tc_dlg_req *req);
int tc_begin_req(struct tcap_ctx *ctx, uint32_t dialogue_id, const struct tc_dlg_req *req);
int tc_continue_req(struct tcap_ctx *ctx, uint32_t dialogue_id, const struct tc_dlg_req *req);
int tc_end_req(struct tcap_ctx *ctx, uint32_t dialogue_id, const struct tc_dlg_req *req);
int tc_u_abort_req(struct tcap_ctx *ctx, uint32_t dialogue_id, const struct tc_dlg_req *req);

/* --- component handling requests: queued on the dialogue, sent by its next dialogue request --- */

struct tc_invoke_req {
	int invoke_id;			/* -128..127, or TC_INVOKE_ID_AUTO */
	bool linked_id_present;
	int8_t linked_id;
	struct tcap_code op;
	struct tcap_buf param;		/* whole TLV; copied */
	enum tc_op_class op_class;
	uint32_t timeout_ms;		/* 0: the TCAP_T_INVOKE default */
};
#define TC_INVOKE_ID_AUTO	1000

/* TC-INVOKE: queues the Invoke; its timer starts when it is sent. The id used is
 * written to *invoke_id_out (may be NULL). 0 or -errno (-EBUSY: id in use,
 * -ENOSPC: TCAP_MAX_COMPS components already queued). */
int tc_invoke_req(struct tcap_ctx *ctx, uint32_t dialogue_id, const struct tc_invoke_req *req,
		  int8_t *invoke_id_out);
/* TC-RESULT-L (last) / TC-RESULT-NL; op may be NULL only when param is empty */
int tc_result_req(struct tcap_ctx *ctx, uint32_t dialogue_id, int8_t invoke_id, bool last,
		  const struct tcap_code *op, struct tcap_buf param);
int tc_u_error_req(struct tcap_ctx *ctx, uint32_t dialogue_id, int8_t invoke_id, const struct tcap_code *err,
		   struct tcap_buf param);
/* invoke_id NULL: not derivable */
int tc_u_reject_req(struct tcap_ctx *ctx, uint32_t dialogue_id, const int8_t *invoke_id,
		    enum tcap_problem_type type, uint8_t problem);
/* Stop waiting for the answer of an invocation (and drop its Invoke if not yet sent) */
int tc_u_cancel_req(struct tcap_ctx *ctx, uint32_t dialogue_id, int8_t invoke_id);

/* --- a dialogue's state, for another instance to continue it --- */

#define TCAP_EXPORT_INVOKES	16

/* What a dialogue is, as plain data: the gateway stores it (JetStream KV) so that another
 * instance can continue the dialogue. Timers are given as milliseconds left. */
struct tcap_dlg_export {
	uint32_t local_tid;
	struct tcap_tid remote_tid;		/* len 0: not known yet */
	const char *state;			/* Q.774: "initiation-sent", "initiation-received", "active" */
	struct sccp_addr local_addr, remote_addr;
	bool dlg_portion;			/* the dialogue runs with a dialogue portion */
	bool aare_due;				/* the peer's AARQ is not answered yet */
	struct tcap_buf acn;			/* valid while the dialogue lives */
	uint8_t proto_class;
	bool return_on_error;
	uint32_t idle_ms;			/* left on the idle timer; 0: none */
	unsigned int n_invokes;			/* our invocations awaiting answers */
	struct {
		int8_t id;
		uint8_t op_class;
		bool sent;
		uint32_t left_ms;		/* on its invoke timer; 0: not running */
	} invokes[TCAP_EXPORT_INVOKES];
	unsigned int n_rx_ids;			/* received invokes not yet finally answered */
	int8_t rx_ids[TCAP_EXPORT_INVOKES];
};

/* 0, or -ENOENT (no such dialogue) */
int tcap_dlg_export(struct tcap_ctx *ctx, uint32_t dialogue_id, struct tcap_dlg_export *out);

/* --- configuration (tcap_vty.c) --- */
/* Install the "tcap" node (SS7GW_TCAP_NODE) under config; commands act on ctx. */
void tcap_vty_init(struct tcap_ctx *ctx);
