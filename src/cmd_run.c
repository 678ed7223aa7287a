/*
 * ss7gw run: the gateway service. Reads the configuration file, attaches to the network as
 * an M3UA ASP (src/m3ua) and runs the select loop. Until the SCCP node is wired on top, link
 * events are printed as JSON lines on stdout and received MTP-TRANSFERs are counted.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/msgb.h>
#include <osmocom/core/rate_ctr.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/sigtran/osmo_ss7.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/logging.h>
#include <osmocom/vty/telnet_interface.h>
#include <osmocom/vty/vty.h>

#include "cmd.h"
#include "m3ua_link.h"

enum { DM3UALINK };
enum { RUN_VTY_PORT = 4270 };	/* not used by any Osmocom program */

static const struct log_info_cat run_log_cat[] = {
	[DM3UALINK] = { .name = "DM3UALINK", .description = "The gateway's M3UA link",
			.enabled = 1, .loglevel = LOGL_NOTICE },
};
static const struct log_info run_log_info = {
	.cat = run_log_cat,
	.num_cat = ARRAY_SIZE(run_log_cat),
};

static volatile sig_atomic_t g_quit;

static void on_signal(int sig)
{
	g_quit = sig;
}

static void ev_link(void *priv, bool up)
{
	printf("{\"event\":\"link\",\"state\":\"%s\"}\n", up ? "up" : "down");
}

static void ev_pc(void *priv, uint32_t pc, enum m3ua_pc_state state)
{
	struct m3ua_link *link = *(struct m3ua_link **)priv;

	printf("{\"event\":\"pc\",\"pc\":\"%s\",\"state\":\"%s\"}\n",
	       osmo_ss7_pointcode_print(m3ua_link_instance(link), pc),
	       get_value_string(m3ua_pc_state_names, state));
}

static const struct m3ua_link_ops run_ops = {
	.pc_state = ev_pc,
	.link_state = ev_link,
};

static void print_counters(struct m3ua_link *link)
{
	struct rate_ctr_group *g = m3ua_link_ctrs(link);
	unsigned int i;

	printf("{\"event\":\"counters\"");
	for (i = 0; i < g->desc->num_ctr; i++)
		printf(",\"%s\":%llu", g->desc->ctr_desc[i].name,
		       (unsigned long long)rate_ctr_group_get_ctr(g, i)->current);
	printf("}\n");
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
	static struct vty_app_info vty_info = {
		.name = "ss7gw",
		.version = "0",
		.go_parent_cb = osmo_ss7_vty_go_parent,
	};
	struct m3ua_link_cfg cfg = { .send_queue = 4096 };
	struct osmo_ss7_instance *inst;
	struct m3ua_link *link = NULL;
	const char *file = NULL;
	int c, vty_port = -1, rc;
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

	/* the order libosmo-sigtran 1.6.0 needs: logging, then the SS7 core, then the VTY */
	ctx = talloc_named_const(NULL, 0, "ss7gw");
	vty_info.tall_ctx = ctx;
	msgb_talloc_ctx_init(ctx, 0);
	osmo_init_logging2(ctx, &run_log_info);
	log_set_print_category(osmo_stderr_target, 1);
	log_set_print_level(osmo_stderr_target, 1);
	log_set_print_filename2(osmo_stderr_target, LOG_FILENAME_NONE);
	log_set_use_color(osmo_stderr_target, 0);
	m3ua_link_set_log_subsys(DM3UALINK);
	if (osmo_ss7_init() < 0) {
		fprintf(stderr, "ss7gw: cannot initialise libosmo-sigtran\n");
		return 1;
	}
	vty_init(&vty_info);
	logging_vty_add_cmds();
	osmo_ss7_vty_init_asp(ctx);
	m3ua_link_vty_init(ctx, &cfg);

	rc = vty_read_config_file(file, NULL);
	if (rc < 0) {
		fprintf(stderr, "ss7gw: %s: bad configuration file (%s)\n", file,
			rc == -ENOENT ? "cannot open it" : "the lines above say where");
		return 2;
	}
	inst = osmo_ss7_instance_find(0);
	if (!inst || llist_empty(&inst->asp_list)) {
		fprintf(stderr, "ss7gw: %s: bad configuration file (no cs7 instance 0 with an asp)\n",
			file);
		return 2;
	}
	link = m3ua_link_create(ctx, inst, &cfg, &run_ops, &link);
	if (!link) {
		fprintf(stderr, "ss7gw: %s: bad configuration file (the m3ua link refused it, "
			"see above)\n", file);
		return 2;
	}
	rc = vty_port >= 0 ? telnet_init_dynif(ctx, NULL, vty_get_bind_addr(), vty_port)
			   : telnet_init_default(ctx, NULL, RUN_VTY_PORT);
	if (rc < 0) {
		fprintf(stderr, "ss7gw: cannot listen for the VTY on %s\n", vty_get_bind_addr());
		m3ua_link_destroy(link);
		return 1;
	}

	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	while (!g_quit)
		osmo_select_main(0);

	LOGP(DM3UALINK, LOGL_NOTICE, "signal %d: shutting down\n", (int)g_quit);
	print_counters(link);
	m3ua_link_destroy(link);
	telnet_exit();
	return 0;
}
