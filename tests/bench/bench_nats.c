/*
 * The NATS adapter against raw nats.c in the same run, on a nats-server it starts itself
 * (loopback, a temporary store, killed at exit):
 *   publish  300-byte events to a subject a raw nats.c subscriber counts: raw
 *            natsConnection_Publish() on one thread, then nats_bus_publish() from the select
 *            loop with each publisher-thread flush mode (nats_bus.h, NATS_BUS_FLUSH_*).
 *            Rates are to the subscriber's last message; "main" is the main thread's CPU per
 *            message, "longest call" the longest single publish call.
 *   request  sequential request/reply (messages/10 of them, 100 to 2000), p50/p99: raw
 *            natsConnection_Request(), then nats_bus_request() and ops->reply, against a
 *            raw responder with SendAsap, then with a responder on its own adapter bus,
 *            then a raw responder with nats.c's default options (its reply waits for
 *            nats.c's flusher).
 *   kv       asynchronous puts to a memory bucket: raw js_PublishAsync() (MaxPending as our
 *            window) to $KV.<bucket>.<key>, then nats_kv_put() with ops->kv_ack.
 * Usage: bench_nats [messages] [port]   (default 300000, 33250)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nats/nats.h>
#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>

#include "nats_bus.h"
#include "nats_kv.h"
#include "nats_test.h"

#define SUBJ "bench.ev"
enum { EVENT_LEN = 300, REQUESTS = 2000, KV_WINDOW = 10000 };

static int port = 33250;
static int n_req = REQUESTS;	/* fewer for a short run: each takes a round trip */
static char url[64];
static char event[EVENT_LEN];

static int64_t cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static natsConnection *raw_connect(bool asap)
{
	natsOptions *o;
	natsConnection *nc = NULL;

	natsOptions_Create(&o);
	natsOptions_SetURL(o, url);
	natsOptions_SetSendAsap(o, asap);
	if (natsConnection_Connect(&nc, o) != NATS_OK) {
		fprintf(stderr, "cannot connect to %s\n", url);
		exit(1);
	}
	natsOptions_Destroy(o);
	return nc;
}

/* --- the adapter's callbacks --------------------------------------------------------- */

static struct {
	bool got;
	int status;
	unsigned int acks, ack_errors;
} cb;

/* priv: where the bus's own pointer is, for the responses */
static void on_msg(void *p, unsigned int tag, const char *subject, const char *reply, const char *d, size_t l)
{
	struct nats_bus **b = p;

	if (reply && b && *b)
		nats_bus_respond(*b, reply, d, l);
}

static void on_reply(void *p, uint64_t token, int status, const char *d, size_t l)
{
	cb.got = true;
	cb.status = status;
}

static void on_conn(void *p, bool up) {}

static void on_ack(void *p, uint64_t token, int status, uint64_t rev)
{
	cb.acks++;
	if (status)
		cb.ack_errors++;
}

static const struct nats_bus_ops ops = {
	.msg = on_msg, .reply = on_reply, .conn_state = on_conn, .kv_ack = on_ack,
};

static struct nats_bus *bus_open(void *ctx, enum nats_bus_flush mode, struct nats_bus **self)
{
	struct nats_bus_cfg cfg;
	struct nats_bus *b;
	char err[512];

	nats_bus_cfg_init(&cfg);
	cfg.n_servers = 1;
	snprintf(cfg.servers[0], sizeof(cfg.servers[0]), "%s", url);
	cfg.flush = mode;
	b = nats_bus_open(ctx, &cfg, &ops, self, err, sizeof(err));
	if (!b) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	if (self)
		*self = b;
	return b;
}

/* --- publish ------------------------------------------------------------------------- */

static atomic_long counted;

static void count_cb(natsConnection *nc, natsSubscription *sub, natsMsg *m, void *c)
{
	atomic_fetch_add(&counted, 1);
	natsMsg_Destroy(m);
}

static natsSubscription *counter(natsConnection *sc)
{
	natsSubscription *sub;

	atomic_store(&counted, 0);
	natsConnection_Subscribe(&sub, sc, SUBJ, count_cb, NULL);
	natsSubscription_SetPendingLimits(sub, -1, -1);
	natsConnection_Flush(sc);
	return sub;
}

