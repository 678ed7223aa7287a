/*
 * m3ua_capture: the pcap capture of the link's M3UA (m3ua_capture.h), taken where the messages
 * meet the association sockets, so that it holds what went on the wire, whoever produced it.
 * Both calls that touch those sockets are defined here, see "the two calls" below.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/sctp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <osmocom/core/bit16gen.h>
#include <osmocom/core/bit32gen.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/rate_ctr.h>
#include <osmocom/core/stats.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>

#include "m3ua_capture.h"

enum {
	LINKTYPE_RAW = 101,	/* IPv4 or IPv6, told by the version nibble */
	SNAPLEN = 65535,
	REC_HDR_LEN = 16,
	IP4_LEN = 20,
	IP6_LEN = 40,
	SCTP_HDR_LEN = 12,
	DATA_HDR_LEN = 16,
	M3UA_PPID = 3,
	BUF_SIZE = 64 * 1024,	/* written out when full, and once a second */
	TSN_SLOTS = 256,
};

enum dir { TX, RX };

struct pcap_file_hdr {
	uint32_t magic;
	uint16_t major, minor;
	int32_t thiszone;
	uint32_t sigfigs, snaplen, linktype;
};

struct pcap_rec_hdr {
	uint32_t sec, usec, incl_len, orig_len;
};

static const struct rate_ctr_desc cap_ctr_desc[] = {
	[M3UA_CAPTURE_CTR_PACKETS] = { "packets", "M3UA messages written to the capture" },
	[M3UA_CAPTURE_CTR_OCTETS] = { "octets", "Octets written to the capture" },
	[M3UA_CAPTURE_CTR_DROPS] = { "drops", "M3UA messages lost to a capture write error" },
	[M3UA_CAPTURE_CTR_WRITE_ERRORS] = { "write-errors", "Capture open/write errors (each stopped it)" },
	[M3UA_CAPTURE_CTR_ROTATIONS] = { "rotations", "Capture files rotated at max-size" },
};

static const struct rate_ctr_group_desc cap_ctrg_desc = {
	.group_name_prefix = "m3ua_capture",
	.group_description = "pcap capture of the gateway's M3UA",
	.class_id = OSMO_STATS_CLASS_GLOBAL,
	.num_ctr = ARRAY_SIZE(cap_ctr_desc),
	.ctr_desc = cap_ctr_desc,
};

int m3ua_capture_log_ss = DLSS7;
#define LOGCAP(lvl, fmt, args...) LOGP(m3ua_capture_log_ss, lvl, "m3ua-link: capture: " fmt, ## args)

/* One capture per process, as the calls it sits in are. */
static struct {
	bool on;			/* the only thing read per message while off */
	char *path;
	uint64_t max_size;
	unsigned int max_files;
	int fd;
	uint64_t file_octets;		/* in the current file, buffered ones included */
	uint64_t disk_octets;		/* written to it */
	size_t buf_len;
	unsigned int buf_msgs;
	struct osmo_timer_list flush_timer;
	bool (*is_assoc)(void *priv, int fd);
	void *owner;
	uint32_t tsn[TSN_SLOTS][2];	/* per socket and direction: Wireshark's TSN analysis */
	uint16_t ip_id;
	struct rate_ctr_group *ctrg;
	char last_error[PATH_MAX + 64];
	uint8_t buf[BUF_SIZE];
} g = {
	.max_size = M3UA_CAPTURE_DEFAULT_MAX_SIZE,
	.max_files = M3UA_CAPTURE_DEFAULT_MAX_FILES,
	.fd = -1,
};

static void count(enum m3ua_capture_ctr ctr, uint64_t n)
{
	if (g.ctrg && n)
		rate_ctr_add(rate_ctr_group_get_ctr(g.ctrg, ctr), n);
}

/* ---- the file ------------------------------------------------------------------------------ */

static void close_file(void)
{
	osmo_timer_del(&g.flush_timer);
	if (g.fd >= 0)
		close(g.fd);
	g.fd = -1;
	g.buf_len = 0;
	g.buf_msgs = 0;
}

