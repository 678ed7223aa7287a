/*
 * The gateway's TC-user in JSON (docs/tc-json.md): every TCAP indication becomes one
 * JSON event with its components' parameters decoded by the codec, and one JSON
 * request drives the TC primitives with parameters encoded by the codec. The NATS
 * service and ss7sim stand on this; it knows nothing of either.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tcap_ctx;
struct tc_ind;
struct sccp_addr;
struct jw;
typedef struct jv jv_t;

/* What the JSON layer knows of one dialogue event beyond the indication: for an envelope
 * around the event and for routing it. */
struct tc_json_msg {
	const struct tc_ind *ind;
	int proto;			/* enum ss7_codec_proto */
	int version;			/* 0: unknown */
	int32_t op;			/* the first component's operation: an invoke's own, or the
					 * one of the invoke it answers; -1: none or unknown */
	const char *op_name;		/* its name in (proto, version), NULL if unknown */
	/* The first invoke cannot be served as it is (Q.773 invoke problem): an operation the
	 * tables do not know or a global one, "unrecognizedOperation"; an argument that does
	 * not decode as its type, "mistypedParameter". NULL: fine, or no invoke. */
	const char *invoke_problem;
};

struct tc_json_ops {
	/* One event (JSON text, NUL-terminated, valid during the call). */
	void (*event)(void *priv, const char *json, size_t len);
	/* Optional: called for every dialogue event before event(), to write leading
	 * members (an envelope) into w right after the event's opening brace. */
	void (*envelope)(void *priv, struct jw *w, const struct tc_json_msg *m);
};

struct tc_json;

/* A JSON TC-user on tcap. The caller routes the TCAP entity's tc_ind callback to
 * tc_json_tc_ind(). */
struct tc_json *tc_json_alloc(void *ctx, struct tcap_ctx *tcap, const struct tc_json_ops *ops, void *priv);
void tc_json_free(struct tc_json *tj);

/* The calling address of a begin/uni request that gives none. */
void tc_json_set_calling(struct tc_json *tj, const struct sccp_addr *calling);

/* TCAP indication -> event. */
void tc_json_tc_ind(struct tc_json *tj, const struct tc_ind *ind);

/* The parsed form of tc_json_request: req is a jv tree (e.g. built or amended by the caller
 * without writing it as text). Same result. */
int tc_json_request_jv(struct tc_json *tj, const jv_t *req, char dialog[16], char *err, size_t errsz);

/* Carry out one request (JSON text). For begin/uni the new dialogue id is written
 * to dialog (8 hex digits). 0, or -1 with a one-line reason in err (nothing sent). */
int tc_json_request(struct tc_json *tj, const char *json, size_t len, char dialog[16],
		    char *err, size_t errsz);

/* What the JSON layer keeps of a dialogue, for storing it (gw_kv.c) */
struct tc_json_dlg_export {
	int proto, version;
	const char *ac;			/* name, NULL if none or unknown */
	bool incoming;			/* the peer began it */
	bool answered;			/* the first backward message has gone or come */
	unsigned int n_sent;		/* our recent invokes and their operations */
	struct { int8_t id; int32_t op; } sent[16];
};
/* 0, or -1: no such dialogue */
int tc_json_dlg_export(const struct tc_json *tj, uint32_t id, struct tc_json_dlg_export *out);

/* Dialogues the JSON layer keeps state for (their AC and the invokes sent). */
unsigned int tc_json_dialogues(const struct tc_json *tj);

/* SCCP addresses as JSON: {"gt","tt","np","nai","ssn","pc","ri"}. */
void tc_json_write_addr(struct jw *w, const struct sccp_addr *a);
int tc_json_parse_addr(const jv_t *v, struct sccp_addr *a, char *err, size_t errsz);
