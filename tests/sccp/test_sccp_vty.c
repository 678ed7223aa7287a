/*
 * The "sccp-node" VTY section read from config text into a struct
 * sccp_node_cfg (vty_read_config_file on a temp file), written back the
 * same, and bad lines rejected. Prints "N passed, N failed".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <osmocom/core/talloc.h>
#include <osmocom/vty/buffer.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>

#include "sccp_vty.h"

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
	"sccp-node\n"
	" point-code 1.1.1\n"
	" local-gt 491700000001 tt 0 np 1 nai 4 ssn 8\n"
	" local-gt 491700000002 nai 4\n"
	" ssn 6\n"
	" ssn 8\n"
	" concerned-pc 1.1.2\n"
	" concerned-pc 2060\n"
	" timer reassembly 5000\n"
	" timer stat-info 2000\n"
	" timer stat-info-max 60000\n"
	" max-message-length 1000\n"
	" reassembly max-contexts 64\n"
	" ludt enable\n"
	" gtt rule 20 prefix 33 dpc 1.1.3\n"
	" gtt rule 10 prefix 4917 tt 0 np 1 nai 4 dpc 1.1.2 backup-dpc 1.1.3 ssn 6 rewrite-prefix 49 route-on-ssn\n"
	" gtt rule 30 prefix any gti 4 dpc 7.255.7 rewrite-digits 123 new-tt 1 new-np 7 new-nai 3\n";

static int read_text(const char *text)
{
	char path[] = "/tmp/test_sccp_vty.XXXXXX";
	int fd = mkstemp(path), rc;
	FILE *f = fdopen(fd, "w");

	fputs(text, f);
	fclose(f);
	rc = vty_read_config_file(path, NULL);
	unlink(path);
	return rc;
}

static struct vty_app_info app = { .name = "test_sccp_vty", .version = "0" };

int main(void)
{
	void *ctx = talloc_named_const(NULL, 0, "test");
	struct sccp_node_cfg *cfg = sccp_node_cfg_alloc(ctx);
	static const char *const bad[] = {
		"sccp-node\n point-code 8.1.1\n",				/* 3 bits only */
		"sccp-node\n gtt rule 5 prefix 49x dpc 1.1.2\n",		/* not a digit */
		"sccp-node\n gtt rule 5 prefix 49 tt 0\n",			/* no dpc */
		"sccp-node\n gtt rule 5 prefix 49 dpc 1.1.2 route-on-ssn\n",	/* no ssn */
		"sccp-node\n gtt rule 5 prefix 49 dpc 1.1.2 np 16\n",		/* out of range */
		"sccp-node\n gtt rule 5 prefix 49 dpc 1.1.2 color red\n",	/* unknown option */
		"sccp-node\n local-gt 4917 np 1\n",				/* no GT indicator for that */
		"sccp-node\n max-message-length 20\n",
		"sccp-node\n timer stat-info\n",
	};
	struct vty *vty;
	char *out;
	unsigned int i;
	int rc;

	app.tall_ctx = ctx;
	vty_init(&app);
	sccp_vty_init(cfg);

	rc = read_text(good);
	CHECK(rc == 0, "good config read: %d", rc);
	CHECK(cfg->pc == 2057 && cfg->num_gt == 2 && cfg->gt[0].ssn == 8 && cfg->gt[0].gt.nai == 4
	      && cfg->num_ssn == 2 && cfg->num_concerned == 2 && cfg->concerned_pc[1] == 2060
	      && cfg->t_reasm_ms == 5000 && cfg->t_stat_info_ms == 2000 && cfg->t_stat_info_max_ms == 60000
	      && cfg->max_msg_len == 1000 && cfg->reasm_max_contexts == 64 && cfg->ludt, "fields");
	CHECK(cfg->num_rules == 3 && cfg->rules[0].id == 10 && cfg->rules[1].id == 20 && cfg->rules[2].id == 30,
	      "rules sorted by id");
	if (cfg->num_rules == 3) {
		const struct sccp_gtt_rule *r = &cfg->rules[0];

		CHECK(!strcmp(r->prefix, "4917") && r->tt == 0 && r->np == 1 && r->nai == 4 && r->dpc == 2058
		      && r->has_backup && r->backup_dpc == 2059 && r->ssn == 6 && r->rewrite == SCCP_GTT_REPLACE_PREFIX
		      && !strcmp(r->rewrite_digits, "49") && r->route_on_ssn && r->gti == SCCP_GTT_ANY, "rule 10");
		r = &cfg->rules[2];
		CHECK(!r->prefix[0] && r->gti == 4 && r->dpc == 0x3fff && r->rewrite == SCCP_GTT_REPLACE_ALL
		      && r->new_tt == 1 && r->new_np == 7 && r->new_nai == 3, "rule 30");
	}

	/* written back, the text reads in again to the same configuration */
	vty = vty_new();
	vty->type = VTY_SHELL_SERV;	/* output kept in vty->obuf */
	vty->fd = -1;
	sccp_vty_write_cfg(vty, cfg);
	out = buffer_getstr(vty->obuf);
	{
		struct sccp_node_cfg *copy = talloc_memdup(ctx, cfg, sizeof(*cfg));

		copy->rules = talloc_memdup(copy, cfg->rules, cfg->num_rules * sizeof(*cfg->rules));
		cfg->num_rules = cfg->num_gt = cfg->num_ssn = cfg->num_concerned = 0;
		CHECK(read_text(out) == 0, "written config reads back");
		CHECK(cfg->num_rules == copy->num_rules
		      && !memcmp(cfg->rules, copy->rules, cfg->num_rules * sizeof(*cfg->rules))
		      && cfg->num_gt == copy->num_gt && !memcmp(cfg->gt, copy->gt, sizeof(cfg->gt))
		      && cfg->max_msg_len == copy->max_msg_len, "same configuration after a round trip");
		talloc_free(copy);
	}
	talloc_free(out);
	vty_close(vty);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unsigned int n = cfg->num_rules;

		rc = read_text(bad[i]);
		CHECK(rc < 0 && cfg->num_rules == n && cfg->pc == 2057, "bad line %u rejected (rc %d)", i, rc);
	}
	printf("%d passed, %d failed\n", passed, failed);
	talloc_free(ctx);
	return failed ? 1 : 0;
}
