/* m3ua_asp: a test ASP on libosmo-sigtran's MTP user SAP (SI=3), as the gateway attaches:
 * M3UA client ASP towards osmo-stp, sends numbered MTP-TRANSFER payloads of varied sizes
 * and checks the ones it receives. Driven line by line on stdin by tests/net/m3ua_stp_test.py. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/msgb.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>
#include <osmocom/netif/stream.h>
#include <osmocom/sigtran/mtp_sap.h>
#include <osmocom/sigtran/osmo_ss7.h>

/* Commands (stdin)             Replies (stdout)
 * send N FIRST                 SENT N T_FIRST T_LAST     (ns, CLOCK_MONOTONIC; all written)
 * expect TOTAL                 DONE RX T_FIRST T_LAST BAD ORDER   (when RX reaches TOTAL)
 * stats                        STATS rx=.. bad=.. order=.. next=..
 * raw DPC SLS HEX              (sends HEX as one MTP-TRANSFER to DPC; for hostile input)
 * rawmode                      from now on every received payload: RX OPC SLS HEX
 * quit
 * and unprompted on every change of the ASP state: STATE ACTIVE | STATE DOWN */

enum {
	SI_SCCP = 3,
	HDR_LEN = 6,		/* payload: seq (4), length (2), pattern */
	MAX_PAYLOAD = 1400,	/* libosmo-sigtran 1.6.0 aborts above ~1520 */
	BATCH = 64,		/* messages queued at a time: libosmo-netif writes one per loop turn */
};

static struct {
	struct osmo_ss7_instance *inst;
	struct osmo_ss7_asp *asp;
	uint32_t pc, peer_pc;
	int active;
	/* sender */
	uint32_t next_tx, end_tx;
	uint64_t t_tx_first;
	int sending;
	/* receiver */
	uint32_t rx, bad, order, next_rx, expect;
	uint64_t t_rx_first, t_rx_last;
	int quit;
	int rawmode;
} g;

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + t.tv_nsec;
}

/* Sizes 6..1400, every fifth message 1000 octets. */
static unsigned payload_len(uint32_t seq)
{
	return seq % 5 == 0 ? 1000 : HDR_LEN + (seq * 7919u) % (MAX_PAYLOAD - HDR_LEN + 1);
}

static uint8_t pattern(uint32_t seq, unsigned i)
{
	return (uint8_t)(seq * 131u + i);
}

static void send_one(uint32_t seq)
{
	struct msgb *msg = msgb_alloc_headroom(2048, 512, "mtp-xfer-req");
	struct osmo_mtp_prim *omp = (struct osmo_mtp_prim *)msgb_put(msg, sizeof(*omp));
	unsigned len = payload_len(seq), i;
	uint8_t *p;

	osmo_prim_init(&omp->oph, MTP_SAP_USER, OSMO_MTP_PRIM_TRANSFER, PRIM_OP_REQUEST, msg);
	omp->u.transfer.opc = g.pc;
	omp->u.transfer.dpc = g.peer_pc;
	omp->u.transfer.sls = seq & 0x0f;
	omp->u.transfer.sio = MTP_SIO(SI_SCCP, 2);
	msg->l2h = p = msgb_put(msg, len);
	p[0] = seq >> 24, p[1] = seq >> 16, p[2] = seq >> 8, p[3] = seq;
	p[4] = len >> 8, p[5] = len;
	for (i = HDR_LEN; i < len; i++)
		p[i] = pattern(seq, i);
	osmo_ss7_user_mtp_xfer_req(g.inst, omp);	/* frees msg */
}

/* The library's send queue is unbounded: queue the next batch only once it is empty. */
static int tx_queue_empty(void)
{
	struct osmo_fd *ofd;

	if (!g.asp->client)
		return 1;
	ofd = osmo_stream_cli_get_ofd(g.asp->client);
	return ofd->fd < 0 || !(ofd->when & OSMO_FD_WRITE);
}

