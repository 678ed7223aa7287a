/*
 * The publisher thread: the only caller of nats.c's publish and subscribe functions. It
 * takes records from the outgoing ring (nats_queue.c), hands them to nats.c and, when it
 * has caught up with the ring, flushes once for the whole batch.
 *
 * Why a thread of our own rather than natsConnection_Publish() on the main thread, and why
 * this flush (figures from tests/bench/bench_nats.c and a probe on the 2-core VM, nats-server
 * 2.9.10 on loopback, 300-byte messages; reproduce with scripts/bench.sh):
 *  - natsConnection_Publish() is not non-blocking. It takes the connection's mutex, which
 *    nats.c's flusher and reader threads hold while they write to or read from the socket,
 *    and when its 32 KiB buffer fills it writes the buffer in place with a blocking write.
 *    Called in a loop on one thread, the longest single call took 23-58 ms. A select loop
 *    cannot afford that, and it grows without bound when the server stalls.
 *  - With nats.c's default options a message waits up to 1 ms in that buffer for the
 *    flusher thread (it sleeps 1 ms after being signalled so that small messages batch):
 *    a request answered by a default-options responder took ~1 ms at the median.
 *    natsOptions_SetSendAsap() writes at once but costs one write() per message: bulk
 *    publishing fell from ~400-530k/s to ~130-150k/s.
 *  - Here the main thread only copies the message into a ring (no nats.c call, no I/O) and
 *    this thread publishes into nats.c's buffer without a flush; when the ring is empty it
 *    calls natsConnection_FlushTimeout(), which writes the buffer out at once (with a PING)
 *    and waits for the PONG. Everything that arrives during that round trip is the next
 *    batch, so batches grow with the load: a lone message goes out within microseconds,
 *    bulk keeps nats.c's buffering. bench_nats prints the figures of each mode
 *    (NATS_BUS_FLUSH_*).
 * While the connection is down nothing is taken from the ring, so messages wait there within
 * the configured bound and go out after the reconnection, in order; what the main thread
 * cannot queue is refused and counted there. nats.c's own reconnect buffer only takes what
 * was handed over between the loss of the connection and its callback.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "nats_bus_priv.h"

enum {
	BATCH_MAX = 1024,	/* records between two updates of the ring's head */
	INFO_EVERY_MS = 1000,	/* "show nats" information and nats.c's drop counts refreshed */
	FLUSH_TIMEOUT_MS = 1000,
	RETRY_MS = 100,		/* nats.c refused for a while (reconnecting): look again */
};

int64_t nats_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sub_msg_cb(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
	struct nats_sub *s = closure;
	struct nats_ev ev = { .kind = NATS_EV_MSG, .tag = s->tag, .msg = msg };

	if (nats_rxq_push(&s->b->rxq, &ev, false) < 0) {
		atomic_fetch_add(&s->b->actr[NATS_ACTR_RX_DROP_FULL], 1);
		natsMsg_Destroy(msg);
	}
}

static void sub_complete_cb(void *closure)
{
	struct nats_sub *s = closure;

	atomic_fetch_sub(&s->b->live_subs, 1);
}

