/*
 * The "nats" and "kv" VTY sections read from config text into their structs
 * (vty_read_config_file on a temp file), every field checked, written back and read again
 * to the same structs, and bad lines rejected. No server needed. Prints "N passed, N failed".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <osmocom/core/talloc.h>
#include <osmocom/vty/buffer.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>

#include "nats_bus.h"
#include "nats_kv.h"

static int passed, failed;

#define CHECK(cond, fmt, ...) do {						\
		if (cond) {							\
			passed++;						\
		} else {							\
			failed++;						\
			fprintf(stderr, "FAIL %s:%d: " fmt "\n", __FILE__, __LINE__, ##__VA_ARGS__); \
		}								\
	} while (0)

static const char good[] =
	"nats\n"
	" server nats://10.0.0.1:4222\n"
	" server tls://nats2.example.net:4443\n"
	" server nats://10.0.0.3:4222\n"
	" no server nats://10.0.0.3:4222\n"
	" name ss7gw-site1-a\n"
	" user gateway password pa55word\n"
	" token t0ken\n"
	" credentials /etc/ss7gw/nats.creds\n"
	" nkey UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4 seed-file /etc/ss7gw/nkey.seed\n"
	" tls on\n"
	" tls ca-file /etc/ss7gw/ca.pem\n"
	" tls cert-file /etc/ss7gw/gw.pem key-file /etc/ss7gw/gw.key\n"
	" tls hostname nats.example.net\n"
	" tls ciphers ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384\n"
	" tls skip-verify\n"
	" subject-prefix ss7.site1\n"
	" queue-group requests gw-site1\n"
	" queue-group takeover gw-ha\n"
	" publish-buffer messages 5000 bytes 2000000\n"
	" incoming-queue messages 3000 bytes 1000000\n"
	" reconnect wait 500\n"
	" reconnect max-attempts 60\n"
	" reconnect buffer 1048576\n"
	" connect-timeout 1500\n"
	" ping interval 5000\n"
	" ping max-outstanding 4\n"
	"kv\n"
	" bucket site1_dialogs\n"
	" ttl 600\n"
	" storage memory\n"
	" replicas 3\n"
	" history 2\n"
	" max-pending 2000\n"
	" timeout 1500\n"
	" retries 5\n"
	" retry-wait 100\n";

static int read_text(const char *text)
{
	char path[] = "/tmp/test_nats_vty.XXXXXX";
	int fd = mkstemp(path), rc;
	FILE *f = fdopen(fd, "w");

	fputs(text, f);
	fclose(f);
	rc = vty_read_config_file(path, NULL);
	unlink(path);
	return rc;
}

static char *write_both(const struct nats_bus_cfg *c, const struct nats_kv_cfg *k)
{
	struct vty *vty = vty_new();
	char *out;

	vty->type = VTY_SHELL_SERV;	/* output kept in vty->obuf */
	vty->fd = -1;
	nats_vty_write_cfg(vty, c);
	nats_kv_vty_write_cfg(vty, k);
	out = buffer_getstr(vty->obuf);
	vty_close(vty);
	return out;
}

static struct vty_app_info app = { .name = "test_nats_vty", .version = "0" };

