/*
 * nats_kv: JetStream Key-Value writes and reads as plain messages with a reply on the bus's
 * inbox (see nats_kv.h). A JetStream publish is a request whose answer is the PubAck JSON,
 * so a put is a record in the publish ring plus a slot in a window of operations in flight;
 * the answer finds its slot by the sequence number in its reply subject (<inbox>.K<seq>).
 *
 * Why not js_PublishAsync(): it blocks the caller up to StallWait once MaxPending
 * acknowledgements are outstanding, hands its callback only the natsMsg (our token would
 * need a second map keyed by pointer), and allocates a message, a hash entry and, with a
 * timeout, a timer entry per put. Here the window is an array indexed by sequence, no
 * allocation once a slot's buffer has grown, and timeouts are one scan of the window in a
 * main-thread timer. bench_nats compares the two rates.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/logging.h>
#include <osmocom/core/rate_ctr.h>
#include <osmocom/core/stats.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>
#include <osmocom/vty/misc.h>
#include <osmocom/vty/vty.h>

#include "nats_bus_priv.h"
#include "nats_kv.h"

enum {
	TICK_MS = 50,		/* timeouts and retries are looked at this often */
	MAX_KEY = 256,
};

static const struct rate_ctr_desc kv_ctr_desc[] = {
	[NATS_KV_CTR_PUTS] = { "put:sent", "Puts sent (all kinds)" },
	[NATS_KV_CTR_CREATES] = { "put:create", "Create-only puts" },
	[NATS_KV_CTR_UPDATES] = { "put:cas", "Compare-and-set puts" },
	[NATS_KV_CTR_DELETES] = { "del:sent", "Deletes sent" },
	[NATS_KV_CTR_GETS] = { "get:sent", "Gets sent" },
	[NATS_KV_CTR_ACK_OK] = { "ack:ok", "Writes acknowledged" },
	[NATS_KV_CTR_EXISTS] = { "ack:exists", "Create-only refused: key exists" },
	[NATS_KV_CTR_STALE] = { "ack:stale", "Compare-and-set refused: other revision" },
	[NATS_KV_CTR_NOT_FOUND] = { "get:not-found", "Gets of absent or deleted keys" },
	[NATS_KV_CTR_TIMEOUTS] = { "timeouts", "No answer within the timeout" },
	[NATS_KV_CTR_ERRORS] = { "errors", "Refused by JetStream or no responders" },
	[NATS_KV_CTR_RETRIES] = { "retries", "Re-sent after no responders" },
	[NATS_KV_CTR_DROP_FULL] = { "drop:full", "Refused: max-pending or publish buffer" },
	[NATS_KV_CTR_NOTCONN] = { "drop:notconn", "Refused: not connected" },
	[NATS_KV_CTR_LATE] = { "late", "Answers after their timeout" },
};

static const struct rate_ctr_group_desc kv_ctrg_desc = {
	.group_name_prefix = "nats_kv",
	.group_description = "NATS JetStream Key-Value bucket",
	.class_id = OSMO_STATS_CLASS_GLOBAL,
	.num_ctr = ARRAY_SIZE(kv_ctr_desc),
	.ctr_desc = kv_ctr_desc,
};

enum kv_op { OP_PUT, OP_DEL, OP_GET };

enum kv_state {
	ST_FREE,
	ST_SENT,		/* waiting for the answer */
	ST_RETRY,		/* "no responders": sent again at retry_at */
};

struct kv_slot {
	uint64_t seq;
	uint64_t token;
	uint64_t expect;	/* put: 0, NATS_KV_CREATE or a revision */
	uint64_t cas_rev;	/* create over a delete marker: compare-and-set on it */
	int64_t deadline_ms;
	int64_t retry_at_ms;
	enum kv_op op;
	enum kv_state state;
	unsigned int retries_left;
	bool checking;		/* a create-only put was refused: is the key only a delete marker? */
	bool over_marker;	/* the create was re-sent over a delete marker */
	char *buf;		/* key\0 value, kept for retries; grows, is reused */
	size_t buf_size, key_len, len;
};

