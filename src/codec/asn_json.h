/*
 * Generic conversion between asn1c structures and JSON, driven only by asn1c's
 * type descriptors: no hand-written function per ASN.1 type. Decoding walks a
 * decoded structure and writes JSON (asn_json.c); encoding builds a structure
 * from a jansson value (json_asn.c). Telecom values and open types are handed
 * to hooks (codec_hooks.c, tcap_codec.c) through the context below.
 */
#pragma once

#include <stdbool.h>
#include <asn_application.h>
#include <ANY.h>
#include "jv.h"

#include "jw.h"
#include "gsm_values.h"

enum asn_kind {
	ASN_K_UNKNOWN,
	ASN_K_SEQUENCE,
	ASN_K_SET,
	ASN_K_CHOICE,
	ASN_K_SEQUENCE_OF,
	ASN_K_SET_OF,
	ASN_K_INTEGER,		/* INTEGER_t: bytes */
	ASN_K_ENUMERATED,
	ASN_K_NATIVE_INTEGER,	/* long (asn1c's default for constrained INTEGER) */
	ASN_K_NATIVE_ENUMERATED,
	ASN_K_BOOLEAN,
	ASN_K_NULL,
	ASN_K_OCTET_STRING,
	ASN_K_BIT_STRING,
	ASN_K_OID,
	ASN_K_ANY,
	ASN_K_STRING,		/* IA5String, VisibleString, ...: JSON text */
};

struct asn_json;

/* JSON key holding the unknown extension TLVs of a SEQUENCE, as hex. */
#define ASN_JSON_UNKNOWN_EXT "_unknownExtensions"

/* Hooks: each returns 1 when it handled the value, 0 to fall back to the
 * generic form, -1 on error (with c->err set). */
struct asn_json_hooks {
	/* an open type met while decoding / encoding */
	int (*any_to_json)(struct asn_json *c, asn_TYPE_descriptor_t *parent,
			   asn_TYPE_member_t *m, const ANY_t *any);
	int (*any_from_json)(struct asn_json *c, asn_TYPE_descriptor_t *parent,
			     asn_TYPE_member_t *m, const jv_t *v, ANY_t *any);
	/* called after a SEQUENCE member was written, to add derived fields */
	void (*after_member)(struct asn_json *c, asn_TYPE_descriptor_t *parent,
			     asn_TYPE_member_t *m, const void *mptr);
	/* called before a SEQUENCE member is built, to note context */
	void (*before_member)(struct asn_json *c, asn_TYPE_descriptor_t *parent,
			      asn_TYPE_member_t *m, const jv_t *v);
};

/* State of one conversion. */
struct asn_json {
	struct jw *w;				/* decode output */
	const struct asn_json_hooks *hooks;
	void *user;				/* the caller's own state */
	char *err;
	size_t errsz;
	int depth;
	bool path_started;			/* error text already has a path */
	int fail_stage;				/* asn_ber_to_json: how far a failed decode got */
	unsigned unknown_ext_seen;		/* decode: unknown extension runs written */
	/* context for telecom values that depend on their neighbours */
	int version;				/* application-context version, 0 if unknown */
	int ussd_dcs;				/* -1 until a USSD-DataCodingScheme was seen */
	int sms_dir;				/* enum sms_direction, or -1: from the TPDU */
	asn_TYPE_descriptor_t *parent;	/* SEQUENCE whose member is converted */
	asn_TYPE_member_t *member;	/* and that member */
};

/*
 * Members the hooks act on, found once at start-up by name so that the
 * per-message path compares pointers, not strings (asn_member_role()).
 */
enum member_role {
	MR_NONE = 0,
	MR_DIRECT_REFERENCE,		/* EXTERNAL.direct-reference */
	MR_ENCODING,			/* EXTERNAL.encoding */
	MR_SINGLE_ASN1_TYPE,		/* EXTERNAL.encoding.single-ASN1-type */
	MR_ACN,				/* AARQ/AARE/AUDT.application-context-name */
	MR_OPCODE,			/* Invoke/ReturnResult.opCode */
	MR_ERRORCODE,			/* ReturnError.errorCode */
	MR_PARAMETER,			/* the component's open type */
	MR_SM_RP_DA,
	MR_SM_RP_UI,
	MR_USSD_STRING,
	MR_COUNT
};
int asn_member_role(const asn_TYPE_member_t *m);

/* Resolve inherited descriptors (asn1c 0.9.28 fills derived types lazily);
 * must run once before either direction. */
void asn_json_prime(asn_TYPE_descriptor_t *td);
enum asn_kind asn_kind_of(asn_TYPE_descriptor_t *td);

