/*
 * SCCP connectionless control (ITU-T Q.714 clause 4): segmentation of long
 * user data into XUDTs, their reassembly with bounded memory and a timer the
 * caller drives, the SLS choice for in-sequence delivery, message return.
 */
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/utils.h>

#include "sccp_sclc.h"

const struct value_string sccp_reasm_status_names[] = {
	{ SCCP_REASM_PENDING,	"pending" },
	{ SCCP_REASM_DONE,	"done" },
	{ SCCP_REASM_FAILED,	"failed" },
	{ SCCP_REASM_DISCARDED,	"discarded" },
	{ 0, NULL }
};

uint8_t sccp_sclc_sls(uint8_t proto_class, uint32_t seq_ctrl, uint8_t *rotor)
{
	uint32_t x;

	if (proto_class != 1)
		return rotor ? (*rotor)++ & 0x0f : 0;
	/* fold every bit of the key into 4, so neighbouring keys spread */
	x = seq_ctrl ^ (seq_ctrl >> 16);
	x ^= x >> 8;
	x ^= x >> 4;
	return x & 0x0f;
}

int sccp_sclc_segment(struct sccp_msg seg[SCCP_SEG_MAX], const struct sccp_msg *msg,
		      uint32_t local_ref, size_t max_msg_len)
{
	struct sccp_msg tmpl;
	size_t n, base, extra, off = 0;
	unsigned int i;
	int rc;

	if (msg->type != SCCP_MSGT_UDT && msg->type != SCCP_MSGT_XUDT)
		return -SCCP_ERR_MSG_TYPE;
	if (local_ref > 0xffffff || msg->seg_present || !msg->data)
		return -SCCP_ERR_INVALID;
	rc = sccp_msg_encoded_len(msg);
	if (rc >= 0 && (size_t)rc <= max_msg_len) {
		seg[0] = *msg;
		return 1;
	}
	if (rc < 0 && rc != -SCCP_ERR_DATA_TOO_LONG)
		return rc;

	tmpl = *msg;
	tmpl.type = SCCP_MSGT_XUDT;
	if (msg->type == SCCP_MSGT_UDT)
		tmpl.hop_counter = SCCP_HOP_COUNTER_MAX;
	/* segments travel as class 1 (one SLS, in sequence); C keeps the user's class */
	tmpl.proto_class = 1;
	tmpl.seg_present = true;
	tmpl.seg = (struct sccp_segmentation){ .class = msg->proto_class, .local_ref = local_ref,
					       .remaining = SCCP_SEG_MAX - 1 };
	rc = sccp_msg_max_data(&tmpl, max_msg_len);
	if (rc < 0)
		return rc;
	n = (msg->data_len + rc - 1) / rc;
	if (n > SCCP_SEG_MAX)
		return -SCCP_ERR_SEG_TOO_LONG;

	/* equal shares, the odd octets to the first ones: the first is the largest */
	base = msg->data_len / n;
	extra = msg->data_len % n;
	for (i = 0; i < n; i++) {
		seg[i] = tmpl;
		seg[i].seg.first = i == 0;
		seg[i].seg.remaining = n - 1 - i;
		/* one returned XUDTS per message at most: only the first asks */
		seg[i].return_on_error = i == 0 && msg->return_on_error;
		seg[i].data = msg->data + off;
		seg[i].data_len = base + (i < extra);
		off += seg[i].data_len;
	}
	return n;
}

int sccp_sclc_make_return(struct sccp_msg *ret, const struct sccp_msg *orig, uint8_t cause)
{
	static const uint8_t service_of[][2] = {
		{ SCCP_MSGT_UDT, SCCP_MSGT_UDTS },
		{ SCCP_MSGT_XUDT, SCCP_MSGT_XUDTS },
		{ SCCP_MSGT_LUDT, SCCP_MSGT_LUDTS },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(service_of); i++) {
		if (service_of[i][0] == orig->type)
			break;
	}
	if (i == ARRAY_SIZE(service_of))
		return -SCCP_ERR_MSG_TYPE;
	memset(ret, 0, sizeof(*ret));
	ret->type = service_of[i][1];
	ret->return_cause = cause;
	ret->hop_counter = SCCP_HOP_COUNTER_MAX;
	ret->called = orig->calling;
	ret->calling = orig->called;
	ret->data = orig->data;
	ret->data_len = orig->data_len;
	return 0;
}

/* --- reassembly --- */

struct reasm_ctx {
	bool used;
	/* key */
	uint8_t type;
	uint32_t opc;
	uint32_t local_ref;
	struct sccp_addr calling;

