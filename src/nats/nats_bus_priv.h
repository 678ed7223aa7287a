/*
 * Inside the NATS adapter: the two queues between the main thread and nats.c's threads,
 * the bus object, and what nats_kv.c and nats_vty.c need of it. Not for outside src/nats.
 */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <nats/nats.h>
#include <osmocom/core/linuxlist.h>
#include <osmocom/core/select.h>
#include <osmocom/core/timer.h>

#include "nats_bus.h"

extern int nats_log_ss;
#define LOGNATS(lvl, fmt, args...) LOGP(nats_log_ss, lvl, "nats: " fmt, ## args)

/* --- what the main thread keeps for nats.c (nats_queue.c) --------------------------------
 * A byte ring of records, bounded in records and bytes, used by the main thread only: it
 * holds what nats.c cannot take yet (the connection is down or its write buffer is at the
 * bound), in order, until nats_loop.c hands it over. */
enum nats_rec_kind {
	NATS_REC_PAD,		/* rest of the ring up to its end is unused */
	NATS_REC_PUB,		/* subject, reply (may be empty), headers, data */
	NATS_REC_SUB,		/* subject, queue group in the reply's place, struct nats_sub * */
	NATS_REC_UNSUB,		/* struct nats_sub * (subject unused) */
};

struct nats_rec {
	uint32_t len;		/* the whole record, a multiple of 8 */
	uint8_t kind;
	uint8_t n_hdrs;
	uint16_t subj_len;	/* the strings are NUL-terminated after the header */
	uint16_t reply_len;	/* 0: no reply subject */
	uint16_t hdr_len;	/* key\0value\0 ... */
	uint32_t data_len;
	uint32_t unused;
	/* subject\0 [reply\0] [headers] data */
};

struct nats_txq {
	uint8_t *ring;
	size_t cap;		/* a multiple of 8 */
	uint64_t head, tail;	/* byte offsets, never wrapped: position is offset % cap */
	unsigned int msgs;	/* records between head and tail (PAD excluded) */
	size_t data_bytes;	/* their subject, headers and data */
	unsigned int max_msgs;
};

int nats_txq_init(struct nats_txq *q, unsigned int max_msgs, size_t max_bytes);
void nats_txq_fini(struct nats_txq *q);
/* Append a record; 0 or -ENOBUFS. reply may be NULL. */
int nats_txq_put(struct nats_txq *q, enum nats_rec_kind kind, const char *subj,
		 const char *reply, const struct nats_hdr *hdrs, unsigned int n_hdrs,
		 const void *data, size_t len);
/* The oldest record, or NULL when the ring is empty; nats_txq_pop() removes it. */
const struct nats_rec *nats_txq_first(struct nats_txq *q);
void nats_txq_pop(struct nats_txq *q, const struct nats_rec *r);
static inline const char *nats_rec_subj(const struct nats_rec *r) { return (const char *)(r + 1); }
static inline const char *nats_rec_reply(const struct nats_rec *r)
{
	return r->reply_len ? nats_rec_subj(r) + r->subj_len + 1 : NULL;
}
static inline const char *nats_rec_hdrs(const struct nats_rec *r)
{
	return nats_rec_subj(r) + r->subj_len + 1 + (r->reply_len ? r->reply_len + 1 : 0);
}
static inline const char *nats_rec_data(const struct nats_rec *r) { return nats_rec_hdrs(r) + r->hdr_len; }

/* --- nats.c threads -> main thread (nats_bus.c) ----------------------------------------
 * Events in a bounded ring under a mutex; an eventfd, registered as an osmo_fd, wakes the
 * select loop when the ring stops being empty. */
enum nats_ev_kind {
	NATS_EV_MSG,		/* on a subscription: tag */
	NATS_EV_INBOX,		/* on the bus's inbox: a reply or a JetStream answer */
	NATS_EV_CONN,		/* status 1 reconnected, 0 disconnected, -1 closed */
	NATS_EV_ERR,		/* nats.c's asynchronous error: status, tag of the subscription */
	NATS_EV_SUB_FAILED,	/* nats.c refused a subscription: status, tag */
};

