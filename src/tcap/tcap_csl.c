/*
 * TCAP component sublayer (Q.774 3.2): components queued by the TC-user until
 * the next dialogue request, invoke ids, invocation states and timers per
 * operation class, and the checks of received components (Rejects, TC-L-REJECT).
 *
 * Invocation state machine (Q.774 Figure A.7) as an explicit per-invoke struct,
 * not an osmo_fsm instance: there are only two live states (queued, operation
 * sent) and one timer, and at 50k dialogues/s an FSM instance per invoke would
 * double the allocations of a dialogue for no added checking. "Wait for reject"
 * is not kept: a result's answer (a Reject by our user) does not need the
 * invocation, so it ends on the last result, the error or a Reject.
 */
#include <errno.h>
#include <string.h>

#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include "tcap_int.h"

const struct value_string tc_comp_prim_names[] = {
	{ TC_INVOKE, "TC-INVOKE" },
	{ TC_RESULT_L, "TC-RESULT-L" },
	{ TC_RESULT_NL, "TC-RESULT-NL" },
	{ TC_U_ERROR, "TC-U-ERROR" },
	{ TC_U_REJECT, "TC-U-REJECT" },
	{ TC_L_REJECT, "TC-L-REJECT" },
	{ TC_R_REJECT, "TC-R-REJECT" },
	{ TC_L_CANCEL, "TC-L-CANCEL" },
	{ TC_U_CANCEL, "TC-U-CANCEL" },
	{ 0, NULL }
};

/* A component waiting for the next message, with copies of its octets */
struct tcap_pend {
	struct llist_head list;
	struct tcap_comp c;
	uint8_t data[];
};

/* One of our invocations: queued (!sent) or operation sent (timer running) */
struct tcap_inv {
	struct llist_head list;
	struct tcap_dlg *d;
	int8_t id;
	uint8_t op_class;
	bool sent;
	uint32_t timeout_ms;
	struct osmo_timer_list timer;
};

static struct tcap_inv *inv_find(struct tcap_dlg *d, int8_t id)
{
	struct tcap_inv *inv;

	llist_for_each_entry(inv, &d->invokes, list)
		if (inv->id == id)
			return inv;
	return NULL;
}

static void inv_free(struct tcap_inv *inv)
{
	osmo_timer_del(&inv->timer);
	llist_del(&inv->list);
	talloc_free(inv);
}

static void copy_buf(struct tcap_buf *b, uint8_t **p)
{
	if (!b->len)
		return;
	memcpy(*p, b->data, b->len);
	b->data = *p;
	*p += b->len;
}

static int pend_add(struct tcap_dlg *d, const struct tcap_comp *c)
{
	size_t extra = c->param.len + c->op.oid.len + c->err.oid.len;
	struct tcap_pend *p;
	uint8_t *w;

	if (d->npending >= TCAP_MAX_COMPS)
		return -ENOSPC;
	p = talloc_size(d, sizeof(*p) + extra);
	if (!p)
		return -ENOMEM;
	p->c = *c;
	w = p->data;
	copy_buf(&p->c.param, &w);
	copy_buf(&p->c.op.oid, &w);
	copy_buf(&p->c.err.oid, &w);
	llist_add_tail(&p->list, &d->pending);
	d->npending++;
	return 0;
}

static void pend_del(struct tcap_dlg *d, struct tcap_pend *p)
{
	llist_del(&p->list);
	d->npending--;
	talloc_free(p);
}

static bool rx_id_test(const struct tcap_dlg *d, int8_t id)
{
	uint8_t i = (uint8_t)id;
	return d->rx_ids[i / 8] & (1 << (i % 8));
}

static void rx_id_set(struct tcap_dlg *d, int8_t id, bool on)
{
	uint8_t i = (uint8_t)id;

	if (on)
		d->rx_ids[i / 8] |= 1 << (i % 8);
	else
		d->rx_ids[i / 8] &= ~(1 << (i % 8));
}

static void inv_timeout(void *data)
{
	struct tcap_inv *inv = data;
	struct tcap_dlg *d = inv->d;
	struct tc_comp_ind c = { .prim = TC_L_CANCEL, .invoke_id_present = true, .invoke_id = inv->id };
	struct tc_ind ind = { .prim = TC_NONE, .dialogue_id = d->local_tid, .comps = &c, .ncomps = 1 };

	tcap_ctr_inc(d->ctx, TCAP_CTR_INVOKE_TIMEOUT);
	inv_free(inv);
	tcap_deliver(d->ctx, &ind);
}

