/*
 * nats_kv: a JetStream Key-Value bucket on the bus's connection, written asynchronously
 * from the main thread: puts, create-only, compare-and-set and deletes go out as JetStream
 * publishes to $KV.<bucket>.<key> with their reply on the bus's inbox, and the server's
 * acknowledgement comes back to ops->kv_ack; gets are direct gets answered to ops->kv_value.
 * The caller coalesces and batches; the adapter makes many small writes cheap and bounded.
 *
 * Status values in the callbacks: 0; -EEXIST (create-only, the key exists); -ESTALE
 * (compare-and-set, the key is at another revision); -ENOENT (get: no such key, or
 * deleted); -ETIMEDOUT (no answer within the timeout: the write may or may not have been
 * done); -EHOSTUNREACH (JetStream did not answer: "no responders", after the retries);
 * -EIO (the server refused, see the log). Main thread only, as nats_bus.h.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nats_bus.h"

struct nats_kv;
struct rate_ctr_group;
struct vty;

/* expect_rev of nats_kv_put(): only if the key does not exist (or was deleted) */
#define NATS_KV_CREATE	UINT64_MAX

enum nats_kv_storage {
	NATS_KV_FILE,
	NATS_KV_MEMORY,
};

/* The "kv" configuration node (nats_vty.c). */
struct nats_kv_cfg {
	char bucket[64];		/* "ss7gw_dialogs"; the stream is KV_<bucket> */
	unsigned int ttl_s;		/* entries expire after it; 0: never */
	enum nats_kv_storage storage;
	unsigned int replicas;		/* 1..5 */
	unsigned int history;		/* revisions kept per key, 1..64 */
	unsigned int max_pending;	/* writes and gets in flight; beyond: -ENOBUFS */
	unsigned int timeout_ms;	/* answer expected within it, else -ETIMEDOUT */
	unsigned int retries;		/* re-sent after "no responders" (a JetStream restart) */
	unsigned int retry_wait_ms;
};

enum nats_kv_ctr {
	NATS_KV_CTR_PUTS,		/* puts sent (every kind) */
	NATS_KV_CTR_CREATES,		/* of them create-only */
	NATS_KV_CTR_UPDATES,		/* of them compare-and-set */
	NATS_KV_CTR_DELETES,
	NATS_KV_CTR_GETS,
	NATS_KV_CTR_ACK_OK,
	NATS_KV_CTR_EXISTS,		/* create-only refused */
	NATS_KV_CTR_STALE,		/* compare-and-set refused */
	NATS_KV_CTR_NOT_FOUND,		/* gets of absent keys */
	NATS_KV_CTR_TIMEOUTS,
	NATS_KV_CTR_ERRORS,		/* -EIO and -EHOSTUNREACH */
	NATS_KV_CTR_RETRIES,
	NATS_KV_CTR_DROP_FULL,		/* refused: max-pending or the publish buffer */
	NATS_KV_CTR_NOTCONN,		/* refused: not connected */
	NATS_KV_CTR_LATE,		/* answers after their timeout */
};

/* Defaults: bucket ss7gw_dialogs, ttl 3600 s, file storage, 1 replica, history 1,
 * 10000 pending, timeout 2000 ms, 3 retries 250 ms apart. */
void nats_kv_cfg_init(struct nats_kv_cfg *cfg);

/* Create the bucket, or check that the existing one has the configured TTL, storage,
 * replicas and history (synchronous: for startup). NULL with one line in err on failure,
 * e.g. JetStream not enabled ("start nats-server with -js") or a bucket of another
 * configuration. One bucket per bus; it is freed by nats_kv_close() or with the bus. */
struct nats_kv *nats_kv_open(struct nats_bus *b, const struct nats_kv_cfg *cfg, char *err,
			     size_t errsz);
/* Forget the pending operations (no callbacks) and free. Not from inside an ops callback. */
void nats_kv_close(struct nats_kv *kv);

/* Asynchronous put. expect_rev 0: unconditional; NATS_KV_CREATE: only if the key does not
 * exist (a deleted key counts as absent, as kvStore_Create has it); else compare-and-set on
 * that revision. The answer comes to ops->kv_ack(token, status, revision). Returns 0,
 * -EINVAL (bad key), -ENOTCONN, -ENOBUFS (max-pending or the publish buffer; counted),
 * -EMSGSIZE. Keys: letters, digits, '-', '_', '=', '/', '\\' and inner single dots. */
int nats_kv_put(struct nats_kv *kv, const char *key, const void *data, size_t len,
		uint64_t expect_rev, uint64_t token);
/* Asynchronous delete (a KV-Operation: DEL marker, as kvStore_Delete); ops->kv_ack. */
int nats_kv_delete(struct nats_kv *kv, const char *key, uint64_t token);
/* Asynchronous get of the latest value (a JetStream direct get); the answer comes to
 * ops->kv_value(token, status, data, len, revision). Returns as nats_kv_put. */
int nats_kv_get(struct nats_kv *kv, const char *key, uint64_t token);

/* Synchronous get, for startup, tests and tools (blocks up to the timeout). *data is
 * allocated under ctx. 0, -ENOENT, -ETIMEDOUT, -EIO. */
int nats_kv_get_sync(struct nats_kv *kv, void *ctx, const char *key, void **data, size_t *len,
		     uint64_t *rev);
/* Delete a whole bucket (synchronous; tools and tests). 0, -ENOENT, -EIO with err set. */
int nats_kv_bucket_delete(struct nats_bus *b, const char *bucket, char *err, size_t errsz);

unsigned int nats_kv_pending(const struct nats_kv *kv);
const struct nats_kv_cfg *nats_kv_get_cfg(const struct nats_kv *kv);
struct rate_ctr_group *nats_kv_ctrs(struct nats_kv *kv);

/* "show kv": bucket, configuration, operations in flight, counters. */
void nats_kv_vty_show(struct vty *vty, struct nats_kv *kv);

/* The "kv" VTY node (nats_vty.c), editing *cfg; "show kv" for the bucket given to
 * nats_kv_vty_set() (NULL: none). */
void nats_kv_vty_init(struct nats_kv_cfg *cfg);
void nats_kv_vty_set(struct nats_kv *kv);
int nats_kv_vty_write_cfg(struct vty *vty, const struct nats_kv_cfg *cfg);
