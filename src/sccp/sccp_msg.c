/*
 * SCCP connectionless message codec (ITU-T Q.713 clause 4): the fixed part,
 * the pointers to the mandatory variable parts and to the optional part.
 * One layout table describes the six message types; parsing checks every
 * pointer and length against the buffer before reading what it points to.
 */
#include <string.h>

#include <osmocom/core/bit16gen.h>
#include <osmocom/core/utils.h>

#include "sccp_msg.h"

/* Q.713 Table 2: parameter names used in the optional part */
#define PNC_END_OF_OPTIONAL	0x00
#define PNC_SEGMENTATION	0x10
#define PNC_IMPORTANCE		0x12

#define PCLASS_CLASS_MASK	0x0f
#define PCLASS_RETURN_ON_ERROR	0x80	/* Q.713 3.6: message handling, classes 0/1 */

#define SEG_FIRST		0x80	/* Q.713 3.17 */
#define SEG_CLASS1		0x40
#define SEG_REMAINING_MASK	0x0f
#define SEG_LEN			4
#define IMPORTANCE_MASK		0x07	/* Q.713 3.19, bits 4-8 spare */

/* Encoded address: AI + PC + SSN + 3 GT header octets + the digits */
#define ADDR_MAX_LEN		(1 + 2 + 1 + 3 + SCCP_GT_MAX_DIGITS / 2)
/* Segmentation (2 + 4) + importance (2 + 1) + end of optional parameters */
#define OPT_MAX_LEN		(2 + SEG_LEN + 2 + 1 + 1)

const struct value_string sccp_msgt_names[] = {
	{ SCCP_MSGT_UDT,	"UDT" },
	{ SCCP_MSGT_UDTS,	"UDTS" },
	{ SCCP_MSGT_XUDT,	"XUDT" },
	{ SCCP_MSGT_XUDTS,	"XUDTS" },
	{ SCCP_MSGT_LUDT,	"LUDT" },
	{ SCCP_MSGT_LUDTS,	"LUDTS" },
	{ 0, NULL }
};

const struct value_string sccp_return_cause_names[] = {
	{ SCCP_RC_NO_TRANSLATION_NATURE,	"no translation for an address of such nature" },
	{ SCCP_RC_NO_TRANSLATION_ADDRESS,	"no translation for this specific address" },
	{ SCCP_RC_SUBSYSTEM_CONGESTION,		"subsystem congestion" },
	{ SCCP_RC_SUBSYSTEM_FAILURE,		"subsystem failure" },
	{ SCCP_RC_UNEQUIPPED_USER,		"unequipped user" },
	{ SCCP_RC_MTP_FAILURE,			"MTP failure" },
	{ SCCP_RC_NETWORK_CONGESTION,		"network congestion" },
	{ SCCP_RC_UNQUALIFIED,			"unqualified" },
	{ SCCP_RC_ERROR_IN_MSG_TRANSPORT,	"error in message transport" },
	{ SCCP_RC_ERROR_IN_LOCAL_PROCESSING,	"error in local processing" },
	{ SCCP_RC_DEST_CANNOT_REASSEMBLE,	"destination cannot perform reassembly" },
	{ SCCP_RC_SCCP_FAILURE,			"SCCP failure" },
	{ SCCP_RC_HOP_COUNTER_VIOLATION,	"hop counter violation" },
	{ SCCP_RC_SEGMENTATION_NOT_SUPPORTED,	"segmentation not supported" },
	{ SCCP_RC_SEGMENTATION_FAILURE,		"segmentation failure" },
	{ 0, NULL }
};

