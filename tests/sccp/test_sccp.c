/*
 * Tests of the SCCP connectionless codec and SCLC logic (src/sccp): hex
 * vectors written from Q.713 by hand, hostile messages, round trips, XUDT
 * segmentation and reassembly. Prints "N passed, N failed".
 *
 *   test_sccp              run the tests
 *   test_sccp --emit       print the encodings with the field values tshark
 *                          must show, one "HEX field=value ..." per line
 *                          (tests/sccp/tshark_sccp.py checks them)
 *   test_sccp --corpus DIR write them and the hostile vectors as fuzz seeds
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/utils.h>

#include "sccp_msg.h"
#include "sccp_sclc.h"

static int passed, failed;

#define CHECK(cond, fmt, ...) do {						\
		if (cond) {							\
			passed++;						\
		} else {							\
			failed++;						\
			fprintf(stderr, "FAIL %s:%d: " fmt "\n", __FILE__, __LINE__, ##__VA_ARGS__); \
		}								\
	} while (0)

static size_t unhex(uint8_t *out, size_t cap, const char *hex)
{
	size_t n = 0;

	while (*hex) {
		unsigned int v;

		if (*hex == ' ') {
			hex++;
			continue;
		}
		if (n >= cap || sscanf(hex, "%2x", &v) != 1)
			abort();
		out[n++] = v;
		hex += 2;
	}
	return n;
}

static const char *summary(const struct sccp_msg *m)
{
	static char buf[1024];
	struct osmo_strbuf sb = { .buf = buf, .len = sizeof(buf), .pos = buf };
	char cd[128], cg[128];
	bool service = m->type == SCCP_MSGT_UDTS || m->type == SCCP_MSGT_XUDTS || m->type == SCCP_MSGT_LUDTS;

	sccp_addr_str(cd, sizeof(cd), &m->called);
	sccp_addr_str(cg, sizeof(cg), &m->calling);
	OSMO_STRBUF_PRINTF(sb, "%s", sccp_msgt_name(m->type));
	if (service)
		OSMO_STRBUF_PRINTF(sb, " cause=%u", m->return_cause);
	else
		OSMO_STRBUF_PRINTF(sb, " class=%u%s", m->proto_class, m->return_on_error ? " roe" : "");
	if (m->type != SCCP_MSGT_UDT && m->type != SCCP_MSGT_UDTS)
		OSMO_STRBUF_PRINTF(sb, " hop=%u", m->hop_counter);
	OSMO_STRBUF_PRINTF(sb, " cd={%s} cg={%s} data=%s", cd, cg,
			   m->data ? osmo_hexdump_nospc(m->data, m->data_len) : "-");
	if (m->seg_present)
		OSMO_STRBUF_PRINTF(sb, " seg={first=%d class=%u rem=%u ref=0x%06x}", m->seg.first,
				   m->seg.class, m->seg.remaining, m->seg.local_ref);
	if (m->importance_present)
		OSMO_STRBUF_PRINTF(sb, " imp=%u", m->importance);
	return buf;
}

/* --- addresses: hex in, text out, and back to the same hex --- */

static const struct {
	const char *hex;
	const char *text;
} addr_vectors[] = {
	/* route on SSN: point code 258 (LSB first), SSN 6 */
	{ "43 02 01 06", "RI=SSN SSN=6 PC=258" },
	/* bit 8 (national use) kept; spare bits of the point code octet 2 are 0 */
	{ "c1 ff 3f", "RI=SSN NAT PC=16383" },
	/* GTI 1: odd/even + NAI, 5 digits: filler 0000 in the last octet */
	{ "06 07 84 21 43 05", "RI=GT GT=12345(GTI=1,NAI=4) SSN=7" },
	/* GTI 2: translation type only */
	{ "0a 06 11 21 43", "RI=GT GT=1234(GTI=2,TT=17) SSN=6" },
	/* GTI 3: TT, NP=ISDN, ES=BCD even */
	{ "0e 06 00 12 94 21", "RI=GT GT=4912(GTI=3,TT=0,NP=1,ES=2) SSN=6" },
	/* GTI 4: TT, NP=ISDN + ES=BCD odd, NAI international; PC, SSN and GT */
	{ "13 02 01 06 00 11 04 94 71 00 00 00 02", "RI=GT GT=49170000002(GTI=4,TT=0,NP=1,ES=1,NAI=4) SSN=6 PC=258" },
	/* GTI 4, E.214 (NP 7), even */
	{ "12 07 00 72 04 62 02 01 31 42", "RI=GT GT=2620101324(GTI=4,TT=0,NP=7,ES=2,NAI=4) SSN=7" },
	/* address signals code 11 and 12 (B, C) */
	{ "12 08 00 12 04 b1 2c", "RI=GT GT=1BC2(GTI=4,TT=0,NP=1,ES=2,NAI=4) SSN=8" },
	/* encoding scheme 3 (national): octets kept as nibbles */
	{ "0c 05 13 ab cd", "RI=GT GT=BADC(GTI=3,TT=5,NP=1,ES=3)" },
	/* only the address indicator: no PC, SSN, GT */
	{ "00", "RI=GT" },
};

static void test_addr_vectors(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(addr_vectors); i++) {
		uint8_t in[64], out[64];
		size_t n = unhex(in, sizeof(in), addr_vectors[i].hex);
		struct sccp_addr a;
		char text[128];
		int rc = sccp_addr_decode(&a, in, n);

		CHECK(rc == 0, "addr %s: decode %s", addr_vectors[i].hex, sccp_err_name(rc));
		sccp_addr_str(text, sizeof(text), &a);
		CHECK(!strcmp(text, addr_vectors[i].text), "addr %s: '%s' != '%s'", addr_vectors[i].hex,
		      text, addr_vectors[i].text);
		rc = sccp_addr_encode(out, sizeof(out), &a);
		CHECK(rc == (int)n && !memcmp(in, out, n), "addr %s: re-encoded as %s", addr_vectors[i].hex,
		      rc > 0 ? osmo_hexdump_nospc(out, rc) : sccp_err_name(rc));
	}
}

static const struct {
	const char *hex;
	enum sccp_err err;
} addr_hostile[] = {
	{ "", SCCP_ERR_ADDR_TRUNCATED },
	{ "43 02", SCCP_ERR_ADDR_TRUNCATED },			/* PC cut short */
	{ "43 02 01", SCCP_ERR_ADDR_TRUNCATED },		/* SSN missing */
	{ "43 02 01 06 99", SCCP_ERR_ADDR_TRAILING },		/* GTI 0 but more octets */
	{ "16 06 00", SCCP_ERR_GTI },				/* GTI 5 */
	{ "3e 06 00", SCCP_ERR_GTI },				/* GTI 15 */
	{ "12 06 00 11", SCCP_ERR_ADDR_TRUNCATED },		/* GTI 4 header cut */
	{ "06 07 84", SCCP_ERR_GT_ODD_EVEN },			/* odd, but no digits */
	{ "0e 06 00 11", SCCP_ERR_GT_ODD_EVEN },
	{ "0a 06 00 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11", SCCP_ERR_GT_TOO_LONG },
};

