/*
 * JSON reader (see jv.h): recursive descent over the text, values and
 * unescaped strings allocated from a chunked arena that one document owns.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jv.h"
#include "jw.h"

#define CHUNK_MIN (16 * 1024)

struct jv_chunk {
	struct jv_chunk *next;
	size_t cap;
	char data[];
};

void jv_doc_init(struct jv_doc *d)
{
	memset(d, 0, sizeof(*d));
}

void jv_doc_free(struct jv_doc *d)
{
	struct jv_chunk *c = d->chunks, *n;

	for (; c; c = n) {
		n = c->next;
		free(c);
	}
	memset(d, 0, sizeof(*d));
}

/* Keep the first (largest-so-far) chunk for the next document, drop others. */
static void reset(struct jv_doc *d)
{
	struct jv_chunk *c = d->chunks;

	if (c) {
		struct jv_chunk *n = c->next, *t;
		for (; n; n = t) {
			t = n->next;
			free(n);
		}
		c->next = NULL;
	}
	d->used = 0;
	d->root = NULL;
}

static void *alloc(struct jv_doc *d, size_t n)
{
	struct jv_chunk *c = d->chunks;
	void *p;

	n = (n + 15) & ~(size_t)15;
	if (!c || d->used + n > c->cap) {
		size_t cap = n > CHUNK_MIN ? n : CHUNK_MIN;
		struct jv_chunk *nc;
		if (c && c->cap * 2 > cap)
			cap = c->cap * 2;
		nc = malloc(sizeof(*nc) + cap);
		if (!nc)
			return NULL;
		nc->cap = cap;
		nc->next = c;
		d->chunks = nc;
		d->used = 0;
		c = nc;
	}
	p = c->data + d->used;
	d->used += n;
	return p;
}

struct parser {
	struct jv_doc *d;
	const char *p, *start, *end;
	char *err;
	size_t errsz;
	int depth;
};

