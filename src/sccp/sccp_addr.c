/*
 * SCCP called/calling party address (ITU-T Q.713 3.4, 3.5): address indicator,
 * 14-bit point code, SSN and the global title formats 1-4 with BCD digits.
 * The struct keeps what routing needs as plain fields; the GT indicator is
 * derived from which GT fields are present, so the two cannot disagree.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <osmocom/core/bit16gen.h>
#include <osmocom/core/utils.h>

#include "sccp_msg.h"

/* Q.713 Figure 6: address indicator */
#define AI_NATIONAL	0x80
#define AI_ROUTE_ON_SSN	0x40
#define AI_GTI_MASK	0x3c
#define AI_GTI_SHIFT	2
#define AI_SSN		0x02
#define AI_PC		0x01

#define GT_ODD		0x80	/* GTI 1: odd/even indicator */
#define GT_NAI_MASK	0x7f

const struct value_string sccp_gti_names[] = {
	{ SCCP_GTI_NONE,		"no GT" },
	{ SCCP_GTI_NAI,			"NAI" },
	{ SCCP_GTI_TT,			"TT" },
	{ SCCP_GTI_TT_NP_ES,		"TT+NP+ES" },
	{ SCCP_GTI_TT_NP_ES_NAI,	"TT+NP+ES+NAI" },
	{ 0, NULL }
};

const struct value_string sccp_es_names[] = {
	{ SCCP_ES_UNKNOWN,	"unknown" },
	{ SCCP_ES_BCD_ODD,	"BCD odd" },
	{ SCCP_ES_BCD_EVEN,	"BCD even" },
	{ SCCP_ES_NATIONAL,	"national" },
	{ 0, NULL }
};

const struct value_string sccp_np_names[] = {
	{ SCCP_NP_UNKNOWN,	"unknown" },
	{ SCCP_NP_ISDN,		"ISDN/telephony (E.164)" },
	{ SCCP_NP_GENERIC,	"generic" },
	{ SCCP_NP_DATA,		"data (X.121)" },
	{ SCCP_NP_TELEX,	"telex (F.69)" },
	{ SCCP_NP_MARITIME,	"maritime mobile (E.210/E.211)" },
	{ SCCP_NP_LAND_MOBILE,	"land mobile (E.212)" },
	{ SCCP_NP_ISDN_MOBILE,	"ISDN/mobile (E.214)" },
	{ SCCP_NP_PRIVATE,	"private" },
	{ 0, NULL }
};

const struct value_string sccp_nai_names[] = {
	{ SCCP_NAI_UNKNOWN,		"unknown" },
	{ SCCP_NAI_SUBSCRIBER,		"subscriber number" },
	{ SCCP_NAI_NATIONAL_USE,	"reserved for national use" },
	{ SCCP_NAI_NATIONAL,		"national significant number" },
	{ SCCP_NAI_INTERNATIONAL,	"international number" },
	{ 0, NULL }
};

/* What each GT indicator carries before the address signals, in wire order. */
static const uint8_t gt_fields[] = {
	[SCCP_GTI_NONE]		= 0,
	[SCCP_GTI_NAI]		= SCCP_ADDR_NAI,
	[SCCP_GTI_TT]		= SCCP_ADDR_TT,
	[SCCP_GTI_TT_NP_ES]	= SCCP_ADDR_TT | SCCP_ADDR_NP,
	[SCCP_GTI_TT_NP_ES_NAI]	= SCCP_ADDR_TT | SCCP_ADDR_NP | SCCP_ADDR_NAI,
};

static unsigned int gt_header_len(int gti)
{
	static const uint8_t len[] = { 0, 1, 1, 2, 3 };
	return len[gti];
}

int sccp_addr_gti(const struct sccp_addr *addr)
{
	uint8_t gt = addr->present & SCCP_ADDR_GT_MASK;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(gt_fields); i++) {
		if (gt_fields[i] == gt)
			return i;
	}
	return -SCCP_ERR_INVALID;
}

static bool es_is_bcd(uint8_t es)
{
	return es == SCCP_ES_BCD_ODD || es == SCCP_ES_BCD_EVEN;
}

int sccp_addr_set_gt(struct sccp_addr *addr, enum sccp_gti gti, uint8_t tt, uint8_t np,
		     uint8_t nai, const char *digits)
{
	size_t n = strlen(digits);

	if ((unsigned int)gti >= ARRAY_SIZE(gt_fields))
		return -SCCP_ERR_INVALID;
	if (n > SCCP_GT_MAX_DIGITS)
		return -SCCP_ERR_GT_TOO_LONG;
	addr->present = (addr->present & ~SCCP_ADDR_GT_MASK) | gt_fields[gti];
	addr->tt = tt;
	addr->np = np;
	addr->es = n % 2 ? SCCP_ES_BCD_ODD : SCCP_ES_BCD_EVEN;
	addr->nai = nai;
	memcpy(addr->digits, digits, n + 1);
	return 0;
}

