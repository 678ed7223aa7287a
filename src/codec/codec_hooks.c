/*
 * Which ASN.1 types carry telecom values that JSON should show readably
 * (digits, text, a decoded SMS TPDU) instead of hex, and the context those
 * values take from their neighbours. The formats themselves are in gsm_values.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <OCTET_STRING.h>

#include <osmocom/core/utils.h>

#include "asn_json.h"
#include "gsm_values.h"
#include "ptrmap.h"

extern asn_TYPE_descriptor_t *asn_pdu_collection[];

enum value_kind {
	V_NONE,
	V_ADDRESS,		/* TS 29.002 AddressString family */
	V_TBCD,			/* IMSI, IMEI, TBCD-STRING */
	V_USSD_DCS,		/* noted for the USSD-String that follows */
	V_USSD_STRING,
	V_SMS_TPDU,		/* SM-RP-UI */
	V_ISUP_CALLED,
	V_ISUP_CALLING,
	V_ISUP_GENERIC,
	V_ISUP_LOCATION,
	V_ISUP_REDIRECTING,
	V_BCD_NUMBER,
	V_CAUSE,
	V_CONTAINED,		/* an OCTET STRING holding the BER of another type */
};

/*
 * ASN.1 type names (as the modules in asn1/ spell them) -> value format.
 * asn1c keeps no link from a derived type (X ::= Y) to its base, so every
 * name that is an alias of a listed type is listed too.
 */
static const struct {
	const char *type;
	enum value_kind kind;
} value_types[] = {
	{ "AddressString", V_ADDRESS },
	{ "ISDN-AddressString", V_ADDRESS },
	{ "FTN-AddressString", V_ADDRESS },
	{ "TBCD-STRING", V_TBCD },
	{ "IMSI", V_TBCD },
	{ "HLR-Id", V_TBCD },
	{ "IMEI", V_TBCD },
	{ "ASCI-CallReference", V_TBCD },
	{ "GroupId", V_TBCD },
	{ "Long-GroupId", V_TBCD },
	{ "RouteingNumber", V_TBCD },
	{ "USSD-DataCodingScheme", V_USSD_DCS },
	{ "USSD-String", V_USSD_STRING },
	{ "NameString", V_USSD_STRING },	/* LCS strings: USSD-String (SIZE ...) */
	{ "RequestorIDString", V_USSD_STRING },
	{ "LCSCodewordString", V_USSD_STRING },
	{ "CalledPartyNumber", V_ISUP_CALLED },
	{ "CallingPartyNumber", V_ISUP_CALLING },
	{ "GenericNumber", V_ISUP_GENERIC },
	{ "LocationNumber", V_ISUP_LOCATION },
	{ "ChargeNumber", V_ISUP_LOCATION },
	{ "RedirectingPartyID", V_ISUP_REDIRECTING },
	{ "OriginalCalledPartyID", V_ISUP_REDIRECTING },
	{ "CalledPartyBCDNumber", V_BCD_NUMBER },
	{ "Cause", V_CAUSE },
	{ "CAP-Cause", V_CAUSE },
};

/*
 * OCTET STRINGs that carry the BER of another type (TS 29.078 does this for
 * charging): shown decoded. The contained type changed between CAP phases;
 * rows are tried newest first when the phase is unknown.
 */
static const struct {
	const char *container;
	uint8_t min_ver, max_ver;
	const char *contained;
} contained_types[] = {
	{ "AChBillingChargingCharacteristics", 4, 4, "CAMEL-AChBillingChargingCharacteristics" },
	{ "AChBillingChargingCharacteristics", 3, 3, "CAMEL-AChBillingChargingCharacteristicsV3" },
	{ "AChBillingChargingCharacteristics", 2, 2, "CAMEL-AChBillingChargingCharacteristicsV2" },
	{ "CallResult", 2, 4, "CAMEL-CallResult" },
	{ "ApplyChargingReportArg", 2, 4, "CAMEL-CallResult" },
	{ "FCIBillingChargingCharacteristics", 2, 4, "CAMEL-FCIBillingChargingCharacteristics" },
	{ "FurnishChargingInformationArg", 2, 4, "CAMEL-FCIBillingChargingCharacteristics" },
};

