/*
 * ss7_stack.h: the layers wired as Q.711-Q.771 stack them. MTP-TRANSFER indications
 * go up into the SCCP node, N-UNITDATA for our subsystems into the TCAP entity, TC
 * indications into the JSON TC-user; requests come down the same way. Network state
 * (link, point codes, subsystems) is reported as JSON events beside the dialogues.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/msgb.h>
#include <osmocom/core/rate_ctr.h>
#include <osmocom/core/stats.h>
#include <osmocom/core/talloc.h>
#include <osmocom/sigtran/osmo_ss7.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/logging.h>
#include <osmocom/vty/stats.h>
#include <osmocom/vty/telnet_interface.h>
#include <osmocom/vty/vty.h>

#include "m3ua_capture.h"
#include "m3ua_link.h"
#include "sccp_node.h"
#include "sccp_vty.h"
#include "tcap.h"
#include "tc_json.h"
#include "ss7_stack.h"

enum { DM3UALINK, DSCCPGW, DSTACK };
enum { STACK_VTY_PORT = 4270 };		/* not used by any Osmocom program */

static const struct log_info_cat log_cats[] = {
	[DM3UALINK] = { .name = "DM3UALINK", .description = "The gateway's M3UA link",
			.enabled = 1, .loglevel = LOGL_NOTICE },
	[DSCCPGW] = SCCP_NODE_LOG_CAT,
	[DSTACK] = { .name = "DSTACK", .description = "The stack's wiring and network events",
		     .enabled = 1, .loglevel = LOGL_NOTICE },
};
static const struct log_info log_info = { .cat = log_cats, .num_cat = ARRAY_SIZE(log_cats) };

struct ss7_stack {
	const struct ss7_stack_ops *ops;
	void *priv;
	struct m3ua_link_cfg link_cfg;
	struct sccp_node_cfg *sccp_cfg;
	struct m3ua_link *link;
	struct sccp_node *sccp;
	struct tcap_ctx *tcap;
	struct tc_json *tc;
	struct osmo_ss7_instance *inst;
	bool link_up;
	bool rx_label;			/* a received message is on its way up: */
	uint32_t rx_opc, rx_dpc;	/* its routing label */
	uint64_t rx_us;			/* when the M3UA DATA came in (CLOCK_REALTIME) */
	bool telnet;			/* the telnet VTY listens */
	/* N-NOTICEs for our own requests wait for the select loop: the request that
	 * caused one has not returned yet, so its dialogue is not there to tell */
	bool in_request;
	struct llist_head notices;
	struct osmo_timer_list notice_timer;
	char line[160];
};

static struct vty_app_info vty_info = {
	.version = "0",
	.go_parent_cb = osmo_ss7_vty_go_parent,
};

static void emit(struct ss7_stack *s, int n)
{
	if (n > 0 && (size_t)n < sizeof(s->line))
		s->ops->event(s->priv, s->line, (size_t)n);
}

static const char *pc_text(struct ss7_stack *s, uint32_t pc)
{
	return s->inst ? osmo_ss7_pointcode_print(s->inst, pc) : sccp_pc_str(pc);
}

/* --- M3UA link -> SCCP ---------------------------------------------------- */

static void link_transfer_ind(void *priv, uint32_t opc, uint32_t dpc, uint8_t sls,
			      const uint8_t *data, size_t len)
{
	struct ss7_stack *s = priv;

	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	s->rx_us = (uint64_t)now.tv_sec * 1000000 + (uint64_t)now.tv_nsec / 1000;
	s->rx_label = true;
	s->rx_opc = opc;
	s->rx_dpc = dpc;
	sccp_node_mtp_transfer_ind(s->sccp, opc, dpc, sls, data, len);
	s->rx_label = false;
}

static void link_pc_state(void *priv, uint32_t pc, enum m3ua_pc_state state)
{
	struct ss7_stack *s = priv;

	switch (state) {
	case M3UA_PC_AVAILABLE:
		sccp_node_mtp_resume(s->sccp, pc);
		break;
	case M3UA_PC_UNAVAILABLE:
		sccp_node_mtp_pause(s->sccp, pc);
		break;
	case M3UA_PC_CONGESTED:
		sccp_node_mtp_congested(s->sccp, pc);
		break;
	}
}

static void link_state(void *priv, bool up)
{
	struct ss7_stack *s = priv;

	s->link_up = up;
	LOGP(DSTACK, LOGL_NOTICE, "link %s\n", up ? "up" : "down");
	emit(s, snprintf(s->line, sizeof(s->line), "{\"event\":\"link\",\"state\":\"%s\"}", up ? "up" : "down"));
}

