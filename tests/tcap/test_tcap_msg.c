/*
 * Tests of the TCAP message codec (src/tcap/tcap_msg.c), as data: hex in ->
 * fields out, fields in -> hex out, hostile hex -> error; plus every golden
 * TCAP/MAP/CAP message parsed and rebuilt byte for byte.
 *
 *   test_tcap_msg                       run the tests
 *   test_tcap_msg --golden DIR...       parse + rebuild every "hex" in DIR/NAME.json
 *   test_tcap_msg --emit                print what the builder makes, one
 *                                       "HEX field=value ..." per line (tshark_tcap.py)
 *   test_tcap_msg --corpus DIR          write the vectors as fuzz seeds
 */
#include <dirent.h>
#include <errno.h>

#include "tcap_test_util.h"

/* --- hex in -> fields out --- */
static const struct {
	const char *name;
	const char *hex;
	const char *want;
} parse_vec[] = {
	{ "SRI-SM v3 Begin with AARQ",
	  "625648044a0001016b1e281c060700118605010101a011600f80020780a1090607040000010014036c2ea12c"
	  "02010102012d30248007919471917856348101ff820791947100001000870088010089080c91947110325476",
	  "Begin otid=4a000101 dlg=AARQ pv=0780 acn=04000001001403 | Invoke id=1 op=45 param=30/38;" },
	{ "v1 Begin without dialogue portion",
	  "62294804000102036c21a11f02010002012d3017800891945111325476f88101ff820891945101000000f1",
	  "Begin otid=00010203 | Invoke id=0 op=45 param=30/25;" },
	{ "Abort with AARE acn-not-supported",
	  "673249041a2b3c4d6b2a2828060700118605010101a01d611b80020780a109060704000001001402a203020101a305a103020102",
	  "Abort dtid=1a2b3c4d dlg=AARE pv=0780 acn=04000001001402 result=1 diag=1:2" },
	{ "Abort with ABRT provider and user information",
	  "672e49041a2b3c4d6b262824060700118605010101a0196417800101be122810060704000001010101a005a5030a0100",
	  "Abort dtid=1a2b3c4d dlg=ABRT source=1 ui=18" },
	{ "P-Abort",
	  "670949040badcafe4a0101",
	  "Abort dtid=0badcafe pabort=1" },
	{ "Continue with a ReturnResultNotLast then Last",
	  "657148040000aa0149041a2b3c4d6b2a2828060700118605010101a01d611b80020780a109060704000001000e03a203020100a305a1"
	  "030201006c37a730020101302b020138a326a0243022041000112233445566778899aabbccddeeff04040102030404080102030405"
	  "060708a203020101",
	  "Continue otid=0000aa01 dtid=1a2b3c4d dlg=AARE pv=0780 acn=04000001000e03 result=0 diag=1:0 | "
	  "ReturnResultNotLast id=1 op=56 param=a3/40; ReturnResultLast id=1;" },
	{ "End with Rejects: invoke id NULL and derivable",
	  "641749041a2b3c4d6c0fa4050500800102a406020101810102",
	  "End dtid=1a2b3c4d | Reject id=null problem=0:2; Reject id=1 problem=1:2;" },
	{ "Unidirectional with AUDT",
	  "61406b1e281c060700118605010201a011600f80020780a1090607040000010017026c1ea11c0201010201403014040891947110"
	  "325476f8040891947100000000f1",
	  "Unidirectional dlg=AUDT pv=0780 acn=04000001001702 | Invoke id=1 op=64 param=30/22;" },
	{ "same End, indefinite lengths everywhere",
	  "648049041a2b3c4d6c80a480020101810102000000000000",
	  "End dtid=1a2b3c4d | Reject id=1 problem=1:2;" },
	{ "Continue with 1-octet ids, ReturnError with parameter, global-opcode Invoke with linked id",
	  "652c4801014901026c24a3080201050201220400a113020106800105060604000001000330038001ff"
	  "a20302017f",
	  "Continue otid=01 dtid=02 | ReturnError id=5 err=34 param=04/2; Invoke id=6 linked=5 op=oid:040000010003 "
	  "param=30/5; ReturnResultLast id=127;" },
	{ "components: unknown tag, mistyped invoke id, missing opcode, good one",
	  "651e4801014901026c16a5020500a106040101020102a103020107a203020109",
	  "Continue otid=01 dtid=02 | !unrecognized component; !mistyped component; "
	  "!mistyped component(id=7); ReturnResultLast id=9;" },
	{ "component whose length runs past the portion",
	  "65104801014901026c08a203020109a20502",
	  "Continue otid=01 dtid=02 | ReturnResultLast id=9; !badly structured component;" },
	/* X.690 in the components (issue 9): each one answered by a Reject */
	{ "invoke id without content octets (8.3.1), then a good one",
	  "65174801014901026c0fa1050200020101a106020101020101",
	  "Continue otid=01 dtid=02 | !mistyped component; Invoke id=1 op=1;" },
	{ "invoke id with a redundant leading octet (8.3.2)",
	  "65114801014901026c09a10702020001020101",
	  "Continue otid=01 dtid=02 | !mistyped component;" },
	{ "opcode with a redundant leading octet (8.3.2)",
	  "65114801014901026c09a10702010102020001",
	  "Continue otid=01 dtid=02 | !mistyped component(id=1);" },
	{ "negative invoke id with a redundant 0xff octet (8.3.2)",
	  "65114801014901026c09a1070202ff80020101",
	  "Continue otid=01 dtid=02 | !mistyped component;" },
	{ "global opcode whose last sub-identifier is unterminated (8.19.2)",
	  "65124801014901026c0aa1080201010603040081",
	  "Continue otid=01 dtid=02 | !mistyped component(id=1);" },
	{ "global opcode with a 0x80 leading octet (8.19.2)",
	  "65124801014901026c0aa108020101060304807f",
	  "Continue otid=01 dtid=02 | !mistyped component(id=1);" },
	{ "Reject whose NULL invoke id has content octets (8.8.2)",
	  "65104801014901026c08a406050100800101",
	  "Continue otid=01 dtid=02 | !mistyped component;" },
	{ "Reject problem with a redundant leading octet (8.3.2)",
	  "65114801014901026c09a40702010180020001",
	  "Continue otid=01 dtid=02 | !mistyped component(id=1);" },
};

