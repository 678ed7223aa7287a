/*
 * The gateway service core (docs/nats.md): dialogue events of the SS7 stack go out to a
 * message bus on subjects with an envelope; applications' answers and requests come back
 * in. It owns the dialogues that wait for an application, their answer timers and default
 * actions, and the applications' own dialogues. It sees the bus only through gw_bus_ops:
 * NATS is one implementation (gw_nats.c), the tests' fake bus another.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gw;
struct jw;
struct tc_json;
struct tc_json_msg;
struct tcap_ctx;
struct rate_ctr_group;

/* What the core needs of a bus. Every call returns at once: 0, or a negative errno when
 * the bus cannot take the message now (-ENOTCONN, -ENOBUFS, ...). */
struct gw_bus_ops {
	int (*publish)(void *bus, const char *subject, const char *data, size_t len);
	/* Publish with a reply subject of the bus's own; the reply (or "no responders")
	 * comes back through gw_answer() with the token. */
	int (*request)(void *bus, const char *subject, const char *data, size_t len, uint64_t token);
	/* Reply to an application's request (its reply subject). */
	int (*respond)(void *bus, const char *reply_to, const char *data, size_t len);
	/* Dialogue state in a key-value store (JetStream KV), asynchronous: the outcome comes
	 * back through gw_kv_ack() with the token. expect_rev 0: whatever is there; else
	 * compare-and-set on that revision. NULL: no store, nothing is written. */
	int (*kv_put)(void *bus, const char *key, const char *data, size_t len, uint64_t expect_rev,
		      uint64_t token);
	int (*kv_delete)(void *bus, const char *key, uint64_t token);
};

/* What the gateway sends on a dialogue when the application does not answer in time,
 * has no responders, answers with something that cannot be sent, or when too many
 * dialogues wait already. */
enum gw_action_kind {
	GW_ACT_ERROR,		/* the pending invoke gets a ReturnError (error), then End */
	GW_ACT_REJECT,		/* the pending invoke gets a Reject (invoke problem), then End */
	GW_ACT_ABORT,		/* U-ABORT */
};

struct gw_action {
	enum gw_action_kind kind;
	char error[48];		/* GW_ACT_ERROR: the error's name, e.g. "systemFailure" */
};

#define GW_MAX_OP_TIMEOUTS	32

struct gw_cfg {
	char prefix[32];		/* subject prefix, default "ss7" */
	uint32_t answer_timeout_ms;	/* how long a dialogue waits for an application */
	struct {
		char op[48];		/* operation name (MAP or CAP) */
		uint32_t ms;
	} op_timeout[GW_MAX_OP_TIMEOUTS];
	unsigned int n_op_timeouts;
	struct gw_action on_timeout;	/* no answer in time, or no responders */
	struct gw_action on_bad_answer;	/* an answer that cannot be carried out */
	struct gw_action on_overload;	/* max_waiting dialogues wait already */
	unsigned int max_waiting;	/* dialogues waiting for an application */
	unsigned int max_dialogues;	/* dialogues the core keeps (all roles) */
	uint32_t kv_write_delay_ms;	/* a dialogue idle this long is written to KV */
	unsigned int kv_retries;	/* a failed write is tried again this often */
};

/* The defaults: prefix "ss7", 10 s, systemFailure on timeout and bad answers,
 * resourceLimitation beyond 10000 waiting dialogues, KV writes after 10 ms idle. */
void gw_cfg_defaults(struct gw_cfg *cfg);

/* The SS7 side the core stands on: the JSON TC-user and its TCAP entity, and the MTP
 * label of the message being received and its M3UA receive time (NULL: none in the
 * envelope, and "ts" is the time the event is written). */
struct gw_stack {
	struct tc_json *tc;
	struct tcap_ctx *tcap;
	bool (*rx_label)(void *priv, uint32_t *opc, uint32_t *dpc, uint64_t *rx_us);
	void *priv;
};

struct gw *gw_alloc(void *ctx, const struct gw_cfg *cfg, const struct gw_stack *stack,
		    const struct gw_bus_ops *bus, void *bus_priv);
void gw_free(struct gw *gw);