/* An open or write error: logged, counted, and the capture is off until started again. */
static int fail(const char *what, int err)
{
	snprintf(g.last_error, sizeof(g.last_error), "%s %s: %s", what, g.path, strerror(err));
	LOGCAP(LOGL_ERROR, "%s: capture stopped\n", g.last_error);
	count(M3UA_CAPTURE_CTR_WRITE_ERRORS, 1);
	count(M3UA_CAPTURE_CTR_DROPS, g.buf_msgs);
	close_file();
	g.on = false;
	return -err;
}

static int write_out(const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t done = 0;
	ssize_t n;
	int err;

	while (done < len) {
		n = write(g.fd, p + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? errno : EIO;
			/* no part of a record at the end: the file stays readable */
			if (done && ftruncate(g.fd, (off_t)g.disk_octets) < 0) {
				/* then tshark reports the last record cut short */
			}
			return -err;
		}
		done += (size_t)n;
	}
	g.disk_octets += len;
	return 0;
}

static int flush(void)
{
	int rc;

	if (!g.buf_len)
		return 0;
	rc = write_out(g.buf, g.buf_len);
	if (rc < 0)
		return fail("cannot write", -rc);
	g.buf_len = 0;
	g.buf_msgs = 0;
	return 0;
}

static void flush_timer_cb(void *data)
{
	flush();
}

/* PATH.N-1 -> PATH.N, ..., PATH -> PATH.1; the oldest goes. Only a regular file is moved:
 * a capture to /dev/null or a FIFO is never renamed. */
static void shift_files(void)
{
	char from[PATH_MAX + 16], to[PATH_MAX + 16];
	struct stat st;
	unsigned int i;

	if (!g.max_files || stat(g.path, &st) < 0 || !S_ISREG(st.st_mode) || !st.st_size)
		return;
	for (i = g.max_files; i >= 1; i--) {
		if (i == 1)
			snprintf(from, sizeof(from), "%s", g.path);
		else
			snprintf(from, sizeof(from), "%s.%u", g.path, i - 1);
		snprintf(to, sizeof(to), "%s.%u", g.path, i);
		rename(from, to);	/* ENOENT: fewer files so far */
	}
}

/* A new file at the path. O_NONBLOCK: a FIFO without a reader, or one that does not keep up,
 * is a write error, never a wait. */
static int open_file(void)
{
	const struct pcap_file_hdr hdr = {
		.magic = 0xa1b2c3d4, .major = 2, .minor = 4,	/* microseconds */
		.snaplen = SNAPLEN, .linktype = LINKTYPE_RAW,
	};
	int rc;

	shift_files();
	g.fd = open(g.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NONBLOCK, 0644);
	if (g.fd < 0)
		return fail("cannot open", errno);
	g.disk_octets = 0;
	rc = write_out(&hdr, sizeof(hdr));
	if (rc < 0)
		return fail("cannot write", -rc);
	g.file_octets = sizeof(hdr);
	count(M3UA_CAPTURE_CTR_OCTETS, sizeof(hdr));
	return 0;
}

static int rotate(void)
{
	if (flush() < 0)
		return -1;
	close_file();
	count(M3UA_CAPTURE_CTR_ROTATIONS, 1);
	return open_file();
}

/* ---- one message as Wireshark reads it ------------------------------------------------------ */

/* The CRC32c of SCTP (RFC 4960 appendix B), a byte at a time. */
static uint32_t crc32c(const uint8_t *p, size_t len)
{
	static uint32_t table[256];
	uint32_t crc = ~0U, c;
	unsigned int i, k;

	if (!table[1])
		for (i = 0; i < 256; i++) {
			for (c = i, k = 0; k < 8; k++)
				c = c & 1 ? (c >> 1) ^ 0x82f63b78 : c >> 1;
			table[i] = c;
		}
	while (len--)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static uint16_t ip4_checksum(const uint8_t *h)
{
	uint32_t sum = 0;
	unsigned int i;

	for (i = 0; i < IP4_LEN; i += 2)
		sum += osmo_load16be(h + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

/* The address and port (network order) of a socket end; AF_INET for a v4-mapped IPv6 one. */
static int end_of(const struct sockaddr_storage *ss, uint8_t *addr, uint8_t *port)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET) {
		memcpy(addr, &sin->sin_addr, 4);
		memcpy(port, &sin->sin_port, 2);
		return AF_INET;
	}
	if (ss->ss_family != AF_INET6)
		return -1;
	memcpy(port, &sin6->sin6_port, 2);
	if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
		memcpy(addr, sin6->sin6_addr.s6_addr + 12, 4);
		return AF_INET;
	}
	memcpy(addr, &sin6->sin6_addr, 16);
	return AF_INET6;
}

