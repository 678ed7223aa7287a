/*
 * TCAP codec benchmark: parse (message + all components) and build of a MAP
 * SRI-for-SM Begin, in nanoseconds and, where perf events are allowed, CPU
 * instructions per message (steadier than time on a shared VM). Bounded: a
 * fixed number of iterations. Usage: bench_tcap [ITERATIONS]
 * The asn1c baseline for the same bytes is bench_codec's "asn1c decode".
 */
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <osmocom/core/utils.h>

#include "tcap_msg.h"

static const char sri_sm_begin[] =
	"625648044a0001016b1e281c060700118605010101a011600f80020780a1090607040000010014036c2ea12c"
	"02010102012d30248007919471917856348101ff820791947100001000870088010089080c91947110325476";

static int perf_fd = -1;

static void perf_open(void)
{
	struct perf_event_attr a = {
		.type = PERF_TYPE_HARDWARE, .size = sizeof(a), .config = PERF_COUNT_HW_INSTRUCTIONS,
		.disabled = 1, .exclude_kernel = 1, .exclude_hv = 1,
	};
	perf_fd = syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
}

static long long perf_read(void)
{
	long long v = 0;

	if (perf_fd < 0 || read(perf_fd, &v, sizeof(v)) != sizeof(v))
		return -1;
	return v;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static volatile int sink;

static void parse_once(const uint8_t *buf, size_t n)
{
	struct tcap_msg m;
	struct tcap_comp c;
	struct tcap_comp_iter it;

	if (tcap_msg_parse(&m, buf, n) < 0)
		abort();
	tcap_comp_iter_init(&it, &m);
	while (tcap_comp_next(&it, &c) > 0)
		sink += c.invoke_id;
}

static void report(const char *what, int iters, double t0, long long i0)
{
	double ns = (now_ns() - t0) / iters;
	long long i1 = perf_read();

	if (i0 >= 0 && i1 >= 0)
		printf("%-28s %8.1f ns/op %8.0f instructions/op\n", what, ns, (double)(i1 - i0) / iters);
	else
		printf("%-28s %8.1f ns/op\n", what, ns);
}

int main(int argc, char **argv)
{
	int iters = argc > 1 ? atoi(argv[1]) : 1000000;
	uint8_t buf[256], out[256];
	struct tcap_msg m;
	struct tcap_comp c;
	struct tcap_comp_iter it;
	int n = osmo_hexparse(sri_sm_begin, buf, sizeof(buf));
	double t0;
	long long i0;

	perf_open();
	if (perf_fd >= 0) {
		ioctl(perf_fd, PERF_EVENT_IOC_RESET, 0);
		ioctl(perf_fd, PERF_EVENT_IOC_ENABLE, 0);
	}
	printf("MAP SRI-for-SM Begin, %d octets, %d iterations\n", n, iters);
	for (int i = 0; i < 1000; i++)
		parse_once(buf, n);
	t0 = now_ns();
	i0 = perf_read();
	for (int i = 0; i < iters; i++)
		parse_once(buf, n);
	report("parse + components", iters, t0, i0);

	tcap_msg_parse(&m, buf, n);
	tcap_comp_iter_init(&it, &m);
	tcap_comp_next(&it, &c);
	t0 = now_ns();
	i0 = perf_read();
	for (int i = 0; i < iters; i++) {
		m.otid.v[3] = i;
		if (tcap_msg_build(out, sizeof(out), &m, &c, 1) != n)
			abort();
	}
	report("build", iters, t0, i0);
	return 0;
}
