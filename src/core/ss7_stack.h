/*
 * The SS7 stack as one object: the M3UA link (src/m3ua), the SCCP node (src/sccp) and
 * the TCAP entity (src/tcap) wired to each other and to the JSON TC-user (tc_json.h),
 * configured from one Osmocom VTY file. `ss7gw run` and `ss7sim` both stand on it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct ss7_stack;
struct tc_json;
struct tcap_ctx;
struct sccp_node;
struct m3ua_link;

struct jw;
struct tc_json_msg;

struct ss7_stack_ops {
	/* One JSON event: a dialogue event (docs/tc-json.md) or a network one
	 * ({"event":"link"|"pc"|"ssn", ...}). Valid during the call. */
	void (*event)(void *priv, const char *json, size_t len);
	/* Optional: leading members of every dialogue event (see tc_json_ops.envelope) */
	void (*envelope)(void *priv, struct jw *w, const struct tc_json_msg *m);
};

/* Logging, libosmo-sigtran and the VTY nodes of every layer. Once per process,
 * before anything else; app_name names the VTY and the log. */
struct ss7_stack *ss7_stack_alloc(void *ctx, const char *app_name, const struct ss7_stack_ops *ops,
				  void *priv);

/* Read the configuration file and start the layers (the link connects from the
 * select loop). vty_port < 0: the default telnet port (4270), 0: no telnet VTY.
 * 0, or -1 with a one-line reason in err: the configuration is bad. */
int ss7_stack_start(struct ss7_stack *s, const char *file, int vty_port, char *err, size_t errsz);

/* Stop: the link's associations close; dialogues are dropped without a word. */
void ss7_stack_stop(struct ss7_stack *s);

struct tc_json *ss7_stack_tc(struct ss7_stack *s);
struct tcap_ctx *ss7_stack_tcap(struct ss7_stack *s);
struct sccp_node *ss7_stack_sccp(struct ss7_stack *s);
struct m3ua_link *ss7_stack_link(struct ss7_stack *s);
bool ss7_stack_link_up(const struct ss7_stack *s);
/* The MTP routing label of the message being received and when its M3UA DATA came in
 * (microseconds since the epoch), while its indications run up the stack; false outside
 * of that (a timer, a request). */
bool ss7_stack_rx_label(const struct ss7_stack *s, uint32_t *opc, uint32_t *dpc, uint64_t *rx_us);

/* One JSON line with every layer's counters. */
void ss7_stack_print_counters(struct ss7_stack *s, FILE *f);
/* ,"layer":{"name":value,...} of one counter group (nothing for NULL), for such lines */
struct rate_ctr_group;
void ss7_print_ctr_group(FILE *f, const char *layer, struct rate_ctr_group *g);
/* Other ops from here on (before the select loop runs) */
void ss7_stack_set_ops(struct ss7_stack *s, const struct ss7_stack_ops *ops, void *priv);
