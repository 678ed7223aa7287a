/*
 * nats.c on the select loop: the connection's socket is an osmo_fd of the main thread, as
 * libosmo-sigtran's are, through nats.c's external event-loop interface
 * (natsOptions_SetEventLoop). A publish appends to nats.c's buffer and asks for the socket
 * to be polled for writing; the next turn of the loop writes everything the turn produced
 * in one write(). What the server sends is read and parsed by the main thread too.
 *
 * Why (tests/bench/bench_service.py, 2-core VM): with nats.c's own reader and flusher
 * threads plus a publisher thread of ours, each dialogue cost the gateway 2.6 context
 * switches at saturation, a third of its CPU in the kernel's scheduler, and it used 2.8x
 * the CPU osmo-stp needs to relay the same two messages. Every hand-over between threads
 * was a futex wake-up, with one or two messages each.
 *
 * What stays on other threads, and how it comes back:
 *  - subscriptions' messages are delivered by nats.c's one delivery thread (a synchronous
 *    subscription would lose which request a "no responders" status answers), and reach
 *    the main thread through the incoming queue (nats_bus.c);
 *  - nats.c's ping timer, its reconnecting thread and its connection callbacks may call
 *    the event-loop callbacks below: they only record what nats.c asks for, under el_mu,
 *    and wake the main thread, which alone touches sock_ofd.
 *
 * nats.c's calls take the connection's lock, and its reconnecting thread holds that lock
 * while it connects (a TCP connect with the connect timeout). So the main thread hands
 * nothing to nats.c unless the socket is attached and polled ("live"), which nats.c ends
 * with its read-remove callback, under that lock, before it starts to reconnect. Meanwhile
 * messages wait in txq, bounded, and go out in order when the connection is back. nats.c's
 * buffer grows as it is given data: what was given since it was last written out whole is
 * bounded by pub_max_bytes too, beyond which messages wait in txq.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <sys/socket.h>
#include <string.h>
#include <time.h>

#include <osmocom/core/logging.h>

#include "nats_bus_priv.h"

enum {
	CALL_POLL_MS = 1,	/* nats_loop_call(): how often the waiting thread looks */
};

int64_t nats_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool on_main(const struct nats_bus *b)
{
	return pthread_equal(pthread_self(), b->main_thread);
}

/* --- nats.c's event-loop callbacks: any thread, nats.c's connection lock held --------- */

static void changed(struct nats_bus *b)
{
	if (on_main(b)) {
		nats_loop_sync(b);
	} else {
		atomic_store(&b->el_dirty, true);
		nats_rxq_wake(&b->rxq);
	}
}

static natsStatus ev_attach(void **user, void *loop, natsConnection *nc, natsSock fd)
{
	struct nats_bus *b = loop;

	(void)nc;
	*user = b;
	pthread_mutex_lock(&b->el_mu);
	b->el_fd = fd;
	b->el_read = true;
	b->el_write = false;
	pthread_mutex_unlock(&b->el_mu);
	changed(b);
	return NATS_OK;
}

static natsStatus ev_read(void *user, bool add)
{
	struct nats_bus *b = user;

	pthread_mutex_lock(&b->el_mu);
	b->el_read = add;
	if (!add)	/* nats.c is about to reconnect or close: give it nothing more */
		atomic_store(&b->live, false);
	pthread_mutex_unlock(&b->el_mu);
	changed(b);
	return NATS_OK;
}

static natsStatus ev_write(void *user, bool add)
{
	struct nats_bus *b = user;

	if (on_main(b)) {
		/* the common case, once per turn of the loop that published: no lock needed
		 * for sock_ofd, el_write is for nats_loop_sync's view */
		pthread_mutex_lock(&b->el_mu);
		b->el_write = add;
		pthread_mutex_unlock(&b->el_mu);
		if (osmo_fd_is_registered(&b->sock_ofd)) {
			if (add && !(b->sock_ofd.when & OSMO_FD_WRITE))
				b->write_since_ms = nats_now_ms();
			if (add)
				osmo_fd_write_enable(&b->sock_ofd);
			else
				osmo_fd_write_disable(&b->sock_ofd);
		}
		if (!add)
			b->handed = 0;	/* all of nats.c's buffer was written */
		return NATS_OK;
	}
	pthread_mutex_lock(&b->el_mu);
	b->el_write = add;
	pthread_mutex_unlock(&b->el_mu);
	changed(b);
	return NATS_OK;
}

