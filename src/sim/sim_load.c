/*
 * ss7sim's load generator: starts instances of one flow at a bounded rate, with at
 * most N in flight, for at most a count and a duration, and records each
 * instance's latency (start to last dialogue closed) for the percentiles it prints.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>

#include "sim_load.h"

#define TICK_US		1000
#define DRAIN_MS	10000	/* after the last start, how long in-flight flows may take */

struct sim_load {
	struct sim *sim;
	struct sim_load_cfg cfg;
	struct osmo_timer_list timer;
	uint64_t t0, t_last_start, t_end;
	unsigned int started, inflight, ok, failed;
	uint64_t dialogs0;		/* the engine's dialogs_ok at the start */
	uint32_t *lat_us;		/* one per finished flow, ok or not */
	unsigned int n_lat;
	char first_failure[256];
	bool finished;
	void (*finished_cb)(void *arg);
	void *arg;
};

struct inst {
	struct sim_load *load;
	uint64_t t_start;
};

static uint64_t now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

static void finish(struct sim_load *l)
{
	if (l->finished)
		return;
	l->finished = true;
	l->t_end = now_us();
	osmo_timer_del(&l->timer);
	if (l->finished_cb)
		l->finished_cb(l->arg);
}

static void done_cb(void *arg, bool ok, const char *why)
{
	struct inst *in = arg;
	struct sim_load *l = in->load;
	uint64_t lat = now_us() - in->t_start;

	talloc_free(in);
	l->inflight--;
	ok ? l->ok++ : l->failed++;
	if (!ok && !l->first_failure[0])
		snprintf(l->first_failure, sizeof(l->first_failure), "%s", why ? why : "?");
	if (l->n_lat < l->cfg.count)
		l->lat_us[l->n_lat++] = lat > UINT32_MAX ? UINT32_MAX : (uint32_t)lat;
}

static bool starting_over(const struct sim_load *l, uint64_t now)
{
	return l->started == l->cfg.count ||
	       (l->cfg.duration_ms && now - l->t0 >= (uint64_t)l->cfg.duration_ms * 1000);
}

static void tick(void *data)
{
	struct sim_load *l = data;
	uint64_t now = now_us();
	unsigned int due;

	if (starting_over(l, now)) {
		if (!l->inflight || now - l->t_last_start > (uint64_t)DRAIN_MS * 1000) {
			finish(l);
			return;
		}
	} else {
		/* as many as the rate allows by now, within the in-flight bound */
		due = l->cfg.rate > 0 ? (unsigned int)fmin((double)l->cfg.count,
							   floor((double)(now - l->t0) * l->cfg.rate / 1e6) + 1)
				      : l->cfg.count;
		while (l->started < due && l->inflight < l->cfg.concurrency && !starting_over(l, now)) {
			struct inst *in = talloc_zero(l, struct inst);
			if (!in)
				break;
			in->load = l;
			in->t_start = now_us();
			l->started++;
			l->inflight++;
			l->t_last_start = in->t_start;
			if (sim_flow_start(l->sim, l->cfg.flow, done_cb, in)) {
				talloc_free(in);
				l->inflight--;
				l->failed++;
			}
		}
	}
	osmo_timer_schedule(&l->timer, 0, TICK_US);
}

struct sim_load *sim_load_start(void *ctx, struct sim *sim, const struct sim_load_cfg *cfg,
				void (*finished_cb)(void *arg), void *arg)
{
	struct sim_load *l;

	if (!cfg->count || !cfg->concurrency)
		return NULL;
	l = talloc_zero(ctx, struct sim_load);
	if (!l)
		return NULL;
	l->lat_us = talloc_array(l, uint32_t, cfg->count);
	if (!l->lat_us) {
		talloc_free(l);
		return NULL;
	}
	l->sim = sim;
	l->cfg = *cfg;
	l->cfg.flow = talloc_strdup(l, cfg->flow);
	l->finished_cb = finished_cb;
	l->arg = arg;
	l->t0 = l->t_last_start = now_us();
	l->dialogs0 = sim_stats(sim)->dialogs_ok;
	osmo_timer_setup(&l->timer, tick, l);
	tick(l);
	return l;
}

bool sim_load_finished(const struct sim_load *l)
{
	return l->finished;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static double pct(const uint32_t *v, unsigned int n, double p)
{
	unsigned int i;

	if (!n)
		return 0;
	i = (unsigned int)ceil(p / 100.0 * n);
	return v[i ? i - 1 : 0] / 1000.0;
}

void sim_load_report(struct sim_load *l, FILE *f)
{
	uint64_t end = l->finished ? l->t_end : now_us();
	double secs = (double)(end - l->t0) / 1e6;

	qsort(l->lat_us, l->n_lat, sizeof(l->lat_us[0]), cmp_u32);
	fprintf(f, "{\"flow\":\"%s\",\"started\":%u,\"ok\":%u,\"failed\":%u,\"unfinished\":%u,"
		"\"seconds\":%.3f,\"flows_per_s\":%.1f,\"dialogs_per_s\":%.1f,"
		"\"latency_ms\":{\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"max\":%.3f}",
		l->cfg.flow, l->started, l->ok, l->failed, l->inflight, secs,
		secs > 0 ? l->ok / secs : 0.0,
		secs > 0 ? (double)(sim_stats(l->sim)->dialogs_ok - l->dialogs0) / secs : 0.0,
		pct(l->lat_us, l->n_lat, 50), pct(l->lat_us, l->n_lat, 90), pct(l->lat_us, l->n_lat, 99),
		l->n_lat ? l->lat_us[l->n_lat - 1] / 1000.0 : 0.0);
	if (l->first_failure[0]) {
		fputs(",\"first_failure\":\"", f);
		for (const char *p = l->first_failure; *p; p++)
			fprintf(f, *p == '"' || *p == '\\' ? "\\%c" : (unsigned char)*p < 0x20 ? "?" : "%c", *p);
		fputc('"', f);
	}
	fputs("}\n", f);
	fflush(f);
}

void sim_load_results(const struct sim_load *l, unsigned int *ok, unsigned int *failed,
		      unsigned int *unfinished)
{
	*ok = l->ok;
	*failed = l->failed;
	*unfinished = l->inflight;
}
