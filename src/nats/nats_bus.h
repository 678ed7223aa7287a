/*
 * nats_bus: the gateway's NATS connection (nats.c 3.4.1) as the main thread's select loop
 * sees it. Publishes, requests and responses are queued without blocking and written by the
 * adapter's own publisher thread; subscription messages, replies, JetStream answers and
 * connection changes come back through ops, called from osmo_select_main(). A leaf: nothing
 * in the SS7 stack includes it, and nats.c's types stay inside src/nats.
 *
 * Threading: every function here is for the main thread only (the one running
 * osmo_select_main()), and every ops callback is called on it. No function blocks on the
 * network except nats_bus_open() and nats_bus_close() (bounded, for start and stop) and the
 * *_sync calls of nats_kv.h. Errors are negative errno.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nats_bus;
struct rate_ctr_group;
struct osmo_stat_item_group;
struct vty;

#define NATS_BUS_MAX_SERVERS	8
#define NATS_BUS_MAX_QGROUPS	8
#define NATS_BUS_PATH_LEN	256	/* URLs, file names, tokens */

/* A queue group by role: the core asks for the group of "requests" (or of a role it adds
 * with nats_bus_cfg_set_qgroup()), the configuration may rename it. */
struct nats_bus_qgroup {
	char role[32];
	char group[64];
};

/* How the publisher thread gets what it handed to nats.c onto the socket. Only
 * NATS_BUS_FLUSH_BATCH is for production; the others are kept so the choice can be measured
 * again (tests/bench/bench_nats.c). Not in the VTY. */
enum nats_bus_flush {
	NATS_BUS_FLUSH_BATCH,	/* one PING-flush (natsConnection_FlushTimeout) per batch */
	NATS_BUS_FLUSH_ASAP,	/* natsOptions_SetSendAsap: one write() per message */
	NATS_BUS_FLUSH_LIBRARY,	/* nats.c's flusher thread (up to 1 ms later) */
};

/* The "nats" configuration node (nats_vty.c). nats_bus_cfg_init() gives the defaults. */
struct nats_bus_cfg {
	bool configured;		/* a "nats" section was read: the gateway runs on NATS */
	unsigned int n_servers;		/* 0: nats://127.0.0.1:4222 */
	char servers[NATS_BUS_MAX_SERVERS][NATS_BUS_PATH_LEN];
	char name[64];			/* connection name the server shows */
	/* authentication: at most one of user/password, token, credentials, nkey */
	char user[64];
	char password[128];
	char token[NATS_BUS_PATH_LEN];
	char creds_file[NATS_BUS_PATH_LEN];	/* natsOptions_SetUserCredentialsFromFiles */
	char nkey_pub[64];		/* natsOptions_SetNKeyFromSeed: public key and seed file */
	char nkey_seed_file[NATS_BUS_PATH_LEN];
	struct {
		bool enable;		/* also implied by tls:// URLs */
		char ca_file[NATS_BUS_PATH_LEN];
		char cert_file[NATS_BUS_PATH_LEN];
		char key_file[NATS_BUS_PATH_LEN];
		char hostname[128];	/* expected in the server certificate (SNI, verify) */
		char ciphers[NATS_BUS_PATH_LEN];	/* OpenSSL cipher list (TLS 1.2) */
		bool skip_verify;
	} tls;
	char subject_prefix[64];	/* "ss7": the core's subjects start with it */
	unsigned int n_qgroups;
	struct nats_bus_qgroup qgroups[NATS_BUS_MAX_QGROUPS];	/* "requests" -> "ss7gw" */
	/* main thread -> publisher thread: beyond these, publishes are refused (-ENOBUFS) */
	unsigned int pub_max_msgs;
	size_t pub_max_bytes;
	/* nats.c threads -> main thread: beyond these, incoming messages are dropped */
	unsigned int in_max_msgs;
	size_t in_max_bytes;
	unsigned int reconnect_wait_ms;
	int max_reconnect;		/* -1: forever */
	size_t reconnect_buf;		/* nats.c's own buffer while it reconnects, bytes */
	unsigned int connect_timeout_ms;	/* also the longest a write to the server may block */
	unsigned int ping_interval_ms;
	unsigned int max_pings_out;	/* unanswered PINGs before the connection is called dead */
	enum nats_bus_flush flush;
};

/* One NATS header of a published message. */
struct nats_hdr {
	const char *key;
	const char *value;
};