#define N_CONTAINED (sizeof(contained_types) / sizeof(contained_types[0]))
static struct {
	asn_TYPE_descriptor_t *container, *contained;
} contained_td[N_CONTAINED];

/* Members whose type is too generic to tell (SignalInfo), found by name. */
static const struct {
	const char *parent;	/* NULL: any parent */
	const char *member;
	enum value_kind kind;
	int sms_dir;		/* -1: from the neighbouring sm-RP-DA */
} value_members[] = {
	{ "MO-ForwardSM-Arg", "sm-RP-UI", V_SMS_TPDU, SMS_MS_TO_SC },
	{ "MT-ForwardSM-Arg", "sm-RP-UI", V_SMS_TPDU, SMS_SC_TO_MS },
	{ "MO-ForwardSM-Res", "sm-RP-UI", V_SMS_TPDU, SMS_SC_TO_MS },
	{ "MT-ForwardSM-Res", "sm-RP-UI", V_SMS_TPDU, SMS_MS_TO_SC },
	{ NULL, "sm-RP-UI", V_SMS_TPDU, -1 },	/* forwardSM v1/v2: either way */
};

static struct ptrmap by_td;	/* descriptor -> enum value_kind */

void codec_hooks_init(void)
{
	asn_TYPE_descriptor_t **tdp;
	size_t i;

	for (tdp = asn_pdu_collection; *tdp; tdp++) {
		for (i = 0; i < sizeof(value_types) / sizeof(value_types[0]); i++)
			if (!strcmp((*tdp)->name, value_types[i].type))
				ptrmap_put(&by_td, *tdp, value_types[i].kind);
		for (i = 0; i < N_CONTAINED; i++) {
			if (!strcmp((*tdp)->name, contained_types[i].container))
				contained_td[i].container = *tdp;
			if (!strcmp((*tdp)->name, contained_types[i].contained))
				contained_td[i].contained = *tdp;
		}
	}
	for (i = 0; i < N_CONTAINED; i++)
		if (contained_td[i].container && contained_td[i].contained)
			ptrmap_put(&by_td, contained_td[i].container, V_CONTAINED);
}

/* The next contained type to try for container td, after row *i. */
static asn_TYPE_descriptor_t *next_contained(const struct asn_json *c, asn_TYPE_descriptor_t *td, size_t *i)
{
	for (; *i < N_CONTAINED; (*i)++)
		if (contained_td[*i].container == td && contained_td[*i].contained &&
		    (!c->version || (c->version >= contained_types[*i].min_ver &&
				     c->version <= contained_types[*i].max_ver)))
			return contained_td[(*i)++].contained;
	return NULL;
}

/* Decode the BER inside an OCTET STRING; on failure nothing is written. */
static int contained_to_json(struct asn_json *c, asn_TYPE_descriptor_t *td, const uint8_t *p, size_t n)
{
	char *saved_err = c->err, why[160];
	size_t saved_errsz = c->errsz, i = 0;
	asn_TYPE_descriptor_t *inner;

	while ((inner = next_contained(c, td, &i))) {
		struct jw_mark m = jw_mark(c->w);
		why[0] = '\0';
		c->err = why;
		c->errsz = sizeof(why);
		if (asn_ber_to_json(c, inner, p, n) == 0) {
			c->err = saved_err;
			c->errsz = saved_errsz;
			return 1;
		}
		jw_rollback(c->w, m);
	}
	c->err = saved_err;
	c->errsz = saved_errsz;
	return 0;	/* stays hex */
}

