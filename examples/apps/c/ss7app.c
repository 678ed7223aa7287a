/*
 * An application of the SS7 gateway on NATS (docs/nats.md), in C with nats.c and cJSON.
 * It answers SendRoutingInfoForSM as an SMS home-routing HLR would and MO-ForwardSM as an
 * SMSC would, serves a USSD menu with submenus, and is an SMSC client: --sms N delivers N
 * short messages (SendRoutingInfoForSM to the HLR, then MT-ForwardSM to the MSC it names).
 *
 *   ss7app [--server nats://127.0.0.1:4222] [--prefix ss7] [--sms N | --requests N] [--hlr GT]
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
	int requests, sms;
} opt = { "nats://127.0.0.1:4222", "ss7", "491719876543", "491700000006", "491700000100", 0, 0 };

/* bumped from nats.c's delivery threads, read at the end */
static unsigned long n_sri, n_mo, n_menus, n_submenus, n_ussd_ends, n_ignored;
#define COUNT(n) __atomic_add_fetch(&(n), 1, __ATOMIC_RELAXED)

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

/* an international ISDN number (AddressString) */
static cJSON *isdn(const char *digits)
{
	cJSON *n = cJSON_CreateObject();

	cJSON_AddStringToObject(n, "nature", "international");
	cJSON_AddStringToObject(n, "plan", "isdn");
	cJSON_AddStringToObject(n, "digits", digits);
	return n;
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
	cJSON_AddItemToObject(cJSON_AddObjectToObject(r, "locationInfoWithLMSI"), "networkNode-Number", isdn(MSC));
	COUNT(n_sri);
	return a;
}

/* (b) MO-ForwardSM: we are the sender's SMSC. Show the message and take it: the v3 result
 * carries the SMS-SUBMIT-REPORT (RP-ACK; the codec stamps it with the current time). */
static cJSON *mo_forward_sm(const cJSON *ev)
{
	const cJSON *arg = cJSON_GetObjectItem(first_comp(ev, "invoke"), "argument");
	cJSON *a = cJSON_CreateObject();

	printf("mo-sms from %s to %s: %s\n", text_at(arg, "sm-RP-OA", "msisdn", "digits"),
	       text_at(arg, "sm-RP-UI", "da", "digits"), text_at(arg, "sm-RP-UI", "text", NULL));
	cJSON_AddStringToObject(cJSON_AddObjectToObject(cJSON_AddObjectToObject(a, "result"), "sm-RP-UI"),
				"type", "SMS-SUBMIT-REPORT");
	COUNT(n_mo);
	return a;
}

/* (c) USSD: the main menu, a submenu, the final answer. In menu `at` the choice `choice`
 * shows `text`: the submenu `next` (the dialogue continues) or, without next, the end. */
#define MAIN_MENU "1 Balance\n2 Top up"
static const struct { const char *at, *choice, *text, *next; } ussd_menu[] = {
	{ "main",    "1", "Balance of\n1 Money\n2 Data", "balance" },
	{ "main",    "2", "Top up by\n1 5 EUR\n2 10 EUR", "topup" },
	{ "balance", "1", "Balance: 5.00 EUR", NULL },
	{ "balance", "2", "Data left: 1.50 GB", NULL },
	{ "topup",   "1", "Topped up 5.00 EUR", NULL },
	{ "topup",   "2", "Topped up 10.00 EUR", NULL },
};

/* a continue with a menu (an unstructuredSS-Request); the context says which one it is */
static cJSON *ussd_show(const char *text, const char *menu)
{
	cJSON *a = cJSON_CreateObject(), *comp = cJSON_CreateObject(), *inv = cJSON_AddObjectToObject(comp, "invoke");

	cJSON_AddStringToObject(inv, "operation", "unstructuredSS-Request");
	cJSON_AddItemToObject(inv, "argument", ussd(text));
	cJSON_AddItemToArray(cJSON_AddArrayToObject(a, "components"), comp);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(a, "context"), "menu", menu);
	return a;
}

/* the subscriber dialled a code */
static cJSON *ussd_begin(const cJSON *ev)
{
	COUNT(n_menus);
	return ussd_show(MAIN_MENU, "main");
}

/* the subscriber's choice in the menu the context names: a submenu, or the final result */
static cJSON *ussd_choice(const cJSON *ev)
{
	const char *at = text_at(ev, "context", "menu", NULL);
	const char *choice = text_at(first_comp(ev, "result"), "result", "ussd-String", "text");
	size_t i, n = sizeof(ussd_menu) / sizeof(ussd_menu[0]);
	cJSON *a;

	for (i = 0; i < n && (strcmp(ussd_menu[i].at, at) || strcmp(ussd_menu[i].choice, choice)); i++)
		;
	if (i < n && ussd_menu[i].next) {
		COUNT(n_submenus);
		return ussd_show(ussd_menu[i].text, ussd_menu[i].next);
	}
	a = cJSON_CreateObject();
	cJSON_AddItemToObject(a, "result", ussd(i < n ? ussd_menu[i].text : "Unknown choice"));
	COUNT(n_ussd_ends);
	return a;
}

