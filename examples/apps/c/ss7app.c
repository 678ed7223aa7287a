/*
 * An application of the SS7 gateway on NATS (docs/nats.md), in C with nats.c and cJSON.
 * It answers SendRoutingInfoForSM as an SMS home-routing HLR would, serves a two-step USSD
 * menu, and with --requests N sends N SendRoutingInfoForSM itself.
 *
 *   ss7app [--server nats://127.0.0.1:4222] [--prefix ss7] [--requests N]
 *
 * Copies may run side by side: they share the events in queue group "apps", and the USSD
 * menu keeps its state in the dialogue's context, so any copy can take the next step.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <nats/nats.h>

#define MSC "491700000008"	/* the node that delivers the SMS: us, home routing */

static struct {
	const char *server, *prefix, *msisdn, *hlr, *sc;
	int requests;
} opt = { "nats://127.0.0.1:4222", "ss7", "491719876543", "491700000006", "491700000100", 0 };

/* bumped from nats.c's delivery thread, read at the end */
static unsigned long n_sri, n_menus, n_ussd_ends, n_ignored;

/* --- small JSON helpers ------------------------------------------------------------- */

/* The body of the first component of this kind ("invoke", "result", "error") */
static cJSON *first_comp(const cJSON *ev, const char *kind)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, cJSON_GetObjectItem(ev, "components"))
		if (cJSON_GetObjectItem(c, kind))
			return cJSON_GetObjectItem(c, kind);
	return NULL;
}

/* obj.a.b[.c] as a string, or "" */
static const char *text_at(const cJSON *obj, const char *a, const char *b, const char *c)
{
	const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(obj, a), b);

	if (c)
		v = cJSON_GetObjectItem(v, c);
	return cJSON_IsString(v) ? v->valuestring : "";
}

static cJSON *ussd(const char *text)
{
	cJSON *u = cJSON_CreateObject();

	cJSON_AddStringToObject(u, "ussd-DataCodingScheme", "0f");
	cJSON_AddStringToObject(cJSON_AddObjectToObject(u, "ussd-String"), "text", text);
	return u;
}

/* --- answers to the gateway's events ------------------------------------------------- */

/* (a) SRI-for-SM: the IMSI and ourselves as the serving node, so the SMS comes to us.
 * The subscriber's IMSI in this demo: MCC-MNC 262-01 and the MSISDN's last ten digits. */
static cJSON *sri_for_sm(const cJSON *ev)
{
	const char *msisdn = text_at(first_comp(ev, "invoke"), "argument", "msisdn", "digits");
	size_t len = strlen(msisdn), tail = len > 10 ? 10 : len;
	char imsi[16] = "262010000000000";
	cJSON *a = cJSON_CreateObject(), *r = cJSON_AddObjectToObject(a, "result");

	memcpy(imsi + 15 - tail, msisdn + len - tail, tail);
	cJSON_AddStringToObject(r, "imsi", imsi);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(cJSON_AddObjectToObject(r, "locationInfoWithLMSI"),
							"networkNode-Number"), "digits", MSC);
	__atomic_add_fetch(&n_sri, 1, __ATOMIC_RELAXED);
	return a;
}

/* (b) USSD, step 1: the subscriber dialled a code; a continue with the menu */
static cJSON *ussd_begin(const cJSON *ev)
{
	cJSON *a = cJSON_CreateObject(), *comp = cJSON_CreateObject(), *inv = cJSON_AddObjectToObject(comp, "invoke");

	cJSON_AddStringToObject(inv, "operation", "unstructuredSS-Request");
	cJSON_AddItemToObject(inv, "argument", ussd("1 Balance\n2 Top up"));
	cJSON_AddItemToArray(cJSON_AddArrayToObject(a, "components"), comp);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(a, "context"), "menu", "main");
	__atomic_add_fetch(&n_menus, 1, __ATOMIC_RELAXED);
	return a;
}

/* USSD, step 2: the subscriber's choice; the final answer ends the dialogue */
static cJSON *ussd_choice(const cJSON *ev)
{
	const char *choice = text_at(first_comp(ev, "result"), "result", "ussd-String", "text");
	cJSON *a = cJSON_CreateObject();

	cJSON_AddItemToObject(a, "result", ussd(!strcmp(choice, "1") ? "Balance: 5.00 EUR"
						 : !strcmp(choice, "2") ? "Top up: dial *101*code#" : "Unknown choice"));
	__atomic_add_fetch(&n_ussd_ends, 1, __ATOMIC_RELAXED);
	return a;
}

/* Answer an event the gateway asked about; anything else is someone else's business */
static void on_event(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
	cJSON *(*handler)(const cJSON *) = (cJSON *(*)(const cJSON *))closure;
	cJSON *ev = cJSON_ParseWithLength(natsMsg_GetData(msg), (size_t)natsMsg_GetDataLength(msg)), *answer;
	char *text;

	if (!ev || !cJSON_GetObjectItem(ev, "answer") || !natsMsg_GetReply(msg)) {
		__atomic_add_fetch(&n_ignored, 1, __ATOMIC_RELAXED);
	} else if ((answer = handler(ev))) {
		text = cJSON_PrintUnformatted(answer);
		natsConnection_PublishString(nc, natsMsg_GetReply(msg), text);
		free(text);
		cJSON_Delete(answer);
	}
	cJSON_Delete(ev);
	natsMsg_Destroy(msg);
}

