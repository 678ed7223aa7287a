/*
 * ss7sim: the network simulator. Attaches with the gateway's own stack (ss7_stack.h),
 * plays the responders of a scenario, and runs one of its flows as a bounded load.
 * Prints one JSON summary line; exit status 0 when every flow succeeded.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>

#include "m3ua_link.h"
#include "ss7_stack.h"
#include "tc_json.h"
#include "sim.h"
#include "sim_load.h"

static struct {
	struct ss7_stack *stack;
	struct sim *sim;
	struct sim_load *load;
	bool print_events;
	bool load_done;
	volatile sig_atomic_t quit;
} g;

static void on_signal(int sig)
{
	g.quit = sig;
}

static void stack_event(void *priv, const char *json, size_t len)
{
	if (g.print_events)
		printf("%.*s\n", (int)len, json);
	if (!strncmp(json, "{\"event\":\"link\"", 15) || !strncmp(json, "{\"event\":\"pc\"", 13) ||
	    !strncmp(json, "{\"event\":\"ssn\"", 14))
		return;
	sim_event(g.sim, json, len);
}

static int sim_request(void *priv, const char *json, size_t len, char dialog[16], char *err, size_t errsz)
{
	return tc_json_request(ss7_stack_tc(g.stack), json, len, dialog, err, errsz);
}

static const struct ss7_stack_ops stack_ops = { .event = stack_event };
static const struct sim_io sim_io = { .request = sim_request };

static void load_finished(void *arg)
{
	g.load_done = true;
}

/* What the last flows sent may still wait in the send queues (the link's own, and
 * libosmo-netif's, which writes one message per turn of the loop): a flow of unis or of
 * ends is done as soon as they are queued. Serve until the loop is idle, at most 500 ms. */
static void flush_sends(void)
{
	struct m3ua_link *link = ss7_stack_link(g.stack);
	struct timespec t0, t;
	unsigned int idle = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (idle < 10) {
		if (osmo_select_main(1) > 0 || (link && m3ua_link_queue_depth(link))) {
			idle = 0;
		} else {
			idle++;
			usleep(1000);
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > 500)
			break;
	}
}

