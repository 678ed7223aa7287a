/*
 * nats_bus: the connection, its options from the "nats" section, the main thread's API
 * and the hand-over of everything nats.c's threads receive to the select loop (see
 * nats_bus.h; the publisher thread is nats_pub.c, the queues nats_queue.c).
 */
#define _GNU_SOURCE	/* memrchr */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <osmocom/core/logging.h>
#include <osmocom/core/rate_ctr.h>
#include <osmocom/core/stat_item.h>
#include <osmocom/core/stats.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>
#include <osmocom/vty/misc.h>
#include <osmocom/vty/vty.h>

#include "nats_bus_priv.h"
#include "nats_kv.h"

int nats_log_ss = DLGLOBAL;

enum {
	RX_BATCH = 256,		/* events the main thread takes per turn of its loop */
	FOLD_MS = 1000,
	CLOSE_WAIT_MS = 5000,	/* for nats.c's closed and on-complete callbacks */
};

static const struct rate_ctr_desc bus_ctr_desc[] = {
	[NATS_BUS_CTR_PUB_QUEUED] = { "pub:queued", "Messages queued by the main thread" },
	[NATS_BUS_CTR_PUB_SENT] = { "pub:sent", "Messages handed to nats.c" },
	[NATS_BUS_CTR_PUB_DROP_FULL] = { "pub:drop:full", "Refused: publish buffer full" },
	[NATS_BUS_CTR_PUB_ERRORS] = { "pub:errors", "Refused by nats.c" },
	[NATS_BUS_CTR_RX_MSGS] = { "rx:msgs", "Subscription messages delivered" },
	[NATS_BUS_CTR_RX_DROP_FULL] = { "rx:drop:full", "Dropped: incoming queue full" },
	[NATS_BUS_CTR_RX_SLOW_CONSUMER] = { "rx:drop:slow-consumer", "Dropped by nats.c: pending limit" },
	[NATS_BUS_CTR_REQUESTS] = { "req:sent", "Requests queued" },
	[NATS_BUS_CTR_REQ_NOTCONN] = { "req:notconn", "Requests refused: not connected" },
	[NATS_BUS_CTR_REPLIES] = { "req:replies", "Replies delivered" },
	[NATS_BUS_CTR_NO_RESPONDERS] = { "req:no-responders", "Requests nobody listened to" },
	[NATS_BUS_CTR_DISCONNECTS] = { "conn:disconnects", "Connection lost" },
	[NATS_BUS_CTR_RECONNECTS] = { "conn:reconnects", "Connection back" },
	[NATS_BUS_CTR_ASYNC_ERRORS] = { "conn:async-errors", "Errors nats.c reported asynchronously" },
	[NATS_BUS_CTR_SUB_ERRORS] = { "sub:errors", "Subscriptions nats.c refused" },
	[NATS_BUS_CTR_FLUSHES] = { "pub:flushes", "Batches written by the publisher thread" },
};

static const struct rate_ctr_group_desc bus_ctrg_desc = {
	.group_name_prefix = "nats",
	.group_description = "NATS adapter",
	.class_id = OSMO_STATS_CLASS_GLOBAL,
	.num_ctr = ARRAY_SIZE(bus_ctr_desc),
	.ctr_desc = bus_ctr_desc,
};

static const struct osmo_stat_item_desc bus_stat_desc[] = {
	[NATS_BUS_STAT_PUB_BUFFERED_MSGS] = { "pub:buffered:msgs", "Messages in the publish buffer", "", 16, 0 },
	[NATS_BUS_STAT_PUB_BUFFERED_BYTES] = { "pub:buffered:bytes", "Bytes in the publish buffer", "B", 16, 0 },
	[NATS_BUS_STAT_IN_QUEUED_MSGS] = { "rx:queued:msgs", "Events waiting for the main thread", "", 16, 0 },
};

static const struct osmo_stat_item_group_desc bus_statg_desc = {
	.group_name_prefix = "nats",
	.group_description = "NATS adapter",
	.class_id = OSMO_STATS_CLASS_GLOBAL,
	.num_items = ARRAY_SIZE(bus_stat_desc),
	.item_desc = bus_stat_desc,
};

/* which rate counter each of the other threads' counts goes to */
static const enum nats_bus_ctr actr_ctr[NATS_ACTR_NUM] = {
	[NATS_ACTR_PUB_SENT] = NATS_BUS_CTR_PUB_SENT,
	[NATS_ACTR_PUB_ERRORS] = NATS_BUS_CTR_PUB_ERRORS,
	[NATS_ACTR_RX_DROP_FULL] = NATS_BUS_CTR_RX_DROP_FULL,
	[NATS_ACTR_RX_SLOW_CONSUMER] = NATS_BUS_CTR_RX_SLOW_CONSUMER,
	[NATS_ACTR_ASYNC_ERRORS] = NATS_BUS_CTR_ASYNC_ERRORS,
	[NATS_ACTR_FLUSHES] = NATS_BUS_CTR_FLUSHES,
};

void nats_bus_set_log_subsys(int subsys)
{
	nats_log_ss = subsys;
}

/* --- configuration ------------------------------------------------------------------- */