int main(void)
{
	void *ctx = talloc_named_const(NULL, 0, "test");
	struct nats_bus_cfg cfg, copy, defaults;
	struct nats_kv_cfg kcfg, kcopy;
	static const char *const bad[] = {
		"nats\n server 10.0.0.1:4222\n",			/* not a URL */
		"nats\n subject-prefix ss7.*\n",			/* wildcard */
		"nats\n subject-prefix .ss7\n",
		"nats\n queue-group re.quests g\n",			/* dotted role */
		"nats\n publish-buffer messages 0 bytes 100000\n",	/* out of range */
		"nats\n reconnect max-attempts sometimes\n",
		"nats\n tls maybe\n",
		"nats\n user gateway\n",				/* no password */
		"kv\n bucket bad.name\n",
		"kv\n storage tape\n",
		"kv\n replicas 7\n",
		"kv\n history 65\n",
	};
	unsigned int i;
	char *out, *out2;
	int rc;

	app.tall_ctx = ctx;
	vty_init(&app);
	nats_bus_cfg_init(&cfg);
	nats_kv_cfg_init(&kcfg);
	defaults = cfg;
	nats_vty_init(ctx, &cfg);
	nats_kv_vty_init(&kcfg);

	/* the defaults the brief names */
	CHECK(cfg.n_servers == 0 && !strcmp(cfg.subject_prefix, "ss7") && cfg.n_qgroups == 1
	      && !strcmp(nats_bus_cfg_qgroup(&cfg, "requests"), "ss7gw") && cfg.max_reconnect == -1,
	      "nats defaults");
	CHECK(!strcmp(kcfg.bucket, "ss7gw_dialogs") && kcfg.history == 1 && kcfg.replicas == 1
	      && kcfg.storage == NATS_KV_FILE, "kv defaults");
	CHECK(nats_bus_cfg_set_qgroup(&defaults, "core-role", "grp") == 0
	      && !strcmp(nats_bus_cfg_qgroup(&defaults, "core-role"), "grp")
	      && nats_bus_cfg_set_qgroup(&defaults, "x", "a b") == -EINVAL, "the core adds a role");

	rc = read_text(good);
	CHECK(rc == 0, "good config read: %d", rc);
	CHECK(cfg.n_servers == 2 && !strcmp(cfg.servers[0], "nats://10.0.0.1:4222")
	      && !strcmp(cfg.servers[1], "tls://nats2.example.net:4443"), "servers");
	CHECK(!strcmp(cfg.name, "ss7gw-site1-a") && !strcmp(cfg.user, "gateway") && !strcmp(cfg.password, "pa55word")
	      && !strcmp(cfg.token, "t0ken") && !strcmp(cfg.creds_file, "/etc/ss7gw/nats.creds")
	      && !strcmp(cfg.nkey_pub, "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4")
	      && !strcmp(cfg.nkey_seed_file, "/etc/ss7gw/nkey.seed"), "name and authentication");
	CHECK(cfg.tls.enable && !strcmp(cfg.tls.ca_file, "/etc/ss7gw/ca.pem") && !strcmp(cfg.tls.cert_file, "/etc/ss7gw/gw.pem")
	      && !strcmp(cfg.tls.key_file, "/etc/ss7gw/gw.key") && !strcmp(cfg.tls.hostname, "nats.example.net")
	      && !strcmp(cfg.tls.ciphers, "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384")
	      && cfg.tls.skip_verify, "tls");
	CHECK(!strcmp(cfg.subject_prefix, "ss7.site1") && cfg.n_qgroups == 2
	      && !strcmp(nats_bus_cfg_qgroup(&cfg, "requests"), "gw-site1")
	      && !strcmp(nats_bus_cfg_qgroup(&cfg, "takeover"), "gw-ha"), "subjects and queue groups");
	CHECK(cfg.pub_max_msgs == 5000 && cfg.pub_max_bytes == 2000000 && cfg.in_max_msgs == 3000
	      && cfg.in_max_bytes == 1000000, "bounds");
	CHECK(cfg.reconnect_wait_ms == 500 && cfg.max_reconnect == 60 && cfg.reconnect_buf == 1048576
	      && cfg.connect_timeout_ms == 1500 && cfg.ping_interval_ms == 5000 && cfg.max_pings_out == 4, "timing");
	CHECK(!strcmp(kcfg.bucket, "site1_dialogs") && kcfg.ttl_s == 600 && kcfg.storage == NATS_KV_MEMORY
	      && kcfg.replicas == 3 && kcfg.history == 2 && kcfg.max_pending == 2000 && kcfg.timeout_ms == 1500
	      && kcfg.retries == 5 && kcfg.retry_wait_ms == 100, "kv fields");

	/* written back, the text reads in again to the same configuration, and writes the same */
	out = write_both(&cfg, &kcfg);
	CHECK(strstr(out, "nats\n server nats://10.0.0.1:4222\n server tls://nats2.example.net:4443\n")
	      && strstr(out, " reconnect max-attempts 60\n") && strstr(out, "kv\n bucket site1_dialogs\n"),
	      "written:\n%s", out);
	copy = cfg;
	kcopy = kcfg;
	nats_bus_cfg_init(&cfg);
	nats_kv_cfg_init(&kcfg);
	cfg.n_qgroups = 0;
	CHECK(read_text(out) == 0, "written config reads back");
	CHECK(!memcmp(&cfg, &copy, sizeof(cfg)) && !memcmp(&kcfg, &kcopy, sizeof(kcfg)),
	      "same configuration after a round trip");
	out2 = write_both(&cfg, &kcfg);
	CHECK(!strcmp(out, out2), "same text after a round trip");
	talloc_free(out);
	talloc_free(out2);

	/* the "no" forms and "forever" */
	CHECK(read_text("nats\n no user\n no token\n no credentials\n no nkey\n tls off\n no tls ca-file\n"
			" no tls cert-file\n no tls hostname\n no tls ciphers\n no tls skip-verify\n"
			" reconnect max-attempts forever\n") == 0, "no forms read");
	CHECK(!cfg.user[0] && !cfg.password[0] && !cfg.token[0] && !cfg.creds_file[0] && !cfg.nkey_pub[0]
	      && !cfg.tls.enable && !cfg.tls.ca_file[0] && !cfg.tls.cert_file[0] && !cfg.tls.key_file[0]
	      && !cfg.tls.hostname[0] && !cfg.tls.ciphers[0] && !cfg.tls.skip_verify && cfg.max_reconnect == -1,
	      "no forms applied");
	out = write_both(&cfg, &kcfg);
	CHECK(!strstr(out, "user") && !strstr(out, "tls ca-file") && strstr(out, " tls off\n")
	      && strstr(out, " reconnect max-attempts forever\n"), "written without them:\n%s", out);
	talloc_free(out);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		copy = cfg;
		kcopy = kcfg;
		rc = read_text(bad[i]);
		CHECK(rc < 0 && !memcmp(&cfg, &copy, sizeof(cfg)) && !memcmp(&kcfg, &kcopy, sizeof(kcfg)),
		      "bad line %u rejected (rc %d): %s", i, rc, bad[i]);
	}
	printf("%d passed, %d failed\n", passed, failed);
	talloc_free(ctx);
	return failed ? 1 : 0;
}
