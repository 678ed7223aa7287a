/*
 * nats-server killed (SIGKILL) and restarted mid-run (port 33220): while it is away the
 * main loop keeps turning (its longest turn is measured), publishes are buffered up to the
 * configured bound and refused beyond it (counted), requests and KV writes are refused at
 * once with -ENOTCONN; after the restart the buffered events arrive, in order, and nothing
 * beyond the bound does; the KV bucket (file storage) is written again. Then a server that
 * stops reading (SIGSTOP) under load: reported as a disconnection, and the bus still closes.
 * Prints "N passed, N failed".
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/rate_ctr.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/vty/vty.h>

#include "nats_bus.h"
#include "nats_kv.h"
#include "nats_test.h"

enum { PORT = 33220, BOUND = 500, BEFORE = 100, TRIED = 700 };

static struct {
	struct nats_bus *b;
	unsigned int rx, in_order, next;
	bool up;
	int downs, ups;
	int kv_status;
	bool kv_done;
} st = { .up = true };

static void on_msg(void *p, unsigned int tag, const char *subject, const char *reply, const char *data, size_t len)
{
	char want[32];

	snprintf(want, sizeof(want), "ev %u ", st.next);
	if (len > strlen(want) && !memcmp(data, want, strlen(want)))
		st.in_order++;
	st.next++;
	st.rx++;
}

static void on_reply(void *p, uint64_t t, int s, const char *d, size_t l) {}

static void on_conn(void *p, bool up)
{
	st.up = up;
	if (up)
		st.ups++;
	else
		st.downs++;
}

static void on_ack(void *p, uint64_t token, int status, uint64_t rev)
{
	st.kv_status = status;
	st.kv_done = true;
}

static const struct nats_bus_ops ops = {
	.msg = on_msg, .reply = on_reply, .conn_state = on_conn, .kv_ack = on_ack,
};

static bool is_down(void *a) { return !st.up; }
static bool is_up(void *a) { return st.up; }
static unsigned int want_rx;
static bool got_rx(void *a) { return st.rx >= want_rx; }
static bool kv_done(void *a) { return st.kv_done; }

/* events published from a 1 ms timer, as the stack would: each call timed */
static struct osmo_timer_list pub_timer;
static unsigned int pub_next, pub_ok, pub_refused, pub_other;
static int64_t pub_max_us;

static void publish_one(void)
{
	char data[300];
	int rc, l = snprintf(data, sizeof(data), "ev %u ", pub_next);
	int64_t t0, w0, t;

	memset(data + l, 'p', sizeof(data) - l);
	w0 = test_runqueue_wait_us();
	t0 = test_now_us();
	rc = nats_bus_publish(st.b, "ss7.out.ev", NULL, 0, data, sizeof(data));
	/* without the time the thread waited for a CPU (a loaded machine) */
	t = test_now_us() - t0 - (test_runqueue_wait_us() - w0);
	if (t > pub_max_us)
		pub_max_us = t;
	if (rc == 0)
		pub_ok++;
	else if (rc == -ENOBUFS)
		pub_refused++;
	else
		pub_other++;
	pub_next++;
}

static void pub_timer_cb(void *data)
{
	for (int i = 0; i < 10 && pub_next < BEFORE + TRIED; i++)
		publish_one();
	if (pub_next < BEFORE + TRIED)
		osmo_timer_schedule(&pub_timer, 0, 1000);
}

static bool all_tried(void *a) { return pub_next >= BEFORE + TRIED; }

/* A server that stops reading (SIGSTOP) while we publish: the publisher thread's write
 * must not block for ever (nats.c's socket writes are blocking by default and hold the
 * connection's lock, which its ping timer and natsConnection_Close() need), so the stall is
 * reported as a disconnection and the bus closes in bounded time. */
static struct { bool down; } st2;
static void on_conn2(void *p, bool up) { st2.down = !up; }
static const struct nats_bus_ops ops2 = { .msg = on_msg, .reply = on_reply, .conn_state = on_conn2 };
static bool is_down2(void *a) { return st2.down; }

static void test_stalled_server(void *ctx, struct test_server *srv)
{
	struct nats_bus_cfg cfg;
	struct nats_bus *b;
	char err[512], data[1000];
	unsigned int i, queued = 0;
	int64_t t0, gap = 0;

	nats_bus_cfg_init(&cfg);
	cfg.n_servers = 1;
	snprintf(cfg.servers[0], sizeof(cfg.servers[0]), "nats://127.0.0.1:%d", PORT);
	cfg.connect_timeout_ms = 1000;
	cfg.reconnect_wait_ms = 100;
	b = nats_bus_open(ctx, &cfg, &ops2, NULL, err, sizeof(err));
	if (!b) {
		CHECK(0, "open: %s", err);
		return;
	}
	memset(data, 's', sizeof(data));
	test_server_signal(srv, SIGSTOP);
	t0 = test_now_us();
	/* 30 MB: far beyond what the kernel's socket buffers take */
	for (i = 0; i < 30000; i++) {
		queued += nats_bus_publish(b, "ss7.stall", NULL, 0, data, sizeof(data)) == 0;
		if (i % 1000 == 999)
			test_run_for(1, &gap);
	}
	CHECK(test_run_until(is_down2, NULL, 8000, &gap), "stall reported as a disconnection after %" PRId64 " ms",
	      (test_now_us() - t0) / 1000);
	CHECK(gap < 50000, "longest main loop turn while the server is stalled: %" PRId64 " us", gap);
	t0 = test_now_us();
	nats_bus_close(b, 500);
	CHECK(test_now_us() - t0 < 4000000, "closed in %" PRId64 " ms with the server stalled (%u queued)",
	      (test_now_us() - t0) / 1000, queued);
	test_server_signal(srv, SIGCONT);
}