static void test_addr_hostile(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(addr_hostile); i++) {
		uint8_t in[64];
		size_t n = unhex(in, sizeof(in), addr_hostile[i].hex);
		struct sccp_addr a;
		int rc = sccp_addr_decode(&a, in, n);

		CHECK(rc == -(int)addr_hostile[i].err, "addr '%s': %s, expected %s", addr_hostile[i].hex,
		      rc ? sccp_err_name(rc) : "ok", sccp_err_name(addr_hostile[i].err));
	}
}

static void test_addr_encode_errors(void)
{
	struct sccp_addr a = { .present = SCCP_ADDR_PC, .pc = 0x4000 };
	uint8_t out[64];

	CHECK(sccp_addr_encode(out, sizeof(out), &a) == -SCCP_ERR_INVALID, "PC beyond 14 bits");
	a = (struct sccp_addr){ .present = SCCP_ADDR_NP };
	CHECK(sccp_addr_gti(&a) == -SCCP_ERR_INVALID, "NP without TT has no GTI");
	sccp_addr_set_gt(&a, SCCP_GTI_TT, 0, 0, 0, "123");
	CHECK(sccp_addr_encode(out, sizeof(out), &a) == -SCCP_ERR_INVALID, "GTI 2 with odd digits");
	sccp_addr_set_gt(&a, SCCP_GTI_NAI, 0, 0, 4, "12x4");
	CHECK(sccp_addr_encode(out, sizeof(out), &a) == -SCCP_ERR_INVALID, "bad digit");
	CHECK(sccp_addr_set_gt(&a, SCCP_GTI_NAI, 0, 0, 4, "123456789012345678901234567890123")
	      == -SCCP_ERR_GT_TOO_LONG, "33 digits");
	sccp_addr_set_gt(&a, SCCP_GTI_NAI, 0, 0, 4, "1234");
	CHECK(sccp_addr_encode(out, 3, &a) == -SCCP_ERR_BUF_TOO_SMALL, "small buffer");
	a = (struct sccp_addr){ .digits = "12" };
	CHECK(sccp_addr_encode(out, sizeof(out), &a) == -SCCP_ERR_INVALID, "digits without GT");
}

/* --- messages: hex in, summary out, and back to the same hex --- */

#define CD_SSN "04 43 02 01 06"		/* RI=SSN PC=258 SSN=6 */
#define CG_SSN "04 43 01 00 08"		/* RI=SSN PC=1 SSN=8 */
#define CD_GT "0b 12 06 00 12 04 94 71 00 00 00 10"	/* GTI 4 491700000001 SSN 6 */
#define CG_GT "0b 12 08 00 11 04 94 71 00 00 00 02"	/* GTI 4 49170000002 SSN 8 */

static const struct {
	const char *name;
	const char *hex;
	const char *summary;
} msg_vectors[] = {
	{ "UDT class 0, return on error, route on SSN",
	  "09 80 03 07 0b " CD_SSN " " CG_SSN " 03 01 02 03",
	  "UDT class=0 roe cd={RI=SSN SSN=6 PC=258} cg={RI=SSN SSN=8 PC=1} data=010203" },
	{ "UDT class 1, GTI 4 both ways",
	  "09 01 03 0e 19 " CD_GT " " CG_GT " 02 a1 b2",
	  "UDT class=1 cd={RI=GT GT=491700000001(GTI=4,TT=0,NP=1,ES=2,NAI=4) SSN=6} "
	  "cg={RI=GT GT=49170000002(GTI=4,TT=0,NP=1,ES=1,NAI=4) SSN=8} data=a1b2" },
	{ "UDTS unequipped user",
	  "0a 04 03 07 0b " CD_SSN " " CG_SSN " 01 ff",
	  "UDTS cause=4 cd={RI=SSN SSN=6 PC=258} cg={RI=SSN SSN=8 PC=1} data=ff" },
	{ "XUDT with segmentation and importance",
	  "11 81 0f 04 08 0c 11 " CD_SSN " " CG_SSN " 05 11 22 33 44 55 10 04 c3 56 34 12 12 01 05 00",
	  "XUDT class=1 roe hop=15 cd={RI=SSN SSN=6 PC=258} cg={RI=SSN SSN=8 PC=1} data=1122334455 "
	  "seg={first=1 class=1 rem=3 ref=0x123456} imp=5" },
	{ "XUDT without optional part",
	  "11 00 07 04 08 0c 00 " CD_SSN " " CG_SSN " 01 00",
	  "XUDT class=0 hop=7 cd={RI=SSN SSN=6 PC=258} cg={RI=SSN SSN=8 PC=1} data=00" },
	{ "XUDTS no translation for this specific address",
	  "12 01 0f 04 08 0c 00 " CD_SSN " " CG_SSN " 02 aa bb",
	  "XUDTS cause=1 hop=15 cd={RI=SSN SSN=6 PC=258} cg={RI=SSN SSN=8 PC=1} data=aabb" },
	/* 2-octet pointers counted from their second octet (Q.713 2.3) */
	{ "LUDT",
	  "13 00 0f 07 00 0a 00 0d 00 00 00 " CD_SSN " " CG_SSN " 03 00 01 02 03",
	  "LUDT class=0 hop=15 cd={RI=SSN SSN=6 PC=258} cg={RI=SSN SSN=8 PC=1} data=010203" },
	{ "LUDT with importance",
	  "13 01 0f 07 00 0a 00 0d 00 10 00 " CD_SSN " " CG_SSN " 03 00 01 02 03 12 01 03 00",
	  "LUDT class=1 hop=15 cd={RI=SSN SSN=6 PC=258} cg={RI=SSN SSN=8 PC=1} data=010203 imp=3" },
	{ "LUDTS segmentation failure",
	  "14 0e 0f 07 00 0a 00 0d 00 00 00 " CD_SSN " " CG_SSN " 01 00 77",
	  "LUDTS cause=14 hop=15 cd={RI=SSN SSN=6 PC=258} cg={RI=SSN SSN=8 PC=1} data=77" },
};

static void test_msg_vectors(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(msg_vectors); i++) {
		uint8_t in[512], out[512];
		size_t n = unhex(in, sizeof(in), msg_vectors[i].hex);
		struct sccp_msg m;
		int rc = sccp_msg_decode(&m, in, n);

		CHECK(rc == 0, "%s: decode %s", msg_vectors[i].name, sccp_err_name(rc));
		if (rc)
			continue;
		CHECK(!strcmp(summary(&m), msg_vectors[i].summary), "%s:\n  got  %s\n  want %s",
		      msg_vectors[i].name, summary(&m), msg_vectors[i].summary);
		rc = sccp_msg_encode(out, sizeof(out), &m);
		CHECK(rc == (int)n && !memcmp(in, out, n), "%s: re-encoded as %s", msg_vectors[i].name,
		      rc > 0 ? osmo_hexdump_nospc(out, rc) : sccp_err_name(rc));
		CHECK(sccp_msg_encoded_len(&m) == (int)n, "%s: encoded_len", msg_vectors[i].name);
	}
}

/* Accepted, but not written back the same: spare bits, unknown optional
 * parameters, parts in another order than their pointers. */
