/*
 * A small JSON reader for the codec's input: one parse builds a read-only
 * tree in a per-document arena (no allocation per value), objects keep their
 * members in order and find keys by a short linear scan (ASN.1 objects are
 * small). Several times faster than a general-purpose DOM for our messages.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum jv_type { JV_NULL, JV_FALSE, JV_TRUE, JV_INTEGER, JV_REAL, JV_STRING, JV_ARRAY, JV_OBJECT };

typedef struct jv {
	enum jv_type type;
	uint32_t n;			/* string length, or element/member count */
	const char *key;		/* member name when inside an object */
	union {
		long long i;
		double d;
		const char *s;		/* NUL-terminated, may contain \u0000 */
		struct jv **items;	/* array elements / object members */
	} u;
} jv_t;

#define JV_MAX_DEPTH 64

struct jv_chunk;
struct jv_doc {
	struct jv_chunk *chunks;	/* arena; kept across jv_reset() */
	size_t used;			/* in the current chunk */
	jv_t *root;
};

void jv_doc_init(struct jv_doc *d);
void jv_doc_free(struct jv_doc *d);
/* Parse text into d (dropping what d held). Returns 0, or -1 with
 * "line L column C: what" in err. Duplicate keys are an error. */
int jv_parse(struct jv_doc *d, const char *text, size_t len, char *err, size_t errsz);

/* Build values in d's arena (for callers that complete a document). */
jv_t *jv_new_integer(struct jv_doc *d, long long v);
jv_t *jv_new_bool(struct jv_doc *d, bool v);
jv_t *jv_new_object1(struct jv_doc *d, const char *key, jv_t *value);
jv_t *jv_new_string(struct jv_doc *d, const char *s);	/* copied into the arena */
/* An empty array with room for max elements; jv_array_push adds one (no check: max is
 * the caller's bound). */
jv_t *jv_new_array(struct jv_doc *d, unsigned int max);
void jv_array_push(jv_t *arr, jv_t *v);
/* Add or replace a member; returns 0 or -1 (out of memory). */
int jv_object_set(struct jv_doc *d, jv_t *obj, const char *key, jv_t *value);
/* Remove a member if present. */
void jv_object_del(jv_t *obj, const char *key);

/* Write v (and everything under it) as JSON text. */
struct jw;
void jv_write(struct jw *w, const jv_t *v);

static inline bool jv_is_object(const jv_t *v) { return v && v->type == JV_OBJECT; }
static inline bool jv_is_array(const jv_t *v) { return v && v->type == JV_ARRAY; }
static inline bool jv_is_string(const jv_t *v) { return v && v->type == JV_STRING; }
static inline bool jv_is_integer(const jv_t *v) { return v && v->type == JV_INTEGER; }
static inline bool jv_is_boolean(const jv_t *v) { return v && (v->type == JV_TRUE || v->type == JV_FALSE); }
static inline bool jv_is_true(const jv_t *v) { return v && v->type == JV_TRUE; }
static inline bool jv_is_null(const jv_t *v) { return v && v->type == JV_NULL; }
static inline const char *jv_string_value(const jv_t *v) { return jv_is_string(v) ? v->u.s : NULL; }
static inline size_t jv_string_length(const jv_t *v) { return jv_is_string(v) ? v->n : 0; }
static inline long long jv_integer_value(const jv_t *v) { return jv_is_integer(v) ? v->u.i : 0; }
static inline size_t jv_array_size(const jv_t *v) { return jv_is_array(v) ? v->n : 0; }
static inline jv_t *jv_array_get(const jv_t *v, size_t i) { return jv_is_array(v) && i < v->n ? v->u.items[i] : NULL; }
static inline size_t jv_object_size(const jv_t *v) { return jv_is_object(v) ? v->n : 0; }
jv_t *jv_object_get(const jv_t *obj, const char *key);

/* for (i...) over an object's members: key = m->key, value = m */
#define jv_object_foreach(obj, idx, m) \
	for ((idx) = 0; jv_is_object(obj) && (idx) < (obj)->n && ((m) = (obj)->u.items[idx]); (idx)++)
