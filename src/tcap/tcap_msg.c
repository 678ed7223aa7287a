/*
 * TCAP message codec (Q.773): BER in (definite and indefinite lengths), DER
 * out. The transaction and dialogue portions are parsed into struct tcap_msg,
 * components one at a time; nothing is copied and nothing allocated.
 */
#include <string.h>

#include "tcap_msg.h"

const struct value_string tcap_msgt_names[] = {
	{ TCAP_MSGT_UNI, "Unidirectional" },
	{ TCAP_MSGT_BEGIN, "Begin" },
	{ TCAP_MSGT_END, "End" },
	{ TCAP_MSGT_CONTINUE, "Continue" },
	{ TCAP_MSGT_ABORT, "Abort" },
	{ 0, NULL }
};

const struct value_string tcap_p_abort_cause_names[] = {
	{ TCAP_PA_UNRECOGNIZED_MSG_TYPE, "unrecognizedMessageType" },
	{ TCAP_PA_UNRECOGNIZED_TID, "unrecognizedTransactionID" },
	{ TCAP_PA_BADLY_FORMATTED_TX_PORTION, "badlyFormattedTransactionPortion" },
	{ TCAP_PA_INCORRECT_TX_PORTION, "incorrectTransactionPortion" },
	{ TCAP_PA_RESOURCE_LIMITATION, "resourceLimitation" },
	{ 0, NULL }
};

const struct value_string tcap_dlg_pdu_names[] = {
	{ TCAP_DLG_NONE, "none" },
	{ TCAP_DLG_AARQ, "AARQ" },
	{ TCAP_DLG_AARE, "AARE" },
	{ TCAP_DLG_ABRT, "ABRT" },
	{ TCAP_DLG_AUDT, "AUDT" },
	{ 0, NULL }
};

const struct value_string tcap_comp_type_names[] = {
	{ TCAP_COMP_INVOKE, "Invoke" },
	{ TCAP_COMP_RESULT_L, "ReturnResultLast" },
	{ TCAP_COMP_ERROR, "ReturnError" },
	{ TCAP_COMP_REJECT, "Reject" },
	{ TCAP_COMP_RESULT_NL, "ReturnResultNotLast" },
	{ 0, NULL }
};

const struct value_string tcap_err_names[] = {
	{ TCAP_ERR_MSG_TYPE, "unrecognized message type" },
	{ TCAP_ERR_BAD_FORMAT, "badly formatted transaction portion" },
	{ TCAP_ERR_TX_PORTION, "incorrect transaction portion" },
	{ TCAP_ERR_DLG_SYNTAX, "malformed dialogue portion" },
	{ TCAP_ERR_DLG_AS, "unknown dialogue abstract syntax" },
	{ TCAP_ERR_DLG_VERSION, "dialogue protocol version not supported" },
	{ TCAP_ERR_COMP_UNRECOGNIZED, "unrecognized component" },
	{ TCAP_ERR_COMP_MISTYPED, "mistyped component" },
	{ TCAP_ERR_COMP_STRUCTURE, "badly structured component" },
	{ TCAP_ERR_TOO_MANY_COMPS, "too many components" },
	{ TCAP_ERR_BUF_TOO_SMALL, "output buffer too small" },
	{ TCAP_ERR_INVALID, "invalid field" },
	{ 0, NULL }
};

static const uint8_t as_structured[] = { 0x00, 0x11, 0x86, 0x05, 0x01, 0x01, 0x01 };
static const uint8_t as_unstructured[] = { 0x00, 0x11, 0x86, 0x05, 0x01, 0x02, 0x01 };
const struct tcap_buf tcap_as_structured = { as_structured, sizeof(as_structured) };
const struct tcap_buf tcap_as_unstructured = { as_unstructured, sizeof(as_unstructured) };

int tcap_err_p_abort_cause(int err)
{
	switch (err < 0 ? -err : err) {
	case TCAP_ERR_MSG_TYPE:
		return TCAP_PA_UNRECOGNIZED_MSG_TYPE;
	case TCAP_ERR_BAD_FORMAT:
		return TCAP_PA_BADLY_FORMATTED_TX_PORTION;
	case TCAP_ERR_TX_PORTION:
		return TCAP_PA_INCORRECT_TX_PORTION;
	case TCAP_ERR_TOO_MANY_COMPS:
		return TCAP_PA_RESOURCE_LIMITATION;
	default:
		return -1;
	}
}