/* Called on the main thread from the select loop. msg, reply and conn_state are needed;
 * kv_ack and kv_value when nats_kv.h is used. Data is valid for the call only. */
struct nats_bus_ops {
	/* A message on a subscription made with nats_bus_subscribe(); reply may be NULL.
	 * nats_bus_msg_header() reads its headers during the call. */
	void (*msg)(void *priv, unsigned int sub_tag, const char *subject, const char *reply,
		    const char *data, size_t len);
	/* The answer to nats_bus_request(token): status 0 with data, or -EHOSTUNREACH when
	 * nobody listens on the subject ("no responders"). At most one call per request. */
	void (*reply)(void *priv, uint64_t token, int status, const char *data, size_t len);
	/* Connected again (up) or lost (down; nats.c reconnects by itself, see the cfg). */
	void (*conn_state)(void *priv, bool up);
	/* nats_kv_put()/nats_kv_delete() answered; see nats_kv.h */
	void (*kv_ack)(void *priv, uint64_t token, int status, uint64_t rev);
	/* nats_kv_get() answered; see nats_kv.h */
	void (*kv_value)(void *priv, uint64_t token, int status, const void *data, size_t len,
			 uint64_t rev);
};

enum nats_bus_ctr {
	NATS_BUS_CTR_PUB_QUEUED,	/* accepted by nats_bus_publish/request/respond */
	NATS_BUS_CTR_PUB_SENT,		/* handed to nats.c by the publisher thread */
	NATS_BUS_CTR_PUB_DROP_FULL,	/* refused: publish buffer full (-ENOBUFS) */
	NATS_BUS_CTR_PUB_ERRORS,	/* refused by nats.c (too large for the server, ...) */
	NATS_BUS_CTR_RX_MSGS,		/* subscription messages delivered to ops->msg */
	NATS_BUS_CTR_RX_DROP_FULL,	/* dropped: incoming queue full */
	NATS_BUS_CTR_RX_SLOW_CONSUMER,	/* dropped by nats.c: a subscription's pending limit (per message) */
	NATS_BUS_CTR_REQUESTS,
	NATS_BUS_CTR_REQ_NOTCONN,	/* refused at once: not connected (-ENOTCONN) */
	NATS_BUS_CTR_REPLIES,
	NATS_BUS_CTR_NO_RESPONDERS,
	NATS_BUS_CTR_DISCONNECTS,
	NATS_BUS_CTR_RECONNECTS,
	NATS_BUS_CTR_ASYNC_ERRORS,	/* errors nats.c reported asynchronously */
	NATS_BUS_CTR_SUB_ERRORS,	/* subscriptions nats.c refused */
	NATS_BUS_CTR_FLUSHES,		/* batches written by the publisher thread */
};

enum nats_bus_stat {
	NATS_BUS_STAT_PUB_BUFFERED_MSGS,	/* in the publish buffer now */
	NATS_BUS_STAT_PUB_BUFFERED_BYTES,
	NATS_BUS_STAT_IN_QUEUED_MSGS,		/* waiting for the main thread now */
};

/* Defaults: 127.0.0.1:4222, prefix "ss7", queue group "requests" -> "ss7gw", publish
 * buffer 100000 messages / 32 MiB, incoming 20000 / 16 MiB, reconnect every 250 ms forever,
 * nats.c reconnect buffer 8 MiB, connect timeout 2 s, ping every 10 s, 3 pings out. */
void nats_bus_cfg_init(struct nats_bus_cfg *cfg);
/* Add a role or change its group. -ENOSPC when the table is full, -EINVAL for bad names. */
int nats_bus_cfg_set_qgroup(struct nats_bus_cfg *cfg, const char *role, const char *group);
/* The group of a role, NULL if the role is unknown. */
const char *nats_bus_cfg_qgroup(const struct nats_bus_cfg *cfg, const char *role);

/* Connect (waits at most about connect_timeout_ms per server). On failure: NULL and one line
 * in err saying what and what to do, e.g. "cannot reach nats-server at
 * nats://127.0.0.1:4222 (connection refused): start nats-server or fix the 'nats' servers".
 * The configuration is copied. ops and priv are kept. */
struct nats_bus *nats_bus_open(void *ctx, const struct nats_bus_cfg *cfg,
			       const struct nats_bus_ops *ops, void *priv, char *err, size_t errsz);