struct nats_ev {
	uint8_t kind;
	int32_t status;
	uint32_t tag;
	natsMsg *msg;
};

struct nats_rxq {
	pthread_mutex_t mu;
	struct nats_ev *ring;
	unsigned int cap;	/* max_msgs plus room kept for connection events */
	unsigned int head, n;
	unsigned int max_msgs;
	size_t bytes, max_bytes;
	int efd;
	bool signalled;		/* the eventfd holds a wake-up the main thread has not taken */
};

int nats_rxq_init(struct nats_rxq *q, unsigned int max_msgs, size_t max_bytes);
void nats_rxq_fini(struct nats_rxq *q);
/* Any thread. must: a connection event, never dropped (uses the reserve). 0 or -ENOBUFS. */
int nats_rxq_push(struct nats_rxq *q, const struct nats_ev *ev, bool must);
/* Any thread: wake the main thread with no event (nats_loop.c's socket state changed). */
void nats_rxq_wake(struct nats_rxq *q);
/* Main thread: take up to max events; leaves the eventfd signalled if more wait. */
unsigned int nats_rxq_take(struct nats_rxq *q, struct nats_ev *out, unsigned int max);

/* --- the bus ------------------------------------------------------------------------ */

/* counts kept by threads other than the main thread, folded into the rate_ctr group there */
enum nats_bus_actr {
	NATS_ACTR_PUB_SENT,
	NATS_ACTR_PUB_ERRORS,
	NATS_ACTR_RX_DROP_FULL,
	NATS_ACTR_RX_SLOW_CONSUMER,
	NATS_ACTR_ASYNC_ERRORS,
	NATS_ACTR_WRITES,
	NATS_ACTR_NUM
};

struct nats_sub {
	struct llist_head list;
	struct nats_bus *b;
	unsigned int tag;
	bool gone;		/* nats_bus_unsubscribe() asked for its end */
	natsSubscription *sub;	/* once nats.c took it */
	int64_t dropped;	/* nats.c's count of what it dropped (slow consumer) */
};

/* What "show nats" reports of the connection, refreshed once a second while the
 * connection is up (nats.c's calls take the connection's lock, which its reconnecting
 * thread holds while it connects: the main thread does not wait for it). */
struct nats_conn_info {
	char url[NATS_BUS_PATH_LEN];
	char server_id[64];
	natsConnStatus status;
	int buffered;		/* bytes in nats.c's write or reconnect buffer */
	uint64_t in_msgs, in_bytes, out_msgs, out_bytes, reconnects;
	int64_t at_ms;
};

struct nats_bus {
	struct nats_bus_cfg cfg;
	const struct nats_bus_ops *ops;
	void *priv;
	natsOptions *opts;
	natsConnection *nc;
	char inbox[64];
	size_t inbox_len;
	natsSubscription *inbox_sub;
	int64_t max_payload;
	struct llist_head subs;
	atomic_int live_subs;		/* nats.c subscriptions whose on-complete has not run */

	/* nats.c runs on the select loop (nats_loop.c): its socket is sock_ofd, polled as
	 * nats.c asks through its event-loop callbacks, which may come from its other
	 * threads (ping timer, reconnection): they record the wish under el_mu and wake the
	 * main thread, which alone touches sock_ofd. */
	pthread_t main_thread;
	pthread_mutex_t el_mu;
	int el_fd;			/* nats.c's socket, -1 when detached */
	bool el_read, el_write;		/* what nats.c asks to be polled for */
	atomic_bool el_dirty;		/* changed by another thread: main must look */
	struct osmo_fd sock_ofd;
	/* Main thread: nats.c takes messages now (attached and polled). False from the
	 * moment nats.c stops polling for a reconnection: what comes then waits in txq. */
	atomic_bool live;
	size_t handed;			/* bytes given to nats.c since its buffer was last empty */
	int64_t write_since_ms;		/* waiting to write since, or last written to the socket */
	struct nats_txq txq;
	int64_t inbox_dropped;

