/*
 * The NATS tests' nats-server and select loop (nats_test.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <osmocom/core/select.h>
#include <osmocom/core/timer.h>

#include "nats_test.h"

int test_passed, test_failed;

#ifndef NATS_SERVER
#define NATS_SERVER "/usr/sbin/nats-server"
#endif
#define MAX_SERVERS 8

static struct test_server *servers[MAX_SERVERS];

int64_t test_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static bool port_open(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), rc;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return rc == 0;
}

static void cleanup_all(void)
{
	for (int i = 0; i < MAX_SERVERS; i++) {
		if (servers[i])
			test_server_cleanup(servers[i]);
	}
}

void test_server_start(struct test_server *s, int port, bool js)
{
	char portstr[16], store[96], log[96];
	const char *argv[32];
	int i, n = 0;
	pid_t parent;

	if (!s->dir[0]) {
		snprintf(s->dir, sizeof(s->dir), "/tmp/ss7gw-nats-test.XXXXXX");
		if (!mkdtemp(s->dir)) {
			perror("mkdtemp");
			exit(2);
		}
		for (i = 0; i < MAX_SERVERS && servers[i] != s; i++)
			;
		if (i == MAX_SERVERS) {
			for (i = 0; i < MAX_SERVERS && servers[i]; i++)
				;
			if (i < MAX_SERVERS)
				servers[i] = s;
		}
		static bool registered;
		if (!registered)
			atexit(cleanup_all);
		registered = true;
	}
	if (port_open(port)) {
		fprintf(stderr, "port %d is busy: another nats-server of a test still runs?\n", port);
		exit(2);
	}
	s->port = port;
	s->js = js;
	snprintf(portstr, sizeof(portstr), "%d", port);
	snprintf(store, sizeof(store), "%s/store", s->dir);
	snprintf(log, sizeof(log), "%s/server.log", s->dir);
	argv[n++] = NATS_SERVER;
	argv[n++] = "-a";
	argv[n++] = "127.0.0.1";
	argv[n++] = "-p";
	argv[n++] = portstr;
	if (js) {
		argv[n++] = "-js";
		argv[n++] = "-sd";
		argv[n++] = store;
	}
	for (i = 0; i < 8 && s->extra[i]; i++)
		argv[n++] = s->extra[i];
	argv[n] = NULL;
	parent = getpid();
	s->pid = fork();
	if (s->pid < 0) {
		perror("fork");
		exit(2);
	}
	if (s->pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);

		prctl(PR_SET_PDEATHSIG, SIGKILL);	/* never outlive the test (crash, abort, timeout) */
		if (getppid() != parent)		/* it died before the line above */
			_exit(127);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(NATS_SERVER, (char *const *)argv);
		perror("execv " NATS_SERVER);
		_exit(127);
	}
	for (i = 0; i < 500; i++) {
		int st;

		if (port_open(port))
			return;
		if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
			char cmd[160];

			fprintf(stderr, "nats-server exited at start (status %d), its log:\n", st);
			snprintf(cmd, sizeof(cmd), "cat '%s' >&2", log);
			if (system(cmd) != 0)
				fprintf(stderr, "(none)\n");
			s->pid = 0;
			exit(2);
		}
		usleep(10000);
	}
	fprintf(stderr, "nats-server did not listen on %d within 5 s\n", port);
	exit(2);
}

/* the process state letter in /proc/PID/stat: 'T' when stopped */
static char proc_state(pid_t pid)
{
	char path[64], buf[256], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return '?';
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	p = p ? strrchr(buf, ')') : NULL;
	return p && p[1] ? p[2] : '?';
}

void test_server_signal(struct test_server *s, int sig)
{
	if (!s->pid)
		return;
	kill(s->pid, sig);
	if (sig == SIGKILL || sig == SIGTERM) {
		waitpid(s->pid, NULL, 0);
		s->pid = 0;
	} else if (sig == SIGSTOP) {
		for (int i = 0; i < 200 && proc_state(s->pid) != 'T'; i++)
			usleep(1000);
	}
}

void test_server_cleanup(struct test_server *s)
{
	char cmd[128];

	if (s->pid) {
		kill(s->pid, SIGCONT);
		test_server_signal(s, SIGKILL);
	}
	if (s->dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", s->dir);
		s->dir[0] = '\0';
	}
	for (int i = 0; i < MAX_SERVERS; i++) {
		if (servers[i] == s)
			servers[i] = NULL;
	}
}

/* --- the loop ---------------------------------------------------------------------- */

static struct osmo_timer_list ticker;
static int64_t last_tick, last_wait, max_gap;
int64_t test_max_raw_gap_us;

/* Time this thread was runnable but waited for a CPU (ns), from the kernel's schedstat:
 * on a loaded machine the scheduler, not the code under test, makes those gaps. */
int64_t test_runqueue_wait_us(void)
{
	char buf[128];
	unsigned long long run, wait;
	FILE *f = fopen("/proc/thread-self/schedstat", "r");
	int n = 0;

	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f))
		n = sscanf(buf, "%llu %llu", &run, &wait);
	fclose(f);
	return n == 2 ? (int64_t)(wait / 1000) : 0;
}

static void tick_cb(void *data)
{
	int64_t now = test_now_us(), wait = test_runqueue_wait_us();

	if (last_tick) {
		int64_t gap = now - last_tick;

		if (gap > test_max_raw_gap_us)
			test_max_raw_gap_us = gap;
		gap -= wait - last_wait;
		if (gap > max_gap)
			max_gap = gap;
	}
	last_tick = now;
	last_wait = wait;
	osmo_timer_schedule(&ticker, 0, 1000);
}

bool test_run_until(bool (*cond)(void *arg), void *arg, int timeout_ms, int64_t *max_gap_us)
{
	int64_t deadline = test_now_us() + (int64_t)timeout_ms * 1000;
	bool ok;

	osmo_timer_setup(&ticker, tick_cb, NULL);
	last_tick = 0;
	max_gap = 0;
	osmo_timer_schedule(&ticker, 0, 1000);
	while (!(ok = cond && cond(arg)) && test_now_us() < deadline)
		osmo_select_main(0);
	osmo_timer_del(&ticker);
	if (max_gap_us && max_gap > *max_gap_us)
		*max_gap_us = max_gap;
	return ok;
}

void test_run_for(int ms, int64_t *max_gap_us)
{
	test_run_until(NULL, NULL, ms, max_gap_us);
}