static const struct {
	const char *name;
	const char *hex;
	const char *summary;
} msg_lenient[] = {
	{ "handling spare bits and unknown optional parameter",
	  "11 f1 02 04 08 0c 0e " CD_SSN " " CG_SSN " 02 aa bb 77 02 01 02 12 01 ff 00",
	  "XUDT class=1 roe hop=2 cd={RI=SSN SSN=6 PC=258} cg={RI=SSN SSN=8 PC=1} data=aabb imp=7" },
	{ "data before the addresses, gaps between parts",
	  "09 00 08 0d 01 03 aa bb cc 99 " CD_SSN " 99 " CG_SSN,
	  "UDT class=0 cd={RI=SSN SSN=6 PC=258} cg={RI=SSN SSN=8 PC=1} data=aabbcc" },
};

static void test_msg_lenient(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(msg_lenient); i++) {
		uint8_t in[512];
		size_t n = unhex(in, sizeof(in), msg_lenient[i].hex);
		struct sccp_msg m;
		int rc = sccp_msg_decode(&m, in, n);

		CHECK(rc == 0, "%s: decode %s", msg_lenient[i].name, sccp_err_name(rc));
		CHECK(rc || !strcmp(summary(&m), msg_lenient[i].summary), "%s:\n  got  %s\n  want %s",
		      msg_lenient[i].name, summary(&m), msg_lenient[i].summary);
	}
}

static const struct {
	const char *name;
	const char *hex;
	enum sccp_err err;
} msg_hostile[] = {
	{ "empty", "", SCCP_ERR_TRUNCATED },
	{ "type only", "09", SCCP_ERR_TRUNCATED },
	{ "UDT pointers cut", "09 00 03 07", SCCP_ERR_TRUNCATED },
	{ "XUDT optional pointer cut", "11 00 0f 04 08 0c", SCCP_ERR_TRUNCATED },
	{ "LUDT second pointer octet cut", "13 00 0f 07 00 0a 00 0d 00 00", SCCP_ERR_TRUNCATED },
	{ "CR is not connectionless", "01 00 00 01 02 02 04 43 02 01 06 00", SCCP_ERR_MSG_TYPE },
	{ "unknown type", "ff 00 00", SCCP_ERR_MSG_TYPE },
	{ "class 2 in UDT", "09 02 03 07 0b " CD_SSN " " CG_SSN " 01 00", SCCP_ERR_PROTO_CLASS },
	{ "zero pointer", "09 00 00 07 0b " CD_SSN " " CG_SSN " 01 00", SCCP_ERR_PTR_ZERO },
	{ "zero data pointer", "09 00 03 07 00 " CD_SSN " " CG_SSN " 01 00", SCCP_ERR_PTR_ZERO },
	{ "pointer past the end", "09 00 ff 07 0b " CD_SSN " " CG_SSN " 01 00", SCCP_ERR_PTR_RANGE },
	{ "pointer to the last octet + 1", "09 00 03 07 0d " CD_SSN " " CG_SSN " 01 00", SCCP_ERR_PTR_RANGE },
	{ "pointer into the pointers", "09 00 01 07 0b " CD_SSN " " CG_SSN " 01 00", SCCP_ERR_PTR_RANGE },
	{ "LUDT pointer past the end", "13 00 0f 07 01 0a 00 0d 00 00 00 " CD_SSN " " CG_SSN " 01 00 01",
	  SCCP_ERR_PTR_RANGE },
	{ "length past the end", "09 00 03 07 0b " CD_SSN " " CG_SSN " 02 00", SCCP_ERR_LEN_RANGE },
	{ "LUDT long length past the end", "13 00 0f 07 00 0a 00 0d 00 00 00 " CD_SSN " " CG_SSN " 01 01 01",
	  SCCP_ERR_LEN_RANGE },
	{ "LUDT long length octet cut", "13 00 0f 07 00 0a 00 0d 00 00 00 " CD_SSN " " CG_SSN " 01",
	  SCCP_ERR_LEN_RANGE },
	{ "empty called address", "09 00 03 03 07 00 " CG_SSN " 01 00", SCCP_ERR_PART_EMPTY },
	{ "empty data", "09 00 03 07 0b " CD_SSN " " CG_SSN " 00", SCCP_ERR_PART_EMPTY },
	{ "called = calling", "09 00 03 02 0b " CD_SSN " " CG_SSN " 01 00", SCCP_ERR_OVERLAP },
	{ "data inside calling", "09 00 03 07 08 " CD_SSN " " CG_SSN " 01 00", SCCP_ERR_OVERLAP },
	{ "optional part inside data", "11 00 0f 04 08 0c 0c " CD_SSN " " CG_SSN " 04 12 01 03 00",
	  SCCP_ERR_OVERLAP },
	{ "optional pointer past the end", "11 00 0f 04 08 0c 20 " CD_SSN " " CG_SSN " 01 00",
	  SCCP_ERR_PTR_RANGE },
	{ "optional part without end", "11 00 0f 04 08 0c 0d " CD_SSN " " CG_SSN " 01 00 12 01 03",
	  SCCP_ERR_OPT_TRUNCATED },
	{ "optional length past the end", "11 00 0f 04 08 0c 0d " CD_SSN " " CG_SSN " 01 00 10 04 c3",
	  SCCP_ERR_OPT_TRUNCATED },
	{ "optional name only", "11 00 0f 04 08 0c 0d " CD_SSN " " CG_SSN " 01 00 10",
	  SCCP_ERR_OPT_TRUNCATED },
	{ "segmentation of 3 octets", "11 00 0f 04 08 0c 0d " CD_SSN " " CG_SSN " 01 00 10 03 c3 00 00 00",
	  SCCP_ERR_OPT_LEN },
	{ "importance of 2 octets", "11 00 0f 04 08 0c 0d " CD_SSN " " CG_SSN " 01 00 12 02 03 03 00",
	  SCCP_ERR_OPT_LEN },
	{ "importance twice", "11 00 0f 04 08 0c 0d " CD_SSN " " CG_SSN " 01 00 12 01 03 12 01 03 00",
	  SCCP_ERR_OPT_DUP },
	{ "called address truncated", "09 00 03 05 09 02 43 02 " CG_SSN " 01 00", SCCP_ERR_ADDR_TRUNCATED },
	{ "GTI 5", "09 00 03 06 0a 03 16 06 00 " CG_SSN " 01 00", SCCP_ERR_GTI },
	{ "XUDT data pointer far past the end", "11 00 0f 04 08 fd 00 " CD_SSN " " CG_SSN " 01 00",
	  SCCP_ERR_PTR_RANGE },
};

static void test_msg_hostile(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(msg_hostile); i++) {
		uint8_t in[512];
		size_t n = unhex(in, sizeof(in), msg_hostile[i].hex);
		/* a copy of exactly n octets, so ASan sees any read past it */
		uint8_t *exact = malloc(n ? n : 1);
		struct sccp_msg m;
		int rc;

		memcpy(exact, in, n);
		rc = sccp_msg_decode(&m, exact, n);
		CHECK(rc == -(int)msg_hostile[i].err, "%s: %s, expected %s", msg_hostile[i].name,
		      rc ? sccp_err_name(rc) : "ok", sccp_err_name(msg_hostile[i].err));
		free(exact);
	}
}

/* Every prefix of every valid vector must fail cleanly (and never read past it). */
static void test_truncations(void)
{
	unsigned int i, bad = 0;

	for (i = 0; i < ARRAY_SIZE(msg_vectors); i++) {
		uint8_t in[512];
		size_t n = unhex(in, sizeof(in), msg_vectors[i].hex), k;

		for (k = 0; k < n; k++) {
			uint8_t *p = malloc(k ? k : 1);
			struct sccp_msg m;

			memcpy(p, in, k);
			if (sccp_msg_decode(&m, p, k) >= 0)
				bad++;
			free(p);
		}
	}
	CHECK(bad == 0, "%u truncated messages accepted", bad);
}

