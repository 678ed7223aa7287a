/*
 * ss7sim's scenario engine alone: two engines (an originator and a responder) talk
 * through a loop carrier written here, which turns each request into the peer's event
 * the way the TC-user layer would (docs/tc-json.md), asynchronously from the select
 * loop. Flows: SMS MT over two dialogues with a saved value, a USSD menu with a switch,
 * an AC refusal and fallback, a mismatch, a timeout, and scenario files that are refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>

#include "ss7gw/codec.h"
#include "jv.h"
#include "jw.h"
#include "sim.h"
#include "sim_load.h"

static int passed, failed;

#define CHECK(cond, ...) do { \
	if (cond) { passed++; } else { failed++; printf("FAIL %s:%d: ", __FILE__, __LINE__); \
		printf(__VA_ARGS__); printf("\n"); } } while (0)

/* --- the loop carrier ---------------------------------------------------- */

struct side;
struct queued {
	struct llist_head list;
	struct side *to;
	char *json;
};

struct side {
	struct sim *sim;
	struct side *peer;
	uint32_t id_base;		/* A's ids 0000000n, B's 8000000n: one dialogue, two ids */
	struct sim_io io;
};

static LLIST_HEAD(queue);
static int dialog_version[4096];	/* by dialogue number: the AC version, as the gateway keeps it */
static struct osmo_timer_list deliver_timer;
static uint32_t next_dialog = 1;
static void *ctx;

static void deliver_cb(void *data)
{
	struct queued *q, *tmp;
	LLIST_HEAD(now);

	llist_splice_init(&queue, &now);
	llist_for_each_entry_safe(q, tmp, &now, list) {
		llist_del(&q->list);
		sim_event(q->to->sim, q->json, strlen(q->json));
		talloc_free(q);
	}
}

static void enqueue(struct side *to, const char *json)
{
	struct queued *q = talloc_zero(ctx, struct queued);

	q->to = to;
	q->json = talloc_strdup(q, json);
	llist_add_tail(&q->list, &queue);
	if (!osmo_timer_pending(&deliver_timer))
		osmo_timer_schedule(&deliver_timer, 0, 0);
}

static int carrier_request(void *priv, const char *json, size_t len, char dialog[16], char *err, size_t errsz)
{
	struct side *me = priv;
	struct jv_doc d;
	struct jw w;
	const jv_t *req, *m;
	const char *type;
	uint32_t id;
	size_t i;

	jv_doc_init(&d);
	if (jv_parse(&d, json, len, err, errsz)) {
		jv_doc_free(&d);
		return -1;
	}
	req = d.root;
	type = jv_string_value(jv_object_get(req, "request"));
	if (!strcmp(type, "begin")) {
		id = next_dialog++;
		snprintf(dialog, 16, "%08x", me->id_base | id);
	} else {
		const char *dl = jv_string_value(jv_object_get(req, "dialog"));
		if (!dl) {
			snprintf(err, errsz, "no dialog");
			jv_doc_free(&d);
			return -1;
		}
		id = (uint32_t)strtoul(dl, NULL, 16) & 0x7fffffff;
	}
	if (!strcmp(type, "end") && jv_is_true(jv_object_get(req, "prearranged"))) {
		jv_doc_free(&d);
		return 0;
	}
	jw_init(&w);
	jw_obj_begin(&w);
	jw_kstr(&w, "event", type);
	{
		char peer_id[16];
		snprintf(peer_id, sizeof(peer_id), "%08x", me->peer->id_base | id);
		jw_kstr(&w, "dialog", peer_id);
	}
	jv_object_foreach(req, i, m) {
		if (!strcmp(m->key, "request") || !strcmp(m->key, "dialog") || !strcmp(m->key, "refuse"))
			continue;
		jw_key(&w, m->key);
		jv_write(&w, m);
	}
	if ((m = jv_object_get(req, "ac"))) {
		struct ss7_codec_ac ac;
		if (!ss7_codec_ac_by_name(jv_string_value(m), 0, &ac) && id < 4096)
			dialog_version[id] = ac.version;
	}
	if (id < 4096 && dialog_version[id])
		jw_kint(&w, "version", dialog_version[id]);
	if ((m = jv_object_get(req, "refuse"))) {
		jw_kstr(&w, "reason", "ac-not-supported");
		jw_kstr(&w, "acOffered", jv_string_value(jv_object_get(m, "ac")));
	} else if (!strcmp(type, "u-abort")) {
		jw_kstr(&w, "reason", "user");
	}
	jw_obj_end(&w);
	enqueue(me->peer, jw_cstr(&w));
	jw_free(&w);
	jv_doc_free(&d);
	return 0;
}