/* 0 handed over (or dropped for good and counted), 1 try again later */
static int send_rec(struct nats_bus *b, const struct nats_rec *r)
{
	const char *subj = nats_rec_subj(r), *reply = nats_rec_reply(r);
	natsStatus s;

	if (r->kind == NATS_REC_UNSUB) {
		struct nats_sub *ns;

		/* the server stops sending; its completion callback counts it out */
		memcpy(&ns, nats_rec_data(r), sizeof(ns));
		if (ns->sub)
			natsSubscription_Unsubscribe(ns->sub);
		return 0;
	}
	if (r->kind == NATS_REC_SUB) {
		struct nats_sub *ns;

		memcpy(&ns, nats_rec_data(r), sizeof(ns));
		atomic_fetch_add(&b->live_subs, 1);
		if (reply)
			s = natsConnection_QueueSubscribe(&ns->sub, b->nc, subj, reply, sub_msg_cb, ns);
		else
			s = natsConnection_Subscribe(&ns->sub, b->nc, subj, sub_msg_cb, ns);
		if (s == NATS_OK) {
			natsSubscription_SetPendingLimits(ns->sub, b->cfg.in_max_msgs, (int)b->cfg.in_max_bytes);
			natsSubscription_SetOnCompleteCB(ns->sub, sub_complete_cb, ns);
			ns->pub_next = b->pub_subs;
			b->pub_subs = ns;
			return 0;
		}
		atomic_fetch_sub(&b->live_subs, 1);
		ns->sub = NULL;
	} else if (r->n_hdrs) {
		const char *h = nats_rec_hdrs(r);
		natsMsg *m = NULL;
		unsigned int i;

		s = natsMsg_Create(&m, subj, reply, nats_rec_data(r), r->data_len);
		for (i = 0; s == NATS_OK && i < r->n_hdrs; i++) {
			const char *v = h + strlen(h) + 1;

			s = natsMsgHeader_Add(m, h, v);
			h = v + strlen(v) + 1;
		}
		if (s == NATS_OK)
			s = natsConnection_PublishMsg(b->nc, m);
		natsMsg_Destroy(m);
	} else if (reply) {
		s = natsConnection_PublishRequest(b->nc, subj, reply, nats_rec_data(r), r->data_len);
	} else {
		s = natsConnection_Publish(b->nc, subj, nats_rec_data(r), r->data_len);
	}

	switch (s) {
	case NATS_OK:
		atomic_fetch_add(&b->actr[NATS_ACTR_PUB_SENT], 1);
		return 0;
	/* the connection went away under us: keep the record for after the reconnection */
	case NATS_CONNECTION_DISCONNECTED:
	case NATS_NOT_YET_CONNECTED:
	case NATS_INSUFFICIENT_BUFFER:
	case NATS_CONNECTION_CLOSED:
	case NATS_DRAINING:
	case NATS_IO_ERROR:
		return 1;
	default:
		break;
	}
	if (r->kind == NATS_REC_SUB) {
		struct nats_sub *ns;
		struct nats_ev ev = { .kind = NATS_EV_SUB_FAILED, .status = s };

		memcpy(&ns, nats_rec_data(r), sizeof(ns));
		ev.tag = ns->tag;
		nats_rxq_push(&b->rxq, &ev, true);
	} else {
		atomic_fetch_add(&b->actr[NATS_ACTR_PUB_ERRORS], 1);
	}
	return 0;
}

static void flush(struct nats_bus *b)
{
	atomic_fetch_add(&b->actr[NATS_ACTR_FLUSHES], 1);
	switch (b->cfg.flush) {
	case NATS_BUS_FLUSH_BATCH:
		/* writes nats.c's buffer at once; the wait for the PONG is when the next batch
		 * gathers. A timeout or a lost connection changes nothing for us. */
		natsConnection_FlushTimeout(b->nc, FLUSH_TIMEOUT_MS);
		break;
	case NATS_BUS_FLUSH_ASAP:	/* every publish wrote already */
	case NATS_BUS_FLUSH_LIBRARY:	/* nats.c's flusher will */
		break;
	}
}

void nats_pub_refresh_info(struct nats_bus *b)
{
	struct nats_conn_info ci = { 0 };
	natsStatistics *st = NULL;

	ci.status = natsConnection_Status(b->nc);
	if (natsConnection_GetConnectedUrl(b->nc, ci.url, sizeof(ci.url)) != NATS_OK)
		ci.url[0] = '\0';
	if (natsConnection_GetConnectedServerId(b->nc, ci.server_id, sizeof(ci.server_id)) != NATS_OK)
		ci.server_id[0] = '\0';
	ci.buffered = natsConnection_Buffered(b->nc);
	if (natsStatistics_Create(&st) == NATS_OK && natsConnection_GetStats(b->nc, st) == NATS_OK)
		natsStatistics_GetCounts(st, &ci.in_msgs, &ci.in_bytes, &ci.out_msgs, &ci.out_bytes,
					 &ci.reconnects);
	natsStatistics_Destroy(st);
	ci.at_ms = nats_now_ms();
	pthread_mutex_lock(&b->info_mu);
	b->info = ci;
	pthread_mutex_unlock(&b->info_mu);
}

/* nats.c drops a subscription's messages beyond its pending limits but reports only the
 * first of a run (NATS_SLOW_CONSUMER to the error handler): count them all from its
 * per-subscription totals. A closed subscription keeps its last total. */