const struct value_string sccp_err_names[] = {
	{ SCCP_ERR_TRUNCATED,		"message truncated" },
	{ SCCP_ERR_MSG_TYPE,		"unsupported message type" },
	{ SCCP_ERR_PROTO_CLASS,		"protocol class not 0 or 1" },
	{ SCCP_ERR_PTR_ZERO,		"mandatory pointer is zero" },
	{ SCCP_ERR_PTR_RANGE,		"pointer outside the message" },
	{ SCCP_ERR_LEN_RANGE,		"parameter length beyond the message" },
	{ SCCP_ERR_PART_EMPTY,		"empty mandatory parameter" },
	{ SCCP_ERR_OVERLAP,		"parameters overlap" },
	{ SCCP_ERR_OPT_TRUNCATED,	"optional part truncated" },
	{ SCCP_ERR_OPT_LEN,		"optional parameter of wrong length" },
	{ SCCP_ERR_OPT_DUP,		"optional parameter repeated" },
	{ SCCP_ERR_ADDR_TRUNCATED,	"address truncated" },
	{ SCCP_ERR_ADDR_TRAILING,	"octets after the address" },
	{ SCCP_ERR_GTI,			"unsupported global title indicator" },
	{ SCCP_ERR_GT_TOO_LONG,		"global title too long" },
	{ SCCP_ERR_GT_ODD_EVEN,		"odd number of digits without digits" },
	{ SCCP_ERR_DATA_TOO_LONG,	"data too long for the message" },
	{ SCCP_ERR_BUF_TOO_SMALL,	"buffer too small" },
	{ SCCP_ERR_INVALID,		"invalid field value" },
	{ SCCP_ERR_SEG_TOO_LONG,	"data too long for 16 segments" },
	{ 0, NULL }
};

/* Q.713 4.10-4.21: what follows the message type code */
struct msg_layout {
	uint8_t type;
	uint8_t fixed;		/* mandatory fixed part, message type included */
	uint8_t ptr_size;	/* 1, or 2 for LUDT(S) */
	uint8_t len_size;	/* length indicator of the data: 1, or 2 for long data */
	bool service;		/* return cause where the others have the protocol class */
	bool hop_counter;
	bool optional;		/* has a pointer to an optional part */
	uint16_t data_max;
};

static const struct msg_layout layouts[] = {
	{ SCCP_MSGT_UDT,   2, 1, 1, false, false, false, SCCP_DATA_MAX },
	{ SCCP_MSGT_UDTS,  2, 1, 1, true,  false, false, SCCP_DATA_MAX },
	{ SCCP_MSGT_XUDT,  3, 1, 1, false, true,  true,  SCCP_DATA_MAX },
	{ SCCP_MSGT_XUDTS, 3, 1, 1, true,  true,  true,  SCCP_DATA_MAX },
	{ SCCP_MSGT_LUDT,  3, 2, 2, false, true,  true,  SCCP_LONG_DATA_MAX },
	{ SCCP_MSGT_LUDTS, 3, 2, 2, true,  true,  true,  SCCP_LONG_DATA_MAX },
};

static const struct msg_layout *layout_of(uint8_t type)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(layouts); i++) {
		if (layouts[i].type == type)
			return &layouts[i];
	}
	return NULL;
}

static unsigned int num_ptrs(const struct msg_layout *lay)
{
	return 3 + lay->optional;
}

/* Q.713 2.3: a pointer counts the octets from itself to its parameter. For
 * the two-octet pointers of LUDT(S) the count starts at the pointer's second
 * (most significant, sent last) octet: pycrate quotes 2.3 that way, and
 * Wireshark, libosmo-sigtran and Yate all count so. */
static size_t ptr_base(const struct msg_layout *lay, size_t ptr_off)
{
	return ptr_off + lay->ptr_size - 1;
}

static size_t load_uint(const uint8_t *p, unsigned int size)
{
	return size == 1 ? p[0] : osmo_load16le(p);
}

static void store_uint(uint8_t *p, unsigned int size, size_t v)
{
	if (size == 1)
		p[0] = v;
	else
		osmo_store16le(v, p);
}

/* --- decoding --- */

struct span {
	size_t start, end;
};

/* Locate mandatory variable part i; its value is [*val, *val + *vlen). */
static int var_part(const uint8_t *buf, size_t len, const struct msg_layout *lay, unsigned int i,
		    unsigned int len_size, struct span *sp, size_t *val, size_t *vlen)
{
	size_t hdr = lay->fixed + num_ptrs(lay) * lay->ptr_size;
	size_t ptr_off = lay->fixed + i * lay->ptr_size;
	size_t v = load_uint(buf + ptr_off, lay->ptr_size);
	size_t target;

	if (v == 0)
		return -SCCP_ERR_PTR_ZERO;
	target = ptr_base(lay, ptr_off) + v;
	if (target < hdr || target >= len)
		return -SCCP_ERR_PTR_RANGE;
	if (target + len_size > len)
		return -SCCP_ERR_LEN_RANGE;
	*vlen = load_uint(buf + target, len_size);
	*val = target + len_size;
	if (*val + *vlen > len)
		return -SCCP_ERR_LEN_RANGE;
	if (*vlen == 0)
		return -SCCP_ERR_PART_EMPTY;
	sp->start = target;
	sp->end = *val + *vlen;
	return 0;
}

