/*
 * Names around a component: operation and error names <-> codes, and
 * application contexts by OID, name or dotted text, from the ops tables.
 * The TC-user side of the gateway speaks in these names.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ss7gw/codec.h"
#include "ops.h"

static const struct ss7_operation *op_table(enum ss7_codec_proto proto)
{
	return proto == SS7_CODEC_CAP ? cap_operations : map_operations;
}

static const struct ss7_error *error_table(enum ss7_codec_proto proto)
{
	return proto == SS7_CODEC_CAP ? cap_errors : map_errors;
}

const char *ss7_codec_op_name(enum ss7_codec_proto proto, int version, long opcode)
{
	const struct ss7_operation *op, *first = NULL;

	for (op = op_table(proto); op->name; op++) {
		if (op->opcode != opcode)
			continue;
		if (version && version >= op->min_ver && version <= op->max_ver)
			return op->name;
		if (!first)
			first = op;
	}
	return first ? first->name : NULL;
}

long ss7_codec_op_code(enum ss7_codec_proto proto, const char *name)
{
	const struct ss7_operation *op;

	for (op = op_table(proto); op->name; op++)
		if (!strcmp(op->name, name))
			return op->opcode;
	return -1;
}

const char *ss7_codec_error_name(enum ss7_codec_proto proto, int version, long code)
{
	const struct ss7_error *e, *first = NULL;

	for (e = error_table(proto); e->name; e++) {
		if (e->code != code)
			continue;
		if (version && version >= e->min_ver && version <= e->max_ver)
			return e->name;
		if (!first)
			first = e;
	}
	return first ? first->name : NULL;
}

long ss7_codec_error_code(enum ss7_codec_proto proto, const char *name)
{
	const struct ss7_error *e;

	for (e = error_table(proto); e->name; e++)
		if (!strcmp(e->name, name))
			return e->code;
	return -1;
}

/* --- application contexts ------------------------------------------------ */

/* X.690 8.19: the first two arcs share one subidentifier, each subidentifier
 * is base 128 with the high bit on all but its last octet. */
static int oid_encode(const uint32_t *arcs, int n, uint8_t *out, size_t cap)
{
	size_t len = 0;
	int i;

	if (n < 2 || arcs[0] > 2 || (arcs[0] < 2 && arcs[1] > 39))
		return -1;
	for (i = 1; i < n; i++) {
		uint64_t v = i == 1 ? (uint64_t)arcs[0] * 40 + arcs[1] : arcs[i];
		uint8_t tmp[10];
		int k = 0;
		do {
			tmp[k++] = v & 0x7f;
			v >>= 7;
		} while (v);
		if (len + k > cap)
			return -1;
		while (k--)
			out[len++] = tmp[k] | (k ? 0x80 : 0);
	}
	return (int)len;
}

static void fill(struct ss7_codec_ac *out, const struct ss7_app_context *ac)
{
	int n = oid_encode(ac->arcs, ac->n_arcs, out->oid, sizeof(out->oid));

	out->proto = ac->proto == SS7_PROTO_CAP ? SS7_CODEC_CAP : SS7_CODEC_MAP;
	out->version = ac->version;
	out->name = ac->name;
	out->oid_len = n > 0 ? (uint8_t)n : 0;
}

static const struct ss7_app_context *const ac_tables[] = { map_app_contexts, cap_app_contexts };

/* Calls fn on every row until it returns true; returns that row. */
static const struct ss7_app_context *find(bool (*fn)(const struct ss7_app_context *, const void *),
					  const void *arg)
{
	const struct ss7_app_context *ac, *best = NULL;
	size_t t;

	for (t = 0; t < sizeof(ac_tables) / sizeof(ac_tables[0]); t++)
		for (ac = ac_tables[t]; ac->name; ac++)
			if (fn(ac, arg) && (!best || ac->version > best->version))
				best = ac;
	return best;
}

/* Every row's OID in BER, encoded once: a lookup by OID is on every dialogue's path, and
 * encoding each row's arcs for it cost a few percent of the gateway's CPU. */
struct enc_oid {
	const struct ss7_app_context *ac;
	uint8_t len;		/* 0: the row's arcs do not encode */
	uint8_t oid[sizeof(((struct ss7_codec_ac *)0)->oid)];
};

static struct enc_oid *enc_oids;
static size_t n_enc_oids;
static pthread_once_t enc_once = PTHREAD_ONCE_INIT;