void nats_bus_cfg_init(struct nats_bus_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	OSMO_STRLCPY_ARRAY(cfg->name, "ss7gw");
	OSMO_STRLCPY_ARRAY(cfg->subject_prefix, "ss7");
	nats_bus_cfg_set_qgroup(cfg, "requests", "ss7gw");
	cfg->pub_max_msgs = 100000;
	cfg->pub_max_bytes = 32 << 20;
	cfg->in_max_msgs = 20000;
	cfg->in_max_bytes = 16 << 20;
	cfg->reconnect_wait_ms = 250;
	cfg->max_reconnect = -1;
	cfg->reconnect_buf = 8 << 20;
	cfg->connect_timeout_ms = 2000;
	cfg->ping_interval_ms = 10000;
	cfg->max_pings_out = 3;
	cfg->flush = NATS_BUS_FLUSH_BATCH;
}

static bool name_ok(const char *s, size_t max)
{
	return s[0] && strlen(s) < max && nats_subject_ok(s, false) && !strchr(s, '.');
}

int nats_bus_cfg_set_qgroup(struct nats_bus_cfg *cfg, const char *role, const char *group)
{
	unsigned int i;

	if (!name_ok(role, sizeof(cfg->qgroups[0].role)) || !group[0]
	    || strlen(group) >= sizeof(cfg->qgroups[0].group) || !nats_subject_ok(group, false))
		return -EINVAL;
	for (i = 0; i < cfg->n_qgroups; i++) {
		if (!strcmp(cfg->qgroups[i].role, role))
			break;
	}
	if (i == NATS_BUS_MAX_QGROUPS)
		return -ENOSPC;
	memset(&cfg->qgroups[i], 0, sizeof(cfg->qgroups[i]));
	OSMO_STRLCPY_ARRAY(cfg->qgroups[i].role, role);
	OSMO_STRLCPY_ARRAY(cfg->qgroups[i].group, group);
	if (i == cfg->n_qgroups)
		cfg->n_qgroups++;
	return 0;
}

const char *nats_bus_cfg_qgroup(const struct nats_bus_cfg *cfg, const char *role)
{
	unsigned int i;

	for (i = 0; i < cfg->n_qgroups; i++) {
		if (!strcmp(cfg->qgroups[i].role, role))
			return cfg->qgroups[i].group;
	}
	return NULL;
}

bool nats_subject_ok(const char *s, bool wildcards)
{
	const char *tok = s;

	if (!*s)
		return false;
	for (;; s++) {
		if (*s == '.' || !*s) {
			size_t n = s - tok;

			if (!n)
				return false;
			if (!wildcards && memchr(tok, '*', n))
				return false;
			if (memchr(tok, '>', n) && (!wildcards || n != 1 || *s))
				return false;
			if (n > 1 && wildcards && memchr(tok, '*', n))
				return false;
			if (!*s)
				return true;
			tok = s + 1;
		} else if ((unsigned char)*s <= ' ' || *s == 0x7f) {
			return false;
		}
	}
}

/* --- errors -------------------------------------------------------------------------- */

const char *nats_status_text(natsStatus s, char *buf, size_t size)
{
	natsStatus ls;
	const char *last = nats_GetLastError(&ls);

	if (last && *last && ls == s) {
		/* "(conn.c:2088): text": the source position says nothing to an operator */
		if (last[0] == '(' && strstr(last, "): "))
			last = strstr(last, "): ") + 3;
		snprintf(buf, size, "%s", last);
	} else {
		snprintf(buf, size, "%s", natsStatus_GetText(s));
	}
	return buf;
}

/* nats.c says only "no server available": try the first URL's TCP port ourselves (at
 * startup, bounded) to tell "refused" from "no answer" from "unknown host". */
