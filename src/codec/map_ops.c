/*
 * MAP (3GPP TS 29.002) operation, error and application-context tables.
 *
 * Argument, result and error parameter types are the asn1c descriptors
 * generated from asn1/MAP-*.asn.  Rows are per (code, AC version range),
 * newest version first (the codec tries them in table order when the
 * version is unknown):
 * where MAP v1/v2 used a structurally different syntax, a separate row
 * names the v1/v2 type; otherwise the v3 type (a superset, since later
 * versions only added OPTIONAL or extension fields) serves every version.
 */
#include <stddef.h>

#include "ops.h"

/* common / bare types used directly as parameters */
#include "IMSI.h"
#include "IMEI.h"
#include "ISDN-AddressString.h"
#include "Identity.h"
#include "BOOLEAN.h"

/* MAP-MS-DataTypes */
#include "UpdateLocationArg.h"
#include "UpdateLocationRes.h"
#include "UpdateLocationArgV2.h"
#include "CancelLocationArg.h"
#include "CancelLocationRes.h"
#include "PurgeMS-Arg.h"
#include "PurgeMS-Res.h"
#include "PurgeMS-ArgV2.h"
#include "UpdateGprsLocationArg.h"
#include "UpdateGprsLocationRes.h"
#include "SendAuthenticationInfoArg.h"
#include "SendAuthenticationInfoRes.h"
#include "SendAuthenticationInfoResV2.h"
#include "CheckIMEI-Arg.h"
#include "CheckIMEI-Res.h"
#include "EquipmentStatus.h"
#include "InsertSubscriberDataArg.h"
#include "InsertSubscriberDataRes.h"
#include "DeleteSubscriberDataArg.h"
#include "DeleteSubscriberDataRes.h"
#include "ProvideSubscriberInfoArg.h"
#include "ProvideSubscriberInfoRes.h"
#include "AnyTimeInterrogationArg.h"
#include "AnyTimeInterrogationRes.h"

/* MAP-CH-DataTypes */
#include "SendRoutingInfoArg.h"
#include "SendRoutingInfoRes.h"
#include "SendRoutingInfoArgV2.h"
#include "SendRoutingInfoResV2.h"
#include "ProvideRoamingNumberArg.h"
#include "ProvideRoamingNumberRes.h"

/* MAP-SM-DataTypes */
#include "RoutingInfoForSM-Arg.h"
#include "RoutingInfoForSM-Res.h"
#include "RoutingInfoForSM-ArgV1.h"
#include "RoutingInfoForSM-ResV1.h"
#include "MO-ForwardSM-Arg.h"
#include "MO-ForwardSM-Res.h"
#include "MT-ForwardSM-Arg.h"
#include "MT-ForwardSM-Res.h"
#include "ForwardSM-Arg.h"
#include "ReportSM-DeliveryStatusArg.h"
#include "ReportSM-DeliveryStatusArgV1.h"
#include "ReportSM-DeliveryStatusRes.h"
#include "AlertServiceCentreArg.h"
#include "InformServiceCentreArg.h"
#include "ReadyForSM-Arg.h"
#include "ReadyForSM-Res.h"

/* MAP-LCS-DataTypes */
#include "RoutingInfoForLCS-Arg.h"
#include "RoutingInfoForLCS-Res.h"
#include "ProvideSubscriberLocation-Arg.h"
#include "ProvideSubscriberLocation-Res.h"
#include "SubscriberLocationReport-Arg.h"
#include "SubscriberLocationReport-Res.h"

/* MAP-SS-DataTypes */
#include "USSD-Arg.h"
#include "USSD-Res.h"
#include "SS-Status.h"
#include "SS-Code.h"
#include "RegisterSS-Arg.h"
#include "SS-ForBS-Code.h"
#include "SS-Info.h"
#include "InterrogateSS-Res.h"
#include "Password.h"
#include "GuidanceInfo.h"
#include "SS-UserData.h"
#include "SS-InvocationNotificationArg.h"
#include "SS-InvocationNotificationRes.h"
#include "RegisterCC-EntryArg.h"
#include "RegisterCC-EntryRes.h"
#include "EraseCC-EntryArg.h"
#include "EraseCC-EntryRes.h"