/* Answer an event the gateway asked about; anything else is someone else's business */
static void on_event(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
	cJSON *(*handler)(const cJSON *) = (cJSON *(*)(const cJSON *))closure;
	cJSON *ev = cJSON_ParseWithLength(natsMsg_GetData(msg), (size_t)natsMsg_GetDataLength(msg)), *answer;
	char *text;

	if (!ev || !cJSON_GetObjectItem(ev, "answer") || !natsMsg_GetReply(msg)) {
		COUNT(n_ignored);
	} else if ((answer = handler(ev))) {
		text = cJSON_PrintUnformatted(answer);
		natsConnection_PublishString(nc, natsMsg_GetReply(msg), text);
		free(text);
		cJSON_Delete(answer);
	}
	cJSON_Delete(ev);
	natsMsg_Destroy(msg);
}

static const struct { const char *subject; cJSON *(*handler)(const cJSON *); } serves[] = {
	{ "event.map.sendRoutingInfoForSM", sri_for_sm },
	{ "event.map.mo-ForwardSM", mo_forward_sm },
	{ "event.map.processUnstructuredSS-Request", ussd_begin },
	{ "event.map.unstructuredSS-Request.result", ussd_choice },
};
#define N_SERVES ((int)(sizeof(serves) / sizeof(serves[0])))

/* --- (d) the SMSC client: requests towards the network --------------------------------- */

/* Request an operation (the body is consumed). The reply; when none came, one made up here
 * with outcome "no-gateway" (no responders) or "no-reply". */
static cJSON *request(natsConnection *nc, const char *operation, cJSON *body)
{
	char subject[128], *text = cJSON_PrintUnformatted(body);
	natsMsg *reply = NULL;
	natsStatus s;
	cJSON *r = NULL;

	snprintf(subject, sizeof(subject), "%s.request.map.%s", opt.prefix, operation);
	s = natsConnection_RequestString(&reply, nc, subject, text, 20000);
	if (s == NATS_OK)
		r = cJSON_ParseWithLength(natsMsg_GetData(reply), (size_t)natsMsg_GetDataLength(reply));
	if (!r) {
		r = cJSON_CreateObject();
		cJSON_AddStringToObject(r, "outcome", s == NATS_NO_RESPONDERS ? "no-gateway" : "no-reply");
		cJSON_AddStringToObject(r, "error", natsStatus_GetText(s));
	}
	natsMsg_Destroy(reply);
	free(text);
	cJSON_Delete(body);
	return r;
}

static const char *outcome(const cJSON *r)
{
	const char *o = cJSON_GetStringValue(cJSON_GetObjectItem(r, "outcome"));

	return o ? o : "?";
}

/* the reply request() made up: nothing came from the gateway */
static int no_reply(const cJSON *r)
{
	return !strncmp(outcome(r), "no-", 3);
}

/* what a reply says beyond its outcome: the user error's name, or why it was refused */
static const char *why(const cJSON *r)
{
	const char *e = cJSON_GetStringValue(cJSON_GetObjectItem(first_comp(r, "error"), "error"));

	if (!e)
		e = cJSON_GetStringValue(cJSON_GetObjectItem(r, "error"));
	return e ? e : "";
}

static cJSON *address(const char *gt, int ssn)
{
	cJSON *a = cJSON_CreateObject();

	cJSON_AddStringToObject(a, "gt", gt);
	cJSON_AddNumberToObject(a, "ssn", ssn);
	return a;
}

/* SendRoutingInfoForSM to the HLR: where is the subscriber? */
static cJSON *sri_request(void)
{
	cJSON *b = cJSON_CreateObject(), *arg;

	cJSON_AddItemToObject(b, "called", address(opt.hlr, 6));
	arg = cJSON_AddObjectToObject(b, "argument");
	cJSON_AddItemToObject(arg, "msisdn", isdn(opt.msisdn));
	cJSON_AddBoolToObject(arg, "sm-RP-PRI", 1);
	cJSON_AddItemToObject(arg, "serviceCentreAddress", isdn(opt.sc));
	return b;
}

/* MT-ForwardSM to the MSC the HLR named, for the IMSI it gave; the message is an
 * SMS-DELIVER TPDU (TS 23.040) from an alphanumeric sender, time-stamped by the codec */
