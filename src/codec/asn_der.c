/*
 * DER encoding of asn1c structures in one pass. asn1c's encoders size every
 * subtree before writing it, at every level, so a message is walked once per
 * nesting depth; writing backwards from the end of the buffer knows each
 * length when its header is due. The output is byte for byte what asn1c's
 * der_encode() writes (tests compare the two); types this file does not
 * handle (SET, SET OF, times, REAL) make it answer ASN_DER_UNSUPPORTED and
 * the caller falls back to der_encode().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <INTEGER.h>
#include <BOOLEAN.h>
#include <OCTET_STRING.h>
#include <BIT_STRING.h>
#include <constr_CHOICE.h>
#include <constr_SET_OF.h>
#include <asn_SET_OF.h>

#include "asn_json.h"

struct dw {
	uint8_t *buf;
	size_t pos;		/* the output is buf[pos..end): writing moves pos down */
};

static int put(struct dw *w, const void *p, size_t n)
{
	if (n > w->pos)
		return ASN_DER_NO_ROOM;
	w->pos -= n;
	if (n)
		memcpy(w->buf + w->pos, p, n);
	return 0;
}

static int put1(struct dw *w, uint8_t b)
{
	if (!w->pos)
		return ASN_DER_NO_ROOM;
	w->buf[--w->pos] = b;
	return 0;
}

/* One identifier and length, before content of len octets. */
static int put_tl(struct dw *w, ber_tlv_tag_t tag, size_t len, int constructed)
{
	uint8_t tl[16];
	unsigned cls = tag & 3, num = (unsigned)(tag >> 2), shift;
	size_t n = 0;
	int k;

	if (num <= 30) {
		tl[n++] = (uint8_t)(cls << 6 | (constructed ? 0x20 : 0) | num);
	} else {
		tl[n++] = (uint8_t)(cls << 6 | (constructed ? 0x20 : 0) | 0x1f);
		for (shift = 28; shift && !(num >> shift); shift -= 7)
			;
		for (; shift; shift -= 7)
			tl[n++] = (uint8_t)(0x80 | ((num >> shift) & 0x7f));
		tl[n++] = (uint8_t)(num & 0x7f);
	}
	if (len < 0x80) {
		tl[n++] = (uint8_t)len;
	} else {
		for (k = 0; k < (int)sizeof(len) && (len >> (8 * k)); k++)
			;
		tl[n++] = (uint8_t)(0x80 | k);
		while (k-- > 0)
			tl[n++] = (uint8_t)(len >> (8 * k));
	}
	return put(w, tl, n);
}

/* The tags of td as der_write_tags() sees them, around content of len octets. */
static int put_tags(struct dw *w, asn_TYPE_descriptor_t *td, size_t len, int tag_mode, int last_constructed,
		    ber_tlv_tag_t tag)
{
	ber_tlv_tag_t tags[16];
	int count, i, rc;
	size_t end = w->pos + len;

	if (tag_mode) {
		int off = -1 + (tag_mode == -1 && td->tags_count);
		count = td->tags_count + 1 - (tag_mode == -1 && td->tags_count);
		if (count > 16)
			return ASN_DER_UNSUPPORTED;
		tags[0] = tag;
		for (i = 1; i < count; i++)
			tags[i] = td->tags[i + off];
	} else {
		count = td->tags_count;
		if (count > 16)
			return ASN_DER_UNSUPPORTED;
		for (i = 0; i < count; i++)
			tags[i] = td->tags[i];
	}
	for (i = count - 1; i >= 0; i--)
		if ((rc = put_tl(w, tags[i], end - w->pos, i < count - 1 || last_constructed)))
			return rc;
	return 0;
}

static int encode(struct dw *w, asn_TYPE_descriptor_t *td, const void *sptr, int tag_mode, ber_tlv_tag_t tag);

/* der_encode() callback appending to a bounded buffer (the fallback path). */
static int append_cb(const void *b, size_t n, void *key)
{
	struct { uint8_t *p; size_t len, cap; } *o = key;

	if (o->len + n > o->cap) {
		o->len += n;
		return -1;
	}
	memcpy(o->p + o->len, b, n);
	o->len += n;
	return 0;
}

static const void *member_value(const void *sptr, const asn_TYPE_member_t *m)
{
	const char *p = (const char *)sptr + m->memb_offset;

	return (m->flags & ATF_POINTER) ? *(const void *const *)p : p;
}

