/*
 * Unknown extensions: fields after a SEQUENCE's extension marker that our
 * ASN.1 does not define (a newer release, a vendor) are legal and must not be
 * lost. asn1c skips them silently, so the SEQUENCE decoder and encoder of every
 * extensible type are wrapped: decoding records each run of skipped TLVs with
 * the member it stood before, encoding writes the runs back in those places.
 * The records live in a per-thread side table for the duration of one
 * conversion, keyed by type and structure address: a SEQUENCE embedded as the
 * first member of another has its parent's address.
 */
#include <stdlib.h>
#include <string.h>

#include <constr_SEQUENCE.h>
#include <ber_decoder.h>
#include <der_encoder.h>

#include "asn_json.h"

struct ext_entry {
	const asn_TYPE_descriptor_t *td;
	const void *sptr;
	struct asn_ext_run run;
	bool owned;			/* run.tlv was allocated, not a view of the input */
};

/* Entries of one structure are added together, so they are contiguous. */
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
			free((void *)e->run.tlv);
	}
}

void asn_ext_recording(bool on)
{
	tab.active = on;
}

static int add(const asn_TYPE_descriptor_t *td, const void *sptr, const uint8_t *tlv, size_t len, int before,
	       bool owned)
{
	if (tab.n == tab.cap) {
		size_t cap = tab.cap ? tab.cap * 2 : 16;
		struct ext_entry *nv = realloc(tab.v, cap * sizeof(*nv));
		if (!nv)
			return -1;
		tab.v = nv;
		tab.cap = cap;
	}
	tab.v[tab.n++] = (struct ext_entry){
		.td = td, .sptr = sptr, .run = { .tlv = tlv, .len = len, .before = before }, .owned = owned,
	};
	return 0;
}

static bool is(const struct ext_entry *e, const asn_TYPE_descriptor_t *td, const void *sptr)
{
	return e->sptr == sptr && e->td == td;
}

const struct asn_ext_run *asn_ext_next(const asn_TYPE_descriptor_t *td, const void *sptr, size_t *cursor)
{
	size_t i = *cursor;

	if (i == 0) {		/* find the (last added) group of (td, sptr) */
		for (i = tab.n; i > 0 && !is(&tab.v[i - 1], td, sptr); i--)
			;
		if (!i)
			return NULL;
		while (i > 1 && is(&tab.v[i - 2], td, sptr))
			i--;
	} else if (i > tab.n || !is(&tab.v[i - 1], td, sptr)) {
		return NULL;
	}
	*cursor = i + 1;
	return &tab.v[i - 1].run;
}

int asn_ext_add(const asn_TYPE_descriptor_t *td, const void *sptr, const uint8_t *tlv, size_t len, int before)
{
	uint8_t *copy = malloc(len ? len : 1);

	if (!copy)
		return -1;
	memcpy(copy, tlv, len);
	if (add(td, sptr, copy, len, before, true)) {
		free(copy);
		return -1;
	}
	return 0;
}

/* The first member at or after pos that a tag belongs to; -1 if no member has
 * the tag, -2 if only members before pos have it (a duplicate, or out of
 * order). Two members may share a tag (ProvideRoamingNumberRes: roamingNumber
 * and vmsc-Address), hence the position. */
static int member_of_tag(asn_TYPE_descriptor_t *td, ber_tlv_tag_t tag, int pos)
{
	const asn_SEQUENCE_specifics_t *s = td->specifics;
	int i, best = -1;

	for (i = 0; i < s->tag2el_count; i++) {
		int el = s->tag2el[i].el_no;

		if (s->tag2el[i].el_tag != tag)
			continue;
		if (el >= pos && (best < 0 || el < best))
			best = el;
		else if (el < pos && best < 0)
			best = -2;
	}
	return best;
}

/*
 * asn1c 0.9.28 assumes unknown extensions come last: once it skipped one, it
 * never matches the optional members that follow, and drops them silently.
 * Decode such a member here. Returns 0 if it is now decoded (or was already),
 * -1 if it cannot be (then it is kept as an unknown extension, not lost).
 */