static const struct m3ua_link_ops link_ops = {
	.transfer_ind = link_transfer_ind,
	.pc_state = link_pc_state,
	.link_state = link_state,
};

/* --- SCCP -> link, SCCP -> TCAP ------------------------------------------- */

static int sccp_mtp_transfer_req(void *priv, uint32_t dpc, uint8_t sls, const uint8_t *data, size_t len)
{
	struct ss7_stack *s = priv;
	int rc = m3ua_link_transfer_req(s->link, dpc, sls, data, len);

	/* no active AS: for SCCP that is an MTP failure like an unreachable DPC */
	return rc == -ENETDOWN ? -EHOSTUNREACH : rc;
}

static void sccp_n_unitdata_ind(void *priv, uint8_t ssn, const struct sccp_msg *msg)
{
	struct ss7_stack *s = priv;

	tcap_n_unitdata_ind(s->tcap, &msg->called, &msg->calling, msg->data, msg->data_len);
}

struct deferred_notice {
	struct llist_head list;
	struct sccp_addr called, calling;
	uint8_t cause;
	size_t len;
	uint8_t data[];
};

static void deferred_notices_cb(void *priv)
{
	struct ss7_stack *s = priv;
	struct deferred_notice *n;

	while ((n = llist_first_entry_or_null(&s->notices, struct deferred_notice, list))) {
		llist_del(&n->list);
		tcap_n_notice_ind(s->tcap, &n->called, &n->calling, n->data, n->len, n->cause);
		talloc_free(n);
	}
}

static void sccp_n_notice_ind(void *priv, uint8_t ssn, uint8_t cause, const struct sccp_msg *msg)
{
	struct ss7_stack *s = priv;
	struct deferred_notice *n;

	if (!s->in_request) {
		tcap_n_notice_ind(s->tcap, &msg->called, &msg->calling, msg->data, msg->data_len, cause);
		return;
	}
	n = talloc_size(s, sizeof(*n) + msg->data_len);
	if (!n)
		return;
	n->called = msg->called;
	n->calling = msg->calling;
	n->cause = cause;
	n->len = msg->data_len;
	memcpy(n->data, msg->data, msg->data_len);
	llist_add_tail(&n->list, &s->notices);
	osmo_timer_schedule(&s->notice_timer, 0, 0);
}

static void sccp_n_state_ind(void *priv, uint32_t pc, uint8_t ssn, bool allowed)
{
	struct ss7_stack *s = priv;

	emit(s, snprintf(s->line, sizeof(s->line), "{\"event\":\"ssn\",\"pc\":\"%s\",\"ssn\":%u,\"state\":\"%s\"}",
			 pc_text(s, pc), ssn, allowed ? "allowed" : "prohibited"));
}

static void sccp_n_pcstate_ind(void *priv, uint32_t pc, enum sccp_pc_state state)
{
	struct ss7_stack *s = priv;

	emit(s, snprintf(s->line, sizeof(s->line), "{\"event\":\"pc\",\"pc\":\"%s\",\"state\":\"%s\"}",
			 pc_text(s, pc), get_value_string(sccp_pc_state_names, state)));
}

static const struct sccp_node_ops sccp_ops = {
	.mtp_transfer_req = sccp_mtp_transfer_req,
	.n_unitdata_ind = sccp_n_unitdata_ind,
	.n_notice_ind = sccp_n_notice_ind,
	.n_state_ind = sccp_n_state_ind,
	.n_pcstate_ind = sccp_n_pcstate_ind,
};

/* --- TCAP -> SCCP, TCAP -> JSON ------------------------------------------- */

static int tcap_n_unitdata_req(void *priv, const struct sccp_addr *called, const struct sccp_addr *calling,
			       const uint8_t *data, size_t len, uint8_t proto_class, bool return_on_error,
			       uint32_t seq_ctrl)
{
	struct ss7_stack *s = priv;
	struct sccp_unitdata_req req = {
		.called = *called, .calling = *calling, .data = data, .data_len = len,
		.proto_class = proto_class, .return_option = return_on_error, .seq_ctrl = seq_ctrl,
	};
	int rc;

	if (!s->sccp)
		return -ENETDOWN;	/* stopped */
	s->in_request = true;
	rc = sccp_node_n_unitdata_req(s->sccp, &req);
	s->in_request = false;
	/* not routable, but with the return option: the N-NOTICE tells the dialogue */
	if (return_on_error && sccp_node_rc_cause(rc) >= 0)
		return 0;
	return rc;
}

static void tcap_tc_ind(void *priv, const struct tc_ind *ind)
{
	struct ss7_stack *s = priv;

	tc_json_tc_ind(s->tc, ind);
}