static void wait_counted(long n)
{
	int64_t deadline = test_now_us() + 20000000;

	while (atomic_load(&counted) < n && test_now_us() < deadline)
		usleep(200);
}

static void pub_raw(long n)
{
	natsConnection *sc = raw_connect(false), *nc = raw_connect(false);
	natsSubscription *sub = counter(sc);
	int64_t t0 = test_now_us(), c0 = cpu_us(), longest = 0, t;
	long i;

	for (i = 0; i < n; i++) {
		int64_t w = test_runqueue_wait_us(), a = test_now_us(), d;

		natsConnection_Publish(nc, SUBJ, event, EVENT_LEN);
		d = test_now_us() - a - (test_runqueue_wait_us() - w);
		if (d > longest)
			longest = d;
	}
	c0 = cpu_us() - c0;
	wait_counted(n);
	t = test_now_us() - t0;
	printf("publish  raw natsConnection_Publish    %8.0f msg/s  main %5.2f us/msg  longest call %6.2f ms  (%ld/%ld)\n",
	       n / (t / 1e6), (double)c0 / n, longest / 1000.0, atomic_load(&counted), n);
	natsSubscription_Destroy(sub);
	natsConnection_Destroy(sc);
	natsConnection_Destroy(nc);
}

static void pub_bus(void *ctx, long n, enum nats_bus_flush mode, const char *name)
{
	natsConnection *sc = raw_connect(false);
	natsSubscription *sub = counter(sc);
	struct nats_bus *b = bus_open(ctx, mode, NULL);
	int64_t t0 = test_now_us(), main_cpu = 0, longest = 0, t;
	long i = 0, refused = 0;

	while (i < n) {
		int64_t c = cpu_us();

		/* a burst as the stack would publish during a turn of its loop, then the loop */
		for (int k = 0; k < 256 && i < n; k++) {
			int64_t w = test_runqueue_wait_us(), a = test_now_us();
			int rc = nats_bus_publish(b, SUBJ, NULL, 0, event, EVENT_LEN);
			/* not counting the waits for a CPU: the machine's load, not the call */
			int64_t d = test_now_us() - a - (test_runqueue_wait_us() - w);

			if (d > longest)
				longest = d;
			if (rc == -ENOBUFS) {
				refused++;
				break;
			}
			i++;
		}
		main_cpu += cpu_us() - c;
		osmo_select_main(1);
	}
	while (atomic_load(&counted) < n && test_now_us() - t0 < 20000000) {
		osmo_select_main(1);
		usleep(100);
	}
	t = test_now_us() - t0;
	printf("publish  nats_bus_publish, flush %-7s %8.0f msg/s  main %5.2f us/msg  longest call %6.2f ms  (%ld/%ld, "
	       "%ld times full)\n", name, n / (t / 1e6), (double)main_cpu / n, longest / 1000.0, atomic_load(&counted), n,
	       refused);
	nats_bus_close(b, 2000);
	natsSubscription_Destroy(sub);
	natsConnection_Destroy(sc);
}

/* --- request/reply ------------------------------------------------------------------- */

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static void print_lat(const char *name, int64_t *v, int n)
{
	qsort(v, n, sizeof(*v), cmp64);
	printf("request  %-40s p50 %5" PRId64 " us  p99 %5" PRId64 " us\n", name, v[n / 2], v[n * 99 / 100]);
}

static void echo_cb(natsConnection *nc, natsSubscription *sub, natsMsg *m, void *c)
{
	natsConnection_Publish(nc, natsMsg_GetReply(m), natsMsg_GetData(m), natsMsg_GetDataLength(m));
	natsMsg_Destroy(m);
}

static void req_raw(const char *name, const char *subj)
{
	natsConnection *nc = raw_connect(false);
	static int64_t v[REQUESTS];
	natsMsg *r;
	int i;

	for (i = 0; i < n_req; i++) {
		int64_t a = test_now_us();

		if (natsConnection_Request(&r, nc, subj, event, 100, 1000) == NATS_OK)
			natsMsg_Destroy(r);
		v[i] = test_now_us() - a;
	}
	print_lat(name, v, n_req);
	natsConnection_Destroy(nc);
}