static void test_ludt_limits(void)
{
	static uint8_t buf[SCCP_LONG_DATA_MAX + 64], data[SCCP_LONG_DATA_MAX + 1];
	struct sccp_msg m = { .type = SCCP_MSGT_LUDT, .hop_counter = 15, .data = data };
	struct sccp_msg d;
	int rc;

	m.called = (struct sccp_addr){ .present = SCCP_ADDR_SSN | SCCP_ADDR_PC, .route_on_ssn = true,
				       .pc = 258, .ssn = 6 };
	m.calling = m.called;
	memset(data, 0x5a, sizeof(data));
	m.data_len = SCCP_LONG_DATA_MAX;
	rc = sccp_msg_encode(buf, sizeof(buf), &m);
	CHECK(rc > 0, "LUDT with %d octets: %s", SCCP_LONG_DATA_MAX, rc < 0 ? sccp_err_name(rc) : "ok");
	rc = sccp_msg_decode(&d, buf, rc);
	CHECK(rc == 0 && d.data_len == SCCP_LONG_DATA_MAX, "LUDT %d octets back: %s", SCCP_LONG_DATA_MAX,
	      sccp_err_name(rc));
	m.data_len++;
	CHECK(sccp_msg_encode(buf, sizeof(buf), &m) == -SCCP_ERR_DATA_TOO_LONG, "LUDT 3953 octets");
	/* a peer's LUDT announcing 3953 octets */
	m.data_len--;
	rc = sccp_msg_encode(buf, sizeof(buf), &m);
	buf[21]++;	/* long data length LSB (after 11 + 5 + 5 octets) */
	buf[rc] = 0;
	CHECK(sccp_msg_decode(&d, buf, rc + 1) == -SCCP_ERR_DATA_TOO_LONG, "received LUDT of 3953 octets");

	m.type = SCCP_MSGT_UDT;
	m.data_len = 256;
	CHECK(sccp_msg_encode(buf, sizeof(buf), &m) == -SCCP_ERR_DATA_TOO_LONG, "UDT 256 octets");
	m.data_len = 255;
	rc = sccp_msg_encode(buf, sizeof(buf), &m);
	CHECK(rc == 2 + 3 + 5 + 5 + 256, "UDT 255 octets: %d", rc);
	CHECK(sccp_msg_encode(buf, rc - 1, &m) == -SCCP_ERR_BUF_TOO_SMALL, "buffer one octet short");
	m.data_len = 0;
	CHECK(sccp_msg_encode(buf, sizeof(buf), &m) == -SCCP_ERR_PART_EMPTY, "no data");
	m.data_len = 1;
	m.proto_class = 2;
	CHECK(sccp_msg_encode(buf, sizeof(buf), &m) == -SCCP_ERR_PROTO_CLASS, "class 2");
	m.proto_class = 0;
	m.importance_present = true;
	CHECK(sccp_msg_encode(buf, sizeof(buf), &m) == -SCCP_ERR_INVALID, "importance in a UDT");
	m.type = SCCP_MSGT_XUDT;
	m.importance = 8;
	CHECK(sccp_msg_encode(buf, sizeof(buf), &m) == -SCCP_ERR_INVALID, "importance 8");
	m.type = 0x01;
	CHECK(sccp_msg_encode(buf, sizeof(buf), &m) == -SCCP_ERR_MSG_TYPE, "encode CR");

	/* the XUDT optional pointer is one octet and comes after the data */
	m = (struct sccp_msg){ .type = SCCP_MSGT_XUDT, .hop_counter = 15, .data = data, .data_len = 255 };
	m.called = (struct sccp_addr){ .present = SCCP_ADDR_SSN, .route_on_ssn = true, .ssn = 6 };
	m.calling = m.called;
	CHECK(sccp_msg_encode(buf, sizeof(buf), &m) > 0, "XUDT 255 octets without optional part");
	m.importance_present = true;
	CHECK(sccp_msg_encode(buf, sizeof(buf), &m) == -SCCP_ERR_DATA_TOO_LONG,
	      "XUDT 255 octets with optional part");
	rc = sccp_msg_max_data(&m, 1000);
	m.data_len = rc;
	CHECK(rc > 0 && sccp_msg_encode(buf, sizeof(buf), &m) > 0, "XUDT max data %d encodes", rc);
	m.data_len = rc + 1;
	CHECK(sccp_msg_encode(buf, sizeof(buf), &m) == -SCCP_ERR_DATA_TOO_LONG, "XUDT max data + 1");
}

/* --- building messages for round trips and tshark --- */

static struct sccp_addr gt_addr(enum sccp_gti gti, const char *digits, uint8_t ssn)
{
	struct sccp_addr a = { .present = SCCP_ADDR_SSN, .ssn = ssn };

	sccp_addr_set_gt(&a, gti, gti == SCCP_GTI_TT ? 17 : 0, SCCP_NP_ISDN, SCCP_NAI_INTERNATIONAL, digits);
	return a;
}

static struct sccp_addr ssn_addr(uint16_t pc, uint8_t ssn)
{
	return (struct sccp_addr){ .present = SCCP_ADDR_PC | SCCP_ADDR_SSN, .route_on_ssn = true,
				   .pc = pc, .ssn = ssn };
}

static bool emit_mode;
static const char *corpus_dir;
static unsigned int corpus_n;

static void put_seed(const uint8_t *p, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/seed-%03u", corpus_dir, corpus_n++);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n) {
		perror(path);
		exit(2);
	}
	fclose(f);
}

static void emit_addr(const char *side, const struct sccp_addr *a)
{
	int gti = sccp_addr_gti(a);

	printf(" sccp.%s.ri=%d sccp.%s.gti=%d", side, a->route_on_ssn, side, gti);
	if (a->present & SCCP_ADDR_SSN)
		printf(" sccp.%s.ssn=%u", side, a->ssn);
	if (a->present & SCCP_ADDR_PC)
		printf(" sccp.%s.pc=%u", side, a->pc);
	if (a->present & SCCP_ADDR_TT)
		printf(" sccp.%s.tt=%u", side, a->tt);
	if (a->present & SCCP_ADDR_NP)
		printf(" sccp.%s.np=%u sccp.%s.es=%u", side, a->np, side,
		       strlen(a->digits) % 2 ? SCCP_ES_BCD_ODD : SCCP_ES_BCD_EVEN);
	if (a->present & SCCP_ADDR_NAI)
		printf(" sccp.%s.nai=%u", side, a->nai);
	if (gti == SCCP_GTI_NAI)
		printf(" sccp.%s.oe=%d", side, (int)(strlen(a->digits) % 2));
	if (gti > 0)
		printf(" sccp.%s.digits=%s", side, a->digits);
}

