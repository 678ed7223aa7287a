/*
 * Global title translation (Q.714 2.4): rules in the configuration, compiled
 * into a digit trie so a lookup costs one step per digit of the called GT,
 * however many rules there are; then the rewrite of the called address.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include "sccp_node_priv.h"

/* A trie node has a child per address signal (0-9, A-F) and the rules whose
 * prefix ends here, in id order (ids into the rule copy). */
struct gtt_tnode {
	uint32_t child[16];	/* 0: none (node 0 is the root, never a child) */
	uint32_t first, count;	/* slice of gtt->order */
};

struct sccp_gtt {
	struct sccp_gtt_rule *rules;
	unsigned int num_rules;
	struct gtt_tnode *tn;
	unsigned int num_tn;
	uint32_t *order;	/* rule indexes grouped by trie node */
};

static int digit_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool digits_valid(const char *d)
{
	size_t n = strnlen(d, SCCP_GT_MAX_DIGITS + 1);

	if (n > SCCP_GT_MAX_DIGITS)
		return false;
	for (; *d; d++) {
		if (digit_val(*d) < 0)
			return false;
	}
	return true;
}

static bool filter_valid(int16_t v, int max)
{
	return v == SCCP_GTT_ANY || (v >= 0 && v <= max);
}

bool sccp_gtt_rule_valid(const struct sccp_gtt_rule *r)
{
	return digits_valid(r->prefix) && digits_valid(r->rewrite_digits)
	       && filter_valid(r->gti, 4) && filter_valid(r->tt, 255) && filter_valid(r->np, 15)
	       && filter_valid(r->nai, 127) && filter_valid(r->new_tt, 255)
	       && filter_valid(r->new_np, 15) && filter_valid(r->new_nai, 127)
	       && r->dpc <= SCCP_PC_MAX && (!r->has_backup || r->backup_dpc <= SCCP_PC_MAX)
	       && r->rewrite <= SCCP_GTT_REPLACE_ALL;
}

void sccp_gtt_rule_init(struct sccp_gtt_rule *r, uint32_t id, const char *prefix, uint32_t dpc)
{
	memset(r, 0, sizeof(*r));
	r->id = id;
	osmo_strlcpy(r->prefix, prefix ? prefix : "", sizeof(r->prefix));
	r->gti = r->tt = r->np = r->nai = SCCP_GTT_ANY;
	r->new_tt = r->new_np = r->new_nai = SCCP_GTT_ANY;
	r->dpc = dpc;
}

int sccp_gtt_rule_set(struct sccp_node_cfg *cfg, const struct sccp_gtt_rule *rule)
{
	struct sccp_gtt_rule *rules;
	unsigned int i;

	if (!sccp_gtt_rule_valid(rule))
		return -EINVAL;
	/* kept sorted by id: config files list them that way, so this appends */
	for (i = cfg->num_rules; i > 0 && cfg->rules[i - 1].id >= rule->id; i--) {
		if (cfg->rules[i - 1].id == rule->id) {
			cfg->rules[i - 1] = *rule;
			return 0;
		}
	}
	if (talloc_array_length(cfg->rules) <= cfg->num_rules) {
		rules = talloc_realloc(cfg, cfg->rules, struct sccp_gtt_rule, (cfg->num_rules + 8) * 2);
		if (!rules)
			return -ENOMEM;
		cfg->rules = rules;
	}
	memmove(&cfg->rules[i + 1], &cfg->rules[i], (cfg->num_rules - i) * sizeof(*rule));
	cfg->rules[i] = *rule;
	cfg->num_rules++;
	return 0;
}

int sccp_gtt_rule_del(struct sccp_node_cfg *cfg, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < cfg->num_rules; i++) {
		if (cfg->rules[i].id == id) {
			memmove(&cfg->rules[i], &cfg->rules[i + 1], (cfg->num_rules - i - 1) * sizeof(cfg->rules[0]));
			cfg->num_rules--;
			return 0;
		}
	}
	return -ENOENT;
}

static int rule_cmp(const void *a, const void *b)
{
	const struct sccp_gtt_rule *ra = a, *rb = b;

	return ra->id < rb->id ? -1 : ra->id > rb->id;
}

struct sccp_gtt *sccp_gtt_build(void *ctx, const struct sccp_gtt_rule *rules, unsigned int n)
{
	struct sccp_gtt *g = talloc_zero(ctx, struct sccp_gtt);
	uint32_t *node_of, *fill;
	unsigned int i, cap = 1;

