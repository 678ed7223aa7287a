/*
 * Codec benchmark: microseconds per decode (BER -> JSON) and encode (JSON ->
 * BER) of typical messages, against asn1c alone (BER -> structures -> BER,
 * no JSON) measured in the same run as the baseline. Bounded: a fixed number
 * of iterations per figure. Usage: bench_codec [ITERATIONS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <TCMessage.h>

#include "ss7gw/codec.h"
#include "jw.h"

struct sample {
	const char *name;
	enum ss7_codec_proto proto;
	const char *json;
	uint8_t ber[512];
	long len;
};

static struct sample samples[] = {
	{ .name = "MAP SRI-for-SM Begin", .proto = SS7_CODEC_MAP,
	  .json =
	  "{\"begin\":{\"otid\":\"0a0b0c0d\",\"dialoguePortion\":{\"direct-reference\":\"0.0.17.773.1.1.1\","
	  "\"encoding\":{\"single-ASN1-type\":{\"dialogueRequest\":{\"protocol-version\":\"1\","
	  "\"application-context-name\":\"0.4.0.0.1.0.20.3\"}}}},\"components\":[{\"invoke\":{\"invokeID\":1,"
	  "\"opCode\":{\"localValue\":45},\"parameter\":{\"msisdn\":{\"nature\":\"international\",\"plan\":\"isdn\","
	  "\"digits\":\"4917012345678\"},\"sm-RP-PRI\":true,\"serviceCentreAddress\":{\"nature\":\"international\","
	  "\"plan\":\"isdn\",\"digits\":\"4917000000001\"}}}}]}}" },
	{ .name = "MAP SRI-for-SM End", .proto = SS7_CODEC_MAP,
	  .json =
	  "{\"end\":{\"dtid\":\"0a0b0c0d\",\"dialoguePortion\":{\"direct-reference\":\"0.0.17.773.1.1.1\","
	  "\"encoding\":{\"single-ASN1-type\":{\"dialogueResponse\":{\"protocol-version\":\"1\","
	  "\"application-context-name\":\"0.4.0.0.1.0.20.3\",\"result\":0,\"result-source-diagnostic\":"
	  "{\"dialogue-service-user\":0}}}}},\"components\":[{\"returnResultLast\":{\"invokeID\":1,\"result\":"
	  "{\"opCode\":{\"localValue\":45},\"parameter\":{\"imsi\":\"262011234567890\",\"locationInfoWithLMSI\":"
	  "{\"networkNode-Number\":{\"nature\":\"international\",\"plan\":\"isdn\",\"digits\":\"491700000099\"}}}}}}]}}" },
	{ .name = "MAP MO-ForwardSM Begin", .proto = SS7_CODEC_MAP,
	  .json =
	  "{\"begin\":{\"otid\":\"0a0b0c0e\",\"dialoguePortion\":{\"direct-reference\":\"0.0.17.773.1.1.1\","
	  "\"encoding\":{\"single-ASN1-type\":{\"dialogueRequest\":{\"protocol-version\":\"1\","
	  "\"application-context-name\":\"0.4.0.0.1.0.21.3\"}}}},\"components\":[{\"invoke\":{\"invokeID\":1,"
	  "\"opCode\":{\"localValue\":46},\"parameter\":{\"sm-RP-DA\":{\"serviceCentreAddressDA\":{\"nature\":"
	  "\"international\",\"plan\":\"isdn\",\"digits\":\"4917000000001\"}},\"sm-RP-OA\":{\"msisdn\":{\"nature\":"
	  "\"international\",\"plan\":\"isdn\",\"digits\":\"4917012345678\"}},\"sm-RP-UI\":{\"type\":\"SMS-SUBMIT\","
	  "\"mr\":7,\"da\":{\"nature\":\"international\",\"plan\":\"isdn\",\"digits\":\"4917087654321\"},"
	  "\"text\":\"Hello from the benchmark\"}}}}]}}" },
	{ .name = "CAP InitialDP Begin", .proto = SS7_CODEC_CAP,
	  .json =
	  "{\"begin\":{\"otid\":\"0a0b0c0f\",\"dialoguePortion\":{\"direct-reference\":\"0.0.17.773.1.1.1\","
	  "\"encoding\":{\"single-ASN1-type\":{\"dialogueRequest\":{\"protocol-version\":\"1\","
	  "\"application-context-name\":\"0.4.0.0.1.0.50.1\"}}}},\"components\":[{\"invoke\":{\"invokeID\":1,"
	  "\"opCode\":{\"localValue\":0},\"parameter\":{\"serviceKey\":100,\"callingPartyNumber\":{\"nature\":"
	  "\"international\",\"digits\":\"4917012345678\"},\"eventTypeBCSM\":\"collectedInfo\","
	  "\"iMSI\":\"262011234567890\",\"callReferenceNumber\":\"0102030405\",\"mscAddress\":{\"nature\":"
	  "\"international\",\"plan\":\"isdn\",\"digits\":\"491700000099\"},\"calledPartyBCDNumber\":{\"nature\":"
	  "\"international\",\"plan\":\"isdn\",\"digits\":\"4930123456\"}}}}]}}" },
};

#define N_SAMPLES (sizeof(samples) / sizeof(samples[0]))

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Runs op n times in batches of 64; prints mean, p50 and p99 of the batch means. */
typedef int (*op_fn)(struct sample *s);

