/*
 * SCCP connectionless messages and addresses (ITU-T Q.713): UDT, UDTS, XUDT,
 * XUDTS, LUDT, LUDTS parsed from and built into plain byte buffers. No sockets,
 * no libosmo-sigtran: the gateway runs this codec on the MTP SAP itself.
 *
 * Errors: every function returns a negative enum sccp_err (-SCCP_ERR_*) on
 * failure; sccp_err_name(-rc) names it. A parser never reads outside its buffer.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <osmocom/core/utils.h>

/* Q.713 Table 1: the connectionless message types this codec handles */
enum sccp_msgt {
	SCCP_MSGT_UDT	= 0x09,
	SCCP_MSGT_UDTS	= 0x0a,
	SCCP_MSGT_XUDT	= 0x11,
	SCCP_MSGT_XUDTS	= 0x12,
	SCCP_MSGT_LUDT	= 0x13,
	SCCP_MSGT_LUDTS	= 0x14,
};
extern const struct value_string sccp_msgt_names[];
static inline const char *sccp_msgt_name(uint8_t t)
{ return get_value_string(sccp_msgt_names, t); }

/* Q.713 3.12 return cause (UDTS, XUDTS, LUDTS) */
enum sccp_return_cause {
	SCCP_RC_NO_TRANSLATION_NATURE		= 0,
	SCCP_RC_NO_TRANSLATION_ADDRESS		= 1,
	SCCP_RC_SUBSYSTEM_CONGESTION		= 2,
	SCCP_RC_SUBSYSTEM_FAILURE		= 3,
	SCCP_RC_UNEQUIPPED_USER			= 4,
	SCCP_RC_MTP_FAILURE			= 5,
	SCCP_RC_NETWORK_CONGESTION		= 6,
	SCCP_RC_UNQUALIFIED			= 7,
	SCCP_RC_ERROR_IN_MSG_TRANSPORT		= 8,
	SCCP_RC_ERROR_IN_LOCAL_PROCESSING	= 9,
	SCCP_RC_DEST_CANNOT_REASSEMBLE		= 10,
	SCCP_RC_SCCP_FAILURE			= 11,
	SCCP_RC_HOP_COUNTER_VIOLATION		= 12,
	SCCP_RC_SEGMENTATION_NOT_SUPPORTED	= 13,
	SCCP_RC_SEGMENTATION_FAILURE		= 14,
};
extern const struct value_string sccp_return_cause_names[];
static inline const char *sccp_return_cause_name(uint8_t c)
{ return get_value_string(sccp_return_cause_names, c); }

/* Q.713 3.4.1 global title indicator (ITU) */
enum sccp_gti {
	SCCP_GTI_NONE		= 0,
	SCCP_GTI_NAI		= 1,	/* nature of address + odd/even */
	SCCP_GTI_TT		= 2,	/* translation type */
	SCCP_GTI_TT_NP_ES	= 3,	/* + numbering plan, encoding scheme */
	SCCP_GTI_TT_NP_ES_NAI	= 4,	/* + nature of address */
};
extern const struct value_string sccp_gti_names[];
static inline const char *sccp_gti_name(uint8_t g)
{ return get_value_string(sccp_gti_names, g); }

/* Q.713 3.4.2.3.3 encoding scheme */
enum sccp_es {
	SCCP_ES_UNKNOWN		= 0,
	SCCP_ES_BCD_ODD		= 1,
	SCCP_ES_BCD_EVEN	= 2,
	SCCP_ES_NATIONAL	= 3,
};
extern const struct value_string sccp_es_names[];

/* Q.713 3.4.2.3.3 numbering plan, 3.4.2.3.1 nature of address (most used) */
enum sccp_np {
	SCCP_NP_UNKNOWN		= 0,
	SCCP_NP_ISDN		= 1,	/* E.164 */
	SCCP_NP_GENERIC		= 2,
	SCCP_NP_DATA		= 3,	/* X.121 */
	SCCP_NP_TELEX		= 4,
	SCCP_NP_MARITIME	= 5,
	SCCP_NP_LAND_MOBILE	= 6,	/* E.212 */
	SCCP_NP_ISDN_MOBILE	= 7,	/* E.214 */
	SCCP_NP_PRIVATE		= 14,
};
extern const struct value_string sccp_np_names[];