/* MAP-ER-DataTypes */
#include "SystemFailureParam.h"
#include "DataMissingParam.h"
#include "UnexpectedDataParam.h"
#include "FacilityNotSupParam.h"
#include "IncompatibleTerminalParam.h"
#include "ResourceLimitationParam.h"
#include "UnknownSubscriberParam.h"
#include "NumberChangedParam.h"
#include "UnidentifiedSubParam.h"
#include "RoamingNotAllowedParam.h"
#include "RoamingNotAllowedCause.h"
#include "IllegalSubscriberParam.h"
#include "IllegalEquipmentParam.h"
#include "BearerServNotProvParam.h"
#include "TeleservNotProvParam.h"
#include "NoRoamingNbParam.h"
#include "AbsentSubscriberParam.h"
#include "BusySubscriberParam.h"
#include "NoSubscriberReplyParam.h"
#include "CallBarredParam.h"
#include "ForwardingViolationParam.h"
#include "ForwardingFailedParam.h"
#include "CUG-RejectParam.h"
#include "CUG-RejectCause.h"
#include "OR-NotAllowedParam.h"
#include "ATI-NotAllowedParam.h"
#include "ATSI-NotAllowedParam.h"
#include "ATM-NotAllowedParam.h"
#include "InformationNotAvailableParam.h"
#include "SubBusyForMT-SMS-Param.h"
#include "SM-DeliveryFailureCause.h"
#include "SM-EnumeratedDeliveryFailureCause.h"
#include "MessageWaitListFullParam.h"
#include "AbsentSubscriberSM-Param.h"
#include "SS-IncompatibilityCause.h"
#include "IllegalSS-OperationParam.h"
#include "SS-NotAvailableParam.h"
#include "SS-SubscriptionViolationParam.h"
#include "PW-RegistrationFailureCause.h"
#include "PositionMethodFailure-Param.h"
#include "UnauthorizedRequestingNetwork-Param.h"
#include "UnauthorizedLCSClient-Param.h"
#include "UnknownOrUnreachableLCSClient-Param.h"
#include "TargetCellOutsideGCA-Param.h"
#include "TracingBufferFullParam.h"
#include "NoGroupCallNbParam.h"
#include "OngoingGroupCallParam.h"
#include "ShortTermDenialParam.h"
#include "LongTermDenialParam.h"
#include "MM-EventNotSupported-Param.h"