struct nats_kv {
	struct nats_bus *b;
	struct nats_kv_cfg cfg;
	jsCtx *js;
	kvStore *kvs;
	char stream[80];
	char subj_pre[80];	/* $KV.<bucket>. */
	char get_pre[200];	/* $JS.API.DIRECT.GET.KV_<bucket>.$KV.<bucket>. */
	struct kv_slot *win;
	unsigned int cap;
	uint64_t head, next;	/* sequence numbers: [head, next) may be in flight */
	unsigned int pending;
	struct osmo_timer_list tick;
	struct rate_ctr_group *ctrs;
};

void nats_kv_cfg_init(struct nats_kv_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	OSMO_STRLCPY_ARRAY(cfg->bucket, "ss7gw_dialogs");
	cfg->ttl_s = 3600;
	cfg->storage = NATS_KV_FILE;
	cfg->replicas = 1;
	cfg->history = 1;
	cfg->max_pending = 10000;
	cfg->timeout_ms = 2000;
	cfg->retries = 3;
	cfg->retry_wait_ms = 250;
}

/* the rules of nats.c's validKey() */
static bool key_ok(const char *k)
{
	size_t i, n = strlen(k);

	if (!n || n > MAX_KEY || k[0] == '.' || k[n - 1] == '.')
		return false;
	for (i = 0; i < n; i++) {
		char c = k[i];

		if (c == '.' && k[i - 1] == '.')
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
		      || strchr("-_=/\\.", c)))
			return false;
	}
	return true;
}

static bool bucket_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (!n || n >= sizeof(((struct nats_kv_cfg *)0)->bucket))
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* --- the window ---------------------------------------------------------------------- */

static void schedule_tick(struct nats_kv *kv)
{
	if (kv->pending && !osmo_timer_pending(&kv->tick))
		osmo_timer_schedule(&kv->tick, 0, TICK_MS * 1000);
}

static void advance_head(struct nats_kv *kv)
{
	while (kv->head < kv->next && kv->win[kv->head % kv->cap].state == ST_FREE)
		kv->head++;
}

static int send_slot(struct nats_kv *kv, struct kv_slot *sl)
{
	char subj[512], reply[96], rev[24];
	struct nats_hdr hdr;
	unsigned int n_hdrs = 0;
	const char *pre = sl->op == OP_GET || sl->checking ? kv->get_pre : kv->subj_pre;
	const void *data = sl->buf + sl->key_len + 1;
	size_t len = sl->len;

	snprintf(subj, sizeof(subj), "%s%s", pre, sl->buf);
	snprintf(reply, sizeof(reply), "%s.K%" PRIu64, kv->b->inbox, sl->seq);
	if (sl->op == OP_DEL) {
		hdr = (struct nats_hdr){ "KV-Operation", "DEL" };
		n_hdrs = 1;
		len = 0;
	} else if (sl->op == OP_PUT && !sl->checking && sl->expect) {
		if (sl->expect == NATS_KV_CREATE)
			snprintf(rev, sizeof(rev), "%" PRIu64, sl->over_marker ? sl->cas_rev : 0);
		else
			snprintf(rev, sizeof(rev), "%" PRIu64, sl->expect);
		hdr = (struct nats_hdr){ "Nats-Expected-Last-Subject-Sequence", rev };
		n_hdrs = 1;
	}
	if (sl->op == OP_GET || sl->checking)
		len = 0;
	sl->deadline_ms = nats_now_ms() + kv->cfg.timeout_ms;
	return nats_bus_send(kv->b, subj, reply, n_hdrs ? &hdr : NULL, n_hdrs, data, len);
}