static cJSON *mt_request(const char *imsi, const char *msc, const char *text)
{
	cJSON *b = cJSON_CreateObject(), *arg, *tpdu, *oa;

	cJSON_AddItemToObject(b, "called", address(msc, 8));
	arg = cJSON_AddObjectToObject(b, "argument");
	cJSON_AddStringToObject(cJSON_AddObjectToObject(arg, "sm-RP-DA"), "imsi", imsi);
	cJSON_AddItemToObject(cJSON_AddObjectToObject(arg, "sm-RP-OA"), "serviceCentreAddressOA", isdn(opt.sc));
	tpdu = cJSON_AddObjectToObject(arg, "sm-RP-UI");
	cJSON_AddStringToObject(tpdu, "type", "SMS-DELIVER");
	oa = cJSON_AddObjectToObject(tpdu, "oa");
	cJSON_AddStringToObject(oa, "nature", "alphanumeric");
	cJSON_AddStringToObject(oa, "text", "ss7app");
	cJSON_AddStringToObject(tpdu, "text", text);
	return b;
}

/* --sms N: each message takes two dialogues, SRI-for-SM then MT-ForwardSM */
static int send_sms(natsConnection *nc, int n)
{
	int i, delivered = 0, failed = 0, lost = 0;
	char text[80];

	for (i = 1; i <= n; i++) {
		cJSON *sri = request(nc, "sendRoutingInfoForSM", sri_request()), *mt = NULL, *last = sri;
		const cJSON *res = first_comp(sri, "result");
		const char *imsi = text_at(res, "result", "imsi", NULL);
		const char *msc = text_at(cJSON_GetObjectItem(res, "result"), "locationInfoWithLMSI",
					  "networkNode-Number", "digits");

		if (!strcmp(outcome(sri), "result")) {
			snprintf(text, sizeof(text), "Hello from ss7app.c, message %d of %d", i, n);
			last = mt = request(nc, "mt-ForwardSM", mt_request(imsi, msc, text));
		}
		if (mt && !strcmp(outcome(mt), "result")) {
			printf("sms %d: delivered to imsi %s via msc %s\n", i, imsi, msc);
			delivered++;
		} else {
			printf("sms %d: %s %s %s\n", i, mt ? "mt-ForwardSM" : "sendRoutingInfoForSM", outcome(last),
			       why(last));
			if (no_reply(last))
				lost++;
			else
				failed++;
		}
		cJSON_Delete(sri);
		cJSON_Delete(mt);
	}
	printf("ss7app: sms %d: delivered %d, failed %d, no reply %d\n", n, delivered, failed, lost);
	return lost ? 1 : 0;
}

/* --requests N: only the SRI-for-SM, each reply's outcome */
static int send_requests(natsConnection *nc, int n)
{
	int i, results = 0, others = 0, lost = 0;

	for (i = 1; i <= n; i++) {
		cJSON *r = request(nc, "sendRoutingInfoForSM", sri_request());

		if (!strcmp(outcome(r), "result")) {
			printf("request %d: result imsi %s\n", i, text_at(first_comp(r, "result"), "result", "imsi", NULL));
			results++;
		} else {
			printf("request %d: %s %s\n", i, outcome(r), why(r));
			if (no_reply(r))
				lost++;
			else
				others++;
		}
		cJSON_Delete(r);
	}
	printf("ss7app: requests %d: result %d, other outcome %d, no reply %d\n", n, results, others, lost);
	return lost ? 1 : 0;
}

/* --- main ------------------------------------------------------------------------------ */

static void usage(void)
{
	fprintf(stderr, "usage: ss7app [--server URL] [--prefix P] [--sms N | --requests N] [--msisdn D] [--hlr GT]"
			" [--sc GT]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	natsSubscription *subs[N_SERVES] = { NULL };
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
		else if (!strcmp(argv[i], "--sms")) opt.sms = atoi(argv[i + 1]);
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
	if (opt.sms > 0 || opt.requests > 0) {
		rc = opt.sms > 0 ? send_sms(nc, opt.sms) : send_requests(nc, opt.requests);
		goto out;
	}
	for (i = 0; i < N_SERVES; i++) {
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
	printf("ss7app: sri-for-sm %lu, mo-forward-sm %lu, ussd menus %lu, ussd submenus %lu, ussd ends %lu, "
	       "ignored %lu\n", n_sri, n_mo, n_menus, n_submenus, n_ussd_ends, n_ignored);
out:
	for (i = 0; i < N_SERVES; i++)
		natsSubscription_Destroy(subs[i]);
	natsConnection_Destroy(nc);
	natsOptions_Destroy(no);
	nats_Close();
	return rc;
}
