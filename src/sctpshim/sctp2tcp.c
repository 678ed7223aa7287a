/* sctp2tcp: an LD_PRELOAD library that carries the SCTP socket API used by libosmocore,
 * libosmo-netif and libosmo-sigtran over TCP, for test hosts without kernel SCTP. M3UA
 * messages go back to back on the stream, framed by their header length (as Osmocom's M3UA/TCP). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/sctp.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define API __attribute__((visibility("default")))

enum {
	MAX_FDS = 4096,		/* SCTP sockets with a higher fd number are refused */
	M3UA_HDR_LEN = 8,	/* version, reserved, class, type, 32-bit length */
	M3UA_MAX_LEN = 65536,	/* a longer message is a protocol error */
	M3UA_CLASS_XFER = 1,
	M3UA_PPID = 3,
	NUM_STREAMS = 2,	/* management on stream 0, transfer on stream 1 */
	ASSOC_ID = 1,		/* one association per socket */
	SEND_FINISH_MS = 2000,	/* how long a half-written message may wait for room */
};

/* What TCP cannot keep for us: the event subscription and the message being received.
 * A socket is used by one thread at a time, as in Osmocom's single event loop. */
struct assoc {
	struct sctp_event_subscribe events;
	bool dead;		/* protocol error: the association is gone */
	uint32_t have;		/* bytes of the current message in rx */
	uint32_t need;		/* M3UA_HDR_LEN until the header is in, then its length */
	uint32_t delivered;	/* bytes handed up already (caller's buffer too small) */
	uint8_t *rx;		/* M3UA_MAX_LEN bytes, allocated on first receive */
};

static struct assoc *assocs[MAX_FDS];
static bool debug;

/* The libc functions we wrap, resolved on first use (other libraries' constructors may
 * already open sockets before ours runs). */
static void *real_socket, *real_accept, *real_accept4, *real_close, *real_setsockopt,
	    *real_getsockopt;
#define REAL(fn) ((__typeof__(&fn))resolve(&real_##fn, #fn))

static void *resolve(void **slot, const char *name)
{
	if (!*slot)
		*slot = dlsym(RTLD_NEXT, name);
	return *slot;
}

__attribute__((constructor)) static void init(void)
{
	debug = getenv("SCTP2TCP_DEBUG") != NULL;
}

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	/* one write(): lines of several processes sharing a stderr do not interleave */
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}

static struct assoc *lookup(int fd)
{
	return (fd >= 0 && fd < MAX_FDS) ? assocs[fd] : NULL;
}

static void forget(int fd)
{
	struct assoc *a = lookup(fd);

	if (!a)
		return;
	assocs[fd] = NULL;
	free(a->rx);
	free(a);
}

/* Remember fd as an SCTP socket; from is the listening socket it was accepted on, if any. */
static int track(int fd, const struct assoc *from)
{
	struct assoc *a;

	if (fd >= MAX_FDS) {
		logf_("sctp2tcp: fd %d above the shim's limit of %d SCTP sockets", fd, MAX_FDS);
		errno = EMFILE;
		return -1;
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		return -1;
	if (from)
		a->events = from->events;	/* accepted SCTP sockets inherit options */
	a->need = M3UA_HDR_LEN;
	forget(fd);
	assocs[fd] = a;
	return 0;
}

static void peer_name(int fd, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[64] = "?";
	unsigned port = 0;

	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
			inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
			port = ntohs(sin->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
			inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
			port = ntohs(sin6->sin6_port);
		}
	}
	snprintf(buf, len, "%s:%u", host, port);
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool m3ua_len_ok(uint32_t len)
{
	return len >= M3UA_HDR_LEN && len <= M3UA_MAX_LEN && len % 4 == 0;
}

static socklen_t addr_len(const struct sockaddr *sa)
{
	return sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

/* ---- socket life cycle ---------------------------------------------------------------- */

API int socket(int domain, int type, int protocol)
{
	int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	bool sctp = (domain == AF_INET || domain == AF_INET6) &&
		    ((protocol == IPPROTO_SCTP && (base == SOCK_STREAM || base == SOCK_SEQPACKET)) ||
		     (protocol == 0 && base == SOCK_SEQPACKET));
	int fd;

	if (!sctp)
		return REAL(socket)(domain, type, protocol);
	/* SOCK_SEQPACKET (one-to-many) becomes one-to-one too: one association per socket */
	fd = REAL(socket)(domain, SOCK_STREAM | (type & ~base), IPPROTO_TCP);
	if (fd >= 0 && track(fd, NULL) < 0) {
		int err = errno;
		REAL(close)(fd);
		errno = err;
		return -1;
	}
	return fd;
}

static int accepted(int lfd, int fd)
{
	struct assoc *l = lookup(lfd);

	if (fd >= 0 && l && track(fd, l) < 0) {
		int err = errno;
		REAL(close)(fd);
		errno = err;
		return -1;
	}
	return fd;
}

API int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	return accepted(fd, REAL(accept)(fd, addr, len));
}

API int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	return accepted(fd, REAL(accept4)(fd, addr, len, flags));
}

