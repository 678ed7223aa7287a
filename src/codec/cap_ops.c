/*
 * CAP (3GPP TS 29.078, CAMEL phases 2, 3 and 4) operation, error and
 * application-context tables. The types are the asn1c output of
 * asn1/CAP-*.asn; see ops.h for the table layout.
 *
 * Phase 2 is CAP v2 (GSM 09.78 / TS 29.078 R99), phase 3 is TS 29.078 Rel-4,
 * phase 4 is Rel-5 onwards. A row covers the phases whose syntax it decodes;
 * where only optional or extension fields were added, one row serves them all.
 *
 * Some arguments carry a second BER value inside an OCTET STRING, which the
 * caller decodes in a second step with the phase's type:
 *   ApplyChargingArg.aChBillingChargingCharacteristics:
 *     asn_DEF_CAMEL_AChBillingChargingCharacteristics   (phase 4)
 *     asn_DEF_CAMEL_AChBillingChargingCharacteristicsV3 (phase 3)
 *     asn_DEF_CAMEL_AChBillingChargingCharacteristicsV2 (phase 2)
 *   ApplyChargingReportArg (CallResult): asn_DEF_CAMEL_CallResult
 *   FurnishChargingInformationArg: asn_DEF_CAMEL_FCIBillingChargingCharacteristics
 */
#include "ops.h"

#include "ApplyChargingArg.h"
#include "ApplyChargingReportArg.h"
#include "CallInformationReportArg.h"
#include "CallInformationRequestArg.h"
#include "CancelFailedPARAM.h"
#include "Cause.h"
#include "ConnectArg.h"
#include "ConnectSMSArg.h"
#include "EventReportBCSMArg.h"
#include "EventReportSMSArg.h"
#include "FurnishChargingInformationArg.h"
#include "InitialDPArg.h"
#include "InitialDPArgV2.h"
#include "InitialDPSMSArg.h"
#include "ReleaseCallArg.h"
#include "ReleaseSMSArg.h"
#include "RequestReportBCSMEventArg.h"
#include "RequestReportSMSEventArg.h"
#include "RequestedInfoErrorParameter.h"
#include "ResetTimerArg.h"
#include "TaskRefusedParameter.h"
#include "UnavailableNetworkResource.h"

/*
 * CAP-operationcodes; none of these operations returns a result parameter.
 * Where an opcode has several rows, the newest phase comes first: without an
 * application context (a Continue or End without dialogue portion) the codec
 * tries the rows in table order, and Wireshark reads such a message with the
 * phase 4 syntax as well.
 */
const struct ss7_operation cap_operations[] = {
	{ 0, 3, 4, "initialDP", &asn_DEF_InitialDPArg, NULL },
	{ 0, 2, 2, "initialDP", &asn_DEF_InitialDPArgV2, NULL },
	{ 20, 2, 4, "connect", &asn_DEF_ConnectArg, NULL },
	/* ReleaseCallArg ::= Cause in phases 2 and 3, a CHOICE in phase 4. */
	{ 22, 4, 4, "releaseCall", &asn_DEF_ReleaseCallArg, NULL },
	{ 22, 2, 3, "releaseCall", &asn_DEF_Cause, NULL },
	{ 23, 2, 4, "requestReportBCSMEvent", &asn_DEF_RequestReportBCSMEventArg, NULL },
	{ 24, 2, 4, "eventReportBCSM", &asn_DEF_EventReportBCSMArg, NULL },
	{ 31, 2, 4, "continue", NULL, NULL },
	{ 33, 2, 4, "resetTimer", &asn_DEF_ResetTimerArg, NULL },
	{ 34, 2, 4, "furnishChargingInformation", &asn_DEF_FurnishChargingInformationArg, NULL },
	{ 35, 2, 4, "applyCharging", &asn_DEF_ApplyChargingArg, NULL },
	{ 36, 2, 4, "applyChargingReport", &asn_DEF_ApplyChargingReportArg, NULL },
	{ 44, 2, 4, "callInformationReport", &asn_DEF_CallInformationReportArg, NULL },
	{ 45, 2, 4, "callInformationRequest", &asn_DEF_CallInformationRequestArg, NULL },
	/* activityTest returns an empty result. */
	{ 55, 2, 4, "activityTest", NULL, NULL },
	{ 60, 3, 4, "initialDPSMS", &asn_DEF_InitialDPSMSArg, NULL },
	{ 62, 3, 4, "connectSMS", &asn_DEF_ConnectSMSArg, NULL },
	{ 63, 3, 4, "requestReportSMSEvent", &asn_DEF_RequestReportSMSEventArg, NULL },
	{ 64, 3, 4, "eventReportSMS", &asn_DEF_EventReportSMSArg, NULL },
	{ 65, 3, 4, "continueSMS", NULL, NULL },
	{ 66, 3, 4, "releaseSMS", &asn_DEF_ReleaseSMSArg, NULL },
	{ 0, 0, 0, NULL, NULL, NULL },
};

