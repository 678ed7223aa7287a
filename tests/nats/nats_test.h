/*
 * What the NATS adapter's tests share: a real nats-server on a loopback port of ours
 * (33200-33299) with a temporary store, killed at exit, and a select loop that runs until
 * a condition holds while it measures the longest turn.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct test_server {
	pid_t pid;
	int port;
	bool js;
	char dir[64];		/* store and log */
	const char *extra[8];	/* more arguments, NULL-terminated */
};

/* Start nats-server (with -js and a store under dir when js) and wait until it accepts
 * connections; the store survives restarts. Exits the test on failure. */
void test_server_start(struct test_server *s, int port, bool js);
/* Kill it with sig (SIGKILL: a crash) and wait for it; SIGSTOP/SIGCONT only signal. */
void test_server_signal(struct test_server *s, int sig);
/* Kill it if it runs, remove its directory. Also run at exit for every started server. */
void test_server_cleanup(struct test_server *s);

int64_t test_now_us(void);
/* How long this thread has waited for a CPU so far (the kernel's schedstat), in us. */
int64_t test_runqueue_wait_us(void);

/* Run osmo_select_main() until cond(arg) or timeout_ms. A 1 ms timer keeps the loop
 * turning, so *max_gap_us (if given, updated) is the longest time between two turns:
 * anything blocking the main thread shows there. The time the thread waited for a CPU
 * (the kernel's schedstat) is taken out, so a loaded machine does not count as blocking;
 * test_max_raw_gap_us keeps the longest gap as measured. */
bool test_run_until(bool (*cond)(void *arg), void *arg, int timeout_ms, int64_t *max_gap_us);
extern int64_t test_max_raw_gap_us;
/* Run the loop for ms whatever happens. */
void test_run_for(int ms, int64_t *max_gap_us);

extern int test_passed, test_failed;
#define CHECK(cond, fmt, ...) do {							\
		if (cond) {								\
			test_passed++;							\
		} else {								\
			test_failed++;							\
			fprintf(stderr, "FAIL %s:%d: " fmt "\n", __FILE__, __LINE__, ##__VA_ARGS__); \
		}									\
	} while (0)
