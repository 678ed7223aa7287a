/*
 * Probe for test m3ua.capture.ends (m3ua_capture_ends_test.py): the capture's addresses and
 * ports, on associations made here through sctp_send()/sctp_recvmsg() as the libraries make
 * them, under libsctp2tcp.so. One M3UA message each way on each association, in this order:
 *   1. IPv4 127.0.33.2:33106 -> 127.0.33.1:33105, then both closed;
 *   2. IPv4 127.0.33.3:33107 -> 127.0.33.1:33105 on the same socket numbers as 1;
 *   3. IPv6 [::1]:33109 -> [::1]:33108;
 *   4. IPv4 127.0.33.4:33110 -> 127.0.33.1:33108, a dual-stack [::] listener (v4-mapped ends).
 * The client sends first; each message carries its number in the M3UA INFO String. Usage:
 *   m3ua_capture_ends FILE.pcap   (prints the socket numbers of each association)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/sctp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "m3ua_capture.h"

static int fd_cli = -1, fd_srv = -1;

static bool ours(void *priv, int fd)
{
	return fd >= 0 && (fd == fd_cli || fd == fd_srv);
}

static int sock(int family, const char *addr, int port)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	int fd = socket(family, SOCK_STREAM, IPPROTO_SCTP), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		inet_pton(AF_INET, addr, &sin->sin_addr);
	} else {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		inet_pton(AF_INET6, addr, &sin6->sin6_addr);
	}
	if (bind(fd, (struct sockaddr *)&ss, family == AF_INET ? sizeof(*sin) : sizeof(*sin6)) < 0) {
		perror(addr);
		close(fd);
		return -1;
	}
	return fd;
}

/* An M3UA ASPUP (class 3, type 1) with an INFO String "msg N": small, and tshark names it */
static int send_one(int fd, unsigned int n)
{
	uint8_t m[20] = { 1, 0, 3, 1, 0, 0, 0, 20, 0x00, 0x04, 0, 9 };
	struct sctp_sndrcvinfo sinfo = { .sinfo_ppid = htonl(3) };

	snprintf((char *)m + 12, 8, "msg %u", n);
	m[19] = 0;
	return sctp_send(fd, m, sizeof(m), &sinfo, MSG_NOSIGNAL) == sizeof(m) ? 0 : -1;
}

static int recv_one(int fd)
{
	struct sctp_sndrcvinfo sinfo;
	uint8_t buf[256];
	int flags = 0;

	return sctp_recvmsg(fd, buf, sizeof(buf), NULL, NULL, &sinfo, &flags) == 20 ? 0 : -1;
}

/* One association from a client socket cli to the listener l, a message each way */
static int exchange(int l, int cli, const struct sockaddr *to, socklen_t tolen, unsigned int *n)
{
	fd_cli = cli;
	if (cli < 0 || connect(cli, to, tolen) < 0 || (fd_srv = accept(l, NULL, NULL)) < 0)
		return -1;
	printf("client fd %d, server fd %d\n", fd_cli, fd_srv);
	if (send_one(fd_cli, ++*n) < 0 || recv_one(fd_srv) < 0 ||
	    send_one(fd_srv, ++*n) < 0 || recv_one(fd_cli) < 0)
		return -1;
	close(fd_cli);
	close(fd_srv);
	fd_cli = fd_srv = -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in to4 = { .sin_family = AF_INET, .sin_port = htons(33105) };
	struct sockaddr_in6 to6 = { .sin6_family = AF_INET6, .sin6_port = htons(33108) };
	unsigned int n = 0;
	int l4, l6, rc = 0;

	if (argc != 2)
		return 2;
	inet_pton(AF_INET, "127.0.33.1", &to4.sin_addr);
	to6.sin6_addr = in6addr_loopback;
	m3ua_capture_init();
	m3ua_capture_set_owner(ours, NULL);
	if (m3ua_capture_set_path(argv[1]) < 0 || m3ua_capture_start() < 0)
		return 1;
	l4 = sock(AF_INET, "127.0.33.1", 33105);
	l6 = sock(AF_INET6, "::", 33108);	/* dual stack: IPv4 clients come v4-mapped */
	if (l4 < 0 || l6 < 0 || listen(l4, 1) < 0 || listen(l6, 1) < 0)
		return 1;
	rc |= exchange(l4, sock(AF_INET, "127.0.33.2", 33106), (struct sockaddr *)&to4,
		       sizeof(to4), &n);
	rc |= exchange(l4, sock(AF_INET, "127.0.33.3", 33107), (struct sockaddr *)&to4,
		       sizeof(to4), &n);
	rc |= exchange(l6, sock(AF_INET6, "::1", 33109), (struct sockaddr *)&to6, sizeof(to6), &n);
	to4.sin_port = htons(33108);
	rc |= exchange(l6, sock(AF_INET, "127.0.33.4", 33110), (struct sockaddr *)&to4,
		       sizeof(to4), &n);
	m3ua_capture_stop();
	if (rc)
		fprintf(stderr, "m3ua_capture_ends: an association failed\n");
	return rc ? 1 : 0;
}
