/*
 * Telecom values inside MAP/CAP parameters made readable: address strings,
 * TBCD digit strings, USSD strings, the SMS TPDU of SM-RP-UI, ISUP numbers.
 *
 * Contract shared by every pair below:
 *  - *_to_json() writes ONE JSON value (usually an object) with the friendly
 *    fields. It adds a "hex" member with the original bytes only when the
 *    friendly fields would not re-encode to exactly those bytes (or could not
 *    be decoded at all: then "hex" plus an "error" string). It never fails
 *    for any input bytes (worst case {"hex":..., "error":...}).
 *  - *_from_json() accepts what *_to_json() writes (and the friendly short
 *    forms documented per function). A "hex" member, when present, wins and
 *    is used verbatim. Returns the encoded length (>= 0), or -1 with a
 *    one-line message in err.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include "jv.h"

#include "jw.h"

enum sms_direction {
	SMS_MS_TO_SC,	/* MO: SMS-SUBMIT, SMS-COMMAND, SMS-DELIVER-REPORT */
	SMS_SC_TO_MS,	/* MT: SMS-DELIVER, SMS-STATUS-REPORT, SMS-SUBMIT-REPORT */
};

/* TS 29.002 AddressString / ISDN-AddressString / FTN-AddressString:
 * {"nature":"international","plan":"isdn","digits":"4915..."} */
void gsmv_address_to_json(struct jw *w, const uint8_t *p, size_t n);
int gsmv_address_from_json(const jv_t *v, uint8_t *out, size_t cap, char *err, size_t errsz);

/* TBCD-STRING (IMSI, IMEI, ...): a JSON string of digits. */
void gsmv_tbcd_to_json(struct jw *w, const uint8_t *p, size_t n);
int gsmv_tbcd_from_json(const jv_t *v, uint8_t *out, size_t cap, char *err, size_t errsz);

/* USSD-String per its CBS data coding scheme (TS 23.038): {"text":"..."} */
void gsmv_ussd_to_json(struct jw *w, uint8_t dcs, const uint8_t *p, size_t n);
int gsmv_ussd_from_json(const jv_t *v, uint8_t dcs, uint8_t *out, size_t cap, char *err, size_t errsz);
/* The DCS to use when the JSON gives text but no ussd-DataCodingScheme. */
uint8_t gsmv_ussd_pick_dcs(const char *utf8);

/* SMS TPDU (TS 23.040) carried in SM-RP-UI, decoded per direction. */
void gsmv_sms_tpdu_to_json(struct jw *w, enum sms_direction dir, const uint8_t *p, size_t n);
int gsmv_sms_tpdu_from_json(const jv_t *v, enum sms_direction dir, uint8_t *out, size_t cap, char *err, size_t errsz);

/* ISUP numbers (ITU-T Q.763 called/calling party, generic, location, redirecting
 * number formats) as used by CAP: {"nature":..,"plan":..,"digits":.., ...} */
enum isup_number_kind { ISUP_CALLED, ISUP_CALLING, ISUP_GENERIC, ISUP_LOCATION, ISUP_REDIRECTING };
void gsmv_isup_number_to_json(struct jw *w, enum isup_number_kind kind, const uint8_t *p, size_t n);
int gsmv_isup_number_from_json(const jv_t *v, enum isup_number_kind kind, uint8_t *out, size_t cap, char *err, size_t errsz);

/* TS 24.008 Called Party BCD Number (CAP CalledPartyBCDNumber). */
void gsmv_bcd_number_to_json(struct jw *w, const uint8_t *p, size_t n);
int gsmv_bcd_number_from_json(const jv_t *v, uint8_t *out, size_t cap, char *err, size_t errsz);

/* Q.850 cause (CAP Cause): {"location":..,"codingStandard":..,"value":16,"name":"normalCallClearing"} */
void gsmv_cause_to_json(struct jw *w, const uint8_t *p, size_t n);
int gsmv_cause_from_json(const jv_t *v, uint8_t *out, size_t cap, char *err, size_t errsz);
