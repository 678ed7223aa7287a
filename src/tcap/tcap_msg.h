/*
 * TCAP messages (ITU-T Q.773): a zero-copy BER parser and a one-pass,
 * allocation-free DER builder for the transaction portion, the dialogue
 * portion (AARQ/AARE/ABRT/AUDT) and the components, for the TSL/CSL hot path.
 *
 * Parsed fields point into the caller's buffer (valid while it is). Operation
 * parameters stay opaque: tcap_comp.param is the whole TLV, for the MAP/CAP codec.
 * Errors: negative enum tcap_err; tcap_err_* helpers say what TCAP answers.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <osmocom/core/utils.h>

/* Q.773 message types (ITU application tags, constructed) */
enum tcap_msgt {
	TCAP_MSGT_UNI		= 0x61,
	TCAP_MSGT_BEGIN		= 0x62,
	TCAP_MSGT_END		= 0x64,
	TCAP_MSGT_CONTINUE	= 0x65,
	TCAP_MSGT_ABORT		= 0x67,
};
extern const struct value_string tcap_msgt_names[];
static inline const char *tcap_msgt_name(uint8_t t)
{ return get_value_string(tcap_msgt_names, t); }

/* Q.773 P-AbortCause (on the wire) */
enum tcap_p_abort_cause {
	TCAP_PA_UNRECOGNIZED_MSG_TYPE		= 0,
	TCAP_PA_UNRECOGNIZED_TID		= 1,
	TCAP_PA_BADLY_FORMATTED_TX_PORTION	= 2,
	TCAP_PA_INCORRECT_TX_PORTION		= 3,
	TCAP_PA_RESOURCE_LIMITATION		= 4,
	_TCAP_PA_COUNT
};
extern const struct value_string tcap_p_abort_cause_names[];

/* Dialogue PDUs (Q.773 Table 44-47); AUDT is the unstructured dialogue's PDU */
enum tcap_dlg_pdu {
	TCAP_DLG_NONE = 0,
	TCAP_DLG_AARQ,		/* dialogueRequest [APPLICATION 0] */
	TCAP_DLG_AARE,		/* dialogueResponse [APPLICATION 1] */
	TCAP_DLG_ABRT,		/* dialogueAbort [APPLICATION 4] */
	TCAP_DLG_AUDT,		/* unidialoguePDU [APPLICATION 0], unstructured AS */
};
extern const struct value_string tcap_dlg_pdu_names[];

/* AARE result and result-source-diagnostic */
enum tcap_aare_result { TCAP_AARE_ACCEPTED = 0, TCAP_AARE_REJECT_PERMANENT = 1 };
enum tcap_diag_source { TCAP_DIAG_USER = 1, TCAP_DIAG_PROVIDER = 2 };
enum tcap_diag_user {
	TCAP_DIAG_USER_NULL = 0, TCAP_DIAG_USER_NO_REASON = 1, TCAP_DIAG_USER_ACN_NOT_SUPPORTED = 2,
};
enum tcap_diag_provider {
	TCAP_DIAG_PROV_NULL = 0, TCAP_DIAG_PROV_NO_REASON = 1, TCAP_DIAG_PROV_NO_COMMON_DP = 2,
};
/* ABRT abort-source */
enum tcap_abrt_source { TCAP_ABRT_USER = 0, TCAP_ABRT_PROVIDER = 1 };

/* Component types (context tags, constructed) */
enum tcap_comp_type {
	TCAP_COMP_INVOKE	= 0xa1,
	TCAP_COMP_RESULT_L	= 0xa2,
	TCAP_COMP_ERROR		= 0xa3,
	TCAP_COMP_REJECT	= 0xa4,
	TCAP_COMP_RESULT_NL	= 0xa7,
};
extern const struct value_string tcap_comp_type_names[];

