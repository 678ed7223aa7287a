/*
 * Operation, error and application-context tables of the TCAP users (MAP, CAP).
 * asn1c cannot express ROS OPERATION/ERROR classes, so argument, result and error
 * parameters are open types; these tables say which ASN.1 type fills each of them.
 */
#pragma once

#include <stdint.h>
#include <asn_application.h>

enum ss7_proto {
	SS7_PROTO_NONE = 0,
	SS7_PROTO_MAP,
	SS7_PROTO_CAP,
};

/* One row per (opcode, version range); MAP v1/v2/v3 or CAP phases may use different types. */
struct ss7_operation {
	int opcode;
	uint8_t min_ver, max_ver;	/* AC versions this row applies to; MAP 1..3, CAP 2..4 */
	const char *name;		/* the spec's operation identifier, e.g. "sendRoutingInfoForSM" */
	asn_TYPE_descriptor_t *arg;	/* NULL when the operation has no argument */
	asn_TYPE_descriptor_t *res;	/* NULL when it returns no result (or result is empty) */
};

struct ss7_error {
	int code;
	uint8_t min_ver, max_ver;
	const char *name;		/* the spec's error identifier, e.g. "absentSubscriberSM" */
	asn_TYPE_descriptor_t *param;	/* NULL when the error has no parameter */
};

/* Application context names; the OID is kept as its arcs. */
struct ss7_app_context {
	enum ss7_proto proto;
	uint8_t version;		/* last arc for MAP; the CAP phase (2, 3, 4) for CAP */
	const char *name;		/* e.g. "shortMsgGatewayContext-v3" */
	uint8_t n_arcs;
	uint32_t arcs[10];
};

/* Tables, each terminated by a row whose name is NULL. */
extern const struct ss7_operation map_operations[];
extern const struct ss7_error map_errors[];
extern const struct ss7_app_context map_app_contexts[];
extern const struct ss7_operation cap_operations[];
extern const struct ss7_error cap_errors[];
extern const struct ss7_app_context cap_app_contexts[];
