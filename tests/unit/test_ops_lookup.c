/*
 * Names around a component: application contexts by OID, name and dotted text,
 * the version fallback a MAP or CAP initiator needs, and operation/error names.
 */
#include <stdio.h>
#include <string.h>

#include "ss7gw/codec.h"

static int passed, failed;

#define CHECK(cond, ...) do { \
	if (cond) { passed++; } else { failed++; printf("FAIL %s:%d: ", __FILE__, __LINE__); \
		printf(__VA_ARGS__); printf("\n"); } } while (0)

static void contexts(void)
{
	/* shortMsgGatewayContext-v3: 0.4.0.0.1.0.20.3 */
	static const uint8_t sri_sm_v3[] = { 0x04, 0x00, 0x00, 0x01, 0x00, 0x14, 0x03 };
	/* CAP phase 4 capssf-scfGenericAC: 0.4.0.0.1.23.3.4 */
	static const uint8_t cap4[] = { 0x04, 0x00, 0x00, 0x01, 0x17, 0x03, 0x04 };
	struct ss7_codec_ac ac, v2;

	CHECK(ss7_codec_ac_by_oid(sri_sm_v3, sizeof(sri_sm_v3), &ac) == 0 && ac.proto == SS7_CODEC_MAP &&
	      ac.version == 3 && !strcmp(ac.name, "shortMsgGatewayContext-v3"), "MAP AC by OID");
	CHECK(ac.oid_len == sizeof(sri_sm_v3) && !memcmp(ac.oid, sri_sm_v3, ac.oid_len), "OID written back");
	CHECK(ss7_codec_ac_version(&ac, 2, &v2) == 0 && v2.version == 2 &&
	      !strcmp(v2.name, "shortMsgGatewayContext-v2") && v2.oid[6] == 2, "MAP fallback v3 -> v2");
	CHECK(ss7_codec_ac_version(&ac, 9, &v2) == -1, "no v9");
	CHECK(ss7_codec_ac_by_name("shortMsgGatewayContext-v1", 0, &ac) == 0 && ac.version == 1, "by name");
	CHECK(ss7_codec_ac_by_name("0.4.0.0.1.0.20.3", 0, &ac) == 0 && ac.version == 3, "by dotted text");
	CHECK(ss7_codec_ac_by_name("0.4.0.0.1.0.99.3", 0, &ac) == -1, "unknown dotted OID");
	CHECK(ss7_codec_ac_by_name("0.4.x", 0, &ac) == -1 && ss7_codec_ac_by_name("", 0, &ac) == -1,
	      "not an OID");

	CHECK(ss7_codec_ac_by_oid(cap4, sizeof(cap4), &ac) == 0 && ac.proto == SS7_CODEC_CAP &&
	      ac.version == 4 && !strcmp(ac.name, "capssf-scfGenericAC"), "CAP AC by OID");
	CHECK(ss7_codec_ac_by_name("capssf-scfGenericAC", 0, &ac) == 0 && ac.version == 4, "newest CAP phase");
	CHECK(ss7_codec_ac_by_name("capssf-scfGenericAC", 3, &ac) == 0 && ac.version == 3 && ac.oid[4] == 21,
	      "CAP phase 3 by name and version");
	CHECK(ss7_codec_ac_version(&ac, 2, &v2) == 0 && !strcmp(v2.name, "CAP-v2-gsmSSF-to-gsmSCF-AC"),
	      "CAP fallback to phase 2 changes the name");
	CHECK(ss7_codec_ac_version(&v2, 4, &ac) == 0 && ac.version == 4, "and back up to phase 4");

	/* the supplementary-service contexts: 0.4.0.0.1.0.18.2 falls back to v1, 36 and 8 are v3 only */
	CHECK(ss7_codec_ac_by_name("networkFunctionalSsContext-v2", 0, &ac) == 0 && ac.version == 2 &&
	      ac.oid[5] == 18 && ac.oid[6] == 2, "networkFunctionalSsContext-v2");
	CHECK(ss7_codec_ac_version(&ac, 1, &v2) == 0 && !strcmp(v2.name, "networkFunctionalSsContext-v1"),
	      "networkFunctionalSsContext fallback to v1");
	CHECK(ss7_codec_ac_by_name("0.4.0.0.1.0.36.3", 0, &ac) == 0 &&
	      !strcmp(ac.name, "ss-InvocationNotificationContext-v3") && ss7_codec_ac_version(&ac, 2, &v2) == -1,
	      "ss-InvocationNotificationContext-v3, no v2");
	CHECK(ss7_codec_ac_by_name("0.4.0.0.1.0.8.3", 0, &ac) == 0 && !strcmp(ac.name, "callCompletionContext-v3"),
	      "callCompletionContext-v3");
}

static void names(void)
{
	CHECK(ss7_codec_op_code(SS7_CODEC_MAP, "sendRoutingInfoForSM") == 45, "SRI-for-SM is 45");
	CHECK(!strcmp(ss7_codec_op_name(SS7_CODEC_MAP, 0, 45), "sendRoutingInfoForSM"), "45 is SRI-for-SM");
	CHECK(ss7_codec_op_code(SS7_CODEC_CAP, "initialDP") == 0, "CAP initialDP is 0");
	CHECK(!strcmp(ss7_codec_op_name(SS7_CODEC_MAP, 3, 46), "mo-ForwardSM") &&
	      !strcmp(ss7_codec_op_name(SS7_CODEC_MAP, 2, 46), "forwardSM") &&
	      !strcmp(ss7_codec_op_name(SS7_CODEC_MAP, 0, 46), "forwardSM"), "opcode 46 by version");
	CHECK(ss7_codec_op_code(SS7_CODEC_MAP, "mo-ForwardSM") == 46 && ss7_codec_op_code(SS7_CODEC_MAP, "forwardSM") == 46,
	      "both names of 46");
	CHECK(ss7_codec_op_code(SS7_CODEC_MAP, "noSuchOperation") == -1, "unknown name");
	CHECK(ss7_codec_op_name(SS7_CODEC_MAP, 0, 4242) == NULL, "unknown code");
	CHECK(ss7_codec_error_code(SS7_CODEC_MAP, "absentSubscriberSM") == 6, "absentSubscriberSM is 6");
	CHECK(!strcmp(ss7_codec_error_name(SS7_CODEC_MAP, 0, 1), "unknownSubscriber"), "error 1");
	CHECK(ss7_codec_op_code(SS7_CODEC_MAP, "registerSS") == 10 && ss7_codec_op_code(SS7_CODEC_MAP, "getPassword") == 18 &&
	      ss7_codec_op_code(SS7_CODEC_MAP, "eraseCC-Entry") == 77, "SS operation codes");
	CHECK(!strcmp(ss7_codec_op_name(SS7_CODEC_MAP, 1, 19), "processUnstructuredSS-Data"), "19 (v1)");
	CHECK(!strcmp(ss7_codec_op_name(SS7_CODEC_MAP, 3, 72), "ss-InvocationNotification"), "72");
	CHECK(ss7_codec_error_code(SS7_CODEC_MAP, "numberOfPW-AttemptsViolation") == 43, "error 43");
}

int main(void)
{
	contexts();
	names();
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
