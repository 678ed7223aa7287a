/*
 * Unknown extensions: fields after a SEQUENCE's extension marker that our
 * ASN.1 does not define (a newer release, a vendor) are legal and must not be
 * lost. asn1c skips them silently, so the SEQUENCE decoder and encoder of every
 * extensible type are wrapped: decoding records the skipped TLVs per decoded
 * structure, encoding writes recorded TLVs back after the known members.
 * The records live in a per-thread side table for the duration of one
 * conversion, keyed by structure address.
 */
#include <stdlib.h>
#include <string.h>

#include <constr_SEQUENCE.h>
#include <ber_decoder.h>
#include <der_encoder.h>

#include "asn_json.h"

struct ext_entry {
	const void *sptr;
	const uint8_t *tlv;		/* all unknown TLVs of sptr, back to back */
	size_t len;
	bool owned;			/* tlv was allocated, not a view of the input */
};

static __thread struct {
	struct ext_entry *v;
	size_t n, cap;
	bool active;			/* record while decoding */
} tab;

size_t asn_ext_mark(void)
{
	return tab.n;
}

void asn_ext_release(size_t mark)
{
	while (tab.n > mark) {
		struct ext_entry *e = &tab.v[--tab.n];
		if (e->owned)
			free((void *)e->tlv);
	}
	if (!tab.n) {
		free(tab.v);
		tab.v = NULL;
		tab.cap = 0;
	}
}

void asn_ext_recording(bool on)
{
	tab.active = on;
}

static int add(const void *sptr, const uint8_t *tlv, size_t len, bool owned)
{
	if (tab.n == tab.cap) {
		size_t cap = tab.cap ? tab.cap * 2 : 16;
		struct ext_entry *nv = realloc(tab.v, cap * sizeof(*nv));
		if (!nv)
			return -1;
		tab.v = nv;
		tab.cap = cap;
	}
	tab.v[tab.n++] = (struct ext_entry){ .sptr = sptr, .tlv = tlv, .len = len, .owned = owned };
	return 0;
}

int asn_ext_find(const void *sptr, const uint8_t **tlv, size_t *len)
{
	size_t i;

	for (i = tab.n; i-- > 0;)
		if (tab.v[i].sptr == sptr) {
			*tlv = tab.v[i].tlv;
			*len = tab.v[i].len;
			return 1;
		}
	return 0;
}

int asn_ext_set(const void *sptr, const uint8_t *tlv, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);

	if (!copy)
		return -1;
	memcpy(copy, tlv, len);
	if (add(sptr, copy, len, true)) {
		free(copy);
		return -1;
	}
	return 0;
}

static bool known_tag(asn_TYPE_descriptor_t *td, ber_tlv_tag_t tag)
{
	const asn_SEQUENCE_specifics_t *s = td->specifics;
	int i;

	for (i = 0; i < s->tag2el_count; i++)
		if (s->tag2el[i].el_tag == tag)
			return true;
	return false;
}

/*
 * Walk the members' TLVs of a SEQUENCE that decoded fine and record those
 * whose tag no member has. asn1c accepted them, so they are well-formed and
 * lie after the extension marker. One run is recorded as a view of the input;
 * separate runs are joined into a copy.
 */
#define MAX_RUNS 16
static void record_unknown(asn_TYPE_descriptor_t *td, const void *sptr, const uint8_t *buf, size_t size,
			   int tag_mode)
{
	struct { const uint8_t *p; size_t n; } runs[MAX_RUNS];
	int nruns = 0, i;
	size_t total = 0;
	ber_tlv_len_t clen;
	asn_dec_rval_t rv = ber_check_tags(NULL, td, NULL, buf, size, tag_mode, 1, &clen, NULL);
	const uint8_t *p, *end;
	uint8_t *joined;

	if (rv.code != RC_OK)
		return;
	p = buf + rv.consumed;
	end = clen >= 0 ? p + clen : buf + size;
	while (p < end) {
		ber_tlv_tag_t tag;
		ssize_t tl = ber_fetch_tag(p, (size_t)(end - p), &tag), skip;

		if (tl <= 0)
			return;
		if (tag == 0 && p + 1 < end && p[1] == 0)	/* end-of-contents */
			break;
		skip = ber_skip_length(NULL, BER_TLV_CONSTRUCTED(p), p + tl, (size_t)(end - p - tl));
		if (skip <= 0)
			return;
		if (!known_tag(td, tag)) {
			if (nruns && runs[nruns - 1].p + runs[nruns - 1].n == p)
				runs[nruns - 1].n += (size_t)(tl + skip);
			else if (nruns < MAX_RUNS)
				runs[nruns++] = (typeof(runs[0])){ p, (size_t)(tl + skip) };
			else
				return;
			total += (size_t)(tl + skip);
		}
		p += tl + skip;
	}
	if (nruns == 1)
		add(sptr, runs[0].p, runs[0].n, false);
	else if (nruns > 1 && (joined = malloc(total))) {
		for (total = 0, i = 0; i < nruns; i++) {
			memcpy(joined + total, runs[i].p, runs[i].n);
			total += runs[i].n;
		}
		if (add(sptr, joined, total, true))
			free(joined);
	}
}

