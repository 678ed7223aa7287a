/*
 * Streaming JSON writer (see jw.h). Commas are placed from a per-depth flag,
 * so callers only say begin/key/value/end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jw.h"

void jw_init(struct jw *w)
{
	memset(w, 0, sizeof(*w));
}

void jw_reset(struct jw *w)
{
	char *buf = w->buf;
	size_t cap = w->cap;

	memset(w, 0, sizeof(*w));
	w->buf = buf;
	w->cap = cap;
}

void jw_free(struct jw *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

bool jw_ok(const struct jw *w)
{
	return !w->oom && !w->overflow;
}

static bool reserve(struct jw *w, size_t n)
{
	size_t need = w->len + n + 1;	/* room for the NUL of jw_cstr */
	size_t cap;
	char *nb;

	if (w->oom)
		return false;
	if (need <= w->cap)
		return true;
	cap = w->cap ? w->cap : 1024;
	while (cap < need)
		cap *= 2;
	nb = realloc(w->buf, cap);
	if (!nb) {
		w->oom = true;
		return false;
	}
	w->buf = nb;
	w->cap = cap;
	return true;
}

static void put(struct jw *w, const char *s, size_t n)
{
	if (!reserve(w, n))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

static inline void putc1(struct jw *w, char c)
{
	if (w->len + 2 <= w->cap || reserve(w, 1))
		w->buf[w->len++] = c;
}

const char *jw_cstr(struct jw *w)
{
	if (!reserve(w, 0))
		return "";
	w->buf[w->len] = '\0';
	return w->buf;
}

/* Before any value or key: a comma if something precedes it at this depth. */
static void sep(struct jw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->need_comma[w->depth])
		putc1(w, ',');
	w->need_comma[w->depth] = true;
}

static void nest_begin(struct jw *w, char c)
{
	sep(w);
	putc1(w, c);
	if (w->depth >= JW_MAX_DEPTH) {
		w->overflow = true;
		return;
	}
	w->need_comma[++w->depth] = false;
}

static void nest_end(struct jw *w, char c)
{
	putc1(w, c);
	if (w->depth > 0)
		w->depth--;
}

void jw_obj_begin(struct jw *w) { nest_begin(w, '{'); }
void jw_obj_end(struct jw *w) { nest_end(w, '}'); }
void jw_arr_begin(struct jw *w) { nest_begin(w, '['); }
void jw_arr_end(struct jw *w) { nest_end(w, ']'); }

static void put_escaped(struct jw *w, const char *s, size_t n)
{
	static const char hexd[] = "0123456789abcdef";
	size_t i, run = 0;

	putc1(w, '"');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		put(w, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"': put(w, "\\\"", 2); break;
		case '\\': put(w, "\\\\", 2); break;
		case '\n': put(w, "\\n", 2); break;
		case '\r': put(w, "\\r", 2); break;
		case '\t': put(w, "\\t", 2); break;
		default: {
			char u[6] = { '\\', 'u', '0', '0', hexd[c >> 4], hexd[c & 15] };
			put(w, u, 6);
		}
		}
	}
	put(w, s + run, n - run);
	putc1(w, '"');
}

void jw_key(struct jw *w, const char *key)
{
	sep(w);
	put_escaped(w, key, strlen(key));
	putc1(w, ':');
	w->after_key = true;
}

void jw_strn(struct jw *w, const char *s, size_t n)
{
	sep(w);
	put_escaped(w, s, n);
}

void jw_str(struct jw *w, const char *s)
{
	jw_strn(w, s, strlen(s));
}

/* Decimal digits of v, written backwards from end; returns the start. */
static char *utoa_rev(unsigned long long v, char *end)
{
	do
		*--end = (char)('0' + v % 10);
	while ((v /= 10));
	return end;
}

void jw_int(struct jw *w, long long v)
{
	char tmp[24], *p;

	p = utoa_rev(v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v, tmp + sizeof(tmp));
	if (v < 0)
		*--p = '-';
	sep(w);
	put(w, p, (size_t)(tmp + sizeof(tmp) - p));
}

void jw_uint(struct jw *w, unsigned long long v)
{
	char tmp[24], *p = utoa_rev(v, tmp + sizeof(tmp));

	sep(w);
	put(w, p, (size_t)(tmp + sizeof(tmp) - p));
}

void jw_bool(struct jw *w, bool v)
{
	sep(w);
	if (v)
		put(w, "true", 4);
	else
		put(w, "false", 5);
}

void jw_null(struct jw *w)
{
	sep(w);
	put(w, "null", 4);
}

void jw_hex(struct jw *w, const uint8_t *p, size_t n)
{
	static const char hexd[] = "0123456789abcdef";
	char *o;
	size_t i;

	sep(w);
	if (!reserve(w, 2 * n + 2))
		return;
	o = w->buf + w->len;
	*o++ = '"';
	for (i = 0; i < n; i++) {
		*o++ = hexd[p[i] >> 4];
		*o++ = hexd[p[i] & 15];
	}
	*o++ = '"';
	w->len += 2 * n + 2;
}

void jw_raw(struct jw *w, const char *json, size_t n)
{
	sep(w);
	put(w, json, n);
}

struct jw_mark jw_mark(const struct jw *w)
{
	struct jw_mark m = {
		.len = w->len,
		.depth = w->depth,
		.need_comma = w->need_comma[w->depth],
		.after_key = w->after_key,
	};
	return m;
}

void jw_rollback(struct jw *w, struct jw_mark m)
{
	w->len = m.len;
	w->depth = m.depth;
	w->need_comma[w->depth] = m.need_comma;
	w->after_key = m.after_key;
	w->overflow = false;
}