static natsStatus ev_detach(void *user)
{
	struct nats_bus *b = user;

	pthread_mutex_lock(&b->el_mu);
	b->el_fd = -1;
	b->el_read = b->el_write = false;
	atomic_store(&b->live, false);
	pthread_mutex_unlock(&b->el_mu);
	changed(b);
	return NATS_OK;
}

natsStatus nats_loop_set_options(struct nats_bus *b)
{
	natsStatus s = natsOptions_SetEventLoop(b->opts, b, ev_attach, ev_read, ev_write, ev_detach);

	/* on an event loop, "send asap" means: ask for the socket to be polled for writing
	 * now (the write itself is the loop's next turn), rather than wake a flusher thread */
	if (s == NATS_OK)
		s = natsOptions_SetSendAsap(b->opts, true);
	return s;
}

/* --- the main thread's side ------------------------------------------------------------ */

static int sock_cb(struct osmo_fd *ofd, unsigned int what)
{
	struct nats_bus *b = ofd->data;

	if (what & OSMO_FD_READ)
		natsConnection_ProcessReadEvent(b->nc);
	/* the read may have ended the connection, and unregistered us */
	if ((what & OSMO_FD_WRITE) && osmo_fd_is_registered(ofd) && (ofd->when & OSMO_FD_WRITE)) {
		atomic_fetch_add(&b->actr[NATS_ACTR_WRITES], 1);
		b->write_since_ms = nats_now_ms();	/* the socket took something */
		natsConnection_ProcessWriteEvent(b->nc);
	}
	if (b->txq.msgs)
		nats_loop_drain_txq(b);
	return 0;
}

void nats_loop_sync(struct nats_bus *b)
{
	struct osmo_fd *ofd = &b->sock_ofd;
	bool reg = osmo_fd_is_registered(ofd), want;
	int fd;

	atomic_store(&b->el_dirty, false);
	pthread_mutex_lock(&b->el_mu);
	fd = b->el_fd;
	want = fd >= 0 && b->el_read;
	if (reg && (!want || ofd->fd != fd)) {
		osmo_fd_unregister(ofd);
		reg = false;
	}
	if (want && !reg) {
		osmo_fd_setup(ofd, fd, OSMO_FD_READ, sock_cb, b, 0);
		reg = osmo_fd_register(ofd) == 0;
		if (!reg)
			LOGNATS(LOGL_ERROR, "cannot poll nats.c's socket %d\n", fd);
	}
	if (reg) {
		if (b->el_write && !(ofd->when & OSMO_FD_WRITE))
			b->write_since_ms = nats_now_ms();
		ofd->when = OSMO_FD_READ | (b->el_write ? OSMO_FD_WRITE : 0);
	}
	/* Newly attached (connected or reconnected): a new buffer. What waits goes at the next
	 * turn, from sock_cb or the incoming queue's callback, outside nats.c's callbacks.
	 * Under el_mu, so that a stop from another thread is never overwritten. */
	if (reg && !atomic_load(&b->live))
		b->handed = 0;
	atomic_store(&b->live, reg);
	pthread_mutex_unlock(&b->el_mu);
}

/* Give one message, subscription or unsubscription to nats.c.
 * 0: taken, or refused for good (counted); 1: not now, keep it. Headers come either as an
 * array (hdrs) or packed as in a record (packed). */
