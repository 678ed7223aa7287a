/*
 * ss7sim's scenario engine: plays network roles (HLR, MSC/VLR, SMSC, gsmSCF, USSD
 * application) from a scenario file, as originator and as responder, by exchanging the
 * gateway's JSON dialogue events and requests (docs/tc-json.md). It knows nothing of
 * TCAP or SCCP: whatever carries the requests and brings the events back plugs in
 * through struct sim_io. Scenario format: docs/ss7sim.md.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sim;

struct sim_io {
	/* Carry out one request (JSON text). For a "begin" or "uni", write the new
	 * dialogue id (NUL-terminated) into dialog. 0, or -1 with a reason in err. */
	int (*request)(void *priv, const char *json, size_t len, char dialog[16],
		       char *err, size_t errsz);
	void *priv;
};

/* What one flow instance came to: called once per sim_flow_start(). */
typedef void (*sim_flow_done_cb)(void *arg, bool ok, const char *why);

/* Counters of one engine (responders and originators together). */
struct sim_stats {
	uint64_t flows_started, flows_ok, flows_failed;
	uint64_t dialogs_started, dialogs_ok, dialogs_failed;
	uint64_t served, refused, fallbacks;	/* responder dialogues; AC refusals sent; fallbacks made */
	uint64_t unmatched;			/* events no run and no responder wanted */
	uint64_t requests_refused;		/* requests the carrier refused */
};

struct sim *sim_create(void *ctx, const struct sim_io *io);
void sim_destroy(struct sim *sim);

/* Load a scenario (JSON text); replaces any earlier one. 0, or -1 with a reason. */
int sim_load(struct sim *sim, const char *json, size_t len, char *err, size_t errsz);

/* Names of the scenario's flows, NULL-terminated order as in the file. */
const char *sim_flow_name(const struct sim *sim, unsigned int i);

/* Start one instance of a flow. 0, or -1 if there is no such flow. */
int sim_flow_start(struct sim *sim, const char *flow, sim_flow_done_cb done, void *arg);

/* One dialogue event from the TC-user layer (JSON text). */
void sim_event(struct sim *sim, const char *json, size_t len);

/* Runs (dialogues) in progress. */
unsigned int sim_active(const struct sim *sim);

const struct sim_stats *sim_stats(const struct sim *sim);

/* Per-event and per-failure lines go to this stream when set (NULL: quiet). */
void sim_set_trace(struct sim *sim, void *file);