	uint64_t deadline;
	bool have_first;
	struct sccp_msg first;		/* header of the first segment, data not kept here */
	uint8_t next;			/* in sequence: remaining-segments value expected next */
	uint8_t *seg[SCCP_SEG_MAX];	/* indexed by the remaining-segments value */
	uint16_t seg_len[SCCP_SEG_MAX];
	size_t bytes;			/* held in seg[] */
	size_t budget;			/* what the first segment announces for the whole */
};

struct sccp_reasm {
	struct sccp_reasm_cfg cfg;
	struct reasm_ctx *ctx;
	unsigned int count;
	size_t bytes;
};

struct sccp_reasm *sccp_reasm_alloc(const struct sccp_reasm_cfg *cfg)
{
	struct sccp_reasm *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->cfg = *cfg;
	r->ctx = calloc(cfg->max_contexts ? cfg->max_contexts : 1, sizeof(*r->ctx));
	if (!r->ctx) {
		free(r);
		return NULL;
	}
	return r;
}

static void ctx_release(struct sccp_reasm *r, struct reasm_ctx *c)
{
	unsigned int i;

	for (i = 0; i < SCCP_SEG_MAX; i++)
		free(c->seg[i]);
	r->bytes -= c->bytes;
	r->count--;
	memset(c, 0, sizeof(*c));
}

void sccp_reasm_free(struct sccp_reasm *r)
{
	unsigned int i;

	if (!r)
		return;
	for (i = 0; i < r->cfg.max_contexts; i++) {
		if (r->ctx[i].used)
			ctx_release(r, &r->ctx[i]);
	}
	free(r->ctx);
	free(r);
}

void sccp_reasm_result_clear(struct sccp_reasm_result *res)
{
	free(res->buf);
	memset(res, 0, sizeof(*res));
}

unsigned int sccp_reasm_count(const struct sccp_reasm *r)
{
	return r->count;
}

size_t sccp_reasm_bytes(const struct sccp_reasm *r)
{
	return r->bytes;
}

uint64_t sccp_reasm_next_expiry(const struct sccp_reasm *r)
{
	uint64_t next = UINT64_MAX;
	unsigned int i;

	for (i = 0; i < r->cfg.max_contexts; i++) {
		if (r->ctx[i].used && r->ctx[i].deadline < next)
			next = r->ctx[i].deadline;
	}
	return next;
}

/* Octets promised to reassemblies: what each holds or was announced to need */
static size_t committed(const struct sccp_reasm *r)
{
	size_t sum = 0;
	unsigned int i;

	for (i = 0; i < r->cfg.max_contexts; i++) {
		if (r->ctx[i].used)
			sum += OSMO_MAX(r->ctx[i].bytes, r->ctx[i].budget);
	}
	return sum;
}

static struct reasm_ctx *ctx_find(struct sccp_reasm *r, const struct sccp_msg *seg, uint32_t opc)
{
	unsigned int i;

	for (i = 0; i < r->cfg.max_contexts; i++) {
		struct reasm_ctx *c = &r->ctx[i];

		if (c->used && c->type == seg->type && c->opc == opc && c->local_ref == seg->seg.local_ref
		    && sccp_addr_equal(&c->calling, &seg->calling))
			return c;
	}
	return NULL;
}

static struct reasm_ctx *ctx_new(struct sccp_reasm *r, const struct sccp_msg *seg, uint32_t opc,
				 uint64_t now_ms)
{
	unsigned int i;

	for (i = 0; i < r->cfg.max_contexts; i++) {
		struct reasm_ctx *c = &r->ctx[i];

		if (c->used)
			continue;
		c->used = true;
		c->type = seg->type;
		c->opc = opc;
		c->local_ref = seg->seg.local_ref;
		c->calling = seg->calling;
		c->deadline = now_ms + r->cfg.timeout_ms;
		r->count++;
		return c;
	}
	return NULL;
}

static void ctx_set_first(struct reasm_ctx *c, const struct sccp_msg *seg)
{
	c->have_first = true;
	c->first = *seg;
	c->first.data = NULL;	/* points into the caller's buffer */
	c->first.data_len = 0;
	c->next = seg->seg.remaining - 1;
	/* the first segment is the largest, so this bounds the whole message */
	c->budget = seg->data_len * (seg->seg.remaining + 1u);
}

/* The message as the user sees it: first segment's header, the class it asked for */
static void user_header(struct sccp_msg *out, const struct sccp_msg *first)
{
	*out = *first;
	out->proto_class = first->seg.class;
	out->seg_present = false;
	memset(&out->seg, 0, sizeof(out->seg));
}