/* Unknown extension runs recorded for sptr that stand before member "at". */
static int put_runs(struct dw *w, const asn_TYPE_descriptor_t *td, const void *sptr, int at)
{
	const struct asn_ext_run *r, *runs[16];
	size_t cursor = 0;
	int n = 0, rc;

	while ((r = asn_ext_next(td, sptr, &cursor)))
		if (r->before == at) {
			if (n == 16)
				return ASN_DER_UNSUPPORTED;
			runs[n++] = r;
		}
	while (n-- > 0)
		if ((rc = put(w, runs[n]->tlv, runs[n]->len)))
			return rc;
	return 0;
}

static int encode_sequence(struct dw *w, asn_TYPE_descriptor_t *td, const void *sptr, int tag_mode,
			   ber_tlv_tag_t tag)
{
	size_t end = w->pos, cursor = 0;
	bool ext = asn_ext_next(td, sptr, &cursor) != NULL;
	int i, rc;

	if (ext && (rc = put_runs(w, td, sptr, td->elements_count)))
		return rc;
	for (i = td->elements_count - 1; i >= 0; i--) {
		asn_TYPE_member_t *m = &td->elements[i];
		const void *mp = member_value(sptr, m);

		if (mp) {
			if ((rc = encode(w, m->type, mp, m->tag_mode, m->tag)))
				return rc;
		} else if (!m->optional) {
			return ASN_DER_INVALID;
		}
		if (ext && (rc = put_runs(w, td, sptr, i)))
			return rc;
	}
	return put_tags(w, td, end - w->pos, tag_mode, 1, tag);
}

static int encode_choice(struct dw *w, asn_TYPE_descriptor_t *td, const void *sptr, int tag_mode,
			 ber_tlv_tag_t tag)
{
	int present = asn_choice_present(td, sptr), rc;
	size_t end = w->pos;
	asn_TYPE_member_t *m;
	const void *mp;

	if (present < 1 || present > td->elements_count)
		return ASN_DER_INVALID;
	m = &td->elements[present - 1];
	mp = member_value(sptr, m);
	if (!mp)
		return ASN_DER_INVALID;
	if ((rc = encode(w, m->type, mp, m->tag_mode, m->tag)))
		return rc;
	if (tag_mode || td->tags_count)
		return put_tags(w, td, end - w->pos, tag_mode, 1, tag);
	return 0;
}

static int encode_sequence_of(struct dw *w, asn_TYPE_descriptor_t *td, const void *sptr, int tag_mode,
			      ber_tlv_tag_t tag)
{
	const asn_anonymous_set_ *list = _A_CSET_FROM_VOID(sptr);
	asn_TYPE_member_t *m = &td->elements[0];
	size_t end = w->pos;
	int i, rc;

	for (i = list->count - 1; i >= 0; i--)
		if ((rc = encode(w, m->type, list->array[i], m->tag_mode, m->tag)))
			return rc;
	return put_tags(w, td, end - w->pos, tag_mode, 1, tag);
}

/* Minimal two's complement of v, as INTEGER_encode_der leaves it. */
static int encode_long(struct dw *w, asn_TYPE_descriptor_t *td, long v, int tag_mode, ber_tlv_tag_t tag)
{
	uint8_t b[sizeof(long)];
	unsigned long u = (unsigned long)v;
	size_t i, start = 0;
	int rc;

	for (i = sizeof(b); i-- > 0; u >>= 8)
		b[i] = (uint8_t)u;
	while (start < sizeof(b) - 1 &&
	       ((b[start] == 0x00 && !(b[start + 1] & 0x80)) || (b[start] == 0xff && (b[start + 1] & 0x80))))
		start++;
	if ((rc = put(w, b + start, sizeof(b) - start)))
		return rc;
	return put_tags(w, td, sizeof(b) - start, tag_mode, 0, tag);
}

static int encode_integer(struct dw *w, asn_TYPE_descriptor_t *td, const INTEGER_t *st, int tag_mode,
			  ber_tlv_tag_t tag)
{
	const uint8_t *p = st->buf, *end1;
	int rc;

	if (!p || st->size <= 0) {
		if ((rc = put(w, NULL, 0)))
			return rc;
		return put_tags(w, td, 0, tag_mode, 0, tag);
	}
	for (end1 = st->buf + st->size - 1; p < end1; p++)
		if (!((p[0] == 0x00 && !(p[1] & 0x80)) || (p[0] == 0xff && (p[1] & 0x80))))
			break;
	if ((rc = put(w, p, (size_t)(st->buf + st->size - p))))
		return rc;
	return put_tags(w, td, (size_t)(st->buf + st->size - p), tag_mode, 0, tag);
}