/* --- (c) requests ---------------------------------------------------------------------- */

static int send_requests(natsConnection *nc, int n)
{
	char subject[128], body[512];
	int i, results = 0, others = 0, lost = 0;

	snprintf(subject, sizeof(subject), "%s.request.map.sendRoutingInfoForSM", opt.prefix);
	snprintf(body, sizeof(body), "{\"called\":{\"gt\":\"%s\",\"ssn\":6},\"argument\":{\"msisdn\":{\"digits\":\"%s\"},"
		 "\"sm-RP-PRI\":true,\"serviceCentreAddress\":{\"digits\":\"%s\"}}}", opt.hlr, opt.msisdn, opt.sc);
	for (i = 1; i <= n; i++) {
		natsMsg *reply = NULL;
		natsStatus s = natsConnection_RequestString(&reply, nc, subject, body, 20000);
		cJSON *r = s == NATS_OK ? cJSON_ParseWithLength(natsMsg_GetData(reply),
							       (size_t)natsMsg_GetDataLength(reply)) : NULL;
		const char *outcome = cJSON_GetStringValue(cJSON_GetObjectItem(r, "outcome"));
		const char *why = cJSON_GetStringValue(cJSON_GetObjectItem(first_comp(r, "error"), "error"));

		if (!why)	/* a refusal's reason */
			why = cJSON_GetStringValue(cJSON_GetObjectItem(r, "error"));

		if (s != NATS_OK) {
			printf("request %d: %s %s\n", i, s == NATS_NO_RESPONDERS ? "no-gateway" : "no-reply",
			       natsStatus_GetText(s));
			lost++;
		} else if (outcome && !strcmp(outcome, "result")) {
			printf("request %d: result imsi %s\n", i, text_at(first_comp(r, "result"), "result", "imsi", NULL));
			results++;
		} else {
			printf("request %d: %s %s\n", i, outcome ? outcome : "?", why ? why : "");
			others++;
		}
		cJSON_Delete(r);
		natsMsg_Destroy(reply);
	}
	printf("ss7app: requests %d: result %d, other outcome %d, no reply %d\n", n, results, others, lost);
	return lost ? 1 : 0;
}

/* --- main ------------------------------------------------------------------------------ */

static void usage(void)
{
	fprintf(stderr, "usage: ss7app [--server URL] [--prefix P] [--requests N] [--msisdn D] [--hlr GT] [--sc GT]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct { const char *subject; cJSON *(*handler)(const cJSON *); } serves[] = {
		{ "event.map.sendRoutingInfoForSM", sri_for_sm },
		{ "event.map.processUnstructuredSS-Request", ussd_begin },
		{ "event.map.unstructuredSS-Request.result", ussd_choice },
	};
	natsSubscription *subs[3] = { NULL };
	natsConnection *nc = NULL;
	natsOptions *no = NULL;
	char subject[128];
	sigset_t stop;
	int i, sig, rc = 0;

	for (i = 1; i < argc; i += 2) {
		if (i + 1 >= argc)
			usage();
		if (!strcmp(argv[i], "--server")) opt.server = argv[i + 1];
		else if (!strcmp(argv[i], "--prefix")) opt.prefix = argv[i + 1];
		else if (!strcmp(argv[i], "--requests")) opt.requests = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--msisdn")) opt.msisdn = argv[i + 1];
		else if (!strcmp(argv[i], "--hlr")) opt.hlr = argv[i + 1];
		else if (!strcmp(argv[i], "--sc")) opt.sc = argv[i + 1];
		else usage();
	}
	/* the signals wait for sigwait() below, not in whichever thread nats.c runs */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);

	if (natsOptions_Create(&no) != NATS_OK || natsOptions_SetURL(no, opt.server) != NATS_OK ||
	    natsOptions_SetName(no, "ss7app.c") != NATS_OK || natsConnection_Connect(&nc, no) != NATS_OK) {
		fprintf(stderr, "ss7app: cannot connect to %s: %s\n", opt.server, nats_GetLastError(NULL));
		return 1;
	}
	if (opt.requests > 0) {
		rc = send_requests(nc, opt.requests);
		goto out;
	}
	for (i = 0; i < 3; i++) {
		snprintf(subject, sizeof(subject), "%s.%s", opt.prefix, serves[i].subject);
		if (natsConnection_QueueSubscribe(&subs[i], nc, subject, "apps", on_event,
						  (void *)serves[i].handler) != NATS_OK) {
			fprintf(stderr, "ss7app: cannot subscribe to %s\n", subject);
			rc = 1;
			goto out;
		}
	}
	natsConnection_Flush(nc);
	printf("ss7app: serving on %s, prefix %s\n", opt.server, opt.prefix);
	fflush(stdout);
	sigwait(&stop, &sig);
	printf("ss7app: sri-for-sm %lu, ussd menus %lu, ussd ends %lu, ignored %lu\n", n_sri, n_menus,
	       n_ussd_ends, n_ignored);
out:
	for (i = 0; i < 3; i++)
		natsSubscription_Destroy(subs[i]);
	natsConnection_Destroy(nc);
	natsOptions_Destroy(no);
	nats_Close();
	return rc;
}