/* --- hostile messages: error, and whether the originator can be answered --- */
static const struct {
	const char *name;
	const char *hex;
	int err;
	const char *otid;	/* what the parser could still read, "" when nothing */
} hostile_vec[] = {
	{ "empty", "", TCAP_ERR_BAD_FORMAT, "" },
	{ "unknown message type with an OTID", "6306480411223344", TCAP_ERR_MSG_TYPE, "11223344" },
	{ "unknown primitive type", "0401ff", TCAP_ERR_MSG_TYPE, "" },
	{ "Begin cut after the OTID", "621048041122334412", TCAP_ERR_BAD_FORMAT, "11223344" },
	{ "Begin cut inside the OTID", "6210480411", TCAP_ERR_BAD_FORMAT, "" },
	{ "octets after the message", "62064804112233440000", TCAP_ERR_BAD_FORMAT, "11223344" },
	{ "Begin without OTID", "62066c04a1020201", TCAP_ERR_TX_PORTION, "" },
	{ "Begin with a 5-octet OTID", "620748051122334455", TCAP_ERR_TX_PORTION, "" },
	{ "Begin with a 0-octet OTID", "62024800", TCAP_ERR_TX_PORTION, "" },
	{ "Begin with a DTID", "620c4804112233444904aabbccdd", TCAP_ERR_TX_PORTION, "11223344" },
	{ "Continue without DTID", "6506480411223344", TCAP_ERR_TX_PORTION, "11223344" },
	{ "Continue with two OTIDs", "650c480411223344480411223344", TCAP_ERR_TX_PORTION, "11223344" },
	{ "End with a P-Abort cause", "64094904112233444a0101", TCAP_ERR_TX_PORTION, "" },
	{ "Abort with components", "670a49041122334 46c02a100", TCAP_ERR_TX_PORTION, "" },
	{ "Unidirectional without components", "6100", TCAP_ERR_TX_PORTION, "" },
	{ "empty component portion", "62084804112233446c00", TCAP_ERR_TX_PORTION, "11223344" },
	{ "length of 5 octets", "62850000000006480411223344", TCAP_ERR_BAD_FORMAT, "11223344" },
	{ "indefinite length without end-of-contents", "62804804112233446c80a1800201", TCAP_ERR_BAD_FORMAT, "11223344" },
	{ "dialogue portion: not an EXTERNAL",
	  "620c4804112233446b0404020000", TCAP_ERR_DLG_SYNTAX, "11223344" },
	{ "dialogue portion: unknown abstract syntax",
	  "621d4804112233446b1528130607001186050101 02a008600680020780a100", TCAP_ERR_DLG_AS, "11223344" },
	{ "dialogue portion: AARQ without application context",
	  "621b4804112233446b132811060700118605010101a006600480020780", TCAP_ERR_DLG_SYNTAX, "11223344" },
	{ "dialogue portion: AARQ protocol version 2 only",
	  "62254804112233446b1d281b060700118605010101a010600e80020640a1080606040000010014", TCAP_ERR_DLG_VERSION,
	  "11223344" },
	{ "dialogue portion: AARE without result",
	  "62254804112233446b1d281b060700118605010101a010610e80020780a1080606040000010014", TCAP_ERR_DLG_SYNTAX,
	  "11223344" },
	{ "AARE without result-source-diagnostic",
	  "672b49041a2b3c4d6b232821060700118605010101a016611480020780a109060704000001001402a203020101",
	  TCAP_ERR_DLG_SYNTAX, "" },
	{ "ABRT without abort-source",
	  "671949041a2b3c4d6b11280f060700118605010101a0046402be00", TCAP_ERR_DLG_SYNTAX, "" },
	/* X.690 in the transaction and dialogue portions (issue 9) */
	{ "P-Abort cause without content octets (8.3.1)", "67084904112233444a00", TCAP_ERR_TX_PORTION, "" },
	{ "P-Abort cause with a redundant leading octet (8.3.2)", "670a4904112233444a020001",
	  TCAP_ERR_TX_PORTION, "" },
	{ "OTID with the indefinite length form (8.1.3.2)", "6208488011223344000000", TCAP_ERR_BAD_FORMAT, "" },
	{ "AARQ application context whose last sub-identifier is unterminated (8.19.2)",
	  "62254804112233446b1d281b060700118605010101a010600e80020780a108060604000001 0094",
	  TCAP_ERR_DLG_SYNTAX, "11223344" },
	{ "AARQ application context with a 0x80 leading octet (8.19.2)",
	  "62264804112233446b1e281c060700118605010101a011600f80020780a10906070400000180 1403",
	  TCAP_ERR_DLG_SYNTAX, "11223344" },
	{ "AARQ application context of no octets (8.19.2)",
	  "621f4804112233446b172815060700118605010101a00a600880020780a1020600",
	  TCAP_ERR_DLG_SYNTAX, "11223344" },
	{ "AARQ protocol version with 9 unused bits (8.6.2.2)",
	  "62264804112233446b1e281c060700118605010101a011600f80020980a1090607040000010014 03",
	  TCAP_ERR_DLG_SYNTAX, "11223344" },
	{ "AARQ protocol version empty with unused bits (8.6.2.3)",
	  "62254804112233446b1d281b060700118605010101a010600e800103a1090607040000010014 03",
	  TCAP_ERR_DLG_SYNTAX, "11223344" },
	{ "AARE result with a redundant leading octet (8.3.2)",
	  "673349041a2b3c4d6b2b2829060700118605010101a01e611c80020780a109060704000001001402a20402020000a305a103020102",
	  TCAP_ERR_DLG_SYNTAX, "" },
	{ "dialogue-as-id whose last sub-identifier is unterminated (8.19.2)",
	  "62264804112233446b1e281c060700118605010181a011600f80020780a109060704000001001403",
	  TCAP_ERR_DLG_SYNTAX, "11223344" },
	{ "AUDT in a Begin",
	  "62254804112233446b1d281b060700118605010201a010600e80020780a1080606040000010014", TCAP_ERR_DLG_SYNTAX,
	  "11223344" },
};