/* What tshark must show for m, derived from the struct (not from its bytes). */
static void emit(const struct sccp_msg *m, const char *group)
{
	uint8_t buf[4096];
	int n = sccp_msg_encode(buf, sizeof(buf), m);
	bool service = m->type == SCCP_MSGT_UDTS || m->type == SCCP_MSGT_XUDTS || m->type == SCCP_MSGT_LUDTS;

	if (n < 0) {
		fprintf(stderr, "cannot encode %s: %s\n", summary(m), sccp_err_name(n));
		exit(2);
	}
	if (corpus_dir)
		put_seed(buf, n);
	if (!emit_mode)
		return;
	printf("%s sccp.message_type=%u", osmo_hexdump_nospc(buf, n), m->type);
	if (service)
		printf(" sccp.return_cause=%u", m->return_cause);
	else
		printf(" sccp.class=%u sccp.handling=%u", m->proto_class, m->return_on_error ? 8 : 0);
	if (m->type != SCCP_MSGT_UDT && m->type != SCCP_MSGT_UDTS)
		printf(" sccp.hops=%u", m->hop_counter);
	emit_addr("called", &m->called);
	emit_addr("calling", &m->calling);
	if (m->seg_present)
		printf(" sccp.segmentation.first=%d sccp.segmentation.class=%u sccp.segmentation.remaining=%u"
		       " sccp.segmentation.slr=%u", m->seg.first, m->seg.class, m->seg.remaining,
		       m->seg.local_ref);
	if (m->importance_present)
		printf(" sccp.importance=%u", m->importance);
	if (group)
		printf(" group=%s", group);
	printf("\n");
}

/* encode, decode, compare; and emit it for tshark */
static void round_trip(const char *name, const struct sccp_msg *m)
{
	uint8_t buf[4096];
	struct sccp_msg d;
	int n = sccp_msg_encode(buf, sizeof(buf), m), rc;

	CHECK(n > 0, "%s: encode %s", name, sccp_err_name(n));
	if (n < 0)
		return;
	rc = sccp_msg_decode(&d, buf, n);
	CHECK(rc == 0 && sccp_msg_equal(m, &d), "%s: round trip %s\n  sent %s", name, sccp_err_name(rc), summary(m));
	emit(m, NULL);
}

static const uint8_t tcap_like[] = { 0x62, 0x06, 0x48, 0x04, 0x00, 0x00, 0x00, 0x01 };

static void test_round_trips(void)
{
	static const char *digits[] = { "491700000001", "49170000002", "1", "" };
	struct sccp_msg m = { .data = tcap_like, .data_len = sizeof(tcap_like) };
	unsigned int gti, i;

	/* every GT indicator, odd and even digit counts, in every message type */
	for (gti = SCCP_GTI_NONE; gti <= SCCP_GTI_TT_NP_ES_NAI; gti++) {
		for (i = 0; i < ARRAY_SIZE(digits); i++) {
			char name[64];

			if (gti == SCCP_GTI_NONE && digits[i][0])
				continue;
			if (gti == SCCP_GTI_TT && strlen(digits[i]) % 2)
				continue;
			/* tshark wants digits in a GT */
			if (gti != SCCP_GTI_NONE && !digits[i][0])
				continue;
			snprintf(name, sizeof(name), "GTI %u '%s'", gti, digits[i]);
			m.type = SCCP_MSGT_UDT;
			m.proto_class = gti % 2;
			m.return_on_error = i % 2;
			m.called = gt_addr(gti, digits[i], 6);
			m.calling = gt_addr(gti, digits[i], 8);
			if (gti == SCCP_GTI_NONE) {
				m.called = ssn_addr(1000 + i, 6);
				m.calling = ssn_addr(SCCP_PC_MAX, 8);
			}
			round_trip(name, &m);
			m.type = SCCP_MSGT_XUDT;
			m.hop_counter = 10 + gti;
			m.importance_present = i % 2;
			m.importance = gti;
			round_trip(name, &m);
			m.importance_present = false;
			m.type = SCCP_MSGT_LUDT;
			round_trip(name, &m);
		}
	}
	/* point code, SSN and GT together, national bit */
	m.type = SCCP_MSGT_UDT;
	m.called = gt_addr(SCCP_GTI_TT_NP_ES_NAI, "4930123456", 146);
	m.called.present |= SCCP_ADDR_PC;
	m.called.pc = 0x2abc;
	m.calling = ssn_addr(0x1555, 147);
	round_trip("PC+SSN+GT", &m);
	/* address indicator bit 8, reserved for national use, kept */
	m.calling.national = true;
	round_trip("national bit", &m);
	m.calling.national = false;
	/* address signals codes 11, 12 */
	m.called = gt_addr(SCCP_GTI_TT_NP_ES_NAI, "12B4C", 6);
	round_trip("codes 11 12", &m);
}

static void test_return_causes(void)
{
	struct sccp_msg m = { .data = tcap_like, .data_len = sizeof(tcap_like) };
	unsigned int c;

	m.called = gt_addr(SCCP_GTI_TT_NP_ES_NAI, "491700000002", 8);
	m.calling = gt_addr(SCCP_GTI_TT_NP_ES_NAI, "491700000001", 6);
	for (c = SCCP_RC_NO_TRANSLATION_NATURE; c <= SCCP_RC_SEGMENTATION_FAILURE; c++) {
		CHECK(strncmp(sccp_return_cause_name(c), "unknown", 7), "cause %u has a name", c);
		m.return_cause = c;
		m.type = SCCP_MSGT_UDTS;
		round_trip("UDTS", &m);
		m.type = SCCP_MSGT_XUDTS;
		m.hop_counter = 15;
		round_trip("XUDTS", &m);
	}
	m.type = SCCP_MSGT_LUDTS;
	round_trip("LUDTS", &m);
	CHECK(!strcmp(sccp_return_cause_name(SCCP_RC_SEGMENTATION_FAILURE), "segmentation failure"), "name 14");
	CHECK(!strncmp(sccp_return_cause_name(200), "unknown", 7), "cause 200 spare");
	CHECK(!strcmp(sccp_gti_name(SCCP_GTI_TT_NP_ES_NAI), "TT+NP+ES+NAI"), "GTI name");
	CHECK(!strcmp(sccp_err_name(-SCCP_ERR_OVERLAP), "parameters overlap"), "error name");
	CHECK(!strcmp(sccp_msgt_name(SCCP_MSGT_XUDTS), "XUDTS"), "message type name");
}

static void test_make_return(void)
{
	struct sccp_msg m = { .type = SCCP_MSGT_XUDT, .proto_class = 1, .return_on_error = true,
			      .hop_counter = 3, .data = tcap_like, .data_len = sizeof(tcap_like) };
	struct sccp_msg r;

	m.called = gt_addr(SCCP_GTI_TT_NP_ES_NAI, "491700000002", 8);
	m.calling = gt_addr(SCCP_GTI_TT_NP_ES_NAI, "491700000001", 6);
	CHECK(sccp_sclc_make_return(&r, &m, SCCP_RC_UNEQUIPPED_USER) == 0, "make XUDTS");
	CHECK(r.type == SCCP_MSGT_XUDTS && r.return_cause == SCCP_RC_UNEQUIPPED_USER && r.hop_counter == 15
	      && sccp_addr_equal(&r.called, &m.calling) && sccp_addr_equal(&r.calling, &m.called)
	      && r.data == m.data, "XUDTS fields");
	round_trip("returned XUDTS", &r);
	m.type = SCCP_MSGT_UDT;
	sccp_sclc_make_return(&r, &m, SCCP_RC_NO_TRANSLATION_ADDRESS);
	CHECK(r.type == SCCP_MSGT_UDTS, "UDT returns as UDTS");
	m.type = SCCP_MSGT_UDTS;
	CHECK(sccp_sclc_make_return(&r, &m, 0) == -SCCP_ERR_MSG_TYPE, "a UDTS is not returned");
}