static struct side A = { .id_base = 0 }, B = { .id_base = 0x80000000u };

/* --- running flows ------------------------------------------------------- */

struct outcome {
	int done;
	bool ok;
	char why[256];
};

static void done_cb(void *arg, bool ok, const char *why)
{
	struct outcome *o = arg;

	o->done++;
	o->ok = ok;
	snprintf(o->why, sizeof(o->why), "%s", why ? why : "");
}

static void load(struct side *s, const char *json)
{
	char err[256];

	if (sim_load(s->sim, json, strlen(json), err, sizeof(err))) {
		printf("scenario refused: %s\n", err);
		exit(1);
	}
}

/* Keeps osmo_select_main(0) from blocking for good when nothing else is pending. */
static struct osmo_timer_list tick;
static void tick_cb(void *data)
{
	osmo_timer_schedule(&tick, 0, 10000);
}

/* Start one flow on A and run the loop until it is done (or ~3 s pass). */
static struct outcome run_flow(const char *flow)
{
	struct outcome o = { 0 };
	struct timespec t0, t;

	if (sim_flow_start(A.sim, flow, done_cb, &o)) {
		snprintf(o.why, sizeof(o.why), "no flow %s", flow);
		return o;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* until the flow is done and the responder has seen the last message, at most 3 s */
	do {
		osmo_select_main(0);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((!o.done || sim_active(B.sim) || !llist_empty(&queue)) && t.tv_sec - t0.tv_sec < 3);
	return o;
}

static const char *responders =
	"{\"responders\": ["
	" {\"name\": \"hlr\", \"on\": \"sendRoutingInfoForSM\", \"ssn\": 6, \"script\": ["
	"   {\"expect\": \"begin\", \"match\": {\"ac\": \"shortMsgGatewayContext-v3\"},"
	"    \"components\": [{\"invoke\": \"sendRoutingInfoForSM\", \"match\": {\"argument\": {\"sm-RP-PRI\": true}}}]},"
	"   {\"send\": \"end\", \"components\": [{\"result\": \"sendRoutingInfoForSM\", \"value\":"
	"     {\"imsi\": \"262011234567890\", \"locationInfoWithLMSI\": {\"networkNode-Number\":"
	"      {\"nature\": \"international\", \"plan\": \"isdn\", \"digits\": \"491700000008\"}}}}]}]},"
	" {\"name\": \"msc\", \"on\": \"mt-forwardSM\", \"script\": ["
	"   {\"expect\": \"begin\", \"match\": {\"called\": {\"gt\": \"491700000008\"}},"
	"    \"components\": [{\"invoke\": \"mt-forwardSM\", \"match\": {\"argument\": {\"sm-RP-DA\": {\"imsi\": \"262011234567890\"}}}}]},"
	"   {\"send\": \"end\", \"components\": [{\"result\": \"mt-forwardSM\"}]}]},"
	" {\"name\": \"ussd\", \"on\": \"processUnstructuredSS-Request\", \"script\": ["
	"   {\"send\": \"continue\", \"components\": [{\"invoke\": \"unstructuredSS-Request\", \"argument\":"
	"     {\"ussd-DataCodingScheme\": \"0f\", \"ussd-String\": {\"text\": \"1 Balance 2 Exit\"}}}]},"
	"   {\"expect\": \"continue\", \"components\": [{\"result\": \"unstructuredSS-Request\", \"save\": \"choice\"}]},"
	"   {\"switch\": \"${choice.result.ussd-String.text}\", \"cases\": {"
	"     \"1\": [{\"send\": \"end\", \"components\": [{\"result\": \"processUnstructuredSS-Request\", \"value\":"
	"            {\"ussd-DataCodingScheme\": \"0f\", \"ussd-String\": {\"text\": \"Balance 5 EUR\"}}}]}]},"
	"    \"default\": [{\"send\": \"end\", \"components\": [{\"result\": \"processUnstructuredSS-Request\", \"value\":"
	"            {\"ussd-DataCodingScheme\": \"0f\", \"ussd-String\": {\"text\": \"Bye\"}}}]}]}]},"
	" {\"name\": \"old-vlr\", \"on\": \"provideRoamingNumber\", \"acVersions\": [2], \"script\": ["
	"   {\"send\": \"end\", \"components\": [{\"error\": \"dataMissing\"}]}]},"
	" {\"name\": \"slow\", \"on\": \"checkIMEI\", \"script\": ["
	"   {\"wait\": 400}, {\"send\": \"end\", \"components\": []}]}"
	"]}";

static const char *flows =
	"{\"flows\": ["
	" {\"name\": \"sms-mt\", \"dialogs\": ["
	"  {\"ac\": \"shortMsgGatewayContext-v3\", \"called\": {\"gt\": \"491700000006\", \"ssn\": 6}, \"script\": ["
	"   {\"send\": \"begin\", \"components\": [{\"invoke\": \"sendRoutingInfoForSM\", \"argument\":"
	"     {\"msisdn\": {\"digits\": \"491711234567\"}, \"sm-RP-PRI\": true,"
	"      \"serviceCentreAddress\": {\"digits\": \"491700000001\"}}}]},"
	"   {\"expect\": \"end\", \"components\": [{\"result\": \"sendRoutingInfoForSM\", \"save\": \"sri\"}]}]},"
	"  {\"ac\": \"shortMsgMT-RelayContext-v3\", \"script\": ["
	"   {\"send\": \"begin\", \"called\": {\"gt\": \"${sri.result.locationInfoWithLMSI.networkNode-Number.digits}\", \"ssn\": 8},"
	"    \"components\": [{\"invoke\": \"mt-forwardSM\", \"argument\": {\"sm-RP-DA\": {\"imsi\": \"${sri.result.imsi}\"}}}]},"
	"   {\"expect\": \"end\", \"components\": [{\"result\": \"mt-forwardSM\"}]}]}]},"
	" {\"name\": \"ussd\", \"dialogs\": [{\"ac\": \"networkUnstructuredSsContext-v2\", \"script\": ["
	"   {\"send\": \"begin\", \"components\": [{\"invoke\": \"processUnstructuredSS-Request\", \"argument\":"
	"     {\"ussd-DataCodingScheme\": \"0f\", \"ussd-String\": {\"text\": \"*100#\"}}}]},"
	"   {\"expect\": \"continue\", \"components\": [{\"invoke\": \"unstructuredSS-Request\"}]},"
	"   {\"send\": \"continue\", \"components\": [{\"result\": \"unstructuredSS-Request\", \"value\":"
	"     {\"ussd-DataCodingScheme\": \"0f\", \"ussd-String\": {\"text\": \"1\"}}}]},"
	"   {\"expect\": \"end\", \"components\": [{\"result\": \"processUnstructuredSS-Request\","
	"     \"match\": {\"result\": {\"ussd-String\": {\"text\": \"Balance 5 EUR\"}}}}]}]}]},"
	" {\"name\": \"fallback\", \"dialogs\": [{\"ac\": \"roamingNumberEnquiryContext-v3\", \"fallback\": true, \"script\": ["
	"   {\"send\": \"begin\", \"components\": [{\"invoke\": \"provideRoamingNumber\", \"argument\": {}}]},"
	"   {\"expect\": \"end\", \"match\": {\"version\": 2}, \"components\": [{\"error\": \"dataMissing\"}]}]}]},"
	" {\"name\": \"mismatch\", \"dialogs\": [{\"ac\": \"shortMsgGatewayContext-v3\", \"called\": {\"ssn\": 6}, \"script\": ["
	"   {\"send\": \"begin\", \"components\": [{\"invoke\": \"sendRoutingInfoForSM\", \"argument\": {\"sm-RP-PRI\": true}}]},"
	"   {\"expect\": \"end\", \"components\": [{\"error\": \"absentSubscriberSM\"}]}]}]},"
	" {\"name\": \"timeout\", \"dialogs\": [{\"ac\": \"equipmentMngtContext-v3\", \"script\": ["
	"   {\"send\": \"begin\", \"components\": [{\"invoke\": \"checkIMEI\"}]},"
	"   {\"expect\": \"end\", \"timeoutMs\": 50}]}]}"
	"]}";

static void flows_end_to_end(void)
{
	struct outcome o;
	const struct sim_stats *as = sim_stats(A.sim), *bs = sim_stats(B.sim);

	o = run_flow("sms-mt");
	CHECK(o.done == 1 && o.ok, "sms-mt: %s", o.why);
	CHECK(bs->served == 2 && as->dialogs_ok == 2, "sms-mt: served %llu, ok %llu",
	      (unsigned long long)bs->served, (unsigned long long)as->dialogs_ok);

	o = run_flow("ussd");
	CHECK(o.done == 1 && o.ok, "ussd: %s", o.why);
	CHECK(bs->served == 3, "ussd served");

	o = run_flow("fallback");
	CHECK(o.done == 1 && o.ok, "fallback: %s", o.why);
	CHECK(as->fallbacks == 1 && bs->refused == 1, "one refusal, one fallback");

	o = run_flow("mismatch");
	CHECK(o.done == 1 && !o.ok && strstr(o.why, "component 0 is a result"),
	      "mismatch reported: %s", o.why);

	o = run_flow("timeout");
	CHECK(o.done == 1 && !o.ok && strstr(o.why, "timed out waiting for end"), "timeout: %s", o.why);
	/* the originator aborted; the slow responder's end then goes to a closed dialogue */
	CHECK(sim_active(A.sim) == 0, "no run left on A: %u", sim_active(A.sim));
	CHECK(as->flows_started == 5 && as->flows_ok == 3 && as->flows_failed == 2, "flow counters");
}

static void load_finished(void *arg)
{
	*(int *)arg = 1;
}

/* 500 SMS-MT flows (1000 dialogues), 50 in flight, then a rate-bounded run. */
static void load_generator(void)
{
	struct sim_load_cfg cfg = { .flow = "sms-mt", .count = 500, .concurrency = 50 };
	unsigned int ok, bad, open;
	struct timespec t0, t;
	struct sim_load *l;
	int done = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	l = sim_load_start(ctx, A.sim, &cfg, load_finished, &done);
	CHECK(l != NULL, "load started");
	do {
		osmo_select_main(0);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (!done && t.tv_sec - t0.tv_sec < 20);
	sim_load_results(l, &ok, &bad, &open);
	CHECK(done && ok == 500 && !bad && !open, "500 flows: ok %u failed %u open %u", ok, bad, open);
	sim_load_report(l, stdout);
	talloc_free(l);

	/* 40 per second for at most 250 ms: about 10 starts, never more than the rate allows */
	cfg = (struct sim_load_cfg){ .flow = "sms-mt", .count = 1000, .concurrency = 5, .rate = 40,
				     .duration_ms = 250 };
	done = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	l = sim_load_start(ctx, A.sim, &cfg, load_finished, &done);
	do {
		osmo_select_main(0);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (!done && t.tv_sec - t0.tv_sec < 20);
	sim_load_results(l, &ok, &bad, &open);
	CHECK(done && ok >= 8 && ok <= 12 && !bad, "rate and duration bound the starts: %u ok", ok);
	sim_load_report(l, stdout);
	talloc_free(l);
	CHECK(cfg.count && !sim_load_start(ctx, A.sim, &(struct sim_load_cfg){ .flow = "x" }, NULL, NULL),
	      "count 0 refused");
}

static void refused_scenarios(void)
{
	static const struct { const char *json, *why; } bad[] = {
		{ "[1]", "a scenario is an object" },
		{ "{\"flows\": [{\"dialogs\": []}]}", "flow 1 has no name" },
		{ "{\"flows\": [{\"name\": \"x\", \"dialogs\": []}]}", "non-empty list" },
		{ "{\"flows\": [{\"name\": \"x\", \"dialogs\": [{\"script\": [{\"send\": \"begin\", \"wait\": 1}]}]}]}",
		  "flow x dialog 1 step 1: needs exactly one of" },
		{ "{\"responders\": [{\"name\": \"r\", \"script\": [{\"bogus\": 1}]}]}", "responder r step 1" },
		{ "{\"responders\": [{\"name\": \"r\", \"script\": [{\"switch\": \"1\", \"cases\": {\"1\": [{}]}}]}]}",
		  "responder r step 1: needs exactly one" },
		{ "{\"flows\": [", "line 1" },
	};
	struct sim *s = sim_create(ctx, &A.io);
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = sim_load(s, bad[i].json, strlen(bad[i].json), err, sizeof(err));
		CHECK(rc == -1 && strstr(err, bad[i].why), "scenario %zu refused with '%s': %s", i, bad[i].why, err);
	}
	CHECK(sim_flow_start(s, "none", NULL, NULL) < 0, "unknown flow");
	sim_destroy(s);
}

int main(void)
{
	ctx = talloc_named_const(NULL, 0, "test_sim_engine");
	osmo_timer_setup(&deliver_timer, deliver_cb, NULL);
	osmo_timer_setup(&tick, tick_cb, NULL);
	tick_cb(NULL);
	A.io = (struct sim_io){ carrier_request, &A };
	B.io = (struct sim_io){ carrier_request, &B };
	A.peer = &B;
	B.peer = &A;
	A.sim = sim_create(ctx, &A.io);
	B.sim = sim_create(ctx, &B.io);
	if (getenv("SIM_TRACE")) {
		sim_set_trace(A.sim, stdout);
		sim_set_trace(B.sim, stdout);
	}
	load(&A, flows);
	load(&B, responders);

	flows_end_to_end();
	load_generator();
	refused_scenarios();

	sim_destroy(A.sim);
	sim_destroy(B.sim);
	osmo_timer_del(&tick);
	CHECK(talloc_total_blocks(ctx) == 1, "everything freed: %zu blocks left", talloc_total_blocks(ctx));
	talloc_free(ctx);
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