/* --- requests --- */

int tc_invoke_req(struct tcap_ctx *ctx, uint32_t id, const struct tc_invoke_req *req, int8_t *invoke_id_out)
{
	struct tcap_dlg *d = tcap_dlg_find(ctx, id);
	struct tcap_comp c = { .type = TCAP_COMP_INVOKE, .invoke_id_present = true,
			       .linked_id_present = req->linked_id_present, .linked_id = req->linked_id,
			       .op = req->op, .param = req->param };
	struct tcap_inv *inv;
	int rc;

	if (!d)
		return -ENOENT;
	if (!req->op.present || req->op_class < TC_CLASS_1 || req->op_class > TC_CLASS_4)
		return -EINVAL;
	if (req->invoke_id == TC_INVOKE_ID_AUTO) {
		int tries;
		for (tries = 0; tries < 256 && inv_find(d, (int8_t)d->next_invoke_id); tries++)
			d->next_invoke_id++;
		if (tries == 256)
			return -EBUSY;
		c.invoke_id = (int8_t)d->next_invoke_id++;
	} else if (req->invoke_id < -128 || req->invoke_id > 127) {
		return -EINVAL;
	} else if (inv_find(d, req->invoke_id)) {
		return -EBUSY;
	} else {
		c.invoke_id = req->invoke_id;
	}
	inv = talloc_zero(d, struct tcap_inv);
	if (!inv)
		return -ENOMEM;
	rc = pend_add(d, &c);
	if (rc < 0) {
		talloc_free(inv);
		return rc;
	}
	inv->d = d;
	inv->id = c.invoke_id;
	inv->op_class = req->op_class;
	inv->timeout_ms = req->timeout_ms ? req->timeout_ms
			  : osmo_tdef_get(ctx->tdefs, TCAP_T_INVOKE, OSMO_TDEF_MS, 30000);
	osmo_timer_setup(&inv->timer, inv_timeout, inv);
	llist_add_tail(&inv->list, &d->invokes);
	if (invoke_id_out)
		*invoke_id_out = c.invoke_id;
	return 0;
}

int tc_result_req(struct tcap_ctx *ctx, uint32_t id, int8_t invoke_id, bool last, const struct tcap_code *op,
		  struct tcap_buf param)
{
	struct tcap_dlg *d = tcap_dlg_find(ctx, id);
	struct tcap_comp c = { .type = last ? TCAP_COMP_RESULT_L : TCAP_COMP_RESULT_NL, .invoke_id_present = true,
			       .invoke_id = invoke_id, .param = param };
	int rc;

	if (!d)
		return -ENOENT;
	if ((!op || !op->present) && param.len)
		return -EINVAL;
	if (op)
		c.op = *op;
	rc = pend_add(d, &c);
	if (rc == 0 && last)
		rx_id_set(d, invoke_id, false);
	return rc;
}

int tc_u_error_req(struct tcap_ctx *ctx, uint32_t id, int8_t invoke_id, const struct tcap_code *err,
		   struct tcap_buf param)
{
	struct tcap_dlg *d = tcap_dlg_find(ctx, id);
	struct tcap_comp c = { .type = TCAP_COMP_ERROR, .invoke_id_present = true, .invoke_id = invoke_id,
			       .param = param };
	int rc;

	if (!d)
		return -ENOENT;
	if (!err || !err->present)
		return -EINVAL;
	c.err = *err;
	rc = pend_add(d, &c);
	if (rc == 0)
		rx_id_set(d, invoke_id, false);
	return rc;
}

int tc_u_reject_req(struct tcap_ctx *ctx, uint32_t id, const int8_t *invoke_id, enum tcap_problem_type type,
		    uint8_t problem)
{
	struct tcap_dlg *d = tcap_dlg_find(ctx, id);
	struct tcap_comp c = { .type = TCAP_COMP_REJECT, .problem_type = type, .problem = problem };
	int rc;

	if (!d)
		return -ENOENT;
	if (type > TCAP_PROB_ERROR || problem > 127)
		return -EINVAL;
	if (invoke_id) {
		c.invoke_id_present = true;
		c.invoke_id = *invoke_id;
	}
	rc = pend_add(d, &c);
	if (rc == 0 && invoke_id)
		rx_id_set(d, *invoke_id, false);
	return rc;
}