static const struct log_info_cat cats[] = { [0] = NATS_BUS_LOG_CAT };
static const struct log_info log_info = { .cat = cats, .num_cat = 1 };
static struct vty_app_info app = { .name = "test_nats_outage", .version = "0" };

int main(void)
{
	void *ctx = talloc_named_const(NULL, 0, "test");
	struct test_server srv = { 0 };
	struct nats_bus_cfg cfg;
	struct nats_kv_cfg kc;
	struct nats_kv *kv;
	struct rate_ctr_group *c;
	char err[512];
	int64_t gap = 0, t0;
	unsigned int i;

	osmo_init_logging2(ctx, &log_info);
	log_set_print_filename2(osmo_stderr_target, LOG_FILENAME_NONE);
	nats_bus_set_log_subsys(0);
	app.tall_ctx = ctx;
	vty_init(&app);

	test_server_start(&srv, PORT, true);
	nats_bus_cfg_init(&cfg);
	cfg.n_servers = 1;
	snprintf(cfg.servers[0], sizeof(cfg.servers[0]), "nats://127.0.0.1:%d", PORT);
	cfg.pub_max_msgs = BOUND;
	cfg.reconnect_wait_ms = 100;
	st.b = nats_bus_open(ctx, &cfg, &ops, NULL, err, sizeof(err));
	if (!st.b) {
		fprintf(stderr, "open: %s\n", err);
		return 1;
	}
	nats_kv_cfg_init(&kc);
	snprintf(kc.bucket, sizeof(kc.bucket), "t_outage");
	kv = nats_kv_open(st.b, &kc, err, sizeof(err));
	CHECK(kv != NULL, "kv (file storage): %s", kv ? "" : err);

	/* our own subscription sees what we publish; nats.c subscribes again after a
	 * reconnection before anything we buffered goes out */
	nats_bus_subscribe(st.b, "ss7.out.>", NULL, 1);
	for (i = 0; i < BEFORE; i++)
		publish_one();
	want_rx = BEFORE;
	CHECK(test_run_until(got_rx, NULL, 5000, NULL), "%u events before the outage", st.rx);

	/* the server dies */
	test_server_signal(&srv, SIGKILL);
	t0 = test_now_us();
	CHECK(test_run_until(is_down, NULL, 5000, &gap) && st.downs == 1, "disconnection reported");
	printf("disconnection reported after %" PRId64 " ms\n", (test_now_us() - t0) / 1000);
	CHECK(nats_bus_request(st.b, "ss7.svc.x", "q", 1, 1) == -ENOTCONN, "request refused at once");
	CHECK(kv && nats_kv_put(kv, "k", "v", 1, 0, 1) == -ENOTCONN, "kv put refused at once");

	/* 700 more events while it is away: 500 fit, 200 are refused; the loop never waits */
	osmo_timer_setup(&pub_timer, pub_timer_cb, NULL);
	osmo_timer_schedule(&pub_timer, 0, 1000);
	test_run_until(all_tried, NULL, 10000, &gap);
	test_run_for(1500, &gap);	/* and nats.c keeps trying to reconnect meanwhile */
	CHECK(pub_ok == BEFORE + BOUND && pub_refused == TRIED - BOUND && !pub_other,
	      "buffered %u, refused %u, other %u", pub_ok - BEFORE, pub_refused, pub_other);
	c = nats_bus_ctrs(st.b);
	CHECK(rate_ctr_group_get_ctr(c, NATS_BUS_CTR_PUB_DROP_FULL)->current == TRIED - BOUND, "refusals counted");
	CHECK(gap < 50000, "longest main loop turn during the outage: %" PRId64 " us", gap);
	CHECK(pub_max_us < 5000, "longest nats_bus_publish(): %" PRId64 " us", pub_max_us);
	printf("outage: longest main loop turn %" PRId64 " us (%" PRId64 " us with the waits for a CPU), longest "
	       "publish %" PRId64 " us\n", gap, test_max_raw_gap_us, pub_max_us);

	/* back: the 500 buffered events arrive in order, the refused ones never */
	test_server_start(&srv, PORT, true);
	t0 = test_now_us();
	CHECK(test_run_until(is_up, NULL, 10000, NULL) && st.ups == 1, "reconnection reported");
	want_rx = BEFORE + BOUND;
	CHECK(test_run_until(got_rx, NULL, 10000, NULL), "received %u of %u after the restart", st.rx, BEFORE + BOUND);
	printf("buffered events delivered %" PRId64 " ms after the restart\n", (test_now_us() - t0) / 1000);
	test_run_for(300, NULL);
	CHECK(st.rx == BEFORE + BOUND && st.in_order == BEFORE + BOUND, "%u received, %u in order", st.rx, st.in_order);
	CHECK(rate_ctr_group_get_ctr(c, NATS_BUS_CTR_DISCONNECTS)->current == 1
	      && rate_ctr_group_get_ctr(c, NATS_BUS_CTR_RECONNECTS)->current == 1, "disconnect and reconnect counted");

	/* the bucket survived in file storage and takes writes again */
	if (kv) {
		nats_kv_put(kv, "after", "v", 1, 0, 2);
		CHECK(test_run_until(kv_done, NULL, 5000, NULL) && st.kv_status == 0, "kv put after the restart: %d",
		      st.kv_status);
	}
	nats_kv_bucket_delete(st.b, "t_outage", err, sizeof(err));
	nats_bus_close(st.b, 1000);
	test_stalled_server(ctx, &srv);
	test_server_cleanup(&srv);
	nats_bus_lib_exit();
	printf("%d passed, %d failed\n", test_passed, test_failed);
	log_fini();
	talloc_free(ctx);
	return test_failed ? 1 : 0;
}