/* CAP-errorcodes and CAP-errortypes. */
const struct ss7_error cap_errors[] = {
	{ 0, 2, 4, "canceled", NULL },
	{ 1, 2, 4, "cancelFailed", &asn_DEF_CancelFailedPARAM },
	{ 3, 2, 4, "eTCFailed", NULL },
	{ 4, 2, 4, "improperCallerResponse", NULL },
	{ 6, 2, 4, "missingCustomerRecord", NULL },
	{ 7, 2, 4, "missingParameter", NULL },
	{ 8, 2, 4, "parameterOutOfRange", NULL },
	{ 10, 2, 4, "requestedInfoError", &asn_DEF_RequestedInfoErrorParameter },
	{ 11, 2, 4, "systemFailure", &asn_DEF_UnavailableNetworkResource },
	{ 12, 2, 4, "taskRefused", &asn_DEF_TaskRefusedParameter },
	{ 13, 2, 4, "unavailableResource", NULL },
	{ 14, 2, 4, "unexpectedComponentSequence", NULL },
	{ 15, 2, 4, "unexpectedDataValue", NULL },
	{ 16, 2, 4, "unexpectedParameter", NULL },
	{ 17, 2, 4, "unknownLegID", NULL },
	{ 50, 3, 4, "unknownPDPID", NULL },
	{ 51, 4, 4, "unknownCSID", NULL },
	{ 0, 0, 0, NULL, NULL },
};

/*
 * Phase 2: {itu-t(0) identified-organization(4) etsi(0) mobileDomain(0)
 *   gsm-Network(1) applicationContext(0) <ac> version2(1)}.
 * Phases 3 and 4 (CAP-object-identifiers): id-CAP3 = 0.4.0.0.1.20,
 * id-CAP3OE = 0.4.0.0.1.21, id-CAP = 0.4.0.0.1.22, id-CAPOE = 0.4.0.0.1.23;
 * id-ac = {root ac(3)}. The gsmSRF context hangs off id-CAP3 / id-CAP, the
 * others off the OE roots. The GPRS contexts kept their phase 3 value in
 * phase 4, so a dialogue on them is taken as phase 3.
 */
#define CAP_AC(v, n, a5, a6, a7) \
	{ SS7_PROTO_CAP, (v), (n), 8, { 0, 4, 0, 0, 1, (a5), (a6), (a7) } }

const struct ss7_app_context cap_app_contexts[] = {
	CAP_AC(2, "CAP-v2-gsmSSF-to-gsmSCF-AC", 0, 50, 1),
	CAP_AC(2, "CAP-v2-assist-gsmSSF-to-gsmSCF-AC", 0, 51, 1),
	CAP_AC(2, "CAP-v2-gsmSRF-to-gsmSCF-AC", 0, 52, 1),
	CAP_AC(3, "capssf-scfGenericAC", 21, 3, 4),
	CAP_AC(3, "capssf-scfAssistHandoffAC", 21, 3, 6),
	CAP_AC(3, "gsmSRF-gsmSCF-ac", 20, 3, 14),
	CAP_AC(3, "cap3-gprssf-scfAC", 21, 3, 50),
	CAP_AC(3, "cap3-gsmscf-gprsssfAC", 21, 3, 51),
	CAP_AC(3, "cap3-sms-AC", 21, 3, 61),
	CAP_AC(4, "capssf-scfGenericAC", 23, 3, 4),
	CAP_AC(4, "capssf-scfAssistHandoffAC", 23, 3, 6),
	CAP_AC(4, "capscf-ssfGenericAC", 23, 3, 8),
	CAP_AC(4, "gsmSRF-gsmSCF-ac", 22, 3, 14),
	CAP_AC(4, "cap4-sms-AC", 23, 3, 61),
	{ SS7_PROTO_NONE, 0, NULL, 0, { 0 } },
};
