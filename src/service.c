/*
 * `ss7gw run` on NATS (docs/nats.md): the gateway core (src/core/gw.h) standing on the NATS
 * adapter (src/nats). Dialogue events go out, applications' answers and requests come in,
 * dialogue state goes to JetStream KV. Here also: the gateway's own lines of the "nats"
 * and "kv" sections, "show gateway", and the drain on SIGTERM.
 *
 * Everything runs on the main thread; the adapter hands nats.c's callbacks over to it.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <osmocom/core/logging.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>

#include <ss7gw/codec.h>
#include <ss7gw/vty_nodes.h>

#include "gw.h"
#include "m3ua_link.h"
#include "nats_bus.h"
#include "nats_kv.h"
#include "service.h"
#include "ss7_stack.h"
#include "tcap.h"

enum { SUB_REQUESTS = 1 };

struct service {
	struct ss7_stack *stack;
	struct nats_bus *bus;
	struct nats_kv *kv;
	struct gw *gw;
};

/* the configuration the VTY edits (one service per process) */
static struct nats_bus_cfg g_nats_cfg;
static struct nats_kv_cfg g_kv_cfg;
static struct gw_cfg g_gw_cfg;
static bool g_kv_on = true;
static uint32_t g_drain_ms = 5000;
static struct service *g_svc;	/* for "show gateway" */

/* --- the bus the core sees ------------------------------------------------------------ */

static int bus_publish(void *priv, const char *subject, const char *data, size_t len)
{
	struct service *svc = priv;

	return nats_bus_publish(svc->bus, subject, NULL, 0, data, len);
}

static int bus_request(void *priv, const char *subject, const char *data, size_t len, uint64_t token)
{
	struct service *svc = priv;

	return nats_bus_request(svc->bus, subject, data, len, token);
}

static int bus_respond(void *priv, const char *reply_to, const char *data, size_t len)
{
	struct service *svc = priv;

	return nats_bus_respond(svc->bus, reply_to, data, len);
}

static int bus_kv_put(void *priv, const char *key, const char *data, size_t len, uint64_t expect_rev,
		      uint64_t token)
{
	struct service *svc = priv;

	return nats_kv_put(svc->kv, key, data, len, expect_rev, token);
}

static int bus_kv_delete(void *priv, const char *key, uint64_t token)
{
	struct service *svc = priv;

	return nats_kv_delete(svc->kv, key, token);
}

static const struct gw_bus_ops bus_ops = {
	.publish = bus_publish,
	.request = bus_request,
	.respond = bus_respond,
	.kv_put = bus_kv_put,
	.kv_delete = bus_kv_delete,
};

/* without a KV bucket ("kv" / "dialogue-state off") nothing is written */
static const struct gw_bus_ops bus_ops_no_kv = {
	.publish = bus_publish,
	.request = bus_request,
	.respond = bus_respond,
};

/* --- what the adapter brings back ----------------------------------------------------- */

static void on_msg(void *priv, unsigned int sub_tag, const char *subject, const char *reply,
		   const char *data, size_t len)
{
	struct service *svc = priv;

	if (sub_tag == SUB_REQUESTS && svc->gw)
		gw_request(svc->gw, subject, reply, data, len);
}

static void on_reply(void *priv, uint64_t token, int status, const char *data, size_t len)
{
	struct service *svc = priv;

	if (svc->gw)
		gw_answer(svc->gw, token, status, data, len);
}

static void on_conn_state(void *priv, bool up)
{
	LOGP(DLGLOBAL, up ? LOGL_NOTICE : LOGL_ERROR, "NATS connection %s\n",
	     up ? "up again: buffered events go out now" :
		  "lost: SS7 goes on, answers get their defaults, events wait in the publish buffer");
	(void)priv;
}

static void on_kv_ack(void *priv, uint64_t token, int status, uint64_t rev)
{
	struct service *svc = priv;

	if (svc->gw)
		gw_kv_ack(svc->gw, token, status, rev);
}

static void on_kv_value(void *priv, uint64_t token, int status, const void *data, size_t len, uint64_t rev)
{
	/* the gateway reads nothing back yet (takeover: the HA issue) */
	(void)priv, (void)token, (void)status, (void)data, (void)len, (void)rev;
}

static const struct nats_bus_ops nats_ops = {
	.msg = on_msg,
	.reply = on_reply,
	.conn_state = on_conn_state,
	.kv_ack = on_kv_ack,
	.kv_value = on_kv_value,
};

/* --- the SS7 stack's events go to the core -------------------------------------------- */

