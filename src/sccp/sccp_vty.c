/*
 * VTY configuration of the SCCP node ("sccp-node" section): own point code,
 * global titles and subsystems, concerned PCs, GTT rules, timers and limits;
 * "show sccp-node ..." for the rules, PC/SSN status and counters.
 * Point codes are written 3.8.3 (1.1.1) or as plain integers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/vty/command.h>
#include <osmocom/vty/misc.h>
#include <osmocom/vty/vty.h>

#include <ss7gw/vty_nodes.h>

#include "sccp_node_priv.h"
#include "sccp_vty.h"

static struct sccp_node_cfg *g_cfg;
static struct sccp_node *g_node;

static struct cmd_node sccp_node_vty_node = {
	.node = SS7GW_SCCP_NODE,
	.prompt = "%s(config-sccp-node)# ",
	.vtysh = 1,
};

#define SN_STR "The gateway's SCCP node\n"

DEFUN(cfg_sccp_node, cfg_sccp_node_cmd, "sccp-node", SN_STR)
{
	vty->node = SS7GW_SCCP_NODE;
	return CMD_SUCCESS;
}

static int parse_pc(struct vty *vty, const char *s, uint32_t *pc)
{
	if (sccp_pc_parse(pc, s) < 0) {
		vty_out(vty, "%% bad point code '%s' (3.8.3 like 1.1.1, or 0..16383)%s", s, VTY_NEWLINE);
		return -1;
	}
	return 0;
}

static int parse_uint(struct vty *vty, const char *what, const char *s, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < 0 || v > max) {
		vty_out(vty, "%% bad %s '%s' (0..%ld)%s", what, s, max, VTY_NEWLINE);
		return -1;
	}
	*out = v;
	return 0;
}

static bool digits_ok(const char *d)
{
	return strlen(d) <= SCCP_GT_MAX_DIGITS && strspn(d, "0123456789abcdefABCDEF") == strlen(d);
}

DEFUN(cfg_pc, cfg_pc_cmd, "point-code PC", "Our own point code\n" "3.8.3 or integer\n")
{
	return parse_pc(vty, argv[0], &g_cfg->pc) < 0 ? CMD_WARNING : CMD_SUCCESS;
}

DEFUN(cfg_local_gt, cfg_local_gt_cmd, "local-gt DIGITS .OPTIONS",
      "One of our own global titles\n" "Address digits\n"
      "tt N, np N, nai N (which are present sets the GT indicator), ssn N\n")
{
	long tt = -1, np = -1, nai = -1, ssn = 0, v;
	struct sccp_local_gt gt = { 0 };
	int i, gti;

	if (!digits_ok(argv[0]) || !argv[0][0]) {
		vty_out(vty, "%% bad digits '%s'%s", argv[0], VTY_NEWLINE);
		return CMD_WARNING;
	}
	for (i = 1; i < argc; i += 2) {
		const char *k = argv[i];

		if (i + 1 >= argc || parse_uint(vty, k, argv[i + 1], 255, &v) < 0) {
			vty_out(vty, "%% '%s' needs a number%s", k, VTY_NEWLINE);
			return CMD_WARNING;
		}
		if (!strcmp(k, "tt"))
			tt = v;
		else if (!strcmp(k, "np") && v <= 15)
			np = v;
		else if (!strcmp(k, "nai") && v <= 127)
			nai = v;
		else if (!strcmp(k, "ssn"))
			ssn = v;
		else {
			vty_out(vty, "%% unknown or out of range: %s %s%s", k, argv[i + 1], VTY_NEWLINE);
			return CMD_WARNING;
		}
	}
	if (tt < 0 && np < 0 && nai >= 0)
		gti = SCCP_GTI_NAI;
	else if (tt >= 0 && np < 0 && nai < 0)
		gti = SCCP_GTI_TT;
	else if (tt >= 0 && np >= 0)
		gti = nai >= 0 ? SCCP_GTI_TT_NP_ES_NAI : SCCP_GTI_TT_NP_ES;
	else {
		vty_out(vty, "%% tt/np/nai make no GT indicator (give nai; tt; tt np; or tt np nai)%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	if (sccp_addr_set_gt(&gt.gt, gti, tt, np, nai, argv[0]) < 0)
		return CMD_WARNING;
	gt.ssn = ssn;
	for (i = 0; i < (int)g_cfg->num_gt; i++) {
		if (!strcasecmp(g_cfg->gt[i].gt.digits, argv[0])) {
			g_cfg->gt[i] = gt;
			return CMD_SUCCESS;
		}
	}
	if (g_cfg->num_gt >= SCCP_NODE_MAX_GT) {
		vty_out(vty, "%% at most %d local GTs%s", SCCP_NODE_MAX_GT, VTY_NEWLINE);
		return CMD_WARNING;
	}
	g_cfg->gt[g_cfg->num_gt++] = gt;
	return CMD_SUCCESS;
}

DEFUN(cfg_ssn, cfg_ssn_cmd, "ssn <2-255>", "A subsystem served here\n" "SSN\n")
{
	unsigned int i, ssn = atoi(argv[0]);

	for (i = 0; i < g_cfg->num_ssn; i++) {
		if (g_cfg->ssn[i] == ssn)
			return CMD_SUCCESS;
	}
	if (g_cfg->num_ssn >= SCCP_NODE_MAX_SSN)
		return CMD_WARNING;
	g_cfg->ssn[g_cfg->num_ssn++] = ssn;
	return CMD_SUCCESS;
}

DEFUN(cfg_concerned, cfg_concerned_cmd, "concerned-pc PC",
      "A point code told when our subsystems go in or out of service\n" "3.8.3 or integer\n")
{
	uint32_t pc;
	unsigned int i;

	if (parse_pc(vty, argv[0], &pc) < 0)
		return CMD_WARNING;
	for (i = 0; i < g_cfg->num_concerned; i++) {
		if (g_cfg->concerned_pc[i] == pc)
			return CMD_SUCCESS;
	}
	if (g_cfg->num_concerned >= SCCP_NODE_MAX_CONCERNED)
		return CMD_WARNING;
	g_cfg->concerned_pc[g_cfg->num_concerned++] = pc;
	return CMD_SUCCESS;
}

/* "key value" options of a rule; route-on-ssn stands alone */
static int rule_option(struct vty *vty, struct sccp_gtt_rule *r, const char *k, const char *val, bool *have_dpc)
{
	long v;

	if (!strcmp(k, "dpc") || !strcmp(k, "backup-dpc")) {
		uint32_t pc;

		if (parse_pc(vty, val, &pc) < 0)
			return -1;
		if (k[0] == 'd') {
			r->dpc = pc;
			*have_dpc = true;
		} else {
			r->backup_dpc = pc;
			r->has_backup = true;
		}
		return 0;
	}
	if (!strcmp(k, "rewrite-prefix") || !strcmp(k, "rewrite-digits")) {
		if (!digits_ok(val))
			return vty_out(vty, "%% bad digits '%s'%s", val, VTY_NEWLINE), -1;
		osmo_strlcpy(r->rewrite_digits, val, sizeof(r->rewrite_digits));
		r->rewrite = k[8] == 'p' ? SCCP_GTT_REPLACE_PREFIX : SCCP_GTT_REPLACE_ALL;
		return 0;
	}
	static const char *const nums[] = { "tt", "np", "nai", "gti", "ssn", "new-tt", "new-np", "new-nai" };
	int16_t *const fields[] = { &r->tt, &r->np, &r->nai, &r->gti, NULL, &r->new_tt, &r->new_np, &r->new_nai };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(nums); i++) {
		if (strcmp(k, nums[i]))
			continue;
		if (parse_uint(vty, k, val, 255, &v) < 0)
			return -1;
		if (fields[i])
			*fields[i] = v;
		else
			r->ssn = v;
		return 0;
	}
	return vty_out(vty, "%% unknown rule option '%s'%s", k, VTY_NEWLINE), -1;
}

