/*
 * The JetStream Key-Value bucket against a real nats-server (ports 33230-33231): JetStream
 * off gives its one line; the bucket is created and re-checked (a different TTL or storage
 * is refused); asynchronous put, compare-and-set (and its failure), create-only (and its
 * failure, and over a delete marker), get, delete; many puts in flight and the
 * max-pending bound; timeouts while the server is stopped, late answers counted;
 * "no responders" retried then reported. Prints "N passed, N failed".
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
#include <osmocom/vty/buffer.h>
#include <osmocom/vty/vty.h>

#include "nats_bus.h"
#include "nats_kv.h"
#include "nats_test.h"

enum { PORT = 33230, PORT_NOJS = 33231 };
enum { MAX_OPS = 20000 };

/* the answers, by token */
static struct answer {
	bool done;
	int status;
	uint64_t rev;
	char value[64];
} ans[MAX_OPS];
static unsigned int n_done;

static void on_msg(void *p, unsigned int t, const char *s, const char *r, const char *d, size_t l) {}
static void on_reply(void *p, uint64_t t, int st, const char *d, size_t l) {}
static void on_conn(void *p, bool up) {}

static void on_ack(void *priv, uint64_t token, int status, uint64_t rev)
{
	if (token < MAX_OPS && !ans[token].done) {
		ans[token] = (struct answer){ .done = true, .status = status, .rev = rev };
		n_done++;
	}
}

static void on_value(void *priv, uint64_t token, int status, const void *data, size_t len, uint64_t rev)
{
	if (token < MAX_OPS && !ans[token].done) {
		ans[token] = (struct answer){ .done = true, .status = status, .rev = rev };
		snprintf(ans[token].value, sizeof(ans[token].value), "%.*s", (int)len, (const char *)data);
		n_done++;
	}
}

static const struct nats_bus_ops ops = {
	.msg = on_msg, .reply = on_reply, .conn_state = on_conn, .kv_ack = on_ack, .kv_value = on_value,
};

static bool is_done(void *arg) { return ans[(uintptr_t)arg].done; }
static struct answer *wait_for(uint64_t token, int ms)
{
	test_run_until(is_done, (void *)(uintptr_t)token, ms, NULL);
	return &ans[token];
}
static unsigned int want_done;
static bool enough(void *arg) { return n_done >= want_done; }

static struct nats_bus *open_bus(void *ctx, int port)
{
	struct nats_bus_cfg cfg;
	char err[512];
	struct nats_bus *b;

	nats_bus_cfg_init(&cfg);
	cfg.n_servers = 1;
	snprintf(cfg.servers[0], sizeof(cfg.servers[0]), "nats://127.0.0.1:%d", port);
	b = nats_bus_open(ctx, &cfg, &ops, NULL, err, sizeof(err));
	if (!b)
		fprintf(stderr, "open: %s\n", err);
	return b;
}

static uint64_t ctr(struct nats_kv *kv, int i)
{
	return rate_ctr_group_get_ctr(nats_kv_ctrs(kv), i)->current;
}

static void test_no_jetstream(void *ctx)
{
	struct test_server srv = { 0 };
	struct nats_kv_cfg kc;
	struct nats_bus *b;
	char err[512];

	test_server_start(&srv, PORT_NOJS, false);
	b = open_bus(ctx, PORT_NOJS);
	nats_kv_cfg_init(&kc);
	CHECK(b && !nats_kv_open(b, &kc, err, sizeof(err))
	      && !strcmp(err, "JetStream is not enabled on nats-server at nats://127.0.0.1:33231: start nats-server "
			 "with -js (or a jetstream block in its configuration)"), "JetStream off: %s", err);
	nats_bus_close(b, 500);
	test_server_cleanup(&srv);
}