static void test_parse(void)
{
	uint8_t buf[1024];
	struct tcap_msg m;

	for (unsigned int i = 0; i < ARRAY_SIZE(parse_vec); i++) {
		size_t n;
		int rc;

		if (!parse_vec[i].want)
			continue;
		n = unhex(buf, sizeof(buf), parse_vec[i].hex);
		rc = tcap_msg_parse(&m, buf, n);
		CHECK(rc == 0, "%s: rc=%d (%s)", parse_vec[i].name, rc, tcap_err_name(rc));
		if (rc == 0) {
			const char *s = msg_str(&m);
			CHECK(!strcmp(s, parse_vec[i].want), "%s:\n  got  %s\n  want %s", parse_vec[i].name,
			      s, parse_vec[i].want);
		}
	}
}

static void test_hostile(void)
{
	uint8_t buf[1024];
	struct tcap_msg m;

	for (unsigned int i = 0; i < ARRAY_SIZE(hostile_vec); i++) {
		char hex[512];
		size_t n, k = 0;
		int rc;

		for (const char *s = hostile_vec[i].hex; *s; s++)
			if (*s != ' ')
				hex[k++] = *s;
		hex[k] = 0;
		n = unhex(buf, sizeof(buf), hex);
		rc = tcap_msg_parse(&m, buf, n);
		CHECK(rc == -hostile_vec[i].err, "%s: rc=%d (%s), want %s", hostile_vec[i].name, rc,
		      tcap_err_name(rc), tcap_err_name(hostile_vec[i].err));
		CHECK(!strcmp(hexs(m.otid.v, m.otid.len), hostile_vec[i].otid), "%s: otid %s, want '%s'",
		      hostile_vec[i].name, hexs(m.otid.v, m.otid.len), hostile_vec[i].otid);
	}
}