static int opt_param(struct sccp_msg *msg, uint8_t name, const uint8_t *p, size_t plen)
{
	switch (name) {
	case PNC_SEGMENTATION:
		if (plen != SEG_LEN)
			return -SCCP_ERR_OPT_LEN;
		if (msg->seg_present)
			return -SCCP_ERR_OPT_DUP;
		msg->seg_present = true;
		msg->seg.first = p[0] & SEG_FIRST;
		msg->seg.class = (p[0] & SEG_CLASS1) ? 1 : 0;
		msg->seg.remaining = p[0] & SEG_REMAINING_MASK;
		msg->seg.local_ref = p[1] | p[2] << 8 | (uint32_t)p[3] << 16;
		return 0;
	case PNC_IMPORTANCE:
		if (plen != 1)
			return -SCCP_ERR_OPT_LEN;
		if (msg->importance_present)
			return -SCCP_ERR_OPT_DUP;
		msg->importance_present = true;
		msg->importance = p[0] & IMPORTANCE_MASK;
		return 0;
	default:
		/* not defined for these messages: ignored */
		return 0;
	}
}

/* Optional part from 'start' up to and including end of optional parameters */
static int opt_part(struct sccp_msg *msg, const uint8_t *buf, size_t len, size_t start, struct span *sp)
{
	size_t off = start;
	int rc;

	for (;;) {
		uint8_t name, plen;

		if (off >= len)
			return -SCCP_ERR_OPT_TRUNCATED;
		name = buf[off];
		if (name == PNC_END_OF_OPTIONAL)
			break;
		if (off + 2 > len)
			return -SCCP_ERR_OPT_TRUNCATED;
		plen = buf[off + 1];
		if (off + 2 + plen > len)
			return -SCCP_ERR_OPT_TRUNCATED;
		rc = opt_param(msg, name, buf + off + 2, plen);
		if (rc < 0)
			return rc;
		off += 2 + plen;
	}
	sp->start = start;
	sp->end = off + 1;
	return 0;
}

static int check_overlap(const struct span *sp, unsigned int n)
{
	unsigned int i, j;

	for (i = 0; i < n; i++) {
		for (j = i + 1; j < n; j++) {
			if (sp[i].start < sp[j].end && sp[j].start < sp[i].end)
				return -SCCP_ERR_OVERLAP;
		}
	}
	return 0;
}

static int decode_fixed(struct sccp_msg *msg, const struct msg_layout *lay, const uint8_t *buf)
{
	msg->type = buf[0];
	if (lay->service) {
		msg->return_cause = buf[1];
	} else {
		msg->proto_class = buf[1] & PCLASS_CLASS_MASK;
		if (msg->proto_class > 1)
			return -SCCP_ERR_PROTO_CLASS;
		/* the other handling bits are spare in ITU */
		msg->return_on_error = buf[1] & PCLASS_RETURN_ON_ERROR;
	}
	if (lay->hop_counter)
		msg->hop_counter = buf[2];
	return 0;
}

int sccp_msg_decode(struct sccp_msg *msg, const uint8_t *buf, size_t len)
{
	const struct msg_layout *lay;
	struct span sp[4];
	unsigned int nsp = 3;
	size_t val, vlen;
	int rc;

	memset(msg, 0, sizeof(*msg));
	if (len < 1)
		return -SCCP_ERR_TRUNCATED;
	lay = layout_of(buf[0]);
	if (!lay)
		return -SCCP_ERR_MSG_TYPE;
	if (len < lay->fixed + num_ptrs(lay) * lay->ptr_size)
		return -SCCP_ERR_TRUNCATED;
	rc = decode_fixed(msg, lay, buf);
	if (rc < 0)
		return rc;

	rc = var_part(buf, len, lay, 0, 1, &sp[0], &val, &vlen);
	if (rc < 0)
		return rc;
	rc = sccp_addr_decode(&msg->called, buf + val, vlen);
	if (rc < 0)
		return rc;
	rc = var_part(buf, len, lay, 1, 1, &sp[1], &val, &vlen);
	if (rc < 0)
		return rc;
	rc = sccp_addr_decode(&msg->calling, buf + val, vlen);
	if (rc < 0)
		return rc;
	rc = var_part(buf, len, lay, 2, lay->len_size, &sp[2], &val, &vlen);
	if (rc < 0)
		return rc;
	if (vlen > lay->data_max)
		return -SCCP_ERR_DATA_TOO_LONG;
	msg->data = buf + val;
	msg->data_len = vlen;

	if (lay->optional) {
		size_t ptr_off = lay->fixed + 3 * lay->ptr_size;
		size_t v = load_uint(buf + ptr_off, lay->ptr_size);

		/* a zero pointer: no optional part */
		if (v) {
			size_t start = ptr_base(lay, ptr_off) + v;

			if (start < lay->fixed + num_ptrs(lay) * lay->ptr_size || start >= len)
				return -SCCP_ERR_PTR_RANGE;
			rc = opt_part(msg, buf, len, start, &sp[nsp++]);
			if (rc < 0)
				return rc;
		}
	}
	return check_overlap(sp, nsp);
}