static int encode_bit_string(struct dw *w, asn_TYPE_descriptor_t *td, const BIT_STRING_t *st, int tag_mode,
			     ber_tlv_tag_t tag)
{
	int rc;

	if (st->size < 0 || st->bits_unused < 0 || st->bits_unused > 7)
		return ASN_DER_INVALID;
	if (st->size > 0) {
		/* DER: the unused bits of the last octet are zero */
		uint8_t last = st->buf[st->size - 1] & (uint8_t)(0xff << st->bits_unused);
		if ((rc = put1(w, last)) || (rc = put(w, st->buf, (size_t)st->size - 1)))
			return rc;
	}
	if ((rc = put1(w, (uint8_t)st->bits_unused)))
		return rc;
	return put_tags(w, td, (size_t)st->size + 1, tag_mode, 0, tag);
}

static int encode(struct dw *w, asn_TYPE_descriptor_t *td, const void *sptr, int tag_mode, ber_tlv_tag_t tag)
{
	const OCTET_STRING_t *os = sptr;
	int rc;

	switch (asn_kind_of(td)) {
	case ASN_K_SEQUENCE:
		return encode_sequence(w, td, sptr, tag_mode, tag);
	case ASN_K_CHOICE:
		return encode_choice(w, td, sptr, tag_mode, tag);
	case ASN_K_SEQUENCE_OF:
		return encode_sequence_of(w, td, sptr, tag_mode, tag);
	case ASN_K_INTEGER:
	case ASN_K_ENUMERATED:
		return encode_integer(w, td, sptr, tag_mode, tag);
	case ASN_K_NATIVE_INTEGER:
	case ASN_K_NATIVE_ENUMERATED:
		return encode_long(w, td, *(const long *)sptr, tag_mode, tag);
	case ASN_K_BOOLEAN:
		if ((rc = put1(w, *(const BOOLEAN_t *)sptr ? 0xff : 0x00)))
			return rc;
		return put_tags(w, td, 1, tag_mode, 0, tag);
	case ASN_K_NULL:
		return put_tags(w, td, 0, tag_mode, 0, tag);
	case ASN_K_BIT_STRING:
		return encode_bit_string(w, td, sptr, tag_mode, tag);
	case ASN_K_OCTET_STRING:
	case ASN_K_STRING:
	case ASN_K_OID:
		if (os->size < 0)
			return ASN_DER_INVALID;
		if ((rc = put(w, os->buf, (size_t)os->size)))
			return rc;
		return put_tags(w, td, (size_t)os->size, tag_mode, 0, tag);
	case ASN_K_ANY:
		if (os->size < 0)
			return ASN_DER_INVALID;
		if ((rc = put(w, os->buf, (size_t)os->size)))
			return rc;
		/* an open type carries its own tags; only an EXPLICIT tag wraps it */
		return tag_mode == 1 ? put_tags(w, td, (size_t)os->size, tag_mode, 1, tag) : 0;
	default:
		return ASN_DER_UNSUPPORTED;
	}
}

long asn_der_encode(asn_TYPE_descriptor_t *td, const void *sptr, uint8_t *out, size_t cap)
{
	struct dw w = { .buf = out, .pos = cap };
	int rc = encode(&w, td, sptr, 0, 0);

	if (rc)
		return rc;
	memmove(out, out + w.pos, cap - w.pos);
	return (long)(cap - w.pos);
}

static bool selfcheck;

void asn_der_selfcheck(bool on)
{
	selfcheck = on;
}

static int cmp_cb(const void *b, size_t n, void *key)
{
	struct { const uint8_t *p; size_t left; bool same; } *k = key;

	if (n > k->left || memcmp(k->p, b, n))
		k->same = false;
	else
		k->p += n, k->left -= n;
	return 0;
}

long asn_der_encode_checked(asn_TYPE_descriptor_t *td, const void *sptr, uint8_t *out, size_t cap)
{
	long n = asn_der_encode(td, sptr, out, cap);
	struct { const uint8_t *p; size_t left; bool same; } k = { out, n > 0 ? (size_t)n : 0, true };
	asn_enc_rval_t er;

	if (n == ASN_DER_UNSUPPORTED || n == ASN_DER_INVALID) {
		/* asn1c's own encoder, into the same buffer */
		struct { uint8_t *p; size_t len, cap; } o = { out, 0, cap };
		er = der_encode(td, (void *)sptr, append_cb, &o);
		if (er.encoded < 0)
			return o.len > cap ? ASN_DER_NO_ROOM : ASN_DER_INVALID;
		return (long)o.len;
	}
	if (selfcheck && n >= 0) {
		er = der_encode(td, (void *)sptr, cmp_cb, &k);
		if (er.encoded != n || !k.same || k.left) {
			long i;
			fprintf(stderr, "asn_der: %s encodes differently from asn1c's der_encode (%zd vs %ld octets): ",
				td->name, er.encoded, n);
			for (i = 0; i < n; i++)
				fprintf(stderr, "%02x", out[i]);
			fprintf(stderr, "\n");
			abort();
		}
	}
	return n;
}