static int contained_from_json(struct asn_json *c, asn_TYPE_descriptor_t *td, const jv_t *v,
			       uint8_t *out, size_t cap)
{
	char *saved_err = c->err, why[200] = "", tmp[200];
	size_t saved_errsz = c->errsz, i = 0;
	asn_TYPE_descriptor_t *inner;

	while ((inner = next_contained(c, td, &i))) {
		ANY_t any = { 0 };
		tmp[0] = '\0';
		c->err = tmp;
		c->errsz = sizeof(tmp);
		if (asn_json_to_any(c, inner, v, &any) == 0 && (size_t)any.size <= cap) {
			int n = any.size;
			memcpy(out, any.buf, (size_t)n);
			asn_mem_free(any.buf);
			c->err = saved_err;
			c->errsz = saved_errsz;
			return n;
		}
		asn_mem_free(any.buf);
		if (!why[0])
			snprintf(why, sizeof(why), "%s", tmp[0] ? tmp : "too long");
	}
	c->err = saved_err;
	c->errsz = saved_errsz;
	asn_json_error(c, "%s", why[0] ? why : "no contained type for this phase");
	return CODEC_VALUE_ERROR;
}

static enum value_kind kind_of(const struct asn_json *c, asn_TYPE_descriptor_t *td, int *sms_dir)
{
	enum value_kind k = ptrmap_get(&by_td, td);
	size_t i;

	if (k != V_NONE)
		return k;
	if (!c->member || asn_member_role(c->member) != MR_SM_RP_UI)
		return V_NONE;
	for (i = 0; i < sizeof(value_members) / sizeof(value_members[0]); i++) {
		if (strcmp(c->member->name, value_members[i].member))
			continue;
		if (value_members[i].parent && (!c->parent || strcmp(c->parent->name, value_members[i].parent)))
			continue;
		*sms_dir = value_members[i].sms_dir >= 0 ? value_members[i].sms_dir : c->sms_dir;
		return value_members[i].kind;
	}
	return V_NONE;
}

/* The ISUP number format of a value kind (V_ISUP_*). */
static enum isup_number_kind isup_kind(enum value_kind k)
{
	switch (k) {
	case V_ISUP_CALLING: return ISUP_CALLING;
	case V_ISUP_GENERIC: return ISUP_GENERIC;
	case V_ISUP_LOCATION: return ISUP_LOCATION;
	case V_ISUP_REDIRECTING: return ISUP_REDIRECTING;
	default: return ISUP_CALLED;
	}
}

int codec_value_to_json(struct asn_json *c, asn_TYPE_descriptor_t *td, const uint8_t *p, size_t n)
{
	int sms_dir = -1;
	enum value_kind k = kind_of(c, td, &sms_dir);

	switch (k) {
	case V_ADDRESS:
		gsmv_address_to_json(c->w, p, n);
		return 1;
	case V_TBCD:
		gsmv_tbcd_to_json(c->w, p, n);
		return 1;
	case V_USSD_DCS:
		c->ussd_dcs = n == 1 ? p[0] : -1;
		return 0;	/* the DCS itself stays hex */
	case V_USSD_STRING:
		if (c->ussd_dcs < 0)
			return 0;
		gsmv_ussd_to_json(c->w, (uint8_t)c->ussd_dcs, p, n);
		return 1;
	case V_SMS_TPDU:
		if (sms_dir < 0)
			return 0;
		gsmv_sms_tpdu_to_json(c->w, sms_dir, p, n);
		return 1;
	case V_ISUP_CALLED:
	case V_ISUP_CALLING:
	case V_ISUP_GENERIC:
	case V_ISUP_LOCATION:
	case V_ISUP_REDIRECTING:
		gsmv_isup_number_to_json(c->w, isup_kind(k), p, n);
		return 1;
	case V_BCD_NUMBER:
		gsmv_bcd_number_to_json(c->w, p, n);
		return 1;
	case V_CAUSE:
		gsmv_cause_to_json(c->w, p, n);
		return 1;
	case V_CONTAINED:
		return contained_to_json(c, td, p, n);
	default:
		return 0;
	}
}