/* --- encoding --- */

/* Where everything goes for one message; computed before writing anything. */
struct msg_plan {
	const struct msg_layout *lay;
	uint8_t cd[ADDR_MAX_LEN], cg[ADDR_MAX_LEN], opt[OPT_MAX_LEN];
	size_t cd_len, cg_len, opt_len;
	size_t cd_off, cg_off, data_off, opt_off, total;
};

static int plan_opt(struct msg_plan *p, const struct sccp_msg *msg)
{
	uint8_t *o = p->opt;
	const struct sccp_segmentation *s = &msg->seg;

	p->opt_len = 0;
	if (!msg->seg_present && !msg->importance_present)
		return 0;
	if (!p->lay->optional)
		return -SCCP_ERR_INVALID;
	if (msg->seg_present) {
		if (s->class > 1 || s->remaining > SEG_REMAINING_MASK || s->local_ref > 0xffffff)
			return -SCCP_ERR_INVALID;
		*o++ = PNC_SEGMENTATION;
		*o++ = SEG_LEN;
		*o++ = (s->first ? SEG_FIRST : 0) | (s->class ? SEG_CLASS1 : 0) | s->remaining;
		*o++ = s->local_ref;
		*o++ = s->local_ref >> 8;
		*o++ = s->local_ref >> 16;
	}
	if (msg->importance_present) {
		if (msg->importance > SCCP_IMPORTANCE_MAX)
			return -SCCP_ERR_INVALID;
		*o++ = PNC_IMPORTANCE;
		*o++ = 1;
		*o++ = msg->importance;
	}
	*o++ = PNC_END_OF_OPTIONAL;
	p->opt_len = o - p->opt;
	return 0;
}

static bool ptr_fits(const struct msg_plan *p, unsigned int i, size_t target)
{
	size_t ptr_off = p->lay->fixed + i * p->lay->ptr_size;

	return target - ptr_base(p->lay, ptr_off) <= (p->lay->ptr_size == 1 ? 0xffu : 0xffffu);
}

/* Lay out msg with data_len octets of data (which need not be there yet). */
static int plan_msg(struct msg_plan *p, const struct sccp_msg *msg, size_t data_len)
{
	const struct msg_layout *lay = layout_of(msg->type);
	int rc;

	if (!lay)
		return -SCCP_ERR_MSG_TYPE;
	p->lay = lay;
	if (!lay->service && msg->proto_class > 1)
		return -SCCP_ERR_PROTO_CLASS;
	if (data_len == 0)
		return -SCCP_ERR_PART_EMPTY;
	if (data_len > lay->data_max)
		return -SCCP_ERR_DATA_TOO_LONG;
	rc = sccp_addr_encode(p->cd, sizeof(p->cd), &msg->called);
	if (rc < 0)
		return rc;
	p->cd_len = rc;
	rc = sccp_addr_encode(p->cg, sizeof(p->cg), &msg->calling);
	if (rc < 0)
		return rc;
	p->cg_len = rc;
	rc = plan_opt(p, msg);
	if (rc < 0)
		return rc;

	/* parameters in the order of their pointers, optional part last */
	p->cd_off = lay->fixed + num_ptrs(lay) * lay->ptr_size;
	p->cg_off = p->cd_off + 1 + p->cd_len;
	p->data_off = p->cg_off + 1 + p->cg_len;
	p->opt_off = p->data_off + lay->len_size + data_len;
	p->total = p->opt_off + p->opt_len;
	if (!ptr_fits(p, 0, p->cd_off) || !ptr_fits(p, 1, p->cg_off) || !ptr_fits(p, 2, p->data_off)
	    || (p->opt_len && !ptr_fits(p, 3, p->opt_off)))
		return -SCCP_ERR_DATA_TOO_LONG;
	return 0;
}