/* --- from the SS7 stack (route tc_json's envelope and event callbacks here) --- */
void gw_envelope(struct gw *gw, struct jw *w, const struct tc_json_msg *m);
/* A dialogue event whose envelope was just written, or a network event ({"event":"link"...}) */
void gw_event(struct gw *gw, const char *json, size_t len);

/* --- from the bus --- */
/* The answer to a request published with that token: status 0 and the reply, or a
 * negative errno (-EHOSTUNREACH: no responders). */
void gw_answer(struct gw *gw, uint64_t token, int status, const char *data, size_t len);
/* An application's request on <prefix>.request.<...> with its reply subject (may be NULL). */
void gw_request(struct gw *gw, const char *subject, const char *reply_to, const char *data, size_t len);

/* The outcome of a kv_put/kv_delete: status 0 and the key's new revision, or a negative
 * errno (-ESTALE: the revision was not the expected one) */
void gw_kv_ack(struct gw *gw, uint64_t token, int status, uint64_t rev);
/* SIGTERM: no new dialogues from here on. A network begin gets the overload default
 * action, an application's begin a refusal; open dialogues go on. */
void gw_drain(struct gw *gw);
/* Write every open dialogue now (SIGTERM: another instance continues them) */
void gw_kv_flush(struct gw *gw);
/* The stored form of one dialogue (docs/nats.md), for tests and tools; -ENOENT */
int gw_kv_state(struct gw *gw, uint32_t dialogue_id, struct jw *w);

/* --- state, for show commands, drain and tests --- */
unsigned int gw_dialogues(const struct gw *gw);
unsigned int gw_waiting(const struct gw *gw);

/* The dialogues the core keeps, for "show gateway" and the drain (walks the table). */
struct gw_dialogue_stats {
	unsigned int total;
	unsigned int by_role[3];	/* network-begun, request-begun, raw tc-json */
	unsigned int waiting;		/* for an application's answer */
	unsigned int kv_written;	/* with a state in KV */
	unsigned int kv_inflight;	/* a KV write not acknowledged yet */
	uint32_t oldest_id;		/* 0: none */
	uint64_t oldest_age_ms;
};
void gw_dialogue_stats(const struct gw *gw, struct gw_dialogue_stats *st);
uint64_t gw_now_ms(void);	/* CLOCK_MONOTONIC, milliseconds */
struct rate_ctr_group *gw_ctrs(struct gw *gw);

enum gw_ctr {
	GW_CTR_EVENTS,			/* events published */
	GW_CTR_EVENTS_DROPPED,		/* the bus refused an event */
	GW_CTR_ANSWER_REQUESTS,		/* events published as requests for an answer */
	GW_CTR_ANSWERS,			/* answers carried out */
	GW_CTR_ANSWER_TIMEOUT,		/* no answer in time: default sent */
	GW_CTR_NO_RESPONDERS,		/* nobody listens: default sent at once */
	GW_CTR_ANSWER_NOT_SENT,		/* the bus refused the request: default sent at once */
	GW_CTR_BAD_ANSWER,		/* an answer that could not be carried out: default sent */
	GW_CTR_STALE_ANSWER,		/* an answer for a dialogue no longer waiting */
	GW_CTR_OVERLOAD,		/* too many waiting: default sent, nothing published */
	GW_CTR_REQUESTS,		/* applications' requests carried out */
	GW_CTR_BAD_REQUEST,		/* refused with a reason, nothing sent */
	GW_CTR_REQUEST_FALLBACK,	/* a begin again with a lower AC version */
	GW_CTR_DEFAULT_FAILED,		/* the default action itself could not be sent: aborted */
	GW_CTR_KV_WRITES,		/* dialogue states written */
	GW_CTR_KV_DELETES,		/* written dialogues deleted at their end */
	GW_CTR_KV_COALESCED,		/* changes folded into a write already due */
	GW_CTR_KV_RETRIES,		/* writes tried again after an error */
	GW_CTR_KV_LOST,			/* writes given up after the retries */
	GW_CTR_KV_CONFLICT,		/* compare-and-set failed: another instance wrote it */
	GW_CTR_DRAIN_REFUSED,		/* new dialogues refused while draining */
	_GW_CTR_COUNT
};
