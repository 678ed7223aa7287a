/*
 * libFuzzer target for what an application sends the gateway: one input is one JSON
 * request (docs/tc-json.md) given to the JSON TC-user on a real TCAP entity, whose SCCP
 * is a sink. Every request must be carried out or refused with a reason; whatever is sent
 * must parse as a TCAP message; dialogues begun are ended so none are left. For gcc
 * builds, tests/fuzz/replay_main.c replays the corpus (tests/core/corpus).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>

#include "ss7gw/codec.h"
#include "tcap.h"
#include "tcap_msg.h"
#include "tc_json.h"

static struct tcap_ctx *tcap;
static struct tc_json *tj;

static void must(int cond)
{
	if (!cond)
		abort();
}

static int sink(void *priv, const struct sccp_addr *called, const struct sccp_addr *calling,
		const uint8_t *data, size_t len, uint8_t proto_class, bool roe, uint32_t seq)
{
	struct tcap_msg m;

	must(tcap_msg_parse(&m, data, len) == 0);
	return 0;
}

static void tc_ind(void *priv, const struct tc_ind *ind)
{
	tc_json_tc_ind(tj, ind);
}

static void event(void *priv, const char *json, size_t len)
{
	must(len > 0 && json[0] == '{');
}

static const struct tcap_ops ops = { .n_unitdata_req = sink, .tc_ind = tc_ind };
static const struct tc_json_ops tj_ops = { .event = event };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct tcap_cfg cfg = { .instance_bits = 4, .instance_id = 1 };
	char dialog[16] = "", err[256] = "", end[96];
	int rc;

	if (!tcap) {
		static const struct log_info log_info = {};
		osmo_init_logging2(NULL, &log_info);
		log_set_log_level(osmo_stderr_target, LOGL_FATAL);
		ss7_codec_init();
		tcap = tcap_ctx_alloc(NULL, &cfg, &ops, NULL);
		tj = tc_json_alloc(NULL, tcap, &tj_ops, NULL);
	}
	rc = tc_json_request(tj, (const char *)data, size, dialog, err, sizeof(err));
	must(rc == 0 || (rc == -1 && err[0]));
	if (rc == 0 && dialog[0]) {
		/* a begin that went out: end it locally so nothing is left behind */
		int n = snprintf(end, sizeof(end), "{\"request\":\"end\",\"dialog\":\"%s\",\"prearranged\":true}", dialog);
		tc_json_request(tj, end, (size_t)n, dialog, err, sizeof(err));
	}
	must(tc_json_dialogues(tj) == 0 && tcap_ctx_dialogues(tcap) == 0);
	return 0;
}