static void put_ptr(uint8_t *buf, const struct msg_plan *p, unsigned int i, size_t target)
{
	size_t ptr_off = p->lay->fixed + i * p->lay->ptr_size;

	store_uint(buf + ptr_off, p->lay->ptr_size, target ? target - ptr_base(p->lay, ptr_off) : 0);
}

int sccp_msg_encode(uint8_t *buf, size_t buflen, const struct sccp_msg *msg)
{
	struct msg_plan p;
	int rc;

	rc = plan_msg(&p, msg, msg->data_len);
	if (rc < 0)
		return rc;
	if (!msg->data)
		return -SCCP_ERR_INVALID;
	if (p.total > buflen)
		return -SCCP_ERR_BUF_TOO_SMALL;

	buf[0] = msg->type;
	if (p.lay->service)
		buf[1] = msg->return_cause;
	else
		buf[1] = msg->proto_class | (msg->return_on_error ? PCLASS_RETURN_ON_ERROR : 0);
	if (p.lay->hop_counter)
		buf[2] = msg->hop_counter;
	put_ptr(buf, &p, 0, p.cd_off);
	put_ptr(buf, &p, 1, p.cg_off);
	put_ptr(buf, &p, 2, p.data_off);
	if (p.lay->optional)
		put_ptr(buf, &p, 3, p.opt_len ? p.opt_off : 0);

	buf[p.cd_off] = p.cd_len;
	memcpy(buf + p.cd_off + 1, p.cd, p.cd_len);
	buf[p.cg_off] = p.cg_len;
	memcpy(buf + p.cg_off + 1, p.cg, p.cg_len);
	store_uint(buf + p.data_off, p.lay->len_size, msg->data_len);
	memcpy(buf + p.data_off + p.lay->len_size, msg->data, msg->data_len);
	memcpy(buf + p.opt_off, p.opt, p.opt_len);
	return p.total;
}

int sccp_msg_encoded_len(const struct sccp_msg *msg)
{
	struct msg_plan p;
	int rc = plan_msg(&p, msg, msg->data_len);

	return rc < 0 ? rc : (int)p.total;
}

int sccp_msg_max_data(const struct sccp_msg *msg, size_t max_len)
{
	struct msg_plan p;
	size_t max, fixed;
	int rc = plan_msg(&p, msg, 1);

	if (rc < 0)
		return rc;
	max = p.lay->data_max;
	fixed = p.total - 1;
	if (max_len <= fixed)
		return -SCCP_ERR_DATA_TOO_LONG;
	max = OSMO_MIN(max, max_len - fixed);
	/* the optional part comes after the data, so its pointer limits the data */
	if (p.opt_len && p.lay->ptr_size == 1) {
		size_t ptr_at = ptr_base(p.lay, p.lay->fixed + 3 * p.lay->ptr_size);
		size_t reach = p.opt_off - 1 - ptr_at;	/* pointer value with 0 octets of data */

		if (reach >= 0xff)
			return -SCCP_ERR_DATA_TOO_LONG;
		max = OSMO_MIN(max, 0xff - reach);
	}
	return max;
}

bool sccp_msg_equal(const struct sccp_msg *a, const struct sccp_msg *b)
{
	const struct msg_layout *lay = layout_of(a->type);

	if (!lay || a->type != b->type)
		return false;
	if (lay->service ? a->return_cause != b->return_cause
			 : a->proto_class != b->proto_class || a->return_on_error != b->return_on_error)
		return false;
	if (lay->hop_counter && a->hop_counter != b->hop_counter)
		return false;
	if (!sccp_addr_equal(&a->called, &b->called) || !sccp_addr_equal(&a->calling, &b->calling))
		return false;
	if (a->data_len != b->data_len || (a->data_len && memcmp(a->data, b->data, a->data_len)))
		return false;
	if (a->seg_present != b->seg_present || a->importance_present != b->importance_present)
		return false;
	if (a->seg_present && (a->seg.first != b->seg.first || a->seg.class != b->seg.class
			       || a->seg.remaining != b->seg.remaining || a->seg.local_ref != b->seg.local_ref))
		return false;
	return !a->importance_present || a->importance == b->importance;
}
