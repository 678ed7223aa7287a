/*
 * ss7sim's load generator (sim_load.c): one flow started again and again, bounded in
 * rate, concurrency, count and duration; prints flows/s and latency percentiles.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "sim.h"

struct sim_load_cfg {
	const char *flow;
	unsigned int count;		/* flows to start at most (>= 1) */
	double rate;			/* starts per second; 0: as fast as concurrency allows */
	unsigned int concurrency;	/* flows in flight at most (>= 1) */
	unsigned int duration_ms;	/* stop starting after this; 0: no limit but count */
};

struct sim_load;

/* Starts at once; finished_cb runs when every started flow is done (or a drain
 * limit of 10 s after the last start has passed). NULL for a bad cfg. */
struct sim_load *sim_load_start(void *ctx, struct sim *sim, const struct sim_load_cfg *cfg,
				void (*finished_cb)(void *arg), void *arg);
bool sim_load_finished(const struct sim_load *l);
/* One JSON line: counts, flows/s, latency p50/p90/p99/max in ms, first failure. */
void sim_load_report(struct sim_load *l, FILE *f);
void sim_load_results(const struct sim_load *l, unsigned int *ok, unsigned int *failed,
		      unsigned int *unfinished);