/* IP header, SCTP common header and DATA chunk header of one message as it went, at h.
 * Returns their length, 0 when the socket has no IP ends (closed meanwhile). The ends are
 * asked of the socket for every message: a cache would have to know when a socket number is
 * reused for a new connection, which only the libraries see. */
static size_t put_headers(uint8_t *h, int fd, enum dir dir, size_t len, uint16_t stream)
{
	struct sockaddr_storage local, peer;
	socklen_t ll = sizeof(local), pl = sizeof(peer);
	uint8_t la[16], pa[16], lp[2], pp[2], *s;
	uint32_t tsn;
	size_t ip_len, pad = -len & 3;
	int fam;

	if (getsockname(fd, (struct sockaddr *)&local, &ll) < 0 ||
	    getpeername(fd, (struct sockaddr *)&peer, &pl) < 0)
		return 0;
	fam = end_of(&local, la, lp);
	if (fam < 0 || end_of(&peer, pa, pp) != fam)
		return 0;
	if (fam == AF_INET) {
		ip_len = IP4_LEN;
		h[0] = 0x45, h[1] = 0;
		osmo_store16be(IP4_LEN + SCTP_HDR_LEN + DATA_HDR_LEN + len + pad, h + 2);
		osmo_store16be(g.ip_id++, h + 4);
		osmo_store16be(0x4000, h + 6);		/* DF */
		h[8] = 64, h[9] = IPPROTO_SCTP, h[10] = h[11] = 0;
		memcpy(h + 12, dir == TX ? la : pa, 4);
		memcpy(h + 16, dir == TX ? pa : la, 4);
		osmo_store16be(ip4_checksum(h), h + 10);
	} else {
		ip_len = IP6_LEN;
		osmo_store32be(0x60000000, h);
		osmo_store16be(SCTP_HDR_LEN + DATA_HDR_LEN + len + pad, h + 4);
		h[6] = IPPROTO_SCTP, h[7] = 64;
		memcpy(h + 8, dir == TX ? la : pa, 16);
		memcpy(h + 24, dir == TX ? pa : la, 16);
	}
	s = h + ip_len;
	memcpy(s, dir == TX ? lp : pp, 2);
	memcpy(s + 2, dir == TX ? pp : lp, 2);
	memset(s + 4, 0, 8);			/* verification tag; checksum when all is in */
	tsn = ++g.tsn[fd % TSN_SLOTS][dir];
	s[12] = 0, s[13] = 0x03;		/* DATA, first and last piece */
	osmo_store16be(DATA_HDR_LEN + len, s + 14);
	osmo_store32be(tsn, s + 16);
	osmo_store16be(stream, s + 20);
	osmo_store16be(tsn, s + 22);		/* stream sequence number */
	osmo_store32be(M3UA_PPID, s + 24);
	return ip_len + SCTP_HDR_LEN + DATA_HDR_LEN;
}