/* Reject problem: type is the context tag number of the Problem CHOICE */
enum tcap_problem_type {
	TCAP_PROB_GENERAL	= 0,
	TCAP_PROB_INVOKE	= 1,
	TCAP_PROB_RESULT	= 2,
	TCAP_PROB_ERROR		= 3,
};
enum tcap_prob_general {
	TCAP_GP_UNRECOGNIZED_COMPONENT	= 0,
	TCAP_GP_MISTYPED_COMPONENT	= 1,
	TCAP_GP_BADLY_STRUCTURED	= 2,
};
enum tcap_prob_invoke {
	TCAP_IP_DUPLICATE_INVOKE_ID	= 0,
	TCAP_IP_UNRECOGNIZED_OPERATION	= 1,
	TCAP_IP_MISTYPED_PARAMETER	= 2,
	TCAP_IP_RESOURCE_LIMITATION	= 3,
	TCAP_IP_INITIATING_RELEASE	= 4,
	TCAP_IP_UNRECOGNIZED_LINKED_ID	= 5,
	TCAP_IP_LINKED_RESPONSE_UNEXPECTED = 6,
	TCAP_IP_UNEXPECTED_LINKED_OP	= 7,
};
enum tcap_prob_result {
	TCAP_RRP_UNRECOGNIZED_INVOKE_ID	= 0,
	TCAP_RRP_UNEXPECTED		= 1,
	TCAP_RRP_MISTYPED_PARAMETER	= 2,
};
enum tcap_prob_error {
	TCAP_REP_UNRECOGNIZED_INVOKE_ID	= 0,
	TCAP_REP_UNEXPECTED		= 1,
	TCAP_REP_UNRECOGNIZED_ERROR	= 2,
	TCAP_REP_UNEXPECTED_ERROR	= 3,
	TCAP_REP_MISTYPED_PARAMETER	= 4,
};

/* One error enum for the TCAP codec, returned negated. The comment says what
 * the receiving TCAP answers (see tcap_err_p_abort_cause / tcap_err_reject). */
enum tcap_err {
	TCAP_ERR_MSG_TYPE = 1,	/* unknown message tag: P-Abort unrecognizedMessageType */
	TCAP_ERR_BAD_FORMAT,	/* lengths/tags of the transaction portion broken, or octets
				 * after the message: P-Abort badlyFormattedTransactionPortion */
	TCAP_ERR_TX_PORTION,	/* an id missing, repeated, of 0 or >4 octets, an element the
				 * message type does not carry: incorrectTransactionPortion */
	TCAP_ERR_DLG_SYNTAX,	/* dialogue portion malformed (Q.774: ABRT from the provider) */
	TCAP_ERR_DLG_AS,	/* dialogue-as-id is neither structured nor unstructured AS */
	TCAP_ERR_DLG_VERSION,	/* AARQ/AUDT protocol-version without version1: AARE/ABRT
				 * reject-permanent, provider no-common-dialogue-portion */
	TCAP_ERR_COMP_UNRECOGNIZED,	/* Reject general unrecognizedComponent */
	TCAP_ERR_COMP_MISTYPED,		/* Reject general mistypedComponent */
	TCAP_ERR_COMP_STRUCTURE,	/* Reject general badlyStructuredComponent */
	TCAP_ERR_TOO_MANY_COMPS,	/* more than TCAP_MAX_COMPS: P-Abort resourceLimitation */
	TCAP_ERR_BUF_TOO_SMALL,	/* builder: output buffer too small */
	TCAP_ERR_INVALID,	/* builder: a field is out of range or inconsistent */
	_TCAP_ERR_COUNT
};
extern const struct value_string tcap_err_names[];
static inline const char *tcap_err_name(int err)
{ return get_value_string(tcap_err_names, err < 0 ? -err : err); }

/* P-Abort cause for a message-level error, or -1 when the error is not one
 * (dialogue and component errors are answered differently). */
int tcap_err_p_abort_cause(int err);
/* Reject general problem for a component error, or -1. */
int tcap_err_reject_problem(int err);

#define TCAP_TID_MAX		4	/* Q.773: transaction ids of 1..4 octets */
#define TCAP_MAX_COMPS		32	/* components in one message we accept */
#define TCAP_MAX_DEPTH		24	/* nesting of indefinite-length parameters */

/* A run of octets, usually pointing into a parsed buffer. */
struct tcap_buf {
	const uint8_t *data;
	uint32_t len;
};

struct tcap_tid {
	uint8_t len;		/* 0 = absent, else 1..4 */
	uint8_t v[TCAP_TID_MAX];
};
/* Network-order value of an id (left-aligned ids are not padded). */
uint32_t tcap_tid_u32(const struct tcap_tid *tid);
void tcap_tid_set_u32(struct tcap_tid *tid, uint32_t v);	/* always 4 octets */