const struct ss7_operation map_operations[] = {
	/* location management */
	{  2, 3, 3, "updateLocation",		&asn_DEF_UpdateLocationArg,	&asn_DEF_UpdateLocationRes },
	{  2, 1, 2, "updateLocation",		&asn_DEF_UpdateLocationArgV2,	&asn_DEF_ISDN_AddressString },
	{  3, 3, 3, "cancelLocation",		&asn_DEF_CancelLocationArg,	&asn_DEF_CancelLocationRes },
	{  3, 1, 2, "cancelLocation",		&asn_DEF_Identity,		NULL },
	{ 67, 3, 3, "purgeMS",			&asn_DEF_PurgeMS_Arg,		&asn_DEF_PurgeMS_Res },
	{ 67, 2, 2, "purgeMS",			&asn_DEF_PurgeMS_ArgV2,		NULL },
	{ 23, 3, 3, "updateGprsLocation",	&asn_DEF_UpdateGprsLocationArg,	&asn_DEF_UpdateGprsLocationRes },
	{ 58, 2, 2, "sendIMSI",			&asn_DEF_ISDN_AddressString,	&asn_DEF_IMSI },

	/* authentication, equipment management */
	{ 56, 3, 3, "sendAuthenticationInfo",	&asn_DEF_SendAuthenticationInfoArg, &asn_DEF_SendAuthenticationInfoRes },
	{ 56, 2, 2, "sendAuthenticationInfo",	&asn_DEF_IMSI,			&asn_DEF_SendAuthenticationInfoResV2 },
	{ 43, 3, 3, "checkIMEI",		&asn_DEF_CheckIMEI_Arg,		&asn_DEF_CheckIMEI_Res },
	{ 43, 1, 2, "checkIMEI",		&asn_DEF_IMEI,			&asn_DEF_EquipmentStatus },

	/* subscriber data management */
	{  7, 1, 3, "insertSubscriberData",	&asn_DEF_InsertSubscriberDataArg, &asn_DEF_InsertSubscriberDataRes },
	{  8, 1, 3, "deleteSubscriberData",	&asn_DEF_DeleteSubscriberDataArg, &asn_DEF_DeleteSubscriberDataRes },

	/* subscriber information */
	{ 70, 3, 3, "provideSubscriberInfo",	&asn_DEF_ProvideSubscriberInfoArg, &asn_DEF_ProvideSubscriberInfoRes },
	{ 71, 3, 3, "anyTimeInterrogation",	&asn_DEF_AnyTimeInterrogationArg, &asn_DEF_AnyTimeInterrogationRes },

	/* call handling */
	{ 22, 3, 3, "sendRoutingInfo",		&asn_DEF_SendRoutingInfoArg,	&asn_DEF_SendRoutingInfoRes },
	{ 22, 1, 2, "sendRoutingInfo",		&asn_DEF_SendRoutingInfoArgV2,	&asn_DEF_SendRoutingInfoResV2 },
	{  4, 3, 3, "provideRoamingNumber",	&asn_DEF_ProvideRoamingNumberArg, &asn_DEF_ProvideRoamingNumberRes },
	{  4, 1, 2, "provideRoamingNumber",	&asn_DEF_ProvideRoamingNumberArg, &asn_DEF_ISDN_AddressString },

	/* short message service */
	/* v1/v2 rows first for 45 and 46: without a dialogue portion (a v1 Begin, a
	 * later Continue/End) ForwardSM-Arg reads the TPDU in the direction its
	 * sm-RP-DA gives, where MO-ForwardSM-Arg would always assume MO */
	{ 45, 1, 1, "sendRoutingInfoForSM",	&asn_DEF_RoutingInfoForSM_ArgV1,	&asn_DEF_RoutingInfoForSM_ResV1 },
	{ 45, 2, 3, "sendRoutingInfoForSM",	&asn_DEF_RoutingInfoForSM_Arg,	&asn_DEF_RoutingInfoForSM_Res },
	{ 46, 1, 2, "forwardSM",		&asn_DEF_ForwardSM_Arg,		NULL },
	{ 46, 3, 3, "mo-ForwardSM",		&asn_DEF_MO_ForwardSM_Arg,	&asn_DEF_MO_ForwardSM_Res },
	{ 44, 3, 3, "mt-ForwardSM",		&asn_DEF_MT_ForwardSM_Arg,	&asn_DEF_MT_ForwardSM_Res },
	{ 47, 1, 1, "reportSM-DeliveryStatus",	&asn_DEF_ReportSM_DeliveryStatusArgV1, NULL },
	{ 47, 2, 2, "reportSM-DeliveryStatus",	&asn_DEF_ReportSM_DeliveryStatusArg, &asn_DEF_ISDN_AddressString },
	{ 47, 3, 3, "reportSM-DeliveryStatus",	&asn_DEF_ReportSM_DeliveryStatusArg, &asn_DEF_ReportSM_DeliveryStatusRes },
	{ 64, 2, 2, "alertServiceCentre",	&asn_DEF_AlertServiceCentreArg,	NULL },
	{ 49, 1, 1, "alertServiceCentreWithoutResult", &asn_DEF_AlertServiceCentreArg, NULL },
	{ 63, 2, 3, "informServiceCentre",	&asn_DEF_InformServiceCentreArg, NULL },
	{ 66, 2, 2, "readyForSM",		&asn_DEF_ReadyForSM_Arg,	NULL },
	{ 66, 3, 3, "readyForSM",		&asn_DEF_ReadyForSM_Arg,	&asn_DEF_ReadyForSM_Res },
	{ 48, 1, 1, "noteSubscriberPresent",	&asn_DEF_IMSI,			NULL },

	/* supplementary services (networkFunctionalSsContext-v1/v2); the result
	 * of registerSS .. deactivateSS is optional; getPassword is the HLR's
	 * linked request for the password within an SS operation */
	{ 10, 1, 2, "registerSS",		&asn_DEF_RegisterSS_Arg,	&asn_DEF_SS_Info },
	{ 11, 1, 2, "eraseSS",			&asn_DEF_SS_ForBS_Code,		&asn_DEF_SS_Info },
	{ 12, 1, 2, "activateSS",		&asn_DEF_SS_ForBS_Code,		&asn_DEF_SS_Info },
	{ 13, 1, 2, "deactivateSS",		&asn_DEF_SS_ForBS_Code,		&asn_DEF_SS_Info },
	{ 14, 1, 2, "interrogateSS",		&asn_DEF_SS_ForBS_Code,		&asn_DEF_InterrogateSS_Res },
	{ 17, 1, 2, "registerPassword",		&asn_DEF_SS_Code,		&asn_DEF_Password },
	{ 18, 1, 2, "getPassword",		&asn_DEF_GuidanceInfo,		&asn_DEF_Password },
	{ 19, 1, 1, "processUnstructuredSS-Data", &asn_DEF_SS_UserData,	&asn_DEF_SS_UserData },

	/* ss-InvocationNotificationContext-v3 (MSC/gsmSCF -> gsmSCF),
	 * callCompletionContext-v3 (CCBS, VLR -> HLR) */
	{ 72, 3, 3, "ss-InvocationNotification", &asn_DEF_SS_InvocationNotificationArg, &asn_DEF_SS_InvocationNotificationRes },
	{ 76, 3, 3, "registerCC-Entry",		&asn_DEF_RegisterCC_EntryArg,	&asn_DEF_RegisterCC_EntryRes },
	{ 77, 3, 3, "eraseCC-Entry",		&asn_DEF_EraseCC_EntryArg,	&asn_DEF_EraseCC_EntryRes },

	/* location services (locationSvcGatewayContext-v3, locationSvcEnquiryContext-v3) */
	{ 85, 3, 3, "sendRoutingInfoForLCS",	&asn_DEF_RoutingInfoForLCS_Arg,	&asn_DEF_RoutingInfoForLCS_Res },
	{ 83, 3, 3, "provideSubscriberLocation", &asn_DEF_ProvideSubscriberLocation_Arg, &asn_DEF_ProvideSubscriberLocation_Res },
	{ 86, 3, 3, "subscriberLocationReport",	&asn_DEF_SubscriberLocationReport_Arg, &asn_DEF_SubscriberLocationReport_Res },

	/* unstructured supplementary services (networkUnstructuredSsContext-v2) */
	{ 59, 2, 2, "processUnstructuredSS-Request", &asn_DEF_USSD_Arg,	&asn_DEF_USSD_Res },
	{ 60, 2, 2, "unstructuredSS-Request",	&asn_DEF_USSD_Arg,		&asn_DEF_USSD_Res },
	{ 61, 2, 2, "unstructuredSS-Notify",	&asn_DEF_USSD_Arg,		NULL },

	{ 0, 0, 0, NULL, NULL, NULL }
};