static int start(struct nats_kv *kv, enum kv_op op, const char *key, const void *data, size_t len,
		 uint64_t expect, uint64_t token)
{
	size_t key_len = strlen(key);
	struct kv_slot *sl;
	int rc;

	if (!key_ok(key))
		return -EINVAL;
	if (!nats_bus_connected(kv->b)) {
		rate_ctr_inc2(kv->ctrs, NATS_KV_CTR_NOTCONN);
		return -ENOTCONN;
	}
	if (kv->next - kv->head >= kv->cap) {
		rate_ctr_inc2(kv->ctrs, NATS_KV_CTR_DROP_FULL);
		return -ENOBUFS;
	}
	sl = &kv->win[kv->next % kv->cap];
	if (sl->buf_size < key_len + 1 + len) {
		char *nb = talloc_realloc_size(kv, sl->buf, key_len + 1 + len);

		if (!nb)
			return -ENOMEM;
		sl->buf = nb;
		sl->buf_size = key_len + 1 + len;
	}
	memcpy(sl->buf, key, key_len + 1);
	if (len)
		memcpy(sl->buf + key_len + 1, data, len);
	sl->key_len = key_len;
	sl->len = len;
	sl->seq = kv->next;
	sl->token = token;
	sl->op = op;
	sl->expect = expect;
	sl->over_marker = false;
	sl->checking = false;
	sl->retries_left = kv->cfg.retries;
	sl->state = ST_SENT;
	rc = send_slot(kv, sl);
	if (rc < 0) {
		sl->state = ST_FREE;
		if (rc == -ENOBUFS)
			rate_ctr_inc2(kv->ctrs, NATS_KV_CTR_DROP_FULL);
		return rc;
	}
	kv->next++;
	kv->pending++;
	schedule_tick(kv);
	switch (op) {
	case OP_PUT:
		rate_ctr_inc2(kv->ctrs, NATS_KV_CTR_PUTS);
		if (expect == NATS_KV_CREATE)
			rate_ctr_inc2(kv->ctrs, NATS_KV_CTR_CREATES);
		else if (expect)
			rate_ctr_inc2(kv->ctrs, NATS_KV_CTR_UPDATES);
		break;
	case OP_DEL:
		rate_ctr_inc2(kv->ctrs, NATS_KV_CTR_DELETES);
		break;
	case OP_GET:
		rate_ctr_inc2(kv->ctrs, NATS_KV_CTR_GETS);
		break;
	}
	return 0;
}

/* The slot is done: free it, then tell the user (who may start new operations). */
static void finish(struct nats_kv *kv, struct kv_slot *sl, int status, uint64_t rev, const void *data,
		   size_t len)
{
	const struct nats_bus_ops *ops = kv->b->ops;
	uint64_t token = sl->token;
	enum kv_op op = sl->op;

	sl->state = ST_FREE;
	kv->pending--;
	advance_head(kv);
	switch (status) {
	case 0:
		if (op != OP_GET)
			rate_ctr_inc2(kv->ctrs, NATS_KV_CTR_ACK_OK);
		break;
	case -EEXIST:
		rate_ctr_inc2(kv->ctrs, NATS_KV_CTR_EXISTS);
		break;
	case -ESTALE:
		rate_ctr_inc2(kv->ctrs, NATS_KV_CTR_STALE);
		break;
	case -ENOENT:
		rate_ctr_inc2(kv->ctrs, NATS_KV_CTR_NOT_FOUND);
		break;
	case -ETIMEDOUT:
		rate_ctr_inc2(kv->ctrs, NATS_KV_CTR_TIMEOUTS);
		break;
	default:
		rate_ctr_inc2(kv->ctrs, NATS_KV_CTR_ERRORS);
		break;
	}
	if (op == OP_GET) {
		if (ops->kv_value)
			ops->kv_value(kv->b->priv, token, status, data, len, rev);
	} else if (ops->kv_ack) {
		ops->kv_ack(kv->b->priv, token, status, rev);
	}
}

static void tick_cb(void *data)
{
	struct nats_kv *kv = data;
	int64_t now = nats_now_ms();
	uint64_t seq, end = kv->next;

	for (seq = kv->head; seq < end; seq++) {
		struct kv_slot *sl = &kv->win[seq % kv->cap];

		if (sl->state == ST_FREE || sl->seq != seq)
			continue;
		if (now >= sl->deadline_ms) {
			finish(kv, sl, -ETIMEDOUT, 0, NULL, 0);
		} else if (sl->state == ST_RETRY && now >= sl->retry_at_ms) {
			sl->state = ST_SENT;
			if (send_slot(kv, sl) < 0) {
				/* the buffer is full or we are disconnected: until the deadline */
				sl->state = ST_RETRY;
				sl->retry_at_ms = now + TICK_MS;
			} else {
				rate_ctr_inc2(kv->ctrs, NATS_KV_CTR_RETRIES);
			}
		}
	}
	advance_head(kv);
	schedule_tick(kv);
}

/* --- answers ------------------------------------------------------------------------- */

/* The PubAck: {"stream":"KV_b","seq":5} or {"error":{"code":400,"err_code":10071,
 * "description":"wrong last sequence: 4"}}. Returns the revision, or 0 with *err_code
 * set (-1: not a PubAck). */
