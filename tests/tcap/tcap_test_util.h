/*
 * Helpers shared by the TCAP tests: a CHECK counter, hex in/out, and a one-line
 * text form of a parsed message (the expected values of the data-driven tests).
 */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/utils.h>

#include "tcap_msg.h"

static int passed, failed;

#define CHECK(cond, fmt, ...) do {						\
		if (cond) {							\
			passed++;						\
		} else {							\
			failed++;						\
			fprintf(stderr, "FAIL %s:%d: " fmt "\n", __FILE__, __LINE__, ##__VA_ARGS__); \
		}								\
	} while (0)

static inline size_t unhex(uint8_t *out, size_t cap, const char *hex)
{
	int n = osmo_hexparse(hex, out, cap);

	if (n < 0)
		abort();
	return n;
}

static inline const char *hexs(const void *d, size_t n)
{
	return n ? osmo_hexdump_nospc(d, n) : "";
}

/* Text form of one component (or of the Reject that answers a broken one) */
static inline void comp_str(struct osmo_strbuf *sb, const struct tcap_comp *c, int rc)
{
	if (rc < 0) {
		OSMO_STRBUF_PRINTF(*sb, " !%s", tcap_err_name(rc));
		if (c->invoke_id_present)
			OSMO_STRBUF_PRINTF(*sb, "(id=%d)", c->invoke_id);
		OSMO_STRBUF_PRINTF(*sb, ";");
		return;
	}
	OSMO_STRBUF_PRINTF(*sb, " %s", get_value_string(tcap_comp_type_names, c->type));
	if (c->invoke_id_present)
		OSMO_STRBUF_PRINTF(*sb, " id=%d", c->invoke_id);
	else
		OSMO_STRBUF_PRINTF(*sb, " id=null");
	if (c->linked_id_present)
		OSMO_STRBUF_PRINTF(*sb, " linked=%d", c->linked_id);
	if (c->op.present) {
		if (c->op.global)
			OSMO_STRBUF_PRINTF(*sb, " op=oid:%s", hexs(c->op.oid.data, c->op.oid.len));
		else
			OSMO_STRBUF_PRINTF(*sb, " op=%d", c->op.local);
	}
	if (c->err.present) {
		if (c->err.global)
			OSMO_STRBUF_PRINTF(*sb, " err=oid:%s", hexs(c->err.oid.data, c->err.oid.len));
		else
			OSMO_STRBUF_PRINTF(*sb, " err=%d", c->err.local);
	}
	if (c->param.len)
		OSMO_STRBUF_PRINTF(*sb, " param=%02x/%u", c->param.data[0], c->param.len);
	if (c->type == TCAP_COMP_REJECT)
		OSMO_STRBUF_PRINTF(*sb, " problem=%u:%u", c->problem_type, c->problem);
	OSMO_STRBUF_PRINTF(*sb, ";");
}

/* "Begin otid=.. dlg=AARQ pv=0780 acn=.. | Invoke id=1 op=45 param=30/23;" */
static inline const char *msg_str(const struct tcap_msg *m)
{
	static char buf[4096];
	struct osmo_strbuf sb = { .buf = buf, .len = sizeof(buf), .pos = buf };
	const struct tcap_dialogue *d = &m->dlg;
	struct tcap_comp_iter it;
	struct tcap_comp c;
	int rc;

	buf[0] = 0;
	OSMO_STRBUF_PRINTF(sb, "%s", tcap_msgt_name(m->type));
	if (m->otid.len)
		OSMO_STRBUF_PRINTF(sb, " otid=%s", hexs(m->otid.v, m->otid.len));
	if (m->dtid.len)
		OSMO_STRBUF_PRINTF(sb, " dtid=%s", hexs(m->dtid.v, m->dtid.len));
	if (m->p_abort_present)
		OSMO_STRBUF_PRINTF(sb, " pabort=%u", m->p_abort_cause);
	if (d->pdu != TCAP_DLG_NONE) {
		OSMO_STRBUF_PRINTF(sb, " dlg=%s", get_value_string(tcap_dlg_pdu_names, d->pdu));
		if (d->proto_version.len)
			OSMO_STRBUF_PRINTF(sb, " pv=%s", hexs(d->proto_version.data, d->proto_version.len));
		if (d->acn.len)
			OSMO_STRBUF_PRINTF(sb, " acn=%s", hexs(d->acn.data, d->acn.len));
		if (d->pdu == TCAP_DLG_AARE)
			OSMO_STRBUF_PRINTF(sb, " result=%u diag=%u:%u", d->result, d->diag_source, d->diag_value);
		if (d->pdu == TCAP_DLG_ABRT)
			OSMO_STRBUF_PRINTF(sb, " source=%u", d->abort_source);
		if (d->user_info.len)
			OSMO_STRBUF_PRINTF(sb, " ui=%u", d->user_info.len);
	}
	if (m->comps_present) {
		OSMO_STRBUF_PRINTF(sb, " |");
		tcap_comp_iter_init(&it, m);
		while ((rc = tcap_comp_next(&it, &c)) != 0)
			comp_str(&sb, &c, rc);
	}
	return buf;
}