enum sccp_nai {
	SCCP_NAI_UNKNOWN	= 0,
	SCCP_NAI_SUBSCRIBER	= 1,
	SCCP_NAI_NATIONAL_USE	= 2,
	SCCP_NAI_NATIONAL	= 3,	/* national significant number */
	SCCP_NAI_INTERNATIONAL	= 4,
};
extern const struct value_string sccp_nai_names[];

/* One error enum for the whole SCCP codec, returned negated. */
enum sccp_err {
	SCCP_ERR_TRUNCATED = 1,	/* shorter than the fixed part and pointers */
	SCCP_ERR_MSG_TYPE,	/* not a connectionless message type handled here */
	SCCP_ERR_PROTO_CLASS,	/* protocol class other than 0 or 1 */
	SCCP_ERR_PTR_ZERO,	/* mandatory pointer is zero */
	SCCP_ERR_PTR_RANGE,	/* pointer points outside the message or into the header */
	SCCP_ERR_LEN_RANGE,	/* parameter runs past the end of the message */
	SCCP_ERR_PART_EMPTY,	/* zero-length mandatory variable part */
	SCCP_ERR_OVERLAP,	/* two parts of the message overlap */
	SCCP_ERR_OPT_TRUNCATED,	/* optional part cut short or without end-of-optional */
	SCCP_ERR_OPT_LEN,	/* optional parameter with the wrong length */
	SCCP_ERR_OPT_DUP,	/* optional parameter present twice */
	SCCP_ERR_ADDR_TRUNCATED, /* address shorter than its indicator announces */
	SCCP_ERR_ADDR_TRAILING,	/* octets after a complete address without GT */
	SCCP_ERR_GTI,		/* global title indicator 5..15 (spare/national) */
	SCCP_ERR_GT_TOO_LONG,	/* more than SCCP_GT_MAX_DIGITS digits */
	SCCP_ERR_GT_ODD_EVEN,	/* odd number of digits announced without any octet */
	SCCP_ERR_DATA_TOO_LONG,	/* data or addresses exceed what the message can carry */
	SCCP_ERR_BUF_TOO_SMALL,	/* output buffer too small */
	SCCP_ERR_INVALID,	/* a field to encode is out of range or inconsistent */
	SCCP_ERR_SEG_TOO_LONG,	/* user data does not fit into 16 XUDT segments */
	_SCCP_ERR_COUNT
};
extern const struct value_string sccp_err_names[];
static inline const char *sccp_err_name(int err)
{ return get_value_string(sccp_err_names, err < 0 ? -err : err); }

/* --- Addresses (Q.713 3.4) --- */

#define SCCP_GT_MAX_DIGITS	32
#define SCCP_PC_MAX		0x3fff	/* 14-bit ITU point code */

/* Which address elements are present. TT/NP/NAI together determine the GT
 * indicator (sccp_addr_gti()), so there is no separate, contradicting field. */
enum sccp_addr_present {
	SCCP_ADDR_PC	= 1 << 0,
	SCCP_ADDR_SSN	= 1 << 1,
	SCCP_ADDR_TT	= 1 << 2,	/* GTI 2, 3, 4 */
	SCCP_ADDR_NP	= 1 << 3,	/* numbering plan + encoding scheme: GTI 3, 4 */
	SCCP_ADDR_NAI	= 1 << 4,	/* GTI 1, 4 */
};
#define SCCP_ADDR_GT_MASK (SCCP_ADDR_TT | SCCP_ADDR_NP | SCCP_ADDR_NAI)

struct sccp_addr {
	uint8_t present;	/* SCCP_ADDR_* */
	bool route_on_ssn;	/* routing indicator: false = route on GT */
	bool national;		/* address indicator bit 8 (reserved for national use) */
	uint16_t pc;
	uint8_t ssn;
	uint8_t tt;
	uint8_t np;
	/* Encoding scheme. BCD odd/even is recomputed from the digit count on
	 * encode; any other scheme carries the address octets as hex nibbles
	 * (low nibble first, an even count), so they survive a round trip. */
	uint8_t es;
	uint8_t nai;
	/* Address signals: 0-9, and A-F for the nibbles 10-15 (B and C are
	 * Q.713's codes 11 and 12). NUL-terminated; empty without a GT. */
	char digits[SCCP_GT_MAX_DIGITS + 1];
};