static asn_dec_rval_t ext_decode_ber(asn_codec_ctx_t *cc, asn_TYPE_descriptor_t *td, void **sptr,
				     const void *buf, size_t size, int tag_mode)
{
	asn_dec_rval_t rv = SEQUENCE_decode_ber(cc, td, sptr, buf, size, tag_mode);

	if (rv.code == RC_OK && tab.active && *sptr)
		record_unknown(td, *sptr, buf, rv.consumed, tag_mode);
	return rv;
}

static void *member_value(void *sptr, asn_TYPE_member_t *m)
{
	void *p = (char *)sptr + m->memb_offset;

	return (m->flags & ATF_POINTER) ? *(void **)p : p;
}

/* asn1c's SEQUENCE_encode_der, plus the recorded TLVs after the members. */
static asn_enc_rval_t ext_encode_der(asn_TYPE_descriptor_t *td, void *sptr, int tag_mode, ber_tlv_tag_t tag,
				     asn_app_consume_bytes_f *cb, void *app_key)
{
	asn_enc_rval_t er = { -1, td, sptr };
	const uint8_t *extra;
	size_t extra_len, size = 0;
	ssize_t hdr;
	int i;

	if (!asn_ext_find(sptr, &extra, &extra_len))
		return SEQUENCE_encode_der(td, sptr, tag_mode, tag, cb, app_key);
	for (i = 0; i < td->elements_count; i++) {
		asn_TYPE_member_t *m = &td->elements[i];
		void *mp = member_value(sptr, m);
		asn_enc_rval_t r;

		if (!mp) {
			if (m->optional)
				continue;
			return er;
		}
		r = m->type->der_encoder(m->type, mp, m->tag_mode, m->tag, NULL, NULL);
		if (r.encoded < 0)
			return r;
		size += (size_t)r.encoded;
	}
	size += extra_len;
	hdr = der_write_tags(td, size, tag_mode, 1, tag, cb, app_key);
	if (hdr < 0)
		return er;
	er.encoded = (ssize_t)size + hdr;
	if (!cb)
		return er;
	for (i = 0; i < td->elements_count; i++) {
		asn_TYPE_member_t *m = &td->elements[i];
		void *mp = member_value(sptr, m);
		asn_enc_rval_t r;

		if (!mp)
			continue;
		r = m->type->der_encoder(m->type, mp, m->tag_mode, m->tag, cb, app_key);
		if (r.encoded < 0)
			return r;
	}
	if (cb(extra, extra_len, app_key) < 0) {
		er.encoded = -1;
		return er;
	}
	return er;
}

bool asn_ext_extensible(asn_TYPE_descriptor_t *td)
{
	const asn_SEQUENCE_specifics_t *s;

	if (asn_kind_of(td) != ASN_K_SEQUENCE)
		return false;
	s = td->specifics;
	return s->ext_after >= 0 || s->ext_before >= 0;
}

void asn_ext_install(asn_TYPE_descriptor_t *td)
{
	if (!asn_ext_extensible(td))
		return;
	if (td->ber_decoder == SEQUENCE_decode_ber)
		td->ber_decoder = ext_decode_ber;
	if (td->der_encoder == SEQUENCE_encode_der)
		td->der_encoder = ext_encode_der;
}