static void test_bucket(void *ctx, struct nats_bus *b)
{
	struct nats_kv_cfg kc;
	struct nats_kv *kv;
	struct nats_bus *b2 = open_bus(ctx, PORT);
	char err[512];

	nats_kv_cfg_init(&kc);
	snprintf(kc.bucket, sizeof(kc.bucket), "t_check");
	kc.ttl_s = 60;
	kc.storage = NATS_KV_MEMORY;
	kv = nats_kv_open(b2, &kc, err, sizeof(err));
	CHECK(kv != NULL, "bucket created: %s", kv ? "" : err);
	nats_kv_close(kv);
	kv = nats_kv_open(b2, &kc, err, sizeof(err));
	CHECK(kv != NULL, "same bucket opened again: %s", kv ? "" : err);
	nats_kv_close(kv);
	kc.ttl_s = 30;
	kv = nats_kv_open(b2, &kc, err, sizeof(err));
	CHECK(!kv && !strcmp(err, "KV bucket 't_check' exists with ttl 60 s, storage memory, replicas 1, history 1, "
			     "but the 'kv' section asks for ttl 30 s: make the section match, or delete the bucket "
			     "(nats kv del t_check) so that it is created anew"), "ttl mismatch: %s", err);
	kc.ttl_s = 60;
	kc.storage = NATS_KV_FILE;
	kc.history = 3;
	kv = nats_kv_open(b2, &kc, err, sizeof(err));
	CHECK(!kv && strstr(err, "asks for storage file, history 3:"), "storage mismatch: %s", err);
	CHECK(nats_kv_bucket_delete(b2, "t_check", err, sizeof(err)) == 0, "bucket deleted: %s", err);
	kc.replicas = 3;
	kv = nats_kv_open(b2, &kc, err, sizeof(err));
	CHECK(!kv && strstr(err, "cannot create KV bucket 't_check' ("), "3 replicas on one server: %s", err);
	nats_bus_close(b2, 500);
}

