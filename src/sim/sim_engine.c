/*
 * The scenario engine (sim.h): each dialogue a scenario plays is a run, a small
 * interpreter over the dialogue's script of "send" / "expect" / "wait" / "switch"
 * steps. Runs are found by dialogue id; a begin nobody expects goes to the first
 * responder whose "on" names its first operation.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/hashtable.h>
#include <osmocom/core/linuxlist.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>

#include "ss7gw/codec.h"
#include "jv.h"
#include "jw.h"
#include "sim.h"

#define MAX_DEPTH	8	/* nested switch steps */
#define MAX_INVOKES	16	/* received invokes a run remembers for its answers */
#define MAX_VARS	16
#define MAX_FALLBACKS	2
#define DEFAULT_EXPECT_MS 10000

struct sim {
	const struct sim_io *io;
	struct jv_doc scenario;		/* owns every step the runs point into */
	const jv_t *flows, *responders;
	DECLARE_HASHTABLE(by_dialog, 12);
	struct llist_head runs;		/* every run, with or without a dialogue id yet */
	unsigned int active;
	struct sim_stats stats;
	FILE *trace;
	/* the events being handled: a request may bring an event back before the
	 * one that caused it is done with, so each nesting level has its document */
	struct jv_doc ev[4];
	int ev_depth;
	struct jw w;			/* requests are written here */
};

/* A flow instance: its dialogues run one after the other and share variables. */
struct flow_inst {
	struct sim *sim;
	const jv_t *flow;		/* NULL for a responder's own variables */
	unsigned int next_dialog;
	struct jv_doc *vars[MAX_VARS];
	const char *var_names[MAX_VARS];
	unsigned int n_vars;
	sim_flow_done_cb done;
	void *arg;
};

struct run {
	struct llist_head list;		/* in sim->runs */
	struct hlist_node node;		/* in sim->by_dialog, once the dialogue has an id */
	uint32_t key;
	struct sim *sim;
	struct flow_inst *fi;
	const jv_t *spec;		/* a flow's dialogue, or a responder */
	bool responder, open, hashed;
	char dialog[16];
	char ac[64];			/* the AC this run begins with (after a fallback: the offered one) */
	unsigned int fallbacks;
	struct { const jv_t *steps; uint32_t i; } stack[MAX_DEPTH];
	int depth;
	struct osmo_timer_list timer;
	bool timer_is_wait;
	struct { char op[48]; long id; } invokes[MAX_INVOKES];
	unsigned int n_invokes;
	long next_invoke_id;
};

static void run_continue(struct run *r);
static void flow_next(struct flow_inst *fi);