static int decode_skipped_member(asn_TYPE_descriptor_t *td, void *sptr, int el, const uint8_t *tlv, size_t len)
{
	asn_TYPE_member_t *m = &td->elements[el];
	void **mp = (void **)((char *)sptr + m->memb_offset);
	asn_codec_ctx_t cc = { .max_stack_size = ASN_STACK_BUDGET };
	asn_dec_rval_t rv;

	if (!(m->flags & ATF_POINTER))
		return 0;	/* inline members are mandatory: asn1c decoded it */
	if (*mp)
		return 0;	/* decoded; a duplicate would be an error asn1c caught */
	rv = m->type->ber_decoder(&cc, m->type, mp, tlv, len, m->tag_mode);
	if (rv.code == RC_OK && rv.consumed == len)
		return 0;
	ASN_STRUCT_FREE(*m->type, *mp);
	*mp = NULL;
	return -1;
}

/*
 * Walk the members' TLVs of a SEQUENCE that decoded fine: decode the known
 * members asn1c skipped, and record each run of TLVs whose tag no member has,
 * with the member that follows it. asn1c accepted them, so they are
 * well-formed and lie after the extension marker. A member's tag seen again
 * or out of order, or a skipped member that does not decode, makes the
 * SEQUENCE malformed (-1): kept as an unknown extension, it could not be
 * written back.
 */
#define MAX_RUNS 16
static int record_unknown(asn_TYPE_descriptor_t *td, const void *sptr, const uint8_t *buf, size_t size,
			  int tag_mode)
{
	struct asn_ext_run runs[MAX_RUNS];
	int nruns = 0, i, el, pos = 0;
	ber_tlv_len_t clen;
	asn_dec_rval_t rv = ber_check_tags(NULL, td, NULL, buf, size, tag_mode, 1, &clen, NULL);
	const uint8_t *p, *end;

	if (rv.code != RC_OK)
		return 0;
	p = buf + rv.consumed;
	end = clen >= 0 ? p + clen : buf + size;
	while (p < end) {
		ber_tlv_tag_t tag;
		ssize_t tl = ber_fetch_tag(p, (size_t)(end - p), &tag), skip;

		if (tl <= 0)
			return 0;
		if (tag == 0 && p + 1 < end && p[1] == 0) {
			if (clen >= 0)
				return -1;	/* end-of-contents in the definite form (X.690 8.1.5) */
			break;
		}
		skip = ber_skip_length(NULL, BER_TLV_CONSTRUCTED(p), p + tl, (size_t)(end - p - tl));
		if (skip <= 0)
			return 0;
		el = member_of_tag(td, tag, pos);
		if (el == -2)
			return -1;
		if (el >= 0) {
			if (decode_skipped_member(td, (void *)sptr, el, p, (size_t)(tl + skip)))
				return -1;
			pos = el + 1;
			for (i = 0; i < nruns; i++)
				if (runs[i].before < 0)
					runs[i].before = el;
		} else if (nruns && runs[nruns - 1].before < 0 && runs[nruns - 1].tlv + runs[nruns - 1].len == p) {
			runs[nruns - 1].len += (size_t)(tl + skip);
		} else if (nruns < MAX_RUNS) {
			runs[nruns++] = (struct asn_ext_run){ .tlv = p, .len = (size_t)(tl + skip), .before = -1 };
		} else {
			return 0;
		}
		p += tl + skip;
	}
	if (!tab.active)
		return 0;	/* a decode outside a conversion: nobody reads the records */
	for (i = 0; i < nruns; i++)
		add(td, sptr, runs[i].tlv, runs[i].len, runs[i].before < 0 ? td->elements_count : runs[i].before, false);
	return 0;
}

static asn_dec_rval_t ext_decode_ber(asn_codec_ctx_t *cc, asn_TYPE_descriptor_t *td, void **sptr,
				     const void *buf, size_t size, int tag_mode)
{
	asn_dec_rval_t rv = SEQUENCE_decode_ber(cc, td, sptr, buf, size, tag_mode);

	if (rv.code == RC_OK && *sptr && record_unknown(td, *sptr, buf, rv.consumed, tag_mode))
		rv.code = RC_FAIL;	/* the caller frees what was decoded */
	return rv;
}