/* Deep nesting, too many components: made by code, not written out */
static void test_limits(void)
{
	static uint8_t buf[8192];
	struct tcap_msg m;
	struct tcap_comp c;
	struct tcap_comp_iter it;
	size_t n = 0;
	int rc, i, good = 0, bad = 0;

	/* an Invoke whose parameter nests indefinite lengths too deep */
	const uint8_t head[] = { 0x62, 0x80, 0x48, 0x01, 0x01, 0x6c, 0x80, 0xa1, 0x80, 0x02, 0x01, 0x01,
				 0x02, 0x01, 0x2d };
	memcpy(buf, head, sizeof(head));
	n = sizeof(head);
	for (i = 0; i < TCAP_MAX_DEPTH + 2; i++) {
		buf[n++] = 0x30;
		buf[n++] = 0x80;
	}
	memset(buf + n, 0, 2 * (TCAP_MAX_DEPTH + 2) + 6);
	n += 2 * (TCAP_MAX_DEPTH + 2) + 6;
	rc = tcap_msg_parse(&m, buf, n);
	CHECK(rc == -TCAP_ERR_BAD_FORMAT && m.otid.len == 1, "deep nesting: rc=%d otid.len=%u", rc, m.otid.len);

	/* the same nesting within the limit parses */
	n = sizeof(head);
	for (i = 0; i < TCAP_MAX_DEPTH - 4; i++) {
		buf[n++] = 0x30;
		buf[n++] = 0x80;
	}
	memset(buf + n, 0, 2 * (TCAP_MAX_DEPTH - 4) + 6);
	n += 2 * (TCAP_MAX_DEPTH - 4) + 6;
	rc = tcap_msg_parse(&m, buf, n);
	CHECK(rc == 0, "nesting within the limit: rc=%d", rc);
	tcap_comp_iter_init(&it, &m);
	CHECK(tcap_comp_next(&it, &c) == 1 && c.param.len == 4 * (TCAP_MAX_DEPTH - 4),
	      "nested parameter: len %u", c.param.len);

	/* TCAP_MAX_COMPS + 3 ReturnResultLast components */
	n = 0;
	buf[n++] = 0x64;
	buf[n++] = 0x82;
	n += 2;
	memcpy(buf + n, "\x49\x01\x07\x6c\x82", 5);
	n += 5;
	n += 2;
	for (i = 0; i < TCAP_MAX_COMPS + 3; i++) {
		memcpy(buf + n, "\xa2\x03\x02\x01", 4);
		buf[n + 4] = i;
		n += 5;
	}
	buf[2] = (n - 4) >> 8;
	buf[3] = n - 4;
	buf[9] = (n - 11) >> 8;
	buf[10] = n - 11;
	rc = tcap_msg_parse(&m, buf, n);
	CHECK(rc == 0, "many components: rc=%d", rc);
	tcap_comp_iter_init(&it, &m);
	while ((rc = tcap_comp_next(&it, &c)) > 0)
		good++;
	if (rc < 0)
		bad++;
	CHECK(good == TCAP_MAX_COMPS && bad == 1 && rc == -TCAP_ERR_TOO_MANY_COMPS
	      && tcap_err_p_abort_cause(rc) == TCAP_PA_RESOURCE_LIMITATION,
	      "too many components: %d good, last rc %d", good, rc);
	CHECK(tcap_comp_next(&it, &c) == 0, "iterator done after the limit");
}

