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