static void capture_msg(int fd, enum dir dir, const void *msg, size_t len, uint16_t stream)
{
	struct pcap_rec_hdr rec;
	struct timespec now;
	size_t hlen, pad = -len & 3, rec_len;
	uint8_t *p;
	uint32_t crc;

	if (!g.is_assoc || !g.is_assoc(g.owner, fd))
		return;
	if (IP6_LEN + SCTP_HDR_LEN + DATA_HDR_LEN + len + pad > SNAPLEN) {
		count(M3UA_CAPTURE_CTR_DROPS, 1);
		return;
	}
	if (g.buf_len + REC_HDR_LEN + IP6_LEN + SCTP_HDR_LEN + DATA_HDR_LEN + len + pad > BUF_SIZE &&
	    flush() < 0)
		return;
	p = g.buf + g.buf_len + REC_HDR_LEN;
	hlen = put_headers(p, fd, dir, len, stream);
	if (!hlen) {
		count(M3UA_CAPTURE_CTR_DROPS, 1);
		return;
	}
	memcpy(p + hlen, msg, len);
	memset(p + hlen + len, 0, pad);
	rec_len = hlen + len + pad;
	crc = crc32c(p + hlen - SCTP_HDR_LEN - DATA_HDR_LEN, SCTP_HDR_LEN + DATA_HDR_LEN + len + pad);
	osmo_store32le(crc, p + hlen - DATA_HDR_LEN - 4);

	/* a full file is rotated first: the message, built after what is buffered, then goes
	 * at the start of the new file */
	if (g.file_octets + REC_HDR_LEN + rec_len > g.max_size &&
	    g.file_octets > sizeof(struct pcap_file_hdr)) {
		size_t at = (size_t)(p - g.buf);

		if (rotate() < 0)
			return;
		p = g.buf + REC_HDR_LEN;
		memmove(p, g.buf + at, rec_len);
	}
	clock_gettime(CLOCK_REALTIME, &now);
	rec = (struct pcap_rec_hdr){ now.tv_sec, now.tv_nsec / 1000, rec_len, rec_len };
	memcpy(p - REC_HDR_LEN, &rec, REC_HDR_LEN);
	g.buf_len += REC_HDR_LEN + rec_len;
	g.buf_msgs++;
	g.file_octets += REC_HDR_LEN + rec_len;
	count(M3UA_CAPTURE_CTR_PACKETS, 1);
	count(M3UA_CAPTURE_CTR_OCTETS, REC_HDR_LEN + rec_len);
	if (!osmo_timer_pending(&g.flush_timer))
		osmo_timer_schedule(&g.flush_timer, 1, 0);
}

/* ---- the two calls ------------------------------------------------------------------------
 * libosmo-netif 1.2.0 writes every message of an SCTP stream client or server with
 * sctp_send() (osmo_stream_cli_write, osmo_stream_srv_write); libosmo-sigtran 1.6.0 reads
 * them with sctp_recvmsg() (xua_cli_read_cb, xua_srv_conn_cb), as does the link's receive
 * check (m3ua_rx.c). Both are defined here, in the executable, which the dynamic linker
 * searches first: before a preloaded library (libsctp2tcp.so, on hosts without kernel SCTP)
 * and before libsctp. Each passes the call on to the next definition in that order, libsctp
 * in production, the shim in tests, so the two paths are the same code; a message is taken
 * when the call succeeded, as the socket took or gave it. While off, each costs a branch.
 * (Hooking osmo_ss7_asp_send() instead would miss nothing sent, but would see messages
 * queued, not sent, and nothing received.) */

typedef int (*sctp_send_fn)(int, const void *, size_t, const struct sctp_sndrcvinfo *, int);
typedef int (*sctp_recvmsg_fn)(int, void *, size_t, struct sockaddr *, socklen_t *,
			       struct sctp_sndrcvinfo *, int *);

static void *next_symbol(const char *name)
{
	void *fn = dlsym(RTLD_NEXT, name);

	OSMO_ASSERT(fn);	/* we link libsctp */
	return fn;
}

/* The next definitions, resolved on first use (or by m3ua_capture_init) */
static int first_send(int s, const void *msg, size_t len, const struct sctp_sndrcvinfo *sinfo,
		      int flags);
static int first_recvmsg(int s, void *msg, size_t len, struct sockaddr *from, socklen_t *fromlen,
			 struct sctp_sndrcvinfo *sinfo, int *msg_flags);
static sctp_send_fn next_send = first_send;
static sctp_recvmsg_fn next_recvmsg = first_recvmsg;

static void resolve(void)
{
	next_send = (sctp_send_fn)next_symbol("sctp_send");
	next_recvmsg = (sctp_recvmsg_fn)next_symbol("sctp_recvmsg");
}

static int first_send(int s, const void *msg, size_t len, const struct sctp_sndrcvinfo *sinfo,
		      int flags)
{
	resolve();
	return next_send(s, msg, len, sinfo, flags);
}

static int first_recvmsg(int s, void *msg, size_t len, struct sockaddr *from, socklen_t *fromlen,
			 struct sctp_sndrcvinfo *sinfo, int *msg_flags)
{
	resolve();
	return next_recvmsg(s, msg, len, from, fromlen, sinfo, msg_flags);
}

/* While off, each of the two is a test of g.on and a jump to the next definition. */