int tcap_err_reject_problem(int err)
{
	switch (err < 0 ? -err : err) {
	case TCAP_ERR_COMP_UNRECOGNIZED:
		return TCAP_GP_UNRECOGNIZED_COMPONENT;
	case TCAP_ERR_COMP_MISTYPED:
		return TCAP_GP_MISTYPED_COMPONENT;
	case TCAP_ERR_COMP_STRUCTURE:
		return TCAP_GP_BADLY_STRUCTURED;
	default:
		return -1;
	}
}

uint32_t tcap_tid_u32(const struct tcap_tid *tid)
{
	uint32_t v = 0;

	for (unsigned int i = 0; i < tid->len && i < TCAP_TID_MAX; i++)
		v = (v << 8) | tid->v[i];
	return v;
}

void tcap_tid_set_u32(struct tcap_tid *tid, uint32_t v)
{
	tid->len = 4;
	tid->v[0] = v >> 24;
	tid->v[1] = v >> 16;
	tid->v[2] = v >> 8;
	tid->v[3] = v;
}

/* --- BER reading --- */

/* One TLV. Low tag numbers keep their identifier octet as tag; high tag
 * numbers get bit 31 set so that they never match an identifier octet. */
struct tlv {
	uint32_t tag;
	bool constructed;
	const uint8_t *v;	/* content (without an end-of-contents) */
	uint32_t len;
	const uint8_t *next;	/* first octet after the TLV */
};

/* Read the TLV at p (before end). An indefinite length is resolved by walking
 * the nested TLVs to the end-of-contents, at most TCAP_MAX_DEPTH deep.
 * Returns 0 or -1 (malformed or cut short). */
static int ber_read(struct tlv *t, const uint8_t *p, const uint8_t *end, int depth)
{
	uint8_t b, l;
	uint32_t len = 0;

	if (p >= end)
		return -1;
	b = *p++;
	t->constructed = b & 0x20;
	if ((b & 0x1f) == 0x1f) {
		uint32_t n = 0;
		int k = 0;
		do {
			if (p >= end || k++ == 3)
				return -1;
			n = (n << 7) | (*p & 0x7f);
		} while (*p++ & 0x80);
		t->tag = 0x80000000u | ((uint32_t)(b & 0xe0) << 21) | n;
	} else {
		t->tag = b;
	}
	if (p >= end)
		return -1;
	l = *p++;
	if (l == 0x80) {
		const uint8_t *q = p;
		if (!t->constructed || depth >= TCAP_MAX_DEPTH)
			return -1;
		for (;;) {
			struct tlv in;
			if (end - q >= 2 && q[0] == 0 && q[1] == 0) {
				t->v = p;
				t->len = q - p;
				t->next = q + 2;
				return 0;
			}
			if (ber_read(&in, q, end, depth + 1) < 0)
				return -1;
			q = in.next;
		}
	}
	if (l & 0x80) {
		int n = l & 0x7f;
		if (n > 4)
			return -1;
		while (n--) {
			if (p >= end)
				return -1;
			len = (len << 8) | *p++;
		}
	} else {
		len = l;
	}
	if (len > (size_t)(end - p))
		return -1;
	t->v = p;
	t->len = len;
	t->next = p + len;
	return 0;
}

/* INTEGER content of 1..4 octets, sign-extended; X.690 8.3.2: the first nine
 * bits are not all equal (no redundant leading octet) */
static int ber_int(const struct tlv *t, int32_t *out)
{
	uint32_t v;

	if (t->constructed || t->len < 1 || t->len > 4)
		return -1;
	if (t->len > 1 && ((t->v[0] == 0x00 && !(t->v[1] & 0x80)) || (t->v[0] == 0xff && (t->v[1] & 0x80))))
		return -1;
	v = (t->v[0] & 0x80) ? 0xffffffffu : 0;
	for (uint32_t i = 0; i < t->len; i++)
		v = (v << 8) | t->v[i];
	*out = (int32_t)v;
	return 0;
}

/* OBJECT IDENTIFIER content (X.690 8.19.2): at least one octet, no
 * sub-identifier starting with 0x80, the last one terminated */
static bool oid_ok(const uint8_t *v, uint32_t len)
{
	if (len < 1 || (v[len - 1] & 0x80))
		return false;
	for (uint32_t i = 0; i < len; i++)
		if (__builtin_expect(v[i] == 0x80, 0) && (i == 0 || !(v[i - 1] & 0x80)))
			return false;
	return true;
}

static bool ber_oid_ok(const struct tlv *t)
{
	return !t->constructed && oid_ok(t->v, t->len);
}