/* GT indicator implied by addr->present, or -SCCP_ERR_INVALID for a
 * combination Q.713 has no indicator for (e.g. NP without TT). */
int sccp_addr_gti(const struct sccp_addr *addr);

/* Fill a GT of the given indicator, BCD encoded; sets TT/NP/NAI presence.
 * Fields the indicator does not carry are ignored. */
int sccp_addr_set_gt(struct sccp_addr *addr, enum sccp_gti gti, uint8_t tt, uint8_t np,
		     uint8_t nai, const char *digits);

/* Parse one address parameter's contents (without its length octet). */
int sccp_addr_decode(struct sccp_addr *addr, const uint8_t *buf, size_t len);
/* Returns the encoded length (without a length octet) or a negative error. */
int sccp_addr_encode(uint8_t *buf, size_t buflen, const struct sccp_addr *addr);
/* Same fields (digits compared as text, case-insensitively). */
bool sccp_addr_equal(const struct sccp_addr *a, const struct sccp_addr *b);
/* Log form, e.g. "RI=GT GT=491700000001(GTI=4,TT=0,NP=1,ES=1,NAI=4) SSN=6 PC=258".
 * Returns what snprintf returns. */
int sccp_addr_str(char *buf, size_t buflen, const struct sccp_addr *addr);

/* --- Messages (Q.713 4) --- */

/* Q.713 3.17 segmentation parameter */
struct sccp_segmentation {
	bool first;		/* F: first segment */
	uint8_t class;		/* C: protocol class the user asked for (0 or 1) */
	uint8_t remaining;	/* remaining segments, 0..15 */
	uint32_t local_ref;	/* segmentation local reference, 24 bits */
};

#define SCCP_HOP_COUNTER_MAX	15	/* Q.713 3.18: initial value, at most 15 */
#define SCCP_DATA_MAX		255	/* UDT(S), XUDT(S) data parameter */
#define SCCP_LONG_DATA_MAX	3952	/* Q.713 3.20: LUDT(S) long data */
#define SCCP_IMPORTANCE_MAX	7

struct sccp_msg {
	uint8_t type;			/* enum sccp_msgt */
	uint8_t proto_class;		/* UDT, XUDT, LUDT: 0 or 1 */
	bool return_on_error;		/* UDT, XUDT, LUDT: message handling "return" */
	uint8_t return_cause;		/* UDTS, XUDTS, LUDTS: enum sccp_return_cause */
	uint8_t hop_counter;		/* XUDT(S), LUDT(S) */
	struct sccp_addr called;
	struct sccp_addr calling;
	/* After sccp_msg_decode() this points into the parsed buffer. */
	const uint8_t *data;
	size_t data_len;
	/* Optional part: XUDT(S), LUDT(S) only */
	bool seg_present;
	struct sccp_segmentation seg;
	bool importance_present;
	uint8_t importance;
};

/* Parse buf (one SCCP message, no MTP routing label) into msg. msg->data
 * points into buf. Unknown optional parameters are skipped, octets no
 * pointer covers are ignored; everything else wrong is an error. */
int sccp_msg_decode(struct sccp_msg *msg, const uint8_t *buf, size_t len);

/* Encode msg; returns the message length or a negative error. */
int sccp_msg_encode(uint8_t *buf, size_t buflen, const struct sccp_msg *msg);

/* Length sccp_msg_encode() would produce, or a negative error. */
int sccp_msg_encoded_len(const struct sccp_msg *msg);

/* The fields msg's type carries are the same, data compared by content
 * (what a decode of an encode must give back). */
bool sccp_msg_equal(const struct sccp_msg *a, const struct sccp_msg *b);

/* Largest msg->data_len with which msg (its type, addresses and optional
 * part as they are) still encodes within max_len octets; negative error if
 * not even one octet of data fits. */
int sccp_msg_max_data(const struct sccp_msg *msg, size_t max_len);
