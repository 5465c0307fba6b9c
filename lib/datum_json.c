// SPDX-License-Identifier: MIT
/*
 * Datums decoded to their schema's JSON encoding (datum_json in xrelay/datum.h), by walking a
 * compiled program (lib/datum_int.h) over bytes the validator (lib/datum_check.c) has passed
 * first: nesting is bounded by it, every length is still checked against the bytes left.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datum_int.h"
#include "xrelay/bytetext.h"

static const char *const kind_names[] = {
	[K_NULL] = "null",     [K_BOOLEAN] = "boolean", [K_INT] = "int",     [K_LONG] = "long",
	[K_FLOAT] = "float",   [K_DOUBLE] = "double",	[K_BYTES] = "bytes", [K_STRING] = "string",
	[K_FIXED] = "fixed",   [K_ENUM] = "enum",	[K_ARRAY] = "array", [K_MAP] = "map",
	[K_RECORD] = "record", [K_UNION] = "union",
};

struct walk {
	const struct datum_prog *p;
	struct datum_cur r;
	struct datum_text *o;
	unsigned int flags;
};

/* Room for @n more characters and a NUL; a pointer to where they go, or NULL. */
static char *room(struct datum_text *o, size_t n)
{
	size_t cap = o->cap ? o->cap : 256;
	char *nb;

	if (o->len + n + 1 > o->cap) {
		while (cap < o->len + n + 1)
			cap *= 2;
		nb = realloc(o->buf, cap);
		if (!nb)
			return NULL;
		o->buf = nb;
		o->cap = cap;
	}
	return o->buf + o->len;
}

