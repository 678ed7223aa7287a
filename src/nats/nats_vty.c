/*
 * VTY configuration of the NATS adapter: the "nats" section (servers, authentication, TLS,
 * subjects, queue groups, buffers, reconnection) and the "kv" section (the JetStream
 * Key-Value bucket), both written back by "show running-config"; "show nats" and "show kv".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/utils.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>

#include <ss7gw/vty_nodes.h>

#include "nats_bus.h"
#include "nats_kv.h"

static struct nats_bus_cfg *g_cfg;
static struct nats_kv_cfg *g_kv_cfg;
static struct nats_bus *g_bus;
static struct nats_kv *g_kv;
static int (*g_write_nats)(struct vty *vty);
static int (*g_write_kv)(struct vty *vty);

static struct cmd_node nats_node = {
	.node = SS7GW_NATS_NODE,
	.prompt = "%s(config-nats)# ",
	.vtysh = 1,
};

static struct cmd_node kv_node = {
	.node = SS7GW_KV_NODE,
	.prompt = "%s(config-kv)# ",
	.vtysh = 1,
};

#define TLS_STR "TLS towards nats-server\n"
#define RECONNECT_STR "Reconnection after the connection is lost\n"

/* copy a string argument into a fixed field, refusing what does not fit */
static int set_str(struct vty *vty, char *dst, size_t size, const char *src)
{
	if (strlen(src) >= size) {
		vty_out(vty, "%% too long (at most %zu characters): %s%s", size - 1, src, VTY_NEWLINE);
		return CMD_WARNING;
	}
	memset(dst, 0, size);	/* so that equal configurations compare equal */
	osmo_strlcpy(dst, src, size);
	return CMD_SUCCESS;
}
#define SETSTR(dst, src) set_str(vty, dst, sizeof(dst), src)

DEFUN(cfg_nats, cfg_nats_cmd, "nats", "Configure the connection to NATS\n")
{
	g_cfg->configured = true;
	vty->node = SS7GW_NATS_NODE;
	return CMD_SUCCESS;
}