/* the stack exists before the service: g_svc is set once the core is there */
static void stack_event(void *priv, const char *json, size_t len)
{
	struct service *svc = g_svc;

	(void)priv;
	if (svc)
		gw_event(svc->gw, json, len);
}

static void stack_envelope(void *priv, struct jw *w, const struct tc_json_msg *m)
{
	struct service *svc = g_svc;

	(void)priv;
	if (svc)
		gw_envelope(svc->gw, w, m);
}

const struct ss7_stack_ops service_stack_ops = {
	.event = stack_event,
	.envelope = stack_envelope,
};

/* --- the gateway's lines of the "nats" and "kv" sections ------------------------------ */

#define ACTION_WHEN_STR "When an application does not answer in time or has no responders\n" \
	"When an application's answer cannot be carried out\n" \
	"When max-waiting dialogues wait already\n"

static struct gw_action *action_of(const char *when)
{
	if (!strcmp(when, "timeout"))
		return &g_gw_cfg.on_timeout;
	if (!strcmp(when, "bad-answer"))
		return &g_gw_cfg.on_bad_answer;
	return &g_gw_cfg.on_overload;
}

/* a name both MAP and CAP may use: it must be known to one of them */
static bool known_error(const char *name)
{
	return ss7_codec_error_code(SS7_CODEC_MAP, name) >= 0 || ss7_codec_error_code(SS7_CODEC_CAP, name) >= 0;
}

static bool known_op(const char *name)
{
	return ss7_codec_op_code(SS7_CODEC_MAP, name) >= 0 || ss7_codec_op_code(SS7_CODEC_CAP, name) >= 0;
}

DEFUN(cfg_answer_timeout, cfg_answer_timeout_cmd, "answer-timeout <10-600000>",
      "How long a dialogue waits for an application's answer\n" "Milliseconds\n")
{
	g_gw_cfg.answer_timeout_ms = atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_op_timeout, cfg_op_timeout_cmd, "answer-timeout operation NAME <10-600000>",
      "How long a dialogue waits for an application's answer\n" "For one operation\n"
      "Operation name (MAP or CAP), e.g. sendRoutingInfoForSM\n" "Milliseconds\n")
{
	unsigned int i;

	if (!known_op(argv[0])) {
		vty_out(vty, "%% unknown operation '%s' (MAP and CAP names as in docs/json.md)%s", argv[0],
			VTY_NEWLINE);
		return CMD_WARNING;
	}
	for (i = 0; i < g_gw_cfg.n_op_timeouts; i++)
		if (!strcmp(g_gw_cfg.op_timeout[i].op, argv[0]))
			break;
	if (i == GW_MAX_OP_TIMEOUTS) {
		vty_out(vty, "%% at most %d operation timeouts%s", GW_MAX_OP_TIMEOUTS, VTY_NEWLINE);
		return CMD_WARNING;
	}
	OSMO_STRLCPY_ARRAY(g_gw_cfg.op_timeout[i].op, argv[0]);
	g_gw_cfg.op_timeout[i].ms = atoi(argv[1]);
	if (i == g_gw_cfg.n_op_timeouts)
		g_gw_cfg.n_op_timeouts++;
	return CMD_SUCCESS;
}

DEFUN(cfg_no_op_timeout, cfg_no_op_timeout_cmd, "no answer-timeout operation NAME",
      NO_STR "How long a dialogue waits for an application's answer\n" "For one operation\n"
      "Operation name\n")
{
	unsigned int i;

	for (i = 0; i < g_gw_cfg.n_op_timeouts; i++) {
		if (strcmp(g_gw_cfg.op_timeout[i].op, argv[0]))
			continue;
		g_gw_cfg.op_timeout[i] = g_gw_cfg.op_timeout[--g_gw_cfg.n_op_timeouts];
		return CMD_SUCCESS;
	}
	vty_out(vty, "%% no timeout for operation '%s'%s", argv[0], VTY_NEWLINE);
	return CMD_WARNING;
}

DEFUN(cfg_action_error, cfg_action_error_cmd, "default-action (timeout|bad-answer|overload) error NAME",
      "What the gateway sends on the dialogue by itself\n" ACTION_WHEN_STR
      "A ReturnError on the invoke, then End\n" "Error name, e.g. systemFailure\n")
{
	struct gw_action *a = action_of(argv[0]);

	if (!known_error(argv[1])) {
		vty_out(vty, "%% unknown error '%s' (MAP and CAP names, e.g. systemFailure)%s", argv[1],
			VTY_NEWLINE);
		return CMD_WARNING;
	}
	a->kind = GW_ACT_ERROR;
	OSMO_STRLCPY_ARRAY(a->error, argv[1]);
	return CMD_SUCCESS;
}

