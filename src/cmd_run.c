/*
 * ss7gw run: the gateway. Reads the configuration file, starts the stack (M3UA link, SCCP
 * node, TCAP, the JSON TC-user) and runs the select loop. With a "nats" section it is the
 * service of docs/nats.md (service.c): events and requests over NATS, state in KV, drain on
 * SIGTERM. Without one, events are printed as JSON lines on stdout and requests are read
 * as JSON lines from stdin, each answered by a reply line (docs/tc-json.md).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <osmocom/core/logging.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>

#include "cmd.h"
#include "jw.h"
#include "service.h"
#include "ss7_stack.h"
#include "tc_json.h"

#define MAX_LINE	(256 * 1024)

static volatile sig_atomic_t g_quit;

static void on_signal(int sig)
{
	g_quit = sig;
}

static void print_event(void *priv, const char *json, size_t len)
{
	printf("%.*s\n", (int)len, json);
}

static const struct ss7_stack_ops run_ops = { .event = print_event };

struct input {
	struct ss7_stack *stack;
	char *buf;
	size_t have;
	struct jw w;
};

/* {"reply":"ok","dialog":"..."} or {"reply":"error","error":"..."}, in request order */
static void request_line(struct input *in, const char *line, size_t len)
{
	char dialog[16] = "", err[256];
	struct jw *w = &in->w;

	jw_reset(w);
	jw_obj_begin(w);
	if (tc_json_request(ss7_stack_tc(in->stack), line, len, dialog, err, sizeof(err))) {
		jw_kstr(w, "reply", "error");
		jw_kstr(w, "error", err);
	} else {
		jw_kstr(w, "reply", "ok");
		if (dialog[0])
			jw_kstr(w, "dialog", dialog);
	}
	jw_obj_end(w);
	puts(jw_cstr(w));
}

static int stdin_cb(struct osmo_fd *ofd, unsigned int what)
{
	struct input *in = ofd->data;
	ssize_t n = read(ofd->fd, in->buf + in->have, MAX_LINE - in->have);
	char *nl, *start;

	if (n <= 0) {
		osmo_fd_unregister(ofd);	/* stdin closed: keep serving the network */
		return 0;
	}
	in->have += (size_t)n;
	start = in->buf;
	while ((nl = memchr(start, '\n', in->have - (size_t)(start - in->buf)))) {
		if (nl > start)
			request_line(in, start, (size_t)(nl - start));
		start = nl + 1;
	}
	in->have -= (size_t)(start - in->buf);
	memmove(in->buf, start, in->have);
	if (in->have == MAX_LINE) {
		puts("{\"reply\":\"error\",\"error\":\"request line longer than 256 KiB: dropped\"}");
		in->have = 0;
	}
	return 0;
}

/* On NATS: serve until SIGTERM/SIGINT, then drain (docs/nats.md, "Stopping"). */
static int run_service(void *ctx, struct ss7_stack *stack)
{
	struct service *svc;
	char err[512];
	int left;

	svc = service_start(ctx, stack, err, sizeof(err));
	if (!svc) {
		fprintf(stderr, "ss7gw: %s\n", err);
		ss7_stack_stop(stack);
		talloc_free(ctx);
		service_lib_exit();
		return 2;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	while (!g_quit)
		osmo_select_main(0);

	fprintf(stderr, "ss7gw: signal %d: draining\n", (int)g_quit);
	left = service_drain(svc);
	if (left)
		fprintf(stderr, "ss7gw: %d dialogues were still open: left in KV\n", left);
	ss7_stack_print_counters(stack, stdout);
	service_print_counters(svc, stdout);
	service_free(svc, 2000);
	ss7_stack_stop(stack);
	talloc_free(ctx);
	service_lib_exit();
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: ss7gw run -c FILE [--vty-port N]\n");
}

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "vty-port", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct input in = { 0 };
	struct osmo_fd stdin_ofd;
	const char *file = NULL;
	int c, vty_port = -1;
	char err[256];
	void *ctx;

	while ((c = getopt_long(argc, argv, "c:p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			file = optarg;
			break;
		case 'p':
			vty_port = atoi(optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!file || optind != argc) {
		usage(stderr);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	ctx = talloc_named_const(NULL, 0, "ss7gw");
	/* the stack's ops are the service's; they do nothing until it starts */
	in.stack = ss7_stack_alloc(ctx, "ss7gw", &service_stack_ops, NULL);
	if (!in.stack) {
		fprintf(stderr, "ss7gw: cannot initialise the stack\n");
		return 1;
	}
	service_vty_init(ctx);
	if (ss7_stack_start(in.stack, file, vty_port, err, sizeof(err))) {
		fprintf(stderr, "ss7gw: %s\n", err);
		return 2;
	}
	if (service_configured())
		return run_service(ctx, in.stack);
	ss7_stack_set_ops(in.stack, &run_ops, NULL);
	in.buf = talloc_size(ctx, MAX_LINE);
	jw_init(&in.w);
	osmo_fd_setup(&stdin_ofd, STDIN_FILENO, OSMO_FD_READ, stdin_cb, &in, 0);
	osmo_fd_register(&stdin_ofd);

	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);	/* past a file size limit the capture gets EFBIG and stops */
	while (!g_quit)
		osmo_select_main(0);

	fprintf(stderr, "ss7gw: signal %d: shutting down\n", (int)g_quit);
	ss7_stack_print_counters(in.stack, stdout);
	ss7_stack_stop(in.stack);
	jw_free(&in.w);
	talloc_free(ctx);
	return 0;
}