static double measure(const char *what, struct sample *s, op_fn op, long n)
{
	long batches = n / 64 > 0 ? n / 64 : 1, b, i;
	double *per = malloc(sizeof(double) * (size_t)batches), t0, c0, total = 0, ctotal;

	c0 = cpu();
	for (b = 0; b < batches; b++) {
		t0 = now();
		for (i = 0; i < 64; i++)
			if (op(s)) {
				fprintf(stderr, "%s %s failed\n", what, s->name);
				exit(1);
			}
		per[b] = (now() - t0) / 64 * 1e6;
		total += per[b];
	}
	ctotal = (cpu() - c0) / (batches * 64.0) * 1e6;
	qsort(per, (size_t)batches, sizeof(double), cmp_double);
	printf("  %-28s %-24s mean %6.2f us  p50 %6.2f  p99 %6.2f  cpu %6.2f us  (%.0f/s)\n", s->name, what,
	       total / batches, per[batches / 2], per[batches * 99 / 100], ctotal, 1e6 / (total / batches));
	free(per);
	return total / batches;
}

static struct jw w;
static char err[256];

static int op_decode(struct sample *s)
{
	struct ss7_codec_opts o = { .proto = s->proto };

	jw_reset(&w);
	return ss7_codec_decode(s->ber, (size_t)s->len, &o, &w, err, sizeof(err));
}

static int op_encode(struct sample *s)
{
	struct ss7_codec_opts o = { .proto = s->proto };
	uint8_t out[512];

	return ss7_codec_encode(s->json, strlen(s->json), &o, out, sizeof(out), err, sizeof(err)) < 0;
}

static int count_cb(const void *b, size_t n, void *k)
{
	(void)b;
	*(size_t *)k += n;
	return 0;
}

/* Baseline: asn1c alone on the TCAP level, no parameter, no JSON. */
static int op_asn1c(struct sample *s)
{
	TCMessage_t *tc = NULL;
	size_t n = 0;
	asn_dec_rval_t rv = ber_decode(NULL, &asn_DEF_TCMessage, (void **)&tc, s->ber, (size_t)s->len);

	if (rv.code == RC_OK)
		der_encode(&asn_DEF_TCMessage, tc, count_cb, &n);
	ASN_STRUCT_FREE(asn_DEF_TCMessage, tc);
	return rv.code != RC_OK;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 20000;
	double dec_begin = 0, enc_end = 0;
	size_t i;

	ss7_codec_init();
	jw_init(&w);
	for (i = 0; i < N_SAMPLES; i++) {
		struct ss7_codec_opts o = { .proto = samples[i].proto };
		samples[i].len = ss7_codec_encode(samples[i].json, strlen(samples[i].json), &o, samples[i].ber,
						  sizeof(samples[i].ber), err, sizeof(err));
		if (samples[i].len < 0) {
			fprintf(stderr, "sample %s does not encode: %s\n", samples[i].name, err);
			return 1;
		}
	}
	printf("codec benchmark, %ld iterations per figure\n", n);
	for (i = 0; i < N_SAMPLES; i++) {
		struct sample *s = &samples[i];
		double d, e;
		printf("%s (%ld bytes)\n", s->name, s->len);
		measure("baseline asn1c TCAP only", s, op_asn1c, n);
		d = measure("decode BER->JSON", s, op_decode, n);
		e = measure("encode JSON->BER", s, op_encode, n);
		if (i == 0)
			dec_begin = d;
		if (i == 1)
			enc_end = e;
	}
	printf("SRI-for-SM Begin decode + End encode, JSON included: %.2f us (aim: < 5 us)\n", dec_begin + enc_end);
	jw_free(&w);
	return 0;
}