static void req_bus(void *ctx, const char *name, const char *subj, enum nats_bus_flush mode)
{
	struct nats_bus *b = bus_open(ctx, mode, NULL);
	static int64_t v[REQUESTS];
	int i, lost = 0;

	for (i = 0; i < n_req; i++) {
		int64_t a = test_now_us();

		cb.got = false;
		nats_bus_request(b, subj, event, 100, i);
		while (!cb.got && test_now_us() - a < 1000000)
			osmo_select_main(0);
		lost += !cb.got || cb.status;
		v[i] = test_now_us() - a;
	}
	print_lat(name, v, n_req);
	if (lost)
		printf("         (%d without a reply)\n", lost);
	nats_bus_close(b, 1000);
}

/* Both ends on the adapter: a responder bus answering with nats_bus_respond() (in the same
 * select loop as the requester; in real life another process). */
static void req_bus_to_bus(void *ctx, enum nats_bus_flush mode, const char *name)
{
	static struct nats_bus *resp;

	bus_open(ctx, mode, &resp);
	nats_bus_subscribe(resp, "bench.echo.bus", NULL, 1);
	test_run_for(200, NULL);	/* the subscription reaches the server */
	req_bus(ctx, name, "bench.echo.bus", mode);
	nats_bus_close(resp, 1000);
	resp = NULL;
}

/* --- KV ------------------------------------------------------------------------------ */

static atomic_long js_acked, js_errors;

static void js_ack_cb(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure)
{
	if (pae)
		atomic_fetch_add(&js_errors, 1);
	atomic_fetch_add(&js_acked, 1);
	natsMsg_Destroy(msg);
}

static void kv_raw(long n, const char *bucket)
{
	natsConnection *nc = raw_connect(false);
	jsOptions jo;
	jsCtx *js;
	char subj[128];
	int64_t t0, t;
	long i;

	kvConfig kc;
	kvStore *kvs = NULL;

	jsOptions_Init(&jo);
	jo.PublishAsync.MaxPending = KV_WINDOW;
	jo.PublishAsync.AckHandler = js_ack_cb;
	natsConnection_JetStream(&js, nc, &jo);
	kvConfig_Init(&kc);
	kc.Bucket = bucket;
	kc.StorageType = js_MemoryStorage;
	if (js_CreateKeyValue(&kvs, js, &kc) != NATS_OK) {
		fprintf(stderr, "cannot create bucket %s\n", bucket);
		exit(1);
	}
	kvStore_Destroy(kvs);
	atomic_store(&js_acked, 0);
	atomic_store(&js_errors, 0);
	t0 = test_now_us();
	for (i = 0; i < n; i++) {
		snprintf(subj, sizeof(subj), "$KV.%s.dlg.%ld", bucket, i % 10000);
		js_PublishAsync(js, subj, event, EVENT_LEN, NULL);
	}
	js_PublishAsyncComplete(js, NULL);
	t = test_now_us() - t0;
	printf("kv       raw js_PublishAsync                %8.0f puts/s  (%ld acked, %ld errors)\n", n / (t / 1e6),
	       atomic_load(&js_acked), atomic_load(&js_errors));
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
}