/* The dialogue portion: one EXTERNAL whose direct-reference is the dialogue-as-id.
 * OIDs are their content octets (no tag/length). user_info is the content of
 * user-information [30] (a sequence of EXTERNALs), len 0 when absent. */
struct tcap_dialogue {
	enum tcap_dlg_pdu pdu;		/* TCAP_DLG_NONE: no dialogue portion */
	struct tcap_buf proto_version;	/* AARQ/AARE/AUDT: BIT STRING content, e.g. 07 80 */
	struct tcap_buf acn;		/* AARQ/AARE/AUDT application-context-name */
	uint8_t result;			/* AARE: enum tcap_aare_result */
	uint8_t diag_source;		/* AARE: enum tcap_diag_source */
	uint8_t diag_value;		/* AARE: tcap_diag_user / tcap_diag_provider */
	uint8_t abort_source;		/* ABRT: enum tcap_abrt_source */
	struct tcap_buf user_info;
};

/* An operation or error code: local INTEGER or global OID (content octets). */
struct tcap_code {
	bool present;
	bool global;
	int32_t local;
	struct tcap_buf oid;
};

/* One component, parsed or to be built. */
struct tcap_comp {
	uint8_t type;			/* enum tcap_comp_type */
	bool invoke_id_present;		/* false only in a Reject (not derivable: NULL) */
	int8_t invoke_id;
	bool linked_id_present;		/* Invoke */
	int8_t linked_id;
	struct tcap_code op;		/* Invoke; ReturnResult(NL) when the result is present */
	struct tcap_code err;		/* ReturnError */
	struct tcap_buf param;		/* whole TLV of the parameter, len 0 when absent */
	uint8_t problem_type;		/* Reject: enum tcap_problem_type */
	uint8_t problem;		/* Reject: the problem code */
};

struct tcap_msg {
	uint8_t type;			/* enum tcap_msgt */
	struct tcap_tid otid;		/* Begin, Continue */
	struct tcap_tid dtid;		/* End, Continue, Abort */
	bool p_abort_present;		/* Abort: p-abortCause */
	uint8_t p_abort_cause;
	struct tcap_dialogue dlg;	/* Abort: u-abortCause when pdu != NONE */
	bool unstructured;		/* dialogue-as-id is the unstructured one (AUDT) */
	bool comps_present;		/* component portion present */
	struct tcap_buf comps;		/* its content; iterate with tcap_comp_iter */
};

/* Parse one whole TCAP message. Returns 0 or -TCAP_ERR_*. On an error, msg
 * keeps what could be read: msg->type, and msg->otid.len > 0 when the OTID was
 * readable (the caller can send an Abort back to it); msg->dtid likewise.
 * The components are not checked here: iterate them. */
int tcap_msg_parse(struct tcap_msg *msg, const uint8_t *buf, size_t len);

/* Component iterator over msg->comps. */
struct tcap_comp_iter {
	const uint8_t *p, *end;
	unsigned int count;
	bool done;
};
void tcap_comp_iter_init(struct tcap_comp_iter *it, const struct tcap_msg *msg);
/* 1: *c is the next component; 0: no more; -TCAP_ERR_COMP_*: this component
 * is broken and c holds the Reject to answer it with (problem_type general,
 * problem, invoke_id if it was derivable); iteration continues after it when
 * its end could be found. -TCAP_ERR_TOO_MANY_COMPS after TCAP_MAX_COMPS. */
int tcap_comp_next(struct tcap_comp_iter *it, struct tcap_comp *c);

/* Build msg with its components (msg->comps is ignored; ncomps == 0 writes no
 * component portion, which Unidirectional does not allow) as DER into buf.
 * One pass, back to front, no allocation. Returns the length or -TCAP_ERR_*. */
int tcap_msg_build(uint8_t *buf, size_t buflen, const struct tcap_msg *msg,
		   const struct tcap_comp *comps, unsigned int ncomps);

/* The dialogue-as-id OIDs (content octets) */
extern const struct tcap_buf tcap_as_structured;	/* 0.0.17.773.1.1.1 */
extern const struct tcap_buf tcap_as_unstructured;	/* 0.0.17.773.1.2.1 */

/* Same content (both absent or equal octets) */
static inline bool tcap_buf_equal(const struct tcap_buf *a, const struct tcap_buf *b)
{
	return a->len == b->len && (a->len == 0 || __builtin_memcmp(a->data, b->data, a->len) == 0);
}
