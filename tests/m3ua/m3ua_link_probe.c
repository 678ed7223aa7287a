/* m3ua_link_probe: the gateway's M3UA link (src/m3ua) configured from a VTY file like
 * `ss7gw run`, driven line by line on stdin by tests/m3ua/m3ua_link_test.py. Payloads are
 * those of tests/net/m3ua_asp.c (seq, length, pattern), so either program checks the other. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/msgb.h>
#include <osmocom/core/rate_ctr.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/sigtran/osmo_ss7.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/logging.h>
#include <osmocom/vty/vty.h>

#include "m3ua_link.h"

/* Commands (stdin)                 Replies (stdout)
 * send N FIRST DPC                 SENT N ENOBUFS T_FIRST T_LAST   (paced by writable())
 * burst N FIRST DPC                BURST TRIED ACCEPTED ENOBUFS MAXQ HWM_KB (unpaced, 1000/turn)
 * try LEN DPC                      RC <0|-errno name>   (one message of LEN octets, seq 0)
 * expect TOTAL                     DONE RX T_FIRST T_LAST BAD ORDER
 * stats                            STATS rx=.. bad=.. order=.. next=.. q=.. <counters>
 * asps                             ASP name active tx rx   (one line each), then ASPS
 * kill ASP                         KILLED name   (closes the association; back after 5 s)
 * quit
 * unprompted: LINK UP|DOWN, PC <pc> <state>, WRITABLE */

enum { HDR_LEN = 6, MAX_PAYLOAD = 1400 };

static struct {
	struct m3ua_link *link;
	struct osmo_ss7_instance *inst;
	uint32_t pc;
	/* sender */
	uint32_t next_tx, end_tx, dpc, enobufs, tried, accepted;
	uint64_t t_tx_first;
	int mode;		/* 0 idle, 1 paced send, 2 burst */
	unsigned int maxq;
	/* receiver */
	uint32_t rx, bad, order, next_rx, expect;
	uint64_t t_rx_first, t_rx_last;
	int quit;
} g;

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + t.tv_nsec;
}

static unsigned payload_len(uint32_t seq)
{
	return seq % 5 == 0 ? 1000 : HDR_LEN + (seq * 7919u) % (MAX_PAYLOAD - HDR_LEN + 1);
}

static uint8_t pattern(uint32_t seq, unsigned i)
{
	return (uint8_t)(seq * 131u + i);
}

static int send_seq(uint32_t seq)
{
	uint8_t p[MAX_PAYLOAD];
	unsigned len = payload_len(seq), i;

	p[0] = seq >> 24, p[1] = seq >> 16, p[2] = seq >> 8, p[3] = seq;
	p[4] = len >> 8, p[5] = len;
	for (i = HDR_LEN; i < len; i++)
		p[i] = pattern(seq, i);
	return m3ua_link_transfer_req(g.link, g.dpc, seq & 0x0f, p, len);
}

static long vm_hwm_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmHWM:", 6))
			kb = atol(line + 6);
	if (f)
		fclose(f);
	return kb;
}

/* Paced: send until -ENOBUFS, continue on writable(). Burst: 1000 attempts per loop turn
 * whatever the answer; only accepted messages consume a sequence number. */
static void sender(void)
{
	unsigned int n;
	int rc;

	if (g.mode == 1) {
		while (g.next_tx != g.end_tx) {
			rc = send_seq(g.next_tx);
			if (rc == -ENOBUFS) {
				g.enobufs++;
				return;
			}
			if (rc < 0) {
				printf("ERROR send: %s\n", strerror(-rc));
				g.mode = 0;
				return;
			}
			g.next_tx++;
		}
		printf("SENT %u %u %llu %llu\n", g.end_tx, g.enobufs,
		       (unsigned long long)g.t_tx_first, (unsigned long long)now_ns());
		g.mode = 0;
	} else if (g.mode == 2) {
		for (n = 0; n < 1000 && g.tried < g.end_tx; n++, g.tried++) {
			rc = send_seq(g.next_tx);
			if (rc == 0) {
				g.next_tx++;
				g.accepted++;
			} else if (rc == -ENOBUFS) {
				g.enobufs++;
			}
			if (m3ua_link_queue_depth(g.link) > g.maxq)
				g.maxq = m3ua_link_queue_depth(g.link);
		}
		if (g.tried == g.end_tx) {
			printf("BURST %u %u %u %u %ld\n", g.tried, g.accepted, g.enobufs, g.maxq,
			       vm_hwm_kb());
			g.mode = 0;
		}
	}
}