static int fail(struct parser *ps, const char *what)
{
	const char *q;
	int line = 1, col = 1;

	for (q = ps->start; q < ps->p && q < ps->end; q++) {
		if (*q == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	if (ps->err && ps->errsz)
		snprintf(ps->err, ps->errsz, "line %d column %d: %s", line, col, what);
	return -1;
}

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static int hex4(const char *p)
{
	int v = 0, i;

	for (i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Length of a valid UTF-8 sequence starting at p, or 0. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0], cp, n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if ((size_t)(end - p) < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

/* A string at ps->p (after the quote); unescaped into the arena. */
static int parse_string(struct parser *ps, const char **out, uint32_t *outlen)
{
	const char *q = ps->p;
	char *buf, *o;

	/* the unescaped text is never longer than the escaped one */
	while (q < ps->end && *q != '"') {
		if (*q == '\\')
			q++;
		q++;
	}
	if (q >= ps->end)
		return fail(ps, "unterminated string");
	buf = o = alloc(ps->d, (size_t)(q - ps->p) + 1);
	if (!buf)
		return fail(ps, "out of memory");
	while (ps->p < ps->end && *ps->p != '"') {
		unsigned char c = (unsigned char)*ps->p;
		if (c < 0x20)
			return fail(ps, "control character in string");
		if (c == '\\') {
			char e;
			if (ps->p + 1 >= ps->end)
				return fail(ps, "unterminated string");
			e = ps->p[1];
			ps->p += 2;
			switch (e) {
			case '"': *o++ = '"'; break;
			case '\\': *o++ = '\\'; break;
			case '/': *o++ = '/'; break;
			case 'b': *o++ = '\b'; break;
			case 'f': *o++ = '\f'; break;
			case 'n': *o++ = '\n'; break;
			case 'r': *o++ = '\r'; break;
			case 't': *o++ = '\t'; break;
			case 'u': {
				int cp = ps->end - ps->p >= 4 ? hex4(ps->p) : -1, lo;
				if (cp < 0)
					return fail(ps, "bad \\u escape");
				ps->p += 4;
				if (cp >= 0xd800 && cp <= 0xdbff) {
					if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u' ||
					    (lo = hex4(ps->p + 2)) < 0xdc00 || lo > 0xdfff)
						return fail(ps, "lone UTF-16 surrogate");
					ps->p += 6;
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				} else if (cp >= 0xdc00 && cp <= 0xdfff) {
					return fail(ps, "lone UTF-16 surrogate");
				}
				/* the escape took at least as many bytes as its UTF-8 */
				o += put_utf8(o, (unsigned)cp);
				break;
			}
			default:
				return fail(ps, "bad escape in string");
			}
			continue;
		}
		if (c < 0x80) {
			*o++ = (char)c;
			ps->p++;
		} else {
			size_t n = utf8_len((const unsigned char *)ps->p, (const unsigned char *)ps->end);
			if (!n)
				return fail(ps, "invalid UTF-8 in string");
			memcpy(o, ps->p, n);
			o += n;
			ps->p += n;
		}
	}
	ps->p++;		/* the closing quote */
	*o = '\0';
	*out = buf;
	*outlen = (uint32_t)(o - buf);
	return 0;
}

static int parse_value(struct parser *ps, jv_t **out);

static jv_t *new_value(struct parser *ps, enum jv_type t)
{
	jv_t *v = alloc(ps->d, sizeof(*v));

	if (v) {
		memset(v, 0, sizeof(*v));
		v->type = t;
	}
	return v;
}

/* Collect children in a small stack array, then copy them into the arena. */
#define STACK_ITEMS 32
static int finish_items(struct parser *ps, jv_t *v, jv_t **stack, jv_t ***heap, uint32_t n)
{
	jv_t **src = *heap ? *heap : stack;

	v->n = n;
	v->u.items = alloc(ps->d, sizeof(jv_t *) * (n ? n : 1));
	if (!v->u.items) {
		free(*heap);
		return fail(ps, "out of memory");
	}
	memcpy(v->u.items, src, sizeof(jv_t *) * n);
	free(*heap);
	*heap = NULL;
	return 0;
}

static int push_item(struct parser *ps, jv_t **stack, jv_t ***heap, uint32_t *cap, uint32_t n, jv_t *item)
{
	if (n == *cap) {
		jv_t **nh = realloc(*heap, sizeof(jv_t *) * *cap * 2);
		if (!nh)
			return fail(ps, "out of memory");
		if (!*heap)
			memcpy(nh, stack, sizeof(jv_t *) * n);
		*heap = nh;
		*cap *= 2;
	}
	(*heap ? *heap : stack)[n] = item;
	return 0;
}

static int parse_container(struct parser *ps, jv_t **out, bool object)
{
	jv_t *stack[STACK_ITEMS], **heap = NULL, *v = new_value(ps, object ? JV_OBJECT : JV_ARRAY);
	uint32_t n = 0, cap = STACK_ITEMS;
	char close = object ? '}' : ']';

	if (!v)
		return fail(ps, "out of memory");
	if (++ps->depth > JV_MAX_DEPTH)
		return fail(ps, "nested too deeply");
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		goto done;
	}
	for (;;) {
		const char *key = NULL;
		uint32_t keylen = 0, i;
		jv_t *item;

		skip_ws(ps);
		if (object) {
			if (ps->p >= ps->end || *ps->p != '"')
				goto bad_key;
			ps->p++;
			if (parse_string(ps, &key, &keylen))
				goto err;
			for (i = 0; i < n; i++)
				if (!strcmp((heap ? heap : stack)[i]->key, key)) {
					fail(ps, "duplicate key");
					goto err;
				}
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':') {
				fail(ps, "':' expected");
				goto err;
			}
			ps->p++;
		}
		if (parse_value(ps, &item))
			goto err;
		item->key = key;
		if (push_item(ps, stack, &heap, &cap, n, item))
			goto err;
		n++;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == close) {
			ps->p++;
			break;
		}
		fail(ps, object ? "',' or '}' expected" : "',' or ']' expected");
		goto err;
	}
done:
	ps->depth--;
	*out = v;
	return finish_items(ps, v, stack, &heap, n);
bad_key:
	fail(ps, "string key expected");
err:
	free(heap);
	return -1;
}