static void *member_value(void *sptr, asn_TYPE_member_t *m)
{
	void *p = (char *)sptr + m->memb_offset;

	return (m->flags & ATF_POINTER) ? *(void **)p : p;
}

/* Write the runs recorded before member "at" (elements_count: the end). */
static ssize_t write_runs(asn_TYPE_descriptor_t *td, const void *sptr, int at, asn_app_consume_bytes_f *cb, void *app_key)
{
	const struct asn_ext_run *r;
	size_t cursor = 0;
	ssize_t n = 0;

	while ((r = asn_ext_next(td, sptr, &cursor)))
		if (r->before == at) {
			if (cb && cb(r->tlv, r->len, app_key) < 0)
				return -1;
			n += (ssize_t)r->len;
		}
	return n;
}

/* asn1c's SEQUENCE_encode_der, with the recorded runs in their places. */
static asn_enc_rval_t ext_encode_der(asn_TYPE_descriptor_t *td, void *sptr, int tag_mode, ber_tlv_tag_t tag,
				     asn_app_consume_bytes_f *cb, void *app_key)
{
	asn_enc_rval_t er = { -1, td, sptr };
	size_t cursor = 0, size = 0;
	ssize_t hdr, n;
	int i, pass;

	if (!asn_ext_next(td, sptr, &cursor))
		return SEQUENCE_encode_der(td, sptr, tag_mode, tag, cb, app_key);
	/* pass 0 sizes the contents, pass 1 writes them after the header */
	for (pass = 0; pass < (cb ? 2 : 1); pass++) {
		if (pass == 1) {
			hdr = der_write_tags(td, size, tag_mode, 1, tag, cb, app_key);
			if (hdr < 0)
				return er;
			er.encoded = (ssize_t)size + hdr;
		}
		for (i = 0; i <= td->elements_count; i++) {
			asn_TYPE_member_t *m;
			void *mp;
			asn_enc_rval_t r;

			n = write_runs(td, sptr, i, pass ? cb : NULL, app_key);
			if (n < 0)
				return er;
			size += pass ? 0 : (size_t)n;
			if (i == td->elements_count)
				break;	/* past the last member (elements is NULL when there is none) */
			m = &td->elements[i];
			mp = member_value(sptr, m);
			if (!mp) {
				if (m->optional)
					continue;
				return er;
			}
			r = m->type->der_encoder(m->type, mp, m->tag_mode, m->tag, pass ? cb : NULL, app_key);
			if (r.encoded < 0)
				return r;
			size += pass ? 0 : (size_t)r.encoded;
		}
	}
	if (!cb) {
		hdr = der_write_tags(td, size, tag_mode, 1, tag, NULL, NULL);
		if (hdr < 0)
			return er;
		er.encoded = (ssize_t)size + hdr;
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
	/* asn1c 0.9.28 drops the marker of "SEQUENCE { ... }" (PCS-Extensions,
	 * ShortTermDenialParam, ...): it would refuse every addition there. Each
	 * memberless SEQUENCE of our ASN.1 is written so; mark it extensible. */
	static struct asn_SEQUENCE_specifics_s memberless[32];	/* asn1c's are const */
	static unsigned n_memberless;

	if (asn_kind_of(td) == ASN_K_SEQUENCE && td->elements_count == 0
	    && n_memberless < sizeof(memberless) / sizeof(memberless[0])) {
		const asn_SEQUENCE_specifics_t *s = td->specifics;
		if (s->ext_after < 0 && s->ext_before < 0) {
			struct asn_SEQUENCE_specifics_s *m = &memberless[n_memberless++];
			memcpy(m, s, sizeof(*m));
			m->ext_before = 1;	/* extensions from member 0 on */
			td->specifics = m;
		}
	}
	if (!asn_ext_extensible(td))
		return;
	if (td->ber_decoder == SEQUENCE_decode_ber)
		td->ber_decoder = ext_decode_ber;
	if (td->der_encoder == SEQUENCE_encode_der)
		td->der_encoder = ext_encode_der;
}
