/*
 * libFuzzer target for the TCAP message codec. Whatever parses is rebuilt from
 * its fields (the components that parse), parsed again and must give the same
 * fields; the rebuilt bytes must rebuild to themselves (DER is canonical).
 * Errors must be in range and map to one TCAP answer. tests/fuzz/replay_main.c
 * replays the corpus (tests/tcap/corpus) in gcc builds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tcap_msg.h"

static void must(int cond)
{
	if (!cond)
		abort();
}

static bool code_eq(const struct tcap_code *a, const struct tcap_code *b)
{
	return a->present == b->present && a->global == b->global
	       && (a->global ? tcap_buf_equal(&a->oid, &b->oid) : a->local == b->local);
}

static bool comp_eq(const struct tcap_comp *a, const struct tcap_comp *b)
{
	return a->type == b->type && a->invoke_id_present == b->invoke_id_present
	       && a->invoke_id == b->invoke_id && a->linked_id_present == b->linked_id_present
	       && (!a->linked_id_present || a->linked_id == b->linked_id)
	       && code_eq(&a->op, &b->op) && code_eq(&a->err, &b->err)
	       && tcap_buf_equal(&a->param, &b->param)
	       && a->problem_type == b->problem_type && a->problem == b->problem;
}

static bool msg_eq(const struct tcap_msg *a, const struct tcap_msg *b)
{
	const struct tcap_dialogue *x = &a->dlg, *y = &b->dlg;

	return a->type == b->type && a->otid.len == b->otid.len && !memcmp(a->otid.v, b->otid.v, a->otid.len)
	       && a->dtid.len == b->dtid.len && !memcmp(a->dtid.v, b->dtid.v, a->dtid.len)
	       && a->p_abort_present == b->p_abort_present && a->p_abort_cause == b->p_abort_cause
	       && a->unstructured == b->unstructured && x->pdu == y->pdu
	       && tcap_buf_equal(&x->proto_version, &y->proto_version) && tcap_buf_equal(&x->acn, &y->acn)
	       && x->result == y->result && x->diag_source == y->diag_source && x->diag_value == y->diag_value
	       && x->abort_source == y->abort_source && tcap_buf_equal(&x->user_info, &y->user_info);
}

static unsigned int collect(const struct tcap_msg *m, struct tcap_comp *comps, unsigned int *nbad)
{
	struct tcap_comp_iter it;
	struct tcap_comp c;
	unsigned int n = 0;
	int rc;

	*nbad = 0;
	tcap_comp_iter_init(&it, m);
	while ((rc = tcap_comp_next(&it, &c)) != 0) {
		if (rc < 0) {
			must(rc == -TCAP_ERR_TOO_MANY_COMPS
			     || (c.type == TCAP_COMP_REJECT && tcap_err_reject_problem(rc) == c.problem));
			(*nbad)++;
			continue;
		}
		must(c.param.len == 0 || (c.param.data >= m->comps.data
					  && c.param.data + c.param.len <= m->comps.data + m->comps.len));
		comps[n++] = c;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[1 << 17], out2[1 << 17];
	struct tcap_comp comps[TCAP_MAX_COMPS], comps2[TCAP_MAX_COMPS];
	struct tcap_msg m, m2;
	unsigned int n, n2, bad, bad2;
	int rc = tcap_msg_parse(&m, data, size), len, len2;

	if (rc < 0) {
		must(-rc > 0 && -rc < TCAP_ERR_COMP_UNRECOGNIZED);
		must(tcap_err_p_abort_cause(rc) >= 0 || rc == -TCAP_ERR_DLG_SYNTAX
		     || rc == -TCAP_ERR_DLG_AS || rc == -TCAP_ERR_DLG_VERSION);
		must(m.otid.len <= TCAP_TID_MAX && m.dtid.len <= TCAP_TID_MAX);
		return 0;
	}
	n = collect(&m, comps, &bad);
	if (m.type == TCAP_MSGT_UNI && n == 0)
		return 0;	/* nothing left to build a Unidirectional from */
	len = tcap_msg_build(out, sizeof(out), &m, comps, n);
	must(len > 0);
	must(tcap_msg_parse(&m2, out, len) == 0);
	must(msg_eq(&m, &m2));
	n2 = collect(&m2, comps2, &bad2);
	must(n2 == n && bad2 == 0);
	for (unsigned int i = 0; i < n; i++)
		must(comp_eq(&comps[i], &comps2[i]));
	len2 = tcap_msg_build(out2, sizeof(out2), &m2, comps2, n2);
	must(len2 == len && !memcmp(out, out2, len));
	return 0;
}
