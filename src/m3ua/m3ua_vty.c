/*
 * The "m3ua-link" configuration node: what the gateway's M3UA attachment needs beyond
 * libosmo-sigtran's own "cs7 instance" section (send queue bound, DAUD audits, routes, the
 * pcap capture), and the capture's commands and show in the enable node.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/rate_ctr.h>
#include <osmocom/core/talloc.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>

#include "ss7gw/vty_nodes.h"
#include "m3ua_capture.h"
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

/* ---- the capture (m3ua_capture.h): configured here, changed at run time from here too -------- */

#define CAPTURE_STR "pcap capture of every M3UA message of the link's associations\n"

/* What a start came to, on the VTY. An I/O error (logged and counted) is no configuration
 * error: from the configuration file, the gateway runs on without the capture. */
static int capture_told(struct vty *vty, int rc)
{
	struct m3ua_capture_state st;

	if (rc == -EINVAL) {
		vty_out(vty, "%% capture: no file, set one with 'capture file PATH'%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	if (rc == 0 || vty->type == VTY_FILE)
		return CMD_SUCCESS;
	m3ua_capture_get(&st);
	vty_out(vty, "%% capture: %s%s", st.last_error, VTY_NEWLINE);
	return CMD_WARNING;
}

DEFUN(cfg_capture_file, cfg_capture_file_cmd, "capture file PATH",
      CAPTURE_STR "The file written; rotated files are PATH.1 (the newest), PATH.2, ...\n"
      "Path of the file (while capturing: a new file is started there at once)\n")
{
	return capture_told(vty, m3ua_capture_set_path(argv[0]));
}

DEFUN(cfg_capture_max_size, cfg_capture_max_size_cmd, "capture max-size <1-65535> (kb|mb)",
      CAPTURE_STR "Size of a file: the next message that would pass it starts a new file\n"
      "Size\n" "Kibibytes (1024 octets)\n" "Mebibytes (1024 KiB)\n")
{
	m3ua_capture_set_max_size((uint64_t)atoi(argv[0]) << (argv[1][0] == 'k' ? 10 : 20));
	return CMD_SUCCESS;
}

DEFUN(cfg_capture_max_files, cfg_capture_max_files_cmd, "capture max-files <0-1000>",
      CAPTURE_STR "Rotated files kept beside the current one (PATH.1 .. PATH.N)\n"
      "Files; 0: a full file is started again\n")
{
	m3ua_capture_set_max_files(atoi(argv[0]));
	return CMD_SUCCESS;
}

DEFUN(cfg_capture_enable, cfg_capture_enable_cmd, "capture (enable|disable)",
      CAPTURE_STR "Capture: start a new file now\n" "Do not capture: close the file now\n")
{
	if (!strcmp(argv[0], "enable"))
		return capture_told(vty, m3ua_capture_start());
	m3ua_capture_stop();
	return CMD_SUCCESS;
}

DEFUN(capture_start_stop, capture_start_stop_cmd, "capture (start|stop)",
      CAPTURE_STR "Start a new file now (as 'capture enable' in the m3ua-link node)\n"
      "Stop and close the file now (as 'capture disable')\n")
{
	if (!strcmp(argv[0], "start"))
		return capture_told(vty, m3ua_capture_start());
	m3ua_capture_stop();
	return CMD_SUCCESS;
}

static void size_text(char *buf, size_t len, uint64_t octets)
{
	if (octets % (1 << 20) == 0)
		snprintf(buf, len, "%" PRIu64 " mb", octets >> 20);
	else
		snprintf(buf, len, "%" PRIu64 " kb", octets >> 10);
}

DEFUN(show_capture, show_capture_cmd, "show m3ua-link capture",
      SHOW_STR "The gateway's M3UA attachment\n" "Its pcap capture: state, file, counters\n")
{
	struct rate_ctr_group *ctrg = m3ua_capture_ctrs();
	struct m3ua_capture_state st;
	char size[32];

	m3ua_capture_get(&st);
	size_text(size, sizeof(size), st.max_size);
	vty_out(vty, "capture %s, file %s, max-size %s, max-files %u%s", st.on ? "on" : "off",
		st.path ? st.path : "(none)", size, st.max_files, VTY_NEWLINE);
	if (st.on)
		vty_out(vty, " current file: %" PRIu64 " octets%s", st.file_octets, VTY_NEWLINE);
	if (ctrg)
		vty_out(vty, " packets %" PRIu64 ", octets %" PRIu64 ", drops %" PRIu64
			", write-errors %" PRIu64 ", rotations %" PRIu64 "%s",
			rate_ctr_group_get_ctr(ctrg, M3UA_CAPTURE_CTR_PACKETS)->current,
			rate_ctr_group_get_ctr(ctrg, M3UA_CAPTURE_CTR_OCTETS)->current,
			rate_ctr_group_get_ctr(ctrg, M3UA_CAPTURE_CTR_DROPS)->current,
			rate_ctr_group_get_ctr(ctrg, M3UA_CAPTURE_CTR_WRITE_ERRORS)->current,
			rate_ctr_group_get_ctr(ctrg, M3UA_CAPTURE_CTR_ROTATIONS)->current, VTY_NEWLINE);
	if (st.last_error)
		vty_out(vty, " last error: %s%s", st.last_error, VTY_NEWLINE);
	return CMD_SUCCESS;
}

static int config_write_m3ua(struct vty *vty)
{
	struct m3ua_capture_state st;
	char size[32];
	unsigned int i;

	vty_out(vty, "m3ua-link%s", VTY_NEWLINE);
	vty_out(vty, " send-queue %u%s", g_cfg->send_queue, VTY_NEWLINE);
	for (i = 0; i < g_cfg->n_audit; i++)
		vty_out(vty, " audit-pc %s%s", g_cfg->audit_pc[i], VTY_NEWLINE);
	for (i = 0; i < g_cfg->n_routes; i++)
		vty_out(vty, " route %s %s as %s%s", g_cfg->route[i].pc, g_cfg->route[i].mask,
			g_cfg->route[i].as, VTY_NEWLINE);
	m3ua_capture_get(&st);
	size_text(size, sizeof(size), st.max_size);
	if (st.path)
		vty_out(vty, " capture file %s%s", st.path, VTY_NEWLINE);
	vty_out(vty, " capture max-size %s%s", size, VTY_NEWLINE);
	vty_out(vty, " capture max-files %u%s", st.max_files, VTY_NEWLINE);
	vty_out(vty, " capture %s%s", st.on ? "enable" : "disable", VTY_NEWLINE);
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
	m3ua_capture_init();
	install_element(SS7GW_M3UA_NODE, &cfg_capture_file_cmd);
	install_element(SS7GW_M3UA_NODE, &cfg_capture_max_size_cmd);
	install_element(SS7GW_M3UA_NODE, &cfg_capture_max_files_cmd);
	install_element(SS7GW_M3UA_NODE, &cfg_capture_enable_cmd);
	install_element(ENABLE_NODE, &capture_start_stop_cmd);
	install_element_ve(&show_capture_cmd);
}