/* --- fields in -> hex out --- */

static const uint8_t acn_sri_sm_v3[] = { 0x04, 0x00, 0x00, 0x01, 0x00, 0x14, 0x03 };
static const uint8_t acn_sms_relay_v2[] = { 0x04, 0x00, 0x00, 0x01, 0x00, 0x14, 0x02 };
static const uint8_t pv1[] = { 0x07, 0x80 };
static const uint8_t sri_sm_arg[] = {
	0x30, 0x24, 0x80, 0x07, 0x91, 0x94, 0x71, 0x91, 0x78, 0x56, 0x34, 0x81, 0x01, 0xff, 0x82, 0x07,
	0x91, 0x94, 0x71, 0x00, 0x00, 0x10, 0x00, 0x87, 0x00, 0x88, 0x01, 0x00, 0x89, 0x08, 0x0c, 0x91,
	0x94, 0x71, 0x10, 0x32, 0x54, 0x76 };

#define BUF(a) { (a), sizeof(a) }

struct build_vec {
	const char *name;
	struct tcap_msg msg;
	struct tcap_comp comps[4];
	unsigned int ncomps;
	const char *want;	/* hex */
	const char *tshark;	/* fields tshark must show */
};

static const struct build_vec build_vec[] = {
	{ "SRI-SM v3 Begin",
	  { .type = TCAP_MSGT_BEGIN, .otid = { 4, { 0x4a, 0x00, 0x01, 0x01 } },
	    .dlg = { .pdu = TCAP_DLG_AARQ, .proto_version = BUF(pv1), .acn = BUF(acn_sri_sm_v3) } },
	  { { .type = TCAP_COMP_INVOKE, .invoke_id_present = true, .invoke_id = 1,
	      .op = { .present = true, .local = 45 }, .param = BUF(sri_sm_arg) } }, 1,
	  "625648044a0001016b1e281c060700118605010101a011600f80020780a1090607040000010014036c2ea12c"
	  "02010102012d30248007919471917856348101ff820791947100001000870088010089080c91947110325476",
	  "tcap.otid=4a000101 tcap.application_context_name=0.4.0.0.1.0.20.3 gsm_old.localValue=45 "
	  "gsm_old.invokeID=1" },
	{ "Abort refusing the AC, offering v2",
	  { .type = TCAP_MSGT_ABORT, .dtid = { 4, { 0x1a, 0x2b, 0x3c, 0x4d } },
	    .dlg = { .pdu = TCAP_DLG_AARE, .proto_version = BUF(pv1), .acn = BUF(acn_sms_relay_v2),
		     .result = TCAP_AARE_REJECT_PERMANENT, .diag_source = TCAP_DIAG_USER,
		     .diag_value = TCAP_DIAG_USER_ACN_NOT_SUPPORTED } }, { }, 0,
	  "673249041a2b3c4d6b2a2828060700118605010101a01d611b80020780a109060704000001001402a203020101a305a103020102",
	  "tcap.dtid=1a2b3c4d tcap.application_context_name=0.4.0.0.1.0.20.2 tcap.result=1 "
	  "tcap.dialogue_service_user=2" },
	{ "P-Abort unrecognizedTransactionID",
	  { .type = TCAP_MSGT_ABORT, .dtid = { 4, { 0x0b, 0xad, 0xca, 0xfe } }, .p_abort_present = true,
	    .p_abort_cause = TCAP_PA_UNRECOGNIZED_TID }, { }, 0,
	  "670949040badcafe4a0101",
	  "tcap.dtid=0badcafe tcap.p_abortCause=1" },
	{ "End with ABRT-less Rejects (not derivable, returnError problem)",
	  { .type = TCAP_MSGT_END, .dtid = { 4, { 0x1a, 0x2b, 0x3c, 0x4d } } },
	  { { .type = TCAP_COMP_REJECT, .problem_type = TCAP_PROB_GENERAL, .problem = TCAP_GP_BADLY_STRUCTURED },
	    { .type = TCAP_COMP_REJECT, .invoke_id_present = true, .invoke_id = 24,
	      .problem_type = TCAP_PROB_ERROR, .problem = TCAP_REP_MISTYPED_PARAMETER } }, 2,
	  "641749041a2b3c4d6c0fa4050500800102a406020118830104",
	  "tcap.dtid=1a2b3c4d gsm_old.generalProblem=2 gsm_old.returnErrorProblem=4 gsm_old.derivable=24" },
	{ "Continue, ReturnError and negative invoke id, ReturnResultNotLast",
	  { .type = TCAP_MSGT_CONTINUE, .otid = { 1, { 0x01 } }, .dtid = { 2, { 0x00, 0x02 } } },
	  { { .type = TCAP_COMP_ERROR, .invoke_id_present = true, .invoke_id = -3,
	      .err = { .present = true, .local = 34 } },
	    { .type = TCAP_COMP_RESULT_NL, .invoke_id_present = true, .invoke_id = 127,
	      .op = { .present = true, .local = 300 }, .param = { (const uint8_t *)"\x04\x01\x33", 3 } } }, 2,
	  "651f480101490200026c16a3060201fd020122a70c02017f30070202012c040133",
	  NULL },
};