static int parse_number(struct parser *ps, jv_t **out)
{
	const char *q = ps->p;
	bool real = false;
	char tmp[64];
	jv_t *v;

	if (q < ps->end && *q == '-')
		q++;
	if (q >= ps->end || *q < '0' || *q > '9')
		return fail(ps, "invalid value");
	if (*q == '0' && q + 1 < ps->end && q[1] >= '0' && q[1] <= '9')
		return fail(ps, "leading zero in number");
	while (q < ps->end && ((*q >= '0' && *q <= '9') || *q == '.' || *q == 'e' || *q == 'E' || *q == '+' ||
			       *q == '-')) {
		if (*q == '.' || *q == 'e' || *q == 'E')
			real = true;
		q++;
	}
	if ((size_t)(q - ps->p) >= sizeof(tmp))
		return fail(ps, "number too long");
	memcpy(tmp, ps->p, (size_t)(q - ps->p));
	tmp[q - ps->p] = '\0';
	v = new_value(ps, real ? JV_REAL : JV_INTEGER);
	if (!v)
		return fail(ps, "out of memory");
	errno = 0;
	if (real) {
		char *e;
		v->u.d = strtod(tmp, &e);
		if (*e)
			return fail(ps, "invalid number");
	} else {
		char *e;
		v->u.i = strtoll(tmp, &e, 10);
		if (*e)
			return fail(ps, "invalid number");
		if (errno == ERANGE)
			return fail(ps, "integer out of range");
	}
	ps->p = q;
	*out = v;
	return 0;
}

static int parse_literal(struct parser *ps, jv_t **out, const char *word, enum jv_type t)
{
	size_t n = strlen(word);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n))
		return fail(ps, "invalid value");
	ps->p += n;
	*out = new_value(ps, t);
	return *out ? 0 : fail(ps, "out of memory");
}

static int parse_value(struct parser *ps, jv_t **out)
{
	skip_ws(ps);
	if (ps->p >= ps->end)
		return fail(ps, "value expected");
	switch (*ps->p) {
	case '{':
		return parse_container(ps, out, true);
	case '[':
		return parse_container(ps, out, false);
	case '"': {
		jv_t *v = new_value(ps, JV_STRING);
		if (!v)
			return fail(ps, "out of memory");
		ps->p++;
		if (parse_string(ps, &v->u.s, &v->n))
			return -1;
		*out = v;
		return 0;
	}
	case 't':
		return parse_literal(ps, out, "true", JV_TRUE);
	case 'f':
		return parse_literal(ps, out, "false", JV_FALSE);
	case 'n':
		return parse_literal(ps, out, "null", JV_NULL);
	default:
		return parse_number(ps, out);
	}
}

int jv_parse(struct jv_doc *d, const char *text, size_t len, char *err, size_t errsz)
{
	struct parser ps = { .d = d, .p = text, .start = text, .end = text + len, .err = err, .errsz = errsz };
	jv_t *root;

	reset(d);
	if (parse_value(&ps, &root))
		return -1;
	skip_ws(&ps);
	if (ps.p != ps.end)
		return fail(&ps, "garbage after the JSON value");
	d->root = root;
	return 0;
}

jv_t *jv_object_get(const jv_t *obj, const char *key)
{
	uint32_t i;

	if (!jv_is_object(obj) || !key)
		return NULL;
	for (i = 0; i < obj->n; i++)
		if (!strcmp(obj->u.items[i]->key, key))
			return obj->u.items[i];
	return NULL;
}

jv_t *jv_new_integer(struct jv_doc *d, long long v)
{
	jv_t *n = alloc(d, sizeof(*n));

	if (n) {
		memset(n, 0, sizeof(*n));
		n->type = JV_INTEGER;
		n->u.i = v;
	}
	return n;
}

