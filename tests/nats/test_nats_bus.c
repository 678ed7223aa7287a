/*
 * The NATS adapter against a real nats-server (ports 33210-33212): open errors with their
 * one line, authentication, publish/subscribe through the main thread's API with headers
 * and in order, queue groups, request/reply and "no responders" through ops->reply,
 * refusals (bad subject, too large), "show nats", incoming drops counted when the main thread
 * does not keep up. Prints "N passed, N failed".
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/rate_ctr.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/vty/buffer.h>
#include <osmocom/vty/vty.h>

#include "nats_bus.h"
#include "nats_test.h"

enum { PORT = 33210, PORT_AUTH = 33211, PORT_NONE = 33212 };
enum { TAG_EV = 1, TAG_Q = 2, TAG_ALL = 3, TAG_ECHO = 4, TAG_BARRIER = 5 };

/* what one bus saw */
struct seen {
	const char *name;
	struct nats_bus *b;
	unsigned int msgs[8];		/* per tag */
	unsigned int in_order;		/* TAG_EV messages whose number was the expected one */
	unsigned int next_ev;
	bool hdr_ok;
	unsigned int replies, replies_ok, no_responders;
	uint64_t last_token;
	int conn_changes;
};

static void on_msg(void *priv, unsigned int tag, const char *subject, const char *reply,
		   const char *data, size_t len)
{
	struct seen *s = priv;

	if (tag < 8)
		s->msgs[tag]++;
	if (tag == TAG_EV) {
		char want[32];

		snprintf(want, sizeof(want), "event %u", s->next_ev);
		if (len >= strlen(want) && !memcmp(data, want, strlen(want)) && !strcmp(subject, "ss7.test.ev"))
			s->in_order++;
		s->next_ev++;
		const char *h = nats_bus_msg_header(s->b, "Ss7-Kind");
		s->hdr_ok = h && !strcmp(h, "begin") && !nats_bus_msg_header(s->b, "Nope");
	}
	if (tag == TAG_ECHO && reply)
		nats_bus_respond(s->b, reply, data, len);
}

static void on_reply(void *priv, uint64_t token, int status, const char *data, size_t len)
{
	struct seen *s = priv;
	char want[32];

	s->last_token = token;
	if (status == -EHOSTUNREACH) {
		s->no_responders++;
		return;
	}
	s->replies++;
	snprintf(want, sizeof(want), "q%" PRIu64, token);
	if (status == 0 && len == strlen(want) && !memcmp(data, want, len))
		s->replies_ok++;
}

static void on_conn(void *priv, bool up)
{
	((struct seen *)priv)->conn_changes++;
}

static const struct nats_bus_ops ops = {
	.msg = on_msg,
	.reply = on_reply,
	.conn_state = on_conn,
};

static struct { unsigned int *p, want; } wait_ctx;
static bool reached(void *arg) { return *wait_ctx.p >= wait_ctx.want; }
static bool wait_count(unsigned int *p, unsigned int want, int ms)
{
	wait_ctx.p = p;
	wait_ctx.want = want;
	return test_run_until(reached, NULL, ms, NULL);
}

static struct nats_bus *open_bus_in(void *ctx, int port, struct seen *s, const char *name, unsigned int in_max)
{
	struct nats_bus_cfg cfg;
	char err[512];
	struct nats_bus *b;

	nats_bus_cfg_init(&cfg);
	if (in_max)
		cfg.in_max_msgs = in_max;
	cfg.n_servers = 1;
	snprintf(cfg.servers[0], sizeof(cfg.servers[0]), "nats://127.0.0.1:%d", port);
	snprintf(cfg.name, sizeof(cfg.name), "%s", name);
	memset(s, 0, sizeof(*s));
	s->name = name;
	b = nats_bus_open(ctx, &cfg, &ops, s, err, sizeof(err));
	if (!b)
		fprintf(stderr, "open %s: %s\n", name, err);
	s->b = b;
	return b;
}

static struct nats_bus *open_bus(void *ctx, int port, struct seen *s, const char *name)
{
	return open_bus_in(ctx, port, s, name, 0);
}

/* a subscription is live at the server once a message we publish to it comes back */
static bool barrier(struct seen *s, const char *subject)
{
	unsigned int before = s->msgs[TAG_BARRIER];

	if (nats_bus_subscribe(s->b, subject, NULL, TAG_BARRIER) < 0)
		return false;
	nats_bus_publish(s->b, subject, NULL, 0, "x", 1);
	return wait_count(&s->msgs[TAG_BARRIER], before + 1, 3000);
}

