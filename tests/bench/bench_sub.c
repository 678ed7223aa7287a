/*
 * bench_sub: the event latency of the gateway, from M3UA receipt to a NATS subscriber.
 * Subscribes to SUBJECT (plain, not in a queue group, so it sees every event beside the
 * applications), reads each event's envelope "ts" (receive time at the gateway, us since
 * the epoch) and keeps now - ts. Stops after SECONDS or on SIGTERM and prints one JSON line:
 *   {"events":N,"latency_us":{"p50":..,"p90":..,"p99":..,"max":..}}
 * Both ends read the same clock (CLOCK_REALTIME on one machine).
 *
 *   bench_sub URL SUBJECT SECONDS
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nats/nats.h>

#define MAX_SAMPLES	(4u << 20)

static uint32_t *g_lat;
static volatile unsigned int g_n;
static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
	g_stop = sig;
}

static uint64_t now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

/* nats.c calls this on its one delivery thread: no locking needed for g_lat */
static void on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
	const char *data = natsMsg_GetData(msg), *ts = strstr(data, "\"ts\":");
	uint64_t now = now_us(), t;

	(void)nc, (void)sub, (void)closure;
	if (ts && g_n < MAX_SAMPLES) {
		t = strtoull(ts + 5, NULL, 10);
		g_lat[g_n++] = now > t ? (uint32_t)(now - t) : 0;
	}
	natsMsg_Destroy(msg);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static uint32_t pct(unsigned int n, unsigned int p)
{
	return n ? g_lat[(uint64_t)(n - 1) * p / 100] : 0;
}

int main(int argc, char **argv)
{
	natsConnection *nc = NULL;
	natsSubscription *sub = NULL;
	struct timespec nap = { 0, 50 * 1000 * 1000 };
	unsigned int n;
	double secs;
	time_t end;

	if (argc != 4) {
		fprintf(stderr, "usage: bench_sub URL SUBJECT SECONDS\n");
		return 2;
	}
	secs = atof(argv[3]);
	g_lat = malloc(MAX_SAMPLES * sizeof(*g_lat));
	if (!g_lat || natsConnection_ConnectTo(&nc, argv[1]) != NATS_OK ||
	    natsConnection_Subscribe(&sub, nc, argv[2], on_msg, NULL) != NATS_OK ||
	    natsSubscription_SetPendingLimits(sub, -1, -1) != NATS_OK ||
	    natsConnection_Flush(nc) != NATS_OK) {
		fprintf(stderr, "bench_sub: cannot subscribe to %s at %s\n", argv[2], argv[1]);
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	printf("ready\n");
	fflush(stdout);
	end = time(NULL) + (time_t)secs;
	while (!g_stop && time(NULL) < end)
		nanosleep(&nap, NULL);
	natsSubscription_Unsubscribe(sub);
	nanosleep(&nap, NULL);
	n = g_n;
	qsort(g_lat, n, sizeof(*g_lat), cmp_u32);
	printf("{\"events\":%u,\"latency_us\":{\"p50\":%u,\"p90\":%u,\"p99\":%u,\"max\":%u}}\n", n,
	       pct(n, 50), pct(n, 90), pct(n, 99), n ? g_lat[n - 1] : 0);
	natsSubscription_Destroy(sub);
	natsConnection_Destroy(nc);
	nats_Close();
	free(g_lat);
	return 0;
}