DEFUN(cfg_server, cfg_server_cmd, "server URL",
      "A nats-server to connect to (up to 8, tried in this order)\n" "nats://host:port or tls://host:port\n")
{
	unsigned int i;

	if (!strstr(argv[0], "://")) {
		vty_out(vty, "%% give a URL like nats://127.0.0.1:4222%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	for (i = 0; i < g_cfg->n_servers; i++) {
		if (!strcmp(g_cfg->servers[i], argv[0]))
			return CMD_SUCCESS;
	}
	if (g_cfg->n_servers == NATS_BUS_MAX_SERVERS) {
		vty_out(vty, "%% at most %d servers%s", NATS_BUS_MAX_SERVERS, VTY_NEWLINE);
		return CMD_WARNING;
	}
	if (SETSTR(g_cfg->servers[g_cfg->n_servers], argv[0]) != CMD_SUCCESS)
		return CMD_WARNING;
	g_cfg->n_servers++;
	return CMD_SUCCESS;
}

DEFUN(cfg_no_server, cfg_no_server_cmd, "no server URL", NO_STR "Forget a nats-server\n" "Its URL\n")
{
	unsigned int i;

	for (i = 0; i < g_cfg->n_servers; i++) {
		if (!strcmp(g_cfg->servers[i], argv[0])) {
			memmove(&g_cfg->servers[i], &g_cfg->servers[i + 1],
				(g_cfg->n_servers - i - 1) * sizeof(g_cfg->servers[0]));
			g_cfg->n_servers--;
			memset(g_cfg->servers[g_cfg->n_servers], 0, sizeof(g_cfg->servers[0]));
			return CMD_SUCCESS;
		}
	}
	vty_out(vty, "%% no such server%s", VTY_NEWLINE);
	return CMD_WARNING;
}

DEFUN(cfg_name, cfg_name_cmd, "name NAME", "The connection's name, as the server shows it\n" "Name\n")
{
	return SETSTR(g_cfg->name, argv[0]);
}

DEFUN(cfg_user, cfg_user_cmd, "user NAME password PASSWORD",
      "Authenticate with a user and password\n" "User\n" "Password follows\n" "Password\n")
{
	if (SETSTR(g_cfg->user, argv[0]) != CMD_SUCCESS)
		return CMD_WARNING;
	return SETSTR(g_cfg->password, argv[1]);
}

DEFUN(cfg_no_user, cfg_no_user_cmd, "no user", NO_STR "No user and password\n")
{
	memset(g_cfg->user, 0, sizeof(g_cfg->user));
	memset(g_cfg->password, 0, sizeof(g_cfg->password));
	return CMD_SUCCESS;
}

DEFUN(cfg_token, cfg_token_cmd, "token TOKEN", "Authenticate with a token\n" "Token\n")
{
	return SETSTR(g_cfg->token, argv[0]);
}

DEFUN(cfg_no_token, cfg_no_token_cmd, "no token", NO_STR "No token\n")
{
	g_cfg->token[0] = '\0';
	return CMD_SUCCESS;
}

DEFUN(cfg_creds, cfg_creds_cmd, "credentials FILE",
      "Authenticate with a credentials file (user JWT and NKey seed, as nsc writes it)\n" "File\n")
{
	return SETSTR(g_cfg->creds_file, argv[0]);
}

DEFUN(cfg_no_creds, cfg_no_creds_cmd, "no credentials", NO_STR "No credentials file\n")
{
	g_cfg->creds_file[0] = '\0';
	return CMD_SUCCESS;
}

DEFUN(cfg_nkey, cfg_nkey_cmd, "nkey PUBLIC_KEY seed-file FILE",
      "Authenticate with an NKey\n" "The user's public NKey (U...)\n" "Its seed file follows\n" "File\n")
{
	if (SETSTR(g_cfg->nkey_pub, argv[0]) != CMD_SUCCESS)
		return CMD_WARNING;
	return SETSTR(g_cfg->nkey_seed_file, argv[1]);
}

DEFUN(cfg_no_nkey, cfg_no_nkey_cmd, "no nkey", NO_STR "No NKey\n")
{
	g_cfg->nkey_pub[0] = g_cfg->nkey_seed_file[0] = '\0';
	return CMD_SUCCESS;
}

DEFUN(cfg_tls, cfg_tls_cmd, "tls (on|off)", TLS_STR "Require TLS\n" "TLS only if a URL says tls://\n")
{
	g_cfg->tls.enable = argv[0][1] == 'n';
	return CMD_SUCCESS;
}

DEFUN(cfg_tls_ca, cfg_tls_ca_cmd, "tls ca-file FILE", TLS_STR "Trusted CA certificates (PEM)\n" "File\n")
{
	return SETSTR(g_cfg->tls.ca_file, argv[0]);
}

DEFUN(cfg_tls_cert, cfg_tls_cert_cmd, "tls cert-file FILE key-file FILE",
      TLS_STR "Our certificate chain (PEM)\n" "File\n" "Our private key follows\n" "File\n")
{
	if (SETSTR(g_cfg->tls.cert_file, argv[0]) != CMD_SUCCESS)
		return CMD_WARNING;
	return SETSTR(g_cfg->tls.key_file, argv[1]);
}

DEFUN(cfg_tls_hostname, cfg_tls_hostname_cmd, "tls hostname NAME",
      TLS_STR "Name expected in the server's certificate (and sent as SNI)\n" "Host name\n")
{
	return SETSTR(g_cfg->tls.hostname, argv[0]);
}

DEFUN(cfg_tls_ciphers, cfg_tls_ciphers_cmd, "tls ciphers LIST",
      TLS_STR "Allowed ciphers (OpenSSL list, TLS 1.2)\n" "Cipher list\n")
{
	return SETSTR(g_cfg->tls.ciphers, argv[0]);
}

DEFUN(cfg_tls_skip, cfg_tls_skip_cmd, "tls skip-verify",
      TLS_STR "Do not verify the server's certificate (tests only)\n")
{
	g_cfg->tls.skip_verify = true;
	return CMD_SUCCESS;
}

DEFUN(cfg_no_tls, cfg_no_tls_cmd, "no tls (ca-file|cert-file|hostname|ciphers|skip-verify)",
      NO_STR TLS_STR "No CA file\n" "No certificate and key\n" "No expected host name\n"
      "Default ciphers\n" "Verify the server's certificate\n")
{
	switch (argv[0][1]) {
	case 'a':
		g_cfg->tls.ca_file[0] = '\0';
		break;
	case 'e':
		g_cfg->tls.cert_file[0] = g_cfg->tls.key_file[0] = '\0';
		break;
	case 'o':
		g_cfg->tls.hostname[0] = '\0';
		break;
	case 'i':
		g_cfg->tls.ciphers[0] = '\0';
		break;
	case 'k':
		g_cfg->tls.skip_verify = false;
		break;
	}
	return CMD_SUCCESS;
}

DEFUN(cfg_prefix, cfg_prefix_cmd, "subject-prefix PREFIX",
      "First tokens of every subject the gateway uses\n" "Prefix, like ss7 or ss7.site1\n")
{
	const char *p = argv[0];

	if (!p[0] || strpbrk(p, "*> ") || p[0] == '.' || p[strlen(p) - 1] == '.' || strstr(p, "..")) {
		vty_out(vty, "%% bad subject prefix '%s'%s", p, VTY_NEWLINE);
		return CMD_WARNING;
	}
	return SETSTR(g_cfg->subject_prefix, p);
}

DEFUN(cfg_qgroup, cfg_qgroup_cmd, "queue-group ROLE GROUP",
      "The queue group of a kind of subscription\n" "Role, like requests\n" "Queue group name\n")
{
	int rc = nats_bus_cfg_set_qgroup(g_cfg, argv[0], argv[1]);

	if (rc < 0) {
		vty_out(vty, "%% %s%s", rc == -ENOSPC ? "too many queue groups" : "bad role or group name", VTY_NEWLINE);
		return CMD_WARNING;
	}
	return CMD_SUCCESS;
}

DEFUN(cfg_pub_buf, cfg_pub_buf_cmd, "publish-buffer messages <1-10000000> bytes <4096-1073741824>",
      "What may wait to be published (while the server is away): beyond it publishes are refused\n"
      "Messages\n" "Messages\n" "Bytes\n" "Bytes\n")
{
	g_cfg->pub_max_msgs = atoi(argv[0]);
	g_cfg->pub_max_bytes = strtoul(argv[1], NULL, 10);
	return CMD_SUCCESS;
}

DEFUN(cfg_in_queue, cfg_in_queue_cmd, "incoming-queue messages <1-10000000> bytes <4096-1073741824>",
      "What may wait for the main thread: beyond it incoming messages are dropped\n"
      "Messages\n" "Messages\n" "Bytes\n" "Bytes\n")
{
	g_cfg->in_max_msgs = atoi(argv[0]);
	g_cfg->in_max_bytes = strtoul(argv[1], NULL, 10);
	return CMD_SUCCESS;
}

DEFUN(cfg_reconnect_wait, cfg_reconnect_wait_cmd, "reconnect wait <10-600000>",
      RECONNECT_STR "Wait between two attempts at the same server\n" "Milliseconds\n")
{
	g_cfg->reconnect_wait_ms = atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_reconnect_max, cfg_reconnect_max_cmd, "reconnect max-attempts (forever|<0-1000000>)",
      RECONNECT_STR "Attempts per server before the connection is closed for good\n"
      "Never give up\n" "Attempts (0: never reconnect)\n")
{
	g_cfg->max_reconnect = argv[0][0] == 'f' ? -1 : atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_reconnect_buf, cfg_reconnect_buf_cmd, "reconnect buffer <0-1073741824>",
      RECONNECT_STR "nats.c's own buffer while it reconnects\n" "Bytes\n")
{
	g_cfg->reconnect_buf = strtoul(argv[0], NULL, 10);
	return CMD_SUCCESS;
}

DEFUN(cfg_connect_timeout, cfg_connect_timeout_cmd, "connect-timeout <100-600000>",
      "How long a connection attempt, or a write to a stalled server, may take\n" "Milliseconds\n")
{
	g_cfg->connect_timeout_ms = atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_ping_interval, cfg_ping_interval_cmd, "ping interval <100-3600000>",
      "Liveness pings to the server\n" "Time between pings\n" "Milliseconds\n")
{
	g_cfg->ping_interval_ms = atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_ping_max, cfg_ping_max_cmd, "ping max-outstanding <1-100>",
      "Liveness pings to the server\n" "Unanswered pings before the connection is called dead\n" "Pings\n")
{
	g_cfg->max_pings_out = atoi(argv[0]);
	return CMD_SUCCESS;
}

int nats_vty_write_cfg(struct vty *vty, const struct nats_bus_cfg *c)
{
	unsigned int i;

	vty_out(vty, "nats%s", VTY_NEWLINE);
	for (i = 0; i < c->n_servers; i++)
		vty_out(vty, " server %s%s", c->servers[i], VTY_NEWLINE);
	if (c->name[0])
		vty_out(vty, " name %s%s", c->name, VTY_NEWLINE);
	if (c->user[0])
		vty_out(vty, " user %s password %s%s", c->user, c->password, VTY_NEWLINE);
	if (c->token[0])
		vty_out(vty, " token %s%s", c->token, VTY_NEWLINE);
	if (c->creds_file[0])
		vty_out(vty, " credentials %s%s", c->creds_file, VTY_NEWLINE);
	if (c->nkey_pub[0])
		vty_out(vty, " nkey %s seed-file %s%s", c->nkey_pub, c->nkey_seed_file, VTY_NEWLINE);
	vty_out(vty, " tls %s%s", c->tls.enable ? "on" : "off", VTY_NEWLINE);
	if (c->tls.ca_file[0])
		vty_out(vty, " tls ca-file %s%s", c->tls.ca_file, VTY_NEWLINE);
	if (c->tls.cert_file[0])
		vty_out(vty, " tls cert-file %s key-file %s%s", c->tls.cert_file, c->tls.key_file, VTY_NEWLINE);
	if (c->tls.hostname[0])
		vty_out(vty, " tls hostname %s%s", c->tls.hostname, VTY_NEWLINE);
	if (c->tls.ciphers[0])
		vty_out(vty, " tls ciphers %s%s", c->tls.ciphers, VTY_NEWLINE);
	if (c->tls.skip_verify)
		vty_out(vty, " tls skip-verify%s", VTY_NEWLINE);
	vty_out(vty, " subject-prefix %s%s", c->subject_prefix, VTY_NEWLINE);
	for (i = 0; i < c->n_qgroups; i++)
		vty_out(vty, " queue-group %s %s%s", c->qgroups[i].role, c->qgroups[i].group, VTY_NEWLINE);
	vty_out(vty, " publish-buffer messages %u bytes %zu%s", c->pub_max_msgs, c->pub_max_bytes, VTY_NEWLINE);
	vty_out(vty, " incoming-queue messages %u bytes %zu%s", c->in_max_msgs, c->in_max_bytes, VTY_NEWLINE);
	vty_out(vty, " reconnect wait %u%s", c->reconnect_wait_ms, VTY_NEWLINE);
	if (c->max_reconnect < 0)
		vty_out(vty, " reconnect max-attempts forever%s", VTY_NEWLINE);
	else
		vty_out(vty, " reconnect max-attempts %d%s", c->max_reconnect, VTY_NEWLINE);
	vty_out(vty, " reconnect buffer %zu%s", c->reconnect_buf, VTY_NEWLINE);
	vty_out(vty, " connect-timeout %u%s", c->connect_timeout_ms, VTY_NEWLINE);
	vty_out(vty, " ping interval %u%s", c->ping_interval_ms, VTY_NEWLINE);
	vty_out(vty, " ping max-outstanding %u%s", c->max_pings_out, VTY_NEWLINE);
	return CMD_SUCCESS;
}

static int config_write_nats(struct vty *vty)
{
	if (!g_cfg->configured)
		return CMD_SUCCESS;
	nats_vty_write_cfg(vty, g_cfg);
	return g_write_nats ? g_write_nats(vty) : CMD_SUCCESS;
}

void nats_vty_set_cfg_writers(int (*nats)(struct vty *vty), int (*kv)(struct vty *vty))
{
	g_write_nats = nats;
	g_write_kv = kv;
}

DEFUN(show_nats, show_nats_cmd, "show nats", SHOW_STR "The NATS connection: state, server, buffers, counters\n")
{
	if (!g_bus) {
		vty_out(vty, "%% no NATS connection%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	nats_bus_vty_show(vty, g_bus);
	return CMD_SUCCESS;
}

void nats_vty_init(void *ctx, struct nats_bus_cfg *cfg)
{
	g_cfg = cfg;
	install_element(CONFIG_NODE, &cfg_nats_cmd);
	install_node(&nats_node, config_write_nats);
	install_element(SS7GW_NATS_NODE, &cfg_server_cmd);
	install_element(SS7GW_NATS_NODE, &cfg_no_server_cmd);
	install_element(SS7GW_NATS_NODE, &cfg_name_cmd);
	install_element(SS7GW_NATS_NODE, &cfg_user_cmd);
	install_element(SS7GW_NATS_NODE, &cfg_no_user_cmd);
	install_element(SS7GW_NATS_NODE, &cfg_token_cmd);
	install_element(SS7GW_NATS_NODE, &cfg_no_token_cmd);
	install_element(SS7GW_NATS_NODE, &cfg_creds_cmd);
	install_element(SS7GW_NATS_NODE, &cfg_no_creds_cmd);
	install_element(SS7GW_NATS_NODE, &cfg_nkey_cmd);
	install_element(SS7GW_NATS_NODE, &cfg_no_nkey_cmd);
	install_element(SS7GW_NATS_NODE, &cfg_tls_cmd);
	install_element(SS7GW_NATS_NODE, &cfg_tls_ca_cmd);
	install_element(SS7GW_NATS_NODE, &cfg_tls_cert_cmd);
	install_element(SS7GW_NATS_NODE, &cfg_tls_hostname_cmd);
	install_element(SS7GW_NATS_NODE, &cfg_tls_ciphers_cmd);
	install_element(SS7GW_NATS_NODE, &cfg_tls_skip_cmd);
	install_element(SS7GW_NATS_NODE, &cfg_no_tls_cmd);
	install_element(SS7GW_NATS_NODE, &cfg_prefix_cmd);
	install_element(SS7GW_NATS_NODE, &cfg_qgroup_cmd);
	install_element(SS7GW_NATS_NODE, &cfg_pub_buf_cmd);
	install_element(SS7GW_NATS_NODE, &cfg_in_queue_cmd);
	install_element(SS7GW_NATS_NODE, &cfg_reconnect_wait_cmd);
	install_element(SS7GW_NATS_NODE, &cfg_reconnect_max_cmd);
	install_element(SS7GW_NATS_NODE, &cfg_reconnect_buf_cmd);
	install_element(SS7GW_NATS_NODE, &cfg_connect_timeout_cmd);
	install_element(SS7GW_NATS_NODE, &cfg_ping_interval_cmd);
	install_element(SS7GW_NATS_NODE, &cfg_ping_max_cmd);
	install_element_ve(&show_nats_cmd);
}

void nats_vty_set_bus(struct nats_bus *b)
{
	g_bus = b;
}

/* --- kv ------------------------------------------------------------------------------ */

DEFUN(cfg_kv, cfg_kv_cmd, "kv", "Configure the JetStream Key-Value bucket of dialogue state\n")
{
	vty->node = SS7GW_KV_NODE;
	return CMD_SUCCESS;
}

DEFUN(cfg_kv_bucket, cfg_kv_bucket_cmd, "bucket NAME", "The bucket's name\n" "Letters, digits, - and _\n")
{
	const char *p = argv[0];

	if (strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != strlen(p)) {
		vty_out(vty, "%% bad bucket name '%s' (letters, digits, - and _)%s", p, VTY_NEWLINE);
		return CMD_WARNING;
	}
	return SETSTR(g_kv_cfg->bucket, p);
}

DEFUN(cfg_kv_ttl, cfg_kv_ttl_cmd, "ttl <0-315360000>", "Entries expire this long after their last write\n"
      "Seconds (0: never)\n")
{
	g_kv_cfg->ttl_s = strtoul(argv[0], NULL, 10);
	return CMD_SUCCESS;
}

DEFUN(cfg_kv_storage, cfg_kv_storage_cmd, "storage (file|memory)", "Where the server keeps the bucket\n"
      "On disk\n" "In memory (lost when the server restarts)\n")
{
	g_kv_cfg->storage = argv[0][0] == 'm' ? NATS_KV_MEMORY : NATS_KV_FILE;
	return CMD_SUCCESS;
}

DEFUN(cfg_kv_replicas, cfg_kv_replicas_cmd, "replicas <1-5>", "Copies in a cluster\n" "Replicas\n")
{
	g_kv_cfg->replicas = atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_kv_history, cfg_kv_history_cmd, "history <1-64>", "Revisions kept per key\n" "Revisions\n")
{
	g_kv_cfg->history = atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_kv_max_pending, cfg_kv_max_pending_cmd, "max-pending <1-1000000>",
      "Writes and gets in flight: beyond, they are refused\n" "Operations\n")
{
	g_kv_cfg->max_pending = atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_kv_timeout, cfg_kv_timeout_cmd, "timeout <10-600000>",
      "How long an answer may take\n" "Milliseconds\n")
{
	g_kv_cfg->timeout_ms = atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_kv_retries, cfg_kv_retries_cmd, "retries <0-100>",
      "Times an operation is sent again when JetStream does not listen (no responders)\n" "Retries\n")
{
	g_kv_cfg->retries = atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_kv_retry_wait, cfg_kv_retry_wait_cmd, "retry-wait <1-60000>",
      "Wait before sending again\n" "Milliseconds\n")
{
	g_kv_cfg->retry_wait_ms = atoi(argv[0]);
	return CMD_SUCCESS;
}

int nats_kv_vty_write_cfg(struct vty *vty, const struct nats_kv_cfg *c)
{
	vty_out(vty, "kv%s", VTY_NEWLINE);
	vty_out(vty, " bucket %s%s", c->bucket, VTY_NEWLINE);
	vty_out(vty, " ttl %u%s", c->ttl_s, VTY_NEWLINE);
	vty_out(vty, " storage %s%s", c->storage == NATS_KV_MEMORY ? "memory" : "file", VTY_NEWLINE);
	vty_out(vty, " replicas %u%s", c->replicas, VTY_NEWLINE);
	vty_out(vty, " history %u%s", c->history, VTY_NEWLINE);
	vty_out(vty, " max-pending %u%s", c->max_pending, VTY_NEWLINE);
	vty_out(vty, " timeout %u%s", c->timeout_ms, VTY_NEWLINE);
	vty_out(vty, " retries %u%s", c->retries, VTY_NEWLINE);
	vty_out(vty, " retry-wait %u%s", c->retry_wait_ms, VTY_NEWLINE);
	return CMD_SUCCESS;
}

static int config_write_kv(struct vty *vty)
{
	if (!g_cfg || !g_cfg->configured)
		return CMD_SUCCESS;
	nats_kv_vty_write_cfg(vty, g_kv_cfg);
	return g_write_kv ? g_write_kv(vty) : CMD_SUCCESS;
}

DEFUN(show_kv, show_kv_cmd, "show kv", SHOW_STR "The JetStream Key-Value bucket: configuration, in flight, counters\n")
{
	if (!g_kv) {
		vty_out(vty, "%% no KV bucket open%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	nats_kv_vty_show(vty, g_kv);
	return CMD_SUCCESS;
}

void nats_kv_vty_init(struct nats_kv_cfg *cfg)
{
	g_kv_cfg = cfg;
	install_element(CONFIG_NODE, &cfg_kv_cmd);
	install_node(&kv_node, config_write_kv);
	install_element(SS7GW_KV_NODE, &cfg_kv_bucket_cmd);
	install_element(SS7GW_KV_NODE, &cfg_kv_ttl_cmd);
	install_element(SS7GW_KV_NODE, &cfg_kv_storage_cmd);
	install_element(SS7GW_KV_NODE, &cfg_kv_replicas_cmd);
	install_element(SS7GW_KV_NODE, &cfg_kv_history_cmd);
	install_element(SS7GW_KV_NODE, &cfg_kv_max_pending_cmd);
	install_element(SS7GW_KV_NODE, &cfg_kv_timeout_cmd);
	install_element(SS7GW_KV_NODE, &cfg_kv_retries_cmd);
	install_element(SS7GW_KV_NODE, &cfg_kv_retry_wait_cmd);
	install_element_ve(&show_kv_cmd);
}

void nats_kv_vty_set(struct nats_kv *kv)
{
	g_kv = kv;
}