API int close(int fd)
{
	forget(fd);
	return REAL(close)(fd);
}

/* Multi-homing cannot be carried by TCP: the first address is bound, the others ignored. */
API int sctp_bindx(int sd, struct sockaddr *addrs, int addrcnt, int flags)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (!lookup(sd) || addrcnt < 1) {
		errno = !lookup(sd) ? ENOTSOCK : EINVAL;
		return -1;
	}
	if (flags != SCTP_BINDX_ADD_ADDR)
		return 0;
	if (getsockname(sd, (struct sockaddr *)&ss, &sl) == 0 &&
	    ((struct sockaddr_in *)&ss)->sin_port != 0)
		return 0;	/* already bound: an added address changes nothing on TCP */
	if (debug && addrcnt > 1)
		logf_("sctp2tcp: fd %d: binding the first of %d addresses only", sd, addrcnt);
	return bind(sd, addrs, addr_len(addrs));
}

/* Old (VERS_1) callers passed no id; every caller in Debian 12 uses the four-argument form. */
API int sctp_connectx(int sd, struct sockaddr *addrs, int addrcnt, sctp_assoc_t *id)
{
	int rc;

	if (!lookup(sd) || addrcnt < 1) {
		errno = !lookup(sd) ? ENOTSOCK : EINVAL;
		return -1;
	}
	rc = connect(sd, addrs, addr_len(addrs));
	if (id && (rc == 0 || errno == EINPROGRESS))
		*id = ASSOC_ID;
	return rc;
}

/* ---- socket options --------------------------------------------------------------------- */

API int setsockopt(int fd, int level, int opt, const void *val, socklen_t len)
{
	struct assoc *a = lookup(fd);

	if (level != SOL_SCTP || !a)
		return REAL(setsockopt)(fd, level, opt, val, len);
	if (!val && len) {
		errno = EFAULT;
		return -1;
	}
	switch (opt) {
	case SCTP_EVENTS:
		memset(&a->events, 0, sizeof(a->events));
		memcpy(&a->events, val, len < sizeof(a->events) ? len : sizeof(a->events));
		return 0;
	case SCTP_EVENT: {
		struct sctp_event ev;
		unsigned idx;

		if (len < sizeof(ev)) {
			errno = EINVAL;
			return -1;
		}
		memcpy(&ev, val, sizeof(ev));
		/* struct sctp_event_subscribe has one byte per notification type, in type order */
		idx = ev.se_type - SCTP_SN_TYPE_BASE;
		if (idx >= sizeof(a->events)) {
			errno = EINVAL;
			return -1;
		}
		((uint8_t *)&a->events)[idx] = ev.se_on;
		return 0;
	}
	case SCTP_NODELAY:
		return REAL(setsockopt)(fd, IPPROTO_TCP, TCP_NODELAY, val, len);
	default:
		/* SCTP_INITMSG, SCTP_PEER_ADDR_PARAMS, SCTP_RTOINFO...: nothing to tune on TCP */
		if (debug)
			logf_("sctp2tcp: fd %d: SCTP socket option %d accepted and ignored", fd, opt);
		return 0;
	}
}