	struct nats_rxq rxq;
	struct osmo_fd rx_ofd;

	atomic_bool up;			/* nats.c's view, set by its callbacks */
	bool up_reported;		/* what ops->conn_state said last */
	atomic_uint_fast64_t actr[NATS_ACTR_NUM];
	uint64_t actr_folded[NATS_ACTR_NUM];
	struct rate_ctr_group *ctrs;
	struct osmo_stat_item_group *stats;
	struct osmo_timer_list fold_timer;

	pthread_mutex_t info_mu;
	struct nats_conn_info info;
	bool closed;			/* nats.c's closed callback ran */
	pthread_cond_t closed_cond;

	natsMsg *cur_msg;		/* during ops->msg */
	struct nats_kv *kv;
	uint64_t kv_seq;		/* where the next bucket's sequence numbers start */
	bool closing;
};

/* Queue a message with any reply subject (the KV's own answers): as nats_bus_publish. */
int nats_bus_send(struct nats_bus *b, const char *subject, const char *reply,
		  const struct nats_hdr *hdrs, unsigned int n_hdrs, const void *data, size_t len);
/* Subjects: no blanks, no empty tokens; wildcards only where allowed. */
bool nats_subject_ok(const char *s, bool wildcards);
/* Fold the other threads' counts into the rate counters and stat items. */
void nats_bus_fold_ctrs(struct nats_bus *b);
/* nats.c's status and last error as one short text, for the log and for err lines. */
const char *nats_status_text(natsStatus s, char *buf, size_t size);
int64_t nats_now_ms(void);

/* nats.c's callbacks for our subscriptions (nats_bus.c): to the incoming queue */
void nats_bus_sub_cb(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure);
void nats_bus_sub_complete_cb(void *closure);

/* nats.c on the select loop (nats_loop.c) */
natsStatus nats_loop_set_options(struct nats_bus *b);
/* Publish, subscribe or unsubscribe in order with what waits in txq: at once when nats.c
 * takes it, else queued. 0, -ENOBUFS (queue full) or -EIO (refused by nats.c). */
int nats_loop_out(struct nats_bus *b, enum nats_rec_kind kind, const char *subj, const char *reply,
		  const struct nats_hdr *hdrs, unsigned int n_hdrs, const void *data, size_t len);
/* Main thread, after another thread changed the socket's state: follow it. */
void nats_loop_sync(struct nats_bus *b);
/* Hand what waits in txq over to nats.c, as far as it takes it. */
void nats_loop_drain_txq(struct nats_bus *b);
/* Run fn(arg) on a thread of its own while this thread serves nats.c's socket, for nats.c's
 * blocking calls (JetStream management, flushes): they wait for answers that only the loop
 * reads. Only where the select loop is not running, or from a VTY command. */
int nats_loop_call(struct nats_bus *b, int (*fn)(void *arg), void *arg);
/* Serve nats.c's socket for up to timeout_ms (one poll). */
void nats_loop_pump(struct nats_bus *b, int timeout_ms);
/* Write out what nats.c holds, waiting at most until deadline_ms for the server's PONG. */
bool nats_loop_flush(struct nats_bus *b, int64_t deadline_ms);
void nats_loop_refresh_info(struct nats_bus *b);
/* Once a second: a server that has taken nothing for connect_timeout_ms is given up. */
void nats_loop_check_stall(struct nats_bus *b);
void nats_loop_fini(struct nats_bus *b);

/* the KV (nats_kv.c), called by the bus on the main thread */
void nats_kv_on_answer(struct nats_kv *kv, uint64_t seq, natsMsg *m);
void nats_kv_on_close(struct nats_kv *kv);