int codec_value_from_json(struct asn_json *c, asn_TYPE_descriptor_t *td, const jv_t *v,
			  uint8_t *out, size_t cap)
{
	char why[160] = "";
	int sms_dir = -1, n;
	enum value_kind k = kind_of(c, td, &sms_dir);

	/* A string is a friendly short form ("+4917...", a TBCD digit string,
	 * USSD text, a cause name); raw bytes are {"hex": ...}, as the decoder
	 * writes them. Only a contained type takes a plain hex string. */
	if (jv_is_string(v) && k == V_CONTAINED)
		return CODEC_VALUE_NONE;
	switch (k) {
	case V_ADDRESS:
		n = gsmv_address_from_json(v, out, cap, why, sizeof(why));
		break;
	case V_TBCD:
		n = gsmv_tbcd_from_json(v, out, cap, why, sizeof(why));
		break;
	case V_USSD_DCS:
		return CODEC_VALUE_NONE;
	case V_USSD_STRING:
		n = gsmv_ussd_from_json(v, (uint8_t)(c->ussd_dcs >= 0 ? c->ussd_dcs : 0x0f), out, cap,
					why, sizeof(why));
		break;
	case V_SMS_TPDU:
		if (sms_dir < 0)
			sms_dir = SMS_MS_TO_SC;
		n = gsmv_sms_tpdu_from_json(v, sms_dir, out, cap, why, sizeof(why));
		break;
	case V_ISUP_CALLED:
	case V_ISUP_CALLING:
	case V_ISUP_GENERIC:
	case V_ISUP_LOCATION:
	case V_ISUP_REDIRECTING:
		n = gsmv_isup_number_from_json(v, isup_kind(k), out, cap, why, sizeof(why));
		break;
	case V_BCD_NUMBER:
		n = gsmv_bcd_number_from_json(v, out, cap, why, sizeof(why));
		break;
	case V_CAUSE:
		n = gsmv_cause_from_json(v, out, cap, why, sizeof(why));
		break;
	case V_CONTAINED:
		return contained_from_json(c, td, v, out, cap);
	default:
		return CODEC_VALUE_NONE;
	}
	if (n < 0) {
		asn_json_error(c, "%s: %s", td->name, why);
		return CODEC_VALUE_ERROR;
	}
	return n;
}

/* A one-octet hex string ("0f"), or -1. */
static int parse_hex_octet(const char *s)
{
	uint8_t b;

	return s && osmo_hexparse(s, &b, 1) == 1 ? b : -1;
}

/* Decode direction: note what later siblings need. */
void codec_after_member(struct asn_json *c, asn_TYPE_descriptor_t *parent,
			asn_TYPE_member_t *m, const void *mptr)
{
	if (asn_member_role(m) == MR_SM_RP_DA) {
		/* forwardSM v1/v2 serves both directions: an SC address as
		 * destination means mobile-originated */
		int alt = asn_choice_present(m->type, mptr);
		c->sms_dir = alt > 0 && !strcmp(m->type->elements[alt - 1].name, "serviceCentreAddressDA")
			? SMS_MS_TO_SC : SMS_SC_TO_MS;
	}
}

/* Encode direction: the same context, taken from the JSON object being built. */
void codec_before_member(struct asn_json *c, asn_TYPE_descriptor_t *parent,
			 asn_TYPE_member_t *m, const jv_t *obj)
{
	int role = asn_member_role(m);

	if (role == MR_USSD_STRING || ptrmap_get(&by_td, m->type) == V_USSD_STRING) {
		/* USSD-Arg/Res name the coding scheme ussd-DataCodingScheme, the
		 * LCS name, requestor and codeword sequences dataCodingScheme */
		const jv_t *dcs = jv_object_get(obj, "ussd-DataCodingScheme");
		if (!dcs)
			dcs = jv_object_get(obj, "dataCodingScheme");
		c->ussd_dcs = jv_is_string(dcs) ? parse_hex_octet(jv_string_value(dcs)) : -1;
	} else if (role == MR_SM_RP_UI) {
		const jv_t *da = jv_object_get(obj, "sm-RP-DA");
		c->sms_dir = jv_is_object(da) && jv_object_get(da, "serviceCentreAddressDA")
			? SMS_MS_TO_SC : SMS_SC_TO_MS;
	}
}
