/*
 * The allocator behind asn1c's MALLOC/CALLOC/REALLOC/FREEMEM (asn_arena.c).
 * Code that allocates nodes asn1c will free (structures built from JSON)
 * must use asn_mem_* too, so that one allocator owns each block.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

void asn_arena_begin(void);	/* nests; the outermost end() releases */
void asn_arena_end(void);
bool asn_arena_active(void);	/* then freeing structures can be skipped */

void *asn_mem_malloc(size_t n);
void *asn_mem_calloc(size_t nmemb, size_t size);
void *asn_mem_realloc(void *old, size_t n);
void asn_mem_free(void *p);