static int hand_over(struct nats_bus *b, enum nats_rec_kind kind, const char *subj, const char *reply,
		     const struct nats_hdr *hdrs, const char *packed, unsigned int n_hdrs,
		     const void *data, size_t len)
{
	struct nats_sub *ns = NULL;
	natsStatus s;

	if (kind == NATS_REC_SUB || kind == NATS_REC_UNSUB)
		memcpy(&ns, data, sizeof(ns));
	if (kind == NATS_REC_UNSUB) {
		/* the server stops sending; the completion callback counts it out */
		if (ns->sub)
			natsSubscription_Unsubscribe(ns->sub);
		return 0;
	}
	if (kind == NATS_REC_SUB) {
		atomic_fetch_add(&b->live_subs, 1);
		s = reply ? natsConnection_QueueSubscribe(&ns->sub, b->nc, subj, reply, nats_bus_sub_cb, ns)
			  : natsConnection_Subscribe(&ns->sub, b->nc, subj, nats_bus_sub_cb, ns);
		if (s == NATS_OK) {
			natsSubscription_SetPendingLimits(ns->sub, b->cfg.in_max_msgs, (int)b->cfg.in_max_bytes);
			natsSubscription_SetOnCompleteCB(ns->sub, nats_bus_sub_complete_cb, ns);
			return 0;
		}
		atomic_fetch_sub(&b->live_subs, 1);
		ns->sub = NULL;
	} else if (n_hdrs) {
		natsMsg *m = NULL;
		unsigned int i;

		s = natsMsg_Create(&m, subj, reply, data, (int)len);
		for (i = 0; s == NATS_OK && i < n_hdrs; i++) {
			if (hdrs) {
				s = natsMsgHeader_Add(m, hdrs[i].key, hdrs[i].value);
			} else {
				const char *v = packed + strlen(packed) + 1;

				s = natsMsgHeader_Add(m, packed, v);
				packed = v + strlen(v) + 1;
			}
		}
		if (s == NATS_OK)
			s = natsConnection_PublishMsg(b->nc, m);
		natsMsg_Destroy(m);
	} else if (reply) {
		s = natsConnection_PublishRequest(b->nc, subj, reply, data, (int)len);
	} else {
		s = natsConnection_Publish(b->nc, subj, data, (int)len);
	}

	switch (s) {
	case NATS_OK:
		atomic_fetch_add(&b->actr[NATS_ACTR_PUB_SENT], 1);
		b->handed += len + strlen(subj) + 32;
		return 0;
	/* the connection went away under us: keep it for after the reconnection */
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
	if (kind == NATS_REC_SUB) {
		struct nats_ev ev = { .kind = NATS_EV_SUB_FAILED, .status = s, .tag = ns->tag };

		nats_rxq_push(&b->rxq, &ev, true);
	} else {
		atomic_fetch_add(&b->actr[NATS_ACTR_PUB_ERRORS], 1);
	}
	return 0;
}

static bool takes_now(const struct nats_bus *b)
{
	return atomic_load(&b->live) && b->handed < b->cfg.pub_max_bytes;
}

int nats_loop_out(struct nats_bus *b, enum nats_rec_kind kind, const char *subj, const char *reply,
		  const struct nats_hdr *hdrs, unsigned int n_hdrs, const void *data, size_t len)
{
	if (!b->txq.msgs && takes_now(b) && !hand_over(b, kind, subj, reply, hdrs, NULL, n_hdrs, data, len))
		return 0;
	return nats_txq_put(&b->txq, kind, subj, reply, hdrs, n_hdrs, data, len);
}

void nats_loop_drain_txq(struct nats_bus *b)
{
	const struct nats_rec *r;

	while (takes_now(b) && (r = nats_txq_first(&b->txq))) {
		if (hand_over(b, r->kind, nats_rec_subj(r), nats_rec_reply(r), NULL, nats_rec_hdrs(r), r->n_hdrs,
			      nats_rec_data(r), r->data_len))
			break;
		nats_txq_pop(&b->txq, r);
	}
}

void nats_loop_pump(struct nats_bus *b, int timeout_ms)
{
	struct osmo_fd *ofd = &b->sock_ofd;
	struct pollfd p;

	if (atomic_load(&b->el_dirty))
		nats_loop_sync(b);
	if (b->txq.msgs)
		nats_loop_drain_txq(b);
	if (!osmo_fd_is_registered(ofd)) {
		struct timespec ts = { .tv_sec = timeout_ms / 1000, .tv_nsec = (timeout_ms % 1000) * 1000000L };

		nanosleep(&ts, NULL);
		return;
	}
	p.fd = ofd->fd;
	p.events = POLLIN | (ofd->when & OSMO_FD_WRITE ? POLLOUT : 0);
	p.revents = 0;
	if (poll(&p, 1, timeout_ms) > 0) {
		unsigned int what = 0;

		if (p.revents & (POLLIN | POLLHUP | POLLERR))
			what |= OSMO_FD_READ;
		if (p.revents & (POLLOUT | POLLERR))
			what |= OSMO_FD_WRITE;
		if (what)
			sock_cb(ofd, what & ofd->when);
	}
}

struct loop_call {
	int (*fn)(void *arg);
	void *arg;
	int rc;
	atomic_bool done;
};

static void *call_thread(void *arg)
{
	struct loop_call *c = arg;

	c->rc = c->fn(c->arg);
	atomic_store(&c->done, true);
	return NULL;
}

int nats_loop_call(struct nats_bus *b, int (*fn)(void *arg), void *arg)
{
	struct loop_call c = { .fn = fn, .arg = arg };
	pthread_t t;
	int rc = pthread_create(&t, NULL, call_thread, &c);

	if (rc)
		return -rc;
	while (!atomic_load(&c.done))
		nats_loop_pump(b, CALL_POLL_MS);
	pthread_join(t, NULL);
	return c.rc;
}

struct flush_call {
	struct nats_bus *b;
	int64_t timeout_ms;
};

static int flush_fn(void *arg)
{
	struct flush_call *f = arg;

	return natsConnection_FlushTimeout(f->b->nc, f->timeout_ms) == NATS_OK ? 0 : -EIO;
}

bool nats_loop_flush(struct nats_bus *b, int64_t deadline_ms)
{
	struct flush_call f = { .b = b, .timeout_ms = deadline_ms - nats_now_ms() };

	if (!atomic_load(&b->live) || f.timeout_ms <= 0)
		return false;
	return nats_loop_call(b, flush_fn, &f) == 0;
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
	llist_for_each_entry(s, &b->subs, list) {
		if (s->sub && natsSubscription_GetDropped(s->sub, &d) == NATS_OK)
			s->dropped = d;
		sum += s->dropped;
	}
	atomic_store(&b->actr[NATS_ACTR_RX_SLOW_CONSUMER], (uint64_t)sum);
}

void nats_loop_refresh_info(struct nats_bus *b)
{
	struct nats_conn_info ci = { 0 };
	natsStatistics *st = NULL;

	count_slow_drops(b);
	if (!atomic_load(&b->live)) {
		/* the reconnecting thread may hold the connection's lock: keep what we know */
		pthread_mutex_lock(&b->info_mu);
		b->info.status = NATS_CONN_STATUS_RECONNECTING;
		b->info.at_ms = nats_now_ms();
		pthread_mutex_unlock(&b->info_mu);
		return;
	}
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

void nats_loop_check_stall(struct nats_bus *b)
{
	struct osmo_fd *ofd = &b->sock_ofd;
	int64_t waited;

	if (!osmo_fd_is_registered(ofd) || !(ofd->when & OSMO_FD_WRITE))
		return;
	waited = nats_now_ms() - b->write_since_ms;
	if (waited <= (int64_t)b->cfg.connect_timeout_ms)
		return;
	/* nats.c's writes never block here, so it cannot notice a server that stopped
	 * reading until its PINGs go unanswered. End the connection as its own write deadline
	 * would: the next read sees the end, and nats.c reconnects. */
	LOGNATS(LOGL_ERROR, "nats-server has taken nothing for %" PRId64 " ms (connect-timeout %u ms): "
		"dropping the connection, nats.c reconnects\n", waited, b->cfg.connect_timeout_ms);
	/* under el_mu: nats.c stops polling (our read callback, which needs el_mu) before it
	 * closes the socket, so while el_read holds the descriptor is still its socket */
	pthread_mutex_lock(&b->el_mu);
	if (b->el_read && b->el_fd == ofd->fd) {
		atomic_store(&b->live, false);
		shutdown(ofd->fd, SHUT_RDWR);
	}
	pthread_mutex_unlock(&b->el_mu);
	b->write_since_ms = nats_now_ms();
}

void nats_loop_fini(struct nats_bus *b)
{
	if (osmo_fd_is_registered(&b->sock_ofd))
		osmo_fd_unregister(&b->sock_ofd);
}