static int put(struct datum_text *o, const char *s, size_t n)
{
	char *d = room(o, n);

	if (!d)
		return -ENOMEM;
	memcpy(d, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
	return 0;
}

static int puts_(struct datum_text *o, const char *s)
{
	return put(o, s, strlen(s));
}

/* @n bytes of UTF-8 (checked) as a JSON string: quotes, backslashes and controls escaped. */
static int put_string(struct datum_text *o, const uint8_t *s, size_t n)
{
	char *d = room(o, 6 * n + 2), *start = d;
	size_t i;

	if (!d)
		return -ENOMEM;
	*d++ = '"';
	for (i = 0; i < n; i++) {
		uint8_t c = s[i];

		if (c == '"' || c == '\\') {
			*d++ = '\\';
			*d++ = (char)c;
		} else if (c == '\n') {
			*d++ = '\\';
			*d++ = 'n';
		} else if (c < 0x20 || c == 0x7f) {
			d += sprintf(d, "\\u%04x", c);
		} else {
			*d++ = (char)c;
		}
	}
	*d++ = '"';
	o->len += (size_t)(d - start);
	o->buf[o->len] = '\0';
	return 0;
}

static int put_bytes(struct walk *w, const uint8_t *b, size_t n)
{
	bool hex = w->flags & DATUM_JSON_HEX;
	char *d = room(w->o, (hex ? 2 * n : BYTETEXT_BASE64_LEN(n)) + 2);

	if (!d)
		return -ENOMEM;
	*d++ = '"';
	d += hex ? bytetext_hex(d, b, n) : bytetext_base64(d, b, n);
	*d++ = '"';
	w->o->len = (size_t)(d - w->o->buf);
	w->o->buf[w->o->len] = '\0';
	return 0;
}

static int put_real(struct datum_text *o, double v, bool single)
{
	char t[40];

	if (isnan(v))
		return puts_(o, "\"NaN\"");
	if (isinf(v))
		return puts_(o, v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
	/* As many digits as give the same float (9) or double (17) back. */
	snprintf(t, sizeof(t), single ? "%.9g" : "%.17g", v);
	return puts_(o, t);
}

/* @n bytes of the datum, or -EBADMSG (cannot be, once checked; a bound all the same). */
static const uint8_t *take(struct walk *w, uint64_t n)
{
	const uint8_t *p = w->r.p;

	if (n > (uint64_t)(w->r.end - w->r.p))
		return NULL;
	w->r.p += n;
	return p;
}

static int walk(struct walk *w, uint32_t n);

static int walk_blocks(struct walk *w, const struct dnode *d)
{
	int64_t count, size;
	bool first = true;
	const uint8_t *k;
	int e;

	e = puts_(w->o, d->kind == K_MAP ? "{" : "[");
	for (;;) {
		if (!e)
			e = datum_varint(&w->r, 10, &count);
		if (e || !count)
			break;
		if (count < 0) {
			count = -count;
			e = datum_varint(&w->r, 10, &size);
		}
		while (!e && count--) {
			if (!first)
				e = puts_(w->o, ",");
			first = false;
			if (!e && d->kind == K_MAP) {
				e = datum_varint(&w->r, 10, &size);
				k = e ? NULL : take(w, (uint64_t)size);
				e = !k ? -EBADMSG : put_string(w->o, k, (size_t)size);
				if (!e)
					e = puts_(w->o, ":");
			}
			if (!e)
				e = walk(w, d->a);
		}
	}
	return e ? e : puts_(w->o, d->kind == K_MAP ? "}" : "]");
}

static int walk(struct walk *w, uint32_t n)
{
	const struct datum_prog *p = w->p;
	const struct dnode *d = &p->node[n];
	const uint8_t *b;
	char t[32];
	int64_t v = 0;
	uint32_t i, k;
	float f;
	double x;
	int e;

	switch ((enum kind)d->kind) {
	case K_NULL:
		return puts_(w->o, "null");
	case K_BOOLEAN:
		b = take(w, 1);
		return b ? puts_(w->o, *b ? "true" : "false") : -EBADMSG;
	case K_INT:
	case K_LONG:
		e = datum_varint(&w->r, d->kind == K_INT ? 5 : 10, &v);
		snprintf(t, sizeof(t), "%lld", (long long)v);
		return e ? e : puts_(w->o, t);
	case K_FLOAT:
		b = take(w, 4);
		if (!b)
			return -EBADMSG;
		memcpy(&f, b, 4); /* little endian, as the host (x86, arm64) */
		return put_real(w->o, f, true);
	case K_DOUBLE:
		b = take(w, 8);
		if (!b)
			return -EBADMSG;
		memcpy(&x, b, 8);
		return put_real(w->o, x, false);
	case K_BYTES:
	case K_STRING:
		e = datum_varint(&w->r, 10, &v);
		b = e || v < 0 ? NULL : take(w, (uint64_t)v);
		if (!b)
			return -EBADMSG;
		return d->kind == K_STRING ? put_string(w->o, b, (size_t)v)
					   : put_bytes(w, b, (size_t)v);
	case K_FIXED:
		b = take(w, d->n);
		return b ? put_bytes(w, b, d->n) : -EBADMSG;
	case K_ENUM:
		e = datum_varint(&w->r, 5, &v);
		if (e || v < 0 || v >= d->n)
			return -EBADMSG;
		return put_string(w->o, (const uint8_t *)p->text + p->sym[d->a + (uint32_t)v],
				  strlen(p->text + p->sym[d->a + (uint32_t)v]));
	case K_UNION:
		e = datum_varint(&w->r, 10, &v);
		if (e || v < 0 || v >= d->n)
			return -EBADMSG;
		k = p->kids[d->a + (uint32_t)v];
		if (p->node[k].kind == K_NULL)
			return puts_(w->o, "null");
		if (p->node[k].kind == K_RECORD || p->node[k].kind == K_ENUM ||
		    p->node[k].kind == K_FIXED)
			e = puts_(w->o, "{\"") ?: puts_(w->o, p->text + p->name[k]);
		else
			e = puts_(w->o, "{\"") ?: puts_(w->o, kind_names[p->node[k].kind]);
		return e ?: puts_(w->o, "\":") ?: walk(w, k) ?: puts_(w->o, "}");
	case K_RECORD:
		e = puts_(w->o, "{");
		for (i = 0; !e && i < d->n; i++) {
			const char *name = p->text + p->kid_name[d->a + i];

			e = (i ? puts_(w->o, ",") : 0) ?: put_string(w->o, (const uint8_t *)name,
								     strlen(name)) ?:
				puts_(w->o, ":") ?: walk(w, p->kids[d->a + i]);
		}
		return e ?: puts_(w->o, "}");
	case K_ARRAY:
	case K_MAP:
		return walk_blocks(w, d);
	}
	return -EBADMSG;
}

int datum_json(const struct datum_prog *p, const uint8_t *buf, size_t len, unsigned int flags,
	       struct datum_text *out, unsigned int *ret_why)
{
	struct walk w = { .p = p, .r = { .p = buf, .end = buf + len }, .o = out, .flags = flags };
	size_t start = out->len;
	int e = datum_check(p, buf, len, ret_why);

	if (e)
		return e;
	e = walk(&w, p->root);
	if (e == -EBADMSG)
		*ret_why = XRELAY_REJECT_BAD_VALUE;
	if (e && out->buf) {
		out->len = start;
		out->buf[start] = '\0';
	}
	return e;
}