DEFUN(cfg_gtt_rule, cfg_gtt_rule_cmd, "gtt rule <0-4294967295> prefix PREFIX .OPTIONS",
      "Global title translation\n" "A translation rule\n" "Rule id (order among equal prefixes)\n"
      "Digit prefix the rule matches (longest wins)\n" "Digits, or 'any' for every GT\n"
      "dpc PC [backup-dpc PC] [tt N] [np N] [nai N] [gti N] [ssn N] [rewrite-prefix D | rewrite-digits D]"
      " [new-tt N] [new-np N] [new-nai N] [route-on-ssn]\n")
{
	struct sccp_gtt_rule r;
	bool have_dpc = false;
	const char *prefix = strcmp(argv[1], "any") ? argv[1] : "";
	int i;

	if (!digits_ok(prefix)) {
		vty_out(vty, "%% bad prefix '%s'%s", argv[1], VTY_NEWLINE);
		return CMD_WARNING;
	}
	sccp_gtt_rule_init(&r, strtoul(argv[0], NULL, 10), prefix, 0);
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "route-on-ssn")) {
			r.route_on_ssn = true;
			continue;
		}
		if (i + 1 >= argc) {
			vty_out(vty, "%% '%s' needs a value%s", argv[i], VTY_NEWLINE);
			return CMD_WARNING;
		}
		if (rule_option(vty, &r, argv[i], argv[i + 1], &have_dpc) < 0)
			return CMD_WARNING;
		i++;
	}
	if (!have_dpc) {
		vty_out(vty, "%% a rule needs a dpc%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	if (r.route_on_ssn && !r.ssn) {
		vty_out(vty, "%% route-on-ssn needs ssn N%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	if (sccp_gtt_rule_set(g_cfg, &r) < 0) {
		vty_out(vty, "%% rule out of range (gti 0..4, np 0..15, nai 0..127)%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	return CMD_SUCCESS;
}

DEFUN(cfg_no_gtt_rule, cfg_no_gtt_rule_cmd, "no gtt rule <0-4294967295>",
      NO_STR "Global title translation\n" "Remove a rule\n" "Rule id\n")
{
	return sccp_gtt_rule_del(g_cfg, strtoul(argv[0], NULL, 10)) < 0 ? CMD_WARNING : CMD_SUCCESS;
}

DEFUN(cfg_timer, cfg_timer_cmd, "timer (reassembly|stat-info|stat-info-max) <1-3600000>",
      "Timers\n" "T(reassembly)\n" "T(stat.info): first SST interval\n" "Upper bound of the SST interval\n"
      "Milliseconds\n")
{
	unsigned long ms = strtoul(argv[1], NULL, 10);

	if (!strcmp(argv[0], "reassembly"))
		g_cfg->t_reasm_ms = ms;
	else if (!strcmp(argv[0], "stat-info"))
		g_cfg->t_stat_info_ms = ms;
	else
		g_cfg->t_stat_info_max_ms = ms;
	return CMD_SUCCESS;
}

DEFUN(cfg_max_len, cfg_max_len_cmd, "max-message-length <64-4096>",
      "Longest SCCP message handed to MTP (268: MTP3 SIF; more over M3UA)\n" "Octets\n")
{
	g_cfg->max_msg_len = atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_ludt, cfg_ludt_cmd, "ludt (enable|disable)",
      "LUDT for user data that does not fit one XUDT\n" "Use LUDT\n" "Segment into XUDTs\n")
{
	g_cfg->ludt = argv[0][0] == 'e';
	return CMD_SUCCESS;
}

DEFUN(cfg_reasm, cfg_reasm_cmd, "reassembly (max-contexts|max-total|max-message) <1-16777216>",
      "Limits of XUDT reassembly\n" "Reassemblies at once\n" "Octets held over all\n"
      "Largest reassembled user data\n" "Number\n")
{
	unsigned long v = strtoul(argv[1], NULL, 10);

	if (!strcmp(argv[0], "max-contexts"))
		g_cfg->reasm_max_contexts = v;
	else if (!strcmp(argv[0], "max-total"))
		g_cfg->reasm_max_total = v;
	else
		g_cfg->reasm_max_msg = v;
	return CMD_SUCCESS;
}

/* --- output --- */

static void rule_write(struct vty *vty, const char *indent, const struct sccp_gtt_rule *r)
{
	vty_out(vty, "%sgtt rule %u prefix %s dpc %s", indent, r->id, r->prefix[0] ? r->prefix : "any",
		sccp_pc_str(r->dpc));
	if (r->has_backup)
		vty_out(vty, " backup-dpc %s", sccp_pc_str(r->backup_dpc));
	if (r->gti != SCCP_GTT_ANY)
		vty_out(vty, " gti %d", r->gti);
	if (r->tt != SCCP_GTT_ANY)
		vty_out(vty, " tt %d", r->tt);
	if (r->np != SCCP_GTT_ANY)
		vty_out(vty, " np %d", r->np);
	if (r->nai != SCCP_GTT_ANY)
		vty_out(vty, " nai %d", r->nai);
	if (r->ssn)
		vty_out(vty, " ssn %u", r->ssn);
	if (r->rewrite != SCCP_GTT_KEEP)
		vty_out(vty, " rewrite-%s %s", r->rewrite == SCCP_GTT_REPLACE_PREFIX ? "prefix" : "digits",
			r->rewrite_digits);
	if (r->new_tt != SCCP_GTT_ANY)
		vty_out(vty, " new-tt %d", r->new_tt);
	if (r->new_np != SCCP_GTT_ANY)
		vty_out(vty, " new-np %d", r->new_np);
	if (r->new_nai != SCCP_GTT_ANY)
		vty_out(vty, " new-nai %d", r->new_nai);
	vty_out(vty, "%s%s", r->route_on_ssn ? " route-on-ssn" : "", VTY_NEWLINE);
}

int sccp_vty_write_cfg(struct vty *vty, const struct sccp_node_cfg *c)
{
	unsigned int i;

	vty_out(vty, "sccp-node%s", VTY_NEWLINE);
	vty_out(vty, " point-code %s%s", sccp_pc_str(c->pc), VTY_NEWLINE);
	for (i = 0; i < c->num_gt; i++) {
		const struct sccp_addr *a = &c->gt[i].gt;

		vty_out(vty, " local-gt %s", a->digits);
		if (a->present & SCCP_ADDR_TT)
			vty_out(vty, " tt %u", a->tt);
		if (a->present & SCCP_ADDR_NP)
			vty_out(vty, " np %u", a->np);
		if (a->present & SCCP_ADDR_NAI)
			vty_out(vty, " nai %u", a->nai);
		if (c->gt[i].ssn)
			vty_out(vty, " ssn %u", c->gt[i].ssn);
		vty_out(vty, "%s", VTY_NEWLINE);
	}
	for (i = 0; i < c->num_ssn; i++)
		vty_out(vty, " ssn %u%s", c->ssn[i], VTY_NEWLINE);
	for (i = 0; i < c->num_concerned; i++)
		vty_out(vty, " concerned-pc %s%s", sccp_pc_str(c->concerned_pc[i]), VTY_NEWLINE);
	vty_out(vty, " timer reassembly %lu%s", c->t_reasm_ms, VTY_NEWLINE);
	vty_out(vty, " timer stat-info %lu%s", c->t_stat_info_ms, VTY_NEWLINE);
	vty_out(vty, " timer stat-info-max %lu%s", c->t_stat_info_max_ms, VTY_NEWLINE);
	vty_out(vty, " max-message-length %zu%s", c->max_msg_len, VTY_NEWLINE);
	vty_out(vty, " reassembly max-contexts %u%s", c->reasm_max_contexts, VTY_NEWLINE);
	vty_out(vty, " reassembly max-total %zu%s", c->reasm_max_total, VTY_NEWLINE);
	vty_out(vty, " reassembly max-message %zu%s", c->reasm_max_msg, VTY_NEWLINE);
	vty_out(vty, " ludt %s%s", c->ludt ? "enable" : "disable", VTY_NEWLINE);
	for (i = 0; i < c->num_rules; i++)
		rule_write(vty, " ", &c->rules[i]);
	return CMD_SUCCESS;
}

static int config_write(struct vty *vty)
{
	return sccp_vty_write_cfg(vty, g_cfg);
}

#define SHOW_STR_SN SHOW_STR SN_STR

DEFUN(show_gtt, show_gtt_cmd, "show sccp-node gtt", SHOW_STR_SN "Global title translation rules\n")
{
	const struct sccp_node_cfg *c = g_node ? g_node->cfg : g_cfg;
	unsigned int i;

	for (i = 0; i < c->num_rules; i++)
		rule_write(vty, "", &c->rules[i]);
	return CMD_SUCCESS;
}

DEFUN(show_status, show_status_cmd, "show sccp-node status", SHOW_STR_SN "PC and subsystem status\n")
{
	struct sccp_rss *r;
	unsigned int i;

	if (!g_node) {
		vty_out(vty, "%% no SCCP node running%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	for (i = 0; i < g_node->cfg->num_ssn; i++)
		vty_out(vty, "local SSN %u: %s%s", g_node->cfg->ssn[i],
			g_node->ssn_allowed[g_node->cfg->ssn[i]] ? "allowed" : "prohibited", VTY_NEWLINE);
	for (i = 0; i <= SCCP_PC_MAX; i++) {
		if (g_node->pc_state[i] != SCCP_PC_AVAILABLE)
			vty_out(vty, "PC %s: %s%s", sccp_pc_str(i),
				get_value_string(sccp_pc_state_names, g_node->pc_state[i]), VTY_NEWLINE);
	}
	llist_for_each_entry(r, &g_node->rss, list)
		vty_out(vty, "remote SSN %u at %s: %s%s%s", r->ssn, sccp_pc_str(r->pc),
			r->prohibited ? "prohibited" : "allowed",
			osmo_timer_pending(&r->t_stat) ? " (SST pending)" : "", VTY_NEWLINE);
	return CMD_SUCCESS;
}

DEFUN(show_ctrs, show_ctrs_cmd, "show sccp-node counters", SHOW_STR_SN "Counters\n")
{
	if (!g_node) {
		vty_out(vty, "%% no SCCP node running%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	vty_out_rate_ctr_group(vty, " ", g_node->ctrs);
	return CMD_SUCCESS;
}

void sccp_vty_init(struct sccp_node_cfg *cfg)
{
	g_cfg = cfg;
	install_element(CONFIG_NODE, &cfg_sccp_node_cmd);
	install_node(&sccp_node_vty_node, config_write);
	install_element(SS7GW_SCCP_NODE, &cfg_pc_cmd);
	install_element(SS7GW_SCCP_NODE, &cfg_local_gt_cmd);
	install_element(SS7GW_SCCP_NODE, &cfg_ssn_cmd);
	install_element(SS7GW_SCCP_NODE, &cfg_concerned_cmd);
	install_element(SS7GW_SCCP_NODE, &cfg_gtt_rule_cmd);
	install_element(SS7GW_SCCP_NODE, &cfg_no_gtt_rule_cmd);
	install_element(SS7GW_SCCP_NODE, &cfg_timer_cmd);
	install_element(SS7GW_SCCP_NODE, &cfg_max_len_cmd);
	install_element(SS7GW_SCCP_NODE, &cfg_ludt_cmd);
	install_element(SS7GW_SCCP_NODE, &cfg_reasm_cmd);
	install_element_ve(&show_gtt_cmd);
	install_element_ve(&show_status_cmd);
	install_element_ve(&show_ctrs_cmd);
}

void sccp_vty_set_node(struct sccp_node *node)
{
	g_node = node;
}