/* BIT STRING content (X.690 8.6.2): 0..7 unused bits, none when empty */
static bool bits_ok(const uint8_t *v, uint32_t len)
{
	return len >= 1 && v[0] <= 7 && (len > 1 || v[0] == 0);
}

static bool ber_bits_ok(const struct tlv *t)
{
	return !t->constructed && bits_ok(t->v, t->len);
}

/* exactly one whole TLV: what a parameter or an open type holds */
static bool one_tlv(const struct tcap_buf *b)
{
	struct tlv t;

	return b->len && ber_read(&t, b->data, b->data + b->len, 0) == 0 && t.next == b->data + b->len;
}

/* The one TLV that fills a constructed element, or -1 */
static int ber_only(struct tlv *in, const struct tlv *outer)
{
	if (!outer->constructed || ber_read(in, outer->v, outer->v + outer->len, 0) < 0)
		return -1;
	return in->next == outer->v + outer->len ? 0 : -1;
}

/* --- Transaction and dialogue portions --- */

static bool is_msgt(uint8_t t)
{
	return t == TCAP_MSGT_UNI || t == TCAP_MSGT_BEGIN || t == TCAP_MSGT_END
	       || t == TCAP_MSGT_CONTINUE || t == TCAP_MSGT_ABORT;
}

static int read_tid(struct tcap_tid *tid, const struct tlv *t)
{
	if (t->constructed || t->len < 1 || t->len > TCAP_TID_MAX)
		return -1;
	tid->len = t->len;
	memcpy(tid->v, t->v, t->len);
	return 0;
}

/* After a failure: take what ids can still be read from the message start, so
 * that the receiver can answer the originator. */
static void salvage_tids(struct tcap_msg *m, const uint8_t *buf, const uint8_t *end)
{
	const uint8_t *p = buf + 1;
	struct tlv e;

	if (p >= end)
		return;
	if (*p & 0x80)
		p += 1 + (*p == 0x80 ? 0 : (*p & 0x7f));
	else
		p++;
	while (p < end && ber_read(&e, p, end, 0) == 0) {
		if (e.tag == 0x48 && !m->otid.len)
			read_tid(&m->otid, &e);
		else if (e.tag == 0x49 && !m->dtid.len)
			read_tid(&m->dtid, &e);
		else
			break;
		p = e.next;
	}
}

/* AARQ, AARE and AUDT share protocol-version [0], acn [1], user-information [30] */
static int parse_dlg_pdu(struct tcap_dialogue *d, const struct tlv *pdu)
{
	const uint8_t *p = pdu->v, *end = pdu->v + pdu->len;
	struct tlv e, in;
	int32_t v;
	int stage = 0;
	bool have_source = false;

	if (!pdu->constructed)
		return -TCAP_ERR_DLG_SYNTAX;
	while (p < end) {
		if (ber_read(&e, p, end, 0) < 0)
			return -TCAP_ERR_DLG_SYNTAX;
		p = e.next;
		if (d->pdu == TCAP_DLG_ABRT) {
			if (e.tag == 0x80 && stage == 0) {
				if (ber_int(&e, &v) < 0 || v < 0 || v > 1)
					return -TCAP_ERR_DLG_SYNTAX;
				d->abort_source = v;
				have_source = true;
				stage = 1;
				continue;
			}
		} else if (e.tag == 0x80 && stage == 0) {
			if (!ber_bits_ok(&e))
				return -TCAP_ERR_DLG_SYNTAX;
			d->proto_version.data = e.v;
			d->proto_version.len = e.len;
			stage = 1;
			continue;
		} else if (e.tag == 0xa1 && stage <= 1) {
			if (ber_only(&in, &e) < 0 || in.tag != 0x06 || !ber_oid_ok(&in))
				return -TCAP_ERR_DLG_SYNTAX;
			d->acn.data = in.v;
			d->acn.len = in.len;
			stage = 2;
			continue;
		} else if (d->pdu == TCAP_DLG_AARE && e.tag == 0xa2 && stage == 2) {
			if (ber_only(&in, &e) < 0 || in.tag != 0x02 || ber_int(&in, &v) < 0 || v < 0 || v > 1)
				return -TCAP_ERR_DLG_SYNTAX;
			d->result = v;
			stage = 3;
			continue;
		} else if (d->pdu == TCAP_DLG_AARE && e.tag == 0xa3 && stage == 3) {
			struct tlv in2;
			if (ber_only(&in, &e) < 0 || (in.tag != 0xa1 && in.tag != 0xa2)
			    || ber_only(&in2, &in) < 0 || in2.tag != 0x02 || ber_int(&in2, &v) < 0
			    || v < 0 || v > 127)
				return -TCAP_ERR_DLG_SYNTAX;
			d->diag_source = in.tag & 0x1f;
			d->diag_value = v;
			stage = 4;
			continue;
		}
		if (e.tag == 0xbe && stage < 5 && e.constructed) {
			d->user_info.data = e.v;
			d->user_info.len = e.len;
			stage = 5;
			continue;
		}
		return -TCAP_ERR_DLG_SYNTAX;
	}
	/* mandatory elements */
	switch (d->pdu) {
	case TCAP_DLG_ABRT:
		if (!have_source)
			return -TCAP_ERR_DLG_SYNTAX;
		break;
	case TCAP_DLG_AARE:
		/* the diagnostic is only taken after the result, which follows the acn */
		if (!d->diag_source)
			return -TCAP_ERR_DLG_SYNTAX;
		break;
	default:
		if (!d->acn.len)
			return -TCAP_ERR_DLG_SYNTAX;
		/* protocol-version BIT STRING {version1(0)} DEFAULT {version1} */
		if (d->proto_version.len && (d->proto_version.len < 2 || !(d->proto_version.data[1] & 0x80)))
			return -TCAP_ERR_DLG_VERSION;
	}
	return 0;
}