static uint64_t ctr(struct nats_bus *b, int i)
{
	return rate_ctr_group_get_ctr(nats_bus_ctrs(b), i)->current;
}

/* A main thread that does not keep up: with an incoming queue of 10, every one of 300
 * messages is delivered or counted as dropped, by us (queue full) or by nats.c (its
 * pending limit, counted per message and folded within a second). */
static void test_flood(void *ctx, struct nats_bus *pub)
{
	struct seen e;
	struct nats_bus *E = open_bus_in(ctx, PORT, &e, "e", 10);
	char data[300];
	uint64_t rx0, full = 0, slow = 0;
	int64_t t0;
	unsigned int i;
	bool counted = false;

	if (!E || nats_bus_subscribe(E, "ss7.flood", NULL, TAG_ALL) < 0 || !barrier(&e, "ss7.flood.barrier")) {
		CHECK(0, "flooded bus open and subscribed");
		nats_bus_close(E, 0);
		return;
	}
	rx0 = ctr(E, NATS_BUS_CTR_RX_MSGS);
	memset(data, 'f', sizeof(data));
	for (i = 0; i < 300; i++)
		nats_bus_publish(pub, "ss7.flood", NULL, 0, data, sizeof(data));
	usleep(500 * 1000);	/* the main thread stalls, E's queue fills */
	for (t0 = test_now_us(); !counted && test_now_us() - t0 < 3000000;) {
		test_run_for(50, NULL);
		full = ctr(E, NATS_BUS_CTR_RX_DROP_FULL);
		slow = ctr(E, NATS_BUS_CTR_RX_SLOW_CONSUMER);
		counted = e.msgs[TAG_ALL] + full + slow == 300;
	}
	CHECK(counted && e.msgs[TAG_ALL] >= 10 && e.msgs[TAG_ALL] < 300
	      && ctr(E, NATS_BUS_CTR_RX_MSGS) - rx0 == e.msgs[TAG_ALL],
	      "of 300: %u delivered, %" PRIu64 " dropped with the queue full, %" PRIu64 " dropped by nats.c",
	      e.msgs[TAG_ALL], full, slow);
	printf("flood of 300: %u delivered, %" PRIu64 " dropped with the queue full, %" PRIu64 " by nats.c\n",
	       e.msgs[TAG_ALL], full, slow);
	nats_bus_close(E, 500);
}

static void test_open_errors(void *ctx)
{
	struct nats_bus_cfg cfg;
	struct test_server srv = { .extra = { "--user", "gw", "--pass", "s3cret" } };
	struct seen s;
	char err[512];
	int64_t t0;
	struct nats_bus *b;

	nats_bus_cfg_init(&cfg);
	cfg.n_servers = 1;
	snprintf(cfg.servers[0], sizeof(cfg.servers[0]), "nats://127.0.0.1:%d", PORT_NONE);
	t0 = test_now_us();
	b = nats_bus_open(ctx, &cfg, &ops, &s, err, sizeof(err));
	CHECK(!b && !strcmp(err, "cannot reach nats-server at nats://127.0.0.1:33212 (connection refused): "
			   "start nats-server or fix the 'nats' servers"), "unreachable: %s", err);
	CHECK(test_now_us() - t0 < 3000000, "unreachable server refused within the connect timeout");

	test_server_start(&srv, PORT_AUTH, false);
	snprintf(cfg.servers[0], sizeof(cfg.servers[0]), "nats://127.0.0.1:%d", PORT_AUTH);
	snprintf(cfg.user, sizeof(cfg.user), "gw");
	snprintf(cfg.password, sizeof(cfg.password), "wrong");
	b = nats_bus_open(ctx, &cfg, &ops, &s, err, sizeof(err));
	CHECK(!b && strstr(err, "nats-server at nats://127.0.0.1:33211 refused us (")
	      && strstr(err, "fix user/password, token, credentials or nkey") && !strchr(err, '\n'),
	      "bad password: %s", err);

	snprintf(cfg.password, sizeof(cfg.password), "s3cret");
	memset(&s, 0, sizeof(s));
	b = nats_bus_open(ctx, &cfg, &ops, &s, err, sizeof(err));
	s.b = b;
	CHECK(b && barrier(&s, "ss7.auth.ok"), "right password: %s", b ? "" : err);
	nats_bus_close(b, 1000);

	cfg.user[0] = cfg.password[0] = '\0';
	snprintf(cfg.tls.ca_file, sizeof(cfg.tls.ca_file), "/nonexistent/ca.pem");
	b = nats_bus_open(ctx, &cfg, &ops, &s, err, sizeof(err));
	CHECK(!b && strstr(err, "nats.c refused the 'tls ca-file' line of the 'nats' section"), "CA file: %s", err);
	test_server_cleanup(&srv);
}