static void probe_url(const char *url, unsigned int timeout_ms, char *why, size_t size)
{
	char host[256], port[16] = "4222";
	const char *h = strstr(url, "://"), *at, *end, *colon;
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *ai = NULL;
	struct pollfd pfd;
	int fd, rc, soerr = 0;
	socklen_t sl = sizeof(soerr);

	h = h ? h + 3 : url;
	if ((at = strchr(h, '@')))
		h = at + 1;
	end = h + strcspn(h, "/");
	colon = memrchr(h, ':', end - h);
	if (colon && colon > h && h[0] != '[') {
		snprintf(host, sizeof(host), "%.*s", (int)(colon - h), h);
		snprintf(port, sizeof(port), "%.*s", (int)(end - colon - 1), colon + 1);
	} else {
		snprintf(host, sizeof(host), "%.*s", (int)(end - h), h);
	}
	if (getaddrinfo(host, port, &hints, &ai) || !ai) {
		snprintf(why, size, "unknown host %.100s", host);
		return;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	rc = fd < 0 ? -1 : connect(fd, ai->ai_addr, ai->ai_addrlen);
	if (rc < 0 && errno == EINPROGRESS) {
		pfd = (struct pollfd){ .fd = fd, .events = POLLOUT };
		rc = poll(&pfd, 1, timeout_ms > 1000 ? 1000 : timeout_ms);
		if (rc == 0)
			soerr = ETIMEDOUT;
		else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
			soerr = errno;
	} else if (rc < 0) {
		soerr = errno;
	}
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	if (soerr == ECONNREFUSED)
		snprintf(why, size, "connection refused");
	else if (soerr == ETIMEDOUT)
		snprintf(why, size, "no answer");
	else if (soerr)
		snprintf(why, size, "%s", strerror(soerr));
	else
		snprintf(why, size, "its port answers, but not as a nats-server: TLS expected, or another service?");
}

static void servers_text(const struct nats_bus_cfg *cfg, char *buf, size_t size)
{
	unsigned int i;
	size_t n = 0;

	buf[0] = '\0';
	for (i = 0; i < cfg->n_servers && n < size; i++)
		n += snprintf(buf + n, size - n, "%s%s", i ? "," : "", cfg->servers[i]);
	if (!cfg->n_servers)
		snprintf(buf, size, "nats://127.0.0.1:4222");
}

/* One line saying what failed at connect and what to do about it. */
static void connect_error(const struct nats_bus_cfg *cfg, natsStatus s, char *err, size_t errsz)
{
	char why[200], where[600];

	nats_status_text(s, why, sizeof(why));
	servers_text(cfg, where, sizeof(where));
	for (char *p = why; *p; p++) {
		if (*p == '\n')
			*p = ' ';
	}
	switch (s) {
	case NATS_NO_SERVER:
	case NATS_IO_ERROR:
	case NATS_TIMEOUT:
		probe_url(cfg->n_servers ? cfg->servers[0] : "nats://127.0.0.1:4222", cfg->connect_timeout_ms,
			  why, sizeof(why));
		snprintf(err, errsz, "cannot reach nats-server at %s (%s): start nats-server or fix the 'nats' servers",
			 where, why);
		break;
	case NATS_NOT_PERMITTED:
	case NATS_CONNECTION_AUTH_FAILED:
		snprintf(err, errsz, "nats-server at %s refused us (%s): fix user/password, token, credentials "
			 "or nkey in the 'nats' section", where, why);
		break;
	case NATS_SSL_ERROR:
	case NATS_SECURE_CONNECTION_REQUIRED:
	case NATS_SECURE_CONNECTION_WANTED:
		snprintf(err, errsz, "TLS with nats-server at %s failed (%s): fix the tls lines of the 'nats' "
			 "section or the server's TLS", where, why);
		break;
	default:
		snprintf(err, errsz, "cannot connect to nats-server at %s (%s): check the 'nats' section", where, why);
		break;
	}
}

/* --- nats.c's callbacks (its threads) ------------------------------------------------ */

static void push_conn(struct nats_bus *b, int status)
{
	struct nats_ev ev = { .kind = NATS_EV_CONN, .status = status };

	nats_rxq_push(&b->rxq, &ev, true);
}

static void disconnected_cb(natsConnection *nc, void *closure)
{
	struct nats_bus *b = closure;

	atomic_store(&b->up, false);
	push_conn(b, 0);
}

static void reconnected_cb(natsConnection *nc, void *closure)
{
	struct nats_bus *b = closure;

	nats_pub_refresh_info(b);
	atomic_store(&b->up, true);
	push_conn(b, 1);
	nats_pub_kick(b);
}

static void closed_cb(natsConnection *nc, void *closure)
{
	struct nats_bus *b = closure;

	atomic_store(&b->up, false);
	push_conn(b, -1);
	pthread_mutex_lock(&b->info_mu);
	b->closed = true;
	pthread_cond_broadcast(&b->closed_cond);
	pthread_mutex_unlock(&b->info_mu);
}

static void error_cb(natsConnection *nc, natsSubscription *sub, natsStatus err, void *closure)
{
	struct nats_bus *b = closure;
	struct nats_ev ev = { .kind = NATS_EV_ERR, .status = err };

	if (err == NATS_SLOW_CONSUMER)
		return;		/* counted per message by the publisher thread */
	atomic_fetch_add(&b->actr[NATS_ACTR_ASYNC_ERRORS], 1);
	nats_rxq_push(&b->rxq, &ev, false);	/* for the log; dropped when the queue is full */
}

static void inbox_cb(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
	struct nats_bus *b = closure;
	struct nats_ev ev = { .kind = NATS_EV_INBOX, .msg = msg };

	if (nats_rxq_push(&b->rxq, &ev, false) < 0) {
		atomic_fetch_add(&b->actr[NATS_ACTR_RX_DROP_FULL], 1);
		natsMsg_Destroy(msg);
	}
}

static void inbox_complete_cb(void *closure)
{
	struct nats_bus *b = closure;

	atomic_fetch_sub(&b->live_subs, 1);
}

/* --- the main thread's side of the incoming queue ------------------------------------ */

static void conn_event(struct nats_bus *b, int status)
{
	bool up = status > 0;

	if (status < 0) {
		LOGNATS(LOGL_ERROR, "connection closed for good (max-reconnect reached?): nothing more will be "
			"sent or received\n");
	}
	if (up == b->up_reported)
		return;
	b->up_reported = up;
	if (up) {
		char url[NATS_BUS_PATH_LEN], id[64];
		unsigned int waiting;

		pthread_mutex_lock(&b->info_mu);
		OSMO_STRLCPY_ARRAY(url, b->info.url);
		OSMO_STRLCPY_ARRAY(id, b->info.server_id);
		pthread_mutex_unlock(&b->info_mu);
		pthread_mutex_lock(&b->txq.mu);
		waiting = b->txq.msgs;
		pthread_mutex_unlock(&b->txq.mu);
		rate_ctr_inc2(b->ctrs, NATS_BUS_CTR_RECONNECTS);
		LOGNATS(LOGL_NOTICE, "reconnected to %s (server %s); %u messages waiting to go out\n",
			url, id, waiting);
	} else {
		rate_ctr_inc2(b->ctrs, NATS_BUS_CTR_DISCONNECTS);
		LOGNATS(LOGL_ERROR, "disconnected from nats-server; buffering up to %u messages / %zu bytes "
			"while nats.c reconnects\n", b->cfg.pub_max_msgs, b->cfg.pub_max_bytes);
	}
	b->ops->conn_state(b->priv, up);
}

static void inbox_event(struct nats_bus *b, natsMsg *m)
{
	const char *subj = natsMsg_GetSubject(m), *id;
	char *end;
	uint64_t v;

	if (strncmp(subj, b->inbox, b->inbox_len) || subj[b->inbox_len] != '.')
		return;
	id = subj + b->inbox_len + 1;
	errno = 0;
	v = strtoull(id + 1, &end, 10);
	if (errno || *end || end == id + 1)
		return;
	switch (id[0]) {
	case 'R':
		if (natsMsg_IsNoResponders(m)) {
			rate_ctr_inc2(b->ctrs, NATS_BUS_CTR_NO_RESPONDERS);
			b->ops->reply(b->priv, v, -EHOSTUNREACH, NULL, 0);
		} else {
			rate_ctr_inc2(b->ctrs, NATS_BUS_CTR_REPLIES);
			b->ops->reply(b->priv, v, 0, natsMsg_GetData(m), natsMsg_GetDataLength(m));
		}
		break;
	case 'K':
		if (b->kv)
			nats_kv_on_answer(b->kv, v, m);
		break;
	}
}

static void dispatch(struct nats_bus *b, struct nats_ev *ev)
{
	char why[160];

	switch (ev->kind) {
	case NATS_EV_MSG:
		rate_ctr_inc2(b->ctrs, NATS_BUS_CTR_RX_MSGS);
		b->cur_msg = ev->msg;
		b->ops->msg(b->priv, ev->tag, natsMsg_GetSubject(ev->msg), natsMsg_GetReply(ev->msg),
			    natsMsg_GetData(ev->msg), natsMsg_GetDataLength(ev->msg));
		b->cur_msg = NULL;
		break;
	case NATS_EV_INBOX:
		inbox_event(b, ev->msg);
		break;
	case NATS_EV_CONN:
		conn_event(b, ev->status);
		break;
	case NATS_EV_ERR:
		LOGNATS(LOGL_ERROR, "nats.c reports: %s\n", natsStatus_GetText(ev->status));
		break;
	case NATS_EV_SUB_FAILED:
		rate_ctr_inc2(b->ctrs, NATS_BUS_CTR_SUB_ERRORS);
		snprintf(why, sizeof(why), "%s", natsStatus_GetText(ev->status));
		LOGNATS(LOGL_ERROR, "subscription %u refused by nats.c: %s\n", ev->tag, why);
		break;
	}
}

static int rx_fd_cb(struct osmo_fd *ofd, unsigned int what)
{
	struct nats_bus *b = ofd->data;
	struct nats_ev ev[RX_BATCH];
	unsigned int i, n = nats_rxq_take(&b->rxq, ev, RX_BATCH);

	for (i = 0; i < n; i++) {
		dispatch(b, &ev[i]);
		natsMsg_Destroy(ev[i].msg);
	}
	return 0;
}

/* --- counters ------------------------------------------------------------------------ */

void nats_bus_fold_ctrs(struct nats_bus *b)
{
	unsigned int i, qmsgs, inq;
	size_t qbytes;

	for (i = 0; i < NATS_ACTR_NUM; i++) {
		uint64_t v = atomic_load(&b->actr[i]);

		if (v != b->actr_folded[i])
			rate_ctr_add(rate_ctr_group_get_ctr(b->ctrs, actr_ctr[i]), (int)(v - b->actr_folded[i]));
		b->actr_folded[i] = v;
	}
	pthread_mutex_lock(&b->txq.mu);
	qmsgs = b->txq.msgs;
	qbytes = b->txq.data_bytes;
	pthread_mutex_unlock(&b->txq.mu);
	pthread_mutex_lock(&b->rxq.mu);
	inq = b->rxq.n;
	pthread_mutex_unlock(&b->rxq.mu);
	osmo_stat_item_set(osmo_stat_item_group_get_item(b->stats, NATS_BUS_STAT_PUB_BUFFERED_MSGS), qmsgs);
	osmo_stat_item_set(osmo_stat_item_group_get_item(b->stats, NATS_BUS_STAT_PUB_BUFFERED_BYTES),
			   qbytes > INT32_MAX ? INT32_MAX : (int32_t)qbytes);
	osmo_stat_item_set(osmo_stat_item_group_get_item(b->stats, NATS_BUS_STAT_IN_QUEUED_MSGS), inq);
}

static void fold_timer_cb(void *data)
{
	struct nats_bus *b = data;

	nats_bus_fold_ctrs(b);
	osmo_timer_schedule(&b->fold_timer, FOLD_MS / 1000, (FOLD_MS % 1000) * 1000);
}

/* --- open and close ------------------------------------------------------------------ */

/* nats.c options from the configuration; err says which line is wrong */
static natsStatus set_options(struct nats_bus *b, char *err, size_t errsz)
{
	const struct nats_bus_cfg *c = &b->cfg;
	const char *urls[NATS_BUS_MAX_SERVERS];
	const char *what = "";
	char why[200];
	unsigned int i;
	natsStatus s;

	for (i = 0; i < c->n_servers; i++)
		urls[i] = c->servers[i];
	if (!c->n_servers)
		urls[0] = "nats://127.0.0.1:4222";
	s = natsOptions_Create(&b->opts);
	if (s != NATS_OK) {
		snprintf(err, errsz, "cannot initialise nats.c (%s)", nats_status_text(s, why, sizeof(why)));
		return s;
	}
#define OPT(call, line) do { if (s == NATS_OK) { s = (call); what = (line); } } while (0)
	OPT(natsOptions_SetServers(b->opts, urls, c->n_servers ? (int)c->n_servers : 1), "server");
	OPT(natsOptions_SetNoRandomize(b->opts, true), "server");
	if (c->name[0])
		OPT(natsOptions_SetName(b->opts, c->name), "name");
	if (c->user[0])
		OPT(natsOptions_SetUserInfo(b->opts, c->user, c->password), "user");
	if (c->token[0])
		OPT(natsOptions_SetToken(b->opts, c->token), "token");
	if (c->creds_file[0])
		OPT(natsOptions_SetUserCredentialsFromFiles(b->opts, c->creds_file, NULL), "credentials");
	if (c->nkey_pub[0])
		OPT(natsOptions_SetNKeyFromSeed(b->opts, c->nkey_pub, c->nkey_seed_file), "nkey");
	if (c->tls.enable)
		OPT(natsOptions_SetSecure(b->opts, true), "tls enable");
	if (c->tls.ca_file[0])
		OPT(natsOptions_LoadCATrustedCertificates(b->opts, c->tls.ca_file), "tls ca-file");
	if (c->tls.cert_file[0] || c->tls.key_file[0])
		OPT(natsOptions_LoadCertificatesChain(b->opts, c->tls.cert_file, c->tls.key_file), "tls cert-file");
	if (c->tls.hostname[0])
		OPT(natsOptions_SetExpectedHostname(b->opts, c->tls.hostname), "tls hostname");
	if (c->tls.ciphers[0])
		OPT(natsOptions_SetCiphers(b->opts, c->tls.ciphers), "tls ciphers");
	if (c->tls.skip_verify)
		OPT(natsOptions_SkipServerVerification(b->opts, true), "tls skip-verify");
	OPT(natsOptions_SetTimeout(b->opts, c->connect_timeout_ms), "connect-timeout");
	/* Without a write deadline nats.c's socket writes block, holding the connection's lock,
	 * for as long as a stalled server does not read: its ping timer cannot declare the
	 * connection dead, and natsConnection_Close() waits too. With it the write fails and
	 * nats.c reconnects. */
	OPT(natsOptions_SetWriteDeadline(b->opts, c->connect_timeout_ms), "connect-timeout");
	OPT(natsOptions_SetReconnectWait(b->opts, c->reconnect_wait_ms), "reconnect wait");
	OPT(natsOptions_SetMaxReconnect(b->opts, c->max_reconnect), "reconnect max-attempts");
	OPT(natsOptions_SetReconnectBufSize(b->opts, (int)c->reconnect_buf), "reconnect buffer");
	OPT(natsOptions_SetPingInterval(b->opts, c->ping_interval_ms), "ping interval");
	OPT(natsOptions_SetMaxPingsOut(b->opts, c->max_pings_out), "ping max-outstanding");
	OPT(natsOptions_SetSendAsap(b->opts, c->flush == NATS_BUS_FLUSH_ASAP), "");
	/* one delivery thread for every subscription rather than one thread each */
	OPT(natsOptions_UseGlobalMessageDelivery(b->opts, true), "");
	OPT(natsOptions_SetDisconnectedCB(b->opts, disconnected_cb, b), "");
	OPT(natsOptions_SetReconnectedCB(b->opts, reconnected_cb, b), "");
	OPT(natsOptions_SetClosedCB(b->opts, closed_cb, b), "");
	OPT(natsOptions_SetErrorHandler(b->opts, error_cb, b), "");
#undef OPT
	if (s != NATS_OK)
		snprintf(err, errsz, "nats.c refused the '%s' line of the 'nats' section (%s)", what,
			 nats_status_text(s, why, sizeof(why)));
	return s;
}

static void bus_free(struct nats_bus *b)
{
	if (b->rx_ofd.fd >= 0 && osmo_fd_is_registered(&b->rx_ofd))
		osmo_fd_unregister(&b->rx_ofd);
	osmo_timer_del(&b->fold_timer);
	nats_rxq_fini(&b->rxq);
	nats_txq_fini(&b->txq);
	natsOptions_Destroy(b->opts);
	if (b->ctrs)
		rate_ctr_group_free(b->ctrs);
	if (b->stats)
		osmo_stat_item_group_free(b->stats);
	pthread_mutex_destroy(&b->info_mu);
	pthread_cond_destroy(&b->closed_cond);
	talloc_free(b);
}

static bool wait_closed(struct nats_bus *b, int64_t deadline_ms)
{
	struct timespec ts;
	bool done;

	for (;;) {
		pthread_mutex_lock(&b->info_mu);
		done = b->closed && atomic_load(&b->live_subs) == 0;
		pthread_mutex_unlock(&b->info_mu);
		if (done || nats_now_ms() >= deadline_ms)
			return done;
		ts.tv_sec = 0;
		ts.tv_nsec = 2 * 1000 * 1000;
		nanosleep(&ts, NULL);
	}
}

/* Close the connection and wait until no nats.c thread will call into the bus again:
 * the closed callback ran and every subscription's on-complete callback did. */
static void conn_teardown(struct nats_bus *b, int64_t drain_ms)
{
	if (drain_ms <= 0 || natsConnection_DrainTimeout(b->nc, drain_ms) != NATS_OK) {
		natsConnection_Close(b->nc);
	}
	if (!wait_closed(b, nats_now_ms() + drain_ms + CLOSE_WAIT_MS)) {
		natsConnection_Close(b->nc);
		if (!wait_closed(b, nats_now_ms() + CLOSE_WAIT_MS))
			LOGNATS(LOGL_ERROR, "nats.c did not finish closing the connection in time\n");
	}
}

static unsigned int bus_index;

struct nats_bus *nats_bus_open(void *ctx, const struct nats_bus_cfg *cfg,
			       const struct nats_bus_ops *ops, void *priv, char *err, size_t errsz)
{
	struct nats_bus *b = talloc_zero(ctx, struct nats_bus);
	natsInbox *inbox = NULL;
	char sub[80], why[200];
	natsStatus s;

	if (!b) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	b->cfg = *cfg;
	b->ops = ops;
	b->priv = priv;
	b->rx_ofd.fd = -1;
	INIT_LLIST_HEAD(&b->subs);
	pthread_mutex_init(&b->info_mu, NULL);
	pthread_cond_init(&b->closed_cond, NULL);
	if (nats_txq_init(&b->txq, cfg->pub_max_msgs, cfg->pub_max_bytes) < 0
	    || nats_rxq_init(&b->rxq, cfg->in_max_msgs, cfg->in_max_bytes) < 0) {
		snprintf(err, errsz, "cannot allocate the NATS queues (publish-buffer %zu bytes)", cfg->pub_max_bytes);
		goto fail;
	}
	b->ctrs = rate_ctr_group_alloc(b, &bus_ctrg_desc, bus_index);
	b->stats = osmo_stat_item_group_alloc(b, &bus_statg_desc, bus_index++);
	if (!b->ctrs || !b->stats) {
		snprintf(err, errsz, "out of memory");
		goto fail;
	}
	osmo_timer_setup(&b->fold_timer, fold_timer_cb, b);

	if (set_options(b, err, errsz) != NATS_OK)
		goto fail;
	/* before the connection exists: its disconnected callback may run before Connect returns */
	atomic_store(&b->up, true);
	b->up_reported = true;
	s = natsConnection_Connect(&b->nc, b->opts);
	if (s != NATS_OK) {
		connect_error(&b->cfg, s, err, errsz);
		b->nc = NULL;
		goto fail;
	}
	b->max_payload = natsConnection_GetMaxPayload(b->nc);
	if (natsConnection_HasHeaderSupport(b->nc) != NATS_OK) {
		snprintf(err, errsz, "nats-server at %s has no header support (it is older than 2.2): upgrade it",
			 b->cfg.n_servers ? b->cfg.servers[0] : "nats://127.0.0.1:4222");
		goto fail_conn;
	}

	/* the inbox: one wildcard subscription for every reply and JetStream answer */
	s = natsInbox_Create(&inbox);
	if (s == NATS_OK) {
		OSMO_STRLCPY_ARRAY(b->inbox, inbox);
		b->inbox_len = strlen(b->inbox);
		natsInbox_Destroy(inbox);
		snprintf(sub, sizeof(sub), "%s.*", b->inbox);
		s = natsConnection_Subscribe(&b->inbox_sub, b->nc, sub, inbox_cb, b);
	}
	if (s == NATS_OK) {
		atomic_fetch_add(&b->live_subs, 1);
		natsSubscription_SetPendingLimits(b->inbox_sub, cfg->in_max_msgs, (int)cfg->in_max_bytes);
		natsSubscription_SetOnCompleteCB(b->inbox_sub, inbox_complete_cb, b);
		s = natsConnection_FlushTimeout(b->nc, cfg->connect_timeout_ms);
	}
	if (s != NATS_OK) {
		snprintf(err, errsz, "nats-server did not take our inbox subscription (%s)",
			 nats_status_text(s, why, sizeof(why)));
		goto fail_conn;
	}
	nats_pub_refresh_info(b);

	osmo_fd_setup(&b->rx_ofd, b->rxq.efd, OSMO_FD_READ, rx_fd_cb, b, 0);
	if (osmo_fd_register(&b->rx_ofd) < 0 || nats_pub_start(b) < 0) {
		snprintf(err, errsz, "cannot start the NATS adapter's thread");
		goto fail_conn;
	}
	osmo_timer_schedule(&b->fold_timer, FOLD_MS / 1000, (FOLD_MS % 1000) * 1000);
	LOGNATS(LOGL_NOTICE, "connected to %s (server %s), inbox %s\n", b->info.url, b->info.server_id, b->inbox);
	return b;

fail_conn:
	b->closing = true;
	conn_teardown(b, 0);
	natsSubscription_Destroy(b->inbox_sub);
	natsConnection_Destroy(b->nc);
	b->nc = NULL;
fail:
	bus_free(b);
	return NULL;
}

void nats_bus_close(struct nats_bus *b, int flush_timeout_ms)
{
	struct nats_sub *s, *tmp;
	int64_t deadline, left;

	if (!b)
		return;
	b->closing = true;
	if (b->kv)
		nats_kv_on_close(b->kv);
	deadline = nats_now_ms() + (flush_timeout_ms > 0 ? flush_timeout_ms : 0);
	nats_pub_stop(b, deadline);
	if (b->txq.msgs)
		LOGNATS(LOGL_NOTICE, "closing with %u messages not sent\n", b->txq.msgs);

	/* drain: the server stops sending to our subscriptions, what it sent is delivered
	 * (to a queue nobody reads now), then nats.c closes the connection */
	left = deadline - nats_now_ms();
	conn_teardown(b, atomic_load(&b->up) ? (left > 100 ? left : 100) : 0);
	/* no nats.c thread calls into the bus any more */
	llist_for_each_entry_safe(s, tmp, &b->subs, list) {
		natsSubscription_Destroy(s->sub);
		llist_del(&s->list);
		talloc_free(s);
	}
	natsSubscription_Destroy(b->inbox_sub);
	natsConnection_Destroy(b->nc);
	bus_free(b);
}

void nats_bus_lib_exit(void)
{
	/* waits for nats.c's own threads; 2 s is plenty once every connection is closed */
	nats_CloseAndWait(2000);
}

/* --- the main thread's API ----------------------------------------------------------- */

static int check_size(struct nats_bus *b, const struct nats_hdr *hdrs, unsigned int n_hdrs, size_t len)
{
	size_t total = len;
	unsigned int i;

	for (i = 0; i < n_hdrs; i++) {
		if (!hdrs[i].key || !hdrs[i].value || !hdrs[i].key[0] || strpbrk(hdrs[i].key, ": \r\n")
		    || strpbrk(hdrs[i].value, "\r\n"))
			return -EINVAL;
		total += strlen(hdrs[i].key) + strlen(hdrs[i].value) + 4;
	}
	if (n_hdrs)
		total += 12;	/* NATS/1.0 line and the blank line */
	if (b->max_payload > 0 && total > (size_t)b->max_payload)
		return -EMSGSIZE;
	return 0;
}

int nats_bus_send(struct nats_bus *b, const char *subject, const char *reply,
		  const struct nats_hdr *hdrs, unsigned int n_hdrs, const void *data, size_t len)
{
	int rc;

	if (b->closing)
		return -ESHUTDOWN;
	rc = check_size(b, hdrs, n_hdrs, len);
	if (rc < 0)
		return rc;
	rc = nats_txq_put(&b->txq, NATS_REC_PUB, subject, reply, hdrs, n_hdrs, data, len);
	if (rc == -ENOBUFS)
		rate_ctr_inc2(b->ctrs, NATS_BUS_CTR_PUB_DROP_FULL);
	else if (rc == 0)
		rate_ctr_inc2(b->ctrs, NATS_BUS_CTR_PUB_QUEUED);
	return rc;
}

int nats_bus_publish(struct nats_bus *b, const char *subject, const struct nats_hdr *hdrs,
		     unsigned int n_hdrs, const char *data, size_t len)
{
	if (!nats_subject_ok(subject, false))
		return -EINVAL;
	return nats_bus_send(b, subject, NULL, hdrs, n_hdrs, data, len);
}

int nats_bus_request(struct nats_bus *b, const char *subject, const char *data, size_t len,
		     uint64_t token)
{
	char reply[96];
	int rc;

	if (!nats_subject_ok(subject, false))
		return -EINVAL;
	if (!atomic_load(&b->up)) {
		rate_ctr_inc2(b->ctrs, NATS_BUS_CTR_REQ_NOTCONN);
		return -ENOTCONN;
	}
	snprintf(reply, sizeof(reply), "%s.R%" PRIu64, b->inbox, token);
	rc = nats_bus_send(b, subject, reply, NULL, 0, data, len);
	if (rc == 0)
		rate_ctr_inc2(b->ctrs, NATS_BUS_CTR_REQUESTS);
	return rc;
}

int nats_bus_respond(struct nats_bus *b, const char *reply_subject, const char *data, size_t len)
{
	return nats_bus_publish(b, reply_subject, NULL, 0, data, len);
}

int nats_bus_subscribe(struct nats_bus *b, const char *subject, const char *queue_group,
		       unsigned int sub_tag)
{
	struct nats_sub *s;
	int rc;

	if (b->closing)
		return -ESHUTDOWN;
	if (!nats_subject_ok(subject, true) || (queue_group && !nats_subject_ok(queue_group, false)))
		return -EINVAL;
	s = talloc_zero(b, struct nats_sub);
	if (!s)
		return -ENOMEM;
	s->b = b;
	s->tag = sub_tag;
	/* the publisher thread subscribes, in order with the publishes before and after */
	rc = nats_txq_put(&b->txq, NATS_REC_SUB, subject, queue_group, NULL, 0, &s, sizeof(s));
	if (rc < 0) {
		talloc_free(s);
		return rc;
	}
	llist_add_tail(&s->list, &b->subs);
	return 0;
}

int nats_bus_unsubscribe(struct nats_bus *b, unsigned int sub_tag)
{
	struct nats_sub *s;
	int rc, n = 0;

	if (b->closing)
		return -ESHUTDOWN;
	llist_for_each_entry(s, &b->subs, list) {
		if (s->tag != sub_tag || s->gone)
			continue;
		rc = nats_txq_put(&b->txq, NATS_REC_UNSUB, "-", NULL, NULL, 0, &s, sizeof(s));
		if (rc < 0)
			return rc;
		s->gone = true;
		n++;
	}
	return n ? 0 : -ENOENT;
}

const char *nats_bus_msg_header(struct nats_bus *b, const char *key)
{
	const char *v = NULL;

	if (!b->cur_msg || natsMsgHeader_Get(b->cur_msg, key, &v) != NATS_OK) {
		return NULL;
	}
	return v;
}

bool nats_bus_connected(const struct nats_bus *b) { return atomic_load(&b->up); }
const char *nats_bus_inbox(const struct nats_bus *b) { return b->inbox; }
const char *nats_bus_subject_prefix(const struct nats_bus *b) { return b->cfg.subject_prefix; }
const struct nats_bus_cfg *nats_bus_get_cfg(const struct nats_bus *b) { return &b->cfg; }
struct osmo_stat_item_group *nats_bus_stats(struct nats_bus *b) { return b->stats; }

const char *nats_bus_qgroup(const struct nats_bus *b, const char *role)
{
	return nats_bus_cfg_qgroup(&b->cfg, role);
}

struct rate_ctr_group *nats_bus_ctrs(struct nats_bus *b)
{
	nats_bus_fold_ctrs(b);
	return b->ctrs;
}

static const struct value_string conn_status_names[] = {
	{ NATS_CONN_STATUS_DISCONNECTED, "disconnected" },
	{ NATS_CONN_STATUS_CONNECTING, "connecting" },
	{ NATS_CONN_STATUS_CONNECTED, "connected" },
	{ NATS_CONN_STATUS_CLOSED, "closed" },
	{ NATS_CONN_STATUS_RECONNECTING, "reconnecting" },
	{ NATS_CONN_STATUS_DRAINING_SUBS, "draining subscriptions" },
	{ NATS_CONN_STATUS_DRAINING_PUBS, "draining publishers" },
	{ 0, NULL }
};

void nats_bus_vty_show(struct vty *vty, struct nats_bus *b)
{
	struct nats_conn_info ci;
	unsigned int qmsgs, inq;
	size_t qbytes;

	nats_bus_fold_ctrs(b);
	pthread_mutex_lock(&b->info_mu);
	ci = b->info;
	pthread_mutex_unlock(&b->info_mu);
	pthread_mutex_lock(&b->txq.mu);
	qmsgs = b->txq.msgs;
	qbytes = b->txq.data_bytes;
	pthread_mutex_unlock(&b->txq.mu);
	pthread_mutex_lock(&b->rxq.mu);
	inq = b->rxq.n;
	pthread_mutex_unlock(&b->rxq.mu);

	vty_out(vty, "NATS: %s (%s as of %" PRId64 " ms ago)%s", atomic_load(&b->up) ? "up" : "DOWN",
		get_value_string(conn_status_names, ci.status), nats_now_ms() - ci.at_ms, VTY_NEWLINE);
	vty_out(vty, " server %s, id %s%s", ci.url[0] ? ci.url : "-", ci.server_id[0] ? ci.server_id : "-",
		VTY_NEWLINE);
	vty_out(vty, " inbox %s, subscriptions %u%s", b->inbox, (unsigned int)llist_count(&b->subs), VTY_NEWLINE);
	vty_out(vty, " publish buffer: %u of %u messages, %zu of %zu bytes%s", qmsgs, b->cfg.pub_max_msgs,
		qbytes, b->cfg.pub_max_bytes, VTY_NEWLINE);
	vty_out(vty, " nats.c buffer: %d bytes; incoming queue: %u of %u%s", ci.buffered, inq,
		b->cfg.in_max_msgs, VTY_NEWLINE);
	vty_out(vty, " nats.c totals: in %" PRIu64 " msgs %" PRIu64 " bytes, out %" PRIu64 " msgs %" PRIu64
		" bytes, reconnects %" PRIu64 "%s", ci.in_msgs, ci.in_bytes, ci.out_msgs, ci.out_bytes,
		ci.reconnects, VTY_NEWLINE);
	vty_out_rate_ctr_group(vty, " ", b->ctrs);
}