static int parse_dialogue(struct tcap_msg *m, const struct tlv *dp)
{
	struct tlv ext, e, pdu;
	const uint8_t *p, *end;

	if (ber_only(&ext, dp) < 0 || ext.tag != 0x28 || !ext.constructed)
		return -TCAP_ERR_DLG_SYNTAX;
	p = ext.v;
	end = ext.v + ext.len;
	/* direct-reference: the dialogue-as-id */
	if (ber_read(&e, p, end, 0) < 0 || e.tag != 0x06)
		return -TCAP_ERR_DLG_SYNTAX;
	if (e.len == sizeof(as_structured) && !memcmp(e.v, as_structured, e.len))
		m->unstructured = false;
	else if (e.len == sizeof(as_unstructured) && !memcmp(e.v, as_unstructured, e.len))
		m->unstructured = true;
	else	/* a known one is valid: only an unknown one is checked */
		return ber_oid_ok(&e) ? -TCAP_ERR_DLG_AS : -TCAP_ERR_DLG_SYNTAX;
	p = e.next;
	/* encoding: single-ASN1-type [0] holding one dialogue PDU; what is after
	 * it, or an indirect-reference / descriptor before it, is not ours */
	if (ber_read(&e, p, end, 0) < 0 || e.tag != 0xa0 || e.next != end || ber_only(&pdu, &e) < 0)
		return -TCAP_ERR_DLG_SYNTAX;
	if (m->unstructured)
		m->dlg.pdu = pdu.tag == 0x60 ? TCAP_DLG_AUDT : TCAP_DLG_NONE;
	else if (pdu.tag == 0x60)
		m->dlg.pdu = TCAP_DLG_AARQ;
	else if (pdu.tag == 0x61)
		m->dlg.pdu = TCAP_DLG_AARE;
	else if (pdu.tag == 0x64)
		m->dlg.pdu = TCAP_DLG_ABRT;
	if (m->dlg.pdu == TCAP_DLG_NONE)
		return -TCAP_ERR_DLG_SYNTAX;
	return parse_dlg_pdu(&m->dlg, &pdu);
}