/* Address signals from n octets; odd: the last octet's high nibble is filler. */
static int digits_decode(struct sccp_addr *addr, const uint8_t *p, size_t n, bool odd)
{
	size_t nibbles = 2 * n;

	if (odd) {
		if (n == 0)
			return -SCCP_ERR_GT_ODD_EVEN;
		nibbles--;
	}
	if (nibbles > SCCP_GT_MAX_DIGITS)
		return -SCCP_ERR_GT_TOO_LONG;
	/* allow_hex: codes 11, 12 and ST are valid address signals */
	if (osmo_bcd2str(addr->digits, sizeof(addr->digits), p, 0, nibbles, true) != (int)nibbles)
		return -SCCP_ERR_GT_TOO_LONG;
	return 0;
}

static int gt_decode(struct sccp_addr *addr, int gti, const uint8_t *p, size_t n)
{
	bool odd;

	if (gti == SCCP_GTI_NONE)
		return n ? -SCCP_ERR_ADDR_TRAILING : 0;
	if (gti >= (int)ARRAY_SIZE(gt_fields))
		return -SCCP_ERR_GTI;
	if (n < gt_header_len(gti))
		return -SCCP_ERR_ADDR_TRUNCATED;
	addr->present |= gt_fields[gti];

	switch (gti) {
	case SCCP_GTI_NAI:
		odd = p[0] & GT_ODD;
		addr->nai = p[0] & GT_NAI_MASK;
		break;
	case SCCP_GTI_TT:
		/* the encoding is implicit in the TT: keep every nibble */
		addr->tt = p[0];
		odd = false;
		break;
	default:
		addr->tt = p[0];
		addr->np = p[1] >> 4;
		addr->es = p[1] & 0x0f;
		if (gti == SCCP_GTI_TT_NP_ES_NAI)
			addr->nai = p[2] & GT_NAI_MASK;	/* bit 8 spare */
		odd = addr->es == SCCP_ES_BCD_ODD;
		break;
	}
	return digits_decode(addr, p + gt_header_len(gti), n - gt_header_len(gti), odd);
}

int sccp_addr_decode(struct sccp_addr *addr, const uint8_t *buf, size_t len)
{
	size_t off = 1;
	uint8_t ai;

	memset(addr, 0, sizeof(*addr));
	if (len < 1)
		return -SCCP_ERR_ADDR_TRUNCATED;
	ai = buf[0];
	addr->national = ai & AI_NATIONAL;
	addr->route_on_ssn = ai & AI_ROUTE_ON_SSN;
	/* Q.713 3.4.2: point code, then SSN, then global title */
	if (ai & AI_PC) {
		if (len < off + 2)
			return -SCCP_ERR_ADDR_TRUNCATED;
		addr->pc = osmo_load16le(buf + off) & SCCP_PC_MAX;	/* bits 15-16 spare */
		addr->present |= SCCP_ADDR_PC;
		off += 2;
	}
	if (ai & AI_SSN) {
		if (len < off + 1)
			return -SCCP_ERR_ADDR_TRUNCATED;
		addr->ssn = buf[off++];
		addr->present |= SCCP_ADDR_SSN;
	}
	return gt_decode(addr, (ai & AI_GTI_MASK) >> AI_GTI_SHIFT, buf + off, len - off);
}

/* Check the GT fields for the indicator; returns the octets of address signals. */
static int gt_check(const struct sccp_addr *addr, int gti, bool *odd)
{
	size_t n = strnlen(addr->digits, sizeof(addr->digits));

	if (n > SCCP_GT_MAX_DIGITS)
		return -SCCP_ERR_GT_TOO_LONG;
	*odd = n % 2;
	switch (gti) {
	case SCCP_GTI_NONE:
		return n ? -SCCP_ERR_INVALID : 0;
	case SCCP_GTI_NAI:
		if (addr->nai > GT_NAI_MASK)
			return -SCCP_ERR_INVALID;
		break;
	case SCCP_GTI_TT:
		/* no odd/even indicator: an odd count cannot be told from a 0 digit */
		if (*odd)
			return -SCCP_ERR_INVALID;
		break;
	default:
		if (addr->np > 0x0f || addr->es > 0x0f || addr->nai > GT_NAI_MASK)
			return -SCCP_ERR_INVALID;
		if (*odd && !es_is_bcd(addr->es))
			return -SCCP_ERR_INVALID;
		break;
	}
	return (n + 1) / 2;
}

static int digits_encode(uint8_t *p, size_t n, const char *digits, bool odd)
{
	if (!n)
		return 0;
	if (osmo_str2bcd(p, n, digits, 0, -1, true) != (int)n)
		return -SCCP_ERR_INVALID;
	if (odd)
		p[n - 1] &= 0x0f;	/* Q.713 3.4.2.3.1: filler 0000, not F */
	return 0;
}

