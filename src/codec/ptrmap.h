/*
 * A fixed-size open-addressing map from pointers to small integers, filled
 * once at start-up: it replaces string comparisons on the per-message path
 * (which member of which type needs a hook) with one hashed probe.
 */
#pragma once

#include <stdint.h>
#include <stddef.h>

#define PTRMAP_SIZE 4096	/* power of two, several times the entries */

struct ptrmap {
	const void *key[PTRMAP_SIZE];
	int val[PTRMAP_SIZE];
};

static inline size_t ptrmap_slot(const void *p)
{
	uintptr_t h = (uintptr_t)p;

	h ^= h >> 17;
	h *= 0x9e3779b97f4a7c15ULL;
	return (size_t)(h >> 40) & (PTRMAP_SIZE - 1);
}

/* Returns 0, or -1 when the map is full. */
static inline int ptrmap_put(struct ptrmap *m, const void *p, int v)
{
	size_t i = ptrmap_slot(p), n;

	for (n = 0; n < PTRMAP_SIZE; n++, i = (i + 1) & (PTRMAP_SIZE - 1))
		if (!m->key[i] || m->key[i] == p) {
			m->key[i] = p;
			m->val[i] = v;
			return 0;
		}
	return -1;
}

/* The value for p, or 0 when absent (so 0 must mean "nothing"). */
static inline int ptrmap_get(const struct ptrmap *m, const void *p)
{
	size_t i = ptrmap_slot(p);

	while (m->key[i]) {
		if (m->key[i] == p)
			return m->val[i];
		i = (i + 1) & (PTRMAP_SIZE - 1);
	}
	return 0;
}
