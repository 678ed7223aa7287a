/*
 * The SS7 application codec: one TCAP message (with its MAP or CAP content)
 * from BER to JSON and back. No sockets, no NATS, no Lua: a tool, a fuzzer or
 * the gateway links it alone. JSON shape: docs/json.md.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jw;

enum ss7_codec_proto {
	SS7_CODEC_AUTO = 0,	/* from the application context; MAP when there is none */
	SS7_CODEC_MAP,
	SS7_CODEC_CAP,
};

struct ss7_codec_opts {
	enum ss7_codec_proto proto;
	int version;		/* 0: from the application context (MAP v1 without one) */
};

/* Call once before anything else (thread-safe, idempotent). */
void ss7_codec_init(void);

/* Tests and fuzzers: compare every encoding with asn1c's own encoder and
 * abort on a difference (the fast encoder must be byte-identical). */
void ss7_codec_selfcheck(bool on);

/* p[0..n) is exactly one whole BER TLV, as a component parameter must be. */
bool ss7_codec_one_tlv(const uint8_t *p, size_t n);

/*
 * Decode one TCAP message into JSON appended to w.
 * Returns 0, or -1 with a one-line reason in err (w then holds nothing usable).
 */
int ss7_codec_decode(const uint8_t *ber, size_t len, const struct ss7_codec_opts *opts,
		     struct jw *w, char *err, size_t errsz);

/*
 * Encode the JSON text of one TCAP message into out.
 * Returns the encoded length, or -1 with a one-line reason in err.
 */
long ss7_codec_encode(const char *json, size_t json_len, const struct ss7_codec_opts *opts,
		      uint8_t *out, size_t cap, char *err, size_t errsz);

/* --- One component parameter and the names around it ----------------------
 * The TCAP layer carries a component's parameter as a TLV; the gateway core
 * turns it into JSON (and back) with the protocol, version and operation or
 * error code the dialogue gives. Same JSON shape as inside a whole message.
 */

enum ss7_param_kind {
	SS7_PARAM_ARGUMENT,	/* of an Invoke */
	SS7_PARAM_RESULT,	/* of a ReturnResult(Last/NotLast) */
	SS7_PARAM_ERROR,	/* of a ReturnError */
};

struct ss7_param_ref {
	enum ss7_codec_proto proto;	/* MAP or CAP (AUTO means MAP) */
	int version;			/* AC version; 0: any, newest type that fits first */
	enum ss7_param_kind kind;
	long code;			/* local operation or error code */
};

/* Decode one parameter TLV into JSON appended to w (0), or -1 with a reason:
 * unknown code, no parameter for this code, or no candidate type takes it. */
int ss7_codec_param_decode(const struct ss7_param_ref *ref, const uint8_t *tlv, size_t len,
			   struct jw *w, char *err, size_t errsz);

/* Encode the JSON text of one parameter; returns the TLV length or -1. */
long ss7_codec_param_encode(const struct ss7_param_ref *ref, const char *json, size_t json_len,
			    uint8_t *out, size_t cap, char *err, size_t errsz);
/* The same from a parsed value (src/codec/jv.h), without writing it out and parsing it
 * again: for callers that hold the JSON as a tree already. */
struct jv;
long ss7_codec_param_encode_jv(const struct ss7_param_ref *ref, const struct jv *v,
			       uint8_t *out, size_t cap, char *err, size_t errsz);

/* Operation and error names (the specs' identifiers) <-> local codes. A code's
 * name may differ by version (MAP opcode 46 is forwardSM in v1/v2 and
 * mo-ForwardSM in v3): version 0 gives the first row the tables list. A name
 * lookup takes any version's name and gives -1 when unknown; a code lookup
 * gives NULL. */
const char *ss7_codec_op_name(enum ss7_codec_proto proto, int version, long opcode);
long ss7_codec_op_code(enum ss7_codec_proto proto, const char *name);
const char *ss7_codec_error_name(enum ss7_codec_proto proto, int version, long code);
long ss7_codec_error_code(enum ss7_codec_proto proto, const char *name);

/* An application context the tables know. */
struct ss7_codec_ac {
	enum ss7_codec_proto proto;
	int version;			/* MAP 1..3 (last arc), CAP phase 2..4 */
	const char *name;		/* e.g. "shortMsgGatewayContext-v3" */
	uint8_t oid[16];		/* the OID's BER contents (no tag, no length) */
	uint8_t oid_len;
};

/* Look an AC up by its OID contents (as a TCAP dialogue portion carries them),
 * or by name or dotted text ("0.4.0.0.1.0.20.3"). CAP phases 3 and 4 share
 * names: version picks one, 0 the newest. 0 when known, -1 if not. */
int ss7_codec_ac_by_oid(const uint8_t *oid, size_t len, struct ss7_codec_ac *out);
int ss7_codec_ac_by_name(const char *name_or_dotted, int version, struct ss7_codec_ac *out);
/* The same family of application context at another version (a MAP fallback
 * from v3 to v2, say): 0 and *out filled, or -1 when the tables have none. */
int ss7_codec_ac_version(const struct ss7_codec_ac *ac, int version, struct ss7_codec_ac *out);

