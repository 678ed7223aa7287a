/*
 * SCCP connectionless control (SCLC) helpers, ITU-T Q.714 clause 4: splitting
 * user data into XUDT segments (4.1.1), reassembling them (4.1.2), the SLS
 * choice that keeps class 1 traffic in sequence, and the message returned on
 * error. Pure logic: no sockets and no clock; the caller passes "now".
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sccp_msg.h"

#define SCCP_SEG_MAX		16	/* remaining-segments field: 4 bits */
#define SCCP_MTP3_MAX_MSG_LEN	268	/* Q.703 272-octet SIF minus the 4-octet routing label */

/* SLS for one message (Q.714 4.1): class 1 asks for in-sequence
 * delivery, so every message with the same sequence-control value (e.g. one
 * TCAP dialogue) maps to one SLS; class 0 messages are spread with *rotor.
 * A segmented message is sent whole on the SLS chosen once for it. Returns a
 * 4-bit ITU SLS. */
uint8_t sccp_sclc_sls(uint8_t proto_class, uint32_t seq_ctrl, uint8_t *rotor);

/* Split msg (a UDT or XUDT with all its user data in msg->data) into
 * messages of at most max_msg_len octets each. Returns the number of
 * messages written to seg[]: 1 (msg unchanged) when it fits as it is, else
 * 2..16 XUDT segments. Per Q.714 the segments are sent as class 1 with the
 * user's class in the segmentation C bit, the first segment is the largest
 * and alone carries the return option. seg[i].data points into msg->data.
 * -SCCP_ERR_SEG_TOO_LONG when 16 segments are not enough (the caller answers
 * with return cause "segmentation failure"). */
int sccp_sclc_segment(struct sccp_msg seg[SCCP_SEG_MAX], const struct sccp_msg *msg,
		      uint32_t local_ref, size_t max_msg_len);

/* The UDTS/XUDTS/LUDTS that returns orig (UDT/XUDT/LUDT) with cause (Q.714
 * message return): addresses swapped, the same data (orig's data must stay valid), hop
 * counter restarted at 15, no segmentation parameter. */
int sccp_sclc_make_return(struct sccp_msg *ret, const struct sccp_msg *orig, uint8_t cause);

/* --- Reassembly (Q.714 4.1.2) --- */

struct sccp_reasm_cfg {
	unsigned int max_contexts;	/* reassemblies in progress at once */
	size_t max_total;		/* octets buffered over all of them */
	size_t max_msg;			/* largest reassembled user data accepted */
	uint64_t timeout_ms;		/* T(reassembly), started by the first segment */
	/* Q.714 expects segments in sequence (they share one SLS) and fails the
	 * reassembly on any other order. Set this to accept any order instead
	 * (each remaining-segments value once; an identical repeat is dropped). */
	bool any_order;
};

enum sccp_reasm_status {
	SCCP_REASM_PENDING,	/* segment kept, more to come */
	SCCP_REASM_DONE,	/* res->msg is the whole message */
	SCCP_REASM_FAILED,	/* reassembly given up: res->return_cause says why */
	SCCP_REASM_DISCARDED,	/* segment dropped without failing anything */
};
extern const struct value_string sccp_reasm_status_names[];

struct sccp_reasm_result {
	enum sccp_reasm_status status;
	/* DONE: header of the first segment, class from its C bit, data = the
	 * whole user data. FAILED with have_msg: the first segment (to return
	 * it if return_on_error is set). data points into buf. */
	struct sccp_msg msg;
	bool have_msg;
	uint8_t return_cause;	/* FAILED */
	uint8_t *buf;		/* owned by the caller: sccp_reasm_result_clear() */
};

struct sccp_reasm;

struct sccp_reasm *sccp_reasm_alloc(const struct sccp_reasm_cfg *cfg);
void sccp_reasm_free(struct sccp_reasm *r);

/* Offer one received message that has a segmentation parameter (XUDT or
 * XUDTS; a "first and last" segment should be handled by the caller as an
 * ordinary message). opc belongs to the key with the calling address and the
 * local reference, so two originators cannot mix their segments. Returns the
 * status, also stored in res->status. res->buf must be cleared afterwards. */
enum sccp_reasm_status sccp_reasm_add(struct sccp_reasm *r, const struct sccp_msg *seg, uint32_t opc,
				      uint64_t now_ms, struct sccp_reasm_result *res);

/* Hand out one reassembly whose timer has run out by now_ms as FAILED
 * ("segmentation failure"); returns false when there is none. Call until false. */
bool sccp_reasm_expire(struct sccp_reasm *r, uint64_t now_ms, struct sccp_reasm_result *res);

/* When the next timer runs out (ms, same clock as now_ms); UINT64_MAX if idle. */
uint64_t sccp_reasm_next_expiry(const struct sccp_reasm *r);

/* Reassemblies in progress and octets they hold (for counters and tests). */
unsigned int sccp_reasm_count(const struct sccp_reasm *r);
size_t sccp_reasm_bytes(const struct sccp_reasm *r);

void sccp_reasm_result_clear(struct sccp_reasm_result *res);