int tc_u_cancel_req(struct tcap_ctx *ctx, uint32_t id, int8_t invoke_id)
{
	struct tcap_dlg *d = tcap_dlg_find(ctx, id);
	struct tcap_inv *inv = d ? inv_find(d, invoke_id) : NULL;
	struct tcap_pend *p, *tmp;

	if (!inv)
		return -ENOENT;
	if (!inv->sent) {
		llist_for_each_entry_safe(p, tmp, &d->pending, list)
			if (p->c.type == TCAP_COMP_INVOKE && p->c.invoke_id == invoke_id)
				pend_del(d, p);
	}
	inv_free(inv);
	return 0;
}

/* --- towards the transaction sublayer --- */

unsigned int tcap_csl_pending(struct tcap_dlg *d, struct tcap_comp *out, unsigned int max)
{
	struct tcap_pend *p;
	unsigned int n = 0;

	llist_for_each_entry(p, &d->pending, list) {
		if (n == max)
			break;
		out[n++] = p->c;
	}
	return n;
}

void tcap_csl_sent(struct tcap_dlg *d)
{
	struct tcap_pend *p, *tmp;

	llist_for_each_entry_safe(p, tmp, &d->pending, list) {
		if (p->c.type == TCAP_COMP_INVOKE) {
			struct tcap_inv *inv = inv_find(d, p->c.invoke_id);
			if (inv && !inv->sent) {
				inv->sent = true;
				osmo_timer_schedule(&inv->timer, inv->timeout_ms / 1000,
						    (inv->timeout_ms % 1000) * 1000);
			}
		}
		pend_del(d, p);
	}
}

void tcap_csl_cleanup(struct tcap_dlg *d)
{
	struct tcap_inv *inv;

	llist_for_each_entry(inv, &d->invokes, list)
		osmo_timer_del(&inv->timer);
}

/* A received component is wrong: TC-L-REJECT up, and a Reject to the peer with the
 * next message when the dialogue goes on (Q.774 3.2.2.2) */
static void local_reject(struct tcap_dlg *d, struct tc_comp_ind *o, bool id_present, int8_t id, uint8_t type,
			 uint8_t problem, bool can_reply)
{
	memset(o, 0, sizeof(*o));
	o->prim = TC_L_REJECT;
	o->invoke_id_present = id_present;
	o->invoke_id = id;
	o->problem_type = type;
	o->problem = problem;
	if (d) {
		tcap_ctr_inc(d->ctx, TCAP_CTR_L_REJECT);
		if (can_reply) {
			struct tcap_comp c = { .type = TCAP_COMP_REJECT, .invoke_id_present = id_present,
					       .invoke_id = id, .problem_type = type, .problem = problem };
			pend_add(d, &c);
		}
	}
}

/* Whether the peer's component sublayer raises this problem itself (Q.774 3.2.2.2):
 * a Reject carries no sender, so what a CSL detects comes up as TC-R-REJECT and
 * the problems only a TC-user can judge as TC-U-REJECT. */
static bool csl_problem(uint8_t type, uint8_t problem)
{
	switch (type) {
	case TCAP_PROB_GENERAL:
		return true;
	case TCAP_PROB_INVOKE:
		return problem == TCAP_IP_DUPLICATE_INVOKE_ID || problem == TCAP_IP_UNRECOGNIZED_LINKED_ID;
	case TCAP_PROB_RESULT:
		return problem == TCAP_RRP_UNRECOGNIZED_INVOKE_ID || problem == TCAP_RRP_UNEXPECTED;
	default:
		return problem == TCAP_REP_UNRECOGNIZED_INVOKE_ID || problem == TCAP_REP_UNEXPECTED;
	}
}

/* The answer to one of our invocations: is it expected, given the class? */
static struct tcap_inv *rx_answer(struct tcap_dlg *d, const struct tcap_comp *c, struct tc_comp_ind *o,
				  bool can_reply)
{
	bool result = c->type != TCAP_COMP_ERROR;
	uint8_t ptype = result ? TCAP_PROB_RESULT : TCAP_PROB_ERROR;
	struct tcap_inv *inv = d ? inv_find(d, c->invoke_id) : NULL;

	if (!inv || !inv->sent) {
		local_reject(d, o, true, c->invoke_id, ptype, result ? TCAP_RRP_UNRECOGNIZED_INVOKE_ID
								       : TCAP_REP_UNRECOGNIZED_INVOKE_ID, can_reply);
		return NULL;
	}
	/* class 1: result or error; 2: error only; 3: result only; 4: neither */
	if ((result && (inv->op_class == TC_CLASS_2 || inv->op_class == TC_CLASS_4))
	    || (!result && (inv->op_class == TC_CLASS_3 || inv->op_class == TC_CLASS_4))) {
		local_reject(d, o, true, c->invoke_id, ptype, result ? TCAP_RRP_UNEXPECTED : TCAP_REP_UNEXPECTED,
			     can_reply);
		inv_free(inv);
		return NULL;
	}
	return inv;
}

