/*
 * Dialogue state in the key-value store (docs/nats.md, "Dialogue state in JetStream KV"):
 * a dialogue is written once it has been idle for kv_write_delay_ms (waiting for the
 * application or the peer), so that one finished within the delay is never written; a
 * change while a write is on its way is folded into one more write after its ack; a
 * written dialogue is deleted at its end. Writes after the first are compare-and-set on
 * our own last revision: another instance that took the dialogue over makes ours fail.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <osmocom/core/rate_ctr.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include "ss7gw/codec.h"
#include "jw.h"
#include "tcap.h"
#include "tc_json.h"
#include "gw_int.h"

static void ctr_inc(struct gw *gw, enum gw_ctr c)
{
	rate_ctr_inc2(gw->ctrs, c);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void key_of(const struct gw_dlg *d, char *key, size_t n)
{
	snprintf(key, n, "d.%08x", d->id);
}

static uint64_t token_of(struct gw *gw, const struct gw_dlg *d)
{
	return (uint64_t)d->id << 32 | ++gw->token_seq;
}

static const char *const role_names[] = {
	[GW_ROLE_NETWORK] = "network", [GW_ROLE_REQUEST] = "request", [GW_ROLE_TC] = "tc",
};

static void write_tid(struct jw *w, const char *key, const struct tcap_tid *t)
{
	char hex[2 * TCAP_TID_MAX + 1];

	if (!t->len)
		return;
	osmo_hexdump_buf(hex, sizeof(hex), t->v, t->len, "", true);
	jw_kstr(w, key, hex);
}

static void write_deadline(struct jw *w, const char *key, uint64_t now, uint32_t left_ms)
{
	if (left_ms)
		jw_kint(w, key, (long long)(now + left_ms));
}

static uint32_t timer_left_ms(const struct osmo_timer_list *t)
{
	struct timeval rem;

	if (!osmo_timer_pending(t) || osmo_timer_remaining(t, NULL, &rem) < 0)
		return 0;
	return (uint32_t)(rem.tv_sec * 1000 + rem.tv_usec / 1000) ?: 1;
}

int gw_kv_state(struct gw *gw, uint32_t id, struct jw *w)
{
	struct gw_dlg *d = gw_dlg_find(gw, id);
	struct tcap_dlg_export t;
	struct tc_json_dlg_export j;
	uint64_t now = now_ms();
	char text[16];
	unsigned int i, k;

	if (!d || tcap_dlg_export(gw->stack.tcap, id, &t) || tc_json_dlg_export(gw->stack.tc, id, &j))
		return -ENOENT;
	jw_obj_begin(w);
	jw_kint(w, "v", 1);
	jw_kint(w, "owner", gw->instance);
	snprintf(text, sizeof(text), "%08x", d->id);
	jw_kstr(w, "dialog", text);
	jw_kstr(w, "localTid", text);
	write_tid(w, "remoteTid", &t.remote_tid);
	jw_kstr(w, "state", t.state);
	jw_kstr(w, "role", role_names[d->role]);
	jw_key(w, "local");
	tc_json_write_addr(w, &t.local_addr);
	jw_key(w, "remote");
	tc_json_write_addr(w, &t.remote_addr);
	if (j.ac)
		jw_kstr(w, "ac", j.ac);
	else if (t.acn.len)
		jw_khex(w, "acOid", t.acn.data, t.acn.len);
	jw_kstr(w, "proto", j.proto == SS7_CODEC_CAP ? "cap" : "map");
	if (j.version)
		jw_kint(w, "version", j.version);
	jw_kbool(w, "dialoguePortion", t.dlg_portion);
	jw_kbool(w, "answered", !t.aare_due && j.answered);
	jw_kint(w, "class", t.proto_class);
	jw_kint(w, "n", d->n);
	jw_key(w, "invokes");
	jw_arr_begin(w);
	for (i = 0; i < t.n_invokes; i++) {
		jw_obj_begin(w);
		jw_kint(w, "invokeId", t.invokes[i].id);
		jw_kstr(w, "dir", "out");
		for (k = 0; k < j.n_sent; k++)
			if (j.sent[k].id == t.invokes[i].id && j.sent[k].op >= 0)
				jw_kint(w, "opcode", j.sent[k].op);
		jw_kint(w, "class", t.invokes[i].op_class);
		jw_kbool(w, "sent", t.invokes[i].sent);
		write_deadline(w, "deadline", now, t.invokes[i].left_ms);
		jw_obj_end(w);
	}
	for (i = 0; i < t.n_rx_ids; i++) {
		jw_obj_begin(w);
		jw_kint(w, "invokeId", t.rx_ids[i]);
		jw_kstr(w, "dir", "in");
		if (d->pending && d->pend_id == t.rx_ids[i] && d->pend_op >= 0)
			jw_kint(w, "opcode", d->pend_op);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	if (d->waiting) {
		jw_key(w, "answer");
		jw_obj_begin(w);
		jw_kint(w, "token", (long long)(d->token & 0xffffffff));
		if (d->pending)
			jw_kint(w, "invokeId", d->pend_id);
		write_deadline(w, "deadline", now, timer_left_ms(&d->timer));
		jw_obj_end(w);
	}
	if (d->role == GW_ROLE_REQUEST) {
		jw_key(w, "request");
		jw_obj_begin(w);
		jw_kstr(w, "operation", d->req_op);
		jw_kint(w, "invokeId", d->req_invoke);
		if (d->reply_to)
			jw_kstr(w, "replyTo", d->reply_to);
		jw_kbool(w, "keepOpen", d->keep_open);
		jw_obj_end(w);
	}
	write_deadline(w, "idleDeadline", now, t.idle_ms);
	if (d->context) {
		jw_key(w, "context");
		jw_raw(w, d->context, strlen(d->context));
	}
	jw_key(w, "vars");
	jw_null(w);
	jw_kint(w, "written", (long long)now);
	jw_obj_end(w);
	return 0;
}

static void kv_write(struct gw *gw, struct gw_dlg *d)
{
	struct jw w;
	char key[16];
	int rc;

	jw_init(&w);
	if (gw_kv_state(gw, d->id, &w) || !jw_ok(&w)) {
		jw_free(&w);
		return;
	}
	key_of(d, key, sizeof(key));
	rc = gw->bus->kv_put(gw->bus_priv, key, jw_cstr(&w), w.len, d->kv_rev, token_of(gw, d));
	jw_free(&w);
	if (rc < 0) {
		/* the bus is full or away: try again after another delay */
		if (++d->kv_tries > gw->cfg.kv_retries) {
			ctr_inc(gw, GW_CTR_KV_LOST);
			d->kv_tries = 0;
			return;
		}
		ctr_inc(gw, GW_CTR_KV_RETRIES);
		osmo_timer_schedule(&d->kv_timer, 0, gw->cfg.kv_write_delay_ms * 1000);
		return;
	}
	d->kv_inflight = true;
	d->kv_dirty = false;
	ctr_inc(gw, GW_CTR_KV_WRITES);
}

