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

/* --- main thread -> publisher thread (nats_pub.c) -------------------------------------
 * A byte ring of records, one producer (the main thread) and one consumer (the publisher
 * thread), bounded in records and bytes. A record is written whole under the mutex by
 * the producer and read without it by the consumer, which owns [head, tail). */
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
	pthread_mutex_t mu;
	pthread_cond_t cond;
	uint8_t *ring;
	size_t cap;		/* a multiple of 8 */
	uint64_t head, tail;	/* byte offsets, never wrapped: position is offset % cap */
	unsigned int msgs;	/* records between head and tail (PAD excluded) */
	size_t data_bytes;	/* their subject, headers and data */
	unsigned int max_msgs;
	bool waiting;		/* the consumer sleeps on cond */
	bool kick;		/* wake up and look (reconnected, stop) */
	bool stop;
	int64_t stop_deadline;	/* ms, CLOCK_MONOTONIC: stop draining then */
};

int nats_txq_init(struct nats_txq *q, unsigned int max_msgs, size_t max_bytes);
void nats_txq_fini(struct nats_txq *q);
/* Append a record; 0 or -ENOBUFS. reply may be NULL. */
int nats_txq_put(struct nats_txq *q, enum nats_rec_kind kind, const char *subj,
		 const char *reply, const struct nats_hdr *hdrs, unsigned int n_hdrs,
		 const void *data, size_t len);
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
	NATS_EV_SUB_FAILED,	/* the publisher thread could not subscribe: status, tag */
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
	NATS_ACTR_FLUSHES,
	NATS_ACTR_NUM
};

struct nats_sub {
	struct llist_head list;
	struct nats_bus *b;
	unsigned int tag;
	bool gone;		/* nats_bus_unsubscribe() asked for its end (main thread) */
	natsSubscription *sub;	/* set by the publisher thread */
	/* the publisher thread's own list and count of what nats.c dropped (slow consumer) */
	struct nats_sub *pub_next;
	int64_t dropped;
};

/* What "show nats" reports of the connection, refreshed by the publisher thread (nats.c
 * calls take the connection's lock, which the main thread must never wait for). */
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

	struct nats_txq txq;
	pthread_t pub_thread;
	bool pub_started;
	struct nats_sub *pub_subs;	/* publisher thread only: the subscriptions it made */
	int64_t inbox_dropped;		/* publisher thread only */

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

/* the publisher thread (nats_pub.c) */
int nats_pub_start(struct nats_bus *b);
/* Ask it to write what is queued until deadline_ms (CLOCK_MONOTONIC), then join it. */
void nats_pub_stop(struct nats_bus *b, int64_t deadline_ms);
/* Wake it: the connection is back. Any thread. */
void nats_pub_kick(struct nats_bus *b);
void nats_pub_refresh_info(struct nats_bus *b);

/* the KV (nats_kv.c), called by the bus on the main thread */
void nats_kv_on_answer(struct nats_kv *kv, uint64_t seq, natsMsg *m);
void nats_kv_on_close(struct nats_kv *kv);