jv_t *jv_new_bool(struct jv_doc *d, bool v)
{
	jv_t *n = alloc(d, sizeof(*n));

	if (n) {
		memset(n, 0, sizeof(*n));
		n->type = v ? JV_TRUE : JV_FALSE;
	}
	return n;
}

int jv_object_set(struct jv_doc *d, jv_t *obj, const char *key, jv_t *value)
{
	jv_t **items;
	char *k;
	uint32_t i;

	if (!jv_is_object(obj) || !value)
		return -1;
	k = alloc(d, strlen(key) + 1);
	if (!k)
		return -1;
	strcpy(k, key);
	value->key = k;
	for (i = 0; i < obj->n; i++)
		if (!strcmp(obj->u.items[i]->key, key)) {
			obj->u.items[i] = value;
			return 0;
		}
	items = alloc(d, sizeof(jv_t *) * (obj->n + 1));
	if (!items)
		return -1;
	if (obj->n)
		memcpy(items, obj->u.items, sizeof(jv_t *) * obj->n);
	items[obj->n++] = value;
	obj->u.items = items;
	return 0;
}

jv_t *jv_new_object1(struct jv_doc *d, const char *key, jv_t *value)
{
	jv_t *o = alloc(d, sizeof(*o));

	if (!o)
		return NULL;
	memset(o, 0, sizeof(*o));
	o->type = JV_OBJECT;
	o->u.items = NULL;
	return jv_object_set(d, o, key, value) ? NULL : o;
}

jv_t *jv_new_string(struct jv_doc *d, const char *s)
{
	size_t len = strlen(s);
	jv_t *n = alloc(d, sizeof(*n));
	char *copy = n ? alloc(d, len + 1) : NULL;

	if (!copy)
		return NULL;
	memset(n, 0, sizeof(*n));
	memcpy(copy, s, len + 1);
	n->type = JV_STRING;
	n->n = (uint32_t)len;
	n->u.s = copy;
	return n;
}

jv_t *jv_new_array(struct jv_doc *d, unsigned int max)
{
	jv_t *a = alloc(d, sizeof(*a));

	if (!a)
		return NULL;
	memset(a, 0, sizeof(*a));
	a->type = JV_ARRAY;
	a->u.items = alloc(d, sizeof(jv_t *) * (max ? max : 1));
	return a->u.items ? a : NULL;
}

void jv_array_push(jv_t *arr, jv_t *v)
{
	arr->u.items[arr->n++] = v;
}

void jv_object_del(jv_t *obj, const char *key)
{
	uint32_t i;

	if (!jv_is_object(obj))
		return;
	for (i = 0; i < obj->n; i++)
		if (!strcmp(obj->u.items[i]->key, key)) {
			memmove(&obj->u.items[i], &obj->u.items[i + 1], sizeof(jv_t *) * (obj->n - i - 1));
			obj->n--;
			return;
		}
}

void jv_write(struct jw *w, const jv_t *v)
{
	char num[40];
	uint32_t i;

	switch (v->type) {
	case JV_NULL:
		jw_null(w);
		break;
	case JV_FALSE:
	case JV_TRUE:
		jw_bool(w, v->type == JV_TRUE);
		break;
	case JV_INTEGER:
		jw_int(w, v->u.i);
		break;
	case JV_REAL:
		snprintf(num, sizeof(num), "%.17g", v->u.d);
		jw_raw(w, num, strlen(num));
		break;
	case JV_STRING:
		jw_strn(w, v->u.s, v->n);
		break;
	case JV_ARRAY:
		jw_arr_begin(w);
		for (i = 0; i < v->n; i++)
			jv_write(w, v->u.items[i]);
		jw_arr_end(w);
		break;
	case JV_OBJECT:
		jw_obj_begin(w);
		for (i = 0; i < v->n; i++) {
			jw_key(w, v->u.items[i]->key);
			jv_write(w, v->u.items[i]);
		}
		jw_obj_end(w);
		break;
	}
}