static void trace(struct sim *sim, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void trace(struct sim *sim, const char *fmt, ...)
{
	va_list ap;

	if (!sim->trace)
		return;
	va_start(ap, fmt);
	vfprintf(sim->trace, fmt, ap);
	va_end(ap);
	fputc('\n', sim->trace);
	fflush(sim->trace);
}

/* osmo_timer_schedule() wants microseconds below one second: a larger value
 * leaves an unnormalised timeval that breaks the order of the timer tree. */
static void schedule_ms(struct osmo_timer_list *t, long long ms)
{
	if (ms < 0)
		ms = 0;
	osmo_timer_schedule(t, (int)(ms / 1000), (int)(ms % 1000) * 1000);
}

static uint32_t dialog_key(const char *id)
{
	return (uint32_t)strtoul(id, NULL, 16);
}

/* --- variables ----------------------------------------------------------- */

static int var_doc_free(struct jv_doc *d)
{
	jv_doc_free(d);
	return 0;
}

static int var_set(struct flow_inst *fi, const char *name, const jv_t *v)
{
	struct jv_doc *d = NULL;
	struct jw w;
	char err[64];
	unsigned int i;
	int rc;

	for (i = 0; i < fi->n_vars && strcmp(fi->var_names[i], name); i++)
		;
	if (i == MAX_VARS)
		return -1;
	if (i == fi->n_vars) {
		d = talloc_zero(fi, struct jv_doc);
		if (!d)
			return -1;
		jv_doc_init(d);
		talloc_set_destructor(d, var_doc_free);
		fi->vars[i] = d;
		fi->var_names[i] = talloc_strdup(fi, name);
		fi->n_vars++;
	}
	d = fi->vars[i];
	/* a copy: the value lives on after the event's document is reused */
	jw_init(&w);
	jv_write(&w, v);
	rc = jw_ok(&w) ? jv_parse(d, jw_cstr(&w), w.len, err, sizeof(err)) : -1;
	jw_free(&w);
	return rc;
}

/* "name.a.b": the value under a saved variable, or NULL. */
static const jv_t *var_get(const struct flow_inst *fi, const char *path, size_t len)
{
	char buf[256], *seg, *save = NULL;
	const jv_t *v = NULL;
	unsigned int i;

	if (len >= sizeof(buf))
		return NULL;
	memcpy(buf, path, len);
	buf[len] = '\0';
	seg = strtok_r(buf, ".", &save);
	for (i = 0; seg && i < fi->n_vars; i++)
		if (!strcmp(fi->var_names[i], seg))
			v = fi->vars[i]->root;
	if (!v)
		return NULL;
	while (v && (seg = strtok_r(NULL, ".", &save))) {
		char *end;
		unsigned long idx = strtoul(seg, &end, 10);
		v = jv_is_array(v) && !*end ? jv_array_get(v, idx) : jv_object_get(v, seg);
	}
	return v;
}

/* Write template t with "${var.path}" replaced: a whole-string reference by the
 * value itself (any JSON type), one inside a longer string by its text. */
static int subst_write(struct flow_inst *fi, struct jw *w, const jv_t *t, char *err, size_t errsz)
{
	uint32_t i;

	if (jv_is_object(t)) {
		jw_obj_begin(w);
		for (i = 0; i < t->n; i++) {
			jw_key(w, t->u.items[i]->key);
			if (subst_write(fi, w, t->u.items[i], err, errsz))
				return -1;
		}
		jw_obj_end(w);
	} else if (jv_is_array(t)) {
		jw_arr_begin(w);
		for (i = 0; i < t->n; i++)
			if (subst_write(fi, w, t->u.items[i], err, errsz))
				return -1;
		jw_arr_end(w);
	} else if (jv_is_string(t) && strstr(t->u.s, "${")) {
		const char *s = t->u.s, *open, *close;
		char out[512];
		size_t n = 0;

		open = strstr(s, "${");
		close = open ? strchr(open, '}') : NULL;
		if (open == s && close && !close[1]) {
			const jv_t *v = var_get(fi, s + 2, (size_t)(close - s - 2));
			if (!v)
				return snprintf(err, errsz, "no value for %s", s), -1;
			jv_write(w, v);
			return 0;
		}
		while ((open = strstr(s, "${")) && (close = strchr(open, '}'))) {
			const jv_t *v = var_get(fi, open + 2, (size_t)(close - open - 2));
			char num[24];
			const char *txt = num;
			if (!v || !(jv_is_string(v) || jv_is_integer(v)))
				return snprintf(err, errsz, "no text value for %.*s", (int)(close - open + 1), open), -1;
			if (jv_is_string(v))
				txt = jv_string_value(v);
			else
				snprintf(num, sizeof(num), "%lld", jv_integer_value(v));
			n += (size_t)snprintf(out + n, n < sizeof(out) ? sizeof(out) - n : 0, "%.*s%s",
					      (int)(open - s), s, txt);
			s = close + 1;
		}
		n += (size_t)snprintf(out + n, n < sizeof(out) ? sizeof(out) - n : 0, "%s", s);
		if (n >= sizeof(out))
			return snprintf(err, errsz, "interpolated string too long"), -1;
		jw_str(w, out);
	} else {
		jv_write(w, t);
	}
	return 0;
}

/* --- runs ---------------------------------------------------------------- */

static void run_free(struct run *r)
{
	osmo_timer_del(&r->timer);
	if (r->hashed)
		hash_del(&r->node);
	llist_del(&r->list);
	r->sim->active--;
	if (r->responder)
		talloc_free(r->fi);	/* the responder's own variables */
	talloc_free(r);
}

static void abort_dialog(struct run *r)
{
	char json[80], err[128], dummy[16];
	int n;

	if (!r->open || !r->dialog[0])
		return;
	n = snprintf(json, sizeof(json), "{\"request\":\"u-abort\",\"dialog\":\"%s\"}", r->dialog);
	r->sim->io->request(r->sim->io->priv, json, (size_t)n, dummy, err, sizeof(err));
	r->open = false;
}

/* The run is over: tell its flow (which may start its next dialogue) and free it. */
static void run_done(struct run *r, bool ok, const char *why)
{
	struct sim *sim = r->sim;
	struct flow_inst *fi = r->fi;

	if (!ok) {
		trace(sim, "FAIL %s %s: %s", r->responder ? "responder" : "dialog",
		      r->dialog[0] ? r->dialog : "-", why);
		abort_dialog(r);
	}
	if (r->responder)
		ok ? sim->stats.served++ : sim->stats.dialogs_failed++;
	else
		ok ? sim->stats.dialogs_ok++ : sim->stats.dialogs_failed++;
	if (r->responder || !fi) {
		run_free(r);
		return;
	}
	run_free(r);
	if (!ok) {
		sim->stats.flows_failed++;
		if (fi->done)
			fi->done(fi->arg, false, why);
		talloc_free(fi);
		return;
	}
	flow_next(fi);
}

static void fail(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct run *r, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	run_done(r, false, why);
}

static void timer_cb(void *data)
{
	struct run *r = data;

	if (r->timer_is_wait) {
		r->stack[r->depth - 1].i++;
		run_continue(r);
		return;
	}
	fail(r, "timed out waiting for %s",
	     jv_string_value(jv_object_get(r->stack[r->depth - 1].steps->u.items[r->stack[r->depth - 1].i],
					   "expect")) ?: "an event");
}

static struct run *run_alloc(struct sim *sim, struct flow_inst *fi, const jv_t *spec, bool responder)
{
	struct run *r = talloc_zero(sim, struct run);
	const jv_t *script = jv_object_get(spec, "script");

	if (!r)
		return NULL;
	r->sim = sim;
	r->fi = fi;
	r->spec = spec;
	r->responder = responder;
	r->stack[0].steps = script;
	r->depth = 1;
	r->next_invoke_id = 1;
	osmo_timer_setup(&r->timer, timer_cb, r);
	llist_add_tail(&r->list, &sim->runs);
	sim->active++;
	if (jv_is_string(jv_object_get(spec, "ac")))
		snprintf(r->ac, sizeof(r->ac), "%s", jv_string_value(jv_object_get(spec, "ac")));
	return r;
}

static void run_set_dialog(struct run *r, const char *id)
{
	snprintf(r->dialog, sizeof(r->dialog), "%s", id);
	r->key = dialog_key(id);
	hash_add(r->sim->by_dialog, &r->node, r->key);
	r->hashed = true;
}

static struct run *run_find(struct sim *sim, const char *id)
{
	struct run *r;
	uint32_t key = dialog_key(id);

	hash_for_each_possible(sim->by_dialog, r, node, key)
		if (!strcmp(r->dialog, id))
			return r;
	return NULL;
}

static const jv_t *current_step(struct run *r)
{
	while (r->depth > 0) {
		const jv_t *steps = r->stack[r->depth - 1].steps;
		uint32_t i = r->stack[r->depth - 1].i;
		if (i < jv_array_size(steps))
			return jv_array_get(steps, i);
		if (--r->depth > 0)
			r->stack[r->depth - 1].i++;	/* past the switch that pushed these steps */
	}
	return NULL;
}

static void remember_invoke(struct run *r, const char *op, long id)
{
	unsigned int i = r->n_invokes < MAX_INVOKES ? r->n_invokes++ : MAX_INVOKES - 1;

	snprintf(r->invokes[i].op, sizeof(r->invokes[i].op), "%s", op ? op : "");
	r->invokes[i].id = id;
}

/* The invoke id an answer refers to: the latest received invoke of op, or the latest of all. */
static long answer_id(const struct run *r, const char *op)
{
	unsigned int i = r->n_invokes;

	while (i--)
		if (!op || !strcmp(r->invokes[i].op, op))
			return r->invokes[i].id;
	return -1;
}

/* --- sending ------------------------------------------------------------- */

/* One component of a send step, in the request form of docs/tc-json.md. */
static int write_component(struct run *r, struct jw *w, const jv_t *c, char *err, size_t errsz)
{
	const char *kinds[] = { "invoke", "result", "error", "reject" };
	const char *kind = NULL, *name;
	const jv_t *v;
	size_t k;
	long id;

	for (k = 0; k < ARRAY_SIZE(kinds) && !kind; k++)
		if (jv_object_get(c, kinds[k]))
			kind = kinds[k];
	if (!kind)
		return snprintf(err, errsz, "a component needs invoke, result, error or reject"), -1;
	name = jv_string_value(jv_object_get(c, kind));
	jw_obj_begin(w);
	jw_key(w, kind);
	jw_obj_begin(w);
	if (!strcmp(kind, "invoke")) {
		v = jv_object_get(c, "invokeId");
		jw_kint(w, "invokeId", jv_is_integer(v) ? jv_integer_value(v) : r->next_invoke_id++);
		if (name)
			jw_kstr(w, "operation", name);
		if ((v = jv_object_get(c, "linkedTo"))) {
			if ((id = answer_id(r, jv_string_value(v))) < 0)
				return snprintf(err, errsz, "linkedTo: no received invoke"), -1;
			jw_kint(w, "linkedId", id);
		}
		const char *copy[] = { "argument", "argumentHex", "class", "timeoutMs", "opcode" };
		for (k = 0; k < ARRAY_SIZE(copy); k++)
			if ((v = jv_object_get(c, copy[k]))) {
				jw_key(w, copy[k]);
				if (subst_write(r->fi, w, v, err, errsz))
					return -1;
			}
	} else {
		/* an answer: to the latest received invoke of the named operation
		 * ("to" for errors and rejects), or to the latest invoke of all */
		const char *to = !strcmp(kind, "result") ? name : jv_string_value(jv_object_get(c, "to"));
		v = jv_object_get(c, "invokeId");
		id = jv_is_integer(v) ? jv_integer_value(v) : answer_id(r, to);
		if (id < 0)
			return snprintf(err, errsz, "%s: no received invoke%s%s to answer", kind,
					to ? " of " : "", to ? to : ""), -1;
		jw_kint(w, "invokeId", id);
		if (!strcmp(kind, "result")) {
			if (name)
				jw_kstr(w, "operation", name);
			if ((v = jv_object_get(c, "value"))) {
				jw_key(w, "result");
				if (subst_write(r->fi, w, v, err, errsz))
					return -1;
			}
			if ((v = jv_object_get(c, "last")))
				jw_kbool(w, "last", jv_is_true(v));
		} else if (!strcmp(kind, "error")) {
			if (name)
				jw_kstr(w, "error", name);
			if ((v = jv_object_get(c, "parameter"))) {
				jw_key(w, "parameter");
				if (subst_write(r->fi, w, v, err, errsz))
					return -1;
			}
		} else {
			jw_kstr(w, "problem", jv_string_value(jv_object_get(c, "problem")) ?: "invoke");
			jw_kstr(w, "code", name ? name : "mistypedParameter");
		}
	}
	jw_obj_end(w);
	jw_obj_end(w);
	return 0;
}

/* Carry out a send step; returns 0 or -1 (the run has failed). */
static int do_send(struct run *r, const jv_t *step)
{
	static const char *const options[] = { "ac", "called", "calling", "prearranged", "refuse", "userInfo" };
	struct sim *sim = r->sim;
	struct jw *w = &sim->w;
	const char *what = jv_string_value(jv_object_get(step, "send"));
	const jv_t *comps = jv_object_get(step, "components"), *v;
	bool begin = what && (!strcmp(what, "begin") || !strcmp(what, "uni"));
	char err[256] = "", dialog[16] = "";
	size_t k;

	if (!what)
		return fail(r, "send: needs a request type"), -1;
	jw_reset(w);
	jw_obj_begin(w);
	jw_kstr(w, "request", what);
	if (!begin)
		jw_kstr(w, "dialog", r->dialog);
	for (k = 0; k < ARRAY_SIZE(options); k++) {
		v = jv_object_get(step, options[k]);
		if (!v && begin)
			v = jv_object_get(r->spec, options[k]);	/* the dialogue's defaults */
		if (!strcmp(options[k], "ac") && begin && r->ac[0]) {
			jw_kstr(w, "ac", r->ac);	/* may be a fallback's */
			continue;
		}
		if (!v)
			continue;
		jw_key(w, options[k]);
		if (subst_write(r->fi, w, v, err, sizeof(err)))
			return fail(r, "send %s: %s", what, err), -1;
	}
	jw_key(w, "components");
	jw_arr_begin(w);
	for (k = 0; k < jv_array_size(comps); k++)
		if (write_component(r, w, jv_array_get(comps, k), err, sizeof(err)))
			return fail(r, "send %s: %s", what, err), -1;
	jw_arr_end(w);
	jw_obj_end(w);
	if (!jw_ok(w))
		return fail(r, "send %s: out of memory", what), -1;
	trace(sim, "%s > %s", r->dialog[0] ? r->dialog : "new", jw_cstr(w));
	if (sim->io->request(sim->io->priv, jw_cstr(w), w->len, dialog, err, sizeof(err))) {
		sim->stats.requests_refused++;
		return fail(r, "request %s refused: %s", what, err), -1;
	}
	if (begin) {
		if (!strcmp(what, "begin"))
			sim->stats.dialogs_started++;
		run_set_dialog(r, dialog);
		r->open = !strcmp(what, "begin");
	} else if (!strcmp(what, "end") || !strcmp(what, "u-abort")) {
		r->open = false;
	}
	return 0;
}

/* Run send, wait and switch steps until an expect step (or the end of the script). */
static void run_continue(struct run *r)
{
	const jv_t *step;

	osmo_timer_del(&r->timer);
	while ((step = current_step(r))) {
		const jv_t *v;
		if (jv_object_get(step, "expect")) {
			v = jv_object_get(step, "timeoutMs");
			r->timer_is_wait = false;
			schedule_ms(&r->timer, jv_is_integer(v) ? jv_integer_value(v) : DEFAULT_EXPECT_MS);
			return;
		}
		if ((v = jv_object_get(step, "wait"))) {
			r->timer_is_wait = true;
			schedule_ms(&r->timer, jv_integer_value(v));
			return;
		}
		if ((v = jv_object_get(step, "switch"))) {
			/* "switch": "${var}", "cases": {"1": [steps]}, "default": [steps] */
			struct jw w;
			char err[128];
			const jv_t *steps;
			jw_init(&w);
			if (subst_write(r->fi, &w, v, err, sizeof(err))) {
				jw_free(&w);
				return fail(r, "switch: %s", err);
			}
			{
				struct jv_doc d;
				jv_doc_init(&d);
				jv_parse(&d, jw_cstr(&w), w.len, err, sizeof(err));
				steps = jv_object_get(jv_object_get(step, "cases"),
						      jv_string_value(d.root) ?: "");
				jv_doc_free(&d);
			}
			jw_free(&w);
			if (!steps)
				steps = jv_object_get(step, "default");
			if (!jv_is_array(steps) || r->depth == MAX_DEPTH) {
				r->stack[r->depth - 1].i++;
				continue;	/* no case: nothing to do */
			}
			r->stack[r->depth].steps = steps;
			r->stack[r->depth].i = 0;
			r->depth++;
			continue;
		}
		if (do_send(r, step))
			return;		/* failed and freed */
		r->stack[r->depth - 1].i++;
	}
	if (r->open)
		return fail(r, "script ended with the dialogue open");
	run_done(r, true, NULL);
}

/* --- receiving ----------------------------------------------------------- */

/* Every member of want is in have with an equal value (objects compared the same way). */
static bool subset(const jv_t *want, const jv_t *have)
{
	uint32_t i;

	if (!want || !have)
		return want == have;
	if (jv_is_object(want)) {
		if (!jv_is_object(have))
			return false;
		for (i = 0; i < want->n; i++)
			if (!subset(want->u.items[i], jv_object_get(have, want->u.items[i]->key)))
				return false;
		return true;
	}
	if (jv_is_array(want)) {
		if (!jv_is_array(have) || want->n != have->n)
			return false;
		for (i = 0; i < want->n; i++)
			if (!subset(want->u.items[i], have->u.items[i]))
				return false;
		return true;
	}
	if (want->type != have->type)
		return false;
	switch (want->type) {
	case JV_INTEGER:
		return want->u.i == have->u.i;
	case JV_REAL:
		return want->u.d == have->u.d;
	case JV_STRING:
		return want->n == have->n && !memcmp(want->u.s, have->u.s, want->n);
	default:
		return true;
	}
}

static bool type_matches(const jv_t *want, const char *type)
{
	size_t i;

	if (jv_is_string(want))
		return !strcmp(jv_string_value(want), type);
	for (i = 0; i < jv_array_size(want); i++)
		if (jv_is_string(jv_array_get(want, i)) && !strcmp(jv_string_value(jv_array_get(want, i)), type))
			return true;
	return false;
}

/* The name a received component carries: operation, error or reject code. */
static const char *component_name(const jv_t *body)
{
	return jv_string_value(jv_object_get(body, "operation")) ?:
	       jv_string_value(jv_object_get(body, "error")) ?:
	       jv_string_value(jv_object_get(body, "code"));
}

/* Check an expect step against the event; remember its invokes; save what it names. */
static int match_expect(struct run *r, const jv_t *step, const char *type, const jv_t *ev,
			char *why, size_t whysz)
{
	const jv_t *want = jv_object_get(step, "components"), *comps = jv_object_get(ev, "components");
	bool partial = jv_is_true(jv_object_get(step, "partial"));
	size_t i;

	if (!type_matches(jv_object_get(step, "expect"), type))
		return snprintf(why, whysz, "expected %s, got %s", jv_string_value(jv_object_get(step, "expect"))
				?: "another event", type), -1;
	if (jv_object_get(step, "match") && !subset(jv_object_get(step, "match"), ev))
		return snprintf(why, whysz, "%s does not match", type), -1;
	if (want && (partial ? jv_array_size(comps) < jv_array_size(want) : jv_array_size(comps) != jv_array_size(want)))
		return snprintf(why, whysz, "%s: %zu components, expected %zu", type,
				jv_array_size(comps), jv_array_size(want)), -1;
	for (i = 0; i < jv_array_size(want); i++) {
		const jv_t *w = jv_array_get(want, i), *c = jv_array_get(comps, i);
		const jv_t *body = c && c->n == 1 ? c->u.items[0] : NULL;
		const char *kind = body ? body->key : "?";
		const jv_t *wname = jv_object_get(w, kind);
		const char *name = body ? component_name(body) : NULL;
		if (!wname)
			return snprintf(why, whysz, "component %zu is a %s", i, kind), -1;
		if (jv_is_string(wname) && strcmp(jv_string_value(wname), "*") &&
		    (!name || strcmp(name, jv_string_value(wname))))
			return snprintf(why, whysz, "component %zu: %s %s, expected %s", i, kind,
					name ? name : "?", jv_string_value(wname)), -1;
		if (jv_object_get(w, "match") && !subset(jv_object_get(w, "match"), body))
			return snprintf(why, whysz, "component %zu (%s %s) does not match", i, kind,
					name ? name : "?"), -1;
		if (jv_is_string(jv_object_get(w, "save")) &&
		    var_set(r->fi, jv_string_value(jv_object_get(w, "save")), body))
			return snprintf(why, whysz, "cannot save %s", jv_string_value(jv_object_get(w, "save"))), -1;
	}
	if (jv_is_string(jv_object_get(step, "save")) && var_set(r->fi, jv_string_value(jv_object_get(step, "save")), ev))
		return snprintf(why, whysz, "cannot save the event"), -1;
	return 0;
}

static void remember_invokes(struct run *r, const jv_t *ev)
{
	const jv_t *comps = jv_object_get(ev, "components");
	size_t i;

	for (i = 0; i < jv_array_size(comps); i++) {
		const jv_t *inv = jv_object_get(jv_array_get(comps, i), "invoke");
		if (inv)
			remember_invoke(r, jv_string_value(jv_object_get(inv, "operation")),
					(long)jv_integer_value(jv_object_get(inv, "invokeId")));
	}
}

static bool closes(const char *type)
{
	return !strcmp(type, "end") || !strcmp(type, "u-abort") || !strcmp(type, "p-abort");
}

/* A refusal with the AC the peer supports: begin again with it, when the dialogue allows. */
static bool try_fallback(struct run *r, const char *type, const jv_t *ev)
{
	const char *offered = jv_string_value(jv_object_get(ev, "acOffered"));

	if (r->responder || strcmp(type, "u-abort") || !jv_is_true(jv_object_get(r->spec, "fallback")) ||
	    strcmp(jv_string_value(jv_object_get(ev, "reason")) ?: "", "ac-not-supported") ||
	    !offered || r->fallbacks == MAX_FALLBACKS)
		return false;
	trace(r->sim, "%s fallback from %s to %s", r->dialog, r->ac, offered);
	r->sim->stats.fallbacks++;
	r->fallbacks++;
	snprintf(r->ac, sizeof(r->ac), "%s", offered);
	if (r->hashed)
		hash_del(&r->node);
	r->hashed = false;
	r->dialog[0] = '\0';
	r->open = false;
	r->depth = 1;
	r->stack[0].i = 0;
	r->n_invokes = 0;
	r->next_invoke_id = 1;
	run_continue(r);
	return true;
}

static void run_event(struct run *r, const char *type, const jv_t *ev)
{
	const jv_t *step = current_step(r);
	char why[256];

	if (closes(type))
		r->open = false;
	if (try_fallback(r, type, ev))
		return;
	if (!step || !jv_object_get(step, "expect"))
		return fail(r, "unexpected %s", type);
	remember_invokes(r, ev);
	if (match_expect(r, step, type, ev, why, sizeof(why)))
		return fail(r, "%s", why);
	r->stack[r->depth - 1].i++;
	run_continue(r);
}

/* A begin no run waits for: the first responder whose "on" names its first operation
 * (and whose "ssn", if given, is the called SSN). */
static const jv_t *find_responder(struct sim *sim, const jv_t *ev)
{
	const jv_t *first = jv_object_get(jv_array_get(jv_object_get(ev, "components"), 0), "invoke");
	const char *op = jv_string_value(jv_object_get(first, "operation"));
	const jv_t *ssn = jv_object_get(jv_object_get(ev, "called"), "ssn");
	size_t i;

	for (i = 0; i < jv_array_size(sim->responders); i++) {
		const jv_t *resp = jv_array_get(sim->responders, i);
		const jv_t *on = jv_object_get(resp, "on"), *rssn = jv_object_get(resp, "ssn");
		if (jv_is_string(on) && (!op || strcmp(op, jv_string_value(on))))
			continue;
		if (rssn && (!jv_is_integer(ssn) || jv_integer_value(ssn) != jv_integer_value(rssn)))
			continue;
		return resp;
	}
	return NULL;
}

/* The responder supports only some versions: refuse others, naming the highest it has. */
static bool refuse_version(struct sim *sim, const jv_t *resp, const jv_t *ev, const char *dialog)
{
	const jv_t *versions = jv_object_get(resp, "acVersions");
	const char *acname = jv_string_value(jv_object_get(ev, "ac"));
	struct ss7_codec_ac ac, offer;
	long have = jv_integer_value(jv_object_get(ev, "version")), best = 0;
	char json[256], err[128], dummy[16];
	size_t i;
	int n;

	if (!jv_is_array(versions) || !acname)
		return false;
	for (i = 0; i < jv_array_size(versions); i++) {
		long v = (long)jv_integer_value(jv_array_get(versions, i));
		if (v == have)
			return false;
		if (v > best)
			best = v;
	}
	if (ss7_codec_ac_by_name(acname, (int)have, &ac) || ss7_codec_ac_version(&ac, (int)best, &offer))
		return false;
	n = snprintf(json, sizeof(json), "{\"request\":\"u-abort\",\"dialog\":\"%s\",\"refuse\":{\"ac\":\"%s\"}}",
		     dialog, offer.name);
	trace(sim, "%s > %s", dialog, json);
	if (sim->io->request(sim->io->priv, json, (size_t)n, dummy, err, sizeof(err)))
		sim->stats.requests_refused++;
	sim->stats.refused++;
	return true;
}

/* A begin no responder takes is ended at once, as a node without the service would:
 * each invoke rejected as an unrecognized operation; the Rejects TCAP itself queued for
 * broken components (TC-L-REJECT) go out with the same End. */
static void end_unmatched(struct sim *sim, const jv_t *ev, const char *dialog)
{
	const jv_t *comps = jv_object_get(ev, "components");
	struct jw *w = &sim->w;
	char err[128], dummy[16];
	size_t i;

	jw_reset(w);
	jw_obj_begin(w);
	jw_kstr(w, "request", "end");
	jw_kstr(w, "dialog", dialog);
	jw_key(w, "components");
	jw_arr_begin(w);
	for (i = 0; i < jv_array_size(comps); i++) {
		const jv_t *inv = jv_object_get(jv_array_get(comps, i), "invoke");
		if (!inv)
			continue;
		jw_obj_begin(w);
		jw_key(w, "reject");
		jw_obj_begin(w);
		jw_kint(w, "invokeId", jv_integer_value(jv_object_get(inv, "invokeId")));
		jw_kstr(w, "problem", "invoke");
		jw_kstr(w, "code", "unrecognizedOperation");
		jw_obj_end(w);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_obj_end(w);
	trace(sim, "%s > %s (no responder)", dialog, jw_cstr(w));
	if (sim->io->request(sim->io->priv, jw_cstr(w), w->len, dummy, err, sizeof(err)))
		sim->stats.requests_refused++;
}

static void handle_event(struct sim *sim, const jv_t *ev, const char *json, size_t len)
{
	const char *type, *dialog;
	const jv_t *resp;
	struct run *r;

	type = jv_string_value(jv_object_get(ev, "event"));
	dialog = jv_string_value(jv_object_get(ev, "dialog"));
	trace(sim, "%s < %.*s", dialog ? dialog : "-", (int)len, json);
	if (!type || !dialog) {
		sim->stats.unmatched++;
		return;
	}
	if ((r = run_find(sim, dialog))) {
		run_event(r, type, ev);
		return;
	}
	if (strcmp(type, "begin")) {
		sim->stats.unmatched++;
		return;
	}
	if (!(resp = find_responder(sim, ev))) {
		sim->stats.unmatched++;
		end_unmatched(sim, ev, dialog);
		return;
	}
	if (refuse_version(sim, resp, ev, dialog))
		return;
	struct flow_inst *fi = talloc_zero(sim, struct flow_inst);
	if (!fi || !(r = run_alloc(sim, fi, resp, true))) {
		talloc_free(fi);
		sim->stats.unmatched++;
		return;
	}
	run_set_dialog(r, dialog);
	r->open = true;
	remember_invokes(r, ev);
	/* a script may check the begin itself with a first expect step */
	{
		const jv_t *first = current_step(r);
		char why[256];
		if (first && type_matches(jv_object_get(first, "expect"), "begin")) {
			if (match_expect(r, first, type, ev, why, sizeof(why)))
				return fail(r, "%s", why);
			r->stack[0].i++;
		}
	}
	run_continue(r);
}

void sim_event(struct sim *sim, const char *json, size_t len)
{
	struct jv_doc *d;
	char err[128];

	if (sim->ev_depth == (int)ARRAY_SIZE(sim->ev)) {
		trace(sim, "events nested too deep: dropped");
		sim->stats.unmatched++;
		return;
	}
	d = &sim->ev[sim->ev_depth++];
	if (jv_parse(d, json, len, err, sizeof(err))) {
		trace(sim, "bad event: %s", err);
		sim->stats.unmatched++;
	} else {
		handle_event(sim, d->root, json, len);
	}
	sim->ev_depth--;
}

/* --- flows --------------------------------------------------------------- */

static void flow_next(struct flow_inst *fi)
{
	struct sim *sim = fi->sim;
	const jv_t *dialogs = jv_object_get(fi->flow, "dialogs");
	const jv_t *spec = jv_array_get(dialogs, fi->next_dialog);
	struct run *r;

	if (!spec) {
		sim->stats.flows_ok++;
		if (fi->done)
			fi->done(fi->arg, true, NULL);
		talloc_free(fi);
		return;
	}
	fi->next_dialog++;
	r = run_alloc(sim, fi, spec, false);
	if (!r) {
		sim->stats.flows_failed++;
		if (fi->done)
			fi->done(fi->arg, false, "out of memory");
		talloc_free(fi);
		return;
	}
	run_continue(r);
}

int sim_flow_start(struct sim *sim, const char *name, sim_flow_done_cb done, void *arg)
{
	struct flow_inst *fi;
	const jv_t *flow = NULL;
	size_t i;

	for (i = 0; i < jv_array_size(sim->flows) && !flow; i++)
		if (!strcmp(jv_string_value(jv_object_get(jv_array_get(sim->flows, i), "name")) ?: "", name))
			flow = jv_array_get(sim->flows, i);
	if (!flow)
		return -ENOENT;
	fi = talloc_zero(sim, struct flow_inst);
	if (!fi)
		return -ENOMEM;
	fi->sim = sim;
	fi->flow = flow;
	fi->done = done;
	fi->arg = arg;
	sim->stats.flows_started++;
	flow_next(fi);
	return 0;
}

/* --- the engine ---------------------------------------------------------- */

/* Check the shape of every script once, so a typo fails at load, not mid-run. */
static int check_script(const jv_t *script, const char *where, char *err, size_t errsz)
{
	static const char *const actions[] = { "send", "expect", "wait", "switch" };
	size_t i, k, n;

	if (!jv_is_array(script) || !jv_array_size(script))
		return snprintf(err, errsz, "%s: \"script\" must be a non-empty list", where), -1;
	for (i = 0; i < jv_array_size(script); i++) {
		const jv_t *step = jv_array_get(script, i), *cases, *c;
		for (k = n = 0; k < ARRAY_SIZE(actions); k++)
			n += jv_object_get(step, actions[k]) != NULL;
		if (!jv_is_object(step) || n != 1)
			return snprintf(err, errsz, "%s step %zu: needs exactly one of send, expect, wait, switch",
					where, i + 1), -1;
		if ((cases = jv_object_get(step, "cases"))) {
			jv_object_foreach(cases, k, c)
				if (check_script(c, where, err, errsz))
					return -1;
		}
		if ((c = jv_object_get(step, "default")) && check_script(c, where, err, errsz))
			return -1;
	}
	return 0;
}

int sim_load(struct sim *sim, const char *json, size_t len, char *err, size_t errsz)
{
	const jv_t *root, *flows, *resps;
	char where[96];
	size_t i, j;

	if (sim->active)
		return snprintf(err, errsz, "dialogues in progress"), -1;
	if (jv_parse(&sim->scenario, json, len, err, errsz))
		return -1;
	root = sim->scenario.root;
	flows = jv_object_get(root, "flows");
	resps = jv_object_get(root, "responders");
	if (!jv_is_object(root) || (flows && !jv_is_array(flows)) || (resps && !jv_is_array(resps)))
		return snprintf(err, errsz, "a scenario is an object with \"flows\" and/or \"responders\" lists"), -1;
	for (i = 0; i < jv_array_size(resps); i++) {
		const jv_t *r = jv_array_get(resps, i);
		snprintf(where, sizeof(where), "responder %s", jv_string_value(jv_object_get(r, "name")) ?: "?");
		if (check_script(jv_object_get(r, "script"), where, err, errsz))
			return -1;
	}
	for (i = 0; i < jv_array_size(flows); i++) {
		const jv_t *f = jv_array_get(flows, i), *dialogs = jv_object_get(f, "dialogs");
		if (!jv_is_string(jv_object_get(f, "name")))
			return snprintf(err, errsz, "flow %zu has no name", i + 1), -1;
		if (!jv_is_array(dialogs) || !jv_array_size(dialogs))
			return snprintf(err, errsz, "flow %s: \"dialogs\" must be a non-empty list",
					jv_string_value(jv_object_get(f, "name"))), -1;
		for (j = 0; j < jv_array_size(dialogs); j++) {
			snprintf(where, sizeof(where), "flow %s dialog %zu",
				 jv_string_value(jv_object_get(f, "name")), j + 1);
			if (check_script(jv_object_get(jv_array_get(dialogs, j), "script"), where, err, errsz))
				return -1;
		}
	}
	sim->flows = flows;
	sim->responders = resps;
	return 0;
}

const char *sim_flow_name(const struct sim *sim, unsigned int i)
{
	return jv_string_value(jv_object_get(jv_array_get(sim->flows, i), "name"));
}

static int sim_free(struct sim *sim)
{
	size_t i;

	jv_doc_free(&sim->scenario);
	for (i = 0; i < ARRAY_SIZE(sim->ev); i++)
		jv_doc_free(&sim->ev[i]);
	jw_free(&sim->w);
	return 0;
}

struct sim *sim_create(void *ctx, const struct sim_io *io)
{
	struct sim *sim = talloc_zero(ctx, struct sim);

	if (!sim)
		return NULL;
	sim->io = io;
	hash_init(sim->by_dialog);
	INIT_LLIST_HEAD(&sim->runs);
	jv_doc_init(&sim->scenario);
	for (size_t i = 0; i < ARRAY_SIZE(sim->ev); i++)
		jv_doc_init(&sim->ev[i]);
	jw_init(&sim->w);
	talloc_set_destructor(sim, sim_free);
	return sim;
}

void sim_destroy(struct sim *sim)
{
	struct run *r, *tmp;

	llist_for_each_entry_safe(r, tmp, &sim->runs, list)
		run_free(r);
	talloc_free(sim);
}

unsigned int sim_active(const struct sim *sim)
{
	return sim->active;
}

const struct sim_stats *sim_stats(const struct sim *sim)
{
	return &sim->stats;
}

void sim_set_trace(struct sim *sim, void *file)
{
	sim->trace = file;
}