static enum sccp_reasm_status result_copy(struct sccp_reasm_result *res, enum sccp_reasm_status st,
					  const struct sccp_msg *hdr, const uint8_t *data, size_t len)
{
	res->status = st;
	res->buf = malloc(len ? len : 1);
	if (!res->buf) {
		res->status = SCCP_REASM_DISCARDED;
		return res->status;
	}
	memcpy(res->buf, data, len);
	user_header(&res->msg, hdr);
	res->msg.data = res->buf;
	res->msg.data_len = len;
	res->have_msg = true;
	return st;
}

/* Give up on c; res gets its first segment when there was one. */
static enum sccp_reasm_status ctx_fail(struct sccp_reasm *r, struct reasm_ctx *c, uint8_t cause,
				       struct sccp_reasm_result *res)
{
	unsigned int idx = c->first.seg.remaining;

	if (c->have_first && c->seg[idx]) {
		/* its return option decides whether the failure is reported back */
		result_copy(res, SCCP_REASM_FAILED, &c->first, c->seg[idx], c->seg_len[idx]);
	}
	res->status = SCCP_REASM_FAILED;
	res->return_cause = cause;
	ctx_release(r, c);
	return res->status;
}

/* Refuse a first segment we cannot take: it is what gets returned. */
static enum sccp_reasm_status refuse(const struct sccp_msg *seg, struct sccp_reasm_result *res)
{
	result_copy(res, SCCP_REASM_FAILED, seg, seg->data, seg->data_len);
	res->status = SCCP_REASM_FAILED;
	res->return_cause = SCCP_RC_DEST_CANNOT_REASSEMBLE;
	return res->status;
}

static bool ctx_complete(const struct reasm_ctx *c)
{
	unsigned int i;

	if (!c->have_first)
		return false;
	for (i = 0; i <= c->first.seg.remaining; i++) {
		if (!c->seg[i])
			return false;
	}
	return true;
}

static enum sccp_reasm_status ctx_deliver(struct sccp_reasm *r, struct reasm_ctx *c,
					  struct sccp_reasm_result *res)
{
	size_t off = 0;
	int i;

	res->buf = malloc(c->bytes ? c->bytes : 1);
	if (!res->buf)
		return ctx_fail(r, c, SCCP_RC_ERROR_IN_LOCAL_PROCESSING, res);
	/* the first segment has the highest remaining-segments value */
	for (i = c->first.seg.remaining; i >= 0; i--) {
		memcpy(res->buf + off, c->seg[i], c->seg_len[i]);
		off += c->seg_len[i];
	}
	user_header(&res->msg, &c->first);
	res->msg.data = res->buf;
	res->msg.data_len = off;
	res->have_msg = true;
	res->status = SCCP_REASM_DONE;
	ctx_release(r, c);
	return res->status;
}

/* Keep seg's data in slot seg->seg.remaining of c. */
static enum sccp_reasm_status ctx_store(struct sccp_reasm *r, struct reasm_ctx *c,
					const struct sccp_msg *seg, struct sccp_reasm_result *res)
{
	unsigned int idx = seg->seg.remaining;
	size_t before = committed(r);

	/* more than the first segment announced: not the message it began */
	if (c->have_first && c->bytes + seg->data_len > c->budget)
		return ctx_fail(r, c, SCCP_RC_SEGMENTATION_FAILURE, res);
	if (c->bytes + seg->data_len > r->cfg.max_msg
	    || before - OSMO_MAX(c->bytes, c->budget)
	       + OSMO_MAX(c->bytes + seg->data_len, c->budget) > r->cfg.max_total)
		return ctx_fail(r, c, SCCP_RC_DEST_CANNOT_REASSEMBLE, res);
	c->seg[idx] = malloc(seg->data_len ? seg->data_len : 1);
	if (!c->seg[idx])
		return ctx_fail(r, c, SCCP_RC_ERROR_IN_LOCAL_PROCESSING, res);
	memcpy(c->seg[idx], seg->data, seg->data_len);
	c->seg_len[idx] = seg->data_len;
	c->bytes += seg->data_len;
	r->bytes += seg->data_len;
	if (ctx_complete(c))
		return ctx_deliver(r, c, res);
	res->status = SCCP_REASM_PENDING;
	return res->status;
}

static bool same_segment(const struct reasm_ctx *c, const struct sccp_msg *seg)
{
	unsigned int idx = seg->seg.remaining;

	return c->seg[idx] && c->seg_len[idx] == seg->data_len
	       && memcmp(c->seg[idx], seg->data, seg->data_len) == 0;
}

