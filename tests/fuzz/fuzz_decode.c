/*
 * Fuzz target for the codec's decoder: any bytes in, never a crash or a leak.
 * When a message decodes, its JSON must encode, and that encoding must decode
 * to the same JSON (the codec agrees with itself on everything it accepts).
 * The first input byte picks MAP or CAP.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ss7gw/codec.h"
#include "jw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t enc[65536];
	struct ss7_codec_opts o = { 0 };
	struct jw w1, w2;
	char err[256];
	long n;

	if (size < 1)
		return 0;
	ss7_codec_selfcheck(true);
	o.proto = data[0] & 1 ? SS7_CODEC_CAP : SS7_CODEC_AUTO;
	data++, size--;
	jw_init(&w1);
	jw_init(&w2);
	if (ss7_codec_decode(data, size, &o, &w1, err, sizeof(err)) == 0) {
		const char *j1 = jw_cstr(&w1);
		n = ss7_codec_encode(j1, strlen(j1), &o, enc, sizeof(enc), err, sizeof(err));
		if (n < 0) {
			fprintf(stderr, "decoded JSON does not encode: %s\n%s\n", err, j1);
			abort();
		}
		if (ss7_codec_decode(enc, (size_t)n, &o, &w2, err, sizeof(err))) {
			fprintf(stderr, "our own encoding does not decode: %s\n%s\n", err, j1);
			abort();
		}
		if (strcmp(j1, jw_cstr(&w2))) {
			fprintf(stderr, "decode/encode/decode differs:\n%s\n%s\n", j1, jw_cstr(&w2));
			abort();
		}
	}
	jw_free(&w1);
	jw_free(&w2);
	return 0;
}
