/*
 * libFuzzer target for the SCCP node: one input is one SCCP message arriving
 * from MTP at a node with own GTs, SSNs and GTT rules. Nothing may crash, and
 * whatever the node sends in answer (relay, UDTS/XUDTS, SCMG) must decode
 * and fit the configured message length; a broken property aborts. The gcc
 * builds replay the corpus (tests/sccp/corpus) through tests/fuzz/replay_main.c.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>

#include "sccp_node.h"

static struct sccp_node *node;
static unsigned long inputs;

static void must(int cond)
{
	if (!cond)
		abort();
}

static int mtp_transfer_req(void *priv, uint32_t dpc, uint8_t sls, const uint8_t *data, size_t len)
{
	struct sccp_msg m;

	must(len <= sccp_node_get_cfg(node)->max_msg_len && sls < 16 && dpc <= SCCP_PC_MAX);
	must(sccp_msg_decode(&m, data, len) == 0);
	return (inputs % 7) == 0 ? -ENOBUFS : 0;	/* back-pressure now and then */
}

static void n_unitdata_ind(void *priv, uint8_t ssn, const struct sccp_msg *msg)
{
	must(ssn == 6 || ssn == 8);
	must(msg->data && msg->data_len > 0);
}

static const struct sccp_node_ops ops = {
	.mtp_transfer_req = mtp_transfer_req,
	.n_unitdata_ind = n_unitdata_ind,
};

static void setup(void)
{
	struct sccp_node_cfg *c = sccp_node_cfg_alloc(NULL);
	struct sccp_gtt_rule r;

	c->pc = 2057;
	c->ssn[c->num_ssn++] = 6;
	c->ssn[c->num_ssn++] = 8;
	c->concerned_pc[c->num_concerned++] = 2058;
	sccp_addr_set_gt(&c->gt[0].gt, SCCP_GTI_TT_NP_ES_NAI, 0, 1, 4, "491700000001");
	c->gt[0].ssn = 8;
	c->num_gt = 1;
	c->t_reasm_ms = 500;
	c->reasm_max_contexts = 8;
	sccp_gtt_rule_init(&r, 1, "49", 2058);
	r.has_backup = true;
	r.backup_dpc = 2059;
	r.ssn = 6;
	r.route_on_ssn = true;
	sccp_gtt_rule_set(c, &r);
	sccp_gtt_rule_init(&r, 2, "", 2060);	/* everything else relayed on GT */
	r.rewrite = SCCP_GTT_REPLACE_PREFIX;
	strcpy(r.rewrite_digits, "0000000000000000000000000000");
	sccp_gtt_rule_set(c, &r);
	sccp_gtt_rule_init(&r, 3, "33", 2057);	/* translated to ourselves */
	sccp_gtt_rule_set(c, &r);
	osmo_gettimeofday_override = true;
	node = sccp_node_alloc(NULL, c, &ops, NULL);
	must(node != NULL);
	talloc_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!node)
		setup();
	inputs++;
	sccp_node_mtp_transfer_ind(node, 2058, 2057, inputs & 15, data, size);
	/* the first octet also picks an MTP/SCMG event, so states change under the traffic */
	if (size) {
		switch (data[0] & 7) {
		case 1: sccp_node_mtp_pause(node, 2058); break;
		case 2: sccp_node_mtp_resume(node, 2058); break;
		case 3: sccp_node_mtp_congested(node, 2059); break;
		case 4: sccp_node_subsystem_allowed(node, 8, data[size - 1] & 1); break;
		}
	}
	if (inputs % 32 == 0) {
		osmo_gettimeofday_override_add(1, 0);
		osmo_timers_prepare();
		osmo_timers_update();
	}
	return 0;
}