static uint64_t parse_puback(const char *j, size_t len, long *err_code, char *desc, size_t descsz)
{
	char buf[512];
	const char *p;

	*err_code = 0;
	desc[0] = '\0';
	if (len >= sizeof(buf))
		len = sizeof(buf) - 1;
	memcpy(buf, j, len);
	buf[len] = '\0';
	if (strstr(buf, "\"error\"")) {
		*err_code = -1;
		if ((p = strstr(buf, "\"err_code\":")))
			*err_code = strtol(p + 11, NULL, 10);
		if ((p = strstr(buf, "\"description\":\""))) {
			size_t n = strcspn(p + 15, "\"");

			snprintf(desc, descsz, "%.*s", (int)n, p + 15);
		}
		return 0;
	}
	if ((p = strstr(buf, "\"seq\":")))
		return strtoull(p + 6, NULL, 10);
	*err_code = -1;
	snprintf(desc, descsz, "not a JetStream acknowledgement");
	return 0;
}

static void on_ack(struct nats_kv *kv, struct kv_slot *sl, natsMsg *m)
{
	char desc[200];
	long code;
	uint64_t rev = parse_puback(natsMsg_GetData(m), natsMsg_GetDataLength(m), &code, desc, sizeof(desc));

	if (!code) {
		finish(kv, sl, 0, rev, NULL, 0);
		return;
	}
	if (code == JSStreamWrongLastSequenceErr && sl->op == OP_PUT) {
		if (sl->expect != NATS_KV_CREATE) {
			finish(kv, sl, -ESTALE, 0, NULL, 0);
		} else if (!sl->over_marker) {
			/* as kvStore_Create: a delete marker does not make the key exist */
			sl->checking = true;
			if (send_slot(kv, sl) < 0)
				finish(kv, sl, -EEXIST, 0, NULL, 0);
		} else {
			finish(kv, sl, -EEXIST, 0, NULL, 0);
		}
		return;
	}
	LOGNATS(LOGL_ERROR, "kv %s: %s of '%s' refused: %s (%ld)\n", kv->cfg.bucket,
		sl->op == OP_DEL ? "delete" : "put", sl->buf, desc, code);
	finish(kv, sl, -EIO, 0, NULL, 0);
}

/* A direct get's answer: the stored message with Nats-Sequence and the KV-Operation
 * header, or an empty one with a Status header (404 when there is no such key). */
static void on_value(struct nats_kv *kv, struct kv_slot *sl, natsMsg *m)
{
	const char *status = NULL, *seq = NULL, *op = NULL;
	bool deleted;
	uint64_t rev;

	if (natsMsgHeader_Get(m, "Status", &status) == NATS_OK && status) {
		if (!strcmp(status, "404")) {
			if (sl->checking && !sl->over_marker) {
				/* gone meanwhile (expired, purged): create again, once */
				sl->over_marker = true;
				sl->cas_rev = 0;
				sl->checking = false;
				if (send_slot(kv, sl) < 0)
					finish(kv, sl, -EEXIST, 0, NULL, 0);
			} else {
				finish(kv, sl, sl->checking ? -EEXIST : -ENOENT, 0, NULL, 0);
			}
			return;
		}
		LOGNATS(LOGL_ERROR, "kv %s: get of '%s' answered with status %s\n", kv->cfg.bucket, sl->buf, status);
		finish(kv, sl, -EIO, 0, NULL, 0);
		return;
	}
	if (natsMsgHeader_Get(m, "Nats-Sequence", &seq) != NATS_OK || !seq) {
		finish(kv, sl, -EIO, 0, NULL, 0);
		return;
	}
	rev = strtoull(seq, NULL, 10);
	deleted = natsMsgHeader_Get(m, "KV-Operation", &op) == NATS_OK && op
		  && (!strcmp(op, "DEL") || !strcmp(op, "PURGE"));
	if (sl->checking) {
		if (deleted) {
			sl->over_marker = true;
			sl->cas_rev = rev;
			sl->checking = false;
			if (send_slot(kv, sl) < 0)
				finish(kv, sl, -EEXIST, 0, NULL, 0);
		} else {
			finish(kv, sl, -EEXIST, rev, NULL, 0);
		}
		return;
	}
	if (deleted)
		finish(kv, sl, -ENOENT, rev, NULL, 0);
	else
		finish(kv, sl, 0, rev, natsMsg_GetData(m), natsMsg_GetDataLength(m));
}

