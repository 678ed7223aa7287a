/*
 * libFuzzer target for the SCCP codec and SCLC logic. One input is one SCCP
 * message. Whatever parses must encode, parse again to the same fields and
 * encode to the same bytes; a segment goes through the reassembler; UDT/XUDT
 * user data is split into XUDT segments that reassemble to the same data.
 * A broken property aborts. For gcc builds, tests/fuzz/replay_main.c replays
 * the corpus (tests/sccp/corpus) through the same function.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sccp_msg.h"
#include "sccp_sclc.h"

#define SPLIT_MAX_LEN	120	/* small, so that most user data is segmented */

static const struct sccp_reasm_cfg cfg = {
	.max_contexts = 4,
	.max_total = 8192,
	.max_msg = 4096,
	.timeout_ms = 1000,
};

static void must(int cond)
{
	if (!cond)
		abort();
}

/* Encode may only refuse what its canonical layout cannot hold: an XUDT(S)
 * whose optional part, put after 255 octets of data, is beyond its pointer. */
static void check_round_trip(const struct sccp_msg *m)
{
	static uint8_t buf[8192], buf2[8192];
	struct sccp_msg m2;
	int n, n2;

	n = sccp_msg_encode(buf, sizeof(buf), m);
	if (n == -SCCP_ERR_DATA_TOO_LONG) {
		must((m->type == SCCP_MSGT_XUDT || m->type == SCCP_MSGT_XUDTS)
		     && (m->seg_present || m->importance_present)
		     && (int)m->data_len > sccp_msg_max_data(m, sizeof(buf)));
		return;
	}
	must(n > 0 && n == sccp_msg_encoded_len(m));
	must(sccp_msg_decode(&m2, buf, n) == 0);
	must(sccp_msg_equal(m, &m2));
	n2 = sccp_msg_encode(buf2, sizeof(buf2), &m2);
	must(n2 == n && !memcmp(buf, buf2, n));
}

static void check_reasm(const struct sccp_msg *m, bool any_order)
{
	struct sccp_reasm_cfg c = cfg;
	struct sccp_reasm_result res;
	struct sccp_reasm *r;

	c.any_order = any_order;
	r = sccp_reasm_alloc(&c);
	must(r != NULL);
	sccp_reasm_add(r, m, 1, 0, &res);
	sccp_reasm_result_clear(&res);
	sccp_reasm_add(r, m, 1, 1, &res);
	sccp_reasm_result_clear(&res);
	while (sccp_reasm_expire(r, 1 + cfg.timeout_ms, &res))
		sccp_reasm_result_clear(&res);
	must(sccp_reasm_count(r) == 0 && sccp_reasm_bytes(r) == 0);
	sccp_reasm_free(r);
}

/* Split the user data, encode and decode every segment, reassemble. */
static void check_split(const struct sccp_msg *m)
{
	static uint8_t buf[512];
	struct sccp_msg seg[SCCP_SEG_MAX], d;
	struct sccp_reasm_result res = { 0 };
	struct sccp_reasm *r;
	int n, i, len;

	n = sccp_sclc_segment(seg, m, 0x123456, SPLIT_MAX_LEN);
	if (n < 0) {
		must(n == -SCCP_ERR_SEG_TOO_LONG || n == -SCCP_ERR_DATA_TOO_LONG);
		return;
	}
	r = sccp_reasm_alloc(&cfg);
	must(r != NULL);
	for (i = 0; i < n; i++) {
		len = sccp_msg_encode(buf, sizeof(buf), &seg[i]);
		must(len > 0 && len <= SPLIT_MAX_LEN);
		must(sccp_msg_decode(&d, buf, len) == 0 && sccp_msg_equal(&seg[i], &d));
		if (n == 1)
			break;
		sccp_reasm_result_clear(&res);
		sccp_reasm_add(r, &d, 7, i, &res);
		must(res.status == (i == n - 1 ? SCCP_REASM_DONE : SCCP_REASM_PENDING));
	}
	if (n > 1) {
		must(res.msg.data_len == m->data_len && !memcmp(res.msg.data, m->data, m->data_len));
		must(res.msg.proto_class == m->proto_class && res.msg.return_on_error == m->return_on_error);
		must(sccp_addr_equal(&res.msg.called, &m->called) && sccp_addr_equal(&res.msg.calling, &m->calling));
	}
	sccp_reasm_result_clear(&res);
	must(sccp_reasm_count(r) == 0);
	sccp_reasm_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sccp_msg m, ret;
	char txt[256];
	int rc = sccp_msg_decode(&m, data, size);

	if (rc < 0) {
		must(-rc > 0 && -rc < _SCCP_ERR_COUNT);
		return 0;
	}
	must(m.data >= data && m.data + m.data_len <= data + size);
	sccp_addr_str(txt, sizeof(txt), &m.called);
	sccp_addr_str(txt, sizeof(txt), &m.calling);
	check_round_trip(&m);
	if (m.seg_present) {
		check_reasm(&m, size % 2);
	} else if (m.type == SCCP_MSGT_UDT || m.type == SCCP_MSGT_XUDT) {
		check_split(&m);
	}
	if (sccp_sclc_make_return(&ret, &m, SCCP_RC_UNQUALIFIED) == 0)
		check_round_trip(&ret);
	return 0;
}