static void test_pubsub(void *ctx)
{
	struct seen a, bb, c;
	struct nats_bus *A = open_bus(ctx, PORT, &a, "a"), *B = open_bus(ctx, PORT, &bb, "b"),
			*C = open_bus(ctx, PORT, &c, "c");
	const struct nats_hdr hdr[] = { { "Ss7-Kind", "begin" }, { "Ss7-Dialogue", "42" } };
	size_t big_len = 2 << 20;
	char *big = malloc(big_len), data[300];
	unsigned int i, n = 2000;
	int rc, bad = 0;

	if (!A || !B || !C) {
		CHECK(0, "three buses open");
		return;
	}
	CHECK(nats_bus_connected(A) && !strncmp(nats_bus_inbox(A), "_INBOX.", 7), "connected, inbox %s",
	      nats_bus_inbox(A));
	CHECK(!strcmp(nats_bus_subject_prefix(A), "ss7") && !strcmp(nats_bus_qgroup(A, "requests"), "ss7gw")
	      && !nats_bus_qgroup(A, "nope"), "prefix and queue group defaults");

	/* publish/subscribe: B to A, 2000 messages of 300 bytes with headers, in order */
	CHECK(nats_bus_subscribe(A, "ss7.test.ev", NULL, TAG_EV) == 0, "subscribe");
	CHECK(barrier(&a, "ss7.test.barrier"), "A's subscriptions live");
	memset(data, 'e', sizeof(data));
	for (i = 0; i < n; i++) {
		int l = snprintf(data, sizeof(data), "event %u", i);

		data[l] = ' ';
		bad += nats_bus_publish(B, "ss7.test.ev", hdr, 2, data, sizeof(data)) != 0;
	}
	CHECK(!bad, "all %u published", n);
	CHECK(wait_count(&a.msgs[TAG_EV], n, 5000), "A received %u of %u", a.msgs[TAG_EV], n);
	CHECK(a.in_order == n && a.hdr_ok, "in order (%u) with their headers", a.in_order);
	CHECK(rate_ctr_group_get_ctr(nats_bus_ctrs(B), NATS_BUS_CTR_PUB_SENT)->current >= n
	      && rate_ctr_group_get_ctr(nats_bus_ctrs(A), NATS_BUS_CTR_RX_MSGS)->current >= n, "counted");

	/* queue group: each message to exactly one member; a plain subscriber gets them all */
	CHECK(nats_bus_subscribe(A, "ss7.test.req", nats_bus_qgroup(A, "requests"), TAG_Q) == 0
	      && nats_bus_subscribe(B, "ss7.test.req", nats_bus_qgroup(B, "requests"), TAG_Q) == 0
	      && nats_bus_subscribe(C, "ss7.test.>", NULL, TAG_ALL) == 0, "queue subscriptions");
	CHECK(barrier(&a, "ss7.test.ba") && barrier(&bb, "ss7.test.bb") && barrier(&c, "ss7.test.bc"), "live");
	c.msgs[TAG_ALL] = 0;
	for (i = 0; i < 200; i++)
		nats_bus_publish(C, "ss7.test.req", NULL, 0, "r", 1);
	wait_count(&c.msgs[TAG_ALL], 200, 3000);
	test_run_for(100, NULL);
	CHECK(a.msgs[TAG_Q] + bb.msgs[TAG_Q] == 200 && a.msgs[TAG_Q] && bb.msgs[TAG_Q] && c.msgs[TAG_ALL] == 200,
	      "queue group split %u + %u, plain %u", a.msgs[TAG_Q], bb.msgs[TAG_Q], c.msgs[TAG_ALL]);

	/* request/reply: B answers on ss7.svc.echo through nats_bus_respond */
	CHECK(nats_bus_subscribe(B, "ss7.svc.echo", NULL, TAG_ECHO) == 0 && barrier(&bb, "ss7.test.bb2"), "responder");
	for (i = 1; i <= 100; i++) {
		char q[16];
		int l = snprintf(q, sizeof(q), "q%u", i);

		bad += nats_bus_request(A, "ss7.svc.echo", q, l, i) != 0;
	}
	CHECK(!bad && wait_count(&a.replies, 100, 3000) && a.replies_ok == 100, "100 replies, %u right", a.replies_ok);
	{
		int64_t t0 = test_now_us();

		nats_bus_request(A, "ss7.svc.echo", "q7777", 5, 7777);
		wait_count(&a.replies, 101, 1000);
		printf("one request/reply through two buses: %" PRId64 " us\n", test_now_us() - t0);
	}

	/* no responders: answered at once by the server */
	CHECK(nats_bus_request(A, "ss7.svc.nobody", "x", 1, 99) == 0, "request to nobody queued");
	CHECK(wait_count(&a.no_responders, 1, 3000) && a.last_token == 99, "no responders for token %" PRIu64,
	      a.last_token);
	CHECK(rate_ctr_group_get_ctr(nats_bus_ctrs(A), NATS_BUS_CTR_NO_RESPONDERS)->current == 1, "counted");

	/* refusals */
	CHECK(nats_bus_publish(A, "ss7..x", NULL, 0, "", 0) == -EINVAL && nats_bus_publish(A, "ss7.*", NULL, 0, "", 0) == -EINVAL
	      && nats_bus_publish(A, "a b", NULL, 0, "", 0) == -EINVAL && nats_bus_publish(A, "", NULL, 0, "", 0) == -EINVAL
	      && nats_bus_subscribe(A, "ss7.>.x", NULL, 1) == -EINVAL && nats_bus_subscribe(A, "ss7.*.>", NULL, 1) == 0,
	      "subjects checked");
	memset(big, 'x', big_len);
	rc = nats_bus_publish(A, "ss7.big", NULL, 0, big, big_len);
	free(big);
	CHECK(rc == -EMSGSIZE, "beyond max_payload: %d", rc);
	{
		const struct nats_hdr badh = { "Bad Key", "v" };

		CHECK(nats_bus_publish(A, "ss7.h", &badh, 1, "", 0) == -EINVAL, "bad header refused");
	}

	/* show nats */
	{
		struct vty *vty = vty_new();
		char *out;

		vty->type = VTY_SHELL_SERV;
		vty->fd = -1;
		nats_bus_vty_show(vty, A);
		out = buffer_getstr(vty->obuf);
		CHECK(strstr(out, "NATS: up (connected") && strstr(out, "server nats://127.0.0.1:33210")
		      && strstr(out, "publish buffer: 0 of 100000 messages") && strstr(out, "Requests nobody listened to:        1"),
		      "show nats:\n%s", out);
		talloc_free(out);
		vty_close(vty);
	}

	test_flood(ctx, B);

	nats_bus_close(A, 1000);
	nats_bus_close(B, 1000);

	/* close writes out what is queued */
	{
		struct seen d;
		struct nats_bus *D = open_bus(ctx, PORT, &d, "d");

		c.msgs[TAG_ALL] = 0;
		for (i = 0; i < 500; i++)
			nats_bus_publish(D, "ss7.test.last", NULL, 0, data, sizeof(data));
		nats_bus_close(D, 2000);
		CHECK(wait_count(&c.msgs[TAG_ALL], 500, 3000), "published before close: %u of 500", c.msgs[TAG_ALL]);
	}
	nats_bus_close(C, 1000);
	CHECK(a.conn_changes == 0 && bb.conn_changes == 0, "no connection change reported at close");
}

static const struct log_info_cat cats[] = { [0] = NATS_BUS_LOG_CAT };
static const struct log_info log_info = { .cat = cats, .num_cat = 1 };
static struct vty_app_info app = { .name = "test_nats_bus", .version = "0" };

int main(void)
{
	void *ctx = talloc_named_const(NULL, 0, "test");
	struct test_server srv = { 0 };

	osmo_init_logging2(ctx, &log_info);
	log_set_print_filename2(osmo_stderr_target, LOG_FILENAME_NONE);
	nats_bus_set_log_subsys(0);
	app.tall_ctx = ctx;
	vty_init(&app);

	test_open_errors(ctx);
	test_server_start(&srv, PORT, false);
	test_pubsub(ctx);
	test_server_cleanup(&srv);

	nats_bus_lib_exit();
	printf("%d passed, %d failed\n", test_passed, test_failed);
	log_fini();
	talloc_free(ctx);
	return test_failed ? 1 : 0;
}