DEFUN(cfg_action_other, cfg_action_other_cmd, "default-action (timeout|bad-answer|overload) (reject|abort)",
      "What the gateway sends on the dialogue by itself\n" ACTION_WHEN_STR
      "A Reject of the invoke, then End\n" "A U-ABORT of the dialogue\n")
{
	struct gw_action *a = action_of(argv[0]);

	a->kind = argv[1][0] == 'r' ? GW_ACT_REJECT : GW_ACT_ABORT;
	a->error[0] = '\0';
	return CMD_SUCCESS;
}

DEFUN(cfg_max_waiting, cfg_max_waiting_cmd, "max-waiting <1-1000000>",
      "Dialogues that may wait for an application at once: beyond, the overload default\n"
      "Dialogues\n")
{
	g_gw_cfg.max_waiting = atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_max_dialogues, cfg_max_dialogues_cmd, "max-dialogues <1-10000000>",
      "Dialogues the gateway keeps at once (every kind): beyond, the overload default\n"
      "Dialogues\n")
{
	g_gw_cfg.max_dialogues = atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_drain_timeout, cfg_drain_timeout_cmd, "drain-timeout <0-600000>",
      "On SIGTERM: how long open dialogues may take to finish before they are left in KV\n"
      "Milliseconds\n")
{
	g_drain_ms = atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_kv_state, cfg_kv_state_cmd, "dialogue-state (on|off)",
      "Keep the state of waiting dialogues in the bucket\n" "Yes (the default)\n"
      "No: no bucket is opened\n")
{
	g_kv_on = argv[0][1] == 'n';
	return CMD_SUCCESS;
}

DEFUN(cfg_kv_delay, cfg_kv_delay_cmd, "write-delay <0-60000>",
      "A dialogue is written once it stayed unchanged this long (one that ends sooner never is)\n"
      "Milliseconds\n")
{
	g_gw_cfg.kv_write_delay_ms = atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_kv_write_retries, cfg_kv_write_retries_cmd, "write-retries <0-100>",
      "A write that failed is tried again this often, then counted as lost\n" "Retries\n")
{
	g_gw_cfg.kv_retries = atoi(argv[0]);
	return CMD_SUCCESS;
}

static void write_action(struct vty *vty, const char *when, const struct gw_action *a)
{
	if (a->kind == GW_ACT_ERROR)
		vty_out(vty, " default-action %s error %s%s", when, a->error, VTY_NEWLINE);
	else
		vty_out(vty, " default-action %s %s%s", when, a->kind == GW_ACT_REJECT ? "reject" : "abort",
			VTY_NEWLINE);
}

static int write_nats_lines(struct vty *vty)
{
	unsigned int i;

	vty_out(vty, " answer-timeout %u%s", g_gw_cfg.answer_timeout_ms, VTY_NEWLINE);
	for (i = 0; i < g_gw_cfg.n_op_timeouts; i++)
		vty_out(vty, " answer-timeout operation %s %u%s", g_gw_cfg.op_timeout[i].op,
			g_gw_cfg.op_timeout[i].ms, VTY_NEWLINE);
	write_action(vty, "timeout", &g_gw_cfg.on_timeout);
	write_action(vty, "bad-answer", &g_gw_cfg.on_bad_answer);
	write_action(vty, "overload", &g_gw_cfg.on_overload);
	vty_out(vty, " max-waiting %u%s", g_gw_cfg.max_waiting, VTY_NEWLINE);
	vty_out(vty, " max-dialogues %u%s", g_gw_cfg.max_dialogues, VTY_NEWLINE);
	vty_out(vty, " drain-timeout %u%s", g_drain_ms, VTY_NEWLINE);
	return CMD_SUCCESS;
}

static int write_kv_lines(struct vty *vty)
{
	vty_out(vty, " dialogue-state %s%s", g_kv_on ? "on" : "off", VTY_NEWLINE);
	vty_out(vty, " write-delay %u%s", g_gw_cfg.kv_write_delay_ms, VTY_NEWLINE);
	vty_out(vty, " write-retries %u%s", g_gw_cfg.kv_retries, VTY_NEWLINE);
	return CMD_SUCCESS;
}

