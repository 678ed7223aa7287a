/*
 * A small streaming JSON writer: the codec writes its JSON through it into one
 * growable buffer that a caller reuses, so steady-state decoding allocates nothing.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define JW_MAX_DEPTH 64

struct jw {
	char *buf;
	size_t len, cap;
	bool oom;			/* an allocation failed: the output is unusable */
	bool overflow;			/* nesting went deeper than JW_MAX_DEPTH */
	int depth;
	bool need_comma[JW_MAX_DEPTH + 1];
	bool after_key;			/* a key was written, its value comes next */
};

void jw_init(struct jw *w);		/* empty writer; first write allocates */
void jw_reset(struct jw *w);		/* keep the buffer, drop the content */
void jw_free(struct jw *w);
bool jw_ok(const struct jw *w);		/* no allocation failure, balanced so far */
const char *jw_cstr(struct jw *w);	/* NUL-terminated output */

void jw_obj_begin(struct jw *w);
void jw_obj_end(struct jw *w);
void jw_arr_begin(struct jw *w);
void jw_arr_end(struct jw *w);
void jw_key(struct jw *w, const char *key);
void jw_str(struct jw *w, const char *s);
void jw_strn(struct jw *w, const char *s, size_t n);	/* escapes; bytes must be UTF-8 */
void jw_int(struct jw *w, long long v);
void jw_uint(struct jw *w, unsigned long long v);
void jw_bool(struct jw *w, bool v);
void jw_null(struct jw *w);
void jw_hex(struct jw *w, const uint8_t *p, size_t n);	/* lowercase hex string */
void jw_raw(struct jw *w, const char *json, size_t n);	/* a complete JSON value */

/* Mark/rollback: undo everything written since the mark (used when a
 * friendly decoding fails half way and the caller falls back to hex). */
struct jw_mark { size_t len; int depth; bool need_comma; bool after_key; };
struct jw_mark jw_mark(const struct jw *w);
void jw_rollback(struct jw *w, struct jw_mark m);

/* Shorthands for "key": value */
static inline void jw_kstr(struct jw *w, const char *k, const char *v) { jw_key(w, k); jw_str(w, v); }
static inline void jw_kint(struct jw *w, const char *k, long long v) { jw_key(w, k); jw_int(w, v); }
static inline void jw_kbool(struct jw *w, const char *k, bool v) { jw_key(w, k); jw_bool(w, v); }
static inline void jw_khex(struct jw *w, const char *k, const uint8_t *p, size_t n) { jw_key(w, k); jw_hex(w, p, n); }