static void test_build(void)
{
	uint8_t out[1024], want[1024];

	for (unsigned int i = 0; i < ARRAY_SIZE(build_vec); i++) {
		const struct build_vec *v = &build_vec[i];
		size_t wn = unhex(want, sizeof(want), v->want);
		int n = tcap_msg_build(out, sizeof(out), &v->msg, v->comps, v->ncomps);

		CHECK(n == (int)wn && !memcmp(out, want, wn), "%s:\n  got  %s\n  want %s", v->name,
		      n > 0 ? hexs(out, n) : tcap_err_name(n), v->want);
		/* every length short of it is refused, never overrun */
		for (size_t k = 0; k < wn; k++) {
			int r = tcap_msg_build(out, k, &v->msg, v->comps, v->ncomps);
			if (r != -TCAP_ERR_BUF_TOO_SMALL) {
				CHECK(0, "%s: buffer of %zu: rc=%d", v->name, k, r);
				break;
			}
		}
	}
}

static void test_build_invalid(void)
{
	uint8_t out[256];
	struct tcap_msg m = { .type = TCAP_MSGT_BEGIN };
	struct tcap_comp c = { .type = TCAP_COMP_INVOKE, .invoke_id_present = true };

	CHECK(tcap_msg_build(out, sizeof(out), &m, NULL, 0) == -TCAP_ERR_INVALID, "Begin without OTID");
	m.otid.len = 5;
	CHECK(tcap_msg_build(out, sizeof(out), &m, NULL, 0) == -TCAP_ERR_INVALID, "5-octet OTID");
	m.otid.len = 4;
	CHECK(tcap_msg_build(out, sizeof(out), &m, &c, 1) == -TCAP_ERR_INVALID, "Invoke without opcode");
	m.type = TCAP_MSGT_UNI;
	CHECK(tcap_msg_build(out, sizeof(out), &m, NULL, 0) == -TCAP_ERR_INVALID, "Uni without components");
	m.type = 0x63;
	CHECK(tcap_msg_build(out, sizeof(out), &m, NULL, 0) == -TCAP_ERR_INVALID, "unknown type");
	m.type = TCAP_MSGT_END;
	m.dtid.len = 1;
	m.p_abort_present = true;
	CHECK(tcap_msg_build(out, sizeof(out), &m, NULL, 0) == -TCAP_ERR_INVALID, "P-Abort in an End");

	/* nothing X.690 forbids leaves the builder (issue 9) */
	{
		static const uint8_t acn_open[] = { 0x04, 0x00, 0x00, 0x01, 0x00, 0x94 };
		static const uint8_t acn_80[] = { 0x04, 0x00, 0x80, 0x01 };
		static const uint8_t pv9[] = { 0x09, 0x80 };
		static const uint8_t not_tlv[] = { 0xff };
		static const uint8_t two_tlvs[] = { 0x04, 0x00, 0x04, 0x00 };
		struct tcap_msg b = { .type = TCAP_MSGT_BEGIN, .otid = { 1, { 1 } },
				      .dlg = { .pdu = TCAP_DLG_AARQ, .proto_version = BUF(pv1),
					       .acn = BUF(acn_open) } };
		struct tcap_comp inv = { .type = TCAP_COMP_INVOKE, .invoke_id_present = true,
					 .op = { .present = true, .local = 1 } };

		CHECK(tcap_msg_build(out, sizeof(out), &b, &inv, 1) == -TCAP_ERR_INVALID, "acn unterminated");
		b.dlg.acn = (struct tcap_buf)BUF(acn_80);
		CHECK(tcap_msg_build(out, sizeof(out), &b, &inv, 1) == -TCAP_ERR_INVALID, "acn with 0x80");
		b.dlg.acn = (struct tcap_buf)BUF(acn_sri_sm_v3);
		b.dlg.proto_version = (struct tcap_buf)BUF(pv9);
		CHECK(tcap_msg_build(out, sizeof(out), &b, &inv, 1) == -TCAP_ERR_INVALID, "9 unused bits");
		b.dlg.proto_version = (struct tcap_buf)BUF(pv1);
		CHECK(tcap_msg_build(out, sizeof(out), &b, &inv, 1) > 0, "the same Begin, valid");
		inv.param = (struct tcap_buf)BUF(not_tlv);
		CHECK(tcap_msg_build(out, sizeof(out), &b, &inv, 1) == -TCAP_ERR_INVALID, "parameter not a TLV");
		inv.param = (struct tcap_buf)BUF(two_tlvs);
		CHECK(tcap_msg_build(out, sizeof(out), &b, &inv, 1) == -TCAP_ERR_INVALID, "parameter of two TLVs");
		inv.param = (struct tcap_buf){ 0 };
		inv.op = (struct tcap_code){ .present = true, .global = true, .oid = BUF(acn_open) };
		CHECK(tcap_msg_build(out, sizeof(out), &b, &inv, 1) == -TCAP_ERR_INVALID, "global opcode unterminated");
	}
}