/* --- segmentation --- */

static uint8_t payload[4096];

static struct sccp_msg user_msg(size_t len, uint8_t proto_class)
{
	struct sccp_msg m = { .type = SCCP_MSGT_UDT, .proto_class = proto_class, .return_on_error = true,
			      .data = payload, .data_len = len };

	m.called = gt_addr(SCCP_GTI_TT_NP_ES_NAI, "491700000001", 7);
	m.calling = gt_addr(SCCP_GTI_TT_NP_ES_NAI, "491700000002", 6);
	return m;
}

static int split(struct sccp_msg seg[SCCP_SEG_MAX], size_t len, uint8_t proto_class, uint32_t ref,
		 size_t max_len)
{
	struct sccp_msg m = user_msg(len, proto_class);

	return sccp_sclc_segment(seg, &m, ref, max_len);
}

/* Split len octets for max_len; check what Q.714 asks of the segments. */
static int segment(struct sccp_msg seg[SCCP_SEG_MAX], size_t len, uint8_t proto_class, size_t max_len,
		   uint32_t ref)
{
	struct sccp_msg m = user_msg(len, proto_class);
	size_t total = 0;
	int n = sccp_sclc_segment(seg, &m, ref, max_len), i;

	CHECK(n > 1, "%zu octets in %zu: %s", len, max_len, n < 0 ? sccp_err_name(n) : "one message");
	for (i = 0; i < n; i++) {
		int enc = sccp_msg_encoded_len(&seg[i]);

		CHECK(enc > 0 && (size_t)enc <= max_len, "segment %d of %zu: %d octets", i, len, enc);
		CHECK(seg[i].type == SCCP_MSGT_XUDT && seg[i].proto_class == 1 && seg[i].seg_present
		      && seg[i].seg.first == (i == 0) && seg[i].seg.remaining == n - 1 - i
		      && seg[i].seg.class == proto_class && seg[i].seg.local_ref == ref
		      && seg[i].return_on_error == (i == 0) && seg[i].hop_counter == 15,
		      "segment %d of %zu: %s", i, len, summary(&seg[i]));
		CHECK(seg[i].data == payload + total, "segment %d of %zu: data in order", i, len);
		CHECK(i == 0 || seg[i].data_len <= seg[0].data_len, "first segment is the largest");
		total += seg[i].data_len;
	}
	CHECK(n < 0 || total == len, "segments of %zu carry %zu", len, total);
	return n;
}

static void test_segmentation(void)
{
	struct sccp_msg seg[SCCP_SEG_MAX], m;
	size_t i;
	int n;

	for (i = 0; i < sizeof(payload); i++)
		payload[i] = i * 7 + (i >> 8);
	/* MTP3: 268 octets; the one-octet optional pointer allows 229 here */
	n = segment(seg, 300, 0, SCCP_MTP3_MAX_MSG_LEN, 1);
	CHECK(n == 2 && seg[0].data_len == 150, "300 octets: %d segments", n);
	n = segment(seg, 1000, 1, SCCP_MTP3_MAX_MSG_LEN, 2);
	CHECK(n == 5, "1000 octets: %d segments", n);
	n = segment(seg, 3000, 0, SCCP_MTP3_MAX_MSG_LEN, 0xabcdef);
	CHECK(n == 14, "3000 octets: %d segments", n);
	/* M3UA: the data limit of the XUDT itself */
	n = segment(seg, 3000, 1, 1520, 3);
	CHECK(n == 14, "3000 octets over M3UA: %d segments", n);
	/* a small maximum */
	n = segment(seg, 1000, 0, 105, 4);
	CHECK(n == 16, "1000 octets in 105-octet messages: %d segments", n);

	m = user_msg(3700, 0);
	CHECK(sccp_sclc_segment(seg, &m, 5, SCCP_MTP3_MAX_MSG_LEN) == -SCCP_ERR_SEG_TOO_LONG, "3700 octets");
	m = user_msg(200, 0);
	n = sccp_sclc_segment(seg, &m, 5, SCCP_MTP3_MAX_MSG_LEN);
	CHECK(n == 1 && seg[0].type == SCCP_MSGT_UDT && !seg[0].seg_present, "200 octets fit one UDT");
	m.type = SCCP_MSGT_XUDTS;
	CHECK(sccp_sclc_segment(seg, &m, 5, 100) == -SCCP_ERR_MSG_TYPE, "XUDTS is not segmented");
	m = user_msg(100, 0);
	CHECK(sccp_sclc_segment(seg, &m, 0x1000000, 50) == -SCCP_ERR_INVALID, "25-bit reference");
	CHECK(sccp_sclc_segment(seg, &m, 5, 39) == -SCCP_ERR_DATA_TOO_LONG, "addresses fill 39 octets");

	/* for tshark: each alone, and each message as one group it reassembles */
	for (i = 0; i < 3; i++) {
		static const size_t sizes[] = { 300, 1000, 3000 };
		char group[32];
		int k;

		snprintf(group, sizeof(group), "seg%zu", sizes[i]);
		n = split(seg, sizes[i], i % 2, 0x10 + i, SCCP_MTP3_MAX_MSG_LEN);
		for (k = 0; k < n; k++)
			emit(&seg[k], group);
		if (emit_mode) {
			size_t k2;

			/* not osmo_hexdump_nospc(): its buffer holds 2 KiB */
			printf("# group=%s payload=", group);
			for (k2 = 0; k2 < sizes[i]; k2++)
				printf("%02x", payload[k2]);
			printf("\n");
		}
	}
}

static void test_sls(void)
{
	uint8_t rotor = 0, a = sccp_sclc_sls(1, 0x12345678, &rotor);
	unsigned int i, seen = 0;

	CHECK(a == sccp_sclc_sls(1, 0x12345678, NULL) && rotor == 0, "class 1: same key, same SLS");
	for (i = 0; i < 64; i++)
		seen |= 1u << sccp_sclc_sls(1, i, NULL);
	CHECK(seen == 0xffff, "class 1 keys spread over all 16 SLS: %04x", seen);
	seen = 0;
	for (i = 0; i < 16; i++)
		seen |= 1u << sccp_sclc_sls(0, 7, &rotor);
	CHECK(seen == 0xffff && rotor == 16, "class 0 rotates");
}

/* --- reassembly --- */

static const struct sccp_reasm_cfg reasm_cfg = {
	.max_contexts = 4,
	.max_total = 16384,
	.max_msg = 4096,
	.timeout_ms = 10000,
};

/* Feed segments in the given order; returns the status of the last one. */
static enum sccp_reasm_status feed(struct sccp_reasm *r, const struct sccp_msg *seg, const int *order, int n,
				   uint64_t now, struct sccp_reasm_result *res, enum sccp_reasm_status *st)
{
	int i;

	for (i = 0; i < n; i++) {
		sccp_reasm_result_clear(res);
		st[i] = sccp_reasm_add(r, &seg[order[i]], 42, now + i, res);
	}
	return n ? st[n - 1] : SCCP_REASM_PENDING;
}

