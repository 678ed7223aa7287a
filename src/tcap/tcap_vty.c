/*
 * VTY configuration of the TCAP entity: the "tcap" node with the instance id
 * carried in every OTID (for steering between gateway instances) and the timers.
 */
#include <stdlib.h>

#include <osmocom/core/tdef.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>

#include "ss7gw/vty_nodes.h"
#include "tcap_int.h"

/* The VTY configures one TCAP entity: the gateway has one per process. */
static struct tcap_ctx *g_tcap;

static struct cmd_node tcap_node = {
	.node = SS7GW_TCAP_NODE,
	.prompt = "%s(config-tcap)# ",
	.vtysh = 1,
};

static const struct value_string timer_names[] = {
	{ TCAP_T_IDLE, "dialogue-idle" },
	{ TCAP_T_INVOKE, "invoke" },
	{ 0, NULL }
};

DEFUN(cfg_tcap, cfg_tcap_cmd, "tcap", "Configure the TCAP layer\n")
{
	vty->node = SS7GW_TCAP_NODE;
	return CMD_SUCCESS;
}

DEFUN(cfg_tcap_instance_bits, cfg_tcap_instance_bits_cmd, "instance-bits <0-8>",
      "How many top bits of every OTID carry the instance id\n" "Bits (0: one instance)\n")
{
	unsigned int bits, id;

	tcap_ctx_get_instance(g_tcap, &bits, &id);
	bits = atoi(argv[0]);
	if (id >= (1u << bits))
		id = 0;
	tcap_ctx_set_instance(g_tcap, bits, id);
	return CMD_SUCCESS;
}

DEFUN(cfg_tcap_instance_id, cfg_tcap_instance_id_cmd, "instance-id <0-255>",
      "This gateway instance's id, carried in the top bits of its OTIDs\n" "Id, below 2^instance-bits\n")
{
	unsigned int bits, id;

	tcap_ctx_get_instance(g_tcap, &bits, &id);
	if (tcap_ctx_set_instance(g_tcap, bits, atoi(argv[0])) < 0) {
		vty_out(vty, "%% instance-id must be below 2^instance-bits (%u)%s", 1u << bits, VTY_NEWLINE);
		return CMD_WARNING;
	}
	return CMD_SUCCESS;
}

DEFUN(cfg_tcap_timer, cfg_tcap_timer_cmd, "timer (dialogue-idle|invoke) <1-86400>",
      "Configure a TCAP timer\n" "Dialogue idle timeout: abort towards both sides\n"
      "Invoke timer when the TC-user gives none\n" "Seconds\n")
{
	int T = get_string_value(timer_names, argv[0]);

	if (T < 0 || osmo_tdef_set(tcap_ctx_tdefs(g_tcap), T, atoi(argv[1]), OSMO_TDEF_S) < 0)
		return CMD_WARNING;
	return CMD_SUCCESS;
}

static int config_write_tcap(struct vty *vty)
{
	unsigned int bits, id;

	tcap_ctx_get_instance(g_tcap, &bits, &id);
	vty_out(vty, "tcap%s", VTY_NEWLINE);
	vty_out(vty, " instance-bits %u%s", bits, VTY_NEWLINE);
	vty_out(vty, " instance-id %u%s", id, VTY_NEWLINE);
	for (const struct value_string *t = timer_names; t->str; t++)
		vty_out(vty, " timer %s %lu%s", t->str,
			osmo_tdef_get(tcap_ctx_tdefs(g_tcap), t->value, OSMO_TDEF_S, 0), VTY_NEWLINE);
	return CMD_SUCCESS;
}

void tcap_vty_init(struct tcap_ctx *ctx)
{
	g_tcap = ctx;
	install_element(CONFIG_NODE, &cfg_tcap_cmd);
	install_node(&tcap_node, config_write_tcap);
	install_element(SS7GW_TCAP_NODE, &cfg_tcap_instance_bits_cmd);
	install_element(SS7GW_TCAP_NODE, &cfg_tcap_instance_id_cmd);
	install_element(SS7GW_TCAP_NODE, &cfg_tcap_timer_cmd);
}