	if (!g)
		return NULL;
	for (i = 0; i < n; i++)
		cap += strlen(rules[i].prefix);
	g->rules = talloc_array(g, struct sccp_gtt_rule, n ? n : 1);
	g->tn = talloc_zero_array(g, struct gtt_tnode, cap);
	g->order = talloc_array(g, uint32_t, n ? n : 1);
	node_of = talloc_array(g, uint32_t, n ? n : 1);
	if (!g->rules || !g->tn || !g->order || !node_of)
		goto fail;
	if (n)	/* rules may be NULL then: memcpy's arguments must not be (UBSan) */
		memcpy(g->rules, rules, n * sizeof(*rules));
	qsort(g->rules, n, sizeof(*rules), rule_cmp);
	g->num_rules = n;
	g->num_tn = 1;

	/* insert every prefix, count the rules per node */
	for (i = 0; i < n; i++) {
		uint32_t t = 0;
		const char *d;

		if (!sccp_gtt_rule_valid(&g->rules[i]))
			goto fail;
		for (d = g->rules[i].prefix; *d; d++) {
			int v = digit_val(*d);

			if (!g->tn[t].child[v])
				g->tn[t].child[v] = g->num_tn++;
			t = g->tn[t].child[v];
		}
		node_of[i] = t;
		g->tn[t].count++;
	}
	/* slices of order[] per node; rules went in by id, so each slice is in id order */
	for (i = 0, cap = 0; i < g->num_tn; i++) {
		g->tn[i].first = cap;
		cap += g->tn[i].count;
	}
	fill = talloc_zero_array(g, uint32_t, g->num_tn);
	if (!fill)
		goto fail;
	for (i = 0; i < n; i++)
		g->order[g->tn[node_of[i]].first + fill[node_of[i]]++] = i;
	talloc_free(fill);
	talloc_free(node_of);
	return g;
fail:
	talloc_free(g);
	return NULL;
}

static bool filter_match(int16_t want, bool present, uint8_t have)
{
	return want == SCCP_GTT_ANY || (present && want == have);
}

static const struct sccp_gtt_rule *match_at(const struct sccp_gtt *g, const struct gtt_tnode *t,
					    const struct sccp_addr *a, int gti)
{
	unsigned int i;

	for (i = 0; i < t->count; i++) {
		const struct sccp_gtt_rule *r = &g->rules[g->order[t->first + i]];

		if (filter_match(r->gti, true, gti) && filter_match(r->tt, a->present & SCCP_ADDR_TT, a->tt)
		    && filter_match(r->np, a->present & SCCP_ADDR_NP, a->np)
		    && filter_match(r->nai, a->present & SCCP_ADDR_NAI, a->nai))
			return r;
	}
	return NULL;
}

const struct sccp_gtt_rule *sccp_gtt_lookup(const struct sccp_gtt *g, const struct sccp_addr *called)
{
	const struct sccp_gtt_rule *best = NULL, *r;
	int gti = sccp_addr_gti(called);
	uint32_t t = 0;
	const char *d = called->digits;

	if (!g || gti <= 0)
		return NULL;
	for (;;) {
		int v;

		r = match_at(g, &g->tn[t], called, gti);
		if (r)
			best = r;
		if (!*d || (v = digit_val(*d++)) < 0 || !g->tn[t].child[v])
			break;
		t = g->tn[t].child[v];
	}
	return best;
}

int sccp_gtt_apply(const struct sccp_gtt_rule *r, struct sccp_addr *a)
{
	char d[2 * SCCP_GT_MAX_DIGITS + 1];
	size_t plen = strlen(r->prefix);

	switch (r->rewrite) {
	case SCCP_GTT_REPLACE_PREFIX:
		snprintf(d, sizeof(d), "%s%s", r->rewrite_digits, a->digits + OSMO_MIN(plen, strlen(a->digits)));
		if (strlen(d) > SCCP_GT_MAX_DIGITS)
			return -SCCP_ERR_GT_TOO_LONG;
		osmo_strlcpy(a->digits, d, sizeof(a->digits));
		break;
	case SCCP_GTT_REPLACE_ALL:
		osmo_strlcpy(a->digits, r->rewrite_digits, sizeof(a->digits));
		break;
	case SCCP_GTT_KEEP:
		break;
	}
	if (r->new_tt != SCCP_GTT_ANY) {
		a->tt = r->new_tt;
		a->present |= SCCP_ADDR_TT;
	}
	if (r->new_np != SCCP_GTT_ANY) {
		a->np = r->new_np;
		a->present |= SCCP_ADDR_NP;
	}
	if (r->new_nai != SCCP_GTT_ANY) {
		a->nai = r->new_nai;
		a->present |= SCCP_ADDR_NAI;
	}
	if (r->ssn) {
		a->ssn = r->ssn;
		a->present |= SCCP_ADDR_SSN;
	}
	if (r->route_on_ssn) {
		/* the next node routes on the SSN alone: it must be there */
		if (!(a->present & SCCP_ADDR_SSN) || !a->ssn)
			return -SCCP_ERR_INVALID;
		a->route_on_ssn = true;
	}
	return sccp_addr_gti(a) < 0 ? -SCCP_ERR_INVALID : 0;
}