static bool is_payload(const struct sccp_reasm_result *res, size_t len)
{
	return res->msg.data_len == len && !memcmp(res->msg.data, payload, len);
}

static void test_reasm_in_order(void)
{
	static const size_t sizes[] = { 300, 1000, 3000 };
	struct sccp_reasm *r = sccp_reasm_alloc(&reasm_cfg);
	struct sccp_reasm_result res = { 0 };
	struct sccp_msg seg[SCCP_SEG_MAX];
	enum sccp_reasm_status st[32];
	int order[SCCP_SEG_MAX], i, n;
	unsigned int s;

	for (s = 0; s < ARRAY_SIZE(sizes); s++) {
		n = split(seg, sizes[s], s % 2, 77 + s, SCCP_MTP3_MAX_MSG_LEN);
		for (i = 0; i < n; i++)
			order[i] = i;
		feed(r, seg, order, n, 1000, &res, st);
		for (i = 0; i < n - 1; i++)
			CHECK(st[i] == SCCP_REASM_PENDING, "%zu: segment %d %s", sizes[s], i,
			      get_value_string(sccp_reasm_status_names, st[i]));
		CHECK(st[n - 1] == SCCP_REASM_DONE && is_payload(&res, sizes[s]), "%zu octets reassembled",
		      sizes[s]);
		CHECK(res.msg.proto_class == s % 2 && res.msg.return_on_error && !res.msg.seg_present
		      && sccp_addr_equal(&res.msg.calling, &seg[0].calling), "%zu: user's header", sizes[s]);
		CHECK(sccp_reasm_count(r) == 0 && sccp_reasm_bytes(r) == 0, "nothing left");
		sccp_reasm_result_clear(&res);
	}
	/* first and last segment at once */
	seg[0].seg.remaining = 0;
	CHECK(sccp_reasm_add(r, &seg[0], 42, 0, &res) == SCCP_REASM_DONE
	      && res.msg.data_len == seg[0].data_len, "single segment");
	sccp_reasm_result_clear(&res);
	sccp_reasm_free(r);
}

static void test_reasm_disorder(bool any_order)
{
	struct sccp_reasm_cfg cfg = reasm_cfg;
	struct sccp_reasm *r;
	struct sccp_reasm_result res = { 0 };
	struct sccp_msg seg[SCCP_SEG_MAX];
	enum sccp_reasm_status st[32];
	int order[32] = { 0 }, i, n;
	const char *mode = any_order ? "any order" : "in sequence";

	cfg.any_order = any_order;
	r = sccp_reasm_alloc(&cfg);
	n = split(seg, 1000, 1, 500, SCCP_MTP3_MAX_MSG_LEN);

	/* reversed: Q.714 discards segments without a reassembly, then times out */
	for (i = 0; i < n; i++)
		order[i] = n - 1 - i;
	feed(r, seg, order, n, 1000, &res, st);
	if (any_order) {
		CHECK(st[n - 1] == SCCP_REASM_DONE && is_payload(&res, 1000), "%s: reversed reassembled", mode);
	} else {
		for (i = 0; i < n - 1; i++)
			CHECK(st[i] == SCCP_REASM_DISCARDED, "%s: reversed segment %d discarded", mode, i);
		CHECK(st[n - 1] == SCCP_REASM_PENDING, "%s: first segment last starts a reassembly", mode);
		CHECK(sccp_reasm_next_expiry(r) == 1000 + n - 1 + cfg.timeout_ms, "%s: expiry at %llu", mode,
		      (unsigned long long)sccp_reasm_next_expiry(r));
		CHECK(!sccp_reasm_expire(r, 1000 + n - 2 + cfg.timeout_ms, &res), "%s: not yet expired", mode);
		CHECK(sccp_reasm_expire(r, 1000 + n - 1 + cfg.timeout_ms, &res) && res.status == SCCP_REASM_FAILED
		      && res.return_cause == SCCP_RC_SEGMENTATION_FAILURE && res.have_msg
		      && res.msg.return_on_error && res.msg.data_len == seg[0].data_len
		      && !memcmp(res.msg.data, payload, seg[0].data_len), "%s: reversed expires", mode);
	}
	sccp_reasm_result_clear(&res);
	CHECK(sccp_reasm_count(r) == 0 && sccp_reasm_bytes(r) == 0, "%s: reversed leaves nothing", mode);

	/* a duplicate in the middle */
	order[0] = 0, order[1] = 1, order[2] = 1;
	for (i = 2; i < n; i++)
		order[i + 1] = i;
	feed(r, seg, order, n + 1, 1000, &res, st);
	if (any_order) {
		CHECK(st[2] == SCCP_REASM_DISCARDED && st[n] == SCCP_REASM_DONE && is_payload(&res, 1000),
		      "%s: duplicate dropped", mode);
	} else {
		/* out of sequence: the reassembly fails at once, the rest is discarded */
		CHECK(st[2] == SCCP_REASM_FAILED && st[3] == SCCP_REASM_DISCARDED, "%s: duplicate fails: %s",
		      mode, get_value_string(sccp_reasm_status_names, st[2]));
	}
	sccp_reasm_result_clear(&res);
	CHECK(sccp_reasm_count(r) == 0, "%s: duplicate leaves nothing", mode);

	/* the last segment missing: the timer ends it */
	for (i = 0; i < n - 1; i++)
		order[i] = i;
	CHECK(feed(r, seg, order, n - 1, 5000, &res, st) == SCCP_REASM_PENDING, "%s: missing last", mode);
	CHECK(!sccp_reasm_expire(r, 5000 + cfg.timeout_ms - 1, &res), "%s: before T(reassembly)", mode);
	CHECK(sccp_reasm_expire(r, 5000 + cfg.timeout_ms, &res) && res.return_cause == SCCP_RC_SEGMENTATION_FAILURE
	      && res.have_msg, "%s: missing segment expires", mode);
	sccp_reasm_result_clear(&res);
	CHECK(!sccp_reasm_expire(r, UINT64_MAX, &res) && sccp_reasm_next_expiry(r) == UINT64_MAX,
	      "%s: idle", mode);

	/* a segment in the middle missing */
	order[0] = 0, order[1] = 2;
	feed(r, seg, order, 2, 9000, &res, st);
	if (any_order)
		CHECK(st[1] == SCCP_REASM_PENDING && sccp_reasm_expire(r, 9000 + cfg.timeout_ms, &res),
		      "%s: gap waits for the timer", mode);
	else
		CHECK(st[1] == SCCP_REASM_FAILED && res.return_cause == SCCP_RC_SEGMENTATION_FAILURE,
		      "%s: gap fails at once", mode);
	sccp_reasm_result_clear(&res);

	/* the same reference used again for a new message before the old ended */
	order[0] = 0, order[1] = 1;
	feed(r, seg, order, 2, 20000, &res, st);
	seg[0].data++;		/* not a repeat of the first segment */
	for (i = 0; i < n; i++)
		order[i] = i;
	feed(r, seg, order, 1, 20002, &res, st);
	CHECK(st[0] == SCCP_REASM_FAILED && res.return_cause == SCCP_RC_SEGMENTATION_FAILURE,
	      "%s: reference reused, the old message fails", mode);
	feed(r, seg + 1, order, n - 1, 20003, &res, st);
	CHECK(st[n - 2] == SCCP_REASM_DONE && res.msg.data_len == 1000 && res.msg.data[0] == payload[1],
	      "%s: and the new one completes", mode);
	sccp_reasm_result_clear(&res);
	CHECK(sccp_reasm_count(r) == 0 && sccp_reasm_bytes(r) == 0, "%s: all freed", mode);
	sccp_reasm_free(r);
}