static void kv_timer_cb(void *priv)
{
	struct gw_dlg *d = priv;

	if (d->kv_inflight) {
		d->kv_dirty = true;	/* after its ack */
		return;
	}
	kv_write(d->gw, d);
}

void gw_kv_init(struct gw_dlg *d)
{
	osmo_timer_setup(&d->kv_timer, kv_timer_cb, d);
}

void gw_kv_touch(struct gw *gw, struct gw_dlg *d)
{
	if (!gw->bus->kv_put)
		return;
	if (d->kv_inflight) {
		if (!d->kv_dirty)
			ctr_inc(gw, GW_CTR_KV_COALESCED);
		d->kv_dirty = true;
		return;
	}
	/* written once it stays as it is for the delay */
	osmo_timer_schedule(&d->kv_timer, gw->cfg.kv_write_delay_ms / 1000,
			    (gw->cfg.kv_write_delay_ms % 1000) * 1000);
}

void gw_kv_forget(struct gw *gw, struct gw_dlg *d)
{
	char key[16];

	osmo_timer_del(&d->kv_timer);
	if (!gw->bus->kv_delete || (!d->kv_rev && !d->kv_inflight))
		return;	/* never written */
	if (gw->freeing)
		return;	/* not ended: the gateway stops and leaves it to another instance */
	key_of(d, key, sizeof(key));
	if (gw->bus->kv_delete(gw->bus_priv, key, token_of(gw, d)) == 0)
		ctr_inc(gw, GW_CTR_KV_DELETES);
	else
		ctr_inc(gw, GW_CTR_KV_LOST);	/* left to the bucket's TTL */
}

void gw_kv_ack(struct gw *gw, uint64_t token, int status, uint64_t rev)
{
	struct gw_dlg *d = gw_dlg_find(gw, (uint32_t)(token >> 32));

	if (!d || !d->kv_inflight)
		return;		/* a delete's ack, or the dialogue ended meanwhile */
	d->kv_inflight = false;
	if (status == -ESTALE) {
		ctr_inc(gw, GW_CTR_KV_CONFLICT);
		LOGGW(LOGL_NOTICE, "dialogue %08x: KV revision moved on: another instance wrote it\n", d->id);
		return;
	}
	if (status < 0) {
		if (++d->kv_tries > gw->cfg.kv_retries) {
			ctr_inc(gw, GW_CTR_KV_LOST);
			d->kv_tries = 0;
			return;
		}
		ctr_inc(gw, GW_CTR_KV_RETRIES);
		d->kv_dirty = true;
	} else {
		d->kv_rev = rev;
		d->kv_tries = 0;
	}
	if (d->kv_dirty)
		kv_write(gw, d);
}

void gw_kv_flush(struct gw *gw)
{
	struct gw_dlg *d;
	unsigned int b;

	if (!gw->bus->kv_put)
		return;
	hash_for_each(gw->dlgs, b, d, node) {
		osmo_timer_del(&d->kv_timer);
		if (d->kv_inflight)
			d->kv_dirty = true;
		else
			kv_write(gw, d);
	}
}