API int getsockopt(int fd, int level, int opt, void *val, socklen_t *len)
{
	struct assoc *a = lookup(fd);
	struct sockaddr_storage peer;
	socklen_t pl = sizeof(peer);

	if (level != SOL_SCTP || !a)
		return REAL(getsockopt)(fd, level, opt, val, len);
	switch (opt) {
	case SCTP_EVENTS:	/* libosmo-netif learns the kernel's struct size from *len */
		if (*len > sizeof(a->events))
			*len = sizeof(a->events);
		memcpy(val, &a->events, *len);
		return 0;
	case SCTP_NODELAY:
		return REAL(getsockopt)(fd, IPPROTO_TCP, TCP_NODELAY, val, len);
	case SCTP_INITMSG: {
		struct sctp_initmsg im = { .sinit_num_ostreams = NUM_STREAMS,
					   .sinit_max_instreams = NUM_STREAMS,
					   .sinit_max_attempts = 8, .sinit_max_init_timeo = 60000 };
		if (*len < sizeof(im))
			break;
		memcpy(val, &im, sizeof(im));
		*len = sizeof(im);
		return 0;
	}
	case SCTP_STATUS: {
		struct sctp_status st;
		bool up = getpeername(fd, (struct sockaddr *)&peer, &pl) == 0;

		if (*len < sizeof(st))
			break;
		memset(&st, 0, sizeof(st));
		st.sstat_assoc_id = ASSOC_ID;
		st.sstat_state = up ? SCTP_ESTABLISHED : SCTP_CLOSED;
		st.sstat_rwnd = 65536;
		st.sstat_instrms = st.sstat_outstrms = NUM_STREAMS;
		st.sstat_fragmentation_point = M3UA_MAX_LEN;
		st.sstat_primary.spinfo_assoc_id = ASSOC_ID;
		if (up)
			memcpy(&st.sstat_primary.spinfo_address, &peer, sizeof(peer));
		st.sstat_primary.spinfo_state = up ? SCTP_ACTIVE : SCTP_INACTIVE;
		st.sstat_primary.spinfo_mtu = 65535;
		memcpy(val, &st, sizeof(st));
		*len = sizeof(st);
		return 0;
	}
	case SCTP_PEER_ADDR_PARAMS: {
		struct sctp_paddrparams pp;

		if (*len < sizeof(pp))
			break;
		memcpy(&pp, val, sizeof(pp));	/* keeps the caller's assoc id and address */
		pp.spp_hbinterval = 30000;
		pp.spp_pathmaxrxt = 5;
		pp.spp_pathmtu = 65535;
		pp.spp_flags = SPP_HB_ENABLE | SPP_PMTUD_ENABLE;
		memcpy(val, &pp, sizeof(pp));
		*len = sizeof(pp);
		return 0;
	}
	default:
		if (debug)
			logf_("sctp2tcp: fd %d: SCTP socket option %d not emulated", fd, opt);
		errno = ENOPROTOOPT;
		return -1;
	}
	errno = EINVAL;
	return -1;
}

/* ---- receiving ----------------------------------------------------------------------- */

static int protocol_error(int fd, struct assoc *a)
{
	char peer[80];

	peer_name(fd, peer, sizeof(peer));
	logf_("sctp2tcp: fd %d, peer %s: invalid M3UA length %u (class %u type %u), closing the "
	      "association", fd, peer, get_be32(a->rx + 4), a->rx[2], a->rx[3]);
	a->dead = true;
	shutdown(fd, SHUT_RDWR);
	errno = ECONNRESET;
	return -1;
}

/* Reads the current message into a->rx and never past its end: the next message stays in
 * the kernel, so poll() keeps reporting it. 1: complete, 0: end of stream, -1: errno. */
static int rx_fill(int fd, struct assoc *a)
{
	while (a->have < a->need) {
		ssize_t n = recv(fd, a->rx + a->have, a->need - a->have, MSG_DONTWAIT);

		if (n == 0)
			return 0;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		a->have += n;
		if (a->have == M3UA_HDR_LEN && a->need == M3UA_HDR_LEN) {
			uint32_t len = get_be32(a->rx + 4);

			if (!m3ua_len_ok(len))
				return protocol_error(fd, a);
			a->need = len;
		}
	}
	return 1;
}

/* Half a message is in: tell an event-driven caller something harmless ("peer address
 * available") rather than 0 or -1, which libosmo-sigtran takes for a lost association. */
static int rx_notify(int fd, void *msg, size_t len, int *msg_flags)
{
	struct sctp_paddr_change pc;
	struct sockaddr_storage peer;
	socklen_t pl = sizeof(peer);

	memset(&pc, 0, sizeof(pc));
	memset(&peer, 0, sizeof(peer));
	getpeername(fd, (struct sockaddr *)&peer, &pl);
	pc.spc_type = SCTP_PEER_ADDR_CHANGE;
	pc.spc_length = sizeof(pc);
	memcpy(&pc.spc_aaddr, &peer, sizeof(peer));
	pc.spc_state = SCTP_ADDR_AVAILABLE;
	pc.spc_assoc_id = ASSOC_ID;
	if (len > sizeof(pc))
		len = sizeof(pc);
	memcpy(msg, &pc, len);
	if (msg_flags)
		*msg_flags = MSG_NOTIFICATION | MSG_EOR;
	return len;
}

/* Exactly one M3UA message per call, as SCTP delivers it, with the PPID and a stream
 * derived from the message class (libosmo-sigtran refuses DATA on stream 0). */
API int sctp_recvmsg(int s, void *msg, size_t len, struct sockaddr *from, socklen_t *fromlen,
		     struct sctp_sndrcvinfo *sinfo, int *msg_flags)
{
	struct assoc *a = lookup(s);
	int in_flags = msg_flags ? *msg_flags : 0;
	size_t n;
	int rc;