static void sender_pump(void)
{
	unsigned n;

	if (!g.sending || !g.active || !tx_queue_empty())
		return;
	if (g.next_tx == g.end_tx) {
		printf("SENT %u %llu %llu\n", g.end_tx, (unsigned long long)g.t_tx_first,
		       (unsigned long long)now_ns());
		g.sending = 0;
		return;
	}
	for (n = 0; n < BATCH && g.next_tx != g.end_tx; n++)
		send_one(g.next_tx++);
}

static void check_payload(const struct osmo_mtp_transfer_param *tp, const uint8_t *p, unsigned len)
{
	uint32_t seq;
	unsigned i;
	int ok = len >= HDR_LEN && tp->opc == g.peer_pc && tp->dpc == g.pc &&
		 (tp->sio & 0x0f) == SI_SCCP;

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

/* MTP-TRANSFER.ind and friends; we own the msgb. msgb_mtp_prim() would dereference an unset
 * l1h, so the primitive is taken from oph itself. */
static int mtp_user_prim_cb(struct osmo_prim_hdr *oph, void *priv)
{
	struct osmo_mtp_prim *omp = (struct osmo_mtp_prim *)oph;

	if (OSMO_PRIM_HDR(oph) == OSMO_PRIM(OSMO_MTP_PRIM_TRANSFER, PRIM_OP_INDICATION)) {
		if (g.rawmode)
			printf("RX %u %u %s\n", omp->u.transfer.opc, omp->u.transfer.sls,
			       osmo_hexdump_nospc(msgb_l2(oph->msg), msgb_l2len(oph->msg)));
		else
			check_payload(&omp->u.transfer, msgb_l2(oph->msg), msgb_l2len(oph->msg));
	}
	msgb_free(oph->msg);
	return 0;
}

static struct osmo_ss7_user mtp_user = { .name = "m3ua_asp", .prim_cb = mtp_user_prim_cb };

/* One MTP-TRANSFER with exactly the given octets, for hostile-input tests. */
static void send_raw(uint32_t dpc, uint8_t sls, const char *hex)
{
	struct msgb *msg = msgb_alloc_headroom(2048, 512, "mtp-xfer-raw");
	struct osmo_mtp_prim *omp = (struct osmo_mtp_prim *)msgb_put(msg, sizeof(*omp));
	int n;

	osmo_prim_init(&omp->oph, MTP_SAP_USER, OSMO_MTP_PRIM_TRANSFER, PRIM_OP_REQUEST, msg);
	omp->u.transfer.opc = g.pc;
	omp->u.transfer.dpc = dpc;
	omp->u.transfer.sls = sls;
	omp->u.transfer.sio = MTP_SIO(SI_SCCP, 2);
	msg->l2h = msgb_put(msg, 0);
	n = osmo_hexparse(hex, msg->l2h, MAX_PAYLOAD);
	if (n <= 0) {
		printf("ERROR bad hex\n");
		msgb_free(msg);
		return;
	}
	msgb_put(msg, n);
	osmo_ss7_user_mtp_xfer_req(g.inst, omp);	/* frees msg */
	printf("RAWSENT %d\n", n);
}

static void command(char *line)
{
	unsigned a, b;
	char hex[2 * MAX_PAYLOAD + 1];

	if (sscanf(line, "send %u %u", &a, &b) == 2) {
		g.next_tx = b;
		g.end_tx = b + a;
		g.sending = 1;
		g.t_tx_first = now_ns();
	} else if (sscanf(line, "expect %u", &a) == 1) {
		g.expect = a;
		g.t_rx_first = 0;
	} else if (sscanf(line, "raw %u %u %2800s", &a, &b, hex) == 3) {
		send_raw(a, (uint8_t)b, hex);
	} else if (!strncmp(line, "rawmode", 7)) {
		g.rawmode = 1;
	} else if (!strncmp(line, "stats", 5)) {
		printf("STATS rx=%u bad=%u order=%u next=%u\n", g.rx, g.bad, g.order, g.next_rx);
	} else if (!strncmp(line, "quit", 4)) {
		g.quit = 1;
	} else {
		printf("ERROR unknown command: %s\n", line);
	}
}

static int stdin_cb(struct osmo_fd *ofd, unsigned int what)
{
	static char buf[4096];
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
		have = 0;	/* an overlong line: dropped */
	return 0;
}

static struct osmo_timer_list state_timer;

static void state_timer_cb(void *data)
{
	int active = osmo_ss7_asp_active(g.asp);

	if (active != g.active) {
		g.active = active;
		printf("STATE %s\n", active ? "ACTIVE" : "DOWN");
	}
	osmo_timer_schedule(&state_timer, 0, 20000);
}

static const struct log_info log_info = {};

int main(int argc, char **argv)
{
	void *ctx = talloc_named_const(NULL, 0, "m3ua_asp");
	struct osmo_fd stdin_ofd;
	struct osmo_ss7_as *as;
	const char *lo = "127.0.0.1";
	char name[64];

	if (argc != 7) {
		fprintf(stderr, "usage: %s NAME PC PEER_PC ROUTING_CONTEXT LOCAL_PORT STP_PORT\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	msgb_talloc_ctx_init(ctx, 0);
	osmo_init_logging2(ctx, &log_info);
	log_set_print_category(osmo_stderr_target, 1);
	log_set_print_level(osmo_stderr_target, 1);
	log_set_print_filename2(osmo_stderr_target, LOG_FILENAME_NONE);
	log_set_log_level(osmo_stderr_target, LOGL_NOTICE);
	if (osmo_ss7_init() < 0)
		return 1;

	g.inst = osmo_ss7_instance_find_or_create(ctx, 0);
	g.pc = osmo_ss7_pointcode_parse(g.inst, argv[2]);
	g.peer_pc = osmo_ss7_pointcode_parse(g.inst, argv[3]);
	if ((int)g.pc < 0 || (int)g.peer_pc < 0) {
		fprintf(stderr, "bad point code\n");
		return 2;
	}
	g.inst->cfg.primary_pc = g.pc;

	snprintf(name, sizeof(name), "as-%s", argv[1]);
	as = osmo_ss7_as_find_or_create(g.inst, name, OSMO_SS7_ASP_PROT_M3UA);
	as->cfg.routing_key.context = atoi(argv[4]);
	as->cfg.routing_key.pc = g.pc;
	if (!osmo_ss7_route_create(g.inst->rtable_system, 0, 0, as->cfg.name))
		return 1;

	snprintf(name, sizeof(name), "asp-%s", argv[1]);
	g.asp = osmo_ss7_asp_find_or_create(g.inst, name, atoi(argv[6]), atoi(argv[5]),
					    OSMO_SS7_ASP_PROT_M3UA);
	osmo_ss7_asp_peer_set_hosts(&g.asp->cfg.local, g.asp, &lo, 1);
	osmo_ss7_asp_peer_set_hosts(&g.asp->cfg.remote, g.asp, &lo, 1);
	g.asp->cfg.is_server = false;
	g.asp->cfg.role = OSMO_SS7_ASP_ROLE_ASP;
	osmo_ss7_as_add_asp(as, g.asp->cfg.name);

	mtp_user.inst = g.inst;
	if (osmo_ss7_user_register(g.inst, SI_SCCP, &mtp_user) < 0)
		return 1;

	osmo_ss7_asp_use_default_lm(g.asp, LOGL_DEBUG);
	osmo_ss7_asp_restart(g.asp);

	osmo_fd_setup(&stdin_ofd, STDIN_FILENO, OSMO_FD_READ, stdin_cb, NULL, 0);
	osmo_fd_register(&stdin_ofd);
	osmo_timer_setup(&state_timer, state_timer_cb, NULL);
	osmo_timer_schedule(&state_timer, 0, 20000);

	while (!g.quit) {
		osmo_select_main(0);
		sender_pump();
	}
	return 0;
}