DEFUN(show_gateway, show_gateway_cmd, "show gateway",
      SHOW_STR "The gateway's dialogues: by kind, waiting, in KV, the oldest; by instance\n")
{
	struct gw_dialogue_stats st;
	struct tcap_dlg_states ts;
	unsigned int bits, id;

	if (!g_svc || !g_svc->gw) {
		vty_out(vty, "%% the gateway does not run on NATS%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	gw_dialogue_stats(g_svc->gw, &st);
	tcap_ctx_get_instance(ss7_stack_tcap(g_svc->stack), &bits, &id);
	vty_out(vty, "instance %u (%u bits of the transaction id), subject prefix %s%s", id, bits,
		nats_bus_subject_prefix(g_svc->bus), VTY_NEWLINE);
	tcap_ctx_dialogue_states(ss7_stack_tcap(g_svc->stack), &ts);
	vty_out(vty, "TCAP dialogues alive: %u (initiation-sent %u, initiation-received %u, active %u, idle %u)%s",
		tcap_ctx_dialogues(ss7_stack_tcap(g_svc->stack)), ts.initiation_sent, ts.initiation_received,
		ts.active, ts.idle, VTY_NEWLINE);
	vty_out(vty, "gateway dialogues: %u (network-begun %u, application requests %u, raw tc-json %u)%s",
		st.total, st.by_role[0], st.by_role[1], st.by_role[2], VTY_NEWLINE);
	vty_out(vty, "  waiting for an application: %u (max-waiting %u)%s", st.waiting, g_gw_cfg.max_waiting,
		VTY_NEWLINE);
	vty_out(vty, "  state in KV: %u written, %u writes in flight%s", st.kv_written, st.kv_inflight,
		VTY_NEWLINE);
	if (st.oldest_id)
		vty_out(vty, "  oldest: %08x, open for %llu ms%s", st.oldest_id,
			(unsigned long long)st.oldest_age_ms, VTY_NEWLINE);
	/* every dialogue this process keeps is its own until the HA issue adopts others' */
	vty_out(vty, "  by instance: %u: %u%s", id, st.total, VTY_NEWLINE);
	return CMD_SUCCESS;
}

void service_vty_init(void *ctx)
{
	nats_bus_cfg_init(&g_nats_cfg);
	nats_kv_cfg_init(&g_kv_cfg);
	gw_cfg_defaults(&g_gw_cfg);
	nats_vty_init(ctx, &g_nats_cfg);
	nats_kv_vty_init(&g_kv_cfg);
	nats_vty_set_cfg_writers(write_nats_lines, write_kv_lines);
	install_element(SS7GW_NATS_NODE, &cfg_answer_timeout_cmd);
	install_element(SS7GW_NATS_NODE, &cfg_op_timeout_cmd);
	install_element(SS7GW_NATS_NODE, &cfg_no_op_timeout_cmd);
	install_element(SS7GW_NATS_NODE, &cfg_action_error_cmd);
	install_element(SS7GW_NATS_NODE, &cfg_action_other_cmd);
	install_element(SS7GW_NATS_NODE, &cfg_max_waiting_cmd);
	install_element(SS7GW_NATS_NODE, &cfg_max_dialogues_cmd);
	install_element(SS7GW_NATS_NODE, &cfg_drain_timeout_cmd);
	install_element(SS7GW_KV_NODE, &cfg_kv_state_cmd);
	install_element(SS7GW_KV_NODE, &cfg_kv_delay_cmd);
	install_element(SS7GW_KV_NODE, &cfg_kv_write_retries_cmd);
	install_element_ve(&show_gateway_cmd);
}

bool service_configured(void)
{
	return g_nats_cfg.configured;
}

/* --- start, serve, drain -------------------------------------------------------------- */

static bool rx_label(void *priv, uint32_t *opc, uint32_t *dpc, uint64_t *rx_us)
{
	return ss7_stack_rx_label(priv, opc, dpc, rx_us);
}

struct service *service_start(void *ctx, struct ss7_stack *stack, char *err, size_t errsz)
{
	struct service *svc = talloc_zero(ctx, struct service);
	struct gw_stack gs = {
		.tc = ss7_stack_tc(stack),
		.tcap = ss7_stack_tcap(stack),
		.rx_label = rx_label,
		.priv = stack,
	};
	const char *group;
	char subject[96];

	svc->stack = stack;
	svc->bus = nats_bus_open(svc, &g_nats_cfg, &nats_ops, svc, err, errsz);
	if (!svc->bus)
		goto fail;
	if (g_kv_on) {
		svc->kv = nats_kv_open(svc->bus, &g_kv_cfg, err, errsz);
		if (!svc->kv)
			goto fail;
	}
	OSMO_STRLCPY_ARRAY(g_gw_cfg.prefix, g_nats_cfg.subject_prefix);
	svc->gw = gw_alloc(svc, &g_gw_cfg, &gs, svc->kv ? &bus_ops : &bus_ops_no_kv, svc);
	if (!svc->gw) {
		snprintf(err, errsz, "cannot allocate the gateway core");
		goto fail;
	}
	group = nats_bus_qgroup(svc->bus, "requests");
	snprintf(subject, sizeof(subject), "%s.request.>", g_nats_cfg.subject_prefix);
	if (nats_bus_subscribe(svc->bus, subject, group, SUB_REQUESTS) < 0) {
		snprintf(err, errsz, "cannot subscribe to %s in queue group %s", subject, group ? group : "-");
		goto fail;
	}
	nats_vty_set_bus(svc->bus);
	nats_kv_vty_set(svc->kv);
	g_svc = svc;
	LOGP(DLGLOBAL, LOGL_NOTICE, "on NATS: events on %s.event.>, requests on %s in queue group %s, "
	     "dialogue state %s\n", g_nats_cfg.subject_prefix, subject, group ? group : "-",
	     svc->kv ? g_kv_cfg.bucket : "not kept");
	return svc;
fail:
	service_free(svc, 0);
	return NULL;
}

/* Run the select loop until pred() holds or the deadline passes; true if it holds. */
static bool serve_until(struct service *svc, bool (*pred)(struct service *), uint64_t ms)
{
	uint64_t end = gw_now_ms() + ms;

	while (!pred(svc)) {
		if (gw_now_ms() >= end)
			return false;
		osmo_select_main(1);	/* polls: the 1 ms wait below keeps it from spinning */
		usleep(1000);
	}
	return true;
}

static bool no_dialogues(struct service *svc)
{
	return !gw_dialogues(svc->gw) && !tcap_ctx_dialogues(ss7_stack_tcap(svc->stack));
}

static bool kv_settled(struct service *svc)
{
	struct gw_dialogue_stats st;

	gw_dialogue_stats(svc->gw, &st);
	return !st.kv_inflight && !nats_kv_pending(svc->kv);
}

static bool link_quiet(struct service *svc)
{
	return !ss7_stack_link_up(svc->stack);
}

int service_drain(struct service *svc)
{
	struct gw_dialogue_stats st;
	bool done;

	/* 1. no new dialogues: requests go to the other instances of the queue group, a
	 *    network begin gets the overload default; open dialogues go on */
	LOGP(DLGLOBAL, LOGL_NOTICE, "draining: no new dialogues, open ones get %u ms\n", g_drain_ms);
	nats_bus_unsubscribe(svc->bus, SUB_REQUESTS);
	gw_drain(svc->gw);
	done = serve_until(svc, no_dialogues, g_drain_ms);
	gw_dialogue_stats(svc->gw, &st);
	/* 2. what is still open goes to KV, for another instance to continue (the HA issue) */
	if (!done && svc->kv) {
		LOGP(DLGLOBAL, LOGL_NOTICE, "drain: %u dialogues still open: writing them to KV\n", st.total);
		gw_kv_flush(svc->gw);
		if (!serve_until(svc, kv_settled, nats_kv_get_cfg(svc->kv)->timeout_ms + 500))
			LOGP(DLGLOBAL, LOGL_ERROR, "drain: KV writes still unanswered at exit\n");
	}
	/* 3. the ASPs go inactive: the signalling gateway sends nothing more to us */
	m3ua_link_drain(ss7_stack_link(svc->stack));
	serve_until(svc, link_quiet, 1000);
	return done ? 0 : (int)st.total;
}

void service_print_counters(struct service *svc, FILE *f)
{
	fputs("{\"event\":\"counters\"", f);
	ss7_print_ctr_group(f, "gw", gw_ctrs(svc->gw));
	ss7_print_ctr_group(f, "nats", nats_bus_ctrs(svc->bus));
	if (svc->kv)
		ss7_print_ctr_group(f, "kv", nats_kv_ctrs(svc->kv));
	fputs("}\n", f);
	fflush(f);
}

void service_lib_exit(void)
{
	nats_bus_lib_exit();
}

void service_free(struct service *svc, int flush_timeout_ms)
{
	if (!svc)
		return;
	if (g_svc == svc) {
		g_svc = NULL;
		nats_vty_set_bus(NULL);
		nats_kv_vty_set(NULL);
	}
	gw_free(svc->gw);
	svc->gw = NULL;
	nats_kv_close(svc->kv);
	svc->kv = NULL;
	nats_bus_close(svc->bus, flush_timeout_ms);
	svc->bus = NULL;
	talloc_free(svc);
}
