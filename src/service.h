/*
 * `ss7gw run` on NATS (docs/nats.md): the gateway core on the NATS adapter. Used by
 * cmd_run.c when the configuration has a "nats" section.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct service;
struct ss7_stack;

/* The stack's ops while the service runs (events and envelopes go to the core) */
extern const struct ss7_stack_ops service_stack_ops;

/* The "nats" and "kv" nodes with the gateway's own lines, and "show gateway". After
 * ss7_stack_alloc() (which sets the VTY up), before the configuration file is read. */
void service_vty_init(void *ctx);
/* The configuration file had a "nats" section */
bool service_configured(void);

/* Connect to NATS, open (or check) the KV bucket, start the core and subscribe to the
 * requests. NULL with one line in err, saying what to do. After ss7_stack_start(). */
struct service *service_start(void *ctx, struct ss7_stack *stack, char *err, size_t errsz);
/* SIGTERM: the ASPs go inactive, open dialogues get drain-timeout to finish, those left
 * are written to KV. 0, or how many were left open. The select loop runs inside. */
int service_drain(struct service *svc);
/* One JSON line {"event":"counters","gw":{..},"nats":{..},"kv":{..}} */
void service_print_counters(struct service *svc, FILE *f);
/* Once at exit, after service_free(): nats.c's global state goes */
void service_lib_exit(void);
/* Flush what waits for NATS (at most flush_timeout_ms) and close. NULL: no-op. */
void service_free(struct service *svc, int flush_timeout_ms);
