/*
 * m3ua_rx: the link's check of received M3UA messages (RFC 4666 3.3.1 DATA) in front of
 * libosmo-sigtran 1.6.0, which trusts the Protocol Data length. The check peeks at the next
 * message on the association; only refused messages are consumed here, so the library keeps
 * reading its own socket as before. See m3ua_rx.h.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/sctp.h>

#include <osmocom/core/msgb.h>
#include <osmocom/core/select.h>
#include <osmocom/netif/stream.h>
#include <osmocom/sigtran/osmo_ss7.h>
#include <osmocom/sigtran/protocol/m3ua.h>

#include "m3ua_rx.h"

enum {
	HDR_LEN = 8,
	PAR_HDR_LEN = 4,
	LABEL_LEN = 12,		/* OPC, DPC, SI, NI, MP, SLS */
	DIAG_MAX = 40,		/* the library's ERRs carry as many */
	MAX_REFUSED_PER_EVENT = 64,	/* then the select loop gets its turn again */
	SI_SCCP = 3,
};

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

enum m3ua_rx_verdict m3ua_rx_check(const uint8_t *msg, size_t len,
				   bool (*is_local)(void *priv, uint32_t pc), void *priv)
{
	size_t pos = HDR_LEN, plen;
	const uint8_t *data = NULL;
	size_t data_len = 0;

	if (len < HDR_LEN || len > 0xffff || msg[0] != M3UA_VERSION || msg[2] != M3UA_MSGC_XFER ||
	    msg[3] != M3UA_XFER_DATA || be32(msg + 4) > len)
		return M3UA_RX_PASS;	/* not a DATA, or one the library refuses by itself */
	/* the library's walk (xua_from_msg_common): a parameter needs more than its header
	 * left before the end; the first of a tag counts */
	while (pos + PAR_HDR_LEN < len) {
		plen = (size_t)msg[pos + 2] << 8 | msg[pos + 3];
		if (plen < PAR_HDR_LEN || pos + plen > len)
			return M3UA_RX_PASS;	/* ERR Parameter Field Error from the library */
		if (!data && ((uint16_t)msg[pos] << 8 | msg[pos + 1]) == M3UA_IEI_PROT_DATA) {
			data = msg + pos + PAR_HDR_LEN;
			data_len = plen - PAR_HDR_LEN;
		}
		pos += plen + (-plen & 3);
	}
	if (!data)
		return M3UA_RX_PASS;	/* ERR Missing Parameter from the library */
	if (data_len < LABEL_LEN)
		return M3UA_RX_BAD_DATA;
	if (is_local && !is_local(priv, be32(data + 4)))
		return M3UA_RX_FOREIGN_DPC;
	if ((data[8] & 0x0f) != SI_SCCP)
		return M3UA_RX_NOT_SCCP;
	return M3UA_RX_PASS;
}

size_t m3ua_rx_err_encode(uint8_t *out, uint32_t code, const uint8_t *msg, size_t len)
{
	size_t diag = len < DIAG_MAX ? len : DIAG_MAX, pad = -diag & 3;
	size_t total = HDR_LEN + 8 + PAR_HDR_LEN + diag + pad;

	out[0] = M3UA_VERSION, out[1] = 0, out[2] = M3UA_MSGC_MGMT, out[3] = M3UA_MGMT_ERR;
	osmo_store32be(total, out + 4);
	osmo_store16be(M3UA_IEI_ERR_CODE, out + 8);
	osmo_store16be(8, out + 10);
	osmo_store32be(code, out + 12);
	osmo_store16be(M3UA_IEI_DIAG_INFO, out + 16);
	osmo_store16be(PAR_HDR_LEN + diag, out + 18);
	memcpy(out + 20, msg, diag);
	memset(out + 20 + diag, 0, pad);
	return total;
}

/* ---- in front of the library's stream client ------------------------------------------ */

struct guard {
	struct m3ua_link *link;
	struct osmo_ss7_asp *asp;
	const struct osmo_fd *ofd;	/* inside the ASP's stream client */
	int (*orig_cb)(struct osmo_fd *ofd, unsigned int what);
};

/* One guard per ASP, found by its osmo_fd (whose data pointer belongs to libosmo-netif). */
enum { MAX_GUARDS = 64 };
static struct guard guards[MAX_GUARDS];

