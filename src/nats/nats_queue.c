/*
 * The adapter's two bounded queues. Outgoing: a byte ring of records that the main thread
 * keeps while nats.c cannot take them (the connection is down, or its write buffer is at
 * the bound), and hands over in order when it can again. Incoming: a ring of events from
 * nats.c's threads to the main thread, which an eventfd wakes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "nats_bus_priv.h"

#define ALIGN8(x)	(((x) + 7) & ~(size_t)7)

int nats_txq_init(struct nats_txq *q, unsigned int max_msgs, size_t max_bytes)
{
	memset(q, 0, sizeof(*q));
	q->cap = ALIGN8(max_bytes);
	q->ring = malloc(q->cap);
	if (!q->ring)
		return -ENOMEM;
	q->max_msgs = max_msgs;
	return 0;
}

void nats_txq_fini(struct nats_txq *q)
{
	free(q->ring);
	q->ring = NULL;
}

int nats_txq_put(struct nats_txq *q, enum nats_rec_kind kind, const char *subj,
		 const char *reply, const struct nats_hdr *hdrs, unsigned int n_hdrs,
		 const void *data, size_t len)
{
	size_t subj_len = strlen(subj), reply_len = reply ? strlen(reply) : 0, hdr_len = 0;
	size_t need, pos, room_end, used;
	struct nats_rec *r;
	unsigned int i;
	char *p;

	for (i = 0; i < n_hdrs; i++)
		hdr_len += strlen(hdrs[i].key) + strlen(hdrs[i].value) + 2;
	if (subj_len > UINT16_MAX || reply_len > UINT16_MAX || hdr_len > UINT16_MAX || n_hdrs > UINT8_MAX
	    || len > UINT32_MAX)
		return -EMSGSIZE;
	need = ALIGN8(sizeof(*r) + subj_len + 1 + (reply_len ? reply_len + 1 : 0) + hdr_len + len);

	used = q->tail - q->head;
	pos = q->tail % q->cap;
	room_end = q->cap - pos;
	/* a record is contiguous: when it does not fit before the end of the ring, the end is
	 * left unused (a PAD record, or implicit when shorter than a record header) */
	if (q->msgs >= q->max_msgs
	    || (need <= room_end ? used + need > q->cap : used + room_end + need > q->cap))
		return -ENOBUFS;
	if (need > room_end) {
		if (room_end >= sizeof(*r)) {
			r = (struct nats_rec *)(q->ring + pos);
			r->len = room_end;
			r->kind = NATS_REC_PAD;
		}
		q->tail += room_end;
		pos = 0;
	}
	r = (struct nats_rec *)(q->ring + pos);
	r->len = need;
	r->kind = kind;
	r->n_hdrs = n_hdrs;
	r->subj_len = subj_len;
	r->reply_len = reply_len;
	r->hdr_len = hdr_len;
	r->data_len = len;
	p = (char *)(r + 1);
	memcpy(p, subj, subj_len + 1);
	p += subj_len + 1;
	if (reply_len) {
		memcpy(p, reply, reply_len + 1);
		p += reply_len + 1;
	}
	for (i = 0; i < n_hdrs; i++) {
		size_t kl = strlen(hdrs[i].key) + 1, vl = strlen(hdrs[i].value) + 1;

		memcpy(p, hdrs[i].key, kl);
		memcpy(p + kl, hdrs[i].value, vl);
		p += kl + vl;
	}
	if (len)
		memcpy(p, data, len);
	q->tail += need;
	q->msgs++;
	q->data_bytes += subj_len + reply_len + hdr_len + len;
	return 0;
}

const struct nats_rec *nats_txq_first(struct nats_txq *q)
{
	while (q->head != q->tail) {
		size_t pos = q->head % q->cap;
		const struct nats_rec *r = (const struct nats_rec *)(q->ring + pos);

		if (q->cap - pos < sizeof(*r))	/* implicit padding */
			q->head += q->cap - pos;
		else if (r->kind == NATS_REC_PAD)
			q->head += r->len;
		else
			return r;
	}
	return NULL;
}

void nats_txq_pop(struct nats_txq *q, const struct nats_rec *r)
{
	q->head += r->len;
	q->msgs--;
	q->data_bytes -= r->subj_len + r->reply_len + r->hdr_len + r->data_len;
}

/* --- incoming ------------------------------------------------------------------------ */

enum { RXQ_RESERVE = 64 };	/* for connection events, which are never dropped */

int nats_rxq_init(struct nats_rxq *q, unsigned int max_msgs, size_t max_bytes)
{
	memset(q, 0, sizeof(*q));
	q->max_msgs = max_msgs;
	q->max_bytes = max_bytes;
	q->cap = max_msgs + RXQ_RESERVE;
	q->ring = calloc(q->cap, sizeof(*q->ring));
	if (!q->ring)
		return -ENOMEM;
	q->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (q->efd < 0) {
		free(q->ring);
		q->ring = NULL;
		return -errno;
	}
	pthread_mutex_init(&q->mu, NULL);
	return 0;
}

void nats_rxq_fini(struct nats_rxq *q)
{
	if (!q->ring)
		return;
	while (q->n) {
		natsMsg_Destroy(q->ring[q->head].msg);
		q->head = (q->head + 1) % q->cap;
		q->n--;
	}
	free(q->ring);
	q->ring = NULL;
	close(q->efd);
	pthread_mutex_destroy(&q->mu);
}

static size_t ev_bytes(const struct nats_ev *ev)
{
	return ev->msg ? (size_t)natsMsg_GetDataLength(ev->msg) : 0;
}

/* one write per wake-up: the eventfd's counter cannot overflow */
static void signal_efd(struct nats_rxq *q)
{
	uint64_t one = 1;

	if (write(q->efd, &one, sizeof(one)) < 0) {
	}
}

int nats_rxq_push(struct nats_rxq *q, const struct nats_ev *ev, bool must)
{
	size_t bytes = ev_bytes(ev);
	bool wake;

	pthread_mutex_lock(&q->mu);
	if (q->n >= q->cap || (!must && (q->n >= q->max_msgs || q->bytes + bytes > q->max_bytes))) {
		pthread_mutex_unlock(&q->mu);
		return -ENOBUFS;
	}
	q->ring[(q->head + q->n) % q->cap] = *ev;
	q->n++;
	q->bytes += bytes;
	wake = !q->signalled;
	q->signalled = true;
	pthread_mutex_unlock(&q->mu);
	if (wake)
		signal_efd(q);
	return 0;
}

void nats_rxq_wake(struct nats_rxq *q)
{
	bool wake;

	pthread_mutex_lock(&q->mu);
	wake = !q->signalled;
	q->signalled = true;
	pthread_mutex_unlock(&q->mu);
	if (wake)
		signal_efd(q);
}

unsigned int nats_rxq_take(struct nats_rxq *q, struct nats_ev *out, unsigned int max)
{
	unsigned int n = 0;
	bool more;
	uint64_t v;

	if (read(q->efd, &v, sizeof(v)) < 0) {
		/* EAGAIN: a wake-up left by an earlier batch was already read */
	}
	pthread_mutex_lock(&q->mu);
	while (n < max && q->n) {
		out[n] = q->ring[q->head];
		q->bytes -= ev_bytes(&out[n]);
		q->head = (q->head + 1) % q->cap;
		q->n--;
		n++;
	}
	/* more than one batch waits: come back at the next turn of the loop, after the
	 * other file descriptors had theirs */
	more = q->signalled = q->n > 0;
	pthread_mutex_unlock(&q->mu);
	if (more)
		signal_efd(q);
	return n;
}