	if (!a) {
		errno = ENOTSOCK;
		return -1;
	}
	if (a->dead) {
		errno = ECONNRESET;
		return -1;
	}
	if (!a->rx && !(a->rx = malloc(M3UA_MAX_LEN)))
		return -1;
	while ((rc = rx_fill(s, a)) < 0) {
		struct pollfd pfd = { .fd = s, .events = POLLIN };

		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if (a->events.sctp_address_event)
			return rx_notify(s, msg, len, msg_flags);
		if ((in_flags & MSG_DONTWAIT) || (fcntl(s, F_GETFL) & O_NONBLOCK))
			return -1;	/* EAGAIN: no complete message, and the socket would block */
		poll(&pfd, 1, -1);
	}
	if (rc == 0)
		return 0;

	n = a->have - a->delivered;
	if (n > len)
		n = len;	/* SCTP partial delivery: the rest comes with the next call */
	memcpy(msg, a->rx + a->delivered, n);
	if (msg_flags)
		*msg_flags = a->delivered + n == a->have ? MSG_EOR : 0;
	if (!(in_flags & MSG_PEEK))	/* a peek leaves the message to the next call */
		a->delivered += n;
	if (sinfo) {
		memset(sinfo, 0, sizeof(*sinfo));
		sinfo->sinfo_stream = a->rx[2] == M3UA_CLASS_XFER ? 1 : 0;
		sinfo->sinfo_ppid = htonl(M3UA_PPID);
		sinfo->sinfo_assoc_id = ASSOC_ID;
	}
	if (from && fromlen && getpeername(s, from, fromlen) < 0)
		*fromlen = 0;
	if (a->delivered == a->have) {
		a->have = a->delivered = 0;
		a->need = M3UA_HDR_LEN;
	}
	return n;
}

/* ---- sending ------------------------------------------------------------------------- */

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* A message goes out whole or not at all: once its first byte is on the stream the rest must
 * follow, so a partial write waits (bounded) for room; failing that the association is closed,
 * since the peer could never find the next message boundary. */
static int tx_message(int fd, const void *buf, size_t len, int flags)
{
	const uint8_t *p = buf;
	size_t done = 0;
	struct timespec t0 = { 0 };
	char peer[80];

	if (!lookup(fd)) {
		errno = ENOTSOCK;
		return -1;
	}
	if (len < M3UA_HDR_LEN || get_be32(p + 4) != len || !m3ua_len_ok(len)) {
		logf_("sctp2tcp: fd %d: refusing to send %zu bytes that are not one M3UA message", fd, len);
		errno = EINVAL;
		return -1;
	}
	while (done < len) {
		ssize_t n = send(fd, p + done, len - done, flags | MSG_NOSIGNAL);
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		long left;

		if (n > 0) {
			if (done == 0 && (size_t)n < len)
				clock_gettime(CLOCK_MONOTONIC, &t0);
			done += n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && done > 0 &&
		    (left = SEND_FINISH_MS - ms_since(&t0)) > 0) {
			poll(&pfd, 1, left);
			continue;
		}
		if (done == 0)
			return -1;	/* nothing sent: errno as the kernel said (EAGAIN, EPIPE...) */
		peer_name(fd, peer, sizeof(peer));
		logf_("sctp2tcp: fd %d, peer %s: %zu of %zu bytes sent, closing the association",
		      fd, peer, done, len);
		shutdown(fd, SHUT_RDWR);
		errno = EPIPE;
		return -1;
	}
	return len;
}

API int sctp_send(int s, const void *msg, size_t len, const struct sctp_sndrcvinfo *sinfo, int flags)
{
	return tx_message(s, msg, len, flags);
}

API int sctp_sendmsg(int s, const void *msg, size_t len, struct sockaddr *to, socklen_t tolen,
		     uint32_t ppid, uint32_t flags, uint16_t stream_no, uint32_t timetolive,
		     uint32_t context)
{
	return tx_message(s, msg, len, 0);
}

/* ---- addresses: one each way ------------------------------------------------------------ */

static int one_addr(int sd, struct sockaddr **addrs, bool local)
{
	struct sockaddr_storage *ss;
	socklen_t sl = sizeof(*ss);

	if (!lookup(sd)) {
		errno = ENOTSOCK;
		return -1;
	}
	ss = calloc(1, sizeof(*ss));
	if (!ss)
		return -1;
	if ((local ? getsockname : getpeername)(sd, (struct sockaddr *)ss, &sl) < 0) {
		free(ss);
		return -1;
	}
	*addrs = (struct sockaddr *)ss;
	return 1;
}

API int sctp_getpaddrs(int sd, sctp_assoc_t id, struct sockaddr **addrs)
{
	return one_addr(sd, addrs, false);
}

API int sctp_getladdrs(int sd, sctp_assoc_t id, struct sockaddr **addrs)
{
	return one_addr(sd, addrs, true);
}

API int sctp_freepaddrs(struct sockaddr *addrs)
{
	free(addrs);
	return 0;
}

API int sctp_freeladdrs(struct sockaddr *addrs)
{
	free(addrs);
	return 0;
}