int tcap_msg_parse(struct tcap_msg *m, const uint8_t *buf, size_t len)
{
	const uint8_t *p, *end;
	struct tlv t, e;
	int stage = 0, dlg_rc = 0;

	memset(m, 0, sizeof(*m));
	if (len == 0)
		return -TCAP_ERR_BAD_FORMAT;
	m->type = buf[0];
	if (ber_read(&t, buf, buf + len, 0) < 0 || t.next != buf + len) {
		salvage_tids(m, buf, buf + len);
		return is_msgt(buf[0]) ? -TCAP_ERR_BAD_FORMAT : -TCAP_ERR_MSG_TYPE;
	}
	if (!is_msgt(buf[0])) {
		salvage_tids(m, buf, buf + len);
		return -TCAP_ERR_MSG_TYPE;
	}
	/* stages: 1 otid, 2 dtid, 3 dialogue portion or p-abort cause, 4 components */
	for (p = t.v, end = t.v + t.len; p < end; p = e.next) {
		if (ber_read(&e, p, end, 0) < 0) {
			salvage_tids(m, buf, buf + len);
			return -TCAP_ERR_BAD_FORMAT;
		}
		switch (e.tag) {
		case 0x48:
			if (stage >= 1 || (m->type != TCAP_MSGT_BEGIN && m->type != TCAP_MSGT_CONTINUE)
			    || read_tid(&m->otid, &e) < 0)
				return -TCAP_ERR_TX_PORTION;
			stage = 1;
			break;
		case 0x49:
			if (stage >= 2 || m->type == TCAP_MSGT_BEGIN || m->type == TCAP_MSGT_UNI
			    || read_tid(&m->dtid, &e) < 0)
				return -TCAP_ERR_TX_PORTION;
			stage = 2;
			break;
		case 0x6b:
			if (stage >= 3)
				return -TCAP_ERR_TX_PORTION;
			stage = 3;
			dlg_rc = parse_dialogue(m, &e);
			break;
		case 0x4a:
			if (stage >= 3 || m->type != TCAP_MSGT_ABORT || ber_int(&e, &(int32_t){0}) < 0
			    || e.len != 1 || (e.v[0] & 0x80))
				return -TCAP_ERR_TX_PORTION;
			m->p_abort_present = true;
			m->p_abort_cause = e.v[0];
			stage = 3;
			break;
		case 0x6c:
			if (stage >= 4 || m->type == TCAP_MSGT_ABORT || !e.constructed || e.len == 0)
				return -TCAP_ERR_TX_PORTION;
			m->comps_present = true;
			m->comps.data = e.v;
			m->comps.len = e.len;
			stage = 4;
			break;
		default:
			return -TCAP_ERR_TX_PORTION;
		}
	}
	switch (m->type) {
	case TCAP_MSGT_UNI:
		if (!m->comps_present)
			return -TCAP_ERR_TX_PORTION;
		break;
	case TCAP_MSGT_BEGIN:
		if (!m->otid.len)
			return -TCAP_ERR_TX_PORTION;
		break;
	case TCAP_MSGT_CONTINUE:
		if (!m->otid.len || !m->dtid.len)
			return -TCAP_ERR_TX_PORTION;
		break;
	default:
		if (!m->dtid.len)
			return -TCAP_ERR_TX_PORTION;
	}
	if (dlg_rc)
		return dlg_rc;
	/* AUDT only in Unidirectional, and nothing but AUDT there */
	if ((m->type == TCAP_MSGT_UNI) != (m->dlg.pdu == TCAP_DLG_AUDT) && m->dlg.pdu != TCAP_DLG_NONE)
		return -TCAP_ERR_DLG_SYNTAX;
	return 0;
}

/* --- Components --- */

void tcap_comp_iter_init(struct tcap_comp_iter *it, const struct tcap_msg *msg)
{
	it->p = msg->comps.data;
	/* no component portion: data is NULL, and NULL + 0 is undefined behaviour in C */
	it->end = msg->comps.data ? msg->comps.data + msg->comps.len : NULL;
	it->count = 0;
	it->done = !msg->comps_present || !msg->comps.data;
}

static int read_invoke_id(const struct tlv *e, int8_t *out)
{
	int32_t v;

	if (ber_int(e, &v) < 0 || v < -128 || v > 127)
		return -1;
	*out = v;
	return 0;
}

/* localValue INTEGER or globalValue OBJECT IDENTIFIER */
static int read_code(struct tcap_code *c, const struct tlv *e)
{
	if (e->tag == 0x02) {
		if (ber_int(e, &c->local) < 0)
			return -1;
	} else if (e->tag == 0x06 && ber_oid_ok(e)) {
		c->global = true;
		c->oid.data = e->v;
		c->oid.len = e->len;
	} else {
		return -1;
	}
	c->present = true;
	return 0;
}