void nats_kv_on_answer(struct nats_kv *kv, uint64_t seq, natsMsg *m)
{
	struct kv_slot *sl;

	if (seq < kv->head || seq >= kv->next
	    || (sl = &kv->win[seq % kv->cap])->seq != seq || sl->state == ST_FREE || sl->state == ST_RETRY) {
		rate_ctr_inc2(kv->ctrs, NATS_KV_CTR_LATE);
		return;
	}
	if (natsMsg_IsNoResponders(m)) {
		if (sl->retries_left) {
			sl->retries_left--;
			sl->state = ST_RETRY;
			sl->retry_at_ms = nats_now_ms() + kv->cfg.retry_wait_ms;
			sl->deadline_ms = sl->retry_at_ms + kv->cfg.timeout_ms;
		} else {
			LOGNATS(LOGL_ERROR, "kv %s: no JetStream stream answered for '%s'\n", kv->cfg.bucket, sl->buf);
			finish(kv, sl, -EHOSTUNREACH, 0, NULL, 0);
		}
		return;
	}
	if (sl->op == OP_GET || sl->checking)
		on_value(kv, sl, m);
	else
		on_ack(kv, sl, m);
}

/* --- the API ------------------------------------------------------------------------- */

int nats_kv_put(struct nats_kv *kv, const char *key, const void *data, size_t len,
		uint64_t expect_rev, uint64_t token)
{
	return start(kv, OP_PUT, key, data, len, expect_rev, token);
}

int nats_kv_delete(struct nats_kv *kv, const char *key, uint64_t token)
{
	return start(kv, OP_DEL, key, NULL, 0, 0, token);
}

int nats_kv_get(struct nats_kv *kv, const char *key, uint64_t token)
{
	return start(kv, OP_GET, key, NULL, 0, 0, token);
}

unsigned int nats_kv_pending(const struct nats_kv *kv) { return kv->pending; }
const struct nats_kv_cfg *nats_kv_get_cfg(const struct nats_kv *kv) { return &kv->cfg; }
struct rate_ctr_group *nats_kv_ctrs(struct nats_kv *kv) { return kv->ctrs; }

static const char *storage_name(enum nats_kv_storage s)
{
	return s == NATS_KV_MEMORY ? "memory" : "file";
}

/* The existing bucket against the configuration; NULL if they match, else what differs. */
static const char *bucket_mismatch(const struct nats_kv_cfg *c, const jsStreamConfig *sc, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	if (sc->MaxAge != (int64_t)c->ttl_s * 1000000000)
		n += snprintf(buf + n, size - n, "%sttl %u s", n ? ", " : "", c->ttl_s);
	if ((sc->Storage == js_MemoryStorage) != (c->storage == NATS_KV_MEMORY))
		n += snprintf(buf + n, size - n, "%sstorage %s", n ? ", " : "", storage_name(c->storage));
	if (sc->Replicas != (int64_t)c->replicas && !(sc->Replicas == 0 && c->replicas == 1))
		n += snprintf(buf + n, size - n, "%sreplicas %u", n ? ", " : "", c->replicas);
	if (sc->MaxMsgsPerSubject != (int64_t)c->history)
		snprintf(buf + n, size - n, "%shistory %u", n ? ", " : "", c->history);
	return buf[0] ? buf : NULL;
}

static void kv_free(struct nats_kv *kv)
{
	osmo_timer_del(&kv->tick);
	kvStore_Destroy(kv->kvs);
	jsCtx_Destroy(kv->js);
	if (kv->ctrs)
		rate_ctr_group_free(kv->ctrs);
	if (kv->b->kv == kv)
		kv->b->kv = NULL;
	if (kv->next > kv->b->kv_seq)
		kv->b->kv_seq = kv->next;
	talloc_free(kv);
}

static unsigned int kv_index;

struct nats_kv *nats_kv_open(struct nats_bus *b, const struct nats_kv_cfg *cfg, char *err, size_t errsz)
{
	struct nats_kv *kv;
	jsStreamInfo *si = NULL;
	jsOptions jo;
	jsErrCode jerr = 0;
	char why[200], diff[200], url[NATS_BUS_PATH_LEN];
	natsStatus s;