int sccp_addr_encode(uint8_t *buf, size_t buflen, const struct sccp_addr *addr)
{
	int gti = sccp_addr_gti(addr);
	int ndig;
	size_t len, off = 1;
	bool odd;
	uint8_t *gt;

	if (gti < 0)
		return gti;
	if ((addr->present & SCCP_ADDR_PC) && addr->pc > SCCP_PC_MAX)
		return -SCCP_ERR_INVALID;
	ndig = gt_check(addr, gti, &odd);
	if (ndig < 0)
		return ndig;
	len = 1 + (addr->present & SCCP_ADDR_PC ? 2 : 0) + (addr->present & SCCP_ADDR_SSN ? 1 : 0)
	      + gt_header_len(gti) + ndig;
	if (len > buflen)
		return -SCCP_ERR_BUF_TOO_SMALL;

	buf[0] = (addr->national ? AI_NATIONAL : 0) | (addr->route_on_ssn ? AI_ROUTE_ON_SSN : 0)
		 | (gti << AI_GTI_SHIFT) | (addr->present & SCCP_ADDR_SSN ? AI_SSN : 0)
		 | (addr->present & SCCP_ADDR_PC ? AI_PC : 0);
	if (addr->present & SCCP_ADDR_PC) {
		osmo_store16le(addr->pc, buf + off);
		off += 2;
	}
	if (addr->present & SCCP_ADDR_SSN)
		buf[off++] = addr->ssn;

	gt = buf + off;
	switch (gti) {
	case SCCP_GTI_NAI:
		gt[0] = (odd ? GT_ODD : 0) | addr->nai;
		break;
	case SCCP_GTI_TT:
		gt[0] = addr->tt;
		break;
	case SCCP_GTI_TT_NP_ES:
	case SCCP_GTI_TT_NP_ES_NAI:
		gt[0] = addr->tt;
		gt[1] = addr->np << 4
			| (es_is_bcd(addr->es) ? (odd ? SCCP_ES_BCD_ODD : SCCP_ES_BCD_EVEN) : addr->es);
		if (gti == SCCP_GTI_TT_NP_ES_NAI)
			gt[2] = addr->nai;
		break;
	}
	if (digits_encode(gt + gt_header_len(gti), ndig, addr->digits, odd) < 0)
		return -SCCP_ERR_INVALID;
	return len;
}

bool sccp_addr_equal(const struct sccp_addr *a, const struct sccp_addr *b)
{
	if (a->present != b->present || a->route_on_ssn != b->route_on_ssn
	    || a->national != b->national)
		return false;
	if ((a->present & SCCP_ADDR_PC) && a->pc != b->pc)
		return false;
	if ((a->present & SCCP_ADDR_SSN) && a->ssn != b->ssn)
		return false;
	if ((a->present & SCCP_ADDR_TT) && a->tt != b->tt)
		return false;
	/* BCD odd/even follows from the digits, so only "BCD or not" counts */
	if ((a->present & SCCP_ADDR_NP)
	    && (a->np != b->np || (es_is_bcd(a->es) ? !es_is_bcd(b->es) : a->es != b->es)))
		return false;
	if ((a->present & SCCP_ADDR_NAI) && a->nai != b->nai)
		return false;
	return strcasecmp(a->digits, b->digits) == 0;
}

int sccp_addr_str(char *buf, size_t buflen, const struct sccp_addr *a)
{
	struct osmo_strbuf sb = { .buf = buf, .len = buflen, .pos = buf };
	int gti = sccp_addr_gti(a);

	if (buflen)
		buf[0] = '\0';
	OSMO_STRBUF_PRINTF(sb, "RI=%s", a->route_on_ssn ? "SSN" : "GT");
	if (a->national)
		OSMO_STRBUF_PRINTF(sb, " NAT");
	if (gti > 0) {
		OSMO_STRBUF_PRINTF(sb, " GT=%s(GTI=%d", a->digits, gti);
		if (a->present & SCCP_ADDR_TT)
			OSMO_STRBUF_PRINTF(sb, ",TT=%u", a->tt);
		if (a->present & SCCP_ADDR_NP)
			OSMO_STRBUF_PRINTF(sb, ",NP=%u,ES=%u", a->np, a->es);
		if (a->present & SCCP_ADDR_NAI)
			OSMO_STRBUF_PRINTF(sb, ",NAI=%u", a->nai);
		OSMO_STRBUF_PRINTF(sb, ")");
	} else if (gti < 0) {
		OSMO_STRBUF_PRINTF(sb, " GT=invalid");
	}
	if (a->present & SCCP_ADDR_SSN)
		OSMO_STRBUF_PRINTF(sb, " SSN=%u", a->ssn);
	if (a->present & SCCP_ADDR_PC)
		OSMO_STRBUF_PRINTF(sb, " PC=%u", a->pc);
	return sb.chars_needed;
}