/* The body of one component; the error class for what is wrong in it. */
static int parse_comp_body(struct tcap_comp *c, const struct tlv *t)
{
	const uint8_t *p = t->v, *end = t->v + t->len;
	struct tlv e[4];
	int n = 0;

	/* every component has at most 4 elements at its top level */
	while (p < end) {
		if (n == 4 || ber_read(&e[n], p, end, 0) < 0) {
			/* Q.774: the Reject carries the invoke id when it can be derived */
			if (n > 0 && e[0].tag == 0x02 && read_invoke_id(&e[0], &c->invoke_id) == 0)
				c->invoke_id_present = true;
			return -TCAP_ERR_COMP_STRUCTURE;
		}
		p = e[n++].next;
	}
	if (n == 0)
		return -TCAP_ERR_COMP_MISTYPED;
	/* the invoke id first, so that a later error can still name it */
	if (c->type == TCAP_COMP_REJECT && e[0].tag == 0x05) {
		if (e[0].len != 0)
			return -TCAP_ERR_COMP_MISTYPED;
	} else if (e[0].tag != 0x02 || read_invoke_id(&e[0], &c->invoke_id) < 0) {
		return -TCAP_ERR_COMP_MISTYPED;
	} else {
		c->invoke_id_present = true;
	}
	switch (c->type) {
	case TCAP_COMP_INVOKE: {
		int i = 1;
		if (i < n && e[i].tag == 0x80) {
			if (read_invoke_id(&e[i], &c->linked_id) < 0)
				return -TCAP_ERR_COMP_MISTYPED;
			c->linked_id_present = true;
			i++;
		}
		if (i >= n || read_code(&c->op, &e[i]) < 0)
			return -TCAP_ERR_COMP_MISTYPED;
		if (++i < n) {
			c->param.data = e[i - 1].next;
			c->param.len = e[i].next - e[i - 1].next;
			i++;
		}
		if (i != n)
			return -TCAP_ERR_COMP_STRUCTURE;
		return 0;
	}
	case TCAP_COMP_RESULT_L:
	case TCAP_COMP_RESULT_NL: {
		struct tlv op, prm;
		const uint8_t *q, *qend;
		if (n == 1)
			return 0;
		if (n != 2 || e[1].tag != 0x30 || !e[1].constructed)
			return -TCAP_ERR_COMP_MISTYPED;
		q = e[1].v;
		qend = e[1].v + e[1].len;
		if (ber_read(&op, q, qend, 0) < 0)
			return -TCAP_ERR_COMP_STRUCTURE;
		if (read_code(&c->op, &op) < 0)
			return -TCAP_ERR_COMP_MISTYPED;
		if (op.next < qend) {
			if (ber_read(&prm, op.next, qend, 0) < 0 || prm.next != qend)
				return -TCAP_ERR_COMP_STRUCTURE;
			c->param.data = op.next;
			c->param.len = qend - op.next;
		}
		return 0;
	}
	case TCAP_COMP_ERROR:
		if (n < 2 || read_code(&c->err, &e[1]) < 0)
			return -TCAP_ERR_COMP_MISTYPED;
		if (n == 3) {
			c->param.data = e[1].next;
			c->param.len = e[2].next - e[1].next;
		} else if (n > 3) {
			return -TCAP_ERR_COMP_STRUCTURE;
		}
		return 0;
	case TCAP_COMP_REJECT: {
		int32_t v;
		if (n != 2)
			return -TCAP_ERR_COMP_MISTYPED;
		if (e[1].tag < 0x80 || e[1].tag > 0x83 || ber_int(&e[1], &v) < 0 || v < 0 || v > 255)
			return -TCAP_ERR_COMP_MISTYPED;
		c->problem_type = e[1].tag & 0x1f;
		c->problem = v;
		return 0;
	}
	}
	return -TCAP_ERR_COMP_UNRECOGNIZED;
}

int tcap_comp_next(struct tcap_comp_iter *it, struct tcap_comp *c)
{
	struct tlv t;
	int rc;

	memset(c, 0, sizeof(*c));
	if (it->done || it->p >= it->end) {
		it->done = true;
		return 0;
	}
	if (it->count++ == TCAP_MAX_COMPS) {
		it->done = true;
		return -TCAP_ERR_TOO_MANY_COMPS;
	}
	c->type = TCAP_COMP_REJECT;
	c->problem_type = TCAP_PROB_GENERAL;
	if (ber_read(&t, it->p, it->end, 0) < 0) {
		/* its end cannot be found: nothing after it can be read either */
		it->done = true;
		rc = -TCAP_ERR_COMP_STRUCTURE;
		goto reject;
	}
	it->p = t.next;
	c->type = t.tag;
	switch (t.tag) {
	case TCAP_COMP_INVOKE:
	case TCAP_COMP_RESULT_L:
	case TCAP_COMP_RESULT_NL:
	case TCAP_COMP_ERROR:
	case TCAP_COMP_REJECT:
		rc = parse_comp_body(c, &t);
		if (rc == 0)
			return 1;
		break;
	default:
		rc = -TCAP_ERR_COMP_UNRECOGNIZED;
	}
reject:
	{
		bool id_present = c->invoke_id_present;
		int8_t id = c->invoke_id;
		memset(c, 0, sizeof(*c));
		c->type = TCAP_COMP_REJECT;
		c->invoke_id_present = id_present;
		c->invoke_id = id;
		c->problem_type = TCAP_PROB_GENERAL;
		c->problem = tcap_err_reject_problem(rc);
	}
	return rc;
}