static __attribute__((noinline)) int send_captured(int s, const void *msg, size_t len,
						   const struct sctp_sndrcvinfo *sinfo, int flags)
{
	int rc = next_send(s, msg, len, sinfo, flags);

	if (rc > 0)
		capture_msg(s, TX, msg, rc, sinfo ? sinfo->sinfo_stream : 0);
	return rc;
}

int sctp_send(int s, const void *msg, size_t len, const struct sctp_sndrcvinfo *sinfo, int flags)
{
	if (OSMO_LIKELY(!g.on))
		return next_send(s, msg, len, sinfo, flags);
	return send_captured(s, msg, len, sinfo, flags);
}

/* A peek is not taken (the message is read again), nor a notification, nor the first part of
 * a message longer than the buffer (the link drops those, see m3ua_rx.c). */
static __attribute__((noinline)) int recvmsg_captured(int s, void *msg, size_t len,
						      struct sockaddr *from, socklen_t *fromlen,
						      struct sctp_sndrcvinfo *sinfo, int *msg_flags)
{
	struct sctp_sndrcvinfo own;
	int flags = 0, in, rc;

	if (!msg_flags)
		msg_flags = &flags;
	if (!sinfo) {
		memset(&own, 0, sizeof(own));
		sinfo = &own;
	}
	in = *msg_flags;
	rc = next_recvmsg(s, msg, len, from, fromlen, sinfo, msg_flags);
	if (rc > 0 && !(in & MSG_PEEK) && (*msg_flags & (MSG_NOTIFICATION | MSG_EOR)) == MSG_EOR)
		capture_msg(s, RX, msg, rc, sinfo->sinfo_stream);
	return rc;
}

int sctp_recvmsg(int s, void *msg, size_t len, struct sockaddr *from, socklen_t *fromlen,
		 struct sctp_sndrcvinfo *sinfo, int *msg_flags)
{
	if (OSMO_LIKELY(!g.on))
		return next_recvmsg(s, msg, len, from, fromlen, sinfo, msg_flags);
	return recvmsg_captured(s, msg, len, from, fromlen, sinfo, msg_flags);
}

/* ---- control ------------------------------------------------------------------------------- */

void m3ua_capture_init(void)
{
	if (g.ctrg)
		return;
	/* process-wide like the capture itself: on the NULL context */
	g.ctrg = rate_ctr_group_alloc(NULL, &cap_ctrg_desc, 0);
	OSMO_ASSERT(g.ctrg);
	osmo_timer_setup(&g.flush_timer, flush_timer_cb, NULL);
	/* now rather than on the first message: LD_DEBUG=bindings shows where they go */
	resolve();
}

void m3ua_capture_set_owner(bool (*is_assoc)(void *priv, int fd), void *priv)
{
	g.is_assoc = is_assoc;
	g.owner = priv;
}

int m3ua_capture_start(void)
{
	int rc;

	if (g.on)
		return 0;
	if (!g.path)
		return -EINVAL;
	m3ua_capture_init();
	rc = open_file();
	if (rc < 0)
		return rc;
	g.last_error[0] = '\0';
	g.on = true;
	LOGCAP(LOGL_NOTICE, "writing %s\n", g.path);
	return 0;
}

void m3ua_capture_stop(void)
{
	if (!g.on || flush() < 0)
		return;
	close_file();
	g.on = false;
	LOGCAP(LOGL_NOTICE, "stopped, %s closed\n", g.path);
}

int m3ua_capture_set_path(const char *path)
{
	bool was_on = g.on;

	if (g.path && !strcmp(g.path, path))
		return 0;
	m3ua_capture_stop();
	talloc_free(g.path);
	g.path = talloc_strdup(NULL, path);
	OSMO_ASSERT(g.path);
	return was_on ? m3ua_capture_start() : 0;
}

void m3ua_capture_set_max_size(uint64_t octets)
{
	g.max_size = octets;
}

void m3ua_capture_set_max_files(unsigned int n)
{
	g.max_files = n;
}

void m3ua_capture_get(struct m3ua_capture_state *st)
{
	*st = (struct m3ua_capture_state){
		.on = g.on, .path = g.path, .max_size = g.max_size, .max_files = g.max_files,
		.file_octets = g.on ? g.file_octets : 0,
		.last_error = g.last_error[0] ? g.last_error : NULL,
	};
}

struct rate_ctr_group *m3ua_capture_ctrs(void)
{
	return g.ctrg;
}