static void test_reasm_keys(void)
{
	struct sccp_reasm *r = sccp_reasm_alloc(&reasm_cfg);
	struct sccp_reasm_result res = { 0 };
	struct sccp_msg a[SCCP_SEG_MAX], b[SCCP_SEG_MAX];
	int na, nb, i, done = 0;

	/* same local reference, other calling address; interleaved */
	na = split(a, 700, 0, 9, SCCP_MTP3_MAX_MSG_LEN);
	nb = split(b, 600, 0, 9, SCCP_MTP3_MAX_MSG_LEN);
	for (i = 0; i < nb; i++)
		b[i].calling.digits[0] = '3';
	for (i = 0; i < na || i < nb; i++) {
		if (i < na && sccp_reasm_add(r, &a[i], 1, 0, &res) == SCCP_REASM_DONE)
			done += is_payload(&res, 700);
		sccp_reasm_result_clear(&res);
		if (i < nb && sccp_reasm_add(r, &b[i], 1, 0, &res) == SCCP_REASM_DONE)
			done += is_payload(&res, 600);
		sccp_reasm_result_clear(&res);
	}
	CHECK(done == 2, "two calling addresses, one reference: %d done", done);
	/* same address and reference from another OPC */
	done = 0;
	for (i = 0; i < na; i++) {
		if (sccp_reasm_add(r, &a[i], 1, 0, &res) == SCCP_REASM_DONE)
			done++;
		sccp_reasm_result_clear(&res);
		if (sccp_reasm_add(r, &a[i], 2, 0, &res) == SCCP_REASM_DONE)
			done++;
		sccp_reasm_result_clear(&res);
	}
	CHECK(done == 2, "two OPCs: %d done", done);
	sccp_reasm_free(r);
}

static void test_reasm_limits(void)
{
	struct sccp_reasm_cfg cfg = reasm_cfg;
	struct sccp_reasm *r;
	struct sccp_reasm_result res = { 0 };
	struct sccp_msg seg[SCCP_SEG_MAX];
	int i;

	/* max_contexts: the third message in parallel is refused */
	cfg.max_contexts = 2;
	r = sccp_reasm_alloc(&cfg);
	for (i = 0; i < 3; i++) {
		split(seg, 1000, 0, 100 + i, SCCP_MTP3_MAX_MSG_LEN);
		sccp_reasm_add(r, &seg[0], 1, 0, &res);
		if (i < 2)
			CHECK(res.status == SCCP_REASM_PENDING, "context %d", i);
		else
			CHECK(res.status == SCCP_REASM_FAILED && res.return_cause == SCCP_RC_DEST_CANNOT_REASSEMBLE
			      && res.have_msg && res.msg.return_on_error, "third context refused: %s",
			      get_value_string(sccp_reasm_status_names, res.status));
		sccp_reasm_result_clear(&res);
	}
	CHECK(sccp_reasm_count(r) == 2, "two in progress");
	sccp_reasm_free(r);

	/* max_total: a message that would not fit is refused up front */
	cfg = reasm_cfg;
	cfg.max_total = 2000;
	r = sccp_reasm_alloc(&cfg);
	split(seg, 1500, 0, 1, SCCP_MTP3_MAX_MSG_LEN);
	CHECK(sccp_reasm_add(r, &seg[0], 1, 0, &res) == SCCP_REASM_PENDING, "1500 of 2000");
	sccp_reasm_result_clear(&res);
	split(seg, 1000, 0, 2, SCCP_MTP3_MAX_MSG_LEN);
	CHECK(sccp_reasm_add(r, &seg[0], 1, 0, &res) == SCCP_REASM_FAILED
	      && res.return_cause == SCCP_RC_DEST_CANNOT_REASSEMBLE, "1000 more refused");
	sccp_reasm_result_clear(&res);
	CHECK(sccp_reasm_bytes(r) <= cfg.max_total, "within max_total");
	sccp_reasm_free(r);

	/* max_msg */
	cfg = reasm_cfg;
	cfg.max_msg = 2000;
	r = sccp_reasm_alloc(&cfg);
	split(seg, 3000, 0, 1, SCCP_MTP3_MAX_MSG_LEN);
	CHECK(sccp_reasm_add(r, &seg[0], 1, 0, &res) == SCCP_REASM_FAILED
	      && res.return_cause == SCCP_RC_DEST_CANNOT_REASSEMBLE, "3000 over max_msg 2000");
	sccp_reasm_result_clear(&res);
	/* a later segment larger than announced by the first */
	split(seg, 1800, 0, 2, SCCP_MTP3_MAX_MSG_LEN);
	sccp_reasm_add(r, &seg[0], 1, 0, &res);
	sccp_reasm_result_clear(&res);
	seg[0].seg.first = false;
	seg[0].seg.remaining = seg[1].seg.remaining;
	seg[0].data = payload;
	seg[0].data_len = 255;
	for (i = 0; i < 8 && res.status != SCCP_REASM_FAILED; i++) {
		sccp_reasm_result_clear(&res);
		sccp_reasm_add(r, &seg[0], 1, 0, &res);
		seg[0].seg.remaining--;
	}
	CHECK(res.status == SCCP_REASM_FAILED, "oversized segments fail the reassembly");
	sccp_reasm_result_clear(&res);
	CHECK(sccp_reasm_count(r) == 0 && sccp_reasm_bytes(r) == 0, "freed after the failure");
	/* not a segment at all */
	seg[0].seg_present = false;
	CHECK(sccp_reasm_add(r, &seg[0], 1, 0, &res) == SCCP_REASM_DISCARDED, "no segmentation parameter");
	sccp_reasm_free(r);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--emit")) {
		emit_mode = true;
	} else if (argc > 2 && !strcmp(argv[1], "--corpus")) {
		corpus_dir = argv[2];
	} else if (argc > 1) {
		fprintf(stderr, "usage: %s [--emit | --corpus DIR]\n", argv[0]);
		return 2;
	}

	test_addr_vectors();
	test_addr_hostile();
	test_addr_encode_errors();
	test_msg_vectors();
	test_msg_lenient();
	test_msg_hostile();
	test_truncations();
	test_ludt_limits();
	test_round_trips();
	test_return_causes();
	test_make_return();
	test_segmentation();
	test_sls();
	test_reasm_in_order();
	test_reasm_disorder(false);
	test_reasm_disorder(true);
	test_reasm_keys();
	test_reasm_limits();

	if (corpus_dir) {
		unsigned int i;

		for (i = 0; i < ARRAY_SIZE(msg_hostile); i++) {
			uint8_t in[512];

			put_seed(in, unhex(in, sizeof(in), msg_hostile[i].hex));
		}
		for (i = 0; i < ARRAY_SIZE(msg_vectors); i++) {
			uint8_t in[512];

			put_seed(in, unhex(in, sizeof(in), msg_vectors[i].hex));
		}
	}
	fprintf(emit_mode ? stderr : stdout, "%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