static void count_slow_drops(struct nats_bus *b)
{
	struct nats_sub *s;
	int64_t d, sum;

	if (natsSubscription_GetDropped(b->inbox_sub, &d) == NATS_OK)
		b->inbox_dropped = d;
	sum = b->inbox_dropped;
	for (s = b->pub_subs; s; s = s->pub_next) {
		if (natsSubscription_GetDropped(s->sub, &d) == NATS_OK)
			s->dropped = d;
		sum += s->dropped;
	}
	atomic_store(&b->actr[NATS_ACTR_RX_SLOW_CONSUMER], (uint64_t)sum);
}

static void wait_ms(struct nats_txq *q, int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	q->waiting = true;
	pthread_cond_timedwait(&q->cond, &q->mu, &ts);
	q->waiting = false;
}

static void *pub_main(void *arg)
{
	struct nats_bus *b = arg;
	struct nats_txq *q = &b->txq;
	int64_t next_info = 0;
	bool retry = false;	/* nats.c refused the last record: wait for a kick or a while */

	for (;;) {
		uint64_t head, tail;
		unsigned int n = 0;
		size_t data_bytes = 0;
		bool stop, dirty = false;
		int64_t now;

		pthread_mutex_lock(&q->mu);
		if (!q->stop && !q->kick) {
			if (retry)
				wait_ms(q, RETRY_MS);
			else if (q->head == q->tail || !atomic_load(&b->up))
				wait_ms(q, INFO_EVERY_MS);
		}
		q->kick = false;
		stop = q->stop;
		head = q->head;
		tail = q->tail;
		pthread_mutex_unlock(&q->mu);
		retry = false;

		now = nats_now_ms();
		if (now >= next_info) {
			nats_pub_refresh_info(b);
			count_slow_drops(b);
			next_info = now + INFO_EVERY_MS;
		}

		while (atomic_load(&b->up) && head != tail && !retry) {
			size_t pos = head % q->cap;
			const struct nats_rec *r = (const struct nats_rec *)(q->ring + pos);

			if (q->cap - pos < sizeof(*r)) {	/* implicit padding */
				head += q->cap - pos;
				continue;
			}
			if (r->kind == NATS_REC_PAD) {
				head += r->len;
				continue;
			}
			if (send_rec(b, r)) {
				retry = true;
				break;
			}
			dirty = true;
			head += r->len;
			n++;
			data_bytes += r->subj_len + r->reply_len + r->hdr_len + r->data_len;
			if (n == BATCH_MAX || head == tail) {
				pthread_mutex_lock(&q->mu);
				q->head = head;
				q->msgs -= n;
				q->data_bytes -= data_bytes;
				tail = q->tail;	/* and what came meanwhile */
				pthread_mutex_unlock(&q->mu);
				n = 0;
				data_bytes = 0;
			}
		}
		if (n || head != q->head) {	/* stopped early, or padding only */
			pthread_mutex_lock(&q->mu);
			q->head = head;
			q->msgs -= n;
			q->data_bytes -= data_bytes;
			pthread_mutex_unlock(&q->mu);
		}
		if (dirty)
			flush(b);
		if (stop) {
			bool empty;

			pthread_mutex_lock(&q->mu);
			empty = q->head == q->tail;
			pthread_mutex_unlock(&q->mu);
			if (empty || nats_now_ms() >= q->stop_deadline)
				break;
			if (!atomic_load(&b->up) || retry) {
				/* wait for a reconnection until the deadline, not beyond */
				pthread_mutex_lock(&q->mu);
				wait_ms(q, RETRY_MS);
				pthread_mutex_unlock(&q->mu);
				retry = false;
			}
		}
	}
	return NULL;
}

int nats_pub_start(struct nats_bus *b)
{
	int rc = pthread_create(&b->pub_thread, NULL, pub_main, b);

	if (rc)
		return -rc;
	b->pub_started = true;
	return 0;
}

void nats_pub_kick(struct nats_bus *b)
{
	pthread_mutex_lock(&b->txq.mu);
	b->txq.kick = true;
	pthread_cond_signal(&b->txq.cond);
	pthread_mutex_unlock(&b->txq.mu);
}

void nats_pub_stop(struct nats_bus *b, int64_t deadline_ms)
{
	if (!b->pub_started)
		return;
	pthread_mutex_lock(&b->txq.mu);
	b->txq.stop = true;
	b->txq.stop_deadline = deadline_ms;
	pthread_cond_signal(&b->txq.cond);
	pthread_mutex_unlock(&b->txq.mu);
	pthread_join(b->pub_thread, NULL);
	b->pub_started = false;
}