static void kv_bus(void *ctx, long n, const char *bucket)
{
	struct nats_bus *b = bus_open(ctx, NATS_BUS_FLUSH_BATCH, NULL);
	struct nats_kv_cfg kc;
	struct nats_kv *kv;
	char err[512], key[32];
	int64_t t0, t, main_cpu = 0;
	long i = 0, refused = 0;

	nats_kv_cfg_init(&kc);
	snprintf(kc.bucket, sizeof(kc.bucket), "%s", bucket);
	kc.storage = NATS_KV_MEMORY;
	kc.max_pending = KV_WINDOW;
	kc.timeout_ms = 10000;
	kv = nats_kv_open(b, &kc, err, sizeof(err));
	if (!kv) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	cb.acks = cb.ack_errors = 0;
	t0 = test_now_us();
	while (i < n) {
		int64_t c = cpu_us();

		for (int k = 0; k < 256 && i < n; k++) {
			snprintf(key, sizeof(key), "dlg.%ld", i % 10000);
			if (nats_kv_put(kv, key, event, EVENT_LEN, 0, i) < 0) {
				refused++;
				break;
			}
			i++;
		}
		main_cpu += cpu_us() - c;
		osmo_select_main(refused ? 0 : 1);
	}
	while (cb.acks < n && test_now_us() - t0 < 30000000)
		osmo_select_main(0);
	t = test_now_us() - t0;
	printf("kv       nats_kv_put                        %8.0f puts/s  (%u acked, %u errors, window full %ld "
	       "times)  main %.2f us/put\n", n / (t / 1e6), cb.acks, cb.ack_errors, refused, (double)main_cpu / n);
	nats_bus_close(b, 1000);
}

static const struct log_info_cat cats[] = { [0] = NATS_BUS_LOG_CAT };
static const struct log_info log_info = { .cat = cats, .num_cat = 1 };

int main(int argc, char **argv)
{
	void *ctx = talloc_named_const(NULL, 0, "bench");
	struct test_server srv = { 0 };
	long n = argc > 1 ? atol(argv[1]) : 300000;
	natsConnection *rc_asap, *rc_default;
	natsSubscription *s1, *s2;

	if (argc > 2)
		port = atoi(argv[2]);
	if (n / 10 < REQUESTS)
		n_req = n / 10 > 100 ? n / 10 : 100;
	snprintf(url, sizeof(url), "nats://127.0.0.1:%d", port);
	memset(event, 'e', sizeof(event));
	osmo_init_logging2(ctx, &log_info);
	log_set_log_level(osmo_stderr_target, LOGL_ERROR);
	test_server_start(&srv, port, true);

	pub_raw(n);
	pub_bus(ctx, n, NATS_BUS_FLUSH_BATCH, "batch");
	pub_bus(ctx, n, NATS_BUS_FLUSH_ASAP, "asap");
	pub_bus(ctx, n, NATS_BUS_FLUSH_LIBRARY, "library");

	rc_asap = raw_connect(true);
	rc_default = raw_connect(false);
	natsConnection_Subscribe(&s1, rc_asap, "bench.echo.asap", echo_cb, NULL);
	natsConnection_Subscribe(&s2, rc_default, "bench.echo.default", echo_cb, NULL);
	natsConnection_Flush(rc_asap);
	natsConnection_Flush(rc_default);
	req_raw("raw natsConnection_Request, asap responder", "bench.echo.asap");
	req_bus(ctx, "nats_bus_request (batch), asap responder", "bench.echo.asap", NATS_BUS_FLUSH_BATCH);
	req_bus(ctx, "nats_bus_request (library), asap responder", "bench.echo.asap", NATS_BUS_FLUSH_LIBRARY);
	req_bus(ctx, "nats_bus_request (asap), asap responder", "bench.echo.asap", NATS_BUS_FLUSH_ASAP);
	req_raw("raw natsConnection_Request, default responder", "bench.echo.default");
	req_bus(ctx, "nats_bus_request (batch), default responder", "bench.echo.default", NATS_BUS_FLUSH_BATCH);
	req_bus_to_bus(ctx, NATS_BUS_FLUSH_BATCH, "nats_bus_request (batch), bus responder");
	req_bus_to_bus(ctx, NATS_BUS_FLUSH_LIBRARY, "nats_bus_request (library), bus responder");
	natsSubscription_Destroy(s1);
	natsSubscription_Destroy(s2);
	natsConnection_Destroy(rc_asap);
	natsConnection_Destroy(rc_default);

	kv_raw(n / 3, "bench_raw");
	kv_bus(ctx, n / 3, "bench_bus");

	test_server_cleanup(&srv);
	nats_bus_lib_exit();
	talloc_free(ctx);
	return 0;
}