/* --- parse, collect components, rebuild: the same bytes for DER input --- */

static int roundtrip(const uint8_t *buf, size_t n, char *why, size_t whylen)
{
	static uint8_t out[65536];
	struct tcap_comp comps[TCAP_MAX_COMPS];
	struct tcap_comp_iter it;
	struct tcap_msg m;
	unsigned int nc = 0;
	int rc = tcap_msg_parse(&m, buf, n), r;

	if (rc < 0) {
		snprintf(why, whylen, "parse: %s", tcap_err_name(rc));
		return -1;
	}
	tcap_comp_iter_init(&it, &m);
	while ((r = tcap_comp_next(&it, &comps[nc])) != 0) {
		if (r < 0) {
			snprintf(why, whylen, "component %u: %s", nc + 1, tcap_err_name(r));
			return -1;
		}
		nc++;
	}
	rc = tcap_msg_build(out, sizeof(out), &m, comps, nc);
	if (rc != (int)n || memcmp(out, buf, n)) {
		snprintf(why, whylen, "rebuilt differently: %s", rc > 0 ? hexs(out, rc) : tcap_err_name(rc));
		return -1;
	}
	return 0;
}

static int run_golden(int argc, char **argv)
{
	static uint8_t buf[8192];
	static char text[1 << 16];

	for (int i = 0; i < argc; i++) {
		DIR *d = opendir(argv[i]);
		struct dirent *e;

		if (!d) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			failed++;
			continue;
		}
		while ((e = readdir(d))) {
			char path[4096], why[512], *h, *q;
			size_t len, n;
			FILE *f;

			len = strlen(e->d_name);
			if (len < 6 || strcmp(e->d_name + len - 5, ".json"))
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
			f = fopen(path, "r");
			if (!f)
				continue;
			n = fread(text, 1, sizeof(text) - 1, f);
			fclose(f);
			text[n] = 0;
			h = strstr(text, "\"hex\": \"");
			if (!h) {
				CHECK(0, "%s: no hex", path);
				continue;
			}
			h += 8;
			q = strchr(h, '"');
			if (!q)
				continue;
			*q = 0;
			n = unhex(buf, sizeof(buf), h);
			CHECK(roundtrip(buf, n, why, sizeof(why)) == 0, "%s: %s", path, why);
		}
		closedir(d);
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0 || passed == 0;
}