static void test_ops(void *ctx, struct nats_bus *b, struct test_server *srv)
{
	struct nats_kv_cfg kc;
	struct nats_kv *kv;
	struct answer *a;
	char err[512], val[300];
	uint64_t r1, r2;
	void *data = NULL;
	size_t len = 0;
	unsigned int i, n;
	int rc, bad = 0;
	uint64_t drops;
	int64_t t0;

	nats_kv_cfg_init(&kc);
	snprintf(kc.bucket, sizeof(kc.bucket), "t_dialogs");
	kc.storage = NATS_KV_MEMORY;
	kc.ttl_s = 120;
	kc.timeout_ms = 1000;
	kc.retry_wait_ms = 50;
	kc.max_pending = 2000;
	kv = nats_kv_open(b, &kc, err, sizeof(err));
	if (!kv) {
		CHECK(0, "kv open: %s", err);
		return;
	}

	/* put, compare-and-set, its failure */
	CHECK(nats_kv_put(kv, "dlg.1", "state-a", 7, 0, 1) == 0, "put queued");
	a = wait_for(1, 2000);
	CHECK(a->done && a->status == 0 && a->rev > 0, "put acknowledged: %d rev %" PRIu64, a->status, a->rev);
	r1 = a->rev;
	nats_kv_put(kv, "dlg.1", "state-b", 7, r1, 2);
	a = wait_for(2, 2000);
	CHECK(a->done && a->status == 0 && a->rev > r1, "compare-and-set on %" PRIu64 ": %d rev %" PRIu64, r1,
	      a->status, a->rev);
	r2 = a->rev;
	nats_kv_put(kv, "dlg.1", "state-c", 7, r1, 3);
	a = wait_for(3, 2000);
	CHECK(a->done && a->status == -ESTALE, "compare-and-set on an old revision: %d", a->status);

	/* create-only */
	nats_kv_put(kv, "dlg.1", "state-x", 7, NATS_KV_CREATE, 4);
	a = wait_for(4, 2000);
	CHECK(a->done && a->status == -EEXIST, "create-only on an existing key: %d", a->status);
	nats_kv_put(kv, "dlg.2", "fresh", 5, NATS_KV_CREATE, 5);
	a = wait_for(5, 2000);
	CHECK(a->done && a->status == 0 && a->rev > r2, "create-only on a new key: %d", a->status);

	/* get */
	nats_kv_get(kv, "dlg.1", 6);
	a = wait_for(6, 2000);
	CHECK(a->done && a->status == 0 && a->rev == r2 && !strcmp(a->value, "state-b"), "get: %d rev %" PRIu64 " '%s'",
	      a->status, a->rev, a->value);
	nats_kv_get(kv, "dlg.none", 7);
	a = wait_for(7, 2000);
	CHECK(a->done && a->status == -ENOENT, "get of an absent key: %d", a->status);
	rc = nats_kv_get_sync(kv, ctx, "dlg.2", &data, &len, &r1);
	CHECK(rc == 0 && len == 5 && !memcmp(data, "fresh", 5), "synchronous get: %d", rc);
	talloc_free(data);
	CHECK(nats_kv_get_sync(kv, ctx, "dlg.none", &data, &len, NULL) == -ENOENT, "synchronous get, absent");

	/* delete, then the key is absent and create-only works over the marker */
	nats_kv_delete(kv, "dlg.1", 8);
	a = wait_for(8, 2000);
	CHECK(a->done && a->status == 0 && a->rev > 0, "delete acknowledged: %d", a->status);
	nats_kv_get(kv, "dlg.1", 9);
	a = wait_for(9, 2000);
	CHECK(a->done && a->status == -ENOENT, "deleted key not found: %d", a->status);
	nats_kv_put(kv, "dlg.1", "again", 5, NATS_KV_CREATE, 10);
	a = wait_for(10, 2000);
	CHECK(a->done && a->status == 0, "create-only over a delete marker: %d", a->status);
	nats_kv_get(kv, "dlg.1", 11);
	a = wait_for(11, 2000);
	CHECK(a->done && !strcmp(a->value, "again"), "its value: '%s'", a->value);

	CHECK(nats_kv_put(kv, "bad key", "x", 1, 0, 12) == -EINVAL && nats_kv_put(kv, ".x", "x", 1, 0, 12) == -EINVAL
	      && nats_kv_get(kv, "a..b", 12) == -EINVAL, "bad keys refused");
	CHECK(ctr(kv, NATS_KV_CTR_STALE) == 1 && ctr(kv, NATS_KV_CTR_EXISTS) == 1 && ctr(kv, NATS_KV_CTR_NOT_FOUND) == 2,
	      "counted");

	/* many small puts in flight, as fast as the window (max-pending 2000) lets them go */
	memset(val, 's', sizeof(val));
	n_done = 0;
	n = 5000;
	t0 = test_now_us();
	for (i = 0; i < n;) {
		char key[32];

		snprintf(key, sizeof(key), "bulk.%u", i % 1000);
		rc = nats_kv_put(kv, key, val, sizeof(val), 0, 100 + i);
		if (rc == -ENOBUFS) {
			want_done = n_done + 1;
			test_run_until(enough, NULL, 2000, NULL);
			continue;
		}
		bad += rc != 0;
		i++;
	}
	want_done = n;
	test_run_until(enough, NULL, 10000, NULL);
	for (i = 0; i < n; i++)
		bad += !ans[100 + i].done || ans[100 + i].status != 0;
	CHECK(!bad && n_done == n, "%u async puts acknowledged (%u bad) in %" PRId64 " ms", n_done, bad,
	      (test_now_us() - t0) / 1000);
	CHECK(nats_kv_pending(kv) == 0, "nothing pending");

	/* the bound: a burst beyond max-pending is refused and counted */
	n_done = 0;
	bad = 0;
	drops = ctr(kv, NATS_KV_CTR_DROP_FULL);
	for (i = 0; i < 2100; i++)
		rc = nats_kv_put(kv, "burst", "x", 1, 0, 6000 + i), bad += rc == -ENOBUFS;
	CHECK(bad == 100 && ctr(kv, NATS_KV_CTR_DROP_FULL) - drops == 100, "beyond max-pending refused: %d", bad);
	want_done = 2000;
	test_run_until(enough, NULL, 10000, NULL);
	for (i = 0; i < 2000; i++)
		bad += ans[6000 + i].status != 0;
	CHECK(n_done == 2000 && bad == 100, "the others acknowledged: %u", n_done);

	/* a stopped server: no answers, timeouts after 1 s; the main loop never waits */
	{
		int64_t gap = 0;

		test_server_signal(srv, SIGSTOP);
		t0 = test_now_us();
		for (i = 0; i < 20; i++)
			nats_kv_put(kv, "stalled", "x", 1, 0, 17000 + i);
		a = &ans[17019];
		test_run_until(is_done, (void *)(uintptr_t)17019, 3000, &gap);
		CHECK(a->done && a->status == -ETIMEDOUT && ans[17000].status == -ETIMEDOUT, "timeouts: %d %d", a->status,
		      ans[17000].status);
		CHECK(test_now_us() - t0 < 2500000, "after about 1 s: %" PRId64 " ms", (test_now_us() - t0) / 1000);
		CHECK(gap < 50000, "longest main loop turn while the server is stopped: %" PRId64 " us (%" PRId64
		      " us with the waits for a CPU)", gap, test_max_raw_gap_us);
		test_server_signal(srv, SIGCONT);
		test_run_for(500, NULL);
		CHECK(ctr(kv, NATS_KV_CTR_LATE) == 20 && ctr(kv, NATS_KV_CTR_TIMEOUTS) == 20, "late answers counted: %"
		      PRIu64, ctr(kv, NATS_KV_CTR_LATE));
		nats_kv_put(kv, "stalled", "y", 1, 0, 17100);
		a = wait_for(17100, 2000);
		CHECK(a->status == 0, "puts work again: %d", a->status);
	}

	/* no stream any more: "no responders", retried, then -EHOSTUNREACH */
	CHECK(nats_kv_bucket_delete(b, "t_dialogs", err, sizeof(err)) == 0, "bucket deleted under us: %s", err);
	nats_kv_put(kv, "dlg.3", "x", 1, 0, 17200);
	a = wait_for(17200, 3000);
	CHECK(a->done && a->status == -EHOSTUNREACH && ctr(kv, NATS_KV_CTR_RETRIES) == 3, "no responders after %"
	      PRIu64 " retries: %d", ctr(kv, NATS_KV_CTR_RETRIES), a->status);

	{
		struct vty *vty = vty_new();
		char *out;

		vty->type = VTY_SHELL_SERV;
		vty->fd = -1;
		nats_kv_vty_show(vty, kv);
		out = buffer_getstr(vty->obuf);
		CHECK(strstr(out, "KV bucket t_dialogs (stream KV_t_dialogs): ttl 120 s, memory storage")
		      && strstr(out, "Compare-and-set refused: other revision:        1"), "show kv:\n%s", out);
		talloc_free(out);
		vty_close(vty);
	}
	nats_kv_close(kv);
}

static const struct log_info_cat cats[] = { [0] = NATS_BUS_LOG_CAT };
static const struct log_info log_info = { .cat = cats, .num_cat = 1 };
static struct vty_app_info app = { .name = "test_nats_kv", .version = "0" };

int main(void)
{
	void *ctx = talloc_named_const(NULL, 0, "test");
	struct test_server srv = { 0 };
	struct nats_bus *b;

	osmo_init_logging2(ctx, &log_info);
	log_set_print_filename2(osmo_stderr_target, LOG_FILENAME_NONE);
	nats_bus_set_log_subsys(0);
	app.tall_ctx = ctx;
	vty_init(&app);

	test_no_jetstream(ctx);
	test_server_start(&srv, PORT, true);
	b = open_bus(ctx, PORT);
	CHECK(b != NULL, "bus open");
	if (b) {
		test_bucket(ctx, b);
		test_ops(ctx, b, &srv);
		nats_bus_close(b, 1000);
	}
	test_server_cleanup(&srv);
	nats_bus_lib_exit();
	printf("%d passed, %d failed\n", test_passed, test_failed);
	log_fini();
	talloc_free(ctx);
	return test_failed ? 1 : 0;
}
