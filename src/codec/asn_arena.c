/*
 * A per-thread arena for asn1c's allocations while one message is converted:
 * asn1c allocates every node of a decoded or built structure separately and
 * frees them one by one afterwards, which was a third of the codec's cost.
 * Inside asn_arena_begin()/end() its MALLOC/CALLOC/REALLOC come from chunks
 * that end() releases at once, and FREEMEM of an arena pointer does nothing.
 * Sanitizer builds compile this out (SS7GW_NO_ARENA) so that ASan still sees
 * every allocation of asn1c's code.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "asn_arena.h"

#ifndef SS7GW_NO_ARENA

#define CHUNK (64 * 1024)
#define ALIGN 16

struct chunk {
	struct chunk *next;
	size_t cap, used;
	_Alignas(ALIGN) char data[];
};

static __thread struct {
	struct chunk *first;	/* kept between messages */
	struct chunk *cur;
	int depth;
} ar;

/* Every block starts with its size, for REALLOC. */
struct block {
	size_t size;
	_Alignas(ALIGN) char data[];
};

void asn_arena_begin(void)
{
	if (ar.depth++)
		return;
	if (!ar.first) {
		ar.first = malloc(sizeof(struct chunk) + CHUNK);
		if (ar.first) {
			ar.first->next = NULL;
			ar.first->cap = CHUNK;
		}
	}
	if (ar.first)
		ar.first->used = 0;
	ar.cur = ar.first;
}

void asn_arena_end(void)
{
	struct chunk *c, *n;

	if (--ar.depth)
		return;
	if (!ar.first)
		return;
	for (c = ar.first->next; c; c = n) {
		n = c->next;
		free(c);
	}
	ar.first->next = NULL;
	ar.first->used = 0;
	ar.cur = NULL;
}

bool asn_arena_active(void)
{
	return ar.depth > 0 && ar.cur;
}

static bool owns(const void *p)
{
	const struct chunk *c;

	for (c = ar.first; c && ar.depth; c = c->next)
		if ((const char *)p >= c->data && (const char *)p < c->data + c->cap)
			return true;
	return false;
}

static void *arena_alloc(size_t n)
{
	size_t need = (sizeof(struct block) + n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	struct block *b;

	if (ar.cur->used + need > ar.cur->cap) {
		size_t cap = need > CHUNK ? need : CHUNK;
		struct chunk *c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->cap = cap;
		c->used = 0;
		/* keep the list rooted at first: insert after the current chunk */
		c->next = ar.cur->next;
		ar.cur->next = c;
		ar.cur = c;
	}
	b = (struct block *)(ar.cur->data + ar.cur->used);
	ar.cur->used += need;
	b->size = n;
	return b->data;
}

void *asn_mem_malloc(size_t n)
{
	return asn_arena_active() ? arena_alloc(n) : malloc(n);
}

void *asn_mem_calloc(size_t nmemb, size_t size)
{
	void *p;

	if (!asn_arena_active())
		return calloc(nmemb, size);
	if (size && nmemb > SIZE_MAX / size)
		return NULL;
	p = arena_alloc(nmemb * size);
	if (p)
		memset(p, 0, nmemb * size);
	return p;
}

void *asn_mem_realloc(void *old, size_t n)
{
	void *p;
	size_t have;

	if (!old || !owns(old)) {
		if (!asn_arena_active() || old)
			return realloc(old, n);
		return arena_alloc(n);
	}
	have = ((struct block *)((char *)old - offsetof(struct block, data)))->size;
	p = arena_alloc(n);
	if (p)
		memcpy(p, old, have < n ? have : n);
	return p;
}

void asn_mem_free(void *p)
{
	if (p && !owns(p))
		free(p);
}

#else /* SS7GW_NO_ARENA */

void asn_arena_begin(void) { }
void asn_arena_end(void) { }
bool asn_arena_active(void) { return false; }
void *asn_mem_malloc(size_t n) { return malloc(n); }
void *asn_mem_calloc(size_t nmemb, size_t size) { return calloc(nmemb, size); }
void *asn_mem_realloc(void *old, size_t n) { return realloc(old, n); }
void asn_mem_free(void *p) { free(p); }

#endif