int asn_json_error(struct asn_json *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void asn_json_ctfail(void *key, asn_TYPE_descriptor_t *td, const void *sptr, const char *fmt, ...);
const char *asn_json_clean_reason(char *why, size_t len);
/* When sptr (of type td; check and pc default to td's) breaks a constraint,
 * say where and which ("prefix: msisdn: 21 octets, the size is 1..20") and
 * return -1; 0 when every constraint holds. */
int asn_json_constraint_error(struct asn_json *c, const char *prefix, asn_TYPE_descriptor_t *td,
			      asn_constr_check_f *check, const asn_per_constraints_t *pc, const void *sptr);

/* Decode direction: write the JSON of *sptr (a structure of type td). */
int asn_to_json(struct asn_json *c, asn_TYPE_descriptor_t *td, const void *sptr);

/* Encode direction: fill *sptr (zeroed, sized for td) from v. */
int asn_from_json(struct asn_json *c, asn_TYPE_descriptor_t *td, const jv_t *v, void *sptr);

/* Enforce the SIZE bounds of a list type (see asn_json.c). */
int asn_check_list_size(struct asn_json *c, asn_TYPE_descriptor_t *td, int count);

/*
 * DER-encode a structure into out in one pass (asn_der.c). Returns the length,
 * or a negative ASN_DER_*: UNSUPPORTED means "use asn1c's der_encode()".
 */
#define ASN_DER_NO_ROOM (-1)
#define ASN_DER_INVALID (-2)
#define ASN_DER_UNSUPPORTED (-3)
long asn_der_encode(asn_TYPE_descriptor_t *td, const void *sptr, uint8_t *out, size_t cap);
/* The same, falling back to asn1c when needed; with the self-check on, every
 * result is compared with asn1c's der_encode() and a difference aborts. */
long asn_der_encode_checked(asn_TYPE_descriptor_t *td, const void *sptr, uint8_t *out, size_t cap);
void asn_der_selfcheck(bool on);

/* Size of the C structure that represents td. */
size_t asn_struct_size(asn_TYPE_descriptor_t *td);
/* The 1-based index of the CHOICE alternative present in sptr, 0 if none. */
int asn_choice_present(asn_TYPE_descriptor_t *td, const void *sptr);

/*
 * X.690 rules asn1c's BER decoders leave out (asn_strict.c): installed once,
 * before the types are primed. A decode that failed on one leaves the reason,
 * with its offset in base[0..len) when it lies there.
 */
void asn_strict_install(void);
void asn_strict_reset(void);
const char *asn_strict_reason(const uint8_t *base, size_t len, char *buf, size_t bufsz);
/* p[0..n) is exactly one whole TLV */
bool asn_strict_one_tlv(const uint8_t *p, size_t n);

/*
 * The stack one BER decode may use (asn1c's max_stack_size): deep nesting past it
 * is refused, not followed. Clang's ASan at -O0 (the fuzz build) makes asn1c's
 * frames up to 80 times their optimized size (OCTET_STRING_decode_ber: 13 KB), so
 * 30000 octets there would refuse every TCAP message at its first field.
 */
#if defined(__clang__) && defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASN_STACK_BUDGET (32 * 30000)
#endif
#endif
#ifndef ASN_STACK_BUDGET
#define ASN_STACK_BUDGET 30000
#endif

/* BER-decode buf as td and write its JSON; on failure returns -1, says why and
 * sets c->fail_stage to one of these (a later stage: a closer fit). */
enum asn_fail_stage { ASN_FAIL_STRUCTURE = 1, ASN_FAIL_X690, ASN_FAIL_VALUE };
int asn_ber_to_json(struct asn_json *c, asn_TYPE_descriptor_t *td, const uint8_t *buf, size_t len);
/* Build td from v and DER-encode it into a freshly allocated ANY. */
int asn_json_to_any(struct asn_json *c, asn_TYPE_descriptor_t *td, const jv_t *v, ANY_t *any);

/*
 * Unknown extensions (asn_ext.c): TLVs after an extension marker that no member
 * describes, kept per structure in a per-thread side table. Entries added
 * after asn_ext_mark() are dropped by asn_ext_release(mark).
 */
struct asn_ext_run {
	const uint8_t *tlv;		/* whole TLVs, back to back */
	size_t len;
	int before;			/* the member index it precedes; elements_count: the end */
};
void asn_ext_install(asn_TYPE_descriptor_t *td);
bool asn_ext_extensible(asn_TYPE_descriptor_t *td);
void asn_ext_recording(bool on);
size_t asn_ext_mark(void);
void asn_ext_release(size_t mark);
/* Iterate the runs of the structure sptr of type td: start with *cursor = 0; NULL at the
 * end. The type is part of the key: an embedded first member has its parent's address. */
const struct asn_ext_run *asn_ext_next(const asn_TYPE_descriptor_t *td, const void *sptr, size_t *cursor);
/* Record a run (copied) for it; all runs of one structure must be added together. */
int asn_ext_add(const asn_TYPE_descriptor_t *td, const void *sptr, const uint8_t *tlv, size_t len, int before);

/*
 * Value hooks for telecom types (codec_hooks.c). codec_value_to_json returns 1
 * when it wrote the value, 0 when td has no hook. codec_value_from_json
 * returns the encoded length, CODEC_VALUE_NONE when td has no hook, or
 * CODEC_VALUE_ERROR with c->err set.
 */
#define CODEC_VALUE_NONE (-1)
#define CODEC_VALUE_ERROR (-2)
int codec_value_to_json(struct asn_json *c, asn_TYPE_descriptor_t *td, const uint8_t *p, size_t n);
int codec_value_from_json(struct asn_json *c, asn_TYPE_descriptor_t *td, const jv_t *v,
			  uint8_t *out, size_t cap);
void codec_hooks_init(void);
/* Context the value hooks need from neighbouring fields (USSD DCS, SMS direction). */
void codec_after_member(struct asn_json *c, asn_TYPE_descriptor_t *parent,
			asn_TYPE_member_t *m, const void *mptr);
void codec_before_member(struct asn_json *c, asn_TYPE_descriptor_t *parent,
			 asn_TYPE_member_t *m, const jv_t *obj);