static void ev_writable(void *priv)
{
	if (g.mode == 1)
		sender();
}

static void ev_transfer(void *priv, uint32_t opc, uint32_t dpc, uint8_t sls,
			const uint8_t *p, size_t len)
{
	uint32_t seq;
	unsigned i;
	int ok = len >= HDR_LEN && dpc == g.pc;

	g.rx++;
	g.t_rx_last = now_ns();
	if (!g.t_rx_first)
		g.t_rx_first = g.t_rx_last;
	if (ok) {
		seq = (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
		ok = len == payload_len(seq) && (unsigned)(p[4] << 8 | p[5]) == len;
		for (i = HDR_LEN; ok && i < len; i++)
			ok = p[i] == pattern(seq, i);
		if (ok && seq != g.next_rx)
			g.order++;
		if (ok)
			g.next_rx = seq + 1;
	}
	if (!ok)
		g.bad++;
	if (g.expect && g.rx == g.expect) {
		printf("DONE %u %llu %llu %u %u\n", g.rx, (unsigned long long)g.t_rx_first,
		       (unsigned long long)g.t_rx_last, g.bad, g.order);
		g.expect = 0;
	}
}

static void ev_link(void *priv, bool up)
{
	printf("LINK %s\n", up ? "UP" : "DOWN");
}

static void ev_pc(void *priv, uint32_t pc, enum m3ua_pc_state state)
{
	printf("PC %s %s\n", osmo_ss7_pointcode_print(g.inst, pc),
	       get_value_string(m3ua_pc_state_names, state));
}

static const struct m3ua_link_ops ops = {
	.transfer_ind = ev_transfer,
	.pc_state = ev_pc,
	.link_state = ev_link,
	.writable = ev_writable,
};

static void print_stats(void)
{
	struct rate_ctr_group *c = m3ua_link_ctrs(g.link);
	unsigned int i;

	printf("STATS rx=%u bad=%u order=%u next=%u q=%u", g.rx, g.bad, g.order, g.next_rx,
	       m3ua_link_queue_depth(g.link));
	for (i = 0; i < c->desc->num_ctr; i++)
		printf(" %s=%llu", c->desc->ctr_desc[i].name,
		       (unsigned long long)rate_ctr_group_get_ctr(c, i)->current);
	printf("\n");
}

/* the library's ASP counters, by name: their index enum is internal */
static unsigned long long asp_ctr(struct osmo_ss7_asp *asp, const char *name)
{
	const struct rate_ctr *c = rate_ctr_get_by_name(asp->ctrg, name);

	return c ? (unsigned long long)c->current : 0;
}

static void command(char *line)
{
	unsigned a, b;
	char s[64];
	struct osmo_ss7_asp *asp;
	uint8_t big[2048] = { 0 };
	int rc;

	if (sscanf(line, "send %u %u %63s", &a, &b, s) == 3 ||
	    sscanf(line, "burst %u %u %63s", &a, &b, s) == 3) {
		g.dpc = osmo_ss7_pointcode_parse(g.inst, s);
		g.next_tx = b;
		g.end_tx = line[0] == 's' ? a + b : a;
		g.enobufs = g.tried = g.accepted = g.maxq = 0;
		g.t_tx_first = now_ns();
		g.mode = line[0] == 's' ? 1 : 2;
	} else if (sscanf(line, "try %u %63s", &a, s) == 2 && a <= sizeof(big)) {
		big[4] = a >> 8, big[5] = a;
		rc = m3ua_link_transfer_req(g.link, osmo_ss7_pointcode_parse(g.inst, s), 0, big, a);
		printf("RC %s\n", rc == 0 ? "0" : rc == -EMSGSIZE ? "EMSGSIZE" :
		       rc == -ENOBUFS ? "ENOBUFS" : rc == -ENETDOWN ? "ENETDOWN" :
		       rc == -EHOSTUNREACH ? "EHOSTUNREACH" : "other");
	} else if (sscanf(line, "expect %u", &a) == 1) {
		g.expect = a;
		g.t_rx_first = 0;
	} else if (!strncmp(line, "stats", 5)) {
		print_stats();
	} else if (!strncmp(line, "asps", 4)) {
		llist_for_each_entry(asp, &g.inst->asp_list, list)
			printf("ASP %s %d %llu %llu\n", asp->cfg.name, osmo_ss7_asp_active(asp),
			       asp_ctr(asp, "tx:packets:total"), asp_ctr(asp, "rx:packets:total"));
		printf("ASPS\n");
	} else if (sscanf(line, "kill %63s", s) == 1) {
		asp = osmo_ss7_asp_find_by_name(g.inst, s);
		if (asp)
			osmo_ss7_asp_disconnect(asp);
		printf("KILLED %s\n", asp ? s : "none");
	} else if (!strncmp(line, "quit", 4)) {
		g.quit = 1;
	} else {
		printf("ERROR unknown command: %s\n", line);
	}
}

static int stdin_cb(struct osmo_fd *ofd, unsigned int what)
{
	static char buf[512];
	static size_t have;
	char *nl;
	ssize_t n = read(ofd->fd, buf + have, sizeof(buf) - 1 - have);

	if (n <= 0) {
		g.quit = 1;
		osmo_fd_unregister(ofd);
		return 0;
	}
	have += n;
	buf[have] = '\0';
	while ((nl = strchr(buf, '\n'))) {
		*nl = '\0';
		command(buf);
		have -= nl + 1 - buf;
		memmove(buf, nl + 1, have + 1);
	}
	if (have == sizeof(buf) - 1)
		have = 0;
	return 0;
}

static const struct log_info log_info = {};

int main(int argc, char **argv)
{
	static struct vty_app_info vty_info = { .name = "m3ua_link_probe", .version = "0",
						.go_parent_cb = osmo_ss7_vty_go_parent };
	void *ctx = talloc_named_const(NULL, 0, "m3ua_link_probe");
	struct m3ua_link_cfg cfg = { .send_queue = 1000 };
	struct osmo_fd stdin_ofd;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CONFIG\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	vty_info.tall_ctx = ctx;
	msgb_talloc_ctx_init(ctx, 0);
	osmo_init_logging2(ctx, &log_info);
	log_set_print_category(osmo_stderr_target, 1);
	log_set_print_level(osmo_stderr_target, 1);
	log_set_print_filename2(osmo_stderr_target, LOG_FILENAME_NONE);
	log_set_log_level(osmo_stderr_target, LOGL_NOTICE);
	if (osmo_ss7_init() < 0)
		return 1;
	vty_init(&vty_info);
	logging_vty_add_cmds();
	osmo_ss7_vty_init_asp(ctx);
	m3ua_link_vty_init(ctx, &cfg);
	if (vty_read_config_file(argv[1], NULL) < 0) {
		fprintf(stderr, "bad config %s\n", argv[1]);
		return 2;
	}
	g.inst = osmo_ss7_instance_find(0);
	if (!g.inst)
		return 2;
	g.pc = g.inst->cfg.primary_pc;
	g.link = m3ua_link_create(ctx, g.inst, &cfg, &ops, NULL);
	if (!g.link)
		return 2;

	osmo_fd_setup(&stdin_ofd, STDIN_FILENO, OSMO_FD_READ, stdin_cb, NULL, 0);
	osmo_fd_register(&stdin_ofd);
	while (!g.quit) {
		osmo_select_main(g.mode == 2);
		sender();
	}
	m3ua_link_destroy(g.link);
	return 0;
}