	pthread_mutex_lock(&b->info_mu);	/* the publisher thread refreshes it */
	OSMO_STRLCPY_ARRAY(url, b->info.url);
	pthread_mutex_unlock(&b->info_mu);
	if (b->kv) {
		snprintf(err, errsz, "the bus has a KV bucket already (%s)", b->kv->cfg.bucket);
		return NULL;
	}
	if (!bucket_ok(cfg->bucket)) {
		snprintf(err, errsz, "bad KV bucket name '%s' (letters, digits, '-' and '_'): fix the 'kv' section",
			 cfg->bucket);
		return NULL;
	}
	if (!cfg->max_pending || !cfg->timeout_ms || !cfg->history || cfg->history > 64 || !cfg->replicas) {
		snprintf(err, errsz, "bad 'kv' section (max-pending, timeout, history 1..64 and replicas must be set)");
		return NULL;
	}
	kv = talloc_zero(b, struct nats_kv);
	if (!kv)
		goto nomem;
	kv->b = b;
	kv->cfg = *cfg;
	snprintf(kv->stream, sizeof(kv->stream), "KV_%s", cfg->bucket);
	snprintf(kv->subj_pre, sizeof(kv->subj_pre), "$KV.%s.", cfg->bucket);
	snprintf(kv->get_pre, sizeof(kv->get_pre), "$JS.API.DIRECT.GET.%s.%s", kv->stream, kv->subj_pre);
	kv->cap = cfg->max_pending;
	kv->win = talloc_zero_array(kv, struct kv_slot, kv->cap);
	kv->ctrs = rate_ctr_group_alloc(kv, &kv_ctrg_desc, kv_index++);
	if (!kv->win || !kv->ctrs)
		goto nomem;
	/* not from 0 again: a closed bucket's late answers must not match this one's */
	kv->head = kv->next = b->kv_seq;
	osmo_timer_setup(&kv->tick, tick_cb, kv);

	jsOptions_Init(&jo);
	jo.Wait = cfg->timeout_ms;
	s = natsConnection_JetStream(&kv->js, b->nc, &jo);
	if (s == NATS_OK)
		s = js_GetStreamInfo(&si, kv->js, kv->stream, NULL, &jerr);
	if (s == NATS_NO_RESPONDERS || jerr == JSNotEnabledErr || jerr == JSNotEnabledForAccountErr) {
		snprintf(err, errsz, "JetStream is not enabled on nats-server at %s: start nats-server with -js "
			 "(or a jetstream block in its configuration)", url);
		goto fail;
	}
	if (s == NATS_TIMEOUT) {
		snprintf(err, errsz, "JetStream on nats-server at %s did not answer within %u ms: check the server",
			 url, cfg->timeout_ms);
		goto fail;
	}
	if (s == NATS_NOT_FOUND) {
		kvConfig kc;

		kvConfig_Init(&kc);
		kc.Bucket = cfg->bucket;
		kc.History = cfg->history;
		kc.TTL = (int64_t)cfg->ttl_s * 1000000000;	/* nanoseconds */
		kc.StorageType = cfg->storage == NATS_KV_MEMORY ? js_MemoryStorage : js_FileStorage;
		kc.Replicas = cfg->replicas;
		s = js_CreateKeyValue(&kv->kvs, kv->js, &kc);
		if (s != NATS_OK) {
			snprintf(err, errsz, "cannot create KV bucket '%s' (%s): fix the 'kv' section (replicas above "
				 "the cluster size? storage limits?)", cfg->bucket, nats_status_text(s, why, sizeof(why)));
			goto fail;
		}
		LOGNATS(LOGL_NOTICE, "kv: created bucket %s (ttl %u s, %s storage, %u replicas, history %u)\n",
			cfg->bucket, cfg->ttl_s, storage_name(cfg->storage), cfg->replicas, cfg->history);
	} else if (s != NATS_OK) {
		snprintf(err, errsz, "cannot look up KV bucket '%s' (%s)", cfg->bucket, nats_status_text(s, why, sizeof(why)));
		goto fail;
	} else {
		const jsStreamConfig *sc = si->Config;

		if (bucket_mismatch(cfg, sc, diff, sizeof(diff))) {
			snprintf(err, errsz, "KV bucket '%s' exists with ttl %" PRId64 " s, storage %s, replicas %" PRId64
				 ", history %" PRId64 ", but the 'kv' section asks for %s: make the section match, or "
				 "delete the bucket (nats kv del %s) so that it is created anew", cfg->bucket,
				 sc->MaxAge / 1000000000, sc->Storage == js_MemoryStorage ? "memory" : "file",
				 sc->Replicas, sc->MaxMsgsPerSubject, diff, cfg->bucket);
			goto fail;
		}
		if (!sc->AllowDirect) {
			/* made by an older client: direct gets (nats_kv_get) need it */
			jsStreamInfo *si2 = NULL;

			si->Config->AllowDirect = true;
			s = js_UpdateStream(&si2, kv->js, si->Config, NULL, &jerr);
			jsStreamInfo_Destroy(si2);
			if (s != NATS_OK) {
				snprintf(err, errsz, "KV bucket '%s' does not allow direct gets and could not be changed "
					 "(%s): recreate it (nats kv del %s)", cfg->bucket,
					 nats_status_text(s, why, sizeof(why)), cfg->bucket);
				goto fail;
			}
			LOGNATS(LOGL_NOTICE, "kv: bucket %s now allows direct gets\n", cfg->bucket);
		}
		s = js_KeyValue(&kv->kvs, kv->js, cfg->bucket);
		if (s != NATS_OK) {
			snprintf(err, errsz, "cannot bind KV bucket '%s' (%s)", cfg->bucket, nats_status_text(s, why, sizeof(why)));
			goto fail;
		}
	}
	jsStreamInfo_Destroy(si);
	b->kv = kv;
	return kv;

nomem:
	snprintf(err, errsz, "out of memory");
fail:
	jsStreamInfo_Destroy(si);
	if (kv)
		kv_free(kv);
	return NULL;
}