static char *read_file(void *ctx, const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && n < (16 << 20) && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = talloc_size(ctx, (size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
		buf[n] = '\0';
		*len = (size_t)n;
	} else {
		talloc_free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ss7sim -c CONFIG -s SCENARIO [options]\n"
		"  -c, --config FILE       the stack's configuration (as ss7gw's)\n"
		"  -s, --scenario FILE     responders and flows (docs/ss7sim.md)\n"
		"  -f, --flow NAME         run this flow (default: only serve the responders)\n"
		"  -n, --count N           flows to start (default 1)\n"
		"  -r, --rate R            starts per second (default: no limit)\n"
		"  -C, --concurrency N     flows in flight at most (default 1)\n"
		"  -d, --duration S        stop starting after S seconds\n"
		"  -w, --wait-link S       wait at most S seconds for the link (default 20)\n"
		"  -t, --time-limit S      serve for at most S seconds (default: until SIGTERM)\n"
		"  -e, --events            print every event as a JSON line\n"
		"  -v, --verbose           trace the scenario engine on stderr\n"
		"  -p, --vty-port N        telnet VTY port (0: none; default 0)\n");
}

static uint64_t now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' }, { "scenario", required_argument, NULL, 's' },
		{ "flow", required_argument, NULL, 'f' }, { "count", required_argument, NULL, 'n' },
		{ "rate", required_argument, NULL, 'r' }, { "concurrency", required_argument, NULL, 'C' },
		{ "duration", required_argument, NULL, 'd' }, { "wait-link", required_argument, NULL, 'w' },
		{ "time-limit", required_argument, NULL, 't' }, { "events", no_argument, NULL, 'e' },
		{ "verbose", no_argument, NULL, 'v' }, { "vty-port", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	struct sim_load_cfg lc = { .count = 1, .concurrency = 1 };
	const char *config = NULL, *scenario = NULL;
	unsigned int wait_link = 20, time_limit = 0, ok = 0, bad = 0, open = 0;
	int c, vty_port = 0, rc = 0;
	bool verbose = false;
	char err[256], *text;
	uint64_t t0;
	size_t len;
	void *ctx;

	while ((c = getopt_long(argc, argv, "c:s:f:n:r:C:d:w:t:evp:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 's': scenario = optarg; break;
		case 'f': lc.flow = optarg; break;
		case 'n': lc.count = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'r': lc.rate = strtod(optarg, NULL); break;
		case 'C': lc.concurrency = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'd': lc.duration_ms = (unsigned int)(strtod(optarg, NULL) * 1000); break;
		case 'w': wait_link = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 't': time_limit = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'e': g.print_events = true; break;
		case 'v': verbose = true; break;
		case 'p': vty_port = atoi(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!config || !scenario || optind != argc || !lc.count || !lc.concurrency) {
		usage(stderr);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	ctx = talloc_named_const(NULL, 0, "ss7sim");

	g.stack = ss7_stack_alloc(ctx, "ss7sim", &stack_ops, NULL);
	if (!g.stack) {
		fprintf(stderr, "ss7sim: cannot initialise the stack\n");
		return 1;
	}
	g.sim = sim_create(ctx, &sim_io);
	text = read_file(ctx, scenario, &len);
	if (!text) {
		fprintf(stderr, "ss7sim: %s: %s\n", scenario, strerror(errno ? errno : EINVAL));
		return 2;
	}
	if (sim_load(g.sim, text, len, err, sizeof(err))) {
		fprintf(stderr, "ss7sim: %s: %s\n", scenario, err);
		return 2;
	}
	if (lc.flow && !sim_flow_name(g.sim, 0)) {
		fprintf(stderr, "ss7sim: %s: has no flows\n", scenario);
		return 2;
	}
	if (verbose)
		sim_set_trace(g.sim, stderr);
	if (ss7_stack_start(g.stack, config, vty_port, err, sizeof(err))) {
		fprintf(stderr, "ss7sim: %s\n", err);
		return 2;
	}

	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);

	t0 = now_s();
	while (!g.quit && !ss7_stack_link_up(g.stack) && now_s() - t0 < wait_link)
		osmo_select_main(0);
	if (!ss7_stack_link_up(g.stack)) {
		fprintf(stderr, "ss7sim: the link did not come up within %u s\n", wait_link);
		ss7_stack_stop(g.stack);
		return 1;
	}
	printf("{\"event\":\"ready\"}\n");

	t0 = now_s();
	if (lc.flow) {
		g.load = sim_load_start(ctx, g.sim, &lc, load_finished, NULL);
		if (!g.load) {
			fprintf(stderr, "ss7sim: cannot start the load\n");
			return 2;
		}
	}
	while (!g.quit && !(g.load && g.load_done) && !(time_limit && now_s() - t0 >= time_limit))
		osmo_select_main(0);

	if (g.load) {
		flush_sends();
		sim_load_report(g.load, stdout);
		sim_load_results(g.load, &ok, &bad, &open);
		rc = bad || open || ok == 0 ? 1 : 0;
	}
	{
		const struct sim_stats *st = sim_stats(g.sim);
		printf("{\"event\":\"sim\",\"served\":%llu,\"dialogs_ok\":%llu,\"dialogs_failed\":%llu,"
		       "\"refused\":%llu,\"fallbacks\":%llu,\"unmatched\":%llu,\"requests_refused\":%llu}\n",
		       (unsigned long long)st->served, (unsigned long long)st->dialogs_ok,
		       (unsigned long long)st->dialogs_failed, (unsigned long long)st->refused,
		       (unsigned long long)st->fallbacks, (unsigned long long)st->unmatched,
		       (unsigned long long)st->requests_refused);
	}
	ss7_stack_print_counters(g.stack, stdout);
	sim_destroy(g.sim);
	ss7_stack_stop(g.stack);
	return rc;
}
