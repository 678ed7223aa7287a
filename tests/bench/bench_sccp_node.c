/*
 * Micro-benchmark of the SCCP node: one UDT from MTP, routed on its global
 * title through N translation rules and relayed (decode, GTT, rewrite,
 * re-encode, MTP-TRANSFER request), against sccp_msg_decode alone on the same
 * bytes in the same run. Prints nanoseconds per message.
 *
 *   bench_sccp_node [iterations]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <osmocom/core/talloc.h>

#include "sccp_node.h"

static unsigned long relayed;

static int mtp_transfer_req(void *priv, uint32_t dpc, uint8_t sls, const uint8_t *data, size_t len)
{
	relayed++;
	return 0;
}

static void n_unitdata_ind(void *priv, uint8_t ssn, const struct sccp_msg *msg)
{
}

static const struct sccp_node_ops ops = { .mtp_transfer_req = mtp_transfer_req, .n_unitdata_ind = n_unitdata_ind };

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static struct sccp_node *node_with_rules(unsigned int n)
{
	struct sccp_node_cfg *c = sccp_node_cfg_alloc(NULL);
	struct sccp_gtt_rule r;
	struct sccp_node *node;
	unsigned int i;

	c->pc = 1;
	srandom(1);
	for (i = 0; i < n; i++) {
		char prefix[12];

		snprintf(prefix, sizeof(prefix), "%ld", 100000 + random() % 900000000);
		sccp_gtt_rule_init(&r, i + 10, prefix, 2 + i % 100);
		sccp_gtt_rule_set(c, &r);
	}
	/* the rule the message hits: a filter and a prefix rewrite, like a real one */
	sccp_gtt_rule_init(&r, 1, "4917", 200);
	r.np = 1;
	r.rewrite = SCCP_GTT_REPLACE_PREFIX;
	strcpy(r.rewrite_digits, "4917");
	r.has_backup = true;
	r.backup_dpc = 201;
	sccp_gtt_rule_set(c, &r);
	node = sccp_node_alloc(NULL, c, &ops, NULL);
	talloc_free(c);
	return node;
}

int main(int argc, char **argv)
{
	unsigned long iters = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000, i;
	static const unsigned int sizes[] = { 1, 1000, 10000 };
	uint8_t payload[60] = { 0x62, 58 }, buf[300];
	struct sccp_msg m = { .type = SCCP_MSGT_UDT, .data = payload, .data_len = sizeof(payload) }, d;
	double t0, base;
	int len;

	sccp_addr_set_gt(&m.called, SCCP_GTI_TT_NP_ES_NAI, 0, 1, 4, "491700123456");
	sccp_addr_set_gt(&m.calling, SCCP_GTI_TT_NP_ES_NAI, 0, 1, 4, "491700000001");
	m.called.ssn = m.calling.ssn = 6;
	m.called.present |= SCCP_ADDR_SSN;
	m.calling.present |= SCCP_ADDR_SSN;
	len = sccp_msg_encode(buf, sizeof(buf), &m);

	t0 = now_ns();
	for (i = 0; i < iters; i++) {
		if (sccp_msg_decode(&d, buf, len) < 0)
			return 1;
		__asm__ volatile("" : : "r"(&d) : "memory");
	}
	base = (now_ns() - t0) / iters;
	printf("sccp_msg_decode alone:                 %7.1f ns/message\n", base);

	for (unsigned int s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		struct sccp_node *node = node_with_rules(sizes[s]);

		relayed = 0;
		t0 = now_ns();
		for (i = 0; i < iters; i++)
			sccp_node_mtp_transfer_ind(node, 5, 1, i & 15, buf, len);
		double per = (now_ns() - t0) / iters;

		if (relayed != iters)
			return fprintf(stderr, "only %lu of %lu relayed\n", relayed, iters), 1;
		printf("node: decode+GTT(%5u rules)+relay:   %7.1f ns/message (%.1fx decode)\n", sizes[s] + 1, per,
		       per / base);
		sccp_node_free(node);
	}
	return 0;
}