static const struct tcap_ops tcap_ops = {
	.n_unitdata_req = tcap_n_unitdata_req,
	.tc_ind = tcap_tc_ind,
};

static void tc_event(void *priv, const char *json, size_t len)
{
	struct ss7_stack *s = priv;

	s->ops->event(s->priv, json, len);
}

static void tc_envelope(void *priv, struct jw *w, const struct tc_json_msg *m)
{
	struct ss7_stack *s = priv;

	if (s->ops->envelope)
		s->ops->envelope(s->priv, w, m);
}

static const struct tc_json_ops tc_ops = { .event = tc_event, .envelope = tc_envelope };

/* --- life cycle ------------------------------------------------------------ */

struct ss7_stack *ss7_stack_alloc(void *ctx, const char *app_name, const struct ss7_stack_ops *ops, void *priv)
{
	struct ss7_stack *s = talloc_zero(ctx, struct ss7_stack);
	struct tcap_cfg tcfg = { 0 };

	if (!s)
		return NULL;
	s->ops = ops;
	s->priv = priv;
	s->link_cfg.send_queue = 4096;
	INIT_LLIST_HEAD(&s->notices);
	osmo_timer_setup(&s->notice_timer, deferred_notices_cb, s);

	/* the order libosmo-sigtran 1.6.0 needs: logging, then the SS7 core, then the VTY */
	msgb_talloc_ctx_init(ctx, 0);
	osmo_init_logging2(ctx, &log_info);
	log_set_print_category(osmo_stderr_target, 1);
	log_set_print_level(osmo_stderr_target, 1);
	log_set_print_filename2(osmo_stderr_target, LOG_FILENAME_NONE);
	log_set_use_color(osmo_stderr_target, 0);
	m3ua_link_set_log_subsys(DM3UALINK);
	sccp_node_log_ss = DSCCPGW;
	if (osmo_ss7_init() < 0)
		return NULL;
	vty_info.name = app_name;
	vty_info.tall_ctx = ctx;
	vty_init(&vty_info);
	logging_vty_add_cmds();
	/* counters out through libosmocore's stats reporters ("stats reporter statsd|log") */
	osmo_stats_init(ctx);
	osmo_stats_vty_add_cmds();
	osmo_ss7_vty_init_asp(ctx);
	m3ua_link_vty_init(s, &s->link_cfg);
	s->sccp_cfg = sccp_node_cfg_alloc(s);
	if (!s->sccp_cfg)
		return NULL;
	sccp_vty_init(s->sccp_cfg);
	/* the TCAP entity exists before the configuration: its section edits it */
	s->tcap = tcap_ctx_alloc(s, &tcfg, &tcap_ops, s);
	if (!s->tcap)
		return NULL;
	tcap_vty_init(s->tcap);
	s->tc = tc_json_alloc(s, s->tcap, &tc_ops, s);
	return s->tc ? s : NULL;
}

/* The calling address TCAP uses when a request gives none: our first GT (with its
 * SSN, or our first SSN), else our PC and first SSN. */
static void default_calling(const struct sccp_node_cfg *cfg, struct sccp_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (cfg->num_gt) {
		*a = cfg->gt[0].gt;
		a->route_on_ssn = false;
	} else {
		a->route_on_ssn = true;
		a->present |= SCCP_ADDR_PC;
		a->pc = (uint16_t)cfg->pc;
	}
	if (cfg->num_gt && cfg->gt[0].ssn) {
		a->present |= SCCP_ADDR_SSN;
		a->ssn = cfg->gt[0].ssn;
	} else if (cfg->num_ssn) {
		a->present |= SCCP_ADDR_SSN;
		a->ssn = cfg->ssn[0];
	}
}

/* Production runs M3UA over kernel SCTP. Without it libosmo-sigtran only repeats
 * "Unable to create socket" every few seconds: say it once, with the remedies. */
static int sctp_available(char *err, size_t errsz)
{
	int fd = socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP);

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (errno != EPROTONOSUPPORT && errno != ESOCKTNOSUPPORT && errno != EAFNOSUPPORT)
		return 0;	/* some other trouble: the library's own lines will say */
	snprintf(err, errsz, "this host has no kernel SCTP (%s): load it ('modprobe sctp'), or carry "
		 "M3UA over TCP with LD_PRELOAD=libsctp2tcp.so (docs/sctp-over-tcp.md)", strerror(errno));
	return -1;
}