/* --- Building: back to front into the end of the buffer, then moved to
 * its start, so every length is known when its header is written. --- */

struct bw {
	uint8_t *buf;
	uint8_t *p;
	bool err;
};

static void put(struct bw *w, const void *d, size_t n)
{
	if (n == 0)
		return;
	if (w->err || (size_t)(w->p - w->buf) < n) {
		w->err = true;
		return;
	}
	w->p -= n;
	memcpy(w->p, d, n);
}

static void put_u8(struct bw *w, uint8_t b)
{
	put(w, &b, 1);
}

static size_t pos(const struct bw *w)
{
	return w->p - w->buf;
}

/* tag and DER length of content written since mark */
static void put_tl(struct bw *w, uint8_t tag, size_t mark)
{
	size_t n = mark - pos(w);
	uint8_t l[5];
	int k = 0;

	if (w->err)
		return;
	if (n < 0x80) {
		l[k++] = n;
	} else {
		uint8_t tmp[4];
		int m = 0;
		while (n) {
			tmp[m++] = n & 0xff;
			n >>= 8;
		}
		l[k++] = 0x80 | m;
		while (m)
			l[k++] = tmp[--m];
	}
	put(w, l, k);
	put_u8(w, tag);
}

/* minimal two's complement INTEGER content */
static void put_int(struct bw *w, uint8_t tag, int32_t v)
{
	size_t mark = pos(w);
	int64_t x = v;

	for (;;) {
		uint8_t b = x & 0xff;
		put_u8(w, b);
		x >>= 8;
		if ((x == 0 && !(b & 0x80)) || (x == -1 && (b & 0x80)))
			break;
	}
	put_tl(w, tag, mark);
}

static void put_prim(struct bw *w, uint8_t tag, const struct tcap_buf *b)
{
	size_t mark = pos(w);

	put(w, b->data, b->len);
	put_tl(w, tag, mark);
}

static int put_code(struct bw *w, const struct tcap_code *c)
{
	if (!c->present)
		return -TCAP_ERR_INVALID;
	if (c->global) {
		if (!oid_ok(c->oid.data, c->oid.len))
			return -TCAP_ERR_INVALID;
		put_prim(w, 0x06, &c->oid);
	} else {
		put_int(w, 0x02, c->local);
	}
	return 0;
}

static int put_comp(struct bw *w, const struct tcap_comp *c)
{
	size_t mark = pos(w);

	if (c->type != TCAP_COMP_REJECT && !c->invoke_id_present)
		return -TCAP_ERR_INVALID;
	if (c->param.len && !one_tlv(&c->param))
		return -TCAP_ERR_INVALID;
	switch (c->type) {
	case TCAP_COMP_INVOKE:
		put(w, c->param.data, c->param.len);
		if (put_code(w, &c->op) < 0)
			return -TCAP_ERR_INVALID;
		if (c->linked_id_present)
			put_int(w, 0x80, c->linked_id);
		break;
	case TCAP_COMP_RESULT_L:
	case TCAP_COMP_RESULT_NL:
		if (c->op.present) {
			size_t m2 = pos(w);
			put(w, c->param.data, c->param.len);
			put_code(w, &c->op);
			put_tl(w, 0x30, m2);
		} else if (c->param.len) {
			return -TCAP_ERR_INVALID;
		}
		break;
	case TCAP_COMP_ERROR:
		put(w, c->param.data, c->param.len);
		if (put_code(w, &c->err) < 0)
			return -TCAP_ERR_INVALID;
		break;
	case TCAP_COMP_REJECT:
		if (c->problem_type > TCAP_PROB_ERROR)
			return -TCAP_ERR_INVALID;
		put_int(w, 0x80 | c->problem_type, c->problem);
		if (!c->invoke_id_present) {
			put_u8(w, 0x00);
			put_u8(w, 0x05);
			put_tl(w, c->type, mark);
			return 0;
		}
		break;
	default:
		return -TCAP_ERR_INVALID;
	}
	put_int(w, 0x02, c->invoke_id);
	put_tl(w, c->type, mark);
	return 0;
}