/* Write out what is queued (waiting at most flush_timeout_ms for it), drain the
 * subscriptions, close the connection and free everything. No ops callback is called
 * during or after it. NULL is a no-op. Not from inside an ops callback (the dispatch loop
 * would go on with the freed bus): schedule it, e.g. with a zero osmo_timer. */
void nats_bus_close(struct nats_bus *b, int flush_timeout_ms);
/* Once at process exit, after the last nats_bus_close(): nats.c's global state (threads,
 * memory) goes, so LeakSanitizer sees nothing of it. */
void nats_bus_lib_exit(void);

/* Subscribe (queued like a publish, so it never waits for nats.c); messages come to
 * ops->msg with sub_tag. queue_group NULL: every subscriber gets every message. Returns 0,
 * -EINVAL (bad subject or group), -ENOBUFS. A subscription lasts as long as the bus. */
int nats_bus_subscribe(struct nats_bus *b, const char *subject, const char *queue_group,
		       unsigned int sub_tag);

/* End the subscriptions made with sub_tag (queued like a publish): the server sends no
 * more; messages already received are still delivered. 0, -ENOENT (none), -ENOBUFS. */
int nats_bus_unsubscribe(struct nats_bus *b, unsigned int sub_tag);

/* Queue a message. Returns 0 (queued), -ENOBUFS (publish buffer full: counted as dropped),
 * -EINVAL (bad subject or header), -EMSGSIZE (beyond the server's max_payload). While the
 * server is away messages stay queued within the bound and go out after the reconnection. */
int nats_bus_publish(struct nats_bus *b, const char *subject, const struct nats_hdr *hdrs,
		     unsigned int n_hdrs, const char *data, size_t len);
/* Queue a request whose reply comes to this bus's inbox (one wildcard subscription,
 * <inbox>.R<token>) and then to ops->reply with token; "no responders" too. Timeouts are
 * the caller's (it owns the timers); a late reply after one is still delivered, so the
 * caller drops tokens it no longer knows. Returns 0, -ENOTCONN (not connected now: apply
 * the default at once), -ENOBUFS, -EINVAL, -EMSGSIZE. */
int nats_bus_request(struct nats_bus *b, const char *subject, const char *data, size_t len,
		     uint64_t token);
/* Answer a request received through ops->msg (its reply subject). As nats_bus_publish. */
int nats_bus_respond(struct nats_bus *b, const char *reply_subject, const char *data, size_t len);

/* During ops->msg only: the value of a header of the message being delivered, or NULL. */
const char *nats_bus_msg_header(struct nats_bus *b, const char *key);

bool nats_bus_connected(const struct nats_bus *b);
const char *nats_bus_inbox(const struct nats_bus *b);
const char *nats_bus_subject_prefix(const struct nats_bus *b);
/* The group configured for a role ("requests"), NULL if the role is unknown. */
const char *nats_bus_qgroup(const struct nats_bus *b, const char *role);
const struct nats_bus_cfg *nats_bus_get_cfg(const struct nats_bus *b);
struct rate_ctr_group *nats_bus_ctrs(struct nats_bus *b);
struct osmo_stat_item_group *nats_bus_stats(struct nats_bus *b);

/* "show nats": connection state, server URL and id, buffers, counters. */
void nats_bus_vty_show(struct vty *vty, struct nats_bus *b);

/* Logging category of the adapter's lines (default DLGLOBAL); NATS_BUS_LOG_CAT can be
 * the entry of the application's category table. Lines are written on the main thread. */
void nats_bus_set_log_subsys(int subsys);
#define NATS_BUS_LOG_CAT { .name = "DNATS", .description = "NATS adapter", \
			   .enabled = 1, .loglevel = LOGL_NOTICE }

/* The "nats" VTY node (nats_vty.c), editing *cfg, and "show nats" for the bus given to
 * nats_vty_set_bus() (NULL: none). Call after vty_init(). */
void nats_vty_init(void *ctx, struct nats_bus_cfg *cfg);
void nats_vty_set_bus(struct nats_bus *b);
/* Lines that a user of the adapter adds to the "nats" and "kv" sections (its commands
 * installed in SS7GW_NATS_NODE / SS7GW_KV_NODE), written after the adapter's own. */
void nats_vty_set_cfg_writers(int (*nats)(struct vty *vty), int (*kv)(struct vty *vty));
/* The "nats" section of cfg as a configuration file writes it. */
int nats_vty_write_cfg(struct vty *vty, const struct nats_bus_cfg *cfg);