int ss7_stack_start(struct ss7_stack *s, const char *file, int vty_port, char *err, size_t errsz)
{
	struct sccp_addr local;
	int rc;

	if (access(file, R_OK) < 0)
		return snprintf(err, errsz, "%s: bad configuration file (cannot open it: %s)", file,
				strerror(errno)), -1;
	/* before the file is read: the asps it configures would try their sockets at once */
	if (sctp_available(err, errsz))
		return -1;

	rc = vty_read_config_file(file, NULL);
	if (rc < 0)
		return snprintf(err, errsz, "%s: bad configuration file (%s)", file,
				rc == -ENOENT ? "cannot open it" : "the lines above say where"), -1;
	s->inst = osmo_ss7_instance_find(0);
	if (!s->inst || llist_empty(&s->inst->asp_list))
		return snprintf(err, errsz, "%s: bad configuration file (no cs7 instance 0 with an asp)", file), -1;
	if (!s->sccp_cfg->pc)
		s->sccp_cfg->pc = s->inst->cfg.primary_pc;
	if (!s->sccp_cfg->num_ssn)
		return snprintf(err, errsz, "%s: bad configuration file (sccp-node serves no ssn)", file), -1;
	s->sccp = sccp_node_alloc(s, s->sccp_cfg, &sccp_ops, s);
	if (!s->sccp)
		return snprintf(err, errsz, "%s: bad configuration file (the sccp-node section, see above)", file), -1;
	sccp_vty_set_node(s->sccp);
	default_calling(s->sccp_cfg, &local);
	tc_json_set_calling(s->tc, &local);
	s->link = m3ua_link_create(s, s->inst, &s->link_cfg, &link_ops, s);
	if (!s->link)
		return snprintf(err, errsz, "%s: bad configuration file (the m3ua link refused it, see above)",
				file), -1;
	if (vty_port) {
		rc = vty_port > 0 ? telnet_init_dynif(s, NULL, vty_get_bind_addr(), vty_port)
				  : telnet_init_default(s, NULL, STACK_VTY_PORT);
		if (rc < 0)
			return snprintf(err, errsz, "cannot listen for the VTY on %s", vty_get_bind_addr()), -1;
		s->telnet = true;
	}
	return 0;
}

void ss7_stack_stop(struct ss7_stack *s)
{
	osmo_timer_del(&s->notice_timer);
	/* top down: nothing below calls up into a layer already gone */
	if (s->link)
		m3ua_link_destroy(s->link);
	s->link = NULL;
	m3ua_capture_stop();	/* what is buffered goes to the file */
	sccp_vty_set_node(NULL);
	sccp_node_free(s->sccp);
	s->sccp = NULL;
	if (s->telnet)
		telnet_exit();
	s->telnet = false;
}

void ss7_stack_set_ops(struct ss7_stack *s, const struct ss7_stack_ops *ops, void *priv)
{
	s->ops = ops;
	s->priv = priv;
}

struct tc_json *ss7_stack_tc(struct ss7_stack *s) { return s->tc; }
struct tcap_ctx *ss7_stack_tcap(struct ss7_stack *s) { return s->tcap; }
struct sccp_node *ss7_stack_sccp(struct ss7_stack *s) { return s->sccp; }
struct m3ua_link *ss7_stack_link(struct ss7_stack *s) { return s->link; }
bool ss7_stack_link_up(const struct ss7_stack *s) { return s->link_up; }

bool ss7_stack_rx_label(const struct ss7_stack *s, uint32_t *opc, uint32_t *dpc, uint64_t *rx_us)
{
	*rx_us = s->rx_us;
	*opc = s->rx_opc;
	*dpc = s->rx_dpc;
	return s->rx_label;
}

void ss7_print_ctr_group(FILE *f, const char *layer, struct rate_ctr_group *g)
{
	unsigned int i;

	if (!g)
		return;
	fprintf(f, ",\"%s\":{", layer);
	for (i = 0; i < g->desc->num_ctr; i++)
		fprintf(f, "%s\"%s\":%llu", i ? "," : "", g->desc->ctr_desc[i].name,
			(unsigned long long)rate_ctr_group_get_ctr(g, i)->current);
	fputc('}', f);
}

void ss7_stack_print_counters(struct ss7_stack *s, FILE *f)
{
	fputs("{\"event\":\"counters\"", f);
	if (s->link)
		ss7_print_ctr_group(f, "m3ua", m3ua_link_ctrs(s->link));
	ss7_print_ctr_group(f, "capture", m3ua_capture_ctrs());
	if (s->sccp)
		ss7_print_ctr_group(f, "sccp", sccp_node_ctrs(s->sccp));
	ss7_print_ctr_group(f, "tcap", tcap_ctx_ctrs(s->tcap));
	fputs("}\n", f);
	fflush(f);
}