/* Start reassembling at seg, a first segment, if the whole can be held. */
static enum sccp_reasm_status ctx_start(struct sccp_reasm *r, struct reasm_ctx *c, const struct sccp_msg *seg,
					uint32_t opc, uint64_t now_ms, struct sccp_reasm_result *res)
{
	size_t need = seg->data_len * (seg->seg.remaining + 1u);
	size_t others = committed(r) - (c ? c->bytes : 0);
	unsigned int i;

	if (need > r->cfg.max_msg || others + OSMO_MAX(need, c ? c->bytes : 0) > r->cfg.max_total) {
		if (c)
			ctx_release(r, c);
		return refuse(seg, res);
	}
	if (!c) {
		c = ctx_new(r, seg, opc, now_ms);
		if (!c)
			return refuse(seg, res);
	}
	/* any order: segments that came before the first must fit its count */
	for (i = seg->seg.remaining; i < SCCP_SEG_MAX; i++) {
		if (c->seg[i])
			return ctx_fail(r, c, SCCP_RC_SEGMENTATION_FAILURE, res);
	}
	ctx_set_first(c, seg);
	return ctx_store(r, c, seg, res);
}

static enum sccp_reasm_status add_first(struct sccp_reasm *r, struct reasm_ctx *c, const struct sccp_msg *seg,
					uint32_t opc, uint64_t now_ms, struct sccp_reasm_result *res)
{
	struct sccp_reasm_result started = { 0 };

	if (!c || !c->have_first)
		return ctx_start(r, c, seg, opc, now_ms, res);
	if (r->cfg.any_order && same_segment(c, seg)) {
		res->status = SCCP_REASM_DISCARDED;
		return res->status;
	}
	/* A new message under a reference still in use: the old one is lost (that
	 * is the result reported), the new one starts as usual. */
	ctx_fail(r, c, SCCP_RC_SEGMENTATION_FAILURE, res);
	ctx_start(r, NULL, seg, opc, now_ms, &started);
	sccp_reasm_result_clear(&started);
	return res->status;
}

static enum sccp_reasm_status add_next(struct sccp_reasm *r, struct reasm_ctx *c, const struct sccp_msg *seg,
				       uint32_t opc, uint64_t now_ms, struct sccp_reasm_result *res)
{
	unsigned int idx = seg->seg.remaining;

	if (!r->cfg.any_order) {
		/* Q.714: no reassembly in progress for it, discard; out of sequence, fail */
		if (!c) {
			res->status = SCCP_REASM_DISCARDED;
			return res->status;
		}
		if (idx != c->next)
			return ctx_fail(r, c, SCCP_RC_SEGMENTATION_FAILURE, res);
		c->next--;
		return ctx_store(r, c, seg, res);
	}
	if (!c) {
		c = committed(r) + seg->data_len <= r->cfg.max_total ? ctx_new(r, seg, opc, now_ms) : NULL;
		if (!c) {
			res->status = SCCP_REASM_DISCARDED;
			return res->status;
		}
	}
	if (c->seg[idx]) {
		if (same_segment(c, seg)) {
			res->status = SCCP_REASM_DISCARDED;
			return res->status;
		}
		return ctx_fail(r, c, SCCP_RC_SEGMENTATION_FAILURE, res);
	}
	if (c->have_first && idx >= c->first.seg.remaining)
		return ctx_fail(r, c, SCCP_RC_SEGMENTATION_FAILURE, res);
	return ctx_store(r, c, seg, res);
}

enum sccp_reasm_status sccp_reasm_add(struct sccp_reasm *r, const struct sccp_msg *seg, uint32_t opc,
				      uint64_t now_ms, struct sccp_reasm_result *res)
{
	struct reasm_ctx *c;

	memset(res, 0, sizeof(*res));
	if (!seg->seg_present || !seg->data || seg->seg.remaining >= SCCP_SEG_MAX) {
		res->status = SCCP_REASM_DISCARDED;
		return res->status;
	}
	/* first and last: nothing to wait for */
	if (seg->seg.first && seg->seg.remaining == 0)
		return result_copy(res, SCCP_REASM_DONE, seg, seg->data, seg->data_len);

	c = ctx_find(r, seg, opc);
	if (seg->seg.first)
		return add_first(r, c, seg, opc, now_ms, res);
	return add_next(r, c, seg, opc, now_ms, res);
}

bool sccp_reasm_expire(struct sccp_reasm *r, uint64_t now_ms, struct sccp_reasm_result *res)
{
	unsigned int i;

	memset(res, 0, sizeof(*res));
	for (i = 0; i < r->cfg.max_contexts; i++) {
		struct reasm_ctx *c = &r->ctx[i];

		if (c->used && c->deadline <= now_ms) {
			ctx_fail(r, c, SCCP_RC_SEGMENTATION_FAILURE, res);
			return true;
		}
	}
	return false;
}