const struct ss7_error map_errors[] = {
	/* generic */
	{ 34, 1, 3, "systemFailure",		&asn_DEF_SystemFailureParam },
	{ 35, 1, 3, "dataMissing",		&asn_DEF_DataMissingParam },
	{ 36, 1, 3, "unexpectedDataValue",	&asn_DEF_UnexpectedDataParam },
	{ 21, 1, 3, "facilityNotSupported",	&asn_DEF_FacilityNotSupParam },
	{ 28, 1, 3, "incompatibleTerminal",	&asn_DEF_IncompatibleTerminalParam },
	{ 51, 1, 3, "resourceLimitation",	&asn_DEF_ResourceLimitationParam },

	/* identification and numbering */
	{  1, 1, 3, "unknownSubscriber",	&asn_DEF_UnknownSubscriberParam },
	{ 44, 1, 3, "numberChanged",		&asn_DEF_NumberChangedParam },
	{  3, 1, 3, "unknownMSC",		NULL },
	{  5, 1, 3, "unidentifiedSubscriber",	&asn_DEF_UnidentifiedSubParam },
	{  7, 1, 3, "unknownEquipment",		NULL },

	/* subscription */
	{  8, 3, 3, "roamingNotAllowed",	&asn_DEF_RoamingNotAllowedParam },
	{  8, 1, 2, "roamingNotAllowed",	&asn_DEF_RoamingNotAllowedCause },
	{  9, 1, 3, "illegalSubscriber",	&asn_DEF_IllegalSubscriberParam },
	{ 12, 1, 3, "illegalEquipment",		&asn_DEF_IllegalEquipmentParam },
	{ 10, 1, 3, "bearerServiceNotProvisioned", &asn_DEF_BearerServNotProvParam },
	{ 11, 1, 3, "teleserviceNotProvisioned", &asn_DEF_TeleservNotProvParam },

	/* handover / group call */
	{ 40, 1, 3, "tracingBufferFull",	&asn_DEF_TracingBufferFullParam },
	{ 42, 3, 3, "targetCellOutsideGroupCallArea", &asn_DEF_TargetCellOutsideGCA_Param },
	{ 50, 3, 3, "noGroupCallNumberAvailable", &asn_DEF_NoGroupCallNbParam },
	{ 22, 3, 3, "ongoingGroupCall",		&asn_DEF_OngoingGroupCallParam },

	/* call handling */
	{ 39, 1, 3, "noRoamingNumberAvailable",	&asn_DEF_NoRoamingNbParam },
	{ 27, 3, 3, "absentSubscriber",		&asn_DEF_AbsentSubscriberParam },
	{ 27, 2, 2, "absentSubscriber",		NULL },	/* AbsentSubscriberParam not in v < 3 */
	{ 27, 1, 1, "absentSubscriber",		&asn_DEF_BOOLEAN },	/* mwd-Set BOOLEAN, v1 only */
	{ 45, 1, 3, "busySubscriber",		&asn_DEF_BusySubscriberParam },
	{ 46, 1, 3, "noSubscriberReply",	&asn_DEF_NoSubscriberReplyParam },
	{ 13, 1, 3, "callBarred",		&asn_DEF_CallBarredParam },
	{ 14, 1, 3, "forwardingViolation",	&asn_DEF_ForwardingViolationParam },
	{ 47, 1, 3, "forwardingFailed",		&asn_DEF_ForwardingFailedParam },
	{ 15, 3, 3, "cug-Reject",		&asn_DEF_CUG_RejectParam },
	{ 15, 1, 2, "cug-Reject",		&asn_DEF_CUG_RejectCause },
	{ 48, 1, 3, "or-NotAllowed",		&asn_DEF_OR_NotAllowedParam },

	/* any time interrogation / modification */
	{ 49, 3, 3, "ati-NotAllowed",		&asn_DEF_ATI_NotAllowedParam },
	{ 60, 3, 3, "atsi-NotAllowed",		&asn_DEF_ATSI_NotAllowedParam },
	{ 61, 3, 3, "atm-NotAllowed",		&asn_DEF_ATM_NotAllowedParam },
	{ 62, 3, 3, "informationNotAvailable",	&asn_DEF_InformationNotAvailableParam },
	{ 59, 3, 3, "mm-EventNotSupported",	&asn_DEF_MM_EventNotSupported_Param },

	/* supplementary services */
	{ 16, 1, 3, "illegalSS-Operation",	&asn_DEF_IllegalSS_OperationParam },
	{ 17, 1, 3, "ss-ErrorStatus",		&asn_DEF_SS_Status },
	{ 18, 1, 3, "ss-NotAvailable",		&asn_DEF_SS_NotAvailableParam },
	{ 19, 1, 3, "ss-SubscriptionViolation",	&asn_DEF_SS_SubscriptionViolationParam },
	{ 20, 1, 3, "ss-Incompatibility",	&asn_DEF_SS_IncompatibilityCause },
	{ 71, 2, 3, "unknownAlphabet",		NULL },
	{ 72, 2, 3, "ussd-Busy",		NULL },
	{ 37, 1, 3, "pw-RegistrationFailure",	&asn_DEF_PW_RegistrationFailureCause },
	{ 38, 1, 3, "negativePW-Check",		NULL },
	{ 43, 1, 3, "numberOfPW-AttemptsViolation", NULL },
	{ 29, 2, 3, "shortTermDenial",		&asn_DEF_ShortTermDenialParam },
	{ 30, 2, 3, "longTermDenial",		&asn_DEF_LongTermDenialParam },

	/* short message service */
	{ 31, 1, 3, "subscriberBusyForMT-SMS",	&asn_DEF_SubBusyForMT_SMS_Param },
	{ 32, 1, 1, "sm-DeliveryFailure",	&asn_DEF_SM_EnumeratedDeliveryFailureCause },
	{ 32, 2, 3, "sm-DeliveryFailure",	&asn_DEF_SM_DeliveryFailureCause },
	{ 33, 1, 3, "messageWaitingListFull",	&asn_DEF_MessageWaitListFullParam },
	{  6, 1, 3, "absentSubscriberSM",	&asn_DEF_AbsentSubscriberSM_Param },

	/* location services */
	{ 52, 3, 3, "unauthorizedRequestingNetwork", &asn_DEF_UnauthorizedRequestingNetwork_Param },
	{ 53, 3, 3, "unauthorizedLCSClient",	&asn_DEF_UnauthorizedLCSClient_Param },
	{ 54, 3, 3, "positionMethodFailure",	&asn_DEF_PositionMethodFailure_Param },
	{ 58, 3, 3, "unknownOrUnreachableLCSClient", &asn_DEF_UnknownOrUnreachableLCSClient_Param },

	{ 0, 0, 0, NULL, NULL }
};

