/*
 * Micro-benchmark of the M3UA capture (src/m3ua/m3ua_capture.c): one 120-octet M3UA DATA sent
 * with sctp_send() and received with sctp_recvmsg() on a loopback association, in one run:
 * baseline (the next definitions called directly, no capture code at all), through the capture
 * while off, and while on (both ends taken: two messages written per round trip). Prints CPU
 * nanoseconds per round trip and the capture's cost per message. Runs under libsctp2tcp.so
 * where there is no kernel SCTP, ports 33190/33191 (scripts/bench.sh):
 *
 *   LD_PRELOAD=build/src/sctpshim/libsctp2tcp.so build/tests/bench_capture [rounds] [file]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/sctp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "m3ua_capture.h"

enum { PORT = 33190, MSG_LEN = 120, REPEATS = 5, CHUNK = 1000 };

typedef int (*send_fn)(int, const void *, size_t, const struct sctp_sndrcvinfo *, int);
typedef int (*recv_fn)(int, void *, size_t, struct sockaddr *, socklen_t *,
		       struct sctp_sndrcvinfo *, int *);

static int fd_a, fd_b;

static bool ours(void *priv, int fd)
{
	return fd == fd_a || fd == fd_b;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);	/* CPU: the machine is shared */
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int sctp_socket(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP), one = 1;

	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	return fd;
}

static int connect_pair(void)
{
	struct sockaddr_in srv = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	struct sockaddr_in cli = { .sin_family = AF_INET, .sin_port = htons(PORT + 1) };
	int l = sctp_socket();

	srv.sin_addr.s_addr = cli.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd_a = sctp_socket();
	if (l < 0 || fd_a < 0 || bind(l, (struct sockaddr *)&srv, sizeof(srv)) < 0 || listen(l, 1) < 0 ||
	    bind(fd_a, (struct sockaddr *)&cli, sizeof(cli)) < 0 ||
	    connect(fd_a, (struct sockaddr *)&srv, sizeof(srv)) < 0 || (fd_b = accept(l, NULL, NULL)) < 0)
		return -1;
	close(l);
	return 0;
}

/* ns per round trip: A sends one message, B receives it */
static double run(send_fn tx, recv_fn rx, const uint8_t *msg, unsigned int rounds)
{
	struct sctp_sndrcvinfo sinfo = { .sinfo_stream = 1, .sinfo_ppid = htonl(3) };
	uint8_t buf[2048];
	double t0 = now_ns();
	unsigned int i;
	int flags;

	for (i = 0; i < rounds; i++) {
		flags = 0;
		if (tx(fd_a, msg, MSG_LEN, &sinfo, MSG_NOSIGNAL) != MSG_LEN ||
		    rx(fd_b, buf, sizeof(buf), NULL, NULL, &sinfo, &flags) != MSG_LEN) {
			fprintf(stderr, "bench_capture: round %u failed: %s\n", i, strerror(errno));
			exit(1);
		}
	}
	return (now_ns() - t0) / rounds;
}

static double best(double a, double b)
{
	return a < b ? a : b;
}

int main(int argc, char **argv)
{
	unsigned int rounds = argc > 1 ? atoi(argv[1]) : 20000, r, c;
	const char *file = argc > 2 ? argv[2] : "/tmp/bench_capture.pcap";
	send_fn next_tx = (send_fn)dlsym(RTLD_NEXT, "sctp_send");
	recv_fn next_rx = (recv_fn)dlsym(RTLD_NEXT, "sctp_recvmsg");
	double base = 1e18, off = 1e18, on = 1e18, on_delta = 1e18;
	uint8_t msg[MSG_LEN] = { 1, 0, 1, 1, 0, 0, 0, MSG_LEN };	/* M3UA DATA, length 120 */

	if (rounds < CHUNK)
		rounds = CHUNK;
	if (connect_pair() < 0) {
		fprintf(stderr, "bench_capture: no loopback association on port %d (%s); run it with "
			"LD_PRELOAD=libsctp2tcp.so on a host without kernel SCTP\n", PORT, strerror(errno));
		return 1;
	}
	m3ua_capture_init();
	m3ua_capture_set_owner(ours, NULL);
	m3ua_capture_set_path(file);
	m3ua_capture_set_max_size(64ULL << 20);
	m3ua_capture_set_max_files(0);
	/* the machine is shared: baseline and off alternate by chunks of CHUNK round trips, on
	 * runs beside an off run of its own, and the best of REPEATS is kept */
	for (r = 0; r < REPEATS; r++) {
		double d = 0, o = 0;

		for (c = 0; c < rounds / CHUNK; c++) {
			d += run(next_tx, next_rx, msg, CHUNK);
			o += run(sctp_send, sctp_recvmsg, msg, CHUNK);
		}
		base = best(base, d / (rounds / CHUNK));
		off = best(off, o / (rounds / CHUNK));
		if (m3ua_capture_start() < 0)
			return 1;
		d = run(sctp_send, sctp_recvmsg, msg, rounds);
		m3ua_capture_stop();
		o = run(sctp_send, sctp_recvmsg, msg, rounds);
		on = best(on, d);
		on_delta = best(on_delta, d - o);
	}
	printf("bench - capture: %u round trips of a %u-octet M3UA DATA over the socket, CPU ns, "
	       "best of %u: baseline %.0f, capture off %.0f, capture on %.0f (2 messages written)\n",
	       rounds, MSG_LEN, REPEATS, base, off, on);
	printf("bench - capture cost per message: off %+.0f ns against baseline (run-to-run noise "
	       "is of that order), on %+.0f ns against off\n", (off - base) / 2, on_delta / 2);
	unlink(file);
	return 0;
}
