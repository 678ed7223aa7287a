/*
 * The "m3ua-link" configuration node: what the gateway's M3UA attachment needs beyond
 * libosmo-sigtran's own "cs7 instance" section (send queue bound, DAUD audits, routes).
 */
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/talloc.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>

#include "ss7gw/vty_nodes.h"
#include "m3ua_link.h"

static struct m3ua_link_cfg *g_cfg;
static void *g_ctx;

static struct cmd_node m3ua_node = {
	.node = SS7GW_M3UA_NODE,
	.prompt = "%s(config-m3ua-link)# ",
	.vtysh = 1,
};

DEFUN(cfg_m3ua_link, cfg_m3ua_link_cmd, "m3ua-link",
      "Configure the gateway's M3UA attachment (with the cs7 instance 0 section)\n")
{
	vty->node = SS7GW_M3UA_NODE;
	return CMD_SUCCESS;
}

DEFUN(cfg_send_queue, cfg_send_queue_cmd, "send-queue <1-1000000>",
      "Bound of the link's own send queue: MTP-TRANSFER.req beyond it are refused\n"
      "Messages\n")
{
	g_cfg->send_queue = atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_audit_pc, cfg_audit_pc_cmd, "audit-pc POINT_CODE",
      "Audit this point code (DAUD) whenever an AS becomes active\n"
      "Point code, in the cs7 instance's format\n")
{
	if (g_cfg->n_audit == M3UA_LINK_MAX_AUDIT) {
		vty_out(vty, "%% at most %d audit-pc lines%s", M3UA_LINK_MAX_AUDIT, VTY_NEWLINE);
		return CMD_WARNING;
	}
	g_cfg->audit_pc[g_cfg->n_audit++] = talloc_strdup(g_ctx, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_route, cfg_route_cmd, "route POINT_CODE MASK as NAME",
      "Send traffic for a destination through one AS (the ASP role has no cs7 route table)\n"
      "Destination point code\n" "Point code mask or prefix length (/14)\n"
      "Application Server\n" "Name of an AS of the cs7 instance\n")
{
	unsigned int n = g_cfg->n_routes;

	if (n == M3UA_LINK_MAX_ROUTES) {
		vty_out(vty, "%% at most %d route lines%s", M3UA_LINK_MAX_ROUTES, VTY_NEWLINE);
		return CMD_WARNING;
	}
	g_cfg->route[n].pc = talloc_strdup(g_ctx, argv[0]);
	g_cfg->route[n].mask = talloc_strdup(g_ctx, argv[1]);
	g_cfg->route[n].as = talloc_strdup(g_ctx, argv[2]);
	g_cfg->n_routes++;
	return CMD_SUCCESS;
}

static int config_write_m3ua(struct vty *vty)
{
	unsigned int i;

	vty_out(vty, "m3ua-link%s", VTY_NEWLINE);
	vty_out(vty, " send-queue %u%s", g_cfg->send_queue, VTY_NEWLINE);
	for (i = 0; i < g_cfg->n_audit; i++)
		vty_out(vty, " audit-pc %s%s", g_cfg->audit_pc[i], VTY_NEWLINE);
	for (i = 0; i < g_cfg->n_routes; i++)
		vty_out(vty, " route %s %s as %s%s", g_cfg->route[i].pc, g_cfg->route[i].mask,
			g_cfg->route[i].as, VTY_NEWLINE);
	return CMD_SUCCESS;
}

void m3ua_link_vty_init(void *ctx, struct m3ua_link_cfg *cfg)
{
	g_ctx = ctx;
	g_cfg = cfg;
	install_element(CONFIG_NODE, &cfg_m3ua_link_cmd);
	install_node(&m3ua_node, config_write_m3ua);
	install_element(SS7GW_M3UA_NODE, &cfg_send_queue_cmd);
	install_element(SS7GW_M3UA_NODE, &cfg_audit_pc_cmd);
	install_element(SS7GW_M3UA_NODE, &cfg_route_cmd);
}