static int put_dialogue(struct bw *w, const struct tcap_dialogue *d)
{
	size_t ext = pos(w), enc, pdu;
	bool uni = d->pdu == TCAP_DLG_AUDT;
	static const uint8_t pdu_tag[] = {
		[TCAP_DLG_AARQ] = 0x60, [TCAP_DLG_AARE] = 0x61, [TCAP_DLG_ABRT] = 0x64, [TCAP_DLG_AUDT] = 0x60,
	};

	if (d->pdu < TCAP_DLG_AARQ || d->pdu > TCAP_DLG_AUDT)
		return -TCAP_ERR_INVALID;
	enc = pos(w);
	pdu = pos(w);
	if (d->user_info.len)
		put_prim(w, 0xbe, &d->user_info);
	if (d->pdu == TCAP_DLG_ABRT) {
		if (d->abort_source > 1)
			return -TCAP_ERR_INVALID;
		put_int(w, 0x80, d->abort_source);
	} else {
		size_t m;
		if (!oid_ok(d->acn.data, d->acn.len)
		    || (d->proto_version.len && !bits_ok(d->proto_version.data, d->proto_version.len)))
			return -TCAP_ERR_INVALID;
		if (d->pdu == TCAP_DLG_AARE) {
			if ((d->diag_source != TCAP_DIAG_USER && d->diag_source != TCAP_DIAG_PROVIDER)
			    || d->result > 1 || d->diag_value > 127)
				return -TCAP_ERR_INVALID;
			m = pos(w);
			size_t m2 = pos(w);
			put_int(w, 0x02, d->diag_value);
			put_tl(w, 0xa0 | d->diag_source, m2);
			put_tl(w, 0xa3, m);
			m = pos(w);
			put_int(w, 0x02, d->result);
			put_tl(w, 0xa2, m);
		}
		m = pos(w);
		put_prim(w, 0x06, &d->acn);
		put_tl(w, 0xa1, m);
		if (d->proto_version.len)
			put_prim(w, 0x80, &d->proto_version);
	}
	put_tl(w, pdu_tag[d->pdu], pdu);
	put_tl(w, 0xa0, enc);
	put_prim(w, 0x06, uni ? &tcap_as_unstructured : &tcap_as_structured);
	put_tl(w, 0x28, ext);
	put_tl(w, 0x6b, ext);
	return 0;
}

static bool tid_ok(const struct tcap_tid *t)
{
	return t->len >= 1 && t->len <= TCAP_TID_MAX;
}

int tcap_msg_build(uint8_t *buf, size_t buflen, const struct tcap_msg *m,
		   const struct tcap_comp *comps, unsigned int ncomps)
{
	struct bw w = { .buf = buf, .p = buf + buflen };
	bool has_otid = m->type == TCAP_MSGT_BEGIN || m->type == TCAP_MSGT_CONTINUE;
	bool has_dtid = m->type == TCAP_MSGT_END || m->type == TCAP_MSGT_CONTINUE || m->type == TCAP_MSGT_ABORT;
	size_t n;
	int rc;

	if (!is_msgt(m->type) || (has_otid && !tid_ok(&m->otid)) || (has_dtid && !tid_ok(&m->dtid))
	    || (m->type == TCAP_MSGT_UNI && ncomps == 0) || (m->type == TCAP_MSGT_ABORT && ncomps)
	    || ncomps > TCAP_MAX_COMPS
	    || (m->p_abort_present && (m->type != TCAP_MSGT_ABORT || m->dlg.pdu != TCAP_DLG_NONE
				       || m->p_abort_cause > 127))
	    || (m->dlg.pdu == TCAP_DLG_AUDT) != (m->type == TCAP_MSGT_UNI && m->dlg.pdu != TCAP_DLG_NONE))
		return -TCAP_ERR_INVALID;
	if (ncomps) {
		size_t mark = pos(&w);
		for (unsigned int i = ncomps; i-- > 0;) {
			rc = put_comp(&w, &comps[i]);
			if (rc < 0)
				return rc;
		}
		put_tl(&w, 0x6c, mark);
	}
	if (m->dlg.pdu != TCAP_DLG_NONE) {
		rc = put_dialogue(&w, &m->dlg);
		if (rc < 0)
			return rc;
	} else if (m->p_abort_present) {
		put_int(&w, 0x4a, m->p_abort_cause);
	}
	if (has_dtid)
		put_prim(&w, 0x49, &(struct tcap_buf){ m->dtid.v, m->dtid.len });
	if (has_otid)
		put_prim(&w, 0x48, &(struct tcap_buf){ m->otid.v, m->otid.len });
	put_tl(&w, m->type, buflen);
	if (w.err)
		return -TCAP_ERR_BUF_TOO_SMALL;
	n = buflen - pos(&w);
	memmove(buf, w.p, n);
	return n;
}