int tcap_csl_rx(struct tcap_dlg *d, const struct tcap_msg *m, struct tc_comp_ind *out, bool can_reply)
{
	struct tcap_comp_iter it;
	struct tcap_comp c;
	struct tcap_inv *inv;
	int rc, n = 0;

	tcap_comp_iter_init(&it, m);
	while ((rc = tcap_comp_next(&it, &c)) != 0) {
		struct tc_comp_ind *o;

		if (rc == -TCAP_ERR_TOO_MANY_COMPS)
			return -ENOSPC;
		o = &out[n++];
		memset(o, 0, sizeof(*o));
		if (rc < 0) {
			local_reject(d, o, c.invoke_id_present, c.invoke_id, TCAP_PROB_GENERAL, c.problem, can_reply);
			continue;
		}
		o->invoke_id_present = c.invoke_id_present;
		o->invoke_id = c.invoke_id;
		o->param = c.param;
		switch (c.type) {
		case TCAP_COMP_INVOKE:
			if (d && c.linked_id_present && !inv_find(d, c.linked_id)) {
				local_reject(d, o, true, c.invoke_id, TCAP_PROB_INVOKE,
					     TCAP_IP_UNRECOGNIZED_LINKED_ID, can_reply);
				break;
			}
			if (d && rx_id_test(d, c.invoke_id)) {
				local_reject(d, o, true, c.invoke_id, TCAP_PROB_INVOKE, TCAP_IP_DUPLICATE_INVOKE_ID,
					     can_reply);
				break;
			}
			if (d)
				rx_id_set(d, c.invoke_id, true);
			o->prim = TC_INVOKE;
			o->linked_id_present = c.linked_id_present;
			o->linked_id = c.linked_id;
			o->op = c.op;
			break;
		case TCAP_COMP_RESULT_L:
		case TCAP_COMP_RESULT_NL:
			inv = rx_answer(d, &c, o, can_reply);
			if (!inv)
				break;
			o->prim = c.type == TCAP_COMP_RESULT_L ? TC_RESULT_L : TC_RESULT_NL;
			o->op = c.op;
			if (c.type == TCAP_COMP_RESULT_L)
				inv_free(inv);
			break;
		case TCAP_COMP_ERROR:
			inv = rx_answer(d, &c, o, can_reply);
			if (!inv)
				break;
			o->prim = TC_U_ERROR;
			o->err = c.err;
			inv_free(inv);
			break;
		case TCAP_COMP_REJECT:
			if (d) {
				tcap_ctr_inc(d->ctx, TCAP_CTR_RX_REJECT);
				if (c.invoke_id_present && (inv = inv_find(d, c.invoke_id)))
					inv_free(inv);
			}
			o->prim = csl_problem(c.problem_type, c.problem) ? TC_R_REJECT : TC_U_REJECT;
			o->problem_type = c.problem_type;
			o->problem = c.problem;
			break;
		}
	}
	return n;
}

static uint32_t left_ms(const struct osmo_timer_list *t)
{
	struct timeval rem;

	if (!osmo_timer_pending(t) || osmo_timer_remaining(t, NULL, &rem) < 0)
		return 0;
	return (uint32_t)(rem.tv_sec * 1000 + rem.tv_usec / 1000) ?: 1;
}

void tcap_csl_export(const struct tcap_dlg *d, struct tcap_dlg_export *out)
{
	const struct tcap_inv *inv;
	int i;

	out->n_invokes = 0;
	llist_for_each_entry(inv, &d->invokes, list) {
		if (out->n_invokes == TCAP_EXPORT_INVOKES)
			break;
		out->invokes[out->n_invokes].id = inv->id;
		out->invokes[out->n_invokes].op_class = inv->op_class;
		out->invokes[out->n_invokes].sent = inv->sent;
		out->invokes[out->n_invokes].left_ms = left_ms(&inv->timer);
		out->n_invokes++;
	}
	out->n_rx_ids = 0;
	for (i = -128; i < 128 && out->n_rx_ids < TCAP_EXPORT_INVOKES; i++)
		if (rx_id_test(d, (int8_t)i))
			out->rx_ids[out->n_rx_ids++] = (int8_t)i;
}
