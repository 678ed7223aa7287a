/*
 * libFuzzer target for the NATS request path (docs/nats.md): what applications send the
 * gateway core, as requests on <prefix>.request.* and as answers to the events it asked
 * about. The input's first octet picks the subject, or the answer path (then a SRI-for-SM
 * Begin arrives from the network first and the rest of the input answers it). Every
 * request gets a reply (a JSON object) or begins a dialogue, whatever goes to the network parses as TCAP, and
 * a waiting dialogue always ends (answer or default). The layers are rebuilt per input, so
 * nothing carries over. For gcc builds, tests/fuzz/replay_main.c replays the corpus.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include "ss7gw/codec.h"
#include "sccp_msg.h"
#include "tcap.h"
#include "tcap_msg.h"
#include "tc_json.h"
#include "gw.h"

static struct gw *gw;
static struct tc_json *tj;
static unsigned int sent, replies, asked;
static uint64_t token;

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
	sent++;
	return 0;
}

static void tc_ind(void *priv, const struct tc_ind *ind) { tc_json_tc_ind(tj, ind); }
static void event(void *priv, const char *json, size_t len) { gw_event(gw, json, len); }
static void envelope(void *priv, struct jw *w, const struct tc_json_msg *m) { gw_envelope(gw, w, m); }

static int publish(void *bus, const char *subject, const char *data, size_t len)
{
	must(len > 0 && data[0] == '{' && data[len - 1] == '}');
	return 0;
}

static int request(void *bus, const char *subject, const char *data, size_t len, uint64_t t)
{
	publish(bus, subject, data, len);
	token = t;
	asked++;
	return 0;
}

static int respond(void *bus, const char *reply_to, const char *data, size_t len)
{
	must(len > 0 && data[0] == '{' && data[len - 1] == '}');
	replies++;
	return 0;
}

static const struct tcap_ops tcap_ops = { .n_unitdata_req = sink, .tc_ind = tc_ind };
static const struct tc_json_ops tj_ops = { .event = event, .envelope = envelope };
static const struct gw_bus_ops bus_ops = { .publish = publish, .request = request, .respond = respond };

static const char *const subjects[] = {
	"ss7.request.tc", "ss7.request.map.sendRoutingInfoForSM", "ss7.request.map.mt-ForwardSM",
	"ss7.request.map.unstructuredSS-Request", "ss7.request.cap.initialDP", "ss7.request.map.noSuchOp",
};

/* A SRI-for-SM v3 Begin from the network (tests/golden/map/sms_sri_sm_v3_begin.json) */
static const char sri_begin[] =
	"625648044a0001016b1e281c060700118605010101a011600f80020780a1090607040000010014036c2ea12c"
	"02010102012d30248007919471917856348101ff820791947100001000870088010089080c91947110325476";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct tcap_cfg cfg = { .instance_bits = 4, .instance_id = 1 };
	static struct sccp_addr peer, us;
	static uint8_t begin[256];
	static int begin_len;
	void *ctx;
	struct tcap_ctx *tcap;
	struct gw_cfg gcfg;

	if (!begin_len) {
		static const struct log_info log_info = {};
		osmo_init_logging2(NULL, &log_info);
		log_set_log_level(osmo_stderr_target, LOGL_FATAL);
		ss7_codec_init();
		begin_len = osmo_hexparse(sri_begin, begin, sizeof(begin));
		sccp_addr_set_gt(&peer, SCCP_GTI_TT_NP_ES_NAI, 0, 1, 4, "491700000100");
		sccp_addr_set_gt(&us, SCCP_GTI_TT_NP_ES_NAI, 0, 1, 4, "491700000006");
		peer.present |= SCCP_ADDR_SSN;
		peer.ssn = 8;
		us.present |= SCCP_ADDR_SSN;
		us.ssn = 6;
	}
	if (!size)
		return 0;
	ctx = talloc_named_const(NULL, 0, "fuzz_gw");
	tcap = tcap_ctx_alloc(ctx, &cfg, &tcap_ops, NULL);
	tj = tc_json_alloc(ctx, tcap, &tj_ops, NULL);
	gw_cfg_defaults(&gcfg);
	gw = gw_alloc(ctx, &gcfg, &(struct gw_stack){ .tc = tj, .tcap = tcap }, &bus_ops, NULL);
	sent = replies = asked = 0;

	if (data[0] < ARRAY_SIZE(subjects)) {
		gw_request(gw, subjects[data[0]], "_INBOX.fuzz", (const char *)data + 1, size - 1);
		/* refused or done at once with a reply, or a dialogue begun whose outcome is due */
		must(replies == 1 || (replies == 0 && sent == 1 && gw_dialogues(gw) == 1));
	} else {
		tcap_n_unitdata_ind(tcap, &us, &peer, begin, (size_t)begin_len);
		must(asked == 1 && gw_waiting(gw) == 1);
		gw_answer(gw, token, data[0] == 0xff ? -EHOSTUNREACH : 0, (const char *)data + 1, size - 1);
		/* answered, refused with the default, or continued: never left waiting */
		must(gw_waiting(gw) == 0 && sent >= 1);
	}
	gw_free(gw);
	tc_json_free(tj);
	tcap_ctx_free(tcap);
	talloc_free(ctx);
	return 0;
}