static void enc_init(void)
{
	const struct ss7_app_context *ac;
	size_t t, n = 0;

	for (t = 0; t < sizeof(ac_tables) / sizeof(ac_tables[0]); t++)
		for (ac = ac_tables[t]; ac->name; ac++)
			n++;
	enc_oids = calloc(n, sizeof(*enc_oids));
	if (!enc_oids)
		return;
	for (t = 0; t < sizeof(ac_tables) / sizeof(ac_tables[0]); t++) {
		for (ac = ac_tables[t]; ac->name; ac++) {
			struct enc_oid *e = &enc_oids[n_enc_oids++];
			int len = oid_encode(ac->arcs, ac->n_arcs, e->oid, sizeof(e->oid));

			e->ac = ac;
			e->len = len > 0 ? (uint8_t)len : 0;
		}
	}
}

int ss7_codec_ac_by_oid(const uint8_t *oid, size_t len, struct ss7_codec_ac *out)
{
	const struct ss7_app_context *best = NULL;
	size_t i;

	pthread_once(&enc_once, enc_init);
	for (i = 0; i < n_enc_oids; i++) {
		const struct enc_oid *e = &enc_oids[i];

		if (e->len && e->len == len && !memcmp(e->oid, oid, len)
		    && (!best || e->ac->version > best->version))
			best = e->ac;
	}
	if (!best)
		return -1;
	fill(out, best);
	return 0;
}

struct name_key {
	const char *name;
	int version;
};

static bool name_matches(const struct ss7_app_context *ac, const void *arg)
{
	const struct name_key *k = arg;

	return !strcmp(ac->name, k->name) && (!k->version || ac->version == k->version);
}

/* Dotted text to arcs; -1 if it is not one. */
static int parse_dotted(const char *s, uint32_t *arcs, int max)
{
	int n = 0;

	while (*s && n < max) {
		char *end;
		unsigned long v;
		if (*s < '0' || *s > '9')
			return -1;
		v = strtoul(s, &end, 10);
		if (v > UINT32_MAX)
			return -1;
		arcs[n++] = (uint32_t)v;
		if (!*end)
			return n;
		if (*end != '.')
			return -1;
		s = end + 1;
	}
	return -1;
}

int ss7_codec_ac_by_name(const char *name, int version, struct ss7_codec_ac *out)
{
	struct name_key k = { name, version };
	const struct ss7_app_context *ac = find(name_matches, &k);
	uint32_t arcs[16];
	uint8_t oid[16];
	int n;

	if (!ac && (n = parse_dotted(name, arcs, 16)) > 0 &&
	    (n = oid_encode(arcs, n, oid, sizeof(oid))) > 0)
		return ss7_codec_ac_by_oid(oid, (size_t)n, out);
	if (!ac)
		return -1;
	fill(out, ac);
	return 0;
}

/* CAP phase 2 names its contexts differently from phases 3 and 4. */
static const struct { const char *v2, *v34; } cap_families[] = {
	{ "CAP-v2-gsmSSF-to-gsmSCF-AC", "capssf-scfGenericAC" },
	{ "CAP-v2-assist-gsmSSF-to-gsmSCF-AC", "capssf-scfAssistHandoffAC" },
	{ "CAP-v2-gsmSRF-to-gsmSCF-AC", "gsmSRF-gsmSCF-ac" },
};

int ss7_codec_ac_version(const struct ss7_codec_ac *ac, int version, struct ss7_codec_ac *out)
{
	const char *name = ac->name;
	size_t i;

	if (ac->proto == SS7_CODEC_MAP) {
		/* MAP: the same OID with another last arc */
		struct ss7_codec_ac tmp = *ac;
		if (!ac->oid_len || version < 1 || version > 127)
			return -1;
		tmp.oid[tmp.oid_len - 1] = (uint8_t)version;
		return ss7_codec_ac_by_oid(tmp.oid, tmp.oid_len, out);
	}
	for (i = 0; i < sizeof(cap_families) / sizeof(cap_families[0]); i++) {
		if (!strcmp(name, cap_families[i].v2) || !strcmp(name, cap_families[i].v34)) {
			name = version == 2 ? cap_families[i].v2 : cap_families[i].v34;
			break;
		}
	}
	return ss7_codec_ac_by_name(name, version, out);
}