/* {itu-t(0) identified-organization(4) etsi(0) mobileDomain(0) gsm-Network(1) ac-Id(0) ac version} */
#define MAP_AC(ac, ver, nm) \
	{ SS7_PROTO_MAP, (ver), (nm), 8, { 0, 4, 0, 0, 1, 0, (ac), (ver) } }

const struct ss7_app_context map_app_contexts[] = {
	MAP_AC( 1, 1, "networkLocUpContext-v1"),
	MAP_AC( 1, 2, "networkLocUpContext-v2"),
	MAP_AC( 1, 3, "networkLocUpContext-v3"),
	MAP_AC( 2, 1, "locationCancellationContext-v1"),
	MAP_AC( 2, 2, "locationCancellationContext-v2"),
	MAP_AC( 2, 3, "locationCancellationContext-v3"),
	MAP_AC( 3, 1, "roamingNumberEnquiryContext-v1"),
	MAP_AC( 3, 2, "roamingNumberEnquiryContext-v2"),
	MAP_AC( 3, 3, "roamingNumberEnquiryContext-v3"),
	MAP_AC( 5, 1, "locationInfoRetrievalContext-v1"),
	MAP_AC( 5, 2, "locationInfoRetrievalContext-v2"),
	MAP_AC( 5, 3, "locationInfoRetrievalContext-v3"),
	MAP_AC( 8, 3, "callCompletionContext-v3"),
	MAP_AC(10, 1, "resetContext-v1"),
	MAP_AC(10, 2, "resetContext-v2"),
	MAP_AC(13, 1, "equipmentMngtContext-v1"),
	MAP_AC(13, 2, "equipmentMngtContext-v2"),
	MAP_AC(13, 3, "equipmentMngtContext-v3"),
	MAP_AC(14, 1, "infoRetrievalContext-v1"),
	MAP_AC(14, 2, "infoRetrievalContext-v2"),
	MAP_AC(14, 3, "infoRetrievalContext-v3"),
	MAP_AC(16, 1, "subscriberDataMngtContext-v1"),
	MAP_AC(16, 2, "subscriberDataMngtContext-v2"),
	MAP_AC(16, 3, "subscriberDataMngtContext-v3"),
	MAP_AC(18, 1, "networkFunctionalSsContext-v1"),
	MAP_AC(18, 2, "networkFunctionalSsContext-v2"),
	MAP_AC(19, 2, "networkUnstructuredSsContext-v2"),
	MAP_AC(20, 1, "shortMsgGatewayContext-v1"),
	MAP_AC(20, 2, "shortMsgGatewayContext-v2"),
	MAP_AC(20, 3, "shortMsgGatewayContext-v3"),
	MAP_AC(21, 1, "shortMsgRelayContext-v1"),
	MAP_AC(21, 2, "shortMsgMO-RelayContext-v2"),
	MAP_AC(21, 3, "shortMsgMO-RelayContext-v3"),
	MAP_AC(23, 1, "shortMsgAlertContext-v1"),
	MAP_AC(23, 2, "shortMsgAlertContext-v2"),
	MAP_AC(24, 1, "mwdMngtContext-v1"),
	MAP_AC(24, 2, "mwdMngtContext-v2"),
	MAP_AC(24, 3, "mwdMngtContext-v3"),
	MAP_AC(25, 2, "shortMsgMT-RelayContext-v2"),
	MAP_AC(25, 3, "shortMsgMT-RelayContext-v3"),
	MAP_AC(26, 2, "imsiRetrievalContext-v2"),
	MAP_AC(27, 2, "msPurgingContext-v2"),
	MAP_AC(27, 3, "msPurgingContext-v3"),
	MAP_AC(28, 3, "subscriberInfoEnquiryContext-v3"),
	MAP_AC(29, 3, "anyTimeInfoEnquiryContext-v3"),
	MAP_AC(32, 3, "gprsLocationUpdateContext-v3"),
	MAP_AC(36, 3, "ss-InvocationNotificationContext-v3"),
	MAP_AC(37, 3, "locationSvcGatewayContext-v3"),
	MAP_AC(38, 3, "locationSvcEnquiryContext-v3"),
	{ SS7_PROTO_NONE, 0, NULL, 0, { 0 } }
};
