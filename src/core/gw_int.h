/*
 * The gateway core's own state (gw.h): its dialogue table and the message being
 * published. Shared by gw.c (events and answers) and gw_request.c (applications'
 * requests); nothing else includes it.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <osmocom/core/hashtable.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/timer.h>

#include "jv.h"
#include "gw.h"

/* Who drives a dialogue */
enum gw_role {
	GW_ROLE_NETWORK,	/* the peer began it: applications answer each step */
	GW_ROLE_REQUEST,	/* an application's request began it: the outcome is its reply */
	GW_ROLE_TC,		/* an application's raw tc-json begin: events only */
};

struct gw_dlg {
	struct hlist_node node;
	struct gw *gw;
	uint32_t id;
	enum gw_role role;
	uint64_t since_ms;		/* when it was added (CLOCK_MONOTONIC) */
	uint32_t n;			/* its messages published so far (the event "id") */
	/* waiting for an application's answer */
	bool waiting;
	uint64_t token;
	struct osmo_timer_list timer;
	bool pending;			/* a received invoke waits for our answer: */
	int8_t pend_id;
	int32_t pend_op;
	int proto;
	char *context;			/* the application's stored context (JSON text) */
	/* GW_ROLE_REQUEST */
	char *reply_to;			/* where the outcome goes; NULL once told */
	char *req;			/* the request as received, for a begin again */
	int8_t req_invoke;		/* our invoke whose outcome the application waits for */
	char req_op[48];		/* its operation */
	int version;			/* the AC version it began with */
	bool keep_open;
	uint8_t fallbacks;
	uint8_t next_invoke;		/* ids of our invokes: 1, 2, ... */
	/* its state in KV (gw_kv.c) */
	struct osmo_timer_list kv_timer;	/* write when it fires */
	uint64_t kv_rev;		/* revision of our last acknowledged write; 0: none */
	bool kv_inflight;		/* a write is on its way */
	bool kv_dirty;			/* changed since that write */
	uint8_t kv_tries;
};

struct gw {
	struct gw_cfg cfg;
	struct gw_stack stack;
	const struct gw_bus_ops *bus;
	void *bus_priv;
	unsigned int instance;
	DECLARE_HASHTABLE(dlgs, 14);
	unsigned int n_dlgs, n_waiting;
	bool draining;			/* gw_drain(): no new dialogues */
	bool freeing;			/* gw_free(): dialogues left open stay in KV */
	uint64_t seq;			/* events published by this instance */
	uint32_t token_seq;
	struct rate_ctr_group *ctrs;
	struct jv_doc doc;		/* an answer or request being carried out */
	/* the dialogue event being written: the envelope decides, gw_event() acts */
	struct {
		bool active;
		struct gw_dlg *d;
		bool ask;		/* publish as a request for an answer */
		bool overload;		/* no room to wait: the default goes instead */
		bool draining;		/* a new dialogue while draining: likewise */
		bool ends;		/* the dialogue is over after this message */
		const char *outcome;	/* it settles an application's request */
		int fallback;		/* ... or calls for a begin again with this AC version
					 * (the peer refused ours; 0: no) */
		char subject[160];
	} cur;
};

extern int gw_log_ss;	/* logging category (DLGLOBAL unless the daemon sets one) */
#define LOGGW(level, fmt, args...) LOGP(gw_log_ss, level, fmt, ##args)

/* gw_kv.c: the dialogue changed (write it once it idles), or it is gone (delete it) */
void gw_kv_touch(struct gw *gw, struct gw_dlg *d);
void gw_kv_forget(struct gw *gw, struct gw_dlg *d);
void gw_kv_init(struct gw_dlg *d);

struct gw_dlg *gw_dlg_find(struct gw *gw, uint32_t id);
struct gw_dlg *gw_dlg_add(struct gw *gw, uint32_t id, enum gw_role role);
void gw_dlg_del(struct gw *gw, struct gw_dlg *d);

/* Carry out a tc-json request tree on d (NULL: a begin); frees d when it ends the
 * dialogue. 0, or -1 with the reason in err. */
int gw_tc_request(struct gw *gw, struct gw_dlg *d, const jv_t *req, char dialog[16], char *err,
		  size_t errsz);
/* The outcome of an application's request: the event as published, sent to its requester */
void gw_request_outcome(struct gw *gw, struct gw_dlg *d, const char *json, size_t len);
/* Begin again with AC version `version` after the peer refused ours; false if it cannot */
bool gw_request_fallback(struct gw *gw, struct gw_dlg *d, int version);