static struct guard *guard_of(const struct osmo_fd *ofd)
{
	unsigned int i;

	for (i = 0; i < MAX_GUARDS; i++)
		if (guards[i].ofd == ofd)
			return &guards[i];
	return NULL;
}

/* Consume the message in front, whatever its size. */
static void consume(int fd, uint8_t *buf, size_t bufsz)
{
	unsigned int i;
	int flags;

	for (i = 0; i < 64; i++) {	/* 64 * 2 KiB > the largest SCTP message we take */
		flags = MSG_DONTWAIT;
		if (sctp_recvmsg(fd, buf, bufsz, NULL, NULL, NULL, &flags) <= 0 || (flags & MSG_EOR))
			return;
	}
}

static void send_err(struct osmo_ss7_asp *asp, uint32_t code, const uint8_t *msg, size_t len)
{
	struct msgb *m = msgb_alloc_headroom(M3UA_RX_ERR_MAX + 128, 128, "m3ua-rx-err");

	if (!m)
		return;
	msgb_put(m, m3ua_rx_err_encode(msgb_data(m), code, msg, len));
	msgb_sctp_stream(m) = 0;
	osmo_ss7_asp_send(asp, m);
}

/* 1: the next message is one for the library (or an event, or nothing readable yet that
 * the library must see: EOF, an error); 0: nothing left to read. */
static int refuse_bad(struct guard *g, int fd)
{
	uint8_t buf[M3UA_RX_MAX_LEN];
	enum m3ua_rx_verdict v;
	unsigned int n;
	int rc, flags;

	for (n = 0; n < MAX_REFUSED_PER_EVENT; n++) {
		flags = MSG_PEEK | MSG_DONTWAIT;
		rc = sctp_recvmsg(fd, buf, sizeof(buf), NULL, NULL, NULL, &flags);
		if (rc < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return n ? 0 : 1;	/* nothing: let a first wake-up through as before */
		if (rc <= 0 || (flags & MSG_NOTIFICATION))
			return 1;
		if (!(flags & MSG_EOR)) {
			/* longer than the library's buffer: it would parse the pieces */
			m3ua_link_rx_too_long(g->link, g->asp, rc >= HDR_LEN ? be32(buf + 4) : (size_t)rc);
			consume(fd, buf, sizeof(buf));
			continue;
		}
		v = m3ua_rx_check(buf, rc, m3ua_link_pc_is_local, g->link);
		if (v == M3UA_RX_PASS)
			return 1;
		m3ua_link_rx_refused(g->link, g->asp, v, buf, rc);
		if (v == M3UA_RX_BAD_DATA)
			send_err(g->asp, M3UA_ERR_PARAM_FIELD_ERR, buf, rc);
		consume(fd, buf, sizeof(buf));
	}
	return 1;
}

static int guard_cb(struct osmo_fd *ofd, unsigned int what)
{
	struct guard *g = guard_of(ofd);

	if (!g)
		return 0;
	if ((what & OSMO_FD_READ) && !refuse_bad(g, ofd->fd)) {
		what &= ~OSMO_FD_READ;
		if (!what)
			return 0;
	}
	return g->orig_cb(ofd, what);
}

int m3ua_rx_guard_install(struct m3ua_link *link, struct osmo_ss7_asp *asp)
{
	struct osmo_fd *ofd;
	unsigned int i;

	if (!asp->client)
		return -EINVAL;
	ofd = osmo_stream_cli_get_ofd(asp->client);
	if (ofd->cb == guard_cb)
		return 0;
	for (i = 0; i < MAX_GUARDS && guards[i].ofd; i++)
		;
	if (i == MAX_GUARDS)
		return -ENOSPC;
	guards[i] = (struct guard){ link, asp, ofd, ofd->cb };
	ofd->cb = guard_cb;
	return 0;
}

void m3ua_rx_guard_remove(struct osmo_ss7_asp *asp)
{
	struct osmo_fd *ofd;
	unsigned int i;

	for (i = 0; i < MAX_GUARDS; i++) {
		if (guards[i].asp != asp)
			continue;
		ofd = asp->client ? osmo_stream_cli_get_ofd(asp->client) : NULL;
		if (ofd == guards[i].ofd && ofd->cb == guard_cb)
			ofd->cb = guards[i].orig_cb;
		memset(&guards[i], 0, sizeof(guards[i]));
	}
}