/* The tshark expectations of the build vectors, and some TC-level ids */
static void emit(void)
{
	uint8_t out[1024];

	for (unsigned int i = 0; i < ARRAY_SIZE(build_vec); i++) {
		const struct build_vec *v = &build_vec[i];
		int n = tcap_msg_build(out, sizeof(out), &v->msg, v->comps, v->ncomps);
		if (n > 0 && v->tshark)
			printf("%s %s\n", hexs(out, n), v->tshark);
	}
}

static void write_corpus(const char *dir)
{
	uint8_t buf[1024];
	char path[4096];

	for (unsigned int i = 0; i < ARRAY_SIZE(parse_vec); i++) {
		size_t n = unhex(buf, sizeof(buf), parse_vec[i].hex);
		FILE *f;
		snprintf(path, sizeof(path), "%s/vec-parse-%02u", dir, i);
		f = fopen(path, "wb");
		if (f) {
			fwrite(buf, 1, n, f);
			fclose(f);
		}
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(hostile_vec); i++) {
		char hex[512];
		size_t k = 0, n;
		FILE *f;
		for (const char *s = hostile_vec[i].hex; *s; s++)
			if (*s != ' ')
				hex[k++] = *s;
		hex[k] = 0;
		n = unhex(buf, sizeof(buf), hex);
		snprintf(path, sizeof(path), "%s/vec-hostile-%02u", dir, i);
		f = fopen(path, "wb");
		if (f) {
			fwrite(buf, 1, n, f);
			fclose(f);
		}
	}
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--golden"))
		return run_golden(argc - 2, argv + 2);
	if (argc > 1 && !strcmp(argv[1], "--emit")) {
		emit();
		return 0;
	}
	if (argc > 2 && !strcmp(argv[1], "--corpus")) {
		write_corpus(argv[2]);
		return 0;
	}
	test_parse();
	test_hostile();
	test_limits();
	test_build();
	test_build_invalid();
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