void nats_kv_close(struct nats_kv *kv)
{
	if (kv)
		kv_free(kv);
}

void nats_kv_on_close(struct nats_kv *kv)
{
	kv_free(kv);
}

int nats_kv_get_sync(struct nats_kv *kv, void *ctx, const char *key, void **data, size_t *len, uint64_t *rev)
{
	kvEntry *e = NULL;
	natsStatus s;

	if (!key_ok(key))
		return -EINVAL;
	s = kvStore_Get(&e, kv->kvs, key);
	if (s == NATS_NOT_FOUND)
		return -ENOENT;
	if (s == NATS_TIMEOUT)
		return -ETIMEDOUT;
	if (s != NATS_OK)
		return -EIO;
	*len = kvEntry_ValueLen(e);
	*data = talloc_size(ctx, *len + 1);
	if (*data) {
		memcpy(*data, kvEntry_Value(e), *len);
		((char *)*data)[*len] = '\0';
	}
	if (rev)
		*rev = kvEntry_Revision(e);
	kvEntry_Destroy(e);
	return *data ? 0 : -ENOMEM;
}

int nats_kv_bucket_delete(struct nats_bus *b, const char *bucket, char *err, size_t errsz)
{
	jsCtx *js = NULL;
	char why[200];
	natsStatus s = natsConnection_JetStream(&js, b->nc, NULL);

	if (s == NATS_OK)
		s = js_DeleteKeyValue(js, bucket);
	jsCtx_Destroy(js);
	if (s == NATS_OK)
		return 0;
	nats_status_text(s, why, sizeof(why));
	snprintf(err, errsz, "cannot delete KV bucket '%s' (%s)", bucket, why);
	return s == NATS_NOT_FOUND ? -ENOENT : -EIO;
}

void nats_kv_vty_show(struct vty *vty, struct nats_kv *kv)
{
	const struct nats_kv_cfg *c = &kv->cfg;

	vty_out(vty, "KV bucket %s (stream %s): ttl %u s, %s storage, %u replicas, history %u%s", c->bucket,
		kv->stream, c->ttl_s, storage_name(c->storage), c->replicas, c->history, VTY_NEWLINE);
	vty_out(vty, " in flight %u, window %" PRIu64 " of %u, timeout %u ms, retries %u every %u ms%s",
		kv->pending, kv->next - kv->head, kv->cap, c->timeout_ms, c->retries, c->retry_wait_ms, VTY_NEWLINE);
	vty_out_rate_ctr_group(vty, " ", kv->ctrs);
}
